//! `--state FILE`: the highest version seen per site, so a later check
//! that finds a lower one reports ROLLBACK (TUF's rollback protection).
//! Only a version signed by a pinned key is remembered: anything else is a
//! number a mirror chose, and remembering it would let any mirror make the
//! genuine site read ROLLBACK forever.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const FORMAT: &str = "spore-verify-state/1";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub format: String,
    /// Site id → highest version seen.
    pub sites: BTreeMap<String, SeenVersion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeenVersion {
    pub version: i64,
    pub built: String,
    /// Whether that version was seen correctly signed by a pinned key
    /// (always, since only such versions are recorded; an entry written
    /// unsigned by an older Spore is ignored and replaced).
    pub signed: bool,
}

impl State {
    /// A missing file is an empty state; an unreadable one is an error
    /// (silently starting over would forget what protects against rollback).
    pub fn read(path: &Path) -> Result<State, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                    format!("{}: not a Spore verify state file: {e}", path.display())
                })?;
                if state.format != FORMAT {
                    return Err(format!(
                        "{}: unknown format {:?}",
                        path.display(),
                        state.format
                    ));
                }
                Ok(state)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                format: FORMAT.into(),
                sites: BTreeMap::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The highest version seen signed by a pinned key.
    pub fn remembered(&self, site: &str) -> Option<i64> {
        self.sites.get(site).filter(|s| s.signed).map(|s| s.version)
    }

    /// Raises the remembered version to one verified against a pinned key
    /// (the caller has checked the signature); never lowers it.
    pub fn record_signed(&mut self, site: &str, version: i64, built: &str) {
        let fresh = SeenVersion {
            version,
            built: built.to_string(),
            signed: true,
        };
        match self.sites.get_mut(site) {
            Some(entry) if entry.signed && entry.version >= version => {}
            Some(entry) => *entry = fresh,
            None => {
                self.sites.insert(site.to_string(), fresh);
            }
        }
    }

    /// Written beside the file and renamed over it, synced first (a crash
    /// leaves the old state, never a half-written one). The temporary file
    /// is created new (`O_EXCL` does not follow a link planted under its
    /// name; a leftover is removed first, which removes a link, not its
    /// target), and the rename replaces whatever is at the name (a link
    /// there is replaced, never written through). On Unix the folder is
    /// opened once and all three steps are made relative to it.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        let err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let name = path
            .file_name()
            .ok_or_else(|| format!("cannot write {}: not a file name", path.display()))?;
        let tmp = Path::new(name).with_extension("spore-tmp");
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = Folder::open(folder).map_err(err)?;
        folder.remove_file(tmp.as_os_str()).map_err(err)?;
        create_new(&folder, tmp.as_os_str())
            .and_then(|mut f| {
                f.write_all(&bytes)?;
                f.sync_all()
            })
            .and_then(|()| folder.rename(tmp.as_os_str(), name))
            .map_err(|e| {
                let _ = folder.remove_file(tmp.as_os_str());
                err(e)
            })
    }
}

#[cfg(unix)]
use crate::nofollow::NoFollowDir as Folder;

#[cfg(unix)]
fn create_new(folder: &Folder, name: &std::ffi::OsStr) -> std::io::Result<std::fs::File> {
    folder.create_new(name, crate::nofollow::FILE_MODE)
}

#[cfg(not(unix))]
fn create_new(folder: &Folder, name: &std::ffi::OsStr) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(folder.0.join(name))
}

/// Without `openat`: the same steps, by path.
#[cfg(not(unix))]
struct Folder(std::path::PathBuf);

#[cfg(not(unix))]
impl Folder {
    fn open(path: &Path) -> std::io::Result<Folder> {
        Ok(Folder(path.to_path_buf()))
    }

    fn remove_file(&self, name: &std::ffi::OsStr) -> std::io::Result<()> {
        match std::fs::remove_file(self.0.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn rename(&self, from: &std::ffi::OsStr, to: &std::ffi::OsStr) -> std::io::Result<()> {
        std::fs::rename(self.0.join(from), self.0.join(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: i64, signed: bool) -> SeenVersion {
        SeenVersion {
            version,
            built: String::new(),
            signed,
        }
    }

    #[test]
    fn only_signed_versions_count_and_they_never_go_down() {
        let mut state = State::default();
        state.sites.insert("poisoned".into(), entry(9_999, false));
        assert_eq!(state.remembered("poisoned"), None);
        state.record_signed("poisoned", 10, "");
        assert_eq!(state.remembered("poisoned"), Some(10));
        state.record_signed("poisoned", 5, "");
        assert_eq!(state.remembered("poisoned"), Some(10));
        state.record_signed("poisoned", 11, "");
        assert_eq!(state.remembered("poisoned"), Some(11));
    }

    #[cfg(unix)]
    #[test]
    fn writing_never_follows_a_link_at_the_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("seen.json");
        std::os::unix::fs::symlink(&victim, path.with_extension("spore-tmp")).unwrap();
        let mut state = State {
            format: FORMAT.into(),
            ..State::default()
        };
        state.record_signed("site", 1, "");
        state.write(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(State::read(&path).unwrap().remembered("site"), Some(1));
        // A link at the state file's own name is replaced, not written through.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        state.write(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(State::read(&path).unwrap().remembered("site"), Some(1));
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 2, "no temporary file is left");
    }
}
