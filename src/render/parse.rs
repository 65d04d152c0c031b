//! First pass: Markdown to pulldown-cmark events, with Obsidian's options and
//! adjacent text merged.

use crate::syntax;
use pulldown_cmark::{Event, Parser};

pub fn parse(text: &str) -> Vec<Event<'_>> {
    coalesce_text(Parser::new_ext(text, syntax::parser_options()))
}

/// Merges adjacent text events so inline syntax split by the parser
/// (`[`, `!note`, `]`) is seen whole.
fn coalesce_text<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out: Vec<Event<'a>> = Vec::new();
    for event in events {
        if let Event::Text(t) = &event {
            if let Some(Event::Text(prev)) = out.last_mut() {
                let mut joined = prev.to_string();
                joined.push_str(t);
                *prev = joined.into();
                continue;
            }
        }
        out.push(event);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse;
    use pulldown_cmark::{Event, Tag, TagEnd};

    #[test]
    fn text_split_by_the_parser_is_one_event() {
        // The parser splits at `[` and `=`; the syntax passes must see
        // `^[…]` and `==…==` whole.
        let events = parse("a ^[b] and ==c== [d");
        assert_eq!(
            events,
            vec![
                Event::Start(Tag::Paragraph),
                Event::Text("a ^[b] and ==c== [d".into()),
                Event::End(TagEnd::Paragraph),
            ]
        );
    }

    #[test]
    fn code_stays_its_own_event() {
        let events = parse("x `==y==` z");
        assert_eq!(events[1], Event::Text("x ".into()));
        assert_eq!(events[2], Event::Code("==y==".into()));
        assert_eq!(events[3], Event::Text(" z".into()));
    }
}
