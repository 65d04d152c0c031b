//! Obsidian syntax shared by `index` (which collects) and `render` (which
//! draws): parser options, link targets, heading slugs, tags, block ids.

pub mod slug;
pub mod tags;
pub mod target;

use pulldown_cmark::Options;

/// The one set of parser options, so `index` and `render` see the same
/// events (the n-th heading in one is the n-th heading in the other).
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_WIKILINKS
}

/// `^block-id` at the end of a block's text: returns (text before, id).
pub fn trailing_block_id(text: &str) -> Option<(&str, &str)> {
    let trimmed = text.trim_end();
    let caret = trimmed.rfind('^')?;
    let id = &trimmed[caret + 1..];
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let before = &trimmed[..caret];
    if !(before.is_empty() || before.ends_with([' ', '\t', '\n'])) {
        return None;
    }
    Some((before.trim_end(), id))
}

#[cfg(test)]
mod tests {
    use super::trailing_block_id;

    #[test]
    fn block_ids() {
        assert_eq!(trailing_block_id("text ^abc-1"), Some(("text", "abc-1")));
        assert_eq!(trailing_block_id("^solo"), Some(("", "solo")));
        assert_eq!(trailing_block_id("x^no"), None);
        assert_eq!(trailing_block_id("2^10 = 1024"), None);
        assert_eq!(trailing_block_id("a ^"), None);
    }
}
