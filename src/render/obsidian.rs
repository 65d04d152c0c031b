//! The pass after `callout`: the rest of Obsidian's syntax, found in the
//! events and marked for the passes after it — heading ids from the index's
//! scan, block ids (`text ^id` on its paragraph or item, `^id` alone on the
//! block above), wikilink labels (`[[Note#Head]]` shows `Note > Head`),
//! `==highlights==` (an unpaired `==` stays text), inline `#tags` and
//! inline footnotes `^[…]`, and images with their alt text gathered.
//! Nothing here reads the index: links, tags and embeds are resolved by the
//! `link` pass.

use super::{callout, html::anchor_html, inline, Ev, Image};
use crate::load::strip_md;
use crate::syntax::{self, target::LinkTarget};
use inline::Piece;
use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};
use std::ops::Range;

/// `heading_ids`: the id of each heading of `events`, in order (empty for
/// no ids); `callouts`: where the callout pass put each callout.
pub fn transform<'e>(
    events: Vec<Event<'e>>,
    callouts: &callout::Edges,
    heading_ids: &[Option<String>],
) -> Vec<Ev<'e>> {
    let mut out: Vec<Ev<'e>> = Vec::with_capacity(events.len() + 16);
    let mut heading_n = 0;
    // Links open around the current event: no tags inside them.
    let mut links = 0usize;
    let mut open_mark: Option<usize> = None;
    // Open paragraphs and list items: (index in `out`, is item).
    let mut containers: Vec<(usize, bool)> = Vec::new();
    // Where the current and the previous top-level blocks start in `out`.
    let (mut previous_top, mut current_top) = (0usize, 0usize);
    let mut depth = 0usize;
    let mut in_code = false;
    let mut paragraph_depth = 0usize;
    // Blocks named by a `^id` below them: (their events in `out`, id).
    let mut named: Vec<(Range<usize>, String)> = Vec::new();
    let mut i = 0;
    let mut events: Vec<Option<Event<'e>>> = events.into_iter().map(Some).collect();
    while i < events.len() {
        let Some(event) = events[i].take() else {
            i += 1;
            continue;
        };
        // A callout opens and closes a block as a blockquote would.
        if callouts.opens.binary_search(&i).is_ok() {
            if depth == 0 {
                previous_top = current_top;
                current_top = out.len();
            }
            depth += 1;
        } else if callouts.closes.binary_search(&i).is_ok() {
            depth = depth.saturating_sub(1);
        }
        let next_is_block_end = matches!(
            events.get(i + 1),
            Some(Some(Event::End(TagEnd::Paragraph | TagEnd::Item)))
                | Some(Some(Event::Start(Tag::List(_))))
        );
        i += 1;
        // Code is the `code` pass's, untouched.
        if in_code {
            if matches!(event, Event::End(TagEnd::CodeBlock)) {
                depth = depth.saturating_sub(1);
                in_code = false;
            }
            out.push(Ev::Md(event));
            continue;
        }
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    previous_top = current_top;
                    current_top = out.len();
                }
                depth += 1;
                if is_inline_container(&tag) {
                    close_unpaired_mark(&mut out, &mut open_mark);
                }
                match tag {
                    Tag::CodeBlock(kind) => {
                        in_code = true;
                        out.push(Ev::Md(Event::Start(Tag::CodeBlock(kind))));
                    }
                    Tag::Heading {
                        level,
                        id: _,
                        classes,
                        attrs,
                    } => {
                        let id = heading_ids
                            .get(heading_n)
                            .cloned()
                            .flatten()
                            .map(CowStr::from);
                        heading_n += 1;
                        out.push(Ev::Md(Event::Start(Tag::Heading {
                            level,
                            id,
                            classes,
                            attrs,
                        })));
                    }
                    Tag::Paragraph => {
                        paragraph_depth += 1;
                        containers.push((out.len(), false));
                        out.push(Ev::Md(Event::Start(Tag::Paragraph)));
                    }
                    Tag::Item => {
                        containers.push((out.len(), true));
                        out.push(Ev::Md(Event::Start(Tag::Item)));
                    }
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    } => {
                        links += 1;
                        if matches!(link_type, LinkType::WikiLink { has_pothole: false }) {
                            if let (
                                Some(Some(Event::Text(_))),
                                Some(Some(Event::End(TagEnd::Link))),
                            ) = (events.get(i), events.get(i + 1))
                            {
                                events[i] = Some(Event::Text(wikilink_label(&dest_url).into()));
                            }
                        }
                        out.push(Ev::Md(Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        })));
                    }
                    Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    } => {
                        // Gather the alt text up to the matching end.
                        let mut alt = String::new();
                        let mut nested = 0;
                        while i < events.len() {
                            let e = events[i].take();
                            i += 1;
                            match e {
                                Some(Event::Start(Tag::Image { .. })) => nested += 1,
                                Some(Event::End(TagEnd::Image)) if nested == 0 => break,
                                Some(Event::End(TagEnd::Image)) => nested -= 1,
                                Some(Event::Text(t) | Event::Code(t)) => alt.push_str(&t),
                                _ => {}
                            }
                        }
                        depth -= 1;
                        out.push(Ev::Image(Image {
                            link_type,
                            dest_url,
                            title,
                            id,
                            alt,
                            in_paragraph: paragraph_depth > 0,
                        }));
                    }
                    other => out.push(Ev::Md(Event::Start(other))),
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if matches!(
                    end,
                    TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::TableCell | TagEnd::Item
                ) {
                    close_unpaired_mark(&mut out, &mut open_mark);
                }
                match end {
                    TagEnd::Link => links = links.saturating_sub(1),
                    TagEnd::Paragraph => {
                        paragraph_depth = paragraph_depth.saturating_sub(1);
                        containers.pop();
                    }
                    TagEnd::Item => {
                        containers.pop();
                    }
                    _ => {}
                }
                out.push(Ev::Md(Event::End(end)));
            }
            Event::Text(text) => {
                let mut text: CowStr<'e> = text;
                if next_is_block_end {
                    if let Some(&(start, is_item)) = containers.last() {
                        if let Some((before, id)) = syntax::trailing_block_id(&text) {
                            let anchor = format!("^{id}");
                            let before = before.to_string();
                            if before.is_empty() && !is_item && start + 1 == out.len() {
                                // `^id` alone names the block above: the id goes on
                                // that block, as the index promises.
                                out[start] = Ev::Md(Event::Html("".into()));
                                if let Some(Some(Event::End(TagEnd::Paragraph))) = events.get(i) {
                                    events[i] = Some(Event::Html("".into()));
                                    paragraph_depth = paragraph_depth.saturating_sub(1);
                                    containers.pop();
                                    depth = depth.saturating_sub(1);
                                }
                                let above = previous_top..current_top.min(start);
                                if above.is_empty() || above.end > out.len() {
                                    out[start] = Ev::Md(Event::Html(anchor_html(&anchor).into()));
                                } else {
                                    named.push((above, anchor));
                                }
                                continue;
                            }
                            out[start] = Ev::Md(Event::Html(
                                format!(
                                    "<{} id=\"{}\" class=\"block-ref-target\">",
                                    if is_item { "li" } else { "p" },
                                    super::escape::attr(&anchor)
                                )
                                .into(),
                            ));
                            text = before.into();
                        }
                    }
                }
                split_text(&text, links == 0, &mut out, &mut open_mark);
            }
            other => out.push(Ev::Md(other)),
        }
    }
    close_unpaired_mark(&mut out, &mut open_mark);
    mark_named(out, &named)
}

