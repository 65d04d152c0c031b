//! Where a note's text is when a page needs it. `serve` and the in-memory
//! build hold every body; the streaming build (`spore build`) lets them go
//! once the index is made and reads a note again from the vault when its
//! page (or a page embedding it) is rendered, so its memory holds the
//! notes' metadata, never their text (issue 14: the 50,000-note vault has
//! 168 MB of Markdown).
//!
//! A note read again must be the very file the index was made from: its
//! SHA-256 is compared with the one loaded, and a note that changed, moved
//! or became unreadable during the build fails the build before anything
//! is swapped in (it may have become private meanwhile: fail closed).

use crate::load::{Note, ReadError};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a note could not be read again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}; build again")]
pub struct BodyError {
    /// Vault-relative path of the note.
    pub path: String,
    pub reason: String,
}

/// The notes' bodies: in memory, or in the vault.
#[derive(Debug, Default)]
pub enum Bodies {
    #[default]
    Held,
    OnDisk(OnDisk),
}

/// Bodies left in the vault, read again on demand.
#[derive(Debug)]
pub struct OnDisk {
    /// `None` until the index is told where the vault is.
    vault: Option<PathBuf>,
    /// What could not be read again, in the order it happened.
    failed: Mutex<Vec<BodyError>>,
}

impl Bodies {
    /// The body of `note`: borrowed when held, else read again. A note
    /// that cannot be read again is recorded (see [`Bodies::failed`]) and
    /// gives an empty body.
    pub fn of<'a>(&self, note: &'a Note) -> Cow<'a, str> {
        match self {
            Bodies::Held => Cow::Borrowed(&note.body),
            Bodies::OnDisk(on_disk) => match on_disk.read(note) {
                Ok(body) => Cow::Owned(body),
                Err(e) => {
                    if let Ok(mut failed) = on_disk.failed.lock() {
                        failed.push(e);
                    }
                    Cow::Borrowed("")
                }
            },
        }
    }

    /// The notes that could not be read again, sorted by path, each once.
    pub fn failed(&self) -> Vec<BodyError> {
        let Bodies::OnDisk(on_disk) = self else {
            return Vec::new();
        };
        let mut failed = on_disk.failed.lock().map(|f| f.clone()).unwrap_or_default();
        failed.sort_by(|a, b| a.path.cmp(&b.path));
        failed.dedup_by(|a, b| a.path == b.path);
        failed
    }
}

impl OnDisk {
    pub fn new(vault: Option<&Path>) -> OnDisk {
        OnDisk {
            vault: vault.map(Path::to_path_buf),
            failed: Mutex::new(Vec::new()),
        }
    }

    fn read(&self, note: &Note) -> Result<String, BodyError> {
        let fail = |reason: String| BodyError {
            path: note.path.clone(),
            reason,
        };
        let disk = match &note.disk {
            Some(disk) => Cow::Borrowed(disk.as_path()),
            None => Cow::Owned(PathBuf::from(&note.path)),
        };
        let Some(vault) = &self.vault else {
            return Err(fail(
                "not read again: the vault's place is not known".into(),
            ));
        };
        let bytes =
            crate::load::read_vault_file(vault, &disk, u64::MAX).map_err(|e: ReadError| {
                fail(format!("could not be read again while building ({e})"))
            })?;
        let sha256 = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(&bytes))
        };
        if sha256 != note.source_sha256 {
            return Err(fail("changed while the site was being built".into()));
        }
        // The same bytes give the same body: made as when loaded.
        Ok(crate::load::note_body(&note.path, &bytes))
    }
}

/// Lets `note`'s body go, first putting the places of its links as they
/// are in the file (comments counted back in) where the body was needed
/// to find them: a warning about an embed still names its line.
pub fn release(note: &mut Note, scan: &mut super::scan::NoteScan) {
    if !note.comment_gaps.is_empty() {
        for link in &mut scan.links {
            let (line, column) = note.position(link.offset);
            // `link_position` adds `body_line - 1` back.
            link.line = line + 1 - note.body_line;
            link.column = column;
        }
        note.comment_gaps = Vec::new();
    }
    note.body = String::new();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_note;

    fn loaded(vault: &Path, rel: &str, text: &str) -> Note {
        std::fs::write(vault.join(rel), text).unwrap();
        parse_note(rel, text.as_bytes(), None).0
    }

    fn on_disk(vault: &Path) -> Bodies {
        Bodies::OnDisk(OnDisk::new(Some(vault)))
    }

    #[test]
    fn a_released_body_is_read_again_as_it_was_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let text = "\u{FEFF}---\r\ntitle: T\r\n---\r\nOne %%gone%% two\r\n<!-- x -->three\r\n";
        let note = loaded(tmp.path(), "a.md", text);
        let held = note.body.clone();
        let mut released = note.clone();
        release(&mut released, &mut crate::index::scan::scan(&note.body));
        assert!(released.body.is_empty());
        let bodies = on_disk(tmp.path());
        assert_eq!(bodies.of(&released), held);
        assert!(bodies.failed().is_empty());
        assert_eq!(Bodies::Held.of(&note), held);
    }

    #[test]
    fn bodies_let_go_with_no_vault_to_read_from_fail_closed() {
        let note = parse_note("a.md", b"text", None).0;
        let bodies = Bodies::OnDisk(OnDisk::new(None));
        assert_eq!(bodies.of(&note), "");
        let failed = bodies.failed();
        assert_eq!(failed.len(), 1);
        assert!(
            failed[0].to_string().starts_with("a.md: not read again"),
            "{}",
            failed[0]
        );
    }

    #[test]
    fn a_note_changed_or_swapped_for_a_link_during_the_build_is_named_and_gives_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir(&vault).unwrap();
        let a = loaded(&vault, "a.md", "secret-free text\n");
        let b = loaded(&vault, "b.md", "more text\n");
        let bodies = on_disk(&vault);
        // Made private after it was indexed as public: never rendered.
        std::fs::write(vault.join("a.md"), "---\npublish: false\n---\nsecret\n").unwrap();
        std::fs::remove_file(vault.join("b.md")).unwrap();
        std::fs::write(tmp.path().join("outside.md"), "more text\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(tmp.path().join("outside.md"), vault.join("b.md")).unwrap();
        assert_eq!(bodies.of(&a), "");
        assert_eq!(bodies.of(&b), "");
        assert_eq!(bodies.of(&a), "");
        let failed = bodies.failed();
        let paths: Vec<&str> = failed.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a.md", "b.md"]);
        assert!(failed[0]
            .to_string()
            .contains("changed while the site was being built"));
        assert!(
            failed[1].to_string().contains("could not be read again"),
            "{}",
            failed[1]
        );
    }
}
