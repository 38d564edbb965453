//! The reference phase of a cycle (SYNC-7): managers and the memberships of synced groups.

use super::*;

impl Cycle<'_> {
    /// Reference attributes (SYNC-7): a user's manager once the manager's cloud object exists, a
    /// synced group's members (members outside scope dropped): all of them, or `only` those of
    /// these (group, member) pairs.
    pub(super) fn flow_references(
        &mut self,
        n: NodeIx,
        only: Option<&[(NodeIx, NodeIx)]>,
        ev: &mut Events,
    ) {
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
    pub(super) fn membership_changes(&self, n: NodeIx, e: NodeIx) -> (Vec<NodeIx>, Vec<NodeIx>) {
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
    pub(super) fn member_changes(
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
}
