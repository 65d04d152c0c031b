//! `--repair DIR`: rewrites missing or altered files of a local copy with
//! bytes from other copies, each written only after its SHA-256 matches the
//! reference. Files the reference does not list are left alone (reported
//! as EXTRA by the check).

use super::observe::{CopyManifest, Observed, Seen};
use super::report::Repaired;
use super::source::{is_safe_path, Fetched};
use crate::seal::manifest::SIGNATURE_PATH;
use crate::seal::page::sha256_hex;
use std::path::Path;

fn write_file(root: &Path, path: &str, bytes: &[u8]) -> Result<(), String> {
    if !is_safe_path(path) {
        return Err(format!("refusing unsafe path {path:?}"));
    }
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = full.with_file_name(format!(".{name}.spore-repair"));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, &full))
        .map_err(|e| format!("{}: {e}", full.display()))
}

/// Repairs `copies[target]` (a folder) from the others; the reference
/// manifest and signature come from memory.
pub fn repair(
    copies: &[Observed],
    target: usize,
    reference: &CopyManifest,
    reference_signature: Option<&str>,
    reference_label: &str,
) -> Result<Vec<Repaired>, String> {
    let Some(root) = copies[target].source.folder().map(Path::to_path_buf) else {
        return Err("--repair needs a local folder".into());
    };
    let mut repaired = Vec::new();
    let have = |path: &str| {
        copies[target]
            .files
            .get(path)
            .and_then(Seen::sha256)
            .map(str::to_string)
    };
    for (path, entry) in &reference.manifest.files {
        if have(path).as_deref() == Some(entry.sha256.as_str()) {
            continue;
        }
        let donor = copies.iter().enumerate().find_map(|(i, c)| {
            if i == target
                || c.files.get(path).and_then(Seen::sha256) != Some(entry.sha256.as_str())
            {
                return None;
            }
            match c.source.fetch(path, entry.size) {
                // Re-checked: the copy may have changed since it was read.
                Fetched::Found(bytes) if sha256_hex(&bytes) == entry.sha256 => {
                    Some((bytes, c.label.clone()))
                }
                _ => None,
            }
        });
        if let Some((bytes, from)) = donor {
            write_file(&root, path, &bytes)?;
            repaired.push(Repaired {
                path: path.clone(),
                from,
            });
        }
    }
    // The seal files follow from the reference manifest itself.
    let mut seal: Vec<(&str, Vec<u8>)> = super::judge::seal_files(reference).into();
    if let Some(sig) = reference_signature {
        seal.push((SIGNATURE_PATH, sig.as_bytes().to_vec()));
    }
    for (path, bytes) in seal {
        if have(path).as_deref() != Some(sha256_hex(&bytes).as_str()) {
            write_file(&root, path, &bytes)?;
            repaired.push(Repaired {
                path: path.to_string(),
                from: reference_label.to_string(),
            });
        }
    }
    Ok(repaired)
}
