//! The files a torrent of a site folder holds: listed without following
//! links, dot-files and dot-folders left out, sorted; and opened again for
//! hashing the same way, so a file swapped for a link after the listing is
//! refused rather than read.

use super::TorrentError;
use std::fs::File;
use std::path::{Path, PathBuf};

/// One file of the torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// The path below the site folder, one UTF-8 string per component (as
    /// the torrent's `path` list has it).
    pub components: Vec<String>,
    pub len: u64,
}

impl SiteFile {
    pub fn path_in(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(&self.components);
        p
    }
}

/// Every regular file below `root`, sorted by path components compared as
/// bytes (so a folder's files stay together, as in BEP 52's file tree).
/// Names starting with `.` are left out at every depth — Spore's output
/// marker `.spore-output`, editors' and hosts' dot-files — and nothing
/// below a dot-folder is looked at. A symbolic link, a FIFO, a socket or a
/// device anywhere else is an error naming it; so is a name that is not
/// UTF-8 (the torrent's paths are UTF-8 strings).
pub fn list(root: &Path) -> Result<Vec<SiteFile>, TorrentError> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), root, &mut out)?;
    out.sort_by(|a, b| a.components.cmp(&b.components));
    Ok(out)
}

fn walk(prefix: &mut Vec<String>, dir: &Path, out: &mut Vec<SiteFile>) -> Result<(), TorrentError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TorrentError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(TorrentError::NotUtf8 { path });
        };
        if name.starts_with('.') {
            continue;
        }
        // `DirEntry::file_type` does not follow a link.
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_symlink() {
            return Err(TorrentError::Symlink { path });
        }
        prefix.push(name);
        if kind.is_dir() {
            walk(prefix, &path, out)?;
        } else if kind.is_file() {
            let len = entry.metadata().map_err(io(&path))?.len();
            out.push(SiteFile {
                components: prefix.clone(),
                len,
            });
        } else {
            return Err(TorrentError::NotAFile { path });
        }
        prefix.pop();
    }
    Ok(())
}

/// The site folder held open for reading its files.
pub struct Root {
    path: PathBuf,
    #[cfg(unix)]
    dir: crate::nofollow::NoFollowDir,
}

impl Root {
    pub fn open(path: &Path) -> Result<Root, TorrentError> {
        Ok(Root {
            path: path.to_path_buf(),
            #[cfg(unix)]
            dir: crate::nofollow::NoFollowDir::open(path).map_err(|source| TorrentError::Io {
                path: path.to_path_buf(),
                source,
            })?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `file` for reading: each folder on the way opened from the
    /// one before with `O_NOFOLLOW` and the file itself too (Unix), so no
    /// link is followed even if one was swapped in after the listing; and
    /// checks that it is still a regular file of the listed length.
    pub fn open_file(&self, file: &SiteFile) -> Result<File, TorrentError> {
        let path = file.path_in(&self.path);
        let opened = self.open_nofollow(file, &path)?;
        let meta = opened.metadata().map_err(|source| TorrentError::Io {
            path: path.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(TorrentError::NotAFile { path });
        }
        if meta.len() != file.len {
            return Err(TorrentError::Changed {
                path,
                listed: file.len,
                now: meta.len(),
            });
        }
        Ok(opened)
    }

    #[cfg(unix)]
    fn open_nofollow(&self, file: &SiteFile, path: &Path) -> Result<File, TorrentError> {
        use crate::nofollow::{is_link_refusal, StepError};
        let io = |source| TorrentError::Io {
            path: path.to_path_buf(),
            source,
        };
        let Some((name, folders)) = file.components.split_last() else {
            return Err(TorrentError::NotAFile {
                path: path.to_path_buf(),
            });
        };
        let mut held = None;
        for folder in folders {
            let parent = held.as_ref().unwrap_or(&self.dir);
            held = Some(parent.open_dir(folder.as_ref()).map_err(|e| match e {
                StepError::Link => TorrentError::Symlink {
                    path: path.to_path_buf(),
                },
                StepError::NotAFolder => TorrentError::NotAFile {
                    path: path.to_path_buf(),
                },
                StepError::Io(source) => io(source),
            })?);
        }
        let parent = held.as_ref().unwrap_or(&self.dir);
        parent.open_file(name.as_ref()).map_err(|e| {
            if is_link_refusal(&e) {
                TorrentError::Symlink {
                    path: path.to_path_buf(),
                }
            } else {
                io(e)
            }
        })
    }

    #[cfg(not(unix))]
    fn open_nofollow(&self, _file: &SiteFile, path: &Path) -> Result<File, TorrentError> {
        let io = |source| TorrentError::Io {
            path: path.to_path_buf(),
            source,
        };
        if std::fs::symlink_metadata(path).map_err(io)?.is_symlink() {
            return Err(TorrentError::Symlink {
                path: path.to_path_buf(),
            });
        }
        File::open(path).map_err(io)
    }
}
