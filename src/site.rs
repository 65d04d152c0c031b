//! The emitted site: every output file as bytes, in memory. `build` writes
//! it, `serve` answers from it, `seal` hashes it.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Bytes shared between stages without copying (attachments can be large).
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

/// Output path (`/`-separated, relative to the site root) → bytes.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub files: BTreeMap<String, Bytes>,
    /// Output path of each note page → its source.
    pub pages: BTreeMap<String, PageSource>,
}

impl Site {
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Bytes>) {
        self.files.insert(path.into(), bytes.into());
    }

    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path)
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|b| b.len() as u64).sum()
    }
}
