//! Comparing the site `serve` holds with a fresh build's, file by file,
//! with a readable diff of the first difference.

use spore::site::Site;
use std::collections::BTreeSet;

/// `live` and `full` hold the same files with the same bytes (a vault file:
/// the same file, path and identity, with the same seal). Page sources
/// are not compared: they are what the seal read, and the sealed pages and
/// shards (compared here) say what it made of them.
pub fn assert_sites_equal(live: &Site, full: &Site, step: &str) {
    let names = |s: &Site| s.files.keys().cloned().collect::<BTreeSet<String>>();
    let (ours, theirs) = (names(live), names(full));
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{step}: files differ; missing {missing:?}, extra {extra:?}"
    );
    for (name, file) in &full.files {
        let ours = &live.files[name];
        let (ours, bytes) = match (ours.made(), file.made()) {
            (Some(ours), Some(bytes)) => (ours, bytes),
            _ => {
                assert_eq!(ours, file, "{step}: {name} differs");
                continue;
            }
        };
        if ours != bytes {
            let a = String::from_utf8_lossy(ours);
            let b = String::from_utf8_lossy(bytes);
            let at = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map(|((i, _), _)| i)
                .unwrap_or(a.len().min(b.len()));
            let from = a[..at]
                .char_indices()
                .rev()
                .nth(160)
                .map(|(i, _)| i)
                .unwrap_or(0);
            let end = |s: &str| {
                let mut e = (at + 200).min(s.len());
                while !s.is_char_boundary(e) {
                    e -= 1;
                }
                e
            };
            panic!(
                "{step}: {name} differs at byte {at}\nincremental: {}\nfull build:  {}",
                &a[from..end(&a)],
                &b[from.min(b.len())..end(&b)]
            );
        }
    }
}
