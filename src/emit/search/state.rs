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
use std::ops::Bound;
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

#[derive(Debug, Default, PartialEq)]
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
    terms: &'a [&'a str],
    /// First note number of each preview shard.
    docs: &'a [u32],
    /// Bytes of published text indexed (for the size budget: the index
    /// stays under 30% of it on real vaults).
    text_bytes: usize,
}

pub struct SearchState {
    /// Each doc's page path, in the order the docs were given.
    paths: Vec<String>,
    /// Doc (given order) → note number (shard order).
    number: Vec<u32>,
    /// Preview shard of each doc, in given order.
    shard_of: Vec<usize>,
    /// First note number of each preview shard.
    doc_starts: Vec<u32>,
    /// What each doc was indexed with, in given order.
    doc_terms: Vec<Arc<DocTerms>>,
    text_bytes: Vec<usize>,
    /// Their sum (`meta.js` says it).
    text_total: usize,
    /// Preview entry JSON of each note number.
    entries: Vec<String>,
    terms: BTreeMap<Term, Postings>,
    /// Terms whose postings changed (or left) since the files were last
    /// made: only the term shards that held or now hold them are made again.
    touched: BTreeSet<Term>,
    /// Size past which a term shard ends (a test makes it small).
    shard_bytes: usize,
    /// The files last made, handed back while their bytes are unchanged
    /// (the seal remembers files by their bytes' address).
    term_shards: Vec<TermShard>,
    doc_files: Vec<Option<Bytes>>,
    meta: Option<Bytes>,
}

/// One `search/terms-N.js`.
#[derive(Debug, Clone, PartialEq)]
struct TermShard {
    first: Term,
    bytes: Bytes,
    /// Length of the file's opening, `__spore("terms",N,`: what changes
    /// when the shard is numbered again.
    head: usize,
}

/// Each doc's terms, as [`SearchState`] is given them.
enum TermsGiven {
    /// Kept in the state, to update it later (`serve`).
    Kept(Vec<Arc<DocTerms>>),
    /// For one index (a build): each doc's terms go once they are in the
    /// postings, and the postings keep their JSON only.
    Once(Vec<Arc<DocTerms>>),
}

impl SearchState {
    /// The index of `docs`, each with its [`super::doc_terms`] (shared:
    /// `serve` keeps them per note too).
    pub fn new(docs: &[SearchDoc], doc_terms: Vec<Arc<DocTerms>>) -> SearchState {
        SearchState::with_terms(docs, TermsGiven::Kept(doc_terms))
    }

    fn with_terms(docs: &[SearchDoc], given: TermsGiven) -> SearchState {
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
        let text_bytes: Vec<usize> = docs.iter().map(text_bytes).collect();
        let (terms, doc_terms) = match given {
            TermsGiven::Kept(kept) => (postings(&order, &kept), kept),
            TermsGiven::Once(once) => (postings_once(&order, once), Vec::new()),
        };
        SearchState {
            paths: docs.iter().map(|d| d.path.to_string()).collect(),
            doc_starts: doc_starts(&shard_of, doc_shards),
            terms,
            entries: order.iter().map(|&d| entry_json(&docs[d])).collect(),
            number,
            shard_of,
            text_total: text_bytes.iter().sum(),
            text_bytes,
            doc_terms,
            touched: BTreeSet::new(),
            shard_bytes: TERM_SHARD_BYTES,
            term_shards: Vec::new(),
            doc_files: vec![None; doc_shards],
            meta: None,
        }
    }

    /// The index of `docs` made once (a build): each doc's terms go as
    /// soon as they are in the postings.
    pub fn index_once(docs: &[SearchDoc], doc_terms: Vec<Arc<DocTerms>>) -> SearchIndex {
        let mut state = SearchState::with_terms(docs, TermsGiven::Once(doc_terms));
        state.index()
    }

