//! Live reload: the state message sent over the websocket, and the small
//! script injected into every served HTML page (never into the built site).
//!
//! Protocol: on connecting and after every rebuild the server sends
//! `{"version": "...", "error": null | "message", "warnings": [...]}`. The
//! page knows the version it was served at: a different version reloads it,
//! an error shows an overlay (the page stays as it is), no error hides the
//! overlay. A closed socket reconnects with back-off, so pages reload by
//! themselves after `spore serve` restarts (its versions start afresh).

use serde::Serialize;

/// Where the websocket lives, relative to the site root. `_spore/` is
/// Spore's own folder: no vault file is ever published there.
pub const SOCKET_PATH: &str = "_spore/livereload";

/// What the browser is told.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LiveState {
    pub version: String,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

impl LiveState {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The `<script>` for a page at `root` (its [`crate::portable::root_prefix`])
/// served at `version`.
pub fn script(root: &str, version: &str) -> String {
    let socket = serde_json::to_string(&format!("{root}{SOCKET_PATH}")).unwrap_or_default();
    let version = serde_json::to_string(version).unwrap_or_default();
    // `</` never appears in the JSON strings above unescaped: serde_json does
    // not escape `/`, so guard against a root like `</script>` anyway.
    let socket = socket.replace("</", "<\\/");
    let version = version.replace("</", "<\\/");
    format!(
        "<script id=\"spore-live-reload\">\n{}\n</script>\n",
        CLIENT_JS
            .replace("__SOCKET__", &socket)
            .replace("__VERSION__", &version)
    )
}

/// Inserts the script before the last `</body>`, or at the end.
pub fn inject(html: &[u8], root: &str, version: &str) -> Vec<u8> {
    let script = script(root, version);
    let at = find_last_ci(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn find_last_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if haystack.len() < needle.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// A page shown when there is no site to serve yet (the first build
/// failed): the overlay explains, and the page reloads once it is fixed.
pub fn error_page(version: &str) -> Vec<u8> {
    let html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Spore: build failed</title></head><body><main><h1>The site could not be built</h1><p>Fix the error shown and this page reloads by itself.</p></main></body></html>\n";
    inject(html.as_bytes(), "", version)
}

const CLIENT_JS: &str = r#"(function () {
  "use strict";
  var socketUrl = new URL(__SOCKET__, location.href);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
  var servedVersion = __VERSION__;
  var delay = 200;
  function overlay(kind, title, text) {
    var box = document.getElementById("spore-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "spore-overlay";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.className = "spore-overlay-" + kind;
    box.style.cssText = "position:fixed;z-index:2147483647;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;" +
      "margin:0;padding:1rem 1.25rem;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" +
      "box-shadow:0 -4px 24px rgba(0,0,0,.35);" +
      (kind === "error" ? "background:#2b0d0d;color:#ffd9d9;border-top:4px solid #ff5555;"
                        : "background:#2b240d;color:#fff3c4;border-top:4px solid #e0b400;");
    box.textContent = "";
    var head = document.createElement("strong");
    head.textContent = title;
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Dismiss");
    close.style.cssText = "float:right;background:none;border:0;color:inherit;font-size:20px;cursor:pointer";
    close.onclick = function () { box.remove(); };
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:.5rem 0 0";
    pre.textContent = text;
    box.appendChild(close);
    box.appendChild(head);
    box.appendChild(pre);
  }
  function hide() {
    var box = document.getElementById("spore-overlay");
    if (box) box.remove();
  }
  function connect() {
    var socket;
    try { socket = new WebSocket(socketUrl.href); } catch (e) { retry(); return; }
    socket.onopen = function () { delay = 200; };
    socket.onmessage = function (event) {
      var state;
      try { state = JSON.parse(event.data); } catch (e) { return; }
      if (state.error) {
        overlay("error", "spore serve: the site could not be rebuilt (showing the last good version)", state.error);
      } else if (state.version !== servedVersion) {
        socket.onclose = null;
        location.reload();
      } else if (state.warnings && state.warnings.length) {
        overlay("warning", "spore serve: warnings", state.warnings.join("\n"));
      } else {
        hide();
      }
    };
    socket.onclose = retry;
  }
  function retry() {
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 2000);
  }
  connect();
})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_before_last_body_close() {
        let out = inject(b"<html><body>x</BODY></html>", "../", "v1");
        let text = String::from_utf8(out).unwrap();
        let script_at = text.find("<script id=\"spore-live-reload\">").unwrap();
        assert!(script_at < text.find("</BODY>").unwrap());
        assert!(text.contains("\"../_spore/livereload\""));
        assert!(text.contains("\"v1\""));
    }

    #[test]
    fn appends_without_body() {
        let out = inject(b"<p>fragment</p>", "", "v");
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("<p>fragment</p><script"));
    }
}
