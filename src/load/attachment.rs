//! Attachments are published exactly as they are, so they are never held in
//! memory: loading one records where it is and what it was
//! ([`FileIdentity`]) without opening it. Its bytes are read only when a
//! published note uses it — hashed by `seal`, copied by the writer,
//! streamed by `serve` — and always through [`open`], which refuses a file
//! that is no longer the one the walk let in (so a file swapped for a
//! symlink out of the vault after the walk is never read).

use super::read::{open_vault_file, ReadError};
use super::secret_keys::{key_file_kind, SEARCHED_BYTES};
use super::WalkedFile;
use crate::site::FileDigest;
use sha2::{Digest, Sha256};
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Attachments are read in pieces of this size: memory per file read is
/// this buffer, whatever the file's size.
pub const CHUNK: usize = 64 * 1024;

/// A non-note vault file (image, PDF, video…): where it is and what it was
/// when the vault was walked. Holds no bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attachment {
    /// Vault-relative path, `/`-separated, NFC.
    pub path: String,
    /// Where the bytes are (a symlink inside the vault: its target).
    pub abs: PathBuf,
    /// The vault, and the path in it as spelled on disk: what the one
    /// vault reader ([`crate::load::open_vault_file`]) is given.
    pub vault: PathBuf,
    pub disk: PathBuf,
    /// What kind of secret key the file holds, for a small file (at most
    /// [`SEARCHED_BYTES`]) that is one: never published, links to it stay
    /// unresolved. A larger file is not read here; sealing refuses it if
    /// its head turns out to be a key ([`hash`]).
    pub secret_key: Option<&'static str>,
    pub identity: FileIdentity,
}

/// Which file (device and inode) and which version of it (length, change
/// times) a path held when it was looked at. Two equal identities mean the
/// same, unchanged file: `serve` reuses an attachment's hash while its
/// identity stays the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    pub len: u64,
    /// Modification time, nanoseconds since the epoch, where known.
    pub modified_ns: Option<i128>,
    /// Unix: status change time in nanoseconds, which no program can set
    /// back (a write that restores the mtime still changes it).
    pub changed_ns: Option<i128>,
    /// Unix: device and inode number.
    pub inode: Option<(u64, u64)>,
    /// Creation time in nanoseconds, where the file system keeps one: file
    /// systems hand a freed inode number to the next new file at once, so
    /// the number alone does not tell a replaced file from the original.
    pub born_ns: Option<i128>,
}

impl FileIdentity {
    pub fn of(meta: &Metadata) -> FileIdentity {
        let modified_ns =
            meta.modified()
                .ok()
                .map(|t| match t.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => d.as_nanos() as i128,
                    Err(e) => -(e.duration().as_nanos() as i128),
                });
        #[cfg(unix)]
        let (changed_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                Some(i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec())),
                Some((meta.dev(), meta.ino())),
            )
        };
        #[cfg(not(unix))]
        let (changed_ns, inode) = (None, None);
        let born_ns = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128);
        FileIdentity {
            len: meta.len(),
            modified_ns,
            changed_ns,
            inode,
            born_ns,
        }
    }

    /// Whether `other` is the same file (possibly edited since).
    pub fn same_file(&self, other: &FileIdentity) -> bool {
        self.inode == other.inode && self.born_ns == other.born_ns
    }
}

#[derive(Debug, Error)]
pub enum AttachmentError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path} was replaced while the site was being built (it is no longer the file the vault walk found); build again")]
    Replaced { path: String },
    #[error("{path} holds {kind}: never published")]
    SecretKey { path: String, kind: &'static str },
}

impl AttachmentError {
    /// Vault-relative path of the attachment concerned.
    pub fn path(&self) -> &str {
        match self {
            AttachmentError::Io { path, .. }
            | AttachmentError::Replaced { path }
            | AttachmentError::SecretKey { path, .. } => path,
        }
    }

