//! Stage 5, `seal`: per-file SHA-256, per-page integrity blocks, the
//! manifest, `SHA256SUMS`, the minisign signature and the Metalink mirror
//! list, all computed from the emitted [`Site`]. Pure but for published
//! attachments, which it hashes from the vault in pieces through
//! [`crate::load::attachment`] (they are never in memory); the version and
//! the secret key are prepared outside ([`prepare`]) and passed in.
//!
//! What covers what is in [`files`], which makes the `integrity/` files.

pub mod files;
pub mod manifest;
pub mod metalink;
pub mod page;
pub mod previous;
pub mod shard;
pub mod sign;
pub mod sums;
pub mod version;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::load::attachment::{self, AttachmentError};
use crate::progress::{Progress, Stage};
use crate::site::{Bytes, FileDigest, PageSource, Site, SiteFile, VaultFile, MARKER, MARKER_TEXT};
use files::{Parts, ShardCache};
use manifest::{FileEntry, MirrorEntry, SiteInfo, SIGNATURE_PATH, VERIFY_JS_PATH};
use page::{sha256_hex, PageSeal};
use rayon::prelude::*;
use sign::{KeyError, Signer};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use thiserror::Error;
use version::SiteVersion;

/// The in-browser checker, shipped in every site.
pub const VERIFY_JS: &str = include_str!("verify.js");

pub fn generator() -> String {
    format!("spore {}", env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Error)]
pub enum SealError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signing the manifest failed: {0}")]
    Sign(String),
    #[error(transparent)]
    Version(#[from] version::VersionError),
}

/// What the seal stage needs from outside the site: computed once per build.
#[derive(Debug, Clone)]
pub struct SealInputs {
    /// The version computed from the vault, before [`version::sealed_version`].
    pub version: SiteVersion,
    pub signer: Option<Signer>,
    /// The site already in the output folder.
    pub previous: previous::Previous,
}

/// What a build sealed, for the build summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealSummary {
    pub version: i64,
    pub built: String,
    pub site_id: String,
    /// Fingerprint of the signing key ([`sign::fingerprint`]), when the
    /// manifest was signed.
    pub signed_by: Option<String>,
    /// A public key is configured but no secret key was found.
    pub unsigned_with_public_key: bool,
    /// Why the output folder's manifest could not be read, when it could
    /// not (the version was then not checked against it).
    pub previous_unusable: Option<String>,
    /// The version computed from the vault, when the output folder's
    /// previous version made the seal take a higher one.
    pub raised_from: Option<i64>,
    /// Attachments that could not be read, and so were left out.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the version sources, the output folder's manifest and the secret
/// key (the only parts of sealing that touch the disk or the environment).
pub fn prepare<'a>(
    config: &Config,
    explicit_version: Option<i64>,
    notes: impl Iterator<Item = &'a crate::load::Note>,
) -> Result<SealInputs, SealError> {
    let previous = previous::read(&config.output);
    prepare_probed(
        config,
        explicit_version,
        notes,
        &mut version::GitProbe::default(),
        previous,
    )
}

/// [`prepare`], remembering in `probe` whether git has anything to say,
/// with the output folder's manifest read already (`serve` reads it once).
pub fn prepare_probed<'a>(
    config: &Config,
    explicit_version: Option<i64>,
    notes: impl Iterator<Item = &'a crate::load::Note>,
    probe: &mut version::GitProbe,
    previous: previous::Previous,
) -> Result<SealInputs, SealError> {
    let version = version::site_version_probed(explicit_version, &config.vault, notes, probe)?;
    if let Some(key) = &config.integrity.public_key {
        sign::key_id(key).map_err(KeyError::BadPublicKey)?;
    }
    let signer = match sign::secret_key_path(config.integrity.secret_key.as_deref()) {
        Some(path) => Some(sign::load_signer(
            &path,
            config.integrity.public_key.as_deref(),
            &config.vault,
            &config.output,
        )?),
        None => None,
    };
    Ok(SealInputs {
        version,
        signer,
        previous,
    })
}

/// The site id: the key id when the site has a key (stable across title
/// changes), else derived from the title.
pub fn site_id(public_key: Option<&str>, title: &str) -> String {
    public_key
        .and_then(|k| sign::key_id(k).ok())
        .unwrap_or_else(|| sha256_hex(title.as_bytes())[..16].to_string())
}

