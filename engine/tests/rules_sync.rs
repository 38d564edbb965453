//! Rule tests for Microsoft Entra Connect Sync (SYNC-1..11): source
//! anchors, scope, hard and soft matching, provisioning, attribute flow, deletes and the deletion
//! threshold, duplicate attribute resiliency, re-adds of cloud-deleted users, and delta against
//! initial cycles. Every setting a rule depends on is tested with both values.
//!
//! What a scenario can express (SYNC-1 to SYNC-10) is tested by the scenario files
//! `tests/rules/sync-*.yaml`; the tests here are the rest.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::*;
use hysim_engine::query::{AdPresence, EntraPresence, RelFact};
use hysim_engine::settings::SoftMatchConflict;
use hysim_engine::store::{AdAttr, EntraObject, EntraProp, Guid, NodeIx, immutable_id};
use hysim_engine::sync::ErrorCode;
use hysim_engine::*;

const WORKED_IMMUTABLE_ID: &str = "PSwbCl9OcWCCk6S1xtfo+Q==";

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::default();
    f(&mut s);
    s
}

/// A world whose Entra Connect syncs only the OU `Staff`.
fn staff(s: Settings) -> World {
    let mut w = world_with(s);
    w.set_sync_ous(Some(strs(&["Staff"])));
    w
}

/// The first event of `kind` and `rule`; fails the test listing the events otherwise.
fn event(ev: &[Event], kind: EventKind, rule: RuleId) -> &Event {
    let found = ev.iter().find(|e| e.kind == kind && e.rule == rule);
    assert!(found.is_some(), "no {kind} event of {rule} in {ev:#?}");
    found.unwrap()
}

/// The position of the first event of `kind` about `subject`.
fn position(ev: &[Event], kind: EventKind, subject: &str) -> usize {
    let p = ev
        .iter()
        .position(|e| e.kind == kind && e.subject == subject);
    assert!(p.is_some(), "no {kind} event about {subject} in {ev:#?}");
    p.unwrap()
}

fn none_of(ev: &[Event], kind: EventKind) -> bool {
    ev.iter().all(|e| e.kind != kind)
}

fn text(s: &str) -> Value {
    Value::text(s)
}

/// Changes AD attributes of a user; `None` clears one.
fn update_ad(w: &mut World, name: &str, set: &[(&str, Option<&str>)]) -> Vec<Event> {
    let set = set
        .iter()
        .map(|(k, v)| match v {
            Some(v) => {
                let (a, v) = ad_attrs(&[(k, v)]).remove(0);
                (a, Some(v))
            }
            None => (AdAttr::from_name(k).unwrap(), None),
        })
        .collect();
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

/// A cloud user with typed property values (lists and booleans included).
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

fn patch(w: &mut World, p: SettingsPatch) -> Vec<Event> {
    apply(w, Op::Settings(Box::new(p)))
}

fn undelete(w: &mut World, kind: Kind, name: &str, dir: Directory) -> Vec<Event> {
    let handle = id_of(w, name);
    apply(w, Op::Undelete { kind, handle, dir })
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
            rels: Box::new(rels),
        },
    )
}

fn manager(m: &str) -> Rels {
    Rels {
        manager: Some(m.into()),
        ..Default::default()
    }
}

/// Every Entra object that carried the handle, in creation order.
fn entra_nodes(w: &World, name: &str) -> Vec<NodeIx> {
    let hid = h(w, name);
    w.graph()
        .nodes()
        .filter(|n| w.graph().entra(*n).is_some_and(|o| o.handle == hid))
        .collect()
}

/// The handle's Entra objects in the recycle bin.
fn soft_deleted<'a>(w: &'a World, name: &str) -> Vec<&'a EntraObject> {
    entra_nodes(w, name)
        .into_iter()
        .filter_map(|n| w.graph().entra(n))
        .filter(|o| matches!(o.state, hysim_engine::store::EntraState::SoftDeleted { .. }))
        .collect()
}

fn cycle_errors(w: &World) -> BTreeSet<ErrorCode> {
    w.last_cycle().unwrap().errors.clone()
}

fn upn(w: &World, name: &str) -> String {
    w.upn(h(w, name)).unwrap().unwrap()
}

