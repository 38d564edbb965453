//! The planner behind `hysim plan`: replays the incident once, then tries every ordered subset
//! of the candidate recovery steps against the scenario's final `expect`. The search walks the
//! tree of orders depth first, continuing each order from the state its prefix left (one copy of
//! the world per prefix, never a replay from the start), and a prefix whose state and remaining
//! candidates were met before takes the outcomes of the first one instead of being replayed.
//! The subtrees of the first candidates run on every core; their results are merged in
//! candidate order, so the report does not depend on the number of threads.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value as Json;

use super::format::Expect;
use super::load::{Action, PlannedStep, Scenario};
use super::run::{RunError, build, evaluate, run_each, stop};
use crate::report::{Check, Event, EventKind};
use crate::rules::RuleId;
use crate::store::{AdAttr, EntraProp};
use crate::world::World;

/// The outcome of a search.
#[derive(Clone, Debug, Serialize)]
pub struct PlanReport {
    /// How many orders had their outcome decided (replayed, or taken from an identical state).
    pub explored: u64,
    /// How many ordered subsets the candidates have, the empty order included.
    pub orders: u64,
    /// How many distinct states (by [`fingerprint`]) the explored orders ended in.
    pub distinct_states: usize,
    /// Whether `max_orders` stopped the search before every order was explored.
    pub bound_hit: bool,
    /// The orders that meet every expectation, shortest first, then in candidate order; each
    /// order lists its steps' texts.
    pub passing: Vec<Vec<String>>,
    /// The failing orders grouped by their first failing check and the rule that caused it,
    /// in the order of their first (shortest) example.
    pub failing: Vec<Family>,
}

/// Failing orders that share their first failing check and its cause.
#[derive(Clone, Debug, Serialize)]
pub struct Family {
    /// How many orders fail this way.
    pub count: u64,
    /// The shortest such order (then the first in candidate order).
    pub example: Vec<String>,
    /// The check's subject (a handle, `restore` or `sync`).
    pub subject: String,
    pub check: String,
    pub expected: Json,
    pub actual: Json,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The rule whose event caused the failure: the last event about the check's subject in
    /// the example (or, if none of its steps touched it, in the incident).
    pub rule: Option<RuleId>,
    /// That event's message.
    pub cause: Option<String>,
    /// The step whose event it is (`null`: a step of the incident).
    pub step: Option<String>,
}

/// Why an order failed: its first failing check and, once found, the event behind it.
#[derive(Debug)]
struct Failure {
    check: Check,
    cause: Option<Cause>,
}

#[derive(Clone, Debug)]
struct Cause {
    /// The candidate whose step caused it; `None`: the incident.
    step: Option<usize>,
    rule: RuleId,
    message: String,
}

#[derive(Clone, Debug)]
enum Verdict {
    Pass,
    Fail(Arc<Failure>),
}

/// The orders below one state: each as the candidates it adds, in preorder, with its verdict.
type Outcomes = Vec<(Vec<u8>, Verdict)>;

/// The outcomes below each state explored in full, by its fingerprint and the candidates used.
type Memo = HashMap<(u64, u32), Arc<Outcomes>>;

/// How many ordered subsets `m` items have, the empty one included: 1 + m × that of m − 1.
pub fn ordered_subsets(m: usize) -> u64 {
    (1..=m as u64).fold(1u64, |s, k| s.saturating_mul(k).saturating_add(1))
}

