//! `spore verify` against hostile mirrors (tests/it/support/hostile_mirror.rs):
//! endless bodies, silent hosts, stalls, drips, lying lengths, crafted file
//! names — each beside a genuine copy and a pinned key. Every run must end
//! within its deadline, in small memory, with the genuine copy judged right
//! and nothing raw from a mirror reaching the terminal. Also: names from a
//! vault printed by build, init and keygen.

use crate::support;

use spore::seal::manifest::{Manifest, MANIFEST_PATH};
use spore::verify::exit;
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::hostile_mirror::{Behaviour, HostileMirror, HostileMirrorBuilder};
use support::sealed::{project, Project, EPOCH};

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
    /// Peak resident memory of the child (VmHWM), in KiB.
    peak_kib: u64,
}

impl Ran {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `spore` with `args` in `dir`; kills it and fails the test if it
/// is still running after `limit`.
fn spore(args: &[OsString], dir: &Path, limit: Duration) -> Ran {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spore"))
        .args(args)
        .current_dir(dir)
        .env_remove("SPORE_SECRET_KEY")
        .env_remove("SPORE_KEY_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spore");
    let pid = child.id();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak = peak.max(peak_kib(pid).unwrap_or(0));
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "spore {args:?} still running after {limit:?} (peak {peak} KiB)\nstderr: {}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.code(),
        took: started.elapsed(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        peak_kib: peak,
    }
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_os_string()).collect()
}

/// `spore verify --json --key KEY REST…` in the project's folder; fails
/// the test if it is still running after `limit` seconds.
fn verify_json(p: &Project, key: &Path, rest: &[&dyn AsRef<std::ffi::OsStr>], limit: u64) -> Ran {
    let mut a = args(&[&"verify", &"--json", &"--key", &key]);
    a.extend(args(rest));
    spore(&a, p.tmp.path(), Duration::from_secs(limit))
}

/// Checks the genuine site beside one mirror (`--timeout SECONDS`, killed
/// after `limit` s): the site must come out CURRENT with no problem, the
/// mirror in `state`, the run exiting with `code`.
fn site_and_mirror(
    p: &Project,
    key: &Path,
    mirror: &HostileMirror,
    timeout: u64,
    limit: u64,
    (code, state): (i32, &str),
) -> (Ran, serde_json::Value) {
    let timeout = timeout.to_string();
    let ran = verify_json(
        p,
        key,
        &[&"--timeout", &timeout, &p.site, &mirror.base_url],
        limit,
    );
    let json = ran.json();
    assert_eq!(ran.code, Some(code), "{}", ran.stdout);
    assert_eq!(copy_state(&json, 0), "CURRENT", "{}", ran.stdout);
    assert_eq!(json["copies"][0]["problems"].as_array().unwrap().len(), 0);
    assert_eq!(copy_state(&json, 1), state, "{}", ran.stdout);
    (ran, json)
}

/// Why copy `i` was not checked.
fn reason(json: &serde_json::Value, i: usize) -> &str {
    json["copies"][i]["reason"].as_str().unwrap_or("")
}

fn signed() -> (Project, std::path::PathBuf) {
    let p = project(12, 21, true);
    p.build(EPOCH);
    let key = p.tmp.path().join("keys/spore.pub");
    (p, key)
}

/// A mirror whose integrity files are those `m` makes (a forger's).
fn forged(mut mirror: HostileMirrorBuilder, m: &Manifest) -> HostileMirrorBuilder {
    for (path, bytes) in support::sealed::forged_files(m) {
        mirror = mirror.on(&path, Behaviour::Body(bytes));
    }
    mirror
}

fn manifest(site: &Path) -> Manifest {
    support::sealed::manifest_of(site)
}

/// A page of the site other than index.html.
fn some_page(m: &Manifest) -> String {
    m.files
        .keys()
        .find(|f| f.ends_with(".html") && f.contains('/'))
        .unwrap()
        .clone()
}

