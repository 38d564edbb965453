//! `hysim quiz`: the questions a run asks a trainee. A step's `quiz` list names facts (as
//! `expect` names checks); an `expect` step without one asks about its own checks. Each fact is
//! read from the world after the step — the truth — as the check of the same name reads it,
//! and the wrong choices are the values the same fact had before the step and at the start,
//! the value the `expect` wrote, and names the world holds: plausible, and the same for the
//! same file.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Value as Json, json};

use super::format::{
    AdStateSpec, EntraState, Expect, HANDLE_FACTS, HandleChecks, Kept, Map, Origin, QuizItem,
    SYNC_FACTS, Scalar, SyncChecks,
};
use super::load::{Action, PlannedStep, Scenario};
use super::run::{Moment, RunError, evaluate, run_observed};
use super::validate::{Validator, known_near, unknown_ad_attribute, unknown_entra_property};
use crate::report::ScenarioReport;
use crate::store::{AdAttr, EntraProp};
use crate::sync::ErrorCode;
use crate::vdc::Status;
use crate::world::World;

/// A fact to ask about, named as a check of the report names it: `subject` a handle with
/// `check` one of [`HANDLE_FACTS`] (or `properties.NAME`, `ad_properties.NAME`); `restore`
/// with a handle (its status in the most recent restore session); `sync` with `errors` or
/// `export` (the most recent cycle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub subject: String,
    pub check: String,
}

/// How a question is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Yes or no: options are `[true, false]`.
    YesNo,
    /// One of the options.
    One,
    /// Every option that applies (a set; none is an answer too).
    Many,
}

/// A question of the quiz, with its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub fact: Fact,
    pub answer: Answer,
    /// For a yes-or-no question about a value ("is it X?"): the value; `None` for a fact that
    /// is itself yes or no (`hybrid`).
    pub is: Option<Json>,
    /// The choices, in the order they are offered (sorted, or the fact's own order of values).
    pub options: Vec<Json>,
    /// The indexes of the right options: one, or for [`Answer::Many`] any number.
    pub right: BTreeSet<usize>,
    /// The fact as the report shows it.
    pub actual: Json,
    /// What the check of the same fact says beside its value (what was lost, why a restore
    /// warned).
    pub detail: Option<String>,
}

/// The questions of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepQuiz {
    /// The step's number (1-based).
    pub n: usize,
    /// Whether the questions are the step's `expect` checks (it has no `quiz` list).
    pub from_expect: bool,
    pub questions: Vec<Question>,
}

/// How many choices a set question offers at most, past the right ones.
const MAX_OPTIONS: usize = 8;

/// How few choices a set question offers before names the world holds are added.
const MIN_OPTIONS: usize = 3;

/// How many handles are read for names to offer as wrong choices.
const POOL_HANDLES: usize = 1000;

impl Validator {
    /// A step's `quiz` list: every subject known, every fact one that can be asked about.
    pub(super) fn quiz(&mut self, path: &str, items: &[QuizItem]) -> Vec<Fact> {
        // An empty list asks nothing: an `expect` step with `quiz: []` is not asked about.
        let mut out: Vec<Fact> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if item.0.is_empty() {
                self.error(
                    &p,
                    "an empty entry: name a subject (a handle, `restore` or `sync`) and its facts",
                );
            }
            for (subject, facts) in &item.0 {
                let ps = format!("{p}.{subject}");
                if facts.0.is_empty() {
                    self.error(&ps, "no facts: name at least one");
                }
                let handle = !matches!(subject.as_str(), "restore" | "sync");
                if handle && !self.refer(&ps, subject, None) {
                    continue;
                }
                for (j, f) in facts.0.iter().enumerate() {
                    let pf = if facts.0.len() == 1 {
                        ps.clone()
                    } else {
                        format!("{ps}[{j}]")
                    };
                    let check = match subject.as_str() {
                        "restore" => self.refer(&pf, f, None).then(|| f.clone()),
                        "sync" if SYNC_FACTS.contains(&f.as_str()) => Some(f.clone()),
                        "sync" => {
                            self.error(
                                &pf,
                                format!(
                                    "unknown fact `{f}` of `sync` (known: {})",
                                    SYNC_FACTS.join(", ")
                                ),
                            );
                            None
                        }
                        _ => match handle_fact(f) {
                            Ok(c) => Some(c),
                            Err(m) => {
                                self.error(&pf, m);
                                None
                            }
                        },
                    };
                    let Some(check) = check else { continue };
                    let fact = Fact {
                        subject: subject.clone(),
                        check,
                    };
                    if out.contains(&fact) {
                        self.error(
                            &pf,
                            format!("`{}` of {} is asked twice", fact.check, fact.subject),
                        );
                    } else {
                        out.push(fact);
                    }
                }
            }
        }
        out
    }
}

