//! Walking the vault folder: which files are part of the vault.

use super::ReadError;
use crate::diagnostics::{Diagnostic, DiagnosticKind};
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkedFile {
    /// Where the content lives: the path walked, or for a symbolic link the
    /// file it points to (`serve` matches file events against it).
    pub abs: PathBuf,
    /// Vault-relative, `/`-separated, NFC.
    pub rel: String,
    /// Vault-relative as spelled on disk (maybe NFD, maybe not UTF-8): what
    /// [`super::read_vault_file`] is given.
    pub disk: PathBuf,
}

pub struct Walked {
    pub files: Vec<WalkedFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Dot entries (`.obsidian`, `.git`, `.trash`, …) are never part of the site.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

pub fn walk(vault: &Path, options: &super::LoadOptions) -> Walked {
    let excluded: Vec<PathBuf> = options
        .exclude
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .collect();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    let walker = walkdir::WalkDir::new(vault)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if is_hidden(e.file_name()) {
                return false;
            }
            // Only folders are compared, so the walk costs no syscall per file.
            !(e.file_type().is_dir()
                && !excluded.is_empty()
                && e.path()
                    .canonicalize()
                    .is_ok_and(|c| excluded.iter().any(|ex| c.starts_with(ex))))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .and_then(|p| p.strip_prefix(vault).ok())
                    .map(|p| rel_string(p).0)
                    .unwrap_or_default();
                diagnostics.push(Diagnostic::warning(
                    DiagnosticKind::UnreadableFile,
                    rel,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        let Ok(rel_path) = path.strip_prefix(vault) else {
            continue;
        };
        let (rel, lossy) = rel_string(rel_path);
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let abs = if file_type.is_symlink() {
            // The one reader decides, so walk and read never disagree.
            match super::open_vault_file(vault, rel_path) {
                Ok(_) => path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
                // A link to a folder is not entered, as no folder link is.
                Err(ReadError::Folder) => continue,
                Err(e) => {
                    diagnostics.push(e.diagnostic(&rel));
                    continue;
                }
            }
        } else if file_type.is_file() {
            path.to_path_buf()
        } else {
            // FIFOs, sockets, devices: never opened (a FIFO blocks forever).
            let e = ReadError::NotAFile {
                kind: super::read::describe(file_type),
            };
            diagnostics.push(e.diagnostic(&rel));
            continue;
        };
        if lossy {
            diagnostics.push(Diagnostic::warning(
                DiagnosticKind::InvalidUtf8,
                rel.clone(),
                "file name is not valid UTF-8; published under a repaired name",
            ));
        }
        files.push(WalkedFile {
            abs,
            rel,
            disk: rel_path.to_path_buf(),
        });
    }
    Walked { files, diagnostics }
}

/// `a/b/c.md` with NFC components; reports whether the name was repaired.
fn rel_string(path: &Path) -> (String, bool) {
    let mut lossy = false;
    let parts: Vec<String> = path
        .components()
        .map(|c| {
            let os = c.as_os_str();
            let s = match os.to_str() {
                Some(s) => s.to_string(),
                None => {
                    lossy = true;
                    os.to_string_lossy().into_owned()
                }
            };
            s.nfc().collect()
        })
        .collect();
    (parts.join("/"), lossy)
}
