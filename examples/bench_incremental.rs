//! Times a rebuild after one note's body changed, through the library API,
//! for the benchmark (`bench/run.py`). Prints one line of JSON.
//!
//! `cargo run --release --example bench_incremental -- VAULT [RUNS]`
//!
//! It uses the same incremental entry point as `spore serve`
//! (`serve::incremental::LiveSite::apply`: re-render what depends on the
//! note, re-emit the pages that changed, re-seal) and, for comparison, a full
//! in-memory `build_site`. No disk write. The note is restored afterwards.

use spore::config::Config;
use spore::pipeline::{build_site, BuildOptions};
use spore::serve::incremental::{Changes, LiveSite};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The first note (by path) in the vault's top folder.
fn first_note(vault: &Path) -> Option<PathBuf> {
    let mut notes: Vec<PathBuf> = std::fs::read_dir(vault)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    notes.sort();
    notes.into_iter().next()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(vault) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_incremental VAULT [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let config = match Config::discover(&vault) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench_incremental: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = BuildOptions::default();
    let Some(note) = first_note(&config.vault) else {
        eprintln!(
            "bench_incremental: no note at the top of {}",
            vault.display()
        );
        return ExitCode::FAILURE;
    };
    let original = match std::fs::read(&note) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bench_incremental: cannot read {}: {e}", note.display());
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    if let Err(e) = build_site(&config, &options) {
        eprintln!("bench_incremental: {e}");
        return ExitCode::FAILURE;
    }
    let first_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut live = match LiveSite::build(config.clone(), options.clone()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench_incremental: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut rebuild_ms = Vec::new();
    let mut full_ms = Vec::new();
    let mut failure = None;
    for run in 0..runs {
        let mut edited = original.clone();
        edited.extend_from_slice(format!("\nEdited paragraph {run}.\n").as_bytes());
        if let Err(e) = std::fs::write(&note, &edited) {
            failure = Some(format!("cannot edit {}: {e}", note.display()));
            break;
        }
        let changes = Changes {
            vault: [note.clone()].into_iter().collect(),
            ..Changes::default()
        };
        let start = Instant::now();
        let applied = live.apply(changes);
        rebuild_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        match applied {
            Ok(summary) if run + 1 == runs => {
                // Where the last rebuild spent its time, for the curious.
                for (step, took) in &summary.timings {
                    eprintln!("  {step:<16} {:>7.1} ms", took.as_secs_f64() * 1000.0);
                }
            }
            Ok(_) => {}
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
        let start = Instant::now();
        let built = build_site(&config, &options);
        full_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        if let Err(e) = built {
            failure = Some(e.to_string());
            break;
        }
    }
    if let Err(e) = std::fs::write(&note, &original) {
        eprintln!("bench_incremental: cannot restore {}: {e}", note.display());
        return ExitCode::FAILURE;
    }
    if let Some(f) = failure {
        eprintln!("bench_incremental: {f}");
        return ExitCode::FAILURE;
    }
    println!(
        "{{\"api\": \"serve::incremental::LiveSite::apply\", \"first_ms\": {first_ms:.1}, \"rebuild_ms\": {:.1}, \"full_rebuild_ms\": {:.1}, \"runs\": {runs}}}",
        median(rebuild_ms),
        median(full_ms)
    );
    ExitCode::SUCCESS
}