/// A digest of what the final `expect` can look at and what later steps act on: for every
/// handle its Entra and AD presence, whether it is hybrid, its object id and objectGUID (and
/// whether they are the original ones), its count of Entra objects, its UPN, manager, cloud
/// relations (groups, roles, licences, apps, owned groups) and relation facts, its AD groups
/// and manager, every Entra property and AD attribute; the last restore session's statuses,
/// the last sync cycle's export and errors, the labels of the restore points, the clock with
/// its pending expiries, the changes the next delta cycle will process, the id generator's
/// position and the sync's OU filters.
/// Two worlds with the same digest are taken to be the same state: the planner explores the
/// orders after them once.
pub fn fingerprint(w: &World) -> u64 {
    let mut h = Digest(rustc_hash::FxHasher::default());
    // Values are written into the hash as their debug text, without a string in between.
    let put = |h: &mut Digest, v: &dyn std::fmt::Debug| {
        let _ = write!(h, "{v:?}\u{1f}");
    };
    for id in w.handles().all() {
        id.hash(&mut h.0);
        w.entra_presence(id).ok().hash(&mut h.0);
        w.ad_presence(id).hash(&mut h.0);
        w.hybrid(id).ok().hash(&mut h.0);
        let oid = w.object_id(id).ok().flatten();
        oid.hash(&mut h.0);
        (oid.is_some() && oid == w.original_object_id(id)).hash(&mut h.0);
        let guid = w.object_guid(id);
        guid.hash(&mut h.0);
        (guid.is_some() && guid == w.original_object_guid(id)).hash(&mut h.0);
        w.count(id).hash(&mut h.0);
        w.upn(id).ok().hash(&mut h.0);
        w.entra_manager(id).ok().hash(&mut h.0);
        for key in ["groups", "roles", "licenses", "apps", "owns"] {
            w.entra_relation(id, key).ok().hash(&mut h.0);
        }
        w.relation_facts(id).ok().hash(&mut h.0);
        w.ad_groups(id).hash(&mut h.0);
        w.ad_manager(id).hash(&mut h.0);
        for p in EntraProp::ALL {
            w.entra_property(id, *p).ok().hash(&mut h.0);
        }
        for a in AdAttr::ALL {
            w.ad_property(id, *a).hash(&mut h.0);
        }
    }
    put(&mut h, &w.last_restore().map(|s| &s.statuses));
    put(
        &mut h,
        &w.last_cycle().map(|c| (&c.export, &c.errors, &c.kind)),
    );
    w.restore_labels().hash(&mut h.0);
    w.now().hash(&mut h.0);
    // What no query shows but later steps read: the changes the next delta cycle processes,
    // the id generator's position, the sync's OU filters and the clock's pending expiries.
    put(&mut h, &w.st.changes);
    put(&mut h, &w.st.ids);
    put(&mut h, &(&w.sync.configured_ous, &w.sync.applied_ous));
    put(&mut h, &w.clock);
    h.0.finish()
}

/// A hasher that text can be written into.
struct Digest(rustc_hash::FxHasher);

impl std::fmt::Write for Digest {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// What the search needs at every state.
struct Search<'a> {
    s: &'a Scenario,
    goal: &'a Expect,
    candidates: &'a [PlannedStep],
    max: u64,
    /// Outcomes of the subtrees already explored, by state and the candidates used, shared by
    /// every thread: an entry is the same whichever thread made it, so the report is too.
    memo: &'a Mutex<Memo>,
    /// Whether a known state's outcomes are taken instead of exploring it again (off only to
    /// test that taking them changes nothing).
    dedup: bool,
    states: BTreeSet<u64>,
    bound_hit: bool,
}

impl Search<'_> {
    /// The verdict of the order that ends in `w`.
    fn verdict(&self, w: &World) -> (Verdict, Vec<Check>) {
        let checks = evaluate(w, self.goal, None);
        let v = match checks.iter().find(|c| !c.passed) {
            None => Verdict::Pass,
            Some(check) => Verdict::Fail(Arc::new(Failure {
                check: check.clone(),
                cause: None,
            })),
        };
        (v, checks)
    }

    /// The outcomes of the order ending in `w` (preorder index `at`, candidates `used`) and of
    /// every order that extends it.
    fn explore(&mut self, w: &World, used: u32, at: u64) -> Result<Arc<Outcomes>, RunError> {
        let n = self.candidates.len();
        let left = n - used.count_ones() as usize;
        let size = ordered_subsets(left);
        let fp = fingerprint(w);
        self.states.insert(fp);
        let whole = at.saturating_add(size) <= self.max;
        if whole
            && self.dedup
            && let Some(known) = self
                .memo
                .lock()
                .ok()
                .and_then(|m| m.get(&(fp, used)).cloned())
        {
            return Ok(known);
        }
        let (verdict, checks) = self.verdict(w);
        let mut out: Outcomes = vec![(Vec::new(), verdict)];
        let child_size = ordered_subsets(left.saturating_sub(1));
        let mut j = 0u64;
        for (c, step) in self.candidates.iter().enumerate() {
            if used & (1 << c) != 0 {
                continue;
            }
            let child_at = at + 1 + j * child_size;
            j += 1;
            if child_at >= self.max {
                self.bound_hit = true;
                break;
            }
            let mut next = w.clone();
            let below = match apply(self.s, &mut next, step) {
                Ok(events) => {
                    let below = self.explore(&next, used | (1 << c), child_at)?;
                    below
                        .iter()
                        .map(|(suffix, v)| {
                            (suffix.clone(), blame(v, &events, Some(c), Some(&checks)))
                        })
                        .collect::<Vec<_>>()
                }
                Err(RunError::Defect(e)) => return Err(RunError::Defect(e)),
                Err(RunError::Input(e)) => {
                    // The step could not run from this state: this order and every order
                    // extending it fail on it.
                    let failure = Verdict::Fail(Arc::new(Failure {
                        check: Check {
                            subject: step.text.clone(),
                            check: "runs".into(),
                            expected: Json::String("completes".into()),
                            actual: Json::String(e.message.clone()),
                            passed: false,
                            ..Check::default()
                        },
                        cause: None,
                    }));
                    let rest = used | (1 << c);
                    suffixes(n, rest)
                        .into_iter()
                        .filter(|s| child_at + preorder(n, rest, s) < self.max)
                        .map(|s| (s, failure.clone()))
                        .collect()
                }
            };
            for (suffix, v) in below {
                let mut order = Vec::with_capacity(suffix.len() + 1);
                order.push(c as u8);
                order.extend(suffix);
                out.push((order, v));
            }
        }
        let out = Arc::new(out);
        if whole && let Ok(mut m) = self.memo.lock() {
            m.insert((fp, used), Arc::clone(&out));
        }
        Ok(out)
    }
}

