//! Spore's integration tests, as one test binary: each file here is a
//! module, so a change in `src/` relinks one executable, not one per file.
//!
//! To add tests: create `tests/it/NAME.rs`, declare it below with
//! `mod NAME;` (in name order), and reach the shared helpers in
//! `support/` through `use crate::support;`. Fixture vaults, the fuzz
//! corpus, the snapshots and the browser driver stay in `tests/`, beside
//! this folder. One module's tests: `cargo test --test it NAME::`.
//! Proptest keeps a module's regressions in
//! `tests/proptest-regressions/NAME.txt` (its default once this folder has
//! a `main.rs`).

mod support;

mod attachments;
mod browser;
mod browser_render;
mod cli;
mod codemap;
mod determinism;
mod diagnostics;
mod docs_site;
mod foundation;
mod fuzz;
mod generated_vault;
mod ipfs;
mod navigation;
mod obsidian;
mod pack;
mod progress;
mod robustness;
mod seal;
mod serve;
mod serve_browser;
mod serve_edits;
mod serve_incremental;
mod snapshots;
mod support_selftest;
mod torrent;
mod verify;
mod verify_hostile;
mod verify_js_chromium;
mod verify_trust;
mod write_reuse;
