//! What a file event means for the site. Each changed path is classified
//! (a note, an attachment, a template, a theme file, `book.toml`, or
//! nothing to do with the site) before deciding how much to rebuild.

use super::incremental::Changes;
use crate::config::{Config, CONFIG_FILE};
use crate::load::attachment::FileIdentity;
use crate::load::is_note_path;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Note,
    Attachment,
    Template,
    Theme,
    Config,
    /// Editor swap and backup files, dot-files, the output folder, and
    /// anything outside the vault, templates and theme.
    Ignored,
}

/// The folders and files `serve` watches, from the config.
#[derive(Debug, Clone)]
pub struct WatchPlan {
    pub root: PathBuf,
    pub vault: PathBuf,
    pub output: PathBuf,
    pub templates: PathBuf,
    pub theme: PathBuf,
    pub config_file: PathBuf,
}

impl WatchPlan {
    pub fn new(config: &Config) -> WatchPlan {
        WatchPlan {
            root: config.root.clone(),
            vault: config.vault.clone(),
            output: config.output.clone(),
            templates: config.root.join("templates"),
            theme: config.root.join("themes").join(&config.theme),
            config_file: config.root.join(CONFIG_FILE),
        }
    }

    pub fn classify(&self, path: &Path) -> FileKind {
        if path == self.config_file {
            return FileKind::Config;
        }
        if path.starts_with(&self.output) {
            return FileKind::Ignored;
        }
        let in_base = |base: &Path| path.strip_prefix(base).ok().filter(|rel| !is_ignored(rel));
        // The folder itself too: created, deleted or renamed as a whole.
        if in_base(&self.templates).is_some() {
            return FileKind::Template;
        }
        if in_base(&self.theme).is_some() {
            return FileKind::Theme;
        }
        match in_base(&self.vault).filter(|rel| !rel.as_os_str().is_empty()) {
            Some(rel) if is_note_path(&rel.to_string_lossy()) => FileKind::Note,
            Some(_) => FileKind::Attachment,
            None => FileKind::Ignored,
        }
    }

    /// Records what a changed path means. A template inside the vault (a
    /// zero-config vault is also the project folder) is both.
    pub fn add(&self, changes: &mut Changes, path: &Path) {
        match self.classify(path) {
            FileKind::Config => changes.config = true,
            FileKind::Template | FileKind::Theme => {
                changes.theme = true;
                if path.starts_with(&self.vault) {
                    changes.vault.insert(path.to_path_buf());
                }
            }
            FileKind::Note | FileKind::Attachment => {
                changes.vault.insert(path.to_path_buf());
            }
            FileKind::Ignored => {}
        }
    }

    /// The folders to watch: the vault, templates and theme recursively,
    /// the project folder itself (for `book.toml`) not.
    pub fn watched(&self) -> Vec<(PathBuf, bool)> {
        let mut list = vec![(self.vault.clone(), true)];
        if self.vault != self.root {
            list.push((self.root.clone(), false));
        }
        for dir in [&self.templates, &self.theme] {
            if dir.is_dir() && !dir.starts_with(&self.vault) {
                list.push((dir.clone(), true));
            }
        }
        list
    }
}

/// The vault folder itself, as a watcher sees it. A watcher watches the
/// folder's inode, not its name: when the folder is deleted and made again,
/// or another folder is renamed over it (sync clients, `git`, unzip), the
/// watch is gone or stays on the old folder, and the new one goes unseen.
/// So the folder's identity (device, inode and, where the file system
/// keeps it, creation time, since a freed inode number can come back at
/// once) is checked on every batch of events and twice a second.
#[derive(Debug, Clone)]
pub struct VaultFolder {
    path: PathBuf,
    id: Option<FileIdentity>,
    missing: bool,
}

/// What became of the vault folder since the last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultCheck {
    /// The same folder (or one that never existed yet).
    Same,
    /// The folder is gone; `first` the first time this is seen.
    Missing { first: bool },
    /// Another folder (or the same, back) is there now: watch it again and
    /// rebuild everything.
    Replaced,
}

