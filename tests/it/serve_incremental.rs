//! `serve`'s incremental rebuild must give exactly what a full build gives.
//! Each test edits a vault on disk, hands the touched paths to
//! [`LiveSite::apply`] as the watcher would, and compares every output file
//! (and every page's source record) with a fresh `build_site` of the same
//! vault.

use crate::support;
use crate::support::sites::assert_sites_equal;

use spore::config::Config;
use spore::pipeline::{build_site, BuildOptions};
use spore::serve::incremental::{Changes, LiveSite};
use spore::site::Site;
use std::fs;
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    vault: PathBuf,
    live: LiveSite,
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

/// A small hand-written vault (with a book.toml) plus generated notes.
fn fixture(generated: usize) -> Fixture {
    fixture_with("", |vault| {
        if generated > 0 {
            support::gen_vault::generate_vault(&vault.join("gen"), generated, 7).unwrap();
        }
        write(
            &vault.join("index.md"),
            "# Home\n\nStart at [[Alpha]] and [[Beta#Details]]. #start\n",
        );
        write(
            &vault.join("Alpha.md"),
            "---\ntitle: Alpha\ntags: [greek]\n---\n# Alpha\n\nAlpha links [[Beta]] and embeds:\n\n![[Beta#Details]]\n\n## Part\n\nText ^alpha-block\n",
        );
        write(
            &vault.join("Beta.md"),
            "---\ntags: [greek, letters/b]\naliases: [Second]\n---\n# Beta\n\nBeta text, see [[Gamma]].\n\n## Details\n\nDetails of beta: ![[Gamma]]\n",
        );
        write(
            &vault.join("sub/Gamma.md"),
            "# Gamma\n\nGamma is embedded by Beta. Link back to [[Alpha#^alpha-block]]. Missing: [[Nowhere]].\n",
        );
        write(
            &vault.join("sub/Delta.md"),
            "---\ndraft: true\n---\nA draft linking [[Alpha]].\n",
        );
        write(
            &vault.join("sub/Epsilon.md"),
            "Epsilon mentions [[Second]].\n",
        );
        fs::write(
            vault.join("pic.png"),
            support::gen_vault::png_bytes([1, 2, 3]),
        )
        .unwrap();
        write(&vault.join("Pics.md"), "Picture: ![[pic.png]]\n");
    })
}

/// A vault filled by `fill`, with a book.toml holding `extra` (mirrors).
fn fixture_with(extra: &str, fill: impl FnOnce(&Path)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(
        &root.join("book.toml"),
        &format!("[book]\ntitle = \"Inc\"\nsrc = \"vault\"\n[build]\noutput = \"site\"\n{extra}"),
    );
    let vault = root.join("vault");
    fill(&vault);
    let config = Config::discover(&root).unwrap();
    let live = LiveSite::build(config, BuildOptions::default()).unwrap();
    Fixture {
        _dir: dir,
        root,
        vault,
        live,
    }
}

impl Fixture {
    fn apply(&mut self, touched: &[&str]) -> spore::serve::incremental::RebuildSummary {
        let changes = Changes {
            vault: touched.iter().map(|p| self.vault.join(p)).collect(),
            ..Changes::default()
        };
        self.live.apply(changes).unwrap()
    }

    fn edit(&mut self, rel: &str, text: &str) -> spore::serve::incremental::RebuildSummary {
        write(&self.vault.join(rel), text);
        self.apply(&[rel])
    }

    fn assert_same_as_full_build(&self, step: &str) {
        let config = Config::discover(&self.root).unwrap();
        let full = build_site(&config, &BuildOptions::default()).unwrap().site;
        assert_sites_equal(self.live.site(), &full, step);
        assert!(self.live.caches_are_fresh(), "{step}: stale cached keys");
    }
}

#[test]
fn initial_build_equals_build_site() {
    let f = fixture(40);
    f.assert_same_as_full_build("initial");
}

