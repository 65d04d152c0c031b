//! A loopback HTTP/1.1 server that answers `Range` requests, as BitTorrent
//! web seeds need (BEP 19 clients fetch pieces as byte ranges of files;
//! Python's `http.server` ignores `Range`). Each route maps a URL folder
//! to a local folder, so one server can play several mirrors, each with
//! the site under its own path. Connections are kept alive and pipelined
//! requests answered in order (libtorrent sends several GETs at once for a
//! piece spanning files). Every request is logged.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The decoded path, with its leading `/`.
    pub path: String,
    pub range: Option<String>,
    pub status: u16,
}

pub struct RangeServer {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub origin: String,
    log: Arc<Mutex<Vec<Served>>>,
}

impl RangeServer {
    /// Serves `routes`: a request for `<prefix><rest>` (`prefix` like
    /// `/mirror/wiki/`) gets `<folder>/<rest>`.
    pub fn start(routes: Vec<(String, PathBuf)>) -> RangeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let routes = Arc::new(routes);
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_in = Arc::clone(&log);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&log_in);
                thread::spawn(move || {
                    let _ = serve_connection(stream, &routes, &log);
                });
            }
        });
        RangeServer {
            origin: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    pub fn requests(&self) -> Vec<Served> {
        self.log.lock().expect("request log").clone()
    }
}

fn serve_connection(
    stream: TcpStream,
    routes: &[(String, PathBuf)],
    log: &Mutex<Vec<Served>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut range = None;
        let mut close = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("range") {
                    range = Some(value.to_string());
                } else if name.eq_ignore_ascii_case("connection")
                    && value.eq_ignore_ascii_case("close")
                {
                    close = true;
                }
            }
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("");
        let raw_path = target.split(['?', '#']).next().unwrap_or("");
        let path = percent_encoding::percent_decode_str(raw_path)
            .decode_utf8_lossy()
            .into_owned();
        let status = answer(&mut out, &method, &path, range.as_deref(), routes)?;
        log.lock().expect("request log").push(Served {
            path,
            range,
            status,
        });
        if close {
            return Ok(());
        }
    }
}

fn resolve(routes: &[(String, PathBuf)], path: &str) -> Option<PathBuf> {
    routes.iter().find_map(|(prefix, folder)| {
        let rest = path.strip_prefix(prefix.as_str())?;
        let mut full = folder.clone();
        for seg in rest.split('/') {
            match seg {
                "" | "." => {}
                ".." => return None,
                s => full.push(s),
            }
        }
        full.is_file().then_some(full)
    })
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range), as `start..end`.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.saturating_sub(n), len)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len
        } else {
            (b.parse::<u64>().ok()? + 1).min(len)
        };
        (start, end)
    };
    (start < end).then_some((start, end))
}

fn answer(
    out: &mut TcpStream,
    method: &str,
    path: &str,
    range: Option<&str>,
    routes: &[(String, PathBuf)],
) -> std::io::Result<u16> {
    let found = (method == "GET" || method == "HEAD")
        .then(|| resolve(routes, path))
        .flatten();
    let Some(file) = found else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(404);
    };
    let len = std::fs::metadata(&file)?.len();
    let (status, start, end) = match range {
        None => (200, 0, len),
        Some(r) => match parse_range(r, len) {
            Some((s, e)) => (206, s, e),
            None => {
                write!(
                    out,
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\n\r\n"
                )?;
                return Ok(416);
            }
        },
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nContent-Length: {}\r\n",
        if status == 206 { "Partial Content" } else { "OK" },
        end - start
    );
    if status == 206 {
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{len}\r\n",
            end - 1
        ));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if method == "GET" {
        let mut f = File::open(&file)?;
        f.seek(SeekFrom::Start(start))?;
        std::io::copy(&mut f.take(end - start), out)?;
    }
    Ok(status)
}

/// Whether `path` (relative) has a component starting with `.`.
pub fn is_dotted(path: &str) -> bool {
    path.split('/').any(|c| c.starts_with('.'))
}

/// Every file below `dir` but dot-files and those in dot-folders, with its
/// bytes, sorted by path.
pub fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    super::fixture::list_files(dir)
        .into_iter()
        .filter(|p| !is_dotted(p))
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}