/// The folder's identity, as attachments have theirs: equal device, inode
/// and creation time mean the same folder ([`FileIdentity::same_file`]).
fn folder_id(path: &Path) -> Option<FileIdentity> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_dir())?;
    Some(FileIdentity::of(&meta))
}

impl VaultFolder {
    pub fn new(path: &Path) -> VaultFolder {
        VaultFolder {
            path: path.to_path_buf(),
            id: folder_id(path),
            missing: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn check(&mut self) -> VaultCheck {
        let now = folder_id(&self.path);
        match now {
            None if self.id.is_some() || self.missing => {
                let first = !self.missing;
                self.missing = true;
                self.id = None;
                VaultCheck::Missing { first }
            }
            None => VaultCheck::Same,
            Some(ref folder) => {
                let replaced = self.missing || self.id.is_some_and(|id| !id.same_file(folder));
                self.id = now;
                self.missing = false;
                if replaced {
                    VaultCheck::Replaced
                } else {
                    VaultCheck::Same
                }
            }
        }
    }
}

/// Whether a vault-relative path is never part of the site: dot-files and
/// dot-folders (`.obsidian`, `.git`, vim's `.note.md.swp`, emacs' `.#note.md`)
/// or an editor's temporary or backup file.
pub fn is_ignored(rel: &Path) -> bool {
    let mut components = rel.components().peekable();
    while let Some(c) = components.next() {
        let name = c.as_os_str().to_string_lossy();
        if name.starts_with('.') {
            return true;
        }
        if components.peek().is_none() && is_editor_temp(&name) {
            return true;
        }
    }
    false
}

fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".swx")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> WatchPlan {
        WatchPlan {
            root: "/p".into(),
            vault: "/p/content".into(),
            output: "/p/content/site".into(),
            templates: "/p/templates".into(),
            theme: "/p/themes/dark".into(),
            config_file: "/p/book.toml".into(),
        }
    }

    #[test]
    fn kinds() {
        let p = plan();
        let kind = |s: &str| p.classify(Path::new(s));
        assert_eq!(kind("/p/book.toml"), FileKind::Config);
        assert_eq!(kind("/p/content/a/Note.md"), FileKind::Note);
        assert_eq!(kind("/p/content/img.png"), FileKind::Attachment);
        assert_eq!(kind("/p/templates/note.html"), FileKind::Template);
        assert_eq!(kind("/p/themes/dark/spore.css"), FileKind::Theme);
        assert_eq!(kind("/p/themes/other/spore.css"), FileKind::Ignored);
        assert_eq!(kind("/p/content/site/index.html"), FileKind::Ignored);
        assert_eq!(kind("/p/README.md"), FileKind::Ignored);
    }

    #[test]
    fn vault_folder_deleted_recreated_or_renamed_over() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        std::fs::create_dir(&vault).unwrap();
        let mut folder = VaultFolder::new(&vault);
        assert_eq!(folder.check(), VaultCheck::Same);
        std::fs::remove_dir(&vault).unwrap();
        assert_eq!(folder.check(), VaultCheck::Missing { first: true });
        assert_eq!(folder.check(), VaultCheck::Missing { first: false });
        std::fs::create_dir(&vault).unwrap();
        assert_eq!(folder.check(), VaultCheck::Replaced);
        assert_eq!(folder.check(), VaultCheck::Same);
        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::rename(&vault, tmp.path().join("old")).unwrap();
        std::fs::rename(&other, &vault).unwrap();
        assert_eq!(folder.check(), VaultCheck::Replaced);
        assert_eq!(folder.check(), VaultCheck::Same);
    }

    #[test]
    fn editor_files_are_ignored() {
        let p = plan();
        for name in [
            "/p/content/.Note.md.swp",
            "/p/content/Note.md~",
            "/p/content/.#Note.md",
            "/p/content/#Note.md#",
            "/p/content/4913",
            "/p/content/Note.md___jb_tmp___",
            "/p/content/.obsidian/workspace.json",
            "/p/content/.git/index",
            "/p/templates/.note.html.swp",
        ] {
            assert_eq!(p.classify(Path::new(name)), FileKind::Ignored, "{name}");
        }
    }
}
