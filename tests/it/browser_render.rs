//! What a reader sees in a real browser, opened from `file://` with no
//! network: diagrams drawn by the bundled Mermaid, math as MathML.

use crate::support;

use scraper::Html;
use support::browser::{self, Browser};
use support::fixture::{build_files, sel};

#[test]
fn mermaid_draws_offline_from_file_url() {
    if !browser::available("mermaid_draws_offline_from_file_url") {
        return;
    }
    let built = build_files(&[
        (
            "Diagram.md",
            "# D\n\n```mermaid\ngraph TD; Alpha-->Beta\n```\n\n$a^2+b^2$\n",
        ),
        ("Plain.md", "no diagrams here"),
        ("sub/Embeds.md", "![[Diagram]]"),
    ]);
    assert!(built.exists("_spore/mermaid.min.js"));
    let plain = std::fs::read_to_string(built.out.join("Plain.html")).expect("page");
    assert!(
        !plain.contains("mermaid.min.js"),
        "pages without diagrams load no Mermaid"
    );
    let mut browser = Browser::launch();
    for page in ["Diagram.html", "sub/Embeds.html"] {
        let tab = browser.open(&browser::file_url(&built.out.join(page)));
        // Mermaid draws after the load event. Whether it did in time, the
        // DOM is read and judged below, so a missing diagram says so.
        browser.wait_until(
            tab,
            "document.querySelectorAll('pre.mermaid svg').length > 0",
            15_000,
        );
        let dom = Html::parse_document(&browser.dom(tab));
        let svgs = dom.select(&sel("pre.mermaid svg")).count();
        assert_eq!(svgs, 1, "{page}: diagram not drawn");
        let labels: String = dom
            .select(&sel("pre.mermaid svg"))
            .flat_map(|e| e.text())
            .collect();
        assert!(
            labels.contains("Alpha") && labels.contains("Beta"),
            "{page}: {labels}"
        );
        assert!(dom.select(&sel("article math")).count() >= 1);
    }
}

#[test]
fn without_a_browser_the_diagram_source_stays_readable() {
    let built = build_files(&[("D.md", "```mermaid\ngraph TD; A-->B\n```\n")]);
    let page = built.page("D.html");
    let source: String = page
        .select(&sel("pre.mermaid"))
        .flat_map(|e| e.text())
        .collect();
    assert_eq!(source.trim(), "graph TD; A-->B");
}
