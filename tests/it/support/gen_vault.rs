//! Deterministic synthetic Obsidian vault generator: a Rust port of
//! `bench/gen_vault.py` (same structure and probabilities, own PRNG, so the
//! bytes differ from the Python output but are stable for a given seed).
//!
//! The vault mimics a research wiki: nested folders, YAML frontmatter (title,
//! tags, aliases, date, rare `draft: true`), headings, wikilinks in every
//! Obsidian form (`[[Note]]`, `[[Note|label]]`, `[[Note#Heading]]`,
//! `[[Note#^block]]`), note and image embeds, tiny valid PNGs, callouts,
//! tables, task lists, footnotes, code blocks, inline math, `==highlights==`,
//! `%%comments%%`, nested `#tags`, non-Latin titles and ~1% broken links written
//! as `[[Missing note N]]`. Every other link is valid by construction.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "knowledge", "diffusion", "mirror", "replica", "hash", "network", "node", "research", "model",
    "weights", "protocol", "open", "archive", "copy", "verify", "resilience", "redundancy",
    "wiki", "graph", "link", "note", "index", "tensor", "gradient", "attention", "layer", "token",
    "vector", "entropy", "signal", "noise", "field", "theory", "proof", "lemma", "method",
    "result", "data",
];
#[rustfmt::skip]
const CYRILLIC: &[&str] = &[
    "знание", "зеркало", "сеть", "узел", "модель", "копия", "защита", "распространение",
];
#[rustfmt::skip]
const CJK: &[&str] = &["知识", "镜像", "网络", "节点", "模型"];
#[rustfmt::skip]
const ACCENT: &[&str] = &["café", "naïve", "über", "Ærø", "façade"];
#[rustfmt::skip] // sorted by name, like `sorted(LANGS)` in the Python script
const LANGS: &[(&str, &str)] = &[
    ("bash", "for f in *.md; do\n  sha256sum \"$f\"\ndone | sort > SUMS"),
    ("javascript", "const hash = async (s) => {\n  const d = await crypto.subtle.digest(\"SHA-256\", new TextEncoder().encode(s));\n  return [...new Uint8Array(d)].map(b => b.toString(16).padStart(2, \"0\")).join(\"\");\n};"),
    ("python", "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"),
    ("rust", "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}"),
    ("yaml", "title: Example\ntags: [a, b]\nmirrors:\n  - https://example.org/\n"),
];
#[rustfmt::skip]
const CALLOUTS: &[&str] = &[
    "note", "warning", "tip", "info", "danger", "quote", "example",
];

/// One link or embed written into a note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedLink {
    /// Exact text written into the markdown (inside tables `|` is escaped as `\|`).
    pub raw: String,
    /// Vault-relative path of the target (`area-0/Foo 3.md`, `attachments/figure-0.png`);
    /// for a missing link, the unresolvable name (`Missing note 123`).
    pub target: String,
    /// Title of the target note (the name written in the link); file name for images.
    pub target_title: String,
    /// `[[Note#Heading]]` heading text.
    pub heading: Option<String>,
    /// `[[Note#^blk3]]` block id, without the caret (`blk3`).
    pub block: Option<String>,
    /// `[[Note|label]]` label, or the image width for `![[img.png|200]]`.
    pub label: Option<String>,
    /// `![[...]]` embed (note section or image).
    pub embed: bool,
    /// Written as `[[Missing note N]]`; its target does not exist.
    pub missing: bool,
    /// Written inside a markdown table cell.
    pub in_table: bool,
}

/// One generated note.
#[derive(Debug, Clone)]
pub struct GeneratedNote {
    /// Vault-relative path with `/` separators, e.g. `area-1/sub-0/Graph note 12.md`.
    pub path: String,
    pub title: String,
    /// The `## ` headings, in order (may repeat).
    pub headings: Vec<String>,
    /// The note's only block id (`blk<i>`), without the caret.
    pub block_id: String,
    pub tags: Vec<String>,
    /// Frontmatter has `draft: true` (~2% of notes).
    pub draft: bool,
    /// Links and embeds in document order.
    pub links: Vec<GeneratedLink>,
}

