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
        .collect();
    out.sort();
    out
}

/// Every entry of the manifest in `site` (a folder): the root and each of
/// its shards, checked against the root's hashes.
pub fn manifest_of(site: &Path) -> spore::seal::manifest::Manifest {
    let root = std::fs::read(site.join(spore::seal::manifest::MANIFEST_PATH)).expect("manifest");
    spore::seal::shard::read_manifest(&root, |p| std::fs::read(site.join(p)).ok())
        .expect("a whole manifest")
}

/// [`manifest_of`] for a site in memory.
pub fn manifest_in(site: &spore::site::Site) -> spore::seal::manifest::Manifest {
    let root = site
        .get(spore::seal::manifest::MANIFEST_PATH)
        .expect("manifest");
    spore::seal::shard::read_manifest(root, |p| site.get(p).map(|b| b.to_vec()))
        .expect("a whole manifest")
}

/// The root of the manifest in `site`.
pub fn root_of(site: &Path) -> spore::seal::manifest::Root {
    let bytes = std::fs::read(site.join(spore::seal::manifest::MANIFEST_PATH)).expect("manifest");
    spore::seal::manifest::Root::parse(&bytes).expect("a format-2 root")
}

/// The integrity files `m` makes (root, its script, shards and theirs,
/// Metalink, SHA256SUMS), as a forger who controls a copy would write them.
pub fn forged_files(m: &spore::seal::manifest::Manifest) -> Vec<(String, Vec<u8>)> {
    spore::seal::files::for_manifest(m)
        .into_iter()
        .map(|(p, b)| (p, b.to_vec()))
        .collect()
}

/// The root bytes `m` makes (what a signature covers).
pub fn root_bytes(m: &spore::seal::manifest::Manifest) -> Vec<u8> {
    forged_files(m)
        .into_iter()
        .find(|(p, _)| p == spore::seal::manifest::MANIFEST_PATH)
        .map(|(_, b)| b)
        .expect("a root")
}

/// Writes `m` into `site` with every integrity file it makes; returns the
/// root's bytes.
pub fn write_manifest(site: &Path, m: &spore::seal::manifest::Manifest) -> Vec<u8> {
    std::fs::create_dir_all(site.join("integrity/shards")).expect("shards folder");
    for (path, bytes) in forged_files(m) {
        std::fs::write(site.join(path), bytes).expect("integrity file");
    }
    root_bytes(m)
}
