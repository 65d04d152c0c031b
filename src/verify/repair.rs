//! `--repair DIR`: rewrites missing or altered files of a local copy with
//! bytes from other copies, each written only after its SHA-256 matches the
//! reference. Files the reference does not list are left alone (reported
//! as EXTRA by the check).
//!
//! What repair will not do, whatever the copies say (the caller has
//! already refused a reference no trusted key signed, unless the user
//! accepted it):
//! - write into a folder that is neither a Spore copy (a readable manifest
//!   or the `.spore-output` marker) nor empty;
//! - write through a symbolic link: every component of every path is looked
//!   at without following links, and a link anywhere is refused. On Unix
//!   the copy's folder is then held open and each file's folders are
//!   opened from it one by one (`O_NOFOLLOW`), the new file created and
//!   renamed relative to the folder opened, so a folder swapped for a link
//!   after the checks is never followed (`nofollow.rs`);
//! - overwrite a file that the copy's own manifest does not list (it is
//!   someone's file, not the site's).
//!
//! Every path is checked before the first byte is written, so a refusal
//! leaves the copy as it was.

use super::observe::{CopyManifest, Observed, Seen};
use super::report::Repaired;
use super::source::{is_safe_path, Fetched, SINK_FAILED};
#[cfg(unix)]
use crate::nofollow::NoFollowDir;
use crate::seal::manifest::{SHARD_DIR, SIGNATURE_PATH};
use crate::seal::page::sha256_hex;
use crate::write::{MARKER, MARKER_TEXT};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RepairError {
    #[error("--repair needs a local folder")]
    NotLocal,
    #[error("cannot repair {0}: it is not a Spore copy (no readable integrity/manifest.json and no {MARKER} file) and not empty; refusing to write into it")]
    NotASporeCopy(PathBuf),
    #[error("cannot repair {0}: it is a symbolic link; repair never writes through one (remove the link and run again)")]
    Symlink(PathBuf),
    #[error("cannot repair {dir}: {path} is there, but the copy's own manifest does not list it, so it is not the site's to overwrite; move it away and run again")]
    Unlisted { dir: PathBuf, path: String },
    #[error("cannot repair {0}: it is not a folder")]
    NotAFolder(PathBuf),
    #[error("refusing unsafe path {0:?}")]
    UnsafePath(String),
    #[error("repair failed: {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RepairError + '_ {
    move |source| RepairError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What is at `path`, links not followed (`None`: nothing).
fn entry(path: &Path) -> Result<Option<std::fs::FileType>, RepairError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// The copy's root, resolved once (the user named it; links below it are
/// never followed). `None`: it does not exist yet.
fn resolve_root(root: &Path) -> Result<Option<PathBuf>, RepairError> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(Some(root.canonicalize().map_err(io(root))?)),
        Ok(_) => Err(RepairError::NotAFolder(root.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(root)(e)),
    }
}

/// A Spore copy (its manifest read, or the marker a build leaves) or an
/// empty folder: anything else is someone's folder.
fn is_spore_copy_or_empty(root: &Path, target: &Observed) -> Result<bool, RepairError> {
    if target.manifest.is_ok() || entry(&root.join(MARKER))?.is_some_and(|t| t.is_file()) {
        return Ok(true);
    }
    Ok(std::fs::read_dir(root).map_err(io(root))?.next().is_none())
}

/// Checks that `path` can be written below `root` without following a
/// link, and without overwriting a file `listed` does not hold.
fn check_path(root: &Path, path: &str, listed: &BTreeSet<&str>) -> Result<(), RepairError> {
    if !is_safe_path(path) {
        return Err(RepairError::UnsafePath(path.to_string()));
    }
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = path.split('/').collect();
    for (n, part) in parts.iter().enumerate() {
        at.push(part);
        let last = n + 1 == parts.len();
        match entry(&at)? {
            None => return Ok(()),
            Some(t) if t.is_symlink() => return Err(RepairError::Symlink(at)),
            Some(t) if t.is_dir() && !last => {}
            Some(t) if t.is_file() && last => {
                if !listed.contains(path) {
                    return Err(RepairError::Unlisted {
                        dir: root.to_path_buf(),
                        path: path.to_string(),
                    });
                }
            }
            Some(_) => return Err(RepairError::NotAFolder(at)),
        }
    }
    Ok(())
}

