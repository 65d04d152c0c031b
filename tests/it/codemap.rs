//! `content/Design.md` stays true: every module it names exists, every
//! module that exists is named there, and no pipeline stage reaches into a
//! stage after it (the "may depend on" lines of the code map).

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/`, as a `/`-separated path from the root.
fn source_files() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("folder entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(root()).expect("under the root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out
}

/// A path the design page names, with the heading it appears under.
struct Named {
    path: String,
    section: String,
}

/// The paths `content/Design.md` names: `### src/…` headings, and every
/// backticked `….rs` name. A bare name is read relative to the folder of
/// the `### src/…` section it is in (`walk.rs` under `### src/load/`), and
/// otherwise from `src/` (`index/patch.rs` under `### src/serve/`); a name
/// starting with `src/` or `tests/` is read from the root.
fn named_in_design() -> Vec<Named> {
    let text = std::fs::read_to_string(root().join("content/Design.md")).expect("Design.md");
    let mut named = Vec::new();
    let mut folder: Option<String> = None;
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut section = String::from("(top)");
    for event in Parser::new(&text) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::Text(t) | Event::Code(t) if heading.is_some() => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, h)) = heading.take() else {
                    continue;
                };
                let h = h.trim().to_string();
                section = h.clone();
                folder = None;
                if level == HeadingLevel::H3 && h.starts_with("src/") {
                    named.push(Named {
                        path: h.trim_end_matches('/').to_string(),
                        section: section.clone(),
                    });
                    folder = Some(if h.ends_with('/') {
                        h.trim_end_matches('/').to_string()
                    } else {
                        "src".to_string()
                    });
                }
            }
            Event::Code(code) if code.ends_with(".rs") => {
                let code = code.to_string();
                let path = if code.starts_with("src/") || code.starts_with("tests/") {
                    code
                } else {
                    let local = folder.as_ref().map(|f| format!("{f}/{code}"));
                    match local {
                        Some(local) if root().join(&local).exists() => local,
                        _ => format!("src/{code}"),
                    }
                };
                named.push(Named {
                    path,
                    section: section.clone(),
                });
            }
            _ => {}
        }
    }
    named
}