    fn io(path: &str) -> impl FnOnce(io::Error) -> AttachmentError + '_ {
        move |source| AttachmentError::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// Looks at a walked file without opening it: its identity, or why it
/// cannot be an attachment.
pub fn identify(vault: &Path, file: &WalkedFile) -> io::Result<Attachment> {
    let meta = std::fs::metadata(&file.abs)?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    // Key files are small: reading the few files as small as a key costs
    // little, and no large attachment is read before it is published.
    let secret_key = if meta.len() <= SEARCHED_BYTES as u64 {
        let head = open_vault_file(vault, &file.disk)
            .and_then(|opened| opened.read_to_end(SEARCHED_BYTES as u64))
            .map_err(|e| match e {
                ReadError::Io(e) => e,
                other => io::Error::other(other.to_string()),
            })?;
        key_file_kind(&head)
    } else {
        None
    };
    Ok(Attachment {
        path: file.rel.clone(),
        identity: FileIdentity::of(&meta),
        abs: file.abs.clone(),
        vault: vault.to_path_buf(),
        disk: file.disk.clone(),
        secret_key,
    })
}

/// Opens an attachment for reading: the one way any stage reads one. The
/// opened file must be the very file the walk found (same device and
/// inode), so a path swapped for a symlink, a FIFO or another file since
/// is refused rather than read.
pub fn open(attachment: &Attachment) -> Result<File, AttachmentError> {
    let path = attachment.path.as_str();
    // The one vault reader: no link followed on the way, a link only to a
    // regular file inside the vault, no FIFO opened.
    let opened = match open_vault_file(&attachment.vault, &attachment.disk) {
        Ok(opened) => opened,
        Err(ReadError::Io(e)) => return Err(AttachmentError::io(path)(e)),
        Err(_) => return Err(AttachmentError::Replaced { path: path.into() }),
    };
    if !opened.metadata.is_file()
        || !attachment
            .identity
            .same_file(&FileIdentity::of(&opened.metadata))
    {
        return Err(AttachmentError::Replaced { path: path.into() });
    }
    Ok(opened.file)
}

/// SHA-256 and size of an attachment, read in [`CHUNK`]s.
/// Its head is searched for a secret key on the way (a file too large to be
/// looked at by [`identify`] can still start with one): such a file is
/// refused, never hashed for publishing.
pub fn hash(attachment: &Attachment) -> Result<FileDigest, AttachmentError> {
    let path = &attachment.path;
    let mut file = open(attachment)?;
    let mut head = Vec::with_capacity(CHUNK);
    (&mut file)
        .take(SEARCHED_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(AttachmentError::io(path))?;
    if let Some(kind) = key_file_kind(&head) {
        return Err(AttachmentError::SecretKey {
            path: path.clone(),
            kind,
        });
    }
    digest_of(io::Cursor::new(head).chain(file)).map_err(AttachmentError::io(path))
}

/// SHA-256 and size of everything `reader` gives, read in [`CHUNK`]s.
pub fn digest_of(mut reader: impl Read) -> io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileDigest {
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(dir: &Path, name: &str) -> WalkedFile {
        WalkedFile {
            abs: dir.join(name),
            rel: name.to_string(),
            disk: PathBuf::from(name),
        }
    }

    fn attachment(dir: &Path, name: &str, bytes: &[u8]) -> Attachment {
        std::fs::write(dir.join(name), bytes).unwrap();
        identify(dir, &walked(dir, name)).unwrap()
    }

    #[test]
    fn hashes_what_is_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let a = attachment(tmp.path(), "a.bin", b"hello");
        let d = hash(&a).unwrap();
        assert_eq!(d.size, 5);
        assert_eq!(
            d.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn a_file_replaced_since_the_walk_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let a = attachment(tmp.path(), "a.bin", b"hello");
        let outside = tmp.path().join("secret");
        std::fs::write(&outside, b"secret").unwrap();
        // Replaced by another file (rename over it: a new inode).
        std::fs::rename(&outside, &a.abs).unwrap();
        assert!(matches!(open(&a), Err(AttachmentError::Replaced { .. })));
        // Replaced by a symlink.
        #[cfg(unix)]
        {
            let secret = tmp.path().join("secret2");
            std::fs::write(&secret, b"secret").unwrap();
            std::fs::remove_file(&a.abs).unwrap();
            std::os::unix::fs::symlink(&secret, &a.abs).unwrap();
            assert!(matches!(open(&a), Err(AttachmentError::Replaced { .. })));
        }
    }

    #[test]
    fn an_edit_in_place_is_still_the_same_file_with_a_new_identity() {
        let tmp = tempfile::tempdir().unwrap();
        let a = attachment(tmp.path(), "a.bin", b"hello");
        // `fs::write` truncates and writes the same inode.
        std::fs::write(&a.abs, b"hello, world").unwrap();
        assert!(open(&a).is_ok());
        let again = identify(tmp.path(), &walked(tmp.path(), "a.bin")).unwrap();
        assert_ne!(again.identity, a.identity);
        assert_eq!(hash(&again).unwrap().size, 12);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let a = attachment(tmp.path(), "gone.bin", b"x");
        std::fs::remove_file(&a.abs).unwrap();
        let e = hash(&a).unwrap_err();
        assert!(e.to_string().contains("gone.bin"), "{e}");
    }
}
