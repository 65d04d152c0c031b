//! Shared integration-test helpers; include with `mod support;`.
#![allow(dead_code)]

pub mod chromium;
pub mod fixture;
pub mod gen_vault;
pub mod hostile_mirror;
pub mod linkcheck;
pub mod nav_fixture;
pub mod sealed;
pub mod static_server;
