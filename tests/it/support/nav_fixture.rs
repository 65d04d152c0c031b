//! A small vault for the search and navigation tests: Cyrillic, accented
//! and CJK notes in folders, a draft, an unpublished note and a comment,
//! each holding a secret word that must never reach the output.

use std::fs;
use std::path::Path;

/// Words that exist only in private places of the fixture.
pub const DRAFT_SECRET: &str = "plughxyzzy";
pub const UNPUBLISHED_SECRET: &str = "wobblefrotz";
pub const COMMENT_SECRET: &str = "zanzibarquux";
pub const DRAFT_TITLE: &str = "Draft musings";

pub fn write_fixture(vault: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "index.md",
            "# Welcome\n\nStart with [[Знание]], [[Café culture]] or [[知识管理]].\n",
        ),
        (
            "Знание.md",
            "---\ntags: [наука]\ndate: 2024-01-10\n---\n# Знание\n\n## Введение\n\nЗнание — сила. Базы знаний помогают учёным.\n\n## Итоги\n\nСм. [[Café culture]] и [[知识管理]].\n",
        ),
        (
            "places/Café culture.md",
            "---\ndate: 2024-03-01\naliases: [Coffee houses]\npermalink: /old/cafe/\ntags: [places]\n---\n## History\n\nThe café is where ideas meet. See [[Знание]] and [[知识管理]].\n\n## Today\n\nMany cafés still host debates. %%Private: zanzibarquux%%\n\n### Menus\n\nEspresso and tea.\n",
        ),
        (
            "亚洲/知识管理.md",
            "---\ndate: 2023-12-01\nupdated: 2024-05-02\n---\n## 概述\n\n知识管理是组织知识的过程。参见 [[Знание]]。\n\n## 工具\n\n笔记软件。\n",
        ),
        (
            "places/Tea.md",
            "---\naliases: [\"../Знание\", Знание, Chai]\n---\nTea is not [[Café culture|coffee]].\n",
        ),
        (
            "Λόγος.md",
            "# ΛΌΓΟΣ\n\nΟ λόγος της σοφίας.\n",
        ),
        (
            "Draft musings.md",
            "---\ndraft: true\n---\nThe secret word is plughxyzzy.\n",
        ),
        (
            "Hidden.md",
            "---\npublish: false\n---\nNobody reads wobblefrotz.\n",
        ),
    ];
    for (path, text) in files {
        let full = vault.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).expect("create fixture folder");
        }
        fs::write(full, text).expect("write fixture note");
    }
}