/// Every ordered subset of the candidates not in `used`, in preorder.
fn suffixes(n: usize, used: u32) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for c in 0..n {
        if used & (1 << c) == 0 {
            for s in suffixes(n, used | (1 << c)) {
                let mut o = vec![c as u8];
                o.extend(s);
                out.push(o);
            }
        }
    }
    out
}

/// The preorder index of `suffix` among the ordered subsets of the candidates not in `used`.
fn preorder(n: usize, used: u32, suffix: &[u8]) -> u64 {
    let Some((&first, rest)) = suffix.split_first() else {
        return 0;
    };
    let left = n - used.count_ones() as usize;
    let rank = (0..first as usize).filter(|c| used & (1 << c) == 0).count() as u64;
    1 + rank * ordered_subsets(left.saturating_sub(1)) + preorder(n, used | (1 << first), rest)
}

/// `v` with its cause found in `events` (of candidate `step`, `None`: the incident), unless a
/// later step had one. A step caused a failing check if it refused or failed something about
/// the check's subject, or if the check's actual value differs from `before` (the checks of
/// the state the step started from); otherwise the cause is further back.
fn blame(v: &Verdict, events: &[Event], step: Option<usize>, before: Option<&[Check]>) -> Verdict {
    let Verdict::Fail(f) = v else {
        return v.clone();
    };
    if f.cause.is_some() {
        return v.clone();
    }
    let c = &f.check;
    let about = |e: &&Event| e.subject == c.subject || e.subject == c.check;
    let refused = events.iter().find(|e| about(e) && is_refusal(e.kind));
    let event = match before {
        // A step of the incident: the last event about the subject.
        None => refused.or_else(|| events.iter().rev().find(about)),
        Some(before) => {
            let changed = before
                .iter()
                .find(|b| b.subject == c.subject && b.check == c.check)
                .is_none_or(|b| b.actual != c.actual);
            let key = c.check.rsplit('.').next().unwrap_or(&c.check);
            refused.or_else(|| {
                changed
                    .then(|| {
                        events
                            .iter()
                            .find(|e| about(e) && e.message.contains(key))
                            .or_else(|| events.iter().find(about))
                            .or_else(|| events.first())
                    })
                    .flatten()
            })
        }
    };
    match event {
        Some(e) => Verdict::Fail(Arc::new(Failure {
            check: c.clone(),
            cause: Some(Cause {
                step,
                rule: e.rule,
                message: e.message.clone(),
            }),
        })),
        None => v.clone(),
    }
}

/// Whether an event says a system refused or failed what was asked.
fn is_refusal(kind: EventKind) -> bool {
    use EventKind::*;
    matches!(
        kind,
        RestoreFailed
            | NotFound
            | Refused
            | WriteRefused
            | InvalidHardMatch
            | InvalidSoftMatch
            | AdminRoleConflict
            | ExportStopped
    )
}

/// Runs one step on `w`, returning its events.
fn apply(s: &Scenario, w: &mut World, step: &PlannedStep) -> Result<Vec<Event>, RunError> {
    match &step.action {
        Action::Op(op) => w.apply(op).map_err(|e| stop(s, &step.path, e)),
        Action::Each(each) => {
            run_each(w, each, &mut Vec::new()).map_err(|e| stop(s, &step.path, e))
        }
        Action::Expect(_) => Ok(Vec::new()),
    }
}

