//! Code highlighting with syntect, as CSS classes (one light and one dark
//! stylesheet). The syntax set loads once per process, and each distinct
//! code block is highlighted once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlights code blocks; shared by every render thread.
#[derive(Default)]
pub struct Highlighter {
    cache: Mutex<Cache>,
}

/// Highlighted blocks by a digest of their language and code, up to
/// [`CACHE_BYTES`] of HTML: the code itself is not kept, and a vault with
/// gigabytes of code does not keep its HTML (the cache starts over when
/// full; what it returns never depends on it).
#[derive(Default)]
struct Cache {
    blocks: HashMap<[u8; 32], Arc<str>>,
    bytes: usize,
}

const CACHE_BYTES: usize = 16 << 20;

impl Highlighter {
    pub fn new() -> Highlighter {
        Highlighter::default()
    }

    /// Empties the cache (a build whose pages are all made).
    pub fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Cache::default();
        }
    }

    /// The whole `<pre>` element for a fenced block.
    pub fn code_block(&self, lang: &str, code: &str) -> Arc<str> {
        let key: [u8; 32] = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update((lang.len() as u64).to_le_bytes());
            h.update(lang);
            h.update(code);
            h.finalize().into()
        };
        if let Ok(cache) = self.cache.lock() {
            if let Some(hit) = cache.blocks.get(&key) {
                return hit.clone();
            }
        }
        let html: Arc<str> = render_block(lang, code).into();
        if let Ok(mut cache) = self.cache.lock() {
            if cache.bytes + html.len() > CACHE_BYTES {
                *cache = Cache::default();
            }
            cache.bytes += html.len();
            cache.blocks.insert(key, html.clone());
        }
        html
    }
}

fn render_block(lang: &str, code: &str) -> String {
    let lang_attr = super::escape::attr(lang);
    let inner = highlight_lines(lang, code).unwrap_or_else(|| super::escape::html(code));
    if lang.is_empty() {
        format!("<pre class=\"code\"><code>{inner}</code></pre>\n")
    } else {
        format!(
            "<pre class=\"code\" data-lang=\"{lang_attr}\"><code class=\"language-{lang_attr}\">{inner}</code></pre>\n"
        )
    }
}

fn highlight_lines(lang: &str, code: &str) -> Option<String> {
    if lang.is_empty() {
        return None;
    }
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

/// The light and dark stylesheets for the highlighted classes.
pub fn stylesheets() -> (String, String) {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let css = |name: &str| {
        themes
            .themes
            .get(name)
            .and_then(|t| syntect::html::css_for_theme_with_class_style(t, CLASS_STYLE).ok())
            .unwrap_or_default()
    };
    (css("InspiredGitHub"), css("base16-ocean.dark"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_known_language_and_escapes_unknown() {
        let h = Highlighter::new();
        let rust = h.code_block("rust", "fn main() {}\n");
        assert!(rust.contains("hl-"), "{rust}");
        let unknown = h.code_block("nosuchlang", "<b>\n");
        assert!(unknown.contains("&lt;b&gt;"));
        let (light, dark) = stylesheets();
        assert!(light.contains(".hl-"));
        assert!(dark.contains(".hl-"));
    }
}
