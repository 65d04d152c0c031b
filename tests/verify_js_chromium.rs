//! `integrity/verify.js` in a real browser: headless Chromium loads pages
//! from a loopback server (and from file://) and its verdict is read from
//! the dumped DOM (`data-state` on the footer panel). Skipped, with a
//! printed reason, where /usr/bin/chromium is absent.

mod support;

use scraper::{Html, Selector};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::sealed::{project, EPOCH};
use support::static_server::StaticServer;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after scripts ran, or `None` when Chromium did not finish.
fn dump_dom(url: &str, profile: &Path) -> Option<String> {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > Duration::from_secs(90) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => return None,
        }
    }
    let out = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

struct Verdict {
    state: String,
    badge: String,
    text: String,
}

fn verdict(dom: &str) -> Verdict {
    let doc = Html::parse_document(dom);
    let panel = Selector::parse("#spore-integrity-panel").unwrap();
    let badge = Selector::parse("#spore-integrity-badge").unwrap();
    let panel = doc
        .select(&panel)
        .next()
        .expect("integrity panel in the DOM");
    Verdict {
        state: panel.value().attr("data-state").unwrap_or("").to_string(),
        badge: doc
            .select(&badge)
            .next()
            .map(|b| b.value().attr("class").unwrap_or("").to_string())
            .unwrap_or_default(),
        text: panel.text().collect(),
    }
}

#[test]
fn verify_js_shows_verified_for_an_intact_page_and_altered_for_a_tampered_one() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (CI installs chromium)");
        return;
    }
    let p = project(6, 13, true);
    p.build(EPOCH);
    let served = p.copy_site("served");
    let server = StaticServer::start(&served);
    let m = spore::seal::manifest::Manifest::parse(
        &std::fs::read(served.join("integrity/manifest.json")).unwrap(),
    )
    .unwrap();
    let page = m
        .files
        .iter()
        .find(|(path, e)| e.source.is_some() && path.contains('/'))
        .or_else(|| m.files.iter().find(|(_, e)| e.source.is_some()))
        .map(|(path, _)| path.clone())
        .unwrap();
    let url = format!("{}{}", server.base_url, spore::portable::encode_path(&page));
    let profile = tempfile::tempdir().unwrap();

    let Some(dom) = dump_dom(&url, profile.path()) else {
        panic!("chromium did not finish for {url}");
    };
    let v = verdict(&dom);
    assert_eq!(v.state, "verified", "{url}: {}", v.text);
    assert_eq!(v.badge, "badge verified");
    assert!(v.text.contains(&format!("version {EPOCH}")), "{}", v.text);
    // Chromium has Ed25519 in WebCrypto: the signature is checked too.
    assert!(v.text.contains("signature valid"), "{}", v.text);

    // Someone edits the page on the server.
    let full = served.join(&page);
    let html = std::fs::read_to_string(&full).unwrap();
    let tampered = html.replacen(
        "<main id=\"main\" tabindex=\"-1\">",
        "<main id=\"main\" tabindex=\"-1\"><p>Send bitcoin here.</p>",
        1,
    );
    assert_ne!(html, tampered);
    std::fs::write(&full, tampered).unwrap();
    let v = verdict(&dump_dom(&url, profile.path()).expect("chromium finished"));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert_eq!(v.badge, "badge altered");
    std::fs::write(&full, &html).unwrap();

    // Someone replaces the manifest (and its hash for the page): the
    // signature no longer matches.
    let mut forged = m.clone();
    forged.title_for_test();
    std::fs::write(
        served.join("integrity/manifest.json"),
        forged.to_canonical_json(),
    )
    .unwrap();
    let v = verdict(&dump_dom(&url, profile.path()).expect("chromium finished"));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert!(v.text.contains("signature"), "{}", v.text);

    // From file://, the page cannot hash itself: it shows the expected hash
    // (from manifest.js) and the commands.
    let file_url = format!("file://{}", p.site.join(&page).display());
    let v = verdict(&dump_dom(&file_url, profile.path()).expect("chromium finished"));
    assert_eq!(v.state, "unknown", "{}", v.text);
    assert!(v.text.contains(&m.files[&page].sha256), "{}", v.text);
    assert!(
        v.text
            .contains("sha256sum -c --strict integrity/SHA256SUMS"),
        "{}",
        v.text
    );
}

trait Forge {
    fn title_for_test(&mut self);
}

impl Forge for spore::seal::manifest::Manifest {
    fn title_for_test(&mut self) {
        self.site.title.push_str(" (mirror edition)");
    }
}
