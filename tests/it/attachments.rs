//! Attachments are published by reference: never read whole into memory,
//! never read at all unless a published note uses them, and never published
//! under a manifest that does not describe the bytes written.

use spore::config::Config;
use spore::pipeline::{build_site, build_stages, seal_stage, BuildOptions};
use std::fs;
use std::path::{Path, PathBuf};

const GIB: u64 = 1 << 30;
/// SHA-256 of 1 GiB of zero bytes.
const GIB_OF_ZEROS_SHA256: &str =
    "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14";

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

/// A file of `len` zero bytes that takes no room on disk.
fn sparse(path: &Path, len: u64) {
    fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn config(vault: &Path, output: PathBuf) -> Config {
    let mut c = Config::zero_config(vault).expect("config");
    c.output = output;
    c
}

fn options() -> BuildOptions {
    BuildOptions {
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    }
}

fn manifest(site: &Path) -> serde_json::Value {
    serde_json::to_value(crate::support::sealed::manifest_of(site)).expect("manifest json")
}

/// Whether reading a file moves its access time on this file system (not
/// under `noatime`): a file whose atime is older than its mtime gets a new
/// one on its next read, even under `relatime`.
fn reads_show_in_atime(dir: &Path) -> bool {
    let probe = dir.join("atime-probe");
    fs::write(&probe, b"probe").unwrap();
    set_old_atime(&probe);
    let before = fs::metadata(&probe).unwrap().accessed().unwrap();
    fs::read(&probe).unwrap();
    fs::metadata(&probe).unwrap().accessed().unwrap() != before
}

fn set_old_atime(path: &Path) {
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let times = fs::FileTimes::new()
        .set_accessed(old)
        .set_modified(std::time::SystemTime::now());
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(times)
        .unwrap();
}

/// Runs `spore build VAULT --out OUT`; its exit code, stderr and peak
/// resident memory in bytes (from `wait4`, for this child alone).
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which also gives its usage
fn build_measured(vault: &Path, out: &Path, log: &Path) -> (i32, String, u64) {
    use std::os::unix::process::ExitStatusExt;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_spore"))
        .arg("build")
        .arg(vault)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(fs::File::create(log).unwrap())
        .spawn()
        .expect("spawn spore");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain FFI with valid pointers; the child is ours and not yet
    // waited for (`child` is never waited on after this).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4");
    let code = std::process::ExitStatus::from_raw(status)
        .code()
        .unwrap_or(-1);
    // Linux reports ru_maxrss in KiB.
    let peak = usage.ru_maxrss as u64 * 1024;
    (code, fs::read_to_string(log).unwrap_or_default(), peak)
}

#[test]
#[cfg(target_os = "linux")]
fn a_gigabyte_attachment_builds_in_little_memory_and_an_unused_one_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    write(
        &vault.join("index.md"),
        "# Home\n\nThe film: ![[film.bin]]\n",
    );
    sparse(&vault.join("film.bin"), GIB);
    // Used only by a draft, and by nothing at all.
    write(
        &vault.join("Draft.md"),
        "---\ndraft: true\n---\n![[draft-only.bin]]\n",
    );
    sparse(&vault.join("draft-only.bin"), GIB);
    sparse(&vault.join("unused.bin"), GIB);
    set_old_atime(&vault.join("draft-only.bin"));
    set_old_atime(&vault.join("unused.bin"));
    let atime_works = reads_show_in_atime(tmp.path());
    let unused_atimes = |v: &Path| {
        ["draft-only.bin", "unused.bin"]
            .map(|f| fs::metadata(v.join(f)).unwrap().accessed().unwrap())
    };
    let before = unused_atimes(&vault);

    let out = tmp.path().join("site");
    let (code, stderr, peak) = build_measured(&vault, &out, &tmp.path().join("log"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        peak < 128 << 20,
        "peak memory {} MiB for 3 GiB of attachments",
        peak >> 20
    );

    // The published one is there, whole, and the manifest describes it.
    let copy = fs::metadata(out.join("film.bin")).unwrap();
    assert_eq!(copy.len(), GIB);
    {
        // Copied sparse: runs of zeros are skipped, not written.
        use std::os::unix::fs::MetadataExt;
        assert!(copy.blocks() * 512 < 64 << 20, "{} blocks", copy.blocks());
    }
    let m = manifest(&out);
    assert_eq!(m["files"]["film.bin"]["size"], GIB);
    assert_eq!(m["files"]["film.bin"]["sha256"], GIB_OF_ZEROS_SHA256);
    // The others are not published, and were not even read.
    assert!(!out.join("draft-only.bin").exists());
    assert!(!out.join("unused.bin").exists());
    if atime_works {
        assert_eq!(
            unused_atimes(&vault),
            before,
            "an unused attachment was read"
        );
    } else {
        eprintln!("note: this file system does not record reads (noatime); read check skipped");
    }
}

/// A built site in memory and the vault it came from.
fn small_site(attachment: &[u8]) -> (tempfile::TempDir, PathBuf, Config) {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    write(&vault.join("index.md"), "# Home\n\n![[doc.pdf]]\n");
    fs::write(vault.join("doc.pdf"), attachment).unwrap();
    let c = config(&vault, tmp.path().join("site"));
    (tmp, vault, c)
}

fn no_staging_left(dir: &Path) {
    let left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("spore-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_attachment_edited_after_sealing_fails_the_write_and_keeps_the_old_site() {
    let (tmp, vault, c) = small_site(b"version one");
    let write = |site: &spore::site::Site| {
        spore::write::write_atomically(site, &c.vault, &c.output)
            .expect_err("the manifest would not describe doc.pdf")
            .to_string()
    };

    // No site yet: sealed, then edited in place before it is written.
    let built = build_site(&c, &options()).expect("build");
    fs::write(vault.join("doc.pdf"), b"version ONE").unwrap();
    let err = write(&built.site);
    assert!(err.contains("doc.pdf") && err.contains("changed"), "{err}");
    assert!(!c.output.exists());
    no_staging_left(tmp.path());

    // Over an existing site: edits of the same length and of another
    // length, and a rename over it (as editors save), each between seal and
    // write, leave the old site exactly as it was.
    fs::write(vault.join("doc.pdf"), b"version one").unwrap();
    spore::pipeline::build(&c, &options()).expect("first build");
    let first = fs::read(c.output.join("integrity/manifest.json")).unwrap();
    fs::write(vault.join("doc.pdf"), b"version two").unwrap();
    let other = tmp.path().join("other.pdf");
    for edit in 0..3 {
        let built = build_site(&c, &options()).expect("build");
        match edit {
            0 => fs::write(vault.join("doc.pdf"), b"version 2!!").unwrap(),
            1 => fs::write(vault.join("doc.pdf"), b"version three").unwrap(),
            _ => {
                fs::write(&other, b"version two").unwrap();
                fs::rename(&other, vault.join("doc.pdf")).unwrap();
            }
        }
        let err = write(&built.site);
        assert!(err.contains("doc.pdf"), "{err}");
        assert_eq!(fs::read(c.output.join("doc.pdf")).unwrap(), b"version one");
        assert_eq!(
            fs::read(c.output.join("integrity/manifest.json")).unwrap(),
            first
        );
        no_staging_left(tmp.path());
        fs::write(vault.join("doc.pdf"), b"version two").unwrap();
    }

    // Built again, it is published under a manifest that describes it.
    fs::write(vault.join("doc.pdf"), b"version four").unwrap();
    spore::pipeline::build(&c, &options()).expect("build");
    let m = manifest(&c.output);
    assert_eq!(fs::read(c.output.join("doc.pdf")).unwrap(), b"version four");
    assert_eq!(m["files"]["doc.pdf"]["sha256"], hex_sha256(b"version four"));
}

#[test]
fn an_attachment_that_cannot_be_read_when_sealing_is_left_out_with_a_warning() {
    let (_tmp, vault, c) = small_site(b"%PDF-1.4 a document");
    let stages = build_stages(&c, &options()).expect("stages");
    // Gone between load and seal (deleted, or made unreadable).
    fs::remove_file(vault.join("doc.pdf")).unwrap();
    let (site, summary) = seal_stage(stages.site, &c, &options(), &stages.index).expect("seal");
    assert!(site.file("doc.pdf").is_none());
    let warning = summary
        .diagnostics
        .iter()
        .find(|d| d.file.as_deref() == Some("doc.pdf"))
        .expect("a warning naming doc.pdf");
    assert_eq!(
        warning.kind,
        spore::diagnostics::DiagnosticKind::UnreadableFile
    );
    // The manifest does not list it.
    let m: serde_json::Value =
        serde_json::to_value(crate::support::sealed::manifest_in(&site)).unwrap();
    assert!(m["files"].get("doc.pdf").is_none());
    assert!(m["files"].get("index.html").is_some());
}

#[test]
fn a_rebuild_takes_over_an_unchanged_attachment_and_copies_a_changed_one() {
    let (_tmp, vault, c) = small_site(b"version one");
    spore::pipeline::build(&c, &options()).expect("build");
    let report = spore::pipeline::build(&c, &options()).expect("build");
    assert!(report.write.reused >= 1, "{:?}", report.write);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            fs::metadata(c.output.join("doc.pdf")).unwrap().nlink(),
            1,
            "the old site is gone, its file kept by a link"
        );
        // Never a link to the vault's own file: editing the vault must not
        // change a published site behind its manifest's back.
        assert_ne!(
            fs::metadata(c.output.join("doc.pdf")).unwrap().ino(),
            fs::metadata(vault.join("doc.pdf")).unwrap().ino()
        );
    }
    fs::write(vault.join("doc.pdf"), b"version two").unwrap();
    spore::pipeline::build(&c, &options()).expect("build");
    assert_eq!(fs::read(c.output.join("doc.pdf")).unwrap(), b"version two");
    assert_eq!(
        manifest(&c.output)["files"]["doc.pdf"]["sha256"],
        hex_sha256(b"version two")
    );
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
