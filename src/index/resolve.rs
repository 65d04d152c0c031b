//! Name → file resolution, Obsidian's way, deterministic:
//! (1) path from the vault root; (2) path relative to the linking note's
//! folder; (3) file name, exact case; (4) file name ignoring case (Unicode
//! case folding, NFC); (5) a note's `aliases`. Several candidates: the one in
//! the linking note's folder, then the shortest path, then byte order.

use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// What a link resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolved {
    Note(usize),
    Attachment(usize),
}

/// Lookup tables over one kind of file (notes or attachments).
#[derive(Debug, Default)]
struct Table {
    /// Key: full path (notes without `.md`), NFC.
    by_path: HashMap<String, usize>,
    /// Key: last component (notes without `.md`).
    by_name: HashMap<String, Vec<usize>>,
    by_name_folded: HashMap<String, Vec<usize>>,
    paths: Vec<String>,
}

impl Table {
    fn new(keys: Vec<String>) -> Table {
        let mut t = Table::default();
        for (i, key) in keys.iter().enumerate() {
            t.by_path.insert(key.clone(), i);
            let name = key.rsplit('/').next().unwrap_or(key).to_string();
            t.by_name_folded.entry(fold(&name)).or_default().push(i);
            t.by_name.entry(name).or_default().push(i);
        }
        t.paths = keys;
        t
    }

    /// `target` is cleaned but may hold `./` and `../`.
    fn find(&self, target: &str, from_folder: &str) -> Option<usize> {
        let rooted = join_relative("", target);
        if let Some(i) = rooted.as_ref().and_then(|p| self.by_path.get(p)) {
            return Some(*i);
        }
        if let Some(i) =
            join_relative(from_folder, target).and_then(|p| self.by_path.get(&p).copied())
        {
            return Some(i);
        }
        // Names only match from inside the vault: `../x` never does.
        let target = match rooted {
            Some(t) if !target.split('/').any(|p| p == "..") && !t.is_empty() => t,
            _ => return None,
        };
        let target = target.as_str();
        let (suffix_dir, name) = match target.rsplit_once('/') {
            Some((d, n)) => (Some(d), n),
            None => (None, target),
        };
        let matches_dir = |i: &usize, folded: bool| match suffix_dir {
            None => true,
            Some(dir) => {
                let path = &self.paths[*i];
                let want = format!("{dir}/{name}");
                if folded {
                    let p = fold(path);
                    let w = fold(&want);
                    p == w || p.ends_with(&format!("/{w}"))
                } else {
                    path == &want || path.ends_with(&format!("/{want}"))
                }
            }
        };
        if let Some(list) = self.by_name.get(name) {
            let c: Vec<usize> = list
                .iter()
                .copied()
                .filter(|i| matches_dir(i, false))
                .collect();
            if let Some(best) = self.best(&c, from_folder) {
                return Some(best);
            }
        }
        if let Some(list) = self.by_name_folded.get(&fold(name)) {
            let c: Vec<usize> = list
                .iter()
                .copied()
                .filter(|i| matches_dir(i, true))
                .collect();
            if let Some(best) = self.best(&c, from_folder) {
                return Some(best);
            }
        }
        None
    }

    fn best(&self, candidates: &[usize], from_folder: &str) -> Option<usize> {
        candidates.iter().copied().min_by(|&a, &b| {
            let (pa, pb) = (&self.paths[a], &self.paths[b]);
            let local = |p: &str| folder_of(p) != from_folder;
            (local(pa), pa.len(), pa.as_str()).cmp(&(local(pb), pb.len(), pb.as_str()))
        })
    }
}

/// Resolves link targets to notes and attachments.
#[derive(Debug, Default)]
pub struct Resolver {
    notes: Table,
    attachments: Table,
    aliases: HashMap<String, Vec<usize>>,
    /// A hash of everything `new` was given: equal digests, equal answers.
    digest: u64,
}

impl Resolver {
    /// A hash of the names and aliases it resolves among: two resolvers
    /// with one digest give every link the same answer.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// `note_paths` and `attachment_paths` are vault-relative, sorted;
    /// `aliases[i]` are the aliases of note `i`.
    pub fn new(
        note_paths: &[&str],
        attachment_paths: &[&str],
        aliases: &[Vec<String>],
    ) -> Resolver {
        let notes = Table::new(
            note_paths
                .iter()
                .map(|p| crate::load::strip_md(p).to_string())
                .collect(),
        );
        let attachments = Table::new(attachment_paths.iter().map(|p| p.to_string()).collect());
        let mut alias_map: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, list) in aliases.iter().enumerate() {
            for alias in list {
                alias_map.entry(fold(alias)).or_default().push(i);
            }
        }
        Resolver {
            notes,
            attachments,
            aliases: alias_map,
            digest: crate::memo::hash_of(&(note_paths, attachment_paths, aliases)),
        }
    }

    /// Resolves the file part of a link written in note at `from_path`.
    pub fn resolve(&self, file: &str, from_path: &str) -> Option<Resolved> {
        let target = clean_target(file)?;
        let from_folder = folder_of(from_path);
        let as_note = crate::load::strip_md(&target);
        if let Some(i) = self.notes.find(as_note, from_folder) {
            return Some(Resolved::Note(i));
        }
        if let Some(i) = self.attachments.find(&target, from_folder) {
            return Some(Resolved::Attachment(i));
        }
        if let Some(list) = self.aliases.get(&fold(target.trim_matches('/'))) {
            return self.notes.best(list, from_folder).map(Resolved::Note);
        }
        None
    }
}