/// The copy's folder as repair writes it: on Unix held open from the
/// start, so every write is made relative to it, folder by folder, and no
/// link swapped in after the checks is ever followed.
struct Target {
    path: PathBuf,
    #[cfg(unix)]
    dir: NoFollowDir,
}

impl Target {
    fn open(path: PathBuf) -> Result<Target, RepairError> {
        Ok(Target {
            #[cfg(unix)]
            dir: NoFollowDir::open(&path).map_err(io(&path))?,
            path,
        })
    }
}

/// Writes `bytes` at `path` below the target (see [`write_with`]).
fn write_file(target: &Target, path: &str, bytes: &[u8]) -> Result<(), RepairError> {
    write_with(target, path, |f| f.write_all(bytes).map(|()| true)).map(|_| ())
}

/// The folder holding `path` below the target, opened (or created) one
/// folder at a time without following links, with its location and the
/// file's name; a link at that name is refused.
fn open_parent<'t, 'p>(
    target: &'t Target,
    path: &'p str,
) -> Result<(platform::Folder<'t>, PathBuf, &'p str), RepairError> {
    let (folders, name) = match path.rsplit_once('/') {
        Some((folders, name)) => (folders.split('/').collect(), name),
        None => (Vec::new(), path),
    };
    let (folder, at) = platform::open_folder(target, &folders)?;
    let full = at.join(name);
    if folder.is_link(name).map_err(io(&full))? {
        return Err(RepairError::Symlink(full));
    }
    Ok((folder, at, name))
}

/// Removes the regular file at `path` below the target (never a link,
/// never through one): a shard of the copy's own older version, which the
/// version repaired to no longer names.
fn remove_superseded(target: &Target, path: &str) -> Result<(), RepairError> {
    let (folder, at, name) = open_parent(target, path)?;
    let full = at.join(name);
    match folder.remove_file(name) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&full)(e)),
        _ => Ok(()),
    }
}

/// Writes the file at `path` below the target from whatever `fill` puts in
/// it (streamed from a donor copy: repair never holds a whole file in
/// memory). Folders are opened (or created) one at a time without
/// following links; `fill` writes into a new file (never through an
/// existing name) in the file's own folder, which is renamed over the old
/// file only when `fill` returns `Ok(true)`. `Ok(false)`: the bytes were
/// refused and nothing was written; `Err`: the disk failed.
fn write_with(
    target: &Target,
    path: &str,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<bool>,
) -> Result<bool, RepairError> {
    let (folder, at, name) = open_parent(target, path)?;
    let full = at.join(name);
    #[cfg(test)]
    crate::write::file::race::before_create();
    let tmp_name = format!(".{name}.spore-repair-{}", std::process::id());
    let tmp = at.join(&tmp_name);
    // Nothing was created on failure (a name already there, link or not,
    // is never written through nor removed).
    let mut file = folder.create_new(&tmp_name).map_err(io(&tmp))?;
    let filled = fill(&mut file).and_then(|ok| {
        if ok {
            file.sync_all()?;
        }
        Ok(ok)
    });
    drop(file);
    match filled {
        Ok(true) => folder.rename(&tmp_name, name).map(|()| true).map_err(|e| {
            let _ = folder.remove_file(&tmp_name);
            io(&full)(e)
        }),
        Ok(false) => {
            let _ = folder.remove_file(&tmp_name);
            Ok(false)
        }
        Err(e) => {
            let _ = folder.remove_file(&tmp_name);
            Err(io(&tmp)(e))
        }
    }
}

#[cfg(unix)]
mod platform {
    use super::{io, RepairError, Target};
    use crate::nofollow::{NoFollowDir, StepError, FILE_MODE};
    use std::ffi::OsStr;
    use std::path::PathBuf;

