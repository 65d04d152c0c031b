//! Walking the vault folder: which files are part of the vault.

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

pub struct WalkedFile {
    pub abs: PathBuf,
    /// Vault-relative, `/`-separated, NFC.
    pub rel: String,
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
    let canonical_vault = vault.canonicalize().unwrap_or_else(|_| vault.to_path_buf());
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
            match path.canonicalize() {
                Ok(target) if target.starts_with(&canonical_vault) && target.is_file() => target,
                Ok(target) if target.starts_with(&canonical_vault) => continue,
                _ => {
                    diagnostics.push(Diagnostic::warning(
                        DiagnosticKind::Symlink,
                        rel,
                        "symbolic link points outside the vault (or nowhere); not published",
                    ));
                    continue;
                }
            }
        } else {
            path.to_path_buf()
        };
        if lossy {
            diagnostics.push(Diagnostic::warning(
                DiagnosticKind::InvalidUtf8,
                rel.clone(),
                "file name is not valid UTF-8; published under a repaired name",
            ));
        }
        files.push(WalkedFile { abs, rel });
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
