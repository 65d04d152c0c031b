//! Issue #2: a plain CommonMark + GFM vault publishes as a portable site.
//! Each test is one rule, on a small fixture vault written by the test.

use crate::support;

use support::fixture::{
    article_text, attrs, build_bytes, build_files, list_files, sel, texts, write_vault,
};
use support::linkcheck::assert_site_links_ok;

#[test]
fn zero_config_vault_uses_folder_name_as_title() {
    let built = build_files(&[("Hello.md", "# Hi\n")]);
    let home = built.page("index.html");
    let title = texts(&home, "title").join("");
    assert!(
        title.contains("vault"),
        "site title from folder name: {title}"
    );
    assert!(built.exists("Hello.html"));
    assert!(built.exists("404.html"));
}

#[test]
fn book_toml_settings_apply() {
    let (tmp, root) = write_vault(&[
        (
            "book.toml",
            b"[book]\ntitle = \"My Wiki\"\nsrc = \"notes\"\n[build]\noutput = \"public\"\n",
        ),
        ("notes/A.md", b"hello"),
    ]);
    let config = spore::config::Config::discover(&root).expect("config");
    assert_eq!(config.title, "My Wiki");
    assert!(config.vault.ends_with("notes"));
    spore::build(&config, &spore::BuildOptions::default()).expect("build");
    assert!(root.join("public/A.html").is_file());
    let home = std::fs::read_to_string(root.join("public/index.html")).expect("home");
    assert!(scraper::Html::parse_document(&home)
        .select(&sel("title"))
        .any(|t| t.text().collect::<String>().contains("My Wiki")));
    drop(tmp);
}

#[test]
fn hidden_folders_and_output_inside_vault_are_skipped() {
    let (tmp, vault) = write_vault(&[
        ("A.md", b"[[B]]"),
        (".obsidian/workspace.md", b"secret"),
        (".git/HEAD.md", b"secret"),
        (".trash/Old.md", b"secret"),
        ("sub/.hidden.md", b"secret"),
    ]);
    let mut config = spore::config::Config::zero_config(&vault).expect("config");
    config.output = vault.join("site");
    spore::build(&config, &spore::BuildOptions::default()).expect("first build");
    // A second build must not publish the first build's output as notes.
    let report = spore::build(&config, &spore::BuildOptions::default()).expect("second build");
    assert_eq!(report.notes, 1);
    let files = list_files(&config.output);
    assert!(
        files.iter().all(|f| !f.contains("workspace")
            && !f.contains("Old")
            && !f.contains("hidden")
            && !f.contains("HEAD")),
        "{files:?}"
    );
    assert!(files.iter().all(|f| !f.starts_with("site/")), "{files:?}");
    drop(tmp);
}

#[cfg(unix)]
#[test]
fn symlink_out_of_vault_is_not_followed() {
    let (tmp, vault) = write_vault(&[("A.md", b"a")]);
    let outside = tmp.path().join("private.md");
    std::fs::write(&outside, "TOP SECRET").expect("write");
    std::os::unix::fs::symlink(&outside, vault.join("Link.md")).expect("symlink");
    let built = support::fixture::build_dir(tmp, vault, false);
    assert!(!built.exists("Link.html"));
    assert!(built
        .report
        .diagnostics
        .iter()
        .any(|d| d.kind == spore::diagnostics::DiagnosticKind::Symlink
            && d.file.as_deref() == Some("Link.md")));
    for f in built.files() {
        let bytes = std::fs::read(built.out.join(&f)).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("TOP SECRET"),
            "{f} leaks"
        );
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_links_to_them_are_skipped_with_a_warning() {
    use spore::diagnostics::DiagnosticKind;
    let (tmp, vault) = write_vault(&[("A.md", b"[[Pipe]] ![[pipe.png]]")]);
    for name in ["Pipe.md", "pipe.png"] {
        let status = std::process::Command::new("mkfifo")
            .arg(vault.join(name))
            .status()
            .expect("mkfifo");
        assert!(status.success());
    }
    std::os::unix::fs::symlink(vault.join("Pipe.md"), vault.join("Linked.md")).expect("symlink");
    // A FIFO with no writer blocks a plain open forever: the build must not.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(support::fixture::build_dir(tmp, vault, false));
    });
    let built = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a build over FIFOs hangs");
    assert!(built.exists("A.html"));
    assert!(!built.exists("Pipe.html"));
    assert!(!built.exists("Linked.html"));
    for name in ["Pipe.md", "pipe.png", "Linked.md"] {
        assert!(
            built
                .report
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::NotAFile && d.file.as_deref() == Some(name)),
            "no warning for {name}: {:?}",
            built.report.diagnostics
        );
    }
}

