//! The run report: events (what each operation did, with the rule that did it) and checks.

use std::fmt;

use serde::Serialize;

use crate::rules::RuleId;

/// What an event records. The kebab-case name is part of the report format.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    // Active Directory
    AdCreated,
    AdUpdated,
    AdDeleted,
    AdTombstoned,
    AdRemoved,
    AdRecycled,
    AdUndeleted,
    AdReanimated,
    AdRecreated,
    AdMoved,
    AdRelationAdded,
    AdRelationRemoved,
    ConsistencyGuidWritten,
    // Entra ID
    Created,
    Updated,
    SoftDeleted,
    HardDeleted,
    Purged,
    RestoredFromRecycleBin,
    WriteRefused,
    RelationAdded,
    RelationRemoved,
    LicenceInherited,
    LicenceRemoved,
    OverrideSet,
    OverrideKept,
    OverrideBypassed,
    // Entra Connect
    Provisioned,
    ImmutableIdSet,
    HardMatched,
    SoftMatched,
    InvalidHardMatch,
    InvalidSoftMatch,
    AdminRoleConflict,
    AttributeQuarantined,
    QuarantineReleased,
    AttributesFlowed,
    MembershipFlowed,
    ManagerFlowed,
    Disconnected,
    ExportStopped,
    CycleCompleted,
    ScopeChanged,
    // Backup tools
    BackupTaken,
    RestoredFromBackup,
    Overwritten,
    Skipped,
    RestoreFailed,
    RelationSkipped,
    RelationRestored,
    PropertySkipped,
    RestoreStatus,
    // The simulated clock
    ClockAdvanced,
    // Refusals of a step by the simulated system
    NotFound,
    Refused,
}

impl EventKind {
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A value as the text reports show it: texts bare, lists as `[a, b]`.
pub fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// One thing an operation caused.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Event {
    pub kind: EventKind,
    /// The handle (or restore point label) the event is about.
    pub subject: String,
    pub rule: RuleId,
    pub message: String,
}

impl Event {
    pub fn new(
        kind: EventKind,
        subject: impl AsRef<str>,
        rule: RuleId,
        message: impl Into<String>,
    ) -> Event {
        Event {
            kind,
            subject: subject.as_ref().to_string(),
            rule,
            message: message.into(),
        }
    }
}

/// Watches a long operation: called with the stage, the items done and the items in all, at
/// the start of a stage, every [`PROGRESS_EVERY`] items and at its end. The stages: a sync
/// cycle's `export` and `references`; a backup's `Entra objects` and `AD objects`; a VDC
/// restore session's `objects` and `relations`; a VEAD restore's `AD objects`. For a progress
/// bar: being watched never changes what the world does.
pub type Progress = std::sync::Arc<dyn Fn(&'static str, usize, usize) + Send + Sync>;

/// How many items a stage does between two calls of its [`Progress`].
pub const PROGRESS_EVERY: usize = 4096;

/// Where an operation records its events, and tells its watcher, if any, how far it has got.
/// With `detail` off (bulk runs, benchmarks) messages are never formatted and nothing is kept:
/// the cost of an operation is its work alone.
#[derive(Default)]
pub struct Events {
    list: Vec<Event>,
    detail: bool,
    watch: Watch,
}

/// Who is told how far a long operation has got, if anyone.
#[derive(Clone, Default)]
pub struct Watch(pub Option<Progress>);

impl Watch {
    /// Tells the watcher, if any, that `done` of the `total` items of `stage` are done: at the
    /// start, every [`PROGRESS_EVERY`] items and at the end.
    #[inline]
    pub fn tell(&self, stage: &'static str, done: usize, total: usize) {
        if let Some(p) = &self.0
            && (done.is_multiple_of(PROGRESS_EVERY) || done == total)
        {
            p(stage, done, total);
        }
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "watched"
        } else {
            "unwatched"
        })
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("list", &self.list)
            .field("detail", &self.detail)
            .field("watch", &self.watch)
            .finish()
    }
}

impl Events {
    pub fn new(detail: bool) -> Events {
        Events {
            list: Vec::new(),
            detail,
            watch: Watch::default(),
        }
    }

    /// Events whose operation tells `watch` how far it has got.
    pub fn watched(detail: bool, watch: Watch) -> Events {
        Events {
            list: Vec::new(),
            detail,
            watch,
        }
    }

    /// See [`Watch::tell`].
    #[inline]
    pub fn progress(&self, stage: &'static str, done: usize, total: usize) {
        self.watch.tell(stage, done, total);
    }

    /// The operation's watcher, for work on another thread.
    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// Records the event `make` builds, when events are kept.
    pub fn push_with(&mut self, make: impl FnOnce() -> Event) {
        if self.detail {
            self.list.push(make());
        }
    }

