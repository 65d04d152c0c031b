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
use std::collections::BTreeMap;
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
    /// By path, in path order.
    files: Vec<(String, SealedFile)>,
    /// What git said about the vault.
    pub git: version::GitProbe,
    /// The output folder's manifest, read at the first seal.
    pub previous: Option<previous::Previous>,
    /// The shards of the last seal.
    shards: ShardCache,
}

struct SealedFile {
    input: SiteFile,
    source: Option<PageSource>,
    output: SiteFile,
    parts: Parts,
}

/// Whether sealing `new` would give what sealing `old` gave.
fn unchanged(old: &SiteFile, new: &SiteFile) -> bool {
    match (old, new) {
        (SiteFile::Made(a), SiteFile::Made(b)) => std::sync::Arc::ptr_eq(a, b),
        (SiteFile::Vault(a), SiteFile::Vault(b)) => a.source == b.source,
        _ => false,
    }
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
    for (path, bytes) in made {
        site.insert(path, bytes);
    }
    Ok((site, summary))
}

/// [`seal`] for `serve`, which keeps `site` and changes it in place between
/// rebuilds: returns the sealed copy, taking what `cache` remembers of
/// files whose bytes are the very same as last time.
pub fn reseal(
    site: &Site,
    config: &Config,
    inputs: &SealInputs,
    cache: &mut SealCache,
) -> Result<(Site, SealSummary), SealError> {
    let header = header(config, inputs);
    let fixed: Vec<(String, SiteFile)> = fixed_files()
        .into_iter()
        .map(|(p, b)| (p.to_string(), SiteFile::Made(b)))
        .collect();
    let mut files: Vec<(&String, &SiteFile)> = site
        .files
        .iter()
        .filter(|(p, _)| !p.starts_with("integrity/") && p.as_str() != MARKER)
        .collect();
    for (path, file) in &fixed {
        let at = files.partition_point(|(p, _)| *p < path);
        files.insert(at, (path, file));
    }
    let (diagnostics, dirty) = seal_files_cached(
        &files,
        &site.pages,
        &header.page_seal(),
        &header.mirrors,
        cache,
    );
    // Built from a sorted list: no search per file.
    let sealed = Site {
        files: cache
            .files
            .iter()
            .map(|(path, file)| (path.clone(), file.output.clone()))
            .collect(),
        pages: site.pages.clone(),
    };
    let listed: Vec<(&str, &Parts)> = cache
        .files
        .iter()
        .map(|(p, f)| (p.as_str(), &f.parts))
        .collect();
    let dirty = match &dirty {
        Some(keys) => files::Dirty::Keys(keys),
        None => files::Dirty::All,
    };
    let (made, summary) = finish(&listed, header, diagnostics, &mut cache.shards, dirty)?;
    let mut sealed = sealed;
    for (path, bytes) in made {
        sealed.insert(path, bytes);
    }
    Ok((sealed, summary))
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
    ) -> Result<(Vec<(String, Bytes)>, SealSummary), SealError> {
        finish(
            listed,
            self.header,
            diagnostics,
            &mut ShardCache::default(),
            files::Dirty::All,
        )
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

/// Patches pages and hashes files (`files`: in path order), taking
/// unchanged ones from `cache`, which afterwards holds every file that
/// could be sealed, in order; the others are left out, with a warning each.
/// Also returns the shard keys of the files sealed anew or gone since the
/// last seal (`None`: everything is new).
fn seal_files_cached(
    files: &[(&String, &SiteFile)],
    pages: &BTreeMap<String, PageSource>,
    page_seal: &PageSeal,
    mirrors: &[MirrorEntry],
    cache: &mut SealCache,
) -> (Vec<Diagnostic>, Option<Vec<u32>>) {
    let params = (
        page_seal.public_key.map(str::to_string),
        mirrors.to_vec(),
        page_seal.site_id.to_string(),
    );
    let mut dirty = Some(Vec::new());
    if cache.params.as_ref() != Some(&params) {
        cache.files.clear();
        cache.params = Some(params);
        dirty = None;
    }
    // The files, the cache and the page sources are all in path order: one
    // walk pairs each file with its cached seal and its source.
    let mut known = std::mem::take(&mut cache.files).into_iter().peekable();
    let mut sources = pages.iter().peekable();
    type Job<'a> = (
        &'a String,
        &'a SiteFile,
        Option<&'a PageSource>,
        Option<(String, SealedFile)>,
    );
    let mut jobs: Vec<Job> = Vec::with_capacity(files.len());
    for &(path, bytes) in files {
        while let Some((gone, file)) = known.next_if(|(p, _)| p < path) {
            if let Some(keys) = dirty.as_mut() {
                keys.push(file.parts.key);
            }
            let _ = gone;
        }
        while sources.next_if(|(p, _)| *p < path).is_some() {}
        let source = sources.next_if(|(p, _)| *p == path).map(|(_, s)| s);
        jobs.push((path, bytes, source, known.next_if(|(p, _)| p == path)));
    }
    if let Some(keys) = dirty.as_mut() {
        keys.extend(known.map(|(_, file)| file.parts.key));
    }
    // (sealed anew, the file or why it was left out, its shard key)
    type Done = (bool, Result<(String, SealedFile), AttachmentError>, u32);
    let sealed: Vec<Done> = jobs
        .into_par_iter()
        .map(|(path, input, source, old)| match old {
            Some((path, file))
                if unchanged(&file.input, input) && file.source.as_ref() == source =>
            {
                let key = file.parts.key;
                (false, Ok((path, file)), key)
            }
            _ => {
                let key = shard::shard_key(path);
                let made = seal_file(path, input, source, page_seal);
                (
                    true,
                    made.map(|(output, digest)| {
                        let parts = parts_of(path, &digest, source, mirrors);
                        let file = SealedFile {
                            input: input.clone(),
                            source: source.cloned(),
                            output,
                            parts,
                        };
                        (path.clone(), file)
                    }),
                    key,
                )
            }
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut files = Vec::with_capacity(sealed.len());
    for (anew, result, key) in sealed {
        if anew {
            if let Some(keys) = dirty.as_mut() {
                keys.push(key);
            }
        }
        match result {
            Ok(file) => files.push(file),
            Err(e) => diagnostics.push(unreadable(&e)),
        }
    }
    cache.files = files;
    (diagnostics, dirty)
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
) -> Result<(Vec<(String, Bytes)>, SealSummary), SealError> {
    let Header {
        config,
        inputs,
        public_key,
        id,
        mirrors,
        ..
    } = header;
    let shards = files::shards(listed, cache, dirty);
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
        files::fingerprint(&files::root(&head, &shards, 0, "")) == seal.content
    };
    let version = match inputs.previous.seal() {
        Some(seal) => version::sealed_version(
            inputs.version.version,
            Some((seal.version, &|| same_content(seal))),
        ),
        None => inputs.version.version,
    };
    let built = version::rfc3339(version);
    let root = files::root(&head, &shards, version, &built);
    let mut made = files::index_files(listed, &shards, &root);
    let signed_by = match &inputs.signer {
        Some(signer) => {
            let root_json = made
                .iter()
                .find(|(p, _)| p == manifest::MANIFEST_PATH)
                .map(|(_, b)| b.clone())
                .unwrap_or_default();
            let sig = sign::sign(signer, &root_json, &id, version).map_err(SealError::Sign)?;
            made.push((SIGNATURE_PATH.into(), sig.into_bytes().into()));
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
