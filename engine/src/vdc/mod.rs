//! Veeam Data Cloud for Microsoft Entra ID: restore points (VDC-1) and restore sessions with the
//! recycle-bin stage, skip/overwrite, Keep Relationships and per-object statuses (VDC-2..6).
//! Sources: <https://helpcenter.veeam.com/docs/vdc/userguide/entra_id_data_restore_how.html>,
//! <https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html>

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::catalogue::is_ad_mastered;
use crate::entra::{Entra, Unique, licence_events};
use crate::error::{EngineError, Result};
use crate::op::handle;
pub use crate::op::{Existing, RestoreOptions};
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::settings::Settings;
use crate::store::*;

/// VDC-1, VDC-6: the user properties a VDC backup holds and a restore writes, in the order of the
/// property catalogue; a re-created user lacks the others until a sync fills them. Source:
/// <https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html>
pub const RESTORED_PROPS: &[EntraProp] = {
    use EntraProp as P;
    &[
        P::UserPrincipalName,
        P::DisplayName,
        P::GivenName,
        P::Surname,
        P::Mail,
        P::MailNickname,
        P::Department,
        P::JobTitle,
        P::CompanyName,
        P::OfficeLocation,
        P::City,
        P::Country,
        P::BusinessPhones,
        P::MobilePhone,
        P::EmployeeId,
        P::AccountEnabled,
        P::UsageLocation,
        P::OnPremisesImmutableId,
    ]
};

/// Whether VDC restores `prop` from a backup (VDC-1, VDC-6).
pub fn vdc_restores(prop: EntraProp) -> bool {
    RESTORED_PROPS.contains(&prop)
}

/// A restored object's status (VDC-5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Warning,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Warning => "warning",
            Status::Failed => "failed",
        }
    }
}

/// The target of a backed-up relation: an object by id, or a role, SKU or app by name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Target {
    Object(Guid),
    Catalogue(u8, Str),
}

/// One object in a restore point (VDC-1).
#[derive(Clone, Debug)]
pub struct BackedUp {
    pub id: Guid,
    pub handle: HandleId,
    pub kind: Kind,
    pub group_type: GroupType,
    pub synced: bool,
    /// Every property; only the VDC ones are restored (VDC-6).
    pub props: PropMap<EntraProp>,
    /// Outgoing relations (memberships, ownerships, roles, direct licences, apps, manager): a
    /// range of the restore point's relation list, read with [`RestorePoint::rels`].
    pub rels: std::ops::Range<u32>,
}

/// A backed-up relation, 8 bytes: a target object by its position in the restore point, or a
/// role, SKU or app by its position in the point's catalogue names. A restore point holds the
/// relations of a whole tenant, several per object.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    rel: Rel,
    /// 0: an object of the point; 1 + the catalogue kind: a catalogue name.
    kind: u8,
    at: u32,
}

/// A named restore point.
#[derive(Clone, Debug, Default)]
pub struct RestorePoint {
    pub taken: Time,
    pub objects: Vec<BackedUp>,
    /// The relations of every object, object after object.
    pub links: Vec<Link>,
    /// The role, SKU and app names the relations point to, each once.
    pub catalogue: Vec<Str>,
    /// Positions in `objects` by handle.
    pub by_handle: crate::store::idmap::PerHandle<usize>,
    /// The memberships, ownerships and manager links of the point by their target, built by the
    /// first session that asks ([`RestorePoint::members_and_owners`]), so that a mass restore
    /// in many sessions reads the point's relations once, not once a session.
    incoming: std::sync::OnceLock<Vec<Incoming>>,
}

/// A membership, ownership or manager link of a restore point, by its target: the target's
/// position, the relation and the position of its source.
#[derive(Clone, Copy, Debug)]
struct Incoming {
    target: u32,
    rel: Rel,
    source: u32,
}

/// What a backed-up relation points to, read from its restore point: an object of the point,
/// or a role, SKU or app name.
#[derive(Clone, Copy, Debug)]
pub enum Linked<'a> {
    /// The object and its position in the point.
    Object(&'a BackedUp, u32),
    Catalogue(u8, &'a Str),
}

impl Linked<'_> {
    pub fn target(&self) -> Target {
        match *self {
            Linked::Object(o, _) => Target::Object(o.id),
            Linked::Catalogue(k, s) => Target::Catalogue(k, s.clone()),
        }
    }
}

