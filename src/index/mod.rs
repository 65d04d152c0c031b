//! Stage 2, `index`: which notes are published, where each page goes, how
//! names resolve, headings and block ids per note, tags, folders, and the
//! link graph with backlinks.

pub mod bodies;
pub mod patch;
pub mod resolve;
pub mod scan;
pub mod view;

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::load::{Attachment, Note, Vault};
use crate::portable::{Holder, NameClash, Namer};
use crate::syntax::{tags::tag_key, target::LinkTarget};
use rayon::prelude::*;
use resolve::{fold, Resolved, Resolver};
use scan::NoteScan;
use std::collections::{BTreeMap, BTreeSet};

pub use resolve::Resolved as Target;

/// Root-level names Spore writes itself; vault files get another name.
pub const RESERVED_ROOT: &[&str] = &[
    "index.html",
    "404.html",
    "tags",
    "_spore",
    "integrity",
    "search",
    "graph.html",
    "sitemap.xml",
    "feed.xml",
];

pub type NoteId = usize;

#[derive(Debug)]
pub struct IndexedNote {
    pub note: Note,
    /// Output path of this note's page.
    pub out_path: String,
    pub scan: NoteScan,
    /// Frontmatter and inline tags, first spelling kept, grouped ignoring case.
    pub tags: Vec<String>,
}

impl IndexedNote {
    pub fn title(&self) -> &str {
        self.note.title()
    }
}

#[derive(Debug)]
pub struct IndexedAttachment {
    pub attachment: Attachment,
    pub out_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlink {
    pub from: NoteId,
    /// The sentence around the link, shared with the link's scan.
    pub context: std::sync::Arc<str>,
    /// A hash of `context` (see [`scan::RawLink::context_hash`]).
    pub context_hash: u64,
}

#[derive(Debug, Clone)]
pub struct TagEntry {
    /// Spelling shown (first seen, in path order).
    pub name: String,
    pub out_path: String,
    /// Notes carrying this tag or a nested tag below it.
    pub notes: Vec<NoteId>,
}

#[derive(Debug, Clone, Default)]
pub struct FolderEntry {
    /// Vault-relative folder, `""` for the root.
    pub path: String,
    pub out_path: String,
    pub notes: Vec<NoteId>,
    pub subfolders: Vec<String>,
    /// `index.md` or a note named like the folder: supplies the page text.
    pub folder_note: Option<NoteId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedLink {
    pub from: NoteId,
    pub dest: String,
    /// Where the link is in the note's file: 1-based line and column.
    pub line: usize,
    pub column: usize,
}

/// Where `link` (one of `note`'s) is in the note's file: 1-based line and
/// column. The scan counts from the body; the body starts at `body_line`
/// (after the frontmatter; BOM and CR already removed by load, so lines
/// count as an editor counts them).
pub fn link_position(note: &Note, link: &scan::RawLink) -> (usize, usize) {
    if note.comment_gaps.is_empty() {
        (note.body_line + link.line - 1, link.column)
    } else {
        // Comments were cut from the body: count them back in.
        note.position(link.offset)
    }
}

/// Everything later stages need to know about the vault as a whole.
#[derive(Debug)]
pub struct VaultIndex {
    pub notes: Vec<IndexedNote>,
    /// Each note's [`view::NoteKey`] (a hash of its path), by id.
    pub note_keys: Vec<view::NoteKey>,
    pub attachments: Vec<IndexedAttachment>,
    pub resolver: Resolver,
    /// Key: folded tag.
    pub tags: BTreeMap<String, TagEntry>,
    /// Key: vault-relative folder.
    pub folders: BTreeMap<String, FolderEntry>,
    pub outlinks: Vec<Vec<NoteId>>,
    pub backlinks: Vec<Vec<Backlink>>,
    pub unresolved: Vec<UnresolvedLink>,
    /// Attachments some published note links to or embeds: only these are
    /// published, so a file nobody links to never leaves the vault.
    pub used_attachments: BTreeSet<usize>,
    pub link_count: usize,
    /// The published root `index.md`, shown as the home page.
    pub home: Option<NoteId>,
    pub diagnostics: Vec<Diagnostic>,
    /// Where the notes' bodies are (held, unless the streaming build let
    /// them go: [`IndexOptions::release_bodies`]).
    pub bodies: bodies::Bodies,
}

impl VaultIndex {
    /// Lets the sentences backlinks quote go (every page showing them is
    /// made: what is left to make reads only who links to whom). The
    /// scans' own copies went in [`Self::read_bodies_from`].
    pub fn drop_backlink_sentences(&mut self) {
        let empty: std::sync::Arc<str> = std::sync::Arc::from("");
        for backlinks in &mut self.backlinks {
            for b in backlinks.iter_mut() {
                b.context = empty.clone();
            }
        }
    }