    /// Takes in the docs that changed, each as `(place in the order the
    /// docs were first given, doc, its terms)`, the others being as they
    /// were. Returns false, changing nothing, when one of them is now at
    /// another page path, or at a place the index does not have: the set
    /// of docs differs, and the caller builds a new state.
    pub fn update(&mut self, changed: &[(usize, SearchDoc, Arc<DocTerms>)]) -> bool {
        let fits = changed
            .iter()
            .all(|(d, doc, _)| self.paths.get(*d).is_some_and(|p| p == doc.path));
        if !fits || self.doc_terms.len() != self.paths.len() {
            return false;
        }
        let mut touched = BTreeSet::new();
        for (d, doc, terms) in changed {
            self.update_doc(*d, doc, terms, &mut touched);
        }
        for term in &touched {
            match self.terms.get_mut(term) {
                Some(p) if p.values.is_empty() => {
                    self.terms.remove(term);
                }
                Some(p) => p.encode(&term.0),
                None => {}
            }
        }
        self.touched.extend(touched);
        true
    }

    /// Moves doc `d`'s postings where its terms changed (a term whose
    /// best field changed moves too), and its preview entry.
    fn update_doc(
        &mut self,
        d: usize,
        doc: &SearchDoc,
        terms: &Arc<DocTerms>,
        touched: &mut BTreeSet<Term>,
    ) {
        let (Some(&n), Some(old)) = (self.number.get(d), self.doc_terms.get(d)) else {
            return;
        };
        if !Arc::ptr_eq(old, terms) {
            for (term, was, now) in term_changes(old, terms) {
                let key = Term(term.to_string());
                let p = self.terms.entry(key.clone()).or_default();
                if let Some(field) = was {
                    if let Ok(at) = p.values.binary_search(&(n * 4 + field)) {
                        p.values.remove(at);
                    }
                }
                if let Some(field) = now {
                    if let Err(at) = p.values.binary_search(&(n * 4 + field)) {
                        p.values.insert(at, n * 4 + field);
                    }
                }
                touched.insert(key);
            }
            self.doc_terms[d] = terms.clone();
        }
        let bytes = text_bytes(doc);
        self.text_total = (self.text_total + bytes).saturating_sub(self.text_bytes[d]);
        self.text_bytes[d] = bytes;
        let entry = entry_json(doc);
        if let Some(kept) = self.entries.get_mut(n as usize) {
            if *kept != entry {
                *kept = entry;
                self.doc_files[self.shard_of[d]] = None;
            }
        }
    }

    /// The index's files: term shards, preview shards and `meta.js`. Only
    /// the files whose bytes changed since the last call are new `Bytes`.
    pub fn index(&mut self) -> SearchIndex {
        self.reshard();
        let mut files = Vec::with_capacity(self.term_shards.len() + self.doc_starts.len() + 1);
        for (n, shard) in self.term_shards.iter().enumerate() {
            files.push((format!("{DIR}/terms-{n}.js"), shard.bytes.clone()));
        }
        for s in 0..self.doc_starts.len() {
            files.push((format!("{DIR}/docs-{s}.js"), self.doc_file(s)));
        }
        files.push((format!("{DIR}/meta.js"), self.meta_file()));
        let stats = SearchStats {
            notes: self.paths.len(),
            terms: self.terms.len(),
            term_shards: self.term_shards.len(),
            doc_shards: self.doc_starts.len(),
            index_bytes: files.iter().map(|(_, b)| b.len()).sum(),
            text_bytes: self.text_total,
        };
        SearchIndex { files, stats }
    }

