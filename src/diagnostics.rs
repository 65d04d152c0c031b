//! Warnings and errors about the user's input, collected instead of aborting.
//!
//! A bad file never stops the build: each stage records what it could not
//! use here, naming the file (and line where known), and carries on.

use crate::printable::{printable, Shown};
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
    /// A FIFO, socket or device where a file was expected: never opened.
    NotAFile,
    UnreadableFile,
    NameCollision,
    /// A secret key file in the vault, withheld from the site.
    KeyFile,
    UnresolvedLink,
    MissingHeading,
    EmbedCycle,
    EmbedTooDeep,
    /// A frontmatter date Spore cannot read; left out of the site.
    InvalidDate,
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
        // File names and messages quote the vault's names: escaped, so a
        // crafted name cannot rewrite the terminal.
        let message = printable(&self.message);
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{level}: {}:{line}: {message}", Shown(file)),
            (Some(file), None) => write!(f, "{level}: {}: {message}", Shown(file)),
            _ => write!(f, "{level}: {message}"),
        }
    }
}

/// Sorts diagnostics so that output does not depend on thread scheduling.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vault file name can hold ESC, CR or a bidi override: the warning
    /// shows them as escapes, in the name and in the message.
    #[test]
    fn names_in_warnings_are_escaped() {
        let d = Diagnostic::warning(
            DiagnosticKind::Frontmatter,
            "a\u{1b}[2K\r\u{202e}b.md",
            "link to [[x\u{9b}2J]]",
        )
        .at_line(3);
        let shown = d.to_string();
        assert_eq!(
            shown,
            "warning: a\\u{1b}[2K\\u{d}\\u{202e}b.md:3: link to [[x\\u{9b}2J]]"
        );
    }
}
