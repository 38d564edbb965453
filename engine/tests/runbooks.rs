//! The three runbooks documented by Veeam (Veeam's "Restoring Synchronized Users (Hybrid
//! Identity)"), asserting the whole end state; and the same with
//! `block_hard_match_takeover`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use hysim_engine::query::RelFact;
use hysim_engine::*;

/// The end state all three runbooks must reach.
fn assert_restored(w: &World, original: hysim_engine::store::Guid) {
    assert!(hybrid(w, "alice"), "alice is hybrid again");
    let now = id(w, "alice").unwrap();
    assert_ne!(now, original, "alice has a new object id");
    assert_eq!(w.count(h(w, "alice")), 1);
    // Every relation alice had at the backup is live.
    let before: std::collections::BTreeSet<RelFact> = w.relation_facts_at(h(w, "alice"), "nightly");
    let after = w.relation_facts(h(w, "alice")).unwrap();
    assert!(!before.is_empty());
    let lost: Vec<_> = before.difference(&after).collect();
    assert!(lost.is_empty(), "relations lost: {lost:?}");
    assert_eq!(
        rel(w, "alice", "groups"),
        set(&["Auditors", "Finance", "Project X"])
    );
    assert_eq!(rel(w, "alice", "roles"), set(&["Helpdesk Administrator"]));
    assert_eq!(
        rel(w, "alice", "licenses"),
        set(&["Microsoft 365 E3", "Microsoft 365 E5"])
    );
    assert_eq!(rel(w, "alice", "apps"), set(&["Salesforce"]));
    assert_eq!(rel(w, "alice", "manager"), set(&["bob"]));
    // AD-mastered properties equal AD's values.
    for (p, a) in [
        ("displayName", "displayName"),
        ("department", "department"),
        ("jobTitle", "title"),
        ("city", "l"),
        ("employeeId", "employeeID"),
    ] {
        assert_eq!(prop(w, "alice", p), ad_prop(w, "alice", a), "{p}");
    }
    // The properties VDC lacks are filled by the sync.
    assert_eq!(
        prop(w, "alice", "onPremisesSamAccountName").as_deref(),
        Some("alice")
    );
    let sid = prop(w, "alice", "onPremisesSecurityIdentifier").unwrap();
    assert!(sid.starts_with("S-1-5-21-"));
    assert_eq!(
        prop(w, "alice", "onPremisesDistinguishedName").as_deref(),
        Some("CN=Alice Jones,OU=Staff,DC=contoso,DC=com")
    );
    assert_eq!(
        prop(w, "alice", "onPremisesSyncEnabled").as_deref(),
        Some("true")
    );
    w.check_all_invariants().unwrap();
}

fn restore_alice(w: &mut World) -> Vec<Event> {
    restore(w, &["alice"], "nightly", true, Existing::Skip, true)
}

#[test]
fn runbook_1_cloud_only_deletion_restore_then_sync() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    backup(&mut w, "nightly");
    // Someone edits a property in the cloud? No: AD-mastered. Change AD so that overwrite shows.
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    assert_eq!(
        entra_state(&w, "alice"),
        hysim_engine::query::EntraPresence::Absent
    );
    let ev = restore_alice(&mut w);
    assert!(has(&ev, EventKind::RestoredFromBackup, RuleId::Vdc3));
    // Finance is synced: VDC cannot write that membership (VDC-4): warning.
    assert_eq!(
        w.last_restore().unwrap().statuses["alice"].0,
        Status::Warning
    );
    assert!(!hybrid(&w, "alice"));
    assert_eq!(
        prop(&w, "alice", "onPremisesSamAccountName"),
        None,
        "VDC-6: lacking until sync"
    );
    let ev = sync(&mut w);
    assert!(has(&ev, EventKind::HardMatched, RuleId::Sync3), "{ev:#?}");
    assert_restored(&w, original);
}

#[test]
fn runbook_2_sync_recreated_user_delete_it_restore_sync() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    let ev = sync(&mut w);
    assert!(has(&ev, EventKind::Provisioned, RuleId::Sync10), "{ev:#?}");
    let bare = id(&w, "alice").unwrap();
    assert_ne!(bare, original);
    assert_eq!(
        rel(&w, "alice", "groups"),
        set(&["Finance"]),
        "SYNC-10: no cloud-only relations"
    );
    // Restoring now cannot map the user (VDC-3).
    let ev = restore_alice(&mut w);
    assert!(has(&ev, EventKind::RestoreFailed, RuleId::Vdc3));
    assert_eq!(
        w.last_restore().unwrap().statuses["alice"].0,
        Status::Failed
    );
    // The documented order: delete the sync-created user, restore, sync.
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    restore_alice(&mut w);
    assert_eq!(
        w.last_restore().unwrap().statuses["alice"].0,
        Status::Warning
    );
    sync(&mut w);
    assert_restored(&w, original);
    assert_ne!(id(&w, "alice").unwrap(), bare);
}

#[test]
fn runbook_3_deleted_from_both_restore_entra_then_vead_then_sync() {
    let mut w = runbook_world(Settings::default());
    let original = id(&w, "alice").unwrap();
    let guid = w.object_guid(h(&w, "alice")).unwrap();
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    let ev = sync(&mut w);
    assert!(has(&ev, EventKind::SoftDeleted, RuleId::Sync8));
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    restore_alice(&mut w);
    let ev = restore_ad(&mut w, &["alice"], "nightly");
    assert!(has(&ev, EventKind::AdReanimated, RuleId::Ad5));
    assert_eq!(w.object_guid(h(&w, "alice")), Some(guid));
    sync(&mut w);
    assert_restored(&w, original);
    assert_eq!(w.ad_groups(h(&w, "alice")), set(&["Finance"]));
}

fn blocked() -> Settings {
    Settings {
        block_hard_match_takeover: true,
        ..Settings::default()
    }
}

fn assert_blocked(w: &World, ev: &[Event]) {
    assert!(
        has(ev, EventKind::InvalidHardMatch, RuleId::Sync4),
        "{ev:#?}"
    );
    assert!(
        w.last_cycle()
            .unwrap()
            .errors
            .contains(&hysim_engine::sync::ErrorCode::InvalidHardMatch)
    );
    assert!(!hybrid(w, "alice"), "alice stays cloud-managed");
    assert_eq!(prop(w, "alice", "onPremisesSyncEnabled"), None);
    assert_eq!(prop(w, "alice", "onPremisesSamAccountName"), None);
    w.check_all_invariants().unwrap();
}

#[test]
fn sync_4_runbook_1_blocked_takeover_leaves_user_cloud_managed() {
    let mut w = runbook_world(blocked());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    restore_alice(&mut w);
    let ev = sync(&mut w);
    assert_blocked(&w, &ev);
}

#[test]
fn sync_4_runbook_2_blocked_takeover_leaves_user_cloud_managed() {
    let mut w = runbook_world(blocked());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    sync(&mut w);
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    restore_alice(&mut w);
    let ev = sync(&mut w);
    assert_blocked(&w, &ev);
}

#[test]
fn sync_4_runbook_3_blocked_takeover_leaves_user_cloud_managed() {
    let mut w = runbook_world(blocked());
    backup(&mut w, "nightly");
    delete(&mut w, Kind::User, "alice", Directory::Ad, false);
    sync(&mut w);
    delete(&mut w, Kind::User, "alice", Directory::Entra, true);
    restore_alice(&mut w);
    restore_ad(&mut w, &["alice"], "nightly");
    let ev = sync(&mut w);
    assert_blocked(&w, &ev);
}
