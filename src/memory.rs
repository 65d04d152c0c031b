//! How the process uses its allocator.
//!
//! The `spore` binary allocates with mimalloc (see `main.rs`): a build
//! makes and frees millions of small strings on every worker thread, and
//! glibc's malloc spent a fifth of a 50,000-note build in its free lists
//! (`_int_malloc`, `malloc_consolidate`), growing faster than the vault:
//! 20.9 s against mimalloc's 12.3 s on the same machine, and 2.9 against
//! 2.5 s at 10,000 notes. mimalloc keeps what a thread freed for that
//! thread to reuse, so a stage that is done hands its memory back here.

/// Hands the pages the process freed back to the system, on every worker
/// thread and this one: called between the build's stages, after one that
/// let a lot go (the notes' text after the index, the pages' sentences
/// after the pages), so the next stage's peak is not stacked on what the
/// last one left behind. Does nothing where mimalloc is not the allocator
/// in use (tests, the library in another program).
pub fn release_freed() {
    // SAFETY: mi_collect only returns memory mimalloc holds that no
    // allocation uses; it is safe to call on any thread at any time.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    unsafe { libmimalloc_sys::mi_collect(true) };
}
