//! `hysim graph`, run as a built binary: the DOT output is accepted by Graphviz, the Mermaid
//! output follows the flowchart syntax, deleted objects are marked, and the output is the same
//! bytes every time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

mod common;
use common::{hysim, root, temp};

const SCENARIO_01: &str = "scenarios/01-cloud-only-deletion.yaml";

fn graph(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let o = hysim(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "hysim {all:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Every bundled scenario, as paths relative to the workspace root.
fn bundled() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| format!("scenarios/{n}"))
        .collect();
    files.sort();
    files
}

/// A cloud-only user deleted softly, with a name full of characters both formats must escape.
const SOFT_DELETED: &str = r#"title: 'A "quoted" <title> & more'
world:
  entra:
    users:
      carol: {displayName: Carol}
    groups:
      'R&D <core> "x" \ end': {members: [carol]}
    roles:
      end: [carol]
steps:
  - backup: b
  - delete: {user: carol, from: entra}
"#;

// ---- Graphviz -------------------------------------------------------------------------------

/// Whether Graphviz `dot` can be run; when it cannot, the caller skips its test.
fn dot_available() -> bool {
    match Command::new("dot").arg("-V").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!(
                "skipped: Graphviz `dot` is not installed (apt-get install graphviz); .ci/run installs it"
            );
            false
        }
    }
}

fn assert_dot_accepts(text: &str, what: &str) {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "dot refused {what}: {err}\n{text}");
    // dot writes warnings (an unknown attribute or style it ignored) to stderr; only its
    // layout engine's complaints about routing, which vary between Graphviz versions, are fine.
    for line in err.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.contains("spline") || line.contains("routing"),
            "dot warned about {what}: {err}"
        );
    }
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("<svg"),
        "{what}"
    );
}

#[test]
fn dot_output_is_accepted_by_graphviz() {
    if !dot_available() {
        return;
    }
    for f in bundled() {
        let text = graph(&[&f, "--format", "dot"]);
        assert!(text.starts_with("digraph hysim {\n"), "{f}");
        assert!(text.contains("subgraph cluster_ad {"), "{f}");
        assert!(text.contains("subgraph cluster_entra {"), "{f}");
        assert_dot_accepts(&text, &f);
    }
    for after in ["0", "1", "3", "5"] {
        let text = graph(&[SCENARIO_01, "--after", after, "--format", "dot"]);
        assert_dot_accepts(&text, &format!("{SCENARIO_01} --after {after}"));
    }
    let weird = temp("weird.yaml", SOFT_DELETED);
    let text = graph(&[weird.to_str().unwrap(), "--format", "dot"]);
    assert_dot_accepts(&text, "names with quotes and backslashes");
}

#[test]
fn dot_marks_soft_deleted_objects_dashed_and_joins_dashed() {
    let weird = temp("soft.yaml", SOFT_DELETED);
    let text = graph(&[weird.to_str().unwrap(), "--format", "dot"]);
    let carol = text
        .lines()
        .find(|l| l.contains("label=\"carol\\n"))
        .unwrap();
    assert!(carol.contains("(soft-deleted)"), "{carol}");
    assert!(carol.contains("dashed"), "{carol}");
    let text = graph(&[SCENARIO_01, "--format", "dot"]);
    assert!(
        text.lines()
            .any(|l| l.contains("label=\"joined to\"") && l.contains("style=dashed")),
        "{text}"
    );
}

// ---- Mermaid --------------------------------------------------------------------------------

/// A Mermaid node id: a letter, then letters, digits or underscores; not a keyword.
fn safe_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && ![
            "end",
            "subgraph",
            "graph",
            "flowchart",
            "style",
            "class",
            "classDef",
        ]
        .contains(&s)
}

/// A quoted label: no raw `"` inside (quotes are written `#quot;`) and no line break.
fn safe_label(s: &str) -> bool {
    !s.contains('"') && !s.contains('\n')
}

/// A node statement `ID<open>"label"<close>` with the shapes hysim uses.
fn node_statement(line: &str) -> Option<String> {
    const SHAPES: [(&str, &str); 5] = [
        ("([\"", "\"])"),
        ("[[\"", "\"]]"),
        ("[/\"", "\"/]"),
        ("{{\"", "\"}}"),
        ("[\"", "\"]"),
    ];
    for (open, close) in SHAPES {
        if let Some(at) = line.find(open)
            && let Some(inner) = line.get(at + open.len()..)
            && let Some(label) = inner.strip_suffix(close)
        {
            let id = &line[..at];
            if safe_id(id) && safe_label(label) {
                return Some(id.to_string());
            }
        }
    }
    None
}