/// A sealed file's lines in the shards, `SHA256SUMS` and `site.meta4`.
fn parts_of(
    path: &str,
    digest: &FileDigest,
    source: Option<&PageSource>,
    mirrors: &[MirrorEntry],
) -> Parts {
    let entry = FileEntry {
        sha256: digest.sha256.clone(),
        size: digest.size,
        source: source.map(|s| s.source.clone()),
        source_sha256: source.map(|s| s.source_sha256.clone()),
        title: source.map(|s| s.title.clone()),
    };
    Parts::of(path, &entry, mirrors)
}

fn digest(bytes: &[u8]) -> FileDigest {
    FileDigest {
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
    }
}

/// A file as sealed — a page with its integrity block filled in, a vault
/// file with the digest of its bytes as read now, anything else as it is —
/// and the digest of the sealed file.
fn seal_file(
    path: &str,
    file: &SiteFile,
    source: Option<&PageSource>,
    page_seal: &PageSeal,
) -> Result<(SiteFile, FileDigest), AttachmentError> {
    match file {
        SiteFile::Made(bytes) => {
            if path.ends_with(".html") {
                if let Some((sealed, sha256)) =
                    page::seal_page_hashed(path, bytes, source, page_seal)
                {
                    let size = sealed.len() as u64;
                    return Ok((SiteFile::Made(sealed.into()), FileDigest { sha256, size }));
                }
            }
            Ok((file.clone(), digest(bytes)))
        }
        SiteFile::Vault(vault) => {
            let digest = attachment::hash(&vault.source)?;
            let sealed = VaultFile {
                source: vault.source.clone(),
                sealed: Some(digest.clone()),
            };
            Ok((SiteFile::Vault(Box::new(sealed)), digest))
        }
        SiteFile::Deferred(later) => Ok((file.clone(), digest(later.bytes()))),
    }
}

/// The warning for an attachment that sealing could not read: it is left
/// out of the site (a link to it then leads nowhere), never published
/// unhashed.
pub fn unreadable(error: &AttachmentError) -> Diagnostic {
    let kind = match error {
        AttachmentError::SecretKey { .. } => DiagnosticKind::KeyFile,
        _ => DiagnosticKind::UnreadableFile,
    };
    Diagnostic::warning(
        kind,
        error.path(),
        format!("attachment not published: {error}"),
    )
}

/// What sealing each file gave last time, for `serve`, which seals the
/// whole site after every save. `serve` hands in the very same bytes
/// (`Arc`) for a file it did not rebuild, and the cache holds them alive,
/// so pointer equality means equal bytes: such a file is neither patched
/// nor hashed again, and its lines in the seal files are reused. A vault
/// file is hashed again only when its identity (inode, size, times)
/// changed.
#[derive(Default)]
pub struct SealCache {
    /// Public key, mirrors and site id the entries were sealed with.
    params: Option<(Option<String>, Vec<MirrorEntry>, String)>,
    /// Every sealed file, by path.
    files: BTreeMap<String, SealedFile>,
    /// Attachments left out last time because they could not be read:
    /// tried again at every seal.
    left_out: BTreeSet<String>,
    /// What git said about the vault.
    pub git: version::GitProbe,
    /// The output folder's manifest, read at the first seal.
    pub previous: Option<previous::Previous>,
    /// The shards of the last seal.
    shards: ShardCache,
    /// The `integrity/` files of the last seal, with the root they were
    /// made for (whose bytes decide them all).
    made: BTreeMap<String, SiteFile>,
}

impl SealCache {
    /// The sealed site, as the last [`reseal`] left it.
    pub fn sealed_site(&self) -> Site {
        let files = self
            .files
            .iter()
            .map(|(path, file)| (path.clone(), file.output.clone()))
            .chain(self.made.iter().map(|(p, f)| (p.clone(), f.clone())))
            .collect();
        Site::from_files(files)
    }
}

struct SealedFile {
    input: SiteFile,
    source: Option<PageSource>,
    output: SiteFile,
    parts: Arc<Parts>,
}

