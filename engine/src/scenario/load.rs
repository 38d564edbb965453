//! Loading a scenario file: read it, parse it (YAML and type errors with line and column),
//! validate it (semantic errors with the path inside the document and the known alternatives)
//! and resolve it into engine operations. Everything is checked before any step runs. The
//! validator, the world's operations and the steps each have a module of their own.

use std::collections::BTreeSet;
use std::path::Path;

use indexmap::IndexMap;

use super::format::*;
pub use super::steps::{describe, parse_duration};
use super::validate::Validator;
pub use super::validate::to_value;
use crate::op::Op;
use crate::query::Select;
use crate::settings::Names;
use crate::settings::Settings;
use crate::store::Handles;

pub use super::input::{InputError, MAX_FILE_BYTES, MAX_HANDLES};

/// A step ready to run: its text for the report, and what it does.
#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub text: String,
    pub path: String,
    pub action: Action,
}

#[derive(Clone, Debug)]
///
/// The step over sets and the checks are boxed, so that a step costs the size of an operation.
pub enum Action {
    Op(Op),
    /// A step over sets of identities, picked when it runs.
    Each(Box<Each>),
    Expect(Box<Expect>),
}

/// A step over sets of identities: each set as the scenario wrote it and what it picks. The
/// operation runs once for each identity picked, its subject set to it, or once with the
/// picks as its lists (a restore session).
#[derive(Clone, Debug)]
pub struct Each {
    pub users: Option<(String, Select)>,
    pub groups: Option<(String, Select)>,
    pub op: Op,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub file: String,
    pub title: String,
    pub sources: Vec<String>,
    pub description: Option<String>,
    pub settings: Settings,
    /// The clock's start, seconds since the epoch.
    pub start: i64,
    pub names: Names,
    pub sync_ous: Option<Vec<String>>,
    /// The identities' handles, numbered in the order the world creates them; operations name
    /// them by number.
    pub handles: std::sync::Arc<Handles>,
    /// The operations that build the world, with the path each comes from.
    pub world: Vec<(String, Op)>,
    pub steps: Vec<PlannedStep>,
    pub expect: Option<Expect>,
    /// The `plan` section, if the scenario has one.
    pub plan: Option<Plan>,
}

/// A validated `plan` section.
#[derive(Clone, Debug)]
pub struct Plan {
    /// How many of the first steps set up the incident (at least 1, at most every step).
    pub incident: usize,
    /// The candidate recovery steps, in the order the file lists them.
    pub candidates: Vec<PlannedStep>,
}

/// The most candidates a plan may list: 8 candidates make 109,601 ordered subsets.
pub const MAX_CANDIDATES: usize = 8;

/// The default start of the simulated clock.
pub const DEFAULT_START: &str = "2026-01-05T09:00:00Z";

/// Reads, parses and validates one file.
pub fn load(path: &Path) -> Result<Scenario, Vec<InputError>> {
    let file = path.display().to_string();
    let bytes =
        super::input::read_limited(path, MAX_FILE_BYTES, "a scenario").map_err(|e| vec![e])?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    parse(&file, &name, &bytes)
}

/// Parses and validates the bytes of a file.
pub fn parse(file: &str, name: &str, bytes: &[u8]) -> Result<Scenario, Vec<InputError>> {
    let at = |line, column, message: String| InputError {
        file: file.to_string(),
        line,
        column,
        path: None,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        vec![at(
            Some(line),
            None,
            "the file is not UTF-8 text: a scenario is a YAML document".into(),
        )]
    })?;
    if text.contains('\0') {
        return Err(vec![at(
            None,
            None,
            "the file holds NUL bytes: it is binary, not a YAML scenario".into(),
        )]);
    }
    if text.trim().is_empty() {
        return Err(vec![at(
            None,
            None,
            "the file is empty: expected a scenario with `title`, `world` and `steps`".into(),
        )]);
    }
    let doc: ScenarioFile = super::yaml::from_str(text).map_err(|e| {
        let line = e
            .line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .unwrap_or_default();
        let hint = if line.contains('\t') {
            " (this line holds a tab: YAML indents with spaces only)"
        } else if line.trim_start().starts_with('-') && e.message.contains("expected key") {
            " (a list item where a key of the map above was expected: line its `-` up with the `-` of the item before it)"
        } else {
            ""
        };
        vec![at(e.line, e.column, format!("{}{hint}", plain_words(&e.message)))]
    })?;
    let mut v = Validator {
        file: file.to_string(),
        errors: Vec::new(),
        handles: IndexMap::new(),
        labels: BTreeSet::new(),
        too_many: false,
        more_errors: 0,
        folded: Default::default(),
        table: Handles::default(),
        shared: Default::default(),
    };
    let scenario = v.scenario(name, doc);
    if v.more_errors > 0 {
        let n = v.more_errors;
        v.errors.push(InputError {
            file: file.to_string(),
            line: None,
            column: None,
            path: None,
            message: format!(
                "and {n} more error{} in this file, not listed (the first {} are above)",
                if n == 1 { "" } else { "s" },
                super::validate::MAX_ERRORS
            ),
        });
    }
    if v.errors.is_empty() {
        Ok(scenario)
    } else {
        Err(v.errors)
    }
}

