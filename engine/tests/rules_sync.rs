//! Rule tests for Microsoft Entra Connect Sync (BEHAVIOUR.md section 5, SYNC-1..11): source
//! anchors, scope, hard and soft matching, provisioning, attribute flow, deletes and the deletion
//! threshold, duplicate attribute resiliency, re-adds of cloud-deleted users, and delta against
//! initial cycles. Every setting a rule depends on is tested with both values.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::*;
use hysim_engine::model::{
    AdAttr, EntraObject, EntraProp, ErrorCode, Guid, NodeIx, Rel, immutable_id,
};
use hysim_engine::query::{AdPresence, EntraPresence, RelFact};
use hysim_engine::settings::SoftMatchConflict;
use hysim_engine::sync::Export;
use hysim_engine::*;

const WORKED_GUID: &str = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
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

fn list(v: &[&str]) -> Value {
    Value::list(v)
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
    apply(
        w,
        Op::UpdateAd {
            kind: Kind::User,
            handle: name.into(),
            set,
        },
    )
}

fn update_entra(w: &mut World, name: &str, set: Vec<(EntraProp, Option<Value>)>) -> Vec<Event> {
    apply(
        w,
        Op::UpdateEntra {
            kind: Kind::User,
            handle: name.into(),
            set,
        },
    )
}

/// A cloud user with typed property values (lists and booleans included).
fn cloud_user_with(w: &mut World, name: &str, props: Vec<(EntraProp, Value)>) -> Vec<Event> {
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle: name.into(),
            dir: Directory::Entra,
            object: NewObject {
                entra_props: props,
                ..Default::default()
            },
        },
    )
}

fn move_to(w: &mut World, kind: Kind, name: &str, ou: &str) -> Vec<Event> {
    apply(
        w,
        Op::Move {
            kind,
            handle: name.into(),
            to: ou.into(),
        },
    )
}

fn scope(w: &mut World, add: &[&str], remove: &[&str]) -> Vec<Event> {
    apply(
        w,
        Op::Scope {
            add: strs(add),
            remove: strs(remove),
        },
    )
}

fn patch(w: &mut World, p: SettingsPatch) -> Vec<Event> {
    apply(w, Op::Settings(p))
}

fn undelete(w: &mut World, kind: Kind, name: &str, dir: Directory) -> Vec<Event> {
    apply(
        w,
        Op::Undelete {
            kind,
            handle: name.into(),
            dir,
        },
    )
}

fn ad_unassign(w: &mut World, name: &str, rels: RelationSet) -> Vec<Event> {
    apply(
        w,
        Op::Unassign {
            kind: Kind::User,
            handle: name.into(),
            dir: Directory::Ad,
            rels,
        },
    )
}

fn manager(m: &str) -> RelationSet {
    RelationSet {
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
        .filter(|o| matches!(o.state, hysim_engine::model::EntraState::SoftDeleted { .. }))
        .collect()
}

/// The handle's only soft-deleted object.
fn bin_object<'a>(w: &'a World, name: &str) -> &'a EntraObject {
    let bin = soft_deleted(w, name);
    assert_eq!(
        bin.len(),
        1,
        "{name} has {} objects in the recycle bin",
        bin.len()
    );
    bin[0]
}

fn live_object<'a>(w: &'a World, name: &str) -> &'a EntraObject {
    let n = w.entra_live(h(w, name)).unwrap();
    assert!(n.is_some(), "{name} has no live Entra object");
    w.graph().entra(n.unwrap()).unwrap()
}

/// The AD object the handle's live Entra object is joined to, as a handle name.
fn joined_to(w: &World, name: &str) -> Option<String> {
    let n = w.entra_live(h(w, name)).unwrap()?;
    let ad = w.graph().joined_ad(n)?;
    w.graph()
        .ad(ad)
        .map(|o| w.handles().name(o.handle).to_string())
}

fn cycle_errors(w: &World) -> BTreeSet<ErrorCode> {
    w.last_cycle().unwrap().errors.clone()
}

fn export(w: &World) -> Export {
    w.last_cycle().unwrap().export
}

fn anchor_of(w: &World, name: &str) -> String {
    immutable_id(w.object_guid(h(w, name)).unwrap()).to_string()
}

/// `<prefix><4 digits>@contoso.onmicrosoft.com` (SYNC-9).
fn is_placeholder(upn: &str, prefix: &str) -> bool {
    let Some(rest) = upn.strip_prefix(prefix) else {
        return false;
    };
    let Some((digits, domain)) = rest.split_once('@') else {
        return false;
    };
    digits.len() == 4
        && digits.chars().all(|c| c.is_ascii_digit())
        && domain == "contoso.onmicrosoft.com"
}

fn upn(w: &World, name: &str) -> String {
    w.upn(h(w, name)).unwrap().unwrap()
}

fn quarantined(o: &EntraObject) -> Vec<(EntraProp, String)> {
    o.errors
        .iter()
        .map(|e| {
            assert_eq!(e.code, ErrorCode::QuarantinedAttributeValueMustBeUnique);
            (e.prop, e.value.to_string())
        })
        .collect()
}

fn cloud_rels(roles: &[&str], licenses: &[&str], apps: &[&str], groups: &[&str]) -> RelationSet {
    RelationSet {
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
    // Groups always use objectGUID: nothing is written into the group.
    let gguid = w.object_guid(h(&w, "Finance")).unwrap();
    assert_eq!(ad_prop(&w, "Finance", "mS-DS-ConsistencyGuid"), None);
    assert_eq!(
        prop(&w, "Finance", "onPremisesImmutableId"),
        Some(immutable_id(gguid).to_string())
    );
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

#[test]
fn sync_1_a_consistency_guid_set_by_the_creator_is_the_anchor() {
    let mut w = staff(Settings::default());
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[("mS-DS-ConsistencyGuid", WORKED_GUID)],
    );
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::ConsistencyGuidWritten));
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId").as_deref(),
        Some(WORKED_IMMUTABLE_ID)
    );
    assert_ne!(
        w.object_guid(h(&w, "alice")).unwrap().to_string(),
        WORKED_GUID
    );
}

#[test]
fn sync_1_objectguid_anchor_never_writes_the_consistency_guid() {
    let mut w = staff(settings(|s| s.source_anchor = SourceAnchor::ObjectGuid));
    ad_user(&mut w, "alice", "Staff", &[]);
    ad_user(
        &mut w,
        "bob",
        "Staff",
        &[("mS-DS-ConsistencyGuid", WORKED_GUID)],
    );
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::ConsistencyGuidWritten));
    assert_eq!(ad_prop(&w, "alice", "mS-DS-ConsistencyGuid"), None);
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(anchor_of(&w, "alice"))
    );
    // Even a set consistency guid is ignored: the anchor is objectGUID.
    assert_eq!(
        prop(&w, "bob", "onPremisesImmutableId"),
        Some(anchor_of(&w, "bob"))
    );
    assert_ne!(anchor_of(&w, "bob"), WORKED_IMMUTABLE_ID);
}