    /// Records a built event, when events are kept.
    pub fn push(&mut self, e: Event) {
        if self.detail {
            self.list.push(e);
        }
    }

    pub fn detail(&self) -> bool {
        self.detail
    }

    pub fn into_vec(self) -> Vec<Event> {
        self.list
    }

    pub fn extend(&mut self, other: Events) {
        self.list.extend(other.list);
    }
}

/// The report of a whole run (its JSON form is in docs/scenario-format.md).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub passed: bool,
    pub scenarios: Vec<ScenarioReport>,
    /// The files that could not be run, each with its input errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::scenario::InputError>,
}

/// One scenario's run.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub file: String,
    pub title: String,
    pub passed: bool,
    /// What building the world caused (the AD objects, the initial cycle, the cloud objects);
    /// left out once [`ScenarioReport::summarise`] has counted them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world_events: Option<Vec<Event>>,
    /// The world's events counted by kind and rule, when they are summarised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world_event_counts: Option<Vec<EventCount>>,
    /// What of the world as written could not be made (a cloud relation of an identity that
    /// never reached Entra ID, say): the world differs from what its author wrote.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub world_warnings: Vec<WorldWarning>,
    pub steps: Vec<StepReport>,
    pub checks: Vec<Check>,
}

/// One identity the world could not be built for as written, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorldWarning {
    pub subject: String,
    /// How many operations of the world on it were refused or found nothing.
    pub count: usize,
    pub message: String,
}

/// How many events of one kind one rule caused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventCount {
    pub kind: EventKind,
    pub rule: RuleId,
    pub count: usize,
}

/// Events counted by kind and rule, in the order each pair first happened.
pub fn count_events(events: &[Event]) -> Vec<EventCount> {
    let mut out: Vec<EventCount> = Vec::new();
    let mut at: std::collections::HashMap<(EventKind, RuleId), usize> = Default::default();
    for e in events {
        match at.get(&(e.kind, e.rule)).and_then(|i| out.get_mut(*i)) {
            Some(c) => c.count += 1,
            None => {
                at.insert((e.kind, e.rule), out.len());
                out.push(EventCount {
                    kind: e.kind,
                    rule: e.rule,
                    count: 1,
                });
            }
        }
    }
    out
}

impl ScenarioReport {
    /// The world's events counted instead of listed, and each step's events past the first
    /// `per_step` counted as well: a report of a large tenant that says what happened without
    /// listing every object.
    pub fn summarise(&mut self, per_step: usize) {
        if let Some(events) = self.world_events.take() {
            self.world_event_counts = Some(count_events(&events));
        }
        for step in &mut self.steps {
            if step.events.len() > per_step {
                step.event_counts = Some(count_events(&step.events));
                step.events_omitted = step.events.len() - per_step;
                step.events.truncate(per_step);
            }
        }
    }

    pub fn passed_count(&self) -> usize {
        self.checks.iter().filter(|c| c.passed).count()
    }
    pub fn failed_count(&self) -> usize {
        self.checks.len() - self.passed_count()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub n: usize,
    pub step: String,
    /// What each set of a step over sets of identities picked (none for other steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selected: Vec<Selected>,
    /// The step's events; once summarised, only the first of them.
    pub events: Vec<Event>,
    /// How many events were left out of `events` (summarised reports only).
    #[serde(skip_serializing_if = "is_zero")]
    pub events_omitted: usize,
    /// All the step's events counted by kind and rule, when some were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_counts: Option<Vec<EventCount>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What one set of a step picked when it ran: picking no one is shown, never silent.
#[derive(Clone, Debug, Serialize)]
pub struct Selected {
    /// The set as the scenario wrote it, after its kind: `users {ou: Sales}`.
    pub selector: String,
    pub count: usize,
    /// The first handles picked, at most [`Selected::FIRST`].
    pub first: Vec<String>,
}

impl Selected {
    /// How many handles a report names of a set.
    pub const FIRST: usize = 10;
}

/// One expectation: the computed fact against the expected value.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Check {
    /// The `expect` step's number, or `null` for the final `expect`.
    pub step: Option<usize>,
    pub subject: String,
    pub check: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
    pub passed: bool,
    /// More about a failure, e.g. which relations were lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a check over a set (`every`): how many identities it picked and how many passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<SetCount>,
    /// For a check over a set: the first identities it failed for, at most
    /// [`Selected::FIRST`], with their actual values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<Failing>,
}

/// How a check over a set went: passed for `passed` of the `selected` identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SetCount {
    pub selected: usize,
    pub passed: usize,
}

/// An identity a check over a set failed for, and its actual value.
#[derive(Clone, Debug, Serialize)]
pub struct Failing {
    pub handle: String,
    pub actual: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
