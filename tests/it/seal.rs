//! The seal stage, as a user meets it: what a build writes into
//! `integrity/` and into every page, and that independent tools accept it.

use crate::support;

use scraper::{Html, Selector};
use sha2::{Digest, Sha256};
use spore::seal::manifest::Manifest;
use support::sealed::{manifest_in, manifest_of, project, root_of, site_files, EPOCH};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn read(site: &std::path::Path, path: &str) -> Vec<u8> {
    std::fs::read(site.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn manifest_lists_every_output_file_with_size_hash_and_note_sources() {
    let p = project(25, 7, true);
    let report = p.build(EPOCH);
    let bytes = read(&p.site, "integrity/manifest.json");
    let root = root_of(&p.site);
    let m = manifest_of(&p.site);
    assert_eq!(m.format, "spore-manifest/2");
    assert_eq!(m.version, EPOCH);
    assert_eq!(m.built, "2023-11-14T22:13:20Z");
    assert_eq!(m.site.title, "Fixture wiki");
    assert_eq!(m.public_key, p.public_key);
    assert_eq!(
        m.public_key
            .as_deref()
            .map(|k| spore::seal::sign::fingerprint(k).unwrap()),
        report.seal.signed_by
    );
    assert_eq!(m.mirrors.len(), 2);
    assert_eq!(m.mirrors[1].location.as_deref(), Some("de"));
    // Canonical: re-serialising gives the same bytes; LF only.
    assert_eq!(root.to_canonical_json(), bytes);
    assert!(!bytes.contains(&b'\r'));
    // About √n shards, each named by its own hash, with its script twin.
    let n = m.files.len();
    assert_eq!(root.shards.len(), 1 << root.shard_bits);
    assert!(root.shards.len() * root.shards.len() >= n, "{n} files");
    assert!(root.shards.len() < 2 * (n as f64).sqrt().ceil() as usize + 2);
    let mut integrity = vec![
        "integrity/SHA256SUMS".to_string(),
        "integrity/manifest.js".into(),
        "integrity/manifest.json".into(),
        "integrity/manifest.json.minisig".into(),
        "integrity/site.meta4".into(),
    ];
    for s in &root.shards {
        let json = read(&p.site, &s.path());
        assert_eq!(
            (sha256(&json), json.len() as u64),
            (s.sha256.clone(), s.size)
        );
        assert_eq!(
            read(&p.site, &s.js_path()),
            spore::seal::shard::shard_js(&s.sha256, &json)
        );
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["files"].as_object().unwrap().len() as u64, s.entries);
        integrity.push(s.path());
        integrity.push(s.js_path());
    }
    integrity.sort();
    integrity.dedup();

    let on_disk = site_files(&p.site);
    let listed: Vec<String> = m.files.keys().cloned().collect();
    let expected: Vec<String> = on_disk
        .iter()
        .filter(|f| !integrity.contains(f))
        .cloned()
        .collect();
    assert_eq!(
        listed, expected,
        "the shards list every file but the integrity index files"
    );
    assert!(listed.contains(&".spore-output".to_string()));
    assert!(listed.contains(&"integrity/verify.js".to_string()));
    let mut notes = 0;
    for (path, entry) in &m.files {
        let b = read(&p.site, path);
        assert_eq!(entry.size, b.len() as u64, "{path}");
        assert_eq!(entry.sha256, sha256(&b), "{path}");
        if let Some(source) = &entry.source {
            notes += 1;
            let src = std::fs::read(p.root.join("content").join(source)).unwrap();
            assert_eq!(
                entry.source_sha256.as_deref(),
                Some(sha256(&src).as_str()),
                "{path}"
            );
            assert!(entry.title.as_deref().is_some_and(|t| !t.is_empty()));
        }
    }
    assert_eq!(notes, report.notes, "every note page carries its source");
    // manifest.js is the same JSON as a classic script.
    let js = String::from_utf8(read(&p.site, "integrity/manifest.js")).unwrap();
    let json = js
        .split_once("window.SPORE_MANIFEST = ")
        .and_then(|(_, rest)| rest.strip_suffix(";\n"))
        .expect("manifest.js assigns the manifest");
    assert_eq!(
        serde_json::from_str::<spore::seal::manifest::Root>(json).unwrap(),
        root
    );
}

#[test]
fn sha256sum_check_passes_on_a_clean_build() {
    let p = project(15, 3, true);
    p.build(EPOCH);
    let sums = String::from_utf8(read(&p.site, "integrity/SHA256SUMS")).unwrap();
    let files = site_files(&p.site);
    // Every file except SHA256SUMS itself and the signature.
    assert_eq!(sums.lines().count(), files.len() - 2);
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").expect("GNU format");
        assert_eq!(hash, sha256(&read(&p.site, path)), "{path}");
    }
    let Ok(out) = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "--quiet", "integrity/SHA256SUMS"])
        .current_dir(&p.site)
        .output()
    else {
        eprintln!("skipped the sha256sum run: sha256sum is not installed");
        return;
    };
    assert!(
        out.status.success(),
        "sha256sum -c failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn signature_verifies_with_an_independent_minisign_implementation() {
    let p = project(5, 11, true);
    p.build(EPOCH);
    let manifest = read(&p.site, "integrity/manifest.json");
    let sig_text = String::from_utf8(read(&p.site, "integrity/manifest.json.minisig")).unwrap();
    let pk = minisign_verify::PublicKey::from_base64(p.public_key.as_deref().unwrap()).unwrap();
    let sig = minisign_verify::Signature::decode(&sig_text).unwrap();
    pk.verify(&manifest, &sig, false)
        .expect("minisign-verify accepts the signature");
    let mut altered = manifest.clone();
    altered[10] ^= 1;
    assert!(pk.verify(&altered, &sig, false).is_err());

    // The file layout `minisign -V` reads: untrusted comment, base64
    // signature with the prehashed `ED` algorithm, trusted comment, global
    // signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let lines: Vec<&str> = sig_text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("untrusted comment: "));
    let raw = b64.decode(lines[1]).unwrap();
    assert_eq!((raw.len(), &raw[..2]), (74, &b"ED"[..]));
    let m = manifest_of(&p.site);
    assert_eq!(
        lines[2],
        format!(
            "trusted comment: timestamp:{EPOCH}\tfile:manifest.json\tsite:{}\tversion:{EPOCH}",
            m.site.id
        )
    );
    assert_eq!(
        sig.trusted_comment(),
        &lines[2]["trusted comment: ".len()..]
    );
    assert_eq!(b64.decode(lines[3]).unwrap().len(), 64);
}

