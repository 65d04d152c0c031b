//! The shards of a format-2 manifest ([`super::manifest`]): which shard a
//! file's entry goes to, a shard's canonical bytes and its script twin, and
//! reading one back. Used by the seal to write them and by `verify` (and
//! the browser's `verify.js`, which computes the same shard index) to
//! find an entry.

use super::manifest::{FileEntry, ManifestError, Root, ShardRef, SHARD_FORMAT};
use super::page::sha256_hex;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How many bits of a path's hash choose its shard for a site of `files`
/// listed files: the smallest `b` with `4^b >= 2 × files`, so there are
/// between √(2n) and 2√(2n) shards of about √(n/2) entries each — the root
/// and any one shard both grow with the square root of the site. Why
/// twice: a root line (about 110 bytes) is less than half an entry (about
/// 260 bytes), so the root plus one shard is smallest with more shards
/// than entries per shard (about 95 KB at 60,000 files).
pub fn shard_bits(files: usize) -> u32 {
    let target = 2 * files as u128;
    let mut bits = 0;
    while bits < super::manifest::MAX_SHARD_BITS && (1u128 << (2 * bits)) < target {
        bits += 1;
    }
    bits
}

/// The first four bytes of SHA-256 of `path` (UTF-8), big-endian: what
/// chooses its shard at any number of bits.
pub fn shard_key(path: &str) -> u32 {
    let hash = Sha256::digest(path.as_bytes());
    u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]])
}

/// The shard of a path whose [`shard_key`] is `key`, with `bits` bits.
pub fn shard_index(key: u32, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (32 - bits)) as usize
    }
}

/// One file's line in a shard: `"path":{"sha256":…,"size":…,…}`.
pub fn member(path: &str, entry: &FileEntry) -> String {
    let mut out = serde_json::to_string(path).unwrap_or_else(|_| "\"\"".into());
    out.push(':');
    out.push_str(&serde_json::to_string(entry).unwrap_or_else(|_| "{}".into()));
    out
}

/// A shard's canonical bytes, from its members (each from [`member`], in
/// path order): one line per file.
pub fn shard_json<'a>(members: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut out = String::from("{\"files\":{");
    let mut first = true;
    for m in members {
        out.push_str(if first { "\n" } else { ",\n" });
        out.push_str(m);
        first = false;
    }
    if !first {
        out.push('\n');
    }
    out.push_str("},\"format\":\"");
    out.push_str(SHARD_FORMAT);
    out.push_str("\"}\n");
    out.into_bytes()
}

/// A shard as a classic script, for pages opened from `file://` (where
/// `fetch` is blocked): it adds the shard, under its hash, to
/// `window.SPORE_SHARDS`. Derived byte for byte from the shard.
pub fn shard_js(sha256: &str, json: &[u8]) -> Vec<u8> {
    let json = String::from_utf8_lossy(json);
    format!(
        "/* Spore: integrity/shards/{sha256}.json as a script, for pages opened from file:// */\n(window.SPORE_SHARDS = window.SPORE_SHARDS || {{}})[\"{sha256}\"] = {};\n",
        json.trim_end()
    )
    .into_bytes()
}

/// A shard read back: its entries, each checked to belong to shard `index`
/// of `bits` (an entry filed under another shard is a forged or broken
/// shard: the browser, looking in the right one, would never find it).
pub fn parse_shard(
    bytes: &[u8],
    index: usize,
    bits: u32,
) -> Result<BTreeMap<String, FileEntry>, ManifestError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        files: BTreeMap<String, FileEntry>,
        format: String,
    }
    let doc: Doc = serde_json::from_slice(bytes)?;
    if doc.format != SHARD_FORMAT {
        return Err(ManifestError::Format(doc.format));
    }
    if let Some(path) = doc
        .files
        .keys()
        .find(|p| shard_index(shard_key(p), bits) != index)
    {
        return Err(ManifestError::Invalid(format!(
            "lists {:?}, which belongs to another shard",
            crate::printable::printable(path)
        )));
    }
    Ok(doc.files)
}

