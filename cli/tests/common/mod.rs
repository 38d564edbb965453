//! Helpers for the tests that run the built `hysim` binary.
#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary from the project's root, colour left to its default for a pipe (off).
pub fn hysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(args)
        .current_dir(root())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the hysim binary runs")
}

/// The project's root, where the bundled scenarios are.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes `text` to `name` (which may hold a folder) in this test process's own temporary
/// folder, and returns the path.
pub fn temp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir()
        .join(format!("hysim-tests-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(p.parent().expect("a file in a folder")).expect("a temporary folder");
    std::fs::write(&p, text).expect("a temporary file");
    p
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("standard output is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("standard error is UTF-8")
}
