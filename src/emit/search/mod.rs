//! The full-text search index, shipped as classic scripts so it works from
//! `file://` (no `fetch`): `search/meta.js` (shard tables), `search/terms-N.js`
//! (term → postings, split by term range) and `search/docs-N.js` (title,
//! path and excerpt of each note, also used for hover previews). The
//! browser loads only the shards a query needs.
//!
//! Every script calls the global `__spore(kind, number, data)` that
//! `spore.js` defines.

pub mod encode;
mod state;
pub mod tokenize;

pub use state::{SearchIndex, SearchState};

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Where the index lives in the output.
pub const DIR: &str = "search";
/// Characters of text kept per note for result snippets and previews.
pub const EXCERPT_CHARS: usize = 220;
/// Where a term occurs, stored in the low two bits of each posting
/// (`note * 4 + field`) so results can rank titles above aliases above text.
const FIELD_BODY: u32 = 0;
const FIELD_ALIAS: u32 = 1;
const FIELD_TITLE: u32 = 2;
/// Notes per preview shard (on average; shards are picked by path hash).
const DOCS_PER_SHARD: usize = 64;

/// What the index knows about one published note (borrowed: the texts
/// of a large vault are not copied to be indexed).
#[derive(Debug, Clone, Copy)]
pub struct SearchDoc<'a> {
    pub title: &'a str,
    /// Output path of the note's page.
    pub path: &'a str,
    pub aliases: &'a [String],
    pub tags: &'a [String],
    /// Plain text of the rendered note (headings included): all of it for
    /// [`doc_terms`], at least its first 300 characters otherwise.
    pub text: &'a str,
    /// Length in bytes of the whole plain text.
    pub text_len: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchStats {
    pub notes: usize,
    pub terms: usize,
    pub term_shards: usize,
    pub doc_shards: usize,
    /// Bytes of every file under `search/`.
    pub index_bytes: usize,
    /// Bytes of the published text: titles, aliases, tags and body text.
    pub text_bytes: usize,
}

/// Preview shard of a page path: the browser computes the same.
pub fn doc_shard_of(path: &str, shards: usize) -> usize {
    (encode::path_hash(path) % shards.max(1) as u32) as usize
}

/// The terms of one note, each with the best field it appears in (2 title,
/// 1 alias, 0 body): the part of the index that depends on one note only,
/// so `serve` keeps it per note between rebuilds.
pub type DocTerms = Vec<(String, u32)>;

pub fn doc_terms(doc: &SearchDoc<'_>) -> DocTerms {
    // term → best field it appears in: 2 title, 1 alias, 0 body.
    let mut terms: HashMap<String, u32> = HashMap::new();
    for t in tokenize::tokens(doc.title) {
        terms.insert(t, FIELD_TITLE);
    }
    for t in doc.aliases.iter().flat_map(|a| tokenize::tokens(a)) {
        let f = terms.entry(t).or_insert(FIELD_ALIAS);
        *f = (*f).max(FIELD_ALIAS);
    }
    let body = std::iter::once(doc.text).chain(doc.tags.iter().map(String::as_str));
    for t in body.flat_map(tokenize::tokens) {
        terms.entry(t).or_insert(FIELD_BODY);
    }
    terms.into_iter().collect()
}

pub fn build(docs: &[SearchDoc]) -> SearchIndex {
    use rayon::prelude::*;
    let terms = docs.par_iter().map(|d| doc_terms(d).into()).collect();
    SearchState::new(docs, terms).index()
}

/// The terms of a query, as the browser derives them (for tests).
pub fn query_terms(query: &str) -> Vec<String> {
    tokenize::tokens(query)
}

/// Note numbers whose index terms start with `prefix`, from the built
/// files: lets tests search the shipped index the way the browser does.
pub fn lookup_prefix(files: &BTreeMap<String, Vec<u8>>, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut numbers = Vec::new();
    for (name, bytes) in files {
        if !name.starts_with(&format!("{DIR}/terms-")) {
            continue;
        }
        let Some(data) = payload(bytes) else { continue };
        let Ok(list) = serde_json::from_str::<Vec<String>>(data) else {
            continue;
        };
        for pair in list.chunks(2) {
            if let [term, post] = pair {
                if term.starts_with(prefix) {
                    numbers.extend(encode::decode_postings(post).into_iter().map(|v| v / 4));
                }
            }
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    for (name, bytes) in files {
        if !name.starts_with(&format!("{DIR}/docs-")) {
            continue;
        }
        let Some(data) = payload(bytes) else { continue };
        let Ok(list) = serde_json::from_str::<Vec<Vec<String>>>(data) else {
            continue;
        };
        let shard: usize = name
            .trim_start_matches(&format!("{DIR}/docs-"))
            .trim_end_matches(".js")
            .parse()
            .unwrap_or(usize::MAX);
        let start = meta_doc_start(files, shard);
        for (i, entry) in list.iter().enumerate() {
            if let Some(path) = entry.get(1) {
                if numbers.contains(&((start + i) as u32)) {
                    paths.push(path.clone());
                }
            }
        }
    }
    paths.sort();
    paths
}

fn meta_doc_start(files: &BTreeMap<String, Vec<u8>>, shard: usize) -> usize {
    files
        .get(&format!("{DIR}/meta.js"))
        .and_then(|b| payload(b))
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["docs"].get(shard).and_then(|n| n.as_u64()))
        .unwrap_or(0) as usize
}

/// The JSON argument of a `__spore(kind, n, DATA);` script.
pub fn payload(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find(',')?;
    let start = start + 1 + text[start + 1..].find(',')? + 1;
    let end = text.rfind(");")?;
    text.get(start..end)
}
