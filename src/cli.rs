//! Argument parsing and printing; all real work is in the library.

// `println!` panics when stdout is a closed pipe (`spore build | head`);
// these print the same but treat a closed stream as nothing to say.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use spore::config::Config;
use spore::pipeline::BuildReport;
use spore::printable::{printable_lines, printable_path};
use std::path::{Path, PathBuf};

#[path = "cli_pack.rs"]
mod pack_command;
#[path = "cli_progress.rs"]
mod progress;
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

/// Progress on stderr: shown on a terminal unless `--quiet` or JSON.
#[derive(Args, Clone, Copy)]
struct ProgressFlags {
    /// Show progress on stderr even when it is not a terminal, or with
    /// --quiet or JSON output
    #[arg(long, conflicts_with = "no_progress")]
    progress: bool,
    /// Never show progress
    #[arg(long)]
    no_progress: bool,
}

impl ProgressFlags {
    /// `hidden`: what hides progress unless `--progress` is given.
    fn mode(self, hidden: bool) -> progress::Mode {
        progress::Mode::choose(self.progress, self.no_progress, hidden)
    }
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

/// How `spore build` prints its diagnostics.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
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
        /// How warnings are printed: `text` on stderr, or `json`: one JSON
        /// object per line on stdout, the summary last
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        progress: ProgressFlags,
        /// Then pack the site for IPFS and BitTorrent, as `spore pack` does
        #[arg(long)]
        pack: bool,
    },
    /// Pack a built site for IPFS (a CAR and its root CID) and BitTorrent
    /// (a .torrent seeded by the mirrors, and a magnet link), beside it
    Pack {
        /// Vault folder, or a project folder holding book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The built site (default: [build] output, or ./site)
        #[arg(long, short)]
        out: Option<PathBuf>,
        #[command(flatten)]
        args: pack_command::PackArgs,
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
        /// Also answer requests for this host name (repeatable); by default
        /// only localhost and IP addresses are answered
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
    },
    /// Create book.toml and a content/ vault with a welcome note
    Init {
        /// Folder to create the project in
        dir: PathBuf,
    },
    /// Make a signing key pair: spore.key (secret) and spore.pub
    Keygen {
        /// Folder for the key files; keep it outside the vault and the site
        #[arg(long, short, default_value = ".")]
        out: PathBuf,
        /// Overwrite existing key files
        #[arg(long)]
        force: bool,
    },
    /// Check copies of a site (folders or http(s) URLs) against their
    /// manifests, the pinned key and each other
    Verify(VerifyArgs),
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
            format,
            progress,
            pack,
        } => build(&dir, out, drafts, timings, format, progress, cli.output).and_then(|config| {
            if pack {
                let args = pack_command::PackArgs::default();
                pack_command::pack_site(&config, &args, cli.output.quiet)?;
            }
            Ok(0)
        }),
        Command::Pack { dir, out, args } => load_config(&dir, out)
            .and_then(|config| pack_command::pack_site(&config, &args, cli.output.quiet))
            .map(|_| 0),
        Command::Init { dir } => init(&dir, cli.output).map(|()| 0),
        Command::Keygen { out, force } => keygen(&out, force, cli.output).map(|()| 0),
        Command::Verify(args) => verify(args, cli.output),
        Command::Serve {
            dir,
            port,
            bind,
            open,
            drafts,
            allow_host,
        } => serve_command::serve(
            &dir,
            serve_command::ServeArgs {
                port,
                bind,
                open,
                drafts,
                allow_host,
            },
            cli.output,
        )
        .map(|()| 0),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", printable_lines(&format!("{e:#}")));
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
    format: Format,
    progress: ProgressFlags,
    flags: OutputFlags,
) -> Result<Config> {
    let started = std::time::Instant::now();
    let config = load_config(dir, out)?;
    let shown = progress::BuildProgress::new(progress.mode(flags.quiet || format == Format::Json));
    let options = spore::BuildOptions {
        include_drafts: drafts,
        progress: shown.handle(),
        ..Default::default()
    };
    let report = spore::build(&config, &options);
    // Gone before anything else is printed, the error too.
    shown.finish();
    let report = report.with_context(|| format!("building {}", printable_path(&config.vault)))?;
    let diagnostics = all_diagnostics(&report);
    if format == Format::Json {
        // stdout carries JSON only, so an editor or CI job can read it line
        // by line; what a person reads goes to stderr.
        print_json(&report, &diagnostics, &config);
    } else {
        print_report(&diagnostics, flags);
    }
    let json = format == Format::Json;
    if !flags.quiet {
        print_seal(&report.seal, json);
    }
    if timings && !flags.quiet {
        for (stage, took) in &report.timings {
            eprintln!("  {stage:<8} {:>8.1} ms", took.as_secs_f64() * 1000.0);
        }
        eprintln!(
            "  ({} written, {} kept unchanged from the previous site)",
            plural(report.write.written, "file", "files"),
            plural(report.write.reused, "file", "files"),
        );
    }
    if !flags.quiet {
        let line = format!(
            "Built {} → {} ({}) in {} — {}, {} unresolved, {}, {:.2}s",
            plural(report.notes, "note", "notes"),
            plural(report.pages, "page", "pages"),
            plural(report.files, "file", "files"),
            printable_path(&config.output),
            plural(report.links, "link", "links"),
            report.unresolved.len(),
            plural(report.diagnostics.len(), "warning", "warnings"),
            started.elapsed().as_secs_f64()
        );
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(config)
}

use spore::diagnostics::{plural, Diagnostic, DiagnosticKind};

/// Every warning of the build, the unresolved links among them (one each,
/// after the others, in note order).
fn all_diagnostics(report: &BuildReport) -> Vec<Diagnostic> {
    report
        .diagnostics
        .iter()
        .cloned()
        .chain(report.unresolved.iter().map(|u| u.diagnostic()))
        .collect()
}

/// How many warnings, and how many unresolved links, are printed without
/// `--verbose`.
const SHOWN_BY_DEFAULT: usize = 10;

/// Text output: each diagnostic as rustc prints one (message, then
/// `  --> file:line:column`), the first few of each sort unless
/// `--verbose`, then one line counting them by kind.
fn print_report(diagnostics: &[Diagnostic], flags: OutputFlags) {
    if flags.quiet || diagnostics.is_empty() {
        return;
    }
    print_diagnostics(diagnostics.iter(), flags.verbose);
    eprintln!("warning: {}", spore::diagnostics::summary(diagnostics));
}

/// Prints diagnostics on stderr, one block each: the first
/// [`SHOWN_BY_DEFAULT`] warnings and as many unresolved links (all of them
/// with `verbose`), then how many more there are.
fn print_diagnostics<'a>(diagnostics: impl Iterator<Item = &'a Diagnostic>, verbose: bool) {
    let limit = if verbose {
        usize::MAX
    } else {
        SHOWN_BY_DEFAULT
    };
    let (links, others): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
        diagnostics.partition(|d| d.kind == DiagnosticKind::UnresolvedLink);
    for (list, one, many) in [
        (&others, "warning", "warnings"),
        (&links, "unresolved link", "unresolved links"),
    ] {
        for d in list.iter().take(limit) {
            eprintln!("{d}");
        }
        let hidden = list.len().saturating_sub(limit);
        if hidden > 0 {
            let noun = if hidden == 1 { one } else { many };
            eprintln!("… and {hidden} more {noun} (--verbose lists all)");
        }
    }
}

