//! Memory faulted in ahead of use, on a spare core, while the bench's main thread works.
//!
//! The first write to a page of fresh memory costs a fault, and on a virtual machine whose host
//! backs the guest's memory lazily that fault can be the host's too, while the second core sits
//! idle (`docs/performance.md` has the figures).
//!
//! [`Allocator`] forwards to mimalloc; once [`note_allocations`] has been called (only `hysim
//! bench` calls it) it also notes where memory is handed out, and [`Prefault`] runs a thread at
//! idle priority that faults in, writable, what is about to be used:
//! - every block of [`BIG`] or more while it is allocated (a world's reserved tables, which fill
//!   as the run goes), from its start;
//! - the [`AHEAD`] regions of 2 MiB after the region of each thread's newest allocation: the
//!   allocator hands out fresh memory in address order.
//!
//! `MADV_POPULATE_WRITE` (Linux 5.14) faults pages in without writing to them: what a page holds
//! is unchanged, and a range that is not mapped, or not writable, is refused with an error that
//! is ignored. Elsewhere than Linux the thread does nothing.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Regions of 2 MiB: a transparent huge page, the unit the kernel faults in.
const REGION_SHIFT: u32 = 21;
/// Blocks of this size or more are faulted in whole.
const BIG: usize = 4 << 20;
/// Regions faulted in after a thread's newest (32 MiB): enough to stay ahead of a build's
/// allocations, little enough not to raise the peak much.
const AHEAD: usize = 16;
/// The big blocks noted, newest last: a ring of (start, length) pairs.
const RING: usize = 256;

/// mimalloc, noting the memory it hands out for the bench's prefaulting once `note_allocations` was
/// called.
pub struct Allocator;

/// Whether [`Allocator`] notes what it hands out: off unless the bench turns it on, so that the
/// other commands pay one predictable branch per allocation and nothing more.
static NOTING: AtomicBool = AtomicBool::new(false);

/// Turns the noting on for the rest of the process. Called before the allocations a prefault
/// thread should fault in (a world's reserved tables), so before the world is built.
pub fn note_allocations() {
    NOTING.store(true, Ordering::Relaxed);
}

fn noting() -> bool {
    NOTING.load(Ordering::Relaxed)
}

/// The region of the newest allocation of whichever thread last moved to another region.
static NEWEST: AtomicUsize = AtomicUsize::new(0);
static BIG_BLOCKS: [(AtomicUsize, AtomicUsize); RING] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; RING];
/// How many big blocks were ever noted.
static BIG_NOTED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's newest region.
    static REGION: Cell<usize> = const { Cell::new(0) };
}

fn note(p: *mut u8, size: usize) {
    if p.is_null() {
        return;
    }
    if size >= BIG {
        let (start, len) = &BIG_BLOCKS[BIG_NOTED.fetch_add(1, Ordering::Relaxed) % RING];
        len.store(size, Ordering::Relaxed);
        start.store(p as usize, Ordering::Release);
        return;
    }
    let region = p as usize >> REGION_SHIFT;
    // A thread being torn down has no `REGION` left: its allocations go unnoted.
    let _ = REGION.try_with(|r| {
        if r.get() != region {
            r.set(region);
            NEWEST.store(region, Ordering::Relaxed);
        }
    });
}

/// A big block freed is not faulted in any more.
fn forget(p: *mut u8, size: usize) {
    if size >= BIG {
        // Read first: a locked exchange on every entry would take each one's cache line.
        for (start, _) in BIG_BLOCKS
            .iter()
            .filter(|(start, _)| start.load(Ordering::Relaxed) == p as usize)
        {
            start.store(0, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is mimalloc's own, with the caller's arguments; noting an address reads
// nothing behind it.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if noting() {
            note(p, layout.size());
        }
        p
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if noting() {
            note(p, layout.size());
        }
        p
    }
    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if noting() {
            forget(p, layout.size());
        }
        unsafe { mimalloc::MiMalloc.dealloc(p, layout) }
    }
    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if noting() {
            forget(p, layout.size());
        }
        let q = unsafe { mimalloc::MiMalloc.realloc(p, layout, new_size) };
        if noting() {
            note(q, new_size);
        }
        q
    }
}