impl RestorePoint {
    /// The backed-up relations of `b`, an object of this point, with their targets as ids and
    /// names.
    pub fn rels<'a>(&'a self, b: &BackedUp) -> impl Iterator<Item = (Rel, Target)> + 'a {
        self.links_of(b).map(|(rel, l)| (rel, l.target()))
    }

    /// The backed-up relations of `b` with the objects and names they point to in this point.
    pub fn links_of<'a>(&'a self, b: &BackedUp) -> impl Iterator<Item = (Rel, Linked<'a>)> + 'a {
        let range = b.rels.start as usize..b.rels.end as usize;
        self.links
            .get(range)
            .unwrap_or_default()
            .iter()
            .filter_map(|l| {
                let linked = match l.kind {
                    0 => Linked::Object(self.objects.get(l.at as usize)?, l.at),
                    k => Linked::Catalogue(k - 1, self.catalogue.get(l.at as usize)?),
                };
                Some((l.rel, linked))
            })
    }

    /// The objects of the point with a membership, an ownership or a manager link to each of
    /// the objects at `positions`, by target position: `(relation, position of the member, owner
    /// or direct report)`, in the point's order, memberships before ownerships before direct
    /// reports for each. The point's relations are read once, by the first session that asks,
    /// however many sessions and objects follow.
    fn members_and_owners(&self, positions: &[u32]) -> FxHashMap<u32, Vec<(Rel, u32)>> {
        if positions.is_empty() {
            return FxHashMap::default();
        }
        let incoming = self.incoming.get_or_init(|| {
            let mut v = Vec::new();
            for (i, o) in self.objects.iter().enumerate() {
                for (rel, l) in self.links_of(o) {
                    if matches!(rel, Rel::Member | Rel::Owner | Rel::Manager)
                        && let Linked::Object(_, target) = l
                    {
                        v.push(Incoming {
                            target,
                            rel,
                            source: i as u32,
                        });
                    }
                }
            }
            // Stable: the point's order is kept within each target and relation.
            v.sort_by_key(|x| (x.target, x.rel));
            v
        });
        positions
            .iter()
            .map(|&p| {
                let start = incoming.partition_point(|x| x.target < p);
                let of_p = incoming.get(start..).unwrap_or_default();
                let found = of_p
                    .iter()
                    .take_while(|x| x.target == p)
                    .map(|x| (x.rel, x.source))
                    .collect();
                (p, found)
            })
            .collect()
    }
}

/// The outcome of the most recent restore session, per handle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreSession {
    pub statuses: BTreeMap<String, (Status, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Vdc {
    /// Restore points, shared so that a session reads one without copying it.
    pub points: BTreeMap<String, Arc<RestorePoint>>,
    /// The label of the first backup taken (for `relations: kept`).
    pub first: Option<String>,
    pub last_session: Option<RestoreSession>,
}

/// What a session's relations stage reads, fixed once every selected object exists.
struct Relations<'p> {
    point: &'p RestorePoint,
    /// Objects re-created by the session: backed-up id → new node.
    remap: FxHashMap<Guid, NodeIx>,
    /// The same, the other way: an object re-created by the session stands for its backed-up
    /// id when an overwritten object's relations are compared with the backup.
    backed_up_id: FxHashMap<NodeIx, Guid>,
    /// The members and owners of the groups the session restores, and the direct reports of
    /// its users, by the object's position.
    members: FxHashMap<u32, Vec<(Rel, u32)>>,
    /// Keep Relationships is off and `vdc_licences_and_apps_are_properties` on: only licences and
    /// a user's app role assignments are written.
    properties_only: bool,
}

impl Relations<'_> {
    /// Whether this stage writes (or, overwriting, removes) `rel` of an object of `kind`.
    fn in_scope(&self, kind: Kind, rel: Rel) -> bool {
        !self.properties_only || rel == Rel::Licence || (rel == Rel::App && kind == Kind::User)
    }
}

/// One object's progress through a session.
struct Outcome {
    status: Status,
    reasons: Vec<String>,
    /// The existing object stage 2 overwrote: its relations are made to match the backup once
    /// every selected object exists (VDC-2).
    overwritten: Option<NodeIx>,
}

impl Outcome {
    fn warn(&mut self, why: String) {
        self.status = self.status.max(Status::Warning);
        self.reasons.push(why);
    }
}

