//! The rule tests written as data: every scenario file under `tests/rules/` is one test, named
//! after its file (`sync-4-block-takeover-fails-restored-user.yaml` is the test
//! `sync_4_block_takeover_fails_restored_user`, so the name starts with the rule ID). A test
//! loads its file, runs it, fails on any check that did not pass, and compares the report with
//! its insta snapshot in `tests/rules/snapshots/` (with `CI=true` a missing or changed snapshot
//! fails). Filter and list as with any test binary: `cargo test -p hysim-tests --test rules --
//! sync_4`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use hysim_engine::scenario;
use libtest_mimic::{Arguments, Failed, Trial};

fn rule_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

/// The test's name: the file's stem in snake case.
fn test_name(stem: &str) -> String {
    stem.replace('-', "_")
}

fn run_file(path: &Path) -> Result<(), Failed> {
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let label = format!(
        "tests/rules/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    let bytes = std::fs::read(path).map_err(|e| format!("{label}: {e}"))?;
    let s = scenario::parse(&label, &stem, &bytes).map_err(|e| format!("{label}: {e:?}"))?;
    let report = scenario::run(&s).map_err(|e| format!("{label}: {e}"))?;
    if report.checks.is_empty() {
        return Err(format!("{label}: the scenario checks nothing").into());
    }
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            let at = c.step.map_or("end".to_string(), |n| format!("step {n}"));
            format!(
                "{at}: {} {}: expected {} actual {}{}",
                c.subject,
                c.check,
                c.expected,
                c.actual,
                c.detail
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !failed.is_empty() {
        return Err(format!("{label}: failed checks:\n  {}", failed.join("\n  ")).into());
    }
    insta::with_settings!({
        snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("report of {label}"),
    }, {
        insta::assert_yaml_snapshot!(stem, report);
    });
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut names = std::collections::BTreeSet::new();
    let trials: Vec<Trial> = rule_files()
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let name = test_name(&stem);
            assert!(names.insert(name.clone()), "two rule files make the test {name}");
            let known = hysim_engine::RuleId::ALL
                .iter()
                .any(|r| name.starts_with(&format!("{}_", test_name(&r.id().to_lowercase()))));
            Trial::test(name, move || {
                if !known {
                    return Err(format!(
                        "{stem}: a rule file's name starts with a rule ID in lower case (sync-4-...)"
                    )
                    .into());
                }
                run_file(&path)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
