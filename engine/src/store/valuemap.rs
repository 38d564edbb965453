//! The table under the uniqueness index (ID-4), unique value → the live object holding it, and
//! under the handles, name → handle.
//!
//! Open addressing with linear probing, at most half full, one slot of 16 bytes a value (the
//! value's shared text, the low 32 bits of its hash, the node or handle). A lookup reads one
//! run of neighbouring slots, mostly one cache line, where a `hashbrown` table reads its control
//! bytes and then its slot, two places in memory: at a million users these tables are far
//! larger than the cache, and every UPN, proxy address and immutableId of a synced user is
//! looked up when it is exported and again when INV-1 is checked, as is every handle an
//! operation names. A lookup's line can also be fetched ahead of it ([`ValueMap::prefetch`])
//! while the work before it is done.
//!
//! The slot's 32 bits of hash place it (their low bits are its home slot, so a table has at
//! most 2^32 slots) and screen the comparison of texts, so that neither a lookup of a value
//! that is not there, nor growing, nor a removal's shifting of the slots after it reads a
//! value's text.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use super::objects::NodeIx;
use super::prefetch;
use super::propmap::Str;

/// How a table's values compare: the hash and the equality must agree.
pub trait Compare {
    fn hash(value: &str) -> u64;
    fn same(a: &str, b: &str) -> bool;
}

/// Values compared as they are written, hashed as [`hash_words`] reads them.
#[derive(Debug)]
pub struct Exact;

impl Compare for Exact {
    fn hash(value: &str) -> u64 {
        hash_words(value.as_bytes(), |w| w).0
    }
    fn same(a: &str, b: &str) -> bool {
        a == b
    }
}

/// The hash of `bytes` read as little-endian words of eight, the last padded with zeros, each
/// changed by `lower` (a case-blind hash lowers it) and mixed in by a folded multiply (the
/// high and low halves of a 128-bit product, as foldhash and rustc-hash mix); and whether the
/// bytes are all ASCII. (Handing the words to a map's hasher one by one instead mixes too
/// weakly: keys that differ in a few digits collide.)
pub fn hash_words(bytes: &[u8], lower: impl Fn(u64) -> u64) -> (u64, bool) {
    let mut acc = bytes.len() as u64;
    let mut seen = 0u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        seen |= w;
        acc = mix(acc ^ lower(w));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // Little-endian, as the whole words are read; the missing bytes are zeros.
        let w = rest.iter().rev().fold(0, |w, b| (w << 8) | u64::from(*b));
        seen |= w;
        acc = mix(acc ^ lower(w));
    }
    (acc, seen & 0x8080_8080_8080_8080 == 0)
}

/// A folded multiply by an odd constant (the fractional digits of the golden ratio): every bit
/// of the word moves every bit of the result.
pub fn mix(w: u64) -> u64 {
    let product = u128::from(w) * 0x9e37_79b9_7f4a_7c15;
    (product as u64) ^ ((product >> 64) as u64)
}

#[derive(Clone)]
struct Slot<V> {
    value: Option<Str>,
    hash: u32,
    node: V,
}

impl<V: Default> Slot<V> {
    fn empty() -> Slot<V> {
        Slot {
            value: None,
            hash: 0,
            node: V::default(),
        }
    }
}

/// Unique value → node (or another small `V`), its values compared by `C`.
pub struct ValueMap<C, V = NodeIx> {
    slots: Vec<Slot<V>>,
    len: usize,
    compare: PhantomData<C>,
}

impl<C, V: Clone> Clone for ValueMap<C, V> {
    fn clone(&self) -> Self {
        ValueMap {
            slots: self.slots.clone(),
            len: self.len,
            compare: PhantomData,
        }
    }
}

impl<C, V> Default for ValueMap<C, V> {
    fn default() -> Self {
        ValueMap {
            slots: Vec::new(),
            len: 0,
            compare: PhantomData,
        }
    }
}

impl<C, V: fmt::Debug> fmt::Debug for ValueMap<C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.slots
                    .iter()
                    .filter_map(|s| Some((s.value.as_ref()?, &s.node))),
            )
            .finish()
    }
}

