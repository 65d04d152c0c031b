//! Heading ids: readable, Unicode kept, unique within a page.

use std::collections::HashMap;

/// `Café au lait!` → `café-au-lait`; Unicode letters are kept.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else if c.is_whitespace() || c == '-' {
            dash = true;
        }
    }
    if out.is_empty() {
        out.push_str("section");
    }
    out
}

/// Hands out unique ids in document order: `intro`, `intro-1`, `intro-2`.
#[derive(Default)]
pub struct SlugSet {
    seen: HashMap<String, usize>,
}

impl SlugSet {
    pub fn unique(&mut self, base: &str) -> String {
        let mut candidate = base.to_string();
        loop {
            let count = self.seen.entry(candidate.clone()).or_insert(0);
            if *count == 0 {
                *count = 1;
                return candidate;
            }
            let n = *count;
            *count += 1;
            candidate = format!("{base}-{n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Café au lait!"), "café-au-lait");
        assert_eq!(slugify("Знание — сила"), "знание-сила");
        assert_eq!(slugify("知识 镜像"), "知识-镜像");
        assert_eq!(slugify("  "), "section");
        let mut s = SlugSet::default();
        assert_eq!(s.unique("a"), "a");
        assert_eq!(s.unique("a"), "a-1");
        assert_eq!(s.unique("a"), "a-2");
        assert_eq!(s.unique("a-1"), "a-1-1");
    }
}
