//! Progress: what the build reports through `spore::progress` (counted
//! against what it built), and what the `spore` binary shows of it: bars
//! on a terminal, nothing on a pipe unless `--progress` asks for lines.

use crate::support::gen_vault::generate_vault;
use spore::progress::{Progress, ProgressSink, Stage};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Every call the build made, in order (items counted per stage).
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Stage(Stage, Option<u64>),
    Items(Stage, u64),
}

impl ProgressSink for Recorder {
    fn stage(&self, stage: Stage, total: Option<u64>) {
        self.calls.lock().unwrap().push(Call::Stage(stage, total));
    }

    fn item(&self) {
        let mut calls = self.calls.lock().unwrap();
        let stage = calls
            .iter()
            .rev()
            .find_map(|c| match c {
                Call::Stage(s, _) => Some(*s),
                Call::Items(..) => None,
            })
            .expect("an item reported before any stage");
        match calls.last_mut() {
            Some(Call::Items(s, n)) if *s == stage => *n += 1,
            _ => calls.push(Call::Items(stage, 1)),
        }
    }
}

fn vault(notes: usize) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    generate_vault(&vault, notes, 7).unwrap();
    (tmp, vault)
}

/// Files of the built site, by path relative to `dir`.
fn files_under(dir: &Path) -> Vec<String> {
    crate::support::fixture::list_files(dir)
}

#[test]
fn the_build_reports_every_stage_and_every_note_and_file() {
    let (tmp, vault) = vault(60);
    let mut config = spore::config::Config::zero_config(&vault).unwrap();
    config.output = tmp.path().join("site");
    let recorder = Arc::new(Recorder::default());
    let options = spore::BuildOptions {
        source_date_epoch: Some(1_700_000_000),
        progress: Progress::new(recorder.clone()),
        ..Default::default()
    };
    let report = spore::build(&config, &options).unwrap();
    let calls = recorder.calls.lock().unwrap().clone();

    // Each stage once and in order (seal and write twice in a row: first
    // without a total, then with it).
    let mut order: Vec<Stage> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Stage(s, _) => Some(*s),
            Call::Items(..) => None,
        })
        .collect();
    order.dedup();
    use Stage::*;
    // `spore build` renders each note where its page is made: render is
    // part of emit (the pages are counted there).
    assert_eq!(order, [Theme, Load, Index, Emit, Seal, Write]);

    // The counting stages: the last total announced, and how many items
    // came after it.
    let counted = |stage: Stage| -> (Option<u64>, u64) {
        let at = calls
            .iter()
            .rposition(|c| matches!(c, Call::Stage(s, _) if *s == stage))
            .unwrap();
        let Call::Stage(_, total) = calls[at] else {
            unreachable!()
        };
        let items = calls[at + 1..]
            .iter()
            .map(|c| match c {
                Call::Items(s, n) if *s == stage => *n,
                _ => 0,
            })
            .sum();
        (total, items)
    };
    // (A generated vault has a draft or two, not published.)
    assert!(report.notes > 50, "{}", report.notes);
    // Emitted: every page, each sealed and written as it is made.
    let pages = spore::emit::page_list(&index_of(&config)).len() as u64;
    assert_eq!(counted(Emit), (Some(pages), pages));
    // Sealed (and written) after the pages: every other file but the
    // integrity files the seal makes from all of them (verify.js and the
    // output marker are sealed like any file).
    let site = files_under(&config.output);
    let added = site
        .iter()
        .filter(|p| p.starts_with("integrity/") && *p != "integrity/verify.js")
        .count();
    let rest = (report.files - added) as u64 - pages;
    assert!(rest > 0);
    assert_eq!(counted(Seal), (Some(rest), rest));
    // Every file of the site is written, the marker among them.
    assert_eq!(site.len(), report.files, "{site:?}");
    // The stages that do not count report no items.
    for stage in [Theme, Load, Index, Write] {
        assert_eq!(counted(stage), (None, 0), "{stage:?}");
    }
}

/// The index of the vault `config` names, as the build makes it.
fn index_of(config: &spore::config::Config) -> spore::index::VaultIndex {
    spore::pipeline::index_stages(config, &spore::BuildOptions::default())
        .expect("index")
        .index
}

fn spore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spore"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a progress bar draws: escape sequences, carriage returns, the
/// bar's own words.
fn bar_marks(stderr: &str) -> Vec<&'static str> {
    ["\x1b", "\r", "building ", "[=", "notes,", "files,"]
        .into_iter()
        .filter(|m| stderr.contains(m))
        .collect()
}