/// A handle's fact as its check is named: one of [`HANDLE_FACTS`], or `properties.NAME` and
/// `ad_properties.NAME` with the name spelled as the report spells it.
fn handle_fact(f: &str) -> Result<String, String> {
    if HANDLE_FACTS.contains(&f) {
        return Ok(f.to_string());
    }
    if let Some(name) = f.strip_prefix("properties.") {
        return EntraProp::from_name(name)
            .map(|p| format!("properties.{}", p.name()))
            .ok_or_else(|| unknown_entra_property(name));
    }
    if let Some(name) = f.strip_prefix("ad_properties.") {
        return AdAttr::from_name(name)
            .map(|a| format!("ad_properties.{}", a.name()))
            .ok_or_else(|| unknown_ad_attribute(name, ""));
    }
    let mut known: Vec<&str> = HANDLE_FACTS.to_vec();
    known.extend(["properties.NAME", "ad_properties.NAME"]);
    Err(format!(
        "unknown fact `{f}` (known: {})",
        known_near(f, &known)
    ))
}

/// The facts an `expect` block checks, in its order (the `every` entries are not asked).
fn expect_facts(e: &Expect) -> Vec<(Fact, Option<Json>)> {
    let mut out = Vec::new();
    let mut push = |subject: &str, check: &str, expected: Json| {
        out.push((
            Fact {
                subject: subject.to_string(),
                check: check.to_string(),
            },
            Some(expected),
        ));
    };
    for (h, c) in &e.handles {
        let list = |l: &Vec<String>| json!(l.iter().collect::<BTreeSet<_>>());
        let pairs: [(&str, Option<Json>); 15] = [
            ("entra", c.entra.map(|v| json!(v))),
            ("ad", c.ad.map(|v| json!(v))),
            ("hybrid", c.hybrid.map(|v| json!(v))),
            ("object_id", c.object_id.map(|v| json!(v))),
            ("object_guid", c.object_guid.map(|v| json!(v))),
            ("groups", c.groups.as_ref().map(list)),
            ("roles", c.roles.as_ref().map(list)),
            ("licenses", c.licenses.as_ref().map(list)),
            ("apps", c.apps.as_ref().map(list)),
            ("owns", c.owns.as_ref().map(list)),
            ("ad_groups", c.ad_groups.as_ref().map(list)),
            ("manager", c.manager.as_ref().map(|v| json!(v))),
            ("relations", c.relations.map(|v| json!(v))),
            ("upn", c.upn.as_ref().map(|v| json!(v))),
            ("count", c.count.map(|v| json!(v))),
        ];
        for (check, expected) in pairs {
            if let Some(x) = expected {
                push(h, check, x);
            }
        }
        for (prefix, map, known) in [
            (
                "properties",
                &c.properties,
                (|k: &str| EntraProp::from_name(k).map(|p| p.name())) as fn(&str) -> Option<&str>,
            ),
            ("ad_properties", &c.ad_properties, |k: &str| {
                AdAttr::from_name(k).map(|a| a.name())
            }),
        ] {
            for (k, v) in map.iter().flat_map(|m| m.iter()) {
                if let Some(name) = known(k) {
                    push(h, &format!("{prefix}.{name}"), scalar(v));
                }
            }
        }
    }
    if let Some(r) = &e.restore {
        for (h, status) in r {
            push("restore", h, json!(status));
        }
    }
    if let Some(sync) = &e.sync {
        if let Some(errors) = &sync.errors {
            push(
                "sync",
                "errors",
                json!(errors.iter().collect::<BTreeSet<_>>()),
            );
        }
        if let Some(x) = sync.export {
            push("sync", "export", json!(x));
        }
    }
    out
}

