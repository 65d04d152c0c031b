//! Fuzz targets: one per parser that untrusted input reaches — a note's
//! frontmatter, comments, links, embeds, block ids and callouts; a copy's
//! manifest, signature and pages; the verify state file.
//!
//! Under plain `cargo test` (CI) each target first runs every seed in
//! `tests/fuzz_corpus/<target>/`, then random inputs for about a second
//! (bolero's engine; `BOLERO_RANDOM_TEST_TIME_MS` changes that). Under
//! `cargo bolero test` the same targets run coverage-guided with libFuzzer,
//! on stable Rust. How to run a long session: content/Design.md, "Fuzzing".
//!
//! Each target asserts that nothing panics, plus invariants cheap enough to
//! check on every input.

use spore::index::{self, IndexOptions};
use spore::load::{self, Vault};
use spore::render::{self, RenderContext};
use spore::seal::manifest::Manifest;
use spore::seal::{page, sign};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target)
}

/// Every seed of `target`, in name order.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus(target);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// A fuzz target: `check` runs on each seed, then on random inputs.
/// A macro, not a function, so that `check!` expands in the test itself:
/// cargo-bolero finds targets by their test's name.
macro_rules! fuzz_target {
    ($name:ident, $check:expr) => {
        #[test]
        fn $name() {
            let check = $check;
            for (seed, bytes) in seeds(stringify!($name)) {
                let outcome = std::panic::catch_unwind(|| check(&bytes[..]));
                assert!(outcome.is_ok(), "seed {}/{seed} failed", stringify!($name));
            }
            bolero::check!().for_each(|input: &[u8]| check(input));
        }
    };
}

// ---- notes -----------------------------------------------------------

fuzz_target!(frontmatter, |input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let split = load::frontmatter::split(&text);
    // The body is the end of the text, starting on the line it says.
    assert!(text.ends_with(split.body));
    let before = &text[..text.len() - split.body.len()];
    assert_eq!(split.body_line, 1 + before.matches('\n').count());
    if let Some(yaml) = split.yaml {
        assert!(before.contains(yaml));
    }
    // Reading the keys (draft/publish failing closed) never panics.
    let _ = load::frontmatter::read("fuzz.md", &split);
    // The whole note, from raw bytes (BOM, CRLF, invalid UTF-8).
    let (note, _) = load::parse_note("fuzz.md", input, None);
    assert!(note.body_line >= 1);
});

fuzz_target!(comments, |input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let stripped = load::strip_comments(&text);
    assert!(stripped.len() <= text.len());
    if !text.contains("%%") && !text.contains("<!--") {
        assert_eq!(stripped, text, "nothing to strip");
    }
    // A comment on a paragraph of its own is private whatever plain text
    // surrounds it (text that cannot open code, HTML, math or a comment).
    const PLAIN: &[u8] = b"abc XYZ 019\n#*_-.>[]()!|=+:;,'\"{}/";
    let plain = |bytes: &[u8]| -> String {
        bytes
            .iter()
            .map(|b| PLAIN[*b as usize % PLAIN.len()] as char)
            .collect()
    };
    let (before, after) = input.split_at(input.len() / 2);
    for comment in ["%%PRIVATE TEXT%%", "<!-- PRIVATE TEXT -->"] {
        let note = format!("{}\n\n{comment}\n\n{}", plain(before), plain(after));
        let stripped = load::strip_comments(&note);
        assert!(!stripped.contains("PRIVATE"), "{note:?} → {stripped:?}");
    }
});

fuzz_target!(links, |input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let scan = index::scan::scan(&text);
    for link in &scan.links {
        spore::syntax::target::LinkTarget::parse(&link.dest);
    }
    spore::syntax::target::LinkTarget::parse(&text);
    spore::syntax::trailing_block_id(&text);
    for (range, tag) in spore::syntax::tags::find_tags(&text) {
        assert!(text.get(range).is_some(), "tag {tag:?} out of bounds");
    }
    for block in &scan.blocks {
        assert!(
            text.get(block.range.clone()).is_some(),
            "block out of bounds"
        );
    }
    // Block ids are unique within a note.
    let mut ids: Vec<&str> = scan.blocks.iter().map(|b| b.id.as_str()).collect();
    ids.sort();
    let all = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), all, "duplicate block ids");
    render_with_neighbours(input);
});

fuzz_target!(callouts, |input: &[u8]| {
    render_with_neighbours(input);
});

