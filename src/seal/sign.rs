//! minisign keys and signatures over `integrity/manifest.json`: the same
//! format `minisign -V` and `rsign verify` read (Ed25519 over a BLAKE2b-512
//! prehash, algorithm `ED`, with a signed trusted comment).

use crate::write::canonical;
use crate::write::file::{self, Existing, FileError};
use base64::Engine;
use minisign::{PublicKey, SecretKey, SignatureBox};
use sha2::Digest;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Environment variable naming the secret key file (overrides book.toml).
pub const SECRET_KEY_ENV: &str = "SPORE_SECRET_KEY";
/// Environment variable holding the password of an encrypted secret key.
pub const PASSWORD_ENV: &str = "SPORE_KEY_PASSWORD";
pub const SECRET_KEY_FILE: &str = "spore.key";
pub const PUBLIC_KEY_FILE: &str = "spore.pub";

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("refusing to use secret key {key}: it is inside the {what} {folder}, so it would be published; keep it outside and point [integrity] secret_key or {SECRET_KEY_ENV} at it")]
    KeyInsidePublishedFolder {
        key: PathBuf,
        what: &'static str,
        folder: PathBuf,
    },
    #[error("cannot read secret key {path}: {message}")]
    ReadSecret { path: PathBuf, message: String },
    #[error("secret key {0} is password-protected: set {PASSWORD_ENV} to its password")]
    NeedsPassword(PathBuf),
    #[error("[integrity] public_key is not a minisign public key: {0}")]
    BadPublicKey(String),
    #[error("the secret key {secret} does not match [integrity] public_key (key fingerprint {configured}); the key pair's public key has fingerprint {actual}")]
    Mismatch {
        secret: PathBuf,
        configured: String,
        actual: String,
    },
    #[error("{0} already exists; pass --force to overwrite it (the old key is then lost)")]
    Exists(PathBuf),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("key generation failed: {0}")]
    Generate(String),
}

#[derive(Debug, Error)]
pub enum SignatureError {
    #[error("not a minisign signature: {0}")]
    Malformed(String),
    #[error("the signature was made with another key (its declared id is {found}, the key's {expected})")]
    OtherKey { found: String, expected: String },
    #[error("the signature does not match the manifest: {0}")]
    Invalid(String),
}

/// A secret key ready to sign, with its public half.
#[derive(Clone)]
pub struct Signer {
    secret: SecretKey,
    pub public: PublicKey,
    /// Base64 public key line (what goes into book.toml and the manifest).
    pub public_base64: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Signer({})",
            key_id(&self.public_base64).unwrap_or_default()
        )
    }
}

/// The secret key path in force: `SPORE_SECRET_KEY`, else book.toml.
pub fn secret_key_path(configured: Option<&Path>) -> Option<PathBuf> {
    match std::env::var_os(SECRET_KEY_ENV) {
        Some(p) if !p.is_empty() => Some(crate::config::absolute(Path::new(&p))),
        _ => configured.map(Path::to_path_buf),
    }
}

