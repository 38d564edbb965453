//! The simulated world: the systems composed. The storage of both directories, AD, Entra ID,
//! Entra Connect, Veeam Data Cloud and Veeam Explorer for AD, the clock and the configuration.
//! [`World::apply`] hands each operation to the systems concerned and returns the events they
//! caused; the invariants (INV-1..4) are checked after every one. No rule lives here.

use std::sync::Arc;

use crate::ad::Ad;
use crate::clock::{Clock, Expiry};
use crate::entra::Entra;
use crate::error::{EngineError, Result};
use crate::op::{Op, handle};
use crate::report::{Event, EventKind, Events, Progress, Watch};
use crate::rules::RuleId;
use crate::settings::{Names, Settings};
use crate::store::*;
use crate::sync::SyncEngine;
use crate::vdc::{RestoreOptions, Vdc};
use crate::vead::Vead;

/// How many objects a world has before its two backups are taken on two threads.
const BACKUP_APART_FROM: usize = 10_000;

/// The whole simulated world.
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) st: Store,
    pub(crate) ad: Ad,
    pub(crate) entra: Entra,
    pub(crate) sync: SyncEngine,
    pub(crate) vdc: Vdc,
    pub(crate) vead: Vead,
    pub(crate) clock: Clock,
    pub(crate) settings: Settings,
    pub(crate) names: Names,
    /// Whether operations return their events.
    detail: bool,
    /// Who is told how far a long operation has got, if anyone.
    watch: Watch,
}

