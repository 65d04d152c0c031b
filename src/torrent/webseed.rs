//! Web seeds (BEP 19 `url-list`) from the site's mirrors.
//!
//! For a multi-file torrent a client asks a web seed for
//! `<url-list entry>/<name>/<path>`: aria2 (`createUri` in
//! `bittorrent_helper.cc`) adds a `/` if the entry lacks one, then the
//! percent-encoded name and path components; libtorrent
//! (`web_peer_connection.cpp`) ensures the trailing slash and appends the
//! escaped file path, which for a multi-file torrent starts with the name.
//! Neither lets the name be left out. So a mirror serving the site at
//! `https://host/a/wiki/` is a web seed only as `https://host/a/` in a
//! torrent named `wiki`: the mirror's last folder must be the torrent's
//! name, and a mirror at a host's root cannot be a web seed at all.
//!
//! Mirror URLs are hostile input: only `http` and `https`, no user or
//! password, no query or fragment (a client would append the path after
//! them), a plain host name or address, no dot segments or encoded
//! slashes; each path segment is decoded and encoded again, everything but
//! RFC 3986's unreserved characters percent-encoded.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The web seeds for a torrent named `name`, and the mirrors that cannot
/// be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSeeds {
    /// The `url-list` entries, each ending in `/`, in the mirrors' order,
    /// without repeats.
    pub url_list: Vec<String>,
    pub refused: Vec<RefusedMirror>,
}

/// A mirror that cannot serve as a web seed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedMirror {
    pub url: String,
    pub reason: Refusal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("is not an http:// or https:// URL")]
    NotHttp,
    #[error("carries a user name or password")]
    Credentials,
    #[error("has a query or a fragment, after which a client would append the file's path")]
    QueryOrFragment,
    #[error("does not name a plain host (letters, digits, '-', '.', an IP address, a port)")]
    BadHost,
    #[error(
        "has an empty, '.' or '..' segment, an encoded '/' or '\\', or a bad %-escape in its path"
    )]
    BadPath,
    #[error(
        "serves the site at the host's root; BitTorrent clients ask a web seed for \
         <seed>/<torrent name>/<file>, so the site must sit in a folder named as the torrent"
    )]
    AtRoot,
    #[error(
        "serves the site in the folder {folder:?}, but the torrent is named {name:?}: \
         clients would ask for …/{name}/<file> (serve it under that folder name too, \
         or make a torrent named {folder:?})"
    )]
    OtherFolder { folder: String, name: String },
}

/// A mirror URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    /// `scheme://host[:port]`, scheme and host lowercased.
    origin: String,
    /// The decoded path segments above the site's folder.
    parents: Vec<String>,
    /// The decoded name of the site's folder.
    folder: String,
}

/// The site's folder name on a mirror (the URL's last path segment,
/// decoded), or why the mirror cannot be a web seed whatever the name.
pub fn folder_name(url: &str) -> Result<String, Refusal> {
    parse(url).map(|p| p.folder)
}

/// Which mirrors serve as web seeds of a torrent named `name`, each as its
/// `url-list` entry: the URL of the folder holding the site's folder.
pub fn web_seeds<'a>(mirrors: impl IntoIterator<Item = &'a str>, name: &str) -> WebSeeds {
    let mut seeds = WebSeeds {
        url_list: Vec::new(),
        refused: Vec::new(),
    };
    for url in mirrors {
        let refuse = |reason| RefusedMirror {
            url: url.to_string(),
            reason,
        };
        match parse(url) {
            Err(reason) => seeds.refused.push(refuse(reason)),
            Ok(p) if p.folder != name => seeds.refused.push(refuse(Refusal::OtherFolder {
                folder: p.folder,
                name: name.to_string(),
            })),
            Ok(p) => {
                let mut seed = p.origin;
                seed.push('/');
                for segment in &p.parents {
                    seed.extend(utf8_percent_encode(segment, SEGMENT));
                    seed.push('/');
                }
                if !seeds.url_list.contains(&seed) {
                    seeds.url_list.push(seed);
                }
            }
        }
    }
    seeds
}