fn scalar(v: &Scalar) -> Json {
    match v {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => json!(b),
        Scalar::Text(t) => json!(t),
        Scalar::List(l) => json!(l),
    }
}

/// An `expect` block with the one check that reads `fact` (its expected value a stand-in: only
/// the value read matters).
fn probe(fact: &Fact) -> Expect {
    let mut e = Expect::default();
    match fact.subject.as_str() {
        "restore" => {
            e.restore = Some(Map(IndexMap::from([(fact.check.clone(), Status::Success)])));
        }
        "sync" => {
            e.sync = Some(SyncChecks {
                errors: (fact.check == "errors").then(Vec::new),
                export: (fact.check == "export").then_some(super::format::ExportSpec::Completed),
            });
        }
        h => {
            let mut c = HandleChecks::default();
            match fact.check.as_str() {
                "entra" => c.entra = Some(EntraState::Live),
                "ad" => c.ad = Some(AdStateSpec::Live),
                "hybrid" => c.hybrid = Some(false),
                "object_id" => c.object_id = Some(Origin::New),
                "object_guid" => c.object_guid = Some(Origin::New),
                "groups" => c.groups = Some(Vec::new()),
                "roles" => c.roles = Some(Vec::new()),
                "licenses" => c.licenses = Some(Vec::new()),
                "apps" => c.apps = Some(Vec::new()),
                "owns" => c.owns = Some(Vec::new()),
                "ad_groups" => c.ad_groups = Some(Vec::new()),
                "manager" => c.manager = Some(None),
                "relations" => c.relations = Some(Kept::Kept),
                "upn" => c.upn = Some(String::new()),
                "count" => c.count = Some(0),
                other => {
                    let one = |k: &str| Some(Map(IndexMap::from([(k.to_string(), Scalar::Null)])));
                    if let Some(k) = other.strip_prefix("properties.") {
                        c.properties = one(k);
                    } else if let Some(k) = other.strip_prefix("ad_properties.") {
                        c.ad_properties = one(k);
                    }
                }
            }
            e.handles.insert(h.to_string(), c);
        }
    }
    e
}

/// The value of `fact` in world `w`, as its check reads it, with the check's detail. A handle
/// the run has not created yet has no value (`null`).
fn read(w: &World, fact: &Fact) -> (Json, Option<String>) {
    evaluate(w, &probe(fact), None)
        .into_iter()
        .find(|c| c.check == fact.check)
        .map_or((Json::Null, None), |c| (c.actual, c.detail))
}

/// Whether a fact's value is a set (groups, roles, ... and a cycle's errors).
fn is_set(fact: &Fact) -> bool {
    matches!(
        (fact.subject.as_str(), fact.check.as_str()),
        ("sync", "errors")
    ) || (!matches!(fact.subject.as_str(), "restore" | "sync")
        && matches!(
            fact.check.as_str(),
            "groups" | "roles" | "licenses" | "apps" | "owns" | "ad_groups"
        ))
}

/// The values a one-of question always offers, in their own order.
fn fixed_options(fact: &Fact) -> Option<Vec<Json>> {
    let words = |w: &[&str]| w.iter().map(|x| json!(x)).collect::<Vec<_>>();
    Some(match (fact.subject.as_str(), fact.check.as_str()) {
        ("restore", _) => {
            let mut o = words(&["success", "warning", "failed"]);
            o.push(Json::Null);
            o
        }
        ("sync", "export") => words(&["completed", "stopped-deletion-threshold-exceeded"]),
        ("sync", _) => return None,
        (_, "entra") => words(&["live", "soft_deleted", "absent"]),
        (_, "ad") => words(&["live", "deleted", "recycled", "absent"]),
        (_, "object_id" | "object_guid") => words(&["original", "new", "none"]),
        (_, "relations") => words(&["kept", "lost"]),
        _ => return None,
    })
}

fn members(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().map(crate::report::show).collect(),
        _ => Vec::new(),
    }
}

