//! The pass after `link`, embeds: `![[file]]` shows the attachment (image,
//! audio, video, PDF or a download); `![[Note]]`, `![[Note#Heading]]` and `![[Note#^block]]` render
//! that part of the note in place, recursively, stopping at cycles and at
//! depth MAX_EMBED_DEPTH with a visible marker, and once the page has
//! spent its embed budget (MAX_EMBEDS_PER_PAGE notes, MAX_EMBED_BYTES_PER_PAGE
//! of their text) with a marker and one warning per page.

use super::{
    escape, media, Ev, Footnotes, Frame, Image, Target, MAX_EMBEDS_PER_PAGE,
    MAX_EMBED_BYTES_PER_PAGE, MAX_EMBED_DEPTH,
};
use crate::diagnostics::DiagnosticKind;
use crate::index::{find_heading, NoteId};
use crate::portable::{encode_fragment, relative_url};
use crate::syntax::target::LinkTarget;
use pulldown_cmark::{Event, LinkType, Tag, TagEnd};

impl Frame<'_, '_> {
    /// The pass: each embed (its target resolved by the `link` pass)
    /// becomes HTML; a block one inside a paragraph closes the paragraph
    /// around it.
    pub(super) fn embeds<'e>(&mut self, events: Vec<Ev<'e>>) -> Vec<Ev<'e>> {
        let mut out = Vec::with_capacity(events.len());
        for ev in events {
            let Ev::Embed(image, target) = ev else {
                out.push(ev);
                continue;
            };
            match self.embed(&image, target) {
                Embed::Inline(html) => out.push(Ev::Md(Event::InlineHtml(html.into()))),
                Embed::Block(html) if image.in_paragraph => {
                    out.push(Ev::Md(Event::InlineHtml("</p>\n".into())));
                    out.push(Ev::Md(Event::Html(html.into())));
                    out.push(Ev::Md(Event::InlineHtml("<p>".into())));
                }
                Embed::Block(html) => out.push(Ev::Md(Event::Html(html.into()))),
                Embed::Keep => {
                    let Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                        alt,
                        ..
                    } = image;
                    out.push(Ev::Md(Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })));
                    out.push(Ev::Md(Event::Text(alt.into())));
                    out.push(Ev::Md(Event::End(TagEnd::Image)));
                }
            }
        }
        out
    }

    fn embed(&mut self, image: &Image, target: Target) -> Embed {
        match target {
            Target::Outside => Embed::Keep,
            Target::Attachment { out_path, path } => {
                let src = relative_url(self.page, &out_path);
                let name = path.rsplit('/').next().unwrap_or(&path);
                let alt = if matches!(image.link_type, LinkType::WikiLink { has_pothole: false }) {
                    ""
                } else {
                    &image.alt
                };
                let html = media::embed_html(&src, name, alt);
                match media::kind_of(name) {
                    media::MediaKind::Image | media::MediaKind::Other => Embed::Inline(html),
                    _ => Embed::Block(format!("<div class=\"embed embed-media\">{html}</div>\n")),
                }
            }
            Target::Note {
                id,
                target,
                dest,
                fragment,
            } => Embed::Block(self.embed_note(id, &target, &dest, fragment.unwrap_or_default())),
            Target::Unresolved { dest } => Embed::Inline(format!(
                "<span class=\"unresolved embed-missing\" title=\"Not published\">{}</span>",
                escape::html(&dest)
            )),
        }
    }

    /// Where the embed `![[dest]]` is in this frame's note: the first embed
    /// of that destination (render events carry no offsets; the scan's
    /// links do, indexed by destination).
    fn embed_position(&self, dest: &str) -> Option<(usize, usize)> {
        self.scan
            .first_embed(dest)
            .map(|l| crate::index::link_position(self.note, l))
    }

    fn warn_at_embed(&mut self, kind: DiagnosticKind, message: String, dest: &str) {
        let at = self.embed_position(dest);
        self.warn(kind, message);
        if let (Some((line, column)), Some(d)) = (at, self.diagnostics.last_mut()) {
            d.line = Some(line);
            d.column = Some(column);
        }
    }

    fn embed_note(
        &mut self,
        id: NoteId,
        target: &LinkTarget,
        dest: &str,
        fragment: String,
    ) -> String {
        let view = self.ctx.view;
        let (note, scan) = view.note(id);
        let title = view.title(id);
        let key = (id, fragment.clone());
        let href = relative_url(self.page, view.out_path(id));
        let title_link = format!(
            "<a class=\"internal\" href=\"{}\">{}</a>",
            escape::attr(&href),
            escape::html(title)
        );
        if self.stack.contains(&key) {
            self.warn_at_embed(
                DiagnosticKind::EmbedCycle,
                format!("embed cycle: {} embeds itself again; stopped", note.path),
                dest,
            );
            return format!(
                "<div class=\"embed embed-error\" role=\"note\">Embed stopped: {title_link} is already embedded above (a cycle).</div>\n"
            );
        }
        if self.stack.len() > MAX_EMBED_DEPTH {
            self.warn_at_embed(
                DiagnosticKind::EmbedTooDeep,
                format!(
                    "embeds nested deeper than {MAX_EMBED_DEPTH} at {}; stopped",
                    note.path
                ),
                dest,
            );
            return format!(
                "<div class=\"embed embed-error\" role=\"note\">Embed stopped: nested deeper than {MAX_EMBED_DEPTH} levels ({title_link}).</div>\n"
            );
        }
        let body = view.body(id);
        let body = body.as_ref();
        let range = if let Some(block) = &target.block {
            scan.block(block).map(|b| b.range.clone())
        } else if !target.headings.is_empty() {
            find_heading(scan, &target.headings).map(|h| scan.headings[h].section.clone())
        } else {
            Some(0..body.len())
        };
        let range = range.unwrap_or(0..body.len());
        let text = body.get(range).unwrap_or(body);
        if let Some(marker) = self.spend(text.len(), &title_link, dest) {
            return marker;
        }
        let mut stack = self.stack.clone();
        stack.push(key);
        let mut child = Frame {
            ctx: self.ctx,
            source: id,
            note,
            scan,
            page: self.page,
            with_heading_ids: false,
            stack,
            diagnostics: Vec::new(),
            // Each embed on the page has its own number: its footnote ids
            // never meet the page's or another embed's.
            footnotes: Footnotes::new(format!("e{}-", self.budget.embeds)),
            uses_mermaid: false,
            budget: std::mem::take(&mut self.budget),
        };
        let mut inner = child.render(text);
        inner.push_str(&child.footnotes.section());
        self.budget = std::mem::take(&mut child.budget);
        self.diagnostics.append(&mut child.diagnostics);
        self.uses_mermaid |= child.uses_mermaid;
        let link_href = if fragment.is_empty() {
            href
        } else {
            format!("{href}#{}", encode_fragment(&fragment))
        };
        format!(
            "<div class=\"embed\" data-embed-source=\"{}\"><div class=\"embed-title\"><a class=\"internal\" href=\"{}\">{}</a></div><div class=\"embed-content\">\n{inner}</div></div>\n",
            escape::attr(&note.path),
            escape::attr(&link_href),
            escape::html(title)
        )
    }
}

