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
use crate::memo::{Entry, Memo, Recorder};
use crate::render::RenderedNote;
use crate::site::Bytes;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

/// What changed since the last rebuild, to check kept values against.
pub struct Checks {
    /// The bases whose hash changed (index and page bases).
    pub changed: crate::memo::Set<PageBase>,
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
    notes: Memo<NoteKey, NoteNav, PageFact>,
    pub(super) search: Option<SearchState>,
    files: Memo<&'static str, Made, PageFact>,
}

impl NavCache {
    /// Whether every kept text, terms and file still agrees with each fact
    /// it read (for tests). The names of the site's files are left out:
    /// they were read part-way through making the site.
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
        let notes = index
            .note_keys
            .iter()
            .all(|k| self.notes.get(k).is_some_and(|e| fresh(e.reads())));
        let files = [
            super::nav::TREE_SCRIPT,
            super::graph::GRAPH_SCRIPT,
            super::feed::FEED_PATH,
            super::redirects::REDIRECTS,
        ]
        .iter()
        .all(|name| self.files.get(name).is_some_and(|e| fresh(e.reads())));
        notes && files
    }

    /// Every note's text and terms: kept ones, or made by `make` through a
    /// recording view for the notes whose facts changed.
    pub(super) fn note_navs(
        &mut self,
        index: &VaultIndex,
        rendered: &[Arc<RenderedNote>],
        degrees: &Degrees,
        checks: &Checks,
        make: fn(PageView, NoteId) -> NoteNav,
    ) -> Vec<NoteNav> {
        let suspects = self.notes.suspects(&checks.changed);
        let notes = &self.notes;
        type Made = (NoteNav, Option<Entry<NoteNav, PageFact>>);
        let made: Vec<Made> = (0..index.notes.len())
            .into_par_iter()
            .map(|id| {
                let key = index.note_keys[id];
                if let Some(kept) = notes.get(&key) {
                    let check = PageView::new(index, rendered, degrees);
                    if !suspects.contains(&key)
                        || kept.is_valid(|f| check.fact_hash(&checks.keys, f))
                    {
                        return (kept.value.clone(), None);
                    }
                }
                let recorder = Recorder::default();
                let nav = make(PageView::recording(index, rendered, degrees, &recorder), id);
                let entry = Entry::new(nav.clone(), recorder.into_reads());
                (nav, Some(entry))
            })
            .collect();
        let mut navs = Vec::with_capacity(made.len());
        for (id, (nav, entry)) in made.into_iter().enumerate() {
            if let Some(entry) = entry {
                self.notes.insert(index.note_keys[id], entry);
            }
            navs.push(nav);
        }
        if self.notes.len() > index.notes.len() {
            let current: HashSet<NoteKey> = index.note_keys.iter().copied().collect();
            self.notes.retain(|k| current.contains(k));
        }
        navs
    }

    /// The site-wide file `name`: kept, or made by `make` through a
    /// recording view when a fact it read changed.
    pub(super) fn file(
        &mut self,
        name: &'static str,
        view: PageView,
        checks: &Checks,
        make: &dyn Fn(PageView) -> Made,
    ) -> Made {
        if let Some(kept) = self.files.get(&name) {
            // What the site's names are is not in the tables: a file that
            // read them is always checked.
            let suspect = kept.reads().iter().any(|(f, _)| *f == PageFact::SiteNames)
                || self.files.suspects(&checks.changed).contains(&name);
            if !suspect || kept.is_valid(|f| view.fact_hash(&checks.keys, f)) {
                return kept.value.clone();
            }
        }
        let recorder = Recorder::default();
        let made = make(view.recording_into(&recorder));
        self.files
            .insert(name, Entry::new(made.clone(), recorder.into_reads()));
        made
    }
}
