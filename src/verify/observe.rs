//! Reading a copy: its manifest and signature first, then every file the
//! reference or the copy's own manifest names, hashed as it is read. No
//! judgement here; [`super::judge`] decides what the observations mean.

use super::source::{CopySource, Fetched, MANIFEST_CAP, SIGNATURE_CAP};
use crate::seal::manifest::{Manifest, MANIFEST_PATH, SIGNATURE_PATH};
use crate::seal::page::{check_self, sha256_hex};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// One file as found at a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Missing,
    Present {
        size: u64,
        sha256: String,
        /// For pages: whether the embedded `self` hash matches the bytes.
        self_ok: Option<bool>,
    },
    /// Larger than the largest size any manifest gives it.
    TooLarge,
    Failed(String),
}

impl Seen {
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Seen::Present { sha256, .. } => Some(sha256),
            _ => None,
        }
    }
}

/// A copy's manifest: parsed, with its exact bytes (what is signed).
#[derive(Debug, Clone)]
pub struct CopyManifest {
    pub manifest: Manifest,
    pub bytes: Vec<u8>,
}

pub struct Observed {
    pub label: String,
    pub source: CopySource,
    /// The manifest, or why there is none.
    pub manifest: Result<CopyManifest, String>,
    /// The `.minisig` text, when present.
    pub signature: Option<String>,
    pub files: BTreeMap<String, Seen>,
    /// All files of a folder copy (URLs cannot be listed).
    pub listing: Option<BTreeSet<String>>,
}

/// Phase 1: manifest and signature.
pub fn observe_manifest(label: &str, source: CopySource) -> Observed {
    let manifest = match source.fetch(MANIFEST_PATH, MANIFEST_CAP) {
        Fetched::Found(bytes) => match Manifest::parse(&bytes) {
            Ok(manifest) => Ok(CopyManifest { manifest, bytes }),
            Err(e) => Err(format!("{MANIFEST_PATH}: {e}")),
        },
        Fetched::Missing => Err(match source.folder() {
            Some(f) if !f.is_dir() => format!("{} is not a folder", f.display()),
            _ => format!("{MANIFEST_PATH} not found"),
        }),
        Fetched::TooLarge => Err(format!(
            "{MANIFEST_PATH} is larger than {MANIFEST_CAP} bytes"
        )),
        Fetched::Failed(e) => Err(e),
    };
    let signature = match source.fetch(SIGNATURE_PATH, SIGNATURE_CAP) {
        Fetched::Found(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        _ => None,
    };
    Observed {
        label: label.to_string(),
        source,
        manifest,
        signature,
        files: BTreeMap::new(),
        listing: None,
    }
}

/// Concurrent requests per URL copy: fetching is bound by latency, not CPU.
const HTTP_CONCURRENCY: usize = 8;

/// Phase 2: reads and hashes `wanted` (path → largest expected size).
pub fn observe_files(copy: &mut Observed, wanted: &BTreeMap<String, u64>) {
    let pool = match copy.source {
        CopySource::Http { .. } => rayon::ThreadPoolBuilder::new()
            .num_threads(HTTP_CONCURRENCY)
            .build()
            .ok(),
        CopySource::Folder(_) => None,
    };
    copy.files = match pool {
        Some(pool) => pool.install(|| read_all(&copy.source, wanted)),
        None => read_all(&copy.source, wanted),
    };
    copy.listing = copy.source.list().map(|l| l.into_iter().collect());
}

fn read_all(source: &CopySource, wanted: &BTreeMap<String, u64>) -> BTreeMap<String, Seen> {
    wanted
        .par_iter()
        .map(|(path, &size)| {
            let seen = match source.fetch(path, size) {
                Fetched::Found(bytes) => Seen::Present {
                    size: bytes.len() as u64,
                    sha256: sha256_hex(&bytes),
                    self_ok: if path.ends_with(".html") {
                        check_self(&bytes)
                    } else {
                        None
                    },
                },
                Fetched::Missing => Seen::Missing,
                Fetched::TooLarge => Seen::TooLarge,
                Fetched::Failed(e) => Seen::Failed(e),
            };
            (path.clone(), seen)
        })
        .collect()
}
