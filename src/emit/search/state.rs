//! The search index as a value that can be kept and changed: every term's
//! postings and its JSON, every note's preview entry. A full build makes one
//! and writes its files; `serve` keeps it and, after an edit that keeps the
//! set of notes, moves only the edited notes' postings and re-encodes only
//! the terms they touch. Both paths write the files through [`SearchState::index`],
//! so an edited index is byte for byte the one a full build makes.

use super::{doc_shard_of, encode, DocTerms, SearchDoc, SearchStats, DIR, DOCS_PER_SHARD};
use crate::site::Bytes;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Target size of one term shard, in bytes.
const TERM_SHARD_BYTES: usize = 24 * 1024;

/// The built files and their numbers.
pub struct SearchIndex {
    pub files: Vec<(String, Bytes)>,
    pub stats: SearchStats,
}

/// A term, ordered as the browser compares strings (UTF-16 code units),
/// so shard boundaries found by binary search in `meta.js` hold.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term(String);

impl Ord for Term {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.encode_utf16().cmp(other.0.encode_utf16())
    }
}

impl PartialOrd for Term {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Default)]
struct Postings {
    /// Sorted `number * 4 + field`.
    values: Vec<u32>,
    /// `"term","postings"`, as it appears inside a shard's JSON array.
    json: String,
    /// What the term counts toward its shard's size.
    weight: usize,
}

impl Postings {
    fn encode(&mut self, term: &str) {
        let encoded = encode::postings(&self.values);
        self.weight = term.len() + encoded.len() + 6;
        self.json = format!("{},\"{encoded}\"", json(&term));
    }
}

#[derive(Serialize)]
struct Meta<'a> {
    version: u32,
    notes: usize,
    /// First term of each term shard, in UTF-16 order.
    terms: &'a [String],
    /// First note number of each preview shard.
    docs: &'a [u32],
    /// Bytes of published text indexed (for the size budget: the index
    /// stays under 30% of it on real vaults).
    text_bytes: usize,
}

pub struct SearchState {
    /// Each doc's page path, in the order the docs were given.
    paths: Vec<String>,
    /// Doc (given order) → note number (shard order), and back.
    number: Vec<u32>,
    order: Vec<usize>,
    /// Preview shard of each doc, in given order.
    shard_of: Vec<usize>,
    doc_shards: usize,
    /// What each doc was indexed with, in given order.
    doc_terms: Vec<Arc<DocTerms>>,
    text_bytes: Vec<usize>,
    /// Preview entry JSON of each note number.
    entries: Vec<String>,
    terms: BTreeMap<Term, Postings>,
    /// The files last written, reused when their bytes are unchanged (so
    /// the seal, which remembers files by their bytes' address, skips them).
    term_files: Vec<Bytes>,
    doc_files: Vec<Option<Bytes>>,
}

