//! Rule tests for the directories themselves (BEHAVIOUR.md sections 1, 3, 4, 7 and 8): identifiers
//! and relations (ID-1..4), Active Directory (AD-1..6), Entra ID (ENTRA-1..6), the AD side of a
//! backup (VEAD-1) and the invariants (INV-1..4). Every setting a rule depends on is tested with
//! both values.
//!
//! Some ENTRA rules are tested by the scenario files `tests/rules/entra-*.yaml`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use hysim_engine::query::{AdPresence, EntraPresence};
use hysim_engine::store::{
    AdAttr, AdObject, AdState, EntraObject, EntraProp, EntraState, Guid, Node, NodeIx, Rel,
    immutable_id,
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

/// The events of `kind` about `subject`.
fn count(ev: &[Event], kind: EventKind, subject: &str) -> usize {
    ev.iter()
        .filter(|e| e.kind == kind && e.subject == subject)
        .count()
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

fn list(v: &[&str]) -> Value {
    Value::list(v)
}

/// A cloud user with typed property values (lists included).
fn cloud_user_with(w: &mut World, name: &str, props: Vec<(EntraProp, Value)>) -> Vec<Event> {
    let handle = new_id(w, name, Kind::User);
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle,
            dir: Directory::Entra,
            object: NewObject {
                entra_props: props,
                ..Default::default()
            },
        },
    )
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

fn move_to(w: &mut World, kind: Kind, name: &str, ou: &str) -> Vec<Event> {
    let handle = id_of(w, name);
    apply(
        w,
        Op::Move {
            kind,
            handle,
            to: ou.into(),
        },
    )
}

fn ad_unassign(w: &mut World, name: &str, rels: Rels) -> Vec<Event> {
    let handle = id_of(w, name);
    let rels = resolve(w, &rels);
    apply(
        w,
        Op::Unassign {
            kind: Kind::User,
            handle,
            dir: Directory::Ad,
            rels,
        },
    )
}

fn patch(w: &mut World, p: SettingsPatch) -> Vec<Event> {
    apply(w, Op::Settings(p))
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

/// The handle's only Entra object (live or not).
fn only_entra<'a>(w: &'a World, name: &str) -> (NodeIx, &'a EntraObject) {
    let all = entra_objects(w, name);
    assert_eq!(all.len(), 1, "{name} has {} Entra objects", all.len());
    (all[0], w.graph().entra(all[0]).unwrap())
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

/// The live sources of relations of one kind pointing at a node (e.g. a group's live members).
fn live_sources(w: &World, n: NodeIx, rel: Rel) -> BTreeSet<String> {
    w.graph()
        .live_inc(n, rel)
        .map(|s| node_name(w, s))
        .collect()
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

fn ad_attr(w: &World, name: &str, a: AdAttr) -> Option<String> {
    ad_obj(w, name).attr(a).map(|v| v.to_string())
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
        // Groups always use objectGUID.
        let fin_guid = ad_obj(&w, "Finance").guid;
        assert_eq!(
            prop(&w, "Finance", "onPremisesImmutableId"),
            Some(immutable_id(fin_guid).to_string())
        );
        // AD byte order: the first three groups little-endian.
        let b = bob_guid.0;
        let ad = bob_guid.to_ad_bytes();
        assert_eq!(&ad[..4], &[b[3], b[2], b[1], b[0]]);
        assert_eq!(&ad[4..8], &[b[5], b[4], b[7], b[6]]);
        assert_eq!(&ad[8..], &b[8..]);
    }
}

#[test]
fn id_3_user_relations_in_entra_and_ad_with_nesting() {
    let mut w = runbook_world(Settings::default());
    // Entra: direct memberships of cloud and synced groups, role, direct and group licences,
    // app, manager; carol owns Project X.
    assert_eq!(
        rel(&w, "alice", "groups"),
        set(&["Auditors", "Finance", "Project X"])
    );
    assert_eq!(rel(&w, "alice", "roles"), set(&["Helpdesk Administrator"]));
    assert_eq!(
        rel(&w, "alice", "licenses"),
        set(&["Microsoft 365 E3", "Microsoft 365 E5"])
    );
    assert_eq!(rel(&w, "alice", "apps"), set(&["Salesforce"]));
    assert_eq!(rel(&w, "alice", "manager"), set(&["bob"]));
    assert_eq!(rel(&w, "carol", "owns"), set(&["Project X"]));
    // The inherited licence is a relation of the group, not of the user.
    assert_eq!(
        stored(&w, live_entra(&w, "alice"), Rel::Licence),
        set(&["Microsoft 365 E3"])
    );
    assert_eq!(
        stored(&w, live_entra(&w, "Auditors"), Rel::Licence),
        set(&["Microsoft 365 E5"])
    );
    // AD: member/memberOf and manager.
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance"]));
    assert_eq!(w.ad_manager(h(&w, "alice")).as_deref(), Some("bob"));

    // Nesting in AD, flowed to Entra by the sync.
    ad_group(&mut w, "All Staff", "Staff");
    let ev = apply(&mut w, |w: &mut World| Op::Assign {
        kind: Kind::Group,
        handle: id_of(w, "Finance"),
        dir: Directory::Ad,
        rels: resolve(w, &groups(&["All Staff"])),
    });
    event(&ev, EventKind::AdRelationAdded, RuleId::Id3);
    assert_eq!(w.ad_groups(h(&w, "Finance")), set(&["All Staff"]));
    sync(&mut w);
    assert_eq!(rel(&w, "Finance", "groups"), set(&["All Staff"]));

    // Nesting in Entra: a cloud group and a synced group in a cloud group.
    cloud_group(&mut w, "Everyone", GroupType::Security);
    for g in ["Project X", "Finance"] {
        let ev = assign(&mut w, Kind::Group, g, groups(&["Everyone"]));
        event(&ev, EventKind::RelationAdded, RuleId::Id3);
    }
    assert_eq!(rel(&w, "Project X", "groups"), set(&["Everyone"]));
    assert_eq!(
        rel(&w, "Finance", "groups"),
        set(&["All Staff", "Everyone"])
    );
    assert_eq!(
        live_sources(&w, live_entra(&w, "Everyone"), Rel::Member),
        set(&["Finance", "Project X"])
    );
    // Unassign removes a relation.
    let ev = unassign(
        &mut w,
        Kind::User,
        "alice",
        Rels {
            apps: strs(&["Salesforce"]),
            ..Default::default()
        },
    );
    event(&ev, EventKind::RelationRemoved, RuleId::Id3);
    assert!(rel(&w, "alice", "apps").is_empty());
    w.check_all_invariants().unwrap();
}

#[test]
fn id_4_cloud_create_and_update_refused_when_a_unique_value_is_taken() {
    let mut w = world();
    cloud_user(
        &mut w,
        "carol",
        &[
            ("userPrincipalName", "carol@contoso.com"),
            ("mail", "carol@contoso.com"),
        ],
    );
    assert_eq!(
        prop(&w, "carol", "proxyAddresses").as_deref(),
        Some("[SMTP:carol@contoso.com]")
    );
    // The UPN, whatever its case.
    let ev = cloud_user(
        &mut w,
        "carol2",
        &[("userPrincipalName", "CAROL@contoso.com")],
    );
    let e = event(&ev, EventKind::Refused, RuleId::Id4);
    assert!(e.message.contains("userPrincipalName"), "{}", e.message);
    assert_eq!(entra_state(&w, "carol2"), EntraPresence::Absent);
    assert!(entra_objects(&w, "carol2").is_empty());
    // A proxy address, whatever its prefix's case.
    let ev = cloud_user_with(
        &mut w,
        "dave",
        vec![(EntraProp::ProxyAddresses, list(&["smtp:carol@contoso.com"]))],
    );
    let e = event(&ev, EventKind::Refused, RuleId::Id4);
    assert!(e.message.contains("proxy address"), "{}", e.message);
    assert_eq!(entra_state(&w, "dave"), EntraPresence::Absent);
    // The immutableId.
    cloud_user(&mut w, "erin", &[("onPremisesImmutableId", "AAAAAAAA")]);
    let ev = cloud_user(&mut w, "frank", &[("onPremisesImmutableId", "AAAAAAAA")]);
    let e = event(&ev, EventKind::Refused, RuleId::Id4);
    assert!(e.message.contains("onPremisesImmutableId"), "{}", e.message);
    assert_eq!(entra_state(&w, "frank"), EntraPresence::Absent);
    // A write of a taken value is refused and changes nothing.
    cloud_user(&mut w, "gina", &[]);
    let ev = update_entra(
        &mut w,
        "gina",
        vec![(
            EntraProp::UserPrincipalName,
            Some(text("Carol@Contoso.com")),
        )],
    );
    event(&ev, EventKind::Refused, RuleId::Id4);
    assert_eq!(
        prop(&w, "gina", "userPrincipalName").as_deref(),
        Some("gina@contoso.com")
    );
    // Only live objects count: once carol is in the recycle bin her values are free.
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    let ev = cloud_user(
        &mut w,
        "carol2",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    event(&ev, EventKind::Created, RuleId::Id1);
    assert_eq!(entra_state(&w, "carol2"), EntraPresence::Live);
    let ev = update_entra(
        &mut w,
        "gina",
        vec![(EntraProp::Mail, Some(text("carol@contoso.com")))],
    );
    event(&ev, EventKind::Updated, RuleId::Entra5);
    w.check_all_invariants().unwrap();
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

#[test]
fn ad_1_new_user_gets_new_guid_and_sid_and_empty_consistency_guid() {
    let mut w = world();
    let ev = ad_user(&mut w, "alice", "Staff", &[("displayName", "Alice Jones")]);
    let e = event(&ev, EventKind::AdCreated, RuleId::Ad1);
    let alice = ad_obj(&w, "alice").clone();
    assert!(e.message.contains(&alice.guid.to_string()));
    assert!(e.message.contains(&alice.sid.to_string()));
    assert_eq!(alice.state, AdState::Live);
    assert_eq!(&*alice.ou, "Staff");
    assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::SamAccountName).as_deref(),
        Some("alice")
    );
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::UserPrincipalName).as_deref(),
        Some("alice@contoso.com")
    );
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::Cn).as_deref(),
        Some("Alice Jones")
    );
    // The creator may set mS-DS-ConsistencyGuid.
    ad_user(
        &mut w,
        "bob",
        "Staff",
        &[("mS-DS-ConsistencyGuid", WORKED_GUID)],
    );
    let bob = ad_obj(&w, "bob").clone();
    assert_eq!(
        ad_attr(&w, "bob", AdAttr::ConsistencyGuid).as_deref(),
        Some(WORKED_GUID)
    );
    assert_ne!(bob.guid.to_string(), WORKED_GUID, "the objectGUID is new");
    assert_ne!(alice.guid, bob.guid);
    assert_ne!(alice.sid, bob.sid);
    let ((d1, r1), (d2, r2)) = (
        sid_parts(&alice.sid.to_string()),
        sid_parts(&bob.sid.to_string()),
    );
    assert_eq!(d1, d2);
    assert_ne!(r1, r2);
    // Groups get a GUID and SID too.
    ad_group(&mut w, "Finance", "Staff");
    let fin = ad_obj(&w, "Finance");
    assert!(fin.guid != alice.guid && fin.guid != bob.guid);
    sid_parts(&fin.sid.to_string());
    // A second live object for the handle is refused.
    let ev = ad_user(&mut w, "alice", "Staff", &[]);
    event(&ev, EventKind::Refused, RuleId::Ad1);
    assert_eq!(ad_objects(&w, "alice").len(), 1);
    assert_eq!(ad_obj(&w, "alice").guid, alice.guid);
    // After a delete, creating the user again gives a new object.
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    let ev = ad_user(&mut w, "alice", "Staff", &[]);
    event(&ev, EventKind::AdCreated, RuleId::Ad1);
    assert_eq!(ad_objects(&w, "alice").len(), 2);
    let again = ad_obj(&w, "alice");
    assert_eq!(again.state, AdState::Live);
    assert_ne!(again.guid, alice.guid);
    assert_ne!(again.sid, alice.sid);
    assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
}

