//! Search index, explorer tree, graphs, feed, sitemap and redirects
//! (issue 6), checked on built sites.

use crate::support;

use spore::config::{Config, Mirror};
use spore::emit::search::{lookup_prefix, payload};
use spore::pipeline::{build, build_site, BuildOptions};
use std::collections::BTreeMap;
use std::path::Path;
use support::gen_vault::generate_vault;
use support::linkcheck::assert_site_links_ok;
use support::nav_fixture::*;

fn config(vault: &Path, out: &Path) -> Config {
    let mut c = Config::zero_config(vault).expect("config");
    c.output = out.to_path_buf();
    c.title = "Fixture".into();
    c
}

/// A site file's bytes (an attachment's read from the vault).
fn bytes(file: &spore::site::SiteFile) -> Vec<u8> {
    match file {
        spore::site::SiteFile::Vault(f) => std::fs::read(&f.source.abs).expect("attachment"),
        made => made.made().expect("made").to_vec(),
    }
}

fn fixture_site(
    mirrors: bool,
) -> (
    tempfile::TempDir,
    BTreeMap<String, Vec<u8>>,
    BTreeMap<String, String>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    write_fixture(&vault);
    let mut c = config(&vault, &dir.path().join("site"));
    if mirrors {
        c.mirrors = vec![Mirror {
            url: "https://example.org/wiki/".into(),
            priority: None,
            location: None,
        }];
    }
    let built = build_site(&c, &BuildOptions::default()).expect("build");
    let files = built
        .site
        .files
        .iter()
        .map(|(k, v)| (k.clone(), bytes(v)))
        .collect();
    // source path → output path
    let pages = built
        .site
        .pages
        .iter()
        .map(|(out, src)| (src.source.clone(), out.clone()))
        .collect();
    (dir, files, pages)
}

fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .clone(),
    )
    .expect("utf-8")
}

#[test]
fn search_finds_cyrillic_accented_and_cjk_words() {
    let (_d, files, pages) = fixture_site(false);
    let znanie = &pages["Знание.md"];
    let cafe = &pages["places/Café culture.md"];
    let cjk = &pages["亚洲/知识管理.md"];
    // Cyrillic: lower-cased, found by a prefix of another form.
    assert!(lookup_prefix(&files, "знани").contains(znanie));
    assert!(
        lookup_prefix(&files, "баз").contains(znanie),
        "body words indexed"
    );
    assert!(
        lookup_prefix(&files, "наука").contains(znanie),
        "tags indexed"
    );
    // Accents folded: `cafe` finds `café`.
    assert!(lookup_prefix(&files, "cafe").contains(cafe));
    assert!(
        lookup_prefix(&files, "coffee").contains(cafe),
        "aliases indexed"
    );
    assert!(
        lookup_prefix(&files, "menus").contains(cafe),
        "headings indexed"
    );
    // CJK: overlapping pairs.
    for pair in ["知识", "识管", "管理", "组织"] {
        assert!(
            lookup_prefix(&files, pair).contains(cjk),
            "{pair} finds {cjk}"
        );
    }
    assert!(
        lookup_prefix(&files, "知识管理").is_empty(),
        "index holds pairs, not whole runs"
    );
}

