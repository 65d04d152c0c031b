//! Reading one vault file: the only way any stage reads a file of the
//! vault, for `spore build` and `spore serve` alike. It applies the walk's
//! rules again at the moment of reading, so a file swapped after the walk
//! (`git checkout`, a sync client and unzip replace files by links) cannot
//! bring in what the walk would have refused:
//!
//! - no folder on the way is a symbolic link (the walk never enters one);
//! - the file itself may be a symbolic link, but only to a regular file
//!   inside the vault and outside its hidden folders;
//! - only a regular file is opened: a FIFO, socket or device never is
//!   (opening a FIFO waits for a writer, forever), and the opened file is
//!   checked again, so a swap between the check and the open cannot hang
//!   the build or read something else.
//!
//! On Unix every folder is opened relative to the one before with
//! `O_NOFOLLOW`, so no link is followed behind the check's back.

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Component, Path};

/// Why a vault file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("symbolic link points outside the vault (or nowhere); not published")]
    OutsideVault,
    #[error("symbolic link points into a hidden folder or file; not published")]
    IntoHidden,
    #[error("a folder on its path is a symbolic link; not published")]
    LinkedFolder,
    #[error("not a regular file ({kind}); skipped without opening it")]
    NotAFile { kind: &'static str },
    /// A folder, or a link to one: never entered through a link, and
    /// skipped silently by the walk, which lists folders itself.
    #[error("a folder, not a file")]
    Folder,
    #[error("larger than {limit} bytes; skipped")]
    TooLarge { limit: u64 },
    #[error("not a path inside the vault")]
    BadPath,
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
}

impl ReadError {
    pub fn kind(&self) -> DiagnosticKind {
        match self {
            ReadError::OutsideVault | ReadError::IntoHidden | ReadError::LinkedFolder => {
                DiagnosticKind::Symlink
            }
            ReadError::NotAFile { .. } => DiagnosticKind::NotAFile,
            ReadError::Folder
            | ReadError::TooLarge { .. }
            | ReadError::BadPath
            | ReadError::Io(_) => DiagnosticKind::UnreadableFile,
        }
    }

    /// The warning for the vault file `rel` (vault-relative, NFC).
    pub fn diagnostic(&self, rel: &str) -> Diagnostic {
        Diagnostic::warning(self.kind(), rel, self.to_string())
    }
}

/// An opened vault file, known to be a regular file inside the vault.
#[derive(Debug)]
pub struct VaultFile {
    pub file: File,
    pub metadata: Metadata,
}

impl VaultFile {
    /// Modification time, seconds since the Unix epoch, if known.
    pub fn modified(&self) -> Option<i64> {
        self.metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
    }

    /// Reads the rest of the file, refusing one longer than `limit` bytes.
    pub fn read_to_end(self, limit: u64) -> Result<Vec<u8>, ReadError> {
        let expected = self.metadata.len().min(limit);
        let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        self.file
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::TooLarge { limit });
        }
        Ok(bytes)
    }
}

/// Opens the vault file at `path` (relative to `vault`, as spelled on disk;
/// an absolute path inside `vault` is accepted too) under the rules above.
pub fn open_vault_file(vault: &Path, path: &Path) -> Result<VaultFile, ReadError> {
    let path = path.strip_prefix(vault).unwrap_or(path);
    let mut parts: Vec<&OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => parts.push(name),
            Component::CurDir => {}
            _ => return Err(ReadError::BadPath),
        }
    }
    if parts.is_empty() {
        return Err(ReadError::BadPath);
    }
    platform::open_beneath(vault, &parts, true)
}

/// Reads a whole vault file (at most `limit` bytes) under the rules above.
pub fn read_vault_file(vault: &Path, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    open_vault_file(vault, path)?.read_to_end(limit)
}

