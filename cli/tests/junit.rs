//! `hysim run --format junit`, run as a built binary: well-formed JUnit XML, one suite per
//! scenario and one case per check, failures with the expected and actual values, the same exit
//! codes as the other formats, and the same bytes for the same files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{hysim, root, stdout, temp};

fn suites<'a>(doc: &'a roxmltree::Document) -> Vec<roxmltree::Node<'a, 'a>> {
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    root.children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect()
}

fn cases<'a>(suite: roxmltree::Node<'a, 'a>) -> Vec<roxmltree::Node<'a, 'a>> {
    suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect()
}

const PASSING: &str = "title: t\nworld:\n  entra:\n    users:\n      carol: {displayName: Carol}\nsteps:\n  - backup: b\n  - expect:\n      carol: {entra: live}\nexpect:\n  carol: {entra: live}\n";

#[test]
fn a_passing_bundled_scenario_gives_one_suite_without_failures() {
    let o = hysim(&[
        "run",
        "--format",
        "junit",
        "scenarios/01-cloud-only-deletion.yaml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites = suites(&doc);
    assert_eq!(suites.len(), 1);
    let s = suites[0];
    assert_eq!(s.attribute("name"), Some("01-cloud-only-deletion"));
    assert_eq!(s.attribute("failures"), Some("0"));
    let cases = cases(s);
    assert!(cases.len() > 10);
    assert_eq!(s.attribute("tests"), Some(cases.len().to_string().as_str()));
    assert_eq!(
        doc.root_element().attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    for c in &cases {
        assert_eq!(c.attribute("classname"), Some("01-cloud-only-deletion"));
        let name = c.attribute("name").unwrap();
        assert!(
            name.starts_with("step ") || name.starts_with("end: "),
            "{name}"
        );
        assert!(c.children().all(|n| !n.has_tag_name("failure")));
    }
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert!(names.contains(&"step 4: alice hybrid"), "{names:?}");
    assert!(names.contains(&"end: alice hybrid"), "{names:?}");
    assert!(names.contains(&"end: restore alice"), "{names:?}");
}

#[test]
fn every_bundled_scenario_is_a_suite() {
    let o = hysim(&["run", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let files = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .filter(|e| {
            let p = e.as_ref().unwrap().path();
            matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .count();
    let suites = suites(&doc);
    assert_eq!(suites.len(), files);
    let total: usize = suites.iter().map(|s| cases(*s).len()).sum();
    assert_eq!(
        doc.root_element().attribute("tests"),
        Some(total.to_string().as_str())
    );
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}

#[test]
fn a_failed_check_is_a_failure_with_expected_and_actual_and_exit_1() {
    let text = PASSING
        .replace(
            "title: t",
            "title: \"Tom & Jerry <say> \\\"hi\\\" 'there'\"",
        )
        .replace(
            "expect:\n  carol: {entra: live}",
            "expect:\n  carol: {entra: absent, properties: {displayName: \"A<&>\\\"B'\"}}",
        );
    let f = temp("failing/failing-check.yaml", &text);
    let o = hysim(&["run", "--format", "junit", f.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites = suites(&doc);
    let s = suites[0];
    assert_eq!(s.attribute("name"), Some("failing-check"));
    assert_eq!(s.attribute("tests"), Some("3"));
    assert_eq!(s.attribute("failures"), Some("2"));
    assert_eq!(doc.root_element().attribute("failures"), Some("2"));
    let title = s
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("title"))
        .unwrap();
    assert_eq!(
        title.attribute("value"),
        Some("Tom & Jerry <say> \"hi\" 'there'")
    );
    let failure = |case: &str| {
        let c = cases(s)
            .into_iter()
            .find(|c| c.attribute("name") == Some(case))
            .unwrap_or_else(|| panic!("no test case {case}"));
        c.children().find(|n| n.has_tag_name("failure"))
    };
    assert!(failure("step 2: carol entra").is_none());
    let f = failure("end: carol entra").expect("a failure");
    assert_eq!(f.attribute("message"), Some("expected absent, actual live"));
    let body = f.text().unwrap();
    assert!(body.contains("expected: absent"), "{body}");
    assert!(body.contains("actual: live"), "{body}");
    let f = failure("end: carol properties.displayName").expect("a failure");
    assert_eq!(
        f.attribute("message"),
        Some("expected A<&>\"B', actual Carol")
    );
    assert!(f.text().unwrap().contains("expected: A<&>\"B'"));
}

#[test]
fn the_detail_of_a_failure_is_in_the_message() {
    // The restore does not bring back Team: `relations: lost`, and the detail names it.
    let text = "title: t\nworld:\n  entra:\n    users:\n      carol: {displayName: Carol}\n    groups:\n      Team: {members: [carol]}\nsteps:\n  - backup: b\n  - unassign: {user: carol, groups: [Team]}\nexpect:\n  carol: {relations: kept}\n";
    let f = temp("detail/detail.yaml", text);
    let o = hysim(&["run", "--format", "json", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let detail = json["scenarios"][0]["checks"][0]["detail"]
        .as_str()
        .expect("a failed relations check has a detail")
        .to_string();
    let o = hysim(&["run", "--format", "junit", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let f = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        f.attribute("message")
            .unwrap()
            .ends_with(&format!(": {detail}")),
        "{:?}",
        f.attribute("message")
    );
    assert!(f.text().unwrap().contains(&format!("detail: {detail}")));
}

#[test]
fn an_input_error_is_a_suite_in_error_and_exit_2() {
    let f = temp("input/broken.yaml", "title: t\nworld: {}\nsteps: [bogus]\n");
    let o = hysim(&["run", "--format", "junit", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites = suites(&doc);
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some("broken"));
    assert_eq!(suites[0].attribute("errors"), Some("1"));
    let e = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert!(
        e.attribute("message")
            .unwrap()
            .contains("unknown step `bogus`")
    );
    // The errors are on standard error too, as with the other formats.
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown step `bogus`"));
}

#[test]
fn the_same_files_give_the_same_bytes() {
    let a = hysim(&["run", "--format", "junit"]);
    let b = hysim(&["run", "--format", "junit"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
}
