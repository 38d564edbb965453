//! The simulated world: both directories, the sync engine's state, the backups and the clock.
//! Operations are applied one at a time ([`World::apply`]); each returns the events it caused,
//! and the invariants (INV-1..4) are checked after every one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::store::propmap::Str;

use crate::entra::EntraIndex;
use crate::report::{Event, Events};
use crate::rules::RuleId;
use crate::settings::{Settings, SettingsPatch};
use crate::store::*;
use crate::sync::{CycleKind, SyncState};
use crate::vdc::{Existing, Vdc};
use crate::vead::AdBackups;

/// An error that stops a run: not something the simulated system refused (that is an event), but
/// an operation the engine cannot carry out as asked, or a defect of the engine itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// An operation named a handle the world was not given (handles are numbered when a
    /// scenario is loaded).
    #[error("no handle numbered {}", .0.0)]
    UnknownHandle(HandleId),
    #[error("'{handle}' is a {actual}, not a {expected}")]
    WrongKind {
        handle: String,
        expected: Kind,
        actual: Kind,
    },
    #[error("handle '{handle}' is ambiguous in Entra ID: live objects {ids}")]
    Ambiguous { handle: String, ids: String },
    #[error("'{0}' cannot be a handle: it is reserved")]
    ReservedHandle(String),
    #[error("unknown restore point '{label}' (known: {known})")]
    UnknownBackup { label: String, known: String },
    #[error("{0}")]
    Invalid(String),
    /// A broken invariant: a defect of the engine, never an outcome of a scenario.
    #[error("engine defect: invariant {rule} broken: {message}")]
    Invariant { rule: RuleId, message: String },
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// A stage of [`World::prefetch`], in the order they are run for an operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ahead {
    Handles,
    Objects,
}

impl Ahead {
    pub const ALL: [Ahead; 2] = [Ahead::Handles, Ahead::Objects];
}

/// The result of a scoped thread that reads the world (the invariant checks, a backup); a panic
/// in it carries on in the caller, as if the work had run there.
pub(crate) fn joined<T>(t: std::thread::ScopedJoinHandle<'_, T>) -> T {
    t.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Relations to add or remove in one `assign`/`unassign` step. Users and groups are handles,
/// roles, licences and apps names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationSet {
    pub groups: Vec<HandleId>,
    pub owns: Vec<HandleId>,
    pub roles: Vec<Str>,
    pub licenses: Vec<Str>,
    pub apps: Vec<Str>,
    /// In `unassign` any value removes the manager.
    pub manager: Option<HandleId>,
}

/// The attributes of a new object. AD objects take LDAP names, Entra objects Graph names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewObject {
    pub ou: Option<Str>,
    pub group_type: Option<GroupType>,
    pub ad_attrs: Vec<(AdAttr, Value)>,
    pub entra_props: Vec<(EntraProp, Value)>,
}

/// One operation: a step of a runbook, resolved to engine types: identities are handles,
/// numbered when the scenario was loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Sync(CycleKind),
    Backup(String),
    Delete {
        kind: Kind,
        handle: HandleId,
        from: Directory,
        permanently: bool,
    },
    Restore {
        users: Vec<HandleId>,
        groups: Vec<HandleId>,
        from: String,
        recycle_bin: bool,
        keep_relationships: bool,
        existing: Existing,
    },
    RestoreAd {
        users: Vec<HandleId>,
        from: String,
    },
    Undelete {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
    },
    Create {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        object: NewObject,
    },
    UpdateAd {
        kind: Kind,
        handle: HandleId,
        set: Vec<(AdAttr, Option<Value>)>,
    },
    UpdateEntra {
        kind: Kind,
        handle: HandleId,
        set: Vec<(EntraProp, Option<Value>)>,
    },
    Assign {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        rels: RelationSet,
    },
    Unassign {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        rels: RelationSet,
    },
    Move {
        kind: Kind,
        handle: HandleId,
        to: String,
    },
    Scope {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Settings(SettingsPatch),
    /// Advance the clock by this many seconds.
    Wait(i64),
}

/// A scheduled expiry (ENTRA-2, AD-2, AD-3), applied in time order (INV-4).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Expiry {
    pub at: Time,
    pub seq: u64,
    pub node: NodeIx,
    /// The state's start time when the expiry was scheduled: a stale entry is ignored.
    pub since: Time,
}

