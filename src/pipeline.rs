//! The whole pipeline, load → index → render → emit (→ seal), and the build
//! that writes it. `serve` and tests call [`build_site`] to get the site in
//! memory; `spore build` calls [`build`].

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::emit::{self, EmitError, Theme, ThemeError, ThemeSources};
use crate::index::{self, IndexOptions, VaultIndex};
use crate::load::{self, LoadOptions};
use crate::progress::{Progress, Stage};
use crate::render::{self, highlight::Highlighter, RenderContext, RenderedNote};
use crate::seal::files::Parts;
use crate::seal::manifest::VERIFY_JS_PATH;
use crate::site::{Site, SiteFile};
use crate::write::{self, WriteError};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BuildError {
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error(transparent)]
    Emit(#[from] EmitError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    #[error(transparent)]
    SourceChanged(#[from] crate::index::bodies::BodyError),
}

impl From<crate::load::attachment::AttachmentError> for BuildError {
    fn from(e: crate::load::attachment::AttachmentError) -> Self {
        BuildError::Write(e.into())
    }
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Publish drafts too (`--drafts`), on top of the config's setting.
    pub include_drafts: bool,
    /// The site version (seconds since the epoch), overriding
    /// `SOURCE_DATE_EPOCH`, git and mtimes; for reproducible builds in tests.
    pub source_date_epoch: Option<i64>,
    /// Told each stage as it begins and each note or file as it is done
    /// (for a progress bar); reports nothing by default.
    pub progress: Progress,
}

/// An unresolved link, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedReport {
    pub from: String,
    pub dest: String,
    /// Where the link is in `from`: 1-based line and column (characters).
    pub line: usize,
    pub column: usize,
}

impl UnresolvedReport {
    /// The link as a warning of its own, printed like every other.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::warning(
            crate::diagnostics::DiagnosticKind::UnresolvedLink,
            self.from.clone(),
            format!("unresolved link [[{}]]", self.dest),
        )
        .at(self.line, self.column)
    }
}

#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub notes: usize,
    pub pages: usize,
    pub files: usize,
    pub links: usize,
    pub unresolved: Vec<UnresolvedReport>,
    pub diagnostics: Vec<Diagnostic>,
    /// Time per stage, in pipeline order.
    pub timings: Vec<(&'static str, Duration)>,
    /// Version, site id and signing key of the sealed site.
    pub seal: crate::seal::SealSummary,
    /// Files written anew and files kept unchanged from the previous site
    /// (zero for a build that writes nothing).
    pub write: write::WriteStats,
}

/// Everything in memory: the site and what the build found.
pub struct Built {
    pub site: Site,
    pub report: BuildReport,
}

fn timed<T>(
    timings: &mut Vec<(&'static str, Duration)>,
    progress: &Progress,
    (stage, total): (Stage, Option<usize>),
    f: impl FnOnce() -> T,
) -> T {
    progress.stage(stage, total);
    let start = Instant::now();
    let value = f();
    timings.push((stage.name(), start.elapsed()));
    value
}

/// The syntax set loads once per process; so does this highlighter.
pub fn shared_highlighter() -> &'static Highlighter {
    static H: std::sync::OnceLock<Highlighter> = std::sync::OnceLock::new();
    H.get_or_init(Highlighter::new)
}

/// Runs the pipeline in memory.
pub fn build_site(config: &Config, options: &BuildOptions) -> Result<Built, BuildError> {
    let Stages {
        index,
        site,
        mut report,
        rendered,
        ..
    } = build_stages(config, options)?;
    // The note fragments are inside the pages now: free them before sealing.
    drop(rendered);
    let start = Instant::now();
    let (site, seal) = seal_stage(site, config, options, &index)?;
    report.timings.push(("seal", start.elapsed()));
    report.pages = site.files.keys().filter(|p| p.ends_with(".html")).count();
    report.files = site.files.len();
    add_seal(&mut report, seal);
    Ok(Built { site, report })
}

/// What sealing said, into the report: its summary, and its warnings (an
/// unusable previous manifest, attachments left out) among the others.
fn add_seal(report: &mut BuildReport, seal: crate::seal::SealSummary) {
    if let Some(why) = &seal.previous_unusable {
        report.diagnostics.push(crate::diagnostics::Diagnostic {
            file: None,
            line: None,
            column: None,
            severity: crate::diagnostics::Severity::Warning,
            kind: crate::diagnostics::DiagnosticKind::Other,
            message: why.clone(),
        });
    }
    if !seal.diagnostics.is_empty() {
        report.diagnostics.extend(seal.diagnostics.iter().cloned());
        crate::diagnostics::sort(&mut report.diagnostics);
    }
    report.seal = seal;
}