    /// Where a page reads the notes' bodies an index made with
    /// [`IndexOptions::release_bodies`] let go: from `vault`. The links'
    /// sentences, now in the backlinks, go too.
    pub fn read_bodies_from(&mut self, vault: &std::path::Path) {
        if let bodies::Bodies::OnDisk(_) = self.bodies {
            self.bodies = bodies::Bodies::OnDisk(bodies::OnDisk::new(Some(vault)));
            self.notes.par_iter_mut().for_each(|n| n.scan.shrink());
        }
    }
}

/// What index needs from the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexOptions {
    pub include_drafts: bool,
    /// Let each note's body go once it is scanned (the streaming build,
    /// which reads a note again when a page needs it: see
    /// [`VaultIndex::read_bodies_from`]).
    pub release_bodies: bool,
}

/// Whether a note becomes a page: not a draft (unless drafts are asked
/// for), and never a secret key file, whatever its name.
pub fn is_published(note: &Note, options: IndexOptions) -> bool {
    note.secret_key.is_none()
        && (options.include_drafts || (!note.frontmatter.draft && note.frontmatter.publish))
}

/// Splits notes into those the index takes (published, and key files,
/// which it drops with a warning) and those it would drop silently (drafts
/// and `publish: false`), which `serve` holds back for when they are
/// published.
pub fn split_unpublished(notes: Vec<Note>, options: IndexOptions) -> (Vec<Note>, Vec<Note>) {
    notes
        .into_iter()
        .partition(|n| is_published(n, options) || n.secret_key.is_some())
}

/// A note's scan made as it is read, its body let go at once (the streaming
/// build): `None` for a note the index will not publish, whose body goes
/// unscanned. Hand the scans to [`build_reusing`].
pub fn scan_on_read(note: &mut Note, options: IndexOptions) -> Option<NoteScan> {
    if !is_published(note, options) {
        note.body = String::new();
        return None;
    }
    let mut scan = scan::scan(&note.body);
    bodies::release(note, &mut scan);
    Some(scan)
}

pub fn build(vault: Vault, options: IndexOptions) -> VaultIndex {
    build_reusing(vault, options, KnownScans::new())
}

/// Scans from an earlier index: note path → (source SHA-256, scan). A scan
/// depends only on the note's bytes, so an unchanged file reuses its own.
pub type KnownScans = std::collections::HashMap<String, (String, NoteScan)>;

/// [`build`], taking each unchanged note's scan from `known` (what `serve`
/// does after a file is added, deleted or renamed).
pub fn build_reusing(vault: Vault, options: IndexOptions, mut known: KnownScans) -> VaultIndex {
    let Vault {
        notes,
        attachments,
        diagnostics: _,
    } = vault;
    let mut diagnostics = Vec::new();
    let notes = one_file_per_path(notes, |n| &n.path, &mut diagnostics);
    let mut attachments = one_file_per_path(attachments, |a| &a.path, &mut diagnostics);
    // A secret key file is treated as if it were not in the vault: links to
    // it stay unresolved, and it is never published.
    attachments.retain(|a| match a.secret_key {
        Some(kind) => {
            diagnostics.push(key_file_warning(&a.path, kind));
            false
        }
        None => true,
    });
    for note in &notes {
        if let Some(kind) = note.secret_key {
            diagnostics.push(key_file_warning(&note.path, kind));
        }
    }
    let notes: Vec<Note> = notes
        .into_iter()
        .filter(|n| is_published(n, options))
        .collect();

    let mut namer = Namer::new(RESERVED_ROOT);
    let mut index_pages = BTreeSet::new();
    let note_out: Vec<String> = notes
        .iter()
        .map(|n| {
            let folder = namer.folder(n.folder());
            // `index.md` supplies its folder's page, unless another note
            // already does (`index.MD` beside it): that one gets a name of
            // its own, with a clash warning.
            if n.stem() == "index" && index_pages.insert(folder.clone()) {
                namer.hold(&folder, "index.html", &n.path);
                if folder.is_empty() {
                    "index.html".to_string()
                } else {
                    format!("{folder}/index.html")
                }
            } else {
                namer.file(&n.path, Some("html"))
            }
        })
        .collect();
    let attachment_out: Vec<String> = attachments
        .iter()
        .map(|a| namer.file(&a.path, None))
        .collect();

    let reused: Vec<Option<NoteScan>> = notes
        .iter()
        .map(|n| {
            known
                .remove(&n.path)
                .filter(|(sha, _)| *sha == n.source_sha256)
                .map(|(_, scan)| scan)
        })
        .collect();
    let mut notes = notes;
    let scans: Vec<NoteScan> = notes
        .par_iter_mut()
        .zip(reused)
        .map(|(n, reused)| {
            let mut scan = reused.unwrap_or_else(|| scan::scan(&n.body));
            if options.release_bodies {
                bodies::release(n, &mut scan);
            }
            scan
        })
        .collect();

    let resolver = {
        let np: Vec<&str> = notes.iter().map(|n| n.path.as_str()).collect();
        let ap: Vec<&str> = attachments.iter().map(|a| a.path.as_str()).collect();
        let aliases: Vec<Vec<String>> = notes
            .iter()
            .map(|n| n.frontmatter.aliases.clone())
            .collect();
        Resolver::new(&np, &ap, &aliases)
    };

    let mut indexed: Vec<IndexedNote> = notes
        .into_iter()
        .zip(note_out)
        .zip(scans)
        .map(|((note, out_path), scan)| {
            let tags = merge_tags(&note.frontmatter.tags, &scan.tags);
            IndexedNote {
                note,
                out_path,
                scan,
                tags,
            }
        })
        .collect();

    // The link graph. Resolving is pure lookups, so every note's links
    // resolve in parallel; the graph is then put together in note order,
    // exactly as a sequential pass would.
    let graphs: Vec<NoteLinks> = (0..indexed.len())
        .into_par_iter()
        .map(|from| note_links(&indexed, &resolver, from))
        .collect();
    let mut outlinks = vec![Vec::new(); indexed.len()];
    let mut backlinks: Vec<Vec<Backlink>> = vec![Vec::new(); indexed.len()];
    let mut unresolved = Vec::new();
    let mut used_attachments = BTreeSet::new();
    let mut link_count = 0;
    for (from, links) in graphs.into_iter().enumerate() {
        link_count += links.count;
        diagnostics.extend(links.diagnostics);
        for (to, backlink) in links.backlinks {
            backlinks[to].push(backlink);
        }
        outlinks[from] = links.outlinks;
        used_attachments.extend(links.attachments);
        unresolved.extend(links.unresolved);
    }
    for list in &mut backlinks {
        list.sort_by(|a, b| indexed[a.from].note.path.cmp(&indexed[b.from].note.path));
    }

    let tags = collect_tags(&indexed);
    let folders = collect_folders(&mut indexed, &mut namer);
    let published: BTreeSet<&str> = indexed
        .iter()
        .map(|n| n.note.path.as_str())
        .chain(
            used_attachments
                .iter()
                .map(|&a| attachments[a].path.as_str()),
        )
        .collect();
    diagnostics.extend(clash_warnings(namer.clashes(), &published));
    // The root `index.md` that got `index.html` (of `index.md` and
    // `index.MD`, the first in path order).
    let home = indexed.iter().position(|n| n.out_path == "index.html");
    let attachments = attachments
        .into_iter()
        .zip(attachment_out)
        .map(|(attachment, out_path)| IndexedAttachment {
            attachment,
            out_path,
        })
        .collect();
    crate::diagnostics::sort(&mut diagnostics);
    let note_keys = indexed
        .iter()
        .map(|n| view::NoteKey::of(&n.note.path))
        .collect();
    VaultIndex {
        note_keys,
        notes: indexed,
        attachments,
        resolver,
        tags,
        folders,
        outlinks,
        backlinks,
        unresolved,
        used_attachments,
        link_count,
        home,
        diagnostics,
        bodies: match options.release_bodies {
            // Nowhere to read from until told: reading fails the build.
            true => bodies::Bodies::OnDisk(bodies::OnDisk::new(None)),
            false => bodies::Bodies::Held,
        },
    }
}

/// Keeps the first of several files that load gave the same path: names
/// that differ only in Unicode normalisation (NFC/NFD) or in bytes that are
/// not UTF-8 become one name, and two outputs must never claim one source.
fn one_file_per_path<T>(
    mut files: Vec<T>,
    path: impl Fn(&T) -> &String,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<T> {
    files.dedup_by(|later, first| {
        let same = path(later) == path(first);
        if same {
            diagnostics.push(Diagnostic::warning(
                DiagnosticKind::NameCollision,
                path(first).clone(),
                "two files in the vault have this name once normalised (their names differ only in how accented letters are encoded, NFC or NFD, or in bytes that are not UTF-8); only the first is published: rename one",
            ));
        }
        same
    });
    files
}

fn key_file_warning(path: &str, kind: &str) -> Diagnostic {
    Diagnostic::warning(
        DiagnosticKind::KeyFile,
        path,
        format!("this file is {kind}; it is never published (move it out of the vault)"),
    )
}

/// One warning per name clash among published files and folders, naming
/// both sides.
fn clash_warnings(clashes: &[NameClash], published: &BTreeSet<&str>) -> Vec<Diagnostic> {
    // A folder is published when a published file is inside it.
    let folders: BTreeSet<&str> = published
        .iter()
        .flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..i]))
        .collect();
    let is_published = |source: &str| published.contains(source) || folders.contains(source);
    clashes
        .iter()
        .filter(|c| is_published(&c.source))
        .filter(|c| match &c.holder {
            Holder::Spore => true,
            Holder::Source(other) => is_published(other),
        })
        .map(|c| {
            let why = match &c.holder {
                Holder::Spore => format!("{} is a name Spore uses for its own files", c.wanted),
                Holder::Source(other) => {
                    let last = |p: &str| p.rsplit('/').next().unwrap_or(p).to_lowercase();
                    if last(other) == last(&c.source) {
                        format!("{other} has the same name except for letter case, and would be overwritten on Windows and macOS")
                    } else {
                        format!("{other} gets the same output name {} once both names are made portable", c.wanted)
                    }
                }
            };
            Diagnostic::warning(
                DiagnosticKind::NameCollision,
                c.source.clone(),
                format!("name clash: {why}; written as {}", c.output),
            )
        })
        .collect()
}

