//! Headless Chromium for browser tests, without a driver: `--dump-dom`
//! prints the DOM after scripts ran. Absent Chromium skips a test locally
//! but fails it on CI (where `scripts/test.sh` installs it).

use std::path::PathBuf;
use std::process::Command;

pub fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SPORE_CHROMIUM") {
        return Some(PathBuf::from(p));
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

/// The binary, or `None` after saying why the test is skipped.
pub fn require(test: &str) -> Option<PathBuf> {
    match binary() {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some()
            || std::env::var("SPORE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") =>
        {
            panic!("{test}: Chromium is required on CI (scripts/test.sh installs it)")
        }
        None => {
            eprintln!("skipping {test}: no Chromium (apt-get install -y chromium)");
            None
        }
    }
}

/// Loads `url`, lets scripts run for up to `budget_ms` of virtual time, and
/// returns the serialised DOM.
pub fn dump_dom(chromium: &PathBuf, url: &str, budget_ms: u32) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn file_url(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
