//! The verdict: per-copy states, per-file statuses, the disagreement table,
//! the exit code, and their text rendering. Serialised as-is for `--json`.

use crate::printable::{printable, Shown};
use serde::Serialize;
use std::fmt::Write;

/// Exit codes of `spore verify` (documented in content/CLI.md).
pub mod exit {
    /// Every copy is current and intact.
    pub const OK: i32 = 0;
    /// Verify could not run (bad arguments, unreadable state file…).
    pub const ERROR: i32 = 1;
    /// A copy has missing, modified or extra files, no manifest, or a bad
    /// signature while another copy is correctly signed.
    pub const ALTERED: i32 = 3;
    /// All copies intact, but some hold an older version.
    pub const STALE: i32 = 4;
    /// A key is pinned and no copy carries a valid signature by it.
    pub const NO_VALID_SIGNATURE: i32 = 5;
    /// A copy is older than a version seen before (`--state`).
    pub const ROLLBACK: i32 = 6;
    /// Two manifests carry one version but list different files.
    pub const CONFLICT: i32 = 7;
    /// Every copy that could be read is current and intact, but some copy
    /// could not be read in time (deadline, stalls, repeated failures).
    pub const UNREACHABLE: i32 = 8;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum FileStatus {
    Ok,
    Missing,
    Modified,
    Extra,
}

impl FileStatus {
    pub fn name(self) -> &'static str {
        match self {
            FileStatus::Ok => "OK",
            FileStatus::Missing => "MISSING",
            FileStatus::Modified => "MODIFIED",
            FileStatus::Extra => "EXTRA",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub path: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING-KEBAB-CASE")]
pub enum CopyState {
    Current,
    Stale {
        version: i64,
        behind_seconds: i64,
    },
    BadSignature {
        reason: String,
    },
    NoManifest {
        reason: String,
    },
    Rollback {
        version: i64,
        remembered: i64,
    },
    /// Another manifest carries the same version with different files.
    Conflict {
        version: i64,
    },
    /// The network failed this copy; what was read of it is still judged.
    Unreachable {
        reason: String,
    },
}

impl CopyState {
    pub fn name(&self) -> &'static str {
        match self {
            CopyState::Current => "CURRENT",
            CopyState::Stale { .. } => "STALE",
            CopyState::BadSignature { .. } => "BAD-SIGNATURE",
            CopyState::NoManifest { .. } => "NO-MANIFEST",
            CopyState::Rollback { .. } => "ROLLBACK",
            CopyState::Conflict { .. } => "CONFLICT",
            CopyState::Unreachable { .. } => "UNREACHABLE",
        }
    }

    fn describe(&self) -> String {
        match self {
            CopyState::Current => "CURRENT".into(),
            CopyState::Stale {
                version,
                behind_seconds,
            } => format!(
                "STALE (version {version}, {} older)",
                human_duration(*behind_seconds)
            ),
            CopyState::BadSignature { reason } => format!("BAD-SIGNATURE ({})", Shown(reason)),
            CopyState::NoManifest { reason } => format!("NO-MANIFEST ({})", Shown(reason)),
            CopyState::Rollback {
                version,
                remembered,
            } => format!(
                "ROLLBACK (version {version}, but {remembered} was seen before — {} newer)",
                human_duration(remembered - version)
            ),
            CopyState::Conflict { version } => format!(
                "CONFLICT (another manifest has version {version} too, with different files)"
            ),
            CopyState::Unreachable { reason } => format!("UNREACHABLE ({})", Shown(reason)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureState {
    Valid,
    Invalid(String),
    Missing,
    NotChecked,
}

#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    pub copy: String,
    #[serde(flatten)]
    pub state: CopyState,
    pub version: Option<i64>,
    pub signature: SignatureState,
    pub files_ok: usize,
    pub problems: Vec<FileProblem>,
    /// For a folder with a `spore pack` CID file beside it: whether that
    /// file names the folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipfs: Option<IpfsPackCheck>,
}

/// A folder's IPFS root CID against the one its `.cid` file names.
#[derive(Debug, Clone, Serialize)]
pub struct IpfsPackCheck {
    /// The `.cid` file.
    pub file: String,
    /// The CID it names.
    pub named: String,
    /// The folder's own root CID (kubo's `--cid-version=1` profile, or the
    /// 2025 one if that is the one named).
    pub computed: Option<String>,
    /// Why the folder's CID could not be computed.
    pub error: Option<String>,
}

impl IpfsPackCheck {
    pub fn matches(&self) -> bool {
        self.computed.as_deref() == Some(self.named.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// The copy whose manifest is the reference.
    pub copy: String,
    pub site_id: String,
    pub title: String,
    pub version: i64,
    pub built: String,
    /// False: no copy is correctly signed by a pinned key (UNSIGNED).
    pub signed: bool,
    /// Fingerprint of the public key the reference manifest names
    /// ([`crate::seal::sign::fingerprint`]).
    pub key_fingerprint: Option<String>,
}

/// The key whose signature decides the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedKey {
    /// [`crate::seal::sign::fingerprint`] of the key.
    pub fingerprint: String,
    pub source: KeySource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    /// `--key`, or `[integrity] public_key` of ./book.toml.
    Pinned,
    /// No key pinned: the key the `--repair` target's own manifest verifies
    /// against, so that the copy is only ever replaced by that key's word.
    RepairTarget,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub path: String,
    /// One status per copy, in the order copies were given.
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repaired {
    pub path: String,
    pub from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Outcome {
    Ok,
    Altered,
    Stale,
    NoValidSignature,
    Rollback,
    Conflict,
    Unreachable,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Ok => exit::OK,
            Outcome::Altered => exit::ALTERED,
            Outcome::Stale => exit::STALE,
            Outcome::NoValidSignature => exit::NO_VALID_SIGNATURE,
            Outcome::Rollback => exit::ROLLBACK,
            Outcome::Conflict => exit::CONFLICT,
            Outcome::Unreachable => exit::UNREACHABLE,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub reference: Option<Reference>,
    pub key_pinned: bool,
    /// The key that decides the reference, if any.
    pub trusted_key: Option<TrustedKey>,
    /// Whether a signature by a key the user pinned was verified: without
    /// one, nothing shows who made the copies.
    pub authorship_checked: bool,
    pub copies: Vec<CopyReport>,
    pub disagreements: Vec<Disagreement>,
    pub repaired: Vec<Repaired>,
    pub outcome: Outcome,
    pub exit_code: i32,
}

impl VerifyReport {
    pub fn copy(&self, label: &str) -> Option<&CopyReport> {
        self.copies.iter().find(|c| c.copy == label)
    }

    /// The outcome, most severe first: no valid signature, rollback,
    /// conflict, altered, unreachable, stale. When no copy could be reached
    /// at all, nothing else can be said: unreachable.
    pub fn decide(
        key_trusted: bool,
        reference: Option<&Reference>,
        copies: &[CopyReport],
    ) -> Outcome {
        let unreachable = |c: &CopyReport| matches!(c.state, CopyState::Unreachable { .. });
        if !copies.is_empty() && copies.iter().all(unreachable) {
            return Outcome::Unreachable;
        }
        if key_trusted && !reference.is_some_and(|r| r.signed) {
            return Outcome::NoValidSignature;
        }
        if copies
            .iter()
            .any(|c| matches!(c.state, CopyState::Rollback { .. }))
        {
            return Outcome::Rollback;
        }
        if copies
            .iter()
            .any(|c| matches!(c.state, CopyState::Conflict { .. }))
        {
            return Outcome::Conflict;
        }
        let altered = reference.is_none()
            || copies.iter().any(|c| {
                !c.problems.is_empty()
                    || matches!(
                        c.state,
                        CopyState::NoManifest { .. } | CopyState::BadSignature { .. }
                    )
            });
        if altered {
            return Outcome::Altered;
        }
        if copies.iter().any(unreachable) {
            return Outcome::Unreachable;
        }
        if copies
            .iter()
            .any(|c| matches!(c.state, CopyState::Stale { .. }))
        {
            return Outcome::Stale;
        }
        Outcome::Ok
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        match &self.reference {
            Some(r) => {
                let _ = writeln!(
                    out,
                    "Reference: \"{}\" (site {}), version {} ({}), from {}",
                    Shown(&r.title),
                    Shown(&r.site_id),
                    r.version,
                    Shown(&r.built),
                    Shown(&r.copy)
                );
                let names = r
                    .key_fingerprint
                    .as_deref()
                    .map(|k| format!(", which names a key with fingerprint {k}"))
                    .unwrap_or_default();
                let line = match (&self.trusted_key, r.signed) {
                    (Some(k), true) if k.source == KeySource::Pinned => {
                        format!("signed by the pinned key, fingerprint {}", k.fingerprint)
                    }
                    (Some(k), true) => format!(
                        "signed by the key the repair target's own manifest names, fingerprint {}; no key was pinned, so authorship NOT checked",
                        k.fingerprint
                    ),
                    (Some(k), false) => format!(
                        "UNSIGNED: no copy is correctly signed by the pinned key (fingerprint {}); this is the manifest most copies agree on{names}",
                        k.fingerprint
                    ),
                    (None, _) => format!(
                        "UNSIGNED: no key pinned (--key, or [integrity] public_key in book.toml), so authorship NOT checked; this is the manifest most copies agree on{names}"
                    ),
                };
                let _ = writeln!(out, "           {line}");
                if !r.signed {
                    let _ = writeln!(
                        out,
                        "           files are read up to {} MiB each: an unsigned manifest cannot raise that limit",
                        super::judge::UNSIGNED_FILE_CAP >> 20
                    );
                }
            }
            None => out.push_str("Reference: none — no copy has a readable manifest\n"),
        }
        out.push('\n');
        let width = self
            .copies
            .iter()
            .map(|c| printable(&c.copy).chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(out, "{:<width$}  STATE / FILES", "COPY");
        for c in &self.copies {
            let mut counts = vec![format!("{} OK", c.files_ok)];
            for status in [FileStatus::Missing, FileStatus::Modified, FileStatus::Extra] {
                let n = c.problems.iter().filter(|p| p.status == status).count();
                if n > 0 {
                    counts.push(format!("{n} {}", status.name()));
                }
            }
            let _ = writeln!(
                out,
                "{:<width$}  {}; {}",
                Shown(&c.copy),
                c.state.describe(),
                counts.join(", ")
            );
        }
        for c in &self.copies {
            let Some(check) = &c.ipfs else { continue };
            let line = match (&check.computed, &check.error) {
                (_, Some(e)) => format!("its IPFS root CID could not be computed: {}", Shown(e)),
                (Some(cid), None) if check.matches() => {
                    format!("IPFS root CID {cid}, as {} says", Shown(&check.file))
                }
                (Some(cid), None) => format!(
                    "IPFS root CID {cid}, but {} names {}: that IPFS pack is of another version of the folder (run spore pack again)",
                    Shown(&check.file),
                    Shown(&check.named)
                ),
                (None, None) => continue,
            };
            let _ = writeln!(out, "{:<width$}  {line}", Shown(&c.copy));
        }
        let with_problems: Vec<&CopyReport> = self
            .copies
            .iter()
            .filter(|c| !c.problems.is_empty())
            .collect();
        if !with_problems.is_empty() {
            out.push_str("\nFiles that differ from the manifest each copy is checked against:\n");
            for c in with_problems {
                for p in &c.problems {
                    let _ = writeln!(
                        out,
                        "  {:<8}  {}  {}{}",
                        p.status.name(),
                        Shown(&c.copy),
                        Shown(&p.path),
                        p.detail
                            .as_deref()
                            .map(|d| format!(" ({})", Shown(d)))
                            .unwrap_or_default()
                    );
                }
            }
        }
        if !self.disagreements.is_empty() && self.copies.len() > 1 {
            out.push_str(
                "\nFiles on which copies disagree with the reference (one column per copy):\n",
            );
            let path_width = self
                .disagreements
                .iter()
                .map(|d| printable(&d.path).chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            let heads: Vec<String> = (1..=self.copies.len()).map(|i| format!("#{i}")).collect();
            let _ = writeln!(
                out,
                "  {:<path_width$}  {}",
                "FILE",
                heads
                    .iter()
                    .map(|h| format!("{h:<10}"))
                    .collect::<String>()
                    .trim_end()
            );
            for d in &self.disagreements {
                let cells: String = d.cells.iter().map(|c| format!("{c:<10}")).collect();
                let _ = writeln!(
                    out,
                    "  {:<path_width$}  {}",
                    Shown(&d.path),
                    cells.trim_end()
                );
            }
            for (i, c) in self.copies.iter().enumerate() {
                let _ = writeln!(out, "  #{} = {}", i + 1, Shown(&c.copy));
            }
        }
        if !self.repaired.is_empty() {
            out.push_str("\nRepaired:\n");
            for r in &self.repaired {
                let _ = writeln!(out, "  {}  (from {})", Shown(&r.path), Shown(&r.from));
            }
        }
        let verdict = match self.outcome {
            Outcome::Ok if !self.authorship_checked => {
                "INTACT, authorship NOT checked: every copy is current and matches the reference, but no key you pinned signed it"
            }
            Outcome::Ok => "OK: every copy is current and intact",
            Outcome::Altered => {
                "ALTERED: some copy has missing, modified or extra files, or no valid manifest"
            }
            Outcome::Stale => "STALE: every copy is intact, but some hold an older version",
            Outcome::NoValidSignature => "NO VALID SIGNATURE: no copy is signed by the pinned key",
            Outcome::Rollback => "ROLLBACK: a copy is older than a version seen before",
            Outcome::Conflict => "CONFLICT: two manifests carry one version with different files",
            Outcome::Unreachable => {
                "UNREACHABLE: some copy could not be read in time; nothing that was read is altered"
            }
        };
        let _ = writeln!(out, "\n{verdict} (exit {})", self.exit_code);
        out
    }
}

/// "3 days 4 hours", "12 minutes".
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if d > 0 {
        format!("{} {}", plural(d, "day"), plural(h, "hour"))
    } else if h > 0 {
        format!("{} {}", plural(h, "hour"), plural(m, "minute"))
    } else if m > 0 {
        plural(m, "minute")
    } else {
        plural(s, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(signed: bool) -> Reference {
        Reference {
            copy: "a".into(),
            site_id: "S".into(),
            title: "T".into(),
            version: 2,
            built: "2024-06-01T12:00:00Z".into(),
            signed,
            key_fingerprint: None,
        }
    }

    fn copy(state: CopyState, problems: usize) -> CopyReport {
        CopyReport {
            copy: "c".into(),
            state,
            version: Some(2),
            signature: SignatureState::Valid,
            files_ok: 1,
            ipfs: None,
            problems: (0..problems)
                .map(|i| FileProblem {
                    path: format!("p{i}"),
                    status: FileStatus::Missing,
                    detail: None,
                })
                .collect(),
        }
    }

    fn rollback() -> CopyState {
        CopyState::Rollback {
            version: 1,
            remembered: 2,
        }
    }

    fn conflict() -> CopyState {
        CopyState::Conflict { version: 2 }
    }

    fn unreachable() -> CopyState {
        CopyState::Unreachable {
            reason: "timed out".into(),
        }
    }

    fn stale() -> CopyState {
        CopyState::Stale {
            version: 1,
            behind_seconds: 60,
        }
    }

    fn decided(signed: bool, copies: Vec<CopyReport>) -> i32 {
        VerifyReport::decide(true, Some(&reference(signed)), &copies).exit_code()
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        let codes = [
            exit::OK,
            exit::ERROR,
            exit::ALTERED,
            exit::STALE,
            exit::NO_VALID_SIGNATURE,
            exit::ROLLBACK,
            exit::CONFLICT,
            exit::UNREACHABLE,
        ];
        assert_eq!(codes, [0, 1, 3, 4, 5, 6, 7, 8]);
    }

    /// Precedence 5, 6, 7, 3, 8, 4: each outcome beats every one after it.
    #[test]
    fn the_most_severe_outcome_wins_in_the_documented_order() {
        let all = || {
            vec![
                copy(rollback(), 0),
                copy(conflict(), 0),
                copy(CopyState::Current, 1),
                copy(unreachable(), 0),
                copy(stale(), 0),
            ]
        };
        assert_eq!(decided(false, all()), exit::NO_VALID_SIGNATURE);
        let mut copies = all();
        assert_eq!(decided(true, copies.clone()), exit::ROLLBACK);
        copies.remove(0);
        assert_eq!(decided(true, copies.clone()), exit::CONFLICT);
        copies.remove(0);
        assert_eq!(decided(true, copies.clone()), exit::ALTERED);
        copies.remove(0);
        assert_eq!(decided(true, copies.clone()), exit::UNREACHABLE);
        copies.remove(0);
        assert_eq!(decided(true, copies.clone()), exit::STALE);
        copies.remove(0);
        assert_eq!(decided(true, copies), exit::OK);
    }

    #[test]
    fn no_copy_reached_at_all_is_unreachable_whatever_else() {
        assert_eq!(
            decided(false, vec![copy(unreachable(), 0), copy(unreachable(), 0)]),
            exit::UNREACHABLE
        );
    }

    #[test]
    fn a_conflict_beside_an_unreachable_copy_is_a_conflict() {
        assert_eq!(
            decided(true, vec![copy(unreachable(), 0), copy(conflict(), 0)]),
            exit::CONFLICT
        );
    }
}
