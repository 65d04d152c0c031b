//! Writing a site to disk without ever losing data: the new site is built in
//! a sibling folder and swapped in by rename; the output folder is refused
//! when it is the vault, contains it, or holds files Spore did not write.

use crate::site::Site;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Written into every output folder, so Spore knows the folder is its own.
pub const MARKER: &str = ".spore-output";
const MARKER_TEXT: &str = "This folder is written by Spore and replaced whole on every build.\n";

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("refusing to write the site into {0}: it is the vault itself")]
    OutputIsVault(PathBuf),
    #[error("refusing to write the site into {output}: it contains the vault {vault}")]
    OutputContainsVault { output: PathBuf, vault: PathBuf },
    #[error("refusing to write the site into {0}: the folder is not empty and was not created by Spore (no {MARKER} file); choose another --out or empty it")]
    NotOurs(PathBuf),
    #[error("refusing to write the site into {0}: it is a file, not a folder")]
    NotAFolder(PathBuf),
    #[error("site path {0:?} would leave the output folder")]
    UnsafePath(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Resolves symlinks in the existing part of a path (the rest stays as
/// written), so paths that do not exist yet can still be compared.
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(c) = path.canonicalize() {
        return c;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => path.to_path_buf(),
    }
}

/// Refuses output folders that would destroy user data.
pub fn check_output(vault: &Path, output: &Path) -> Result<(), WriteError> {
    let (vault_c, output_c) = (canonical(vault), canonical(output));
    if vault_c == output_c {
        return Err(WriteError::OutputIsVault(output.to_path_buf()));
    }
    if vault_c.starts_with(&output_c) {
        return Err(WriteError::OutputContainsVault {
            output: output.to_path_buf(),
            vault: vault.to_path_buf(),
        });
    }
    if output.exists() {
        if !output.is_dir() {
            return Err(WriteError::NotAFolder(output.to_path_buf()));
        }
        let empty = std::fs::read_dir(output)
            .map_err(io(output))?
            .next()
            .is_none();
        if !empty && !output.join(MARKER).is_file() {
            return Err(WriteError::NotOurs(output.to_path_buf()));
        }
    }
    Ok(())
}

/// Site paths are relative and `/`-separated; reject anything that could
/// escape the folder it is written into.
fn safe_relative(path: &str) -> Result<PathBuf, WriteError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..");
    if ok {
        Ok(PathBuf::from(path))
    } else {
        Err(WriteError::UnsafePath(path.to_string()))
    }
}

/// Writes `site` into `dir`, which must not exist yet.
pub fn write_tree(site: &Site, dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut folders = BTreeSet::new();
    for path in site.files.keys() {
        let rel = safe_relative(path)?;
        if let Some(parent) = rel.parent() {
            if !parent.as_os_str().is_empty() {
                folders.insert(parent.to_path_buf());
            }
        }
    }
    for folder in &folders {
        let full = dir.join(folder);
        std::fs::create_dir_all(&full).map_err(io(&full))?;
    }
    site.files.par_iter().try_for_each(|(path, bytes)| {
        let full = dir.join(path);
        std::fs::write(&full, bytes).map_err(io(&full))
    })?;
    let marker = dir.join(MARKER);
    std::fs::write(&marker, MARKER_TEXT).map_err(io(&marker))
}

/// Builds the new site beside `output`, then swaps it in. The previous site
/// is moved aside first and deleted only after the swap.
pub fn write_atomically(site: &Site, vault: &Path, output: &Path) -> Result<(), WriteError> {
    check_output(vault, output)?;
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.spore-tmp-{pid}"));
    let retired = parent.join(format!(".{name}.spore-old-{pid}"));
    for leftover in [&staging, &retired] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).map_err(io(leftover))?;
        }
    }
    if let Err(e) = write_tree(site, &staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let had_previous = output.exists();
    if had_previous {
        std::fs::rename(output, &retired).map_err(io(output))?;
    }
    if let Err(e) = std::fs::rename(&staging, output) {
        if had_previous {
            let _ = std::fs::rename(&retired, output);
        }
        return Err(io(output)(e));
    }
    if had_previous {
        remove_tree_parallel(&retired);
    }
    Ok(())
}

/// Deleting the previous site can cost more than building the new one:
/// delete its top-level entries in parallel.
fn remove_tree_parallel(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.par_iter().for_each(|p| {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
        });
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_vault_parent_and_foreign_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        assert!(matches!(
            check_output(&vault, &vault),
            Err(WriteError::OutputIsVault(_))
        ));
        assert!(matches!(
            check_output(&vault, tmp.path()),
            Err(WriteError::OutputContainsVault { .. })
        ));
        let foreign = tmp.path().join("docs");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("precious.txt"), "keep").unwrap();
        assert!(matches!(
            check_output(&vault, &foreign),
            Err(WriteError::NotOurs(_))
        ));
        assert!(check_output(&vault, &tmp.path().join("new")).is_ok());
    }

    #[test]
    fn swaps_in_and_replaces_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        let out = tmp.path().join("site");
        let mut site = Site::default();
        site.insert("a/b.html", b"one".to_vec());
        write_atomically(&site, &vault, &out).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.html")).unwrap(), b"one");
        let mut site2 = Site::default();
        site2.insert("c.html", b"two".to_vec());
        write_atomically(&site2, &vault, &out).unwrap();
        assert!(!out.join("a/b.html").exists());
        assert_eq!(std::fs::read(out.join("c.html")).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[test]
    fn rejects_escaping_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let mut site = Site::default();
        site.insert("../evil", b"x".to_vec());
        assert!(matches!(
            write_tree(&site, &tmp.path().join("o")),
            Err(WriteError::UnsafePath(_))
        ));
    }
}