    /// A folder of the copy, held open: the target's own, or one below it.
    pub(super) struct Folder<'a> {
        root: &'a NoFollowDir,
        below: Option<NoFollowDir>,
    }

    /// Opens (or creates) `folders` below the target one by one, each
    /// relative to the one before, refusing a link; with the path it had,
    /// for messages.
    pub(super) fn open_folder<'a>(
        target: &'a Target,
        folders: &[&str],
    ) -> Result<(Folder<'a>, PathBuf), RepairError> {
        let mut at = target.path.clone();
        let mut folder = Folder {
            root: &target.dir,
            below: None,
        };
        for part in folders {
            at.push(part);
            let next = folder
                .dir()
                .open_or_create_dir(OsStr::new(part))
                .map_err(|e| match e {
                    StepError::Link => RepairError::Symlink(at.clone()),
                    StepError::NotAFolder => RepairError::NotAFolder(at.clone()),
                    StepError::Io(e) => io(&at)(e),
                })?;
            folder.below = Some(next);
        }
        Ok((folder, at))
    }

    impl Folder<'_> {
        fn dir(&self) -> &NoFollowDir {
            self.below.as_ref().unwrap_or(self.root)
        }

        pub(super) fn is_link(&self, name: &str) -> std::io::Result<bool> {
            Ok(self.dir().file_type(OsStr::new(name))? == Some(rustix::fs::FileType::Symlink))
        }

        pub(super) fn create_new(&self, name: &str) -> std::io::Result<std::fs::File> {
            self.dir().create_new(OsStr::new(name), FILE_MODE)
        }

        pub(super) fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
            self.dir().rename(OsStr::new(from), OsStr::new(to))
        }

        pub(super) fn remove_file(&self, name: &str) -> std::io::Result<()> {
            self.dir().remove_file(OsStr::new(name))
        }
    }
}

/// Without `openat`: each folder is looked at (links not followed) just
/// before it is used, and files are named by path.
#[cfg(not(unix))]
mod platform {
    use super::{entry, io, RepairError, Target};
    use std::path::PathBuf;

    /// A folder by path (the lifetime only matches the Unix `Folder`,
    /// which borrows the target's handle).
    pub(super) struct Folder<'a>(PathBuf, std::marker::PhantomData<&'a Target>);

    pub(super) fn open_folder<'a>(
        target: &'a Target,
        folders: &[&str],
    ) -> Result<(Folder<'a>, PathBuf), RepairError> {
        let mut dir = target.path.clone();
        for part in folders {
            dir.push(part);
            match entry(&dir)? {
                Some(t) if t.is_dir() => {}
                Some(t) if t.is_symlink() => return Err(RepairError::Symlink(dir)),
                Some(_) => return Err(RepairError::NotAFolder(dir)),
                None => match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    // Raced: look again, links still refused.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        if !entry(&dir)?.is_some_and(|t| t.is_dir()) {
                            return Err(RepairError::Symlink(dir));
                        }
                    }
                    Err(e) => return Err(io(&dir)(e)),
                },
            }
        }
        Ok((Folder(dir.clone(), std::marker::PhantomData), dir))
    }

    impl Folder<'_> {
        pub(super) fn is_link(&self, name: &str) -> std::io::Result<bool> {
            match std::fs::symlink_metadata(self.0.join(name)) {
                Ok(m) => Ok(m.file_type().is_symlink()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        }

        pub(super) fn create_new(&self, name: &str) -> std::io::Result<std::fs::File> {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.0.join(name))
        }

        pub(super) fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
            std::fs::rename(self.0.join(from), self.0.join(to))
        }

        pub(super) fn remove_file(&self, name: &str) -> std::io::Result<()> {
            std::fs::remove_file(self.0.join(name))
        }
    }
}

