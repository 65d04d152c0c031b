//! How the process asks its allocator to behave.
//!
//! glibc's malloc gives threads their own arenas, up to eight per core, and
//! memory a thread frees stays in its arena: the build's main thread (which
//! makes the site-wide and integrity files) never reuses what the render
//! threads freed, and at 50,000 notes the peak resident memory was half as
//! much again as the peak heap. One arena per worker thread keeps the
//! render threads apart (same speed in the benchmark) and lets the main
//! thread share theirs: 605 → 551 MB at 50,000 notes. Other allocators
//! and platforms are left alone.

/// Caps glibc's arenas at the number of worker threads; call before any
/// thread starts.
pub fn one_arena_per_worker() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = i32::try_from(workers.max(2)).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tuning value of the allocator; it
        // is called before the process starts any other thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
