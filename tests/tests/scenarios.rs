//! One insta snapshot per bundled scenario file: its report (events and checks), and every
//! scenario's own expectations must pass. With `CI=true` a missing or changed snapshot fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use hysim_engine::scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

#[test]
fn bundled_scenarios_pass_and_match_their_snapshots() {
    let files = scenario_files();
    assert!(
        files.len() >= 7,
        "the documented runbooks and their variants are bundled"
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let label = format!("scenarios/{}", path.file_name().unwrap().to_string_lossy());
        let bytes = std::fs::read(&path).unwrap();
        let s = scenario::parse(&label, &name, &bytes).unwrap_or_else(|e| panic!("{label}: {e:?}"));
        let report = scenario::run(&s).unwrap_or_else(|e| panic!("{label}: {e}"));
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| {
                format!(
                    "{} {}: expected {} actual {}",
                    c.subject, c.check, c.expected, c.actual
                )
            })
            .collect();
        assert!(failed.is_empty(), "{label}: failed checks: {failed:#?}");
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("report of {label}"),
        }, {
            insta::assert_yaml_snapshot!(name, report);
        });
    }
}
