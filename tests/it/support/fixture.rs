//! Build a small vault written by the test, then read its pages as HTML.

use scraper::{Html, Selector};
use spore::config::Config;
use spore::pipeline::BuildReport;
use std::path::{Path, PathBuf};

pub struct BuiltVault {
    /// Keeps the temporary folder alive for the test's duration.
    pub _tmp: tempfile::TempDir,
    pub out: PathBuf,
    pub report: BuildReport,
}

/// Writes `files` (vault-relative path, bytes) into a fresh vault.
pub fn write_vault(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vault = tmp.path().join("vault");
    std::fs::create_dir_all(&vault).expect("vault dir");
    for (path, bytes) in files {
        let full = vault.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, bytes).expect("write");
    }
    (tmp, vault)
}

pub fn build_files(files: &[(&str, &str)]) -> BuiltVault {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    build_bytes(&bytes)
}

pub fn build_bytes(files: &[(&str, &[u8])]) -> BuiltVault {
    let (tmp, vault) = write_vault(files);
    build_dir(tmp, vault, false)
}

pub fn build_dir(tmp: tempfile::TempDir, vault: PathBuf, drafts: bool) -> BuiltVault {
    let out = tmp.path().join("site");
    let mut config = Config::zero_config(&vault).expect("config");
    config.output = out.clone();
    // A fixed version, so two builds of the same files are byte-identical
    // whatever the files' modification times.
    let options = spore::BuildOptions {
        include_drafts: drafts,
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    };
    let report = spore::build(&config, &options).expect("build");
    BuiltVault {
        _tmp: tmp,
        out,
        report,
    }
}

impl BuiltVault {
    pub fn page(&self, path: &str) -> Html {
        let text = std::fs::read_to_string(self.out.join(path))
            .unwrap_or_else(|e| panic!("reading page {path}: {e}"));
        Html::parse_document(&text)
    }

    pub fn exists(&self, path: &str) -> bool {
        self.out.join(path).exists()
    }

    /// Every file in the output, relative, `/`-separated, sorted.
    pub fn files(&self) -> Vec<String> {
        list_files(&self.out)
    }
}

pub fn list_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

/// Text of every element matching `css`, trimmed.
pub fn texts(html: &Html, css: &str) -> Vec<String> {
    html.select(&sel(css))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

pub fn attrs(html: &Html, css: &str, attr: &str) -> Vec<String> {
    html.select(&sel(css))
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

/// The `<article class="content">` of a page, as text.
pub fn article_text(html: &Html) -> String {
    texts(html, "article.content").join("\n")
}

/// Deterministic bytes that do not repeat (so no two chunks or pieces of
/// a file are alike), from `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