#[test]
fn ad_2_recycle_bin_keeps_everything_then_recycles_after_the_lifetime() {
    for lifetime in [180u32, 10] {
        let mut w = ad_world(settings(|s| {
            s.ad_recycle_bin = true;
            s.ad_deleted_object_lifetime_days = lifetime;
        }));
        let before = ad_obj(&w, "alice").clone();
        let ev = delete(&mut w, Kind::User, "alice", Directory::Ad, false);
        let e = event(&ev, EventKind::AdDeleted, RuleId::Ad2);
        assert!(
            e.message.contains(&format!("{lifetime} days")),
            "{}",
            e.message
        );
        assert!(!ev.iter().any(|e| e.kind == EventKind::AdTombstoned));
        assert_eq!(ad_state(&w, "alice"), AdPresence::Deleted);
        let n = ad_node(&w, "alice");
        let o = ad_obj(&w, "alice");
        assert_eq!(o.state, AdState::Deleted { since: START });
        assert_eq!((o.guid, o.sid), (before.guid, before.sid));
        // All attributes and links are kept.
        assert_eq!(o.attrs, before.attrs);
        assert_eq!(
            ad_attr(&w, "alice", AdAttr::ConsistencyGuid).as_deref(),
            Some(WORKED_GUID)
        );
        assert_eq!(stored(&w, n, Rel::Member), set(&["Finance", "Sales"]));
        assert_eq!(stored(&w, n, Rel::Manager), set(&["bob"]));
        // ... but a deleted object is in no live relation.
        assert!(w.ad_groups(h(&w, "alice")).is_empty());
        assert!(!live_sources(&w, ad_node(&w, "Finance"), Rel::Member).contains("alice"));

        // The lifetime: still a deleted object one day before it ends.
        let ev = wait_days(&mut w, i64::from(lifetime) - 1);
        assert!(no_expiry(&ev), "{ev:#?}");
        assert_eq!(ad_state(&w, "alice"), AdPresence::Deleted);
        // Then recycled: most attributes and all links stripped.
        let ev = wait_days(&mut w, 1);
        event(&ev, EventKind::AdRecycled, RuleId::Ad2);
        assert_eq!(ad_state(&w, "alice"), AdPresence::Recycled);
        let o = ad_obj(&w, "alice");
        assert!(matches!(o.state, AdState::Recycled { .. }));
        assert_eq!((o.guid, o.sid), (before.guid, before.sid));
        assert_eq!(ad_attr(&w, "alice", AdAttr::DisplayName), None);
        assert_eq!(ad_attr(&w, "alice", AdAttr::Department), None);
        assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
        assert_eq!(
            ad_attr(&w, "alice", AdAttr::SamAccountName).as_deref(),
            Some("alice")
        );
        assert!(stored(&w, n, Rel::Member).is_empty());
        assert!(stored(&w, n, Rel::Manager).is_empty());
        // No longer undeletable (AD-4).
        let ev = undelete(&mut w, Kind::User, "alice", Directory::Ad);
        event(&ev, EventKind::Refused, RuleId::Ad4);
        assert_eq!(ad_state(&w, "alice"), AdPresence::Recycled);
        w.check_all_invariants().unwrap();
    }
    assert_eq!(Settings::default().ad_deleted_object_lifetime_days, 180);
    assert!(Settings::default().ad_recycle_bin);
}