#[cfg(unix)]
#[test]
fn links_into_hidden_folders_or_to_folders_are_not_followed() {
    use spore::diagnostics::DiagnosticKind;
    let (tmp, vault) = write_vault(&[
        ("A.md", b"[[Config]] [[Inside]]"),
        (".obsidian/secret.md", b"HIDDEN SECRET"),
        ("sub/Inside.md", b"inside"),
    ]);
    std::os::unix::fs::symlink(vault.join(".obsidian/secret.md"), vault.join("Config.md"))
        .expect("symlink");
    std::os::unix::fs::symlink(vault.join("sub"), vault.join("linked")).expect("symlink");
    let built = support::fixture::build_dir(tmp, vault, false);
    assert!(!built.exists("Config.html"));
    assert!(built.exists("sub/Inside.html"));
    assert!(
        !built.exists("linked/Inside.html"),
        "a folder link is never entered"
    );
    assert!(built
        .report
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Symlink && d.file.as_deref() == Some("Config.md")));
    for f in built.files() {
        let bytes = std::fs::read(built.out.join(&f)).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("HIDDEN SECRET"),
            "{f} leaks"
        );
    }
}

#[test]
fn nfd_names_become_nfc_and_resolve() {
    let built = build_files(&[("Cafe\u{301}.md", "coffee"), ("A.md", "[[Caf\u{e9}]]")]);
    assert!(built.exists("Caf\u{e9}.html"), "{:?}", built.files());
    assert!(built.report.unresolved.is_empty());
}

/// The build scans each note as it reads it and lets its text go; two
/// files with one name (composed and decomposed) are not scanned early,
/// so the one kept keeps its links, its text and its key-file check.
#[test]
fn two_spellings_of_one_name_keep_their_links_and_text() {
    let built = build_files(&[
        (
            "caf\u{e9}.md",
            "composed text, see [[Target]] and ^[a note]",
        ),
        ("cafe\u{301}.md", "decomposed text, see [[Target]] too"),
        ("Target.md", "the target"),
    ]);
    let page = built.page("caf\u{e9}.html");
    let text = article_text(&page);
    assert!(
        text.contains("composed text") || text.contains("decomposed text"),
        "{text}"
    );
    assert_eq!(
        attrs(&page, "article a.internal", "href"),
        vec!["Target.html"]
    );
    let target = built.page("Target.html");
    assert_eq!(texts(&target, ".backlinks li > a"), vec!["caf\u{e9}"]);
    assert!(built.report.unresolved.is_empty());
}

#[test]
fn bom_crlf_and_invalid_utf8() {
    let built = build_bytes(&[
        ("Bom.md", b"\xEF\xBB\xBF---\r\ntitle: With BOM\r\n---\r\n# Heading\r\n\r\nLine one\r\nline two\r\n"),
        ("Bad.md", b"good text \xFF\xFE more"),
    ]);
    let page = built.page("Bom.html");
    assert_eq!(
        texts(&page, "h1.page-title, article h1")
            .first()
            .map(String::as_str),
        Some("With BOM")
    );
    assert!(!article_text(&page).contains('\u{feff}'));
    let bad = built.page("Bad.html");
    assert!(article_text(&bad).contains("good text"));
    assert!(built.report.diagnostics.iter().any(|d| d.kind
        == spore::diagnostics::DiagnosticKind::InvalidUtf8
        && d.file.as_deref() == Some("Bad.md")));
}

#[test]
fn frontmatter_fields_reach_the_page_escaped() {
    let built = build_files(&[(
        "N.md",
        "---\ntitle: \"<script>alert(1)</script> Title\"\ndescription: A <b>desc</b>\ntags: \"#one, two\"\naliases: [Other name]\ndate: 2024-05-01\ncssclasses: [wide]\n---\nBody\n",
    )]);
    let page = built.page("N.html");
    let h1 = texts(&page, "h1.page-title").join("");
    assert!(
        h1.contains("<script>alert(1)</script> Title"),
        "title shown as text: {h1}"
    );
    assert_eq!(
        page.select(&sel("script"))
            .filter(|s| s.inner_html().contains("alert"))
            .count(),
        0,
        "title not executable"
    );
    assert!(page
        .root_element()
        .html()
        .contains("A &lt;b&gt;desc&lt;/b&gt;"));
    let tags = texts(&page, ".page-tags a, a.tag");
    assert!(
        tags.iter().any(|t| t.contains("one")) && tags.iter().any(|t| t.contains("two")),
        "{tags:?}"
    );
    assert!(page.root_element().html().contains("Other name"));
    assert!(page.root_element().html().contains("2024-05-01"));
    let body_class = attrs(&page, "body", "class").join(" ");
    assert!(
        body_class.split_whitespace().any(|c| c == "wide"),
        "{body_class}"
    );
}

