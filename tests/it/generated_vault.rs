//! Issue #3's acceptance test at scale: on a generated 2,000-note vault,
//! every `[[Missing note N]]` (and every link to a draft) is unresolved, and
//! every other link resolves to the right page with its `#` anchor present.

use crate::support;

use scraper::Html;
use spore::config::Config;
use std::collections::{BTreeMap, HashMap};
use support::fixture::sel;
use support::gen_vault::generate_vault;
use support::linkcheck::{assert_site_links_ok, percent_decode};

fn fold(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Resolves `href` (relative to `page`) to (output path, fragment).
fn resolve_href(page: &str, href: &str) -> (String, String) {
    let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
    let fragment = percent_decode(fragment);
    if path.is_empty() {
        return (page.to_string(), fragment);
    }
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    let decoded = percent_decode(path);
    for seg in decoded.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    (parts.join("/"), fragment)
}

#[test]
fn every_link_in_a_generated_vault_resolves_or_is_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault_dir = tmp.path().join("vault");
    let generated = generate_vault(&vault_dir, 2000, 7).expect("generate");
    let mut config = Config::zero_config(&vault_dir).expect("config");
    config.output = tmp.path().join("site");
    let built =
        spore::pipeline::build_site(&config, &spore::BuildOptions::default()).expect("build");
    spore::write::write_atomically(&built.site, &config.vault, &config.output).expect("write");

    let out_of: HashMap<&str, &str> = built
        .site
        .pages
        .iter()
        .map(|(out, src)| (src.source.as_str(), out.as_str()))
        .collect();
    let draft: HashMap<&str, bool> = generated
        .notes
        .iter()
        .map(|n| (n.path.as_str(), n.draft))
        .collect();

    // Unresolved links: exactly the missing ones and those to drafts.
    let mut expected: BTreeMap<(String, String), usize> = BTreeMap::new();
    for note in generated.notes.iter().filter(|n| !n.draft) {
        for link in &note.links {
            if link.missing || draft.get(link.target.as_str()).copied().unwrap_or(false) {
                *expected
                    .entry((note.path.clone(), link.target.clone()))
                    .or_default() += 1;
            }
        }
    }
    let mut actual: BTreeMap<(String, String), usize> = BTreeMap::new();
    for u in &built.report.unresolved {
        let file = u.dest.split('#').next().unwrap_or("").trim().to_string();
        let target = generated
            .notes
            .iter()
            .find(|n| n.path.trim_end_matches(".md") == file || n.title == file)
            .map(|n| n.path.clone())
            .unwrap_or(file);
        *actual.entry((u.from.clone(), target)).or_default() += 1;
    }
    assert!(generated.missing_links > 5, "generator wrote missing links");
    assert_eq!(
        actual, expected,
        "unresolved links differ from the generator's missing + draft links"
    );

    // Every relative link and anchor in the site works.
    assert_site_links_ok(&config.output);

    // Every resolvable link points at the right page and the right anchor.
    let mut pages: HashMap<String, Html> = HashMap::new();
    let mut load = |path: &str| -> Html {
        pages
            .entry(path.to_string())
            .or_insert_with(|| {
                Html::parse_document(
                    &std::fs::read_to_string(config.output.join(path)).expect("page"),
                )
            })
            .clone()
    };
    let internal = sel("a.internal");
    let mut checked = 0;
    for note in generated.notes.iter().filter(|n| !n.draft) {
        let page_path = out_of[note.path.as_str()];
        let page = load(page_path);
        let hrefs: Vec<(String, String)> = page
            .select(&internal)
            .filter_map(|a| a.value().attr("href"))
            .map(|h| resolve_href(page_path, h))
            .collect();
        for link in &note.links {
            if link.missing || link.target.ends_with(".png") || draft[link.target.as_str()] {
                continue;
            }
            let target_out = out_of[link.target.as_str()];
            let candidates: Vec<&(String, String)> =
                hrefs.iter().filter(|(p, _)| p == target_out).collect();
            assert!(
                !candidates.is_empty(),
                "{}: no link to {}",
                note.path,
                link.target
            );
            let target_page = load(target_out);
            let ok = candidates
                .iter()
                .any(|(_, fragment)| match (&link.heading, &link.block) {
                    (Some(heading), _) => target_page
                        .select(&sel(&format!("[id=\"{}\"]", fragment.replace('"', "\\\""))))
                        .any(|e| fold(&e.text().collect::<String>()) == fold(heading)),
                    (_, Some(block)) => fragment == &format!("^{block}"),
                    _ => true,
                });
            assert!(
                ok,
                "{}: link {} does not reach its anchor",
                note.path, link.raw
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "checked only {checked} links");
}
