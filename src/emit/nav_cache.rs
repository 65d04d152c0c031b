//! What `serve` keeps between rebuilds of the search and navigation files,
//! so that a save costs what it changed, not what the vault holds:
//! - each note's plain text and search terms, with the facts they were
//!   made from (`crate::memo`);
//! - the search index itself ([`SearchState`]), edited in place;
//! - every other site-wide file, with the facts it read, and what the
//!   redirects avoid, made from the names of the site's files.
//!
//! As for pages, nothing here lists inputs by hand: each value is made
//! through a recording [`PageView`], and is checked only when a base it
//! read changed. A full build has nothing to keep and passes no cache.

use super::graph::Degrees;
use super::redirects::NameSets;
use super::search::{DocTerms, SearchState};
use super::view::{PageBase, PageFact, PageView, SiteNames};
use crate::index::view::{Keys, NoteKey};
use crate::index::{NoteId, VaultIndex};
use crate::memo::{hash_of, Entry, FactHasher, Memo, Recorder, Set};
use crate::render::RenderedNote;
use crate::site::{Bytes, Site};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What changed since the last rebuild, to check kept values against.
pub struct Checks {
    /// The bases whose hash changed (index and page bases).
    pub changed: Set<PageBase>,
    pub keys: Keys,
    /// Whether the names of the files in the site handed to
    /// `add_site_files` may differ from those it held at the last call
    /// (pages came, went or moved). Files that read the site's names are
    /// kept on its word: saying false when they moved keeps them stale.
    pub names_moved: bool,
}

/// One note's text and terms.
#[derive(Clone)]
pub struct NoteNav {
    /// The start of the note's plain text: the first [`NAV_TEXT_CHARS`]
    /// characters, all that snippets and summaries show (the whole text is
    /// read once, for the search terms, and not kept).
    pub text: Arc<str>,
    /// Length in bytes of the whole plain text (the search index's
    /// statistics count it).
    pub text_len: usize,
    pub terms: Arc<DocTerms>,
    /// The note draws a Mermaid diagram (the site then ships Mermaid).
    pub uses_mermaid: bool,
}

impl NoteNav {
    /// Whether both are the very same kept value.
    fn same(&self, other: &NoteNav) -> bool {
        Arc::ptr_eq(&self.text, &other.text) && Arc::ptr_eq(&self.terms, &other.terms)
    }
}

/// Characters of a note's plain text kept for snippets (220) and feed
/// summaries (280): one more than the longest, so an excerpt can tell
/// whether the text goes on.
pub const NAV_TEXT_CHARS: usize = 300;

/// A site-wide file, or a family of them (the redirect pages), shared:
/// a kept family is handed on without copying its list.
#[derive(Clone)]
pub enum Made {
    One(Bytes),
    Many(Arc<[(String, Bytes)]>),
}

impl Made {
    pub fn one(self) -> Bytes {
        match self {
            Made::One(bytes) => bytes,
            Made::Many(_) => Bytes::from(Vec::new()),
        }
    }

    pub fn many(&self) -> &[(String, Bytes)] {
        match self {
            Made::Many(files) => files,
            Made::One(_) => &[],
        }
    }
}

#[derive(Default)]
pub struct NavCache {
    pub(super) notes: NoteNavs,
    pub(super) search: Option<SearchState>,
    pub(super) files: FileCache,
}

/// Each note's text and terms.
#[derive(Default)]
pub(super) struct NoteNavs {
    memo: Memo<NoteKey, NoteNav, PageFact>,
    /// Every note's, by id, as of the last call; and the note each id
    /// was then. While no id moves, a save looks at its suspects only.
    navs: Vec<NoteNav>,
    keys: Vec<NoteKey>,
}

/// The site-wide files but the search index.
#[derive(Default)]
pub(super) struct FileCache {
    memo: Memo<&'static str, Made, PageFact>,
    /// The stamp of the site's names each file's view had at the last
    /// call: a file that read them is checked when it differs.
    seen: HashMap<&'static str, u64>,
    /// Moves on whenever the names the site comes with may have changed.
    generation: u64,
    /// What the redirects avoid, and the stamp of the names it was made
    /// from.
    name_sets: Option<(u64, Arc<NameSets>)>,
    /// The names of the files made before the redirects (for tests).
    made_names: Vec<String>,
}

