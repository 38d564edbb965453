//! `hysim generate` and `hysim bench`, run as the built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{hysim, stderr, stdout, temp};

#[test]
fn generate_is_deterministic_per_seed_and_its_runbook_passes() {
    for incident in ["purge", "scope", "ad-delete"] {
        let a = hysim(&[
            "generate",
            "--users",
            "600",
            "--seed",
            "7",
            "--incident",
            incident,
        ]);
        let b = hysim(&[
            "generate",
            "--users",
            "600",
            "--seed",
            "7",
            "--incident",
            incident,
        ]);
        let c = hysim(&[
            "generate",
            "--users",
            "600",
            "--seed",
            "8",
            "--incident",
            incident,
        ]);
        assert_eq!(a.status.code(), Some(0));
        assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
        assert_ne!(a.stdout, c.stdout, "another seed, another tenant");
        let dir = std::env::temp_dir().join(format!("hysim-gen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!("{incident}.yaml"));
        std::fs::write(&f, &a.stdout).unwrap();
        let run = hysim(&["run", f.to_str().unwrap()]);
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.stderr.is_empty(),
            "{incident}: no spinner nor progress bar when piped"
        );
        assert_eq!(
            run.status.code(),
            Some(0),
            "{incident}: {}",
            out.lines().rev().take(30).collect::<Vec<_>>().join("\n")
        );
        assert!(
            out.contains("relations: kept"),
            "{incident}: the sample's relations are checked"
        );
    }
}

#[test]
fn bench_prints_every_phase_and_the_peak_memory() {
    let o = hysim(&["bench", "--users", "2000", "--incident", "ad-delete"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for phase in [
        "build",
        "initial_sync",
        "backup",
        "incident",
        "restore",
        "final_sync",
    ] {
        assert!(v["phases_s"][phase].as_f64().unwrap() >= 0.0, "{phase}");
    }
    assert_eq!(v["users"], 2000);
    assert_eq!(v["touched"], 200);
    assert!(v["total_s"].as_f64().unwrap() > 0.0);
    assert!(v["delta_sync_one_change_s"].as_f64().is_some());
    // Linux: the CPU time split into user and system (kernel) seconds.
    if cfg!(target_os = "linux") {
        assert!(v["cpu_s"]["user"].as_f64().unwrap() >= 0.0);
        assert!(v["cpu_s"]["system"].as_f64().unwrap() >= 0.0);
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).is_empty(),
        "no progress bars when piped"
    );
    assert_eq!(
        v["prefault"], false,
        "memory faulted in ahead from 100k users"
    );
}

/// Below ten users the incident touches no one (a `purge` runbook would restore nothing): both
/// commands refuse the count with exit code 2 and say what they expected; ten is enough for
/// every incident's runbook to pass.
#[test]
fn generate_and_bench_refuse_fewer_users_than_the_incident_needs() {
    for (command, users) in [("generate", "9"), ("bench", "0"), ("bench", "ten")] {
        let o = hysim(&[command, "--users", users]);
        assert_eq!(o.status.code(), Some(2), "{command} --users {users}");
        let err = stderr(&o);
        assert!(err.contains("--users"), "{err}");
        assert!(
            err.contains("expected at least 10 users") || err.contains("expected a whole number"),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
    for incident in ["purge", "scope", "ad-delete"] {
        let g = hysim(&["generate", "--users", "10", "--incident", incident]);
        assert_eq!(g.status.code(), Some(0), "{incident}");
        let file = temp(&format!("min-users/{incident}.yaml"), &stdout(&g));
        let r = hysim(&["run", file.to_str().unwrap()]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{incident}: {}{}",
            stdout(&r),
            stderr(&r)
        );
    }
}
