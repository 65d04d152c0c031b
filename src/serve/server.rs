//! HTTP: answers GET and HEAD from the site by exact key — made files from
//! memory, published attachments streamed from the vault through
//! [`crate::load::attachment::open`] (so a request can never reach a file
//! outside the site, nor one swapped in since the walk) — and the
//! live-reload websocket; only for requests addressed to this machine
//! ([`super::hosts`]).

use super::hosts::HostPolicy;
use super::reload::{self, LiveState, SOCKET_PATH};
use crate::site::{Site, SiteFile, VaultFile};
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use percent_encoding::percent_decode_str;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// What is served right now.
pub struct Snapshot {
    /// The last good site; empty while no build has succeeded yet.
    pub site: Arc<Site>,
    pub state: LiveState,
}

/// Shared between the HTTP handlers and the rebuild thread.
#[derive(Clone)]
pub struct Shared {
    current: Arc<RwLock<Arc<Snapshot>>>,
    changed: broadcast::Sender<()>,
}

impl Shared {
    pub fn new(snapshot: Snapshot) -> Shared {
        let (changed, _) = broadcast::channel(16);
        Shared {
            current: Arc::new(RwLock::new(Arc::new(snapshot))),
            changed,
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Swaps in a new snapshot, then tells every open page.
    pub fn publish(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        // No receiver (no open page) is fine.
        let _ = self.changed.send(());
    }
}

/// Every route, behind the [`HostPolicy`] guard (DNS rebinding).
pub fn router(shared: Shared, hosts: HostPolicy) -> Router {
    Router::new()
        .route(&format!("/{SOCKET_PATH}"), get(live_socket))
        .fallback(serve_file)
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            super::hosts::guard,
        ))
}

async fn live_socket(ws: WebSocketUpgrade, State(shared): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| talk(socket, shared))
}