/// Loads the secret key, refusing one that would be published.
pub fn load_signer(
    path: &Path,
    configured_public: Option<&str>,
    vault: &Path,
    output: &Path,
) -> Result<Signer, KeyError> {
    let key = canonical(path);
    for (what, folder) in [("vault", vault), ("output folder", output)] {
        if key.starts_with(canonical(folder)) {
            return Err(KeyError::KeyInsidePublishedFolder {
                key: path.to_path_buf(),
                what,
                folder: folder.to_path_buf(),
            });
        }
    }
    let read_err = |message: String| KeyError::ReadSecret {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
    let sk_box = minisign::SecretKeyBox::from_string(&text).map_err(|e| read_err(e.to_string()))?;
    let secret = match sk_box.clone().into_unencrypted_secret_key() {
        Ok(secret) => secret,
        // minisign reports a password-protected key this way.
        Err(e) if e.to_string().contains("encrypted") => {
            let password = std::env::var(PASSWORD_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| KeyError::NeedsPassword(path.to_path_buf()))?;
            sk_box
                .into_secret_key(Some(password))
                .map_err(|e| read_err(e.to_string()))?
        }
        Err(e) => return Err(read_err(e.to_string())),
    };
    let public = PublicKey::from_secret_key(&secret).map_err(|e| read_err(e.to_string()))?;
    let public_base64 = public.to_base64();
    if let Some(configured) = configured_public {
        let configured_id = key_id(configured).map_err(KeyError::BadPublicKey)?;
        if configured.trim() != public_base64 {
            return Err(KeyError::Mismatch {
                secret: path.to_path_buf(),
                configured: fingerprint(configured).unwrap_or(configured_id),
                actual: fingerprint(&public_base64).unwrap_or_default(),
            });
        }
    }
    Ok(Signer {
        secret,
        public,
        public_base64,
    })
}

/// The key id minisign prints: the 8-byte key number, little-endian, as
/// 16 upper-case hex digits.
pub fn key_id(public_base64: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(public_base64.trim())
        .map_err(|e| e.to_string())?;
    if bytes.len() != 42 || &bytes[..2] != b"Ed" {
        return Err("expected 42 bytes starting with the Ed25519 algorithm tag".into());
    }
    let mut keynum = [0u8; 8];
    keynum.copy_from_slice(&bytes[2..10]);
    Ok(format!("{:016X}", u64::from_le_bytes(keynum)))
}

/// A key's fingerprint: SHA-256 of the 32 raw Ed25519 public key bytes,
/// its first 16 bytes as 8 groups of 4 lower-case hex digits
/// (`3f2a-91c0-…`). Unlike the key id (8 bytes the key file merely
/// declares, which anyone can copy into their own key), it follows from the
/// key itself: two keys with one fingerprint would take 2^128 work to find.
pub fn fingerprint(public_base64: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(public_base64.trim())
        .map_err(|e| e.to_string())?;
    if bytes.len() != 42 || &bytes[..2] != b"Ed" {
        return Err("expected 42 bytes starting with the Ed25519 algorithm tag".into());
    }
    let digest = hex::encode(sha2::Sha256::digest(&bytes[10..]));
    let groups: Vec<&str> = (0..8).map(|i| &digest[i * 4..i * 4 + 4]).collect();
    Ok(groups.join("-"))
}

/// The trusted (signed) comment: minisign's `timestamp:`/`file:` fields
/// plus the site id and version, so a signature cannot be replayed for
/// another site or another version.
pub fn trusted_comment(site_id: &str, version: i64) -> String {
    format!("timestamp:{version}\tfile:manifest.json\tsite:{site_id}\tversion:{version}")
}

pub fn untrusted_comment(site_id: &str) -> String {
    format!("signature from spore secret key, site {site_id}")
}

/// Signs the manifest bytes; returns the `.minisig` file's text.
pub fn sign(
    signer: &Signer,
    manifest: &[u8],
    site_id: &str,
    version: i64,
) -> Result<String, String> {
    let sig = minisign::sign(
        Some(&signer.public),
        &signer.secret,
        Cursor::new(manifest),
        Some(&trusted_comment(site_id, version)),
        Some(&untrusted_comment(site_id)),
    )
    .map_err(|e| e.to_string())?;
    Ok(sig.into_string())
}

/// A verified signature: what its trusted comment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub trusted_comment: String,
    pub site: Option<String>,
    pub version: Option<i64>,
}

/// Checks a `.minisig` text over the manifest bytes against a public key
/// given as the base64 line.
pub fn verify(
    public_base64: &str,
    manifest: &[u8],
    signature: &str,
) -> Result<VerifiedSignature, SignatureError> {
    let public = PublicKey::from_base64(public_base64.trim())
        .map_err(|e| SignatureError::Malformed(format!("public key: {e}")))?;
    let sig_box = SignatureBox::from_string(signature)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    let expected = key_id(public_base64).unwrap_or_default();
    let found = format!(
        "{:016X}",
        u64::from_le_bytes(sig_box.keynum().try_into().unwrap_or([0; 8]))
    );
    if found != expected {
        return Err(SignatureError::OtherKey { found, expected });
    }
    minisign::verify(&public, &sig_box, Cursor::new(manifest), true, false, false)
        .map_err(|e| SignatureError::Invalid(e.to_string()))?;
    let trusted = sig_box
        .trusted_comment()
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    let field = |name: &str| {
        trusted
            .split('\t')
            .find_map(|f| f.strip_prefix(name))
            .map(str::to_string)
    };
    Ok(VerifiedSignature {
        site: field("site:"),
        version: field("version:").and_then(|v| v.parse().ok()),
        trusted_comment: trusted,
    })
}

/// Whether the signature file is byte for byte what Spore writes for that
/// signature (catches edits to the unsigned comment line or the layout).
pub fn is_canonical(signature: &str, site_id: &str) -> bool {
    match SignatureBox::from_string(signature) {
        Ok(b) => {
            b.untrusted_comment().ok().as_deref() == Some(untrusted_comment(site_id).as_str())
                && b.into_string() == signature
        }
        Err(_) => false,
    }
}

