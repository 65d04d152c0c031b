//! Where a copy lives and how its files are read: a local folder, or an
//! http(s) URL fetched with `ureq` (timeouts, a size cap per file from the
//! manifest, exact paths, redirects followed only on the same host).

use crate::portable::encode_path;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use ureq::http::Uri;

/// Largest manifest read (a manifest lists files; 64 MiB is ~300k files).
pub const MANIFEST_CAP: u64 = 64 << 20;
/// Largest signature file read.
pub const SIGNATURE_CAP: u64 = 16 << 10;
const MAX_REDIRECTS: usize = 5;

#[derive(Clone)]
pub enum CopySource {
    Folder(PathBuf),
    Http { base: String, agent: ureq::Agent },
}

/// The outcome of reading one file of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Found(Vec<u8>),
    Missing,
    /// Larger than the manifest says the file is.
    TooLarge,
    Failed(String),
}

/// Site paths are relative and `/`-separated; anything that could escape
/// the copy's root is refused before it reaches the disk or a URL.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

fn origin(uri: &Uri) -> Option<(String, String)> {
    Some((
        uri.scheme_str()?.to_ascii_lowercase(),
        uri.authority()?.as_str().to_ascii_lowercase(),
    ))
}

impl CopySource {
    /// `http://` and `https://` arguments are URLs; anything else a folder.
    pub fn parse(arg: &str) -> CopySource {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let base = if arg.ends_with('/') {
                arg.to_string()
            } else {
                format!("{arg}/")
            };
            let config = ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_global(Some(Duration::from_secs(300)))
                .max_redirects(0)
                .max_redirects_will_error(false)
                .http_status_as_error(false)
                .user_agent(concat!("spore-verify/", env!("CARGO_PKG_VERSION")))
                .build();
            CopySource::Http {
                base,
                agent: config.into(),
            }
        } else {
            CopySource::Folder(crate::config::absolute(Path::new(arg)))
        }
    }

    pub fn folder(&self) -> Option<&Path> {
        match self {
            CopySource::Folder(p) => Some(p),
            CopySource::Http { .. } => None,
        }
    }

    /// Reads `path` (a site path), refusing more than `cap` bytes.
    pub fn fetch(&self, path: &str, cap: u64) -> Fetched {
        if !is_safe_path(path) {
            return Fetched::Failed(format!("unsafe path {path:?}"));
        }
        match self {
            CopySource::Folder(root) => read_file(&root.join(path), cap),
            CopySource::Http { base, agent } => {
                fetch_url(agent, &format!("{base}{}", encode_path(path)), cap)
            }
        }
    }

    /// Every file in a folder copy, as site paths (`None` for URLs, which
    /// cannot be listed).
    pub fn list(&self) -> Option<Vec<String>> {
        let root = self.folder()?;
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_dir() {
                continue;
            }
            if let Ok(rel) = entry.path().strip_prefix(root) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
        Some(out)
    }
}

fn read_file(path: &Path, cap: u64) -> Fetched {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Fetched::Missing,
        Err(e) => return Fetched::Failed(e.to_string()),
    };
    match file.metadata() {
        Ok(m) if m.is_dir() => return Fetched::Missing,
        Ok(m) if m.len() > cap => return Fetched::TooLarge,
        _ => {}
    }
    let mut bytes = Vec::new();
    match file.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > cap => Fetched::TooLarge,
        Ok(_) => Fetched::Found(bytes),
        Err(e) => Fetched::Failed(e.to_string()),
    }
}

fn fetch_url(agent: &ureq::Agent, url: &str, cap: u64) -> Fetched {
    let Ok(start) = url.parse::<Uri>() else {
        return Fetched::Failed(format!("not a valid URL: {url}"));
    };
    let home = origin(&start);
    let mut current = start;
    for _ in 0..=MAX_REDIRECTS {
        let mut response = match agent.get(current.clone()).call() {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(format!("{current}: {e}")),
        };
        let status = response.status().as_u16();
        match status {
            200 => {
                return match response.body_mut().with_config().limit(cap).read_to_vec() {
                    Ok(bytes) => Fetched::Found(bytes),
                    Err(ureq::Error::BodyExceedsLimit(_)) => Fetched::TooLarge,
                    Err(e) => Fetched::Failed(format!("{current}: {e}")),
                }
            }
            404 | 410 => return Fetched::Missing,
            301 | 302 | 303 | 307 | 308 => {
                let next = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| resolve(&current, loc));
                match next {
                    Some(next) if origin(&next) == home => current = next,
                    _ => {
                        return Fetched::Failed(format!(
                            "{current}: HTTP {status} redirects off the host; not followed"
                        ))
                    }
                }
            }
            _ => return Fetched::Failed(format!("{current}: HTTP {status}")),
        }
    }
    Fetched::Failed(format!("{url}: too many redirects"))
}

/// Resolves a `Location` header: absolute URLs as they are, absolute paths
/// against the current origin (relative paths are not followed).
fn resolve(current: &Uri, location: &str) -> Option<Uri> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.parse().ok();
    }
    if location.starts_with('/') && !location.starts_with("//") {
        let (scheme, authority) = origin(current)?;
        return format!("{scheme}://{authority}{location}").parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        for p in ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "a//b"] {
            assert!(!is_safe_path(p), "{p}");
        }
        assert!(is_safe_path("notes/My-Note.html"));
    }

    #[test]
    fn folder_reads_respect_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"12345").unwrap();
        let src = CopySource::Folder(dir.path().to_path_buf());
        assert_eq!(src.fetch("a.txt", 5), Fetched::Found(b"12345".to_vec()));
        assert_eq!(src.fetch("a.txt", 4), Fetched::TooLarge);
        assert_eq!(src.fetch("b.txt", 4), Fetched::Missing);
        assert!(matches!(src.fetch("../a.txt", 4), Fetched::Failed(_)));
    }
}
