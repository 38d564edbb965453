//! Microsoft Entra Connect Sync: scope (SYNC-2), anchors (SYNC-1), matching (SYNC-3..5),
//! provisioning (SYNC-6), attribute flow (SYNC-7), deletes and the threshold (SYNC-8), duplicate
//! attribute resiliency (SYNC-9), re-adds (SYNC-10) and delta/initial cycles (SYNC-11).

use std::collections::BTreeSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use thin_vec::ThinVec;

use crate::ad::distinguished_name;
use crate::catalogue::{Source, USER_PROPS};
use crate::clock::Clock;
use crate::entra::{Entra, Unique, flows, licence_events, proxy_key, set_service};
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::settings::{Names, Settings, SoftMatchConflict, SourceAnchor};
use crate::store::*;

/// A sync cycle's kind (SYNC-11).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CycleKind {
    #[default]
    Delta,
    Initial,
}

/// How a cycle's export ended (SYNC-8).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Export {
    Completed,
    StoppedDeletionThresholdExceeded,
}

impl Export {
    pub fn name(self) -> &'static str {
        match self {
            Export::Completed => "completed",
            Export::StoppedDeletionThresholdExceeded => "stopped-deletion-threshold-exceeded",
        }
    }
}

/// The error codes of Entra Connect, named as Microsoft names them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub enum ErrorCode {
    InvalidHardMatch,
    InvalidSoftMatch,
    AttributeValueMustBeUnique,
    QuarantinedAttributeValueMustBeUnique,
    ExistingAdminRoleConflict,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidHardMatch,
        ErrorCode::InvalidSoftMatch,
        ErrorCode::AttributeValueMustBeUnique,
        ErrorCode::QuarantinedAttributeValueMustBeUnique,
        ErrorCode::ExistingAdminRoleConflict,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidHardMatch => "InvalidHardMatch",
            ErrorCode::InvalidSoftMatch => "InvalidSoftMatch",
            ErrorCode::AttributeValueMustBeUnique => "AttributeValueMustBeUnique",
            ErrorCode::QuarantinedAttributeValueMustBeUnique => {
                "QuarantinedAttributeValueMustBeUnique"
            }
            ErrorCode::ExistingAdminRoleConflict => "ExistingAdminRoleConflict",
        }
    }
    pub fn from_name(s: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.name() == s)
    }
}

impl ErrorCode {
    /// The code Entra Connect reports for a conflict recorded on an object: every one is a
    /// quarantined value (SYNC-9).
    pub fn of_recorded(_: &ProvisioningError) -> ErrorCode {
        ErrorCode::QuarantinedAttributeValueMustBeUnique
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the most recent cycle did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleResult {
    pub kind: CycleKind,
    pub export: Export,
    pub errors: BTreeSet<ErrorCode>,
    pub processed: usize,
    pub adds: usize,
    pub updates: usize,
    pub deletes: usize,
}

/// Microsoft Entra Connect Sync's own state: the OU filter and the last cycle's result. What
/// changed since the last cycle (its watermark, SYNC-11) is the store's [`Changes`].
#[derive(Clone, Debug, Default)]
pub struct SyncEngine {
    /// The OU filter as configured.
    pub configured_ous: OuFilter,
    /// The OU filter in effect: the configured one as of the last initial cycle (SYNC-2).
    pub applied_ous: OuFilter,
    pub last: Option<CycleResult>,
}

/// A sync cycle at work: the engine's state, the two directories it reads and writes (AD's
/// objects are in the store; Entra ID is written through its rules) and the configuration.
struct Cycle<'a> {
    eng: &'a mut SyncEngine,
    st: &'a mut Store,
    entra: &'a mut Entra,
    clock: &'a mut Clock,
    settings: &'a Settings,
    names: &'a Names,
}

impl SyncEngine {
    pub fn in_scope_ou(&self, ou: &str) -> bool {
        self.applied_ous.contains(ou)
    }
}

/// Entra Connect's OU filter (SYNC-2): the OUs listed (`sync_ous`), or every OU but those listed.
///
/// Every OU is the filter with none left out. Leaving OUs out of it keeps new OUs in scope, as
/// the configuration the installation wizard always creates does: "New OUs that are created
/// after filtering has been configured are synchronized by default"
/// (<https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering>,
/// "Synchronize new OUs"). A list (`sync_ous`) is the other configuration the page describes,
/// where a new OU is not synchronized until it is selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OuFilter {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl Default for OuFilter {
    fn default() -> Self {
        Self::AllBut(BTreeSet::new())
    }
}

impl OuFilter {
    pub fn contains(&self, ou: &str) -> bool {
        match self {
            Self::Only(s) => s.contains(ou),
            Self::AllBut(s) => !s.contains(ou),
        }
    }

    /// Puts `ou` in scope.
    pub fn add(&mut self, ou: &str) {
        match self {
            Self::Only(s) => {
                s.insert(ou.to_string());
            }
            Self::AllBut(s) => {
                s.remove(ou);
            }
        }
    }

    /// Takes `ou` out of scope.
    pub fn remove(&mut self, ou: &str) {
        match self {
            Self::Only(s) => {
                s.remove(ou);
            }
            Self::AllBut(s) => {
                s.insert(ou.to_string());
            }
        }
    }
}

impl std::fmt::Display for OuFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list =
            |s: &BTreeSet<String>| s.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        match self {
            Self::Only(s) => write!(f, "[{}]", list(s)),
            Self::AllBut(s) if s.is_empty() => f.write_str("every OU"),
            Self::AllBut(s) => write!(f, "every OU except [{}], new OUs included", list(s)),
        }
    }
}

/// How many objects ahead of the one being exported an add's lookups are fetched
/// ([`Cycle::prefetch_add`]).
const ADD_AHEAD: usize = 4;

/// A stage of [`Cycle::prefetch_manager`].
#[derive(Clone, Copy)]
enum ReferenceStage {
    Object,
    Attributes,
    Joined,
}

const REFERENCE_STAGES: [ReferenceStage; 3] = [
    ReferenceStage::Object,
    ReferenceStage::Attributes,
    ReferenceStage::Joined,
];

/// What a cycle does with one AD object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Add { rejoin: bool },
    Update(NodeIx),
    Delete(NodeIx),
    Disconnect(NodeIx),
}

/// A flow written into an Entra object, for [`Cycle::flow_outcome`]: the object's name, its
/// provisioning errors before and after, its properties before, and the properties written.
struct Flow<'a> {
    name: &'a str,
    old_errors: &'a [ProvisioningError],
    new_errors: ThinVec<ProvisioningError>,
    before: &'a PropMap<EntraProp>,
    written: &'a [EntraProp],
}

