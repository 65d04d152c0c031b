//! The data each template sees (documented in `content/Themes and
//! templates.md`). Every key is always present, possibly empty.

use super::view::PageView;
use crate::config::Config;
use crate::index::{FolderEntry, NoteId, TagEntry};
use crate::portable::{relative_url, root_prefix};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Note,
    Home,
    Folder,
    Tag,
    Tags,
    NotFound,
    /// The whole-site graph (`graph.html`).
    Graph,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub title: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    pub name: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backlink {
    pub title: String,
    pub href: String,
    pub context: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub title: String,
    pub href: String,
    pub description: String,
    pub date: String,
    pub kind: &'static str,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageContext {
    pub kind: PageKind,
    pub title: String,
    pub description: String,
    pub date: String,
    pub updated: String,
    pub path: String,
    pub content: String,
    pub tags: Vec<TagLink>,
    pub aliases: Vec<String>,
    pub cssclasses: String,
    pub toc: Vec<crate::render::TocEntry>,
    pub backlinks: Vec<Backlink>,
    pub outlinks: Vec<Link>,
    pub breadcrumbs: Vec<Link>,
    pub items: Vec<Item>,
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Inline SVG of the note's links and backlinks (empty without links).
    pub graph: String,
}

impl PageContext {
    fn empty(kind: PageKind, path: String, title: String) -> PageContext {
        PageContext {
            kind,
            title,
            description: String::new(),
            date: String::new(),
            updated: String::new(),
            path,
            content: String::new(),
            tags: Vec::new(),
            aliases: Vec::new(),
            cssclasses: String::new(),
            toc: Vec::new(),
            backlinks: Vec::new(),
            outlinks: Vec::new(),
            breadcrumbs: Vec::new(),
            items: Vec::new(),
            extra: serde_json::Map::new(),
            graph: String::new(),
        }
    }
}

#[derive(Serialize)]
struct SiteInfo<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    authors: &'a [String],
}

/// Builds template contexts, reading the site only through a [`PageView`].
pub struct ContextBuilder<'a> {
    view: PageView<'a>,
    config: &'a Config,
}

impl<'a> ContextBuilder<'a> {
    pub fn new(view: PageView<'a>, config: &'a Config) -> Self {
        ContextBuilder { view, config }
    }

