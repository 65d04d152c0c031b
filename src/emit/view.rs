//! What a page may read, through accessors that record (`crate::memo`):
//! the index as `render` sees it ([`IndexView`]) plus what only pages
//! show — rendered notes, backlinks, outlinks, folders, tags and graph
//! neighbours. `serve` re-renders a page exactly when a fact it read hashes
//! differently; `spore build` reads through the same view, unrecorded.
//!
//! As in `index::view`, each accessor and [`PageView::fact_hash`] make the
//! value with one function (`*_value` below) and hash it the same way;
//! note ids inside values are hashed as paths, so ids moving is no change.

use super::graph::Degrees;
use crate::index::view::{
    IndexBase, IndexFact, IndexSink, IndexTable, IndexView, Keys, NoteKey, OUT_PATH, TEXT,
};
use crate::index::{Backlink, FolderEntry, NoteId, TagEntry, VaultIndex};
use crate::memo::{hash_of, FactHasher, Recorder, ABSENT};
use crate::render::RenderedNote;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One thing a page can read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageFact {
    Index(IndexFact),
    /// What lists show of a note: title, output path, description, dates.
    Card(NoteKey),
    /// The note's tags as spelled in it.
    Tags(NoteKey),
    /// The note's HTML and table of contents.
    Rendered(NoteKey),
    Backlinks(NoteKey),
    Outlinks(NoteKey),
    /// The notes linked with it either way (its local graph).
    Neighbours(NoteKey),
    Folder(Box<str>),
    Tag(Box<str>),
    /// Every tag with its page and count (the tag index).
    AllTags,
    /// Which notes there are (their keys, in order).
    NoteList,
    /// A note's aliases and permalink.
    Aliases(NoteKey),
    /// The names of the site's files made so far (the sitemap lists them,
    /// redirects avoid them), hashed as their [`SiteNames::stamp`].
    SiteNames,
}

/// What a page fact is computed from (see [`crate::memo::Fact`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageBase {
    Index(IndexBase),
    Card(NoteKey),
    Tags(NoteKey),
    Rendered(NoteKey),
    Backlinks(NoteKey),
    Outlinks(NoteKey),
    Neighbours(NoteKey),
    Folder(String),
    Tag(String),
    AllTags,
    NoteList,
    Aliases(NoteKey),
    /// Never in a table: `serve` tells whether it changed by the names'
    /// stamp.
    SiteNames,
}

impl crate::memo::Fact for PageFact {
    type Base = PageBase;

    fn base(&self) -> PageBase {
        match self {
            PageFact::Index(f) => PageBase::Index(f.base()),
            PageFact::Card(k) => PageBase::Card(*k),
            PageFact::Tags(k) => PageBase::Tags(*k),
            PageFact::Rendered(k) => PageBase::Rendered(*k),
            PageFact::Backlinks(k) => PageBase::Backlinks(*k),
            PageFact::Outlinks(k) => PageBase::Outlinks(*k),
            PageFact::Neighbours(k) => PageBase::Neighbours(*k),
            PageFact::Folder(f) => PageBase::Folder(f.to_string()),
            PageFact::Tag(t) => PageBase::Tag(t.to_string()),
            PageFact::AllTags => PageBase::AllTags,
            PageFact::NoteList => PageBase::NoteList,
            PageFact::Aliases(k) => PageBase::Aliases(*k),
            PageFact::SiteNames => PageBase::SiteNames,
        }
    }
}

