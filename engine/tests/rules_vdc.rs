//! Veeam Data Cloud for Microsoft Entra ID (BEHAVIOUR.md section 6): restore points (VDC-1),
//! the two stages of a restore session with skip/overwrite (VDC-2), re-creation with a new object
//! id (VDC-3), Keep Relationships (VDC-4), per-object statuses (VDC-5) and the properties VDC
//! does not restore (VDC-6). Seeds: "How Entra ID Restore Works" and "Restoring Synchronized
//! Users (Hybrid Identity)".
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::*;
use hysim_engine::query::{EntraPresence, RelFact};
use hysim_engine::store::{AdAttr, EntraProp, EntraState, Guid, Rel, Value};
use hysim_engine::vdc::vdc_restores;
use hysim_engine::vdc::{BackedUp, Target};
use hysim_engine::*;

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

/// A restore session over users and groups.
fn restore_op(
    users: &[&str],
    groups: &[&str],
    from: &str,
    keep: bool,
    existing: Existing,
    recycle_bin: bool,
) -> Op {
    Op::Restore {
        users: strs(users),
        groups: strs(groups),
        from: from.into(),
        recycle_bin,
        keep_relationships: keep,
        existing,
    }
}

/// The status and reason the last session gave a handle.
fn status(w: &World, name: &str) -> (Status, String) {
    let session = w.last_restore().unwrap();
    assert!(
        session.statuses.contains_key(name),
        "no status for {name}: {session:?}"
    );
    session.statuses[name].clone()
}

/// Every Entra object ever created for a handle, oldest first: (object id, state).
fn entra_objects(w: &World, name: &str) -> Vec<(Guid, EntraState)> {
    let hid = h(w, name);
    w.graph()
        .nodes()
        .filter_map(|n| w.graph().entra(n))
        .filter(|o| o.handle == hid)
        .map(|o| (o.id, o.state))
        .collect()
}

/// The one backed-up object of a handle in a restore point.
fn backed_up<'a>(w: &'a World, label: &str, name: &str) -> &'a BackedUp {
    let point = w.restore_point(label).unwrap();
    let idx = point.by_handle.get(&h(w, name)).unwrap();
    assert_eq!(idx.len(), 1, "{name} is once in '{label}'");
    &point.objects[idx[0]]
}

/// The relations of a handle's backed-up object in a restore point.
fn rels_of(w: &World, label: &str, name: &str) -> Vec<(Rel, Target)> {
    let point = w.restore_point(label).unwrap();
    point.rels(backed_up(w, label, name)).collect()
}

fn facts(w: &World, name: &str) -> BTreeSet<RelFact> {
    w.relation_facts(h(w, name)).unwrap()
}

fn facts_at(w: &World, name: &str, label: &str) -> BTreeSet<RelFact> {
    w.relation_facts_at(h(w, name), label)
}

fn fact(kind: &'static str, target: &str) -> RelFact {
    RelFact {
        kind,
        target: target.to_string(),
    }
}

/// The events of one kind and rule about a subject.
fn about<'a>(ev: &'a [Event], kind: EventKind, rule: RuleId, subject: &str) -> Vec<&'a Event> {
    ev.iter()
        .filter(|e| e.kind == kind && e.rule == rule && e.subject == subject)
        .collect()
}

fn update_entra(w: &mut World, name: &str, set: &[(&str, Option<&str>)]) -> Vec<Event> {
    let set = set
        .iter()
        .map(|(p, v)| (EntraProp::from_name(p).unwrap(), v.map(Value::text)))
        .collect();
    apply(
        w,
        Op::UpdateEntra {
            kind: Kind::User,
            handle: name.into(),
            set,
        },
    )
}

fn update_ad(w: &mut World, name: &str, set: &[(&str, Option<&str>)]) -> Vec<Event> {
    let set = set
        .iter()
        .map(|(a, v)| (AdAttr::from_name(a).unwrap(), v.map(Value::text)))
        .collect();
    apply(
        w,
        Op::UpdateAd {
            kind: Kind::User,
            handle: name.into(),
            set,
        },
    )
}

