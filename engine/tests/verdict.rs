//! The verdict of a run: per identity that had relations at the first backup, the relations kept,
//! lost and gained since, and the properties whose values changed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hysim_engine::query::{Delta, RelFact, Verdict};
use hysim_engine::scenario::{self, run::run_until};
use hysim_engine::{Value, World};

fn world_of(yaml: &str) -> World {
    let s = scenario::parse("t.yaml", "t", yaml.as_bytes()).unwrap();
    run_until(&s, None).unwrap().1
}

fn fact(kind: &'static str, target: &str) -> RelFact {
    RelFact {
        kind,
        target: target.into(),
    }
}

fn delta<'a>(v: &'a Verdict, h: &str) -> &'a Delta {
    v.deltas.iter().find(|d| d.handle == h).unwrap()
}

const WORLD: &str = "title: t
world:
  entra:
    users:
      carol: {displayName: Carol, jobTitle: Analyst}
      dave: {displayName: Dave}
      erin: {displayName: Erin}
    groups:
      Project X: {type: microsoft365, members: [carol]}
      Auditors: {members: [carol]}
    roles:
      Helpdesk Administrator: [carol]
";

#[test]
fn verdict_lists_kept_lost_gained_and_changed_properties() {
    let w = world_of(&format!(
        "{WORLD}steps:
  - backup: nightly
  - unassign: {{user: carol, groups: [Auditors]}}
  - assign: {{user: carol, apps: [Salesforce]}}
  - update: {{user: carol, in: entra, set: {{jobTitle: Lead, department: Sales}}}}
"
    ));
    let v = w.verdict().unwrap();
    assert_eq!(v.backup, "nightly");
    // Only identities with relations at the backup: carol (dave and erin have none, and the
    // groups hold no outgoing relations here).
    let handles: Vec<&str> = v.deltas.iter().map(|d| d.handle.as_str()).collect();
    assert_eq!(handles, ["carol"]);
    let d = delta(&v, "carol");
    assert!(d.live);
    assert_eq!(
        d.kept,
        [
            fact("group", "Project X"),
            fact("role", "Helpdesk Administrator")
        ]
    );
    assert_eq!(d.lost, [fact("group", "Auditors")]);
    assert_eq!(d.gained, [fact("app", "Salesforce")]);
    let changed: Vec<(String, Option<Value>, Option<Value>)> = d
        .properties
        .iter()
        .map(|p| (p.property.to_string(), p.backup.clone(), p.now.clone()))
        .collect();
    assert_eq!(
        changed,
        [
            ("department".into(), None, Some(Value::text("Sales"))),
            (
                "jobTitle".into(),
                Some(Value::text("Analyst")),
                Some(Value::text("Lead"))
            ),
        ]
    );
}

#[test]
fn verdict_of_a_deleted_identity_has_everything_lost_and_no_property_changes() {
    let w = world_of(&format!(
        "{WORLD}steps:
  - backup: nightly
  - delete: {{user: carol, from: entra, permanently: true}}
"
    ));
    let d = delta(&w.verdict().unwrap(), "carol").clone();
    assert!(!d.live);
    assert!(d.kept.is_empty() && d.gained.is_empty() && d.properties.is_empty());
    assert_eq!(d.lost.len(), 3);
}

#[test]
fn no_backup_no_verdict() {
    let w = world_of(&format!("{WORLD}steps:\n  - sync\n"));
    assert!(w.verdict().is_none());
}

#[test]
fn verdict_is_serializable_and_leaves_the_report_alone() {
    let yaml = format!("{WORLD}steps:\n  - backup: b\n");
    let s = scenario::parse("t.yaml", "t", yaml.as_bytes()).unwrap();
    let (report, w) = run_until(&s, None).unwrap();
    let j = serde_json::to_value(w.verdict().unwrap()).unwrap();
    assert_eq!(j["backup"], "b");
    assert_eq!(j["deltas"][0]["handle"], "carol");
    let keys: std::collections::BTreeSet<String> = serde_json::to_value(&report)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let expected = [
        "name",
        "file",
        "title",
        "passed",
        "world_events",
        "steps",
        "checks",
    ];
    assert_eq!(keys, expected.iter().map(|k| k.to_string()).collect());
}

/// `relations:` on an identity that had no Entra object at the backup (an AD user whose OU is
/// not in `sync_ous`) fails, kept or lost alike, and says why: it cannot hold vacuously.
#[test]
fn relations_check_fails_for_an_identity_with_nothing_at_the_backup() {
    let yaml = "title: t
world:
  ad:
    sync_ous: [Staff]
    users:
      alice: {ou: Staff}
      oscar: {ou: Contractors}
steps:
  - backup: nightly
  - sync
expect:
  alice: {relations: kept}
  oscar: {relations: kept}
";
    let s = scenario::parse("t.yaml", "t", yaml.as_bytes()).unwrap();
    let report = scenario::run(&s).unwrap();
    let check = |h: &str| {
        report
            .checks
            .iter()
            .find(|c| c.subject == h && c.check == "relations")
            .unwrap()
            .clone()
    };
    assert!(check("alice").passed);
    let oscar = check("oscar");
    assert!(!oscar.passed);
    assert_eq!(oscar.actual, serde_json::json!("nothing at backup"));
    assert!(
        oscar.detail.as_deref().unwrap().contains("sync_ous"),
        "{oscar:?}"
    );
}