#[test]
fn two_builds_in_different_folders_are_byte_identical() {
    let a = project(30, 5, false);
    let b = project(30, 5, false);
    a.build(EPOCH);
    b.build(EPOCH);
    let files = site_files(&a.site);
    assert_eq!(files, site_files(&b.site));
    for f in &files {
        assert!(
            read(&a.site, f) == read(&b.site, f),
            "{f} differs between two builds of the same vault"
        );
    }
}

#[test]
fn unchanged_pages_keep_their_bytes_across_versions() {
    let p = project(10, 2, false);
    p.build(EPOCH);
    let before = p.copy_site("before");
    p.build(EPOCH + 86_400);
    let m = manifest_of(&p.site);
    assert_eq!(m.version, EPOCH + 86_400);
    for path in m.files.keys().filter(|p| p.ends_with(".html")) {
        assert!(read(&before, path) == read(&p.site, path), "{path} changed");
    }
}

#[test]
fn every_page_carries_its_integrity_block_and_a_true_self_hash() {
    let p = project(20, 9, true);
    p.build(EPOCH);
    let m = manifest_of(&p.site);
    let block = Selector::parse("script#spore-integrity").unwrap();
    let panel = Selector::parse("footer section.integrity#spore-integrity-panel").unwrap();
    let code = Selector::parse("#spore-integrity-panel code.hash").unwrap();
    let mirror_links = Selector::parse("#spore-integrity-panel a").unwrap();
    let script = Selector::parse("script[src]").unwrap();
    let pages: Vec<&String> = m.files.keys().filter(|p| p.ends_with(".html")).collect();
    assert!(pages.len() > 20);
    for path in pages {
        let bytes = read(&p.site, path);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            !text.contains("<!-- spore:integrity -->"),
            "{path}: marker left"
        );
        let doc = Html::parse_document(&text);
        let blocks: Vec<_> = doc.select(&block).collect();
        assert_eq!(blocks.len(), 1, "{path}");
        let data: serde_json::Value = serde_json::from_str(&blocks[0].inner_html()).unwrap();
        assert_eq!(data["path"], path.as_str());
        let root = "../".repeat(path.matches('/').count());
        assert_eq!(data["manifest"], format!("{root}integrity/manifest.json"));
        assert_eq!(data["public_key"].as_str(), p.public_key.as_deref());
        let self_hash = data["self"].as_str().unwrap();
        assert_eq!(
            spore::seal::page::recompute_self(&bytes, self_hash),
            self_hash,
            "{path}"
        );
        let entry = &m.files[path];
        assert_eq!(data["source"].as_str(), entry.source.as_deref(), "{path}");
        assert_eq!(
            data["source_sha256"].as_str(),
            entry.source_sha256.as_deref()
        );
        let mirrors: Vec<&str> = data["mirrors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let encoded = spore::portable::encode_path(path);
        assert_eq!(
            mirrors,
            [
                format!("https://a.example/wiki/{encoded}"),
                format!("https://b.example/{encoded}")
            ]
        );
        // The visible panel shows the hash and links this page on every mirror.
        assert_eq!(doc.select(&panel).count(), 1, "{path}");
        assert!(doc
            .select(&code)
            .any(|c| c.text().collect::<String>() == self_hash));
        let hrefs: Vec<String> = doc
            .select(&mirror_links)
            .filter_map(|a| a.value().attr("href").map(String::from))
            .collect();
        assert_eq!(hrefs, mirrors);
        assert!(doc
            .select(&script)
            .any(|s| s.value().attr("src") == Some(&format!("{root}integrity/verify.js"))));
    }
    support::linkcheck::assert_site_links_ok(&p.site);
}