/// Every page-level base, hashed as the accessors hash them (the index's
/// own bases are in `index_table`, from [`crate::index::view::table`]).
///
/// `previous`, the tables and links of the last rebuild, saves work
/// without changing a hash: a note's card, tags and aliases are made from
/// its text and output path alone, and its outlinks from its text and the
/// resolver, so where those hash as before, so do these. With the same
/// resolver (the same notes, so the same ids), a note's backlinks and
/// neighbours change only through a note whose text changed and that
/// linked to it before or links to it now.
pub fn table(
    index: &VaultIndex,
    index_table: &IndexTable,
    previous: Option<Previous>,
    rendered: &[Arc<RenderedNote>],
    degrees: &Degrees,
) -> PageTable {
    use rayon::prelude::*;
    let rows = Rows {
        index,
        index_table,
        previous: previous.as_ref(),
        rendered,
        degrees,
    };
    let same_resolver = rows.same_resolver();
    // Notes whose backlinks or neighbours can have changed.
    let mut near_change = vec![!same_resolver; index.notes.len()];
    if let (true, Some(p)) = (same_resolver, previous.as_ref()) {
        for id in 0..index.notes.len() {
            if !rows.same_text(&index.note_keys[id]) {
                near_change[id] = true;
                for &to in p.outlinks[id].iter().chain(&index.outlinks[id]) {
                    near_change[to] = true;
                }
            }
        }
    }
    let notes: Vec<(NoteKey, [u64; 7])> = (0..index.notes.len())
        .into_par_iter()
        .map(|id| {
            (
                index.note_keys[id],
                rows.row(id, same_resolver, near_change[id]),
            )
        })
        .collect();
    crate::memo::Table::new(notes, other_rows(index))
}

/// [`table`] for an index patched in place (the same notes under the same
/// ids) since `previous`, where only the notes in `touched` were patched or
/// rendered again: their rows and those of the notes they link to, then or
/// now, are made again; every other row is taken. Also returns the notes
/// whose rows were made. `None` when the links resolve differently: then
/// any row may change ([`table`]).
pub fn table_patched(
    index: &VaultIndex,
    index_table: &IndexTable,
    previous: Previous,
    touched: &std::collections::BTreeSet<NoteId>,
    rendered: &[Arc<RenderedNote>],
    degrees: &Degrees,
) -> Option<(PageTable, Vec<NoteId>)> {
    let rows = Rows {
        index,
        index_table,
        previous: Some(&previous),
        rendered,
        degrees,
    };
    if !rows.same_resolver() || previous.outlinks.len() != index.notes.len() {
        return None;
    }
    let mut near_change = std::collections::BTreeSet::new();
    for &id in touched {
        if id >= index.notes.len() {
            return None;
        }
        if !rows.same_text(&index.note_keys[id]) {
            near_change.insert(id);
            near_change.extend(previous.outlinks[id].iter().chain(&index.outlinks[id]));
        }
    }
    let made: Vec<NoteId> = touched.union(&near_change).copied().collect();
    let notes = made.iter().map(|&id| {
        (
            index.note_keys[id],
            rows.row(id, true, near_change.contains(&id)),
        )
    });
    let table = previous.page_table.patched(notes, other_rows(index));
    Some((table, made))
}

/// What a page table's rows are made from.
struct Rows<'a> {
    index: &'a VaultIndex,
    index_table: &'a IndexTable,
    previous: Option<&'a Previous<'a>>,
    rendered: &'a [Arc<RenderedNote>],
    degrees: &'a Degrees,
}

