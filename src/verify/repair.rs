//! `--repair DIR`: rewrites missing or altered files of a local copy with
//! bytes from other copies, each written only after its SHA-256 matches the
//! reference. Files the reference does not list are left alone (reported
//! as EXTRA by the check).

use super::observe::{CopyManifest, Observed, Seen};
use super::report::Repaired;
use super::source::{is_safe_path, Fetched, SINK_FAILED};
use crate::seal::manifest::SIGNATURE_PATH;
use crate::seal::page::sha256_hex;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

fn write_file(root: &Path, path: &str, bytes: &[u8]) -> Result<(), String> {
    write_with(root, path, |f| {
        f.write_all(bytes).map(|()| true).map_err(|e| e.to_string())
    })
    .map(|_| ())
}

/// Writes a file from whatever `fill` puts in it (streamed from a donor
/// copy: repair never holds a whole file in memory); nothing replaces the
/// old file unless `fill` returns `Ok(true)`. `Ok(false)`: the donor's
/// bytes were refused, nothing written; `Err`: the disk failed.
fn write_with(
    root: &Path,
    path: &str,
    fill: impl FnOnce(&mut std::fs::File) -> Result<bool, String>,
) -> Result<bool, String> {
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
    let filled = std::fs::File::create(&tmp)
        .map_err(|e| e.to_string())
        .and_then(|mut f| fill(&mut f));
    match filled {
        Ok(true) => std::fs::rename(&tmp, &full)
            .map(|()| true)
            .map_err(|e| format!("{}: {e}", full.display())),
        Ok(false) => {
            let _ = std::fs::remove_file(&tmp);
            Ok(false)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("{}: {e}", full.display()))
        }
    }
}

/// Streams `path` from `donor` into `file`, hashing on the way: true when
/// exactly the expected bytes arrived.
fn copy_from(
    donor: &Observed,
    path: &str,
    size: u64,
    sha256: &str,
    file: &mut std::fs::File,
) -> Result<bool, String> {
    let mut sink = HashingWriter {
        file,
        sha: Sha256::new(),
    };
    match donor.source.stream(path, size, &mut sink) {
        Fetched::Found(n) => Ok(n == size && hex::encode(sink.sha.finalize()) == sha256),
        // A full disk under the spool file is the target's problem.
        Fetched::Failed(e) if e.starts_with(SINK_FAILED) => Err(e),
        _ => Ok(false),
    }
}

struct HashingWriter<'a> {
    file: &'a mut std::fs::File,
    sha: Sha256,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
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
        // Re-checked while copied: a donor may have changed since it was read.
        let mut donor = None;
        for (i, c) in copies.iter().enumerate() {
            if i == target
                || c.files.get(path).and_then(Seen::sha256) != Some(entry.sha256.as_str())
            {
                continue;
            }
            if write_with(&root, path, |f| {
                copy_from(c, path, entry.size, &entry.sha256, f)
            })? {
                donor = Some(c.label.clone());
                break;
            }
        }
        if let Some(from) = donor {
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
