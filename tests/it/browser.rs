//! Headless Chromium opens a built site from `file://` and uses it as a
//! reader would: search (Cyrillic, accented, CJK), keyboard navigation,
//! explorer, table of contents, hover preview, local and site graph, and
//! the page without JavaScript. The browser side is the `check` mode of
//! `tests/browser/driver.js` (see `support::browser`).

use crate::support;

use spore::config::Config;
use spore::pipeline::{build, BuildOptions};
use std::path::Path;
use support::browser;
use support::gen_vault::generate_vault;
use support::nav_fixture::*;

fn build_to(vault: &Path, out: &Path, title: &str) {
    let mut c = Config::zero_config(vault).expect("config");
    c.output = out.to_path_buf();
    c.title = title.into();
    build(&c, &BuildOptions::default()).expect("build");
}

#[test]
fn site_works_from_file_url_in_chromium() {
    if !browser::available("site_works_from_file_url_in_chromium") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    write_fixture(&vault);
    let site = dir.path().join("site");
    build_to(&vault, &site, "Fixture");
    let expect = serde_json::json!({
        "searches": [
            { "query": "знания", "expect": "%D0%97%D0%BD%D0%B0%D0%BD%D0%B8%D0%B5.html" },
            { "query": "cafe", "expect": "places/Caf%C3%A9-culture.html" },
            { "query": "知识", "expect": "%E4%BA%9A%E6%B4%B2/%E7%9F%A5%E8%AF%86%E7%AE%A1%E7%90%86.html" },
            { "query": "coffee houses", "expect": "places/Caf%C3%A9-culture.html" },
            { "query": "λόγος", "expect": "%CE%9B%CF%8C%CE%B3%CE%BF%CF%82.html" },
            { "query": "ΛΟΓΟΣ", "expect": "%CE%9B%CF%8C%CE%B3%CE%BF%CF%82.html" }
        ],
        "nothing": [DRAFT_SECRET, COMMENT_SECRET, UNPUBLISHED_SECRET],
        "never": [DRAFT_TITLE],
        "follow": { "query": "caf", "expect": "places/Café-culture.html" },
        "tocAtLeast": 3
    });
    let stdout = browser::run("check", &site, &expect);
    println!("{stdout}");
}

/// Search latency at 10,000 notes: `cargo test --release --test it
/// browser::search_latency -- --ignored --nocapture`. Prints the index size and timings.
#[test]
#[ignore = "slow: builds a 10,000-note vault; run by hand or in a benchmark job"]
fn search_latency_at_ten_thousand_notes() {
    if !browser::available("search_latency_at_ten_thousand_notes") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    generate_vault(&vault, 10_000, 1).expect("generate");
    let site = dir.path().join("site");
    let start = std::time::Instant::now();
    build_to(&vault, &site, "Ten thousand");
    println!("build: {:.1}s", start.elapsed().as_secs_f64());
    let meta = std::fs::read(site.join("search/meta.js")).expect("meta");
    let meta: serde_json::Value =
        serde_json::from_str(spore::emit::search::payload(&meta).expect("payload")).expect("json");
    let index_bytes: u64 = std::fs::read_dir(site.join("search"))
        .expect("search dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let text_bytes = meta["text_bytes"].as_u64().unwrap_or(1);
    println!(
        "notes {} · index {index_bytes} bytes in {} term + {} preview shards · text {text_bytes} bytes · {:.1}%",
        meta["notes"],
        meta["terms"].as_array().map_or(0, Vec::len),
        meta["docs"].as_array().map_or(0, Vec::len),
        index_bytes as f64 * 100.0 / text_bytes as f64
    );
    let queries = serde_json::json!(["knowledge", "graph note", "знание", "cafe", "知识", "s"]);
    let out = browser::run("bench", &site, &queries);
    println!("{out}");
    // The target: first results within 100 ms of typing. Judge the
    // median, since one slow run on a loaded machine says little.
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("bench json");
    let mut first: Vec<f64> = report["cold"]
        .as_array()
        .expect("cold")
        .iter()
        .filter_map(|c| c["first_results_ms"].as_f64())
        .collect();
    first.sort_by(f64::total_cmp);
    let median = first[first.len() / 2];
    println!("first results: median {median:.0} ms, all {first:?}");
    assert!(median < 100.0, "median first results {median} ms");
}
