//! Progress on stderr for `spore build` and `spore verify`: bars drawn
//! with indicatif on a terminal, a plain line a second when `--progress`
//! forces it onto a pipe or a file, nothing otherwise. The library only
//! reports (`spore::progress`, `spore::verify::Progress`); drawing is here.

use indicatif::{
    HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle,
};
use spore::printable::Shown;
use spore::progress::{ProgressSink, Stage};
use std::collections::HashMap;
use std::io::{IsTerminal, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Off,
    /// Redrawn in place: stderr is a terminal.
    Bars,
    /// One line at a time, at most once a second (`--progress` into a log).
    Lines,
}

impl Mode {
    /// `force` is `--progress`, `off` is `--no-progress`; `quiet` is what
    /// hides progress by default (`--quiet`, JSON on stdout).
    pub fn choose(force: bool, off: bool, quiet: bool) -> Mode {
        // A dumb terminal cannot redraw a line in place (as cargo, too,
        // takes it); `--progress` gives it plain lines.
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let terminal = std::io::stderr().is_terminal() && !dumb;
        match (off, force, terminal) {
            (true, _, _) => Mode::Off,
            (false, true, true) => Mode::Bars,
            (false, true, false) => Mode::Lines,
            (false, false, true) if !quiet => Mode::Bars,
            _ => Mode::Off,
        }
    }
}

/// A line on stderr that a closed stream does not turn into a panic.
fn line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn style(template: &str) -> ProgressStyle {
    // The templates are fixed: a mistake in one shows in every test that
    // draws, and falls back to indicatif's plain bar rather than
    // failing a build.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// `spore build`'s progress: the running stage, and for render, seal and
/// write a bar of notes or files done out of the total.
pub struct BuildProgress {
    draw: Draw,
}

enum Draw {
    Off,
    Bar(Arc<BuildBar>),
    Lines(Arc<BuildLines>),
}

impl BuildProgress {
    pub fn new(mode: Mode) -> Self {
        let draw = match mode {
            Mode::Off => Draw::Off,
            Mode::Bars => Draw::Bar(Arc::new(BuildBar::new())),
            Mode::Lines => Draw::Lines(Arc::new(BuildLines::new())),
        };
        BuildProgress { draw }
    }

    /// The handle the build reports to.
    pub fn handle(&self) -> spore::progress::Progress {
        match &self.draw {
            Draw::Off => spore::progress::Progress::none(),
            Draw::Bar(bar) => spore::progress::Progress::new(bar.clone()),
            Draw::Lines(lines) => spore::progress::Progress::new(lines.clone()),
        }
    }

    /// Clears the bar, before anything else is printed.
    pub fn finish(&self) {
        if let Draw::Bar(bar) = &self.draw {
            bar.bar.finish_and_clear();
        }
    }
}

struct BuildBar {
    bar: ProgressBar,
    ticking: std::sync::Once,
}

impl BuildBar {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_finish(ProgressFinish::AndClear);
        BuildBar {
            bar,
            ticking: std::sync::Once::new(),
        }
    }
}

impl ProgressSink for BuildBar {
    fn stage(&self, stage: Stage, total: Option<u64>) {
        // The stage is in the style, which draws nothing, and the count
        // changes in one update, which draws once: no frame shows a stage
        // with another's count. `elapsed` is the whole build's.
        let name = stage.name();
        match total {
            Some(total) => {
                self.bar.set_style(style(&format!(
                    "building {name:<6} [{{wide_bar}}] {{human_pos}}/{{human_len}} {}, {{elapsed}}",
                    stage.unit()
                )));
                self.bar.update(|state| {
                    state.set_len(total);
                    state.set_pos(0);
                });
            }
            None => {
                self.bar.set_style(style(&format!(
                    "building {name:<6} {{spinner}} {{elapsed}}"
                )));
                self.bar.update(|state| state.set_pos(0));
            }
        }
        // Keeps the spinner and the clock moving through stages that
        // report no items (load, index, emit).
        self.ticking
            .call_once(|| self.bar.enable_steady_tick(Duration::from_millis(120)));
    }

    fn item(&self) {
        self.bar.inc(1);
    }
}

/// `--progress` when stderr is not a terminal: a line when a stage
/// begins, and a count at most once a second during the long ones.
struct BuildLines {
    started: Instant,
    /// Items done in the current stage: counted without a lock, from
    /// rayon's workers.
    done: AtomicU64,
    state: Mutex<LinesState>,
}

struct LinesState {
    stage: Option<Stage>,
    total: Option<u64>,
    printed: Instant,
}

impl BuildLines {
    fn new() -> Self {
        BuildLines {
            started: Instant::now(),
            done: AtomicU64::new(0),
            state: Mutex::new(LinesState {
                stage: None,
                total: None,
                printed: Instant::now(),
            }),
        }
    }
}

