//! A tiny static file server on loopback, started inside a test: serves a
//! folder over HTTP/1.1 (one request per connection), enough for `spore
//! verify` over http and for headless Chromium. Paths are percent-decoded
//! and must stay inside the folder.
//!
//! Responses may be cached as a real host's are (`Cache-Control:
//! max-age=3600` and an `ETag` of the content, answered with `304 Not
//! Modified` to a matching `If-None-Match`), and every request is logged,
//! so a test can count what a browser asked for and what it took from its
//! cache.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request as the server answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The decoded path, without the leading `/` (`integrity/manifest.json`).
    pub path: String,
    /// 200, 304 or 404.
    pub status: u16,
    /// Body bytes sent.
    pub bytes: usize,
}

pub struct StaticServer {
    pub base_url: String,
    log: Arc<Mutex<Vec<Served>>>,
}

impl StaticServer {
    /// Serves `root` until the test process exits.
    pub fn start(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let root = root.to_path_buf();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_in = Arc::clone(&log);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                let log = Arc::clone(&log_in);
                thread::spawn(move || {
                    let _ = handle(stream, &root, &log);
                });
            }
        });
        StaticServer {
            base_url: format!("http://127.0.0.1:{port}/"),
            log,
        }
    }

    /// The requests answered since the last call, in the order answered;
    /// the log is left empty.
    pub fn take_requests(&self) -> Vec<Served> {
        std::mem::take(&mut *self.log.lock().expect("request log"))
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// The request target's path, percent-decoded, without the leading `/`.
fn decoded_path(target: &str) -> String {
    let path = target.split(['?', '#']).next().unwrap_or("");
    super::linkcheck::percent_decode(path.trim_start_matches('/'))
}

fn resolve(root: &Path, decoded: &str) -> Option<PathBuf> {
    let mut full = root.to_path_buf();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => full.push(s),
        }
    }
    if full.is_dir() {
        full.push("index.html");
    }
    Some(full)
}

/// A request's head: its first line (`GET /path HTTP/1.1`) and its header
/// lines, as sent.
pub struct RequestHead {
    pub line: String,
    pub headers: Vec<String>,
}

impl RequestHead {
    /// The value of header `name` (any case), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads a request's head from `stream`.
pub fn read_head(stream: &TcpStream) -> std::io::Result<RequestHead> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        headers.push(header.trim_end().to_string());
    }
    Ok(RequestHead { line, headers })
}

/// Reads a request's head from `stream`: its first line (`GET /path
/// HTTP/1.1`); the headers are read and passed over.
pub fn read_request(stream: &TcpStream) -> std::io::Result<String> {
    read_head(stream).map(|head| head.line)
}

/// A strong validator from the content itself (not the file time, which
/// a test rewriting a file within a second would leave unchanged).
fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &spore::seal::page::sha256_hex(body)[..32])
}

/// Whether `If-None-Match` names the current `tag` (or `*`).
fn not_modified(head: &RequestHead, tag: &str) -> bool {
    head.header("If-None-Match").is_some_and(|list| {
        list.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == tag || t == "*")
    })
}

/// The response to `head` for the file at `path` (if any): its status
/// line, its headers and its body.
fn respond(head: &RequestHead, file: Option<(PathBuf, Vec<u8>)>) -> (u16, String, Vec<u8>) {
    let Some((file, body)) = file else {
        let headers =
            "Content-Type: text/plain\r\nContent-Length: 9\r\nCache-Control: no-store\r\n";
        return (404, headers.into(), b"not found".to_vec());
    };
    let tag = etag(&body);
    let cache = format!("Cache-Control: max-age=3600\r\nETag: {tag}\r\n");
    if not_modified(head, &tag) {
        return (304, cache, Vec::new());
    }
    let headers = format!(
        "Content-Type: {}\r\nContent-Length: {}\r\n{cache}",
        content_type(&file),
        body.len()
    );
    (200, headers, body)
}

fn handle(stream: TcpStream, root: &Path, log: &Mutex<Vec<Served>>) -> std::io::Result<()> {
    let head = read_head(&stream)?;
    let mut parts = head.line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = decoded_path(target);
    let file = resolve(root, &path).and_then(|p| std::fs::read(&p).ok().map(|b| (p, b)));
    let (status, headers, mut body) = respond(&head, file);
    if method == "HEAD" {
        body.clear();
    }
    // Logged before answering: once the browser has the answer, the test
    // may read the log.
    if let Ok(mut log) = log.lock() {
        log.push(Served {
            path,
            status,
            bytes: body.len(),
        });
    }
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        _ => "Not Found",
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\n{headers}Connection: close\r\n\r\n"
    )?;
    stream.write_all(&body)?;
    stream.flush()
}
