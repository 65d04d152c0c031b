//! Writing a site's files into a fresh folder, taking unchanged files over
//! from the previous site as hard links.

use super::{io, WriteError, MARKER, MARKER_TEXT};
use crate::load::attachment::{self, AttachmentError};
use crate::progress::{Progress, Stage};
use crate::site::{FileDigest, Site, SiteFile, VaultFile};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many files a write created and how many it took unchanged from the
/// previous site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub reused: usize,
}

/// Site paths are relative and `/`-separated; reject anything that could
/// escape the folder it is written into.
pub(super) fn safe_relative(path: &str) -> Result<PathBuf, WriteError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..");
    if ok {
        Ok(PathBuf::from(path))
    } else {
        Err(WriteError::UnsafePath(path.to_string()))
    }
}

/// The previous site, whose unchanged files the new one takes over as hard
/// links instead of writing them again.
///
/// Why: creating a file costs far more than its bytes on some file systems.
/// ext4 without a journal (common on virtual machines) will not hand out an
/// inode freed in the last few seconds (minutes, while its inode table is
/// not yet written back) and finds that out by scanning every such inode on
/// each creation, so deleting the old site and writing a new one of n files
/// costs O(n²). A hard link creates no inode, and deleting the old site then
/// frees only the inodes of files that changed.
pub(super) struct Reuse {
    previous: PathBuf,
    /// Cleared after the first failed link (FAT, exFAT and some network file
    /// systems have none): every file is then written.
    links_work: AtomicBool,
}

impl Reuse {
    pub(super) fn new(previous: &Path) -> Reuse {
        Reuse {
            previous: previous.to_path_buf(),
            links_work: AtomicBool::new(true),
        }
    }

    /// Links `staged` to the previous site's `rel` when that is a regular
    /// file of `size` bytes for which `same` holds (given its path); false
    /// when the file must be written.
    fn link_if(
        &self,
        rel: &Path,
        size: u64,
        staged: &Path,
        same: impl FnOnce(&Path) -> bool,
    ) -> bool {
        if !self.links_work.load(Ordering::Relaxed) {
            return false;
        }
        let old = self.previous.join(rel);
        // A symlink is never taken over: `link` would link the symlink
        // itself, and the site must hold only its own files.
        let same = match std::fs::symlink_metadata(&old) {
            Ok(m) if m.file_type().is_file() && m.len() == size => same(&old),
            _ => false,
        };
        if !same {
            return false;
        }
        match std::fs::hard_link(&old, staged) {
            Ok(()) => true,
            Err(_) => {
                self.links_work.store(false, Ordering::Relaxed);
                false
            }
        }
    }
}

/// Whether the file at `path` has exactly `digest` (read in pieces).
fn has_digest(path: &Path, digest: &FileDigest) -> bool {
    std::fs::File::open(path)
        .and_then(attachment::digest_of)
        .is_ok_and(|d| d == *digest)
}

/// Copies a vault file into the staging folder in pieces, hashing what it
/// copies; the copy must be exactly what the site was sealed with, else the
/// write fails (the manifest would describe other bytes). Runs of zeros are
/// skipped, not written, so a sparse file stays sparse.
fn copy_vault_file(file: &VaultFile, staged: &Path, buf: &mut [u8]) -> Result<(), WriteError> {
    let path = &file.source.path;
    let read_error = |source| AttachmentError::Io {
        path: path.clone(),
        source,
    };
    let mut from = attachment::open(&file.source)?;
    let mut to = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(staged)
        .map_err(io(staged))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = match from.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e).into()),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        size += n as u64;
        if chunk == &ZEROS[..n] {
            to.seek(std::io::SeekFrom::Current(n as i64))
                .map_err(io(staged))?;
        } else {
            to.write_all(chunk).map_err(io(staged))?;
        }
    }
    // Ends a file whose last piece was skipped at its full length.
    to.set_len(size).map_err(io(staged))?;
    let copied = FileDigest {
        sha256: hex::encode(hasher.finalize()),
        size,
    };
    match &file.sealed {
        Some(sealed) if *sealed != copied => {
            Err(WriteError::AttachmentChanged { path: path.clone() })
        }
        _ => Ok(()),
    }
}

/// What a skipped piece holds (compared with `memcmp`, fast in any build).
static ZEROS: [u8; COMPARE_CHUNK] = [0; COMPARE_CHUNK];

