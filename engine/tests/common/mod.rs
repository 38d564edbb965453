//! Helpers for the engine's rule tests: build worlds and apply operations tersely.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use hysim_engine::query::{AdPresence, EntraPresence};
use hysim_engine::store::{AdAttr, EntraProp};
use hysim_engine::*;

pub const START: i64 = 1_767_603_600; // 2026-01-05T09:00:00Z

pub fn world_with(settings: Settings) -> World {
    World::new(settings, Names::new("contoso.com", None, None), START)
}

pub fn world() -> World {
    world_with(Settings::default())
}

pub fn apply(w: &mut World, op: Op) -> Vec<Event> {
    w.apply(&op)
        .unwrap_or_else(|e| panic!("{op:?} failed: {e}"))
}

pub fn kinds(ev: &[Event]) -> Vec<EventKind> {
    ev.iter().map(|e| e.kind).collect()
}

pub fn has(ev: &[Event], kind: EventKind, rule: RuleId) -> bool {
    ev.iter().any(|e| e.kind == kind && e.rule == rule)
}

pub fn ad_attrs(attrs: &[(&str, &str)]) -> Vec<(AdAttr, Value)> {
    attrs
        .iter()
        .map(|(k, v)| {
            let a = AdAttr::from_name(k).unwrap_or_else(|| panic!("unknown AD attribute {k}"));
            let v = if a.is_list() {
                Value::list(v.split(',').map(str::trim))
            } else if a.is_bool() {
                Value::from(*v == "true")
            } else {
                Value::text(*v)
            };
            (a, v)
        })
        .collect()
}

pub fn ad_user(w: &mut World, h: &str, ou: &str, attrs: &[(&str, &str)]) -> Vec<Event> {
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle: h.into(),
            dir: Directory::Ad,
            object: NewObject {
                ou: Some(ou.into()),
                ad_attrs: ad_attrs(attrs),
                ..Default::default()
            },
        },
    )
}

pub fn ad_group(w: &mut World, h: &str, ou: &str) -> Vec<Event> {
    apply(
        w,
        Op::Create {
            kind: Kind::Group,
            handle: h.into(),
            dir: Directory::Ad,
            object: NewObject {
                ou: Some(ou.into()),
                ..Default::default()
            },
        },
    )
}

pub fn cloud_user(w: &mut World, h: &str, props: &[(&str, &str)]) -> Vec<Event> {
    let entra_props = props
        .iter()
        .map(|(k, v)| (EntraProp::from_name(k).unwrap(), Value::text(*v)))
        .collect();
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle: h.into(),
            dir: Directory::Entra,
            object: NewObject {
                entra_props,
                ..Default::default()
            },
        },
    )
}

pub fn cloud_group(w: &mut World, h: &str, t: GroupType) -> Vec<Event> {
    apply(
        w,
        Op::Create {
            kind: Kind::Group,
            handle: h.into(),
            dir: Directory::Entra,
            object: NewObject {
                group_type: Some(t),
                ..Default::default()
            },
        },
    )
}

/// Owned names (a `String` or a shared `Str`, as the receiving field holds them).
pub fn strs<T: for<'a> From<&'a str>>(v: &[&str]) -> Vec<T> {
    v.iter().map(|s| T::from(s)).collect()
}

pub fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Assigns relations in Entra (`kind` of the subject given).
pub fn assign(w: &mut World, kind: Kind, h: &str, rels: RelationSet) -> Vec<Event> {
    apply(
        w,
        Op::Assign {
            kind,
            handle: h.into(),
            dir: Directory::Entra,
            rels,
        },
    )
}

pub fn ad_assign(w: &mut World, h: &str, rels: RelationSet) -> Vec<Event> {
    apply(
        w,
        Op::Assign {
            kind: Kind::User,
            handle: h.into(),
            dir: Directory::Ad,
            rels,
        },
    )
}

pub fn groups(g: &[&str]) -> RelationSet {
    RelationSet {
        groups: strs(g),
        ..Default::default()
    }
}

pub fn sync(w: &mut World) -> Vec<Event> {
    apply(w, Op::Sync(CycleKind::Delta))
}

pub fn sync_initial(w: &mut World) -> Vec<Event> {
    apply(w, Op::Sync(CycleKind::Initial))
}

pub fn backup(w: &mut World, label: &str) -> Vec<Event> {
    apply(w, Op::Backup(label.into()))
}

