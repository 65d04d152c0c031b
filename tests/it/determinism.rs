//! Same vault, same bytes: a generated 300-note vault built twice — once on
//! one thread, once on four, into different folders — gives identical
//! files, and so does a rebuild over an existing output. Every speed-up must
//! keep this passing.

use crate::support;

use spore::config::Config;
use std::collections::BTreeMap;
use std::path::Path;
use support::gen_vault::generate_vault;

/// Every file under `dir` (relative path → bytes).
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

fn build_into(vault: &Path, out: &Path, threads: usize) {
    let mut config = Config::zero_config(vault).expect("config");
    config.output = out.to_path_buf();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| spore::build(&config, &spore::BuildOptions::default()))
        .expect("build");
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "{what}: different file lists");
    for (path, bytes) in a {
        assert!(
            bytes == &b[path],
            "{what}: {path} differs ({} vs {} bytes)",
            bytes.len(),
            b[path].len()
        );
    }
}

#[test]
fn two_builds_of_a_generated_vault_are_byte_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("vault");
    generate_vault(&vault, 300, 11).expect("generate");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    build_into(&vault, &one, 1);
    build_into(&vault, &two, 4);
    let first = read_tree(&one);
    assert!(
        first.keys().filter(|p| p.ends_with(".html")).count() > 300,
        "expected a page per note plus folder and tag pages, got {} files",
        first.len()
    );
    assert_same(&first, &read_tree(&two), "1 thread vs 4 threads");

    // A rebuild over the previous output swaps in the same bytes.
    build_into(&vault, &one, 2);
    assert_same(&first, &read_tree(&one), "rebuild over existing output");
}

/// `spore build` streams: each page is sealed and written as it is made,
/// never the whole site in memory. What it writes must be byte for byte
/// the site `build_site` makes in memory (what `serve` answers from and
/// what the other tests look at) — attachments, drafts and all. Rebuilt
/// over its own output (so the previous version is read) and into a new
/// folder.
#[test]
fn the_streaming_build_writes_the_site_build_site_makes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("vault");
    generate_vault(&vault, 120, 5).expect("generate");
    std::fs::write(vault.join("used.bin"), b"\x00\x01 attachment").unwrap();
    let note = std::fs::read_dir(&vault)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\n![[used.bin]]\n");
    std::fs::write(&note, text).unwrap();
    // The streaming build reads each note again to render it, and finds an
    // embed's line without the text (comments cut before it count).
    std::fs::write(
        vault.join("Commented.md"),
        "---\ntitle: Commented\n---\n%% private\nover two lines %%\r\nText <!-- a\n-->\u{FEFF}here ![[Commented]] and ![[Commented#Nowhere]].\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut config = Config::zero_config(&vault).expect("config");
    config.output = out.clone();
    let options = spore::BuildOptions {
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    };
    for round in ["new folder", "over its own output"] {
        let report = spore::build(&config, &options).expect("build");
        let at = |r: &spore::BuildReport| -> Vec<(String, Option<usize>, Option<usize>, String)> {
            r.diagnostics
                .iter()
                .filter(|d| d.file.as_deref().is_some_and(|f| f.contains("Commented")))
                .map(|d| {
                    (
                        d.file.clone().unwrap_or_default(),
                        d.line,
                        d.column,
                        d.message.clone(),
                    )
                })
                .collect()
        };
        assert!(
            at(&report)
                .iter()
                .any(|(_, line, column, m)| m.contains("cycle")
                    && *line == Some(7)
                    && *column == Some(10)),
            "{round}: {:?}",
            at(&report)
        );
        let written = read_tree(&out);
        let built = spore::pipeline::build_site(&config, &options).expect("build_site");
        let mut in_memory = BTreeMap::new();
        for (path, file) in &built.site.files {
            let bytes = match file {
                spore::site::SiteFile::Vault(v) => std::fs::read(&v.source.abs).unwrap(),
                made => made.made().expect("made").to_vec(),
            };
            in_memory.insert(path.clone(), bytes);
        }
        assert!(in_memory.contains_key("used.bin"), "{round}");
        assert_same(&in_memory, &written, round);
        assert_eq!(report.files, written.len(), "{round}");
        assert_eq!(report.files, built.report.files, "{round}");
        assert_eq!(report.pages, built.report.pages, "{round}");
        assert_eq!(report.seal.version, built.report.seal.version, "{round}");
        assert_eq!(at(&report), at(&built.report), "{round}");
    }
}
