//! Spore's own documentation (`content/`, configured by `book.toml`) builds
//! without warnings and every link in it works.

use crate::support;

use spore::config::Config;
use support::linkcheck::assert_site_links_ok;

#[test]
fn bundled_docs_build_cleanly_and_every_link_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::discover(root).expect("book.toml parses");
    let tmp = tempfile::tempdir().expect("tempdir");
    config.output = tmp.path().join("site");
    let report = spore::build(&config, &spore::BuildOptions::default()).expect("docs build");
    assert!(report.notes >= 8, "docs have {} notes", report.notes);
    assert!(
        report.unresolved.is_empty(),
        "unresolved links in docs: {:?}",
        report.unresolved
    );
    assert!(
        report.diagnostics.is_empty(),
        "warnings in docs: {:#?}",
        report.diagnostics
    );
    assert_site_links_ok(&config.output);
}