/// Searches the orders of the scenario's plan candidates. `max_orders` bounds how many orders
/// are explored (in depth-first order: the empty order, then every order starting with the
/// first candidate, ...). `None` when the scenario has no plan or no final `expect` (the
/// loader refuses a plan without one).
pub fn plan(s: &Scenario, max_orders: Option<u64>) -> Option<Result<PlanReport, RunError>> {
    let p = s.plan.as_ref()?;
    let goal = s.expect.as_ref()?;
    Some(search(s, goal, p.incident, &p.candidates, max_orders, true))
}

fn search(
    s: &Scenario,
    goal: &Expect,
    incident: usize,
    candidates: &[PlannedStep],
    max_orders: Option<u64>,
    dedup: bool,
) -> Result<PlanReport, RunError> {
    let (mut w, _) = build(s)?;
    // Each incident step's events with the checks of the state it started from, to find
    // which step caused a failure that no candidate caused.
    let mut trail = Vec::new();
    for step in s.steps.iter().take(incident) {
        let before = evaluate(&w, goal, None);
        trail.push((apply(s, &mut w, step)?, before));
    }
    let n = candidates.len();
    let orders = ordered_subsets(n);
    let max = max_orders.unwrap_or(u64::MAX);
    let memo = Mutex::new(Memo::new());
    let new_search = || Search {
        s,
        goal,
        candidates,
        max,
        memo: &memo,
        dedup,
        states: BTreeSet::new(),
        bound_hit: false,
    };
    // The empty order, on this thread; then one task per first candidate, on every core.
    let mut root = new_search();
    let mut outcomes: Outcomes = Vec::new();
    let (verdict, root_checks) = root.verdict(&w);
    if max > 0 {
        root.states.insert(fingerprint(&w));
        outcomes.push((Vec::new(), verdict));
    }
    let child_size = ordered_subsets(n.saturating_sub(1));
    type Task = Result<(Outcomes, BTreeSet<u64>, bool), RunError>;
    let done: Vec<Task> = crate::in_task_order(n, None, |c| {
        let Some(step) = candidates.get(c) else {
            return Ok((Vec::new(), BTreeSet::new(), false));
        };
        let at = 1 + c as u64 * child_size;
        if at >= max {
            return Ok((Vec::new(), BTreeSet::new(), true));
        }
        let mut search = new_search();
        let mut world = w.clone();
        let result = apply(s, &mut world, step).and_then(|events| {
            let below = search.explore(&world, 1 << c, at)?;
            Ok(below
                .iter()
                .map(|(suffix, v)| {
                    let mut order = vec![c as u8];
                    order.extend(suffix);
                    (order, blame(v, &events, Some(c), Some(&root_checks)))
                })
                .collect::<Outcomes>())
        });
        result.map(|o| (o, std::mem::take(&mut search.states), search.bound_hit))
    });
    let mut bound_hit = max < orders;
    for result in done {
        let (o, states, hit) = result?;
        outcomes.extend(o);
        root.states.extend(states);
        bound_hit |= hit;
    }
    let outcomes: Vec<(Vec<u8>, Verdict)> = outcomes
        .into_iter()
        .map(|(o, v)| {
            let v = trail.iter().rev().fold(v, |v, (events, before)| {
                blame(&v, events, None, Some(before))
            });
            (o, v)
        })
        .collect();
    Ok(report(
        candidates,
        outcomes,
        orders,
        root.states.len(),
        bound_hit,
    ))
}

