//! Stage 5, `seal`: per-file SHA-256, per-page integrity blocks, the
//! manifest, `SHA256SUMS`, the minisign signature and the Metalink mirror
//! list, all computed from the emitted [`Site`] in memory. Pure: the version
//! and the secret key are prepared outside ([`prepare`]) and passed in.
//!
//! What covers what:
//! - `manifest.json` lists every file except the four [`SEAL_FILES`];
//! - the signature covers `manifest.json`;
//! - `manifest.js` is `manifest.json` wrapped as a script;
//! - `SHA256SUMS` lists every file except itself and the signature.

pub mod manifest;
pub mod metalink;
pub mod page;
pub mod sign;
pub mod sums;
pub mod version;

use crate::config::Config;
use crate::site::{Bytes, Site};
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
}

/// What the seal stage needs from outside the site: computed once per build.
#[derive(Debug, Clone)]
pub struct SealInputs {
    pub version: SiteVersion,
    pub signer: Option<Signer>,
}

/// What a build sealed, for the build summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealSummary {
    pub version: i64,
    pub built: String,
    pub site_id: String,
    /// Key id of the signing key, when the manifest was signed.
    pub signed_by: Option<String>,
    /// A public key is configured but no secret key was found.
    pub unsigned_with_public_key: bool,
}

/// Reads the version sources and the secret key (the only parts of sealing
/// that touch the disk or the environment).
pub fn prepare<'a>(
    config: &Config,
    explicit_version: Option<i64>,
    notes: impl Iterator<Item = &'a crate::load::Note>,
) -> Result<SealInputs, SealError> {
    let version = version::site_version(explicit_version, &config.vault, notes);
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
    Ok(SealInputs { version, signer })
}

/// The site id: the key id when the site has a key (stable across title
/// changes), else derived from the title.
pub fn site_id(public_key: Option<&str>, title: &str) -> String {
    public_key
        .and_then(|k| sign::key_id(k).ok())
        .unwrap_or_else(|| sha256_hex(title.as_bytes())[..16].to_string())
}

fn entry(bytes: &[u8]) -> FileEntry {
    FileEntry {
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
        source: None,
        source_sha256: None,
        title: None,
    }
}

/// What sealing each file gave last time, for `serve`, which seals the
/// whole site after every save. `serve` hands in the very same bytes
/// (`Arc`) for a file it did not rebuild, and the cache holds them alive,
/// so pointer equality means equal bytes: such a file is neither patched
/// nor hashed again.
#[derive(Default)]
pub struct SealCache {
    /// Public key, mirrors and site id the entries were sealed with.
    params: Option<(Option<String>, Vec<String>, String)>,
    files: std::collections::HashMap<String, SealedFile>,
}

struct SealedFile {
    input: Bytes,
    source: Option<crate::site::PageSource>,
    output: Bytes,
    sha256: String,
}

/// Seals the site: patches every page's integrity marker and adds the
/// `integrity/` files.
pub fn seal(
    site: Site,
    config: &Config,
    inputs: &SealInputs,
) -> Result<(Site, SealSummary), SealError> {
    seal_cached(site, config, inputs, None)
}

/// [`seal`], reusing what `cache` remembers of unchanged files.
pub fn seal_cached(
    mut site: Site,
    config: &Config,
    inputs: &SealInputs,
    cache: Option<&mut SealCache>,
) -> Result<(Site, SealSummary), SealError> {
    let version = inputs.version.version;
    let built = version::rfc3339(version);
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
    let mirror_urls: Vec<String> = config.mirrors.iter().map(|m| m.url.clone()).collect();
    let mirrors: Vec<MirrorEntry> = config
        .mirrors
        .iter()
        .map(|m| MirrorEntry {
            location: m.location.clone(),
            priority: m.priority,
            url: m.url.clone(),
        })
        .collect();

    // Nothing from a previous seal may survive (the folder is reserved).
    site.files.retain(|p, _| !p.starts_with("integrity/"));
    site.insert(VERIFY_JS_PATH, VERIFY_JS.as_bytes().to_vec());

    let page_seal = PageSeal {
        public_key: public_key.as_deref(),
        mirrors: &mirror_urls,
        site_id: &id,
    };
    if let Some(cache) = cache {
        let files = seal_files_cached(&mut site, &page_seal, cache);
        return finish(
            site, config, inputs, files, public_key, id, mirrors, version, built,
        );
    }
    // Each page is replaced where it stands, so the unsealed copy is freed
    // at once instead of every page being held twice.
    let pages = &site.pages;
    site.files
        .par_iter_mut()
        .filter(|(path, _)| path.ends_with(".html"))
        .for_each(|(path, bytes)| {
            if let Some(sealed) = page::seal_page(path, bytes, pages.get(path), &page_seal) {
                *bytes = sealed.into();
            }
        });

    let files: BTreeMap<String, FileEntry> = site
        .files
        .par_iter()
        .map(|(path, bytes)| {
            let mut e = entry(bytes);
            if let Some(src) = site.pages.get(path) {
                e.source = Some(src.source.clone());
                e.source_sha256 = Some(src.source_sha256.clone());
                e.title = Some(src.title.clone());
            }
            (path.clone(), e)
        })
        .collect();

    finish(
        site, config, inputs, files, public_key, id, mirrors, version, built,
    )
}

