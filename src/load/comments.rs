//! Removes private comments — Obsidian's `%%…%%` and HTML's `<!-- … -->` —
//! before anything else sees the note, so a comment can never reach a page,
//! an embed, the search index or a feed.
//!
//! What is code is decided by the Markdown parser itself (pulldown-cmark,
//! with the options `render` uses), never by guessing from the raw text:
//! only code spans and code blocks keep their `%%` and `<!--` as text, as in
//! Obsidian. Everything else — paragraphs, HTML blocks, tables, link text,
//! math — loses its comments. An unterminated comment hides the rest of the
//! note (privacy wins over display).
//!
//! Removing a comment can change how the rest of the note parses (a
//! backtick inside a comment no longer opens a code span), so the result is
//! parsed again until no marker is left outside code. If that does not
//! settle within a few passes, every marker is stripped, code or not: when
//! unsure, strip.

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::syntax::parser_options;
use pulldown_cmark::{Event, Parser, Tag};
use std::borrow::Cow;
use std::ops::Range;

/// Passes that respect code before giving up and stripping everything.
const MAX_PASSES: usize = 4;

/// The comment markers, opener and closer.
const MARKERS: [(&str, &str); 2] = [("%%", "%%"), ("<!--", "-->")];

/// A note body without its comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped<'a> {
    pub text: Cow<'a, str>,
    /// Byte offset (in the text given) of a comment that never closes and
    /// so hides the rest of the note.
    pub unterminated_at: Option<usize>,
}

/// The body without `%%comments%%` and `<!-- comments -->`.
pub fn strip_comments(text: &str) -> Cow<'_, str> {
    strip(text).text
}

/// The note body `path` without its comments; an unterminated comment is
/// a warning naming the line (the body starts on line `body_line`).
pub fn strip_private(
    path: &str,
    body: &str,
    body_line: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    let stripped = strip(body);
    if let Some(at) = stripped.unterminated_at {
        let before = &body[..at];
        let line = body_line + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        diagnostics.push(
            Diagnostic::warning(
                DiagnosticKind::UnclosedComment,
                path,
                "a comment opened here never closes: the rest of the note is hidden",
            )
            .at(line, column),
        );
    }
    stripped.text.into_owned()
}

/// [`strip_comments`], also saying where an unterminated comment starts.
pub fn strip(text: &str) -> Stripped<'_> {
    let mut stripped = Stripped {
        text: Cow::Borrowed(text),
        unterminated_at: None,
    };
    for pass in 0..=MAX_PASSES {
        if !has_marker(&stripped.text) {
            return stripped;
        }
        if pass == MAX_PASSES {
            stripped.text = Cow::Owned(strip_ignoring_code(&stripped.text));
            return stripped;
        }
        let code = code_ranges(&stripped.text);
        let Some((text, unterminated)) = strip_outside(&stripped.text, &code) else {
            // Every marker left is inside code.
            return stripped;
        };
        if pass == 0 {
            stripped.unterminated_at = unterminated;
        }
        stripped.text = Cow::Owned(text);
    }
    stripped
}

fn has_marker(text: &str) -> bool {
    MARKERS.iter().any(|(open, _)| text.contains(open))
}

/// Byte ranges of code spans and code blocks, in order, as the parser sees
/// them.
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    Parser::new_ext(text, parser_options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(_)) => Some(range),
            _ => None,
        })
        .collect()
}

/// The marker that opens a comment at `at`, if any.
fn opener_at(text: &str, at: usize) -> Option<(&'static str, &'static str)> {
    MARKERS
        .iter()
        .find(|(open, _)| text[at..].starts_with(open))
        .copied()
}

/// Removes every comment whose opener is outside `code`. `None` when there
/// was nothing to remove; otherwise the new text and where an unterminated
/// comment started.
fn strip_outside(text: &str, code: &[Range<usize>]) -> Option<(String, Option<usize>)> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // text[..copied] is decided
    let mut at = 0;
    let mut code = code.iter().peekable();
    let mut changed = false;
    while let Some(found) = text[at..].find(['%', '<']) {
        let i = at + found;
        while code.next_if(|r| r.end <= i).is_some() {}
        if let Some(r) = code.peek().filter(|r| r.start <= i) {
            at = r.end.max(i + 1);
            continue;
        }
        let Some((open, close)) = opener_at(text, i) else {
            at = i + 1;
            continue;
        };
        changed = true;
        out.push_str(&text[copied..i]);
        // Search from inside the opener so `<!-->` closes itself, as in
        // CommonMark; `%%%%` is an empty comment.
        let from = i + open.len().min(2);
        match text[from..].find(close) {
            Some(end) => {
                copied = (from + end + close.len()).max(i + open.len());
                at = copied;
            }
            None => {
                return Some((out, Some(i)));
            }
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[copied..]);
    Some((out, None))
}

