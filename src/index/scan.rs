//! One pass over a note's events to find what the index needs: headings
//! (with ids and sections), block ids, links and embeds (with the sentence
//! around them) and inline tags.

use crate::syntax::{self, slug, tags, target::has_scheme};
use pulldown_cmark::{Event, LinkType, Parser, Tag, TagEnd};
use std::collections::HashSet;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// Unique id on the page (what `#fragment` links point to).
    pub id: String,
    /// Byte range of the heading's section in the body: from the heading to
    /// the next heading of the same or a higher level.
    pub section: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: String,
    /// Byte range of the block in the body.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    /// Destination as written (percent-decoded for Markdown links).
    pub dest: String,
    pub embed: bool,
    pub wiki: bool,
    /// Plain text of the block the link stands in, shared by every link
    /// of the block and by the backlinks made from them (a paragraph with
    /// ten links is held once, not eleven times).
    pub context: std::sync::Arc<str>,
    /// A hash of `context`, made with it: what a page showing this link as
    /// a backlink records (`emit::view`), so a save does not hash every
    /// backlink's sentence again.
    pub context_hash: u64,
    /// Where the link starts in the body: 1-based line (of the body, not
    /// the file: add the note's `body_line - 1`) and column in characters.
    pub line: usize,
    pub column: usize,
    /// Byte offset in the body where the link starts.
    pub offset: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteScan {
    pub headings: Vec<Heading>,
    /// In document order; an id given twice names its first block.
    pub blocks: Vec<Block>,
    pub links: Vec<RawLink>,
    pub tags: Vec<String>,
    /// Lookup tables, each sorted `(hash of a key, index)`: block id →
    /// `blocks`; `t:` + case-folded heading text and `i:` + heading id →
    /// `headings`; embed destination as written → `links`. A lookup costs
    /// the same for a note with a hundred thousand blocks as for one with
    /// three, and a table costs 16 bytes an entry, not a `String` and a
    /// `Vec` (issue 14: memory that grows with the notes' metadata). The
    /// key is checked on the entry found, so a hash collision finds
    /// nothing wrong.
    block_table: Table,
    heading_table: Table,
    embed_table: Table,
}

/// `(hash of key, index)`, sorted.
type Table = Box<[(u64, u32)]>;

fn table_key(kind: &str, key: &str) -> u64 {
    crate::memo::hash_of(&(kind, key))
}

/// The indices filed under `key` in `table`, ascending.
fn lookup(table: &Table, key: u64) -> impl Iterator<Item = usize> + '_ {
    let from = table.partition_point(|&(k, _)| k < key);
    table[from..]
        .iter()
        .take_while(move |&&(k, _)| k == key)
        .map(|&(_, i)| i as usize)
}

fn make_table(entries: impl Iterator<Item = (u64, usize)>) -> Table {
    let mut table: Vec<(u64, u32)> = entries
        .filter_map(|(k, i)| Some((k, u32::try_from(i).ok()?)))
        .collect();
    table.sort_unstable();
    table.into_boxed_slice()
}

impl NoteScan {
    /// The block `^id` names, if the note has one.
    pub fn block(&self, id: &str) -> Option<&Block> {
        lookup(&self.block_table, table_key("b", id))
            .map(|i| &self.blocks[i])
            .find(|b| b.id == id)
    }

    /// Headings whose case-folded text is `folded`, in document order.
    pub fn headings_with_text(&self, folded: &str) -> Vec<usize> {
        lookup(&self.heading_table, table_key("t", folded))
            .filter(|&i| crate::index::resolve::fold(&self.headings[i].text) == folded)
            .collect()
    }

    /// The heading whose id is `id`, as a list of at most one.
    pub fn headings_with_id(&self, id: &str) -> Vec<usize> {
        lookup(&self.heading_table, table_key("i", id))
            .filter(|&i| self.headings[i].id == id)
            .collect()
    }

    /// The first embed of `dest` (as written) in the note.
    pub fn first_embed(&self, dest: &str) -> Option<&RawLink> {
        lookup(&self.embed_table, table_key("e", dest))
            .map(|i| &self.links[i])
            .find(|l| l.embed && l.dest == dest)
    }

    fn make_tables(&mut self) {
        let headings = self.headings.iter().enumerate().flat_map(|(i, h)| {
            [
                (table_key("t", &crate::index::resolve::fold(&h.text)), i),
                (table_key("i", &h.id), i),
            ]
        });
        self.heading_table = make_table(headings);
        let blocks = self.blocks.iter().enumerate();
        self.block_table = make_table(blocks.map(|(i, b)| (table_key("b", &b.id), i)));
        let embeds = self.links.iter().enumerate().filter(|(_, l)| l.embed);
        self.embed_table = make_table(embeds.map(|(i, l)| (table_key("e", &l.dest), i)));
    }

