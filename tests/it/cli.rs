//! The `spore` binary as a user runs it: exit codes and `init`.

use std::process::Command;

fn spore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spore"))
}

#[test]
fn version_help_and_usage_errors() {
    let v = spore().arg("--version").output().expect("run");
    assert_eq!(v.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
    assert_eq!(
        spore().arg("--help").output().expect("run").status.code(),
        Some(0)
    );
    assert_eq!(
        spore()
            .arg("--no-such-flag")
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        spore()
            .args(["build", "--out"])
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn init_then_build_then_failure_exit_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("wiki");
    let init = spore().arg("init").arg(&project).output().expect("run");
    assert_eq!(
        init.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(project.join("book.toml").is_file());
    assert!(project.join("content/index.md").is_file());
    let again = spore().arg("init").arg(&project).output().expect("run");
    assert_eq!(again.status.code(), Some(1), "init refuses to overwrite");

    let build = spore().arg("build").arg(&project).output().expect("run");
    assert_eq!(
        build.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert!(project.join("site/index.html").is_file());
    let summary = String::from_utf8_lossy(&build.stdout);
    assert!(
        summary.contains("1 notes") || summary.contains("1 note"),
        "{summary}"
    );
    assert!(
        String::from_utf8_lossy(&build.stderr).contains("unresolved"),
        "the welcome note links to a missing note"
    );

    let quiet = spore()
        .args(["build", "--quiet"])
        .arg(&project)
        .output()
        .expect("run");
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());

    std::fs::write(project.join("book.toml"), "[book]\ncolour = 1\n").expect("write");
    let bad = spore().arg("build").arg(&project).output().expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("colour") && err.contains("line 2"), "{err}");
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("v");
    std::fs::create_dir_all(&vault).expect("mkdir");
    std::fs::write(vault.join("A.md"), "a").expect("write");
    let mut child = spore()
        .arg("build")
        .arg(&vault)
        .arg("--out")
        .arg(tmp.path().join("site"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(0),
        "`spore build | head` must not panic"
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(unix)]
#[test]
fn keygen_never_writes_through_a_symlink() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let tmp = tempfile::tempdir().expect("tempdir");
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys).expect("mkdir");
    let elsewhere = tmp.path().join("elsewhere.key");
    symlink(&elsewhere, keys.join("spore.key")).expect("symlink");
    for force in [false, true] {
        let mut cmd = spore();
        cmd.args(["keygen", "--out"]).arg(&keys);
        if force {
            cmd.arg("--force");
        }
        let run = cmd.output().expect("run");
        assert_eq!(run.status.code(), Some(1), "force: {force}");
        assert!(
            text(&run.stderr).contains("symlink"),
            "{}",
            text(&run.stderr)
        );
        assert!(!elsewhere.exists(), "the secret key went through the link");
        assert!(!keys.join("spore.pub").exists(), "nothing is written");
    }
    // A real existing key is kept without --force, replaced with it (0600).
    std::fs::remove_file(keys.join("spore.key")).expect("rm");
    let first = spore()
        .args(["keygen", "--out"])
        .arg(&keys)
        .output()
        .expect("run");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let before = std::fs::read(keys.join("spore.key")).expect("key");
    let again = spore()
        .args(["keygen", "--out"])
        .arg(&keys)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read(keys.join("spore.key")).expect("key"), before);
    let forced = spore()
        .args(["keygen", "--force", "--out"])
        .arg(&keys)
        .output()
        .expect("run");
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_ne!(std::fs::read(keys.join("spore.key")).expect("key"), before);
    let mode = std::fs::metadata(keys.join("spore.key"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut left: Vec<String> = std::fs::read_dir(&keys)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["spore.key", "spore.pub"]);
}

#[cfg(unix)]
#[test]
fn init_never_follows_a_book_toml_link_and_says_what_it_kept() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("wiki");
    std::fs::create_dir_all(&project).expect("mkdir");
    let elsewhere = tmp.path().join("elsewhere.toml");
    std::os::unix::fs::symlink(&elsewhere, project.join("book.toml")).expect("symlink");
    let run = spore().arg("init").arg(&project).output().expect("run");
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("symlink"),
        "{}",
        text(&run.stderr)
    );
    assert!(!elsewhere.exists(), "init wrote through the link");
    assert!(!project.join("content").exists(), "nothing is created");

    // An existing home note is kept, and init says so.
    std::fs::remove_file(project.join("book.toml")).expect("rm");
    std::fs::create_dir_all(project.join("content")).expect("mkdir");
    std::fs::write(project.join("content/index.md"), "# Mine\n").expect("write");
    let run = spore().arg("init").arg(&project).output().expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Created ") && l.ends_with("book.toml")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Kept ") && l.ends_with("index.md")),
        "{out}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("Created") && l.contains("index.md")),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("content/index.md")).expect("kept"),
        "# Mine\n"
    );
}

