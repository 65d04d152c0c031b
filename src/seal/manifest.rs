//! The manifest: the public, documented list of every output file with
//! its size and SHA-256 ([[Integrity and verification#The manifest]]).
//!
//! Format 2 (`spore-manifest/2`) is two-level, as TUF's targets and Git's
//! trees are: `integrity/manifest.json` is a small *root* (site, version,
//! mirrors, public key, and one reference per shard: hash, size, entry
//! count), and the per-file entries live in *shards*,
//! `integrity/shards/<sha256>.json`, each named by the SHA-256 of its own
//! bytes, so a shard never changes under its name and may be cached
//! forever. A file's shard is chosen by the first `shard_bits` bits of
//! SHA-256 of its path; the number of shards is the power of two nearest
//! above the square root of the number of files, so the root and each shard
//! grow with the square root of the site and a page is checked with the
//! root, its signature and one shard. The signature covers the root, and
//! through its hashes every shard.
//!
//! Format 1 (`spore-manifest/1`, one file listing every entry) is still
//! read, by `spore verify` and when a build looks at the previous site.
//!
//! Canonical bytes: keys sorted (struct fields are declared in alphabetical
//! order, maps are `BTreeMap`s), `/` paths, LF line ends, one final
//! newline; the root is indented by two spaces with one line per shard, a
//! shard has one line per file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format this Spore writes.
pub const FORMAT: &str = "spore-manifest/2";
/// The single-file format of earlier versions, still read.
pub const FORMAT_V1: &str = "spore-manifest/1";
/// The `format` of every shard.
pub const SHARD_FORMAT: &str = "spore-manifest-shard/2";

/// Where the seal files live, relative to the site root.
pub const MANIFEST_PATH: &str = "integrity/manifest.json";
pub const MANIFEST_JS_PATH: &str = "integrity/manifest.js";
pub const SIGNATURE_PATH: &str = "integrity/manifest.json.minisig";
pub const SUMS_PATH: &str = "integrity/SHA256SUMS";
pub const METALINK_PATH: &str = "integrity/site.meta4";
pub const VERIFY_JS_PATH: &str = "integrity/verify.js";
/// The folder of the shards and their script twins.
pub const SHARD_DIR: &str = "integrity/shards/";

/// Files a format-1 manifest cannot list because they contain (or are
/// derived from) its own bytes.
pub const SEAL_FILES_V1: [&str; 4] = [MANIFEST_PATH, MANIFEST_JS_PATH, SIGNATURE_PATH, SUMS_PATH];

/// Most shard bits a root may declare (65,536 shards: a site of four
/// billion files).
pub const MAX_SHARD_BITS: u32 = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// RFC 3339 UTC time of `version`.
    pub built: String,
    /// Every listed output path: for format 2, the entries of every shard
    /// (the integrity files themselves are not among them); for format 1,
    /// every path but [`SEAL_FILES_V1`].
    pub files: BTreeMap<String, FileEntry>,
    /// [`FORMAT`] or [`FORMAT_V1`].
    pub format: String,
    /// `spore X.Y.Z`.
    pub generator: String,
    pub mirrors: Vec<MirrorEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    pub site: SiteInfo,
    /// Seconds since the Unix epoch; only grows between builds.
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    pub size: u64,
    /// Note pages only: vault-relative path of the note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// Stable id: the signing key's id (16 hex digits) when the site has a
    /// public key, else the first 16 hex digits of SHA-256 of the title.
    pub id: String,
    pub title: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("not valid JSON for a Spore manifest: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unknown manifest format {0:?} (this Spore reads {FORMAT} and {FORMAT_V1})")]
    Format(String),
    #[error("{0}")]
    Invalid(String),
}

impl Manifest {
    /// The canonical bytes written to `integrity/manifest.json`.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        // Going through `Value` sorts every object's keys (serde_json's map
        // is a BTreeMap), whatever order the structs declare.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses a format-1 manifest (the whole list in one file).
    pub fn parse_v1(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_slice(bytes)?;
        if manifest.format != FORMAT_V1 {
            return Err(ManifestError::Format(manifest.format));
        }
        Ok(manifest)
    }