impl Frame<'_, '_> {
    /// Charges one embed of `bytes` of Markdown to the page; `Some(marker)`
    /// when the page cannot afford it. Markers count too, so a note with a
    /// million embeds still writes a bounded page: past the budget and a
    /// little slack for markers, a skipped embed writes nothing.
    fn spend(&mut self, bytes: usize, title_link: &str, dest: &str) -> Option<String> {
        let fits = self.budget.embeds < MAX_EMBEDS_PER_PAGE
            && self.budget.bytes.saturating_add(bytes) <= MAX_EMBED_BYTES_PER_PAGE;
        // Looked up for the warning only.
        let position = if fits || self.budget.warned {
            None
        } else {
            self.embed_position(dest)
        };
        let budget = &mut self.budget;
        if fits {
            budget.embeds += 1;
            budget.bytes += bytes;
            return None;
        }
        if !budget.warned {
            budget.warned = true;
            let page_note = self.stack.first().map_or(self.source, |(id, _)| *id);
            let path = self.ctx.view.note(page_note).0.path.clone();
            let mut warning = crate::diagnostics::Diagnostic::warning(
                DiagnosticKind::EmbedTooLarge,
                path,
                format!(
                    "the page embeds more than {MAX_EMBEDS_PER_PAGE} notes or {} MiB of their text; further embeds are skipped",
                    MAX_EMBED_BYTES_PER_PAGE >> 20
                ),
            );
            // The first embed skipped, when it is written in the page's own
            // note (deeper down, it is in another file than the warning's).
            if page_note == self.source {
                if let Some((line, column)) = position {
                    warning = warning.at(line, column);
                }
            }
            self.diagnostics.push(warning);
        }
        let marker = format!(
            "<div class=\"embed embed-error\" role=\"note\">Embed skipped: this page already embeds too much ({title_link}).</div>\n"
        );
        const MARKER_SLACK: usize = 256 << 10;
        if budget.bytes.saturating_add(marker.len()) > MAX_EMBED_BYTES_PER_PAGE + MARKER_SLACK {
            return Some(String::new());
        }
        budget.bytes += marker.len();
        Some(marker)
    }
}

enum Embed {
    Inline(String),
    Block(String),
    /// Not an embed we handle (an external image): render as Markdown does.
    Keep,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::VaultIndex;
    use crate::render::test_vault::{context, id, index, with_frame};
    use crate::render::{
        callout, highlight::Highlighter, link, obsidian, parse::parse, render_note,
    };

    fn vault() -> VaultIndex {
        index(
            &[
                ("A.md", "# Head\n\nbody ^blk\n\n# Other\n\nmore\n"),
                ("B.md", "text\n"),
                ("Loop.md", "x\n\n![[Loop]]\n"),
                ("F.md", "x[^1]\n\n[^1]: d\n"),
            ],
            &["pic.png", "song.mp3"],
        )
    }

