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
/// A character XML 1.0 forbids (see [`xml_allowed`]) cannot be written even
/// as a reference, so it becomes U+FFFD: whatever a title, tag or name
/// holds, every XML file Spore writes parses.
pub fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if !xml_allowed(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether XML 1.0 allows `c` anywhere in a document (its `Char`
/// production): not the C0 controls other than tab, line feed and carriage
/// return, nor U+FFFE and U+FFFF. (Surrogates cannot occur in a `char`.)
pub fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod xml_tests {
    use super::*;

    #[test]
    fn markup_never_writes_what_xml_forbids() {
        assert_eq!(
            markup("a\u{1}b\u{b}c\u{FFFE}d\u{FFFF}e\tf\ng\u{1FFFE}]]>&<"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\tf\ng\u{1FFFE}]]&gt;&amp;&lt;"
        );
        for c in ['\u{0}', '\u{8}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!xml_allowed(c), "{c:?}");
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{7F}',
            '\u{85}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{10FFFF}',
        ] {
            assert!(xml_allowed(c), "{c:?}");
        }
    }
}

#[cfg(test)]
mod xml_props {
    use super::markup;
    use proptest::prelude::*;

    proptest! {
        /// Any text, escaped, makes a well-formed element and attribute.
        #[test]
        fn any_text_escaped_is_well_formed_xml(text in "(\\PC|[\\x00-\\x1f\u{fffe}\u{ffff}])*") {
            let escaped = markup(&text);
            let doc = format!("<a t=\"{escaped}\">{escaped}</a>");
            let parsed = roxmltree::Document::parse(&doc);
            prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        }
    }
}
