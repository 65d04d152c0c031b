//! `spore verify` as a user meets it: copies on disk and over HTTP,
//! altered, missing, stale, re-signed, rolled back and repaired.

use crate::support;

use spore::seal::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use spore::verify::{exit, verify, CopyState, FileStatus, VerifyOptions, VerifyReport};
use std::path::Path;
use support::sealed::{project, site_files, Project, EPOCH};
use support::static_server::StaticServer;

fn label(p: &Path) -> String {
    p.display().to_string()
}

fn run(copies: &[&Path], key: Option<&str>) -> VerifyReport {
    verify(&VerifyOptions {
        copies: copies.iter().map(|p| label(p)).collect(),
        key: key.map(String::from),
        ..Default::default()
    })
    .expect("verify runs")
}

fn problems(report: &VerifyReport, copy: &Path) -> Vec<(String, FileStatus)> {
    report
        .copy(&label(copy))
        .expect("copy in report")
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.status))
        .collect()
}

fn signed() -> Project {
    let p = project(12, 21, true);
    p.build(EPOCH);
    p
}

#[test]
fn intact_copies_are_current_and_exit_zero() {
    let p = signed();
    let usb = p.copy_site("usb");
    let r = run(&[&p.site, &usb], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    assert!(r.reference.as_ref().unwrap().signed);
    for c in &r.copies {
        assert_eq!(c.state, CopyState::Current);
        assert!(c.problems.is_empty());
        assert_eq!(c.files_ok, site_files(&p.site).len());
    }
    assert!(r.disagreements.is_empty());
}

/// Flips one byte of every file of a copy in turn; the check must name
/// that file (the intact copy gives the signed reference).
#[test]
fn flipping_one_byte_in_any_file_is_caught_and_the_file_named() {
    let p = signed();
    let copy = p.copy_site("copy");
    let key = p.public_key.as_deref();
    let files = site_files(&copy);
    assert!(files.len() > 30, "{files:?}");
    for (n, path) in files.iter().enumerate() {
        let full = copy.join(path);
        let original = std::fs::read(&full).unwrap();
        let mut flipped = original.clone();
        // A different position per file (a cheap deterministic spread).
        let at = (n * 7919 + path.len() * 31) % flipped.len();
        flipped[at] ^= 0x01;
        std::fs::write(&full, &flipped).unwrap();
        let r = run(&[&p.site, &copy], key);
        assert_eq!(
            r.exit_code,
            exit::ALTERED,
            "{path} byte {at}:\n{}",
            r.to_text()
        );
        let found = problems(&r, &copy);
        assert!(
            found.contains(&(path.clone(), FileStatus::Modified)),
            "{path} byte {at} not named: {found:?}\n{}",
            r.to_text()
        );
        assert!(
            r.disagreements
                .iter()
                .any(|d| &d.path == path && d.cells[1] == "MODIFIED"),
            "{path} missing from the disagreement table"
        );
        std::fs::write(&full, &original).unwrap();
    }
    assert_eq!(run(&[&p.site, &copy], key).exit_code, exit::OK);
}

#[test]
fn deleted_added_and_truncated_files_get_their_status() {
    let p = signed();
    let copy = p.copy_site("copy");
    let m = support::sealed::manifest_of(&p.site);
    let pages: Vec<&String> = m.files.keys().filter(|f| f.ends_with(".html")).collect();
    std::fs::remove_file(copy.join(pages[0])).unwrap();
    std::fs::write(copy.join("notes-from-someone.html"), "<p>hi</p>").unwrap();
    let truncated = std::fs::read(copy.join(pages[1])).unwrap();
    std::fs::write(copy.join(pages[1]), &truncated[..truncated.len() / 2]).unwrap();
    let r = run(&[&copy], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::ALTERED);
    assert_eq!(problems(&r, &copy), {
        let mut v = vec![
            (pages[0].clone(), FileStatus::Missing),
            (pages[1].clone(), FileStatus::Modified),
            ("notes-from-someone.html".to_string(), FileStatus::Extra),
        ];
        v.sort();
        v
    });
    let text = r.to_text();
    assert!(
        text.contains(&format!("MISSING   {}  {}", label(&copy), pages[0])),
        "{text}"
    );
}

#[test]
fn an_older_copy_is_stale_and_a_swapped_in_old_file_is_modified() {
    let p = signed();
    let old = p.copy_site("old");
    let note = p.root.join("content").join(
        support::sealed::manifest_of(&p.site)
            .files
            .values()
            .find_map(|e| e.source.clone())
            .unwrap(),
    );
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\nA new paragraph.\n");
    std::fs::write(&note, text).unwrap();
    p.build(EPOCH + 3 * 86_400);
    let current = p.copy_site("current");
    let r = run(&[&current, &old], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::STALE, "{}", r.to_text());
    assert_eq!(
        r.copy(&label(&old)).unwrap().state,
        CopyState::Stale {
            version: EPOCH,
            behind_seconds: 3 * 86_400
        }
    );
    assert!(r.to_text().contains("3 days 0 hours older"));
    assert!(
        r.disagreements.iter().all(|d| d.cells[1] == "OLD"),
        "{}",
        r.to_text()
    );
    assert!(!r.disagreements.is_empty());

    // Swap the old version of the changed page into the current copy.
    let changed = &r
        .disagreements
        .iter()
        .find(|d| d.path.ends_with(".html"))
        .unwrap()
        .path;
    std::fs::copy(old.join(changed), current.join(changed)).unwrap();
    let r = run(&[&p.site, &current, &old], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::ALTERED);
    assert_eq!(
        problems(&r, &current),
        [(changed.clone(), FileStatus::Modified)]
    );
}

#[test]
fn a_replaced_manifest_is_a_bad_signature() {
    let p = signed();
    let forged = p.copy_site("forged");
    let mut m = support::sealed::manifest_of(&forged);
    // The attacker edits a page and rewrites the manifest to match.
    let page = m
        .files
        .keys()
        .find(|f| f.ends_with(".html"))
        .unwrap()
        .clone();
    let mut html = std::fs::read(forged.join(&page)).unwrap();
    html.extend_from_slice(b"<!-- injected -->");
    std::fs::write(forged.join(&page), &html).unwrap();
    let e = m.files.get_mut(&page).unwrap();
    e.size = html.len() as u64;
    e.sha256 = spore::seal::page::sha256_hex(&html);
    support::sealed::write_manifest(&forged, &m);

    let alone = run(&[&forged], p.public_key.as_deref());
    assert_eq!(
        alone.exit_code,
        exit::NO_VALID_SIGNATURE,
        "{}",
        alone.to_text()
    );
    assert!(matches!(
        alone.copies[0].state,
        CopyState::BadSignature { .. }
    ));

    let r = run(&[&p.site, &forged], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::ALTERED);
    assert!(matches!(
        r.copy(&label(&forged)).unwrap().state,
        CopyState::BadSignature { .. }
    ));
    let found = problems(&r, &forged);
    assert!(
        found.contains(&(page.clone(), FileStatus::Modified)),
        "{found:?}"
    );
    assert!(
        found.contains(&(MANIFEST_PATH.to_string(), FileStatus::Modified)),
        "{found:?}"
    );
}

#[test]
fn a_wrong_key_or_a_missing_signature_is_caught() {
    let p = signed();
    let other = spore::seal::sign::keygen(&p.tmp.path().join("other-keys"), false, None).unwrap();
    let r = run(&[&p.site], Some(&other.public_base64));
    assert_eq!(r.exit_code, exit::NO_VALID_SIGNATURE);
    match &r.copies[0].state {
        CopyState::BadSignature { reason } => assert!(reason.contains("another key"), "{reason}"),
        s => panic!("{s:?}"),
    }
    let unsigned = p.copy_site("unsigned");
    std::fs::remove_file(unsigned.join(SIGNATURE_PATH)).unwrap();
    let r = run(&[&p.site, &unsigned], p.public_key.as_deref());
    assert_eq!(r.exit_code, exit::ALTERED);
    assert!(matches!(
        r.copy(&label(&unsigned)).unwrap().state,
        CopyState::BadSignature { .. }
    ));
    assert_eq!(
        problems(&r, &unsigned),
        [(SIGNATURE_PATH.to_string(), FileStatus::Missing)]
    );
}

#[test]
fn without_a_pinned_key_the_majority_manifest_is_the_unsigned_reference() {
    let p = project(6, 8, false);
    p.build(EPOCH);
    let a = p.copy_site("a");
    let b = p.copy_site("b");
    let c = p.copy_site("c");
    let r = run(&[&a, &b], None);
    assert_eq!(r.exit_code, exit::OK);
    assert!(!r.reference.as_ref().unwrap().signed);
    assert!(r.to_text().contains("UNSIGNED"));
    // One copy rewrites its manifest (same version): the other two outvote it.
    let mut m = support::sealed::manifest_of(&c);
    m.site.title = "Forged".into();
    support::sealed::write_manifest(&c, &m);
    let r = run(&[&c, &a, &b], None);
    assert_eq!(r.reference.as_ref().unwrap().title, "Fixture wiki");
    assert_eq!(r.exit_code, exit::ALTERED);
    assert!(problems(&r, &c).contains(&(MANIFEST_PATH.to_string(), FileStatus::Modified)));
}

#[test]
fn state_file_reports_a_rollback_to_an_older_version() {
    let p = signed();
    let old = p.copy_site("old");
    p.build(EPOCH + 60);
    let state = p.tmp.path().join("seen.json");
    let opts = |copies: Vec<String>| VerifyOptions {
        copies,
        key: p.public_key.clone(),
        state: Some(state.clone()),
        repair: None,
        ..Default::default()
    };
    let r = verify(&opts(vec![label(&p.site)])).unwrap();
    assert_eq!(r.exit_code, exit::OK);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let id = &r.reference.as_ref().unwrap().site_id;
    assert_eq!(saved["sites"][id]["version"], EPOCH + 60);
    // Later, someone serves the older (validly signed) version alone.
    let r = verify(&opts(vec![label(&old)])).unwrap();
    assert_eq!(r.exit_code, exit::ROLLBACK, "{}", r.to_text());
    assert_eq!(
        r.copies[0].state,
        CopyState::Rollback {
            version: EPOCH,
            remembered: EPOCH + 60
        }
    );
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["sites"][id]["version"], EPOCH + 60, "never lowered");
}

