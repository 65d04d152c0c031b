//! `feed.xml`: an Atom feed of the most recent notes, by `updated` or
//! `date` frontmatter. Deterministic: the feed's own `updated` is the
//! newest note's date, never the clock.

use super::graph::xml_escape;
use super::view::{Card, PageView};
use crate::config::Config;
use crate::load::date::{self, NoteDate};

pub const FEED_PATH: &str = "feed.xml";
/// Entries in the feed, newest first.
pub const FEED_ENTRIES: usize = 50;

/// A frontmatter date as an RFC 3339 timestamp (`2024-05-01` →
/// `2024-05-01T00:00:00Z`), or `None` when it is not a real date (`load`
/// has already warned about those and left them out).
pub fn rfc3339(date: &str) -> Option<String> {
    crate::load::date::parse(date).ok().map(|d| d.rfc3339)
}

/// The date a note sorts by in the feed: `updated`, else `date`.
fn card_date(card: &Card) -> Option<NoteDate> {
    let parse = |d: Option<&str>| d.and_then(|d| date::parse(d).ok());
    parse(card.updated).or_else(|| parse(card.date))
}

/// [`card_date`] of note `id`, as RFC 3339.
pub fn note_updated(view: &PageView, id: usize) -> Option<String> {
    card_date(&view.card(id)).map(|d| d.rfc3339)
}

fn link(config: &Config, path: &str) -> String {
    let encoded = crate::portable::encode_path(path);
    match config.mirrors.first() {
        Some(m) => format!("{}{encoded}", m.url),
        None => encoded,
    }
}

/// The notes the feed lists, newest first: (date, note id).
pub fn latest(view: &PageView) -> Vec<(String, usize)> {
    // Each card read once: a recording view keeps every read, and a sort
    // reading cards in its comparisons reads each one many times.
    let mut dated: Vec<(NoteDate, &str, usize)> = view
        .note_ids()
        .filter_map(|id| {
            let card = view.card(id);
            card_date(&card).map(|d| (d, card.out_path, id))
        })
        .collect();
    // By instant: `…T13:00+02:00` is older than `…T12:00Z`.
    dated.sort_by(|a, b| b.0.instant.cmp(&a.0.instant).then_with(|| a.1.cmp(b.1)));
    dated.truncate(FEED_ENTRIES);
    dated
        .into_iter()
        .map(|(d, _, id)| (d.rfc3339, id))
        .collect()
}

/// The Atom feed of the [`latest`] notes; `summary(id)`: the text shown
/// for an entry.
pub fn feed_xml(
    view: &PageView,
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
    xml.push_str(&format!("  <updated>{}</updated>\n", xml_escape(&updated)));
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
        let card = view.card(*id);
        let entry_id = match config.mirrors.first() {
            Some(_) => link(config, card.out_path),
            None => format!(
                "urn:spore:note:{}",
                crate::portable::encode_path(card.out_path)
            ),
        };
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <title>{}</title>\n", xml_escape(card.title)));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_escape(&link(config, card.out_path))
        ));
        xml.push_str(&format!("    <id>{}</id>\n", xml_escape(&entry_id)));
        xml.push_str(&format!("    <updated>{}</updated>\n", xml_escape(date)));
        if let Some(published) = card.date.and_then(rfc3339) {
            xml.push_str(&format!(
                "    <published>{}</published>\n",
                xml_escape(&published)
            ));
        }
        for tag in view.tags(*id) {
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
