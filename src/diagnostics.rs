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
    /// 1-based line in the file as written (frontmatter included).
    pub line: Option<usize>,
    /// 1-based column on that line, counted in characters.
    pub column: Option<usize>,
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
            column: None,
            severity: Severity::Warning,
            kind,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// The place in the file: 1-based line and column (in characters).
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// `file:line:column` (as much of it as is known), escaped for a
    /// terminal; `None` when the diagnostic names no file.
    pub fn location(&self) -> Option<String> {
        let file = Shown(self.file.as_ref()?).to_string();
        Some(match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(line), None) => format!("{file}:{line}"),
            _ => file,
        })
    }

    /// One JSON object (no newline) for `--format json`: type, severity, kind,
    /// file, line, column, message. Names and messages are not escaped
    /// for a terminal here: JSON escapes control characters itself.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "diagnostic",
            "severity": self.severity.name(),
            "kind": self.kind.code(),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        })
    }
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl DiagnosticKind {
    /// A stable snake_case name, for JSON output and tools.
    pub fn code(self) -> &'static str {
        self.nouns().0
    }

    /// The snake_case code, then what one and several of this kind are
    /// called in a summary ("1 unresolved link", "2 embed cycles").
    fn nouns(self) -> (&'static str, &'static str, &'static str) {
        use DiagnosticKind::*;
        match self {
            InvalidUtf8 => ("invalid_utf8", "file not in UTF-8", "files not in UTF-8"),
            Frontmatter => ("frontmatter", "frontmatter problem", "frontmatter problems"),
            Symlink => ("symlink", "symlink skipped", "symlinks skipped"),
            NotAFile => (
                "not_a_file",
                "special file skipped",
                "special files skipped",
            ),
            UnreadableFile => ("unreadable_file", "unreadable file", "unreadable files"),
            NameCollision => ("name_collision", "name collision", "name collisions"),
            KeyFile => ("key_file", "key file withheld", "key files withheld"),
            UnresolvedLink => ("unresolved_link", "unresolved link", "unresolved links"),
            MissingHeading => (
                "missing_heading",
                "missing heading or block",
                "missing headings or blocks",
            ),
            EmbedCycle => ("embed_cycle", "embed cycle", "embed cycles"),
            EmbedTooDeep => (
                "embed_too_deep",
                "embed nested too deep",
                "embeds nested too deep",
            ),
            InvalidDate => ("invalid_date", "invalid date", "invalid dates"),
            EmbedTooLarge => (
                "embed_too_large",
                "page over its embed budget",
                "pages over their embed budget",
            ),
            UnclosedComment => ("unclosed_comment", "unclosed comment", "unclosed comments"),
            Template => ("template", "template problem", "template problems"),
            Other => ("other", "other warning", "other warnings"),
        }
    }

    /// "1 unresolved link", "3 unresolved links".
    pub fn counted(self, n: usize) -> String {
        let (_, one, many) = self.nouns();
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// "1 note", "2 notes": `n` and the noun, singular or plural.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Counts per kind, in kind order, as one line's worth of text:
/// "3 unresolved links, 1 missing heading or block". Empty when there is
/// nothing.
pub fn summary<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> String {
    let mut counts: std::collections::BTreeMap<DiagnosticKind, usize> = Default::default();
    for d in diagnostics {
        *counts.entry(d.kind).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(kind, n)| kind.counted(n))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As rustc and mdBook print them: the message, then where, on a
        // line of its own. File names and messages quote the vault's names:
        // escaped, so a crafted name cannot rewrite the terminal.
        write!(f, "{}: {}", self.severity.name(), printable(&self.message))?;
        if let Some(location) = self.location() {
            write!(f, "\n  --> {location}")?;
        }
        Ok(())
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
        .at(3, 7);
        let shown = d.to_string();
        assert_eq!(
            shown,
            "warning: link to [[x\\u{9b}2J]]\n  --> a\\u{1b}[2K\\u{d}\\u{202e}b.md:3:7"
        );
    }
}