impl Rows<'_> {
    fn same_resolver(&self) -> bool {
        self.previous.is_some_and(|p| {
            p.index_table.other(&IndexBase::Resolver)
                == self.index_table.other(&IndexBase::Resolver)
                && p.outlinks.len() == self.index.notes.len()
        })
    }

    /// Whether the note's text and path are as when `previous` was made.
    fn same_text(&self, key: &NoteKey) -> bool {
        self.previous.is_some_and(
            |p| match (p.index_table.row(key), self.index_table.row(key)) {
                (Some(old), Some(now)) => old[TEXT] == now[TEXT] && old[OUT_PATH] == now[OUT_PATH],
                _ => false,
            },
        )
    }

    /// Note `id`'s row, taking what cannot have changed from the last
    /// one: all but the rendering when its text is the same, and its links
    /// too unless a note near it changed.
    fn row(&self, id: NoteId, same_resolver: bool, near_change: bool) -> [u64; 7] {
        let index = self.index;
        let key = index.note_keys[id];
        let kept = self
            .previous
            .filter(|_| self.same_text(&key))
            .and_then(|p| p.page_table.row(&key));
        let linked = kept.filter(|_| !near_change);
        [
            kept.map_or_else(|| hash_of(&card_value(index, id)), |r| r[CARD]),
            kept.map_or_else(|| hash_of(index.notes[id].tags.as_slice()), |r| r[TAGS]),
            self.rendered.get(id).map_or(ABSENT, |r| hash_rendered(r)),
            linked.map_or_else(
                || hash_backlinks(index, &index.backlinks[id]),
                |r| r[BACKLINKS],
            ),
            match kept {
                Some(r) if same_resolver => r[OUTLINKS],
                _ => hash_ids(index, &index.outlinks[id]),
            },
            linked.map_or_else(
                || hash_ids(index, &self.degrees.neighbours[id]),
                |r| r[NEIGHBOURS],
            ),
            kept.map_or_else(|| hash_of(&aliases_value(index, id)), |r| r[ALIASES]),
        ]
    }
}

/// The page bases that are not per note.
fn other_rows(index: &VaultIndex) -> Vec<(PageBase, u64)> {
    let mut rows: Vec<(PageBase, u64)> = Vec::new();
    for (key, folder) in &index.folders {
        rows.push((
            PageBase::Folder(key.clone()),
            hash_folder(index, Some(folder)),
        ));
    }
    for (key, tag) in &index.tags {
        rows.push((PageBase::Tag(key.clone()), hash_tag(index, Some(tag))));
    }
    rows.push((PageBase::AllTags, hash_all_tags(&index.tags)));
    rows.push((PageBase::NoteList, hash_of(index.note_keys.as_slice())));
    rows
}

/// The page-level bases, hashed ([`table`]): per note `[Card, Tags,
/// Rendered, Backlinks, Outlinks, Neighbours, Aliases]`.
pub type PageTable = crate::memo::Table<PageBase, NoteKey, 7>;

/// Row positions in a [`PageTable`].
pub const CARD: usize = 0;
pub const TAGS: usize = 1;
pub const RENDERED: usize = 2;
pub const BACKLINKS: usize = 3;
pub const OUTLINKS: usize = 4;
pub const NEIGHBOURS: usize = 5;
pub const ALIASES: usize = 6;

/// What the last rebuild left, for [`table`] to reuse.
#[derive(Clone, Copy)]
pub struct Previous<'a> {
    pub index_table: &'a IndexTable,
    pub page_table: &'a PageTable,
    /// Each note's outlinks then, by id.
    pub outlinks: &'a [Vec<NoteId>],
}

/// The per-note base at `kind` of a [`PageTable`] row.
pub fn row_base(kind: usize, key: NoteKey) -> PageBase {
    match kind {
        CARD => PageBase::Card(key),
        TAGS => PageBase::Tags(key),
        RENDERED => PageBase::Rendered(key),
        BACKLINKS => PageBase::Backlinks(key),
        OUTLINKS => PageBase::Outlinks(key),
        NEIGHBOURS => PageBase::Neighbours(key),
        _ => PageBase::Aliases(key),
    }
}

impl IndexSink for Recorder<PageFact> {
    fn read(&self, fact: IndexFact, hash: u64) {
        self.record(PageFact::Index(fact), hash);
    }
}

/// What lists, backlinks and outlinks show of a note.
#[derive(Debug, Clone, Copy, Hash)]
pub struct Card<'a> {
    pub title: &'a str,
    pub out_path: &'a str,
    pub description: Option<&'a str>,
    pub date: Option<&'a str>,
    pub updated: Option<&'a str>,
}