    /// The passes up to and including this one, for `markdown` written in B.
    fn pass(index: &VaultIndex, markdown: &'static str) -> (Vec<Ev<'static>>, bool) {
        let highlighter = Highlighter::new();
        let ctx = context(index, &highlighter);
        with_frame(&ctx, id(index, "B.md"), |frame| {
            let (events, callouts) = callout::transform(parse(markdown));
            let events = obsidian::transform(events, &callouts, &[]);
            let events = link::resolve(events, &frame.resolver());
            let out = frame.embeds(events);
            (out, frame.diagnostics.is_empty())
        })
    }

    #[test]
    fn a_note_embed_is_a_block_that_closes_the_paragraph_around_it() {
        let index = vault();
        let (events, clean) = pass(&index, "a ![[A#Head]] b");
        assert!(clean);
        assert_eq!(events[1], Ev::Md(Event::Text("a ".into())));
        assert_eq!(events[2], Ev::Md(Event::InlineHtml("</p>\n".into())));
        let Ev::Md(Event::Html(html)) = &events[3] else {
            panic!("{events:?}")
        };
        assert!(html.starts_with("<div class=\"embed\" data-embed-source=\"A.md\"><div class=\"embed-title\"><a class=\"internal\" href=\"A.html#head\">A</a>"), "{html}");
        // The section only, its heading without the page's id.
        assert!(html.contains("<h1>Head</h1>"), "{html}");
        assert!(html.contains("body"), "{html}");
        assert!(!html.contains("more"), "{html}");
        assert_eq!(events[4], Ev::Md(Event::InlineHtml("<p>".into())));
        assert_eq!(events[5], Ev::Md(Event::Text(" b".into())));
    }

    #[test]
    fn attachments_missing_notes_and_outside_images() {
        let index = vault();
        let (events, _) = pass(
            &index,
            "# ![[song.mp3]]\n\n![[pic.png|20]] ![[Gone]] ![x](https://e.com/p.png)",
        );
        let html: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Ev::Md(Event::Html(h) | Event::InlineHtml(h)) => Some(h.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            html,
            vec![
                "<div class=\"embed embed-media\"><audio controls preload=\"metadata\" src=\"song.mp3\"><a class=\"attachment\" href=\"song.mp3\">song.mp3</a></audio></div>\n",
                "<img src=\"pic.png\" alt=\"pic.png\" width=\"20\" loading=\"lazy\">",
                "<span class=\"unresolved embed-missing\" title=\"Not published\">Gone</span>",
            ]
        );
        // An image from outside the vault stays Markdown's.
        let n = events.len();
        assert!(
            matches!(&events[n - 4], Ev::Md(Event::Start(Tag::Image { dest_url, .. })) if &**dest_url == "https://e.com/p.png")
        );
        assert_eq!(events[n - 3], Ev::Md(Event::Text("x".into())));
        assert_eq!(events[n - 2], Ev::Md(Event::End(TagEnd::Image)));
    }

    #[test]
    fn a_cycle_stops_with_a_marker_and_a_warning_at_the_embed() {
        let index = vault();
        let highlighter = Highlighter::new();
        let ctx = context(&index, &highlighter);
        let page = render_note(&ctx, id(&index, "Loop.md"));
        assert_eq!(
            page.html.matches("Embed stopped").count(),
            1,
            "{}",
            page.html
        );
        assert_eq!(page.diagnostics.len(), 1);
        let d = &page.diagnostics[0];
        assert_eq!(d.kind, DiagnosticKind::EmbedCycle);
        assert_eq!((d.line, d.column), (Some(3), Some(1)));
    }

    #[test]
    fn each_embed_has_its_own_footnote_ids() {
        let index = vault();
        let (events, _) = pass(&index, "![[F]]\n\n![[F]]");
        let html: String = events
            .iter()
            .filter_map(|e| match e {
                Ev::Md(Event::Html(h)) => Some(h.to_string()),
                _ => None,
            })
            .collect();
        // Numbered by the embeds the page has spent, this one included.
        assert!(html.contains("id=\"e1-fn-1\""), "{html}");
        assert!(html.contains("id=\"e2-fn-1\""), "{html}");
    }

    #[test]
    fn past_the_budget_embeds_are_skipped_with_one_warning() {
        let index = vault();
        let markdown: &'static str =
            Box::leak("![[B]] ".repeat(MAX_EMBEDS_PER_PAGE + 2).into_boxed_str());
        let highlighter = Highlighter::new();
        let ctx = context(&index, &highlighter);
        let (html, diagnostics) = with_frame(&ctx, id(&index, "A.md"), |frame| {
            let (events, callouts) = callout::transform(parse(markdown));
            let events = obsidian::transform(events, &callouts, &[]);
            let events = link::resolve(events, &frame.resolver());
            let events = frame.embeds(events);
            (
                crate::render::html::render(events),
                std::mem::take(&mut frame.diagnostics),
            )
        });
        assert_eq!(
            html.matches("data-embed-source").count(),
            MAX_EMBEDS_PER_PAGE
        );
        assert_eq!(html.matches("Embed skipped").count(), 2);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].kind, DiagnosticKind::EmbedTooLarge);
    }
}
