//! `hysim explain` and the end-of-run verdict of `hysim run`, run as a built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use hysim_engine::RuleId;

mod common;
use common::{hysim, root, stdout, temp};

const SCENARIO_01: &str = "scenarios/01-cloud-only-deletion.yaml";

#[test]
fn explain_tells_the_scenario_step_by_step_with_the_rules_from_the_catalogue() {
    let o = hysim(&["explain", SCENARIO_01]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    // The scenario: title, source, description.
    assert!(out.starts_with("Synced user removed from Entra ID only, restored before any sync\n"));
    assert!(out.contains(
        "Source: https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html"
    ));
    assert!(out.contains("Alice is synchronized from AD by Entra Connect."));
    // The world, then every step in order.
    let mut at = out.find("Before step 1: building the world").unwrap();
    for n in 1..=7 {
        let header = format!("\nStep {n}. ");
        let next = out[at..]
            .find(&header)
            .unwrap_or_else(|| panic!("no step {n}"));
        at += next;
    }
    // Step 3 purges alice: the event with its rule ID, and the rule's statement and source.
    let step3 = &out[out.find("\nStep 3. ").unwrap()..out.find("\nStep 4. ").unwrap()];
    assert!(step3.contains("purged alice: "), "{step3}");
    assert!(step3.contains("[ENTRA-2]"), "{step3}");
    for r in [RuleId::Entra1, RuleId::Entra2] {
        assert!(step3.contains(r.statement()), "{step3}");
        assert!(step3.contains(r.source()), "{step3}");
    }
    // A rule is explained once per step even when several events cite it.
    let step5 = &out[out.find("\nStep 5. ").unwrap()..out.find("\nStep 6. ").unwrap()];
    assert!(step5.matches("[VDC-4]").count() > 1, "{step5}");
    assert_eq!(
        step5.matches(RuleId::Vdc4.statement()).count(),
        1,
        "{step5}"
    );
    // The checks of a mid-run expect, and at the end.
    let step4 = &out[out.find("\nStep 4. ").unwrap()..out.find("\nStep 5. ").unwrap()];
    assert!(step4.contains("✓ alice entra: absent"), "{step4}");
    assert!(out.contains("\nAt the end\n"));
    assert!(out.contains("✓ alice relations: kept"));
    // What became of alice since the backup.
    assert!(out.contains("alice: 8 kept, 0 lost, 0 gained"), "{out}");
    assert!(
        out.contains("changed jobTitle: Analyst → Senior Analyst"),
        "{out}"
    );
    assert!(out.contains("33 passed, 0 failed"));
}

#[test]
fn explain_exit_codes_follow_run() {
    let failing = temp(
        "fails.yaml",
        "title: t\nworld:\n  entra:\n    users:\n      carol: {displayName: Carol}\nsteps:\n  - backup: b\nexpect:\n  carol: {entra: absent}\n",
    );
    let o = hysim(&["explain", failing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("✗ carol entra: absent  (expected absent, actual live)"),
        "{out}"
    );

    let o = hysim(&["explain", "scenarios/no-such-file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-file.yaml"));
    assert!(o.stdout.is_empty());
}

#[test]
fn explain_runs_every_bundled_scenario() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let o = hysim(&["explain", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", f.display());
        assert!(stdout(&o).contains("\nStep 1. "), "{}", f.display());
    }
}

#[test]
fn run_ends_each_scenario_with_what_became_of_each_identity_since_the_backup() {
    let o = hysim(&["run", SCENARIO_01]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let verdict = &out[out.find("  since backup 'nightly'\n").expect(&out)..];
    assert!(
        verdict.contains("\n    alice: 8 kept, 0 lost, 0 gained\n"),
        "{verdict}"
    );
    assert!(
        verdict.contains("\n      kept    app Salesforce, group Auditors, group Finance"),
        "{verdict}"
    );
    assert!(
        verdict.contains("\n      changed jobTitle: Analyst → Senior Analyst\n"),
        "{verdict}"
    );
    // It comes before the scenario's count line.
    assert!(verdict.contains("\n  33 passed, 0 failed\n"), "{verdict}");

    // Without Keep Relationships, alice loses her cloud relations.
    let o = hysim(&[
        "run",
        "scenarios/04-cloud-only-deletion-without-keep-relationships.yaml",
    ]);
    let out = stdout(&o);
    let alice = out
        .lines()
        .find(|l| l.starts_with("    alice: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!alice.contains(" 0 lost"), "{alice}");
    assert!(out.contains("\n      lost    "), "{out}");
}

#[test]
fn the_json_report_is_unchanged_by_the_verdict() {
    let o = hysim(&["run", "--format", "json", SCENARIO_01]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys: Vec<&String> = j["scenarios"][0].as_object().unwrap().keys().collect();
    let mut expected = [
        "name",
        "file",
        "title",
        "passed",
        "world_event_counts",
        "steps",
        "checks",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("since backup"));
}
