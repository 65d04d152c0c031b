//! Random sequences of the edits a writer makes while `spore serve` runs
//! (saves, renames, case-only renames, deletions, new notes, drafts,
//! aliases, attachments, folder renames and deletions, templates,
//! `book.toml` changes). Each step yields the paths of the file events it
//! causes, as notify-debouncer-full reports them (a rename's old and new
//! path; a folder renamed or deleted by its own path(s), not its contents;
//! within a batch, optionally without the paths merged renames leave out);
//! serve's own [`WatchPlan`] turns them into [`Changes`] (dot-paths
//! dropped, `book.toml` as `config`, templates as `theme`). After every
//! rebuild the served site must equal a fresh `build_site` of the same
//! project byte for byte, with the same warnings, and the rebuild summary
//! must say the site changed when it did. While a build fails, the
//! rebuild must fail too and keep the last good site.
//!
//! Cases: 500 by default, split over two tests that run side by side
//! (about 35 s of CPU in a debug build: 20-35 s on two busy cores).
//! `PROPTEST_CASES=N` runs more or fewer, `SERVE_EDITS_BATCHES=N` makes
//! sequences of up to N rebuilds (5 by default). The seed is fixed so CI
//! runs the same cases each time; `PROPTEST_RNG_SEED=N` explores others.

use crate::support;
use crate::support::sites::assert_sites_equal;

use proptest::prelude::*;
use spore::config::Config;
use spore::diagnostics::Diagnostic;
use spore::pipeline::{build_site, BuildOptions};
use spore::serve::incremental::{Changes, LiveSite};
use spore::serve::watch::WatchPlan;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What the test knows of one note: its frontmatter fields and body.
#[derive(Debug, Clone, Default)]
struct NoteText {
    title: Option<String>,
    aliases: Vec<String>,
    tags: Vec<String>,
    draft: bool,
    unpublished: bool,
    permalink: Option<String>,
    date: Option<u8>,
    body: String,
    /// Written as is instead (until the next edit).
    raw: Option<&'static [u8]>,
}

impl NoteText {
    fn body(body: &str) -> NoteText {
        NoteText {
            body: body.to_string(),
            ..NoteText::default()
        }
    }

    fn render(&self) -> Vec<u8> {
        if let Some(raw) = self.raw {
            return raw.to_vec();
        }
        let mut front = String::new();
        if let Some(t) = &self.title {
            front.push_str(&format!("title: {t}\n"));
        }
        if !self.aliases.is_empty() {
            front.push_str(&format!("aliases: [{}]\n", self.aliases.join(", ")));
        }
        if !self.tags.is_empty() {
            front.push_str(&format!("tags: [{}]\n", self.tags.join(", ")));
        }
        if self.draft {
            front.push_str("draft: true\n");
        }
        if self.unpublished {
            front.push_str("publish: false\n");
        }
        if let Some(p) = &self.permalink {
            front.push_str(&format!("permalink: {p}\n"));
        }
        if let Some(d) = self.date {
            front.push_str(&format!("date: 2024-02-{:02}\n", d + 1));
        }
        if front.is_empty() {
            self.body.clone().into_bytes()
        } else {
            format!("---\n{front}---\n{}", self.body).into_bytes()
        }
    }
}

/// The starting vault: three levels of folders, folder notes, a draft, an
/// unpublished note, aliases, nested tags, headings, block ids, every form
/// of link and embed, and attachments.
fn initial_notes() -> Vec<(&'static str, NoteText)> {
    vec![
        (
            "index.md",
            NoteText::body(
                "# Home\n\nStart at [[Oak]], [[Garden/Trees/Oak|the oak]] and [[Fern#Fronds]]. #start\n",
            ),
        ),
        (
            "Garden/Garden.md",
            NoteText::body("# Garden\n\nThe garden holds [[Moss]] and [[Trees/Birch]].\n"),
        ),
        (
            "Garden/Moss.md",
            NoteText {
                aliases: vec!["Bryo".into()],
                tags: vec!["plants".into(), "plants/bryophyte".into()],
                ..NoteText::body(
                    "# Moss\n\nSoft and green. ^moss-b\n\n## Habitat\n\nShade, see [[Fern]].\n",
                )
            },
        ),
        (
            "Garden/Fern.md",
            NoteText {
                title: Some("Fern Title".into()),
                ..NoteText::body(
                    "# Fern\n\n## Fronds\n\nFronds unroll. #plants/fern\n\n![[Moss#Habitat]]\n",
                )
            },
        ),
        (
            "Garden/Trees/Oak.md",
            NoteText {
                aliases: vec!["Quercus".into()],
                tags: vec!["trees".into()],
                ..NoteText::body("# Oak\n\n![[pic.png]]\n\nRoots run deep. ^oak-root\n")
            },
        ),
        (
            "Garden/Trees/Birch.md",
            NoteText::body(
                "# Birch\n\nLike [[Oak#^oak-root]], and more:\n\n![[Oak]]\n\n![[bark.png]]\n",
            ),
        ),
        (
            "Garden/Trees/Deep/Root.md",
            NoteText::body("# Root\n\nUnder [[Birch]], near [[Moss#^moss-b]]. #trees/roots\n"),
        ),
        (
            "Lab/index.md",
            NoteText::body("# Lab\n\nThe lab's notes: [[Notes/Log]].\n"),
        ),
        (
            "Lab/Protocol.md",
            NoteText {
                draft: true,
                ..NoteText::body("# Protocol\n\nA draft about [[Moss]] and [[Quercus]].\n")
            },
        ),
        (
            "Lab/Secret.md",
            NoteText {
                unpublished: true,
                ..NoteText::body("# Secret\n\nNot for the site. [[Oak]]\n")
            },
        ),
        (
            "Lab/Notes/Log.md",
            NoteText {
                tags: vec!["lab/log".into()],
                ..NoteText::body(
                    "# Log\n\nSaw [[Quercus]] and [[Bryo|the moss]]. ![[img/chart.png]]\n\n![[Fern#Fronds]]\n\nMissing: [[Nowhere]] #lab/log/day\n",
                )
            },
        ),
    ]
}