/// Where the AD domain and the tenant's names come from.
#[derive(Clone, Debug)]
pub struct Names {
    /// AD DNS domain, e.g. `contoso.com`.
    pub domain: String,
    /// Initial tenant name: `<tenant>.onmicrosoft.com`.
    pub tenant: String,
    pub verified_domains: Vec<String>,
    /// `domain` as a shared value: every synced object's `onPremisesDomainName`.
    pub(crate) domain_value: Value,
    /// `domain` as the end of a distinguished name: `,DC=contoso,DC=com`.
    pub(crate) dn_suffix: String,
}

impl Names {
    pub fn new(domain: &str, tenant: Option<&str>, verified: Option<Vec<String>>) -> Names {
        let tenant = tenant
            .map(str::to_string)
            .unwrap_or_else(|| domain.split('.').next().unwrap_or(domain).to_string());
        Names {
            domain_value: Value::text(domain),
            dn_suffix: domain.split('.').map(|p| format!(",DC={p}")).collect(),
            domain: domain.to_string(),
            tenant,
            verified_domains: verified.unwrap_or_else(|| vec![domain.to_string()]),
        }
    }
    pub fn initial_domain(&self) -> String {
        format!("{}.onmicrosoft.com", self.tenant)
    }
    pub fn is_verified(&self, domain: &str) -> bool {
        let initial = domain
            .len()
            .checked_sub(".onmicrosoft.com".len())
            .and_then(|i| Some((domain.get(..i)?, domain.get(i..)?)))
            .is_some_and(|(t, rest)| {
                t.eq_ignore_ascii_case(&self.tenant)
                    && rest.eq_ignore_ascii_case(".onmicrosoft.com")
            });
        initial
            || self
                .verified_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
    }
    /// The domain a new cloud user gets by default: the first verified domain.
    pub fn default_cloud_domain(&self) -> String {
        self.verified_domains
            .first()
            .cloned()
            .unwrap_or_else(|| self.initial_domain())
    }
}

/// The whole simulated world.
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) g: DirGraph,
    /// The handles' names, shared with the scenario that numbered them.
    pub(crate) handles: std::sync::Arc<Handles>,
    /// The objects that ever carried each handle.
    pub(crate) objects: HandleObjects,
    pub(crate) settings: Settings,
    pub(crate) names: Names,
    pub(crate) now: Time,
    pub(crate) ids: IdGenerator,
    pub(crate) entra_ix: EntraIndex,
    pub(crate) sync: SyncState,
    pub(crate) vdc: Vdc,
    pub(crate) ad_backups: AdBackups,
    pub(crate) expiries: BinaryHeap<Reverse<Expiry>>,
    pub(crate) expiry_seq: u64,
    /// Whether operations return their events.
    pub(crate) detail: bool,
    /// Live or deleted AD objects by objectGUID, built by the first lookup
    /// ([`World::ad_by_guid`]).
    pub(crate) ad_guids: std::sync::OnceLock<crate::store::idmap::IdMap>,
    /// Catalogue nodes (roles, SKUs, apps) by kind and name.
    /// Roles, SKUs and apps (by kind: 0, 1, 2), by name: looked up by `&str` on every relation
    /// written, so without allocating.
    pub(crate) catalogue: [FxHashMap<Box<str>, NodeIx>; 3],
    /// OU names, each held once however many objects are in the OU.
    pub(crate) ous: rustc_hash::FxHashSet<Str>,
    /// Who is told how far a long operation has got, if anyone.
    progress: Watcher,
}

/// Watches a long operation: called with the stage, the items done and the items in all, at
/// the start of a stage, every [`PROGRESS_EVERY`] items and at its end. The stages: a sync
/// cycle's `export` and `references`; a backup's `Entra objects` and `AD objects`; a VDC
/// restore session's `objects` and `relations`; a VEAD restore's `AD objects`. For a progress
/// bar: being watched never changes what the world does.
pub type Progress = std::sync::Arc<dyn Fn(&'static str, usize, usize) + Send + Sync>;

/// How many items a stage does between two calls of its [`Progress`].
pub const PROGRESS_EVERY: usize = 4096;

#[derive(Clone, Default)]
struct Watcher(Option<Progress>);

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "watched"
        } else {
            "unwatched"
        })
    }
}

pub(crate) const DAY: i64 = 86_400;