#[test]
fn repair_restores_missing_and_altered_files_from_other_copies() {
    let p = signed();
    let good = p.copy_site("good");
    let broken = p.copy_site("broken");
    let files = site_files(&broken);
    let page = files.iter().find(|f| f.ends_with(".html")).unwrap().clone();
    let asset = files.iter().find(|f| f.ends_with(".css")).unwrap().clone();
    std::fs::write(broken.join(&page), "defaced").unwrap();
    std::fs::remove_file(broken.join(&asset)).unwrap();
    std::fs::remove_file(broken.join("integrity/SHA256SUMS")).unwrap();
    let r = verify(&VerifyOptions {
        copies: vec![label(&good), label(&broken)],
        key: p.public_key.clone(),
        state: None,
        repair: Some(broken.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    let mut repaired: Vec<&str> = r.repaired.iter().map(|x| x.path.as_str()).collect();
    repaired.sort();
    let mut expected = vec![page.as_str(), asset.as_str(), "integrity/SHA256SUMS"];
    expected.sort();
    assert_eq!(repaired, expected);
    for f in &files {
        assert_eq!(
            std::fs::read(broken.join(f)).unwrap(),
            std::fs::read(good.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn copies_over_loopback_http_are_cross_checked_with_local_ones() {
    let p = signed();
    let usb = p.copy_site("usb");
    let host1 = p.copy_site("host1");
    let host2 = p.copy_site("host2");
    let s1 = StaticServer::start(&host1);
    let s2 = StaticServer::start(&host2);
    let key = p.public_key.clone();
    let all = |extra: &[&str]| {
        let mut copies = vec![
            label(&p.site),
            label(&usb),
            s1.base_url.clone(),
            s2.base_url.clone(),
        ];
        copies.extend(extra.iter().map(|s| s.to_string()));
        verify(&VerifyOptions {
            copies,
            key: key.clone(),
            ..Default::default()
        })
        .unwrap()
    };
    let r = all(&[]);
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    // Host 2 is altered and loses a file; a URL cannot list EXTRA files.
    let files = site_files(&host2);
    let page = files
        .iter()
        .find(|f| f.ends_with(".html") && f.contains('/'))
        .unwrap()
        .clone();
    let css = files.iter().find(|f| f.ends_with(".css")).unwrap().clone();
    let mut html = std::fs::read(host2.join(&page)).unwrap();
    html.extend_from_slice(b"<script>alert(1)</script>");
    std::fs::write(host2.join(&page), html).unwrap();
    std::fs::remove_file(host2.join(&css)).unwrap();
    std::fs::write(host2.join("extra.html"), "x").unwrap();
    let r = all(&[]);
    assert_eq!(r.exit_code, exit::ALTERED);
    let host2_label = s2.base_url.clone();
    let found: Vec<(String, FileStatus)> = r
        .copy(&host2_label)
        .unwrap()
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.status))
        .collect();
    let mut expected = vec![
        (page.clone(), FileStatus::Modified),
        (css.clone(), FileStatus::Missing),
    ];
    expected.sort();
    assert_eq!(found, expected);
    for copy in [label(&p.site), label(&usb), s1.base_url.clone()] {
        assert!(r.copy(&copy).unwrap().problems.is_empty(), "{copy}");
    }
    let row = r.disagreements.iter().find(|d| d.path == page).unwrap();
    assert_eq!(row.cells, ["OK", "OK", "OK", "MODIFIED"]);
    // A URL with nothing there has no manifest.
    let r = all(&[&format!("{}nothing/", s1.base_url)]);
    assert!(matches!(r.copies[4].state, CopyState::NoManifest { .. }));
}

#[test]
fn the_command_line_prints_the_report_and_sets_documented_exit_codes() {
    let p = signed();
    let copy = p.copy_site("copy");
    let bin = env!("CARGO_BIN_EXE_spore");
    let key_file = p.tmp.path().join("keys/spore.pub");
    let out = std::process::Command::new(bin)
        .args(["verify", "--json", "--key"])
        .arg(&key_file)
        .arg(&p.site)
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["outcome"], "OK");
    assert_eq!(json["copies"][1]["state"], "CURRENT");

    std::fs::remove_file(copy.join("index.html")).unwrap();
    let out = std::process::Command::new(bin)
        .args(["verify", "--key"])
        .arg(&key_file)
        .arg(&p.site)
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::ALTERED));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MISSING") && text.contains("index.html"),
        "{text}"
    );

    // Inside the project, the key comes from book.toml.
    let out = std::process::Command::new(bin)
        .arg("verify")
        .arg(&p.site)
        .current_dir(&p.root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("signed by the pinned key"));
}

/// A server that redirects every request to another origin (another port
/// on loopback counts as another host).
fn start_redirector(to: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let to = to.to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {}{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                to.trim_end_matches('/'),
                path
            );
        }
    });
    format!("http://127.0.0.1:{port}/")
}