#[test]
fn sequence_of_edits_stays_byte_identical() {
    let mut f = fixture(60);

    // A body edit of an embedded note: the fast path, re-rendering the
    // notes that embed it (Beta directly, Alpha through Beta).
    let s = f.edit(
        "sub/Gamma.md",
        "# Gamma\n\nGamma, edited. Link back to [[Alpha#^alpha-block]].\n\n## New heading\n",
    );
    assert!(!s.reindexed, "a body edit patches the index");
    assert!(s.site_changed);
    assert!(s.notes_rendered >= 3, "Gamma, Beta and Alpha: {s:?}");
    assert!(s.notes_rendered < 20, "not the whole vault: {s:?}");
    f.assert_same_as_full_build("body edit");

    // Renaming a heading others link to and embed.
    f.edit(
        "Beta.md",
        "---\ntags: [greek, letters/b]\naliases: [Second]\n---\n# Beta\n\nBeta text, see [[Gamma]].\n\n## Particulars\n\nDetails of beta: ![[Gamma]]\n",
    );
    f.assert_same_as_full_build("heading rename");

    // A title change: backlinks, folder and tag pages show the new title.
    f.edit(
        "Alpha.md",
        "---\ntitle: Alpha Prime\ntags: [greek]\n---\n# Alpha\n\nAlpha links [[Beta]] and embeds:\n\n![[Beta#Details]]\n\n## Part\n\nText ^alpha-block\n",
    );
    f.assert_same_as_full_build("title change");

    // A tag change: new tag pages, the tag index, the note's tag links.
    f.edit(
        "Alpha.md",
        "---\ntitle: Alpha Prime\ntags: [greek, brand-new/tag]\n---\n# Alpha\n\nAlpha links [[Beta]] #inline-tag\n\n## Part\n\nText ^alpha-block\n",
    );
    f.assert_same_as_full_build("tag change");

    // A new link, then a new sentence around it: the target's page shows
    // the backlink and its sentence (nothing else about the target changes).
    let s = f.edit(
        "Pics.md",
        "Picture: ![[pic.png]]\n\nPics now points to [[Beta]].\n",
    );
    assert!(!s.reindexed);
    f.assert_same_as_full_build("new backlink");
    f.edit(
        "Pics.md",
        "Picture: ![[pic.png]]\n\nA different sentence about [[Beta]].\n",
    );
    f.assert_same_as_full_build("backlink sentence");

    // A new note that an existing link was waiting for.
    let s = f.edit(
        "Nowhere.md",
        "# Nowhere\n\nNow somewhere, linking [[Gamma]].\n",
    );
    assert!(s.reindexed);
    f.assert_same_as_full_build("new note");

    // Delete a note others link to.
    fs::remove_file(f.vault.join("sub/Epsilon.md")).unwrap();
    f.apply(&["sub/Epsilon.md"]);
    f.assert_same_as_full_build("delete");

    // Rename (as an editor or `mv` does): both paths are touched.
    fs::rename(
        f.vault.join("sub/Gamma.md"),
        f.vault.join("sub/Gamma renamed.md"),
    )
    .unwrap();
    f.apply(&["sub/Gamma.md", "sub/Gamma renamed.md"]);
    f.assert_same_as_full_build("rename");

    // A new attachment and a note embedding it.
    fs::write(
        f.vault.join("new.png"),
        support::gen_vault::png_bytes([9, 9, 9]),
    )
    .unwrap();
    f.apply(&["new.png"]);
    f.assert_same_as_full_build("new attachment nobody uses");
    f.edit("Pics.md", "Picture: ![[pic.png]] and ![[new.png]]\n");
    f.assert_same_as_full_build("attachment used");

    // New bytes for an attachment in use.
    fs::write(
        f.vault.join("new.png"),
        support::gen_vault::png_bytes([1, 1, 1]),
    )
    .unwrap();
    let s = f.apply(&["new.png"]);
    assert!(!s.reindexed);
    f.assert_same_as_full_build("attachment bytes");

    // Stop using an attachment: it leaves the site.
    f.edit("Pics.md", "No pictures.\n");
    f.assert_same_as_full_build("attachment unused");

    // An alias change changes what [[Second]] resolves to.
    f.edit(
        "Beta.md",
        "---\ntags: [greek]\n---\n# Beta\n\nNo aliases now.\n",
    );
    f.assert_same_as_full_build("alias removed");

    // Draft → published and back.
    f.edit("sub/Delta.md", "A published note linking [[Alpha]].\n");
    f.assert_same_as_full_build("draft published");
    f.edit("sub/Delta.md", "---\npublish: false\n---\nHidden again.\n");
    f.assert_same_as_full_build("unpublished");

    // Edits to generated notes, through the fast path.
    let generated: Vec<PathBuf> = walkdir::WalkDir::new(f.vault.join("gen"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().to_path_buf())
        .take(5)
        .collect();
    for path in generated {
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("\n\nAppended line with a link to [[Alpha Prime]] and #gen-tag.\n");
        fs::write(&path, text).unwrap();
        let rel = path
            .strip_prefix(&f.vault)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        f.apply(&[rel.as_str()]);
        f.assert_same_as_full_build(&format!("generated edit {rel}"));
    }

    // A new folder with a note, then the folder removed.
    f.edit(
        "new folder/Zeta.md",
        "Zeta in a new folder, see [[Alpha]].\n",
    );
    f.assert_same_as_full_build("new folder");
    fs::remove_dir_all(f.vault.join("new folder")).unwrap();
    f.apply(&["new folder"]);
    f.assert_same_as_full_build("folder removed");
}

#[test]
fn a_new_tag_re_renders_only_the_notes_that_show_it() {
    let mut f = fixture(60);
    let s = f.edit(
        "sub/Epsilon.md",
        "Epsilon mentions [[Second]] and a brand #new-tag-here.\n",
    );
    assert!(s.notes_rendered <= 3, "not every note: {s:?}");
    f.assert_same_as_full_build("new tag");
    let s = f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]].\n");
    assert!(s.notes_rendered <= 3, "not every note: {s:?}");
    f.assert_same_as_full_build("tag gone");
}

/// The bytes of every file of `site` (deferred ones made now).
fn site_bytes(site: &Site) -> Vec<(String, Vec<u8>)> {
    site.files
        .iter()
        .map(|(p, f)| (p.clone(), f.made().map(|b| b.to_vec()).unwrap_or_default()))
        .collect()
}

