//! Stage 3, `render`: Obsidian-flavoured Markdown → an HTML fragment per
//! note, as passes over pulldown-cmark's event stream (never regexes over
//! raw text, so code is never touched). No disk, no templates.

mod callout;
mod embed;
pub mod escape;
mod footnote;
pub mod highlight;
mod inline;
mod math;
pub mod media;

pub use escape::html as escape_html;

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::index::{resolve::Resolved, scan::NoteScan, view::IndexView, NoteId};
use crate::load::Note;
use crate::portable::{encode_fragment, relative_url};
use crate::syntax::{self, tags::tag_key, target::LinkTarget};
use embed::Embed;
use footnote::Footnotes;
use highlight::Highlighter;
use inline::Piece;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Parser, Tag, TagEnd};

/// Embeds nest at most this deep.
pub const MAX_EMBED_DEPTH: usize = 8;

/// A page renders at most this many embedded notes…
pub const MAX_EMBEDS_PER_PAGE: usize = 1000;
/// …and at most this much of their Markdown (bytes), whatever the nesting:
/// five notes that each embed the next a hundred times would otherwise be
/// a hundred million copies.
pub const MAX_EMBED_BYTES_PER_PAGE: usize = 2 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct RenderedNote {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub diagnostics: Vec<Diagnostic>,
    /// The page draws a ```` ```mermaid ```` diagram (its own or an embed's).
    pub uses_mermaid: bool,
    /// A hash of `html`, `toc` and `uses_mermaid`, made once with them
    /// ([`RenderedNote::new`]): what a page reading this note records.
    pub digest: u64,
}

impl RenderedNote {
    pub fn new(
        html: String,
        toc: Vec<TocEntry>,
        diagnostics: Vec<Diagnostic>,
        uses_mermaid: bool,
    ) -> Self {
        let digest = crate::memo::hash_of(&(&html, &toc, uses_mermaid));
        RenderedNote {
            html,
            toc,
            diagnostics,
            uses_mermaid,
            digest,
        }
    }
}

/// Where the bundled Mermaid files are written when a page needs them.
pub const MERMAID_SCRIPTS: [&str; 2] = ["_spore/mermaid.min.js", "_spore/mermaid-init.js"];

/// What rendering reads: the index (only through its recording view, so
/// `serve` knows what each note's HTML was made from), and the shared
/// highlighter.
pub struct RenderContext<'a> {
    pub view: IndexView<'a>,
    pub highlighter: &'a Highlighter,
}

/// Renders note `id` as it appears on its own page.
pub fn render_note(ctx: &RenderContext, id: NoteId) -> RenderedNote {
    let (note, scan) = ctx.view.note(id);
    let page = ctx.view.out_path(id);
    let mut frame = Frame {
        ctx,
        source: id,
        note,
        scan,
        page,
        with_heading_ids: true,
        stack: vec![(id, String::new())],
        diagnostics: Vec::new(),
        footnotes: Footnotes::new(String::new()),
        uses_mermaid: false,
        budget: EmbedBudget::default(),
    };
    let mut html = frame.render(&note.body);
    html.push_str(&frame.footnotes.section());
    if frame.uses_mermaid {
        for script in MERMAID_SCRIPTS {
            html.push_str(&format!(
                "<script src=\"{}\"></script>\n",
                escape::attr(&relative_url(page, script))
            ));
        }
    }
    let toc = scan
        .headings
        .iter()
        .map(|h| TocEntry {
            level: h.level,
            id: h.id.clone(),
            text: h.text.clone(),
        })
        .collect();
    RenderedNote::new(html, toc, frame.diagnostics, frame.uses_mermaid)
}

/// One rendering of one piece of Markdown: a note, or an embed inside one.
struct Frame<'c, 'i> {
    ctx: &'c RenderContext<'i>,
    /// The note whose text this is: links resolve from its folder.
    source: NoteId,
    /// Its text, and what the index found in it.
    note: &'i Note,
    scan: &'i NoteScan,
    /// Output path of the page being written: URLs are relative to it.
    page: &'c str,
    with_heading_ids: bool,
    /// Embeds open around this one: (note, fragment), to stop cycles.
    stack: Vec<(NoteId, String)>,
    diagnostics: Vec<Diagnostic>,
    footnotes: Footnotes,
    uses_mermaid: bool,
    /// What the page has spent on embeds so far (handed down to each
    /// embed's frame and back).
    budget: EmbedBudget,
}

/// Embeds rendered on one page, and what they cost.
#[derive(Debug, Default)]
struct EmbedBudget {
    embeds: usize,
    bytes: usize,
    /// The page's one warning is out.
    warned: bool,
}

