//! `sitemap.xml`: every page with an absolute URL on the first mirror.
//! The sitemap protocol only allows absolute URLs, so without mirrors no
//! sitemap is written (documented in `content/Search and navigation.md`).

use super::graph::xml_escape;
use crate::config::Config;
use std::collections::BTreeMap;

pub const SITEMAP_PATH: &str = "sitemap.xml";

/// `pages`: output path → last-modified timestamp (RFC 3339), if known.
pub fn sitemap_xml(config: &Config, pages: &BTreeMap<String, Option<String>>) -> Option<Vec<u8>> {
    let base = &config.mirrors.first()?.url;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (path, lastmod) in pages {
        let loc = if path == "index.html" {
            base.clone()
        } else {
            format!("{base}{}", crate::portable::encode_path(path))
        };
        xml.push_str(&format!("  <url><loc>{}</loc>", xml_escape(&loc)));
        if let Some(m) = lastmod {
            xml.push_str(&format!("<lastmod>{}</lastmod>", xml_escape(m)));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    Some(xml.into_bytes())
}
