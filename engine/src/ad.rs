//! On-premises Active Directory: objects and OUs (AD-1, AD-6), the Recycle Bin and tombstones
//! (AD-2, AD-3) and native undelete (AD-4).

use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::store::*;
use crate::world::{EngineError, NewObject, RelationSet, Result, World};

/// The attributes a tombstone or recycled object keeps (AD-3): objectGUID and objectSid are
/// fields of the object; of the attributes, sAMAccountName and the RDN.
fn kept_by_tombstone(a: AdAttr) -> bool {
    matches!(a, AdAttr::SamAccountName | AdAttr::Cn)
}

impl World {
    /// Adds an AD object to the graph and its indexes.
    pub(crate) fn ad_add(&mut self, o: AdObject) -> NodeIx {
        let (h, guid) = (o.handle, o.guid);
        let n = self.g.add(Node::Ad(o));
        let g = &self.g;
        // Kept up to date once built; until then nothing reads it (see `ad_by_guid`).
        if let Some(guids) = self.ad_guids.get_mut() {
            guids.insert(guid, n, |x| g.ad(x).map(|o| o.guid));
        }
        self.objects.add_ad(h, n);
        n
    }

    /// The live AD object with an objectGUID: where a VEAD restore puts back memberships and a
    /// manager (AD-5).
    ///
    /// The index by objectGUID is built by the first lookup, from every AD object in the order
    /// they were added (so a later object with the same GUID wins, as it does when the index
    /// is kept from the start), and kept up to date from then on: only a VEAD restore looks
    /// objects up by GUID, and a tenant built without one never pays for a million inserts at
    /// random places in a table ([`IdMap::build`](crate::store::idmap::IdMap::build) builds it
    /// front to back).
    pub(crate) fn ad_by_guid(&self, guid: Guid) -> Option<NodeIx> {
        let guid_of = |n| self.g.ad(n).map(|o: &AdObject| o.guid);
        self.ad_guids
            .get_or_init(|| {
                let objects = self.g.nodes().filter_map(|n| Some((self.g.ad(n)?.guid, n)));
                // About one AD object a handle, as `World::reserve` counts them.
                crate::store::idmap::IdMap::build(objects, self.handles.len(), guid_of)
            })
            .get(&guid, guid_of)
            .filter(|n| self.g.ad(*n).is_some_and(AdObject::is_live))
    }

    /// The distinguished name of an AD object, e.g. `CN=Alice Jones,OU=Staff,DC=contoso,DC=com`.
    pub fn distinguished_name(&self, o: &AdObject) -> Str {
        let cn = o.attrs.text(AdAttr::Cn).or(o.sam()).unwrap_or("?");
        crate::store::concat(&["CN=", cn, ",OU=", &o.ou, &self.names.dn_suffix])
    }

    fn ad_live_of(&self, h: HandleId) -> Option<NodeIx> {
        self.ad_current(h)
            .filter(|n| self.g.ad(*n).is_some_and(AdObject::is_live))
    }

