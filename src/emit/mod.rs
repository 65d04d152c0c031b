//! Stage 4, `emit`: templates + theme → every output file as bytes: note
//! pages, the home page, folder and tag pages, the 404 page, theme assets
//! and the attachments notes use.

pub mod context;
pub mod feed;
pub mod graph;
pub mod nav;
pub mod nav_cache;
pub mod redirects;
pub mod search;
pub mod sitemap;
pub mod text;
pub mod theme;
pub mod view;

use crate::config::Config;
use crate::index::{NoteId, VaultIndex};
use crate::render::RenderedNote;
use crate::site::{PageSource, Site};
use context::{PageContext, PageKind};
use rayon::prelude::*;
use std::sync::Arc;
pub use theme::{Theme, ThemeError, ThemeSources};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EmitError {
    #[error("template {template} failed for page {page}: {message}")]
    Render {
        template: String,
        page: String,
        message: String,
    },
}

/// Output folder of the theme's files.
pub const ASSET_DIR: &str = "_spore";

pub fn emit(
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    theme: &Theme,
    config: &Config,
) -> Result<Site, EmitError> {
    let degrees = graph::Degrees::new(index);
    let pages = emit_pages(index, rendered, theme, config, &degrees, |path, html| {
        Ok::<_, EmitError>((path, crate::site::Bytes::from(html)))
    })?;
    let mut site = Site::default();
    for (path, bytes) in pages {
        site.insert(path, bytes);
    }
    add_site_files(&mut site, index, rendered, theme, config, &degrees, None);
    Ok(site)
}

/// Makes every page, in parallel, and hands each to `sink` as soon as it
/// is made (a streaming build seals and writes it there, so the pages are
/// never all in memory); returns what `sink` returned, in page order.
pub fn emit_pages<T: Send, E: From<EmitError> + Send>(
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    theme: &Theme,
    config: &Config,
    degrees: &graph::Degrees,
    sink: impl Fn(String, Vec<u8>) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    // Each page's context is built, rendered and handed on on its
    // rendering thread, so contexts never all sit in memory at once.
    page_list(index)
        .par_iter()
        .map(|page| {
            let view = view::PageView::new(index, rendered, degrees);
            let (path, html) = render_page(theme, config, view, page)?;
            sink(path, html)
        })
        .collect()
}

