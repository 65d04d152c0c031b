//! Where a copy lives and how its files are read: a local folder, or an
//! http(s) URL fetched with `ureq` (exact paths, redirects followed only on
//! the same host).
//!
//! Reads stream: bytes go through a small buffer into a sink (a hasher, a
//! spool file) and are never collected whole unless the caller asks for
//! them. Every read has a byte cap; every copy has [`NetLimits`]: a
//! deadline for the whole copy, an idle timeout (no byte for that long), a
//! minimum transfer rate, and a number of network failures after which the
//! copy is given up as unreachable. A folder copy has the deadline too (a
//! folder may be a network mount that stops answering): its files are read
//! on threads of their own, and a read still blocked at the deadline is
//! left behind, the copy given up.

use crate::portable::encode_path;
use crate::printable::has_unsafe_char;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::http::Uri;

/// Largest manifest read (a manifest lists files; 64 MiB is ~300k files).
pub const MANIFEST_CAP: u64 = 64 << 20;
/// Largest signature file read.
pub const SIGNATURE_CAP: u64 = 16 << 10;
const MAX_REDIRECTS: usize = 5;
const BUFFER: usize = 64 << 10;
/// How a [`Fetched::Failed`] reason starts when the sink, not the copy,
/// failed (a full disk under a spool file).
pub const SINK_FAILED: &str = "cannot write: ";

/// How long and how slowly a copy may take before it is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetLimits {
    /// The whole copy (manifest and every file) must be read within this.
    pub deadline: Duration,
    /// A connection that sends no byte for this long is dropped.
    pub idle: Duration,
    /// Below this many bytes per second (averaged over the transfer, after
    /// the first `idle` seconds), a transfer is dropped.
    pub min_rate: u64,
    /// After this many network failures the copy is unreachable: its
    /// remaining files are not requested.
    pub max_failures: usize,
}

impl NetLimits {
    /// The default per-copy deadline (`spore verify --timeout`).
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

    /// Limits for a per-copy deadline: the idle timeout is 30 s, or less
    /// when the deadline is short.
    pub fn with_deadline(deadline: Duration) -> NetLimits {
        NetLimits {
            deadline,
            idle: Duration::from_secs(30)
                .min(deadline / 2)
                .max(Duration::from_millis(100)),
            min_rate: 1024,
            max_failures: 3,
        }
    }
}

impl Default for NetLimits {
    fn default() -> Self {
        NetLimits::with_deadline(NetLimits::DEFAULT_DEADLINE)
    }
}

/// One copy's share of [`NetLimits`]: when it started, how many network
/// failures it had, and the first reason it was given up for.
#[derive(Debug)]
pub struct Budget {
    pub limits: NetLimits,
    started: Instant,
    /// Time the copy spent waiting for the other copies (between reading
    /// its manifest and reading its files): not counted against its
    /// deadline, so a slow copy costs its own deadline, never another's.
    waited: Mutex<Duration>,
    failures: AtomicUsize,
    first_failure: Mutex<Option<String>>,
    gave_up: Mutex<Option<String>>,
}

impl Budget {
    pub fn new(limits: NetLimits) -> Budget {
        Budget {
            limits,
            started: Instant::now(),
            waited: Mutex::new(Duration::ZERO),
            failures: AtomicUsize::new(0),
            first_failure: Mutex::new(None),
            gave_up: Mutex::new(None),
        }
    }

    fn remaining(&self) -> Duration {
        let waited = self.waited.lock().map(|w| *w).unwrap_or_default();
        self.limits
            .deadline
            .saturating_sub(self.started.elapsed().saturating_sub(waited))
    }

    /// Takes `d` (spent waiting for other copies) off the copy's clock.
    pub fn not_counting(&self, d: Duration) {
        if let Ok(mut w) = self.waited.lock() {
            *w += d;
        }
    }

    /// Gives the copy up for its deadline (whatever the clock says: the
    /// caller waited that long), with the reason.
    fn past_deadline(&self) -> String {
        let reason = format!(
            "not read completely within the {} s deadline (--timeout)",
            self.limits.deadline.as_secs_f64()
        );
        self.give_up(&reason);
        self.gave_up().unwrap_or(reason)
    }

