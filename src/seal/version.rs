//! The site's version: one integer that only grows between builds, computed
//! once per build *outside* the pure seal stage. Order of preference:
//! an explicit value (the API / `SOURCE_DATE_EPOCH`), the newest git commit
//! touching the vault, the newest note modification time. The seal then
//! raises it past the version already in the output folder when needed
//! ([`sealed_version`]), so that versions only grow and different content
//! never shares one.

use crate::load::Note;
use std::path::Path;
use std::process::Command;
use thiserror::Error;

/// The last second with a four-digit year (9999-12-31T23:59:59Z): RFC 3339
/// dates, which the manifest, feed and Metalink file carry, end there.
pub const MAX_VERSION: i64 = 253_402_300_799;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VersionError {
    /// reproducible-builds.org: a malformed value must stop the build.
    #[error("SOURCE_DATE_EPOCH={value:?} is not a time Spore can use: {reason}. It must be a whole number of seconds since 1970-01-01 UTC, digits only, up to {MAX_VERSION} (for example SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)); fix it or unset it")]
    SourceDateEpoch { value: String, reason: &'static str },
}

/// `SOURCE_DATE_EPOCH`, when set and not empty. Anything but digits (a
/// sign, a fraction, white space, an exponent) is an error, as is a time
/// past [`MAX_VERSION`].
pub fn source_date_epoch() -> Result<Option<i64>, VersionError> {
    let Some(raw) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let value = raw.to_string_lossy().into_owned();
    if value.is_empty() {
        return Ok(None);
    }
    parse_epoch(&value).map(Some)
}

fn parse_epoch(value: &str) -> Result<i64, VersionError> {
    let error = |reason| VersionError::SourceDateEpoch {
        value: value.to_string(),
        reason,
    };
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error("not a whole number of seconds"));
    }
    match value.parse::<i64>() {
        Ok(v) if v <= MAX_VERSION => Ok(v),
        _ => Err(error("after the year 9999")),
    }
}

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
) -> Result<SiteVersion, VersionError> {
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
) -> Result<SiteVersion, VersionError> {
    if let Some(version) = explicit {
        return Ok(SiteVersion {
            version,
            source: VersionSource::Explicit,
        });
    }
    if let Some(version) = source_date_epoch()? {
        return Ok(SiteVersion {
            version,
            source: VersionSource::SourceDateEpoch,
        });
    }
    if !probe.no_git {
        if let Some(version) = git_commit_time(vault) {
            return Ok(SiteVersion {
                version,
                source: VersionSource::GitCommit,
            });
        }
        probe.no_git = true;
    }
    Ok(match notes.filter_map(|n| n.modified).max() {
        Some(version) => SiteVersion {
            version,
            source: VersionSource::NoteModified,
        },
        None => SiteVersion {
            version: 0,
            source: VersionSource::Unknown,
        },
    })
}

/// The version a build seals: `computed`, unless the output folder already
/// holds a sealed site (`previous`: its version and whether its content is
/// the same as this build's, asked only when it matters). Never lower than
/// the previous version, and one past it when the content differs, so that
/// versions only grow and two different sites never share one; an
/// unchanged rebuild keeps its version. Pure: the same vault over the same
/// previous output seals the same version.
pub fn sealed_version(computed: i64, previous: Option<(i64, &dyn Fn() -> bool)>) -> i64 {
    match previous {
        Some((version, same_content)) if computed <= version => {
            if same_content() {
                version
            } else {
                version.saturating_add(1)
            }
        }
        _ => computed,
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
/// epoch (clamped to the years 1 to 9999, the range RFC 3339 can write).
pub fn rfc3339(epoch_seconds: i64) -> String {
    const MIN: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
    let seconds = epoch_seconds.clamp(MIN, MAX_VERSION);
    // Civil arithmetic: jiff's `Timestamp` stops a day short of 9999-12-31.
    let epoch = jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
    let t = epoch
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(epoch);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
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
        assert_eq!(rfc3339(MAX_VERSION), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn source_date_epoch_is_digits_only() {
        assert_eq!(parse_epoch("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_epoch("0"), Ok(0));
        assert_eq!(parse_epoch(&MAX_VERSION.to_string()), Ok(MAX_VERSION));
        for bad in [
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "1e9",
            "0x10",
            "253402300800",
            "99999999999999999999",
        ] {
            assert!(parse_epoch(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sealed_versions_only_grow_and_content_decides_a_tie() {
        let same = || true;
        let differs = || false;
        assert_eq!(sealed_version(100, None), 100);
        assert_eq!(sealed_version(100, Some((50, &differs))), 100);
        assert_eq!(sealed_version(100, Some((100, &same))), 100);
        assert_eq!(sealed_version(100, Some((100, &differs))), 101);
        assert_eq!(sealed_version(40, Some((100, &same))), 100);
        assert_eq!(sealed_version(40, Some((100, &differs))), 101);
    }

    #[test]
    fn explicit_version_wins() {
        let v = site_version(Some(42), Path::new("/nonexistent"), std::iter::empty()).unwrap();
        assert_eq!(v.version, 42);
        assert_eq!(v.source, VersionSource::Explicit);
    }
}