/// An edge statement `A -->|label| B` or `A -.->|label| B`.
fn edge_statement(line: &str) -> Option<(String, String)> {
    let mut parts = line.split(' ');
    let (from, arrow, to) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !safe_id(from) || !safe_id(to) {
        return None;
    }
    let label = arrow
        .strip_prefix("-->|")
        .or_else(|| arrow.strip_prefix("-.->|"))?
        .strip_suffix('|')?;
    // A relation's name has spaces in it ("member of"): rejoin the pieces split on spaces.
    Some((from.to_string(), to.to_string())).filter(|_| !label.is_empty())
}

/// Checks a Mermaid flowchart line by line against the grammar hysim writes; returns the node
/// ids and the number of edges.
fn check_mermaid(text: &str) -> (BTreeSet<String>, usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut subgraphs = Vec::new();
    let mut open: Option<String> = None;
    let mut link_styles = Vec::new();
    for raw in lines {
        let line = raw.trim();
        if line.starts_with("%% ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("subgraph ") {
            assert!(open.is_none(), "nested subgraph: {raw}");
            let (name, title) = rest.split_once(' ').unwrap();
            assert!(safe_id(name), "{raw}");
            assert!(
                title.starts_with("[\"")
                    && title.ends_with("\"]")
                    && safe_label(&title[2..title.len() - 2]),
                "{raw}"
            );
            subgraphs.push(name.to_string());
            open = Some(name.to_string());
            continue;
        }
        if line == "end" {
            assert!(open.take().is_some(), "`end` without a subgraph");
            continue;
        }
        if open.is_some() {
            if line == "direction TB" {
                continue;
            }
            let id = node_statement(line).unwrap_or_else(|| panic!("not a node: {raw}"));
            assert!(nodes.insert(id), "node defined twice: {raw}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("classDef ") {
            let (name, css) = rest.split_once(' ').unwrap();
            assert!(safe_id(name) && !css.is_empty(), "{raw}");
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (ids, name) = rest.split_once(' ').unwrap();
            assert!(safe_id(name), "{raw}");
            for id in ids.split(',') {
                assert!(nodes.contains(id), "class of an unknown node: {raw}");
            }
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (ids, css) = rest.split_once(' ').unwrap();
            assert!(!css.is_empty(), "{raw}");
            link_styles.extend(ids.split(',').map(|i| i.parse::<usize>().unwrap()));
        } else {
            // An edge: `A -->|member of| B`; the label may contain spaces.
            let (from, rest) = line.split_once(' ').unwrap();
            let (arrow_and_label, to) = rest.rsplit_once(' ').unwrap();
            let simple = format!("{from} {} {to}", arrow_and_label.replace(' ', "_"));
            let (f, t) = edge_statement(&simple).unwrap_or_else(|| panic!("not an edge: {raw}"));
            let label =
                &arrow_and_label[arrow_and_label.find('|').unwrap() + 1..arrow_and_label.len() - 1];
            assert!(
                label.chars().all(|c| c.is_ascii_lowercase() || c == ' '),
                "edge label: {raw}"
            );
            assert!(
                nodes.contains(&f) && nodes.contains(&t),
                "edge to an unknown node: {raw}"
            );
            edges.push((f, t));
        }
    }
    assert!(open.is_none(), "a subgraph is not closed");
    assert_eq!(subgraphs, ["AD", "Entra"]);
    assert!(
        link_styles.iter().all(|i| *i < edges.len()),
        "linkStyle index out of range"
    );
    (nodes, edges.len())
}

#[test]
fn mermaid_output_follows_the_flowchart_syntax() {
    for f in bundled() {
        let text = graph(&[&f]);
        let (nodes, edges) = check_mermaid(&text);
        assert!(!nodes.is_empty() && edges > 0, "{f}");
    }
    for after in ["0", "1", "3", "5", "7"] {
        check_mermaid(&graph(&[SCENARIO_01, "--after", after]));
    }
    let explicit = graph(&[SCENARIO_01, "--format", "mermaid"]);
    assert_eq!(explicit, graph(&[SCENARIO_01]), "mermaid is the default");
}

#[test]
fn mermaid_marks_soft_deleted_objects_and_escapes_names() {
    let weird = temp("soft-mermaid.yaml", SOFT_DELETED);
    let text = graph(&[weird.to_str().unwrap()]);
    check_mermaid(&text);
    let carol = text.lines().find(|l| l.contains("[\"carol<br/>")).unwrap();
    assert!(carol.contains("(soft-deleted)"), "{carol}");
    let id = carol.trim().split('[').next().unwrap();
    assert!(
        text.lines().any(|l| l == format!("  class {id} deleted")),
        "{text}"
    );
    // carol's relations are kept in the recycle bin but not live: drawn grey.
    assert!(text.contains("  linkStyle 0,1 "), "{text}");
    assert!(
        text.contains("R#amp;D #lt;core#gt; #quot;x#quot; \\ end"),
        "{text}"
    );
}

#[test]
fn ad_and_entra_objects_are_joined_and_ids_are_short() {
    let text = graph(&[SCENARIO_01]);
    // alice's AD object is joined to her (new) Entra object.
    let ad = text
        .lines()
        .find(|l| l.contains("[\"alice<br/>user · OU Staff"))
        .unwrap();
    let entra = text
        .lines()
        .find(|l| l.contains("[\"alice<br/>user · synced"))
        .unwrap();
    let id = |l: &str| l.trim().split('[').next().unwrap().to_string();
    assert!(text.contains(&format!("  {} -.->|joined to| {}", id(ad), id(entra))));
    // Ids are 8 hex digits.
    let short = entra
        .split("id ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(short.len(), 8, "{entra}");
    assert!(short.chars().all(|c| c.is_ascii_hexdigit()));
    // After the purge (step 3) alice has no Entra object: the purged one is left out.
    let purged = graph(&[SCENARIO_01, "--after", "3"]);
    assert!(!purged.contains("[\"alice<br/>user · synced"), "{purged}");
    assert!(purged.contains("[\"alice<br/>user · OU Staff"), "{purged}");
}

// ---- Steps, determinism and errors ----------------------------------------------------------

#[test]
fn after_1_differs_from_the_default_and_output_is_byte_identical_across_runs() {
    for format in ["mermaid", "dot"] {
        let last = graph(&[SCENARIO_01, "--format", format]);
        let again = graph(&[SCENARIO_01, "--format", format]);
        assert_eq!(last, again, "{format}: two runs differ");
        let after_1 = graph(&[SCENARIO_01, "--after", "1", "--format", format]);
        assert_ne!(after_1, last, "{format}: --after 1 is the default");
        assert_eq!(
            after_1,
            graph(&[SCENARIO_01, "--after", "1", "--format", format]),
            "{format}: two runs of --after 1 differ"
        );
        let steps = "7";
        assert_eq!(
            graph(&[SCENARIO_01, "--after", steps, "--format", format]),
            last,
            "{format}: the default is the last step"
        );
    }
}

#[test]
fn graph_input_errors_exit_2_with_a_message() {
    let o = hysim(&["graph", SCENARIO_01, "--after", "8"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(SCENARIO_01) && err.contains("--after 8 is out of range"),
        "{err}"
    );
    assert!(err.contains("7 steps"), "{err}");
    assert!(o.stdout.is_empty());

    let o = hysim(&["graph", "scenarios/no-such-file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-file.yaml"));

    let bad = temp("bad.yaml", "title: t\nworld: {}\nsteps: [bogus]\n");
    let o = hysim(&["graph", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.yaml"));

    for args in [
        &["graph", SCENARIO_01, "--format", "svg"][..],
        &["graph", SCENARIO_01, "--after", "-1"][..],
        &["graph"][..],
    ] {
        let o = hysim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn the_documented_picture_is_the_current_graph_of_runbook_1() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(["graph", "scenarios/01-cloud-only-deletion.yaml"])
        .current_dir(&root)
        .output()
        .unwrap();
    let graph = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let embedded = format!("```mermaid\n{}\n```", graph.trim_end());
    assert!(
        readme.contains(&embedded),
        "docs/cli.md's picture differs from `hysim graph scenarios/01-cloud-only-deletion.yaml`: paste the new output"
    );
}