    /// Why the copy is no longer read, if it is not.
    pub fn gave_up(&self) -> Option<String> {
        if let Some(reason) = self.gave_up.lock().ok().and_then(|g| g.clone()) {
            return Some(reason);
        }
        if self.remaining().is_zero() {
            return Some(self.past_deadline());
        }
        None
    }

    fn give_up(&self, reason: &str) {
        if let Ok(mut g) = self.gave_up.lock() {
            g.get_or_insert_with(|| reason.to_string());
        }
    }

    /// Why some of the copy could not be read: it was given up, or a first
    /// network failure (the copy was not fully checked either way).
    pub fn trouble(&self) -> Option<String> {
        self.gave_up().or_else(|| {
            self.first_failure
                .lock()
                .ok()
                .and_then(|f| f.clone())
                .map(|reason| format!("a file could not be read: {reason}"))
        })
    }

    /// Counts a network failure; after `max_failures` the copy is given up.
    fn failed(&self, reason: &str) {
        if let Ok(mut f) = self.first_failure.lock() {
            f.get_or_insert_with(|| reason.to_string());
        }
        let n = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.limits.max_failures {
            self.give_up(&format!(
                "given up after {n} network failures; last: {reason}"
            ));
        }
    }
}

impl CopySource {
    /// The copy's share of the limits.
    pub fn budget(&self) -> &Budget {
        match self {
            CopySource::Folder { budget, .. } | CopySource::Http { budget, .. } => budget,
        }
    }
}

#[derive(Clone)]
pub enum CopySource {
    Folder {
        root: PathBuf,
        /// Only the deadline applies.
        budget: Arc<Budget>,
    },
    Http {
        base: String,
        agent: ureq::Agent,
        budget: Arc<Budget>,
    },
}

/// The outcome of reading one file of a copy: `Found` holds what the sink
/// made of it (the bytes for [`CopySource::fetch`], a [`Digest`] when
/// hashing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<T = Vec<u8>> {
    Found(T),
    Missing,
    /// Larger than the cap.
    TooLarge,
    /// The copy answered, but not with the file (an HTTP error, a redirect
    /// off the host, an unreadable file).
    Failed(String),
    /// The network failed (timeout, too slow, connection lost) or the copy
    /// was already given up.
    Unreachable(String),
}

/// Site paths are relative and `/`-separated; anything that could escape
/// the copy's root, or that a terminal would act on when the path is
/// printed, is refused before it reaches the disk or a URL.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !has_unsafe_char(path)
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

fn origin(uri: &Uri) -> Option<(String, String)> {
    Some((
        uri.scheme_str()?.to_ascii_lowercase(),
        uri.authority()?.as_str().to_ascii_lowercase(),
    ))
}

/// Where bytes go while they are read, and why reading stopped.
enum Pumped {
    Done(u64),
    TooLarge,
    /// Reading failed: a network or disk error, a stall, too slow.
    Broken(String),
    /// The sink refused the bytes (a full disk under a spool file).
    Sink(String),
}

/// A read error in words: a timeout says how long nothing came.
fn io_reason(e: &std::io::Error, budget: Option<&Budget>) -> String {
    let timed_out = e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timeout");
    match budget {
        Some(b) if timed_out => match b.gave_up() {
            Some(reason) => reason,
            None => idle_reason(b),
        },
        _ => e.to_string(),
    }
}

fn idle_reason(b: &Budget) -> String {
    format!(
        "nothing received for {} s (stalled or silent)",
        b.limits.idle.as_secs_f64()
    )
}

