//! What a careless input or a bad day of the machine must not do: take memory or time out of
//! proportion, report success it did not have, overwrite a file, or panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Stdio};

mod common;
use common::*;

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(["generate", "--users", "20000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the megabytes it would have read.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(141), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "no panic, no message");
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_is_an_error_not_a_success() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args([
            "run",
            "--format",
            "junit",
            "scenarios/01-cloud-only-deletion.yaml",
        ])
        .current_dir(root())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write to standard output"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn generate_overwrites_a_file_only_with_force() {
    let f = temp("robust/generated.yaml", "mine\n");
    let path = f.to_str().unwrap();
    let o = hysim(&["generate", "--users", "10", "-o", path]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "mine\n");
    let o = hysim(&["generate", "--users", "10", "-o", path, "--force"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read_to_string(&f).unwrap().starts_with("title:"));
}

#[test]
fn generate_and_bench_refuse_more_users_than_a_scenario_holds() {
    for cmd in ["generate", "bench"] {
        let o = hysim(&[cmd, "--users", "1000000000"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(
            stderr(&o).contains("at most 4900000 users"),
            "{}",
            stderr(&o)
        );
    }
}

#[cfg(unix)]
#[test]
fn a_device_is_read_no_further_than_the_size_limit() {
    let o = hysim(&["validate", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/dev/zero: more than the limit of 268435456 bytes"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_folder_reached_twice_is_walked_once_and_a_file_runs_once() {
    let f = temp(
        "robust-loop/a.yaml",
        &std::fs::read_to_string(root().join("scenarios/01-cloud-only-deletion.yaml")).unwrap(),
    );
    let dir = f.parent().unwrap();
    for link in ["s1", "s2"] {
        let _ = std::os::unix::fs::symlink(".", dir.join(link));
    }
    let o = hysim(&[
        "validate",
        dir.to_str().unwrap(),
        f.to_str().unwrap(),
        dir.join("s1/a.yaml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("1 valid\n"), "{}", stdout(&o));
}

#[test]
fn many_unknown_handles_give_short_messages_and_a_count_of_the_rest() {
    let mut yaml = String::from("title: t\nworld:\n  ad:\n    users:\n");
    for i in 0..2000 {
        yaml.push_str(&format!("      user{i:04}: {{ou: Staff}}\n"));
    }
    yaml.push_str("steps:\n");
    for i in 0..300 {
        yaml.push_str(&format!("  - delete: {{user: usr{i:04}, from: ad}}\n"));
    }
    let f = temp("robust/typos.yaml", &yaml);
    let o = hysim(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("steps[7].delete.user: unknown user 'usr0007' (known: user0007, "),
        "{err}"
    );
    assert!(err.contains(", … the closest of 2000)"), "{err}");
    assert!(
        err.contains("and 200 more errors in this file, not listed (the first 100 are above)"),
        "{err}"
    );
    assert!(err.len() < 20_000, "{} bytes", err.len());
}

#[test]
fn a_clock_pushed_past_what_it_can_write_stops_the_run_with_its_step() {
    let mut yaml = String::from("title: t\nworld: {}\nsteps:\n");
    for _ in 0..10 {
        yaml.push_str("  - wait: 364999d\n");
    }
    let f = temp("robust/clock.yaml", &yaml);
    let o = hysim(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(": steps[7]: this wait takes the clock past 9999-12-31T23:59:59Z"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn junit_suites_of_two_files_of_one_name_stay_apart() {
    let text =
        std::fs::read_to_string(root().join("scenarios/01-cloud-only-deletion.yaml")).unwrap();
    let a = temp("robust-junit/x.yaml", &text);
    let b = temp("robust-junit/sub/x.yml", &text);
    let o = hysim(&[
        "run",
        "--format",
        "junit",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let xml = stdout(&o);
    assert!(
        xml.contains(&format!("<testsuite name=\"{}\"", a.display())),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<testsuite name=\"{}\"", b.display())),
        "{xml}"
    );
}