impl Vdc {
    /// Keeps restore point `point` under `label` (VDC-1).
    pub(crate) fn keep(&mut self, label: &str, point: RestorePoint, ev: &mut Events) {
        let count = point.objects.len();
        ev.progress("Entra objects", 0, count);
        ev.progress("Entra objects", count, count);
        self.points.insert(label.to_string(), Arc::new(point));
        if self.first.is_none() {
            self.first = Some(label.to_string());
        }
        ev.push_with(|| Event::new(
            K::BackupTaken,
            label,
            R::Vdc1,
            format!("VDC restore point '{label}' holds {count} Entra objects with their properties, relations and object ids"),
        ));
    }

    /// VDC-1: a restore point of every live Entra object as it is now.
    pub(crate) fn restore_point_now(st: &Store, now: Time) -> RestorePoint {
        let mut point = RestorePoint {
            taken: now,
            ..RestorePoint::default()
        };
        // Every live Entra object is backed up, in node order: its position is known before
        // the relations pointing to it are written.
        let live = || {
            st.g.nodes()
                .filter(|n| st.g.entra(*n).is_some_and(EntraObject::is_live))
        };
        let (position, count) = crate::store::graph::positions(st.g.node_bound(), live());
        point.objects.reserve(count as usize);
        let mut names: FxHashMap<Str, u32> = FxHashMap::default();
        let catalogue = &mut point.catalogue;
        let mut name_at = |s: &Str| {
            *names.entry(s.clone()).or_insert_with(|| {
                catalogue.push(s.clone());
                catalogue.len() as u32 - 1
            })
        };
        for n in live() {
            let Some(o) = st.g.entra(n) else { continue };
            let start = point.links.len() as u32;
            for (rel, t) in st.g.out_all(n) {
                if !st.g.is_live(t) {
                    continue;
                }
                let (kind, at) = match st.g.node(t) {
                    Some(Node::Entra(_)) => match position.get(t.index()) {
                        Some(&at) if at != u32::MAX => (0, at),
                        _ => continue,
                    },
                    Some(Node::Role(s)) => (1, name_at(s)),
                    Some(Node::Sku(s)) => (2, name_at(s)),
                    Some(Node::App(s)) => (3, name_at(s)),
                    _ => continue,
                };
                point.links.push(Link { rel, kind, at });
            }
            let i = point.objects.len();
            point.by_handle.push(o.handle, i);
            point.objects.push(BackedUp {
                id: o.id,
                handle: o.handle,
                kind: o.kind,
                group_type: o.group_type,
                synced: o.is_synced(),
                props: o.props.clone(),
                rels: start..point.links.len() as u32,
            });
        }
        point.links.shrink_to_fit();
        point
    }

    pub fn restore_point(&self, label: &str) -> Option<&RestorePoint> {
        self.points.get(label).map(|p| p.as_ref())
    }

    pub fn last_restore(&self) -> Option<&RestoreSession> {
        self.last_session.as_ref()
    }

    pub(crate) fn unknown_backup(&self, label: &str) -> EngineError {
        EngineError::UnknownBackup {
            label: label.to_string(),
            known: self.points.keys().cloned().collect::<Vec<_>>().join(", "),
        }
    }

