//! `integrity/manifest.json`: the public, documented list of every output
//! file with its size and SHA-256. Canonical bytes: keys sorted (struct
//! fields are declared in alphabetical order, maps are `BTreeMap`s), two-space
//! indentation, `/` paths, LF line ends, one final newline.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "spore-manifest/1";

/// Where the seal files live, relative to the site root.
pub const MANIFEST_PATH: &str = "integrity/manifest.json";
pub const MANIFEST_JS_PATH: &str = "integrity/manifest.js";
pub const SIGNATURE_PATH: &str = "integrity/manifest.json.minisig";
pub const SUMS_PATH: &str = "integrity/SHA256SUMS";
pub const METALINK_PATH: &str = "integrity/site.meta4";
pub const VERIFY_JS_PATH: &str = "integrity/verify.js";

/// Files the manifest cannot list because they contain (or are derived
/// from) the manifest's own bytes. `verify` checks them by recomputing them
/// from the manifest (manifest.js, SHA256SUMS) or by the signature.
pub const SEAL_FILES: [&str; 4] = [MANIFEST_PATH, MANIFEST_JS_PATH, SIGNATURE_PATH, SUMS_PATH];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// RFC 3339 UTC time of `version`.
    pub built: String,
    /// Every output path except [`SEAL_FILES`].
    pub files: BTreeMap<String, FileEntry>,
    /// Always [`FORMAT`].
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
    #[error("unknown manifest format {0:?} (this Spore reads {FORMAT})")]
    Format(String),
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

    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_slice(bytes)?;
        if manifest.format != FORMAT {
            return Err(ManifestError::Format(manifest.format));
        }
        Ok(manifest)
    }
}

/// `integrity/manifest.js`: the manifest as a classic script, for pages
/// opened from `file://` where `fetch` is blocked. Derived byte for byte
/// from manifest.json, so `verify` can recompute and compare it.
/// One file's member of the manifest's `files` object, exactly as
/// [`Manifest::to_canonical_json`] writes it (without the separating comma).
pub fn file_member(path: &str, entry: &FileEntry) -> String {
    fn string(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
    let mut out = format!(
        "    {}: {{\n      \"sha256\": {},\n      \"size\": {}",
        string(path),
        string(&entry.sha256),
        entry.size
    );
    let optional = [
        ("source", &entry.source),
        ("source_sha256", &entry.source_sha256),
        ("title", &entry.title),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            out.push_str(&format!(",\n      \"{name}\": {}", string(value)));
        }
    }
    out.push_str("\n    }");
    out
}

impl Manifest {
    /// The canonical JSON of this manifest with `members` (each from
    /// [`file_member`], in path order) as its files, in place of
    /// `self.files`: the seal keeps each file's member between `serve`
    /// rebuilds instead of serialising every entry again.
    pub fn canonical_json_with<'a>(&self, members: impl Iterator<Item = &'a str>) -> Vec<u8> {
        let mut outline = self.clone();
        outline.files.clear();
        let text = String::from_utf8(outline.to_canonical_json()).unwrap_or_default();
        // Strings cannot hold a raw line break, so this marks the field.
        let empty = "\n  \"files\": {},\n";
        let Some(at) = text.find(empty) else {
            return self.to_canonical_json();
        };
        let mut out = String::with_capacity(text.len() + 256 * 1024);
        out.push_str(&text[..at]);
        out.push_str("\n  \"files\": {");
        let mut first = true;
        for member in members {
            out.push_str(if first { "\n" } else { ",\n" });
            out.push_str(member);
            first = false;
        }
        out.push_str(if first { "}" } else { "\n  }" });
        out.push_str(",\n");
        out.push_str(&text[at + empty.len()..]);
        out.into_bytes()
    }
}

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
            format: FORMAT.into(),
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
        assert_eq!(Manifest::parse(&bytes).unwrap(), m);
        assert_eq!(Manifest::parse(&bytes).unwrap().to_canonical_json(), bytes);
    }

    #[test]
    fn other_formats_are_refused() {
        let mut m = sample();
        m.format = "other/9".into();
        assert!(matches!(
            Manifest::parse(&m.to_canonical_json()),
            Err(ManifestError::Format(_))
        ));
    }
}
