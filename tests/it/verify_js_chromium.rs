//! `integrity/verify.js` in a real browser: headless Chromium loads pages
//! from a loopback server (and from file://) and its verdict is read from
//! the DOM (`data-state` on the footer panel) once the script has given
//! one. Skipped, with a printed reason, where the browser is absent (but
//! required on CI; see `support::browser`).

use crate::support;

use scraper::{Html, Selector};
use support::browser::{self, Browser};
use support::sealed::{project, EPOCH};
use support::static_server::StaticServer;

/// Ample time for two fetches, two hashes and a signature check.
const BUDGET_MS: u64 = 10_000;

/// True once verify.js has left the page's initial `unchecked` state and
/// its interim "checking…".
const SETTLED: &str = "(() => { \
    const panel = document.getElementById('spore-integrity-panel'); \
    const badge = document.getElementById('spore-integrity-badge'); \
    return !!panel && panel.getAttribute('data-state') !== 'unchecked' \
        && !(badge && badge.textContent.startsWith('checking')); })()";

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
    if !browser::available("verify_js") {
        return;
    }
    let mut session = Browser::launch();
    // Each load is a fresh page with nothing cached. Whether or not the
    // verdict came in time, the DOM is judged below.
    let mut dump_dom = |url: &str| {
        let page = session.open(url);
        session.wait_until(page, SETTLED, BUDGET_MS);
        session.dom(page)
    };
    let p = project(6, 13, true);
    p.build(EPOCH);
    let served = p.copy_site("served");
    let server = StaticServer::start(&served);
    let m = support::sealed::manifest_of(&served);
    let page = m
        .files
        .iter()
        .find(|(path, e)| e.source.is_some() && path.contains('/'))
        .or_else(|| m.files.iter().find(|(_, e)| e.source.is_some()))
        .map(|(path, _)| path.clone())
        .unwrap();
    let url = format!("{}{}", server.base_url, spore::portable::encode_path(&page));
    let v = verdict(&dump_dom(&url));
    assert_eq!(v.state, "verified", "{url}: {}", v.text);
    assert_eq!(v.badge, "badge verified");
    assert!(v.text.contains(&format!("version {EPOCH}")), "{}", v.text);
    // Chromium has Ed25519 in WebCrypto: the signature is checked too, and
    // the key shown by the fingerprint of its bytes (as `spore` prints it),
    // never by its declared key id.
    assert!(v.text.contains("signature valid"), "{}", v.text);
    let public_key = p.public_key.as_deref().unwrap();
    let fingerprint = spore::seal::sign::fingerprint(public_key).unwrap();
    assert!(
        v.text.contains(&format!(
            "Manifest signature valid, key fingerprint {fingerprint}"
        )),
        "{}",
        v.text
    );
    let key_id = spore::seal::sign::key_id(public_key).unwrap();
    assert!(!v.text.contains(&key_id), "{}", v.text);

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
    let v = verdict(&dump_dom(&url));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert_eq!(v.badge, "badge altered");
    std::fs::write(&full, &html).unwrap();

    // Someone replaces the manifest (and its hash for the page): the
    // signature no longer matches.
    let mut forged = m.clone();
    forged.title_for_test();
    support::sealed::write_manifest(&served, &forged);
    let v = verdict(&dump_dom(&url));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert!(v.text.contains("signature"), "{}", v.text);

    // From file://, the page cannot hash itself: it shows the expected hash
    // (from manifest.js) and the commands.
    let v = verdict(&dump_dom(&browser::file_url(&p.site.join(&page))));
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