/// A synced alice with cloud-only relations, in a world with the given settings.
fn alice_synced(s: Settings) -> World {
    let mut w = staff(s);
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[
            ("displayName", "Alice Jones"),
            ("mail", "alice@contoso.com"),
        ],
    );
    sync(&mut w);
    cloud_group(&mut w, "Project X", GroupType::Microsoft365);
    assign(
        &mut w,
        Kind::User,
        "alice",
        cloud_rels(&[], &["Microsoft 365 E3"], &["Salesforce"], &["Project X"]),
    );
    w
}

/// Deletes alice in AD, syncs the delete, and re-creates her AD user with the same attributes
/// (and, when `copy_guid`, the old mS-DS-ConsistencyGuid) under `handle`.
fn recreate_alice(w: &mut World, handle: &str, copy_guid: bool) -> Guid {
    let old_guid = w.object_guid(h(w, "alice")).unwrap();
    let cg = ad_prop(w, "alice", "mS-DS-ConsistencyGuid");
    delete(w, Kind::User, "alice", Directory::Ad, true);
    let ev = sync(w);
    event(&ev, EventKind::SoftDeleted, RuleId::Sync8);
    let mut attrs = vec![
        ("displayName", "Alice Jones"),
        ("mail", "alice@contoso.com"),
        ("userPrincipalName", "alice@contoso.com"),
        ("sAMAccountName", "alice"),
    ];
    let cg = cg.unwrap_or_default();
    if copy_guid {
        attrs.push(("mS-DS-ConsistencyGuid", cg.as_str()));
    }
    ad_user(w, handle, "Staff", &attrs);
    assert_ne!(w.object_guid(h(w, handle)).unwrap(), old_guid, "AD-1");
    old_guid
}

#[test]
fn sync_1_recreated_ad_user_with_copied_consistency_guid_keeps_its_cloud_user() {
    let mut w = alice_synced(Settings::default());
    let original = id(&w, "alice").unwrap();
    let old_guid = recreate_alice(&mut w, "alice", true);
    let ev = sync(&mut w);
    // The anchor is unchanged: a hard match restores the same cloud user (SYNC-3).
    event(&ev, EventKind::RestoredFromRecycleBin, RuleId::Sync3);
    assert_eq!(id(&w, "alice"), Some(original));
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(immutable_id(old_guid).to_string())
    );
    assert!(hybrid(&w, "alice"));
    assert_eq!(rel(&w, "alice", "groups"), set(&["Project X"]));
    assert_eq!(rel(&w, "alice", "licenses"), set(&["Microsoft 365 E3"]));
}

#[test]
fn sync_1_objectguid_anchor_recreated_ad_user_gets_a_new_anchor_and_a_new_cloud_user() {
    let mut w = alice_synced(settings(|s| s.source_anchor = SourceAnchor::ObjectGuid));
    let original = id(&w, "alice").unwrap();
    let old_guid = recreate_alice(&mut w, "alice", false);
    let ev = sync(&mut w);
    // A new objectGUID is a new anchor: no hard match, the old user stays in the recycle bin.
    assert!(none_of(&ev, EventKind::RestoredFromRecycleBin));
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    let new_id = id(&w, "alice").unwrap();
    assert_ne!(new_id, original);
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(anchor_of(&w, "alice"))
    );
    assert_ne!(anchor_of(&w, "alice"), immutable_id(old_guid));
    assert_eq!(bin_object(&w, "alice").id, original);
    assert!(rel(&w, "alice", "groups").is_empty());
    assert!(rel(&w, "alice", "licenses").is_empty());
}

#[test]
fn sync_1_objectguid_recreated_user_beside_its_live_old_user_is_invalid_soft_match_or_duplicate() {
    for conflict in [
        SoftMatchConflict::InvalidSoftMatch,
        SoftMatchConflict::Quarantine,
    ] {
        let mut w = alice_synced(settings(|s| {
            s.source_anchor = SourceAnchor::ObjectGuid;
            s.soft_match_conflict = conflict;
        }));
        let original = id(&w, "alice").unwrap();
        let old_anchor = prop(&w, "alice", "onPremisesImmutableId").unwrap();
        recreate_alice(&mut w, "alice2", false);
        // The admin brings the old cloud user back from the recycle bin before the next cycle.
        undelete(&mut w, Kind::User, "alice", Directory::Entra);
        assert_eq!(id(&w, "alice"), Some(original));
        let ev = sync(&mut w);
        // Either way the old user keeps its anchor and is not synced.
        assert_eq!(id(&w, "alice"), Some(original));
        assert_eq!(
            prop(&w, "alice", "onPremisesImmutableId"),
            Some(old_anchor.clone())
        );
        assert_eq!(
            prop(&w, "alice", "onPremisesSyncEnabled").as_deref(),
            Some("false")
        );
        assert!(!hybrid(&w, "alice"));
        assert_eq!(upn(&w, "alice"), "alice@contoso.com");
        if conflict == SoftMatchConflict::InvalidSoftMatch {
            let e = event(&ev, EventKind::InvalidSoftMatch, RuleId::Sync5);
            assert_eq!(e.subject, "alice2");
            assert!(cycle_errors(&w).contains(&ErrorCode::InvalidSoftMatch));
            // Nothing exported for the new AD user.
            assert_eq!(entra_state(&w, "alice2"), EntraPresence::Absent);
        } else {
            // A duplicate: a second user with its UPN and primary SMTP quarantined (SYNC-9).
            assert!(none_of(&ev, EventKind::InvalidSoftMatch));
            event(&ev, EventKind::Provisioned, RuleId::Sync9);
            assert!(hybrid(&w, "alice2"));
            assert_ne!(id(&w, "alice2"), Some(original));
            assert_eq!(
                prop(&w, "alice2", "onPremisesImmutableId"),
                Some(anchor_of(&w, "alice2"))
            );
            assert_ne!(anchor_of(&w, "alice2"), old_anchor);
            assert!(is_placeholder(&upn(&w, "alice2"), "alice"));
            let errors = cycle_errors(&w);
            assert!(errors.contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
            assert!(!errors.contains(&ErrorCode::InvalidSoftMatch));
        }
    }
}

#[test]
fn sync_1_objectguid_anchor_recreated_ad_user_without_soft_match_is_a_duplicate() {
    let mut w = alice_synced(settings(|s| {
        s.source_anchor = SourceAnchor::ObjectGuid;
        s.block_soft_match = true;
    }));
    let original = id(&w, "alice").unwrap();
    recreate_alice(&mut w, "alice2", false);
    undelete(&mut w, Kind::User, "alice", Directory::Entra);
    let ev = sync(&mut w);
    // A second user: its UPN and primary SMTP are held by the old user (SYNC-9).
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    event(&ev, EventKind::AttributeQuarantined, RuleId::Sync9);
    assert_eq!(id(&w, "alice"), Some(original));
    assert_ne!(id(&w, "alice2"), Some(original));
    assert_eq!(upn(&w, "alice"), "alice@contoso.com");
    assert!(
        is_placeholder(&upn(&w, "alice2"), "alice"),
        "{}",
        upn(&w, "alice2")
    );
    assert!(hybrid(&w, "alice2"));
    assert!(cycle_errors(&w).contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
    assert_eq!(export(&w), Export::Completed);
}

// ---------------------------------------------------------------------------------------------
// SYNC-5: soft match.

#[test]
fn sync_5_soft_match_by_primary_smtp_address() {
    let mut w = staff(Settings::default());
    cloud_user(
        &mut w,
        "alice",
        &[
            ("userPrincipalName", "a.jones@contoso.com"),
            ("mail", "alice@contoso.com"),
        ],
    );
    let cloud_id = id(&w, "alice").unwrap();
    ad_user(&mut w, "alice", "Staff", &[("mail", "alice@contoso.com")]);
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::SoftMatched, RuleId::Sync5);
    assert!(e.message.contains("primary SMTP address"), "{}", e.message);
    assert!(none_of(&ev, EventKind::Provisioned));
    assert_eq!(id(&w, "alice"), Some(cloud_id));
    assert!(hybrid(&w, "alice"));
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(anchor_of(&w, "alice"))
    );
    // AD now masters the UPN.
    assert_eq!(upn(&w, "alice"), "alice@contoso.com");
}