async fn talk(mut socket: WebSocket, shared: Shared) {
    let mut changed = shared.changed.subscribe();
    loop {
        let json = shared.current().state.to_json();
        if socket.send(Message::Text(json.into())).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                news = changed.recv() => match news {
                    // Lagging behind only means several rebuilds: send the latest.
                    Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
}

/// Where a request path leads in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An exact site key (`folder/Note.html`).
    File(String),
    /// Not a path into the site: `..`, `.`, empty segments, encoded `/` or
    /// `\`, NUL or control characters, drive letters, invalid UTF-8.
    Invalid,
}

/// Turns a raw request path (still percent-encoded) into a site key.
/// `/` and `dir/` mean `index.html` and `dir/index.html`.
pub fn site_key(raw_path: &str) -> Lookup {
    let Some(rest) = raw_path.strip_prefix('/') else {
        return Lookup::Invalid;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let mut parts: Vec<String> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() {
            if last {
                parts.push("index.html".into());
                break;
            }
            return Lookup::Invalid;
        }
        let Ok(decoded) = percent_decode_str(segment).decode_utf8() else {
            return Lookup::Invalid;
        };
        let bad = decoded == "."
            || decoded == ".."
            || decoded.contains(['/', '\\', ':'])
            || decoded.chars().any(char::is_control);
        if bad {
            return Lookup::Invalid;
        }
        parts.push(decoded.into_owned());
    }
    Lookup::File(parts.join("/"))
}

fn content_type(key: &str) -> HeaderValue {
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.subtype().as_str(),
            "javascript" | "json" | "xml" | "svg"
        );
    let value = if textual && mime.get_param("charset").is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn respond(
    method: &Method,
    status: StatusCode,
    content_type: HeaderValue,
    body: Vec<u8>,
) -> Response {
    let length = body.len() as u64;
    respond_with(method, status, content_type, length, || Body::from(body))
}

/// A response of `length` bytes made by `body`, with the headers every
/// answer carries; a HEAD request gets the headers only (`body` is not
/// called).
fn respond_with(
    method: &Method,
    status: StatusCode,
    content_type: HeaderValue,
    length: u64,
    body: impl FnOnce() -> Body,
) -> Response {
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        body()
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn serve_file(method: Method, uri: Uri, State(shared): State<Shared>) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n").into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let snapshot = shared.current();
    let version = snapshot.state.version.as_str();
    let html = || HeaderValue::from_static("text/html; charset=utf-8");
    if snapshot.site.files.is_empty() {
        return respond(
            &method,
            StatusCode::SERVICE_UNAVAILABLE,
            html(),
            reload::error_page(version),
        );
    }
    let found = match site_key(uri.path()) {
        Lookup::File(key) => snapshot.site.file(&key).map(|file| (key, file)),
        Lookup::Invalid => None,
    };
    if let Some((key, file)) = found {
        let bytes = match file {
            SiteFile::Made(bytes) => bytes.clone(),
            SiteFile::Vault(file) => return stream_vault_file(&method, &key, file).await,
            // Made on this first request, off the async workers.
            SiteFile::Deferred(later) => {
                let later = later.clone();
                match tokio::task::spawn_blocking(move || later.bytes().clone()).await {
                    Ok(bytes) => bytes,
                    Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        };
        let body = if key.ends_with(".html") {
            reload::inject(&bytes, &crate::portable::root_prefix(&key), version)
        } else {
            bytes.to_vec()
        };
        return respond(&method, StatusCode::OK, content_type(&key), body);
    }
    // `/folder` for `/folder/`: relative links need the slash.
    if let Lookup::File(key) = site_key(uri.path()) {
        if snapshot.site.get(&format!("{key}/index.html")).is_some() {
            let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("{}/", uri.path())) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
    }
    // The 404 page is written for the site root; `<base>` keeps its
    // relative links working when it answers a deeper path.
    let body = match snapshot.site.get("404.html") {
        Some(page) => reload::inject(&with_root_base(page), "", version),
        None => b"Not found\n".to_vec(),
    };
    respond(&method, StatusCode::NOT_FOUND, html(), body)
}

/// An attachment, read from the vault in pieces while it is sent: memory
/// per request is a few pieces, whatever the file's size. A file that is
/// no longer the one the site was built from (being replaced right now:
/// a rebuild follows) gets a 503.
async fn stream_vault_file(method: &Method, key: &str, file: &VaultFile) -> Response {
    use crate::load::attachment;
    let source = file.source.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let file = attachment::open(&source)?;
        let len = file
            .metadata()
            .map_err(|e| attachment::AttachmentError::Io {
                path: source.path.clone(),
                source: e,
            })?
            .len();
        Ok::<_, attachment::AttachmentError>((file, len))
    })
    .await;
    let (file, len) = match opened {
        Ok(Ok(opened)) => opened,
        Ok(Err(e)) => {
            let mut response = respond(
                method,
                StatusCode::SERVICE_UNAVAILABLE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
                format!("{e}\n").into_bytes(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    respond_with(method, StatusCode::OK, content_type(key), len, || {
        Body::from_stream(chunks(file, len))
    })
}

/// The first `len` bytes of `file` as a stream of pieces, read on a
/// blocking thread a few pieces ahead of the client (it stops when the
/// client goes away).
fn chunks(file: std::fs::File, len: u64) -> Chunks {
    use std::io::Read;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut file = file.take(len);
        loop {
            let mut buf = vec![0u8; crate::load::attachment::CHUNK];
            let piece = match file.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(axum::body::Bytes::from(buf))
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = piece.is_err();
            if tx.blocking_send(piece).is_err() || failed {
                return;
            }
        }
    });
    Chunks(rx)
}

/// Pieces of a file on their way to the client.
struct Chunks(tokio::sync::mpsc::Receiver<std::io::Result<axum::body::Bytes>>);

impl futures_core::Stream for Chunks {
    type Item = std::io::Result<axum::body::Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

fn with_root_base(page: &[u8]) -> Vec<u8> {
    let at = page
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"<head>"))
        .map(|i| i + 6);
    match at {
        Some(at) => [&page[..at], b"<base href=\"/\">".as_slice(), &page[at..]].concat(),
        None => page.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(site_key("/"), Lookup::File("index.html".into()));
        assert_eq!(site_key("/a/"), Lookup::File("a/index.html".into()));
        assert_eq!(
            site_key("/a/My%20Note.html"),
            Lookup::File("a/My Note.html".into())
        );
        for bad in [
            "/../etc/passwd",
            "/a/../b.html",
            "/%2e%2e/x",
            "/a%2fb.html",
            "/a%5cb.html",
            "/a\\b.html",
            "//etc/passwd",
            "/a/%00.html",
            "/C:/x",
            "/%ff.html",
            "/./a.html",
            "relative",
        ] {
            assert_eq!(site_key(bad), Lookup::Invalid, "{bad}");
        }
    }
}