impl NavCache {
    /// Whether every kept text, terms, file and search index still agrees
    /// with what it was made from (for tests). The site's names a file
    /// read are not checked by their stamp (they were read part-way
    /// through making the site), but what the redirects avoid must be
    /// made from `page_paths` and the files made before them.
    #[doc(hidden)]
    pub fn is_fresh(
        &self,
        index: &VaultIndex,
        rendered: &[Arc<RenderedNote>],
        degrees: &Degrees,
        keys: &Keys,
        page_paths: &BTreeSet<String>,
    ) -> bool {
        let view = PageView::new(index, rendered, degrees);
        let holds = |f: &PageFact| {
            if *f == PageFact::SiteNames {
                return None;
            }
            Some(view.fact_hash(keys, f))
        };
        let fresh = |reads: &[(PageFact, u64)]| {
            reads
                .iter()
                .all(|(f, h)| holds(f).is_none_or(|now| now == *h))
        };
        let notes = self.notes.keys == index.note_keys
            && self.notes.navs.len() == index.notes.len()
            && index
                .note_keys
                .iter()
                .zip(&self.notes.navs)
                .all(|(k, nav)| {
                    self.notes
                        .memo
                        .get(k)
                        .is_some_and(|e| fresh(e.reads()) && e.value.same(nav))
                });
        let files = [
            super::nav::TREE_SCRIPT,
            super::graph::GRAPH_SCRIPT,
            super::feed::FEED_PATH,
            super::redirects::REDIRECTS,
        ]
        .iter()
        .all(|name| self.files.memo.get(name).is_some_and(|e| fresh(e.reads())));
        let names = self.files.name_sets.as_ref().is_none_or(|(_, sets)| {
            **sets == NameSets::new(page_paths.iter().chain(&self.files.made_names))
        });
        notes && files && names && self.search_is_fresh(view)
    }

    /// Whether the kept search index is the one made afresh from the kept
    /// texts and terms.
    fn search_is_fresh(&self, view: PageView) -> bool {
        let Some(kept) = &self.search else {
            return true;
        };
        let navs = &self.notes.navs;
        let docs: Vec<_> = (0..navs.len())
            .map(|id| super::search_doc(view, id, &navs[id].text, navs[id].text_len))
            .collect();
        let mut fresh = SearchState::new(&docs, navs.iter().map(|n| n.terms.clone()).collect());
        fresh.index();
        kept.agrees_with(&fresh)
    }
}

impl NoteNavs {
    /// Every note's text and terms, by id.
    pub(super) fn navs(&self) -> &[NoteNav] {
        &self.navs
    }

    /// Brings every note's text and terms up to date: kept ones, or made
    /// by `make` through a recording view for the notes whose facts
    /// changed. Returns the ids made again, or None when ids moved (every
    /// note is then new to whoever kept something by id).
    pub(super) fn update(
        &mut self,
        index: &VaultIndex,
        rendered: &[Arc<RenderedNote>],
        degrees: &Degrees,
        checks: &Checks,
        make: fn(PageView, NoteId) -> NoteNav,
    ) -> Option<Vec<NoteId>> {
        let suspects = self.memo.suspects(&checks.changed);
        if self.keys != index.note_keys || self.navs.len() != index.notes.len() {
            self.update_all(index, rendered, degrees, checks, &suspects, make);
            return None;
        }
        // The same ids: only a suspect can have changed.
        let mut ids: Vec<NoteId> = suspects
            .iter()
            .filter_map(|k| checks.keys.note(*k))
            .collect();
        ids.sort_unstable();
        let memo = &self.memo;
        let made: Vec<(NoteId, Entry<NoteNav, PageFact>)> = ids
            .into_par_iter()
            .filter_map(|id| {
                let kept = memo.get(&index.note_keys[id]);
                let check = PageView::new(index, rendered, degrees);
                if kept.is_some_and(|e| e.is_valid(|f| check.fact_hash(&checks.keys, f))) {
                    return None;
                }
                Some((id, made_nav(index, rendered, degrees, id, make)))
            })
            .collect();
        let mut remade = Vec::with_capacity(made.len());
        for (id, entry) in made {
            self.navs[id] = entry.value.clone();
            self.memo.insert(index.note_keys[id], entry);
            remade.push(id);
        }
        Some(remade)
    }

    /// [`Self::update`] after ids moved: every note looked up by key.
    fn update_all(
        &mut self,
        index: &VaultIndex,
        rendered: &[Arc<RenderedNote>],
        degrees: &Degrees,
        checks: &Checks,
        suspects: &Set<NoteKey>,
        make: fn(PageView, NoteId) -> NoteNav,
    ) {
        let memo = &self.memo;
        type Made = (NoteNav, Option<Entry<NoteNav, PageFact>>);
        let made: Vec<Made> = (0..index.notes.len())
            .into_par_iter()
            .map(|id| {
                let key = index.note_keys[id];
                if let Some(kept) = memo.get(&key) {
                    let check = PageView::new(index, rendered, degrees);
                    if !suspects.contains(&key)
                        || kept.is_valid(|f| check.fact_hash(&checks.keys, f))
                    {
                        return (kept.value.clone(), None);
                    }
                }
                let entry = made_nav(index, rendered, degrees, id, make);
                (entry.value.clone(), Some(entry))
            })
            .collect();
        let mut navs = Vec::with_capacity(made.len());
        for (id, (nav, entry)) in made.into_iter().enumerate() {
            if let Some(entry) = entry {
                self.memo.insert(index.note_keys[id], entry);
            }
            navs.push(nav);
        }
        if self.memo.len() > index.notes.len() {
            let current: HashSet<NoteKey> = index.note_keys.iter().copied().collect();
            self.memo.retain(|k| current.contains(k));
        }
        self.navs = navs;
        self.keys = index.note_keys.clone();
    }
}

