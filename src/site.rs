//! The emitted site: every output file, by output path. Files Spore makes
//! (pages, search index, theme, seal files) are bytes in memory; published
//! attachments are references to the vault file, read from disk only when
//! sealed, written or served, in pieces. `build` writes the site, `serve`
//! answers from it, `seal` hashes it.

use crate::load::Attachment;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Written into every output folder, so Spore knows the folder is its own
/// (the writer refuses a non-empty folder without it). The seal lists it
/// like every other file.
pub const MARKER: &str = ".spore-output";
pub const MARKER_TEXT: &str =
    "This folder is written by Spore and replaced whole on every build.\n";

/// Bytes shared between stages without copying.
pub type Bytes = Arc<[u8]>;

/// What `seal` needs to know about a note page beyond its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSource {
    /// Vault-relative path of the note (`folder/Note.md`).
    pub source: String,
    /// SHA-256 (hex) of the note file's bytes.
    pub source_sha256: String,
    pub title: String,
}

/// SHA-256 (hex) and size of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDigest {
    pub sha256: String,
    pub size: u64,
}

/// A vault file published unchanged (an attachment), and once the site is
/// sealed, the digest the manifest gives it: the writer checks the bytes it
/// copies against it, so a file that changes after sealing can never be
/// published under a manifest that does not describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFile {
    pub source: Attachment,
    pub sealed: Option<FileDigest>,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteFile {
    /// Made by Spore, held in memory.
    Made(Bytes),
    /// Copied from the vault as it is, never held in memory.
    Vault(Box<VaultFile>),
}

impl SiteFile {
    /// The bytes, for a file Spore made.
    pub fn made(&self) -> Option<&Bytes> {
        match self {
            SiteFile::Made(bytes) => Some(bytes),
            SiteFile::Vault(_) => None,
        }
    }

    /// Size in bytes (for a vault file: as sealed, else as last seen).
    pub fn len(&self) -> u64 {
        match self {
            SiteFile::Made(bytes) => bytes.len() as u64,
            SiteFile::Vault(file) => file
                .sealed
                .as_ref()
                .map_or(file.source.identity.len, |d| d.size),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether two files are certainly the same: the same made bytes, or the
    /// same unchanged vault file with the same seal.
    pub fn same_as(&self, other: &SiteFile) -> bool {
        match (self, other) {
            (SiteFile::Made(a), SiteFile::Made(b)) => Arc::ptr_eq(a, b) || a == b,
            (SiteFile::Vault(a), SiteFile::Vault(b)) => a == b,
            _ => false,
        }
    }
}

impl From<Bytes> for SiteFile {
    fn from(bytes: Bytes) -> SiteFile {
        SiteFile::Made(bytes)
    }
}

impl From<Vec<u8>> for SiteFile {
    fn from(bytes: Vec<u8>) -> SiteFile {
        SiteFile::Made(bytes.into())
    }
}

/// Output path (`/`-separated, relative to the site root) → file.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub files: BTreeMap<String, SiteFile>,
    /// Output path of each note page → its source.
    pub pages: BTreeMap<String, PageSource>,
}

impl Site {
    /// Adds a file Spore made.
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Bytes>) {
        self.files.insert(path.into(), SiteFile::Made(bytes.into()));
    }

    /// Adds a vault file to be published as it is.
    pub fn insert_vault_file(&mut self, path: impl Into<String>, source: Attachment) {
        let file = VaultFile {
            source,
            sealed: None,
        };
        self.files
            .insert(path.into(), SiteFile::Vault(Box::new(file)));
    }

    /// The bytes of a file Spore made (`None` for a vault file: see
    /// [`Site::file`]).
    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path).and_then(SiteFile::made)
    }

    pub fn file(&self, path: &str) -> Option<&SiteFile> {
        self.files.get(path)
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(SiteFile::len).sum()
    }
}
