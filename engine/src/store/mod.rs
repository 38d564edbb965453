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

/// What changed in the directories since the last sync cycle, as the sync's delta import reads
/// it: the AD objects to process again, and the memberships of synced AD groups to flow again.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// AD objects changed on either side since the last cycle, with repeats: a cycle sorts them
    /// (a million creations cost a million pushes, not a million tree inserts). A group here
    /// has its whole membership flowed again.
    pub dirty: Vec<NodeIx>,
    /// Members of AD groups whose membership may have changed since the last cycle, as (AD
    /// group, member): the member is an AD object (its AD membership, scope or join changed) or
    /// an Entra object (its liveness or cloud memberships changed). A delta cycle flows these
    /// members of a group that is not itself in `dirty`, not the group's whole membership.
    pub members: Vec<(NodeIx, NodeIx)>,
}

/// Both directories as they are stored: the graph of their objects and relations, the handles
/// and the objects each carried, the generator of every id (ID-1), and what changed since the
/// last cycle.
#[derive(Clone, Debug)]
pub struct Store {
    pub g: DirGraph,
    /// The handles' names, shared with the scenario that numbered them.
    pub handles: std::sync::Arc<Handles>,
    pub objects: HandleObjects,
    pub ids: IdGenerator,
    pub changes: Changes,
}

impl Store {
    pub fn new(handles: std::sync::Arc<Handles>, seed: u64) -> Store {
        Store {
            g: DirGraph::default(),
            handles,
            objects: HandleObjects::default(),
            ids: IdGenerator::new(seed),
            changes: Changes::default(),
        }
    }

    /// The shared name of a handle.
    pub fn name_of(&self, h: HandleId) -> Str {
        self.handles.name_str(h).clone()
    }

    /// The name of a handle when `wanted` (its events are kept), else an empty one: reading it
    /// is a trip to memory per object in a large operation.
    pub fn name_if(&self, h: HandleId, wanted: bool) -> Str {
        if wanted {
            self.name_of(h)
        } else {
            Str::default()
        }
    }

    /// Marks an AD object as changed: the next cycle processes it.
    pub fn touch(&mut self, ad: NodeIx) {
        if self.changes.dirty.last() != Some(&ad) {
            self.changes.dirty.push(ad);
        }
    }

    /// Marks `member` as a changed member of AD group `group`. A group not joined yet is marked
    /// changed itself, as a delta import sees it: it flows whole in the cycle that adds it, so
    /// recording its members would only take memory.
    pub fn touch_member(&mut self, group: NodeIx, member: NodeIx) {
        if self.g.joined_entra(group).is_none() {
            self.touch(group);
        } else if self.changes.members.last() != Some(&(group, member)) {
            self.changes.members.push((group, member));
        }
    }

    /// Marks an AD object as a changed member of the AD groups it is in.
    pub fn touch_ad_groups(&mut self, n: NodeIx) {
        let groups: Vec<NodeIx> = self.g.out(n, Rel::Member).collect();
        for grp in groups {
            self.touch_member(grp, n);
        }
    }

    /// Marks the AD object joined to an Entra object as changed, and the object as a changed
    /// member of the synced groups it is in.
    pub fn touch_joined(&mut self, n: NodeIx) {
        if let Some(ad) = self.g.joined_ad(n) {
            self.touch(ad);
        }
        let groups: Vec<NodeIx> = self
            .g
            .out(n, Rel::Member)
            .filter_map(|grp| self.g.joined_ad(grp))
            .collect();
        for ad in groups {
            self.touch_member(ad, n);
        }
    }
}
