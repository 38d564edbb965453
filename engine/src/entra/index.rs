//! The uniqueness index of live Entra objects (ID-4), and the immutableIds of the recycle bin
//! the sync hard-matches against (SYNC-3).

use std::borrow::Cow;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::store::idmap::IdMap;
use crate::store::valuemap::{Exact, NoCase, ValueMap, eq_folded, fold};
use crate::store::*;

/// The kinds of values that must be unique among live Entra objects (ID-4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Unique {
    Upn,
    Proxy,
    ImmutableId,
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unique::Upn => "userPrincipalName",
            Unique::Proxy => "proxy address",
            Unique::ImmutableId => "onPremisesImmutableId",
        })
    }
}

/// The kind of unique value a property holds, if any (ID-4).
pub fn unique_of(p: EntraProp) -> Option<Unique> {
    match p {
        EntraProp::UserPrincipalName => Some(Unique::Upn),
        EntraProp::ProxyAddresses => Some(Unique::Proxy),
        EntraProp::OnPremisesImmutableId => Some(Unique::ImmutableId),
        _ => None,
    }
}

/// The unique values of a property's value, as written: a proxy list gives each address.
pub fn unique_in(what: Unique, v: &Value) -> impl Iterator<Item = &Str> {
    let (text, list) = match what {
        Unique::Proxy => (None, v.as_list()),
        _ => (v.as_str(), &[][..]),
    };
    text.into_iter().chain(list)
}

/// The unique values of an object's properties, as written: UPN and proxies compare without
/// case (see `NoCase`).
pub fn unique_values(props: &PropMap<EntraProp>) -> SmallVec<[(Unique, &Str); 4]> {
    let mut v = SmallVec::new();
    for p in [
        EntraProp::UserPrincipalName,
        EntraProp::ProxyAddresses,
        EntraProp::OnPremisesImmutableId,
    ] {
        if let (Some(what), Some(value)) = (unique_of(p), props.get(p)) {
            v.extend(unique_in(what, value).map(|s| (what, s)));
        }
    }
    v
}

/// A unique value as the index compares it: UPNs and proxies lower-cased.
pub fn key_text(what: Unique, v: &str) -> String {
    match what {
        Unique::ImmutableId => v.to_string(),
        _ => fold(v).into_owned(),
    }
}

/// Whether two unique values are the same value (UPN and proxies without case).
pub(super) fn same_value(a: &(Unique, &Str), b: &(Unique, &Str)) -> bool {
    a.0 == b.0
        && match a.0 {
            Unique::ImmutableId => a.1 == b.1,
            _ => eq_folded(a.1, b.1),
        }
}

/// Proxy addresses clash on the address whatever the prefix's case (`SMTP:` primary, `smtp:`).
pub fn proxy_key(p: &str) -> Cow<'_, str> {
    fold(p)
}

/// The uniqueness index of live objects, and the immutableIds of soft-deleted users for hard
/// matching (SYNC-3). Hash maps: lookups only, never iterated into output.
#[derive(Clone, Debug, Default)]
pub struct EntraIndex {
    /// Every Entra object ever created, by object id.
    pub(crate) by_id: IdMap,
    /// Live holders of each kind of unique value; UPNs and proxies without case.
    upn: ValueMap<NoCase>,
    proxy: ValueMap<NoCase>,
    /// ImmutableIds compare as written.
    anchor: ValueMap<Exact>,
    deleted_anchor: FxHashMap<Str, Vec<NodeIx>>,
    /// Objects whose value was quarantined (SYNC-9), by the value they wait for (case-folded):
    /// the AD object to process again once it is free.
    pub(crate) waiting: FxHashMap<(Unique, Str), BTreeSet<NodeIx>>,
}

impl EntraIndex {
    pub(crate) fn reserve(&mut self, objects: usize) {
        self.upn.reserve(objects);
        self.proxy.reserve(objects);
        self.anchor.reserve(objects);
    }

