//! Reading a copy: its manifest and signature first, then every file the
//! reference or the copy's own manifest names, hashed as it is read. No
//! judgement here; [`super::judge`] decides what the observations mean.

use super::source::{is_safe_path, CopySource, Fetched, MANIFEST_CAP, SIGNATURE_CAP};
use crate::printable::printable;
use crate::seal::manifest::{
    parse_any, AnyManifest, FileEntry, Manifest, Root, MANIFEST_PATH, SIGNATURE_PATH,
};
use crate::seal::page::check_self;
use crate::seal::page::sha256_hex;
use crate::seal::shard::{parse_shard, shard_index, shard_key};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
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
    /// Every entry the manifest lists (for format 2: the entries of every
    /// shard that could be read).
    pub manifest: Manifest,
    /// `integrity/manifest.json` as read: the root, for format 2.
    pub bytes: Vec<u8>,
    pub layout: Layout,
}

/// How the manifest is laid out.
#[derive(Debug, Clone)]
pub enum Layout {
    /// Format 1: one file lists everything.
    V1,
    /// Format 2: the root, and each of its shards (by index) as read.
    V2 {
        root: Box<Root>,
        shards: Vec<ShardRead>,
    },
}

/// One shard of a format-2 manifest as a copy gave it.
#[derive(Debug, Clone)]
pub enum ShardRead {
    /// Its bytes, which hash as the root says.
    Good(Arc<[u8]>),
    /// Why it is not usable (missing, other bytes, not a shard); its entries
    /// are unknown at this copy.
    Bad(String),
}

impl CopyManifest {
    /// Whether the file `path` belongs to a shard this copy could not give
    /// (so whether it is listed is unknown).
    pub fn in_bad_shard(&self, path: &str) -> bool {
        match &self.layout {
            Layout::V1 => false,
            Layout::V2 { root, shards } => matches!(
                shards.get(shard_index(shard_key(path), root.shard_bits)),
                Some(ShardRead::Bad(_))
            ),
        }
    }

    /// Whether every shard was read (always, for format 1).
    pub fn complete(&self) -> bool {
        match &self.layout {
            Layout::V1 => true,
            Layout::V2 { shards, .. } => shards.iter().all(|s| matches!(s, ShardRead::Good(_))),
        }
    }

    /// Whether two manifests list different files (format 2: different
    /// shards, whose hashes say it without reading them).
    pub fn lists_other_files(&self, other: &CopyManifest) -> bool {
        match (&self.layout, &other.layout) {
            (Layout::V2 { root: a, .. }, Layout::V2 { root: b, .. }) => a.shards != b.shards,
            _ => self.manifest.files != other.manifest.files,
        }
    }

    /// Takes the shards this copy could not give from `other`, when both
    /// have the very same root (a shard's bytes are fixed by its hash).
    pub fn complete_from(&mut self, other: &CopyManifest) {
        if self.bytes != other.bytes {
            return;
        }
        let (Layout::V2 { root, shards }, Layout::V2 { shards: theirs, .. }) =
            (&mut self.layout, &other.layout)
        else {
            return;
        };
        for (i, (mine, theirs)) in shards.iter_mut().zip(theirs).enumerate() {
            if let (ShardRead::Bad(_), ShardRead::Good(bytes)) = (&*mine, theirs) {
                if let Ok(entries) = parse_shard(bytes, i, root.shard_bits) {
                    self.manifest.files.extend(entries);
                    *mine = ShardRead::Good(bytes.clone());
                }
            }
        }
    }
}

/// Largest shard read (a root's sizes are only a claim until its signature
/// is checked).
pub const SHARD_CAP: u64 = 64 << 20;

