//! Remembering a computation by what it read.
//!
//! `serve` keeps each note's HTML and each page's bytes between saves. What
//! decides whether a kept value is still right is not a list of inputs kept
//! by hand beside the code that reads them (such a list goes stale the day
//! someone reads one more input and forgets the list): the stages read the
//! index only through views (`index::view`, `emit::view`) whose every
//! accessor records *which fact it read* and *a hash of the value it
//! returned*. A kept value is reused only when every fact it read still
//! hashes the same; a fact that cannot be read any more (a deleted note)
//! never does. So a stage cannot read an input its key misses: reading is
//! recording.
//!
//! This is the idea of Typst's `comemo` and rust-analyzer's `salsa`, kept to
//! what Spore needs. `comemo` replays each recorded call on every lookup
//! and hashes arguments with SipHash; `salsa` wants the whole pipeline
//! restructured around its database. Here a fact is a small enum value,
//! checking one is a lookup and an XXH3 hash, and `spore build` runs the
//! very same code with recording switched off.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A fact a view can record. Its *base* is the part of the input it is
/// computed from, and which [`Table`] hashes once per rebuild: the fact
/// itself for most, or what a derived fact is a pure function of (the
/// heading a `#path` finds is a function of the note's text).
pub trait Fact: Clone + Eq + Hash {
    type Base: Clone + Eq + Hash + Send + Sync;
    fn base(&self) -> Self::Base;
}

/// The facts one computation read, each with the hash of what it saw.
#[derive(Debug)]
pub struct Recorder<F> {
    reads: RefCell<Vec<(F, u64)>>,
}

impl<F> Default for Recorder<F> {
    fn default() -> Self {
        Recorder {
            reads: RefCell::new(Vec::new()),
        }
    }
}

impl<F: Eq + Hash + Clone> Recorder<F> {
    pub fn record(&self, fact: F, hash: u64) {
        let mut reads = self.reads.borrow_mut();
        // A computation often asks the same thing twice in a row (a title
        // for the link text after the href); one entry is enough.
        if reads.last().is_some_and(|(f, h)| *h == hash && *f == fact) {
            return;
        }
        reads.push((fact, hash));
    }

    /// Each fact read once, in the order first read.
    pub fn into_reads(self) -> Vec<(F, u64)> {
        let mut reads = self.reads.into_inner();
        let mut seen = HashSet::with_capacity(reads.len());
        reads.retain(|(f, _)| seen.insert(f.clone()));
        reads.shrink_to_fit();
        reads
    }
}

/// A value with the facts it was made from.
#[derive(Debug, Clone)]
pub struct Entry<V, F> {
    pub value: V,
    reads: Vec<(F, u64)>,
}

impl<V, F> Entry<V, F> {
    pub fn new(value: V, reads: Vec<(F, u64)>) -> Self {
        Entry { value, reads }
    }

    /// Whether every fact read still hashes as it did.
    pub fn is_valid(&self, now: impl Fn(&F) -> u64) -> bool {
        self.reads.iter().all(|(fact, hash)| now(fact) == *hash)
    }

    pub fn reads(&self) -> &[(F, u64)] {
        &self.reads
    }
}

/// Kept values by a stable name (a note's path hash, a page), and for
/// each base the values that read a fact of it. Reader lists hold a
/// 4-byte slot per value, not its name: a site's pages read over a million
/// facts.
#[derive(Debug)]
pub struct Memo<K, V, F: Fact> {
    entries: HashMap<K, Entry<V, F>, FastState>,
    /// Slot → name, and name → slot, for the reader lists.
    names: Vec<K>,
    slots: HashMap<K, u32, FastState>,
    readers: HashMap<F::Base, Vec<u32>, FastState>,
    /// Slots registered in `readers`, live or not, and the reads of the
    /// live entries.
    registered: usize,
    live_reads: usize,
}

impl<K, V, F: Fact> Default for Memo<K, V, F> {
    fn default() -> Self {
        Memo {
            entries: HashMap::default(),
            names: Vec::new(),
            slots: HashMap::default(),
            readers: HashMap::default(),
            registered: 0,
            live_reads: 0,
        }
    }
}

impl<K: Hash + Eq + Clone, V, F: Fact> Memo<K, V, F> {
    /// The names whose values read a fact of a changed base: only these
    /// can be stale. Every other kept value read only facts whose base
    /// hashes as when it was recorded, so each of those facts is unchanged.
    pub fn suspects(&self, changed: &Set<F::Base>) -> Set<K> {
        changed
            .iter()
            .filter_map(|b| self.readers.get(b))
            .flatten()
            .filter_map(|&slot| self.names.get(slot as usize))
            .filter(|name| self.entries.contains_key(*name))
            .cloned()
            .collect()
    }

