//! The text rendering of a run report: per scenario its title, per step one line and its events,
//! per check a mark, what became of each identity since the first backup, and the summary lines.

use std::fmt::Write;

use hysim_engine::Value;
use hysim_engine::query::{RelFact, Verdict};
use hysim_engine::report::{Check, Event, Report, ScenarioReport, Selected};

use crate::style::Style;

pub(crate) use hysim_engine::report::show;

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
    if let Some(of) = c.of.filter(|_| c.passed) {
        let _ = write!(out, "  ({} of {})", of.passed, of.selected);
    }
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

/// What each set of a step over sets picked: how many and the first of them; picking no one
/// is said in the warning colour.
pub fn selected_lines(out: &mut String, selected: &[Selected], indent: &str, style: Style) {
    for s in selected {
        if s.count == 0 {
            let _ = writeln!(
                out,
                "{indent}{}",
                style.warn(&format!(
                    "selected no one: {} picks no one, so the step does nothing",
                    s.selector
                ))
            );
            continue;
        }
        let more = if s.count > s.first.len() { ", …" } else { "" };
        let _ = writeln!(
            out,
            "{indent}selected {} {}: {}{more}",
            s.count,
            s.selector,
            s.first.join(", ")
        );
    }
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

/// What became of each identity that had relations at the first backup: for each one whose
/// relations or Entra properties changed (or that has no single live Entra object), the
/// relations kept, lost and gained and the properties whose values changed; then one line
/// counting the others. `indent` prefixes every line.
pub fn verdict(out: &mut String, v: &Verdict, indent: &str, style: Style) {
    let _ = writeln!(
        out,
        "{indent}{}",
        style.header(&format!("since backup '{}'", v.backup))
    );
    let changed = |d: &&hysim_engine::query::Delta| {
        d.ambiguous.is_some()
            || !d.live
            || !d.lost.is_empty()
            || !d.gained.is_empty()
            || !d.properties.is_empty()
    };
    let unchanged = v.deltas.len() - v.deltas.iter().filter(changed).count();
    for d in v.deltas.iter().filter(changed) {
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
    if unchanged > 0 {
        let others = if unchanged == v.deltas.len() {
            ""
        } else {
            " other"
        };
        let _ = writeln!(
            out,
            "{indent}  {unchanged}{others} identit{} with relations at the backup: every relation kept, none gained, no property changed",
            if unchanged == 1 { "y" } else { "ies" }
        );
    }
}

/// The report; `verdicts` are the scenarios' verdicts in the same order (`None`: no backup).
/// It ends with the failed checks of every scenario, then the totals. With `failures_only`,
/// only the failing scenarios are shown, each with its failing checks.
pub fn render(
    report: &Report,
    verdicts: &[Option<Verdict>],
    failures_only: bool,
    style: Style,
) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for (i, s) in report.scenarios.iter().enumerate() {
        let (p, f) = (s.passed_count(), s.failed_count());
        passed += p;
        failed += f;
        if failures_only {
            if f > 0 {
                failures(&mut out, s, style);
            }
            continue;
        }
        let _ = writeln!(
            out,
            "{}",
            style.header(&format!("== {} — {}", s.name, s.title))
        );
        for w in &s.world_warnings {
            let _ = writeln!(
                out,
                "  {}",
                style.warn(&format!("world: {}: {}", w.subject, w.message))
            );
        }
        let by_step = checks_by_step(&s.checks);
        for step in &s.steps {
            let _ = writeln!(
                out,
                "  {}",
                style.step(&format!("{:>2}. {}", step.n, step.step))
            );
            selected_lines(&mut out, &step.selected, "        ", style);
            for e in &step.events {
                event_line(&mut out, e, style);
            }
            if let Some(counts) = step
                .event_counts
                .as_ref()
                .filter(|_| step.events_omitted > 0)
            {
                let all: Vec<String> = counts
                    .iter()
                    .map(|c| format!("{} {} [{}]", c.count, c.kind, c.rule))
                    .collect();
                let _ = writeln!(
                    out,
                    "        … {} more events not listed (--events all lists them); the step's events: {}",
                    step.events_omitted,
                    all.join(", ")
                );
            }
            for c in by_step.get(&Some(step.n)).into_iter().flatten() {
                check_line(&mut out, c, "    ", style);
            }
        }
        let end = by_step.get(&None).cloned().unwrap_or_default();
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
        let _ = writeln!(out, "  {}\n", counts(p, f, style));
    }
    if failed > 0 && !failures_only {
        let _ = writeln!(out, "{}", style.header("failed checks"));
        for s in report.scenarios.iter().filter(|s| s.failed_count() > 0) {
            failures(&mut out, s, style);
        }
    }
    let n = report.scenarios.len();
    let _ = writeln!(out, "{n} scenario{} run", if n == 1 { "" } else { "s" });
    let _ = writeln!(out, "total: {}", counts(passed, failed, style));
    out
}

/// A scenario's failed checks: its file, then each check with the step it belongs to.
fn failures(out: &mut String, s: &ScenarioReport, style: Style) {
    let _ = writeln!(
        out,
        "{}",
        style.header(&format!("== {} — {}", s.file, s.title))
    );
    for c in s.checks.iter().filter(|c| !c.passed) {
        let at = match c.step {
            Some(n) => format!("step {n}: "),
            None => "end: ".to_string(),
        };
        check_line(out, c, &format!("    {at}"), style);
    }
    out.push('\n');
}

/// The checks of each `expect` step (`None`: the final `expect`), grouped in one pass so that
/// writing a report costs its steps plus its checks, not their product.
pub fn checks_by_step(checks: &[Check]) -> std::collections::HashMap<Option<usize>, Vec<&Check>> {
    let mut by: std::collections::HashMap<Option<usize>, Vec<&Check>> = Default::default();
    for c in checks {
        by.entry(c.step).or_default().push(c);
    }
    by
}

/// `N passed, M failed`, the failures in red when there are any.
pub fn counts(passed: usize, failed: usize, style: Style) -> String {
    let f = format!("{failed} failed");
    format!(
        "{passed} passed, {}",
        if failed == 0 { f } else { style.fail(&f) }
    )
}