    /// Splits the terms into shards, in order, each ending once past
    /// `shard_bytes`: from scratch the first time, then only from the
    /// shards that held a touched term on, up to where a shard starts
    /// again at the very term an unchanged one started (from there on
    /// the split is the one made before).
    fn reshard(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        if !self.term_shards.is_empty() && touched.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.term_shards);
        let dirty = dirty_shards(&old, &touched);
        let mut made = Vec::with_capacity(old.len());
        if old.is_empty() {
            self.make_shards(Bound::Unbounded, &old, &dirty, &mut made);
        }
        let mut at = 0;
        while let Some(shard) = old.get(at) {
            if !dirty[at] {
                made.push(renumbered(shard, made.len()));
                at += 1;
                continue;
            }
            let from = match at {
                0 => Bound::Unbounded,
                _ => Bound::Included(&shard.first),
            };
            at = self
                .make_shards(from, &old, &dirty, &mut made)
                .unwrap_or(old.len());
        }
        if made.is_empty() {
            made.push(term_shard(0, Term(String::new()), "", None));
        }
        self.term_shards = made;
    }

    /// Makes shards of the terms from `from` on, as from the start of a
    /// shard, until a shard would start where an old one without a
    /// touched term started: returns that one's place (None at the end of
    /// the terms). From there the split is the one made before.
    fn make_shards(
        &self,
        from: Bound<&Term>,
        old: &[TermShard],
        dirty: &[bool],
        made: &mut Vec<TermShard>,
    ) -> Option<usize> {
        let mut body = String::new();
        let mut first: Option<&Term> = None;
        let mut bytes = 0;
        for (term, p) in self.terms.range::<Term, _>((from, Bound::Unbounded)) {
            if bytes > self.shard_bytes {
                if let Some(first) = first.take() {
                    made.push(term_shard(
                        made.len(),
                        first.clone(),
                        &body,
                        old.get(made.len()),
                    ));
                }
                // A dirty one is made again anyway (and may be the one
                // this walk began with: going back to it would not end).
                if let Ok(j) = old.binary_search_by(|s| s.first.cmp(term)) {
                    if !dirty[j] {
                        return Some(j);
                    }
                }
                body.clear();
                bytes = 0;
            }
            bytes += p.weight;
            if first.is_none() {
                first = Some(term);
            } else {
                body.push(',');
            }
            body.push_str(&p.json);
        }
        if let Some(first) = first {
            made.push(term_shard(
                made.len(),
                first.clone(),
                &body,
                old.get(made.len()),
            ));
        }
        None
    }

    /// Preview shard `s`, made again only when one of its entries changed.
    fn doc_file(&mut self, s: usize) -> Bytes {
        if let Some(Some(bytes)) = self.doc_files.get(s) {
            return bytes.clone();
        }
        let start = self.doc_starts.get(s).map_or(0, |&e| e as usize);
        let end = self
            .doc_starts
            .get(s + 1)
            .map_or(self.entries.len(), |&e| e as usize);
        let list = self.entries.get(start..end).unwrap_or_default().join(",");
        let bytes = Bytes::from(format!("__spore(\"docs\",{s},[{list}]);\n").into_bytes());
        if let Some(slot) = self.doc_files.get_mut(s) {
            *slot = Some(bytes.clone());
        }
        bytes
    }

    fn meta_file(&mut self) -> Bytes {
        let firsts: Vec<&str> = self
            .term_shards
            .iter()
            .map(|s| s.first.0.as_str())
            .collect();
        let meta = Meta {
            version: 1,
            notes: self.paths.len(),
            terms: &firsts,
            docs: &self.doc_starts,
            text_bytes: self.text_total,
        };
        let bytes = script("meta", 0, &meta);
        let bytes = match &self.meta {
            Some(old) => reuse(old, bytes),
            None => bytes.into(),
        };
        self.meta = Some(bytes.clone());
        bytes
    }

    /// Whether this state is the one `fresh` (made from scratch for the
    /// same docs) is, files included, once both made their files: an
    /// edited index must be byte for byte a new one (for tests).
    #[doc(hidden)]
    pub fn agrees_with(&self, fresh: &SearchState) -> bool {
        let same_terms = self.doc_terms.len() == fresh.doc_terms.len()
            && self
                .doc_terms
                .iter()
                .zip(&fresh.doc_terms)
                .all(|(a, b)| a == b);
        same_terms
            && self.paths == fresh.paths
            && self.number == fresh.number
            && self.shard_of == fresh.shard_of
            && self.doc_starts == fresh.doc_starts
            && self.text_bytes == fresh.text_bytes
            && self.text_total == fresh.text_total
            && self.entries == fresh.entries
            && self.terms == fresh.terms
            && self.touched.is_empty()
            && self.term_shards == fresh.term_shards
            && self.doc_files == fresh.doc_files
            && self.meta == fresh.meta
    }
}

