//! A folder held open, and everything below it reached relative to that
//! handle without following a symbolic link (Unix: `openat` with
//! `O_NOFOLLOW`). Checking a path with `symlink_metadata` and then using it
//! leaves a gap in which a local process can swap a folder for a link;
//! here there is no gap: each folder is opened from the one before, a link
//! is refused when it is opened, and files are created, renamed and removed
//! relative to the folder that was opened, whatever its path leads to now.
//! Used by every place that reads or writes below a folder it must not
//! leave: reading vault files, `verify --repair`, the verify state file;
//! [`open_file`] reads the output's previous manifest.

use rustix::fs::{
    linkat, mkdirat, openat, renameat, statat, unlinkat, AtFlags, FileType, Mode, OFlags,
};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Why a folder below the handle was not opened.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("is a symbolic link")]
    Link,
    #[error("is not a folder")]
    NotAFolder,
    /// `NotFound` when nothing is there.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A file anyone may read (0666 before the umask, as `File::create`).
pub const FILE_MODE: Mode = Mode::RUSR
    .union(Mode::WUSR)
    .union(Mode::RGRP)
    .union(Mode::WGRP)
    .union(Mode::ROTH)
    .union(Mode::WOTH);

/// An open folder.
#[derive(Debug)]
pub struct NoFollowDir(OwnedFd);

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Reading a file: a link refused (`O_NOFOLLOW`), a FIFO not waited on
/// for a writer (`O_NONBLOCK`).
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC);

/// Whether an open was refused because the last component is a link:
/// ELOOP (Linux), EMLINK (FreeBSD).
pub fn is_link_refusal(e: &io::Error) -> bool {
    matches!(Errno::from_io_error(e), Some(Errno::LOOP | Errno::MLINK))
}

/// Opens the file at `path` for reading, following links on the way (the
/// folders the caller named) but refusing one at `path` itself (see
/// [`is_link_refusal`]); a FIFO is not waited on.
pub fn open_file(path: &Path) -> io::Result<File> {
    Ok(File::from(rustix::fs::open(
        path,
        FILE_FLAGS,
        Mode::empty(),
    )?))
}

impl NoFollowDir {
    /// Opens `path`, following links on the way: it is the folder the
    /// user named (a vault or a copy kept elsewhere); nothing below it is
    /// followed.
    pub fn open(path: &Path) -> io::Result<NoFollowDir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Ok(NoFollowDir(rustix::fs::open(path, flags, Mode::empty())?))
    }

    /// What is at `name` in this folder, a link not followed (`None`:
    /// nothing).
    pub fn file_type(&self, name: &OsStr) -> io::Result<Option<FileType>> {
        match statat(&self.0, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens the folder `name` in this one; a link there is refused, never
    /// followed.
    pub fn open_dir(&self, name: &OsStr) -> Result<NoFollowDir, StepError> {
        match openat(&self.0, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(NoFollowDir(fd)),
            // ELOOP (Linux), EMLINK (FreeBSD): the last component is a
            // link; ENOTDIR: a file, or (some systems) a link.
            Err(e @ (Errno::LOOP | Errno::MLINK | Errno::NOTDIR)) => {
                Err(match self.file_type(name)? {
                    Some(FileType::Symlink) => StepError::Link,
                    Some(FileType::Directory) | None => StepError::Io(e.into()),
                    Some(_) => StepError::NotAFolder,
                })
            }
            Err(e) => Err(StepError::Io(e.into())),
        }
    }

    /// Opens the folder `name` in this one, creating it first if nothing
    /// is there; a link is refused whether it was there before or planted
    /// between the creation and the opening.
    pub fn open_or_create_dir(&self, name: &OsStr) -> Result<NoFollowDir, StepError> {
        match self.open_dir(name) {
            Err(StepError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                match mkdirat(
                    &self.0,
                    name,
                    Mode::RWXU.union(Mode::RWXG).union(Mode::RWXO),
                ) {
                    Ok(()) | Err(Errno::EXIST) => self.open_dir(name),
                    Err(e) => Err(StepError::Io(e.into())),
                }
            }
            other => other,
        }
    }

    /// Creates the new file `name` here for writing (`O_EXCL`: never
    /// through a name already there, link or not) with `mode` (before the
    /// umask: e.g. [`FILE_MODE`]).
    pub fn create_new(&self, name: &OsStr, mode: Mode) -> io::Result<File> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = openat(&self.0, name, flags, mode)?;
        Ok(File::from(fd))
    }

    /// Opens the existing file `name` here for reading, a link at `name`
    /// refused (`O_NONBLOCK`: a FIFO does not wait for a writer).
    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        Ok(File::from(openat(
            &self.0,
            name,
            FILE_FLAGS,
            Mode::empty(),
        )?))
    }

    /// Renames `from` to `to`, both in this folder (`to` is replaced
    /// whole: a link there is replaced, never followed).
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        Ok(renameat(&self.0, from, &self.0, to)?)
    }

    /// Gives the file `from` the second name `to`, both in this folder;
    /// `AlreadyExists` when anything (even a link) is at `to`.
    pub fn hard_link(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        Ok(linkat(&self.0, from, &self.0, to, AtFlags::empty())?)
    }

    /// Removes the file (or link) `name` in this folder; nothing there is
    /// not an error.
    pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        match unlinkat(&self.0, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_below_the_handle_are_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(root.join("file"), "x").unwrap();
        symlink(&outside, root.join("link")).unwrap();
        symlink(outside.join("planted"), root.join("dangling")).unwrap();
        let dir = NoFollowDir::open(&root).unwrap();
        let name = OsStr::new;
        assert!(matches!(dir.open_dir(name("link")), Err(StepError::Link)));
        assert!(matches!(
            dir.open_or_create_dir(name("link")),
            Err(StepError::Link)
        ));
        assert!(matches!(
            dir.open_dir(name("file")),
            Err(StepError::NotAFolder)
        ));
        assert!(matches!(
            dir.open_dir(name("none")),
            Err(StepError::Io(e)) if e.kind() == io::ErrorKind::NotFound
        ));
        let made = dir.open_or_create_dir(name("made")).unwrap();
        assert!(root.join("made").is_dir());
        assert!(dir.create_new(name("dangling"), FILE_MODE).is_err());
        assert!(dir.create_new(name("link"), FILE_MODE).is_err());
        assert!(!outside.join("planted").exists());
        assert!(dir.open_file(name("dangling")).is_err());

        // Held folders stay what they were opened as, whatever their
        // path leads to now.
        let sub = dir.open_dir(name("sub")).unwrap();
        std::fs::rename(root.join("sub"), root.join("moved")).unwrap();
        symlink(&outside, root.join("sub")).unwrap();
        sub.create_new(name("new"), FILE_MODE)
            .unwrap()
            .write_all(b"bytes")
            .unwrap();
        sub.rename(name("new"), name("final")).unwrap();
        assert_eq!(std::fs::read(root.join("moved/final")).unwrap(), b"bytes");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        sub.remove_file(name("final")).unwrap();
        sub.remove_file(name("final")).unwrap();
        assert_eq!(made.file_type(name("x")).unwrap(), None);
    }
}
