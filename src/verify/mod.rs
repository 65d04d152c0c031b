//! `spore verify`: checks any number of copies of a site (folders and
//! http(s) URLs) against their manifests, the pinned key and each other.
//!
//! Order of work: read every copy's manifest and signature; choose the
//! reference (the highest version correctly signed by the trusted key, else
//! the manifest most copies agree on, marked UNSIGNED); read and hash every
//! file; judge each copy; optionally repair a local copy and check again.
//!
//! Trust: a copy, a mirror or a manifest is evidence, never authority. The
//! trusted key is the pinned one (`--key`); without it, for `--repair`
//! only, the key the target's own manifest verifies against. Repair writes
//! from an unsigned reference only with `--accept-unsigned`, and never over
//! a copy signed by its own key; only a pinned key's signature raises the
//! version remembered in `--state`.

pub mod judge;
pub mod observe;
mod pack_check;
pub mod repair;
pub mod report;
pub mod source;
pub mod state;

use judge::Judged;
use observe::{Observed, Seen};
pub use observe::{Progress, ProgressFn};
use report::CopyReport;
pub use report::{exit, CopyState, FileStatus, KeySource, Outcome, TrustedKey, VerifyReport};
use source::CopySource;
pub use source::NetLimits;
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

#[derive(Clone, Default)]
pub struct VerifyOptions {
    /// Folders and http(s) URLs, as given on the command line.
    pub copies: Vec<String>,
    /// The pinned public key (base64 line).
    pub key: Option<String>,
    /// `--state FILE`.
    pub state: Option<PathBuf>,
    /// `--repair DIR`.
    pub repair: Option<PathBuf>,
    /// Deadline, idle timeout and minimum rate for each copy (`--timeout`).
    pub limits: NetLimits,
    /// Called as files are read (for a progress line).
    pub progress: Option<Arc<ProgressFn>>,
    /// `--accept-unsigned`: repair may write from a reference no trusted
    /// key signed (never over a copy signed by its own key).
    pub accept_unsigned: bool,
}

impl std::fmt::Debug for VerifyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("copies", &self.copies)
            .field("key", &self.key)
            .field("state", &self.state)
            .field("repair", &self.repair)
            .field("limits", &self.limits)
            .field("progress", &self.progress.is_some())
            .field("accept_unsigned", &self.accept_unsigned)
            .finish()
    }
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("no copies to verify")]
    NoCopies,
    #[error("{0}")]
    State(String),
    #[error(transparent)]
    Repair(#[from] repair::RepairError),
    #[error("cannot repair: {0}")]
    NoReference(String),
    #[error("cannot repair {target}: the reference (the manifest most copies agree on, from {reference}) is not signed by a key you trust; pin the author's key with --key, or pass --accept-unsigned to repair from it anyway")]
    UnsignedReference { target: String, reference: String },
    #[error("cannot repair {target}: version {version} of the reference is in CONFLICT (another manifest has that version with different files); find out which copy is right and repair from that one alone")]
    Conflict { target: String, version: i64 },
    #[error("cannot repair {target}: its manifest is signed by the key it names (fingerprint {fingerprint}) and the reference is not signed by the pinned key; a signed copy is never replaced by a manifest no trusted key signed")]
    SignedTarget { target: String, fingerprint: String },
}

/// The key whose signature decides, with its base64 line.
struct Trust {
    key: String,
    source: KeySource,
}

struct Checked {
    copies: Vec<Observed>,
    reference: Option<(usize, bool)>,
    report: VerifyReport,
}

