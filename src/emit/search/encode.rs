//! Compact text encodings shared with the browser (`spore.js`).

/// Digits that end a number and digits that continue it: a posting list is
/// a run of base-32 numbers with no separators, each one to three
/// characters for typical gaps. JSON-safe, no escaping needed.
const LAST: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
const MORE: &[u8; 32] = b"wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// Appends `n` as a variable-length base-32 number.
pub fn push_number(out: &mut String, n: u32) {
    let mut digits = [0u8; 7];
    let mut len = 0;
    let mut x = n;
    loop {
        digits[len] = (x % 32) as u8;
        len += 1;
        x /= 32;
        if x == 0 {
            break;
        }
    }
    for i in (1..len).rev() {
        out.push(MORE[digits[i] as usize] as char);
    }
    out.push(LAST[digits[0] as usize] as char);
}

/// Postings as gaps between sorted values (`note * 4 + field`).
pub fn postings(values: &[u32]) -> String {
    let mut out = String::with_capacity(values.len() * 2);
    let mut prev = 0u32;
    for (i, &v) in values.iter().enumerate() {
        let gap = if i == 0 { v } else { v - prev };
        push_number(&mut out, gap);
        prev = v;
    }
    out
}

/// 32-bit FNV-1a over UTF-16 code units: the browser can compute the same
/// hash of a page path to find the preview shard holding it.
pub fn path_hash(path: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for unit in path.encode_utf16() {
        h ^= unit as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Decodes [`postings`] (used by tests; the browser has its own copy).
pub fn decode_postings(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut prev = 0u32;
    for b in s.bytes() {
        if let Some(d) = MORE.iter().position(|&m| m == b) {
            acc = acc * 32 + d as u32;
        } else if let Some(d) = LAST.iter().position(|&m| m == b) {
            acc = acc * 32 + d as u32;
            prev = if out.is_empty() { acc } else { prev + acc };
            out.push(prev);
            acc = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip() {
        let v = vec![0, 1, 5, 31, 32, 1000, 1_000_000];
        assert_eq!(decode_postings(&postings(&v)), v);
        assert_eq!(postings(&[3, 4]), "31");
    }

    #[test]
    fn fnv_known_value() {
        // FNV-1a of "a" (one UTF-16 unit, same as the byte).
        assert_eq!(path_hash("a"), 0xe40c292c);
    }
}