    /// AD-1: a new object with a new objectGUID and objectSid; `mS-DS-ConsistencyGuid` stays empty
    /// unless the creator sets it. Refused when the handle already has a live AD object.
    pub(crate) fn ad_create(&mut self, h: HandleId, obj: &NewObject, ev: &mut Events) {
        if self.ad_live_of(h).is_some() {
            let name = self.name_of(h);
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Ad1,
                    format!("{name} already has a live AD object: nothing was created"),
                )
            });
            return;
        }
        let kind = self.handles.kind(h).unwrap_or(Kind::User);
        let attrs = self.ad_new_attrs(h, kind, obj);
        let o = AdObject {
            kind,
            handle: h,
            guid: self.ids.guid(),
            sid: self.ids.sid(),
            ou: self.ou_name(obj.ou.as_deref().unwrap_or("Users")),
            state: AdState::Live,
            attrs: AdAttrs::new(attrs),
        };
        let (ou, guid, sid) = (o.ou.clone(), o.guid, o.sid);
        let n = self.ad_add(o);
        self.sync.touch(n);
        ev.push_with(|| {
            let name = self.name_of(h);
            Event::new(
                K::AdCreated,
                &name,
                R::Ad1,
                format!(
                    "AD {kind} {name} created in OU {ou} with objectGUID {guid} and objectSid {sid}"
                ),
            )
        });
    }

    /// AD-1: the attributes of a new AD object of handle `h`: the given ones (the last of a repeated
    /// one wins; an empty one is none), then the defaults of those missing, written in one go.
    /// The handle's name is read in place: a copy of it is taken only where an attribute
    /// keeps it (a count raised on a string is a locked instruction).
    fn ad_new_attrs(&self, h: HandleId, kind: Kind, obj: &NewObject) -> PropMap<AdAttr> {
        let name = self.handles.name_str(h);
        let given = |a: AdAttr| {
            obj.ad_attrs
                .iter()
                .rev()
                .find(|(k, _)| *k == a)
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty())
        };
        let mut defaults = Vec::new();
        if given(AdAttr::SamAccountName).is_none() {
            defaults.push((AdAttr::SamAccountName, Some(Value::from(name.clone()))));
        }
        if kind == Kind::User {
            if given(AdAttr::UserPrincipalName).is_none() {
                // Most users' mail is their UPN: the same text is held once.
                let domain = self.names.domain.as_str();
                let upn = match given(AdAttr::Mail) {
                    Some(mail)
                        if mail
                            .as_text()
                            .and_then(|m| m.strip_prefix(name.as_str()))
                            .and_then(|m| m.strip_prefix('@'))
                            == Some(domain) =>
                    {
                        mail.clone()
                    }
                    _ => Value::from(crate::store::concat(&[name, "@", domain])),
                };
                defaults.push((AdAttr::UserPrincipalName, Some(upn)));
            }
            if given(AdAttr::Enabled).is_none() {
                defaults.push((AdAttr::Enabled, Some(Value::from(true))));
            }
        }
        if given(AdAttr::Cn).is_none() {
            let cn = match given(AdAttr::DisplayName) {
                Some(v) => v.clone(),
                None => Value::from(name.clone()),
            };
            defaults.push((AdAttr::Cn, Some(cn)));
        }
        let mut attrs = PropMap::default();
        let written = obj.ad_attrs.iter().map(|(a, v)| (*a, Some(v.clone())));
        attrs.update(written.chain(defaults));
        attrs
    }

    /// `update` in AD: attributes change; the next delta cycle processes the object (SYNC-11).
    pub(crate) fn ad_update(
        &mut self,
        h: HandleId,
        set: &[(AdAttr, Option<Value>)],
        ev: &mut Events,
    ) {
        let name = self.name_of(h);
        let Some(n) = self.ad_live_of(h) else {
            ev.push(not_live(&name, R::Sync11));
            return;
        };
        let mut changed = Vec::new();
        if let Some(o) = self.g.ad_mut(n) {
            for (a, v) in set {
                if o.set_attr(*a, v.clone()) {
                    changed.push(a.name());
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        self.sync.touch(n);
        ev.push_with(|| {
            Event::new(
                K::AdUpdated,
                &name,
                R::Sync11,
                format!(
                    "AD attributes of {name} changed ({}); the next cycle will process it",
                    changed.join(", ")
                ),
            )
        });
    }

    /// `delete` in AD: with the Recycle Bin a deleted object keeping everything (AD-2), without
    /// it a tombstone (AD-3); `permanently` removes it completely.
    pub(crate) fn ad_delete(&mut self, h: HandleId, permanently: bool, ev: &mut Events) {
        let name = self.name_of(h);
        let n = match self.ad_live_of(h) {
            Some(n) => n,
            None if permanently => match self.ad_current(h) {
                Some(n) => n,
                None => return ev.push(not_live(&name, R::Ad2)),
            },
            None => return ev.push(not_live(&name, R::Ad2)),
        };
        let now = self.now;
        self.sync.touch(n);
        if permanently {
            self.ad_remove(n, "deleted permanently", ev);
            return;
        }
        let lifetime = self.settings.ad_deleted_object_lifetime_days;
        if self.settings.ad_recycle_bin {
            if let Some(o) = self.g.ad_mut(n) {
                o.state = AdState::Deleted { since: now };
            }
            self.schedule(n, now, lifetime);
            ev.push_with(|| Event::new(
                K::AdDeleted,
                &name,
                R::Ad2,
                format!("{name} is a deleted object: all attributes and links kept for {lifetime} days (Recycle Bin)"),
            ));
        } else {
            self.ad_strip(n, AdState::Tombstone { since: now });
            self.schedule(n, now, lifetime);
            ev.push_with(|| Event::new(
                K::AdTombstoned,
                &name,
                R::Ad3,
                format!("{name} is a tombstone (no Recycle Bin): group memberships, manager and mS-DS-ConsistencyGuid stripped"),
            ));
        }
    }

    /// Strips links and all but the kept attributes (AD-3, and recycling in AD-2). The sync join
    /// stays until a cycle processes the deletion.
    fn ad_strip(&mut self, n: NodeIx, state: AdState) {
        self.g.strip(n, &[Rel::Join]);
        if let Some(o) = self.g.ad_mut(n) {
            o.attrs.retain(kept_by_tombstone);
            o.state = state;
        }
    }

    fn ad_remove(&mut self, n: NodeIx, why: &str, ev: &mut Events) {
        self.ad_strip(n, AdState::Gone);
        let name = self
            .g
            .ad(n)
            .map(|o| self.name_of(o.handle))
            .unwrap_or_default();
        ev.push_with(|| {
            Event::new(
                K::AdRemoved,
                &name,
                if self.settings.ad_recycle_bin {
                    R::Ad2
                } else {
                    R::Ad3
                },
                format!("{name} {why}: nothing is left to undelete or reanimate"),
            )
        });
    }

    /// AD-2/AD-3 expiry: a deleted object is recycled after its lifetime; a recycled object or a
    /// tombstone is removed after the tombstone lifetime (the same setting here).
    pub(crate) fn ad_expire(&mut self, n: NodeIx, since: Time, ev: &mut Events) {
        let Some(o) = self.g.ad(n) else { return };
        let name = self.name_of(o.handle);
        match o.state {
            AdState::Deleted { since: s } if s == since => {
                let now = self.now;
                self.ad_strip(n, AdState::Recycled { since: now });
                self.schedule(n, now, self.settings.ad_deleted_object_lifetime_days);
                ev.push_with(|| Event::new(
                    K::AdRecycled,
                    &name,
                    R::Ad2,
                    format!("{name} reached the end of its deleted object lifetime: recycled, links and attributes stripped, no longer undeletable"),
                ));
            }
            AdState::Recycled { since: s } | AdState::Tombstone { since: s } if s == since => {
                self.ad_remove(
                    n,
                    "was garbage-collected at the end of the tombstone lifetime",
                    ev,
                );
            }
            _ => {}
        }
    }

    /// AD-4: `Restore-ADObject` brings a deleted object or tombstone back with the same
    /// objectGUID and objectSid and what it kept, in its last known OU. Recycled: refused.
    pub(crate) fn ad_undelete(&mut self, h: HandleId, ev: &mut Events) {
        let name = self.name_of(h);
        if self.ad_live_of(h).is_some() {
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Ad4,
                    format!("{name} is live in AD: nothing to undelete"),
                )
            });
            return;
        }
        let Some(n) = self.ad_current(h) else {
            return ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Ad4,
                    format!("{name} has no deleted object in AD"),
                )
            });
        };
        let Some(o) = self.g.ad(n) else { return };
        match o.state {
            AdState::Deleted { .. } | AdState::Tombstone { .. } => {
                let kept = if matches!(o.state, AdState::Deleted { .. }) {
                    "every attribute and group membership"
                } else {
                    "only what the tombstone kept (no memberships, no manager, no mS-DS-ConsistencyGuid)"
                };
                let msg = format!(
                    "{name} undeleted in OU {} with the same objectGUID {} and objectSid {}, with {kept}",
                    o.ou, o.guid, o.sid
                );
                if let Some(o) = self.g.ad_mut(n) {
                    o.state = AdState::Live;
                }
                self.sync.touch(n);
                self.touch_ad_groups(n);
                ev.push_with(|| Event::new(K::AdUndeleted, &name, R::Ad4, msg));
            }
            AdState::Recycled { .. } => ev.push_with(|| Event::new(
                K::Refused,
                &name,
                R::Ad4,
                format!("{name} is recycled: a recycled object cannot be undeleted (restore it from a backup instead)"),
            )),
            AdState::Gone | AdState::Live => ev.push_with(|| Event::new(
                K::NotFound,
                &name,
                R::Ad4,
                format!("{name} was removed completely from AD: nothing to undelete"),
            )),
        }
    }

    /// Marks the object as a changed member of the AD groups it is in, for membership flow
    /// (SYNC-7).
    pub(crate) fn touch_ad_groups(&mut self, n: NodeIx) {
        let groups: Vec<NodeIx> = self.g.out(n, Rel::Member).collect();
        for grp in groups {
            self.touch_member(grp, n);
        }
    }

    /// AD-6: a move keeps the objectGUID; it may take the object in or out of sync scope.
    pub(crate) fn ad_move(&mut self, h: HandleId, to: &str, ev: &mut Events) {
        let name = self.name_of(h);
        let Some(n) = self.ad_live_of(h) else {
            return ev.push(not_live(&name, R::Ad6));
        };
        let to_ou = self.ou_name(to);
        let Some(o) = self.g.ad_mut(n) else { return };
        let from = std::mem::replace(&mut o.ou, to_ou);
        let guid = o.guid;
        self.sync.touch(n);
        self.touch_ad_groups(n);
        let scope = match self.sync.in_scope_ou(to) {
            true => "in",
            false => "out of",
        };
        ev.push_with(|| Event::new(
            K::AdMoved,
            &name,
            R::Ad6,
            format!("{name} moved from OU {from} to OU {to} ({scope} sync scope), objectGUID {guid} unchanged"),
        ));
    }

    /// `assign`/`unassign` in AD: group memberships (`member`) and `manager` (ID-3).
    pub(crate) fn ad_relations(
        &mut self,
        h: HandleId,
        rels: &RelationSet,
        add: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = self.event_name_of(h, ev);
        let Some(n) = self.ad_live_of(h) else {
            ev.push(not_live(&name, R::Id3));
            return Ok(());
        };
        let verb = if add { "added to" } else { "removed from" };
        let kind = if add {
            K::AdRelationAdded
        } else {
            K::AdRelationRemoved
        };
        for &gh in &rels.groups {
            self.handle(gh, Kind::Group)?;
            let Some(gn) = self.ad_live_of(gh) else {
                ev.push(not_live(self.handles.name(gh), R::Id3));
                continue;
            };
            let changed = if add {
                self.g.link(n, gn, Rel::Member)
            } else {
                self.g.unlink(n, gn, Rel::Member)
            };
            if changed {
                self.touch_member(gn, n);
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} AD group {}", self.handles.name(gh)),
                    )
                });
            }
        }
        if let Some(mh) = rels.manager {
            let old: Vec<NodeIx> = self.g.out(n, Rel::Manager).collect();
            for o in old {
                self.g.unlink(n, o, Rel::Manager);
            }
            if add {
                self.handle(mh, Kind::User)?;
                let Some(m) = self.ad_live_of(mh) else {
                    ev.push(not_live(self.handles.name(mh), R::Id3));
                    return Ok(());
                };
                self.g.link(n, m, Rel::Manager);
            }
            self.sync.touch(n);
            ev.push_with(|| {
                let what = if add {
                    format!("set to {}", self.handles.name(mh))
                } else {
                    "cleared".to_string()
                };
                Event::new(kind, &name, R::Id3, format!("AD manager of {name} {what}"))
            });
        }
        if !rels.owns.is_empty()
            || !rels.roles.is_empty()
            || !rels.licenses.is_empty()
            || !rels.apps.is_empty()
        {
            return Err(EngineError::Invalid(
                "only groups and manager can be assigned in AD; owns, roles, licenses and apps are Entra relations".into(),
            ));
        }
        Ok(())
    }
}

fn not_live(name: &str, rule: R) -> Event {
    Event::new(
        K::NotFound,
        name,
        rule,
        format!("{name} has no live object in AD"),
    )
}
