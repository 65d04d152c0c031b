//! A BitTorrent v1 torrent (BEP 3, multi-file) of a built site folder, with
//! the site's http(s) mirrors as web seeds (BEP 19), and its magnet link.
//!
//! The torrent is canonical, so two builds of the same site give the same
//! info-hash: the files sorted by their path components' bytes, dot-files
//! and dot-folders left out (`.spore-output`), the piece length a function
//! of the total size alone ([`pieces::piece_length`]), and no `creation
//! date`, `created by`, `comment` or `private` key. The info dictionary
//! holds `files`, `name`, `piece length` and `pieces`, nothing else; the
//! outer dictionary adds `url-list` when some mirror can be a web seed.
//! There is no `announce`: the torrent is trackerless, fetched from web
//! seeds and whatever peers a client finds itself.
//!
//! Reads the site folder and nothing else, never following a link
//! ([`files`]). The CLI (`spore pack`) decides where the torrent goes.

pub mod bencode;
pub mod files;
pub mod pieces;
pub mod webseed;

use bencode::Value;
use percent_encoding::{utf8_percent_encode, AsciiSet};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
pub use webseed::{Refusal, RefusedMirror};

/// Why a torrent was not made. Each names the file or folder.
#[derive(Debug, thiserror::Error)]
pub enum TorrentError {
    #[error("{}: {source}", crate::printable::printable_path(path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: is a symbolic link; a torrent of a site follows none",
        crate::printable::printable_path(path)
    )]
    Symlink { path: PathBuf },
    #[error(
        "{}: is not a regular file or a folder",
        crate::printable::printable_path(path)
    )]
    NotAFile { path: PathBuf },
    #[error(
        "{}: the name is not UTF-8, which a torrent's paths must be",
        crate::printable::printable_path(path)
    )]
    NotUtf8 { path: PathBuf },
    #[error(
        "{}: changed while the torrent was made ({listed} bytes when listed, {now} now)",
        crate::printable::printable_path(path)
    )]
    Changed {
        path: PathBuf,
        listed: u64,
        now: u64,
    },
    #[error(
        "{}: no bytes to put in a torrent (dot-files are left out)",
        crate::printable::printable_path(path)
    )]
    Empty { path: PathBuf },
    #[error(
        "{:?} cannot name a torrent: a name is one path segment, not empty, '.' or '..'",
        crate::printable::printable(name)
    )]
    BadName { name: String },
}

/// What to make.
#[derive(Debug, Clone, Default)]
pub struct TorrentOptions {
    /// The torrent's name, which is the folder a client saves the site
    /// into and the last folder of every web seed's URL; `None`:
    /// [`choose_name`].
    pub name: Option<String>,
    /// The site's mirror URLs (`[mirrors]` in `book.toml`), best first.
    pub mirrors: Vec<String>,
}

impl TorrentOptions {
    /// The mirrors of a configuration, in its order.
    pub fn from_mirrors(mirrors: &[crate::config::Mirror]) -> TorrentOptions {
        TorrentOptions {
            name: None,
            mirrors: mirrors.iter().map(|m| m.url.clone()).collect(),
        }
    }
}

/// A torrent made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torrent {
    /// The `.torrent` file.
    pub bytes: Vec<u8>,
    /// SHA-1 of the bencoded info dictionary.
    pub info_hash: [u8; 20],
    pub name: String,
    pub piece_length: u64,
    pub pieces: u64,
    pub total_length: u64,
    pub files: usize,
    /// The `url-list` entries.
    pub web_seeds: Vec<String>,
    /// The mirrors left out of `url-list`, each with why.
    pub refused_mirrors: Vec<RefusedMirror>,
}

/// Query values in a magnet link: everything but the unreserved
/// characters and `:` `/` percent-encoded (a `%` in a web seed's URL too,
/// so the client's one decoding gives the URL back).
const QUERY_VALUE: &AsciiSet = &webseed::SEGMENT.remove(b':').remove(b'/');

impl Torrent {
    pub fn info_hash_hex(&self) -> String {
        hex::encode(self.info_hash)
    }

