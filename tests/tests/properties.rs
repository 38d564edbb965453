//! Property-based tests: random small worlds and random step sequences of every kind, with valid
//! and invalid handles, written as scenario YAML. For every case: nothing panics, the invariants
//! (INV-1..4) hold after every step, and a second run gives byte-identical JSON.
//! The case count is proptest's: `PROPTEST_CASES=5000 cargo test -p hysim-tests --test properties`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hysim_engine::scenario::{self, load::Action};
use proptest::prelude::*;

const USERS: &[&str] = &["ann", "ben", "cat", "dan"];
const GROUPS: &[&str] = &["Sales", "Ops"];
const CLOUD_USERS: &[&str] = &["eve", "fay"];
const CLOUD_GROUPS: &[&str] = &["Team", "Sec"];
const BAD: &str = "nobody";

fn user() -> impl Strategy<Value = &'static str> {
    prop_oneof![10 => prop::sample::select(USERS), 4 => prop::sample::select(CLOUD_USERS)]
}
fn group() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => prop::sample::select(GROUPS), 4 => prop::sample::select(CLOUD_GROUPS)]
}
/// A handle the world does not define, for the cases that test input errors.
fn bad() -> impl Strategy<Value = &'static str> {
    Just(BAD)
}
fn selector() -> impl Strategy<Value = String> {
    prop_oneof![
        ou().prop_map(|o| format!("{{ou: {o}}}")),
        (group(), dir()).prop_map(|(g, d)| format!("{{member_of: {g}, in: {d}}}")),
        Just("{all: true}".to_string()),
        prop::collection::vec(user(), 0..3).prop_map(|us| format!("[{}]", us.join(", "))),
    ]
}
fn dir() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["ad", "entra"][..])
}
fn ou() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["Staff", "Sales", "Old"][..])
}

fn step() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("sync".to_string()),
        Just("sync: initial".to_string()),
        Just("backup: b1".to_string()),
        (user(), dir(), any::<bool>()).prop_map(|(u, d, p)| format!("delete: {{user: {u}, from: {d}, permanently: {p}}}")),
        (group(), dir(), any::<bool>()).prop_map(|(g, d, p)| format!("delete: {{group: {g}, from: {d}, permanently: {p}}}")),
        (prop::collection::vec(user(), 1..3), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(us, r, k, o)| format!(
            "restore: {{users: [{}], from: b0, recycle_bin: {r}, keep_relationships: {k}, existing: {}}}",
            us.join(", "),
            if o { "overwrite" } else { "skip" }
        )),
        (group()).prop_map(|g| format!("restore: {{groups: [{g}], from: b0}}")),
        (user()).prop_map(|u| format!("restore_ad: {{users: [{u}], from: b0}}")),
        (user(), dir()).prop_map(|(u, d)| format!("undelete: {{user: {u}, in: {d}}}")),
        (user(), ou()).prop_map(|(u, o)| format!("create: {{user: {u}, in: ad, ou: {o}, displayName: New {u}}}")),
        (user()).prop_map(|u| format!("create: {{user: {u}, in: entra, mobilePhone: '555'}}")),
        (user(), prop::sample::select(&["department: X", "title: Boss", "userPrincipalName: ann@contoso.com", "mail: ben@contoso.com", "sAMAccountName: null", "mS-DS-ConsistencyGuid: 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"][..]))
            .prop_map(|(u, kv)| format!("update: {{user: {u}, in: ad, set: {{{kv}}}}}")),
        (user(), prop::sample::select(&["department: X", "mobilePhone: '1'", "userPrincipalName: eve@contoso.com", "usageLocation: US"][..]))
            .prop_map(|(u, kv)| format!("update: {{user: {u}, in: entra, set: {{{kv}}}}}")),
        (user(), group(), prop::sample::select(&["Global Administrator", "Helpdesk Administrator"][..]))
            .prop_map(|(u, g, r)| format!("assign: {{user: {u}, groups: [{g}], roles: [{r}], licenses: [E3], apps: [CRM], owns: [{g}]}}")),
        (user(), user()).prop_map(|(u, m)| format!("assign: {{user: {u}, in: ad, manager: {m}}}")),
        (user(), group()).prop_map(|(u, g)| format!("assign: {{user: {u}, in: ad, groups: [{g}]}}")),
        (user(), group()).prop_map(|(u, g)| format!("unassign: {{user: {u}, groups: [{g}], roles: [Global Administrator]}}")),
        (group()).prop_map(|g| format!("assign: {{group: {g}, licenses: [E5], apps: [CRM]}}")),
        (user(), ou()).prop_map(|(u, o)| format!("move: {{user: {u}, to: {o}}}")),
        (ou(), any::<bool>()).prop_map(|(o, add)| if add { format!("scope: {{add: [{o}]}}") } else { format!("scope: {{remove: [{o}]}}") }),
        (any::<bool>(), any::<bool>(), 0u32..4).prop_map(|(a, b, t)| format!(
            "settings: {{block_hard_match_takeover: {a}, block_soft_match: {b}, deletion_threshold: {t}, sync_restores_soft_deleted: {}}}",
            !a
        )),
        prop::sample::select(&["wait: 1d", "wait: 31d", "wait: 200d", "wait: 12h"][..]).prop_map(str::to_string),
        (user()).prop_map(|u| format!("expect: {{{u}: {{hybrid: true, relations: kept, count: 1}}, restore: {{{u}: success}}, sync: {{errors: []}}}}")),
        (selector(), dir(), any::<bool>()).prop_map(|(s, d, p)| format!("delete: {{users: {s}, from: {d}, permanently: {p}}}")),
        (selector()).prop_map(|s| format!("restore: {{users: {s}, from: b0}}")),
        (selector()).prop_map(|s| format!("restore_ad: {{users: {s}, from: b0}}")),
        (selector(), dir()).prop_map(|(s, d)| format!("undelete: {{users: {s}, in: {d}}}")),
        (selector()).prop_map(|s| format!("expect: {{every: [{{users: {s}, entra: live, relations: kept}}]}}")),
    ]
}