/// What closes an open link when its `End` arrives.
enum LinkClose {
    Html(&'static str),
    Event,
}

impl Frame<'_, '_> {
    fn source_path(&self) -> &str {
        &self.note.path
    }

    fn warn(&mut self, kind: DiagnosticKind, message: String) {
        let path = self.source_path().to_string();
        self.diagnostics
            .push(Diagnostic::warning(kind, path, message));
    }

    fn render(&mut self, text: &str) -> String {
        let events = coalesce_text(Parser::new_ext(text, syntax::parser_options()));
        let (main, mut definitions) = footnote::split_definitions(events);
        self.footnotes.define(definitions.keys());
        let html = self.events_to_html(main);
        // Definitions render in number order; one may reference another
        // footnote, numbered after those of the text.
        let mut from = 0;
        while let Some((i, key)) = self.footnotes.next_unrendered(from) {
            if let Some(part) = definitions.remove(&key) {
                let body = self.events_to_html(part);
                self.footnotes.set_html(i, body);
            }
            from = i + 1;
        }
        html
    }

    fn events_to_html(&mut self, part: footnote::Part<'_>) -> String {
        let (events, callouts) = callout::transform(part.events);
        let out = self.transform(events, &part.headings, &callouts);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, out.into_iter());
        // Block embeds close and reopen the paragraph around them (most
        // notes have none: skip the copy then).
        if html.contains("<p></p>") {
            html.replace("<p></p>", "")
        } else {
            html
        }
    }