#[test]
fn metalink_lists_every_file_with_hash_and_one_url_per_mirror() {
    let p = project(8, 4, false);
    p.build(EPOCH);
    let m = manifest_of(&p.site);
    let xml = String::from_utf8(read(&p.site, "integrity/site.meta4")).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">"));
    let doc = Html::parse_document(&xml);
    let file = Selector::parse("file").unwrap();
    let size = Selector::parse("size").unwrap();
    let hash = Selector::parse("hash").unwrap();
    let url = Selector::parse("url").unwrap();
    let mut named = Vec::new();
    for f in doc.select(&file) {
        let name = f.value().attr("name").unwrap().to_string();
        let urls: Vec<String> = f.select(&url).map(|u| u.text().collect()).collect();
        let encoded = spore::portable::encode_path(&name);
        assert_eq!(
            urls,
            [
                format!("https://a.example/wiki/{encoded}"),
                format!("https://b.example/{encoded}")
            ]
        );
        let url_only = ["integrity/manifest.json.minisig", "integrity/SHA256SUMS"];
        if let Some(entry) = m.files.get(&name) {
            let s: String = f.select(&size).next().unwrap().text().collect();
            let h = f.select(&hash).next().unwrap();
            assert_eq!(h.value().attr("type"), Some("sha-256"));
            assert_eq!(s, entry.size.to_string());
            assert_eq!(h.text().collect::<String>(), entry.sha256);
        } else if url_only.contains(&name.as_str()) {
            assert!(f.select(&hash).next().is_none(), "{name}");
        } else {
            // The root, its script, the shards and theirs: hashed as on disk.
            assert!(name.starts_with("integrity/"), "{name}");
            let h: String = f.select(&hash).next().unwrap().text().collect();
            assert_eq!(h, sha256(&read(&p.site, &name)), "{name}");
        }
        named.push(name);
    }
    // Everything but the metalink itself.
    let mut expected: Vec<String> = site_files(&p.site)
        .into_iter()
        .filter(|f| f != "integrity/site.meta4")
        .collect();
    expected.retain(|f| f != "integrity/manifest.json.minisig" || p.public_key.is_some());
    named.sort();
    let mut with_sig = expected.clone();
    with_sig.push("integrity/manifest.json.minisig".into());
    with_sig.sort();
    assert!(named == with_sig, "{named:?}");
}

