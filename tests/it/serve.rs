//! `spore serve` end to end: a real server on an ephemeral port, a real
//! file watcher, a websocket client waiting for reloads and raw HTTP
//! requests (raw, so that no client library tidies up a hostile path).

use scraper::{Html, Selector};
use spore::config::Config;
use spore::serve::{self, ServeOptions, Server};
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

type Socket = tungstenite::WebSocket<TcpStream>;

struct Running {
    _dir: tempfile::TempDir,
    root: PathBuf,
    vault: PathBuf,
    server: Server,
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

/// A project with book.toml, a small vault and a secret file beside it.
fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(
        &root.join("book.toml"),
        "[book]\ntitle = \"Live\"\nsrc = \"content\"\n",
    );
    write(&root.join("secret.txt"), "TOPSECRET outside the vault\n");
    let vault = root.join("content");
    write(
        &vault.join("index.md"),
        "# Home\n\nSee [[Ideas]] and [[notes/Plan]].\n",
    );
    write(&vault.join("Ideas.md"), "# Ideas\n\nFirst idea.\n");
    write(
        &vault.join("notes/Plan.md"),
        "# Plan\n\nThe plan links [[Ideas]].\n",
    );
    fs::write(vault.join("pic.png"), png()).unwrap();
    write(&vault.join("Gallery.md"), "![[pic.png]]\n");
    let config = Config::discover(&root).unwrap();
    let options = ServeOptions {
        port: 0,
        next_free_port: false,
        ..ServeOptions::default()
    };
    let server = serve::start(config, options).unwrap();
    Running {
        _dir: dir,
        root,
        vault,
        server,
    }
}

fn png() -> Vec<u8> {
    // 1×1 PNG.
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn html(&self) -> Html {
        Html::parse_document(&self.text())
    }
}

/// Sends `METHOD raw_path HTTP/1.1` exactly as given.
fn request(addr: SocketAddr, method: &str, raw_path: &[u8]) -> Reply {
    request_with(addr, method, raw_path, &["Host: localhost"])
}

/// The same with the given header lines (the Host header among them, or not).
fn request_with(addr: SocketAddr, method: &str, raw_path: &[u8], headers: &[&str]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(raw_path);
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for line in headers {
        head.extend_from_slice(line.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    stream.write_all(&head).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path.as_bytes())
}

fn connect(addr: SocketAddr) -> Socket {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let url = format!("ws://{addr}/_spore/livereload");
    let (socket, _) = tungstenite::client(url, stream).unwrap();
    socket
}

fn next_state(socket: &mut Socket) -> serde_json::Value {
    loop {
        let message = match socket.read() {
            // A signal (a child process ending) may interrupt the read.
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                continue
            }
            other => other.expect("a live-reload message in time"),
        };
        match message {
            tungstenite::Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            _ => continue,
        }
    }
}

/// Waits for the message announcing a version other than `old`.
fn wait_for_reload(socket: &mut Socket, old: &str) -> serde_json::Value {
    loop {
        let state = next_state(socket);
        if state["version"].as_str() != Some(old) {
            return state;
        }
    }
}