#[test]
fn ad_3_tombstone_strips_links_and_consistency_guid() {
    for lifetime in [180u32, 5] {
        let mut w = ad_world(settings(|s| {
            s.ad_recycle_bin = false;
            s.ad_deleted_object_lifetime_days = lifetime;
        }));
        let before = ad_obj(&w, "alice").clone();
        let ev = delete(&mut w, Kind::User, "alice", Directory::Ad, false);
        let e = event(&ev, EventKind::AdTombstoned, RuleId::Ad3);
        assert!(e.message.contains("mS-DS-ConsistencyGuid"));
        assert!(!ev.iter().any(|e| e.kind == EventKind::AdDeleted));
        let n = ad_node(&w, "alice");
        let o = ad_obj(&w, "alice");
        assert_eq!(o.state, AdState::Tombstone { since: START });
        assert_eq!(ad_state(&w, "alice"), AdPresence::Deleted);
        // Only objectGUID, objectSid, sAMAccountName and the RDN are kept.
        assert_eq!((o.guid, o.sid), (before.guid, before.sid));
        let kept: Vec<AdAttr> = o.attrs.present().collect();
        assert_eq!(kept, [AdAttr::SamAccountName, AdAttr::Cn]);
        assert_eq!(
            ad_attr(&w, "alice", AdAttr::Cn).as_deref(),
            Some("Alice Jones")
        );
        assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
        assert_eq!(ad_attr(&w, "alice", AdAttr::UserPrincipalName), None);
        // Links are stripped, in both directions.
        assert!(stored(&w, n, Rel::Member).is_empty());
        assert!(stored(&w, n, Rel::Manager).is_empty());
        assert!(!stored(&w, ad_node(&w, "Finance"), Rel::Member).contains("alice"));
        assert_eq!(edge_count(&w, n), 0);
        // A tombstoned manager disappears from its reports.
        ad_user(&mut w, "carol", "Staff", &[]);
        ad_assign(
            &mut w,
            "carol",
            Rels {
                manager: Some("bob".into()),
                ..Default::default()
            },
        );
        delete(&mut w, Kind::User, "bob", Directory::Ad, false);
        assert_eq!(w.ad_manager(h(&w, "carol")), None);
        assert!(stored(&w, ad_node(&w, "carol"), Rel::Manager).is_empty());
        // The tombstone lifetime (the same setting): removed completely at its end.
        let ev = wait_days(&mut w, i64::from(lifetime) - 1);
        assert!(no_expiry(&ev), "{ev:#?}");
        assert_eq!(ad_state(&w, "alice"), AdPresence::Deleted);
        let ev = wait_days(&mut w, 1);
        let e = event(&ev, EventKind::AdRemoved, RuleId::Ad3);
        assert_eq!(e.subject, "alice");
        assert_eq!(count(&ev, EventKind::AdRemoved, "bob"), 1);
        assert_eq!(ad_state(&w, "alice"), AdPresence::Absent);
        w.check_all_invariants().unwrap();
    }
}

#[test]
fn ad_3_recycle_bin_turned_off_mid_run_makes_tombstones() {
    let mut w = ad_world(Settings::default());
    delete(&mut w, Kind::User, "bob", Directory::Ad, false);
    assert!(matches!(ad_obj(&w, "bob").state, AdState::Deleted { .. }));
    patch(
        &mut w,
        SettingsPatch {
            ad_recycle_bin: Some(false),
            ..Default::default()
        },
    );
    let ev = delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    event(&ev, EventKind::AdTombstoned, RuleId::Ad3);
    assert!(matches!(
        ad_obj(&w, "alice").state,
        AdState::Tombstone { .. }
    ));
    assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
    // bob, deleted while the bin was on, still keeps his attributes.
    assert_eq!(
        ad_attr(&w, "bob", AdAttr::DisplayName).as_deref(),
        Some("Bob Smith")
    );
}

#[test]
fn ad_4_undelete_brings_back_a_deleted_object_with_everything_in_its_last_ou() {
    let mut w = ad_world(settings(|s| s.ad_recycle_bin = true));
    let before = ad_obj(&w, "alice").clone();
    move_to(&mut w, Kind::User, "alice", "Sales");
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    let ev = undelete(&mut w, Kind::User, "alice", Directory::Ad);
    let e = event(&ev, EventKind::AdUndeleted, RuleId::Ad4);
    assert!(e.message.contains(&before.guid.to_string()));
    let o = ad_obj(&w, "alice");
    assert_eq!(o.state, AdState::Live);
    assert_eq!((o.guid, o.sid), (before.guid, before.sid));
    assert_eq!(&*o.ou, "Sales", "the last known OU");
    assert_eq!(o.attrs, before.attrs);
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
    assert_eq!(w.ad_manager(h(&w, "alice")).as_deref(), Some("bob"));
    assert_eq!(ad_objects(&w, "alice").len(), 1, "no new object");
    // The expiry scheduled by the delete no longer applies.
    let ev = wait_days(&mut w, 400);
    assert!(no_expiry(&ev), "{ev:#?}");
    assert_eq!(ad_state(&w, "alice"), AdPresence::Live);
}

#[test]
fn ad_4_undelete_of_a_tombstone_brings_back_only_what_it_kept() {
    let mut w = ad_world(settings(|s| s.ad_recycle_bin = false));
    let before = ad_obj(&w, "alice").clone();
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    let ev = undelete(&mut w, Kind::User, "alice", Directory::Ad);
    let e = event(&ev, EventKind::AdUndeleted, RuleId::Ad4);
    assert!(e.message.contains("only what the tombstone kept"));
    let o = ad_obj(&w, "alice");
    assert_eq!(o.state, AdState::Live);
    assert_eq!((o.guid, o.sid), (before.guid, before.sid));
    assert_eq!(&*o.ou, "Staff");
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::SamAccountName).as_deref(),
        Some("alice")
    );
    assert_eq!(ad_attr(&w, "alice", AdAttr::DisplayName), None);
    assert_eq!(ad_attr(&w, "alice", AdAttr::ConsistencyGuid), None);
    assert!(w.ad_groups(h(&w, "alice")).is_empty());
    assert_eq!(w.ad_manager(h(&w, "alice")), None);
}