#[test]
fn sync_5_soft_match_by_upn_only_when_soft_match_on_upn() {
    for on in [true, false] {
        let mut w = staff(settings(|s| s.soft_match_on_upn = on));
        cloud_user(
            &mut w,
            "cloudalice",
            &[("userPrincipalName", "alice@contoso.com")],
        );
        let cloud_id = id(&w, "cloudalice").unwrap();
        ad_user(&mut w, "alice", "Staff", &[]);
        let ev = sync(&mut w);
        if on {
            let e = event(&ev, EventKind::SoftMatched, RuleId::Sync5);
            assert!(e.message.contains("userPrincipalName"), "{}", e.message);
            assert_eq!(entra_state(&w, "alice"), EntraPresence::Absent);
            assert_eq!(id(&w, "cloudalice"), Some(cloud_id));
            assert_eq!(joined_to(&w, "cloudalice").as_deref(), Some("alice"));
            assert!(hybrid(&w, "cloudalice"));
            assert_eq!(
                prop(&w, "cloudalice", "onPremisesImmutableId"),
                Some(anchor_of(&w, "alice"))
            );
        } else {
            // No match: a second user whose UPN is a placeholder (SYNC-9).
            assert!(none_of(&ev, EventKind::SoftMatched));
            event(&ev, EventKind::Provisioned, RuleId::Sync6);
            event(&ev, EventKind::AttributeQuarantined, RuleId::Sync9);
            assert!(hybrid(&w, "alice"));
            assert!(
                is_placeholder(&upn(&w, "alice"), "alice"),
                "{}",
                upn(&w, "alice")
            );
            assert_eq!(upn(&w, "cloudalice"), "alice@contoso.com");
            assert_eq!(prop(&w, "cloudalice", "onPremisesImmutableId"), None);
            assert!(!hybrid(&w, "cloudalice"));
        }
    }
}

#[test]
fn sync_5_block_soft_match_provisions_a_second_user() {
    for block in [false, true] {
        let mut w = staff(settings(|s| s.block_soft_match = block));
        cloud_user(
            &mut w,
            "cloudalice",
            &[
                ("userPrincipalName", "alice@contoso.com"),
                ("mail", "alice@contoso.com"),
            ],
        );
        ad_user(&mut w, "alice", "Staff", &[("mail", "alice@contoso.com")]);
        let ev = sync(&mut w);
        if !block {
            event(&ev, EventKind::SoftMatched, RuleId::Sync5);
            assert_eq!(entra_state(&w, "alice"), EntraPresence::Absent);
            assert!(hybrid(&w, "cloudalice"));
            continue;
        }
        assert!(none_of(&ev, EventKind::SoftMatched));
        event(&ev, EventKind::Provisioned, RuleId::Sync6);
        assert!(hybrid(&w, "alice"));
        assert!(!hybrid(&w, "cloudalice"));
        assert!(is_placeholder(&upn(&w, "alice"), "alice"));
        // The primary SMTP address is held by the cloud user: dropped (SYNC-9).
        assert_eq!(prop(&w, "alice", "proxyAddresses"), None);
        let q = quarantined(live_object(&w, "alice"));
        assert!(q.contains(&(EntraProp::ProxyAddresses, "SMTP:alice@contoso.com".into())));
        assert!(q.contains(&(EntraProp::UserPrincipalName, "alice@contoso.com".into())));
    }
}