/// Copies at most `cap` bytes from `reader` to `sink`, in constant memory,
/// watching the copy's deadline and minimum rate.
fn pump(reader: &mut dyn Read, cap: u64, sink: &mut dyn Write, budget: Option<&Budget>) -> Pumped {
    let started = Instant::now();
    let mut buf = vec![0u8; BUFFER];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Pumped::Done(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Pumped::Broken(io_reason(&e, budget)),
        };
        total += n as u64;
        if total > cap {
            return Pumped::TooLarge;
        }
        if let Err(e) = sink.write_all(&buf[..n]) {
            return Pumped::Sink(e.to_string());
        }
        if let Some(budget) = budget {
            if let Some(reason) = budget.gave_up() {
                return Pumped::Broken(reason);
            }
            let elapsed = started.elapsed();
            if elapsed > budget.limits.idle
                && (total as f64) < budget.limits.min_rate as f64 * elapsed.as_secs_f64()
            {
                return Pumped::Broken(format!(
                    "too slow: {total} bytes in {:.0} s (at least {} bytes/s expected)",
                    elapsed.as_secs_f64(),
                    budget.limits.min_rate
                ));
            }
        }
    }
}

impl CopySource {
    /// `http://` and `https://` arguments are URLs; anything else a folder.
    pub fn parse(arg: &str) -> CopySource {
        CopySource::open(arg, NetLimits::default())
    }

    /// Like [`CopySource::parse`], with the copy's network limits (the
    /// deadline starts now).
    pub fn open(arg: &str, limits: NetLimits) -> CopySource {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let base = if arg.ends_with('/') {
                arg.to_string()
            } else {
                format!("{arg}/")
            };
            let config = ureq::Agent::config_builder()
                .timeout_resolve(Some(limits.idle))
                .timeout_connect(Some(limits.idle))
                // No byte for `idle`: headers and body alike.
                .timeout_per_read(Some(limits.idle))
                .timeout_per_write(Some(limits.idle))
                .max_redirects(0)
                .max_redirects_will_error(false)
                .http_status_as_error(false)
                .user_agent(concat!("spore-verify/", env!("CARGO_PKG_VERSION")))
                .build();
            CopySource::Http {
                base,
                agent: config.into(),
                budget: Arc::new(Budget::new(limits)),
            }
        } else {
            CopySource::Folder {
                root: crate::config::absolute(Path::new(arg)),
                budget: Arc::new(Budget::new(limits)),
            }
        }
    }

    pub fn folder(&self) -> Option<&Path> {
        match self {
            CopySource::Folder { root, .. } => Some(root),
            CopySource::Http { .. } => None,
        }
    }

    /// Why this copy was not read completely (its deadline passed; for
    /// URLs, network failures), if it was not.
    pub fn trouble(&self) -> Option<String> {
        match self {
            CopySource::Folder { budget, .. } | CopySource::Http { budget, .. } => budget.trouble(),
        }
    }

    /// Reads `path` (a site path) whole, refusing more than `cap` bytes.
    /// Only for small files (manifest, signature); others are streamed.
    pub fn fetch(&self, path: &str, cap: u64) -> Fetched {
        let mut pieces = Pieces::default();
        match self.stream(path, cap, &mut pieces) {
            Fetched::Found(_) => Fetched::Found(pieces.joined()),
            Fetched::Missing => Fetched::Missing,
            Fetched::TooLarge => Fetched::TooLarge,
            Fetched::Failed(e) => Fetched::Failed(e),
            Fetched::Unreachable(e) => Fetched::Unreachable(e),
        }
    }
}

/// What [`CopySource::fetch`] reads into: pieces of at most a MiB, joined
/// once the whole file is in. A growing `Vec` doubles, and an allocator
/// may keep the blocks it outgrew for a while: a hostile copy sending a
/// file up to its cap would cost several times the cap, not once.
#[derive(Default)]
struct Pieces {
    pieces: Vec<Vec<u8>>,
    len: usize,
}

impl Pieces {
    const PIECE: usize = 1 << 20;

    fn joined(self) -> Vec<u8> {
        match <[Vec<u8>; 1]>::try_from(self.pieces) {
            Ok([one]) => one,
            Err(pieces) => {
                let mut all = Vec::with_capacity(self.len);
                for piece in pieces {
                    all.extend_from_slice(&piece);
                }
                all
            }
        }
    }
}

