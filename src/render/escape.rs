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

/// Escapes all five markup characters, for text and attribute values in
/// HTML and XML alike (feeds, sitemaps, Metalink, SVG, the integrity panel).
pub fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
