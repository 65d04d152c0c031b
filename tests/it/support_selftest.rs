//! Tests for the shared test-support code in `tests/it/support/`.

use crate::support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;
use support::gen_vault::{generate_vault, png_bytes};
use support::linkcheck::{assert_site_links_ok, check_site, percent_decode, BrokenLink};
use walkdir::WalkDir;

/// All files under `dir`, keyed by `/`-separated relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn generator_is_deterministic() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let va = generate_vault(a.path(), 300, 7).unwrap();
    let vb = generate_vault(b.path(), 300, 7).unwrap();
    let ta = read_tree(a.path());
    let tb = read_tree(b.path());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(
            v == &tb[k],
            "file {k} differs between two runs with the same seed"
        );
    }
    assert_eq!(va.total_links, vb.total_links);
    assert_eq!(va.missing_links, vb.missing_links);
    // A different seed gives a different vault.
    generate_vault(c.path(), 300, 8).unwrap();
    assert_ne!(ta, read_tree(c.path()), "seed must matter");
}

#[test]
fn generator_makes_requested_notes_in_nested_folders() {
    for n in [1, 37, 1000] {
        let d = tempfile::tempdir().unwrap();
        let v = generate_vault(d.path(), n, 1).unwrap();
        let tree = read_tree(d.path());
        let md: Vec<&String> = tree.keys().filter(|k| k.ends_with(".md")).collect();
        assert_eq!(md.len(), n, "{n} notes requested");
        assert_eq!(v.notes.len(), n);
        for note in &v.notes {
            assert!(
                tree.contains_key(&note.path),
                "recorded path {} missing",
                note.path
            );
        }
        let titles: HashSet<&str> = v.notes.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles.len(), n, "titles are unique");
        for img in &v.images {
            assert!(tree.contains_key(img), "image {img} missing");
        }
    }
    let d = tempfile::tempdir().unwrap();
    let v = generate_vault(d.path(), 1000, 1).unwrap();
    assert!(
        v.notes.iter().any(|n| n.path.contains("/sub-")),
        "nested folders used"
    );
    assert!(
        v.notes.iter().any(|n| !n.path.contains('/')),
        "root folder used"
    );
}

struct Parsed {
    title: String,
    headings: HashSet<String>,
    blocks: HashSet<String>,
    /// Raw link texts (`[[...]]` / `![[...]]`) in document order.
    links: Vec<String>,
}

/// Minimal Obsidian-markdown reader, independent of the generator's records.
fn parse_note(text: &str) -> Parsed {
    assert!(
        text.starts_with("---\ntitle: \""),
        "frontmatter with title first"
    );
    let title_line = text.lines().nth(1).unwrap();
    let title = title_line["title: \"".len()..title_line.len() - 1].to_string();
    let (mut headings, mut blocks, mut links) = (HashSet::new(), HashSet::new(), Vec::new());
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            headings.insert(h.to_string());
        }
        if let Some(b) = line.strip_prefix('^') {
            blocks.insert(b.to_string());
        }
        let mut rest = line;
        while let Some(start) = rest.find("[[") {
            let embed = start > 0 && rest.as_bytes()[start - 1] == b'!';
            let end = rest[start..].find("]]").expect("closed link") + start + 2;
            let from = if embed { start - 1 } else { start };
            links.push(rest[from..end].to_string());
            rest = &rest[end..];
        }
    }
    Parsed {
        title,
        headings,
        blocks,
        links,
    }
}

