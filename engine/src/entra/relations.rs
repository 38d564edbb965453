//! Relations in Entra ID (ID-3): memberships, ownerships, roles, licences, apps and manager,
//! with the cloud-write rule for synced objects (ENTRA-5) and group-based licensing (ENTRA-6).

use super::*;

impl Entra {
    /// `assign`/`unassign` in Entra (ID-3): memberships, ownerships, roles, licences, apps and
    /// manager. Membership of a synced group and the manager of a synced user are refused
    /// (ENTRA-5); licences inherited through a membership follow it (ENTRA-6).
    pub(crate) fn relations(
        &mut self,
        st: &mut Store,
        h: HandleId,
        rels: &RelationSet,
        add: bool,
        ev: &mut Events,
    ) -> Result<()> {
        let name = st.name_if(h, ev.detail());
        let Some(n) = live(st, h)? else {
            ev.push_with(|| {
                Event::new(
                    K::NotFound,
                    &name,
                    R::Id3,
                    format!("{name} has no live object in Entra ID"),
                )
            });
            return Ok(());
        };
        let verb = if add { "added" } else { "removed" };
        let kind = if add {
            K::RelationAdded
        } else {
            K::RelationRemoved
        };
        for &gh in &rels.groups {
            let Some(gn) = target(st, gh, Kind::Group)? else {
                ev.push(not_live(st.handles.name(gh), &name));
                continue;
            };
            if st.g.entra(gn).is_some_and(EntraObject::is_synced) {
                ev.push_with(|| {
                    Event::new(
                        K::WriteRefused,
                        &name,
                        R::Entra5,
                        format!(
                            "{} is synced from AD: its members cannot be changed in the cloud",
                            st.handles.name(gh)
                        ),
                    )
                });
                continue;
            }
            if set_rel(st, n, gn, Rel::Member, add) {
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} as member of {}", st.handles.name(gh)),
                    )
                });
                licence_events(st, n, gn, add, ev);
            }
        }
        for &gh in &rels.owns {
            let Some(gn) = target(st, gh, Kind::Group)? else {
                ev.push(not_live(st.handles.name(gh), &name));
                continue;
            };
            if set_rel(st, n, gn, Rel::Owner, add) {
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("{name} {verb} as owner of {}", st.handles.name(gh)),
                    )
                });
            }
        }
        for (which, list, what) in [(0u8, &rels.roles, "role"), (2, &rels.apps, "app")] {
            let rel = if which == 0 { Rel::Role } else { Rel::App };
            for item in list {
                let t = self.catalogue_node(st, which, item);
                if set_rel(st, n, t, rel, add) {
                    ev.push_with(|| {
                        Event::new(
                            kind,
                            &name,
                            R::Id3,
                            format!("{what} {item} {verb} for {name}"),
                        )
                    });
                }
            }
        }
        for sku in &rels.licenses {
            let t = self.catalogue_node(st, 1, sku);
            if set_rel(st, n, t, Rel::Licence, add) {
                let is_group = st.g.entra(n).is_some_and(|o| o.kind == Kind::Group);
                if is_group {
                    ev.push_with(|| {
                        Event::new(
                            if add {
                                K::LicenceInherited
                            } else {
                                K::LicenceRemoved
                            },
                            &name,
                            R::Entra6,
                            format!(
                                "licence {sku} {verb} for group {name}: its direct members {} it",
                                if add { "inherit" } else { "lose" }
                            ),
                        )
                    });
                } else {
                    ev.push_with(|| {
                        Event::new(
                            kind,
                            &name,
                            R::Id3,
                            format!("direct licence {sku} {verb} for {name}"),
                        )
                    });
                }
            }
        }
        if let Some(mh) = rels.manager {
            if st.g.entra(n).is_some_and(EntraObject::is_synced) {
                ev.push_with(|| Event::new(
                    K::WriteRefused,
                    &name,
                    R::Entra5,
                    format!(
                        "the manager of {name} is mastered in AD: it cannot be changed in the cloud"
                    ),
                ));
            } else if add {
                let Some(m) = target(st, mh, Kind::User)? else {
                    ev.push(not_live(st.handles.name(mh), &name));
                    return Ok(());
                };
                let old: Vec<NodeIx> = st.g.out(n, Rel::Manager).collect();
                for o in old {
                    st.g.unlink(n, o, Rel::Manager);
                }
                st.g.link(n, m, Rel::Manager);
                ev.push_with(|| {
                    Event::new(
                        kind,
                        &name,
                        R::Id3,
                        format!("manager of {name} set to {}", st.handles.name(mh)),
                    )
                });
            } else {
                let old: Vec<NodeIx> = st.g.out(n, Rel::Manager).collect();
                for o in old {
                    st.g.unlink(n, o, Rel::Manager);
                    ev.push_with(|| {
                        Event::new(kind, &name, R::Id3, format!("manager of {name} removed"))
                    });
                }
            }
        }
        Ok(())
    }
}

/// The live Entra object of a handle, as a target of a relation.
fn target(st: &Store, h: HandleId, kind: Kind) -> Result<Option<NodeIx>> {
    live(st, handle(st, h, kind)?)
}

fn set_rel(st: &mut Store, from: NodeIx, to: NodeIx, rel: Rel, add: bool) -> bool {
    if add {
        st.g.link(from, to, rel)
    } else {
        st.g.unlink(from, to, rel)
    }
}

/// ENTRA-6: the licences a membership change brings or takes.
pub fn licence_events(st: &Store, member: NodeIx, group: NodeIx, add: bool, ev: &mut Events) {
    // Events only: nothing to read when they are off.
    if !ev.detail() {
        return;
    }
    let Some(m) = st.g.entra(member) else {
        return;
    };
    if m.kind != Kind::User {
        return;
    }
    let name = st.name_of(m.handle);
    let gname =
        st.g.entra(group)
            .map(|g| st.name_of(g.handle))
            .unwrap_or_default();
    for sku in st.g.out(group, Rel::Licence) {
        let sku = st.g.catalogue_name(sku).unwrap_or_default();
        ev.push_with(|| {
            Event::new(
                if add {
                    K::LicenceInherited
                } else {
                    K::LicenceRemoved
                },
                &name,
                R::Entra6,
                if add {
                    format!("{name} inherits licence {sku} from {gname}")
                } else {
                    format!("{name} no longer inherits licence {sku} from {gname}")
                },
            )
        });
    }
}

/// The licences a live user holds: direct ones and those inherited from the groups it is a
/// direct member of (ENTRA-6; group-based licensing does not follow nesting).
pub fn licences_of(st: &Store, n: NodeIx) -> BTreeSet<String> {
    let mut out: BTreeSet<String> =
        st.g.live_out(n, Rel::Licence)
            .filter_map(|s| st.g.catalogue_name(s).map(str::to_string))
            .collect();
    for grp in st.g.live_out(n, Rel::Member) {
        out.extend(
            st.g.out(grp, Rel::Licence)
                .filter_map(|s| st.g.catalogue_name(s).map(str::to_string)),
        );
    }
    out
}

fn not_live(target: &str, subject: &str) -> Event {
    Event::new(
        K::NotFound,
        subject,
        R::Id3,
        format!(
            "{target} has no live object in Entra ID: the relation of {subject} was not changed"
        ),
    )
}
