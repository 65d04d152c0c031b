//! Stage 5, `seal`: per-file SHA-256, per-page integrity blocks, the
//! manifest, `SHA256SUMS`, the minisign signature and the Metalink mirror
//! list, all computed from the emitted [`Site`]. Pure but for published
//! attachments, which it hashes from the vault in pieces through
//! [`crate::load::attachment`] (they are never in memory); the version and
//! the secret key are prepared outside ([`prepare`]) and passed in.
//!
//! What covers what:
//! - `manifest.json` lists every file except the four [`SEAL_FILES`];
//! - the signature covers `manifest.json`;
//! - `manifest.js` is `manifest.json` wrapped as a script;
//! - `SHA256SUMS` lists every file except itself and the signature.

pub mod manifest;
pub mod metalink;
pub mod page;
pub mod previous;
pub mod sign;
pub mod sums;
pub mod version;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::load::attachment::{self, AttachmentError};
use crate::progress::{Progress, Stage};
use crate::site::{Bytes, FileDigest, PageSource, Site, SiteFile, VaultFile};
pub use manifest::SEAL_FILES;
use manifest::{
    FileEntry, Manifest, MirrorEntry, SiteInfo, FORMAT, MANIFEST_JS_PATH, MANIFEST_PATH,
    METALINK_PATH, SIGNATURE_PATH, SUMS_PATH, VERIFY_JS_PATH,
};
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

/// What the seal files say about one sealed file: its lines in the
/// manifest, in `SHA256SUMS` and in the Metalink file.
struct Parts {
    member: String,
    line: String,
    element: String,
}

