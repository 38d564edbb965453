//! Rule tests for the directories themselves: identifiers
//! and relations (ID-1..4), Active Directory (AD-1..6), Entra ID (ENTRA-1..6), the AD side of a
//! backup (VEAD-1) and the invariants (INV-1..4). Every setting a rule depends on is tested with
//! both values.
//!
//! What a scenario can express (ID-3, ID-4, AD-1..6, ENTRA-1..6, VEAD-1) is tested by the scenario
//! files `tests/rules/{id,ad,entra,vead}-*.yaml`; the tests here are the rest: identifiers byte
//! for byte, storage internals (tombstone contents, the objectGUID index), engine errors and the
//! invariants.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use hysim_engine::query::{AdPresence, EntraPresence};
use hysim_engine::store::{
    AdAttr, AdObject, AdState, EntraProp, EntraState, Guid, Node, NodeIx, Rel, immutable_id,
};
use hysim_engine::*;

const DAY: i64 = 86_400;
const WORKED_GUID: &str = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
const WORKED_IMMUTABLE_ID: &str = "PSwbCl9OcWCCk6S1xtfo+Q==";
const RELS: [Rel; 6] = [
    Rel::Member,
    Rel::Owner,
    Rel::Role,
    Rel::Licence,
    Rel::App,
    Rel::Manager,
];

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

/// The first event of `kind` and `rule`; fails the test listing the events otherwise.
fn event(ev: &[Event], kind: EventKind, rule: RuleId) -> &Event {
    let found = ev.iter().find(|e| e.kind == kind && e.rule == rule);
    assert!(found.is_some(), "no {kind} event of {rule} in {ev:#?}");
    found.unwrap()
}

/// Only the clock moved (INV-4's clock event): nothing expired.
fn no_expiry(ev: &[Event]) -> bool {
    ev.iter().all(|e| e.kind == EventKind::ClockAdvanced)
}

fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::default();
    f(&mut s);
    s
}

fn text(s: &str) -> Value {
    Value::text(s)
}

fn update_entra(w: &mut World, name: &str, set: Vec<(EntraProp, Option<Value>)>) -> Vec<Event> {
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

fn update_ad(w: &mut World, name: &str, set: Vec<(AdAttr, Option<Value>)>) -> Vec<Event> {
    let handle = id_of(w, name);
    apply(
        w,
        Op::UpdateAd {
            kind: Kind::User,
            handle,
            set,
        },
    )
}

fn undelete(w: &mut World, kind: Kind, name: &str, dir: Directory) -> Vec<Event> {
    let handle = id_of(w, name);
    apply(w, Op::Undelete { kind, handle, dir })
}

fn patch(w: &mut World, p: SettingsPatch) -> Vec<Event> {
    apply(w, Op::Settings(Box::new(p)))
}

fn ad_node(w: &World, name: &str) -> NodeIx {
    let n = w.ad_current(h(w, name));
    assert!(n.is_some(), "{name} has no AD object");
    n.unwrap()
}

fn ad_obj<'a>(w: &'a World, name: &str) -> &'a AdObject {
    w.graph().ad(ad_node(w, name)).unwrap()
}

/// Every AD object that carried the handle, in creation order.
fn ad_objects(w: &World, name: &str) -> Vec<NodeIx> {
    let hid = h(w, name);
    w.graph()
        .nodes()
        .filter(|n| w.graph().ad(*n).is_some_and(|o| o.handle == hid))
        .collect()
}

/// Every Entra object that carried the handle, in creation order.
fn entra_objects(w: &World, name: &str) -> Vec<NodeIx> {
    let hid = h(w, name);
    w.graph()
        .nodes()
        .filter(|n| w.graph().entra(*n).is_some_and(|o| o.handle == hid))
        .collect()
}

fn live_entra(w: &World, name: &str) -> NodeIx {
    let n = w.entra_live(h(w, name)).unwrap();
    assert!(n.is_some(), "{name} has no live Entra object");
    n.unwrap()
}

/// The handle or catalogue name of a node.
fn node_name(w: &World, n: NodeIx) -> String {
    match w.graph().node(n).unwrap() {
        Node::Ad(o) => w.handles().name(o.handle).to_string(),
        Node::Entra(o) => w.handles().name(o.handle).to_string(),
        Node::Role(s) | Node::Sku(s) | Node::App(s) => s.to_string(),
    }
}

