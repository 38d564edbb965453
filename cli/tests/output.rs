//! What `hysim run` shows: the failed checks at the end, `--failures-only`, the identities that
//! changed since the backup, events counted past the first of a step, and every file that
//! loaded reported beside the ones that did not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;

const FAILING: &str = "title: a failing check
world:
  ad:
    domain: contoso.com
    users:
      alice: {ou: Sales}
steps:
  - backup: nightly
  - delete: {user: alice, from: entra}
  - expect:
      alice: {entra: live}
";

const BROKEN: &str = "title: broken
world: {}
steps:
  - delete: {user: nobody, from: ad}
";

const SCENARIO_36: &str = "scenarios/36-ou-deleted-by-script-threshold-and-vead.yaml";

#[test]
fn the_text_run_ends_with_the_failed_checks_by_file_and_step() {
    let f = temp("output/failing.yaml", FAILING);
    let o = hysim(&[
        "run",
        "scenarios/01-cloud-only-deletion.yaml",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let tail = out.split("failed checks\n").nth(1).expect(&out);
    assert!(
        tail.starts_with(&format!("== {} — a failing check\n", f.display())),
        "{tail}"
    );
    assert!(tail.contains("step 3: ✗ alice entra: live"), "{tail}");
    assert!(!tail.contains("01-cloud-only-deletion"), "{tail}");
    assert!(
        tail.ends_with("2 scenarios run\ntotal: 33 passed, 1 failed\n"),
        "{tail}"
    );
}

#[test]
fn failures_only_prints_the_failing_scenarios_and_checks() {
    let f = temp("output/failing-only.yaml", FAILING);
    let o = hysim(&[
        "run",
        "--failures-only",
        "scenarios/01-cloud-only-deletion.yaml",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().filter(|l| l.contains('✗')).count(), 1, "{out}");
    assert!(!out.contains('✓'), "{out}");
    assert!(!out.contains("backup-taken"), "{out}");
    assert!(!out.contains("01-cloud-only-deletion"), "{out}");
}

#[test]
fn since_backup_lists_the_changed_identities_and_counts_the_rest() {
    let o = hysim(&["run", SCENARIO_36]);
    let out = stdout(&o);
    let since = out.split("since backup 'nightly'\n").nth(1).expect(&out);
    let first = since.lines().next().unwrap();
    assert_eq!(
        first,
        "    701 identities with relations at the backup: every relation kept, none gained, no property changed"
    );
}

#[test]
fn events_past_the_first_100_of_a_step_are_counted_unless_all_are_asked() {
    let o = hysim(&["run", SCENARIO_36]);
    let out = stdout(&o);
    assert!(out.contains("        … 600 more events not listed (--events all lists them); the step's events: 700 ad-deleted [AD-2]\n"), "{out}");
    assert_eq!(out.matches("ad-deleted s0").count(), 100);
    let all = stdout(&hysim(&["run", "--events", "all", SCENARIO_36]));
    assert_eq!(all.matches("ad-deleted s0").count(), 700);

    let json: serde_json::Value =
        serde_json::from_slice(&hysim(&["run", "--format", "json", SCENARIO_36]).stdout).unwrap();
    let s = &json["scenarios"][0];
    assert!(s.get("world_events").is_none());
    assert_eq!(s["world_event_counts"][0]["kind"], "ad-created");
    assert_eq!(s["world_event_counts"][0]["count"], 702);
    assert_eq!(s["steps"][1]["events_omitted"], 600);
    assert_eq!(s["steps"][1]["selected"][0]["count"], 700);
    let full: serde_json::Value = serde_json::from_slice(
        &hysim(&["run", "--format", "json", "--events", "all", SCENARIO_36]).stdout,
    )
    .unwrap();
    let counted: u64 = s["world_event_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    let listed = full["scenarios"][0]["world_events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        listed as u64, counted,
        "the counts add up to the events listed"
    );
}

#[test]
fn a_file_with_input_errors_is_reported_beside_the_files_that_ran() {
    let broken = temp("output/broken.yaml", BROKEN);
    let b = broken.to_str().unwrap();
    let json = hysim(&[
        "run",
        "--format",
        "json",
        "scenarios/01-cloud-only-deletion.yaml",
        b,
    ]);
    assert_eq!(json.status.code(), Some(2), "an input error exits 2");
    let j: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(j["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(j["passed"], false);
    assert_eq!(j["errors"][0]["file"], b);
    assert_eq!(j["errors"][0]["path"], "steps[0].delete.user");

    let junit = hysim(&[
        "run",
        "--format",
        "junit",
        "scenarios/01-cloud-only-deletion.yaml",
        b,
    ]);
    assert_eq!(junit.status.code(), Some(2));
    let xml = stdout(&junit);
    assert!(xml.contains("01-cloud-only-deletion"), "{xml}");
    assert!(xml.contains("unknown user 'nobody'"), "{xml}");

    let text = hysim(&["run", "scenarios/01-cloud-only-deletion.yaml", b]);
    assert_eq!(text.status.code(), Some(2));
    assert!(stdout(&text).contains("1 scenario run"));
    assert!(stderr(&text).contains("unknown user 'nobody'"));
}

#[test]
fn the_world_warns_of_what_it_could_not_build_as_written() {
    let f = temp(
        "output/warnings.yaml",
        "title: t
world:
  ad:
    domain: contoso.com
    sync_ous: [Staff]
    users:
      alice: {ou: Staff}
      bob: {ou: Contractors}
  entra:
    groups:
      Project: {type: microsoft365, members: [alice, bob]}
    licenses:
      E3: [bob]
steps:
  - sync
",
    );
    let o = hysim(&["run", f.to_str().unwrap()]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[1],
        "  world: bob: 2 operations of the world not carried out as written (bob has no live object in Entra ID); its AD object is in OU Contractors, outside Entra Connect's scope (`sync_ous`), so it never reached Entra ID"
    );
    assert!(lines[2].starts_with("   1. sync"), "{out}");
    let j: serde_json::Value =
        serde_json::from_slice(&hysim(&["run", "--format", "json", f.to_str().unwrap()]).stdout)
            .unwrap();
    assert_eq!(j["scenarios"][0]["world_warnings"][0]["subject"], "bob");
    assert_eq!(j["scenarios"][0]["world_warnings"][0]["count"], 2);
    let explained = stdout(&hysim(&["explain", f.to_str().unwrap()]));
    assert!(
        explained.contains("Not as written: bob: 2 operations"),
        "{explained}"
    );
}