/// A cloud-only world with one user holding every kind of relation (ID-3): erin is a member of
/// Project X (Microsoft 365) and Auditors (security, group licence Microsoft 365 E5), owns
/// Project X, holds User Administrator, a direct Microsoft 365 E3, Salesforce and has manager
/// dave.
fn cloud_world() -> World {
    let mut w = world();
    cloud_user(&mut w, "dave", &[("displayName", "Dave Boss")]);
    cloud_user(
        &mut w,
        "erin",
        &[
            ("displayName", "Erin Cloud"),
            ("department", "Sales"),
            ("jobTitle", "Lead"),
            ("mail", "erin@contoso.com"),
        ],
    );
    cloud_group(&mut w, "Project X", GroupType::Microsoft365);
    cloud_group(&mut w, "Auditors", GroupType::Security);
    assign(
        &mut w,
        Kind::Group,
        "Auditors",
        RelationSet {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    assign(
        &mut w,
        Kind::User,
        "erin",
        RelationSet {
            groups: strs(&["Project X", "Auditors"]),
            owns: strs(&["Project X"]),
            roles: strs(&["User Administrator"]),
            licenses: strs(&["Microsoft 365 E3"]),
            apps: strs(&["Salesforce"]),
            manager: Some("dave".into()),
        },
    );
    w
}

fn erin_facts() -> BTreeSet<RelFact> {
    [
        fact("group", "Project X"),
        fact("group", "Auditors"),
        fact("owns", "Project X"),
        fact("role", "User Administrator"),
        fact("license", "Microsoft 365 E3"),
        fact("license", "Microsoft 365 E5"),
        fact("app", "Salesforce"),
        fact("manager", "dave"),
    ]
    .into_iter()
    .collect()
}

// ---------------------------------------------------------------------------------------------
// VDC-1: a restore point holds every live user and group with its object id, VDC properties and
// relations.

#[test]
fn vdc_1_restore_point_holds_every_live_user_and_group_with_ids_properties_and_relations() {
    let mut w = runbook_world(Settings::default());
    // A user in the recycle bin at backup time is not in the restore point.
    cloud_user(&mut w, "temp", &[("displayName", "Temp")]);
    delete(&mut w, Kind::User, "temp", Directory::Entra, false);
    let ev = backup(&mut w, "nightly");
    let taken = about(&ev, EventKind::BackupTaken, RuleId::Vdc1, "nightly");
    assert_eq!(taken.len(), 1, "{ev:#?}");
    assert!(
        taken[0].message.contains("6 Entra objects"),
        "{}",
        taken[0].message
    );

    let point = w.restore_point("nightly").unwrap();
    assert_eq!(point.taken, w.now());
    assert_eq!(point.objects.len(), 6);
    assert!(point.by_handle.get(&h(&w, "temp")).is_none());
    for (name, kind) in [
        ("alice", Kind::User),
        ("bob", Kind::User),
        ("carol", Kind::User),
        ("Finance", Kind::Group),
        ("Project X", Kind::Group),
        ("Auditors", Kind::Group),
    ] {
        let b = backed_up(&w, "nightly", name);
        assert_eq!(Some(b.id), id(&w, name), "{name}: the object id is kept");
        assert_eq!(b.kind, kind, "{name}");
    }
    assert!(backed_up(&w, "nightly", "alice").synced);
    assert!(backed_up(&w, "nightly", "Finance").synced);
    assert!(!backed_up(&w, "nightly", "carol").synced);
    assert_eq!(
        backed_up(&w, "nightly", "Project X").group_type,
        GroupType::Microsoft365
    );

    // Every VDC property of alice, onPremisesImmutableId included, with the live value.
    let alice = backed_up(&w, "nightly", "alice");
    for (p, want) in [
        ("userPrincipalName", "alice@contoso.com"),
        ("displayName", "Alice Jones"),
        ("givenName", "Alice"),
        ("surname", "Jones"),
        ("department", "Finance"),
        ("jobTitle", "Analyst"),
        ("city", "Seattle"),
        ("mail", "alice@contoso.com"),
        ("employeeId", "E1001"),
        ("accountEnabled", "true"),
    ] {
        let p = EntraProp::from_name(p).unwrap();
        assert!(vdc_restores(p));
        assert_eq!(
            alice.props.get(p).map(ToString::to_string).as_deref(),
            Some(want),
            "{p}"
        );
    }
    let immutable = prop(&w, "alice", "onPremisesImmutableId").unwrap();
    assert_eq!(
        alice.props.text(EntraProp::OnPremisesImmutableId),
        Some(immutable.as_str())
    );

    // Relations (ID-3) as object ids and catalogue names.
    let px = id(&w, "Project X").unwrap();
    let auditors = id(&w, "Auditors").unwrap();
    let finance = id(&w, "Finance").unwrap();
    let bob = id(&w, "bob").unwrap();
    for r in [
        (Rel::Member, Target::Object(px)),
        (Rel::Member, Target::Object(auditors)),
        (Rel::Member, Target::Object(finance)),
        (Rel::Manager, Target::Object(bob)),
        (
            Rel::Role,
            Target::Catalogue(0, "Helpdesk Administrator".into()),
        ),
        (
            Rel::Licence,
            Target::Catalogue(1, "Microsoft 365 E3".into()),
        ),
        (Rel::App, Target::Catalogue(2, "Salesforce".into())),
    ] {
        let rels = rels_of(&w, "nightly", "alice");
        assert!(rels.contains(&r), "{r:?} in {rels:?}");
    }
    assert!(rels_of(&w, "nightly", "carol").contains(&(Rel::Owner, Target::Object(px))));
    assert!(rels_of(&w, "nightly", "Auditors").contains(&(
        Rel::Licence,
        Target::Catalogue(1, "Microsoft 365 E5".into())
    )));

    // As facts: what the restore point holds is what was live.
    for name in ["alice", "bob", "carol"] {
        assert_eq!(facts_at(&w, name, "nightly"), facts(&w, name), "{name}");
    }
    assert_eq!(
        facts_at(&w, "alice", "nightly"),
        [
            fact("group", "Auditors"),
            fact("group", "Finance"),
            fact("group", "Project X"),
            fact("role", "Helpdesk Administrator"),
            fact("license", "Microsoft 365 E3"),
            fact("license", "Microsoft 365 E5"),
            fact("app", "Salesforce"),
            fact("manager", "bob"),
        ]
        .into_iter()
        .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        facts_at(&w, "carol", "nightly"),
        [
            fact("group", "Project X"),
            fact("owns", "Project X"),
            fact("license", "Microsoft 365 E3"),
        ]
        .into_iter()
        .collect::<BTreeSet<_>>()
    );
}

#[test]
fn vdc_1_restore_point_is_a_snapshot_later_changes_do_not_reach_it() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let before = facts_at(&w, "carol", "nightly");
    update_entra(&mut w, "carol", &[("displayName", Some("Carol Renamed"))]);
    assign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    let carol = backed_up(&w, "nightly", "carol");
    assert_eq!(
        carol.props.text(EntraProp::DisplayName),
        Some("Carol Cloud")
    );
    assert_eq!(facts_at(&w, "carol", "nightly"), before);
    // A second restore point is separate and holds what is live then.
    backup(&mut w, "later");
    assert!(
        w.restore_point("later")
            .unwrap()
            .by_handle
            .get(&h(&w, "carol"))
            .is_none()
    );
    assert_eq!(w.first_backup(), Some("nightly"));
}

// ---------------------------------------------------------------------------------------------
// VDC-2: stage 1 (recycle bin), stage 2 (backup) with skip or overwrite.

#[test]
fn vdc_2_stage_1_restores_from_recycle_bin_with_same_id_then_skip_gives_warning() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let carol = id(&w, "carol").unwrap();
    let alice = id(&w, "alice").unwrap();
    let carol_rels = facts(&w, "carol");
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    assert_eq!(entra_state(&w, "carol"), EntraPresence::SoftDeleted);

    let ev = apply(
        &mut w,
        restore_op(
            &["alice", "carol"],
            &[],
            "nightly",
            true,
            Existing::Skip,
            true,
        ),
    );
    for (name, original) in [("carol", carol), ("alice", alice)] {
        assert_eq!(
            about(&ev, EventKind::RestoredFromRecycleBin, RuleId::Vdc2, name).len(),
            1,
            "{ev:#?}"
        );
        assert_eq!(
            about(&ev, EventKind::Skipped, RuleId::Vdc2, name).len(),
            1,
            "{ev:#?}"
        );
        assert!(about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, name).is_empty());
        assert_eq!(
            id(&w, name),
            Some(original),
            "{name}: same object id (ENTRA-3)"
        );
        assert_eq!(entra_objects(&w, name).len(), 1, "{name}: no new object");
        let (st, why) = status(&w, name);
        assert_eq!(st, Status::Warning, "{name}");
        assert!(why.contains("recycle bin"), "{why}");
        assert!(why.contains("skipped"), "{why}");
    }
    // The recycle bin kept the relations (ENTRA-1, ENTRA-3).
    assert_eq!(facts(&w, "carol"), carol_rels);
    assert_eq!(
        rel(&w, "alice", "groups"),
        set(&["Auditors", "Finance", "Project X"])
    );
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_2_skip_leaves_a_live_object_untouched_with_warning() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    update_entra(&mut w, "carol", &[("displayName", Some("Carol Renamed"))]);
    assign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    let after_edit = facts(&w, "carol");
    let ev = restore(&mut w, &["carol"], "nightly", true, Existing::Skip, true);
    assert_eq!(
        about(&ev, EventKind::Skipped, RuleId::Vdc2, "carol").len(),
        1
    );
    assert!(about(&ev, EventKind::Overwritten, RuleId::Vdc2, "carol").is_empty());
    assert!(
        about(
            &ev,
            EventKind::RestoredFromRecycleBin,
            RuleId::Vdc2,
            "carol"
        )
        .is_empty()
    );
    assert_eq!(
        prop(&w, "carol", "displayName").as_deref(),
        Some("Carol Renamed")
    );
    assert_eq!(facts(&w, "carol"), after_edit);
    let (st, why) = status(&w, "carol");
    assert_eq!(st, Status::Warning);
    assert!(why.contains("exists"), "{why}");
    assert!(why.contains("skipped"), "{why}");
}

