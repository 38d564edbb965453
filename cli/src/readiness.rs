//! `hysim readiness`: what Veeam's documented runbooks would fail to bring back for each hybrid
//! user, by incident, grouped by cause (text), in full (JSON), or one row per lost item (CSV).

use std::fmt::Write;
use std::path::Path;

use hysim_engine::RuleId;
use hysim_engine::scenario::readiness::{Ask, Cause, ReadinessReport, readiness};

use crate::style::Style;
use crate::{EXIT_CHECK_FAILED, EXIT_INPUT_ERROR, EXIT_OK};

/// The output formats of `hysim readiness`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReadinessFormat {
    Text,
    Json,
    Csv,
}

/// What happens to the users of a cause, as a verb phrase (for one user when `one`).
fn phrase(c: &Cause, one: bool) -> String {
    let p = plural_phrase(c);
    if !one {
        return p;
    }
    let (verb, rest) = p.split_once(' ').unwrap_or((&p, ""));
    let verb = match verb {
        "lose" => "loses",
        "come" => "comes",
        "get" => "gets",
        "see" => "sees",
        v => v,
    };
    format!("{verb} {rest}")
}

fn plural_phrase(c: &Cause) -> String {
    let w = c.what.as_str();
    match w {
        "group" => "lose a group membership".into(),
        "owns" => "lose a group ownership".into(),
        "role" => "lose a directory role".into(),
        "license" => "lose a licence".into(),
        "app" => "lose an app assignment".into(),
        "manager" => "lose their manager".into(),
        "hybrid link" => "lose the hybrid link (their AD account is not joined)".into(),
        "hybrid link: a second cloud user" => "come back as a second cloud user".into(),
        "AD account" => "lose their AD account".into(),
        "cloud account" => "lose their cloud account".into(),
        "AD group" => "lose an AD group membership".into(),
        "AD manager" => "lose their AD manager".into(),
        "object id" => "get a new object id".into(),
        "AD objectGUID" => "get a new objectGUID".into(),
        _ => match w.strip_prefix("property ") {
            Some(p) => format!("see {p} changed"),
            None => w.to_string(),
        },
    }
}

/// Why, for the users of a cause: its rule, or a known chain of rules.
fn explanation(c: &Cause) -> String {
    if c.what == "hybrid link: a second cloud user" && c.rule == RuleId::Ad5 {
        return ": VEAD gives the re-created AD object a new objectGUID (AD-5), so no hard match (SYNC-3)".into();
    }
    format!(" ({})", c.rule)
}

fn users(n: usize) -> String {
    format!("{n} user{}", if n == 1 { "" } else { "s" })
}

/// The report as text: causes first, largest first; `detail` adds each user's items.
pub fn render(file: &str, r: &ReadinessReport, detail: bool, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.header(&format!("readiness {file}")));
    let ids: Vec<&str> = r.incidents.iter().map(|i| i.id()).collect();
    let _ = writeln!(
        out,
        "{} hybrid user{}; each incident's runbook replayed for each: {}",
        r.hybrid_users,
        if r.hybrid_users == 1 { "" } else { "s" },
        ids.join(", ")
    );
    for (kind, title) in [
        (
            "lost",
            "What would not come back, by cause (largest first):",
        ),
        ("changed", "What would come back changed:"),
    ] {
        let causes: Vec<&Cause> = r.causes.iter().filter(|c| c.kind == kind).collect();
        let _ = writeln!(out);
        if causes.is_empty() {
            let none = if kind == "lost" {
                style.pass("Nothing would be lost.")
            } else {
                "Nothing would come back changed.".into()
            };
            let _ = writeln!(out, "{none}");
            continue;
        }
        let title = if kind == "lost" {
            style.fail(title)
        } else {
            title.to_string()
        };
        let _ = writeln!(out, "{title}");
        for c in causes {
            let more = if c.users > c.examples.len() {
                ", …"
            } else {
                ""
            };
            // The examples of what is lost; what changes is the same for most users.
            let examples = if kind == "lost" {
                style.dim(&format!("; e.g. {}{more}", c.examples.join(", ")))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {} {} in {}{}{examples}",
                users(c.users),
                phrase(c, c.users == 1),
                c.incident.id(),
                explanation(c)
            );
        }
    }
    let rules: std::collections::BTreeSet<RuleId> = r.causes.iter().map(|c| c.rule).collect();
    if !rules.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Rules:");
        for rule in rules {
            let _ = writeln!(out, "  {rule} {}", rule.statement());
        }
    }
    if detail {
        for u in &r.users {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", style.header(&u.handle));
            for i in &u.incidents {
                let _ = writeln!(out, "  {}", i.incident.id());
                for (label, items) in [("lost", &i.outcome.lost), ("changed", &i.outcome.changed)] {
                    for it in items {
                        let _ = writeln!(out, "    {label}: {} ({})", it.what, it.rule);
                    }
                }
            }
        }
    }
    out
}

/// A CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per user, incident and lost item.
pub fn csv(r: &ReadinessReport) -> String {
    let mut out = String::from("handle,incident,what,rule\n");
    for u in &r.users {
        for i in &u.incidents {
            for it in &i.outcome.lost {
                let _ = writeln!(
                    out,
                    "{},{},{},{}",
                    field(&u.handle),
                    i.incident.id(),
                    field(&it.what),
                    it.rule
                );
            }
        }
    }
    out
}

/// Runs `hysim readiness FILE`: 0 if no user would lose anything, 1 if some user would, 2 on
/// input errors, 3 on an engine defect.
pub fn command(file: &Path, format: ReadinessFormat, user: Option<String>) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    let detail = user.is_some();
    let ask = Ask {
        user,
        threads: None,
    };
    let report = match readiness(&s, &ask) {
        Ok(r) => r,
        Err(e) => return crate::report_stopped(&[e]),
    };
    let code = if report.any_lost() {
        EXIT_CHECK_FAILED
    } else {
        EXIT_OK
    };
    let written = match format {
        ReadinessFormat::Json => crate::output::emit_json(&report, EXIT_INPUT_ERROR),
        ReadinessFormat::Csv => crate::output::emit(csv(&report).as_bytes(), EXIT_INPUT_ERROR),
        ReadinessFormat::Text => {
            let style = Style::detect();
            let text = style.safe(&render(&s.file, &report, detail, style));
            crate::output::emit(text.as_bytes(), EXIT_INPUT_ERROR)
        }
    };
    crate::output::then(written, code)
}