/// The shards of a set of entries and the root that references them, for
/// a root whose fields but the shards are set: `(root, [(path, bytes)])`
/// with each shard's JSON and script twin. The seal writes the same bytes
/// through [`shard_json`] (keeping unchanged shards between `serve`
/// rebuilds); this is the whole computation at once, for tests and tools.
pub fn layout(
    mut root: Root,
    files: &BTreeMap<String, FileEntry>,
) -> (Root, Vec<(String, Vec<u8>)>) {
    let bits = shard_bits(files.len());
    let mut members: Vec<Vec<String>> = vec![Vec::new(); 1 << bits];
    for (path, entry) in files {
        members[shard_index(shard_key(path), bits)].push(member(path, entry));
    }
    root.shard_bits = bits;
    root.shards.clear();
    let mut out = Vec::new();
    for shard in &members {
        let json = shard_json(shard.iter().map(String::as_str));
        let reference = ShardRef {
            entries: shard.len() as u64,
            sha256: sha256_hex(&json),
            size: json.len() as u64,
        };
        out.push((reference.js_path(), shard_js(&reference.sha256, &json)));
        out.push((reference.path(), json));
        root.shards.push(reference);
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    (root, out)
}

/// Every entry an `integrity/manifest.json` lists, of either format:
/// `get` gives a site file's bytes by path (the shards of a format-2
/// root). Each shard is checked against the root's hash and parsed; for
/// tools and tests that read a site they trust to be whole (`spore
/// verify` reads copies its own way, file by file, naming what is wrong).
pub fn read_manifest(
    manifest_json: &[u8],
    get: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<super::manifest::Manifest, ManifestError> {
    use super::manifest::{parse_any, AnyManifest, Manifest};
    let root = match parse_any(manifest_json)? {
        AnyManifest::V1(m) => return Ok(m),
        AnyManifest::V2(root) => root,
    };
    let mut files = BTreeMap::new();
    for (i, s) in root.shards.iter().enumerate() {
        let bytes = get(&s.path())
            .ok_or_else(|| ManifestError::Invalid(format!("{} is missing", s.path())))?;
        if sha256_hex(&bytes) != s.sha256 {
            return Err(ManifestError::Invalid(format!(
                "{} does not hash as the root says",
                s.path()
            )));
        }
        files.extend(parse_shard(&bytes, i, root.shard_bits)?);
    }
    Ok(Manifest::from_root(&root, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts_grow_with_the_square_root() {
        assert_eq!(shard_bits(0), 0);
        assert_eq!(shard_bits(1), 1);
        assert_eq!(shard_bits(2), 1);
        assert_eq!(shard_bits(3), 2);
        assert_eq!(shard_bits(100), 4);
        assert_eq!(shard_bits(13_700), 8);
        assert_eq!(shard_bits(62_419), 9);
        assert_eq!(
            shard_bits(usize::MAX),
            super::super::manifest::MAX_SHARD_BITS
        );
    }

    #[test]
    fn index_is_the_leading_bits_of_the_path_hash() {
        // SHA-256("index.html") starts 0x4f... (checked with sha256sum).
        let key = shard_key("index.html");
        assert_eq!(format!("{key:08x}"), &sha256_hex(b"index.html")[..8]);
        assert_eq!(shard_index(key, 0), 0);
        assert_eq!(shard_index(key, 4), (key >> 28) as usize);
        assert_eq!(shard_index(u32::MAX, 16), 0xffff);
    }

    #[test]
    fn shard_round_trips_and_refuses_misfiled_entries() {
        let entry = FileEntry {
            sha256: "ab".repeat(32),
            size: 3,
            source: None,
            source_sha256: None,
            title: None,
        };
        let mut files = BTreeMap::new();
        for p in ["a.html", "b/c.html", "d\"e.css", "é.html"] {
            files.insert(p.to_string(), entry.clone());
        }
        let bits = 2;
        for index in 0..4 {
            let mine: Vec<String> = files
                .iter()
                .filter(|(p, _)| shard_index(shard_key(p), bits) == index)
                .map(|(p, e)| member(p, e))
                .collect();
            let json = shard_json(mine.iter().map(String::as_str));
            let back = parse_shard(&json, index, bits).unwrap();
            assert_eq!(back.len(), mine.len());
            let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(value["format"], SHARD_FORMAT);
            if !mine.is_empty() {
                let other = (index + 1) % 4;
                assert!(parse_shard(&json, other, bits).is_err());
            }
        }
    }
}
