//! Every output of one scenario at once, for the fuzz target over the renderers and the
//! property tests: what `run` writes as text (plain and coloured), JSON and JUnit, what
//! `explain` (text and HTML) and `graph` (Mermaid and DOT) write.

use hysim_engine::report::Report;
use hysim_engine::scenario::{RunError, Scenario};

use crate::style::Style;
use crate::{explain, graph, html, junit, text};

/// Runs `s` once and renders each output of its report and final world, in the order of the
/// module's summary; a run error is returned as `run` would report it.
pub fn every_output(s: &Scenario) -> Result<Vec<String>, RunError> {
    let (r, world, pictures) = html::run(s)?;
    let verdict = world.verdict();
    let caption = format!("hysim graph of {} — {}", s.file, s.title);
    let mut out = vec![
        explain::render(s, &r, verdict.as_ref(), Style::plain()),
        html::page(s, &r, verdict.as_ref(), &pictures),
        graph::mermaid(&world, &caption),
        graph::dot(&world, &caption),
    ];
    let report = Report {
        passed: r.passed,
        scenarios: vec![r],
        errors: Vec::new(),
    };
    let verdicts = [verdict];
    for style in [Style::plain(), Style::coloured()] {
        out.push(style.safe(&text::render(&report, &verdicts, false, style)));
    }
    out.push(text::render(&report, &verdicts, true, Style::plain()));
    out.push(junit::render(&report, &report.errors));
    out.push(serde_json::to_string(&report).unwrap_or_else(|e| format!("{e}")));
    Ok(out)
}