    /// `magnet:?xt=urn:btih:<hex info-hash>&dn=<name>&ws=<web seed>…`
    /// (BEP 9; `ws` is BEP 19's web seed, which libtorrent reads from a
    /// magnet link). A client still needs a peer to get the info
    /// dictionary from (BEP 9 metadata exchange): web seeds serve files,
    /// not metadata.
    pub fn magnet(&self) -> String {
        let mut link = format!(
            "magnet:?xt=urn:btih:{}&dn={}",
            self.info_hash_hex(),
            utf8_percent_encode(&self.name, QUERY_VALUE)
        );
        for seed in &self.web_seeds {
            link.push_str("&ws=");
            link.extend(utf8_percent_encode(seed, QUERY_VALUE));
        }
        link
    }
}

/// The name a torrent of `site` gets when none is given: the folder name
/// most of the mirrors serve the site under (so they can all be web
/// seeds), a tie going to the site folder's own name if it is among the
/// tied, else to the first mirror's; with no usable mirror, the site
/// folder's own name.
pub fn choose_name(site: &Path, mirrors: &[String]) -> Result<String, TorrentError> {
    let own = own_name(site);
    let mut counts: Vec<(String, usize)> = Vec::new();
    for folder in mirrors.iter().filter_map(|m| webseed::folder_name(m).ok()) {
        match counts.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, n)) => *n += 1,
            None => counts.push((folder, 1)),
        }
    }
    let chosen = match counts.iter().map(|(_, n)| *n).max() {
        None => own?,
        Some(best) => {
            let mut tied = counts
                .into_iter()
                .filter(|(_, n)| *n == best)
                .map(|(f, _)| f);
            match own {
                Ok(own) if tied.clone().any(|f| f == own) => own,
                // `best` is some folder's count: one is tied.
                _ => tied.next().unwrap_or_default(),
            }
        }
    };
    check_name(&chosen)?;
    Ok(chosen)
}

fn own_name(site: &Path) -> Result<String, TorrentError> {
    let absolute = crate::config::absolute(site);
    let name = absolute.file_name().ok_or_else(|| TorrentError::BadName {
        name: site.to_string_lossy().into_owned(),
    })?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| TorrentError::NotUtf8 {
            path: site.to_path_buf(),
        })
}

fn check_name(name: &str) -> Result<(), TorrentError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(TorrentError::BadName {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Makes the torrent of the site folder `site`.
pub fn make_torrent(site: &Path, options: &TorrentOptions) -> Result<Torrent, TorrentError> {
    let name = match &options.name {
        Some(name) => {
            check_name(name)?;
            name.clone()
        }
        None => choose_name(site, &options.mirrors)?,
    };
    let seeds = webseed::web_seeds(options.mirrors.iter().map(String::as_str), &name);

    let root = files::Root::open(site)?;
    let listed = files::list(site)?;
    let total_length: u64 = listed.iter().map(|f| f.len).sum();
    if total_length == 0 {
        return Err(TorrentError::Empty {
            path: site.to_path_buf(),
        });
    }
    let piece_length = pieces::piece_length(total_length);
    let piece_hashes = pieces::hash_pieces(&root, &listed, piece_length)?;

    let file_list = listed
        .iter()
        .map(|f| {
            Value::dict([
                ("length", Value::Int(to_i64(f.len))),
                (
                    "path",
                    Value::List(f.components.iter().map(|c| Value::str(c)).collect()),
                ),
            ])
        })
        .collect();
    let info = Value::dict([
        ("files", Value::List(file_list)),
        ("name", Value::str(&name)),
        ("piece length", Value::Int(to_i64(piece_length))),
        ("pieces", Value::Bytes(piece_hashes)),
    ]);
    let info_hash: [u8; 20] = Sha1::digest(info.encode()).into();
    let mut torrent = vec![("info", info)];
    if !seeds.url_list.is_empty() {
        torrent.push((
            "url-list",
            Value::List(seeds.url_list.iter().map(|s| Value::str(s)).collect()),
        ));
    }
    Ok(Torrent {
        bytes: Value::dict(torrent).encode(),
        info_hash,
        name,
        piece_length,
        pieces: total_length.div_ceil(piece_length),
        total_length,
        files: listed.len(),
        web_seeds: seeds.url_list,
        refused_mirrors: seeds.refused,
    })
}

/// File sizes are far below `i64::MAX`; saturate rather than wrap.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