/// Text with highlights, tags (`tags`: outside links) and inline footnotes.
fn split_text(text: &str, tags: bool, out: &mut Vec<Ev<'_>>, open_mark: &mut Option<usize>) {
    for piece in inline::split(text, tags) {
        match piece {
            Piece::Text(t) | Piece::Literal(t) => {
                out.push(Ev::Md(Event::Text(t.to_string().into())))
            }
            Piece::MarkOpen if open_mark.is_none() => {
                *open_mark = Some(out.len());
                out.push(Ev::Md(Event::InlineHtml("<mark>".into())));
            }
            Piece::MarkClose | Piece::MarkOpen if open_mark.is_some() => {
                *open_mark = None;
                out.push(Ev::Md(Event::InlineHtml("</mark>".into())));
            }
            Piece::MarkOpen | Piece::MarkClose => out.push(Ev::Md(Event::Text("==".into()))),
            Piece::Tag(tag) => out.push(Ev::Tag(tag.to_string())),
            Piece::Footnote(content) => out.push(Ev::InlineFootnote(content.to_string())),
        }
    }
}

fn is_inline_container(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell | Tag::Item
    )
}

/// An unpaired `==` stays literal text.
fn close_unpaired_mark(out: &mut [Ev], open_mark: &mut Option<usize>) {
    if let Some(at) = open_mark.take() {
        if let Some(slot) = out.get_mut(at) {
            *slot = Ev::Md(Event::Text("==".into()));
        }
    }
}

