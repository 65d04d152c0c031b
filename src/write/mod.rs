//! Writing a site to disk without ever losing data: the new site is built
//! in a staging folder and swapped in; the output folder is refused when it
//! is the vault, contains it, or holds files Spore did not write. Nothing
//! is written or deleted through a symlink.

pub mod file;
mod leftovers;
mod staging;
mod swap;
mod tree;

use crate::progress::Progress;
use crate::site::Site;
pub use staging::Staging;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use swap::Renamer;
use thiserror::Error;
use tree::remove_tree;
pub use tree::{write_tree, WriteStats};

pub use crate::site::{MARKER, MARKER_TEXT};

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
    #[error("refusing to write the site into {link}: it is a symlink to {target}, which does not exist; create that folder or remove the link")]
    DanglingLink { link: PathBuf, target: PathBuf },
    #[error("site path {0:?} would leave the output folder")]
    UnsafePath(String),
    #[error(transparent)]
    Attachment(#[from] crate::load::attachment::AttachmentError),
    #[error("{path} changed while the site was being built: its bytes no longer match the manifest, so nothing was replaced; build again")]
    AttachmentChanged { path: String },
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

/// The folder a build writes: `output` with every symlink resolved, once.
/// A link to nowhere is refused rather than replaced by a folder.
fn resolve_output(output: &Path) -> Result<PathBuf, WriteError> {
    let is_link = std::fs::symlink_metadata(output).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return output.canonicalize().map_err(|_| WriteError::DanglingLink {
            link: output.to_path_buf(),
            target: std::fs::read_link(output).unwrap_or_default(),
        });
    }
    Ok(canonical(output))
}

/// Whether `dir` holds the output marker, a regular file (not a link):
/// Spore wrote the folder.
pub fn has_marker(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.file_type().is_file())
}

/// Refuses output folders that would destroy user data; returns the folder
/// that will be written (`output`, or where it links to).
pub fn check_output(vault: &Path, output: &Path) -> Result<PathBuf, WriteError> {
    let target = resolve_output(output)?;
    // Messages name the folder as given, and where a symlink leads.
    let is_link = std::fs::symlink_metadata(output).is_ok_and(|m| m.file_type().is_symlink());
    let shown = if is_link {
        PathBuf::from(format!(
            "{} (a symlink to {})",
            output.display(),
            target.display()
        ))
    } else {
        output.to_path_buf()
    };
    let vault_c = canonical(vault);
    if vault_c == target {
        return Err(WriteError::OutputIsVault(shown));
    }
    if vault_c.starts_with(&target) {
        return Err(WriteError::OutputContainsVault {
            output: shown,
            vault: vault.to_path_buf(),
        });
    }
    if let Ok(meta) = std::fs::symlink_metadata(&target) {
        if !meta.is_dir() {
            return Err(WriteError::NotAFolder(shown));
        }
        let mount = is_mount_point(&target);
        let foreign = std::fs::read_dir(&target)
            .map_err(io(&target))?
            .flatten()
            .any(|e| !(mount && e.file_name() == LOST_AND_FOUND));
        let ours = has_marker(&target);
        if foreign && !ours {
            return Err(WriteError::NotOurs(shown));
        }
    }
    Ok(target)
}

/// Builds the new site in a staging folder, then swaps it in. Files of the
/// previous site that are unchanged are taken over as hard links, not
/// written again; the previous site is not modified until the swap.
///
/// Where the staging folder goes:
/// - beside the output folder, swapped in by one atomic exchange (Linux,
///   macOS; two renames elsewhere);
/// - inside it, swapped entry by entry, when the output folder cannot be
///   renamed (a mount point) or its parent is not writable (a web root).
///
/// An output folder that is a symlink is resolved once: the folder it
/// points to is checked, written and swapped; the link stays as it is.
/// Every error path removes the staging folder, and each build first
/// removes what interrupted builds left behind ([`leftovers`]).
pub fn write_atomically(
    site: &Site,
    vault: &Path,
    output: &Path,
) -> Result<WriteStats, WriteError> {
    write_with(site, vault, output, &swap::Os, &Progress::none())
}

