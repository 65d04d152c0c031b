//! `spore::ipfs`: the root CID of a built site against a second UnixFS
//! importer (js `ipfs-unixfs-importer`, through `tests/ipfs/cid.mjs`), and
//! the CAR against `ipfs-car unpack`, which must give the site back byte
//! for byte. kubo's own published CIDs are checked in `src/ipfs/tests.rs`.
//!
//! The tests that need node and `tests/ipfs/node_modules` skip with a
//! printed reason when either is missing, and fail instead when
//! `SPORE_REQUIRE_IPFS_TOOLS=1` (`scripts/test.sh` installs and sets it).

use crate::support::fixture::{self, noise};
use spore::ipfs::{self, Profile};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ipfs")
}

fn tools_available(test: &str) -> bool {
    let node = Command::new("node").arg("--version").output();
    let reason = if !node.is_ok_and(|o| o.status.success()) {
        "node is not installed"
    } else if !tools_dir()
        .join("node_modules/ipfs-unixfs-importer")
        .is_dir()
        || !tools_dir().join("node_modules/ipfs-car").is_dir()
    {
        "tests/ipfs/node_modules is missing (run `npm ci` in tests/ipfs)"
    } else {
        return true;
    };
    if std::env::var("SPORE_REQUIRE_IPFS_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{test}: the IPFS tools are required but cannot run: {reason}");
    }
    eprintln!("skipping {test}: {reason}");
    false
}

