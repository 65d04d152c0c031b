//! A torrent of a built site (`spore::torrent`), downloaded by stock
//! BitTorrent clients — aria2c and libtorrent (python3-libtorrent) — from
//! its web seeds alone: two loopback mirrors that answer `Range` requests,
//! each serving the site under the folder `wiki` (the build's own folder
//! is `site`; one mirror has it deeper down its host), no tracker, no DHT,
//! no peers. The result must be the site, byte for byte, dot-files left
//! out; a byte flipped on the only web seed must fail the client's piece
//! check.
//!
//! A missing client skips its test with a message, unless
//! `SPORE_REQUIRE_TORRENT_TOOLS=1` (as `scripts/test.sh` sets), where it
//! fails.

use crate::support::fixture::{build_bytes, noise, BuiltVault};
use crate::support::range_server::{tree_bytes, RangeServer};
use spore::torrent::{make_torrent, Refusal, Torrent, TorrentOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn site() -> BuiltVault {
    let data = noise(300_000, 1);
    build_bytes(&[
        (
            "Home.md",
            b"# Home\n\nSee [[Caf\xc3\xa9 menu]] and [[data one.bin]].\n",
        ),
        (
            "Notes/Caf\u{e9} menu.md",
            "# Café menu\n\nA note with an accent and a space in its name.\n".as_bytes(),
        ),
        ("files/data one.bin", &data),
    ])
}

/// Whether `tool` can run; a missing one skips (prints why) unless
/// `SPORE_REQUIRE_TORRENT_TOOLS=1`, where it fails the test.
fn have(tool: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("SPORE_REQUIRE_TORRENT_TOOLS").as_deref() != Ok("1"),
            "{tool} is missing and SPORE_REQUIRE_TORRENT_TOOLS=1 (Debian: apt-get install aria2 python3-libtorrent)"
        );
        eprintln!(
            "skipped: {tool} is not installed (Debian: apt-get install aria2 python3-libtorrent)"
        );
    }
    ok
}

fn have_aria2c() -> bool {
    have("aria2c", Command::new("aria2c").arg("--version"))
}

/// A Python that imports libtorrent: `python3` on the `PATH`, else the
/// system's (Debian's python3-libtorrent is for `/usr/bin/python3`, which a
/// pyenv or venv `python3` first on the `PATH` does not see).
fn libtorrent_python() -> Option<&'static str> {
    let python = ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import libtorrent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    have(
        "python3-libtorrent",
        Command::new(python.unwrap_or("python3")).args(["-c", "import libtorrent"]),
    )
    .then_some(python)
    .flatten()
}

/// A site served by two mirrors, and its torrent in `work`.
struct Served {
    built: BuiltVault,
    work: tempfile::TempDir,
    torrent: Torrent,
    torrent_path: PathBuf,
    servers: Vec<RangeServer>,
}

/// Serves `folder` as `wiki` on two mirrors (one at `/wiki/`, one at
/// `/mirrors/b/wiki/`), plus mirrors that cannot be web seeds, and makes
/// the torrent.
fn serve(built: BuiltVault, folder: &Path) -> Served {
    let a = RangeServer::start(vec![("/wiki/".into(), folder.to_path_buf())]);
    let b = RangeServer::start(vec![
        ("/mirrors/b/wiki/".into(), folder.to_path_buf()),
        ("/other/".into(), folder.to_path_buf()),
    ]);
    let mirrors = vec![
        format!("{}/wiki/", a.origin),
        format!("{}/mirrors/b/wiki", b.origin),
        format!("{}/other/", b.origin),
        format!("{}/", b.origin),
        "ftp://127.0.0.1/wiki/".to_string(),
    ];
    let torrent = make_torrent(
        &built.out,
        &TorrentOptions {
            name: None,
            mirrors,
        },
    )
    .expect("torrent");
    let work = tempfile::tempdir().expect("tempdir");
    let torrent_path = work.path().join("site.torrent");
    std::fs::write(&torrent_path, &torrent.bytes).expect("write torrent");
    Served {
        built,
        work,
        torrent,
        torrent_path,
        servers: vec![a, b],
    }
}

