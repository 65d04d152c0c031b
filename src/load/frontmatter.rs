//! Splitting a note into YAML frontmatter and body, and reading the keys
//! Spore understands. Malformed YAML is a warning: the body still publishes,
//! unless the frontmatter leaves any doubt about `draft`/`publish` — then the
//! note is kept private (fail closed).

use crate::diagnostics::{Diagnostic, DiagnosticKind};
use serde_json::{Map, Value};

/// The frontmatter keys Spore understands; the rest are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    pub title: Option<String>,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub description: Option<String>,
    pub draft: bool,
    pub publish: bool,
    pub permalink: Option<String>,
    pub cssclasses: Vec<String>,
    /// Every other key, for templates.
    pub extra: Map<String, Value>,
}

/// The result of splitting a note's text.
pub struct Split<'a> {
    /// The YAML text between the `---` lines, if there was a block.
    pub yaml: Option<&'a str>,
    pub body: &'a str,
    /// 1-based line number of the first body line.
    pub body_line: usize,
    /// The text after an opening `---` that never closes: not frontmatter
    /// (Obsidian shows it as text), but it may say `draft: true`.
    pub unclosed: Option<&'a str>,
}

/// Splits `---\nYAML\n---\nbody` (text already LF-normalised, BOM
/// removed). Both fences may carry trailing spaces or tabs, as Obsidian
/// allows; the closing fence may also be `...`.
pub fn split(text: &str) -> Split<'_> {
    let none = Split {
        yaml: None,
        body: text,
        body_line: 1,
        unclosed: None,
    };
    let Some((first, rest)) = text.split_once('\n') else {
        return none;
    };
    if first.trim_end_matches([' ', '\t']) != "---" {
        return none;
    }
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let fence = line.trim_end_matches(['\n', ' ', '\t']);
        if fence == "---" || fence == "..." {
            return Split {
                yaml: Some(&rest[..offset]),
                body: &rest[offset + line.len()..],
                body_line: i + 3,
                unclosed: None,
            };
        }
        offset += line.len();
    }
    Split {
        unclosed: Some(rest),
        ..none
    }
}

/// Why the YAML could not be used; the line is 1-based within the note file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontmatterError {
    pub line: Option<usize>,
    /// 1-based column on that line, when the YAML parser says.
    pub column: Option<usize>,
    pub message: String,
}

/// Flow collections (`[…]`, `{…}`) nested deeper than this are refused
/// before the YAML parser sees them: its cost grows with the square of the
/// depth, and no real frontmatter comes close.
pub const MAX_FLOW_DEPTH: usize = 32;

/// Parses the YAML block. An empty block is an empty frontmatter. Any doubt
/// about `draft` or `publish` makes the note private ([`read`] also says
/// why).
pub fn parse(yaml: &str) -> Result<Frontmatter, FrontmatterError> {
    parse_with_doubts(yaml).map(|(fm, _)| fm)
}

/// The frontmatter of a split note and the warnings about it, naming
/// `path`. Never fails: malformed, refused or doubtful frontmatter becomes
/// a warning, and whenever it leaves `draft`/`publish` uncertain the note
/// is kept private (fail closed).
pub fn read(path: &str, split: &Split) -> (Frontmatter, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let Some(yaml) = split.yaml else {
        let mut fm = defaults();
        if let Some(line) = split.unclosed.and_then(privacy_key_line) {
            make_private(&mut fm);
            diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::Frontmatter,
                    path,
                    "the `---` on line 1 opens a frontmatter that never closes, and it mentions \
                     draft or publish: the note is kept private (close it with a `---` line)",
                )
                .at_line(line),
            );
        }
        return (fm, diagnostics);
    };
    let (mut fm, doubts) = match parse_with_doubts(yaml) {
        Ok(parsed) => parsed,
        Err(e) => {
            let mut d = Diagnostic::warning(
                DiagnosticKind::Frontmatter,
                path,
                format!("frontmatter ignored: {}", e.message),
            );
            d.line = e.line;
            d.column = e.column;
            diagnostics.push(d);
            let fm = defaults();
            let doubts = mentions_privacy(yaml, 2)
                .map(|line| Doubt {
                    line: Some(line),
                    message: "the ignored frontmatter mentions draft or publish".into(),
                })
                .into_iter()
                .collect();
            (fm, doubts)
        }
    };
    if !doubts.is_empty() {
        make_private(&mut fm);
    }
    for doubt in doubts {
        let mut d = Diagnostic::warning(
            DiagnosticKind::Frontmatter,
            path,
            format!(
                "{}: the note is kept private (write `draft: true|false` or `publish: true|false`)",
                doubt.message
            ),
        );
        d.line = doubt.line;
        diagnostics.push(d);
    }
    // A warning about a key points at the key: the first character written
    // on its line.
    if let Some(text) = split.yaml.or(split.unclosed) {
        for d in &mut diagnostics {
            if let (Some(line), None) = (d.line, d.column) {
                d.column = Some(key_column(text, line));
            }
        }
    }
    (fm, diagnostics)
}

