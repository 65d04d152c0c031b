//! The pass after `obsidian`: every destination resolved, in one place. [`Resolver::target`]
//! turns a link's or an embed's destination into what it points at (a note
//! with the fragment it names, an attachment, nothing published, or
//! something outside the vault); this pass writes links and tags as HTML
//! and hands embeds their target for the `embed` pass.

use super::{escape, Ev};
use crate::index::{resolve::Resolved, view::IndexView, NoteId};
use crate::portable::{encode_fragment, relative_url};
use crate::syntax::{tags::tag_key, target::LinkTarget};
use pulldown_cmark::{Event, LinkType, Tag, TagEnd};

/// Resolves destinations written in note `source` for page `page`.
pub struct Resolver<'a> {
    pub view: IndexView<'a>,
    pub source: NoteId,
    /// Output path of the page being written: URLs are relative to it.
    pub page: &'a str,
}

/// What a destination points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Not a vault path: a URL, an autolink or an e-mail address.
    Outside,
    /// A note; `fragment` is the id of the heading or block it names, when
    /// that note has it.
    Note {
        id: NoteId,
        target: LinkTarget,
        /// The destination as written, decoded (how the scan lists it).
        dest: String,
        fragment: Option<String>,
    },
    Attachment {
        out_path: String,
        /// Its path in the vault.
        path: String,
    },
    /// Nothing published by that name.
    Unresolved { dest: String },
}

impl Resolver<'_> {
    pub fn target(&self, link_type: LinkType, dest: &str) -> Target {
        let Some(dest) = crate::index::scan::link_dest(link_type, dest) else {
            return Target::Outside;
        };
        let target = LinkTarget::parse(&dest);
        let resolved = if target.is_same_note() {
            Some(Resolved::Note(self.source))
        } else {
            self.view.resolve(self.source, &target.file)
        };
        match resolved {
            Some(Resolved::Note(id)) => {
                let fragment = self.fragment(id, &target);
                Target::Note {
                    id,
                    target,
                    dest,
                    fragment,
                }
            }
            Some(Resolved::Attachment(a)) => {
                let (out_path, path) = self.view.attachment(a);
                Target::Attachment {
                    out_path: out_path.to_string(),
                    path: path.to_string(),
                }
            }
            None => Target::Unresolved { dest },
        }
    }

    fn fragment(&self, note: NoteId, target: &LinkTarget) -> Option<String> {
        if let Some(block) = &target.block {
            return self
                .view
                .has_block(note, block)
                .then(|| format!("^{block}"));
        }
        if target.headings.is_empty() {
            return None;
        }
        self.view
            .heading(note, &target.headings)
            .map(str::to_string)
    }

    /// The href of a note (and fragment) relative to the page; a fragment
    /// of the page itself is just `#fragment`.
    pub fn note_href(&self, note: NoteId, fragment: Option<&str>) -> String {
        let out_path = self.view.out_path(note);
        let base = if out_path == self.page && fragment.is_some() {
            String::new()
        } else {
            relative_url(self.page, out_path)
        };
        match fragment {
            Some(f) => format!("{base}#{}", encode_fragment(f)),
            None => base,
        }
    }

    /// Opening HTML for a link and its closing tag, or `None` to keep
    /// pulldown's own rendering (autolinks, e-mail addresses).
    fn link_open(
        &self,
        link_type: LinkType,
        dest: &str,
        title: &str,
    ) -> Option<(String, &'static str)> {
        let title_attr = if title.is_empty() {
            String::new()
        } else {
            format!(" title=\"{}\"", escape::attr(title))
        };
        let open = match self.target(link_type, dest) {
            Target::Outside if matches!(link_type, LinkType::Autolink | LinkType::Email) => {
                return None
            }
            Target::Outside => format!(
                "<a class=\"external\" href=\"{}\"{title_attr} rel=\"noopener\">",
                escape::attr(dest)
            ),
            Target::Note { id, fragment, .. } => format!(
                "<a class=\"internal\" href=\"{}\"{title_attr}>",
                escape::attr(&self.note_href(id, fragment.as_deref()))
            ),
            Target::Attachment { out_path, .. } => format!(
                "<a class=\"internal attachment\" href=\"{}\"{title_attr}>",
                escape::attr(&relative_url(self.page, &out_path))
            ),
            Target::Unresolved { .. } => {
                return Some((
                    "<span class=\"unresolved\" title=\"Not published\">".to_string(),
                    "</span>",
                ))
            }
        };
        Some((open, "</a>"))
    }

    /// A `#tag`: a link to its tag page, or a plain mark without one.
    fn tag(&self, tag: &str) -> String {
        match self.view.tag_page(&tag_key(tag)) {
            Some(out_path) => format!(
                "<a class=\"tag\" href=\"{}\">#{}</a>",
                escape::attr(&relative_url(self.page, out_path)),
                escape::html(tag)
            ),
            None => format!("<span class=\"tag\">#{}</span>", escape::html(tag)),
        }
    }
}

/// The pass: links and tags become HTML, images become embeds with their
/// target.
pub fn resolve<'e>(events: Vec<Ev<'e>>, resolver: &Resolver) -> Vec<Ev<'e>> {
    let mut out = Vec::with_capacity(events.len());
    // For each open link, the HTML that closes it (`None`: pulldown's).
    let mut closes: Vec<Option<&'static str>> = Vec::new();
    for ev in events {
        match ev {
            Ev::Md(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            })) => match resolver.link_open(link_type, &dest_url, &title) {
                Some((open, close)) => {
                    out.push(Ev::Md(Event::InlineHtml(open.into())));
                    closes.push(Some(close));
                }
                None => {
                    out.push(Ev::Md(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })));
                    closes.push(None);
                }
            },
            Ev::Md(Event::End(TagEnd::Link)) => match closes.pop() {
                Some(Some(close)) => out.push(Ev::Md(Event::InlineHtml(close.into()))),
                _ => out.push(Ev::Md(Event::End(TagEnd::Link))),
            },
            Ev::Tag(tag) => out.push(Ev::Md(Event::InlineHtml(resolver.tag(&tag).into()))),
            Ev::Image(image) => {
                let target = resolver.target(image.link_type, &image.dest_url);
                out.push(Ev::Embed(image, target));
            }
            other => out.push(other),
        }
    }
    out
}
