//! Steps and checks over sets of identities: what a selector picks when its step runs, and the
//! one verdict per `every` entry and check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hysim_engine::report::{Check, ScenarioReport};
use hysim_engine::scenario;

/// Twelve users in Sales (s01..s12), alice in Finance; Team holds s01..s03 in AD.
fn world() -> String {
    let mut w = String::from(
        "title: t\nworld:\n  ad:\n    domain: contoso.com\n    sync_ous: [Sales, Finance, Groups]\n    users:\n      alice: {ou: Finance}\n",
    );
    for i in 1..=12 {
        w.push_str(&format!("      s{i:02}: {{ou: Sales}}\n"));
    }
    w.push_str("    groups:\n      Team: {ou: Groups, members: [s01, s02, s03]}\n");
    w
}

fn run(steps: &str) -> ScenarioReport {
    let yaml = format!("{}{steps}", world());
    let s = scenario::parse("t.yaml", "t", yaml.as_bytes()).unwrap();
    scenario::run(&s).unwrap()
}

fn check<'a>(r: &'a ScenarioReport, subject: &str, name: &str) -> &'a Check {
    r.checks
        .iter()
        .find(|c| c.subject == subject && c.check == name)
        .unwrap_or_else(|| panic!("no check {subject} {name} in {:#?}", r.checks))
}

#[test]
fn an_ou_selector_picks_the_users_of_the_ou_and_keeps_them_once_deleted() {
    let r = run(
        "steps:\n  - delete: {users: {ou: Sales}, from: ad}\n  - delete: {users: {ou: Sales}, from: ad}\n",
    );
    let first = &r.steps[0].selected[0];
    assert_eq!(first.selector, "users {ou: Sales}");
    assert_eq!(first.count, 12);
    assert_eq!(first.first.len(), 10, "a report names the first ten");
    assert_eq!(first.first[0], "s01");
    assert_eq!(r.steps[0].events.len(), 12);
    // Deleted, they are still picked by the OU of their last AD object.
    assert_eq!(r.steps[1].selected[0].count, 12);
}

#[test]
fn member_of_reads_the_membership_of_the_steps_directory_when_it_runs() {
    let r = run(
        "steps:\n  - delete: {users: {member_of: Team}, from: ad}\n  - sync\n  - delete: {users: {member_of: Team}, from: entra}\n",
    );
    assert_eq!(r.steps[0].selected[0].count, 3, "the AD members of Team");
    // Deleted in AD and synced away: no live member left in either directory.
    assert_eq!(r.steps[2].selected[0].count, 0);
    assert!(r.steps[2].events.is_empty(), "a set of no one does nothing");
}

#[test]
fn all_picks_every_user_the_run_created_and_a_restore_is_one_session() {
    let r = run(
        "steps:\n  - backup: nightly\n  - delete: {users: {all: true}, from: entra, permanently: true}\n  - restore: {users: {ou: Sales}, from: nightly}\n",
    );
    assert_eq!(r.steps[1].selected[0].count, 13);
    assert_eq!(r.steps[2].selected[0].count, 12);
    let statuses = r.steps[2]
        .events
        .iter()
        .filter(|e| e.kind == hysim_engine::EventKind::RestoreStatus)
        .count();
    assert_eq!(statuses, 12, "one restore session of the twelve");
}

#[test]
fn every_gives_one_verdict_per_check_with_the_first_ten_failing() {
    let r = run(
        "steps:\n  - delete: {users: {ou: Sales}, from: entra}\n  - undelete: {user: s05, in: entra}\nexpect:\n  every:\n    - users: {ou: Sales}\n      selected: 12\n      entra: live\n      ad: live\n",
    );
    let s = "every[0]: users {ou: Sales}";
    assert!(check(&r, s, "selected").passed);
    let ad = check(&r, s, "ad");
    assert!(ad.passed);
    assert_eq!(ad.of.unwrap().passed, 12);
    let entra = check(&r, s, "entra");
    assert!(!entra.passed);
    let of = entra.of.unwrap();
    assert_eq!((of.selected, of.passed), (12, 1));
    assert_eq!(entra.failing.len(), 10, "the first ten failing");
    assert_eq!(entra.failing[0].handle, "s01");
    assert_eq!(entra.failing[0].actual, "soft_deleted");
    assert!(
        entra.failing.iter().all(|f| f.handle != "s05"),
        "s05 was undeleted"
    );
    assert_eq!(entra.actual, "11 of 12 failed");
}

#[test]
fn an_every_entry_that_picks_no_one_fails_unless_it_says_selected_0() {
    let r = run(
        "steps:\n  - sync\nexpect:\n  every:\n    - users: {ou: Nowhere}\n      entra: live\n    - users: {ou: Nowhere}\n      selected: 0\n      entra: live\n",
    );
    assert!(!check(&r, "every[0]: users {ou: Nowhere}", "selected").passed);
    assert!(check(&r, "every[1]: users {ou: Nowhere}", "selected").passed);
    assert!(!r.passed);
}
