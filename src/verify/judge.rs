//! What the observations mean: which manifest is the reference, what state
//! each copy is in (CURRENT, STALE, BAD-SIGNATURE, NO-MANIFEST, ROLLBACK,
//! CONFLICT), which files are OK, MISSING, MODIFIED or EXTRA, and where
//! copies disagree.

use super::observe::{CopyManifest, Layout, Observed, Seen, ShardRead};
use super::report::{CopyState, Disagreement, FileProblem, FileStatus, Reference, SignatureState};
use crate::seal::manifest::{
    manifest_js, Manifest, MANIFEST_JS_PATH, MANIFEST_PATH, METALINK_PATH, SIGNATURE_PATH,
    SUMS_PATH,
};
use crate::seal::page::sha256_hex;
use crate::seal::{files, metalink, shard, sign, sums};
use crate::write::{MARKER, MARKER_TEXT};
use std::collections::{BTreeMap, BTreeSet};

/// Checks each copy's signature against the pinned key (a key found in a
/// copy is never trusted on its own).
pub fn signature_state(copy: &Observed, key: Option<&str>) -> SignatureState {
    let (Some(key), Ok(m)) = (key, &copy.manifest) else {
        return SignatureState::NotChecked;
    };
    let Some(sig) = &copy.signature else {
        return SignatureState::Missing;
    };
    match sign::verify(key, &m.bytes, sig) {
        Ok(v) if v.version != Some(m.manifest.version) => SignatureState::Invalid(format!(
            "the signed comment names version {:?}, the manifest {}",
            v.version, m.manifest.version
        )),
        Ok(v) if v.site.as_deref() != Some(m.manifest.site.id.as_str()) => {
            SignatureState::Invalid(format!(
                "the signed comment names site {:?}, the manifest {}",
                v.site, m.manifest.site.id
            ))
        }
        Ok(_) => SignatureState::Valid,
        Err(e) => SignatureState::Invalid(e.to_string()),
    }
}

/// Whether a copy's manifest verifies against the public key it names
/// itself: proof of nothing about authorship, but such a copy is never
/// replaced by a manifest that key did not sign.
pub fn self_signed_key(copy: &Observed) -> Option<String> {
    let key = copy.manifest.as_ref().ok()?.manifest.public_key.clone()?;
    (signature_state(copy, Some(&key)) == SignatureState::Valid).then_some(key)
}

/// The reference copy: the highest version correctly signed by the trusted
/// key (a signed version is the signer's word). Without one, the manifest
/// most copies agree on, ties going to the copy given first: every field of
/// an unsigned manifest, its version included, is whatever its mirror
/// wrote, so none of them may decide.
pub fn choose_reference(copies: &[Observed], sigs: &[SignatureState]) -> Option<(usize, bool)> {
    let signed = copies
        .iter()
        .enumerate()
        .filter(|(i, _)| sigs[*i] == SignatureState::Valid)
        .filter_map(|(i, c)| c.manifest.as_ref().ok().map(|m| (i, m.manifest.version)))
        .fold(None, |best: Option<(usize, i64)>, (i, v)| match best {
            Some((_, bv)) if bv >= v => best,
            _ => Some((i, v)),
        });
    if let Some((i, _)) = signed {
        return Some((i, true));
    }
    // Manifest bytes → (copies holding them, first copy given).
    let mut votes: BTreeMap<&[u8], (usize, usize)> = BTreeMap::new();
    for (i, c) in copies.iter().enumerate() {
        if let Ok(m) = &c.manifest {
            votes.entry(m.bytes.as_slice()).or_insert((0, i)).0 += 1;
        }
    }
    votes
        .values()
        .max_by_key(|&&(count, first)| (count, std::cmp::Reverse(first)))
        .map(|&(_, first)| (first, false))
}

