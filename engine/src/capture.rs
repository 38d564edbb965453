//! A tenant as it was captured (the engineer's exports, read by [`crate::import`]): both
//! directories' objects with their own ids, Entra Connect's joins and the relations, placed as
//! they were found. No rule runs and no sync cycle: the world starts where the tenant is.

use crate::ad::Ad;
use crate::clock::Clock;
use crate::entra::Entra;
use crate::settings::Settings;
use crate::store::*;

/// An AD object as captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedAd {
    pub kind: Kind,
    pub handle: HandleId,
    pub guid: Guid,
    /// `None` when the export had no domain SID for it: one is drawn from the world's generator.
    pub sid: Option<Sid>,
    pub ou: Str,
    pub attrs: Vec<(AdAttr, Value)>,
    /// mS-DS-ConsistencyGuid holds the object's own objectGUID (stored once, as the sync's
    /// write-back stores it).
    pub consistency_guid_is_guid: bool,
}

/// An Entra object as captured, live or in the recycle bin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedEntra {
    pub kind: Kind,
    pub group_type: GroupType,
    pub handle: HandleId,
    pub id: Guid,
    pub props: Vec<(EntraProp, Value)>,
    /// When it was deleted, for an object in the recycle bin.
    pub deleted_since: Option<Time>,
}

/// One end of a captured relation: an object by its place in [`Capture`], or a catalogue entry
/// by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    Ad(u32),
    Entra(u32),
    Role(Str),
    Sku(Str),
    App(Str),
}

/// A captured tenant. Its values are unique where Entra ID requires it (ID-4) and every
/// relation's ends exist: the importer checked both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    pub ad: Vec<CapturedAd>,
    pub entra: Vec<CapturedEntra>,
    /// Entra Connect's joins: (AD object, Entra object), by place.
    pub joins: Vec<(u32, u32)>,
    pub relations: Vec<(End, End, Rel)>,
    /// AD objects the sync has not processed since their cloud object changed (a synced user
    /// deleted in the cloud): the next cycle processes them, as a delta import would see them.
    pub dirty: Vec<u32>,
}

/// What [`place`] works on: the store and the systems whose state a capture sets.
pub(crate) struct Placing<'a> {
    pub st: &'a mut Store,
    pub ad: &'a mut Ad,
    pub entra: &'a mut Entra,
    pub clock: &'a mut Clock,
    pub settings: &'a Settings,
}

impl Placing<'_> {
    /// Places every object, join and relation of `c`; an object in the recycle bin keeps its
    /// deletion time, and its retention runs from then (ENTRA-1, ENTRA-2).
    pub(crate) fn place(self, c: &Capture) {
        let Placing {
            st,
            ad,
            entra,
            clock,
            settings,
        } = self;
        st.objects.reserve(st.handles.len());
        st.g.reserve(
            c.ad.len() + c.entra.len(),
            c.joins.len() + c.relations.len(),
        );
        entra.reserve(st, c.entra.len());
        let mut ad_nodes = Vec::with_capacity(c.ad.len());
        for a in &c.ad {
            let mut values = PropMap::default();
            values.update(a.attrs.iter().map(|(k, v)| (*k, Some(v.clone()))));
            let mut attrs = AdAttrs::new(values);
            if a.consistency_guid_is_guid {
                attrs.write_owner_guid_as_consistency_guid();
            }
            let sid = a.sid.unwrap_or_else(|| st.ids.sid());
            let o = AdObject {
                kind: a.kind,
                handle: a.handle,
                guid: a.guid,
                sid,
                ou: ad.ou_name(&a.ou),
                state: AdState::Live,
                attrs,
            };
            ad_nodes.push(ad.add(st, o));
        }
        let mut entra_nodes = Vec::with_capacity(c.entra.len());
        for e in &c.entra {
            let mut props = PropMap::default();
            props.update(e.props.iter().map(|(k, v)| (*k, Some(v.clone()))));
            let n = entra.add(st, e.handle, (e.kind, e.group_type), e.id, props);
            if let Some(since) = e.deleted_since {
                entra.adopt_deleted(st, clock, settings, n, since);
            }
            entra_nodes.push(n);
        }
        entra.flush_ids(st);
        let mut node = |st: &mut Store, end: &End| match end {
            End::Ad(i) => ad_nodes.get(*i as usize).copied(),
            End::Entra(i) => entra_nodes.get(*i as usize).copied(),
            End::Role(name) => Some(entra.catalogue_node(st, 0, name)),
            End::Sku(name) => Some(entra.catalogue_node(st, 1, name)),
            End::App(name) => Some(entra.catalogue_node(st, 2, name)),
        };
        for (a, e) in &c.joins {
            if let (Some(a), Some(e)) = (node(st, &End::Ad(*a)), node(st, &End::Entra(*e))) {
                st.g.link(a, e, Rel::Join);
            }
        }
        for (from, to, rel) in &c.relations {
            if let (Some(f), Some(t)) = (node(st, from), node(st, to)) {
                st.g.link(f, t, *rel);
            }
        }
        for a in &c.dirty {
            if let Some(n) = ad_nodes.get(*a as usize) {
                st.touch(*n);
            }
        }
    }
}