/// A step that names a handle the world does not define: an input error.
fn bad_step() -> impl Strategy<Value = String> {
    prop_oneof![
        (bad(), dir()).prop_map(|(u, d)| format!("delete: {{user: {u}, from: {d}}}")),
        bad().prop_map(|g| format!("restore: {{groups: [{g}], from: b0}}")),
        bad().prop_map(|u| format!("expect: {{every: [{{users: [{u}], entra: live}}]}}")),
    ]
}

fn scenario() -> impl Strategy<Value = String> {
    scenario_of(prop::collection::vec(step(), 1..14).boxed())
}

/// A scenario with one step that names an unknown handle among valid ones.
fn bad_scenario() -> impl Strategy<Value = String> {
    let steps = (prop::collection::vec(step(), 0..6), bad_step()).prop_map(|(mut v, b)| {
        v.push(b);
        v
    });
    scenario_of(steps.boxed())
}

fn scenario_of(steps: BoxedStrategy<Vec<String>>) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u64..1000,
        steps,
    )
        .prop_map(|(objectguid, recycle, sec_soft, seed, steps)| {
            let mut y = String::new();
            y.push_str("title: generated\n");
            y.push_str(&format!(
                "settings: {{seed: {seed}, source_anchor: {}, ad_recycle_bin: {recycle}, security_groups_soft_delete: {sec_soft}}}\n",
                if objectguid { "objectguid" } else { "ms-ds-consistencyguid" }
            ));
            y.push_str("world:\n  ad:\n    sync_ous: [Staff, Sales]\n    users:\n");
            y.push_str("      ann: {ou: Staff, manager: ben, groups: [Sales], mail: ann@contoso.com}\n");
            y.push_str("      ben: {ou: Sales, groups: [Ops]}\n      cat: {ou: Staff, userPrincipalName: eve@contoso.com}\n      dan: {ou: Old}\n");
            y.push_str("    groups:\n      Sales: {ou: Sales, members: [Ops]}\n      Ops: {ou: Staff}\n");
            y.push_str("  entra:\n    users:\n      eve: {mail: eve@contoso.com}\n      fay: {}\n");
            y.push_str("    groups:\n      Team: {type: microsoft365, members: [ann, eve, Sec], owners: [fay]}\n      Sec: {members: [fay, Team], licenses: [E5]}\n      Sales: {licenses: [E3]}\n");
            y.push_str("    roles:\n      Global Administrator: [eve]\n    licenses:\n      E3: [ann, fay]\n    apps:\n      CRM: [ann, Ops]\n");
            y.push_str("steps:\n  - backup: b0\n");
            for s in steps {
                y.push_str(&format!("  - {s}\n"));
            }
            y.push_str("expect:\n  ann: {relations: kept}\n  restore: {ann: success}\n  sync: {export: completed}\n");
            y
        })
}

/// 96 cases by default (a few seconds in CI); `PROPTEST_CASES` sets more for longer local runs.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

/// Runs a scenario step by step, checking every invariant on the whole world after each step,
/// then renders every output of its run (text, JSON, JUnit, explain, graph).
fn run_checked(text: &str) -> Option<Vec<String>> {
    let s = match scenario::parse("generated.yaml", "generated", text.as_bytes()) {
        Ok(s) => s,
        Err(errors) => {
            // Invalid handles are input errors: located, never a panic.
            for e in errors {
                assert!(e.line.is_some() || e.path.is_some(), "{e}");
            }
            return None;
        }
    };
    let (mut w, _) = scenario::run::build(&s).unwrap();
    w.check_all_invariants().unwrap();
    let mut last = w.now();
    for step in &s.steps {
        let applied = match &step.action {
            Action::Op(op) => w.apply(op).map(drop),
            Action::Each(each) => scenario::run::run_each(&mut w, each, &mut Vec::new()).map(drop),
            Action::Expect(_) => Ok(()),
        };
        match applied {
            Ok(()) => {}
            Err(hysim_engine::EngineError::Ambiguous { .. }) => return None,
            Err(e) => panic!("{}: {e}\n{text}", step.text),
        }
        w.check_all_invariants()
            .unwrap_or_else(|e| panic!("after {}: {e}\n{text}", step.text));
        assert!(w.now() >= last, "INV-4: time went back");
        last = w.now();
    }
    match hysim_cli::render::every_output(&s) {
        Ok(outputs) => Some(outputs),
        Err(e) => panic!("{e}\n{text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_runbooks_never_panic_keep_invariants_and_render_the_same_bytes(text in scenario()) {
        let first = run_checked(&text);
        let second = run_checked(&text);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn an_unknown_handle_is_a_located_input_error(text in bad_scenario()) {
        let errors = scenario::parse("generated.yaml", "generated", text.as_bytes()).unwrap_err();
        prop_assert!(errors.iter().any(|e| e.message.contains("'nobody'")), "{errors:?}");
    }
}

/// The generator writes valid scenarios: nearly every case gets past the loader and tests the
/// engine, rather than being refused at load and testing nothing past it.
#[test]
fn the_generator_writes_scenarios_that_load() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = scenario();
    let total = 200;
    let loaded = (0..total)
        .filter(|_| {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            scenario::parse("generated.yaml", "generated", text.as_bytes()).is_ok()
        })
        .count();
    assert!(loaded * 100 >= total * 95, "{loaded} of {total} cases load");
}
