//! The piece length rule and the pieces' SHA-1 hashes (BEP 3).
//!
//! The files are one stream, in the torrent's order, cut into pieces of one
//! length (the last one shorter); a piece may span many small files. Each
//! piece is hashed on its own, so pieces are hashed in parallel (rayon),
//! each by reading just its byte range from the files it covers, in chunks:
//! memory is the file list plus one chunk buffer per worker.

use super::files::{Root, SiteFile};
use super::TorrentError;
use rayon::prelude::*;
use sha1::{Digest, Sha1};
use std::io::{Read, Seek, SeekFrom};

/// The smallest piece: 16 KiB is BitTorrent's block size, and no client
/// wants a piece smaller than a block.
pub const MIN_PIECE_LENGTH: u64 = 16 * 1024;
/// The largest piece: past 16 MiB a client fetches (and, from a web seed,
/// fetches again after one bad byte) too much at a time; mktorrent's and
/// qBittorrent's automatic choices stop there or below.
pub const MAX_PIECE_LENGTH: u64 = 16 * 1024 * 1024;
/// At most this many pieces below the cap: 40 KiB of piece hashes, the
/// target libtorrent 1.x's `create_torrent` aims at.
pub const MAX_PIECES: u64 = 2048;

/// The piece length for `total` bytes: the smallest power of two from
/// 16 KiB up that cuts them into at most 2048 pieces, and never more than
/// 16 MiB (a site over 32 GiB gets more pieces instead). A function of the
/// total alone, so the same site always gets the same pieces.
pub fn piece_length(total: u64) -> u64 {
    let mut length = MIN_PIECE_LENGTH;
    while length < MAX_PIECE_LENGTH && total.div_ceil(length) > MAX_PIECES {
        length *= 2;
    }
    length
}

/// How much of a file is read at a time.
const CHUNK: usize = 64 * 1024;

/// The SHA-1 of every piece, concatenated (the info dictionary's `pieces`).
pub fn hash_pieces(
    root: &Root,
    files: &[SiteFile],
    piece_length: u64,
) -> Result<Vec<u8>, TorrentError> {
    // Where each file starts in the stream.
    let mut starts = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for f in files {
        starts.push(total);
        total += f.len;
    }
    let count = total.div_ceil(piece_length);
    let hashes: Vec<[u8; 20]> = (0..count)
        .into_par_iter()
        .map_init(
            || vec![0u8; CHUNK],
            |buf, piece| {
                let begin = piece * piece_length;
                let end = (begin + piece_length).min(total);
                hash_range(root, files, &starts, begin, end, buf)
            },
        )
        .collect::<Result<_, _>>()?;
    Ok(hashes.concat())
}

/// The SHA-1 of the stream's bytes `begin..end`.
fn hash_range(
    root: &Root,
    files: &[SiteFile],
    starts: &[u64],
    begin: u64,
    end: u64,
    buf: &mut [u8],
) -> Result<[u8; 20], TorrentError> {
    let mut sha = Sha1::new();
    // The first file that ends after `begin` (empty files are skipped).
    let first = starts.partition_point(|&s| s <= begin).saturating_sub(1);
    let mut pos = begin;
    for (file, &start) in files[first..].iter().zip(&starts[first..]) {
        if pos >= end {
            break;
        }
        let file_end = start + file.len;
        if file_end <= pos {
            continue;
        }
        let path = || file.path_in(root.path());
        let mut opened = root.open_file(file)?;
        opened
            .seek(SeekFrom::Start(pos - start))
            .map_err(|source| TorrentError::Io {
                path: path(),
                source,
            })?;
        let mut left = file_end.min(end) - pos;
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = opened
                .read(&mut buf[..want])
                .map_err(|source| TorrentError::Io {
                    path: path(),
                    source,
                })?;
            if n == 0 {
                return Err(TorrentError::Changed {
                    path: path(),
                    listed: file.len,
                    now: file_end - left - start,
                });
            }
            sha.update(&buf[..n]);
            left -= n as u64;
        }
        pos = file_end.min(end);
    }
    Ok(sha.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piece_length_rule() {
        const K: u64 = 1024;
        const M: u64 = 1024 * K;
        assert_eq!(piece_length(0), 16 * K);
        assert_eq!(piece_length(1), 16 * K);
        // 2048 pieces of 16 KiB fit exactly; one byte more doubles.
        assert_eq!(piece_length(2048 * 16 * K), 16 * K);
        assert_eq!(piece_length(2048 * 16 * K + 1), 32 * K);
        // A 290 MB site: 256 KiB pieces, 1107 of them.
        assert_eq!(piece_length(290_000_000), 256 * K);
        assert_eq!(piece_length(32 * 1024 * M), 16 * M);
        // Past 32 GiB the cap holds and the count grows.
        assert_eq!(piece_length(32 * 1024 * M + 1), 16 * M);
        assert_eq!(piece_length(u64::MAX), 16 * M);
        for total in [0, 1, 5 * M, 77 * M + 3, 5000 * M] {
            let p = piece_length(total);
            assert!(p.is_power_of_two());
            assert!(total.div_ceil(p) <= MAX_PIECES);
            assert!(p == MIN_PIECE_LENGTH || total.div_ceil(p / 2) > MAX_PIECES);
        }
    }
}
