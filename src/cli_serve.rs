//! `spore serve`: start the library's server, print what happens, stop on
//! Ctrl-C.

use anyhow::{Context, Result};
use spore::config::Config;
use spore::printable::{printable_lines, printable_path, Shown};
use spore::serve::{self, ServeEvent, ServeOptions};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

pub struct ServeArgs {
    pub port: u16,
    pub bind: IpAddr,
    pub open: bool,
    pub drafts: bool,
    /// Host names answered besides localhost and IP addresses.
    pub allow_host: Vec<String>,
}

pub fn serve(dir: &Path, args: ServeArgs, quiet: bool) -> Result<()> {
    let config = Config::discover(dir)?;
    // Saving a note cannot fix the environment: refuse to start instead.
    spore::seal::version::source_date_epoch()?;
    let title = config.title.clone();
    let sink: serve::EventSink = Arc::new(move |event: &ServeEvent| print_event(event, quiet));
    let options = ServeOptions {
        bind: args.bind,
        port: args.port,
        next_free_port: true,
        build: spore::BuildOptions {
            include_drafts: args.drafts,
            ..spore::BuildOptions::default()
        },
        on_event: Some(sink),
        allowed_hosts: args.allow_host,
        ..ServeOptions::default()
    };
    let vault = config.vault.clone();
    let server = serve::start(config, options)
        .with_context(|| format!("serving {}", printable_path(&vault)))?;
    let url = server.url();
    if server.addr().port() != args.port && args.port != 0 {
        eprintln!(
            "Port {} is in use; using {} instead.",
            args.port,
            server.addr().port()
        );
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "Listening on {}: anyone who can reach this machine can read the site.\n\
             Open it by IP address, or allow a host name with --allow-host NAME.",
            args.bind
        );
    }
    println!(
        "Serving {} at {url}  (watching {}; Ctrl-C stops)",
        Shown(&title),
        printable_path(&vault)
    );
    if args.open {
        if let Err(e) = open::that_detached(&url) {
            eprintln!("could not open a browser: {e}");
        }
    }
    server.run_until_ctrl_c();
    if !quiet {
        eprintln!("Stopped.");
    }
    Ok(())
}

fn print_event(event: &ServeEvent, quiet: bool) {
    match event {
        ServeEvent::Started { error: Some(e) } => {
            eprintln!(
                "error: {}\n(fix it and save: the site appears by itself)",
                printable_lines(e)
            )
        }
        ServeEvent::Started { error: None } => {}
        ServeEvent::Rebuilt(summary) => {
            if quiet {
                return;
            }
            for d in &summary.diagnostics {
                eprintln!("{d}");
            }
            if summary.site_changed {
                let what = if summary.full {
                    "rebuilt everything".to_string()
                } else {
                    format!(
                        "rebuilt {} note{} and {} page{}",
                        summary.notes_rendered,
                        if summary.notes_rendered == 1 { "" } else { "s" },
                        summary.pages_rendered,
                        if summary.pages_rendered == 1 { "" } else { "s" }
                    )
                };
                eprintln!(
                    "{what} in {:.0} ms; reloading",
                    summary.took.as_secs_f64() * 1000.0
                );
            }
        }
        ServeEvent::Failed(e) => {
            eprintln!(
                "error: {}\n(still serving the last good site; fix it and save)",
                printable_lines(e)
            )
        }
        ServeEvent::WatchProblem(e) => {
            eprintln!("warning: file watcher: {}", printable_lines(e))
        }
        ServeEvent::VaultMissing(path) => eprintln!(
            "warning: the vault folder {} is gone (deleted or renamed); still serving the last good site until it is back",
            printable_path(path)
        ),
        ServeEvent::VaultReplaced(path) => eprintln!(
            "the vault folder {} was replaced; watching the new one and rebuilding everything",
            printable_path(path)
        ),
    }
}
