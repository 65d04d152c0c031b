//! HAMT-sharded directories (UnixFS `HAMTShard`), as boxo's
//! `ipld/unixfs/hamt` makes them when a directory is too big for one
//! block.
//!
//! An entry's place comes from the first 64 bits of murmur3-x64-128 of its
//! name, seed 0 (boxo: spaolacci/murmur3 `New64`, whose sum is `h1`
//! big-endian), read `log2(fanout)` bits at a time from the most
//! significant end. A slot that one entry reaches holds it as a link named
//! by the slot's upper-case hex index (two digits at fanout 256) followed
//! by the entry's name; a slot two or more reach holds a sub-shard linked
//! by the index alone, which splits them on the next bits. That shape
//! does not depend on the order entries were added, so it is built here
//! from the sorted list in one go.

use super::dagpb::Link;
use super::{put_node, unixfs, Blocks, IpfsError, Profile};
use std::path::Path;

/// The multihash code of the hash function, written in each shard.
pub const MURMUR3_X64_64: u64 = 0x22;

/// The 64 bits of the name's hash that place it.
pub fn name_hash(name: &[u8]) -> u64 {
    let mut reader = name;
    // Reading a slice cannot fail.
    let full = murmur3::murmur3_x64_128(&mut reader, 0).unwrap_or(0);
    full as u64
}

/// The `bits` bits of `hash` after the first `consumed` (most significant
/// first), or `None` when the hash has no more.
fn slot(hash: u64, consumed: u32, bits: u32) -> Option<usize> {
    if consumed + bits > 64 {
        return None;
    }
    Some(((hash << consumed) >> (64 - bits)) as usize)
}

/// Builds the shard holding `entries` (each with its name's hash), every
/// block put out, and returns the link to it (its name left empty).
/// `consumed` is how many hash bits the shards above used.
pub fn build<B: Blocks>(
    entries: Vec<(Link, u64)>,
    consumed: u32,
    dir: &Path,
    profile: &Profile,
    blocks: &mut B,
) -> Result<Link, IpfsError> {
    let fanout = profile.hamt_fanout;
    let bits = fanout.trailing_zeros();
    let width = format!("{:X}", fanout - 1).len();
    let mut slots: Vec<Vec<(Link, u64)>> = (0..fanout).map(|_| Vec::new()).collect();
    for (link, hash) in entries {
        let index = slot(hash, consumed, bits).ok_or_else(|| IpfsError::HamtTooDeep {
            path: dir.join(String::from_utf8_lossy(&link.name).as_ref()),
        })?;
        slots[index].push((link, hash));
    }
    let mut bitfield = vec![0u8; fanout / 8];
    let mut links = Vec::new();
    for (index, mut group) in slots.into_iter().enumerate() {
        let prefix = format!("{index:0width$X}").into_bytes();
        let link = match group.len() {
            0 => continue,
            1 => {
                let (mut link, _) = group.remove(0);
                let mut name = prefix;
                name.extend_from_slice(&link.name);
                link.name = name;
                link
            }
            _ => {
                let mut link = build(group, consumed + bits, dir, profile, blocks)?;
                link.name = prefix;
                link
            }
        };
        let byte = bitfield.len() - 1 - index / 8;
        bitfield[byte] |= 1 << (index % 8);
        links.push(link);
    }
    let data = unixfs::hamt_data(&bitfield, fanout as u64);
    put_node(&links, &data, profile, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values of murmur3-x64-128 (seed 0), `h1` being the first
    /// 64 bits: from the algorithm's published test vectors
    /// ("hello" → cbd8a7b341bd9b02 5b1e906a48ae1d19).
    #[test]
    fn the_hash_is_murmur3_x64_128_first_half() {
        assert_eq!(name_hash(b"hello"), 0xcbd8a7b341bd9b02);
        assert_eq!(name_hash(b""), 0);
    }

    #[test]
    fn slots_read_bits_from_the_top() {
        let h = 0xAB_CD_00_00_00_00_00_01u64;
        assert_eq!(slot(h, 0, 8), Some(0xAB));
        assert_eq!(slot(h, 8, 8), Some(0xCD));
        assert_eq!(slot(h, 56, 8), Some(0x01));
        assert_eq!(slot(h, 0, 4), Some(0xA));
        assert_eq!(slot(h, 60, 8), None);
    }
}
