//! Adding an AD object to Entra ID: its anchor (SYNC-1), hard match (SYNC-3, SYNC-4), soft match
//! (SYNC-5), provisioning (SYNC-6) and re-adds (SYNC-10).

use super::*;

/// How an add found (or made) its Entra object.
pub(super) enum Outcome {
    Joined(NodeIx),
    Failed,
}

impl Cycle<'_> {
    /// The anchor of an AD object (SYNC-1). With `ms-ds-consistencyguid` an empty
    /// mS-DS-ConsistencyGuid gets the objectGUID written into it first.
    pub(super) fn anchor(&mut self, n: NodeIx, ev: &mut Events) -> Option<Guid> {
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
    pub(super) fn anchor_of(&self, o: &AdObject) -> (Guid, bool) {
        if o.kind == Kind::Group || self.settings.source_anchor == SourceAnchor::ObjectGuid {
            return (o.guid, false);
        }
        match o.consistency_guid() {
            Some(cg) => (cg, false),
            None => (o.guid, true),
        }
    }

    /// An add: hard match (SYNC-3, SYNC-4), soft match (SYNC-5), else a new object (SYNC-6).
    /// A group is never hard-matched and gets no onPremisesImmutableId; it is soft-matched only
    /// when mail-enabled, on its primary SMTP address, to a live cloud group (SYNC-12).
    pub(super) fn sync_add(
        &mut self,
        n: NodeIx,
        rejoin: bool,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) -> Outcome {
        let kind = self.st.g.ad(n).map_or(Kind::User, |o| o.kind);
        // SYNC-12: a group's only link to its cloud object is the sync's own join: it has no
        // anchor in the cloud, so nothing to hard-match and no onPremisesImmutableId.
        let group = kind == Kind::Group;
        let anchor = if group {
            None
        } else {
            let Some(anchor) = self.anchor(n, ev) else {
                return Outcome::Failed;
            };
            Some((anchor, immutable_id(anchor)))
        };
        let name = self.event_name(n, ev);
        let fail =
            |errors: &mut BTreeSet<ErrorCode>, ev: &mut Events, code, kind, rule, msg: String| {
                errors.insert(code);
                ev.push_with(|| Event::new(kind, &name, rule, msg));
                Outcome::Failed
            };
        // Hard match against live objects (SYNC-3).
        if let Some((_, imm)) = &anchor
            && let Some(e) = self.entra.index.holder(Unique::ImmutableId, imm)
        {
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
        if self.settings.sync_restores_soft_deleted
            && let Some((_, imm)) = &anchor
        {
            let newest = self
                .entra
                .index
                .deleted_with_anchor(imm)
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
        let want = self.desired_props(n, anchor.as_ref().map(|(_, i)| Value::from(i.clone())));
        // Soft match (SYNC-5): users only. Only live users with no onPremisesImmutableId are
        // candidates: a holder with another one is skipped for the next key.
        let mut admin_conflict = false;
        let mut conflict: Option<(String, String)> = None;
        // SYNC-12: a mail-enabled group soft-matches a live cloud group holding its primary SMTP
        // address; a group that is not mail-enabled has no match at all.
        let mail_enabled = group
            && self.st.g.ad(n).is_some_and(|o| {
                o.attr(AdAttr::Mail).is_some() || o.attr(AdAttr::ProxyAddresses).is_some()
            });
        if mail_enabled
            && !self.settings.block_soft_match
            && let Some(smtp) = primary_smtp(&want)
            && let Some(e) = self.entra.index.holder(Unique::Proxy, &smtp)
            && self
                .st
                .g
                .entra(e)
                .is_some_and(|o| o.kind == Kind::Group && o.immutable_id().is_none())
            && self.st.g.joined_ad(e).is_none()
        {
            let id = self.st.g.entra(e).map(|o| o.id).unwrap_or_default();
            self.join(n, e);
            ev.push_with(|| Event::new(K::SoftMatched, &name, R::Sync12, format!(
                "mail-enabled group {name} soft-matched on primary SMTP address {} to the cloud group {id}, which is taken over: AD now masters its properties and members",
                smtp.trim_start_matches("SMTP:"))));
            self.flow_into(n, e, want, errors, ev);
            return Outcome::Joined(e);
        }
        if let Some((_, imm)) = &anchor
            && !self.settings.block_soft_match
        {
            // The keys are looked up as AD holds them: the index compares without case.
            let keys = {
                let Some(o) = self.st.g.ad(n) else {
                    return Outcome::Failed;
                };
                let smtp = primary_smtp(&want);
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
        // A group gets no onPremisesImmutableId (SYNC-12).
        let with_anchor = [
            (
                EntraProp::OnPremisesImmutableId,
                anchor.as_ref().map(|(_, i)| Value::from(i.clone())),
            ),
            (EntraProp::OnPremisesSyncEnabled, Some(Value::from(true))),
        ];
        let base = match anchor {
            Some(_) => with_anchor.as_slice(),
            None => with_anchor.get(1..).unwrap_or_default(),
        };
        let (want, new_errors) = self.flow_values(n, None, want, &[], &PropMap::default());
        let written = written_keys(&want);
        let mut props = PropMap::default();
        props.update(base.iter().cloned().chain(want));
        let e = self
            .entra
            .add(self.st, h, (kind, GroupType::Security), id, props);
        self.join(n, e);
        let (rule, why) = match (rejoin, admin_conflict, &conflict) {
            (false, _, _) if group => (
                R::Sync12,
                if mail_enabled {
                    "a group is never hard-matched, and no live cloud group without an anchor holds its primary SMTP address".to_string()
                } else {
                    "a group is never hard-matched, and one that is not mail-enabled is never soft-matched".to_string()
                },
            ),
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
        if let Some((anchor, imm)) = &anchor {
            ev.push_with(|| Event::new(
            K::ImmutableIdSet,
            &name,
            R::Id2,
            format!("onPremisesImmutableId of {name} is {imm}: the base64 of anchor {anchor}'s bytes in AD (little-endian) order"),
        ));
        }
        // What the flow did, described against the object as first created (anchor only).
        let mut created = PropMap::default();
        if ev.detail() {
            created.update(base.iter().cloned());
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
    pub(super) fn join(&mut self, n: NodeIx, e: NodeIx) {
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
    pub(super) fn collect_refs(
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
}

/// The primary SMTP address among the values AD gives an object: the `SMTP:` one of its proxy
/// addresses (SYNC-5, SYNC-12).
fn primary_smtp(want: &[(EntraProp, Option<Value>)]) -> Option<Str> {
    want.iter().find_map(|(p, v)| match (p, v) {
        (EntraProp::ProxyAddresses, Some(list)) => list
            .as_list()
            .iter()
            .find(|a| a.starts_with("SMTP:"))
            .cloned(),
        _ => None,
    })
}