#[test]
fn vdc_2_recycle_bin_false_skips_stage_1_and_recreates_from_the_backup() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let original = id(&w, "carol").unwrap();
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    let ev = restore(&mut w, &["carol"], "nightly", true, Existing::Skip, false);
    assert!(
        about(
            &ev,
            EventKind::RestoredFromRecycleBin,
            RuleId::Vdc2,
            "carol"
        )
        .is_empty(),
        "{ev:#?}"
    );
    assert_eq!(
        about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, "carol").len(),
        1
    );
    let now = id(&w, "carol").unwrap();
    assert_ne!(now, original, "re-created from the backup with a new id");
    // The original stays in the recycle bin, untouched.
    assert_eq!(
        entra_objects(&w, "carol"),
        vec![
            (original, EntraState::SoftDeleted { since: START }),
            (now, EntraState::Live)
        ]
    );
    assert_eq!(facts(&w, "carol"), facts_at(&w, "carol", "nightly"));
    assert_eq!(status(&w, "carol").0, Status::Success);
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_2_overwrite_cloud_only_user_replaces_properties_and_relations_with_the_backup() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    let original = id(&w, "erin").unwrap();
    // After the backup: properties edited, one cleared, one that the backup lacks set.
    update_entra(
        &mut w,
        "erin",
        &[
            ("displayName", Some("Erin Renamed")),
            ("department", Some("Ops")),
            ("jobTitle", None),
            ("city", Some("Paris")),
        ],
    );
    // Relations: some added, some removed.
    cloud_group(&mut w, "Late Group", GroupType::Security);
    assign(
        &mut w,
        Kind::User,
        "erin",
        RelationSet {
            groups: strs(&["Late Group"]),
            roles: strs(&["Global Reader"]),
            apps: strs(&["Zoom"]),
            ..Default::default()
        },
    );
    unassign(
        &mut w,
        Kind::User,
        "erin",
        RelationSet {
            groups: strs(&["Auditors"]),
            owns: strs(&["Project X"]),
            licenses: strs(&["Microsoft 365 E3"]),
            manager: Some("dave".into()),
            ..Default::default()
        },
    );
    assert_ne!(facts(&w, "erin"), erin_facts());

    let ev = restore(
        &mut w,
        &["erin"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    assert_eq!(
        about(&ev, EventKind::Overwritten, RuleId::Vdc2, "erin").len(),
        1,
        "{ev:#?}"
    );
    assert_eq!(id(&w, "erin"), Some(original), "overwrite keeps the object");
    assert_eq!(entra_objects(&w, "erin").len(), 1);
    assert_eq!(
        prop(&w, "erin", "displayName").as_deref(),
        Some("Erin Cloud")
    );
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Sales"));
    assert_eq!(prop(&w, "erin", "jobTitle").as_deref(), Some("Lead"));
    assert_eq!(
        prop(&w, "erin", "city"),
        None,
        "empty in the backup: the overwrite clears it"
    );
    // Relations match the backup: the missing ones added, the later ones removed.
    assert_eq!(facts(&w, "erin"), erin_facts());
    assert_eq!(facts(&w, "erin"), facts_at(&w, "erin", "nightly"));
    for what in ["Late Group", "Global Reader", "Zoom"] {
        assert!(
            about(&ev, EventKind::RelationRemoved, RuleId::Vdc2, "erin")
                .iter()
                .any(|e| e.message.contains(what)),
            "{what} removed: {ev:#?}"
        );
    }
    for what in ["Auditors", "Project X", "Microsoft 365 E3", "dave"] {
        assert!(
            about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "erin")
                .iter()
                .any(|e| e.message.contains(what)),
            "{what} restored: {ev:#?}"
        );
    }
    assert_eq!(
        status(&w, "erin"),
        (Status::Success, "everything written".into())
    );
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_2_overwrite_without_keep_relationships_leaves_relations_alone() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    update_entra(&mut w, "erin", &[("department", Some("Ops"))]);
    unassign(&mut w, Kind::User, "erin", groups(&["Auditors"]));
    let edited = facts(&w, "erin");
    restore(
        &mut w,
        &["erin"],
        "nightly",
        false,
        Existing::Overwrite,
        true,
    );
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Sales"));
    assert_eq!(facts(&w, "erin"), edited);
    assert_eq!(status(&w, "erin").0, Status::Success);
}

