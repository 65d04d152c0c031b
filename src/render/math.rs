//! `$…$` and `$$…$$` to MathML at build time: no JavaScript, works offline.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

pub fn to_mathml(latex: &str, block: bool) -> String {
    let storage = Storage::new();
    let parser = Parser::new(latex, &storage);
    let config = RenderConfig {
        display_mode: if block {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        annotation: Some(latex),
        ..RenderConfig::default()
    };
    let mut out = String::new();
    match push_mathml(&mut out, parser, config) {
        Ok(()) => out,
        Err(_) => format!(
            "<code class=\"math-error\">{}</code>",
            super::escape::html(latex)
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_mathml() {
        let m = super::to_mathml("x^2", false);
        assert!(m.starts_with("<math"), "{m}");
        assert!(super::to_mathml("\\frac{1}{2}", true).contains("display=\"block\""));
        let bad = super::to_mathml("\\frac{", false);
        assert!(!bad.is_empty());
    }
}