/// The 1-based column (in characters) of the first non-blank character on
/// file line `line`, in `text` that starts on file line 2 (after the
/// opening `---`); 1 when there is no such line.
pub fn key_column(text: &str, line: usize) -> usize {
    line.checked_sub(2)
        .and_then(|i| text.lines().nth(i))
        .map_or(1, |l| {
            l.chars().take_while(|c| c.is_whitespace()).count() + 1
        })
}

/// A reason to doubt `draft`/`publish`, and the line (in the file) it is on.
struct Doubt {
    line: Option<usize>,
    message: String,
}

fn make_private(fm: &mut Frontmatter) {
    fm.draft = true;
    fm.publish = false;
}

fn parse_with_doubts(yaml: &str) -> Result<(Frontmatter, Vec<Doubt>), FrontmatterError> {
    if yaml.trim().is_empty() {
        return Ok((defaults(), Vec::new()));
    }
    if let Some(line) = flow_too_deep(yaml) {
        return Err(FrontmatterError {
            line: Some(line),
            column: None,
            message: format!("collections nested deeper than {MAX_FLOW_DEPTH} levels"),
        });
    }
    let value: yaml_serde::Value = yaml_serde::from_str(yaml).map_err(|e| FrontmatterError {
        // +1: the opening `---` line precedes the YAML.
        line: e.location().map(|l| l.line() + 1),
        column: e.location().map(|l| l.column()),
        message: format!("YAML is malformed: {e}"),
    })?;
    let mapping = match value {
        yaml_serde::Value::Mapping(m) => m,
        yaml_serde::Value::Null => return Ok((defaults(), Vec::new())),
        _ => {
            return Err(FrontmatterError {
                line: Some(2),
                column: None,
                message: "frontmatter is not a mapping of keys to values".into(),
            })
        }
    };
    let doubts = privacy_doubts(yaml, &mapping);
    let map = mapping
        .into_iter()
        .map(|(k, v)| (key_string(k), yaml_to_json(v)))
        .collect();
    let mut fm = from_map(map);
    if !doubts.is_empty() {
        make_private(&mut fm);
    }
    Ok((fm, doubts))
}

/// What makes `draft`/`publish` uncertain in a parsed mapping: a key that is
/// only a case or spacing variant (`Draft`), a value that is not a plain
/// `true`/`false` (`y`, `[true]`, empty, a tag), a merge key `<<` that may
/// bring either in.
fn privacy_doubts(yaml: &str, mapping: &yaml_serde::Mapping) -> Vec<Doubt> {
    let mut doubts = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in mapping {
        let written = key_string(key.clone());
        let name = written.trim().to_lowercase();
        if name == "<<" {
            doubts.push(Doubt {
                line: line_of(yaml, "<<"),
                message: "a merge key `<<` may set draft or publish".into(),
            });
            continue;
        }
        if name != "draft" && name != "publish" {
            continue;
        }
        let line = line_of(yaml, &name);
        if seen.contains(&name) {
            doubts.push(Doubt {
                line,
                message: format!("`{name}` is given more than once"),
            });
        }
        seen.push(name.clone());
        if written != name {
            doubts.push(Doubt {
                line,
                message: format!("`{}` is not the key `{name}`", written.escape_debug()),
            });
        } else if strict_bool(value).is_none() {
            doubts.push(Doubt {
                line,
                message: format!("`{name}` is not plainly true or false"),
            });
        }
    }
    doubts
}

/// `true`/`false` (any case, quoted or not); anything else is a doubt.
fn strict_bool(value: &yaml_serde::Value) -> Option<bool> {
    match value {
        yaml_serde::Value::Bool(b) => Some(*b),
        yaml_serde::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The 1-based line (in the file; the YAML starts on line `first`) of the
/// first mention of `draft` or `publish`, any case.
fn mentions_privacy(text: &str, first: usize) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.to_lowercase();
            line.contains("draft") || line.contains("publish")
        })
        .map(|i| i + first)
}

/// In text after an unclosed `---`: the file line of the first line that
/// reads like a `draft:` or `publish:` key (any case, maybe as a list item).
fn privacy_key_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.split_once(':').is_some_and(|(key, _)| {
                let key = key.to_lowercase();
                key.contains("draft") || key.contains("publish")
            })
        })
        .map(|i| i + 2)
}

/// The file line of the YAML line whose key mentions `word` (any case),
/// else of the first line that mentions it at all.
fn line_of(yaml: &str, word: &str) -> Option<usize> {
    let lines = || yaml.lines().map(str::to_lowercase).enumerate();
    lines()
        .find(|(_, line)| {
            line.split_once(':')
                .is_some_and(|(key, _)| key.contains(word))
        })
        .or_else(|| lines().find(|(_, line)| line.contains(word)))
        .map(|(i, _)| i + 2)
}