/// Refuses a target that is not a local folder holding a Spore copy or
/// nothing (checked first: no other answer matters for such a folder).
pub fn check_target(copy: &Observed) -> Result<(), RepairError> {
    let given = copy.source.folder().ok_or(RepairError::NotLocal)?;
    match resolve_root(given)? {
        Some(root) if !is_spore_copy_or_empty(&root, copy)? => {
            Err(RepairError::NotASporeCopy(given.to_path_buf()))
        }
        _ => Ok(()),
    }
}

/// Streams `path` from `donor` into `file`, hashing on the way: true when
/// exactly the expected bytes arrived.
fn copy_from(
    donor: &Observed,
    path: &str,
    size: u64,
    sha256: &str,
    file: &mut std::fs::File,
) -> std::io::Result<bool> {
    let mut sink = HashingWriter {
        file,
        sha: Sha256::new(),
    };
    match donor.source.stream(path, size, &mut sink) {
        Fetched::Found(n) => Ok(n == size && hex::encode(sink.sha.finalize()) == sha256),
        // A full disk under the spool file is the target's problem.
        Fetched::Failed(e) if e.starts_with(SINK_FAILED) => Err(std::io::Error::other(
            e.trim_start_matches(SINK_FAILED).to_string(),
        )),
        _ => Ok(false),
    }
}

struct HashingWriter<'a> {
    file: &'a mut std::fs::File,
    sha: Sha256,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Repairs `copies[target]` (a folder) from the others; the reference