#[test]
fn generated_links_are_valid_except_missing_ones() {
    let d = tempfile::tempdir().unwrap();
    let v = generate_vault(d.path(), 1000, 3).unwrap();
    let tree = read_tree(d.path());
    let mut by_title: HashMap<String, Parsed> = HashMap::new();
    let mut per_path: HashMap<String, Vec<String>> = HashMap::new();
    for (path, bytes) in tree.iter().filter(|(k, _)| k.ends_with(".md")) {
        let p = parse_note(std::str::from_utf8(bytes).unwrap());
        assert_eq!(format!("{}.md", p.title), path.rsplit('/').next().unwrap());
        per_path.insert(path.clone(), p.links.clone());
        by_title.insert(p.title.clone(), p);
    }
    let (mut total, mut missing, mut kinds) = (0usize, 0usize, [0usize; 6]);
    for links in per_path.values() {
        for raw in links {
            total += 1;
            let embed = raw.starts_with('!');
            let inner = raw
                .trim_start_matches('!')
                .trim_start_matches("[[")
                .trim_end_matches("]]");
            let inner = inner.replace("\\|", "|");
            let (target, label) = inner
                .split_once('|')
                .map_or((inner.as_str(), None), |(t, l)| (t, Some(l)));
            let (name, sub) = target
                .split_once('#')
                .map_or((target, None), |(n, s)| (n, Some(s)));
            if let Some(num) = name.strip_prefix("Missing note ") {
                assert!(
                    num.parse::<u32>().is_ok() && sub.is_none() && label.is_none() && !embed,
                    "{raw}"
                );
                assert!(!by_title.contains_key(name));
                missing += 1;
                continue;
            }
            if name.ends_with(".png") {
                assert!(
                    embed && tree.contains_key(&format!("attachments/{name}")),
                    "{raw}"
                );
                kinds[5] += 1;
                continue;
            }
            let t = by_title
                .get(name)
                .unwrap_or_else(|| panic!("link target missing: {raw}"));
            match sub {
                None if label.is_some() => kinds[1] += 1,
                None => kinds[0] += 1,
                Some(s) => {
                    if let Some(b) = s.strip_prefix('^') {
                        assert!(t.blocks.contains(b), "block missing: {raw}");
                        kinds[3] += 1;
                    } else {
                        assert!(t.headings.contains(s), "heading missing: {raw}");
                        kinds[if embed { 4 } else { 2 }] += 1;
                    }
                }
            }
        }
    }
    assert!(
        kinds.iter().all(|&k| k > 0),
        "every link form appears: {kinds:?}"
    );
    assert_eq!(
        total, v.total_links,
        "recorded link count matches the files"
    );
    assert_eq!(
        missing, v.missing_links,
        "recorded missing count matches the files"
    );
    let ratio = missing as f64 / total as f64;
    assert!(
        (0.004..0.02).contains(&ratio),
        "~1% missing links, got {missing}/{total}"
    );

    // The recorded links match the files, in order, and are valid.
    let by_path: HashMap<&str, &support::gen_vault::GeneratedNote> =
        v.notes.iter().map(|n| (n.path.as_str(), n)).collect();
    for note in &v.notes {
        let raws: Vec<&String> = note.links.iter().map(|l| &l.raw).collect();
        assert_eq!(
            raws,
            per_path[&note.path].iter().collect::<Vec<_>>(),
            "links of {}",
            note.path
        );
        for l in &note.links {
            if l.missing {
                assert!(l.raw == format!("[[{}]]", l.target));
                continue;
            }
            assert!(
                tree.contains_key(&l.target),
                "recorded target {} exists",
                l.target
            );
            if let Some(t) = by_path.get(l.target.as_str()) {
                if let Some(h) = &l.heading {
                    assert!(t.headings.contains(h));
                }
                if let Some(b) = &l.block {
                    assert_eq!(b, &t.block_id);
                }
            }
        }
    }
}