/// Patches pages and hashes files, taking unchanged ones from `cache`;
/// returns every file's manifest entry.
fn seal_files_cached(
    site: &mut Site,
    page_seal: &PageSeal,
    cache: &mut SealCache,
) -> BTreeMap<String, FileEntry> {
    let params = (
        page_seal.public_key.map(str::to_string),
        page_seal.mirrors.to_vec(),
        page_seal.site_id.to_string(),
    );
    if cache.params.as_ref() != Some(&params) {
        cache.files.clear();
        cache.params = Some(params);
    }
    let known = &cache.files;
    let pages = &site.pages;
    let sealed: Vec<(String, SealedFile)> = site
        .files
        .par_iter()
        .map(|(path, bytes)| {
            let source = pages.get(path);
            let hit = known
                .get(path)
                .filter(|c| std::sync::Arc::ptr_eq(&c.input, bytes) && c.source.as_ref() == source);
            let file = match hit {
                Some(c) => SealedFile {
                    input: bytes.clone(),
                    source: source.cloned(),
                    output: c.output.clone(),
                    sha256: c.sha256.clone(),
                },
                None => {
                    let output: Bytes = if path.ends_with(".html") {
                        page::seal_page(path, bytes, source, page_seal)
                            .map(Bytes::from)
                            .unwrap_or_else(|| bytes.clone())
                    } else {
                        bytes.clone()
                    };
                    SealedFile {
                        input: bytes.clone(),
                        source: source.cloned(),
                        sha256: sha256_hex(&output),
                        output,
                    }
                }
            };
            (path.clone(), file)
        })
        .collect();
    let mut files = BTreeMap::new();
    for (path, file) in &sealed {
        let source = site.pages.get(path);
        files.insert(
            path.clone(),
            FileEntry {
                sha256: file.sha256.clone(),
                size: file.output.len() as u64,
                source: source.map(|s| s.source.clone()),
                source_sha256: source.map(|s| s.source_sha256.clone()),
                title: source.map(|s| s.title.clone()),
            },
        );
    }
    for (path, file) in &sealed {
        site.files.insert(path.clone(), file.output.clone());
    }
    cache.files = sealed.into_iter().collect();
    files
}

/// The `integrity/` files over the sealed files' entries.
#[allow(clippy::too_many_arguments)]
fn finish(
    mut site: Site,
    config: &Config,
    inputs: &SealInputs,
    mut files: BTreeMap<String, FileEntry>,
    public_key: Option<String>,
    id: String,
    mirrors: Vec<MirrorEntry>,
    version: i64,
    built: String,
) -> Result<(Site, SealSummary), SealError> {
    let meta4 = metalink::metalink(&files, &mirrors, &generator(), &built).into_bytes();
    files.insert(METALINK_PATH.to_string(), entry(&meta4));
    site.insert(METALINK_PATH, meta4);

    let manifest = Manifest {
        built: built.clone(),
        files,
        format: FORMAT.into(),
        generator: generator(),
        mirrors,
        public_key,
        site: SiteInfo {
            id: id.clone(),
            title: config.title.clone(),
        },
        version,
    };
    let manifest_json = manifest.to_canonical_json();
    let manifest_js = manifest::manifest_js(&manifest_json);
    let mut sum_entries: Vec<(String, String)> = manifest
        .files
        .iter()
        .map(|(p, e)| (p.clone(), e.sha256.clone()))
        .collect();
    sum_entries.push((MANIFEST_PATH.into(), sha256_hex(&manifest_json)));
    sum_entries.push((MANIFEST_JS_PATH.into(), sha256_hex(&manifest_js)));
    let sums = sums::sha256sums(sum_entries.iter().map(|(p, h)| (p.as_str(), h.as_str())));

    let signed_by = match &inputs.signer {
        Some(signer) => {
            let sig = sign::sign(signer, &manifest_json, &id, version).map_err(SealError::Sign)?;
            site.insert(SIGNATURE_PATH, sig.into_bytes());
            sign::key_id(&signer.public_base64).ok()
        }
        None => None,
    };
    site.insert(MANIFEST_PATH, manifest_json);
    site.insert(MANIFEST_JS_PATH, manifest_js);
    site.insert(SUMS_PATH, sums.into_bytes());
    let summary = SealSummary {
        version,
        built,
        site_id: id,
        unsigned_with_public_key: signed_by.is_none() && config.integrity.public_key.is_some(),
        signed_by,
    };
    Ok((site, summary))
}
