//! Removes Obsidian `%%comments%%` before anything else sees the note, so a
//! comment can never reach a page, an embed, the search index or a feed.
//! `%%` inside code blocks and code spans is text, as in Obsidian; an
//! unterminated `%%` hides the rest of the note (privacy wins over display).

pub fn strip_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("%%") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_comment = false;
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        if !in_comment {
            if let Some((ch, len)) = fence {
                out.push_str(line);
                if closes_fence(line, ch, len) {
                    fence = None;
                }
                continue;
            }
            if let Some(open) = opens_fence(line) {
                fence = Some(open);
                out.push_str(line);
                continue;
            }
        }
        in_comment = strip_line(line, in_comment, &mut out);
    }
    std::borrow::Cow::Owned(out)
}

/// Copies `line` minus comments into `out`; returns whether a comment is
/// still open at the end of the line.
fn strip_line(line: &str, mut in_comment: bool, out: &mut String) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if in_comment {
            match line[i..].find("%%") {
                Some(end) => {
                    i += end + 2;
                    in_comment = false;
                }
                None => return true,
            }
        } else if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            let ticks = &line[i..i + run];
            match line[i + run..].find(ticks) {
                Some(close) => {
                    let end = i + run + close + run;
                    out.push_str(&line[i..end]);
                    i = end;
                }
                None => {
                    out.push_str(ticks);
                    i += run;
                }
            }
        } else if line[i..].starts_with("%%") {
            in_comment = true;
            i += 2;
        } else {
            let next = line[i..]
                .find(['`', '%'])
                .map(|n| if n == 0 { 1 } else { n })
                .unwrap_or(line.len() - i);
            let end = next_char_boundary(line, i + next);
            out.push_str(&line[i..end]);
            i = end;
        }
    }
    in_comment
}

fn next_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

fn opens_fence(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    if ch == '`' && rest[len..].contains('`') {
        return None;
    }
    Some((ch, len))
}

fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let trimmed = line.trim();
    let indent = line.len() - line.trim_start_matches(' ').len();
    indent <= 3 && trimmed.len() >= len && trimmed.chars().all(|c| c == ch)
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn inline_and_multiline() {
        assert_eq!(strip_comments("a %%secret%% b\n"), "a  b\n");
        assert_eq!(strip_comments("a\n%%\nsecret\nmore\n%%\nb\n"), "a\n\nb\n");
    }

    #[test]
    fn code_is_untouched() {
        let t = "`%%x%%` and\n```\n%%keep%%\n```\n";
        assert_eq!(strip_comments(t), t);
    }

    #[test]
    fn unterminated_hides_rest() {
        assert_eq!(strip_comments("shown %%hidden\nalso hidden\n"), "shown ");
    }

    #[test]
    fn unicode_survives() {
        assert_eq!(
            strip_comments("знание %%x%% 知识 % ok\n"),
            "знание  知识 % ok\n"
        );
    }
}