/// The streaming build's pages: each note is rendered where its page (or
/// its folder's page) is made, the page handed to `sink` at once, and only
/// the note's search terms, the start of its text and its diagnostics kept
/// — no page and no note's HTML outlives its thread's turn. Returns what
/// `sink` returned, what was kept of the notes, and the notes' diagnostics.
pub fn emit_pages_rendering<T: Send, E: From<EmitError> + Send>(
    index: &VaultIndex,
    theme: &Theme,
    config: &Config,
    degrees: &graph::Degrees,
    highlighter: &crate::render::highlight::Highlighter,
    sink: impl Fn(String, Vec<u8>) -> Result<T, E> + Sync,
) -> Result<(Vec<T>, KeptNotes, Vec<crate::diagnostics::Diagnostic>), E> {
    let pages = page_list(index);
    let own_page: std::collections::HashSet<NoteId> = pages
        .iter()
        .filter_map(|p| match p {
            PageId::Note(id) => Some(*id),
            _ => None,
        })
        .collect();
    let render = |id: NoteId| {
        let ctx = crate::render::RenderContext {
            view: crate::index::view::IndexView::new(index),
            highlighter,
        };
        crate::render::render_note(&ctx, id)
    };
    // (sink's result, the note this page rendered and keeps for)
    type Kept = (NoteId, nav_cache::NoteNav, RenderedNote);
    let made: Vec<Result<(T, Option<Kept>), E>> = pages
        .par_iter()
        .map(|page| {
            let note = match page {
                PageId::Note(id) => Some(*id),
                PageId::Folder(key) => index.folders.get(key).and_then(|f| f.folder_note),
                _ => None,
            };
            let rendered = note.map(|id| (id, render(id)));
            let view = view::PageView::with_note(
                index,
                rendered.as_ref().map(|(id, r)| (*id, r)),
                degrees,
            );
            let (path, html) = render_page(theme, config, view, page)?;
            let keeps = match (page, &rendered) {
                (PageId::Note(_), Some(_)) => true,
                (PageId::Folder(_), Some((id, _))) => !own_page.contains(id),
                _ => false,
            };
            let nav = rendered
                .as_ref()
                .filter(|_| keeps)
                .map(|(id, _)| note_nav(view, *id));
            // The HTML is not kept: only the note's diagnostics and flag.
            let kept = match (nav, rendered) {
                (Some(nav), Some((id, r))) => Some((
                    id,
                    nav,
                    RenderedNote::new(String::new(), Vec::new(), r.diagnostics, r.uses_mermaid),
                )),
                _ => None,
            };
            Ok((sink(path, html)?, kept))
        })
        .collect();
    let mut out = Vec::with_capacity(made.len());
    let mut navs: Vec<Option<nav_cache::NoteNav>> = vec![None; index.notes.len()];
    let mut diagnostics = Vec::new();
    let mut uses_mermaid = false;
    for result in made {
        let (t, kept) = result?;
        out.push(t);
        if let Some((id, nav, r)) = kept {
            navs[id] = Some(nav);
            diagnostics.extend(r.diagnostics);
            uses_mermaid |= r.uses_mermaid;
        }
    }
    // A note no page shows (none, as the pages are listed today) is still
    // searchable: rendered here for what is kept of it.
    let navs = navs
        .into_iter()
        .enumerate()
        .map(|(id, nav)| match nav {
            Some(nav) => nav,
            None => {
                let r = render(id);
                uses_mermaid |= r.uses_mermaid;
                diagnostics.extend(r.diagnostics.iter().cloned());
                note_nav(
                    view::PageView::with_note(index, Some((id, &r)), degrees),
                    id,
                )
            }
        })
        .collect();
    Ok((out, KeptNotes { navs, uses_mermaid }, diagnostics))
}

/// One page of the site, named by what it shows. `serve` re-renders pages
/// one at a time through [`render_page`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageId {
    Note(NoteId),
    /// `graph.html`, the whole-site graph.
    Graph,
    /// Key of `index.folders` (vault-relative folder, `""` for home).
    Folder(String),
    AllTags,
    /// Key of `index.tags` (folded tag).
    Tag(String),
    NotFound,
}

/// Every page the site has, in emit order.
pub fn page_list(index: &VaultIndex) -> Vec<PageId> {
    let folder_pages: std::collections::HashSet<&str> = index
        .folders
        .values()
        .map(|f| f.out_path.as_str())
        .collect();
    let mut pages = Vec::new();
    for id in 0..index.notes.len() {
        if !folder_pages.contains(index.notes[id].out_path.as_str()) {
            pages.push(PageId::Note(id));
        }
    }
    pages.push(PageId::Graph);
    pages.extend(index.folders.keys().cloned().map(PageId::Folder));
    pages.push(PageId::AllTags);
    pages.extend(index.tags.keys().cloned().map(PageId::Tag));
    pages.push(PageId::NotFound);
    pages
}

/// The template data of one page (`None` for an id the index lacks), read
/// through `view` only, so what it read is what `serve` checks.
pub fn page_context(view: view::PageView, config: &Config, page: &PageId) -> Option<PageContext> {
    let builder = context::ContextBuilder::new(view, config);
    match page {
        PageId::Note(id) => {
            let mut page = builder.note_page(*id);
            page.graph = graph::local_svg(&view, *id);
            Some(page)
        }
        PageId::Graph => Some(builder.graph_page(graph::site_svg(&view))),
        PageId::Folder(key) => builder.folder(key).map(|f| builder.folder_page(f)),
        PageId::AllTags => Some(builder.all_tags_page()),
        PageId::Tag(key) => builder.tag(key).map(|t| builder.tag_page(t)),
        PageId::NotFound => Some(builder.not_found_page()),
    }
}