/// Result of [`generate_vault`].
#[derive(Debug, Clone)]
pub struct GeneratedVault {
    pub notes: Vec<GeneratedNote>,
    /// Vault-relative image paths (`attachments/figure-<k>.png`).
    pub images: Vec<String>,
    /// Number of `[[Missing note N]]` links written.
    pub missing_links: usize,
    /// Number of links and embeds written (including missing ones).
    pub total_links: usize,
}

/// SplitMix64: tiny, fast and deterministic across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5EED_0F5B_0E00_u64)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform float in `[0, 1)`, like Python's `random()`.
    pub fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in `[0, n)`, like `randrange(n)`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
    /// Uniform integer in `[lo, hi]`, like `randint(lo, hi)`.
    pub fn randint(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn choice<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Python's `str.capitalize()`.
fn capitalize(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c
            .to_uppercase()
            .chain(cs.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

fn title_for(i: usize, rng: &mut Rng) -> String {
    let r = rng.random();
    let k = rng.randint(1, 4);
    // Words are lowercase, so capitalizing the joined string == capitalizing word 0.
    let mut base = capitalize(
        &(0..k)
            .map(|_| *rng.choice(WORDS))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if r < 0.06 {
        let first = *rng.choice(CYRILLIC);
        base = format!("{} {}", capitalize(first), rng.choice(CYRILLIC));
    } else if r < 0.08 {
        base = format!("{}{}", rng.choice(CJK), rng.choice(CJK));
    } else if r < 0.10 {
        base = format!("{} {}", rng.choice(ACCENT), rng.choice(WORDS));
    }
    format!("{base} {i}")
}

fn sentence(rng: &mut Rng, n: Option<usize>) -> String {
    let n = n.unwrap_or_else(|| rng.randint(8, 20));
    let words: Vec<&str> = (0..n).map(|_| *rng.choice(WORDS)).collect();
    capitalize(&words.join(" ")) + "."
}

/// Writes a tiny valid 8x8 single-colour RGB PNG (stored, uncompressed zlib stream).
pub fn png_bytes(rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = (c >> 1) ^ (0xEDB8_8320 & (c & 1).wrapping_neg());
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, tag: &[u8], data: &[u8]) {
        let td = [tag, data].concat();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&td);
        out.extend_from_slice(&crc32(&td).to_be_bytes());
    }
    // 8 scanlines, each: filter byte 0 then 8 RGB pixels.
    let raw: Vec<u8> = (0..8)
        .flat_map(|_| std::iter::once(0u8).chain(rgb.iter().copied().cycle().take(24)))
        .collect();
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    let (len, adler) = (raw.len() as u16, (b << 16) | a);
    // zlib header, one final "stored" deflate block, Adler-32.
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&[len.to_le_bytes(), (!len).to_le_bytes()].concat());
    z.extend_from_slice(&raw);
    z.extend_from_slice(&adler.to_be_bytes());
    // width 8, height 8, bit depth 8, colour type 2 (RGB), no interlace.
    let ihdr = [0, 0, 0, 8, 0, 0, 0, 8, 8, 2, 0, 0, 0];
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

struct Ctx<'a> {
    titles: &'a [String],
    paths: &'a [String],
    headings: &'a [Vec<String>],
}

impl Ctx<'_> {
    fn link(&self, rng: &mut Rng) -> GeneratedLink {
        let n = self.titles.len();
        let j = rng.below(n);
        let r = rng.random();
        let mut l = GeneratedLink {
            target: self.paths[j].clone(),
            target_title: self.titles[j].clone(),
            ..Default::default()
        };
        if r < 0.01 {
            let name = format!("Missing note {}", rng.below(1_000_000));
            l.raw = format!("[[{name}]]");
            l.target = name.clone();
            l.target_title = name;
            l.missing = true;
        } else if r < 0.55 {
            l.raw = format!("[[{}]]", self.titles[j]);
        } else if r < 0.75 {
            let label = format!("{} {}", rng.choice(WORDS), rng.choice(WORDS));
            l.raw = format!("[[{}|{label}]]", self.titles[j]);
            l.label = Some(label);
        } else if r < 0.90 {
            let h = rng.choice(&self.headings[j]).clone();
            l.raw = format!("[[{}#{h}]]", self.titles[j]);
            l.heading = Some(h);
        } else {
            l.raw = format!("[[{}#^blk{j}]]", self.titles[j]);
            l.block = Some(format!("blk{j}"));
        }
        l
    }
}

