//! Render keys and page keys: hashes over everything a note's HTML, or a
//! page's template data, is made of. Equal key, equal bytes; so only what
//! has a new key is rendered again.
//!
//! Per-note parts that a change rarely touches are kept between rebuilds
//! and, after an in-place index patch, recomputed only for the notes the
//! change can reach (the changed notes, the notes linking to them and the
//! notes they link to). [`Keys::is_fresh`] recomputes everything to check
//! that (the incremental tests call it after every edit).

use crate::emit::{self, graph::Degrees, PageId};
use crate::index::{NoteId, Target, VaultIndex};
use crate::render::MAX_EMBED_DEPTH;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// Where each link of each note points, by note id (see
/// [`crate::index::patch::resolve_links`]).
pub type Links = [Vec<Option<Target>>];

/// The per-note hashes, by note id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// The tag map (tag → page): rendering reads it for inline tags.
    tags: u64,
    /// What a link into the note reads of it.
    surfaces: Vec<u64>,
    /// What lists, backlinks and outlinks show of it.
    cards: Vec<u64>,
    /// What rendering its own text reads, wherever it is shown.
    own: Vec<u64>,
    /// The notes whose text shows inside its page (see [`embed_closure`]),
    /// kept because finding them walks links and allocates.
    embeds: Vec<Vec<NoteId>>,
    /// The render key: its page, its own text and the notes it embeds.
    pub render: Vec<u64>,
    /// What a page shows of it as its main text.
    note_parts: Vec<u64>,
}

/// The notes an in-place patch replaced, and the notes they linked to
/// before or link to now.
pub struct Patched {
    pub changed: Vec<NoteId>,
    pub targets: BTreeSet<NoteId>,
}

impl Keys {
    pub fn compute(index: &VaultIndex, links: &Links) -> Keys {
        let n = index.notes.len();
        let all = |f: &(dyn Fn(NoteId) -> u64 + Sync)| -> Vec<u64> {
            (0..n).into_par_iter().map(f).collect()
        };
        let mut keys = Keys {
            tags: tags_hash(index),
            surfaces: all(&|id| surface(index, id)),
            cards: all(&|id| card(index, id)),
            ..Keys::default()
        };
        let tag_pages = tag_pages(index);
        keys.own = all(&|id| own(index, links, &keys.surfaces, &tag_pages, id));
        keys.embeds = (0..n)
            .into_par_iter()
            .map(|id| embed_closure(index, links, id))
            .collect();
        keys.render = all(&|id| render_key(index, &keys.embeds, &keys.own, id));
        keys.note_parts = all(&|id| note_part(index, &keys, &tag_pages, id));
        keys
    }

    /// After [`crate::index::patch::replace_notes`]: recomputes what the
    /// patch can have changed.
    /// Returns false when it had to compute every key afresh (the set of
    /// tags changed; even then only notes showing a changed tag get a new
    /// render key).
    pub fn update(&mut self, index: &VaultIndex, links: &Links, patched: &Patched) -> bool {
        let tags = tags_hash(index);
        if tags != self.tags || self.surfaces.len() != index.notes.len() {
            *self = Keys::compute(index, links);
            return false;
        }
        let linking = |ids: &[NoteId]| -> BTreeSet<NoteId> {
            ids.iter()
                .flat_map(|&id| index.backlinks[id].iter().map(|b| b.from))
                .chain(ids.iter().copied())
                .collect()
        };
        for &id in &patched.changed {
            self.surfaces[id] = surface(index, id);
            self.cards[id] = card(index, id);
        }
        let tag_pages = tag_pages(index);
        // A note's own text reads its link targets' surfaces.
        for id in linking(&patched.changed) {
            self.own[id] = own(index, links, &self.surfaces, &tag_pages, id);
        }
        // A note's embeds change when it or a note it embeds changed.
        let changed: BTreeSet<NoteId> = patched.changed.iter().copied().collect();
        let embeds = std::mem::take(&mut self.embeds);
        self.embeds = embeds
            .into_par_iter()
            .enumerate()
            .map(|(id, closure)| {
                let reached = changed.contains(&id) || closure.iter().any(|n| changed.contains(n));
                if reached {
                    embed_closure(index, links, id)
                } else {
                    closure
                }
            })
            .collect();
        let render: Vec<u64> = (0..index.notes.len())
            .into_par_iter()
            .map(|id| render_key(index, &self.embeds, &self.own, id))
            .collect();
        // A page's main text reads its note's render key, card and tags,
        // its backlinks (cards and sentences) and its outlinks' cards.
        let mut parts: BTreeSet<NoteId> = linking(&patched.changed);
        parts.extend(patched.targets.iter().copied());
        parts.extend((0..render.len()).filter(|&id| render[id] != self.render[id]));
        self.render = render;
        for id in parts {
            self.note_parts[id] = note_part(index, self, &tag_pages, id);
        }
        true
    }