/// Reads the shards of `root` at a copy: each unique shard once, checked
/// against the root's hash and size and parsed; returns the entries of the
/// good ones and what became of each.
fn read_shards<'a>(
    source: &CopySource,
    root: &'a Root,
) -> (BTreeMap<String, FileEntry>, Vec<ShardRead>) {
    let unique: BTreeSet<(&str, u64, String)> = root
        .shards
        .iter()
        .map(|s| (s.sha256.as_str(), s.size, s.path()))
        .collect();
    let read = |(sha, size, path): &(&'a str, u64, String)| {
        let got = match source.fetch(path, (*size).min(SHARD_CAP)) {
            Fetched::Found(bytes) if bytes.len() as u64 != *size => {
                Err(format!("{} bytes, the manifest says {size}", bytes.len()))
            }
            Fetched::Found(bytes) if sha256_hex(&bytes) != *sha => {
                Err("its SHA-256 is not the one in the manifest".into())
            }
            Fetched::Found(bytes) => Ok(Arc::from(bytes)),
            Fetched::Missing => Err("not found".into()),
            Fetched::TooLarge => Err(format!("larger than the {size} bytes expected")),
            Fetched::Failed(e) | Fetched::Unreachable(e) => Err(e),
        };
        (*sha, got)
    };
    // A URL copy's shards are fetched side by side on its own pool; a
    // folder's are read one after the other on this copy's own thread, not
    // queued behind other work on the shared pool while its deadline runs.
    let got: BTreeMap<&str, Result<Arc<[u8]>, String>> = match http_pool(source) {
        Some(pool) => pool.install(|| unique.par_iter().map(read).collect()),
        None => unique.iter().map(read).collect(),
    };
    let mut files = BTreeMap::new();
    let reads = root
        .shards
        .iter()
        .enumerate()
        .map(|(i, s)| match got.get(s.sha256.as_str()) {
            Some(Ok(bytes)) => match parse_shard(bytes, i, root.shard_bits) {
                Ok(entries) => {
                    files.extend(entries);
                    ShardRead::Good(bytes.clone())
                }
                Err(e) => ShardRead::Bad(e.to_string()),
            },
            Some(Err(e)) => ShardRead::Bad(e.clone()),
            None => ShardRead::Bad("not read".into()),
        })
        .collect();
    (files, reads)
}

/// A pool for reading many files of a URL copy at once (fetching is bound
/// by latency, not CPU); a folder is read on the caller's threads.
fn http_pool(source: &CopySource) -> Option<rayon::ThreadPool> {
    match source {
        CopySource::Http { .. } => rayon::ThreadPoolBuilder::new()
            .num_threads(HTTP_CONCURRENCY)
            .build()
            .ok(),
        CopySource::Folder { .. } => None,
    }
}

/// A manifest's bytes as a [`CopyManifest`], reading the shards of a
/// format-2 root from `source`.
fn copy_manifest(source: &CopySource, bytes: Vec<u8>) -> Result<CopyManifest, String> {
    let (manifest, layout) = match parse_any(&bytes) {
        Ok(AnyManifest::V1(m)) => (m, Layout::V1),
        Ok(AnyManifest::V2(root)) => {
            let (files, shards) = read_shards(source, &root);
            let manifest = Manifest::from_root(&root, files);
            let root = Box::new(root);
            (manifest, Layout::V2 { root, shards })
        }
        Err(e) => return Err(format!("{MANIFEST_PATH}: {e}")),
    };
    match refused_path(&manifest) {
        Some(reason) => Err(reason),
        None => Ok(CopyManifest {
            manifest,
            bytes,
            layout,
        }),
    }
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
    /// Since when it waits for the other copies' manifests (its own and its
    /// shards read): that wait is on no clock of its own. Taken when its
    /// files are first read.
    pub waiting_since: Option<std::time::Instant>,
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
        Fetched::Found(bytes) => copy_manifest(&source, bytes),
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
        waiting_since: Some(std::time::Instant::now()),
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
    // The wait for the other copies' manifests was not this copy's doing.
    if let Some(since) = copy.waiting_since.take() {
        copy.source.budget().not_counting(since.elapsed());
    }
    let pool = http_pool(&copy.source);
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