    /// A VDC restore session (VDC-2): groups first, then users, so that users' memberships can
    /// reach groups re-created in the same session.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restore(
        &mut self,
        st: &mut Store,
        entra: &mut Entra,
        users: &[HandleId],
        groups: &[HandleId],
        from: &str,
        opts: RestoreOptions,
        settings: &Settings,
        ev: &mut Events,
    ) -> Result<()> {
        let point = self
            .points
            .get(from)
            .cloned()
            .ok_or_else(|| self.unknown_backup(from))?;
        let mut session = RestoreSession::default();
        // VDC-9: a session of more items than Veeam takes is refused before anything is written.
        let items = users.len() + groups.len();
        let limit = settings.vdc_session_limit as usize;
        if items > limit {
            ev.push_with(|| Event::new(
                K::RestoreFailed,
                "restore",
                R::Vdc9,
                format!("the restore session holds {items} items, more than the {limit} one session takes: nothing was restored; split it into sessions of at most {limit}"),
            ));
            let why = format!("the session held {items} items, more than {limit}");
            for (kind, &h) in groups
                .iter()
                .map(|g| (Kind::Group, g))
                .chain(users.iter().map(|u| (Kind::User, u)))
            {
                let h = handle(st, h, kind)?;
                session.statuses.insert(
                    st.handles.name(h).to_string(),
                    (Status::Failed, why.clone()),
                );
            }
            self.last_session = Some(session);
            return Ok(());
        }
        let mut work = Session {
            st,
            entra,
            settings,
        };
        // Objects re-created by this session: backed-up id → new node.
        let mut remap: FxHashMap<Guid, NodeIx> = FxHashMap::default();
        let selected: Vec<(Kind, HandleId)> = groups
            .iter()
            .map(|g| (Kind::Group, *g))
            .chain(users.iter().map(|u| (Kind::User, *u)))
            .collect();
        // The names are read from the handles the session started with, however many it
        // restores.
        let handles = std::sync::Arc::clone(&work.st.handles);
        let mut restored = Vec::new();
        let total = selected.len();
        for (done, (kind, h)) in selected.into_iter().enumerate() {
            ev.progress("objects", done, total);
            let h = handle(work.st, h, kind)?;
            let name = handles.name_str(h);
            let idx = point.by_handle.get(&h).unwrap_or_default();
            if idx.is_empty() {
                ev.push_with(|| {
                    Event::new(
                        K::RestoreFailed,
                        name.as_str(),
                        R::Vdc5,
                        format!("{name} is not in restore point '{from}': nothing to restore"),
                    )
                });
                session.statuses.insert(
                    name.to_string(),
                    (Status::Failed, format!("not in restore point '{from}'")),
                );
                continue;
            }
            for &i in idx {
                let Some(b) = point.objects.get(i) else {
                    continue;
                };
                let out = work.restore_one(b, opts, &mut remap, ev);
                restored.push((name.clone(), i, out));
            }
        }
        ev.progress("objects", total, total);
        // The members and owners of the groups whose relations are written, and the direct
        // reports of the users (VDC-7), found in one pass.
        let targets: Vec<u32> = restored
            .iter()
            .filter(|(_, _, out)| opts.keep_relationships && out.status != Status::Failed)
            .map(|(_, i, _)| *i as u32)
            .collect();
        let properties_only =
            !opts.keep_relationships && settings.vdc_licences_and_apps_are_properties;
        let stage = Relations {
            point: &point,
            members: point.members_and_owners(&targets),
            properties_only,
            backed_up_id: remap.iter().map(|(id, node)| (*node, *id)).collect(),
            remap,
        };
        // Relations of re-created and overwritten objects are written once every selected
        // object exists, so that they reach objects re-created in the same session.
        let total = restored.len();
        for (done, (name, i, mut out)) in restored.into_iter().enumerate() {
            ev.progress("relations", done, total);
            if out.status != Status::Failed && (opts.keep_relationships || properties_only) {
                if let Some(&n) = point.objects.get(i).and_then(|b| stage.remap.get(&b.id)) {
                    work.restore_relations(n, i, &stage, &mut out, ev);
                } else if let Some(n) = out.overwritten {
                    work.overwrite_relations(n, i, &stage, &mut out, ev);
                }
            }
            let reason = if out.reasons.is_empty() {
                "everything written".to_string()
            } else {
                out.reasons.join("; ")
            };
            ev.push_with(|| {
                Event::new(
                    K::RestoreStatus,
                    name.as_str(),
                    R::Vdc5,
                    format!("{name}: {} ({reason})", out.status.name()),
                )
            });
            let entry = session
                .statuses
                .entry(name.to_string())
                .or_insert((Status::Success, String::new()));
            if out.status >= entry.0 {
                *entry = (out.status, reason);
            }
        }
        ev.progress("relations", total, total);
        self.last_session = Some(session);
        Ok(())
    }
}

mod session;

use session::Session;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::USER_PROPS;

    #[test]
    fn vdc_6_lacking_properties_are_the_catalogue_rows_vdc_does_not_restore() {
        let lacking: Vec<&str> = USER_PROPS
            .iter()
            .filter(|r| !vdc_restores(r.prop))
            .map(|r| r.prop.name())
            .collect();
        assert_eq!(
            lacking,
            [
                "proxyAddresses",
                "onPremisesSamAccountName",
                "onPremisesSecurityIdentifier",
                "onPremisesDistinguishedName",
                "onPremisesDomainName",
                "onPremisesSyncEnabled"
            ]
        );
        // In the catalogue's order, so that an overwrite writes them as it always did.
        let restored: Vec<EntraProp> = USER_PROPS
            .iter()
            .map(|r| r.prop)
            .filter(|p| vdc_restores(*p))
            .collect();
        assert_eq!(restored, RESTORED_PROPS);
    }
}