    /// Whether every cached part equals a fresh computation.
    pub fn is_fresh(&self, index: &VaultIndex, links: &Links) -> bool {
        *self == Keys::compute(index, links)
    }

    /// What lists, backlinks and outlinks show of each note.
    pub fn cards(&self) -> &[u64] {
        &self.cards
    }

    /// Every page with its output path and page key, in emit order.
    /// `outlinks`: [`outlink_hashes`].
    pub fn pages(
        &self,
        index: &VaultIndex,
        degrees: &Degrees,
        outlinks: &[u64],
    ) -> Vec<(PageId, String, u64)> {
        let inputs = PageInputs::new(self, index, degrees, outlinks);
        emit::page_list(index)
            .into_par_iter()
            .filter_map(|page| inputs.key(page))
            .collect()
    }

    /// [`Keys::pages`] after an [`Keys::update`] that kept every link where
    /// it was (same `outlinks` as for `previous`): a note page is hashed
    /// again only when its note or a neighbour in its local graph shows
    /// something new; the few list pages always are.
    pub fn pages_after(
        &self,
        before: &Keys,
        previous: &[(PageId, String, u64)],
        index: &VaultIndex,
        degrees: &Degrees,
        outlinks: &[u64],
    ) -> Vec<(PageId, String, u64)> {
        let n = index.notes.len();
        let mut near = vec![false; n];
        for id in 0..n {
            let changed = before.cards.get(id) != Some(&self.cards[id])
                || before.note_parts.get(id) != Some(&self.note_parts[id]);
            if changed {
                near[id] = true;
                for &other in &degrees.neighbours[id] {
                    near[other] = true;
                }
            }
        }
        let inputs = PageInputs::new(self, index, degrees, outlinks);
        previous
            .par_iter()
            .filter_map(|(page, path, key)| match page {
                PageId::Note(id) if !near.get(*id).copied().unwrap_or(true) => {
                    Some((page.clone(), path.clone(), *key))
                }
                _ => inputs.key(page.clone()),
            })
            .collect()
    }
}

/// What page keys are made of, besides the per-note keys.
struct PageInputs<'a> {
    keys: &'a Keys,
    index: &'a VaultIndex,
    degrees: &'a Degrees,
    outlinks: &'a [u64],
    /// The site graph: which notes, their titles, and every link.
    site_graph: u64,
}

