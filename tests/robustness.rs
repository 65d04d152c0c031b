//! No input makes Spore panic: random soups of Obsidian and Markdown syntax
//! (and random bytes) go through the whole pipeline.

mod support;

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
