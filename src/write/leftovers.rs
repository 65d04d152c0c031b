//! The work folders a build makes next to (or inside) the output folder,
//! and removing the ones an interrupted build left behind.
//!
//! A leftover is removed only when it is provably Spore's own: its name
//! follows the pattern below for this output folder, it is a real folder
//! (not a symlink), it holds the `.spore-output` marker (written first into
//! every work folder), and the build that made it is no longer running.

use super::tree::remove_tree;
use std::path::{Path, PathBuf};

/// Staging folder beside the output folder `name`, for build `pid`.
pub(super) fn staging_beside(parent: &Path, name: &str, pid: u32) -> PathBuf {
    parent.join(format!(".{name}.spore-tmp-{pid}"))
}

/// Where the previous site goes aside when the OS has no atomic exchange.
pub(super) fn retired_beside(parent: &Path, name: &str, pid: u32) -> PathBuf {
    parent.join(format!(".{name}.spore-old-{pid}"))
}

/// Staging folder inside the output folder (used when it cannot be renamed).
/// Output names never start with a dot, so it cannot clash with a site file.
pub(super) fn staging_inside(output: &Path, pid: u32) -> PathBuf {
    output.join(format!(".spore-tmp-{pid}"))
}

pub(super) fn retired_inside(output: &Path, pid: u32) -> PathBuf {
    output.join(format!(".spore-old-{pid}"))
}

/// Whether `file_name` names a work folder inside an output folder.
pub(super) fn is_inside_work_name(file_name: &str) -> bool {
    work_pid(file_name, ".spore-").is_some()
}

/// The build id in a work folder's name, `<prefix>tmp-<pid>` or
/// `<prefix>old-<pid>`.
fn work_pid(file_name: &str, prefix: &str) -> Option<u32> {
    let rest = file_name.strip_prefix(prefix)?;
    let digits = rest
        .strip_prefix("tmp-")
        .or_else(|| rest.strip_prefix("old-"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Removes the leftovers of interrupted builds of the output folder
/// `output` (named `name` in `parent`): beside it, and inside it.
pub(super) fn remove(parent: Option<&Path>, name: &str, output: &Path) {
    if let Some(parent) = parent {
        remove_matching(parent, &format!(".{name}.spore-"));
    }
    if is_real_folder(output) {
        remove_matching(output, ".spore-");
    }
}

fn remove_matching(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some(pid) = work_pid(&file_name, prefix) else {
            continue;
        };
        let path = entry.path();
        if is_real_folder(&path) && super::has_marker(&path) && !still_running(pid) {
            remove_tree(&path);
        }
    }
}

fn is_real_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_dir())
}

/// Whether the build `pid` may still be running (then its folders are
/// left alone). This process's own id is never running another build.
fn still_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    alive(pid)
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // Permission denied still means a process exists.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_names() {
        assert_eq!(work_pid(".site.spore-tmp-12", ".site.spore-"), Some(12));
        assert_eq!(work_pid(".site.spore-old-7", ".site.spore-"), Some(7));
        assert_eq!(work_pid(".site.spore-old-", ".site.spore-"), None);
        assert_eq!(work_pid(".site.spore-old-1x", ".site.spore-"), None);
        assert_eq!(work_pid(".other.spore-tmp-1", ".site.spore-"), None);
        assert!(is_inside_work_name(".spore-tmp-3"));
        assert!(!is_inside_work_name(".spore-output"));
    }
}
