//! A world written as exports (an LDIF file and a Graph export) and imported again is the same
//! world: every identity has the same objects, ids, properties and relations, and the sync's
//! joins are in place (no cycle is needed to rebuild them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use hysim_engine::generate::{Incident, Tenant};
use hysim_engine::import::{self, tenant::Options};
use hysim_engine::store::{AdAttr, EntraProp, Handles, Str};
use hysim_engine::*;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hysim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The world an import builds, as a scenario builds it.
fn imported_world(original: &World, imported: &import::tenant::Imported) -> World {
    let mut handles = Handles::default();
    for i in &imported.identities {
        handles
            .intern(&Str::from(i.handle.as_str()), i.kind)
            .unwrap();
    }
    let mut w = World::new(
        original.settings().clone(),
        original.names().clone(),
        original.now(),
        Arc::new(handles),
    );
    w.set_sync_ous(imported.sync_ous.clone());
    w.apply(&Op::Adopt(Arc::new(imported.capture.clone())))
        .unwrap();
    w.check_all_invariants().unwrap();
    w
}

#[test]
fn import_a_generated_tenant_round_trips_through_its_exports() {
    let tenant = Tenant::generate(300, 7, Incident::Purge);
    let original = tenant.built().unwrap();
    let dir = temp_dir("round-trip");
    let (ldif, graph) = (dir.join("tenant.ldf"), dir.join("graph"));
    import::write::exports(&original, &ldif, &graph).unwrap();
    let imported = import::read(Some(&graph), Some(&ldif), &Options::default()).unwrap();
    assert!(
        imported.report.orphans.is_empty()
            && imported.report.outside_scope.is_empty()
            && imported.report.not_yet_synced.is_empty(),
        "{}",
        imported.report.text()
    );
    let w = imported_world(&original, &imported);
    let mut names: Vec<String> = original
        .handles()
        .all()
        .map(|h| original.handles().name(h).to_string())
        .collect();
    names.sort();
    let mut imported_names: Vec<String> = imported
        .identities
        .iter()
        .map(|i| i.handle.clone())
        .collect();
    imported_names.sort();
    assert_eq!(names, imported_names, "the same handles");
    for name in &names {
        let (a, b) = (
            original.handle_id(name).unwrap(),
            w.handle_id(name).unwrap(),
        );
        let what = |x: &str| format!("{name}: {x}");
        assert_eq!(
            original.hybrid(a).unwrap(),
            w.hybrid(b).unwrap(),
            "{}",
            what("hybrid")
        );
        assert_eq!(
            original.object_id(a).unwrap(),
            w.object_id(b).unwrap(),
            "{}",
            what("object id")
        );
        assert_eq!(
            original.object_guid(a),
            w.object_guid(b),
            "{}",
            what("objectGUID")
        );
        assert_eq!(original.count(a), w.count(b), "{}", what("count"));
        assert_eq!(
            original.relation_facts(a).unwrap(),
            w.relation_facts(b).unwrap(),
            "{}",
            what("cloud relations")
        );
        assert_eq!(
            original.ad_groups(a),
            w.ad_groups(b),
            "{}",
            what("AD groups")
        );
        assert_eq!(
            original.ad_manager(a),
            w.ad_manager(b),
            "{}",
            what("AD manager")
        );
        for p in EntraProp::ALL {
            assert_eq!(
                original.entra_property(a, *p).unwrap(),
                w.entra_property(b, *p).unwrap(),
                "{}",
                what(p.name())
            );
        }
        for attr in AdAttr::ALL {
            assert_eq!(
                original.ad_property(a, *attr),
                w.ad_property(b, *attr),
                "{}",
                what(attr.name())
            );
        }
    }
    // The joins are in place: a delta cycle has nothing to do, and an initial one does what it
    // does on the world that was written.
    let (mut w, mut original) = (w, original);
    w.apply(&Op::Sync(CycleKind::Delta)).unwrap();
    let delta = w.last_cycle().unwrap();
    assert_eq!((delta.adds, delta.updates, delta.deletes), (0, 0, 0));
    let initial = |w: &mut World| {
        let events = w.apply(&Op::Sync(CycleKind::Initial)).unwrap();
        let c = w.last_cycle().unwrap();
        let mut lines: Vec<String> = events.iter().map(|e| e.message.clone()).collect();
        lines.sort();
        ((c.adds, c.updates, c.deletes), lines)
    };
    assert_eq!(initial(&mut w), initial(&mut original), "an initial cycle");
    let _ = std::fs::remove_dir_all(&dir);
}
