//! Snapshot corpus: every syntax the docs list, rendered, one snapshot per
//! fixture note in `tests/fixtures/syntax/`.
//!
//! The vault is built once through the library with a fixed version, so the
//! output is deterministic. Each note's snapshot is its page header (title,
//! aliases, tags: what frontmatter sets) and its `<article>`, pretty-printed
//! one element per line — not the whole page, so a theme or footer change
//! does not churn every snapshot. A change in rendering fails with a
//! line diff; see "Snapshot tests" in `content/Design.md` to review one.

use crate::support;

use scraper::node::Node;
use scraper::{ElementRef, Html};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::fixture::{build_dir, sel, BuiltVault};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax")
}

/// The fixture vault, copied to a temporary folder and built once.
fn built() -> &'static BuiltVault {
    static BUILT: OnceLock<BuiltVault> = OnceLock::new();
    BUILT.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let vault = tmp.path().join("vault");
        let source = fixture_dir();
        for entry in walkdir::WalkDir::new(&source).sort_by_file_name() {
            let entry = entry.expect("walking the fixtures");
            let to = vault.join(entry.path().strip_prefix(&source).expect("inside"));
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &to).expect("copy fixture");
            }
        }
        build_dir(tmp, vault, false)
    })
}

#[test]
fn article() {
    let built = built();
    insta::glob!("../fixtures/syntax", "**/*.md", |path| {
        let relative = path
            .strip_prefix(fixture_dir())
            .expect("inside the fixtures")
            .with_extension("html");
        let page = built.page(&relative.to_string_lossy().replace('\\', "/"));
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        // Beside the fixtures in tests/, not in tests/it/: relative to this file.
        settings.set_snapshot_path("../snapshots");
        settings.bind(|| insta::assert_snapshot!(note_fragment(&page)));
    });
}

const LIST_PAGES: [(&str, &str); 4] = [
    ("home", "index.html"),
    ("folder", "folder/index.html"),
    ("tag", "tags/fungi.html"),
    ("all-tags", "tags/index.html"),
];

/// The list pages (the home page's folder list, a folder, a tag, every
/// tag), their `.list-layout` pretty-printed: one line per item, the icon
/// drawn from a symbol the page holds once.
#[test]
fn list_pages() {
    let built = built();
    for (name, path) in LIST_PAGES {
        let page = built.page(path);
        let mut out = String::new();
        for element in page.select(&sel(".list-layout")) {
            pretty(element, 0, &mut out);
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_path("../snapshots");
        settings.set_snapshot_suffix(name);
        settings.bind(|| insta::assert_snapshot!(out));
    }
}

/// Every icon a page draws with `<use href="#id">` finds its symbol in
/// the same page (a page opened from disk has no other document to look
/// in), and every list item has one.
#[test]
fn every_icon_finds_its_symbol() {
    let built = built();
    let mut pages = 0;
    for entry in walkdir::WalkDir::new(&built.out) {
        let entry = entry.expect("walking the site");
        let rel = entry.path().strip_prefix(&built.out).expect("inside");
        let rel = rel.to_string_lossy().replace('\\', "/");
        if !rel.ends_with(".html") {
            continue;
        }
        let page = built.page(&rel);
        for used in page.select(&sel("use")) {
            let href = used.value().attr("href").unwrap_or_default();
            let id = href.strip_prefix('#').unwrap_or_else(|| {
                panic!("{rel}: <use href=\"{href}\"> is not a reference within the page")
            });
            let target = format!("[id=\"{id}\"]");
            assert!(
                page.select(&sel(&target)).next().is_some(),
                "{rel}: <use href=\"{href}\"> has no element with that id"
            );
        }
        let items = page.select(&sel(".item-link")).count();
        let icons = page.select(&sel(".item-link > svg.glyph > use")).count();
        assert_eq!(items, icons, "{rel}: a list item without its icon");
        pages += usize::from(items > 0);
    }
    assert!(pages >= 4, "list pages with items: {pages}");
}

/// A snapshot whose fixture was renamed or deleted would linger unchecked.
#[test]
fn every_snapshot_has_its_fixture() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&snapshots).expect("tests/snapshots") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if LIST_PAGES
            .iter()
            .any(|(n, _)| name == format!("list_pages@{n}.snap"))
        {
            continue;
        }
        let Some(fixture) = name
            .strip_prefix("article@")
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            orphans.push(name);
            continue;
        };
        // insta names `folder/note.md` as `folder__note.md`.
        if !fixture_dir().join(fixture.replace("__", "/")).is_file() {
            orphans.push(name);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots with no fixture note (delete them, or a `.snap.new` left to review): {orphans:?}"
    );
}

/// The page header and the article, pretty-printed.
fn note_fragment(page: &Html) -> String {
    let mut out = String::new();
    for css in ["header.page-header", "article.content"] {
        for element in page.select(&sel(css)) {
            pretty(element, 0, &mut out);
        }
    }
    out
}

/// Writes `element` one element per line, children indented by two spaces,
/// whitespace between words collapsed. An element holding nothing or one
/// line of text stays on one line. A `<pre>` is written as the page has it,
/// so a code block reads (and diffs) line by line. Comments are printed, so
/// one that leaks into a page shows.
fn pretty(element: ElementRef, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let name = element.value().name();
    let mut open = format!("<{name}");
    for (key, value) in element.value().attrs() {
        open.push_str(&format!(" {key}=\"{}\"", escape(value, true)));
    }
    open.push('>');
    if is_void(name) {
        out.push_str(&format!("{indent}{open}\n"));
        return;
    }
    if name == "pre" {
        out.push_str(&format!("{indent}{open}{}</pre>\n", element.inner_html()));
        return;
    }
    let children: Vec<_> = element
        .children()
        .filter(|c| !matches!(c.value(), Node::Text(t) if t.trim().is_empty()))
        .collect();
    match children.as_slice() {
        [] => {
            out.push_str(&format!("{indent}{open}</{name}>\n"));
            return;
        }
        [only] => {
            if let Node::Text(text) = only.value() {
                out.push_str(&format!("{indent}{open}{}</{name}>\n", text_of(text)));
                return;
            }
        }
        _ => {}
    }
    out.push_str(&format!("{indent}{open}\n"));
    let inner = "  ".repeat(depth + 1);
    for child in children {
        match child.value() {
            Node::Text(text) => {
                out.push_str(&format!("{inner}{}\n", text_of(text)));
            }
            Node::Comment(comment) => {
                out.push_str(&format!("{inner}<!--{}-->\n", &**comment));
            }
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    pretty(child, depth + 1, out);
                }
            }
            _ => {}
        }
    }
    out.push_str(&format!("{indent}</{name}>\n"));
}

fn text_of(text: &str) -> String {
    escape(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        false,
    )
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}
