//! No input makes Spore panic: random soups of Obsidian and Markdown syntax
//! (and random bytes) go through the whole pipeline.

use crate::support;

use proptest::prelude::*;
use spore::config::Config;

const TOKENS: &[&str] = &[
    "[[",
    "]]",
    "![[",
    "|",
    "\\|",
    "#",
    "#^",
    "^",
    "^[",
    "[",
    "]",
    "(",
    ")",
    "==",
    "%%",
    "`",
    "```",
    "~~~",
    "$",
    "$$",
    "> ",
    "> [!",
    "[!note]",
    "-",
    "+",
    "* ",
    "\n",
    "\n\n",
    "---\n",
    "| a | b |\n|---|---|\n",
    "<",
    ">",
    "&",
    "\"",
    "'",
    "\\",
    "{#",
    "}",
    "![",
    "](",
    ".md",
    "../",
    "/",
    "Note",
    "A",
    "B",
    "знание",
    "知识",
    "é",
    "e\u{301}",
    "\u{feff}",
    "\r\n",
    "\t",
    " ",
    "^id",
    "#tag",
    "#nested/tag",
    "[^1]",
    "[^1]: ",
    "<script>",
    "</div>",
    "- [ ] ",
    "1. ",
    "    ",
    "\u{0}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|t| t.concat())
}

fn build(notes: &[(String, Vec<u8>)]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("v");
    std::fs::create_dir_all(&vault).expect("mkdir");
    for (name, bytes) in notes {
        let path = vault.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, bytes).expect("write");
    }
    let mut config = Config::zero_config(&vault).expect("config");
    config.output = tmp.path().join("out");
    spore::pipeline::build_site(&config, &spore::BuildOptions::default())
        .expect("build never fails on note content");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn syntax_soup_never_panics(a in soup(), b in soup(), fm in soup()) {
        build(&[
            ("A.md".into(), format!("---\n{fm}\n---\n{a}").into_bytes()),
            ("B.md".into(), b.into_bytes()),
            ("sub/Note.md".into(), "[[A]] ![[B]] ![[A#x]]".as_bytes().to_vec()),
        ]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        build(&[("R.md".into(), bytes.clone()), ("E.md".into(), b"![[R]]".to_vec())]);
    }
}

/// Five notes, each embedding the next one a hundred times: 100⁴ copies of
/// the last if nothing bounds it. The build must finish quickly, with a
/// bounded page and a warning.
#[test]
fn embed_fan_out_is_bounded_per_page() {
    let mut files: Vec<(String, String)> = Vec::new();
    for level in 0..5 {
        let body = if level == 4 {
            "bottom text ".repeat(20)
        } else {
            format!(
                "level {level}\n\n{}",
                format!("![[N{}]]\n", level + 1).repeat(100)
            )
        };
        files.push((format!("N{level}.md"), body));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let built = support::fixture::build_files(&refs);
    let total: u64 = built
        .files()
        .iter()
        .map(|f| {
            std::fs::metadata(built.out.join(f))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    assert!(total < 64 * 1024 * 1024, "site is {total} bytes");
    let page = built.page("N0.html");
    let scraper_sel = scraper::Selector::parse(".embed-error").expect("selector");
    assert!(page.select(&scraper_sel).count() >= 1);
    let warnings: Vec<_> = built
        .report
        .diagnostics
        .iter()
        .filter(|d| d.kind == spore::diagnostics::DiagnosticKind::EmbedTooLarge)
        .collect();
    assert!(!warnings.is_empty());
    assert!(warnings.iter().all(|d| d.file.is_some()));
    // One warning per page, not one per skipped embed.
    assert!(warnings.len() <= 5, "{} warnings", warnings.len());
}
