//! The explorer: the folder tree, shipped once as `_spore/tree.js` (a
//! classic script the browser caches), so no page grows with the vault.
//! Pages say which path they are; `spore.js` highlights it.

use super::view::PageView;
use serde::Serialize;

pub const TREE_SCRIPT: &str = "_spore/tree.js";

/// One folder: name, its index page, subfolders, then notes as
/// `[title, path]`.
#[derive(Serialize)]
struct Folder {
    n: String,
    p: String,
    f: Vec<Folder>,
    d: Vec<(String, String)>,
}

fn folder(view: &PageView, path: &str) -> Option<Folder> {
    let entry = view.folder(path)?;
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    let mut subfolders: Vec<Folder> = entry
        .subfolders
        .iter()
        .filter_map(|s| folder(view, s))
        .collect();
    subfolders.sort_by_key(|f| f.n.to_lowercase());
    // Title and path only, not the whole card: a note's date or
    // description changing does not make `serve` build the tree again.
    let index = view.index();
    let mut notes: Vec<(String, String)> = entry
        .notes
        .iter()
        .map(|&id| (index.title(id), index.out_path(id)))
        .filter(|(_, path)| *path != entry.out_path)
        .map(|(title, path)| (title.to_string(), path.to_string()))
        .collect();
    notes.sort_by(|a, b| (a.0.to_lowercase(), &a.1).cmp(&(b.0.to_lowercase(), &b.1)));
    Some(Folder {
        n: name,
        p: entry.out_path.clone(),
        f: subfolders,
        d: notes,
    })
}

/// `_spore/tree.js`: `__spore("tree", 0, ROOT_FOLDER)`.
pub fn tree_script(view: &PageView) -> Vec<u8> {
    let root = folder(view, "").unwrap_or(Folder {
        n: String::new(),
        p: "index.html".into(),
        f: Vec::new(),
        d: Vec::new(),
    });
    let json = serde_json::to_string(&root).unwrap_or_else(|_| "null".into());
    format!("__spore(\"tree\",0,{json});\n").into_bytes()
}
