//! `spore pack` and `spore build --pack` as a user runs them: the packs
//! land beside the site, name what the library computes, say which
//! mirrors cannot be web seeds, are the same bytes on a second run, and
//! are never written for a folder Spore did not build or through a link.

use std::path::Path;
use std::process::{Command, Output};

fn spore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spore"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A project: `book.toml` with two mirrors (one serving the site under
/// the folder `wiki`, one at its host's root) and a small vault.
fn project(root: &Path) {
    std::fs::create_dir_all(root.join("content/notes")).expect("mkdir");
    std::fs::write(
        root.join("book.toml"),
        "[book]\ntitle = \"Packed\"\n\n[build]\noutput = \"wiki\"\n\n[mirrors]\nurls = [\"https://example.org/wiki/\", \"https://root.example.net/\"]\n",
    )
    .expect("book.toml");
    std::fs::write(
        root.join("content/index.md"),
        "# Home\n\nSee [[notes/One]].\n",
    )
    .expect("note");
    std::fs::write(
        root.join("content/notes/One.md"),
        "One, linked from home.\n",
    )
    .expect("note");
}

fn run(args: &[&str], dir: &Path) -> Output {
    spore().args(args).arg(dir).output().expect("run spore")
}

#[test]
fn build_pack_writes_the_packs_beside_the_site_and_they_name_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    project(&root);
    let built = run(&["build", "--pack"], &root);
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let site = root.join("wiki");
    let stdout = text(&built.stdout);
    let stderr = text(&built.stderr);

    // Beside the site, not inside it.
    for ext in ["car", "cid", "torrent", "magnet"] {
        assert!(
            root.join(format!("wiki.{ext}")).is_file(),
            "wiki.{ext}\n{stdout}"
        );
        assert!(!site.join(format!("wiki.{ext}")).exists());
    }
    // The CID printed and written is the folder's, as the library makes it.
    let cid = std::fs::read_to_string(root.join("wiki.cid")).expect("cid");
    let expected = spore::ipfs::root_cid(&site, &spore::ipfs::Profile::kubo_v1()).expect("cid");
    assert_eq!(cid.trim(), expected.to_string());
    assert!(
        stdout.contains(&format!("IPFS root CID: {expected}")),
        "{stdout}"
    );
    // The CAR starts with its header naming that root.
    let car = std::fs::read(root.join("wiki.car")).expect("car");
    let root_bytes = expected.to_bytes();
    assert!(
        car[..car.len().min(128)]
            .windows(root_bytes.len())
            .any(|w| w == root_bytes),
        "the CAR's header names the root"
    );
    // The torrent: named after the mirrors' folder, the mirror at its
    // host's root left out with a warning naming it.
    let torrent = std::fs::read(root.join("wiki.torrent")).expect("torrent");
    let made = spore::torrent::make_torrent(
        &site,
        &spore::torrent::TorrentOptions {
            name: None,
            mirrors: vec![
                "https://example.org/wiki/".into(),
                "https://root.example.net/".into(),
            ],
        },
    )
    .expect("torrent");
    assert_eq!(torrent, made.bytes);
    assert_eq!(made.name, "wiki");
    assert_eq!(made.web_seeds, vec!["https://example.org/".to_string()]);
    let magnet = std::fs::read_to_string(root.join("wiki.magnet")).expect("magnet");
    assert!(magnet.starts_with(&format!("magnet:?xt=urn:btih:{}", made.info_hash_hex())));
    assert!(stdout.contains(&made.info_hash_hex()), "{stdout}");
    assert!(
        stderr.contains("warning: mirror https://root.example.net/ is not a web seed"),
        "{stderr}"
    );

    // Again: the same bytes (a CID and an info-hash are of the bytes only).
    let again = run(&["pack"], &root);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(std::fs::read(root.join("wiki.car")).expect("car"), car);
    assert_eq!(
        std::fs::read(root.join("wiki.torrent")).expect("torrent"),
        torrent
    );
    // No partial file left behind.
    let names: Vec<String> = std::fs::read_dir(&root)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn only_the_pack_asked_for_is_made() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    project(&root);
    assert_eq!(run(&["build", "--quiet"], &root).status.code(), Some(0));
    let ipfs = run(&["pack", "--ipfs"], &root);
    assert_eq!(ipfs.status.code(), Some(0), "{}", text(&ipfs.stderr));
    assert!(root.join("wiki.car").is_file() && root.join("wiki.cid").is_file());
    assert!(!root.join("wiki.torrent").exists() && !root.join("wiki.magnet").exists());
    let torrent = run(&["pack", "--torrent", "--torrent-name", "elsewhere"], &root);
    assert_eq!(torrent.status.code(), Some(0), "{}", text(&torrent.stderr));
    assert!(text(&torrent.stdout).contains("named \"elsewhere\""));
    // Both mirrors now serve it under another name: neither is a seed.
    assert_eq!(
        text(&torrent.stderr).matches("is not a web seed").count(),
        2
    );
}

#[test]
fn a_folder_spore_did_not_build_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    project(&root);
    std::fs::create_dir_all(root.join("wiki")).expect("mkdir");
    std::fs::write(root.join("wiki/index.html"), "not Spore's").expect("write");
    let out = run(&["pack"], &root);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a site Spore built"),
        "{}",
        text(&out.stderr)
    );
    assert!(!root.join("wiki.car").exists() && !root.join("wiki.torrent").exists());
}

