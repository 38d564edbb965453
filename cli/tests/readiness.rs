//! `hysim readiness`: the README's example, the exit codes, the JSON and CSV forms, located
//! errors for bad input, and the same bytes on every run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{hysim, stderr, stdout};

const TRAPS: &str = "scenarios/37-readiness-traps.yaml";

/// The README's example is the first lines of the command's output.
#[test]
fn the_readme_shows_the_current_output() {
    let o = hysim(&["readiness", TRAPS]);
    let head: String = stdout(&o)
        .lines()
        .take(12)
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&head),
        "README.md's `hysim readiness` example differs from the command's output: paste the new output"
    );
}

#[test]
fn the_library_scenario_finds_its_traps_and_exits_1() {
    let o = hysim(&["readiness", TRAPS, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["incidents"],
        serde_json::json!([
            "cloud-only-deletion",
            "deletion-then-sync-recreation",
            "deleted-from-both",
            "deleted-from-both-ad-gone"
        ])
    );
    let causes = v["causes"].as_array().unwrap();
    let has = |incident: &str, rule: &str, what: &str, users: u64| {
        causes.iter().any(|c| {
            c["incident"] == incident
                && c["rule"] == rule
                && c["what"] == what
                && c["users"] == users
                && c["kind"] == "lost"
        })
    };
    // The role on a P1 tenant, in every incident.
    for incident in v["incidents"].as_array().unwrap() {
        assert!(
            has(incident.as_str().unwrap(), "VDC-8", "role", 1),
            "{causes:#?}"
        );
    }
    // The objectGUID anchor when the AD object is gone.
    assert!(
        has(
            "deleted-from-both-ad-gone",
            "AD-5",
            "hybrid link: a second cloud user",
            3
        ),
        "{causes:#?}"
    );
    for c in causes {
        for key in ["incident", "rule", "what", "users", "examples"] {
            assert!(c.get(key).is_some(), "no `{key}` in {c:#}");
        }
    }
    let alice = &v["users"][0];
    assert_eq!(alice["handle"], "alice");
    let first = &alice["incidents"][0];
    assert_eq!(first["incident"], "cloud-only-deletion");
    assert_eq!(
        first["lost"],
        serde_json::json!([{"what": "role Helpdesk Administrator", "rule": "VDC-8"}])
    );
    assert_eq!(
        first["changed"],
        serde_json::json!([{"what": "object id", "rule": "VDC-3"}])
    );
}

#[test]
fn csv_has_one_row_per_user_incident_and_lost_item() {
    let o = hysim(&["readiness", TRAPS, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("handle,incident,what,rule"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.contains(&"alice,cloud-only-deletion,role Helpdesk Administrator,VDC-8"));
    assert!(rows.contains(&"chen,deleted-from-both-ad-gone,owns Projects,AD-5"));
    assert_eq!(rows.len(), 15, "{text}");
}

/// Runbook 1's own world: Alice comes back whole (a P2 tenant protects her role), so nothing
/// is lost and the exit code is 0; `--user` prints her items in full.
#[test]
fn nothing_lost_exits_0_and_user_gives_the_detail() {
    let o = hysim(&[
        "readiness",
        "scenarios/01-cloud-only-deletion.yaml",
        "--user",
        "alice",
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", stderr(&o));
    assert!(text.contains("Nothing would be lost."), "{text}");
    assert!(
        text.contains("\nalice\n  cloud-only-deletion\n    changed: object id (VDC-3)"),
        "{text}"
    );
}

#[test]
fn bad_input_is_a_located_error_with_exit_2() {
    for (args, wanted) in [
        (
            vec!["readiness", TRAPS, "--user", "nobody"],
            "--user: no user 'nobody'",
        ),
        (
            vec!["readiness", TRAPS, "--user", "Payroll"],
            "--user: no user 'Payroll'",
        ),
        (
            vec!["readiness", "scenarios/nope.yaml"],
            "scenarios/nope.yaml",
        ),
    ] {
        let o = hysim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(wanted), "{args:?}: {err}");
        assert!(err.contains(TRAPS) || args[1] != TRAPS, "{args:?}: {err}");
    }
}

#[test]
fn the_same_bytes_on_every_run() {
    for format in ["text", "json", "csv"] {
        let a = hysim(&["readiness", TRAPS, "--format", format]);
        let b = hysim(&["readiness", TRAPS, "--format", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}
