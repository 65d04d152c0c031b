//! The sealed site `serve` answers from, changed by each rebuild's seal
//! without copying it: the copy served before the last one is kept as a
//! spare, brought up to date with what changed since, and served next —
//! unless a request still reads it, in which case the current copy is
//! copied instead. A copy a request holds is never changed under it.

use crate::seal::{Resealed, SealCache};
use crate::site::{Site, SiteFile};
use std::sync::Arc;

#[derive(Default)]
pub struct Published {
    /// The site as served.
    current: Arc<Site>,
    /// The site served before, and the paths where it differs from
    /// `current`.
    spare: Option<Arc<Site>>,
    spare_behind: Vec<String>,
}

impl Published {
    pub fn site(&self) -> &Arc<Site> {
        &self.current
    }

    /// Makes the served site what the seal says (`cache` holds it when
    /// everything was sealed anew); returns how many files changed.
    pub fn publish(&mut self, resealed: Resealed, cache: &SealCache) -> usize {
        let delta = match resealed {
            Resealed::Changed(delta) if delta.is_empty() => return 0,
            Resealed::Changed(delta) => delta,
            Resealed::All => {
                let sealed = Arc::new(cache.sealed_site());
                let changed = match same_files(&self.current, &sealed) {
                    true => 0,
                    false => sealed.files.len(),
                };
                let old = std::mem::replace(&mut self.current, sealed);
                self.spare = None;
                self.spare_behind.clear();
                // Freeing the old site's many names is nobody's wait.
                rayon::spawn(move || drop(old));
                return changed;
            }
        };
        let behind = std::mem::take(&mut self.spare_behind);
        let mut next = match self.spare.take() {
            Some(mut spare) => match Arc::get_mut(&mut spare) {
                Some(site) => {
                    catch_up(site, &self.current, &behind);
                    spare
                }
                // A request still reads it: copy the current site instead.
                None => Arc::new(Site::clone(&self.current)),
            },
            None => Arc::new(Site::clone(&self.current)),
        };
        let site = Arc::make_mut(&mut next);
        let changed = delta.len();
        self.spare_behind = delta.iter().map(|(path, _)| path.clone()).collect();
        for (path, file) in delta {
            set_file(site, path, file);
        }
        self.spare = Some(std::mem::replace(&mut self.current, next));
        changed
    }
}

/// Brings `site` to what `current` has at each of `paths`.
fn catch_up(site: &mut Site, current: &Site, paths: &[String]) {
    for path in paths {
        set_file(site, path.clone(), current.files.get(path).cloned());
    }
}

/// Puts `file` at `path`, or takes out what is there (`None`).
fn set_file(site: &mut Site, path: String, file: Option<SiteFile>) {
    match file {
        Some(file) => site.put(path, file),
        None => {
            site.remove(&path);
        }
    }
}

/// Whether two sites serve the same bytes under the same names.
pub fn same_files(a: &Site, b: &Site) -> bool {
    a.files.len() == b.files.len()
        && a.files
            .iter()
            .zip(&b.files)
            .all(|((pa, fa), (pb, fb))| pa == pb && fa.same_as(fb))
}
