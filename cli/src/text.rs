//! The text rendering of a run report: per scenario its title, per step one line and its events,
//! per check a mark, what became of each identity since the first backup, and the summary lines.

use std::fmt::Write;

use hysim_engine::Value;
use hysim_engine::query::{RelFact, Verdict};
use hysim_engine::report::{Check, Event, Report};

use crate::style::Style;

/// A value as the text reports show it: texts bare, lists as `[a, b]`.
pub(crate) fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// One check: its mark, subject, check and expected value; for a failure also the actual value
/// and the detail.
pub fn check_line(out: &mut String, c: &Check, indent: &str, style: Style) {
    let mark = if c.passed {
        style.pass("✓")
    } else {
        style.fail("✗")
    };
    let _ = write!(
        out,
        "{indent}{mark} {} {}: {}",
        c.subject,
        c.check,
        show(&c.expected)
    );
    if !c.passed {
        let mut why = format!(
            "  (expected {}, actual {})",
            show(&c.expected),
            show(&c.actual)
        );
        if let Some(d) = &c.detail {
            let _ = write!(why, " — {d}");
        }
        out.push_str(&style.fail(&why));
    }
    out.push('\n');
}

/// One event: its kind, subject, rule and message.
fn event_line(out: &mut String, e: &Event, style: Style) {
    let _ = writeln!(
        out,
        "        {} {} [{}] {}",
        style.kind(e.kind),
        e.subject,
        e.rule,
        e.message
    );
}

fn facts(list: &[RelFact]) -> String {
    list.iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn value(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_string(), Value::to_string)
}

/// What became of each identity that had relations at the first backup: the relations kept, lost
/// and gained, and the Entra properties whose values changed. `indent` prefixes every line.
pub fn verdict(out: &mut String, v: &Verdict, indent: &str, style: Style) {
    let _ = writeln!(
        out,
        "{indent}{}",
        style.header(&format!("since backup '{}'", v.backup))
    );
    for d in &v.deltas {
        if let Some(why) = &d.ambiguous {
            let _ = writeln!(
                out,
                "{indent}  {}: {}",
                d.handle,
                style.fail(&format!("ambiguous: {why}"))
            );
            continue;
        }
        let lost = format!("{} lost", d.lost.len());
        let gained = format!("{} gained", d.gained.len());
        let _ = writeln!(
            out,
            "{indent}  {}: {} kept, {}, {}{}",
            d.handle,
            d.kept.len(),
            if d.lost.is_empty() {
                lost
            } else {
                style.fail(&lost)
            },
            if d.gained.is_empty() {
                gained
            } else {
                style.good(&gained)
            },
            if d.live {
                ""
            } else {
                " (no live Entra object)"
            }
        );
        if !d.kept.is_empty() {
            let _ = writeln!(out, "{indent}    kept    {}", facts(&d.kept));
        }
        if !d.lost.is_empty() {
            let _ = writeln!(
                out,
                "{indent}    {}    {}",
                style.fail("lost"),
                facts(&d.lost)
            );
        }
        if !d.gained.is_empty() {
            let _ = writeln!(
                out,
                "{indent}    {}  {}",
                style.good("gained"),
                facts(&d.gained)
            );
        }
        for p in &d.properties {
            let _ = writeln!(
                out,
                "{indent}    {} {}: {} → {}",
                style.warn("changed"),
                p.property,
                value(&p.backup),
                value(&p.now)
            );
        }
    }
}

/// The report; `verdicts` are the scenarios' verdicts in the same order (`None`: no backup).
pub fn render(report: &Report, verdicts: &[Option<Verdict>], style: Style) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for (i, s) in report.scenarios.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}",
            style.header(&format!("== {} — {}", s.name, s.title))
        );
        for step in &s.steps {
            let _ = writeln!(
                out,
                "  {}",
                style.step(&format!("{:>2}. {}", step.n, step.step))
            );
            for e in &step.events {
                event_line(&mut out, e, style);
            }
            for c in s.checks.iter().filter(|c| c.step == Some(step.n)) {
                check_line(&mut out, c, "    ", style);
            }
        }
        let end: Vec<&Check> = s.checks.iter().filter(|c| c.step.is_none()).collect();
        if !end.is_empty() {
            let _ = writeln!(out, "  {}", style.step("expect"));
            for c in end {
                check_line(&mut out, c, "    ", style);
            }
        }
        if let Some(Some(v)) = verdicts.get(i)
            && !v.deltas.is_empty()
        {
            verdict(&mut out, v, "  ", style);
        }
        let (p, f) = (s.passed_count(), s.failed_count());
        passed += p;
        failed += f;
        let _ = writeln!(out, "  {}\n", counts(p, f, style));
    }
    let n = report.scenarios.len();
    let _ = writeln!(out, "{n} scenario{} run", if n == 1 { "" } else { "s" });
    let _ = writeln!(out, "total: {}", counts(passed, failed, style));
    out
}

/// `N passed, M failed`, the failures in red when there are any.
pub fn counts(passed: usize, failed: usize, style: Style) -> String {
    let f = format!("{failed} failed");
    format!(
        "{passed} passed, {}",
        if failed == 0 { f } else { style.fail(&f) }
    )
}