/// [`write_atomically`], telling `progress` how many files it writes and
/// each one as it is written (or kept from the previous site).
pub fn write_atomically_reporting(
    site: &Site,
    vault: &Path,
    output: &Path,
    progress: &Progress,
) -> Result<WriteStats, WriteError> {
    write_with(site, vault, output, &swap::Os, progress)
}

/// Why the staging folder beside the output folder could not be used.
enum Beside {
    /// The output folder cannot be renamed, or its parent written to:
    /// build inside it instead (nothing was left behind).
    UseInside,
    Failed(WriteError),
}

fn write_with(
    site: &Site,
    vault: &Path,
    output: &Path,
    os: &dyn Renamer,
    progress: &Progress,
) -> Result<WriteStats, WriteError> {
    let target = check_output(vault, output)?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    leftovers::remove(parent, &name, &target);
    let exists = target.is_dir();
    let parent = match parent {
        Some(parent) if !(exists && is_mount_point(&target)) => parent,
        _ => return write_inside(site, &target, os, progress),
    };
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    match write_beside(site, &target, parent, &name, os, progress) {
        Ok(stats) => Ok(stats),
        Err(Beside::UseInside) if exists => write_inside(site, &target, os, progress),
        Err(Beside::UseInside) => Err(WriteError::Io {
            path: target,
            source: std::io::ErrorKind::PermissionDenied.into(),
        }),
        Err(Beside::Failed(e)) => Err(e),
    }
}

/// Staging beside the output folder, then one exchange (or two renames).
fn write_beside(
    site: &Site,
    target: &Path,
    parent: &Path,
    name: &str,
    os: &dyn Renamer,
    progress: &Progress,
) -> Result<WriteStats, Beside> {
    let pid = std::process::id();
    let staging = leftovers::staging_beside(parent, name, pid);
    let exists = target.is_dir();
    if let Err(e) = std::fs::create_dir(&staging) {
        // A web root is often writable while its parent is not.
        return Err(
            if exists && e.kind() == std::io::ErrorKind::PermissionDenied {
                Beside::UseInside
            } else {
                Beside::Failed(io(&staging)(e))
            },
        );
    }
    let fail = |e: std::io::Error, path: &Path| {
        remove_tree(&staging);
        if exists && swap::immovable(&e) {
            Beside::UseInside
        } else {
            Beside::Failed(io(path)(e))
        }
    };
    let stats = match tree::fill(site, &staging, exists.then_some(target), progress) {
        Ok(stats) => stats,
        Err(e) => {
            remove_tree(&staging);
            return Err(Beside::Failed(e));
        }
    };
    if !exists {
        return match os.rename(&staging, target) {
            Ok(()) => Ok(stats),
            Err(e) => Err(fail(e, target)),
        };
    }
    match os.exchange(&staging, target) {
        Ok(()) => {
            // The staging name now holds the previous site.
            remove_tree(&staging);
            return Ok(stats);
        }
        Err(e) if swap::unsupported(&e) => {}
        Err(e) => return Err(fail(e, target)),
    }
    let retired = leftovers::retired_beside(parent, name, pid);
    if let Err(e) = os.rename(target, &retired) {
        return Err(fail(e, target));
    }
    if let Err(e) = os.rename(&staging, target) {
        let _ = os.rename(&retired, target);
        return Err(fail(e, target));
    }
    remove_tree(&retired);
    Ok(stats)
}

/// Swaps a staging folder made beside the output folder in: one exchange,
/// or two renames where the OS has none (the target need not exist). On
/// failure the output folder is as it was; the staging folder is the
/// caller's to remove.
fn swap_beside(
    staging: &Path,
    target: &Path,
    parent: &Path,
    name: &str,
    os: &dyn Renamer,
) -> Result<(), WriteError> {
    if !target.is_dir() {
        return os.rename(staging, target).map_err(io(target));
    }
    match os.exchange(staging, target) {
        // The staging name now holds the previous site.
        Ok(()) => return Ok(()),
        Err(e) if swap::unsupported(&e) => {}
        Err(e) => return Err(io(target)(e)),
    }
    let retired = leftovers::retired_beside(parent, name, std::process::id());
    os.rename(target, &retired).map_err(io(target))?;
    if let Err(e) = os.rename(staging, target) {
        let _ = os.rename(&retired, target);
        return Err(io(target)(e));
    }
    remove_tree(&retired);
    Ok(())
}