#[test]
fn malformed_yaml_warns_with_line_and_still_publishes() {
    let built = build_files(&[(
        "Broken.md",
        "---\ntitle: ok\ntags: [unclosed\n---\nThe body survives.\n",
    )]);
    let d = built
        .report
        .diagnostics
        .iter()
        .find(|d| d.kind == spore::diagnostics::DiagnosticKind::Frontmatter)
        .expect("frontmatter warning");
    assert_eq!(d.file.as_deref(), Some("Broken.md"));
    assert!(
        d.line.is_some_and(|l| (2..=5).contains(&l)),
        "line {:?}",
        d.line
    );
    assert!(article_text(&built.page("Broken.html")).contains("The body survives."));
}

#[test]
fn malformed_yaml_still_honours_draft_and_publish() {
    let built = build_files(&[
        ("Secret.md", "---\ndraft: true\ntags: [oops\n---\nprivate\n"),
        (
            "Hidden.md",
            "---\npublish: false\ntitle: : bad\n---\nprivate\n",
        ),
        ("A.md", "x"),
    ]);
    assert!(!built.exists("Secret.html"));
    assert!(!built.exists("Hidden.html"));
}

#[test]
fn commonmark_and_gfm_render() {
    let built = build_files(&[(
        "N.md",
        "# Title {#custom-id}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ and a footnote[^1].\n\n- [x] done\n- [ ] todo\n\n$e=mc^2$\n\n$$\\int_0^1 x\\,dx$$\n\n<div class=\"raw\">raw html</div>\n\n[^1]: The note.\n",
    )]);
    let page = built.page("N.html");
    assert_eq!(attrs(&page, "article h1", "id"), vec!["custom-id"]);
    assert_eq!(page.select(&sel("article table td")).count(), 2);
    assert_eq!(texts(&page, "article del"), vec!["gone"]);
    assert_eq!(page.select(&sel("article input[type=checkbox]")).count(), 2);
    assert!(page.select(&sel("article .footnote-definition")).count() == 1);
    assert!(page.select(&sel("article math")).count() >= 2);
    assert!(page.select(&sel("article math[display=block]")).count() == 1);
    assert_eq!(texts(&page, "article div.raw"), vec!["raw html"]);
}

#[test]
fn heading_ids_are_unique_stable_and_keep_unicode() {
    let built = build_files(&[("N.md", "# Знание\n## Intro\n## Intro\n## Café Noir\n")]);
    let page = built.page("N.html");
    assert_eq!(
        attrs(&page, "article h1, article h2", "id"),
        vec!["знание", "intro", "intro-1", "café-noir"]
    );
    let toc = attrs(&page, "nav.toc a", "href");
    assert!(
        toc.contains(&"#intro-1".to_string()) || toc.iter().any(|h| h.ends_with("intro-1")),
        "{toc:?}"
    );
}