    /// `headings`: the place of each heading of `events` in the note's
    /// index (a footnote definition's headings are not where they render).
    fn transform<'e>(
        &mut self,
        events: Vec<Event<'e>>,
        headings: &[usize],
        callouts: &callout::Edges,
    ) -> Vec<Event<'e>> {
        let mut out: Vec<Event<'e>> = Vec::with_capacity(events.len() + 16);
        let mut heading_n = 0;
        let mut links: Vec<LinkClose> = Vec::new();
        let mut open_mark: Option<usize> = None;
        // Open paragraphs and list items: (index in `out`, is item).
        let mut containers: Vec<(usize, bool)> = Vec::new();
        // Where the current and the previous top-level blocks start in `out`.
        let (mut previous_top, mut current_top) = (0usize, 0usize);
        let mut depth = 0usize;
        let mut code: Option<(String, String)> = None;
        let mut paragraph_depth = 0usize;
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
            if let Some((_, buf)) = code.as_mut() {
                match event {
                    Event::Text(t) => buf.push_str(&t),
                    Event::End(TagEnd::CodeBlock) => {
                        depth -= 1;
                        if let Some((lang, buf)) = code.take() {
                            out.push(Event::Html(self.code_block(&lang, &buf).into()));
                        }
                    }
                    _ => {}
                }
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
                            let lang = match kind {
                                CodeBlockKind::Fenced(info) => {
                                    info.split_whitespace().next().unwrap_or("").to_string()
                                }
                                CodeBlockKind::Indented => String::new(),
                            };
                            code = Some((lang, String::new()));
                        }
                        Tag::Heading {
                            level,
                            id: _,
                            classes,
                            attrs,
                        } => {
                            let id = if self.with_heading_ids {
                                headings
                                    .get(heading_n)
                                    .and_then(|&k| self.scan.headings.get(k))
                                    .map(|h| CowStr::from(h.id.clone()))
                            } else {
                                None
                            };
                            heading_n += 1;
                            out.push(Event::Start(Tag::Heading {
                                level,
                                id,
                                classes,
                                attrs,
                            }));
                        }
                        Tag::Paragraph => {
                            paragraph_depth += 1;
                            containers.push((out.len(), false));
                            out.push(Event::Start(Tag::Paragraph));
                        }
                        Tag::Item => {
                            containers.push((out.len(), true));
                            out.push(Event::Start(Tag::Item));
                        }
                        Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        } => {
                            let label_is_dest =
                                matches!(link_type, LinkType::WikiLink { has_pothole: false });
                            let (open, close) = self.link_open(link_type, &dest_url, &title);
                            match open {
                                Some(html) => {
                                    out.push(Event::InlineHtml(html.into()));
                                    links.push(close);
                                    if label_is_dest {
                                        if let (
                                            Some(Some(Event::Text(_))),
                                            Some(Some(Event::End(TagEnd::Link))),
                                        ) = (events.get(i), events.get(i + 1))
                                        {
                                            events[i] =
                                                Some(Event::Text(wikilink_label(&dest_url).into()));
                                        }
                                    }
                                }
                                None => {
                                    out.push(Event::Start(Tag::Link {
                                        link_type,
                                        dest_url,
                                        title,
                                        id,
                                    }));
                                    links.push(LinkClose::Event);
                                }
                            }
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
                            match self.embed(link_type, &dest_url, &alt) {
                                Embed::Inline(html) => out.push(Event::InlineHtml(html.into())),
                                Embed::Block(html) => {
                                    if paragraph_depth > 0 {
                                        out.push(Event::InlineHtml("</p>\n".into()));
                                        out.push(Event::Html(html.into()));
                                        out.push(Event::InlineHtml("<p>".into()));
                                    } else {
                                        out.push(Event::Html(html.into()));
                                    }
                                }
                                Embed::Keep => {
                                    out.push(Event::Start(Tag::Image {
                                        link_type,
                                        dest_url,
                                        title,
                                        id,
                                    }));
                                    out.push(Event::Text(alt.into()));
                                    out.push(Event::End(TagEnd::Image));
                                }
                            }
                        }
                        other => out.push(Event::Start(other)),
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
                        TagEnd::Link => match links.pop() {
                            Some(LinkClose::Html(close)) => {
                                out.push(Event::InlineHtml(close.into()))
                            }
                            _ => out.push(Event::End(TagEnd::Link)),
                        },
                        TagEnd::Paragraph => {
                            paragraph_depth = paragraph_depth.saturating_sub(1);
                            containers.pop();
                            out.push(Event::End(end));
                        }
                        TagEnd::Item => {
                            containers.pop();
                            out.push(Event::End(end));
                        }
                        other => out.push(Event::End(other)),
                    }
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
                                    out[start] = Event::Html("".into());
                                    if let Some(Some(Event::End(TagEnd::Paragraph))) = events.get(i)
                                    {
                                        events[i] = Some(Event::Html("".into()));
                                        paragraph_depth = paragraph_depth.saturating_sub(1);
                                        containers.pop();
                                        depth = depth.saturating_sub(1);
                                    }
                                    let above = previous_top..current_top.min(start);
                                    name_block_above(&mut out, above, start, &anchor);
                                    continue;
                                }
                                out[start] = Event::Html(
                                    format!(
                                        "<{} id=\"{}\" class=\"block-ref-target\">",
                                        if is_item { "li" } else { "p" },
                                        escape::attr(&anchor)
                                    )
                                    .into(),
                                );
                                text = before.into();
                            }
                        }
                    }
                    self.text(&text, links.is_empty(), &mut out, &mut open_mark);
                }
                Event::InlineMath(m) => {
                    out.push(Event::InlineHtml(math::to_mathml(&m, false).into()))
                }
                Event::DisplayMath(m) => {
                    out.push(Event::InlineHtml(math::to_mathml(&m, true).into()))
                }
                Event::FootnoteReference(label) => match self.footnotes.reference(&label) {
                    Some(mark) => out.push(Event::InlineHtml(mark.into())),
                    None => out.push(Event::Text(format!("[^{label}]").into())),
                },
                other => out.push(other),
            }
        }
        close_unpaired_mark(&mut out, &mut open_mark);
        out
    }

    /// Text with highlights, tags and inline footnotes.
    fn text<'e>(
        &mut self,
        text: &str,
        tags: bool,
        out: &mut Vec<Event<'e>>,
        open_mark: &mut Option<usize>,
    ) {
        for piece in inline::split(text, tags) {
            match piece {
                Piece::Text(t) | Piece::Literal(t) => out.push(Event::Text(t.to_string().into())),
                Piece::MarkOpen if open_mark.is_none() => {
                    *open_mark = Some(out.len());
                    out.push(Event::InlineHtml("<mark>".into()));
                }
                Piece::MarkClose | Piece::MarkOpen if open_mark.is_some() => {
                    *open_mark = None;
                    out.push(Event::InlineHtml("</mark>".into()));
                }
                Piece::MarkOpen | Piece::MarkClose => out.push(Event::Text("==".into())),
                Piece::Tag(tag) => {
                    let html = match self.ctx.view.tag_page(&tag_key(tag)) {
                        Some(out_path) => format!(
                            "<a class=\"tag\" href=\"{}\">#{}</a>",
                            escape::attr(&relative_url(self.page, out_path)),
                            escape::html(tag)
                        ),
                        None => format!("<span class=\"tag\">#{}</span>", escape::html(tag)),
                    };
                    out.push(Event::InlineHtml(html.into()));
                }
                Piece::Footnote(content) => {
                    let mark = self.footnotes.inline(content);
                    out.push(Event::InlineHtml(mark.into()));
                }
            }
        }
    }

    fn code_block(&mut self, lang: &str, code: &str) -> String {
        if lang.eq_ignore_ascii_case("mermaid") {
            self.uses_mermaid = true;
            return format!("<pre class=\"mermaid\">{}</pre>\n", escape::html(code));
        }
        self.ctx.highlighter.code_block(lang, code).to_string()
    }

    /// The href (relative to the page) for a resolved note and fragment.
    fn note_href(&self, note: NoteId, target: &LinkTarget) -> String {
        let out_path = self.ctx.view.out_path(note);
        let fragment = self.fragment(note, target);
        let base = if out_path == self.page && fragment.is_some() {
            String::new()
        } else {
            relative_url(self.page, out_path)
        };
        match fragment {
            Some(f) => format!("{base}#{}", encode_fragment(&f)),
            None => base,
        }
    }

    fn fragment(&self, note: NoteId, target: &LinkTarget) -> Option<String> {
        let view = self.ctx.view;
        if let Some(block) = &target.block {
            return view.has_block(note, block).then(|| format!("^{block}"));
        }
        if target.headings.is_empty() {
            return None;
        }
        view.heading(note, &target.headings).map(str::to_string)
    }

    /// What a link written in this frame's note points at.
    fn resolve(&self, target: &LinkTarget) -> Option<Resolved> {
        if target.is_same_note() {
            return Some(Resolved::Note(self.source));
        }
        self.ctx.view.resolve(self.source, &target.file)
    }

    /// Opening HTML for a link, or `None` to keep pulldown's own rendering.
    fn link_open(
        &mut self,
        link_type: LinkType,
        dest: &str,
        title: &str,
    ) -> (Option<String>, LinkClose) {
        let title_attr = if title.is_empty() {
            String::new()
        } else {
            format!(" title=\"{}\"", escape::attr(title))
        };
        let Some(dest) = crate::index::scan::link_dest(link_type, dest) else {
            if matches!(link_type, LinkType::Autolink | LinkType::Email) {
                return (None, LinkClose::Event);
            }
            // External URL.
            return (
                Some(format!(
                    "<a class=\"external\" href=\"{}\"{title_attr} rel=\"noopener\">",
                    escape::attr(dest)
                )),
                LinkClose::Html("</a>"),
            );
        };
        let target = LinkTarget::parse(&dest);
        let resolved = self.resolve(&target);
        match resolved {
            Some(Resolved::Note(id)) => (
                Some(format!(
                    "<a class=\"internal\" href=\"{}\"{title_attr}>",
                    escape::attr(&self.note_href(id, &target))
                )),
                LinkClose::Html("</a>"),
            ),
            Some(Resolved::Attachment(a)) => {
                let (out_path, _) = self.ctx.view.attachment(a);
                (
                    Some(format!(
                        "<a class=\"internal attachment\" href=\"{}\"{title_attr}>",
                        escape::attr(&relative_url(self.page, out_path))
                    )),
                    LinkClose::Html("</a>"),
                )
            }
            None => (
                Some("<span class=\"unresolved\" title=\"Not published\">".to_string()),
                LinkClose::Html("</span>"),
            ),
        }
    }
}

