//! Microsoft Entra ID: objects, uniqueness (ID-4), soft delete and the recycle bin (ENTRA-1..3),
//! groups (ENTRA-4), cloud-write rules (ENTRA-5); relations and group-based licensing (ID-3,
//! ENTRA-6) in `relations`, the uniqueness index in `index`.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::catalogue::{Mastery, PropRule, is_ad_mastered};
use crate::clock::Clock;
use crate::error::{EngineError, Result};
use crate::op::{NewObject, RelationSet, handle};
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::settings::{Names, Settings};
use crate::store::valuemap::fold;
use crate::store::*;

pub(crate) mod index;
mod relations;

use index::same_value;
pub use index::{EntraIndex, Unique, key_text, proxy_key, unique_in, unique_of, unique_values};
pub use relations::{licence_events, licences_of};

/// Microsoft Entra ID's own state; its objects and relations are in the [`Store`]. The
/// uniqueness index of live objects (ID-4), the anchors of the recycle bin for hard matching
/// (SYNC-3), and the catalogue of roles, licence SKUs and apps.
#[derive(Clone, Debug, Default)]
pub struct Entra {
    pub(crate) index: EntraIndex,
    /// Roles, SKUs and apps (by kind: 0, 1, 2), by name: looked up by `&str` on every relation
    /// written, so without allocating.
    catalogue: [FxHashMap<Box<str>, NodeIx>; 3],
}

/// The live Entra object carrying a handle: `None` when there is none; an error naming the
/// object ids when there are several.
pub fn live(st: &Store, h: HandleId) -> Result<Option<NodeIx>> {
    let mut live = st
        .objects
        .entra(h)
        .iter()
        .copied()
        .filter(|n| st.g.is_live(*n));
    let first = live.next();
    let Some(second) = live.next() else {
        return Ok(first);
    };
    let ids: Vec<String> = first
        .into_iter()
        .chain([second])
        .chain(live)
        .filter_map(|n| st.g.entra(n).map(|o| o.id.to_string()))
        .collect();
    Err(EngineError::Ambiguous {
        handle: st.name_of(h).to_string(),
        ids: ids.join(", "),
    })
}