/// Where one link leads.
enum LinkOutcome {
    SameNote,
    Note(NoteId),
    Attachment(usize),
    Unresolved,
}

/// What note `from`'s links add to the link graph: its outlinks (each
/// target once, in the order first linked), the backlink each target gets
/// (with the sentence of the first link to it), the attachments it uses,
/// its unresolved links and the warnings its links earn. The one place the
/// graph is made from links: `build` calls it for every note, `patch.rs`
/// for the notes a save changed.
pub(crate) struct NoteLinks {
    pub outlinks: Vec<NoteId>,
    pub backlinks: Vec<(NoteId, Backlink)>,
    pub attachments: BTreeSet<usize>,
    pub unresolved: Vec<UnresolvedLink>,
    pub diagnostics: Vec<Diagnostic>,
    /// Links written, resolved or not.
    pub count: usize,
}

pub(crate) fn note_links(notes: &[IndexedNote], resolver: &Resolver, from: NoteId) -> NoteLinks {
    let note = &notes[from];
    let mut out = NoteLinks {
        outlinks: Vec::new(),
        backlinks: Vec::new(),
        attachments: BTreeSet::new(),
        unresolved: Vec::new(),
        diagnostics: Vec::new(),
        count: note.scan.links.len(),
    };
    for link in &note.scan.links {
        let (outcome, diags) = resolve_link(notes, resolver, from, link);
        out.diagnostics.extend(diags);
        match outcome {
            LinkOutcome::SameNote => {}
            LinkOutcome::Note(to) => {
                if to != from && !out.outlinks.contains(&to) {
                    out.outlinks.push(to);
                    out.backlinks.push((
                        to,
                        Backlink {
                            from,
                            context: link.context.clone(),
                            context_hash: link.context_hash,
                        },
                    ));
                }
            }
            LinkOutcome::Attachment(a) => {
                out.attachments.insert(a);
            }
            LinkOutcome::Unresolved => {
                let (line, column) = link_position(&note.note, link);
                out.unresolved.push(UnresolvedLink {
                    from,
                    dest: link.dest.clone(),
                    line,
                    column,
                })
            }
        }
    }
    out
}

