//! `hysim quiz`, run as a built binary: with an answers file (all right; some wrong, with the
//! score and the steps to re-read; bad files, located), with answers piped to standard input
//! (an unreadable answer asked again, the end of input), and as a trainee uses it: in a
//! terminal under tmux, answers typed with send-keys and the screen read with capture-pane.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{hysim, root, stderr, stdout, temp};

const SCENARIO_01: &str = "scenarios/01-cloud-only-deletion.yaml";

/// Every answer right for runbook 1, as a trainer writes it: letters, or the choices' words.
const RIGHT_01: &str = "\
# scenarios/01-cloud-only-deletion.yaml: every answer right
4: [absent, live, n]
5: [new, \"Auditors, Project X\", no, warning]
6: [Analyst, none]
7: [y, a b c, Senior Analyst, kept, []]
";

fn quiz_with(file: &str, answers: &str, name: &str) -> Output {
    let path = temp(name, answers);
    hysim(&["quiz", file, "--answers", path.to_str().unwrap()])
}

/// `hysim quiz FILE` with `input` on standard input.
fn quiz_piped(file: &str, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .args(["quiz", file])
        .current_dir(root())
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn every_answer_right_scores_full_marks_and_nothing_to_reread() {
    let o = quiz_with(SCENARIO_01, RIGHT_01, "right.yaml");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("Score: 14 of 14 right"), "{out}");
    assert!(out.contains("Every prediction was right: nothing to re-read."));
    assert!(!out.contains('✗'), "{out}");
    // The questions, the answers as given, what happened and why, with the sources.
    for line in [
        "Step 5. restore: {users: [alice], from: nightly",
        "  1. Does alice's Entra object have its original object id, or a new one?",
        "     a) original   b) new   c) none   (one letter)",
        "  > new",
        "     a) Auditors   b) Finance   c) Project X   (every letter that applies, e.g. `a c`; `-` for none)",
        "    - relation-skipped alice: membership of Finance skipped",
        "    VDC-4    Keep Relationships restores the backed-up relations",
        "source: https://helpcenter.veeam.com/docs/vbr/entraid/entra_id_tenant_restore_options_advanced.html",
        "    ✓ 2. alice groups: [Auditors, Project X]",
        "    ✓ 4. restore alice: warning",
        "    ✓ 3. alice properties.jobTitle: Senior Analyst",
        "  The final `expect`: 23 passed, 0 failed",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    // The same file, the same questions in the same order: the same bytes.
    assert_eq!(
        o.stdout,
        quiz_with(SCENARIO_01, RIGHT_01, "right2.yaml").stdout
    );
}

#[test]
fn wrong_answers_are_marked_with_the_truth_and_their_steps_listed_to_reread() {
    let answers = RIGHT_01
        .replace("5: [new,", "5: [original,")
        .replace("7: [y, a b c,", "7: [y, a c,");
    let o = quiz_with(SCENARIO_01, &answers, "some-wrong.yaml");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("Score: 12 of 14 right"), "{out}");
    assert!(
        out.contains("    ✗ 1. alice object_id: you said original; it is new"),
        "{out}"
    );
    assert!(
        out.contains(
            "    ✗ 2. alice groups: you said [Auditors, Project X]; it is [Auditors, Finance, Project X]; missed Finance"
        ),
        "{out}"
    );
    let reread = out.split("Steps to re-read:\n").nth(1).expect(&out);
    assert_eq!(
        reread,
        "  Step 5. restore: {users: [alice], from: nightly, recycle_bin: true, keep_relationships: true, existing: skip}\n  Step 7. sync\n"
    );
}

#[test]
fn the_three_documented_runbooks_are_quizzes() {
    for (file, steps) in [
        ("scenarios/01-cloud-only-deletion.yaml", "4, 5, 6, 7"),
        (
            "scenarios/02-deletion-then-sync-recreation.yaml",
            "4, 5, 7, 9, 10",
        ),
        ("scenarios/03-deleted-from-both.yaml", "6, 8, 10, 11"),
    ] {
        // An answers file for a step that asks nothing names the steps that ask.
        let o = quiz_with(file, "1: [a]\n", "steps.yaml");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "step 1 asks no questions (the steps that ask: {steps})"
            )),
            "{file}: {err}"
        );
    }
}

