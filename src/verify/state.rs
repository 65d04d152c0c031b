//! `--state FILE`: the highest version seen per site, so a later check
//! that finds a lower one reports ROLLBACK (TUF's rollback protection).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// Whether that version was seen correctly signed by a pinned key.
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

    pub fn remembered(&self, site: &str) -> Option<i64> {
        self.sites.get(site).map(|s| s.version)
    }

    /// Raises the remembered version; never lowers it.
    pub fn record(&mut self, site: &str, version: i64, built: &str, signed: bool) {
        let entry = self.sites.entry(site.to_string()).or_insert(SeenVersion {
            version,
            built: built.to_string(),
            signed,
        });
        if version > entry.version || (version == entry.version && signed) {
            *entry = SeenVersion {
                version,
                built: built.to_string(),
                signed,
            };
        }
    }

    /// Written beside the file and renamed over it.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        let tmp = path.with_extension("spore-tmp");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