/// Renders one page through its template: (output path, bytes).
pub fn render_page(
    theme: &Theme,
    config: &Config,
    view: view::PageView,
    page: &PageId,
) -> Result<(String, Vec<u8>), EmitError> {
    let Some(page) = page_context(view, config, page) else {
        return Err(EmitError::Render {
            template: String::new(),
            page: format!("{page:?}"),
            message: "no such page in the index".into(),
        });
    };
    let template = match page.kind {
        PageKind::Note => "note.html",
        PageKind::NotFound => "404.html",
        PageKind::Graph => "list.html",
        _ => "list.html",
    };
    let ctx = context::ContextBuilder::new(view, config).tera_context(&page);
    // A buffer sized for the page: no regrowth, and no UTF-8 re-check of
    // the result (Tera's `render` does both).
    let mut html = Vec::with_capacity(page.content.len() * 2 + page.items.len() * 1024 + 8192);
    match theme.templates.render_to(template, &ctx, &mut html) {
        Ok(()) => Ok((page.path, html)),
        Err(e) => Err(EmitError::Render {
            template: template.into(),
            page: page.path,
            message: theme::error_chain(&e),
        }),
    }
}

/// Theme files, the search and navigation files, the mermaid scripts and the
/// attachments notes use. Some of these read the pages already in `site`.
/// With a cache (`serve`), each site-wide file is kept with the facts it
/// read, as pages are, and made again only when one of them changed.
pub fn add_site_files(
    site: &mut Site,
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    theme: &Theme,
    config: &Config,
    degrees: &graph::Degrees,
    cache: Option<(&mut nav_cache::NavCache, &nav_cache::Checks)>,
) {
    // `serve` keeps the sources and sets those of the notes it changed
    // itself ([`set_page_sources`]).
    if cache.is_none() {
        set_page_sources(site, index, None);
    }
    add_site_files_from(site, index, rendered, None, theme, config, degrees, cache)
}

/// What the streaming build keeps of each note once its page is made,
/// instead of its rendering: its search terms and the start of its text,
/// and whether it draws a Mermaid diagram.
pub struct KeptNotes {
    /// By note id.
    pub navs: Vec<nav_cache::NoteNav>,
    pub uses_mermaid: bool,
}

/// [`add_site_files`], from the notes' renderings (`rendered`) or, for the
/// streaming build, from what it kept of them (`kept`; `rendered` is then
/// empty). The pages' sources are not set: the streaming build seals with
/// its own ([`page_sources`]).
#[allow(clippy::too_many_arguments)]
pub fn add_site_files_from(
    site: &mut Site,
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    kept: Option<KeptNotes>,
    theme: &Theme,
    config: &Config,
    degrees: &graph::Degrees,
    mut cache: Option<(&mut nav_cache::NavCache, &nav_cache::Checks)>,
) {
    if let Some((cache, checks)) = cache.as_mut() {
        cache.files.begin(checks.names_moved);
    }
    let mut site = nav_cache::Filling::new(site, cache.is_some());
    let (light, dark) = syntax_stylesheets();
    site.insert(format!("{ASSET_DIR}/syntax-light.css"), light);
    site.insert(format!("{ASSET_DIR}/syntax-dark.css"), dark);
    for (name, bytes) in &theme.assets {
        site.insert(format!("{ASSET_DIR}/{name}"), bytes.clone());
    }
    let nav = Nav {
        index,
        rendered,
        config,
        degrees,
    };
    match cache {
        Some((cache, checks)) => nav.kept_files(&mut site, cache, checks),
        None => nav.files_once(&mut site, kept),
    }
    // By reference: an attachment's bytes are read only when the site is
    // sealed, written or served.
    for &a in &index.used_attachments {
        let attachment = &index.attachments[a];
        site.site
            .insert_vault_file(attachment.out_path.clone(), attachment.attachment.clone());
    }
}

