//! The `integrity/` files over the sealed files: the shards and their
//! script twins, the root (`manifest.json`) and its script, the Metalink
//! file, `SHA256SUMS` and the signature. Made from each file's [`Parts`]
//! (its lines in those files, computed once when the file is sealed), never
//! from the files' bytes, so the index files cost what the site's
//! *metadata* costs, and `serve` makes again only the shards a save
//! touched.
//!
//! What covers what (format 2):
//! - each shard lists its files' entries; every file Spore writes is in
//!   one, the `.spore-output` marker and `integrity/verify.js` included,
//!   but for the files below;
//! - the root lists every shard by SHA-256 and size; the signature covers
//!   the root, so through it every shard and every file;
//! - `manifest.js` and each shard's `.js` are their JSON wrapped as scripts
//!   (derived byte for byte, checked by `verify` by making them again);
//! - `site.meta4` lists every file but itself, the signature and
//!   `SHA256SUMS` with its hash; it is derived from the root and the
//!   shards (so checked the same way);
//! - `SHA256SUMS` lists every file but itself and the signature.

use super::manifest::{
    MirrorEntry, Root, ShardRef, SiteInfo, FORMAT, MANIFEST_JS_PATH, MANIFEST_PATH, METALINK_PATH,
    SIGNATURE_PATH, SUMS_PATH,
};
use super::page::sha256_hex;
use super::shard::{self, shard_index, shard_js, shard_json};
use super::{metalink, sums};
use crate::site::{Bytes, Deferred, SiteFile};
use rayon::prelude::*;
use std::borrow::Borrow;
use std::sync::Arc;

/// What the seal files say about one sealed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// Its line in its shard.
    pub member: String,
    /// [`shard::shard_key`] of its path.
    pub key: u32,
    /// Its line in `SHA256SUMS`.
    pub line: String,
    /// Its `<file>` element in `site.meta4`.
    pub element: String,
}

impl Parts {
    /// The lines of the file at `path` whose entry is `entry`.
    pub fn of(path: &str, entry: &super::manifest::FileEntry, mirrors: &[MirrorEntry]) -> Parts {
        Parts {
            member: shard::member(path, entry),
            key: shard::shard_key(path),
            line: sums::line(path, &entry.sha256),
            element: metalink::file_element(path, entry.size, &entry.sha256, mirrors),
        }
    }
}

/// One shard as made: its reference in the root, its JSON and its script.
#[derive(Debug, Clone)]
pub struct MadeShard {
    pub reference: ShardRef,
    pub json: Bytes,
    pub js: Bytes,
    /// SHA-256 of `js` (that of `json` is in the reference): hashed once,
    /// when the shard is made, not at every seal that keeps it.
    pub js_sha256: String,
    /// Length of `js` (that of `json` is in the reference): what the
    /// listings say once the bytes are written and let go.
    pub js_size: u64,
    /// Its files are written already ([`write_shards`]): the bytes are
    /// gone, and the index files made over it leave them out.
    pub written: bool,
}

impl MadeShard {
    /// The shard made from its JSON.
    pub fn new(reference: ShardRef, json: Bytes) -> MadeShard {
        let js = shard_js(&reference.sha256, &json);
        MadeShard {
            js_sha256: sha256_hex(&js),
            js_size: js.len() as u64,
            js: js.into(),
            reference,
            json,
            written: false,
        }
    }
}

/// One file of a shard, as the index files list it.
struct ShardFile<'a> {
    path: String,
    bytes: &'a Bytes,
    sha256: &'a str,
    size: u64,
    written: bool,
}