impl Parts {
    fn of(
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
        Parts {
            member: manifest::file_member(path, &entry),
            line: sums::line(path, &entry.sha256),
            element: metalink::file_element(path, entry.size, &entry.sha256, mirrors),
        }
    }
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
fn unreadable(error: &AttachmentError) -> Diagnostic {
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

/// `integrity/verify.js`, shared by every seal in the process.
fn verify_js() -> Bytes {
    static BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| Bytes::from(VERIFY_JS.as_bytes()))
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
    site.insert(VERIFY_JS_PATH, verify_js());
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
            Ok(Parts::of(path, &digest, source, mirrors))
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
    let parts: Vec<&Parts> = parts.iter().collect();
    finish(site, &parts, header, diagnostics)
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
    let verify_js = SiteFile::Made(verify_js());
    let mut files: Vec<(&String, &SiteFile)> = site
        .files
        .iter()
        .filter(|(p, _)| !p.starts_with("integrity/"))
        .collect();
    let verify_path = VERIFY_JS_PATH.to_string();
    let at = files.partition_point(|(p, _)| p.as_str() < VERIFY_JS_PATH);
    files.insert(at, (&verify_path, &verify_js));
    let diagnostics = seal_files_cached(
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
    let parts: Vec<&Parts> = cache.files.iter().map(|(_, f)| &f.parts).collect();
    finish(sealed, &parts, header, diagnostics)
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
fn seal_files_cached(
    files: &[(&String, &SiteFile)],
    pages: &BTreeMap<String, PageSource>,
    page_seal: &PageSeal,
    mirrors: &[MirrorEntry],
    cache: &mut SealCache,
) -> Vec<Diagnostic> {
    let params = (
        page_seal.public_key.map(str::to_string),
        mirrors.to_vec(),
        page_seal.site_id.to_string(),
    );
    if cache.params.as_ref() != Some(&params) {
        cache.files.clear();
        cache.params = Some(params);
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
        while known.next_if(|(p, _)| p < path).is_some() {}
        while sources.next_if(|(p, _)| *p < path).is_some() {}
        let source = sources.next_if(|(p, _)| *p == path).map(|(_, s)| s);
        jobs.push((path, bytes, source, known.next_if(|(p, _)| p == path)));
    }
    drop(known);
    let sealed: Vec<Result<(String, SealedFile), AttachmentError>> = jobs
        .into_par_iter()
        .map(|(path, input, source, old)| match old {
            Some((path, file))
                if unchanged(&file.input, input) && file.source.as_ref() == source =>
            {
                Ok((path, file))
            }
            _ => {
                let (output, digest) = seal_file(path, input, source, page_seal)?;
                let parts = Parts::of(path, &digest, source, mirrors);
                let file = SealedFile {
                    input: input.clone(),
                    source: source.cloned(),
                    output,
                    parts,
                };
                Ok((path.clone(), file))
            }
        })
        .collect();
    let mut diagnostics = Vec::new();
    cache.files = sealed
        .into_iter()
        .filter_map(|r| r.map_err(|e| diagnostics.push(unreadable(&e))).ok())
        .collect();
    diagnostics
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

/// The `integrity/` files over the sealed files (`parts`: one per file of
/// `site`, in its order).
fn finish(
    mut site: Site,
    parts: &[&Parts],
    header: Header,
    diagnostics: Vec<Diagnostic>,
) -> Result<(Site, SealSummary), SealError> {
    let Header {
        config,
        inputs,
        public_key,
        id,
        mirrors,
        ..
    } = header;
    let mut outline = Manifest {
        built: String::new(),
        files: BTreeMap::new(),
        format: FORMAT.into(),
        generator: generator(),
        mirrors,
        public_key,
        site: SiteInfo {
            id: id.clone(),
            title: config.title.clone(),
        },
        version: 0,
    };
    // The files but the Metalink file: what [`previous::fingerprint`]
    // compares (the site holds no seal file yet).
    let same_content = |seal: &previous::PreviousSeal| {
        previous::fingerprint(&outline, parts.iter().map(|p| p.member.as_str())) == seal.content
    };
    let version = match inputs.previous.seal() {
        Some(seal) => version::sealed_version(
            inputs.version.version,
            Some((seal.version, &|| same_content(seal))),
        ),
        None => inputs.version.version,
    };
    let built = version::rfc3339(version);
    outline.version = version;
    outline.built = built.clone();
    let mirrors = &outline.mirrors;
    let meta4 = metalink::metalink(
        parts.iter().map(|p| p.element.as_str()),
        mirrors,
        &generator(),
        &built,
    )
    .into_bytes();
    let meta4_parts = Parts::of(METALINK_PATH, &digest(&meta4), None, mirrors);

    // Every file the manifest lists, in path order: the site's files and
    // the Metalink file among them.
    let mut listed: Vec<(&str, &Parts)> = site
        .files
        .keys()
        .map(String::as_str)
        .zip(parts.iter().copied())
        .collect();
    let at = listed.partition_point(|(p, _)| *p < METALINK_PATH);
    listed.insert(at, (METALINK_PATH, &meta4_parts));

    let manifest_json = outline.canonical_json_with(listed.iter().map(|(_, p)| p.member.as_str()));
    let manifest_js = manifest::manifest_js(&manifest_json);
    let (json_hash, js_hash) =
        rayon::join(|| sha256_hex(&manifest_json), || sha256_hex(&manifest_js));
    let json_line = sums::line(MANIFEST_PATH, &json_hash);
    let js_line = sums::line(MANIFEST_JS_PATH, &js_hash);
    let mut lines: Vec<(&str, &str)> = listed
        .iter()
        .map(|(path, p)| (*path, p.line.as_str()))
        .collect();
    lines.push((MANIFEST_PATH, &json_line));
    lines.push((MANIFEST_JS_PATH, &js_line));
    lines.sort_by(|a, b| a.0.cmp(b.0));
    let sums: String = lines.iter().map(|(_, line)| *line).collect();

    let signed_by = match &inputs.signer {
        Some(signer) => {
            let sig = sign::sign(signer, &manifest_json, &id, version).map_err(SealError::Sign)?;
            site.insert(SIGNATURE_PATH, sig.into_bytes());
            sign::fingerprint(&signer.public_base64).ok()
        }
        None => None,
    };
    site.insert(METALINK_PATH, meta4);
    site.insert(MANIFEST_PATH, manifest_json);
    site.insert(MANIFEST_JS_PATH, manifest_js);
    site.insert(SUMS_PATH, sums.into_bytes());
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
    Ok((site, summary))
}