/// Which copies are in CONFLICT: two manifests that stand equally (both
/// signed by the trusted key, or, with none, any two) carry one version but
/// say different things: different bytes when signed (the signer said two
/// things), different files when not (other unsigned edits are MODIFIED).
pub fn conflicts(copies: &[Observed], sigs: &[SignatureState], trusted: bool) -> Vec<bool> {
    let mut by_version: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, c) in copies.iter().enumerate() {
        if let Ok(m) = &c.manifest {
            if !trusted || sigs[i] == SignatureState::Valid {
                by_version.entry(m.manifest.version).or_default().push(i);
            }
        }
    }
    let mut flags = vec![false; copies.len()];
    for group in by_version.values() {
        let differ = |a: usize, b: usize| match (&copies[a].manifest, &copies[b].manifest) {
            (Ok(x), Ok(y)) if trusted => x.bytes != y.bytes,
            (Ok(x), Ok(y)) => x.lists_other_files(y),
            _ => false,
        };
        if group.iter().any(|&i| differ(group[0], i)) {
            for &i in group {
                flags[i] = true;
            }
        }
    }
    flags
}

/// Which manifest a copy's files are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    Own,
    Reference,
    Nothing,
}

pub fn judged_by(
    copy: &Observed,
    sig: &SignatureState,
    reference: Option<(&CopyManifest, bool)>,
) -> Judged {
    let Ok(own) = &copy.manifest else {
        return if reference.is_some() {
            Judged::Reference
        } else {
            Judged::Nothing
        };
    };
    match reference {
        None => Judged::Own,
        Some((_, true)) if *sig == SignatureState::Valid => Judged::Own,
        Some((_, true)) => Judged::Reference,
        Some((r, false)) if r.bytes == own.bytes || own.manifest.version < r.manifest.version => {
            Judged::Own
        }
        Some((_, false)) => Judged::Reference,
    }
}

