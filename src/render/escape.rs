//! HTML escaping for text and attributes we write ourselves.

pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// For `href`/`src` values that are already percent-encoded where needed.
pub fn attr(text: &str) -> String {
    html(text)
}
