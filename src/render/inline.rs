//! Inline Obsidian syntax inside text events: `==highlight==`, `#tags`
//! and inline footnotes `^[…]`.

use std::collections::HashMap;

/// A piece of a text event after inline syntax is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// `==` that may open a highlight.
    MarkOpen,
    /// `==` that may close a highlight.
    MarkClose,
    /// `==` that can do neither (`a == b`).
    Literal(&'a str),
    Tag(&'a str),
    Footnote(&'a str),
}

/// Splits text into pieces; `tags` is false inside links.
pub fn split(text: &str, tags: bool) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    let tag_spans = if tags {
        crate::syntax::tags::find_tags(text)
    } else {
        Vec::new()
    };
    let mut next_tag = 0;
    // Where each `[` closes, found once: scanning ahead from every `^[`
    // would cost the square of the text's length on `^[^[^[…`.
    let closing = if text.contains("^[") {
        bracket_pairs(bytes)
    } else {
        HashMap::new()
    };
    while i < bytes.len() {
        if next_tag < tag_spans.len() && tag_spans[next_tag].0.start == i {
            let (range, tag) = tag_spans[next_tag].clone();
            push_text(&mut pieces, &text[rest_start..i]);
            pieces.push(Piece::Tag(tag));
            i = range.end;
            rest_start = i;
            next_tag += 1;
            continue;
        }
        if bytes[i] == b'^' && bytes.get(i + 1) == Some(&b'[') {
            if let Some(len) = closing
                .get(&(i + 1))
                .map(|close| close - i)
                .filter(|&len| len > 2)
            {
                push_text(&mut pieces, &text[rest_start..i]);
                pieces.push(Piece::Footnote(&text[i + 2..i + len]));
                i += 1 + len;
                rest_start = i;
                continue;
            }
        }
        if bytes[i] == b'=' && bytes.get(i + 1) == Some(&b'=') {
            // `===` is not a highlight marker.
            let run = bytes[i..].iter().take_while(|&&b| b == b'=').count();
            if run == 2 {
                push_text(&mut pieces, &text[rest_start..i]);
                let before = text[..i].chars().next_back();
                let after = text[i + 2..].chars().next();
                let can_open = after.is_none_or(|c| !c.is_whitespace());
                let can_close = before.is_none_or(|c| !c.is_whitespace());
                pieces.push(match (can_open, can_close) {
                    (true, false) => Piece::MarkOpen,
                    (false, true) => Piece::MarkClose,
                    (true, true) if before.is_none() => Piece::MarkClose,
                    (true, true) => Piece::MarkOpen,
                    (false, false) => Piece::Literal("=="),
                });
                i += 2;
                rest_start = i;
                continue;
            }
            i += run;
            continue;
        }
        i += 1;
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    push_text(&mut pieces, &text[rest_start..]);
    pieces
}

fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, text: &'a str) {
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
}

/// For each `[` with a matching `]` (brackets balanced in between), the
/// position of that `]`. One pass with a stack.
fn bracket_pairs(bytes: &[u8]) -> HashMap<usize, usize> {
    let mut open = Vec::new();
    let mut pairs = HashMap::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => open.push(i),
            b']' => {
                if let Some(start) = open.pop() {
                    pairs.insert(start, i);
                }
            }
            _ => {}
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::*;

    #[test]
    fn highlights() {
        assert_eq!(
            split("a ==b== c", false),
            vec![Text("a "), MarkOpen, Text("b"), MarkClose, Text(" c")]
        );
        assert_eq!(
            split("x == y", false),
            vec![Text("x "), Literal("=="), Text(" y")]
        );
        assert_eq!(split("a === b", false), vec![Text("a === b")]);
    }

    #[test]
    fn tags_and_footnotes() {
        assert_eq!(
            split("see #t and ^[note [x]] end", true),
            vec![
                Text("see "),
                Tag("t"),
                Text(" and "),
                Footnote("note [x]"),
                Text(" end")
            ]
        );
        assert_eq!(split("see #t", false), vec![Text("see #t")]);
        assert_eq!(split("^[] x", true), vec![Text("^[] x")]);
        assert_eq!(
            split("^[ ^[a] ]] ^[b", true),
            vec![Footnote(" ^[a] "), Text("] ^[b")]
        );
        assert_eq!(split("^[^[", true), vec![Text("^[^[")]);
    }
}
