//! Microsoft Entra ID: objects, uniqueness (ID-4), soft delete and the recycle bin (ENTRA-1..3),
//! groups (ENTRA-4), cloud-write rules (ENTRA-5) and group-based licensing (ENTRA-6).

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::store::idmap::IdMap;
use crate::store::propmap::Str;
use crate::store::valuemap::{Exact, NoCase, ValueMap, eq_folded, fold};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::catalogue::{Mastery, PropRule, is_ad_mastered};
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::store::*;
use crate::world::{NewObject, RelationSet, Result, World};

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

/// The unique values of an object's properties, as written: UPN and proxies compare without
/// case (see `NoCase`).
pub fn unique_values(props: &PropMap<EntraProp>) -> SmallVec<[(Unique, &Str); 4]> {
    let mut v = SmallVec::new();
    if let Some(u) = props.str(EntraProp::UserPrincipalName) {
        v.push((Unique::Upn, u));
    }
    if let Some(list) = props.get(EntraProp::ProxyAddresses) {
        for p in list.as_list() {
            v.push((Unique::Proxy, p));
        }
    }
    if let Some(i) = props.str(EntraProp::OnPremisesImmutableId) {
        v.push((Unique::ImmutableId, i));
    }
    v
}

/// A unique value as the index compares it: UPNs and proxies lower-cased.
fn key_text(what: Unique, v: &str) -> String {
    match what {
        Unique::ImmutableId => v.to_string(),
        _ => fold(v).into_owned(),
    }
}