fn cloud_rels(roles: &[&str], licenses: &[&str], apps: &[&str], groups: &[&str]) -> Rels {
    Rels {
        groups: strs(groups),
        roles: strs(roles),
        licenses: strs(licenses),
        apps: strs(apps),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// SYNC-1: the source anchor.

#[test]
fn sync_1_consistency_guid_is_written_from_object_guid_before_export() {
    let mut w = staff(Settings::default());
    assert_eq!(w.settings().source_anchor, SourceAnchor::ConsistencyGuid);
    ad_user(&mut w, "alice", "Staff", &[("mail", "alice@contoso.com")]);
    ad_group(&mut w, "Finance", "Staff");
    let guid = w.object_guid(h(&w, "alice")).unwrap();
    assert_eq!(ad_prop(&w, "alice", "mS-DS-ConsistencyGuid"), None, "AD-1");
    let ev = sync(&mut w);
    // The consistency guid is written before the user is exported.
    let written = event(&ev, EventKind::ConsistencyGuidWritten, RuleId::Sync1);
    assert_eq!(written.subject, "alice");
    assert!(
        position(&ev, EventKind::ConsistencyGuidWritten, "alice")
            < position(&ev, EventKind::Provisioned, "alice")
    );
    assert_eq!(
        ad_prop(&w, "alice", "mS-DS-ConsistencyGuid"),
        Some(guid.to_string())
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(immutable_id(guid).to_string())
    );
    // Nothing is written into a group, and its cloud object gets no anchor (SYNC-12).
    assert_eq!(ad_prop(&w, "Finance", "mS-DS-ConsistencyGuid"), None);
    assert_eq!(prop(&w, "Finance", "onPremisesImmutableId"), None);
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == EventKind::ConsistencyGuidWritten)
            .count(),
        1
    );
    // A later cycle reads the attribute: nothing is written again.
    update_ad(&mut w, "alice", &[("department", Some("Finance"))]);
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::ConsistencyGuidWritten));
}

/// SYNC-1 with AD-3: the mS-DS-ConsistencyGuid the sync wrote is an attribute like any other
/// afterwards: written again with the same value it does not change, it can be written over
/// and cleared, and a tombstone strips it, so that the next cycle after a reanimation writes it
/// again.
#[test]
fn sync_1_written_consistency_guid_is_rewritten_cleared_and_stripped_like_any_attribute() {
    let mut w = staff(settings(|s| s.ad_recycle_bin = false));
    ad_user(&mut w, "alice", "Staff", &[]);
    ad_user(&mut w, "bob", "Staff", &[]);
    sync(&mut w);
    let guid = w.object_guid(h(&w, "alice")).unwrap().to_string();
    let cg = |w: &World, name: &str| ad_prop(w, name, "mS-DS-ConsistencyGuid");
    assert_eq!(cg(&w, "alice"), Some(guid.clone()));
    let ev = update_ad(&mut w, "alice", &[("mS-DS-ConsistencyGuid", Some(&guid))]);
    assert!(none_of(&ev, EventKind::AdUpdated), "the same value: {ev:?}");
    let other = "6f9619ff-8b86-d011-b42d-00c04fc964ff";
    let ev = update_ad(&mut w, "alice", &[("mS-DS-ConsistencyGuid", Some(other))]);
    assert!(!none_of(&ev, EventKind::AdUpdated));
    assert_eq!(cg(&w, "alice").as_deref(), Some(other));
    update_ad(&mut w, "alice", &[("mS-DS-ConsistencyGuid", None)]);
    assert_eq!(cg(&w, "alice"), None);
    // A tombstone keeps only sAMAccountName and the RDN (AD-3).
    let bob = w.object_guid(h(&w, "bob")).unwrap();
    delete(&mut w, Kind::User, "bob", Directory::Ad, false);
    sync(&mut w);
    assert_eq!(cg(&w, "bob"), None);
    undelete(&mut w, Kind::User, "bob", Directory::Ad);
    let ev = sync(&mut w);
    assert_eq!(
        event(&ev, EventKind::ConsistencyGuidWritten, RuleId::Sync1).subject,
        "bob"
    );
    assert_eq!(cg(&w, "bob"), Some(bob.to_string()));
}

// ---------------------------------------------------------------------------------------------
// SYNC-11: delta and initial cycles.