    /// The manifest a root and its shards' entries describe.
    pub fn from_root(root: &Root, files: BTreeMap<String, FileEntry>) -> Manifest {
        Manifest {
            built: root.built.clone(),
            files,
            format: root.format.clone(),
            generator: root.generator.clone(),
            mirrors: root.mirrors.clone(),
            public_key: root.public_key.clone(),
            site: root.site.clone(),
            version: root.version,
        }
    }
}

/// A format-2 `integrity/manifest.json`: everything about the site but
/// the per-file entries, which are in the shards it references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    /// RFC 3339 UTC time of `version`.
    pub built: String,
    /// Always [`FORMAT`].
    pub format: String,
    /// `spore X.Y.Z`.
    pub generator: String,
    pub mirrors: Vec<MirrorEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// A file's shard is the first `shard_bits` bits of SHA-256 of its path.
    pub shard_bits: u32,
    /// Exactly `2^shard_bits`, in shard order.
    pub shards: Vec<ShardRef>,
    pub site: SiteInfo,
    /// Seconds since the Unix epoch; only grows between builds.
    pub version: i64,
}

/// One shard as the root names it: the SHA-256 and size of its bytes (its
/// file is `integrity/shards/<sha256>.json`) and how many files it lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRef {
    pub entries: u64,
    pub sha256: String,
    pub size: u64,
}

impl ShardRef {
    /// `integrity/shards/<sha256>.json`.
    pub fn path(&self) -> String {
        format!("{SHARD_DIR}{}.json", self.sha256)
    }

