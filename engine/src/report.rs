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
}

/// One scenario's run.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub file: String,
    pub title: String,
    pub passed: bool,
    /// What building the world caused (the AD objects, the initial cycle, the cloud objects).
    pub world_events: Vec<Event>,
    pub steps: Vec<StepReport>,
    pub checks: Vec<Check>,
}

impl ScenarioReport {
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
    pub events: Vec<Event>,
}

/// One expectation: the computed fact against the expected value.
#[derive(Clone, Debug, Serialize)]
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
}