fn served() -> Served {
    let built = site();
    let out = built.out.clone();
    serve(built, &out)
}

/// Runs `cmd` with its output in files under `dir`, killed after
/// `deadline`; the exit status (`None`: killed) and the output.
fn run(mut cmd: Command, dir: &Path, deadline: Duration) -> (Option<ExitStatus>, String) {
    let log = dir.join("client.log");
    let file = std::fs::File::create(&log).expect("log");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .expect("spawn client");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, std::fs::read_to_string(&log).unwrap_or_default())
}

fn aria2c(s: &Served, out: &Path, deadline: Duration) -> (Option<ExitStatus>, String) {
    let mut cmd = Command::new("aria2c");
    cmd.args([
        "--seed-time=0",
        "--enable-dht=false",
        "--enable-dht6=false",
        "--bt-enable-lpd=false",
        "--enable-peer-exchange=false",
        "--file-allocation=none",
        "--console-log-level=warn",
        "--summary-interval=0",
        "--max-tries=3",
        "--retry-wait=1",
        "--no-conf=true",
    ])
    .arg("--dir")
    .arg(out)
    .arg(&s.torrent_path);
    run(cmd, s.work.path(), deadline)
}

/// The libtorrent client: adds the torrent, waits until it is seeding (exit
/// 0) or the deadline (exit 3), printing the hash failures it saw.
const LIBTORRENT_CLIENT: &str = r#"
import sys, time
import libtorrent as lt
torrent, save, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
ses = lt.session({
    'listen_interfaces': '127.0.0.1:0',
    'enable_dht': False, 'enable_lsd': False,
    'enable_upnp': False, 'enable_natpmp': False,
    'alert_mask': lt.alert.category_t.all_categories,
})
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
failed = 0
end = time.time() + seconds
while time.time() < end:
    for a in ses.pop_alerts():
        if isinstance(a, lt.hash_failed_alert):
            failed += 1
        elif isinstance(a, (lt.url_seed_alert, lt.file_error_alert)):
            print('alert:', a.message())
    s = h.status()
    if s.is_seeding:
        print('finished hash_failed=%d' % failed)
        sys.exit(0)
    time.sleep(0.05)
s = h.status()
print('timeout hash_failed=%d pieces=%d/%d' % (failed, s.num_pieces, h.torrent_file().num_pieces()))
sys.exit(3)
"#;

fn libtorrent(
    python: &str,
    s: &Served,
    out: &Path,
    deadline: Duration,
) -> (Option<ExitStatus>, String) {
    let script = s.work.path().join("client.py");
    std::fs::write(&script, LIBTORRENT_CLIENT).expect("script");
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .arg(&s.torrent_path)
        .arg(out)
        .arg(deadline.as_secs().to_string());
    run(cmd, s.work.path(), deadline + Duration::from_secs(10))
}

fn assert_seeds(s: &Served) {
    let [a, b] = &s.servers[..] else {
        panic!("two servers")
    };
    assert_eq!(s.torrent.name, "wiki");
    assert_eq!(
        s.torrent.web_seeds,
        [format!("{}/", a.origin), format!("{}/mirrors/b/", b.origin)]
    );
    let reasons: Vec<&Refusal> = s
        .torrent
        .refused_mirrors
        .iter()
        .map(|r| &r.reason)
        .collect();
    assert_eq!(
        reasons,
        [
            &Refusal::OtherFolder {
                folder: "other".into(),
                name: "wiki".into()
            },
            &Refusal::AtRoot,
            &Refusal::NotHttp
        ]
    );
}