    /// Lets the text the links were found in go (what later stages need
    /// of it went into the backlinks), and the lists' spare room.
    pub fn shrink(&mut self) {
        // One empty sentence for all: `Arc::from("")` allocates each time.
        let empty: std::sync::Arc<str> = std::sync::Arc::from("");
        for link in &mut self.links {
            link.context = empty.clone();
        }
        self.links.shrink_to_fit();
        self.headings.shrink_to_fit();
        self.blocks.shrink_to_fit();
        self.tags.shrink_to_fit();
    }
}

const CONTEXT_CHARS: usize = 280;

struct Container {
    text: String,
    range: Range<usize>,
    is_item: bool,
    first_link: usize,
}

pub fn scan(body: &str) -> NoteScan {
    let mut out = NoteScan::default();
    let mut block_ids: HashSet<String> = HashSet::new();
    let mut slugs = slug::SlugSet::default();
    let mut heading: Option<(u8, Option<String>, usize, String)> = None;
    let mut containers: Vec<Container> = Vec::new();
    let mut link_depth = 0usize;
    let mut in_code = false;
    let mut depth = 0usize;
    let mut last_top_block: Option<Range<usize>> = None;
    let mut heading_starts: Vec<(usize, u8)> = Vec::new();
    let lines = LineStarts::new(body);

    for (event, range) in Parser::new_ext(body, syntax::parser_options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                depth += 1;
                match tag {
                    Tag::Heading { level, id, .. } => {
                        heading = Some((
                            level as u8,
                            id.map(|i| i.to_string()),
                            range.start,
                            String::new(),
                        ));
                    }
                    Tag::Paragraph | Tag::Item | Tag::TableCell => containers.push(Container {
                        text: String::new(),
                        range: range.clone(),
                        is_item: matches!(tag, Tag::Item),
                        first_link: out.links.len(),
                    }),
                    Tag::CodeBlock(_) => in_code = true,
                    Tag::Link {
                        link_type,
                        dest_url,
                        ..
                    }
                    | Tag::Image {
                        link_type,
                        dest_url,
                        ..
                    } => {
                        link_depth += 1;
                        let embed = matches!(tag_kind(&range, body), Kind::Image);
                        if let Some(dest) = link_dest(link_type, &dest_url) {
                            let (line, column) = lines.locate(body, range.start);
                            out.links.push(RawLink {
                                line,
                                column,
                                offset: range.start,
                                dest,
                                embed,
                                wiki: matches!(link_type, LinkType::WikiLink { .. }),
                                context: std::sync::Arc::from(""),
                                context_hash: 0,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                match end {
                    TagEnd::Heading(_) => {
                        if let Some((level, id, start, text)) = heading.take() {
                            let id = slugs.unique(&id.unwrap_or_else(|| slug::slugify(&text)));
                            heading_starts.push((start, level));
                            out.headings.push(Heading {
                                level,
                                text: text.trim().to_string(),
                                id,
                                section: start..body.len(),
                            });
                        }
                    }
                    TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell => {
                        if let Some(c) = containers.pop() {
                            let previous = last_top_block.clone();
                            finish_container(
                                c,
                                &mut containers,
                                &mut out,
                                &mut block_ids,
                                previous,
                            );
                        }
                    }
                    TagEnd::CodeBlock => in_code = false,
                    TagEnd::Link | TagEnd::Image => link_depth = link_depth.saturating_sub(1),
                    _ => {}
                }
                if depth == 0 {
                    last_top_block = Some(range.clone());
                }
            }
            Event::Text(text) => {
                if let Some(h) = heading.as_mut() {
                    h.3.push_str(&text);
                }
                if let Some(c) = containers.last_mut() {
                    c.text.push_str(&text);
                }
                if link_depth == 0 && !in_code {
                    for (_, tag) in tags::find_tags(&text) {
                        out.tags.push(tag.to_string());
                    }
                }
            }
            Event::Code(text) | Event::InlineMath(text) => {
                if let Some(h) = heading.as_mut() {
                    h.3.push_str(&text);
                }
                if let Some(c) = containers.last_mut() {
                    c.text.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(c) = containers.last_mut() {
                    c.text.push('\n');
                }
            }
            _ => {}
        }
    }
    // A section runs to the next heading of the same or a higher level.
    for i in 0..out.headings.len() {
        let level = out.headings[i].level;
        if let Some((start, _)) = heading_starts[i + 1..].iter().find(|(_, l)| *l <= level) {
            out.headings[i].section.end = *start;
        }
    }
    out.make_tables();
    out.links.shrink_to_fit();
    out.headings.shrink_to_fit();
    out.blocks.shrink_to_fit();
    out
}

/// Byte offsets where each line of a text starts, to turn a parser offset
/// into a line and column without rescanning the text per link.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts(starts)
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.0.partition_point(|&s| s <= offset).max(1);
        let start = self.0[line - 1];
        let column = text
            .get(start..offset)
            .map_or(1, |before| before.chars().count() + 1);
        (line, column)
    }
}

fn finish_container(
    c: Container,
    parents: &mut [Container],
    out: &mut NoteScan,
    block_ids: &mut HashSet<String>,
    previous_block: Option<Range<usize>>,
) {
    // Only paragraphs that hold a link need their context text.
    if out.links[c.first_link..]
        .iter()
        .any(|l| l.context.is_empty())
    {
        let context: std::sync::Arc<str> = context_text(&c.text).into();
        let hash = crate::memo::hash_of(&*context);
        for link in &mut out.links[c.first_link..] {
            if link.context.is_empty() {
                link.context = context.clone();
                link.context_hash = hash;
            }
        }
    }
    if let Some(parent) = parents.last_mut() {
        parent.text.push_str(&c.text);
        parent.text.push(' ');
    }
    if let Some((before, id)) = syntax::trailing_block_id(&c.text) {
        let range = if before.is_empty() && !c.is_item {
            // `^id` alone on a line names the block above it.
            previous_block.unwrap_or(c.range.clone())
        } else {
            c.range.clone()
        };
        // An id given twice names its first block.
        if block_ids.insert(id.to_string()) {
            out.blocks.push(Block {
                id: id.to_string(),
                range,
            });
        }
    }
}

fn context_text(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = match syntax::trailing_block_id(&flat) {
        Some((before, _)) => before.to_string(),
        None => flat,
    };
    if flat.chars().count() <= CONTEXT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(CONTEXT_CHARS).collect();
    format!("{}…", cut.trim_end())
}

enum Kind {
    Image,
    Link,
}

/// `![[x]]` and `![](x)` start with `!` in the source.
fn tag_kind(range: &Range<usize>, body: &str) -> Kind {
    if body[range.start..].starts_with('!') {
        Kind::Image
    } else {
        Kind::Link
    }
}

/// The destination a link names inside the vault, or `None` for external
/// URLs, e-mail autolinks and empty destinations.
pub fn link_dest(link_type: LinkType, dest: &str) -> Option<String> {
    match link_type {
        LinkType::Autolink | LinkType::Email => None,
        // In tables `[[Note\\|label]]` escapes the pipe; the `\\` is not part of the name.
        LinkType::WikiLink { .. } => Some(dest.strip_suffix('\\').unwrap_or(dest).to_string()),
        _ => {
            if dest.is_empty() || has_scheme(dest) {
                return None;
            }
            let decoded = percent_encoding::percent_decode_str(dest).decode_utf8_lossy();
            Some(decoded.into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_sections_and_ids() {
        let body = "# A\ntext\n## B\nmore\n## B\n# C\n";
        let s = scan(body);
        let ids: Vec<_> = s.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "b-1", "c"]);
        assert_eq!(
            &body[s.headings[0].section.clone()],
            "# A\ntext\n## B\nmore\n## B\n"
        );
        assert_eq!(&body[s.headings[1].section.clone()], "## B\nmore\n");
    }

    #[test]
    fn block_ids_paragraph_item_and_standalone() {
        let body = "para one ^p1\n\n- item ^i1\n- other\n\n> quote\n\n^q1\n";
        let s = scan(body);
        let ids: Vec<_> = s.blocks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, vec!["p1", "i1", "q1"]);
        assert!(body[s.blocks[2].range.clone()].starts_with("> quote"));
        assert_eq!(s.block("i1"), Some(&s.blocks[1]));
        assert_eq!(s.block("nope"), None);
    }

    #[test]
    fn headings_found_by_text_or_id_nested_first_in_order() {
        use crate::index::find_heading;
        let s = scan("# A\n## Part\n# B\n## Part\n### Deep\n## Énorme {#custom}\n");
        let find = |path: &[&str]| {
            let path: Vec<String> = path.iter().map(|p| p.to_string()).collect();
            find_heading(&s, &path)
        };
        assert_eq!(find(&["part"]), Some(1));
        assert_eq!(find(&["B", "Part"]), Some(3));
        assert_eq!(find(&["B", "PART", "deep"]), Some(4));
        assert_eq!(find(&["A", "Deep"]), None);
        assert_eq!(find(&["part-1"]), Some(3), "by id");
        assert_eq!(find(&["ÉNORME"]), Some(5), "folded text");
        assert_eq!(find(&["custom"]), Some(5), "by custom id");
        assert_eq!(
            find(&["Part", "Part"]),
            None,
            "a heading is not inside itself"
        );
    }

    #[test]
    fn a_repeated_block_id_names_its_first_block() {
        let s = scan("one ^x\n\ntwo ^x\n\nthree ^y\n");
        let ids: Vec<_> = s.blocks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, vec!["x", "y"]);
        assert_eq!(s.block("x").map(|b| b.range.start), Some(0));
    }

    #[test]
    fn links_embeds_context_and_tags() {
        let body = "See [[Other#H|x]] and ![[Pic.png]] #tag `#no`\n\n[m](My%20Note.md) [e](https://x.org)\n";
        let s = scan(body);
        assert_eq!(s.links.len(), 3);
        assert_eq!(s.links[0].dest, "Other#H");
        assert!(s.links[0].context.starts_with("See x and"));
        assert!(s.links[1].embed);
        assert_eq!(s.links[2].dest, "My Note.md");
        assert_eq!(s.tags, vec!["tag"]);
    }
}
