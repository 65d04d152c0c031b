//! Footnotes, ordinary (`[^label]` + `[^label]: …`) and inline (`^[…]`),
//! as one numbering in order of first reference, with every definition
//! collected in one section at the end of the page (or of an embed), each
//! linking back to its references — as Obsidian and GitHub show them.
//! Two passes: `split_definitions` (right after parsing) and `number`
//! (after embeds), which writes each reference's mark.

use super::{escape, Ev};
use pulldown_cmark::{Event, Tag, TagEnd};
use std::collections::{HashMap, HashSet};

/// One numbered footnote.
#[derive(Debug)]
struct Note {
    /// Rendered HTML of the definition (blocks for an ordinary footnote,
    /// escaped text for an inline one); empty until rendered.
    html: String,
    /// How many references point at it.
    refs: usize,
    /// Key of an ordinary footnote (`None` for an inline one).
    label: Option<String>,
}

/// The footnotes of one rendering (a page, or one embed on it).
#[derive(Debug, Default)]
pub struct Footnotes {
    /// Prefix of every id, so an embed's footnotes never meet the page's.
    prefix: String,
    /// In number order (number = index + 1).
    notes: Vec<Note>,
    /// Ordinary footnote key → index in `notes`.
    numbered: HashMap<String, usize>,
    /// Keys of the ordinary footnotes this text defines.
    defined: HashSet<String>,
}

/// Footnote labels match regardless of case, as in GitHub.
fn key(label: &str) -> String {
    label.to_lowercase()
}

/// Events with their headings' places among all the text's headings (the
/// index numbers headings in document order, definitions included).
pub struct Part<'e> {
    pub events: Vec<Event<'e>>,
    pub headings: Vec<usize>,
}

/// Ordinary footnote definitions taken out of an event stream (wherever
/// they stand), first definition of a label wins; the rest of the stream.
pub fn split_definitions(events: Vec<Event<'_>>) -> (Part<'_>, HashMap<String, Part<'_>>) {
    let mut main = Part {
        events: Vec::with_capacity(events.len()),
        headings: Vec::new(),
    };
    let mut definitions: HashMap<String, Part> = HashMap::new();
    let mut heading_n = 0;
    // The definition being read: (key, its part, nesting inside it).
    let mut open: Option<(String, Part, usize)> = None;
    for event in events {
        let heading = matches!(event, Event::Start(Tag::Heading { .. }));
        if let Some((_, body, nested)) = open.as_mut() {
            match &event {
                Event::Start(Tag::FootnoteDefinition(_)) => *nested += 1,
                Event::End(TagEnd::FootnoteDefinition) if *nested == 0 => {
                    if let Some((k, body, _)) = open.take() {
                        definitions.entry(k).or_insert(body);
                    }
                    continue;
                }
                Event::End(TagEnd::FootnoteDefinition) => *nested -= 1,
                _ => {}
            }
            if heading {
                body.headings.push(heading_n);
                heading_n += 1;
            }
            body.events.push(event);
            continue;
        }
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => {
                let part = Part {
                    events: Vec::new(),
                    headings: Vec::new(),
                };
                open = Some((key(&label), part, 0));
            }
            other => {
                if heading {
                    main.headings.push(heading_n);
                    heading_n += 1;
                }
                main.events.push(other)
            }
        }
    }
    if let Some((k, body, _)) = open {
        definitions.entry(k).or_insert(body);
    }
    (main, definitions)
}

impl Footnotes {
    pub fn new(prefix: String) -> Self {
        Footnotes {
            prefix,
            ..Footnotes::default()
        }
    }

    /// Records which ordinary footnotes the text defines.
    pub fn define<'a>(&mut self, keys: impl Iterator<Item = &'a String>) {
        self.defined.extend(keys.cloned());
    }

    /// The reference mark for `[^label]`, or `None` when nothing defines it
    /// (it then stays the text it was).
    pub fn reference(&mut self, label: &str) -> Option<String> {
        let k = key(label);
        if !self.defined.contains(&k) {
            return None;
        }
        let i = match self.numbered.get(&k) {
            Some(&i) => i,
            None => {
                self.notes.push(Note {
                    html: String::new(),
                    refs: 0,
                    label: Some(k.clone()),
                });
                self.numbered.insert(k, self.notes.len() - 1);
                self.notes.len() - 1
            }
        };
        Some(self.mark(i))
    }

    /// The reference mark for an inline footnote `^[text]`.
    pub fn inline(&mut self, text: &str) -> String {
        self.notes.push(Note {
            html: format!("<p>{}</p>", escape::html(text)),
            refs: 0,
            label: None,
        });
        self.mark(self.notes.len() - 1)
    }

    fn mark(&mut self, i: usize) -> String {
        self.notes[i].refs += 1;
        let n = i + 1;
        let p = &self.prefix;
        let id = ref_id(p, n, self.notes[i].refs);
        format!(
            "<sup class=\"footnote-reference\"><a href=\"#{p}fn-{n}\" id=\"{id}\">{n}</a></sup>"
        )
    }

    /// The next numbered ordinary footnote whose definition is not yet
    /// rendered: (index, key).
    pub fn next_unrendered(&self, from: usize) -> Option<(usize, String)> {
        self.notes
            .iter()
            .enumerate()
            .skip(from)
            .find_map(|(i, n)| n.label.clone().map(|l| (i, l)))
    }

    pub fn set_html(&mut self, i: usize, html: String) {
        if let Some(note) = self.notes.get_mut(i) {
            note.html = html;
        }
    }

    /// The section listing every footnote, empty when there are none.
    pub fn section(&self) -> String {
        if self.notes.is_empty() {
            return String::new();
        }
        let p = &self.prefix;
        let mut html = String::from("<section class=\"footnotes\">\n<ol>\n");
        for (i, note) in self.notes.iter().enumerate() {
            let n = i + 1;
            let mut back = String::new();
            for r in 1..=note.refs {
                let label = if r == 1 {
                    "↩".to_string()
                } else {
                    format!("↩<sup>{r}</sup>")
                };
                back.push_str(&format!(
                    " <a href=\"#{}\" class=\"footnote-backref\" aria-label=\"Back to reference {n}\">{label}</a>",
                    ref_id(p, n, r)
                ));
            }
            let body = note.html.trim_end();
            // The back-links end the definition's last paragraph, if it
            // ends with one.
            let body = match body.strip_suffix("</p>") {
                Some(rest) => format!("{rest}{back}</p>"),
                None => format!("{body}{back}"),
            };
            html.push_str(&format!(
                "<li class=\"footnote-definition\" id=\"{p}fn-{n}\">{body}</li>\n"
            ));
        }
        html.push_str("</ol>\n</section>\n");
        html
    }
}

