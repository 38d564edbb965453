//! The model shared by every system: identifiers, the property catalogue and the graph.

pub mod graph;
pub mod idmap;
pub mod ids;
pub mod props;
pub mod value;
pub mod valuemap;

pub use graph::*;
pub use ids::{Guid, IdGenerator, Sid, immutable_id};
pub use props::{AdAttr, EntraProp, Mastery, PropMap, Source, Value, ValueRef};

/// Asks the processor to fetch the cache line at `x`, without waiting for it: for a read of it a
/// little later, while other work is done. `x` need not point at anything. With [`value`], the
/// engine's only unsafe code.
#[cfg(target_arch = "x86_64")]
pub(crate) fn prefetch<T: ?Sized>(x: *const T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint: it reads nothing the program sees and never faults, at any
    // address; and every x86-64 processor has SSE, the feature the intrinsic asks for.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(x.cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn prefetch<T: ?Sized>(_: *const T) {}