#[test]
fn nothing_private_reaches_any_output_file() {
    let (_d, files, _) = fixture_site(true);
    for (path, bytes) in &files {
        let t = String::from_utf8_lossy(bytes);
        for secret in [
            DRAFT_SECRET,
            UNPUBLISHED_SECRET,
            COMMENT_SECRET,
            DRAFT_TITLE,
        ] {
            assert!(!t.contains(secret), "{secret} leaked into {path}");
        }
    }
    // And the index really is there to leak into.
    let index_text: String = files
        .iter()
        .filter(|(k, _)| k.starts_with("search/"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    assert!(index_text.contains("знание") && index_text.contains("espresso"));
    for secret in [DRAFT_SECRET, UNPUBLISHED_SECRET, COMMENT_SECRET] {
        assert!(lookup_prefix(&files, secret).is_empty());
    }
}

#[test]
fn index_is_sharded_small_and_under_thirty_percent_of_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    generate_vault(&vault, 1500, 11).expect("generate");
    let built = build_site(
        &config(&vault, &dir.path().join("site")),
        &BuildOptions::default(),
    )
    .expect("build");
    let files: BTreeMap<String, Vec<u8>> = built
        .site
        .files
        .iter()
        .map(|(k, v)| (k.clone(), bytes(v)))
        .collect();
    let meta: serde_json::Value =
        serde_json::from_str(payload(&files["search/meta.js"]).expect("meta payload"))
            .expect("meta json");
    // Every published note (the generator also writes drafts).
    assert_eq!(meta["notes"].as_u64(), Some(built.site.pages.len() as u64));
    let term_firsts: Vec<&str> = meta["terms"]
        .as_array()
        .expect("terms")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let doc_shards = meta["docs"].as_array().expect("docs").len();
    assert!(term_firsts.len() > 1, "several term shards");
    assert!(doc_shards > 1, "several preview shards");
    // Shard ranges ascend in the browser's (UTF-16) order, and each shard
    // is small, so a query loads little.
    for w in term_firsts.windows(2) {
        assert!(
            w[0].encode_utf16().lt(w[1].encode_utf16()),
            "{} < {}",
            w[0],
            w[1]
        );
    }
    let mut index_bytes = 0;
    for (path, bytes) in files.iter().filter(|(k, _)| k.starts_with("search/")) {
        index_bytes += bytes.len();
        assert!(bytes.len() < 64 * 1024, "{path} is {} bytes", bytes.len());
        assert!(
            bytes.starts_with(b"__spore(\""),
            "{path} is a classic script calling __spore"
        );
    }
    let text_bytes = meta["text_bytes"].as_u64().expect("text_bytes") as usize;
    let ratio = index_bytes as f64 / text_bytes as f64;
    println!(
        "index {index_bytes} bytes for {text_bytes} bytes of text: {:.1}%",
        ratio * 100.0
    );
    assert!(
        ratio <= 0.30,
        "index is {:.1}% of the published text",
        ratio * 100.0
    );
    // A note page does not carry the tree or the index.
    let page = files
        .iter()
        .find(|(k, _)| {
            k.starts_with("area-0/") && k.ends_with(".html") && !k.ends_with("index.html")
        })
        .expect("a note page");
    assert!(
        page.1.len() < 40 * 1024,
        "note page {} is {} bytes",
        page.0,
        page.1.len()
    );
}

#[test]
fn explorer_tree_ships_once_and_lists_every_note() {
    let (_d, files, pages) = fixture_site(false);
    let tree: serde_json::Value =
        serde_json::from_str(payload(&files["_spore/tree.js"]).expect("payload")).expect("json");
    fn collect(f: &serde_json::Value, out: &mut Vec<String>) {
        out.push(f["p"].as_str().unwrap_or_default().to_string());
        for d in f["d"].as_array().into_iter().flatten() {
            out.push(d[1].as_str().unwrap_or_default().to_string());
        }
        for sub in f["f"].as_array().into_iter().flatten() {
            collect(sub, out);
        }
    }
    let mut listed = Vec::new();
    collect(&tree, &mut listed);
    for out in pages.values() {
        assert!(listed.contains(out), "{out} in the explorer tree");
    }
    assert!(listed.contains(&"places/index.html".to_string()));
    // Pages reference the tree by script loader, never inline it.
    let page = text(&files, &pages["Знание.md"]);
    assert!(page.contains("data-path=\"Знание.html\""));
    assert!(
        !page.contains("places/Tea.html"),
        "the tree is not inlined in pages"
    );
}

#[test]
fn local_graph_links_neighbours_and_site_graph_exists() {
    let (_d, files, pages) = fixture_site(false);
    let page = text(&files, &pages["Знание.md"]);
    let html = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse(".local-graph svg a.node").expect("selector");
    let hrefs: Vec<String> = html
        .select(&sel)
        .filter_map(|a| a.value().attr("href").map(String::from))
        .collect();
    // Links (Café culture, 知识管理) and backlinks (index, Café, 知识管理).
    assert!(
        hrefs.iter().any(|h| h.contains("Caf%C3%A9-culture.html")),
        "{hrefs:?}"
    );
    assert!(
        hrefs.iter().any(|h| h.ends_with("index.html")),
        "backlink from home: {hrefs:?}"
    );
    assert!(hrefs.len() <= spore::emit::graph::LOCAL_NEIGHBOURS);
    let graph = text(&files, "graph.html");
    assert!(graph.contains("site-graph-svg"));
    let data: serde_json::Value =
        serde_json::from_str(payload(&files["_spore/graph.js"]).expect("payload")).expect("json");
    assert_eq!(data["total"].as_u64(), Some(pages.len() as u64));
}

#[test]
fn feed_parses_as_atom_newest_first() {
    let (_d, files, _) = fixture_site(true);
    let xml = text(&files, "feed.xml");
    let doc = roxmltree::Document::parse(&xml).expect("feed.xml is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let child = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(String::from)
    };
    let entries: Vec<_> = root
        .children()
        .filter(|c| c.tag_name().name() == "entry")
        .collect();
    let titles: Vec<String> = entries.iter().filter_map(|e| child(*e, "title")).collect();
    assert_eq!(
        titles,
        ["知识管理", "Café culture", "Знание"],
        "by updated/date, newest first"
    );
    assert_eq!(
        child(root, "updated").as_deref(),
        Some("2024-05-02T00:00:00Z")
    );
    let link = entries[1]
        .children()
        .find(|c| c.tag_name().name() == "link")
        .and_then(|l| l.attribute("href"))
        .expect("entry link");
    assert_eq!(
        link,
        "https://example.org/wiki/places/Caf%C3%A9-culture.html"
    );
}

#[test]
fn sitemap_uses_first_mirror_and_is_absent_without_one() {
    let (_d, files, pages) = fixture_site(true);
    let xml = text(&files, "sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("sitemap.xml is XML");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "loc")
        .filter_map(|n| n.text())
        .collect();
    assert!(locs
        .iter()
        .all(|l| l.starts_with("https://example.org/wiki/")));
    assert!(
        locs.contains(&"https://example.org/wiki/"),
        "home as the mirror root"
    );
    assert!(locs.contains(&"https://example.org/wiki/%D0%97%D0%BD%D0%B0%D0%BD%D0%B8%D0%B5.html"));
    assert!(!locs.iter().any(|l| l.ends_with("404.html")));
    assert!(
        !locs.iter().any(|l| l.contains("old/cafe")),
        "redirects are not listed"
    );
    assert!(
        pages.len() + 1 < locs.len(),
        "notes, folders, tags and graph listed"
    );
    let (_d2, plain, _) = fixture_site(false);
    assert!(
        !plain.contains_key("sitemap.xml"),
        "no absolute URL known: no sitemap"
    );
}

#[test]
fn redirects_resolve_and_never_replace_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    write_fixture(&vault);
    let out = dir.path().join("site");
    build(&config(&vault, &out), &BuildOptions::default()).expect("build");
    assert_site_links_ok(&out);
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap_or_else(|_| panic!("{p}"));
    let target_of = |p: &str| {
        let html = scraper::Html::parse_document(&read(p));
        let sel = scraper::Selector::parse("meta[http-equiv=refresh]").expect("selector");
        let content = html
            .select(&sel)
            .next()
            .and_then(|m| m.value().attr("content"))
            .expect("meta refresh")
            .to_string();
        content
            .split_once("url=")
            .map(|(_, u)| u.to_string())
            .expect("url=")
    };
    assert_eq!(
        target_of("old/cafe/index.html"),
        "../../places/Caf%C3%A9-culture.html"
    );
    assert_eq!(
        target_of("places/Coffee-houses.html"),
        "Caf%C3%A9-culture.html"
    );
    assert_eq!(target_of("places/Chai.html"), "Tea.html");
    // `Знание` as an alias of Tea must not replace the real note page.
    assert!(read("Знание.html").contains("Базы знаний"));
    assert!(
        !out.join("places/Знание.html").exists() || read("places/Знание.html").contains("Tea.html")
    );
}

#[test]
fn navigation_files_are_deterministic() {
    let build_once = || {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("vault");
        generate_vault(&vault, 300, 5).expect("generate");
        write_fixture(&vault.join("fixture"));
        let mut c = config(&vault, &dir.path().join("site"));
        c.mirrors = vec![Mirror {
            url: "https://example.org/".into(),
            priority: None,
            location: None,
        }];
        let built = build_site(&c, &BuildOptions::default()).expect("build");
        built
            .site
            .files
            .into_iter()
            .filter(|(k, _)| {
                k.starts_with("search/")
                    || k.starts_with("_spore/")
                    || ["feed.xml", "sitemap.xml", "graph.html"].contains(&k.as_str())
            })
            .map(|(k, v)| (k, bytes(&v)))
            .collect::<BTreeMap<String, Vec<u8>>>()
    };
    let (a, b) = (build_once(), build_once());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.contains_key("_spore/tree.js") && a.contains_key("sitemap.xml"));
    for (k, v) in &a {
        assert!(
            v == &b[k],
            "{k} differs between two builds of the same vault"
        );
    }
}
