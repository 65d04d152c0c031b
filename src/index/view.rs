//! The index as `render` may read it: every accessor records the fact it
//! read and a hash of what it returned (`crate::memo`), so `serve` knows
//! exactly when a note's HTML must be made again. `spore build` reads
//! through the same view with recording off.
//!
//! Facts name notes and attachments by a hash of their path ([`NoteKey`],
//! [`AttachmentKey`]), not by id: ids move when a note is added before
//! others, paths do not, so a new note re-renders only the notes it
//! concerns. Each accessor and [`IndexView::fact_hash`] compute the value
//! with the same function (`*_value` below), so what is recorded is what
//! is checked.

use super::resolve::Resolved;
use super::scan::NoteScan;
use super::{find_heading, NoteId, VaultIndex};
use crate::load::Note;
use crate::memo::{hash_of, FastState, ABSENT};
use std::collections::HashMap;

/// A note, named by a hash of its vault path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoteKey(u64);

/// An attachment, named by a hash of its vault path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttachmentKey(u64);

impl NoteKey {
    pub fn of(path: &str) -> NoteKey {
        NoteKey(xxhash_rust::xxh3::xxh3_64_with_seed(path.as_bytes(), 1))
    }
}

impl AttachmentKey {
    pub fn of(path: &str) -> AttachmentKey {
        AttachmentKey(xxhash_rust::xxh3::xxh3_64_with_seed(path.as_bytes(), 2))
    }
}

/// One thing `render` can read of the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexFact {
    /// The note's own text: path, frontmatter, body, scan (all made from
    /// the file's bytes and path alone), and its modification time.
    Text(NoteKey),
    OutPath(NoteKey),
    Title(NoteKey),
    /// The id of the heading a `#A#B` path finds in the note.
    Heading(NoteKey, Box<[String]>),
    /// Whether the note has block `^id`.
    Block(NoteKey, Box<str>),
    /// What a name written in a note resolves to.
    Resolve(NoteKey, Box<str>),
    /// The page of a tag (by folded key), if it has one.
    TagPage(String),
    /// An attachment's output path and vault path.
    Attachment(AttachmentKey),
}

/// What an index fact is computed from (see [`crate::memo::Fact`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexBase {
    Text(NoteKey),
    OutPath(NoteKey),
    Title(NoteKey),
    /// Every resolution: the names and aliases it chooses among.
    Resolver,
    TagPage(String),
    Attachment(AttachmentKey),
}

impl crate::memo::Fact for IndexFact {
    type Base = IndexBase;

    fn base(&self) -> IndexBase {
        match self {
            IndexFact::Text(k) => IndexBase::Text(*k),
            // What a heading path or block id finds is made from the text.
            IndexFact::Heading(k, _) | IndexFact::Block(k, _) => IndexBase::Text(*k),
            IndexFact::OutPath(k) => IndexBase::OutPath(*k),
            IndexFact::Title(k) => IndexBase::Title(*k),
            // A note key stands for one path, so a resolution depends on
            // the resolver alone.
            IndexFact::Resolve(..) => IndexBase::Resolver,
            IndexFact::TagPage(t) => IndexBase::TagPage(t.clone()),
            IndexFact::Attachment(a) => IndexBase::Attachment(*a),
        }
    }
}

/// Every base of `index`, hashed: the facts themselves where a fact is its
/// own base (with the very hash an accessor records), the resolver's
/// digest for resolutions.
pub fn table(index: &VaultIndex) -> IndexTable {
    use rayon::prelude::*;
    let notes: Vec<(NoteKey, [u64; 3])> = (0..index.notes.len())
        .into_par_iter()
        .map(|id| (index.note_keys[id], row(index, id)))
        .collect();
    crate::memo::Table::new(notes, other_rows(index))
}

/// [`table`] for an index patched in place from the one `previous` was
/// made for: the rows of `ids` are made again, every other note's are
/// taken (a patch changes no other note's text, path or title).
pub fn table_patched(
    index: &VaultIndex,
    previous: &IndexTable,
    ids: &std::collections::BTreeSet<NoteId>,
) -> IndexTable {
    let rows = ids
        .iter()
        .filter(|&&id| id < index.notes.len())
        .map(|&id| (index.note_keys[id], row(index, id)));
    previous.patched(rows, other_rows(index))
}

/// Note `id`'s row: `[Text, OutPath, Title]`.
fn row(index: &VaultIndex, id: NoteId) -> [u64; 3] {
    [
        hash_text(text_value(index, id).0),
        hash_of(out_path_value(index, id)),
        hash_of(title_value(index, id)),
    ]
}