/// A body edit seals again only the files it changed (serve keeps the
/// sealed site and changes it in place), a rebuild that changes nothing
/// changes no file, and a site a request still reads is never changed
/// under it.
#[test]
fn a_body_edit_reseals_only_the_files_it_changed() {
    let mut f = fixture(60);
    let total = f.live.site().files.len();
    let s = f.apply(&[]);
    assert_eq!((s.files_changed, s.site_changed), (0, false), "{s:?}");

    let first = f.live.shared_site();
    let first_bytes = site_bytes(&first);
    let s = f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]], edited.\n");
    assert!(
        s.files_changed > 0 && s.files_changed * 5 < total,
        "{} of {total} files changed: {s:?}",
        s.files_changed
    );
    f.assert_same_as_full_build("one body edit");
    // The site of the edit before is held (as a request would): the next
    // rebuild must not reuse it.
    let s = f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]], again.\n");
    assert!(s.files_changed * 5 < total, "{s:?}");
    f.assert_same_as_full_build("an edit while an older site is read");
    assert!(site_bytes(&first) == first_bytes, "a served site changed");
    let s = f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]], third.\n");
    assert!(s.files_changed * 5 < total, "{s:?}");
    f.assert_same_as_full_build("a third edit");
}

#[test]
fn template_change_re_emits_without_reparsing() {
    let mut f = fixture(10);
    write(
        &f.root.join("templates/note.html"),
        "{% extends \"base.html\" %}{% block content %}<article class=\"custom\">{{ page.content | safe }}</article>{% endblock content %}",
    );
    let s = f
        .live
        .apply(Changes {
            theme: true,
            ..Changes::default()
        })
        .unwrap();
    assert_eq!(s.notes_rendered, 0, "no note is parsed or rendered again");
    assert!(s.pages_rendered > 10);
    f.assert_same_as_full_build("template override");
}