/// The report: passing orders sorted, failing ones grouped.
fn report(
    candidates: &[PlannedStep],
    mut outcomes: Outcomes,
    orders: u64,
    distinct_states: usize,
    bound_hit: bool,
) -> PlanReport {
    let explored = outcomes.len() as u64;
    // Shortest first, then in candidate order.
    outcomes.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let texts = |o: &[u8]| -> Vec<String> {
        o.iter()
            .filter_map(|c| candidates.get(*c as usize).map(|s| s.text.clone()))
            .collect()
    };
    let mut passing = Vec::new();
    let mut families: Vec<Family> = Vec::new();
    let mut index: HashMap<(String, String, String, String, Option<RuleId>), usize> =
        HashMap::new();
    for (order, v) in &outcomes {
        match v {
            Verdict::Pass => passing.push(texts(order)),
            Verdict::Fail(f) => {
                let c = &f.check;
                let rule = f.cause.as_ref().map(|c| c.rule);
                let key = (
                    c.subject.clone(),
                    c.check.clone(),
                    c.expected.to_string(),
                    c.actual.to_string(),
                    rule,
                );
                match index.get(&key) {
                    Some(&i) => {
                        if let Some(fam) = families.get_mut(i) {
                            fam.count += 1;
                        }
                    }
                    None => {
                        index.insert(key, families.len());
                        families.push(Family {
                            count: 1,
                            example: texts(order),
                            subject: c.subject.clone(),
                            check: c.check.clone(),
                            expected: c.expected.clone(),
                            actual: c.actual.clone(),
                            detail: c.detail.clone(),
                            rule,
                            cause: f.cause.as_ref().map(|c| c.message.clone()),
                            step: f
                                .cause
                                .as_ref()
                                .and_then(|c| c.step)
                                .and_then(|i| candidates.get(i))
                                .map(|s| s.text.clone()),
                        });
                    }
                }
            }
        }
    }
    PlanReport {
        explored,
        orders,
        distinct_states,
        bound_hit,
        passing,
        failing: families,
    }
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

    const SCENARIO: &str = "title: t
world:
  ad:
    users:
      alice: {ou: Staff}
  entra:
    groups:
      X: {members: [alice]}
steps:
  - backup: nightly
  - delete: {user: alice, from: entra, permanently: true}
expect:
  alice: {entra: live, hybrid: true, groups: [X]}
plan:
  incident: 2
  candidates:
    - sync
    - restore: {users: [alice], from: nightly}
    - restore_ad: {users: [alice], from: nightly}
";

    fn parsed(text: &str) -> Scenario {
        super::super::parse("p.yaml", "p", text.as_bytes()).unwrap()
    }

    #[test]
    fn ordered_subsets_count_the_empty_order() {
        assert_eq!(ordered_subsets(0), 1);
        assert_eq!(ordered_subsets(3), 16);
        assert_eq!(ordered_subsets(5), 326);
        assert_eq!(ordered_subsets(6), 1957);
    }

    #[test]
    fn preorder_indices_match_the_enumeration() {
        for (i, s) in suffixes(4, 0).iter().enumerate() {
            assert_eq!(preorder(4, 0, s), i as u64, "{s:?}");
        }
    }

    /// Two prefixes that reach the same state (a step that changes nothing, either side of
    /// another) are explored once: fewer distinct states than orders, and every order still
    /// reported, with the same outcome for the same state.
    #[test]
    fn identical_states_are_explored_once() {
        let s = parsed(SCENARIO);
        let r = plan(&s, None).unwrap().unwrap();
        assert_eq!(r.explored, 16);
        assert!(r.distinct_states < 16, "{}", r.distinct_states);
        assert_eq!(r.passing.first().unwrap().len(), 2, "{:?}", r.passing);
        let total: u64 = r.failing.iter().map(|f| f.count).sum::<u64>() + r.passing.len() as u64;
        assert_eq!(total, 16);
    }

    /// Taking a known state's outcomes gives the report a full replay of every order gives,
    /// for each documented runbook.
    #[test]
    fn dedup_changes_no_outcome() {
        for text in [
            include_str!("../../../scenarios/01-cloud-only-deletion.yaml"),
            include_str!("../../../scenarios/02-deletion-then-sync-recreation.yaml"),
            include_str!("../../../scenarios/03-deleted-from-both.yaml"),
            include_str!("../../../tests/plan/six-candidates.yaml"),
        ] {
            let s = parsed(text);
            let p = s.plan.as_ref().unwrap();
            let goal = s.expect.as_ref().unwrap();
            let with = search(&s, goal, p.incident, &p.candidates, None, true).unwrap();
            let without = search(&s, goal, p.incident, &p.candidates, None, false).unwrap();
            assert_eq!(with.passing, without.passing, "{}", s.title);
            assert_eq!(
                serde_json::to_string(&with.failing).unwrap(),
                serde_json::to_string(&without.failing).unwrap(),
                "{}",
                s.title
            );
            assert_eq!(with.distinct_states, without.distinct_states, "{}", s.title);
        }
    }

    #[test]
    fn the_fingerprint_tells_states_apart_and_repeats() {
        let s = parsed(SCENARIO);
        let (mut w, _) = build(&s).unwrap();
        let before = fingerprint(&w);
        assert_eq!(before, fingerprint(&w.clone()));
        w.apply(&crate::Op::Backup("b".into())).unwrap();
        assert_ne!(before, fingerprint(&w));
    }

    #[test]
    fn the_bound_stops_the_search_and_says_so() {
        let s = parsed(SCENARIO);
        let r = plan(&s, Some(5)).unwrap().unwrap();
        assert_eq!(r.explored, 5);
        assert!(r.bound_hit);
        let again = plan(&s, Some(5)).unwrap().unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }
}
