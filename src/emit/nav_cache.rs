//! What `serve` keeps between rebuilds of the search and navigation files:
//! each note's plain text and search terms, found again by a hash of what
//! they are made from. A full build has nothing to keep and passes no cache.

use super::search::{self, DocTerms, SearchDoc};
use crate::index::VaultIndex;
use crate::render::RenderedNote;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Default)]
pub struct NavCache {
    texts: HashMap<u64, Arc<String>>,
    terms: HashMap<u64, Arc<DocTerms>>,
}

fn key(parts: impl Hash) -> u64 {
    let mut h = Xxh3Hasher::default();
    parts.hash(&mut h);
    h.finish()
}

/// `std::hash::Hasher` over XXH3 (64 bits: a change is never mistaken for
/// no change in practice).
#[derive(Default)]
struct Xxh3Hasher(xxhash_rust::xxh3::Xxh3Default);

impl Hasher for Xxh3Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        self.0.digest()
    }
}

impl NavCache {
    /// Each note's plain text (see [`super::note_text`]), reusing the
    /// texts of notes whose title and HTML are unchanged.
    pub fn texts(&mut self, index: &VaultIndex, rendered: &[RenderedNote]) -> Vec<String> {
        let keys: Vec<u64> = index
            .notes
            .par_iter()
            .zip(rendered)
            .map(|(note, r)| key((note.title(), &r.html)))
            .collect();
        let texts: Vec<Arc<String>> = keys
            .par_iter()
            .enumerate()
            .map(|(id, k)| match self.texts.get(k) {
                Some(text) => text.clone(),
                None => Arc::new(super::note_text(index, rendered, id)),
            })
            .collect();
        self.texts = keys.into_iter().zip(texts.iter().cloned()).collect();
        texts.iter().map(|t| t.as_str().to_string()).collect()
    }

    /// Each doc's search terms, reusing those of unchanged docs.
    pub fn terms(&mut self, docs: &[SearchDoc]) -> Vec<Arc<DocTerms>> {
        let keys: Vec<u64> = docs
            .par_iter()
            .map(|d| key((&d.title, &d.aliases, &d.tags, &d.text)))
            .collect();
        let terms: Vec<Arc<DocTerms>> = keys
            .par_iter()
            .zip(docs)
            .map(|(k, doc)| match self.terms.get(k) {
                Some(terms) => terms.clone(),
                None => Arc::new(search::doc_terms(doc)),
            })
            .collect();
        self.terms = keys.into_iter().zip(terms.iter().cloned()).collect();
        terms
    }
}