#[test]
fn every_module_the_design_page_names_exists() {
    let named = named_in_design();
    assert!(
        named.len() > 40,
        "Design.md names only {} paths",
        named.len()
    );
    let missing: Vec<String> = named
        .iter()
        .filter(|n| !root().join(&n.path).exists())
        .map(|n| format!("{} (named under \"{}\")", n.path, n.section))
        .collect();
    assert!(
        missing.is_empty(),
        "content/Design.md names modules that do not exist; fix the code map:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_module_is_named_on_the_design_page() {
    let named: BTreeSet<String> = named_in_design().into_iter().map(|n| n.path).collect();
    let unnamed: Vec<String> = source_files()
        .into_iter()
        .filter(|f| !named.contains(f))
        .collect();
    assert!(
        unnamed.is_empty(),
        "modules missing from content/Design.md's code map (say in one line what each is for, \
         under its folder's heading):\n  {}",
        unnamed.join("\n  ")
    );
}

/// The pipeline stages, in order. A stage may use the stages before it and
/// the shared helpers, never one after it, and never `serve`, `verify` or
/// `pipeline`, which sit on top of all of them.
const STAGES: [&str; 6] = ["load", "index", "render", "emit", "seal", "write"];
/// Modules any stage may use; they use no stage themselves (but for
/// [`ALLOWED`]).
const SHARED: [&str; 9] = [
    "memo",
    "progress",
    "syntax",
    "portable",
    "printable",
    "diagnostics",
    "config",
    "site",
    "nofollow",
];
const ON_TOP: [&str; 3] = ["serve", "verify", "pipeline"];

/// Known exceptions: (file, module it uses, why). Each is debt named in
/// `content/Design.md`; remove the entry when the use goes away (the test
/// fails on an entry that no longer matches anything).
const ALLOWED: [(&str, &str, &str); 3] = [
    (
        "src/seal/sign.rs",
        "write",
        "`spore keygen` writes the key files with write::file's atomic, no-symlink writer \
         (and seal compares key and vault paths with write::canonical); keygen is a command \
         beside the pipeline, not part of the seal stage",
    ),
    (
        "src/site.rs",
        "load",
        "a Site holds published attachments as the load::Attachment the walk found",
    ),
    (
        "src/portable.rs",
        "render",
        "output names refuse characters XML cannot carry, asked of render::escape::xml_allowed",
    ),
];

/// Render and page emission must read the index through the recording
/// views only (`content/Design.md`, invariants): the one escape hatch,
/// `IndexView::unrecorded_index`, is for `emit/view.rs` alone.
#[test]
fn only_the_page_view_reads_the_index_unrecorded() {
    let offenders: Vec<String> = source_files()
        .into_iter()
        .filter(|f| f != "src/emit/view.rs" && f != "src/index/view.rs")
        .filter(|f| {
            let text = std::fs::read_to_string(root().join(f)).expect("source file");
            strip_comments(&text).contains("unrecorded_index(")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "unrecorded index reads in {offenders:?}"
    );
}

/// One use of another top-level module: the line it is on and the module.
struct Use {
    line: usize,
    module: String,
    text: String,
}

/// The module path of a source file (`src/emit/search/mod.rs` →
/// `emit::search`), for resolving `super::`.
fn module_path(file: &str) -> Vec<String> {
    let rel = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Removes `//` comments (doc comments too: an intra-doc link is not a
/// dependency). Good enough for this code base: no `//` inside strings on
/// a line that also uses a module.
fn strip_comments(source: &str) -> String {
    source
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module a file names through `crate::…` or `super::…`
/// (`crate::{a, b::c}` groups included), with the line of each.
fn uses_in(file: &str) -> Vec<Use> {
    let source = std::fs::read_to_string(root().join(file)).expect("source file");
    uses_in_source(file, &source)
}

/// [`uses_in`] for `source`, read as the file `file`.
fn uses_in_source(file: &str, source: &str) -> Vec<Use> {
    let code = strip_comments(source);
    let own = module_path(file);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let line_text = |line: usize| {
        source
            .lines()
            .nth(line - 1)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let mut uses = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let (base, mut after) = if boundary && rest.starts_with("crate::") {
            (Vec::new(), at + "crate::".len())
        } else if boundary && rest.starts_with("super::") {
            let mut base = own.clone();
            let mut after = at;
            while code[after..].starts_with("super::") {
                base.pop();
                after += "super::".len();
            }
            (base, after)
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let line = line_of(at);
        // Inside a top-level module already (`super::` from a nested one):
        // that module. At the crate root: the first segment of the path, or
        // of each item of a `{…}` group.
        let mut modules: Vec<String> = Vec::new();
        if let Some(first) = base.first() {
            modules.push(first.clone());
        } else if code[after..].starts_with('{') {
            let close = code[after..].find('}').map_or(code.len(), |i| after + i);
            let inner = &code[after + 1..close];
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        modules.push(ident_at(&inner[i..]).to_string());
                    }
                    _ => {}
                }
            }
            after = close;
        } else {
            modules.push(ident_at(&code[after..]).to_string());
        }
        for module in modules {
            if !module.is_empty() && module != "self" {
                uses.push(Use {
                    line,
                    module,
                    text: line_text(line),
                });
            }
        }
        at = after.max(at + 1);
    }
    uses
}

/// Every use that breaks the layering, as `file:line: message`, and the
/// allow-list entries that matched.
fn layering_violations() -> (Vec<String>, BTreeSet<(&'static str, &'static str)>) {
    let rank = |m: &str| STAGES.iter().position(|s| *s == m);
    let mut violations = Vec::new();
    let mut allowed_used = BTreeSet::new();
    for file in source_files() {
        let own = module_path(&file);
        let Some(top) = own.first().cloned() else {
            continue;
        };
        let own_rank = rank(&top);
        let is_shared = SHARED.contains(&top.as_str());
        if own_rank.is_none() && !is_shared {
            continue;
        }
        for u in uses_in(&file) {
            if u.module == top {
                continue;
            }
            let bad = match (own_rank, rank(&u.module)) {
                // A stage: nothing later, nothing on top.
                (Some(mine), Some(theirs)) => theirs > mine,
                (Some(_), None) => ON_TOP.contains(&u.module.as_str()),
                // A shared helper: no stage, nothing on top.
                (None, theirs) => theirs.is_some() || ON_TOP.contains(&u.module.as_str()),
            };
            if !bad {
                continue;
            }
            if let Some((f, m, _)) = ALLOWED
                .iter()
                .find(|(f, m, _)| *f == file && *m == u.module)
            {
                allowed_used.insert((*f, *m));
                continue;
            }
            let what = if own_rank.is_some() {
                "a later stage or one on top of the pipeline"
            } else {
                "a stage, from a shared helper"
            };
            violations.push(format!(
                "{file}:{}: `{top}` uses `{}` ({what}): {}",
                u.line, u.module, u.text
            ));
        }
    }
    (violations, allowed_used)
}

#[test]
fn no_stage_uses_a_later_stage() {
    let (violations, allowed_used) = layering_violations();
    assert!(
        violations.is_empty(),
        "layering broken (stage order: {}; see content/Design.md's code map):\n  {}",
        STAGES.join(" → "),
        violations.join("\n  ")
    );
    let stale: Vec<String> = ALLOWED
        .iter()
        .filter(|(f, m, _)| !allowed_used.contains(&(*f, *m)))
        .map(|(f, m, _)| format!("{f} → {m}"))
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries in tests/it/codemap.rs that no longer match any use (remove them, \
         and the debt note in content/Design.md):\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn the_layering_check_sees_uses() {
    // The check itself: a known, allowed use is found with its line.
    let uses = uses_in("src/seal/sign.rs");
    assert!(
        uses.iter().any(|u| u.module == "write" && u.line > 0),
        "crate::write not seen in seal/sign.rs"
    );
    let pipeline_uses = uses_in("src/pipeline.rs");
    for stage in STAGES {
        assert!(
            pipeline_uses.iter().any(|u| u.module == stage),
            "pipeline.rs uses {stage}, unseen"
        );
    }
    // Groups, `super::` chains, paths inside expressions; comments ignored.
    let source = "use crate::{index::X, portable};\n\
                  use super::super::super::emit::text; // crate::write in a comment\n\
                  use super::scan;\n\
                  fn f() { crate::seal::prepare(); }\n";
    let found: Vec<(usize, String)> = uses_in_source("src/render/x/y.rs", source)
        .into_iter()
        .map(|u| (u.line, u.module))
        .collect();
    let expected = [
        (1, "index"),
        (1, "portable"),
        (2, "emit"),
        (3, "render"),
        (4, "seal"),
    ];
    assert_eq!(
        found,
        expected.map(|(l, m)| (l, m.to_string())),
        "uses parsed from the sample"
    );
    assert_eq!(module_path("src/emit/search/mod.rs"), ["emit", "search"]);
}

#[test]
fn every_stage_and_helper_says_what_it_may_depend_on() {
    let text = std::fs::read_to_string(root().join("content/Design.md")).expect("Design.md");
    let mut missing = Vec::new();
    for module in STAGES
        .iter()
        .chain(SHARED.iter())
        .chain(["pipeline"].iter())
    {
        let heading = if root().join("src").join(module).is_dir() {
            format!("### src/{module}/\n")
        } else {
            format!("### src/{module}.rs\n")
        };
        let Some(start) = text.find(&heading) else {
            missing.push(format!("{module}: no heading {}", heading.trim()));
            continue;
        };
        let body = &text[start + heading.len()..];
        let section = &body[..body.find("\n#").unwrap_or(body.len())];
        if !section.contains("May depend on:") {
            missing.push(format!("{module}: no \"May depend on:\" line"));
        }
    }
    assert!(
        missing.is_empty(),
        "content/Design.md's code map:\n  {}",
        missing.join("\n  ")
    );
}