/// Phase 1 for every copy: manifest and signature. Each copy's deadline
/// starts now, and each copy has its own thread (not a slot in a pool as
/// wide as the CPU): a slow copy costs its own deadline, never another's.
fn observe_all(labels: &[String], limits: NetLimits) -> Vec<Observed> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = labels
            .iter()
            .map(|label| {
                let source = CopySource::open(label, limits);
                scope.spawn(move || observe::observe_manifest(label, source))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The rest: reference, every file, each copy's state, the verdict.
fn judge_all(
    mut copies: Vec<Observed>,
    trust: Option<&Trust>,
    state: Option<&state::State>,
    progress: Option<&ProgressFn>,
) -> Checked {
    let key = trust.map(|t| t.key.as_str());
    let sigs: Vec<_> = copies
        .iter()
        .map(|c| judge::signature_state(c, key))
        .collect();
    let reference = judge::choose_reference(&copies, &sigs);
    let in_conflict = judge::conflicts(&copies, &sigs, key.is_some());
    // A shard one copy could not give is taken from another with the very
    // same root (its bytes are fixed by the root's hash).
    let ref_manifest = reference.and_then(|(i, _)| {
        let mut m = copies[i].manifest.as_ref().ok().cloned()?;
        for other in copies.iter().filter_map(|c| c.manifest.as_ref().ok()) {
            m.complete_from(other);
        }
        Some(m)
    });
    let ref_trusted = ref_manifest
        .as_ref()
        .zip(reference)
        .map(|(m, (_, s))| (m, s));
    std::thread::scope(|scope| {
        for (copy, sig) in copies.iter_mut().zip(&sigs) {
            scope.spawn(move || {
                let own_trusted = *sig == report::SignatureState::Valid;
                let wanted = judge::wanted_files(copy, own_trusted, ref_trusted);
                observe::observe_files(copy, &wanted, progress);
            });
        }
    });
    let reference_info = reference.and_then(|(i, signed)| {
        let m = copies[i].manifest.as_ref().ok()?;
        Some(judge::reference_info(&copies[i].label, &m.manifest, signed))
    });
    let remembered = reference_info
        .as_ref()
        .and_then(|r| state.and_then(|s| s.remembered(&r.site_id)));
    let with_flag = ref_manifest
        .as_ref()
        .zip(reference)
        .map(|(m, (_, signed))| (m, signed));
    let mut reports = Vec::new();
    let mut states = Vec::new();
    let mut problems = Vec::new();
    for ((copy, sig), conflict) in copies.iter_mut().zip(&sigs).zip(&in_conflict) {
        // A copy the network failed is judged on what was read of it.
        if copy.unreachable.is_some() {
            copy.files
                .retain(|_, seen| !matches!(seen, Seen::Failed(_)));
        }
        let copy = &*copy;
        let judged = judge::judged_by(copy, sig, with_flag);
        let state = match &copy.unreachable {
            Some(reason) => CopyState::Unreachable {
                reason: reason.clone(),
            },
            None => judge::copy_state(copy, sig, judged, with_flag, remembered, *conflict),
        };
        let against = match judged {
            Judged::Own => copy.manifest.as_ref().ok(),
            Judged::Reference => ref_manifest.as_ref(),
            Judged::Nothing => None,
        };
        let (files_ok, mut file_problems) = against
            .map(|m| judge::check_files(copy, m, key))
            .unwrap_or_default();
        if copy.unreachable.is_some() {
            // Files never read are not evidence of anything.
            file_problems.retain(|p| {
                copy.files.contains_key(&p.path)
                    || copy.listing.as_ref().is_some_and(|l| l.contains(&p.path))
            });
        }
        states.push(state.clone());
        problems.push(file_problems.clone());
        reports.push(CopyReport {
            copy: copy.label.clone(),
            state,
            version: copy.manifest.as_ref().ok().map(|m| m.manifest.version),
            signature: sig.clone(),
            files_ok,
            problems: file_problems,
            ipfs: pack_check::ipfs_pack(&copy.source),
        });
    }
    let disagreements = match (&ref_manifest, reference) {
        (Some(m), Some((i, _))) => judge::disagreements(
            &copies,
            &states,
            &problems,
            m,
            copies[i].signature.as_deref(),
        ),
        _ => Vec::new(),
    };
    let outcome = VerifyReport::decide(key.is_some(), reference_info.as_ref(), &reports);
    let pinned = trust.is_some_and(|t| t.source == KeySource::Pinned);
    let report = VerifyReport {
        authorship_checked: pinned && reference_info.as_ref().is_some_and(|r| r.signed),
        reference: reference_info,
        key_pinned: pinned,
        trusted_key: trust.map(|t| TrustedKey {
            fingerprint: crate::seal::sign::fingerprint(&t.key).unwrap_or_default(),
            source: t.source.clone(),
        }),
        copies: reports,
        disagreements,
        repaired: Vec::new(),
        outcome,
        exit_code: outcome.exit_code(),
    };
    Checked {
        copies,
        reference,
        report,
    }
}

fn same_folder(label: &str, dir: &std::path::Path) -> bool {
    match CopySource::parse(label).folder() {
        Some(f) => {
            let a = f.canonicalize().unwrap_or_else(|_| f.to_path_buf());
            let b = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            a == b
        }
        None => false,
    }
}

/// Runs the whole check (and repair), updating the state file.
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    if options.copies.is_empty() && options.repair.is_none() {
        return Err(VerifyError::NoCopies);
    }
    let mut labels = options.copies.clone();
    let target = options.repair.as_ref().map(|dir| {
        labels
            .iter()
            .position(|l| same_folder(l, dir))
            .unwrap_or_else(|| {
                labels.push(dir.display().to_string());
                labels.len() - 1
            })
    });
    let mut state = match &options.state {
        Some(path) => Some(state::State::read(path).map_err(VerifyError::State)?),
        None => None,
    };
    let copies = observe_all(&labels, options.limits);
    // A pinned key decides. Without one, a repair target signed by the key
    // it names is only ever replaced by that key's word.
    let target_key = target.and_then(|t| judge::self_signed_key(&copies[t]));
    let trust = match (&options.key, &target_key) {
        (Some(key), _) => Some(Trust {
            key: key.clone(),
            source: KeySource::Pinned,
        }),
        (None, Some(key)) => Some(Trust {
            key: key.clone(),
            source: KeySource::RepairTarget,
        }),
        (None, None) => None,
    };
    let progress = options.progress.as_deref();
    let mut checked = judge_all(copies, trust.as_ref(), state.as_ref(), progress);
    if let Some(target) = target {
        repair::check_target(&checked.copies[target])?;
        let (i, signed) = checked
            .reference
            .ok_or_else(|| VerifyError::NoReference("no copy has a readable manifest".into()))?;
        let target_label = checked.copies[target].label.clone();
        if !signed {
            if let Some(key) = &target_key {
                return Err(VerifyError::SignedTarget {
                    target: target_label,
                    fingerprint: crate::seal::sign::fingerprint(key).unwrap_or_default(),
                });
            }
            if !options.accept_unsigned {
                return Err(VerifyError::UnsignedReference {
                    target: target_label,
                    reference: checked.copies[i].label.clone(),
                });
            }
        }
        if let CopyState::Conflict { version } = checked.report.copies[i].state {
            return Err(VerifyError::Conflict {
                target: target_label,
                version,
            });
        }
        let reference = checked.copies[i]
            .manifest
            .as_ref()
            .map_err(|e| VerifyError::NoReference(e.clone()))?
            .clone();
        let signature = checked.copies[i].signature.clone();
        let label = checked.copies[i].label.clone();
        // Fetching again from donors is a phase of its own, with its own
        // deadline per copy (the check may have used up the first).
        for copy in checked.copies.iter_mut() {
            copy.source = CopySource::open(&copy.label, options.limits);
        }
        let repaired = repair::repair(
            &checked.copies,
            target,
            &reference,
            signature.as_deref(),
            &label,
        )?;
        if !repaired.is_empty() {
            checked = judge_all(
                observe_all(&labels, options.limits),
                trust.as_ref(),
                state.as_ref(),
                progress,
            );
        }
        checked.report.repaired = repaired;
    }
    // Only a signature by a pinned key raises the remembered version.
    if let (Some(state), Some(path), Some(r)) = (
        state.as_mut(),
        options.state.as_ref(),
        checked.report.reference.as_ref(),
    ) {
        if checked.report.authorship_checked {
            state.record_signed(&r.site_id, r.version, &r.built);
            state.write(path).map_err(VerifyError::State)?;
        }
    }
    Ok(checked.report)
}