/// A note that is a secret key is left out with a warning, by `build` and
/// by `serve` alike — also after `serve` indexes the vault again (a new
/// note), when it used to file the key note with the drafts and drop the
/// warning.
#[test]
fn a_key_file_note_keeps_its_warning_after_a_reindex() {
    let mut f = fixture(0);
    write(
        &f.vault.join("notes/id.md"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    f.apply(&["notes/id.md"]);
    f.assert_same_as_full_build("key note added");
    let warned = |f: &Fixture| {
        f.live
            .warnings()
            .iter()
            .any(|d| d.file.as_deref() == Some("notes/id.md"))
    };
    assert!(warned(&f), "the key note is named in a warning");
    write(&f.vault.join("New.md"), "A new note.\n");
    f.apply(&["New.md"]);
    assert!(warned(&f), "still warned after a reindex");
    let config = Config::discover(&f.root).unwrap();
    let full = build_site(&config, &BuildOptions::default()).unwrap();
    let mut expected = full.report.diagnostics.clone();
    spore::diagnostics::sort(&mut expected);
    expected.dedup();
    expected.extend(full.report.unresolved.iter().map(|u| u.diagnostic()));
    assert_eq!(f.live.warnings(), expected);
}

/// Found by `serve_edits`: a template change and a rename saved together
/// left the renamed note's old page in the site (the template change
/// forgot which pages the site had, so none could leave it).
#[test]
fn template_change_and_rename_in_one_batch_drops_the_old_page() {
    let mut f = fixture(0);
    write(
        &f.root.join("templates/note.html"),
        "{% extends \"base.html\" %}{% block content %}<article class=\"custom\">{{ page.content | safe }}</article>{% endblock content %}",
    );
    fs::rename(f.vault.join("sub/Epsilon.md"), f.vault.join("sub/Zeta.md")).unwrap();
    let changes = Changes {
        vault: [f.vault.join("sub/Epsilon.md"), f.vault.join("sub/Zeta.md")]
            .into_iter()
            .collect(),
        theme: true,
        ..Changes::default()
    };
    f.live.apply(changes).unwrap();
    assert!(!f.live.site().files.contains_key("sub/Epsilon.html"));
    f.assert_same_as_full_build("template change and rename");
}

#[test]
fn broken_template_keeps_last_good_site_until_fixed() {
    let mut f = fixture(0);
    let before = f.live.site().clone();
    write(
        &f.root.join("templates/note.html"),
        "{% block content %}{{ unclosed",
    );
    let err = f
        .live
        .apply(Changes {
            theme: true,
            ..Changes::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("template"), "{err}");
    assert_sites_equal(f.live.site(), &before, "after template error");
    // A note saved meanwhile is not lost: it shows up once the template is fixed.
    write(
        &f.vault.join("Alpha.md"),
        "# Alpha\n\nSaved while the template was broken.\n",
    );
    assert!(f.apply_result(&["Alpha.md"]).is_err());
    fs::remove_file(f.root.join("templates/note.html")).unwrap();
    f.live
        .apply(Changes {
            theme: true,
            ..Changes::default()
        })
        .unwrap();
    f.assert_same_as_full_build("template fixed");
}

#[test]
fn invalid_book_toml_keeps_last_good_site_until_fixed() {
    let mut f = fixture(0);
    let before = f.live.site().clone();
    let book = f.root.join("book.toml");
    let good = fs::read_to_string(&book).unwrap();
    write(
        &book,
        "[book]\ntitle = \"Inc\"\nsrc = \"vault\"\ncolour = 3\n",
    );
    let config_changed = Changes {
        config: true,
        ..Changes::default()
    };
    let err = f.live.apply(config_changed.clone()).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    assert_sites_equal(f.live.site(), &before, "after config error");
    write(
        &book,
        &good.replace("title = \"Inc\"", "title = \"Renamed\""),
    );
    let s = f.live.apply(config_changed).unwrap();
    assert!(s.full);
    f.assert_same_as_full_build("config fixed");
}

impl Fixture {
    fn apply_result(
        &mut self,
        touched: &[&str],
    ) -> Result<spore::serve::incremental::RebuildSummary, spore::serve::incremental::RebuildError>
    {
        let changes = Changes {
            vault: touched.iter().map(|p| self.vault.join(p)).collect(),
            ..Changes::default()
        };
        self.live.apply(changes)
    }
}

/// The site-wide files `serve` keeps between saves (search index, feed,
/// sitemap, redirects, explorer tree, graph data, the seal files) follow
/// every kind of edit exactly as a full build makes them.
#[test]
fn site_wide_files_follow_edits() {
    let mirrors = "[mirrors]\nurls = [\"https://example.org/wiki/\", { url = \"https://m.example.net/\", priority = 2, location = \"de\" }]\n";
    let mut f = fixture_with(mirrors, |vault| {
        support::gen_vault::generate_vault(&vault.join("gen"), 150, 11).unwrap();
        write(
            &vault.join("Dated.md"),
            "---\ndate: 2024-01-02\naliases: [Old name]\npermalink: /old/dated/\n---\n# Dated\n\nUniqueword zyxwvut and [[Other]].\n",
        );
        write(&vault.join("Other.md"), "# Other\n\nPlain text.\n");
    });
    f.assert_same_as_full_build("start");
    let steps = [
        // Terms leave the index and new ones arrive; the excerpt changes.
        (
            "Dated.md",
            "---\ndate: 2024-01-02\naliases: [Old name]\npermalink: /old/dated/\n---\n# Dated\n\nBrandnewterm qqqxxy only.\n",
        ),
        // The date moves the note to the top of the feed and the sitemap.
        (
            "Other.md",
            "---\ndate: 2099-05-06\n---\n# Other\n\nNow the newest note.\n",
        ),
        // A title change renames it in the explorer, graph, feed, previews.
        (
            "Other.md",
            "---\ntitle: Other Title\ndate: 2099-05-06\n---\n# Other\n\nNow the newest note.\n",
        ),
        // Permalink and alias change: old redirects go, new ones come.
        (
            "Dated.md",
            "---\ndate: 2024-01-02\naliases: [Another name]\npermalink: /new/place.html\n---\n# Dated\n\nBrandnewterm again.\n",
        ),
        // A note emptied: it stays in the site with no text.
        ("Other.md", ""),
    ];
    for (rel, text) in steps {
        f.edit(rel, text);
        f.assert_same_as_full_build(&format!("edit of {rel}: {text:?}"));
    }
    assert!(f.live.site().files.contains_key("sitemap.xml"));
    assert!(f.live.site().files.contains_key("new/place.html"));
    assert!(!f.live.site().files.contains_key("old/dated/index.html"));
}

/// One edit a writer might make between two saves.
#[derive(Debug, Clone)]
enum Edit {
    /// Note `n`'s text: words, links, embeds and tags from a small pool.
    Body(usize, Vec<usize>),
    /// Note `n`'s frontmatter: title, date, alias, tag.
    Front(
        usize,
        Option<usize>,
        Option<u8>,
        Option<usize>,
        Option<usize>,
    ),
    Delete(usize),
}

const NOTES: usize = 8;

fn note_path(n: usize) -> String {
    if n < NOTES / 2 {
        format!("N{n}.md")
    } else {
        format!("sub/N{n}.md")
    }
}

fn word(w: usize) -> String {
    let pool = [
        "alpha",
        "beta",
        "Сеть",
        "模型",
        "unique",
        "zeta",
        "[[N1]]",
        "[[N2#Part]]",
        "![[N3]]",
        "![[N6#Part]]",
        "[[N7|seven]]",
        "#tag/a",
        "#tag/b",
        "#other",
        "==mark==",
        "[[Missing]]",
        "\n\n## Part\n\n",
        "\n\n> [!note] Box\n> inside\n\n",
        "^blk",
        "[[N0#^blk]]",
        "`code`",
        "\n\n```rust\nfn x() {}\n```\n\n",
        "%%hidden%%",
        "$x^2$",
        "\n\n## Head #htag\n\n",
        "\n\n> [!tip] Title #ctag\n> body #Tag/A\n\n",
        "^[note #ftag]",
        "\n\n| a | #ttag |\n|---|---|\n| #cell | x |\n\n",
        "#Other",
        "[[N4#Head #htag]]",
    ];
    pool[w % pool.len()].to_string()
}

fn write_edit(vault: &Path, edit: &Edit) -> String {
    match edit {
        Edit::Body(n, words) => {
            let text: Vec<String> = words.iter().map(|&w| word(w)).collect();
            let rel = note_path(*n);
            write(
                &vault.join(&rel),
                &format!("# N{n}\n\n{}\n", text.join(" ")),
            );
            rel
        }
        Edit::Front(n, title, day, alias, tag) => {
            let mut front = String::from("---\n");
            if let Some(t) = title {
                front.push_str(&format!("title: Title {t}\n"));
            }
            if let Some(d) = day {
                front.push_str(&format!("date: 2024-01-{:02}\n", d % 28 + 1));
            }
            if let Some(a) = alias {
                front.push_str(&format!("aliases: [Alias {a}]\n"));
            }
            if let Some(t) = tag {
                front.push_str(&format!("tags: [front{t}]\n"));
            }
            front.push_str("---\n");
            let rel = note_path(*n);
            write(
                &vault.join(&rel),
                &format!("{front}# N{n}\n\nText of N{n}, see [[N0]].\n"),
            );
            rel
        }
        Edit::Delete(n) => {
            let rel = note_path(*n);
            let _ = fs::remove_file(vault.join(&rel));
            rel
        }
    }
}

fn edit_strategy() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    let n = 0..NOTES;
    prop_oneof![
        4 => (n.clone(), proptest::collection::vec(0usize..48, 0..14))
            .prop_map(|(n, w)| Edit::Body(n, w)),
        2 => (
            n.clone(),
            proptest::option::of(0usize..3),
            proptest::option::of(any::<u8>()),
            proptest::option::of(0usize..3),
            proptest::option::of(0usize..3),
        )
            .prop_map(|(n, t, d, a, g)| Edit::Front(n, t, d, a, g)),
        1 => n.prop_map(Edit::Delete),
    ]
}

proptest::proptest! {
    // PROPTEST_CASES=N runs more by hand.
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..Default::default()
    })]

    /// Random sequences of saves (bodies, frontmatter, deletions, notes
    /// coming back) never leave a cached part stale: after each save the
    /// served site equals a full build, file for file.
    #[test]
    fn random_edit_sequences_stay_byte_identical(
        edits in proptest::collection::vec(edit_strategy(), 1..7)
    ) {
        let mut f = fixture_with("[mirrors]\nurls = [\"https://example.org/p/\"]\n", |vault| {
            for n in 0..NOTES {
                write_edit(vault, &Edit::Body(n, vec![n, n + 6, n + 11, 16, 18]));
            }
        });
        for (i, edit) in edits.iter().enumerate() {
            let rel = write_edit(&f.vault, edit);
            f.apply(&[rel.as_str()]);
            f.assert_same_as_full_build(&format!("step {i}: {edit:?}"));
        }
    }
}