impl World {
    /// An empty world: no objects, the clock at `start`, and the handles its operations name.
    pub fn new(settings: Settings, names: Names, start: Time, handles: Arc<Handles>) -> World {
        World {
            st: Store::new(handles, settings.seed),
            ad: Ad::default(),
            entra: Entra::default(),
            sync: SyncEngine::default(),
            vdc: Vdc::default(),
            vead: Vead::default(),
            clock: Clock::new(start),
            settings,
            names,
            detail: true,
            watch: Watch::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn names(&self) -> &Names {
        &self.names
    }
    pub fn now(&self) -> Time {
        self.clock.now()
    }
    pub fn graph(&self) -> &DirGraph {
        &self.st.g
    }
    pub fn handles(&self) -> &Handles {
        &self.st.handles
    }
    pub fn store(&self) -> &Store {
        &self.st
    }

    /// Sets the OU filter as configured and in effect (the world's `sync_ous`).
    pub fn set_sync_ous(&mut self, ous: Option<Vec<String>>) {
        self.sync.set_sync_ous(ous);
    }

    /// The handle named `name`, made if it is new: for a caller that builds a world
    /// operation by operation rather than from a loaded scenario.
    pub fn intern(&mut self, name: &str, kind: Kind) -> Result<HandleId> {
        let name = Str::from(name);
        Arc::make_mut(&mut self.st.handles)
            .intern(&name, kind)
            .map_err(|e| match e {
                handles::HandleError::WrongKind { expected, actual } => EngineError::WrongKind {
                    handle: name.to_string(),
                    expected,
                    actual,
                },
                handles::HandleError::Reserved => EngineError::ReservedHandle(name.to_string()),
            })
    }

    /// Applies one operation and returns the events it caused; then checks the invariants.
    pub fn apply(&mut self, op: &Op) -> Result<Vec<Event>> {
        let mut ev = Events::watched(self.detail, self.watch.clone());
        let World {
            st,
            ad,
            entra,
            sync,
            vdc,
            vead,
            clock,
            settings,
            names,
            ..
        } = self;
        match op {
            Op::Sync(kind) => sync.cycle(st, entra, clock, settings, names, *kind, &mut ev),
            Op::Backup(label) => {
                // The two products read the same world and neither writes it, so they are taken
                // at once: the AD backup on this thread, telling the watcher how far it has got.
                // A small world is backed up on this thread: starting one costs more than the
                // backup (a readiness replay takes one per user and incident).
                let now = clock.now();
                let (point, ad_backup) = if st.g.node_count() < BACKUP_APART_FROM {
                    (
                        Vdc::restore_point_now(st, now),
                        Vead::backup_now(st, ev.watch()),
                    )
                } else {
                    std::thread::scope(|s| {
                        let point = s.spawn(|| Vdc::restore_point_now(st, now));
                        let ad_backup = Vead::backup_now(st, ev.watch());
                        (crate::joined(point), ad_backup)
                    })
                };
                vdc.keep(label, point, &mut ev);
                vead.keep(label, ad_backup, &mut ev);
            }
            Op::Delete {
                kind,
                handle: h,
                from,
                permanently,
            } => {
                let h = handle(st, *h, *kind)?;
                match from {
                    Directory::Ad => ad.delete(st, clock, settings, h, *permanently, &mut ev),
                    Directory::Entra => {
                        entra.delete_handle(st, clock, settings, h, *permanently, &mut ev)?
                    }
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
                let opts = RestoreOptions {
                    recycle_bin: *recycle_bin,
                    keep_relationships: *keep_relationships,
                    existing: *existing,
                };
                vdc.restore(st, entra, users, groups, from, opts, settings, &mut ev)?
            }
            Op::RestoreAd { users, from } => {
                vead.restore(st, ad, settings, users, from, &mut ev)?
            }
            Op::Undelete {
                kind,
                handle: h,
                dir,
            } => {
                let h = handle(st, *h, *kind)?;
                match dir {
                    Directory::Ad => ad.undelete(st, h, &mut ev),
                    Directory::Entra => entra.undelete_handle(st, h, &mut ev),
                }
            }
            Op::Create {
                kind,
                handle: h,
                dir,
                object,
            } => {
                let h = handle(st, *h, *kind)?;
                match dir {
                    Directory::Ad => ad.create(st, names, h, object, &mut ev),
                    Directory::Entra => entra.create(st, names, h, object, &mut ev),
                }
            }
            Op::UpdateAd {
                kind,
                handle: h,
                set,
            } => {
                let h = handle(st, *h, *kind)?;
                ad.update(st, h, set, &mut ev)
            }
            Op::UpdateEntra {
                kind,
                handle: h,
                set,
            } => {
                let h = handle(st, *h, *kind)?;
                entra.update(st, h, set, &mut ev)?
            }
            Op::Assign {
                kind,
                handle: h,
                dir,
                rels,
            }
            | Op::Unassign {
                kind,
                handle: h,
                dir,
                rels,
            } => {
                let h = handle(st, *h, *kind)?;
                let add = matches!(op, Op::Assign { .. });
                match dir {
                    Directory::Ad => ad.relations(st, h, rels, add, &mut ev)?,
                    Directory::Entra => entra.relations(st, h, rels, add, &mut ev)?,
                }
            }
            Op::Move {
                kind,
                handle: h,
                to,
            } => {
                let h = handle(st, *h, *kind)?;
                ad.move_to(st, |ou| sync.in_scope_ou(ou), h, to, &mut ev)
            }
            Op::Scope { add, remove } => sync.scope(add, remove, &mut ev),
            Op::Settings(patch) => settings.apply(patch),
            Op::Wait(secs) => self.wait(*secs, &mut ev)?,
            Op::Adopt(capture) => crate::capture::Placing {
                st,
                ad,
                entra,
                clock,
                settings,
            }
            .place(capture),
        }
        self.entra.flush_ids(&self.st);
        self.check_invariants()?;
        Ok(ev.into_vec())
    }

    /// Whether operations return their events (the default) or only do their work (bulk runs
    /// and benchmarks: messages are then never formatted).
    pub fn set_detail(&mut self, detail: bool) {
        self.detail = detail;
    }

    /// Whether the next sync cycle has changes to process.
    pub fn pending_changes(&self) -> bool {
        !self.st.changes.dirty.is_empty() || !self.st.changes.members.is_empty()
    }

    /// Whether operations return their events.
    pub fn detail(&self) -> bool {
        self.detail
    }

    /// Who to tell how far a long operation has got (`None`: nobody, the default).
    pub fn set_progress(&mut self, progress: Option<Progress>) {
        self.watch = Watch(progress);
    }

    /// Tells the watcher, if any, how far a caller's own long work has got.
    pub fn progress(&self, stage: &'static str, done: usize, total: usize) {
        self.watch.tell(stage, done, total);
    }

    /// Room for a tenant of `handles` users and groups, `objects` AD and Entra objects and
    /// `relations` relations in all: a caller that knows the size (a generated tenant) saves the
    /// copies and the transient memory of growing every table.
    pub fn reserve(&mut self, handles: usize, objects: usize, relations: usize) {
        self.st.objects.reserve(handles);
        self.st.g.reserve(objects, relations);
        self.entra.reserve(&self.st, handles);
    }

    /// Advances the clock; expiries due by then happen in time order (INV-4, ENTRA-2, AD-2).
    fn wait(&mut self, secs: i64, ev: &mut Events) -> Result<()> {
        let until = self.clock.now().saturating_add(secs);
        // The clock is written as an RFC 3339 time, whose years end at 9999.
        const LAST: i64 = 253_402_300_799;
        if until > LAST {
            return Err(crate::EngineError::Invalid(format!(
                "this wait takes the clock past 9999-12-31T23:59:59Z, the last time hysim can write (it is {} now)",
                chrono::DateTime::from_timestamp(self.clock.now(), 0)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default()
            )));
        }
        while let Some(e) = self.clock.next_due(until)? {
            self.expire(e, ev);
        }
        let when = chrono::DateTime::from_timestamp(self.clock.now(), 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        ev.push_with(|| Event::new(
            EventKind::ClockAdvanced,
            "clock",
            RuleId::Inv4,
            format!(
                "the clock moved forward to {when}; every expiry due by then happened in time order"
            ),
        ));
        Ok(())
    }

    /// An expiry that is due, handed to the directory whose object it is.
    fn expire(&mut self, e: Expiry, ev: &mut Events) {
        let World {
            st,
            ad,
            entra,
            clock,
            settings,
            ..
        } = self;
        match st.g.node(e.node) {
            Some(Node::Entra(o)) if o.state == (EntraState::SoftDeleted { since: e.since }) => {
                entra.purge(st, e.node, "its recycle-bin retention ended", ev)
            }
            Some(Node::Ad(_)) => ad.expire(st, clock, settings, e.node, e.since, ev),
            _ => {}
        }
    }

    /// INV-1..3 on the objects the last operation changed (INV-4 is kept by the clock).
    fn check_invariants(&mut self) -> Result<()> {
        self.st.g.sort_touched();
        let (nodes, links) = self.st.g.touched();
        let checked =
            crate::invariants::check(&self.st, &self.entra, nodes, links, self.st.g.removed_any());
        self.st.g.clear_touched();
        checked
    }

    /// INV-1..3 on every object of the world (for tests and tools; O(tenant)).
    pub fn check_all_invariants(&self) -> Result<()> {
        let g = &self.st.g;
        let all: Vec<NodeIx> = g.nodes().collect();
        let links: Vec<(NodeIx, NodeIx, Rel)> = g
            .relations()
            // The relations of an object gone for good are dead with it (ENTRA-2): no query
            // sees them, and INV-2 is about the relations that can be live.
            .filter(|(a, b, rel)| *rel == Rel::Join || !(g.is_gone(*a) || g.is_gone(*b)))
            .collect();
        crate::invariants::check(&self.st, &self.entra, &all, &links, false)
    }
}
