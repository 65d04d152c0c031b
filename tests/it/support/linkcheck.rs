//! Whole-site link checker for a built static site.
//!
//! Every local URL in every `.html` page must be relative, stay inside the
//! site, name an existing *file* (folders don't serve `index.html` from
//! `file://`), and, when it carries a `#fragment` into an HTML page, that page
//! must have an element with that `id` (or an `<a name=...>`).

use rayon::prelude::*;
use scraper::{Html, Selector};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use walkdir::WalkDir;

/// One broken URL found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// Site-relative path of the page containing the URL (`/` separators).
    pub page: String,
    /// The URL exactly as written in the attribute.
    pub url: String,
    /// Why it is broken: `absolute`, `escapes site root`, `missing file <p>`,
    /// `folder <p>`, `missing fragment #<id> in <p>`, `empty url`.
    pub reason: String,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?} ({})", self.page, self.url, self.reason)
    }
}

/// `(selector, attribute)` pairs whose URLs are checked.
const URL_ATTRS: &[(&str, &str)] = &[
    ("a[href]", "href"),
    ("link[href]", "href"),
    ("script[src]", "src"),
    ("img[src]", "src"),
    ("audio[src]", "src"),
    ("video[src]", "src"),
    ("source[src]", "src"),
    ("iframe[src]", "src"),
    ("embed[src]", "src"),
];

struct Page {
    urls: Vec<String>,
    ids: HashSet<String>,
}

fn parse_page(text: &str, selectors: &[(Selector, &str)], id_sel: &Selector) -> Page {
    let doc = Html::parse_document(text);
    let mut urls = Vec::new();
    for (sel, attr) in selectors {
        for el in doc.select(sel) {
            if let Some(u) = el.value().attr(attr) {
                urls.push(u.to_string());
            }
        }
    }
    let mut ids = HashSet::new();
    for el in doc.select(id_sel) {
        if let Some(v) = el.value().attr("id") {
            ids.insert(v.to_string());
        }
        if el.value().name() == "a" {
            if let Some(v) = el.value().attr("name") {
                ids.insert(v.to_string());
            }
        }
    }
    Page { urls, ids }
}

/// True when `url` starts with a URI scheme (`https:`, `mailto:`, `data:` ...).
pub fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let mut cs = scheme.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Percent-decodes `s` (invalid escapes are kept literally; bytes decoded as UTF-8, lossy).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves the path part of a relative URL against the page's folder
/// (site-relative, `/`-separated). `None` when it climbs above the root.
fn resolve(page_dir: &[String], path: &str) -> Option<String> {
    let mut parts: Vec<String> = page_dir.to_vec();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(percent_decode(s)),
        }
    }
    Some(parts.join("/"))
}

/// Checks every page of the site under `site`; returns all broken URLs,
/// pages in sorted order.
pub fn check_site(site: &Path) -> Vec<BrokenLink> {
    let mut files = HashSet::new();
    let mut dirs = HashSet::new();
    dirs.insert(String::new());
    for e in WalkDir::new(site).min_depth(1) {
        let e = e.expect("walk site");
        let rel = e.path().strip_prefix(site).expect("under site");
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        if e.file_type().is_dir() {
            dirs.insert(rel);
        } else {
            files.insert(rel);
        }
    }
    let mut html: Vec<&String> = files.iter().filter(|f| is_html(f)).collect();
    html.sort();

    let selectors: Vec<(Selector, &str)> = URL_ATTRS
        .iter()
        .map(|(s, a)| (Selector::parse(s).expect("selector"), *a))
        .collect();
    let id_sel = Selector::parse("[id], a[name]").expect("selector");
    let pages: HashMap<String, Page> = html
        .par_iter()
        .map(|rel| {
            let bytes = std::fs::read(site.join(rel.as_str())).expect("read page");
            let text = String::from_utf8_lossy(&bytes);
            ((*rel).clone(), parse_page(&text, &selectors, &id_sel))
        })
        .collect();

    let mut broken = Vec::new();
    for rel in &html {
        let page = &pages[rel.as_str()];
        let mut dir: Vec<String> = rel.split('/').map(str::to_string).collect();
        dir.pop();
        for url in &page.urls {
            if let Some(reason) = check_url(rel, &dir, url, &files, &dirs, &pages) {
                broken.push(BrokenLink {
                    page: (*rel).clone(),
                    url: url.clone(),
                    reason,
                });
            }
        }
    }
    broken
}

fn is_html(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    l.ends_with(".html") || l.ends_with(".htm")
}

fn check_url(
    page: &str,
    dir: &[String],
    url: &str,
    files: &HashSet<String>,
    dirs: &HashSet<String>,
    pages: &HashMap<String, Page>,
) -> Option<String> {
    let url = url.trim();
    if has_scheme(url) {
        return None;
    }
    if url.is_empty() {
        return Some("empty url".into());
    }
    if url.starts_with('/') || url.starts_with('\\') {
        return Some("absolute".into());
    }
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    let target = if path.is_empty() {
        page.to_string()
    } else {
        match resolve(dir, path) {
            None => return Some("escapes site root".into()),
            Some(t) => t,
        }
    };
    if !files.contains(&target) {
        if dirs.contains(&target) {
            return Some(format!("folder {target:?}"));
        }
        return Some(format!("missing file {target:?}"));
    }
    let frag = fragment.unwrap_or("");
    if !frag.is_empty() && is_html(&target) {
        let ids = &pages.get(&target)?.ids;
        let decoded = percent_decode(frag);
        if !ids.contains(&decoded) && !ids.contains(frag) {
            return Some(format!("missing fragment #{decoded} in {target:?}"));
        }
    }
    None
}

/// Panics with a readable list (first 30) if any URL in the site is broken.
pub fn assert_site_links_ok(site: &Path) {
    let broken = check_site(site);
    if broken.is_empty() {
        return;
    }
    let mut msg = format!(
        "{} broken link(s) in site {}:\n",
        broken.len(),
        site.display()
    );
    for b in broken.iter().take(30) {
        msg.push_str(&format!("  {b}\n"));
    }
    if broken.len() > 30 {
        msg.push_str(&format!("  ... and {} more\n", broken.len() - 30));
    }
    panic!("{msg}");
}