#[test]
fn markdown_links_to_notes_and_images_are_rewritten() {
    let png = support::gen_vault::png_bytes([10, 20, 30]);
    let built = build_bytes(&[
        ("folder/Other Note.md", b"# Target\n"),
        ("folder/pics/My Pic.png", &png),
        ("A.md", b"[one](folder/Other%20Note.md) [two](<folder/Other Note.md>) [three](folder/Other%20Note.md#target)\n\n![alt](folder/pics/My%20Pic.png)\n"),
    ]);
    let page = built.page("A.html");
    let hrefs = attrs(&page, "article a.internal", "href");
    assert_eq!(
        hrefs,
        vec![
            "folder/Other-Note.html",
            "folder/Other-Note.html",
            "folder/Other-Note.html#target"
        ]
    );
    assert_eq!(
        attrs(&page, "article img", "src"),
        vec!["folder/pics/My-Pic.png"]
    );
    assert_eq!(
        std::fs::read(built.out.join("folder/pics/My-Pic.png")).expect("copied"),
        png
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn unreferenced_attachments_are_not_published() {
    let built = build_bytes(&[
        ("A.md", b"no links"),
        ("private/tax-return.pdf", b"%PDF secret"),
    ]);
    assert!(
        built.files().iter().all(|f| !f.contains("tax-return")),
        "{:?}",
        built.files()
    );
}

#[test]
fn code_is_highlighted_with_classes_and_stylesheets_ship() {
    let built = build_files(&[(
        "N.md",
        "```rust\nfn main() { let x = 1; }\n```\n\n```\nplain <tag>\n```\n",
    )]);
    let page = built.page("N.html");
    assert!(
        page.select(&sel("pre.code code.language-rust span[class^=hl-]"))
            .count()
            > 3
    );
    assert!(texts(&page, "pre.code")
        .iter()
        .any(|t| t.contains("plain <tag>")));
    for css in [
        "_spore/syntax-light.css",
        "_spore/syntax-dark.css",
        "_spore/spore.css",
    ] {
        assert!(built.exists(css), "{css}");
    }
    let head = page.root_element().html();
    assert!(head.contains("prefers-color-scheme: dark"));
}

#[test]
fn home_page_is_index_md_or_a_generated_list() {
    let with_index = build_files(&[("index.md", "# Welcome home\n"), ("A.md", "a")]);
    assert!(article_text(&with_index.page("index.html")).contains("Welcome home"));
    let without = build_files(&[("A.md", "a"), ("B.md", "b")]);
    let home = without.page("index.html");
    let items = attrs(&home, "main a", "href");
    assert!(
        items.contains(&"A.html".to_string()) && items.contains(&"B.html".to_string()),
        "{items:?}"
    );
}

#[test]
fn names_are_portable_and_unique_ignoring_case() {
    let built = build_files(&[
        ("Notes/Case.md", "upper"),
        ("notes/case.md", "lower"),
        ("What? <A|B>: \"x\"*.md", "odd"),
        ("CON.md", "reserved"),
        ("trailing. .md", "dots"),
        ("index.md", "home"),
        ("sub/index.md", "folder note"),
    ]);
    let files = built.files();
    let mut folded = std::collections::HashSet::new();
    for f in &files {
        for part in f.split('/') {
            assert!(
                !part.contains(['<', '>', ':', '"', '\\', '|', '?', '*']),
                "{f}"
            );
            assert!(!part.ends_with('.') && !part.ends_with(' '), "{f}");
            let stem = part.split('.').next().unwrap_or("").to_ascii_lowercase();
            assert!(
                !["con", "prn", "aux", "nul"].contains(&stem.as_str()),
                "{f}"
            );
        }
        assert!(folded.insert(f.to_lowercase()), "case clash: {f}");
    }
    let texts_of: Vec<String> = files
        .iter()
        .filter(|f| f.ends_with(".html") && f.to_lowercase().contains("case"))
        .map(|f| article_text(&built.page(f)))
        .collect();
    assert!(
        texts_of.iter().any(|t| t.contains("upper"))
            && texts_of.iter().any(|t| t.contains("lower")),
        "{files:?}"
    );
    assert_site_links_ok(&built.out);
}

#[test]
fn every_url_is_relative_and_names_a_file() {
    let built = build_files(&[
        ("index.md", "[[a/b/Deep]] #tag"),
        ("a/b/Deep.md", "[[index]] [[a/Mid]] #tag"),
        ("a/Mid.md", "[[Deep]]"),
    ]);
    assert_site_links_ok(&built.out);
    for f in built.files().iter().filter(|f| f.ends_with(".html")) {
        let page = built.page(f);
        for url in attrs(&page, "a[href]", "href")
            .into_iter()
            .chain(attrs(&page, "link[href]", "href"))
            .chain(attrs(&page, "script[src]", "src"))
        {
            assert!(!url.starts_with('/'), "{f}: {url}");
            assert!(!url.ends_with('/'), "{f}: {url} names no file");
            assert!(
                !url.starts_with("http"),
                "{f}: {url} loads from the network"
            );
        }
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let files: &[(&str, &str)] = &[
        ("A.md", "# A\n[[B]] #x ![[B]]\n```rust\nfn a(){}\n```\n"),
        ("B.md", "---\ntags: [y]\n---\nb ^blk\n"),
        ("sub/C.md", "[[A#A]]"),
    ];
    let one = build_files(files);
    let two = build_files(files);
    let (fa, fb) = (one.files(), two.files());
    assert_eq!(fa, fb);
    for f in &fa {
        assert_eq!(
            std::fs::read(one.out.join(f)).expect("a"),
            std::fs::read(two.out.join(f)).expect("b"),
            "{f} differs"
        );
    }
}

#[test]
fn output_folder_safety() {
    let (tmp, vault) = write_vault(&[("A.md", b"a")]);
    let mut config = spore::config::Config::zero_config(&vault).expect("config");
    for bad in [vault.clone(), tmp.path().to_path_buf()] {
        config.output = bad;
        assert!(spore::build(&config, &spore::BuildOptions::default()).is_err());
    }
    let foreign = tmp.path().join("documents");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("thesis.docx"), "irreplaceable").expect("write");
    config.output = foreign.clone();
    let err = spore::build(&config, &spore::BuildOptions::default()).expect_err("refused");
    assert!(err.to_string().contains("not created by Spore"), "{err}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("thesis.docx")).expect("kept"),
        "irreplaceable"
    );
    assert!(vault.join("A.md").is_file());
}

#[test]
fn rebuild_replaces_the_previous_site_whole() {
    let (tmp, vault) = write_vault(&[("A.md", b"a"), ("B.md", b"b")]);
    let mut config = spore::config::Config::zero_config(&vault).expect("config");
    config.output = tmp.path().join("out");
    spore::build(&config, &spore::BuildOptions::default()).expect("build");
    std::fs::remove_file(vault.join("B.md")).expect("rm");
    spore::build(&config, &spore::BuildOptions::default()).expect("rebuild");
    assert!(config.output.join("A.html").exists());
    assert!(!config.output.join("B.html").exists());
    let siblings: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        siblings
            .iter()
            .all(|s| !s.contains("spore-tmp") && !s.contains("spore-old")),
        "{siblings:?}"
    );
}

#[test]
fn site_templates_and_theme_files_override_the_builtin_ones() {
    let (tmp, root) = write_vault(&[
        ("book.toml", b"[book]\ntitle = \"T\"\n"),
        ("content/N.md", b"---\nproject: Apollo\n---\nbody"),
        ("templates/note.html", b"{% extends \"base.html\" %}{% block content %}<p id=\"custom\">{{ page.extra.project }}</p>{% endblock content %}"),
        ("themes/default/spore.css", b"body { color: rebeccapurple; }"),
    ]);
    let config = spore::config::Config::discover(&root).expect("config");
    spore::build(&config, &spore::BuildOptions::default()).expect("build");
    let page = scraper::Html::parse_document(
        &std::fs::read_to_string(config.output.join("N.html")).expect("page"),
    );
    assert_eq!(texts(&page, "#custom"), vec!["Apollo"]);
    assert_eq!(
        std::fs::read_to_string(config.output.join("_spore/spore.css")).expect("css"),
        "body { color: rebeccapurple; }"
    );
    drop(tmp);
}

#[cfg(unix)]
#[test]
fn a_template_or_theme_file_linked_out_or_a_fifo_is_refused_clearly() {
    // In a zero-config vault the templates folder is part of the vault: a
    // template swapped for a link must not pull an outside file into pages.
    for (file, fifo) in [
        ("templates/note.html", false),
        ("themes/default/spore.css", false),
        ("templates/base.html", true),
    ] {
        let (tmp, root) = write_vault(&[("book.toml", b""), ("content/N.md", b"x")]);
        let secret = tmp.path().join("secret.txt");
        std::fs::write(&secret, "LINKED SECRET").expect("secret");
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        if fifo {
            let status = std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .expect("mkfifo");
            assert!(status.success());
        } else {
            std::os::unix::fs::symlink(&secret, &path).expect("symlink");
        }
        let config = spore::config::Config::discover(&root).expect("config");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(spore::build(&config, &spore::BuildOptions::default()).map(|_| ()));
        });
        let result = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{file}: the build hangs"));
        let err = result.expect_err(file).to_string();
        assert!(
            err.contains(file.rsplit('/').next().unwrap_or(file)),
            "{err}"
        );
        assert!(!err.contains("LINKED SECRET"), "{err}");
        drop(tmp);
    }
}

