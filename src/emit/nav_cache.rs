//! What `serve` keeps between rebuilds of the search and navigation files,
//! so that a save costs what it changed, not what the vault holds:
//! - each note's plain text and search terms, by the note's render key
//!   (equal key, equal HTML, so equal text);
//! - the search index itself ([`SearchState`]), edited in place;
//! - every other site-wide file with a hash of what it is made from, made
//!   again only when that hash changes.
//!
//! A full build has nothing to keep and passes no cache.

use super::search::{DocTerms, SearchState};
use crate::site::Bytes;
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::Arc;

/// Per-note hashes the caller already has (see `serve::keys`): `render`
/// covers everything a note's HTML is made of, `cards` its output path,
/// title, description and dates, `outlinks` where its links point.
pub struct NavKeys<'a> {
    pub render: &'a [u64],
    pub cards: &'a [u64],
    pub outlinks: &'a [u64],
}

/// One note's text and terms.
#[derive(Clone)]
pub(super) struct NoteNav {
    pub text: Arc<str>,
    pub terms: Arc<DocTerms>,
}

#[derive(Default)]
pub struct NavCache {
    /// By note id, with the render key each was made for.
    pub(super) notes: Vec<(u64, NoteNav)>,
    pub(super) search: Option<SearchState>,
    /// File → (key of its inputs, bytes).
    files: HashMap<&'static str, Option<(u64, Bytes)>>,
    /// The feed's entries: (key of every note's card, [(date, id)]).
    pub(super) latest: Option<(u64, Vec<(String, usize)>)>,
    /// Redirect pages: (key of their inputs, files).
    pub(super) redirects: Option<(u64, Vec<(String, Bytes)>)>,
}

impl NavCache {
    /// The notes whose render key differs from last time, when the notes
    /// kept their ids (`None`: any may have changed).
    pub(super) fn changed_since(&self, render: &[u64]) -> Option<Vec<usize>> {
        if self.notes.len() != render.len() {
            return None;
        }
        let changed: Vec<usize> = (0..render.len())
            .filter(|&id| self.notes[id].0 != render[id])
            .collect();
        // Many changes at once are ids that moved: look them up by key.
        (changed.len() <= 64).then_some(changed)
    }

    /// The bytes of `name` made from inputs with hash `key`: kept ones when
    /// the key is the same as last time (the same `Arc`, which the seal
    /// recognises), else `make()`'s.
    pub(super) fn file(
        &mut self,
        name: &'static str,
        key: u64,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Bytes {
        kept(self.files.entry(name).or_default(), key, || make().into())
    }
}

/// What `slot` keeps when it was made from inputs with hash `key`, else
/// `make()`'s value, kept from now on.
pub(super) fn kept<T: Clone>(slot: &mut Option<(u64, T)>, key: u64, make: impl FnOnce() -> T) -> T {
    match slot {
        Some((old, value)) if *old == key => value.clone(),
        _ => {
            let value = make();
            *slot = Some((key, value.clone()));
            value
        }
    }
}

/// A hasher over XXH3 for input keys (64 bits: a change is never mistaken
/// for no change in practice).
#[derive(Default)]
pub(super) struct KeyHasher(xxhash_rust::xxh3::Xxh3Default);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        self.0.digest()
    }
}

impl KeyHasher {
    pub(super) fn u64s(&mut self, values: &[u64]) -> &mut Self {
        for v in values {
            self.0.update(&v.to_le_bytes());
        }
        self.0.update(&(values.len() as u64).to_le_bytes());
        self
    }
}