/// Asserts that no message arrives for `quiet`.
fn assert_quiet(socket: &mut Socket, quiet: Duration) {
    socket.get_mut().set_read_timeout(Some(quiet)).unwrap();
    let read = loop {
        match socket.read() {
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => break other,
        }
    };
    match read {
        Ok(message) => panic!("unexpected message: {message:?}"),
        Err(tungstenite::Error::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        Err(e) => panic!("socket failed: {e}"),
    }
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
}

fn version(state: &serde_json::Value) -> String {
    state["version"].as_str().unwrap().to_string()
}

fn texts(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn hrefs(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector)
        .filter_map(|e| e.value().attr("href").map(str::to_string))
        .collect()
}

#[test]
fn edit_create_rename_delete_each_reload_with_new_content() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let hello = next_state(&mut socket);
    assert!(hello["error"].is_null());
    let mut v = version(&hello);

    // Edit a body.
    write(
        &run.vault.join("Ideas.md"),
        "# Ideas\n\nSecond idea, after a save.\n",
    );
    v = version(&wait_for_reload(&mut socket, &v));
    let page = get(addr, "/Ideas.html");
    assert_eq!(page.status, 200);
    assert!(texts(&page.html(), "main p").contains(&"Second idea, after a save.".to_string()));

    // Create a note that links to Ideas: a new page, and a backlink.
    write(
        &run.vault.join("Fresh.md"),
        "# Fresh\n\nFresh thoughts on [[Ideas]].\n",
    );
    v = version(&wait_for_reload(&mut socket, &v));
    assert_eq!(get(addr, "/Fresh.html").status, 200);
    let ideas = get(addr, "/Ideas.html").html();
    assert!(
        hrefs(&ideas, ".backlinks a").contains(&"Fresh.html".to_string()),
        "backlinks: {:?}",
        hrefs(&ideas, ".backlinks a")
    );

    // Rename the linked note: the old page goes, links follow the new name
    // where they use it, and the old name no longer resolves.
    fs::rename(
        run.vault.join("Ideas.md"),
        run.vault.join("Better ideas.md"),
    )
    .unwrap();
    v = version(&wait_for_reload(&mut socket, &v));
    assert_eq!(get(addr, "/Ideas.html").status, 404);
    assert_eq!(get(addr, "/Better-ideas.html").status, 200, "renamed page");
    let home = get(addr, "/").html();
    assert!(!hrefs(&home, "main a").contains(&"Ideas.html".to_string()));
    assert_eq!(texts(&home, "main .unresolved"), vec!["Ideas".to_string()]);

    // Delete a note: its page is gone and links to it are unresolved.
    fs::remove_file(run.vault.join("notes/Plan.md")).unwrap();
    wait_for_reload(&mut socket, &v);
    assert_eq!(get(addr, "/notes/Plan.html").status, 404);
    let home = get(addr, "/").html();
    assert!(
        texts(&home, "main .unresolved").contains(&"notes/Plan".to_string())
            || texts(&home, "main .unresolved").contains(&"Plan".to_string()),
        "{:?}",
        texts(&home, "main .unresolved")
    );
    run.server.stop();
}

/// `SHA256SUMS` and `site.meta4` (made only when first asked for) are
/// served, follow each save, and agree with each other.
#[test]
fn integrity_lists_are_served_and_follow_edits() {
    use sha2::{Digest, Sha256};
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    let sums = |addr| String::from_utf8(get(addr, "/integrity/SHA256SUMS").body).unwrap();
    assert!(sums(addr).contains("  Ideas.html\n"), "{}", sums(addr));
    write(&run.vault.join("Fresh.md"), "# Fresh\n\nFresh thoughts.\n");
    wait_for_reload(&mut socket, &v);
    let meta4 = get(addr, "/integrity/site.meta4");
    assert_eq!(meta4.status, 200);
    let listed = sums(addr);
    assert!(listed.contains("  Fresh.html\n"), "{listed}");
    let meta4_line = format!("{:x}  integrity/site.meta4\n", Sha256::digest(&meta4.body));
    assert!(listed.contains(&meta4_line), "{listed}");
    assert!(String::from_utf8_lossy(&meta4.body).contains("<file name=\"Fresh.html\">"));
    run.server.stop();
}

#[test]
fn atomic_save_by_rename_reloads_and_editor_temp_files_do_not() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));

    // Swap and backup files alone change nothing.
    write(&run.vault.join(".Ideas.md.swp"), "swap");
    write(&run.vault.join("Ideas.md~"), "backup");
    write(&run.vault.join(".obsidian/workspace.json"), "{}");
    assert_quiet(&mut socket, Duration::from_millis(600));
    // Then an editor saves by writing a temporary file and renaming it.
    let temp = run.vault.join(".Ideas.md.tmp-1234");
    write(&temp, "# Ideas\n\nSaved atomically.\n");
    fs::rename(&temp, run.vault.join("Ideas.md")).unwrap();
    let state = wait_for_reload(&mut socket, &v);
    assert!(state["error"].is_null());
    let page = get(addr, "/Ideas.html");
    assert!(texts(&page.html(), "main p").contains(&"Saved atomically.".to_string()));
    // The swap files never became pages or files.
    assert_eq!(get(addr, "/Ideas.md~").status, 404);
    assert_eq!(get(addr, "/.Ideas.md.swp").status, 404);
}

#[test]
fn invalid_book_toml_shows_error_keeps_site_and_recovers() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    let book = run.root.join("book.toml");
    let good = fs::read_to_string(&book).unwrap();

    write(
        &book,
        "[book]\ntitle = \"Live\"\nsrc = \"content\"\ncolour = 1\n",
    );
    let state = next_state(&mut socket);
    let error = state["error"].as_str().expect("an error message");
    assert!(error.contains("colour"), "{error}");
    assert_eq!(version(&state), v, "no reload while broken");
    // The last good site is still served.
    let home = get(addr, "/");
    assert_eq!(home.status, 200);
    assert_eq!(texts(&home.html(), ".site-title"), vec!["Live".to_string()]);

    write(&book, &good.replace("\"Live\"", "\"Live again\""));
    let state = wait_for_reload(&mut socket, &v);
    assert!(state["error"].is_null());
    let home = get(addr, "/").html();
    assert_eq!(texts(&home, ".site-title"), vec!["Live again".to_string()]);
}