const ATTACHMENTS: [(&str, [u8; 3]); 3] = [
    ("pic.png", [1, 2, 3]),
    ("img/chart.png", [4, 5, 6]),
    ("Garden/Trees/bark.png", [7, 8, 9]),
];

/// Pieces a body edit is made of: every form of link and embed, to notes
/// that exist, were renamed, or never existed; headings and block ids
/// others point at; inline and nested tags.
const FRAGMENTS: [&str; 43] = [
    "text",
    "more words",
    "[[Oak]]",
    "[[oak]]",
    "[[Moss|soft label]]",
    "[[Fern#Fronds]]",
    "[[Moss#Habitat]]",
    "[[Moss#^moss-b]]",
    "[[Oak#^oak-root]]",
    "[[Garden/Trees/Oak]]",
    "[[Trees/Birch]]",
    "[[Quercus]]",
    "[[Bryo]]",
    "[[Fern Title]]",
    "[[Renamed]]",
    "[[New Note]]",
    "[[Nowhere]]",
    "[[Protocol]]",
    "[[Secret]]",
    "[[Garden]]",
    "\n\n![[Moss]]\n\n",
    "\n\n![[Fern#Fronds]]\n\n",
    "\n\n![[Oak#^oak-root]]\n\n",
    "![[pic.png]]",
    "![[img/chart.png]]",
    "![[bark.png]]",
    "![[new.png]]",
    "![[Pic.png]]",
    "\n\n## Fronds\n\n",
    "\n\n## Habitat\n\n",
    "\n\n## Other heading\n\n",
    "^moss-b",
    "^oak-root",
    "#plants",
    "#plants/fern",
    "#trees/roots/deep",
    "#Plants",
    "#lab/log",
    "\n\n[[Renamed#Fronds]]\n\n",
    "[[Root]]",
    "[[Café]]",
    "![[my pic.png]]",
    "[[Box]]",
];

/// Names notes are created or renamed with: new ones, an alias of another
/// note, another note's title, a name other notes already have, a folder
/// note's name and `index`.
const NAMES: [&str; 11] = [
    "Renamed",
    "New Note",
    "Bryo",
    "Quercus",
    "Fern Title",
    "Oak",
    "Moss",
    "Garden",
    "index",
    "Nowhere",
    // "Café" spelled decomposed, as macOS writes it.
    "Cafe\u{301}",
];
const ALIASES: [&str; 6] = ["Quercus", "Bryo", "Renamed", "Oak", "Nowhere", "Fern Title"];
const TITLES: [&str; 4] = ["Fern Title", "Moss", "A New Title", "Oak"];
const TAGS: [&str; 5] = ["plants", "plants/fern", "trees", "lab/log", "Trees/Tall"];
const RAW: [&[u8]; 6] = [
    b"",
    b"---\ntitle: [unclosed\n---\nBroken [[Oak]]\n",
    b"---\n---\n",
    "\u{feff}# With a byte order mark [[Moss]]\n".as_bytes(),
    b"---\ntags: 3\naliases: {a: b}\ndraft: maybe\n---\nOdd types.\n",
    b"# Not UTF-8 \xff\xfe [[Oak]]\n",
];
const TEMPLATES: [&str; 3] = [
    "{% extends \"base.html\" %}{% block content %}<article class=\"custom\">{{ page.content | safe }}</article>{% endblock content %}",
    "{% extends \"base.html\" %}{% block content %}<main>{{ page.title }}</main>{% endblock content %}",
    "{% block content %}{{ unclosed",
];
const PERMALINKS: [&str; 3] = ["/p/one/", "/p/two.html", "/Garden/Moss.html"];
/// `Box.md` is a folder whose name looks like a note's.
const FOLDER_NAMES: [&str; 5] = ["Grove", "Archive", "Trees", "Notes", "Box.md"];
const ATTACHMENT_NAMES: [&str; 6] = [
    "pic.png",
    "new.png",
    "bark.png",
    "chart.png",
    "Pic.png",
    "my pic.png",
];

