//! Plain text of a rendered note, for the search index, snippets and
//! previews: tags dropped, entities decoded, white space collapsed.

/// Elements whose content is not prose (scripts, styles, MathML source
/// annotations): skipped whole.
const SKIPPED: [&str; 4] = ["script", "style", "annotation", "svg"];

/// Tags after which a word boundary is implied even without white space.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "td"
            | "th"
            | "pre"
            | "blockquote"
            | "section"
            | "details"
            | "summary"
            | "figure"
            | "figcaption"
            | "dt"
            | "dd"
            | "table"
            | "hr"
            | "img"
    )
}

/// The text of an HTML fragment as a reader sees it, on one line.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            push_decoded(&mut out, &rest[..lt]);
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match skip_until {
            Some(s) if closing && s == name => skip_until = None,
            Some(_) => {}
            None => {
                if !closing && !tag.ends_with('/') {
                    if let Some(s) = SKIPPED.iter().find(|s| **s == name) {
                        skip_until = Some(s);
                        continue;
                    }
                }
                if is_block(&name) {
                    out.push(' ');
                }
            }
        }
    }
    if skip_until.is_none() {
        push_decoded(&mut out, rest);
    }
    collapse_space(&out)
}

fn collapse_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Appends `s` with the character references HTML escaping produces decoded.
fn push_decoded(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| decode_entity(&tail[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// At most `max_chars` characters of `text`, cut at a word boundary, with
/// an ellipsis when cut.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(sp) if sp > cut.len() / 2 => &cut[..sp],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes() {
        let html = "<h2 id=\"a\">Caf&eacute;s &amp; <em>tea</em></h2><p>One<br>two &#x41;&#66;</p><script>var x;</script><p>end</p>";
        assert_eq!(html_to_text(html), "Caf&eacute;s & tea One two AB end");
    }

    #[test]
    fn excerpt_cuts_at_words() {
        assert_eq!(excerpt("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(excerpt("short", 12), "short");
    }
}