/// The bases that are not per note.
fn other_rows(index: &VaultIndex) -> Vec<(IndexBase, u64)> {
    let mut rows: Vec<(IndexBase, u64)> = vec![(IndexBase::Resolver, index.resolver.digest())];
    for key in index.tags.keys() {
        rows.push((
            IndexBase::TagPage(key.clone()),
            hash_of(&tag_value(index, key)),
        ));
    }
    for (a, attachment) in index.attachments.iter().enumerate() {
        let key = AttachmentKey::of(&attachment.attachment.path);
        rows.push((
            IndexBase::Attachment(key),
            hash_of(&attachment_value(index, a)),
        ));
    }
    rows
}

/// The index's bases, hashed ([`table`]): per note `[Text, OutPath, Title]`.
pub type IndexTable = crate::memo::Table<IndexBase, NoteKey, 3>;

/// Row positions in an [`IndexTable`].
pub const TEXT: usize = 0;
pub const OUT_PATH: usize = 1;
pub const TITLE: usize = 2;

/// The per-note base at `kind` of an [`IndexTable`] row.
pub fn row_base(kind: usize, key: NoteKey) -> IndexBase {
    match kind {
        TEXT => IndexBase::Text(key),
        OUT_PATH => IndexBase::OutPath(key),
        _ => IndexBase::Title(key),
    }
}

/// Note keys → ids for one index, to check recorded facts against it.
#[derive(Debug, Default)]
pub struct Keys {
    notes: HashMap<NoteKey, NoteId, FastState>,
    attachments: HashMap<AttachmentKey, usize, FastState>,
    /// Two paths share a key: no fact about either can be trusted, so
    /// nothing recorded is ever reused.
    pub collision: bool,
}

impl Keys {
    pub fn new(index: &VaultIndex) -> Keys {
        let mut keys = Keys::default();
        keys.notes.reserve(index.notes.len());
        for (id, &key) in index.note_keys.iter().enumerate() {
            keys.collision |= keys.notes.insert(key, id).is_some();
        }
        for (i, a) in index.attachments.iter().enumerate() {
            let key = AttachmentKey::of(&a.attachment.path);
            keys.collision |= keys.attachments.insert(key, i).is_some();
        }
        keys
    }

    pub fn note(&self, key: NoteKey) -> Option<NoteId> {
        self.notes.get(&key).copied()
    }
}

/// Where a view's reads go.
pub trait IndexSink {
    fn read(&self, fact: IndexFact, hash: u64);
}

impl IndexSink for crate::memo::Recorder<IndexFact> {
    fn read(&self, fact: IndexFact, hash: u64) {
        self.record(fact, hash);
    }
}

/// The index, read through accessors that record.
#[derive(Clone, Copy)]
pub struct IndexView<'a> {
    index: &'a VaultIndex,
    sink: Option<&'a dyn IndexSink>,
}

impl<'a> IndexView<'a> {
    /// Reads without recording (`spore build`).
    pub fn new(index: &'a VaultIndex) -> Self {
        IndexView { index, sink: None }
    }

    pub fn recording(index: &'a VaultIndex, sink: &'a dyn IndexSink) -> Self {
        IndexView {
            index,
            sink: Some(sink),
        }
    }

    fn record(&self, fact: impl FnOnce() -> IndexFact, hash: impl FnOnce() -> u64) {
        if let Some(sink) = self.sink {
            sink.read(fact(), hash());
        }
    }

    pub fn note_key(&self, id: NoteId) -> NoteKey {
        self.index.note_keys[id]
    }

    /// The note's text and everything made from it alone.
    pub fn note(&self, id: NoteId) -> (&'a Note, &'a NoteScan) {
        let value = text_value(self.index, id);
        self.record(|| IndexFact::Text(self.note_key(id)), || hash_text(value.0));
        value
    }