/// One step: what a writer does between two rebuilds. Indices pick among
/// what exists at that moment (modulo the count), so every sequence is
/// valid whatever came before it and shrinks well.
#[derive(Debug, Clone)]
enum Step {
    /// Rewrites (or appends to) a note's body from fragments.
    Body {
        note: usize,
        fragments: Vec<usize>,
        append: bool,
    },
    Title(usize, Option<usize>),
    Aliases(usize, Vec<usize>),
    Tags(usize, Vec<usize>),
    ToggleDraft(usize),
    ToggleUnpublished(usize),
    /// Moves a note to a folder (`None`: its own) under a name (`None`:
    /// its own), as `mv` or an editor does.
    Rename {
        note: usize,
        folder: Option<usize>,
        name: Option<usize>,
    },
    /// `Note.md` → `note.md` (or back to a capital).
    CaseRename(usize),
    Delete(usize),
    /// A new note in a folder (`None`: a new folder `Fresh/`).
    Create {
        folder: Option<usize>,
        name: usize,
        fragments: Vec<usize>,
    },
    /// A new attachment (or new bytes for one that exists), and optionally
    /// a note that starts embedding it, saved together.
    PutAttachment {
        folder: usize,
        name: usize,
        colour: u8,
        embed_in: Option<usize>,
    },
    DeleteAttachment(usize),
    /// Moves an attachment to a folder (`None`: its own) under a name
    /// (`None`: the same name in the other case).
    RenameAttachment {
        attachment: usize,
        folder: Option<usize>,
        name: Option<usize>,
    },
    /// Swaps two attachments' names through a temporary name, as a sync
    /// client may: each path now holds the other file.
    SwapAttachments(usize, usize),
    /// New bytes of the same length with the old modification time put
    /// back (`cp -p`, `rsync -t`).
    ReplaceKeepingTime(usize, u8),
    /// Renames a folder (in its parent); `None`: a case-only rename.
    RenameFolder(usize, Option<usize>),
    /// Moves a folder into another one.
    MoveFolder(usize, usize),
    /// `rm -r` of a folder: the debouncer reports the folder only.
    DeleteFolder(usize),
    /// Renames a note or folder to a dot-name (`.Oak.md`): the watcher
    /// ignores dot-paths, so only the old path is reported.
    Hide(usize),
    /// Renames a dot-named note or folder back: only the new path is
    /// reported.
    Unhide(usize),
    /// `Note.md` → `Note.txt` (a note becomes an attachment) or back.
    SwapExtension(usize),
    /// Sets a note's or attachment's modification time, bytes unchanged
    /// (`touch`, `git checkout`): the site's version follows the newest.
    Touch(usize, u8),
    /// A save of text that is not a tidy note: empty, broken frontmatter,
    /// a byte order mark, invalid UTF-8.
    Raw(usize, usize),
    /// Writes, changes or removes a `templates/note.html` override.
    Template(Option<usize>),
    /// Sets or clears a note's `permalink` and `date`.
    Permalink(usize, Option<usize>, Option<u8>),
    Config {
        title: usize,
        mirror: Option<usize>,
        drafts: bool,
    },
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let ix = || 0usize..64;
    let fragments = || proptest::collection::vec(0usize..FRAGMENTS.len(), 0..6);
    prop_oneof![
        8 => (ix(), fragments(), any::<bool>())
            .prop_map(|(note, fragments, append)| Step::Body { note, fragments, append }),
        1 => (ix(), proptest::option::of(0..TITLES.len())).prop_map(|(n, t)| Step::Title(n, t)),
        2 => (ix(), proptest::collection::vec(0..ALIASES.len(), 0..3))
            .prop_map(|(n, a)| Step::Aliases(n, a)),
        1 => (ix(), proptest::collection::vec(0..TAGS.len(), 0..3))
            .prop_map(|(n, t)| Step::Tags(n, t)),
        1 => ix().prop_map(Step::ToggleDraft),
        1 => ix().prop_map(Step::ToggleUnpublished),
        2 => (ix(), proptest::option::of(ix()), proptest::option::of(0..NAMES.len()))
            .prop_map(|(note, folder, name)| Step::Rename { note, folder, name }),
        1 => ix().prop_map(Step::CaseRename),
        1 => ix().prop_map(Step::Delete),
        2 => (proptest::option::of(ix()), 0..NAMES.len(), fragments())
            .prop_map(|(folder, name, fragments)| Step::Create { folder, name, fragments }),
        2 => (ix(), 0..ATTACHMENT_NAMES.len(), 0u8..4, proptest::option::of(ix()))
            .prop_map(|(folder, name, colour, embed_in)| Step::PutAttachment {
                folder,
                name,
                colour,
                embed_in
            }),
        1 => ix().prop_map(Step::DeleteAttachment),
        1 => (ix(), proptest::option::of(ix()), proptest::option::of(0..ATTACHMENT_NAMES.len()))
            .prop_map(|(attachment, folder, name)| Step::RenameAttachment { attachment, folder, name }),
        1 => (ix(), ix()).prop_map(|(a, b)| Step::SwapAttachments(a, b)),
        1 => (ix(), 0u8..4).prop_map(|(a, c)| Step::ReplaceKeepingTime(a, c)),
        1 => (ix(), ix()).prop_map(|(f, t)| Step::MoveFolder(f, t)),
        1 => ix().prop_map(Step::DeleteFolder),
        1 => ix().prop_map(Step::Hide),
        1 => ix().prop_map(Step::Unhide),
        1 => ix().prop_map(Step::SwapExtension),
        1 => (ix(), 0u8..4).prop_map(|(n, t)| Step::Touch(n, t)),
        1 => (ix(), 0..RAW.len()).prop_map(|(n, r)| Step::Raw(n, r)),
        1 => proptest::option::of(0..TEMPLATES.len()).prop_map(Step::Template),
        1 => (ix(), proptest::option::of(0..PERMALINKS.len()), proptest::option::of(0u8..3))
            .prop_map(|(n, p, d)| Step::Permalink(n, p, d)),
        1 => (ix(), proptest::option::of(0..FOLDER_NAMES.len()))
            .prop_map(|(f, n)| Step::RenameFolder(f, n)),
        1 => (0usize..3, proptest::option::of(0usize..3), any::<bool>())
            .prop_map(|(title, mirror, drafts)| Step::Config { title, mirror, drafts }),
    ]
}

