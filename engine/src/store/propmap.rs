//! Shared strings and the property map: a small copy-on-write map from property names to values.

use std::fmt;
use std::marker::PhantomData;

pub use super::value::{Str, Value, ValueRef, concat};

/// The position of key index `i` among the values of a map with `mask`: the keys present below it.
fn rank(mask: u32, i: u32) -> usize {
    (mask & 1u32.checked_shl(i).unwrap_or(0).wrapping_sub(1)).count_ones() as usize
}

/// The key indexes set in `mask`, lowest first.
fn set_bits(mut mask: u32) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros();
            mask &= mask - 1;
            i
        })
    })
}

/// The values of the keys in `mask`, in key order: the wanted value of a key set by the write,
/// else the value of the old map (keys `old_mask`) at its position, from `old_at`.
fn collect_values(
    (mask, old_mask): (u32, u32),
    want: &mut [Option<Option<Value>>; 32],
    mut old_at: impl FnMut(usize) -> Option<Value>,
) -> Values {
    let mut bits = set_bits(mask);
    // A range's map has an exact length: the values go into one allocation.
    let values = (0..mask.count_ones()).map(|_| {
        let i = bits.next().unwrap_or_default();
        match want.get_mut(i as usize).and_then(Option::take) {
            Some(Some(v)) => v,
            // Kept from the old map, which has it: `i` is untouched and in its mask.
            _ => old_at(rank(old_mask, i)).unwrap_or(Value::from(false)),
        }
    });
    Values::from_header_and_iter((), values)
}

/// The values of a [`PropMap`]: their count, length and items in one allocation, one word to
/// point to it (its length is the map's too).
type Values = triomphe::ThinArc<(), Value>;

fn bit<K: PropKey>(k: K) -> u32 {
    1u32.checked_shl(k.index()).unwrap_or(0)
}

/// A key of a [`PropMap`]: one of at most 32 names, numbered in their order.
pub trait PropKey: Copy + Ord {
    fn index(self) -> u32;
    fn from_index(i: u32) -> Option<Self>;
}

/// A small map of properties in key order: a bit per key present and the values of the keys
/// present, shared copy-on-write so that a backup costs a reference count per object rather than
/// a copy of every value.
pub struct PropMap<K> {
    mask: u32,
    vals: Values,
    key: PhantomData<K>,
}

// Two words: the mask and the pointer to the values, whose allocation holds their length.

impl<K> Clone for PropMap<K> {
    fn clone(&self) -> Self {
        PropMap {
            mask: self.mask,
            vals: Values::clone(&self.vals),
            key: PhantomData,
        }
    }
}

impl<K: PropKey + fmt::Debug> fmt::Debug for PropMap<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K> PartialEq for PropMap<K> {
    fn eq(&self, other: &Self) -> bool {
        self.mask == other.mask
            && (self.vals.ptr() == other.vals.ptr() || self.vals.slice == other.vals.slice)
    }
}
impl<K> Eq for PropMap<K> {}

impl<K> Default for PropMap<K> {
    fn default() -> Self {
        PropMap {
            mask: 0,
            vals: Values::from_header_and_iter((), std::iter::empty()),
            key: PhantomData,
        }
    }
}

impl<K: PropKey> PropMap<K> {
    /// The position of `k`'s value among the values present, and whether it is present.
    fn slot(&self, k: K) -> (usize, bool) {
        let b = bit(k);
        (rank(self.mask, k.index()), self.mask & b != 0)
    }

    pub fn get(&self, k: K) -> Option<&Value> {
        match self.slot(k) {
            (i, true) => self.vals.slice.get(i),
            _ => None,
        }
    }

    pub fn text(&self, k: K) -> Option<&str> {
        self.get(k).and_then(Value::as_text)
    }

    /// A text value as the shared string it is held in: copying it costs a reference count.
    pub fn str(&self, k: K) -> Option<&Str> {
        self.get(k).and_then(Value::as_str)
    }

    pub fn len(&self) -> usize {
        self.vals.slice.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.slice.is_empty()
    }

