//! The in-memory rebuild behind `serve`: keeps every stage's value and, on a
//! change, redoes only what the change reaches, yet always ends with exactly
//! the bytes a full build gives (`tests/serve_incremental.rs` compares them
//! file by file after each kind of edit).
//!
//! How much is redone:
//! - **load**: only the files that changed are read. A save of a known file
//!   re-reads that file; a new, deleted or renamed file re-walks the vault
//!   (names only) and reads just the new files.
//! - **index**: a save that keeps the vault's shape (same published notes,
//!   paths and aliases) patches the index in place ([`index::patch`]);
//!   anything else rebuilds it, reusing every unchanged note's scan.
//! - **render**: each note has a *render key*, a hash of everything its HTML
//!   is made from: its own bytes and output path, where each of its links
//!   points (the target's output path, title, headings and blocks), the
//!   tags, and the same for every note it embeds, transitively. A note is
//!   re-rendered when its key changes.
//! - **emit**: each page has a *page key* over what its template data is
//!   made from (render keys, the titles and dates of the notes it lists, its
//!   backlinks' sentences, folder and tag paths). A page goes through its
//!   template again when its key changes; a template or theme change clears
//!   all keys, a `book.toml` change rebuilds everything.
//! - **seal** runs over the whole site every time, as in `spore build`.

use super::keys::{Keys, Patched};
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::emit::{self, context::ContextBuilder, PageId, Theme, ThemeSources};
use crate::index::{self, patch, KnownScans, NoteId, Target, VaultIndex};
use crate::load::{self, Attachment, Note, Vault, WalkedFile};
use crate::pipeline::{self, BuildError, BuildOptions};
use crate::render::{self, RenderContext, RenderedNote};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What changed on disk since the last rebuild.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Absolute paths of touched files (or folders) inside the vault.
    pub vault: BTreeSet<PathBuf>,
    /// A template or theme file changed.
    pub theme: bool,
    /// `book.toml` changed, or the watcher lost events: rebuild everything.
    pub config: bool,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.vault.is_empty() && !self.theme && !self.config
    }

    pub fn merge(&mut self, other: Changes) {
        self.vault.extend(other.vault);
        self.theme |= other.theme;
        self.config |= other.config;
    }
}