/// Resolves one link of note `from`, with the warnings it earns.
fn resolve_link(
    notes: &[IndexedNote],
    resolver: &Resolver,
    from: NoteId,
    link: &scan::RawLink,
) -> (LinkOutcome, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let target = LinkTarget::parse(&link.dest);
    let from_path = &notes[from].note.path;
    let at = link_position(&notes[from].note, link);
    let outcome = if target.is_same_note() {
        check_fragment(notes, from, &target, from_path, at, &mut diagnostics);
        LinkOutcome::SameNote
    } else {
        match resolver.resolve(&target.file, from_path) {
            Some(Resolved::Note(to)) => {
                check_fragment(notes, to, &target, from_path, at, &mut diagnostics);
                LinkOutcome::Note(to)
            }
            Some(Resolved::Attachment(a)) => LinkOutcome::Attachment(a),
            None => LinkOutcome::Unresolved,
        }
    };
    (outcome, diagnostics)
}

fn check_fragment(
    notes: &[IndexedNote],
    to: NoteId,
    target: &LinkTarget,
    from_path: &str,
    (line, column): (usize, usize),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let note = &notes[to];
    if !target.headings.is_empty() && find_heading(&note.scan, &target.headings).is_none() {
        diagnostics.push(
            Diagnostic::warning(
                DiagnosticKind::MissingHeading,
                from_path,
                format!(
                    "link to heading \"{}\" in {}: no such heading; linking to the note",
                    target.headings.join("#"),
                    note.note.path
                ),
            )
            .at(line, column),
        );
    }
    if let Some(block) = &target.block {
        if note.scan.block(block).is_none() {
            diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::MissingHeading,
                    from_path,
                    format!(
                        "link to block ^{block} in {}: no such block; linking to the note",
                        note.note.path
                    ),
                )
                .at(line, column),
            );
        }
    }
}

