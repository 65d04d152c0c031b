//! `spore verify`: checks any number of copies of a site (folders and
//! http(s) URLs) against their manifests, the pinned key and each other.
//!
//! Order of work: read every copy's manifest and signature; choose the
//! reference (the highest version correctly signed by the pinned key, else
//! the manifest most copies agree on, marked UNSIGNED); read and hash every
//! file; judge each copy; optionally repair a local copy and check again.

pub mod judge;
pub mod observe;
pub mod repair;
pub mod report;
pub mod source;
pub mod state;

use judge::Judged;
use observe::{Observed, Seen};
pub use observe::{Progress, ProgressFn};
use report::CopyReport;
pub use report::{exit, CopyState, FileStatus, Outcome, VerifyReport};
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
            .finish()
    }
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("no copies to verify")]
    NoCopies,
    #[error("{0}")]
    State(String),
    #[error("repair failed: {0}")]
    Repair(String),
    #[error("cannot repair: {0}")]
    NoReference(String),
}

struct Checked {
    copies: Vec<Observed>,
    reference: Option<(usize, bool)>,
    report: VerifyReport,
}

fn check_all(
    labels: &[String],
    options: &VerifyOptions,
    key: Option<&str>,
    state: Option<&state::State>,
) -> Checked {
    // Each copy's deadline starts now, and each copy has its own thread
    // (not a slot in a pool as wide as the CPU): a slow copy costs its own
    // deadline, never another's.
    let mut copies: Vec<Observed> = std::thread::scope(|scope| {
        let handles: Vec<_> = labels
            .iter()
            .map(|label| {
                let source = CopySource::open(label, options.limits);
                scope.spawn(move || observe::observe_manifest(label, source))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let sigs: Vec<_> = copies
        .iter()
        .map(|c| judge::signature_state(c, key))
        .collect();
    let reference = judge::choose_reference(&copies, &sigs);
    let ref_manifest = reference.and_then(|(i, _)| copies[i].manifest.as_ref().ok().cloned());
    let ref_trusted = ref_manifest
        .as_ref()
        .zip(reference)
        .map(|(m, (_, s))| (m, s));
    let progress = options.progress.as_deref();
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
    for (copy, sig) in copies.iter_mut().zip(&sigs) {
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
            None => judge::copy_state(copy, sig, judged, with_flag, remembered),
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
    let report = VerifyReport {
        reference: reference_info,
        key_pinned: key.is_some(),
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
    let key = options.key.as_deref();
    let mut checked = check_all(&labels, options, key, state.as_ref());
    if let Some(target) = target {
        let (i, _) = checked
            .reference
            .ok_or_else(|| VerifyError::NoReference("no copy has a readable manifest".into()))?;
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
        )
        .map_err(VerifyError::Repair)?;
        if !repaired.is_empty() {
            checked = check_all(&labels, options, key, state.as_ref());
        }
        checked.report.repaired = repaired;
    }
    if let (Some(state), Some(path), Some(r)) = (
        state.as_mut(),
        options.state.as_ref(),
        checked.report.reference.as_ref(),
    ) {
        state.record(&r.site_id, r.version, &r.built, r.signed);
        state.write(path).map_err(VerifyError::State)?;
    }
    Ok(checked.report)
}
