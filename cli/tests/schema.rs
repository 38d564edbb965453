//! `hysim schema`, run as a built binary: a JSON Schema (draft 7) of the scenario format that
//! the bundled scenarios satisfy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .arg("schema")
        .output()
        .expect("the hysim binary runs");
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty());
    serde_json::from_slice(&o.stdout).expect("`hysim schema` prints JSON")
}

#[test]
fn prints_a_draft_7_json_schema_of_a_scenario() {
    let s = schema();
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(s["title"], "hysim scenario");
    assert_eq!(s["type"], "object");
    for key in [
        "title",
        "source",
        "description",
        "settings",
        "world",
        "steps",
        "expect",
    ] {
        assert!(s["properties"][key].is_object(), "{key}");
    }
    assert!(jsonschema::meta::is_valid(&s));
    // The same bytes every time.
    let again = schema();
    assert_eq!(s, again);
}

#[test]
fn a_bundled_scenario_is_valid_against_the_printed_schema() {
    let s = schema();
    let v = jsonschema::draft7::new(&s).unwrap();
    let text =
        std::fs::read_to_string(root().join("scenarios/01-cloud-only-deletion.yaml")).unwrap();
    let doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