#[test]
fn broken_template_shows_error_until_fixed() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    // A save can arrive as more than one batch of file events (the folder,
    // then the file in it), each a rebuild with its own message: wait for
    // the state the save leads to, within a few messages.
    write(
        &run.root.join("templates/note.html"),
        "{% extends \"base.html\" %}{% block content %}{{ oops",
    );
    let state = state_until(&mut socket, |s| {
        s["error"].as_str().is_some_and(|e| e.contains("template"))
    });
    assert!(state["error"].is_string(), "{state}");
    assert_eq!(get(addr, "/Ideas.html").status, 200);
    fs::remove_file(run.root.join("templates/note.html")).unwrap();
    let state = state_until(&mut socket, |s| s["error"].is_null());
    assert_eq!(version(&state), v, "the site is as before the error");
}

/// The first of the next few live-reload states that `wanted` accepts.
fn state_until(
    socket: &mut Socket,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut seen = Vec::new();
    for _ in 0..6 {
        let state = next_state(socket);
        if wanted(&state) {
            return state;
        }
        seen.push(state);
    }
    panic!("no wanted state among {seen:?}");
}

#[test]
fn many_clients_all_hear_the_reload() {
    let run = start();
    let addr = run.server.addr();
    let mut sockets: Vec<Socket> = (0..5).map(|_| connect(addr)).collect();
    let versions: Vec<String> = sockets
        .iter_mut()
        .map(|s| version(&next_state(s)))
        .collect();
    write(&run.vault.join("Ideas.md"), "# Ideas\n\nFor everyone.\n");
    for (socket, v) in sockets.iter_mut().zip(&versions) {
        wait_for_reload(socket, v);
    }
}

#[test]
fn html_gets_the_reload_script_other_files_are_verbatim() {
    let run = start();
    let addr = run.server.addr();
    let site =
        spore::pipeline::build_site(&Config::discover(&run.root).unwrap(), &Default::default())
            .unwrap()
            .site;
    let page = get(addr, "/Ideas.html");
    let scripts = texts(&page.html(), "script#spore-live-reload");
    assert_eq!(scripts.len(), 1);
    // Without the injected script, the bytes are exactly the built page.
    let served = page.text();
    let start = served.find("<script id=\"spore-live-reload\">").unwrap();
    let end = served[start..].find("</script>\n").unwrap() + start + "</script>\n".len();
    let stripped = format!("{}{}", &served[..start], &served[end..]);
    assert_eq!(stripped.as_bytes(), &site.get("Ideas.html").unwrap()[..]);
    let css = get(addr, "/_spore/spore.css");
    assert_eq!(css.body, &site.get("_spore/spore.css").unwrap()[..]);
    let png = get(addr, "/pic.png");
    assert_eq!(png.body, fs::read(run.vault.join("pic.png")).unwrap());
}

#[test]
fn content_types() {
    let run = start();
    let addr = run.server.addr();
    for (path, expected) in [
        ("/", "text/html; charset=utf-8"),
        ("/Ideas.html", "text/html; charset=utf-8"),
        ("/_spore/spore.css", "text/css; charset=utf-8"),
        ("/_spore/spore.js", "text/javascript; charset=utf-8"),
        ("/pic.png", "image/png"),
        ("/nope.png", "text/html; charset=utf-8"),
    ] {
        assert_eq!(
            get(addr, path).header("content-type"),
            Some(expected),
            "{path}"
        );
    }
    assert_eq!(
        get(addr, "/Ideas.html").header("x-content-type-options"),
        Some("nosniff")
    );
}

#[test]
fn folder_paths_serve_their_index() {
    let run = start();
    let addr = run.server.addr();
    let folder = get(addr, "/notes/");
    assert_eq!(folder.status, 200);
    assert!(hrefs(&folder.html(), "main a").contains(&"Plan.html".to_string()));
    let bare = get(addr, "/notes");
    assert_eq!(bare.status, 301);
    assert_eq!(bare.header("location"), Some("/notes/"));
}

#[test]
fn missing_pages_get_the_sites_404_page() {
    let run = start();
    let reply = get(run.server.addr(), "/no/such/page.html");
    assert_eq!(reply.status, 404);
    let html = reply.html();
    assert_eq!(
        texts(&html, "title"),
        vec!["Page not found · Live".to_string()]
    );
    // Its relative links still reach the theme from a deep path.
    assert_eq!(hrefs(&html, "base"), vec!["/".to_string()]);
}