/// Each term's postings: `(note number * 4 + field)` for every doc, the
/// docs taken in note-number order (`order`), encoded.
fn postings(order: &[usize], doc_terms: &[Arc<DocTerms>]) -> BTreeMap<Term, Postings> {
    let mut postings: HashMap<&str, Vec<u32>> = HashMap::new();
    for (n, &d) in order.iter().enumerate() {
        for (term, field) in doc_terms[d].iter() {
            postings.entry(term).or_default().push(n as u32 * 4 + field);
        }
    }
    sorted(postings, true)
}

/// Each term's numbers sorted and encoded, the terms in order; with
/// `keep_values` false, only the JSON is kept (an index made once).
fn sorted<K>(postings: HashMap<K, Vec<u32>>, keep_values: bool) -> BTreeMap<Term, Postings>
where
    K: AsRef<str> + Into<String> + Send,
{
    use rayon::prelude::*;
    let mut list: Vec<(Term, Postings)> = postings
        .into_par_iter()
        .map(|(term, mut values)| {
            values.sort_unstable();
            let mut p = Postings {
                values,
                ..Postings::default()
            };
            p.encode(term.as_ref());
            if !keep_values {
                p.values = Vec::new();
            }
            (Term(term.into()), p)
        })
        .collect();
    list.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    list.into_iter().collect()
}

/// [`postings`] for an index made once: each doc's terms are let go as
/// they are counted in, and each term's numbers once its JSON is made, so
/// the index's peak is its postings, not its postings and every doc's
/// terms besides.
fn postings_once(order: &[usize], doc_terms: Vec<Arc<DocTerms>>) -> BTreeMap<Term, Postings> {
    let mut doc_terms: Vec<Option<Arc<DocTerms>>> = doc_terms.into_iter().map(Some).collect();
    let mut postings: HashMap<Box<str>, Vec<u32>> = HashMap::new();
    for (n, &d) in order.iter().enumerate() {
        let Some(terms) = doc_terms.get_mut(d).and_then(Option::take) else {
            continue;
        };
        for (term, field) in terms.iter() {
            let value = n as u32 * 4 + field;
            match postings.get_mut(term) {
                Some(values) => values.push(value),
                None => {
                    postings.insert(term.into(), vec![value]);
                }
            }
        }
    }
    sorted(postings, false)
}

/// First note number of each preview shard: numbers go shard by shard.
fn doc_starts(shard_of: &[usize], doc_shards: usize) -> Vec<u32> {
    let mut counts = vec![0u32; doc_shards];
    for &s in shard_of {
        if let Some(c) = counts.get_mut(s) {
            *c += 1;
        }
    }
    let mut start = 0;
    counts
        .into_iter()
        .map(|c| {
            let at = start;
            start += c;
            at
        })
        .collect()
}

/// The terms whose field in a doc differs between `old` and `new` terms
/// (both in byte order): `(term, field before, field now)`, None where
/// the doc did not or does not have it.
fn term_changes<'a>(
    old: &'a DocTerms,
    new: &'a DocTerms,
) -> Vec<(&'a str, Option<u32>, Option<u32>)> {
    let mut changes = Vec::new();
    let mut old = old.iter().peekable();
    let mut new = new.iter().peekable();
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (None, None) => break,
            (Some((a, fa)), Some((b, fb))) if a == b => {
                if fa != fb {
                    changes.push((a, Some(fa), Some(fb)));
                }
                old.next();
                new.next();
            }
            (Some((a, fa)), Some((b, _))) if a < b => {
                changes.push((a, Some(fa), None));
                old.next();
            }
            (Some((a, fa)), None) => {
                changes.push((a, Some(fa), None));
                old.next();
            }
            (_, Some((b, fb))) => {
                changes.push((b, None, Some(fb)));
                new.next();
            }
        }
    }
    changes
}