#[test]
fn a_secret_key_inside_the_vault_or_output_is_refused() {
    let p = project(3, 1, false);
    let keys = spore::seal::sign::keygen(&p.root.join("content/.keys"), false, None).unwrap();
    let mut config = p.config();
    config.integrity.secret_key = Some(keys.secret_path.clone());
    let err = spore::build(&config, &spore::BuildOptions::default()).expect_err("refused");
    assert!(
        matches!(
            err,
            spore::pipeline::BuildError::Seal(spore::seal::SealError::Key(
                spore::seal::sign::KeyError::KeyInsidePublishedFolder { .. }
            ))
        ),
        "{err}"
    );
    assert!(!p.site.exists(), "nothing written");
    assert!(err.to_string().contains("would be published"));
}

#[test]
fn version_comes_from_the_newest_git_commit_of_the_vault() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("v");
    std::fs::create_dir_all(&vault).unwrap();
    std::fs::write(vault.join("a.md"), "# A\n").unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&vault)
            .env("GIT_AUTHOR_DATE", "@1600000000 +0000")
            .env("GIT_COMMITTER_DATE", "@1600000000 +0000")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .output()
    };
    let notes = [spore::load::parse_note("a.md", b"# A\n", Some(1_650_000_000)).0];
    if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
        eprintln!("skipped: SOURCE_DATE_EPOCH is set in this environment");
        return;
    }
    let v = spore::seal::version::site_version(None, &vault, notes.iter()).unwrap();
    assert_eq!(v.version, 1_650_000_000, "no git: newest note mtime");
    let ok = git(&["init", "-q"]).is_ok_and(|o| o.status.success())
        && git(&["add", "a.md"]).is_ok_and(|o| o.status.success())
        && git(&["commit", "-q", "-m", "a"]).is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped the git half: git is not available");
        return;
    }
    let v = spore::seal::version::site_version(None, &vault, notes.iter()).unwrap();
    assert_eq!(v.version, 1_600_000_000);
    assert_eq!(v.source, spore::seal::version::VersionSource::GitCommit);
}

#[test]
fn a_malformed_public_key_is_an_error() {
    let p = project(2, 1, false);
    let mut config = p.config();
    config.integrity.public_key = Some("not-a-key".into());
    let err = spore::build(&config, &spore::BuildOptions::default()).expect_err("refused");
    assert!(
        err.to_string().contains("not a minisign public key"),
        "{err}"
    );
}

/// A note may hold the integrity marker itself (as raw HTML in its text):
/// the block still goes where the theme put the marker, in the footer, and
/// the page's self hash still holds.
#[test]
fn a_marker_written_in_a_note_does_not_move_the_integrity_block() {
    let p = project(3, 5, false);
    std::fs::write(
        p.root.join("content/Marker.md"),
        "# Marker\n\nA note that quotes the marker:\n\n<!-- spore:integrity -->\n\nand goes on.\n",
    )
    .unwrap();
    p.build(EPOCH);
    let bytes = read(&p.site, "Marker.html");
    assert_eq!(spore::seal::page::check_self(&bytes), Some(true));
    let html = Html::parse_document(&String::from_utf8(bytes).unwrap());
    let in_footer = Selector::parse("footer #spore-integrity-panel").unwrap();
    let anywhere = Selector::parse("#spore-integrity-panel").unwrap();
    assert_eq!(
        html.select(&in_footer).count(),
        1,
        "the panel is in the footer"
    );
    assert_eq!(html.select(&anywhere).count(), 1, "and only there");
}

fn manifest_at(site: &std::path::Path) -> Manifest {
    manifest_of(site)
}