/// Every stage's value from one run of load → index → render → emit, before
/// sealing. `serve` keeps these to rebuild incrementally.
pub struct Stages {
    pub theme_sources: ThemeSources,
    pub theme: Theme,
    pub index: VaultIndex,
    /// By note id.
    pub rendered: Vec<Arc<RenderedNote>>,
    /// The emitted, not yet sealed, site.
    pub site: Site,
    pub report: BuildReport,
}

/// What `load` skips for this config (the output folder).
pub fn load_options(config: &Config) -> LoadOptions {
    LoadOptions {
        exclude: vec![config.output.clone()],
    }
}

/// What `index` needs from the config and the build options.
pub fn index_options(config: &Config, options: &BuildOptions) -> IndexOptions {
    IndexOptions {
        include_drafts: options.include_drafts || config.drafts,
        release_bodies: false,
    }
}

/// The first stages' values: theme, index, and what loading said.
pub struct Indexed {
    pub theme_sources: ThemeSources,
    pub theme: Theme,
    pub index: VaultIndex,
    /// Load's warnings (the index keeps its own).
    pub load_diagnostics: Vec<Diagnostic>,
    /// Every file the walk found, and the notes the index left out as
    /// unpublished (drafts, `publish: false`): what `serve` keeps.
    pub files: Vec<load::WalkedFile>,
    pub unpublished: Vec<crate::load::Note>,
    pub timings: Vec<(&'static str, Duration)>,
}

/// Runs the theme, load and index stages: the start of both `spore build`
/// and `spore serve`.
pub fn index_stages(config: &Config, options: &BuildOptions) -> Result<Indexed, BuildError> {
    index_stages_with(config, options, index_options(config, options))
}

fn index_stages_with(
    config: &Config,
    options: &BuildOptions,
    index_options: IndexOptions,
) -> Result<Indexed, BuildError> {
    let mut timings = Vec::new();
    let (theme_sources, theme) = timed(
        &mut timings,
        &options.progress,
        (Stage::Theme, None),
        || {
            let sources = ThemeSources::read(&config.root, &config.theme)?;
            let theme = sources.compile()?;
            Ok::<_, ThemeError>((sources, theme))
        },
    )?;
    let load_options = load_options(config);
    // A build that lets bodies go scans each note as it is read: the
    // vault's text is never all in memory.
    let scanned = std::sync::Mutex::new(index::KnownScans::new());
    let loaded = timed(&mut timings, &options.progress, (Stage::Load, None), || {
        if index_options.release_bodies {
            load::load_each(
                &config.vault,
                &load_options,
                |_| None,
                |note| {
                    if let Some(scan) = index::scan_on_read(note, index_options) {
                        let entry = (note.source_sha256.clone(), scan);
                        scanned
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(note.path.clone(), entry);
                    }
                },
            )
        } else {
            load::load_with(&config.vault, &load_options, |_| None)
        }
    });
    let scanned = scanned
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let load::Loaded {
        mut vault,
        files,
        read: _,
    } = loaded;
    let load_diagnostics = std::mem::take(&mut vault.diagnostics);
    let (indexed, unpublished) = index::split_unpublished(vault.notes, index_options);
    vault.notes = indexed;
    let index: VaultIndex = timed(
        &mut timings,
        &options.progress,
        (Stage::Index, None),
        || index::build_reusing(vault, index_options, scanned),
    );
    Ok(Indexed {
        theme_sources,
        theme,
        index,
        load_diagnostics,
        files,
        unpublished,
        timings,
    })
}

/// Runs load → index → render → emit and keeps every stage's value.
pub fn build_stages(config: &Config, options: &BuildOptions) -> Result<Stages, BuildError> {
    let Indexed {
        theme_sources,
        theme,
        index,
        load_diagnostics,
        mut timings,
        ..
    } = index_stages(config, options)?;
    let mut diagnostics = load_diagnostics;
    diagnostics.extend(index.diagnostics.iter().cloned());
    let progress = &options.progress;
    let rendered = render_stage(&index, progress, &mut timings);
    for r in &rendered {
        diagnostics.extend(r.diagnostics.iter().cloned());
    }
    let site = timed(&mut timings, progress, (Stage::Emit, None), || {
        emit::emit(&index, &rendered, &theme, config)
    })?;
    let paths = site.files.keys().map(String::as_str);
    let report = report_of(&index, diagnostics, timings, paths);
    Ok(Stages {
        theme_sources,
        theme,
        index,
        rendered,
        site,
        report,
    })
}

/// Stage 3, `render`: every note's HTML, in parallel.
fn render_stage(
    index: &VaultIndex,
    progress: &Progress,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Vec<Arc<RenderedNote>> {
    let highlighter = shared_highlighter();
    let counted = (Stage::Render, Some(index.notes.len()));
    timed(timings, progress, counted, || {
        (0..index.notes.len())
            .into_par_iter()
            .map(|id| {
                let ctx = RenderContext {
                    view: crate::index::view::IndexView::new(index),
                    highlighter,
                };
                let note = Arc::new(render::render_note(&ctx, id));
                progress.item();
                note
            })
            .collect()
    })
}

/// The report of a build: `paths` are the output files it counts (before
/// sealing, the emitted ones; [`add_seal`] counts the sealed site's).
fn report_of<'p>(
    index: &VaultIndex,
    mut diagnostics: Vec<Diagnostic>,
    timings: Vec<(&'static str, Duration)>,
    paths: impl Iterator<Item = &'p str>,
) -> BuildReport {
    crate::diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    let (mut pages, mut files) = (0, 0);
    for path in paths {
        files += 1;
        pages += usize::from(path.ends_with(".html"));
    }
    BuildReport {
        notes: index.notes.len(),
        pages,
        files,
        links: index.link_count,
        unresolved: index
            .unresolved
            .iter()
            .map(|u| UnresolvedReport {
                from: index.notes[u.from].note.path.clone(),
                dest: u.dest.clone(),
                line: u.line,
                column: u.column,
            })
            .collect(),
        diagnostics,
        timings,
        seal: crate::seal::SealSummary::default(),
        write: write::WriteStats::default(),
    }
}

/// Stage 5, `seal`: hashes, manifest, signature and mirror metadata over
/// the emitted site. Its outside inputs (the version and the secret key)
/// are read here, once per call. `serve`'s incremental rebuild calls this
/// too, so it serves exactly what `build` writes.
pub fn seal_stage(
    site: Site,
    config: &Config,
    options: &BuildOptions,
    index: &VaultIndex,
) -> Result<(Site, crate::seal::SealSummary), BuildError> {
    // Announced before the version is read (git may take a while); the
    // seal gives its count once it knows its files.
    options.progress.stage(Stage::Seal, None);
    let inputs = crate::seal::prepare(
        config,
        options.source_date_epoch,
        index.notes.iter().map(|n| &n.note),
    )?;
    Ok(crate::seal::seal_reporting(
        site,
        config,
        &inputs,
        &options.progress,
    )?)
}

/// [`seal_stage`] for `serve`: seals a site it keeps (and changes in place
/// between rebuilds), reusing what `cache` knows of unchanged files.
pub fn reseal_stage(
    site: &Site,
    changed: Option<&std::collections::BTreeSet<String>>,
    config: &Config,
    options: &BuildOptions,
    index: &VaultIndex,
    cache: &mut crate::seal::SealCache,
) -> Result<(crate::seal::Resealed, crate::seal::SealSummary), BuildError> {
    let mut probe = cache.git;
    // Read once per session: the preview seals the version a build would
    // have sealed when serving began (`content/Integrity and verification.md`).
    let previous = cache
        .previous
        .get_or_insert_with(|| crate::seal::previous::read(&config.output))
        .clone();
    let inputs = crate::seal::prepare_probed(
        config,
        options.source_date_epoch,
        index.notes.iter().map(|n| &n.note),
        &mut probe,
        previous,
    )?;
    cache.git = probe;
    Ok(crate::seal::reseal(site, changed, config, &inputs, cache)?)
}

/// Builds and writes the site to `config.output`, atomically, streaming:
/// each note is rendered where its page is made, and the page sealed and
/// put into the staging folder at once, so neither the site's bytes nor the
/// notes' HTML are ever all in memory — only what later files need of each
/// (its lines in the integrity files, its search terms, the start of its
/// text).
/// The output is byte for byte what [`build_site`] makes in memory
/// (`tests/it/determinism.rs`); the folder is swapped in only at the end.
pub fn build(config: &Config, options: &BuildOptions) -> Result<BuildReport, BuildError> {
    // Refuse a dangerous output folder before doing any work.
    write::check_output(&config.vault, &config.output)?;
    // A malformed SOURCE_DATE_EPOCH stops the build before any work (unless
    // the caller gave the version, which then wins over it).
    if options.source_date_epoch.is_none() {
        crate::seal::version::source_date_epoch().map_err(crate::seal::SealError::from)?;
    }
    let Indexed {
        theme,
        mut index,
        load_diagnostics,
        mut timings,
        ..
    } = index_stages_with(
        config,
        options,
        IndexOptions {
            // Pages read each note again when they are rendered: the notes'
            // text is not held through the build.
            release_bodies: true,
            ..index_options(config, options)
        },
    )?;
    index.read_bodies_from(&config.vault);
    crate::memory::release_freed();
    let progress = &options.progress;
    let mut diagnostics = load_diagnostics;
    diagnostics.extend(index.diagnostics.iter().cloned());

    // The seal's inputs from outside (version, key) are read before the
    // first page is made: each page is sealed as it comes.
    let start = Instant::now();
    let inputs = crate::seal::prepare(
        config,
        options.source_date_epoch,
        index.notes.iter().map(|n| &n.note),
    )?;
    let sealer = crate::seal::Sealer::new(config, &inputs);
    let sources = emit::page_sources(&index);
    let staging = write::Staging::begin(&config.vault, &config.output)?;
    let mut sealed_at = start.elapsed();

    // Pages: each note rendered where its page is made, the page sealed
    // and written on the same thread; render and emit are one stage here.
    let start = Instant::now();
    let degrees = emit::graph::Degrees::new(&index);
    progress.stage(Stage::Emit, Some(emit::page_list(&index).len()));
    let (pages, kept, rendered_diagnostics) = emit::emit_pages_rendering(
        &index,
        &theme,
        config,
        &degrees,
        shared_highlighter(),
        |path, html| {
            let file = SiteFile::Made(html.into());
            let (sealed, parts) = sealer
                .seal(&path, &file, sources.get(path.as_str()))
                .map_err(write::WriteError::from)?;
            staging.put(&path, &sealed)?;
            progress.item();
            Ok::<_, BuildError>((path, parts))
        },
    )?;
    diagnostics.extend(rendered_diagnostics);
    timings.push(("emit", start.elapsed()));
    // A note that changed during the build: nothing is swapped in.
    if let Some(e) = index.bodies.failed().into_iter().next() {
        return Err(BuildError::SourceChanged(e));
    }
    // Every page is made: what they alone needed goes. (`sources` borrows
    // the index, so it is made again after, a map of names.)
    drop(sources);
    index.drop_backlink_sentences();
    shared_highlighter().forget();
    crate::memory::release_freed();
    let sources = emit::page_sources(&index);

    // The rest of the site (theme, search and navigation files,
    // attachments), made from what the pages left: their names.
    let start = Instant::now();
    let mut site = Site::default();
    let placeholder = crate::site::Bytes::from(&[][..]);
    for (path, _) in &pages {
        site.insert(path.clone(), placeholder.clone());
    }
    emit::add_site_files_from(
        &mut site,
        &index,
        &[],
        Some(kept),
        &theme,
        config,
        &degrees,
        None,
    );
    for (path, _) in &pages {
        site.files.remove(path);
    }
    for (path, bytes) in crate::seal::fixed_files() {
        site.insert(path, bytes);
    }
    site.files
        .retain(|p, _| !p.starts_with("integrity/") || p == VERIFY_JS_PATH);
    progress.stage(Stage::Seal, Some(site.files.len()));
    let rest: Vec<(&String, Result<Parts, BuildError>)> = site
        .files
        .par_iter()
        .map(|(path, file)| {
            let sealed = sealer.seal(path, file, sources.get(path.as_str()));
            progress.item();
            let result = match sealed {
                Ok((sealed, parts)) => staging.put(path, &sealed).map(|()| parts),
                Err(e) => Err(write::WriteError::from(e)),
            };
            (path, result.map_err(BuildError::from))
        })
        .collect();
    let mut left_out = Vec::new();
    let mut listed: Vec<(&str, &Parts)> =
        pages.iter().map(|(p, parts)| (p.as_str(), parts)).collect();
    let mut kept = Vec::with_capacity(rest.len());
    for (path, result) in rest {
        match result {
            Ok(parts) => kept.push((path.clone(), parts)),
            // An attachment that cannot be read is left out, with a warning.
            Err(BuildError::Write(write::WriteError::Attachment(e))) => {
                left_out.push(crate::seal::unreadable(&e))
            }
            Err(e) => return Err(e),
        }
    }
    // The site-wide files are on disk: only their names and parts are
    // needed to make the integrity files.
    drop(site);
    crate::memory::release_freed();
    listed.extend(kept.iter().map(|(p, parts)| (p.as_str(), parts)));
    listed.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // The shards are written as soon as they are made and their bytes let
    // go: the listings that follow (`site.meta4`, `SHA256SUMS`) are made
    // without them in memory.
    let (shards, shard_paths) =
        crate::seal::files::write_shards(sealer.shards(&listed), |path, bytes| {
            staging.put(path, &SiteFile::Made(bytes.clone()))
        })?;
    let (made, seal) = sealer.finish_with_shards(&listed, &shards, left_out)?;
    for (path, file) in &made {
        staging.put(path, file)?;
    }
    sealed_at += start.elapsed();
    timings.push(("seal", sealed_at));

    let start = Instant::now();
    progress.stage(Stage::Write, None);
    let write = staging.commit()?;
    timings.push(("write", start.elapsed()));

    let paths = listed
        .iter()
        .map(|(p, _)| *p)
        .chain(shard_paths.iter().map(String::as_str))
        .chain(made.iter().map(|(p, _)| p.as_str()));
    let mut report = report_of(&index, diagnostics, timings, paths);
    add_seal(&mut report, seal);
    report.write = write;
    Ok(report)
}