/// What was seen of a fact: its values at the start and after each step before the one that
/// asks (the most recent first), its value after that step, and what the `expect` wrote.
struct Seen {
    earlier: Vec<Json>,
    after: Json,
    detail: Option<String>,
    expected: Option<Json>,
}

/// A question from what was seen of `fact`; `pool` gives names the world holds, to offer when
/// a set question has few choices.
fn question(fact: Fact, seen: Seen, pool: &mut dyn FnMut(&Fact) -> Vec<String>) -> Question {
    let Seen {
        earlier,
        after,
        detail,
        expected,
    } = seen;
    let others: Vec<&Json> = earlier.iter().chain(expected.as_ref()).collect();
    let (answer, is, options, right) = if is_set(&fact) {
        let right: BTreeSet<String> = members(&after).into_iter().collect();
        // The wrong choices by how plausible they are: seen before the step, then earlier, in
        // the `expect`, then names the world holds.
        let mut wrong: Vec<String> = Vec::new();
        for v in &others {
            for m in members(v) {
                if !right.contains(&m) && !wrong.contains(&m) {
                    wrong.push(m);
                }
            }
        }
        // A cycle's error codes are few: every one is offered.
        let least = if fact.subject == "sync" {
            MAX_OPTIONS
        } else {
            MIN_OPTIONS
        };
        if right.len() + wrong.len() < least {
            for m in pool(&fact) {
                if right.len() + wrong.len() >= least {
                    break;
                }
                // A group is never offered as a group of its own.
                if m != fact.subject && !right.contains(&m) && !wrong.contains(&m) {
                    wrong.push(m);
                }
            }
        }
        wrong.truncate(MAX_OPTIONS.saturating_sub(right.len()));
        let all: BTreeSet<String> = right.iter().cloned().chain(wrong).collect();
        let options: Vec<Json> = all.iter().map(|m| json!(m)).collect();
        let idx = all
            .iter()
            .enumerate()
            .filter(|(_, m)| right.contains(*m))
            .map(|(i, _)| i)
            .collect();
        (Answer::Many, None, options, idx)
    } else if after.is_boolean() && fact.check == "hybrid" {
        let right = BTreeSet::from([if after == json!(true) { 0 } else { 1 }]);
        (Answer::YesNo, None, vec![json!(true), json!(false)], right)
    } else {
        let mut options = match fixed_options(&fact) {
            Some(o) => o,
            None => {
                // Values: the one after the step and the most recent others seen, sorted as
                // the report shows them, and none.
                let mut seen: BTreeMap<String, Json> = BTreeMap::new();
                for v in [&after].into_iter().chain(others.iter().copied()) {
                    if seen.len() + 1 >= MAX_OPTIONS {
                        break;
                    }
                    seen.entry(crate::report::show(v))
                        .or_insert_with(|| v.clone());
                }
                if fact.check == "count" {
                    for n in 0..3 {
                        seen.insert(n.to_string(), json!(n));
                    }
                }
                let mut o: Vec<Json> = seen.into_values().filter(|v| !v.is_null()).collect();
                if fact.check == "count" {
                    o.sort_by_key(|v| v.as_u64());
                }
                if fact.check != "count" {
                    o.push(Json::Null);
                }
                o
            }
        };
        if !options.contains(&after) {
            options.push(after.clone());
        }
        if options.len() < 2 {
            // One value ever seen: asked as "is it this value?".
            (
                Answer::YesNo,
                Some(after.clone()),
                vec![json!(true), json!(false)],
                BTreeSet::from([0]),
            )
        } else {
            let i = options.iter().position(|o| *o == after).unwrap_or(0);
            (Answer::One, None, options, BTreeSet::from([i]))
        }
    };
    Question {
        fact,
        answer,
        is,
        options,
        right,
        actual: after,
        detail,
    }
}

/// The facts a step asks about: its `quiz` list, else its `expect` checks; with the value the
/// `expect` wrote for each.
fn step_facts(step: &PlannedStep) -> (bool, Vec<(Fact, Option<Json>)>) {
    let expected = match &step.action {
        Action::Expect(e) => expect_facts(e),
        _ => Vec::new(),
    };
    let Some(quiz) = &step.quiz else {
        return (true, expected);
    };
    let facts = quiz
        .iter()
        .map(|f| {
            let x = expected
                .iter()
                .find(|(g, _)| g == f)
                .and_then(|(_, x)| x.clone());
            (f.clone(), x)
        })
        .collect();
    (false, facts)
}

