//! `book.toml` → [`Config`]: raw settings are parsed first, then validated
//! into the one config the pipeline runs on. Bad input is rejected here, with
//! the key, line and column; the rest of the code never re-checks.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub const CONFIG_FILE: &str = "book.toml";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("vault folder {0} does not exist or is not a folder")]
    MissingVault(PathBuf),
}

/// A mirror: another place where a copy of this site lives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mirror {
    /// Absolute http(s) URL of the site root, always ending in `/`.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityConfig {
    /// minisign public key (base64 line) trusted for this site.
    pub public_key: Option<String>,
    /// Path to the minisign secret key; never inside the vault or output.
    pub secret_key: Option<PathBuf>,
}

/// The validated configuration every stage reads.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder holding `book.toml`, or the vault itself in zero-config mode.
    pub root: PathBuf,
    /// The vault: where the notes are.
    pub vault: PathBuf,
    /// Where `spore build` writes the site.
    pub output: PathBuf,
    pub title: String,
    pub description: String,
    pub authors: Vec<String>,
    pub language: String,
    pub theme: String,
    /// Publish `draft: true` / `publish: false` notes too (local preview).
    pub drafts: bool,
    pub mirrors: Vec<Mirror>,
    pub integrity: IntegrityConfig,
    /// Whether a `book.toml` was found (false: zero-config vault).
    pub has_config_file: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    book: RawBook,
    #[serde(default)]
    build: RawBuild,
    #[serde(default)]
    mirrors: RawMirrors,
    #[serde(default)]
    integrity: RawIntegrity,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    language: Option<String>,
    src: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    output: Option<PathBuf>,
    theme: Option<String>,
    #[serde(default)]
    drafts: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirrors {
    #[serde(default)]
    urls: Vec<RawMirror>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMirror {
    Url(String),
    Detailed {
        url: String,
        priority: Option<u32>,
        location: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntegrity {
    public_key: Option<String>,
    secret_key: Option<PathBuf>,
}

impl Config {
    /// Reads `DIR/book.toml` when present; otherwise `DIR` is the vault
    /// (zero config: the title is the folder name).
    pub fn discover(dir: &Path) -> Result<Config, ConfigError> {
        let root = absolute(dir);
        let file = root.join(CONFIG_FILE);
        if file.is_file() {
            let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                path: file.clone(),
                source,
            })?;
            Config::from_toml(&root, &file, &text)
        } else {
            Config::zero_config(&root)
        }
    }

    /// The configuration of a bare vault folder.
    pub fn zero_config(vault: &Path) -> Result<Config, ConfigError> {
        let vault = absolute(vault);
        if !vault.is_dir() {
            return Err(ConfigError::MissingVault(vault));
        }
        let title = vault
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Notes".to_string());
        let output = std::env::current_dir()
            .map(|cwd| cwd.join("site"))
            .unwrap_or_else(|_| vault.join("site"));
        Ok(Config {
            root: vault.clone(),
            vault,
            output,
            title,
            description: String::new(),
            authors: Vec::new(),
            language: "en".into(),
            theme: "default".into(),
            drafts: false,
            mirrors: Vec::new(),
            integrity: IntegrityConfig::default(),
            has_config_file: false,
        })
    }

    /// Parses and validates `book.toml` text; `root` is its folder.
    pub fn from_toml(root: &Path, file: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: file.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: file.to_path_buf(),
            message,
        };
        let root = absolute(root);
        let vault = root.join(raw.book.src.unwrap_or_else(|| PathBuf::from("content")));
        if !vault.is_dir() {
            return Err(ConfigError::MissingVault(vault));
        }
        let output = root.join(raw.build.output.unwrap_or_else(|| PathBuf::from("site")));
        let theme = raw.build.theme.unwrap_or_else(|| "default".into());
        if theme.is_empty() || theme.contains(['/', '\\']) || theme.starts_with('.') {
            return Err(invalid(format!(
                "[build] theme = {theme:?}: a theme is a folder name under themes/"
            )));
        }
        let mirrors = raw
            .mirrors
            .urls
            .into_iter()
            .map(|m| validate_mirror(m).map_err(&invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let title = raw.book.title.unwrap_or_else(|| {
            root.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Notes".into())
        });
        let language = raw.book.language.unwrap_or_else(|| "en".into());
        if language.is_empty()
            || !language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid(format!(
                "[book] language = {language:?}: expected a language tag like \"en\" or \"pt-BR\""
            )));
        }
        Ok(Config {
            root: root.clone(),
            vault: absolute(&vault),
            output,
            title,
            description: raw.book.description.unwrap_or_default(),
            authors: raw.book.authors,
            language,
            theme,
            drafts: raw.build.drafts,
            mirrors,
            integrity: IntegrityConfig {
                public_key: raw.integrity.public_key,
                secret_key: raw.integrity.secret_key.map(|p| root.join(p)),
            },
            has_config_file: true,
        })
    }
}

fn validate_mirror(raw: RawMirror) -> Result<Mirror, String> {
    let (url, priority, location) = match raw {
        RawMirror::Url(url) => (url, None, None),
        RawMirror::Detailed {
            url,
            priority,
            location,
        } => (url, priority, location),
    };
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => {}
        _ => {
            return Err(format!(
                "[mirrors] urls: {url:?} is not an absolute http(s) URL like \"https://example.org/wiki/\""
            ))
        }
    }
    let url = if url.ends_with('/') {
        url
    } else {
        format!("{url}/")
    };
    Ok(Mirror {
        url,
        priority,
        location,
    })
}

/// Makes a path absolute without touching the disk (no symlink resolution).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        Config::from_toml(dir.path(), &dir.path().join("book.toml"), text)
    }

    #[test]
    fn unknown_key_names_key_line_and_column() {
        let err = parse("[book]\ntitle = \"x\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("column 1"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = parse("[book]\ntitle = 3\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn mirrors_are_validated_and_normalised() {
        let c = parse("[mirrors]\nurls = [\"https://a.example/wiki\", { url = \"http://b.example/\", priority = 2, location = \"de\" }]\n").unwrap();
        assert_eq!(c.mirrors[0].url, "https://a.example/wiki/");
        assert_eq!(c.mirrors[1].priority, Some(2));
        assert!(parse("[mirrors]\nurls = [\"ftp://x/\"]\n").is_err());
        assert!(parse("[mirrors]\nurls = [\"/relative\"]\n").is_err());
    }

    #[test]
    fn defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.language, "en");
        assert_eq!(c.theme, "default");
        assert!(c.output.ends_with("site"));
        assert!(c.vault.ends_with("content"));
    }
}