/// What one rebuild did.
#[derive(Debug, Clone, Default)]
pub struct RebuildSummary {
    /// Everything was rebuilt (a `book.toml` change).
    pub full: bool,
    /// The vault's shape changed, so the index was rebuilt.
    pub reindexed: bool,
    pub notes_rendered: usize,
    pub pages_rendered: usize,
    /// Whether any served byte changed.
    pub site_changed: bool,
    /// Warnings about the files that changed.
    pub diagnostics: Vec<Diagnostic>,
    /// Every warning the site has now, unresolved links included, sorted:
    /// what `spore build` would print ([`LiveSite::warnings`]).
    pub warnings: Vec<Diagnostic>,
    pub took: Duration,
    /// Time per step, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// Every stage's value for one vault, kept between rebuilds.
pub struct LiveSite {
    config: Config,
    options: BuildOptions,
    theme_sources: ThemeSources,
    theme: Theme,
    index: VaultIndex,
    /// Notes that are not published (drafts): not in the index, but part of
    /// the vault when it is indexed again.
    unpublished: BTreeMap<String, Note>,
    /// The last walk: vault-relative name → walked file, and absolute
    /// path → name.
    files: BTreeMap<String, WalkedFile>,
    names: HashMap<PathBuf, String>,
    /// Per note id: where each link points (see [`patch::resolve_links`]).
    links: Vec<Vec<Option<Target>>>,
    /// Per note id: the hashes render and page keys are made of, and the
    /// rendered HTML.
    keys: Keys,
    rendered: Vec<RenderedNote>,
    /// After a re-index: note path → (render key, HTML) of the old ids.
    moved_renders: Option<HashMap<String, (u64, RenderedNote)>>,
    /// Output path → page key, of every page in `unsealed`.
    pages: HashMap<String, u64>,
    /// The emitted site before sealing, changed in place on each rebuild.
    unsealed: Site,
    /// The files of `unsealed` that are not pages (made again each time).
    site_files: Vec<String>,
    /// Every page with its path and key, in emit order, as last computed.
    page_keys: Vec<(PageId, String, u64)>,
    /// Each note's outlinks (hashed) and the local-graph neighbours made
    /// from them, kept while no link moves.
    outlinks: Vec<u64>,
    degrees: emit::graph::Degrees,
    /// Each note's text and search terms, for the search and navigation files.
    nav_cache: emit::nav_cache::NavCache,
    /// Each file's sealed bytes and hash, for the next seal.
    seal_cache: crate::seal::SealCache,
    sealed: Arc<Site>,
    /// Changes not applied yet because the config or theme is broken.
    pending: Changes,
    /// What loading said about files (not kept in the index): replaced
    /// file by file as files change.
    load_warnings: Vec<Diagnostic>,
    /// What the last seal said (attachments it could not read).
    seal_warnings: Vec<Diagnostic>,
}

impl LiveSite {
    /// A full build, keeping every stage's value.
    pub fn build(config: Config, options: BuildOptions) -> Result<LiveSite, RebuildError> {
        let stages = pipeline::build_stages(&config, &options)?;
        let index = stages.index;
        let (files, unpublished) = walk_unpublished(&config, &index, &options);
        let names = files
            .iter()
            .map(|(r, f)| (f.abs.clone(), r.clone()))
            .collect();
        let links = all_links(&index);
        let keys = Keys::compute(&index, &links);
        let degrees = emit::graph::Degrees::new(&index);
        let outlinks = super::keys::outlink_hashes(&index);
        let page_keys = keys.pages(&index, &degrees, &outlinks);
        let mut pages = HashMap::with_capacity(page_keys.len());
        for (_, path, key) in &page_keys {
            if stages.site.files.contains_key(path) {
                pages.insert(path.clone(), *key);
            }
        }
        let site_files = not_pages(&stages.site, &pages);
        // The report holds load's, index's and render's warnings; load's
        // are the ones the index and the renders do not keep.
        let kept: BTreeSet<&Diagnostic> = index
            .diagnostics
            .iter()
            .chain(stages.rendered.iter().flat_map(|r| &r.diagnostics))
            .collect();
        let load_warnings = stages
            .report
            .diagnostics
            .iter()
            .filter(|d| !kept.contains(d))
            .cloned()
            .collect();
        let mut live = LiveSite {
            config,
            options,
            theme_sources: stages.theme_sources,
            theme: stages.theme,
            index,
            unpublished,
            files,
            names,
            links,
            keys,
            rendered: stages.rendered,
            moved_renders: None,
            pages,
            unsealed: stages.site,
            site_files,
            page_keys,
            outlinks,
            degrees,
            nav_cache: emit::nav_cache::NavCache::default(),
            seal_cache: crate::seal::SealCache::default(),
            sealed: Arc::new(Site::default()),
            pending: Changes::default(),
            load_warnings,
            seal_warnings: Vec::new(),
        };
        // An empty rebuild seals the site and fills the caches of the
        // site-wide files, so the first save costs what every later one does.
        live.apply(Changes::default())?;
        Ok(live)
    }

    /// Every warning the site has now, sorted, as `spore build` reports
    /// them (each unresolved link one warning, after the others).
    pub fn warnings(&self) -> Vec<Diagnostic> {
        let mut warnings: Vec<Diagnostic> = self
            .load_warnings
            .iter()
            .chain(&self.index.diagnostics)
            .chain(self.rendered.iter().flat_map(|r| &r.diagnostics))
            .chain(&self.seal_warnings)
            .cloned()
            .collect();
        crate::diagnostics::sort(&mut warnings);
        warnings.dedup();
        warnings.extend(self.index.unresolved.iter().map(|u| {
            let report = pipeline::UnresolvedReport {
                from: self.index.notes[u.from].note.path.clone(),
                dest: u.dest.clone(),
                line: u.line,
                column: u.column,
            };
            report.diagnostic()
        }));
        warnings
    }

    /// The site as `spore build` would write it.
    pub fn site(&self) -> &Site {
        &self.sealed
    }

    /// Whether the kept link targets and keys equal a fresh computation
    /// (for tests: cached parts must never go stale).
    #[doc(hidden)]
    pub fn caches_are_fresh(&self) -> bool {
        self.links == all_links(&self.index) && self.keys.is_fresh(&self.index, &self.links)
    }