/// Each note page's source, for the seal, by output path.
pub fn page_sources(index: &VaultIndex) -> std::collections::HashMap<&str, PageSource> {
    index
        .notes
        .iter()
        .map(|note| {
            let source = PageSource {
                source: note.note.path.clone(),
                source_sha256: note.note.source_sha256.clone(),
                title: note.title().to_string(),
            };
            (note.out_path.as_str(), source)
        })
        .collect()
}

/// Each note page's source, for the seal. Changed in place (`serve` keeps
/// the site between saves): a record is replaced only when it differs, and
/// with `only`, only those notes' records are looked at (the others are
/// known to be as they were).
pub fn set_page_sources(
    site: &mut Site,
    index: &VaultIndex,
    only: Option<&std::collections::BTreeSet<NoteId>>,
) {
    let notes: Box<dyn Iterator<Item = &crate::index::IndexedNote>> = match only {
        Some(ids) => Box::new(ids.iter().filter_map(|&id| index.notes.get(id))),
        None => Box::new(index.notes.iter()),
    };
    for note in notes {
        let same = site.pages.get(&note.out_path).is_some_and(|p| {
            p.source == note.note.path
                && p.source_sha256 == note.note.source_sha256
                && p.title == note.title()
        });
        if !same {
            let source = PageSource {
                source: note.note.path.clone(),
                source_sha256: note.note.source_sha256.clone(),
                title: note.title().to_string(),
            };
            site.set_page(&note.out_path, source);
        }
    }
    // Every note's page is there; anything more is a page that left.
    if site.pages.len() != index.notes.len() {
        let paths: std::collections::HashSet<&str> =
            index.notes.iter().map(|n| n.out_path.as_str()).collect();
        site.retain_pages(|p| paths.contains(p));
    }
}

/// The syntax stylesheets never change within a process: made once
/// (loading syntect's themes takes milliseconds; `serve` emits often).
fn syntax_stylesheets() -> (crate::site::Bytes, crate::site::Bytes) {
    static CSS: std::sync::OnceLock<(crate::site::Bytes, crate::site::Bytes)> =
        std::sync::OnceLock::new();
    CSS.get_or_init(|| {
        let (light, dark) = crate::render::highlight::stylesheets();
        (light.into_bytes().into(), dark.into_bytes().into())
    })
    .clone()
}

/// What the search and navigation files are made from.
#[derive(Clone, Copy)]
struct Nav<'a> {
    index: &'a VaultIndex,
    rendered: &'a [Arc<RenderedNote>],
    config: &'a Config,
    degrees: &'a graph::Degrees,
}

