//! `spore serve`: the site served from memory, rebuilt on every save, with
//! pages that reload themselves.
//!
//! Three parts, each on its own thread: the HTTP server ([`server`], axum on
//! a small tokio runtime) answers from the current [`server::Snapshot`]; the
//! file watcher (notify with a short debouncer) turns events into
//! [`incremental::Changes`] ([`watch`]); the rebuild thread applies them to
//! the [`incremental::LiveSite`], swaps in the new site and tells every open
//! page over the websocket ([`reload`]). Only this module knows HTTP.

pub mod hosts;
pub mod incremental;
pub mod published;
pub mod reload;
pub mod server;
pub mod watch;

use crate::config::Config;
use crate::pipeline::BuildOptions;
use crate::site::Site;
use incremental::{Changes, LiveSite, RebuildSummary};
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult};
use reload::LiveState;
use server::{Shared, Snapshot};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;
use thiserror::Error;
use watch::{VaultCheck, VaultFolder, WatchPlan};

/// How many ports after the asked one are tried when it is busy.
const PORT_TRIES: u16 = 20;

/// How often the vault folder's identity is checked without events.
const VAULT_CHECK: Duration = Duration::from_millis(500);

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("ports {first} to {last} on {ip} are all in use; choose another with --port")]
    NoFreePort { ip: IpAddr, first: u16, last: u16 },
    #[error("cannot watch {path} for changes: {message}")]
    Watch { path: String, message: String },
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
}

/// Something the terminal should hear about.
#[derive(Debug, Clone)]
pub enum ServeEvent {
    /// The first build finished (or failed: then `error` says why).
    Started {
        error: Option<String>,
        /// Every warning of the first build (empty when it failed).
        warnings: Vec<crate::diagnostics::Diagnostic>,
    },
    Rebuilt(RebuildSummary),
    /// A rebuild failed; the last good site is still served.
    Failed(String),
    /// The watcher reported a problem.
    WatchProblem(String),
    /// The vault folder was deleted or renamed away; the last good site is
    /// still served until it is back.
    VaultMissing(PathBuf),
    /// The vault folder is back, or another folder took its name: it is
    /// watched again and everything rebuilt.
    VaultReplaced(PathBuf),
}

pub type EventSink = Arc<dyn Fn(&ServeEvent) + Send + Sync>;

#[derive(Clone)]
pub struct ServeOptions {
    pub bind: IpAddr,
    /// 0 picks any free port.
    pub port: u16,
    /// Try the next ports when `port` is busy.
    pub next_free_port: bool,
    pub build: BuildOptions,
    /// How long the watcher waits for a burst of events to settle.
    pub debounce: Duration,
    pub on_event: Option<EventSink>,
    /// Host names answered besides localhost and IP addresses
    /// (`--allow-host`); see [`hosts`].
    pub allowed_hosts: Vec<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            next_free_port: true,
            build: BuildOptions::default(),
            debounce: Duration::from_millis(25),
            on_event: None,
            allowed_hosts: Vec::new(),
        }
    }
}

