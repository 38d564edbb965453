//! Veeam Data Cloud for Microsoft Entra ID: restore points (VDC-1),
//! the two stages of a restore session with skip/overwrite (VDC-2), re-creation with a new object
//! id (VDC-3), Keep Relationships (VDC-4), per-object statuses (VDC-5) and the properties VDC
//! does not restore (VDC-6). Seeds: "How Entra ID Restore Works" and "Restoring Synchronized
//! Users (Hybrid Identity)".
//!
//! What a scenario can express is tested by the scenario files `tests/rules/vdc-*.yaml`; the tests
//! here are the rest.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::*;
use hysim_engine::query::{EntraPresence, RelFact};
use hysim_engine::store::{EntraProp, EntraState, Guid, Rel, Value};
use hysim_engine::vdc::vdc_restores;
use hysim_engine::vdc::{BackedUp, Target};
use hysim_engine::*;

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

/// A restore session over users and groups.
fn restore_op(
    w: &World,
    users: &[&str],
    groups: &[&str],
    from: &str,
    keep: bool,
    existing: Existing,
    recycle_bin: bool,
) -> Op {
    Op::Restore {
        users: ids(w, users),
        groups: ids(w, groups),
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
    let handle = id_of(w, name);
    apply(
        w,
        Op::UpdateEntra {
            kind: Kind::User,
            handle,
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
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    assign(
        &mut w,
        Kind::User,
        "erin",
        Rels {
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

// ---------------------------------------------------------------------------------------------
// VDC-4: Keep Relationships on a re-created user.

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
    let rels = Rels {
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

// ---------------------------------------------------------------------------------------------
// VDC-5: per-object statuses with reasons.

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
            &w,
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

#[test]
fn vdc_5_unknown_handle_is_an_engine_error_not_a_status() {
    let mut w = runbook_world(Settings::default());
    backup(&mut w, "nightly");
    let err = w
        .apply(&restore_op(
            &w,
            &["nobody"],
            &[],
            "nightly",
            true,
            Existing::Skip,
            true,
        ))
        .unwrap_err();
    assert!(matches!(err, EngineError::UnknownHandle(_)), "{err}");
}
