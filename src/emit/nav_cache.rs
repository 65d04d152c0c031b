//! What `serve` keeps between rebuilds of the search and navigation files,
//! so that a save costs what it changed, not what the vault holds:
//! - each note's plain text and search terms, with the facts they were
//!   made from (`crate::memo`);
//! - the search index itself ([`SearchState`]), edited in place;
//! - every other site-wide file, with the facts it read.
//!
//! As for pages, nothing here lists inputs by hand: each value is made
//! through a recording [`PageView`], and is checked only when a base it
//! read changed. A full build has nothing to keep and passes no cache.

use super::graph::Degrees;
use super::search::{DocTerms, SearchState};
use super::view::{PageBase, PageFact, PageView};
use crate::index::view::{Keys, NoteKey};
use crate::index::{NoteId, VaultIndex};
use crate::memo::{Entry, Memo, Recorder, Set};
use crate::render::RenderedNote;
use crate::site::Bytes;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

/// What changed since the last rebuild, to check kept values against.
pub struct Checks {
    /// The bases whose hash changed (index and page bases).
    pub changed: Set<PageBase>,
    pub keys: Keys,
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

/// A site-wide file, or a family of them (the redirect pages).
#[derive(Clone)]
pub enum Made {
    One(Bytes),
    Many(Vec<(String, Bytes)>),
}

impl Made {
    pub fn one(self) -> Bytes {
        match self {
            Made::One(bytes) => bytes,
            Made::Many(_) => Bytes::from(Vec::new()),
        }
    }

    pub fn many(self) -> Vec<(String, Bytes)> {
        match self {
            Made::Many(files) => files,
            Made::One(_) => Vec::new(),
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
}

impl NavCache {
    /// Whether every kept text, terms, file and search index still agrees
    /// with what it was made from (for tests). The names of the site's
    /// files are left out: they were read part-way through making the site.
    #[doc(hidden)]
    pub fn is_fresh(
        &self,
        index: &VaultIndex,
        rendered: &[Arc<RenderedNote>],
        degrees: &Degrees,
        keys: &Keys,
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
        notes && files && self.search_is_fresh(view)
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
    /// The site-wide file `name`: kept, or made by `make` through a
    /// recording view when a fact it read changed.
    pub(super) fn file(
        &mut self,
        name: &'static str,
        view: PageView,
        checks: &Checks,
        make: &dyn Fn(PageView) -> Made,
    ) -> Made {
        if let Some(kept) = self.memo.get(&name) {
            // What the site's names are is not in the tables: a file that
            // read them is always checked.
            let suspect = kept.reads().iter().any(|(f, _)| *f == PageFact::SiteNames)
                || self.memo.suspects(&checks.changed).contains(&name);
            if !suspect || kept.is_valid(|f| view.fact_hash(&checks.keys, f)) {
                return kept.value.clone();
            }
        }
        let recorder = Recorder::default();
        let made = make(view.recording_into(&recorder));
        self.memo
            .insert(name, Entry::new(made.clone(), recorder.into_reads()));
        made
    }
}