#[test]
fn a_bad_answers_file_is_a_located_input_error() {
    for (text, expected) in [
        ("", "the file is empty"),
        ("4: [absent, live\n", "steps.yaml:"),
        (
            "4: absent\n",
            "steps.yaml:1:4: 4: invalid type: string \"absent\", expected a list",
        ),
        (
            "4: [absent, live]\n5: [new, \"a c\", n, b]\n6: [a, b]\n7: [y, a b c, b, a, -]\n",
            "steps.yaml:1: 4: 2 answers for step 4, which asks 3 questions",
        ),
        (
            "4: [absent, live, n]\n5: [new, \"a c\", n, b]\n6: [a, b]\n",
            "steps.yaml: 7: no answers for step 7, which asks 5 questions",
        ),
        (
            "4: [absent, live, n]\n5: [new, \"a c\", maybe, b]\n6: [a, b]\n7: [y, a b c, b, a, \"-\"]\n",
            "steps.yaml:2: 5[2]: `maybe` is not y or n (question 3: Is alice hybrid",
        ),
        (
            "4: [absent, live, n]\n5: [new, \"a z\", n, b]\n6: [a, b]\n7: [y, a b c, b, a, \"-\"]\n",
            "5[1]: `a z` is not one of the letters (a to c) or choices",
        ),
    ] {
        let o = quiz_with(SCENARIO_01, text, "steps.yaml");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{text:?}: {err}");
        assert!(
            err.contains(expected),
            "{text:?}: expected {expected:?} in\n{err}"
        );
        assert!(o.stdout.is_empty(), "{text:?}: {}", stdout(&o));
    }
    let o = hysim(&["quiz", SCENARIO_01, "--answers", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.yaml: cannot read the file"));
}

#[test]
fn a_quiz_naming_an_unknown_fact_is_a_located_input_error() {
    let text = std::fs::read_to_string(root().join(SCENARIO_01))
        .unwrap()
        .replace(
            "- alice: [object_id, groups, hybrid]",
            "- alice: [object_id, hybird]",
        );
    let f = temp("unknown-fact.yaml", &text);
    let o = hysim(&["quiz", f.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("steps[4].quiz[0].alice[1]: unknown fact `hybird` (known: "),
        "{err}"
    );
    // `run` refuses the file for the same reason, and a quiz does not change what `run` says.
    assert_eq!(hysim(&["run", f.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn answers_on_standard_input_are_asked_again_when_unreadable_and_end_input_stops() {
    let o = quiz_piped(SCENARIO_01, "x\nc\nlive\n\nmaybe\nn\nb\n");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains("  > x\n    Not an answer: `x` is not one of the letters (a to c) or choices. Try again.\n  > c\n"),
        "{out}"
    );
    assert!(
        out.contains("Not an answer: an empty answer. Try again."),
        "{out}"
    );
    assert!(out.contains("    ✓ 3. alice hybrid: no"), "{out}");
    assert!(
        out.contains("End of input: the quiz stops at step 5."),
        "{out}"
    );
    assert!(
        out.ends_with(
            "Score so far: 3 of 3 right\nEvery prediction was right: nothing to re-read.\n"
        ),
        "{out}"
    );
    // Nothing typed at all: the quiz ends at its first question.
    let o = quiz_piped(SCENARIO_01, "");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Score so far: 0 of 0 right"));
    // A runbook with no `quiz` and no `expect` step is told through and says so.
    let o = quiz_piped(
        "scenarios/04-cloud-only-deletion-without-keep-relationships.yaml",
        "",
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).ends_with("Score: 0 of 0 right\nNo step asks a question: give a step a `quiz` list, or add an `expect` step.\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn colour_follows_the_rules_of_run() {
    let path = temp("colour.yaml", RIGHT_01);
    let run = |env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hysim"));
        c.args(["quiz", SCENARIO_01, "--answers", path.to_str().unwrap()])
            .current_dir(root())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        stdout(&c.output().unwrap())
    };
    assert!(!run(&[]).contains('\x1b'));
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.contains("\x1b[32m✓\x1b[0m 1. alice entra: absent"),
        "{forced}"
    );
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'));
}

// ---- In a terminal, under tmux --------------------------------------------------------------

/// A tmux server of this test's own (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a detached tmux pane, or `None` when tmux cannot be run.
    fn start(name: &str, command: &str) -> Option<Tmux> {
        match Command::new("tmux").arg("-V").output() {
            Ok(o) if o.status.success() => {}
            _ => {
                eprintln!(
                    "skipped: tmux is not installed (apt-get install tmux); .ci/run installs it"
                );
                return None;
            }
        }
        let t = Tmux {
            socket: format!("hysim-test-{name}-{}", std::process::id()),
        };
        let o = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "quiz",
            "-x",
            "120",
            "-y",
            "40",
            command,
        ]);
        assert!(o.status.success(), "tmux new-session: {}", stderr(&o));
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-u", "-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .expect("tmux runs")
    }

    /// Everything the pane has shown, its history too, wrapped lines joined.
    fn screen(&self) -> String {
        stdout(&self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "quiz"]))
    }

    /// Waits until the screen shows `text` at least `times` times.
    fn wait_for(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {text:?} {times} times:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys` and Enter at the `nth` prompt, once it is shown.
    fn answer(&self, nth: usize, keys: &str) {
        self.wait_for("  > ", nth);
        let o = self.tmux(&["send-keys", "-t", "quiz", "-l", keys]);
        assert!(o.status.success(), "{}", stderr(&o));
        self.tmux(&["send-keys", "-t", "quiz", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The command a tmux pane runs: the quiz, then its exit code, then the pane stays open.
fn in_pane(args: &str) -> String {
    format!(
        "cd '{}' && '{}' {args}; echo \"[exit $?]\"; sleep 600",
        root().display(),
        env!("CARGO_BIN_EXE_hysim")
    )
}

#[test]
fn a_trainee_takes_runbook_1_in_a_terminal() {
    let Some(t) = Tmux::start("full", &in_pane(&format!("quiz {SCENARIO_01}"))) else {
        return;
    };
    let screen = t.wait_for("1. What is alice's state in Entra ID?", 1);
    assert!(screen.contains("Ctrl-D stops the quiz"), "{screen}");
    // A slip of the finger is asked again.
    let typed = [
        "x", "c", "a", "y", // step 4: the last one wrong
        "b", "a c", "n", "b", // step 5
        "Analyst", "b", // step 6
        "y", "a b c", "b", "kept", "-", // step 7
    ];
    for (i, keys) in typed.iter().enumerate() {
        t.answer(i + 1, keys);
    }
    let screen = t.wait_for("[exit 0]", 1);
    for line in [
        "    Not an answer: `x` is not one of the letters (a to c) or choices. Try again.",
        "  3. Is alice hybrid (a live Entra user joined to a live AD user, synced)?",
        "    ✗ 3. alice hybrid: you said yes; it is no",
        "    ✓ 2. alice groups: [Auditors, Project X]",
        "  Your predictions:",
        "    ✓ 5. sync errors: []",
        "Score: 13 of 14 right",
        "Steps to re-read:\n  Step 4. expect\n[exit 0]",
    ] {
        assert!(
            screen.contains(line),
            "missing {line:?} on the screen:\n{screen}"
        );
    }
    // A terminal gets colour, as from `run`.
    let painted = stdout(&t.tmux(&["capture-pane", "-p", "-e", "-S", "-", "-t", "quiz"]));
    assert!(
        painted.contains('\x1b'),
        "no colour on the terminal:\n{painted}"
    );
}

#[test]
fn ctrl_d_in_a_terminal_stops_the_quiz_with_the_score_so_far() {
    let Some(t) = Tmux::start("ctrl-d", &in_pane(&format!("quiz {SCENARIO_01}"))) else {
        return;
    };
    for (i, keys) in ["c", "b", "n"].iter().enumerate() {
        t.answer(i + 1, keys);
    }
    t.wait_for(
        "1. Does alice's Entra object have its original object id",
        1,
    );
    t.wait_for("  > ", 4);
    t.tmux(&["send-keys", "-t", "quiz", "C-d"]);
    let screen = t.wait_for("[exit 0]", 1);
    for line in [
        "    ✗ 2. alice ad: you said deleted; it is live",
        "End of input: the quiz stops at step 5.",
        "Score so far: 2 of 3 right",
        "Steps to re-read:\n  Step 4. expect\n[exit 0]",
    ] {
        assert!(
            screen.contains(line),
            "missing {line:?} on the screen:\n{screen}"
        );
    }
}