/// manifest and signature come from memory.
pub fn repair(
    copies: &[Observed],
    target: usize,
    reference: &CopyManifest,
    reference_signature: Option<&str>,
    reference_label: &str,
) -> Result<Vec<Repaired>, RepairError> {
    let copy = &copies[target];
    let given = copy.source.folder().ok_or(RepairError::NotLocal)?;
    let root = match resolve_root(given)? {
        Some(root) => root,
        None => {
            std::fs::create_dir_all(given).map_err(io(given))?;
            resolve_root(given)?.ok_or_else(|| RepairError::NotAFolder(given.to_path_buf()))?
        }
    };
    // Held open from here on: the checks below and every write are about
    // this one folder.
    let target_dir = Target::open(root.clone())?;
    if !is_spore_copy_or_empty(&root, copy)? {
        return Err(RepairError::NotASporeCopy(given.to_path_buf()));
    }
    let have = |path: &str| {
        copy.files
            .get(path)
            .and_then(Seen::sha256)
            .map(str::to_string)
    };

    // The seal files follow from the reference manifest itself; the marker
    // (whose bytes are fixed) is put back where the reference lists it or
    // the copy has one with other bytes.
    let mut fixed: Vec<(String, Vec<u8>)> = super::judge::seal_files(reference);
    if let Some(sig) = reference_signature {
        fixed.push((SIGNATURE_PATH.into(), sig.as_bytes().to_vec()));
    }
    let copy_has_marker = matches!(
        copy.files.get(MARKER),
        Some(Seen::Present { .. }) | Some(Seen::TooLarge)
    );
    if copy_has_marker || reference.manifest.files.contains_key(MARKER) {
        fixed.push((MARKER.into(), MARKER_TEXT.as_bytes().to_vec()));
    }
    fixed.retain(|(path, bytes)| have(path).as_deref() != Some(sha256_hex(bytes).as_str()));
    let from_copies: Vec<(&String, &crate::seal::manifest::FileEntry)> = reference
        .manifest
        .files
        .iter()
        .filter(|(path, entry)| {
            path.as_str() != MARKER && have(path).as_deref() != Some(entry.sha256.as_str())
        })
        .collect();

    // Every path is checked before anything is written.
    let own_seal: Vec<String> = match &copy.manifest {
        Ok(own) => super::judge::expected_seal(own).into_keys().collect(),
        Err(_) => Vec::new(),
    };
    let mut listed: BTreeSet<&str> = crate::seal::manifest::SEAL_FILES_V1
        .iter()
        .copied()
        .chain([MARKER, SIGNATURE_PATH, crate::seal::manifest::METALINK_PATH])
        .chain(own_seal.iter().map(String::as_str))
        .collect();
    if let Ok(own) = &copy.manifest {
        listed.extend(own.manifest.files.keys().map(String::as_str));
    }
    for path in from_copies
        .iter()
        .map(|(p, _)| p.as_str())
        .chain(fixed.iter().map(|(p, _)| p.as_str()))
    {
        check_path(&root, path, &listed)?;
    }

    let mut repaired = Vec::new();
    for (path, entry) in from_copies {
        // Re-checked while copied: a donor may have changed since it was read.
        let mut donor = None;
        for (i, c) in copies.iter().enumerate() {
            if i == target
                || c.files.get(path).and_then(Seen::sha256) != Some(entry.sha256.as_str())
            {
                continue;
            }
            if write_with(&target_dir, path, |f| {
                copy_from(c, path, entry.size, &entry.sha256, f)
            })? {
                donor = Some(c.label.clone());
                break;
            }
        }
        if let Some(from) = donor {
            repaired.push(Repaired {
                path: path.clone(),
                from,
            });
        }
    }
    for (path, bytes) in fixed {
        write_file(&target_dir, &path, &bytes)?;
        repaired.push(Repaired {
            path,
            from: reference_label.to_string(),
        });
    }
    // The shards of the copy's own older version are Spore's files, named
    // by hashes the repaired root no longer lists: left, they would be
    // files no manifest names.
    let wanted = super::judge::expected_seal(reference);
    for path in own_seal
        .iter()
        .filter(|p| p.starts_with(SHARD_DIR) && !wanted.contains_key(*p))
    {
        if copy
            .files
            .get(path)
            .is_some_and(|s| matches!(s, Seen::Present { .. }))
        {
            remove_superseded(&target_dir, path)?;
        }
    }
    Ok(repaired)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::write::file::race;
    use std::os::unix::fs::symlink;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A folder swapped for a link after it was checked: no byte lands
    /// where the link leads (the write goes on in the folder it opened, or
    /// is refused).
    #[test]
    fn a_folder_swapped_for_a_link_mid_write_takes_no_byte_outside() {
        for depth in ["sub/a.txt", "sub/deeper/a.txt"] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().join("copy");
            let outside = tmp.path().join("outside");
            std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
            std::fs::create_dir(&outside).unwrap();
            std::fs::create_dir(outside.join("deeper")).unwrap();
            race::swap_for_link(root.join("sub"), root.join("moved"), outside.clone());
            let target = Target::open(root.clone()).unwrap();
            let result = write_file(&target, depth, b"repaired bytes");
            assert!(
                matches!(result, Ok(()) | Err(RepairError::Symlink(_))),
                "{depth}: {result:?}"
            );
            assert_eq!(entries(&outside), ["deeper"], "{depth}");
            assert!(entries(&outside.join("deeper")).is_empty(), "{depth}");
        }
    }

    /// The same race without a hook: another thread keeps swapping a folder
    /// for a link (and creating it anew) while files are written into it.
    #[test]
    fn a_folder_swapped_in_a_loop_never_leads_a_write_outside() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("copy");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, root, outside) = (stop.clone(), root.clone(), outside.clone());
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::fs::create_dir(root.join("sub"));
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    let _ = std::fs::rename(root.join("sub"), root.join(format!("old{n}")));
                    let _ = symlink(&outside, root.join("sub"));
                    std::thread::sleep(std::time::Duration::from_micros(50));
                    let _ = std::fs::remove_file(root.join("sub"));
                    n += 1;
                }
            })
        };
        let target = Target::open(root.clone()).unwrap();
        for n in 0..2000 {
            let result = write_file(&target, &format!("sub/f{n}.txt"), b"bytes");
            assert!(
                matches!(
                    result,
                    Ok(()) | Err(RepairError::Symlink(_)) | Err(RepairError::Io { .. })
                ),
                "{result:?}"
            );
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(entries(&outside).is_empty(), "{:?}", entries(&outside));
    }
}