#[test]
fn sync_5_an_admin_candidate_is_refused_and_a_second_user_gets_a_placeholder_upn() {
    for by_smtp in [false, true] {
        let mut w = staff(Settings::default());
        let mut props = vec![("userPrincipalName", "alice@contoso.com")];
        let mut ad = vec![];
        if by_smtp {
            props = vec![
                ("userPrincipalName", "admin.alice@contoso.com"),
                ("mail", "alice@contoso.com"),
            ];
            ad.push(("mail", "alice@contoso.com"));
        }
        cloud_user(&mut w, "admin", &props);
        assign(
            &mut w,
            Kind::User,
            "admin",
            cloud_rels(&["Global Administrator"], &[], &[], &[]),
        );
        let admin_id = id(&w, "admin").unwrap();
        ad_user(&mut w, "alice", "Staff", &ad);
        let ev = sync(&mut w);
        let e = event(&ev, EventKind::AdminRoleConflict, RuleId::Sync5);
        assert!(e.message.contains("ExistingAdminRoleConflict"));
        assert!(none_of(&ev, EventKind::SoftMatched));
        let p = event(&ev, EventKind::Provisioned, RuleId::Sync9);
        assert_eq!(p.subject, "alice");
        let errors = cycle_errors(&w);
        assert!(errors.contains(&ErrorCode::ExistingAdminRoleConflict));
        assert_eq!(export(&w), Export::Completed);
        // The admin is untouched.
        assert_eq!(id(&w, "admin"), Some(admin_id));
        assert_eq!(prop(&w, "admin", "onPremisesImmutableId"), None);
        assert_eq!(prop(&w, "admin", "onPremisesSyncEnabled"), None);
        assert_eq!(rel(&w, "admin", "roles"), set(&["Global Administrator"]));
        // alice is a second, synced user.
        assert!(hybrid(&w, "alice"));
        assert_ne!(id(&w, "alice"), Some(admin_id));
        if by_smtp {
            assert_eq!(upn(&w, "alice"), "alice@contoso.com");
            assert_eq!(prop(&w, "alice", "proxyAddresses"), None);
        } else {
            assert!(errors.contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
            let u = upn(&w, "alice");
            assert!(is_placeholder(&u, "alice"), "{u}");
            assert_eq!(
                quarantined(live_object(&w, "alice")),
                [(EntraProp::UserPrincipalName, "alice@contoso.com".into())]
            );
        }
    }
}

#[test]
fn sync_5_a_holder_with_a_different_immutable_id_is_invalid_soft_match_or_quarantined() {
    assert_eq!(
        Settings::default().soft_match_conflict,
        SoftMatchConflict::Quarantine
    );
    for conflict in [
        SoftMatchConflict::InvalidSoftMatch,
        SoftMatchConflict::Quarantine,
    ] {
        for key in ["userPrincipalName", "mail"] {
            let what = format!("{conflict:?} {key}");
            let mut w = staff(settings(|s| s.soft_match_conflict = conflict));
            let props = if key == "mail" {
                vec![
                    (EntraProp::UserPrincipalName, text("other@contoso.com")),
                    (EntraProp::Mail, text("alice@contoso.com")),
                    (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
                ]
            } else {
                vec![
                    (EntraProp::UserPrincipalName, text("alice@contoso.com")),
                    (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
                ]
            };
            cloud_user_with(&mut w, "other", props);
            let other_id = id(&w, "other").unwrap();
            ad_user(&mut w, "alice", "Staff", &[("mail", "alice@contoso.com")]);
            let ev = sync(&mut w);
            assert!(none_of(&ev, EventKind::SoftMatched), "{what}");
            // The holder keeps its anchor either way.
            assert_eq!(id(&w, "other"), Some(other_id));
            assert_eq!(
                prop(&w, "other", "onPremisesImmutableId").as_deref(),
                Some(WORKED_IMMUTABLE_ID)
            );
            assert!(!hybrid(&w, "other"));
            let errors = cycle_errors(&w);
            if conflict == SoftMatchConflict::InvalidSoftMatch {
                let e = event(&ev, EventKind::InvalidSoftMatch, RuleId::Sync5);
                assert_eq!(e.subject, "alice");
                assert!(errors.contains(&ErrorCode::InvalidSoftMatch));
                // Nothing exported for alice.
                assert_eq!(entra_state(&w, "alice"), EntraPresence::Absent, "{what}");
                continue;
            }
            // Duplicate attribute resiliency: alice is provisioned, the value quarantined.
            assert!(none_of(&ev, EventKind::InvalidSoftMatch), "{what}");
            let p = event(&ev, EventKind::Provisioned, RuleId::Sync9);
            assert_eq!(p.subject, "alice");
            assert!(!errors.contains(&ErrorCode::InvalidSoftMatch));
            assert!(errors.contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
            assert!(hybrid(&w, "alice"), "{what}");
            assert_eq!(
                prop(&w, "alice", "onPremisesImmutableId"),
                Some(anchor_of(&w, "alice"))
            );
            if key == "mail" {
                assert_eq!(upn(&w, "alice"), "alice@contoso.com");
                assert_eq!(prop(&w, "alice", "proxyAddresses"), None);
                assert_eq!(
                    quarantined(live_object(&w, "alice")),
                    [(EntraProp::ProxyAddresses, "SMTP:alice@contoso.com".into())]
                );
            } else {
                assert!(is_placeholder(&upn(&w, "alice"), "alice"), "{what}");
                assert_eq!(
                    prop(&w, "alice", "proxyAddresses").as_deref(),
                    Some("[SMTP:alice@contoso.com]")
                );
            }
        }
    }
}

#[test]
fn sync_5_only_users_without_an_immutable_id_are_candidates() {
    // The primary SMTP is held by a user with another anchor, the UPN by a candidate: the
    // candidate is matched by UPN, whatever `soft_match_conflict` says.
    for conflict in [
        SoftMatchConflict::InvalidSoftMatch,
        SoftMatchConflict::Quarantine,
    ] {
        let mut w = staff(settings(|s| s.soft_match_conflict = conflict));
        cloud_user_with(
            &mut w,
            "other",
            vec![
                (EntraProp::UserPrincipalName, text("other@contoso.com")),
                (EntraProp::Mail, text("alice@contoso.com")),
                (EntraProp::OnPremisesImmutableId, text(WORKED_IMMUTABLE_ID)),
            ],
        );
        cloud_user(
            &mut w,
            "alice",
            &[("userPrincipalName", "alice@contoso.com")],
        );
        let cloud_id = id(&w, "alice").unwrap();
        ad_user(&mut w, "alice", "Staff", &[("mail", "alice@contoso.com")]);
        let ev = sync(&mut w);
        assert!(none_of(&ev, EventKind::InvalidSoftMatch), "{ev:#?}");
        assert!(none_of(&ev, EventKind::Provisioned), "{ev:#?}");
        let e = event(&ev, EventKind::SoftMatched, RuleId::Sync5);
        assert!(e.message.contains("userPrincipalName"), "{}", e.message);
        assert_eq!(id(&w, "alice"), Some(cloud_id));
        assert_eq!(w.count(h(&w, "alice")), 1);
        assert!(hybrid(&w, "alice"));
        // Its primary SMTP is still held by the other user: quarantined (SYNC-9).
        assert_eq!(
            quarantined(live_object(&w, "alice")),
            [(EntraProp::ProxyAddresses, "SMTP:alice@contoso.com".into())]
        );
        assert_eq!(
            prop(&w, "other", "onPremisesImmutableId").as_deref(),
            Some(WORKED_IMMUTABLE_ID)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SYNC-6: provisioning.

#[test]
fn sync_6_a_new_user_keeps_a_verified_upn_suffix() {
    let mut w = World::new(
        Settings::default(),
        Names::new(
            "contoso.com",
            None,
            Some(strs(&["contoso.com", "fabrikam.com"])),
        ),
        common::START,
    );
    ad_user(&mut w, "alice", "Staff", &[]);
    ad_user(
        &mut w,
        "fred",
        "Staff",
        &[("userPrincipalName", "fred@fabrikam.com")],
    );
    let ev = sync(&mut w);
    let p = event(&ev, EventKind::Provisioned, RuleId::Sync6);
    assert!(p.message.contains("no match"), "{}", p.message);
    assert_eq!(upn(&w, "alice"), "alice@contoso.com");
    assert_eq!(upn(&w, "fred"), "fred@fabrikam.com");
    assert_ne!(id(&w, "alice"), id(&w, "fred"));
    assert!(hybrid(&w, "alice") && hybrid(&w, "fred"));
}

#[test]
fn sync_6_an_unverified_upn_suffix_gives_mail_nickname_at_the_initial_domain() {
    let mut w = world();
    ad_user(
        &mut w,
        "bob",
        "Staff",
        &[
            ("userPrincipalName", "bob@fabrikam.local"),
            ("mailNickname", "bsmith"),
        ],
    );
    ad_user(
        &mut w,
        "carl",
        "Staff",
        &[("userPrincipalName", "carl@corp.local")],
    );
    let ev = sync(&mut w);
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    assert_eq!(upn(&w, "bob"), "bsmith@contoso.onmicrosoft.com");
    assert_eq!(prop(&w, "bob", "mailNickname").as_deref(), Some("bsmith"));
    // No mailNickname: it is sAMAccountName (section 2).
    assert_eq!(upn(&w, "carl"), "carl@contoso.onmicrosoft.com");
    // Once the suffix is a verified domain, the AD UPN flows (SYNC-7).
    update_ad(
        &mut w,
        "carl",
        &[("userPrincipalName", Some("carl@contoso.com"))],
    );
    sync(&mut w);
    assert_eq!(upn(&w, "carl"), "carl@contoso.com");
}

// ---------------------------------------------------------------------------------------------
// SYNC-7: attribute flow.

#[test]
fn sync_7_takeover_overwrites_cloud_values_fills_missing_ones_and_keeps_cloud_only_relations() {
    let mut w = staff(Settings::default());
    cloud_user(
        &mut w,
        "alice",
        &[
            ("userPrincipalName", "alice@contoso.com"),
            ("mail", "alice@contoso.com"),
            ("displayName", "Alice (cloud)"),
            ("department", "Cloud Dept"),
            ("givenName", "Ally"),
            ("mobilePhone", "+1 555 0100"),
            ("usageLocation", "US"),
        ],
    );
    cloud_user(&mut w, "carol", &[]);
    cloud_group(&mut w, "Project X", GroupType::Microsoft365);
    assign(
        &mut w,
        Kind::User,
        "alice",
        RelationSet {
            groups: strs(&["Project X"]),
            owns: strs(&["Project X"]),
            licenses: strs(&["Microsoft 365 E3"]),
            apps: strs(&["Salesforce"]),
            manager: Some("carol".into()),
            ..Default::default()
        },
    );
    let before = w.relation_facts(h(&w, "alice")).unwrap();
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[
            ("displayName", "Alice Jones"),
            ("department", "Finance"),
            ("title", "Analyst"),
            ("l", "Seattle"),
            ("mail", "alice@contoso.com"),
            ("employeeID", "E1001"),
        ],
    );
    let ev = sync(&mut w);
    event(&ev, EventKind::SoftMatched, RuleId::Sync5);
    let flowed = event(&ev, EventKind::AttributesFlowed, RuleId::Sync7);
    assert!(flowed.message.contains("overwritten"), "{}", flowed.message);
    assert!(flowed.message.contains("filled"), "{}", flowed.message);
    // Overwritten, filled and (AD has no value) cleared.
    assert_eq!(
        prop(&w, "alice", "displayName").as_deref(),
        Some("Alice Jones")
    );
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Finance"));
    assert_eq!(prop(&w, "alice", "jobTitle").as_deref(), Some("Analyst"));
    assert_eq!(prop(&w, "alice", "city").as_deref(), Some("Seattle"));
    assert_eq!(prop(&w, "alice", "employeeId").as_deref(), Some("E1001"));
    assert_eq!(prop(&w, "alice", "givenName"), None);
    assert_eq!(
        prop(&w, "alice", "onPremisesSamAccountName").as_deref(),
        Some("alice")
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesDistinguishedName").as_deref(),
        Some("CN=Alice Jones,OU=Staff,DC=contoso,DC=com")
    );
    assert_eq!(
        prop(&w, "alice", "onPremisesDomainName").as_deref(),
        Some("contoso.com")
    );
    assert!(
        prop(&w, "alice", "onPremisesSecurityIdentifier")
            .unwrap()
            .starts_with("S-1-5-21-")
    );
    // Cloud-editable with no AD value: the cloud's value stays.
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0100")
    );
    assert_eq!(prop(&w, "alice", "usageLocation").as_deref(), Some("US"));
    // Cloud-only relations are untouched. The cloud manager is not: AD has none in scope.
    let after = w.relation_facts(h(&w, "alice")).unwrap();
    let kept: BTreeSet<RelFact> = before
        .iter()
        .filter(|f| f.kind != "manager")
        .cloned()
        .collect();
    assert!(kept.is_subset(&after), "{before:?} -> {after:?}");
    assert_eq!(rel(&w, "alice", "owns"), set(&["Project X"]));
    assert!(rel(&w, "alice", "manager").is_empty());
    // Further cycles, delta and initial, never touch them.
    update_ad(&mut w, "alice", &[("department", Some("Audit"))]);
    sync(&mut w);
    sync_initial(&mut w);
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Audit"));
    let again = w.relation_facts(h(&w, "alice")).unwrap();
    assert!(kept.is_subset(&again));
    assert_eq!(again, after);
}

#[test]
fn sync_7_every_cycle_writes_ad_values_and_cloud_editable_ones_when_ad_has_them() {
    let mut w = staff(Settings::default());
    ad_user(&mut w, "alice", "Staff", &[("department", "Finance")]);
    sync(&mut w);
    // A cloud write of an AD-mastered property is refused (ENTRA-5).
    let ev = update_entra(
        &mut w,
        "alice",
        vec![(EntraProp::Department, Some(text("X")))],
    );
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    // Cloud-editable properties: the cloud's value while AD has none...
    update_entra(
        &mut w,
        "alice",
        vec![
            (EntraProp::MobilePhone, Some(text("+1 555 0100"))),
            (EntraProp::UsageLocation, Some(text("US"))),
        ],
    );
    sync(&mut w);
    sync_initial(&mut w);
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0100")
    );
    assert_eq!(prop(&w, "alice", "usageLocation").as_deref(), Some("US"));
    // ...AD's once it has one.
    update_ad(
        &mut w,
        "alice",
        &[
            ("mobile", Some("+1 555 0199")),
            ("msExchUsageLocation", Some("GB")),
            ("department", Some("Audit")),
            ("title", Some("Lead")),
        ],
    );
    let ev = sync(&mut w);
    event(&ev, EventKind::AttributesFlowed, RuleId::Sync7);
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0199")
    );
    assert_eq!(prop(&w, "alice", "usageLocation").as_deref(), Some("GB"));
    assert_eq!(prop(&w, "alice", "department").as_deref(), Some("Audit"));
    assert_eq!(prop(&w, "alice", "jobTitle").as_deref(), Some("Lead"));
    // A cloud edit of the mobile phone is overwritten by the next cycle.
    update_entra(
        &mut w,
        "alice",
        vec![(EntraProp::MobilePhone, Some(text("+1 555 0000")))],
    );
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0000")
    );
    sync(&mut w);
    assert_eq!(
        prop(&w, "alice", "mobilePhone").as_deref(),
        Some("+1 555 0199")
    );
    // A cleared AD value clears the cloud's (AD-mastered).
    update_ad(&mut w, "alice", &[("title", None)]);
    sync(&mut w);
    assert_eq!(prop(&w, "alice", "jobTitle"), None);
}

#[test]
fn sync_7_manager_flows_once_the_managers_cloud_object_exists() {
    let mut w = staff(Settings::default());
    ad_user(&mut w, "bob", "Contractors", &[]);
    ad_user(&mut w, "dave", "Staff", &[]);
    ad_user(&mut w, "alice", "Staff", &[]);
    ad_assign(&mut w, "alice", manager("bob"));
    sync(&mut w);
    assert!(hybrid(&w, "alice"));
    assert_eq!(w.entra_manager(h(&w, "alice")).unwrap(), None);
    // bob comes into scope: the next cycle adds him and flows alice's manager.
    move_to(&mut w, Kind::User, "bob", "Staff");
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::ManagerFlowed, RuleId::Sync7);
    assert_eq!(e.subject, "alice");
    assert_eq!(
        w.entra_manager(h(&w, "alice")).unwrap().as_deref(),
        Some("bob")
    );
    // A manager change in AD flows; the cloud cannot change it (ENTRA-5).
    ad_assign(&mut w, "alice", manager("dave"));
    sync(&mut w);
    assert_eq!(
        w.entra_manager(h(&w, "alice")).unwrap().as_deref(),
        Some("dave")
    );
    let ev = assign(&mut w, Kind::User, "alice", manager("bob"));
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    ad_unassign(&mut w, "alice", manager("dave"));
    sync(&mut w);
    assert_eq!(w.entra_manager(h(&w, "alice")).unwrap(), None);
}

#[test]
fn sync_7_synced_groups_get_their_membership_from_ad_without_out_of_scope_members() {
    let mut w = staff(Settings::default());
    ad_group(&mut w, "Finance", "Staff");
    ad_user(&mut w, "alice", "Staff", &[]);
    ad_user(&mut w, "bob", "Staff", &[]);
    ad_user(&mut w, "carl", "Contractors", &[]);
    for u in ["alice", "bob", "carl"] {
        ad_assign(&mut w, u, groups(&["Finance"]));
    }
    sync(&mut w);
    let finance_id = id(&w, "Finance").unwrap();
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    assert_eq!(rel(&w, "bob", "groups"), set(&["Finance"]));
    assert_eq!(entra_state(&w, "carl"), EntraPresence::Absent);
    // Cloud-only relations of the group are kept; its members cannot be changed in the cloud.
    cloud_user(&mut w, "carol", &[]);
    assign(
        &mut w,
        Kind::User,
        "carol",
        RelationSet {
            owns: strs(&["Finance"]),
            ..Default::default()
        },
    );
    let ev = assign(&mut w, Kind::User, "carol", groups(&["Finance"]));
    event(&ev, EventKind::WriteRefused, RuleId::Entra5);
    // carl comes into scope, bob leaves the group.
    move_to(&mut w, Kind::User, "carl", "Staff");
    ad_unassign(&mut w, "bob", groups(&["Finance"]));
    let ev = sync(&mut w);
    event(&ev, EventKind::MembershipFlowed, RuleId::Sync7);
    assert_eq!(rel(&w, "carl", "groups"), set(&["Finance"]));
    assert!(rel(&w, "bob", "groups").is_empty());
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    assert!(rel(&w, "carol", "groups").is_empty());
    assert_eq!(rel(&w, "carol", "owns"), set(&["Finance"]));
    // alice leaves scope: dropped from the group (and soft-deleted, SYNC-8).
    move_to(&mut w, Kind::User, "alice", "Contractors");
    sync(&mut w);
    sync_initial(&mut w);
    assert_eq!(id(&w, "Finance"), Some(finance_id));
    assert_eq!(rel(&w, "carl", "groups"), set(&["Finance"]));
    let members: BTreeSet<String> = w
        .graph()
        .live_inc(
            w.entra_live(h(&w, "Finance")).unwrap().unwrap(),
            Rel::Member,
        )
        .map(|m| {
            w.handles()
                .name(w.graph().entra(m).unwrap().handle)
                .to_string()
        })
        .collect();
    assert_eq!(members, set(&["carl"]));
    assert_eq!(rel(&w, "carol", "owns"), set(&["Finance"]));
}

/// A delta cycle flows only the changed members of a synced group; a cloud member restored
/// from the recycle bin is one, though its AD side changed cycles before.
#[test]
fn sync_7_a_delta_cycle_drops_a_member_restored_in_the_cloud_after_its_join_was_removed() {
    let mut w = staff(Settings::default());
    ad_group(&mut w, "Finance", "Staff");
    for u in ["alice", "bob"] {
        ad_user(&mut w, u, "Staff", &[]);
        ad_assign(&mut w, u, groups(&["Finance"]));
    }
    sync(&mut w);
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    // alice is deleted in the cloud and leaves the sync scope: the cycle removes the join.
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    move_to(&mut w, Kind::User, "alice", "Contractors");
    let ev = sync(&mut w);
    event(&ev, EventKind::Disconnected, RuleId::Sync10);
    // Restored from the recycle bin with its relations: a cloud-only member of a synced group.
    undelete(&mut w, Kind::User, "alice", Directory::Entra);
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    assert_eq!(joined_to(&w, "alice"), None);
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::MembershipFlowed, RuleId::Sync7);
    assert_eq!(
        e.message,
        "members removed from synced group Finance from AD: alice"
    );
    assert!(rel(&w, "alice", "groups").is_empty());
    assert_eq!(rel(&w, "bob", "groups"), set(&["Finance"]));
}