/// Staging inside the output folder, then its entries swapped one by one
/// (each atomically where the OS can). Not all-or-nothing across entries:
/// a reader may briefly see old and new top-level entries side by side.
fn write_inside(
    site: &Site,
    target: &Path,
    os: &dyn Renamer,
    progress: &Progress,
) -> Result<WriteStats, WriteError> {
    let pid = std::process::id();
    std::fs::create_dir_all(target).map_err(io(target))?;
    let staging = leftovers::staging_inside(target, pid);
    let retired = leftovers::retired_inside(target, pid);
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let result = tree::fill(site, &staging, Some(target), progress)
        .and_then(|stats| swap_entries(target, &staging, &retired, os).map(|()| stats));
    remove_tree(&staging);
    remove_tree(&retired);
    result
}

/// One step of an entry-by-entry swap, kept to undo it.
enum Step {
    Exchanged(PathBuf, PathBuf),
    Moved { from: PathBuf, to: PathBuf },
}

fn swap_entries(
    target: &Path,
    staging: &Path,
    retired: &Path,
    os: &dyn Renamer,
) -> Result<(), WriteError> {
    let names = |dir: &Path| -> Result<BTreeSet<std::ffi::OsString>, WriteError> {
        Ok(std::fs::read_dir(dir)
            .map_err(io(dir))?
            .flatten()
            .map(|e| e.file_name())
            .collect())
    };
    let new = names(staging)?;
    let old: Vec<_> = names(target)?
        .into_iter()
        .filter(|n| !new.contains(n) && !keep_inside(n))
        .collect();
    let mut done = Vec::new();
    let result = (|| -> Result<(), WriteError> {
        let aside = |path: &Path, name: &std::ffi::OsStr, done: &mut Vec<Step>| {
            if !retired.exists() {
                std::fs::create_dir(retired).map_err(io(retired))?;
                let marker = retired.join(MARKER);
                std::fs::write(&marker, MARKER_TEXT).map_err(io(&marker))?;
            }
            let to = retired.join(name);
            os.rename(path, &to).map_err(io(path))?;
            done.push(Step::Moved {
                from: path.to_path_buf(),
                to,
            });
            Ok::<(), WriteError>(())
        };
        for name in &new {
            let (from, to) = (staging.join(name), target.join(name));
            if std::fs::symlink_metadata(&to).is_ok() {
                match os.exchange(&from, &to) {
                    Ok(()) => {
                        done.push(Step::Exchanged(from, to));
                        continue;
                    }
                    Err(e) if swap::unsupported(&e) => aside(&to, name, &mut done)?,
                    Err(e) => return Err(io(&to)(e)),
                }
            }
            os.rename(&from, &to).map_err(io(&to))?;
            done.push(Step::Moved { from, to });
        }
        for name in &old {
            aside(&target.join(name), name, &mut done)?;
        }
        Ok(())
    })();
    if result.is_err() {
        for step in done.iter().rev() {
            let _ = match step {
                Step::Exchanged(a, b) => os.exchange(a, b),
                Step::Moved { from, to } => os.rename(to, from),
            };
        }
    }
    result
}

/// Entries of an output folder an entry-by-entry swap leaves where they
/// are: its own work folders, and a file system's `lost+found`.
fn keep_inside(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n == LOST_AND_FOUND || leftovers::is_inside_work_name(n))
}

const LOST_AND_FOUND: &str = "lost+found";

/// Whether `dir` is on another device than its parent (a mount point),
/// so it cannot be renamed.
#[cfg(unix)]
fn is_mount_point(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(parent) = dir.parent() else {
        return true;
    };
    match (std::fs::symlink_metadata(dir), std::fs::metadata(parent)) {
        (Ok(d), Ok(p)) => d.dev() != p.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_mount_point(dir: &Path) -> bool {
    dir.parent().is_none()
}

#[cfg(test)]
mod tests;