/// NFC, `\` → `/`; `None` for an empty target.
fn clean_target(file: &str) -> Option<String> {
    let trimmed = file.trim();
    // NFC leaves ASCII as it is: skip it for the common all-ASCII target.
    let nfc: String = if trimmed.is_ascii() {
        trimmed.replace('\\', "/")
    } else {
        trimmed.nfc().collect::<String>().replace('\\', "/")
    };
    (!nfc.trim_matches('/').is_empty()).then_some(nfc)
}

/// `folder` + `target` with `.`/`..` applied; `None` when it climbs out of
/// the vault (leaving the vault is never resolved).
fn join_relative(folder: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(f, _)| f).unwrap_or("")
}

/// Unicode case folding on NFC text, so `Ärger`, `ärger` and NFD forms meet.
pub fn fold(s: &str) -> String {
    // On ASCII, NFC is the identity and case folding is ASCII lower case.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let nfc: String = s.nfc().collect();
    caseless::default_case_fold_str(&nfc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_shortcuts_match_the_unicode_path() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        let nfc: String = all_ascii.nfc().collect();
        assert_eq!(fold(&all_ascii), caseless::default_case_fold_str(&nfc));
        assert_eq!(
            clean_target(" Folder\\Note A ").as_deref(),
            Some("Folder/Note A")
        );
    }

    fn resolver() -> Resolver {
        Resolver::new(
            &[
                "A.md",
                "x/A.md",
                "x/y/B.md",
                "z/B.md",
                "Ünïcode.md",
                "deep/a/b/Note.md",
            ],
            &["img/p.png", "x/p.png"],
            &[vec![], vec![], vec!["Bee".into()], vec![], vec![], vec![]],
        )
    }

    #[test]
    fn resolution_order() {
        let r = resolver();
        assert_eq!(r.resolve("A", "q.md"), Some(Resolved::Note(0)));
        assert_eq!(r.resolve("x/A", "q.md"), Some(Resolved::Note(1)));
        assert_eq!(
            r.resolve("A", "x/q.md"),
            Some(Resolved::Note(0)),
            "vault-root path is rule 1"
        );
        assert_eq!(
            r.resolve("y/B", "x/q.md"),
            Some(Resolved::Note(2)),
            "relative to the note's folder"
        );
        assert_eq!(r.resolve("./A", "x/q.md"), Some(Resolved::Note(0)));
        assert_eq!(
            r.resolve("B", "q.md"),
            Some(Resolved::Note(3)),
            "shortest path"
        );
        assert_eq!(
            r.resolve("B", "x/y/q.md"),
            Some(Resolved::Note(2)),
            "same folder"
        );
        assert_eq!(
            r.resolve("b", "q.md"),
            Some(Resolved::Note(3)),
            "case folded"
        );
        assert_eq!(r.resolve("ünïcode", "q.md"), Some(Resolved::Note(4)));
        assert_eq!(
            r.resolve("U\u{308}ni\u{308}code", "q.md"),
            Some(Resolved::Note(4)),
            "NFD"
        );
        assert_eq!(r.resolve("bee", "q.md"), Some(Resolved::Note(2)), "alias");
        assert_eq!(
            r.resolve("b/Note", "q.md"),
            Some(Resolved::Note(5)),
            "path suffix"
        );
        assert_eq!(r.resolve("A.md", "q.md"), Some(Resolved::Note(0)));
        assert_eq!(
            r.resolve("p.png", "img/q.md"),
            Some(Resolved::Attachment(0)),
            "same folder"
        );
        assert_eq!(
            r.resolve("p.png", "q.md"),
            Some(Resolved::Attachment(1)),
            "shortest path"
        );
        assert_eq!(r.resolve("../A", "q.md"), None, "outside the vault");
        assert_eq!(r.resolve("../../A", "x/q.md"), None);
        assert_eq!(r.resolve("Missing", "q.md"), None);
    }
}