// ---------------------------------------------------------------------------------------------
// SYNC-8: deletes and the deletion threshold.

/// Staff alice, bob, dave, erin and group Sales, all synced.
fn four_users(s: Settings) -> World {
    let mut w = staff(s);
    for u in ["alice", "bob", "dave", "erin"] {
        ad_user(&mut w, u, "Staff", &[("department", "Sales")]);
    }
    ad_group(&mut w, "Sales", "Staff");
    ad_assign(&mut w, "alice", groups(&["Sales"]));
    sync(&mut w);
    w
}

#[test]
fn sync_8_users_are_soft_deleted_with_sync_disabled_and_groups_hard_deleted() {
    let mut w = four_users(Settings::default());
    let alice_id = id(&w, "alice").unwrap();
    let bob_id = id(&w, "bob").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    move_to(&mut w, Kind::User, "bob", "Contractors");
    delete(&mut w, Kind::Group, "Sales", Directory::Ad, false);
    let ev = sync(&mut w);
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == EventKind::SoftDeleted && e.rule == RuleId::Sync8)
            .count(),
        2
    );
    let hd = event(&ev, EventKind::HardDeleted, RuleId::Entra4);
    assert_eq!(hd.subject, "Sales");
    assert_eq!(w.last_cycle().unwrap().deletes, 3);
    assert_eq!(export(&w), Export::Completed);
    for (u, was) in [("alice", alice_id), ("bob", bob_id)] {
        assert_eq!(entra_state(&w, u), EntraPresence::SoftDeleted);
        let o = bin_object(&w, u);
        assert_eq!(o.id, was);
        assert_eq!(o.sync_enabled(), Some(false), "{u}");
        assert!(!hybrid(&w, u));
    }
    // The group is gone for good: not in the recycle bin.
    assert_eq!(entra_state(&w, "Sales"), EntraPresence::Absent);
    assert!(soft_deleted(&w, "Sales").is_empty());
    // The others are untouched.
    assert!(hybrid(&w, "dave") && hybrid(&w, "erin"));
    // Re-syncing the AD group gives a new group with a new id (ENTRA-4).
    let old_group = w.original_object_id(h(&w, "Sales")).unwrap();
    undelete(&mut w, Kind::Group, "Sales", Directory::Ad);
    sync(&mut w);
    assert_ne!(id(&w, "Sales").unwrap(), old_group);
}

