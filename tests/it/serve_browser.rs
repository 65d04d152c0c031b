//! A real browser against `spore serve`: headless Chromium, driven over the
//! DevTools protocol with a few lines of websocket code. An open page must
//! reload by itself after a save, show an overlay for a broken book.toml,
//! and recover when it is fixed.
//!
//! Skipped locally, with a message, when Chromium is absent; required on CI
//! (see `tests/support/chromium.rs`).

use crate::support;

use serde_json::{json, Value};
use spore::config::Config;
use spore::serve::{self, ServeOptions};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Headless Chromium, killed when dropped.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().expect("chromium's stderr");
        let (found, url) = std::sync::mpsc::channel();
        // Chromium prints the DevTools address on stderr; keep draining it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = found.send(line[at..].trim().to_string());
                }
            }
        });
        let url: String = url
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium prints its DevTools URL");
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (socket, _) = tungstenite::client(url, stream).unwrap();
        Browser {
            child,
            _profile: profile,
            socket,
            next_id: 1,
        }
    }

    /// Sends a DevTools command and waits for its answer (events between
    /// are skipped).
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(tungstenite::Message::Text(message.to_string().into()))
            .unwrap();
        loop {
            let reply = match self.socket.read() {
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                    continue
                }
                other => other.expect("a DevTools reply"),
            };
            let tungstenite::Message::Text(text) = reply else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == json!(id) {
                assert!(value["error"].is_null(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    /// Opens `url` in a new tab; returns the session to talk to it.
    fn open(&mut self, url: &str) -> String {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        attached["sessionId"].as_str().unwrap().to_string()
    }

    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is true.
    fn wait_until(&mut self, session: &str, expression: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.eval(session, expression) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting until {what} ({expression})");
    }
}

#[test]
fn open_page_reloads_after_save_and_shows_config_errors() {
    let Some(chromium) = support::chromium::require("serve_browser") else {
        return;
    };
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
    let mut browser = Browser::launch(&chromium);
    let page = browser.open(&format!("{}Ideas.html", server.url()));
    browser.wait_until(
        &page,
        "document.readyState === 'complete' && !!document.querySelector('main p')",
        "the page has loaded",
    );
    let text = "document.querySelector('main p') && document.querySelector('main p').textContent";
    assert_eq!(browser.eval(&page, text), json!("Before the save."));

    // A marker that only survives as long as the page is not reloaded.
    browser.eval(&page, "window.sporeMarker = 1; true");
    // Let the page's live-reload socket connect before saving.
    std::thread::sleep(Duration::from_millis(500));
    write(
        &root.join("content/Ideas.md"),
        "# Ideas\n\nAfter the save.\n",
    );
    browser.wait_until(
        &page,
        "window.sporeMarker === undefined && document.readyState === 'complete' && document.querySelector('main p') && document.querySelector('main p').textContent === 'After the save.'",
        "the page reloads itself with the new text",
    );

    // A broken book.toml: the page stays, an overlay says what is wrong.
    browser.eval(&page, "window.sporeMarker = 2; true");
    std::thread::sleep(Duration::from_millis(300));
    write(
        &book,
        "[book]\ntitle = \"Browser\"\nsrc = \"content\"\ncolour = 1\n",
    );
    browser.wait_until(
        &page,
        "!!document.getElementById('spore-overlay') && document.getElementById('spore-overlay').textContent.includes('colour')",
        "the error overlay appears",
    );
    assert_eq!(
        browser.eval(&page, "window.sporeMarker"),
        json!(2),
        "no reload while broken"
    );

    // Fixed: the overlay goes and the page shows the new site.
    write(
        &book,
        "[book]\ntitle = \"Browser fixed\"\nsrc = \"content\"\n",
    );
    browser.wait_until(
        &page,
        "window.sporeMarker === undefined && document.readyState === 'complete' && !document.getElementById('spore-overlay') && document.querySelector('.site-title') && document.querySelector('.site-title').textContent === 'Browser fixed'",
        "the page recovers with the fixed config",
    );
    drop(browser);
    server.stop();
}
