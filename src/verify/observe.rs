//! Reading a copy: its manifest and signature first, then every file the
//! reference or the copy's own manifest names, hashed as it is read. No
//! judgement here; [`super::judge`] decides what the observations mean.

use super::source::{is_safe_path, CopySource, Fetched, MANIFEST_CAP, SIGNATURE_CAP};
use crate::printable::printable;
use crate::seal::manifest::{Manifest, MANIFEST_PATH, SIGNATURE_PATH};
use crate::seal::page::check_self;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

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
    /// Set when the network failed this copy (deadline, stalls, too slow,
    /// repeated failures): why it was given up.
    pub unreachable: Option<String>,
}

/// Why a manifest is refused although it parses: a listed path that could
/// escape the copy, or that holds a control or bidi character (it would be
/// printed, and no Spore build writes one).
fn refused_path(m: &Manifest) -> Option<String> {
    m.files
        .keys()
        .find(|p| !is_safe_path(p))
        .map(|p| {
            format!(
                "{MANIFEST_PATH} lists the file name \"{}\", which is not a safe site path (control characters, bidi marks, \"..\" and absolute paths are refused)",
                printable(p)
            )
        })
}

/// Phase 1: manifest and signature.
pub fn observe_manifest(label: &str, source: CopySource) -> Observed {
    let mut unreachable = None;
    let manifest = match source.fetch(MANIFEST_PATH, MANIFEST_CAP) {
        Fetched::Found(bytes) => match Manifest::parse(&bytes) {
            Ok(manifest) => match refused_path(&manifest) {
                Some(reason) => Err(reason),
                None => Ok(CopyManifest { manifest, bytes }),
            },
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
        Fetched::Unreachable(e) => {
            unreachable = Some(e.clone());
            Err(e)
        }
    };
    let signature = match &manifest {
        Ok(_) => match source.fetch(SIGNATURE_PATH, SIGNATURE_CAP) {
            Fetched::Found(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => None,
        },
        Err(_) => None,
    };
    Observed {
        label: label.to_string(),
        source,
        manifest,
        signature,
        files: BTreeMap::new(),
        listing: None,
        unreachable,
    }
}

/// Concurrent requests per URL copy: fetching is bound by latency, not CPU.
const HTTP_CONCURRENCY: usize = 8;

/// Pages up to this size are kept while hashed, to check their embedded
/// self hash; larger ones are only hashed (their file hash still decides).
const SELF_CHECK_LIMIT: u64 = 4 << 20;

/// What [`observe_files`] reports after each file it reads (for a
/// progress bar). One copy's reports come one at a time, counts growing;
/// a copy read again (after a repair) counts again from 1.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub copy: &'a str,
    pub files_done: usize,
    pub files_total: usize,
    pub bytes: u64,
}

/// Receives [`Progress`] from any thread.
pub type ProgressFn = dyn Fn(&Progress) + Send + Sync;

/// Phase 2: reads and hashes `wanted` (path → largest size to read).
pub fn observe_files(
    copy: &mut Observed,
    wanted: &BTreeMap<String, u64>,
    progress: Option<&ProgressFn>,
) {
    if copy.unreachable.is_some() {
        // Its manifest could not be fetched: its files would not come either.
        return;
    }
    let pool = match copy.source {
        CopySource::Http { .. } => rayon::ThreadPoolBuilder::new()
            .num_threads(HTTP_CONCURRENCY)
            .build()
            .ok(),
        CopySource::Folder { .. } => None,
    };
    let counter = Counter {
        label: &copy.label,
        total: wanted.len(),
        done: Mutex::new((0, 0)),
        progress,
    };
    copy.files = match pool {
        Some(pool) => pool.install(|| read_all(&copy.source, wanted, &counter)),
        None => read_all(&copy.source, wanted, &counter),
    };
    copy.listing = copy.source.list().map(|l| l.into_iter().collect());
    if copy.unreachable.is_none() {
        copy.unreachable = copy.source.trouble();
    }
}

struct Counter<'a> {
    label: &'a str,
    total: usize,
    /// Files and bytes read so far.
    done: Mutex<(usize, u64)>,
    progress: Option<&'a ProgressFn>,
}

impl Counter<'_> {
    fn add(&self, bytes: u64) {
        let Some(progress) = self.progress else {
            return;
        };
        // Reported while counted, so one copy's reports arrive in order and
        // a count that goes down means the copy is being read again.
        let Ok(mut done) = self.done.lock() else {
            return;
        };
        done.0 += 1;
        done.1 += bytes;
        progress(&Progress {
            copy: self.label,
            files_done: done.0,
            files_total: self.total,
            bytes: done.1,
        });
    }
}

/// A sink that hashes what it is given and keeps it only while a page is
/// small enough to check its self hash.
struct Hashing {
    sha: Sha256,
    kept: Option<Vec<u8>>,
}

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sha.update(buf);
        if let Some(kept) = &mut self.kept {
            if kept.len() as u64 + buf.len() as u64 > SELF_CHECK_LIMIT {
                self.kept = None;
            } else {
                kept.extend_from_slice(buf);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads one file, hashing it as it streams.
pub fn observe_file(source: &CopySource, path: &str, cap: u64) -> Seen {
    let mut sink = Hashing {
        sha: Sha256::new(),
        kept: path.ends_with(".html").then(Vec::new),
    };
    match source.stream(path, cap, &mut sink) {
        Fetched::Found(size) => Seen::Present {
            size,
            sha256: hex::encode(sink.sha.finalize()),
            self_ok: sink.kept.as_deref().and_then(check_self),
        },
        Fetched::Missing => Seen::Missing,
        Fetched::TooLarge => Seen::TooLarge,
        Fetched::Failed(e) | Fetched::Unreachable(e) => Seen::Failed(e),
    }
}

fn read_all(
    source: &CopySource,
    wanted: &BTreeMap<String, u64>,
    counter: &Counter,
) -> BTreeMap<String, Seen> {
    wanted
        .par_iter()
        .map(|(path, &cap)| {
            let seen = observe_file(source, path, cap);
            counter.add(match &seen {
                Seen::Present { size, .. } => *size,
                _ => 0,
            });
            (path.clone(), seen)
        })
        .collect()
}
