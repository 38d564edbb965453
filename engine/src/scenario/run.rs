//! The runner: builds the world, applies each step, evaluates every expectation, and returns
//! the scenario's report. Outcomes are data; only an engine error or a broken invariant stops a
//! run.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use indexmap::IndexMap;

use super::format::{
    AdStateSpec, EntraState, EveryEntry, Expect, ExportSpec, HandleChecks, Kept, Origin, Scalar,
    Selection,
};
use super::load::{Action, Each, InputError, Scenario, to_value};
use crate::error::EngineError;
use crate::query::Select;
use crate::query::{AdPresence, EntraPresence, same_value};
use crate::report::Progress;
use crate::report::{Check, Failing, ScenarioReport, Selected, SetCount, StepReport, WorldWarning};
use crate::store::{AdAttr, EntraProp, HandleId, Kind};
use crate::sync::Export;
use crate::world::World;

/// Why a run stopped.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    /// Something the scenario asks that the engine cannot carry out as asked, found while
    /// running (a step on an ambiguous handle): an input error.
    #[error("{0}")]
    Input(InputError),
    /// A broken invariant: a defect of hysim, never an outcome of the scenario.
    #[error("{0} (this is a defect of hysim, not of the scenario)")]
    Defect(InputError),
}

impl RunError {
    /// Where the run stopped and why.
    pub fn error(&self) -> &InputError {
        match self {
            RunError::Input(e) | RunError::Defect(e) => e,
        }
    }
    pub fn is_defect(&self) -> bool {
        matches!(self, RunError::Defect(_))
    }
}

pub(super) fn stop(s: &Scenario, path: &str, e: EngineError) -> RunError {
    let error = InputError {
        file: s.file.clone(),
        line: None,
        column: None,
        path: Some(path.to_string()),
        message: e.to_string(),
    };
    match e {
        EngineError::Invariant { .. } => RunError::Defect(error),
        _ => RunError::Input(error),
    }
}

/// Builds the world of a scenario (SCENARIO_FORMAT.md 1.2) and returns it with the events.
pub fn build(s: &Scenario) -> Result<(World, Vec<crate::Event>), RunError> {
    build_watched(s, None)
}

/// [`build`] with the world watched by `progress` (left watched): the operations that build it
/// are its `world` stage.
fn build_watched(
    s: &Scenario,
    progress: Option<Progress>,
) -> Result<(World, Vec<crate::Event>), RunError> {
    let mut w = World::new(
        s.settings.clone(),
        s.names.clone(),
        s.start,
        std::sync::Arc::clone(&s.handles),
    );
    w.set_sync_ous(s.sync_ous.clone());
    w.set_progress(progress);
    let mut events = Vec::new();
    for (i, (path, op)) in s.world.iter().enumerate() {
        w.progress("world", i, s.world.len());
        events.extend(w.apply(op).map_err(|e| stop(s, path, e))?);
    }
    w.progress("world", s.world.len(), s.world.len());
    Ok((w, events))
}

/// Runs a scenario to its end.
pub fn run(s: &Scenario) -> Result<ScenarioReport, RunError> {
    run_until(s, None).map(|(report, _)| report)
}

/// Runs a scenario up to step `until` (1-based; all steps when `None`), returning the report so
/// far and the world.
pub fn run_until(s: &Scenario, until: Option<usize>) -> Result<(ScenarioReport, World), RunError> {
    run_watched(s, until, None)
}

/// [`run_until`], telling `progress` how far the run has got: the `world` stage while the world
/// is built, the `steps` stage after every step, and the world's own stages (a cycle's export,
/// ...) within a step. For a progress bar: the report and the world are the same watched or
/// not, and the world returned is unwatched.
pub fn run_watched(
    s: &Scenario,
    until: Option<usize>,
    progress: Option<Progress>,
) -> Result<(ScenarioReport, World), RunError> {
    run_inner(s, until, progress, &mut |_, _| {})
}

/// Runs a scenario to its end, handing `observe` the world once it is built (with 0) and after
/// each step (with the step's number): a picture of every step from one run, not one replay per
/// step.
pub fn run_observed(
    s: &Scenario,
    observe: &mut dyn FnMut(usize, &World),
) -> Result<(ScenarioReport, World), RunError> {
    run_inner(s, None, None, observe)
}

