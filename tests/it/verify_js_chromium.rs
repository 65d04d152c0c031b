//! `integrity/verify.js` in a real browser: headless Chromium loads pages
//! from a loopback server (and from file://) and its verdict is read from
//! the DOM (`data-state` on the footer panel) once the script has given
//! one. Skipped, with a printed reason, where the browser is absent (but
//! required on CI; see `support::browser`).
//!
//! The manifest is a signed root over content-named shards: a page view
//! must cost the root, its signature and the page's one shard, never the
//! whole list; the server's request log shows what the browser asked for.

use crate::support;

use scraper::{Html, Selector};
use spore::seal::manifest::{Manifest, Root, ShardRef, MANIFEST_PATH};
use spore::seal::shard::{shard_index, shard_key};
use std::path::Path;
use support::browser::{self, Browser};
use support::sealed::{manifest_of, project, Project, EPOCH};
use support::static_server::StaticServer;

/// Ample time for the fetches, the hashes and a signature check.
const BUDGET_MS: u64 = 10_000;

/// True once verify.js has left the page's initial `unchecked` state and
/// its interim "checking…".
const SETTLED: &str = "(() => { \
    const panel = document.getElementById('spore-integrity-panel'); \
    const badge = document.getElementById('spore-integrity-badge'); \
    return !!panel && panel.getAttribute('data-state') !== 'unchecked' \
        && !(badge && badge.textContent.startsWith('checking')); })()";

/// From file://, the verdict is "not checked" at once; the commands come
/// last, once the root and the shard have loaded (or failed to).
const FILE_SETTLED: &str = "!!document.querySelector('#spore-integrity-panel pre')";

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

fn root_of(site: &Path) -> Root {
    Root::parse(&std::fs::read(site.join(MANIFEST_PATH)).unwrap()).unwrap()
}

/// The root's reference to the shard that lists `path`.
fn shard_of<'a>(root: &'a Root, path: &str) -> &'a ShardRef {
    &root.shards[shard_index(shard_key(path), root.shard_bits)]
}

/// A note page, in a subfolder when there is one (its relative links to
/// `integrity/` are then `../`).
fn a_note_page(m: &Manifest) -> String {
    m.files
        .iter()
        .find(|(path, e)| e.source.is_some() && path.contains('/'))
        .or_else(|| m.files.iter().find(|(_, e)| e.source.is_some()))
        .map(|(path, _)| path.clone())
        .unwrap()
}

/// A signed fixture site with enough files for several shards.
fn signed_site() -> Project {
    let p = project(6, 13, true);
    p.build(EPOCH);
    let root = root_of(&p.site);
    assert!(
        root.shard_bits >= 2,
        "the fixture should have several shards, has {}",
        root.shards.len()
    );
    p
}

#[test]
fn verify_js_checks_a_page_over_http_with_the_root_its_signature_and_one_shard() {
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
    let p = signed_site();
    let served = p.copy_site("served");
    let server = StaticServer::start(&served);
    let m = manifest_of(&served);
    let root = root_of(&served);
    let page = a_note_page(&m);
    let shard = shard_of(&root, &page).clone();
    let url = format!("{}{}", server.base_url, spore::portable::encode_path(&page));

    server.take_requests();
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
    assert_one_shard_per_view(&server, &served, &root, &page, &shard);

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
    assert!(v.text.contains("differ from the manifest"), "{}", v.text);
    std::fs::write(&full, &html).unwrap();

    // Someone edits the page's entry in its shard (keeping the shard's
    // name): the shard no longer hashes as the signed root says.
    let shard_file = served.join(shard.path());
    let original = std::fs::read(&shard_file).unwrap();
    let expected = &m.files[&page].sha256;
    let at = find(&original, expected.as_bytes()).expect("the page's hash in its shard");
    let mut forged = original.clone();
    forged[at] = if forged[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&shard_file, &forged).unwrap();
    let v = verdict(&dump_dom(&url));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert_eq!(v.badge, "badge altered");
    assert!(
        v.text.contains("shard") && v.text.contains("does not match the signed root"),
        "{}",
        v.text
    );
    std::fs::write(&shard_file, &original).unwrap();

    // Someone changes the root (here its title): the signature no longer
    // matches.
    let mut forged = root.clone();
    forged.site.title.push_str(" (mirror edition)");
    std::fs::write(served.join(MANIFEST_PATH), forged.to_canonical_json()).unwrap();
    let v = verdict(&dump_dom(&url));
    assert_eq!(v.state, "altered", "{}", v.text);
    assert!(v.text.contains("signature"), "{}", v.text);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the page view just made asked the server for: of `integrity/`,
/// the root, its signature, verify.js and the page's own shard, once each;
/// the page once (verify.js takes its bytes from the browser's cache,
/// which kept the navigation's response). Prints the bytes it cost.
fn assert_one_shard_per_view(
    server: &StaticServer,
    site: &Path,
    root: &Root,
    page: &str,
    shard: &ShardRef,
) {
    let requests = server.take_requests();
    let mut integrity: Vec<&str> = requests
        .iter()
        .map(|r| r.path.as_str())
        .filter(|p| p.starts_with("integrity/"))
        .collect();
    integrity.sort_unstable();
    let shard_path = shard.path();
    let mut expected = vec![
        "integrity/manifest.json",
        "integrity/manifest.json.minisig",
        shard_path.as_str(),
        "integrity/verify.js",
    ];
    expected.sort_unstable();
    assert_eq!(integrity, expected, "all requests: {requests:?}");
    let page_loads = requests.iter().filter(|r| r.path == page).count();
    assert_eq!(page_loads, 1, "the page is downloaded once: {requests:?}");

    let cost = |path: &str| {
        requests
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.bytes)
            .sum::<usize>()
    };
    let manifest_data = cost("integrity/manifest.json")
        + cost("integrity/manifest.json.minisig")
        + cost(&shard_path);
    let every_shard: u64 = root.shards.iter().map(|s| s.size).sum();
    let root_size = std::fs::metadata(site.join(MANIFEST_PATH)).unwrap().len();
    println!(
        "verify.js page view: {} bytes of manifest data (root {}, signature {}, one shard {} of {}), \
         verify.js {} bytes; all {} shards together are {} bytes (+ root {root_size})",
        manifest_data,
        cost("integrity/manifest.json"),
        cost("integrity/manifest.json.minisig"),
        cost(&shard_path),
        root.shards.len(),
        cost("integrity/verify.js"),
        root.shards.len(),
        every_shard,
    );
}

