//! Updating a built index in place when some notes change but the vault's
//! shape does not: the same published notes at the same paths with the same
//! aliases, the same attachments. Names then resolve exactly as before and
//! every output path stays, so only the changed notes' scans, tags and links
//! need redoing. This is what `serve` does on a save; anything else (a new,
//! deleted or renamed file, a changed alias or publish flag) takes a full
//! [`super::build`].
//!
//! The result must equal what [`super::build`] gives for the new vault;
//! `tests/it/serve_incremental.rs` checks that through the whole pipeline.

use super::{
    check_fragment, collect_tags, is_published, merge_tags, resolve::Resolved, scan, IndexOptions,
    NoteId, VaultIndex,
};
use crate::diagnostics::DiagnosticKind;
use crate::load::Note;
use crate::syntax::target::LinkTarget;
use std::collections::BTreeSet;

/// Where each link of note `id` points, in scan order: a link to the same
/// note points to the note itself; `None` is unresolved.
pub fn resolve_links(index: &VaultIndex, id: NoteId) -> Vec<Option<Resolved>> {
    let note = &index.notes[id];
    note.scan
        .links
        .iter()
        .map(|link| {
            let target = LinkTarget::parse(&link.dest);
            if target.is_same_note() {
                Some(Resolved::Note(id))
            } else {
                index.resolver.resolve(&target.file, &note.note.path)
            }
        })
        .collect()
}

/// Why [`replace_notes`] declined: the change alters the vault's shape.
#[derive(Debug)]
pub struct NeedsFullBuild {
    /// The notes, handed back untouched.
    pub notes: Vec<Note>,
}

/// Replaces published notes by new versions of the same files. Returns the
/// ids replaced, or gives the notes back when one of them is new, no longer
/// published or has other aliases (then names resolve differently and only
/// a full index build is right).
pub fn replace_notes(
    index: &mut VaultIndex,
    changed: Vec<Note>,
    options: IndexOptions,
) -> Result<Vec<NoteId>, NeedsFullBuild> {
    let mut ids = Vec::with_capacity(changed.len());
    for note in &changed {
        let found = index
            .notes
            .binary_search_by(|n| n.note.path.as_str().cmp(&note.path));
        match found {
            Ok(id)
                if is_published(note, options)
                    && index.notes[id].note.frontmatter.aliases == note.frontmatter.aliases
                    && !ids.contains(&id) =>
            {
                ids.push(id)
            }
            _ => return Err(NeedsFullBuild { notes: changed }),
        }
    }

    let mut tags_changed = false;
    let mut attachments_dropped = false;
    let mut affected: BTreeSet<NoteId> = BTreeSet::new();
    for (note, &id) in changed.into_iter().zip(&ids) {
        let old_attachments = attachments_of(&resolve_links(index, id));
        let old_targets = std::mem::take(&mut index.outlinks[id]);
        let old_links = index.notes[id].scan.links.len();

        let scan = scan::scan(&note.body);
        let tags = merge_tags(&note.frontmatter.tags, &scan.tags);
        let entry = &mut index.notes[id];
        tags_changed |= entry.tags != tags;
        entry.note = note;
        entry.scan = scan;
        entry.tags = tags;

        let links = super::note_links(&index.notes, &index.resolver, id);
        attachments_dropped |= !old_attachments.is_subset(&links.attachments);
        index
            .used_attachments
            .extend(links.attachments.iter().copied());
        index.link_count = index.link_count - old_links + links.count;

        // The same graph step as a full build (`note_links`), in the same
        // order; the link checks are redone below, for linkers too.
        for &to in &old_targets {
            index.backlinks[to].retain(|b| b.from != id);
        }
        let targets = links.outlinks;
        for (to, backlink) in links.backlinks {
            index.backlinks[to].push(backlink);
        }
        for &to in &targets {
            let notes = &index.notes;
            index.backlinks[to]
                .sort_by(|a, b| notes[a.from].note.path.cmp(&notes[b.from].note.path));
        }
        index.unresolved.retain(|u| u.from != id);
        let at = index.unresolved.partition_point(|u| u.from < id);
        index.unresolved.splice(at..at, links.unresolved);
        affected.insert(id);
        affected.extend(old_targets.iter().copied());
        affected.extend(targets.iter().copied());
        index.outlinks[id] = targets;
    }

    if attachments_dropped {
        index.used_attachments = (0..index.notes.len())
            .flat_map(|id| attachments_of(&resolve_links(index, id)))
            .collect();
    }
    if tags_changed {
        index.tags = collect_tags(&index.notes);
    }
    refresh_diagnostics(index, &affected, &ids);
    Ok(ids)
}

fn attachments_of(resolved: &[Option<Resolved>]) -> BTreeSet<usize> {
    resolved
        .iter()
        .filter_map(|r| match r {
            Some(Resolved::Attachment(a)) => Some(*a),
            _ => None,
        })
        .collect()
}

/// Redoes the link checks (missing headings and blocks) of the changed notes
/// and of every note linking to them, whose targets may have lost a heading.
fn refresh_diagnostics(index: &mut VaultIndex, targets: &BTreeSet<NoteId>, changed: &[NoteId]) {
    let mut from: BTreeSet<NoteId> = changed.iter().copied().collect();
    for &t in targets {
        from.extend(index.backlinks[t].iter().map(|b| b.from));
    }
    let paths: BTreeSet<&str> = from
        .iter()
        .map(|&id| index.notes[id].note.path.as_str())
        .collect();
    let mut diagnostics: Vec<_> = index
        .diagnostics
        .iter()
        // Only the link checks are redone; other warnings stay.
        .filter(|d| {
            d.kind != DiagnosticKind::MissingHeading
                || !d.file.as_deref().is_some_and(|f| paths.contains(f))
        })
        .cloned()
        .collect();
    for &id in &from {
        let resolved = resolve_links(index, id);
        let note = &index.notes[id];
        for (link, target) in note.scan.links.iter().zip(resolved) {
            if let Some(Resolved::Note(to)) = target {
                let parsed = LinkTarget::parse(&link.dest);
                let at = super::link_position(&note.note, link);
                check_fragment(
                    &index.notes,
                    to,
                    &parsed,
                    &note.note.path,
                    at,
                    &mut diagnostics,
                );
            }
        }
    }
    crate::diagnostics::sort(&mut diagnostics);
    index.diagnostics = diagnostics;
}
