//! Output names that are valid on ext4, APFS, NTFS and FAT/exFAT, unique
//! when case is ignored, and relative URLs between them.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Characters escaped in a URL path segment (non-ASCII is always escaped).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'\'');

const RESERVED_WINDOWS: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Longest name component we emit, in bytes (file systems allow 255).
const MAX_COMPONENT_BYTES: usize = 180;

/// One path component made portable: forbidden characters (control
/// characters, U+FFFE and U+FFFF among them) and white space become `-`,
/// no trailing dot or space, no reserved Windows name, NFC.
pub fn sanitize_component(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_dash = false;
    for c in name.nfc() {
        // Unsafe to print (control, bidi) or not XML-allowed: a name the
        // terminal, the Metalink file and the sitemap cannot say.
        let bad = crate::printable::is_unsafe_char(c)
            || !crate::render::escape::xml_allowed(c)
            || c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '#' | '%' | '[' | ']' | '^'
            );
        if bad {
            if !last_dash {
                out.push('-');
            }
            last_dash = true;
        } else {
            out.push(c);
            last_dash = false;
        }
    }
    let mut out = out
        .trim_matches(|c| c == '-' || c == '.' || c == ' ')
        .to_string();
    if out.len() > MAX_COMPONENT_BYTES {
        let mut cut = MAX_COMPONENT_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out = out.trim_end_matches(['-', '.', ' ']).to_string();
    }
    if out.is_empty() {
        out.push_str("untitled");
    }
    let stem = out.split('.').next().unwrap_or("").to_ascii_lowercase();
    if RESERVED_WINDOWS.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    out
}

/// The key under which two names clash on a case-insensitive file system.
fn fold(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// Who holds an output name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A vault file or folder (its vault-relative path).
    Source(String),
    /// A name Spore writes itself (`tags`, a folder's `index.html`, …).
    Spore,
}

/// A source that did not get the output name it asked for, because another
/// name holds it ignoring case (and after making both portable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameClash {
    /// The vault file or folder that got a suffixed name.
    pub source: String,
    /// The output path it wanted.
    pub wanted: String,
    /// The output path it got.
    pub output: String,
    pub holder: Holder,
}

/// Assigns unique portable output paths. Call in a deterministic order
/// (sorted source paths) so the same vault always gets the same names.
#[derive(Debug, Default)]
pub struct Namer {
    /// Source folder → output folder.
    folders: HashMap<String, String>,
    /// (output folder, folded name) already used, and by whom.
    taken: HashMap<(String, String), Holder>,
    clashes: Vec<NameClash>,
}

impl Namer {
    /// `reserved` are root-level names the generator itself writes.
    pub fn new(reserved: &[&str]) -> Namer {
        let mut namer = Namer::default();
        for r in reserved {
            namer.taken.insert((String::new(), fold(r)), Holder::Spore);
        }
        namer.folders.insert(String::new(), String::new());
        namer
    }

    /// The output folder for a vault-relative source folder (`""` = root).
    pub fn folder(&mut self, source_folder: &str) -> String {
        if let Some(out) = self.folders.get(source_folder) {
            return out.clone();
        }
        let (parent, name) = source_folder
            .rsplit_once('/')
            .unwrap_or(("", source_folder));
        let parent_out = self.folder(parent);
        let unique = self.claim(&parent_out, &sanitize_component(name), "", source_folder);
        let out = join(&parent_out, &unique);
        // Every folder gets a generated index page.
        self.taken
            .insert((out.clone(), fold("index.html")), Holder::Spore);
        self.folders.insert(source_folder.to_string(), out.clone());
        out
    }

    /// A unique output path for a source file, with `extension` replacing
    /// its own (`Some("html")`) or kept (`None`).
    pub fn file(&mut self, source_path: &str, extension: Option<&str>) -> String {
        let (folder, name) = source_path.rsplit_once('/').unwrap_or(("", source_path));
        let folder_out = self.folder(folder);
        let (stem, ext) = match (extension, name.rsplit_once('.')) {
            (Some(e), Some((stem, _))) => (stem, e.to_string()),
            (Some(e), None) => (name, e.to_string()),
            (None, Some((stem, e))) if !stem.is_empty() => {
                (stem, sanitize_component(e).to_ascii_lowercase())
            }
            (None, _) => (name, String::new()),
        };
        let unique = self.claim(&folder_out, &sanitize_component(stem), &ext, source_path);
        join(&folder_out, &unique)
    }

    /// Reserves an exact generated path (e.g. `tags/index.html`).
    pub fn reserve(&mut self, folder_out: &str, name: &str) {
        self.taken
            .insert((folder_out.to_string(), fold(name)), Holder::Spore);
    }

    /// Gives a generated name (a folder's `index.html`) to the source that
    /// supplies its page, so a later clash with it names that source.
    pub fn hold(&mut self, folder_out: &str, name: &str, source: &str) {
        self.taken.insert(
            (folder_out.to_string(), fold(name)),
            Holder::Source(source.to_string()),
        );
    }

    /// Every clash so far, in the order names were given.
    pub fn clashes(&self) -> &[NameClash] {
        &self.clashes
    }