#[test]
fn a_broken_template_is_a_clear_error() {
    let (_tmp, root) = write_vault(&[
        ("book.toml", b""),
        ("content/N.md", b"x"),
        (
            "templates/note.html",
            b"{% extends \"base.html\" %}{% block content %}{{ page.title ",
        ),
    ]);
    let config = spore::config::Config::discover(&root).expect("config");
    let err = spore::build(&config, &spore::BuildOptions::default()).expect_err("template error");
    assert!(err.to_string().contains("template"), "{err}");
}

#[test]
fn empty_and_huge_notes_build() {
    let huge = "word ".repeat(400_000) + "\n\n" + &"- item\n".repeat(20_000);
    let built = build_files(&[
        ("Empty.md", ""),
        ("Huge.md", &huge),
        ("OnlyFrontmatter.md", "---\ntitle: T\n---\n"),
    ]);
    assert!(
        built.exists("Empty.html")
            && built.exists("Huge.html")
            && built.exists("OnlyFrontmatter.html")
    );
}

/// A minisign secret key file, as `spore keygen` or `minisign -G` write it.
fn minisign_secret_key() -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = spore::seal::sign::keygen(dir.path(), false, None).expect("keygen");
    std::fs::read_to_string(keys.secret_path).expect("read key")
}

/// A key file larger than what load looks at (a PEM bundle padded past
/// 64 KiB) is still refused: the seal searches each published attachment's
/// head while hashing it, so it is left out rather than published.
#[test]
fn a_large_file_that_starts_with_a_key_is_never_published() {
    let mut pem = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n".to_vec();
    pem.resize(200 * 1024, b'\n');
    let built = build_bytes(&[
        ("A.md", b"# A\n[the file](big.txt) ![[big.txt]]\n"),
        ("big.txt", &pem),
    ]);
    assert!(!built.exists("big.txt"), "the key was published");
    for f in built.files() {
        let bytes = std::fs::read(built.out.join(&f)).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"),
            "{f} holds the key"
        );
    }
    assert!(
        built.report.diagnostics.iter().any(|d| {
            d.kind == spore::diagnostics::DiagnosticKind::KeyFile
                && d.file.as_deref() == Some("big.txt")
        }),
        "{:?}",
        built.report.diagnostics
    );
}

