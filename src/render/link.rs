//! The pass after `obsidian`: every destination resolved, in one place.
//! [`Resolver::target`] turns a link's or an embed's destination into what
//! it points at (a note with the fragment it names, an attachment, nothing
//! published, or something outside the vault); this pass writes links and
//! tags as HTML and hands embeds their target for the `embed` pass.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_vault::{id, index};
    use crate::render::{callout, obsidian, parse::parse};

    fn vault() -> crate::index::VaultIndex {
        index(
            &[
                ("A.md", "# Head\n\ntext ^blk\n"),
                ("sub/B.md", "#topic [[A]]\n"),
            ],
            &["pic.png"],
        )
    }

    fn resolver<'a>(index: &'a crate::index::VaultIndex, from: &str) -> Resolver<'a> {
        let view = IndexView::new(index);
        let source = id(index, from);
        Resolver {
            view,
            source,
            page: view.out_path(source),
        }
    }

    const WIKI: LinkType = LinkType::WikiLink { has_pothole: false };

    #[test]
    fn one_resolver_for_notes_fragments_attachments_and_the_rest() {
        let index = vault();
        let a = id(&index, "A.md");
        let r = resolver(&index, "sub/B.md");
        let note = |dest: &str| match r.target(WIKI, dest) {
            Target::Note { id, fragment, .. } => (id, fragment),
            other => panic!("{dest}: {other:?}"),
        };
        assert_eq!(note("A"), (a, None));
        assert_eq!(note("A#Head"), (a, Some("head".to_string())));
        assert_eq!(note("A#^blk"), (a, Some("^blk".to_string())));
        // A heading or block the note lacks: the note itself.
        assert_eq!(note("A#Nope"), (a, None));
        assert_eq!(note("A#^nope"), (a, None));
        assert!(matches!(
            r.target(WIKI, "pic.png"),
            Target::Attachment { path, .. } if path == "pic.png"
        ));
        assert_eq!(
            r.target(WIKI, "Gone"),
            Target::Unresolved {
                dest: "Gone".into()
            }
        );
        assert_eq!(
            r.target(LinkType::Inline, "https://example.com/A"),
            Target::Outside
        );
        // A Markdown link is percent-decoded like a wikilink's name.
        assert!(matches!(
            r.target(LinkType::Inline, "A.md#Head"),
            Target::Note { id, .. } if id == a
        ));
    }

    #[test]
    fn same_note_links_resolve_to_the_note_and_stay_on_the_page() {
        let index = vault();
        let a = id(&index, "A.md");
        let r = resolver(&index, "A.md");
        assert!(matches!(
            r.target(WIKI, "#Head"),
            Target::Note { id, fragment: Some(f), .. } if id == a && f == "head"
        ));
        assert_eq!(r.note_href(a, Some("head")), "#head");
        let from_b = resolver(&index, "sub/B.md");
        assert_eq!(from_b.note_href(a, Some("head")), "../A.html#head");
        assert_eq!(from_b.note_href(a, None), "../A.html");
    }

    fn pass(index: &crate::index::VaultIndex, markdown: &'static str) -> Vec<Ev<'static>> {
        let (events, callouts) = callout::transform(parse(markdown));
        let events = obsidian::transform(events, &callouts, &[]);
        resolve(events, &resolver(index, "sub/B.md"))
    }

    fn inline_html(events: &[Ev]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Ev::Md(Event::InlineHtml(h)) => Some(h.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn links_and_tags_become_html() {
        let index = vault();
        let events = pass(
            &index,
            "[[A#Head]] [[Gone]] [w](https://e.com \"T\") #topic #none <https://auto.link>",
        );
        assert_eq!(
            inline_html(&events),
            vec![
                "<a class=\"internal\" href=\"../A.html#head\">",
                "</a>",
                "<span class=\"unresolved\" title=\"Not published\">",
                "</span>",
                "<a class=\"external\" href=\"https://e.com\" title=\"T\" rel=\"noopener\">",
                "</a>",
                "<a class=\"tag\" href=\"../tags/topic.html\">#topic</a>",
                "<span class=\"tag\">#none</span>",
            ]
        );
        // An autolink keeps pulldown's own tags.
        assert!(events.iter().any(|e| matches!(
            e,
            Ev::Md(Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                ..
            }))
        )));
        assert!(events.contains(&Ev::Md(Event::End(TagEnd::Link))));
    }

    #[test]
    fn embeds_get_their_target_from_the_same_resolver() {
        let index = vault();
        let events = pass(&index, "![[A#^blk]] ![[pic.png]] ![x](https://e.com/p.png)");
        let targets: Vec<&Target> = events
            .iter()
            .filter_map(|e| match e {
                Ev::Embed(_, t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(targets.len(), 3);
        assert!(
            matches!(targets[0], Target::Note { fragment: Some(f), dest, .. } if f == "^blk" && dest == "A#^blk")
        );
        assert!(matches!(targets[1], Target::Attachment { .. }));
        assert_eq!(targets[2], &Target::Outside);
    }
}
