//! `spore verify` and `--repair` against an attacker: hostile mirrors with
//! unsigned or re-signed manifests, forged key ids, symlinks and foreign
//! folders as repair targets, poisoned state files, two builds sharing a
//! version. Each test runs the attack as someone would, with variations.

use crate::support;

use base64::Engine;
use spore::seal::manifest::{Manifest, SIGNATURE_PATH};
use spore::seal::sign;
use spore::verify::{exit, verify, CopyState, FileStatus, VerifyOptions, VerifyReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::sealed::{project, Project, EPOCH};
use support::static_server::StaticServer;

fn label(p: &Path) -> String {
    p.display().to_string()
}

fn signed() -> Project {
    let p = project(10, 31, true);
    p.build(EPOCH);
    p
}

/// Every entry of a folder (files and symlinks, not following links) with
/// its bytes or link target: what a repair must leave alone.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .display()
                    .to_string()
                    .into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, bytes)
        })
        .collect()
}

fn read_manifest(site: &Path) -> Manifest {
    support::sealed::manifest_of(site)
}

fn first_page(m: &Manifest) -> String {
    m.files
        .iter()
        .find(|(p, e)| e.source.is_some() && p.contains('/'))
        .map(|(p, _)| p.clone())
        .unwrap()
}

/// Writes `m` and the seal files that follow from it into `site`; signs
/// with `signature` when given, else removes the signature.
fn write_seal(site: &Path, m: &Manifest, signature: Option<String>) -> Vec<u8> {
    let bytes = support::sealed::write_manifest(site, m);
    match signature {
        Some(sig) => std::fs::write(site.join(SIGNATURE_PATH), sig).unwrap(),
        None => {
            let _ = std::fs::remove_file(site.join(SIGNATURE_PATH));
        }
    }
    bytes
}

/// Adds (or replaces) a file in a copy and its manifest entry.
fn plant(site: &Path, m: &mut Manifest, path: &str, bytes: &[u8]) {
    let full = site.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(&full, bytes).unwrap();
    m.files.insert(
        path.to_string(),
        spore::seal::manifest::FileEntry {
            sha256: spore::seal::page::sha256_hex(bytes),
            size: bytes.len() as u64,
            source: None,
            source_sha256: None,
            title: None,
        },
    );
}

/// A hostile copy of the site: a defaced page, `.htaccess` and
/// `evil/x.php` planted, a higher version; the manifest rewritten to match.
fn hostile_copy(p: &Project, name: &str) -> (PathBuf, Manifest) {
    let dir = p.copy_site(name);
    let mut m = read_manifest(&dir);
    let page = first_page(&m);
    plant(&dir, &mut m, &page, b"<p>Send bitcoin here.</p>");
    plant(
        &dir,
        &mut m,
        ".htaccess",
        b"Redirect / https://evil.example/\n",
    );
    plant(
        &dir,
        &mut m,
        "evil/x.php",
        b"<?php system($_GET['c']); ?>\n",
    );
    m.version += 10_000;
    (dir, m)
}

fn author_signer(p: &Project) -> sign::Signer {
    sign::load_signer(
        &p.tmp.path().join("keys/spore.key"),
        None,
        &p.root.join("content"),
        &p.site,
    )
    .unwrap()
}

/// A fresh attacker key pair.
fn attacker_signer(p: &Project, name: &str) -> sign::Signer {
    let keys = sign::keygen(&p.tmp.path().join(name), false, None).unwrap();
    sign::load_signer(&keys.secret_path, None, &p.root.join("content"), &p.site).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap()
}

/// The attacker's public key wearing the author's 8-byte key id.
fn with_key_id(attacker_public: &str, author_public: &str) -> String {
    let mut pk = unb64(attacker_public);
    pk[2..10].copy_from_slice(&unb64(author_public)[2..10]);
    b64(&pk)
}

/// Signs `m` (already carrying the public key it should name) with
/// `signer`, then gives the signature the key id of `m.public_key` (the
/// key id is not covered by the signature, so this is all it takes).
fn sign_as(signer: &sign::Signer, m: &Manifest) -> String {
    let root = support::sealed::root_bytes(m);
    let sig = sign::sign(signer, &root, &m.site.id, m.version).unwrap();
    let claimed = unb64(m.public_key.as_deref().unwrap());
    let mut lines: Vec<String> = sig.lines().map(String::from).collect();
    let mut raw = unb64(&lines[1]);
    raw[2..10].copy_from_slice(&claimed[2..10]);
    lines[1] = b64(&raw);
    lines.join("\n") + "\n"
}

