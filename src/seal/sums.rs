//! `integrity/SHA256SUMS` in GNU coreutils format, so `sha256sum -c
//! --strict integrity/SHA256SUMS` run at the site root checks a copy.

/// One line per file, sorted by path: `HEX  PATH\n`. Names holding a
/// backslash or a newline use GNU's escaped form (a leading `\`).
pub fn sha256sums<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut lines: Vec<(&str, &str)> = entries.collect();
    lines.sort_unstable();
    let mut out = String::new();
    for (path, sha256) in lines {
        out.push_str(&line(path, sha256));
    }
    out
}

/// The line of one file.
pub fn line(path: &str, sha256: &str) -> String {
    if path.contains(['\\', '\n', '\r']) {
        let escaped = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{sha256}  {escaped}\n")
    } else {
        format!("{sha256}  {path}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnu_format_sorted_and_escaped() {
        let text = sha256sums([("b.html", "bb"), ("a\\x.html", "aa")].into_iter());
        assert_eq!(text, "\\aa  a\\\\x.html\nbb  b.html\n");
    }
}
