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
/// so `serve` keeps it per note between rebuilds, and the streaming build
/// until every page is made.
///
/// Packed in three allocations, in term order: a note has hundreds of
/// distinct terms, and a `String` each cost more in headers and allocator
/// slack than in letters (at 50,000 notes, 100 MB of a build's peak).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocTerms {
    /// Every term, one after another.
    text: Box<str>,
    /// Where each term ends in `text`.
    ends: Box<[u32]>,
    /// Each term's field.
    fields: Box<[u8]>,
}

impl DocTerms {
    /// Packs `(term, field)` pairs; each term once, in byte order.
    pub fn new(mut terms: Vec<(String, u32)>) -> DocTerms {
        terms.sort_unstable();
        terms.dedup_by(|b, a| a.0 == b.0);
        let mut text = String::with_capacity(terms.iter().map(|(t, _)| t.len()).sum());
        let mut ends = Vec::with_capacity(terms.len());
        let mut fields = Vec::with_capacity(terms.len());
        for (term, field) in &terms {
            text.push_str(term);
            // 4 GiB of one note's distinct terms would not fit in memory
            // beside the rest; past it the ends saturate, never panic.
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
            fields.push(u8::try_from(*field).unwrap_or(u8::MAX));
        }
        DocTerms {
            text: text.into(),
            ends: ends.into(),
            fields: fields.into(),
        }
    }

    /// Each term and its field, in byte order of the terms.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .zip(self.fields.iter())
            .map(|((start, end), &field)| {
                let term = self.text.get(start as usize..end as usize).unwrap_or("");
                (term, u32::from(field))
            })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

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
    DocTerms::new(terms.into_iter().collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_terms_give_back_each_term_once_with_its_field_in_byte_order() {
        let terms = DocTerms::new(vec![
            ("zeta".into(), FIELD_BODY),
            ("альфа".into(), FIELD_TITLE),
            ("".into(), FIELD_BODY),
            ("beta".into(), FIELD_ALIAS),
            ("beta".into(), FIELD_ALIAS),
            ("知識".into(), FIELD_BODY),
        ]);
        let back: Vec<(&str, u32)> = terms.iter().collect();
        assert_eq!(
            back,
            [
                ("", FIELD_BODY),
                ("beta", FIELD_ALIAS),
                ("zeta", FIELD_BODY),
                ("альфа", FIELD_TITLE),
                ("知識", FIELD_BODY),
            ]
        );
        assert_eq!(terms.len(), 5);
        assert!(DocTerms::default().is_empty());
    }

    #[test]
    fn a_doc_keeps_the_best_field_of_each_term() {
        let aliases = ["Graph theory".to_string()];
        let doc = SearchDoc {
            title: "Graph",
            path: "graph.html",
            aliases: &aliases,
            tags: &[],
            text: "graph theory and more theory",
            text_len: 28,
        };
        let packed = doc_terms(&doc);
        let terms: Vec<(&str, u32)> = packed.iter().collect();
        let field = |t: &str| terms.iter().find(|(x, _)| *x == t).map(|(_, f)| *f);
        assert_eq!(field("graph"), Some(FIELD_TITLE));
        assert_eq!(field("theory"), Some(FIELD_ALIAS));
        assert_eq!(field("more"), Some(FIELD_BODY));
    }
}