impl<'a> PageInputs<'a> {
    fn new(
        keys: &'a Keys,
        index: &'a VaultIndex,
        degrees: &'a Degrees,
        outlinks: &'a [u64],
    ) -> PageInputs<'a> {
        let site_graph = {
            let mut h = hasher();
            for (card, outs) in keys.cards.iter().zip(outlinks) {
                (card, outs).hash(&mut h);
            }
            h.finish()
        };
        PageInputs {
            keys,
            index,
            degrees,
            outlinks,
            site_graph,
        }
    }

    /// The page's output path and key (`None` for a page the index lacks).
    fn key(&self, page: PageId) -> Option<(PageId, String, u64)> {
        let PageInputs {
            keys,
            index,
            degrees,
            outlinks,
            site_graph,
        } = *self;
        let mut h = hasher();
        let path = match &page {
            PageId::Note(id) => {
                let note = &index.notes[*id];
                (0u8, keys.note_parts[*id]).hash(&mut h);
                hash_breadcrumbs(index, note.note.folder(), &mut h);
                // The local graph: the neighbours, how connected each is,
                // what they show and how they link.
                (&note.out_path, outlinks[*id]).hash(&mut h);
                for &n in &degrees.neighbours[*id] {
                    (n, keys.cards[n], degrees.neighbours[n].len(), outlinks[n]).hash(&mut h);
                }
                note.out_path.clone()
            }
            PageId::Folder(key) => {
                let folder = index.folders.get(key)?;
                (1u8, &folder.path, &folder.out_path).hash(&mut h);
                folder
                    .folder_note
                    .map(|id| keys.note_parts[id])
                    .hash(&mut h);
                hash_breadcrumbs(index, &folder.path, &mut h);
                for sub in &folder.subfolders {
                    let entry = index.folders.get(sub);
                    let shown = entry.map(|f| (&f.out_path, f.notes.len() + f.subfolders.len()));
                    (sub, shown).hash(&mut h);
                }
                for &id in &folder.notes {
                    keys.cards[id].hash(&mut h);
                }
                folder.out_path.clone()
            }
            PageId::Graph => {
                (5u8, site_graph).hash(&mut h);
                emit::graph::GRAPH_PAGE.to_string()
            }
            PageId::AllTags => {
                2u8.hash(&mut h);
                for tag in index.tags.values() {
                    (&tag.name, &tag.out_path, tag.notes.len()).hash(&mut h);
                }
                "tags/index.html".to_string()
            }
            PageId::Tag(key) => {
                let tag = index.tags.get(key)?;
                (3u8, &tag.name, &tag.out_path).hash(&mut h);
                for &id in &tag.notes {
                    keys.cards[id].hash(&mut h);
                }
                tag.out_path.clone()
            }
            PageId::NotFound => {
                4u8.hash(&mut h);
                "404.html".to_string()
            }
        };
        Some((page, path, h.finish()))
    }
}

