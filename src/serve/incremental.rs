//! The in-memory rebuild behind `serve`: the build's own stages, run with
//! memory, ending with exactly the bytes a full build gives
//! (`tests/it/serve_incremental.rs` and `tests/it/serve_edits.rs` compare them
//! file by file after every kind of edit).
//!
//! How much is redone:
//! - **load**: only the files that changed are read. A save of a known file
//!   re-reads that file; a new, deleted or renamed file re-walks the vault
//!   (names only) and reads just the new files.
//! - **index**: a save that keeps the vault's shape (same published notes,
//!   paths and aliases) patches the index in place ([`index::patch`]);
//!   anything else rebuilds it, reusing every unchanged note's scan.
//! - **render** and **emit**: each note's HTML and each page's bytes are
//!   kept with the facts they read (`crate::memo`): render and emit read
//!   the index only through recording views (`index::view`, `emit::view`),
//!   so a kept value is reused exactly when everything it read is
//!   unchanged. No list of inputs is kept by hand; a template or theme
//!   change clears the pages, a `book.toml` change rebuilds everything.
//! - **seal** runs over the whole site every time, as in `spore build`.

use super::published::{same_files, Published};
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::emit::view::{PageBase, PageFact, PageTable, PageView};
use crate::emit::{self, PageId, Theme, ThemeSources};
use crate::index::view::{IndexFact, IndexTable, IndexView, Keys, NoteKey};
use crate::index::{self, patch, KnownScans, NoteId, VaultIndex};
use crate::load::{self, Attachment, Note, Vault, WalkedFile};
use crate::memo::{Entry, Memo, Recorder};
use crate::pipeline::{self, BuildError, BuildOptions};
use crate::render::{self, RenderContext, RenderedNote};
use crate::site::{Bytes, Site};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
    /// How many served files changed (added, replaced or removed); all of
    /// them when everything was sealed anew.
    pub files_changed: usize,
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
    /// Each note's HTML with the index facts it read, by note.
    renders: Memo<NoteKey, Arc<RenderedNote>, IndexFact>,
    /// The same, by note id of the current index.
    rendered: Vec<Arc<RenderedNote>>,
    /// Each page's output path and bytes with the facts it read.
    pages: Memo<PageKey, (String, Bytes), PageFact>,
    /// The output paths of the pages in `unsealed`, and every page in
    /// emit order, as of the last rebuild.
    page_paths: BTreeSet<String>,
    page_key_list: Vec<PageKey>,
    /// The pages of `page_key_list`, and each key's place in it.
    page_ids: Vec<PageId>,
    page_at: HashMap<PageKey, usize>,
    /// Every base's hash at the last rebuild: what changed since is what
    /// the kept notes and pages are checked against.
    index_table: IndexTable,
    page_table: PageTable,
    /// Each note's outlinks when the tables were made.
    table_outlinks: Vec<Vec<NoteId>>,
    /// The emitted site before sealing, changed in place on each rebuild,
    /// recording which paths changed (what the seal looks at again).
    unsealed: Site,
    /// The files of `unsealed` that are not pages (made again each time),
    /// sorted.
    site_files: Vec<String>,
    /// The links the local graphs were made from, kept while none moves.
    outlinks: Vec<Vec<NoteId>>,
    degrees: emit::graph::Degrees,
    /// Each note's text and search terms, for the search and navigation files.
    nav_cache: emit::nav_cache::NavCache,
    /// Each file's sealed bytes and hash, for the next seal.
    seal_cache: crate::seal::SealCache,
    /// The last seal failed: the next one looks at every file.
    reseal_all: bool,
    /// The notes patched in place since the last rebuild that went
    /// through (`None`: the index was built again): only their table rows
    /// and page sources can have changed.
    table_stale: Option<BTreeSet<NoteId>>,
    /// The sealed site, as served.
    sealed: Published,
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
        let stages = pipeline::index_stages(&config, &options)?;
        let index = stages.index;
        let files: BTreeMap<String, WalkedFile> = stages
            .files
            .into_iter()
            .map(|f| (f.rel.clone(), f))
            .collect();
        let unpublished = stages
            .unpublished
            .into_iter()
            .map(|n| (n.path.clone(), n))
            .collect();
        let names = files
            .iter()
            .map(|(r, f)| (f.abs.clone(), r.clone()))
            .collect();
        let load_warnings = stages.load_diagnostics;
        // The first rebuild renders and emits everything, recording what
        // each note and page read, so every later save costs what it changed.
        let mut live = LiveSite {
            config,
            options,
            theme_sources: stages.theme_sources,
            theme: stages.theme,
            index,
            unpublished,
            files,
            names,
            renders: Memo::default(),
            rendered: Vec::new(),
            pages: Memo::default(),
            page_paths: BTreeSet::new(),
            page_key_list: Vec::new(),
            page_ids: Vec::new(),
            page_at: HashMap::new(),
            index_table: IndexTable::default(),
            page_table: PageTable::default(),
            table_outlinks: Vec::new(),
            unsealed: {
                let mut site = Site::default();
                site.track_changes();
                site
            },
            site_files: Vec::new(),
            outlinks: Vec::new(),
            degrees: emit::graph::Degrees {
                neighbours: Vec::new(),
            },
            nav_cache: emit::nav_cache::NavCache::default(),
            seal_cache: crate::seal::SealCache::default(),
            reseal_all: true,
            table_stale: None,
            sealed: Published::default(),
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
        self.sealed.site()
    }

    /// Whether every kept note and page still agrees with every fact it
    /// read — checked against the index as it is now, so it also proves
    /// that each view's accessor hashes a fact as its checker does (for
    /// tests: a kept value must never be stale).
    #[doc(hidden)]
    pub fn caches_are_fresh(&self) -> bool {
        let keys = Keys::new(&self.index);
        let index_view = IndexView::new(&self.index);
        let page_view = PageView::new(&self.index, &self.rendered, &self.degrees);
        let notes_fresh = (0..self.index.notes.len()).all(|id| {
            let key = self.index.note_keys[id];
            self.renders
                .get(&key)
                .is_some_and(|e| e.is_valid(|f| index_view.fact_hash(&keys, f)))
        });
        let pages_fresh = emit::page_list(&self.index).iter().all(|page| {
            self.pages
                .get(&page_key(&self.index, page))
                .is_some_and(|e| e.is_valid(|f| page_view.fact_hash(&keys, f)))
        });
        let nav_fresh = self.nav_cache.is_fresh(
            &self.index,
            &self.rendered,
            &self.degrees,
            &keys,
            &self.page_paths,
        );
        // The tables kept for the next rebuild are what a fresh
        // computation gives (the page table reuses rows of the last one).
        let index_table = index::view::table(&self.index);
        let tables_fresh = index_table == self.index_table
            && emit::view::table(
                &self.index,
                &index_table,
                None,
                &self.rendered,
                &self.degrees,
            ) == self.page_table;
        notes_fresh && pages_fresh && nav_fresh && tables_fresh
    }

    /// The same, shared without copying.
    pub fn shared_site(&self) -> Arc<Site> {
        self.sealed.site().clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies changes. On an error the last good site stays, and the
    /// changes not applied yet are kept for the next call.
    pub fn apply(&mut self, changes: Changes) -> Result<RebuildSummary, RebuildError> {
        let mut summary = self.apply_without_warnings(changes)?;
        summary.warnings = self.warnings();
        Ok(summary)
    }

    /// [`LiveSite::apply`], leaving [`RebuildSummary::warnings`] to be
    /// asked for ([`LiveSite::warnings`]): collecting and sorting every
    /// warning of a large vault takes milliseconds the reload need not
    /// wait for.
    pub fn apply_without_warnings(
        &mut self,
        changes: Changes,
    ) -> Result<RebuildSummary, RebuildError> {
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
            let before = self.sealed.site().clone();
            match LiveSite::build(config, self.options.clone()) {
                Ok(fresh) => *self = fresh,
                Err(e) => {
                    self.pending = changes;
                    return Err(e);
                }
            }
            let site_changed = !same_files(&before, self.sealed.site());
            return Ok(RebuildSummary {
                full: true,
                reindexed: true,
                notes_rendered: self.index.notes.len(),
                pages_rendered: self.page_paths.len(),
                site_changed,
                files_changed: if site_changed {
                    self.sealed.site().files.len()
                } else {
                    0
                },
                diagnostics: Vec::new(),
                warnings: Vec::new(),
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
        let changed_names = if changes.vault.is_empty() {
            Vec::new()
        } else {
            let (names, reindexed, diagnostics) = self.update_index(&changes.vault);
            summary.reindexed = reindexed;
            self.load_warnings
                .retain(|d| !d.file.as_ref().is_some_and(|f| names.contains(f)));
            self.load_warnings.extend(diagnostics.iter().cloned());
            summary.diagnostics = diagnostics;
            names
        };
        lap(&mut summary, "load+index", &mut clock);
        self.rerender(&mut summary)?;
        let index_diagnostics = self
            .index
            .diagnostics
            .iter()
            .filter(|d| d.file.as_ref().is_some_and(|f| changed_names.contains(f)));
        summary.diagnostics.extend(index_diagnostics.cloned());
        crate::diagnostics::sort(&mut summary.diagnostics);
        summary.diagnostics.dedup();
        summary.took = started.elapsed();
        Ok(summary)
    }

    fn reload_theme(&mut self) -> Result<(), RebuildError> {
        let sources =
            ThemeSources::read(&self.config.root, &self.config.theme).map_err(BuildError::from)?;
        if sources != self.theme_sources {
            self.theme = sources.compile().map_err(BuildError::from)?;
            self.theme_sources = sources;
            // Every page goes through the new templates (`page_paths`
            // stays: it is how pages that leave the site leave `unsealed`).
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
    ) -> (Vec<String>, bool, Vec<Diagnostic>) {
        if let Some((names, diagnostics)) = self.try_patch(touched) {
            return (names, false, diagnostics);
        }
        let (names, diagnostics) = self.reindex(touched);
        (names, true, diagnostics)
    }

    /// The fast path: every touched path is a known file, still there.
    fn try_patch(&mut self, touched: &BTreeSet<PathBuf>) -> Option<(Vec<String>, Vec<Diagnostic>)> {
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
        let ids = patch::replace_notes(&mut self.index, notes, options).ok()?;
        if let Some(stale) = &mut self.table_stale {
            stale.extend(ids);
        }
        for (slot, attachment) in attachment_slots {
            self.index.attachments[slot].attachment = attachment;
        }
        for note in drafts {
            self.unpublished.insert(note.path.clone(), note);
        }
        Some((names, diagnostics))
    }

    /// The slow path: re-walk the vault, read new and touched files, reuse
    /// the rest, and index again (reusing unchanged notes' scans).
    fn reindex(&mut self, touched: &BTreeSet<PathBuf>) -> (Vec<String>, Vec<Diagnostic>) {
        let options = pipeline::index_options(&self.config, &self.options);
        let load_options = pipeline::load_options(&self.config);

        let old = std::mem::replace(&mut self.index, index::build(Vault::default(), options));
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

        // The build's own load, keeping every file that did not change.
        let previous = &self.files;
        let loaded = load::load_with(&self.config.vault, &load_options, |file| {
            if touched.contains(&file.abs) || previous.get(&file.rel) != Some(file) {
                return None;
            }
            match old_notes.remove(&file.rel) {
                Some(note) => Some(load::Kept::Note(note)),
                None => old_attachments
                    .remove(&file.rel)
                    .map(load::Kept::Attachment),
            }
        });
        let load::Loaded {
            mut vault,
            files: walked,
            read,
        } = loaded;
        let diagnostics = std::mem::take(&mut vault.diagnostics);
        let files: BTreeMap<String, WalkedFile> =
            walked.into_iter().map(|f| (f.rel.clone(), f)).collect();
        let mut names = read;
        // Deleted files are changes too: their names leave the site.
        names.extend(
            self.files
                .keys()
                .filter(|r| !files.contains_key(*r))
                .cloned(),
        );
        let (published, drafts) =
            index::split_unpublished(std::mem::take(&mut vault.notes), options);
        self.unpublished = drafts.into_iter().map(|n| (n.path.clone(), n)).collect();
        vault.notes = published;
        self.index = index::build_reusing(vault, options, known);
        self.table_stale = None;
        self.names = files
            .iter()
            .map(|(r, f)| (f.abs.clone(), r.clone()))
            .collect();
        self.files = files;
        names.sort();
        names.dedup();
        (names, diagnostics)
    }
}

impl LiveSite {
    /// Renders the notes and pages whose facts changed, then seals.
    fn rerender(&mut self, summary: &mut RebuildSummary) -> Result<(), RebuildError> {
        let mut clock = Instant::now();
        let index = &self.index;
        let keys = Keys::new(index);
        let highlighter = pipeline::shared_highlighter();

        // Render: a note's kept HTML, or a new one with what it read. Only
        // notes that read a fact of a changed base are checked at all.
        // Patched in place since the last rebuild (same notes, same ids):
        // only what the patch touched is looked at again.
        let patched = self
            .table_stale
            .clone()
            .filter(|_| self.rendered.len() == index.notes.len());
        let index_table = match &patched {
            Some(ids) => index::view::table_patched(index, &self.index_table, ids),
            None => index::view::table(index),
        };
        let changed = match &patched {
            Some(ids) => self.index_table.changed_at(
                &index_table,
                ids.iter().map(|&id| index.note_keys[id]),
                index::view::row_base,
            ),
            None => self
                .index_table
                .changed(&index_table, index::view::row_base),
        };
        let suspects = self.renders.suspects(&changed);
        lap(summary, "index table", &mut clock);
        let renders = &self.renders;
        // Which notes to look at: the suspects when the kept renderings
        // are by the same ids, else every note.
        let candidates: Vec<NoteId> = match &patched {
            Some(_) => {
                let mut ids: Vec<NoteId> = suspects.iter().filter_map(|&k| keys.note(k)).collect();
                ids.sort_unstable();
                ids
            }
            None => (0..index.notes.len()).collect(),
        };
        type Rendered = (
            NoteId,
            Arc<RenderedNote>,
            Option<Entry<Arc<RenderedNote>, IndexFact>>,
        );
        let made: Vec<Rendered> = candidates
            .into_par_iter()
            .map(|id| {
                let key = index.note_keys[id];
                let check = IndexView::new(index);
                if let Some(kept) = renders.get(&key) {
                    if !suspects.contains(&key) || kept.is_valid(|f| check.fact_hash(&keys, f)) {
                        return (id, kept.value.clone(), None);
                    }
                }
                let recorder = Recorder::default();
                let ctx = RenderContext {
                    view: IndexView::recording(index, &recorder),
                    highlighter,
                };
                let note = Arc::new(render::render_note(&ctx, id));
                let entry = Entry::new(note.clone(), recorder.into_reads());
                (id, note, Some(entry))
            })
            .collect();
        let mut rendered = match &patched {
            Some(_) => std::mem::take(&mut self.rendered),
            None => Vec::with_capacity(index.notes.len()),
        };
        let mut rerendered = BTreeSet::new();
        for (id, note, entry) in made {
            if let Some(entry) = entry {
                self.renders.insert(index.note_keys[id], entry);
                rerendered.insert(id);
            }
            // Patched: the slot is there; else notes come in id order.
            match rendered.get_mut(id) {
                Some(slot) => *slot = note,
                None => rendered.push(note),
            }
        }
        if self.renders.len() > index.notes.len() {
            let current: HashSet<NoteKey> = index.note_keys.iter().copied().collect();
            self.renders.retain(|k| current.contains(k));
        }
        summary.notes_rendered = rerendered.len();
        self.rendered = rendered;
        lap(summary, "render", &mut clock);

        if index.outlinks != self.outlinks || self.degrees.neighbours.len() != index.notes.len() {
            self.degrees = emit::graph::Degrees::new(index);
            self.outlinks = index.outlinks.clone();
        }
        let degrees = &self.degrees;
        let rendered = &self.rendered;

        // Emit: a page's kept bytes, or new ones with what they read.
        // The links as the tables saw them: the page table re-hashes
        // backlinks and neighbours only around notes whose text changed.
        let previous = emit::view::Previous {
            index_table: &self.index_table,
            page_table: &self.page_table,
            outlinks: &self.table_outlinks,
        };
        let patched_pages = patched.as_ref().and_then(|ids| {
            let touched: BTreeSet<NoteId> = ids.union(&rerendered).copied().collect();
            emit::view::table_patched(index, &index_table, previous, &touched, rendered, degrees)
        });
        let mut changed: crate::memo::Set<PageBase> =
            changed.into_iter().map(PageBase::Index).collect();
        let page_table = match patched_pages {
            Some((page_table, made)) => {
                changed.extend(self.page_table.changed_at(
                    &page_table,
                    made.iter().map(|&id| index.note_keys[id]),
                    emit::view::row_base,
                ));
                page_table
            }
            None => {
                let page_table =
                    emit::view::table(index, &index_table, Some(previous), rendered, degrees);
                changed.extend(self.page_table.changed(&page_table, emit::view::row_base));
                page_table
            }
        };
        let suspects = self.pages.suspects(&changed);
        lap(summary, "page table", &mut clock);
        let kept_pages = &self.pages;
        let (theme, config) = (&self.theme, &self.config);
        // The page list of the last rebuild holds while the index was
        // patched in place (same notes and folders) with the same tags;
        // then only the suspect pages are looked at.
        let same_pages = patched.is_some()
            && !self.page_ids.is_empty()
            // Every page has a kept value (none was dropped by a theme change).
            && self.pages.len() == self.page_ids.len()
            && self
                .page_ids
                .iter()
                .filter_map(|p| match p {
                    PageId::Tag(tag) => Some(tag),
                    _ => None,
                })
                .eq(index.tags.keys());
        // Taken out while the pages are made: if that fails, the next
        // rebuild makes the list again.
        let (page_id_list, page_keys, page_at) = match same_pages {
            true => (
                std::mem::take(&mut self.page_ids),
                std::mem::take(&mut self.page_key_list),
                std::mem::take(&mut self.page_at),
            ),
            false => {
                let ids = emit::page_list(index);
                let keys: Vec<PageKey> = ids.iter().map(|p| page_key(index, p)).collect();
                let at = keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.clone(), i))
                    .collect();
                (ids, keys, at)
            }
        };
        let candidates: Vec<usize> = match same_pages {
            true => {
                let mut at: Vec<usize> = suspects
                    .iter()
                    .filter_map(|k| page_at.get(k).copied())
                    .collect();
                at.sort_unstable();
                at
            }
            false => (0..page_id_list.len()).collect(),
        };
        let page_ids = &page_id_list;
        type Fresh = Result<Option<(usize, Entry<(String, Bytes), PageFact>)>, emit::EmitError>;
        let fresh: Vec<Fresh> = candidates
            .into_par_iter()
            .map(|i| {
                let (page, key) = (&page_ids[i], &page_keys[i]);
                let check = PageView::new(index, rendered, degrees);
                if let Some(kept) = kept_pages.get(key) {
                    if !suspects.contains(key) || kept.is_valid(|f| check.fact_hash(&keys, f)) {
                        return Ok(None);
                    }
                }
                let recorder = Recorder::default();
                let view = PageView::recording(index, rendered, degrees, &recorder);
                let (path, bytes) = emit::render_page(theme, config, view, page)?;
                let entry = Entry::new((path, Bytes::from(bytes)), recorder.into_reads());
                Ok(Some((i, entry)))
            })
            .collect();
        let mut count = 0;
        // Whether a page's output path can have changed: then the set of
        // paths is made again and pages that left are taken out.
        let mut moved = !same_pages && page_keys != self.page_key_list;
        for result in fresh {
            let Some((i, entry)) = result.map_err(BuildError::from)? else {
                continue;
            };
            let key = page_keys[i].clone();
            let (path, bytes) = &entry.value;
            moved |= self.pages.get(&key).is_none_or(|old| old.value.0 != *path);
            self.unsealed.insert(path.clone(), bytes.clone());
            self.pages.insert(key, entry);
            count += 1;
        }
        summary.pages_rendered = count;
        lap(summary, "emit", &mut clock);

        // Pages that left the site leave `unsealed`, and every site-wide
        // file is made again below from the pages alone, as in a full build.
        if moved {
            let wanted: HashSet<&PageKey> = page_keys.iter().collect();
            self.pages.retain(|k| wanted.contains(k));
            let paths: BTreeSet<String> = page_keys
                .iter()
                .filter_map(|k| self.pages.get(k))
                .map(|e| e.value.0.clone())
                .collect();
            for path in self.page_paths.difference(&paths) {
                self.unsealed.remove(path);
            }
            self.page_paths = paths;
        }
        self.page_key_list = page_keys;
        self.page_ids = page_id_list;
        self.page_at = page_at;
        lap(summary, "assemble pages", &mut clock);
        let checks = emit::nav_cache::Checks {
            changed,
            keys,
            names_moved: moved,
        };
        // The site-wide files are made again from the pages alone, as in a
        // full build: the last ones are set aside meanwhile, and one put
        // again the very same is not a change.
        let old_site_files: Vec<&String> = self
            .site_files
            .iter()
            .filter(|p| !self.page_paths.contains(*p))
            .collect();
        self.unsealed.set_aside(old_site_files);
        emit::set_page_sources(&mut self.unsealed, index, self.table_stale.as_ref());
        self.unsealed.record_writes();
        emit::add_site_files(
            &mut self.unsealed,
            index,
            &self.rendered,
            &self.theme,
            &self.config,
            degrees,
            Some((&mut self.nav_cache, &checks)),
        );
        self.site_files = self.unsealed.take_writes();
        self.unsealed.end_set_aside();
        lap(summary, "site files", &mut clock);
        let taken = self.unsealed.take_changes();
        let changed = if self.reseal_all { None } else { taken };
        // Until this seal succeeds, the next one must look at everything.
        self.reseal_all = true;
        let (resealed, seal) = pipeline::reseal_stage(
            &self.unsealed,
            changed.as_ref(),
            &self.config,
            &self.options,
            index,
            &mut self.seal_cache,
        )?;
        self.reseal_all = false;
        lap(summary, "seal", &mut clock);
        self.seal_warnings = seal.diagnostics.clone();
        summary.diagnostics.extend(seal.diagnostics);
        // Only now, with every note and page made for this index, is it
        // the baseline the next rebuild's changes are measured from.
        self.index_table = index_table;
        self.page_table = page_table;
        self.table_stale = Some(BTreeSet::new());
        if self.table_outlinks != index.outlinks {
            self.table_outlinks = index.outlinks.clone();
        }
        summary.files_changed = self.sealed.publish(resealed, &self.seal_cache);
        summary.site_changed = summary.files_changed > 0;
        Ok(())
    }
}

/// A page named so that the name survives note ids moving.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PageKey {
    Note(NoteKey),
    Other(PageId),
}

fn page_key(index: &VaultIndex, page: &PageId) -> PageKey {
    match page {
        PageId::Note(id) => PageKey::Note(NoteKey::of(&index.notes[*id].note.path)),
        other => PageKey::Other(other.clone()),
    }
}

fn lap(summary: &mut RebuildSummary, step: &'static str, clock: &mut Instant) {
    summary.timings.push((step, clock.elapsed()));
    *clock = Instant::now();
}