/// A symbolic link at `parts`: allowed only to a regular file inside the
/// vault, outside hidden folders; opened by its real path, links refused.
fn follow_link(vault: &Path, parts: &[&OsStr]) -> Result<VaultFile, ReadError> {
    let canonical_vault = vault.canonicalize()?;
    let link = parts.iter().fold(vault.to_path_buf(), |p, n| p.join(n));
    let target = link.canonicalize().map_err(|_| ReadError::OutsideVault)?;
    let inner = target
        .strip_prefix(&canonical_vault)
        .map_err(|_| ReadError::OutsideVault)?;
    let inner: Vec<&OsStr> = inner.iter().collect();
    if inner.is_empty() {
        return Err(ReadError::Folder);
    }
    if inner
        .iter()
        .any(|n| n.as_encoded_bytes().first() == Some(&b'.'))
    {
        return Err(ReadError::IntoHidden);
    }
    platform::open_beneath(&canonical_vault, &inner, false)
}

pub(super) fn describe(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

#[cfg(unix)]
mod platform {
    use super::{describe, follow_link, ReadError, VaultFile};
    use crate::nofollow::{is_link_refusal as is_link, NoFollowDir, StepError};
    use rustix::fs::FileType;
    use std::ffi::OsStr;
    use std::path::Path;

    fn kind_of(file_type: FileType) -> &'static str {
        match file_type {
            FileType::Fifo => "a FIFO",
            FileType::Socket => "a socket",
            FileType::CharacterDevice | FileType::BlockDevice => "a device",
            _ => "not a file",
        }
    }

    /// Opens `parts` below `root` following no link but, when `follow_last`,
    /// a last component that is a link (by the vault's rule).
    pub fn open_beneath(
        root: &Path,
        parts: &[&OsStr],
        follow_last: bool,
    ) -> Result<VaultFile, ReadError> {
        let Some((last, folders)) = parts.split_last() else {
            return Err(ReadError::BadPath);
        };
        // The vault folder itself may be a link (a vault kept elsewhere).
        let mut dir = NoFollowDir::open(root)?;
        for name in folders {
            dir = dir.open_dir(name).map_err(|e| match e {
                StepError::Link => ReadError::LinkedFolder,
                StepError::NotAFolder => ReadError::Io(std::io::ErrorKind::NotADirectory.into()),
                StepError::Io(e) => ReadError::Io(e),
            })?;
        }
        match dir.file_type(last)? {
            Some(FileType::RegularFile) => {}
            Some(FileType::Symlink) if follow_last => return follow_link(root, parts),
            // A link where the real path had none: something is swapping.
            Some(FileType::Symlink) => return Err(ReadError::OutsideVault),
            Some(FileType::Directory) => return Err(ReadError::Folder),
            Some(other) => {
                return Err(ReadError::NotAFile {
                    kind: kind_of(other),
                })
            }
            None => return Err(ReadError::Io(std::io::ErrorKind::NotFound.into())),
        }
        // Should a FIFO be swapped in after the check, opening it returns
        // at once instead of waiting for a writer.
        let file = match dir.open_file(last) {
            Ok(file) => file,
            Err(e) if is_link(&e) && follow_last => return follow_link(root, parts),
            Err(e) if is_link(&e) => return Err(ReadError::OutsideVault),
            Err(e) => return Err(ReadError::Io(e)),
        };
        let metadata = file.metadata()?;
        if !metadata.file_type().is_file() {
            return Err(ReadError::NotAFile {
                kind: describe(metadata.file_type()),
            });
        }
        Ok(VaultFile { file, metadata })
    }
}

#[cfg(not(unix))]
mod platform {
    use super::{describe, follow_link, ReadError, VaultFile};
    use std::ffi::OsStr;
    use std::fs::File;
    use std::path::Path;