#[test]
fn a_build_into_a_pipe_shows_no_progress_unless_asked() {
    let (tmp, vault) = vault(30);
    let out = tmp.path().join("site");
    let build = |extra: &[&str]| {
        let run = spore()
            .arg("build")
            .arg(&vault)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        (text(&run.stdout), text(&run.stderr))
    };
    let (stdout, stderr) = build(&[]);
    assert!(stdout.contains("Built "), "{stdout}");
    assert_eq!(bar_marks(&stderr), Vec::<&str>::new(), "{stderr}");
    assert_eq!(bar_marks(&stdout), Vec::<&str>::new(), "{stdout}");

    // --progress into a pipe: plain lines on stderr, one per stage at
    // least, never an escape sequence; stdout is as before.
    let (stdout, stderr) = build(&["--progress"]);
    assert!(stdout.contains("Built "), "{stdout}");
    assert!(!stdout.contains("building "), "{stdout}");
    for stage in ["theme", "load", "index", "emit"] {
        assert!(
            stderr.lines().any(|l| {
                l.starts_with(&format!("building {stage} ("))
                    || l.starts_with(&format!("building {stage} 0/"))
            }),
            "{stage}:\n{stderr}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("building emit 0/") && l.contains(" pages (")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("building seal 0/") && l.contains(" files (")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.starts_with("building write (")),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\r'),
        "{stderr:?}"
    );

    // JSON on stdout stays JSON, with or without --progress.
    let (stdout, _) = build(&["--format", "json", "--progress"]);
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let both = spore()
        .args(["build", "--progress", "--no-progress"])
        .arg(&vault)
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));
}

/// `spore verify` into a pipe: no progress (but with `--progress`,
/// `tests/it/verify_hostile.rs` checks its lines).
#[test]
fn a_verify_into_a_pipe_shows_no_progress() {
    let (tmp, vault) = vault(10);
    let out = tmp.path().join("site");
    let build = spore()
        .arg("build")
        .arg(&vault)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    let run = spore().arg("verify").arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    assert!(
        text(&run.stdout).contains("CURRENT"),
        "{}",
        text(&run.stdout)
    );
    let stderr = text(&run.stderr);
    assert_eq!(bar_marks(&stderr), Vec::<&str>::new(), "{stderr}");
    assert!(!stderr.contains(" files, "), "{stderr}");
}

/// Runs `args` under a pseudo-terminal (util-linux `script`), returning
/// what the terminal received.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&Path]) -> String {
    on_a_terminal_named("xterm", args)
}

/// [`on_a_terminal`], with `TERM` set to `term`.
#[cfg(target_os = "linux")]
fn on_a_terminal_named(term: &str, args: &[&Path]) -> String {
    let line: Vec<String> = std::iter::once(Path::new(env!("CARGO_BIN_EXE_spore")))
        .chain(args.iter().copied())
        .map(|a| {
            // Quoted for `sh -c`: a temporary folder has no quote in it.
            let a = a.to_str().expect("a UTF-8 path");
            assert!(!a.contains('\''), "{a}");
            format!("'{a}'")
        })
        .collect();
    let run = Command::new("script")
        .args(["--quiet", "--return", "--command"])
        .arg(line.join(" "))
        .arg("/dev/null")
        .env("TERM", term)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs commands under a pseudo-terminal");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    text(&run.stdout)
}

/// On a terminal the bar is drawn, on stderr (the terminal shows both
/// streams), and cleared before the summary is printed.
#[cfg(target_os = "linux")]
#[test]
fn a_build_on_a_terminal_draws_progress_and_clears_it() {
    let (tmp, vault) = vault(30);
    let out = tmp.path().join("site");
    let shown = on_a_terminal(&[Path::new("build"), &vault, Path::new("--out"), &out]);
    assert!(shown.contains("Built "), "{shown:?}");
    assert!(shown.contains("building theme"), "{shown:?}");
    // The first line printed for the reader (a warning, else the seal)
    // comes after the bar's last frame and the "erase line" that clears it.
    let last_frame = shown.rfind("building ").unwrap();
    let printed = ["warning:", "Sealed version"]
        .iter()
        .filter_map(|w| shown.find(w))
        .min()
        .expect(&shown);
    assert!(last_frame < printed, "{shown:?}");
    assert!(
        shown[last_frame..printed].contains("\r\x1b[2K"),
        "{:?}",
        &shown[last_frame..printed]
    );
    assert!(!shown[printed..].contains('\x1b'), "{shown:?}");

    // Off on a terminal too: --quiet, --no-progress, JSON.
    for flags in [&["--quiet"][..], &["--no-progress"], &["--format", "json"]] {
        let mut args = vec![Path::new("build"), &vault, Path::new("--out"), &out];
        args.extend(flags.iter().map(Path::new));
        let shown = on_a_terminal(&args);
        assert!(!shown.contains("building "), "{flags:?}: {shown:?}");
        assert!(!shown.contains('\x1b'), "{flags:?}: {shown:?}");
    }
    // A terminal that cannot redraw a line gets no bar.
    let shown = on_a_terminal_named(
        "dumb",
        &[Path::new("build"), &vault, Path::new("--out"), &out],
    );
    assert!(shown.contains("Built "), "{shown:?}");
    assert!(!shown.contains("building "), "{shown:?}");
}

/// `spore verify` on a terminal: a bar per copy, cleared before the report.
#[cfg(target_os = "linux")]
#[test]
fn a_verify_on_a_terminal_draws_a_bar_per_copy_and_clears_it() {
    let (tmp, vault) = vault(10);
    let out = tmp.path().join("site");
    let build = spore()
        .arg("build")
        .arg(&vault)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    let copy = tmp.path().join("copy");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&out)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(copied.success());
    let shown = on_a_terminal(&[Path::new("verify"), &out, &copy]);
    let report = shown.find("Reference:").expect(&shown);
    let (during, after) = shown.split_at(report);
    for site in [&out, &copy] {
        let name = site.to_str().unwrap();
        assert!(during.contains(&format!("  {name}")), "{name}: {during:?}");
    }
    assert!(during.contains(" files, "), "{during:?}");
    assert!(during.ends_with("\x1b[2K"), "{during:?}");
    assert!(!after.contains('\x1b'), "{after:?}");
    assert!(after.contains("CURRENT"), "{after:?}");
}
