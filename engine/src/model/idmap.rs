//! Compact tables for a million objects: an id → node map holding only the node (the id is read
//! back from the node: 4 bytes a slot instead of 20), and per-handle lists without a heap list
//! per handle.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::graph::{HandleId, NodeIx};
use super::ids::Guid;

#[derive(Clone, Debug, Default)]
pub struct IdMap(hashbrown::HashTable<NodeIx>);

fn hash(id: &Guid) -> u64 {
    FxBuildHasher.hash_one(id)
}

/// The hash of a node's id, read back from the node (for the table's own rehashing).
fn rehash(id_of: impl Fn(NodeIx) -> Option<Guid>) -> impl Fn(&NodeIx) -> u64 {
    move |x| id_of(*x).map_or(0, |g| hash(&g))
}

impl IdMap {
    /// The node carrying `id`; `id_of` reads a node's id.
    pub fn get(&self, id: &Guid, id_of: impl Fn(NodeIx) -> Option<Guid>) -> Option<NodeIx> {
        self.0
            .find(hash(id), |n| id_of(*n).as_ref() == Some(id))
            .copied()
    }

    /// Maps `id` to `n`, which carries it (replacing the node it was mapped to).
    pub fn insert(&mut self, id: Guid, n: NodeIx, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        let h = hash(&id);
        match self.0.find_mut(h, |x| id_of(*x) == Some(id)) {
            Some(slot) => *slot = n,
            None => {
                self.0.insert_unique(h, n, rehash(&id_of));
            }
        }
    }

    pub fn reserve(&mut self, additional: usize, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        self.0.reserve(additional, rehash(id_of));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What each handle maps to, oldest first: handles are dense and almost all have one entry, so a
/// flat list of first entries (one `T` a handle, `none` where there is none) and a map for the
/// few handles with more (a re-created user, an ambiguous handle).
#[derive(Clone, Debug)]
pub struct PerHandle<T> {
    first: Vec<T>,
    more: rustc_hash::FxHashMap<HandleId, Vec<T>>,
    none: T,
}

impl Default for PerHandle<NodeIx> {
    fn default() -> Self {
        PerHandle::new(NodeIx::end())
    }
}

impl Default for PerHandle<usize> {
    fn default() -> Self {
        PerHandle::new(usize::MAX)
    }
}

impl<T: Copy + PartialEq> PerHandle<T> {
    /// An empty table; `none` marks a handle with no entry and is never stored.
    pub fn new(none: T) -> Self {
        PerHandle {
            first: Vec::new(),
            more: Default::default(),
            none,
        }
    }

    /// The entries of `h`, `None` when it has none.
    pub fn get(&self, h: &HandleId) -> Option<&[T]> {
        if let Some(all) = self.more.get(h) {
            return Some(all);
        }
        self.first
            .get(h.0 as usize)
            .filter(|x| **x != self.none)
            .map(std::slice::from_ref)
    }

    /// Has the processor fetch the first entry of `h` (see [`World::prefetch`](crate::World::prefetch)).
    pub fn prefetch(&self, h: HandleId) {
        if let Some(first) = self.first.get(h.0 as usize) {
            super::valuemap::prefetch(first);
        }
    }

    /// The handles with entries, in handle order.
    pub fn iter(&self) -> impl Iterator<Item = (HandleId, &[T])> {
        (0u32..)
            .take(self.first.len())
            .filter_map(|h| Some((HandleId(h), self.get(&HandleId(h))?)))
    }

    pub fn reserve(&mut self, handles: usize) {
        self.first.reserve(handles);
    }

    pub fn push(&mut self, h: HandleId, x: T) {
        let at = h.0 as usize;
        if self.first.len() <= at {
            self.first.resize(at + 1, self.none);
        }
        let Some(first) = self.first.get_mut(at) else {
            return;
        };
        if *first == self.none {
            *first = x;
        } else {
            self.more.entry(h).or_insert_with(|| vec![*first]).push(x);
        }
    }
}
