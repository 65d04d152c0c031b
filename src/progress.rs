//! How a long build says how far it is, without printing: the pipeline
//! calls a [`Progress`] handle at each stage and per item, and whoever
//! holds the other end (the CLI's progress bar) draws it. The default
//! handle does nothing, so `serve`, tests and library users pay one
//! branch per item.

use std::sync::Arc;

/// A stage of `spore build`, in pipeline order (the same names as
/// `--timings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Theme,
    Load,
    Index,
    /// Counts notes.
    Render,
    Emit,
    /// Counts files hashed.
    Seal,
    /// Counts files written (or kept from the previous site).
    Write,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Theme => "theme",
            Stage::Load => "load",
            Stage::Index => "index",
            Stage::Render => "render",
            Stage::Emit => "emit",
            Stage::Seal => "seal",
            Stage::Write => "write",
        }
    }

    /// What the stage's items are, for a counter.
    pub fn unit(self) -> &'static str {
        match self {
            Stage::Render => "notes",
            Stage::Emit => "pages",
            _ => "files",
        }
    }
}

/// Receives what a build reports; called from any thread (render, seal
/// and write report items from rayon's workers).
pub trait ProgressSink: Send + Sync {
    /// `stage` begins, and its count starts from zero. `total` is how
    /// many items it will report, for the stages that count; `None` for
    /// the others. `spore build` counts the pages made (each note rendered
    /// where its page is made, each page sealed and written at once) and
    /// the other files sealed and written; `build_site` (in memory) counts the notes and every
    /// file sealed, and a write of a site in memory counts its files. A
    /// stage may be announced first without a total and again, the same
    /// stage, once it knows it.
    fn stage(&self, stage: Stage, total: Option<u64>);
    /// One more item of the current stage is done.
    fn item(&self);
}

/// A handle the pipeline reports to; cheap to clone and to call.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn ProgressSink>>);

impl Progress {
    pub fn new(sink: Arc<dyn ProgressSink>) -> Self {
        Progress(Some(sink))
    }

    /// Reports nothing.
    pub fn none() -> Self {
        Progress(None)
    }

    pub fn stage(&self, stage: Stage, total: Option<usize>) {
        if let Some(sink) = &self.0 {
            sink.stage(stage, total.map(|n| n as u64));
        }
    }

    pub fn item(&self) {
        if let Some(sink) = &self.0 {
            sink.item();
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(reporting)"
        } else {
            "Progress(none)"
        })
    }
}