#[test]
fn sync_11_a_delta_cycle_processes_only_what_changed() {
    let mut w = staff(Settings::default());
    for i in 0..40 {
        ad_user(&mut w, &format!("user{i:02}"), "Staff", &[]);
    }
    ad_group(&mut w, "Finance", "Staff");
    let ev = sync(&mut w);
    event(&ev, EventKind::CycleCompleted, RuleId::Sync11);
    assert_eq!(w.last_cycle().unwrap().processed, 41);
    assert_eq!(w.last_cycle().unwrap().adds, 41);
    // Nothing changed: nothing processed.
    sync(&mut w);
    let c = w.last_cycle().unwrap();
    assert_eq!(
        (c.kind, c.processed, c.adds, c.updates),
        (CycleKind::Delta, 0, 0, 0)
    );
    // Two changes: two objects processed.
    update_ad(&mut w, "user07", &[("department", Some("Sales"))]);
    update_ad(&mut w, "user21", &[("title", Some("Lead"))]);
    sync(&mut w);
    let c = w.last_cycle().unwrap();
    assert_eq!((c.processed, c.updates), (2, 2));
    assert_eq!(prop(&w, "user07", "department").as_deref(), Some("Sales"));
    // A membership change changes the group in AD, synced or not: a delta import reads it.
    ad_group(&mut w, "Outside", "Contractors");
    sync(&mut w);
    for g in ["Finance", "Outside"] {
        ad_assign(&mut w, "user03", groups(&[g]));
    }
    sync(&mut w);
    let c = w.last_cycle().unwrap();
    assert_eq!((c.processed, c.adds, c.updates), (2, 0, 1));
    assert_eq!(rel(&w, "user03", "groups"), set(&["Finance"]));
    // An initial cycle re-reads every object.
    sync_initial(&mut w);
    let c = w.last_cycle().unwrap();
    assert_eq!(
        (c.kind, c.processed, c.updates),
        (CycleKind::Initial, 42, 41)
    );
}

#[test]
fn sync_11_a_failed_add_is_retried_by_later_delta_cycles() {
    let mut w = staff(settings(|s| {
        s.soft_match_conflict = SoftMatchConflict::InvalidSoftMatch;
    }));
    cloud_user_with(
        &mut w,
        "other",
        vec![
            (EntraProp::UserPrincipalName, text("alice@contoso.com")),
            (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
        ],
    );
    ad_user(&mut w, "alice", "Staff", &[]);
    let ev = sync(&mut w);
    event(&ev, EventKind::InvalidSoftMatch, RuleId::Sync5);
    // The error is reported again by every cycle until it is fixed.
    let ev = sync(&mut w);
    event(&ev, EventKind::InvalidSoftMatch, RuleId::Sync5);
    assert!(cycle_errors(&w).contains(&ErrorCode::InvalidSoftMatch));
    // The cloud side is fixed: the next delta cycle provisions alice.
    delete(&mut w, Kind::User, "other", Directory::Entra, false);
    let ev = sync(&mut w);
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    assert!(hybrid(&w, "alice"));
    assert_eq!(upn(&w, "alice"), "alice@contoso.com");
    assert!(cycle_errors(&w).is_empty());
}

/// Everything a runbook can observe of one handle.
#[derive(Debug, PartialEq)]
struct Observed {
    handle: String,
    presence: Result<EntraPresence, String>,
    live: usize,
    id: Result<Option<Guid>, String>,
    upn: Result<Option<String>, String>,
    relations: Result<BTreeSet<RelFact>, String>,
    props: Vec<(EntraProp, Result<Option<Value>, String>)>,
    hybrid: Result<bool, String>,
    /// The provisioning errors (SYNC-9) on the handle's live objects.
    quarantined: Vec<(EntraProp, String)>,
    /// The ids and onPremisesSyncEnabled of the handle's objects in the recycle bin.
    recycle_bin: Vec<(Guid, Option<bool>)>,
    ad: AdPresence,
    /// What the sync writes back to AD (SYNC-1).
    consistency_guid: Option<Value>,
}

fn observe(w: &World) -> Vec<Observed> {
    let s = |e: EngineError| e.to_string();
    w.handles()
        .all()
        .map(|hid| {
            let name = w.handles().name(hid).to_string();
            let live: Vec<&EntraObject> = w
                .graph()
                .nodes()
                .filter_map(|n| w.graph().entra(n))
                .filter(|o| o.handle == hid && o.is_live())
                .collect();
            Observed {
                presence: w.entra_presence(hid).map_err(s),
                live: w.count(hid),
                id: w.object_id(hid).map_err(s),
                upn: w.upn(hid).map_err(s),
                relations: w.relation_facts(hid).map_err(s),
                props: EntraProp::ALL
                    .iter()
                    .map(|p| (*p, w.entra_property(hid, *p).map_err(s)))
                    .collect(),
                hybrid: w.hybrid(hid).map_err(s),
                quarantined: live
                    .iter()
                    .flat_map(|o| o.errors.iter().map(|e| (e.prop, e.value.to_string())))
                    .collect(),
                recycle_bin: soft_deleted(w, &name)
                    .iter()
                    .map(|o| (o.id, o.sync_enabled()))
                    .collect(),
                ad: w.ad_presence(hid),
                consistency_guid: w.ad_property(hid, AdAttr::ConsistencyGuid),
                handle: name,
            }
        })
        .collect()
}

/// The world both cycles start from: synced users and groups in Staff, out-of-scope carl in
/// Contractors, cloud-only carol and an admin, cloud-only relations on alice.
fn equivalence_world(s: Settings) -> World {
    let mut w = staff(s);
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
            ("mail", "alice@contoso.com"),
        ],
    );
    ad_user(
        &mut w,
        "carl",
        "Contractors",
        &[("mail", "carl@contoso.com")],
    );
    ad_user(
        &mut w,
        "dave",
        "Staff",
        &[
            ("mail", "dave@contoso.com"),
            ("proxyAddresses", "SMTP:dave@contoso.com,smtp:d@contoso.com"),
        ],
    );
    ad_user(&mut w, "erin", "Staff", &[("enabled", "false")]);
    ad_assign(
        &mut w,
        "alice",
        Rels {
            groups: strs(&["Finance"]),
            manager: Some("bob".into()),
            ..Default::default()
        },
    );
    for u in ["bob", "carl", "dave"] {
        ad_assign(&mut w, u, groups(&["Sales"]));
    }
    sync_initial(&mut w);
    cloud_user(&mut w, "carol", &[("mail", "carol@contoso.com")]);
    cloud_user(
        &mut w,
        "admin",
        &[("userPrincipalName", "root@contoso.com")],
    );
    cloud_group(&mut w, "Project X", GroupType::Microsoft365);
    assign(
        &mut w,
        Kind::User,
        "admin",
        cloud_rels(&["Global Administrator"], &[], &[], &[]),
    );
    assign(
        &mut w,
        Kind::User,
        "alice",
        cloud_rels(
            &["Helpdesk Administrator"],
            &["Microsoft 365 E3"],
            &["Salesforce"],
            &["Project X"],
        ),
    );
    assign(&mut w, Kind::User, "carol", groups(&["Project X"]));
    w
}

