//! The torrent of a tiny folder, byte for byte, and what is left out or
//! refused.

use super::*;

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let full = tmp.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    tmp
}

fn options(name: &str, mirrors: &[&str]) -> TorrentOptions {
    TorrentOptions {
        name: Some(name.to_string()),
        mirrors: mirrors.iter().map(|m| m.to_string()).collect(),
    }
}

#[test]
fn golden_bytes() {
    let site = folder(&[
        ("b.txt", "hello"),
        ("a/c.txt", "world"),
        (".spore-output", ""),
        (".git/config", "x"),
        ("a/.hidden", "x"),
    ]);
    let t = make_torrent(
        site.path(),
        &options("wiki", &["https://m.example/pub/wiki/", "ftp://x/wiki/"]),
    )
    .expect("torrent");
    // Files in path order (a/c.txt before b.txt), so the one piece is
    // SHA-1("worldhello").
    let piece = hex::decode("5715790a892990382d98858c4aa38d0617151575").expect("hex");
    let mut info = b"d5:filesld6:lengthi5e4:pathl1:a5:c.txteed6:lengthi5e4:pathl5:b.txteee\
4:name4:wiki12:piece lengthi16384e6:pieces20:"
        .to_vec();
    info.extend_from_slice(&piece);
    info.push(b'e');
    let mut expected = b"d4:info".to_vec();
    expected.extend_from_slice(&info);
    expected.extend_from_slice(b"8:url-listl22:https://m.example/pub/ee");
    assert_eq!(
        String::from_utf8_lossy(&t.bytes),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(t.bytes, expected);
    assert_eq!(
        t.info_hash_hex(),
        "1f5242f64a7f381e91812dc2ab0918f8bb0c67ab"
    );
    assert_eq!((t.files, t.total_length, t.pieces), (2, 10, 1));
    assert_eq!(t.refused_mirrors.len(), 1);
    assert_eq!(t.refused_mirrors[0].reason, Refusal::NotHttp);
    assert_eq!(
        t.magnet(),
        "magnet:?xt=urn:btih:1f5242f64a7f381e91812dc2ab0918f8bb0c67ab&dn=wiki\
&ws=https://m.example/pub/"
    );
}

#[test]
fn two_runs_give_one_torrent_and_pieces_cross_files() {
    // Over 2048 × 16 KiB, so 32 KiB pieces, many spanning two files.
    let big = "0123456789abcdef".repeat(1024 * 3);
    let mut files: Vec<(String, String)> = (0..700)
        .map(|i| (format!("d{}/f{i}.txt", i % 7), format!("{i}{big}")))
        .collect();
    files.push(("empty.txt".into(), String::new()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = folder(&refs);
    let a = make_torrent(site.path(), &options("s", &[])).expect("first");
    let b = make_torrent(site.path(), &options("s", &[])).expect("second");
    assert_eq!(a, b);
    assert_eq!(a.piece_length, 32 * 1024);
    // The pieces are the SHA-1s of the files' bytes joined in the
    // torrent's order, cut every 32 KiB.
    let mut listed = files::list(site.path()).expect("list");
    listed.sort_by(|x, y| x.components.cmp(&y.components));
    let mut stream = Vec::new();
    for f in &listed {
        stream.extend(std::fs::read(f.path_in(site.path())).expect("read"));
    }
    let expected: Vec<u8> = stream
        .chunks(32 * 1024)
        .flat_map(|c| <[u8; 20]>::from(Sha1::digest(c)))
        .collect();
    let at = a
        .bytes
        .windows(8)
        .position(|w| w == b"6:pieces")
        .map(|i| i + 8)
        .expect("pieces key");
    let prefix = format!("{}:", expected.len());
    assert!(a.bytes[at..].starts_with(prefix.as_bytes()));
    let start = at + prefix.len();
    assert_eq!(&a.bytes[start..start + expected.len()], &expected[..]);
}

#[test]
fn a_changed_byte_changes_the_info_hash_and_the_mirrors_do_not() {
    let site = folder(&[("a.txt", "hello")]);
    let a = make_torrent(site.path(), &options("s", &[])).expect("a");
    let with_seed = make_torrent(site.path(), &options("s", &["https://h/s/"])).expect("seed");
    assert_eq!(a.info_hash, with_seed.info_hash);
    assert_ne!(a.bytes, with_seed.bytes);
    std::fs::write(site.path().join("a.txt"), "hellp").expect("write");
    let b = make_torrent(site.path(), &options("s", &[])).expect("b");
    assert_ne!(a.info_hash, b.info_hash);
}

#[test]
fn the_name_follows_the_mirrors() {
    let site = folder(&[("a.txt", "x")]);
    let own = site
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string();
    let names = |mirrors: &[&str]| {
        choose_name(
            site.path(),
            &mirrors.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        )
        .expect("name")
    };
    assert_eq!(names(&[]), own);
    assert_eq!(names(&["https://h/"]), own);
    assert_eq!(
        names(&["https://h/a/", "https://i/b/", "https://j/x/b/"]),
        "b"
    );
    assert_eq!(names(&["https://h/a/", "https://i/b/"]), "a");
    let tied_with_own = format!("https://i/{own}/");
    assert_eq!(names(&["https://h/a/", &tied_with_own]), own);
    assert!(matches!(
        make_torrent(site.path(), &options("..", &[])),
        Err(TorrentError::BadName { .. })
    ));
}

#[test]
fn an_empty_site_is_refused() {
    let site = folder(&[(".spore-output", ""), ("empty", "")]);
    assert!(matches!(
        make_torrent(site.path(), &options("s", &[])),
        Err(TorrentError::Empty { .. })
    ));
}

#[cfg(unix)]
#[test]
fn links_are_refused_by_name() {
    let site = folder(&[("a.txt", "x"), ("d/b.txt", "y")]);
    let outside = folder(&[("secret", "s")]);
    std::os::unix::fs::symlink(outside.path().join("secret"), site.path().join("d/link"))
        .expect("symlink");
    let err = make_torrent(site.path(), &options("s", &[])).expect_err("a link");
    assert!(
        matches!(&err, TorrentError::Symlink { path } if path.ends_with("d/link")),
        "{err}"
    );
    assert!(err.to_string().contains("d/link"), "{err}");

    // A folder swapped for a link after the listing is refused when
    // opened.
    let site = folder(&[("d/b.txt", "y")]);
    let listed = files::list(site.path()).expect("list");
    std::fs::rename(site.path().join("d"), outside.path().join("d")).expect("move");
    std::os::unix::fs::symlink(outside.path().join("d"), site.path().join("d")).expect("symlink");
    let root = files::Root::open(site.path()).expect("root");
    assert!(matches!(
        root.open_file(&listed[0]),
        Err(TorrentError::Symlink { .. })
    ));
}

#[test]
fn a_file_that_shrank_is_named() {
    let site = folder(&[("a.txt", "hello")]);
    let listed = files::list(site.path()).expect("list");
    std::fs::write(site.path().join("a.txt"), "hi").expect("write");
    let root = files::Root::open(site.path()).expect("root");
    let err = pieces::hash_pieces(&root, &listed, 16 * 1024).expect_err("changed");
    assert!(
        matches!(&err, TorrentError::Changed { path, listed: 5, now: 2 } if path.ends_with("a.txt")),
        "{err}"
    );
}

#[test]
fn the_magnet_link_encodes_its_values() {
    let site = folder(&[("a.txt", "x")]);
    let t = make_torrent(
        site.path(),
        &options("my wiki&x=1", &["https://h/caf%C3%A9/my%20wiki%26x%3D1/"]),
    )
    .expect("torrent");
    assert_eq!(t.web_seeds, ["https://h/caf%C3%A9/"]);
    assert_eq!(
        t.magnet(),
        format!(
            "magnet:?xt=urn:btih:{}&dn=my%20wiki%26x%3D1&ws=https://h/caf%25C3%25A9/",
            t.info_hash_hex()
        )
    );
}

#[test]
fn a_file_that_grew_is_named() {
    // Reading only the listed length would hash a prefix of the new file:
    // a torrent no copy of the site matches.
    let site = folder(&[("a.txt", "hello")]);
    let listed = files::list(site.path()).expect("list");
    std::fs::write(site.path().join("a.txt"), "hello, world").expect("write");
    let root = files::Root::open(site.path()).expect("root");
    let err = pieces::hash_pieces(&root, &listed, 16 * 1024).expect_err("changed");
    assert!(
        matches!(
            &err,
            TorrentError::Changed {
                listed: 5,
                now: 12,
                ..
            }
        ),
        "{err}"
    );
}