fn parse(url: &str) -> Result<Parsed, Refusal> {
    let (scheme, rest) = url.split_once("://").ok_or(Refusal::NotHttp)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(Refusal::NotHttp);
    }
    if rest.contains(['?', '#']) {
        return Err(Refusal::QueryOrFragment);
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(Refusal::Credentials);
    }
    let authority = authority.to_ascii_lowercase();
    if !plain_authority(&authority) {
        return Err(Refusal::BadHost);
    }
    // `path` starts with '/'; a trailing '/' (the config adds one) ends
    // the folder, it is not an empty segment.
    let inner = path[1..].strip_suffix('/').unwrap_or(&path[1..]);
    if inner.is_empty() {
        return Err(Refusal::AtRoot);
    }
    let mut segments = inner
        .split('/')
        .map(|raw| {
            let decoded = percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| Refusal::BadPath)?;
            let bad_escape = raw.match_indices('%').any(|(i, _)| {
                !raw[i + 1..]
                    .get(..2)
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            });
            if raw.is_empty()
                || bad_escape
                || decoded == "."
                || decoded == ".."
                || decoded.contains(['/', '\\', '\0'])
            {
                return Err(Refusal::BadPath);
            }
            Ok(decoded.into_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let folder = segments.pop().ok_or(Refusal::AtRoot)?;
    Ok(Parsed {
        origin: format!("{scheme}://{authority}"),
        parents: segments,
        folder,
    })
}

/// `host[:port]`: an ASCII host name or IPv4 address (letters, digits,
/// `-`, `.`) or a bracketed IPv6 address, and an optional port of digits.
fn plain_authority(authority: &str) -> bool {
    let (host_ok, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inside, after)) = v6.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            after => match after.strip_prefix(':') {
                Some(p) => Some(p),
                None => return false,
            },
        };
        let ok = !inside.is_empty()
            && inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        (ok, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let ok = !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        (ok, port)
    };
    host_ok
        && port.is_none_or(|p| {
            p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(urls: &[&str], name: &str) -> WebSeeds {
        web_seeds(urls.iter().copied(), name)
    }

    #[test]
    fn the_seed_is_the_folder_above_the_site() {
        let s = seeds(
            &[
                "https://a.example/wiki/",
                "HTTP://B.Example:8080/x/y/wiki",
                "https://a.example/wiki/",
                "https://c.example/caf%C3%A9%20bar/wiki/",
                "https://d.example/a+b/wiki/",
            ],
            "wiki",
        );
        assert_eq!(
            s.url_list,
            [
                "https://a.example/",
                "http://b.example:8080/x/y/",
                "https://c.example/caf%C3%A9%20bar/",
                "https://d.example/a%2Bb/",
            ]
        );
        assert!(s.refused.is_empty());
    }

    #[test]
    fn a_folder_name_is_decoded() {
        assert_eq!(
            folder_name("https://h/x/my%20wiki/").as_deref(),
            Ok("my wiki")
        );
        let s = seeds(&["https://h/x/my%20wiki/"], "my wiki");
        assert_eq!(s.url_list, ["https://h/x/"]);
    }

    #[test]
    fn mirrors_that_cannot_be_seeds_are_named_with_the_reason() {
        let cases: &[(&str, Refusal)] = &[
            ("ftp://h/wiki/", Refusal::NotHttp),
            ("javascript:alert(1)//wiki/", Refusal::NotHttp),
            ("file:///srv/wiki/", Refusal::NotHttp),
            ("https://user:pw@h/wiki/", Refusal::Credentials),
            ("https://h/wiki/?x=1", Refusal::QueryOrFragment),
            ("https://h/wiki/#top", Refusal::QueryOrFragment),
            ("https://h/", Refusal::AtRoot),
            ("https://h", Refusal::AtRoot),
            ("https://h/a/../wiki/", Refusal::BadPath),
            ("https://h/a/%2e%2e/wiki/", Refusal::BadPath),
            ("https://h/a%2Fb/wiki/", Refusal::BadPath),
            ("https://h//wiki/", Refusal::BadPath),
            ("https://h/a%zz/wiki/", Refusal::BadPath),
            ("https://h/a%ff/wiki/", Refusal::BadPath),
            ("https://h<script>/wiki/", Refusal::BadHost),
            ("https://h\r\nX: y/wiki/", Refusal::BadHost),
            ("https://h:99999/wiki/", Refusal::BadHost),
            ("https:///wiki/", Refusal::BadHost),
            ("https://héllo.example/wiki/", Refusal::BadHost),
            (
                "https://h/other/",
                Refusal::OtherFolder {
                    folder: "other".into(),
                    name: "wiki".into(),
                },
            ),
        ];
        for (url, reason) in cases {
            let s = seeds(&[url], "wiki");
            assert!(s.url_list.is_empty(), "{url} became {:?}", s.url_list);
            assert_eq!(
                s.refused,
                [RefusedMirror {
                    url: url.to_string(),
                    reason: reason.clone()
                }],
                "{url}"
            );
        }
        let s = seeds(
            &["https://[::1]:8443/wiki/", "http://127.0.0.1:8080/wiki/"],
            "wiki",
        );
        assert_eq!(
            s.url_list,
            ["https://[::1]:8443/", "http://127.0.0.1:8080/"]
        );
    }
}
