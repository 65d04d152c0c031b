//! `spore serve`: start the library's server, print what happens, stop on
//! Ctrl-C.

use anyhow::{Context, Result};
use spore::config::Config;
use spore::diagnostics::{summary, Diagnostic};
use spore::printable::{printable_lines, printable_path, Shown};
use spore::serve::{self, ServeEvent, ServeOptions};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The warnings printed last, so a save prints only what is new.
#[derive(Default)]
struct Printed {
    warnings: BTreeSet<Diagnostic>,
}

impl Printed {
    /// Prints the warnings of `now` not printed before (as `spore build`
    /// prints them), then one line counting them all; when nothing changed,
    /// only that line, so a save does not reprint a vault's thousand
    /// unresolved links.
    fn update(&mut self, now: &[Diagnostic], verbose: bool, first: bool) {
        let now_set: BTreeSet<Diagnostic> = now.iter().cloned().collect();
        if now_set == self.warnings {
            if !now_set.is_empty() && !first {
                eprintln!("warnings unchanged: {}", summary(now));
            }
            return;
        }
        let new: Vec<&Diagnostic> = now.iter().filter(|d| !self.warnings.contains(*d)).collect();
        let fixed = self.warnings.difference(&now_set).count();
        super::print_diagnostics(new.iter().copied(), verbose);
        if now.is_empty() {
            eprintln!(
                "no warnings left ({} fixed)",
                spore::diagnostics::plural(fixed, "warning", "warnings")
            );
        } else if first {
            eprintln!("warning: {}", summary(now));
        } else {
            eprintln!(
                "warning: {} ({} new, {} fixed)",
                summary(now),
                new.len(),
                fixed
            );
        }
        self.warnings = now_set;
    }
}

pub struct ServeArgs {
    pub port: u16,
    pub bind: IpAddr,
    pub open: bool,
    pub drafts: bool,
    /// Host names answered besides localhost and IP addresses.
    pub allow_host: Vec<String>,
}

pub fn serve(dir: &Path, args: ServeArgs, flags: super::OutputFlags) -> Result<()> {
    let quiet = flags.quiet;
    let config = Config::discover(dir)?;
    // Saving a note cannot fix the environment: refuse to start instead.
    spore::seal::version::source_date_epoch()?;
    let title = config.title.clone();
    let printed = Mutex::new(Printed::default());
    let sink: serve::EventSink = Arc::new(move |event: &ServeEvent| {
        let mut printed = printed.lock().unwrap_or_else(|e| e.into_inner());
        print_event(event, flags, &mut printed)
    });
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

fn print_event(event: &ServeEvent, flags: super::OutputFlags, printed: &mut Printed) {
    let quiet = flags.quiet;
    match event {
        ServeEvent::Started {
            error: Some(e), ..
        } => {
            eprintln!(
                "error: {}\n(fix it and save: the site appears by itself)",
                printable_lines(e)
            )
        }
        ServeEvent::Started {
            error: None,
            warnings,
        } => {
            if !quiet {
                printed.update(warnings, flags.verbose, true);
            }
        }
        ServeEvent::Rebuilt(summary) => {
            if quiet {
                return;
            }
            printed.update(&summary.warnings, flags.verbose, false);
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
