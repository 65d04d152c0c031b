//! `feed.xml`: an Atom feed of the most recent notes, by `updated` or
//! `date` frontmatter. Deterministic: the feed's own `updated` is the
//! newest note's date, never the clock.

use super::graph::xml_escape;
use crate::config::Config;
use crate::index::VaultIndex;

pub const FEED_PATH: &str = "feed.xml";
/// Entries in the feed, newest first.
pub const FEED_ENTRIES: usize = 50;

/// A frontmatter date as an RFC 3339 timestamp (`2024-05-01` →
/// `2024-05-01T00:00:00Z`), or `None` when it is not a date.
pub fn rfc3339(date: &str) -> Option<String> {
    let date = date.trim();
    let (day, rest) = date.split_at(date.len().min(10));
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return None;
    }
    let month: u32 = day[5..7].parse().ok()?;
    let mday: u32 = day[8..10].parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&mday) {
        return None;
    }
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(format!("{day}T00:00:00Z"));
    }
    // HH:MM[:SS][zone]
    let t = rest.as_bytes();
    if t.len() < 5
        || !t[..2].iter().all(u8::is_ascii_digit)
        || t[2] != b':'
        || !t[3..5].iter().all(u8::is_ascii_digit)
    {
        return Some(format!("{day}T00:00:00Z"));
    }
    let (hm, after) = rest.split_at(5);
    let (secs, zone) = match after.strip_prefix(':') {
        Some(s) if s.len() >= 2 && s.as_bytes()[..2].iter().all(u8::is_ascii_digit) => (
            &s[..2],
            s[2..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit()),
        ),
        _ => ("00", after),
    };
    let zone = match zone.trim() {
        "" | "Z" | "z" => "Z".to_string(),
        z if (z.starts_with('+') || z.starts_with('-'))
            && z.len() == 6
            && z.as_bytes()[3] == b':' =>
        {
            z.to_string()
        }
        _ => "Z".to_string(),
    };
    Some(format!("{day}T{hm}:{secs}{zone}"))
}

/// The date a note sorts by in the feed: `updated`, else `date`.
pub fn note_updated(index: &VaultIndex, id: usize) -> Option<String> {
    let fm = &index.notes[id].note.frontmatter;
    fm.updated
        .as_deref()
        .and_then(rfc3339)
        .or_else(|| fm.date.as_deref().and_then(rfc3339))
}

fn link(config: &Config, path: &str) -> String {
    let encoded = crate::portable::encode_path(path);
    match config.mirrors.first() {
        Some(m) => format!("{}{encoded}", m.url),
        None => encoded,
    }
}

/// The notes the feed lists, newest first: (date, note id).
pub fn latest(index: &VaultIndex) -> Vec<(String, usize)> {
    let mut dated: Vec<(String, usize)> = (0..index.notes.len())
        .filter_map(|id| note_updated(index, id).map(|d| (d, id)))
        .collect();
    dated.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| index.notes[a.1].out_path.cmp(&index.notes[b.1].out_path))
    });
    dated.truncate(FEED_ENTRIES);
    dated
}

/// The Atom feed of the [`latest`] notes; `summary(id)`: the text shown
/// for an entry.
pub fn feed_xml(
    index: &VaultIndex,
    config: &Config,
    dated: &[(String, usize)],
    summary: impl Fn(usize) -> String,
) -> Vec<u8> {
    let updated = dated
        .first()
        .map(|d| d.0.clone())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let site_id = match config.mirrors.first() {
        Some(m) => m.url.clone(),
        None => format!(
            "urn:spore:site:{}",
            crate::portable::encode_path(&config.title)
        ),
    };
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str(&format!("  <title>{}</title>\n", xml_escape(&config.title)));
    if !config.description.is_empty() {
        xml.push_str(&format!(
            "  <subtitle>{}</subtitle>\n",
            xml_escape(&config.description)
        ));
    }
    xml.push_str(&format!("  <id>{}</id>\n", xml_escape(&site_id)));
    xml.push_str(&format!("  <updated>{updated}</updated>\n"));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(&link(config, "index.html"))
    ));
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_escape(&link(config, FEED_PATH))
    ));
    let authors: Vec<&String> = config.authors.iter().collect();
    if authors.is_empty() {
        xml.push_str(&format!(
            "  <author><name>{}</name></author>\n",
            xml_escape(&config.title)
        ));
    }
    for a in authors {
        xml.push_str(&format!(
            "  <author><name>{}</name></author>\n",
            xml_escape(a)
        ));
    }
    xml.push_str("  <generator>Spore</generator>\n");
    for (date, id) in dated {
        let note = &index.notes[*id];
        let entry_id = match config.mirrors.first() {
            Some(_) => link(config, &note.out_path),
            None => format!(
                "urn:spore:note:{}",
                crate::portable::encode_path(&note.out_path)
            ),
        };
        xml.push_str("  <entry>\n");
        xml.push_str(&format!(
            "    <title>{}</title>\n",
            xml_escape(note.title())
        ));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_escape(&link(config, &note.out_path))
        ));
        xml.push_str(&format!("    <id>{}</id>\n", xml_escape(&entry_id)));
        xml.push_str(&format!("    <updated>{date}</updated>\n"));
        if let Some(published) = note.note.frontmatter.date.as_deref().and_then(rfc3339) {
            xml.push_str(&format!("    <published>{published}</published>\n"));
        }
        for tag in &note.tags {
            xml.push_str(&format!("    <category term=\"{}\"/>\n", xml_escape(tag)));
        }
        let summary = summary(*id);
        if !summary.is_empty() {
            xml.push_str(&format!(
                "    <summary>{}</summary>\n",
                xml_escape(&summary)
            ));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn dates_become_timestamps() {
        assert_eq!(
            rfc3339("2024-05-01").as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339("2024-05-01 13:45").as_deref(),
            Some("2024-05-01T13:45:00Z")
        );
        assert_eq!(
            rfc3339("2024-05-01T13:45:10+02:00").as_deref(),
            Some("2024-05-01T13:45:10+02:00")
        );
        assert_eq!(rfc3339("yesterday"), None);
        assert_eq!(rfc3339("2024-13-01"), None);
    }
}