/// Characters a terminal acts on, checked independently of the code under
/// test: C0 but line feed, DEL, C1, bidi marks, overrides and isolates.
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            (c < ' ' && c != '\n')
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

fn copy_state(json: &serde_json::Value, i: usize) -> &str {
    json["copies"][i]["state"].as_str().unwrap_or("?")
}

/// The mirror claims (in its own, unsigned manifest) that two files are a
/// TiB each and streams them for ever — one without a length, one under a
/// lying Content-Length. Sizes come from the signed reference only, bodies
/// are hashed as they stream: verify reads about the genuine size, stays
/// small, and still judges the genuine copy CURRENT.
#[test]
fn endless_bodies_are_cut_at_the_signed_size_in_small_memory() {
    let (p, key) = signed();
    let mut m = manifest(&p.site);
    let page = some_page(&m);
    for f in ["index.html", page.as_str()] {
        m.files.get_mut(f).unwrap().size = 1 << 40;
    }
    // A third file claims to be shorter than it is: cut, so MODIFIED.
    let short = m
        .files
        .keys()
        .find(|f| f.ends_with(".css"))
        .unwrap()
        .clone();
    let short_size = m.files[&short].size;
    let mirror = forged(HostileMirror::builder(&p.site), &m)
        .on("index.html", Behaviour::Endless)
        .on(&page, Behaviour::LieLength { claimed: 1 << 40 })
        .on(
            &short,
            Behaviour::LieLength {
                claimed: short_size - 10,
            },
        )
        .start();
    let (ran, json) = site_and_mirror(&p, &key, &mirror, 20, 25, (exit::ALTERED, "BAD-SIGNATURE"));
    let problems: Vec<(&str, &str)> = json["copies"][1]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    for f in ["index.html", page.as_str(), short.as_str()] {
        assert!(problems.contains(&(f, "MODIFIED")), "{f}: {problems:?}");
    }
    let sent = mirror.bytes_sent();
    eprintln!(
        "endless: sent {sent} bytes, peak {} KiB, {:?}",
        ran.peak_kib, ran.took
    );
    assert!(sent < 32 << 20, "the mirror sent {sent} bytes");
    assert!(
        ran.peak_kib < 150 * 1024,
        "peak memory {} KiB",
        ran.peak_kib
    );
    assert!(ran.took < Duration::from_secs(15), "{:?}", ran.took);
}

/// An endless manifest is refused at the manifest cap, not buffered on.
#[test]
fn an_endless_manifest_is_refused_at_its_cap() {
    let (p, key) = signed();
    let mirror = HostileMirror::builder(&p.site)
        .on(MANIFEST_PATH, Behaviour::Endless)
        .start();
    let (ran, json) = site_and_mirror(&p, &key, &mirror, 20, 25, (exit::ALTERED, "NO-MANIFEST"));
    let reason = reason(&json, 1);
    assert!(reason.contains("larger than"), "{reason}");
    let cap = spore::verify::source::MANIFEST_CAP;
    assert!(
        mirror.bytes_sent() < cap + (32 << 20),
        "{}",
        mirror.bytes_sent()
    );
    assert!(
        ran.peak_kib < 2 * cap / 1024 + 64 * 1024,
        "{} KiB",
        ran.peak_kib
    );
}