#[cfg(unix)]
#[test]
fn a_pack_is_never_written_through_a_link() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    project(&root);
    assert_eq!(run(&["build", "--quiet"], &root).status.code(), Some(0));
    let elsewhere = tmp.path().join("elsewhere.car");
    std::fs::write(&elsewhere, "keep me").expect("write");
    std::os::unix::fs::symlink(&elsewhere, root.join("wiki.car")).expect("symlink");
    let out = run(&["pack", "--ipfs"], &root);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("symlink"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&elsewhere).expect("read"),
        "keep me"
    );
}

#[test]
fn verify_checks_the_cid_file_beside_a_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    project(&root);
    assert_eq!(
        run(&["build", "--quiet", "--pack"], &root).status.code(),
        Some(0)
    );
    let site = root.join("wiki");
    let cid = std::fs::read_to_string(root.join("wiki.cid")).expect("cid");
    let cid = cid.trim();
    let ok = spore().arg("verify").arg(&site).output().expect("verify");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    assert!(
        text(&ok.stdout).contains(&format!("IPFS root CID {cid}, as ")),
        "{}",
        text(&ok.stdout)
    );
    // The folder changes after the pack: the CID file is stale, and says so
    // (the copy itself is judged on its manifest, as always).
    std::fs::write(site.join("notes.txt"), "added after packing").expect("write");
    let stale = spore()
        .arg("verify")
        .arg(&site)
        .arg("--json")
        .output()
        .expect("verify");
    let json: serde_json::Value = serde_json::from_slice(&stale.stdout).expect("json");
    let ipfs = &json["copies"][0]["ipfs"];
    assert_eq!(ipfs["named"], cid, "{json}");
    assert_ne!(ipfs["computed"], cid, "{json}");
    let text_out = spore().arg("verify").arg(&site).output().expect("verify");
    assert!(
        text(&text_out.stdout).contains("that IPFS pack is of another version"),
        "{}",
        text(&text_out.stdout)
    );
}

/// Every URL a page of the site names, fetched as a reader on an IPFS
/// gateway would (`http://gateway/ipfs/<CID>/…`): each resolves under the
/// CID's path and is there. Relative URLs are what make it work; a single
/// `/`-rooted URL would leave the CID behind.
#[test]
fn the_site_works_under_an_ipfs_gateway_path() {
    use crate::support::fixture::{build_bytes, noise};
    use crate::support::static_server::StaticServer;
    let picture = noise(300_000, 7);
    let built = build_bytes(&[
        (
            "index.md",
            b"# Home\n\nSee [[deep/Note]] and ![[pic.png]] #topic\n",
        ),
        (
            "deep/Note.md",
            b"---\ntags: [topic]\n---\nBack [[index|home]], see [[deep/sub/Leaf#Part]].\n",
        ),
        ("deep/sub/Leaf.md", b"## Part\n\nA leaf. [[Missing]]\n"),
        ("pic.png", &picture),
    ]);
    let cid = spore::ipfs::root_cid(&built.out, &spore::ipfs::Profile::kubo_v1()).expect("cid");
    // The gateway's tree: the site's files (dot-files left out, as IPFS
    // leaves them out) under ipfs/<CID>/.
    let gateway = tempfile::tempdir().expect("tempdir");
    let prefix = format!("ipfs/{cid}/");
    for entry in walkdir::WalkDir::new(&built.out).min_depth(1) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(&built.out).expect("inside");
        if rel
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let to = gateway.path().join(&prefix).join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
    let server = StaticServer::start(gateway.path());
    let base = url_path(&server.base_url);
    let mut queue = vec![format!("{base}{prefix}index.html")];
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 0;
    while let Some(url) = queue.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        assert!(
            url.starts_with(&format!("{base}{prefix}")),
            "{url} leaves the CID's path"
        );
        let full = format!("{}{}", server.base_url.trim_end_matches('/'), url);
        let mut response = ureq::get(&full)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status(), 200, "{url}");
        if !url.ends_with(".html") {
            continue;
        }
        pages += 1;
        let html = response.body_mut().read_to_string().expect("page");
        let page = scraper::Html::parse_document(&html);
        let selector = scraper::Selector::parse("[href], [src]").expect("selector");
        for element in page.select(&selector) {
            for attr in ["href", "src"] {
                let Some(target) = element.value().attr(attr) else {
                    continue;
                };
                let target = target.split(['#', '?']).next().unwrap_or_default();
                if target.is_empty()
                    || crate::support::linkcheck::has_scheme(target)
                    || target.starts_with("//")
                {
                    continue;
                }
                assert!(
                    !target.starts_with('/'),
                    "{url}: {target} is rooted at the host"
                );
                queue.push(join(&url, target));
            }
        }
    }
    assert!(pages >= 5, "pages crawled: {pages}");
    assert!(seen.iter().any(|u| u.ends_with("pic.png")), "{seen:?}");
}

/// The path of `http://host:port/`: `/`.
fn url_path(base: &str) -> String {
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/".into(), |i| after_scheme[i..].to_string())
}

/// `target` (relative) against the page at `page` (a path from `/`).
fn join(page: &str, target: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for segment in target.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}
