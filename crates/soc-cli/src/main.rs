//! The `socdrift` binary: parse, run, exit. Everything else lives in the `soc_cli` library.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

/// Normalizing builds and frees a tree of many small maps per workflow, on every core at once;
/// mimalloc's per-thread heaps do that with about a fifth less CPU than glibc's malloc (see
/// docs/performance.md). The binary's choice: the libraries leave the allocator to it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    // A shell asking for completions (COMPLETE=<shell>) gets them and nothing else.
    clap_complete::CompleteEnv::with_factory(<soc_cli::cli::Cli as clap::CommandFactory>::command)
        .var(soc_cli::completion::VAR)
        .complete();
    let cli = soc_cli::cli::Cli::parse();
    soc_cli::main_with(cli).into()
}

/// mimalloc asks for transparent huge pages for its arenas, and on a kernel that grants them
/// (`madvise` mode, the common default) each fresh one is a 2 MB page zeroed at once, however
/// little of it a heap then uses. Snapshotting frees and takes back a workflow's buffers hundreds
/// of times a second on every core: with huge pages, zeroing them was up to a third of a
/// snapshot's CPU and raised its peak memory from 76 to 123 MB (docs/performance.md). Best
/// effort: a kernel that refuses only costs that time.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}