/// The downloaded `wiki` folder is the site, dot-files left out, and both
/// mirrors were asked.
fn assert_downloaded(s: &Served, out: &Path, log: &str) {
    let site = tree_bytes(&s.built.out);
    assert!(site.len() > 5, "a small site: {site:?}");
    let got = tree_bytes(&out.join("wiki"));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&site), "{log}");
    assert!(got == site, "the bytes differ\n{log}");
    assert!(!out.join("wiki/.spore-output").exists());
    for server in &s.servers {
        let asked = server.requests();
        assert!(
            asked.iter().any(|r| r.status == 206 || r.status == 200),
            "{} was never asked: {asked:?}",
            server.origin
        );
        assert!(
            asked
                .iter()
                .all(|r| !r.path.contains("/other/") && r.status != 404),
            "{asked:?}"
        );
    }
}

#[test]
fn aria2c_downloads_the_site_from_two_web_seeds() {
    if !have_aria2c() {
        return;
    }
    let s = served();
    assert_seeds(&s);
    let out = s.work.path().join("out");
    let (status, log) = aria2c(&s, &out, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "aria2c: {status:?}\n{log}"
    );
    assert_downloaded(&s, &out, &log);
}

#[test]
fn libtorrent_downloads_the_site_from_two_web_seeds() {
    let Some(python) = libtorrent_python() else {
        return;
    };
    let s = served();
    assert_seeds(&s);
    let out = s.work.path().join("out");
    let (status, log) = libtorrent(python, &s, &out, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "libtorrent: {status:?}\n{log}"
    );
    assert!(log.contains("finished hash_failed=0"), "{log}");
    assert_downloaded(&s, &out, &log);
}

/// The site with one byte flipped in its largest file, as a bad mirror
/// would serve it, and that file's path.
fn flipped() -> (Served, tempfile::TempDir, String) {
    let built = site();
    let bad = tempfile::tempdir().expect("tempdir");
    let mut largest = (0, String::new());
    for (path, bytes) in tree_bytes(&built.out) {
        let to = bad.path().join(&path);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::write(&to, &bytes).expect("copy");
        if bytes.len() > largest.0 {
            largest = (bytes.len(), path);
        }
    }
    let target = bad.path().join(&largest.1);
    let mut bytes = std::fs::read(&target).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&target, bytes).expect("flip");
    let s = serve(built, bad.path());
    (s, bad, largest.1)
}

#[test]
fn aria2c_refuses_a_flipped_byte() {
    if !have_aria2c() {
        return;
    }
    let (s, _bad, path) = flipped();
    let out = s.work.path().join("out");
    // aria2c checks each piece as it arrives from a web seed; a bad one
    // aborts that URI ("Invalid checksum index=N"), and with every web seed
    // given up it waits for peers that never come: killed at the deadline.
    let (status, log) = aria2c(&s, &out, Duration::from_secs(20));
    eprintln!("aria2c on a flipped byte: {status:?}\n{log}");
    assert!(
        !status.is_some_and(|s| s.success()),
        "aria2c accepted a flipped byte\n{log}"
    );
    assert!(log.contains("Invalid checksum"), "{log}");
    let good = std::fs::read(s.built.out.join(&path)).expect("good");
    let got = std::fs::read(out.join("wiki").join(&path)).unwrap_or_default();
    assert_ne!(
        got, good,
        "the file is complete, so the bad piece was fetched again from nowhere?"
    );
}

#[test]
fn libtorrent_refuses_a_flipped_byte() {
    let Some(python) = libtorrent_python() else {
        return;
    };
    let (s, _bad, _path) = flipped();
    let out = s.work.path().join("out");
    let (status, log) = libtorrent(python, &s, &out, Duration::from_secs(15));
    eprintln!("libtorrent on a flipped byte: {status:?}\n{log}");
    // libtorrent fails the piece's hash check each time the web seed
    // sends it, keeps every other piece, and never finishes.
    assert_eq!(status.and_then(|s| s.code()), Some(3), "{log}");
    assert!(!log.contains("timeout hash_failed=0 "), "{log}");
    let n = s.torrent.pieces;
    assert!(log.contains(&format!(" pieces={}/{n}", n - 1)), "{log}");
}