fn options(copies: Vec<String>, repair: &Path) -> VerifyOptions {
    VerifyOptions {
        copies,
        repair: Some(repair.to_path_buf()),
        ..Default::default()
    }
}

/// Whatever verify answers, the target must be exactly as it was.
fn assert_untouched(
    result: &Result<VerifyReport, spore::verify::VerifyError>,
    dir: &Path,
    before: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let after = snapshot(dir);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(*b))
        .map(|(p, _)| p)
        .chain(before.keys().filter(|p| !after.contains_key(*p)))
        .collect();
    assert!(
        changed.is_empty(),
        "{what}: repair changed {changed:?}\n{}",
        match result {
            Ok(r) => r.to_text(),
            Err(e) => e.to_string(),
        }
    );
    if let Ok(r) = result {
        assert!(r.repaired.is_empty(), "{what}: {:?}", r.repaired);
        assert_ne!(r.exit_code, exit::OK, "{what}: {}", r.to_text());
    }
}

/// The attack from the issue: `verify URL --repair DIR` without `--key`,
/// the URL a hostile mirror with an unsigned, higher-versioned manifest.
/// Variations: one or two hostile mirrors (a majority), the mirror signed
/// by the attacker's own key, by a key wearing the author's key id, and
/// `--accept-unsigned` (which never overrides a copy signed by its key).
#[test]
fn a_hostile_mirror_never_overwrites_a_signed_copy() {
    let p = signed();
    let author_pk = p.public_key.clone().unwrap();
    let stick = p.copy_site("stick");
    let before = snapshot(&stick);

    let (unsigned, m) = hostile_copy(&p, "unsigned");
    write_seal(&unsigned, &m, None);

    let (own_key, mut m) = hostile_copy(&p, "own-key");
    let attacker = attacker_signer(&p, "attacker-keys");
    m.public_key = Some(attacker.public_base64.clone());
    let sig = sign_as(&attacker, &m);
    write_seal(&own_key, &m, Some(sig));

    let (forged_id, mut m) = hostile_copy(&p, "forged-id");
    m.public_key = Some(with_key_id(&attacker.public_base64, &author_pk));
    let sig = sign_as(&attacker, &m);
    write_seal(&forged_id, &m, Some(sig));

    for hostile in [&unsigned, &own_key, &forged_id] {
        let s1 = StaticServer::start(hostile);
        let s2 = StaticServer::start(hostile);
        let variants = [
            vec![s1.base_url.clone()],
            vec![s1.base_url.clone(), s2.base_url.clone()],
            vec![label(hostile)],
        ];
        for copies in variants {
            for accept_unsigned in [false, true] {
                let what = format!("{copies:?} accept_unsigned={accept_unsigned}");
                let result = verify(&VerifyOptions {
                    accept_unsigned,
                    ..options(copies.clone(), &stick)
                });
                assert_untouched(&result, &stick, &before, &what);
                assert!(!stick.join(".htaccess").exists(), "{what}");
                assert!(!stick.join("evil").exists(), "{what}");
                if let Ok(r) = &result {
                    let reference = r.reference.as_ref().unwrap();
                    assert_eq!(reference.copy, label(&stick), "{what}: {}", r.to_text());
                    assert!(
                        matches!(r.copies[0].state, CopyState::BadSignature { .. }),
                        "{what}: {}",
                        r.to_text()
                    );
                }
            }
        }
    }
}

/// A copy signed by its own key still repairs from a newer copy signed by
/// that same key, without `--key`: the target's key is the one trusted.
#[test]
fn a_signed_copy_repairs_from_a_newer_copy_signed_by_the_same_key() {
    let p = signed();
    let stick = p.copy_site("stick");
    let m = read_manifest(&p.site);
    let page = first_page(&m);
    let note = p
        .root
        .join("content")
        .join(m.files[&page].source.as_ref().unwrap());
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\nA correction.\n");
    std::fs::write(&note, text).unwrap();
    p.build(EPOCH + 60);
    let server = StaticServer::start(&p.site);
    let r = verify(&options(vec![server.base_url.clone()], &stick)).unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    assert!(
        r.repaired.iter().any(|x| x.path == page),
        "{:?}",
        r.repaired
    );
    assert_eq!(
        std::fs::read(stick.join(&page)).unwrap(),
        std::fs::read(p.site.join(&page)).unwrap()
    );
    // Authorship was still not checked: no key was pinned.
    assert!(!r.authorship_checked);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["trusted_key"]["source"], "repair-target");
    assert_eq!(
        json["trusted_key"]["fingerprint"],
        sign::fingerprint(p.public_key.as_deref().unwrap()).unwrap()
    );
    assert_eq!(json["authorship_checked"], false);
    assert!(
        r.to_text().contains("authorship NOT checked"),
        "{}",
        r.to_text()
    );
}

