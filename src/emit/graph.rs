//! The link graph, drawn at build time: a small SVG of each note's
//! neighbourhood (inline in its page, works without JavaScript) and the
//! whole-site graph page (`graph.html`, a static SVG of the most connected
//! notes; `spore.js` makes it interactive from `_spore/graph.js`).

use super::view::PageView;
use crate::index::{NoteId, VaultIndex};
use crate::portable::relative_url;
pub use crate::render::escape::markup as xml_escape;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

pub const GRAPH_PAGE: &str = "graph.html";
pub const GRAPH_SCRIPT: &str = "_spore/graph.js";
/// Neighbours drawn around a note; more are listed in its link sections.
pub const LOCAL_NEIGHBOURS: usize = 16;
/// Notes drawn in the static site graph.
const SITE_STATIC_NOTES: usize = 120;
/// Notes shipped for the interactive graph (most connected first).
const SITE_SCRIPT_NOTES: usize = 1500;

fn short(title: &str, max: usize) -> String {
    if title.chars().count() <= max {
        title.to_string()
    } else {
        let cut: String = title.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Links plus backlinks of every note, without repeats, ascending.
pub struct Degrees {
    pub neighbours: Vec<Vec<NoteId>>,
}

impl Degrees {
    pub fn new(index: &VaultIndex) -> Degrees {
        // One sort per note instead of a tree insert per link: a
        // `BTreeSet` per note allocated a node every few links and took
        // 8-11× the time for 5× the notes (cache misses on a large heap).
        let mut neighbours = vec![Vec::new(); index.notes.len()];
        for (from, outs) in index.outlinks.iter().enumerate() {
            for &to in outs {
                if to != from {
                    neighbours[from].push(to);
                    neighbours[to].push(from);
                }
            }
        }
        for near in &mut neighbours {
            near.sort_unstable();
            near.dedup();
        }
        Degrees { neighbours }
    }
}

/// The inline SVG of `id` and up to [`LOCAL_NEIGHBOURS`] neighbours, or
/// an empty string for a note with no links at all.
pub fn local_svg(view: &PageView, id: NoteId) -> String {
    let index = view.index();
    let from_page = index.out_path(id);
    let mut near: Vec<NoteId> = view.neighbours(id).to_vec();
    if near.is_empty() {
        return String::new();
    }
    let links_to = |a: NoteId, b: NoteId| view.outlinks(a).contains(&b);
    let degree = |n: NoteId| view.neighbours(n).len();
    // Mutual links first, then the best connected, then by title.
    near.sort_by_cached_key(|&n| {
        let mutual = links_to(id, n) && links_to(n, id);
        (!mutual, std::cmp::Reverse(degree(n)), index.title(n))
    });
    let hidden = near.len().saturating_sub(LOCAL_NEIGHBOURS);
    near.truncate(LOCAL_NEIGHBOURS);

    let (w, h) = (360.0_f64, 240.0_f64);
    let count = near.len();
    let pos: Vec<(f64, f64)> = (0..count)
        .map(|i| {
            let angle =
                std::f64::consts::TAU * i as f64 / count as f64 - std::f64::consts::FRAC_PI_2;
            let ring = if count > 8 && i % 2 == 1 { 0.62 } else { 1.0 };
            (
                w / 2.0 + angle.cos() * 125.0 * ring,
                h / 2.0 + angle.sin() * 88.0 * ring,
            )
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"graph-svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"spore-graph-title\" data-neighbours=\"{count}\">"
    );
    svg.push_str("<g class=\"edges\">");
    for (i, &n) in near.iter().enumerate() {
        let class = match (links_to(id, n), links_to(n, id)) {
            (true, true) => "both",
            (true, false) => "out",
            _ => "in",
        };
        let _ = write!(
            svg,
            "<line class=\"{class}\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            w / 2.0,
            h / 2.0,
            pos[i].0,
            pos[i].1
        );
    }
    for (i, &a) in near.iter().enumerate() {
        for (j, &b) in near.iter().enumerate().skip(i + 1) {
            if links_to(a, b) || links_to(b, a) {
                let _ = write!(
                    svg,
                    "<line class=\"side\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
                    pos[i].0, pos[i].1, pos[j].0, pos[j].1
                );
            }
        }
    }
    svg.push_str("</g>");
    for (i, &n) in near.iter().enumerate() {
        let title = index.title(n);
        let (x, y) = pos[i];
        let _ = write!(
            svg,
            "<a class=\"node\" href=\"{}\"><title>{}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\"/><text x=\"{x:.1}\" y=\"{:.1}\">{}</text></a>",
            xml_escape(&relative_url(from_page, index.out_path(n))),
            xml_escape(title),
            y + 16.0,
            xml_escape(&short(title, 16))
        );
    }
    let _ = write!(
        svg,
        "<g class=\"node current\" aria-current=\"page\"><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"8\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
        w / 2.0,
        h / 2.0,
        w / 2.0,
        h / 2.0 + 21.0,
        xml_escape(&short(index.title(id), 24))
    );
    svg.push_str("</svg>");
    if hidden > 0 {
        let _ = write!(
            svg,
            "<p class=\"graph-more\">and {hidden} more, listed below</p>"
        );
    }
    svg
}

/// Notes ranked by connections, most first (ties by path), for the site graph.
fn ranked(view: &PageView) -> Vec<NoteId> {
    let mut ids: Vec<NoteId> = view.note_ids().collect();
    let index = view.index();
    ids.sort_by_cached_key(|&id| {
        (
            std::cmp::Reverse(view.neighbours(id).len()),
            index.out_path(id),
        )
    });
    ids
}

/// A deterministic force-directed layout in the unit square.
fn layout(count: usize, edges: &[(usize, usize)]) -> Vec<(f64, f64)> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut p: Vec<(f64, f64)> = (0..count)
        .map(|i| {
            let r = ((i as f64 + 0.5) / count.max(1) as f64).sqrt() * 0.5;
            let a = i as f64 * golden;
            (0.5 + r * a.cos(), 0.5 + r * a.sin())
        })
        .collect();
    let k = (1.0 / count.max(1) as f64).sqrt() * 0.6;
    let mut temp = 0.05;
    for _ in 0..200 {
        let mut d = vec![(0.0f64, 0.0f64); count];
        for i in 0..count {
            for j in (i + 1)..count {
                let (dx, dy) = (p[i].0 - p[j].0, p[i].1 - p[j].1);
                let dist2 = (dx * dx + dy * dy).max(1e-6);
                let f = k * k / dist2;
                d[i].0 += dx * f;
                d[i].1 += dy * f;
                d[j].0 -= dx * f;
                d[j].1 -= dy * f;
            }
        }
        for &(a, b) in edges {
            let (dx, dy) = (p[a].0 - p[b].0, p[a].1 - p[b].1);
            let dist = (dx * dx + dy * dy).sqrt().max(1e-6);
            let f = dist / k;
            d[a].0 -= dx * f;
            d[a].1 -= dy * f;
            d[b].0 += dx * f;
            d[b].1 += dy * f;
        }
        for i in 0..count {
            // Gravity keeps unconnected notes on the page.
            d[i].0 += (0.5 - p[i].0) * 0.5;
            d[i].1 += (0.5 - p[i].1) * 0.5;
            let len = (d[i].0 * d[i].0 + d[i].1 * d[i].1).sqrt().max(1e-9);
            let step = len.min(temp);
            p[i].0 += d[i].0 / len * step;
            p[i].1 += d[i].1 / len * step;
        }
        temp *= 0.985;
    }
    // Fit into [0.04, 0.96].
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &p {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    let (sx, sy) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    p.iter()
        .map(|&(x, y)| (0.04 + 0.92 * (x - x0) / sx, 0.04 + 0.92 * (y - y0) / sy))
        .collect()
}

fn edges_among(view: &PageView, chosen: &[NoteId]) -> Vec<(usize, usize)> {
    let slot: std::collections::HashMap<NoteId, usize> =
        chosen.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut edges = BTreeSet::new();
    for (i, &id) in chosen.iter().enumerate() {
        for to in view.outlinks(id) {
            if let Some(&j) = slot.get(to) {
                if i != j {
                    edges.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    edges.into_iter().collect()
}

/// The static SVG shown on `graph.html` (links relative to that page).
pub fn site_svg(view: &PageView) -> String {
    let chosen: Vec<NoteId> = ranked(view).into_iter().take(SITE_STATIC_NOTES).collect();
    let edges = edges_among(view, &chosen);
    let index = view.index();
    let pos = layout(chosen.len(), &edges);
    let (w, h) = (960.0, 640.0);
    let mut svg = format!(
        "<svg class=\"graph-svg site-graph-svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Graph of the {} most connected notes\">",
        chosen.len()
    );
    svg.push_str("<g class=\"edges\">");
    for &(a, b) in &edges {
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            pos[a].0 * w,
            pos[a].1 * h,
            pos[b].0 * w,
            pos[b].1 * h
        );
    }
    svg.push_str("</g>");
    for (i, &id) in chosen.iter().enumerate() {
        let title = index.title(id);
        let (x, y) = (pos[i].0 * w, pos[i].1 * h);
        let r = 3.0 + (view.neighbours(id).len() as f64).sqrt().min(9.0);
        let label = if i < 40 {
            format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                y + r + 11.0,
                xml_escape(&short(title, 22))
            )
        } else {
            String::new()
        };
        let _ = write!(
            svg,
            "<a class=\"node\" href=\"{}\"><title>{}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\"/>{label}</a>",
            xml_escape(&relative_url(GRAPH_PAGE, index.out_path(id))),
            xml_escape(title)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Serialize)]
struct GraphData {
    /// `[title, path, connections]`, most connected first.
    nodes: Vec<(String, String, usize)>,
    /// Pairs of node numbers, flattened.
    edges: Vec<usize>,
    /// Notes in the whole vault (more than `nodes` when capped).
    total: usize,
}

/// `_spore/graph.js`: the data the interactive site graph draws.
pub fn graph_script(view: &PageView) -> Vec<u8> {
    let chosen: Vec<NoteId> = ranked(view).into_iter().take(SITE_SCRIPT_NOTES).collect();
    let edges = edges_among(view, &chosen);
    let index = view.index();
    let data = GraphData {
        nodes: chosen
            .iter()
            .map(|&id| {
                (
                    index.title(id).to_string(),
                    index.out_path(id).to_string(),
                    view.neighbours(id).len(),
                )
            })
            .collect(),
        edges: edges.iter().flat_map(|&(a, b)| [a, b]).collect(),
        total: view.note_ids().len(),
    };
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "null".into());
    format!("__spore(\"graph\",0,{json});\n").into_bytes()
}