#[test]
fn a_secret_key_file_is_never_published_whatever_its_name() {
    let key = minisign_secret_key();
    let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    let bundle = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    let png = support::gen_vault::png_bytes([1, 2, 3]);
    let built = build_bytes(&[
        (
            "A.md",
            b"# A\n![[photo.png]] [[photo.png|the photo]] [ssh](keys/id_ed25519.txt) ![[cert.pem]] ![[real.png]] [[Secret]]\n",
        ),
        ("photo.png", key.as_bytes()),
        ("keys/id_ed25519.txt", ssh.as_bytes()),
        ("cert.pem", bundle.as_bytes()),
        ("Secret.md", key.as_bytes()),
        ("real.png", &png),
    ]);
    let files = built.files();
    assert!(files.contains(&"real.png".to_string()), "{files:?}");
    for f in &files {
        let bytes = std::fs::read(built.out.join(f)).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains(key.lines().nth(1).expect("key line")),
            "{f} holds a secret key"
        );
    }
    for gone in [
        "photo.png",
        "keys/id_ed25519.txt",
        "cert.pem",
        "Secret.html",
    ] {
        assert!(!built.exists(gone), "{gone} was published");
    }
    let page = built.page("A.html");
    let urls: Vec<String> = attrs(&page, "[href]", "href")
        .into_iter()
        .chain(attrs(&page, "[src]", "src"))
        .collect();
    assert!(
        urls.iter()
            .all(|u| !u.contains("photo") && !u.contains("id_ed25519") && !u.contains("cert")),
        "{urls:?}"
    );
    let warned: Vec<&str> = built
        .report
        .diagnostics
        .iter()
        .filter(|d| d.kind == spore::diagnostics::DiagnosticKind::KeyFile)
        .filter_map(|d| d.file.as_deref())
        .collect();
    assert_eq!(
        warned,
        ["Secret.md", "cert.pem", "keys/id_ed25519.txt", "photo.png"]
    );
    assert_site_links_ok(&built.out);
}

/// Every character XML 1.0 forbids (C0 controls but tab and line ends,
/// U+FFFE, U+FFFF), with markup characters and odd but legal ones around.
const HOSTILE: &str =
    "A\u{1}b\u{b}c\u{c}d\u{1f}e\u{fffe}f\u{ffff}g]]>h&i<j>k\"l'm\u{85}n\u{2028}o\u{1fffe}p\u{7f}q";

