//! Issue #3: Obsidian-flavoured Markdown and the link graph, one rule a test.

use crate::support;

use spore::diagnostics::DiagnosticKind;
use support::fixture::{article_text, attrs, build_bytes, build_files, sel, texts, write_vault};
use support::linkcheck::assert_site_links_ok;

#[test]
fn every_wikilink_form_resolves() {
    let pdf = b"%PDF-1.4 tiny";
    let png = support::gen_vault::png_bytes([1, 2, 3]);
    let built = build_bytes(&[
        ("Target.md", b"# Top\n## Sub\nA block. ^blk1\n"),
        ("folder/Deep.md", b"deep"),
        ("doc.pdf", pdf),
        ("pic.png", &png),
        (
            "Links.md",
            b"# Here\n[[Target]] [[Target.md]] [[folder/Deep]] [[Target|label]] [[Target#Sub]] [[Target#Top#Sub]] [[Target#^blk1]] [[#Here]] [[#^own]] [[doc.pdf]] [[pic.png]]\n\nMine. ^own\n\n| a | b |\n|---|---|\n| [[Target\\|piped]] | x |\n",
        ),
    ]);
    let page = built.page("Links.html");
    let hrefs = attrs(&page, "article a.internal", "href");
    assert_eq!(
        hrefs,
        vec![
            "Target.html",
            "Target.html",
            "folder/Deep.html",
            "Target.html",
            "Target.html#sub",
            "Target.html#sub",
            "Target.html#%5Eblk1",
            "#here",
            "#%5Eown",
            "doc.pdf",
            "pic.png",
            "Target.html"
        ]
    );
    let labels = texts(&page, "article a.internal");
    assert_eq!(labels[3], "label");
    assert_eq!(labels[4], "Target > Sub");
    assert_eq!(labels[11], "piped");
    assert!(
        built.report.unresolved.is_empty(),
        "{:?}",
        built.report.unresolved
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn resolution_prefers_same_folder_then_shortest_path_and_ignores_case() {
    let built = build_files(&[
        ("a/Note.md", "in a"),
        ("b/c/Note.md", "in b/c"),
        ("b/c/Linker.md", "[[Note]]"),
        (
            "Root linker.md",
            "[[Note]] [[NOTE]] [[знание]] [[ÄRGER]] [[知识]]",
        ),
        ("z/知识.md", "cjk"),
        ("x/Знание.md", "cyrillic"),
        ("y/ärger.md", "umlaut"),
    ]);
    assert_eq!(
        attrs(&built.page("b/c/Linker.html"), "article a.internal", "href"),
        vec!["Note.html"]
    );
    assert_eq!(
        attrs(
            &built.page("Root-linker.html"),
            "article a.internal",
            "href"
        ),
        vec![
            "a/Note.html",
            "a/Note.html",
            "x/%D0%97%D0%BD%D0%B0%D0%BD%D0%B8%D0%B5.html",
            "y/%C3%A4rger.html",
            "z/%E7%9F%A5%E8%AF%86.html"
        ]
    );
}

#[test]
fn aliases_resolve_and_are_shown() {
    let built = build_files(&[
        ("Real.md", "---\naliases: [Nickname]\n---\nx"),
        ("A.md", "[[nickname]]"),
    ]);
    assert_eq!(
        attrs(&built.page("A.html"), "article a.internal", "href"),
        vec!["Real.html"]
    );
    assert!(built
        .page("Real.html")
        .root_element()
        .text()
        .any(|t| t.contains("Nickname")));
}

#[test]
fn unresolved_links_have_no_href_and_leak_no_title() {
    let built = build_files(&[
        (
            "Secret.md",
            "---\ntitle: Top Secret Plan\ndraft: true\n---\nx",
        ),
        (
            "Unpub.md",
            "---\ntitle: Hidden Agenda\npublish: false\n---\nx",
        ),
        ("A.md", "[[Missing]] [[Secret]] [[Unpub]] [[../Outside]]"),
    ]);
    let page = built.page("A.html");
    assert_eq!(page.select(&sel("article .unresolved")).count(), 4);
    assert_eq!(
        page.select(&sel("article .unresolved[href], article a.unresolved"))
            .count(),
        0
    );
    for f in built.files() {
        let text = std::fs::read_to_string(built.out.join(&f)).unwrap_or_default();
        assert!(
            !text.contains("Top Secret Plan") && !text.contains("Hidden Agenda"),
            "{f} leaks a title"
        );
    }
    assert_eq!(built.report.unresolved.len(), 4);
    assert!(!built.exists("Secret.html") && !built.exists("Unpub.html"));
}

#[test]
fn drafts_flag_publishes_drafts_for_preview() {
    let (tmp, vault) = write_vault(&[
        ("Secret.md", b"---\ndraft: true\n---\nx"),
        ("A.md", b"[[Secret]]"),
    ]);
    let built = support::fixture::build_dir(tmp, vault, true);
    assert!(built.exists("Secret.html"));
    assert!(built.report.unresolved.is_empty());
}

#[test]
fn missing_heading_still_links_the_note_and_warns() {
    let built = build_files(&[("T.md", "# Real\n"), ("A.md", "[[T#Nope]]")]);
    assert_eq!(
        attrs(&built.page("A.html"), "article a.internal", "href"),
        vec!["T.html"]
    );
    assert!(built
        .report
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::MissingHeading && d.file.as_deref() == Some("A.md")));
}

#[test]
fn embeds_note_heading_section_and_block() {
    let built = build_files(&[
        (
            "Src.md",
            "# One\nfirst\n## One A\nnested\n# Two\nsecond\n\nA paragraph to embed. ^para\n",
        ),
        ("A.md", "![[Src]]\n\n![[Src#One]]\n\n![[Src#^para]]\n"),
    ]);
    let page = built.page("A.html");
    let embeds: Vec<String> = page
        .select(&sel("article > .embed .embed-content"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(embeds.len(), 3);
    assert!(embeds[0].contains("first") && embeds[0].contains("second"));
    assert!(
        embeds[1].contains("first")
            && embeds[1].contains("nested")
            && !embeds[1].contains("second"),
        "{}",
        embeds[1]
    );
    assert!(
        embeds[2].contains("A paragraph to embed.") && !embeds[2].contains("first"),
        "{}",
        embeds[2]
    );
    assert!(!embeds[2].contains("^para"));
    assert_site_links_ok(&built.out);
}

#[test]
fn links_inside_embeds_resolve_from_the_embedded_note() {
    let built = build_files(&[
        ("x/Inner.md", "[[Sibling]]"),
        ("x/Sibling.md", "in x"),
        ("deep/er/Sibling.md", "beside the embedding note"),
        ("deep/er/A.md", "![[Inner]]"),
    ]);
    let page = built.page("deep/er/A.html");
    let hrefs = attrs(&page, ".embed-content a.internal", "href");
    assert_eq!(hrefs, vec!["../../x/Sibling.html"]);
}

#[test]
fn embed_cycles_and_depth_stop_with_a_marker() {
    let mut files: Vec<(String, String)> = vec![
        ("A.md".into(), "![[B]]".into()),
        ("B.md".into(), "![[A]]".into()),
    ];
    for i in 0..12 {
        files.push((format!("D{i}.md"), format!("level {i} ![[D{}]]", i + 1)));
    }
    files.push(("D12.md".into(), "bottom".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let built = build_files(&refs);
    assert!(built.page("A.html").select(&sel(".embed-error")).count() == 1);
    assert!(built
        .report
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::EmbedCycle));
    let deep = built.page("D0.html");
    assert_eq!(deep.select(&sel(".embed-error")).count(), 1);
    assert!(!article_text(&deep).contains("bottom"));
    assert!(built
        .report
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::EmbedTooDeep));
}

#[test]
fn self_embed_and_mutual_heading_embeds_terminate() {
    let built = build_files(&[
        ("S.md", "# H\n![[S#H]]\n![[S]]\n"),
        ("T.md", "# X\n![[U#Y]]\n"),
        ("U.md", "# Y\n![[T#X]]\n"),
    ]);
    assert!(built.page("S.html").select(&sel(".embed-error")).count() >= 1);
    assert!(built.page("T.html").select(&sel(".embed-error")).count() == 1);
}

#[test]
fn media_embeds() {
    let png = support::gen_vault::png_bytes([9, 9, 9]);
    let built = build_bytes(&[
        ("a.png", &png),
        ("s.mp3", b"ID3"),
        ("v.mp4", b"mp4"),
        ("d.pdf", b"%PDF"),
        ("z.zip", b"PK"),
        ("N.md", b"![[a.png]] ![[a.png|300]] ![[a.png|300x200]] ![alt|120](a.png)\n\n![[s.mp3]]\n\n![[v.mp4]]\n\n![[d.pdf]]\n\n![[z.zip]]\n"),
    ]);
    let page = built.page("N.html");
    let widths = attrs(&page, "article img", "width");
    assert_eq!(widths, vec!["300", "300", "120"]);
    assert_eq!(attrs(&page, "article img", "height"), vec!["200"]);
    assert_eq!(
        attrs(&page, "article img", "alt")
            .last()
            .map(String::as_str),
        Some("alt")
    );
    assert_eq!(attrs(&page, "article audio", "src"), vec!["s.mp3"]);
    assert_eq!(attrs(&page, "article video", "src"), vec!["v.mp4"]);
    assert_eq!(
        attrs(&page, "article iframe.pdf-embed", "src"),
        vec!["d.pdf"]
    );
    assert_eq!(attrs(&page, "article a[download]", "href"), vec!["z.zip"]);
    assert_site_links_ok(&built.out);
}

#[test]
fn block_ids_become_anchors_and_are_hidden() {
    let built = build_files(&[(
        "N.md",
        "Para text ^p1\n\n- item ^i1\n- other\n\n> quoted\n\n^q1\n",
    )]);
    let page = built.page("N.html");
    assert_eq!(texts(&page, "[id=\"^p1\"]"), vec!["Para text"]);
    assert_eq!(texts(&page, "li[id=\"^i1\"]"), vec!["item"]);
    assert_eq!(page.select(&sel("[id=\"^q1\"]")).count(), 1);
    assert!(
        !article_text(&page).contains('^'),
        "{}",
        article_text(&page)
    );
}

#[test]
fn standalone_block_ids_name_the_block_above_them() {
    let built = build_files(&[
        (
            "N.md",
            "Intro.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n^tbl\n\n> quoted\n\n^q1\n\n- x\n- y\n\n^lst\n\n## Head\n\n^h1\n\n> [!note] Called\n> out\n\n^cal\n\n```rust\nfn code() {}\n```\n\n^code\n\nText.\n",
        ),
        ("L.md", "[[N#^tbl]] [[N#^q1]] [[N#^lst]] [[N#^h1]]\n"),
    ]);
    let page = built.page("N.html");
    // The id sits on the table, the quote and the list themselves, not on
    // an anchor somewhere before them.
    assert_eq!(attrs(&page, "article table", "id"), vec!["^tbl"]);
    assert_eq!(
        texts(&page, "article blockquote[id=\"^q1\"]"),
        vec!["quoted"]
    );
    assert_eq!(attrs(&page, "article ul", "id"), vec!["^lst"]);
    // A heading keeps its own id; the block id is an anchor inside it.
    assert_eq!(page.select(&sel("article h2 > a[id=\"^h1\"]")).count(), 1);
    let callout = attrs(&page, "[id=\"^cal\"]", "class");
    assert!(callout.iter().any(|c| c.contains("callout")), "{callout:?}");
    assert_eq!(texts(&page, "[id=\"^code\"]"), vec!["fn code() {}"]);
    for id in ["^tbl", "^q1", "^lst", "^h1", "^cal", "^code"] {
        let found = page.select(&sel(&format!("[id=\"{id}\"]"))).count();
        assert_eq!(found, 1, "{id}");
    }
    assert!(!article_text(&page).contains('^'));
    // The index promises the same blocks the page names.
    let links = built.page("L.html");
    assert_eq!(
        attrs(&links, "article a.internal", "href"),
        vec![
            "N.html#%5Etbl",
            "N.html#%5Eq1",
            "N.html#%5Elst",
            "N.html#%5Eh1"
        ]
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn footnotes_share_one_numbering_and_one_section_at_the_end() {
    let built = build_files(&[
        (
            "N.md",
            "First[^b], inline^[an inline note], then[^a] and [^B] again.\n\n[^a]: Alpha **bold**.\n\nMiddle paragraph.\n\n[^b]: Beta.\n\n[^unused]: Never referenced.\n\nLast paragraph, [^missing] stays text.\n",
        ),
        ("E.md", "Own^[mine] here.\n\n![[N]]\n"),
    ]);
    let page = built.page("N.html");
    // One numbering, in order of first reference; a repeated reference
    // (labels match whatever their case) keeps its number.
    assert_eq!(
        texts(&page, "article sup.footnote-reference a"),
        vec!["1", "2", "3", "1"]
    );
    // Every definition is in the one section, which ends the article.
    assert_eq!(page.select(&sel("article section.footnotes")).count(), 1);
    let last = page
        .select(&sel("article > *"))
        .next_back()
        .map(|e| e.value().attr("class").unwrap_or("").to_string());
    assert_eq!(last.as_deref(), Some("footnotes"));
    assert_eq!(
        attrs(&page, "article section.footnotes > ol > li", "id"),
        vec!["fn-1", "fn-2", "fn-3"]
    );
    let defs = texts(&page, "article section.footnotes > ol > li");
    assert!(defs[0].starts_with("Beta."), "{defs:?}");
    assert!(defs[1].starts_with("an inline note"), "{defs:?}");
    assert!(defs[2].starts_with("Alpha bold."), "{defs:?}");
    assert_eq!(page.select(&sel("article .footnote-definition")).count(), 3);
    assert!(!article_text(&page).contains("Never referenced"));
    assert!(article_text(&page).contains("[^missing] stays text"));
    // References and definitions link to each other.
    assert_eq!(
        attrs(&page, "article sup.footnote-reference a", "href"),
        vec!["#fn-1", "#fn-2", "#fn-3", "#fn-1"]
    );
    assert_eq!(
        attrs(&page, "li#fn-1 a.footnote-backref", "href"),
        vec!["#fnref-1", "#fnref-1-2"]
    );
    for href in attrs(&page, "article a.footnote-backref", "href") {
        let id = href.trim_start_matches('#');
        assert_eq!(
            page.select(&sel(&format!("sup.footnote-reference a[id=\"{id}\"]")))
                .count(),
            1,
            "{href}"
        );
    }
    // An embedded note keeps its own footnotes, with ids of its own.
    let host = built.page("E.html");
    assert_eq!(
        page_ids_repeated(&host),
        Vec::<String>::new(),
        "ids must be unique"
    );
    assert_eq!(
        host.select(&sel(".embed-content section.footnotes > ol > li"))
            .count(),
        3
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn a_heading_inside_a_footnote_does_not_shift_the_page_heading_ids() {
    let built = build_files(&[(
        "N.md",
        "# Top\n\nText[^1].\n\n[^1]: ## Inside note\n\n## Below\n\nSee [[#Below]].\n",
    )]);
    let page = built.page("N.html");
    assert_eq!(
        attrs(&page, "article > h1, article > h2", "id"),
        vec!["top", "below"]
    );
    assert_eq!(page_ids_repeated(&page), Vec::<String>::new());
    assert_site_links_ok(&built.out);
}

fn page_ids_repeated(page: &scraper::Html) -> Vec<String> {
    let mut ids = attrs(page, "[id]", "id");
    ids.sort();
    let mut repeated: Vec<String> = ids
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    repeated.dedup();
    repeated
}

#[test]
fn callouts_types_folding_nesting() {
    let built = build_files(&[(
        "N.md",
        "> [!WARNING] Mind **this**\n> body text\n\n> [!faq]- Closed\n> hidden\n\n> [!tip]+ Open\n> shown\n\n> [!unknownkind]\n> x\n\n> [!note] Outer\n> > [!bug] Inner\n> > deep\n\n> plain quote\n",
    )]);
    let page = built.page("N.html");
    let kinds = attrs(&page, "article .callout", "data-callout");
    assert_eq!(
        kinds,
        vec!["warning", "question", "tip", "note", "note", "bug"]
    );
    assert_eq!(
        texts(
            &page,
            ".callout[data-callout=warning] > .callout-title .callout-title-inner"
        ),
        vec!["Mind this"]
    );
    assert_eq!(
        page.select(&sel(".callout[data-callout=warning] .callout-title strong"))
            .count(),
        1
    );
    assert_eq!(
        page.select(&sel("details.callout[data-callout=question]:not([open])"))
            .count(),
        1
    );
    assert_eq!(
        page.select(&sel("details.callout[data-callout=tip][open]"))
            .count(),
        1
    );
    assert_eq!(
        texts(&page, ".callout[data-callout=note] .callout-title-inner")
            .first()
            .map(String::as_str),
        Some("Unknownkind")
    );
    assert_eq!(
        page.select(&sel(
            ".callout[data-callout=note] .callout-content .callout[data-callout=bug]"
        ))
        .count(),
        1
    );
    assert_eq!(page.select(&sel("article blockquote")).count(), 1);
    assert!(!article_text(&page).contains("[!"));
}

#[test]
fn highlights_comments_inline_footnotes_math_mermaid() {
    let built = build_files(&[
        ("N.md", "A ==marked== word, x == y. Secret %%hidden words%% gone.\n\n%%\nmulti line secret\n%%\n\nNote^[an inline note] here. `==code==` and `%%code%%`.\n\n```mermaid\ngraph TD; A-->B\n```\n"),
        ("E.md", "![[N]]"),
    ]);
    let page = built.page("N.html");
    assert_eq!(texts(&page, "article mark"), vec!["marked"]);
    let text = article_text(&page);
    assert!(text.contains("x == y"));
    assert!(!text.contains("hidden words") && !text.contains("multi line secret"));
    assert!(texts(&page, "article code").contains(&"==code==".to_string()));
    assert!(texts(&page, "article code").contains(&"%%code%%".to_string()));
    assert_eq!(
        texts(&page, "section.footnotes li")
            .first()
            .map(|t| t.contains("an inline note")),
        Some(true)
    );
    assert_eq!(page.select(&sel("article pre.mermaid")).count(), 1);
    for f in built.files() {
        let t = std::fs::read_to_string(built.out.join(&f)).unwrap_or_default();
        assert!(
            !t.contains("hidden words") && !t.contains("multi line secret"),
            "{f} leaks a comment"
        );
    }
}

#[test]
fn tags_inline_nested_frontmatter_and_pages() {
    let built = build_files(&[
        ("A.md", "---\ntags: [Research]\n---\nText #ml/nlp and #ML and #знание, not `#code`, not [#link](B.md), not https://x.org/#frag, not #123.\n"),
        ("B.md", "#research #ml"),
    ]);
    let page = built.page("A.html");
    let tags = texts(&page, "article a.tag");
    assert_eq!(tags, vec!["#ml/nlp", "#ML", "#знание"]);
    let all = built.page("tags/index.html");
    let items: Vec<String> = texts(&all, "ul.item-list li");
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(built.exists("tags/ml/nlp.html"));
    let ml = built.page("tags/ml.html");
    assert_eq!(
        attrs(&ml, "ul.item-list li a", "href").len(),
        2,
        "ml lists A (via ml/nlp and ML) and B"
    );
    let research = built.page("tags/Research.html");
    assert_eq!(
        attrs(&research, "ul.item-list li a", "href").len(),
        2,
        "tags group ignoring case"
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn backlinks_with_context_and_outlinks() {
    let built = build_files(&[
        ("T.md", "target"),
        (
            "A.md",
            "Before the link [[T]] and after it.\n\nOther paragraph.",
        ),
        ("B.md", "![[T]]"),
    ]);
    let t = built.page("T.html");
    let back = attrs(&t, ".backlinks a, section.backlinks a", "href");
    assert!(
        back.contains(&"A.html".to_string()) && back.contains(&"B.html".to_string()),
        "{back:?}"
    );
    assert!(t
        .root_element()
        .text()
        .any(|s| s.contains("Before the link T and after it.")));
    let a = built.page("A.html");
    assert!(attrs(&a, ".outlinks a, section.outlinks a", "href").contains(&"T.html".to_string()));
}

#[test]
fn folder_pages_list_notes_and_subfolders_with_folder_note_text() {
    let built = build_files(&[
        ("Projects/index.md", "About all projects."),
        ("Projects/Alpha.md", "a"),
        ("Projects/Sub/Beta.md", "b"),
        ("Areas/Areas.md", "Areas intro text."),
        ("Areas/Health.md", "h"),
    ]);
    let projects = built.page("Projects/index.html");
    assert!(article_text(&projects).contains("About all projects."));
    let hrefs = attrs(&projects, "ul.item-list li a", "href");
    assert!(
        hrefs.contains(&"Alpha.html".to_string()) && hrefs.contains(&"Sub/index.html".to_string()),
        "{hrefs:?}"
    );
    assert!(article_text(&built.page("Areas/index.html")).contains("Areas intro text."));
    assert!(built.exists("Projects/Sub/index.html"));
    assert_site_links_ok(&built.out);
}

#[test]
fn summary_counts_links_and_unresolved() {
    let built = build_files(&[
        ("A.md", "[[B]] [[C]] [[Nope]]"),
        ("B.md", "[[A]]"),
        ("C.md", "x"),
    ]);
    assert_eq!(built.report.notes, 3);
    assert_eq!(built.report.links, 4);
    assert_eq!(built.report.unresolved.len(), 1);
    assert_eq!(built.report.unresolved[0].dest, "Nope");
}

/// Every output file, path → bytes.
fn output_files(
    built: &support::fixture::BuiltVault,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    built
        .files()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(built.out.join(&f)).expect("read output");
            (f, bytes)
        })
        .collect()
}

/// No output file (page, search shard, feed, sitemap…) holds `secret` in any
/// case, and search finds no word starting with it.
fn assert_nowhere(built: &support::fixture::BuiltVault, secret: &str) {
    let files = output_files(built);
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        assert!(!text.contains(secret), "{path} leaks {secret}");
    }
    assert!(spore::emit::search::lookup_prefix(&files, secret).is_empty());
}

#[test]
fn comments_never_reach_any_output_file_whatever_surrounds_them() {
    // Each variant hides `zqxsecret` in a comment the parser sees outside
    // code; `shown` must still be published.
    let variants = [
        "shown \\`a %%zqxsecret%% `",
        "shown `a\\` %%zqxsecret%% `",
        "shown ``a` %%zqxsecret%% b",
        "shown ` unclosed %%zqxsecret%%",
        "shown `x` %%zqxsecret `y`%%",
        "<div>\n`x %%zqxsecret%% `\n</div>\n\nshown",
        "<div>\nshown\n<pre>%%zqxsecret%%</pre>\n</div>\n",
        "| a | b |\n|---|---|\n| shown `c | %%zqxsecret%% | d` |\n",
        "- shown\n- \\`item %%zqxsecret%% `x`\n",
        "> shown \\`q %%zqxsecret%% `\n",
        "> [!note] shown %%zqxsecret%%\n> body \\`x %%zqxsecret%% `\n",
        "shown %%a %%b%% zqxsecret%%",
        "shown %%zqxsecret",
        "shown\n\n%%\nzqxsecret",
        "shown %%zqxsecret%%",
        "[shown %%zqxsecret%%](Other.md) [[Other|shown %%zqxsecret%%]]",
        "---\ntitle: x\n%%zqxsecret%%\n\nshown",
        "shown\n\n---\n%%zqxsecret%%\n---\n",
        "# shown \\`h %%zqxsecret%% `\n",
        "shown[^1]\n\n[^1]: note \\`a %%zqxsecret%% `\n",
        "shown ^[inline \\`a %%zqxsecret%% `]",
        "shown $x %%zqxsecret%% y$",
        "shown <!-- zqxsecret -->",
        "<!--\nzqxsecret\n-->\n\nshown",
        "<div>\nshown\n<!-- zqxsecret -->\n</div>\n",
        "shown <span title=\"<!-- zqxsecret -->\">x</span>",
        "shown <!-- zqxsecret",
        "shown <!--> <!-- zqxsecret -->",
        "- shown <!-- zqxsecret -->\n> quote <!--\n> zqxsecret\n> -->\n",
    ];
    let mut files: Vec<(String, String)> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}.md"), (*v).to_string()))
        .collect();
    let all: String = (0..variants.len())
        .map(|i| format!("![[V{i}]]\n\n"))
        .collect();
    files.push(("All.md".into(), all));
    files.push(("Other.md".into(), "other".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let built = build_files(&refs);
    assert_nowhere(&built, "zqxsecret");
    for i in 0..variants.len() {
        let page = built.page(&format!("V{i}.html"));
        assert!(
            article_text(&page).contains("shown"),
            "V{i} lost its visible text: {:?}",
            article_text(&page)
        );
    }
}

#[test]
fn html_comments_are_hidden_but_code_keeps_them_and_the_integrity_block_works() {
    let built = build_files(&[(
        "N.md",
        "Text <!-- zqxsecret --> more.\n\n`<!-- shown in code -->`\n\n```html\n<!-- block code -->\n```\n\n<!-- spore:integrity -->\n",
    )]);
    assert_nowhere(&built, "zqxsecret");
    let page = built.page("N.html");
    let code = texts(&page, "article code").join("\n");
    assert!(code.contains("<!-- shown in code -->"), "{code}");
    assert!(code.contains("<!-- block code -->"), "{code}");
    // The note cannot plant a second integrity marker: exactly one block.
    assert_eq!(page.select(&sel("script#spore-integrity")).count(), 1);
}

#[test]
fn an_unclosed_comment_warns_with_its_line() {
    let built = build_files(&[
        (
            "U.md",
            "---\ntitle: U\n---\nline four\n\nshown %%hidden\nzqxsecret\n",
        ),
        ("H.md", "first\n\n<!-- never closed\nzqxsecret\n"),
    ]);
    assert_nowhere(&built, "zqxsecret");
    let lines: Vec<(Option<&str>, Option<usize>)> = built
        .report
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::UnclosedComment)
        .map(|d| (d.file.as_deref(), d.line))
        .collect();
    assert_eq!(
        lines,
        vec![(Some("H.md"), Some(3)), (Some("U.md"), Some(6))]
    );
    assert!(article_text(&built.page("U.html")).contains("shown"));
}