/// A SID's text form `S-1-5-21-a-b-c-rid` as the model holds domain SIDs; `None` for any other
/// form (well-known or foreign SIDs).
pub fn parse_domain_sid(s: &str) -> Option<Sid> {
    let rest = s.strip_prefix("S-1-5-21-")?;
    let mut parts = rest.split('-').map(|p| p.parse::<u32>().ok());
    let (a, b, c, rid) = (
        parts.next()??,
        parts.next()??,
        parts.next()??,
        parts.next()??,
    );
    if parts.next().is_some() {
        return None;
    }
    Some(Sid {
        domain: [a, b, c],
        rid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::EntraPresence;
    use crate::{Names, Op, World};

    /// ENTRA-1, ENTRA-2: a user captured in the recycle bin keeps its deletion time, so its 30
    /// days run from then, not from the capture.
    #[test]
    fn entra_2_a_captured_recycle_bin_user_is_purged_30_days_after_its_deletion() {
        let mut handles = Handles::default();
        let h = handles
            .intern(&Str::from("erin"), Kind::User)
            .unwrap_or_default();
        let start = 1_767_603_600;
        let mut w = World::new(
            Settings::default(),
            Names::new("contoso.com", None, None),
            start,
            std::sync::Arc::new(handles),
        );
        let capture = Capture {
            entra: vec![CapturedEntra {
                kind: Kind::User,
                group_type: GroupType::Security,
                handle: h,
                id: Guid([7; 16]),
                props: vec![(
                    EntraProp::UserPrincipalName,
                    Value::text("erin@contoso.com"),
                )],
                deleted_since: Some(start - 29 * 86_400),
            }],
            ..Capture::default()
        };
        let placed = w.apply(&Op::Adopt(std::sync::Arc::new(capture)));
        assert!(
            placed.is_ok_and(|events| events.is_empty()),
            "placing is not an event"
        );
        assert_eq!(w.entra_presence(h).ok(), Some(EntraPresence::SoftDeleted));
        let waited = w.apply(&Op::Wait(2 * 86_400));
        assert!(waited.is_ok());
        assert_eq!(w.entra_presence(h).ok(), Some(EntraPresence::Absent));
    }

    #[test]
    fn id_1_domain_sid_text_round_trips() {
        let s = "S-1-5-21-1004336348-1177238915-682003330-1104";
        assert_eq!(
            parse_domain_sid(s).map(|x| x.to_string()).as_deref(),
            Some(s)
        );
        assert_eq!(parse_domain_sid("S-1-5-32-544"), None);
        assert_eq!(parse_domain_sid("S-1-5-21-1-2-3-4-5"), None);
        assert_eq!(parse_domain_sid("S-1-5-21-1-2-x-4"), None);
    }
}