#[test]
fn head_answers_like_get_without_a_body() {
    let run = start();
    let addr = run.server.addr();
    let got = get(addr, "/Ideas.html");
    let head = request(addr, "HEAD", b"/Ideas.html");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), got.header("content-type"));
    assert_eq!(
        head.header("content-length"),
        Some(got.body.len().to_string().as_str())
    );
    let missing = request(addr, "HEAD", b"/nope.html");
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
}

#[test]
fn other_methods_are_not_allowed() {
    let run = start();
    let addr = run.server.addr();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let reply = request(addr, method, b"/Ideas.html");
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method}");
    }
    // Nothing was changed by them.
    assert_eq!(get(addr, "/Ideas.html").status, 200);
}

#[test]
fn busy_port_moves_to_the_next_free_one_or_fails_clearly() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Note.md"), "hello\n");
    let config = Config::discover(dir.path()).unwrap();
    let strict = ServeOptions {
        port,
        next_free_port: false,
        ..ServeOptions::default()
    };
    let err = serve::start(config.clone(), strict)
        .err()
        .expect("port in use");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
    let lenient = ServeOptions {
        port,
        next_free_port: true,
        ..ServeOptions::default()
    };
    let server = serve::start(config, lenient).unwrap();
    assert_ne!(server.addr().port(), port);
    assert_eq!(get(server.addr(), "/Note.html").status, 200);
}

// Path traversal, one spelling per test. Every answer is the site's own
// 404 page; nothing outside the site (like ../secret.txt) is ever read.

fn assert_refused(raw_path: &[u8]) {
    let run = start();
    let reply = request(run.server.addr(), "GET", raw_path);
    let shown = String::from_utf8_lossy(raw_path);
    assert_eq!(reply.status, 404, "{shown}");
    assert!(!reply.text().contains("TOPSECRET"), "{shown} leaked");
    assert_eq!(
        texts(&reply.html(), "title"),
        vec!["Page not found · Live".to_string()],
        "{shown}"
    );
}

#[test]
fn traversal_dot_dot() {
    assert_refused(b"/../secret.txt");
    assert_refused(b"/notes/../../secret.txt");
}

#[test]
fn traversal_encoded_dots() {
    assert_refused(b"/%2e%2e/secret.txt");
    assert_refused(b"/%2E%2E/%2e%2e/secret.txt");
    assert_refused(b"/.%2e/secret.txt");
}

#[test]
fn traversal_encoded_slash() {
    assert_refused(b"/..%2fsecret.txt");
    assert_refused(b"/notes%2f..%2f..%2fsecret.txt");
    assert_refused(b"/notes%2FPlan.html");
}

#[test]
fn traversal_backslash() {
    assert_refused(b"/..%5csecret.txt");
    assert_refused(b"/notes%5CPlan.html");
    assert_refused(b"/..\\secret.txt");
}

#[test]
fn traversal_absolute_paths() {
    assert_refused(b"//etc/passwd");
    assert_refused(b"/%2fetc%2fpasswd");
    assert_refused(b"/C:/Windows/win.ini");
    assert_refused(b"/C%3a%5cWindows%5cwin.ini");
}

#[test]
fn traversal_nul_and_control_characters() {
    assert_refused(b"/Ideas.html%00.png");
    assert_refused(b"/%00/secret.txt");
    assert_refused(b"/Ideas%0a.html");
}

#[test]
fn traversal_double_encoding() {
    assert_refused(b"/%252e%252e/secret.txt");
    assert_refused(b"/%252e%252e%252fsecret.txt");
    assert_refused(b"/notes%252fPlan.html");
}

#[test]
fn traversal_never_reaches_existing_site_files_sideways() {
    // A path that climbs out and back in is refused, not normalised.
    let run = start();
    assert_eq!(get(run.server.addr(), "/notes/../Ideas.html").status, 404);
    assert_eq!(get(run.server.addr(), "/./Ideas.html").status, 404);
}

#[test]
fn book_toml_naming_another_vault_serves_and_watches_it() {
    let run = start();
    let addr = run.server.addr();
    write(
        &run.root.join("other/Elsewhere.md"),
        "# Elsewhere\n\nFirst text.\n",
    );
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    write(
        &run.root.join("book.toml"),
        "[book]\ntitle = \"Live\"\nsrc = \"other\"\n",
    );
    let v = version(&wait_for_reload(&mut socket, &v));
    assert_eq!(get(addr, "/Ideas.html").status, 404);
    assert_eq!(get(addr, "/Elsewhere.html").status, 200);
    // Saves in the new vault are seen too.
    write(
        &run.root.join("other/Elsewhere.md"),
        "# Elsewhere\n\nSecond text.\n",
    );
    // Under load the switch to the new vault can come as two reloads (the
    // config, then the first write seen again in the new vault): wait for
    // the one that carries the second save, not merely the next one.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut v = version(&wait_for_reload(&mut socket, &v));
    loop {
        let page = get(addr, "/Elsewhere.html").html();
        if texts(&page, "main p").contains(&"Second text.".to_string()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the save in the new vault was never served (version {v})"
        );
        v = version(&wait_for_reload(&mut socket, &v));
    }
}