/// The line on which flow collections first nest deeper than
/// [`MAX_FLOW_DEPTH`]. Brackets inside quotes count too: a false alarm
/// needs dozens of unclosed brackets in one string, and costs only a
/// warning.
fn flow_too_deep(yaml: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 2;
    for b in yaml.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => line += 1,
            _ => {}
        }
    }
    None
}

fn defaults() -> Frontmatter {
    Frontmatter {
        publish: true,
        ..Frontmatter::default()
    }
}

fn from_map(map: Map<String, Value>) -> Frontmatter {
    let mut fm = defaults();
    for (key, value) in map {
        match key.as_str() {
            "title" => fm.title = scalar_string(&value).filter(|s| !s.trim().is_empty()),
            "aliases" | "alias" => fm.aliases.extend(string_list(&value, false)),
            "tags" | "tag" => fm.tags.extend(
                string_list(&value, true)
                    .into_iter()
                    .map(|t| t.trim_start_matches('#').to_string())
                    .filter(|t| !t.is_empty()),
            ),
            "date" | "created" if fm.date.is_none() => fm.date = scalar_string(&value),
            "updated" | "modified" if fm.updated.is_none() => fm.updated = scalar_string(&value),
            "description" | "summary" if fm.description.is_none() => {
                fm.description = scalar_string(&value)
            }
            // Anything but a plain boolean is a doubt (see `privacy_doubts`)
            // and keeps the note private.
            "draft" => fm.draft = json_bool(&value).unwrap_or(true),
            "publish" => fm.publish = json_bool(&value).unwrap_or(false),
            "permalink" => fm.permalink = scalar_string(&value),
            "cssclasses" | "cssclass" => fm.cssclasses.extend(string_list(&value, true)),
            _ => {
                fm.extra.insert(key, value);
            }
        }
    }
    fm
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list, or a string split on commas (and spaces when `split_spaces`).
fn string_list(value: &Value, split_spaces: bool) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(scalar_string)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Value::String(s) => s
            .split(|c: char| c == ',' || (split_spaces && c.is_whitespace()))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn json_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// YAML allows non-string keys and tags; templates need JSON-like values.
fn yaml_to_json(value: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (key_string(k), yaml_to_json(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn key_string(key: yaml_serde::Value) -> String {
    match yaml_to_json(key) {
        Value::String(s) => s,
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_frontmatter_and_counts_body_line() {
        let s = split("---\ntitle: A\n---\nbody\n");
        assert_eq!(s.yaml, Some("title: A\n"));
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
        let none = split("no frontmatter\n---\n");
        assert!(none.yaml.is_none());
        let unclosed = split("---\ntitle: A\n");
        assert!(unclosed.yaml.is_none());
    }

    #[test]
    fn tags_as_list_or_string_with_or_without_hash() {
        let fm = parse("tags: [a, '#b']\n").unwrap();
        assert_eq!(fm.tags, vec!["a", "b"]);
        let fm = parse("tags: '#x, y z'\n").unwrap();
        assert_eq!(fm.tags, vec!["x", "y", "z"]);
    }

    #[test]
    fn malformed_yaml_reports_line_in_file() {
        let err = parse("title: ok\nbad: [unclosed\n").unwrap_err();
        assert!(err.line.is_some());
    }

    #[test]
    fn publish_and_draft() {
        assert!(parse("draft: true").unwrap().draft);
        assert!(!parse("publish: false").unwrap().publish);
        assert!(parse("x: 1").unwrap().publish);
        assert_eq!(parse("x: 1").unwrap().extra["x"], Value::from(1));
    }

    #[test]
    fn fences_may_end_in_blanks_and_an_unclosed_opener_is_not_frontmatter() {
        let s = split("--- \t\ndraft: true\n---  \nbody\n");
        assert_eq!(s.yaml, Some("draft: true\n"));
        assert_eq!(s.body, "body\n");
        let s = split("---\ndraft: true\nbody\n");
        assert!(s.yaml.is_none());
        assert_eq!(s.unclosed, Some("draft: true\nbody\n"));
        assert!(split("----\nx: 1\n---\n").yaml.is_none());
    }

    #[test]
    fn doubtful_draft_or_publish_is_private_and_warned_at_its_line() {
        for yaml in [
            "title: my draft\nDraft: true\n",
            "title: my draft\ndraft: y\n",
            "title: my draft\npublish:\n",
            "title: my draft\ndraft: [true]\n",
        ] {
            let text = format!("---\n{yaml}---\nbody\n");
            let (fm, diags) = read("n.md", &split(&text));
            assert!(fm.draft && !fm.publish, "{yaml:?}");
            assert_eq!(diags.len(), 1, "{yaml:?}");
            assert_eq!(diags[0].line, Some(3), "{yaml:?}: {}", diags[0]);
        }
        let (fm, diags) = read("n.md", &split("---\ndraft: FALSE\npublish: 'true'\n---\n"));
        assert!(!fm.draft && fm.publish && diags.is_empty());
    }

    #[test]
    fn non_mapping_is_an_error() {
        assert!(parse("- a\n- b\n").is_err());
    }
}