/// Vault file of a published note of `site` (the first the manifest names).
fn some_note(p: &support::sealed::Project) -> std::path::PathBuf {
    let source = manifest_at(&p.site)
        .files
        .values()
        .find_map(|e| e.source.clone())
        .unwrap();
    p.root.join("content").join(source)
}

#[test]
fn a_retracted_note_never_lowers_the_version() {
    let p = project(6, 3, false);
    p.build(EPOCH + 500);
    // Retracting the newest note (or restoring old modification times)
    // makes the version computed from the vault drop.
    std::fs::remove_file(some_note(&p)).unwrap();
    let report = p.build(EPOCH);
    assert_eq!(report.seal.version, EPOCH + 501);
    assert_eq!(report.seal.raised_from, Some(EPOCH), "said in the summary");
    assert_eq!(manifest_at(&p.site).version, EPOCH + 501);
    // Rebuilt unchanged, it keeps that version.
    p.build(EPOCH);
    assert_eq!(manifest_at(&p.site).version, EPOCH + 501);
}

#[test]
fn an_unchanged_rebuild_keeps_its_version_and_its_bytes() {
    let p = project(6, 4, false);
    p.build(EPOCH + 500);
    let before = read(&p.site, "integrity/manifest.json");
    let meta4 = read(&p.site, "integrity/site.meta4");
    p.build(EPOCH);
    assert!(read(&p.site, "integrity/manifest.json") == before);
    assert!(read(&p.site, "integrity/site.meta4") == meta4);
    // A newer version from the vault is still taken (versions may grow).
    p.build(EPOCH + 600);
    assert_eq!(manifest_at(&p.site).version, EPOCH + 600);
}

#[test]
fn an_attachment_only_change_gets_a_new_version() {
    let p = project(12, 5, false);
    p.build(EPOCH);
    let first = manifest_at(&p.site);
    let image = first
        .files
        .keys()
        .find(|f| f.ends_with(".png") && p.root.join("content").join(f).is_file())
        .expect("a published image")
        .clone();
    std::fs::write(
        p.root.join("content").join(&image),
        support::gen_vault::png_bytes([1, 2, 3]),
    )
    .unwrap();
    p.build(EPOCH);
    let second = manifest_at(&p.site);
    assert_ne!(first.files[&image], second.files[&image]);
    assert_eq!(second.version, EPOCH + 1, "different content, new version");
}

#[test]
fn the_same_vault_over_the_same_previous_output_seals_the_same() {
    let p = project(6, 6, false);
    p.build(EPOCH + 10);
    let note = some_note(&p);
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\nOne more line.\n");
    std::fs::write(&note, text).unwrap();
    let previous = p.copy_site("previous");
    p.build(EPOCH);
    let first = read(&p.site, "integrity/manifest.json");
    assert_eq!(manifest_at(&p.site).version, EPOCH + 11);
    std::fs::remove_dir_all(&p.site).unwrap();
    support::sealed::copy_dir(&previous, &p.site);
    p.build(EPOCH);
    assert!(read(&p.site, "integrity/manifest.json") == first);
}