    /// The note's body (its text as [`Self::note`] records it): borrowed
    /// when the index holds it, else read again from the vault.
    pub fn body(&self, id: NoteId) -> std::borrow::Cow<'a, str> {
        let (note, _) = self.note(id);
        self.index.bodies.of(note)
    }

    pub fn out_path(&self, id: NoteId) -> &'a str {
        let value = out_path_value(self.index, id);
        self.record(|| IndexFact::OutPath(self.note_key(id)), || hash_of(value));
        value
    }

    pub fn title(&self, id: NoteId) -> &'a str {
        let value = title_value(self.index, id);
        self.record(|| IndexFact::Title(self.note_key(id)), || hash_of(value));
        value
    }

    /// The id of the heading `path` (`[[Note#A#B]]`) finds in the note.
    pub fn heading(&self, id: NoteId, path: &[String]) -> Option<&'a str> {
        let value = heading_value(self.index, id, path);
        self.record(
            || IndexFact::Heading(self.note_key(id), path.into()),
            || hash_of(&value),
        );
        value
    }

    pub fn has_block(&self, id: NoteId, block: &str) -> bool {
        let value = block_value(self.index, id, block);
        self.record(
            || IndexFact::Block(self.note_key(id), block.into()),
            || hash_of(&value),
        );
        value
    }

    /// What `file` (as written in note `from`) points at.
    pub fn resolve(&self, from: NoteId, file: &str) -> Option<Resolved> {
        let value = resolve_value(self.index, from, file);
        self.record(
            || IndexFact::Resolve(self.note_key(from), file.into()),
            || hash_resolved(self.index, value),
        );
        value
    }

    /// The output path of the page of the tag with folded key `key`.
    pub fn tag_page(&self, key: &str) -> Option<&'a str> {
        let value = tag_value(self.index, key);
        self.record(|| IndexFact::TagPage(key.to_string()), || hash_of(&value));
        value
    }

    /// An attachment's output path and vault path.
    pub fn attachment(&self, a: usize) -> (&'a str, &'a str) {
        let value = attachment_value(self.index, a);
        self.record(
            || IndexFact::Attachment(AttachmentKey::of(value.1)),
            || hash_of(&value),
        );
        value
    }

    /// What `fact` hashes to in this index ([`ABSENT`] if it names
    /// something the index no longer has).
    pub fn fact_hash(&self, keys: &Keys, fact: &IndexFact) -> u64 {
        if keys.collision {
            return ABSENT;
        }
        let ix = self.index;
        let note = |k: &NoteKey| keys.note(*k);
        match fact {
            IndexFact::Text(k) => note(k).map_or(ABSENT, |id| hash_text(text_value(ix, id).0)),
            IndexFact::OutPath(k) => note(k).map_or(ABSENT, |id| hash_of(out_path_value(ix, id))),
            IndexFact::Title(k) => note(k).map_or(ABSENT, |id| hash_of(title_value(ix, id))),
            IndexFact::Heading(k, path) => {
                note(k).map_or(ABSENT, |id| hash_of(&heading_value(ix, id, path)))
            }
            IndexFact::Block(k, block) => {
                note(k).map_or(ABSENT, |id| hash_of(&block_value(ix, id, block)))
            }
            IndexFact::Resolve(k, file) => {
                note(k).map_or(ABSENT, |id| hash_resolved(ix, resolve_value(ix, id, file)))
            }
            IndexFact::TagPage(key) => hash_of(&tag_value(ix, key)),
            IndexFact::Attachment(k) => keys
                .attachments
                .get(k)
                .map_or(ABSENT, |&a| hash_of(&attachment_value(ix, a))),
        }
    }

    /// The index itself, unrecorded: only `emit::view` may ask, to build
    /// its own recording accessors (`tests/it/codemap.rs` checks that no
    /// other module calls this).
    pub fn unrecorded_index(&self) -> &'a VaultIndex {
        self.index
    }
}

fn text_value(index: &VaultIndex, id: NoteId) -> (&Note, &NoteScan) {
    let n = &index.notes[id];
    (&n.note, &n.scan)
}

/// The scan and every field of `Note` but the time are made from the path
/// and the file's bytes, which `source_sha256` names.
fn hash_text(note: &Note) -> u64 {
    hash_of(&(&note.path, &note.source_sha256, note.modified))
}

fn out_path_value(index: &VaultIndex, id: NoteId) -> &str {
    index.notes[id].out_path.as_str()
}

fn title_value(index: &VaultIndex, id: NoteId) -> &str {
    index.notes[id].title()
}

fn block_value(index: &VaultIndex, id: NoteId, block: &str) -> bool {
    index.notes[id].scan.block(block).is_some()
}

fn tag_value<'a>(index: &'a VaultIndex, key: &str) -> Option<&'a str> {
    index.tags.get(key).map(|t| t.out_path.as_str())
}

fn heading_value<'a>(index: &'a VaultIndex, id: NoteId, path: &[String]) -> Option<&'a str> {
    let scan = &index.notes[id].scan;
    find_heading(scan, path).map(|h| scan.headings[h].id.as_str())
}

fn resolve_value(index: &VaultIndex, from: NoteId, file: &str) -> Option<Resolved> {
    index.resolver.resolve(file, &index.notes[from].note.path)
}

/// A resolution names its target by path, so the hash survives ids moving.
fn hash_resolved(index: &VaultIndex, value: Option<Resolved>) -> u64 {
    match value {
        Some(Resolved::Note(id)) => hash_of(&(1u8, index.note_keys[id])),
        Some(Resolved::Attachment(a)) => hash_of(&(2u8, &index.attachments[a].attachment.path)),
        None => hash_of(&0u8),
    }
}

fn attachment_value(index: &VaultIndex, a: usize) -> (&str, &str) {
    let a = &index.attachments[a];
    (a.out_path.as_str(), a.attachment.path.as_str())
}
