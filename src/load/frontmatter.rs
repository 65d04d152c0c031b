//! Splitting a note into YAML frontmatter and body, and reading the keys
//! Spore understands. Malformed YAML is a warning: the body still publishes.

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
}

/// Splits `---\nYAML\n---\nbody` (text already LF-normalised).
pub fn split(text: &str) -> Split<'_> {
    let none = Split {
        yaml: None,
        body: text,
        body_line: 1,
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return none;
    };
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Split {
                yaml: Some(&rest[..offset]),
                body: &rest[offset + line.len()..],
                body_line: i + 3,
            };
        }
        offset += line.len();
    }
    none
}

/// Why the YAML could not be used; the line is 1-based within the note file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontmatterError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses the YAML block. An empty block is an empty frontmatter.
pub fn parse(yaml: &str) -> Result<Frontmatter, FrontmatterError> {
    if yaml.trim().is_empty() {
        return Ok(defaults());
    }
    let value: yaml_serde::Value = yaml_serde::from_str(yaml).map_err(|e| FrontmatterError {
        // +1: the opening `---` line precedes the YAML.
        line: e.location().map(|l| l.line() + 1),
        message: e.to_string(),
    })?;
    let Value::Object(map) = yaml_to_json(value) else {
        return Err(FrontmatterError {
            line: Some(2),
            message: "frontmatter is not a mapping of keys to values".into(),
        });
    };
    Ok(from_map(map))
}

/// When the YAML is malformed, the keys that keep a note private must still
/// count: a `draft: true` line in a broken block still hides the note.
pub fn salvage(yaml: &str) -> Frontmatter {
    let mut fm = defaults();
    for line in yaml.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = Value::String(value.trim().trim_matches(['"', '\'']).to_string());
        match key.trim() {
            "draft" => fm.draft = fm.draft || truthy(&value),
            "publish" => fm.publish = fm.publish && truthy(&value),
            _ => {}
        }
    }
    fm
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
            "draft" => fm.draft = truthy(&value),
            "publish" => fm.publish = truthy(&value) || value.is_null(),
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

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "on"
        ),
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
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
    fn non_mapping_is_an_error() {
        assert!(parse("- a\n- b\n").is_err());
    }
}
