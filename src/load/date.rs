//! Frontmatter dates (`date`/`created`, `updated`/`modified`), read with
//! `jiff`. A date Spore cannot read — an impossible day (`2024-02-30`), an
//! impossible time (`25:61:61`), an offset beyond ±23:59 (`+25:00`), or
//! words — is a warning with the file and line, and is left out of the note
//! (so of its page, the feed and the sitemap alike): what is published is
//! always a real instant that feeds and sitemaps can carry.

use super::frontmatter::Frontmatter;
use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::printable::shortened;
use jiff::civil::Time;
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::Timestamp;

/// A frontmatter date that names a real instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteDate {
    /// For sorting: dates with different offsets compare by instant.
    pub instant: Timestamp,
    /// RFC 3339, as feeds and sitemaps want it: `2024-05-01T00:00:00Z` for
    /// a bare day, the author's offset kept (`…T13:45:10+02:00`), whole
    /// seconds.
    pub rfc3339: String,
}

/// Why a date was refused, for the warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0}")]
    Unreadable(String),
    #[error("the year must be between 1 and 9999")]
    Year,
    #[error("the offset must lie within ±23:59 and name whole minutes")]
    Offset,
    #[error("time zone names are not supported; write an offset such as +02:00")]
    TimeZoneName,
}

/// Reads `YYYY-MM-DD`, optionally with a time (`T` or a space between,
/// `HH:MM[:SS[.fraction]]`) and an offset (`Z`, `±HH:MM`; YAML 1.1, as
/// Jekyll and Hugo write it, puts a space before it). A time without an
/// offset is UTC.
pub fn parse(text: &str) -> Result<NoteDate, DateError> {
    let text = text.trim();
    read(text).or_else(|e| match text.rsplit_once(' ') {
        // One retry, never more: the input is anyone's.
        Some((head, zone)) if head.contains(':') && zone.starts_with(['+', '-', 'Z']) => {
            read(&format!("{head}{zone}")).map_err(|_| e)
        }
        _ => Err(e),
    })
}

/// [`parse`] of the form jiff knows.
fn read(text: &str) -> Result<NoteDate, DateError> {
    let pieces = Pieces::parse(text).map_err(|e| DateError::Unreadable(e.to_string()))?;
    if pieces.time_zone_annotation().is_some() {
        return Err(DateError::TimeZoneName);
    }
    let date = pieces.date();
    if !(1..=9999).contains(&date.year()) {
        return Err(DateError::Year);
    }
    // Published dates have whole seconds (feeds and sitemaps), so the
    // instant drops the fraction too: sorting and the text agree.
    let time = pieces.time().unwrap_or(Time::midnight());
    let time = Time::new(time.hour(), time.minute(), time.second(), 0)
        .map_err(|e| DateError::Unreadable(e.to_string()))?;
    // RFC 3339 has no fractions of an offset minute, nor offsets of a day.
    let offset = match pieces.offset() {
        None | Some(PiecesOffset::Zulu) => None,
        Some(PiecesOffset::Numeric(n)) => Some(n.offset()),
        Some(_) => return Err(DateError::Offset),
    };
    let seconds = offset.map_or(0, |o| o.seconds());
    if seconds.abs() >= 24 * 3600 || seconds % 60 != 0 {
        return Err(DateError::Offset);
    }
    let civil = date.to_datetime(time);
    let instant = jiff::tz::Offset::from_seconds(seconds)
        .and_then(|o| o.to_timestamp(civil))
        .map_err(|e| DateError::Unreadable(e.to_string()))?;
    let day_time = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let zone = match offset {
        None => "Z".to_string(),
        Some(_) => {
            let sign = if seconds < 0 { '-' } else { '+' };
            let minutes = seconds.abs() / 60;
            format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        }
    };
    Ok(NoteDate {
        instant,
        rfc3339: format!("{day_time}{zone}"),
    })
}

/// Checks the note's date keys: each one that does not [`parse`] is
/// removed from `fm`, with a warning at its line of the note file
/// (`yaml`: the frontmatter block, which starts on the file's line 2).
pub fn check(fm: &mut Frontmatter, yaml: Option<&str>, path: &str) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    let slots: [(&mut Option<String>, &[&str]); 2] = [
        (&mut fm.date, &["date", "created"]),
        (&mut fm.updated, &["updated", "modified"]),
    ];
    for (slot, keys) in slots {
        let Some(text) = slot.as_deref() else {
            continue;
        };
        if let Err(e) = parse(text) {
            let line = yaml.and_then(|y| key_line(y, keys, text));
            let key = line
                .and_then(|l| yaml?.lines().nth(l - 2))
                .and_then(|l| keys.iter().find(|k| key_of(l) == Some(**k)))
                .unwrap_or(&keys[0]);
            let mut d = Diagnostic::warning(
                DiagnosticKind::InvalidDate,
                path,
                format!(
                    "{key} {} is not a date Spore can read ({}); left out",
                    shortened(text.trim(), 60),
                    shortened(&e.to_string(), 160),
                ),
            );
            d.line = line;
            d.column = line
                .zip(yaml)
                .map(|(l, y)| super::frontmatter::key_column(y, l));
            warnings.push(d);
            *slot = None;
        }
    }
    warnings
}