/// Finds `[[Note#A#B]]`'s heading: each name matched ignoring case (or by
/// its id), each nested inside the section of the one before; the first in
/// document order wins. Lookups go through the scan's heading index, so a
/// note with many headings and many links to them costs linear time.
pub fn find_heading(scan: &NoteScan, path: &[String]) -> Option<usize> {
    let mut within = 0..usize::MAX;
    let mut found: Option<usize> = None;
    for wanted in path {
        let slug = crate::syntax::slug::slugify(wanted);
        let candidates = [
            scan.headings_with_text(&fold(wanted)),
            scan.headings_with_id(&slug),
            scan.headings_with_id(wanted),
        ];
        let i = candidates
            .iter()
            .filter_map(|list| first_within(scan, list, &within, found))
            .min()?;
        within = scan.headings[i].section.clone();
        found = Some(i);
    }
    found
}

/// The first of `candidates` (ascending heading indices) whose section
/// starts inside `within`, other than `skip`.
fn first_within(
    scan: &NoteScan,
    candidates: &[usize],
    within: &std::ops::Range<usize>,
    skip: Option<usize>,
) -> Option<usize> {
    // Section starts grow with the heading index.
    let from = candidates.partition_point(|&i| scan.headings[i].section.start < within.start);
    candidates[from..]
        .iter()
        .copied()
        .find(|&i| Some(i) != skip)
        .filter(|&i| within.contains(&scan.headings[i].section.start))
}

