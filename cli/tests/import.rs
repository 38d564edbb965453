//! `hysim import` on the Contoso exports of the scenario library (scenarios/exports/contoso):
//! the report, the handle table and the anonymized scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn contoso() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/exports/contoso")
}

fn hysim(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn exports() -> (String, String) {
    let d = contoso();
    (
        d.join("graph").display().to_string(),
        d.join("contoso.ldf").display().to_string(),
    )
}

#[test]
fn the_report_counts_joins_scope_and_what_is_left_out() {
    let (graph, ldif) = exports();
    let (code, out, err) = hysim(&[
        "import", "--graph", &graph, "--ldif", &ldif, "--format", "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["joins"]["users"]["mS-DS-ConsistencyGuid"], 5);
    assert_eq!(
        r["joins"]["users"]["objectGUID"], 1,
        "the user without a ConsistencyGuid"
    );
    assert_eq!(
        r["joins"]["groups"]["objectSid"], 3,
        "the distribution group is not joined"
    );
    assert_eq!(r["anchor"]["attribute"], "ms-ds-consistencyguid");
    assert_eq!(r["outside_scope"][0]["name"], "svc-backup");
    assert_eq!(
        r["not_yet_synced"][0]["name"], "erin",
        "in the recycle bin, live in AD"
    );
    let dropped = r["dropped"].as_object().unwrap();
    for kind in [
        "AD distribution group",
        "distribution list",
        "group member of type device",
        "role assignment scoped to an administrative unit",
    ] {
        assert_eq!(dropped[kind]["count"], 1, "{kind}: {dropped:?}");
    }
}

#[test]
fn the_handle_table_names_every_identity_with_its_dn_and_ids() {
    let (graph, ldif) = exports();
    let csv = std::env::temp_dir().join(format!("hysim-handles-{}.csv", std::process::id()));
    let (code, _, err) = hysim(&[
        "import",
        "--graph",
        &graph,
        "--ldif",
        &ldif,
        "--handles",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let table = std::fs::read_to_string(&csv).unwrap();
    let _ = std::fs::remove_file(&csv);
    assert!(table.starts_with("handle,kind,ad_dn,entra_ids\n"));
    assert!(
        table.contains("kim,user,\"CN=Kim\\, Jordan,OU=Staff,DC=contoso,DC=com\",a11ce000-0000-4000-8000-000000000002\n"),
        "{table}"
    );
    assert!(
        table.contains("carol,user,,c4201000-0000-4000-8000-000000000010\n"),
        "{table}"
    );
    assert!(
        table.contains("fmartin,user,"),
        "the non-ASCII DN's user: {table}"
    );
}

#[test]
fn an_anonymized_tenant_names_nobody_and_is_a_valid_scenario_of_the_same_shape() {
    let (graph, ldif) = exports();
    let file = std::env::temp_dir().join(format!("hysim-anon-{}.yaml", std::process::id()));
    let (code, _, err) = hysim(&[
        "import",
        "--graph",
        &graph,
        "--ldif",
        &ldif,
        "--anonymize",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    for name in [
        "alice",
        "Alice",
        "Jordan",
        "Kim",
        "Fran",
        "contoso",
        "Contoso",
        "Salesforce",
        "Finance",
    ] {
        assert!(!text.contains(name), "{name} leaks: {text}");
    }
    assert_eq!(
        text.matches("\n      user").count(),
        9,
        "7 AD users and 2 cloud users: {text}"
    );
    let (code, out, err) = hysim(&["validate", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, Some(0), "{out}{err}");
}
