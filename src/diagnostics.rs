//! Warnings and errors about the user's input, collected instead of aborting.
//!
//! A bad file never stops the build: each stage records what it could not
//! use here, naming the file (and line where known), and carries on.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// What kind of problem this is, so tests and tools can match on it
/// instead of on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    InvalidUtf8,
    Frontmatter,
    Symlink,
    UnreadableFile,
    NameCollision,
    UnresolvedLink,
    MissingHeading,
    EmbedCycle,
    EmbedTooDeep,
    /// A page's embeds went past its budget (count or bytes).
    EmbedTooLarge,
    /// A `%%` or `<!--` comment that never closes hides the rest of a note.
    UnclosedComment,
    Template,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Vault-relative path of the file concerned, when there is one.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub severity: Severity,
    pub kind: DiagnosticKind,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(
        kind: DiagnosticKind,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: Some(file.into()),
            line: None,
            severity: Severity::Warning,
            kind,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{level}: {file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{level}: {file}: {}", self.message),
            _ => write!(f, "{level}: {}", self.message),
        }
    }
}

/// Sorts diagnostics so that output does not depend on thread scheduling.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort();
}