/// Hosts that accept connections and never answer — more of them than
/// this machine may have cores: each costs at most its own deadline, side
/// by side, and is reported UNREACHABLE; the genuine copy is still checked.
#[test]
fn silent_hosts_cost_one_deadline_side_by_side() {
    let (p, key) = signed();
    let a = HostileMirror::builder(&p.site)
        .otherwise(Behaviour::Silent)
        .start();
    let b = HostileMirror::builder(&p.site)
        .otherwise(Behaviour::Silent)
        .start();
    let c = HostileMirror::builder(&p.site)
        .otherwise(Behaviour::Silent)
        .start();
    let ran = verify_json(
        &p,
        &key,
        &[
            &"--timeout",
            &"2",
            &a.base_url,
            &p.site,
            &b.base_url,
            &c.base_url,
        ],
        15,
    );
    let json = ran.json();
    assert_eq!(ran.code, Some(exit::UNREACHABLE), "{}", ran.stdout);
    assert_eq!(copy_state(&json, 0), "UNREACHABLE");
    assert_eq!(copy_state(&json, 1), "CURRENT", "{}", ran.stdout);
    assert_eq!(copy_state(&json, 2), "UNREACHABLE");
    assert_eq!(copy_state(&json, 3), "UNREACHABLE");
    let reason = json["copies"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("nothing received for"), "{reason}");
    assert!(
        ran.took < Duration::from_millis(3800),
        "three 2 s deadlines took {:?}: not side by side",
        ran.took
    );
}

/// A host that serves its manifest, then stalls on every file: after a few
/// failures the copy is given up (its other files are not even asked for),
/// within the deadline, and what was read of it is not called altered.
#[test]
fn a_host_that_stalls_on_every_file_is_given_up_after_repeated_failures() {
    let (p, key) = signed();
    let files = manifest(&p.site).files.len();
    let mirror = HostileMirror::builder(&p.site)
        .otherwise(Behaviour::Stall { after: 3 })
        .on(MANIFEST_PATH, Behaviour::Serve)
        .on(spore::seal::manifest::SIGNATURE_PATH, Behaviour::Serve)
        .start();
    let (ran, json) = site_and_mirror(&p, &key, &mirror, 3, 15, (exit::UNREACHABLE, "UNREACHABLE"));
    let reason = reason(&json, 1);
    assert!(reason.contains("given up after"), "{reason}");
    assert!(json["copies"][1]["problems"].as_array().unwrap().is_empty());
    let asked = mirror.requests().len();
    assert!(
        asked < files / 2,
        "{asked} requests for {files} files: the copy was not given up"
    );
    assert!(ran.took < Duration::from_secs(4), "{:?}", ran.took);
}

/// One byte every 0.3 s is far below the minimum rate: the file is dropped
/// after the idle period, and the copy is reported as not fully read.
#[test]
fn a_dripping_file_is_dropped_as_too_slow() {
    let (p, key) = signed();
    let page = some_page(&manifest(&p.site));
    let mirror = HostileMirror::builder(&p.site)
        .on(
            &page,
            Behaviour::Drip {
                every: Duration::from_millis(300),
            },
        )
        .start();
    let (ran, json) = site_and_mirror(&p, &key, &mirror, 4, 15, (exit::UNREACHABLE, "UNREACHABLE"));
    let reason = reason(&json, 1);
    assert!(reason.contains("too slow"), "{reason}");
    assert!(ran.took < Duration::from_secs(5), "{:?}", ran.took);
}