#[test]
fn verify_js_from_a_file_shows_the_expected_hash_from_the_pages_one_shard() {
    if !browser::available("verify_js") {
        return;
    }
    let mut session = Browser::launch();
    let p = signed_site();
    let m = manifest_of(&p.site);
    let root = root_of(&p.site);
    let page = a_note_page(&m);
    let shard = shard_of(&root, &page);

    // From file://, the page cannot hash itself: it shows the expected hash
    // (from its shard's script twin) and the commands.
    let view = session.open(&browser::file_url(&p.site.join(&page)));
    assert!(session.wait_until(view, FILE_SETTLED, BUDGET_MS));
    let v = verdict(&session.dom(view));
    assert_eq!(v.state, "unknown", "{}", v.text);
    assert!(
        v.text.contains(&format!(
            "Expected SHA-256 of this file ({page}), from the manifest: {}",
            m.files[&page].sha256
        )),
        "{}",
        v.text
    );
    assert!(
        v.text
            .contains("sha256sum -c --strict integrity/SHA256SUMS"),
        "{}",
        v.text
    );
    // One shard script was loaded, the page's, and no other: one script
    // element and one shard defined (Chromium keeps no resource timing
    // for file:// loads, so the DOM is what tells).
    let loaded = session.eval(
        view,
        "JSON.stringify({ \
            shards: Object.keys(window.SPORE_SHARDS || {}), \
            scripts: Array.from(document.scripts).map(s => s.src).filter(s => s.includes('/integrity/shards/')) })",
    );
    let loaded: serde_json::Value = serde_json::from_str(loaded.as_str().unwrap()).unwrap();
    assert_eq!(
        loaded["shards"],
        serde_json::json!([shard.sha256]),
        "{loaded}"
    );
    let scripts = loaded["scripts"].as_array().unwrap();
    assert_eq!(scripts.len(), 1, "{loaded}");
    assert!(
        scripts[0].as_str().unwrap().ends_with(&shard.js_path()),
        "{loaded}"
    );
}

/// Navigates `view` to `url` as a link would (a fresh cached copy is used
/// as is) and waits for verify.js's verdict there.
fn follow(session: &mut Browser, view: browser::Page, url: &str) {
    // Later than the eval's return, so the evaluation is not cut short.
    session.eval(
        view,
        &format!("setTimeout(() => {{ location.href = {url:?}; }}, 0)"),
    );
    let arrived = format!("location.href === {url:?} && {SETTLED}");
    assert!(session.wait_until(view, &arrived, BUDGET_MS), "{url}");
}

#[test]
fn verify_js_says_outdated_not_altered_for_a_page_kept_from_an_earlier_version() {
    if !browser::available("verify_js") {
        return;
    }
    let mut session = Browser::launch();
    let p = signed_site();
    let served = p.copy_site("served");
    let server = StaticServer::start(&served);
    let m = manifest_of(&served);
    let page = a_note_page(&m);
    let url = format!("{}{}", server.base_url, spore::portable::encode_path(&page));
    let view = session.open(&url);
    assert!(session.wait_until(view, SETTLED, BUDGET_MS));
    assert_eq!(verdict(&session.dom(view)).state, "verified");
    follow(&mut session, view, &server.base_url);

    // The author publishes a new version in which this page changed; the
    // browser still holds the old page, fresh for an hour.
    let source = p
        .root
        .join("content")
        .join(m.files[&page].source.as_ref().unwrap());
    let mut note = std::fs::read_to_string(&source).unwrap();
    note.push_str("\n\nA paragraph added in the next version.\n");
    std::fs::write(&source, note).unwrap();
    p.build(EPOCH + 60);
    support::sealed::copy_dir(&p.site, &served);
    server.take_requests();

    follow(&mut session, view, &url);
    let v = verdict(&session.dom(view));
    let requests = server.take_requests();
    assert_eq!(v.state, "unknown", "{}\n{requests:?}", v.text);
    assert!(
        v.text.contains("older than the site's version") && v.text.contains("reload"),
        "{}",
        v.text
    );
    // A reload shows the new page, which is verified.
    session.eval(view, "setTimeout(() => location.reload(), 0)");
    let reloaded =
        format!("performance.getEntriesByType('navigation')[0].type === 'reload' && {SETTLED}");
    assert!(session.wait_until(view, &reloaded, BUDGET_MS));
    let v = verdict(&session.dom(view));
    assert_eq!(v.state, "verified", "{}", v.text);
    assert!(
        v.text.contains(&format!("version {}", EPOCH + 60)),
        "{}",
        v.text
    );
}
