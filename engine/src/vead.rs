//! Veeam Explorer for Microsoft Active Directory: the AD side of a backup (VEAD-1) and the
//! restore of AD users from it (AD-5).
//! Source: <https://helpcenter.veeam.com/docs/backup/explorers/vead_recommendations.html>

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ad::Ad;
use crate::error::{EngineError, Result};
use crate::op::handle;
use crate::report::{Event, EventKind as K, Events, Watch};
use crate::rules::RuleId as R;
use crate::settings::Settings;
use crate::store::*;

/// An AD object in a backup: identifiers, attributes and memberships (VEAD-1).
#[derive(Clone, Debug)]
pub struct AdBackedUp {
    pub handle: HandleId,
    pub kind: Kind,
    pub guid: Guid,
    pub sid: Sid,
    pub ou: Str,
    /// Held for the object's objectGUID, `guid`.
    pub attrs: AdAttrs,
    /// The groups it is a member of: a range of the backup's [`AdBackup::groups`], read with
    /// [`AdBackup::groups_of`].
    pub groups: std::ops::Range<u32>,
    /// Its manager, by position in the backup's objects; read with [`AdBackup::manager_of`].
    manager: Option<u32>,
}

#[derive(Clone, Debug, Default)]
pub struct AdBackup {
    pub objects: Vec<AdBackedUp>,
    /// Positions in `objects` by handle.
    pub by_handle: crate::store::idmap::PerHandle<usize>,
    /// The memberships of every object, object after object, each the group's position in
    /// `objects`: one list for the backup rather than one per object, 4 bytes a membership
    /// rather than the 16 of an objectGUID (a member's groups and manager are live, so backed
    /// up too).
    pub groups: Vec<u32>,
}

impl AdBackup {
    /// The backed-up object of a handle (AD holds one live object a handle, AD-1).
    pub fn get(&self, h: HandleId) -> Option<&AdBackedUp> {
        let at = self.by_handle.get(&h)?.first()?;
        self.objects.get(*at)
    }

    /// The objectGUIDs of the groups a backed-up object was a member of.
    pub fn groups_of<'a>(&'a self, o: &AdBackedUp) -> impl Iterator<Item = Guid> + 'a {
        self.groups
            .get(o.groups.start as usize..o.groups.end as usize)
            .unwrap_or_default()
            .iter()
            .filter_map(|at| self.objects.get(*at as usize).map(|g| g.guid))
    }

    /// The objectGUID of a backed-up object's manager.
    pub fn manager_of(&self, o: &AdBackedUp) -> Option<Guid> {
        self.objects.get(o.manager? as usize).map(|m| m.guid)
    }
}

/// Veeam Explorer for Active Directory: its backups, by label.
#[derive(Clone, Debug, Default)]
pub struct Vead {
    pub points: BTreeMap<String, Arc<AdBackup>>,
}

impl Vead {
    /// VEAD-1: a backup of every live AD user and group as they are now.
    pub(crate) fn backup_now(st: &Store, watch: &Watch) -> AdBackup {
        let mut b = AdBackup::default();
        // About one live AD object a handle: reserved, not grown by doubling a million times.
        b.objects.reserve(st.handles.len());
        b.by_handle.reserve(st.handles.len());
        let bound = st.g.node_bound();
        let live = || {
            st.g.nodes()
                .filter(|n| st.g.ad(*n).is_some_and(AdObject::is_live))
        };
        let (position, _) = crate::store::graph::positions(bound, live());
        let at = |x: NodeIx| position.get(x.index()).copied().filter(|p| *p != u32::MAX);
        for n in live() {
            watch.tell("AD objects", n.index(), bound);
            let Some(o) = st.g.ad(n) else { continue };
            let start = b.groups.len() as u32;
            b.groups
                .extend(st.g.live_out(n, Rel::Member).filter_map(at));
            b.by_handle.push(o.handle, b.objects.len());
            b.objects.push(AdBackedUp {
                handle: o.handle,
                kind: o.kind,
                guid: o.guid,
                sid: o.sid,
                ou: o.ou.clone(),
                attrs: o.attrs.clone(),
                groups: start..b.groups.len() as u32,
                manager: st.g.live_out(n, Rel::Manager).find_map(at),
            });
        }
        watch.tell("AD objects", bound, bound);
        b.groups.shrink_to_fit();
        b
    }

    /// Keeps AD backup `b` under `label` (VEAD-1).
    pub(crate) fn keep(&mut self, label: &str, b: AdBackup, ev: &mut Events) {
        let count = b.objects.len();
        self.points.insert(label.to_string(), Arc::new(b));
        ev.push_with(|| Event::new(
            K::BackupTaken,
            label,
            R::Vead1,
            format!("AD backup '{label}' holds {count} AD objects with attributes, memberships and identifiers"),
        ));
    }