#[test]
fn sync_8_more_deletes_than_the_threshold_stop_the_whole_export() {
    let mut w = four_users(settings(|s| s.deletion_threshold = Some(2)));
    let ids: Vec<_> = ["alice", "bob", "dave"]
        .map(|u| id(&w, u).unwrap())
        .to_vec();
    for u in ["alice", "bob"] {
        delete(&mut w, Kind::User, u, Directory::Ad, false);
    }
    move_to(&mut w, Kind::User, "dave", "Contractors");
    // An add and an update in the same cycle.
    ad_user(&mut w, "frank", "Staff", &[]);
    update_ad(&mut w, "erin", &[("department", Some("Finance"))]);
    let ev = sync(&mut w);
    let e = event(&ev, EventKind::ExportStopped, RuleId::Sync8);
    assert!(e.message.contains("stopped-deletion-threshold-exceeded"));
    assert_eq!(export(&w), Export::StoppedDeletionThresholdExceeded);
    assert_eq!(export(&w).name(), "stopped-deletion-threshold-exceeded");
    let c = w.last_cycle().unwrap();
    assert_eq!((c.adds, c.updates, c.deletes), (0, 0, 0));
    // Nothing added, changed or deleted.
    for (u, was) in ["alice", "bob", "dave"].iter().zip(&ids) {
        assert_eq!(id(&w, u).as_ref(), Some(was), "{u}");
        assert_eq!(
            prop(&w, u, "onPremisesSyncEnabled").as_deref(),
            Some("true")
        );
    }
    assert_eq!(entra_state(&w, "frank"), EntraPresence::Absent);
    assert_eq!(ad_prop(&w, "frank", "mS-DS-ConsistencyGuid"), None);
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Sales"));
    assert!(none_of(&ev, EventKind::SoftDeleted));
    assert!(none_of(&ev, EventKind::Provisioned));
    assert!(none_of(&ev, EventKind::AttributesFlowed));
    // The work stays pending: the next cycle stops again.
    sync(&mut w);
    assert_eq!(export(&w), Export::StoppedDeletionThresholdExceeded);
    assert_eq!(entra_state(&w, "frank"), EntraPresence::Absent);
    // Raising the threshold lets the deletes through, with the rest of the export.
    patch(
        &mut w,
        SettingsPatch {
            deletion_threshold: Some(Some(3)),
            ..Default::default()
        },
    );
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::ExportStopped));
    assert_eq!(export(&w), Export::Completed);
    let c = w.last_cycle().unwrap();
    assert_eq!((c.adds, c.updates, c.deletes), (1, 1, 3));
    for u in ["alice", "bob", "dave"] {
        assert_eq!(entra_state(&w, u), EntraPresence::SoftDeleted, "{u}");
    }
    assert!(hybrid(&w, "frank"));
    assert_eq!(prop(&w, "erin", "department").as_deref(), Some("Finance"));
}