/// `integrity/verify.js` and the output marker: files every site has,
/// listed like the others, shared by every seal in the process.
pub fn fixed_files() -> [(&'static str, Bytes); 2] {
    static BYTES: std::sync::OnceLock<[(&'static str, Bytes); 2]> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| {
            [
                (MARKER, Bytes::from(MARKER_TEXT.as_bytes())),
                (VERIFY_JS_PATH, Bytes::from(VERIFY_JS.as_bytes())),
            ]
        })
        .clone()
}

/// Seals the site: patches every page's integrity marker and adds the
/// `integrity/` files.
pub fn seal(
    site: Site,
    config: &Config,
    inputs: &SealInputs,
) -> Result<(Site, SealSummary), SealError> {
    seal_reporting(site, config, inputs, &Progress::none())
}

/// [`seal`], telling `progress` how many files it hashes and each one as
/// it is done.
pub fn seal_reporting(
    mut site: Site,
    config: &Config,
    inputs: &SealInputs,
    progress: &Progress,
) -> Result<(Site, SealSummary), SealError> {
    let header = header(config, inputs);
    // Nothing from a previous seal may survive (the folder is reserved).
    site.files.retain(|p, _| !p.starts_with("integrity/"));
    for (path, bytes) in fixed_files() {
        site.insert(path, bytes);
    }
    progress.stage(Stage::Seal, Some(site.files.len()));
    let page_seal = header.page_seal();
    // Each page is replaced where it stands, so the unsealed copy is freed
    // at once instead of every page being held twice.
    let pages = &site.pages;
    let mirrors = &header.mirrors;
    let sealed: Vec<Result<Parts, AttachmentError>> = site
        .files
        .par_iter_mut()
        .map(|(path, file)| {
            let source = pages.get(path);
            let result = seal_file(path, file, source, &page_seal);
            // A file left out (unreadable) is done too.
            progress.item();
            let (sealed, digest) = result?;
            *file = sealed;
            Ok(parts_of(path, &digest, source, mirrors))
        })
        .collect();
    let mut parts = Vec::with_capacity(sealed.len());
    let mut left_out = Vec::new();
    let mut diagnostics = Vec::new();
    for (path, result) in site.files.keys().zip(sealed) {
        match result {
            Ok(p) => parts.push(p),
            Err(e) => {
                diagnostics.push(unreadable(&e));
                left_out.push(path.clone());
            }
        }
    }
    for path in left_out {
        site.files.remove(&path);
    }
    let listed: Vec<(&str, &Parts)> = site.files.keys().map(String::as_str).zip(&parts).collect();
    let (made, summary) = finish(
        &listed,
        header,
        diagnostics,
        &mut ShardCache::default(),
        files::Dirty::All,
    )?;
    for (path, file) in made {
        site.put(path, file);
    }
    Ok((site, summary))
}

/// Each path whose sealed file changed, with its file (`None`: gone).
pub type Delta = Vec<(String, Option<SiteFile>)>;

/// What a [`reseal`] changed in the sealed site.
#[derive(Debug)]
pub enum Resealed {
    /// Everything was sealed anew: the sealed site is
    /// [`SealCache::sealed_site`].
    All,
    Changed(Delta),
}

/// [`seal`] for `serve`, which keeps `site` and changes it in place between
/// rebuilds. `changed` lists the paths whose file or page source changed
/// since the last reseal (`None`: unknown, look at every file); only those
/// are sealed again, and `cache` keeps the rest. `site.meta4` and
/// `SHA256SUMS` are made when first read ([`files::index_files_deferred`]).
pub fn reseal(
    site: &Site,
    changed: Option<&BTreeSet<String>>,
    config: &Config,
    inputs: &SealInputs,
    cache: &mut SealCache,
) -> Result<(Resealed, SealSummary), SealError> {
    let header = header(config, inputs);
    let page_seal = header.page_seal();
    let params = (
        page_seal.public_key.map(str::to_string),
        header.mirrors.clone(),
        page_seal.site_id.to_string(),
    );
    let changed = changed.filter(|_| cache.params.as_ref() == Some(&params));
    let (diagnostics, mut delta, dirty) = match changed {
        Some(paths) => {
            let (diagnostics, delta, keys) =
                reseal_changed(site, paths, &page_seal, &header.mirrors, cache);
            (diagnostics, Some(delta), Some(keys))
        }
        None => {
            cache.params = Some(params);
            (
                reseal_all(site, &page_seal, &header.mirrors, cache),
                None,
                None,
            )
        }
    };
    let dirty = match &dirty {
        Some(keys) => files::Dirty::Keys(keys),
        None => files::Dirty::All,
    };
    let shards = files::shards_of(
        cache.files.len(),
        cache.files.values().map(|f| &*f.parts),
        &mut cache.shards,
        dirty,
    );
    let listed = &cache.files;
    let (made, summary) = finish_with(&shards, header, diagnostics, |root| {
        let listed = listed.iter().map(|(p, f)| (p.as_str(), f.parts.clone()));
        files::index_files_deferred(listed, &shards, root)
    })?;
    let made = keep_unchanged_index_files(made, &cache.made);
    if let Some(delta) = &mut delta {
        for (path, file) in &made {
            if !cache
                .made
                .get(path)
                .is_some_and(|old| old.is_identical(file))
            {
                delta.push((path.clone(), Some(file.clone())));
            }
        }
        for path in cache.made.keys() {
            if !made.contains_key(path) {
                delta.push((path.clone(), None));
            }
        }
    }
    cache.made = made;
    let resealed = match delta {
        Some(delta) => Resealed::Changed(delta),
        None => Resealed::All,
    };
    Ok((resealed, summary))
}

/// The index files just made, taking the last seal's file wherever it is
/// the same, so that what did not change stays the very same value. The
/// small files are compared; `site.meta4` and `SHA256SUMS` are the same
/// when the root is: both are made from what the root covers (through the
/// shards' hashes) and its date — and comparing them would make them.
fn keep_unchanged_index_files(
    made: Vec<(String, SiteFile)>,
    last: &BTreeMap<String, SiteFile>,
) -> BTreeMap<String, SiteFile> {
    let root = |files: &BTreeMap<String, SiteFile>| {
        files
            .get(manifest::MANIFEST_PATH)
            .and_then(|f| f.made().cloned())
    };
    let mut made: BTreeMap<String, SiteFile> = made.into_iter().collect();
    let same_root = root(last).is_some_and(|old| root(&made).is_some_and(|new| old == new));
    for (path, file) in made.iter_mut() {
        let Some(old) = last.get(path) else { continue };
        let same = match file {
            SiteFile::Deferred(_) => same_root,
            _ => old.same_as(file),
        };
        if same {
            *file = old.clone();
        }
    }
    made
}

/// The files `reseal` seals: the site's, but for the `integrity/` folder
/// and the marker, which the seal makes, and with the files every site has.
fn sealable(path: &str) -> bool {
    !path.starts_with("integrity/") && path != MARKER
}

/// Seals every file anew into `cache`; returns the warnings.
fn reseal_all(
    site: &Site,
    page_seal: &PageSeal,
    mirrors: &[MirrorEntry],
    cache: &mut SealCache,
) -> Vec<Diagnostic> {
    let fixed: Vec<(String, SiteFile)> = fixed_files()
        .into_iter()
        .map(|(p, b)| (p.to_string(), SiteFile::Made(b)))
        .collect();
    let mut files: Vec<(&String, &SiteFile)> = site
        .files
        .iter()
        .filter(|(p, _)| sealable(p))
        .chain(fixed.iter().map(|(p, f)| (p, f)))
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let sealed: Vec<(&String, Result<SealedFile, AttachmentError>)> = files
        .into_par_iter()
        .map(|(path, input)| {
            let source = site.pages.get(path);
            (path, seal_one(path, input, source, page_seal, mirrors))
        })
        .collect();
    let mut diagnostics = Vec::new();
    cache.left_out.clear();
    let mut kept = Vec::with_capacity(sealed.len());
    for (path, result) in sealed {
        match result {
            Ok(file) => kept.push((path.clone(), file)),
            Err(e) => {
                diagnostics.push(unreadable(&e));
                cache.left_out.insert(path.clone());
            }
        }
    }
    // From a sorted list: built without a search per file.
    cache.files = kept.into_iter().collect();
    diagnostics
}

/// Seals again the `changed` paths (and the files left out last time)
/// into `cache`. Returns the warnings, each path whose sealed file changed
/// (with the file, or `None` when it left), and the shard keys of the
/// files whose entry changed.
fn reseal_changed(
    site: &Site,
    changed: &BTreeSet<String>,
    page_seal: &PageSeal,
    mirrors: &[MirrorEntry],
    cache: &mut SealCache,
) -> (Vec<Diagnostic>, Delta, Vec<u32>) {
    let left_out = std::mem::take(&mut cache.left_out);
    let paths: BTreeSet<&String> = changed
        .iter()
        .chain(&left_out)
        .filter(|p| sealable(p))
        .collect();
    let known = &cache.files;
    let outcomes: Vec<(&String, Outcome)> = paths
        .into_par_iter()
        .map(|path| {
            let Some(input) = site.files.get(path) else {
                return (path, Outcome::Gone);
            };
            let source = site.pages.get(path);
            if let Some(old) = known.get(path) {
                // Sealing the very same input gives what it gave.
                if old.input.is_identical(input) && old.source.as_ref() == source {
                    return (path, Outcome::Unchanged);
                }
            }
            let sealed = seal_one(path, input, source, page_seal, mirrors);
            (path, Outcome::Sealed(sealed))
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut delta = Vec::new();
    let mut keys = Vec::new();
    for (path, outcome) in outcomes {
        let old = match outcome {
            Outcome::Unchanged => continue,
            Outcome::Sealed(Ok(mut file)) => {
                let old = cache.files.get(path);
                let same_entry = old.is_some_and(|old| *old.parts == *file.parts);
                match old {
                    // The same entry is the same bytes (by their SHA-256):
                    // the page served stays the very same. (A vault file
                    // is taken anew: its identity is what is checked
                    // when it is copied.)
                    Some(old) if same_entry && matches!(old.output, SiteFile::Made(_)) => {
                        file.output = old.output.clone();
                        file.parts = old.parts.clone();
                    }
                    _ => delta.push((path.clone(), Some(file.output.clone()))),
                }
                if !same_entry {
                    keys.push(shard::shard_key(path));
                }
                cache.files.insert(path.clone(), file);
                continue;
            }
            Outcome::Sealed(Err(e)) => {
                diagnostics.push(unreadable(&e));
                cache.left_out.insert(path.clone());
                cache.files.remove(path)
            }
            Outcome::Gone => cache.files.remove(path),
        };
        if old.is_some() {
            keys.push(shard::shard_key(path));
            delta.push((path.clone(), None));
        }
    }
    (diagnostics, delta, keys)
}

/// What [`reseal_changed`] found for one path.
enum Outcome {
    /// The same input as last time.
    Unchanged,
    /// No such file (any more).
    Gone,
    Sealed(Result<SealedFile, AttachmentError>),
}

/// One file sealed, with what the cache keeps of it.
fn seal_one(
    path: &str,
    input: &SiteFile,
    source: Option<&PageSource>,
    page_seal: &PageSeal,
    mirrors: &[MirrorEntry],
) -> Result<SealedFile, AttachmentError> {
    let (output, digest) = seal_file(path, input, source, page_seal)?;
    Ok(SealedFile {
        input: input.clone(),
        source: source.cloned(),
        output,
        parts: Arc::new(parts_of(path, &digest, source, mirrors)),
    })
}

/// Seals a site one file at a time, for a build that writes each file as
/// soon as it is made ([`crate::write::Staging`]) instead of holding the
/// site: what [`seal`] does, in pieces. Each file's [`Parts`] are all that
/// is kept of it; [`Sealer::finish`] makes the `integrity/` files from
/// them.
pub struct Sealer<'a> {
    header: Header<'a>,
}

impl<'a> Sealer<'a> {
    pub fn new(config: &'a Config, inputs: &'a SealInputs) -> Sealer<'a> {
        Sealer {
            header: header(config, inputs),
        }
    }

    /// One file as sealed (a page with its integrity block, a vault file
    /// hashed as read now) and its parts; `Err` for an attachment that
    /// cannot be read (left out: see [`unreadable`]).
    pub fn seal(
        &self,
        path: &str,
        file: &SiteFile,
        source: Option<&PageSource>,
    ) -> Result<(SiteFile, Parts), AttachmentError> {
        let (sealed, digest) = seal_file(path, file, source, &self.header.page_seal())?;
        let parts = parts_of(path, &digest, source, &self.header.mirrors);
        Ok((sealed, parts))
    }

    /// The `integrity/` files over every sealed file (`listed`, in path
    /// order), and what was sealed.
    pub fn finish(
        self,
        listed: &[(&str, &Parts)],
        diagnostics: Vec<Diagnostic>,
    ) -> Result<(Vec<(String, SiteFile)>, SealSummary), SealError> {
        let shards = self.shards(listed);
        self.finish_with_shards(listed, &shards, diagnostics)
    }

    /// The manifest's shards over `listed` (every listed file, in path
    /// order): made first, so a build can write them and let their bytes
    /// go ([`files::write_shards`]) before the listings are made.
    pub fn shards(&self, listed: &[(&str, &Parts)]) -> Vec<files::MadeShard> {
        files::shards(listed, &mut ShardCache::default(), files::Dirty::All)
    }

    /// [`Sealer::finish`] over the `shards` [`Sealer::shards`] made; the
    /// files of shards already written are not among those returned.
    pub fn finish_with_shards(
        self,
        listed: &[(&str, &Parts)],
        shards: &[files::MadeShard],
        diagnostics: Vec<Diagnostic>,
    ) -> Result<(Vec<(String, SiteFile)>, SealSummary), SealError> {
        finish_with(shards, self.header, diagnostics, |root| {
            files::index_files(listed, shards, root)
                .into_iter()
                .map(|(p, b)| (p, SiteFile::Made(b)))
                .collect()
        })
    }
}

fn header<'a>(config: &'a Config, inputs: &'a SealInputs) -> Header<'a> {
    let public_key = inputs
        .signer
        .as_ref()
        .map(|s| s.public_base64.clone())
        .or_else(|| {
            config
                .integrity
                .public_key
                .as_ref()
                .map(|k| k.trim().to_string())
        });
    let id = site_id(public_key.as_deref(), &config.title);
    let mirrors: Vec<MirrorEntry> = config
        .mirrors
        .iter()
        .map(|m| MirrorEntry {
            location: m.location.clone(),
            priority: m.priority,
            url: m.url.clone(),
        })
        .collect();
    Header {
        config,
        inputs,
        public_key,
        id,
        mirror_urls: mirrors.iter().map(|m| m.url.clone()).collect(),
        mirrors,
    }
}

/// What the seal files say about the site as a whole.
struct Header<'a> {
    config: &'a Config,
    inputs: &'a SealInputs,
    public_key: Option<String>,
    id: String,
    mirrors: Vec<MirrorEntry>,
    /// The mirrors' URLs, which each page lists.
    mirror_urls: Vec<String>,
}