/// A parser's or serde's message in the words of the scenario format: Rust type names become
/// what a writer of YAML would call them, and the position (reported apart) leaves the text.
pub(crate) fn plain_words(message: &str) -> String {
    let mut m = message.to_string();
    // Some parser messages repeat the position mid-sentence.
    while let Some(i) = m.find(" at line ") {
        let rest = m.get(i + 9..).unwrap_or_default();
        let end = rest
            .find(" column ")
            .map(|c| {
                let after = rest.get(c + 8..).unwrap_or_default();
                c + 8
                    + after
                        .find(|ch: char| !ch.is_ascii_digit())
                        .unwrap_or(after.len())
            })
            .unwrap_or(0);
        if end == 0 {
            break;
        }
        m = format!(
            "{}{}",
            m.get(..i).unwrap_or_default(),
            rest.get(end..).unwrap_or_default()
        );
    }
    for (rust, words) in [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number (0 or more)"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected usize", "expected a whole number (0 or more)"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("invalid type: sequence", "invalid type: a list"),
        ("expected a sequence", "expected a list"),
        ("invalid type: map", "invalid type: a map"),
        ("unknown variant", "unknown value"),
        ("invalid type: unit value", "invalid type: null"),
        (
            "data did not match any variant of untagged enum Sources",
            "expected a URL or a list of URLs",
        ),
    ] {
        m = m.replace(rust, words);
    }
    m = cut_quoted(&m);
    if let Some(i) = m.find("expected struct ") {
        // `expected struct AdSpec`: the writer sees a map with keys, not a Rust type.
        let rest = m.get(i + 16..).unwrap_or_default();
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        m = format!(
            "{}expected a map{}",
            m.get(..i).unwrap_or_default(),
            rest.get(end..).unwrap_or_default()
        );
    }
    m
}

/// The longest quoted value a message repeats in full.
const QUOTED: usize = 60;

/// `message` with each quoted value (`"..."` or `` `...` ``) longer than [`QUOTED`] characters
/// cut to its start and its length, so that one bad value of 10 MB is not 10 MB of message.
pub(crate) fn cut_quoted(message: &str) -> String {
    // Single quotes are apostrophes too: they are read as quotes only in a long message.
    let quotes: &[char] = if message.len() > 300 {
        &['"', '`', '\'']
    } else {
        &['"', '`']
    };
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(quotes) {
        let q = rest
            .get(open..)
            .and_then(|r| r.chars().next())
            .unwrap_or('"');
        let body_start = open + q.len_utf8();
        let Some(len) = rest.get(body_start..).and_then(|b| b.find(q)) else {
            break;
        };
        let body = rest.get(body_start..body_start + len).unwrap_or_default();
        out.push_str(rest.get(..body_start).unwrap_or_default());
        if body.chars().count() > QUOTED {
            let start: String = body.chars().take(QUOTED).collect();
            out.push_str(&format!("{start}… ({} characters)", body.chars().count()));
        } else {
            out.push_str(body);
        }
        out.push(q);
        rest = rest
            .get(body_start + len + q.len_utf8()..)
            .unwrap_or_default();
    }
    out.push_str(rest);
    out
}

impl Validator {
    /// A scenario whose world could not be read: its errors are reported, nothing runs.
    fn refused(&mut self, name: &str, doc: ScenarioFile) -> Scenario {
        Scenario {
            name: name.to_string(),
            file: self.file.clone(),
            title: doc.title,
            sources: Vec::new(),
            description: None,
            settings: Settings::default(),
            start: 0,
            names: Names::new("contoso.com", None, None),
            sync_ous: None,
            handles: std::sync::Arc::new(Handles::default()),
            world: Vec::new(),
            steps: Vec::new(),
            expect: None,
            plan: None,
        }
    }