// The preview never publishes what a build would not: a file replaced by a
// symbolic link out of the vault, or by something that is not a regular
// file, is refused by the one function that reads vault files.

const SECRET: &str = "SECRET-7f3a-outside-the-vault";

/// Every served byte, searched for `needle`: pages, search shards, feeds…
/// and attachments, read the way the preview streams them.
fn files_containing(site: &Site, needle: &str) -> Vec<String> {
    use std::io::Read;
    site.files
        .iter()
        .filter(|(_, file)| {
            let bytes = match file {
                spore::site::SiteFile::Made(bytes) => bytes.to_vec(),
                spore::site::SiteFile::Deferred(later) => later.bytes().to_vec(),
                spore::site::SiteFile::Vault(v) => {
                    let mut bytes = Vec::new();
                    if let Ok(mut opened) = spore::load::attachment::open(&v.source) {
                        let _ = opened.read_to_end(&mut bytes);
                    }
                    bytes
                }
            };
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .map(|(name, _)| name.clone())
        .collect()
}

fn has_warning(
    summary: &spore::serve::incremental::RebuildSummary,
    kind: spore::diagnostics::DiagnosticKind,
    file: &str,
) -> bool {
    summary
        .diagnostics
        .iter()
        .any(|d| d.kind == kind && d.file.as_deref() == Some(file))
}

/// A file outside the vault, beside the project, holding the secret.
fn outside_secret(f: &Fixture, name: &str) -> PathBuf {
    let path = f.root.join("outside").join(name);
    write(&path, &format!("# Leak\n\n{SECRET} [[Alpha]]\n"));
    path
}

#[cfg(unix)]
#[test]
fn note_replaced_by_a_symlink_out_of_the_vault_is_not_published() {
    use spore::diagnostics::DiagnosticKind;
    let mut f = fixture(0);
    let target = outside_secret(&f, "shadow.md");
    // `git checkout`, sync clients and unzip replace a file by a link.
    fs::remove_file(f.vault.join("Beta.md")).unwrap();
    std::os::unix::fs::symlink(&target, f.vault.join("Beta.md")).unwrap();
    let s = f.apply(&["Beta.md"]);
    assert!(
        files_containing(f.live.site(), SECRET).is_empty(),
        "leaked into {:?}",
        files_containing(f.live.site(), SECRET)
    );
    assert!(!f.live.site().files.contains_key("Beta.html"));
    assert!(has_warning(&s, DiagnosticKind::Symlink, "Beta.md"), "{s:?}");
    f.assert_same_as_full_build("note replaced by a link out");

    // The same for an attachment, and for a note not known before.
    fs::remove_file(f.vault.join("pic.png")).unwrap();
    std::os::unix::fs::symlink(&target, f.vault.join("pic.png")).unwrap();
    let s = f.apply(&["pic.png"]);
    assert!(files_containing(f.live.site(), SECRET).is_empty());
    assert!(has_warning(&s, DiagnosticKind::Symlink, "pic.png"), "{s:?}");
    std::os::unix::fs::symlink(&target, f.vault.join("New.md")).unwrap();
    f.apply(&["New.md"]);
    assert!(files_containing(f.live.site(), SECRET).is_empty());
    f.assert_same_as_full_build("attachment and new note linked out");
}

#[cfg(unix)]
#[test]
fn a_folder_replaced_by_a_symlink_out_of_the_vault_is_not_followed() {
    let mut f = fixture(0);
    outside_secret(&f, "Gamma.md");
    outside_secret(&f, "Epsilon.md");
    fs::remove_dir_all(f.vault.join("sub")).unwrap();
    std::os::unix::fs::symlink(f.root.join("outside"), f.vault.join("sub")).unwrap();
    // Only the files' events, as when the folder's own event was coalesced.
    f.apply(&["sub/Gamma.md"]);
    assert!(
        files_containing(f.live.site(), SECRET).is_empty(),
        "leaked into {:?}",
        files_containing(f.live.site(), SECRET)
    );
    f.apply(&["sub", "sub/Epsilon.md"]);
    assert!(files_containing(f.live.site(), SECRET).is_empty());
    f.assert_same_as_full_build("folder linked out");
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_file_inside_the_vault_is_still_published() {
    let mut f = fixture(0);
    fs::remove_file(f.vault.join("Pics.md")).unwrap();
    std::os::unix::fs::symlink(f.vault.join("sub/Epsilon.md"), f.vault.join("Pics.md")).unwrap();
    f.apply(&["Pics.md"]);
    let page =
        String::from_utf8_lossy(f.live.site().get("Pics.html").expect("Pics page")).into_owned();
    assert!(page.contains("Epsilon mentions"), "{page}");
    f.assert_same_as_full_build("link inside the vault");
}

/// Runs `work` on another thread; fails instead of hanging forever.
fn within<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} hangs"))
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_note_replaced_by_a_fifo_is_skipped_with_a_warning() {
    use spore::diagnostics::DiagnosticKind;
    let f = fixture(0);
    fs::remove_file(f.vault.join("sub/Epsilon.md")).unwrap();
    mkfifo(&f.vault.join("sub/Epsilon.md"));
    mkfifo(&f.vault.join("pipe.png"));
    let (f, s) = within("a rebuild over a FIFO", move || {
        let mut f = f;
        let s = f.apply(&["sub/Epsilon.md", "pipe.png"]);
        (f, s)
    });
    assert!(!f.live.site().files.contains_key("sub/Epsilon.html"));
    assert!(
        has_warning(&s, DiagnosticKind::NotAFile, "sub/Epsilon.md"),
        "{s:?}"
    );
    assert!(
        has_warning(&s, DiagnosticKind::NotAFile, "pipe.png"),
        "{s:?}"
    );
    within("a full build over a FIFO", move || {
        f.assert_same_as_full_build("note replaced by a FIFO")
    });
}

/// The embed budget holds in serve too: turning a chain of embeds into a
/// fan-out (each of five notes embedding the next a hundred times) rebuilds
/// quickly, and an edit at the bottom still reaches every page above it.
#[test]
fn embed_fan_out_stays_bounded_when_edited_live() {
    let mut f = fixture_with("", |vault| {
        for level in 0..5 {
            let body = if level == 4 {
                "bottom".to_string()
            } else {
                format!("level {level} ![[N{}]]\n", level + 1)
            };
            write(&vault.join(format!("N{level}.md")), &body);
        }
    });
    for level in 0..4 {
        f.edit(
            &format!("N{level}.md"),
            &format!(
                "level {level}\n\n{}",
                format!("![[N{}]]\n", level + 1).repeat(100)
            ),
        );
    }
    f.assert_same_as_full_build("fan-out");
    f.edit("N4.md", "changed bottom");
    f.assert_same_as_full_build("bottom edited");
    let page = f.live.site().get("N3.html").expect("N3 page");
    assert!(String::from_utf8_lossy(page).contains("changed bottom"));
}

/// The seal knows a file it sealed by the address of its bytes: the theme's
/// files (Mermaid's 3.5 MB among them) must reach it as the same bytes on
/// every save, not as a copy it hashes again.
#[test]
fn theme_files_keep_their_bytes_across_saves() {
    let mut f = fixture(5);
    f.edit(
        "sub/Epsilon.md",
        "Epsilon draws:\n\n```mermaid\ngraph TD; A-->B;\n```\n",
    );
    let theme = [
        "_spore/spore.css",
        "_spore/spore.js",
        "_spore/mermaid.min.js",
    ];
    let bytes = |f: &Fixture| -> Vec<spore::site::Bytes> {
        theme
            .iter()
            .map(|p| f.live.site().get(p).cloned().expect(p))
            .collect()
    };
    let before = bytes(&f);
    f.edit("Pics.md", "Picture: ![[pic.png]] edited\n");
    f.assert_same_as_full_build("a body edit");
    for ((path, old), new) in theme.iter().zip(&before).zip(bytes(&f)) {
        assert!(std::sync::Arc::ptr_eq(old, &new), "{path} sealed anew");
    }
}

/// `serve` edits the search index in place, making again only the term
/// shards a save touched: terms that arrive or leave, enough of them to
/// add and remove whole shards (every later shard is numbered anew), and
/// a term moving from the body to the title must all give the index a
/// full build makes.
#[test]
fn search_index_follows_terms_that_come_and_go() {
    let mut f = fixture(60);
    let shards = |f: &Fixture| {
        f.live
            .site()
            .files
            .keys()
            .filter(|p| p.starts_with("search/terms-"))
            .count()
    };
    let before = shards(&f);
    let found = |f: &Fixture, term: &str| {
        let files: std::collections::BTreeMap<String, Vec<u8>> = f
            .live
            .site()
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("search/"))
            .filter_map(|(p, file)| file.made().map(|b| (p.clone(), b.to_vec())))
            .collect();
        spore::emit::search::lookup_prefix(&files, term)
    };

    f.edit(
        "sub/Epsilon.md",
        "Epsilon mentions [[Second]] and qqzzyx.\n",
    );
    f.assert_same_as_full_build("a new term");
    assert_eq!(found(&f, "qqzzyx"), ["sub/Epsilon.html"]);

    // Thousands of new terms in one place of the term order: new shards
    // there, and every shard after them numbered anew.
    let many: Vec<String> = (0..6000).map(|i| format!("aa{i}q")).collect();
    f.edit("sub/Epsilon.md", &format!("Epsilon: {}\n", many.join(" ")));
    f.assert_same_as_full_build("thousands of terms in one place");
    assert!(shards(&f) > before + 2, "{} > {before} + 2", shards(&f));
    assert!(found(&f, "qqzzyx").is_empty(), "the old term left");
    assert_eq!(found(&f, &many[4321]), ["sub/Epsilon.html"]);

    // Thousands of terms all over the order instead.
    let many: Vec<String> = (0..6000)
        .map(|i| format!("{}{i}q", char::from(b'a' + (i % 26) as u8)))
        .collect();
    f.edit("sub/Epsilon.md", &format!("Epsilon: {}\n", many.join(" ")));
    f.assert_same_as_full_build("thousands of terms all over");
    assert_eq!(found(&f, &many[4321]), ["sub/Epsilon.html"]);

    // Half of them go: shards merge, the rest are numbered anew.
    let half: Vec<&str> = many.iter().step_by(2).map(String::as_str).collect();
    f.edit("sub/Epsilon.md", &format!("Epsilon: {}\n", half.join(" ")));
    f.assert_same_as_full_build("half the terms leave");
    assert!(found(&f, &many[4321]).is_empty());

    f.edit("sub/Epsilon.md", "Epsilon mentions qqzzyx.\n");
    f.assert_same_as_full_build("back to a few terms");
    f.edit(
        "sub/Epsilon.md",
        "---\ntitle: Qqzzyx\n---\nEpsilon mentions qqzzyx.\n",
    );
    f.assert_same_as_full_build("a term moves into the title");
    assert_eq!(shards(&f), before);
    assert_eq!(found(&f, "qqzzyx"), ["sub/Epsilon.html"]);
}

/// An edit that changes one note's words hands the seal every search file
/// it did not change as the same bytes (the seal knows files by the address
/// of their bytes): most term shards, every other preview shard, and
/// `meta.js` when the indexed text keeps its length.
#[test]
fn search_files_an_edit_did_not_change_keep_their_bytes() {
    let mut f = fixture(60);
    let search = |f: &Fixture| -> Vec<(String, spore::site::Bytes)> {
        f.live
            .site()
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("search/"))
            .filter_map(|(p, file)| file.made().map(|b| (p.clone(), b.clone())))
            .collect()
    };
    f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]] apple.\n");
    let before = search(&f);
    f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]] melon.\n");
    f.assert_same_as_full_build("one word for another as long");
    let after = search(&f);
    assert_eq!(before.len(), after.len());
    let mut same = 0;
    for ((path, old), (_, new)) in before.iter().zip(&after) {
        if old[..] == new[..] {
            assert!(std::sync::Arc::ptr_eq(old, new), "{path} made again");
            same += 1;
        }
    }
    assert!(same + 4 >= after.len(), "{same} of {} kept", after.len());
    assert!(before.iter().any(|(p, _)| p == "search/meta.js"));
}