/// The last resort: every comment goes, code or not, including markers
/// that only appear once an earlier comment is gone (`%<!--x-->%`).
fn strip_ignoring_code(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        out.push(bytes[i]);
        i += 1;
        let Some((open, close)) = MARKERS
            .iter()
            .find(|(open, _)| out.ends_with(open.as_bytes()))
        else {
            continue;
        };
        out.truncate(out.len() - open.len());
        match text[i..].find(close) {
            Some(end) => i += end + close.len(),
            None => break,
        }
    }
    // Only whole ASCII markers and what lies between them were removed, so
    // the bytes are still UTF-8; the lossy path is never taken in practice.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::{strip, strip_comments, strip_ignoring_code};

    #[test]
    fn inline_and_multiline() {
        assert_eq!(strip_comments("a %%secret%% b\n"), "a  b\n");
        assert_eq!(strip_comments("a\n%%\nsecret\nmore\n%%\nb\n"), "a\n\nb\n");
    }

    #[test]
    fn code_is_untouched() {
        let t = "`%%x%%` and\n```\n%%keep%%\n```\n\n    %%indented%%\n";
        assert_eq!(strip_comments(t), t);
        let t = "`<!-- shown -->` and\n```html\n<!-- shown -->\n```\n";
        assert_eq!(strip_comments(t), t);
    }

    #[test]
    fn unterminated_hides_rest() {
        let s = strip("shown %%hidden\nalso hidden\n");
        assert_eq!(s.text, "shown ");
        assert_eq!(s.unterminated_at, Some(6));
        assert_eq!(strip_comments("shown <!-- hidden\n\nmore"), "shown ");
    }

    #[test]
    fn unicode_survives() {
        assert_eq!(
            strip_comments("знание %%x%% 知识 % ok <b>\n"),
            "знание  知识 % ok <b>\n"
        );
    }

    #[test]
    fn escaped_and_unclosed_backticks_are_not_code() {
        // The parser, not a line scan, decides what is code.
        for t in [
            "\\`a %%secret%% `",
            "`a\\` %%secret%% `",
            "``a` %%secret%% b",
            "` %%secret%%",
            "a `b\n\nc %%secret%% `d`",
            "| `a | %%secret%% | b` |\n|---|---|---|\n",
        ] {
            let out = strip_comments(t);
            assert!(!out.contains("secret"), "{t:?} → {out:?}");
        }
    }

    #[test]
    fn html_comments_go_inline_and_in_blocks() {
        assert_eq!(strip_comments("a <!-- x --> b"), "a  b");
        assert_eq!(
            strip_comments("<div>\n<!-- secret -->\n%%hidden%%\n</div>\n"),
            "<div>\n\n\n</div>\n"
        );
        assert_eq!(strip_comments("a <!--> b"), "a  b");
    }

    #[test]
    fn a_comment_hiding_a_backtick_does_not_expose_code() {
        // Pass 1 sees a code span from the comment's backtick; once the
        // comment is gone the second `%%` is outside code and goes too.
        let out = strip_comments("%% ` %% x %%secret` %%");
        assert!(!out.contains("secret"), "{out:?}");
    }

    /// Whatever the soup, every marker left is inside code as the parser
    /// sees the result — the text render will parse.
    #[test]
    fn no_marker_survives_outside_code() {
        use proptest::prelude::*;
        const TOKENS: &[&str] = &[
            "%%",
            "%",
            "<!--",
            "-->",
            "<!-->",
            "-",
            "`",
            "``",
            "```\n",
            "~~~\n",
            "\\",
            "\n",
            "\n\n",
            "    ",
            "> ",
            "- ",
            "| a | b |\n|---|---|\n",
            "|",
            "<div>\n",
            "</div>",
            "$",
            "[",
            "](x)",
            "[[",
            "]]",
            "x",
            "é",
            "<",
            ">",
        ];
        let soup =
            prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|t| t.concat());
        proptest!(ProptestConfig::with_cases(2000), |(text in soup)| {
            let out = strip_comments(&text);
            let code = super::code_ranges(&out);
            for (open, _) in super::MARKERS {
                for (at, _) in out.match_indices(open) {
                    prop_assert!(
                        code.iter().any(|r| r.contains(&at)),
                        "{open:?} at {at} outside code in {out:?} (from {text:?})"
                    );
                }
            }
        });
    }

    #[test]
    fn last_resort_strips_joined_markers() {
        assert_eq!(strip_ignoring_code("a%<!--x-->%b%%c"), "ac");
        assert_eq!(strip_ignoring_code("`%%x%%` y"), "`` y");
    }
}
