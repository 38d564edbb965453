//! A VDC restore session at work (VDC-2..6): stage 1 from the recycle bin, stage 2 from the
//! backup (skip, overwrite or re-create), then the relations once every selected object exists.

use super::*;
use crate::settings::MailClash;

/// A restore session at work: the tenant it writes, through Graph as the product does.
pub(super) struct Session<'a> {
    pub(super) st: &'a mut Store,
    pub(super) entra: &'a mut Entra,
    pub(super) settings: &'a Settings,
}

impl Session<'_> {
    /// Stage 1 then stage 2 for one backed-up object; a mail-enabled security group is not
    /// restored at all (VDC-11).
    pub(super) fn restore_one(
        &mut self,
        b: &BackedUp,
        opts: RestoreOptions,
        remap: &mut FxHashMap<Guid, NodeIx>,
        ev: &mut Events,
    ) -> Outcome {
        let name = self.st.name_if(b.handle, ev.detail());
        let mut out = Outcome {
            status: Status::Success,
            reasons: Vec::new(),
            overwritten: None,
        };
        if b.kind == Kind::Group
            && b.group_type == GroupType::Security
            && b.props.get(EntraProp::Mail).is_some()
        {
            // A security group with a mail address is a mail-enabled security group.
            let why = "Veeam does not restore mail-enabled security groups or distribution groups";
            ev.push_with(|| {
                Event::new(K::RestoreFailed, &name, R::Vdc11, format!("{name}: {why}"))
            });
            out.status = Status::Failed;
            out.reasons.push(why.to_string());
            return out;
        }
        let node = self.entra.by_id(self.st, &b.id);
        // Stage 1: the Entra recycle bin (VDC-2).
        let mut from_bin = false;
        if opts.recycle_bin
            && let Some(n) = node
            && matches!(
                self.st.g.entra(n).map(|o| o.state),
                Some(EntraState::SoftDeleted { .. })
            )
        {
            from_bin = self.entra.restore(self.st, n, R::Vdc2, ev);
        }
        // Stage 2: the backup. "Exists" is a live object with the backed-up id (VDC-3).
        let live = node.filter(|n| self.st.g.is_live(*n));
        match (live, opts.existing) {
            (Some(_), Existing::Skip) => {
                let why = if from_bin {
                    "restored from the recycle bin; the backup stage skipped it because it exists"
                } else {
                    "exists in Entra ID; skipped"
                };
                ev.push_with(|| {
                    Event::new(
                        K::Skipped,
                        &name,
                        R::Vdc2,
                        format!("{name} ({}) {why}", b.id.short()),
                    )
                });
                out.warn(why.to_string());
            }
            (Some(n), Existing::Overwrite) => {
                self.overwrite(n, b, &mut out, ev);
                out.overwritten = Some(n);
            }
            (None, _) => self.recreate(b, remap, &mut out, ev),
        }
        out
    }

    /// VDC-3: re-creates an object with a new id and the VDC properties of the backup, unless a
    /// live object holds its UPN or immutableId (Failed, nothing written).
    fn recreate(
        &mut self,
        b: &BackedUp,
        remap: &mut FxHashMap<Guid, NodeIx>,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        let name = self.st.name_if(b.handle, ev.detail());
        let mut props = b.props.clone();
        props.retain(vdc_restores);
        for (what, value) in [
            (
                Unique::Upn,
                props
                    .text(EntraProp::UserPrincipalName)
                    .map(str::to_lowercase),
            ),
            (
                Unique::ImmutableId,
                props
                    .text(EntraProp::OnPremisesImmutableId)
                    .map(str::to_string),
            ),
        ] {
            let Some(value) = value else { continue };
            if let Some(holder) = self.entra.index.holder(what, &value) {
                let by = self
                    .st
                    .g
                    .entra(holder)
                    .map(|o| format!("{} ({})", self.st.name_of(o.handle), o.id))
                    .unwrap_or_default();
                let why = format!(
                    "cannot map {}: its {what} {value} is held by the live object {by}",
                    self.st.name_of(b.handle)
                );
                ev.push_with(|| {
                    Event::new(
                        K::RestoreFailed,
                        &name,
                        R::Vdc3,
                        format!("{why}; nothing was written"),
                    )
                });
                out.status = Status::Failed;
                out.reasons.push(why);
                return;
            }
        }
        // VDC-10: mail sets the primary SMTP address, a proxy address (ID-4).
        let mail = (b.kind == Kind::User)
            .then(|| props.text(EntraProp::Mail).map(str::to_string))
            .flatten();
        if let Some(mail) = mail
            && let Some(holder) = self
                .entra
                .index
                .holder(Unique::Proxy, &format!("smtp:{mail}"))
        {
            let by = self
                .st
                .g
                .entra(holder)
                .map(|o| format!("{} ({})", self.st.name_of(o.handle), o.id))
                .unwrap_or_default();
            let held = format!(
                "its mail {mail} is the primary SMTP address of {}, and the live object {by} holds that proxy address",
                self.st.name_of(b.handle)
            );
            match self.settings.vdc_mail_clash {
                MailClash::Failed => {
                    let why = format!("cannot create {}: {held}", self.st.name_of(b.handle));
                    ev.push_with(|| {
                        Event::new(
                            K::RestoreFailed,
                            &name,
                            R::Vdc10,
                            format!("{why}; nothing was written"),
                        )
                    });
                    out.status = Status::Failed;
                    out.reasons.push(why);
                    return;
                }
                MailClash::WithoutMail => {
                    props.retain(|p| p != EntraProp::Mail);
                    let why = format!("mail not written: {held}");
                    ev.push_with(|| Event::new(K::PropertySkipped, &name, R::Vdc10, why.clone()));
                    out.warn(why);
                }
            }
        }
        let id = self.st.ids.guid();
        let n = self
            .entra
            .add(self.st, b.handle, (b.kind, b.group_type), id, props);
        remap.insert(b.id, n);
        ev.push_with(|| Event::new(K::RestoredFromBackup, &name, R::Vdc3, format!(
            "{name} re-created from the backup with a new object id {id} (was {}); onPremisesSyncEnabled is null", b.id)));
        let lacking: Vec<&str> = b
            .props
            .iter()
            .map(|(p, _)| p)
            .filter(|p| !vdc_restores(*p))
            .map(|p| p.name())
            .collect();
        if !lacking.is_empty() {
            ev.push_with(|| {
                Event::new(
                    K::PropertySkipped,
                    &name,
                    R::Vdc6,
                    format!(
                        "VDC does not restore {}: empty until a sync fills them",
                        lacking.join(", ")
                    ),
                )
            });
        }
    }

    /// VDC-4: writes the backed-up relations of the re-created object `n`, at position `at` of
    /// the point, to targets that still exist; for a group, its members and owners in the point
    /// too ([`RestorePoint::members_and_owners`]).
    pub(super) fn restore_relations(
        &mut self,
        n: NodeIx,
        at: usize,
        stage: &Relations,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        let Relations {
            point,
            remap,
            members,
            ..
        } = stage;
        let Some(b) = point.objects.get(at) else {
            return;
        };
        let members = if stage.properties_only {
            &[][..]
        } else {
            members.get(&(at as u32)).map_or(&[][..], Vec::as_slice)
        };
        let name = self.st.name_if(b.handle, ev.detail());
        for (rel, linked) in point.links_of(b) {
            if rel == Rel::Join || !stage.in_scope(b.kind, rel) {
                continue;
            }
            let resolved = self.resolve(&linked.target(), remap);
            if resolved.is_some_and(|t| self.st.g.has(n, t, rel)) {
                continue;
            }
            if let Some((rule, why)) = self.not_restored(b.kind, rel, &self.linked_label(&linked)) {
                ev.push_with(|| Event::new(K::RelationSkipped, &name, rule, why.clone()));
                out.warn(why);
                continue;
            }
            // The label is written only where a reason or an event needs it.
            let why = match resolved {
                None => format!(
                    "{rel} {} skipped: it no longer exists",
                    self.linked_label(&linked)
                ),
                Some(t) if self.st.g.has(n, t, rel) => continue,
                Some(_)
                    if rel == Rel::Manager
                        && self.st.g.entra(n).is_some_and(EntraObject::is_synced) =>
                {
                    format!(
                        "manager {} skipped: the manager of a synced user is mastered in AD (ENTRA-5)",
                        self.linked_label(&linked)
                    )
                }
                Some(t)
                    if rel == Rel::Member
                        && self.st.g.entra(t).is_some_and(EntraObject::is_synced) =>
                {
                    format!(
                        "membership of {} skipped: it is synced from AD (ENTRA-5), the sync restores it",
                        self.linked_label(&linked)
                    )
                }
                Some(t) => {
                    if self.st.g.link(n, t, rel) {
                        ev.push_with(|| {
                            Event::new(
                                K::RelationRestored,
                                &name,
                                R::Vdc4,
                                format!("{rel} {} restored", self.linked_label(&linked)),
                            )
                        });
                        if rel == Rel::Member {
                            licence_events(self.st, n, t, true, ev);
                        }
                    }
                    continue;
                }
            };
            ev.push_with(|| Event::new(K::RelationSkipped, &name, R::Vdc4, why.clone()));
            out.warn(why);
        }
        // Members and owners of a re-created group come back from their side of the backup
        // (VDC-4: every relation the backup holds, to objects that still exist); so do the
        // direct reports of a user (VDC-7).
        for &(rel, at) in members {
            let Some(o) = point.objects.get(at as usize) else {
                continue;
            };
            let what = match rel {
                Rel::Member => "member",
                Rel::Owner => "owner",
                _ => "direct report",
            };
            let mname = self.st.name_of(o.handle);
            if rel == Rel::Manager {
                self.restore_direct_report(n, o, remap, &name, out, ev);
                continue;
            }
            match self.resolve(&Target::Object(o.id), remap) {
                Some(m) if self.st.g.link(m, n, rel) => {
                    ev.push_with(|| {
                        Event::new(
                            K::RelationRestored,
                            &name,
                            R::Vdc4,
                            format!("{what} {mname} restored"),
                        )
                    });
                    if rel == Rel::Member {
                        licence_events(self.st, m, n, true, ev);
                    }
                }
                Some(_) => {}
                None => {
                    let why = format!("{what} {mname} skipped: it no longer exists");
                    ev.push_with(|| Event::new(K::RelationSkipped, &name, R::Vdc4, why.clone()));
                    out.warn(why);
                }
            }
        }
    }

    /// VDC-7: the manager link of a backed-up direct report `o` of the restored user `n`, given
    /// back when the report exists. A synced report's manager is mastered in AD (ENTRA-5), and a
    /// report who has another manager now keeps it.
    fn restore_direct_report(
        &mut self,
        n: NodeIx,
        o: &BackedUp,
        remap: &FxHashMap<Guid, NodeIx>,
        name: &str,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        let rname = self.st.name_of(o.handle);
        let why = match self.resolve(&Target::Object(o.id), remap) {
            None => format!("direct report {rname} skipped: it no longer exists"),
            Some(m) if self.st.g.has(m, n, Rel::Manager) => return,
            Some(m) if self.st.g.entra(m).is_some_and(EntraObject::is_synced) => format!(
                "direct report {rname} skipped: the manager of a synced user is mastered in AD (ENTRA-5)"
            ),
            Some(m) if self.st.g.live_out(m, Rel::Manager).next().is_some() => {
                format!("direct report {rname} skipped: it has another manager now")
            }
            Some(m) => {
                self.st.g.link(m, n, Rel::Manager);
                ev.push_with(|| {
                    Event::new(
                        K::RelationRestored,
                        name,
                        R::Vdc7,
                        format!("direct report {rname} restored: its manager is {name} again"),
                    )
                });
                return;
            }
        };
        ev.push_with(|| Event::new(K::RelationSkipped, name, R::Vdc7, why.clone()));
        out.warn(why);
    }

    /// Why Veeam does not restore `rel` of an object of `kind`, if it does not: a group's app
    /// role assignments are "Not available for restore" (VDC-7); role assignments only for
    /// tenants with Entra ID P2 or Governance (VDC-8).
    fn not_restored(&self, kind: Kind, rel: Rel, label: &str) -> Option<(R, String)> {
        match rel {
            Rel::App if kind == Kind::Group => Some((
                R::Vdc7,
                format!(
                    "app role assignment {label} skipped: Veeam does not restore a group's app role assignments"
                ),
            )),
            Rel::Role if !self.settings.tenant_licence.protects_roles() => Some((
                R::Vdc8,
                format!(
                    "role {label} skipped: Veeam protects role assignments only for tenants with Entra ID P2 or Governance (tenant_licence: p1)"
                ),
            )),
            _ => None,
        }
    }

    fn resolve(&mut self, t: &Target, remap: &FxHashMap<Guid, NodeIx>) -> Option<NodeIx> {
        match t {
            Target::Object(id) => remap
                .get(id)
                .copied()
                .or_else(|| self.entra.by_id(self.st, id))
                .filter(|n| self.st.g.is_live(*n)),
            Target::Catalogue(k, s) => Some(self.entra.catalogue_node(self.st, *k, s)),
        }
    }

    /// How an event names what a backed-up relation points to: the object's handle, or the
    /// role, SKU or app.
    fn linked_label(&self, l: &Linked) -> String {
        match l {
            Linked::Object(o, _) => self.st.name_of(o.handle).to_string(),
            Linked::Catalogue(_, s) => s.to_string(),
        }
    }

    /// VDC-2 `overwrite`: the backup's VDC properties replace the live ones (an empty value
    /// clears). Writes the cloud refuses on a synced object (ENTRA-5) are skipped with a warning.
    /// The relations follow in [`Session::overwrite_relations`].
    fn overwrite(&mut self, n: NodeIx, b: &BackedUp, out: &mut Outcome, ev: &mut Events) {
        let name = self.st.name_of(b.handle);
        let Some(cur) = self.st.g.entra(n).cloned() else {
            return;
        };
        let synced = cur.is_synced();
        let props: Vec<EntraProp> = RESTORED_PROPS
            .iter()
            .copied()
            .filter(|p| {
                b.kind == Kind::User
                    || matches!(
                        p,
                        EntraProp::DisplayName | EntraProp::Mail | EntraProp::MailNickname
                    )
            })
            .collect();
        let mut writes = Vec::new();
        let mut refused = Vec::new();
        for p in props {
            let want = b.props.get(p).cloned();
            if cur.props.get(p) == want.as_ref() {
                continue;
            }
            if synced && is_ad_mastered(p) {
                refused.push(p.name());
            } else {
                writes.push((p, want));
            }
        }
        if !refused.is_empty() {
            let why = format!(
                "properties mastered in AD not written ({}): Unable to update the specified properties for on-premises mastered Directory Sync objects",
                refused.join(", ")
            );
            ev.push_with(|| Event::new(K::PropertySkipped, &name, R::Entra5, why.clone()));
            out.warn(why);
        }
        let names: Vec<&str> = writes.iter().map(|(p, _)| p.name()).collect();
        match self.entra.write(self.st, n, &writes) {
            Ok(true) => ev.push_with(|| {
                Event::new(
                    K::Overwritten,
                    &name,
                    R::Vdc2,
                    format!(
                        "{name} ({}) overwritten from the backup: {}",
                        b.id.short(),
                        names.join(", ")
                    ),
                )
            }),
            Ok(false) => ev.push_with(|| {
                Event::new(
                    K::Overwritten,
                    &name,
                    R::Vdc2,
                    format!(
                        "{name} ({}) already has the backed-up property values",
                        b.id.short()
                    ),
                )
            }),
            Err(_) => {
                let why =
                    "properties not written: a unique value is held by another object".to_string();
                ev.push_with(|| Event::new(K::PropertySkipped, &name, R::Id4, why.clone()));
                out.warn(why);
            }
        }
    }

    /// VDC-2 `overwrite` with Keep Relationships: the relations of the existing object `n`, at
    /// position `at` of the point, are made to match the backup — the missing ones added (to
    /// objects re-created in the same session too), the ones added after the backup removed.
    /// Run once every selected object exists.
    pub(super) fn overwrite_relations(
        &mut self,
        n: NodeIx,
        at: usize,
        stage: &Relations,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        let Some(b) = stage.point.objects.get(at) else {
            return;
        };
        let name = self.st.name_of(b.handle);
        let synced = self.st.g.entra(n).is_some_and(EntraObject::is_synced);
        self.restore_relations(n, at, stage, out, ev);
        // Sorted, so that each current relation is looked for in log time: a user with
        // thousands of relations compared every one with every other.
        let mut wanted: Vec<(Rel, Target)> = stage.point.rels(b).collect();
        wanted.sort_unstable();
        let current: Vec<(Rel, NodeIx)> = self
            .st
            .g
            .out_all(n)
            .filter(|(r, t)| *r != Rel::Join && self.st.g.is_live(*t))
            .collect();
        for (rel, t) in current {
            // What Veeam does not restore, it leaves as it is (VDC-7, VDC-8).
            if !stage.in_scope(b.kind, rel) || self.not_restored(b.kind, rel, "").is_some() {
                continue;
            }
            let target = match self.st.g.node(t) {
                Some(Node::Entra(x)) => {
                    Target::Object(stage.backed_up_id.get(&t).copied().unwrap_or(x.id))
                }
                Some(Node::Role(s)) => Target::Catalogue(0, s.clone()),
                Some(Node::Sku(s)) => Target::Catalogue(1, s.clone()),
                Some(Node::App(s)) => Target::Catalogue(2, s.clone()),
                _ => continue,
            };
            if wanted.binary_search(&(rel, target.clone())).is_ok() {
                continue;
            }
            let label = match (&target, self.st.g.entra(t)) {
                (Target::Object(_), Some(x)) => self.st.name_of(x.handle).to_string(),
                (Target::Object(id), None) => id.to_string(),
                (Target::Catalogue(_, s), _) => s.to_string(),
            };
            let refused = (rel == Rel::Member
                && self.st.g.entra(t).is_some_and(EntraObject::is_synced))
                || (rel == Rel::Manager && synced);
            let what = format!("{rel} {label}");
            let mastered = refused.then_some("it is mastered in AD");
            self.remove_unbacked((n, t, rel), &what, mastered, &name, out, ev);
        }
        if b.kind == Kind::Group && !stage.properties_only {
            self.overwrite_members(n, at, stage, out, ev);
        }
    }

    /// VDC-2 `overwrite` of a group with Keep Relationships: its members and owners are made to
    /// match the backup too, those added after it removed ("will remove the relationships not
    /// present in the backup"). The members of a synced group are mastered in AD (ENTRA-5).
    fn overwrite_members(
        &mut self,
        n: NodeIx,
        at: usize,
        stage: &Relations,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        let Some(b) = stage.point.objects.get(at) else {
            return;
        };
        let name = self.st.name_of(b.handle);
        let synced = self.st.g.entra(n).is_some_and(EntraObject::is_synced);
        let mut wanted: Vec<(Rel, Guid)> = stage
            .members
            .get(&(at as u32))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&(rel, p)| Some((rel, stage.point.objects.get(p as usize)?.id)))
            .collect();
        wanted.sort_unstable();
        for rel in [Rel::Member, Rel::Owner] {
            let current: Vec<NodeIx> = self.st.g.live_inc(n, rel).collect();
            for m in current {
                let Some(x) = self.st.g.entra(m) else {
                    continue;
                };
                let id = stage.backed_up_id.get(&m).copied().unwrap_or(x.id);
                if wanted.binary_search(&(rel, id)).is_ok() {
                    continue;
                }
                let label = self.st.name_of(x.handle).to_string();
                let what = if rel == Rel::Member {
                    "member"
                } else {
                    "owner"
                };
                let mastered = (rel == Rel::Member && synced)
                    .then_some("the members of a synced group are mastered in AD");
                let what = format!("{what} {label}");
                self.remove_unbacked((m, n, rel), &what, mastered, &name, out, ev);
            }
        }
    }

    /// VDC-2: removes the relation `from` → `to` that the backup does not have, `what` naming it
    /// in the events; or, when the cloud cannot write it (`mastered` says why, ENTRA-5), leaves it
    /// and warns.
    fn remove_unbacked(
        &mut self,
        (from, to, rel): (NodeIx, NodeIx, Rel),
        what: &str,
        mastered: Option<&str>,
        name: &str,
        out: &mut Outcome,
        ev: &mut Events,
    ) {
        if let Some(reason) = mastered {
            let why = format!("{what} not removed: {reason} (ENTRA-5)");
            ev.push_with(|| Event::new(K::RelationSkipped, name, R::Vdc4, why.clone()));
            out.warn(why);
            return;
        }
        self.st.g.unlink(from, to, rel);
        if rel == Rel::Member {
            licence_events(self.st, from, to, false, ev);
        }
        ev.push_with(|| {
            Event::new(
                K::RelationRemoved,
                name,
                R::Vdc2,
                format!("{what} removed: it was not in the backup"),
            )
        });
    }
}
