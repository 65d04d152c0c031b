//! Writing one small file the user keeps (a secret key, `book.toml`): never
//! through or over a symlink, never half-written. The bytes go to a new
//! temporary file in the same folder (created exclusively, so no symlink is
//! followed), which is then linked or renamed into place.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What to do when the file is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Refuse,
    Replace,
}

#[derive(Debug, Error)]
pub enum FileError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("{0} is a symlink; refusing to write through it or over it")]
    Symlink(PathBuf),
    #[error("{0} is a folder")]
    Folder(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Whether `path` may be written: refused when it is a symlink (even a
/// dangling one), a folder, or (with [`Existing::Refuse`]) any entry.
pub fn check_target(path: &Path, existing: Existing) -> Result<(), FileError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(FileError::Symlink(path.to_path_buf())),
        Ok(m) if m.is_dir() => Err(FileError::Folder(path.to_path_buf())),
        Ok(_) if existing == Existing::Refuse => Err(FileError::Exists(path.to_path_buf())),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` atomically. `private` files get mode 0600 from
/// the moment they exist (on Unix). On Unix the folder is opened once and
/// the check, the temporary file and its placing are all made relative to
/// it, so a folder swapped for a link meanwhile is never followed.
pub fn write_file(
    path: &Path,
    bytes: &[u8],
    private: bool,
    existing: Existing,
) -> Result<(), FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let folder = platform::Folder::open(folder).map_err(io)?;
    match folder.file_type(name).map_err(io)? {
        Some(Entry::Link) => return Err(FileError::Symlink(path.to_path_buf())),
        Some(Entry::Folder) => return Err(FileError::Folder(path.to_path_buf())),
        Some(Entry::Other) if existing == Existing::Refuse => {
            return Err(FileError::Exists(path.to_path_buf()))
        }
        _ => {}
    }
    #[cfg(test)]
    race::before_create();
    let (temp, mut file) = create_temp(&folder, &name.to_string_lossy(), private).map_err(io)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let placed = written.and_then(|()| place(&folder, &temp, name, existing));
    let _ = folder.remove_file(&temp);
    match placed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(FileError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

/// What is at a name, links not followed.
enum Entry {
    Link,
    Folder,
    Other,
}

/// A new file beside the target, created exclusively (`O_EXCL` never
/// follows a symlink).
fn create_temp(
    folder: &platform::Folder,
    name: &str,
    private: bool,
) -> std::io::Result<(OsString, std::fs::File)> {
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let temp = OsString::from(format!(".{name}.spore-new-{pid}-{attempt}"));
        match folder.create_new(&temp, private) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Moves the finished temporary file to `name`. Without replacing, a hard
/// link puts it there only if nothing is there (not even a symlink);
/// renaming replaces the entry itself, never what a link points to.
fn place(
    folder: &platform::Folder,
    temp: &OsStr,
    name: &OsStr,
    existing: Existing,
) -> std::io::Result<()> {
    if existing == Existing::Refuse {
        match folder.hard_link(temp, name) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
            // No hard links here (FAT, some network shares): check, then rename.
            Err(_) => {
                if folder.file_type(name)?.is_some() {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
            }
        }
    }
    folder.rename(temp, name)
}

#[cfg(unix)]
mod platform {
    use super::Entry;
    use crate::nofollow::{NoFollowDir, FILE_MODE};
    use rustix::fs::{FileType, Mode};
    use std::ffi::OsStr;
    use std::path::Path;

    /// The folder, held open.
    pub(super) struct Folder(NoFollowDir);

    impl Folder {
        pub(super) fn open(path: &Path) -> std::io::Result<Folder> {
            NoFollowDir::open(path).map(Folder)
        }

        pub(super) fn file_type(&self, name: &OsStr) -> std::io::Result<Option<Entry>> {
            Ok(self.0.file_type(name)?.map(|t| match t {
                FileType::Symlink => Entry::Link,
                FileType::Directory => Entry::Folder,
                _ => Entry::Other,
            }))
        }

        pub(super) fn create_new(
            &self,
            name: &OsStr,
            private: bool,
        ) -> std::io::Result<std::fs::File> {
            let owner = Mode::RUSR | Mode::WUSR;
            let mode = if private {
                owner
            } else {
                FILE_MODE.difference(Mode::WGRP | Mode::WOTH)
            };
            self.0.create_new(name, mode)
        }

        pub(super) fn hard_link(&self, from: &OsStr, to: &OsStr) -> std::io::Result<()> {
            self.0.hard_link(from, to)
        }

        pub(super) fn rename(&self, from: &OsStr, to: &OsStr) -> std::io::Result<()> {
            self.0.rename(from, to)
        }

        pub(super) fn remove_file(&self, name: &OsStr) -> std::io::Result<()> {
            self.0.remove_file(name)
        }
    }
}

/// Without `openat`: the same steps, by path.
#[cfg(not(unix))]
mod platform {
    use super::Entry;
    use std::ffi::OsStr;
    use std::path::{Path, PathBuf};

    pub(super) struct Folder(PathBuf);

    impl Folder {
        pub(super) fn open(path: &Path) -> std::io::Result<Folder> {
            Ok(Folder(path.to_path_buf()))
        }

        pub(super) fn file_type(&self, name: &OsStr) -> std::io::Result<Option<Entry>> {
            match std::fs::symlink_metadata(self.0.join(name)) {
                Ok(m) if m.file_type().is_symlink() => Ok(Some(Entry::Link)),
                Ok(m) if m.is_dir() => Ok(Some(Entry::Folder)),
                Ok(_) => Ok(Some(Entry::Other)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }

        pub(super) fn create_new(
            &self,
            name: &OsStr,
            _private: bool,
        ) -> std::io::Result<std::fs::File> {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.0.join(name))
        }

        pub(super) fn hard_link(&self, from: &OsStr, to: &OsStr) -> std::io::Result<()> {
            std::fs::hard_link(self.0.join(from), self.0.join(to))
        }

        pub(super) fn rename(&self, from: &OsStr, to: &OsStr) -> std::io::Result<()> {
            std::fs::rename(self.0.join(from), self.0.join(to))
        }

        pub(super) fn remove_file(&self, name: &OsStr) -> std::io::Result<()> {
            std::fs::remove_file(self.0.join(name))
        }
    }
}

/// Tests' way in between a write's checks and its first byte: where a
/// local process would swap a folder for a link. Every writer that holds
/// a folder open calls [`race::before_create`] there (this module,
/// `verify --repair`).
#[cfg(test)]
pub(crate) mod race {
    use std::cell::RefCell;
    #[cfg(unix)]
    use std::path::PathBuf;

    thread_local! {
        static BEFORE_CREATE: RefCell<Option<Box<dyn FnOnce()>>> = RefCell::new(None);
    }

    /// At the next write on this thread: `folder` is moved to `moved` and
    /// a link to `outside` put where it was.
    #[cfg(unix)]
    pub(crate) fn swap_for_link(folder: PathBuf, moved: PathBuf, outside: PathBuf) {
        let swap = move || {
            std::fs::rename(&folder, &moved).unwrap();
            std::os::unix::fs::symlink(&outside, &folder).unwrap();
        };
        BEFORE_CREATE.with(|h| *h.borrow_mut() = Some(Box::new(swap)));
    }

    /// Runs (and forgets) the hook set on this thread, if any.
    pub(crate) fn before_create() {
        if let Some(hook) = BEFORE_CREATE.with(|h| h.borrow_mut().take()) {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folder swapped for a link after the check: the file lands in the
    /// folder that was checked, nothing where the link leads.
    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_mid_write_is_not_followed() {
        for existing in [Existing::Refuse, Existing::Replace] {
            let tmp = tempfile::tempdir().unwrap();
            let keys = tmp.path().join("keys");
            let moved = tmp.path().join("moved");
            let outside = tmp.path().join("outside");
            std::fs::create_dir(&keys).unwrap();
            std::fs::create_dir(&outside).unwrap();
            race::swap_for_link(keys.clone(), moved.clone(), outside.clone());
            write_file(&keys.join("secret.key"), b"secret", true, existing).unwrap();
            assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
            assert_eq!(std::fs::read(moved.join("secret.key")).unwrap(), b"secret");
        }
    }

    #[test]
    fn refuses_existing_files_and_every_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.txt");
        write_file(&path, b"one", false, Existing::Refuse).unwrap();
        assert!(matches!(
            write_file(&path, b"two", false, Existing::Refuse),
            Err(FileError::Exists(_))
        ));
        write_file(&path, b"two", false, Existing::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        for existing in [Existing::Refuse, Existing::Replace] {
            let link = tmp.path().join("link");
            let target = tmp.path().join("target");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            assert!(matches!(
                write_file(&link, b"x", true, existing),
                Err(FileError::Symlink(_))
            ));
            assert!(!target.exists());
            std::fs::remove_file(&link).unwrap();
        }
        let mut left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("k");
        std::fs::write(&path, "old").unwrap();
        write_file(&path, b"secret", true, Existing::Replace).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
