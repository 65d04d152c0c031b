//! Argument parsing and printing; all real work is in the library.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use spore::config::Config;
use spore::pipeline::BuildReport;
use std::path::{Path, PathBuf};

#[path = "cli_serve.rs"]
mod serve_command;

#[derive(Parser)]
#[command(
    name = "spore",
    version,
    about = "Publish an Obsidian vault as a fast, portable, verifiable static site"
)]
struct Cli {
    #[command(flatten)]
    output: OutputFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Copy)]
struct OutputFlags {
    /// Print only errors
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print every warning and every unresolved link
    #[arg(long, short, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site from a vault (or a folder with book.toml)
    Build {
        /// Vault folder, or a project folder holding book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output folder (default: [build] output, or ./site)
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Publish draft and unpublished notes too
        #[arg(long)]
        drafts: bool,
        /// Print the time each stage took
        #[arg(long)]
        timings: bool,
    },
    /// Serve the site locally, rebuild on every save and reload the browser
    Serve {
        /// Vault folder, or a project folder holding book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Port to listen on (the next free one is used if it is busy)
        #[arg(long, short, default_value_t = 3000)]
        port: u16,
        /// Address to listen on; anything but 127.0.0.1 exposes the site to your network
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in the default browser
        #[arg(long)]
        open: bool,
        /// Publish draft and unpublished notes too
        #[arg(long)]
        drafts: bool,
    },
    /// Create book.toml and a content/ vault with a welcome note
    Init {
        /// Folder to create the project in
        dir: PathBuf,
    },
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Build {
            dir,
            out,
            drafts,
            timings,
        } => build(&dir, out, drafts, timings, cli.output),
        Command::Init { dir } => init(&dir, cli.output),
        Command::Serve {
            dir,
            port,
            bind,
            open,
            drafts,
        } => serve_command::serve(
            &dir,
            serve_command::ServeArgs {
                port,
                bind,
                open,
                drafts,
            },
            cli.output.quiet,
        ),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn load_config(dir: &Path, out: Option<PathBuf>) -> Result<Config> {
    let mut config = Config::discover(dir)?;
    if let Some(out) = out {
        config.output = spore::config::absolute(&out);
    }
    Ok(config)
}

fn build(
    dir: &Path,
    out: Option<PathBuf>,
    drafts: bool,
    timings: bool,
    flags: OutputFlags,
) -> Result<()> {
    let started = std::time::Instant::now();
    let config = load_config(dir, out)?;
    let options = spore::BuildOptions {
        include_drafts: drafts,
    };
    let report = spore::build(&config, &options)
        .with_context(|| format!("building {}", config.vault.display()))?;
    print_report(&report, &config, flags);
    if timings && !flags.quiet {
        for (stage, took) in &report.timings {
            eprintln!("  {stage:<8} {:>8.1} ms", took.as_secs_f64() * 1000.0);
        }
    }
    if !flags.quiet {
        println!(
            "Built {} notes → {} pages ({} files) in {} — {} links, {} unresolved, {} warnings, {:.2}s",
            report.notes,
            report.pages,
            report.files,
            config.output.display(),
            report.links,
            report.unresolved.len(),
            report.diagnostics.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

const SHOWN_BY_DEFAULT: usize = 10;

fn print_report(report: &BuildReport, _config: &Config, flags: OutputFlags) {
    if flags.quiet {
        return;
    }
    let limit = if flags.verbose {
        usize::MAX
    } else {
        SHOWN_BY_DEFAULT
    };
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.kind != spore::diagnostics::DiagnosticKind::UnresolvedLink)
        .take(limit)
    {
        eprintln!("{d}");
    }
    let hidden = report.diagnostics.len().saturating_sub(limit);
    if hidden > 0 {
        eprintln!("… and {hidden} more warnings (--verbose shows all)");
    }
    if !report.unresolved.is_empty() {
        let shown: Vec<String> = report
            .unresolved
            .iter()
            .take(if flags.verbose { usize::MAX } else { 3 })
            .map(|u| format!("{} → [[{}]]", u.from, u.dest))
            .collect();
        let more = report.unresolved.len() - shown.len();
        eprintln!(
            "{} unresolved links: {}{}",
            report.unresolved.len(),
            shown.join(", "),
            if more > 0 {
                format!(", … {more} more (--verbose lists all)")
            } else {
                String::new()
            }
        );
    }
}

const WELCOME: &str = "---\ntitle: Welcome\ntags: [start]\n---\n# Welcome\n\nThis is your new wiki. Write notes in this folder with any editor (Obsidian works well),\nlink them with [[wikilinks]], and run `spore build` to publish.\n\n> [!tip] Next steps\n> Add a note called `Ideas.md` and link it here: [[Ideas]].\n";

fn init(dir: &Path, flags: OutputFlags) -> Result<()> {
    let book = dir.join("book.toml");
    if book.exists() {
        bail!("{} already exists; not overwriting it", book.display());
    }
    let content = dir.join("content");
    std::fs::create_dir_all(&content).with_context(|| format!("creating {}", content.display()))?;
    let title = spore::config::absolute(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "My Wiki".into());
    let toml_title = toml_string(&title);
    std::fs::write(
        &book,
        format!("[book]\ntitle = {toml_title}\ndescription = \"\"\nlanguage = \"en\"\nsrc = \"content\"\n\n[build]\noutput = \"site\"\n"),
    )
    .with_context(|| format!("writing {}", book.display()))?;
    let welcome = content.join("index.md");
    if !welcome.exists() {
        std::fs::write(&welcome, WELCOME)
            .with_context(|| format!("writing {}", welcome.display()))?;
    }
    if !flags.quiet {
        println!("Created {} and {}", book.display(), welcome.display());
        println!("Next: spore build {}", dir.display());
    }
    Ok(())
}

fn toml_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c if c.is_control() => vec![' '],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}
