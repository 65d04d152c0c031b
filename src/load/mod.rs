//! Stage 1, `load`: walk the vault, read every note, split and parse
//! frontmatter, normalise names and text. Attachments are only looked at
//! (where and what they are), never read here: see [`attachment`], the one
//! way any later stage reads one.

pub mod attachment;
mod comments;
pub mod date;
pub mod frontmatter;
mod read;
pub mod secret_keys;
mod walk;

pub use attachment::Attachment;
pub use comments::strip_comments;
pub use frontmatter::Frontmatter;
pub use read::{open_vault_file, read_vault_file, ReadError, VaultFile};

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// One Markdown note, as read from the vault.
#[derive(Debug, Clone)]
pub struct Note {
    /// Vault-relative path, `/`-separated, NFC (e.g. `folder/My Note.md`).
    pub path: String,
    pub frontmatter: Frontmatter,
    /// Body text: BOM stripped, LF line ends, `%%comments%%` removed.
    pub body: String,
    /// 1-based line of the file where `body` starts.
    pub body_line: usize,
    /// The comments cut from `body`, to name places as in the file.
    pub comment_gaps: Vec<comments::Gap>,
    /// SHA-256 (hex) of the file's bytes exactly as on disk.
    pub source_sha256: String,
    /// Modification time, seconds since the Unix epoch, if known.
    pub modified: Option<i64>,
    /// The file's vault-relative path as spelled on disk, where it is not
    /// `path` (NFD, or not UTF-8): what reading it again opens.
    pub disk: Option<PathBuf>,
    /// The kind of secret key the file holds, if it is one (a `.md` named
    /// key file is never published): found when the note is read, so the
    /// body may go before the index looks.
    pub secret_key: Option<&'static str>,
}

impl Note {
    /// 1-based line and column (in characters) in the file as written of
    /// byte `offset` of `body`: frontmatter lines and cut comments counted.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let (line, column) = comments::position(&self.body, &self.comment_gaps, offset);
        (self.body_line + line - 1, column)
    }

    /// File name without `.md` (what `[[wikilinks]]` name).
    pub fn stem(&self) -> &str {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        strip_md(name)
    }

    /// Vault-relative folder, `""` at the root.
    pub fn folder(&self) -> &str {
        self.path.rsplit_once('/').map(|(f, _)| f).unwrap_or("")
    }

    /// The title shown for this note: frontmatter `title`, else the file name.
    pub fn title(&self) -> &str {
        self.frontmatter
            .title
            .as_deref()
            .unwrap_or_else(|| self.stem())
    }
}

/// Everything read from the vault, sorted by path.
#[derive(Debug, Default, Clone)]
pub struct Vault {
    pub notes: Vec<Note>,
    pub attachments: Vec<Attachment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What to skip while walking.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folders never read (the output folder when it sits inside the vault).
    pub exclude: Vec<PathBuf>,
}

pub fn strip_md(name: &str) -> &str {
    // `get` rather than slicing: the last three bytes may split a character.
    match name
        .len()
        .checked_sub(3)
        .and_then(|cut| name.get(cut..).map(|ext| (cut, ext)))
    {
        Some((cut, ext)) if cut > 0 && ext.eq_ignore_ascii_case(".md") => &name[..cut],
        _ => name,
    }
}

pub fn is_note_path(path: &str) -> bool {
    strip_md(path).len() != path.len()
}

/// Reads the whole vault. Never fails on a bad file: it becomes a diagnostic.
pub fn load(vault: &Path, options: &LoadOptions) -> Vault {
    load_with(vault, options, |_| None).vault
}

/// A file `load_with` takes from memory instead of reading it again.
pub enum Kept {
    Note(Note),
    Attachment(Attachment),
}

/// What [`load_with`] found: the vault, every file the walk found, and the
/// names of the files it read from disk (the rest were kept).
pub struct Loaded {
    pub vault: Vault,
    pub files: Vec<WalkedFile>,
    pub read: Vec<String>,
}