    /// `restore_ad` (AD-5): a deleted object or tombstone still there is reanimated (same
    /// objectGUID and SID) and written from the backup — a tombstone only while the Recycle Bin
    /// is off, unless `vead_reanimates_tombstones_with_recycle_bin`; if it is recycled or gone a new object
    /// is created with the backup's attributes (mS-DS-ConsistencyGuid when
    /// `vead_copies_consistency_guid`). Memberships go only to groups that exist.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restore(
        &self,
        st: &mut Store,
        ad: &mut Ad,
        settings: &Settings,
        users: &[HandleId],
        from: &str,
        ev: &mut Events,
    ) -> Result<()> {
        let backup = self
            .points
            .get(from)
            .cloned()
            .ok_or_else(|| EngineError::UnknownBackup {
                label: from.to_string(),
                known: self.points.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        // The names are read from the handles the restore started with.
        let handles = std::sync::Arc::clone(&st.handles);
        for (done, &h) in users.iter().enumerate() {
            ev.progress("AD objects", done, users.len());
            let h = handle(st, h, Kind::User)?;
            let name = handles.name_str(h);
            let Some(b) = backup.get(h) else {
                ev.push_with(|| {
                    Event::new(
                        K::NotFound,
                        name.as_str(),
                        R::Vead1,
                        format!("{name} is not in AD backup '{from}'"),
                    )
                });
                continue;
            };
            // AD keeps sAMAccountName unique among live objects: a restore beside another live
            // object of the same identity is refused.
            let other_live = st
                .objects
                .ad(h)
                .iter()
                .copied()
                .find(|n| st.g.ad(*n).is_some_and(|o| o.is_live() && o.guid != b.guid));
            if let Some(other) = other_live {
                let guid = st.g.ad(other).map(|o| o.guid).unwrap_or_default();
                ev.push_with(|| Event::new(
                    K::Refused,
                    name.as_str(),
                    R::Ad5,
                    format!("{name} was not restored: the live AD object {guid} already holds its sAMAccountName; delete it first"),
                ));
                continue;
            }
            let existing = st
                .objects
                .ad(h)
                .iter()
                .copied()
                .find(|n| st.g.ad(*n).is_some_and(|o| o.guid == b.guid));
            let mut state = existing.and_then(|n| st.g.ad(n)).map(|o| o.state);
            // With the Recycle Bin on, a tombstone is a recycled object (MS-ADTS 3.1.1.9.1):
            // nothing to reanimate, unless `vead_reanimates_tombstones_with_recycle_bin`.
            let recycled_tombstone = matches!(state, Some(AdState::Tombstone { .. }))
                && settings.ad_recycle_bin
                && !settings.vead_reanimates_tombstones_with_recycle_bin;
            if recycled_tombstone {
                state = None;
            }
            let n = match (existing, state) {
                (
                    Some(n),
                    Some(AdState::Deleted { .. } | AdState::Tombstone { .. } | AdState::Live),
                ) => {
                    let was = state;
                    if let Some(o) = st.g.ad_mut(n) {
                        o.state = AdState::Live;
                        // Found by objectGUID: the attributes are held for the same GUID.
                        o.attrs = b.attrs.clone();
                        o.ou = b.ou.clone();
                    }
                    let what = if was == Some(AdState::Live) {
                        "written over the live object"
                    } else {
                        "reanimated"
                    };
                    ev.push_with(|| Event::new(K::AdReanimated, name.as_str(), R::Ad5, format!(
                        "{name} {what} with the same objectGUID {} and objectSid {}; attributes written from backup '{from}'", b.guid, b.sid)));
                    n
                }
                _ => {
                    // An mS-DS-ConsistencyGuid copied is the backed-up object's objectGUID.
                    let mut attrs = b.attrs.copied_from(b.guid);
                    if !settings.vead_copies_consistency_guid {
                        attrs.retain(|a| a != AdAttr::ConsistencyGuid);
                    }
                    let o = AdObject {
                        kind: Kind::User,
                        handle: h,
                        guid: st.ids.guid(),
                        sid: st.ids.sid(),
                        ou: b.ou.clone(),
                        state: AdState::Live,
                        attrs,
                    };
                    let cg = if o.attr(AdAttr::ConsistencyGuid).is_some() {
                        "copied"
                    } else {
                        "not copied"
                    };
                    let left = if recycled_tombstone {
                        "has only a tombstone, a recycled object now that the Recycle Bin is on"
                    } else {
                        "has no deleted object left"
                    };
                    let msg = format!(
                        "{name} {left}: created anew with a new objectGUID {} and objectSid {}, attributes copied from backup '{from}' (mS-DS-ConsistencyGuid {cg})",
                        o.guid, o.sid
                    );
                    let n = ad.add(st, o);
                    ev.push_with(|| Event::new(K::AdRecreated, name.as_str(), R::Ad5, msg));
                    n
                }
            };
            // Memberships and manager from the backup, to objects that exist.
            let mut skipped = Vec::new();
            for g in backup.groups_of(b) {
                match ad.by_guid(st, g) {
                    Some(gn) => {
                        if st.g.link(n, gn, Rel::Member) {
                            st.touch_member(gn, n);
                        }
                    }
                    None => skipped.push(g.to_string()),
                }
            }
            if let Some(m) = backup.manager_of(b).and_then(|m| ad.by_guid(st, m)) {
                let old: Vec<NodeIx> = st.g.out(n, Rel::Manager).collect();
                for o in old {
                    st.g.unlink(n, o, Rel::Manager);
                }
                st.g.link(n, m, Rel::Manager);
            }
            if !skipped.is_empty() {
                ev.push_with(|| Event::new(K::RelationSkipped, name.as_str(), R::Ad5, format!(
                    "memberships of {name} in groups that no longer exist were not restored ({})", skipped.join(", "))));
            }
            st.touch(n);
            st.touch_ad_groups(n);
        }
        ev.progress("AD objects", users.len(), users.len());
        Ok(())
    }
}
