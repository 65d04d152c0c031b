//! The browser tests' one driver: `tests/browser/driver.js`, playwright-core
//! running the system Chromium (no browser download). It can click, type,
//! wait for a condition and read the DOM; everything a test needs from a
//! browser goes through it.
//!
//! A test first asks [`available`]: without Chromium, node or the npm
//! package the test is skipped with a printed reason locally, and fails on
//! CI (`CI` set or `SPORE_REQUIRE_BROWSER=1`; `scripts/test.sh` installs
//! all three).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

fn driver_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SPORE_CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// `None` when the driver can run, else why not.
fn missing() -> Option<String> {
    if chromium().is_none() {
        return Some("no Chromium (apt-get install -y chromium)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node not found".into());
    }
    if !driver_dir().join("node_modules/playwright-core").exists() {
        return Some("tests/browser/node_modules missing (run npm ci in tests/browser)".into());
    }
    None
}

/// Whether `test` can use the browser; `false` after saying why it is
/// skipped. Panics where the browser is required.
pub fn available(test: &str) -> bool {
    let Some(reason) = missing() else {
        return true;
    };
    if std::env::var_os("CI").is_some()
        || std::env::var("SPORE_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
    {
        panic!("{test}: the browser is required on CI but cannot run: {reason}");
    }
    eprintln!("skipping {test}: {reason}");
    false
}

fn node() -> Command {
    let mut node = Command::new("node");
    node.arg(driver_dir().join("driver.js"));
    if let Some(chromium) = chromium() {
        node.env("SPORE_CHROMIUM", chromium);
    }
    node
}

/// Runs one of the driver's whole-site modes (`check`, `bench`) on `site`
/// with `arg`; returns its output, panicking with it when the mode fails.
pub fn run(mode: &str, site: &Path, arg: &Value) -> String {
    let json = site.with_extension("json");
    std::fs::write(&json, arg.to_string()).expect("write args");
    let out = node()
        .arg(mode)
        .arg(site)
        .arg(&json)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "browser {mode} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A page open in the browser.
#[derive(Clone, Copy)]
pub struct Page(u64);

/// A browser the test talks to page by page; closed when dropped.
pub struct Browser {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub fn launch() -> Browser {
        let mut child = node()
            .arg("session")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the browser driver");
        let input = child.stdin.take().expect("driver's stdin");
        let output = BufReader::new(child.stdout.take().expect("driver's stdout"));
        Browser {
            child,
            input,
            output,
        }
    }

    fn request(&mut self, request: Value) -> Value {
        writeln!(self.input, "{request}").expect("send to the browser driver");
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("read the browser driver");
        assert!(!line.is_empty(), "the browser driver exited on {request}");
        let reply: Value = serde_json::from_str(&line).expect("driver reply");
        assert!(reply["error"].is_null(), "{request}: {}", reply["error"]);
        reply["value"].clone()
    }

    /// Opens `url` in a fresh context (nothing cached from earlier pages)
    /// and waits for its load event.
    pub fn open(&mut self, url: &str) -> Page {
        let page = self.request(json!({ "open": url }));
        Page(page.as_u64().expect("page number"))
    }

    /// `expression`'s value in the page; `undefined` is `null`.
    pub fn eval(&mut self, page: Page, expression: &str) -> Value {
        self.request(json!({ "eval": expression, "page": page.0 }))
    }

    /// Whether `expression` became `true` within `ms` (polled; a reload in
    /// between is fine).
    pub fn wait_until(&mut self, page: Page, expression: &str, ms: u64) -> bool {
        self.request(json!({ "wait": expression, "page": page.0, "ms": ms })) == json!(true)
    }

    /// The page's DOM as it is now, serialised.
    pub fn dom(&mut self, page: Page) -> String {
        let html = self.eval(page, "document.documentElement.outerHTML");
        html.as_str().expect("the DOM as a string").to_string()
    }
}

pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}
