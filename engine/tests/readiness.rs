//! `hysim readiness` answers for each user what a replay of the same runbook on the whole world
//! answers: on the world of every library scenario after its steps, and on generated tenants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hysim_engine::World;
use hysim_engine::generate::{Incident as Gen, Tenant};
use hysim_engine::scenario::readiness::{
    Incident, assess_part, assess_whole, hybrid_users, settled_world,
};

/// Every user and incident of `w`: the replay on the user's neighbourhood and the replay on the
/// whole world give the same items; returns how many users were compared.
fn compare(w: &World, what: &str) -> usize {
    let users = hybrid_users(w);
    for h in &users {
        for incident in Incident::ALL {
            let part = assess_part(w, *h, incident).unwrap();
            let whole = assess_whole(w, *h, incident).unwrap();
            assert_eq!(
                part,
                whole,
                "{what}: user {} in {}: the neighbourhood's answer differs from the whole world's",
                w.handles().name(*h),
                incident.id()
            );
        }
    }
    users.len()
}

#[test]
fn readiness_answers_as_a_whole_world_replay_on_every_library_scenario() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut users = 0;
    for f in &files {
        let s = hysim_engine::scenario::load(f).unwrap();
        let w = settled_world(&s).unwrap();
        users += compare(&w, &f.display().to_string());
    }
    assert!(users > 50, "only {users} hybrid users compared");
}

/// A generated tenant with the traps readiness looks for: a P1 licence (roles not restored), the
/// objectGUID anchor and no AD Recycle Bin (a second cloud user when AD is gone), soft match
/// blocked and hard-match takeover blocked.
#[test]
fn readiness_answers_as_a_whole_world_replay_on_a_generated_tenant_with_traps() {
    let text = Tenant::generate(150, 6, Gen::AdDelete).to_yaml().replacen(
        "settings: {seed: 6,",
        "settings: {seed: 6, tenant_licence: p1, source_anchor: objectguid, ad_recycle_bin: false, block_hard_match_takeover: true, block_soft_match: true,",
        1,
    );
    assert!(
        text.contains("tenant_licence: p1"),
        "the settings line changed"
    );
    let s = hysim_engine::scenario::parse("traps.yaml", "traps", text.as_bytes()).unwrap();
    let w = settled_world(&s).unwrap();
    let users = compare(&w, "150 users with traps");
    assert!(users > 100, "only {users} hybrid users");
    let lost = hybrid_users(&w)
        .iter()
        .filter(|h| {
            assess_part(&w, **h, Incident::DeletedFromBothAdGone)
                .unwrap()
                .lost
                .iter()
                .any(|i| i.what == "hybrid link: a second cloud user")
        })
        .count();
    assert!(lost > 0, "no second cloud user in the tenant with traps");
}

#[test]
fn readiness_answers_as_a_whole_world_replay_on_generated_tenants() {
    for (n, seed, incident) in [
        (300, 1, Gen::Purge),
        (200, 2, Gen::AdDelete),
        (200, 3, Gen::Scope),
    ] {
        let text = Tenant::generate(n, seed, incident).to_yaml();
        let s =
            hysim_engine::scenario::parse("generated.yaml", "generated", text.as_bytes()).unwrap();
        let w = settled_world(&s).unwrap();
        let users = compare(&w, &format!("{n} users, seed {seed}"));
        assert!(users > n / 2, "only {users} hybrid users of {n}");
    }
}

/// Objects that are no relation of a user but share one of its values: a recycle-bin user
/// with its anchor, a cloud user holding the UPN it waits for.
#[test]
fn readiness_finds_the_objects_that_share_a_users_values() {
    let f =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/readiness/collisions.yaml");
    let s = hysim_engine::scenario::load(&f).unwrap();
    let report = hysim_engine::scenario::run(&s).unwrap();
    assert!(
        report.passed,
        "{:#?}",
        report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .collect::<Vec<_>>()
    );
    let w = settled_world(&s).unwrap();
    assert_eq!(compare(&w, "collisions"), 3);
    for name in ["ghost", "erin-cloud"] {
        let h = w.handle_id(name).unwrap();
        let near = |user: &str| w.neighbourhood(w.handle_id(user).unwrap()).contains(&h);
        assert!(
            near("alice") || near("erin"),
            "{name} is in no neighbourhood"
        );
    }
}

/// The report is the same on one thread as on several.
#[test]
fn readiness_is_the_same_on_any_number_of_threads() {
    use hysim_engine::scenario::readiness::{Ask, readiness};
    let text = Tenant::generate(120, 4, Gen::Purge).to_yaml();
    let s = hysim_engine::scenario::parse("generated.yaml", "generated", text.as_bytes()).unwrap();
    let json = |threads| {
        let ask = Ask {
            user: None,
            threads: Some(threads),
        };
        serde_json::to_string(&readiness(&s, &ask).unwrap()).unwrap()
    };
    let one = json(1);
    assert_eq!(one, json(3));
    assert_eq!(one, json(8));
}