/// The one load, for `spore build` and `spore serve` alike: walks the
/// vault and reads every file, except those `keep` hands back from memory
/// (`serve` keeps files that did not change since it read them). A kept
/// file's read warnings are the caller's to keep; the walk's are new.
pub fn load_with(
    vault: &Path,
    options: &LoadOptions,
    keep: impl FnMut(&WalkedFile) -> Option<Kept>,
) -> Loaded {
    load_each(vault, options, keep, |_| {})
}

/// [`load_with`], handing each note it reads to `each` on the thread that
/// read it, while its text is fresh: the build scans a note and lets its
/// body go there, so the vault's text is never all in memory at once. A
/// note whose path another file shares (two spellings of one name) is not
/// handed over: the index keeps one of them whole, with a warning.
pub fn load_each(
    vault: &Path,
    options: &LoadOptions,
    mut keep: impl FnMut(&WalkedFile) -> Option<Kept>,
    each: impl Fn(&mut Note) + Sync,
) -> Loaded {
    let walked = walk::walk(vault, options);
    let shared_paths = shared_paths(&walked.files);
    let mut diagnostics = walked.diagnostics;
    let mut notes = Vec::new();
    let mut attachments = Vec::new();
    let mut unread = Vec::new();
    for file in &walked.files {
        match keep(file) {
            Some(Kept::Note(note)) => notes.push(note),
            Some(Kept::Attachment(a)) => attachments.push(a),
            None => unread.push(file),
        }
    }
    let read: Vec<(Option<Note>, Option<Attachment>, Vec<Diagnostic>)> = unread
        .par_iter()
        .map(|file| {
            let mut read = read_walked(vault, file);
            if let Some(note) = &mut read.0 {
                if !shared_paths.contains(note.path.as_str()) {
                    each(note);
                }
            }
            read
        })
        .collect();
    drop(shared_paths);
    for (note, attachment, diags) in read {
        notes.extend(note);
        attachments.extend(attachment);
        diagnostics.extend(diags);
    }
    notes.sort_by(|a, b| a.path.cmp(&b.path));
    attachments.sort_by(|a, b| a.path.cmp(&b.path));
    crate::diagnostics::sort(&mut diagnostics);
    let read = unread.iter().map(|f| f.rel.clone()).collect();
    Loaded {
        vault: Vault {
            notes,
            attachments,
            diagnostics,
        },
        files: walked.files,
        read,
    }
}

pub use walk::WalkedFile;

/// The vault paths more than one walked file has (after NFC).
fn shared_paths(files: &[WalkedFile]) -> std::collections::HashSet<&str> {
    let mut seen = std::collections::HashSet::with_capacity(files.len());
    files
        .iter()
        .map(|f| f.rel.as_str())
        .filter(|rel| !seen.insert(*rel))
        .collect()
}

/// Reads one walked file of `vault` exactly as [`load`] does: a note, or an
/// attachment (looked at, not read).
pub fn read_file(
    vault: &Path,
    file: &WalkedFile,
) -> (Option<Note>, Option<Attachment>, Vec<Diagnostic>) {
    read_walked(vault, file)
}

fn read_walked(
    vault: &Path,
    file: &walk::WalkedFile,
) -> (Option<Note>, Option<Attachment>, Vec<Diagnostic>) {
    if !is_note_path(&file.rel) {
        // Most attachments are never published (no published note uses
        // them), and those that are can be larger than memory: look, don't
        // read. Reading them later goes through the one reader too.
        return match attachment::identify(vault, file) {
            Ok(a) => (None, Some(a), Vec::new()),
            Err(e) => {
                let d = Diagnostic::warning(
                    DiagnosticKind::UnreadableFile,
                    &file.rel,
                    format!("cannot read file: {e}"),
                );
                (None, None, vec![d])
            }
        };
    }
    // Through the one reader, which applies the walk's rules again: the
    // file may have been swapped for a link or a FIFO since the walk.
    let read = open_vault_file(vault, &file.disk).and_then(|opened| {
        let modified = opened.modified();
        opened.read_to_end(u64::MAX).map(|bytes| (bytes, modified))
    });
    let (bytes, modified) = match read {
        Ok(read) => read,
        Err(e) => return (None, None, vec![e.diagnostic(&file.rel)]),
    };
    let (mut note, diags) = parse_note(&file.rel, &bytes, modified);
    if file.disk.as_path() != Path::new(&file.rel) {
        note.disk = Some(file.disk.clone());
    }
    (Some(note), None, diags)
}