impl Write for Pieces {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let written = buf.len();
        while !buf.is_empty() {
            if self.pieces.last().is_none_or(|p| p.len() >= Self::PIECE) {
                let capacity = Self::PIECE.min(buf.len().max(8 << 10));
                self.pieces.push(Vec::with_capacity(capacity));
            }
            let Some(piece) = self.pieces.last_mut() else {
                break;
            };
            let (now, rest) = buf.split_at((Self::PIECE - piece.len()).min(buf.len()));
            piece.extend_from_slice(now);
            self.len += now.len();
            buf = rest;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CopySource {
    /// Streams `path` into `sink`, refusing more than `cap` bytes; `Found`
    /// holds the number of bytes read. A refused read may leave part of the
    /// file in `sink`.
    pub fn stream(&self, path: &str, cap: u64, sink: &mut dyn Write) -> Fetched<u64> {
        if !is_safe_path(path) {
            return Fetched::Failed(format!(
                "unsafe path \"{}\"",
                crate::printable::printable(path)
            ));
        }
        match self {
            CopySource::Folder { root, budget } => match budget.gave_up() {
                Some(reason) => Fetched::Unreachable(reason),
                None => read_file_within(root.join(path), cap, sink, budget),
            },
            CopySource::Http {
                base,
                agent,
                budget,
            } => {
                if let Some(reason) = budget.gave_up() {
                    return Fetched::Unreachable(reason);
                }
                let url = format!("{base}{}", encode_path(path));
                let result = fetch_url(agent, budget, &url, cap, sink);
                if let Fetched::Unreachable(reason) = &result {
                    budget.failed(reason);
                }
                result
            }
        }
    }

    /// Every file in a folder copy, as site paths (`None` for URLs, which
    /// cannot be listed).
    /// A folder that does not answer within the copy's deadline gives the
    /// copy up and has no listing.
    pub fn list(&self) -> Option<Vec<String>> {
        let CopySource::Folder { root, budget } = self else {
            return None;
        };
        if budget.gave_up().is_some() {
            return None;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let root = root.clone();
        let lister = move || {
            let _ = tx.send(list_folder(&root));
        };
        if let Err(e) = std::thread::Builder::new()
            .name("spore-verify-list".into())
            .spawn(lister)
        {
            budget.give_up(&format!("cannot start a thread to list the folder: {e}"));
            return None;
        }
        match rx.recv_timeout(budget.remaining()) {
            Ok(listing) => Some(listing),
            Err(_) => {
                budget.past_deadline();
                None
            }
        }
    }
}

/// Every file below `root`, as site paths.
fn list_folder(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if entry.file_type().is_dir() {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    out
}

/// What a folder read sends back to the copy's thread.
enum Chunk {
    Bytes(Vec<u8>),
    End(Fetched<u64>),
}

/// The reading thread's sink: each buffer goes back over the channel (an
/// error once the copy's thread has stopped listening).
struct ToCaller(std::sync::mpsc::SyncSender<Chunk>);

impl Write for ToCaller {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(Chunk::Bytes(buf.to_vec()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads a folder copy's file on a thread of its own, the bytes coming back
/// through a channel two buffers deep (constant memory), so that a read
/// that never returns (a network mount that stopped answering) costs the
/// copy its deadline and not the whole run: at the deadline the copy is
/// given up and the thread left to finish, or hang, alone.
fn read_file_within(
    path: PathBuf,
    cap: u64,
    sink: &mut dyn Write,
    budget: &Budget,
) -> Fetched<u64> {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    let reader = move || {
        let result = read_file(&path, cap, &mut ToCaller(tx.clone()));
        let _ = tx.send(Chunk::End(result));
    };
    if let Err(e) = std::thread::Builder::new()
        .name("spore-verify-read".into())
        .spawn(reader)
    {
        return Fetched::Failed(format!("cannot start a thread to read the file: {e}"));
    }
    loop {
        match rx.recv_timeout(budget.remaining()) {
            Ok(Chunk::Bytes(bytes)) => {
                if let Err(e) = sink.write_all(&bytes) {
                    return Fetched::Failed(format!("{SINK_FAILED}{e}"));
                }
            }
            Ok(Chunk::End(result)) => return result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                return Fetched::Unreachable(budget.past_deadline())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Fetched::Failed("the reading thread stopped".into())
            }
        }
    }
}

fn read_file(path: &Path, cap: u64, sink: &mut dyn Write) -> Fetched<u64> {
    // Checked before opening: opening a FIFO would wait for a writer forever.
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Fetched::Missing,
        Ok(m) if !m.is_file() => return Fetched::Failed("not a regular file".into()),
        Ok(m) if m.len() > cap => return Fetched::TooLarge,
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Fetched::Missing,
        Err(e) => return Fetched::Failed(e.to_string()),
    }
    #[cfg(test)]
    tests::before_open(path);
    let mut file = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Fetched::Missing,
        Err(e) => return Fetched::Failed(e.to_string()),
    };
    match file.metadata() {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Fetched::Failed("not a regular file".into()),
        Err(e) => return Fetched::Failed(e.to_string()),
    }
    match pump(&mut file, cap, sink, None) {
        Pumped::Done(n) => Fetched::Found(n),
        Pumped::TooLarge => Fetched::TooLarge,
        Pumped::Broken(e) => Fetched::Failed(e),
        Pumped::Sink(e) => Fetched::Failed(format!("{SINK_FAILED}{e}")),
    }
}

/// Opens `path` for reading; a FIFO swapped in after the check returns at
/// once instead of waiting for a writer (and is refused by the caller).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    Ok(rustix::fs::open(path, flags, Mode::empty())?.into())
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn fetch_url(
    agent: &ureq::Agent,
    budget: &Budget,
    url: &str,
    cap: u64,
    sink: &mut dyn Write,
) -> Fetched<u64> {
    let Ok(start) = url.parse::<Uri>() else {
        return Fetched::Failed(format!("not a valid URL: {url}"));
    };
    let home = origin(&start);
    let mut current = start;
    for _ in 0..=MAX_REDIRECTS {
        // Whatever is left of the copy's deadline bounds this request.
        let remaining = budget.remaining();
        if remaining.is_zero() {
            return Fetched::Unreachable(budget.gave_up().unwrap_or_default());
        }
        let request = agent
            .get(current.clone())
            .config()
            .timeout_global(Some(remaining))
            .build();
        let mut response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                let why = budget.gave_up().unwrap_or_else(|| idle_reason(budget));
                return Fetched::Unreachable(format!("{current}: {why}"));
            }
            Err(e) => return Fetched::Unreachable(format!("{current}: {e}")),
        };
        let status = response.status().as_u16();
        match status {
            200 => {
                let mut reader = response.body_mut().as_reader();
                return match pump(&mut reader, cap, sink, Some(budget)) {
                    Pumped::Done(n) => Fetched::Found(n),
                    Pumped::TooLarge => Fetched::TooLarge,
                    Pumped::Broken(e) => Fetched::Unreachable(format!("{current}: {e}")),
                    Pumped::Sink(e) => Fetched::Failed(format!("{SINK_FAILED}{e}")),
                };
            }
            404 | 410 => return Fetched::Missing,
            301 | 302 | 303 | 307 | 308 => {
                let next = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| resolve(&current, loc));
                match next {
                    Some(next) if origin(&next) == home => current = next,
                    _ => {
                        return Fetched::Failed(format!(
                            "{current}: HTTP {status} redirects off the host; not followed"
                        ))
                    }
                }
            }
            _ => return Fetched::Failed(format!("{current}: HTTP {status}")),
        }
    }
    Fetched::Failed(format!("{url}: too many redirects"))
}

/// Resolves a `Location` header: absolute URLs as they are, absolute paths
/// against the current origin (relative paths are not followed).
fn resolve(current: &Uri, location: &str) -> Option<Uri> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.parse().ok();
    }
    if location.starts_with('/') && !location.starts_with("//") {
        let (scheme, authority) = origin(current)?;
        return format!("{scheme}://{authority}{location}").parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What happens to a file between its check and its opening, by path
    /// (tests run side by side: each names its own files).
    type Hook = (PathBuf, fn(&Path));
    static BEFORE_OPEN: Mutex<Vec<Hook>> = Mutex::new(Vec::new());

    pub(super) fn before_open(path: &Path) {
        let hook = BEFORE_OPEN
            .lock()
            .ok()
            .and_then(|hooks| hooks.iter().find(|(p, _)| p == path).map(|(_, f)| *f));
        if let Some(hook) = hook {
            hook(path);
        }
    }

    fn on_open(path: PathBuf, hook: fn(&Path)) {
        BEFORE_OPEN.lock().unwrap().push((path, hook));
    }

    /// A folder on a network mount that stopped answering: a read that
    /// does not return. The copy is given up at its deadline.
    #[test]
    fn a_folder_read_that_hangs_costs_the_copy_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hung.txt"), b"x").unwrap();
        std::fs::write(dir.path().join("ok.txt"), b"y").unwrap();
        on_open(dir.path().join("hung.txt"), |_| {
            std::thread::sleep(Duration::from_secs(10))
        });
        let limits = NetLimits::with_deadline(Duration::from_millis(300));
        let src = CopySource::open(&dir.path().to_string_lossy(), limits);
        let started = Instant::now();
        let got = src.fetch("hung.txt", 100);
        assert!(started.elapsed() < Duration::from_secs(5), "{got:?}");
        assert!(
            matches!(&got, Fetched::Unreachable(r) if r.contains("deadline")),
            "{got:?}"
        );
        // Given up: nothing more is read, and the copy says why.
        assert!(matches!(src.fetch("ok.txt", 100), Fetched::Unreachable(_)));
        assert!(src.list().is_none());
        assert!(src.trouble().is_some_and(|t| t.contains("--timeout")));
    }

    /// A file swapped for a FIFO between its check and its opening: the
    /// open returns at once, and the FIFO is refused.
    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_after_the_check_is_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.html");
        std::fs::write(&path, b"x").unwrap();
        on_open(path.clone(), |p| {
            std::fs::remove_file(p).unwrap();
            let status = std::process::Command::new("mkfifo").arg(p).status();
            assert!(status.unwrap().success());
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = tx.send(read_file(&path, 100, &mut sink));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("hung on a FIFO");
        assert_eq!(got, Fetched::Failed("not a regular file".into()));
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in [
            "../x",
            "/etc/passwd",
            "a/../../b",
            "a\\b",
            "",
            "a//b",
            "a\u{1b}[2K.html",
            "x\r.html",
            "\u{202e}lmth.exe",
            "a\u{0}b",
        ] {
            assert!(!is_safe_path(p), "{p}");
        }
        assert!(is_safe_path("notes/My-Note.html"));
    }

    #[test]
    fn folder_reads_respect_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"12345").unwrap();
        let src = CopySource::open(&dir.path().to_string_lossy(), NetLimits::default());
        assert_eq!(src.fetch("a.txt", 5), Fetched::Found(b"12345".to_vec()));
        assert_eq!(src.fetch("a.txt", 4), Fetched::TooLarge);
        assert_eq!(src.fetch("b.txt", 4), Fetched::Missing);
        assert!(matches!(src.fetch("../a.txt", 4), Fetched::Failed(_)));
    }

    /// A reader that gives one byte per call, slowly: the minimum rate
    /// drops it after the idle period, whatever the cap allows.
    #[test]
    fn a_slow_stream_is_dropped_and_a_long_one_capped() {
        struct Slow;
        impl Read for Slow {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_millis(20));
                buf[0] = b'x';
                Ok(1)
            }
        }
        let budget = Budget::new(NetLimits {
            deadline: Duration::from_secs(60),
            idle: Duration::from_millis(100),
            min_rate: 1000,
            max_failures: 3,
        });
        let started = Instant::now();
        let mut sink = Vec::new();
        match pump(&mut Slow, u64::MAX, &mut sink, Some(&budget)) {
            Pumped::Broken(e) => assert!(e.contains("too slow"), "{e}"),
            _ => panic!("not dropped"),
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        let mut endless = std::io::repeat(b'A');
        let mut counted = std::io::sink();
        assert!(matches!(
            pump(&mut endless, 1 << 20, &mut counted, Some(&budget)),
            Pumped::TooLarge
        ));
    }
}
