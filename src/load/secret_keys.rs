//! Recognising secret key files by their contents, so that no key is ever
//! published, whatever its name or extension (`photo.png` included).

use base64::Engine;

/// Longest file head searched for a key (a key sits at the top of its file,
/// or after a few certificates in a PEM bundle), so that checking every
/// attachment costs little.
pub const SEARCHED_BYTES: usize = 64 * 1024;

/// Key files are text: a NUL byte this early means a binary file (an image,
/// a PDF), which is not searched further.
const BINARY_SNIFF: usize = 512;

/// A minisign (or signify) public key decodes to 42 bytes and a signature to
/// 74; a secret key box holds the 64-byte secret key and decodes to more.
const MIN_SECRET_BOX: usize = 100;

/// What kind of secret key `bytes` holds, if any: a minisign or signify
/// secret key, a PEM private key (OpenSSH, PKCS#1/#8, EC, PGP, encrypted),
/// a PuTTY key or an age identity.
pub fn key_file_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(SEARCHED_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head[..head.len().min(BINARY_SNIFF)].contains(&0) {
        return None;
    }
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty());
    let first = lines.clone().next()?;
    if first.starts_with(b"untrusted comment:") {
        let blob = lines.nth(1).unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD.decode(blob);
        if decoded.is_ok_and(|d| d.starts_with(b"Ed") && d.len() >= MIN_SECRET_BOX) {
            return Some("a minisign secret key");
        }
    }
    if first.starts_with(b"PuTTY-User-Key-File-") {
        return Some("a PuTTY private key");
    }
    lines.find_map(|line| {
        if line.starts_with(b"AGE-SECRET-KEY-") {
            Some("an age secret key")
        } else if line.starts_with(b"-----BEGIN ")
            && line.ends_with(b"-----")
            && contains(line, b"PRIVATE KEY")
        {
            Some(if contains(line, b"OPENSSH") {
                "an OpenSSH private key"
            } else {
                "a PEM private key"
            })
        } else {
            None
        }
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// [`key_file_kind`] for a note's text: only a note that *is* a key (starts
/// with one) counts, so a note explaining what a key header looks like is
/// still published.
pub fn note_key_kind(text: &str) -> Option<&'static str> {
    let start = text.trim_start().as_bytes();
    let first = start.split(|&b| b == b'\n').next().unwrap_or_default();
    let starts_as_key = first.starts_with(b"untrusted comment:")
        || first.starts_with(b"PuTTY-User-Key-File-")
        || first.starts_with(b"AGE-SECRET-KEY-")
        || first.starts_with(b"# created:")
        || first.starts_with(b"-----BEGIN ");
    if starts_as_key {
        key_file_kind(start)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minisign_pair() -> (String, String) {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let secret = pair.sk.to_box(None).unwrap().into_string();
        let public = pair.pk.to_box().unwrap().into_string();
        (secret, public)
    }

    #[test]
    fn minisign_secret_keys_but_not_public_keys_or_signatures() {
        let (secret, public) = minisign_pair();
        assert_eq!(
            key_file_kind(secret.as_bytes()),
            Some("a minisign secret key")
        );
        assert_eq!(key_file_kind(public.as_bytes()), None);
        let encrypted = minisign::KeyPair::generate_encrypted_keypair(Some("pw".into()))
            .unwrap()
            .sk
            .to_box(None)
            .unwrap()
            .into_string();
        assert!(key_file_kind(encrypted.as_bytes()).is_some());
        assert!(note_key_kind(&secret).is_some());
    }

    #[test]
    fn pem_openssh_putty_and_age() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(key_file_kind(pem.as_bytes()), Some("a PEM private key"));
        let ssh = "\u{feff}-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3Bl\r\n";
        assert_eq!(
            key_file_kind(ssh.as_bytes()),
            Some("an OpenSSH private key")
        );
        assert!(key_file_kind(b"PuTTY-User-Key-File-3: ssh-ed25519\n").is_some());
        let age = "# created: 2024-01-01\n# public key: age1xyz\nAGE-SECRET-KEY-1QQQ\n";
        assert!(key_file_kind(age.as_bytes()).is_some());
        assert!(note_key_kind(age).is_some());
        assert!(key_file_kind(b"-----BEGIN CERTIFICATE-----\nMIIB\n").is_none());
        assert!(key_file_kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_none());
        assert!(key_file_kind(b"").is_none());
    }

    #[test]
    fn a_note_about_keys_is_not_a_key() {
        let doc = "A key starts with `-----BEGIN OPENSSH PRIVATE KEY-----`:\n\n```\n-----BEGIN OPENSSH PRIVATE KEY-----\n```\n";
        assert_eq!(note_key_kind(doc), None);
    }
}
