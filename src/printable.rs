//! Names made safe to print. File names, paths, titles and URLs come from
//! vaults, copies and mirrors — anyone's input — and a terminal obeys the
//! control characters in them: ESC sequences erase or rewrite lines, CR
//! returns to the line start, bidi overrides reorder what is shown. Every
//! name a command prints goes through [`printable`] (or [`Shown`]), which
//! spells such characters as `\u{…}` escapes.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

/// Characters a terminal or a text renderer acts on instead of showing:
/// C0 controls, DEL, C1 controls, and the Unicode bidi marks, embeddings,
/// overrides and isolates (the "Trojan Source" characters).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `s` has any character [`is_unsafe_char`] refuses.
pub fn has_unsafe_char(s: &str) -> bool {
    s.chars().any(is_unsafe_char)
}

/// `s` with every unsafe character written as `\u{hex}`; borrowed when
/// there is nothing to escape.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !has_unsafe_char(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`printable`], but keeps line feeds: for multi-line messages
/// (a TOML error with its caret line) whose parts are not all names.
pub fn printable_lines(s: &str) -> String {
    s.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

/// [`printable`], cut after `max` characters (then `…`): a value quoted
/// in a message keeps the message one readable line, whatever its length.
pub fn shortened(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", printable(&s[..at])),
        None => printable(s).into_owned(),
    }
}

/// A path, lossily as UTF-8, escaped.
pub fn printable_path(p: &Path) -> String {
    printable(&p.to_string_lossy()).into_owned()
}

/// `Display` for a name, escaped: `format!("{}", Shown(&name))`.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` keeps width and alignment (`{:<20}`) working.
        f.pad(&printable(self.0))
    }
}

/// Pretty JSON in which the characters [`is_unsafe_char`] refuses are
/// `\uXXXX` escapes (serde_json escapes C0 itself, but writes DEL, C1 and
/// bidi characters raw): the same value, safe to show in a terminal.
pub fn to_json_pretty<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafePretty(Default::default()));
    value.serialize(&mut ser)?;
    // Only `str`s were written, and escapes keep them UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

struct SafePretty<'a>(serde_json::ser::PrettyFormatter<'a>);

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)*)
        }
    )*};
}

impl serde_json::ser::Formatter for SafePretty<'_> {
    forward!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        begin_object_value(),
        end_object_value(),
    );

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if is_unsafe_char(c) {
                write!(w, "\\u{:04x}", c as u32)?;
            } else {
                let mut buf = [0u8; 4];
                w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened_values_are_escaped_and_cut() {
        assert_eq!(shortened("2024-02-30", 60), "2024-02-30");
        assert_eq!(shortened("a\u{1b}[2Kb", 3), "a\\u{1b}[…");
        assert_eq!(shortened("дата", 2), "да…");
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let s = "a\u{1b}[2K\rOK\u{7f}\u{9b}\u{202e}x\u{2066}\u{61c}\n";
        let p = printable(s);
        assert!(!has_unsafe_char(&p), "{p}");
        assert_eq!(
            p,
            "a\\u{1b}[2K\\u{d}OK\\u{7f}\\u{9b}\\u{202e}x\\u{2066}\\u{61c}\\u{a}"
        );
        assert!(matches!(
            printable("notes/Ünïcode ok.html"),
            Cow::Borrowed(_)
        ));
        assert_eq!(printable_lines("a\u{1b}\nb"), "a\\u{1b}\nb");
        assert_eq!(format!("{:<6}|", Shown("a\u{7}")), "a\\u{7}|");
        assert_eq!(format!("{:<6}|", Shown("ab")), "ab    |");
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let value = serde_json::json!({"path": "a\u{7f}\u{9b}\u{202e}\u{1b}é", "n": [1, 2]});
        let text = to_json_pretty(&value).unwrap();
        assert!(!has_unsafe_char(&text.replace('\n', "")), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        assert_eq!(
            text.lines().count(),
            serde_json::to_string_pretty(&value)
                .unwrap()
                .lines()
                .count()
        );
    }
}