/// `--format json`: one object per diagnostic per line (JSON Lines), then
/// a summary object, on stdout; every diagnostic, whatever `--quiet` or
/// `--verbose` say.
fn print_json(report: &BuildReport, diagnostics: &[Diagnostic], config: &Config) {
    for d in diagnostics {
        println!("{}", d.to_json());
    }
    let mut by_kind = serde_json::Map::new();
    for d in diagnostics {
        let n = by_kind
            .entry(d.kind.code())
            .or_insert(serde_json::Value::from(0u64));
        *n = serde_json::Value::from(n.as_u64().unwrap_or(0) + 1);
    }
    let summary = serde_json::json!({
        "type": "summary",
        "notes": report.notes,
        "pages": report.pages,
        "files": report.files,
        "links": report.links,
        "unresolved": report.unresolved.len(),
        // As in the text summary line: warnings besides unresolved links.
        "warnings": report.diagnostics.len(),
        "by_kind": by_kind,
        "output": config.output.to_string_lossy(),
    });
    println!("{summary}");
}

const WELCOME: &str = "---\ntitle: Welcome\ntags: [start]\n---\n# Welcome\n\nThis is your new wiki. Write notes in this folder with any editor (Obsidian works well),\nlink them with [[wikilinks]], and run `spore build` to publish.\n\n> [!tip] Next steps\n> Add a note called `Ideas.md` and link it here: [[Ideas]].\n";

