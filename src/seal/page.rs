//! Per-page integrity: the `<!-- spore:integrity -->` marker in every page's
//! footer becomes a visible panel, a `<script type="application/json"
//! id="spore-integrity">` block and the `verify.js` script.
//!
//! The page's `self` hash is SHA-256 of the page's own bytes with every
//! occurrence of the 64 hex digits of `self` replaced by 64 `0`s. Building
//! writes zeros, hashes, then fills the hash in (in the JSON block and in the
//! panel); checking replaces the hash by zeros again and re-hashes.

use crate::portable::{encode_path, root_prefix};
use crate::render::escape::markup as escape_html;
use crate::site::PageSource;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const MARKER: &str = "<!-- spore:integrity -->";
/// Opening tag of the JSON block; the last one in a page is the one read.
pub const JSON_OPEN: &str = "<script type=\"application/json\" id=\"spore-integrity\">";
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Site-wide facts every page's block repeats.
pub struct PageSeal<'a> {
    pub public_key: Option<&'a str>,
    pub mirrors: &'a [String],
    pub site_id: &'a str,
}

/// The JSON block's fields (keys sorted: declared alphabetically).
#[derive(Serialize)]
struct IntegrityBlock<'a> {
    manifest: String,
    manifest_js: String,
    mirrors: Vec<String>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key: Option<&'a str>,
    #[serde(rename = "self")]
    self_hash: &'a str,
    site: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_sha256: Option<&'a str>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON is safe inside `<script>` once `<`, `>` and `&` are escaped (they
/// can only occur inside JSON strings, where `\u003c` means the same).
fn script_safe_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

/// The footer panel + JSON block + script for one page, with `self_hash`.
fn block(path: &str, source: Option<&PageSource>, seal: &PageSeal, self_hash: &str) -> String {
    let root = root_prefix(path);
    let mirrors: Vec<String> = seal
        .mirrors
        .iter()
        .map(|m| format!("{m}{}", encode_path(path)))
        .collect();
    let data = IntegrityBlock {
        manifest: format!("{root}integrity/manifest.json"),
        manifest_js: format!("{root}integrity/manifest.js"),
        mirrors: mirrors.clone(),
        path,
        public_key: seal.public_key,
        self_hash,
        site: seal.site_id,
        source: source.map(|s| s.source.as_str()),
        source_sha256: source.map(|s| s.source_sha256.as_str()),
    };
    let mut html = String::new();
    html.push_str("<section class=\"integrity\" id=\"spore-integrity-panel\" data-state=\"unchecked\" aria-labelledby=\"spore-integrity-title\">\n");
    html.push_str("<h2 id=\"spore-integrity-title\">Integrity <span class=\"badge unknown\" id=\"spore-integrity-badge\">not checked</span></h2>\n");
    html.push_str(&format!(
        "<p>Page hash (SHA-256, self): <code class=\"hash\">{self_hash}</code></p>\n"
    ));
    if let Some(s) = source {
        html.push_str(&format!(
            "<p>Source <code>{}</code>, SHA-256 <code class=\"hash\">{}</code></p>\n",
            escape_html(&s.source),
            escape_html(&s.source_sha256)
        ));
    }
    if !mirrors.is_empty() {
        html.push_str("<p>This page on mirrors: ");
        let links: Vec<String> = mirrors
            .iter()
            .map(|u| {
                format!(
                    "<a href=\"{}\" rel=\"noopener\">{}</a>",
                    escape_html(u),
                    escape_html(host_of(u))
                )
            })
            .collect();
        html.push_str(&links.join(", "));
        html.push_str("</p>\n");
    }
    // No version or date here: a page that did not change keeps the same
    // bytes from build to build, so mirrors sync only what changed.
    html.push_str("<p id=\"spore-integrity-verdict\">Not checked yet: this panel is filled in by integrity/verify.js.</p>\n");
    html.push_str("<details><summary>How to verify this copy</summary>\n");
    html.push_str(&format!(
        "<p>In the site folder, with nothing installed:</p>\n<pre>sha256sum -c --strict integrity/SHA256SUMS</pre>\n<p>With Spore, against other copies:</p>\n<pre>spore verify SITE-FOLDER{}</pre>\n",
        seal.mirrors
            .first()
            .map(|m| format!(" {}", escape_html(m)))
            .unwrap_or_default()
    ));
    if let Some(key) = seal.public_key {
        html.push_str(&format!(
            "<p>The manifest is signed (minisign, key fingerprint <code class=\"fingerprint\">{}</code>; compare it with the fingerprint the author publishes):</p>\n<pre>minisign -Vm integrity/manifest.json -P {}</pre>\n",
            escape_html(&super::sign::fingerprint(key).unwrap_or_default()),
            escape_html(key)
        ));
    }
    html.push_str("</details>\n</section>\n");
    html.push_str(JSON_OPEN);
    html.push_str(&script_safe_json(&data));
    html.push_str("</script>\n");
    html.push_str(&format!(
        "<script src=\"{root}integrity/verify.js\" defer></script>"
    ));
    html
}