    fn claim(&mut self, folder_out: &str, stem: &str, ext: &str, source: &str) -> String {
        let dotted = |s: &str| {
            if ext.is_empty() {
                s.to_string()
            } else {
                format!("{s}.{ext}")
            }
        };
        let wanted = dotted(stem);
        let mut candidate = wanted.clone();
        let mut n = 2;
        loop {
            let key = (folder_out.to_string(), fold(&candidate));
            match self.taken.entry(key) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Holder::Source(source.to_string()));
                    break;
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    if candidate == wanted {
                        self.clashes.push(NameClash {
                            source: source.to_string(),
                            wanted: join(folder_out, &wanted),
                            output: String::new(),
                            holder: o.get().clone(),
                        });
                    }
                }
            }
            candidate = dotted(&format!("{stem}-{n}"));
            n += 1;
        }
        if let Some(clash) = self.clashes.last_mut().filter(|c| c.source == source) {
            if clash.output.is_empty() {
                clash.output = join(folder_out, &candidate);
            }
        }
        candidate
    }
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// Percent-encodes a relative path for use in `href`/`src`.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes a fragment (`#id`).
pub fn encode_fragment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The relative URL from page `from` to file `to` (both output paths).
/// Called for every link on every page, so it builds the result in one
/// buffer: `../` per folder to climb, then `to` past the shared folders,
/// percent-encoded (`/` is never encoded, so the segments need no split).
pub fn relative_url(from: &str, to: &str) -> String {
    let from_dir = from.rsplit_once('/').map(|(d, _)| d);
    let to_dir = to.rsplit_once('/').map(|(d, _)| d);
    let (mut climb, mut tail) = (0, to);
    if let Some(from_dir) = from_dir {
        let mut from_parts = from_dir.split('/');
        let mut to_parts = to_dir.map(|d| d.split('/'));
        for part in from_parts.by_ref() {
            let shared = to_parts
                .as_mut()
                .and_then(|t| t.next())
                .is_some_and(|t| t == part);
            if shared {
                tail = &tail[part.len() + 1..];
            } else {
                climb = 1;
                break;
            }
        }
        climb += from_parts.count();
    }
    let mut out = String::with_capacity(climb * 3 + tail.len() + 8);
    for _ in 0..climb {
        out.push_str("../");
    }
    out.extend(utf8_percent_encode(tail, SEGMENT));
    out
}

/// `../` prefix leading from page `from` back to the site root.
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

pub fn relative_path(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let to_dirs = &to_parts[..to_parts.len() - 1];
    let common = from_dirs
        .iter()
        .zip(to_dirs)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from_dirs.len() - common);
    out.push_str(&to_parts[common..].join("/"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_and_reserved_names() {
        assert_eq!(sanitize_component("a<b>c:d\"e|f?g*h"), "a-b-c-d-e-f-g-h");
        assert_eq!(sanitize_component("trailing. "), "trailing");
        assert_eq!(sanitize_component("CON"), "_CON");
        assert_eq!(sanitize_component("nul.txt"), "_nul.txt");
        assert_eq!(sanitize_component("My Note"), "My-Note");
        assert_eq!(sanitize_component("Знание 知识"), "Знание-知识");
        // Bidi overrides and isolates never reach an output name (verify
        // refuses a manifest path holding one).
        assert_eq!(sanitize_component("evil\u{202e}lmth.exe"), "evil-lmth.exe");
        assert_eq!(sanitize_component("a\u{2066}b\u{1b}c"), "a-b-c");
        assert_eq!(sanitize_component("???"), "untitled");
    }

    #[test]
    fn nfd_becomes_nfc() {
        assert_eq!(sanitize_component("cafe\u{301}"), "caf\u{e9}");
    }

    #[test]
    fn case_only_clashes_get_suffixes() {
        let mut n = Namer::new(&["index.html", "tags"]);
        assert_eq!(n.file("Notes/Case.md", Some("html")), "Notes/Case.html");
        assert_eq!(n.file("notes/case.md", Some("html")), "notes-2/case.html");
        assert_eq!(n.file("Notes/CASE.md", Some("html")), "Notes/CASE-2.html");
        assert_eq!(n.file("index.md", Some("html")), "index-2.html");
        assert_eq!(n.file("tags/x.md", Some("html")), "tags-2/x.html");
        assert_eq!(n.file("img/a b.PNG", None), "img/a-b.png");
        let clashes: Vec<(&str, &str, &Holder)> = n
            .clashes()
            .iter()
            .map(|c| (c.source.as_str(), c.output.as_str(), &c.holder))
            .collect();
        let notes = Holder::Source("Notes".into());
        let case = Holder::Source("Notes/Case.md".into());
        assert_eq!(
            clashes,
            [
                ("notes", "notes-2", &notes),
                ("Notes/CASE.md", "Notes/CASE-2.html", &case),
                ("index.md", "index-2.html", &Holder::Spore),
                ("tags", "tags-2", &Holder::Spore),
            ]
        );
    }

    #[test]
    fn relative_url_matches_relative_path_then_encode() {
        let paths = [
            "index.html",
            "a.html",
            "a/index.html",
            "a/b.html",
            "a/b/c.html",
            "a/b/d e.html",
            "a/bb/c.html",
            "ab/c.html",
            "b/c/d/e.html",
            "tags/x.html",
            "tags/x/y.html",
            "знание/café #1.html",
            "_spore/spore.css",
        ];
        for from in paths {
            for to in paths {
                assert_eq!(
                    relative_url(from, to),
                    encode_path(&relative_path(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn relative_urls() {
        assert_eq!(relative_url("a/b/p.html", "a/c/x.html"), "../c/x.html");
        assert_eq!(relative_url("p.html", "a/x y.html"), "a/x%20y.html");
        assert_eq!(relative_url("a/p.html", "q.html"), "../q.html");
        assert_eq!(relative_url("a/p.html", "a/p.html"), "p.html");
        assert_eq!(relative_url("p.html", "з.html"), "%D0%B7.html");
        assert_eq!(root_prefix("a/b/c.html"), "../../");
    }
}