/// The properties a flow writes, for describing it afterwards.
fn written_keys(want: &[(EntraProp, Option<Value>)]) -> smallvec::SmallVec<[EntraProp; 32]> {
    want.iter().map(|(p, _)| *p).collect()
}

/// The reference phase's work in node order, each node once: an object flowed whole (`refs`,
/// sorted) or a group with only its changed members (`members`, sorted: the range of its pairs).
/// Read as it goes: an initial cycle's work is every object.
#[derive(Clone)]
struct ReferenceWork<'a> {
    refs: &'a [NodeIx],
    members: &'a [(NodeIx, NodeIx)],
    /// Pairs of `members` already read.
    read: usize,
}

impl Iterator for ReferenceWork<'_> {
    type Item = (NodeIx, Option<Range<usize>>);

    fn next(&mut self) -> Option<Self::Item> {
        let next_ref = self.refs.first().copied();
        let rest = self.members.get(self.read..).unwrap_or_default();
        let next_group = rest.first().map(|(grp, _)| *grp);
        let n = next_ref.into_iter().chain(next_group).min()?;
        let start = self.read;
        self.read += rest.iter().take_while(|(grp, _)| *grp == n).count();
        if next_ref == Some(n) {
            self.refs = self.refs.get(1..).unwrap_or_default();
            Some((n, None))
        } else {
            Some((n, Some(start..self.read)))
        }
    }
}

/// How an add found (or made) its Entra object.
enum Outcome {
    Joined(NodeIx),
    Failed,
}

impl SyncEngine {
    /// Sets the OU filter as configured and in effect (the world's `sync_ous`).
    pub fn set_sync_ous(&mut self, ous: Option<Vec<String>>) {
        let filter = match ous {
            Some(v) => OuFilter::Only(v.into_iter().collect()),
            None => OuFilter::default(),
        };
        self.configured_ous = filter.clone();
        self.applied_ous = filter;
    }

    /// The most recent cycle's result.
    pub fn last_cycle(&self) -> Option<&CycleResult> {
        self.last.as_ref()
    }

    /// SYNC-2: in scope when live, in a synced OU and with a sAMAccountName. Its text is not
    /// read: a cycle asks this of every manager, and reading the text costs a cache miss each.
    pub fn in_scope(&self, st: &Store, n: NodeIx) -> bool {
        st.g.ad(n).is_some_and(|o| {
            o.is_live() && o.attrs.str(AdAttr::SamAccountName).is_some() && self.in_scope_ou(&o.ou)
        })
    }

    /// `scope`: changes the configured OU filter; it takes effect at the next initial cycle
    /// (SYNC-2, SYNC-11).
    pub(crate) fn scope(&mut self, add: &[String], remove: &[String], ev: &mut Events) {
        let filter = &mut self.configured_ous;
        for a in add {
            filter.add(a);
        }
        for r in remove {
            filter.remove(r);
        }
        ev.push_with(|| Event::new(
            K::ScopeChanged,
            "sync",
            R::Sync2,
            format!("Entra Connect's OU filter is now {filter}; it takes effect at the next initial cycle"),
        ));
    }

    /// One Entra Connect cycle (SYNC-11) over the directories in `st`, writing Entra ID through
    /// `entra`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn cycle(
        &mut self,
        st: &mut Store,
        entra: &mut Entra,
        clock: &mut Clock,
        settings: &Settings,
        names: &Names,
        kind: CycleKind,
        ev: &mut Events,
    ) {
        Cycle {
            eng: self,
            st,
            entra,
            clock,
            settings,
            names,
        }
        .run(kind, ev)
    }
}