/// A new key pair, as written by `spore keygen`.
pub struct GeneratedKeys {
    pub secret_path: PathBuf,
    pub public_path: PathBuf,
    pub public_base64: String,
    pub key_id: String,
    /// [`fingerprint`] of the public key: what to publish and compare.
    pub fingerprint: String,
    pub encrypted: bool,
}

/// Writes `spore.key` (mode 0600) and `spore.pub` into `dir`. The secret
/// key is password-protected when `password` is given.
pub fn keygen(
    dir: &Path,
    force: bool,
    password: Option<String>,
) -> Result<GeneratedKeys, KeyError> {
    let secret_path = dir.join(SECRET_KEY_FILE);
    let public_path = dir.join(PUBLIC_KEY_FILE);
    let existing = if force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    // Both checked before anything is written; a symlink (even a dangling
    // one) is never written through or over.
    for p in [&secret_path, &public_path] {
        file::check_target(p, existing).map_err(|e| key_file_error(p, e))?;
    }
    let encrypted = password.is_some();
    let pair = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p)),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public_base64 = pair.pk.to_base64();
    let key_id = key_id(&public_base64).map_err(KeyError::Generate)?;
    let secret_text = pair
        .sk
        .to_box(Some(&format!("spore secret key {key_id}")))
        .map_err(|e| KeyError::Generate(e.to_string()))?
        .into_string();
    let public_text = format!("untrusted comment: spore public key {key_id}\n{public_base64}\n");
    let write_err = |path: &Path, e: std::io::Error| KeyError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    file::write_file(&secret_path, secret_text.as_bytes(), true, existing)
        .map_err(|e| key_file_error(&secret_path, e))?;
    file::write_file(&public_path, public_text.as_bytes(), false, existing)
        .map_err(|e| key_file_error(&public_path, e))?;
    Ok(GeneratedKeys {
        secret_path,
        public_path,
        fingerprint: fingerprint(&public_base64).map_err(KeyError::Generate)?,
        public_base64,
        key_id,
        encrypted,
    })
}

fn key_file_error(path: &Path, e: FileError) -> KeyError {
    let message = match e {
        FileError::Exists(p) => return KeyError::Exists(p),
        FileError::Symlink(_) => {
            "it is a symlink, and a key is never written through or over one; remove it or choose another --out".to_string()
        }
        FileError::Folder(_) => "it is a folder".to_string(),
        FileError::Io { source, .. } => source.to_string(),
    };
    KeyError::Write {
        path: path.to_path_buf(),
        message,
    }
}

/// Reads a public key given as the base64 line or as a file holding it
/// (a `minisign.pub`-style file: comment line, then the key).
pub fn read_public_key(arg: &str) -> Result<String, String> {
    let candidate = arg.trim();
    if key_id(candidate).is_ok() {
        return Ok(candidate.to_string());
    }
    let text = std::fs::read_to_string(candidate).map_err(|e| {
        format!("{arg:?} is neither a minisign public key nor a readable file: {e}")
    })?;
    text.lines()
        .map(str::trim)
        .find(|l| key_id(l).is_ok())
        .map(str::to_string)
        .ok_or_else(|| format!("{arg}: no minisign public key line found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_sign_verify_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(dir.path(), false, None).unwrap();
        assert!(matches!(
            keygen(dir.path(), false, None),
            Err(KeyError::Exists(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&keys.secret_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let vault = dir.path().join("vault");
        let signer = load_signer(
            &keys.secret_path,
            Some(&keys.public_base64),
            &vault,
            &dir.path().join("out"),
        )
        .unwrap();
        let sig = sign(&signer, b"hello", "ID", 7).unwrap();
        assert!(is_canonical(&sig, "ID"));
        let v = verify(&keys.public_base64, b"hello", &sig).unwrap();
        assert_eq!(v.version, Some(7));
        assert_eq!(v.site.as_deref(), Some("ID"));
        assert!(matches!(
            verify(&keys.public_base64, b"hellO", &sig),
            Err(SignatureError::Invalid(_))
        ));
        assert_eq!(
            read_public_key(keys.public_path.to_str().unwrap()).unwrap(),
            keys.public_base64
        );
    }

    #[test]
    fn key_inside_vault_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        let keys = keygen(&vault, false, None).unwrap();
        assert!(matches!(
            load_signer(&keys.secret_path, None, &vault, &dir.path().join("site")),
            Err(KeyError::KeyInsidePublishedFolder { .. })
        ));
    }
}