/// Which value of a property write clashes (for refusals).
fn describe_clashes(st: &Store, clashes: &[(Unique, String, NodeIx)]) -> String {
    clashes
        .iter()
        .map(|(what, v, h)| {
            let by =
                st.g.entra(*h)
                    .map(|o| format!("{} ({})", st.handles.name(o.handle), o.id.short()))
                    .unwrap_or_default();
            format!("{what} '{v}' is held by {by}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Entra {
    /// Room for `objects` more objects in the index by object id and the uniqueness index.
    pub(crate) fn reserve(&mut self, st: &Store, objects: usize) {
        let g = &st.g;
        self.index
            .by_id
            .reserve(objects, |x| g.entra(x).map(|o| o.id));
        self.index.reserve(objects);
    }

    /// A catalogue node (role = 0, SKU = 1, app = 2), created on first use.
    pub(crate) fn catalogue_node(&mut self, st: &mut Store, which: u8, name: &str) -> NodeIx {
        let which = usize::from(which.min(2));
        if let Some(n) = self.catalogue.get(which).and_then(|m| m.get(name)) {
            return *n;
        }
        let node = match which {
            0 => Node::Role(name.into()),
            1 => Node::Sku(name.into()),
            _ => Node::App(name.into()),
        };
        let n = st.g.add(node);
        if let Some(m) = self.catalogue.get_mut(which) {
            m.insert(name.into(), n);
        }
        n
    }

    /// Adds a new live Entra object with a new id (ID-1), drawn by the caller from the world's
    /// generator, and indexes it. The caller has checked uniqueness.
    pub(crate) fn add(
        &mut self,
        st: &mut Store,
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
            mobile_phone_overridden: false,
        };
        let n = st.g.add(Node::Entra(o));
        // Inserted with the others the operation adds, once it is done (see `entra_by_id`).
        self.index.by_id.defer(&id, n);
        if let Some(o) = st.g.entra(n) {
            self.index.insert_live(n, &o.props);
        }
        st.objects.add_entra(h, n);
        n
    }

    /// The Entra object with an object id (ID-1), live or not.
    ///
    /// New objects' ids are inserted into the index together, once the operation that adds
    /// them is done or before a lookup ([`World::flush_ids`]), front to back ([`IdMap::flush`]):
    /// an initial cycle that creates a million objects no longer waits for memory at a random
    /// place in the table for each of them.
    pub(crate) fn by_id(&mut self, st: &Store, id: &Guid) -> Option<NodeIx> {
        self.flush_ids(st);
        self.index
            .by_id
            .get(id, |n| st.g.entra(n).map(|o: &EntraObject| o.id))
    }

    /// Inserts into the index by object id the ids of the objects added since the last flush.
    pub(crate) fn flush_ids(&mut self, st: &Store) {
        let g = &st.g;
        self.index
            .by_id
            .flush(|n| g.entra(n).map(|o: &EntraObject| o.id));
    }

    /// Writes properties of a live object through the uniqueness index. A write whose value is
    /// held by another live object is not made: the clashes are returned (ID-4).
    pub(crate) fn write(
        &mut self,
        st: &mut Store,
        n: NodeIx,
        changes: &[(EntraProp, Option<Value>)],
    ) -> std::result::Result<bool, Vec<(Unique, String, NodeIx)>> {
        let Some(o) = st.g.entra(n) else {
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
            let clashes = self.index.clashes_of(n, &gained);
            if !clashes.is_empty() {
                return Err(clashes);
            }
            let lost: SmallVec<[(Unique, &Str); 4]> = old_keys
                .iter()
                .filter(|k| missing_from(&new_keys, k))
                .copied()
                .collect();
            let released = self.index.remove_keys(n, lost);
            self.index.insert_keys(n, &gained);
            self.release(st, released.into_iter());
        }
        drop(old);
        if let Some(o) = st.g.entra_mut(n) {
            o.props = new;
        }
        Ok(true)
    }

    /// Values no longer held: the objects quarantined for them are processed again by the next
    /// cycle (SYNC-9).
    fn release(&mut self, st: &mut Store, values: impl Iterator<Item = (Unique, Str)>) {
        if self.index.waiting.is_empty() {
            return;
        }
        for (w, v) in values {
            let key = match w {
                Unique::ImmutableId => v,
                _ => Str::from(fold(&v)),
            };
            if let Some(waiting) = self.index.waiting.remove(&(w, key)) {
                for ad in waiting {
                    st.touch(ad);
                }
            }
        }
    }

    /// Creates a cloud object (`create` in Entra, or `world.entra`): refused if a unique value
    /// is taken (ID-4).
    pub(crate) fn create(
        &mut self,
        st: &mut Store,
        names: &Names,
        h: HandleId,
        obj: &NewObject,
        ev: &mut Events,
    ) {
        let name = st.name_of(h);
        let kind = st.handles.kind(h).unwrap_or(Kind::User);
        if let Ok(Some(live)) = live(st, h) {
            let id =
                st.g.entra(live)
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
                let upn = format!("{name}@{}", names.default_cloud_domain());
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
        let clashes = self.index.clashes(NodeIx::end(), &props);
        if !clashes.is_empty() {
            let why = describe_clashes(st, &clashes);
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
        let id = st.ids.guid();
        self.add(st, h, (kind, gt), id, props);
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn delete_handle(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        h: HandleId,
        permanently: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = st.name_if(h, ev.detail());
        match live(st, h)? {
            Some(n) => {
                self.delete(st, clock, settings, n, "deleted by the operator", ev);
                if permanently && st.g.entra(n).is_some_and(|o| o.state != EntraState::Purged) {
                    self.purge(st, n, "purged from the recycle bin by the operator", ev);
                }
            }
            None if permanently => {
                // Purge what is in the recycle bin for the handle.
                let bin = soft_deleted_of(st, h);
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
                    self.purge(st, n, "purged from the recycle bin by the operator", ev);
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

    /// Deletes a live object: users and soft-deletable groups go to the recycle bin (ENTRA-1),
    /// synced groups (and security groups when `security_groups_soft_delete` is false) are
    /// hard-deleted (ENTRA-4).
    pub(crate) fn delete(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        n: NodeIx,
        why: &str,
        ev: &mut Events,
    ) {
        let Some(o) = st.g.entra(n) else { return };
        if !o.is_live() {
            return;
        }
        let hard = o.kind == Kind::Group
            && (o.is_synced()
                || (o.group_type == GroupType::Security && !settings.security_groups_soft_delete));
        if hard {
            let kind = if o.is_synced() {
                "synced from AD"
            } else {
                "a security group"
            };
            let msg =
                format!("{why}: the group is {kind}, so it is hard-deleted with its relations");
            self.gone(st, n, K::HardDeleted, R::Entra4, &msg, ev);
            return;
        }
        let o = o.clone();
        let released = self.index.remove_live(n, &o.props);
        self.index.insert_deleted(n, &o);
        let now = clock.now();
        if let Some(x) = st.g.entra_mut(n) {
            x.state = EntraState::SoftDeleted { since: now };
        }
        clock.schedule(n, now, settings.entra_retention_days);
        self.release(st, released.into_iter());
        st.touch_joined(n);
        let name = st.name_if(o.handle, ev.detail());
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
                    settings.entra_retention_days
                ),
            )
        });
    }

    /// Puts a captured object in the recycle bin as it was found, deleted at `since`: its
    /// retention runs from then (ENTRA-1, ENTRA-2). No event: nothing happened in the run.
    pub(crate) fn adopt_deleted(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        n: NodeIx,
        since: Time,
    ) {
        let Some(o) = st.g.entra(n).filter(|o| o.is_live()).cloned() else {
            return;
        };
        self.index.remove_live(n, &o.props);
        self.index.insert_deleted(n, &o);
        if let Some(x) = st.g.entra_mut(n) {
            x.state = EntraState::SoftDeleted { since };
        }
        clock.schedule(n, since, settings.entra_retention_days);
    }

    /// Places a copy of an object as it is, in whatever state, with its id: indexed as a
    /// live object, a recycle-bin object (its retention running from its deletion) or not at
    /// all when purged. No event: nothing happened in the run.
    pub(crate) fn place(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        o: EntraObject,
    ) -> NodeIx {
        let (h, id, state) = (o.handle, o.id, o.state);
        let n = st.g.add(Node::Entra(o));
        self.index.by_id.defer(&id, n);
        if let Some(o) = st.g.entra(n) {
            match state {
                EntraState::Live => self.index.insert_live(n, &o.props),
                EntraState::SoftDeleted { since } => {
                    self.index.insert_deleted(n, o);
                    clock.schedule(n, since, settings.entra_retention_days);
                }
                EntraState::Purged => {}
            }
        }
        st.objects.add_entra(h, n);
        n
    }

    /// Purges a soft-deleted object (ENTRA-2).
    pub(crate) fn purge(&mut self, st: &mut Store, n: NodeIx, why: &str, ev: &mut Events) {
        let msg = format!("{why}: gone for good with its relations");
        self.gone(st, n, K::Purged, R::Entra2, &msg, ev);
    }

    fn gone(&mut self, st: &mut Store, n: NodeIx, kind: K, rule: R, msg: &str, ev: &mut Events) {
        let Some(o) = st.g.entra(n).cloned() else {
            return;
        };
        if o.state == EntraState::Purged {
            return;
        }
        if o.is_live() {
            let released = self.index.remove_live(n, &o.props);
            self.release(st, released.into_iter());
        } else {
            self.index.remove_deleted(n, &o);
        }
        // Its relations die with it (ENTRA-2); the sync join stays until the next cycle sees
        // the object gone and disconnects it (SYNC-10).
        st.touch_joined(n);
        if let Some(x) = st.g.entra_mut(n) {
            x.state = EntraState::Purged;
        }
        let name = st.name_if(o.handle, ev.detail());
        ev.push_with(|| {
            Event::new(
                kind,
                &name,
                rule,
                format!("{name} ({}) {msg}", o.id.short()),
            )
        });
    }

    /// Restores a soft-deleted object from the recycle bin (ENTRA-3): same id, properties and
    /// relations. Refused when a live object holds its UPN, a proxy address or its immutableId.
    pub(crate) fn restore(&mut self, st: &mut Store, n: NodeIx, rule: R, ev: &mut Events) -> bool {
        let Some(o) = st.g.entra(n).cloned() else {
            return false;
        };
        if !matches!(o.state, EntraState::SoftDeleted { .. }) {
            return false;
        }
        let name = st.name_if(o.handle, ev.detail());
        let clashes = self.index.clashes(n, &o.props);
        if !clashes.is_empty() {
            let why = describe_clashes(st, &clashes);
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
        self.index.remove_deleted(n, &o);
        self.index.insert_live(n, &o.props);
        if let Some(x) = st.g.entra_mut(n) {
            x.state = EntraState::Live;
        }
        st.touch_joined(n);
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
    pub(crate) fn undelete_handle(&mut self, st: &mut Store, h: HandleId, ev: &mut Events) {
        let name = st.name_of(h);
        let newest = soft_deleted_of(st, h).into_iter().max_by_key(|n| {
            let since = match st.g.entra(*n).map(|o| o.state) {
                Some(EntraState::SoftDeleted { since }) => since,
                _ => i64::MIN,
            };
            (since, *n)
        });
        match newest {
            Some(n) => {
                self.restore(st, n, R::Entra3, ev);
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
    pub(crate) fn update(
        &mut self,
        st: &mut Store,
        h: HandleId,
        set: &[(EntraProp, Option<Value>)],
        ev: &mut Events,
    ) -> Result<()> {
        let name = st.name_of(h);
        let Some(n) = live(st, h)? else {
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
        let synced = st.g.entra(n).is_some_and(EntraObject::is_synced);
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
        match self.write(st, n, &allowed) {
            Ok(changed) => {
                let names: Vec<&str> = allowed.iter().map(|(p, _)| p.name()).collect();
                if changed && synced {
                    // A cloud value the sync may write again (mobilePhone, usageLocation).
                    st.touch_joined(n);
                }
                ev.push_with(|| {
                    Event::new(
                        K::Updated,
                        &name,
                        R::Entra5,
                        format!("cloud write accepted: {}", names.join(", ")),
                    )
                });
                // ENTRA-7: a cloud write of mobilePhone on a synced user is a DirSyncOverride.
                if synced && allowed.iter().any(|(p, _)| *p == EntraProp::MobilePhone) {
                    mark_mobile_phone_overridden(st, n, &name, ev);
                }
            }
            Err(clashes) => {
                let why = describe_clashes(st, &clashes);
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
}

/// ENTRA-7: once a synced user's mobilePhone is written in the cloud, Entra ID keeps the cloud
/// value: the mark is recorded on the object, and the sync does not write AD's `mobile` over it
/// unless `bypassDirSyncOverridesEnabled` is on. Source:
/// <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides>
fn mark_mobile_phone_overridden(st: &mut Store, n: NodeIx, name: &str, ev: &mut Events) {
    let Some(o) = st.g.entra_mut(n) else { return };
    if o.mobile_phone_overridden {
        return;
    }
    o.mobile_phone_overridden = true;
    ev.push_with(|| {
        Event::new(
            K::OverrideSet,
            name,
            R::Entra7,
            format!(
                "mobilePhone of {name} was changed in the cloud (DirSyncOverrides): Entra ID keeps the cloud value, and the sync no longer writes AD's mobile over it unless bypassDirSyncOverridesEnabled is on"
            ),
        )
    });
}

pub(crate) fn soft_deleted_of(st: &Store, h: HandleId) -> Vec<NodeIx> {
    st.objects
        .entra(h)
        .iter()
        .copied()
        .filter(|n| {
            st.g.entra(*n)
                .is_some_and(|o| matches!(o.state, EntraState::SoftDeleted { .. }))
        })
        .collect()
}

/// Sets `onPremisesSyncEnabled` and the like: service-written properties, never refused.
pub(crate) fn set_service(st: &mut Store, n: NodeIx, p: EntraProp, v: Option<Value>) {
    if let Some(o) = st.g.entra_mut(n) {
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
