//! Criterion benchmarks: a delta sync cycle after one change, a VDC restore session of 1,000
//! purged users, an overwrite session of 2,000 users (1,000 of them purged), an overwrite of one
//! user with a tenth as many relations as the tenant has users, and a tenth of a group of every
//! user removed then synced, at 10,000 and 100,000 users; and the load of a generated scenario
//! file of 10,000 users (YAML parsed and validated). `cargo bench -p hysim-engine`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// The allocator of the `hysim` binary, so that the figures are the ones a run gets.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hysim_engine::generate::{Incident, Tenant};
use hysim_engine::store::propmap::Str;
use hysim_engine::store::{AdAttr, HandleId};
use hysim_engine::{
    CycleKind, Directory, Existing, Kind, Names, NewObject, Op, RelationSet, Settings, Value, World,
};

fn tenant_world(users: usize) -> (Tenant, World) {
    let t = Tenant::generate(users, 1, Incident::Purge);
    let mut w = t.world();
    w.set_detail(false);
    for op in t.ad_ops() {
        w.apply(&op).unwrap();
    }
    w.apply(&Op::Sync(CycleKind::Initial)).unwrap();
    for op in t.cloud_ops() {
        w.apply(&op).unwrap();
    }
    w.apply(&Op::Backup("nightly".into())).unwrap();
    (t, w)
}

/// A copy of `w` to run one sample on. A cloned table has no room to spare, so the first object
/// a sample adds would copy the whole table (milliseconds at 100k users) inside the timing: the
/// room is made here, as a generated tenant reserves it up front.
fn fresh(w: &World) -> World {
    let mut w = w.clone();
    w.reserve(4_096, 4_096, 65_536);
    w
}

/// An empty world without the deletion threshold, events off.
fn empty_world() -> World {
    let settings = Settings {
        deletion_threshold: None,
        ..Settings::default()
    };
    let mut w = World::new(
        settings,
        Names::new("contoso.com", None, None),
        1_767_603_600,
        Default::default(),
    );
    w.set_detail(false);
    w
}

/// Creates the object of a new handle `name`.
fn create(w: &mut World, kind: Kind, name: &str, dir: Directory) -> HandleId {
    let handle = w.intern(name, kind).unwrap();
    w.apply(&Op::Create {
        kind,
        handle,
        dir,
        object: NewObject::default(),
    })
    .unwrap();
    handle
}

/// A tenant whose users are all direct members of one synced AD group, "All Staff".
fn flat_group_world(users: usize) -> World {
    let mut w = empty_world();
    let ad = Directory::Ad;
    create(&mut w, Kind::Group, "All Staff", ad);
    for i in 0..users {
        create(&mut w, Kind::User, &format!("u{i}"), ad);
        w.apply(&member(i, true)).unwrap();
    }
    w.apply(&Op::Sync(CycleKind::Initial)).unwrap();
    w
}

/// A cloud user in `groups` groups at the backup "monday", then assigned `groups` more: the
/// world an overwrite of that user with Keep Relationships starts from.
fn wide_user_world(groups: usize) -> World {
    let mut w = empty_world();
    let cloud = Directory::Entra;
    let carol = create(&mut w, Kind::User, "carol", cloud);
    let assign = |groups: Vec<HandleId>| Op::Assign {
        kind: Kind::User,
        handle: carol,
        dir: Directory::Entra,
        rels: Box::new(RelationSet {
            groups,
            ..Default::default()
        }),
    };
    let before: Vec<HandleId> = (0..groups)
        .map(|i| create(&mut w, Kind::Group, &format!("g{i}"), cloud))
        .collect();
    let after: Vec<HandleId> = (0..groups)
        .map(|i| create(&mut w, Kind::Group, &format!("h{i}"), cloud))
        .collect();
    w.apply(&assign(before)).unwrap();
    w.apply(&Op::Backup("monday".into())).unwrap();
    w.apply(&assign(after)).unwrap();
    w
}

/// User `i` added to or removed from "All Staff" in AD (handles numbered as
/// [`flat_group_world`] makes them: the group first).
fn member(i: usize, add: bool) -> Op {
    let (kind, handle, dir) = (Kind::User, HandleId(i as u32 + 1), Directory::Ad);
    let rels = RelationSet {
        groups: vec![HandleId(0)],
        ..Default::default()
    };
    match add {
        true => Op::Assign {
            kind,
            handle,
            dir,
            rels: Box::new(rels),
        },
        false => Op::Unassign {
            kind,
            handle,
            dir,
            rels: Box::new(rels),
        },
    }
}

