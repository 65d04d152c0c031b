//! Writing a site while it is made: `spore build` puts each page into the
//! staging folder as soon as it is sealed, so the site's bytes are never
//! all in memory, and swaps the folder in at the end, exactly as
//! [`super::write_atomically`] does with a site made in memory. Until
//! [`Staging::commit`], the output folder is untouched; a staging that is
//! dropped (an error, a panic) is removed, and one left by a killed build
//! is removed by the next ([`super::leftovers`]).

use super::tree::{put_one, remove_tree, safe_relative, Reuse, Staged, COMPARE_CHUNK};
use super::{check_output, io, is_mount_point, leftovers, swap, WriteError, WriteStats};
use crate::site::{SiteFile, MARKER, MARKER_TEXT};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Where the staging folder is, which decides how it is swapped in.
enum Place {
    /// Beside the output folder: one exchange (or two renames).
    Beside { parent: PathBuf, name: String },
    /// Inside it (a mount point, or a parent we cannot write): entry by
    /// entry.
    Inside,
}

/// A site being written: files go in as they are made, in any order and
/// from any thread.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    place: Place,
    reuse: Option<Reuse>,
    /// Folders made so far (each is made once).
    folders: Mutex<HashSet<PathBuf>>,
    written: AtomicUsize,
    reused: AtomicUsize,
    committed: bool,
}

impl Staging {
    /// Checks the output folder (the same refusals as every write), removes
    /// what interrupted builds left, and makes the staging folder with the
    /// marker in it first.
    pub fn begin(vault: &Path, output: &Path) -> Result<Staging, WriteError> {
        let target = check_output(vault, output)?;
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".into());
        leftovers::remove(parent.as_deref(), &name, &target);
        let exists = target.is_dir();
        let pid = std::process::id();
        let beside = match &parent {
            Some(parent) if !(exists && is_mount_point(&target)) => {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
                let dir = leftovers::staging_beside(parent, &name, pid);
                match std::fs::create_dir(&dir) {
                    Ok(()) => Some((dir, parent.clone())),
                    // A web root is often writable while its parent is not.
                    Err(e) if exists && e.kind() == std::io::ErrorKind::PermissionDenied => None,
                    Err(e) => return Err(io(&dir)(e)),
                }
            }
            _ => None,
        };
        let (dir, place) = match beside {
            Some((dir, parent)) => (dir, Place::Beside { parent, name }),
            None => {
                std::fs::create_dir_all(&target).map_err(io(&target))?;
                let dir = leftovers::staging_inside(&target, pid);
                std::fs::create_dir(&dir).map_err(io(&dir))?;
                (dir, Place::Inside)
            }
        };
        let staging = Staging {
            reuse: exists.then(|| Reuse::new(&target)),
            target,
            dir,
            place,
            folders: Mutex::new(HashSet::new()),
            written: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            committed: false,
        };
        let marker = staging.dir.join(MARKER);
        std::fs::write(&marker, MARKER_TEXT).map_err(io(&marker))?;
        staging.written.fetch_add(1, Ordering::Relaxed);
        Ok(staging)
    }

    /// Puts one file of the site in (the marker is there already).
    pub fn put(&self, path: &str, file: &SiteFile) -> Result<(), WriteError> {
        let rel = safe_relative(path)?;
        if rel == Path::new(MARKER) {
            return Ok(());
        }
        if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Made before it is marked made: another thread that finds it
            // marked may write into it at once.
            let made = self
                .folders
                .lock()
                .map(|f| f.contains(parent))
                .unwrap_or(false);
            if !made {
                let full = self.dir.join(parent);
                std::fs::create_dir_all(&full).map_err(io(&full))?;
                if let Ok(mut f) = self.folders.lock() {
                    f.insert(parent.to_path_buf());
                }
            }
        }
        let staged = match file {
            SiteFile::Made(bytes) => Staged::Bytes(bytes),
            SiteFile::Vault(file) => Staged::Vault(file),
            SiteFile::Deferred(later) => Staged::Bytes(later.bytes()),
        };
        thread_local! {
            static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; COMPARE_CHUNK]);
        }
        let linked = BUF.with(|buf| {
            put_one(
                &self.dir,
                &rel,
                &staged,
                self.reuse.as_ref(),
                &mut buf.borrow_mut(),
            )
        })?;
        let counter = if linked { &self.reused } else { &self.written };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Swaps the staged site in for the output folder.
    pub fn commit(mut self) -> Result<WriteStats, WriteError> {
        self.committed = true;
        let stats = WriteStats {
            written: self.written.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
        };
        let os = swap::Os;
        let result = match &self.place {
            Place::Beside { parent, name } => {
                super::swap_beside(&self.dir, &self.target, parent, name, &os)
            }
            Place::Inside => {
                let retired = leftovers::retired_inside(&self.target, std::process::id());
                let result = super::swap_entries(&self.target, &self.dir, &retired, &os);
                remove_tree(&retired);
                result
            }
        };
        // Whatever happened, the staging folder (or, after an exchange,
        // the previous site under its name) goes.
        remove_tree(&self.dir);
        result.map(|()| stats)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            remove_tree(&self.dir);
        }
    }
}
