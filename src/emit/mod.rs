//! Stage 4, `emit`: templates + theme → every output file as bytes: note
//! pages, the home page, folder and tag pages, the 404 page, theme assets
//! and the attachments notes use.

pub mod context;
pub mod theme;

use crate::config::Config;
use crate::index::{NoteId, VaultIndex};
use crate::render::RenderedNote;
use crate::site::{PageSource, Site};
use context::{PageContext, PageKind};
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
    let rendered_pages: Vec<Result<(String, Vec<u8>), EmitError>> = page_list(index)
        .par_iter()
        .map(|page| render_page(theme, &builder, page))
        .collect();

    let mut site = Site::default();
    for result in rendered_pages {
        let (path, bytes) = result?;
        site.insert(path, bytes);
    }
    add_site_files(&mut site, index, theme);
    Ok(site)
}

/// One page of the site, named by what it shows. `serve` re-renders pages
/// one at a time through [`render_page`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageId {
    Note(NoteId),
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
    pages.extend(index.folders.keys().cloned().map(PageId::Folder));
    pages.push(PageId::AllTags);
    pages.extend(index.tags.keys().cloned().map(PageId::Tag));
    pages.push(PageId::NotFound);
    pages
}

/// The template data of one page (`None` for an id the index lacks).
pub fn page_context(builder: &context::ContextBuilder, page: &PageId) -> Option<PageContext> {
    match page {
        PageId::Note(id) => Some(builder.note_page(*id)),
        PageId::Folder(key) => builder.folder(key).map(|f| builder.folder_page(f)),
        PageId::AllTags => Some(builder.all_tags_page()),
        PageId::Tag(key) => builder.tag(key).map(|t| builder.tag_page(t)),
        PageId::NotFound => Some(builder.not_found_page()),
    }
}

/// Renders one page through its template: (output path, bytes).
pub fn render_page(
    theme: &Theme,
    builder: &context::ContextBuilder,
    page: &PageId,
) -> Result<(String, Vec<u8>), EmitError> {
    let Some(page) = page_context(builder, page) else {
        return Err(EmitError::Render {
            template: String::new(),
            page: format!("{page:?}"),
            message: "no such page in the index".into(),
        });
    };
    let template = match page.kind {
        PageKind::Note => "note.html",
        PageKind::NotFound => "404.html",
        _ => "list.html",
    };
    let ctx = builder.tera_context(&page);
    theme
        .templates
        .render(template, &ctx)
        .map(|html| (page.path.clone(), html.into_bytes()))
        .map_err(|e| EmitError::Render {
            template: template.into(),
            page: page.path.clone(),
            message: theme::error_chain(&e),
        })
}

/// Everything besides the pages: page sources, theme assets, syntax
/// stylesheets and the attachments notes use.
pub fn add_site_files(site: &mut Site, index: &VaultIndex, theme: &Theme) {
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
    let (light, dark) = syntax_stylesheets();
    site.insert(format!("{ASSET_DIR}/syntax-light.css"), light);
    site.insert(format!("{ASSET_DIR}/syntax-dark.css"), dark);
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
