//! Compact tables for a million objects: an id → node map holding only the node (the id is read
//! back from the node: 4 bytes a slot instead of 20), and per-handle lists without a heap list
//! per handle.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::ids::Guid;
use super::objects::{HandleId, NodeIx};

/// Id → node. Ids are mapped one at a time ([`IdMap::insert`]) or many at once
/// ([`IdMap::defer`], then [`IdMap::flush`]), which inserts them in about the order of their
/// places in the table (sorted in place by the top 12 bits of their place), so that it walks
/// the table from front to back: inserted one at a time, a million new ids each wait for
/// memory at a random place in a table larger than the cache.
#[derive(Clone, Debug, Default)]
pub struct IdMap {
    table: hashbrown::HashTable<NodeIx>,
    /// Mapped by [`IdMap::defer`] and not in the table yet: the hash of the id, the node.
    pending: Vec<(u64, NodeIx)>,
}

fn hash(id: &Guid) -> u64 {
    FxBuildHasher.hash_one(id)
}

/// The hash of a node's id, read back from the node (for the table's own rehashing).
fn rehash(id_of: impl Fn(NodeIx) -> Option<Guid>) -> impl Fn(&NodeIx) -> u64 {
    move |x| id_of(*x).map_or(0, |g| hash(&g))
}

impl IdMap {
    /// The node carrying `id`; `id_of` reads a node's id. Ids deferred and not flushed yet are
    /// looked for one by one (their owner flushes them before it looks ids up).
    pub fn get(&self, id: &Guid, id_of: impl Fn(NodeIx) -> Option<Guid>) -> Option<NodeIx> {
        let h = hash(id);
        let deferred = self
            .pending
            .iter()
            .filter(|(ph, n)| *ph == h && id_of(*n).as_ref() == Some(id))
            .map(|(_, n)| *n)
            .max();
        let mapped = self
            .table
            .find(h, |n| id_of(*n).as_ref() == Some(id))
            .copied();
        mapped.max(deferred)
    }

    /// Maps `id` to `n`, which carries it (replacing the node it was mapped to).
    pub fn insert(&mut self, id: Guid, n: NodeIx, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        let h = hash(&id);
        match self.table.find_mut(h, |x| id_of(*x) == Some(id)) {
            Some(slot) => *slot = n,
            None => {
                self.table.insert_unique(h, n, rehash(&id_of));
            }
        }
    }

    /// Maps `id` to `n`, which carries it, at the next [`IdMap::flush`]: of two nodes with the
    /// same id, the one added later (the higher index) wins, as inserting them one by one in
    /// node order makes it.
    pub fn defer(&mut self, id: &Guid, n: NodeIx) {
        self.pending.push((hash(id), n));
    }

    /// Inserts the ids deferred since the last flush, front to back.
    pub fn flush(&mut self, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        self.reserve(pending.len(), &id_of);
        // hashbrown's capacity is 7/8 of its slots, and a hash's place starts at its low bits.
        let slots = (self.table.capacity() / 7 * 8).max(1);
        let place_bits = slots.trailing_zeros().min(12);
        // A few ids (a restore session flushes each re-created object's before its next
        // lookup) are inserted as they come: sorting them would cost the 4,096 buckets.
        if pending.len() >= 1 << place_bits {
            let shift = slots.trailing_zeros() - place_bits;
            sort_by_bucket(&mut pending, 1 << place_bits, |h| {
                ((h & (slots as u64 - 1)) >> shift) as usize
            });
        }
        for (h, n) in pending {
            match self.table.find_mut(h, |x| id_of(*x) == id_of(n)) {
                Some(slot) => *slot = (*slot).max(n),
                None => {
                    self.table.insert_unique(h, n, rehash(&id_of));
                }
            }
        }
    }

    /// A map of `pairs` (see [`IdMap::defer`]) with room for `capacity` ids.
    pub fn build(
        pairs: impl Iterator<Item = (Guid, NodeIx)>,
        capacity: usize,
        id_of: impl Fn(NodeIx) -> Option<Guid>,
    ) -> IdMap {
        let mut map = IdMap::default();
        map.reserve(capacity, &id_of);
        for (id, n) in pairs {
            map.defer(&id, n);
        }
        map.flush(id_of);
        map
    }

    pub fn reserve(&mut self, additional: usize, id_of: impl Fn(NodeIx) -> Option<Guid>) {
        self.table.reserve(additional, rehash(id_of));
    }

