//! A built site as an IPFS DAG: the root CID `ipfs add -r` would give the
//! site folder, and the whole DAG as a CAR file that any IPFS node can
//! import (`ipfs dag import`) or a pinning service can take, so the copy
//! published over IPFS is the site Spore built, byte for byte.
//!
//! The DAG is UnixFS the way kubo makes it, chosen by a [`Profile`]:
//! files cut into fixed-size chunks under a balanced tree (`unixfs.rs`),
//! folders as dag-pb nodes or, past a size threshold, HAMT shards
//! (`hamt.rs`), encoded by hand in `dagpb.rs`, walked in `tree.rs`;
//! `car.rs` writes the archive. Nothing here keeps a file's bytes: each
//! is read one chunk at a time and each block is hashed (and written)
//! as it is made; what is kept is a link per file and folder.
//!
//! The site folder is read as it is on disk: names starting with `.` are
//! left out (as `ipfs add` does without `--hidden`), empty folders are
//! kept, and a symbolic link or anything but a file or folder is refused
//! with its path, never followed.

mod car;
mod dagpb;
mod hamt;
mod tree;
mod unixfs;

pub use unixfs::FileNode;

use cid::multihash::Multihash;
use cid::Cid;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The multicodec of a raw block (a file's chunk as it is).
pub const RAW: u64 = 0x55;
/// The multicodec of a dag-pb block.
pub const DAG_PB: u64 = 0x70;
/// The multihash code of sha2-256.
const SHA2_256: u64 = 0x12;

/// CIDv0 (a bare sha2-256 multihash of a dag-pb block, `Qm…`) or CIDv1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidVersion {
    V0,
    V1,
}

/// How a folder's size is measured against the HAMT threshold (boxo's
/// `SizeEstimationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HamtEstimate {
    /// The sum over entries of the name's length and the CID's length in
    /// bytes (kubo's default, "links").
    Links,
    /// The encoded size of the folder's dag-pb block ("block", IPIP-499's
    /// `unixfs-v1-2025`).
    Block,
}

/// The choices that decide the CIDs: two importers with the same profile
/// give the same root for the same folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub cid_version: CidVersion,
    /// Chunks as raw blocks (codec 0x55) rather than UnixFS File nodes.
    pub raw_leaves: bool,
    /// Bytes per chunk (fixed-size chunker).
    pub chunk_size: usize,
    /// Most links in one node of a file's balanced tree.
    pub max_links: usize,
    /// A folder whose size (by [`Profile::hamt_estimate`]) is strictly
    /// greater than this becomes a HAMT; 0 never shards.
    pub hamt_threshold_bytes: usize,
    pub hamt_estimate: HamtEstimate,
    /// Slots per HAMT shard: a power of two, a multiple of 8, at most 1024.
    pub hamt_fanout: usize,
}

impl Profile {
    /// `ipfs add -r --cid-version=1 --raw-leaves` with kubo's defaults:
    /// 256 KiB chunks, 174 links per node, HAMT past 256 KiB of names and
    /// CIDs, fanout 256.
    pub fn kubo_v1() -> Profile {
        Profile {
            cid_version: CidVersion::V1,
            raw_leaves: true,
            chunk_size: 256 * 1024,
            max_links: 174,
            hamt_threshold_bytes: 256 * 1024,
            hamt_estimate: HamtEstimate::Links,
            hamt_fanout: 256,
        }
    }

    /// IPIP-499's `unixfs-v1-2025` (kubo's `--profile=unixfs-v1-2025`,
    /// `config/profile.go`): 1 MiB chunks, 1024 links per node, HAMT when
    /// the folder's block would pass 256 KiB, fanout 256.
    pub fn unixfs_v1_2025() -> Profile {
        Profile {
            chunk_size: 1024 * 1024,
            max_links: 1024,
            hamt_estimate: HamtEstimate::Block,
            ..Profile::kubo_v1()
        }
    }

    /// IPIP-499's `unixfs-v0-2015`, kubo's plain `ipfs add`: CIDv0, chunks
    /// wrapped in UnixFS nodes. For comparing with old CIDs.
    pub fn unixfs_v0_2015() -> Profile {
        Profile {
            cid_version: CidVersion::V0,
            raw_leaves: false,
            ..Profile::kubo_v1()
        }
    }

    fn check(&self) -> Result<(), IpfsError> {
        let bad = |why: &str| Err(IpfsError::Profile(why.to_string()));
        if self.chunk_size == 0 {
            return bad("chunk_size must be at least 1");
        }
        if self.max_links < 2 {
            return bad("max_links must be at least 2");
        }
        let f = self.hamt_fanout;
        if !f.is_power_of_two() || f % 8 != 0 || f > 1024 {
            return bad("hamt_fanout must be a power of two, a multiple of 8, at most 1024");
        }
        if self.cid_version == CidVersion::V0 && self.raw_leaves {
            return bad("CIDv0 cannot name raw leaves");
        }
        Ok(())
    }
}