/// The top-level key a frontmatter line sets, if it sets one.
fn key_of(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '-', '#']) {
        return None;
    }
    let (key, _) = line.split_once(':')?;
    Some(key.trim().trim_matches(['"', '\'']))
}

/// The line of the note file where one of `keys` is set to `value` (else
/// where one of them is set at all).
fn key_line(yaml: &str, keys: &[&str], value: &str) -> Option<usize> {
    let sets = |line: &str| key_of(line).is_some_and(|k| keys.contains(&k));
    let lines = || yaml.lines().enumerate().filter(|(_, l)| sets(l));
    let holds = |line: &str| {
        line.split_once(':')
            .is_some_and(|(_, v)| v.trim().trim_matches(['"', '\'']) == value.trim())
    };
    let (i, _) = lines().find(|(_, l)| holds(l)).or_else(|| lines().next())?;
    // +2: the opening `---` is line 1.
    Some(i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(text: &str) -> Option<String> {
        parse(text).ok().map(|d| d.rfc3339)
    }

    #[test]
    fn real_dates_become_rfc3339() {
        assert_eq!(rfc("2024-05-01").as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(
            rfc("2024-05-01 13:45").as_deref(),
            Some("2024-05-01T13:45:00Z")
        );
        assert_eq!(
            rfc("2024-05-01T13:45:10Z").as_deref(),
            Some("2024-05-01T13:45:10Z")
        );
        assert_eq!(
            rfc("2024-05-01T13:45:10.25+02:00").as_deref(),
            Some("2024-05-01T13:45:10+02:00")
        );
        assert_eq!(
            rfc("2024-05-01T13:45:10-09:30").as_deref(),
            Some("2024-05-01T13:45:10-09:30")
        );
        assert_eq!(rfc("2024-02-29").as_deref(), Some("2024-02-29T00:00:00Z"));
        assert_eq!(
            rfc("2024-05-01 10:00:00 +0200").as_deref(),
            Some("2024-05-01T10:00:00+02:00")
        );
        assert_eq!(
            rfc("2024-05-01T23:59:60Z").as_deref(),
            Some("2024-05-01T23:59:59Z")
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-05-01T25:61:61",
            "2024-05-01T24:00",
            "2024-05-01T10:60",
            "2024-05-01T10:00:00+25:00",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00+02:00:30",
            "2024-05-01T10:00:00+02:00[Europe/Paris]",
            "2024-05-01 10:00:00 +25:00",
            "2024-05-01 10:00:00 -5",
            "2024-05-01 +02:00",
            "-0001-01-01",
            "0000-01-01",
            "+10000-01-01",
            "yesterday",
            "2024",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn earlier_instants_sort_first_whatever_the_offset() {
        let a = parse("2024-05-01T13:00:00+02:00").unwrap();
        let b = parse("2024-05-01T12:00:00Z").unwrap();
        assert!(a.instant < b.instant);
    }

    #[test]
    fn the_warning_names_the_line_of_the_key() {
        let yaml = "title: T\ncreated: 2024-02-30\nupdated: ok\n";
        let mut fm = Frontmatter {
            date: Some("2024-02-30".into()),
            updated: Some("2024-05-01".into()),
            ..Frontmatter::default()
        };
        let w = check(&mut fm, Some(yaml), "n.md");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, Some(3));
        assert!(
            w[0].message.starts_with("created 2024-02-30 is not a date"),
            "{}",
            w[0].message
        );
        assert_eq!(fm.date, None);
        assert_eq!(fm.updated.as_deref(), Some("2024-05-01"));
    }
}

#[cfg(test)]
mod props {
    use super::parse;
    use proptest::prelude::*;

    #[test]
    fn fractions_of_a_second_are_dropped_from_the_instant_too() {
        let d = parse("0001-01-10 00:00:00.1").unwrap();
        assert_eq!(d.rfc3339, "0001-01-10T00:00:00Z");
        assert_eq!(d.rfc3339.parse::<jiff::Timestamp>().unwrap(), d.instant);
    }

    proptest! {
        /// Whatever the text, reading it ends, and what it accepts is a
        /// timestamp any RFC 3339 reader takes, naming the same instant.
        #[test]
        fn accepted_dates_are_rfc3339(
            text in prop_oneof![
                "\\PC{0,40}",
                "[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?( ?([+-][0-9]{2}:?[0-9]{2}|Z))?",
            ]
        ) {
            if let Ok(d) = parse(&text) {
                let back: jiff::Timestamp = d.rfc3339.parse().expect("RFC 3339");
                prop_assert_eq!(back, d.instant);
            }
        }
    }
}