/// Renders `input` as a note in a small vault with notes and an attachment
/// its links can reach, as a build would: wikilinks, embeds (of itself too),
/// block ids, callouts, tags, math, code.
fn render_with_neighbours(input: &[u8]) {
    let notes = [
        ("Fuzz.md", input),
        (
            "Other.md",
            &b"---\naliases: [Alias]\n---\n# Other\n\n## Part\n\nA paragraph. ^blk\n\n![[Fuzz]]\n"
                [..],
        ),
        (
            "folder/Deep.md",
            &b"# Deep\n\n> [!note] Title\n> Body [[Fuzz#^x]]\n"[..],
        ),
    ];
    let vault = Vault {
        notes: notes
            .iter()
            .map(|(path, bytes)| load::parse_note(path, bytes, None).0)
            .collect(),
        attachments: Vec::new(),
        diagnostics: Vec::new(),
    };
    let index = index::build(vault, IndexOptions::default());
    // Rendered while recording what it reads: every fact recorded must
    // hash the same when `serve` checks it against the same index, or a
    // kept note would be re-rendered forever (or, worse, the check and the
    // read would disagree about what changed).
    let keys = spore::index::view::Keys::new(&index);
    let check = spore::index::view::IndexView::new(&index);
    for id in 0..index.notes.len() {
        let recorder = spore::memo::Recorder::default();
        let ctx = RenderContext {
            view: spore::index::view::IndexView::recording(&index, &recorder),
            highlighter: spore::pipeline::shared_highlighter(),
        };
        render::render_note(&ctx, id);
        for (fact, hash) in recorder.into_reads() {
            assert_eq!(check.fact_hash(&keys, &fact), hash, "{fact:?}");
        }
    }
}

// ---- a copy's files, as `spore verify` reads them ----------------------

/// A signed site's manifest and the public key that signed it (the secret
/// key was thrown away): the signature target's seeds sign these bytes.
const SIGNED_MANIFEST: &[u8] = include_bytes!("../fuzz_corpus/manifest/signed-site.json");
const PUBLIC_KEY: &str = "RWRzLBUI2JMTbXwtGBK7LNnm3LVzaREgjuWRz9CVANoJ3SysOWOB52eG";

fuzz_target!(manifest, |input: &[u8]| {
    use spore::seal::manifest::{parse_any, AnyManifest, Root};
    use spore::verify::observe::{CopyManifest, Layout, ShardRead};
    let copy = match parse_any(input) {
        Ok(AnyManifest::V1(manifest)) => {
            // What was read is what its canonical form reads back as.
            let canonical = manifest.to_canonical_json();
            let again = Manifest::parse_v1(&canonical).expect("canonical form parses");
            assert_eq!(again, manifest);
            CopyManifest {
                manifest,
                bytes: input.to_vec(),
                layout: Layout::V1,
            }
        }
        Ok(AnyManifest::V2(root)) => {
            let again = Root::parse(&root.to_canonical_json()).expect("canonical root parses");
            assert_eq!(again, root);
            // A copy that gave none of its shards: nothing is made from
            // shards it does not have, and nothing panics.
            let shards = vec![ShardRead::Bad("not read".into()); root.shards.len()];
            CopyManifest {
                manifest: Manifest::from_root(&root, Default::default()),
                bytes: input.to_vec(),
                layout: Layout::V2 {
                    root: Box::new(root),
                    shards,
                },
            }
        }
        Err(_) => return,
    };
    spore::verify::judge::expected_seal(&copy);
    spore::verify::judge::seal_files(&copy);
});

fuzz_target!(shard, |input: &[u8]| {
    for bits in [0, 1, 8] {
        if let Ok(files) = spore::seal::shard::parse_shard(input, 0, bits) {
            // Every entry read belongs where it was read.
            for path in files.keys() {
                let key = spore::seal::shard::shard_key(path);
                assert_eq!(spore::seal::shard::shard_index(key, bits), 0);
            }
        }
    }
});

fuzz_target!(signature, |input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    if let Ok(verified) = sign::verify(PUBLIC_KEY, SIGNED_MANIFEST, &text) {
        assert!(!verified.trusted_comment.is_empty());
    }
    // Other bytes are never signed by a signature over the manifest.
    assert!(sign::verify(PUBLIC_KEY, b"other bytes", &text).is_err());
    sign::is_canonical(&text, "6D1393D808152C73");
    let _ = sign::key_id(&text);
});

fuzz_target!(page_integrity, |input: &[u8]| {
    if let Some(declared) = page::declared_self(input) {
        assert_eq!(declared.len(), 64);
        page::recompute_self(input, &declared);
    }
    page::check_self(input);
});

fuzz_target!(verify_state, |input: &[u8]| {
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
    }
    DIR.with(|dir| {
        let path = dir.path().join("state.json");
        std::fs::write(&path, input).unwrap();
        if let Ok(mut state) = spore::verify::state::State::read(&path) {
            // A state that was read can be written and read back.
            state.record_signed("site", 1, "2024-01-01T00:00:00Z");
            state.write(&path).expect("write");
            spore::verify::state::State::read(&path).expect("read back");
        }
    });
});