fn is_inline_container(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell | Tag::Item
    )
}

/// Puts block id `anchor` on the block whose events are `out[above]`
/// (rendered to HTML in place, each event after the first left empty, so
/// no later index moves); with no block above, an anchor at `at`.
fn name_block_above(out: &mut [Event], above: std::ops::Range<usize>, at: usize, anchor: &str) {
    let anchor_html = format!(
        "<a class=\"block-anchor\" id=\"{}\"></a>",
        escape::attr(anchor)
    );
    if above.is_empty() || above.end > out.len() {
        out[at] = Event::Html(anchor_html.into());
        return;
    }
    let mut html = String::new();
    let events: Vec<Event> = out[above.clone()]
        .iter_mut()
        .map(|e| std::mem::replace(e, Event::Html("".into())))
        .collect();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    out[above.start] = Event::Html(with_block_id(&html, anchor, &anchor_html).into());
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

/// An unpaired `==` stays literal text.
fn close_unpaired_mark(out: &mut [Event], open_mark: &mut Option<usize>) {
    if let Some(at) = open_mark.take() {
        if let Some(slot) = out.get_mut(at) {
            *slot = Event::Text("==".into());
        }
    }
}

/// `Note#Heading` shows as `Note > Heading`, as in Obsidian.
fn wikilink_label(dest: &str) -> String {
    let target = LinkTarget::parse(dest);
    let file = crate::load::strip_md(&target.file);
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
    use super::with_block_id;

    const A: &str = "<a class=\"block-anchor\" id=\"^x\"></a>";

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
