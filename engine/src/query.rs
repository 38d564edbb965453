//! Questions a runner or a tool asks of the world: the state of an identity in each directory,
//! its relations and properties, and what it had at a backup.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::Result;
use crate::store::*;
use crate::vdc::Linked;
use crate::world::World;

/// Where a handle stands in Entra ID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntraPresence {
    Live,
    SoftDeleted,
    Absent,
}

/// Where a handle stands in AD.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdPresence {
    Live,
    Deleted,
    Recycled,
    Absent,
}

/// One Entra relation of an identity, named for people: the kind (`group`, `owns`, `role`,
/// `license`, `app`, `manager`) and the target's handle or name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct RelFact {
    pub kind: &'static str,
    pub target: String,
}

impl std::fmt::Display for RelFact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.target)
    }
}

fn rel_kind(rel: Rel) -> Option<&'static str> {
    Some(match rel {
        Rel::Member => "group",
        Rel::Owner => "owns",
        Rel::Role => "role",
        Rel::Licence => "license",
        Rel::App => "app",
        Rel::Manager => "manager",
        Rel::Join => return None,
    })
}

impl World {
    pub fn handle_id(&self, name: &str) -> Option<HandleId> {
        self.st.handles.get(name)
    }

    pub fn entra_presence(&self, h: HandleId) -> Result<EntraPresence> {
        if crate::entra::live(&self.st, h)?.is_some() {
            return Ok(EntraPresence::Live);
        }
        Ok(if crate::entra::soft_deleted_of(&self.st, h).is_empty() {
            EntraPresence::Absent
        } else {
            EntraPresence::SoftDeleted
        })
    }

    pub fn ad_presence(&self, h: HandleId) -> AdPresence {
        match self
            .ad_current(h)
            .and_then(|n| self.st.g.ad(n))
            .map(|o| o.state)
        {
            Some(AdState::Live) => AdPresence::Live,
            Some(AdState::Deleted { .. } | AdState::Tombstone { .. }) => AdPresence::Deleted,
            Some(AdState::Recycled { .. }) => AdPresence::Recycled,
            _ => AdPresence::Absent,
        }
    }

    /// A live Entra user joined to a live AD user, with `onPremisesSyncEnabled` true.
    pub fn hybrid(&self, h: HandleId) -> Result<bool> {
        let Some(e) = crate::entra::live(&self.st, h)? else {
            return Ok(false);
        };
        let joined_live = self
            .st
            .g
            .joined_ad(e)
            .and_then(|a| self.st.g.ad(a))
            .is_some_and(AdObject::is_live);
        Ok(joined_live && self.st.g.entra(e).is_some_and(EntraObject::is_synced))
    }

    /// The id of the handle's first Entra object.
    pub fn original_object_id(&self, h: HandleId) -> Option<Guid> {
        self.st
            .objects
            .entra(h)
            .first()
            .and_then(|n| self.st.g.entra(*n))
            .map(|o| o.id)
    }

    /// The id of the live Entra object of a handle.
    pub fn object_id(&self, h: HandleId) -> Result<Option<Guid>> {
        Ok(self
            .entra_live(h)?
            .and_then(|n| self.st.g.entra(n))
            .map(|o| o.id))
    }

    /// The objectGUID of the handle's first AD object, and of its current one.
    pub fn original_object_guid(&self, h: HandleId) -> Option<Guid> {
        self.st
            .objects
            .ad(h)
            .first()
            .and_then(|n| self.st.g.ad(*n))
            .map(|o| o.guid)
    }
    pub fn object_guid(&self, h: HandleId) -> Option<Guid> {
        crate::ad::current(&self.st, h)
            .and_then(|n| self.st.g.ad(n))
            .map(|o| o.guid)
    }

    fn live_targets(&self, n: NodeIx, rel: Rel) -> BTreeSet<String> {
        self.st
            .g
            .live_out(n, rel)
            .filter_map(|t| match self.st.g.node(t)? {
                Node::Entra(o) => Some(self.st.name_of(o.handle).to_string()),
                Node::Ad(o) => Some(self.st.name_of(o.handle).to_string()),
                Node::Role(s) | Node::Sku(s) | Node::App(s) => Some(s.to_string()),
            })
            .collect()
    }

