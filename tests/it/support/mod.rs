//! Shared integration-test helpers; a module reaches them with
//! `use crate::support;`.

pub mod browser;
pub mod fixture;
pub mod gen_vault;
pub mod hostile_mirror;
pub mod linkcheck;
pub mod nav_fixture;
pub mod range_server;
pub mod sealed;
pub mod sites;
pub mod static_server;
