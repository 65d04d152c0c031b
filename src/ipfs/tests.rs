//! Golden tests: the CIDs kubo's own tests expect, made again here from
//! the same inputs. Each vector names the kubo file it comes from (kubo at
//! the 2026 `master`): `test/cli/cid_profiles_test.go` (IPIP-499's
//! profiles at each threshold: chunk size, max links, HAMT size),
//! `test/cli/add_test.go` and `test/sharness/t0260-sharding.sh`.

use super::*;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use std::io::{self, Read};

/// kubo's `testutils.DeterministicRandomReaderBytes`: ChaCha20 (12-byte
/// zero nonce) keyed with SHA-256 of the seed, `size` bytes of keystream.
struct Deterministic {
    cipher: chacha20::ChaCha20,
    left: u64,
}

fn deterministic(size: u64, seed: &str) -> Deterministic {
    let key: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    let cipher = chacha20::ChaCha20::new(&key.into(), &[0u8; 12].into());
    Deterministic { cipher, left: size }
}

impl Read for Deterministic {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        buf[..n].fill(0);
        self.cipher.apply_keystream(&mut buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

fn file(size: u64, seed: &str, profile: &Profile) -> String {
    file_cid(deterministic(size, seed), profile)
        .expect("adds")
        .cid
        .to_string()
}

const KIB256: u64 = 262_144;
const MIB: u64 = 1_048_576;

#[test]
fn hello_world() {
    // add_test.go: shortStringCidV1, shortStringCidV0.
    let v1 = file_cid(&b"hello world"[..], &Profile::kubo_v1()).expect("adds");
    assert_eq!(
        v1.cid.to_string(),
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    );
    let v0 = file_cid(&b"hello world"[..], &Profile::unixfs_v0_2015()).expect("adds");
    assert_eq!(
        v0.cid.to_string(),
        "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
    );
}

#[test]
fn empty_file() {
    // core/coreiface/tests/unixfs.go: emptyFile (CIDv0); the CIDv1 raw
    // leaf is sha2-256 of nothing.
    let v0 = file_cid(io::empty(), &Profile::unixfs_v0_2015()).expect("adds");
    assert_eq!(
        v0.cid.to_string(),
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    );
    let v1 = file_cid(io::empty(), &Profile::kubo_v1()).expect("adds");
    assert_eq!(
        v1.cid.to_string(),
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    );
    assert_eq!((v1.size, v1.tsize), (0, 0));
}

#[test]
fn empty_folder() {
    // core/commands/diag.go: diagHealthyProbeCIDStr, the empty folder
    // (CIDv0); the CIDv1 is the same block under codec dag-pb.
    let dir = tempfile::tempdir().expect("temp dir");
    let v0 = root_cid(dir.path(), &Profile::unixfs_v0_2015()).expect("adds");
    assert_eq!(
        v0.to_string(),
        "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    );
    let v1 = root_cid(dir.path(), &Profile::kubo_v1()).expect("adds");
    assert_eq!(
        v1.to_string(),
        "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"
    );
}

// cid_profiles_test.go, unixfs-v0-2015 (256 KiB chunks, 174 links: the
// tree kubo_v1 builds, with wrapped leaves and CIDv0).

#[test]
fn v0_file_at_chunk_size() {
    let p = Profile::unixfs_v0_2015();
    assert_eq!(
        file(KIB256, "chunk-v0-seed", &p),
        "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"
    );
}

#[test]
fn v0_file_over_chunk_size() {
    let p = Profile::unixfs_v0_2015();
    assert_eq!(
        file(KIB256 + 1, "chunk-v0-seed", &p),
        "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"
    );
}

#[test]
fn v0_file_at_max_links() {
    let p = Profile::unixfs_v0_2015();
    assert_eq!(
        file(174 * KIB256, "v0-seed", &p),
        "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"
    );
}

#[test]
fn v0_file_over_max_links() {
    let p = Profile::unixfs_v0_2015();
    assert_eq!(
        file(174 * KIB256 + 1, "v0-seed", &p),
        "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"
    );
}

// cid_profiles_test.go, unixfs-v1-2025 (1 MiB chunks, 1024 links, raw
// leaves, CIDv1). The two max-links vectors read 1 GiB each and are left
// to `--ignored` runs (both passed when this was written); the same
// balancing code is held to the 174-link vectors above on every run.

#[test]
fn v1_2025_file_at_chunk_size() {
    let p = Profile::unixfs_v1_2025();
    assert_eq!(
        file(MIB, "chunk-v1-seed", &p),
        "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"
    );
}

#[test]
fn v1_2025_file_over_chunk_size() {
    let p = Profile::unixfs_v1_2025();
    assert_eq!(
        file(MIB + 1, "chunk-v1-seed", &p),
        "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"
    );
}

#[test]
#[ignore = "a GiB of input, minutes unoptimised: cargo test --release --lib ipfs -- --ignored"]
fn v1_2025_file_at_max_links() {
    let p = Profile::unixfs_v1_2025();
    assert_eq!(
        file(1024 * MIB, "v1-2025-seed", &p),
        "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm"
    );
}

#[test]
#[ignore = "a GiB of input, minutes unoptimised: cargo test --release --lib ipfs -- --ignored"]
fn v1_2025_file_over_max_links() {
    let p = Profile::unixfs_v1_2025();
    assert_eq!(
        file(1024 * MIB + 1, "v1-2025-seed", &p),
        "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe"
    );
}

/// add_test.go's `createDeterministicFiles`: `count` files holding "x",
/// named from a deterministic stream over kubo's `AlphabetEasy`, the last
/// name `last_len` long, the others `len`.
fn hamt_folder(count: usize, len: usize, last_len: usize, seed: &str) -> tempfile::TempDir {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz01234567890-_";
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stream = deterministic(MIB, seed);
    for i in 0..count {
        let n = if i + 1 == count { last_len } else { len };
        let mut raw = vec![0u8; n];
        stream.read_exact(&mut raw).expect("keystream");
        let name: String = raw
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        std::fs::write(dir.path().join(name), "x").expect("writes");
    }
    dir
}

#[test]
fn v0_folder_at_hamt_threshold_stays_flat() {
    // 4096 × (30 + 34) = 262144: not over.
    let dir = hamt_folder(4096, 30, 30, "hamt-unixfs-v0-2015");
    let cid = root_cid(dir.path(), &Profile::unixfs_v0_2015()).expect("adds");
    assert_eq!(
        cid.to_string(),
        "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN"
    );
}

#[test]
fn v0_folder_over_hamt_threshold_is_sharded() {
    // 4033 × (31 + 34) = 262145.
    let dir = hamt_folder(4033, 31, 31, "hamt-unixfs-v0-2015");
    let cid = root_cid(dir.path(), &Profile::unixfs_v0_2015()).expect("adds");
    assert_eq!(
        cid.to_string(),
        "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP"
    );
}

#[test]
fn v1_2025_folder_at_hamt_threshold_stays_flat() {
    // 4765 × 55 + 65 + 4 = 262144 bytes of block.
    let dir = hamt_folder(4766, 11, 21, "hamt-unixfs-v1-2025");
    let cid = root_cid(dir.path(), &Profile::unixfs_v1_2025()).expect("adds");
    assert_eq!(
        cid.to_string(),
        "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4"
    );
}

#[test]
fn v1_2025_folder_over_hamt_threshold_is_sharded() {
    let dir = hamt_folder(4766, 11, 22, "hamt-unixfs-v1-2025");
    let cid = root_cid(dir.path(), &Profile::unixfs_v1_2025()).expect("adds");
    assert_eq!(
        cid.to_string(),
        "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu"
    );
}

/// t0260-sharding.sh's folder: `file1` … `file2000`, each holding its
/// number and a newline.
fn sharness_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 1..=2000 {
        std::fs::write(dir.path().join(format!("file{i}")), format!("{i}\n")).expect("writes");
    }
    dir
}

#[test]
fn sharness_folder_flat_and_sharded() {
    let dir = sharness_folder();
    // UNSHARDED: threshold "1G".
    let flat = Profile {
        hamt_threshold_bytes: 1 << 30,
        ..Profile::unixfs_v0_2015()
    };
    let cid = root_cid(dir.path(), &flat).expect("adds");
    assert_eq!(
        cid.to_string(),
        "QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N"
    );
    // SHARDED: threshold "1B".
    let sharded = Profile {
        hamt_threshold_bytes: 1,
        ..Profile::unixfs_v0_2015()
    };
    let cid = root_cid(dir.path(), &sharded).expect("adds");
    assert_eq!(
        cid.to_string(),
        "QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL"
    );
    // SHARDEDV1: `--cid-version=1` (raw leaves implied), threshold "1B".
    let v1 = Profile {
        hamt_threshold_bytes: 1,
        ..Profile::kubo_v1()
    };
    let cid = root_cid(dir.path(), &v1).expect("adds");
    assert_eq!(
        cid.to_string(),
        "bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u"
    );
}
