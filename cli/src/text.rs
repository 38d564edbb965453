//! The text rendering of a run report: per scenario its title, per step one line and its events,
//! per check a mark, and the summary lines.

use std::fmt::Write;

use hysim_engine::report::{Check, Report};

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

fn check_line(out: &mut String, c: &Check) {
    let mark = if c.passed { "✓" } else { "✗" };
    let _ = write!(
        out,
        "    {mark} {} {}: {}",
        c.subject,
        c.check,
        show(&c.expected)
    );
    if !c.passed {
        let _ = write!(
            out,
            "  (expected {}, actual {})",
            show(&c.expected),
            show(&c.actual)
        );
        if let Some(d) = &c.detail {
            let _ = write!(out, " — {d}");
        }
    }
    out.push('\n');
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for s in &report.scenarios {
        let _ = writeln!(out, "== {} — {}", s.name, s.title);
        for step in &s.steps {
            let _ = writeln!(out, "  {:>2}. {}", step.n, step.step);
            for e in &step.events {
                let _ = writeln!(
                    out,
                    "        {} {} [{}] {}",
                    e.kind, e.subject, e.rule, e.message
                );
            }
            for c in s.checks.iter().filter(|c| c.step == Some(step.n)) {
                check_line(&mut out, c);
            }
        }
        let end: Vec<&Check> = s.checks.iter().filter(|c| c.step.is_none()).collect();
        if !end.is_empty() {
            let _ = writeln!(out, "  expect");
            for c in end {
                check_line(&mut out, c);
            }
        }
        let (p, f) = (s.passed_count(), s.failed_count());
        passed += p;
        failed += f;
        let _ = writeln!(out, "  {p} passed, {f} failed\n");
    }
    let n = report.scenarios.len();
    let _ = writeln!(out, "{n} scenario{} run", if n == 1 { "" } else { "s" });
    let _ = writeln!(out, "total: {passed} passed, {failed} failed");
    out
}