// DNS rebinding: a page on a foreign name that resolves to 127.0.0.1 must
// not read the preview (drafts included) nor listen to its websocket.

fn host(name: &str) -> String {
    format!("Host: {name}")
}

#[test]
fn foreign_host_headers_are_refused_with_a_hint() {
    let run = start();
    let addr = run.server.addr();
    let port = addr.port();
    for name in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let reply = request_with(addr, "GET", b"/Ideas.html", &[&host(&name)]);
        assert_eq!(reply.status, 403, "{name}");
        assert!(
            reply.text().contains("--allow-host"),
            "{name}: {}",
            reply.text()
        );
        assert!(!reply.text().contains("First idea"), "{name}");
        let reply = request_with(addr, "HEAD", b"/", &[&host(&name)]);
        assert_eq!(reply.status, 403, "HEAD {name}");
    }
    // A request naming a foreign host in its target, beside a local Host.
    let reply = request_with(
        addr,
        "GET",
        format!("http://evil.example:{port}/Ideas.html").as_bytes(),
        &["Host: localhost"],
    );
    assert_eq!(reply.status, 403, "absolute-form target");
    // No Host at all is refused too (browsers always send one).
    assert_eq!(request_with(addr, "GET", b"/", &[]).status, 403);
    for name in [
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("127.0.0.1:{port}"),
        "localhost".to_string(),
    ] {
        let reply = request_with(addr, "GET", b"/Ideas.html", &[&host(&name)]);
        assert_eq!(reply.status, 200, "{name}");
    }
}

#[test]
fn ipv6_loopback_host_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Note.md"), "hello\n");
    let config = Config::discover(dir.path()).unwrap();
    let options = ServeOptions {
        bind: "::1".parse().unwrap(),
        port: 0,
        next_free_port: false,
        ..ServeOptions::default()
    };
    let Ok(server) = serve::start(config, options) else {
        return; // no IPv6 loopback on this machine
    };
    let addr = server.addr();
    let ok = request_with(
        addr,
        "GET",
        b"/Note.html",
        &[&host(&format!("[::1]:{}", addr.port()))],
    );
    assert_eq!(ok.status, 200);
    // Any IP literal names a machine, not a domain that could be rebound.
    let other_ip = request_with(addr, "GET", b"/Note.html", &[&host("[::2]:1")]);
    assert_eq!(other_ip.status, 200);
}

/// The status of a raw websocket upgrade request.
fn upgrade_status(addr: SocketAddr, headers: &[&str]) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = String::from("GET /_spore/livereload HTTP/1.1\r\n");
    for line in headers {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            other => panic!("no status line: {other:?}"),
        }
    }
    String::from_utf8_lossy(&raw)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap()
}

#[test]
fn websocket_origin_must_be_absent_or_local() {
    let run = start();
    let addr = run.server.addr();
    let port = addr.port();
    let local = host(&format!("localhost:{port}"));
    assert_eq!(upgrade_status(addr, &[&local]), 101, "no Origin");
    for origin in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        let line = format!("Origin: {origin}");
        assert_eq!(upgrade_status(addr, &[&local, &line]), 101, "{origin}");
    }
    for origin in [
        "http://evil.example".to_string(),
        format!("http://evil.example:{port}"),
        format!("http://localhost.evil.example:{port}"),
        "null".to_string(),
        format!("file://localhost:{port}"),
        "garbage".to_string(),
    ] {
        let line = format!("Origin: {origin}");
        assert_eq!(upgrade_status(addr, &[&local, &line]), 403, "{origin}");
    }
    let foreign = host(&format!("evil.example:{port}"));
    assert_eq!(upgrade_status(addr, &[&foreign]), 403, "foreign Host");
}