    /// The same, shared without copying.
    pub fn shared_site(&self) -> Arc<Site> {
        self.sealed.clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies changes. On an error the last good site stays, and the
    /// changes not applied yet are kept for the next call.
    pub fn apply(&mut self, changes: Changes) -> Result<RebuildSummary, RebuildError> {
        let started = Instant::now();
        let mut changes = changes;
        changes.merge(std::mem::take(&mut self.pending));
        if changes.config {
            let config = match crate::config::Config::discover(&self.config.root) {
                Ok(c) => c,
                Err(e) => {
                    self.pending = changes;
                    return Err(e.into());
                }
            };
            let before = self.sealed.clone();
            match LiveSite::build(config, self.options.clone()) {
                Ok(fresh) => *self = fresh,
                Err(e) => {
                    self.pending = changes;
                    return Err(e);
                }
            }
            return Ok(RebuildSummary {
                full: true,
                reindexed: true,
                notes_rendered: self.index.notes.len(),
                pages_rendered: self.pages.len(),
                site_changed: !same_files(&before, &self.sealed),
                diagnostics: Vec::new(),
                warnings: self.warnings(),
                took: started.elapsed(),
                timings: Vec::new(),
            });
        }
        if changes.theme {
            if let Err(e) = self.reload_theme() {
                self.pending = changes;
                return Err(e);
            }
        }
        let mut summary = RebuildSummary::default();
        let mut clock = Instant::now();
        let mut patch_result = Some(Patched {
            changed: Vec::new(),
            targets: BTreeSet::new(),
        });
        let changed_names = if changes.vault.is_empty() {
            Vec::new()
        } else {
            let (names, patched, diagnostics) = self.update_index(&changes.vault);
            summary.reindexed = patched.is_none();
            self.load_warnings
                .retain(|d| !d.file.as_ref().is_some_and(|f| names.contains(f)));
            self.load_warnings.extend(diagnostics.iter().cloned());
            summary.diagnostics = diagnostics;
            patch_result = patched;
            names
        };
        lap(&mut summary, "load+index", &mut clock);
        self.rerender(patch_result, &mut summary)?;
        let index_diagnostics = self
            .index
            .diagnostics
            .iter()
            .filter(|d| d.file.as_ref().is_some_and(|f| changed_names.contains(f)));
        summary.diagnostics.extend(index_diagnostics.cloned());
        crate::diagnostics::sort(&mut summary.diagnostics);
        summary.diagnostics.dedup();
        summary.warnings = self.warnings();
        summary.took = started.elapsed();
        Ok(summary)
    }

    fn reload_theme(&mut self) -> Result<(), RebuildError> {
        let sources =
            ThemeSources::read(&self.config.root, &self.config.theme).map_err(BuildError::from)?;
        if sources != self.theme_sources {
            self.theme = sources.compile().map_err(BuildError::from)?;
            self.theme_sources = sources;
            // Every page goes through the new templates.
            self.pages.clear();
        }
        Ok(())
    }

    /// Loads the touched files and updates the index: patched in place when
    /// the vault keeps its shape, rebuilt otherwise. Returns the changed
    /// vault names, whether it re-indexed, and the load warnings.
    fn update_index(
        &mut self,
        touched: &BTreeSet<PathBuf>,
    ) -> (Vec<String>, Option<Patched>, Vec<Diagnostic>) {
        if let Some((names, patched, diagnostics)) = self.try_patch(touched) {
            return (names, Some(patched), diagnostics);
        }
        let (names, diagnostics) = self.reindex(touched);
        (names, None, diagnostics)
    }

    /// The fast path: every touched path is a known file, still there.
    fn try_patch(
        &mut self,
        touched: &BTreeSet<PathBuf>,
    ) -> Option<(Vec<String>, Patched, Vec<Diagnostic>)> {
        let options = pipeline::index_options(&self.config, &self.options);
        let mut notes = Vec::new();
        let mut attachments = Vec::new();
        let mut drafts = Vec::new();
        let mut diagnostics = Vec::new();
        let mut names = Vec::new();
        for abs in touched {
            let rel = self.names.get(abs)?.clone();
            let file = self.files.get(&rel)?;
            // Read as the build reads: a file swapped for a link out of the
            // vault or a FIFO is refused here, and the re-walk reports it.
            let (note, attachment, diags) = load::read_file(&self.config.vault, file);
            diagnostics.extend(diags);
            names.push(rel.clone());
            match (note, attachment) {
                (Some(note), _) if self.unpublished.contains_key(&rel) => {
                    if index::is_published(&note, options) {
                        return None;
                    }
                    drafts.push(note);
                }
                (Some(note), _) => notes.push(note),
                // A file that became a secret key leaves the site: only a
                // full build drops it.
                (None, Some(attachment)) if attachment.secret_key.is_some() => return None,
                (None, Some(attachment)) => attachments.push(attachment),
                (None, None) => return None,
            }
        }
        let mut attachment_slots = Vec::new();
        for attachment in attachments {
            let slot = self
                .index
                .attachments
                .binary_search_by(|a| a.attachment.path.cmp(&attachment.path))
                .ok()?;
            attachment_slots.push((slot, attachment));
        }
        // What the notes linked to before the patch: their pages lose a backlink.
        let mut targets: BTreeSet<NoteId> = BTreeSet::new();
        for note in &notes {
            let found = self
                .index
                .notes
                .binary_search_by(|n| n.note.path.as_str().cmp(&note.path));
            if let Ok(id) = found {
                targets.extend(self.index.outlinks[id].iter().copied());
            }
        }
        let ids = patch::replace_notes(&mut self.index, notes, options).ok()?;
        for &id in &ids {
            targets.extend(self.index.outlinks[id].iter().copied());
        }
        for (slot, attachment) in attachment_slots {
            self.index.attachments[slot].attachment = attachment;
        }
        for note in drafts {
            self.unpublished.insert(note.path.clone(), note);
        }
        for &id in &ids {
            self.links[id] = patch::resolve_links(&self.index, id);
        }
        let patched = Patched {
            changed: ids,
            targets,
        };
        Some((names, patched, diagnostics))
    }

    /// The slow path: re-walk the vault, read new and touched files, reuse
    /// the rest, and index again (reusing unchanged notes' scans).
    fn reindex(&mut self, touched: &BTreeSet<PathBuf>) -> (Vec<String>, Vec<Diagnostic>) {
        let options = pipeline::index_options(&self.config, &self.options);
        let load_options = pipeline::load_options(&self.config);
        let (walked, mut diagnostics) = load::list_files(&self.config.vault, &load_options);

        let old = std::mem::replace(&mut self.index, index::build(Vault::default(), options));
        // Ids move: from here on the render cache is matched by note path.
        let keys = std::mem::take(&mut self.keys.render);
        let rendered = std::mem::take(&mut self.rendered);
        self.moved_renders = Some(
            old.notes
                .iter()
                .map(|n| n.note.path.clone())
                .zip(keys.into_iter().zip(rendered))
                .collect(),
        );
        let mut known = KnownScans::new();
        let mut old_notes: HashMap<String, Note> = HashMap::new();
        for n in old.notes {
            known.insert(n.note.path.clone(), (n.note.source_sha256.clone(), n.scan));
            old_notes.insert(n.note.path.clone(), n.note);
        }
        old_notes.extend(std::mem::take(&mut self.unpublished));
        let mut old_attachments: HashMap<String, Attachment> = old
            .attachments
            .into_iter()
            .map(|a| (a.attachment.path.clone(), a.attachment))
            .collect();

        let mut notes = Vec::new();
        let mut attachments = Vec::new();
        let mut names = Vec::new();
        let mut files = BTreeMap::new();
        for file in walked {
            let unchanged =
                !touched.contains(&file.abs) && self.files.get(&file.rel) == Some(&file);
            let reused = if unchanged {
                if let Some(note) = old_notes.remove(&file.rel) {
                    notes.push(note);
                    true
                } else if let Some(a) = old_attachments.remove(&file.rel) {
                    attachments.push(a);
                    true
                } else {
                    false
                }
            } else {
                false
            };
            if !reused {
                let (note, attachment, diags) = load::read_file(&self.config.vault, &file);
                diagnostics.extend(diags);
                notes.extend(note);
                attachments.extend(attachment);
                names.push(file.rel.clone());
            }
            files.insert(file.rel.clone(), file);
        }
        // Deleted files are changes too: their names leave the site.
        names.extend(
            self.files
                .keys()
                .filter(|r| !files.contains_key(*r))
                .cloned(),
        );
        notes.sort_by(|a, b| a.path.cmp(&b.path));
        attachments.sort_by(|a, b| a.path.cmp(&b.path));
        let (published, drafts): (Vec<Note>, Vec<Note>) = notes
            .into_iter()
            .partition(|n| index::is_published(n, options));
        self.unpublished = drafts.into_iter().map(|n| (n.path.clone(), n)).collect();
        let vault = Vault {
            notes: published,
            attachments,
            diagnostics: Vec::new(),
        };
        self.index = index::build_reusing(vault, options, known);
        self.names = files
            .iter()
            .map(|(r, f)| (f.abs.clone(), r.clone()))
            .collect();
        self.files = files;
        self.links = all_links(&self.index);
        names.sort();
        names.dedup();
        (names, diagnostics)
    }
}

impl LiveSite {
    /// Re-renders the notes and pages whose keys changed, then seals.
    fn rerender(
        &mut self,
        patched: Option<Patched>,
        summary: &mut RebuildSummary,
    ) -> Result<(), RebuildError> {
        let mut clock = Instant::now();
        let index = &self.index;
        let old_render = std::mem::take(&mut self.keys.render);
        // The keys before an in-place update, when it stayed in place.
        let mut before = None;
        let keys = match (&patched, self.moved_renders.is_none()) {
            (Some(patched), true) => {
                let mut keys = std::mem::take(&mut self.keys);
                keys.render = old_render.clone();
                let kept = keys.clone();
                if keys.update(index, &self.links, patched) {
                    before = Some(kept);
                }
                keys
            }
            _ => Keys::compute(index, &self.links),
        };
        lap(summary, "render keys", &mut clock);
        let mut reuse: Vec<Option<RenderedNote>> = match self.moved_renders.take() {
            Some(mut by_path) => index
                .notes
                .iter()
                .zip(&keys.render)
                .map(|(n, key)| {
                    by_path
                        .remove(&n.note.path)
                        .filter(|(old, _)| old == key)
                        .map(|(_, r)| r)
                })
                .collect(),
            None => std::mem::take(&mut self.rendered)
                .into_iter()
                .zip(old_render)
                .zip(&keys.render)
                .map(|((r, old), key)| (old == *key).then_some(r))
                .collect(),
        };
        reuse.resize_with(index.notes.len(), || None);
        let ctx = RenderContext {
            index,
            highlighter: pipeline::shared_highlighter(),
        };
        summary.notes_rendered = reuse.iter().filter(|r| r.is_none()).count();
        let rendered: Vec<RenderedNote> = reuse
            .into_par_iter()
            .enumerate()
            .map(|(id, r)| r.unwrap_or_else(|| render::render_note(&ctx, id)))
            .collect();
        self.keys = keys;
        self.rendered = rendered;
        lap(summary, "render", &mut clock);

        let outlinks = super::keys::outlink_hashes(index);
        let same_links = outlinks == self.outlinks;
        if !same_links {
            self.degrees = emit::graph::Degrees::new(index);
        }
        let degrees = &self.degrees;
        let kept_page_list = before.is_some() && same_links;
        let page_keys = match before {
            Some(before) if same_links => {
                self.keys
                    .pages_after(&before, &self.page_keys, index, degrees, &outlinks)
            }
            _ => self.keys.pages(index, degrees, &outlinks),
        };
        lap(summary, "page keys", &mut clock);
        let builder = ContextBuilder::new(index, &self.rendered, &self.config);
        let pages = emit::Pages {
            index,
            builder: &builder,
            degrees,
        };
        let stale: Vec<&(PageId, String, u64)> = page_keys
            .iter()
            .filter(|(_, path, key)| self.pages.get(path) != Some(key))
            .collect();
        summary.pages_rendered = stale.len();
        type Rendered = Result<(String, u64, Vec<u8>), emit::EmitError>;
        let fresh: Vec<Rendered> = stale
            .par_iter()
            .map(|(page, _, key)| {
                emit::render_page(&self.theme, &pages, page)
                    .map(|(path, bytes)| (path, *key, bytes))
            })
            .collect();
        let mut failure = None;
        for result in fresh {
            match result {
                Ok((path, key, bytes)) => {
                    self.pages.insert(path.clone(), key);
                    self.unsealed.files.insert(path, bytes.into());
                }
                Err(e) => failure = Some(e),
            }
        }
        if let Some(e) = failure {
            return Err(BuildError::from(e).into());
        }
        lap(summary, "emit", &mut clock);

        // Pages that left the site leave `unsealed` (only when the page
        // list can have changed), and every site-wide file is made again
        // below from the pages alone, as in a full build.
        for path in self.site_files.drain(..) {
            if !self.pages.contains_key(&path) {
                self.unsealed.files.remove(&path);
            }
        }
        if !kept_page_list {
            let wanted: std::collections::HashSet<&str> =
                page_keys.iter().map(|(_, p, _)| p.as_str()).collect();
            self.pages.retain(|p, _| wanted.contains(p.as_str()));
            let pages = &self.pages;
            self.unsealed.files.retain(|p, _| pages.contains_key(p));
        }
        lap(summary, "assemble pages", &mut clock);
        emit::add_site_files(
            &mut self.unsealed,
            index,
            &self.rendered,
            &self.theme,
            &self.config,
            degrees,
            Some((
                &mut self.nav_cache,
                &emit::nav_cache::NavKeys {
                    render: &self.keys.render,
                    cards: self.keys.cards(),
                    outlinks: &outlinks,
                },
            )),
        );
        self.site_files = not_pages(&self.unsealed, &self.pages);
        lap(summary, "site files", &mut clock);
        let (sealed, seal) = pipeline::reseal_stage(
            &self.unsealed,
            &self.config,
            &self.options,
            index,
            &mut self.seal_cache,
        )?;
        lap(summary, "seal", &mut clock);
        self.seal_warnings = seal.diagnostics.clone();
        summary.diagnostics.extend(seal.diagnostics);
        summary.site_changed = !same_files(&self.sealed, &sealed);
        let old = std::mem::replace(&mut self.sealed, Arc::new(sealed));
        // Freeing the old site's many names is nobody's wait.
        rayon::spawn(move || drop(old));
        self.page_keys = page_keys;
        self.outlinks = outlinks;
        Ok(())
    }
}

fn lap(summary: &mut RebuildSummary, step: &'static str, clock: &mut Instant) {
    summary.timings.push((step, clock.elapsed()));
    *clock = Instant::now();
}

/// The names of `site`'s files that are not pages.
fn not_pages(site: &Site, pages: &HashMap<String, u64>) -> Vec<String> {
    site.files
        .keys()
        .filter(|p| !pages.contains_key(*p))
        .cloned()
        .collect()
}

/// Whether two sites serve the same bytes under the same names.
fn same_files(a: &Site, b: &Site) -> bool {
    a.files.len() == b.files.len()
        && a.files
            .iter()
            .zip(&b.files)
            .all(|((pa, fa), (pb, fb))| pa == pb && fa.same_as(fb))
}

/// After a full build: the walk's names, and the notes it holds that the
/// index does not (drafts), read again.
fn walk_unpublished(
    config: &Config,
    index: &VaultIndex,
    options: &BuildOptions,
) -> (BTreeMap<String, WalkedFile>, BTreeMap<String, Note>) {
    let (walked, _) = load::list_files(&config.vault, &pipeline::load_options(config));
    let index_options = pipeline::index_options(config, options);
    let published: BTreeSet<&str> = index.notes.iter().map(|n| n.note.path.as_str()).collect();
    let mut unpublished = BTreeMap::new();
    let mut files = BTreeMap::new();
    for file in walked {
        if load::is_note_path(&file.rel) && !published.contains(file.rel.as_str()) {
            if let (Some(note), _, _) = load::read_file(&config.vault, &file) {
                if !index::is_published(&note, index_options) {
                    unpublished.insert(note.path.clone(), note);
                }
            }
        }
        files.insert(file.rel.clone(), file);
    }
    (files, unpublished)
}

fn all_links(index: &VaultIndex) -> Vec<Vec<Option<Target>>> {
    (0..index.notes.len())
        .into_par_iter()
        .map(|id| patch::resolve_links(index, id))
        .collect()
}