/// Search index, explorer tree, graph data, feed, sitemap and redirects
/// (issue 6: search and navigation that work from `file://`). Each is made
/// through a [`view::PageView`]; with a cache (`serve`), through a
/// recording one, and kept until a fact it read changes.
impl Nav<'_> {
    fn view(&self) -> view::PageView<'_> {
        view::PageView::new(self.index, self.rendered, self.degrees)
    }

    /// A build's: made once, from the notes' renderings or from what the
    /// streaming build kept of them (`kept`).
    fn files_once(&self, site: &mut nav_cache::Filling, kept: Option<KeptNotes>) {
        let uses_mermaid = match &kept {
            Some(kept) => kept.uses_mermaid,
            None => self.rendered.iter().any(|r| r.uses_mermaid),
        };
        add_mermaid(site, uses_mermaid);
        let mut navs = kept.map(|k| k.navs).unwrap_or_else(|| {
            (0..self.index.notes.len())
                .into_par_iter()
                .map(|id| note_nav(self.view(), id))
                .collect()
        });
        let terms: Vec<Arc<search::DocTerms>> = navs
            .iter_mut()
            .map(|n| std::mem::take(&mut n.terms))
            .collect();
        let docs = self.search_docs(&navs);
        for (path, bytes) in search::SearchState::index_once(&docs, terms).files {
            site.insert(path, bytes);
        }
        self.add_site_wide(site, &navs, None);
    }

    /// `serve`'s: each note's text and terms, the search index and every
    /// other file kept in `cache`, and changed where their facts did.
    fn kept_files(
        &self,
        site: &mut nav_cache::Filling,
        cache: &mut nav_cache::NavCache,
        checks: &nav_cache::Checks,
    ) {
        let nav_cache::NavCache {
            notes,
            search,
            files,
        } = cache;
        let remade = notes.update(self.index, self.rendered, self.degrees, checks, note_nav);
        let navs = notes.navs();
        // Kept with each note's text, not read from all the renderings.
        add_mermaid(site, navs.iter().any(|n| n.uses_mermaid));
        let view = self.view();
        let updated = match (search.as_mut(), &remade) {
            (Some(state), Some(ids)) => {
                let changed: Vec<_> = ids
                    .iter()
                    .map(|&id| {
                        let nav = &navs[id];
                        let doc = search_doc(view, id, &nav.text, nav.text_len);
                        (id, doc, nav.terms.clone())
                    })
                    .collect();
                state.update(&changed)
            }
            _ => false,
        };
        if !updated {
            let terms = navs.iter().map(|n| n.terms.clone()).collect();
            *search = Some(search::SearchState::new(&self.search_docs(navs), terms));
        }
        for (path, bytes) in search.iter_mut().flat_map(|s| s.index().files) {
            site.insert(path, bytes);
        }
        self.add_site_wide(site, navs, Some((files, checks)));
    }

    /// The search index's view of every note.
    fn search_docs<'n>(&'n self, navs: &'n [nav_cache::NoteNav]) -> Vec<search::SearchDoc<'n>> {
        let view = self.view();
        (0..self.index.notes.len())
            .map(|id| search_doc(view, id, &navs[id].text, navs[id].text_len))
            .collect()
    }

    /// Tree, graph, feed, sitemap and redirects.
    fn add_site_wide(
        &self,
        site: &mut nav_cache::Filling,
        navs: &[nav_cache::NoteNav],
        mut cache: Option<(&mut nav_cache::FileCache, &nav_cache::Checks)>,
    ) {
        let config = self.config;
        let tree = self.made(&mut cache, nav::TREE_SCRIPT, site, &|v, _| {
            nav_cache::Made::One(nav::tree_script(&v).into())
        });
        site.insert(nav::TREE_SCRIPT, tree.one());
        let graph = self.made(&mut cache, graph::GRAPH_SCRIPT, site, &|v, _| {
            nav_cache::Made::One(graph::graph_script(&v).into())
        });
        site.insert(graph::GRAPH_SCRIPT, graph.one());
        let feed = self.made(&mut cache, feed::FEED_PATH, site, &|v, _| {
            let latest = feed::latest(&v);
            let summary = |id: NoteId| match v.card(id).description {
                Some(d) if !d.is_empty() => d.to_string(),
                // Read through the view (recorded, for `serve`) where it holds
                // the note; the streaming build kept the start of the text.
                _ if v.has_rendered(id) => text::excerpt(&note_text(&v, id), 280),
                _ => text::excerpt(&navs[id].text, 280),
            };
            nav_cache::Made::One(feed::feed_xml(&v, config, &latest, summary).into())
        });
        site.insert(feed::FEED_PATH, feed.one());
        if !config.mirrors.is_empty() {
            let xml = self.made(&mut cache, sitemap::SITEMAP_PATH, site, &|v, _| {
                nav_cache::Made::One(sitemap(&v, config).into())
            });
            site.insert(sitemap::SITEMAP_PATH, xml.one());
        }
        // What the redirects avoid is made from the site's names; `serve`
        // keeps it while they stay the same.
        let sets = match cache.as_mut() {
            Some((cache, _)) => {
                let names = site.names(cache.generation());
                cache.name_sets(names, site.names_added())
            }
            None => Arc::new(redirects::NameSets::new(site.site.files.keys())),
        };
        let redirects = self.made(&mut cache, redirects::REDIRECTS, site, &|v, old| {
            // Read for the record: `sets` was made from these names.
            v.site_names();
            let old = old.map_or(&[][..], |o| o.many());
            let pages = redirects::redirects(&v, &sets, &config.language, old);
            nav_cache::Made::Many(pages.into_iter().collect())
        });
        // Nothing reads the names after the redirects: they go straight in.
        for (path, bytes) in redirects.many() {
            site.site.insert(path.clone(), bytes.clone());
        }
    }

    /// Site-wide file `name`, made by `make` through a view that can tell
    /// the site's names; with a cache, kept while what it read is.
    fn made(
        &self,
        cache: &mut Option<(&mut nav_cache::FileCache, &nav_cache::Checks)>,
        name: &'static str,
        site: &nav_cache::Filling,
        make: &MakeFile,
    ) -> nav_cache::Made {
        match cache {
            Some((cache, checks)) => {
                let view = self.view().with_site(site.names(cache.generation()));
                cache.file(name, view, checks, make)
            }
            None => make(self.view().with_site(site.names(0)), None),
        }
    }
}