#[test]
fn redirects_off_the_host_are_not_followed() {
    let p = signed();
    let server = StaticServer::start(&p.site);
    let redirector = start_redirector(&server.base_url);
    let r = verify(&VerifyOptions {
        copies: vec![label(&p.site), redirector.clone()],
        key: p.public_key.clone(),
        ..Default::default()
    })
    .unwrap();
    match &r.copy(&redirector).unwrap().state {
        CopyState::NoManifest { reason } => assert!(reason.contains("off the host"), "{reason}"),
        s => panic!("{s:?}"),
    }
    assert_eq!(r.exit_code, exit::ALTERED);
}

/// The whole story from the command line, as a new user types it:
/// keygen, paste the printed lines into book.toml, build, copy, verify.
#[test]
fn keygen_build_copy_and_verify_from_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_spore");
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .current_dir(tmp.path())
            .env("SOURCE_DATE_EPOCH", "1717243200")
            .env_remove("SPORE_SECRET_KEY")
            .env_remove("SPORE_KEY_PASSWORD")
            .output()
            .unwrap()
    };
    assert!(run(&["init", "wiki"]).status.success());
    let keygen = run(&["keygen", "--out", "keys"]);
    assert!(keygen.status.success());
    let printed = String::from_utf8(keygen.stdout).unwrap();
    let lines: String = printed
        .lines()
        .skip_while(|l| *l != "[integrity]")
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let book = tmp.path().join("wiki/book.toml");
    let mut text = std::fs::read_to_string(&book).unwrap();
    text.push('\n');
    text.push_str(&lines);
    std::fs::write(&book, text).unwrap();
    // A second keygen must not destroy the key.
    assert_eq!(run(&["keygen", "--out", "keys"]).status.code(), Some(1));

    let build = run(&["build", "wiki"]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert!(String::from_utf8_lossy(&build.stdout).contains("manifest signed with key"));
    let site = tmp.path().join("wiki/site");
    let usb = tmp.path().join("usb");
    support::sealed::copy_dir(&site, &usb);
    let verify = |copies: &[&Path]| {
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("verify")
            .args(copies)
            .current_dir(tmp.path().join("wiki"));
        cmd.output().unwrap()
    };
    let ok = verify(&[&site, &usb]);
    assert_eq!(
        ok.status.code(),
        Some(exit::OK),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("signed by the pinned key"));
    std::fs::write(usb.join("index.html"), "<p>gone</p>").unwrap();
    let bad = verify(&[&site, &usb]);
    assert_eq!(bad.status.code(), Some(exit::ALTERED));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("  MODIFIED  {}  index.html (", label(&usb)))),
        "{out}"
    );
}

