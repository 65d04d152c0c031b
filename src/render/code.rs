//! The pass after footnote numbering: code and math. Fenced and indented code blocks are highlighted
//! (`highlight.rs`), ```` ```mermaid ```` blocks are kept for Mermaid to
//! draw in the browser, and `$…$` / `$$…$$` become MathML (`math.rs`).

use super::{escape, highlight::Highlighter, math, Ev};
use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};

/// `uses_mermaid` is set when a Mermaid block is written.
pub fn transform<'e>(
    events: Vec<Ev<'e>>,
    highlighter: &Highlighter,
    uses_mermaid: &mut bool,
) -> Vec<Ev<'e>> {
    let mut out = Vec::with_capacity(events.len());
    // The open code block: (language, its text so far).
    let mut code: Option<(String, String)> = None;
    for ev in events {
        if let Some((_, buf)) = code.as_mut() {
            match ev {
                Ev::Md(Event::Text(t)) => buf.push_str(&t),
                Ev::Md(Event::End(TagEnd::CodeBlock)) => {
                    if let Some((lang, buf)) = code.take() {
                        let html = code_block(highlighter, &lang, &buf, uses_mermaid);
                        out.push(Ev::Md(Event::Html(html.into())));
                    }
                }
                _ => {}
            }
            continue;
        }
        match ev {
            Ev::Md(Event::Start(Tag::CodeBlock(kind))) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Ev::Md(Event::InlineMath(m)) => {
                out.push(Ev::Md(Event::InlineHtml(math::to_mathml(&m, false).into())))
            }
            Ev::Md(Event::DisplayMath(m)) => {
                out.push(Ev::Md(Event::InlineHtml(math::to_mathml(&m, true).into())))
            }
            other => out.push(other),
        }
    }
    out
}

fn code_block(
    highlighter: &Highlighter,
    lang: &str,
    code: &str,
    uses_mermaid: &mut bool,
) -> String {
    if lang.eq_ignore_ascii_case("mermaid") {
        *uses_mermaid = true;
        return format!("<pre class=\"mermaid\">{}</pre>\n", escape::html(code));
    }
    highlighter.code_block(lang, code).to_string()
}
