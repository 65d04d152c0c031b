//! The site's version: one integer that only grows between builds, computed
//! once per build *outside* the pure seal stage. Order of preference:
//! an explicit value (the API / `SOURCE_DATE_EPOCH`), the newest git commit
//! touching the vault, the newest note modification time.

use crate::load::Note;
use std::path::Path;
use std::process::Command;

/// Where the version came from, for messages and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    Explicit,
    SourceDateEpoch,
    GitCommit,
    NoteModified,
    /// Nothing to go on (empty vault, no git): version 0.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteVersion {
    /// Seconds since the Unix epoch.
    pub version: i64,
    pub source: VersionSource,
}

/// Computes the version. `explicit` wins over everything (tests set it
/// through the API because env vars are shared by parallel tests).
pub fn site_version<'a>(
    explicit: Option<i64>,
    vault: &Path,
    notes: impl Iterator<Item = &'a Note>,
) -> SiteVersion {
    site_version_probed(explicit, vault, notes, &mut GitProbe::default())
}

/// Whether asking git is worth it: `serve` computes the version after
/// every save, and once git has said the vault is not in a repository
/// with commits (or is not installed), it is not asked again in that
/// session — starting a process on every save costs milliseconds. (A
/// first commit made while serving shows from the next restart on.)
#[derive(Debug, Clone, Copy, Default)]
pub struct GitProbe {
    pub no_git: bool,
}

/// [`site_version`], remembering in `probe` what git said.
pub fn site_version_probed<'a>(
    explicit: Option<i64>,
    vault: &Path,
    notes: impl Iterator<Item = &'a Note>,
    probe: &mut GitProbe,
) -> SiteVersion {
    if let Some(version) = explicit {
        return SiteVersion {
            version,
            source: VersionSource::Explicit,
        };
    }
    if let Some(version) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return SiteVersion {
            version,
            source: VersionSource::SourceDateEpoch,
        };
    }
    if !probe.no_git {
        if let Some(version) = git_commit_time(vault) {
            return SiteVersion {
                version,
                source: VersionSource::GitCommit,
            };
        }
        probe.no_git = true;
    }
    match notes.filter_map(|n| n.modified).max() {
        Some(version) => SiteVersion {
            version,
            source: VersionSource::NoteModified,
        },
        None => SiteVersion {
            version: 0,
            source: VersionSource::Unknown,
        },
    }
}

/// Newest commit time of anything under `vault`, when it is in a git work
/// tree and git is installed.
fn git_commit_time(vault: &Path) -> Option<i64> {
    let output = Command::new("git")
        .arg("-C")
        .arg(vault)
        .args(["log", "-1", "--format=%ct", "--", "."])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// RFC 3339 UTC timestamp (`2024-05-01T12:00:00Z`) for seconds since the
/// epoch; proleptic Gregorian calendar (Howard Hinnant's civil_from_days).
pub fn rfc3339(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let secs = epoch_seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn explicit_version_wins() {
        let v = site_version(Some(42), Path::new("/nonexistent"), std::iter::empty());
        assert_eq!(v.version, 42);
        assert_eq!(v.source, VersionSource::Explicit);
    }
}