impl<C: Compare, V: Copy + Default> ValueMap<C, V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The slot holding `value`, or the empty slot where it would go; `None` when the table
    /// has no slots.
    fn find(&self, value: &str, hash: u32) -> Option<usize> {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots.get(at)?;
            match &slot.value {
                None => return Some(at),
                // The same text (the index holds its holder's own) compares without reading it.
                Some(v)
                    if slot.hash == hash
                        && (std::ptr::eq(v.as_str(), value) || C::same(v, value)) =>
                {
                    return Some(at);
                }
                Some(_) => at = (at + 1) & mask,
            }
        }
    }

    /// The node holding `value`.
    pub fn get(&self, value: &str) -> Option<V> {
        let at = self.find(value, C::hash(value) as u32)?;
        self.slots
            .get(at)
            .and_then(|s| s.value.as_ref().map(|_| s.node))
    }

    /// Asks the processor to fetch the line `value`'s lookup starts at, without waiting for it:
    /// for a lookup soon after, whose wait it shortens or removes.
    pub fn prefetch(&self, value: &str) {
        let at = C::hash(value) as u32 as usize & self.mask();
        if let Some(slot) = self.slots.get(at) {
            prefetch(slot);
        }
    }

    /// Room for `additional` more values without growing.
    pub fn reserve(&mut self, additional: usize) {
        let want = (self.len + additional)
            .saturating_mul(2)
            .next_power_of_two();
        if want > self.slots.len() {
            self.grow_to(want.max(16));
        }
    }

    fn grow_to(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![Slot::empty(); slots]);
        let mask = self.mask();
        for slot in old.into_iter().filter(|s| s.value.is_some()) {
            let mut at = slot.hash as usize & mask;
            while self.slots.get(at).is_some_and(|s| s.value.is_some()) {
                at = (at + 1) & mask;
            }
            if let Some(free) = self.slots.get_mut(at) {
                *free = slot;
            }
        }
    }

    /// Maps `value` to `n`; returns the node it was mapped to. The table keeps `value` (the
    /// holder's own text) in place of an equal one it held.
    pub fn insert(&mut self, value: Str, n: V) -> Option<V> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.reserve(self.len.max(8));
        }
        let hash = C::hash(&value) as u32;
        let slot = self
            .find(&value, hash)
            .and_then(|at| self.slots.get_mut(at))?;
        let before = slot.value.as_ref().map(|_| slot.node);
        if before.is_none() {
            self.len += 1;
        }
        *slot = Slot {
            value: Some(value),
            hash,
            node: n,
        };
        before
    }

    /// Removes `value`; returns the node it was mapped to. The slots after it that would no
    /// longer be found past the gap it leaves move back into it (no marker is left behind).
    pub fn remove(&mut self, value: &str) -> Option<V> {
        let mut gap = self.find(value, C::hash(value) as u32)?;
        let removed = self.slots.get_mut(gap)?;
        removed.value.as_ref()?;
        let node = removed.node;
        *removed = Slot::empty();
        self.len -= 1;
        let mask = self.mask();
        let mut at = gap;
        loop {
            at = (at + 1) & mask;
            let Some(slot) = self.slots.get(at) else {
                break;
            };
            if slot.value.is_none() {
                break;
            }
            // The slot stays where it is when its home lies after the gap, up to it (cyclically).
            let home = slot.hash as usize & mask;
            let stays = if gap <= at {
                gap < home && home <= at
            } else {
                gap < home || home <= at
            };
            if !stays {
                self.slots.swap(gap, at);
                gap = at;
            }
        }
        Some(node)
    }
}

/// A value that compares without case (UPN, proxy address), lower-cased; not copied when it has
/// no upper case.
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Hashes the case-folded bytes of `s` ([`fold`]) without copying it when it is ASCII, so that a
/// value and its folded copy hash alike: eight bytes at a time, each word lowered at once
/// ([`hash_words`]), since every UPN and proxy address is hashed when it is looked up.
fn hash_folded(s: &str) -> u64 {
    let (hash, ascii) = hash_lowered(s.as_bytes());
    if ascii {
        hash
    } else {
        // Lower-cased whole, it has no ASCII capital left for `ascii_lower` to change, and
        // `ascii_lower` leaves its other bytes (0x80 and above) alone.
        hash_lowered(s.to_lowercase().as_bytes()).0
    }
}

/// The hash of `bytes` with their ASCII capitals lowered, and whether they are all ASCII.
fn hash_lowered(bytes: &[u8]) -> (u64, bool) {
    hash_words(bytes, ascii_lower)
}

/// The eight bytes of `w` with every ASCII capital lowered (the others, bytes of 0x80 and above
/// included, unchanged): a byte is a capital when adding 0x3f sets its top bit (it is `A` or
/// above) and adding 0x25 does not (it is `Z` or below). Bytes are masked to seven bits first so
/// that the additions never carry into the next byte.
fn ascii_lower(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = w & (0x7f * ONES);
    let from_a = low + (0x3f * ONES);
    let past_z = low + (0x25 * ONES);
    let capital = from_a & !past_z & !w & (0x80 * ONES);
    w | (capital >> 2)
}

pub fn eq_folded(a: &str, b: &str) -> bool {
    // The same text: the index holds the object's own value, so a lookup of an object's own
    // value (the invariants, a flow into a synced object) compares without reading it again.
    if std::ptr::eq(a, b) {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        fold(a) == fold(b)
    }
}

