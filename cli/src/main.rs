//! `hysim`, the command line: everything but the allocator lives in the library.

use std::process::ExitCode;

/// mimalloc, through the bench's allocator (see `hysim_cli::Allocator`).
#[global_allocator]
static GLOBAL: hysim_cli::Allocator = hysim_cli::Allocator;

fn main() -> ExitCode {
    hysim_cli::main()
}