impl Cycle<'_> {
    /// One Entra Connect cycle (SYNC-11): import both sides, plan adds, updates and deletes,
    /// apply the deletion threshold (SYNC-8), export.
    fn run(&mut self, kind: CycleKind, ev: &mut Events) {
        let mut members = std::mem::take(&mut self.st.changes.members);
        // The objects changed themselves: a group among them has its whole membership flowed.
        let mut changed: Vec<NodeIx> = std::mem::take(&mut self.st.changes.dirty);
        let candidates: Vec<NodeIx> = match kind {
            // Every AD object, in node order; the changed ones are among them.
            CycleKind::Initial => {
                self.eng.applied_ous = self.eng.configured_ous.clone();
                changed = Vec::new();
                members = Vec::new();
                self.st
                    .g
                    .nodes()
                    .filter(|n| self.st.g.ad(*n).is_some())
                    .collect()
            }
            // The changed objects and the groups with changed members.
            CycleKind::Delta => {
                in_order(&mut changed);
                let mut candidates = changed.clone();
                candidates.extend(members.iter().map(|(grp, _)| *grp));
                in_order(&mut candidates);
                candidates
            }
        };
        let whole = |n: NodeIx| kind == CycleKind::Initial || changed.binary_search(&n).is_ok();
        let plan: Vec<(NodeIx, Plan)> = candidates
            .iter()
            .flat_map(|n| self.plan(*n).map(|p| (*n, p)))
            .collect();
        let deletes = plan
            .iter()
            .filter(|(_, p)| matches!(p, Plan::Delete(_)))
            .count();
        let mut result = CycleResult {
            kind,
            export: Export::Completed,
            errors: BTreeSet::new(),
            processed: candidates.len(),
            adds: 0,
            updates: 0,
            deletes: 0,
        };
        if let Some(t) = self.settings.deletion_threshold
            && deletes > t as usize
        {
            // SYNC-8: nothing is exported; the work stays pending for the next cycle.
            self.st.changes.dirty.extend(plan.iter().map(|(n, _)| *n));
            result.export = Export::StoppedDeletionThresholdExceeded;
            ev.push_with(|| Event::new(
                K::ExportStopped,
                "sync",
                R::Sync8,
                format!(
                    "the cycle would delete {deletes} objects, more than the deletion threshold of {t}: the whole export stopped (stopped-deletion-threshold-exceeded), nothing was added, changed or deleted"
                ),
            ));
            self.eng.last = Some(result);
            return;
        }
        let mut refs: Vec<NodeIx> = Vec::new();
        let total = plan.len();
        for (i, &(n, p)) in plan.iter().enumerate() {
            ev.progress("export", i, total);
            if let Some((ahead, Plan::Add { .. })) = plan.get(i + ADD_AHEAD) {
                self.prefetch_add(*ahead);
            }
            match p {
                Plan::Delete(e) => {
                    self.sync_delete(n, e, ev);
                    result.deletes += 1;
                }
                Plan::Disconnect(e) => {
                    self.st.g.unlink(n, e, Rel::Join);
                    let name = self.ad_name(n);
                    let how = match self.st.g.entra(e).map(|o| o.state) {
                        Some(EntraState::Purged) => "deleted in the cloud and is gone for good",
                        _ => "deleted in the cloud and is in the recycle bin",
                    };
                    ev.push_with(|| {
                        Event::new(
                            K::Disconnected,
                            &name,
                            R::Sync10,
                            format!("the Entra object of {name} was {how}: the join is removed and, in scope, the AD object is added again"),
                        )
                    });
                }
                Plan::Add { rejoin } => {
                    result.adds += 1;
                    match self.sync_add(n, rejoin, &mut result.errors, ev) {
                        Outcome::Joined(e) => {
                            // An initial cycle flows every group whole: no member to record.
                            let members = (kind == CycleKind::Delta).then_some(&mut members);
                            self.collect_refs(n, e, &mut refs, members);
                        }
                        // SYNC-11: a failed export stays pending and is retried by every cycle,
                        // delta or initial, until it succeeds.
                        Outcome::Failed => self.st.touch(n),
                    }
                }
                Plan::Update(e) => {
                    result.updates += 1;
                    self.sync_flow(n, e, &mut result.errors, ev);
                    if whole(n) {
                        refs.push(n);
                    }
                }
            }
        }
        ev.progress("export", total, total);
        in_order(&mut refs);
        members.sort_unstable();
        members.dedup();
        let mut work = ReferenceWork {
            refs: &refs,
            members: &members,
            read: 0,
        };
        let total = work.clone().count();
        let mut i = 0;
        while let Some((n, only)) = work.next() {
            ev.progress("references", i, total);
            for (stage, ahead) in REFERENCE_STAGES.into_iter().zip([5, 3, 1]) {
                if let Some(&next) = work.refs.get(ahead) {
                    self.prefetch_manager(next, stage);
                }
            }
            self.flow_references(n, only.and_then(|r| members.get(r)), ev);
            i += 1;
        }
        ev.progress("references", total, total);
        let errors: Vec<&str> = result.errors.iter().map(|e| e.name()).collect();
        ev.push_with(|| {
            Event::new(
                K::CycleCompleted,
                "sync",
                R::Sync11,
                format!(
                    "{} cycle processed {} AD objects: {} adds, {} updates, {} deletes exported{}",
                    match kind {
                        CycleKind::Delta => "delta",
                        CycleKind::Initial => "initial",
                    },
                    result.processed,
                    result.adds,
                    result.updates,
                    result.deletes,
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!("; errors: {}", errors.join(", "))
                    }
                ),
            )
        });
        self.eng.last = Some(result);
    }

    fn ad_name(&self, n: NodeIx) -> Str {
        self.st
            .g
            .ad(n)
            .map(|o| self.st.name_of(o.handle))
            .unwrap_or_default()
    }

    /// The name of AD object `n` for the events of `ev` ([`Cycle::event_name_of`]).
    fn event_name(&self, n: NodeIx, ev: &Events) -> Str {
        self.st
            .g
            .ad(n)
            .map(|o| self.st.name_if(o.handle, ev.detail()))
            .unwrap_or_default()
    }

    /// Plans one AD object. A join to an Entra object deleted in the cloud is removed and the
    /// object added again (SYNC-10).
    fn plan(&self, n: NodeIx) -> impl Iterator<Item = Plan> {
        let in_scope = self.eng.in_scope(self.st, n);
        let (first, then) = match self.st.g.joined_entra(n) {
            Some(e) if self.st.g.is_live(e) => (
                Some(if in_scope {
                    Plan::Update(e)
                } else {
                    Plan::Delete(e)
                }),
                None,
            ),
            Some(e) if in_scope => (Some(Plan::Disconnect(e)), Some(Plan::Add { rejoin: true })),
            Some(e) => (Some(Plan::Disconnect(e)), None),
            None if in_scope => (Some(Plan::Add { rejoin: false }), None),
            None => (None, None),
        };
        first.into_iter().chain(then)
    }

    /// SYNC-8: a joined object deleted in AD or out of scope: users are soft-deleted with
    /// `onPremisesSyncEnabled` false, groups hard-deleted (ENTRA-4).
    fn sync_delete(&mut self, n: NodeIx, e: NodeIx, ev: &mut Events) {
        let why = match self.st.g.ad(n).map(|o| o.state) {
            Some(AdState::Live) => "its AD object left the sync scope",
            _ => "its AD object was deleted",
        };
        self.st.g.unlink(n, e, Rel::Join);
        if self.st.g.entra(e).is_some_and(|o| o.kind == Kind::User) {
            set_service(
                self.st,
                e,
                EntraProp::OnPremisesSyncEnabled,
                Some(Value::from(false)),
            );
        }
        let mut inner = Events::new(ev.detail());
        self.entra.delete(
            self.st,
            self.clock,
            self.settings,
            e,
            &format!("deleted by Entra Connect because {why}"),
            &mut inner,
        );
        for mut x in inner.into_vec() {
            if x.kind == K::SoftDeleted {
                x.rule = R::Sync8;
            }
            ev.push(x);
        }
    }

    /// The anchor of an AD object (SYNC-1). With `ms-ds-consistencyguid` an empty
    /// mS-DS-ConsistencyGuid gets the objectGUID written into it first.
    fn anchor(&mut self, n: NodeIx, ev: &mut Events) -> Option<Guid> {
        let o = self.st.g.ad(n)?;
        let (guid, to_write) = self.anchor_of(o);
        if !to_write {
            return Some(guid);
        }
        let name = self.st.name_if(o.handle, ev.detail());
        if let Some(o) = self.st.g.ad_mut(n) {
            o.attrs.write_owner_guid_as_consistency_guid();
        }
        ev.push_with(|| Event::new(
            K::ConsistencyGuidWritten,
            &name,
            R::Sync1,
            format!("mS-DS-ConsistencyGuid of {name} was empty: Entra Connect wrote its objectGUID {guid} into it"),
        ));
        Some(guid)
    }

    /// The anchor of an AD object (SYNC-1) and whether its objectGUID, the anchor, is still to be
    /// written into an empty mS-DS-ConsistencyGuid ([`Cycle::anchor`] writes it).
    fn anchor_of(&self, o: &AdObject) -> (Guid, bool) {
        if o.kind == Kind::Group || self.settings.source_anchor == SourceAnchor::ObjectGuid {
            return (o.guid, false);
        }
        match o.consistency_guid() {
            Some(cg) => (cg, false),
            None => (o.guid, true),
        }
    }

    /// Has the processor fetch where an add of `n` will first look values up in the uniqueness
    /// index, without waiting for it: its anchor's immutableId for the hard match (SYNC-3), its
    /// primary SMTP address and UPN for the soft match (SYNC-5). At a million users each of
    /// these lookups would otherwise wait for memory. A value the add ends up not looking up
    /// costs a fetch for nothing.
    fn prefetch_add(&self, n: NodeIx) {
        let Some(o) = self.st.g.ad(n) else { return };
        if let Some(imm) = crate::store::ids::immutable_id_text(self.anchor_of(o).0) {
            self.entra.index.prefetch(Unique::ImmutableId, &imm);
        }
        match o.attrs.value(AdAttr::ProxyAddresses).map(Value::as_list) {
            Some(list) if !list.is_empty() => {
                for p in list.iter().filter(|p| p.starts_with("SMTP:")) {
                    self.entra.index.prefetch(Unique::Proxy, p);
                }
            }
            // The address `desired_proxies` makes of the mail attribute.
            _ => {
                if let Some(mail) = o.attrs.text(AdAttr::Mail) {
                    let mut smtp = arrayvec::ArrayString::<256>::new();
                    if smtp
                        .try_push_str("SMTP:")
                        .and(smtp.try_push_str(mail))
                        .is_ok()
                    {
                        self.entra.index.prefetch(Unique::Proxy, &smtp);
                    }
                }
            }
        }
        if let Some(upn) = o.attrs.str(AdAttr::UserPrincipalName) {
            self.entra.index.prefetch(Unique::Upn, upn);
        }
    }

    /// An add: hard match (SYNC-3, SYNC-4), soft match (SYNC-5), else a new object (SYNC-6).
    fn sync_add(
        &mut self,
        n: NodeIx,
        rejoin: bool,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) -> Outcome {
        let Some(anchor) = self.anchor(n, ev) else {
            return Outcome::Failed;
        };
        let imm = immutable_id(anchor);
        let name = self.event_name(n, ev);
        let kind = self.st.g.ad(n).map_or(Kind::User, |o| o.kind);
        let fail =
            |errors: &mut BTreeSet<ErrorCode>, ev: &mut Events, code, kind, rule, msg: String| {
                errors.insert(code);
                ev.push_with(|| Event::new(kind, &name, rule, msg));
                Outcome::Failed
            };
        // Hard match against live objects (SYNC-3).
        if let Some(e) = self.entra.index.holder(Unique::ImmutableId, &imm) {
            let Some(o) = self.st.g.entra(e) else {
                return Outcome::Failed;
            };
            let id = o.id;
            if self.st.g.joined_ad(e).is_some() || o.kind != kind {
                return fail(
                    errors,
                    ev,
                    ErrorCode::AttributeValueMustBeUnique,
                    K::Refused,
                    R::Id4,
                    format!(
                        "the anchor {imm} of {name} is already held by {} ({id}), joined to another AD object",
                        self.st.name_of(o.handle)
                    ),
                );
            }
            if self.settings.block_hard_match_takeover && !o.is_synced() {
                return fail(
                    errors,
                    ev,
                    ErrorCode::InvalidHardMatch,
                    K::InvalidHardMatch,
                    R::Sync4,
                    format!(
                        "InvalidHardMatch: {name}'s anchor {imm} matches cloud object {id}, whose onPremisesSyncEnabled is not true, and BlockCloudObjectTakeoverThroughHardMatch is on: nothing exported"
                    ),
                );
            }
            self.join(n, e);
            ev.push_with(|| Event::new(K::HardMatched, &name, R::Sync3, format!(
                "{name} hard-matched on onPremisesImmutableId {imm} to the live object {id}, which becomes synced")));
            self.sync_flow(n, e, errors, ev);
            return Outcome::Joined(e);
        }
        // Hard match against soft-deleted users: restored from the recycle bin (SYNC-3, SYNC-10).
        if self.settings.sync_restores_soft_deleted {
            let newest = self
                .entra
                .index
                .deleted_with_anchor(&imm)
                .iter()
                .copied()
                .max_by_key(|e| {
                    let since = match self.st.g.entra(*e).map(|o| o.state) {
                        Some(EntraState::SoftDeleted { since }) => since,
                        _ => i64::MIN,
                    };
                    (since, *e)
                });
            if let Some(e) = newest {
                let (id, synced) = self
                    .st
                    .g
                    .entra(e)
                    .map(|o| (o.id, o.is_synced()))
                    .unwrap_or_default();
                if self.settings.block_hard_match_takeover && !synced {
                    return fail(
                        errors,
                        ev,
                        ErrorCode::InvalidHardMatch,
                        K::InvalidHardMatch,
                        R::Sync4,
                        format!(
                            "InvalidHardMatch: {name}'s anchor {imm} matches its soft-deleted object {id}, whose onPremisesSyncEnabled is not true, and BlockCloudObjectTakeoverThroughHardMatch is on: nothing exported"
                        ),
                    );
                }
                let rule = if rejoin { R::Sync10 } else { R::Sync3 };
                if !self.entra.restore(self.st, e, rule, ev) {
                    errors.insert(ErrorCode::AttributeValueMustBeUnique);
                    return Outcome::Failed;
                }
                self.join(n, e);
                self.sync_flow(n, e, errors, ev);
                return Outcome::Joined(e);
            }
        }
        // The values AD gives a new object (SYNC-7); the soft match's first key is among them.
        let want = self.desired_props(n, Some(Value::from(imm.clone())));
        // Soft match (SYNC-5): users only. Only live users with no onPremisesImmutableId are
        // candidates: a holder with another one is skipped for the next key.
        let mut admin_conflict = false;
        let mut conflict: Option<(String, String)> = None;
        if kind == Kind::User && !self.settings.block_soft_match {
            // The keys are looked up as AD holds them: the index compares without case.
            let keys = {
                let Some(o) = self.st.g.ad(n) else {
                    return Outcome::Failed;
                };
                // The primary SMTP address: the `SMTP:` one of the proxy addresses AD gives.
                let smtp = want.iter().find_map(|(p, v)| match (p, v) {
                    (EntraProp::ProxyAddresses, Some(list)) => list
                        .as_list()
                        .iter()
                        .find(|a| a.starts_with("SMTP:"))
                        .cloned(),
                    _ => None,
                });
                let upn = o
                    .attrs
                    .str(AdAttr::UserPrincipalName)
                    .filter(|_| self.settings.soft_match_on_upn)
                    .cloned();
                [
                    smtp.map(|s| ("primary SMTP address", Unique::Proxy, s)),
                    upn.map(|u| ("userPrincipalName", Unique::Upn, u)),
                ]
            };
            for (what, key, value) in keys.into_iter().flatten() {
                let Some(e) = self.entra.index.holder(key, &value) else {
                    continue;
                };
                let Some(o) = self.st.g.entra(e) else {
                    continue;
                };
                if o.kind != Kind::User {
                    continue;
                }
                let id = o.id;
                let shown = || {
                    let folded = crate::store::valuemap::fold(&value);
                    folded.trim_start_matches("smtp:").to_string()
                };
                if let Some(other) = o.immutable_id() {
                    // Not a candidate (only users with no immutableId are): the next key may
                    // still find one; the conflict counts only if none does.
                    conflict.get_or_insert_with(|| {
                        let shown = shown();
                        (
                            format!(
                                "its {what} {shown} is held by {id}, synced from another AD object"
                            ),
                            format!(
                                "InvalidSoftMatch: {name}'s {what} {shown} is held by {id}, which has a different onPremisesImmutableId {other}: nothing exported"
                            ),
                        )
                    });
                    continue;
                }
                if self.st.g.live_out(e, Rel::Role).next().is_some() {
                    errors.insert(ErrorCode::ExistingAdminRoleConflict);
                    ev.push_with(|| Event::new(K::AdminRoleConflict, &name, R::Sync5, format!(
                        "ExistingAdminRoleConflict: {name}'s {what} {} matches {id}, which holds a directory role: soft match refused, a new user is provisioned", shown())));
                    admin_conflict = true;
                    break;
                }
                self.join(n, e);
                let _ = self.entra.write(
                    self.st,
                    e,
                    &[(
                        EntraProp::OnPremisesImmutableId,
                        Some(Value::from(imm.clone())),
                    )],
                );
                ev.push_with(|| Event::new(K::SoftMatched, &name, R::Sync5, format!(
                    "{name} soft-matched on {what} {} to the cloud user {id}, which is taken over: AD now masters its properties", shown())));
                // The anchor just written is the one `want` was computed with.
                self.flow_into(n, e, want, errors, ev);
                return Outcome::Joined(e);
            }
            if !admin_conflict
                && self.settings.soft_match_conflict == SoftMatchConflict::InvalidSoftMatch
                && let Some((_, msg)) = conflict.take()
            {
                return fail(
                    errors,
                    ev,
                    ErrorCode::InvalidSoftMatch,
                    K::InvalidSoftMatch,
                    R::Sync5,
                    msg,
                );
            }
        }
        // No match: a new object (SYNC-6). With duplicate attribute resiliency
        // (`soft_match_conflict: quarantine`) the clashing values are quarantined (SYNC-9).
        let h = self.st.g.ad(n).map_or(HandleId(0), |o| o.handle);
        let id = self.st.ids.guid();
        // Created synced, with AD's values flowed in (SYNC-7): one write, where a create then a
        // flow would write every property twice. The flow's quarantine leaves no value another
        // live object holds, and no live object holds the anchor (the hard match above would
        // have found it), so the create cannot clash (ID-4; INV-1 checks it).
        let base = [
            (
                EntraProp::OnPremisesImmutableId,
                Some(Value::from(imm.clone())),
            ),
            (EntraProp::OnPremisesSyncEnabled, Some(Value::from(true))),
        ];
        let (want, new_errors) = self.flow_values(n, None, want, &[], &PropMap::default());
        let written = written_keys(&want);
        let mut props = PropMap::default();
        props.update(base.iter().cloned().chain(want));
        let e = self
            .entra
            .add(self.st, h, (kind, GroupType::Security), id, props);
        self.join(n, e);
        let (rule, why) = match (rejoin, admin_conflict, &conflict) {
            (true, _, _) => (
                R::Sync10,
                "its cloud object is gone: a new object with a new id and no cloud-only relations"
                    .to_string(),
            ),
            (false, true, _) => (
                R::Sync9,
                "a second user beside the administrator it could not match".to_string(),
            ),
            (false, false, Some((c, _))) => (
                R::Sync9,
                format!(
                    "{c}: duplicate attribute resiliency provisions it with that value quarantined"
                ),
            ),
            (false, false, None) => (R::Sync6, "no match".to_string()),
        };
        ev.push_with(|| {
            Event::new(
                K::Provisioned,
                &name,
                rule,
                format!("{name} provisioned in Entra ID as new {kind} {id} ({why})"),
            )
        });
        ev.push_with(|| Event::new(
            K::ImmutableIdSet,
            &name,
            R::Id2,
            format!("onPremisesImmutableId of {name} is {imm}: the base64 of anchor {anchor}'s bytes in AD (little-endian) order"),
        ));
        // What the flow did, described against the object as first created (anchor only).
        let mut created = PropMap::default();
        if ev.detail() {
            created.update(base);
        }
        let flow = Flow {
            name: &name,
            old_errors: &[],
            new_errors,
            before: &created,
            written: &written,
        };
        self.flow_outcome(e, flow, errors, ev);
        Outcome::Joined(e)
    }

    /// Joins an AD object to an Entra object, which becomes synced.
    fn join(&mut self, n: NodeIx, e: NodeIx) {
        self.st.g.link(n, e, Rel::Join);
        set_service(
            self.st,
            e,
            EntraProp::OnPremisesSyncEnabled,
            Some(Value::from(true)),
        );
    }

    /// After a new join: the manager of `n` (or, for a group, its whole membership) is processed
    /// by this cycle's reference phase. In a delta cycle (`members`), so are its reports, and
    /// `n` is recorded as a changed member of its AD groups and, through `e`, of the synced
    /// groups `e` is in. An initial cycle processes every object it adds or updates, so a report
    /// with a cloud object to point from is there already: its relations are not walked.
    fn collect_refs(
        &self,
        n: NodeIx,
        e: NodeIx,
        refs: &mut Vec<NodeIx>,
        members: Option<&mut Vec<(NodeIx, NodeIx)>>,
    ) {
        refs.push(n);
        let Some(members) = members else {
            return;
        };
        // Only a user has reports; a group's incoming relations are its members, all of them.
        if self.st.g.ad(n).is_some_and(|o| o.kind == Kind::User) {
            refs.extend(self.st.g.inc(n, Rel::Manager));
        }
        members.extend(self.st.g.out(n, Rel::Member).map(|grp| (grp, n)));
        members.extend(
            self.st
                .g
                .out(e, Rel::Member)
                .filter_map(|grp| self.st.g.joined_ad(grp))
                .map(|grp| (grp, e)),
        );
    }

    /// The proxy addresses AD gives a user: `proxyAddresses` (its list, shared), else
    /// `SMTP:<mail>`; `None` when it has neither.
    fn desired_proxies(&self, o: &AdObject) -> Option<Value> {
        match o.attrs.value(AdAttr::ProxyAddresses) {
            Some(list) if !list.as_list().is_empty() => Some(list.clone()),
            _ => o
                .attrs
                .text(AdAttr::Mail)
                .map(|m| Value::from_iter([crate::store::propmap::concat(&["SMTP:", m])])),
        }
    }

    /// The UPN Entra gets for an AD user (SYNC-6): the AD UPN when its suffix is a verified
    /// domain, else `<mailNickname>@<tenant>.onmicrosoft.com`.
    ///
    /// An AD user without a userPrincipalName (a reanimated tombstone, AD-3) gets
    /// `<sAMAccountName>@<AD domain>`, as the default inbound rule "In from AD - User Join" does.
    fn desired_upn(&self, o: &AdObject) -> Option<Value> {
        let upn = match o.attrs.value(AdAttr::UserPrincipalName) {
            Some(v) if v.as_str().is_some() => v.clone(),
            _ => Value::text(format!("{}@{}", o.sam()?, self.names.domain)),
        };
        let suffix = upn
            .as_text()
            .and_then(|u| u.rsplit_once('@'))
            .map_or("", |(_, d)| d);
        if self.names.is_verified(suffix) {
            return Some(upn);
        }
        let nick = o
            .attrs
            .text(AdAttr::MailNickname)
            .or(o.sam())
            .unwrap_or("user");
        Some(Value::text(format!(
            "{nick}@{}",
            self.names.initial_domain()
        )))
    }

    /// The values AD gives an Entra object's AD-mastered properties (section 2). Only the
    /// properties the sync writes are returned; `None` clears.
    fn desired_props(&self, n: NodeIx, anchor: Option<Value>) -> Vec<(EntraProp, Option<Value>)> {
        let Some(o) = self.st.g.ad(n) else {
            return Vec::new();
        };
        let sam = o.attrs.str(AdAttr::SamAccountName);
        let mut out = Vec::with_capacity(USER_PROPS.len());
        for row in USER_PROPS {
            if o.kind == Kind::Group
                && !matches!(
                    row.prop,
                    EntraProp::DisplayName
                        | EntraProp::Mail
                        | EntraProp::MailNickname
                        | EntraProp::ProxyAddresses
                        | EntraProp::OnPremisesImmutableId
                        | EntraProp::OnPremisesSamAccountName
                        | EntraProp::OnPremisesSecurityIdentifier
                        | EntraProp::OnPremisesDistinguishedName
                        | EntraProp::OnPremisesDomainName
                )
            {
                continue;
            }
            let v: Option<Value> = match row.source {
                Source::Attr(AdAttr::UserPrincipalName) => self.desired_upn(o),
                Source::Attr(AdAttr::ProxyAddresses) => self.desired_proxies(o),
                Source::Attr(AdAttr::TelephoneNumber) => o
                    .attrs
                    .str(AdAttr::TelephoneNumber)
                    .map(|t| Value::from_iter([t.clone()])),
                // The default rules fall back to the RDN (`cn`) for a user, and to the
                // sAMAccountName for a group, when AD has no displayName.
                Source::Attr(AdAttr::DisplayName) if o.kind == Kind::User => o
                    .attrs
                    .str(AdAttr::DisplayName)
                    .or(o.attrs.str(AdAttr::Cn))
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Attr(AdAttr::DisplayName) if o.kind == Kind::Group => o
                    .attrs
                    .str(AdAttr::DisplayName)
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Attr(a) => o.attr(a),
                Source::MailNicknameOrSam => o
                    .attrs
                    .str(AdAttr::MailNickname)
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Enabled => Some(Value::from(
                    o.attrs.value(AdAttr::Enabled).and_then(Value::as_bool) != Some(false),
                )),
                Source::Anchor => anchor.clone(),
                Source::Sid => Some(Value::from(o.sid.text())),
                Source::DistinguishedName => Some(Value::from(distinguished_name(self.names, o))),
                Source::Domain => Some(self.names.domain_value.clone()),
                Source::SyncService => continue,
            };
            if flows(row, &v) {
                out.push((row.prop, v));
            }
        }
        out
    }

    /// SYNC-7 attribute flow with duplicate attribute resiliency (SYNC-9): AD's values overwrite
    /// the cloud's and fill missing ones; a UPN held by another object is replaced by a
    /// placeholder and a clashing proxy address dropped, both recorded on the object, until the
    /// clash is gone.
    fn sync_flow(
        &mut self,
        n: NodeIx,
        e: NodeIx,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let anchor = self
            .st
            .g
            .entra(e)
            .and_then(|eo| eo.props.get(EntraProp::OnPremisesImmutableId).cloned());
        let want = self.desired_props(n, anchor);
        self.flow_into(n, e, want, errors, ev);
    }

    /// [`Cycle::sync_flow`] of `want`, the values AD gives `e` ([`Cycle::desired_props`] with
    /// `e`'s anchor).
    fn flow_into(
        &mut self,
        n: NodeIx,
        e: NodeIx,
        want: Vec<(EntraProp, Option<Value>)>,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let Some(eo) = self.st.g.entra(e) else { return };
        let old_errors = eo.errors.clone();
        let before = eo.props.clone();
        let name = self.st.name_if(eo.handle, ev.detail());
        let (want, new_errors) = self.flow_values(n, Some(e), want, &old_errors, &before);
        if let Err(clashes) = self.entra.write(self.st, e, &want) {
            // The export stays pending and is retried by the next cycle (SYNC-11).
            self.st.touch(n);
            errors.insert(ErrorCode::AttributeValueMustBeUnique);
            let what: Vec<String> = clashes.iter().map(|(w, v, _)| format!("{w} {v}")).collect();
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Id4,
                    format!(
                        "AttributeValueMustBeUnique: the export of {name} was refused ({})",
                        what.join(", ")
                    ),
                )
            });
            return;
        }
        let flow = Flow {
            name: &name,
            old_errors: &old_errors,
            new_errors,
            before: &before,
            written: &written_keys(&want),
        };
        self.flow_outcome(e, flow, errors, ev);
    }

    /// The values AD's object `n` gives its Entra object `e` (`None`: one about to be created),
    /// `want` ([`Cycle::desired_props`]), with SYNC-9's quarantine applied against the other
    /// live holders: a UPN held by another object becomes a placeholder (the one `e` already
    /// has for it, if any), a clashing proxy address is dropped. Returns the writes and the
    /// errors to record on the object.
    fn flow_values(
        &mut self,
        n: NodeIx,
        e: Option<NodeIx>,
        mut want: Vec<(EntraProp, Option<Value>)>,
        old_errors: &[ProvisioningError],
        before: &PropMap<EntraProp>,
    ) -> (Vec<(EntraProp, Option<Value>)>, ThinVec<ProvisioningError>) {
        let mut new_errors = ThinVec::new();
        let other = |h: Option<NodeIx>| h.is_some() && h != e;
        // A live object holds its own values in the index (INV-1): a value it has already is
        // not looked up. A full cycle flows mostly values the objects have (a million lookups
        // in tables larger than the cache, for nothing).
        let live = e
            .and_then(|e| self.st.g.entra(e))
            .is_some_and(EntraObject::is_live);
        let own_upn = before.text(EntraProp::UserPrincipalName).filter(|_| live);
        let own_proxies = before
            .get(EntraProp::ProxyAddresses)
            .filter(|_| live)
            .map_or(&[][..], Value::as_list);
        let owns_upn =
            |upn: &str| own_upn.is_some_and(|own| crate::store::valuemap::eq_folded(own, upn));
        let owns_proxy = |p: &str| {
            own_proxies
                .iter()
                .any(|own| crate::store::valuemap::eq_folded(own, p))
        };
        for (p, v) in want.iter_mut() {
            let quarantined = match (*p, v.as_ref().map(Value::view)) {
                (EntraProp::UserPrincipalName, Some(ValueRef::Text(upn)))
                    if !owns_upn(upn) && other(self.entra.index.holder(Unique::Upn, upn)) =>
                {
                    let key = crate::store::valuemap::fold(upn).into_owned();
                    let placeholder = old_errors
                        .iter()
                        .find(|x| x.prop == EntraProp::UserPrincipalName && x.value == *upn)
                        .and_then(|_| {
                            before
                                .text(EntraProp::UserPrincipalName)
                                .map(str::to_string)
                        })
                        .filter(|cur| !cur.eq_ignore_ascii_case(upn))
                        .unwrap_or_else(|| self.placeholder_upn(upn));
                    new_errors.push(ProvisioningError {
                        prop: EntraProp::UserPrincipalName,
                        value: upn.clone(),
                    });
                    self.entra
                        .index
                        .waiting
                        .entry((Unique::Upn, key.into()))
                        .or_default()
                        .insert(n);
                    Some(Value::text(placeholder))
                }
                // Most lists clash nowhere: kept as they are, not rebuilt.
                (EntraProp::ProxyAddresses, Some(ValueRef::List(list)))
                    if list.iter().any(|p| {
                        !owns_proxy(p) && other(self.entra.index.holder(Unique::Proxy, p))
                    }) =>
                {
                    let mut kept = Vec::new();
                    for p in list {
                        if !owns_proxy(p) && other(self.entra.index.holder(Unique::Proxy, p)) {
                            let key = proxy_key(p);
                            new_errors.push(ProvisioningError {
                                prop: EntraProp::ProxyAddresses,
                                value: p.clone(),
                            });
                            self.entra
                                .index
                                .waiting
                                .entry((Unique::Proxy, key.into()))
                                .or_default()
                                .insert(n);
                        } else {
                            kept.push(p.clone());
                        }
                    }
                    Some(Value::from_iter(kept))
                }
                _ => None,
            };
            if quarantined.is_some() {
                *v = quarantined;
            }
        }
        let want = want
            .into_iter()
            .map(|(p, v)| (p, v.filter(|v| !v.is_empty())))
            .collect();
        (want, new_errors)
    }

    /// After a flow into `e` was written: the quarantine's events (SYNC-9), the errors recorded
    /// on the object, and with detail on what the flow overwrote, filled and cleared (SYNC-7).
    fn flow_outcome(
        &mut self,
        e: NodeIx,
        flow: Flow<'_>,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let Flow {
            name,
            old_errors,
            new_errors,
            before,
            written,
        } = flow;
        for x in &new_errors {
            errors.insert(ErrorCode::of_recorded(x));
            if !old_errors.contains(x) {
                let what = match x.prop {
                    EntraProp::UserPrincipalName => format!(
                        "userPrincipalName {} is held by another object: {name} gets {} instead",
                        x.value,
                        self.st.g.entra(e).and_then(|o| o.upn()).unwrap_or_default()
                    ),
                    _ => format!(
                        "proxy address {} is held by another object: dropped from {name}",
                        x.value
                    ),
                };
                ev.push_with(|| {
                    Event::new(
                        K::AttributeQuarantined,
                        name,
                        R::Sync9,
                        format!("QuarantinedAttributeValueMustBeUnique: {what}"),
                    )
                });
            }
        }
        for x in old_errors.iter().filter(|x| !new_errors.contains(x)) {
            ev.push_with(|| {
                Event::new(
                    K::QuarantineReleased,
                    name,
                    R::Sync9,
                    format!(
                        "the clash on {} {} is gone: the real value is back on {name}",
                        x.prop, x.value
                    ),
                )
            });
        }
        if let Some(o) = self.st.g.entra_mut(e) {
            o.errors = new_errors;
        }
        // Describe what the flow changed: overwritten cloud values and filled missing ones.
        if !ev.detail() {
            return;
        }
        let Some(after) = self.st.g.entra(e).map(|o| o.props.clone()) else {
            return;
        };
        let mut overwritten = Vec::new();
        let mut filled = Vec::new();
        let mut cleared = Vec::new();
        for p in written {
            match (before.get(*p), after.get(*p)) {
                (Some(a), Some(b)) if a != b => overwritten.push(p.name()),
                (None, Some(_)) => filled.push(p.name()),
                (Some(_), None) => cleared.push(p.name()),
                _ => {}
            }
        }
        if overwritten.is_empty() && filled.is_empty() && cleared.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        for (list, what) in [
            (&overwritten, "overwritten"),
            (&filled, "filled"),
            (&cleared, "cleared"),
        ] {
            if !list.is_empty() {
                parts.push(format!("{what}: {}", list.join(", ")));
            }
        }
        ev.push_with(|| {
            Event::new(
                K::AttributesFlowed,
                name,
                R::Sync7,
                format!("AD values written to {name} ({})", parts.join("; ")),
            )
        });
    }

    /// A SYNC-9 placeholder: `<prefix><4 digits>@<tenant>.onmicrosoft.com`, not held by anyone.
    fn placeholder_upn(&mut self, upn: &str) -> String {
        let prefix = upn.split('@').next().unwrap_or("user").to_string();
        loop {
            let candidate = format!(
                "{prefix}{:04}@{}",
                self.st.ids.below(10_000),
                self.names.initial_domain()
            );
            if self
                .entra
                .index
                .holder(Unique::Upn, &candidate.to_lowercase())
                .is_none()
            {
                return candidate;
            }
        }
    }

    /// Has the processor fetch what the reference phase will read of `n`'s manager (SYNC-7),
    /// without waiting for it: the manager is anywhere in the tenant, where `n` and its Entra
    /// object are next to the objects before them. In stages, each reading what the one before
    /// fetched: the manager's AD object, then its attributes (SYNC-2's scope reads its
    /// sAMAccountName) and its join, then its Entra object. A hint: nothing changes.
    fn prefetch_manager(&self, n: NodeIx, stage: ReferenceStage) {
        let Some(m) = self.st.g.out(n, Rel::Manager).next() else {
            return;
        };
        match stage {
            ReferenceStage::Object => self.st.g.prefetch(m),
            ReferenceStage::Attributes => {
                if let Some(o) = self.st.g.ad(m) {
                    o.attrs.prefetch();
                }
                self.st.g.prefetch_joined(m);
            }
            ReferenceStage::Joined => {
                if let Some(e) = self.st.g.joined_entra(m) {
                    self.st.g.prefetch(e);
                }
            }
        }
    }

    /// Reference attributes (SYNC-7): a user's manager once the manager's cloud object exists, a
    /// synced group's members (members outside scope dropped): all of them, or `only` those of
    /// these (group, member) pairs.
    fn flow_references(&mut self, n: NodeIx, only: Option<&[(NodeIx, NodeIx)]>, ev: &mut Events) {
        let Some(e) = self.st.g.joined_entra(n).filter(|e| self.st.g.is_live(*e)) else {
            return;
        };
        let Some(kind) = self.st.g.ad(n).map(|o| o.kind) else {
            return;
        };
        let name = self.event_name(n, ev);
        match kind {
            Kind::User => {
                let want: Option<NodeIx> = self
                    .st
                    .g
                    .live_out(n, Rel::Manager)
                    .filter(|m| self.eng.in_scope(self.st, *m))
                    .find_map(|m| self.st.g.joined_entra(m).filter(|x| self.st.g.is_live(*x)));
                let have: Vec<NodeIx> = self.st.g.out(e, Rel::Manager).collect();
                if have.len() == 1 && have.first().copied() == want
                    || (have.is_empty() && want.is_none())
                {
                    return;
                }
                for h in have {
                    self.st.g.unlink(e, h, Rel::Manager);
                }
                if let Some(m) = want {
                    self.st.g.link(e, m, Rel::Manager);
                }
                ev.push_with(|| {
                    let msg = match want {
                        Some(m) => {
                            let mname = self.entra_name(m);
                            format!("manager of {name} set to {mname} from AD")
                        }
                        None => format!("manager of {name} cleared: AD has none in scope"),
                    };
                    Event::new(K::ManagerFlowed, &name, R::Sync7, msg)
                });
            }
            Kind::Group => {
                let (added, removed) = match only {
                    None => self.membership_changes(n, e),
                    Some(pairs) => {
                        let changes = self.member_changes(n, e, pairs.iter().map(|(_, m)| *m));
                        // Every change to a synced group's membership is among its changed
                        // members: the tests (debug builds) check it against the whole diff.
                        debug_assert_eq!(
                            changes,
                            self.membership_changes(n, e),
                            "SYNC-7: a membership change was not recorded as a changed member"
                        );
                        changes
                    }
                };
                for m in &added {
                    self.st.g.link(*m, e, Rel::Member);
                    licence_events(self.st, *m, e, true, ev);
                }
                for m in &removed {
                    self.st.g.unlink(*m, e, Rel::Member);
                    licence_events(self.st, *m, e, false, ev);
                }
                // Removals are told first; the names are read only when events are kept.
                for (added, who) in [(false, &removed), (true, &added)] {
                    if who.is_empty() {
                        continue;
                    }
                    ev.push_with(|| {
                        let who: Vec<Str> = who.iter().map(|m| self.entra_name(*m)).collect();
                        Event::new(
                            K::MembershipFlowed,
                            &name,
                            R::Sync7,
                            format!(
                                "members {} synced group {name} from AD: {}",
                                if added { "added to" } else { "removed from" },
                                who.iter().map(Str::as_str).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    });
                }
            }
        }
    }

    /// SYNC-7: the members to add to and remove from synced group `e`, joined to AD group `n`,
    /// for its whole membership: [`Self::member_changes`] among every member of either.
    fn membership_changes(&self, n: NodeIx, e: NodeIx) -> (Vec<NodeIx>, Vec<NodeIx>) {
        let members = self
            .st
            .g
            .inc(n, Rel::Member)
            .chain(self.st.g.inc(e, Rel::Member));
        self.member_changes(n, e, members)
    }

    /// SYNC-7: the members to add to and remove from synced group `e`, joined to AD group `n`,
    /// among `members` only (AD members stand for their joined Entra objects), in node order. An
    /// Entra object belongs in `e` when it is live and joined to a live, in-scope member of `n`.
    fn member_changes(
        &self,
        n: NodeIx,
        e: NodeIx,
        members: impl Iterator<Item = NodeIx>,
    ) -> (Vec<NodeIx>, Vec<NodeIx>) {
        let mut xs: Vec<NodeIx> = members
            .filter_map(|m| match self.st.g.ad(m) {
                Some(_) => self.st.g.joined_entra(m),
                None => Some(m),
            })
            .collect();
        xs.sort_unstable();
        xs.dedup();
        let group_live = self.st.g.is_live(n) && self.st.g.is_live(e);
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for x in xs {
            let live = group_live && self.st.g.is_live(x);
            let want = live
                && self.st.g.joined_ad(x).is_some_and(|m| {
                    self.st.g.joined_entra(m) == Some(x)
                        && self.eng.in_scope(self.st, m)
                        && self.st.g.has(m, n, Rel::Member)
                });
            let have = live && self.st.g.has(x, e, Rel::Member);
            match (want, have) {
                (true, false) => added.push(x),
                (false, true) => removed.push(x),
                _ => {}
            }
        }
        (added, removed)
    }

    fn entra_name(&self, e: NodeIx) -> Str {
        self.st
            .g
            .entra(e)
            .map(|o| self.st.name_of(o.handle))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNC-7's reference phase visits each node once, in index order, whether the list is
    /// sorted (few nodes) or ordered through a bit per node (many).
    #[test]
    fn sync_7_references_in_order_without_repeats() {
        let ix = |v: &[usize]| v.iter().map(|i| NodeIx::new(*i)).collect::<Vec<_>>();
        for input in [
            vec![],
            vec![5],
            vec![900, 3, 3, 64, 0, 900],
            vec![7, 7, 1, 2, 63, 64, 65, 128, 127, 1],
        ] {
            let mut want = input.clone();
            want.sort_unstable();
            want.dedup();
            let mut got = ix(&input);
            in_order(&mut got);
            assert_eq!(got, ix(&want), "{input:?}");
        }
    }

    /// SYNC-7: the reference phase merges the objects flowed whole with the groups whose changed
    /// members only are flowed, in node order, each once; a group flowed whole ignores its pairs.
    #[test]
    fn sync_7_reference_work_merges_whole_objects_and_changed_members_in_order() {
        let n = NodeIx::new;
        let refs = [n(1), n(4)];
        let members = [(n(2), n(10)), (n(2), n(11)), (n(4), n(12)), (n(5), n(13))];
        let work = ReferenceWork {
            refs: &refs,
            members: &members,
            read: 0,
        };
        let got: Vec<_> = work.collect();
        assert_eq!(
            got,
            vec![
                (n(1), None),
                (n(2), Some(0..2)),
                (n(4), None),
                (n(5), Some(3..4)),
            ]
        );
        let only_members = ReferenceWork {
            refs: &[],
            members: &members,
            read: 0,
        };
        assert_eq!(only_members.count(), 3);
    }
}