impl Header<'_> {
    /// What each page's integrity block says about the site.
    fn page_seal(&self) -> PageSeal<'_> {
        PageSeal {
            public_key: self.public_key.as_deref(),
            mirrors: &self.mirror_urls,
            site_id: &self.id,
        }
    }
}

/// The `integrity/` files over the sealed files (`listed`: every file, in
/// path order, with its parts), and what was sealed.
fn finish(
    listed: &[(&str, &Parts)],
    header: Header,
    diagnostics: Vec<Diagnostic>,
    cache: &mut ShardCache,
    dirty: files::Dirty,
) -> Result<(Vec<(String, SiteFile)>, SealSummary), SealError> {
    let shards = files::shards(listed, cache, dirty);
    finish_with(&shards, header, diagnostics, |root| {
        files::index_files(listed, &shards, root)
            .into_iter()
            .map(|(p, b)| (p, SiteFile::Made(b)))
            .collect()
    })
}

/// The root over `shards` at the version the seal takes, the index files
/// `index_files` makes for it, the signature, and what was sealed.
fn finish_with(
    shards: &[files::MadeShard],
    header: Header,
    diagnostics: Vec<Diagnostic>,
    index_files: impl FnOnce(&manifest::Root) -> Vec<(String, SiteFile)>,
) -> Result<(Vec<(String, SiteFile)>, SealSummary), SealError> {
    let Header {
        config,
        inputs,
        public_key,
        id,
        mirrors,
        ..
    } = header;
    let head = files::Head {
        generator: generator(),
        mirrors,
        public_key,
        site: SiteInfo {
            id: id.clone(),
            title: config.title.clone(),
        },
    };
    let same_content = |seal: &previous::PreviousSeal| {
        files::fingerprint(&files::root(&head, shards, 0, "")) == seal.content
    };
    let version = match inputs.previous.seal() {
        Some(seal) => version::sealed_version(
            inputs.version.version,
            Some((seal.version, &|| same_content(seal))),
        ),
        None => inputs.version.version,
    };
    let built = version::rfc3339(version);
    let root = files::root(&head, shards, version, &built);
    let mut made = index_files(&root);
    let signed_by = match &inputs.signer {
        Some(signer) => {
            let root_json = made
                .iter()
                .find(|(p, _)| p == manifest::MANIFEST_PATH)
                .and_then(|(_, f)| f.made().cloned())
                .unwrap_or_default();
            let sig = sign::sign(signer, &root_json, &id, version).map_err(SealError::Sign)?;
            made.push((
                SIGNATURE_PATH.into(),
                SiteFile::Made(sig.into_bytes().into()),
            ));
            sign::fingerprint(&signer.public_base64).ok()
        }
        None => None,
    };
    let summary = SealSummary {
        version,
        built,
        site_id: id,
        unsigned_with_public_key: signed_by.is_none() && config.integrity.public_key.is_some(),
        signed_by,
        previous_unusable: match &inputs.previous {
            previous::Previous::Unusable(why) => Some(why.clone()),
            _ => None,
        },
        raised_from: (version != inputs.version.version).then_some(inputs.version.version),
        diagnostics,
    };
    Ok((made, summary))
}
