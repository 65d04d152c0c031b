//! The `spore` command line: parse arguments, call the library, print,
//! set the exit code (0 ok, 1 failed, 2 usage).

mod cli;

fn main() {
    spore::memory::one_arena_per_worker();
    std::process::exit(cli::run());
}
