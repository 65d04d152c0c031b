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
use std::hash::Hasher;
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
    // Each page's context is built, rendered and turned into shared bytes
    // on its rendering thread, so contexts never all sit in memory at once.
    let rendered_pages: Vec<Result<(String, crate::site::Bytes), EmitError>> = page_list(index)
        .par_iter()
        .map(|page| {
            let view = view::PageView::new(index, rendered, &degrees);
            render_page(theme, config, view, page).map(|(path, html)| (path, html.into()))
        })
        .collect();

    let mut site = Site::default();
    for result in rendered_pages {
        let (path, bytes) = result?;
        site.insert(path, bytes);
    }
    add_site_files(&mut site, index, rendered, theme, config, &degrees, None);
    Ok(site)
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
        PageId::Graph => {
            let (index, degrees) = view.site_graph();
            Some(builder.graph_page(graph::site_svg(index, degrees)))
        }
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

/// Everything besides the pages: page sources, theme assets, syntax
/// stylesheets, diagram scripts, search and navigation files, and the
/// attachments notes use. Some of these read the pages already in `site`.
pub fn add_site_files(
    site: &mut Site,
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    theme: &Theme,
    config: &Config,
    degrees: &graph::Degrees,
    cache: Option<(&mut nav_cache::NavCache, &nav_cache::NavKeys)>,
) {
    let changed = cache.as_ref().and_then(|(c, k)| c.changed_since(k.render));
    set_page_sources(site, index, changed.as_deref());
    let (light, dark) = syntax_stylesheets();
    site.insert(format!("{ASSET_DIR}/syntax-light.css"), light);
    site.insert(format!("{ASSET_DIR}/syntax-dark.css"), dark);
    for (name, bytes) in &theme.assets {
        site.insert(format!("{ASSET_DIR}/{name}"), bytes.clone());
    }
    if rendered.iter().any(|r| r.uses_mermaid) {
        for (path, bytes) in crate::render::MERMAID_SCRIPTS
            .iter()
            .zip(theme::MERMAID_FILES)
        {
            site.insert(*path, bytes.to_vec());
        }
    }
    add_navigation_files(
        site,
        index,
        rendered,
        config,
        degrees,
        cache,
        changed.as_deref(),
    );
    // By reference: an attachment's bytes are read only when the site is
    // sealed, written or served.
    for &a in &index.used_attachments {
        let attachment = &index.attachments[a];
        site.insert_vault_file(attachment.out_path.clone(), attachment.attachment.clone());
    }
}