impl ProgressSink for BuildLines {
    fn stage(&self, stage: Stage, total: Option<u64>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let again = state.stage == Some(stage);
        state.stage = Some(stage);
        self.done.store(0, Ordering::Relaxed);
        state.total = total;
        state.printed = Instant::now();
        let elapsed = self.started.elapsed().as_secs_f64();
        match total {
            Some(total) => line(&format!(
                "building {} 0/{total} {} ({elapsed:.1}s)",
                stage.name(),
                stage.unit()
            )),
            // Said once per stage: the second call only brings the total.
            None if !again => line(&format!("building {} ({elapsed:.1}s)", stage.name())),
            None => {}
        }
    }

    fn item(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        // Another worker printing now, or a stage beginning, is reason
        // enough to skip this one.
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if state.printed.elapsed() < Duration::from_secs(1) {
            return;
        }
        state.printed = Instant::now();
        if let (Some(stage), Some(total)) = (state.stage, state.total) {
            line(&format!(
                "building {} {}/{total} {} ({:.1}s)",
                stage.name(),
                done,
                stage.unit(),
                self.started.elapsed().as_secs_f64()
            ));
        }
    }
}

/// `spore verify`'s progress: one bar per copy, files checked out of the
/// files to check and bytes read, on a terminal; one line a second
/// otherwise (`--progress`).
pub struct VerifyProgress {
    mode: Mode,
    bars: Option<Arc<VerifyBars>>,
}

struct VerifyBars {
    multi: MultiProgress,
    /// By copy, as given on the command line.
    bars: Mutex<HashMap<String, ProgressBar>>,
    counting: ProgressStyle,
    waiting: ProgressStyle,
}

impl VerifyBars {
    fn bar(&self, copy: &str) -> Option<ProgressBar> {
        let mut bars = self.bars.lock().ok()?;
        let bar = bars.entry(copy.to_string()).or_insert_with(|| {
            // The copy's name last, cut to fit: a URL can be long.
            let bar = ProgressBar::no_length()
                .with_style(self.waiting.clone())
                .with_message(Shown(copy).to_string())
                .with_finish(ProgressFinish::AndClear);
            let bar = self.multi.add(bar);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Some(bar.clone())
    }

    fn report(&self, p: &spore::verify::Progress) {
        let Some(bar) = self.bar(p.copy) else { return };
        let done = p.files_done as u64;
        if bar.length().is_none() || done < bar.position() {
            // The first file of this copy, or the first of a second pass
            // after a repair.
            bar.set_length(p.files_total as u64);
            bar.set_position(done);
            bar.set_style(self.counting.clone());
        }
        bar.set_prefix(HumanBytes(p.bytes).to_string());
        bar.set_position(done);
        if p.files_done == p.files_total {
            bar.disable_steady_tick();
            bar.tick();
        }
    }
}

impl VerifyProgress {
    /// `copies` get a bar each at once, so a copy slow to send its
    /// manifest is seen waiting.
    pub fn new(mode: Mode, copies: &[String]) -> Self {
        let bars = (mode == Mode::Bars).then(|| {
            let bars = Arc::new(VerifyBars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(HashMap::new()),
                counting: style("[{bar:24}] {pos}/{len} files, {prefix}, {elapsed}  {wide_msg}"),
                waiting: style("{spinner} starting, {elapsed}  {wide_msg}"),
            });
            for copy in copies {
                bars.bar(copy);
            }
            bars
        });
        VerifyProgress { mode, bars }
    }

    /// What the library calls as files are read.
    pub fn callback(&self) -> Option<Arc<spore::verify::ProgressFn>> {
        match (self.mode, &self.bars) {
            (Mode::Off, _) => None,
            (Mode::Bars, Some(bars)) => {
                let bars = bars.clone();
                Some(Arc::new(move |p: &spore::verify::Progress| bars.report(p)))
            }
            _ => Some(lines_printer()),
        }
    }

    /// Clears the bars, before the report is printed.
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            if let Ok(bars) = bars.bars.lock() {
                for bar in bars.values() {
                    bar.finish_and_clear();
                }
            }
            let _ = bars.multi.clear();
        }
    }
}

/// A progress line on stderr, at most once a second and once when a copy
/// is done (`--progress` into a log).
fn lines_printer() -> Arc<spore::verify::ProgressFn> {
    let last = Mutex::new(None::<Instant>);
    Arc::new(move |p: &spore::verify::Progress| {
        let Ok(mut last) = last.lock() else { return };
        let finished = p.files_done == p.files_total;
        if !finished && last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
        line(&format!(
            "{}: {}/{} files, {:.1} MiB",
            Shown(p.copy),
            p.files_done,
            p.files_total,
            p.bytes as f64 / (1 << 20) as f64
        ));
    })
}
