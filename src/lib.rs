//! Spore: publish an Obsidian vault as a portable, verifiable static site.
//!
//! The pipeline is six stages, each a function of the previous stage's value
//! plus the [`config::Config`] ([`pipeline`] wires them):
//!
//! `load` → [`load::Vault`] → `index` → [`index::VaultIndex`] → `render` →
//! [`render::RenderedNote`]s → `emit` → [`site::Site`] → `seal` → sealed site
//! → [`write`].
//!
//! A stage uses only the stages before it (`tests/it/codemap.rs` checks it and
//! lists the exceptions); `content/Design.md` is the code map, and says
//! which modules touch the disk and why.

pub mod config;
pub mod diagnostics;
pub mod emit;
pub mod index;
pub mod ipfs;
pub mod load;
pub mod memo;
pub mod memory;
#[cfg(unix)]
pub(crate) mod nofollow;
pub mod pack;
pub mod pipeline;
pub mod portable;
pub mod printable;
pub mod progress;
pub mod render;
pub mod seal;
pub mod serve;
pub mod site;
pub mod syntax;
pub mod torrent;
pub mod verify;
pub mod write;

pub use pipeline::{build, BuildOptions, BuildReport};