#[test]
fn generator_covers_obsidian_features() {
    let d = tempfile::tempdir().unwrap();
    let v = generate_vault(d.path(), 1000, 5).unwrap();
    let all: String = read_tree(d.path())
        .iter()
        .filter(|(k, _)| k.ends_with(".md"))
        .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
        .collect();
    for needle in [
        "\ntags:\n  - ",
        "\naliases: [\"",
        "\ndate: 2025-",
        "> [!",
        "|---|---:|:---:|",
        "\n- [x] ",
        "\n- [ ] ",
        "[^",
        "```rust",
        "```python",
        "```bash",
        "$e^{i\\pi}",
        "==highlighted ",
        "%%private comment",
        "\\|",
        "\n^blk",
    ] {
        assert!(all.contains(needle), "vault lacks {needle:?}");
    }
    assert!(
        v.notes
            .iter()
            .any(|n| n.tags.iter().any(|t| t.contains('/'))),
        "nested tags"
    );
    assert!(all.contains(" #"), "inline #tags");
    assert!(v.notes.iter().any(|n| n.draft), "some drafts");
    let has = |f: fn(char) -> bool| v.notes.iter().any(|n| n.title.chars().any(f));
    assert!(
        has(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
        "Cyrillic title"
    );
    assert!(has(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "CJK title");
    assert!(has(|c| "éïüÆø".contains(c)), "accented title");
    // Every note has exactly one block id, ^blk<i>.
    for n in &v.notes {
        let text = fs::read_to_string(d.path().join(&n.path)).unwrap();
        assert_eq!(
            text.matches(&format!("\n^{}\n", n.block_id)).count(),
            1,
            "{}",
            n.path
        );
    }
}

#[test]
fn png_is_valid() {
    let png = png_bytes([1, 2, 3]);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 8);
    assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
}

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

fn good_site(root: &Path) {
    write(
        root,
        "index.html",
        r##"<!doctype html><html><head>
<link rel="stylesheet" href="style.css?v=1"><link rel="canonical" href="https://example.org/">
<script src="app.js"></script></head><body id="top">
<a href="a.html">a</a> <a href="sub/b.html#sec">b</a> <a href="sub/b.html#%D0%B7">b2</a>
<a href="%D0%B7%D0%BD.html">зн</a> <a href="#top">top</a> <a href="#">self</a>
<a href="mailto:x@example.org">m</a> <a href="javascript:void(0)">j</a>
<img src="img/p%20q.png"><img src="data:image/png;base64,AAAA"><a href="./a.html?x=1#x">x</a>
</body></html>"##,
    );
    write(
        root,
        "a.html",
        r#"<html><body><a name="x"></a><a href="sub/../index.html">i</a></body></html>"#,
    );
    write(
        root,
        "sub/b.html",
        r#"<html><body><h2 id="sec">s</h2><h3 id="з">з</h3><a href="../index.html#top">up</a>
<script src="../app.js"></script><video src="../img/p%20q.png"></video></body></html>"#,
    );
    write(
        root,
        "зн.html",
        "<html><body><a href='sub/b.html'>b</a></body></html>",
    );
    write(root, "style.css", "body{}");
    write(root, "app.js", "");
    write(root, "img/p q.png", "png");
}

#[test]
fn linkcheck_accepts_correct_site() {
    let d = tempfile::tempdir().unwrap();
    good_site(d.path());
    let broken = check_site(d.path());
    assert!(broken.is_empty(), "unexpected: {broken:#?}");
    assert_site_links_ok(d.path());
}

#[test]
fn linkcheck_reports_each_kind_of_breakage() {
    let d = tempfile::tempdir().unwrap();
    good_site(d.path());
    write(
        d.path(),
        "sub/bad.html",
        r##"<html><body id="here">
<a href="nope.html">1</a> <a href="../a.html#missing">2</a> <a href="/index.html">3</a>
<a href="../img">4</a> <a href="../img/">5</a> <a href="../../outside.html">6</a>
<img src="../nope.png"> <a href="#gone">7</a> <a href="//cdn.example.org/x.js">8</a>
<a href="#here">ok</a> <a href="b.html#sec">ok</a>
</body></html>"##,
    );
    let broken = check_site(d.path());
    let find = |url: &str| -> &BrokenLink {
        broken
            .iter()
            .find(|b| b.url == url)
            .unwrap_or_else(|| panic!("{url} not reported in {broken:#?}"))
    };
    assert!(find("nope.html").reason.contains("missing file"));
    assert!(find("../a.html#missing")
        .reason
        .contains("missing fragment"));
    assert_eq!(find("/index.html").reason, "absolute");
    assert_eq!(find("//cdn.example.org/x.js").reason, "absolute");
    assert!(find("../img").reason.starts_with("folder"));
    assert!(find("../img/").reason.starts_with("folder"));
    assert!(find("../../outside.html").reason.contains("escapes"));
    assert!(find("../nope.png").reason.contains("missing file"));
    assert!(find("#gone").reason.contains("missing fragment"));
    assert_eq!(broken.len(), 9, "{broken:#?}");
    assert!(broken.iter().all(|b| b.page == "sub/bad.html"));
    let err = std::panic::catch_unwind(|| assert_site_links_ok(d.path())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("9 broken link(s)") && msg.contains("nope.html"),
        "{msg}"
    );
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("%D0%B7%D0%BD.html"), "зн.html");
    assert_eq!(percent_decode("a%20b%2"), "a b%2");
    assert_eq!(percent_decode("100%"), "100%");
}

#[test]
fn linkcheck_handles_a_large_site_quickly() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        let body = format!(
            "<html><body><h2 id=\"h{i}\">x</h2><a href=\"p{}.html#h{}\">n</a><a href=\"../index.html\">i</a></body></html>",
            (i + 1) % 2000,
            (i + 1) % 2000
        );
        write(d.path(), &format!("d/p{i}.html"), &body);
    }
    write(d.path(), "index.html", "<a href='d/p0.html'>0</a>");
    let t = std::time::Instant::now();
    assert_site_links_ok(d.path());
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
}
