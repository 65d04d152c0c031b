//! Stage 4, `emit`: templates + theme → every output file as bytes: note
//! pages, the home page, folder and tag pages, the 404 page, theme assets
//! and the attachments notes use.

pub mod context;
pub mod feed;
pub mod graph;
pub mod nav;
pub mod redirects;
pub mod search;
pub mod sitemap;
pub mod text;
pub mod theme;

use crate::config::Config;
use crate::index::VaultIndex;
use crate::render::RenderedNote;
use crate::site::{Bytes, PageSource, Site};
use context::{ContextBuilder, PageContext, PageKind};
use rayon::prelude::*;
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
    rendered: &[RenderedNote],
    theme: &Theme,
    config: &Config,
) -> Result<Site, EmitError> {
    let builder = context::ContextBuilder::new(index, rendered, config);

    // Page contexts are built inside the parallel loop, one at a time per
    // thread, so they never all sit in memory together.
    let folder_pages: std::collections::HashSet<&str> = index
        .folders
        .values()
        .map(|f| f.out_path.as_str())
        .collect();
    let degrees = graph::Degrees::new(index);
    let mut jobs: Vec<PageJob> = (0..index.notes.len())
        .filter(|&id| !folder_pages.contains(index.notes[id].out_path.as_str()))
        .map(PageJob::Note)
        .collect();
    jobs.push(PageJob::Graph);
    jobs.extend(index.folders.values().map(PageJob::Folder));
    jobs.push(PageJob::AllTags);
    jobs.extend(index.tags.values().map(PageJob::Tag));
    jobs.push(PageJob::NotFound);

    let rendered_pages: Vec<Result<(String, Bytes), EmitError>> = jobs
        .par_iter()
        .map(|job| {
            let page = job.context(&builder, index, &degrees);
            render_page(&builder, theme, page)
        })
        .collect();

    let mut site = Site::default();
    for result in rendered_pages {
        let (path, bytes) = result?;
        site.files.insert(path, bytes);
    }
    for note in &index.notes {
        site.pages.insert(
            note.out_path.clone(),
            PageSource {
                source: note.note.path.clone(),
                source_sha256: note.note.source_sha256.clone(),
                title: note.title().to_string(),
            },
        );
    }
    let (light, dark) = crate::render::highlight::stylesheets();
    site.insert(format!("{ASSET_DIR}/syntax-light.css"), light.into_bytes());
    site.insert(format!("{ASSET_DIR}/syntax-dark.css"), dark.into_bytes());
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
    add_navigation_files(&mut site, index, rendered, config, &degrees);
    for &a in &index.used_attachments {
        let attachment = &index.attachments[a];
        site.files.insert(
            attachment.out_path.clone(),
            attachment.attachment.bytes.clone(),
        );
    }
    Ok(site)
}

/// One page to emit; its context is built when it is rendered.
enum PageJob<'a> {
    Note(crate::index::NoteId),
    Graph,
    Folder(&'a crate::index::FolderEntry),
    AllTags,
    Tag(&'a crate::index::TagEntry),
    NotFound,
}

impl PageJob<'_> {
    fn context(
        &self,
        builder: &ContextBuilder,
        index: &VaultIndex,
        degrees: &graph::Degrees,
    ) -> PageContext {
        match self {
            PageJob::Note(id) => {
                let mut page = builder.note_page(*id);
                page.graph = graph::local_svg(index, degrees, *id);
                page
            }
            PageJob::Graph => builder.graph_page(graph::site_svg(index, degrees)),
            PageJob::Folder(folder) => builder.folder_page(folder),
            PageJob::AllTags => builder.all_tags_page(),
            PageJob::Tag(tag) => builder.tag_page(tag),
            PageJob::NotFound => builder.not_found_page(),
        }
    }
}

/// Renders one page straight into a buffer sized for it (no regrowth, no
/// UTF-8 re-check) and turns it into shared bytes on the rendering thread.
fn render_page(
    builder: &ContextBuilder,
    theme: &Theme,
    page: PageContext,
) -> Result<(String, Bytes), EmitError> {
    let template = match page.kind {
        PageKind::Note => "note.html",
        PageKind::NotFound => "404.html",
        _ => "list.html",
    };
    let ctx = builder.tera_context(&page);
    let mut html = Vec::with_capacity(page.content.len() * 2 + page.items.len() * 1024 + 8192);
    match theme.templates.render_to(template, &ctx, &mut html) {
        Ok(()) => Ok((page.path, Bytes::from(html))),
        Err(e) => Err(EmitError::Render {
            template: template.into(),
            page: page.path,
            message: theme::error_chain(&e),
        }),
    }
}

/// Search index, explorer tree, graph data, feed, sitemap and redirects
/// (issue 6: search and navigation that work from `file://`).
fn add_navigation_files(
    site: &mut Site,
    index: &VaultIndex,
    rendered: &[RenderedNote],
    config: &Config,
    degrees: &graph::Degrees,
) {
    let texts: Vec<String> = rendered
        .par_iter()
        .map(|r| text::html_to_text(&r.html))
        .collect();
    let docs: Vec<search::SearchDoc> = index
        .notes
        .iter()
        .zip(&texts)
        .map(|(note, text)| search::SearchDoc {
            title: note.title().to_string(),
            path: note.out_path.clone(),
            aliases: note.note.frontmatter.aliases.clone(),
            tags: note.tags.clone(),
            // Pages often open with their title as a heading: the snippet
            // should show what follows it.
            text: text
                .strip_prefix(note.title())
                .map(|rest| rest.trim_start().to_string())
                .unwrap_or_else(|| text.clone()),
        })
        .collect();
    for (path, bytes) in search::build(&docs).files {
        site.insert(path, bytes);
    }
    site.insert(nav::TREE_SCRIPT, nav::tree_script(index));
    site.insert(graph::GRAPH_SCRIPT, graph::graph_script(index, degrees));
    let summaries: Vec<String> = index
        .notes
        .iter()
        .zip(&texts)
        .map(|(note, text)| match &note.note.frontmatter.description {
            Some(d) if !d.is_empty() => d.clone(),
            _ => text::excerpt(text, 280),
        })
        .collect();
    site.insert(feed::FEED_PATH, feed::feed_xml(index, config, &summaries));

    let lastmod: std::collections::HashMap<&str, String> = (0..index.notes.len())
        .filter_map(|id| {
            feed::note_updated(index, id).map(|d| (index.notes[id].out_path.as_str(), d))
        })
        .collect();
    let pages: std::collections::BTreeMap<String, Option<String>> = site
        .files
        .keys()
        .filter(|p| p.ends_with(".html") && p.as_str() != "404.html")
        .map(|p| (p.clone(), lastmod.get(p.as_str()).cloned()))
        .collect();
    if let Some(xml) = sitemap::sitemap_xml(config, &pages) {
        site.insert(sitemap::SITEMAP_PATH, xml);
    }
    for (path, bytes) in redirects::redirects(index, &site.files, &config.language) {
        site.insert(path, bytes);
    }
}
