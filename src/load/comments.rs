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
    /// What was cut where, so places in `text` can be named in the file
    /// as written; empty when nothing was cut or it took several passes
    /// (then places after a cut are only approximate).
    pub gaps: Vec<Gap>,
    /// Byte offset (in the text given) of a comment that never closes and
    /// so hides the rest of the note.
    pub unterminated_at: Option<usize>,
}

/// A comment cut from the text: where (a byte offset in the stripped text)
/// and what it spanned, to count lines and columns as in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub at: usize,
    /// Line ends inside the cut text.
    pub lines: usize,
    /// Characters after the cut text's last line end (all of them when it
    /// has none).
    pub tail_chars: usize,
}

impl Gap {
    fn of(at: usize, removed: &str) -> Gap {
        let lines = removed.matches('\n').count();
        let tail = removed.rfind('\n').map_or(removed, |i| &removed[i + 1..]);
        Gap {
            at,
            lines,
            tail_chars: tail.chars().count(),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text` (a
/// body with `gaps` cut out) in the body as written.
pub fn position(text: &str, gaps: &[Gap], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let cut = gaps.partition_point(|g| g.at <= offset);
    let lines = before.matches('\n').count() + gaps[..cut].iter().map(|g| g.lines).sum::<usize>();
    // Walk the stripped line up to the offset, putting each cut back: a
    // cut that held a line end starts the line as written.
    let mut column = 0;
    let mut at = line_start;
    for g in &gaps[gaps.partition_point(|g| g.at < line_start)..cut] {
        column += text.get(at..g.at).map_or(0, |t| t.chars().count());
        at = g.at;
        column = if g.lines > 0 {
            g.tail_chars
        } else {
            column + g.tail_chars
        };
    }
    column += text.get(at..offset).map_or(0, |t| t.chars().count());
    (lines + 1, column + 1)
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
) -> (String, Vec<Gap>) {
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
    (stripped.text.into_owned(), stripped.gaps)
}

/// [`strip_comments`], also saying where an unterminated comment starts.
pub fn strip(text: &str) -> Stripped<'_> {
    let mut stripped = Stripped {
        text: Cow::Borrowed(text),
        gaps: Vec::new(),
        unterminated_at: None,
    };
    for pass in 0..=MAX_PASSES {
        if !has_marker(&stripped.text) {
            return stripped;
        }
        if pass == MAX_PASSES {
            stripped.text = Cow::Owned(strip_ignoring_code(&stripped.text));
            stripped.gaps.clear();
            return stripped;
        }
        let code = code_ranges(&stripped.text);
        let Some((text, unterminated, gaps)) = strip_outside(&stripped.text, &code) else {
            // Every marker left is inside code.
            return stripped;
        };
        if pass == 0 {
            stripped.unterminated_at = unterminated;
            stripped.gaps = gaps;
        } else {
            stripped.gaps.clear();
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
fn strip_outside(text: &str, code: &[Range<usize>]) -> Option<(String, Option<usize>, Vec<Gap>)> {
    let mut out = String::with_capacity(text.len());
    let mut gaps = Vec::new();
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
                gaps.push(Gap::of(out.len(), &text[i..copied]));
                at = copied;
            }
            None => {
                return Some((out, Some(i), gaps));
            }
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[copied..]);
    Some((out, None, gaps))
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
    /// Places after a cut comment are named as in the file: its lines and
    /// its characters are counted back in.
    #[test]
    fn positions_count_cut_comments_back_in() {
        let written = "a %%one\ntwo%% é [[x]]\n%%c%%[[y]]\nplain [[z]]\n";
        let s = super::strip(written);
        let text = &s.text;
        let find = |needle: &str| text.find(needle).expect("in text");
        let expected = |needle: &str| {
            let at = written.find(needle).expect("written");
            let line = written[..at].matches('\n').count() + 1;
            let start = written[..at].rfind('\n').map_or(0, |i| i + 1);
            (line, written[start..at].chars().count() + 1)
        };
        for needle in ["[[x]]", "[[y]]", "[[z]]"] {
            assert_eq!(
                super::position(text, &s.gaps, find(needle)),
                expected(needle),
                "{needle}"
            );
        }
    }

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
