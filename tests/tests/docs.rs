//! The documentation in the repository: `docs/rules.md` is generated from the rule catalogue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

#[test]
fn docs_rules_md_is_generated_from_the_rule_catalogue() {
    let path = root().join("docs/rules.md");
    let want = hysim_engine::rules::catalogue_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is not the rule catalogue of engine/src/rules.rs; regenerate it with \
         `UPDATE_DOCS=1 cargo test -p hysim-tests --test docs`"
    );
}
