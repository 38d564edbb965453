//! Determinism: every bundled scenario run twice in this process, and once in a fresh process,
//! gives the same bytes of report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

use hysim_engine::report::Report;
use hysim_engine::scenario;

fn in_process() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Labels are relative to the repository's root, as `hysim run scenarios` names the files,
    // and an imported world's exports are found relative to its file.
    std::env::set_current_dir(&root).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut scenarios = Vec::new();
    for f in files {
        let label = format!("scenarios/{}", f.file_name().unwrap().to_string_lossy());
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let s = scenario::parse(&label, &name, &std::fs::read(&f).unwrap()).unwrap();
        scenarios.push(scenario::run(&s).unwrap());
    }
    let report = Report {
        passed: scenarios.iter().all(|s| s.passed),
        scenarios,
        errors: Vec::new(),
    };
    format!("{}\n", serde_json::to_string_pretty(&report).unwrap())
}

#[test]
fn every_bundled_scenario_gives_the_same_bytes_twice_and_in_a_fresh_process() {
    let first = in_process();
    let second = in_process();
    assert_eq!(first, second, "two runs in one process differ");
    let out = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(["run", "--format", "json", "--events", "all"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let fresh = String::from_utf8(out.stdout).unwrap();
    assert_eq!(first, fresh, "a fresh process gives other bytes");
}