/// One file to put in the staging folder.
pub(super) enum Staged<'a> {
    Bytes(&'a [u8]),
    Vault(&'a VaultFile),
}

/// Whether the file at `path` holds exactly `bytes` (read in chunks, so a
/// difference stops the read early and no file is held in memory).
fn same_contents(path: &Path, bytes: &[u8], buf: &mut [u8]) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut rest = bytes;
    loop {
        let want = buf.len().min(rest.len()).max(1);
        let n = match file.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        if n == 0 {
            return rest.is_empty();
        }
        if n > rest.len() || buf[..n] != rest[..n] {
            return false;
        }
        rest = &rest[n..];
    }
}

pub(super) const COMPARE_CHUNK: usize = 64 * 1024;

/// Writes `site` into `dir`, which must not exist yet.
pub fn write_tree(site: &Site, dir: &Path) -> Result<WriteStats, WriteError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    fill(site, dir, None, &Progress::none())
}

/// Writes `site` into the empty folder `dir`, hard-linking files that are
/// byte for byte the same in `previous` (the site being replaced) instead
/// of writing them. The marker comes first: a folder interrupted half way
/// is still recognisably Spore's, so a later build may remove it.
pub(super) fn fill(
    site: &Site,
    dir: &Path,
    previous: Option<&Path>,
    progress: &Progress,
) -> Result<WriteStats, WriteError> {
    let marker = dir.join(MARKER);
    std::fs::write(&marker, MARKER_TEXT).map_err(io(&marker))?;
    let mut folders = BTreeSet::new();
    let mut files = Vec::with_capacity(site.files.len());
    for (path, file) in &site.files {
        let rel = safe_relative(path)?;
        if rel == Path::new(MARKER) {
            continue;
        }
        if let Some(parent) = rel.parent() {
            if !parent.as_os_str().is_empty() {
                folders.insert(parent.to_path_buf());
            }
        }
        let staged = match file {
            SiteFile::Made(bytes) => Staged::Bytes(bytes),
            SiteFile::Vault(file) => Staged::Vault(file),
            SiteFile::Deferred(later) => Staged::Bytes(later.bytes()),
        };
        files.push((rel, staged));
    }
    for folder in &folders {
        let full = dir.join(folder);
        std::fs::create_dir_all(&full).map_err(io(&full))?;
    }
    let reuse = previous.map(Reuse::new);
    let reused = AtomicUsize::new(0);
    // Counted again from zero if a first attempt beside the output folder
    // gave up and the site is written inside it instead.
    progress.stage(Stage::Write, Some(files.len()));
    files.par_iter().try_for_each_init(
        || vec![0u8; COMPARE_CHUNK],
        |buf, (rel, staged)| {
            // Counted as it starts (an error stops the build anyway).
            progress.item();
            if put_one(dir, rel, staged, reuse.as_ref(), buf)? {
                reused.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), WriteError>(())
        },
    )?;
    let reused = reused.into_inner();
    Ok(WriteStats {
        // The marker is always written.
        written: files.len() + 1 - reused,
        reused,
    })
}

/// Puts one file at `rel` (its folder made already) in the staging folder
/// `dir`: a hard link to the previous site's file when that holds the
/// same bytes (`Ok(true)`), else written (`Ok(false)`).
pub(super) fn put_one(
    dir: &Path,
    rel: &Path,
    staged: &Staged,
    reuse: Option<&Reuse>,
    buf: &mut [u8],
) -> Result<bool, WriteError> {
    let full = dir.join(rel);
    let linked = reuse.is_some_and(|reuse| match staged {
        Staged::Bytes(bytes) => reuse.link_if(rel, bytes.len() as u64, &full, |old| {
            same_contents(old, bytes, buf)
        }),
        Staged::Vault(file) => file.sealed.as_ref().is_some_and(|digest| {
            reuse.link_if(rel, digest.size, &full, |old| has_digest(old, digest))
        }),
    });
    if linked {
        return Ok(true);
    }
    match staged {
        Staged::Bytes(bytes) => std::fs::write(&full, bytes).map_err(io(&full))?,
        Staged::Vault(file) => copy_vault_file(file, &full, buf)?,
    }
    Ok(false)
}

/// Deletes a folder Spore made (staging, or a previous site moved aside).
/// Deleting the previous site can cost more than building the new one, so
/// its top-level entries go in parallel. Never follows a symlink: a link
/// is removed as a link, never the folder it points to.
pub(super) fn remove_tree(dir: &Path) {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_dir() => {}
        _ => return,
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let entries: Vec<_> = entries.flatten().collect();
        entries.par_iter().for_each(|e| {
            let p = e.path();
            let _ = match e.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&p),
                _ => std::fs::remove_file(&p),
            };
        });
    }
    let _ = std::fs::remove_dir_all(dir);
}
