//! The `spore` command line: parse arguments, call the library, print,
//! set the exit code (0 ok, 1 failed, 2 usage).

mod cli;

/// Why mimalloc and not the system allocator: `spore::memory`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::run());
}