#[test]
fn allow_host_admits_a_lan_name() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Note.md"), "hello\n");
    let config = Config::discover(dir.path()).unwrap();
    let options = ServeOptions {
        port: 0,
        next_free_port: false,
        allowed_hosts: vec!["Wiki.LAN".to_string()],
        ..ServeOptions::default()
    };
    let server = serve::start(config, options).unwrap();
    let addr = server.addr();
    let port = addr.port();
    let name = host(&format!("wiki.lan:{port}"));
    assert_eq!(
        request_with(addr, "GET", b"/Note.html", &[&name]).status,
        200
    );
    let origin = format!("Origin: http://wiki.lan:{port}");
    assert_eq!(upgrade_status(addr, &[&name, &origin]), 101);
    let other = host(&format!("other.lan:{port}"));
    assert_eq!(
        request_with(addr, "GET", b"/Note.html", &[&other]).status,
        403
    );
}

// The vault folder itself deleted, re-created or renamed over.

#[test]
fn vault_folder_deleted_then_recreated_is_noticed_and_watched_again() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    fs::remove_dir_all(&run.vault).unwrap();
    // Said in the overlay, while the last good site is still served.
    let state = loop {
        let state = next_state(&mut socket);
        if !state["error"].is_null() {
            break state;
        }
    };
    let error = state["error"].as_str().unwrap();
    assert!(error.contains("content"), "{error}");
    assert_eq!(get(addr, "/Ideas.html").status, 200);

    write(&run.vault.join("Ideas.md"), "# Ideas\n\nA new vault.\n");
    let v = reload_until_shown(&mut socket, addr, &v, "/Ideas.html", "A new vault.");
    assert_eq!(get(addr, "/notes/Plan.html").status, 404);
    // Saves in the new folder are seen.
    write(&run.vault.join("Ideas.md"), "# Ideas\n\nSaved again.\n");
    reload_until_shown(&mut socket, addr, &v, "/Ideas.html", "Saved again.");
}

/// Waits for reloads until the page at `path` shows `text` (the folder and
/// then its file appearing may take two rebuilds); the version showing it.
/// Bounded: each wait fails after the socket's read timeout.
fn reload_until_shown(
    socket: &mut Socket,
    addr: SocketAddr,
    from: &str,
    path: &str,
    text: &str,
) -> String {
    let mut v = from.to_string();
    loop {
        v = version(&wait_for_reload(socket, &v));
        if texts(&get(addr, path).html(), "main p").contains(&text.to_string()) {
            return v;
        }
    }
}

#[test]
fn vault_folder_renamed_over_is_noticed_and_watched_again() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    // A sync client or `unzip` builds the new folder beside, then swaps.
    let fresh = run.root.join("content.new");
    write(&fresh.join("Ideas.md"), "# Ideas\n\nSwapped in.\n");
    fs::rename(&run.vault, run.root.join("content.old")).unwrap();
    fs::rename(&fresh, &run.vault).unwrap();
    let v = version(&wait_for_reload(&mut socket, &v));
    let page = get(addr, "/Ideas.html");
    assert!(texts(&page.html(), "main p").contains(&"Swapped in.".to_string()));
    // Edits in the old folder are no longer the site; edits in the new one are.
    write(
        &run.root.join("content.old/Ideas.md"),
        "# Ideas\n\nOld folder.\n",
    );
    write(&run.vault.join("Ideas.md"), "# Ideas\n\nNew folder.\n");
    reload_until_shown(&mut socket, addr, &v, "/Ideas.html", "New folder.");
}

// Files that must never be read: links out of the vault, FIFOs.

/// Every file of the site as served (every name a build of the vault
/// gave, before and after the change), searched for `needle`.
fn assert_nothing_served_contains(addr: SocketAddr, names: &[String], needle: &str) {
    for name in names {
        let reply = get(addr, &format!("/{}", name.replace(' ', "%20")));
        assert!(
            !reply.text().contains(needle),
            "{name} ({}) leaks {needle}",
            reply.status
        );
    }
}

fn site_names(root: &Path) -> Vec<String> {
    let site = spore::pipeline::build_site(&Config::discover(root).unwrap(), &Default::default())
        .unwrap()
        .site;
    site.files.keys().cloned().collect()
}

#[cfg(unix)]
#[test]
fn note_replaced_by_a_symlink_out_of_the_vault_is_never_served() {
    let run = start();
    let addr = run.server.addr();
    let names = site_names(&run.root);
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    fs::remove_file(run.vault.join("Ideas.md")).unwrap();
    std::os::unix::fs::symlink(run.root.join("secret.txt"), run.vault.join("Ideas.md")).unwrap();
    let state = wait_for_reload(&mut socket, &v);
    assert_eq!(get(addr, "/Ideas.html").status, 404);
    let mut names = names;
    names.extend(site_names(&run.root));
    assert_nothing_served_contains(addr, &names, "TOPSECRET");
    let warnings = state["warnings"].to_string();
    assert!(
        warnings.contains("Ideas.md") && warnings.contains("outside the vault"),
        "{state}"
    );
}

