//! A hostile mirror on loopback: serves a genuine site folder over
//! HTTP/1.1, except for the paths told to misbehave — an endless body, a
//! host that never answers, a one-byte-a-second drip, a lying
//! Content-Length, replaced bytes (an altered manifest with crafted paths).
//! It counts the bytes it sends, so a test can bound what a client read.
//!
//! ```ignore
//! let mirror = HostileMirror::builder(&site)
//!     .on("index.html", Behaviour::Endless)
//!     .on("integrity/manifest.json", Behaviour::Body(forged))
//!     .start();
//! ```

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the mirror does for one path.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// The file from the folder (404 when there is none).
    Serve,
    /// 200, no length, bytes forever (until the client hangs up).
    Endless,
    /// Reads the request and never answers (until the client hangs up).
    Silent,
    /// 200 with the genuine length, then one byte per `every`.
    Drip { every: Duration },
    /// The genuine body under a false `Content-Length`: cut short when
    /// the claim is shorter, padded with `A`s up to the claim (for ever,
    /// near enough, with a claim of 1 TiB) when it is longer.
    LieLength { claimed: u64 },
    /// Sends `bytes` of the genuine body (with its genuine length), then
    /// stays open and silent.
    Stall { after: usize },
    /// These bytes instead of the file.
    Body(Vec<u8>),
    /// The first request for the path gets the first behaviour, every
    /// later one the second (a mirror that changes between check and
    /// repair).
    FirstThen(Box<Behaviour>, Box<Behaviour>),
}

pub struct HostileMirrorBuilder {
    root: PathBuf,
    rules: HashMap<String, Behaviour>,
    otherwise: Behaviour,
    /// Requests so far, per path.
    counts: Mutex<HashMap<String, usize>>,
}

impl HostileMirrorBuilder {
    /// `path` is a site path as the manifest writes it (`notes/a.html`).
    pub fn on(mut self, path: &str, behaviour: Behaviour) -> Self {
        self.rules.insert(path.to_string(), behaviour);
        self
    }

    /// What every path without its own rule gets (default: [`Behaviour::Serve`]).
    pub fn otherwise(mut self, behaviour: Behaviour) -> Self {
        self.otherwise = behaviour;
        self
    }

    pub fn start(self) -> HostileMirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let sent = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(self);
        {
            let (sent, requests) = (sent.clone(), requests.clone());
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (shared, sent, requests) = (shared.clone(), sent.clone(), requests.clone());
                    thread::spawn(move || {
                        let _ = handle(stream, &shared, &sent, &requests);
                    });
                }
            });
        }
        HostileMirror {
            base_url: format!("http://127.0.0.1:{port}/"),
            sent,
            requests,
        }
    }
}

pub struct HostileMirror {
    pub base_url: String,
    sent: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl HostileMirror {
    /// Serves `root` (a site folder) until the test process exits.
    pub fn builder(root: &Path) -> HostileMirrorBuilder {
        HostileMirrorBuilder {
            root: root.to_path_buf(),
            rules: HashMap::new(),
            otherwise: Behaviour::Serve,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Body bytes sent so far, all paths together.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// The decoded paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Writes body bytes, counting them; false once the client is gone.
fn send(stream: &mut TcpStream, bytes: &[u8], sent: &AtomicU64) -> bool {
    match stream.write_all(bytes) {
        Ok(()) => {
            sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
            true
        }
        Err(_) => false,
    }
}

/// Waits until the client hangs up (a read returns 0 or fails).
fn hold(stream: &mut TcpStream) {
    let mut buf = [0u8; 512];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

fn head(stream: &mut TcpStream, status: &str, length: Option<u64>) -> std::io::Result<()> {
    let length = length
        .map(|n| format!("Content-Length: {n}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n{length}Connection: close\r\n\r\n"
    )
}

fn handle(
    mut stream: TcpStream,
    mirror: &HostileMirrorBuilder,
    sent: &AtomicU64,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let request_line = super::static_server::read_request(&stream)?;
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let raw = target.split(['?', '#']).next().unwrap_or("");
    let path = super::linkcheck::percent_decode(raw.trim_start_matches('/'));
    if let Ok(mut r) = requests.lock() {
        r.push(path.clone());
    }
    let earlier = mirror
        .counts
        .lock()
        .map(|mut c| {
            let n = c.entry(path.clone()).or_insert(0);
            *n += 1;
            *n - 1
        })
        .unwrap_or(0);
    let mut behaviour = mirror.rules.get(&path).unwrap_or(&mirror.otherwise).clone();
    while let Behaviour::FirstThen(first, then) = behaviour {
        behaviour = if earlier == 0 { *first } else { *then };
    }
    let genuine = || -> Option<Vec<u8>> {
        if path.split('/').any(|s| s == "..") {
            return None;
        }
        std::fs::read(mirror.root.join(&path)).ok()
    };
    match behaviour {
        Behaviour::Serve => match genuine() {
            Some(body) => {
                head(&mut stream, "200 OK", Some(body.len() as u64))?;
                send(&mut stream, &body, sent);
            }
            None => head(&mut stream, "404 Not Found", Some(0))?,
        },
        Behaviour::Body(body) => {
            head(&mut stream, "200 OK", Some(body.len() as u64))?;
            send(&mut stream, &body, sent);
        }
        Behaviour::Endless => {
            head(&mut stream, "200 OK", None)?;
            let chunk = vec![b'A'; 64 << 10];
            while send(&mut stream, &chunk, sent) {}
        }
        Behaviour::Silent => hold(&mut stream),
        Behaviour::Drip { every } => {
            let body = genuine().unwrap_or_default();
            head(&mut stream, "200 OK", Some(body.len() as u64))?;
            for b in body {
                if !send(&mut stream, &[b], sent) {
                    break;
                }
                thread::sleep(every);
            }
        }
        Behaviour::LieLength { claimed } => {
            let body = genuine().unwrap_or_default();
            head(&mut stream, "200 OK", Some(claimed))?;
            let n = claimed.min(body.len() as u64) as usize;
            let mut left = claimed - n as u64;
            let chunk = vec![b'A'; 64 << 10];
            if send(&mut stream, &body[..n], sent) {
                while left > 0 {
                    let k = left.min(chunk.len() as u64) as usize;
                    if !send(&mut stream, &chunk[..k], sent) {
                        break;
                    }
                    left -= k as u64;
                }
            }
        }
        Behaviour::FirstThen(..) => {}
        Behaviour::Stall { after } => {
            let body = genuine().unwrap_or_default();
            head(&mut stream, "200 OK", Some(body.len() as u64))?;
            if send(&mut stream, &body[..after.min(body.len())], sent) {
                hold(&mut stream);
            }
        }
    }
    stream.flush()
}