#[test]
fn vdc_2_overwrite_synced_user_refuses_ad_mastered_properties_with_warning() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let original = id(&w, "alice").unwrap();
    // AD changes the department, the sync writes it; the cloud edits the cloud-editable mobile.
    update_ad(&mut w, "alice", &[("department", Some("Audit"))]);
    sync(&mut w);
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Audit"));
    update_entra(&mut w, "alice", &[("mobilePhone", Some("+1 555 0100"))]);
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0100")
    );

    let ev = restore(
        &mut w,
        &["alice"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    let refused = about(&ev, EventKind::PropertySkipped, RuleId::Entra5, "alice");
    assert_eq!(refused.len(), 1, "{ev:#?}");
    assert!(refused[0].message.contains("department"));
    assert!(refused[0].message.contains(
        "Unable to update the specified properties for on-premises mastered Directory Sync objects"
    ));
    assert_eq!(
        prop(&w, "alice", "department").as_deref(),
        Some("Audit"),
        "AD-mastered: not overwritten"
    );
    assert_eq!(
        prop(&w, "alice", "mobilePhone"),
        None,
        "cloud-editable: overwritten with the backup's empty value"
    );
    let (st, why) = status(&w, "alice");
    assert_eq!(st, Status::Warning);
    assert!(why.contains("department"), "{why}");
    // Still the same hybrid user, with what VDC does not restore untouched.
    assert_eq!(id(&w, "alice"), Some(original));
    assert!(hybrid(&w, "alice"));
    assert_eq!(
        prop(&w, "alice", "onPremisesSamAccountName").as_deref(),
        Some("alice")
    );
    assert_eq!(facts(&w, "alice"), facts_at(&w, "alice", "nightly"));
    w.check_all_invariants().unwrap();
}

// ---------------------------------------------------------------------------------------------
// VDC-3: no live object with the backed-up id: re-created with a new id, unless it cannot be
// mapped.

#[test]
fn vdc_3_purged_user_is_recreated_with_new_id_and_the_backup_vdc_properties() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let original = id(&w, "alice").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    assert_eq!(entra_state(&w, "alice"), EntraPresence::Absent);

    let ev = restore(&mut w, &["alice"], "nightly", false, Existing::Skip, true);
    let now = id(&w, "alice").unwrap();
    assert_ne!(now, original, "a new object id");
    let recreated = about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, "alice");
    assert_eq!(recreated.len(), 1, "{ev:#?}");
    assert!(recreated[0].message.contains(&now.to_string()));
    assert!(recreated[0].message.contains(&original.to_string()));
    assert_eq!(
        entra_objects(&w, "alice"),
        vec![(original, EntraState::Purged), (now, EntraState::Live)]
    );

    // Exactly the VDC properties of the backup, onPremisesImmutableId included.
    let b = backed_up(&w, "nightly", "alice").clone();
    assert!(b.props.get(EntraProp::OnPremisesImmutableId).is_some());
    for (p, v) in b.props.iter() {
        let live = w.entra_property(h(&w, "alice"), p).unwrap();
        if vdc_restores(p) {
            assert_eq!(live.as_ref(), Some(v), "{p} restored");
        } else {
            assert_eq!(live, None, "{p} not restored (VDC-6)");
        }
    }
    assert_eq!(prop(&w, "alice", "onPremisesSyncEnabled"), None);
    assert!(!hybrid(&w, "alice"));
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_3_cloud_only_user_is_recreated_with_no_immutable_id_and_sync_enabled_null() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let original = id(&w, "carol").unwrap();
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    restore(
        &mut w,
        &["carol"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    assert_ne!(id(&w, "carol").unwrap(), original);
    assert_eq!(
        prop(&w, "carol", "displayName").as_deref(),
        Some("Carol Cloud")
    );
    assert_eq!(
        prop(&w, "carol", "userPrincipalName").as_deref(),
        Some("carol@contoso.com")
    );
    assert_eq!(prop(&w, "carol", "onPremisesImmutableId"), None);
    assert_eq!(prop(&w, "carol", "onPremisesSyncEnabled"), None);
    assert_eq!(status(&w, "carol").0, Status::Success);
}

#[test]
fn vdc_3_cannot_map_when_a_live_object_holds_the_upn_failed_nothing_written() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    sync(&mut w); // SYNC-10: a new bare alice with the same UPN and immutableId
    let bare = id(&w, "alice").unwrap();
    let bare_rels = facts(&w, "alice");
    let nodes = w.graph().node_count();
    let objects = entra_objects(&w, "alice");

    let ev = restore(&mut w, &["alice"], "nightly", true, Existing::Skip, true);
    let failed = about(&ev, EventKind::RestoreFailed, RuleId::Vdc3, "alice");
    assert_eq!(failed.len(), 1, "{ev:#?}");
    assert!(failed[0].message.contains("nothing was written"));
    assert!(about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, "alice").is_empty());
    assert!(about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "alice").is_empty());
    let (st, why) = status(&w, "alice");
    assert_eq!(st, Status::Failed);
    assert!(why.contains("cannot map alice"), "{why}");
    assert!(why.contains("userPrincipalName"), "{why}");
    assert!(why.contains(&bare.to_string()), "{why}");
    // Nothing written: no new object, the sync-created user unchanged.
    assert_eq!(w.graph().node_count(), nodes);
    assert_eq!(entra_objects(&w, "alice"), objects);
    assert_eq!(id(&w, "alice"), Some(bare));
    assert_eq!(facts(&w, "alice"), bare_rels);
    assert_eq!(
        prop(&w, "alice", "onPremisesSyncEnabled").as_deref(),
        Some("true")
    );
}