#[cfg(unix)]
#[test]
fn note_replaced_by_a_fifo_while_serving_is_skipped() {
    let run = start();
    let addr = run.server.addr();
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    fs::remove_file(run.vault.join("Ideas.md")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(run.vault.join("Ideas.md"))
        .status()
        .unwrap();
    assert!(status.success());
    let state = wait_for_reload(&mut socket, &v);
    assert_eq!(get(addr, "/Ideas.html").status, 404);
    let warnings = state["warnings"].to_string();
    assert!(
        warnings.contains("Ideas.md") && warnings.contains("not a regular file"),
        "{state}"
    );
    // Still answering, and still rebuilding.
    let v = version(&state);
    write(&run.vault.join("Fresh.md"), "# Fresh\n");
    wait_for_reload(&mut socket, &v);
    assert_eq!(get(addr, "/Fresh.html").status, 200);
}

/// The same attack on a real `spore serve` process: no page, no search
/// shard, nothing served holds the secret, and the log says why.
#[cfg(unix)]
#[test]
fn spore_serve_process_never_serves_a_file_linked_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(
        &root.join("book.toml"),
        "[book]\ntitle = \"Proc\"\nsrc = \"content\"\n",
    );
    write(
        &root.join("shadow"),
        "root:SECRET-HASH-9c1e:19000:0:99999:7:::\n",
    );
    let vault = root.join("content");
    write(&vault.join("index.md"), "# Home\n\nSee [[Ideas]].\n");
    write(
        &vault.join("Ideas.md"),
        "# Ideas\n\nFirst idea, see [[index]].\n",
    );
    let names = site_names(&root);
    let log = root.join("serve.log");
    let (mut child, addr) = spawn_serve(&root, &log);
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    fs::remove_file(vault.join("Ideas.md")).unwrap();
    std::os::unix::fs::symlink(root.join("shadow"), vault.join("Ideas.md")).unwrap();
    wait_for_reload(&mut socket, &v);
    assert_eq!(get(addr, "/Ideas.html").status, 404);
    let mut names = names;
    names.extend(site_names(&root));
    assert_nothing_served_contains(addr, &names, "SECRET-HASH");
    let _ = child.kill();
    let _ = child.wait();
    let log = fs::read_to_string(&log).unwrap();
    // Printed as `spore build` prints it: the message, then the file.
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines.windows(2).any(|w| w[0].starts_with("warning: ")
            && w[0].contains("outside the vault")
            && w[1] == "  --> Ideas.md"),
        "{log}"
    );
    assert!(!log.contains("SECRET-HASH"), "{log}");
}

/// A `spore serve ROOT --port 0` process logging to `log`, and its address.
fn spawn_serve(root: &Path, log: &Path) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spore"))
        .args(["serve", "--port", "0"])
        .arg(root)
        .stdout(std::process::Stdio::piped())
        .stderr(fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    (child, addr)
}

/// A project for a `spore serve` process: book.toml and a vault holding
/// `Ideas.md` with `ideas` (the temporary folder, its path, the vault).
fn process_project(ideas: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(
        &root.join("book.toml"),
        "[book]\ntitle = \"Proc\"\nsrc = \"content\"\n",
    );
    let vault = root.join("content");
    write(&vault.join("Ideas.md"), ideas);
    (dir, root, vault)
}

#[test]
fn spore_serve_process_says_when_the_vault_folder_goes_and_comes_back() {
    let (_dir, root, vault) = process_project("# Ideas\n\nFirst.\n");
    let log = root.join("serve.log");
    let (mut child, addr) = spawn_serve(&root, &log);
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    fs::rename(&vault, root.join("content.old")).unwrap();
    while next_state(&mut socket)["error"].is_null() {}
    write(&vault.join("Ideas.md"), "# Ideas\n\nBack.\n");
    reload_until_shown(&mut socket, addr, &v, "/Ideas.html", "Back.");
    let _ = child.kill();
    let _ = child.wait();
    let log = fs::read_to_string(&log).unwrap();
    assert!(
        log.lines()
            .any(|l| l.starts_with("warning: the vault folder") && l.contains("is gone")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("vault folder") && l.contains("watching the new one")),
        "{log}"
    );
}

