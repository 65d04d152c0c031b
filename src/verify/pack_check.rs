//! A folder copy packed for IPFS (`spore pack`) has its root CID in a
//! `.cid` file beside it: `spore verify` computes the folder's CID again
//! and says whether that file still names it. A stale one is a note, not a
//! fault of the copy: the folder is what was checked.

use super::report::IpfsPackCheck;
use super::source::CopySource;
use crate::ipfs::{root_cid, Profile};

/// What `spore pack` may have written: a CID is a line of base32 or
/// base58 text, far under this.
const CID_FILE_CAP: u64 = 4096;

pub fn ipfs_pack(source: &CopySource) -> Option<IpfsPackCheck> {
    let root = source.folder()?;
    let cid_file = crate::pack::beside(root, "cid").ok()?;
    // A link or anything but a small regular file is not our pack's.
    let meta = std::fs::symlink_metadata(&cid_file).ok()?;
    if !meta.file_type().is_file() || meta.len() > CID_FILE_CAP {
        return None;
    }
    let named = std::fs::read_to_string(&cid_file).ok()?.trim().to_string();
    let file = cid_file.to_string_lossy().into_owned();
    // The pack may have used either profile: the one whose CID the file
    // names is the one it was made with.
    let mut computed = None;
    for profile in [Profile::kubo_v1(), Profile::unixfs_v1_2025()] {
        match root_cid(root, &profile) {
            Ok(cid) => {
                let cid = cid.to_string();
                let found = cid == named;
                computed.get_or_insert(cid.clone());
                if found {
                    computed = Some(cid);
                    break;
                }
            }
            Err(e) => {
                return Some(IpfsPackCheck {
                    file,
                    named,
                    computed: None,
                    error: Some(e.to_string()),
                })
            }
        }
    }
    Some(IpfsPackCheck {
        file,
        named,
        computed,
        error: None,
    })
}