/// Builds `files` with a mirror (so the sitemap is written) and a site
/// title, description and author made of [`HOSTILE`] characters.
fn build_hostile(files: &[(&str, &str)]) -> support::fixture::BuiltVault {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    let (tmp, vault) = write_vault(&bytes);
    let out = tmp.path().join("site");
    let mut config = spore::config::Config::zero_config(&vault).expect("config");
    config.output = out.clone();
    config.title = format!("Site {HOSTILE}");
    config.description = format!("About {HOSTILE}");
    config.authors = vec![format!("Author {HOSTILE}")];
    config.mirrors = vec![spore::config::Mirror {
        url: "https://example.org/wiki/".into(),
        priority: None,
        location: None,
    }];
    let options = spore::BuildOptions {
        include_drafts: false,
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    };
    let report = spore::build(&config, &options).expect("build");
    support::fixture::BuiltVault {
        _tmp: tmp,
        out,
        report,
    }
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// `s` as an XML file shows it: forbidden characters become U+FFFD.
fn replaced(s: &str) -> String {
    s.chars()
        .map(|c| if xml_char(c) { c } else { '\u{fffd}' })
        .collect()
}

#[test]
fn hostile_characters_in_names_titles_and_tags_never_break_xml() {
    // YAML double quotes spell every character as an escape.
    let yaml_hostile: String = HOSTILE
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if c.is_control() || !xml_char(c) || c == '\u{2028}' => {
                format!("\\U{:08x}", c as u32)
            }
            c => c.to_string(),
        })
        .collect();
    let titled = format!(
        "---\ntitle: \"{yaml_hostile}\"\ntags: [\"t{yaml_hostile}\", \"x]]>y\"]\ndate: 2024-05-01\n---\nBody {HOSTILE} #tag]]>\n"
    );
    let named = format!("Note {HOSTILE}.md");
    let built = build_hostile(&[
        ("Titled.md", &titled),
        (&named, "---\ndate: 2024-05-02\n---\nPlain body.\n"),
        ("index.md", "[[Titled]]\n"),
    ]);
    let files = built.files();
    for f in &files {
        assert!(
            f.chars().all(xml_char),
            "output name {f:?} cannot be said in XML"
        );
    }
    for xml_file in ["feed.xml", "sitemap.xml", "integrity/site.meta4"] {
        let text = std::fs::read_to_string(built.out.join(xml_file)).expect(xml_file);
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{xml_file} is not XML: {e}"));
        // Every name in the Metalink file is a file of the site.
        if xml_file.ends_with("meta4") {
            for name in doc
                .descendants()
                .filter(|n| n.has_tag_name("file"))
                .filter_map(|n| n.attribute("name"))
                .filter(|n| {
                    !["integrity/SHA256SUMS", "integrity/manifest.json.minisig"].contains(n)
                })
            {
                assert!(files.iter().any(|f| f == name), "meta4 names {name:?}");
            }
        }
        if xml_file == "feed.xml" {
            let titles: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("title"))
                .filter_map(|n| n.text())
                .collect();
            assert!(
                titles.contains(&format!("Site {}", replaced(HOSTILE)).as_str()),
                "{titles:?}"
            );
            assert!(
                titles.iter().any(|t| t.contains("]]>h&i<j>k\"l'm")),
                "{titles:?}"
            );
            let terms: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("category"))
                .filter_map(|n| n.attribute("term"))
                .collect();
            assert!(terms.iter().any(|t| t.contains("]]>")), "{terms:?}");
        }
    }
    // Pages and JSON files hold the same text without breaking.
    let page = built.page("Titled.html");
    let h1 = texts(&page, "h1.page-title").join("");
    assert!(h1.contains("]]>h&i<j>k\"l'm"), "{h1:?}");
    for f in files.iter().filter(|f| f.ends_with(".json")) {
        let bytes = std::fs::read(built.out.join(f)).expect("json");
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .unwrap_or_else(|e| panic!("{f} is not JSON: {e}"));
    }
}

#[test]
fn frontmatter_fences_may_carry_trailing_whitespace_bom_and_crlf() {
    let built = build_bytes(&[
        ("Spaces.md", b"---  \ndraft: true\n---\t \nzqxsecret\n"),
        (
            "Crlf.md",
            b"\xEF\xBB\xBF---\t\r\ndraft: true\r\n--- \r\nzqxsecret\r\n",
        ),
        ("Shown.md", b"--- \ntitle: Real Title\n---  \nbody text\n"),
    ]);
    assert!(!built.exists("Spaces.html") && !built.exists("Crlf.html"));
    let page = built.page("Shown.html");
    assert_eq!(texts(&page, "h1"), vec!["Real Title"]);
    assert!(!article_text(&page).contains("title:"));
    for f in built.files() {
        let t = std::fs::read_to_string(built.out.join(&f)).unwrap_or_default();
        assert!(!t.contains("zqxsecret"), "{f} leaks a draft");
    }
}

#[test]
fn impossible_dates_are_warned_with_their_line_and_left_out() {
    let built = build_hostile(&[
        ("Feb.md", "---\ntitle: Feb\ndate: 2024-02-30\n---\nx\n"),
        (
            "Clock.md",
            "---\nupdated: 2024-05-01T25:61:61\ndate: 2024-05-02\n---\nx\n",
        ),
        (
            "Zone.md",
            "---\ntags: [a]\ndate: 2024-05-01T10:00:00+25:00\n---\nx\n",
        ),
        ("Words.md", "---\ndate: next tuesday\n---\nx\n"),
        ("Minus.md", "---\ncreated: \"-0001-01-01\"\n---\nx\n"),
        ("Good.md", "---\ndate: 2024-05-01 13:45\n---\nx\n"),
        (
            "Offset.md",
            "---\nupdated: 2024-05-03T13:45:10+02:00\n---\nx\n",
        ),
        ("Leap.md", "---\ndate: 2024-02-29\n---\nx\n"),
    ]);
    let mut warned: Vec<(String, usize)> = built
        .report
        .diagnostics
        .iter()
        .filter(|d| d.kind == spore::diagnostics::DiagnosticKind::InvalidDate)
        .map(|d| (d.file.clone().unwrap_or_default(), d.line.unwrap_or(0)))
        .collect();
    warned.sort();
    assert_eq!(
        warned,
        vec![
            ("Clock.md".to_string(), 2),
            ("Feb.md".to_string(), 3),
            ("Minus.md".to_string(), 2),
            ("Words.md".to_string(), 2),
            ("Zone.md".to_string(), 3),
        ]
    );
    let feed = std::fs::read_to_string(built.out.join("feed.xml")).expect("feed");
    let doc = roxmltree::Document::parse(&feed).expect("feed is XML");
    let entries: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .map(|e| {
            let child = |name: &str| {
                e.children()
                    .find(|c| c.has_tag_name(name))
                    .and_then(|c| c.text())
                    .unwrap_or_default()
                    .to_string()
            };
            (child("title"), child("updated"))
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (
                "Offset".to_string(),
                "2024-05-03T13:45:10+02:00".to_string()
            ),
            ("Clock".to_string(), "2024-05-02T00:00:00Z".to_string()),
            ("Good".to_string(), "2024-05-01T13:45:00Z".to_string()),
            ("Leap".to_string(), "2024-02-29T00:00:00Z".to_string()),
        ],
        "newest first, impossible dates left out"
    );
    let sitemap = std::fs::read_to_string(built.out.join("sitemap.xml")).expect("sitemap");
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap is XML");
    let lastmods: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("lastmod"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(lastmods.len(), 4, "{lastmods:?}");
    for m in lastmods {
        m.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("lastmod {m:?}: {e}"));
    }
    // Pages show no impossible date either.
    let feb = built.page("Feb.html");
    assert!(texts(&feb, "time").is_empty(), "{:?}", texts(&feb, "time"));
    assert_eq!(
        attrs(&built.page("Good.html"), "time", "datetime"),
        vec!["2024-05-01 13:45"]
    );
}

