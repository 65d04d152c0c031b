//! Warnings as `spore build` prints them: each with file:line:column,
//! one block per diagnostic, a summary by kind, and `--format json`.

use std::path::Path;
use std::process::{Command, Output};

fn spore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spore"))
}

/// A vault whose places are known: `a.md` starts with a BOM, has CRLF line
/// ends and three lines of frontmatter, and puts `[[Nope]]` on file line 5
/// after eight characters that are twelve bytes (`à` and `→`).
fn vault(dir: &Path) {
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).expect("mkdir");
    std::fs::write(
        notes.join("a.md"),
        "\u{feff}---\r\ntitle: A\r\n---\r\n\r\nVoilà → [[Nope]] and [[b#Missing]]\r\n![[b]]\r\n",
    )
    .expect("write a");
    std::fs::write(notes.join("b.md"), "B ![[a]]\n").expect("write b");
    let mut many = String::new();
    for i in 0..12 {
        many.push_str(&format!("x [[gone{i}]]\n"));
    }
    std::fs::write(notes.join("c.md"), many).expect("write c");
}

fn build(dir: &Path, extra: &[&str]) -> Output {
    let out = spore()
        .arg("build")
        .arg(dir.join("notes"))
        .arg("--out")
        .arg(dir.join("site"))
        .args(extra)
        .output()
        .expect("run spore");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn text_output_names_line_and_column_one_block_each() {
    let tmp = tempfile::tempdir().expect("tempdir");
    vault(tmp.path());
    let out = build(tmp.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let block = |message: &str, at: &str| {
        let i = lines
            .iter()
            .position(|l| *l == message)
            .unwrap_or_else(|| panic!("no {message:?} in\n{stderr}"));
        assert_eq!(lines.get(i + 1), Some(&at), "{stderr}");
    };
    block("warning: unresolved link [[Nope]]", "  --> a.md:5:9");
    block(
        "warning: link to heading \"Missing\" in b.md: no such heading; linking to the note",
        "  --> a.md:5:22",
    );
    block(
        "warning: embed cycle: b.md embeds itself again; stopped",
        "  --> a.md:6:1",
    );
    block(
        "warning: embed cycle: a.md embeds itself again; stopped",
        "  --> b.md:1:3",
    );
    block("warning: unresolved link [[gone0]]", "  --> c.md:1:3");
    // Thirteen unresolved links: ten shown, then how many more.
    let shown = lines
        .iter()
        .filter(|l| l.starts_with("warning: unresolved link [["))
        .count();
    assert_eq!(shown, 10, "{stderr}");
    assert!(
        lines.contains(&"… and 3 more unresolved links (--verbose lists all)"),
        "{stderr}"
    );
    assert_eq!(
        lines.last(),
        Some(&"warning: 13 unresolved links, 1 missing heading or block, 2 embed cycles"),
        "{stderr}"
    );
    // No line carries a list of links any more.
    assert!(lines.iter().all(|l| l.chars().count() < 200), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Built 3 notes → ") && stdout.contains(" 13 unresolved, 3 warnings,"),
        "{stdout}"
    );

    let verbose = build(tmp.path(), &["--verbose"]);
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("warning: unresolved link [["))
            .count(),
        13,
        "{stderr}"
    );
    assert!(!stderr.contains("more unresolved"), "{stderr}");
}

#[test]
fn json_lines_on_stdout_one_per_diagnostic_then_the_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    vault(tmp.path());
    let out = build(tmp.path(), &["--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let (summary, diagnostics) = values.split_last().expect("a summary line");
    assert_eq!(diagnostics.len(), 16, "{stdout}");
    assert!(diagnostics.iter().all(|d| d["type"] == "diagnostic"
        && d["severity"] == "warning"
        && d["file"].is_string()
        && d["line"].is_u64()
        && d["column"].is_u64()));
    let find = |kind: &str, message: &str| {
        diagnostics
            .iter()
            .find(|d| d["kind"] == kind && d["message"] == message)
            .unwrap_or_else(|| panic!("no {kind} {message:?} in {stdout}"))
    };
    let nope = find("unresolved_link", "unresolved link [[Nope]]");
    assert_eq!(
        (&nope["file"], &nope["line"], &nope["column"]),
        (
            &serde_json::json!("a.md"),
            &serde_json::json!(5),
            &serde_json::json!(9)
        )
    );
    let cycle = find(
        "embed_cycle",
        "embed cycle: a.md embeds itself again; stopped",
    );
    assert_eq!(
        (&cycle["file"], &cycle["line"]),
        (&"b.md".into(), &1.into())
    );
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["notes"], 3);
    assert_eq!(summary["unresolved"], 13);
    assert_eq!(summary["warnings"], 3);
    assert_eq!(
        summary["by_kind"],
        serde_json::json!({"unresolved_link": 13, "missing_heading": 1, "embed_cycle": 2})
    );
    // Nothing meant for a person on stdout; the build line goes to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Built 3 notes"), "{stderr}");
    assert!(!stderr.contains("--> "), "{stderr}");
}

#[test]
fn frontmatter_and_comment_places_are_named_as_in_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let notes = tmp.path().join("notes");
    std::fs::create_dir_all(&notes).expect("mkdir");
    std::fs::write(notes.join("y.md"), "---\ntitle: x\n  bad: [1\n---\nhi\n").expect("write");
    std::fs::write(
        notes.join("z.md"),
        "---\ntitle: x\n  Draft: true\n---\nhi\n",
    )
    .expect("write");
    std::fs::write(notes.join("w.md"), "one\ntwo %% never closed\n").expect("write");
    // A comment is cut before anything parses the note; its lines and
    // characters still count.
    std::fs::write(
        notes.join("k.md"),
        "---\nt: 1\n---\n%%one\ntwo%% é [[Lost]]\n",
    )
    .expect("write");
    let out = build(tmp.path(), &["--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let at: Vec<(String, u64, u64)> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|v| v["type"] == "diagnostic")
        .map(|v| {
            (
                v["file"].as_str().unwrap_or_default().to_string(),
                v["line"].as_u64().unwrap_or(0),
                v["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(at.contains(&("y.md".into(), 3, 6)), "{stdout}");
    assert!(at.contains(&("w.md".into(), 2, 5)), "{stdout}");
    assert!(at.contains(&("k.md".into(), 5, 9)), "{stdout}");
    assert!(
        at.iter().any(|(f, l, _)| f == "z.md" && *l >= 2),
        "{stdout}"
    );
}
