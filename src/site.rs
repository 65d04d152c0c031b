//! The emitted site: every output file, by output path. Files Spore makes
//! (pages, search index, theme, seal files) are bytes in memory; published
//! attachments are references to the vault file, read from disk only when
//! sealed, written or served, in pieces. `build` writes the site, `serve`
//! answers from it, `seal` hashes it.

use crate::load::Attachment;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Written into every output folder, so Spore knows the folder is its own
/// (the writer refuses a non-empty folder without it). The seal lists it
/// like every other file.
pub const MARKER: &str = ".spore-output";
pub const MARKER_TEXT: &str =
    "This folder is written by Spore and replaced whole on every build.\n";

/// Bytes shared between stages without copying.
pub type Bytes = Arc<[u8]>;

/// What `seal` needs to know about a note page beyond its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSource {
    /// Vault-relative path of the note (`folder/Note.md`).
    pub source: String,
    /// SHA-256 (hex) of the note file's bytes.
    pub source_sha256: String,
    pub title: String,
}

/// SHA-256 (hex) and size of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDigest {
    pub sha256: String,
    pub size: u64,
}

/// A vault file published unchanged (an attachment), and once the site is
/// sealed, the digest the manifest gives it: the writer checks the bytes it
/// copies against it, so a file that changes after sealing can never be
/// published under a manifest that does not describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFile {
    pub source: Attachment,
    pub sealed: Option<FileDigest>,
}

/// One output file. Two files are equal when they hold the same bytes
/// (made now or deferred) or are the same vault file with the same seal.
#[derive(Debug, Clone)]
pub enum SiteFile {
    /// Made by Spore, held in memory.
    Made(Bytes),
    /// Copied from the vault as it is, never held in memory.
    Vault(Box<VaultFile>),
    /// Made by Spore when first read: `serve` keeps `site.meta4` and
    /// `SHA256SUMS` (megabytes each on a large site, which no page reads)
    /// this way, so a save does not wait for them.
    Deferred(Arc<Deferred>),
}

impl SiteFile {
    /// The bytes, for a file Spore made (a deferred file is made now).
    pub fn made(&self) -> Option<&Bytes> {
        match self {
            SiteFile::Made(bytes) => Some(bytes),
            SiteFile::Vault(_) => None,
            SiteFile::Deferred(later) => Some(later.bytes()),
        }
    }

