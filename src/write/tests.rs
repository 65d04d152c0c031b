use super::*;

#[test]
fn refuses_vault_parent_and_foreign_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    std::fs::create_dir_all(&vault).unwrap();
    assert!(matches!(
        check_output(&vault, &vault),
        Err(WriteError::OutputIsVault(_))
    ));
    assert!(matches!(
        check_output(&vault, tmp.path()),
        Err(WriteError::OutputContainsVault { .. })
    ));
    let foreign = tmp.path().join("docs");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "keep").unwrap();
    assert!(matches!(
        check_output(&vault, &foreign),
        Err(WriteError::NotOurs(_))
    ));
    assert!(check_output(&vault, &tmp.path().join("new")).is_ok());
}

#[test]
fn swaps_in_and_replaces_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    std::fs::create_dir_all(&vault).unwrap();
    let out = tmp.path().join("site");
    let mut site = Site::default();
    site.insert("a/b.html", b"one".to_vec());
    write_atomically(&site, &vault, &out).unwrap();
    assert_eq!(std::fs::read(out.join("a/b.html")).unwrap(), b"one");
    let mut site2 = Site::default();
    site2.insert("c.html", b"two".to_vec());
    write_atomically(&site2, &vault, &out).unwrap();
    assert!(!out.join("a/b.html").exists());
    assert_eq!(std::fs::read(out.join("c.html")).unwrap(), b"two");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn rejects_escaping_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = Site::default();
    site.insert("../evil", b"x".to_vec());
    assert!(matches!(
        write_tree(&site, &tmp.path().join("o")),
        Err(WriteError::UnsafePath(_))
    ));
}

/// A vault and an output path in a fresh temporary folder.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    std::fs::create_dir_all(&vault).unwrap();
    (tmp, vault)
}

