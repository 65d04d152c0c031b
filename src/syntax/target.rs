//! What a link names: `Note#Heading#Sub`, `Note#^block`, `#Heading`.

/// The parts of a wikilink or Markdown link destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// The file part (`folder/Note`, `image.png`); empty for same-note links.
    pub file: String,
    /// Heading path (`[[N#A#B]]` → `["A", "B"]`).
    pub headings: Vec<String>,
    /// Block id without `^`.
    pub block: Option<String>,
}

impl LinkTarget {
    pub fn parse(dest: &str) -> LinkTarget {
        let dest = dest.trim();
        let (file, fragment) = match dest.split_once('#') {
            Some((f, frag)) => (f.trim(), Some(frag)),
            None => (dest, None),
        };
        let mut target = LinkTarget {
            file: file.to_string(),
            headings: Vec::new(),
            block: None,
        };
        if let Some(frag) = fragment {
            if let Some(block) = frag.trim().strip_prefix('^') {
                target.block = Some(block.trim().to_string());
            } else {
                target.headings = frag
                    .split('#')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect();
            }
        }
        target
    }

    pub fn is_same_note(&self) -> bool {
        self.file.is_empty()
    }
}

/// Whether a Markdown link destination is external (has a URL scheme).
pub fn has_scheme(dest: &str) -> bool {
    match dest.find(':') {
        Some(colon) => {
            let scheme = &dest[..colon];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && scheme.len() > 1
        }
        None => dest.starts_with("//"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = LinkTarget::parse("Note#A#B");
        assert_eq!(t.file, "Note");
        assert_eq!(t.headings, vec!["A", "B"]);
        let t = LinkTarget::parse("#^blk");
        assert!(t.is_same_note());
        assert_eq!(t.block.as_deref(), Some("blk"));
    }

    #[test]
    fn schemes() {
        assert!(has_scheme("https://x"));
        assert!(has_scheme("mailto:a@b"));
        assert!(!has_scheme("Note.md"));
        assert!(!has_scheme("C:/x"));
        assert!(!has_scheme("a/b:c"));
    }
}