/// The output's manifest is input from disk: a link is not followed, a
/// huge file or a FIFO is not read whole or waited on, an absurd version
/// is not believed. Each is a warning, and the build goes on.
#[cfg(unix)]
#[test]
fn a_hostile_previous_manifest_is_read_bounded_and_without_following_links() {
    use spore::diagnostics::DiagnosticKind;
    let p = project(4, 8, false);
    let manifest_path = p.site.join("integrity/manifest.json");
    let warned = |r: &spore::BuildReport| {
        r.diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::Other && d.message.contains("manifest.json"))
    };
    let mut n = 0;
    let mut change = |p: &support::sealed::Project| {
        n += 1;
        std::fs::write(
            p.root.join("content").join(format!("extra-{n}.md")),
            "new\n",
        )
        .unwrap();
    };

    // A link to a manifest elsewhere that claims a far higher version.
    p.build(EPOCH);
    let mut far = manifest_at(&p.site);
    far.version = EPOCH + 1_000_000;
    let elsewhere = p.tmp.path().join("elsewhere.json");
    std::fs::write(&elsewhere, far.to_canonical_json()).unwrap();
    std::fs::remove_file(&manifest_path).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &manifest_path).unwrap();
    change(&p);
    let r = p.build(EPOCH + 5);
    assert_eq!(r.seal.version, EPOCH + 5, "the link was not followed");
    assert!(warned(&r), "{:?}", r.diagnostics);

    // The same through a linked `integrity` folder.
    let elsewhere_dir = p.tmp.path().join("elsewhere-dir");
    std::fs::create_dir_all(&elsewhere_dir).unwrap();
    std::fs::copy(&elsewhere, elsewhere_dir.join("manifest.json")).unwrap();
    std::fs::remove_dir_all(p.site.join("integrity")).unwrap();
    std::os::unix::fs::symlink(&elsewhere_dir, p.site.join("integrity")).unwrap();
    change(&p);
    let r = p.build(EPOCH + 6);
    assert_eq!(r.seal.version, EPOCH + 6);
    assert!(warned(&r));

    // Absurd versions are not believed (and nothing overflows).
    for absurd in [i64::MAX, -1, 253_402_300_800] {
        let mut m = manifest_at(&p.site);
        m.version = absurd;
        std::fs::write(&manifest_path, m.to_canonical_json()).unwrap();
        change(&p);
        let r = p.build(EPOCH + 7);
        assert_eq!(r.seal.version, EPOCH + 7, "version {absurd}");
        assert!(warned(&r));
    }

    // A sparse file of a terabyte is not read whole.
    std::fs::remove_file(&manifest_path).unwrap();
    std::fs::File::create(&manifest_path)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    change(&p);
    let start = std::time::Instant::now();
    let r = p.build(EPOCH + 8);
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(r.seal.version, EPOCH + 8);
    assert!(warned(&r));

    // A FIFO is not waited on.
    std::fs::remove_file(&manifest_path).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&manifest_path)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        change(&p);
        let r = p.build(EPOCH + 9);
        assert_eq!(r.seal.version, EPOCH + 9);
        assert!(warned(&r));
    }
}

#[test]
fn an_invalid_source_date_epoch_is_an_error() {
    let p = project(2, 1, false);
    let build = |value: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spore"))
            .arg("build")
            .arg(&p.root)
            .env("SOURCE_DATE_EPOCH", value)
            .output()
            .expect("run spore")
    };
    for bad in [
        "yesterday",
        "1.5",
        "-5",
        "+5",
        "1e9",
        " 17",
        "17\n",
        "99999999999999999999",
        "253402300800",
    ] {
        let out = build(bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {stderr}");
        assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{bad:?}: {stderr}");
        assert!(!p.site.exists(), "{bad:?}: nothing written");
    }
    // `serve` refuses to start too (saving a note cannot fix it).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spore"))
        .args(["serve", "--port", "0"])
        .arg(&p.root)
        .env("SOURCE_DATE_EPOCH", "1.5")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run spore serve");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.and_then(|s| s.code()), Some(1), "serve started");

    let out = build("1700000000");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(manifest_at(&p.site).version, 1_700_000_000);
}

/// `serve` seals in memory the version `spore build` would seal: it reads
/// the output folder's manifest once, when it starts.
#[test]
fn the_preview_seals_the_version_a_build_would() {
    let p = project(5, 9, false);
    p.build(EPOCH + 500);
    std::fs::write(p.root.join("content/new.md"), "# New\n").unwrap();
    let options = spore::BuildOptions {
        source_date_epoch: Some(EPOCH),
        ..Default::default()
    };
    let live = spore::serve::incremental::LiveSite::build(p.config(), options.clone()).unwrap();
    let manifest = |site: &spore::site::Site| manifest_in(site);
    assert_eq!(manifest(live.site()).version, EPOCH + 501);
    let built = spore::pipeline::build_site(&p.config(), &options).unwrap();
    assert_eq!(manifest(&built.site).version, EPOCH + 501);
}
