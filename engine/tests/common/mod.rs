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
use hysim_engine::store::{AdAttr, EntraProp, HandleId};
use hysim_engine::*;

pub const START: i64 = 1_767_603_600; // 2026-01-05T09:00:00Z

pub fn world_with(settings: Settings) -> World {
    World::new(
        settings,
        Names::new("contoso.com", None, None),
        START,
        Default::default(),
    )
}

/// The handle named `name` (a handle that no identity has if there is none, so that the
/// engine refuses the operation).
pub fn id_of(w: &World, name: &str) -> HandleId {
    w.handle_id(name).unwrap_or(HandleId(u32::MAX))
}

/// The handle named `name`, made if it is new.
pub fn new_id(w: &mut World, name: &str, kind: Kind) -> HandleId {
    w.intern(name, kind)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Relations named by name, as a test writes them; resolved to handles when applied.
#[derive(Clone, Debug, Default)]
pub struct Rels {
    pub groups: Vec<String>,
    pub owns: Vec<String>,
    pub roles: Vec<String>,
    pub licenses: Vec<String>,
    pub apps: Vec<String>,
    pub manager: Option<String>,
}

pub fn resolve(w: &World, r: &Rels) -> RelationSet {
    let ids = |v: &[String]| v.iter().map(|n| id_of(w, n)).collect();
    RelationSet {
        groups: ids(&r.groups),
        owns: ids(&r.owns),
        roles: r.roles.iter().map(|s| s.as_str().into()).collect(),
        licenses: r.licenses.iter().map(|s| s.as_str().into()).collect(),
        apps: r.apps.iter().map(|s| s.as_str().into()).collect(),
        manager: r.manager.as_deref().map(|m| id_of(w, m)),
    }
}

pub fn world() -> World {
    world_with(Settings::default())
}

/// An operation, or one to make from the world (whose handles it names) when it is applied.
pub trait IntoOp {
    fn into_op(self, w: &mut World) -> Op;
}

impl IntoOp for Op {
    fn into_op(self, _: &mut World) -> Op {
        self
    }
}

impl<F: FnOnce(&mut World) -> Op> IntoOp for F {
    fn into_op(self, w: &mut World) -> Op {
        self(w)
    }
}

pub fn apply(w: &mut World, op: impl IntoOp) -> Vec<Event> {
    let op = op.into_op(w);
    w.apply(&op)
        .unwrap_or_else(|e| panic!("{op:?} failed: {e}"))
}

/// The handles named `names`.
pub fn ids(w: &World, names: &[&str]) -> Vec<HandleId> {
    names.iter().map(|n| id_of(w, n)).collect()
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
    let handle = new_id(w, h, Kind::User);
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle,
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
    let handle = new_id(w, h, Kind::Group);
    apply(
        w,
        Op::Create {
            kind: Kind::Group,
            handle,
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
    let handle = new_id(w, h, Kind::User);
    apply(
        w,
        Op::Create {
            kind: Kind::User,
            handle,
            dir: Directory::Entra,
            object: NewObject {
                entra_props,
                ..Default::default()
            },
        },
    )
}

pub fn cloud_group(w: &mut World, h: &str, t: GroupType) -> Vec<Event> {
    let handle = new_id(w, h, Kind::Group);
    apply(
        w,
        Op::Create {
            kind: Kind::Group,
            handle,
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
pub fn assign(w: &mut World, kind: Kind, h: &str, rels: Rels) -> Vec<Event> {
    let op = Op::Assign {
        kind,
        handle: id_of(w, h),
        dir: Directory::Entra,
        rels: Box::new(resolve(w, &rels)),
    };
    apply(w, op)
}

pub fn ad_assign(w: &mut World, h: &str, rels: Rels) -> Vec<Event> {
    let op = Op::Assign {
        kind: Kind::User,
        handle: id_of(w, h),
        dir: Directory::Ad,
        rels: Box::new(resolve(w, &rels)),
    };
    apply(w, op)
}

pub fn groups(g: &[&str]) -> Rels {
    Rels {
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
    let handle = id_of(w, h);
    apply(
        w,
        Op::Delete {
            kind,
            handle,
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
    let users = users.iter().map(|u| id_of(w, u)).collect();
    apply(
        w,
        Op::Restore {
            users,
            groups: vec![],
            from: from.into(),
            recycle_bin,
            keep_relationships: keep,
            existing,
        },
    )
}

pub fn restore_ad(w: &mut World, users: &[&str], from: &str) -> Vec<Event> {
    let users = users.iter().map(|u| id_of(w, u)).collect();
    apply(
        w,
        Op::RestoreAd {
            users,
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

/// The world of the scenario format's example: alice (synced, manager bob, in AD group Finance),
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
        Rels {
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
        Rels {
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
        Rels {
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
        Rels {
            licenses: strs(&["Microsoft 365 E5"]),
            ..Default::default()
        },
    );
    w
}