    /// Size in bytes (for a vault file: as sealed, else as last seen).
    pub fn len(&self) -> u64 {
        match self {
            SiteFile::Made(bytes) => bytes.len() as u64,
            SiteFile::Vault(file) => file
                .sealed
                .as_ref()
                .map_or(file.source.identity.len, |d| d.size),
            SiteFile::Deferred(later) => later.bytes().len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether two files are certainly the same: the same made bytes, or the
    /// same unchanged vault file with the same seal.
    pub fn same_as(&self, other: &SiteFile) -> bool {
        match (self, other) {
            (SiteFile::Made(a), SiteFile::Made(b)) => Arc::ptr_eq(a, b) || a == b,
            (SiteFile::Vault(a), SiteFile::Vault(b)) => a == b,
            (SiteFile::Deferred(a), SiteFile::Deferred(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        }
    }

    /// Whether the file is the very same value as `other` (the same bytes
    /// in memory, or the same vault file as last seen), without reading or
    /// making anything: what `serve` uses to tell a file it did not touch.
    pub fn is_identical(&self, other: &SiteFile) -> bool {
        match (self, other) {
            (SiteFile::Made(a), SiteFile::Made(b)) => Arc::ptr_eq(a, b),
            (SiteFile::Vault(a), SiteFile::Vault(b)) => a.source == b.source,
            (SiteFile::Deferred(a), SiteFile::Deferred(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl PartialEq for SiteFile {
    fn eq(&self, other: &SiteFile) -> bool {
        match (self, other) {
            (SiteFile::Vault(a), SiteFile::Vault(b)) => a == b,
            (SiteFile::Vault(_), _) | (_, SiteFile::Vault(_)) => false,
            _ => self.made() == other.made(),
        }
    }
}

impl Eq for SiteFile {}

/// A file's bytes, made by a function the first time they are asked for
/// (then kept). Callers that ask at once wait for the one making them.
pub struct Deferred {
    bytes: std::sync::OnceLock<Bytes>,
    make: std::sync::Mutex<Option<MakeBytes>>,
}

type MakeBytes = Box<dyn FnOnce() -> Bytes + Send>;

impl Deferred {
    pub fn new(make: impl FnOnce() -> Bytes + Send + 'static) -> Deferred {
        Deferred {
            bytes: std::sync::OnceLock::new(),
            make: std::sync::Mutex::new(Some(Box::new(make))),
        }
    }

    pub fn bytes(&self) -> &Bytes {
        self.bytes.get_or_init(|| {
            let make = match self.make.lock() {
                Ok(mut guard) => guard.take(),
                Err(poisoned) => poisoned.into_inner().take(),
            };
            // `OnceLock` runs this once; `None` cannot happen but is empty.
            make.map_or_else(|| Bytes::from(Vec::new()), |make| make())
        })
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.bytes.get() {
            Some(bytes) => write!(f, "Deferred({} bytes)", bytes.len()),
            None => f.write_str("Deferred(not made yet)"),
        }
    }
}

impl PartialEq for Deferred {
    fn eq(&self, other: &Deferred) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Deferred {}

impl From<Bytes> for SiteFile {
    fn from(bytes: Bytes) -> SiteFile {
        SiteFile::Made(bytes)
    }
}

impl From<Vec<u8>> for SiteFile {
    fn from(bytes: Vec<u8>) -> SiteFile {
        SiteFile::Made(bytes.into())
    }
}

/// Output path (`/`-separated, relative to the site root) → file.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub files: BTreeMap<String, SiteFile>,
    /// Output path of each note page → its source.
    pub pages: BTreeMap<String, PageSource>,
    /// With [`Site::track_changes`]: the paths whose file or page source
    /// was added, replaced by a different one or removed through this
    /// type's methods since [`Site::take_changes`] — what `serve` seals
    /// again after a save.
    changes: Option<std::collections::BTreeSet<String>>,
    /// With [`Site::record_writes`]: every path put since, changed or not.
    writes: Option<Vec<String>>,
    /// Files taken out by [`Site::set_aside`], until put again.
    aside: BTreeMap<String, SiteFile>,
}

impl Site {
    /// A site of `files`, no page sources.
    pub fn from_files(files: BTreeMap<String, SiteFile>) -> Site {
        Site {
            files,
            ..Site::default()
        }
    }

    /// Starts recording which paths change (see [`Site::take_changes`]).
    pub fn track_changes(&mut self) {
        self.changes.get_or_insert_with(Default::default);
    }

    /// The paths changed since tracking began or since the last call
    /// (`None` when changes are not tracked), and starts afresh.
    pub fn take_changes(&mut self) -> Option<std::collections::BTreeSet<String>> {
        self.changes.as_mut().map(std::mem::take)
    }

    /// Starts listing every path put, whether its file changed or not.
    pub fn record_writes(&mut self) {
        self.writes = Some(Vec::new());
    }

    /// The paths put since [`Site::record_writes`], sorted, and stops
    /// listing them.
    pub fn take_writes(&mut self) -> Vec<String> {
        let mut writes = self.writes.take().unwrap_or_default();
        writes.sort_unstable();
        writes.dedup();
        writes
    }

    /// Takes the files at `paths` out of the site for a while, as if gone,
    /// to be put again: one put again the very same is no change, and
    /// [`Site::end_set_aside`] counts the others as removed.
    pub fn set_aside<'a>(&mut self, paths: impl IntoIterator<Item = &'a String>) {
        for path in paths {
            if let Some(file) = self.files.remove(path) {
                self.aside.insert(path.clone(), file);
            }
        }
    }

    /// The files set aside and not put again are gone.
    pub fn end_set_aside(&mut self) {
        for path in std::mem::take(&mut self.aside).into_keys() {
            self.changed(&path);
        }
    }

    fn changed(&mut self, path: &str) {
        if let Some(changes) = &mut self.changes {
            if !changes.contains(path) {
                changes.insert(path.to_string());
            }
        }
    }

    /// Adds or replaces a file.
    pub fn put(&mut self, path: impl Into<String>, file: SiteFile) {
        let path = path.into();
        if let Some(writes) = &mut self.writes {
            writes.push(path.clone());
        }
        let aside = self.aside.remove(&path);
        if self.changes.is_none() {
            self.files.insert(path, file);
            return;
        }
        let same = self
            .files
            .get(&path)
            .or(aside.as_ref())
            .is_some_and(|old| old.is_identical(&file));
        if !same {
            self.changed(&path);
            self.files.insert(path, file);
        } else if aside.is_some() {
            self.files.insert(path, file);
        }
    }

    /// Adds a file Spore made.
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Bytes>) {
        self.put(path, SiteFile::Made(bytes.into()));
    }

    /// Takes a file out.
    pub fn remove(&mut self, path: &str) -> Option<SiteFile> {
        let removed = self.files.remove(path);
        if removed.is_some() {
            self.changed(path);
        }
        removed
    }

    /// Sets the source of the note page at `path`.
    pub fn set_page(&mut self, path: &str, source: PageSource) {
        if self.pages.get(path) != Some(&source) {
            self.changed(path);
            self.pages.insert(path.to_string(), source);
        }
    }

    /// Keeps the page sources `keep` says yes to.
    pub fn retain_pages(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let gone: Vec<String> = self.pages.keys().filter(|p| !keep(p)).cloned().collect();
        for path in gone {
            self.pages.remove(&path);
            self.changed(&path);
        }
    }

    /// Adds a vault file to be published as it is.
    pub fn insert_vault_file(&mut self, path: impl Into<String>, source: Attachment) {
        let file = VaultFile {
            source,
            sealed: None,
        };
        self.put(path, SiteFile::Vault(Box::new(file)));
    }

    /// The bytes of a file Spore made (`None` for a vault file: see
    /// [`Site::file`]).
    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path).and_then(SiteFile::made)
    }

    pub fn file(&self, path: &str) -> Option<&SiteFile> {
        self.files.get(path)
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(SiteFile::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked() -> Site {
        let mut site = Site::default();
        site.track_changes();
        site
    }

    fn changes(site: &mut Site) -> Vec<String> {
        site.take_changes()
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    #[test]
    fn the_very_same_file_put_again_is_no_change() {
        let mut site = tracked();
        let bytes = Bytes::from(b"a".to_vec());
        site.insert("a.html", bytes.clone());
        assert_eq!(changes(&mut site), ["a.html"]);
        site.insert("a.html", bytes.clone());
        assert!(changes(&mut site).is_empty());
        // Equal bytes made again are a change: telling them apart would
        // mean comparing every file's bytes.
        site.insert("a.html", b"a".to_vec());
        assert_eq!(changes(&mut site), ["a.html"]);
        site.remove("a.html");
        site.remove("gone.html");
        assert_eq!(changes(&mut site), ["a.html"]);
    }

    #[test]
    fn files_set_aside_count_as_changed_only_if_not_put_back_the_same() {
        let mut site = tracked();
        let (kept, replaced, dropped) = (
            Bytes::from(b"1".to_vec()),
            Bytes::from(b"2".to_vec()),
            Bytes::from(b"3".to_vec()),
        );
        site.insert("kept", kept.clone());
        site.insert("replaced", replaced);
        site.insert("dropped", dropped);
        let _ = changes(&mut site);
        let names: Vec<String> = site.files.keys().cloned().collect();
        site.set_aside(&names);
        assert!(site.files.is_empty(), "set aside is out of the site");
        site.record_writes();
        site.insert("kept", kept);
        site.insert("replaced", b"2'".to_vec());
        site.insert("new", b"4".to_vec());
        assert_eq!(site.take_writes(), ["kept", "new", "replaced"]);
        site.end_set_aside();
        assert_eq!(changes(&mut site), ["dropped", "new", "replaced"]);
        assert_eq!(
            site.files.keys().collect::<Vec<_>>(),
            ["kept", "new", "replaced"]
        );
    }

    #[test]
    fn page_sources_are_changes_of_their_page() {
        let mut site = tracked();
        let source = PageSource {
            source: "a.md".into(),
            source_sha256: "00".into(),
            title: "A".into(),
        };
        site.set_page("a.html", source.clone());
        site.set_page("a.html", source.clone());
        assert_eq!(changes(&mut site), ["a.html"]);
        site.retain_pages(|p| p != "a.html");
        assert_eq!(changes(&mut site), ["a.html"]);
        assert!(site.pages.is_empty());
    }

    #[test]
    fn a_deferred_file_is_made_once_when_first_read() {
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = made.clone();
        let file = SiteFile::Deferred(Arc::new(Deferred::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Bytes::from(b"late".to_vec())
        })));
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(file.len(), 4);
        assert_eq!(file.made().map(|b| b.to_vec()), Some(b"late".to_vec()));
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(file, SiteFile::Made(Bytes::from(b"late".to_vec())));
    }
}