/// Whether the served `path` is a redirect page (not a note's page).
fn is_redirect(f: &Fixture, path: &str) -> bool {
    f.live
        .site()
        .get(path)
        .is_some_and(|b| b.windows(10).any(|w| w == b"http-equiv"))
}

/// Moves a vault file, as an editor's rename does: both paths touched.
fn rename(f: &mut Fixture, from: &str, to: &str) {
    fs::rename(f.vault.join(from), f.vault.join(to)).unwrap();
    f.apply(&[from, to]);
}

/// `serve` keeps what redirects avoid (the site's names, folded) between
/// saves: a page taking a redirect's name, or giving it back, must move
/// the redirect though no alias changed, even when as many pages as before
/// remain (a rename); and which of two notes owns a shared alias follows
/// the one that lets go.
#[test]
fn redirects_follow_pages_that_take_or_give_back_their_names() {
    let mut f = fixture_with("", |vault| {
        support::gen_vault::generate_vault(&vault.join("gen"), 20, 3).unwrap();
        write(
            &vault.join("notes/A.md"),
            "---\naliases: [Target]\npermalink: /stuff/\n---\n# A\n\nA text.\n",
        );
        write(&vault.join("notes/B.md"), "# B\n\nB text.\n");
        write(&vault.join("stuff/X.md"), "# X\n\nX text.\n");
        write(&vault.join("notes/D.md"), "# D\n\nD text.\n");
    });
    f.assert_same_as_full_build("start");
    assert!(is_redirect(&f, "notes/Target.html"));
    assert!(!is_redirect(&f, "stuff/index.html"), "a folder page stays");

    rename(&mut f, "notes/B.md", "notes/Target.md");
    f.assert_same_as_full_build("a page takes the alias's name");
    assert!(!is_redirect(&f, "notes/Target.html"));

    f.edit("notes/D.md", "# D\n\nD text, edited.\n");
    f.assert_same_as_full_build("a body edit after");
    assert!(!is_redirect(&f, "notes/Target.html"));

    rename(&mut f, "notes/Target.md", "notes/C.md");
    f.assert_same_as_full_build("the page gives the name back");
    assert!(is_redirect(&f, "notes/Target.html"));

    rename(&mut f, "stuff/X.md", "X.md");
    f.assert_same_as_full_build("the permalink's folder goes");
    assert!(is_redirect(&f, "stuff/index.html"));

    // One batch: an alias added while another page takes its name.
    write(
        &f.vault.join("notes/A.md"),
        "---\naliases: [Target, Other]\npermalink: /stuff/\n---\n# A\n\nA text.\n",
    );
    fs::rename(f.vault.join("notes/C.md"), f.vault.join("notes/Other.md")).unwrap();
    f.apply(&["notes/A.md", "notes/C.md", "notes/Other.md"]);
    f.assert_same_as_full_build("alias added onto a renamed page");
    assert!(!is_redirect(&f, "notes/Other.html"));
    assert!(is_redirect(&f, "notes/Target.html"));

    // One batch: the page leaves the name as the alias goes.
    write(
        &f.vault.join("notes/A.md"),
        "---\naliases: [Target]\npermalink: /stuff/\n---\n# A\n\nA text.\n",
    );
    fs::rename(f.vault.join("notes/Other.md"), f.vault.join("notes/B.md")).unwrap();
    f.apply(&["notes/A.md", "notes/Other.md", "notes/B.md"]);
    f.assert_same_as_full_build("alias removed as the page leaves");
    assert!(!f.live.site().files.contains_key("notes/Other.html"));

    // Two notes want one alias: the first has it until it lets go.
    f.edit(
        "notes/D.md",
        "---\naliases: [Target]\n---\n# D\n\nD text.\n",
    );
    f.assert_same_as_full_build("a second note wants the alias");
    let to_a = |f: &Fixture| {
        f.live
            .site()
            .get("notes/Target.html")
            .is_some_and(|b| b.windows(7).any(|w| w == b"A.html\""))
    };
    assert!(to_a(&f));
    f.edit(
        "notes/A.md",
        "---\npermalink: /stuff/\n---\n# A\n\nA text.\n",
    );
    f.assert_same_as_full_build("the first lets go");
    assert!(is_redirect(&f, "notes/Target.html") && !to_a(&f));
}