/// Whether two unique values are the same value (UPN and proxies without case).
fn same_value(a: &(Unique, &Str), b: &(Unique, &Str)) -> bool {
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
    fn clashes_of(&self, n: NodeIx, keys: &[(Unique, &Str)]) -> Vec<(Unique, String, NodeIx)> {
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

    fn insert_keys(&mut self, n: NodeIx, keys: &[(Unique, &Str)]) {
        for (w, v) in keys {
            match w {
                Unique::Upn => self.upn.insert((*v).clone(), n),
                Unique::Proxy => self.proxy.insert((*v).clone(), n),
                Unique::ImmutableId => self.anchor.insert((*v).clone(), n),
            };
        }
    }

    fn insert_live(&mut self, n: NodeIx, props: &PropMap<EntraProp>) {
        self.insert_keys(n, &unique_values(props));
    }

    /// Removes the live entries of `n`; returns the values released.
    fn remove_live(
        &mut self,
        n: NodeIx,
        props: &PropMap<EntraProp>,
    ) -> SmallVec<[(Unique, Str); 4]> {
        self.remove_keys(n, unique_values(props))
    }

    /// Removes the entries of these values held by `n`; returns the values released.
    fn remove_keys<'a>(
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

    fn insert_deleted(&mut self, n: NodeIx, o: &EntraObject) {
        if let Some(i) = o.props.str(EntraProp::OnPremisesImmutableId) {
            self.deleted_anchor.entry(i.clone()).or_default().push(n);
        }
    }

    fn remove_deleted(&mut self, n: NodeIx, o: &EntraObject) {
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

/// Which value of a property write clashes (for refusals).
fn describe_clashes(w: &World, clashes: &[(Unique, String, NodeIx)]) -> String {
    clashes
        .iter()
        .map(|(what, v, h)| {
            let by =
                w.g.entra(*h)
                    .map(|o| format!("{} ({})", w.handles.name(o.handle), o.id.short()))
                    .unwrap_or_default();
            format!("{what} '{v}' is held by {by}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl World {
    /// Adds a new live Entra object with a new id (ID-1), drawn by the caller from the world's
    /// generator, and indexes it. The caller has checked uniqueness.
    pub(crate) fn entra_add(
        &mut self,
        h: HandleId,
        (kind, group_type): (Kind, GroupType),
        id: Guid,
        props: PropMap<EntraProp>,
    ) -> NodeIx {
        let o = EntraObject {
            kind,
            group_type,
            handle: h,
            id,
            state: EntraState::Live,
            props,
            errors: thin_vec::ThinVec::new(),
        };
        let n = self.g.add(Node::Entra(o));
        // Inserted with the others the operation adds, once it is done (see `entra_by_id`).
        self.entra_ix.by_id.defer(&id, n);
        if let Some(o) = self.g.entra(n) {
            self.entra_ix.insert_live(n, &o.props);
        }
        self.objects.add_entra(h, n);
        n
    }

    /// The Entra object with an object id (ID-1), live or not.
    ///
    /// New objects' ids are inserted into the index together, once the operation that adds
    /// them is done or before a lookup ([`World::flush_ids`]), front to back ([`IdMap::flush`]):
    /// an initial cycle that creates a million objects no longer waits for memory at a random
    /// place in the table for each of them.
    pub(crate) fn entra_by_id(&mut self, id: &Guid) -> Option<NodeIx> {
        self.flush_ids();
        self.entra_ix
            .by_id
            .get(id, |n| self.g.entra(n).map(|o: &EntraObject| o.id))
    }

    /// Inserts into the index by object id the ids of the objects added since the last flush.
    pub(crate) fn flush_ids(&mut self) {
        let g = &self.g;
        self.entra_ix
            .by_id
            .flush(|n| g.entra(n).map(|o: &EntraObject| o.id));
    }

    /// Writes properties of a live object through the uniqueness index. A write whose value is
    /// held by another live object is not made: the clashes are returned (ID-4).
    pub(crate) fn entra_write(
        &mut self,
        n: NodeIx,
        changes: &[(EntraProp, Option<Value>)],
    ) -> std::result::Result<bool, Vec<(Unique, String, NodeIx)>> {
        let Some(o) = self.g.entra(n) else {
            return Ok(false);
        };
        let live = o.is_live();
        let old = o.props.clone();
        let mut new = old.clone();
        if !new.update(changes.iter().cloned()) {
            return Ok(false);
        }
        let unique_changed = changes.iter().any(|(p, _)| {
            matches!(
                p,
                EntraProp::UserPrincipalName
                    | EntraProp::ProxyAddresses
                    | EntraProp::OnPremisesImmutableId
            )
        });
        if live && unique_changed {
            // A live object holds its own values (INV-1): only the values it gains can clash,
            // and only those it loses leave the index.
            let (old_keys, new_keys) = (unique_values(&old), unique_values(&new));
            let missing_from = |keys: &[(Unique, &Str)], k: &(Unique, &Str)| {
                !keys.iter().any(|x| same_value(x, k))
            };
            let gained: SmallVec<[(Unique, &Str); 4]> = new_keys
                .iter()
                .filter(|k| missing_from(&old_keys, k))
                .copied()
                .collect();
            let clashes = self.entra_ix.clashes_of(n, &gained);
            if !clashes.is_empty() {
                return Err(clashes);
            }
            let lost: SmallVec<[(Unique, &Str); 4]> = old_keys
                .iter()
                .filter(|k| missing_from(&new_keys, k))
                .copied()
                .collect();
            let released = self.entra_ix.remove_keys(n, lost);
            self.entra_ix.insert_keys(n, &gained);
            self.release(released.into_iter());
        }
        drop(old);
        if let Some(o) = self.g.entra_mut(n) {
            o.props = new;
        }
        Ok(true)
    }

    /// Values no longer held: the objects quarantined for them are processed again by the next
    /// cycle (SYNC-9).
    fn release(&mut self, values: impl Iterator<Item = (Unique, Str)>) {
        if self.entra_ix.waiting.is_empty() {
            return;
        }
        for (w, v) in values {
            let key = match w {
                Unique::ImmutableId => v,
                _ => Str::from(fold(&v)),
            };
            if let Some(waiting) = self.entra_ix.waiting.remove(&(w, key)) {
                for ad in waiting {
                    self.sync.touch(ad);
                }
            }
        }
    }

    /// Creates a cloud object (`create` in Entra, or `world.entra`): refused if a unique value
    /// is taken (ID-4).
    pub(crate) fn entra_create(&mut self, h: HandleId, obj: &NewObject, ev: &mut Events) {
        let name = self.name_of(h);
        let kind = self.handles.kind(h).unwrap_or(Kind::User);
        if let Ok(Some(live)) = self.entra_live(h) {
            let id = self
                .g
                .entra(live)
                .map(|o| o.id.to_string())
                .unwrap_or_default();
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Id4,
                    format!("{name} already has a live Entra object ({id}); nothing was created"),
                )
            });
            return;
        }
        let mut props = PropMap::default();
        props.update(obj.entra_props.iter().map(|(p, v)| (*p, Some(v.clone()))));
        let mut defaults = Vec::new();
        if props.get(EntraProp::DisplayName).is_none() {
            defaults.push((EntraProp::DisplayName, Some(Value::from(name.clone()))));
        }
        if kind == Kind::User {
            if props.get(EntraProp::UserPrincipalName).is_none() {
                let upn = format!("{name}@{}", self.names.default_cloud_domain());
                defaults.push((EntraProp::UserPrincipalName, Some(Value::text(upn))));
            }
            if props.get(EntraProp::MailNickname).is_none() {
                defaults.push((EntraProp::MailNickname, Some(Value::from(name.clone()))));
            }
            if props.get(EntraProp::ProxyAddresses).is_none()
                && let Some(mail) = props.text(EntraProp::Mail)
            {
                defaults.push((
                    EntraProp::ProxyAddresses,
                    Some(Value::list([format!("SMTP:{mail}")])),
                ));
            }
            if props.get(EntraProp::AccountEnabled).is_none() {
                defaults.push((EntraProp::AccountEnabled, Some(Value::from(true))));
            }
        }
        props.update(defaults);
        let clashes = self.entra_ix.clashes(NodeIx::end(), &props);
        if !clashes.is_empty() {
            let why = describe_clashes(self, &clashes);
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Id4,
                    format!("Entra ID refused to create {name}: {why}"),
                )
            });
            return;
        }
        let gt = obj.group_type.unwrap_or(GroupType::Security);
        let id = self.ids.guid();
        self.entra_add(h, (kind, gt), id, props);
        ev.push_with(|| {
            Event::new(
                K::Created,
                &name,
                R::Id1,
                format!("cloud {kind} {name} created with object id {id}"),
            )
        });
    }

    /// `delete` in Entra: soft delete (ENTRA-1, ENTRA-4), then a purge when `permanently`
    /// (ENTRA-2). A synced group is always hard-deleted (ENTRA-4).
    pub(crate) fn entra_delete_handle(
        &mut self,
        h: HandleId,
        permanently: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = self.event_name_of(h, ev);
        match self.entra_live(h)? {
            Some(n) => {
                self.entra_delete(n, "deleted by the operator", ev);
                if permanently
                    && self
                        .g
                        .entra(n)
                        .is_some_and(|o| o.state != EntraState::Purged)
                {
                    self.entra_purge(n, "purged from the recycle bin by the operator", ev);
                }
            }
            None if permanently => {
                // Purge what is in the recycle bin for the handle.
                let bin = self.soft_deleted_of(h);
                if bin.is_empty() {
                    ev.push_with(|| {
                        Event::new(
                            K::NotFound,
                            &name,
                            R::Entra2,
                            format!(
                                "{name} has no live or soft-deleted object in Entra ID to delete"
                            ),
                        )
                    });
                }
                for n in bin {
                    self.entra_purge(n, "purged from the recycle bin by the operator", ev);
                }
            }
            None => ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Entra1,
                    format!("{name} has no live object in Entra ID to delete"),
                )
            }),
        }
        Ok(())
    }

    pub(crate) fn soft_deleted_of(&self, h: HandleId) -> Vec<NodeIx> {
        self.objects
            .entra(h)
            .iter()
            .copied()
            .filter(|n| {
                self.g
                    .entra(*n)
                    .is_some_and(|o| matches!(o.state, EntraState::SoftDeleted { .. }))
            })
            .collect()
    }

    /// Deletes a live object: users and soft-deletable groups go to the recycle bin (ENTRA-1),
    /// synced groups (and security groups when `security_groups_soft_delete` is false) are
    /// hard-deleted (ENTRA-4).
    pub(crate) fn entra_delete(&mut self, n: NodeIx, why: &str, ev: &mut Events) {
        let Some(o) = self.g.entra(n) else { return };
        if !o.is_live() {
            return;
        }
        let hard = o.kind == Kind::Group
            && (o.is_synced()
                || (o.group_type == GroupType::Security
                    && !self.settings.security_groups_soft_delete));
        if hard {
            let kind = if o.is_synced() {
                "synced from AD"
            } else {
                "a security group"
            };
            let msg =
                format!("{why}: the group is {kind}, so it is hard-deleted with its relations");
            self.entra_gone(n, K::HardDeleted, R::Entra4, &msg, ev);
            return;
        }
        let o = o.clone();
        let released = self.entra_ix.remove_live(n, &o.props);
        self.entra_ix.insert_deleted(n, &o);
        let now = self.now;
        if let Some(x) = self.g.entra_mut(n) {
            x.state = EntraState::SoftDeleted { since: now };
        }
        self.schedule(n, now, self.settings.entra_retention_days);
        self.release(released.into_iter());
        self.touch_joined(n);
        let name = self.event_name_of(o.handle, ev);
        let rule = if o.kind == Kind::Group {
            R::Entra4
        } else {
            R::Entra1
        };
        ev.push_with(|| {
            Event::new(
                K::SoftDeleted,
                &name,
                rule,
                format!(
                    "{why}: {name} ({}) is in the recycle bin for {} days with its relations",
                    o.id.short(),
                    self.settings.entra_retention_days
                ),
            )
        });
    }

    /// Purges a soft-deleted object (ENTRA-2).
    pub(crate) fn entra_purge(&mut self, n: NodeIx, why: &str, ev: &mut Events) {
        let msg = format!("{why}: gone for good with its relations");
        self.entra_gone(n, K::Purged, R::Entra2, &msg, ev);
    }

    fn entra_gone(&mut self, n: NodeIx, kind: K, rule: R, msg: &str, ev: &mut Events) {
        let Some(o) = self.g.entra(n).cloned() else {
            return;
        };
        if o.state == EntraState::Purged {
            return;
        }
        if o.is_live() {
            let released = self.entra_ix.remove_live(n, &o.props);
            self.release(released.into_iter());
        } else {
            self.entra_ix.remove_deleted(n, &o);
        }
        // Its relations die with it (ENTRA-2); the sync join stays until the next cycle sees
        // the object gone and disconnects it (SYNC-10).
        self.touch_joined(n);
        if let Some(x) = self.g.entra_mut(n) {
            x.state = EntraState::Purged;
        }
        let name = self.event_name_of(o.handle, ev);
        ev.push_with(|| {
            Event::new(
                kind,
                &name,
                rule,
                format!("{name} ({}) {msg}", o.id.short()),
            )
        });
    }

    /// Marks the AD object joined to an Entra object as changed (SYNC-11), and the object as a
    /// changed member of the synced groups it is in, whose membership of it the next cycle must
    /// flow again.
    pub(crate) fn touch_joined(&mut self, n: NodeIx) {
        if let Some(ad) = self.g.joined_ad(n) {
            self.sync.touch(ad);
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

    /// Restores a soft-deleted object from the recycle bin (ENTRA-3): same id, properties and
    /// relations. Refused when a live object holds its UPN, a proxy address or its immutableId.
    pub(crate) fn entra_restore(&mut self, n: NodeIx, rule: R, ev: &mut Events) -> bool {
        let Some(o) = self.g.entra(n).cloned() else {
            return false;
        };
        if !matches!(o.state, EntraState::SoftDeleted { .. }) {
            return false;
        }
        let name = self.event_name_of(o.handle, ev);
        let clashes = self.entra_ix.clashes(n, &o.props);
        if !clashes.is_empty() {
            let why = describe_clashes(self, &clashes);
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Entra3,
                    format!(
                        "{name} ({}) cannot be restored from the recycle bin: {why}",
                        o.id.short()
                    ),
                )
            });
            return false;
        }
        self.entra_ix.remove_deleted(n, &o);
        self.entra_ix.insert_live(n, &o.props);
        if let Some(x) = self.g.entra_mut(n) {
            x.state = EntraState::Live;
        }
        self.touch_joined(n);
        ev.push_with(|| Event::new(
            K::RestoredFromRecycleBin,
            &name,
            rule,
            format!(
                "{name} restored from the recycle bin with the same object id {} and its relations",
                o.id
            ),
        ));
        true
    }

    /// `undelete` in Entra: the newest soft-deleted object of the handle (ENTRA-3).
    pub(crate) fn entra_undelete_handle(&mut self, h: HandleId, ev: &mut Events) {
        let name = self.name_of(h);
        let newest = self.soft_deleted_of(h).into_iter().max_by_key(|n| {
            let since = match self.g.entra(*n).map(|o| o.state) {
                Some(EntraState::SoftDeleted { since }) => since,
                _ => i64::MIN,
            };
            (since, *n)
        });
        match newest {
            Some(n) => {
                self.entra_restore(n, R::Entra3, ev);
            }
            None => ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Entra2,
                    format!("{name} is not in the Entra recycle bin: nothing to restore"),
                )
            }),
        }
    }

    /// `update` in Entra: a cloud write. AD-mastered properties of a synced object are refused
    /// (ENTRA-5); unique values are checked (ID-4).
    pub(crate) fn entra_update(
        &mut self,
        h: HandleId,
        set: &[(EntraProp, Option<Value>)],
        ev: &mut Events,
    ) -> Result<()> {
        let name = self.name_of(h);
        let Some(n) = self.entra_live(h)? else {
            ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Entra5,
                    format!("{name} has no live object in Entra ID to update"),
                )
            });
            return Ok(());
        };
        let synced = self.g.entra(n).is_some_and(EntraObject::is_synced);
        let (refused, allowed): (Vec<_>, Vec<_>) = set
            .iter()
            .cloned()
            .partition(|(p, _)| (synced && is_ad_mastered(*p)) || p.is_read_only());
        if !refused.is_empty() {
            let names: Vec<&str> = refused.iter().map(|(p, _)| p.name()).collect();
            ev.push_with(|| Event::new(
                K::WriteRefused,
                &name,
                R::Entra5,
                format!(
                    "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration: {}; the request is refused as a whole, nothing was written",
                    names.join(", ")
                ),
            ));
            // Graph refuses the whole PATCH: none of its properties is written.
            return Ok(());
        }
        if allowed.is_empty() {
            return Ok(());
        }
        match self.entra_write(n, &allowed) {
            Ok(changed) => {
                let names: Vec<&str> = allowed.iter().map(|(p, _)| p.name()).collect();
                if changed && synced {
                    // A cloud value the sync may write again (mobilePhone, usageLocation).
                    self.touch_joined(n);
                }
                ev.push_with(|| {
                    Event::new(
                        K::Updated,
                        &name,
                        R::Entra5,
                        format!("cloud write accepted: {}", names.join(", ")),
                    )
                });
            }
            Err(clashes) => {
                let why = describe_clashes(self, &clashes);
                ev.push_with(|| {
                    Event::new(
                        K::Refused,
                        &name,
                        R::Id4,
                        format!("Entra ID refused the write: {why}"),
                    )
                });
            }
        }
        Ok(())
    }

    /// The live Entra object of a handle, as a target of a relation.
    fn target(&self, h: HandleId, kind: Kind) -> Result<Option<NodeIx>> {
        self.entra_live(self.handle(h, kind)?)
    }

    /// `assign`/`unassign` in Entra (ID-3): memberships, ownerships, roles, licences, apps and
    /// manager. Membership of a synced group and the manager of a synced user are refused
    /// (ENTRA-5); licences inherited through a membership follow it (ENTRA-6).
    pub(crate) fn entra_relations(
        &mut self,
        h: HandleId,
        rels: &RelationSet,
        add: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = self.event_name_of(h, ev);
        let Some(n) = self.entra_live(h)? else {
            ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Id3,
                    format!("{name} has no live object in Entra ID"),
                )
            });
            return Ok(());
        };
        let verb = if add { "added" } else { "removed" };
        let kind = if add {
            K::RelationAdded
        } else {
            K::RelationRemoved
        };
        for &gh in &rels.groups {
            let Some(gn) = self.target(gh, Kind::Group)? else {
                ev.push(not_live(self.handles.name(gh), &name));
                continue;
            };
            if self.g.entra(gn).is_some_and(EntraObject::is_synced) {
                ev.push_with(|| {
                    Event::new(
                        K::WriteRefused,
                        &name,
                        R::Entra5,
                        format!(
                            "{} is synced from AD: its members cannot be changed in the cloud",
                            self.handles.name(gh)
                        ),
                    )
                });
                continue;
            }
            if self.set_rel(n, gn, Rel::Member, add) {
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} as member of {}", self.handles.name(gh)),
                    )
                });
                self.licence_events(n, gn, add, ev);
            }
        }
        for &gh in &rels.owns {
            let Some(gn) = self.target(gh, Kind::Group)? else {
                ev.push(not_live(self.handles.name(gh), &name));
                continue;
            };
            if self.set_rel(n, gn, Rel::Owner, add) {
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} as owner of {}", self.handles.name(gh)),
                    )
                });
            }
        }
        for (which, list, what) in [(0u8, &rels.roles, "role"), (2, &rels.apps, "app")] {
            let rel = if which == 0 { Rel::Role } else { Rel::App };
            for item in list {
                let t = self.catalogue_node(which, item);
                if self.set_rel(n, t, rel, add) {
                    ev.push_with(|| {
                        Event::new(
                            kind,
                            &name,
                            R::Id3,
                            format!("{what} {item} {verb} for {name}"),
                        )
                    });
                }
            }
        }
        for sku in &rels.licenses {
            let t = self.catalogue_node(1, sku);
            if self.set_rel(n, t, Rel::Licence, add) {
                let is_group = self.g.entra(n).is_some_and(|o| o.kind == Kind::Group);
                if is_group {
                    ev.push_with(|| {
                        Event::new(
                            if add {
                                K::LicenceInherited
                            } else {
                                K::LicenceRemoved
                            },
                            &name,
                            R::Entra6,
                            format!(
                                "licence {sku} {verb} for group {name}: its direct members {} it",
                                if add { "inherit" } else { "lose" }
                            ),
                        )
                    });
                } else {
                    ev.push_with(|| {
                        Event::new(
                            kind,
                            &name,
                            R::Id3,
                            format!("direct licence {sku} {verb} for {name}"),
                        )
                    });
                }
            }
        }
        if let Some(mh) = rels.manager {
            if self.g.entra(n).is_some_and(EntraObject::is_synced) {
                ev.push_with(|| Event::new(
                    K::WriteRefused,
                    &name,
                    R::Entra5,
                    format!(
                        "the manager of {name} is mastered in AD: it cannot be changed in the cloud"
                    ),
                ));
            } else if add {
                let Some(m) = self.target(mh, Kind::User)? else {
                    ev.push(not_live(self.handles.name(mh), &name));
                    return Ok(());
                };
                let old: Vec<NodeIx> = self.g.out(n, Rel::Manager).collect();
                for o in old {
                    self.g.unlink(n, o, Rel::Manager);
                }
                self.g.link(n, m, Rel::Manager);
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("manager of {name} set to {}", self.handles.name(mh)),
                    )
                });
            } else {
                let old: Vec<NodeIx> = self.g.out(n, Rel::Manager).collect();
                for o in old {
                    self.g.unlink(n, o, Rel::Manager);
                    ev.push_with(|| {
                        Event::new(kind, &name, R::Id3, format!("manager of {name} removed"))
                    });
                }
            }
        }
        Ok(())
    }

    fn set_rel(&mut self, from: NodeIx, to: NodeIx, rel: Rel, add: bool) -> bool {
        if add {
            self.g.link(from, to, rel)
        } else {
            self.g.unlink(from, to, rel)
        }
    }

    /// ENTRA-6: the licences a membership change brings or takes.
    pub(crate) fn licence_events(&self, member: NodeIx, group: NodeIx, add: bool, ev: &mut Events) {
        // Events only: nothing to read when they are off.
        if !ev.detail() {
            return;
        }
        let Some(m) = self.g.entra(member) else {
            return;
        };
        if m.kind != Kind::User {
            return;
        }
        let name = self.name_of(m.handle);
        let gname = self
            .g
            .entra(group)
            .map(|g| self.name_of(g.handle))
            .unwrap_or_default();
        for sku in self.g.out(group, Rel::Licence) {
            let sku = self.g.catalogue_name(sku).unwrap_or_default();
            ev.push_with(|| {
                Event::new(
                    if add {
                        K::LicenceInherited
                    } else {
                        K::LicenceRemoved
                    },
                    &name,
                    R::Entra6,
                    if add {
                        format!("{name} inherits licence {sku} from {gname}")
                    } else {
                        format!("{name} no longer inherits licence {sku} from {gname}")
                    },
                )
            });
        }
    }

    /// The licences a live user holds: direct ones and those inherited from the groups it is a
    /// direct member of (ENTRA-6; group-based licensing does not follow nesting).
    pub fn licences_of(&self, n: NodeIx) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self
            .g
            .live_out(n, Rel::Licence)
            .filter_map(|s| self.g.catalogue_name(s).map(str::to_string))
            .collect();
        for grp in self.g.live_out(n, Rel::Member) {
            out.extend(
                self.g
                    .out(grp, Rel::Licence)
                    .filter_map(|s| self.g.catalogue_name(s).map(str::to_string)),
            );
        }
        out
    }

    /// Sets `onPremisesSyncEnabled` and the like: service-written properties, never refused.
    pub(crate) fn entra_set_service(&mut self, n: NodeIx, p: EntraProp, v: Option<Value>) {
        if let Some(o) = self.g.entra_mut(n) {
            o.props.set(p, v);
        }
    }

    /// Whether a property of a synced user (its row of section 2) may be written by the sync with
    /// this value (`usageLocation` only when AD has a value, `mobilePhone` likewise).
    pub(crate) fn flows(rule: &PropRule, ad_value: &Option<Value>) -> bool {
        match rule.mastery {
            Mastery::Ad => true,
            Mastery::AdWhenSet | Mastery::AdCloudEditable => ad_value.is_some(),
            _ => false,
        }
    }
}

fn not_live(target: &str, subject: &str) -> Event {
    Event::new(
        K::NotFound,
        subject,
        R::Id3,
        format!(
            "{target} has no live object in Entra ID: the relation of {subject} was not changed"
        ),
    )
}
