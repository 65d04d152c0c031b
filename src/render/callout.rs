//! Obsidian callouts: `> [!type]± Title` blockquotes become `<div>`s (or
//! `<details>` when foldable). A pass over the event stream, so Markdown
//! inside the title and body renders as usual and callouts nest.

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// The 13 Obsidian types; aliases map onto them, anything else is `note`.
pub fn canonical_type(kind: &str) -> &'static str {
    match kind.to_lowercase().as_str() {
        "abstract" | "summary" | "tldr" => "abstract",
        "info" => "info",
        "todo" => "todo",
        "tip" | "hint" | "important" => "tip",
        "success" | "check" | "done" => "success",
        "question" | "help" | "faq" => "question",
        "warning" | "caution" | "attention" => "warning",
        "failure" | "fail" | "missing" => "failure",
        "danger" | "error" => "danger",
        "bug" => "bug",
        "example" => "example",
        "quote" | "cite" => "quote",
        _ => "note",
    }
}

struct Header<'a> {
    kind: String,
    fold: Option<char>,
    /// Title text after the marker (may be empty).
    rest: CowStr<'a>,
}

/// `[!type]-  Title` at the start of the first paragraph's text.
fn parse_header(text: &str) -> Option<(String, Option<char>, usize)> {
    let inner = text.strip_prefix("[!")?;
    let close = inner.find(']')?;
    let kind = &inner[..close];
    if kind.is_empty()
        || !kind
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let after = &inner[close + 1..];
    let fold = after.chars().next().filter(|c| *c == '+' || *c == '-');
    let consumed = 2 + close + 1 + fold.map_or(0, |_| 1);
    Some((kind.to_string(), fold, consumed))
}

fn title_case(kind: &str) -> String {
    let mut chars = kind.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Rewrites callout blockquotes; other blockquotes pass through.
/// Where each callout opens and closes in the events `transform` returns
/// (both ascending): a callout is HTML events, not a tag pair, yet it is one
/// block — a standalone `^id` after it names all of it.
#[derive(Debug, Default)]
pub struct Edges {
    pub opens: Vec<usize>,
    pub closes: Vec<usize>,
}

pub fn transform(events: Vec<Event<'_>>) -> (Vec<Event<'_>>, Edges) {
    let mut edges = Edges::default();
    let mut out = Vec::with_capacity(events.len());
    // For each open blockquote: the closing HTML when it is a callout.
    let mut closers: Vec<Option<&'static str>> = Vec::new();
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    let mut i = 0;
    while i < slots.len() {
        let Some(event) = slots[i].take() else {
            i += 1;
            continue;
        };
        i += 1;
        match event {
            Event::Start(Tag::BlockQuote(None)) => {
                let header = match (slots.get(i), slots.get(i + 1)) {
                    (Some(Some(Event::Start(Tag::Paragraph))), Some(Some(Event::Text(t)))) => {
                        parse_header(t).map(|(k, f, n)| Header {
                            kind: k,
                            fold: f,
                            rest: CowStr::from(t[n..].trim_start().to_string()),
                        })
                    }
                    _ => None,
                };
                let Some(header) = header else {
                    closers.push(None);
                    out.push(Event::Start(Tag::BlockQuote(None)));
                    continue;
                };
                i += 2; // Start(Paragraph) and the header text
                let canonical = canonical_type(&header.kind);
                let mut title: Vec<Event> = Vec::new();
                if !header.rest.is_empty() {
                    title.push(Event::Text(header.rest));
                }
                // The title runs to the end of the first line.
                let mut paragraph_continues = false;
                while i < slots.len() {
                    let e = slots[i].take();
                    i += 1;
                    match e {
                        Some(Event::SoftBreak | Event::HardBreak) => {
                            paragraph_continues = true;
                            break;
                        }
                        Some(Event::End(TagEnd::Paragraph)) | None => break,
                        Some(other) => title.push(other),
                    }
                }
                if title.is_empty() {
                    title.push(Event::Text(CowStr::from(title_case(&header.kind))));
                }
                let kind_attr = super::escape::attr(canonical);
                let (open, title_open, title_close, closer) = match header.fold {
                    Some(f) => (
                        format!(
                            "<details class=\"callout\" data-callout=\"{kind_attr}\"{}>",
                            if f == '+' { " open" } else { "" }
                        ),
                        "<summary class=\"callout-title\"><span class=\"callout-icon\"></span><span class=\"callout-title-inner\">",
                        "</span></summary>\n<div class=\"callout-content\">\n",
                        "</div></details>\n",
                    ),
                    None => (
                        format!("<div class=\"callout\" data-callout=\"{kind_attr}\">"),
                        "<div class=\"callout-title\"><span class=\"callout-icon\"></span><span class=\"callout-title-inner\">",
                        "</span></div>\n<div class=\"callout-content\">\n",
                        "</div></div>\n",
                    ),
                };
                edges.opens.push(out.len());
                out.push(Event::Html(CowStr::from(format!("{open}{title_open}"))));
                out.extend(title);
                out.push(Event::Html(CowStr::Borrowed(title_close)));
                if paragraph_continues {
                    out.push(Event::Start(Tag::Paragraph));
                }
                closers.push(Some(closer));
            }
            Event::Start(Tag::BlockQuote(kind)) => {
                closers.push(None);
                out.push(Event::Start(Tag::BlockQuote(kind)));
            }
            Event::End(TagEnd::BlockQuote(kind)) => match closers.pop().flatten() {
                Some(closer) => {
                    edges.closes.push(out.len());
                    out.push(Event::Html(CowStr::Borrowed(closer)))
                }
                None => out.push(Event::End(TagEnd::BlockQuote(kind))),
            },
            other => out.push(other),
        }
    }
    (out, edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(parse_header("[!tip]- Hi").map(|h| h.1), Some(Some('-')));
        assert_eq!(parse_header("[!NOTE]").map(|h| h.0), Some("NOTE".into()));
        assert!(parse_header("[link]").is_none());
        assert_eq!(canonical_type("FAQ"), "question");
        assert_eq!(canonical_type("whatever"), "note");
    }

    #[test]
    fn a_callout_blockquote_becomes_html_around_its_markdown() {
        let (events, edges) = transform(crate::render::parse::parse(
            "> [!FAQ]- Why *so*\n> body\n\n> plain",
        ));
        let html = |s: &str| Event::Html(CowStr::from(s.to_string()));
        assert_eq!(
            events[..8],
            [
                html("<details class=\"callout\" data-callout=\"question\"><summary class=\"callout-title\"><span class=\"callout-icon\"></span><span class=\"callout-title-inner\">"),
                Event::Text("Why ".into()),
                Event::Start(Tag::Emphasis),
                Event::Text("so".into()),
                Event::End(TagEnd::Emphasis),
                html("</span></summary>\n<div class=\"callout-content\">\n"),
                Event::Start(Tag::Paragraph),
                Event::Text("body".into()),
            ]
        );
        assert_eq!(edges.opens, vec![0]);
        assert_eq!(edges.closes, vec![9]);
        assert_eq!(events[9], html("</div></details>\n"));
        // A blockquote without a header stays one.
        assert!(matches!(events[10], Event::Start(Tag::BlockQuote(None))));
        // No title: the type, capitalised.
        let (events, _) = transform(crate::render::parse::parse("> [!tip]\n> x"));
        assert_eq!(events[1], Event::Text("Tip".into()));
    }
}