#[test]
fn vdc_3_cannot_map_when_a_live_object_holds_the_immutable_id() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    // The AD UPN changes, so the user the sync provisions has another UPN but the same anchor.
    update_ad(
        &mut w,
        "alice",
        &[("userPrincipalName", Some("alice.jones@contoso.com"))],
    );
    sync(&mut w);
    assert_eq!(
        prop(&w, "alice", "userPrincipalName").as_deref(),
        Some("alice.jones@contoso.com")
    );
    let bare = id(&w, "alice").unwrap();
    let nodes = w.graph().node_count();
    let ev = restore(
        &mut w,
        &["alice"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    assert_eq!(
        about(&ev, EventKind::RestoreFailed, RuleId::Vdc3, "alice").len(),
        1,
        "{ev:#?}"
    );
    let (st, why) = status(&w, "alice");
    assert_eq!(st, Status::Failed);
    assert!(why.contains("onPremisesImmutableId"), "{why}");
    assert_eq!(w.graph().node_count(), nodes);
    assert_eq!(id(&w, "alice"), Some(bare));
}

// ---------------------------------------------------------------------------------------------
// VDC-4: Keep Relationships on a re-created user.

#[test]
fn vdc_4_keep_relationships_restores_every_relation_kind_to_existing_targets() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    assert_eq!(facts(&w, "erin"), erin_facts());
    delete(&mut w, Kind::User, "erin", Directory::Entra, true);
    assert!(rel(&w, "Project X", "groups").is_empty());

    let ev = restore(&mut w, &["erin"], "nightly", true, Existing::Skip, true);
    assert_eq!(facts(&w, "erin"), erin_facts());
    let restored = about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "erin");
    for what in [
        "member of Project X",
        "member of Auditors",
        "owner of Project X",
        "role User Administrator",
        "licence Microsoft 365 E3",
        "app Salesforce",
        "manager dave",
    ] {
        assert!(
            restored.iter().any(|e| e.message.contains(what)),
            "{what}: {ev:#?}"
        );
    }
    assert!(about(&ev, EventKind::RelationSkipped, RuleId::Vdc4, "erin").is_empty());
    assert!(has(&ev, EventKind::LicenceInherited, RuleId::Entra6));
    assert_eq!(
        status(&w, "erin"),
        (Status::Success, "everything written".into())
    );
    // E5 comes from Auditors (ENTRA-6), not restored as a direct assignment.
    unassign(&mut w, Kind::User, "erin", groups(&["Auditors"]));
    assert_eq!(rel(&w, "erin", "licenses"), set(&["Microsoft 365 E3"]));
    w.check_all_invariants().unwrap();
}