/// The targets of a node's stored relations of one kind, whether live or not.
fn stored(w: &World, n: NodeIx, rel: Rel) -> BTreeSet<String> {
    w.graph().out(n, rel).map(|t| node_name(w, t)).collect()
}

/// How many relations (joins included) touch a node.
/// The relations of `n` that a query can see: an object gone for good keeps none (its stored
/// relations are dead with it), and its sync join goes at the next cycle.
fn edge_count(w: &World, n: NodeIx) -> usize {
    let g = w.graph();
    RELS.iter()
        .map(|r| g.live_out(n, *r).count() + g.live_inc(n, *r).count())
        .sum()
}

fn sid_parts(sid: &str) -> (String, u32) {
    let parts: Vec<&str> = sid.split('-').collect();
    assert_eq!(parts.len(), 8, "{sid}");
    assert_eq!(&parts[..4], ["S", "1", "5", "21"], "{sid}");
    (parts[4..7].join("-"), parts[7].parse().unwrap())
}

fn all_entra_ids(w: &World) -> Vec<Guid> {
    w.graph()
        .nodes()
        .filter_map(|n| w.graph().entra(n).map(|o| o.id))
        .collect()
}

fn all_ad_ids(w: &World) -> (Vec<Guid>, Vec<String>) {
    let objs: Vec<&AdObject> = w.graph().nodes().filter_map(|n| w.graph().ad(n)).collect();
    (
        objs.iter().map(|o| o.guid).collect(),
        objs.iter().map(|o| o.sid.to_string()).collect(),
    )
}

fn assert_unique<T: Ord + std::fmt::Debug + Clone>(v: &[T], what: &str) {
    let set: BTreeSet<T> = v.iter().cloned().collect();
    assert_eq!(set.len(), v.len(), "{what} reused: {v:?}");
}

// ---------------------------------------------------------------------------------------------
// ID-1..4: identifiers, relations and uniqueness.

/// A small run whose identifiers depend only on the seed.
fn id_run(seed: u64) -> (World, Vec<Event>) {
    let mut w = world_with(settings(|s| s.seed = seed));
    let mut ev = Vec::new();
    ev.extend(ad_group(&mut w, "Finance", "Staff"));
    ev.extend(ad_user(
        &mut w,
        "alice",
        "Staff",
        &[("displayName", "Alice Jones")],
    ));
    ev.extend(ad_user(&mut w, "bob", "Staff", &[]));
    ev.extend(ad_assign(&mut w, "alice", groups(&["Finance"])));
    ev.extend(sync(&mut w));
    ev.extend(cloud_user(&mut w, "carol", &[]));
    (w, ev)
}

#[test]
fn id_1_the_same_seed_gives_the_same_ids_byte_for_byte() {
    let (a, ev_a) = id_run(42);
    let (b, ev_b) = id_run(42);
    let (c, ev_c) = id_run(43);
    assert_eq!(ev_a, ev_b, "same seed, same events (ids included)");
    assert_ne!(ev_a, ev_c, "another seed gives other ids");
    for name in ["alice", "bob", "carol", "Finance"] {
        assert!(id(&a, name).is_some(), "{name} is live in Entra ID");
        assert_eq!(id(&a, name), id(&b, name), "{name}");
        assert_ne!(id(&a, name), id(&c, name), "{name}");
    }
    for name in ["alice", "bob", "Finance"] {
        let (oa, ob, oc) = (ad_obj(&a, name), ad_obj(&b, name), ad_obj(&c, name));
        assert_eq!(oa.guid, ob.guid);
        assert_eq!(oa.sid, ob.sid);
        assert_ne!(oa.guid, oc.guid);
        assert_ne!(oa.sid.to_string(), oc.sid.to_string());
        assert_eq!(
            prop(&a, name, "onPremisesImmutableId"),
            prop(&b, name, "onPremisesImmutableId")
        );
    }
    // Every GUID and SID of the run comes from the one generator: all distinct.
    let (guids, sids) = all_ad_ids(&a);
    let mut every: Vec<Guid> = guids;
    every.extend(all_entra_ids(&a));
    assert_unique(&every, "GUID");
    assert_unique(&sids, "SID");
}