    pub fn insert(&mut self, key: K, entry: Entry<V, F>) {
        let slot = match self.slots.get(&key) {
            Some(&slot) => slot,
            None => {
                let slot = self.names.len() as u32;
                self.names.push(key.clone());
                self.slots.insert(key.clone(), slot);
                slot
            }
        };
        self.register(slot, &entry);
        self.live_reads += entry.reads.len();
        if let Some(old) = self.entries.insert(key, entry) {
            self.live_reads -= old.reads.len();
        }
        self.compact();
    }

    fn register(&mut self, slot: u32, entry: &Entry<V, F>) {
        let bases: HashSet<F::Base> = entry.reads.iter().map(|(f, _)| f.base()).collect();
        for base in bases {
            self.readers.entry(base).or_default().push(slot);
            self.registered += 1;
        }
    }

    /// Keeps only the entries `keep` wants (names that still exist).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.entries.retain(|k, _| keep(k));
        self.live_reads = self.entries.values().map(|e| e.reads.len()).sum();
        self.compact();
    }

    pub fn clear(&mut self) {
        *self = Memo::default();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &K) -> Option<&Entry<V, F>> {
        self.entries.get(key)
    }

    /// Values made again, and names gone, leave registrations behind; once
    /// those outnumber the live ones, slots and reader lists are made
    /// afresh (a registration left behind only costs a needless check).
    fn compact(&mut self) {
        let stale_slots = self.names.len() > 2 * self.entries.len() + 1024;
        if self.registered <= 2 * self.live_reads + 4096 && !stale_slots {
            return;
        }
        self.readers.clear();
        self.names.clear();
        self.slots.clear();
        self.registered = 0;
        let keys: Vec<K> = self.entries.keys().cloned().collect();
        for key in keys {
            let slot = self.names.len() as u32;
            self.names.push(key.clone());
            self.slots.insert(key.clone(), slot);
            if let Some(entry) = self.entries.get(&key) {
                let bases: HashSet<F::Base> = entry.reads.iter().map(|(f, _)| f.base()).collect();
                for base in bases {
                    self.readers.entry(base).or_default().push(slot);
                    self.registered += 1;
                }
            }
        }
    }
}

/// Bases and names are Spore's own (path hashes, tag and folder keys);
/// hashing them with XXH3 instead of SipHash makes a 60,000-row table
/// several times cheaper to build and compare on every save. (A vault
/// crafted to collide them could only slow its own preview down.)
pub type FastState = std::hash::BuildHasherDefault<FactHasher>;

/// A set of bases or names, hashed as [`FastState`] does.
pub type Set<T> = HashSet<T, FastState>;

/// The hash of every base, for one index: for each note a row of `N`
/// hashes (one per kind of per-note base, compared row by row: most rows
/// are unchanged), and every other base one by one.
#[derive(Debug, PartialEq)]
pub struct Table<B: Eq + Hash, K: Eq + Hash, const N: usize> {
    rows: HashMap<K, [u64; N], FastState>,
    others: HashMap<B, u64, FastState>,
}

impl<B: Eq + Hash, K: Eq + Hash, const N: usize> Default for Table<B, K, N> {
    fn default() -> Self {
        Table {
            rows: HashMap::default(),
            others: HashMap::default(),
        }
    }
}

impl<B: Clone + Eq + Hash, K: Copy + Eq + Hash, const N: usize> Table<B, K, N> {
    pub fn new(
        rows: impl IntoIterator<Item = (K, [u64; N])>,
        others: impl IntoIterator<Item = (B, u64)>,
    ) -> Self {
        Table {
            rows: rows.into_iter().collect(),
            others: others.into_iter().collect(),
        }
    }

    /// Note `key`'s row.
    pub fn row(&self, key: &K) -> Option<&[u64; N]> {
        self.rows.get(key)
    }

    /// The hash of a base that is not per note.
    pub fn other(&self, base: &B) -> Option<u64> {
        self.others.get(base).copied()
    }

    /// This table with the rows in `rows` made again and the other bases
    /// all replaced by `others`: for an index whose other notes' rows are
    /// known to be as they were (patched in place, same notes).
    pub fn patched(
        &self,
        rows: impl IntoIterator<Item = (K, [u64; N])>,
        others: impl IntoIterator<Item = (B, u64)>,
    ) -> Self {
        let mut table = Table {
            rows: self.rows.clone(),
            others: others.into_iter().collect(),
        };
        table.rows.extend(rows);
        table
    }

    /// [`Table::changed`] for a `now` made by [`Table::patched`] from
    /// `self` with the rows of `keys`: only those rows can differ.
    pub fn changed_at(
        &self,
        now: &Self,
        keys: impl IntoIterator<Item = K>,
        base: impl Fn(usize, K) -> B,
    ) -> Set<B> {
        let mut changed = Set::default();
        for key in keys {
            match (self.rows.get(&key), now.rows.get(&key)) {
                (Some(old), Some(row)) => {
                    changed.extend((0..N).filter(|&i| old[i] != row[i]).map(|i| base(i, key)))
                }
                (None, None) => {}
                _ => changed.extend((0..N).map(|i| base(i, key))),
            }
        }
        self.changed_others(now, &mut changed);
        changed
    }

