//! Malformed exports, one fixture per case under `tests/bad-import/`: `hysim import` exits with
//! code 2 and an error naming the file and the line (LDIF) or the JSON path (Graph) with what was
//! expected, and never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-import")
}

fn import(flag: &str, path: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(["import", flag])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (fixture, where the error is, a fragment of the message).
const LDIF: &[(&str, &str, &str)] = &[
    ("bad-base64.ldf", "bad-base64.ldf:4:", "is not valid base64"),
    (
        "fold-at-start.ldf",
        "fold-at-start.ldf:2:",
        "a folded line with nothing to continue",
    ),
    (
        "changetype-modify.ldf",
        "changetype-modify.ldf:2:",
        "`changetype: modify` changes existing entries",
    ),
    (
        "unknown-changetype.ldf",
        "unknown-changetype.ldf:2:",
        "unknown `changetype: upsert`",
    ),
    (
        "utf16-no-bom.ldf",
        "utf16-no-bom.ldf:1:",
        "UTF-16 without a byte-order mark",
    ),
    (
        "no-colon.ldf",
        "no-colon.ldf:3:",
        "found a line with no colon",
    ),
];

#[test]
fn every_malformed_ldif_exits_2_naming_file_and_line() {
    for (file, at, message) in LDIF {
        let (code, stderr) = import("--ldif", &fixtures().join(file));
        assert_eq!(code, Some(2), "{file}: {stderr}");
        assert!(stderr.contains(at), "{file}: no `{at}` in {stderr}");
        assert!(
            stderr.contains(message),
            "{file}: no `{message}` in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    }
}

/// (fixture folder, where the error is, a fragment of the message).
const GRAPH: &[(&str, &str, &str)] = &[
    (
        "graph-truncated",
        "graph-truncated/users.json:1:60:",
        "the file is truncated",
    ),
    (
        "graph-without-select",
        "graph-without-select/users.json: value[0]:",
        "no `onPremisesSyncEnabled` key",
    ),
    (
        "graph-broken-next-link",
        "graph-broken-next-link/users.json: @odata.nextLink:",
        "the page it names was not captured",
    ),
    (
        "graph-type-error",
        "graph-type-error/users.json:1:381: value[1].accountEnabled:",
        "expected a boolean",
    ),
];

#[test]
fn every_malformed_graph_export_exits_2_naming_file_and_json_path() {
    for (dir, at, message) in GRAPH {
        let (code, stderr) = import("--graph", &fixtures().join(dir));
        assert_eq!(code, Some(2), "{dir}: {stderr}");
        assert!(stderr.contains(at), "{dir}: no `{at}` in {stderr}");
        assert!(
            stderr.contains(message),
            "{dir}: no `{message}` in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{dir}: {stderr}");
    }
}

#[test]
fn a_missing_export_is_an_input_error() {
    let (code, stderr) = import("--ldif", &fixtures().join("no-such.ldf"));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no-such.ldf: cannot read the file"),
        "{stderr}"
    );
    let (code, stderr) = import("--graph", &fixtures().join("no-such-folder"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no-such-folder"), "{stderr}");
}