    /// The live Entra relations of a handle's live object: `groups`, `owns`, `roles`, `apps`;
    /// `licenses` direct and inherited (ENTRA-6).
    pub fn entra_relation(&self, h: HandleId, what: &str) -> Result<BTreeSet<String>> {
        let Some(n) = crate::entra::live(&self.st, h)? else {
            return Ok(BTreeSet::new());
        };
        Ok(match what {
            "groups" => self.live_targets(n, Rel::Member),
            "owns" => self.live_targets(n, Rel::Owner),
            "roles" => self.live_targets(n, Rel::Role),
            "apps" => self.live_targets(n, Rel::App),
            "licenses" => crate::entra::licences_of(&self.st, n),
            "manager" => self.live_targets(n, Rel::Manager),
            _ => BTreeSet::new(),
        })
    }

    /// The Entra manager's handle.
    pub fn entra_manager(&self, h: HandleId) -> Result<Option<String>> {
        Ok(self.entra_relation(h, "manager")?.into_iter().next())
    }

    /// The AD group memberships of the handle's current AD object.
    pub fn ad_groups(&self, h: HandleId) -> BTreeSet<String> {
        crate::ad::current(&self.st, h)
            .map(|n| self.live_targets(n, Rel::Member))
            .unwrap_or_default()
    }

    pub fn ad_manager(&self, h: HandleId) -> Option<String> {
        crate::ad::current(&self.st, h)
            .and_then(|n| self.live_targets(n, Rel::Manager).into_iter().next())
    }

    /// An Entra property of the handle's live object.
    pub fn entra_property(&self, h: HandleId, p: EntraProp) -> Result<Option<Value>> {
        Ok(self
            .entra_live(h)?
            .and_then(|n| self.st.g.entra(n))
            .and_then(|o| o.props.get(p).cloned()))
    }

    /// An AD attribute of the handle's current AD object.
    pub fn ad_property(&self, h: HandleId, a: AdAttr) -> Option<Value> {
        crate::ad::current(&self.st, h)
            .and_then(|n| self.st.g.ad(n))
            .and_then(|o| o.attr(a))
    }

    /// How many live Entra objects carry the handle.
    pub fn count(&self, h: HandleId) -> usize {
        self.st
            .objects
            .entra(h)
            .iter()
            .filter(|n| self.st.g.is_live(**n))
            .count()
    }

    /// The live relations of the handle, as facts.
    pub fn relation_facts(&self, h: HandleId) -> Result<BTreeSet<RelFact>> {
        let Some(n) = crate::entra::live(&self.st, h)? else {
            return Ok(BTreeSet::new());
        };
        Ok(self.relation_facts_of(n))
    }

    /// The live Entra relations of one Entra object (empty when it is not live).
    pub fn relation_facts_of(&self, n: NodeIx) -> BTreeSet<RelFact> {
        let mut out = BTreeSet::new();
        for rel in [Rel::Member, Rel::Owner, Rel::Role, Rel::App, Rel::Manager] {
            for t in self.live_targets(n, rel) {
                out.insert(RelFact {
                    kind: rel_kind(rel).unwrap_or("?"),
                    target: t,
                });
            }
        }
        for l in crate::entra::licences_of(&self.st, n) {
            out.insert(RelFact {
                kind: "license",
                target: l,
            });
        }
        out
    }

    /// Whether the handle had an Entra object in a restore point.
    pub fn backed_up(&self, h: HandleId, label: &str) -> bool {
        self.vdc
            .restore_point(label)
            .is_some_and(|p| p.by_handle.get(&h).is_some_and(|i| !i.is_empty()))
    }