    /// Sets a value; `None` or an empty value removes the key. Returns whether anything changed.
    /// A write that changes nothing returns at once; the others are [`PropMap::update`]'s, in
    /// place when no backup shares the map.
    pub fn set(&mut self, k: K, v: Option<Value>) -> bool {
        let v = v.filter(|v| !v.is_empty());
        match (self.slot(k), v) {
            ((_, false), None) => false,
            ((i, true), Some(v)) if self.vals.slice.get(i) == Some(&v) => false,
            (_, v) => self.update([(k, v)]),
        }
    }

    /// Sets several values at once, copying the map once at most; `None` or an empty value
    /// removes the key (the last change of a key wins). Returns whether anything changed.
    pub fn update(&mut self, changes: impl IntoIterator<Item = (K, Option<Value>)>) -> bool {
        if self.mask == 0 {
            // A new map (an object being created): built straight from the changes.
            *self = PropMap::from_changes(changes);
            return self.mask != 0;
        }
        // The wanted state of each key: untouched, removed or set.
        let mut want: [Option<Option<Value>>; 32] = Default::default();
        let mut touched = 0u32;
        for (k, v) in changes {
            if let Some(slot) = want.get_mut(k.index() as usize) {
                *slot = Some(v.filter(|v| !v.is_empty()));
                touched |= bit(k);
            }
        }
        let changed = self.apply(&mut want, touched);
        // Only the touched slots can still hold a value: clear them, and the array needs no
        // drop (a 32-slot loop on every write otherwise).
        for i in set_bits(touched) {
            if let Some(slot) = want.get_mut(i as usize) {
                *slot = None;
            }
        }
        std::mem::forget(want);
        changed
    }

    /// A map holding the values of `changes` (the last change of a key wins; `None` or an empty
    /// value is no value), written in one allocation.
    fn from_changes(changes: impl IntoIterator<Item = (K, Option<Value>)>) -> Self {
        let mut want: [Option<Option<Value>>; 32] = Default::default();
        for (k, v) in changes {
            if let Some(slot) = want.get_mut(k.index() as usize) {
                *slot = Some(v.filter(|v| !v.is_empty()));
            }
        }
        let mask = (0u32..)
            .zip(&want)
            .filter(|(_, w)| matches!(w, Some(Some(_))))
            .fold(0, |m, (i, _)| m | 1u32 << i);
        let vals = collect_values((mask, 0), &mut want, |_| None);
        // Every value was moved into the map (the mask is the slots holding one): the array
        // holds nothing to drop, and a 32-slot drop loop on every new object is saved.
        debug_assert!(want.iter().all(|w| !matches!(w, Some(Some(_)))));
        std::mem::forget(want);
        PropMap {
            mask,
            vals,
            key: PhantomData,
        }
    }

    /// Applies the wanted state of the `touched` keys.
    fn apply(&mut self, want: &mut [Option<Option<Value>>; 32], touched: u32) -> bool {
        let mut mask = self.mask;
        let mut changed = false;
        for i in set_bits(touched) {
            let b = 1u32 << i;
            let present = self.mask & b != 0;
            match want.get(i as usize) {
                Some(Some(Some(v))) => {
                    if !present {
                        mask |= b;
                        changed = true;
                    } else if self.at(i) != Some(v) {
                        changed = true;
                    }
                }
                Some(Some(None)) if present => {
                    mask &= !b;
                    changed = true;
                }
                _ => {}
            }
        }
        if !changed {
            return false;
        }
        let old_mask = self.mask;
        if mask == old_mask {
            // The same keys and no backup shares the map: the values are replaced in place.
            let in_place = self.vals.with_arc_mut(|vals| {
                let Some(vals) = triomphe::Arc::get_mut(vals) else {
                    return false;
                };
                for i in set_bits(touched) {
                    let pos = rank(old_mask, i);
                    if let (Some(Some(Some(v))), Some(slot)) = (
                        want.get_mut(i as usize).map(Option::take),
                        vals.slice_mut().get_mut(pos),
                    ) {
                        *slot = v;
                    }
                }
                true
            });
            if in_place {
                return true;
            }
        }
        // One new allocation holding exactly the values present. The kept values are moved out
        // of the old map when nothing else holds it, and copied (a reference count each) when a
        // backup shares it.
        let vals = self
            .vals
            .with_arc_mut(|old| match triomphe::Arc::get_mut(old) {
                Some(old) => collect_values((mask, old_mask), want, |pos| {
                    old.slice_mut()
                        .get_mut(pos)
                        .map(|v| std::mem::replace(v, Value::from(false)))
                }),
                None => collect_values((mask, old_mask), want, |pos| old.slice().get(pos).cloned()),
            });
        self.mask = mask;
        self.vals = vals;
        true
    }