fn run_inner(
    s: &Scenario,
    until: Option<usize>,
    progress: Option<Progress>,
    observe: &mut dyn FnMut(usize, &World),
) -> Result<(ScenarioReport, World), RunError> {
    let (mut w, world_events) = build_watched(s, progress.clone())?;
    observe(0, &w);
    let total = until.map_or(s.steps.len(), |u| u.min(s.steps.len()));
    let tell = |done: usize| {
        if let Some(p) = &progress {
            p("steps", done, total);
        }
    };
    let mut steps = Vec::new();
    let mut checks = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        let n = i + 1;
        if until.is_some_and(|u| n > u) {
            break;
        }
        tell(i);
        let mut selected = Vec::new();
        let events = match &step.action {
            Action::Op(op) => w.apply(op).map_err(|e| stop(s, &step.path, e))?,
            Action::Each(each) => {
                run_each(&mut w, each, &mut selected).map_err(|e| stop(s, &step.path, e))?
            }
            Action::Expect(e) => {
                checks.extend(evaluate(&w, e, Some(n)));
                Vec::new()
            }
        };
        observe(n, &w);
        steps.push(StepReport {
            n,
            step: step.text.clone(),
            selected,
            events,
            events_omitted: 0,
            event_counts: None,
        });
    }
    tell(total);
    w.set_progress(None);
    if until.is_none()
        && let Some(e) = &s.expect
    {
        checks.extend(evaluate(&w, e, None));
    }
    let passed = checks.iter().all(|c| c.passed);
    let report = ScenarioReport {
        name: s.name.clone(),
        file: s.file.clone(),
        title: s.title.clone(),
        passed,
        world_warnings: world_warnings(&w, &world_events),
        world_events: Some(world_events),
        world_event_counts: None,
        steps,
        checks,
    };
    Ok((report, w))
}

/// Runs a step over sets of identities: picks each set now, tells what it picked, and runs the
/// step's operation for what was picked.
pub fn run_each(
    w: &mut World,
    each: &Each,
    selected: &mut Vec<Selected>,
) -> Result<Vec<crate::Event>, EngineError> {
    let mut pick = |kind: Kind, set: &Option<(String, Select)>| {
        let Some((text, select)) = set else {
            return Ok(Vec::new());
        };
        let picked = w.select(kind, select)?;
        selected.push(Selected {
            selector: format!("{kind}s {text}"),
            count: picked.len(),
            first: picked
                .iter()
                .take(Selected::FIRST)
                .map(|h| w.handles().name(*h).to_string())
                .collect(),
        });
        Ok::<_, EngineError>(picked)
    };
    let users = pick(Kind::User, &each.users)?;
    let groups = pick(Kind::Group, &each.groups)?;
    let mut events = Vec::new();
    for op in super::steps::expand(&each.op, &users, &groups) {
        events.extend(w.apply(&op)?);
    }
    Ok(events)
}

/// The identities the world could not be built for as written: the operations of the world
/// the simulated systems refused or found nothing for, by subject, with the likely cause when
/// it is the sync scope.
fn world_warnings(w: &World, events: &[crate::Event]) -> Vec<WorldWarning> {
    use crate::EventKind::{NotFound, Refused, WriteRefused};
    let mut by_subject: IndexMap<&str, (usize, &crate::Event)> = IndexMap::new();
    for e in events {
        if matches!(e.kind, NotFound | Refused | WriteRefused) {
            by_subject.entry(&e.subject).or_insert((0, e)).0 += 1;
        }
    }
    by_subject
        .into_iter()
        .map(|(subject, (count, first))| {
            let outside = w
                .handle_id(subject)
                .and_then(|h| w.ad_current(h))
                .filter(|n| !w.in_scope(*n))
                .and_then(|n| w.graph().ad(n))
                .map(|o| {
                    format!(
                        "; its AD object is in OU {}, outside Entra Connect's scope (`sync_ous`), so it never reached Entra ID",
                        o.ou
                    )
                })
                .unwrap_or_default();
            let ops = if count == 1 { "operation" } else { "operations" };
            WorldWarning {
                subject: subject.to_string(),
                count,
                message: format!(
                    "{count} {ops} of the world not carried out as written ({}){outside}",
                    first.message
                ),
            }
        })
        .collect()
}

fn sorted(v: &[String]) -> Json {
    let s: BTreeSet<&String> = v.iter().collect();
    json!(s)
}

fn scalar_json(v: &Scalar) -> Json {
    match v {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => json!(b),
        Scalar::Text(t) => json!(t),
        Scalar::List(l) => json!(l),
    }
}