fn benches(c: &mut Criterion) {
    for users in [10_000, 100_000] {
        let (t, w) = tenant_world(users);
        let id = |name: &Str| w.handles().get(name).unwrap();
        let one = id(&t.users[0].handle);
        let mut g = c.benchmark_group(format!("{users} users"));
        g.sample_size(10);
        g.bench_function("delta sync after one change", |b| {
            b.iter_batched(
                || {
                    let mut w = fresh(&w);
                    w.apply(&Op::UpdateAd {
                        kind: Kind::User,
                        handle: one,
                        set: vec![(AdAttr::Department, Some(Value::text("Changed")))],
                    })
                    .unwrap();
                    w
                },
                // The world is returned so that dropping it is not timed.
                |mut w| {
                    w.apply(&Op::Sync(CycleKind::Delta)).unwrap();
                    w
                },
                BatchSize::LargeInput,
            )
        });
        let purged: Vec<HandleId> = t.users.iter().take(1_000).map(|u| id(&u.handle)).collect();
        let mut after = w.clone();
        for &h in &purged {
            after
                .apply(&Op::Delete {
                    kind: Kind::User,
                    handle: h,
                    from: Directory::Entra,
                    permanently: true,
                })
                .unwrap();
        }
        g.bench_function("restore session of 1000 purged users", |b| {
            b.iter_batched(
                || fresh(&after),
                |mut w| {
                    w.apply(&Op::Restore {
                        users: purged.clone(),
                        groups: vec![],
                        from: "nightly".into(),
                        recycle_bin: true,
                        keep_relationships: true,
                        existing: Existing::Skip,
                    })
                    .unwrap();
                    w
                },
                BatchSize::LargeInput,
            )
        });
        // Overwrite with Keep Relationships over 2,000 users, the 1,000 purged ones re-created:
        // the relations stage of the overwritten ones must not cost the re-created ones again.
        let mixed: Vec<HandleId> = t.users.iter().take(2_000).map(|u| id(&u.handle)).collect();
        g.bench_function("overwrite session of 2000 users, 1000 purged", |b| {
            b.iter_batched(
                || fresh(&after),
                |mut w| {
                    w.apply(&Op::Restore {
                        users: mixed.clone(),
                        groups: vec![],
                        from: "nightly".into(),
                        recycle_bin: true,
                        keep_relationships: true,
                        existing: Existing::Overwrite,
                    })
                    .unwrap();
                    w
                },
                BatchSize::LargeInput,
            )
        });
        // One user in a tenth as many groups as the tenant has users, given as many more since
        // the backup, overwritten from it: the session costs that user's relations, each looked
        // up once (VDC-2, ID-3), not their square.
        let wide = wide_user_world(users / 10);
        g.bench_function(
            "overwrite of one user in users/10 groups, given as many more",
            |b| {
                b.iter_batched(
                    || fresh(&wide),
                    |mut w| {
                        w.apply(&Op::Restore {
                            users: vec![wide.handles().get("carol").unwrap()],
                            groups: vec![],
                            from: "monday".into(),
                            recycle_bin: true,
                            keep_relationships: true,
                            existing: Existing::Overwrite,
                        })
                        .unwrap();
                        w
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        // A tenth of a large group's members removed in AD, and the delta cycle that removes
        // them from its Entra group: a removal costs the member's relations, not the group's.
        let flat = flat_group_world(users);
        g.bench_function(
            "a tenth of one group's members removed, then a delta sync",
            |b| {
                b.iter_batched(
                    || fresh(&flat),
                    |mut w| {
                        for i in 0..users / 10 {
                            w.apply(&member(i, false)).unwrap();
                        }
                        w.apply(&Op::Sync(CycleKind::Delta)).unwrap();
                        w
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        // One member removed from that group: the delta cycle flows the changed member, not
        // the group's whole membership (SYNC-7), so it costs the same at any group size.
        g.bench_function(
            "one of one group's members removed, then a delta sync",
            |b| {
                b.iter_batched(
                    || {
                        let mut w = fresh(&flat);
                        w.apply(&member(0, false)).unwrap();
                        w
                    },
                    |mut w| {
                        w.apply(&Op::Sync(CycleKind::Delta)).unwrap();
                        w
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        g.finish();
    }
}

/// The file path before the engine: a generated scenario file read into a validated scenario.
fn load(c: &mut Criterion) {
    let text = Tenant::generate(10_000, 1, Incident::Purge).to_yaml();
    let mut g = c.benchmark_group("scenario file of 10000 users");
    g.sample_size(10);
    g.bench_function("parsed and validated", |b| {
        b.iter(|| hysim_engine::scenario::parse("g.yaml", "g", text.as_bytes()).unwrap())
    });
    g.finish();
}

criterion_group!(engine, benches, load);
criterion_main!(engine);