    /// `integrity/shards/<sha256>.js`, the same shard as a script.
    pub fn js_path(&self) -> String {
        format!("{SHARD_DIR}{}.js", self.sha256)
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Root {
    /// The canonical bytes written to `integrity/manifest.json`: indented
    /// by two spaces like format 1, but one line per shard (a root has
    /// hundreds of them at 100,000 files; five lines each would double it).
    pub fn to_canonical_json(&self) -> Vec<u8> {
        let mut outline = self.clone();
        outline.shards.clear();
        let value = serde_json::to_value(&outline).unwrap_or(serde_json::Value::Null);
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let empty = "\n  \"shards\": [],\n";
        let mut out = String::with_capacity(text.len() + self.shards.len() * 110);
        match text.find(empty) {
            Some(at) => {
                out.push_str(&text[..at]);
                out.push_str("\n  \"shards\": [");
                for (i, shard) in self.shards.iter().enumerate() {
                    out.push_str(if i == 0 { "\n    " } else { ",\n    " });
                    out.push_str(&serde_json::to_string(shard).unwrap_or_default());
                }
                out.push_str(if self.shards.is_empty() { "]" } else { "\n  ]" });
                out.push_str(",\n");
                out.push_str(&text[at + empty.len()..]);
            }
            None => out.push_str(&text),
        }
        out.push('\n');
        out.into_bytes()
    }

    /// Parses and checks a root: the format, one shard reference per
    /// shard, each a SHA-256.
    pub fn parse(bytes: &[u8]) -> Result<Root, ManifestError> {
        let root: Root = serde_json::from_slice(bytes)?;
        if root.format != FORMAT {
            return Err(ManifestError::Format(root.format));
        }
        if root.shard_bits > MAX_SHARD_BITS {
            return Err(ManifestError::Invalid(format!(
                "shard_bits is {}, at most {MAX_SHARD_BITS} are allowed",
                root.shard_bits
            )));
        }
        if root.shards.len() != 1usize << root.shard_bits {
            return Err(ManifestError::Invalid(format!(
                "{} shards listed, but shard_bits {} means {}",
                root.shards.len(),
                root.shard_bits,
                1usize << root.shard_bits
            )));
        }
        if let Some(bad) = root.shards.iter().find(|s| !is_sha256_hex(&s.sha256)) {
            return Err(ManifestError::Invalid(format!(
                "shard hash {:?} is not 64 lowercase hex digits",
                crate::printable::printable(&bad.sha256)
            )));
        }
        Ok(root)
    }
}

/// What an `integrity/manifest.json` turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyManifest {
    V1(Manifest),
    V2(Root),
}

/// Parses either format, by its `format` field.
pub fn parse_any(bytes: &[u8]) -> Result<AnyManifest, ManifestError> {
    #[derive(Deserialize)]
    struct Format {
        format: String,
    }
    let Format { format } = serde_json::from_slice(bytes)?;
    match format.as_str() {
        FORMAT => Root::parse(bytes).map(AnyManifest::V2),
        FORMAT_V1 => Manifest::parse_v1(bytes).map(AnyManifest::V1),
        _ => Err(ManifestError::Format(format)),
    }
}

/// `integrity/manifest.js`: the root as a classic script, for pages
/// opened from `file://` where `fetch` is blocked. Derived byte for byte
/// from manifest.json, so `verify` can recompute and compare it.
pub fn manifest_js(manifest_json: &[u8]) -> Vec<u8> {
    let json = String::from_utf8_lossy(manifest_json);
    format!(
        "/* Spore: integrity/manifest.json as a script, for pages opened from file:// */\nwindow.SPORE_MANIFEST = {};\n",
        json.trim_end()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut files = BTreeMap::new();
        files.insert(
            "b.html".into(),
            FileEntry {
                sha256: "00".into(),
                size: 1,
                source: Some("b.md".into()),
                source_sha256: Some("11".into()),
                title: Some("B".into()),
            },
        );
        files.insert(
            "a.css".into(),
            FileEntry {
                sha256: "22".into(),
                size: 2,
                source: None,
                source_sha256: None,
                title: None,
            },
        );
        Manifest {
            built: "1970-01-01T00:00:00Z".into(),
            files,
            format: FORMAT_V1.into(),
            generator: "spore test".into(),
            mirrors: vec![],
            public_key: None,
            site: SiteInfo {
                id: "x".into(),
                title: "T".into(),
            },
            version: 0,
        }
    }

    #[test]
    fn canonical_json_sorted_lf_and_round_trips() {
        let m = sample();
        let bytes = m.to_canonical_json();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains('\r'));
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"a.css\"").unwrap() < text.find("\"b.html\"").unwrap());
        assert!(text.find("\"built\"").unwrap() < text.find("\"files\"").unwrap());
        assert_eq!(Manifest::parse_v1(&bytes).unwrap(), m);
        assert_eq!(
            Manifest::parse_v1(&bytes).unwrap().to_canonical_json(),
            bytes
        );
    }

    #[test]
    fn other_formats_are_refused() {
        let mut m = sample();
        m.format = "other/9".into();
        assert!(matches!(
            Manifest::parse_v1(&m.to_canonical_json()),
            Err(ManifestError::Format(_))
        ));
        assert!(matches!(
            parse_any(&m.to_canonical_json()),
            Err(ManifestError::Format(_))
        ));
    }

    fn root(bits: u32) -> Root {
        Root {
            built: "1970-01-01T00:00:00Z".into(),
            format: FORMAT.into(),
            generator: "spore test".into(),
            mirrors: vec![],
            public_key: None,
            shard_bits: bits,
            shards: (0..1u32 << bits)
                .map(|i| ShardRef {
                    entries: i.into(),
                    sha256: format!("{i:064x}"),
                    size: 10,
                })
                .collect(),
            site: SiteInfo {
                id: "x".into(),
                title: "T".into(),
            },
            version: 7,
        }
    }

    #[test]
    fn root_is_one_line_per_shard_and_round_trips() {
        let r = root(2);
        let bytes = r.to_canonical_json();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.ends_with("}\n") && !text.contains('\r'));
        assert_eq!(text.matches("{\"entries\":").count(), 4);
        assert!(text.contains(&format!(
            "\n    {{\"entries\":1,\"sha256\":\"{:064x}\",\"size\":10}},\n",
            1
        )));
        assert_eq!(Root::parse(&bytes).unwrap(), r);
        assert_eq!(parse_any(&bytes).unwrap(), AnyManifest::V2(r.clone()));
        // Generic JSON tools read it as the same value.
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["shards"][3]["entries"], 3);
    }

    #[test]
    fn roots_that_do_not_add_up_are_refused() {
        let mut r = root(2);
        r.shards.pop();
        assert!(matches!(
            Root::parse(&r.to_canonical_json()),
            Err(ManifestError::Invalid(_))
        ));
        let mut r = root(1);
        r.shards[0].sha256 = "../../x".into();
        assert!(Root::parse(&r.to_canonical_json()).is_err());
        let mut r = root(0);
        r.shard_bits = 40;
        assert!(Root::parse(&r.to_canonical_json()).is_err());
    }
}
