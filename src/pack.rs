//! `spore pack`: a built site as the one object each distributed engine
//! carries — a CAR whose root is the folder's IPFS CID, and a `.torrent`
//! whose web seeds are the site's mirrors — so a stranger with a stock
//! client (kubo, any pinning service, aria2c, transmission, qBittorrent)
//! fetches and checks a copy without Spore.
//!
//! A root CID or an info-hash covers the whole folder, so neither can be
//! written inside the folder it names: everything is written beside the
//! site, named after it (`site/` → `site.car`, `site.cid`, `site.torrent`,
//! `site.magnet`).

use crate::ipfs::{self, IpfsError, Profile};
use crate::torrent::{self, TorrentError, TorrentOptions};
use crate::write::file::{check_target, write_file, Existing, FileError};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What to make.
#[derive(Debug, Clone)]
pub struct PackOptions {
    pub ipfs: bool,
    pub torrent: bool,
    /// How files and folders become IPFS blocks ([`Profile::kubo_v1`]:
    /// what `ipfs add -r --cid-version=1` gives).
    pub profile: Profile,
    /// The torrent's name (the folder a client saves into, and the last
    /// folder of every web seed); `None`: [`torrent::choose_name`].
    pub torrent_name: Option<String>,
}

impl Default for PackOptions {
    fn default() -> PackOptions {
        PackOptions {
            ipfs: true,
            torrent: true,
            profile: Profile::kubo_v1(),
            torrent_name: None,
        }
    }
}

/// What was made, and where.
#[derive(Debug, Clone)]
pub struct Packed {
    pub site: PathBuf,
    pub ipfs: Option<IpfsPacked>,
    pub torrent: Option<TorrentPacked>,
}

#[derive(Debug, Clone)]
pub struct IpfsPacked {
    /// The site folder's root CID (CIDv1, base32: `bafy…`).
    pub root: String,
    pub car: PathBuf,
    pub car_bytes: u64,
    /// One line: the root CID.
    pub cid_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct TorrentPacked {
    pub file: PathBuf,
    pub name: String,
    pub info_hash: String,
    pub magnet: String,
    /// One line: the magnet link.
    pub magnet_file: PathBuf,
    pub files: usize,
    pub total_length: u64,
    pub piece_length: u64,
    pub web_seeds: Vec<String>,
    /// Mirrors that cannot be web seeds: `(url, why)`.
    pub refused_mirrors: Vec<(String, String)>,
}

#[derive(Debug, Error)]
pub enum PackError {
    #[error(
        "{}: not a site Spore built (no {} file); build it first with `spore build`",
        crate::printable::printable_path(.0),
        crate::write::MARKER
    )]
    NotASite(PathBuf),
    #[error(
        "{}: the site has no folder above it to write the packs beside",
        crate::printable::printable_path(.0)
    )]
    NoParent(PathBuf),
    #[error(transparent)]
    Ipfs(#[from] IpfsError),
    #[error(transparent)]
    Torrent(#[from] TorrentError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{}: {source}", crate::printable::printable_path(path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Packs the built site folder `site`, whose http mirrors are `mirrors`
/// (best first), as `options` asks.
pub fn pack(site: &Path, mirrors: &[String], options: &PackOptions) -> Result<Packed, PackError> {
    if !crate::write::has_marker(site)
        || std::fs::symlink_metadata(site).is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(PackError::NotASite(site.to_path_buf()));
    }
    let ipfs = match options.ipfs {
        true => Some(pack_ipfs(site, &options.profile)?),
        false => None,
    };
    let torrent = match options.torrent {
        true => Some(pack_torrent(site, mirrors, options.torrent_name.clone())?),
        false => None,
    };
    Ok(Packed {
        site: site.to_path_buf(),
        ipfs,
        torrent,
    })
}

/// `<parent of site>/<site's name>.<extension>`.
pub fn beside(site: &Path, extension: &str) -> Result<PathBuf, PackError> {
    let absolute = crate::config::absolute(site);
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => {
            let mut file = name.to_os_string();
            file.push(".");
            file.push(extension);
            Ok(parent.join(file))
        }
        _ => Err(PackError::NoParent(site.to_path_buf())),
    }
}

fn pack_ipfs(site: &Path, profile: &Profile) -> Result<IpfsPacked, PackError> {
    let car = beside(site, "car")?;
    let cid_file = beside(site, "cid")?;
    let (root, car_bytes) = write_car_atomically(site, profile, &car)?;
    let root = root.to_string();
    write_file(
        &cid_file,
        format!("{root}\n").as_bytes(),
        false,
        Existing::Replace,
    )?;
    Ok(IpfsPacked {
        root,
        car,
        car_bytes,
        cid_file,
    })
}

/// The CAR is streamed into a new file beside its place, created
/// exclusively (so no link is followed), and renamed over it once whole:
/// a pack that fails or is killed leaves the old CAR as it was.
fn write_car_atomically(
    site: &Path,
    profile: &Profile,
    car: &Path,
) -> Result<(cid::Cid, u64), PackError> {
    check_target(car, Existing::Replace)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackError::Io { path, source }
    };
    let mut partial = car.as_os_str().to_os_string();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(io(&partial))?;
    let written = (|| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let root = ipfs::write_car(site, profile, &mut out)?;
        let file = out.into_inner().map_err(|e| PackError::Io {
            path: partial.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io(&partial))?;
        let size = file.metadata().map_err(io(&partial))?.len();
        Ok::<_, PackError>((root, size))
    })();
    match written {
        Ok(done) => {
            std::fs::rename(&partial, car).map_err(io(car))?;
            Ok(done)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn pack_torrent(
    site: &Path,
    mirrors: &[String],
    name: Option<String>,
) -> Result<TorrentPacked, PackError> {
    let options = TorrentOptions {
        name,
        mirrors: mirrors.to_vec(),
    };
    let made = torrent::make_torrent(site, &options)?;
    let file = beside(site, "torrent")?;
    let magnet_file = beside(site, "magnet")?;
    let magnet = made.magnet();
    write_file(&file, &made.bytes, false, Existing::Replace)?;
    write_file(
        &magnet_file,
        format!("{magnet}\n").as_bytes(),
        false,
        Existing::Replace,
    )?;
    Ok(TorrentPacked {
        file,
        info_hash: made.info_hash_hex(),
        name: made.name,
        magnet,
        magnet_file,
        files: made.files,
        total_length: made.total_length,
        piece_length: made.piece_length,
        web_seeds: made.web_seeds,
        refused_mirrors: made
            .refused_mirrors
            .into_iter()
            .map(|r| (r.url, r.reason.to_string()))
            .collect(),
    })
}