/// The files of `shards`, in path order; shards that are alike (empty
/// ones) are one file.
fn shard_files(shards: &[MadeShard]) -> Vec<ShardFile<'_>> {
    let mut files = Vec::with_capacity(shards.len() * 2);
    for s in shards {
        let file = |path, bytes, sha256, size| ShardFile {
            path,
            bytes,
            sha256,
            size,
            written: s.written,
        };
        files.push(file(
            s.reference.path(),
            &s.json,
            &s.reference.sha256,
            s.reference.size,
        ));
        files.push(file(s.reference.js_path(), &s.js, &s.js_sha256, s.js_size));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

/// Hands every file of `shards` to `put` (in parallel) and returns the
/// shards without their bytes, and the paths written (a build, which makes
/// `site.meta4` and `SHA256SUMS` after, without the shards in memory).
pub fn write_shards<E: Send>(
    shards: Vec<MadeShard>,
    put: impl Fn(&str, &Bytes) -> Result<(), E> + Sync,
) -> Result<(Vec<MadeShard>, Vec<String>), E> {
    let files = shard_files(&shards);
    files.par_iter().try_for_each(|f| put(&f.path, f.bytes))?;
    let paths = files.into_iter().map(|f| f.path).collect();
    let empty = Bytes::from(&[][..]);
    let shards = shards
        .into_iter()
        .map(|s| MadeShard {
            json: empty.clone(),
            js: empty.clone(),
            written: true,
            ..s
        })
        .collect();
    Ok((shards, paths))
}

/// The shards of the last seal, for `serve`: a shard none of whose files
/// changed is taken as it was.
#[derive(Debug, Clone, Default)]
pub struct ShardCache {
    bits: Option<u32>,
    shards: Vec<MadeShard>,
}

/// Which shards must be made again: all, or those holding a file whose
/// key is listed (a file sealed anew, or one that left).
pub enum Dirty<'a> {
    All,
    Keys(&'a [u32]),
}

/// The shards of `listed` (every listed file, in path order), reusing the
/// cache's unchanged ones.
pub fn shards(listed: &[(&str, &Parts)], cache: &mut ShardCache, dirty: Dirty) -> Vec<MadeShard> {
    shards_of(listed.len(), listed.iter().map(|(_, p)| *p), cache, dirty)
}

/// [`shards`] over `count` files' parts, in path order: only the members
/// of shards to be made again are gathered.
pub fn shards_of<'a>(
    count: usize,
    parts: impl Iterator<Item = &'a Parts>,
    cache: &mut ShardCache,
    dirty: Dirty,
) -> Vec<MadeShard> {
    let bits = shard::shard_bits(count);
    let shard_count = 1usize << bits;
    let mut remake = vec![true; shard_count];
    if cache.bits == Some(bits) && cache.shards.len() == shard_count {
        if let Dirty::Keys(keys) = dirty {
            remake.fill(false);
            for &key in keys {
                remake[shard_index(key, bits)] = true;
            }
        }
    }
    let mut members: Vec<Vec<&str>> = vec![Vec::new(); shard_count];
    for parts in parts {
        let i = shard_index(parts.key, bits);
        if remake[i] {
            members[i].push(&parts.member);
        }
    }
    let old = std::mem::take(&mut cache.shards);
    let made: Vec<MadeShard> = members
        .par_iter()
        .enumerate()
        .map(|(i, members)| match old.get(i) {
            Some(kept) if !remake[i] => kept.clone(),
            _ => {
                let json = shard_json(members.iter().copied());
                let reference = ShardRef {
                    entries: members.len() as u64,
                    sha256: sha256_hex(&json),
                    size: json.len() as u64,
                };
                MadeShard::new(reference, json.into())
            }
        })
        .collect();
    cache.bits = Some(bits);
    cache.shards = made.clone();
    made
}

/// The site as a whole, as the root describes it (all but the shards,
/// `version` and `built`).
pub struct Head {
    pub generator: String,
    pub mirrors: Vec<MirrorEntry>,
    pub public_key: Option<String>,
    pub site: SiteInfo,
}

/// The root over `shards`, sealed at `version` (`built` its date).
pub fn root(head: &Head, shards: &[MadeShard], version: i64, built: &str) -> Root {
    Root {
        built: built.to_string(),
        format: FORMAT.into(),
        generator: head.generator.clone(),
        mirrors: head.mirrors.clone(),
        public_key: head.public_key.clone(),
        shard_bits: shards.len().trailing_zeros(),
        shards: shards.iter().map(|s| s.reference.clone()).collect(),
        site: head.site.clone(),
        version,
    }
}