/// A new tag brings a page that nothing but the sitemap's list of the
/// site's names says (the sitemap reads no tag): `serve`, which keeps the
/// sitemap while those names keep their stamp, must list it, and drop it
/// when the tag goes.
#[test]
fn sitemap_follows_a_page_that_only_a_tag_brings() {
    let mirrors = "[mirrors]\nurls = [\"https://example.org/wiki/\"]\n";
    let mut f = fixture_with(mirrors, |vault| {
        support::gen_vault::generate_vault(&vault.join("gen"), 10, 5).unwrap();
        write(&vault.join("Plain.md"), "# Plain\n\nNo tags.\n");
    });
    let listed = |f: &Fixture| {
        f.live
            .site()
            .get("sitemap.xml")
            .is_some_and(|b| b.windows(18).any(|w| w == b"tags/zzbrandnewtag"))
    };
    assert!(!listed(&f));
    f.edit("Plain.md", "# Plain\n\nNow tagged #zzbrandnewtag.\n");
    f.assert_same_as_full_build("a new tag");
    assert!(listed(&f));
    f.edit("Plain.md", "# Plain\n\nNo tags again.\n");
    f.assert_same_as_full_build("the tag goes");
    assert!(!listed(&f));
}

/// Whether the site ships Mermaid is kept with each note's text by
/// `serve`: it must follow the one note that draws a diagram, in and out.
#[test]
fn mermaid_scripts_follow_the_notes_that_draw_diagrams() {
    let mut f = fixture(10);
    let ships = |f: &Fixture| f.live.site().files.contains_key("_spore/mermaid.min.js");
    assert!(!ships(&f));
    f.edit(
        "sub/Epsilon.md",
        "Epsilon draws:\n\n```mermaid\ngraph TD; A-->B;\n```\n",
    );
    f.assert_same_as_full_build("a diagram");
    assert!(ships(&f));
    f.edit("Pics.md", "Picture: ![[pic.png]] edited\n");
    f.assert_same_as_full_build("another note edited");
    assert!(ships(&f));
    f.edit("sub/Epsilon.md", "Epsilon mentions [[Second]].\n");
    f.assert_same_as_full_build("the diagram goes");
    assert!(!ships(&f));
}

