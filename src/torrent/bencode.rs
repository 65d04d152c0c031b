//! Bencode (BEP 3), encoding only.
//!
//! Hand-written rather than taken from a crate: a torrent's info-hash is
//! the SHA-1 of these exact bytes, so the one thing that matters is the
//! canonical form — dictionary keys in order of their raw bytes, integers
//! without leading zeros — and that is easiest to guarantee by
//! construction (a `BTreeMap` keyed by bytes) in forty lines. Encoders in
//! other libraries have got the key order wrong (webtorrent/node-bencode
//! #13 and #206, atomashpolskiy/bt #50, Johnnei/JavaTorrent #40), and the
//! serde-based crates order a struct's keys by its fields unless told
//! otherwise; Spore never decodes a torrent, so a decoder would be unused
//! weight.

use std::collections::BTreeMap;

/// A bencoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    /// Keys are raw byte strings; the map keeps them in the order BEP 3
    /// asks for ("sorted as raw strings").
    Dict(BTreeMap<Vec<u8>, Value>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }

    /// A dictionary from `(key, value)` pairs in any order.
    pub fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Dict(
            entries
                .into_iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v))
                .collect(),
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(i.to_string().as_bytes());
                out.push(b'e');
            }
            Value::Bytes(b) => bytes(b, out),
            Value::List(items) => {
                out.push(b'l');
                for item in items {
                    item.encode_into(out);
                }
                out.push(b'e');
            }
            Value::Dict(map) => {
                out.push(b'd');
                for (k, v) in map {
                    bytes(k, out);
                    v.encode_into(out);
                }
                out.push(b'e');
            }
        }
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bep3_examples() {
        assert_eq!(Value::str("spam").encode(), b"4:spam");
        assert_eq!(Value::Int(3).encode(), b"i3e");
        assert_eq!(Value::Int(-3).encode(), b"i-3e");
        assert_eq!(Value::Int(0).encode(), b"i0e");
        assert_eq!(Value::str("").encode(), b"0:");
        assert_eq!(
            Value::List(vec![Value::str("spam"), Value::str("eggs")]).encode(),
            b"l4:spam4:eggse"
        );
        // Keys given out of order come out sorted.
        assert_eq!(
            Value::dict([("spam", Value::str("eggs")), ("cow", Value::str("moo"))]).encode(),
            b"d3:cow3:moo4:spam4:eggse"
        );
    }

    #[test]
    fn keys_sort_as_raw_bytes() {
        // "piece length" < "pieces" (' ' is 0x20 < 's'); "Z" < "a"; a
        // four-byte UTF-8 key (0xf0…) after a three-byte one (0xee…),
        // which UTF-16 order would invert.
        let d = Value::dict([
            ("pieces", Value::Int(1)),
            ("piece length", Value::Int(2)),
            ("a", Value::Int(3)),
            ("Z", Value::Int(4)),
            ("\u{1F600}", Value::Int(5)),
            ("\u{E000}", Value::Int(6)),
        ]);
        let mut expected = b"d1:Zi4e1:ai3e12:piece lengthi2e6:piecesi1e".to_vec();
        expected.extend_from_slice("3:\u{E000}i6e4:\u{1F600}i5ee".as_bytes());
        assert_eq!(d.encode(), expected);
    }
}