    fn scenario(&mut self, name: &str, doc: ScenarioFile) -> Scenario {
        let mut settings = Settings::default();
        let mut start = 0;
        match chrono::DateTime::parse_from_rfc3339(
            doc.settings.start.as_deref().unwrap_or(DEFAULT_START),
        ) {
            Ok(t) => start = t.timestamp(),
            Err(e) => self.error(
                "settings.start",
                format!("not an RFC 3339 time ({e}), e.g. {DEFAULT_START}"),
            ),
        }
        let (no_ad, no_entra) = (AdSpec::default(), EntraSpec::default());
        let ad = doc.world.ad.as_ref().unwrap_or(&no_ad);
        let entra = doc.world.entra.as_ref().unwrap_or(&no_entra);
        let (world, names, sync_ous) = match &doc.world.import {
            Some(spec) => {
                let Some((imported, ops)) = self.import(spec, &doc.world) else {
                    return self.refused(name, doc);
                };
                // What the export says is the default; the scenario's settings win.
                settings.apply(&imported.settings);
                if doc.settings.start.is_none()
                    && let Some(t) = imported.captured_at
                {
                    start = t;
                }
                let domain = imported.domain.as_deref().unwrap_or("contoso.com");
                let names = Names::new(
                    domain,
                    imported.tenant.as_deref(),
                    imported.verified_domains.clone(),
                );
                (ops, names, imported.sync_ous)
            }
            None => {
                if doc.world.sync_ous.is_some() {
                    self.error(
                        "world.sync_ous",
                        "`world.sync_ous` goes with `world.import`; a written-out world sets `world.ad.sync_ous`",
                    );
                }
                let domain = ad.domain.clone().unwrap_or_else(|| "contoso.com".into());
                for (path, name) in [
                    ("world.ad.domain", ad.domain.as_deref()),
                    ("world.entra.tenant", entra.tenant.as_deref()),
                ] {
                    if name.is_some_and(|n| n.trim().is_empty()) {
                        self.error(path, "an empty name: leave the key out for the default");
                    }
                }
                let names = Names::new(
                    &domain,
                    entra.tenant.as_deref(),
                    entra.verified_domains.clone(),
                );
                (self.world(ad, entra), names, ad.sync_ous.clone())
            }
        };
        settings.apply(&doc.settings);
        let mut steps = Vec::with_capacity(doc.steps.len());
        if doc.steps.is_empty() {
            self.error("steps", "a scenario needs at least one step");
        }
        for (i, s) in doc.steps.iter().enumerate() {
            let path = format!("steps[{i}]");
            if let Some(action) = self.step(&path, s) {
                steps.push(PlannedStep {
                    text: describe(s),
                    path,
                    action,
                });
            }
        }
        if let Some(e) = &doc.expect {
            self.expect("expect", e);
        }
        let plan = doc.plan.as_ref().map(|p| self.plan(p, &doc));
        self.catalogue_names(&world, &steps, &doc);
        Scenario {
            name: name.to_string(),
            file: self.file.clone(),
            title: doc.title,
            sources: doc
                .source
                .map(|s| s.urls().into_iter().map(str::to_string).collect())
                .unwrap_or_default(),
            description: doc.description,
            settings,
            start,
            names,
            sync_ous,
            handles: std::sync::Arc::new(std::mem::take(&mut self.table)),
            world,
            steps,
            expect: doc.expect,
            plan,
        }
    }

    /// The `plan` section: `incident` within the steps, and each candidate validated as a step
    /// (after every step of the file, so that a candidate may restore from a backup of theirs).
    fn plan(&mut self, p: &PlanSpec, doc: &ScenarioFile) -> Plan {
        let n = doc.steps.len();
        if p.incident == 0 || p.incident > n {
            self.error(
                "plan.incident",
                format!(
                    "expected a step number from 1 to {n} (the scenario has {n} step{}), got {}",
                    if n == 1 { "" } else { "s" },
                    p.incident
                ),
            );
        }
        if p.candidates.is_empty() {
            self.error(
                "plan.candidates",
                "a plan needs at least one candidate step",
            );
        }
        if p.candidates.len() > MAX_CANDIDATES {
            self.error(
                "plan.candidates",
                format!(
                    "{} candidates: at most {MAX_CANDIDATES} (the orders grow as the factorial of the count)",
                    p.candidates.len()
                ),
            );
        }
        if doc.expect.is_none() {
            self.error(
                "plan",
                "a plan's goal is the scenario's final `expect`, and this scenario has none",
            );
        }
        let mut candidates = Vec::new();
        for (i, s) in p.candidates.iter().enumerate() {
            let path = format!("plan.candidates[{i}]");
            if matches!(s, Step::Expect(_)) {
                self.error(
                    &path,
                    "a candidate is a recovery step, not an `expect`: the goal is the final `expect`",
                );
                continue;
            }
            if let Some(action) = self.step(&path, s) {
                candidates.push(PlannedStep {
                    text: describe(s),
                    path,
                    action,
                });
            }
        }
        Plan {
            incident: p.incident,
            candidates,
        }
    }
}

#[cfg(test)]
mod tests {
    /// A runbook of many small steps costs a few words a step: the large step kinds, checks and
    /// relation sets are boxed (a flat list of a million `sync` steps once took 570 MiB to load).
    #[test]
    fn a_step_costs_a_few_words_whatever_its_kind() {
        use std::mem::size_of;
        assert!(size_of::<super::super::format::Step>() <= 32);
        assert!(size_of::<crate::Op>() <= 80);
        assert!(size_of::<super::PlannedStep>() <= 128);
    }
}
