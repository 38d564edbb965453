//! `hysim new NAME`, run as a built binary: a commented starter scenario that validates, passes
//! and satisfies the schema; an existing file is never overwritten.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hysim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the hysim binary runs")
}

/// An empty folder of its own for each test.
fn folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hysim-new-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn writes_a_commented_starter_that_validates_and_passes() {
    let dir = folder("starter");
    let o = hysim(&dir, &["new", "restore-runbook"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("restore-runbook.yaml"));
    let file = dir.join("restore-runbook.yaml");
    let starter = std::fs::read_to_string(&file).expect(".yaml is added to the name");
    assert!(starter.starts_with("# "), "it opens with a comment");
    for key in [
        "\ntitle: ",
        "\nsource: ",
        "\ndescription: ",
        "\nsettings:",
        "\nworld:",
        "\nsteps:",
        "\nexpect:",
        "  - backup: ",
        "  - delete: ",
        "  - restore: ",
        "  - sync",
    ] {
        assert!(starter.contains(key), "the starter has {key:?}");
    }
    assert!(
        starter.contains("restore-runbook"),
        "the title names the file"
    );

    let o = hysim(&dir, &["validate", "restore-runbook.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = hysim(&dir, &["run", "restore-runbook.yaml"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains(" 0 failed"));

    // And an editor checking it against `hysim schema` finds nothing wrong.
    let schema = hysim(&dir, &["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    let v = jsonschema::draft7::new(&schema).unwrap();
    let doc: serde_json::Value = serde_yaml::from_str(&starter).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn keeps_a_yaml_or_yml_extension() {
    let dir = folder("extension");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let o = hysim(&dir, &["new", "sub/a.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(dir.join("sub/a.yml").is_file());
    assert!(!dir.join("sub/a.yml.yaml").exists());
    let o = hysim(&dir, &["new", "b.yaml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.join("b.yaml").is_file());
    let o = hysim(&dir, &["run", "sub/a.yml", "b.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn refuses_to_overwrite_an_existing_file() {
    let dir = folder("overwrite");
    std::fs::write(dir.join("mine.yaml"), "my own work\n").unwrap();
    for name in ["mine", "mine.yaml"] {
        let o = hysim(&dir, &["new", name]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = text(&o.stderr);
        assert!(err.contains("mine.yaml already exists"), "{err}");
        assert!(err.contains("does not overwrite"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("mine.yaml")).unwrap(),
            "my own work\n"
        );
    }
    // A second `new` of a name it wrote is refused too.
    assert_eq!(hysim(&dir, &["new", "fresh"]).status.code(), Some(0));
    let before = std::fs::read(dir.join("fresh.yaml")).unwrap();
    assert_eq!(hysim(&dir, &["new", "fresh"]).status.code(), Some(2));
    assert_eq!(std::fs::read(dir.join("fresh.yaml")).unwrap(), before);
}

#[test]
fn a_folder_that_does_not_exist_is_an_error_with_exit_2() {
    let dir = folder("nofolder");
    let o = hysim(&dir, &["new", "missing/x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("missing/x.yaml"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_folder_is_refused_with_exit_2() {
    let dir = folder("isfolder");
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    for name in ["runbooks", "runbooks/", "."] {
        let o = hysim(&dir, &["new", name]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(
            text(&o.stderr).contains("is a folder"),
            "{}",
            text(&o.stderr)
        );
    }
    assert_eq!(std::fs::read_dir(dir.join("runbooks")).unwrap().count(), 0);
}