/// VDC-4 (and VDC-2's stage 1, ID-1): a restore finds objects by object id through an index
/// whose new ids are inserted together after each operation. Objects created after a first
/// session (a group, a manager, the re-created user itself, with a new id) are found by the
/// next session as well.
#[test]
fn vdc_4_restore_finds_by_id_objects_created_after_an_earlier_restore() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "erin", Directory::Entra, true);
    let ev = restore(&mut w, &["erin"], "nightly", true, Existing::Skip, true);
    assert_eq!(facts(&w, "erin"), erin_facts(), "{ev:#?}");
    let recreated = id(&w, "erin").unwrap();
    // Created after the first lookup by id.
    cloud_group(&mut w, "Later", GroupType::Security);
    cloud_user(&mut w, "frank", &[("displayName", "Frank Later")]);
    let rels = RelationSet {
        manager: Some("frank".into()),
        ..groups(&["Later"])
    };
    assign(&mut w, Kind::User, "erin", rels);
    backup(&mut w, "later");
    // Soft-deleted: stage 1 finds the re-created user by its id in the recycle bin.
    delete(&mut w, Kind::User, "erin", Directory::Entra, false);
    let ev = restore(&mut w, &["erin"], "later", true, Existing::Skip, true);
    assert_eq!(id(&w, "erin"), Some(recreated), "{ev:#?}");
    assert!(rel(&w, "erin", "groups").contains("Later"), "{ev:#?}");
    // Purged: re-created again, its relations to the later objects found by their ids.
    delete(&mut w, Kind::User, "erin", Directory::Entra, true);
    let ev = restore(&mut w, &["erin"], "later", true, Existing::Skip, true);
    assert_ne!(id(&w, "erin"), Some(recreated));
    assert!(
        about(&ev, EventKind::RelationSkipped, RuleId::Vdc4, "erin").is_empty(),
        "{ev:#?}"
    );
    assert_eq!(rel(&w, "erin", "manager"), set(&["frank"]));
    assert!(rel(&w, "erin", "groups").contains("Later"));
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_4_skips_a_purged_target_and_synced_group_membership_with_warning() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    let ev = restore(&mut w, &["alice"], "nightly", true, Existing::Skip, true);

    let skipped = about(&ev, EventKind::RelationSkipped, RuleId::Vdc4, "alice");
    assert_eq!(skipped.len(), 2, "{ev:#?}");
    assert!(
        skipped
            .iter()
            .any(|e| e.message.contains("Project X") && e.message.contains("no longer exists"))
    );
    assert!(
        skipped
            .iter()
            .any(|e| e.message.contains("Finance") && e.message.contains("synced"))
    );
    // Everything else is back.
    assert_eq!(rel(&w, "alice", "groups"), set(&["Auditors"]));
    assert_eq!(rel(&w, "alice", "roles"), set(&["Helpdesk Administrator"]));
    assert_eq!(
        rel(&w, "alice", "licenses"),
        set(&["Microsoft 365 E3", "Microsoft 365 E5"])
    );
    assert_eq!(rel(&w, "alice", "apps"), set(&["Salesforce"]));
    assert_eq!(rel(&w, "alice", "manager"), set(&["bob"]));
    let (st, why) = status(&w, "alice");
    assert_eq!(st, Status::Warning);
    assert!(why.contains("Project X"), "{why}");
    assert!(why.contains("Finance"), "{why}");
    // The synced membership comes back with the sync (SYNC-7).
    sync(&mut w);
    assert_eq!(rel(&w, "alice", "groups"), set(&["Auditors", "Finance"]));
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_4_without_keep_relationships_the_user_comes_back_bare() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    let original = id(&w, "erin").unwrap();
    delete(&mut w, Kind::User, "erin", Directory::Entra, true);
    let ev = restore(&mut w, &["erin"], "nightly", false, Existing::Skip, true);
    assert_ne!(id(&w, "erin").unwrap(), original);
    assert!(facts(&w, "erin").is_empty());
    assert!(about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "erin").is_empty());
    assert!(about(&ev, EventKind::RelationSkipped, RuleId::Vdc4, "erin").is_empty());
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Sales"));
    assert_eq!(status(&w, "erin").0, Status::Success);
    assert!(rel(&w, "Project X", "groups").is_empty());
}

#[test]
fn vdc_4_groups_restored_in_the_same_session_receive_the_users_relations() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let px = id(&w, "Project X").unwrap();
    let auditors = id(&w, "Auditors").unwrap();
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    delete(&mut w, Kind::Group, "Auditors", Directory::Entra, true);
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));

    let ev = apply(
        &mut w,
        restore_op(
            &["carol"],
            &["Project X", "Auditors"],
            "nightly",
            true,
            Existing::Skip,
            true,
        ),
    );
    for (g, old) in [("Project X", px), ("Auditors", auditors)] {
        assert_eq!(
            about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, g).len(),
            1,
            "{ev:#?}"
        );
        assert_ne!(id(&w, g).unwrap(), old, "{g} has a new id");
        assert_eq!(status(&w, g).0, Status::Success, "{g}");
    }
    // The re-created user reaches the re-created group: membership and ownership.
    assert_eq!(facts(&w, "carol"), facts_at(&w, "carol", "nightly"));
    assert_eq!(status(&w, "carol").0, Status::Success);
    // A live user's memberships come back with the re-created groups, with the group licence.
    assert_eq!(
        rel(&w, "alice", "groups"),
        set(&["Auditors", "Finance", "Project X"])
    );
    assert_eq!(
        rel(&w, "alice", "licenses"),
        set(&["Microsoft 365 E3", "Microsoft 365 E5"])
    );
    assert_eq!(facts(&w, "alice"), facts_at(&w, "alice", "nightly"));
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_4_overwritten_user_reaches_a_group_recreated_in_the_same_session() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    assert!(rel(&w, "carol", "owns").is_empty());
    let ev = apply(
        &mut w,
        restore_op(
            &["carol"],
            &["Project X"],
            "nightly",
            true,
            Existing::Overwrite,
            true,
        ),
    );
    assert_eq!(
        facts(&w, "carol"),
        facts_at(&w, "carol", "nightly"),
        "{ev:#?}"
    );
    assert!(about(&ev, EventKind::RelationSkipped, RuleId::Vdc4, "carol").is_empty());
    assert!(about(&ev, EventKind::RelationRemoved, RuleId::Vdc2, "carol").is_empty());
    assert_eq!(status(&w, "carol").0, Status::Success);
    assert_eq!(status(&w, "Project X").0, Status::Success);
}

// ---------------------------------------------------------------------------------------------
// VDC-5: per-object statuses with reasons.

#[test]
fn vdc_5_session_keeps_success_warning_and_failed_with_reasons() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    cloud_user(&mut w, "frank", &[("displayName", "Frank Late")]); // not in the restore point
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    sync(&mut w); // a new alice holds the UPN: cannot map
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);

    let ev = restore(
        &mut w,
        &["carol", "bob", "alice", "frank"],
        "nightly",
        true,
        Existing::Skip,
        true,
    );
    let session = w.last_restore().unwrap();
    assert_eq!(
        session.statuses.keys().cloned().collect::<Vec<_>>(),
        strs::<String>(&["alice", "bob", "carol", "frank"])
    );
    assert_eq!(
        status(&w, "carol"),
        (Status::Success, "everything written".into())
    );
    let (st, why) = status(&w, "bob");
    assert_eq!(st, Status::Warning);
    assert!(why.contains("exists in Entra ID; skipped"), "{why}");
    let (st, why) = status(&w, "alice");
    assert_eq!(st, Status::Failed);
    assert!(why.contains("cannot map alice"), "{why}");
    assert_eq!(
        status(&w, "frank"),
        (Status::Failed, "not in restore point 'nightly'".into())
    );
    assert_eq!(
        about(&ev, EventKind::RestoreFailed, RuleId::Vdc5, "frank").len(),
        1
    );
    // One status event per restored object, naming the status.
    for (name, st) in [
        ("carol", "success"),
        ("bob", "warning"),
        ("alice", "failed"),
    ] {
        let e = about(&ev, EventKind::RestoreStatus, RuleId::Vdc5, name);
        assert_eq!(e.len(), 1, "{name}: {ev:#?}");
        assert!(e[0].message.contains(st), "{}", e[0].message);
    }
    // frank and bob were not touched.
    assert_eq!(entra_objects(&w, "frank").len(), 1);
    assert_eq!(entra_objects(&w, "bob").len(), 1);
}

