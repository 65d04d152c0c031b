//! CAR v1 (content-addressed archive) writing: a header naming the root,
//! then every block as `varint(len(CID) + len(data)) CID data`.
//! <https://ipld.io/specs/transport/car/carv1/>

use super::dagpb::put_varint;
use super::{Blocks, IpfsError};
use cid::Cid;
use std::collections::HashSet;
use std::io::Write;

/// The header: the dag-cbor map `{"roots": [root], "version": 1}`, keys in
/// dag-cbor's canonical order (shorter first), the CID as tag 42 over its
/// bytes behind a zero byte (the multibase "identity" prefix), all behind
/// its length as a varint. Written by hand: it is one fixed shape.
pub fn header(root: &Cid) -> Vec<u8> {
    let cid = root.to_bytes();
    let mut map = Vec::with_capacity(cid.len() + 24);
    map.push(0xa2); // map of 2
    map.push(0x65); // text of 5
    map.extend_from_slice(b"roots");
    map.push(0x81); // array of 1
    map.extend_from_slice(&[0xd8, 0x2a]); // tag 42
    cbor_bytes_head(&mut map, cid.len() + 1);
    map.push(0x00);
    map.extend_from_slice(&cid);
    map.push(0x67); // text of 7
    map.extend_from_slice(b"version");
    map.push(0x01);
    let mut out = Vec::with_capacity(map.len() + 2);
    put_varint(&mut out, map.len() as u64);
    out.extend_from_slice(&map);
    out
}

/// The head of a CBOR byte string of `len` bytes (major type 2).
fn cbor_bytes_head(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=23 => out.push(0x40 | len as u8),
        24..=0xff => out.extend_from_slice(&[0x58, len as u8]),
        _ => {
            out.push(0x59);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
}

/// Writes each block once, in the order they are made (children before
/// their parents), to `out`. A block already written (the same CID: the
/// same bytes) is skipped, so identical files cost one copy; the set of
/// written CIDs is the only thing kept, a few dozen bytes per block.
pub struct CarBlocks<W: Write> {
    out: W,
    written: HashSet<Vec<u8>>,
}

impl<W: Write> CarBlocks<W> {
    /// Writes the header for `root` and returns the writer for the blocks.
    pub fn new(mut out: W, root: &Cid) -> Result<Self, IpfsError> {
        out.write_all(&header(root)).map_err(IpfsError::Write)?;
        Ok(CarBlocks {
            out,
            written: HashSet::new(),
        })
    }

    pub fn finish(mut self) -> Result<W, IpfsError> {
        self.out.flush().map_err(IpfsError::Write)?;
        Ok(self.out)
    }
}

impl<W: Write> Blocks for CarBlocks<W> {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), IpfsError> {
        let cid = cid.to_bytes();
        if self.written.contains(&cid) {
            return Ok(());
        }
        let mut head = Vec::with_capacity(cid.len() + 10);
        put_varint(&mut head, (cid.len() + data.len()) as u64);
        head.extend_from_slice(&cid);
        self.out.write_all(&head).map_err(IpfsError::Write)?;
        self.out.write_all(data).map_err(IpfsError::Write)?;
        self.written.insert(cid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header go-car and js `@ipld/car` write for a CIDv1 sha2-256 root
    /// (58 bytes of dag-cbor behind their length, 0x3a).
    #[test]
    fn the_header_is_the_canonical_dag_cbor_map() {
        let root = crate::ipfs::block_cid(crate::ipfs::CidVersion::V1, crate::ipfs::DAG_PB, b"");
        let h = header(&root);
        assert_eq!(h[0], 0x3a);
        assert_eq!(h.len(), 1 + 58);
        assert_eq!(&h[1..8], &[0xa2, 0x65, b'r', b'o', b'o', b't', b's']);
        assert_eq!(&h[8..13], &[0x81, 0xd8, 0x2a, 0x58, 0x25]);
        assert_eq!(h[13], 0);
        assert_eq!(&h[14..50], root.to_bytes().as_slice());
        assert_eq!(&h[50..], b"\x67version\x01");
    }
}
