//! `hysim plan`: Veeam's documented order among the shortest passing orders of each runbook,
//! the exit codes, the JSON keys, the bound, and the same bytes on every run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{hysim, stderr, stdout, temp};

const RESTORE: &str = "restore: {users: [alice], from: nightly, recycle_bin: true, keep_relationships: true, existing: skip}";
const RESTORE_AD: &str = "restore_ad: {users: [alice], from: nightly}";
const DELETE: &str = "delete: {user: alice, from: entra, permanently: true}";

fn plan_json(file: &str) -> serde_json::Value {
    let o = hysim(&["plan", file, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The passing orders of the shortest length, as lists of step texts.
fn shortest(v: &serde_json::Value) -> Vec<Vec<String>> {
    let passing: Vec<Vec<String>> = serde_json::from_value(v["passing"].clone()).unwrap();
    let min = passing.iter().map(Vec::len).min().unwrap();
    passing.into_iter().filter(|p| p.len() == min).collect()
}

fn order(steps: &[&str]) -> Vec<String> {
    steps.iter().map(|s| s.to_string()).collect()
}

#[test]
fn veeams_order_is_among_the_shortest_passing_orders_of_each_runbook() {
    for (file, veeam) in [
        (
            "scenarios/01-cloud-only-deletion.yaml",
            order(&[RESTORE, "sync"]),
        ),
        (
            "scenarios/02-deletion-then-sync-recreation.yaml",
            order(&[DELETE, RESTORE, "sync"]),
        ),
        (
            "scenarios/03-deleted-from-both.yaml",
            order(&[RESTORE, RESTORE_AD, "sync"]),
        ),
    ] {
        let v = plan_json(file);
        assert!(shortest(&v).contains(&veeam), "{file}: {:#}", v["passing"]);
        for key in ["explored", "distinct_states", "passing", "failing"] {
            assert!(v.get(key).is_some(), "{file}: no `{key}`");
        }
        assert_eq!(v["explored"], 65, "{file}");
        assert_eq!(v["bound_hit"], false, "{file}");
        // Every failing family is explained by the rule of an event.
        for f in v["failing"].as_array().unwrap() {
            assert!(f["rule"].is_string(), "{file}: {f:#}");
            assert!(f["example"].is_array(), "{file}: {f:#}");
        }
    }
}

#[test]
fn restoring_before_deleting_the_sync_created_user_is_blamed_on_vdc_3() {
    let v = plan_json("scenarios/02-deletion-then-sync-recreation.yaml");
    let family = v["failing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["example"] == serde_json::json!([RESTORE]))
        .expect("a family whose example is the restore alone");
    assert_eq!(family["rule"], "VDC-3");
    assert!(
        family["cause"]
            .as_str()
            .unwrap()
            .contains("cannot map alice"),
        "{family:#}"
    );
}

#[test]
fn the_output_is_the_same_bytes_every_time() {
    for format in ["text", "json"] {
        let a = hysim(&[
            "plan",
            "scenarios/02-deletion-then-sync-recreation.yaml",
            "--format",
            format,
        ]);
        let b = hysim(&[
            "plan",
            "scenarios/02-deletion-then-sync-recreation.yaml",
            "--format",
            format,
        ]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn the_bound_is_reported() {
    let o = hysim(&[
        "plan",
        "scenarios/01-cloud-only-deletion.yaml",
        "--max-orders",
        "10",
    ]);
    // The first ten orders, depth first, hold delete, restore, sync: it passes.
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("stopped at --max-orders: 55 of 65 orders not explored"),
        "{}",
        stdout(&o)
    );
    let o = hysim(&[
        "plan",
        "scenarios/01-cloud-only-deletion.yaml",
        "--max-orders",
        "10",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["explored"], 10);
    assert_eq!(v["bound_hit"], true);
}

#[test]
fn exit_1_when_no_order_passes_and_2_on_input_errors() {
    let none = temp(
        "plan-none.yaml",
        "title: t
world:
  ad:
    users:
      alice: {}
steps:
  - backup: nightly
  - delete: {user: alice, from: ad}
expect:
  alice: {ad: live}
plan:
  incident: 2
  candidates:
    - sync
",
    );
    let o = hysim(&["plan", none.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("no order meets every expectation"));
    let o = hysim(&[
        "plan",
        "scenarios/04-cloud-only-deletion-without-keep-relationships.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `plan` section"), "{}", stderr(&o));
    let o = hysim(&["plan", "tests/bad-input/plan-unknown-handle.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("plan.candidates[1].delete.user"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn six_candidates_make_1957_orders() {
    let v = plan_json("tests/plan/six-candidates.yaml");
    assert_eq!(v["explored"], 1957);
    assert_eq!(v["orders"], 1957);
    // Identical states are explored once: far fewer states than orders.
    assert!(v["distinct_states"].as_u64().unwrap() < 1957);
}

/// The README's example is the command's output.
#[test]
fn the_readme_shows_the_current_output() {
    let o = hysim(&["plan", "scenarios/02-deletion-then-sync-recreation.yaml"]);
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&stdout(&o)),
        "README.md's `hysim plan` example differs from the command's output: paste the new output"
    );
}