    /// The relations the handle had in a restore point (direct and group-inherited licences).
    pub fn relation_facts_at(&self, h: HandleId, label: &str) -> BTreeSet<RelFact> {
        let Some(point) = self.vdc.restore_point(label) else {
            return BTreeSet::new();
        };
        let mut out = BTreeSet::new();
        let name_of = |l: &Linked| match l {
            Linked::Object(o, _) => self.st.name_of(o.handle).to_string(),
            Linked::Catalogue(_, s) => s.to_string(),
        };
        for i in point.by_handle.get(&h).into_iter().flatten() {
            let Some(o) = point.objects.get(*i) else {
                continue;
            };
            for (rel, l) in point.links_of(o) {
                let Some(kind) = rel_kind(rel) else {
                    continue;
                };
                out.insert(RelFact {
                    kind,
                    target: name_of(&l),
                });
                if rel == Rel::Member
                    && let Linked::Object(g, _) = l
                {
                    for (grel, gl) in point.links_of(g) {
                        if grel == Rel::Licence {
                            out.insert(RelFact {
                                kind: "license",
                                target: name_of(&gl),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// The label of the first backup taken in the run.
    pub fn first_backup(&self) -> Option<&str> {
        self.vdc.first.as_deref()
    }

    /// The Entra UPN of the handle's live object.
    pub fn upn(&self, h: HandleId) -> Result<Option<String>> {
        Ok(self
            .entra_live(h)?
            .and_then(|n| self.st.g.entra(n))
            .and_then(|o| o.upn().map(str::to_string)))
    }
}

/// One Entra property whose value differs between a backup and now (`None`: no value).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct PropChange {
    pub property: EntraProp,
    pub backup: Option<Value>,
    pub now: Option<Value>,
}

/// What became of one identity since a backup: its Entra relations kept, lost and gained, and
/// the Entra properties whose values changed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Delta {
    pub handle: String,
    /// Whether a live Entra object carries the handle now.
    pub live: bool,
    pub kept: Vec<RelFact>,
    pub lost: Vec<RelFact>,
    pub gained: Vec<RelFact>,
    /// Properties of the backed-up object whose live values differ (only when a live object
    /// exists: a deleted identity has lost its relations, not changed its properties).
    pub properties: Vec<PropChange>,
    /// Set when several live objects carry the handle, so that "now" is not one object: the
    /// lists are then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ambiguous: Option<String>,
}

/// The end state of a run measured against its first backup: one [`Delta`] per identity that
/// had Entra relations in that backup, by handle name.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Verdict {
    /// The label of the backup compared with.
    pub backup: String,
    pub deltas: Vec<Delta>,
}

/// Values compare as the same shape; lists as sets (an address list reordered is not a change).
pub(crate) fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.map(Value::view), b.map(Value::view)) {
        (Some(ValueRef::List(x)), Some(ValueRef::List(y))) => {
            x.iter().collect::<BTreeSet<_>>() == y.iter().collect::<BTreeSet<_>>()
        }
        _ => a == b,
    }
}

impl World {
    /// The run measured against its first backup: `None` when no backup was taken. Costs the
    /// objects in that backup, not the tenant.
    pub fn verdict(&self) -> Option<Verdict> {
        let label = self.first_backup()?;
        let point = self.vdc.restore_point(label)?;
        let mut deltas: Vec<Delta> = point
            .by_handle
            .iter()
            .filter_map(|(h, objects)| self.delta(h, label, objects))
            .collect();
        deltas.sort_by(|a, b| a.handle.cmp(&b.handle));
        Some(Verdict {
            backup: label.to_string(),
            deltas,
        })
    }

    /// One handle's [`Delta`] against the restore point `label`; `None` when it had no relations
    /// there. `objects` are the handle's entries in that restore point.
    fn delta(&self, h: HandleId, label: &str, objects: &[usize]) -> Option<Delta> {
        let before = self.relation_facts_at(h, label);
        if before.is_empty() {
            return None;
        }
        let mut d = Delta {
            handle: self.st.name_of(h).to_string(),
            live: false,
            kept: Vec::new(),
            lost: Vec::new(),
            gained: Vec::new(),
            properties: Vec::new(),
            ambiguous: None,
        };
        let (now, live) = match (self.relation_facts(h), crate::entra::live(&self.st, h)) {
            (Ok(now), Ok(live)) => (now, live.and_then(|n| self.st.g.entra(n))),
            (Err(e), _) | (_, Err(e)) => {
                d.ambiguous = Some(e.to_string());
                return Some(d);
            }
        };
        d.live = live.is_some();
        d.kept = before.intersection(&now).cloned().collect();
        d.lost = before.difference(&now).cloned().collect();
        d.gained = now.difference(&before).cloned().collect();
        let backed_up = self
            .restore_point(label)
            .and_then(|p| objects.first().and_then(|i| p.objects.get(*i)));
        if let (Some(live), Some(backed_up)) = (live, backed_up) {
            for p in EntraProp::ALL.iter().copied() {
                let (b, n) = (backed_up.props.get(p), live.props.get(p));
                if !same_value(b, n) {
                    d.properties.push(PropChange {
                        property: p,
                        backup: b.cloned(),
                        now: n.cloned(),
                    });
                }
            }
        }
        Some(d)
    }
}

impl World {
    /// The live Entra object carrying a handle: `None` when there is none; an error naming the
    /// object ids when there are several.
    pub fn entra_live(&self, h: HandleId) -> Result<Option<NodeIx>> {
        crate::entra::live(&self.st, h)
    }

    /// The AD object of a handle: the live one, else the newest that still exists in some form.
    pub fn ad_current(&self, h: HandleId) -> Option<NodeIx> {
        crate::ad::current(&self.st, h)
    }

    /// The most recent sync cycle's result.
    pub fn last_cycle(&self) -> Option<&crate::sync::CycleResult> {
        self.sync.last.as_ref()
    }

    /// Whether an AD object is in the sync's scope (SYNC-2).
    pub fn in_scope(&self, n: NodeIx) -> bool {
        self.sync.in_scope(&self.st, n)
    }

    pub fn restore_point(&self, label: &str) -> Option<&crate::vdc::RestorePoint> {
        self.vdc.restore_point(label)
    }

    /// The labels of the restore points taken so far, in label order.
    pub fn restore_labels(&self) -> Vec<&str> {
        self.vdc.points.keys().map(String::as_str).collect()
    }
    pub fn last_restore(&self) -> Option<&crate::vdc::RestoreSession> {
        self.vdc.last_restore()
    }

    /// The licences a live user holds, direct and group-based (ENTRA-6).
    pub fn licences_of(&self, n: NodeIx) -> std::collections::BTreeSet<String> {
        crate::entra::licences_of(&self.st, n)
    }

    /// The distinguished name of an AD object.
    pub fn distinguished_name(&self, o: &AdObject) -> Str {
        crate::ad::distinguished_name(&self.names, o)
    }
}

/// A set of identities a scenario step or check names, picked when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// These handles, as listed.
    Handles(Vec<HandleId>),
    /// Identities whose AD object is in the OU: the live one, else the last one they had.
    Ou(Str),
    /// The live members of the group's live object in the directory.
    MemberOf(HandleId, Directory),
    /// Every identity the run has created.
    All,
}

impl World {
    /// The identities of `kind` that `s` picks now, in the order the run created them (a list
    /// keeps its own order). An error when the group of `MemberOf` has several live objects.
    pub fn select(&self, kind: Kind, s: &Select) -> Result<Vec<HandleId>> {
        let of_kind = |h: &HandleId| self.st.handles.kind(*h) == Some(kind);
        let every = (0..self.st.handles.len())
            .filter_map(|i| u32::try_from(i).ok())
            .map(HandleId)
            .filter(of_kind);
        Ok(match s {
            Select::Handles(list) => list.iter().copied().filter(of_kind).collect(),
            Select::All => every
                .filter(|h| {
                    !self.st.objects.ad(*h).is_empty() || !self.st.objects.entra(*h).is_empty()
                })
                .collect(),
            Select::Ou(ou) => every
                .filter(|h| {
                    crate::ad::current(&self.st, *h)
                        .or_else(|| self.st.objects.ad(*h).last().copied())
                        .and_then(|n| self.st.g.ad(n))
                        .is_some_and(|o| o.ou == *ou)
                })
                .collect(),
            Select::MemberOf(group, dir) => {
                let node = match dir {
                    Directory::Entra => crate::entra::live(&self.st, *group)?,
                    Directory::Ad => crate::ad::live_of(&self.st, *group),
                };
                let mut members: Vec<HandleId> = node
                    .into_iter()
                    .flat_map(|n| self.st.g.live_inc(n, Rel::Member))
                    .filter_map(|m| match self.st.g.node(m)? {
                        Node::Entra(o) => Some(o.handle),
                        Node::Ad(o) => Some(o.handle),
                        _ => None,
                    })
                    .filter(of_kind)
                    .collect();
                members.sort_unstable();
                members.dedup();
                members
            }
        })
    }
}