    /// The ids in the table (deferred ones count once flushed).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// Sorts `items` in place by `bucket` of their hash (below `buckets`), not keeping the order of
/// items in the same bucket: a count of each bucket, then each item swapped into its bucket's
/// next free place (an American flag sort's single pass).
fn sort_by_bucket(items: &mut [(u64, NodeIx)], buckets: usize, bucket: impl Fn(u64) -> usize) {
    let bucket = |h| bucket(h).min(buckets.saturating_sub(1));
    let mut next = vec![0usize; buckets + 1];
    for (h, _) in items.iter() {
        if let Some(c) = next.get_mut(bucket(*h) + 1) {
            *c += 1;
        }
    }
    for b in 1..next.len() {
        let before = next.get(b - 1).copied().unwrap_or(0);
        if let Some(c) = next.get_mut(b) {
            *c += before;
        }
    }
    // `next[b]` is the next place to fill in bucket b, which ends where bucket b + 1 starts.
    let ends: Vec<usize> = next.iter().skip(1).copied().collect();
    for (b, &end) in ends.iter().enumerate() {
        while let Some(&at) = next.get(b).filter(|at| **at < end) {
            let Some(&(h, _)) = items.get(at) else { break };
            let to = bucket(h);
            if to == b {
                if let Some(at) = next.get_mut(b) {
                    *at += 1;
                }
            } else if let Some(dest) = next.get_mut(to) {
                items.swap(at, *dest);
                *dest += 1;
            }
        }
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

    /// Has the processor fetch the first entry of `h`.
    pub fn prefetch(&self, h: HandleId) {
        if let Some(first) = self.first.get(h.0 as usize) {
            super::prefetch(first);
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The build's sort leaves every item in bucket order, and the same items.
    #[test]
    fn items_sorted_by_bucket_in_place() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        for len in [0, 1, 2, 17, 5000] {
            let mut items: Vec<(u64, NodeIx)> =
                (0..len).map(|i| (rng.random(), NodeIx::new(i))).collect();
            let mut want = items.clone();
            sort_by_bucket(&mut items, 16, |h| (h >> 60) as usize);
            assert!(items.windows(2).all(|w| w[0].0 >> 60 <= w[1].0 >> 60));
            items.sort_unstable();
            want.sort_unstable();
            assert_eq!(items, want);
        }
    }

    /// ID-1, AD-5: built at once, a map answers as one built an insert at a time: every id
    /// found, and of two nodes with the same id, the later; and so does one with ids deferred
    /// and not flushed.
    #[test]
    fn id_1_map_built_at_once_answers_as_one_built_an_insert_at_a_time() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        // Node i carries ids[i]; a few ids are carried again by later nodes.
        let mut ids: Vec<Guid> = (0..20_000).map(|_| Guid(rng.random())).collect();
        for i in 0..200 {
            let again = ids[i * 7];
            ids.push(again);
        }
        let id_of = |n: NodeIx| ids.get(n.index()).copied();
        let pairs = || (0..ids.len()).map(|i| (ids[i], NodeIx::new(i)));
        for capacity in [0, 100, ids.len()] {
            let built = IdMap::build(pairs(), capacity, id_of);
            let mut one_by_one = IdMap::default();
            for (id, n) in pairs() {
                one_by_one.insert(id, n, id_of);
            }
            assert_eq!(built.len(), one_by_one.len());
            for id in &ids {
                assert_eq!(built.get(id, id_of), one_by_one.get(id, id_of));
            }
            assert_eq!(built.get(&ids[7], id_of), Some(NodeIx::new(20_001)));
            assert_eq!(built.get(&Guid([0; 16]), id_of), None);
        }
        // Deferred and not flushed yet, half of them: found all the same.
        let mut half = IdMap::default();
        for (id, n) in pairs() {
            if n.index() % 2 == 0 {
                half.insert(id, n, id_of);
            } else {
                half.defer(&id, n);
            }
        }
        let check = |map: &IdMap| {
            for (i, id) in ids.iter().enumerate().step_by(13) {
                let want = (0..ids.len()).rev().find(|j| ids[*j] == *id).unwrap();
                assert!(want >= i);
                assert_eq!(map.get(id, id_of), Some(NodeIx::new(want)));
            }
        };
        check(&half);
        // Flushed: many at once (sorted), then a few (inserted as they come).
        half.flush(id_of);
        check(&half);
        let more: Vec<Guid> = (0..3).map(|_| Guid(rng.random())).collect();
        let more_of = |n: NodeIx| id_of(n).or_else(|| more.get(n.index() - ids.len()).copied());
        for (i, id) in more.iter().enumerate() {
            half.defer(id, NodeIx::new(ids.len() + i));
        }
        half.flush(more_of);
        for (i, id) in more.iter().enumerate() {
            assert_eq!(half.get(id, more_of), Some(NodeIx::new(ids.len() + i)));
        }
    }
}