impl World {
    /// An empty world: no objects, the clock at `start`, and the handles its operations name.
    pub fn new(
        settings: Settings,
        names: Names,
        start: Time,
        handles: std::sync::Arc<Handles>,
    ) -> World {
        World {
            g: DirGraph::default(),
            handles,
            objects: HandleObjects::default(),
            ids: IdGenerator::new(settings.seed),
            sync: SyncState::default(),
            settings,
            names,
            now: start,
            entra_ix: EntraIndex::default(),
            vdc: Vdc::default(),
            ad_backups: AdBackups::default(),
            expiries: BinaryHeap::new(),
            expiry_seq: 0,
            ad_guids: Default::default(),
            detail: true,
            catalogue: Default::default(),
            ous: Default::default(),
            progress: Watcher::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn names(&self) -> &Names {
        &self.names
    }
    pub fn now(&self) -> Time {
        self.now
    }
    pub fn graph(&self) -> &DirGraph {
        &self.g
    }
    pub fn handles(&self) -> &Handles {
        &self.handles
    }

    /// Has the processor fetch what applying `op` will read, without waiting for it: for a
    /// caller that knows its next operations (the bench applies a generated tenant's a batch at
    /// a time). In stages, a few operations apart, each reading what the one before fetched: the
    /// lists of objects of the handles an assignment's relations point to, then their current
    /// object. A hint: nothing changes.
    pub fn prefetch(&self, op: &Op, stage: Ahead) {
        let Op::Assign { dir, rels, .. } = op else {
            return;
        };
        let targets = rels.groups.iter().chain(&rels.owns).chain(&rels.manager);
        match stage {
            Ahead::Handles => targets.for_each(|h| self.objects.prefetch(*dir, *h)),
            Ahead::Objects => targets
                .filter_map(|h| match dir {
                    Directory::Ad => self.objects.ad(*h).first(),
                    Directory::Entra => self.objects.entra(*h).first(),
                })
                .for_each(|&n| self.g.prefetch(n)),
        }
    }

    /// Applies one operation and returns the events it caused; then checks the invariants.
    pub fn apply(&mut self, op: &Op) -> Result<Vec<Event>> {
        let mut ev = Events::new(self.detail);
        match op {
            Op::Sync(kind) => self.sync_cycle(*kind, &mut ev),
            Op::Backup(label) => self.backup(label, &mut ev),
            Op::Delete {
                kind,
                handle,
                from,
                permanently,
            } => {
                let h = self.handle(*handle, *kind)?;
                match from {
                    Directory::Ad => self.ad_delete(h, *permanently, &mut ev),
                    Directory::Entra => self.entra_delete_handle(h, *permanently, &mut ev)?,
                }
            }
            Op::Restore {
                users,
                groups,
                from,
                recycle_bin,
                keep_relationships,
                existing,
            } => {
                let opts = crate::vdc::RestoreOptions {
                    recycle_bin: *recycle_bin,
                    keep_relationships: *keep_relationships,
                    existing: *existing,
                };
                self.vdc_restore(users, groups, from, opts, &mut ev)?
            }
            Op::RestoreAd { users, from } => self.vead_restore(users, from, &mut ev)?,
            Op::Undelete { kind, handle, dir } => {
                let h = self.handle(*handle, *kind)?;
                match dir {
                    Directory::Ad => self.ad_undelete(h, &mut ev),
                    Directory::Entra => self.entra_undelete_handle(h, &mut ev),
                }
            }
            Op::Create {
                kind,
                handle,
                dir,
                object,
            } => {
                let h = self.handle(*handle, *kind)?;
                match dir {
                    Directory::Ad => self.ad_create(h, object, &mut ev),
                    Directory::Entra => self.entra_create(h, object, &mut ev),
                }
            }
            Op::UpdateAd { kind, handle, set } => {
                let h = self.handle(*handle, *kind)?;
                self.ad_update(h, set, &mut ev)
            }
            Op::UpdateEntra { kind, handle, set } => {
                let h = self.handle(*handle, *kind)?;
                self.entra_update(h, set, &mut ev)?
            }
            Op::Assign {
                kind,
                handle,
                dir,
                rels,
            }
            | Op::Unassign {
                kind,
                handle,
                dir,
                rels,
            } => {
                let h = self.handle(*handle, *kind)?;
                let add = matches!(op, Op::Assign { .. });
                match dir {
                    Directory::Ad => self.ad_relations(h, rels, add, &mut ev)?,
                    Directory::Entra => self.entra_relations(h, rels, add, &mut ev)?,
                }
            }
            Op::Move { kind, handle, to } => {
                let h = self.handle(*handle, *kind)?;
                self.ad_move(h, to, &mut ev)
            }
            Op::Scope { add, remove } => self.sync_scope(add, remove, &mut ev),
            Op::Settings(patch) => self.settings.apply(patch),
            Op::Wait(secs) => self.wait(*secs, &mut ev)?,
        }
        self.flush_ids();
        self.check_invariants()?;
        Ok(ev.into_vec())
    }

    /// Whether operations return their events (the default) or only do their work (bulk runs
    /// and benchmarks: messages are then never formatted).
    pub fn set_detail(&mut self, detail: bool) {
        self.detail = detail;
    }

    /// Who to tell how far a long operation has got (`None`: nobody, the default).
    pub fn set_progress(&mut self, progress: Option<Progress>) {
        self.progress = Watcher(progress);
    }

    /// Tells the watcher, if any, that `done` of the `total` items of `stage` are done: at the
    /// start, every [`PROGRESS_EVERY`] items and at the end.
    #[inline]
    pub(crate) fn progress(&self, stage: &'static str, done: usize, total: usize) {
        if let Some(p) = &self.progress.0
            && (done.is_multiple_of(PROGRESS_EVERY) || done == total)
        {
            p(stage, done, total);
        }
    }

    /// `h` checked to be a handle of `kind`.
    pub(crate) fn handle(&self, h: HandleId, kind: Kind) -> Result<HandleId> {
        match self.handles.kind(h) {
            None => Err(EngineError::UnknownHandle(h)),
            Some(actual) if actual != kind => Err(EngineError::WrongKind {
                handle: self.handles.name(h).to_string(),
                expected: kind,
                actual,
            }),
            Some(_) => Ok(h),
        }
    }

    /// The handle named `name`, made if it is new: for a caller that builds a world
    /// operation by operation rather than from a loaded scenario.
    pub fn intern(&mut self, name: &str, kind: Kind) -> Result<HandleId> {
        let name = Str::from(name);
        std::sync::Arc::make_mut(&mut self.handles)
            .intern(&name, kind)
            .map_err(|e| match e {
                crate::store::handles::HandleError::WrongKind { expected, actual } => {
                    EngineError::WrongKind {
                        handle: name.to_string(),
                        expected,
                        actual,
                    }
                }
                crate::store::handles::HandleError::Reserved => {
                    EngineError::ReservedHandle(name.to_string())
                }
            })
    }

    /// Room for a tenant of `handles` users and groups, `objects` AD and Entra objects and
    /// `relations` relations in all: a caller that knows the size (a generated tenant) saves the
    /// copies and the transient memory of growing every table (the graph's node list alone is
    /// 200 MB at a million users, and doubling it copies all of it).
    pub fn reserve(&mut self, handles: usize, objects: usize, relations: usize) {
        self.objects.reserve(handles);
        self.g.reserve(objects, relations);
        let g = &self.g;
        self.entra_ix
            .by_id
            .reserve(handles, |x| g.entra(x).map(|o| o.id));
        self.entra_ix.reserve(handles);
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

    /// The name of a handle for the events of `ev`, where only they read it: none when events
    /// are off (reading it is a trip to memory per object in a large operation).
    pub(crate) fn event_name_of(&self, h: HandleId, ev: &crate::report::Events) -> Str {
        if ev.detail() {
            self.name_of(h)
        } else {
            Str::default()
        }
    }

    pub(crate) fn name_of(&self, h: HandleId) -> Str {
        self.handles.name_str(h).clone()
    }

    /// The live Entra object carrying a handle: `None` when there is none; an error naming the
    /// object ids when there are several (SCENARIO_FORMAT.md 1.3).
    pub fn entra_live(&self, h: HandleId) -> Result<Option<NodeIx>> {
        let mut live = self
            .objects
            .entra(h)
            .iter()
            .copied()
            .filter(|n| self.g.is_live(*n));
        let first = live.next();
        let Some(second) = live.next() else {
            return Ok(first);
        };
        let ids: Vec<String> = first
            .into_iter()
            .chain([second])
            .chain(live)
            .filter_map(|n| self.g.entra(n).map(|o| o.id.to_string()))
            .collect();
        Err(EngineError::Ambiguous {
            handle: self.name_of(h).to_string(),
            ids: ids.join(", "),
        })
    }

    /// The AD object of a handle: the live one, else the newest that still exists in some form.
    pub fn ad_current(&self, h: HandleId) -> Option<NodeIx> {
        let objs = self.objects.ad(h);
        objs.iter()
            .copied()
            .find(|n| self.g.ad(*n).is_some_and(AdObject::is_live))
            .or_else(|| {
                objs.iter()
                    .rev()
                    .copied()
                    .find(|n| self.g.ad(*n).is_some_and(|o| o.state != AdState::Gone))
            })
    }

    /// A catalogue node (role = 0, SKU = 1, app = 2), created on first use.
    pub(crate) fn catalogue_node(&mut self, which: u8, name: &str) -> NodeIx {
        let which = usize::from(which.min(2));
        if let Some(n) = self.catalogue.get(which).and_then(|m| m.get(name)) {
            return *n;
        }
        let node = match which {
            0 => Node::Role(name.into()),
            1 => Node::Sku(name.into()),
            _ => Node::App(name.into()),
        };
        let n = self.g.add(node);
        if let Some(m) = self.catalogue.get_mut(which) {
            m.insert(name.into(), n);
        }
        n
    }

    pub(crate) fn schedule(&mut self, node: NodeIx, since: Time, days: u32) {
        self.expiry_seq += 1;
        self.expiries.push(Reverse(Expiry {
            at: since.saturating_add(i64::from(days).saturating_mul(DAY)),
            seq: self.expiry_seq,
            node,
            since,
        }));
    }

    /// Advances the clock; expiries due by then happen in time order (INV-4, ENTRA-2, AD-2).
    fn wait(&mut self, secs: i64, ev: &mut Events) -> Result<()> {
        if secs < 0 {
            return Err(EngineError::Invariant {
                rule: RuleId::Inv4,
                message: format!("the clock cannot go back by {} s", -secs),
            });
        }
        let until = self.now.saturating_add(secs);
        while let Some(Reverse(e)) = self.expiries.peek().copied() {
            if e.at > until {
                break;
            }
            self.expiries.pop();
            if e.at < self.now {
                return Err(EngineError::Invariant {
                    rule: RuleId::Inv4,
                    message: format!("an expiry due at {} was left behind at {}", e.at, self.now),
                });
            }
            self.now = e.at;
            self.expire(e, ev);
        }
        self.now = until;
        let when = chrono::DateTime::from_timestamp(self.now, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        ev.push_with(|| Event::new(
            crate::report::EventKind::ClockAdvanced,
            "clock",
            RuleId::Inv4,
            format!(
                "the clock moved forward to {when}; every expiry due by then happened in time order"
            ),
        ));
        Ok(())
    }

    fn expire(&mut self, e: Expiry, ev: &mut Events) {
        match self.g.node(e.node) {
            Some(Node::Entra(o)) if o.state == (EntraState::SoftDeleted { since: e.since }) => {
                self.entra_purge(e.node, "its recycle-bin retention ended", ev)
            }
            Some(Node::Ad(_)) => self.ad_expire(e.node, e.since, ev),
            _ => {}
        }
    }

    /// INV-1..3 on the objects the last operation changed (INV-4 is kept by [`World::wait`]).
    fn check_invariants(&mut self) -> Result<()> {
        self.g.sort_touched();
        let (nodes, links) = self.g.touched();
        let checked = crate::invariants::check(self, nodes, links, self.g.removed_any());
        self.g.clear_touched();
        checked
    }

    /// INV-1..3 on every object of the world (for tests and tools; O(tenant)).
    pub fn check_all_invariants(&self) -> Result<()> {
        let all: Vec<NodeIx> = self.g.nodes().collect();
        let links: Vec<(NodeIx, NodeIx, Rel)> = self
            .g
            .relations()
            // The relations of an object gone for good are dead with it (ENTRA-2): no query
            // sees them, and INV-2 is about the relations that can be live.
            .filter(|(a, b, rel)| *rel == Rel::Join || !(self.g.is_gone(*a) || self.g.is_gone(*b)))
            .collect();
        crate::invariants::check(self, &all, &links, false)
    }
}