pub fn delete(
    w: &mut World,
    kind: Kind,
    h: &str,
    from: Directory,
    permanently: bool,
) -> Vec<Event> {
    apply(
        w,
        Op::Delete {
            kind,
            handle: h.into(),
            from,
            permanently,
        },
    )
}

pub fn restore(
    w: &mut World,
    users: &[&str],
    from: &str,
    keep: bool,
    existing: Existing,
    recycle_bin: bool,
) -> Vec<Event> {
    apply(
        w,
        Op::Restore {
            users: strs(users),
            groups: vec![],
            from: from.into(),
            recycle_bin,
            keep_relationships: keep,
            existing,
        },
    )
}

pub fn restore_ad(w: &mut World, users: &[&str], from: &str) -> Vec<Event> {
    apply(
        w,
        Op::RestoreAd {
            users: strs(users),
            from: from.into(),
        },
    )
}

pub fn wait_days(w: &mut World, days: i64) -> Vec<Event> {
    apply(w, Op::Wait(days * 86_400))
}

pub fn h(w: &World, name: &str) -> hysim_engine::store::HandleId {
    w.handle_id(name)
        .unwrap_or_else(|| panic!("no handle {name}"))
}

pub fn rel(w: &World, name: &str, what: &str) -> BTreeSet<String> {
    w.entra_relation(h(w, name), what).unwrap()
}

pub fn prop(w: &World, name: &str, p: &str) -> Option<String> {
    w.entra_property(h(w, name), EntraProp::from_name(p).unwrap())
        .unwrap()
        .map(|v| v.to_string())
}

pub fn ad_prop(w: &World, name: &str, a: &str) -> Option<String> {
    w.ad_property(h(w, name), AdAttr::from_name(a).unwrap())
        .map(|v| v.to_string())
}

pub fn entra_state(w: &World, name: &str) -> EntraPresence {
    w.entra_presence(h(w, name)).unwrap()
}

pub fn ad_state(w: &World, name: &str) -> AdPresence {
    w.ad_presence(h(w, name))
}

pub fn id(w: &World, name: &str) -> Option<hysim_engine::store::Guid> {
    w.object_id(h(w, name)).unwrap()
}

pub fn hybrid(w: &World, name: &str) -> bool {
    w.hybrid(h(w, name)).unwrap()
}

/// The world of SCENARIO_FORMAT.md's example: alice (synced, manager bob, in AD group Finance),
/// bob, cloud-only carol; Project X (Microsoft 365: alice, carol; owner carol), Auditors (security:
/// alice, group licence Microsoft 365 E5), Helpdesk Administrator for alice, Microsoft 365 E3 for
/// alice and carol, Salesforce for alice.
pub fn runbook_world(settings: Settings) -> World {
    let mut w = world_with(settings);
    w.set_sync_ous(Some(strs(&["Staff"])));
    ad_group(&mut w, "Finance", "Staff");
    ad_user(&mut w, "bob", "Staff", &[("displayName", "Bob Smith")]);
    ad_user(
        &mut w,
        "alice",
        "Staff",
        &[
            ("displayName", "Alice Jones"),
            ("givenName", "Alice"),
            ("sn", "Jones"),
            ("department", "Finance"),
            ("title", "Analyst"),
            ("l", "Seattle"),
            ("mail", "alice@contoso.com"),
            ("employeeID", "E1001"),
        ],
    );
    ad_assign(
        &mut w,
        "alice",
        RelationSet {
            groups: strs(&["Finance"]),
            manager: Some("bob".into()),
            ..Default::default()
        },
    );
    sync_initial(&mut w);
    cloud_user(&mut w, "carol", &[("displayName", "Carol Cloud")]);
    cloud_group(&mut w, "Project X", GroupType::Microsoft365);
    cloud_group(&mut w, "Auditors", GroupType::Security);
    assign(
        &mut w,
        Kind::User,
        "alice",
        RelationSet {
            groups: strs(&["Project X", "Auditors"]),
            roles: strs(&["Helpdesk Administrator"]),
            licenses: strs(&["Microsoft 365 E3"]),
            apps: strs(&["Salesforce"]),
            ..Default::default()
        },
    );
    assign(
        &mut w,
        Kind::User,
        "carol",
        RelationSet {
            groups: strs(&["Project X"]),
            owns: strs(&["Project X"]),
            licenses: strs(&["Microsoft 365 E3"]),
            ..Default::default()
        },
    );
    assign(
        &mut w,
        Kind::Group,
        "Auditors",
        RelationSet {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    w
}