struct Checker<'a> {
    w: &'a World,
    step: Option<usize>,
    out: Vec<Check>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        subject: &str,
        check: &str,
        expected: Json,
        actual: Json,
        detail: Option<String>,
    ) {
        let passed = expected == actual;
        self.out.push(Check {
            step: self.step,
            subject: subject.to_string(),
            check: check.to_string(),
            expected,
            actual,
            passed,
            detail: if passed { None } else { detail },
            ..Check::default()
        });
    }

    /// A check whose fact could not be computed because the handle is ambiguous.
    fn ambiguous(&mut self, subject: &str, check: &str, expected: Json, e: &EngineError) {
        self.out.push(Check {
            step: self.step,
            subject: subject.to_string(),
            check: check.to_string(),
            expected,
            actual: json!("ambiguous"),
            passed: false,
            detail: Some(e.to_string()),
            ..Check::default()
        });
    }

    fn fact<T>(
        &mut self,
        subject: &str,
        check: &str,
        expected: Json,
        r: Result<T, EngineError>,
        f: impl FnOnce(T) -> Json,
    ) {
        match r {
            Ok(v) => {
                let actual = f(v);
                self.push(subject, check, expected, actual, None);
            }
            Err(e) => self.ambiguous(subject, check, expected, &e),
        }
    }

    fn handle(&mut self, name: &str, h: HandleId, c: &HandleChecks) {
        let w = self.w;
        if let Some(e) = c.entra {
            let expected = serde_json::to_value(e).unwrap_or_default();
            self.fact(name, "entra", expected, w.entra_presence(h), |p| {
                json!(match p {
                    EntraPresence::Live => EntraState::Live,
                    EntraPresence::SoftDeleted => EntraState::SoftDeleted,
                    EntraPresence::Absent => EntraState::Absent,
                })
            });
        }
        if let Some(a) = c.ad {
            let actual = match w.ad_presence(h) {
                AdPresence::Live => AdStateSpec::Live,
                AdPresence::Deleted => AdStateSpec::Deleted,
                AdPresence::Recycled => AdStateSpec::Recycled,
                AdPresence::Absent => AdStateSpec::Absent,
            };
            self.push(name, "ad", json!(a), json!(actual), None);
        }
        if let Some(b) = c.hybrid {
            self.fact(name, "hybrid", json!(b), w.hybrid(h), |v| json!(v));
        }
        if let Some(o) = c.object_id {
            let first = w.original_object_id(h);
            self.fact(name, "object_id", json!(o), w.object_id(h), |id| match id {
                None => json!("none"),
                Some(id) if Some(id) == first => json!(Origin::Original),
                Some(_) => json!(Origin::New),
            });
        }
        if let Some(o) = c.object_guid {
            let actual = match w.object_guid(h) {
                None => json!("none"),
                Some(g) if Some(g) == w.original_object_guid(h) => json!(Origin::Original),
                Some(_) => json!(Origin::New),
            };
            self.push(name, "object_guid", json!(o), actual, None);
        }
        for (key, list) in [
            ("groups", &c.groups),
            ("roles", &c.roles),
            ("licenses", &c.licenses),
            ("apps", &c.apps),
            ("owns", &c.owns),
        ] {
            if let Some(list) = list {
                self.fact(name, key, sorted(list), w.entra_relation(h, key), |s| {
                    json!(s)
                });
            }
        }
        if let Some(list) = &c.ad_groups {
            self.push(name, "ad_groups", sorted(list), json!(w.ad_groups(h)), None);
        }
        if let Some(m) = &c.manager {
            self.fact(name, "manager", json!(m), w.entra_manager(h), |v| json!(v));
        }
        if let Some(props) = &c.properties {
            for (k, v) in props {
                let Some(p) = EntraProp::from_name(k) else {
                    continue;
                };
                let expected = to_value(v, p.is_list(), p.is_bool());
                let check = format!("properties.{}", p.name());
                match (expected, w.entra_property(h, p)) {
                    (Ok(exp), Ok(act)) => {
                        let passed = same_value(exp.as_ref(), act.as_ref());
                        let actual = json!(act);
                        let expected_json = scalar_json(v);
                        self.out.push(Check {
                            step: self.step,
                            subject: name.into(),
                            check,
                            expected: expected_json,
                            actual,
                            passed,
                            detail: None,
                            ..Check::default()
                        });
                    }
                    (Err(msg), _) => self.out.push(Check {
                        step: self.step,
                        subject: name.into(),
                        check,
                        expected: scalar_json(v),
                        actual: Json::Null,
                        passed: false,
                        detail: Some(msg),
                        ..Check::default()
                    }),
                    (_, Err(e)) => self.ambiguous(name, &check, scalar_json(v), &e),
                }
            }
        }
        if let Some(attrs) = &c.ad_properties {
            for (k, v) in attrs {
                let Some(a) = AdAttr::from_name(k) else {
                    continue;
                };
                let check = format!("ad_properties.{}", a.name());
                let act = w.ad_property(h, a);
                let (passed, detail) = match to_value(v, a.is_list(), a.is_bool()) {
                    Ok(exp) => (same_value(exp.as_ref(), act.as_ref()), None),
                    Err(msg) => (false, Some(msg)),
                };
                self.out.push(Check {
                    step: self.step,
                    subject: name.into(),
                    check,
                    expected: scalar_json(v),
                    actual: json!(act),
                    passed,
                    detail,
                    ..Check::default()
                });
            }
        }
        if let Some(k) = c.relations {
            match (w.first_backup(), w.relation_facts(h)) {
                (None, _) => self.push(
                    name,
                    "relations",
                    json!(k),
                    json!("no backup"),
                    Some("no `backup` step ran before this check".into()),
                ),
                // Nothing to keep or lose: the identity had no Entra object at the backup (an
                // AD user outside `sync_ous`, say). The check fails rather than hold vacuously.
                (Some(label), Ok(_)) if !w.backed_up(h, label) => self.push(
                    name,
                    "relations",
                    json!(k),
                    json!("nothing at backup"),
                    Some(format!(
                        "{name} had no Entra object in restore point '{label}', so it had no relations to keep or lose (is it synced: its OU in `sync_ous`?)"
                    )),
                ),
                (Some(label), Ok(now)) => {
                    let before = w.relation_facts_at(h, label);
                    let lost: Vec<String> =
                        before.difference(&now).map(|f| f.to_string()).collect();
                    let actual = if lost.is_empty() {
                        Kept::Kept
                    } else {
                        Kept::Lost
                    };
                    let detail = (!lost.is_empty())
                        .then(|| format!("lost since backup '{label}': {}", lost.join(", ")));
                    let expected = json!(k);
                    let passed = k == actual;
                    self.out.push(Check {
                        step: self.step,
                        subject: name.into(),
                        check: "relations".into(),
                        expected,
                        actual: json!(actual),
                        passed,
                        detail,
                        ..Check::default()
                    });
                }
                (Some(_), Err(e)) => self.ambiguous(name, "relations", json!(k), &e),
            }
        }
        if let Some(u) = &c.upn {
            self.fact(name, "upn", json!(u), w.upn(h), |v| json!(v));
        }
        if let Some(n) = c.count {
            self.push(name, "count", json!(n), json!(w.count(h)), None);
        }
    }
}

