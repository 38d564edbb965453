//! The storage floor: how the directories' objects, values and indexes are held, with no rule
//! about what they mean. Identifiers, shared strings and values, property maps, the hash tables
//! under the uniqueness index and the handles, and the graph of both directories. The engine's
//! only `unsafe` code and its cache hints live here, behind safe operations.

pub mod graph;
pub mod handles;
pub mod idmap;
pub mod ids;
pub mod objects;
pub mod propmap;
pub mod schema;
pub mod value;
pub mod valuemap;

pub use graph::*;
pub use handles::{HandleObjects, Handles};
pub use ids::{Guid, IdGenerator, Sid, immutable_id};
pub use objects::*;
pub use propmap::{PropMap, Str, Value, ValueRef, concat};
pub use schema::{AdAttr, EntraProp};

/// Asks the processor to fetch the cache line at `x`, without waiting for it: for a read of it a
/// little later, while other work is done. `x` need not point at anything.
#[cfg(target_arch = "x86_64")]
pub(crate) fn prefetch<T: ?Sized>(x: *const T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint: it reads nothing the program sees and never faults, at any
    // address; and every x86-64 processor has SSE, the feature the intrinsic asks for.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(x.cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn prefetch<T: ?Sized>(_: *const T) {}