fn js_root(dir: &Path, profile: &str) -> String {
    let out = Command::new("node")
        .arg(tools_dir().join("cid.mjs"))
        .arg(dir)
        .arg(profile)
        .output()
        .expect("runs node");
    assert!(
        out.status.success(),
        "cid.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A built site with an attachment of several chunks.
fn built_site() -> fixture::BuiltVault {
    let big = noise(700_000, 1);
    fixture::build_bytes(&[
        ("Home.md", b"# Home\n\nSee [[Other]] and ![[photo.png]].\n"),
        ("Other.md", b"# Other\n\nBack to [[Home]].\n"),
        ("notes/Deep.md", b"# Deep\n\nIn a folder.\n"),
        ("photo.png", &big),
    ])
}

/// A folder at the edges: empty file, one chunk exactly, one byte over,
/// an empty folder, a hidden file, and a folder past kubo's HAMT
/// threshold (2000 × (100 + 36) bytes of names and CIDs > 256 KiB).
fn edge_folder() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(d.join("empty"), b"").expect("write");
    std::fs::write(d.join("chunk"), noise(262_144, 2)).expect("write");
    std::fs::write(d.join("chunk+1"), noise(262_145, 3)).expect("write");
    std::fs::write(d.join(".hidden"), b"left out").expect("write");
    std::fs::create_dir_all(d.join("nothing/inside")).expect("mkdir");
    let big = d.join("many");
    std::fs::create_dir(&big).expect("mkdir");
    for i in 0..2000 {
        std::fs::write(big.join(format!("{i:0100}")), format!("{i}")).expect("write");
    }
    tmp
}

#[test]
fn site_root_matches_the_js_importer() {
    if !tools_available("site_root_matches_the_js_importer") {
        return;
    }
    let site = built_site();
    for (profile, name) in [
        (Profile::kubo_v1(), "kubo-v1"),
        (Profile::unixfs_v1_2025(), "unixfs-v1-2025"),
    ] {
        let ours = ipfs::root_cid(&site.out, &profile)
            .expect("root")
            .to_string();
        assert_eq!(ours, js_root(&site.out, name), "profile {name}");
    }
}

#[test]
fn edge_folder_root_matches_the_js_importer() {
    if !tools_available("edge_folder_root_matches_the_js_importer") {
        return;
    }
    let dir = edge_folder();
    for (profile, name) in [
        (Profile::kubo_v1(), "kubo-v1"),
        (Profile::unixfs_v1_2025(), "unixfs-v1-2025"),
    ] {
        let ours = ipfs::root_cid(dir.path(), &profile)
            .expect("root")
            .to_string();
        assert_eq!(ours, js_root(dir.path(), name), "profile {name}");
    }
}

/// Every file below `dir` but those under a name starting with `.`,
/// relative, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let e = e.expect("walk");
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("below")
                .to_string_lossy()
                .into_owned();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).expect("read"));
            (rel, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn car_unpacks_to_the_site_byte_for_byte() {
    if !tools_available("car_unpacks_to_the_site_byte_for_byte") {
        return;
    }
    let site = built_site();
    let work = tempfile::tempdir().expect("tempdir");
    let car = work.path().join("site.car");
    let root = ipfs::write_car_file(&site.out, &Profile::kubo_v1(), &car).expect("car");
    let unpacked = work.path().join("unpacked");
    let out = Command::new("node")
        .arg(tools_dir().join("node_modules/ipfs-car/bin.js"))
        .arg("unpack")
        .arg(&car)
        .arg("--output")
        .arg(&unpacked)
        .output()
        .expect("runs node");
    assert!(
        out.status.success(),
        "ipfs-car unpack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = tree(&site.out);
    assert!(ours.iter().any(|(p, _)| p == "photo.png"), "{ours:?}");
    assert_eq!(tree(&unpacked), ours, "root {root}");
}

/// Reads a CAR v1: the header's bytes and each block's (CID, data).
fn read_car(bytes: &[u8]) -> (Vec<u8>, Vec<(cid::Cid, Vec<u8>)>) {
    fn varint(b: &[u8], at: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= ((byte & 0x7f) as usize) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let mut at = 0;
    let len = varint(bytes, &mut at);
    let header = bytes[at..at + len].to_vec();
    at += len;
    let mut blocks = Vec::new();
    while at < bytes.len() {
        let len = varint(bytes, &mut at);
        let mut section = &bytes[at..at + len];
        let cid = cid::Cid::read_bytes(&mut section).expect("cid");
        blocks.push((cid, section.to_vec()));
        at += len;
    }
    (header, blocks)
}

#[test]
fn car_names_the_root_and_holds_each_block_once_under_its_hash() {
    let dir = edge_folder();
    // Two files with the same bytes: their blocks are written once.
    std::fs::write(dir.path().join("chunk-again"), noise(262_144, 2)).expect("write");
    let profile = Profile::kubo_v1();
    let mut car = Vec::new();
    let root = ipfs::write_car(dir.path(), &profile, &mut car).expect("car");
    assert_eq!(root, ipfs::root_cid(dir.path(), &profile).expect("root"));
    let (header, blocks) = read_car(&car);
    let root_bytes = root.to_bytes();
    assert!(header
        .windows(root_bytes.len())
        .any(|w| w == root_bytes.as_slice()));
    assert!(header.ends_with(b"\x67version\x01"));
    let mut seen = HashSet::new();
    for (cid, data) in &blocks {
        assert!(seen.insert(*cid), "{cid} written twice");
        let again = ipfs::block_cid(ipfs::CidVersion::V1, cid.codec(), data);
        assert_eq!(*cid, again, "block under a CID that is not its hash");
    }
    assert!(seen.contains(&root));
    // The CAR is the same every time.
    let mut car2 = Vec::new();
    ipfs::write_car(dir.path(), &profile, &mut car2).expect("car");
    assert!(car == car2, "two CARs of one folder differ");
}

#[test]
fn hidden_names_are_left_out() {
    let dir = edge_folder();
    let profile = Profile::kubo_v1();
    let before = ipfs::root_cid(dir.path(), &profile).expect("root");
    std::fs::write(dir.path().join("nothing/.DS_Store"), b"x").expect("write");
    assert_eq!(ipfs::root_cid(dir.path(), &profile).expect("root"), before);
    std::fs::write(dir.path().join("nothing/seen"), b"x").expect("write");
    assert_ne!(ipfs::root_cid(dir.path(), &profile).expect("root"), before);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_refused_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("real"), b"x").expect("write");
    let link = dir.path().join("sub/link");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(dir.path().join("real"), &link).expect("symlink");
    let err = ipfs::root_cid(dir.path(), &Profile::kubo_v1()).expect_err("refused");
    assert!(matches!(err, ipfs::IpfsError::Symlink { .. }), "{err}");
    assert!(
        err.to_string().contains(&link.display().to_string()),
        "{err}"
    );
    let err = ipfs::write_car(dir.path(), &Profile::kubo_v1(), Vec::new()).expect_err("refused");
    assert!(matches!(err, ipfs::IpfsError::Symlink { .. }), "{err}");
}