/// The pass: each reference (`[^label]`, `^[…]`) becomes its numbered
/// mark, in order; `[^label]` with no definition stays text.
pub fn number<'e>(events: Vec<Ev<'e>>, footnotes: &mut Footnotes) -> Vec<Ev<'e>> {
    events
        .into_iter()
        .map(|ev| match ev {
            Ev::Md(Event::FootnoteReference(label)) => match footnotes.reference(&label) {
                Some(mark) => Ev::Md(Event::InlineHtml(mark.into())),
                None => Ev::Md(Event::Text(format!("[^{label}]").into())),
            },
            Ev::InlineFootnote(text) => Ev::Md(Event::InlineHtml(footnotes.inline(&text).into())),
            other => other,
        })
        .collect()
}

/// Id of the `r`-th reference to footnote `n`.
fn ref_id(prefix: &str, n: usize, r: usize) -> String {
    if r == 1 {
        format!("{prefix}fnref-{n}")
    } else {
        format!("{prefix}fnref-{n}-{r}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::parse::parse;

    #[test]
    fn definitions_are_taken_out_with_their_headings_places() {
        let (main, definitions) = split_definitions(parse(
            "# A\n\nx[^n]\n\n[^N]: # B\n\n    y\n\n# C\n\n[^n]: second",
        ));
        assert_eq!(main.headings, vec![0, 2]);
        assert!(!main
            .events
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::FootnoteDefinition(_)))));
        // Labels match ignoring case; the first definition wins.
        assert_eq!(definitions.len(), 1);
        let n = &definitions["n"];
        assert_eq!(n.headings, vec![1]);
        assert!(n.events.contains(&Event::Text("y".into())));
    }

    #[test]
    fn references_are_numbered_in_order_of_first_reference() {
        let mut notes = Footnotes::new("p-".into());
        let keys = ["a".to_string(), "b".to_string()];
        notes.define(keys.iter());
        let events = vec![
            Ev::Md(Event::FootnoteReference("b".into())),
            Ev::InlineFootnote("inline <x>".into()),
            Ev::Md(Event::FootnoteReference("B".into())),
            Ev::Md(Event::FootnoteReference("zz".into())),
            Ev::Md(Event::Text("kept".into())),
        ];
        let out = number(events, &mut notes);
        let mark = |n: usize, id: &str| {
            Ev::Md(Event::InlineHtml(
                format!("<sup class=\"footnote-reference\"><a href=\"#p-fn-{n}\" id=\"{id}\">{n}</a></sup>")
                    .into(),
            ))
        };
        assert_eq!(
            out,
            vec![
                mark(1, "p-fnref-1"),
                mark(2, "p-fnref-2"),
                mark(1, "p-fnref-1-2"),
                Ev::Md(Event::Text("[^zz]".into())),
                Ev::Md(Event::Text("kept".into())),
            ]
        );
        // `a` was never referenced: not numbered.
        assert_eq!(notes.next_unrendered(0), Some((0, "b".to_string())));
        assert_eq!(notes.next_unrendered(1), None);
        notes.set_html(0, "<p>bee</p>\n".into());
        let section = notes.section();
        assert!(section.contains("<li class=\"footnote-definition\" id=\"p-fn-1\"><p>bee <a href=\"#p-fnref-1\" class=\"footnote-backref\" aria-label=\"Back to reference 1\">↩</a> <a href=\"#p-fnref-1-2\""), "{section}");
        assert!(
            section.contains("id=\"p-fn-2\"><p>inline &lt;x&gt; <a href=\"#p-fnref-2\""),
            "{section}"
        );
    }
}
