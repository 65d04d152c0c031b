//! Benchmark: how long from saving a note to the browser's reload message,
//! with `spore serve` on a large generated vault, next to a full build.
//!
//!     cargo run --release --example serve_latency -- [--notes 10000] [--edits 20] [--vault DIR]
//!
//! The vault comes from `--vault DIR` (copied, never edited in place), else
//! from `../shared/bench/gen_vault.py` when it exists, else from the Rust
//! port of that generator in `tests/it/support/`. Each edit changes one note's
//! body; the clock starts just before the file is written and stops when
//! the websocket message announcing the new version arrives, exactly what
//! an open page waits for.

#[allow(dead_code)]
#[path = "../tests/it/support/gen_vault.rs"]
mod gen_vault;

use spore::config::Config;
use spore::serve::{self, ServeEvent, ServeOptions};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    notes: usize,
    edits: usize,
    vault: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        notes: 10_000,
        edits: 20,
        vault: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--notes" => args.notes = value()?.parse().map_err(|e| format!("--notes: {e}"))?,
            "--edits" => args.edits = value()?.parse().map_err(|e| format!("--edits: {e}"))?,
            "--vault" => args.vault = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn make_vault(args: &Args, vault: &Path) -> Result<&'static str, String> {
    if let Some(source) = &args.vault {
        copy_tree(source, vault).map_err(|e| e.to_string())?;
        return Ok("--vault");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_vault.py");
    if script.is_file() {
        let status = std::process::Command::new("python3")
            .arg(&script)
            .args(["--notes", &args.notes.to_string(), "--seed", "1", "--out"])
            .arg(vault)
            .stdout(std::process::Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            return Ok("gen_vault.py");
        }
        eprintln!("gen_vault.py failed; using the Rust port of the generator");
    }
    gen_vault::generate_vault(vault, args.notes, 1).map_err(|e| e.to_string())?;
    Ok("tests/it/support/gen_vault.rs")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn read_version(socket: &mut tungstenite::WebSocket<TcpStream>) -> Result<(String, bool), String> {
    loop {
        let message = match socket.read() {
            // A signal (a child process ending) may interrupt the read.
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                continue
            }
            other => other.map_err(|e| e.to_string())?,
        };
        match message {
            tungstenite::Message::Text(text) => {
                let state: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| e.to_string())?;
                let version = state["version"].as_str().unwrap_or_default().to_string();
                return Ok((version, !state["error"].is_null()));
            }
            _ => continue,
        }
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let vault = dir.path().join("vault");
    let source = make_vault(&args, &vault)?;
    let config = Config::discover(&vault).map_err(|e| e.to_string())?;

    let started = Instant::now();
    let built =
        spore::pipeline::build_site(&config, &Default::default()).map_err(|e| e.to_string())?;
    let full_build = started.elapsed();
    let notes = built.report.notes;
    let pages = built.report.pages;
    drop(built);

    type Steps = Vec<(&'static str, Duration)>;
    let rebuilds: Arc<Mutex<Vec<(Duration, Steps)>>> = Arc::default();
    let sink_rebuilds = rebuilds.clone();
    let options = ServeOptions {
        port: 0,
        next_free_port: false,
        on_event: Some(Arc::new(move |event: &ServeEvent| {
            if let ServeEvent::Rebuilt(summary) = event {
                if let Ok(mut list) = sink_rebuilds.lock() {
                    list.push((summary.took, summary.timings.clone()));
                }
            }
        })),
        ..ServeOptions::default()
    };
    let debounce = options.debounce;
    let started = Instant::now();
    let server = serve::start(config.clone(), options).map_err(|e| e.to_string())?;
    let serve_start = started.elapsed();

    let stream = TcpStream::connect(server.addr()).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let url = format!("ws://{}/_spore/livereload", server.addr());
    let (mut socket, _) = tungstenite::client(url, stream).map_err(|e| e.to_string())?;
    let (mut version, _) = read_version(&mut socket)?;

    // Published notes without frontmatter changes: edit bodies only.
    let mut candidates: Vec<PathBuf> = walkdir::WalkDir::new(&vault)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().to_path_buf())
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| !t.contains("draft: true")))
        .collect();
    let step = (candidates.len() / args.edits.max(1)).max(1);
    candidates = candidates
        .into_iter()
        .step_by(step)
        .take(args.edits)
        .collect();

    let mut latencies = Vec::new();
    for (i, path) in candidates.iter().enumerate() {
        let mut text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        text.push_str(&format!(
            "\nEdit number {i}: one more sentence in the body.\n"
        ));
        // Let the watcher settle between edits, as between a writer's saves.
        std::thread::sleep(Duration::from_millis(300));
        let saved = Instant::now();
        std::fs::write(path, text).map_err(|e| e.to_string())?;
        let (new_version, error) = read_version(&mut socket)?;
        let latency = saved.elapsed();
        if error {
            return Err(format!("rebuild failed after editing {}", path.display()));
        }
        if new_version == version {
            return Err("a message arrived without a new version".into());
        }
        version = new_version;
        latencies.push(latency.as_secs_f64() * 1000.0);
    }
    server.stop();

    let mut sorted = latencies.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rebuilds = rebuilds.lock().map(|l| l.clone()).unwrap_or_default();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let mut rebuild_ms: Vec<f64> = rebuilds.iter().map(|(took, _)| ms(took)).collect();
    rebuild_ms.sort_by(|a, b| a.total_cmp(b));
    let mut steps: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for (_, timings) in &rebuilds {
        for (step, took) in timings {
            match steps.iter_mut().find(|(s, _)| s == step) {
                Some((_, list)) => list.push(ms(took)),
                None => steps.push((step, vec![ms(took)])),
            }
        }
    }

    println!("vault: {notes} published notes, {pages} pages (from {source})");
    println!(
        "full build (build_site, in memory): {:.0} ms",
        full_build.as_secs_f64() * 1000.0
    );
    println!(
        "serve start (first build, keeping stages): {:.0} ms",
        serve_start.as_secs_f64() * 1000.0
    );
    println!(
        "save → reload message over {} one-note body edits (debounce {} ms):",
        latencies.len(),
        debounce.as_millis()
    );
    println!(
        "  median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.9),
        sorted.first().copied().unwrap_or(f64::NAN),
        sorted.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  of which the incremental rebuild: median {:.1} ms, p90 {:.1} ms",
        percentile(&rebuild_ms, 0.5),
        percentile(&rebuild_ms, 0.9)
    );
    let breakdown: Vec<String> = steps
        .iter_mut()
        .map(|(step, list)| {
            list.sort_by(|a, b| a.total_cmp(b));
            format!("{step} {:.1}", percentile(list, 0.5))
        })
        .collect();
    println!("  median per step (ms): {}", breakdown.join(", "));
    Ok(())
}
