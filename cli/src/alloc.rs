//! The global allocator, mimalloc, and the options the bench gives it.

/// mimalloc: the simulator allocates millions of small strings and maps, which glibc's allocator
/// spends much of a large run consolidating. It notes where it hands memory out only when the
/// bench asks (`bench::prefault`). The binary makes it the global allocator; tests and
/// fuzz targets linking the library keep their own.
pub use crate::bench::prefault::Allocator;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (`include/mimalloc.h`, v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc's options for `hysim bench` when it is the command (the first argument), before
/// anything else allocates. The other commands keep mimalloc's defaults: the options did not
/// make `hysim run` of a generated 100,000-user file measurably faster.
pub fn tune_for_bench() {
    if std::env::args_os().nth(1).is_some_and(|a| a == "bench") {
        tune_for_large_worlds();
    }
}

/// Keeps freed pages for a second and asks for large OS pages: options read when mimalloc next
/// takes memory from the OS or hands it back, so they must be set before the world is built.
fn tune_for_large_worlds() {
    // A sync cycle frees and allocates millions of small values; with mimalloc's default delay
    // (10 ms) it may hand freed pages back to the OS and fault fresh zeroed ones in moments
    // later. One second keeps them for the next phase.
    // SAFETY: sets an option before any other thread exists; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    // Large OS pages for the arenas, so that a scattered read into a world of a gigabyte or more
    // that misses the cache walks fewer page tables.
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 1) };
}

/// The library's own unit tests run under the binary's allocator, which the bench's tests
/// observe.
#[cfg(test)]
#[global_allocator]
static TESTS: Allocator = Allocator;