/// Marks a path [`World::perform`] gives relative to the project folder.
const PROJECT: &str = "<project>/";

/// Mostly one step per rebuild; sometimes several saved before the
/// debouncer fires.
fn batch_strategy() -> impl Strategy<Value = Vec<Step>> {
    prop_oneof![
        4 => proptest::collection::vec(step_strategy(), 1..=1),
        1 => proptest::collection::vec(step_strategy(), 2..4),
    ]
}

/// Rebuilds per case: `SERVE_EDITS_BATCHES=N` makes longer sequences.
fn max_batches() -> usize {
    std::env::var("SERVE_EDITS_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, bytes).unwrap();
}

/// `in_vault`: the project folder is the vault (`src = "."`).
fn book_toml(title: usize, mirror: Option<usize>, drafts: bool, in_vault: bool) -> String {
    let titles = ["Edits", "Edited Book", "Ünïcode Book"];
    let src = if in_vault { "." } else { "vault" };
    let mut text = format!(
        "[book]\ntitle = \"{}\"\nsrc = \"{src}\"\n[build]\noutput = \"site\"\ndrafts = {drafts}\n",
        titles[title % titles.len()]
    );
    if let Some(m) = mirror {
        // The last one is refused: the build fails until it is fixed.
        let urls = [
            "https://example.org/wiki/",
            "https://mirror.example.net/x",
            "ftp://example.org/",
        ];
        text.push_str(&format!(
            "[mirrors]\nurls = [\"{}\"]\n",
            urls[m % urls.len()]
        ));
    }
    text
}

/// The project on disk, the test's view of its notes, and the live site.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    vault: PathBuf,
    /// Vault-relative path → text, for every note on disk (also those
    /// renamed to a dot-name or to `.txt`).
    texts: BTreeMap<String, NoteText>,
    live: LiveSite,
    options: BuildOptions,
    /// The last good configuration: what the watcher's plan comes from.
    config: Config,
}

/// Every vault-relative path under `vault` (files and folders), sorted.
fn walk(vault: &Path) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(vault)
        .min_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(vault)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // A bare vault is also the project folder: its book.toml and
        // templates are no notes or attachments to edit.
        if rel == "book.toml" || rel == "templates" || rel.starts_with("templates/") {
            continue;
        }
        if entry.file_type().is_dir() {
            dirs.push(rel);
        } else {
            files.push(rel);
        }
    }
    (files, dirs)
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// Whether `rel` would clash with an existing path on a case-insensitive
/// file system (two names differing only in case cannot both exist on
/// macOS or Windows, so the test never makes them).
fn taken(files: &[String], dirs: &[String], rel: &str) -> bool {
    let low = rel.to_lowercase();
    files.iter().chain(dirs).any(|f| f.to_lowercase() == low)
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// Whether the watcher and the build skip `rel`: a dot-name in its path.
fn hidden(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with('.'))
}