impl Checker<'_> {
    /// An `every` entry: its set picked now, then each check over the whole set, one verdict
    /// per check with how many passed and the first identities it failed for.
    fn every(&mut self, i: usize, entry: &EveryEntry) {
        let (kind, set) = match (&entry.users, &entry.groups) {
            (Some(s), _) => (Kind::User, s),
            (None, Some(s)) => (Kind::Group, s),
            (None, None) => return,
        };
        let subject = format!("every[{i}]: {kind}s {set}");
        let select = match self.select(set) {
            Ok(s) => s,
            Err(missing) => {
                self.push(
                    &subject,
                    "exists",
                    json!(true),
                    json!(false),
                    Some(format!("never created in this run: {}", missing.join(", "))),
                );
                return;
            }
        };
        let picked = match self.w.select(kind, &select) {
            Ok(p) => p,
            Err(e) => {
                self.ambiguous(&subject, "selected", json!(entry.selected), &e);
                return;
            }
        };
        match entry.selected {
            Some(n) => self.push(&subject, "selected", json!(n), json!(picked.len()), None),
            None if picked.is_empty() => self.push(
                &subject,
                "selected",
                json!("at least 1"),
                json!(0),
                Some("the set picks no one: write `selected: 0` if that is expected".into()),
            ),
            None => {}
        }
        let mut each = Checker {
            w: self.w,
            step: self.step,
            out: Vec::new(),
        };
        for h in &picked {
            each.handle(self.w.handles().name(*h), *h, &entry.checks);
        }
        // One verdict per check, in the order the checks are made.
        let mut verdicts: IndexMap<String, Check> = IndexMap::new();
        for c in each.out {
            let v = verdicts.entry(c.check.clone()).or_insert_with(|| Check {
                step: self.step,
                subject: subject.clone(),
                check: c.check.clone(),
                expected: c.expected.clone(),
                actual: c.expected.clone(),
                passed: true,
                of: Some(SetCount {
                    selected: picked.len(),
                    passed: 0,
                }),
                ..Check::default()
            });
            let Some(of) = v.of.as_mut() else { continue };
            if c.passed {
                of.passed += 1;
                continue;
            }
            v.passed = false;
            if v.failing.len() < Selected::FIRST {
                v.failing.push(Failing {
                    handle: c.subject,
                    actual: c.actual,
                    detail: c.detail,
                });
            }
        }
        for (_, mut v) in verdicts {
            if let Some(of) = v.of.filter(|o| o.passed < o.selected) {
                v.actual = json!(format!(
                    "{} of {} failed",
                    of.selected - of.passed,
                    of.selected
                ));
                let first: Vec<String> = v
                    .failing
                    .iter()
                    .map(|f| format!("{} {}", f.handle, crate::report::show(&f.actual)))
                    .collect();
                let more = if of.selected - of.passed > first.len() {
                    ", …"
                } else {
                    ""
                };
                v.detail = Some(format!("failing: {}{more}", first.join(", ")));
            }
            self.out.push(v);
        }
    }

    /// A set as the world picks it, its handles by number; `Err` names the handles the run
    /// has not created (yet).
    fn select(&self, s: &Selection) -> Result<Select, Vec<String>> {
        let ids = |hs: &[String]| {
            let (found, missing): (Vec<_>, Vec<_>) =
                hs.iter().partition(|h| self.w.handle_id(h).is_some());
            if missing.is_empty() {
                Ok(found.iter().filter_map(|h| self.w.handle_id(h)).collect())
            } else {
                Err(missing.into_iter().cloned().collect::<Vec<_>>())
            }
        };
        Ok(match s {
            Selection::Handles(hs) => Select::Handles(ids(hs)?),
            Selection::Ou(ou) => Select::Ou(ou.as_str().into()),
            Selection::MemberOf { group, dir } => {
                let g = ids(std::slice::from_ref(group))?;
                let dir = dir.map_or(crate::Directory::Entra, crate::Directory::from);
                Select::MemberOf(g.first().copied().unwrap_or_default(), dir)
            }
            Selection::All => Select::All,
        })
    }
}

