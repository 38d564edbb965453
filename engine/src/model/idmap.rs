//! A map from an object id to the node carrying it that holds only the node: the id is read back
//! from the node. At a million objects that is 4 bytes a slot instead of 20.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::graph::NodeIx;
use super::ids::Guid;

#[derive(Clone, Debug, Default)]
pub struct IdMap(hashbrown::HashTable<NodeIx>);

fn hash(id: &Guid) -> u64 {
    FxBuildHasher.hash_one(id)
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
                self.0
                    .insert_unique(h, n, |x| id_of(*x).map_or(0, |g| hash(&g)));
            }
        }
    }

    pub fn reserve(&mut self, additional: usize, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        self.0
            .reserve(additional, |x| id_of(*x).map_or(0, |g| hash(&g)));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