/// Turns a note file's bytes into a [`Note`]; pure, so tests and `serve` can
/// call it on bytes they already hold.
pub fn parse_note(path: &str, bytes: &[u8], modified: Option<i64>) -> (Note, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let source_sha256 = hex::encode(Sha256::digest(bytes));
    let text = decoded(path, bytes, &mut diags);
    let split = frontmatter::split(&text);
    let (mut frontmatter, frontmatter_diags) = frontmatter::read(path, &split);
    diags.extend(frontmatter_diags);
    diags.extend(date::check(&mut frontmatter, split.yaml, path));
    let (body, comment_gaps) =
        comments::strip_private(path, split.body, split.body_line, &mut diags);
    let secret_key = secret_keys::note_key_kind(&body);
    let note = Note {
        path: path.to_string(),
        frontmatter,
        body,
        body_line: split.body_line,
        comment_gaps,
        source_sha256,
        modified,
        disk: None,
        secret_key,
    };
    (note, diags)
}

/// The body of a note file's bytes exactly as [`parse_note`] makes it,
/// without reading the frontmatter: for a note read again to be rendered.
pub fn note_body(path: &str, bytes: &[u8]) -> String {
    let mut ignored = Vec::new();
    let text = decoded(path, bytes, &mut ignored);
    let split = frontmatter::split(&text);
    comments::strip_private(path, split.body, split.body_line, &mut ignored).0
}

/// A note file's text: BOM stripped, invalid UTF-8 replaced (with a
/// warning), line ends made LF.
fn decoded<'b>(path: &str, bytes: &'b [u8], diags: &mut Vec<Diagnostic>) -> Cow<'b, str> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(without_bom) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) => {
            diags.push(Diagnostic::warning(
                DiagnosticKind::InvalidUtf8,
                path,
                format!(
                    "not valid UTF-8 (first bad byte at offset {}); invalid bytes shown as \u{FFFD}",
                    e.valid_up_to()
                ),
            ));
            String::from_utf8_lossy(without_bom)
        }
    };
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_and_invalid_utf8() {
        let (n, d) = parse_note(
            "a.md",
            b"\xEF\xBB\xBF---\r\ntitle: T\r\n---\r\nhi\r\n",
            None,
        );
        assert_eq!(n.title(), "T");
        assert_eq!(n.body, "hi\n");
        assert!(d.is_empty());
        let (n, d) = parse_note("b.md", b"ok \xFF bytes", None);
        assert_eq!(d[0].kind, DiagnosticKind::InvalidUtf8);
        assert!(n.body.contains('\u{FFFD}'));
    }

    #[test]
    fn malformed_yaml_keeps_body_and_warns_with_line() {
        let (n, d) = parse_note("c.md", b"---\ntitle: [x\n---\nbody text\n", None);
        assert_eq!(n.body, "body text\n");
        assert_eq!(n.title(), "c");
        assert_eq!(d[0].kind, DiagnosticKind::Frontmatter);
        assert!(d[0].line.is_some());
    }

    #[test]
    fn strip_md_never_splits_a_character() {
        assert_eq!(strip_md("知识"), "知识");
        assert_eq!(strip_md("знание.md"), "знание");
        assert_eq!(strip_md(".md"), ".md");
    }

    #[test]
    fn stem_and_folder() {
        let (n, _) = parse_note("a/b/Note.MD", b"", None);
        assert_eq!(n.stem(), "Note");
        assert_eq!(n.folder(), "a/b");
    }
}