/// A step that asks: its number, whether its questions are its `expect`'s checks, and its facts
/// with the value the `expect` wrote for each.
type Asked = (usize, bool, Vec<(Fact, Option<Json>)>);

/// Runs a scenario to its end and returns its report and the questions of each step that asks
/// any, in step order. A step asks about its `quiz` list, else an `expect` step about its
/// checks; `quiz: []` asks nothing.
pub fn quiz(s: &Scenario) -> Result<(ScenarioReport, Vec<StepQuiz>), RunError> {
    let asked: Vec<Asked> = s
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let (from_expect, facts) = step_facts(st);
            (i + 1, from_expect, facts)
        })
        .filter(|(_, _, f)| !f.is_empty())
        .collect();
    // The values of each asked fact (by step and place) at the start and after each step
    // before the one that asks, the most recent first.
    let mut earlier: BTreeMap<(usize, usize), Vec<Json>> = BTreeMap::new();
    let remember = |earlier: &mut BTreeMap<(usize, usize), Vec<Json>>, w: &World, done: usize| {
        for (n, _, facts) in asked.iter().filter(|(n, _, _)| *n > done) {
            for (j, (f, _)) in facts.iter().enumerate() {
                earlier.entry((*n, j)).or_default().insert(0, read(w, f).0);
            }
        }
    };
    let mut out: Vec<StepQuiz> = Vec::new();
    // Names of the world, by fact, read once at the start.
    let mut pools: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let handles = std::sync::Arc::clone(&s.handles);
    let (report, _) = run_observed(s, None, None, |moment, w| match moment {
        // A run that asks nothing (a generated tenant's) reads nothing more.
        Moment::Start if asked.is_empty() => {}
        Moment::Start => {
            remember(&mut earlier, w, 0);
            for check in ["groups", "roles", "licenses", "apps", "owns", "ad_groups"] {
                let mut names: BTreeSet<String> = BTreeSet::new();
                for h in handles.all().take(POOL_HANDLES) {
                    let f = Fact {
                        subject: handles.name(h).to_string(),
                        check: check.to_string(),
                    };
                    names.extend(members(&read(w, &f).0));
                }
                pools.insert(check.to_string(), names.into_iter().collect());
            }
            pools.insert(
                "errors".into(),
                ErrorCode::ALL
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect(),
            );
        }
        Moment::After(n) => {
            for (m, from_expect, facts) in asked.iter().filter(|(m, _, _)| *m == n) {
                let mut pool = |f: &Fact| pools.get(&f.check).cloned().unwrap_or_default();
                let questions = facts
                    .iter()
                    .enumerate()
                    .map(|(j, (f, expected))| {
                        let (after, detail) = read(w, f);
                        let seen = Seen {
                            earlier: earlier.remove(&(*m, j)).unwrap_or_default(),
                            after,
                            detail,
                            expected: expected.clone(),
                        };
                        question(f.clone(), seen, &mut pool)
                    })
                    .collect();
                out.push(StepQuiz {
                    n: *m,
                    from_expect: *from_expect,
                    questions,
                });
            }
            remember(&mut earlier, w, n);
        }
    })?;
    Ok((report, out))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn load(steps: &str) -> Result<Scenario, Vec<super::super::InputError>> {
        let text = format!(
            "title: t\nsettings: {{seed: 1}}\nworld:\n  ad:\n    users:\n      alice: {{groups: [Finance]}}\n    groups:\n      Finance: {{}}\n  entra:\n    groups:\n      Project X: {{type: microsoft365, members: [alice]}}\nsteps:\n{steps}"
        );
        super::super::parse("q.yaml", "q", text.as_bytes())
    }

    #[test]
    fn a_quiz_names_handles_and_facts_the_validator_knows() {
        let errors = load(
            "  - backup: b\n  - delete: {user: alice, from: entra, permanently: true}\n    quiz:\n      - alice: [hybird, object_id]\n      - bob: hybrid\n      - sync: export\n      - restore: carol\n",
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let text = text.join("\n");
        assert!(text.contains("steps[1].quiz[0].alice[0]"), "{text}");
        assert!(text.contains("unknown fact `hybird`"), "{text}");
        assert!(text.contains("hybrid"), "{text}");
        assert!(text.contains("steps[1].quiz[1].bob"), "{text}");
        assert!(text.contains("steps[1].quiz[3].restore"), "{text}");
        assert!(!text.contains("quiz[2]"), "{text}");
    }

    #[test]
    fn an_empty_quiz_asks_nothing_and_a_candidate_takes_none() {
        let s = load("  - backup: b\n  - expect:\n      alice: {hybrid: true, groups: [Finance]}\n    quiz: []\n  - expect:\n      alice: {hybrid: true, groups: [Finance]}\n      sync: {errors: []}\n").unwrap();
        let (_, quiz) = quiz(&s).unwrap();
        // The second `expect` asks about its own checks, in its order.
        assert_eq!(quiz.len(), 1);
        assert!(quiz[0].from_expect);
        let asked: Vec<(&str, &str)> = quiz[0]
            .questions
            .iter()
            .map(|q| (q.fact.subject.as_str(), q.fact.check.as_str()))
            .collect();
        assert_eq!(
            asked,
            [("alice", "hybrid"), ("alice", "groups"), ("sync", "errors")]
        );
        // Every error code is offered.
        assert_eq!(quiz[0].questions[2].options.len(), ErrorCode::ALL.len());
        let text = "title: t\nworld: {ad: {users: {alice: {}}}}\nsteps: [sync]\nexpect: {alice: {hybrid: true}}\nplan: {incident: 1, candidates: [{sync: null, quiz: [{alice: hybrid}]}]}\n";
        let e = super::super::parse("q.yaml", "q", text.as_bytes()).unwrap_err();
        assert!(
            e[0].message
                .contains("a plan's candidate cannot carry a `quiz`"),
            "{e:?}"
        );
        let e = load("  - sync:\n    quizz: []\n").unwrap_err();
        assert!(
            e[0].message
                .contains("unknown key `quizz` beside the step `sync`: only `quiz` may stand"),
            "{e:?}"
        );
        let e =
            load("  - sync:\n    quiz: [{alice: [hybrid, hybrid]}, {sync: errorz}]\n").unwrap_err();
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            text[0].contains("steps[0].quiz[0].alice[1]: `hybrid` of alice is asked twice"),
            "{text:?}"
        );
        assert!(
            text[1].contains(
                "steps[0].quiz[1].sync: unknown fact `errorz` of `sync` (known: errors, export)"
            ),
            "{text:?}"
        );
    }

    #[test]
    fn questions_are_read_from_the_world_after_the_step() {
        let s = load(
            "  - backup: b\n  - delete: {user: alice, from: entra, permanently: true}\n  - restore: {users: [alice], from: b}\n    quiz:\n      - alice: [object_id, groups, hybrid]\n      - restore: alice\n  - expect:\n      alice: {count: 1}\n",
        )
        .unwrap();
        let (_, quiz) = quiz(&s).unwrap();
        assert_eq!(quiz.len(), 2);
        let q = &quiz[0];
        assert_eq!((q.n, q.from_expect), (3, false));
        let [id, groups, hybrid, restore] = q.questions.as_slice() else {
            panic!("{q:?}")
        };
        assert_eq!(id.answer, Answer::One);
        assert_eq!(id.options[*id.right.first().unwrap()], json!("new"));
        assert_eq!(groups.answer, Answer::Many);
        assert_eq!(groups.options, vec![json!("Finance"), json!("Project X")]);
        assert_eq!(groups.right, BTreeSet::from([1]));
        assert_eq!(hybrid.answer, Answer::YesNo);
        assert_eq!(hybrid.right, BTreeSet::from([1]));
        assert_eq!(
            restore.options[*restore.right.first().unwrap()],
            json!("warning")
        );
        assert!(quiz[1].from_expect);
        assert_eq!(quiz[1].questions[0].fact.check, "count");
        // The same file asks the same questions.
        assert_eq!(super::quiz(&s).unwrap().1, quiz);
    }
}
