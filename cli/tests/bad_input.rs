//! Malformed input, one fixture file per case under `tests/bad-input/`: each must exit with code
//! 2, name the file and the line (YAML and type errors) or the path in the document (semantic
//! errors), say what was expected, and never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Where the error is located: by line (`file:L:`) or by path in the document (`file: path:`).
enum At {
    Line,
    Path(&'static str),
}
use At::*;

/// (fixture, how the error is located, a fragment of the message).
const CASES: &[(&str, At, &str)] = &[
    (
        "yaml-syntax.yaml",
        Line,
        "world.ad: invalid type: a list, expected a map",
    ),
    (
        "tab-indentation.yaml",
        Line,
        "YAML indents with spaces only",
    ),
    (
        "type-title.yaml",
        Line,
        "title: invalid type: a list, expected a string",
    ),
    ("type-world.yaml", Line, "world: invalid type: integer `5`"),
    (
        "type-ad-users.yaml",
        Line,
        "world.ad.users: invalid type: a list, expected a map",
    ),
    (
        "type-user-ou.yaml",
        Line,
        "world.ad.users.alice.ou: invalid type: a list, expected a string",
    ),
    (
        "type-steps.yaml",
        Line,
        "steps: invalid type: integer `5`, expected a list",
    ),
    (
        "type-step-body.yaml",
        Line,
        "steps[0].delete: invalid type: string \"alice\"",
    ),
    (
        "type-expect.yaml",
        Line,
        "expect: invalid type: integer `5`",
    ),
    (
        "type-check.yaml",
        Line,
        "expect.alice.hybrid: invalid type: string \"maybe\", expected a boolean",
    ),
    (
        "bad-setting-value.yaml",
        Line,
        "settings.deletion_threshold: invalid type: string \"lots\"",
    ),
    (
        "bad-setting-anchor.yaml",
        Line,
        "unknown value `upn`, expected `ms-ds-consistencyguid` or `objectguid`",
    ),
    (
        "unknown-key-top.yaml",
        Line,
        "unknown field `bogus`, expected one of `title`",
    ),
    (
        "unknown-key-settings.yaml",
        Line,
        "settings: unknown field `bogus`, expected one of `source_anchor`",
    ),
    (
        "unknown-key-world.yaml",
        Line,
        "world: unknown field `cloud`, expected one of `ad`, `entra`, `import`, `sync_ous`",
    ),
    (
        "unknown-key-ad.yaml",
        Line,
        "world.ad: unknown field `domian`, expected one of `domain`",
    ),
    (
        "unknown-key-entra.yaml",
        Line,
        "world.entra: unknown field `tenat`, expected one of `tenant`",
    ),
    (
        "unknown-key-step.yaml",
        Line,
        "steps[0].delete: unknown field `forever`, expected one of `user`",
    ),
    (
        "unknown-key-check.yaml",
        Line,
        "expect.alice: unknown field `hybird`, expected one of `entra`",
    ),
    (
        "unknown-attribute-ad-user.yaml",
        Path("world.ad.users.alice.departmnet"),
        "unknown AD attribute `departmnet` (known: ou, manager, groups, sAMAccountName",
    ),
    (
        "unknown-property-entra-user.yaml",
        Path("world.entra.users.carol.jobtitel"),
        "unknown Entra property `jobtitel` (known: userPrincipalName",
    ),
    (
        "unknown-handle-manager.yaml",
        Path("world.ad.users.alice.manager"),
        "unknown user 'bobb' (known: alice, bob)",
    ),
    (
        "unknown-handle-ad-groups.yaml",
        Path("world.ad.users.alice.groups[0]"),
        "unknown group 'Finanse' (known: Finance)",
    ),
    (
        "unknown-handle-members.yaml",
        Path("world.ad.groups.Finance.members[0]"),
        "unknown handle 'alcie'",
    ),
    (
        "unknown-handle-entra-members.yaml",
        Path("world.entra.groups.Project X.members[0]"),
        "unknown handle 'carl'",
    ),
    (
        "unknown-handle-owners.yaml",
        Path("world.entra.groups.Project X.owners[0]"),
        "unknown user 'carl'",
    ),
    (
        "unknown-handle-role.yaml",
        Path("world.entra.roles.Global Administrator[0]"),
        "unknown user 'dave'",
    ),
    (
        "unknown-handle-license.yaml",
        Path("world.entra.licenses.Microsoft 365 E3[0]"),
        "unknown handle 'dave'",
    ),
    (
        "unknown-handle-app.yaml",
        Path("world.entra.apps.Salesforce[0]"),
        "unknown handle 'dave'",
    ),
    (
        "unknown-handle-delete.yaml",
        Path("steps[0].delete.user"),
        "unknown user 'alcie' (known: alice, bob, carol)",
    ),
    (
        "unknown-handle-restore.yaml",
        Path("steps[3].restore.users[0]"),
        "unknown user 'alcie' (known: alice, bob, carol)",
    ),
    (
        "unknown-handle-restore-ad.yaml",
        Path("steps[1].restore_ad.users[0]"),
        "unknown user 'alcie'",
    ),
    (
        "unknown-handle-assign.yaml",
        Path("steps[0].assign.groups[0]"),
        "unknown group 'Finanse' (known: Finance)",
    ),
    (
        "unknown-handle-move.yaml",
        Path("steps[0].move.user"),
        "unknown user 'alcie'",
    ),
    (
        "unknown-handle-update.yaml",
        Path("steps[0].update.user"),
        "unknown user 'alcie'",
    ),
    (
        "unknown-handle-undelete.yaml",
        Path("steps[0].undelete.user"),
        "unknown user 'alcie'",
    ),
    (
        "unknown-subject-expect.yaml",
        Path("expect.alcie"),
        "unknown handle 'alcie'",
    ),
    (
        "unknown-restore-subject.yaml",
        Path("expect.restore.alcie"),
        "unknown handle 'alcie'",
    ),
    (
        "unknown-backup-label.yaml",
        Path("steps[0].restore.from"),
        "unknown restore point 'nightly'",
    ),
    (
        "user-where-group-expected.yaml",
        Path("steps[0].delete.group"),
        "'alice' is a user, not a group",
    ),
    (
        "handle-defined-twice.yaml",
        Path("world.ad.groups.alice"),
        "handle 'alice' is defined twice",
    ),
    (
        "reserved-handle.yaml",
        Path("world.entra.users.sync"),
        "`restore`, `sync` and `every` are reserved",
    ),
    (
        "duplicate-yaml-keys.yaml",
        Line,
        "world.ad.users: duplicate key `alice`",
    ),
    (
        "duplicate-attribute.yaml",
        Line,
        "world.ad.users.alice: duplicate key `title`",
    ),
    (
        "synced-group-cloud-members.yaml",
        Path("world.entra.groups.Finance.members"),
        "is synced from AD: its members come from AD",
    ),
    ("empty-file.yaml", Path(""), "the file is empty"),
    ("non-utf8.yaml", Line, "not UTF-8 text"),
    ("binary.yaml", Line, "not UTF-8 text"),
    (
        "step-two-keys.yaml",
        Line,
        "a step has exactly one key: found `sync` and `backup`",
    ),
    (
        "unknown-step.yaml",
        Line,
        "unknown step `frobnicate`, expected one of: sync, backup",
    ),
    (
        "unknown-bare-step.yaml",
        Line,
        "a bare step can only be `sync`",
    ),
    (
        "bad-wait.yaml",
        Path("steps[0].wait"),
        "bad duration '3 weeks': expected a number and a unit d, h or m",
    ),
    (
        "bad-guid.yaml",
        Path("world.ad.users.alice.mS-DS-ConsistencyGuid"),
        "'not-a-guid' is not a GUID",
    ),
    (
        "bad-start.yaml",
        Path("settings.start"),
        "not an RFC 3339 time",
    ),
    (
        "bad-error-code.yaml",
        Path("expect.sync.errors[0]"),
        "unknown error code `InvalidHardMatchh` (known: InvalidHardMatch",
    ),
    (
        "no-steps.yaml",
        Path("steps"),
        "a scenario needs at least one step",
    ),
    ("missing-title.yaml", Line, "missing field `title`"),
    (
        "missing-ou.yaml",
        Path("world.ad.users.alice"),
        "missing `ou`: required when `sync_ous` is set",
    ),
    (
        "alias-bomb.yaml",
        Line,
        "alias-bomb.yaml:10:15: the aliases up to here expand to more than",
    ),
    ("deep-nesting.yaml", Line, "more than the limit of 64"),
    (
        "selector-unknown-key.yaml",
        Line,
        "steps[0].delete.users: unknown selector `department`, expected one of: ou, member_of, handles, all",
    ),
    (
        "selector-two-keys.yaml",
        Line,
        "a selector has one key of ou, member_of, handles, all: found a second, `member_of`",
    ),
    (
        "selector-all-false.yaml",
        Line,
        "`all: false` selects no one",
    ),
    (
        "selector-beside-user.yaml",
        Path("steps[0].delete"),
        "name one identity (`user` or `group`) or sets of them (`users`, `groups`), not both",
    ),
    (
        "selector-member-of-a-user.yaml",
        Path("steps[0].delete.users.member_of"),
        "'alice' is a user, not a group",
    ),
    (
        "every-without-a-set.yaml",
        Path("expect.every[0]"),
        "name one set: `users` or `groups`",
    ),
    (
        "every-unknown-handle.yaml",
        Path("expect.every[0].users[1]"),
        "unknown user 'bob' (known: alice)",
    ),
    (
        "expect-unknown-licence.yaml",
        Path("expect.alice.licenses[0]"),
        "unknown licence `Microsoft 365 E6`: neither the world nor a step assigns it (known: Microsoft 365 E3)",
    ),
    (
        "type-whole-number.yaml",
        Line,
        "settings.deletion_threshold: invalid type: string \"many\", expected a whole number (0 or more)",
    ),
    (
        "misindented-list-item.yaml",
        Line,
        "(a list item where a key of the map above was expected: line its `-` up with the `-` of the item before it)",
    ),
    (
        "handle-case-duplicate.yaml",
        Path("world.ad.users.Alice"),
        "handle 'Alice' differs from 'alice' only in case: AD would take them for one account",
    ),
    (
        "handle-control-character.yaml",
        Path("world.ad.users.al\\u{0}ice"),
        "a handle cannot hold a control character (\\u{0} here)",
    ),
    (
        "empty-domain.yaml",
        Path("world.ad.domain"),
        "an empty name: leave the key out for the default",
    ),
    (
        "property-check-case-duplicate.yaml",
        Path("expect.alice.properties.DisplayName"),
        "`DisplayName` is `displayName` again: names are matched ignoring case",
    ),
    (
        "attribute-case-duplicate.yaml",
        Path("steps[0].update.set.Title"),
        "`Title` is `title` again",
    ),
    ("deep-nesting-hash.yaml", Line, "more than the limit of 64"),
    (
        "alias-expansion.yaml",
        Line,
        "the aliases up to here expand to more than",
    ),
    (
        "second-document.yaml",
        Line,
        "second-document.yaml:4:1: a second YAML document starts here",
    ),
    (
        "merge-key.yaml",
        Line,
        "merge-key.yaml:7:9: merge keys (`<<`) are not supported",
    ),
    (
        "setting-null.yaml",
        Line,
        "steps[0].settings.entra_retention_days: invalid type: null, expected a whole number (0 or more)",
    ),
    (
        "type-source.yaml",
        Line,
        "type-source.yaml:2:9: source: invalid type: a map, expected a URL or a list of URLs",
    ),
    (
        "long-value.yaml",
        Path("steps[0].wait"),
        "bad duration 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (5000 characters)'",
    ),
    (
        "plan-incident-past-steps.yaml",
        Path("plan.incident"),
        "expected a step number from 1 to 2 (the scenario has 2 steps), got 3",
    ),
    (
        "plan-unknown-handle.yaml",
        Path("plan.candidates[1].delete.user"),
        "unknown user 'alicia' (known: alice)",
    ),
    (
        "plan-unknown-label.yaml",
        Path("plan.candidates[0].restore_ad.from"),
        "unknown restore point 'weekly'",
    ),
    (
        "plan-without-expect.yaml",
        Path("plan"),
        "a plan's goal is the scenario's final `expect`",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input")
}

/// How long a refusal may take before it counts as a hang: a guard against a loop or a
/// quadratic parse, far above any machine's speed (not a speed target).
const HUNG: Duration = Duration::from_secs(300);

fn validate(path: &Path) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hysim"));
    command.arg("validate").arg(path);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(command.output()));
    let out = rx
        .recv_timeout(HUNG)
        .unwrap_or_else(|_| panic!("{}: no answer in {HUNG:?}", path.display()))
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !err.contains("panicked"),
        "{}: hysim panicked: {err}",
        path.display()
    );
    assert!(
        out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("ok "),
        "{}",
        path.display()
    );
    (out.status.code(), err)
}

