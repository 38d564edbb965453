//! Colour: on a pipe, or with NO_COLOR set, the output has no escape codes; CLICOLOR_FORCE turns
//! colour on for a pipe, and NO_COLOR still wins over it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

const SCENARIO_01: &str = "scenarios/01-cloud-only-deletion.yaml";

fn output(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hysim"));
    c.args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("the hysim binary runs");
    String::from_utf8(o.stdout).unwrap()
}

const COMMANDS: [&[&str]; 4] = [
    &["run", SCENARIO_01],
    &["run"],
    &["explain", SCENARIO_01],
    &["graph", SCENARIO_01],
];

#[test]
fn piped_output_has_no_escape_codes() {
    for args in COMMANDS {
        let out = output(args, &[]);
        assert!(!out.is_empty(), "{args:?}");
        assert!(
            !out.contains('\x1b'),
            "{args:?} wrote escape codes to a pipe"
        );
    }
}

#[test]
fn no_color_wins_over_clicolor_force() {
    for args in COMMANDS {
        let out = output(args, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(!out.contains('\x1b'), "{args:?}");
    }
}

#[test]
fn clicolor_force_colours_marks_headers_and_event_kinds() {
    let out = output(&["run", SCENARIO_01], &[("CLICOLOR_FORCE", "1")]);
    assert!(out.contains("\x1b[32m✓\x1b[0m"), "{out}");
    assert!(
        out.contains("\x1b[1;36m 1. backup: nightly\x1b[0m"),
        "{out}"
    );
    assert!(out.contains("\x1b[31mpurged\x1b[0m"), "{out}");
    assert!(out.contains("\x1b[32mhard-matched\x1b[0m"), "{out}");
    // Without the escape codes it is the plain text, byte for byte.
    let plain = output(&["run", SCENARIO_01], &[]);
    assert_eq!(strip(&out), plain);
    // A graph is a file format: never coloured.
    let graph = output(&["graph", SCENARIO_01], &[("CLICOLOR_FORCE", "1")]);
    assert!(!graph.contains('\x1b'));
}

/// Removes SGR escape sequences (`ESC [ ... m`).
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