#[test]
fn sync_8_a_null_threshold_turns_it_off_and_the_default_is_500() {
    assert_eq!(Settings::default().deletion_threshold, Some(500));
    for threshold in [None, Some(3), Some(500)] {
        let mut w = four_users(settings(|s| s.deletion_threshold = threshold));
        for u in ["alice", "bob", "dave"] {
            delete(&mut w, Kind::User, u, Directory::Ad, false);
        }
        let ev = sync(&mut w);
        assert!(none_of(&ev, EventKind::ExportStopped), "{threshold:?}");
        assert_eq!(export(&w), Export::Completed);
        assert_eq!(w.last_cycle().unwrap().deletes, 3);
    }
    // A patch with `deletion_threshold: null` turns it off.
    let mut w = four_users(settings(|s| s.deletion_threshold = Some(0)));
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    sync(&mut w);
    assert_eq!(export(&w), Export::StoppedDeletionThresholdExceeded);
    let p: SettingsPatch = serde_yaml::from_str("deletion_threshold: null").unwrap();
    assert_eq!(p.deletion_threshold, Some(None));
    patch(&mut w, p);
    assert_eq!(w.settings().deletion_threshold, None);
    sync(&mut w);
    assert_eq!(export(&w), Export::Completed);
    assert_eq!(entra_state(&w, "alice"), EntraPresence::SoftDeleted);
}

#[test]
fn sync_8_an_initial_cycle_that_would_delete_too_much_stops_too() {
    let mut w = four_users(settings(|s| s.deletion_threshold = Some(1)));
    scope(&mut w, &["Contractors"], &["Staff"]);
    ad_user(&mut w, "carl", "Contractors", &[]);
    let ev = sync_initial(&mut w);
    event(&ev, EventKind::ExportStopped, RuleId::Sync8);
    assert_eq!(entra_state(&w, "carl"), EntraPresence::Absent);
    for u in ["alice", "bob", "dave", "erin"] {
        assert!(hybrid(&w, u), "{u}");
    }
    assert_eq!(entra_state(&w, "Sales"), EntraPresence::Live);
}

// ---------------------------------------------------------------------------------------------
// SYNC-9: duplicate attribute resiliency.

#[test]
fn sync_9_a_duplicate_upn_is_quarantined_and_released_at_a_later_delta_cycle() {
    let mut w = staff(Settings::default());
    ad_user(&mut w, "dave", "Staff", &[("displayName", "Dave")]);
    sync(&mut w);
    cloud_user(
        &mut w,
        "carol",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    update_ad(
        &mut w,
        "dave",
        &[
            ("userPrincipalName", Some("carol@contoso.com")),
            ("displayName", Some("Dave Jones")),
        ],
    );
    let ev = sync(&mut w);
    let q = event(&ev, EventKind::AttributeQuarantined, RuleId::Sync9);
    assert!(q.message.contains("QuarantinedAttributeValueMustBeUnique"));
    assert_eq!(q.subject, "dave");
    // The export succeeds: the rest of the update is written.
    assert_eq!(export(&w), Export::Completed);
    assert!(cycle_errors(&w).contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
    assert_eq!(
        prop(&w, "dave", "displayName").as_deref(),
        Some("Dave Jones")
    );
    let placeholder = upn(&w, "dave");
    assert!(is_placeholder(&placeholder, "carol"), "{placeholder}");
    assert_eq!(upn(&w, "carol"), "carol@contoso.com");
    assert_eq!(
        quarantined(live_object(&w, "dave")),
        [(EntraProp::UserPrincipalName, "carol@contoso.com".into())]
    );
    // Later cycles keep the same placeholder while the clash lasts.
    update_ad(&mut w, "dave", &[("department", Some("Sales"))]);
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::AttributeQuarantined));
    assert_eq!(upn(&w, "dave"), placeholder);
    // The clash is gone: the next delta cycle puts the real value back.
    delete(&mut w, Kind::User, "carol", Directory::Entra, false);
    let ev = sync(&mut w);
    let r = event(&ev, EventKind::QuarantineReleased, RuleId::Sync9);
    assert_eq!(r.subject, "dave");
    assert_eq!(upn(&w, "dave"), "carol@contoso.com");
    assert!(live_object(&w, "dave").errors.is_empty());
    assert!(cycle_errors(&w).is_empty());
}

