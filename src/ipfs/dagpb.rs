//! dag-pb (codec 0x70) encoding, written by hand: the format is two small
//! protobuf messages, and a CID depends on every byte of the encoding, so
//! the field order kubo writes (boxo's `ipld/merkledag`, through
//! go-codec-dagpb) is spelled out here rather than left to a protobuf
//! library's choices: Links before Data, each link as Hash (1), Name (2),
//! Tsize (3), the Name written even when empty, links sorted by name bytes.

use cid::Cid;

/// The protobuf wire types used here.
const VARINT: u8 = 0;
const BYTES: u8 = 2;

/// One link of a dag-pb node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub cid: Cid,
    pub name: Vec<u8>,
    /// The cumulative size of the whole sub-DAG the link points to: the
    /// encoded size of every block below it, its own included.
    pub tsize: u64,
}

/// Appends `v` as a protobuf (and multiformats) unsigned varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// How many bytes `v` takes as a varint.
pub fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

fn put_tag(out: &mut Vec<u8>, field: u8, wire: u8) {
    out.push((field << 3) | wire);
}

/// Appends a length-delimited field.
pub fn put_bytes_field(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    put_tag(out, field, BYTES);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a varint field.
pub fn put_varint_field(out: &mut Vec<u8>, field: u8, v: u64) {
    put_tag(out, field, VARINT);
    put_varint(out, v);
}

fn encode_link(link: &Link) -> Vec<u8> {
    let mut out = Vec::with_capacity(link.name.len() + link.cid.encoded_len() + 16);
    put_bytes_field(&mut out, 1, &link.cid.to_bytes());
    put_bytes_field(&mut out, 2, &link.name);
    put_varint_field(&mut out, 3, link.tsize);
    out
}

/// The encoded node: `links` in the order given (callers sort them; a
/// directory's are sorted by name, a file's keep their order and all have
/// the empty name), then `data`.
pub fn encode_node(links: &[Link], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for link in links {
        put_bytes_field(&mut out, 2, &encode_link(link));
    }
    // go-merkledag leaves Data out when it is empty; UnixFS data never is.
    if !data.is_empty() {
        put_bytes_field(&mut out, 1, data);
    }
    out
}

/// The bytes one link adds to an encoded node (boxo's
/// `linkSerializedSize`, used by the "block" HAMT size estimate).
pub fn link_encoded_len(name_len: usize, cid_len: usize, tsize: u64) -> usize {
    let inner = 1
        + varint_len(cid_len as u64)
        + cid_len
        + 1
        + varint_len(name_len as u64)
        + name_len
        + 1
        + varint_len(tsize);
    1 + varint_len(inner as u64) + inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths_match_the_encoding() {
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            2_097_151,
            2_097_152,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
        let mut out = Vec::new();
        put_varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }

    /// kubo's `test/cli/cid_profiles_test.go` (`TestProtobufHelpers`):
    /// `LinkSerializedSize` for its four cases.
    #[test]
    fn link_sizes_match_kubos_helper() {
        assert_eq!(link_encoded_len(255, 34, 0), 299);
        assert_eq!(link_encoded_len(255, 36, 0), 301);
        assert_eq!(link_encoded_len(10, 36, 0), 54);
        assert_eq!(link_encoded_len(255, 36, 34_359_738_367), 305);
    }

    #[test]
    fn a_link_is_encoded_as_its_length_says() {
        let cid = crate::ipfs::block_cid(crate::ipfs::CidVersion::V1, crate::ipfs::RAW, b"x");
        let link = Link {
            cid,
            name: b"abc".to_vec(),
            tsize: 300,
        };
        let node = encode_node(std::slice::from_ref(&link), &[8, 1]);
        assert_eq!(node.len(), link_encoded_len(3, cid.encoded_len(), 300) + 4);
        // Links first (field 2), then Data (field 1).
        assert_eq!(node[0], 0x12);
        assert_eq!(&node[node.len() - 4..], &[0x0a, 2, 8, 1]);
    }
}
