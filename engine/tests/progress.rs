//! A long operation tells a watcher how far it has got (`World::set_progress`), for the bench
//! command's progress bars; being watched changes nothing the world does.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};

use hysim_engine::generate::{Incident, Tenant};
use hysim_engine::report::PROGRESS_EVERY;
use hysim_engine::{CycleKind, Event, Op, Progress, World};

type Calls = Arc<Mutex<Vec<(&'static str, usize, usize)>>>;

fn watcher() -> (Progress, Calls) {
    let calls: Calls = Arc::default();
    let seen = Arc::clone(&calls);
    let p: Progress = Arc::new(move |stage, done, total| {
        seen.lock().unwrap().push((stage, done, total));
    });
    (p, calls)
}

/// The tenant's runbook up to the final sync, watched or not: the events of every operation.
fn replay(tenant: &Tenant, progress: Option<Progress>) -> (World, Vec<Event>) {
    let mut w = tenant.world();
    w.set_progress(progress);
    let mut events = Vec::new();
    let ops = tenant
        .ad_ops()
        .chain([Op::Sync(CycleKind::Initial)])
        .chain(tenant.cloud_ops())
        .chain([Op::Backup("nightly".into())])
        .chain(tenant.incident_ops())
        .chain(tenant.restore_ops())
        .chain([tenant.final_sync()]);
    for op in ops {
        events.extend(w.apply(&op).unwrap());
    }
    (w, events)
}

/// The calls of one stage, in order.
fn stage(calls: &[(&'static str, usize, usize)], name: &str) -> Vec<(usize, usize)> {
    calls
        .iter()
        .filter(|c| c.0 == name)
        .map(|c| (c.1, c.2))
        .collect()
}

/// Each run of a stage starts at 0, moves by `PROGRESS_EVERY` and ends at its total.
fn assert_runs(calls: &[(usize, usize)], name: &str) {
    assert!(!calls.is_empty(), "{name}: never reported");
    let mut at = None;
    for &(done, total) in calls {
        assert!(done <= total, "{name}: {done} of {total}");
        match at {
            None => assert_eq!(done, 0, "{name}: a run starts at 0"),
            Some(prev) => assert!(
                done == prev + PROGRESS_EVERY || done == total,
                "{name}: {prev} then {done} of {total}"
            ),
        }
        at = (done != total).then_some(done);
    }
    assert_eq!(at, None, "{name}: the last run ended at its total");
}

#[test]
fn progress_of_cycles_backups_and_restore_sessions_without_changing_what_happens() {
    // Enough users for the initial cycle to report between its start and its end.
    let tenant = Tenant::generate(PROGRESS_EVERY + 500, 7, Incident::Purge);
    let (p, calls) = watcher();
    let (watched, watched_events) = replay(&tenant, Some(p));
    let calls = calls.lock().unwrap().clone();
    for name in [
        "export",
        "references",
        "Entra objects",
        "AD objects",
        "objects",
        "relations",
    ] {
        assert_runs(&stage(&calls, name), name);
    }
    // The initial cycle exported every AD object: its run reported part of the way too.
    let export = stage(&calls, "export");
    let first_total = export[0].1;
    assert!(first_total > PROGRESS_EVERY);
    assert!(export.contains(&(PROGRESS_EVERY, first_total)));
    // The restore session's run covers the touched users.
    let objects = stage(&calls, "objects");
    assert_eq!(
        objects.last(),
        Some(&(tenant.touched.len(), tenant.touched.len()))
    );

    let (unwatched, events) = replay(&tenant, None);
    assert_eq!(watched_events, events);
    assert_eq!(
        format!("{:?}", watched.graph()),
        format!("{:?}", unwatched.graph())
    );
}

#[test]
fn progress_of_an_ad_restore() {
    let tenant = Tenant::generate(300, 3, Incident::AdDelete);
    let (p, calls) = watcher();
    replay(&tenant, Some(p));
    let calls = calls.lock().unwrap().clone();
    // The AD backup and the VEAD restore report as "AD objects": the last run is the restore.
    let ad = stage(&calls, "AD objects");
    assert_runs(&ad, "AD objects");
    assert_eq!(
        ad.last(),
        Some(&(tenant.touched.len(), tenant.touched.len()))
    );
}

#[test]
fn a_scenario_run_reports_its_world_its_steps_and_the_same_report_watched_or_not() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let s =
        hysim_engine::scenario::load(&root.join("scenarios/01-cloud-only-deletion.yaml")).unwrap();
    let (p, calls) = watcher();
    let (watched, _) = hysim_engine::scenario::run::run_watched(&s, None, Some(p)).unwrap();
    let calls = calls.lock().unwrap().clone();
    assert_runs(&stage(&calls, "world"), "world");
    // Steps are reported one by one, from none done to all.
    let steps = stage(&calls, "steps");
    let expected: Vec<(usize, usize)> = (0..=s.steps.len()).map(|i| (i, s.steps.len())).collect();
    assert_eq!(steps, expected);
    // The world's own stages within the steps: the runbook syncs and restores.
    assert!(calls.iter().any(|c| c.0 == "export"));
    assert!(calls.iter().any(|c| c.0 == "objects"));
    let (plain, _) = hysim_engine::scenario::run::run_until(&s, None).unwrap();
    assert_eq!(
        serde_json::to_string(&watched).unwrap(),
        serde_json::to_string(&plain).unwrap()
    );
}
