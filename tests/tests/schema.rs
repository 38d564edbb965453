//! The JSON Schema of the scenario format (`hysim schema`): every bundled scenario is valid
//! against it, and malformed files that the loader refuses for their shape are refused by it too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use hysim_engine::scenario;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

/// A YAML file as the JSON value an editor's YAML language server checks against the schema.
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    let schema = scenario::schema();
    jsonschema::draft7::new(&schema).expect("the schema is a valid draft 7 schema")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_schema_is_draft_7_and_describes_a_scenario() {
    let s = scenario::schema();
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(s["type"], "object");
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["title", "world", "steps"]);
    assert_eq!(s["additionalProperties"], false);
    assert!(jsonschema::meta::is_valid(&s));
}

#[test]
fn every_bundled_scenario_is_valid_against_the_schema() {
    let v = validator();
    let files = yaml_files(&root().join("scenarios"));
    assert!(files.len() >= 7);
    for f in files {
        let doc = as_json(&f);
        let errs = errors(&v, &doc);
        assert!(errs.is_empty(), "{}: {errs:#?}", f.display());
        // The loader agrees: the file is a valid scenario.
        scenario::load(&f).unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
    }
}

#[test]
fn malformed_files_are_refused_by_the_schema() {
    let v = validator();
    for name in [
        "unknown-key-top",
        "unknown-key-world",
        "unknown-key-ad",
        "unknown-key-entra",
        "unknown-key-settings",
        "unknown-key-step",
        "unknown-key-check",
        "step-two-keys",
        "unknown-step",
        "unknown-bare-step",
        "type-steps",
        "type-step-body",
        "type-title",
        "type-world",
        "type-ad-users",
        "type-user-ou",
        "type-expect",
        "type-check",
        "missing-title",
        "no-steps",
        "bad-setting-anchor",
        "bad-error-code",
    ] {
        let path = root().join("tests/bad-input").join(format!("{name}.yaml"));
        let doc = as_json(&path);
        assert!(
            !errors(&v, &doc).is_empty(),
            "{name}.yaml is valid against the schema"
        );
        // The loader refuses it too.
        assert!(scenario::load(&path).is_err(), "{name}.yaml loads");
    }
}

#[test]
fn a_step_is_sync_or_a_map_with_exactly_one_step_key() {
    let v = validator();
    let with_steps =
        |steps: serde_json::Value| serde_json::json!({"title": "t", "world": {}, "steps": steps});
    for ok in [
        serde_json::json!(["sync"]),
        serde_json::json!([{"sync": null}, {"sync": "initial"}, {"backup": "b"}, {"wait": "1d12h"}]),
        serde_json::json!([{"expect": {"alice": {"hybrid": true, "manager": null}, "restore": {"alice": "warning"}, "sync": {"errors": []}}}]),
        serde_json::json!([{"expect": {"sync": {"export": "completed"}}}]),
        serde_json::json!([{"create": {"user": "dave", "in": "ad", "ou": "Staff", "displayName": "Dave", "employeeID": 7}}]),
    ] {
        let errs = errors(&v, &with_steps(ok.clone()));
        assert!(errs.is_empty(), "{ok}: {errs:#?}");
    }
    for bad in [
        serde_json::json!(["backup"]),
        serde_json::json!([{}]),
        serde_json::json!([{"sync": "full"}]),
        serde_json::json!([{"backup": "b", "sync": null}]),
        serde_json::json!([{"expect": {"restore": {"alice": "partial"}}}]),
        serde_json::json!([{"restore": {"users": ["alice"], "from": "b", "existing": "merge"}}]),
    ] {
        assert!(
            !errors(&v, &with_steps(bad.clone())).is_empty(),
            "{bad} is valid"
        );
    }
}

#[test]
fn a_step_may_carry_a_quiz_beside_its_key_and_a_candidate_may_not() {
    let v = validator();
    let doc = |steps: serde_json::Value, candidates: serde_json::Value| {
        serde_json::json!({"title": "t", "world": {}, "steps": steps,
            "plan": {"incident": 1, "candidates": candidates}})
    };
    let quiz = serde_json::json!([{"alice": ["object_id", "properties.jobTitle"]}, {"restore": "alice"}, {"sync": "errors"}]);
    let ok = doc(
        serde_json::json!([{"sync": null, "quiz": quiz}, {"expect": {"alice": {"hybrid": true}}, "quiz": []}]),
        serde_json::json!(["sync"]),
    );
    let errs = errors(&v, &ok);
    assert!(errs.is_empty(), "{errs:#?}");
    for bad in [
        doc(
            serde_json::json!([{"quiz": quiz}]),
            serde_json::json!(["sync"]),
        ),
        doc(
            serde_json::json!([{"sync": null, "quiz": {"alice": "hybrid"}}]),
            serde_json::json!(["sync"]),
        ),
        doc(
            serde_json::json!(["sync"]),
            serde_json::json!([{"sync": null, "quiz": quiz}]),
        ),
    ] {
        assert!(!errors(&v, &bad).is_empty(), "{bad} is valid");
    }
}

#[test]
fn the_step_schema_names_every_step_kind() {
    let s = scenario::schema();
    let variants = s["definitions"]["Step"]["oneOf"].as_array().unwrap();
    let mut keys: Vec<&str> = Vec::new();
    for v in variants {
        match v["type"].as_str().unwrap() {
            "string" => assert_eq!(v["enum"], serde_json::json!(["sync"])),
            "object" => {
                let required = v["required"].as_array().unwrap();
                assert_eq!(required.len(), 1);
                assert_eq!(v["additionalProperties"], false);
                keys.push(required[0].as_str().unwrap());
            }
            other => panic!("unexpected step schema type {other}"),
        }
    }
    assert_eq!(keys, scenario::format::STEP_KINDS);
}

#[test]
fn generated_tenants_are_valid_against_the_schema() {
    use hysim_engine::generate::{Incident, Tenant};
    let v = validator();
    for incident in [Incident::Purge, Incident::Scope, Incident::AdDelete] {
        let yaml = Tenant::generate(60, 3, incident).to_yaml();
        scenario::parse("generated.yaml", "generated", yaml.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e:?}", incident.name()));
        let doc: serde_json::Value = serde_yaml::from_str(&yaml).unwrap();
        let errs = errors(&v, &doc);
        assert!(errs.is_empty(), "{}: {errs:#?}", incident.name());
    }
}