/// The rendered notes a view can give: all of them (`build_site`,
/// `serve`), or one (the streaming build renders each note where its page
/// is made and keeps none: a page reads only its own note).
#[derive(Clone, Copy)]
enum RenderedNotes<'a> {
    All(&'a [Arc<RenderedNote>]),
    One(NoteId, &'a RenderedNote),
}

impl<'a> RenderedNotes<'a> {
    fn get(self, id: NoteId) -> Option<&'a RenderedNote> {
        match self {
            RenderedNotes::All(all) => all.get(id).map(|r| &**r),
            RenderedNotes::One(one, r) => (one == id).then_some(r),
        }
    }
}

/// What a view without that note gives: nothing (a page that reads a note
/// the view does not hold is a bug the streaming build's determinism test
/// catches, never a panic).
fn no_note() -> &'static RenderedNote {
    static EMPTY: std::sync::OnceLock<RenderedNote> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| RenderedNote::new(String::new(), Vec::new(), Vec::new(), false))
}

/// The index, the rendered notes and the graph, read by pages.
#[derive(Clone, Copy)]
pub struct PageView<'a> {
    index: IndexView<'a>,
    rendered: RenderedNotes<'a>,
    degrees: &'a Degrees,
    recorder: Option<&'a Recorder<PageFact>>,
    site: Option<SiteNames<'a>>,
}

/// The names of the site's files made so far, with a stamp that differs
/// whenever they may: `serve` knows when they can have changed without
/// reading sixty thousand names (a build never compares them).
#[derive(Clone, Copy)]
pub struct SiteNames<'a> {
    pub files: &'a BTreeMap<String, crate::site::SiteFile>,
    pub stamp: u64,
}

impl<'a> PageView<'a> {
    /// Reads without recording (`spore build`).
    pub fn new(
        index: &'a VaultIndex,
        rendered: &'a [Arc<RenderedNote>],
        degrees: &'a Degrees,
    ) -> Self {
        PageView {
            index: IndexView::new(index),
            rendered: RenderedNotes::All(rendered),
            degrees,
            recorder: None,
            site: None,
        }
    }

    /// Reads without recording, holding note `id`'s rendering only (or
    /// none): what the streaming build gives each page.
    pub fn with_note(
        index: &'a VaultIndex,
        note: Option<(NoteId, &'a RenderedNote)>,
        degrees: &'a Degrees,
    ) -> Self {
        PageView {
            index: IndexView::new(index),
            rendered: match note {
                Some((id, r)) => RenderedNotes::One(id, r),
                None => RenderedNotes::All(&[]),
            },
            degrees,
            recorder: None,
            site: None,
        }
    }

    /// Whether this view holds note `id`'s rendering (every view but the
    /// streaming build's does); not a recorded read.
    pub fn has_rendered(&self, id: NoteId) -> bool {
        self.rendered.get(id).is_some()
    }

    pub fn recording(
        index: &'a VaultIndex,
        rendered: &'a [Arc<RenderedNote>],
        degrees: &'a Degrees,
        recorder: &'a Recorder<PageFact>,
    ) -> Self {
        PageView {
            index: IndexView::recording(index, recorder),
            rendered: RenderedNotes::All(rendered),
            degrees,
            recorder: Some(recorder),
            site: None,
        }
    }

    /// The same view, recording into `recorder`.
    pub fn recording_into<'r>(&self, recorder: &'r Recorder<PageFact>) -> PageView<'r>
    where
        'a: 'r,
    {
        PageView {
            index: IndexView::recording(self.ix(), recorder),
            rendered: self.rendered,
            degrees: self.degrees,
            recorder: Some(recorder),
            site: self.site,
        }
    }

    /// The same view, able to tell the names of the site's files.
    pub fn with_site(self, names: SiteNames<'a>) -> Self {
        PageView {
            site: Some(names),
            ..self
        }
    }

    /// The stamp of the names [`Self::with_site`] gave, not a recorded read.
    pub fn names_stamp(&self) -> Option<u64> {
        self.site.map(|s| s.stamp)
    }

    /// Every note id, recorded as the list of notes.
    pub fn note_ids(&self) -> std::ops::Range<NoteId> {
        let ix = self.ix();
        self.record(|| PageFact::NoteList, || hash_of(ix.note_keys.as_slice()));
        0..ix.notes.len()
    }