#[test]
fn name_clashes_are_warned_once_each_and_no_two_pages_share_a_source() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("vault");
    let files: &[(&str, &str)] = &[
        ("Case.md", "upper"),
        ("case.md", "lower"),
        ("a?b.md", "question"),
        ("a-b.md", "dash"),
        ("tags/x.md", "in a folder named like Spore's tags"),
        ("caf\u{e9}.md", "composed"),
        ("cafe\u{301}.md", "decomposed"),
        (
            "index.md",
            "[[Case]] [[case]] [[a?b]] [[a-b]] [[x]] [[caf\u{e9}]]",
        ),
        ("sub/index.md", "lower-case folder note"),
        ("sub/index.MD", "upper-case folder note"),
    ];
    for (path, body) in files {
        let full = vault.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, body).expect("write");
    }
    let site = tmp.path().join("site");
    let run = spore()
        .arg("build")
        .arg(&vault)
        .arg("--out")
        .arg(&site)
        .arg("--verbose")
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    // Each warning is a block: the message, then `  --> file` naming the
    // file it is about.
    let mut blocks: Vec<String> = Vec::new();
    for line in stderr.lines() {
        match blocks.last_mut() {
            Some(block) if line.starts_with("  --> ") => {
                block.push('\n');
                block.push_str(line);
            }
            _ => blocks.push(line.to_string()),
        }
    }
    let clashes: Vec<&str> = blocks
        .iter()
        .map(String::as_str)
        .filter(|b| b.starts_with("warning:") && b.contains("clash"))
        .collect();
    let normalised: Vec<&str> = blocks
        .iter()
        .map(String::as_str)
        .filter(|b| b.starts_with("warning:") && b.contains("normalised"))
        .collect();
    // One warning per clash, naming both sides.
    let names_both = |a: &str, b: &str| {
        clashes
            .iter()
            .filter(|l| l.contains(a) && l.contains(b))
            .count()
    };
    assert_eq!(clashes.len(), 4, "{stderr}");
    assert_eq!(names_both("sub/index.MD", "sub/index.md"), 1, "{stderr}");
    assert_eq!(names_both("case.md", "Case.md"), 1, "{stderr}");
    assert_eq!(names_both("a?b.md", "a-b.md"), 1, "{stderr}");
    assert_eq!(names_both("tags", "Spore"), 1, "{stderr}");
    assert_eq!(normalised.len(), 1, "{stderr}");
    assert!(normalised[0].contains("caf\u{e9}.md"), "{stderr}");

    let manifest: serde_json::Value =
        serde_json::to_value(crate::support::sealed::manifest_of(&site)).expect("json");
    let mut sources: Vec<&str> = manifest["files"]
        .as_object()
        .expect("files")
        .values()
        .filter_map(|f| f["source"].as_str())
        .collect();
    sources.sort();
    let count = sources.len();
    sources.dedup();
    assert_eq!(
        count,
        sources.len(),
        "two outputs claim one source: {manifest}"
    );
    assert_eq!(sources.len(), 9, "{sources:?}");
    // The first in path order (`index.MD`) is the folder's page; the
    // other gets a page of its own.
    let text_of = |page: &str| -> String {
        let html = std::fs::read_to_string(site.join(page)).expect(page);
        scraper::Html::parse_document(&html)
            .root_element()
            .text()
            .collect()
    };
    let folder_page = text_of("sub/index.html");
    assert!(
        folder_page.contains("upper-case folder note"),
        "{folder_page}"
    );
    assert!(!folder_page.contains("lower-case"), "{folder_page}");
    assert!(text_of("sub/index-2.html").contains("lower-case folder note"));
}
