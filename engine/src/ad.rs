//! On-premises Active Directory: objects and OUs (AD-1, AD-6), the Recycle Bin and tombstones
//! (AD-2, AD-3) and native undelete (AD-4).

use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use crate::clock::Clock;
use crate::error::{EngineError, Result};
use crate::op::{NewObject, RelationSet, handle};
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::settings::{Names, Settings};
use crate::store::idmap::IdMap;
use crate::store::*;

/// Active Directory's own state; its objects and links are in the [`Store`]. The names of the
/// OUs in use, and the index of objects by objectGUID a VEAD restore looks them up in.
#[derive(Clone, Debug, Default)]
pub struct Ad {
    /// OU names, each held once however many objects are in the OU.
    ous: FxHashSet<Str>,
    /// Live or deleted AD objects by objectGUID, built by the first lookup ([`Ad::by_guid`]).
    guids: OnceLock<IdMap>,
}

/// The AD object of a handle: the live one, else the newest that still exists in some form.
pub fn current(st: &Store, h: HandleId) -> Option<NodeIx> {
    let objs = st.objects.ad(h);
    objs.iter()
        .copied()
        .find(|n| st.g.ad(*n).is_some_and(AdObject::is_live))
        .or_else(|| {
            objs.iter()
                .rev()
                .copied()
                .find(|n| st.g.ad(*n).is_some_and(|o| o.state != AdState::Gone))
        })
}

/// The live AD object of a handle.
pub fn live_of(st: &Store, h: HandleId) -> Option<NodeIx> {
    current(st, h).filter(|n| st.g.ad(*n).is_some_and(AdObject::is_live))
}

/// The distinguished name of an AD object, e.g. `CN=Alice Jones,OU=Staff,DC=contoso,DC=com`.
/// Its OU is a name (`Staff`), a path of OUs (`Finance,OU=Staff`) or a container (`CN=Users`),
/// as an imported tenant has them; the `cn` is escaped as RFC 4514 requires (`Kim\, Jordan`).
pub fn distinguished_name(names: &Names, o: &AdObject) -> Str {
    let cn = o.attrs.text(AdAttr::Cn).or(o.sam()).unwrap_or("?");
    let cn = escape_rdn_value(cn);
    let ou: &str = &o.ou;
    let sep = match ou.get(..3) {
        _ if ou.is_empty() => "",
        Some(p) if p.eq_ignore_ascii_case("CN=") => ",",
        _ => ",OU=",
    };
    crate::store::concat(&["CN=", &cn, sep, ou, &names.dn_suffix])
}

