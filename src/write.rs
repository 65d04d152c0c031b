//! Writing a site to disk without ever losing data: the new site is built in
//! a sibling folder and swapped in by rename; the output folder is refused
//! when it is the vault, contains it, or holds files Spore did not write.

use crate::load::attachment::{self, AttachmentError};
use crate::site::{FileDigest, Site, SiteFile, VaultFile};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use thiserror::Error;

/// Written into every output folder, so Spore knows the folder is its own.
pub const MARKER: &str = ".spore-output";
const MARKER_TEXT: &str = "This folder is written by Spore and replaced whole on every build.\n";

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("refusing to write the site into {0}: it is the vault itself")]
    OutputIsVault(PathBuf),
    #[error("refusing to write the site into {output}: it contains the vault {vault}")]
    OutputContainsVault { output: PathBuf, vault: PathBuf },
    #[error("refusing to write the site into {0}: the folder is not empty and was not created by Spore (no {MARKER} file); choose another --out or empty it")]
    NotOurs(PathBuf),
    #[error("refusing to write the site into {0}: it is a file, not a folder")]
    NotAFolder(PathBuf),
    #[error("site path {0:?} would leave the output folder")]
    UnsafePath(String),
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    #[error("{path} changed while the site was being built: its bytes no longer match the manifest, so nothing was replaced; build again")]
    AttachmentChanged { path: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Resolves symlinks in the existing part of a path (the rest stays as
/// written), so paths that do not exist yet can still be compared.
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(c) = path.canonicalize() {
        return c;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => path.to_path_buf(),
    }
}

/// Refuses output folders that would destroy user data.
pub fn check_output(vault: &Path, output: &Path) -> Result<(), WriteError> {
    let (vault_c, output_c) = (canonical(vault), canonical(output));
    if vault_c == output_c {
        return Err(WriteError::OutputIsVault(output.to_path_buf()));
    }
    if vault_c.starts_with(&output_c) {
        return Err(WriteError::OutputContainsVault {
            output: output.to_path_buf(),
            vault: vault.to_path_buf(),
        });
    }
    if output.exists() {
        if !output.is_dir() {
            return Err(WriteError::NotAFolder(output.to_path_buf()));
        }
        let empty = std::fs::read_dir(output)
            .map_err(io(output))?
            .next()
            .is_none();
        if !empty && !output.join(MARKER).is_file() {
            return Err(WriteError::NotOurs(output.to_path_buf()));
        }
    }
    Ok(())
}

/// Site paths are relative and `/`-separated; reject anything that could
/// escape the folder it is written into.
fn safe_relative(path: &str) -> Result<PathBuf, WriteError> {
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

/// How many files a write created and how many it took unchanged from the
/// previous site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub reused: usize,
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
struct Reuse<'a> {
    previous: &'a Path,
    /// Cleared after the first failed link (FAT, exFAT and some network file
    /// systems have none): every file is then written.
    links_work: AtomicBool,
}

impl Reuse<'_> {
    /// Links `staged` to the previous site's `rel` when that is a regular
    /// file holding exactly `bytes`; false when the file must be written.
    fn link_if_same(&self, rel: &Path, bytes: &[u8], staged: &Path, buf: &mut [u8]) -> bool {
        if !self.links_work.load(Ordering::Relaxed) {
            return false;
        }
        let old = self.previous.join(rel);
        // A symlink is never taken over: `link` would link the symlink
        // itself, and the site must hold only its own files.
        let same = match std::fs::symlink_metadata(&old) {
            Ok(m) if m.file_type().is_file() && m.len() == bytes.len() as u64 => {
                same_contents(&old, bytes, buf)
            }
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

impl Reuse<'_> {
    /// [`Reuse::link_if_same`] for a vault file: links when the previous
    /// site's file has exactly the sealed digest (read in pieces).
    fn link_if_digest(&self, rel: &Path, digest: &FileDigest, staged: &Path) -> bool {
        if !self.links_work.load(Ordering::Relaxed) {
            return false;
        }
        let old = self.previous.join(rel);
        let same = match std::fs::symlink_metadata(&old) {
            Ok(m) if m.file_type().is_file() && m.len() == digest.size => std::fs::File::open(&old)
                .and_then(attachment::digest_of)
                .is_ok_and(|d| d == *digest),
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
enum Staged<'a> {
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

const COMPARE_CHUNK: usize = 64 * 1024;

/// Writes `site` into `dir`, which must not exist yet.
pub fn write_tree(site: &Site, dir: &Path) -> Result<WriteStats, WriteError> {
    write_tree_reusing(site, dir, None)
}

/// [`write_tree`], hard-linking files that are byte for byte the same in
/// `previous` (the site being replaced) instead of writing them.
fn write_tree_reusing(
    site: &Site,
    dir: &Path,
    previous: Option<&Path>,
) -> Result<WriteStats, WriteError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut folders = BTreeSet::new();
    let mut files = Vec::with_capacity(site.files.len() + 1);
    for (path, file) in &site.files {
        let rel = safe_relative(path)?;
        if let Some(parent) = rel.parent() {
            if !parent.as_os_str().is_empty() {
                folders.insert(parent.to_path_buf());
            }
        }
        let staged = match file {
            SiteFile::Made(bytes) => Staged::Bytes(bytes),
            SiteFile::Vault(file) => Staged::Vault(file),
        };
        files.push((rel, staged));
    }
    files.push((PathBuf::from(MARKER), Staged::Bytes(MARKER_TEXT.as_bytes())));
    for folder in &folders {
        let full = dir.join(folder);
        std::fs::create_dir_all(&full).map_err(io(&full))?;
    }
    let reuse = previous.map(|previous| Reuse {
        previous,
        links_work: AtomicBool::new(true),
    });
    let reused = AtomicUsize::new(0);
    files.par_iter().try_for_each_init(
        || vec![0u8; COMPARE_CHUNK],
        |buf, (rel, staged)| {
            let full = dir.join(rel);
            let linked = reuse.as_ref().is_some_and(|reuse| match staged {
                Staged::Bytes(bytes) => reuse.link_if_same(rel, bytes, &full, buf),
                Staged::Vault(file) => file
                    .sealed
                    .as_ref()
                    .is_some_and(|digest| reuse.link_if_digest(rel, digest, &full)),
            });
            if linked {
                reused.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            match staged {
                Staged::Bytes(bytes) => std::fs::write(&full, bytes).map_err(io(&full)),
                Staged::Vault(file) => copy_vault_file(file, &full, buf),
            }
        },
    )?;
    let reused = reused.into_inner();
    Ok(WriteStats {
        written: files.len() - reused,
        reused,
    })
}

/// Builds the new site beside `output`, then swaps it in. The previous site
/// is moved aside first and deleted only after the swap. Files of the
/// previous site that are unchanged are taken over as hard links, not
/// written again (see [`Reuse`]); the previous site is not modified.
pub fn write_atomically(
    site: &Site,
    vault: &Path,
    output: &Path,
) -> Result<WriteStats, WriteError> {
    check_output(vault, output)?;
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.spore-tmp-{pid}"));
    let retired = parent.join(format!(".{name}.spore-old-{pid}"));
    for leftover in [&staging, &retired] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).map_err(io(leftover))?;
        }
    }
    // check_output passed, so an existing output folder is ours (or empty).
    let previous = output.is_dir().then_some(output);
    let stats = match write_tree_reusing(site, &staging, previous) {
        Ok(stats) => stats,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let had_previous = output.exists();
    if had_previous {
        std::fs::rename(output, &retired).map_err(io(output))?;
    }
    if let Err(e) = std::fs::rename(&staging, output) {
        if had_previous {
            let _ = std::fs::rename(&retired, output);
        }
        return Err(io(output)(e));
    }
    if had_previous {
        remove_tree_parallel(&retired);
    }
    Ok(stats)
}

/// Deleting the previous site can cost more than building the new one:
/// delete its top-level entries in parallel.
fn remove_tree_parallel(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.par_iter().for_each(|p| {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
        });
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_vault_parent_and_foreign_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        assert!(matches!(
            check_output(&vault, &vault),
            Err(WriteError::OutputIsVault(_))
        ));
        assert!(matches!(
            check_output(&vault, tmp.path()),
            Err(WriteError::OutputContainsVault { .. })
        ));
        let foreign = tmp.path().join("docs");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("precious.txt"), "keep").unwrap();
        assert!(matches!(
            check_output(&vault, &foreign),
            Err(WriteError::NotOurs(_))
        ));
        assert!(check_output(&vault, &tmp.path().join("new")).is_ok());
    }

    #[test]
    fn swaps_in_and_replaces_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        let out = tmp.path().join("site");
        let mut site = Site::default();
        site.insert("a/b.html", b"one".to_vec());
        write_atomically(&site, &vault, &out).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.html")).unwrap(), b"one");
        let mut site2 = Site::default();
        site2.insert("c.html", b"two".to_vec());
        write_atomically(&site2, &vault, &out).unwrap();
        assert!(!out.join("a/b.html").exists());
        assert_eq!(std::fs::read(out.join("c.html")).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[test]
    fn rejects_escaping_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let mut site = Site::default();
        site.insert("../evil", b"x".to_vec());
        assert!(matches!(
            write_tree(&site, &tmp.path().join("o")),
            Err(WriteError::UnsafePath(_))
        ));
    }
}