    /// A note's aliases and permalink.
    pub fn aliases(&self, id: NoteId) -> (&'a [String], Option<&'a str>) {
        let value = aliases_value(self.ix(), id);
        self.record(|| PageFact::Aliases(self.key(id)), || hash_of(&value));
        value
    }

    /// The names of the site's files so far (empty without [`Self::with_site`]).
    pub fn site_names(&self) -> &'a BTreeMap<String, crate::site::SiteFile> {
        static NONE: BTreeMap<String, crate::site::SiteFile> = BTreeMap::new();
        self.record(
            || PageFact::SiteNames,
            || self.names_stamp().unwrap_or(ABSENT),
        );
        self.site.map_or(&NONE, |s| s.files)
    }

    /// The index facts (note text, titles, output paths…).
    pub fn index(&self) -> IndexView<'a> {
        self.index
    }

    fn ix(&self) -> &'a VaultIndex {
        self.index.unrecorded_index()
    }

    fn record(&self, fact: impl FnOnce() -> PageFact, hash: impl FnOnce() -> u64) {
        if let Some(r) = self.recorder {
            r.record(fact(), hash());
        }
    }

    fn key(&self, id: NoteId) -> NoteKey {
        self.index.note_key(id)
    }

    pub fn card(&self, id: NoteId) -> Card<'a> {
        let value = card_value(self.ix(), id);
        self.record(|| PageFact::Card(self.key(id)), || hash_of(&value));
        value
    }

    pub fn tags(&self, id: NoteId) -> &'a [String] {
        let value = self.ix().notes[id].tags.as_slice();
        self.record(|| PageFact::Tags(self.key(id)), || hash_of(value));
        value
    }

    pub fn rendered(&self, id: NoteId) -> &'a RenderedNote {
        let rendered: RenderedNotes<'a> = self.rendered;
        let value: &'a RenderedNote = match rendered.get(id) {
            Some(r) => r,
            None => no_note(),
        };
        self.record(|| PageFact::Rendered(self.key(id)), || hash_rendered(value));
        value
    }

    pub fn backlinks(&self, id: NoteId) -> &'a [Backlink] {
        let ix = self.ix();
        let value = ix.backlinks[id].as_slice();
        self.record(
            || PageFact::Backlinks(self.key(id)),
            || hash_backlinks(ix, value),
        );
        value
    }

    pub fn outlinks(&self, id: NoteId) -> &'a [NoteId] {
        let ix = self.ix();
        let value = ix.outlinks[id].as_slice();
        self.record(|| PageFact::Outlinks(self.key(id)), || hash_ids(ix, value));
        value
    }

    pub fn neighbours(&self, id: NoteId) -> &'a [NoteId] {
        let value = self.degrees.neighbours[id].as_slice();
        let ix = self.ix();
        self.record(
            || PageFact::Neighbours(self.key(id)),
            || hash_ids(ix, value),
        );
        value
    }

    pub fn folder(&self, key: &str) -> Option<&'a FolderEntry> {
        let ix = self.ix();
        let value = ix.folders.get(key);
        self.record(|| PageFact::Folder(key.into()), || hash_folder(ix, value));
        value
    }

    pub fn tag(&self, key: &str) -> Option<&'a TagEntry> {
        let ix = self.ix();
        let value = ix.tags.get(key);
        self.record(|| PageFact::Tag(key.into()), || hash_tag(ix, value));
        value
    }

    pub fn all_tags(&self) -> &'a BTreeMap<String, TagEntry> {
        let value = &self.ix().tags;
        self.record(|| PageFact::AllTags, || hash_all_tags(value));
        value
    }

    /// What `fact` hashes to now ([`ABSENT`] for something gone).
    pub fn fact_hash(&self, keys: &Keys, fact: &PageFact) -> u64 {
        if keys.collision {
            return ABSENT;
        }
        let ix = self.ix();
        let note = |k: &NoteKey| keys.note(*k);
        match fact {
            PageFact::Index(f) => self.index.fact_hash(keys, f),
            PageFact::Card(k) => note(k).map_or(ABSENT, |id| hash_of(&card_value(ix, id))),
            PageFact::Tags(k) => note(k).map_or(ABSENT, |id| hash_of(ix.notes[id].tags.as_slice())),
            PageFact::Rendered(k) => note(k)
                .and_then(|id| self.rendered.get(id))
                .map_or(ABSENT, hash_rendered),
            PageFact::Backlinks(k) => {
                note(k).map_or(ABSENT, |id| hash_backlinks(ix, &ix.backlinks[id]))
            }
            PageFact::Outlinks(k) => note(k).map_or(ABSENT, |id| hash_ids(ix, &ix.outlinks[id])),
            PageFact::Neighbours(k) => {
                note(k).map_or(ABSENT, |id| hash_ids(ix, &self.degrees.neighbours[id]))
            }
            PageFact::Folder(key) => hash_folder(ix, ix.folders.get(&**key)),
            PageFact::Tag(key) => hash_tag(ix, ix.tags.get(&**key)),
            PageFact::AllTags => hash_all_tags(&ix.tags),
            PageFact::NoteList => hash_of(ix.note_keys.as_slice()),
            PageFact::Aliases(k) => note(k).map_or(ABSENT, |id| hash_of(&aliases_value(ix, id))),
            PageFact::SiteNames => self.names_stamp().unwrap_or(ABSENT),
        }
    }
}

