//! Rebuilding over a previous site: files that did not change are taken
//! over from it (hard links, no new file), everything else is written anew,
//! and the result is byte for byte what a build into an empty folder gives.

use crate::support;

use spore::config::Config;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::fixture::write_vault;

fn config(vault: &Path, out: PathBuf) -> Config {
    let mut config = Config::zero_config(vault).expect("config");
    config.output = out;
    config
}

fn build(config: &Config) -> spore::pipeline::BuildReport {
    build_at(config, 1_700_000_000)
}

/// A build with the vault's version given (a changed vault has a newer one).
fn build_at(config: &Config, version: i64) -> spore::pipeline::BuildReport {
    let options = spore::BuildOptions {
        source_date_epoch: Some(version),
        ..Default::default()
    };
    spore::build(config, &options).expect("build")
}

/// Every file under `dir` (relative path → bytes), hidden files included.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("ls").flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("type");
            assert!(!kind.is_symlink(), "symlink in the site: {path:?}");
            if kind.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("inside");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn siblings(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_rebuild_keeps_unchanged_files_and_matches_a_fresh_build() {
    let (tmp, vault) = write_vault(&[
        ("A.md", b"# A\nplain text, links nowhere\n"),
        ("B.md", b"# B\nfirst version\n"),
        ("sub/C.md", b"# C\nalso unchanged\n"),
    ]);
    let out = config(&vault, tmp.path().join("site"));
    let first = build(&out);
    assert_eq!(first.write.reused, 0, "nothing to reuse the first time");
    assert_eq!(first.write.written, tree(&out.output).len());
    #[cfg(unix)]
    let inode = |p: &str| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(out.output.join(p)).expect("meta").ino()
    };
    #[cfg(unix)]
    let before = inode("_spore/spore.css");

    std::fs::write(vault.join("B.md"), "# B\nsecond, longer version\n").expect("edit");
    // Changed content gets a newer version (a build never reuses one for
    // different content: the same version would have been raised).
    let second = build_at(&out, 1_700_000_060);
    let files = tree(&out.output);
    assert_eq!(second.write.reused + second.write.written, files.len());
    assert!(
        second.write.reused > 0 && second.write.written > 0,
        "{:?}",
        second.write
    );
    assert!(String::from_utf8_lossy(&files["B.html"]).contains("second, longer version"));
    #[cfg(unix)]
    assert_eq!(before, inode("_spore/spore.css"), "the theme was rewritten");

    // The same vault built into an empty folder gives the same bytes.
    let fresh = config(&vault, tmp.path().join("fresh"));
    build_at(&fresh, 1_700_000_060);
    assert_eq!(files, tree(&fresh.output));
    let left = siblings(tmp.path());
    assert!(
        left.iter()
            .all(|s| !s.contains("spore-tmp") && !s.contains("spore-old")),
        "{left:?}"
    );
}

#[test]
fn files_edited_or_replaced_in_the_output_are_written_again() {
    let (tmp, vault) = write_vault(&[("A.md", b"# A\ntext\n"), ("B.md", b"# B\ntext\n")]);
    let out = config(&vault, tmp.path().join("site"));
    build(&out);
    let expected = tree(&out.output);

    // Same length, different bytes: only reading the file tells.
    let a = out.output.join("A.html");
    let mut edited = std::fs::read(&a).expect("read");
    edited[0] ^= 0x20;
    std::fs::write(&a, &edited).expect("edit");
    // Shorter.
    std::fs::write(out.output.join("B.html"), "hand edit").expect("edit");
    // Right bytes, but through a symlink: the site holds only real files.
    let css = out.output.join("_spore/spore.css");
    let outside = tmp.path().join("outside.css");
    std::fs::rename(&css, &outside).expect("move");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, &css).expect("symlink");

    let report = build(&out);
    assert!(report.write.written >= 3, "{:?}", report.write);
    assert_eq!(tree(&out.output), expected);
    assert!(outside.is_file(), "a file outside the site was deleted");
}

#[test]
fn a_failed_write_leaves_the_previous_site_as_it_was() {
    let (tmp, vault) = write_vault(&[("A.md", b"# A\ntext\n")]);
    let out = config(&vault, tmp.path().join("site"));
    build(&out);
    let before = tree(&out.output);

    // A site that fails half way through writing: `A.html` is both a page
    // and a folder, so one of them cannot be created, while the other files
    // are being taken over from the previous site.
    let built = spore::pipeline::build_site(
        &out,
        &spore::BuildOptions {
            source_date_epoch: Some(1_700_000_000),
            ..Default::default()
        },
    )
    .expect("build");
    let mut broken = built.site.clone();
    broken.insert("A.html/inner.html", b"x".to_vec());
    let err = spore::write::write_atomically(&broken, &vault, &out.output).expect_err("fails");
    assert!(err.to_string().contains("A.html"), "{err}");
    assert_eq!(tree(&out.output), before);
    let left = siblings(tmp.path());
    assert!(left.iter().all(|s| !s.contains("spore-tmp")), "{left:?}");
}