    /// The live holder of a value (UPNs and proxies without case).
    pub fn holder(&self, what: Unique, value: &str) -> Option<NodeIx> {
        match what {
            Unique::Upn => self.upn.get(value),
            Unique::Proxy => self.proxy.get(value),
            Unique::ImmutableId => self.anchor.get(value),
        }
    }

    /// Has the processor fetch where a lookup of `value` starts, without waiting for it: for a
    /// lookup a little later (see [`ValueMap::prefetch`]).
    pub(crate) fn prefetch(&self, what: Unique, value: &str) {
        match what {
            Unique::Upn => self.upn.prefetch(value),
            Unique::Proxy => self.proxy.prefetch(value),
            Unique::ImmutableId => self.anchor.prefetch(value),
        }
    }

    pub fn deleted_with_anchor(&self, anchor: &str) -> &[NodeIx] {
        self.deleted_anchor.get(anchor).map_or(&[], |v| v)
    }

    /// The values of `keys` held by another live object than `n`.
    pub(super) fn clashes_of(
        &self,
        n: NodeIx,
        keys: &[(Unique, &Str)],
    ) -> Vec<(Unique, String, NodeIx)> {
        keys.iter()
            .filter_map(|(w, v)| match self.holder(*w, v) {
                Some(h) if h != n => Some((*w, key_text(*w, v), h)),
                _ => None,
            })
            .collect()
    }

    /// The values of an object with these properties held by another live object than `n`.
    pub fn clashes(&self, n: NodeIx, props: &PropMap<EntraProp>) -> Vec<(Unique, String, NodeIx)> {
        self.clashes_of(n, &unique_values(props))
    }

    pub(super) fn insert_keys(&mut self, n: NodeIx, keys: &[(Unique, &Str)]) {
        for (w, v) in keys {
            match w {
                Unique::Upn => self.upn.insert((*v).clone(), n),
                Unique::Proxy => self.proxy.insert((*v).clone(), n),
                Unique::ImmutableId => self.anchor.insert((*v).clone(), n),
            };
        }
    }

    pub(super) fn insert_live(&mut self, n: NodeIx, props: &PropMap<EntraProp>) {
        self.insert_keys(n, &unique_values(props));
    }

    /// Removes the live entries of `n`; returns the values released.
    pub(super) fn remove_live(
        &mut self,
        n: NodeIx,
        props: &PropMap<EntraProp>,
    ) -> SmallVec<[(Unique, Str); 4]> {
        self.remove_keys(n, unique_values(props))
    }

    /// Removes the entries of these values held by `n`; returns the values released.
    pub(super) fn remove_keys<'a>(
        &mut self,
        n: NodeIx,
        keys: impl IntoIterator<Item = (Unique, &'a Str)>,
    ) -> SmallVec<[(Unique, Str); 4]> {
        let mut out = SmallVec::new();
        for (w, v) in keys {
            if self.holder(w, v) != Some(n) {
                continue;
            }
            match w {
                Unique::Upn => self.upn.remove(v),
                Unique::Proxy => self.proxy.remove(v),
                Unique::ImmutableId => self.anchor.remove(v),
            };
            out.push((w, v.clone()));
        }
        out
    }

    pub(super) fn insert_deleted(&mut self, n: NodeIx, o: &EntraObject) {
        if let Some(i) = o.props.str(EntraProp::OnPremisesImmutableId) {
            self.deleted_anchor.entry(i.clone()).or_default().push(n);
        }
    }

    pub(super) fn remove_deleted(&mut self, n: NodeIx, o: &EntraObject) {
        if let Some(i) = o.props.str(EntraProp::OnPremisesImmutableId)
            && let Some(v) = self.deleted_anchor.get_mut(i)
        {
            v.retain(|x| *x != n);
            if v.is_empty() {
                self.deleted_anchor.remove(i);
            }
        }
    }
}