#[test]
fn id_1_ids_never_change_and_are_never_reused() {
    let mut w = world();
    cloud_user(&mut w, "carol", &[("displayName", "Carol")]);
    let first = id(&w, "carol").unwrap();
    update_entra(
        &mut w,
        "carol",
        vec![(EntraProp::Department, Some(text("Sales")))],
    );
    assert_eq!(id(&w, "carol"), Some(first), "an update keeps the id");
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    undelete(&mut w, Kind::User, "carol", Directory::Entra);
    assert_eq!(id(&w, "carol"), Some(first), "a restore keeps the id");
    delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    let ev = cloud_user(&mut w, "carol", &[("displayName", "Carol")]);
    let second = id(&w, "carol").unwrap();
    assert_ne!(second, first, "a new object never reuses an id");
    assert!(
        event(&ev, EventKind::Created, RuleId::Id1)
            .message
            .contains(&second.to_string())
    );
    assert_eq!(w.original_object_id(h(&w, "carol")), Some(first));

    // AD: a new object after a permanent delete gets a new objectGUID and a new RID.
    ad_user(&mut w, "dave", "Staff", &[]);
    let (guid1, sid1) = (ad_obj(&w, "dave").guid, ad_obj(&w, "dave").sid.to_string());
    delete(&mut w, Kind::User, "dave", Directory::Ad, true);
    ad_user(&mut w, "dave", "Staff", &[]);
    let (guid2, sid2) = (ad_obj(&w, "dave").guid, ad_obj(&w, "dave").sid.to_string());
    assert_ne!(guid1, guid2);
    let ((dom1, rid1), (dom2, rid2)) = (sid_parts(&sid1), sid_parts(&sid2));
    assert_eq!(dom1, dom2, "one domain part for the whole domain");
    assert!(rid2 > rid1, "RIDs are never reused");

    let (guids, sids) = all_ad_ids(&w);
    assert_unique(&all_entra_ids(&w), "Entra id");
    assert_unique(&guids, "objectGUID");
    assert_unique(&sids, "objectSid");
}

#[test]
fn id_2_immutable_id_is_base64_of_the_anchor_in_ad_byte_order() {
    // The worked example, through the public encoder and through a sync.
    let g: Guid = WORKED_GUID.parse().unwrap();
    assert_eq!(immutable_id(g), WORKED_IMMUTABLE_ID);
    assert_ne!(immutable_id(g), "ChssPU5fYHGCk6S1xtfo+Q==");
    let mut w = world();
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[("mS-DS-ConsistencyGuid", WORKED_GUID)],
    );
    sync(&mut w);
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId").as_deref(),
        Some(WORKED_IMMUTABLE_ID)
    );
    assert!(hybrid(&w, "alice"));
}

#[test]
fn id_2_immutable_id_of_object_guid_anchors_with_both_source_anchors() {
    for anchor in [SourceAnchor::ConsistencyGuid, SourceAnchor::ObjectGuid] {
        let mut w = world_with(settings(|s| s.source_anchor = anchor));
        ad_user(&mut w, "bob", "Staff", &[]);
        // A preset mS-DS-ConsistencyGuid is the anchor only with `ms-ds-consistencyguid`.
        ad_user(
            &mut w,
            "alice",
            "Staff",
            &[("mS-DS-ConsistencyGuid", WORKED_GUID)],
        );
        ad_group(&mut w, "Finance", "Staff");
        sync(&mut w);
        let bob_guid = ad_obj(&w, "bob").guid;
        assert_eq!(
            prop(&w, "bob", "onPremisesImmutableId"),
            Some(immutable_id(bob_guid).to_string()),
            "{anchor:?}"
        );
        let alice_guid = ad_obj(&w, "alice").guid;
        let want = match anchor {
            SourceAnchor::ConsistencyGuid => WORKED_IMMUTABLE_ID.to_string(),
            SourceAnchor::ObjectGuid => immutable_id(alice_guid).to_string(),
        };
        assert_eq!(prop(&w, "alice", "onPremisesImmutableId"), Some(want));
        // SYNC-12: a synced group gets no onPremisesImmutableId, whatever the source anchor.
        assert_eq!(prop(&w, "Finance", "onPremisesImmutableId"), None);
        assert_eq!(
            prop(&w, "Finance", "onPremisesSyncEnabled"),
            Some("true".to_string())
        );
        // AD byte order: the first three groups little-endian.
        let b = bob_guid.0;
        let ad = bob_guid.to_ad_bytes();
        assert_eq!(&ad[..4], &[b[3], b[2], b[1], b[0]]);
        assert_eq!(&ad[4..8], &[b[5], b[4], b[7], b[6]]);
        assert_eq!(&ad[8..], &b[8..]);
    }
}

// ---------------------------------------------------------------------------------------------
// AD-1..6: Active Directory.