/// Generates a vault of `notes` notes under `dir` (created if needed).
/// The same `(notes, seed)` always yields byte-identical files.
pub fn generate_vault(dir: &Path, notes: usize, seed: u64) -> io::Result<GeneratedVault> {
    assert!(notes > 0, "generate_vault needs at least one note");
    let n = notes;
    let mut rng = Rng::new(seed);
    // Folder prefixes with a trailing `/` ("" is the vault root).
    let mut folders = vec![String::new()];
    folders.extend((0..(n / 400).max(1)).map(|k| format!("area-{k}/")));
    let subs: Vec<String> = folders[1..folders.len().min(4)]
        .iter()
        .flat_map(|f| (0..2).map(move |k| format!("{f}sub-{k}/")))
        .collect();
    folders.extend(subs);
    let titles: Vec<String> = (0..n).map(|i| title_for(i, &mut rng)).collect();
    let paths: Vec<String> = titles
        .iter()
        .map(|t| format!("{}{t}.md", rng.choice(&folders)))
        .collect();
    let headings: Vec<Vec<String>> = (0..n)
        .map(|_| {
            let k = rng.randint(2, 5);
            (0..k)
                .map(|_| {
                    sentence(&mut rng, Some(3))
                        .trim_end_matches('.')
                        .to_string()
                })
                .collect()
        })
        .collect();
    fs::create_dir_all(dir.join("attachments"))?;
    let mut images = Vec::new();
    for k in 0..(n / 50).max(1) {
        let name = format!("figure-{k}.png");
        let rgb = [0; 3].map(|_| rng.below(256) as u8);
        fs::write(dir.join("attachments").join(&name), png_bytes(rgb))?;
        images.push(name);
    }
    let ctx = Ctx {
        titles: &titles,
        paths: &paths,
        headings: &headings,
    };
    let mut out_notes = Vec::with_capacity(n);
    let (mut missing_links, mut total_links) = (0, 0);

    for i in 0..n {
        let mut links: Vec<GeneratedLink> = Vec::new();
        let mut lines: Vec<String> = vec!["---".into(), format!("title: \"{}\"", titles[i])];
        let tag_count = rng.randint(0, 4);
        let tags: BTreeSet<String> = (0..tag_count)
            .map(|_| {
                let mut t = rng.choice(WORDS).to_string();
                if rng.random() < 0.3 {
                    t = format!("{t}/{}", rng.choice(WORDS));
                }
                t
            })
            .collect();
        if !tags.is_empty() {
            lines.push("tags:".into());
            lines.extend(tags.iter().map(|t| format!("  - {t}")));
        }
        let mut aliases = Vec::new();
        if rng.random() < 0.2 {
            let a = format!("{} alias {i}", rng.choice(WORDS));
            lines.push(format!("aliases: [\"{a}\"]"));
            aliases.push(a);
        }
        lines.push(format!("date: 2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28));
        let draft = rng.random() < 0.02;
        if draft {
            lines.push("draft: true".into());
        }
        lines.push("---".into());
        lines.push(format!("# {}", titles[i]));
        lines.push(String::new());
        let mut block_done = false; // every note carries exactly one block id, ^blk<i>
        for h in &headings[i] {
            lines.push(format!("## {h}"));
            lines.push(String::new());
            for _ in 0..rng.randint(1, 3) {
                let mut para: Vec<String> = (0..rng.randint(2, 5))
                    .map(|_| sentence(&mut rng, None))
                    .collect();
                // `slots` parallels `para` so `links` ends up in document order.
                let mut slots: Vec<Option<GeneratedLink>> = vec![None; para.len()];
                for _ in 0..rng.randint(0, 3) {
                    let l = ctx.link(&mut rng);
                    let at = rng.below(para.len() + 1);
                    para.insert(at, l.raw.clone());
                    slots.insert(at, Some(l));
                }
                links.extend(slots.into_iter().flatten());
                if rng.random() < 0.2 {
                    para.push(format!("#{}", rng.choice(WORDS)));
                }
                if rng.random() < 0.1 {
                    let w = rng.choice(WORDS);
                    para.push(format!(
                        "==highlighted {w}== and $e^{{i\\pi}} + {} = 0$",
                        i % 9
                    ));
                }
                if rng.random() < 0.05 {
                    para.push(format!("%%private comment {i}%%"));
                }
                if rng.random() < 0.1 {
                    para.push(format!("Claim[^{i}-{}].", lines.len()));
                    lines.push(para.join(" "));
                    lines.push(String::new());
                    let s = sentence(&mut rng, None);
                    lines.push(format!("[^{i}-{}]: {s}", lines.len() - 2));
                } else {
                    lines.push(para.join(" "));
                }
                if !block_done {
                    lines.push(format!("^blk{i}"));
                    block_done = true;
                }
                lines.push(String::new());
            }
            let r = rng.random();
            if r < 0.12 {
                let (lang, code) = *rng.choice(LANGS);
                lines.extend([
                    format!("```{lang}"),
                    code.to_string(),
                    "```".into(),
                    String::new(),
                ]);
            } else if r < 0.18 {
                lines.push("| key | value | note |".into());
                lines.push("|---|---:|:---:|".into());
                for _ in 0..rng.randint(2, 6) {
                    let w = rng.choice(WORDS);
                    let v = rng.below(1000);
                    let mut l = ctx.link(&mut rng);
                    l.raw = l.raw.replace('|', "\\|"); // Obsidian needs \| inside table cells
                    l.in_table = true;
                    lines.push(format!("| {w} | {v} | {} |", l.raw));
                    links.push(l);
                }
                lines.push(String::new());
            } else if r < 0.24 {
                let kind = rng.choice(CALLOUTS);
                let fold = rng.choice(&["", "-", "+"]);
                let title = sentence(&mut rng, Some(3));
                let body = sentence(&mut rng, None);
                let l = ctx.link(&mut rng);
                lines.extend([
                    format!("> [!{kind}]{fold} {title}"),
                    format!("> {body}"),
                    format!("> {}", l.raw),
                    String::new(),
                ]);
                links.push(l);
            } else if r < 0.28 {
                for _ in 0..3 {
                    let mark = if rng.random() < 0.5 { 'x' } else { ' ' };
                    lines.push(format!("- [{mark}] {}", sentence(&mut rng, Some(5))));
                }
                lines.push(String::new());
            } else if r < 0.31 {
                let img = rng.choice(&images).clone();
                let w = rng.choice(&[100, 200, 300]).to_string();
                let raw = format!("![[{img}|{w}]]");
                lines.extend([raw.clone(), String::new()]);
                links.push(GeneratedLink {
                    raw,
                    target: format!("attachments/{img}"),
                    target_title: img,
                    label: Some(w),
                    embed: true,
                    ..Default::default()
                });
            } else if r < 0.33 {
                let j = rng.below(n);
                let h = rng.choice(&headings[j]).clone();
                let raw = format!("![[{}#{h}]]", titles[j]);
                lines.extend([raw.clone(), String::new()]);
                links.push(GeneratedLink {
                    raw,
                    target: paths[j].clone(),
                    target_title: titles[j].clone(),
                    heading: Some(h),
                    embed: true,
                    ..Default::default()
                });
            }
        }
        let path = dir.join(&paths[i]);
        fs::create_dir_all(path.parent().expect("note path has a parent"))?;
        fs::write(&path, lines.join("\n") + "\n")?;
        missing_links += links.iter().filter(|l| l.missing).count();
        total_links += links.len();
        out_notes.push(GeneratedNote {
            path: paths[i].clone(),
            title: titles[i].clone(),
            headings: headings[i].clone(),
            block_id: format!("blk{i}"),
            tags: tags.into_iter().collect(),
            draft,
            links,
        });
    }
    Ok(GeneratedVault {
        notes: out_notes,
        images: images.iter().map(|i| format!("attachments/{i}")).collect(),
        missing_links,
        total_links,
    })
}
