//! Fixture projects for the seal and verify tests: a generated vault with a
//! book.toml, mirrors and a fresh signing key kept outside the vault.

use std::path::{Path, PathBuf};

pub const EPOCH: i64 = 1_700_000_000;

pub struct Project {
    pub tmp: tempfile::TempDir,
    /// Folder holding book.toml.
    pub root: PathBuf,
    /// Where `build` writes the site.
    pub site: PathBuf,
    /// Base64 public key line (None: unsigned project).
    pub public_key: Option<String>,
}

/// A project with `notes` generated notes; signed when `signed`.
pub fn project(notes: usize, seed: u64, signed: bool) -> Project {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("project");
    super::gen_vault::generate_vault(&root.join("content"), notes, seed).expect("vault");
    let mut book = String::from(
        "[book]\ntitle = \"Fixture wiki\"\nsrc = \"content\"\n\n[build]\noutput = \"site\"\n\n[mirrors]\nurls = [\"https://a.example/wiki/\", { url = \"https://b.example/\", priority = 2, location = \"de\" }]\n",
    );
    let mut public_key = None;
    if signed {
        let keys =
            spore::seal::sign::keygen(&tmp.path().join("keys"), false, None).expect("keygen");
        book.push_str(&format!(
            "\n[integrity]\npublic_key = \"{}\"\nsecret_key = {:?}\n",
            keys.public_base64,
            keys.secret_path.display().to_string()
        ));
        public_key = Some(keys.public_base64);
    }
    std::fs::write(root.join("book.toml"), book).expect("book.toml");
    Project {
        site: root.join("site"),
        root,
        tmp,
        public_key,
    }
}

impl Project {
    pub fn config(&self) -> spore::config::Config {
        spore::config::Config::discover(&self.root).expect("config")
    }

    /// Builds with the version given through the API (not the env).
    pub fn build(&self, version: i64) -> spore::BuildReport {
        let options = spore::BuildOptions {
            source_date_epoch: Some(version),
            ..Default::default()
        };
        spore::build(&self.config(), &options).expect("build")
    }

    /// A copy of the current site at `name` beside the project.
    pub fn copy_site(&self, name: &str) -> PathBuf {
        let to = self.tmp.path().join(name);
        copy_dir(&self.site, &to);
        to
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Every file of a site folder as a `/` path, the `.spore-output` marker aside.
pub fn site_files(site: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(site)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(site)
                .expect("prefix")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .filter(|p| p != spore::write::MARKER)
        .collect();
    out.sort();
    out
}