/// AD: groups Finance and Sales, bob, and alice (attributes, a preset mS-DS-ConsistencyGuid,
/// member of both groups, manager bob).
fn ad_world(s: Settings) -> World {
    let mut w = world_with(s);
    ad_group(&mut w, "Finance", "Staff");
    ad_group(&mut w, "Sales", "Staff");
    ad_user(&mut w, "bob", "Staff", &[("displayName", "Bob Smith")]);
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[
            ("displayName", "Alice Jones"),
            ("department", "Finance"),
            ("userPrincipalName", "alice@contoso.com"),
            ("mS-DS-ConsistencyGuid", WORKED_GUID),
        ],
    );
    ad_assign(
        &mut w,
        "alice",
        Rels {
            groups: strs(&["Finance", "Sales"]),
            manager: Some("bob".into()),
            ..Default::default()
        },
    );
    w
}

/// AD-3, over every attribute and link: a tombstone keeps exactly objectGUID, objectSid,
/// sAMAccountName and the RDN, and no link in either direction (the scenario files
/// `tests/rules/ad-3-*.yaml` show a few of them).
#[test]
fn ad_3_a_tombstone_keeps_exactly_sam_account_name_and_cn_and_no_link() {
    let mut w = ad_world(settings(|s| s.ad_recycle_bin = false));
    let before = ad_obj(&w, "alice").clone();
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    let n = ad_node(&w, "alice");
    let o = ad_obj(&w, "alice");
    assert_eq!(o.state, AdState::Tombstone { since: START });
    assert_eq!((o.guid, o.sid), (before.guid, before.sid));
    let kept: Vec<AdAttr> = o.attrs.present().collect();
    assert_eq!(kept, [AdAttr::SamAccountName, AdAttr::Cn]);
    assert!(stored(&w, n, Rel::Member).is_empty());
    assert!(stored(&w, n, Rel::Manager).is_empty());
    assert!(!stored(&w, ad_node(&w, "Finance"), Rel::Member).contains("alice"));
    assert_eq!(edge_count(&w, n), 0);
    w.check_all_invariants().unwrap();
}

fn vead_world(s: Settings) -> World {
    let mut w = ad_world(s);
    backup(&mut w, "nightly");
    // Changes after the backup, which a restore undoes.
    update_ad(
        &mut w,
        "alice",
        vec![(AdAttr::Department, Some(text("Changed")))],
    );
    w
}

/// AD-5: a VEAD restore finds the groups and the manager it restores by objectGUID, including
/// objects created after an earlier restore had looked objects up that way (the index by
/// objectGUID is built by the first lookup and kept up to date after it).
#[test]
fn ad_5_restore_finds_by_guid_objects_created_after_an_earlier_restore() {
    let mut w = vead_world(Settings::default());
    delete(&mut w, Kind::User, "alice", Directory::Ad, true);
    let ev = restore_ad(&mut w, &["alice"], "nightly");
    event(&ev, EventKind::AdRecreated, RuleId::Ad5);
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
    // Created after the first lookup by objectGUID.
    ad_group(&mut w, "Projects", "Staff");
    ad_user(&mut w, "carol", "Staff", &[]);
    let rels = Rels {
        manager: Some("carol".into()),
        ..groups(&["Projects"])
    };
    ad_assign(&mut w, "alice", rels);
    backup(&mut w, "later");
    delete(&mut w, Kind::User, "alice", Directory::Ad, true);
    let ev = restore_ad(&mut w, &["alice"], "later");
    event(&ev, EventKind::AdRecreated, RuleId::Ad5);
    assert!(!has(&ev, EventKind::RelationSkipped, RuleId::Ad5), "{ev:?}");
    assert_eq!(
        w.ad_groups(h(&w, "alice")),
        set(&["Finance", "Sales", "Projects"])
    );
    assert_eq!(w.ad_manager(h(&w, "alice")).as_deref(), Some("carol"));
    // An object deleted since is not found, however the index was built.
    delete(&mut w, Kind::Group, "Projects", Directory::Ad, true);
    delete(&mut w, Kind::User, "alice", Directory::Ad, true);
    let ev = restore_ad(&mut w, &["alice"], "later");
    event(&ev, EventKind::RelationSkipped, RuleId::Ad5);
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
    w.check_all_invariants().unwrap();
}

// ---------------------------------------------------------------------------------------------
// VEAD-1: the AD side of a backup.