#[test]
fn repair_fetches_good_bytes_over_http() {
    let p = signed();
    let served = p.copy_site("served");
    let server = StaticServer::start(&served);
    let stick = p.copy_site("stick");
    let page = site_files(&stick)
        .into_iter()
        .find(|f| f.ends_with(".html") && f.contains('/'))
        .unwrap();
    std::fs::remove_file(stick.join(&page)).unwrap();
    let r = verify(&VerifyOptions {
        copies: vec![server.base_url.clone()],
        key: p.public_key.clone(),
        state: None,
        repair: Some(stick.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    assert_eq!(r.repaired.len(), 1);
    assert_eq!(r.repaired[0].path, page);
    assert_eq!(r.repaired[0].from, server.base_url);
    assert_eq!(
        std::fs::read(stick.join(&page)).unwrap(),
        std::fs::read(served.join(&page)).unwrap()
    );
}

/// A shard is immutable under its name: one swapped for the same shard of
/// another version (or for another shard of this one) is caught by the
/// root's hash, named, and its files are not called EXTRA for want of an
/// entry. Alone, against the pinned key: no second copy to compare with.
#[test]
fn a_shard_swapped_for_another_versions_shard_is_caught_and_named() {
    let p = signed();
    let key = p.public_key.as_deref();
    let old = p.copy_site("old");
    let m = support::sealed::manifest_of(&p.site);
    let note = m.files.values().find_map(|e| e.source.clone()).unwrap();
    let note = p.root.join("content").join(note);
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\nA later paragraph.\n");
    std::fs::write(&note, text).unwrap();
    p.build(EPOCH + 86_400);
    let (was, now) = (
        support::sealed::root_of(&old),
        support::sealed::root_of(&p.site),
    );
    assert_eq!(was.shard_bits, now.shard_bits);
    let i = (0..now.shards.len())
        .find(|&i| was.shards[i] != now.shards[i])
        .expect("a shard changed");
    let j = (0..now.shards.len())
        .find(|&j| now.shards[j] != now.shards[i] && now.shards[j].entries > 0)
        .expect("another shard");
    for (name, from) in [
        ("older", old.join(was.shards[i].path())),
        ("sibling", p.site.join(now.shards[j].path())),
    ] {
        let copy = p.copy_site(name);
        let target = now.shards[i].path();
        std::fs::copy(&from, copy.join(&target)).unwrap();
        let r = run(&[&copy], key);
        assert_eq!(r.exit_code, exit::ALTERED, "{name}:\n{}", r.to_text());
        let found = problems(&r, &copy);
        assert!(
            found.contains(&(target.clone(), FileStatus::Modified)),
            "{name}: {found:?}"
        );
        assert!(
            found.iter().all(|(_, s)| *s != FileStatus::Extra),
            "{name}: {found:?}"
        );
        // With an intact copy beside it, its files are checked too.
        let r = run(&[&copy, &p.site], key);
        assert_eq!(r.exit_code, exit::ALTERED, "{}", r.to_text());
        assert_eq!(problems(&r, &copy), [(target, FileStatus::Modified)]);
    }
}