fn merge_tags(frontmatter: &[String], inline: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for tag in frontmatter.iter().chain(inline) {
        let tag = tag.trim_matches('/');
        if !tag.is_empty() && seen.insert(tag_key(tag)) {
            out.push(tag.to_string());
        }
    }
    out
}

fn collect_tags(notes: &[IndexedNote]) -> BTreeMap<String, TagEntry> {
    let mut tags: BTreeMap<String, TagEntry> = BTreeMap::new();
    for (id, note) in notes.iter().enumerate() {
        for tag in &note.tags {
            // Each prefix of a nested tag gets its own page.
            let parts: Vec<&str> = tag.split('/').filter(|p| !p.is_empty()).collect();
            for end in 1..=parts.len() {
                let name = parts[..end].join("/");
                let entry = tags.entry(tag_key(&name)).or_insert_with(|| TagEntry {
                    name,
                    out_path: String::new(),
                    notes: Vec::new(),
                });
                if entry.notes.last() != Some(&id) {
                    entry.notes.push(id);
                }
            }
        }
    }
    let mut namer = Namer::new(&["index.html"]);
    for entry in tags.values_mut() {
        let path = format!("{}.html", entry.name);
        entry.out_path = format!("tags/{}", namer.file(&path, Some("html")));
    }
    tags
}

fn collect_folders(notes: &mut [IndexedNote], namer: &mut Namer) -> BTreeMap<String, FolderEntry> {
    let mut folders: BTreeMap<String, FolderEntry> = BTreeMap::new();
    let ensure = |folders: &mut BTreeMap<String, FolderEntry>, path: &str, namer: &mut Namer| {
        if !folders.contains_key(path) {
            let out = namer.folder(path);
            let out_path = if out.is_empty() {
                "index.html".to_string()
            } else {
                format!("{out}/index.html")
            };
            folders.insert(
                path.to_string(),
                FolderEntry {
                    path: path.to_string(),
                    out_path,
                    ..FolderEntry::default()
                },
            );
        }
    };
    ensure(&mut folders, "", namer);
    for (id, note) in notes.iter().enumerate() {
        let folder = note.note.folder().to_string();
        // Every ancestor folder exists and lists its child.
        let mut current = folder.clone();
        ensure(&mut folders, &current, namer);
        while !current.is_empty() {
            let parent = current
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default();
            ensure(&mut folders, &parent, namer);
            if let Some(p) = folders.get_mut(&parent) {
                if !p.subfolders.contains(&current) {
                    p.subfolders.push(current.clone());
                }
            }
            current = parent;
        }
        if let Some(f) = folders.get_mut(&folder) {
            f.notes.push(id);
            // `index.md` wins over a note named like its folder.
            let folder_name = folder.rsplit('/').next().unwrap_or("");
            // The `index.md` that got the folder's page (one `index.MD`
            // beside it gets a page of its own).
            let is_index = note.note.stem() == "index" && note.out_path == f.out_path;
            let named_like_folder = !folder.is_empty() && note.note.stem() == folder_name;
            if is_index || (named_like_folder && f.folder_note.is_none()) {
                f.folder_note = Some(id);
            }
        }
    }
    for f in folders.values_mut() {
        f.subfolders.sort();
    }
    folders
}