/// An RDN value escaped as RFC 4514 writes it: `,+"\<>;=` anywhere, `#` or a space first, a
/// space last. Most names need nothing, and are not copied.
fn escape_rdn_value(v: &str) -> std::borrow::Cow<'_, str> {
    let special = |(i, c): (usize, char)| {
        matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i + 1 == v.len() && c == ' ')
    };
    if !v.char_indices().any(special) {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len() + 4);
    for (i, c) in v.char_indices() {
        if special((i, c)) {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// The attributes a tombstone or recycled object keeps (AD-3): objectGUID and objectSid are
/// fields of the object; of the attributes, sAMAccountName and the RDN.
fn kept_by_tombstone(a: AdAttr) -> bool {
    matches!(a, AdAttr::SamAccountName | AdAttr::Cn)
}

impl Ad {
    /// Adds an AD object to the graph and its indexes.
    pub(crate) fn add(&mut self, st: &mut Store, o: AdObject) -> NodeIx {
        let (h, guid) = (o.handle, o.guid);
        let n = st.g.add(Node::Ad(o));
        let g = &st.g;
        // Kept up to date once built; until then nothing reads it (see `by_guid`).
        if let Some(guids) = self.guids.get_mut() {
            guids.insert(guid, n, |x| g.ad(x).map(|o| o.guid));
        }
        st.objects.add_ad(h, n);
        n
    }

    /// Places a copy of an object as it is, in whatever state: a deleted object, tombstone or
    /// recycled object keeps its lifetime, running from when it began (AD-2, AD-3).
    pub(crate) fn place(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        mut o: AdObject,
    ) -> NodeIx {
        o.ou = self.ou_name(&o.ou);
        let state = o.state;
        let n = self.add(st, o);
        if let AdState::Deleted { since }
        | AdState::Tombstone { since }
        | AdState::Recycled { since } = state
        {
            clock.schedule(n, since, settings.ad_deleted_object_lifetime_days);
        }
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
    pub(crate) fn by_guid(&self, st: &Store, guid: Guid) -> Option<NodeIx> {
        let guid_of = |n| st.g.ad(n).map(|o: &AdObject| o.guid);
        self.guids
            .get_or_init(|| {
                let objects = st.g.nodes().filter_map(|n| Some((st.g.ad(n)?.guid, n)));
                // About one AD object a handle.
                IdMap::build(objects, st.handles.len(), guid_of)
            })
            .get(&guid, guid_of)
            .filter(|n| st.g.ad(*n).is_some_and(AdObject::is_live))
    }

    /// The shared name of an OU.
    pub(crate) fn ou_name(&mut self, ou: &str) -> Str {
        if let Some(s) = self.ous.get(ou) {
            return s.clone();
        }
        let s = Str::from(ou);
        self.ous.insert(s.clone());
        s
    }

    /// AD-1: a new object with a new objectGUID and objectSid; `mS-DS-ConsistencyGuid` stays empty
    /// unless the creator sets it. Refused when the handle already has a live AD object.
    pub(crate) fn create(
        &mut self,
        st: &mut Store,
        names: &Names,
        h: HandleId,
        obj: &NewObject,
        ev: &mut Events,
    ) {
        if live_of(st, h).is_some() {
            let name = st.name_of(h);
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
        let kind = st.handles.kind(h).unwrap_or(Kind::User);
        let attrs = Self::new_attrs(st, names, h, kind, obj);
        let o = AdObject {
            kind,
            handle: h,
            guid: st.ids.guid(),
            sid: st.ids.sid(),
            ou: self.ou_name(obj.ou.as_deref().unwrap_or("Users")),
            state: AdState::Live,
            attrs: AdAttrs::new(attrs),
        };
        let (ou, guid, sid) = (o.ou.clone(), o.guid, o.sid);
        let n = self.add(st, o);
        st.touch(n);
        ev.push_with(|| {
            let name = st.name_of(h);
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
    fn new_attrs(
        st: &Store,
        names: &Names,
        h: HandleId,
        kind: Kind,
        obj: &NewObject,
    ) -> PropMap<AdAttr> {
        let name = st.handles.name_str(h);
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
                let domain = names.domain.as_str();
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
    pub(crate) fn update(
        &mut self,
        st: &mut Store,
        h: HandleId,
        set: &[(AdAttr, Option<Value>)],
        ev: &mut Events,
    ) {
        let name = st.name_of(h);
        let Some(n) = live_of(st, h) else {
            ev.push(not_live(&name, R::Sync11));
            return;
        };
        let mut changed = Vec::new();
        if let Some(o) = st.g.ad_mut(n) {
            for (a, v) in set {
                if o.set_attr(*a, v.clone()) {
                    changed.push(a.name());
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        st.touch(n);
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn delete(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        h: HandleId,
        permanently: bool,
        ev: &mut Events,
    ) {
        let name = st.name_of(h);
        let n = match live_of(st, h) {
            Some(n) => n,
            None if permanently => match current(st, h) {
                Some(n) => n,
                None => return ev.push(not_live(&name, R::Ad2)),
            },
            None => return ev.push(not_live(&name, R::Ad2)),
        };
        let now = clock.now();
        st.touch(n);
        if permanently {
            Self::remove(st, settings, n, "deleted permanently", ev);
            return;
        }
        let lifetime = settings.ad_deleted_object_lifetime_days;
        if settings.ad_recycle_bin {
            if let Some(o) = st.g.ad_mut(n) {
                o.state = AdState::Deleted { since: now };
            }
            clock.schedule(n, now, lifetime);
            ev.push_with(|| Event::new(
                K::AdDeleted,
                &name,
                R::Ad2,
                format!("{name} is a deleted object: all attributes and links kept for {lifetime} days (Recycle Bin)"),
            ));
        } else {
            Self::strip(st, n, AdState::Tombstone { since: now });
            clock.schedule(n, now, lifetime);
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
    fn strip(st: &mut Store, n: NodeIx, state: AdState) {
        st.g.strip(n, &[Rel::Join]);
        if let Some(o) = st.g.ad_mut(n) {
            o.attrs.retain(kept_by_tombstone);
            o.state = state;
        }
    }

    fn remove(st: &mut Store, settings: &Settings, n: NodeIx, why: &str, ev: &mut Events) {
        Self::strip(st, n, AdState::Gone);
        let name = st.g.ad(n).map(|o| st.name_of(o.handle)).unwrap_or_default();
        ev.push_with(|| {
            Event::new(
                K::AdRemoved,
                &name,
                if settings.ad_recycle_bin {
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn expire(
        &mut self,
        st: &mut Store,
        clock: &mut Clock,
        settings: &Settings,
        n: NodeIx,
        since: Time,
        ev: &mut Events,
    ) {
        let Some(o) = st.g.ad(n) else { return };
        let name = st.name_of(o.handle);
        match o.state {
            AdState::Deleted { since: s } if s == since => {
                let now = clock.now();
                Self::strip(st, n, AdState::Recycled { since: now });
                clock.schedule(n, now, settings.ad_deleted_object_lifetime_days);
                ev.push_with(|| Event::new(
                    K::AdRecycled,
                    &name,
                    R::Ad2,
                    format!("{name} reached the end of its deleted object lifetime: recycled, links and attributes stripped, no longer undeletable"),
                ));
            }
            AdState::Recycled { since: s } | AdState::Tombstone { since: s } if s == since => {
                Self::remove(
                    st,
                    settings,
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
    pub(crate) fn undelete(&mut self, st: &mut Store, h: HandleId, ev: &mut Events) {
        let name = st.name_of(h);
        if live_of(st, h).is_some() {
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
        let Some(n) = current(st, h) else {
            return ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Ad4,
                    format!("{name} has no deleted object in AD"),
                )
            });
        };
        let Some(o) = st.g.ad(n) else { return };
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
                if let Some(o) = st.g.ad_mut(n) {
                    o.state = AdState::Live;
                }
                st.touch(n);
                st.touch_ad_groups(n);
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

    /// AD-6: a move keeps the objectGUID; it may take the object in or out of sync scope.
    /// `in_scope` tells, for the event, whether the sync's OU filter holds an OU.
    pub(crate) fn move_to(
        &mut self,
        st: &mut Store,
        in_scope: impl Fn(&str) -> bool,
        h: HandleId,
        to: &str,
        ev: &mut Events,
    ) {
        let name = st.name_of(h);
        let Some(n) = live_of(st, h) else {
            return ev.push(not_live(&name, R::Ad6));
        };
        let to_ou = self.ou_name(to);
        let Some(o) = st.g.ad_mut(n) else { return };
        let from = std::mem::replace(&mut o.ou, to_ou);
        let guid = o.guid;
        st.touch(n);
        st.touch_ad_groups(n);
        let scope = match in_scope(to) {
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
    pub(crate) fn relations(
        &mut self,
        st: &mut Store,
        h: HandleId,
        rels: &RelationSet,
        add: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = st.name_if(h, ev.detail());
        let Some(n) = live_of(st, h) else {
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
            handle(st, gh, Kind::Group)?;
            let Some(gn) = live_of(st, gh) else {
                ev.push(not_live(st.handles.name(gh), R::Id3));
                continue;
            };
            let changed = if add {
                st.g.link(n, gn, Rel::Member)
            } else {
                st.g.unlink(n, gn, Rel::Member)
            };
            if changed {
                st.touch_member(gn, n);
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} AD group {}", st.handles.name(gh)),
                    )
                });
            }
        }
        if let Some(mh) = rels.manager {
            let old: Vec<NodeIx> = st.g.out(n, Rel::Manager).collect();
            for o in old {
                st.g.unlink(n, o, Rel::Manager);
            }
            if add {
                handle(st, mh, Kind::User)?;
                let Some(m) = live_of(st, mh) else {
                    ev.push(not_live(st.handles.name(mh), R::Id3));
                    return Ok(());
                };
                st.g.link(n, m, Rel::Manager);
            }
            st.touch(n);
            ev.push_with(|| {
                let what = if add {
                    format!("set to {}", st.handles.name(mh))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dn_of(cn: &str, ou: &str) -> String {
        let names = Names::new("contoso.com", None, None);
        let mut values = PropMap::default();
        values.update([(AdAttr::Cn, Some(Value::text(cn)))]);
        let o = AdObject {
            kind: Kind::User,
            handle: HandleId(0),
            guid: Guid::default(),
            sid: Sid {
                domain: [1, 2, 3],
                rid: 4,
            },
            ou: Str::from(ou),
            state: AdState::Live,
            attrs: AdAttrs::new(values),
        };
        distinguished_name(&names, &o).to_string()
    }

    #[test]
    fn id_1_distinguished_name_escapes_the_cn_and_places_containers() {
        assert_eq!(
            dn_of("Alice Jones", "Staff"),
            "CN=Alice Jones,OU=Staff,DC=contoso,DC=com"
        );
        assert_eq!(
            dn_of("Kim, Jordan", "Finance,OU=Staff"),
            "CN=Kim\\, Jordan,OU=Finance,OU=Staff,DC=contoso,DC=com"
        );
        assert_eq!(
            dn_of("#1 Admin ", "CN=Users"),
            "CN=\\#1 Admin\\ ,CN=Users,DC=contoso,DC=com"
        );
        assert_eq!(dn_of("root", ""), "CN=root,DC=contoso,DC=com");
    }
}
