//! A real browser against `spore serve`: headless Chromium through the
//! tests' browser driver. An open page must reload by itself after a save,
//! show an overlay for a broken book.toml, and recover when it is fixed.
//!
//! Skipped locally, with a message, when the browser is absent; required on
//! CI (see `tests/it/support/browser.rs`).

use crate::support;

use serde_json::json;
use spore::config::Config;
use spore::serve::{self, ServeOptions};
use std::path::Path;
use std::time::Duration;
use support::browser::{self, Browser, Page};

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Waits up to 20 s for `expression` to be true in `page`.
fn wait_until(browser: &mut Browser, page: Page, expression: &str, what: &str) {
    assert!(
        browser.wait_until(page, expression, 20_000),
        "timed out waiting until {what} ({expression})"
    );
}

#[test]
fn open_page_reloads_after_save_and_shows_config_errors() {
    if !browser::available("serve_browser") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let book = root.join("book.toml");
    write(&book, "[book]\ntitle = \"Browser\"\nsrc = \"content\"\n");
    write(&root.join("content/index.md"), "# Home\n\nSee [[Ideas]].\n");
    write(
        &root.join("content/Ideas.md"),
        "# Ideas\n\nBefore the save.\n",
    );
    let options = ServeOptions {
        port: 0,
        next_free_port: false,
        ..ServeOptions::default()
    };
    let server = serve::start(Config::discover(root).unwrap(), options).unwrap();
    let mut browser = Browser::launch();
    let page = browser.open(&format!("{}Ideas.html", server.url()));
    wait_until(
        &mut browser,
        page,
        "document.readyState === 'complete' && !!document.querySelector('main p')",
        "the page has loaded",
    );
    let text = "document.querySelector('main p') && document.querySelector('main p').textContent";
    assert_eq!(browser.eval(page, text), json!("Before the save."));

    // A marker that only survives as long as the page is not reloaded.
    browser.eval(page, "window.sporeMarker = 1; true");
    // Let the page's live-reload socket connect before saving.
    std::thread::sleep(Duration::from_millis(500));
    write(
        &root.join("content/Ideas.md"),
        "# Ideas\n\nAfter the save.\n",
    );
    wait_until(
        &mut browser,
        page,
        "window.sporeMarker === undefined && document.readyState === 'complete' && document.querySelector('main p') && document.querySelector('main p').textContent === 'After the save.'",
        "the page reloads itself with the new text",
    );

    // A broken book.toml: the page stays, an overlay says what is wrong.
    browser.eval(page, "window.sporeMarker = 2; true");
    std::thread::sleep(Duration::from_millis(300));
    write(
        &book,
        "[book]\ntitle = \"Browser\"\nsrc = \"content\"\ncolour = 1\n",
    );
    wait_until(
        &mut browser,
        page,
        "!!document.getElementById('spore-overlay') && document.getElementById('spore-overlay').textContent.includes('colour')",
        "the error overlay appears",
    );
    assert_eq!(
        browser.eval(page, "window.sporeMarker"),
        json!(2),
        "no reload while broken"
    );

    // Fixed: the overlay goes and the page shows the new site.
    write(
        &book,
        "[book]\ntitle = \"Browser fixed\"\nsrc = \"content\"\n",
    );
    wait_until(
        &mut browser,
        page,
        "window.sporeMarker === undefined && document.readyState === 'complete' && !document.getElementById('spore-overlay') && document.querySelector('.site-title') && document.querySelector('.site-title').textContent === 'Browser fixed'",
        "the page recovers with the fixed config",
    );
    drop(browser);
    server.stop();
}