impl Default for Profile {
    fn default() -> Profile {
        Profile::kubo_v1()
    }
}

/// Why a site could not be packed, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum IpfsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is a symbolic link: packing never follows links")]
    Symlink { path: PathBuf },
    #[error("{path} is neither a file nor a folder")]
    NotRegular { path: PathBuf },
    #[error("{path}: the name is not UTF-8")]
    Name { path: PathBuf },
    #[error("{path}: its name's hash is shared by another in the folder, too far for a HAMT")]
    HamtTooDeep { path: PathBuf },
    #[error("{path} changed while the CAR was written: pack it again")]
    Changed { path: PathBuf },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the CAR: {0}")]
    Write(std::io::Error),
    #[error("invalid IPFS profile: {0}")]
    Profile(String),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Where the blocks go as they are made.
pub trait Blocks {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), IpfsError>;
}

/// Blocks hashed for their CIDs only.
struct Discard;

impl Blocks for Discard {
    fn put(&mut self, _: &Cid, _: &[u8]) -> Result<(), IpfsError> {
        Ok(())
    }
}

/// A dag-pb node over `links` carrying `data`, put out as a block: the
/// (unnamed) link to it, whose Tsize is the node's own size and the whole
/// sub-DAG's below it.
fn put_node<B: Blocks>(
    links: &[dagpb::Link],
    data: &[u8],
    profile: &Profile,
    blocks: &mut B,
) -> Result<dagpb::Link, IpfsError> {
    let block = dagpb::encode_node(links, data);
    let cid = block_cid(profile.cid_version, DAG_PB, &block);
    blocks.put(&cid, &block)?;
    let tsize = block.len() as u64 + links.iter().map(|l| l.tsize).sum::<u64>();
    Ok(dagpb::Link {
        cid,
        name: Vec::new(),
        tsize,
    })
}

/// The sha2-256 CID of a block.
pub fn block_cid(version: CidVersion, codec: u64, data: &[u8]) -> Cid {
    let digest = Sha256::digest(data);
    // A 32-byte digest always fits the 64-byte multihash.
    let hash = Multihash::wrap(SHA2_256, &digest).unwrap_or_default();
    match version {
        // CIDv0 only exists for dag-pb; `Profile::check` keeps raw out.
        CidVersion::V0 if codec == DAG_PB => Cid::new_v0(hash).unwrap_or(Cid::new_v1(codec, hash)),
        _ => Cid::new_v1(codec, hash),
    }
}

/// The root CID of `site_dir` as `ipfs add -r` with `profile` gives it.
pub fn root_cid(site_dir: &Path, profile: &Profile) -> Result<Cid, IpfsError> {
    profile.check()?;
    Ok(tree::add_dir(site_dir, profile, &mut Discard)?.cid)
}

/// The CID of one file read from `reader` (what `ipfs add` of that file
/// alone, or from standard input, gives).
pub fn file_cid<R: Read>(reader: R, profile: &Profile) -> Result<FileNode, IpfsError> {
    profile.check()?;
    unixfs::add_file(reader, Path::new("-"), profile, &mut Discard)
}

/// Writes `site_dir`'s DAG as a CAR v1 to `out` and returns its root.
///
/// The header names the root, which is known only once the whole DAG is
/// hashed, so the folder is read twice: once for the CIDs alone, once
/// writing each block as it is made. Neither pass keeps a block, and no
/// temporary file is needed; if the second pass ends at another root,
/// the folder changed in between and the CAR is refused.
pub fn write_car<W: Write>(site_dir: &Path, profile: &Profile, out: W) -> Result<Cid, IpfsError> {
    let root = root_cid(site_dir, profile)?;
    let mut blocks = car::CarBlocks::new(out, &root)?;
    let again = tree::add_dir(site_dir, profile, &mut blocks)?.cid;
    if again != root {
        return Err(IpfsError::Changed {
            path: site_dir.to_path_buf(),
        });
    }
    blocks.finish()?;
    Ok(root)
}

/// [`write_car`] to a new file at `car_path` (replaced if it exists).
pub fn write_car_file(
    site_dir: &Path,
    profile: &Profile,
    car_path: &Path,
) -> Result<Cid, IpfsError> {
    let file = File::create(car_path).map_err(|source| IpfsError::Create {
        path: car_path.to_path_buf(),
        source,
    })?;
    let out = BufWriter::with_capacity(1 << 20, file);
    write_car(site_dir, profile, out)
}

#[cfg(test)]
mod tests;