/// VEAD-1: a restore from an AD backup that does not exist is an engine error, not an event
/// (a scenario cannot name one: its labels are checked before it runs).
#[test]
fn vead_1_an_unknown_backup_is_an_engine_error() {
    let mut w = ad_world(Settings::default());
    backup(&mut w, "nightly");
    let alice = ids(&w, &["alice"]);
    let err = w
        .apply(&Op::RestoreAd {
            users: alice,
            from: "weekly".into(),
        })
        .unwrap_err();
    assert!(matches!(err, EngineError::UnknownBackup { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// INV-1..4: invariants.

/// The runbook world (for the invariant runs), plus: carol (cloud-only) has a role, an app and manager bob, and owns
/// Project X; dave (cloud-only) has manager carol.
fn entra_world(s: Settings) -> World {
    let mut w = runbook_world(s);
    assign(
        &mut w,
        Kind::User,
        "carol",
        Rels {
            roles: strs(&["User Administrator"]),
            apps: strs(&["Workday"]),
            manager: Some("bob".into()),
            ..Default::default()
        },
    );
    cloud_user(&mut w, "dave", &[]);
    assign(
        &mut w,
        Kind::User,
        "dave",
        Rels {
            manager: Some("carol".into()),
            ..Default::default()
        },
    );
    w
}

/// Applies one operation and checks every invariant over the whole world.
fn step(w: &mut World, op: impl IntoOp) -> Vec<Event> {
    let ev = apply(w, op);
    w.check_all_invariants().unwrap();
    ev
}

/// A long run through deletes, restores, re-adds, clashes and expiries, checking every
/// invariant over the whole world after every step.
fn complex_run() -> World {
    let mut w = entra_world(Settings::default());
    w.check_all_invariants().unwrap();
    step(&mut w, Op::Backup("nightly".into()));
    // SYNC-10: a synced user purged in the cloud comes back as a new user.
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::User,
        handle: id_of(w, "alice"),
        from: Directory::Entra,
        permanently: true,
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    assert_eq!(w.count(h(&w, "alice")), 1);
    // SYNC-5/SYNC-9: an AD user whose UPN is carol's, who holds a role: a second user with a
    // placeholder UPN, never a duplicate.
    ad_user(
        &mut w,
        "dan",
        "Staff",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    w.check_all_invariants().unwrap();
    step(&mut w, Op::Sync(CycleKind::Delta));
    let dan_upn = prop(&w, "dan", "userPrincipalName").unwrap();
    assert_ne!(dan_upn.to_lowercase(), "carol@contoso.com");
    assert!(dan_upn.ends_with("@contoso.onmicrosoft.com"), "{dan_upn}");
    // A cloud create of a taken UPN is refused (ID-4).
    let ev = step(&mut w, |w: &mut World| Op::Create {
        kind: Kind::User,
        handle: new_id(w, "alice2", Kind::User),
        dir: Directory::Entra,
        object: NewObject {
            entra_props: vec![(EntraProp::UserPrincipalName, text("alice@contoso.com"))],
            ..Default::default()
        },
    });
    event(&ev, EventKind::Refused, RuleId::Id4);
    // AD deletes and undeletes of a manager, synced each time.
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::User,
        handle: id_of(w, "bob"),
        from: Directory::Ad,
        permanently: false,
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    step(&mut w, |w: &mut World| Op::Undelete {
        kind: Kind::User,
        handle: id_of(w, "bob"),
        dir: Directory::Ad,
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    // Groups: one soft-deleted, one purged, a synced one hard-deleted and re-added.
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::Group,
        handle: id_of(w, "Auditors"),
        from: Directory::Entra,
        permanently: false,
    });
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::Group,
        handle: id_of(w, "Project X"),
        from: Directory::Entra,
        permanently: true,
    });
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::Group,
        handle: id_of(w, "Finance"),
        from: Directory::Ad,
        permanently: false,
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    step(&mut w, |w: &mut World| Op::Undelete {
        kind: Kind::Group,
        handle: id_of(w, "Finance"),
        dir: Directory::Ad,
    });
    step(&mut w, Op::Sync(CycleKind::Initial));
    step(&mut w, |w: &mut World| Op::Undelete {
        kind: Kind::Group,
        handle: id_of(w, "Auditors"),
        dir: Directory::Entra,
    });
    // A cloud-deleted synced user restored by the next cycle (SYNC-10), a VDC restore that
    // cannot map the re-added alice (VDC-3), a VEAD restore of a user removed from AD.
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::User,
        handle: id_of(w, "dan"),
        from: Directory::Entra,
        permanently: false,
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    step(&mut w, |w: &mut World| Op::Restore {
        users: ids(w, &["alice", "carol"]),
        groups: vec![],
        from: "nightly".into(),
        recycle_bin: true,
        keep_relationships: true,
        existing: Existing::Overwrite,
    });
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::User,
        handle: id_of(w, "bob"),
        from: Directory::Ad,
        permanently: true,
    });
    step(&mut w, |w: &mut World| Op::RestoreAd {
        users: ids(w, &["bob"]),
        from: "nightly".into(),
    });
    step(&mut w, Op::Sync(CycleKind::Delta));
    // Cloud relations of the re-added users.
    step(&mut w, |w: &mut World| Op::Assign {
        kind: Kind::User,
        handle: id_of(w, "alice"),
        dir: Directory::Entra,
        rels: Box::new(resolve(
            w,
            &Rels {
                groups: strs(&["Auditors"]),
                owns: strs(&["Auditors"]),
                roles: strs(&["Helpdesk Administrator"]),
                licenses: strs(&["Microsoft 365 E3"]),
                apps: strs(&["Salesforce"]),
                ..Default::default()
            },
        )),
    });
    step(&mut w, |w: &mut World| Op::Assign {
        kind: Kind::User,
        handle: id_of(w, "dan"),
        dir: Directory::Entra,
        rels: Box::new(resolve(
            w,
            &Rels {
                groups: strs(&["Auditors"]),
                ..Default::default()
            },
        )),
    });
    // Cloud users in the bin, then retention expiries.
    step(&mut w, |w: &mut World| Op::Delete {
        kind: Kind::User,
        handle: id_of(w, "dave"),
        from: Directory::Entra,
        permanently: false,
    });
    step(&mut w, Op::Wait(31 * DAY));
    step(&mut w, Op::Sync(CycleKind::Delta));
    w
}

#[test]
fn inv_1_no_two_live_entra_objects_share_a_upn_proxy_or_immutable_id() {
    let w = complex_run();
    let mut seen: BTreeMap<(&str, String), Guid> = BTreeMap::new();
    let mut live = 0;
    for n in w.graph().nodes() {
        let Some(o) = w.graph().entra(n).filter(|o| o.is_live()) else {
            continue;
        };
        live += 1;
        let mut keys = Vec::new();
        if let Some(u) = o.upn() {
            keys.push(("upn", u.to_lowercase()));
        }
        if let Some(i) = o.immutable_id() {
            keys.push(("immutableId", i.to_string()));
        }
        if let Some(p) = o.props.get(EntraProp::ProxyAddresses) {
            keys.extend(p.as_list().iter().map(|a| ("proxy", a.to_lowercase())));
        }
        for k in keys {
            let other = seen.insert(k.clone(), o.id);
            assert!(other.is_none(), "{k:?} held by {other:?} and {}", o.id);
        }
    }
    assert_eq!(live, 6, "bob, carol, alice, dan, Finance, Auditors");
    // The refused cloud create left no object behind.
    assert!(entra_objects(&w, "alice2").is_empty());
}

#[test]
fn inv_1_a_cloud_create_with_a_taken_upn_is_refused_not_duplicated() {
    let mut w = runbook_world(Settings::default());
    for upn in ["alice@contoso.com", "ALICE@CONTOSO.COM"] {
        let ev = cloud_user(&mut w, "impostor", &[("userPrincipalName", upn)]);
        event(&ev, EventKind::Refused, RuleId::Id4);
        w.check_all_invariants().unwrap();
    }
    let holders: Vec<NodeIx> = w
        .graph()
        .nodes()
        .filter(|n| {
            w.graph().entra(*n).is_some_and(|o| {
                o.is_live()
                    && o.upn()
                        .is_some_and(|u| u.eq_ignore_ascii_case("alice@contoso.com"))
            })
        })
        .collect();
    assert_eq!(holders, [live_entra(&w, "alice")]);
    assert_eq!(entra_state(&w, "impostor"), EntraPresence::Absent);
}

fn is_gone(n: &Node) -> bool {
    match n {
        Node::Entra(o) => o.state == EntraState::Purged,
        Node::Ad(o) => o.state == AdState::Gone,
        _ => false,
    }
}

#[test]
fn inv_2_every_relation_joins_two_objects_of_one_directory_none_gone() {
    let w = complex_run();
    let g = w.graph();
    let mut checked = 0;
    for n in g.nodes() {
        for rel in RELS {
            for t in g.out(n, rel) {
                let (a, b) = (g.node(n).unwrap(), g.node(t).unwrap());
                assert_eq!(a.directory(), b.directory(), "{rel:?} {n:?} -> {t:?}");
                if is_gone(a) || is_gone(b) {
                    // Dead with the object gone for good: never a live relation.
                    assert!(
                        !g.live_out(n, rel).any(|x| x == t),
                        "{rel:?} to a gone object is live"
                    );
                    continue;
                }
                if rel == Rel::Member || rel == Rel::Owner {
                    assert!(
                        matches!(b, Node::Ad(o) if o.kind == Kind::Group)
                            || matches!(b, Node::Entra(o) if o.kind == Kind::Group)
                    );
                }
                checked += 1;
            }
            // Live relations join live objects only.
            for t in g.live_out(n, rel) {
                assert!(g.is_live(n) && g.is_live(t));
            }
        }
    }
    assert!(checked > 10, "{checked} relations checked");
    // Every live relation the queries report names a live object.
    for name in ["alice", "bob", "carol", "dan"] {
        for f in w.relation_facts(h(&w, name)).unwrap() {
            if matches!(f.kind, "group" | "owns" | "manager") {
                let t = h(&w, &f.target);
                assert!(w.entra_live(t).unwrap().is_some(), "{name}: {f}");
            }
        }
    }
}

#[test]
fn inv_3_a_join_links_one_ad_object_and_one_entra_object() {
    let w = complex_run();
    let g = w.graph();
    let mut joins = 0;
    for n in g.nodes() {
        match g.node(n).unwrap() {
            Node::Ad(o) => {
                let out = g.out(n, Rel::Join).count();
                assert!(out <= 1, "{} joined {out} times", o.guid);
                if out == 1 {
                    assert_ne!(o.state, AdState::Gone, "a removed object stays joined");
                    joins += 1;
                }
            }
            Node::Entra(o) => {
                let inc = g.inc(n, Rel::Join).count();
                assert!(inc <= 1, "{} joined {inc} times", o.id);
                // After a completed cycle, every join is to a live, synced object.
                if inc == 1 {
                    assert!(o.is_live() && o.is_synced(), "{}", o.id);
                }
            }
            _ => {}
        }
    }
    assert!(joins >= 4, "{joins} joins");
    // Each handle synced has exactly one joined object on each side.
    for name in ["alice", "bob", "dan", "Finance"] {
        let joined: Vec<NodeIx> = ad_objects(&w, name)
            .into_iter()
            .filter(|n| g.joined_entra(*n).is_some())
            .collect();
        assert_eq!(joined.len(), 1, "{name}");
        assert!(hybrid(&w, name), "{name}");
        assert_eq!(g.joined_entra(joined[0]), Some(live_entra(&w, name)));
    }
}

#[test]
fn inv_4_negative_wait_is_an_invariant_error_and_time_never_goes_back() {
    let mut w = world();
    let t0 = w.now();
    assert_eq!(t0, START);
    let err = w.apply(&Op::Wait(-1)).unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Invariant {
                rule: RuleId::Inv4,
                ..
            }
        ),
        "not an INV-4 invariant error: {err}"
    );
    assert!(err.to_string().contains("INV-4"), "{err}");
    assert_eq!(w.now(), t0, "the clock did not move");
    assert!(no_expiry(&apply(&mut w, Op::Wait(0))));
    assert_eq!(w.now(), t0);
    apply(&mut w, Op::Wait(10));
    assert_eq!(w.now(), t0 + 10);
    assert!(matches!(
        w.apply(&Op::Wait(-(DAY * 365))),
        Err(EngineError::Invariant {
            rule: RuleId::Inv4,
            ..
        })
    ));
    assert_eq!(w.now(), t0 + 10);
    // Other steps never move the clock.
    cloud_user(&mut w, "carol", &[]);
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    sync(&mut w);
    assert_eq!(w.now(), t0 + 10);
}