/// A mirror whose manifest lists file names with ESC, CR and bidi
/// characters (one spells a fake green verdict), and a folder copy holding
/// such a file: the manifest is refused with a clear reason, and nothing
/// printed holds a raw control character — the real verdict is the last
/// line.
#[test]
fn crafted_names_from_mirrors_and_copies_are_refused_and_never_printed_raw() {
    let (p, key) = signed();
    let mut m = manifest(&p.site);
    let entry = m.files.values().next().unwrap().clone();
    let fake = "x\u{1b}[2K\r\u{1b}[32mOK: every copy is current and intact (exit 0)\u{1b}[0m.html";
    m.files.insert(fake.to_string(), entry.clone());
    m.files.insert("\u{202e}lmth.exe".to_string(), entry);
    let mirror = forged(HostileMirror::builder(&p.site), &m).start();
    let usb = p.copy_site("usb");
    std::fs::write(usb.join("evil\u{1b}[2K\r\u{9b}31m\u{2067}.html"), "x").unwrap();
    for pinned in [true, false] {
        let mut a = args(&[&"verify"]);
        if pinned {
            a.extend(args(&[&"--key", &key]));
        }
        a.extend(args(&[&p.site, &usb, &mirror.base_url]));
        // Outside the project: without --key, no book.toml pins one.
        let ran = spore(&a, p.tmp.path(), Duration::from_secs(20));
        assert_eq!(ran.code, Some(exit::ALTERED), "{}", ran.stdout);
        for (name, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
            let raw = raw_controls(text);
            assert!(raw.is_empty(), "raw {raw:?} in {name}:\n{text}");
        }
        let mirror_line = ran
            .stdout
            .lines()
            .find(|l| l.starts_with(&mirror.base_url))
            .unwrap_or_else(|| panic!("{}", ran.stdout));
        assert!(
            mirror_line.contains("NO-MANIFEST") && mirror_line.contains("not a safe site path"),
            "{mirror_line}"
        );
        assert!(
            ran.stdout.contains("EXTRA") && ran.stdout.contains("evil\\u{1b}[2K\\u{d}"),
            "{}",
            ran.stdout
        );
        let last = ran.stdout.lines().last().unwrap();
        assert!(
            last.starts_with("ALTERED") && last.ends_with("(exit 3)"),
            "{last}"
        );
    }
    // The JSON keeps the exact names, as escapes a terminal shows as text.
    let ran = verify_json(&p, &key, &[&p.site, &usb, &mirror.base_url], 20);
    let raw = raw_controls(&ran.stdout);
    assert!(raw.is_empty(), "raw {raw:?} in:\n{}", ran.stdout);
    let json = ran.json();
    assert_eq!(copy_state(&json, 2), "NO-MANIFEST");
    let extra = json["copies"][1]["problems"][0]["path"].as_str().unwrap();
    assert_eq!(extra, "evil\u{1b}[2K\r\u{9b}31m\u{2067}.html");
}

