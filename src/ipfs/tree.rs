//! The site folder walked as `ipfs add -r` walks it: entries sorted by the
//! bytes of their names, names starting with `.` left out, each file added
//! as it is reached and each folder made once its entries are; a folder
//! too big for one block becomes a HAMT (`hamt.rs`).

use super::dagpb::{self, Link};
use super::{hamt, put_node, unixfs, Blocks, HamtEstimate, IpfsError, Profile};
use std::fs::File;
use std::path::Path;

/// Adds the folder at `dir` and everything below it; returns the link to
/// it (its name empty).
pub fn add_dir<B: Blocks>(
    dir: &Path,
    profile: &Profile,
    blocks: &mut B,
) -> Result<Link, IpfsError> {
    let read_err = |source| IpfsError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        let name =
            name_bytes(&entry.file_name()).ok_or_else(|| IpfsError::Name { path: path.clone() })?;
        if name.starts_with(b".") {
            continue;
        }
        // `DirEntry::file_type` does not follow a link.
        let kind = entry.file_type().map_err(|source| IpfsError::Read {
            path: path.clone(),
            source,
        })?;
        entries.push((name, path, kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let mut links = Vec::with_capacity(entries.len());
    for (name, path, kind) in entries {
        let (cid, tsize) = if kind.is_symlink() {
            return Err(IpfsError::Symlink { path });
        } else if kind.is_dir() {
            let link = add_dir(&path, profile, blocks)?;
            (link.cid, link.tsize)
        } else if kind.is_file() {
            let file = open_file(&path)?;
            let node = unixfs::add_file(file, &path, profile, blocks)?;
            (node.cid, node.tsize)
        } else {
            return Err(IpfsError::NotRegular { path });
        };
        links.push(Link { cid, name, tsize });
    }

    if needs_hamt(&links, profile) {
        let entries = links
            .into_iter()
            .map(|link| {
                let hash = hamt::name_hash(&link.name);
                (link, hash)
            })
            .collect();
        return hamt::build(entries, 0, dir, profile, blocks);
    }
    put_node(&links, &unixfs::directory_data(), profile, blocks)
}

/// Whether a folder with these links is past the HAMT threshold (strictly
/// greater, as boxo's `needsToSwitchToHAMTDir`).
fn needs_hamt(links: &[Link], profile: &Profile) -> bool {
    if profile.hamt_threshold_bytes == 0 {
        return false;
    }
    let size: usize = match profile.hamt_estimate {
        HamtEstimate::Links => links
            .iter()
            .map(|l| l.name.len() + l.cid.encoded_len())
            .sum(),
        HamtEstimate::Block => {
            // The Data field: tag, length, `08 01`.
            4 + links
                .iter()
                .map(|l| dagpb::link_encoded_len(l.name.len(), l.cid.encoded_len(), l.tsize))
                .sum::<usize>()
        }
    };
    size > profile.hamt_threshold_bytes
}

/// A name as the bytes kubo sees (Go strings are bytes).
#[cfg(unix)]
fn name_bytes(name: &std::ffi::OsStr) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Some(name.as_bytes().to_vec())
}

#[cfg(not(unix))]
fn name_bytes(name: &std::ffi::OsStr) -> Option<Vec<u8>> {
    name.to_str().map(|s| s.as_bytes().to_vec())
}

/// Opens a file the walk found, refusing a link swapped in since (Unix:
/// `O_NOFOLLOW`) and anything that is not a regular file once open.
fn open_file(path: &Path) -> Result<File, IpfsError> {
    #[cfg(unix)]
    let opened = crate::nofollow::open_file(path).map_err(|source| {
        if crate::nofollow::is_link_refusal(&source) {
            IpfsError::Symlink {
                path: path.to_path_buf(),
            }
        } else {
            IpfsError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    #[cfg(not(unix))]
    let opened = File::open(path).map_err(|source| IpfsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let meta = opened.metadata().map_err(|source| IpfsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(IpfsError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    Ok(opened)
}
