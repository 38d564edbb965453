//! A cycle from start to end (SYNC-11): what to do with each AD object, deletes and the
//! threshold (SYNC-8), the export, then the references.

use std::ops::Range;

use super::*;

/// What a cycle does with one AD object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Add { rejoin: bool },
    Update(NodeIx),
    Delete(NodeIx),
    Disconnect(NodeIx),
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

impl Cycle<'_> {
    /// One Entra Connect cycle (SYNC-11): import both sides, plan adds, updates and deletes,
    /// apply the deletion threshold (SYNC-8), export.
    pub(super) fn run(&mut self, kind: CycleKind, ev: &mut Events) {
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
        // SYNC-8: "more than" the threshold, or "met or exceeded" (`deletion_threshold_counts`).
        let counts = self.settings.deletion_threshold_counts;
        if let Some(t) = self.settings.deletion_threshold
            && counts.stops(deletes, t)
        {
            // SYNC-8: nothing is exported; the work stays pending for the next cycle.
            self.st.changes.dirty.extend(plan.iter().map(|(n, _)| *n));
            result.export = Export::StoppedDeletionThresholdExceeded;
            ev.push_with(|| Event::new(
                K::ExportStopped,
                "sync",
                R::Sync8,
                format!(
                    "the cycle would delete {deletes} objects, {} the deletion threshold of {t}: the whole export stopped (stopped-deletion-threshold-exceeded), nothing was added, changed or deleted",
                    match counts {
                        DeletionThresholdCounts::MoreThan => "more than",
                        DeletionThresholdCounts::MetOrExceeded => "as many as or more than",
                    }
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

    pub(super) fn ad_name(&self, n: NodeIx) -> Str {
        self.st
            .g
            .ad(n)
            .map(|o| self.st.name_of(o.handle))
            .unwrap_or_default()
    }

    /// The name of AD object `n` for the events of `ev` ([`Cycle::event_name_of`]).
    pub(super) fn event_name(&self, n: NodeIx, ev: &Events) -> Str {
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
    pub(super) fn sync_delete(&mut self, n: NodeIx, e: NodeIx, ev: &mut Events) {
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

    pub(super) fn entra_name(&self, e: NodeIx) -> Str {
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