#[test]
fn ad_4_recycled_removed_or_live_objects_cannot_be_undeleted() {
    for recycle_bin in [true, false] {
        let mut w = ad_world(settings(|s| {
            s.ad_recycle_bin = recycle_bin;
            s.ad_deleted_object_lifetime_days = 1;
        }));
        // Live: nothing to undelete.
        let ev = undelete(&mut w, Kind::User, "alice", Directory::Ad);
        event(&ev, EventKind::Refused, RuleId::Ad4);
        // Recycled (with the bin) or removed at the end of the tombstone lifetime (without).
        delete(&mut w, Kind::User, "alice", Directory::Ad, false);
        wait_days(&mut w, 1);
        let ev = undelete(&mut w, Kind::User, "alice", Directory::Ad);
        if recycle_bin {
            let e = event(&ev, EventKind::Refused, RuleId::Ad4);
            assert!(e.message.contains("recycled"), "{}", e.message);
            assert!(e.message.contains("cannot be undeleted"), "{}", e.message);
            assert_eq!(ad_state(&w, "alice"), AdPresence::Recycled);
        } else {
            event(&ev, EventKind::NotFound, RuleId::Ad4);
            assert_eq!(ad_state(&w, "alice"), AdPresence::Absent);
        }
        // A permanent delete leaves nothing.
        let ev = delete(&mut w, Kind::User, "bob", Directory::Ad, true);
        let rule = if recycle_bin {
            RuleId::Ad2
        } else {
            RuleId::Ad3
        };
        event(&ev, EventKind::AdRemoved, rule);
        assert_eq!(ad_state(&w, "bob"), AdPresence::Absent);
        let ev = undelete(&mut w, Kind::User, "bob", Directory::Ad);
        event(&ev, EventKind::NotFound, RuleId::Ad4);
        assert_eq!(ad_state(&w, "bob"), AdPresence::Absent);
    }
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

#[test]
fn ad_5_vead_reanimates_a_deleted_object_or_tombstone() {
    for recycle_bin in [true, false] {
        for copies in [true, false] {
            let mut w = vead_world(settings(|s| {
                s.ad_recycle_bin = recycle_bin;
                s.vead_copies_consistency_guid = copies;
            }));
            let before = ad_obj(&w, "alice").clone();
            delete(&mut w, Kind::User, "alice", Directory::Ad, false);
            let ev = restore_ad(&mut w, &["alice"], "nightly");
            let e = event(&ev, EventKind::AdReanimated, RuleId::Ad5);
            assert!(e.message.contains("reanimated"), "{}", e.message);
            assert!(!ev.iter().any(|e| e.kind == EventKind::AdRecreated));
            assert_eq!(ad_objects(&w, "alice").len(), 1, "the same object");
            let o = ad_obj(&w, "alice");
            assert_eq!(o.state, AdState::Live);
            assert_eq!((o.guid, o.sid), (before.guid, before.sid));
            // Attributes and memberships written from the backup.
            assert_eq!(
                ad_attr(&w, "alice", AdAttr::Department).as_deref(),
                Some("Finance")
            );
            assert_eq!(
                ad_attr(&w, "alice", AdAttr::DisplayName).as_deref(),
                Some("Alice Jones")
            );
            assert_eq!(
                ad_attr(&w, "alice", AdAttr::ConsistencyGuid).as_deref(),
                Some(WORKED_GUID),
                "a reanimated object gets its own value back (recycle bin {recycle_bin})"
            );
            assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
            assert_eq!(w.ad_manager(h(&w, "alice")).as_deref(), Some("bob"));
            w.check_all_invariants().unwrap();
        }
    }
}

#[test]
fn ad_5_vead_creates_a_new_object_when_recycled_or_gone() {
    for copies in [true, false] {
        for recycled in [true, false] {
            let mut w = vead_world(settings(|s| {
                s.vead_copies_consistency_guid = copies;
                s.ad_deleted_object_lifetime_days = 1;
            }));
            let before = ad_obj(&w, "alice").clone();
            if recycled {
                delete(&mut w, Kind::User, "alice", Directory::Ad, false);
                wait_days(&mut w, 1);
                assert_eq!(ad_state(&w, "alice"), AdPresence::Recycled);
            } else {
                delete(&mut w, Kind::User, "alice", Directory::Ad, true);
                assert_eq!(ad_state(&w, "alice"), AdPresence::Absent);
            }
            let ev = restore_ad(&mut w, &["alice"], "nightly");
            let e = event(&ev, EventKind::AdRecreated, RuleId::Ad5);
            let o = ad_obj(&w, "alice").clone();
            assert!(e.message.contains(&o.guid.to_string()));
            assert_eq!(o.state, AdState::Live);
            assert_ne!(o.guid, before.guid, "a new objectGUID");
            assert_ne!(o.sid, before.sid, "a new objectSid");
            assert_eq!(ad_objects(&w, "alice").len(), 2);
            assert_eq!(&*o.ou, "Staff");
            assert_eq!(
                ad_attr(&w, "alice", AdAttr::Department).as_deref(),
                Some("Finance")
            );
            assert_eq!(
                ad_attr(&w, "alice", AdAttr::UserPrincipalName).as_deref(),
                Some("alice@contoso.com")
            );
            let cg = ad_attr(&w, "alice", AdAttr::ConsistencyGuid);
            if copies {
                assert_eq!(cg.as_deref(), Some(WORKED_GUID));
                assert!(e.message.contains("mS-DS-ConsistencyGuid copied"));
            } else {
                assert_eq!(cg, None);
                assert!(e.message.contains("mS-DS-ConsistencyGuid not copied"));
            }
            assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
            assert_eq!(w.ad_manager(h(&w, "alice")).as_deref(), Some("bob"));
            w.check_all_invariants().unwrap();
        }
    }
}

#[test]
fn ad_5_copied_consistency_guid_lets_the_new_object_match_its_cloud_user() {
    for copies in [true, false] {
        let mut w = ad_world(settings(|s| s.vead_copies_consistency_guid = copies));
        sync(&mut w);
        let cloud = id(&w, "alice").unwrap();
        backup(&mut w, "nightly");
        delete(&mut w, Kind::User, "alice", Directory::Ad, true);
        sync(&mut w);
        assert_eq!(entra_state(&w, "alice"), EntraPresence::SoftDeleted);
        restore_ad(&mut w, &["alice"], "nightly");
        let ev = sync(&mut w);
        assert!(hybrid(&w, "alice"));
        if copies {
            // Same anchor: the soft-deleted cloud user is restored with its id.
            event(&ev, EventKind::RestoredFromRecycleBin, RuleId::Sync3);
            assert_eq!(id(&w, "alice"), Some(cloud));
            assert_eq!(
                prop(&w, "alice", "onPremisesImmutableId").as_deref(),
                Some(WORKED_IMMUTABLE_ID)
            );
        } else {
            // A new anchor: a new cloud user.
            event(&ev, EventKind::Provisioned, RuleId::Sync6);
            assert_ne!(id(&w, "alice"), Some(cloud));
            let guid = ad_obj(&w, "alice").guid;
            assert_eq!(
                prop(&w, "alice", "onPremisesImmutableId"),
                Some(immutable_id(guid).to_string())
            );
        }
        w.check_all_invariants().unwrap();
    }
}

#[test]
fn ad_5_memberships_are_restored_only_into_groups_that_exist() {
    for copies in [true, false] {
        let mut w = vead_world(settings(|s| s.vead_copies_consistency_guid = copies));
        // Sales is removed completely and created again: a new objectGUID.
        delete(&mut w, Kind::Group, "Sales", Directory::Ad, true);
        ad_group(&mut w, "Sales", "Staff");
        delete(&mut w, Kind::User, "alice", Directory::Ad, true);
        let ev = restore_ad(&mut w, &["alice"], "nightly");
        event(&ev, EventKind::AdRecreated, RuleId::Ad5);
        let e = event(&ev, EventKind::RelationSkipped, RuleId::Ad5);
        assert!(e.message.contains("no longer exist"), "{}", e.message);
        assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance"]));
        assert!(!live_sources(&w, ad_node(&w, "Sales"), Rel::Member).contains("alice"));
    }
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

#[test]
fn ad_6_move_keeps_the_guid_and_moves_in_and_out_of_sync_scope() {
    let mut w = world();
    w.set_sync_ous(Some(strs(&["Staff"])));
    ad_user(&mut w, "alice", "Staff", &[("displayName", "Alice Jones")]);
    ad_user(&mut w, "bob", "Contractors", &[]);
    sync(&mut w);
    let cloud = id(&w, "alice").unwrap();
    let guid = ad_obj(&w, "alice").guid;
    assert!(hybrid(&w, "alice"));
    assert_eq!(
        entra_state(&w, "bob"),
        EntraPresence::Absent,
        "out of scope"
    );

    // Out of scope: the cloud user is soft-deleted by the next cycle.
    let ev = move_to(&mut w, Kind::User, "alice", "Contractors");
    let e = event(&ev, EventKind::AdMoved, RuleId::Ad6);
    assert!(e.message.contains("out of sync scope"), "{}", e.message);
    assert!(e.message.contains(&guid.to_string()));
    assert_eq!(ad_obj(&w, "alice").guid, guid);
    assert_eq!(&*ad_obj(&w, "alice").ou, "Contractors");
    assert_eq!(ad_state(&w, "alice"), AdPresence::Live);
    let ev = sync(&mut w);
    event(&ev, EventKind::SoftDeleted, RuleId::Sync8);
    assert_eq!(entra_state(&w, "alice"), EntraPresence::SoftDeleted);

    // Back in scope: the same cloud user comes back, with the new DN.
    let ev = move_to(&mut w, Kind::User, "alice", "Staff");
    let e = event(&ev, EventKind::AdMoved, RuleId::Ad6);
    assert!(e.message.contains("(in sync scope)"), "{}", e.message);
    assert_eq!(ad_obj(&w, "alice").guid, guid);
    sync(&mut w);
    assert!(hybrid(&w, "alice"));
    assert_eq!(id(&w, "alice"), Some(cloud));
    assert_eq!(
        prop(&w, "alice", "onPremisesDistinguishedName").as_deref(),
        Some("CN=Alice Jones,OU=Staff,DC=contoso,DC=com")
    );

    // An object created out of scope is provisioned once moved in.
    let bob_guid = ad_obj(&w, "bob").guid;
    move_to(&mut w, Kind::User, "bob", "Staff");
    let ev = sync(&mut w);
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    assert!(hybrid(&w, "bob"));
    assert_eq!(ad_obj(&w, "bob").guid, bob_guid);

    // A deleted object cannot be moved.
    delete(&mut w, Kind::User, "bob", Directory::Ad, false);
    let ev = move_to(&mut w, Kind::User, "bob", "Contractors");
    event(&ev, EventKind::NotFound, RuleId::Ad6);
    assert_eq!(&*ad_obj(&w, "bob").ou, "Staff");
}

// ---------------------------------------------------------------------------------------------
// ENTRA-1..6: Entra ID.

/// The runbook world, plus: carol (cloud-only) has a role, an app and manager bob, and owns
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

#[test]
fn entra_1_delete_is_a_soft_delete_keeping_id_properties_and_relations() {
    let mut w = entra_world(Settings::default());
    let carol_id = id(&w, "carol").unwrap();
    let px = live_entra(&w, "Project X");
    let ev = delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    let e = event(&ev, EventKind::SoftDeleted, RuleId::Entra1);
    assert!(e.message.contains("30 days"), "{}", e.message);
    assert_eq!(entra_state(&w, "carol"), EntraPresence::SoftDeleted);
    let (n, o) = only_entra(&w, "carol");
    assert_eq!(o.state, EntraState::SoftDeleted { since: START });
    assert_eq!(o.id, carol_id, "same id");
    assert_eq!(o.props.text(EntraProp::DisplayName), Some("Carol Cloud"));
    assert_eq!(
        o.props.text(EntraProp::UserPrincipalName),
        Some("carol@contoso.com")
    );
    // Every relation is kept...
    assert_eq!(stored(&w, n, Rel::Member), set(&["Project X"]));
    assert_eq!(stored(&w, n, Rel::Owner), set(&["Project X"]));
    assert_eq!(stored(&w, n, Rel::Role), set(&["User Administrator"]));
    assert_eq!(stored(&w, n, Rel::Licence), set(&["Microsoft 365 E3"]));
    assert_eq!(stored(&w, n, Rel::App), set(&["Workday"]));
    assert_eq!(stored(&w, n, Rel::Manager), set(&["bob"]));
    // ...but none is live while it is deleted.
    assert!(rel(&w, "carol", "groups").is_empty());
    assert_eq!(live_sources(&w, px, Rel::Member), set(&["alice"]));
    assert!(live_sources(&w, px, Rel::Owner).is_empty());
    assert!(rel(&w, "dave", "manager").is_empty());
    assert_eq!(w.count(h(&w, "carol")), 0);
    // Restored, they are all live again (ENTRA-3).
    undelete(&mut w, Kind::User, "carol", Directory::Entra);
    assert_eq!(rel(&w, "dave", "manager"), set(&["carol"]));
    assert_eq!(live_sources(&w, px, Rel::Owner), set(&["carol"]));
}

#[test]
fn entra_2_permanent_delete_is_gone_for_good_with_its_relations() {
    let mut w = entra_world(Settings::default());
    let px = live_entra(&w, "Project X");
    let carol_id = id(&w, "carol").unwrap();
    let ev = delete(&mut w, Kind::User, "carol", Directory::Entra, true);
    assert_eq!(
        kinds(&ev),
        [EventKind::SoftDeleted, EventKind::Purged],
        "{ev:#?}"
    );
    event(&ev, EventKind::Purged, RuleId::Entra2);
    assert_eq!(entra_state(&w, "carol"), EntraPresence::Absent);
    let (n, o) = only_entra(&w, "carol");
    assert_eq!(o.state, EntraState::Purged);
    assert_eq!(edge_count(&w, n), 0, "its relations are gone");
    assert!(live_sources(&w, px, Rel::Owner).is_empty());
    assert!(rel(&w, "dave", "manager").is_empty());
    // Nobody can restore it.
    let ev = undelete(&mut w, Kind::User, "carol", Directory::Entra);
    event(&ev, EventKind::NotFound, RuleId::Entra2);
    assert_eq!(entra_state(&w, "carol"), EntraPresence::Absent);
    // A cloud user of the same name is a new object.
    cloud_user(&mut w, "carol", &[]);
    assert_ne!(id(&w, "carol"), Some(carol_id));
    assert!(rel(&w, "carol", "groups").is_empty());

    // Purging what is already in the recycle bin.
    delete(&mut w, Kind::User, "dave", Directory::Entra, false);
    let ev = delete(&mut w, Kind::User, "dave", Directory::Entra, true);
    assert_eq!(kinds(&ev), [EventKind::Purged]);
    event(&ev, EventKind::Purged, RuleId::Entra2);
    assert_eq!(entra_state(&w, "dave"), EntraPresence::Absent);
    // Nothing left to delete.
    let ev = delete(&mut w, Kind::User, "dave", Directory::Entra, true);
    event(&ev, EventKind::NotFound, RuleId::Entra2);
    w.check_all_invariants().unwrap();
}

#[test]
fn entra_2_retention_expiry_purges_the_object_and_its_relations() {
    for days in [30u32, 1] {
        let mut w = entra_world(settings(|s| s.entra_retention_days = days));
        delete(&mut w, Kind::User, "carol", Directory::Entra, false);
        let ev = wait_days(&mut w, i64::from(days));
        let e = event(&ev, EventKind::Purged, RuleId::Entra2);
        assert!(e.message.contains("retention"), "{}", e.message);
        let (n, o) = only_entra(&w, "carol");
        assert_eq!(o.state, EntraState::Purged);
        assert_eq!(edge_count(&w, n), 0);
        let ev = undelete(&mut w, Kind::User, "carol", Directory::Entra);
        event(&ev, EventKind::NotFound, RuleId::Entra2);
        w.check_all_invariants().unwrap();
    }
}

#[test]
fn entra_3_restore_brings_back_same_id_properties_and_relations_that_still_exist() {
    let mut w = runbook_world(Settings::default());
    assign(
        &mut w,
        Kind::User,
        "alice",
        Rels {
            owns: strs(&["Auditors"]),
            ..Default::default()
        },
    );
    let alice_id = id(&w, "alice").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    // While she is in the bin: Project X is purged, Auditors is in the bin too.
    delete(&mut w, Kind::Group, "Project X", Directory::Entra, true);
    let ev = delete(&mut w, Kind::Group, "Auditors", Directory::Entra, false);
    event(&ev, EventKind::SoftDeleted, RuleId::Entra4);
    let ev = undelete(&mut w, Kind::User, "alice", Directory::Entra);
    let e = event(&ev, EventKind::RestoredFromRecycleBin, RuleId::Entra3);
    assert!(e.message.contains(&alice_id.to_string()));
    assert_eq!(id(&w, "alice"), Some(alice_id), "the same id");
    for (p, v) in [
        ("displayName", "Alice Jones"),
        ("department", "Finance"),
        ("jobTitle", "Analyst"),
        ("onPremisesSyncEnabled", "true"),
    ] {
        assert_eq!(prop(&w, "alice", p).as_deref(), Some(v), "{p}");
    }
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    assert!(rel(&w, "alice", "owns").is_empty());
    assert_eq!(rel(&w, "alice", "roles"), set(&["Helpdesk Administrator"]));
    assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E3"]));
    assert_eq!(rel(&w, "alice", "apps"), set(&["Salesforce"]));
    assert_eq!(rel(&w, "alice", "manager"), set(&["bob"]));
    assert!(hybrid(&w, "alice"));
    // Auditors restored: the relations to it are live again.
    undelete(&mut w, Kind::Group, "Auditors", Directory::Entra);
    assert_eq!(rel(&w, "alice", "groups"), set(&["Auditors", "Finance"]));
    assert_eq!(rel(&w, "alice", "owns"), set(&["Auditors"]));
    assert_eq!(
        rel(&w, "alice", "licenses"),
        set(&["Microsoft 365 E3", "Microsoft 365 E5"])
    );
    w.check_all_invariants().unwrap();
}

#[test]
fn entra_4_cloud_security_group_is_soft_or_hard_deleted_per_setting() {
    assert!(Settings::default().security_groups_soft_delete);
    for soft in [true, false] {
        let mut w = entra_world(settings(|s| s.security_groups_soft_delete = soft));
        let aud_id = id(&w, "Auditors").unwrap();
        let ev = delete(&mut w, Kind::Group, "Auditors", Directory::Entra, false);
        // Whatever happens, alice loses the membership and the licence it gave.
        assert!(!rel(&w, "alice", "groups").contains("Auditors"));
        assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E3"]));
        if soft {
            event(&ev, EventKind::SoftDeleted, RuleId::Entra4);
            assert_eq!(entra_state(&w, "Auditors"), EntraPresence::SoftDeleted);
            undelete(&mut w, Kind::Group, "Auditors", Directory::Entra);
            assert_eq!(id(&w, "Auditors"), Some(aud_id));
            assert!(rel(&w, "alice", "groups").contains("Auditors"));
            assert!(rel(&w, "alice", "licenses").contains("Microsoft 365 E5"));
        } else {
            let e = event(&ev, EventKind::HardDeleted, RuleId::Entra4);
            assert!(e.message.contains("security group"), "{}", e.message);
            assert_eq!(entra_state(&w, "Auditors"), EntraPresence::Absent);
            let (n, o) = only_entra(&w, "Auditors");
            assert_eq!(o.state, EntraState::Purged);
            assert_eq!(edge_count(&w, n), 0);
            let ev = undelete(&mut w, Kind::Group, "Auditors", Directory::Entra);
            event(&ev, EventKind::NotFound, RuleId::Entra2);
        }
        w.check_all_invariants().unwrap();
    }
}

#[test]
fn entra_4_synced_group_is_hard_deleted_and_comes_back_with_new_id() {
    for soft in [true, false] {
        let mut w = world_with(settings(|s| s.security_groups_soft_delete = soft));
        w.set_sync_ous(Some(strs(&["Staff"])));
        ad_group(&mut w, "Finance", "Staff");
        ad_user(&mut w, "alice", "Staff", &[]);
        ad_assign(&mut w, "alice", groups(&["Finance"]));
        sync(&mut w);
        cloud_user(&mut w, "carol", &[]);
        let first = id(&w, "Finance").unwrap();
        // Cloud assignments to the synced group: an owner and a group licence.
        assign(
            &mut w,
            Kind::User,
            "carol",
            Rels {
                owns: strs(&["Finance"]),
                ..Default::default()
            },
        );
        assign(
            &mut w,
            Kind::Group,
            "Finance",
            Rels {
                licenses: strs(&["Microsoft 365 E5"]),
                ..Default::default()
            },
        );
        assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E5"]));

        // Deleted in AD: the next cycle hard-deletes it, even with soft delete on.
        delete(&mut w, Kind::Group, "Finance", Directory::Ad, false);
        let ev = sync(&mut w);
        let e = event(&ev, EventKind::HardDeleted, RuleId::Entra4);
        assert!(e.message.contains("synced from AD"), "{}", e.message);
        assert!(!ev.iter().any(|e| e.kind == EventKind::SoftDeleted));
        assert_eq!(entra_state(&w, "Finance"), EntraPresence::Absent);
        assert!(rel(&w, "alice", "groups").is_empty());
        assert!(rel(&w, "alice", "licenses").is_empty());
        let ev = undelete(&mut w, Kind::Group, "Finance", Directory::Entra);
        event(&ev, EventKind::NotFound, RuleId::Entra2);

        // Undeleted in AD (same objectGUID) and synced again: a new group with a new id, the
        // cloud assignments to the old one lost.
        undelete(&mut w, Kind::Group, "Finance", Directory::Ad);
        let ev = sync(&mut w);
        event(&ev, EventKind::Provisioned, RuleId::Sync6);
        let second = id(&w, "Finance").unwrap();
        assert_ne!(second, first);
        assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
        assert!(rel(&w, "carol", "owns").is_empty());
        assert!(rel(&w, "Finance", "licenses").is_empty());
        assert!(rel(&w, "alice", "licenses").is_empty());

        // Deleted in the cloud: hard-deleted too, and the sync brings it back, new again.
        let ev = delete(&mut w, Kind::Group, "Finance", Directory::Entra, false);
        event(&ev, EventKind::HardDeleted, RuleId::Entra4);
        assert_eq!(entra_state(&w, "Finance"), EntraPresence::Absent);
        sync(&mut w);
        let third = id(&w, "Finance").unwrap();
        assert!(third != first && third != second);
        assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
        assert_eq!(entra_objects(&w, "Finance").len(), 3);
        w.check_all_invariants().unwrap();
    }
}

const REFUSAL: &str =
    "Unable to update the specified properties for on-premises mastered Directory Sync objects";

#[test]
fn entra_5_cloud_write_to_an_ad_mastered_property_of_a_synced_user_is_refused() {
    let mut w = runbook_world(Settings::default());
    let ev = update_entra(
        &mut w,
        "alice",
        vec![
            (EntraProp::Department, Some(text("Sales"))),
            (EntraProp::DisplayName, Some(text("Someone Else"))),
            (EntraProp::MobilePhone, Some(text("+1 555 0100"))),
        ],
    );
    let e = event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    assert!(e.message.contains(REFUSAL), "{}", e.message);
    assert!(e.message.contains("department") && e.message.contains("displayName"));
    assert!(!e.message.contains("mobilePhone"));
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Finance"));
    assert_eq!(
        prop(&w, "alice", "displayName").as_deref(),
        Some("Alice Jones")
    );
    // Graph refuses the PATCH as a whole: the cloud-editable property in it is not written.
    assert_eq!(prop(&w, "alice", "mobilePhone"), None);
    // Alone, the cloud-editable property is accepted.
    let ev = update_entra(
        &mut w,
        "alice",
        vec![(EntraProp::MobilePhone, Some(text("+1 555 0100")))],
    );
    event(&ev, EventKind::Updated, RuleId::Entra5);
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0100")
    );
    // The manager of a synced user is mastered in AD too.
    let ev = assign(
        &mut w,
        Kind::User,
        "alice",
        Rels {
            manager: Some("carol".into()),
            ..Default::default()
        },
    );
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    assert_eq!(rel(&w, "alice", "manager"), set(&["bob"]));
    // The next cycle keeps AD's values.
    sync(&mut w);
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Finance"));
    // A cloud-only user takes any write.
    let ev = update_entra(
        &mut w,
        "carol",
        vec![(EntraProp::Department, Some(text("Sales")))],
    );
    event(&ev, EventKind::Updated, RuleId::Entra5);
    assert!(!ev.iter().any(|e| e.kind == EventKind::WriteRefused));
    assert_eq!(prop(&w, "carol", "department").as_deref(), Some("Sales"));
    // Once no longer synced (out of scope, soft-deleted, restored), alice takes writes too.
    move_to(&mut w, Kind::User, "alice", "Leavers");
    sync(&mut w);
    undelete(&mut w, Kind::User, "alice", Directory::Entra);
    assert_eq!(
        prop(&w, "alice", "onPremisesSyncEnabled").as_deref(),
        Some("false")
    );
    let ev = update_entra(
        &mut w,
        "alice",
        vec![(EntraProp::Department, Some(text("Sales")))],
    );
    assert!(!ev.iter().any(|e| e.kind == EventKind::WriteRefused));
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Sales"));
}

#[test]
fn entra_5_members_of_a_synced_group_cannot_be_changed_in_the_cloud() {
    let mut w = runbook_world(Settings::default());
    let ev = assign(&mut w, Kind::User, "carol", groups(&["Finance"]));
    let e = event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    assert!(e.message.contains("Finance"));
    assert!(!rel(&w, "carol", "groups").contains("Finance"));
    let ev = unassign(&mut w, Kind::User, "alice", groups(&["Finance"]));
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    assert!(rel(&w, "alice", "groups").contains("Finance"));
    // A cloud group cannot be nested into it either; the other groups of the step still change.
    cloud_group(&mut w, "Everyone", GroupType::Security);
    let ev = assign(
        &mut w,
        Kind::Group,
        "Project X",
        groups(&["Finance", "Everyone"]),
    );
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    event(&ev, EventKind::RelationAdded, RuleId::Id3);
    assert_eq!(rel(&w, "Project X", "groups"), set(&["Everyone"]));
    // The AD-mastered properties of a synced group are refused too.
    let ev = apply(&mut w, |w: &mut World| Op::UpdateEntra {
        kind: Kind::Group,
        handle: id_of(w, "Finance"),
        set: vec![(EntraProp::DisplayName, Some(text("Money")))],
    });
    let e = event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    assert!(e.message.contains(REFUSAL), "{}", e.message);
    assert_eq!(
        prop(&w, "Finance", "displayName").as_deref(),
        Some("Finance")
    );
    // Cloud groups take cloud changes.
    let ev = assign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    event(&ev, EventKind::RelationAdded, RuleId::Id3);
    assert!(rel(&w, "carol", "groups").contains("Auditors"));
}

#[test]
fn entra_6_group_licence_exists_exactly_while_the_user_is_a_member() {
    let mut w = world();
    cloud_group(&mut w, "Auditors", GroupType::Security);
    let ev = assign(
        &mut w,
        Kind::Group,
        "Auditors",
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    event(&ev, EventKind::LicenceInherited, RuleId::Entra6);
    cloud_user(&mut w, "carol", &[]);
    assign(
        &mut w,
        Kind::User,
        "carol",
        Rels {
            licenses: strs(&["Microsoft 365 E3"]),
            ..Default::default()
        },
    );
    let ev = assign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    let e = event(&ev, EventKind::LicenceInherited, RuleId::Entra6);
    assert_eq!(e.subject, "carol");
    let all = set(&["Microsoft 365 E3", "Microsoft 365 E5"]);
    assert_eq!(rel(&w, "carol", "licenses"), all);
    // Not a direct assignment.
    let carol = live_entra(&w, "carol");
    assert_eq!(stored(&w, carol, Rel::Licence), set(&["Microsoft 365 E3"]));
    // Leaving the group takes it away.
    let ev = unassign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    let e = event(&ev, EventKind::LicenceRemoved, RuleId::Entra6);
    assert_eq!(e.subject, "carol");
    assert_eq!(rel(&w, "carol", "licenses"), set(&["Microsoft 365 E3"]));
    // The group's own licence removed: members lose it.
    assign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    assert_eq!(rel(&w, "carol", "licenses"), all);
    let ev = unassign(
        &mut w,
        Kind::Group,
        "Auditors",
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    event(&ev, EventKind::LicenceRemoved, RuleId::Entra6);
    assert_eq!(rel(&w, "carol", "licenses"), set(&["Microsoft 365 E3"]));
    assign(
        &mut w,
        Kind::Group,
        "Auditors",
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    assert_eq!(rel(&w, "carol", "licenses"), all);
    // The group in the recycle bin: no membership, no licence; restored: both back.
    delete(&mut w, Kind::Group, "Auditors", Directory::Entra, false);
    assert_eq!(rel(&w, "carol", "licenses"), set(&["Microsoft 365 E3"]));
    undelete(&mut w, Kind::Group, "Auditors", Directory::Entra);
    assert_eq!(rel(&w, "carol", "licenses"), all);
    // A direct assignment of the same SKU stays when the membership ends.
    assign(
        &mut w,
        Kind::User,
        "carol",
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    unassign(&mut w, Kind::User, "carol", groups(&["Auditors"]));
    assert_eq!(rel(&w, "carol", "licenses"), all);
}

#[test]
fn entra_6_synced_group_licence_follows_the_ad_membership() {
    let mut w = world();
    ad_group(&mut w, "Finance", "Staff");
    ad_user(&mut w, "alice", "Staff", &[]);
    sync(&mut w);
    assign(
        &mut w,
        Kind::Group,
        "Finance",
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    assert!(rel(&w, "alice", "licenses").is_empty());
    ad_assign(&mut w, "alice", groups(&["Finance"]));
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::LicenceInherited, RuleId::Entra6);
    assert_eq!(e.subject, "alice");
    assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E5"]));
    ad_unassign(&mut w, "alice", groups(&["Finance"]));
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::LicenceRemoved, RuleId::Entra6);
    assert_eq!(e.subject, "alice");
    assert!(rel(&w, "alice", "licenses").is_empty());
}

#[test]
fn entra_6_inherited_licence_is_not_restored_as_a_direct_assignment() {
    for keep in [true, false] {
        let mut w = runbook_world(Settings::default());
        backup(&mut w, "nightly");
        delete(&mut w, Kind::User, "alice", Directory::Entra, true);
        restore(&mut w, &["alice"], "nightly", keep, Existing::Skip, true);
        let alice = live_entra(&w, "alice");
        if keep {
            assert_eq!(
                rel(&w, "alice", "licenses"),
                set(&["Microsoft 365 E3", "Microsoft 365 E5"])
            );
            assert_eq!(stored(&w, alice, Rel::Licence), set(&["Microsoft 365 E3"]));
            assert!(rel(&w, "alice", "groups").contains("Auditors"));
            // The re-created user is not synced: the membership can change in the cloud, and
            // the inherited licence goes with it.
            unassign(&mut w, Kind::User, "alice", groups(&["Auditors"]));
            assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E3"]));
        } else {
            assert!(rel(&w, "alice", "licenses").is_empty());
            assert!(stored(&w, alice, Rel::Licence).is_empty());
            assert!(rel(&w, "alice", "groups").is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// VEAD-1: the AD side of a backup.

#[test]
fn vead_1_backup_captures_ad_users_and_groups_with_attributes_memberships_and_ids() {
    let mut w = ad_world(Settings::default());
    ad_user(&mut w, "gone", "Staff", &[]);
    delete(&mut w, Kind::User, "gone", Directory::Ad, false);
    let ev = backup(&mut w, "nightly");
    let e = event(&ev, EventKind::BackupTaken, RuleId::Vead1);
    // Finance, Sales, bob and alice: the deleted user is not captured.
    assert!(e.message.contains("holds 4 AD objects"), "{}", e.message);
    event(&ev, EventKind::BackupTaken, RuleId::Vdc1);
    let guid = ad_obj(&w, "alice").guid;
    let sid = ad_obj(&w, "alice").sid;
    // Changes after the backup.
    update_ad(
        &mut w,
        "alice",
        vec![
            (AdAttr::Department, Some(text("Changed"))),
            (AdAttr::DisplayName, None),
        ],
    );
    ad_unassign(&mut w, "alice", groups(&["Sales"]));
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance"]));
    // Restoring the live user writes the captured attributes and memberships over it.
    let ev = restore_ad(&mut w, &["alice"], "nightly");
    let e = event(&ev, EventKind::AdReanimated, RuleId::Ad5);
    assert!(
        e.message.contains("written over the live object"),
        "{}",
        e.message
    );
    let o = ad_obj(&w, "alice");
    assert_eq!((o.guid, o.sid), (guid, sid));
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::Department).as_deref(),
        Some("Finance")
    );
    assert_eq!(
        ad_attr(&w, "alice", AdAttr::DisplayName).as_deref(),
        Some("Alice Jones")
    );
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
    // Memberships are captured by the groups' identifiers: a group undeleted with the same
    // objectGUID still matches.
    delete(&mut w, Kind::Group, "Finance", Directory::Ad, false);
    delete(&mut w, Kind::User, "alice", Directory::Ad, true);
    undelete(&mut w, Kind::Group, "Finance", Directory::Ad);
    let ev = restore_ad(&mut w, &["alice"], "nightly");
    event(&ev, EventKind::AdRecreated, RuleId::Ad5);
    assert!(!ev.iter().any(|e| e.kind == EventKind::RelationSkipped));
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance", "Sales"]));
    // An object not in the backup, and an unknown backup.
    let ev = restore_ad(&mut w, &["gone"], "nightly");
    let e = event(&ev, EventKind::NotFound, RuleId::Vead1);
    assert!(e.message.contains("not in AD backup"), "{}", e.message);
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
        rels: resolve(
            w,
            &Rels {
                groups: strs(&["Auditors"]),
                owns: strs(&["Auditors"]),
                roles: strs(&["Helpdesk Administrator"]),
                licenses: strs(&["Microsoft 365 E3"]),
                apps: strs(&["Salesforce"]),
                ..Default::default()
            },
        ),
    });
    step(&mut w, |w: &mut World| Op::Assign {
        kind: Kind::User,
        handle: id_of(w, "dan"),
        dir: Directory::Entra,
        rels: resolve(
            w,
            &Rels {
                groups: strs(&["Auditors"]),
                ..Default::default()
            },
        ),
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

#[test]
fn ad_5_vead_restore_is_refused_beside_another_live_object_of_the_identity() {
    let mut w = world();
    ad_user(&mut w, "dave", "Users", &[("displayName", "Dave")]);
    let old = w.object_guid(h(&w, "dave")).unwrap();
    backup(&mut w, "b");
    delete(&mut w, Kind::User, "dave", Directory::Ad, false);
    ad_user(&mut w, "dave", "Users", &[("displayName", "Dave again")]);
    let new = w.object_guid(h(&w, "dave")).unwrap();
    assert_ne!(old, new);
    let ev = restore_ad(&mut w, &["dave"], "b");
    assert!(has(&ev, EventKind::Refused, RuleId::Ad5), "{ev:#?}");
    assert_eq!(
        w.object_guid(h(&w, "dave")),
        Some(new),
        "the live object stays"
    );
    assert_eq!(
        ad_prop(&w, "dave", "displayName").as_deref(),
        Some("Dave again")
    );
    w.check_all_invariants().unwrap();
}