/// What a root says apart from its version: two builds with the same
/// fingerprint publish the same files (the shards' hashes cover every
/// entry), so the seal may keep the version
/// ([`super::version::sealed_version`]).
pub fn fingerprint(root: &Root) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut outline = root.clone();
    outline.version = 0;
    outline.built.clear();
    outline.generator.clear();
    Sha256::digest(outline.to_canonical_json()).into()
}

/// The index files over the listed files and their shards: every
/// `integrity/` file but `verify.js` (which is listed) and the signature.
pub fn index_files(
    listed: &[(&str, &Parts)],
    shards: &[MadeShard],
    root: &Root,
) -> Vec<(String, Bytes)> {
    let listing = Listing::new(listed.iter().map(|(p, parts)| (*p, *parts)));
    let (mut out, listing) = shard_and_root_files(listing, shards, root);
    let meta4 = listing.metalink(root);
    let sums = listing.sums(&meta4);
    out.push((METALINK_PATH.into(), meta4.into()));
    out.push((SUMS_PATH.into(), sums.into()));
    out
}

/// [`index_files`], with `site.meta4` and `SHA256SUMS` made only when
/// first read ([`Deferred`]): they list every file, so they cost what the
/// site's metadata costs, and nothing that `serve` shows a page reads
/// them. `listed` is every listed file, in path order.
pub fn index_files_deferred<'a>(
    listed: impl Iterator<Item = (&'a str, Arc<Parts>)>,
    shards: &[MadeShard],
    root: &Root,
) -> Vec<(String, SiteFile)> {
    let (made, listing) = shard_and_root_files(Listing::new(listed), shards, root);
    let mut out: Vec<(String, SiteFile)> = made
        .into_iter()
        .map(|(p, b)| (p, SiteFile::Made(b)))
        .collect();
    let listing = Arc::new(listing);
    let (mirrors, generator, built) = (
        root.mirrors.clone(),
        root.generator.clone(),
        root.built.clone(),
    );
    let for_meta4 = listing.clone();
    let meta4 = Arc::new(Deferred::new(move || {
        for_meta4.metalink_with(&mirrors, &generator, &built).into()
    }));
    let for_sums = meta4.clone();
    let sums = Deferred::new(move || listing.sums(for_sums.bytes()).into());
    out.push((METALINK_PATH.into(), SiteFile::Deferred(meta4)));
    out.push((SUMS_PATH.into(), SiteFile::Deferred(Arc::new(sums))));
    out
}

/// The shards' files and the root's, and the listing with their lines
/// added.
fn shard_and_root_files<P: Borrow<Parts>>(
    mut listing: Listing<P>,
    shards: &[MadeShard],
    root: &Root,
) -> (Vec<(String, Bytes)>, Listing<P>) {
    let root_json = root.to_canonical_json();
    let root_js = super::manifest::manifest_js(&root_json);
    let mirrors = &root.mirrors;
    let shard_files = shard_files(shards);
    // Lines and elements of the index files themselves.
    let own: Vec<Line> = shard_files
        .par_iter()
        .map(|f| (f.path.clone(), f.sha256.to_string(), f.size as usize))
        .chain([
            (
                MANIFEST_PATH.to_string(),
                sha256_hex(&root_json),
                root_json.len(),
            ),
            (
                MANIFEST_JS_PATH.to_string(),
                sha256_hex(&root_js),
                root_js.len(),
            ),
        ])
        .map(|(path, sha, size)| {
            let element = metalink::file_element(&path, size as u64, &sha, mirrors);
            let line = sums::line(&path, &sha);
            Line {
                path,
                line,
                element,
            }
        })
        .collect();
    listing.add_own(own);
    let mut out: Vec<(String, Bytes)> = shard_files
        .into_iter()
        .filter(|f| !f.written)
        .map(|f| (f.path, f.bytes.clone()))
        .collect();
    out.push((MANIFEST_PATH.into(), root_json.into()));
    out.push((MANIFEST_JS_PATH.into(), root_js.into()));
    (out, listing)
}