/// Each note page's source, for the seal. Changed in place: `serve` keeps
/// the site between saves, and tells which notes changed (`None`: any).
fn set_page_sources(site: &mut Site, index: &VaultIndex, changed: Option<&[NoteId]>) {
    let ids: Box<dyn Iterator<Item = NoteId>> = match changed {
        Some(ids) => Box::new(ids.iter().copied()),
        None => Box::new(0..index.notes.len()),
    };
    for note in ids.map(|id| &index.notes[id]) {
        let same = site.pages.get(&note.out_path).is_some_and(|p| {
            p.source == note.note.path
                && p.source_sha256 == note.note.source_sha256
                && p.title == note.title()
        });
        if !same {
            site.pages.insert(
                note.out_path.clone(),
                PageSource {
                    source: note.note.path.clone(),
                    source_sha256: note.note.source_sha256.clone(),
                    title: note.title().to_string(),
                },
            );
        }
    }
    // Every note's page is there; anything more is a page that left.
    if site.pages.len() != index.notes.len() {
        let paths: std::collections::HashSet<&str> =
            index.notes.iter().map(|n| n.out_path.as_str()).collect();
        site.pages.retain(|p, _| paths.contains(p.as_str()));
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

/// Search index, explorer tree, graph data, feed, sitemap and redirects
/// (issue 6: search and navigation that work from `file://`). With a cache
/// (`serve`), each is made again only when what it is made from changed.
fn add_navigation_files(
    site: &mut Site,
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    config: &Config,
    degrees: &graph::Degrees,
    cached: Option<(&mut nav_cache::NavCache, &nav_cache::NavKeys)>,
    changed: Option<&[NoteId]>,
) {
    let (mut cache, keys) = match cached {
        Some((cache, keys)) => (Some(cache), Some(keys)),
        None => (None, None),
    };
    let notes = note_navs(index, rendered, cache.as_deref_mut(), keys, changed);
    let docs: Vec<search::SearchDoc> = (0..index.notes.len())
        .map(|id| search_doc(index, id, &notes[id].text))
        .collect();
    let terms: Vec<std::sync::Arc<search::DocTerms>> =
        notes.iter().map(|n| n.terms.clone()).collect();
    let search = match cache.as_deref_mut() {
        Some(cache) => {
            let kept = cache
                .search
                .as_mut()
                .is_some_and(|s| s.update(&docs, &terms));
            if !kept {
                cache.search = Some(search::SearchState::new(&docs, terms));
            }
            cache.search.as_mut().map(|s| s.index())
        }
        None => Some(search::SearchState::new(&docs, terms).index()),
    };
    for (path, bytes) in search.into_iter().flat_map(|s| s.files) {
        site.insert(path, bytes);
    }

    // Every note's card (title, path, dates): most files below show them.
    let cards = keys.map_or(0, |k| {
        nav_cache::KeyHasher::default().u64s(k.cards).finish()
    });
    let tree = file(
        keyed(&mut cache, keys, |_| folders_key(index, cards)),
        nav::TREE_SCRIPT,
        || nav::tree_script(index),
    );
    site.insert(nav::TREE_SCRIPT, tree);
    let graph = file(
        keyed(&mut cache, keys, |k| {
            let mut h = nav_cache::KeyHasher::default();
            h.u64s(k.outlinks).write_u64(cards);
            h.finish()
        }),
        graph::GRAPH_SCRIPT,
        || graph::graph_script(index, degrees),
    );
    site.insert(graph::GRAPH_SCRIPT, graph);

    let latest = match keyed(&mut cache, keys, |_| cards) {
        Some((cache, key)) => nav_cache::kept(&mut cache.latest, key, || feed::latest(index)),
        None => feed::latest(index),
    };
    let summary = |id: NoteId| match &index.notes[id].note.frontmatter.description {
        Some(d) if !d.is_empty() => d.clone(),
        _ => text::excerpt(&notes[id].text, 280),
    };
    let feed = file(
        keyed(&mut cache, keys, |k| {
            let mut h = nav_cache::KeyHasher::default();
            for (date, id) in &latest {
                h.write(date.as_bytes());
                h.u64s(&[*id as u64, k.render[*id], k.cards[*id]]);
            }
            h.finish()
        }),
        feed::FEED_PATH,
        || feed::feed_xml(index, config, &latest, summary),
    );
    site.insert(feed::FEED_PATH, feed);

    if !config.mirrors.is_empty() {
        let xml = file(
            keyed(&mut cache, keys, |_| {
                let mut h = nav_cache::KeyHasher::default();
                h.write_u64(names_key(site));
                h.write_u64(cards);
                h.finish()
            }),
            sitemap::SITEMAP_PATH,
            || {
                let lastmod: std::collections::HashMap<&str, String> = (0..index.notes.len())
                    .filter_map(|id| {
                        feed::note_updated(index, id)
                            .map(|d| (index.notes[id].out_path.as_str(), d))
                    })
                    .collect();
                let pages: std::collections::BTreeMap<String, Option<String>> = site
                    .files
                    .keys()
                    .filter(|p| p.ends_with(".html") && p.as_str() != "404.html")
                    .map(|p| (p.clone(), lastmod.get(p.as_str()).cloned()))
                    .collect();
                sitemap::sitemap_xml(config, &pages).unwrap_or_default()
            },
        );
        site.insert(sitemap::SITEMAP_PATH, xml);
    }
    for (path, bytes) in redirect_pages(site, index, config, cache) {
        site.insert(path, bytes);
    }
}

/// With a cache, the cache and the hash `key` gives of what a file is made
/// from (computed only then).
fn keyed<'c>(
    cache: &'c mut Option<&mut nav_cache::NavCache>,
    keys: Option<&nav_cache::NavKeys>,
    key: impl FnOnce(&nav_cache::NavKeys) -> u64,
) -> Option<(&'c mut nav_cache::NavCache, u64)> {
    let cache = cache.as_deref_mut()?;
    Some((cache, key(keys?)))
}

/// `make()`'s bytes, or the ones kept under `name` for an unchanged key.
fn file(
    keyed: Option<(&mut nav_cache::NavCache, u64)>,
    name: &'static str,
    make: impl FnOnce() -> Vec<u8>,
) -> crate::site::Bytes {
    match keyed {
        Some((cache, key)) => cache.file(name, key, make),
        None => make().into(),
    }
}

/// The search index's view of note `id`, whose plain text is `text`.
fn search_doc<'a>(index: &'a VaultIndex, id: NoteId, text: &'a str) -> search::SearchDoc<'a> {
    let note = &index.notes[id];
    search::SearchDoc {
        title: note.title(),
        path: &note.out_path,
        aliases: &note.note.frontmatter.aliases,
        tags: &note.tags,
        text,
    }
}

/// The names of the site's files so far, as one hash: one one-shot hash a
/// name (cheaper than streaming thirteen thousand small writes).
fn names_key(site: &Site) -> u64 {
    let names = site.files.keys().fold(0u64, |sum, path| {
        sum.rotate_left(5) ^ xxhash_rust::xxh3::xxh3_64(path.as_bytes())
    });
    names ^ site.files.len() as u64
}

/// Each note's text and search terms; with a cache, those of notes whose
/// render key is unchanged are taken from it.
fn note_navs(
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    cache: Option<&mut nav_cache::NavCache>,
    keys: Option<&nav_cache::NavKeys>,
    changed: Option<&[NoteId]>,
) -> Vec<nav_cache::NoteNav> {
    let make = |id: NoteId| {
        let text: std::sync::Arc<str> = note_text(index, rendered, id).into();
        let terms = search::doc_terms(&search_doc(index, id, &text));
        nav_cache::NoteNav {
            text,
            terms: terms.into(),
        }
    };
    let (cache, keys) = match (cache, keys) {
        (Some(cache), Some(keys)) if keys.render.len() == index.notes.len() => (cache, keys),
        _ => return (0..index.notes.len()).into_par_iter().map(make).collect(),
    };
    let navs: Vec<nav_cache::NoteNav> = match changed {
        Some(changed) => {
            let mut navs: Vec<nav_cache::NoteNav> =
                cache.notes.iter().map(|(_, nav)| nav.clone()).collect();
            let fresh: Vec<(NoteId, nav_cache::NoteNav)> =
                changed.par_iter().map(|&id| (id, make(id))).collect();
            for (id, nav) in fresh {
                navs[id] = nav;
            }
            navs
        }
        None => {
            let known: std::collections::HashMap<u64, &nav_cache::NoteNav> =
                cache.notes.iter().map(|(key, nav)| (*key, nav)).collect();
            (0..index.notes.len())
                .into_par_iter()
                .map(|id| match known.get(&keys.render[id]) {
                    Some(nav) => (*nav).clone(),
                    None => make(id),
                })
                .collect()
        }
    };
    cache.notes = keys
        .render
        .iter()
        .copied()
        .zip(navs.iter().cloned())
        .collect();
    navs
}

/// What the explorer tree is made of: the folders and every note's card.
fn folders_key(index: &VaultIndex, cards: u64) -> u64 {
    use std::hash::Hash;
    let mut h = nav_cache::KeyHasher::default();
    for (key, folder) in &index.folders {
        (key, &folder.out_path, &folder.subfolders, &folder.notes).hash(&mut h);
    }
    h.write_u64(cards);
    h.finish()
}

/// Redirect pages for aliases and permalinks; none to look for when no note
/// has either.
fn redirect_pages(
    site: &Site,
    index: &VaultIndex,
    config: &Config,
    cache: Option<&mut nav_cache::NavCache>,
) -> Vec<(String, crate::site::Bytes)> {
    let wanted = |n: &&crate::index::IndexedNote| {
        let fm = &n.note.frontmatter;
        fm.permalink.is_some() || !fm.aliases.is_empty()
    };
    if !index.notes.iter().any(|n| wanted(&n)) {
        return Vec::new();
    }
    let make = || -> Vec<(String, crate::site::Bytes)> {
        redirects::redirects(index, &site.files, &config.language)
            .into_iter()
            .map(|(path, bytes)| (path, bytes.into()))
            .collect()
    };
    let Some(cache) = cache else { return make() };
    use std::hash::Hash;
    let mut h = nav_cache::KeyHasher::default();
    // The names already taken.
    names_key(site).hash(&mut h);
    for note in index.notes.iter().filter(wanted) {
        let fm = &note.note.frontmatter;
        (&note.out_path, note.title(), &fm.aliases, &fm.permalink).hash(&mut h);
    }
    config.language.hash(&mut h);
    nav_cache::kept(&mut cache.redirects, h.finish(), make)
}

/// Plain text of note `id`. Pages often open with their title as a
/// heading: snippets and summaries should show what follows it.
pub fn note_text(index: &VaultIndex, rendered: &[Arc<RenderedNote>], id: NoteId) -> String {
    let title = index.notes[id].title();
    let text = text::html_to_text(&rendered[id].html);
    text.strip_prefix(title)
        .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        .map(|rest| rest.trim_start().to_string())
        .unwrap_or(text)
}
