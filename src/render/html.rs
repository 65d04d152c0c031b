//! Last pass: events to HTML with pulldown-cmark's writer; a block named by
//! a `^id` below it is written on its own and takes the id on its first
//! element.

use super::{escape, Ev};
use pulldown_cmark::{Event, Tag, TagEnd};

pub fn render(events: Vec<Ev<'_>>) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, to_events(events).into_iter());
    // Block embeds close and reopen the paragraph around them (most
    // notes have none: skip the copy then).
    if html.contains("<p></p>") {
        html.replace("<p></p>", "")
    } else {
        html
    }
}

/// The events pulldown-cmark writes: named blocks already HTML. Earlier
/// passes leave only `Md` and the `Named` marks; anything else is written
/// as the Markdown it came from.
fn to_events(events: Vec<Ev<'_>>) -> Vec<Event<'_>> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    // Named blocks open around the current event: (id, their events).
    let mut named: Vec<(String, Vec<Event>)> = Vec::new();
    for ev in events {
        let into = match named.last_mut() {
            Some((_, inner)) => inner,
            None => &mut out,
        };
        match ev {
            Ev::Md(event) => into.push(event),
            Ev::NamedStart(anchor) => named.push((anchor, Vec::new())),
            Ev::NamedEnd => {
                if let Some((anchor, inner)) = named.pop() {
                    let block = named_block(inner, &anchor);
                    match named.last_mut() {
                        Some((_, outer)) => outer.push(block),
                        None => out.push(block),
                    }
                }
            }
            Ev::Tag(tag) => into.push(Event::Text(format!("#{tag}").into())),
            Ev::InlineFootnote(text) => into.push(Event::Text(format!("^[{text}]").into())),
            Ev::Image(image) | Ev::Embed(image, _) => {
                into.push(Event::Start(Tag::Image {
                    link_type: image.link_type,
                    dest_url: image.dest_url,
                    title: image.title,
                    id: image.id,
                }));
                into.push(Event::Text(image.alt.into()));
                into.push(Event::End(TagEnd::Image));
            }
        }
    }
    while let Some((anchor, inner)) = named.pop() {
        let block = named_block(inner, &anchor);
        match named.last_mut() {
            Some((_, outer)) => outer.push(block),
            None => out.push(block),
        }
    }
    out
}

/// One block's events as HTML with block id `anchor`.
fn named_block<'e>(events: Vec<Event<'_>>, anchor: &str) -> Event<'e> {
    let anchor_html = anchor_html(anchor);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Event::Html(with_block_id(&html, anchor, &anchor_html).into())
}

/// An empty element carrying block id `anchor`, where no block can.
pub fn anchor_html(anchor: &str) -> String {
    format!(
        "<a class=\"block-anchor\" id=\"{}\"></a>",
        escape::attr(anchor)
    )
}

/// `html` (one block) with `id` on its first element, as a paragraph's
/// `<p id="^id" class="block-ref-target">`; where that element has an id of
/// its own (a heading) the anchor goes just inside it, and where there is
/// no element to carry it, just before.
fn with_block_id(html: &str, id: &str, anchor_html: &str) -> String {
    let name_len = html
        .strip_prefix('<')
        .map(|rest| {
            rest.bytes()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count()
        })
        .unwrap_or(0);
    let starts_with_letter = html.as_bytes().get(1).is_some_and(u8::is_ascii_alphabetic);
    let Some(tag_end) = html
        .find('>')
        .filter(|_| name_len > 0 && starts_with_letter)
    else {
        return format!("{anchor_html}{html}");
    };
    let open = &html[..tag_end];
    if open.contains(" id=") {
        return format!("{}{anchor_html}{}", &html[..=tag_end], &html[tag_end + 1..]);
    }
    let name_end = 1 + name_len;
    let attrs = if open.contains(" class=\"") {
        format!(" id=\"{}\"", escape::attr(id))
    } else {
        format!(" id=\"{}\" class=\"block-ref-target\"", escape::attr(id))
    };
    format!("{}{attrs}{}", &html[..name_end], &html[name_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "<a class=\"block-anchor\" id=\"^x\"></a>";

    #[test]
    fn a_named_block_is_written_on_its_own_with_the_id() {
        let events = vec![
            Ev::Md(Event::Start(Tag::Paragraph)),
            Ev::Md(Event::Text("before".into())),
            Ev::Md(Event::End(TagEnd::Paragraph)),
            Ev::NamedStart("^x".into()),
            Ev::Md(Event::Start(Tag::Paragraph)),
            Ev::Md(Event::Text("named".into())),
            Ev::Md(Event::End(TagEnd::Paragraph)),
            Ev::NamedEnd,
            Ev::Md(Event::Html("".into())),
        ];
        assert_eq!(
            render(events),
            "<p>before</p>\n<p id=\"^x\" class=\"block-ref-target\">named</p>\n"
        );
    }

    #[test]
    fn a_block_named_twice_keeps_the_first_id_and_anchors_the_second() {
        let events = vec![
            Ev::NamedStart("^b".into()),
            Ev::NamedStart("^a".into()),
            Ev::Md(Event::Start(Tag::Paragraph)),
            Ev::Md(Event::Text("x".into())),
            Ev::Md(Event::End(TagEnd::Paragraph)),
            Ev::NamedEnd,
            Ev::NamedEnd,
        ];
        assert_eq!(
            render(events),
            "<p id=\"^a\" class=\"block-ref-target\"><a class=\"block-anchor\" id=\"^b\"></a>x</p>\n"
        );
    }

    #[test]
    fn empty_paragraphs_left_by_block_embeds_go() {
        let events = vec![
            Ev::Md(Event::Start(Tag::Paragraph)),
            Ev::Md(Event::InlineHtml("</p>\n".into())),
            Ev::Md(Event::Html("<div>e</div>\n".into())),
            Ev::Md(Event::InlineHtml("<p>".into())),
            Ev::Md(Event::End(TagEnd::Paragraph)),
        ];
        assert_eq!(render(events), "\n<div>e</div>\n\n");
    }

    #[test]
    fn a_block_id_goes_on_the_block_element() {
        let named = |html: &str| with_block_id(html, "^x", A);
        assert_eq!(
            named("<table>\n<thead></thead></table>\n"),
            "<table id=\"^x\" class=\"block-ref-target\">\n<thead></thead></table>\n"
        );
        assert_eq!(
            named("<ol start=\"3\">\n<li>a</li></ol>"),
            "<ol id=\"^x\" class=\"block-ref-target\" start=\"3\">\n<li>a</li></ol>"
        );
        // A class of its own is kept (a second class attribute would be ignored).
        assert_eq!(
            named("<div class=\"callout\">x</div>"),
            "<div id=\"^x\" class=\"callout\">x</div>"
        );
        assert_eq!(
            named("<hr />\n"),
            "<hr id=\"^x\" class=\"block-ref-target\" />\n"
        );
        // A heading keeps its id; the block id is an anchor inside it.
        assert_eq!(
            named("<h2 id=\"head\">Head</h2>"),
            format!("<h2 id=\"head\">{A}Head</h2>")
        );
        // No element to carry it: an anchor just before.
        assert_eq!(named("text"), format!("{A}text"));
        assert_eq!(named("<!-- c -->"), format!("{A}<!-- c -->"));
        assert_eq!(named(""), A);
    }
}