/// A process's peak resident memory so far, in bytes (Linux).
fn peak_memory(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn a_large_attachment_is_streamed_from_the_vault_not_held_in_memory() {
    const SIZE: u64 = 512 << 20;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(&root.join("book.toml"), "[book]\ntitle = \"Big\"\n");
    let vault = root.join("content");
    write(&vault.join("index.md"), "# Home\n\n![[film.bin]]\n");
    // Sparse: half a gigabyte of zeros that takes no room on disk.
    fs::File::create(vault.join("film.bin"))
        .unwrap()
        .set_len(SIZE)
        .unwrap();
    // A process of its own: in the test binary, the memory of the tests
    // running beside this one would count too.
    let (mut child, addr) = spawn_serve(&root, &root.join("serve.log"));
    let before = peak_memory(child.id());

    // Read the reply in pieces, counting: the client holds nothing either.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
        .write_all(b"GET /film.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    let mut in_head = true;
    let mut body = 0u64;
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        if in_head {
            head.extend_from_slice(&buf[..n]);
            if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                assert!(head[at + 4..].iter().all(|&b| b == 0));
                body = (head.len() - at - 4) as u64;
                head.truncate(at);
                in_head = false;
            }
        } else {
            assert!(buf[..n].iter().all(|&b| b == 0));
            body += n as u64;
        }
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains(&format!("content-length: {SIZE}")), "{head}");
    assert_eq!(body, SIZE);
    let after = peak_memory(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after.saturating_sub(before) < 200 << 20,
            "serving a {} MiB attachment raised peak memory by {} MiB",
            SIZE >> 20,
            (after - before) >> 20
        );
    }
}

#[cfg(unix)]
#[test]
fn an_attachment_swapped_for_a_link_out_of_the_vault_is_never_served() {
    let run = start();
    let addr = run.server.addr();
    assert_eq!(get(addr, "/pic.png").status, 200);
    let pic = run.vault.join("pic.png");
    fs::remove_file(&pic).unwrap();
    std::os::unix::fs::symlink(run.root.join("secret.txt"), &pic).unwrap();
    // Before, during and after the rebuild the change starts.
    for _ in 0..20 {
        let reply = get(addr, "/pic.png");
        assert!(!reply.text().contains("TOPSECRET"), "{}", reply.status);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (bounded) until `log` holds a whole line (ended by its newline:
/// the server may be part-way through writing one) for which `wanted` is
/// true, and returns the whole lines so far.
fn wait_for_log(log: &Path, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mut text = fs::read_to_string(log).unwrap_or_default();
        text.truncate(text.rfind('\n').map_or(0, |end| end + 1));
        if text.lines().any(&wanted) || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `spore serve` prints the warnings at start as `spore build` does (with
/// line and column), and after a save only the new ones; a save that
/// leaves them as they were prints one summary line, not the list again.
#[test]
fn spore_serve_prints_warnings_at_start_then_only_what_changed() {
    let (_dir, root, vault) =
        process_project("---\ntitle: Ideas\n---\n# Ideas\n\nSee [[Nowhere]].\n");
    let log = root.join("serve.log");
    let (mut child, addr) = spawn_serve(&root, &log);
    let mut socket = connect(addr);
    let v = version(&next_state(&mut socket));
    let start = wait_for_log(&log, |l| l.starts_with("warning: 1 unresolved link"));
    let lines: Vec<&str> = start.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "warning: unresolved link [[Nowhere]]")
        .unwrap_or_else(|| panic!("{start}"));
    assert_eq!(lines[at + 1], "  --> Ideas.md:6:5", "{start}");

    // Same warnings after the save: one summary line, no list.
    write(
        &vault.join("Ideas.md"),
        "---\ntitle: Ideas\n---\n# Ideas\n\nSee [[Nowhere]]. More.\n",
    );
    let v = version(&wait_for_reload(&mut socket, &v));
    let after = wait_for_log(&log, |l| l.starts_with("warnings unchanged:"));
    assert!(
        after
            .lines()
            .any(|l| l == "warnings unchanged: 1 unresolved link"),
        "{after}"
    );
    assert_eq!(after.matches("[[Nowhere]]").count(), 1, "{after}");

    // A new unresolved link: only it is printed, then the new count.
    write(
        &vault.join("Ideas.md"),
        "---\ntitle: Ideas\n---\n# Ideas\n\nSee [[Nowhere]]. More.\n\n[[Elsewhere]]\n",
    );
    wait_for_reload(&mut socket, &v);
    let last = wait_for_log(&log, |l| l.contains("(1 new, 0 fixed)"));
    let _ = child.kill();
    let _ = child.wait();
    let lines: Vec<&str> = last.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "warning: unresolved link [[Elsewhere]]")
        .unwrap_or_else(|| panic!("{last}"));
    assert_eq!(lines[at + 1], "  --> Ideas.md:8:1", "{last}");
    assert!(
        lines.contains(&"warning: 2 unresolved links (1 new, 0 fixed)"),
        "{last}"
    );
    assert_eq!(last.matches("[[Nowhere]]").count(), 1, "{last}");
}
