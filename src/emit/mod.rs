//! Stage 4, `emit`: templates + theme → every output file as bytes: note
//! pages, the home page, folder and tag pages, the 404 page, theme assets
//! and the attachments notes use.

pub mod context;
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
    let mut jobs: Vec<PageJob> = (0..index.notes.len())
        .filter(|&id| !folder_pages.contains(index.notes[id].out_path.as_str()))
        .map(PageJob::Note)
        .collect();
    jobs.extend(index.folders.values().map(PageJob::Folder));
    jobs.push(PageJob::AllTags);
    jobs.extend(index.tags.values().map(PageJob::Tag));
    jobs.push(PageJob::NotFound);

    let rendered_pages: Vec<Result<(String, Bytes), EmitError>> = jobs
        .par_iter()
        .map(|job| render_page(&builder, theme, job.context(&builder)))
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
    Folder(&'a crate::index::FolderEntry),
    AllTags,
    Tag(&'a crate::index::TagEntry),
    NotFound,
}

impl PageJob<'_> {
    fn context(&self, builder: &ContextBuilder) -> PageContext {
        match self {
            PageJob::Note(id) => builder.note_page(*id),
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