#[test]
fn vdc_5_a_new_session_replaces_the_statuses_of_the_last_one() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    restore(&mut w, &["bob"], "nightly", true, Existing::Skip, true);
    assert_eq!(status(&w, "bob").0, Status::Warning);
    restore(
        &mut w,
        &["carol"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    let session = w.last_restore().unwrap();
    assert!(!session.statuses.contains_key("bob"));
    assert_eq!(status(&w, "carol").0, Status::Success);
}

#[test]
fn vdc_5_unknown_restore_point_label_is_an_engine_error() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    let err = w
        .apply(&restore_op(
            &["carol"],
            &[],
            "weekly",
            true,
            Existing::Skip,
            true,
        ))
        .unwrap_err();
    assert_eq!(
        err,
        EngineError::UnknownBackup {
            label: "weekly".into(),
            known: "nightly".into()
        }
    );
    assert!(w.last_restore().is_none());
    assert_eq!(entra_state(&w, "carol"), EntraPresence::Absent);
}

// ---------------------------------------------------------------------------------------------
// VDC-6: what VDC does not restore stays empty until a sync fills it.

#[test]
fn vdc_6_lacking_properties_are_empty_on_a_recreated_user_until_a_sync_fills_them() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let b = backed_up(&w, "nightly", "alice").clone();
    let lacking = [
        "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier",
        "onPremisesDistinguishedName",
        "onPremisesDomainName",
        "proxyAddresses",
        "onPremisesSyncEnabled",
    ];
    for p in lacking {
        let p = EntraProp::from_name(p).unwrap();
        assert!(!vdc_restores(p), "{p}");
        assert!(b.props.get(p).is_some(), "{p} was in the backup");
    }
    let sid = b
        .props
        .text(EntraProp::OnPremisesSecurityIdentifier)
        .unwrap()
        .to_string();

    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    let ev = restore(&mut w, &["alice"], "nightly", true, Existing::Skip, true);
    let skipped = about(&ev, EventKind::PropertySkipped, RuleId::Vdc6, "alice");
    assert_eq!(skipped.len(), 1, "{ev:#?}");
    for p in lacking {
        assert!(
            skipped[0].message.contains(p),
            "{p}: {}",
            skipped[0].message
        );
        assert_eq!(prop(&w, "alice", p), None, "{p} empty after the restore");
    }

    sync(&mut w);
    assert!(hybrid(&w, "alice"));
    assert_eq!(
        prop(&w, "alice", "onPremisesSamAccountName").as_deref(),
        Some("alice")
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesSecurityIdentifier"),
        Some(sid),
        "the same AD object's objectSid"
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesDistinguishedName").as_deref(),
        Some("CN=Alice Jones,OU=Staff,DC=contoso,DC=com")
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesDomainName").as_deref(),
        Some("contoso.com")
    );
    assert_eq!(
        prop(&w, "alice", "proxyAddresses").as_deref(),
        Some("[SMTP:alice@contoso.com]")
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesSyncEnabled").as_deref(),
        Some("true")
    );
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_6_cloud_only_user_recreated_without_proxy_addresses() {
    let mut w = cloud_world();
    assert_eq!(
        prop(&w, "erin", "proxyAddresses").as_deref(),
        Some("[SMTP:erin@contoso.com]")
    );
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "erin", Directory::Entra, true);
    let ev = restore(&mut w, &["erin"], "nightly", true, Existing::Skip, true);
    assert!(has(&ev, EventKind::PropertySkipped, RuleId::Vdc6));
    assert_eq!(prop(&w, "erin", "proxyAddresses"), None);
    assert_eq!(
        prop(&w, "erin", "mail").as_deref(),
        Some("erin@contoso.com")
    );
}

#[test]
fn vdc_4_recreated_group_gets_back_its_members_and_owners() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let old = id(&w, "Project X").unwrap();
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    assert!(rel(&w, "carol", "owns").is_empty());
    let ev = apply(
        &mut w,
        restore_op(&[], &["Project X"], "nightly", true, Existing::Skip, true),
    );
    assert_ne!(id(&w, "Project X").unwrap(), old);
    assert_eq!(rel(&w, "carol", "groups"), set(&["Project X"]), "{ev:#?}");
    assert_eq!(rel(&w, "carol", "owns"), set(&["Project X"]), "{ev:#?}");
    assert!(rel(&w, "alice", "groups").contains("Project X"));
    assert_eq!(facts(&w, "carol"), facts_at(&w, "carol", "nightly"));
    assert_eq!(status(&w, "Project X").0, Status::Success);
    let restored = about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "Project X");
    assert!(
        restored.iter().any(|e| e.message.contains("owner carol")),
        "{ev:#?}"
    );
}

