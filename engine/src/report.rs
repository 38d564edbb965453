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

/// Where an operation records its events. With `detail` off (bulk runs, benchmarks) messages
/// are never formatted and nothing is kept: the cost of an operation is its work alone.
#[derive(Debug, Default)]
pub struct Events {
    list: Vec<Event>,
    detail: bool,
}

impl Events {
    pub fn new(detail: bool) -> Events {
        Events {
            list: Vec::new(),
            detail,
        }
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

/// The report of a whole run (SCENARIO_FORMAT.md section 3).
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