    /// The value of the key with index `i`, if present.
    fn at(&self, i: u32) -> Option<&Value> {
        let b = 1u32.checked_shl(i)?;
        if self.mask & b == 0 {
            return None;
        }
        self.vals.slice.get(rank(self.mask, i))
    }

    /// Has the processor fetch the start of the values, without waiting for it.
    pub fn prefetch(&self) {
        super::prefetch(self.vals.ptr());
    }

    pub fn iter(&self) -> impl Iterator<Item = (K, &Value)> {
        set_bits(self.mask)
            .zip(self.vals.slice.iter())
            .filter_map(|(i, v)| K::from_index(i).map(|k| (k, v)))
    }

    /// Keeps only the keys for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(K) -> bool) {
        let dropped: Vec<K> = self.iter().map(|(k, _)| k).filter(|k| !keep(*k)).collect();
        self.update(dropped.into_iter().map(|k| (k, None)));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::store::schema::EntraProp;

    #[test]
    fn prop_map_set_keeps_sorted_and_shares_on_clone() {
        let mut m: PropMap<EntraProp> = PropMap::default();
        assert!(m.set(EntraProp::Mail, Some(Value::text("a@x"))));
        assert!(m.set(EntraProp::DisplayName, Some(Value::text("A"))));
        let backup = m.clone();
        assert!(!m.set(EntraProp::Mail, Some(Value::text("a@x"))));
        assert!(m.set(EntraProp::Mail, Some(Value::text(""))));
        assert_eq!(m.text(EntraProp::Mail), None);
        assert_eq!(backup.text(EntraProp::Mail), Some("a@x"));
        let keys: Vec<_> = backup.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [EntraProp::DisplayName, EntraProp::Mail]);
    }

    #[test]
    fn prop_map_update_applies_a_batch_once_and_leaves_shared_copies_alone() {
        let mut m: PropMap<EntraProp> = PropMap::default();
        assert!(m.update([
            (EntraProp::Mail, Some(Value::text("a@x"))),
            (EntraProp::DisplayName, Some(Value::text("A"))),
            (EntraProp::JobTitle, Some(Value::text("first"))),
            (EntraProp::JobTitle, Some(Value::text("last"))),
        ]));
        assert_eq!(m.text(EntraProp::JobTitle), Some("last"));
        let backup = m.clone();
        // Unchanged values: nothing changes.
        assert!(!m.update([(EntraProp::Mail, Some(Value::text("a@x")))]));
        // Same keys, shared map: copied, the backup keeps its values.
        assert!(m.update([(EntraProp::Mail, Some(Value::text("b@x")))]));
        assert_eq!(backup.text(EntraProp::Mail), Some("a@x"));
        // Same keys, not shared: replaced in place.
        let at = m.vals.ptr();
        assert!(m.update([(EntraProp::DisplayName, Some(Value::text("B")))]));
        assert_eq!(m.vals.ptr(), at);
        assert!(m.set(EntraProp::DisplayName, Some(Value::text("B2"))));
        assert_eq!(m.vals.ptr(), at);
        assert!(m.set(EntraProp::DisplayName, Some(Value::text("B"))));
        // Added and removed keys together; an empty value removes.
        assert!(m.update([
            (EntraProp::UserPrincipalName, Some(Value::text("b@x"))),
            (EntraProp::JobTitle, None),
            (EntraProp::Mail, Some(Value::text(""))),
        ]));
        let got: Vec<(EntraProp, String)> = m.iter().map(|(k, v)| (k, v.to_string())).collect();
        assert_eq!(
            got,
            [
                (EntraProp::UserPrincipalName, "b@x".to_string()),
                (EntraProp::DisplayName, "B".to_string()),
            ]
        );
        assert_eq!(backup.len(), 3);
        assert!(!m.update([(EntraProp::Mail, None)]));
    }
}