/// Entra and AD expiries at days 20, 25, 30 and 40 (two at 40), scheduled out of order.
fn expiry_world() -> World {
    let mut w = world_with(settings(|s| {
        s.entra_retention_days = 30;
        s.ad_deleted_object_lifetime_days = 15;
    }));
    for u in ["u1", "u2", "u3"] {
        cloud_user(&mut w, u, &[]);
    }
    ad_user(&mut w, "adam", "Staff", &[]);
    // Day 0: u1 (purge at 30).
    delete(&mut w, Kind::User, "u1", Directory::Entra, false);
    wait_days(&mut w, 10);
    // Day 10: u2 (purge at 40); adam (recycled at 25, removed at 40).
    delete(&mut w, Kind::User, "u2", Directory::Entra, false);
    delete(&mut w, Kind::User, "adam", Directory::Ad, false);
    wait_days(&mut w, 5);
    // Day 15: a shorter retention for u3 (purge at 20).
    patch(
        &mut w,
        SettingsPatch {
            entra_retention_days: Some(5),
            ..Default::default()
        },
    );
    delete(&mut w, Kind::User, "u3", Directory::Entra, false);
    w
}

fn expiries(ev: &[Event]) -> Vec<(EventKind, String)> {
    ev.iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Purged | EventKind::AdRecycled | EventKind::AdRemoved
            )
        })
        .map(|e| (e.kind, e.subject.clone()))
        .collect()
}