#[test]
fn vdc_4_groups_recreated_in_one_session_each_get_back_their_own_members() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let before: Vec<_> = ["alice", "carol"]
        .iter()
        .map(|u| (rel(&w, u, "groups"), rel(&w, u, "owns")))
        .collect();
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    delete(&mut w, Kind::Group, "Auditors", Directory::Entra, true);
    let ev = apply(
        &mut w,
        restore_op(
            &[],
            &["Project X", "Auditors"],
            "nightly",
            true,
            Existing::Skip,
            true,
        ),
    );
    let after: Vec<_> = ["alice", "carol"]
        .iter()
        .map(|u| (rel(&w, u, "groups"), rel(&w, u, "owns")))
        .collect();
    assert_eq!(after, before, "{ev:#?}");
    // Each group's events name its own members: carol is in Project X only.
    let auditors = about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "Auditors");
    assert!(
        auditors
            .iter()
            .any(|e| e.message == "member alice restored"),
        "{ev:#?}"
    );
    assert!(
        !auditors.iter().any(|e| e.message.contains("carol")),
        "{ev:#?}"
    );
    let project = about(&ev, EventKind::RelationRestored, RuleId::Vdc4, "Project X");
    let messages: Vec<&str> = project.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "member alice restored",
            "member carol restored",
            "owner carol restored"
        ],
        "in the backup's order, memberships before ownerships"
    );
}

#[test]
fn vdc_2_overwrite_keeps_relations_to_objects_recreated_in_the_same_session() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    let original = id(&w, "erin").unwrap();
    // erin's manager and one of her groups are purged; she herself is still there.
    delete(&mut w, Kind::User, "dave", Directory::Entra, true);
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    let ev = apply(
        &mut w,
        restore_op(
            &["dave", "erin"],
            &["Project X"],
            "nightly",
            true,
            Existing::Overwrite,
            true,
        ),
    );
    assert_eq!(id(&w, "erin"), Some(original), "overwrite keeps the object");
    assert_ne!(
        about(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3, "dave").len(),
        0,
        "dave is re-created: {ev:#?}"
    );
    // The relations erin gets back to the re-created dave and Project X stand for the backed-up
    // ones: none of them is removed as "not in the backup".
    assert_eq!(facts(&w, "erin"), erin_facts(), "{ev:#?}");
    assert!(
        about(&ev, EventKind::RelationRemoved, RuleId::Vdc2, "erin").is_empty(),
        "{ev:#?}"
    );
    assert_eq!(
        status(&w, "erin"),
        (Status::Success, "everything written".into())
    );
    w.check_all_invariants().unwrap();
}

#[test]
fn vdc_2_overwrite_also_replaces_an_object_restored_from_the_recycle_bin() {
    let mut w = cloud_world();
    backup(&mut w, "nightly");
    let original = id(&w, "erin").unwrap();
    update_entra(&mut w, "erin", &[("department", Some("Ops"))]);
    assign(
        &mut w,
        Kind::User,
        "erin",
        RelationSet {
            roles: strs(&["Global Reader"]),
            ..Default::default()
        },
    );
    delete(&mut w, Kind::User, "erin", Directory::Entra, false);
    let ev = restore(
        &mut w,
        &["erin"],
        "nightly",
        true,
        Existing::Overwrite,
        true,
    );
    assert_eq!(
        about(&ev, EventKind::RestoredFromRecycleBin, RuleId::Vdc2, "erin").len(),
        1,
        "{ev:#?}"
    );
    assert_eq!(
        about(&ev, EventKind::Overwritten, RuleId::Vdc2, "erin").len(),
        1
    );
    assert_eq!(id(&w, "erin"), Some(original));
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Sales"));
    assert_eq!(facts(&w, "erin"), erin_facts());
    assert_eq!(status(&w, "erin").0, Status::Success);
}

#[test]
fn vdc_2_stage_1_restores_a_soft_deleted_group_with_its_id_and_members() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let px = id(&w, "Project X").unwrap();
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, false);
    assert_eq!(entra_state(&w, "Project X"), EntraPresence::SoftDeleted);
    assert!(rel(&w, "carol", "groups").is_empty());
    let ev = apply(
        &mut w,
        restore_op(&[], &["Project X"], "nightly", true, Existing::Skip, true),
    );
    assert!(has(&ev, EventKind::RestoredFromRecycleBin, RuleId::Vdc2));
    assert_eq!(id(&w, "Project X"), Some(px));
    assert_eq!(rel(&w, "carol", "groups"), set(&["Project X"]));
    assert_eq!(rel(&w, "carol", "owns"), set(&["Project X"]));
    assert_eq!(status(&w, "Project X").0, Status::Warning);
}

#[test]
fn vdc_3_recycle_bin_refused_and_upn_held_gives_failed() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let original = id(&w, "carol").unwrap();
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    // Someone else now holds carol's UPN.
    cloud_user(
        &mut w,
        "impostor",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    let nodes = w.graph().node_count();
    let ev = restore(&mut w, &["carol"], "nightly", true, Existing::Skip, true);
    assert!(has(&ev, EventKind::Refused, RuleId::Entra3), "{ev:#?}");
    assert_eq!(
        about(&ev, EventKind::RestoreFailed, RuleId::Vdc3, "carol").len(),
        1
    );
    let (st, why) = status(&w, "carol");
    assert_eq!(st, Status::Failed);
    assert!(why.contains("impostor"), "{why}");
    assert_eq!(w.graph().node_count(), nodes);
    assert_eq!(
        entra_objects(&w, "carol"),
        vec![(original, EntraState::SoftDeleted { since: START })]
    );
}

#[test]
fn vdc_5_unknown_handle_is_an_engine_error_not_a_status() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let err = w
        .apply(&restore_op(
            &["nobody"],
            &[],
            "nightly",
            true,
            Existing::Skip,
            true,
        ))
        .unwrap_err();
    assert_eq!(err, EngineError::UnknownHandle("nobody".into()));
}
