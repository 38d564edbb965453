//! The JUnit XML rendering of a run report (`hysim run --format junit`), for CI pipelines: one
//! `<testsuite>` per scenario, one `<testcase>` per check, a `<failure>` with the expected and
//! actual values for a failed check. Deterministic: no times, no host names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::text::show;
use hysim_engine::report::{Check, Report, ScenarioReport};
use hysim_engine::scenario::InputError;

/// A character XML 1.0 can carry at all (even as a character reference).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for element content; characters XML cannot carry become U+FFFD.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes text for a double-quoted attribute value; line breaks and tabs are written as
/// character references so that attribute normalization keeps them.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// A check's test case name: `step 5: alice groups` or `end: alice hybrid`.
pub fn case_name(c: &Check) -> String {
    match c.step {
        Some(n) => format!("step {n}: {} {}", c.subject, c.check),
        None => format!("end: {} {}", c.subject, c.check),
    }
}

fn failure_message(c: &Check) -> String {
    let mut m = format!("expected {}, actual {}", show(&c.expected), show(&c.actual));
    if let Some(d) = &c.detail {
        let _ = write!(m, ": {d}");
    }
    m
}

/// The steps and their events, as the suite's `<system-out>`.
fn steps_out(s: &ScenarioReport) -> String {
    let mut out = String::new();
    for step in &s.steps {
        let _ = writeln!(out, "{:>2}. {}", step.n, step.step);
        for e in &step.events {
            let _ = writeln!(
                out,
                "      {} {} [{}] {}",
                e.kind, e.subject, e.rule, e.message
            );
        }
    }
    out
}

/// One scenario's suite, named `name`.
fn suite(out: &mut String, s: &ScenarioReport, name: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" file=\"{}\">",
        attr(name),
        s.checks.len(),
        s.failed_count(),
        attr(&s.file)
    );
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(
        out,
        "      <property name=\"title\" value=\"{}\"/>",
        attr(&s.title)
    );
    let _ = writeln!(out, "    </properties>");
    for c in &s.checks {
        let open = format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
            attr(&case_name(c)),
            attr(name),
            attr(&s.file)
        );
        if c.passed {
            let _ = writeln!(out, "{open}/>");
            continue;
        }
        let _ = writeln!(out, "{open}>");
        let mut body = format!(
            "subject: {}\ncheck: {}\nexpected: {}\nactual: {}\n",
            c.subject,
            c.check,
            show(&c.expected),
            show(&c.actual)
        );
        if let Some(d) = &c.detail {
            let _ = writeln!(body, "detail: {d}");
        }
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"check-failed\">{}</failure>",
            attr(&failure_message(c)),
            text(&body)
        );
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "    <system-out>{}</system-out>", text(&steps_out(s)));
    let _ = writeln!(out, "  </testsuite>");
}

/// A suite for a file whose input errors stopped it: one test case in error per file, with every
/// error of that file.
fn error_suites(out: &mut String, errors: &[InputError]) {
    let mut by_file: BTreeMap<&str, Vec<&InputError>> = BTreeMap::new();
    for e in errors {
        by_file.entry(e.file.as_str()).or_default().push(e);
    }
    for (file, errs) in by_file {
        let name = std::path::Path::new(file)
            .file_stem()
            .map_or_else(|| file.to_string(), |s| s.to_string_lossy().to_string());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" file=\"{}\">",
            attr(&name),
            attr(file)
        );
        let _ = writeln!(
            out,
            "    <testcase name=\"input\" classname=\"{}\" file=\"{}\">",
            attr(&name),
            attr(file)
        );
        let body: String = errs.iter().map(|e| format!("{e}\n")).collect();
        let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "      <error message=\"{}\" type=\"input-error\">{}</error>",
            attr(&first),
            text(&body)
        );
        let _ = writeln!(out, "    </testcase>");
        let _ = writeln!(out, "  </testsuite>");
    }
}

/// The JUnit XML document of a run: the report's scenarios, then a suite in error for each file
/// whose input errors stopped it (`errors`, from loading or from a run that could not go on).
pub fn render(report: &Report, errors: &[InputError]) -> String {
    let checks: usize = report.scenarios.iter().map(|s| s.checks.len()).sum();
    let failures: usize = report.scenarios.iter().map(|s| s.failed_count()).sum();
    let error_files = errors
        .iter()
        .map(|e| e.file.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    let tests = checks + error_files;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"hysim\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{error_files}\">"
    );
    // Two files of one name (`x.yaml`, `sub/x.yml`) are told apart by their paths.
    let mut names: std::collections::HashMap<&str, usize> = Default::default();
    for s in &report.scenarios {
        *names.entry(s.name.as_str()).or_default() += 1;
    }
    for s in &report.scenarios {
        let name = if names.get(s.name.as_str()).is_some_and(|n| *n > 1) {
            &s.file
        } else {
            &s.name
        };
        suite(&mut out, s, name);
    }
    error_suites(&mut out, errors);
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_characters_xml_cannot_carry() {
        assert_eq!(text("a<b>&c\"'"), "a&lt;b&gt;&amp;c\"'");
        assert_eq!(
            attr("a<b>&c\"'\n\t"),
            "a&lt;b&gt;&amp;c&quot;&apos;&#10;&#9;"
        );
        assert_eq!(text("x\u{1}y\u{FFFF}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(text("é 😀"), "é 😀");
    }

    #[test]
    fn case_names_say_the_step_or_the_end() {
        let mut c = Check {
            step: Some(5),
            subject: "alice".into(),
            check: "groups".into(),
            expected: serde_json::json!(["Finance"]),
            actual: serde_json::json!([]),
            passed: false,
            ..Check::default()
        };
        assert_eq!(case_name(&c), "step 5: alice groups");
        assert_eq!(failure_message(&c), "expected [Finance], actual []");
        c.step = None;
        c.check = "hybrid".into();
        assert_eq!(case_name(&c), "end: alice hybrid");
    }
}
