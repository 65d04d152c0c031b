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
