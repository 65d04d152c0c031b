//! The full-text search index, shipped as classic scripts so it works from
//! `file://` (no `fetch`): `search/meta.js` (shard tables), `search/terms-N.js`
//! (term → postings, split by term range) and `search/docs-N.js` (title,
//! path and excerpt of each note, also used for hover previews). The
//! browser loads only the shards a query needs.
//!
//! Every script calls the global `__spore(kind, number, data)` that
//! `spore.js` defines.

pub mod encode;
pub mod tokenize;

use serde::Serialize;
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};

/// Where the index lives in the output.
pub const DIR: &str = "search";
/// Characters of text kept per note for result snippets and previews.
pub const EXCERPT_CHARS: usize = 220;
/// Target size of one term shard, in bytes.
const TERM_SHARD_BYTES: usize = 24 * 1024;
/// Where a term occurs, stored in the low two bits of each posting
/// (`note * 4 + field`) so results can rank titles above aliases above text.
const FIELD_BODY: u32 = 0;
const FIELD_ALIAS: u32 = 1;
const FIELD_TITLE: u32 = 2;
/// Notes per preview shard (on average; shards are picked by path hash).
const DOCS_PER_SHARD: usize = 64;

/// What the index knows about one published note.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub title: String,
    /// Output path of the note's page.
    pub path: String,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    /// Plain text of the rendered note (headings included).
    pub text: String,
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

pub struct SearchIndex {
    pub files: Vec<(String, Vec<u8>)>,
    pub stats: SearchStats,
}

#[derive(Serialize)]
struct Meta {
    version: u32,
    notes: usize,
    /// First term of each term shard, in UTF-16 order.
    terms: Vec<String>,
    /// First note number of each preview shard.
    docs: Vec<u32>,
    /// Bytes of published text indexed (for the size budget: the index
    /// stays under 30% of it on real vaults).
    text_bytes: usize,
}

fn script(kind: &str, number: usize, data: &impl Serialize) -> Vec<u8> {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    // `</script` cannot occur in a classic script file, but U+2028/9 must
    // not break older parsers either; serde_json leaves them raw.
    let json = json
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("__spore(\"{kind}\",{number},{json});\n").into_bytes()
}

/// Preview shard of a page path: the browser computes the same.
pub fn doc_shard_of(path: &str, shards: usize) -> usize {
    (encode::path_hash(path) % shards.max(1) as u32) as usize
}

fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The terms of one note, each with the best field it appears in (2 title,
/// 1 alias, 0 body): the part of the index that depends on one note only,
/// so `serve` keeps it per note between rebuilds.
pub type DocTerms = Vec<(String, u32)>;

pub fn doc_terms(doc: &SearchDoc) -> DocTerms {
    // term → best field it appears in: 2 title, 1 alias, 0 body.
    let mut terms: HashMap<String, u32> = HashMap::new();
    for t in tokenize::tokens(&doc.title) {
        terms.insert(t, FIELD_TITLE);
    }
    for t in doc.aliases.iter().flat_map(|a| tokenize::tokens(a)) {
        let f = terms.entry(t).or_insert(FIELD_ALIAS);
        *f = (*f).max(FIELD_ALIAS);
    }
    let body = std::iter::once(doc.text.as_str()).chain(doc.tags.iter().map(String::as_str));
    for t in body.flat_map(tokenize::tokens) {
        terms.entry(t).or_insert(FIELD_BODY);
    }
    terms.into_iter().collect()
}

pub fn build(docs: &[SearchDoc]) -> SearchIndex {
    use rayon::prelude::*;
    let terms: Vec<DocTerms> = docs.par_iter().map(doc_terms).collect();
    build_with_terms(docs, &terms)
}

/// [`build`] from each doc's [`doc_terms`], computed beforehand.
pub fn build_with_terms<T: Borrow<DocTerms>>(docs: &[SearchDoc], doc_terms: &[T]) -> SearchIndex {
    let doc_shards = docs.len().div_ceil(DOCS_PER_SHARD).max(1);
    // Note numbers are assigned shard by shard so `meta.docs` maps a
    // number to its shard with a binary search.
    // Each path is hashed once, not once per comparison.
    let shard_of: Vec<usize> = docs
        .iter()
        .map(|d| doc_shard_of(&d.path, doc_shards))
        .collect();
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order
        .sort_unstable_by(|&a, &b| (shard_of[a], &docs[a].path).cmp(&(shard_of[b], &docs[b].path)));

    let mut text_bytes = 0;
    let mut postings: HashMap<&str, Vec<u32>> = HashMap::new();
    for (number, &d) in order.iter().enumerate() {
        let doc = &docs[d];
        text_bytes += doc.title.len()
            + doc.text.len()
            + doc.aliases.iter().map(String::len).sum::<usize>()
            + doc.tags.iter().map(String::len).sum::<usize>();
        for (term, field) in doc_terms[d].borrow().iter() {
            postings
                .entry(term.as_str())
                .or_default()
                .push(number as u32 * 4 + field);
        }
    }
    let mut terms: Vec<(String, Vec<u32>)> = postings
        .into_iter()
        .map(|(term, values)| (term.to_string(), values))
        .collect();
    terms.sort_by(|a, b| utf16_cmp(&a.0, &b.0));

    let mut files = Vec::new();
    let mut shard_firsts = Vec::new();
    let mut shard: Vec<String> = Vec::new();
    let mut shard_bytes = 0;
    let term_count = terms.len();
    for (term, mut values) in terms {
        values.sort_unstable();
        let encoded = encode::postings(&values);
        if shard_bytes > TERM_SHARD_BYTES {
            files.push(flush_terms(
                shard_firsts.len(),
                &mut shard,
                &mut shard_firsts,
            ));
            shard_bytes = 0;
        }
        shard_bytes += term.len() + encoded.len() + 6;
        shard.push(term);
        shard.push(encoded);
    }
    if !shard.is_empty() || shard_firsts.is_empty() {
        files.push(flush_terms(
            shard_firsts.len(),
            &mut shard,
            &mut shard_firsts,
        ));
    }

    let mut doc_starts = Vec::new();
    let mut start = 0usize;
    for s in 0..doc_shards {
        doc_starts.push(start as u32);
        let count = order[start..]
            .iter()
            .take_while(|&&d| shard_of[d] == s)
            .count();
        // [title, path, excerpt, aliases?]: aliases only when there are some.
        let entries: Vec<Vec<String>> = order[start..start + count]
            .iter()
            .map(|&d| {
                let doc = &docs[d];
                let mut entry = vec![
                    doc.title.clone(),
                    doc.path.clone(),
                    crate::emit::text::excerpt(&doc.text, EXCERPT_CHARS),
                ];
                if !doc.aliases.is_empty() {
                    entry.push(doc.aliases.join(", "));
                }
                entry
            })
            .collect();
        start += count;
        files.push((format!("{DIR}/docs-{s}.js"), script("docs", s, &entries)));
    }
    let meta = Meta {
        version: 1,
        notes: docs.len(),
        terms: shard_firsts,
        docs: doc_starts,
        text_bytes,
    };
    let term_shards = meta.terms.len();
    files.push((format!("{DIR}/meta.js"), script("meta", 0, &meta)));
    let stats = SearchStats {
        notes: docs.len(),
        terms: term_count,
        term_shards,
        doc_shards,
        index_bytes: files.iter().map(|(_, b)| b.len()).sum(),
        text_bytes,
    };
    SearchIndex { files, stats }
}

fn flush_terms(
    number: usize,
    shard: &mut Vec<String>,
    firsts: &mut Vec<String>,
) -> (String, Vec<u8>) {
    firsts.push(shard.first().cloned().unwrap_or_default());
    let bytes = script("terms", number, shard);
    shard.clear();
    (format!("{DIR}/terms-{number}.js"), bytes)
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
