//! UnixFS files: the `Data` messages kubo puts in its dag-pb nodes, and a
//! file cut into fixed-size chunks and linked as a balanced DAG (boxo's
//! `ipld/unixfs/importer/balanced`), built as the file is read.
//!
//! The UnixFS protobuf is written by hand for the same reason as dag-pb
//! (`dagpb.rs`): the bytes decide the CID, and only four fields are used.

use super::dagpb::{self, Link};
use super::{block_cid, put_node, Blocks, IpfsError, Profile, DAG_PB, RAW};
use cid::Cid;
use std::io::{self, Read};
use std::path::Path;

/// UnixFS `Data.Type` values.
const TYPE_DIRECTORY: u64 = 1;
const TYPE_FILE: u64 = 2;
const TYPE_HAMT_SHARD: u64 = 5;

/// A directory's data: `Type = Directory` and nothing else (`08 01`).
pub fn directory_data() -> Vec<u8> {
    let mut out = Vec::with_capacity(2);
    dagpb::put_varint_field(&mut out, 1, TYPE_DIRECTORY);
    out
}

/// A file node's data. A leaf (without raw leaves) carries its bytes in
/// `data`; an inner node carries one `blocksizes` entry per child. kubo
/// always writes `filesize`, even 0, and each `blocksizes` entry as its
/// own field (proto2, not packed).
fn file_data(data: Option<&[u8]>, filesize: u64, blocksizes: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    dagpb::put_varint_field(&mut out, 1, TYPE_FILE);
    // go-protobuf leaves out a nil Data; an empty leaf's chunk is nil.
    if let Some(data) = data.filter(|d| !d.is_empty()) {
        dagpb::put_bytes_field(&mut out, 2, data);
    }
    dagpb::put_varint_field(&mut out, 3, filesize);
    for size in blocksizes {
        dagpb::put_varint_field(&mut out, 4, *size);
    }
    out
}

/// A HAMT shard's data: its bitfield (big-endian, leading zero bytes
/// dropped, as go-bitfield's `Bytes`), the hash function (murmur3-x64-64,
/// 0x22) and the fanout.
pub fn hamt_data(bitfield: &[u8], fanout: u64) -> Vec<u8> {
    let mut out = Vec::new();
    dagpb::put_varint_field(&mut out, 1, TYPE_HAMT_SHARD);
    let first = bitfield
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bitfield.len());
    if first < bitfield.len() {
        dagpb::put_bytes_field(&mut out, 2, &bitfield[first..]);
    }
    dagpb::put_varint_field(&mut out, 5, super::hamt::MURMUR3_X64_64);
    dagpb::put_varint_field(&mut out, 6, fanout);
    out
}

/// A node of the file's DAG made so far: its link (to put in its parent,
/// the name empty) and how many bytes of the file it holds.
struct Made {
    link: Link,
    filesize: u64,
}

/// Builds a file's balanced DAG as chunks arrive. `levels[0]` holds the
/// leaves not yet given a parent, `levels[1]` the depth-1 nodes, and so
/// on. A full level is closed only when one more node arrives for it, so
/// a file of exactly `max_links` chunks is one node with `max_links`
/// links, and one chunk more gives a root with two children: the tree
/// boxo's `balanced.Layout` grows, whose leaves are all at one depth,
/// filled from the left.
struct Balanced<'a, B: Blocks> {
    profile: &'a Profile,
    blocks: &'a mut B,
    levels: Vec<Vec<Made>>,
}

impl<B: Blocks> Balanced<'_, B> {
    fn push(&mut self, depth: usize, made: Made) -> Result<(), IpfsError> {
        if self.levels.len() <= depth {
            self.levels.push(Vec::new());
        }
        if self.levels[depth].len() == self.profile.max_links {
            let full = std::mem::take(&mut self.levels[depth]);
            let parent = self.inner_node(full)?;
            self.push(depth + 1, parent)?;
        }
        self.levels[depth].push(made);
        Ok(())
    }

    /// An inner node over `children`, put out as a block.
    fn inner_node(&mut self, children: Vec<Made>) -> Result<Made, IpfsError> {
        let blocksizes: Vec<u64> = children.iter().map(|c| c.filesize).collect();
        let filesize = blocksizes.iter().sum();
        let links: Vec<Link> = children.into_iter().map(|c| c.link).collect();
        let data = file_data(None, filesize, &blocksizes);
        Ok(Made {
            link: put_node(&links, &data, self.profile, self.blocks)?,
            filesize,
        })
    }

    /// The leaf for one chunk: the chunk itself (raw leaves) or a UnixFS
    /// File node holding it.
    fn leaf(&mut self, chunk: &[u8]) -> Result<Made, IpfsError> {
        let (cid, size) = if self.profile.raw_leaves {
            let cid = block_cid(self.profile.cid_version, RAW, chunk);
            self.blocks.put(&cid, chunk)?;
            (cid, chunk.len())
        } else {
            let data = file_data(Some(chunk), chunk.len() as u64, &[]);
            let block = dagpb::encode_node(&[], &data);
            let cid = block_cid(self.profile.cid_version, DAG_PB, &block);
            self.blocks.put(&cid, &block)?;
            (cid, block.len())
        };
        Ok(Made {
            link: Link {
                cid,
                name: Vec::new(),
                tsize: size as u64,
            },
            filesize: chunk.len() as u64,
        })
    }

    /// Closes every level from the bottom up; the root is what is left.
    fn finish(mut self) -> Result<Made, IpfsError> {
        let mut depth = 0;
        loop {
            let level = std::mem::take(&mut self.levels[depth]);
            let top = depth + 1 == self.levels.len();
            if top && level.len() == 1 {
                // One chunk (or one node at the top): it is the file.
                return level
                    .into_iter()
                    .next()
                    .ok_or(IpfsError::Internal("empty level"));
            }
            let node = self.inner_node(level)?;
            if top {
                return Ok(node);
            }
            // Through `push`: the level above may be full already, and is
            // then closed first, as when a chunk arrives.
            self.push(depth + 1, node)?;
            depth += 1;
        }
    }
}

/// What a file became: its root CID, the cumulative size of its DAG (the
/// Tsize of a link to it) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileNode {
    pub cid: Cid,
    pub tsize: u64,
    pub size: u64,
}

/// Reads `reader` chunk by chunk into a balanced DAG, putting each block
/// out as it is made: memory is one chunk and `max_links` links per
/// level, whatever the file's size. `path` names the file in errors.
pub fn add_file<R: Read, B: Blocks>(
    mut reader: R,
    path: &Path,
    profile: &Profile,
    blocks: &mut B,
) -> Result<FileNode, IpfsError> {
    let mut builder = Balanced {
        profile,
        blocks,
        levels: vec![Vec::new()],
    };
    let mut chunk = vec![0u8; profile.chunk_size];
    loop {
        let n = read_full(&mut reader, &mut chunk).map_err(|source| IpfsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // An empty file is one empty leaf (boxo: `NewLeafNode(nil)`); a
        // short read otherwise ends the file after this chunk.
        let seen_any = builder.levels.iter().any(|l| !l.is_empty());
        if n > 0 || !seen_any {
            let leaf = builder.leaf(&chunk[..n])?;
            builder.push(0, leaf)?;
        }
        if n < chunk.len() {
            break;
        }
    }
    let root = builder.finish()?;
    Ok(FileNode {
        cid: root.link.cid,
        tsize: root.link.tsize,
        size: root.filesize,
    })
}

/// Fills `buf` unless the reader ends first (Go's `io.ReadFull`, as boxo's
/// size splitter reads): returns how many bytes were read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
