//! Redirect pages for frontmatter `aliases` and `permalink`: a tiny HTML
//! page with a meta refresh and a canonical link, both relative, so old
//! and alternative addresses keep working on any host and from `file://`.
//! A redirect never replaces a real page or another redirect.

use super::graph::xml_escape;
use crate::index::RESERVED_ROOT;
use crate::portable::{relative_url, sanitize_component};
use crate::site::Bytes;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Output path for a `permalink` value (`/old/url/`, `old/page.html`).
pub fn permalink_path(permalink: &str) -> Option<String> {
    let trimmed = permalink.trim().trim_start_matches('/');
    let is_dir = trimmed.is_empty() || trimmed.ends_with('/');
    let parts: Vec<String> = trimmed
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(sanitize_component)
        .collect();
    if parts.is_empty() {
        return None;
    }
    let last = parts.last()?;
    let lower = last.to_ascii_lowercase();
    if !is_dir && (lower.ends_with(".html") || lower.ends_with(".htm")) {
        Some(parts.join("/"))
    } else {
        Some(format!("{}/index.html", parts.join("/")))
    }
}

/// Output path for an alias: beside the note, named after the alias.
pub fn alias_path(note_out: &str, alias: &str) -> String {
    let name = format!("{}.html", sanitize_component(alias));
    match note_out.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{name}"),
        None => name,
    }
}

pub fn redirect_html(from: &str, to: &str, title: &str, language: &str) -> Vec<u8> {
    let href = xml_escape(&relative_url(from, to));
    let title = xml_escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<link rel=\"canonical\" href=\"{href}\">\n<meta http-equiv=\"refresh\" content=\"0; url={href}\">\n<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n<p>This page is now at <a href=\"{href}\">{title}</a>.</p>\n<footer><!-- spore:integrity --></footer>\n</body>\n</html>\n",
        xml_escape(language)
    )
    .into_bytes()
}

fn fold(path: &str) -> String {
    caseless::default_case_fold_str(path)
}

/// The name that `serve` keeps the redirect pages under.
pub const REDIRECTS: &str = "redirects";

/// What a redirect must not land on, made from the names of the site's
/// files: `serve` keeps it while those names stay the same (folding
/// sixty thousand names costs more than the rest of a save).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct NameSets {
    /// Every name, case-folded.
    taken: HashSet<String>,
    /// Every folder a name sits in, case-folded: a redirect must not turn
    /// a real file into a folder or the reverse.
    folders: HashSet<String>,
}

impl NameSets {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a String>) -> NameSets {
        let mut sets = NameSets::default();
        for name in names {
            sets.taken.insert(fold(name));
            let parts: Vec<&str> = name.split('/').collect();
            for i in 1..parts.len() {
                sets.folders.insert(fold(&parts[..i].join("/")));
            }
        }
        sets
    }
}

/// Redirect pages (path → bytes) that do not collide with the names
/// `names` was made from, nor with each other (the first note wins).
/// `old`, the pages made last time, lends its bytes where they are the
/// same, so that the seal knows them by address.
pub fn redirects(
    view: &super::view::PageView,
    names: &NameSets,
    language: &str,
    old: &[(String, Bytes)],
) -> BTreeMap<String, Bytes> {
    let reserved: HashSet<String> = RESERVED_ROOT.iter().map(|r| fold(r)).collect();
    let old: HashMap<&str, &Bytes> = old.iter().map(|(p, b)| (p.as_str(), b)).collect();
    // Redirects made so far (case-folded).
    let mut made: HashSet<String> = HashSet::new();
    let taken = |key: &str, made: &HashSet<String>| names.taken.contains(key) || made.contains(key);
    let mut out = BTreeMap::new();
    for id in view.note_ids() {
        let (aliases, permalink) = view.aliases(id);
        if aliases.is_empty() && permalink.is_none() {
            continue;
        }
        // Title and path only, not the whole card: a note's date or
        // description changing does not make `serve` redo the redirects.
        let (title, out_path) = (view.index().title(id), view.index().out_path(id));
        let mut wanted: Vec<String> = permalink.and_then(permalink_path).into_iter().collect();
        wanted.extend(aliases.iter().map(|a| alias_path(out_path, a)));
        for path in wanted {
            let key = fold(&path);
            let top = key.split('/').next().unwrap_or("");
            let clashes_with_tree = path
                .split('/')
                .scan(String::new(), |acc, p| {
                    if !acc.is_empty() {
                        acc.push('/');
                    }
                    acc.push_str(p);
                    Some(fold(acc))
                })
                .any(|prefix| taken(&prefix, &made) && prefix != key);
            if path == out_path
                || taken(&key, &made)
                || names.folders.contains(&key)
                || (reserved.contains(top) && key.contains('/'))
                || (reserved.contains(&key))
                || clashes_with_tree
            {
                continue;
            }
            made.insert(key);
            let html = redirect_html(&path, out_path, title, language);
            let bytes = match old.get(path.as_str()) {
                Some(&kept) if **kept == *html => kept.clone(),
                _ => html.into(),
            };
            out.insert(path, bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_map_to_files() {
        assert_eq!(
            permalink_path("/old/page/").as_deref(),
            Some("old/page/index.html")
        );
        assert_eq!(
            permalink_path("old/page.html").as_deref(),
            Some("old/page.html")
        );
        assert_eq!(permalink_path("/a b/../c"), Some("a-b/c/index.html".into()));
        assert_eq!(permalink_path("/"), None);
    }

    #[test]
    fn aliases_sit_beside_the_note() {
        assert_eq!(
            alias_path("notes/x.html", "Other name"),
            "notes/Other-name.html"
        );
        assert_eq!(alias_path("x.html", "AI"), "AI.html");
    }
}