fn init(dir: &Path, flags: OutputFlags) -> Result<()> {
    use spore::write::file::{check_target, write_file, Existing, FileError};
    let book = dir.join("book.toml");
    // Checked before anything is created: an existing book.toml (or a
    // symlink there, even a dangling one) stops init with nothing written.
    match check_target(&book, Existing::Refuse) {
        Err(FileError::Exists(_)) => {
            bail!(
                "{} already exists; not overwriting it",
                printable_path(&book)
            )
        }
        other => other?,
    }
    let content = dir.join("content");
    std::fs::create_dir_all(&content)
        .with_context(|| format!("creating {}", printable_path(&content)))?;
    let title = spore::config::absolute(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "My Wiki".into());
    let toml_title = toml_string(&title);
    let book_text = format!("[book]\ntitle = {toml_title}\ndescription = \"\"\nlanguage = \"en\"\nsrc = \"content\"\n\n[build]\noutput = \"site\"\n");
    write_file(&book, book_text.as_bytes(), false, Existing::Refuse)?;
    let welcome = content.join("index.md");
    // An existing home note (or a symlink there) is the user's: kept as is.
    let welcome_made = match write_file(&welcome, WELCOME.as_bytes(), false, Existing::Refuse) {
        Ok(()) => true,
        Err(FileError::Exists(_) | FileError::Symlink(_)) => false,
        Err(e) => return Err(e.into()),
    };
    if !flags.quiet {
        println!("Created {}", printable_path(&book));
        if welcome_made {
            println!("Created {}", printable_path(&welcome));
        } else {
            println!("Kept the existing {}", printable_path(&welcome));
        }
        println!(
            "Next: spore build {0}   (or spore serve {0} to preview while you write)",
            printable_path(dir)
        );
    }
    Ok(())
}

fn toml_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            // TOML's own escape keeps the name exact and the line printable.
            c if spore::printable::is_unsafe_char(c) => {
                format!("\\u{:04X}", c as u32).chars().collect()
            }
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The seal's lines, on stdout (on stderr when stdout carries JSON).
fn print_seal(seal: &spore::seal::SealSummary, json: bool) {
    let say = |line: String| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    if let Some(computed) = seal.raised_from {
        say(format!(
            "Version {computed} (from the vault) raised to {}: a site sealed with that version or a later one is in the output folder already, and versions only grow",
            seal.version
        ));
    }
    match &seal.signed_by {
        Some(key) => say(format!(
            "Sealed version {} ({}), manifest signed with key fingerprint {key}",
            seal.version, seal.built
        )),
        None if seal.unsigned_with_public_key => eprintln!(
            "warning: [integrity] public_key is set but no secret key was found ([integrity] secret_key or {}); the manifest is NOT signed",
            spore::seal::sign::SECRET_KEY_ENV
        ),
        None => say(format!(
            "Sealed version {} ({}), unsigned (spore keygen makes a signing key)",
            seal.version, seal.built
        )),
    }
}