/// `out` with `NamedStart`/`NamedEnd` around each named block. A block is
/// always the whole of a top-level block, so two names are of the same
/// block or of blocks apart; a block named twice takes the first name
/// innermost, as if named once and then again.
fn mark_named<'e>(out: Vec<Ev<'e>>, named: &[(Range<usize>, String)]) -> Vec<Ev<'e>> {
    if named.is_empty() {
        return out;
    }
    // Starts by place, a later name of the same block outside an earlier.
    let mut starts: Vec<(usize, std::cmp::Reverse<usize>)> = named
        .iter()
        .enumerate()
        .map(|(k, (r, _))| (r.start, std::cmp::Reverse(k)))
        .collect();
    starts.sort_unstable();
    let mut ends: Vec<usize> = named.iter().map(|(r, _)| r.end).collect();
    ends.sort_unstable();
    let (mut s, mut e) = (0, 0);
    let mut result = Vec::with_capacity(out.len() + 2 * named.len());
    for (at, ev) in out.into_iter().enumerate() {
        while e < ends.len() && ends[e] <= at {
            result.push(Ev::NamedEnd);
            e += 1;
        }
        while s < starts.len() && starts[s].0 <= at {
            result.push(Ev::NamedStart(named[starts[s].1 .0].1.clone()));
            s += 1;
        }
        result.push(ev);
    }
    result.extend(ends[e..].iter().map(|_| Ev::NamedEnd));
    result
}