#[test]
fn any_doubt_about_draft_or_publish_keeps_the_note_private_with_a_warning() {
    let doubtful: &[&str] = &[
        "---\nDraft: true\n---\n",
        "---\nDRAFT: false\n---\n",
        "---\n\"draft \": false\n---\n",
        "---\ndraft: y\n---\n",
        "---\ndraft: yes\n---\n",
        "---\ndraft: on\n---\n",
        "---\ndraft: 1\n---\n",
        "---\ndraft: [true]\n---\n",
        "---\ndraft: {a: 1}\n---\n",
        "---\ndraft:\n---\n",
        "---\ndraft: !private true\n---\n",
        "---\npublish: no\n---\n",
        "---\npublish: 0\n---\n",
        "---\npublish:\n---\n",
        "---\nPublish: true\n---\n",
        "---\nbase: &b {draft: true}\n<<: *b\n---\n",
        "---\n- draft: true\n---\n",
        "---\ndraft\n---\n",
        "---\ndraft: false\ndraft: true\n---\n",
        "---\ndraft: false\ntags: [oops\n---\n",
        "---\nDraft: true\ntitle: : bad\n---\n",
        "---\ndraft: false\ndeep: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n---\n",
        "---\ndraft: true\nnever closed\n",
    ];
    let published: &[&str] = &[
        "---\ndraft: false\n---\n",
        "---\ndraft: False\npublish: TRUE\n---\n",
        "---\ndraft: 'false'\n---\n",
        "---\npublish: true\n---\n",
        "---\ntitle: x\n---\n",
    ];
    let mut files: Vec<(String, String)> = Vec::new();
    for (i, fm) in doubtful.iter().enumerate() {
        files.push((format!("D{i}.md"), format!("{fm}zqxsecret{i} body\n")));
    }
    for (i, fm) in published.iter().enumerate() {
        files.push((format!("P{i}.md"), format!("{fm}public body\n")));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_bytes()))
        .collect();
    let built = build_bytes(&refs);
    for (i, fm) in doubtful.iter().enumerate() {
        let name = format!("D{i}.md");
        assert!(!built.exists(&format!("D{i}.html")), "{fm:?} was published");
        assert!(
            built.report.diagnostics.iter().any(|d| {
                d.kind == spore::diagnostics::DiagnosticKind::Frontmatter
                    && d.file.as_deref() == Some(name.as_str())
                    && d.line.is_some()
            }),
            "{fm:?}: no warning with file and line"
        );
    }
    for (i, fm) in published.iter().enumerate() {
        assert!(
            built.exists(&format!("P{i}.html")),
            "{fm:?} was not published"
        );
    }
    for f in built.files() {
        let t = std::fs::read_to_string(built.out.join(&f)).unwrap_or_default();
        assert!(!t.contains("zqxsecret"), "{f} leaks a private note");
    }
}

#[test]
fn deeply_nested_frontmatter_is_refused_and_fails_closed() {
    let deep = format!(
        "---\npublish: true\nx: {}{}\n---\nzqxsecret\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let built = build_bytes(&[("Deep.md", deep.as_bytes()), ("A.md", b"a")]);
    assert!(!built.exists("Deep.html"));
    let d = built
        .report
        .diagnostics
        .iter()
        .find(|d| d.file.as_deref() == Some("Deep.md") && d.message.contains("nested"))
        .expect("a warning about the nesting");
    assert_eq!(d.line, Some(3));
}