#[test]
fn inv_4_wait_applies_expiries_in_time_order() {
    let want = vec![
        (EventKind::Purged, "u3".to_string()),
        (EventKind::AdRecycled, "adam".to_string()),
        (EventKind::Purged, "u1".to_string()),
        (EventKind::Purged, "u2".to_string()),
        (EventKind::AdRemoved, "adam".to_string()),
    ];
    // One long wait: every expiry in time order.
    let mut w = expiry_world();
    let ev = wait_days(&mut w, 40);
    assert_eq!(expiries(&ev), want);
    assert_eq!(w.now(), START + 55 * DAY);
    for u in ["u1", "u2", "u3"] {
        assert_eq!(entra_state(&w, u), EntraPresence::Absent);
    }
    assert_eq!(ad_state(&w, "adam"), AdPresence::Absent);

    // The same as time passes step by step: each expiry at its own time, none early.
    let mut w = expiry_world();
    let mut got = Vec::new();
    let mut seen_at: Vec<(i64, usize)> = Vec::new();
    for day in 16..=55 {
        let ev = wait_days(&mut w, 1);
        let x = expiries(&ev);
        if !x.is_empty() {
            seen_at.push((day, x.len()));
        }
        got.extend(x);
        assert_eq!(w.now(), START + day * DAY);
        if day < 30 {
            assert_eq!(
                entra_state(&w, "u1"),
                EntraPresence::SoftDeleted,
                "day {day}"
            );
        }
        if day < 40 {
            assert_eq!(
                entra_state(&w, "u2"),
                EntraPresence::SoftDeleted,
                "day {day}"
            );
        }
    }
    assert_eq!(got, want);
    assert_eq!(seen_at, [(20, 1), (25, 1), (30, 1), (40, 2)]);
}

