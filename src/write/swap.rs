//! Putting a finished folder in place: one atomic exchange where the OS has
//! one, two renames elsewhere. Behind a trait so tests can make a step fail
//! the way a mount point or an unusual file system does.

use std::io;
use std::path::Path;

/// The renames a swap is made of.
pub(super) trait Renamer: Sync {
    /// Swaps two existing entries in one step (both keep existing
    /// throughout). `Unsupported` or `InvalidInput` when the OS or file
    /// system cannot.
    fn exchange(&self, a: &Path, b: &Path) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
}

/// The real file system.
pub(super) struct Os;

impl Renamer for Os {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    fn exchange(&self, a: &Path, b: &Path) -> io::Result<()> {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        // Linux renameat2(RENAME_EXCHANGE), macOS renameatx_np(RENAME_SWAP).
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    fn exchange(&self, _a: &Path, _b: &Path) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
}

/// The exchange is not available here (old kernel, a file system without
/// it): two renames will do instead.
pub(super) fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Unsupported | io::ErrorKind::InvalidInput
    )
}

/// The output folder cannot be renamed at all: it is a mount point (EBUSY),
/// or sits on another device than its parent (EXDEV). Its contents can
/// still be swapped inside it.
pub(super) fn immovable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ResourceBusy | io::ErrorKind::CrossesDevices
    )
}
