//! The command line, run as a built binary: exit codes, messages and the JSON report's shape.
//! (These live beside the binary: Cargo gives its path only to its own package's tests.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{hysim, stderr, stdout, temp};

const PASSING: &str = "title: t\nworld:\n  entra:\n    users:\n      carol: {displayName: Carol}\nsteps:\n  - backup: b\nexpect:\n  carol: {entra: live}\n";

#[test]
fn exit_0_when_every_check_passes() {
    let o = hysim(&["run"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("== 01-cloud-only-deletion"));
    assert!(out.lines().last().unwrap().starts_with("total: "));
    assert!(out.contains(" 0 failed"));
}

#[test]
fn exit_1_when_a_check_fails_with_expected_and_actual() {
    let f = temp(
        "fails.yaml",
        &PASSING.replace("{entra: live}", "{entra: absent}"),
    );
    let o = hysim(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("✗ carol entra: absent  (expected absent, actual live)"),
        "{out}"
    );
    assert!(out.contains("total: 0 passed, 1 failed"), "{out}");
}

#[test]
fn exit_2_on_input_errors_reporting_every_file() {
    let bad1 = temp(
        "bad1.yaml",
        "title: t\nworld: {}\nsteps:\n  - delete: {user: alcie, from: entra}\n",
    );
    let bad2 = temp(
        "bad2.yaml",
        "title: t\nworld: {}\nsteps: [sync]\nbogus: 1\n",
    );
    let o = hysim(&["run", bad1.to_str().unwrap(), bad2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad1.yaml: steps[0].delete.user: unknown user 'alcie' (known: none)"),
        "{err}"
    );
    assert!(
        err.contains("bad2.yaml:4:1: unknown field `bogus`"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "nothing runs when a file is bad");
}

#[test]
fn exit_2_names_the_path_and_the_known_handles() {
    let f = temp(
        "unknown.yaml",
        "title: t\nworld:\n  entra:\n    users: {alice: {}, bob: {}, carol: {}}\nsteps:\n  - backup: b\n  - sync\n  - sync\n  - restore: {users: [alcie], from: b}\n",
    );
    let o = hysim(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("steps[3].restore.users[0]: unknown user 'alcie' (known: alice, bob, carol)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_exits_0_on_the_bundled_scenarios() {
    let o = hysim(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok  scenarios/01-cloud-only-deletion.yaml"));
}

#[test]
fn missing_file_and_empty_folder_are_input_errors() {
    let o = hysim(&["run", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.yaml: no such file or folder"));
    let dir = std::env::temp_dir().join(format!("hysim-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = hysim(&["validate", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no scenario in this folder"));
}

#[test]
fn json_report_has_the_shape_of_section_3() {
    let o = hysim(&["run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["passed", "scenarios"]);
    // Keys come in the order of section 3 (serde_json sorts them when parsed, so look at the text).
    let text = String::from_utf8_lossy(&o.stdout);
    let order = [
        "\"name\"",
        "\"file\"",
        "\"title\"",
        "\"passed\"",
        "\"steps\"",
        "\"checks\"",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("    {k}")).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    assert_eq!(v["passed"], true);
    for s in v["scenarios"].as_array().unwrap() {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        for k in ["name", "file", "title", "passed", "steps", "checks"] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        assert!(s["file"].as_str().unwrap().starts_with("scenarios/"));
        for (i, step) in s["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(step["n"], i + 1);
            assert!(step["step"].is_string());
            for e in step["events"].as_array().unwrap() {
                let ek: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(
                    ek,
                    ["kind", "message", "rule", "subject"],
                    "exactly these keys"
                );
                let kind = e["kind"].as_str().unwrap();
                assert!(
                    kind.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                    "{kind}"
                );
                assert!(hysim_rule(e["rule"].as_str().unwrap()), "{}", e["rule"]);
            }
        }
        for c in s["checks"].as_array().unwrap() {
            for k in ["step", "subject", "check", "expected", "actual", "passed"] {
                assert!(c.get(k).is_some(), "{k} in {c}");
            }
            assert!(c["step"].is_null() || c["step"].is_u64());
        }
    }
    // Deterministic: the same files give the same bytes.
    let again = hysim(&["run", "--format", "json"]);
    assert_eq!(o.stdout, again.stdout);
}

fn hysim_rule(id: &str) -> bool {
    let prefixes = ["ID-", "AD-", "ENTRA-", "SYNC-", "VDC-", "VEAD-", "INV-"];
    prefixes.iter().any(|p| id.starts_with(p))
}

#[test]
fn a_passing_file_exits_0_with_summary() {
    let f = temp("passes.yaml", PASSING);
    let o = hysim(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("total: 1 passed, 0 failed"));
}

#[test]
fn named_values_match_ignoring_case() {
    let f = temp(
        "case.yaml",
        "title: t\nsettings: {source_anchor: mS-DS-ConsistencyGuid, tenant_licence: P1}\nworld:\n  ad:\n    users:\n      alice: {ou: Staff}\nsteps:\n  - sync: Initial\n  - delete: {user: alice, from: Entra}\nexpect:\n  alice: {entra: Soft_Deleted, ad: LIVE}\n",
    );
    let o = hysim(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("✓ alice entra: soft_deleted"),
        "{}",
        stdout(&o)
    );
}