/// Replaces the marker with the sealed block; `None` when the page has no
/// marker (then it is left as it is).
pub fn seal_page(
    path: &str,
    bytes: &[u8],
    source: Option<&PageSource>,
    seal: &PageSeal,
) -> Option<Vec<u8>> {
    seal_page_hashed(path, bytes, source, seal).map(|(page, _)| page)
}

/// [`seal_page`], with the SHA-256 (hex) of the sealed page. Both hashes,
/// `self` and the file's, start with the same bytes before the marker:
/// those are hashed once, and the page is put together once.
pub fn seal_page_hashed(
    path: &str,
    bytes: &[u8],
    source: Option<&PageSource>,
    seal: &PageSeal,
) -> Option<(Vec<u8>, String)> {
    let text = std::str::from_utf8(bytes).ok()?;
    // The theme puts the marker in the footer: searching from the end finds
    // it after a few hundred bytes instead of the whole page (and a marker
    // a note wrote as raw HTML in its text is not the one filled in).
    let at = text.rfind(MARKER)?;
    let (before, after) = (&text[..at], &text[at + MARKER.len()..]);
    let mut head = Sha256::new();
    head.update(before.as_bytes());
    let finish = |block: &str| {
        let mut h = head.clone();
        h.update(block.as_bytes());
        h.update(after.as_bytes());
        hex::encode(h.finalize())
    };
    let self_hash = finish(&block(path, source, seal, ZEROS));
    let block = block(path, source, seal, &self_hash);
    let file_hash = finish(&block);
    let mut page = String::with_capacity(text.len() + block.len());
    page.push_str(before);
    page.push_str(&block);
    page.push_str(after);
    Some((page.into_bytes(), file_hash))
}

/// The `self` value a page declares, if it has an integrity block.
pub fn declared_self(bytes: &[u8]) -> Option<String> {
    let open = JSON_OPEN.as_bytes();
    let at = bytes.windows(open.len()).rposition(|w| w == open)? + open.len();
    let rest = &bytes[at..];
    let key = b"\"self\":\"";
    let k = rest.windows(key.len()).position(|w| w == key)? + key.len();
    let value = rest.get(k..k + 64)?;
    let value = std::str::from_utf8(value).ok()?;
    value
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        .then(|| value.to_string())
}

/// Recomputes a page's self hash from its bytes and the declared value.
pub fn recompute_self(bytes: &[u8], declared: &str) -> String {
    let needle = declared.as_bytes();
    let mut zeroed = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) && !needle.is_empty() {
            zeroed.extend_from_slice(ZEROS.as_bytes());
            i += needle.len();
        } else {
            zeroed.push(bytes[i]);
            i += 1;
        }
    }
    sha256_hex(&zeroed)
}

/// `Some(true)` when the page's declared self hash matches its bytes,
/// `Some(false)` when not, `None` when it declares none.
pub fn check_self(bytes: &[u8]) -> Option<bool> {
    let declared = declared_self(bytes)?;
    Some(recompute_self(bytes, &declared) == declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal() -> PageSeal<'static> {
        PageSeal {
            public_key: None,
            mirrors: &[],
            site_id: "abc",
        }
    }

    #[test]
    fn self_hash_round_trips_and_catches_edits() {
        let page = format!("<html><body><p>x</p><footer>{MARKER}</footer></body></html>");
        let sealed = seal_page("a/b.html", page.as_bytes(), None, &seal()).unwrap();
        assert_eq!(check_self(&sealed), Some(true));
        let (same, hash) = seal_page_hashed("a/b.html", page.as_bytes(), None, &seal()).unwrap();
        assert_eq!(same, sealed);
        assert_eq!(
            hash,
            sha256_hex(&sealed),
            "the file hash is of the sealed bytes"
        );
        let text = String::from_utf8(sealed.clone()).unwrap();
        assert!(text.contains("../integrity/verify.js"));
        let declared = declared_self(&sealed).unwrap();
        assert_eq!(text.matches(&declared).count(), 2, "JSON block and panel");
        let altered = text.replace("<p>x</p>", "<p>y</p>");
        assert_eq!(check_self(altered.as_bytes()), Some(false));
    }

    #[test]
    fn json_block_cannot_close_the_script() {
        let src = PageSource {
            source: "</script><b>.md".into(),
            source_sha256: "00".into(),
            title: "t".into(),
        };
        let page = format!("<footer>{MARKER}</footer>");
        let sealed = seal_page("x.html", page.as_bytes(), Some(&src), &seal()).unwrap();
        let text = String::from_utf8(sealed).unwrap();
        assert_eq!(text.matches("</script>").count(), 2);
    }
}