/// Each note's outlinks as a hash, for the graphs.
pub fn outlink_hashes(index: &VaultIndex) -> Vec<u64> {
    index
        .outlinks
        .par_iter()
        .map(|outs| {
            let mut h = hasher();
            outs.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// A fast hasher for keys: each byte string is hashed whole with XXH3 and
/// the results (and plain integers) are mixed in, so the many small writes
/// a key is made of cost a multiply each, not a streaming buffer copy.
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.write_u64(xxhash_rust::xxh3::xxh3_64(bytes));
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        // splitmix64's finaliser over the running state and the input.
        let mut z = (self.0.rotate_left(23) ^ n).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn hasher() -> KeyHasher {
    KeyHasher(0)
}

fn tags_hash(index: &VaultIndex) -> u64 {
    let mut h = hasher();
    for (key, entry) in &index.tags {
        (key, &entry.out_path).hash(&mut h);
    }
    h.finish()
}

/// What a link into note `id` reads of it: output path, title, headings and
/// block ids (for `#fragment`s).
fn surface(index: &VaultIndex, id: NoteId) -> u64 {
    let note = &index.notes[id];
    let mut h = hasher();
    note.out_path.hash(&mut h);
    note.title().hash(&mut h);
    for heading in &note.scan.headings {
        (heading.level, &heading.text, &heading.id).hash(&mut h);
        (heading.section.start, heading.section.end).hash(&mut h);
    }
    for block in &note.scan.blocks {
        (&block.id, block.range.start, block.range.end).hash(&mut h);
    }
    h.finish()
}

/// What rendering note `id`'s text reads: its bytes, where its links point
/// and what they read there, and the pages of its tags.
fn own(
    index: &VaultIndex,
    links: &Links,
    surfaces: &[u64],
    tag_pages: &HashMap<&str, u64>,
    id: NoteId,
) -> u64 {
    let note = &index.notes[id];
    let mut h = hasher();
    (&note.note.path, &note.note.source_sha256, surfaces[id]).hash(&mut h);
    // Inline tags link to their pages: only the pages of this note's own
    // tags matter, so a tag added elsewhere re-renders no other note.
    for tag in &note.tags {
        tag_pages.get(tag.as_str()).hash(&mut h);
    }
    for target in links.get(id).into_iter().flatten() {
        match target {
            Some(Target::Note(to)) => (1u8, surfaces[*to]).hash(&mut h),
            Some(Target::Attachment(a)) => {
                let a = &index.attachments[*a];
                (2u8, &a.out_path, &a.attachment.path).hash(&mut h)
            }
            None => 0u8.hash(&mut h),
        }
    }
    h.finish()
}

fn render_key(index: &VaultIndex, embeds: &[Vec<NoteId>], own: &[u64], id: NoteId) -> u64 {
    let mut h = hasher();
    (&index.notes[id].out_path, own[id]).hash(&mut h);
    for &embedded in &embeds[id] {
        (embedded, own[embedded]).hash(&mut h);
    }
    h.finish()
}

/// Notes whose text shows inside note `id`'s page: the notes it embeds, and
/// theirs, as deep as rendering goes (one level more, to be safe).
fn embed_closure(index: &VaultIndex, links: &Links, id: NoteId) -> Vec<NoteId> {
    let mut seen = BTreeSet::new();
    let mut frontier = vec![id];
    for _ in 0..MAX_EMBED_DEPTH + 2 {
        let mut next = Vec::new();
        for from in frontier {
            let scanned = &index.notes[from].scan.links;
            for (link, target) in scanned.iter().zip(links.get(from).into_iter().flatten()) {
                if let (true, Some(Target::Note(to))) = (link.embed, target) {
                    if *to != id && seen.insert(*to) {
                        next.push(*to);
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    seen.into_iter().collect()
}

/// What other pages show of a note: in lists, backlinks and outlinks.
fn card(index: &VaultIndex, id: NoteId) -> u64 {
    let note = &index.notes[id];
    let fm = &note.note.frontmatter;
    let mut h = hasher();
    (
        &note.out_path,
        note.title(),
        &fm.description,
        &fm.date,
        &fm.updated,
    )
        .hash(&mut h);
    h.finish()
}

/// Tag as spelled in a note → its page: few spellings, many uses, so each
/// spelling is folded once.
fn tag_pages(index: &VaultIndex) -> HashMap<&str, u64> {
    let mut pages: HashMap<&str, u64> = HashMap::new();
    for note in &index.notes {
        for tag in &note.tags {
            pages.entry(tag.as_str()).or_insert_with(|| {
                let entry = index.tags.get(&crate::syntax::tags::tag_key(tag));
                let mut h = hasher();
                (tag, entry.map(|e| &e.out_path)).hash(&mut h);
                h.finish()
            });
        }
    }
    pages
}

/// What a page shows of note `id` as its main text (a note page, or a
/// folder page whose text is a folder note).
fn note_part(index: &VaultIndex, keys: &Keys, tag_pages: &HashMap<&str, u64>, id: NoteId) -> u64 {
    let note = &index.notes[id];
    let mut h = hasher();
    // The source hash covers every frontmatter field.
    (
        keys.render[id],
        &note.note.path,
        &note.note.source_sha256,
        keys.cards[id],
    )
        .hash(&mut h);
    for tag in &note.tags {
        tag_pages.get(tag.as_str()).hash(&mut h);
    }
    for b in &index.backlinks[id] {
        (keys.cards[b.from], &b.context).hash(&mut h);
    }
    for &to in &index.outlinks[id] {
        keys.cards[to].hash(&mut h);
    }
    h.finish()
}

/// Output paths of the folder pages from the root down to `folder`.
fn hash_breadcrumbs(index: &VaultIndex, folder: &str, h: &mut KeyHasher) {
    let mut end = 0;
    while end < folder.len() {
        end = folder[end..].find('/').map_or(folder.len(), |i| end + i);
        index
            .folders
            .get(&folder[..end])
            .map(|f| &f.out_path)
            .hash(h);
        end += 1;
    }
}