/// `Note#Heading` shows as `Note > Heading`, as in Obsidian.
fn wikilink_label(dest: &str) -> String {
    let target = LinkTarget::parse(dest);
    let file = strip_md(&target.file);
    let mut parts: Vec<&str> = Vec::new();
    if !file.is_empty() {
        parts.push(file);
    }
    parts.extend(target.headings.iter().map(String::as_str));
    let mut label = parts.join(" > ");
    if let Some(block) = &target.block {
        if label.is_empty() {
            label = format!("^{block}");
        } else {
            label.push_str(&format!(" > ^{block}"));
        }
    }
    if label.is_empty() {
        dest.to_string()
    } else {
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::parse::parse;
    use pulldown_cmark::HeadingLevel;

    fn pass(markdown: &str, heading_ids: &[Option<String>]) -> Vec<Ev<'static>> {
        let markdown: &'static str = Box::leak(markdown.to_string().into_boxed_str());
        let (events, callouts) = callout::transform(parse(markdown));
        transform(events, &callouts, heading_ids)
    }

    fn md(event: Event<'static>) -> Ev<'static> {
        Ev::Md(event)
    }

    fn text(t: &str) -> Ev<'static> {
        Ev::Md(Event::Text(t.to_string().into()))
    }

    fn html(t: &str) -> Ev<'static> {
        Ev::Md(Event::Html(t.to_string().into()))
    }

    #[test]
    fn headings_take_the_ids_of_the_index_scan() {
        let ids = [Some("first".to_string()), Some("second-1".to_string())];
        let events = pass("# A\n\n## B", &ids);
        let found: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Ev::Md(Event::Start(Tag::Heading { level, id, .. })) => {
                    Some((*level, id.as_ref().map(|i| i.to_string())))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (HeadingLevel::H1, Some("first".to_string())),
                (HeadingLevel::H2, Some("second-1".to_string()))
            ]
        );
        // In an embed: no ids.
        let events = pass("# A", &[]);
        assert!(matches!(
            &events[0],
            Ev::Md(Event::Start(Tag::Heading { id: None, .. }))
        ));
    }

    #[test]
    fn a_trailing_block_id_names_its_paragraph_or_item() {
        assert_eq!(
            pass("some text ^x1", &[]),
            vec![
                html("<p id=\"^x1\" class=\"block-ref-target\">"),
                text("some text"),
                md(Event::End(TagEnd::Paragraph)),
            ]
        );
        let events = pass("- item ^y", &[]);
        assert_eq!(events[1], html("<li id=\"^y\" class=\"block-ref-target\">"));
        assert_eq!(events[2], text("item"));
    }

    #[test]
    fn a_block_id_alone_names_the_block_above() {
        assert_eq!(
            pass("para\n\n^x", &[]),
            vec![
                Ev::NamedStart("^x".into()),
                md(Event::Start(Tag::Paragraph)),
                text("para"),
                md(Event::End(TagEnd::Paragraph)),
                Ev::NamedEnd,
                html(""),
                html(""),
            ]
        );
        // A callout is one block, though it is HTML events by now.
        let events = pass("> [!tip] T\n> body\n\n^c", &[]);
        assert_eq!(events[0], Ev::NamedStart("^c".into()));
        let end = events.iter().position(|e| *e == Ev::NamedEnd);
        assert_eq!(end, Some(events.len() - 3));
        // Nothing above: an anchor where the id was.
        assert_eq!(
            pass("^x", &[]),
            vec![html("<a class=\"block-anchor\" id=\"^x\"></a>"), html("")]
        );
    }

    #[test]
    fn highlights_pair_within_a_block_and_an_unpaired_mark_stays_text() {
        assert_eq!(
            pass("a ==b== c ==d", &[]),
            vec![
                md(Event::Start(Tag::Paragraph)),
                text("a "),
                md(Event::InlineHtml("<mark>".into())),
                text("b"),
                md(Event::InlineHtml("</mark>".into())),
                text(" c "),
                text("=="),
                text("d"),
                md(Event::End(TagEnd::Paragraph)),
            ]
        );
        // A mark may span inline markup, but not a paragraph break.
        let events = pass("a ==b *c* d== e\n\nf ==g\n\nh== i", &[]);
        let marks = events
            .iter()
            .filter(|e| matches!(e, Ev::Md(Event::InlineHtml(h)) if h.contains("mark")))
            .count();
        assert_eq!(marks, 2);
    }

    #[test]
    fn tags_and_inline_footnotes_outside_links() {
        let events = pass("#t and [#u](x) ^[note]", &[]);
        assert_eq!(events[1], Ev::Tag("t".into()));
        assert!(events.contains(&text("#u")), "{events:?}");
        assert!(!events.contains(&Ev::Tag("u".into())));
        assert!(events.contains(&Ev::InlineFootnote("note".into())));
    }

    #[test]
    fn a_wikilink_without_label_shows_its_target_readably() {
        let events = pass("[[Note#Head#Sub]] [[N#^b]] [[N#H|mine]]", &[]);
        assert_eq!(events[2], text("Note > Head > Sub"));
        assert!(events.contains(&text("N > ^b")));
        assert!(events.contains(&text("mine")));
    }

    #[test]
    fn images_are_gathered_with_their_alt_text_and_place() {
        let events = pass("a ![[pic.png|100]] ![*x* `y`](b.png)\n\n# ![[c.png]]", &[]);
        let images: Vec<(&str, &str, bool)> = events
            .iter()
            .filter_map(|e| match e {
                Ev::Image(i) => Some((&*i.dest_url, i.alt.as_str(), i.in_paragraph)),
                _ => None,
            })
            .collect();
        assert_eq!(
            images,
            vec![
                ("pic.png", "100", true),
                ("b.png", "x y", true),
                ("c.png", "c.png", false)
            ]
        );
    }

    #[test]
    fn code_is_never_touched() {
        let source = "```md\n==a== #t ^[f] [[L]] ^x\n```\n\n`==b== #u`";
        let events = pass(source, &[]);
        let (raw, _) = callout::transform(parse(source));
        let raw: Vec<Ev> = raw.into_iter().map(Ev::Md).collect();
        assert_eq!(events, raw);
    }
}