impl SearchState {
    /// The index of `docs`, each with its [`super::doc_terms`] (shared:
    /// `serve` keeps them per note too).
    pub fn new(docs: &[SearchDoc], doc_terms: Vec<Arc<DocTerms>>) -> SearchState {
        let doc_shards = docs.len().div_ceil(DOCS_PER_SHARD).max(1);
        // Note numbers are assigned shard by shard so `meta.docs` maps a
        // number to its shard with a binary search. Each path is hashed
        // once, not once per comparison.
        let shard_of: Vec<usize> = docs
            .iter()
            .map(|d| doc_shard_of(d.path, doc_shards))
            .collect();
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            (shard_of[a], docs[a].path).cmp(&(shard_of[b], docs[b].path))
        });
        let mut number = vec![0u32; docs.len()];
        for (n, &d) in order.iter().enumerate() {
            number[d] = n as u32;
        }

        let mut postings: HashMap<&str, Vec<u32>> = HashMap::new();
        for (n, &d) in order.iter().enumerate() {
            for (term, field) in doc_terms[d].iter() {
                postings.entry(term).or_default().push(n as u32 * 4 + field);
            }
        }
        let terms: BTreeMap<Term, Postings> = {
            use rayon::prelude::*;
            let mut list: Vec<(Term, Postings)> = postings
                .into_par_iter()
                .map(|(term, mut values)| {
                    values.sort_unstable();
                    let mut p = Postings {
                        values,
                        ..Postings::default()
                    };
                    p.encode(term);
                    (Term(term.to_string()), p)
                })
                .collect();
            list.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
            list.into_iter().collect()
        };
        let entries = order.iter().map(|&d| entry_json(&docs[d])).collect();
        SearchState {
            paths: docs.iter().map(|d| d.path.to_string()).collect(),
            number,
            order,
            shard_of,
            doc_shards,
            text_bytes: docs.iter().map(text_bytes).collect(),
            doc_terms,
            entries,
            terms,
            term_files: Vec::new(),
            doc_files: vec![None; doc_shards],
        }
    }

    /// The index of `docs` made once (a build): each doc's terms go as
    /// soon as they are in the postings.
    pub fn index_once(docs: &[SearchDoc], doc_terms: Vec<Arc<DocTerms>>) -> SearchIndex {
        let mut state = SearchState::new(docs, doc_terms);
        state.doc_terms = Vec::new();
        state.index()
    }

    /// Takes in an edit that keeps the set of docs (same paths, same
    /// order): the docs whose terms are not the very same `Arc` as last
    /// time are re-indexed. Returns false, changing nothing, when the set
    /// differs (the caller builds a new state).
    pub fn update(&mut self, docs: &[SearchDoc], doc_terms: &[Arc<DocTerms>]) -> bool {
        let same_docs = docs.len() == self.paths.len()
            && doc_terms.len() == docs.len()
            && docs.iter().zip(&self.paths).all(|(d, p)| d.path == p);
        if !same_docs {
            return false;
        }
        let mut touched: BTreeSet<Term> = BTreeSet::new();
        for (d, terms) in doc_terms.iter().enumerate() {
            if Arc::ptr_eq(terms, &self.doc_terms[d]) {
                continue;
            }
            let n = self.number[d];
            for (term, field) in self.doc_terms[d].iter() {
                let key = Term(term.to_string());
                if let Some(p) = self.terms.get_mut(&key) {
                    if let Ok(at) = p.values.binary_search(&(n * 4 + field)) {
                        p.values.remove(at);
                    }
                }
                touched.insert(key);
            }
            for (term, field) in terms.iter() {
                let key = Term(term.to_string());
                let p = self.terms.entry(key.clone()).or_default();
                let value = n * 4 + field;
                if let Err(at) = p.values.binary_search(&value) {
                    p.values.insert(at, value);
                }
                touched.insert(key);
            }
            self.doc_terms[d] = terms.clone();
            self.text_bytes[d] = text_bytes(&docs[d]);
            let entry = entry_json(&docs[d]);
            if entry != self.entries[n as usize] {
                self.entries[n as usize] = entry;
                self.doc_files[self.shard_of[d]] = None;
            }
        }
        for term in touched {
            let empty = match self.terms.get_mut(&term) {
                Some(p) if !p.values.is_empty() => {
                    p.encode(&term.0);
                    false
                }
                Some(_) => true,
                None => false,
            };
            if empty {
                self.terms.remove(&term);
            }
        }
        true
    }

    /// The index's files: term shards, preview shards and `meta.js`.
    pub fn index(&mut self) -> SearchIndex {
        let mut files = Vec::new();
        let mut firsts: Vec<String> = Vec::new();
        let mut term_files = Vec::new();
        let mut shard = String::new();
        let mut shard_first: Option<&str> = None;
        let mut shard_bytes = 0;
        let mut flush = |shard: &mut String, first: Option<&str>, term_files: &mut Vec<Bytes>| {
            let n = term_files.len();
            firsts.push(first.unwrap_or_default().to_string());
            let bytes = format!("__spore(\"terms\",{n},[{shard}]);\n").into_bytes();
            term_files.push(match self.term_files.get(n) {
                Some(old) => reuse(old, bytes),
                None => bytes.into(),
            });
            shard.clear();
        };
        for (term, p) in &self.terms {
            if shard_bytes > TERM_SHARD_BYTES {
                flush(&mut shard, shard_first.take(), &mut term_files);
                shard_bytes = 0;
            }
            shard_bytes += p.weight;
            if shard_first.is_none() {
                shard_first = Some(&term.0);
            } else {
                shard.push(',');
            }
            shard.push_str(&p.json);
        }
        if !shard.is_empty() || term_files.is_empty() {
            flush(&mut shard, shard_first.take(), &mut term_files);
        }
        for (n, bytes) in term_files.iter().enumerate() {
            files.push((format!("{DIR}/terms-{n}.js"), bytes.clone()));
        }
        self.term_files = term_files;

        let mut doc_starts = Vec::with_capacity(self.doc_shards);
        let mut start = 0usize;
        for s in 0..self.doc_shards {
            doc_starts.push(start as u32);
            let count = self.order[start..]
                .iter()
                .take_while(|&&d| self.shard_of[d] == s)
                .count();
            let bytes = match &self.doc_files[s] {
                Some(bytes) => bytes.clone(),
                None => {
                    let list = self.entries[start..start + count].join(",");
                    let bytes =
                        Bytes::from(format!("__spore(\"docs\",{s},[{list}]);\n").into_bytes());
                    self.doc_files[s] = Some(bytes.clone());
                    bytes
                }
            };
            start += count;
            files.push((format!("{DIR}/docs-{s}.js"), bytes));
        }
        let text_bytes = self.text_bytes.iter().sum();
        let meta = Meta {
            version: 1,
            notes: self.paths.len(),
            terms: &firsts,
            docs: &doc_starts,
            text_bytes,
        };
        let term_shards = firsts.len();
        files.push((format!("{DIR}/meta.js"), script("meta", 0, &meta).into()));
        let stats = SearchStats {
            notes: self.paths.len(),
            terms: self.terms.len(),
            term_shards,
            doc_shards: self.doc_shards,
            index_bytes: files.iter().map(|(_, b)| b.len()).sum(),
            text_bytes,
        };
        SearchIndex { files, stats }
    }
}

/// `old` when `new` has the same bytes: the seal knows it already.
fn reuse(old: &Bytes, new: Vec<u8>) -> Bytes {
    if **old == *new {
        old.clone()
    } else {
        new.into()
    }
}

fn text_bytes(doc: &SearchDoc) -> usize {
    doc.title.len()
        + doc.text_len
        + doc.aliases.iter().map(String::len).sum::<usize>()
        + doc.tags.iter().map(String::len).sum::<usize>()
}

/// `[title, path, excerpt, aliases?]`: aliases only when there are some.
fn entry_json(doc: &SearchDoc) -> String {
    let mut entry = vec![
        doc.title.to_string(),
        doc.path.to_string(),
        crate::emit::text::excerpt(doc.text, super::EXCERPT_CHARS),
    ];
    if !doc.aliases.is_empty() {
        entry.push(doc.aliases.join(", "));
    }
    json(&entry)
}

/// JSON safe in a classic script: `</script` cannot occur in a script
/// file, but U+2028/9 must not break older parsers either; serde_json
/// leaves them raw.
fn json(data: &impl Serialize) -> String {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    json.replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn script(kind: &str, number: usize, data: &impl Serialize) -> Vec<u8> {
    format!("__spore(\"{kind}\",{number},{});\n", json(data)).into_bytes()
}