    fn changed_others(&self, now: &Self, changed: &mut Set<B>) {
        for (b, h) in &now.others {
            if self.others.get(b) != Some(h) {
                changed.insert(b.clone());
            }
        }
        for b in self.others.keys().filter(|b| !now.others.contains_key(*b)) {
            changed.insert(b.clone());
        }
    }

    /// The bases that differ between `self` (before) and `now`: changed,
    /// new or gone. `base(kind, key)` names the per-note ones.
    pub fn changed(&self, now: &Self, base: impl Fn(usize, K) -> B) -> Set<B> {
        let mut changed = Set::default();
        for (key, row) in &now.rows {
            match self.rows.get(key) {
                Some(old) if old == row => {}
                Some(old) => {
                    changed.extend((0..N).filter(|&i| old[i] != row[i]).map(|i| base(i, *key)))
                }
                None => changed.extend((0..N).map(|i| base(i, *key))),
            }
        }
        for key in self.rows.keys().filter(|k| !now.rows.contains_key(*k)) {
            changed.extend((0..N).map(|i| base(i, *key)));
        }
        self.changed_others(now, &mut changed);
        changed
    }
}

/// Hashes a value for a fact. Byte strings are hashed whole with XXH3 and
/// mixed in, so the many small writes of a fact cost a multiply each.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = FactHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// What a fact hashes to when it cannot be read at all (its note is gone).
/// Never the hash of a value that was read, short of a 64-bit collision.
pub const ABSENT: u64 = 0xa85e_47a0_d5e1_7e7e;

pub struct FactHasher(u64);

impl Default for FactHasher {
    fn default() -> Self {
        FactHasher(0x5350_4f52_4520_6d65)
    }
}

impl Hasher for FactHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.write_u64(xxhash_rust::xxh3::xxh3_64(bytes));
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        // splitmix64's finaliser over the running state and the input.
        let mut z = (self.0.rotate_left(23) ^ n).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_valid_only_while_every_fact_hashes_the_same() {
        let facts: std::cell::RefCell<HashMap<&str, u64>> =
            RefCell::new([("a", 1), ("b", 2)].into_iter().collect());
        let rec = Recorder::default();
        rec.record("a", 1);
        rec.record("a", 1);
        rec.record("b", 2);
        let entry = Entry::new((), rec.into_reads());
        assert_eq!(entry.reads().len(), 2, "a repeated read is kept once");
        let now = |f: &&str| facts.borrow().get(f).copied().unwrap_or(ABSENT);
        assert!(entry.is_valid(now));
        facts.borrow_mut().insert("b", 3);
        assert!(!entry.is_valid(now));
        facts.borrow_mut().insert("b", 2);
        facts.borrow_mut().remove("a");
        assert!(!entry.is_valid(now), "a fact that is gone invalidates");
    }

    #[derive(Clone, PartialEq, Eq, Hash, Debug)]
    struct Read(u32);

    impl Fact for Read {
        type Base = u32;
        fn base(&self) -> u32 {
            self.0 / 10
        }
    }

    fn entry(reads: &[u32]) -> Entry<(), Read> {
        Entry::new((), reads.iter().map(|&r| (Read(r), 0)).collect())
    }

    #[test]
    fn suspects_are_the_readers_of_changed_bases_through_compaction() {
        let mut memo: Memo<String, (), Read> = Memo::default();
        // Made again and again: registrations pile up, then compaction
        // starts afresh; names that left must never come back as suspects.
        for round in 0..3000u32 {
            memo.insert("a".into(), entry(&[10, 20]));
            memo.insert(format!("gone{round}"), entry(&[20]));
            memo.retain(|k| !k.starts_with("gone"));
            memo.insert("b".into(), entry(&[35]));
        }
        let changed = |bases: &[u32]| -> Set<u32> { bases.iter().copied().collect() };
        let mut s: Vec<String> = memo.suspects(&changed(&[2])).into_iter().collect();
        s.sort();
        assert_eq!(s, ["a"]);
        let s: Vec<String> = memo.suspects(&changed(&[3])).into_iter().collect();
        assert_eq!(s, ["b"]);
        assert!(memo.suspects(&changed(&[9])).is_empty());
        assert!(
            memo.names.len() <= 2 * memo.len() + 1024,
            "slots are compacted"
        );
    }

    #[test]
    fn hashes_tell_strings_apart_by_boundary() {
        assert_ne!(hash_of(&("ab", "c")), hash_of(&("a", "bc")));
        assert_ne!(hash_of(&Some("x")), hash_of(&None::<&str>));
    }
}