/// The explorer tree and the redirect pages read a note's title and path,
/// not its whole card (a date or description edit leaves them be): a
/// title change must still reach both.
#[test]
fn tree_and_redirects_follow_a_title_but_not_a_date() {
    let mut f = fixture_with("", |vault| {
        support::gen_vault::generate_vault(&vault.join("gen"), 10, 9).unwrap();
        write(
            &vault.join("notes/A.md"),
            "---\naliases: [Elsewhere]\n---\n# A\n\nA text.\n",
        );
    });
    let shows = |f: &Fixture, path: &str, text: &str| {
        f.live
            .site()
            .get(path)
            .is_some_and(|b| b.windows(text.len()).any(|w| w == text.as_bytes()))
    };
    f.edit(
        "notes/A.md",
        "---\naliases: [Elsewhere]\ndate: 2024-03-04\ndescription: About A\n---\n# A\n\nA text.\n",
    );
    f.assert_same_as_full_build("a date and a description");
    f.edit(
        "notes/A.md",
        "---\ntitle: Zebra Title\naliases: [Elsewhere]\ndate: 2024-03-04\n---\n# A\n\nA text.\n",
    );
    f.assert_same_as_full_build("a title");
    assert!(shows(&f, "notes/Elsewhere.html", "Zebra Title"));
    assert!(shows(&f, "_spore/tree.js", "Zebra Title"));
}