/// `Oak.md` → `oak.md`, `oak.md` → `Oak.md`.
fn other_case(name: &str) -> String {
    let lower = name.to_lowercase();
    if lower != name {
        return lower;
    }
    let mut c = name.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn pick<T>(list: &[T], i: usize) -> Option<&T> {
    if list.is_empty() {
        None
    } else {
        Some(&list[i % list.len()])
    }
}

impl World {
    /// `drafts`: as `spore serve --drafts` (the flag, on top of book.toml).
    fn new(drafts: bool, zero_config: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let vault = if zero_config {
            root.clone()
        } else {
            write(&root.join("book.toml"), book_toml(0, None, false, false));
            root.join("vault")
        };
        let mut texts = BTreeMap::new();
        for (rel, text) in initial_notes() {
            write(&vault.join(rel), text.render());
            texts.insert(rel.to_string(), text);
        }
        for (rel, rgb) in ATTACHMENTS {
            write(&vault.join(rel), support::gen_vault::png_bytes(rgb));
        }
        let config = Config::discover(&root).unwrap();
        let options = BuildOptions {
            include_drafts: drafts,
            ..BuildOptions::default()
        };
        let live = LiveSite::build(config.clone(), options.clone()).unwrap();
        World {
            config,
            _dir: dir,
            root,
            vault,
            texts,
            live,
            options,
        }
    }

    /// The notes the site is made of: `.md` files outside dot-folders.
    fn note_names(&self) -> Vec<String> {
        self.texts
            .keys()
            .filter(|k| k.ends_with(".md") && !hidden(k))
            .cloned()
            .collect()
    }

    fn save(&mut self, rel: &str, text: NoteText) {
        write(&self.vault.join(rel), text.render());
        self.texts.insert(rel.to_string(), text);
    }

    /// Changes a note's text; the note's path is what the watcher reports.
    fn edit_note(&mut self, i: usize, edit: impl FnOnce(&mut NoteText)) -> Vec<String> {
        let Some(rel) = pick(&self.note_names(), i).cloned() else {
            return Vec::new();
        };
        let mut text = self.texts[&rel].clone();
        text.raw = None;
        edit(&mut text);
        self.save(&rel, text);
        vec![rel]
    }

    /// Renames a file or folder on disk, and the texts the test keeps.
    fn move_path(&mut self, from: &str, to: &str) {
        fs::rename(self.vault.join(from), self.vault.join(to)).unwrap();
        let prefix = format!("{from}/");
        let moved: Vec<String> = self
            .texts
            .keys()
            .filter(|k| *k == from || k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in moved {
            let text = self.texts.remove(&k).unwrap();
            self.texts.insert(format!("{to}{}", &k[from.len()..]), text);
        }
    }

    /// Does one step on disk; returns the paths of the file events it
    /// causes, vault-relative (`book.toml` and templates: project-relative,
    /// marked by [`PROJECT`]).
    fn perform(&mut self, step: &Step) -> Vec<String> {
        let (files, dirs) = walk(&self.vault);
        let notes = self.note_names();
        let visible = |list: &[String]| -> Vec<String> {
            list.iter().filter(|f| !hidden(f)).cloned().collect()
        };
        let attachments: Vec<String> = visible(&files)
            .into_iter()
            .filter(|f| !f.ends_with(".md"))
            .collect();
        let shown_dirs = visible(&dirs);
        let mut folders = vec![String::new()];
        folders.extend(shown_dirs.iter().cloned());
        let touched = match step {
            Step::Body {
                note,
                fragments,
                append,
            } => self.edit_note(*note, |t| {
                let words: Vec<&str> = fragments.iter().map(|&f| FRAGMENTS[f]).collect();
                if *append {
                    t.body.push_str(&format!("\n{}\n", words.join(" ")));
                } else {
                    t.body = format!("# Edited\n\n{}\n", words.join(" "));
                }
            }),
            Step::Title(n, title) => self.edit_note(*n, |t| {
                t.title = title.map(|i| TITLES[i].to_string());
            }),
            Step::Aliases(n, aliases) => self.edit_note(*n, |t| {
                t.aliases = aliases.iter().map(|&a| ALIASES[a].to_string()).collect();
            }),
            Step::Tags(n, tags) => self.edit_note(*n, |t| {
                t.tags = tags.iter().map(|&a| TAGS[a].to_string()).collect();
            }),
            Step::ToggleDraft(n) => self.edit_note(*n, |t| t.draft = !t.draft),
            Step::ToggleUnpublished(n) => self.edit_note(*n, |t| t.unpublished = !t.unpublished),
            Step::Permalink(n, permalink, date) => self.edit_note(*n, |t| {
                t.permalink = permalink.map(|p| PERMALINKS[p].to_string());
                t.date = *date;
            }),
            Step::Rename { note, folder, name } => {
                let Some(from) = pick(&notes, *note).cloned() else {
                    return Vec::new();
                };
                let folder = folder
                    .and_then(|f| pick(&folders, f).cloned())
                    .unwrap_or_else(|| parent(&from).to_string());
                let stem = file_name(&from).trim_end_matches(".md");
                let name = name.map_or(stem, |n| NAMES[n]);
                let to = join(&folder, &format!("{name}.md"));
                if to == from || taken(&files, &dirs, &to) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::CaseRename(n) => {
                let Some(from) = pick(&notes, *n).cloned() else {
                    return Vec::new();
                };
                let to = join(parent(&from), &other_case(file_name(&from)));
                if to == from {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::Delete(n) => {
                let Some(rel) = pick(&notes, *n).cloned() else {
                    return Vec::new();
                };
                fs::remove_file(self.vault.join(&rel)).unwrap();
                self.texts.remove(&rel);
                vec![rel]
            }
            Step::Create {
                folder,
                name,
                fragments,
            } => {
                let folder = folder
                    .and_then(|f| pick(&folders, f).cloned())
                    .unwrap_or_else(|| "Fresh".to_string());
                let rel = join(&folder, &format!("{}.md", NAMES[*name]));
                // `fresh/` may exist: `Fresh/` must not be made beside it.
                if taken(&files, &dirs, &rel)
                    || (folder == "Fresh"
                        && taken(&files, &dirs, "Fresh")
                        && !dirs.contains(&folder))
                {
                    return Vec::new();
                }
                let words: Vec<&str> = fragments.iter().map(|&f| FRAGMENTS[f]).collect();
                let mut touched = Vec::new();
                if !self.vault.join(&folder).exists() {
                    touched.push(folder.clone());
                }
                self.save(
                    &rel,
                    NoteText::body(&format!("# {}\n\n{}\n", NAMES[*name], words.join(" "))),
                );
                touched.push(rel);
                touched
            }
            Step::PutAttachment {
                folder,
                name,
                colour,
                embed_in,
            } => {
                let folder = pick(&folders, *folder).unwrap().clone();
                let rel = join(&folder, ATTACHMENT_NAMES[*name]);
                // A replaced attachment keeps its name's case; a new one
                // must not clash with another name in case only.
                let exists = files.contains(&rel);
                if !exists && taken(&files, &dirs, &rel) {
                    return Vec::new();
                }
                let rgb = [*colour, colour.wrapping_mul(3), 200];
                write(&self.vault.join(&rel), support::gen_vault::png_bytes(rgb));
                let mut touched = vec![rel];
                if let Some(n) = embed_in {
                    let embed = format!("\n![[{}]]\n", ATTACHMENT_NAMES[*name]);
                    touched.extend(self.edit_note(*n, |t| t.body.push_str(&embed)));
                }
                touched
            }
            Step::DeleteAttachment(i) => {
                let Some(rel) = pick(&attachments, *i).cloned() else {
                    return Vec::new();
                };
                fs::remove_file(self.vault.join(&rel)).unwrap();
                self.texts.remove(&rel);
                vec![rel]
            }
            Step::RenameAttachment {
                attachment,
                folder,
                name,
            } => {
                let Some(from) = pick(&attachments, *attachment).cloned() else {
                    return Vec::new();
                };
                let folder = folder
                    .and_then(|f| pick(&folders, f).cloned())
                    .unwrap_or_else(|| parent(&from).to_string());
                let name = match name {
                    Some(n) => ATTACHMENT_NAMES[*n].to_string(),
                    None => other_case(file_name(&from)),
                };
                let to = join(&folder, &name);
                let case_only = to.to_lowercase() == from.to_lowercase();
                if to == from || (!case_only && taken(&files, &dirs, &to)) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::SwapAttachments(a, b) => {
                let (Some(a), Some(b)) = (
                    pick(&attachments, *a).cloned(),
                    pick(&attachments, *b).cloned(),
                ) else {
                    return Vec::new();
                };
                let tmp = "swap.tmp";
                if a == b || taken(&files, &dirs, tmp) {
                    return Vec::new();
                }
                self.move_path(&a, tmp);
                self.move_path(&b, &a);
                self.move_path(tmp, &b);
                vec![a, b, tmp.to_string()]
            }
            Step::ReplaceKeepingTime(i, colour) => {
                let Some(rel) = pick(&attachments, *i).cloned() else {
                    return Vec::new();
                };
                let path = self.vault.join(&rel);
                let before = fs::metadata(&path).unwrap();
                let bytes = if rel.ends_with(".png") {
                    support::gen_vault::png_bytes([*colour, 77, colour.wrapping_add(1)])
                } else {
                    fs::read(&path).unwrap().iter().map(|b| b ^ 1).collect()
                };
                if bytes.len() as u64 != before.len() {
                    return Vec::new();
                }
                fs::write(&path, bytes).unwrap();
                fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(before.modified().unwrap())
                    .unwrap();
                vec![rel]
            }
            Step::RenameFolder(i, name) => {
                let Some(from) = pick(&shown_dirs, *i).cloned() else {
                    return Vec::new();
                };
                let old = file_name(&from);
                let new = match name {
                    Some(n) => FOLDER_NAMES[*n].to_string(),
                    None => other_case(old),
                };
                let to = join(parent(&from), &new);
                let case_only = new.to_lowercase() == old.to_lowercase();
                if to == from || (!case_only && taken(&files, &dirs, &to)) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                // inotify reports the folder's move only, not its contents.
                vec![from, to]
            }
            Step::MoveFolder(i, into) => {
                let Some(from) = pick(&shown_dirs, *i).cloned() else {
                    return Vec::new();
                };
                let into = pick(&folders, *into).unwrap().clone();
                let to = join(&into, file_name(&from));
                if into == from
                    || into.starts_with(&format!("{from}/"))
                    || taken(&files, &dirs, &to)
                {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::DeleteFolder(i) => {
                let Some(gone) = pick(&shown_dirs, *i).cloned() else {
                    return Vec::new();
                };
                let prefix = format!("{gone}/");
                fs::remove_dir_all(self.vault.join(&gone)).unwrap();

                self.texts.retain(|k, _| !k.starts_with(&prefix));
                // notify-debouncer-full reports one Remove event for a
                // folder deleted with everything in it (inotify).
                vec![gone]
            }
            Step::Hide(i) => {
                let mut candidates = notes.clone();
                candidates.extend(shown_dirs.iter().cloned());
                let Some(from) = pick(&candidates, *i).cloned() else {
                    return Vec::new();
                };
                let to = join(parent(&from), &format!(".{}", file_name(&from)));
                if taken(&files, &dirs, &to) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::Unhide(i) => {
                let candidates: Vec<String> = files
                    .iter()
                    .chain(&dirs)
                    .filter(|f| file_name(f).starts_with('.') && !hidden(parent(f)))
                    .cloned()
                    .collect();
                let Some(from) = pick(&candidates, *i).cloned() else {
                    return Vec::new();
                };
                let to = join(parent(&from), &file_name(&from)[1..]);
                if taken(&files, &dirs, &to) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::SwapExtension(i) => {
                let mut candidates = notes.clone();
                candidates.extend(attachments.iter().filter(|a| a.ends_with(".txt")).cloned());
                let Some(from) = pick(&candidates, *i).cloned() else {
                    return Vec::new();
                };
                let to = match from.strip_suffix(".md") {
                    Some(stem) => format!("{stem}.txt"),
                    None => format!("{}.md", from.trim_end_matches(".txt")),
                };
                if taken(&files, &dirs, &to) {
                    return Vec::new();
                }
                self.move_path(&from, &to);
                vec![from, to]
            }
            Step::Touch(i, when) => {
                let mut candidates = notes.clone();
                candidates.extend(attachments.iter().cloned());
                let Some(rel) = pick(&candidates, *i).cloned() else {
                    return Vec::new();
                };
                let at = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(2_000_000_000 + u64::from(*when) * 86_400);
                fs::File::options()
                    .write(true)
                    .open(self.vault.join(&rel))
                    .unwrap()
                    .set_modified(at)
                    .unwrap();
                vec![rel]
            }
            Step::Raw(n, raw) => {
                let Some(rel) = pick(&notes, *n).cloned() else {
                    return Vec::new();
                };
                let mut text = self.texts[&rel].clone();
                text.raw = Some(RAW[*raw]);
                self.save(&rel, text);
                vec![rel]
            }
            Step::Template(which) => {
                let path = self.root.join("templates/note.html");
                match which {
                    Some(t) => write(&path, TEMPLATES[*t]),
                    None if path.exists() => fs::remove_file(&path).unwrap(),
                    None => return Vec::new(),
                }
                return vec![format!("{PROJECT}templates/note.html")];
            }
            Step::Config {
                title,
                mirror,
                drafts,
            } => {
                write(
                    &self.root.join("book.toml"),
                    book_toml(*title, *mirror, *drafts, self.root == self.vault),
                );
                vec![format!("{PROJECT}book.toml")]
            }
        };
        touched
    }

    /// Absolute paths of a step's file events.
    fn absolute(&self, touched: &[String]) -> Vec<PathBuf> {
        touched
            .iter()
            .map(|p| match p.strip_prefix(PROJECT) {
                Some(rel) => self.root.join(rel),
                None => self.vault.join(p),
            })
            .collect()
    }

    /// Every path in the vault now, absolute (a bare vault's book.toml and
    /// templates too).
    fn existing(&self) -> BTreeSet<PathBuf> {
        walkdir::WalkDir::new(&self.vault)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap().path().to_path_buf())
            .collect()
    }

    /// A fresh build of the project as it is on disk, or why it fails.
    fn fresh_build(&self) -> Result<spore::pipeline::Built, String> {
        let config = Config::discover(&self.root).map_err(|e| e.to_string())?;
        build_site(&config, &self.options).map_err(|e| e.to_string())
    }

    fn assert_same_as_full_build(&self, step: &str) {
        let full = self.fresh_build().unwrap();
        self.assert_same_as(&full, step);
    }

    fn assert_same_as(&self, full: &spore::pipeline::Built, step: &str) {
        assert_sites_equal(self.live.site(), &full.site, step);
        // Every kept note and page still agrees with each fact it read.
        assert!(
            self.live.caches_are_fresh(),
            "{step}: a kept value is stale"
        );
        let mut expected: Vec<Diagnostic> = full.report.diagnostics.clone();
        spore::diagnostics::sort(&mut expected);
        expected.dedup();
        expected.extend(full.report.unresolved.iter().map(|u| u.diagnostic()));
        let live = self.live.warnings();
        assert!(
            live == expected,
            "{step}: warnings differ\nincremental: {:#?}\nfull build: {:#?}",
            live.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            expected.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
    }

    /// Runs batches of steps; each batch's paths reach the live site in one
    /// `apply`, as events the debouncer gathers do. While a build fails (a
    /// broken template or `book.toml`), the rebuild fails too and the last
    /// good site stays; the changes made meanwhile show once it is fixed.
    ///
    /// `merged`: within a batch, the debouncer merges a chain of renames
    /// (`a` → `b` → `c` is reported as `a` → `c`) and moves earlier events
    /// to a rename's new path, so a path that exists neither before nor
    /// after the batch may go unreported; `merged` leaves all of those out.
    ///
    /// `zero_config`: a bare vault folder (no `book.toml` until a step
    /// writes one, templates inside the vault).
    fn run(drafts: bool, merged: bool, zero_config: bool, batches: &[Vec<Step>]) {
        let mut world = World::new(drafts, zero_config);
        for (i, batch) in batches.iter().enumerate() {
            let mut what = format!("batch {i}:");
            let before = world.existing();
            let mut events = Vec::new();
            for step in batch {
                let touched = world.perform(step);
                what.push_str(&format!("\n  {step:?} (touched {touched:?})"));
                events.extend(world.absolute(&touched));
            }
            if merged {
                let after = world.existing();
                events.retain(|p| {
                    !p.starts_with(&world.vault) || before.contains(p) || after.contains(p)
                });
            }
            // What the watcher makes of the events, with the plan of the
            // last good configuration.
            let plan = WatchPlan::new(&world.config);
            let mut changes = Changes::default();
            for path in &events {
                plan.add(&mut changes, path);
            }
            match world.fresh_build() {
                Ok(full) => {
                    if !changes.is_empty() {
                        let served = world.live.site().clone();
                        let summary = match world.live.apply(changes) {
                            Ok(s) => s,
                            Err(e) => panic!("{what}: the build succeeds, the rebuild fails: {e}"),
                        };
                        // `serve` publishes the new site only when the
                        // summary says it changed.
                        let changed = served.files != world.live.site().files;
                        assert!(
                            summary.site_changed || !changed,
                            "{what}: the site changed, the summary says it did not"
                        );
                        assert_eq!(summary.warnings, world.live.warnings(), "{what}");
                    }
                    world.assert_same_as(&full, &what);
                    world.config = Config::discover(&world.root).unwrap();
                }
                Err(why) => {
                    let before = world.live.site().clone();
                    let result = world.live.apply(changes);
                    assert!(
                        result.is_err(),
                        "{what}: the build fails ({why}), the rebuild does not"
                    );
                    assert_sites_equal(world.live.site(), &before, &what);
                }
            }
        }
    }
}

#[test]
fn initial_build_equals_a_fresh_build() {
    let world = World::new(false, false);
    world.assert_same_as_full_build("initial build");
    assert!(world.live.site().files.contains_key("Garden/index.html"));
    assert!(!world.live.site().files.contains_key("Lab/Protocol.html"));
}

/// Half the cases (500 in all by default, `PROPTEST_CASES` to change):
/// two tests of half each run on two cores at once.
fn half_of_cases() -> u32 {
    let all: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    all.div_ceil(2)
}

/// A fixed seed per half, so CI runs the same cases every time.
fn config(half: u64) -> ProptestConfig {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0x5e7e_ed17);
    ProptestConfig {
        cases: half_of_cases(),
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed.wrapping_add(half)),
        ..ProptestConfig::default()
    }
}

/// One case in five runs as `serve --drafts`.
fn drafts_flag() -> impl Strategy<Value = bool> {
    proptest::bool::weighted(0.2)
}

fn sequences() -> impl Strategy<Value = Vec<Vec<Step>>> {
    proptest::collection::vec(batch_strategy(), 1..=max_batches())
}

proptest! {
    #![proptest_config(config(0))]

    /// After every step of a random sequence, the live site is the site a
    /// fresh build makes.
    #[test]
    fn random_edits_keep_serve_identical_to_a_build(
        drafts in drafts_flag(),
        merged in any::<bool>(),
        zero_config in proptest::bool::weighted(0.25),
        batches in sequences(),
    ) {
        World::run(drafts, merged, zero_config, &batches);
    }
}

proptest! {
    #![proptest_config(config(1))]

    /// The other half of the cases, with another seed.
    #[test]
    fn more_random_edits_keep_serve_identical_to_a_build(
        drafts in drafts_flag(),
        merged in any::<bool>(),
        zero_config in proptest::bool::weighted(0.25),
        batches in sequences(),
    ) {
        World::run(drafts, merged, zero_config, &batches);
    }
}