/// Faults in the 2 MiB region `region`, writable, leaving what it holds as it is.
fn populate(region: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: MADV_POPULATE_WRITE changes no byte of the range; an unmapped or read-only range
    // is refused with an error, which only means there was nothing to do.
    unsafe {
        libc::madvise(
            (region << REGION_SHIFT) as *mut libc::c_void,
            1 << REGION_SHIFT,
            libc::MADV_POPULATE_WRITE,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = region;
}

/// What the thread has done and has left to do.
struct Ahead {
    newest_seen: usize,
    /// The next big block to read from the ring.
    next_big: usize,
    /// The regions of the big block being faulted in: next, last.
    big: Option<(usize, usize)>,
    done: std::collections::HashSet<usize>,
}

impl Ahead {
    fn new() -> Self {
        Ahead {
            newest_seen: 0,
            // The blocks noted before the thread started and still allocated, as a world's
            // tables reserved before a bench's timing starts.
            next_big: BIG_NOTED.load(Ordering::Relaxed).saturating_sub(RING),
            big: None,
            done: Default::default(),
        }
    }

    fn populate_once(&mut self, region: usize) {
        if self.done.insert(region) {
            populate(region);
        }
    }

    /// Faults in the regions after a newly reached one, else one region of a big block.
    /// Whether there was anything to do.
    fn step(&mut self) -> bool {
        let newest = NEWEST.load(Ordering::Relaxed);
        if newest != self.newest_seen {
            self.newest_seen = newest;
            for region in newest + 1..=newest + AHEAD {
                self.populate_once(region);
            }
            return true;
        }
        let noted = BIG_NOTED.load(Ordering::Relaxed);
        while self.big.is_none() && self.next_big < noted {
            let (start, len) = &BIG_BLOCKS[self.next_big % RING];
            self.next_big += 1;
            let start = start.load(Ordering::Acquire);
            if start != 0 {
                let len = len.load(Ordering::Relaxed).max(1);
                self.big = Some((start >> REGION_SHIFT, (start + len - 1) >> REGION_SHIFT));
            }
        }
        let Some((next, last)) = self.big else {
            return false;
        };
        self.populate_once(next);
        self.big = (next < last).then_some((next + 1, last));
        true
    }
}

/// The thread faulting memory in ahead of use, until dropped.
pub struct Prefault {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Prefault {
    /// Starts the thread (at idle priority: it runs when a core has nothing else to run);
    /// `None` when it could not be started. Turns the noting on if it was not yet.
    pub fn start() -> Option<Self> {
        note_allocations();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("prefault".into())
            .spawn(move || {
                idle_priority();
                let mut ahead = Ahead::new();
                while !stopped.load(Ordering::Relaxed) {
                    if !ahead.step() {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                }
            })
            .ok()?;
        Some(Prefault {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Prefault {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn idle_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets this thread's own scheduling policy; the parameter is a valid struct.
    unsafe {
        let p = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &p);
    }
}

#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    /// Whether every page of the `len` bytes at `p` is resident (`mincore`).
    fn resident(p: *const u8, len: usize) -> bool {
        let start = p as usize & !(PAGE - 1);
        let pages = (p as usize + len - start).div_ceil(PAGE);
        let mut flags = vec![0u8; pages];
        // SAFETY: reads the residency of a range of this process's memory into a byte a page.
        let r =
            unsafe { libc::mincore(start as *mut libc::c_void, pages * PAGE, flags.as_mut_ptr()) };
        r == 0 && flags.iter().all(|f| f & 1 == 1)
    }

    /// A big block is noted when allocated and forgotten when freed (an address no allocation
    /// has, so that no other test's can take its place).
    #[test]
    fn a_big_block_is_noted_until_freed() {
        let fake = 0x5a5a_0000_0000usize as *mut u8;
        let noted = || {
            BIG_BLOCKS
                .iter()
                .any(|(start, _)| start.load(Ordering::Relaxed) == fake as usize)
        };
        note(fake, BIG);
        assert!(noted());
        forget(fake, BIG);
        assert!(!noted());
        note(fake, BIG - 1);
        assert!(!noted(), "a small block is not a big one");
    }

    /// A big block allocated is faulted in whole, and what it holds is left as it was.
    #[test]
    fn a_big_block_is_faulted_in_as_it_is() {
        note_allocations();
        let mut ahead = Ahead::new();
        let mut v: Vec<u8> = Vec::with_capacity(3 * BIG);
        v.extend((0..BIG).map(|i| i as u8));
        // The block's unwritten pages handed back, so that they are not resident.
        let spare = v.spare_capacity_mut();
        let from = (spare.as_ptr() as usize).next_multiple_of(PAGE);
        let len = (spare.as_ptr() as usize + spare.len() - from) & !(PAGE - 1);
        // SAFETY: the range is the vector's own spare capacity, which holds nothing yet.
        unsafe { libc::madvise(from as *mut libc::c_void, len, libc::MADV_DONTNEED) };
        assert!(!resident(from as *const u8, len));
        while ahead.step() {}
        assert!(resident(from as *const u8, len));
        assert!(v.iter().enumerate().all(|(i, b)| *b == i as u8));
    }
}