/// Names in `dir`, sorted.
fn sorted_siblings(dir: &Path) -> Vec<String> {
    let mut names = siblings(dir);
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_folder_stays_a_link_and_the_folder_it_names_is_rebuilt() {
    let (tmp, vault) = write_vault(&[("A.md", b"# A\n"), ("B.md", b"# B\n")]);
    let www = tmp.path().join("www");
    std::fs::create_dir_all(&www).expect("mkdir");
    let web_root = www.join("html");
    build(&config(&vault, web_root.clone()));
    let link = tmp.path().join("site");
    std::os::unix::fs::symlink(&web_root, &link).expect("symlink");

    std::fs::remove_file(vault.join("B.md")).expect("rm");
    let out = config(&vault, link.clone());
    build(&out);

    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the link became a folder");
    assert_eq!(std::fs::read_link(&link).expect("read link"), web_root);
    let files = tree(&web_root);
    assert!(files.contains_key("A.html"), "{:?}", files.keys());
    assert!(
        !files.contains_key("B.html"),
        "the old site was not replaced"
    );
    assert!(files.contains_key(".spore-output"));
    assert_eq!(sorted_siblings(&www), ["html"]);
    assert_eq!(sorted_siblings(tmp.path()), ["site", "vault", "www"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_folder_spore_did_not_write_is_refused_untouched() {
    let (tmp, vault) = write_vault(&[("A.md", b"# A\n")]);
    let web_root = tmp.path().join("html");
    std::fs::create_dir_all(&web_root).expect("mkdir");
    std::fs::write(web_root.join("index.html"), "someone else's site").expect("write");
    let link = tmp.path().join("site");
    std::os::unix::fs::symlink(&web_root, &link).expect("symlink");
    let out = config(&vault, link.clone());
    let err = spore::build(&out, &spore::BuildOptions::default()).expect_err("refused");
    assert!(err.to_string().contains("not created by Spore"), "{err}");
    assert_eq!(
        std::fs::read_to_string(web_root.join("index.html")).expect("kept"),
        "someone else's site"
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert_eq!(sorted_siblings(tmp.path()), ["html", "site", "vault"]);
}

/// A process id no running process has (above Linux's largest pid_max).
const DEAD_PID: u32 = 4_194_305;

#[test]
fn leftovers_of_an_interrupted_build_are_removed_by_the_next_build() {
    let (tmp, vault) = write_vault(&[("A.md", b"# A\n")]);
    let out = config(&vault, tmp.path().join("site"));
    build(&out);
    // What a build killed mid-way leaves: its staging folder (marker first)
    // and the previous site moved aside.
    let leftover = |name: String, marker: bool| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(dir.join("notes")).expect("mkdir");
        std::fs::write(dir.join("notes/old.html"), "a full old copy").expect("write");
        if marker {
            std::fs::write(dir.join(".spore-output"), "marker").expect("write");
        }
        dir
    };
    let staging = leftover(format!(".site.spore-tmp-{DEAD_PID}"), true);
    let retired = leftover(format!(".site.spore-old-{DEAD_PID}"), true);
    let unmarked = leftover(format!(".site.spore-old-{}", DEAD_PID + 1), false);
    let mut kept = vec![".site.spore-old-4194306".to_string()];
    #[cfg(unix)]
    {
        let precious = leftover("precious".into(), true);
        let link = tmp.path().join(format!(".site.spore-tmp-{}", DEAD_PID + 2));
        std::os::unix::fs::symlink(&precious, &link).expect("symlink");
        kept.push(".site.spore-tmp-4194307".into());
        kept.push("precious".into());
    }

    build(&out);

    assert!(!staging.exists() && !retired.exists());
    assert!(unmarked.join("notes/old.html").is_file());
    kept.extend(["site".to_string(), "vault".to_string()]);
    kept.sort();
    assert_eq!(sorted_siblings(tmp.path()), kept);
    #[cfg(unix)]
    assert!(tmp.path().join("precious/notes/old.html").is_file());
}