    pub fn folder(&self, key: &str) -> Option<&'a FolderEntry> {
        self.view.folder(key)
    }

    pub fn tag(&self, key: &str) -> Option<&'a TagEntry> {
        self.view.tag(key)
    }

    pub fn tera_context(&self, page: &PageContext) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert(
            "site",
            &SiteInfo {
                title: &self.config.title,
                description: &self.config.description,
                language: &self.config.language,
                authors: &self.config.authors,
            },
        );
        ctx.insert("root", &root_prefix(&page.path));
        ctx.insert(
            "nav",
            &serde_json::json!({
                "home": relative_url(&page.path, "index.html"),
                "tags": relative_url(&page.path, "tags/index.html"),
                "graph": relative_url(&page.path, super::graph::GRAPH_PAGE),
                "feed": relative_url(&page.path, super::feed::FEED_PATH),
            }),
        );
        ctx.insert("page", page);
        ctx
    }

    fn note_link(&self, from: &str, id: NoteId) -> Link {
        let index = self.view.index();
        Link {
            title: index.title(id).to_string(),
            href: relative_url(from, index.out_path(id)),
        }
    }

    fn tag_links(&self, from: &str, tags: &[String]) -> Vec<TagLink> {
        tags.iter()
            .filter_map(|t| {
                self.view
                    .index()
                    .tag_page(&crate::syntax::tags::tag_key(t))
                    .map(|out_path| TagLink {
                        name: t.clone(),
                        href: relative_url(from, out_path),
                    })
            })
            .collect()
    }

    /// Home › folder › subfolder, for a page in `folder` (vault path).
    fn breadcrumbs(&self, from: &str, folder: &str, include_folder: bool) -> Vec<Link> {
        let mut crumbs = vec![Link {
            title: self.config.title.clone(),
            href: relative_url(from, "index.html"),
        }];
        let parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
        let upto = if include_folder {
            parts.len()
        } else {
            parts.len().saturating_sub(1)
        };
        for end in 1..=upto {
            let path = parts[..end].join("/");
            if let Some(f) = self.view.folder(&path) {
                crumbs.push(Link {
                    title: parts[end - 1].to_string(),
                    href: relative_url(from, &f.out_path),
                });
            }
        }
        crumbs
    }

    /// The fields a note supplies, on its own page or on a folder page.
    fn fill_from_note(&self, page: &mut PageContext, id: NoteId) {
        let (note, _) = self.view.index().note(id);
        let fm = &note.frontmatter;
        let path = page.path.clone();
        page.description = fm.description.clone().unwrap_or_default();
        page.date = fm.date.clone().unwrap_or_default();
        page.updated = fm.updated.clone().unwrap_or_default();
        let rendered = self.view.rendered(id);
        page.content = rendered.html.clone();
        page.tags = self.tag_links(&path, self.view.tags(id));
        page.aliases = fm.aliases.clone();
        page.cssclasses = fm.cssclasses.join(" ");
        page.toc = rendered.toc.clone();
        page.backlinks = self
            .view
            .backlinks(id)
            .iter()
            .map(|b| {
                let link = self.note_link(&path, b.from);
                Backlink {
                    title: link.title,
                    href: link.href,
                    context: b.context.to_string(),
                }
            })
            .collect();
        page.outlinks = self
            .view
            .outlinks(id)
            .iter()
            .map(|&to| self.note_link(&path, to))
            .collect();
        page.extra = fm.extra.clone();
    }

    pub fn note_page(&self, id: NoteId) -> PageContext {
        let index = self.view.index();
        let out_path = index.out_path(id);
        let mut page = PageContext::empty(
            PageKind::Note,
            out_path.to_string(),
            index.title(id).to_string(),
        );
        self.fill_from_note(&mut page, id);
        page.breadcrumbs = self.breadcrumbs(out_path, index.note(id).0.folder(), true);
        page
    }

    pub fn folder_page(&self, folder: &FolderEntry) -> PageContext {
        let is_home = folder.path.is_empty();
        let title = if is_home {
            self.config.title.clone()
        } else {
            folder
                .path
                .rsplit('/')
                .next()
                .unwrap_or(&folder.path)
                .to_string()
        };
        let kind = if is_home {
            PageKind::Home
        } else {
            PageKind::Folder
        };
        let mut page = PageContext::empty(kind, folder.out_path.clone(), title);
        if let Some(id) = folder.folder_note {
            self.fill_from_note(&mut page, id);
            let index = self.view.index();
            if index.note(id).0.frontmatter.title.is_some() {
                page.title = index.title(id).to_string();
            }
        }
        if is_home && page.description.is_empty() {
            page.description = self.config.description.clone();
        }
        if !is_home {
            page.breadcrumbs = self.breadcrumbs(&folder.out_path, &folder.path, false);
        }
        let path = folder.out_path.clone();
        for sub in &folder.subfolders {
            if let Some(f) = self.view.folder(sub) {
                page.items.push(Item {
                    title: sub.rsplit('/').next().unwrap_or(sub).to_string(),
                    href: relative_url(&path, &f.out_path),
                    description: String::new(),
                    date: String::new(),
                    kind: "folder",
                    count: f.notes.len() + f.subfolders.len(),
                });
            }
        }
        for &id in &folder.notes {
            if self.view.card(id).out_path == folder.out_path {
                continue;
            }
            page.items.push(self.note_item(&path, id));
        }
        page
    }

    fn note_item(&self, from: &str, id: NoteId) -> Item {
        let card = self.view.card(id);
        Item {
            title: card.title.to_string(),
            href: relative_url(from, card.out_path),
            description: card.description.unwrap_or_default().to_string(),
            date: card.date.unwrap_or_default().to_string(),
            kind: "note",
            count: 0,
        }
    }

    pub fn tag_page(&self, tag: &TagEntry) -> PageContext {
        let mut page = PageContext::empty(
            PageKind::Tag,
            tag.out_path.clone(),
            format!("#{}", tag.name),
        );
        page.breadcrumbs = vec![
            Link {
                title: self.config.title.clone(),
                href: relative_url(&tag.out_path, "index.html"),
            },
            Link {
                title: "Tags".into(),
                href: relative_url(&tag.out_path, "tags/index.html"),
            },
        ];
        let path = tag.out_path.clone();
        page.items = tag
            .notes
            .iter()
            .map(|&id| self.note_item(&path, id))
            .collect();
        page
    }

    pub fn all_tags_page(&self) -> PageContext {
        let path = "tags/index.html".to_string();
        let mut page = PageContext::empty(PageKind::Tags, path.clone(), "Tags".into());
        page.breadcrumbs = vec![Link {
            title: self.config.title.clone(),
            href: relative_url(&path, "index.html"),
        }];
        page.items = self
            .view
            .all_tags()
            .values()
            .map(|t| Item {
                title: t.name.clone(),
                href: relative_url(&path, &t.out_path),
                description: String::new(),
                date: String::new(),
                kind: "tag",
                count: t.notes.len(),
            })
            .collect();
        page
    }

    /// `graph.html`: the static site graph as its content.
    pub fn graph_page(&self, svg: String) -> PageContext {
        let path = super::graph::GRAPH_PAGE.to_string();
        let mut page = PageContext::empty(PageKind::Graph, path.clone(), "Graph".into());
        page.breadcrumbs = vec![Link {
            title: self.config.title.clone(),
            href: relative_url(&path, "index.html"),
        }];
        page.content = svg;
        page
    }

    pub fn not_found_page(&self) -> PageContext {
        PageContext::empty(
            PageKind::NotFound,
            "404.html".into(),
            "Page not found".into(),
        )
    }
}