/// Note `id`'s text and terms, made through a recording view.
fn made_nav(
    index: &VaultIndex,
    rendered: &[Arc<RenderedNote>],
    degrees: &Degrees,
    id: NoteId,
    make: fn(PageView, NoteId) -> NoteNav,
) -> Entry<NoteNav, PageFact> {
    let recorder = Recorder::default();
    let nav = make(PageView::recording(index, rendered, degrees, &recorder), id);
    Entry::new(nav, recorder.into_reads())
}

impl FileCache {
    /// Called as the site-wide files start: whether the names the site
    /// came with may differ from last time.
    pub(super) fn begin(&mut self, names_moved: bool) {
        if names_moved {
            self.generation += 1;
        }
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// What the redirects avoid, for `names`: kept while their stamp is.
    pub(super) fn name_sets(&mut self, names: SiteNames, made: &[String]) -> Arc<NameSets> {
        if let Some((stamp, sets)) = &self.name_sets {
            if *stamp == names.stamp {
                return sets.clone();
            }
        }
        let sets = Arc::new(NameSets::new(names.files.keys()));
        self.name_sets = Some((names.stamp, sets.clone()));
        self.made_names = made.to_vec();
        sets
    }

    /// The site-wide file `name`: kept, or made by `make` (given what was
    /// made last time) through a recording view when a fact it read
    /// changed.
    pub(super) fn file(
        &mut self,
        name: &'static str,
        view: PageView,
        checks: &Checks,
        make: &dyn Fn(PageView, Option<&Made>) -> Made,
    ) -> Made {
        // The site's names are in no table: whether they changed is told
        // by their stamp, for a file that read them.
        let names_changed = view
            .names_stamp()
            .is_some_and(|stamp| self.seen.insert(name, stamp) != Some(stamp));
        if let Some(kept) = self.memo.get(&name) {
            let reads_names = || {
                let names: Set<PageBase> = [PageBase::SiteNames].into_iter().collect();
                self.memo.suspects(&names).contains(&name)
            };
            let suspect = self.memo.suspects(&checks.changed).contains(&name)
                || (names_changed && reads_names());
            if !suspect || kept.is_valid(|f| view.fact_hash(&checks.keys, f)) {
                return kept.value.clone();
            }
        }
        let recorder = Recorder::default();
        let made = make(
            view.recording_into(&recorder),
            self.memo.get(&name).map(|e| &e.value),
        );
        self.memo
            .insert(name, Entry::new(made.clone(), recorder.into_reads()));
        made
    }
}

/// The site while its site-wide files go in, noting each name put in:
/// with what `serve` says of the names it came with (its pages), a file
/// that reads the site's names tells whether they changed by a stamp,
/// without reading them all.
pub(super) struct Filling<'s> {
    pub(super) site: &'s mut Site,
    came_with: usize,
    added: FactHasher,
    /// The names put in, in order (kept by `serve`, for tests).
    names: Vec<String>,
    keep_names: bool,
}

impl<'s> Filling<'s> {
    pub(super) fn new(site: &'s mut Site, keep_names: bool) -> Self {
        Filling {
            came_with: site.files.len(),
            site,
            added: FactHasher::default(),
            names: Vec::new(),
            keep_names,
        }
    }

    pub(super) fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Bytes>) {
        let path = path.into();
        path.hash(&mut self.added);
        if self.keep_names {
            self.names.push(path.clone());
        }
        self.site.insert(path, bytes);
    }

    /// The names put in so far.
    pub(super) fn names_added(&self) -> &[String] {
        &self.names
    }

    /// The site's names now, stamped: two stamps are the same only for
    /// the same names, as long as `generation` moves on whenever the
    /// names the site came with may have changed.
    pub(super) fn names(&self, generation: u64) -> SiteNames<'_> {
        let stamp = (
            generation,
            self.came_with,
            self.added.finish(),
            self.site.files.len(),
        );
        SiteNames {
            files: &self.site.files,
            stamp: hash_of(&stamp),
        }
    }
}
