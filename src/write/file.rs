//! Writing one small file the user keeps (a secret key, `book.toml`): never
//! through or over a symlink, never half-written. The bytes go to a new
//! temporary file in the same folder (created exclusively, so no symlink is
//! followed), which is then linked or renamed into place.

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
/// the moment they exist (on Unix).
pub fn write_file(
    path: &Path,
    bytes: &[u8],
    private: bool,
    existing: Existing,
) -> Result<(), FileError> {
    check_target(path, existing)?;
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temp(folder, &name, private).map_err(io)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let placed = written.and_then(|()| place(&temp, path, existing));
    let _ = std::fs::remove_file(&temp);
    match placed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(FileError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

/// A new file beside the target, created exclusively (`O_EXCL` never
/// follows a symlink).
fn create_temp(
    folder: &Path,
    name: &str,
    private: bool,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let temp = folder.join(format!(".{name}.spore-new-{pid}-{attempt}"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = private;
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Moves the finished temporary file to `path`. Without replacing, a hard
/// link puts it there only if nothing is there (not even a symlink);
/// renaming replaces the entry itself, never what a link points to.
fn place(temp: &Path, path: &Path, existing: Existing) -> std::io::Result<()> {
    if existing == Existing::Refuse {
        match std::fs::hard_link(temp, path) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
            // No hard links here (FAT, some network shares): check, then rename.
            Err(_) => {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
            }
        }
    }
    std::fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

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