type Changes = fn(&mut World);

/// Sequences of changes on both sides. Some run cycles of their own in between; none changes
/// the OU filter (an initial cycle would apply it, a delta cycle not: SYNC-2).
const SEQUENCES: &[(&str, Changes)] = &[
    ("nothing changed", |_| {}),
    ("AD attribute updates", |w| {
        update_ad(
            w,
            "alice",
            &[("department", Some("Audit")), ("title", Some("Lead"))],
        );
        update_ad(
            w,
            "bob",
            &[("displayName", None), ("mobile", Some("+1 555 0101"))],
        );
        update_ad(w, "erin", &[("enabled", Some("true"))]);
        update_ad(
            w,
            "dave",
            &[("proxyAddresses", Some("SMTP:dave@contoso.com"))],
        );
    }),
    ("AD deletes, tombstones and undeletes", |w| {
        delete(w, Kind::User, "bob", Directory::Ad, false);
        delete(w, Kind::Group, "Sales", Directory::Ad, false);
        delete(w, Kind::User, "dave", Directory::Ad, false);
        undelete(w, Kind::User, "dave", Directory::Ad);
        patch(
            w,
            SettingsPatch {
                ad_recycle_bin: Some(false),
                ..Default::default()
            },
        );
        delete(w, Kind::User, "erin", Directory::Ad, false);
    }),
    ("moves out of and into scope", |w| {
        move_to(w, Kind::User, "alice", "Contractors");
        move_to(w, Kind::User, "carl", "Staff");
        move_to(w, Kind::Group, "Sales", "Contractors");
    }),
    ("a user leaves scope and comes back between cycles", |w| {
        move_to(w, Kind::User, "alice", "Contractors");
        sync(w);
        update_ad(w, "alice", &[("department", Some("Audit"))]);
        move_to(w, Kind::User, "alice", "Staff");
    }),
    ("AD memberships and managers", |w| {
        ad_unassign(w, "alice", groups(&["Finance"]));
        ad_assign(w, "erin", groups(&["Finance", "Sales"]));
        ad_assign(w, "bob", manager("dave"));
        ad_unassign(w, "alice", manager("bob"));
        ad_assign(w, "dave", manager("carl"));
    }),
    ("sAMAccountName cleared", |w| {
        update_ad(w, "erin", &[("sAMAccountName", None)]);
        update_ad(w, "carl", &[("sAMAccountName", None)]);
    }),
    (
        "new AD users: soft match, admin conflict, invalid soft match, plain add",
        |w| {
            cloud_user(w, "gina", &[("mail", "gina@contoso.com")]);
            assign(w, Kind::User, "gina", groups(&["Project X"]));
            ad_user(w, "gina", "Staff", &[("mail", "gina@contoso.com")]);
            ad_user(
                w,
                "hank",
                "Staff",
                &[("userPrincipalName", "root@contoso.com")],
            );
            cloud_user_with(
                w,
                "ivan.cloud",
                vec![
                    (EntraProp::UserPrincipalName, text("ivan@contoso.com")),
                    (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
                ],
            );
            ad_user(w, "ivan", "Staff", &[]);
            ad_user(
                w,
                "judy",
                "Staff",
                &[("userPrincipalName", "judy@corp.local")],
            );
            ad_assign(
                w,
                "judy",
                Rels {
                    groups: strs(&["Sales"]),
                    manager: Some("ivan".into()),
                    ..Default::default()
                },
            );
        },
    ),
    ("cloud deletes: soft, permanent, synced group", |w| {
        delete(w, Kind::User, "alice", Directory::Entra, false);
        delete(w, Kind::User, "bob", Directory::Entra, true);
        delete(w, Kind::Group, "Finance", Directory::Entra, false);
    }),
    ("cloud delete undone by the admin", |w| {
        delete(w, Kind::User, "alice", Directory::Entra, false);
        undelete(w, Kind::User, "alice", Directory::Entra);
    }),
    ("cloud writes of cloud-editable properties", |w| {
        update_entra(
            w,
            "alice",
            vec![
                (EntraProp::MobilePhone, Some(text("+1 555 0000"))),
                (EntraProp::UsageLocation, Some(text("US"))),
            ],
        );
        update_ad(w, "alice", &[("mobile", Some("+1 555 0199"))]);
        update_entra(w, "bob", vec![(EntraProp::UsageLocation, Some(text("FR")))]);
    }),
    (
        "a quarantined UPN and proxy address, released before the cycle",
        |w| {
            update_ad(
                w,
                "dave",
                &[("userPrincipalName", Some("carol@contoso.com"))],
            );
            update_ad(
                w,
                "erin",
                &[(
                    "proxyAddresses",
                    Some("SMTP:erin@contoso.com,smtp:carol@contoso.com"),
                )],
            );
            sync(w);
            delete(w, Kind::User, "carol", Directory::Entra, false);
        },
    ),
    ("a failed add whose cause is fixed in the cloud", |w| {
        cloud_user_with(
            w,
            "ivan.cloud",
            vec![
                (EntraProp::UserPrincipalName, text("ivan@contoso.com")),
                (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
            ],
        );
        ad_user(w, "ivan", "Staff", &[]);
        sync(w);
        sync(w);
        delete(w, Kind::User, "ivan.cloud", Directory::Entra, false);
    }),
    ("a blocked hard match whose setting is turned off", |w| {
        move_to(w, Kind::User, "alice", "Contractors");
        sync(w);
        move_to(w, Kind::User, "alice", "Staff");
        sync(w);
        patch(
            w,
            SettingsPatch {
                block_hard_match_takeover: Some(false),
                ..Default::default()
            },
        );
    }),
    (
        "AD user deleted and re-created with its consistency guid",
        |w| {
            let cg = ad_prop(w, "dave", "mS-DS-ConsistencyGuid").unwrap_or_default();
            delete(w, Kind::User, "dave", Directory::Ad, true);
            sync(w);
            ad_user(
                w,
                "dave",
                "Staff",
                &[("mail", "dave@contoso.com"), ("mS-DS-ConsistencyGuid", &cg)],
            );
        },
    ),
    (
        "an export stopped by the threshold, then the threshold raised",
        |w| {
            patch(
                w,
                SettingsPatch {
                    deletion_threshold: Some(Some(1)),
                    ..Default::default()
                },
            );
            delete(w, Kind::User, "bob", Directory::Ad, false);
            delete(w, Kind::User, "dave", Directory::Ad, false);
            ad_user(w, "kate", "Staff", &[]);
            sync(w);
            patch(
                w,
                SettingsPatch {
                    deletion_threshold: Some(None),
                    ..Default::default()
                },
            );
        },
    ),
    ("time passes: recycle-bin retention ends", |w| {
        delete(w, Kind::User, "alice", Directory::Entra, false);
        delete(w, Kind::User, "bob", Directory::Ad, false);
        sync(w);
        wait_days(w, 31);
        update_ad(w, "dave", &[("department", Some("Ops"))]);
    }),
];

fn setting_variants() -> Vec<(&'static str, Settings)> {
    vec![
        ("defaults", Settings::default()),
        (
            "objectguid, blocked takeover, no restore, no soft match",
            settings(|s| {
                s.source_anchor = SourceAnchor::ObjectGuid;
                s.block_hard_match_takeover = true;
                s.sync_restores_soft_deleted = false;
                s.block_soft_match = true;
            }),
        ),
        (
            "blocked takeover, InvalidSoftMatch",
            settings(|s| {
                s.block_hard_match_takeover = true;
                s.soft_match_conflict = SoftMatchConflict::InvalidSoftMatch;
            }),
        ),
        (
            "no soft match on UPN, hard-deleted security groups, no AD recycle bin, DirSyncOverrides bypassed",
            settings(|s| {
                // ENTRA-7: with the bypass, AD's mobile is written over a cloud-changed one.
                s.bypass_dir_sync_overrides = true;
                s.soft_match_on_upn = false;
                s.security_groups_soft_delete = false;
                s.ad_recycle_bin = false;
                s.seed = 7;
            }),
        ),
    ]
}

/// The handles whose observed state differs between two worlds, with both states.
fn differences(a: &World, b: &World) -> Vec<String> {
    let (a, b) = (observe(a), observe(b));
    if a.len() != b.len() {
        return vec![format!("{} handles against {}", a.len(), b.len())];
    }
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("{x:?}\n   against {y:?}"))
        .collect()
}

/// Sequences whose changes leave nothing for the final cycle to do.
const NO_WORK: &[&str] = &["nothing changed", "cloud delete undone by the admin"];

#[test]
fn sync_11_delta_and_initial_cycles_give_the_same_end_state_after_the_same_changes() {
    let mut failures = Vec::new();
    let mut worked = BTreeSet::new();
    for (variant, s) in setting_variants() {
        for (name, changes) in SEQUENCES {
            let what = format!("{variant}: {name}");
            let mut delta = equivalence_world(s.clone());
            let mut initial = equivalence_world(s.clone());
            changes(&mut delta);
            changes(&mut initial);
            assert!(differences(&delta, &initial).is_empty(), "{what}: changes");
            let before = observe(&delta);
            let ev_delta = sync(&mut delta);
            let ev_initial = sync_initial(&mut initial);
            let diff = differences(&delta, &initial);
            if !diff.is_empty() {
                failures.push(format!(
                    "{what}:\n{}\n delta events: {:?}\n initial events: {:?}",
                    diff.join("\n"),
                    kinds(&ev_delta),
                    kinds(&ev_initial)
                ));
                continue;
            }
            let (a, b) = (delta.last_cycle().unwrap(), initial.last_cycle().unwrap());
            assert_eq!((a.kind, b.kind), (CycleKind::Delta, CycleKind::Initial));
            assert_eq!(a.export, b.export, "{what}");
            assert_eq!(a.errors, b.errors, "{what}");
            assert!(a.processed <= b.processed, "{what}");
            if before != observe(&delta) {
                worked.insert(*name);
            }
            delta.check_all_invariants().unwrap();
            initial.check_all_invariants().unwrap();
            // And they stay together: a further delta cycle in both.
            sync(&mut delta);
            sync(&mut initial);
            let diff = differences(&delta, &initial);
            if !diff.is_empty() {
                failures.push(format!("{what}: next delta:\n{}", diff.join("\n")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every sequence left work for the final cycle in at least one variant.
    for (name, _) in SEQUENCES {
        assert!(
            worked.contains(name) || NO_WORK.contains(name),
            "{name}: the final cycle never changed anything"
        );
    }
}