/// Values compared without case, as UPNs and proxy addresses are (ID-4). A table holds each
/// value as written, the holder's own text, rather than a lower-cased copy.
#[derive(Debug)]
pub struct NoCase;

impl Compare for NoCase {
    fn hash(value: &str) -> u64 {
        hash_folded(value)
    }
    fn same(a: &str, b: &str) -> bool {
        eq_folded(a, b)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;

    /// Few distinct hashes, so that values collide.
    struct Colliding;
    impl Compare for Colliding {
        fn hash(value: &str) -> u64 {
            // Few distinct hashes: long runs of colliding values, wrapping past the end.
            (value.to_ascii_lowercase().len() as u64 % 5).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                | 0xffff_fff0
        }
        fn same(a: &str, b: &str) -> bool {
            a.eq_ignore_ascii_case(b)
        }
    }

    /// ID-4: inserted, replaced and removed in any order, the table answers as a map of the
    /// lower-cased values does, through long runs of colliding values that wrap around its end.
    #[test]
    fn id_4_value_map_answers_as_a_map_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let mut map: ValueMap<Colliding> = ValueMap::default();
        let mut model: HashMap<String, NodeIx> = HashMap::new();
        for step in 0..20_000 {
            let value = format!(
                "{}{}",
                if rng.random() { "U" } else { "u" },
                rng.random_range(0..400)
            );
            let key = value.to_ascii_lowercase();
            let n = NodeIx::new(step);
            if rng.random_range(0..3) == 0 {
                assert_eq!(map.remove(&value), model.remove(&key), "{value}");
            } else {
                assert_eq!(
                    map.insert(Str::from(value.as_str()), n),
                    model.insert(key, n)
                );
            }
            assert_eq!(map.len(), model.len());
            if step % 97 == 0 {
                for i in 0..400 {
                    let probe = format!("U{i}");
                    assert_eq!(map.get(&probe), model.get(&probe.to_lowercase()).copied());
                }
            }
        }
    }

    #[test]
    fn id_4_unique_values_compare_without_case_and_hash_alike() {
        for (a, b) in [
            ("SMTP:Alice@Contoso.com", "smtp:alice@contoso.com"),
            ("ÉLODIE@contoso.com", "élodie@CONTOSO.COM"),
            // The Kelvin sign lower-cases to an ASCII k.
            ("\u{212A}im@contoso.com", "kim@contoso.com"),
            (
                "a-value-longer-than-one-hashing-block@contoso.com",
                "A-VALUE-LONGER-THAN-ONE-HASHING-BLOCK@CONTOSO.COM",
            ),
        ] {
            assert!(eq_folded(a, b), "{a} = {b}");
            assert_eq!(NoCase::hash(a), NoCase::hash(b), "{a} ~ {b}");
            let mut map = ValueMap::<NoCase>::default();
            map.insert(a.into(), NodeIx::new(7));
            assert_eq!(map.get(b), Some(NodeIx::new(7)));
        }
        assert!(!eq_folded("alice@contoso.com", "alicia@contoso.com"));
        // An immutableId compares with its case.
        let mut anchors = ValueMap::<Exact>::default();
        anchors.insert("AbCd0123==".into(), NodeIx::new(7));
        assert_eq!(anchors.get("AbCd0123=="), Some(NodeIx::new(7)));
        assert_eq!(anchors.get("abcd0123=="), None);
    }

    /// ID-4's case-blind hash reads a value as whole words of eight lowered bytes, the last
    /// padded with zeros, whatever its length: the same as a plain reading of the padded copy.
    #[test]
    fn id_4_hash_reads_every_length_as_padded_words() {
        let text = "SMTP:Élodie.Dupont-0123456789@Contoso.COM-and-more";
        for end in 0..=text.len() {
            let Some(s) = text.get(..end) else { continue };
            let mut padded = s.as_bytes().to_ascii_lowercase();
            padded.resize(s.len().div_ceil(8) * 8, 0);
            let mut want = s.len() as u64;
            for word in padded.chunks_exact(8) {
                want = mix(want ^ u64::from_le_bytes(word.try_into().unwrap()));
            }
            assert_eq!(hash_lowered(s.as_bytes()), (want, s.is_ascii()), "{s:?}");
        }
    }

    /// ID-4's case-blind hash lowers eight bytes at once: every pair of neighbouring byte values
    /// comes out as lowering each byte alone would (a carry between bytes would show here).
    #[test]
    fn id_4_words_lower_as_their_bytes_do() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let word = [a, b, b, a, a, b, b, a];
                let want = word.map(|x| x.to_ascii_lowercase());
                assert_eq!(
                    ascii_lower(u64::from_le_bytes(word)).to_le_bytes(),
                    want,
                    "{a:#x} {b:#x}"
                );
            }
        }
    }
}