#[test]
fn every_malformed_fixture_exits_2_with_a_located_message() {
    assert!(CASES.len() >= 30);
    let mut listed: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    listed.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "every fixture has a row, every row a fixture"
    );
    for (file, at, fragment) in CASES {
        let path = fixtures().join(file);
        let (code, err) = validate(&path);
        assert_eq!(code, Some(2), "{file}: {err}");
        let first = err.lines().next().unwrap_or_default();
        let named = format!("error: {}", path.display());
        assert!(
            first.starts_with(&named),
            "{file}: the file is named: {first}"
        );
        let rest = &first[named.len()..];
        match at {
            Line => assert!(
                rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_digit()),
                "{file}: a line number: {first}"
            ),
            Path(p) if !p.is_empty() => assert!(
                rest.starts_with(&format!(": {p}: ")),
                "{file}: the path {p}: {first}"
            ),
            Path(_) => {}
        }
        assert!(
            first.contains(fragment),
            "{file}: expected «{fragment}» in: {first}"
        );
    }
}

#[test]
fn missing_file_folder_without_scenarios_and_huge_line() {
    let (code, err) = validate(Path::new("/no/such/scenario.yaml"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("/no/such/scenario.yaml: no such file or folder"),
        "{err}"
    );
    let dir = std::env::temp_dir().join(format!("hysim-bad-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let (code, err) = validate(&dir.join("empty"));
    assert_eq!(code, Some(2));
    assert!(err.contains("no scenario in this folder"), "{err}");
    // A 10 MB single line: refused with a located message, without hanging.
    let huge = dir.join("huge-line.yaml");
    std::fs::write(
        &huge,
        format!(
            "title: {}\nworld: {{}}\nsteps: [frob]\n",
            "x".repeat(10 * 1024 * 1024)
        ),
    )
    .unwrap();
    let (code, err) = validate(&huge);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("huge-line.yaml:3:"),
        "{}",
        &err[..err.len().min(300)]
    );
}

#[test]
fn a_group_nesting_cycle_is_not_bad_input_and_terminates() {
    let dir = std::env::temp_dir().join(format!("hysim-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("cycle.yaml");
    std::fs::write(
        &f,
        "title: cycle\nworld:\n  ad:\n    users:\n      alice: {groups: [A]}\n    groups:\n      A: {members: [B]}\n      B: {members: [A]}\n  entra:\n    groups:\n      C: {members: [D, alice]}\n      D: {members: [C], licenses: [E5]}\nsteps:\n  - sync: initial\n  - backup: b\n  - delete: {group: A, from: ad}\n  - sync\nexpect:\n  alice: {licenses: [], groups: [C]}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hysim"))
        .arg("run")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
