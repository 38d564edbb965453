//! `hysim plan`: the orders of a scenario's candidate recovery steps that meet its final
//! `expect`, the failing ones grouped by their first failing check and the rule behind it, and
//! how much of the search was done.

use std::fmt::Write;
use std::path::Path;

use hysim_engine::report::show;
use hysim_engine::scenario::plan::PlanReport;
use hysim_engine::scenario::{self, InputError};

use crate::style::Style;
use crate::{EXIT_CHECK_FAILED, EXIT_INPUT_ERROR, EXIT_OK};

/// The output formats of `hysim plan`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

/// An order as one line: its steps joined by arrows.
fn order(steps: &[String]) -> String {
    if steps.is_empty() {
        "(no step)".into()
    } else {
        steps.join(" → ")
    }
}

/// The report as text.
pub fn render(file: &str, r: &PlanReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.header(&format!("plan {file}")));
    let bound = if r.bound_hit {
        style.warn(&format!(
            " (stopped at --max-orders: {} of {} orders not explored)",
            r.orders - r.explored,
            r.orders
        ))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "explored {} of {} orders, {} distinct states{bound}",
        r.explored, r.orders, r.distinct_states
    );
    let _ = writeln!(out);
    if r.passing.is_empty() {
        let _ = writeln!(out, "{}", style.fail("no order meets every expectation"));
    } else {
        let _ = writeln!(
            out,
            "{}",
            style.pass(&format!(
                "{} passing order{} (shortest first):",
                r.passing.len(),
                if r.passing.len() == 1 { "" } else { "s" }
            ))
        );
        for p in &r.passing {
            let _ = writeln!(out, "  {}. {}", p.len(), order(p));
        }
    }
    if !r.failing.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            style.fail(&format!(
                "{} failing famil{} (by first failing check and its rule):",
                r.failing.len(),
                if r.failing.len() == 1 { "y" } else { "ies" }
            ))
        );
        for f in &r.failing {
            let rule = match (&f.rule, &f.cause) {
                (Some(rule), Some(cause)) => {
                    // The step's kind is enough beside the example, which has it in full.
                    let by = f
                        .step
                        .as_deref()
                        .map_or("the incident", |s| s.split(':').next().unwrap_or(s));
                    format!("{rule} in {by}: {cause}")
                }
                _ => "no event of the order or the incident is about it".into(),
            };
            let _ = writeln!(
                out,
                "  - {} {}: expected {}, actual {}  [{} order{}]",
                f.subject,
                f.check,
                show(&f.expected),
                show(&f.actual),
                f.count,
                if f.count == 1 { "" } else { "s" }
            );
            let _ = writeln!(out, "    e.g. {}", order(&f.example));
            let _ = writeln!(out, "    cause: {rule}");
            if let Some(d) = &f.detail {
                let _ = writeln!(out, "    {}", style.dim(d));
            }
        }
    }
    out
}

/// Runs `hysim plan FILE`: 0 if some order passes, 1 if none does, 2 on input errors.
pub fn command(file: &Path, format: PlanFormat, max_orders: Option<u64>) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    let Some(result) = scenario::plan::plan(&s, max_orders) else {
        crate::report_errors(&[InputError {
            file: s.file.clone(),
            line: None,
            column: None,
            path: None,
            message: "no `plan` section: `hysim plan` needs `plan: {incident: N, candidates: [...]}` and a final `expect` (docs/scenario-format.md)".into(),
        }]);
        return EXIT_INPUT_ERROR;
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return crate::report_stopped(&[e]),
    };
    let code = if report.passing.is_empty() {
        EXIT_CHECK_FAILED
    } else {
        EXIT_OK
    };
    let written = match format {
        PlanFormat::Json => crate::output::emit_json(&report, EXIT_INPUT_ERROR),
        PlanFormat::Text => {
            let style = Style::detect();
            let text = style.safe(&render(&s.file, &report, style));
            crate::output::emit(text.as_bytes(), EXIT_INPUT_ERROR)
        }
    };
    crate::output::then(written, code)
}
