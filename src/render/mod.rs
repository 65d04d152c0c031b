//! Stage 3, `render`: Obsidian-flavoured Markdown → an HTML fragment per
//! note, as passes over pulldown-cmark's event stream (never regexes over
//! raw text, so code is never touched). No disk, no templates.
//!
//! The passes, in order (`Frame::part_html`): `parse` (events, text
//! coalesced), `footnote::split_definitions`, `callout`, `obsidian` (heading
//! ids, block ids, wikilink labels, highlights, tags, inline footnotes,
//! images gathered), `link` (every destination resolved, in one place),
//! `embed`, `footnote::number`, `code` (highlighting, Mermaid, math) and
//! `html`.

mod callout;
mod code;
mod embed;
pub mod escape;
mod footnote;
pub mod highlight;
mod html;
mod inline;
mod link;
mod math;
pub mod media;
mod obsidian;
mod parse;

pub use escape::html as escape_html;

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::index::{scan::NoteScan, view::IndexView, NoteId};
use crate::load::Note;
use crate::portable::relative_url;
use footnote::Footnotes;
use highlight::Highlighter;
use link::{Resolver, Target};
use pulldown_cmark::{CowStr, Event, LinkType};

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
    let mut frame = Frame::for_page(ctx, id);
    let (scan, page) = (frame.scan, frame.page);
    let body = ctx.view.body(id);
    let mut html = frame.render(&body);
    drop(body);
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

/// An event between two passes: pulldown-cmark's own, or Obsidian syntax
/// the `obsidian` pass found and a later pass turns into HTML. By the
/// `html` pass only `Md` is left.
#[derive(Debug, Clone, PartialEq)]
enum Ev<'e> {
    Md(Event<'e>),
    /// `#tag` in text outside links (the `link` pass writes it).
    Tag(String),
    /// `^[text]` (the footnote pass numbers it).
    InlineFootnote(String),
    /// `![…](…)` or `![[…]]`, its destination not yet resolved.
    Image(Image<'e>),
    /// The same, resolved (the `embed` pass renders it).
    Embed(Image<'e>, Target),
    /// The events up to the matching `NamedEnd` are one block that takes
    /// this block id (`^id` written alone below it).
    NamedStart(String),
    NamedEnd,
}

/// An image or embed, its alt text gathered.
#[derive(Debug, Clone, PartialEq)]
struct Image<'e> {
    link_type: LinkType,
    dest_url: CowStr<'e>,
    title: CowStr<'e>,
    id: CowStr<'e>,
    alt: String,
    /// Written inside a paragraph, which a block embed closes around it.
    in_paragraph: bool,
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

impl<'c, 'i> Frame<'c, 'i> {
    /// The frame of note `id`'s own page: the top of the embed stack.
    fn for_page(ctx: &'c RenderContext<'i>, id: NoteId) -> Self {
        let (note, scan) = ctx.view.note(id);
        Frame {
            ctx,
            source: id,
            note,
            scan,
            page: ctx.view.out_path(id),
            with_heading_ids: true,
            stack: vec![(id, String::new())],
            diagnostics: Vec::new(),
            footnotes: Footnotes::new(String::new()),
            uses_mermaid: false,
            budget: EmbedBudget::default(),
        }
    }
}

impl<'i> Frame<'_, 'i> {
    fn source_path(&self) -> &str {
        &self.note.path
    }

    fn warn(&mut self, kind: DiagnosticKind, message: String) {
        let path = self.source_path().to_string();
        self.diagnostics
            .push(Diagnostic::warning(kind, path, message));
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            view: self.ctx.view,
            source: self.source,
            page: self.page,
        }
    }

    fn render(&mut self, text: &str) -> String {
        let (main, mut definitions) = footnote::split_definitions(parse::parse(text));
        self.footnotes.define(definitions.keys());
        let html = self.part_html(main);
        // Definitions render in number order; one may reference another
        // footnote, numbered after those of the text.
        let mut from = 0;
        while let Some((i, key)) = self.footnotes.next_unrendered(from) {
            if let Some(part) = definitions.remove(&key) {
                let body = self.part_html(part);
                self.footnotes.set_html(i, body);
            }
            from = i + 1;
        }
        html
    }

    /// The passes after parsing, over one part of the text (the body, or
    /// one footnote definition).
    fn part_html(&mut self, part: footnote::Part<'_>) -> String {
        let heading_ids = self.heading_ids(&part.headings);
        let (events, callouts) = callout::transform(part.events);
        let events = obsidian::transform(events, &callouts, &heading_ids);
        let events = link::resolve(events, &self.resolver());
        let events = self.embeds(events);
        let events = footnote::number(events, &mut self.footnotes);
        let events = code::transform(events, self.ctx.highlighter, &mut self.uses_mermaid);
        html::render(events)
    }

    /// The ids of a part's headings, from the index's scan of the note
    /// (`headings`: their places among the note's headings); none in an
    /// embed, whose headings are not the page's.
    fn heading_ids(&self, headings: &[usize]) -> Vec<Option<String>> {
        if !self.with_heading_ids {
            return Vec::new();
        }
        headings
            .iter()
            .map(|&k| self.scan.headings.get(k).map(|h| h.id.clone()))
            .collect()
    }
}

/// A small vault's index and frames over it, for the passes' tests.
#[cfg(test)]
mod test_vault {
    use super::{Frame, RenderContext};
    use crate::index::{view::IndexView, IndexOptions, NoteId, VaultIndex};
    use crate::load::attachment::{Attachment, FileIdentity};
    use crate::load::Vault;
    use std::path::PathBuf;

    /// `notes`: (path, text); `attachments`: paths (never read).
    pub fn index(notes: &[(&str, &str)], attachments: &[&str]) -> VaultIndex {
        let notes = notes
            .iter()
            .map(|(path, text)| crate::load::parse_note(path, text.as_bytes(), None).0)
            .collect();
        let attachments = attachments
            .iter()
            .map(|path| Attachment {
                path: path.to_string(),
                abs: PathBuf::from(path),
                vault: PathBuf::new(),
                disk: PathBuf::from(path),
                secret_key: None,
                identity: FileIdentity {
                    len: 0,
                    modified_ns: None,
                    changed_ns: None,
                    inode: None,
                    born_ns: None,
                },
            })
            .collect();
        let vault = Vault {
            notes,
            attachments,
            diagnostics: Vec::new(),
        };
        crate::index::build(
            vault,
            IndexOptions {
                include_drafts: true,
                ..Default::default()
            },
        )
    }

    pub fn id(index: &VaultIndex, path: &str) -> NoteId {
        index
            .notes
            .iter()
            .position(|n| n.note.path == path)
            .unwrap_or_else(|| panic!("no note {path}"))
    }

    pub fn context<'a>(
        index: &'a VaultIndex,
        highlighter: &'a super::Highlighter,
    ) -> RenderContext<'a> {
        RenderContext {
            view: IndexView::new(index),
            highlighter,
        }
    }

    /// `f` given the frame of note `id`'s own page.
    pub fn with_frame<R>(ctx: &RenderContext, id: NoteId, f: impl FnOnce(&mut Frame) -> R) -> R {
        f(&mut Frame::for_page(ctx, id))
    }
}
