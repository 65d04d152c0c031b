//! Writes a synthetic Obsidian vault with the test suite's generator, for
//! the benchmark (`bench/run.py`) when the Python generator is not at hand.
//!
//! `cargo run --release --example gen_vault -- NOTES OUT_DIR [SEED]`

#[allow(dead_code)]
#[path = "../tests/it/support/gen_vault.rs"]
mod gen_vault;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(notes), Some(out)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: gen_vault NOTES OUT_DIR [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    if notes == 0 {
        eprintln!("gen_vault: NOTES must be at least 1");
        return ExitCode::from(2);
    }
    match gen_vault::generate_vault(&PathBuf::from(out), notes, seed) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_vault: cannot write {out}: {e}");
            ExitCode::FAILURE
        }
    }
}