/// A file's path with its line in `SHA256SUMS` and element in `site.meta4`.
struct Line {
    path: String,
    line: String,
    element: String,
}

/// Every listed file's lines, in path order, as `site.meta4` and
/// `SHA256SUMS` list them. The files under `integrity/` (the index files
/// and `verify.js`) sort together, between `before` and `after`, so only
/// they are kept with their paths: the others' parts are all it holds.
struct Listing<P> {
    before: Vec<P>,
    integrity: Vec<Line>,
    after: Vec<P>,
}

impl<P: Borrow<Parts>> Listing<P> {
    fn new<'a>(listed: impl Iterator<Item = (&'a str, P)>) -> Listing<P> {
        let mut listing = Listing {
            before: Vec::new(),
            integrity: Vec::new(),
            after: Vec::new(),
        };
        for (path, parts) in listed {
            if path.starts_with(INTEGRITY_DIR) {
                let p = parts.borrow();
                listing.integrity.push(Line {
                    path: path.to_string(),
                    line: p.line.clone(),
                    element: p.element.clone(),
                });
            } else if path < INTEGRITY_DIR {
                listing.before.push(parts);
            } else {
                listing.after.push(parts);
            }
        }
        listing
    }

    fn add_own(&mut self, own: Vec<Line>) {
        self.integrity.extend(own);
        self.integrity.sort_by(|a, b| a.path.cmp(&b.path));
    }

    fn metalink(&self, root: &Root) -> Vec<u8> {
        self.metalink_with(&root.mirrors, &root.generator, &root.built)
    }

    fn metalink_with(&self, mirrors: &[MirrorEntry], generator: &str, built: &str) -> Vec<u8> {
        let elements = self
            .before
            .iter()
            .map(|p| p.borrow().element.as_str())
            .chain(self.integrity.iter().map(|l| l.element.as_str()))
            .chain(self.after.iter().map(|p| p.borrow().element.as_str()));
        metalink::metalink(
            elements,
            mirrors,
            generator,
            built,
            &[SIGNATURE_PATH, SUMS_PATH],
        )
        .into_bytes()
    }

    /// `SHA256SUMS`, which lists `site.meta4` (whose bytes are `meta4`)
    /// among the index files.
    fn sums(&self, meta4: &[u8]) -> Vec<u8> {
        let meta4_line = sums::line(METALINK_PATH, &sha256_hex(meta4));
        let at = self
            .integrity
            .partition_point(|l| l.path.as_str() < METALINK_PATH);
        let (integrity_before, integrity_after) = self.integrity.split_at(at);
        let lines = self
            .before
            .iter()
            .map(|p| p.borrow().line.as_str())
            .chain(integrity_before.iter().map(|l| l.line.as_str()))
            .chain([meta4_line.as_str()])
            .chain(integrity_after.iter().map(|l| l.line.as_str()))
            .chain(self.after.iter().map(|p| p.borrow().line.as_str()));
        let mut out = String::new();
        for line in lines {
            out.push_str(line);
        }
        out.into_bytes()
    }
}

/// Where the index files live: every path in it sorts together.
const INTEGRITY_DIR: &str = "integrity/";

/// Every integrity file the entries of `m` make, as the seal makes them
/// (the signature aside): for tools and tests that write a manifest of
/// their own, such as a forger's in the verify tests.
pub fn for_manifest(m: &super::manifest::Manifest) -> Vec<(String, Bytes)> {
    let parts: Vec<(&String, Parts)> = m
        .files
        .iter()
        .map(|(path, e)| (path, Parts::of(path, e, &m.mirrors)))
        .collect();
    let listed: Vec<(&str, &Parts)> = parts.iter().map(|(p, parts)| (p.as_str(), parts)).collect();
    let shards = shards(&listed, &mut ShardCache::default(), Dirty::All);
    let head = Head {
        generator: m.generator.clone(),
        mirrors: m.mirrors.clone(),
        public_key: m.public_key.clone(),
        site: m.site.clone(),
    };
    index_files(&listed, &shards, &root(&head, &shards, m.version, &m.built))
}