/// Makes a site-wide file, given what was made last time (`serve`).
type MakeFile<'a> = dyn Fn(view::PageView, Option<&nav_cache::Made>) -> nav_cache::Made + 'a;

/// Mermaid's scripts, when some page draws a diagram.
fn add_mermaid(site: &mut nav_cache::Filling, uses_mermaid: bool) {
    if uses_mermaid {
        for (path, bytes) in crate::render::MERMAID_SCRIPTS
            .iter()
            .zip(theme::mermaid_files())
        {
            site.insert(*path, bytes);
        }
    }
}

/// `sitemap.xml`: every page but the 404 one, each note's with its date.
fn sitemap(v: &view::PageView, config: &Config) -> Vec<u8> {
    let lastmod: std::collections::HashMap<&str, String> = v
        .note_ids()
        .filter_map(|id| feed::note_updated(v, id).map(|d| (v.card(id).out_path, d)))
        .collect();
    let pages: std::collections::BTreeMap<String, Option<String>> = v
        .site_names()
        .keys()
        .filter(|p| p.ends_with(".html") && p.as_str() != "404.html")
        .map(|p| (p.clone(), lastmod.get(p.as_str()).cloned()))
        .collect();
    sitemap::sitemap_xml(config, &pages).unwrap_or_default()
}

/// One note's search terms and the start of its plain text, read through
/// `view`.
pub fn note_nav(view: view::PageView, id: NoteId) -> nav_cache::NoteNav {
    let text = note_text(&view, id);
    let terms = search::doc_terms(&search_doc(view, id, &text, text.len()));
    let head = match text.char_indices().nth(nav_cache::NAV_TEXT_CHARS) {
        Some((at, _)) => &text[..at],
        None => &text[..],
    };
    nav_cache::NoteNav {
        text: head.into(),
        text_len: text.len(),
        terms: terms.into(),
        uses_mermaid: view.rendered(id).uses_mermaid,
    }
}

/// The search index's view of note `id`, whose plain text is `text`
/// (or starts so) and `text_len` bytes long.
fn search_doc<'a>(
    view: view::PageView<'a>,
    id: NoteId,
    text: &'a str,
    text_len: usize,
) -> search::SearchDoc<'a> {
    let index = view.index();
    search::SearchDoc {
        title: index.title(id),
        path: index.out_path(id),
        aliases: &index.note(id).0.frontmatter.aliases,
        tags: view.tags(id),
        text,
        text_len,
    }
}

/// Plain text of note `id`. Pages often open with their title as a
/// heading: snippets and summaries should show what follows it.
pub fn note_text(view: &view::PageView, id: NoteId) -> String {
    let title = view.index().title(id);
    let text = text::html_to_text(&view.rendered(id).html);
    text.strip_prefix(title)
        .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        .map(|rest| rest.trim_start().to_string())
        .unwrap_or(text)
}
