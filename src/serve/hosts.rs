//! Which requests the preview answers, against DNS rebinding: a web page on
//! a name the attacker controls (`evil.example`) can make that name resolve
//! to 127.0.0.1 and then read the preview — drafts included — as if it were
//! its own site. The browser still sends the attacker's name in `Host` and
//! the page's origin in `Origin`, so (as Vite and webpack-dev-server do
//! since their CVEs) only these are answered:
//!
//! - `Host` is `localhost`, an IP address (a rebinding needs a *name*), or
//!   a name given with `--allow-host`; the port is not checked, so an SSH
//!   tunnel or a port forward keeps working;
//! - `Origin`, when present (always for the live-reload websocket opened
//!   by a page), is `http://` or `https://` with such a host.
//!
//! Anything else gets a 403 saying how to allow the name.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// The names answered besides localhost and IP addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    allowed: Vec<String>,
}

impl HostPolicy {
    /// `allowed`: extra host names (`--allow-host`), any case, without port.
    pub fn new(allowed: &[String]) -> HostPolicy {
        let allowed = allowed
            .iter()
            .map(|name| name.trim_end_matches('.').to_ascii_lowercase())
            .filter(|name| !name.is_empty())
            .collect();
        HostPolicy { allowed }
    }

    /// Whether a `Host` header value (`name[:port]`) names this server.
    pub fn allows_host(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if name.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = name.to_ascii_lowercase();
        name == "localhost" || self.allowed.contains(&name)
    }

    /// Whether an `Origin` header value may talk to this server.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let Some(rest) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        // An origin is scheme, host and port: nothing else may follow.
        !rest.contains(['/', '?', '#', '@', '\\']) && self.allows_host(rest)
    }
}

/// The name part of `name[:port]` or `[v6]:port`; `None` when malformed.
fn host_name(host: &str) -> Option<&str> {
    let valid_port = |port: &str| {
        port.is_empty() || (port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':')?,
        };
        return valid_port(port).then_some(inside);
    }
    let (name, port) = host.rsplit_once(':').unwrap_or((host, ""));
    let good_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    (good_name && valid_port(port)).then_some(name)
}

/// The axum middleware: refuses what [`HostPolicy`] does not allow.
pub async fn guard(
    State(policy): State<Arc<HostPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or(""))
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    // An absolute-form request (`GET http://name/ HTTP/1.1`) names its host
    // twice; both must be allowed.
    let authority = request.uri().authority().map(|a| a.as_str());
    let refused = match host {
        None => Some("a request without a Host header".to_string()),
        Some(h) if !policy.allows_host(h) => Some(shown(h)),
        _ => authority.filter(|a| !policy.allows_host(a)).map(shown),
    };
    if let Some(name) = refused {
        return refuse(&format!(
            "this preview answers only requests addressed to localhost or an IP address, \
             not to {name}."
        ));
    }
    let host = host.unwrap_or("");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !policy.allows_origin(origin) {
            return refuse(&format!(
                "pages from {} may not talk to this preview (it is served as {}).",
                shown(origin),
                shown(host)
            ));
        }
    }
    next.run(request).await
}

/// A header value as printed: printable ASCII only, at most 100 characters.
fn shown(value: &str) -> String {
    let mut text: String = value
        .chars()
        .take(100)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if value.chars().count() > 100 {
        text.push('…');
    }
    format!("\"{text}\"")
}

fn refuse(why: &str) -> Response {
    let body = format!(
        "403 Forbidden: {why}\n\
         This keeps other web sites from reading your preview (DNS rebinding).\n\
         To open the preview under another name, for example on your network, \
         restart it with `spore serve --allow-host NAME`.\n"
    );
    let mut response = (StatusCode::FORBIDDEN, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let policy = HostPolicy::new(&["Wiki.Lan.".to_string()]);
        for good in [
            "localhost",
            "LOCALHOST:3000",
            "127.0.0.1:3000",
            "192.168.1.20:80",
            "[::1]:3000",
            "[::1]",
            "wiki.lan:3000",
            "WIKI.LAN",
        ] {
            assert!(policy.allows_host(good), "{good}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example:3000",
            "127.0.0.1.nip.io:3000",
            "localhost:x",
            "localhost:3000:3000",
            "[::1",
            "[evil]:3000",
            "::1",
            "user@localhost",
            "other.lan",
        ] {
            assert!(!policy.allows_host(bad), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let policy = HostPolicy::new(&[]);
        for good in [
            "http://localhost:3000",
            "https://localhost",
            "http://127.0.0.1:3000",
            "http://[::1]:3000",
        ] {
            assert!(policy.allows_origin(good), "{good}");
        }
        for bad in [
            "null",
            "",
            "file://",
            "http://evil.example",
            "http://localhost.evil.example",
            "http://localhost@evil.example",
            "http://localhost:3000/path",
            "ws://localhost:3000",
            "chrome-extension://abc",
        ] {
            assert!(!policy.allows_origin(bad), "{bad}");
        }
    }
}