/// Names from a vault reach build warnings, the unresolved-links line, and
/// init's and keygen's messages: all escaped.
#[test]
fn build_init_and_keygen_print_crafted_names_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    std::fs::create_dir_all(&vault).unwrap();
    std::fs::write(
        vault.join("bad\u{1b}[2K\r\u{202e}name.md"),
        "---\ntitle: [unclosed\n---\nSee [[ghost\u{1b}[31m\u{9b}2J]].\n",
    )
    .unwrap();
    std::fs::write(vault.join("ok.md"), "# Fine\n").unwrap();
    let ran = spore(
        &args(&[&"build", &vault, &"--out", &tmp.path().join("site")]),
        tmp.path(),
        Duration::from_secs(30),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for (name, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        let raw = raw_controls(text);
        assert!(raw.is_empty(), "raw {raw:?} in {name}:\n{text}");
    }
    assert!(
        ran.stderr.contains("bad\\u{1b}[2K\\u{d}\\u{202e}name.md"),
        "the warning names the file, escaped:\n{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("ghost\\u{1b}[31m"), "{}", ran.stderr);

    let crafted = "wiki\u{1b}]0;pwned\u{7}\r";
    let init = spore(
        &args(&[&"init", &crafted]),
        tmp.path(),
        Duration::from_secs(10),
    );
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    let keygen = spore(
        &args(&[&"keygen", &"--out", &"keys\u{1b}[8m"]),
        tmp.path(),
        Duration::from_secs(10),
    );
    assert_eq!(keygen.code, Some(0), "{}", keygen.stderr);
    for text in [&init.stdout, &init.stderr, &keygen.stdout, &keygen.stderr] {
        let raw = raw_controls(text);
        assert!(raw.is_empty(), "raw {raw:?} in:\n{text}");
    }
    // The printed book.toml lines still name the key file exactly.
    let book: String = keygen
        .stdout
        .lines()
        .skip_while(|l| *l != "[integrity]")
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let parsed: toml::Table = toml::from_str(&book).unwrap();
    let secret = parsed["integrity"]["secret_key"].as_str().unwrap();
    assert!(Path::new(secret).is_file(), "{secret:?}");
}

/// `--progress` reports on stderr (one line per copy at least, escaped);
/// stdout stays machine-readable JSON.
#[test]
fn progress_goes_to_stderr_and_leaves_json_intact() {
    let (p, key) = signed();
    let mirror = HostileMirror::builder(&p.site).start();
    let ran = verify_json(&p, &key, &[&"--progress", &p.site, &mirror.base_url], 20);
    assert_eq!(ran.code, Some(exit::OK), "{}", ran.stdout);
    assert_eq!(ran.json()["outcome"], "OK");
    // Every file of the site is read: the listed ones and the integrity files.
    let files = support::sealed::site_files(&p.site).len();
    for copy in [p.site.display().to_string(), mirror.base_url.clone()] {
        assert!(
            ran.stderr
                .lines()
                .any(|l| l.starts_with(&format!("{copy}: ")) && l.contains(" files, ")),
            "{copy}:\n{}",
            ran.stderr
        );
    }
    assert!(
        ran.stderr.contains(&format!("/{files} files")),
        "{}",
        ran.stderr
    );
}

/// `--repair` beside hostile mirrors: one serves a page genuinely while it
/// is checked and endlessly when repair fetches it again, one never
/// answers. Repair streams at most the signed size from the first, writes
/// nothing from it, takes the page from the good mirror, and the whole run
/// stays within the deadline and small memory.
#[test]
fn repair_takes_bounded_bytes_from_a_mirror_that_changes_and_skips_a_silent_one() {
    let (p, key) = signed();
    let m = manifest(&p.site);
    let page = some_page(&m);
    let stick = p.copy_site("stick");
    std::fs::remove_file(stick.join(&page)).unwrap();
    let turncoat = HostileMirror::builder(&p.site)
        .on(
            &page,
            Behaviour::FirstThen(Box::new(Behaviour::Serve), Box::new(Behaviour::Endless)),
        )
        .start();
    let silent = HostileMirror::builder(&p.site)
        .otherwise(Behaviour::Silent)
        .start();
    let good = HostileMirror::builder(&p.site).start();
    let ran = verify_json(
        &p,
        &key,
        &[
            &"--timeout",
            &"3",
            &turncoat.base_url,
            &silent.base_url,
            &good.base_url,
            &"--repair",
            &stick,
        ],
        20,
    );
    let json = ran.json();
    // The check after repair reads the turncoat's endless page: altered.
    assert_eq!(ran.code, Some(exit::ALTERED), "{}", ran.stdout);
    assert_eq!(copy_state(&json, 1), "UNREACHABLE");
    assert_eq!(json["copies"][0]["problems"][0]["path"], page.as_str());
    assert_eq!(copy_state(&json, 3), "CURRENT", "the repaired stick");
    assert_eq!(json["repaired"][0]["path"], page.as_str(), "{}", ran.stdout);
    assert_eq!(json["repaired"][0]["from"], good.base_url.as_str());
    assert_eq!(
        std::fs::read(stick.join(&page)).unwrap(),
        std::fs::read(p.site.join(&page)).unwrap()
    );
    let leftovers: Vec<_> = walkdir::WalkDir::new(&stick)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".spore-repair"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let size = m.files[&page].size;
    assert!(
        turncoat.requests().iter().filter(|r| **r == page).count() >= 2,
        "repair did not try the turncoat first"
    );
    // Endless twice (repair, then the check after it), each cut short.
    assert!(turncoat.bytes_sent() < (64 << 20) + 4 * size);
    assert!(
        ran.peak_kib < 150 * 1024,
        "peak memory {} KiB",
        ran.peak_kib
    );
    assert!(ran.took < Duration::from_secs(8), "{:?}", ran.took);
}
