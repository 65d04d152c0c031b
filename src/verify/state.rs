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

    /// Written beside the file and renamed over it. The temporary file is
    /// created new (`create_new` does not follow a link planted under its
    /// name; a leftover is removed first, which removes a link, not its
    /// target).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        let tmp = path.with_extension("spore-tmp");
        let err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(e)),
            _ => {}
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes))
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(err)
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
    }
}
