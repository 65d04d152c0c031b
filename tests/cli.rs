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