#[test]
fn inv_4_two_soft_deleted_users_are_purged_in_the_order_they_were_deleted() {
    let mut w = world();
    cloud_user(&mut w, "first", &[]);
    cloud_user(&mut w, "second", &[]);
    delete(&mut w, Kind::User, "first", Directory::Entra, false);
    wait_days(&mut w, 10);
    delete(&mut w, Kind::User, "second", Directory::Entra, false);
    let ev = wait_days(&mut w, 25);
    assert_eq!(expiries(&ev), [(EventKind::Purged, "first".to_string())]);
    assert_eq!(entra_state(&w, "first"), EntraPresence::Absent);
    assert_eq!(entra_state(&w, "second"), EntraPresence::SoftDeleted);
    let ev = wait_days(&mut w, 5);
    assert_eq!(expiries(&ev), [(EventKind::Purged, "second".to_string())]);
    assert_eq!(entra_state(&w, "second"), EntraPresence::Absent);
    // A restored user's old expiry is void; a second delete starts a new period.
    cloud_user(&mut w, "third", &[]);
    delete(&mut w, Kind::User, "third", Directory::Entra, false);
    wait_days(&mut w, 20);
    undelete(&mut w, Kind::User, "third", Directory::Entra);
    delete(&mut w, Kind::User, "third", Directory::Entra, false);
    let ev = wait_days(&mut w, 29);
    assert!(expiries(&ev).is_empty(), "{ev:#?}");
    assert_eq!(entra_state(&w, "third"), EntraPresence::SoftDeleted);
    let ev = wait_days(&mut w, 1);
    assert_eq!(expiries(&ev), [(EventKind::Purged, "third".to_string())]);
}