/// Evaluates an `expect` block against the world.
pub fn evaluate(w: &World, e: &Expect, step: Option<usize>) -> Vec<Check> {
    let mut c = Checker {
        w,
        step,
        out: Vec::new(),
    };
    for (name, checks) in &e.handles {
        match w.handle_id(name) {
            Some(h) => c.handle(name, h, checks),
            None => c.push(
                name,
                "exists",
                json!(true),
                json!(false),
                Some(format!("'{name}' was never created in this run")),
            ),
        }
    }
    for (i, entry) in e.every.iter().enumerate() {
        c.every(i, entry);
    }
    if let Some(r) = &e.restore {
        let session = w.last_restore();
        for (name, status) in r {
            let actual = session.and_then(|s| s.statuses.get(name));
            let detail = actual
                .map(|(_, why)| why.clone())
                .or_else(|| Some("no restore session included it".into()));
            c.push(
                "restore",
                name,
                json!(status),
                actual.map_or(Json::Null, |(s, _)| json!(s)),
                detail,
            );
        }
    }
    if let Some(s) = &e.sync {
        let last = w.last_cycle();
        if let Some(errors) = &s.errors {
            let actual: Vec<String> = last
                .map(|l| l.errors.iter().map(|e| e.name().to_string()).collect())
                .unwrap_or_default();
            c.push("sync", "errors", sorted(errors), sorted(&actual), None);
        }
        if let Some(x) = s.export {
            let actual = last.map_or(Json::Null, |l| {
                json!(match l.export {
                    Export::Completed => ExportSpec::Completed,
                    Export::StoppedDeletionThresholdExceeded =>
                        ExportSpec::StoppedDeletionThresholdExceeded,
                })
            });
            c.push("sync", "export", json!(x), actual, None);
        }
    }
    c.out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod stop_tests {
    use super::*;

    /// INV-4: the clock going back is a broken invariant, which stops the run as a defect of the
    /// engine, not as an input error.
    #[test]
    fn inv_4_a_broken_invariant_stops_the_run_as_a_defect() {
        let s = super::super::parse(
            "x.yaml",
            "x",
            b"title: t\nworld: {ad: {domain: contoso.com}}\nsteps: [sync]\n",
        )
        .unwrap();
        let mut w = World::new(
            s.settings.clone(),
            s.names.clone(),
            s.start,
            std::sync::Arc::clone(&s.handles),
        );
        let e = w.apply(&crate::Op::Wait(-1)).unwrap_err();
        let stopped = stop(&s, "steps[0]", e);
        assert!(stopped.is_defect(), "{stopped}");
        assert!(stopped.to_string().contains("defect of hysim"), "{stopped}");
        let e = EngineError::UnknownHandle(crate::store::HandleId(7));
        assert!(!stop(&s, "steps[0]", e).is_defect());
    }
}