#[test]
fn sync_9_a_duplicate_upn_is_released_by_an_initial_cycle_too() {
    let mut w = staff(Settings::default());
    cloud_user(
        &mut w,
        "carol",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    assign(
        &mut w,
        Kind::User,
        "carol",
        cloud_rels(&["Global Administrator"], &[], &[], &[]),
    );
    // An add: the admin is refused as a soft-match candidate, dave arrives second.
    ad_user(
        &mut w,
        "dave",
        "Staff",
        &[("userPrincipalName", "carol@contoso.com")],
    );
    sync(&mut w);
    assert!(is_placeholder(&upn(&w, "dave"), "carol"));
    // The admin's UPN changes in the cloud: the value is free.
    update_entra(
        &mut w,
        "carol",
        vec![(
            EntraProp::UserPrincipalName,
            Some(text("carol.admin@contoso.com")),
        )],
    );
    let ev = sync_initial(&mut w);
    event(&ev, EventKind::QuarantineReleased, RuleId::Sync9);
    assert_eq!(upn(&w, "dave"), "carol@contoso.com");
    assert!(hybrid(&w, "dave"));
}

#[test]
fn sync_9_a_clashing_proxy_address_is_dropped_and_released_at_a_later_cycle() {
    let mut w = staff(Settings::default());
    cloud_user(&mut w, "shared", &[("mail", "sales@contoso.com")]);
    ad_user(
        &mut w,
        "dave",
        "Staff",
        &[
            ("mail", "dave@contoso.com"),
            (
                "proxyAddresses",
                "SMTP:dave@contoso.com,smtp:sales@contoso.com",
            ),
        ],
    );
    let ev = sync(&mut w);
    event(&ev, EventKind::Provisioned, RuleId::Sync6);
    let q = event(&ev, EventKind::AttributeQuarantined, RuleId::Sync9);
    assert!(
        q.message.contains("smtp:sales@contoso.com"),
        "{}",
        q.message
    );
    assert_eq!(export(&w), Export::Completed);
    assert!(cycle_errors(&w).contains(&ErrorCode::QuarantinedAttributeValueMustBeUnique));
    assert_eq!(
        w.entra_property(h(&w, "dave"), EntraProp::ProxyAddresses)
            .unwrap(),
        Some(list(&["SMTP:dave@contoso.com"]))
    );
    assert_eq!(upn(&w, "dave"), "dave@contoso.com");
    // Delta cycles with no change keep it dropped.
    sync(&mut w);
    assert_eq!(
        quarantined(live_object(&w, "dave")),
        [(EntraProp::ProxyAddresses, "smtp:sales@contoso.com".into())]
    );
    // The shared mailbox gives the address up: the next delta cycle adds it.
    update_entra(
        &mut w,
        "shared",
        vec![(
            EntraProp::ProxyAddresses,
            Some(list(&["SMTP:shared@contoso.com"])),
        )],
    );
    let ev = sync(&mut w);
    event(&ev, EventKind::QuarantineReleased, RuleId::Sync9);
    assert_eq!(
        w.entra_property(h(&w, "dave"), EntraProp::ProxyAddresses)
            .unwrap(),
        Some(list(&["SMTP:dave@contoso.com", "smtp:sales@contoso.com"]))
    );
    assert!(live_object(&w, "dave").errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// SYNC-10: a synced user deleted in the cloud.

#[test]
fn sync_10_a_cloud_deleted_synced_user_is_restored_from_the_recycle_bin_by_the_next_cycle() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    let before = w.relation_facts(h(&w, "alice")).unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    assert_eq!(entra_state(&w, "alice"), EntraPresence::SoftDeleted);
    let ev = sync(&mut w);
    event(&ev, EventKind::Disconnected, RuleId::Sync10);
    let r = event(&ev, EventKind::RestoredFromRecycleBin, RuleId::Sync10);
    assert_eq!(r.subject, "alice");
    assert!(none_of(&ev, EventKind::Provisioned));
    assert_eq!(id(&w, "alice"), Some(original));
    assert!(hybrid(&w, "alice"));
    assert_eq!(w.relation_facts(h(&w, "alice")).unwrap(), before);
    assert_eq!(rel(&w, "alice", "roles"), set(&["Helpdesk Administrator"]));
    assert_eq!(
        rel(&w, "alice", "groups"),
        set(&["Auditors", "Finance", "Project X"])
    );
}

#[test]
fn sync_10_a_purged_synced_user_comes_back_new_without_cloud_only_relations() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    assert_eq!(entra_state(&w, "alice"), EntraPresence::Absent);
    let ev = sync(&mut w);
    event(&ev, EventKind::Disconnected, RuleId::Sync10);
    let p = event(&ev, EventKind::Provisioned, RuleId::Sync10);
    assert_eq!(p.subject, "alice");
    let now = id(&w, "alice").unwrap();
    assert_ne!(now, original);
    assert!(hybrid(&w, "alice"));
    // Only what AD gives: the synced group and the manager; no cloud-only relation.
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    assert_eq!(rel(&w, "alice", "manager"), set(&["bob"]));
    for what in ["roles", "licenses", "apps", "owns"] {
        assert!(rel(&w, "alice", what).is_empty(), "{what}");
    }
    assert_eq!(
        prop(&w, "alice", "onPremisesImmutableId"),
        Some(immutable_id(w.object_guid(h(&w, "alice")).unwrap()).to_string())
    );
}

#[test]
fn sync_10_without_sync_restores_soft_deleted_a_new_user_is_provisioned() {
    let mut w = runbook_world(settings(|s| s.sync_restores_soft_deleted = false));
    let original = id(&w, "alice").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::RestoredFromRecycleBin));
    event(&ev, EventKind::Provisioned, RuleId::Sync10);
    assert_ne!(id(&w, "alice"), Some(original));
    assert!(hybrid(&w, "alice"));
    assert_eq!(bin_object(&w, "alice").id, original);
    assert!(rel(&w, "alice", "roles").is_empty());
    assert_eq!(rel(&w, "alice", "groups"), set(&["Finance"]));
    // The old user cannot come back beside it: same UPN and anchor (ENTRA-3).
    let ev = undelete(&mut w, Kind::User, "alice", Directory::Entra);
    event(&ev, EventKind::Refused, RuleId::Entra3);
}

#[test]
fn sync_10_a_user_restored_by_the_admin_before_the_cycle_stays_joined() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    delete(&mut w, Kind::User, "alice", Directory::Entra, false);
    undelete(&mut w, Kind::User, "alice", Directory::Entra);
    let ev = sync(&mut w);
    assert!(none_of(&ev, EventKind::Disconnected));
    assert!(none_of(&ev, EventKind::Provisioned));
    assert_eq!(id(&w, "alice"), Some(original));
    assert!(hybrid(&w, "alice"));
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
        RelationSet {
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
                RelationSet {
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
            "no soft match on UPN, hard-deleted security groups, no AD recycle bin",
            settings(|s| {
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
