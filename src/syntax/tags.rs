//! Inline `#tags`: letters, digits, `_`, `-`, `/`, any Unicode letter, at
//! least one non-digit; the `#` must start a word.

/// Finds tags in a run of plain text: (byte range including `#`, tag).
pub fn find_tags(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    // Most text runs hold no `#` at all: skip the per-character walk.
    if !text.contains('#') {
        return found;
    }
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let starts_word =
            prev.is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | ',' | ';'));
        if c == '#' && starts_word {
            let start = i + 1;
            let mut end = start;
            while let Some(&(j, d)) = iter.peek() {
                if is_tag_char(d) {
                    end = j + d.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            let tag = text[start..end].trim_end_matches('/');
            let end = start + tag.len();
            if !tag.is_empty() && tag.chars().any(|c| !c.is_ascii_digit()) && !tag.starts_with('/')
            {
                found.push((i..end, tag));
            }
            prev = text[..end].chars().next_back();
            continue;
        }
        prev = Some(c);
    }
    found
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '/')
}

/// The key under which tags group: case-insensitive.
pub fn tag_key(tag: &str) -> String {
    tag.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::find_tags;

    fn tags(t: &str) -> Vec<&str> {
        find_tags(t).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn finds_tags() {
        assert_eq!(tags("a #tag and #nested/tag."), vec!["tag", "nested/tag"]);
        assert_eq!(tags("#знание #知识 #café"), vec!["знание", "知识", "café"]);
        assert_eq!(tags("issue #123 a#b #1a"), vec!["1a"]);
        assert_eq!(tags("# heading"), Vec::<&str>::new());
    }
}