/// Without a signature anywhere, repair needs `--accept-unsigned`; the
/// reference is then the manifest most copies agree on, ties going to the
/// first copy given, never to the higher version (which the mirror picks).
#[test]
fn repair_from_an_unsigned_reference_needs_accept_unsigned() {
    let p = project(8, 5, false);
    p.build(EPOCH);
    let good = p.copy_site("good");
    let stick = p.copy_site("stick");
    let page = first_page(&read_manifest(&stick));
    std::fs::write(stick.join(&page), "defaced").unwrap();
    let before = snapshot(&stick);
    let err = verify(&options(vec![label(&good)], &stick)).unwrap_err();
    assert!(err.to_string().contains("--accept-unsigned"), "{err}");
    assert_eq!(snapshot(&stick), before);

    let r = verify(&VerifyOptions {
        accept_unsigned: true,
        ..options(vec![label(&good)], &stick)
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    assert_eq!(r.repaired.len(), 1, "{:?}", r.repaired);
    assert_eq!(r.repaired[0].path, page);
    assert!(!r.authorship_checked);

    // A higher unsigned version does not win a tie: the first copy given does.
    let (hostile, m) = hostile_copy(&p, "hostile");
    write_seal(&hostile, &m, None);
    let r = verify(&VerifyOptions {
        copies: vec![label(&good), label(&hostile)],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        r.reference.as_ref().unwrap().copy,
        label(&good),
        "{}",
        r.to_text()
    );
    assert_eq!(r.exit_code, exit::ALTERED, "{}", r.to_text());
}

/// From the command line: the flag exists, is required, and the report says
/// plainly that authorship was not checked.
#[test]
fn the_command_line_asks_for_accept_unsigned_and_says_authorship_was_not_checked() {
    let p = project(4, 6, false);
    p.build(EPOCH);
    let good = p.copy_site("good");
    let stick = p.copy_site("stick");
    let page = first_page(&read_manifest(&stick));
    std::fs::write(stick.join(&page), "defaced").unwrap();
    let bin = env!("CARGO_BIN_EXE_spore");
    let run = |extra: &[&str]| {
        std::process::Command::new(bin)
            .arg("verify")
            .arg(&good)
            .arg("--repair")
            .arg(&stick)
            .args(extra)
            .current_dir(p.tmp.path())
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(exit::ERROR));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--accept-unsigned"), "{stderr}");
    assert_eq!(std::fs::read(stick.join(&page)).unwrap(), b"defaced");
    let accepted = run(&["--accept-unsigned"]);
    let stdout = String::from_utf8_lossy(&accepted.stdout);
    assert_eq!(accepted.status.code(), Some(exit::OK), "{stdout}");
    assert!(stdout.contains("authorship NOT checked"), "{stdout}");
    assert!(
        !stdout.contains("OK: every copy is current and intact"),
        "{stdout}"
    );
}

/// TUF: only a signature by the pinned key raises the remembered version.
/// Variations: a hostile copy checked alone with the key pinned, with no key
/// at all, and a state file already poisoned with an unsigned version.
#[test]
fn only_versions_signed_by_the_pinned_key_are_remembered() {
    let p = signed();
    let key = p.public_key.clone();
    let (hostile, m) = hostile_copy(&p, "hostile");
    write_seal(&hostile, &m, None);
    let state = p.tmp.path().join("seen.json");
    let run = |copy: &Path, key: Option<String>| {
        verify(&VerifyOptions {
            copies: vec![label(copy)],
            key,
            state: Some(state.clone()),
            ..Default::default()
        })
        .unwrap()
    };
    for hostile_key in [key.clone(), None] {
        let _ = std::fs::remove_file(&state);
        let r = run(&hostile, hostile_key.clone());
        assert_ne!(r.exit_code, exit::OK, "{}", r.to_text());
        let genuine = run(&p.site, key.clone());
        assert_eq!(
            genuine.exit_code,
            exit::OK,
            "after the hostile copy with key {hostile_key:?}:\n{}",
            genuine.to_text()
        );
    }
    // A state file written by an older Spore, holding an unsigned version.
    let id = read_manifest(&p.site).site.id;
    std::fs::write(
        &state,
        serde_json::json!({
            "format": "spore-verify-state/1",
            "sites": { &id: { "version": EPOCH + 10_000, "built": "x", "signed": false } }
        })
        .to_string(),
    )
    .unwrap();
    let genuine = run(&p.site, key.clone());
    assert_eq!(genuine.exit_code, exit::OK, "{}", genuine.to_text());
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["sites"][&id]["version"], EPOCH);
    assert_eq!(saved["sites"][&id]["signed"], true);
    // And a genuine rollback is still caught.
    let old = p.copy_site("old");
    p.build(EPOCH + 60);
    assert_eq!(run(&p.site, key.clone()).exit_code, exit::OK);
    assert_eq!(run(&old, key.clone()).exit_code, exit::ROLLBACK);
}

/// No write through a symlink: a symlinked folder (or file) inside the
/// target makes repair refuse, and nothing outside the copy changes —
/// whether the donor is a folder or a URL (whose files repair streams).
#[cfg(unix)]
#[test]
fn repair_never_writes_through_a_symlink() {
    let p = signed();
    let m = read_manifest(&p.site);
    let page = first_page(&m);
    let folder = page.split('/').next().unwrap().to_string();
    let key = p.public_key.clone();
    let cases: [(&str, &str); 3] = [
        ("folder", folder.as_str()),
        ("integrity", "integrity"),
        ("file", page.as_str()),
    ];
    let server = StaticServer::start(&p.site);
    let donors = [("folder", label(&p.site)), ("url", server.base_url.clone())];
    for ((what, linked), (donor_kind, donor)) in cases
        .into_iter()
        .flat_map(|c| donors.iter().map(move |d| (c, d)))
    {
        let what = format!("{what} from a {donor_kind} donor");
        let what = what.as_str();
        let stick = p.copy_site(&format!("stick-{what}").replace(' ', "-"));
        let outside = p
            .tmp
            .path()
            .join(format!("outside-{what}").replace(' ', "-"));
        std::fs::create_dir_all(&outside).unwrap();
        let victim = outside.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let at = stick.join(linked);
        if at.is_dir() {
            std::fs::remove_dir_all(&at).unwrap();
            std::os::unix::fs::symlink(&outside, &at).unwrap();
        } else {
            std::fs::remove_file(&at).unwrap();
            std::os::unix::fs::symlink(&victim, &at).unwrap();
        }
        let outside_before = snapshot(&outside);
        let before = snapshot(&stick);
        let result = verify(&VerifyOptions {
            key: key.clone(),
            ..options(vec![donor.clone()], &stick)
        });
        assert_eq!(
            snapshot(&outside),
            outside_before,
            "{what}: wrote outside the copy"
        );
        assert_untouched(&result, &stick, &before, what);
        let err = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("symbolic link"), "{what}: {err}");
    }
}

/// A repair target must be a Spore copy or empty: a home folder is refused
/// and left as it was; an empty (or new) folder becomes a full copy.
#[test]
fn repair_refuses_a_folder_that_is_not_a_spore_copy() {
    let p = signed();
    let key = p.public_key.clone();
    let home = p.tmp.path().join("home");
    std::fs::create_dir_all(home.join("Documents")).unwrap();
    std::fs::write(home.join("index.html"), "<p>my own page</p>").unwrap();
    std::fs::write(home.join("Documents/taxes.txt"), "private").unwrap();
    let before = snapshot(&home);
    // With the key or without (and with --accept-unsigned): refused first.
    for (key, accept_unsigned) in [(key.clone(), false), (None, true)] {
        let result = verify(&VerifyOptions {
            key,
            accept_unsigned,
            ..options(vec![label(&p.site)], &home)
        });
        assert_untouched(&result, &home, &before, "home");
        let err = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not a Spore copy"), "{err}");
    }
    // Only the marker: still not a site, and an unlisted index.html stays.
    let fake = p.tmp.path().join("fake");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("index.html"), "<p>mine</p>").unwrap();
    std::fs::write(fake.join(spore::write::MARKER), "x").unwrap();
    let before = snapshot(&fake);
    let result = verify(&VerifyOptions {
        key: key.clone(),
        ..options(vec![label(&p.site)], &fake)
    });
    assert_untouched(&result, &fake, &before, "marker only");

    for (what, dir) in [
        ("empty", p.tmp.path().join("empty")),
        ("new", p.tmp.path().join("new/copy")),
    ] {
        if what == "empty" {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let r = verify(&VerifyOptions {
            key: key.clone(),
            ..options(vec![label(&p.site)], &dir)
        })
        .unwrap();
        assert_eq!(r.exit_code, exit::OK, "{what}: {}", r.to_text());
        for (path, _) in read_manifest(&p.site).files {
            assert_eq!(
                std::fs::read(dir.join(&path)).unwrap(),
                std::fs::read(p.site.join(&path)).unwrap(),
                "{what}: {path}"
            );
        }
    }
}

/// A file the target's own manifest does not list is never overwritten,
/// even where the reference lists it (a newer version added that page).
#[test]
fn repair_never_overwrites_a_file_its_own_manifest_does_not_list() {
    let p = signed();
    let key = p.public_key.clone();
    let stick = p.copy_site("stick");
    std::fs::write(
        p.root.join("content/Brand new note.md"),
        "# Brand new\n\nHello.\n",
    )
    .unwrap();
    p.build(EPOCH + 60);
    let old = read_manifest(&stick);
    let new = read_manifest(&p.site);
    let added: Vec<&String> = new
        .files
        .keys()
        .filter(|f| !old.files.contains_key(*f))
        .collect();
    assert!(!added.is_empty());
    let mine = added[0].clone();
    std::fs::create_dir_all(stick.join(&mine).parent().unwrap()).unwrap();
    std::fs::write(stick.join(&mine), "my own file").unwrap();
    let before = snapshot(&stick);
    let result = verify(&VerifyOptions {
        key: key.clone(),
        ..options(vec![label(&p.site)], &stick)
    });
    assert_untouched(&result, &stick, &before, "unlisted");
    let err = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains(&mine) && err.contains("does not list"),
        "{err}"
    );
    // Moved away, the repair goes through.
    std::fs::remove_file(stick.join(&mine)).unwrap();
    let r = verify(&VerifyOptions {
        key,
        ..options(vec![label(&p.site)], &stick)
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
}

/// Key ids are 8 self-declared bytes: a copy re-signed with the attacker's
/// key wearing the author's id must not look like the author's. Reports and
/// pages show a fingerprint of the key's bytes instead.
#[test]
fn a_forged_key_id_does_not_pass_for_the_authors_key() {
    let p = signed();
    let author_pk = p.public_key.clone().unwrap();
    let (forged, mut m) = hostile_copy(&p, "forged");
    m.version -= 10_000; // same version as the genuine site
    let attacker = attacker_signer(&p, "attacker-keys");
    let forged_pk = with_key_id(&attacker.public_base64, &author_pk);
    assert_eq!(sign::key_id(&forged_pk), sign::key_id(&author_pk));
    m.public_key = Some(forged_pk.clone());
    let sig = sign_as(&attacker, &m);
    write_seal(&forged, &m, Some(sig));

    let author_fp = sign::fingerprint(&author_pk).unwrap();
    let forged_fp = sign::fingerprint(&forged_pk).unwrap();
    assert_ne!(author_fp, forged_fp);
    assert_eq!(
        forged_fp,
        sign::fingerprint(&attacker.public_base64).unwrap(),
        "the fingerprint is of the key bytes, not the declared id"
    );

    // No key pinned: the report names the forged key's fingerprint and says
    // plainly that authorship was not checked.
    let r = verify(&VerifyOptions {
        copies: vec![label(&forged)],
        ..Default::default()
    })
    .unwrap();
    let text = r.to_text();
    let reference = r.reference.as_ref().unwrap();
    assert_eq!(
        reference.key_fingerprint.as_deref(),
        Some(forged_fp.as_str())
    );
    assert!(text.contains(&forged_fp), "{text}");
    assert!(!text.contains(&author_fp), "{text}");
    // The site id (the author's key id, declared) may show; never as a key.
    let author_id = sign::key_id(&author_pk).unwrap();
    assert!(!text.contains(&format!("key {author_id}")), "{text}");
    assert!(!text.contains("key ID"), "{text}");
    assert!(text.contains("authorship NOT checked"), "{text}");
    assert!(
        !text.contains("OK: every copy is current and intact"),
        "{text}"
    );
    assert!(!r.authorship_checked);
    // Pinned: the forgery fails.
    let r = verify(&VerifyOptions {
        copies: vec![label(&forged)],
        key: Some(author_pk.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::NO_VALID_SIGNATURE, "{}", r.to_text());
    // The genuine site with the key pinned: the fingerprint is shown.
    let r = verify(&VerifyOptions {
        copies: vec![label(&p.site)],
        key: Some(author_pk.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK);
    assert!(r.authorship_checked);
    assert!(r.to_text().contains(&author_fp), "{}", r.to_text());

    // Every page's panel shows the fingerprint, not the key id.
    let html = std::fs::read_to_string(p.site.join(first_page(&read_manifest(&p.site)))).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let panel = scraper::Selector::parse("#spore-integrity-panel").unwrap();
    let text: String = doc.select(&panel).next().unwrap().text().collect();
    assert!(text.contains(&author_fp), "{text}");
    assert!(!text.contains(&sign::key_id(&author_pk).unwrap()), "{text}");
}

/// The fingerprint's documented form: SHA-256 of the 32 raw Ed25519 bytes,
/// its first 16 bytes as 8 groups of 4 lower-case hex digits.
#[test]
fn the_fingerprint_is_a_hash_of_the_raw_key_bytes() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let keys = sign::keygen(dir.path(), false, None).unwrap();
    let raw = unb64(&keys.public_base64);
    let digest = hex::encode(sha2::Sha256::digest(&raw[10..42]));
    let expected: Vec<&str> = (0..8).map(|i| &digest[i * 4..i * 4 + 4]).collect();
    assert_eq!(
        sign::fingerprint(&keys.public_base64).unwrap(),
        expected.join("-")
    );
    assert!(sign::fingerprint("not a key").is_err());
}

/// Two different builds under one version are a CONFLICT, with its own
/// exit code, whether signed (key pinned) or not.
#[test]
fn two_manifests_with_one_version_and_different_files_are_a_conflict() {
    let p = signed();
    let key = p.public_key.clone();
    let other = p.copy_site("other");
    let mut m = read_manifest(&other);
    let asset = m
        .files
        .keys()
        .find(|f| f.ends_with(".png"))
        .or_else(|| m.files.keys().find(|f| f.ends_with(".css")))
        .unwrap()
        .clone();
    // An attachment-only change, sealed and signed by the author.
    plant(&other, &mut m, &asset, b"another picture");
    let signer = author_signer(&p);
    let bytes = support::sealed::root_bytes(&m);
    let sig = sign::sign(&signer, &bytes, &m.site.id, m.version).unwrap();
    write_seal(&other, &m, Some(sig));
    for key in [key.clone(), None] {
        let r = verify(&VerifyOptions {
            copies: vec![label(&p.site), label(&other)],
            key: key.clone(),
            ..Default::default()
        })
        .unwrap();
        let text = r.to_text();
        assert_eq!(r.exit_code, exit::CONFLICT, "key {key:?}: {text}");
        for c in &r.copies {
            assert_eq!(c.state, CopyState::Conflict { version: EPOCH }, "{text}");
        }
        assert!(text.contains("CONFLICT"), "{text}");
        assert!(!text.contains("OK: "), "{text}");
    }
    // Repair takes no side.
    let before = snapshot(&other);
    let result = verify(&VerifyOptions {
        key,
        ..options(vec![label(&p.site)], &other)
    });
    assert_untouched(&result, &other, &before, "conflict");
    let err = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("CONFLICT"), "{err}");
}

/// The `.spore-output` marker is covered too: a flipped byte is MODIFIED,
/// and repair puts it back.
#[test]
fn a_flipped_byte_in_the_output_marker_is_caught_and_repaired() {
    let p = signed();
    let key = p.public_key.clone();
    let copy = p.copy_site("copy");
    let marker = copy.join(spore::write::MARKER);
    let original = std::fs::read(&marker).unwrap();
    let mut flipped = original.clone();
    flipped[3] ^= 1;
    std::fs::write(&marker, &flipped).unwrap();
    let r = verify(&VerifyOptions {
        copies: vec![label(&p.site), label(&copy)],
        key: key.clone(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::ALTERED, "{}", r.to_text());
    let problems: Vec<(String, FileStatus)> = r
        .copy(&label(&copy))
        .unwrap()
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.status))
        .collect();
    assert_eq!(
        problems,
        [(spore::write::MARKER.to_string(), FileStatus::Modified)]
    );
    let r = verify(&VerifyOptions {
        key,
        ..options(vec![label(&p.site)], &copy)
    })
    .unwrap();
    assert_eq!(r.exit_code, exit::OK, "{}", r.to_text());
    assert_eq!(std::fs::read(&marker).unwrap(), original);
}
