//! `spore serve`: the site from memory, rebuilt on every save, with pages
//! that reload themselves.

pub mod incremental;
