//! The pass after footnote numbering: code and math. Fenced and indented
//! code blocks are highlighted (`highlight.rs`), ```` ```mermaid ```` blocks
//! are kept for Mermaid to draw in the browser, and `$…$` / `$$…$$` become
//! MathML (`math.rs`).

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::parse::parse;

    fn pass(markdown: &str, mermaid: &mut bool) -> Vec<Ev<'static>> {
        let markdown: &'static str = Box::leak(markdown.to_string().into_boxed_str());
        let events = parse(markdown).into_iter().map(Ev::Md).collect();
        transform(events, &Highlighter::new(), mermaid)
    }

    #[test]
    fn code_blocks_become_one_highlighted_block() {
        let mut mermaid = false;
        let out = pass("```rust title\nfn a() {}\n```\n\n    <plain>", &mut mermaid);
        assert_eq!(out.len(), 2, "{out:?}");
        let Ev::Md(Event::Html(rust)) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(
            rust.starts_with(
                "<pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust\">"
            ),
            "{rust}"
        );
        assert!(rust.contains("hl-"), "{rust}");
        assert_eq!(
            out[1],
            Ev::Md(Event::Html(
                "<pre class=\"code\"><code>&lt;plain&gt;</code></pre>\n".into()
            ))
        );
        assert!(!mermaid);
    }

    #[test]
    fn mermaid_is_kept_for_the_browser() {
        let mut mermaid = false;
        let out = pass("```Mermaid\ngraph A-->B\n```", &mut mermaid);
        assert_eq!(
            out,
            vec![Ev::Md(Event::Html(
                "<pre class=\"mermaid\">graph A--&gt;B\n</pre>\n".into()
            ))]
        );
        assert!(mermaid);
    }

    #[test]
    fn math_becomes_mathml() {
        let out = pass("$x^2$ and\n\n$$\\frac{1}{2}$$", &mut false);
        let math: Vec<&str> = out
            .iter()
            .filter_map(|e| match e {
                Ev::Md(Event::InlineHtml(h)) => Some(&**h),
                _ => None,
            })
            .collect();
        assert_eq!(math.len(), 2);
        assert!(math[0].starts_with("<math") && !math[0].contains("display=\"block\""));
        assert!(math[1].contains("display=\"block\""), "{}", math[1]);
    }
}