fn card_value(index: &VaultIndex, id: NoteId) -> Card<'_> {
    let n = &index.notes[id];
    let fm = &n.note.frontmatter;
    Card {
        title: n.title(),
        out_path: &n.out_path,
        description: fm.description.as_deref(),
        date: fm.date.as_deref(),
        updated: fm.updated.as_deref(),
    }
}

fn aliases_value(index: &VaultIndex, id: NoteId) -> (&[String], Option<&str>) {
    let fm = &index.notes[id].note.frontmatter;
    (fm.aliases.as_slice(), fm.permalink.as_deref())
}

fn hash_rendered(r: &RenderedNote) -> u64 {
    r.digest
}

/// Note ids as the paths they stand for.
fn hash_ids(index: &VaultIndex, ids: &[NoteId]) -> u64 {
    let mut h = FactHasher::default();
    ids.len().hash(&mut h);
    for &id in ids {
        index.note_keys[id].hash(&mut h);
    }
    h.finish()
}

fn hash_backlinks(index: &VaultIndex, backlinks: &[Backlink]) -> u64 {
    let mut h = FactHasher::default();
    backlinks.len().hash(&mut h);
    for b in backlinks {
        (index.note_keys[b.from], b.context_hash).hash(&mut h);
    }
    h.finish()
}

fn hash_folder(index: &VaultIndex, folder: Option<&FolderEntry>) -> u64 {
    let Some(f) = folder else {
        return hash_of(&0u8);
    };
    let mut h = FactHasher::default();
    (&f.path, &f.out_path, &f.subfolders).hash(&mut h);
    h.write_u64(hash_ids(index, &f.notes));
    f.folder_note.map(|id| index.note_keys[id]).hash(&mut h);
    h.finish()
}

fn hash_tag(index: &VaultIndex, tag: Option<&TagEntry>) -> u64 {
    let Some(t) = tag else {
        return hash_of(&0u8);
    };
    let mut h = FactHasher::default();
    (&t.name, &t.out_path).hash(&mut h);
    h.write_u64(hash_ids(index, &t.notes));
    h.finish()
}

fn hash_all_tags(tags: &BTreeMap<String, TagEntry>) -> u64 {
    let mut h = FactHasher::default();
    tags.len().hash(&mut h);
    for (key, t) in tags {
        (key, &t.name, &t.out_path, t.notes.len()).hash(&mut h);
    }
    h.finish()
}
