//! `hysim explain`: a run told as a story for a trainee. The scenario's title, sources and
//! description; then, for the world and for each step, what happened (each event with its rule
//! ID) and why (each rule's one-line statement and public source, read from the engine's rule
//! catalogue); the checks of each `expect`; and what became of each identity since the first
//! backup.

use std::fmt::Write;
use std::path::Path;

use hysim_engine::RuleId;
use hysim_engine::query::Verdict;
use hysim_engine::report::{Check, Event, ScenarioReport};
use hysim_engine::scenario::{self, Scenario};

use crate::style::Style;
use crate::text;
use crate::{EXIT_CHECK_FAILED, EXIT_INPUT_ERROR, EXIT_OK};

/// How the world before step 1 is built.
pub(crate) const WORLD_BUILT: &str = "The AD objects are created, one initial sync cycle runs, then the cloud-only objects and the cloud relations.";

/// What happened: one line per event, with its rule ID.
fn happened(out: &mut String, events: &[Event], style: Style) {
    let _ = writeln!(out, "  What happened:");
    for e in events {
        let _ = writeln!(
            out,
            "    - {} {}: {} [{}]",
            style.kind(e.kind),
            e.subject,
            e.message,
            e.rule
        );
    }
}

/// The rules behind the events, each once, in the order of first use.
pub(crate) fn rules(events: &[Event]) -> Vec<RuleId> {
    let mut rules: Vec<RuleId> = Vec::new();
    for e in events {
        if !rules.contains(&e.rule) {
            rules.push(e.rule);
        }
    }
    rules
}

/// Why: each rule behind the events once, in the order of first use, with its statement and
/// source from the catalogue.
fn why(out: &mut String, events: &[Event], style: Style) {
    let rules = rules(events);
    if rules.is_empty() {
        return;
    }
    let _ = writeln!(out, "  Why:");
    let width = rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for r in rules {
        let _ = writeln!(out, "    {:<width$}  {}", r.id(), r.statement());
        let _ = writeln!(
            out,
            "    {:<width$}  {}",
            "",
            style.dim(&format!("source: {}", r.source()))
        );
    }
}

pub(crate) fn events_and_rules(out: &mut String, events: &[Event], style: Style) {
    if events.is_empty() {
        let _ = writeln!(out, "  No events: nothing in the directories changed.");
        return;
    }
    happened(out, events, style);
    why(out, events, style);
}

pub(crate) fn checks(out: &mut String, list: &[&Check], style: Style) {
    let _ = writeln!(out, "  Checks:");
    for c in list {
        text::check_line(out, c, "    ", style);
    }
}

/// The story of one run.
pub fn render(s: &Scenario, r: &ScenarioReport, v: Option<&Verdict>, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.header(&s.title));
    let _ = writeln!(out, "{}", "=".repeat(s.title.chars().count()));
    let _ = writeln!(out, "Scenario {} ({})", s.name, s.file);
    match s.sources.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(out, "Source: {one}");
        }
        many => {
            let _ = writeln!(out, "Sources:");
            for src in many {
                let _ = writeln!(out, "  {src}");
            }
        }
    }
    if let Some(d) = &s.description {
        out.push('\n');
        for line in d.trim_end().lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    let _ = writeln!(out, "\n{}", style.step("Before step 1: building the world"));
    let _ = writeln!(out, "  {WORLD_BUILT}");
    for w in &r.world_warnings {
        let _ = writeln!(
            out,
            "  {}",
            style.warn(&format!("Not as written: {}: {}", w.subject, w.message))
        );
    }
    events_and_rules(
        &mut out,
        r.world_events.as_deref().unwrap_or_default(),
        style,
    );

    let by_step = text::checks_by_step(&r.checks);
    for step in &r.steps {
        let _ = writeln!(
            out,
            "\n{}",
            style.step(&format!("Step {}. {}", step.n, step.step))
        );
        text::selected_lines(&mut out, &step.selected, "  ", style);
        let mine = by_step.get(&Some(step.n)).cloned().unwrap_or_default();
        if mine.is_empty() {
            events_and_rules(&mut out, &step.events, style);
        } else {
            if !step.events.is_empty() {
                events_and_rules(&mut out, &step.events, style);
            }
            checks(&mut out, &mine, style);
        }
    }

    let end = by_step.get(&None).cloned().unwrap_or_default();
    if !end.is_empty() {
        let _ = writeln!(out, "\n{}", style.step("At the end"));
        checks(&mut out, &end, style);
    }
    if let Some(v) = v
        && !v.deltas.is_empty()
    {
        let _ = writeln!(
            out,
            "\n{}",
            style.step("What became of each identity since the first backup")
        );
        text::verdict(&mut out, v, "  ", style);
    }
    let (p, f) = (r.passed_count(), r.failed_count());
    let _ = writeln!(out, "\n{}", text::counts(p, f, style));
    if f == 0 {
        let _ = writeln!(out, "The runbook does what its expectations say.");
    } else {
        let _ = writeln!(
            out,
            "{}",
            style
                .fail("The runbook does not do what its expectations say: see the ✗ checks above.")
        );
    }
    out
}

/// `hysim explain FILE`: exit 0 when every check passed, 1 when one failed, 2 on an input error,
/// 3 on an engine defect.
pub fn command(file: &Path) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    let (report, world) = match scenario::run::run_until(&s, None) {
        Ok(r) => r,
        Err(e) => return crate::report_stopped(&[e]),
    };
    let verdict = world.verdict();
    let style = Style::detect();
    let text = style.safe(&render(&s, &report, verdict.as_ref(), style));
    let code = if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    };
    crate::output::then(crate::output::emit(text.as_bytes(), EXIT_INPUT_ERROR), code)
}