/// Which of the `old` shards held a `touched` term, or would hold it
/// now: those whose range, from their first term to the next shard's,
/// has one.
fn dirty_shards(old: &[TermShard], touched: &BTreeSet<Term>) -> Vec<bool> {
    let mut dirty = vec![false; old.len()];
    for term in touched {
        let at = old.partition_point(|s| s.first <= *term).saturating_sub(1);
        if let Some(d) = dirty.get_mut(at) {
            *d = true;
        }
    }
    dirty
}

fn term_head(n: usize) -> String {
    format!("__spore(\"terms\",{n},")
}

/// Term shard `n`, beginning with `first`, its postings `body`: `old`'s
/// bytes when they are the same.
fn term_shard(n: usize, first: Term, body: &str, old: Option<&TermShard>) -> TermShard {
    let head = term_head(n);
    let bytes = format!("{head}[{body}]);\n").into_bytes();
    let bytes = match old {
        Some(old) => reuse(&old.bytes, bytes),
        None => bytes.into(),
    };
    TermShard {
        first,
        bytes,
        head: head.len(),
    }
}

/// An unchanged shard, now shard `n`: the same bytes, numbered again if
/// it moved.
fn renumbered(shard: &TermShard, n: usize) -> TermShard {
    let head = term_head(n);
    if shard.bytes.get(..shard.head) == Some(head.as_bytes()) {
        return shard.clone();
    }
    let mut bytes = head.clone().into_bytes();
    bytes.extend_from_slice(shard.bytes.get(shard.head..).unwrap_or_default());
    TermShard {
        first: shard.first.clone(),
        bytes: bytes.into(),
        head: head.len(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A doc as the test draws it: title word and `(word, field)` terms.
    type Drawn = (u16, Vec<(u16, u8)>);

    /// Words of many lengths, so that shards end at many places.
    fn word(w: u16) -> String {
        format!(
            "{}{w}",
            "abcdefghij".get(..usize::from(w % 7)).unwrap_or("")
        )
    }

    struct Docs {
        titles: Vec<String>,
        paths: Vec<String>,
        terms: Vec<Arc<DocTerms>>,
    }

    impl Docs {
        fn new(drawn: &[Drawn]) -> Docs {
            let mut docs = Docs {
                titles: Vec::new(),
                paths: (0..drawn.len()).map(|i| format!("n{i}.html")).collect(),
                terms: Vec::new(),
            };
            for d in drawn {
                docs.titles.push(word(d.0));
                docs.terms.push(terms_of(&d.1));
            }
            docs
        }

        fn doc(&self, d: usize) -> SearchDoc<'_> {
            SearchDoc {
                title: &self.titles[d],
                path: &self.paths[d],
                aliases: &[],
                tags: &[],
                text: "",
                text_len: self.titles[d].len(),
            }
        }

        fn state(&self, shard_bytes: usize) -> SearchState {
            let docs: Vec<SearchDoc> = (0..self.paths.len()).map(|d| self.doc(d)).collect();
            let mut state = SearchState::new(&docs, self.terms.clone());
            state.shard_bytes = shard_bytes;
            state
        }
    }

    fn terms_of(drawn: &[(u16, u8)]) -> Arc<DocTerms> {
        let terms = drawn.iter().map(|&(w, f)| (word(w), u32::from(f % 3)));
        Arc::new(DocTerms::new(terms.collect()))
    }

    fn drawn_doc() -> impl Strategy<Value = Drawn> {
        (0..300u16, prop::collection::vec((0..300u16, 0..3u8), 0..40))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// After any run of edits, the kept index is, to the byte, the one
        /// made afresh; and every file whose bytes did not change is
        /// handed back as the same `Bytes`.
        #[test]
        fn an_edited_index_is_a_fresh_one(
            start in prop::collection::vec(drawn_doc(), 1..30),
            edits in prop::collection::vec(
                prop::collection::vec((0..30usize, drawn_doc()), 1..4),
                1..12,
            ),
            shard_bytes in 0..400usize,
        ) {
            let mut docs = Docs::new(&start);
            let mut kept = docs.state(shard_bytes);
            let mut files = kept.index().files;
            for batch in edits {
                let mut changed = Vec::new();
                for (d, drawn) in batch {
                    let d = d % docs.paths.len();
                    docs.titles[d] = word(drawn.0);
                    docs.terms[d] = terms_of(&drawn.1);
                    changed.push(d);
                }
                let changed: Vec<_> = changed
                    .into_iter()
                    .map(|d| (d, docs.doc(d), docs.terms[d].clone()))
                    .collect();
                prop_assert!(kept.update(&changed));
                let now = kept.index().files;
                let mut fresh = docs.state(shard_bytes);
                let fresh_files = fresh.index().files;
                prop_assert!(kept.agrees_with(&fresh));
                prop_assert_eq!(&now, &fresh_files);
                let before: HashMap<&String, &Bytes> = files.iter().map(|(p, b)| (p, b)).collect();
                for (path, bytes) in &now {
                    if let Some(old) = before.get(path).filter(|old| old[..] == bytes[..]) {
                        prop_assert!(Arc::ptr_eq(old, bytes), "{} made again", path);
                    }
                }
                files = now;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// The index a build makes once, letting each doc's terms go as it
        /// counts them in, is to the byte the one `serve` keeps.
        #[test]
        fn an_index_made_once_is_the_kept_one(
            drawn in prop::collection::vec(drawn_doc(), 0..40),
            shard_bytes in 0..400usize,
        ) {
            let docs = Docs::new(&drawn);
            let kept = docs.state(shard_bytes).index().files;
            let given: Vec<SearchDoc> = (0..docs.paths.len()).map(|d| docs.doc(d)).collect();
            let mut once = SearchState::with_terms(&given, TermsGiven::Once(docs.terms.clone()));
            once.shard_bytes = shard_bytes;
            prop_assert_eq!(once.index().files, kept);
        }
    }

    /// A term before every other, bigger than a shard: the walk begins
    /// before the first shard, and the first place a shard starts again
    /// is where that (changed) shard started.
    #[test]
    fn a_new_first_term_makes_the_first_shard_again() {
        let mut docs = Docs::new(&[(1, vec![(1, 1), (8, 1), (15, 1)]), (3, vec![(4, 1)])]);
        let mut kept = docs.state(1);
        kept.index();
        docs.terms[0] = terms_of(&[(0, 0), (1, 1), (8, 1), (15, 1)]);
        assert!(kept.update(&[(0, docs.doc(0), docs.terms[0].clone())]));
        let files = kept.index().files;
        let mut fresh = docs.state(1);
        assert_eq!(files, fresh.index().files);
        assert!(kept.agrees_with(&fresh));
    }

    #[test]
    fn a_doc_at_another_path_or_place_is_not_taken_in() {
        let docs = Docs::new(&[(1, vec![(2, 0)]), (3, vec![(4, 1)])]);
        let mut state = docs.state(TERM_SHARD_BYTES);
        let before = state.index().files;
        let mut moved = docs.doc(1);
        moved.path = "elsewhere.html";
        let terms = terms_of(&[(9, 0)]);
        assert!(!state.update(&[(1, moved, terms.clone())]));
        assert!(!state.update(&[(2, docs.doc(1), terms)]));
        assert_eq!(state.index().files, before, "nothing changed");
    }
}
