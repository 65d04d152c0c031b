//! `integrity/site.meta4`: a Metalink 4 (RFC 5854) description of the whole
//! site — every file with its size, SHA-256 and one URL per mirror — so
//! `aria2c -M integrity/site.meta4` clones or repairs a copy from all
//! mirrors at once. Every file is listed with its hash, the root and the
//! shards included, but for `SHA256SUMS` and the signature (listed with
//! URLs only: the first lists this file, the second is not derivable).

use super::manifest::MirrorEntry;
use crate::portable::encode_path;
use crate::render::escape::markup as xml_escape;
use std::fmt::Write;

fn write_urls(out: &mut String, path: &str, mirrors: &[MirrorEntry]) {
    for m in mirrors {
        let mut attrs = String::new();
        if let Some(p) = m.priority {
            // Metalink priorities run from 1 (most preferred) up.
            let _ = write!(attrs, " priority=\"{}\"", p.max(1));
        }
        if let Some(l) = &m.location {
            let _ = write!(
                attrs,
                " location=\"{}\"",
                xml_escape(&l.to_ascii_lowercase())
            );
        }
        let _ = writeln!(
            out,
            "    <url{attrs}>{}</url>",
            xml_escape(&format!("{}{}", m.url, encode_path(path)))
        );
    }
}

/// One file's `<file>` element, with a URL on every mirror.
pub fn file_element(path: &str, size: u64, sha256: &str, mirrors: &[MirrorEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  <file name=\"{}\">", xml_escape(path));
    let _ = writeln!(out, "    <size>{size}</size>");
    let _ = writeln!(out, "    <hash type=\"sha-256\">{sha256}</hash>");
    write_urls(&mut out, path, mirrors);
    out.push_str("  </file>\n");
    out
}

/// The Metalink document over the files' [`file_element`]s (in path
/// order), plus `url_only`, files listed without a hash.
pub fn metalink<'a>(
    files: impl Iterator<Item = &'a str>,
    mirrors: &[MirrorEntry],
    generator: &str,
    published: &str,
    url_only: &[&str],
) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n");
    let _ = writeln!(out, "  <generator>{}</generator>", xml_escape(generator));
    let _ = writeln!(out, "  <published>{}</published>", xml_escape(published));
    for element in files {
        out.push_str(element);
    }
    for &path in url_only {
        let _ = writeln!(out, "  <file name=\"{}\">", xml_escape(path));
        write_urls(&mut out, path, mirrors);
        out.push_str("  </file>\n");
    }
    out.push_str("</metalink>\n");
    out
}