fn site(files: &[(&str, &str)]) -> Site {
    let mut site = Site::default();
    for (path, text) in files {
        site.insert(*path, text.as_bytes().to_vec());
    }
    site
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, relative path → text (symlinks are an error).
fn tree_of(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let t = e.file_type().unwrap();
            assert!(!t.is_symlink(), "{:?}", e.path());
            if t.is_dir() {
                walk(root, &e.path(), out);
            } else {
                let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
                let text = std::fs::read_to_string(e.path()).unwrap();
                out.insert(rel.to_string_lossy().into_owned(), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

use std::collections::BTreeMap;

#[cfg(unix)]
#[test]
fn a_symlinked_output_folder_is_written_where_it_points_and_stays_a_link() {
    let (tmp, vault) = setup();
    let www = tmp.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let root = www.join("html");
    write_atomically(&site(&[("old.html", "old")]), &vault, &root).unwrap();
    let link = tmp.path().join("site");
    std::os::unix::fs::symlink(&root, &link).unwrap();

    write_atomically(&site(&[("new.html", "new")]), &vault, &link).unwrap();

    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(&link).unwrap(), root);
    let files = tree_of(&root);
    assert_eq!(files.get("new.html").map(String::as_str), Some("new"));
    assert!(!files.contains_key("old.html"), "{files:?}");
    assert_eq!(names(&www), ["html"]);
    assert_eq!(names(tmp.path()), ["site", "vault", "www"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_foreign_or_missing_folder_is_refused_and_left_alone() {
    let (tmp, vault) = setup();
    let root = tmp.path().join("html");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("index.html"), "the real web root").unwrap();
    let link = tmp.path().join("site");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    let err = write_atomically(&site(&[("a.html", "a")]), &vault, &link).unwrap_err();
    assert!(matches!(err, WriteError::NotOurs(_)), "{err}");
    assert!(err.to_string().contains("a symlink to"), "{err}");
    assert_eq!(
        std::fs::read_to_string(root.join("index.html")).unwrap(),
        "the real web root"
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());

    let dangling = tmp.path().join("gone");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
    let err = write_atomically(&site(&[("a.html", "a")]), &vault, &dangling).unwrap_err();
    assert!(matches!(err, WriteError::DanglingLink { .. }), "{err}");
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert!(!tmp.path().join("nowhere").exists());
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(names(tmp.path()), ["gone", "html", "site", "vault"]);

    let to_vault = tmp.path().join("to-vault");
    std::os::unix::fs::symlink(&vault, &to_vault).unwrap();
    let err = write_atomically(&site(&[("a.html", "a")]), &vault, &to_vault).unwrap_err();
    assert!(matches!(err, WriteError::OutputIsVault(_)), "{err}");
}

/// A process id no running process has (above Linux's largest pid_max).
const DEAD_PID: u32 = 4_194_305;

#[test]
fn leftovers_of_interrupted_builds_are_removed_only_when_provably_ours() {
    let (tmp, vault) = setup();
    let out = tmp.path().join("site");
    write_atomically(&site(&[("a.html", "a")]), &vault, &out).unwrap();
    let make = |dir: &Path, marker: bool| {
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/page.html"), "old copy").unwrap();
        if marker {
            std::fs::write(dir.join(MARKER), MARKER_TEXT).unwrap();
        }
    };
    let tmp_left = tmp.path().join(format!(".site.spore-tmp-{DEAD_PID}"));
    let old_left = tmp.path().join(format!(".site.spore-old-{DEAD_PID}"));
    let inside_left = out.join(format!(".spore-tmp-{DEAD_PID}"));
    let unmarked = tmp.path().join(format!(".site.spore-old-{}", DEAD_PID + 1));
    let other_site = tmp.path().join(format!(".docs.spore-old-{DEAD_PID}"));
    make(&tmp_left, true);
    make(&old_left, true);
    make(&inside_left, true);
    make(&unmarked, false);
    make(&other_site, true);
    // A leftover-looking symlink to a marked folder: neither is touched.
    let precious = tmp.path().join("precious");
    make(&precious, true);
    #[cfg(unix)]
    let linked = {
        let linked = tmp.path().join(format!(".site.spore-tmp-{}", DEAD_PID + 2));
        std::os::unix::fs::symlink(&precious, &linked).unwrap();
        linked
    };

    write_atomically(&site(&[("b.html", "b")]), &vault, &out).unwrap();

    assert!(!tmp_left.exists() && !old_left.exists());
    assert!(std::fs::symlink_metadata(&inside_left).is_err());
    assert!(unmarked.join("sub/page.html").is_file(), "no marker: kept");
    assert!(
        other_site.join("sub/page.html").is_file(),
        "another output's"
    );
    assert!(precious.join("sub/page.html").is_file());
    #[cfg(unix)]
    assert!(std::fs::symlink_metadata(&linked)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(names(&out), [MARKER, "b.html"]);
}

#[cfg(unix)]
#[test]
fn a_running_builds_work_folder_is_left_alone() {
    let (tmp, vault) = setup();
    let out = tmp.path().join("site");
    // pid 1 always runs (init, or the container's first process).
    let busy = tmp.path().join(".site.spore-tmp-1");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join(MARKER), MARKER_TEXT).unwrap();
    write_atomically(&site(&[("a.html", "a")]), &vault, &out).unwrap();
    assert!(busy.join(MARKER).is_file());
}

/// The real file system, except that renaming or exchanging `output`
/// itself fails with `error` (what a mount point answers), and exchange
/// can be made unsupported.
struct Faulty {
    output: PathBuf,
    error: Option<std::io::ErrorKind>,
    exchange: bool,
    calls: std::sync::Mutex<Vec<String>>,
}

impl Faulty {
    fn new(output: &Path, error: Option<std::io::ErrorKind>, exchange: bool) -> Faulty {
        Faulty {
            output: canonical(output),
            error,
            exchange,
            calls: Default::default(),
        }
    }

    fn check(&self, a: &Path, b: &Path) -> std::io::Result<()> {
        match self.error {
            Some(kind) if a == self.output || b == self.output => Err(kind.into()),
            _ => Ok(()),
        }
    }
}

impl Renamer for Faulty {
    fn exchange(&self, a: &Path, b: &Path) -> std::io::Result<()> {
        self.calls.lock().unwrap().push("exchange".into());
        if !self.exchange {
            return Err(std::io::ErrorKind::Unsupported.into());
        }
        self.check(a, b)?;
        swap::Os.exchange(a, b)
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.calls.lock().unwrap().push("rename".into());
        self.check(from, to)?;
        std::fs::rename(from, to)
    }
}

#[test]
fn an_output_folder_that_cannot_be_renamed_is_swapped_entry_by_entry() {
    for exchange in [true, false] {
        let (tmp, vault) = setup();
        let out = tmp.path().join("site");
        let first = site(&[("a.html", "a"), ("d/x.html", "x"), ("gone.html", "g")]);
        write_atomically(&first, &vault, &out).unwrap();
        std::fs::create_dir(out.join(LOST_AND_FOUND)).unwrap();
        let busy = Faulty::new(&out, Some(std::io::ErrorKind::ResourceBusy), exchange);
        let second = site(&[("a.html", "A"), ("d/y.html", "y"), ("new.html", "n")]);
        let stats = write_with(&second, &vault, &out, &busy, &Progress::none()).unwrap();
        assert!(stats.reused == 0 && stats.written == 4, "{stats:?}");
        let files = tree_of(&out);
        let want: BTreeMap<String, String> = [
            (MARKER, MARKER_TEXT),
            ("a.html", "A"),
            ("d/y.html", "y"),
            ("new.html", "n"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(files, want, "exchange: {exchange}");
        assert!(out.join(LOST_AND_FOUND).is_dir());
        // No staging copy beside it, none inside it.
        assert_eq!(names(tmp.path()), ["site", "vault"]);
        assert_eq!(
            names(&out),
            [MARKER, "a.html", "d", "lost+found", "new.html"]
        );
    }
}

#[test]
fn a_failed_swap_leaves_the_previous_site_and_no_staging_copy() {
    for exchange in [true, false] {
        let (tmp, vault) = setup();
        let out = tmp.path().join("site");
        write_atomically(&site(&[("a.html", "a")]), &vault, &out).unwrap();
        let before = tree_of(&out);
        let broken = Faulty::new(&out, Some(std::io::ErrorKind::Other), exchange);
        let err = write_with(
            &site(&[("b.html", "b")]),
            &vault,
            &out,
            &broken,
            &Progress::none(),
        )
        .unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err}");
        assert_eq!(tree_of(&out), before);
        assert_eq!(names(tmp.path()), ["site", "vault"]);
    }
}

#[test]
fn without_an_atomic_exchange_two_renames_do() {
    let (tmp, vault) = setup();
    let out = tmp.path().join("site");
    write_atomically(&site(&[("a.html", "a")]), &vault, &out).unwrap();
    let plain = Faulty::new(&out, None, false);
    write_with(
        &site(&[("b.html", "b")]),
        &vault,
        &out,
        &plain,
        &Progress::none(),
    )
    .unwrap();
    assert_eq!(names(&out), [MARKER, "b.html"]);
    assert_eq!(names(tmp.path()), ["site", "vault"]);
    let calls = plain.calls.lock().unwrap().clone();
    assert_eq!(calls, ["exchange", "rename", "rename"]);
}

#[cfg(any(target_os = "linux", target_vendor = "apple"))]
#[test]
fn the_swap_is_one_atomic_exchange() {
    let (tmp, vault) = setup();
    let out = tmp.path().join("site");
    write_atomically(&site(&[("a.html", "a")]), &vault, &out).unwrap();
    let os = Faulty::new(&out, None, true);
    write_with(
        &site(&[("b.html", "b")]),
        &vault,
        &out,
        &os,
        &Progress::none(),
    )
    .unwrap();
    assert_eq!(names(&out), [MARKER, "b.html"]);
    // tmpfs and ext4 both support RENAME_EXCHANGE.
    assert_eq!(os.calls.lock().unwrap().clone(), ["exchange"]);
}

#[cfg(target_os = "linux")]
#[test]
fn mount_points_are_told_by_their_device() {
    // /proc is its own file system wherever Linux runs (containers too).
    if Path::new("/proc/self").exists() {
        assert!(is_mount_point(Path::new("/proc")));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    assert!(!is_mount_point(&dir));
}
