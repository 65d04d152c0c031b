//! What the output folder already holds: the version and content of the
//! site sealed there before, so that a build never seals a lower version
//! and never gives different content the same one
//! ([`super::version::sealed_version`]).
//!
//! The file is input from disk, maybe from anyone who could write there:
//! it is read without following links (neither `integrity/` nor the
//! manifest may be one), only when it is a regular file (a FIFO is not
//! waited on), at most [`READ_CAP`] bytes, and its version is believed only
//! within `0..MAX_VERSION`. Anything else is a warning, and the build seals
//! the version it computed.

use super::manifest::{parse_any, AnyManifest, MANIFEST_PATH};
use super::version::MAX_VERSION;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Larger manifests are not read (`spore verify` draws the same line).
pub const READ_CAP: u64 = 64 << 20;

/// A site sealed in the output folder before this build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSeal {
    pub version: i64,
    /// [`super::files::fingerprint`] of its root.
    pub content: [u8; 32],
}

/// What reading the output folder's manifest gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Previous {
    /// No manifest there: a first build, or not a Spore site.
    #[default]
    None,
    Sealed(PreviousSeal),
    /// A manifest that could not be used, and why (a warning).
    Unusable(String),
}

impl Previous {
    pub fn seal(&self) -> Option<&PreviousSeal> {
        match self {
            Previous::Sealed(s) => Some(s),
            _ => None,
        }
    }
}

/// Reads `output/integrity/manifest.json`.
pub fn read(output: &Path) -> Previous {
    match read_bytes(output) {
        Ok(None) => Previous::None,
        Ok(Some(bytes)) => {
            let (version, content) = match parse_any(&bytes) {
                Ok(AnyManifest::V2(root)) => (root.version, super::files::fingerprint(&root)),
                // A site of the old format: its content is taken as
                // different from anything sealed now, so the version grows.
                Ok(AnyManifest::V1(m)) => (m.version, Sha256::digest(&bytes).into()),
                Err(e) => return unusable(output, &e.to_string()),
            };
            if (0..MAX_VERSION).contains(&version) {
                Previous::Sealed(PreviousSeal { version, content })
            } else {
                unusable(output, &format!("its version {version} is not believable"))
            }
        }
        Err(reason) => unusable(output, &reason),
    }
}

fn unusable(output: &Path, reason: &str) -> Previous {
    Previous::Unusable(format!(
        "{}: {reason}; the version sealed now is not checked against it",
        output.join(MANIFEST_PATH).display()
    ))
}

/// The manifest's bytes, `None` when there is none.
fn read_bytes(output: &Path) -> Result<Option<Vec<u8>>, String> {
    let folder = output.join("integrity");
    match std::fs::symlink_metadata(&folder) {
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(e.to_string()),
        Ok(m) if m.file_type().is_symlink() => {
            return Err("integrity/ is a symbolic link, not followed".into())
        }
        Ok(m) if !m.is_dir() => return Ok(None),
        Ok(_) => {}
    }
    let path = output.join(MANIFEST_PATH);
    let file = match open_no_follow(&path) {
        Err(e) if absent(&e) => return Ok(None),
        Err(e) if is_link_refusal(&e) => return Err("it is a symbolic link, not followed".into()),
        Err(e) => return Err(e.to_string()),
        Ok(file) => file,
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(READ_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > READ_CAP {
        return Err(format!("larger than {} MiB", READ_CAP >> 20));
    }
    Ok(Some(bytes))
}

/// Nothing there (or the output is not a folder, which the writer refuses).
fn absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// Opens for reading without following a link in the last component and
/// without blocking on a FIFO.
#[cfg(unix)]
use crate::nofollow::{is_link_refusal, open_file as open_no_follow};

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link"));
    }
    std::fs::File::open(path)
}

#[cfg(not(unix))]
fn is_link_refusal(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Other
}