    /// Without `openat`: the real path must be the path asked for (no link
    /// on the way), checked before opening; the opened file's type after.
    pub fn open_beneath(
        root: &Path,
        parts: &[&OsStr],
        follow_last: bool,
    ) -> Result<VaultFile, ReadError> {
        let path = parts.iter().fold(root.to_path_buf(), |p, n| p.join(n));
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            return if follow_last {
                follow_link(root, parts)
            } else {
                Err(ReadError::OutsideVault)
            };
        }
        if meta.is_dir() {
            return Err(ReadError::Folder);
        }
        if !meta.is_file() {
            return Err(ReadError::NotAFile {
                kind: describe(meta.file_type()),
            });
        }
        let canonical_root = root.canonicalize()?;
        let expected = parts.iter().fold(canonical_root.clone(), |p, n| p.join(n));
        if path.canonicalize()? != expected {
            return Err(ReadError::LinkedFolder);
        }
        let file = File::open(&expected)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(ReadError::NotAFile {
                kind: describe(metadata.file_type()),
            });
        }
        Ok(VaultFile { file, metadata })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn vault() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir_all(vault.join("sub")).unwrap();
        std::fs::create_dir_all(vault.join(".hidden")).unwrap();
        std::fs::write(vault.join("sub/a.md"), "inside").unwrap();
        std::fs::write(vault.join(".hidden/h.md"), "hidden").unwrap();
        std::fs::write(tmp.path().join("secret"), "outside").unwrap();
        (tmp, vault)
    }

    fn read(vault: &Path, rel: &str) -> Result<Vec<u8>, ReadError> {
        read_vault_file(vault, Path::new(rel), u64::MAX)
    }

    #[test]
    fn plain_files_and_links_inside_are_read() {
        let (_tmp, v) = vault();
        assert_eq!(read(&v, "sub/a.md").unwrap(), b"inside");
        assert_eq!(
            read(&v, &v.join("sub/a.md").to_string_lossy()).unwrap(),
            b"inside"
        );
        symlink("sub/a.md", v.join("link.md")).unwrap();
        assert_eq!(read(&v, "link.md").unwrap(), b"inside");
    }

    #[test]
    fn links_out_hidden_or_through_folders_are_refused() {
        let (tmp, v) = vault();
        symlink(tmp.path().join("secret"), v.join("out.md")).unwrap();
        assert!(matches!(read(&v, "out.md"), Err(ReadError::OutsideVault)));
        symlink("../secret", v.join("rel.md")).unwrap();
        assert!(matches!(read(&v, "rel.md"), Err(ReadError::OutsideVault)));
        symlink("nowhere", v.join("dangling.md")).unwrap();
        assert!(matches!(
            read(&v, "dangling.md"),
            Err(ReadError::OutsideVault)
        ));
        symlink(".hidden/h.md", v.join("h.md")).unwrap();
        assert!(matches!(read(&v, "h.md"), Err(ReadError::IntoHidden)));
        symlink(tmp.path(), v.join("up")).unwrap();
        assert!(matches!(
            read(&v, "up/secret"),
            Err(ReadError::LinkedFolder)
        ));
        symlink("sub", v.join("side")).unwrap();
        assert!(matches!(
            read(&v, "side/a.md"),
            Err(ReadError::LinkedFolder)
        ));
        assert!(matches!(read(&v, "../secret"), Err(ReadError::BadPath)));
        assert!(matches!(read(&v, "/etc/passwd"), Err(ReadError::BadPath)));
    }

    #[test]
    fn fifos_are_never_opened_and_sizes_are_capped() {
        let (_tmp, v) = vault();
        let fifo = v.join("pipe.md");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(matches!(
            read(&v, "pipe.md"),
            Err(ReadError::NotAFile { kind: "a FIFO" })
        ));
        symlink("pipe.md", v.join("to-pipe.md")).unwrap();
        assert!(matches!(
            read(&v, "to-pipe.md"),
            Err(ReadError::NotAFile { .. })
        ));
        assert!(matches!(read(&v, "sub"), Err(ReadError::Folder)));
        symlink("sub", v.join("to-sub")).unwrap();
        assert!(matches!(read(&v, "to-sub"), Err(ReadError::Folder)));
        assert!(matches!(
            read_vault_file(&v, Path::new("sub/a.md"), 3),
            Err(ReadError::TooLarge { limit: 3 })
        ));
    }
}
