//! One insta snapshot per bundled scenario file: its report (events and checks), and every
//! scenario's own expectations must pass; and one of the sync cycles of small generated
//! runbooks. With `CI=true` a missing or changed snapshot fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use hysim_engine::scenario;

fn scenario_files() -> Vec<PathBuf> {
    // Files are labelled relative to the repository's root, as `hysim run scenarios` names
    // them, and an imported world's exports are found relative to its file: every test of this
    // binary works from the root.
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap();
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
        let mut report = scenario::run(&s).unwrap_or_else(|e| panic!("{label}: {e}"));
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
        // A scenario of hundreds of identities is snapshotted as `hysim run` reports it by
        // default (events counted past the first 100 of a step), so that it can be read.
        let events: usize = report.steps.iter().map(|s| s.events.len()).sum::<usize>()
            + report.world_events.as_ref().map_or(0, Vec::len);
        if events > 2_000 {
            report.summarise(100);
        }
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

/// The rule IDs on the events of each bundled scenario's report, by file name.
fn rules_by_file() -> Vec<(String, std::collections::BTreeSet<hysim_engine::RuleId>)> {
    scenario_files()
        .into_iter()
        .map(|path| {
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let label = format!("scenarios/{file}");
            let s = scenario::parse(&label, &name, &std::fs::read(&path).unwrap()).unwrap();
            let r = scenario::run(&s).unwrap();
            let rules = r
                .world_events
                .iter()
                .flatten()
                .chain(r.steps.iter().flat_map(|s| s.events.iter()))
                .map(|e| e.rule)
                .collect();
            (file, rules)
        })
        .collect()
}

#[test]
fn every_rule_is_exercised_by_a_bundled_scenario() {
    use hysim_engine::RuleId;
    let seen: std::collections::BTreeSet<RuleId> =
        rules_by_file().into_iter().flat_map(|(_, r)| r).collect();
    // INV-1..3 are properties checked after every step of every run (a broken one stops the run
    // with an error), so they carry no events of their own.
    let unexercised: Vec<&str> = RuleId::ALL
        .iter()
        .filter(|r| !matches!(r, RuleId::Inv1 | RuleId::Inv2 | RuleId::Inv3))
        .filter(|r| !seen.contains(r))
        .map(|r| r.id())
        .collect();
    assert!(
        unexercised.is_empty(),
        "no bundled scenario exercises {unexercised:?}"
    );
}

#[test]
fn the_scenario_index_lists_every_file_with_the_rules_it_exercises() {
    let index = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/README.md"),
    )
    .unwrap();
    for (file, rules) in rules_by_file() {
        let row = index
            .lines()
            .find(|l| l.starts_with(&format!("| [{file}]")))
            .unwrap_or_else(|| panic!("scenarios/README.md has no row for {file}"));
        let listed = row.rsplit('|').nth(1).unwrap().trim();
        let actual: Vec<&str> = rules.iter().map(|r| r.id()).collect();
        let mut listed_sorted: Vec<&str> = listed.split(", ").collect();
        listed_sorted.sort_by_key(|id| hysim_engine::RuleId::from_id(id));
        assert_eq!(
            listed_sorted, actual,
            "{file}: the index's rules column is stale"
        );
    }
}

/// The sync cycles of a small generated tenant's runbook, one line a cycle (its step, the objects
/// it processed, its adds, updates and deletes), for each incident: the counts a change to the
/// sync engine must not move unless it means to. A generated report is too large to read whole
/// as a snapshot.
#[test]
fn generated_runbooks_cycle_by_cycle() {
    use hysim_engine::EventKind;
    use hysim_engine::generate::{Incident, Tenant};
    let mut cycles = std::collections::BTreeMap::new();
    for incident in [Incident::Purge, Incident::Scope, Incident::AdDelete] {
        let text = Tenant::generate(400, 7, incident).to_yaml();
        let s = scenario::parse("generated.yaml", incident.name(), text.as_bytes()).unwrap();
        let report = scenario::run(&s).unwrap();
        assert!(report.passed, "{}", incident.name());
        let lines: Vec<String> = report
            .steps
            .iter()
            .flat_map(|st| {
                st.events
                    .iter()
                    .filter(|e| e.kind == EventKind::CycleCompleted)
                    .map(move |e| format!("{} {}: {}", st.n, st.step, e.message))
            })
            .collect();
        cycles.insert(incident.name(), lines);
    }
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => "sync cycles of generated 400-user runbooks, seed 7",
    }, {
        insta::assert_yaml_snapshot!("generated-runbooks-cycles", cycles);
    });
}