fn keygen(out: &Path, force: bool, flags: OutputFlags) -> Result<()> {
    let password = std::env::var(spore::seal::sign::PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty());
    let keys = spore::seal::sign::keygen(out, force, password)?;
    if !flags.quiet {
        println!(
            "Wrote {} (secret{}) and {}",
            printable_path(&keys.secret_path),
            if keys.encrypted {
                ", password-protected"
            } else {
                ", unencrypted: keep it private"
            },
            printable_path(&keys.public_path)
        );
        println!(
            "Key fingerprint {} (publish it where readers can compare it). Add to book.toml:\n",
            keys.fingerprint
        );
    }
    println!("[integrity]");
    println!("public_key = \"{}\"", keys.public_base64);
    // book.toml resolves relative paths against its own folder: print an
    // absolute one so the line works wherever it is pasted.
    let secret = spore::config::absolute(&keys.secret_path);
    println!(
        "secret_key = {}",
        toml_string(&secret.display().to_string())
    );
    if !flags.quiet {
        println!(
            "\nKeep {} outside the vault and the site; back it up. Or set {} to its path instead of secret_key.",
            printable_path(&keys.secret_path),
            spore::seal::sign::SECRET_KEY_ENV
        );
    }
    Ok(())
}

/// The key `verify` trusts: `--key`, else book.toml in the current folder.
fn pinned_key(key: Option<String>) -> Result<Option<String>> {
    if let Some(k) = key {
        return Ok(Some(
            spore::seal::sign::read_public_key(&k).map_err(anyhow::Error::msg)?,
        ));
    }
    let book = Path::new(spore::config::CONFIG_FILE);
    if book.is_file() {
        let config = Config::discover(Path::new("."))?;
        return Ok(config.integrity.public_key.map(|k| k.trim().to_string()));
    }
    Ok(None)
}

// `spore verify`: no doc comment here, the variant's is its help text.
#[derive(Args)]
struct VerifyArgs {
    /// Site folders and http(s) URLs of copies
    #[arg(value_name = "COPY", required = true)]
    copies: Vec<String>,
    /// The trusted public key (base64 line or a .pub file); default:
    /// [integrity] public_key of ./book.toml
    #[arg(long)]
    key: Option<String>,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    /// Remember the highest version seen per site here; report ROLLBACK
    /// when a copy is older
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Rewrite missing or altered files of this local copy from the others
    #[arg(long, value_name = "DIR")]
    repair: Option<PathBuf>,
    /// Give up on a copy not read completely within this many seconds
    /// (it is reported UNREACHABLE; the others are still checked)
    #[arg(long, value_name = "SECONDS", default_value = "600", value_parser = parse_seconds)]
    timeout: std::time::Duration,
    #[command(flatten)]
    progress: ProgressFlags,
    /// Let --repair write from a reference no trusted key signed (the
    /// manifest most copies agree on); never over a copy signed by its
    /// own key
    #[arg(long, requires = "repair")]
    accept_unsigned: bool,
}

/// `--timeout`: a positive number of seconds (fractions allowed).
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 1e9) {
        return Err(format!("{s} is not a positive number of seconds"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

fn verify(args: VerifyArgs, flags: OutputFlags) -> Result<i32> {
    let mode = args.progress.mode(flags.quiet || args.json);
    let shown = progress::VerifyProgress::new(mode, &args.copies);
    let options = spore::verify::VerifyOptions {
        copies: args.copies,
        key: pinned_key(args.key)?,
        state: args.state,
        repair: args.repair,
        limits: spore::verify::NetLimits::with_deadline(args.timeout),
        progress: shown.callback(),
        accept_unsigned: args.accept_unsigned,
    };
    let report = spore::verify::verify(&options);
    shown.finish();
    let report = report?;
    let json = args.json;
    let text = if json {
        format!("{}\n", spore::printable::to_json_pretty(&report)?)
    } else if !flags.quiet || report.exit_code != 0 {
        report.to_text()
    } else {
        String::new()
    };
    // A closed pipe (`spore verify … | head`) must not turn into a panic;
    // the exit code still tells the verdict.
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(report.exit_code)
}