/// A running server. Dropping it (or [`Server::stop`]) shuts everything down.
pub struct Server {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    http: Option<tokio::task::JoinHandle<()>>,
    rebuild: Option<JoinHandle<()>>,
    stop_rebuild: Option<mpsc::Sender<Batch>>,
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:3000/`.
    pub fn url(&self) -> String {
        let host = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        format!("http://{host}:{}/", self.addr.port())
    }

    /// Blocks until Ctrl-C, then stops.
    pub fn run_until_ctrl_c(mut self) {
        if let Some(runtime) = &self.runtime {
            let _ = runtime.block_on(tokio::signal::ctrl_c());
        }
        self.shut_down();
    }

    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop_rebuild.take() {
            let _ = stop.send(Batch::Stop);
        }
        if let Some(rebuild) = self.rebuild.take() {
            let _ = rebuild.join();
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            if let Some(http) = self.http.take() {
                let _ = runtime
                    .block_on(async { tokio::time::timeout(Duration::from_secs(2), http).await });
            }
            // Open websockets end with the runtime.
            runtime.shutdown_timeout(Duration::from_millis(500));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Messages to the rebuild thread.
enum Batch {
    Events(DebounceEventResult),
    Stop,
}

/// Builds the site, starts serving it and watching for changes.
pub fn start(config: Config, options: ServeOptions) -> Result<Server, ServeError> {
    let emit = |event: ServeEvent| {
        if let Some(sink) = &options.on_event {
            sink(&event);
        }
    };
    let listener = bind(options.bind, options.port, options.next_free_port)?;
    let addr = listener.local_addr().map_err(ServeError::Runtime)?;
    listener
        .set_nonblocking(true)
        .map_err(ServeError::Runtime)?;

    let instance = instance_id();
    let plan = WatchPlan::new(&config);
    let (live, snapshot) = match LiveSite::build(config.clone(), options.build.clone()) {
        Ok(live) => {
            let snapshot = Snapshot {
                site: live.shared_site(),
                state: state(&instance, 1, None, Vec::new()),
            };
            emit(ServeEvent::Started {
                error: None,
                warnings: live.warnings(),
            });
            (Some(live), snapshot)
        }
        Err(e) => {
            let message = e.to_string();
            emit(ServeEvent::Started {
                error: Some(message.clone()),
                warnings: Vec::new(),
            });
            let snapshot = Snapshot {
                site: Arc::new(Site::default()),
                state: state(&instance, 1, Some(message), Vec::new()),
            };
            (None, snapshot)
        }
    };
    let shared = Shared::new(snapshot);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("spore-serve")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let router = server::router(
        shared.clone(),
        hosts::HostPolicy::new(&options.allowed_hosts),
    );
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(ServeError::Runtime)?
    };
    let http = runtime.spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = shutdown_rx.await;
            })
            .await;
    });

    let (tx, rx) = mpsc::channel::<Batch>();
    let events_tx = tx.clone();
    let mut debouncer = new_debouncer(options.debounce, None, move |result| {
        let _ = events_tx.send(Batch::Events(result));
    })
    .map_err(|e| ServeError::Watch {
        path: config.vault.display().to_string(),
        message: e.to_string(),
    })?;
    for (path, recursive) in plan.watched() {
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        debouncer
            .watch(&path, mode)
            .map_err(|e| ServeError::Watch {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
    }

    let watched = plan.watched().into_iter().map(|(p, _)| p).collect();
    let rebuild_loop = RebuildLoop {
        live,
        vault: VaultFolder::new(&config.vault),
        config,
        options: options.clone(),
        plan,
        shared,
        instance,
        version: 1,
        watched,
    };
    let rebuild = std::thread::Builder::new()
        .name("spore-rebuild".into())
        .spawn(move || rebuild_loop.run(rx, debouncer))
        .map_err(ServeError::Runtime)?;

    Ok(Server {
        addr,
        runtime: Some(runtime),
        shutdown: Some(shutdown),
        http: Some(http),
        rebuild: Some(rebuild),
        stop_rebuild: Some(tx),
    })
}

/// Listens on `port`, or the next free one when allowed.
fn bind(ip: IpAddr, port: u16, next_free: bool) -> Result<TcpListener, ServeError> {
    let tries = if next_free && port != 0 {
        PORT_TRIES
    } else {
        1
    };
    let mut last_error = None;
    for offset in 0..tries {
        let Some(p) = port.checked_add(offset) else {
            break;
        };
        let addr = SocketAddr::new(ip, p);
        match TcpListener::bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries > 1 => {
                last_error = Some(e)
            }
            Err(source) => return Err(ServeError::Bind { addr, source }),
        }
    }
    match last_error {
        Some(_) => Err(ServeError::NoFreePort {
            ip,
            first: port,
            last: port.saturating_add(tries - 1),
        }),
        None => Err(ServeError::NoFreePort {
            ip,
            first: port,
            last: port,
        }),
    }
}

/// Distinguishes this run's versions from an earlier run's, so pages
/// served by a previous `spore serve` reload when it comes back.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{:x}", nanos, std::process::id())
}

fn state(instance: &str, version: u64, error: Option<String>, warnings: Vec<String>) -> LiveState {
    LiveState {
        version: format!("{instance}.{version}"),
        error,
        warnings,
    }
}

struct RebuildLoop {
    /// `None` while no build has succeeded yet.
    live: Option<LiveSite>,
    config: Config,
    options: ServeOptions,
    plan: WatchPlan,
    shared: Shared,
    instance: String,
    version: u64,
    /// Folders being watched (a templates or theme folder created later is
    /// added).
    watched: Vec<PathBuf>,
    /// The vault folder's identity: watched again when it is replaced.
    vault: VaultFolder,
}

impl RebuildLoop {
    fn emit(&self, event: ServeEvent) {
        if let Some(sink) = &self.options.on_event {
            sink(&event);
        }
    }

    fn run<W: notify_debouncer_full::notify::Watcher, C: notify_debouncer_full::FileIdCache>(
        mut self,
        rx: mpsc::Receiver<Batch>,
        mut debouncer: notify_debouncer_full::Debouncer<W, C>,
    ) {
        loop {
            let mut changes = Changes::default();
            let mut stop = match rx.recv_timeout(VAULT_CHECK) {
                Ok(batch) => !self.take(batch, &mut changes),
                Err(mpsc::RecvTimeoutError::Timeout) => false,
                Err(mpsc::RecvTimeoutError::Disconnected) => true,
            };
            // Everything already waiting goes into the same rebuild.
            while let Ok(more) = rx.try_recv() {
                stop |= !self.take(more, &mut changes);
            }
            if stop {
                break;
            }
            if !self.check_vault(&mut debouncer, &mut changes) {
                // Gone: nothing to rebuild from; the last good site stays.
                continue;
            }
            self.watch_new_folders(&mut debouncer, &mut changes);
            if !changes.is_empty() {
                self.rebuild(changes);
                // A new book.toml may name another vault or theme.
                let mut more = Changes::default();
                self.watch_new_folders(&mut debouncer, &mut more);
                if !more.is_empty() {
                    self.rebuild(more);
                }
            }
        }
        debouncer.stop();
    }

    /// Adds a batch's events to `changes`; false means stop.
    fn take(&self, batch: Batch, changes: &mut Changes) -> bool {
        match batch {
            Batch::Stop => false,
            Batch::Events(Ok(events)) => {
                for event in events {
                    if matches!(event.kind, EventKind::Access(_)) {
                        continue;
                    }
                    if event.need_rescan() {
                        changes.config = true;
                    }
                    for path in &event.paths {
                        self.plan.add(changes, path);
                    }
                }
                true
            }
            Batch::Events(Err(errors)) => {
                for e in errors {
                    self.emit(ServeEvent::WatchProblem(e.to_string()));
                }
                // Events may be lost: rebuild everything to be sure.
                changes.config = true;
                true
            }
        }
    }

    /// Notices a vault folder deleted, re-created or renamed over: says
    /// so, watches the new folder and asks for a full rebuild. False while
    /// the folder is gone (then nothing is rebuilt).
    fn check_vault<
        W: notify_debouncer_full::notify::Watcher,
        C: notify_debouncer_full::FileIdCache,
    >(
        &mut self,
        debouncer: &mut notify_debouncer_full::Debouncer<W, C>,
        changes: &mut Changes,
    ) -> bool {
        if self.vault.path() != self.plan.vault {
            // book.toml names another vault: watch_new_folders watches it.
            self.vault = VaultFolder::new(&self.plan.vault);
            return true;
        }
        match self.vault.check() {
            VaultCheck::Same => true,
            VaultCheck::Missing { first } => {
                if changes.config && self.vault_moved() {
                    // book.toml now names another vault, which exists.
                    return true;
                }
                if first {
                    let path = self.plan.vault.clone();
                    let previous = self.shared.current();
                    let message = format!(
                        "the vault folder {} is gone (deleted or renamed); still serving the \
                         last good site until a folder by that name is back",
                        path.display()
                    );
                    self.shared.publish(Snapshot {
                        site: previous.site.clone(),
                        state: state(&self.instance, self.version, Some(message), Vec::new()),
                    });
                    self.emit(ServeEvent::VaultMissing(path));
                }
                false
            }
            VaultCheck::Replaced => {
                let path = self.plan.vault.clone();
                // The old watch follows the old folder wherever it went.
                let _ = debouncer.unwatch(&path);
                match debouncer.watch(&path, RecursiveMode::Recursive) {
                    Ok(()) => {
                        if !self.watched.contains(&path) {
                            self.watched.push(path.clone());
                        }
                    }
                    Err(e) => {
                        self.watched.retain(|p| p != &path);
                        self.emit(ServeEvent::WatchProblem(format!(
                            "cannot watch {}: {e}",
                            path.display()
                        )));
                    }
                }
                self.emit(ServeEvent::VaultReplaced(path));
                changes.config = true;
                true
            }
        }
    }

    /// Whether book.toml now names another vault folder, one that exists.
    fn vault_moved(&self) -> bool {
        Config::discover(&self.config.root)
            .is_ok_and(|c| c.vault != self.plan.vault && c.vault.is_dir())
    }

    /// A templates or theme folder created after start gets watched too;
    /// whatever is already in it counts as changed.
    fn watch_new_folders<
        W: notify_debouncer_full::notify::Watcher,
        C: notify_debouncer_full::FileIdCache,
    >(
        &mut self,
        debouncer: &mut notify_debouncer_full::Debouncer<W, C>,
        changes: &mut Changes,
    ) {
        if !self.watched.contains(&self.plan.vault)
            && debouncer
                .watch(&self.plan.vault, RecursiveMode::Recursive)
                .is_ok()
        {
            self.watched.push(self.plan.vault.clone());
            changes.config = true;
        }
        for dir in [self.plan.templates.clone(), self.plan.theme.clone()] {
            if dir.starts_with(&self.plan.vault) || self.watched.contains(&dir) || !dir.is_dir() {
                continue;
            }
            if debouncer.watch(&dir, RecursiveMode::Recursive).is_ok() {
                self.watched.push(dir);
                changes.theme = true;
            }
        }
    }

    fn rebuild(&mut self, changes: Changes) {
        let result = match self.live.as_mut() {
            Some(live) => live.apply_without_warnings(changes).map(Some),
            None => {
                // No good build yet: every change is a fresh attempt.
                let config =
                    Config::discover(&self.config.root).map_err(incremental::RebuildError::from);
                config
                    .and_then(|c| LiveSite::build(c, self.options.build.clone()))
                    .map(|live| {
                        self.live = Some(live);
                        None
                    })
            }
        };
        let previous = self.shared.current();
        match result {
            Ok(summary) => {
                if let Some(live) = &self.live {
                    let now = live.config();
                    if now.vault != self.config.vault
                        || now.theme != self.config.theme
                        || now.output != self.config.output
                    {
                        self.config = live.config().clone();
                        self.plan = WatchPlan::new(&self.config);
                    }
                }
                let changed = summary.as_ref().is_none_or(|s| s.site_changed);
                let warnings: Vec<String> = summary
                    .as_ref()
                    .map(|s| s.diagnostics.iter().map(|d| d.to_string()).collect())
                    .unwrap_or_default();
                let was_error = previous.state.error.is_some();
                if changed || was_error || warnings != previous.state.warnings {
                    if changed {
                        self.version += 1;
                    }
                    let site = match (&self.live, changed) {
                        (Some(live), true) => live.shared_site(),
                        _ => previous.site.clone(),
                    };
                    self.shared.publish(Snapshot {
                        site,
                        state: state(&self.instance, self.version, None, warnings),
                    });
                }
                // After the reload is announced: collecting every warning
                // is nobody's wait.
                let warnings = self.live.as_ref().map(|l| l.warnings()).unwrap_or_default();
                self.emit(ServeEvent::Rebuilt(match summary {
                    Some(summary) => RebuildSummary {
                        warnings,
                        ..summary
                    },
                    None => RebuildSummary {
                        full: true,
                        site_changed: true,
                        warnings,
                        ..RebuildSummary::default()
                    },
                }));
            }
            Err(e) => {
                let message = e.to_string();
                self.shared.publish(Snapshot {
                    site: previous.site.clone(),
                    state: state(
                        &self.instance,
                        self.version,
                        Some(message.clone()),
                        Vec::new(),
                    ),
                });
                self.emit(ServeEvent::Failed(message));
            }
        }
    }
}
