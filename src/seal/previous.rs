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

use super::manifest::{file_member, Manifest, MANIFEST_PATH, METALINK_PATH};
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
    /// [`fingerprint`] of its content.
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
        Ok(Some(bytes)) => match Manifest::parse(&bytes) {
            Ok(m) if (0..MAX_VERSION).contains(&m.version) => Previous::Sealed(PreviousSeal {
                version: m.version,
                content: fingerprint(&m, members(&m).iter().map(String::as_str)),
            }),
            Ok(m) => unusable(
                output,
                &format!("its version {} is not believable", m.version),
            ),
            Err(e) => unusable(output, &e.to_string()),
        },
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

/// The manifest's files as [`file_member`]s, in path order, without the
/// Metalink file (its `<published>` date follows the version).
fn members(m: &Manifest) -> Vec<String> {
    m.files
        .iter()
        .filter(|(path, _)| path.as_str() != METALINK_PATH)
        .map(|(path, entry)| file_member(path, entry))
        .collect()
}

/// What a sealed site says apart from its version: the manifest without
/// `version`, `built` and `generator`, with `members` (its files but the
/// Metalink file, in path order) as its files. Two builds with the same
/// fingerprint publish the same thing.
pub fn fingerprint<'a>(outline: &Manifest, members: impl Iterator<Item = &'a str>) -> [u8; 32] {
    let mut head = outline.clone();
    head.files.clear();
    head.version = 0;
    head.built.clear();
    head.generator.clear();
    let mut hash = Sha256::new();
    hash.update(head.to_canonical_json());
    for member in members {
        hash.update(member.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().into()
}