/// The integrity files that follow from the manifest itself, exactly as
/// Spore writes them (the signature aside: it is checked by verifying it).
/// Format 1: manifest.json, manifest.js, SHA256SUMS. Format 2: the root and
/// its script, every shard read and its script, and, once every shard was
/// read, `site.meta4` and `SHA256SUMS`.
pub fn seal_files(m: &CopyManifest) -> Vec<(String, Vec<u8>)> {
    let js = manifest_js(&m.bytes);
    let mut out = vec![
        (MANIFEST_PATH.to_string(), m.bytes.clone()),
        (MANIFEST_JS_PATH.to_string(), js.clone()),
    ];
    let (root, shards) = match &m.layout {
        Layout::V1 => {
            let mut entries: Vec<(String, String)> = m
                .manifest
                .files
                .iter()
                .map(|(p, e)| (p.clone(), e.sha256.clone()))
                .collect();
            entries.push((MANIFEST_PATH.into(), sha256_hex(&m.bytes)));
            entries.push((MANIFEST_JS_PATH.into(), sha256_hex(&js)));
            let text = sums::sha256sums(entries.iter().map(|(p, h)| (p.as_str(), h.as_str())));
            out.push((SUMS_PATH.into(), text.into_bytes()));
            return out;
        }
        Layout::V2 { root, shards } => (root, shards),
    };
    for (reference, read) in root.shards.iter().zip(shards) {
        if let ShardRead::Good(bytes) = read {
            out.push((reference.path(), bytes.to_vec()));
            out.push((
                reference.js_path(),
                shard::shard_js(&reference.sha256, bytes),
            ));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    if m.complete() {
        // The same function the seal uses, over the same parts.
        let parts: Vec<(&String, files::Parts)> = m
            .manifest
            .files
            .iter()
            .map(|(path, e)| {
                let parts = files::Parts {
                    member: String::new(),
                    key: 0,
                    line: sums::line(path, &e.sha256),
                    element: metalink::file_element(path, e.size, &e.sha256, &root.mirrors),
                };
                (path, parts)
            })
            .collect();
        let listed: Vec<(&str, &files::Parts)> =
            parts.iter().map(|(p, parts)| (p.as_str(), parts)).collect();
        let made: Vec<files::MadeShard> = root
            .shards
            .iter()
            .zip(shards)
            .filter_map(|(reference, read)| match read {
                ShardRead::Good(bytes) => {
                    Some(files::MadeShard::new(reference.clone(), bytes.clone()))
                }
                ShardRead::Bad(_) => None,
            })
            .collect();
        for (path, bytes) in files::index_files(&listed, &made, root) {
            if path == METALINK_PATH || path == SUMS_PATH {
                out.push((path, bytes.to_vec()));
            }
        }
    }
    out
}

/// SHA-256 of each integrity file as it must be for this manifest (the
/// signature aside, which is checked by verifying it): those
/// [`seal_files`] makes, and every shard the root names, read or not.
pub fn expected_seal(m: &CopyManifest) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = seal_files(m)
        .into_iter()
        .map(|(path, bytes)| (path, sha256_hex(&bytes)))
        .collect();
    if let Layout::V2 { root, .. } = &m.layout {
        for s in &root.shards {
            out.insert(s.path(), s.sha256.clone());
        }
    }
    out
}

/// Whether a path is one of the manifest's own integrity files, of any
/// shard it names (so never EXTRA, whether or not it could be made).
fn is_seal_path(m: &CopyManifest, path: &str) -> bool {
    match &m.layout {
        Layout::V1 => crate::seal::manifest::SEAL_FILES_V1.contains(&path),
        Layout::V2 { root, .. } => {
            [
                MANIFEST_PATH,
                MANIFEST_JS_PATH,
                SIGNATURE_PATH,
                SUMS_PATH,
                METALINK_PATH,
            ]
            .contains(&path)
                || root
                    .shards
                    .iter()
                    .any(|s| path == s.path() || path == s.js_path())
        }
    }
}

fn compare(path: &str, seen: Option<&Seen>, size: u64, sha256: &str) -> Option<FileProblem> {
    let problem = |status, detail: String| {
        Some(FileProblem {
            path: path.to_string(),
            status,
            detail: Some(detail),
        })
    };
    match seen {
        None | Some(Seen::Missing) => Some(FileProblem {
            path: path.to_string(),
            status: FileStatus::Missing,
            detail: None,
        }),
        Some(Seen::Failed(e)) => problem(FileStatus::Missing, format!("could not read: {e}")),
        Some(Seen::TooLarge) => problem(
            FileStatus::Modified,
            format!("larger than the {size} bytes expected"),
        ),
        Some(Seen::Present {
            size: s,
            sha256: h,
            self_ok,
        }) => {
            if *s != size {
                problem(FileStatus::Modified, format!("{s} bytes, expected {size}"))
            } else if h != sha256 {
                problem(FileStatus::Modified, "SHA-256 differs".into())
            } else if *self_ok == Some(false) {
                problem(
                    FileStatus::Modified,
                    "the page's embedded self hash does not match".into(),
                )
            } else {
                None
            }
        }
    }
}

/// Per-file statuses of one copy against manifest `m`.
pub fn check_files(
    copy: &Observed,
    m: &CopyManifest,
    key: Option<&str>,
) -> (usize, Vec<FileProblem>) {
    let mut problems = Vec::new();
    let mut ok = 0;
    for (path, entry) in &m.manifest.files {
        let seen = copy.files.get(path);
        // Having no marker is no fault (see check_marker).
        if path == MARKER && matches!(seen, None | Some(Seen::Missing)) {
            continue;
        }
        match compare(path, seen, entry.size, &entry.sha256) {
            Some(p) => problems.push(p),
            None => ok += 1,
        }
    }
    for (path, sha) in expected_seal(m) {
        let size = match copy.files.get(&path) {
            Some(Seen::Present { size, .. }) => *size,
            _ => 0,
        };
        match compare(&path, copy.files.get(&path), size, &sha) {
            Some(p) => problems.push(p),
            None => ok += 1,
        }
    }
    let signing_key = key.or(m.manifest.public_key.as_deref());
    if let Some(signing_key) = signing_key {
        match (&copy.signature, copy.files.get(SIGNATURE_PATH)) {
            (Some(sig), Some(Seen::Present { .. })) => {
                let valid = sign::verify(signing_key, &m.bytes, sig)
                    .map(|_| sign::is_canonical(sig, &m.manifest.site.id));
                match valid {
                    Ok(true) => ok += 1,
                    Ok(false) => problems.push(FileProblem {
                        path: SIGNATURE_PATH.into(),
                        status: FileStatus::Modified,
                        detail: Some("the signature verifies but its file was edited".into()),
                    }),
                    Err(e) => problems.push(FileProblem {
                        path: SIGNATURE_PATH.into(),
                        status: FileStatus::Modified,
                        detail: Some(e.to_string()),
                    }),
                }
            }
            _ => problems.push(FileProblem {
                path: SIGNATURE_PATH.into(),
                status: FileStatus::Missing,
                detail: None,
            }),
        }
    }
    // A format-1 manifest does not list the output marker (format 2
    // does), but it is in the folder: its bytes are fixed.
    if matches!(m.layout, Layout::V1) {
        if let Some(p) = check_marker(copy) {
            problems.push(p);
        }
    }
    if let Some(listing) = &copy.listing {
        for path in listing {
            let known = m.manifest.files.contains_key(path)
                || is_seal_path(m, path)
                || m.in_bad_shard(path)
                || path == MARKER;
            if !known {
                problems.push(FileProblem {
                    path: path.clone(),
                    status: FileStatus::Extra,
                    detail: None,
                });
            }
        }
    }
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    (ok, problems)
}

/// The `.spore-output` marker as it must be: present or not (copies made
/// by tools that skip dot files have none), but never other bytes.
pub fn marker_sha256() -> String {
    sha256_hex(MARKER_TEXT.as_bytes())
}

fn check_marker(copy: &Observed) -> Option<FileProblem> {
    let problem = |detail: &str| FileProblem {
        path: MARKER.into(),
        status: FileStatus::Modified,
        detail: Some(detail.into()),
    };
    match copy.files.get(MARKER)? {
        Seen::Present { sha256, .. } if *sha256 == marker_sha256() => None,
        Seen::Present { .. } => Some(problem("not the text Spore writes")),
        Seen::TooLarge => Some(problem("larger than the text Spore writes")),
        Seen::Missing | Seen::Failed(_) => None,
    }
}

/// Largest file read for a path that no signed manifest lists (no key is
/// pinned, or the path is only in an unsigned manifest): an unsigned
/// manifest's sizes can lower a cap, never raise it above this.
pub const UNSIGNED_FILE_CAP: u64 = 256 << 20;

/// The files to read at a copy, with the most bytes to read of each.
/// Sizes from a manifest signed by the pinned key (`trusted`) are exact
/// caps; an unsigned manifest is the copy's own claim, so its sizes are
/// capped at [`UNSIGNED_FILE_CAP`] and never raise a signed one.
pub fn wanted_files(
    copy: &Observed,
    own_trusted: bool,
    reference: Option<(&CopyManifest, bool)>,
) -> BTreeMap<String, u64> {
    // path → (largest trusted size, largest untrusted size)
    let mut sizes: BTreeMap<String, (Option<u64>, u64)> = BTreeMap::new();
    if copy.source.folder().is_some() {
        // Its bytes are fixed: no manifest decides how many to read.
        sizes.insert(MARKER.into(), (Some(MARKER_TEXT.len() as u64), 0));
    }
    let manifests = [
        copy.manifest.as_ref().ok().map(|m| (m, own_trusted)),
        reference,
    ];
    for (m, trusted) in manifests.into_iter().flatten() {
        let mut note = |path: &str, size: u64| {
            let e = sizes.entry(path.to_string()).or_insert((None, 0));
            if trusted {
                e.0 = Some(e.0.unwrap_or(0).max(size));
            } else {
                e.1 = e.1.max(size);
            }
        };
        for (path, e) in &m.manifest.files {
            note(path, e.size);
        }
        // The integrity files are read whole whatever the manifest's
        // sizes: they are checked by making them again.
        for (path, bytes) in seal_files(m) {
            note(&path, bytes.len() as u64);
        }
        if let Layout::V2 { root, .. } = &m.layout {
            for s in &root.shards {
                note(&s.path(), s.size.min(super::observe::SHARD_CAP));
            }
            if !m.complete() {
                // Not made (a shard is unknown): read to report, bounded.
                let cap = m.manifest.files.len() as u64 * 1024 + (1 << 20);
                note(METALINK_PATH, cap);
                note(SUMS_PATH, cap);
            }
        }
        note(SIGNATURE_PATH, super::source::SIGNATURE_CAP);
    }
    sizes
        .into_iter()
        .map(|(path, (trusted, untrusted))| {
            let cap = trusted.unwrap_or(untrusted.min(UNSIGNED_FILE_CAP));
            (path, cap)
        })
        .collect()
}

/// The state of a copy relative to the reference and the remembered
/// version.
pub fn copy_state(
    copy: &Observed,
    sig: &SignatureState,
    judged: Judged,
    reference: Option<(&CopyManifest, bool)>,
    remembered: Option<i64>,
    in_conflict: bool,
) -> CopyState {
    let own = match &copy.manifest {
        Ok(m) => m,
        Err(reason) => {
            return CopyState::NoManifest {
                reason: reason.clone(),
            }
        }
    };
    if let SignatureState::Invalid(reason) = sig {
        return CopyState::BadSignature {
            reason: reason.clone(),
        };
    }
    if *sig == SignatureState::Missing {
        return CopyState::BadSignature {
            reason: "no signature file (integrity/manifest.json.minisig)".into(),
        };
    }
    let version = own.manifest.version;
    if in_conflict {
        return CopyState::Conflict { version };
    }
    if let Some(remembered) = remembered {
        if judged == Judged::Own && version < remembered {
            return CopyState::Rollback {
                version,
                remembered,
            };
        }
    }
    match reference {
        Some((r, _)) if judged == Judged::Own && version < r.manifest.version => CopyState::Stale {
            version,
            behind_seconds: r.manifest.version - version,
        },
        _ => CopyState::Current,
    }
}

/// Copy by copy, the files on which copies disagree with the reference:
/// OK, MISSING, MODIFIED, EXTRA, or OLD (matches the copy's own older
/// signed manifest).
pub fn disagreements(
    copies: &[Observed],
    states: &[CopyState],
    problems: &[Vec<FileProblem>],
    reference: &CopyManifest,
    reference_signature: Option<&str>,
) -> Vec<Disagreement> {
    let mut expected: BTreeMap<String, String> = reference
        .manifest
        .files
        .iter()
        .map(|(p, e)| (p.clone(), e.sha256.clone()))
        .collect();
    for (p, h) in expected_seal(reference) {
        expected.insert(p, h);
    }
    if let Some(sig) = reference_signature {
        expected.insert(SIGNATURE_PATH.into(), sha256_hex(sig.as_bytes()));
    }
    expected.insert(MARKER.into(), marker_sha256());
    let mut universe: BTreeSet<String> = expected.keys().cloned().collect();
    for p in problems.iter().flatten() {
        universe.insert(p.path.clone());
    }
    // Each copy's own seal files, computed once (hashing a manifest is not free).
    let own_seal: Vec<Option<BTreeMap<String, String>>> = copies
        .iter()
        .map(|c| c.manifest.as_ref().ok().map(expected_seal))
        .collect();
    let problem_paths: Vec<BTreeSet<&str>> = problems
        .iter()
        .map(|ps| ps.iter().map(|p| p.path.as_str()).collect())
        .collect();
    let mut rows = Vec::new();
    for path in universe {
        let cells: Vec<String> = copies
            .iter()
            .enumerate()
            .map(|(i, copy)| {
                let stale = matches!(states[i], CopyState::Stale { .. });
                let seen = copy.files.get(&path);
                let own_sha = copy.manifest.as_ref().ok().and_then(|m| {
                    if path == SIGNATURE_PATH {
                        copy.signature.as_ref().map(|s| sha256_hex(s.as_bytes()))
                    } else {
                        m.manifest
                            .files
                            .get(&path)
                            .map(|e| e.sha256.clone())
                            .or_else(|| {
                                own_seal[i]
                                    .as_ref()
                                    .and_then(|seal| seal.get(path.as_str()).cloned())
                            })
                    }
                });
                let old = stale
                    && seen.and_then(Seen::sha256).is_some()
                    && seen.and_then(Seen::sha256) == own_sha.as_deref();
                let cell = match (expected.get(&path), seen) {
                    (Some(_), None) => "-",
                    // Having no marker is no fault (see check_marker).
                    (Some(_), Some(Seen::Missing)) if path == MARKER => "-",
                    // Not in the stale copy's own version (a page or a
                    // shard that came later): it is behind, not damaged.
                    (Some(_), Some(Seen::Missing)) if stale && own_sha.is_none() => "OLD",
                    (Some(_), Some(Seen::Missing)) => "MISSING",
                    (Some(_), Some(Seen::Failed(_))) => "UNREADABLE",
                    (Some(want), Some(s)) if s.sha256() == Some(want.as_str()) => {
                        if problem_paths[i].contains(path.as_str()) {
                            "MODIFIED"
                        } else {
                            "OK"
                        }
                    }
                    (Some(_), Some(_)) if old => "OLD",
                    (Some(_), Some(_)) => "MODIFIED",
                    (None, _) if old => "OLD",
                    (None, _) => {
                        let listed = copy.listing.as_ref().is_some_and(|l| l.contains(&path));
                        if listed {
                            "EXTRA"
                        } else {
                            "-"
                        }
                    }
                };
                cell.to_string()
            })
            .collect();
        if cells.iter().any(|c| c != "OK" && c != "-") {
            rows.push(Disagreement { path, cells });
        }
    }
    rows
}

/// Reference facts for the report.
pub fn reference_info(label: &str, m: &Manifest, signed: bool) -> Reference {
    Reference {
        copy: label.to_string(),
        site_id: m.site.id.clone(),
        title: m.site.title.clone(),
        version: m.version,
        built: m.built.clone(),
        signed,
        key_fingerprint: m
            .public_key
            .as_deref()
            .and_then(|k| sign::fingerprint(k).ok()),
    }
}

#[cfg(test)]
mod cap_tests {
    use super::*;
    use crate::seal::manifest::{FileEntry, SiteInfo};
    use crate::verify::source::CopySource;

    fn copy_manifest(files: &[(&str, u64)]) -> CopyManifest {
        let manifest = Manifest {
            built: "2024-01-01T00:00:00Z".into(),
            files: files
                .iter()
                .map(|(p, size)| {
                    let entry = FileEntry {
                        sha256: "0".repeat(64),
                        size: *size,
                        source: None,
                        source_sha256: None,
                        title: None,
                    };
                    (p.to_string(), entry)
                })
                .collect(),
            format: crate::seal::manifest::FORMAT_V1.into(),
            generator: "spore test".into(),
            mirrors: Vec::new(),
            public_key: None,
            site: SiteInfo {
                id: "0123456789abcdef".into(),
                title: "t".into(),
            },
            version: 1,
        };
        let bytes = manifest.to_canonical_json();
        CopyManifest {
            manifest,
            bytes,
            layout: super::super::observe::Layout::V1,
        }
    }

    fn observed(own: CopyManifest) -> Observed {
        Observed {
            label: "copy".into(),
            source: CopySource::parse("/nonexistent"),
            manifest: Ok(own),
            signature: None,
            files: BTreeMap::new(),
            listing: None,
            unreachable: None,
            waiting_since: None,
        }
    }

    /// A copy's own unsigned manifest can claim any size: it never raises
    /// the cap a signed reference sets, and alone it is held to the default.
    #[test]
    fn only_signed_sizes_raise_caps() {
        let own = observed(copy_manifest(&[("a.html", 1 << 40), ("b.bin", 1 << 40)]));
        let signed = copy_manifest(&[("a.html", 100)]);
        let caps = wanted_files(&own, false, Some((&signed, true)));
        assert_eq!(caps["a.html"], 100);
        assert_eq!(caps["b.bin"], UNSIGNED_FILE_CAP);
        let caps = wanted_files(&own, false, None);
        assert_eq!(caps["a.html"], UNSIGNED_FILE_CAP);
        // An unsigned reference is no better than the copy's own claim.
        let caps = wanted_files(&own, false, Some((&signed, false)));
        assert_eq!(caps["a.html"], UNSIGNED_FILE_CAP);
        // Unsigned sizes may lower a cap below the default.
        let small = observed(copy_manifest(&[("a.html", 10)]));
        assert_eq!(wanted_files(&small, false, None)["a.html"], 10);
        // A copy whose own manifest verifies against the pinned key is trusted.
        let own_signed = wanted_files(&own, true, Some((&signed, true)));
        assert_eq!(own_signed["b.bin"], 1 << 40);
    }
}
