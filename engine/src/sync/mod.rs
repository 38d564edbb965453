//! Microsoft Entra Connect Sync: scope (SYNC-2), anchors (SYNC-1), matching (SYNC-3..5),
//! provisioning (SYNC-6), attribute flow (SYNC-7), deletes and the threshold (SYNC-8), duplicate
//! attribute resiliency (SYNC-9), re-adds (SYNC-10) and delta/initial cycles (SYNC-11).

use std::collections::BTreeSet;

use serde::Serialize;

use thin_vec::ThinVec;

use crate::ad::distinguished_name;
use crate::catalogue::{Source, USER_PROPS};
use crate::clock::Clock;
use crate::entra::{Entra, Unique, flows, licence_events, proxy_key, set_service};
pub use crate::op::CycleKind;
use crate::report::{Event, EventKind as K, Events};
use crate::rules::RuleId as R;
use crate::settings::{DeletionThresholdCounts, Names, Settings, SoftMatchConflict, SourceAnchor};
use crate::store::*;

/// How a cycle's export ended (SYNC-8).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Export {
    Completed,
    StoppedDeletionThresholdExceeded,
}

impl Export {
    pub fn name(self) -> &'static str {
        match self {
            Export::Completed => "completed",
            Export::StoppedDeletionThresholdExceeded => "stopped-deletion-threshold-exceeded",
        }
    }
}

/// The error codes of Entra Connect, named as Microsoft names them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub enum ErrorCode {
    InvalidHardMatch,
    InvalidSoftMatch,
    AttributeValueMustBeUnique,
    QuarantinedAttributeValueMustBeUnique,
    ExistingAdminRoleConflict,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidHardMatch,
        ErrorCode::InvalidSoftMatch,
        ErrorCode::AttributeValueMustBeUnique,
        ErrorCode::QuarantinedAttributeValueMustBeUnique,
        ErrorCode::ExistingAdminRoleConflict,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidHardMatch => "InvalidHardMatch",
            ErrorCode::InvalidSoftMatch => "InvalidSoftMatch",
            ErrorCode::AttributeValueMustBeUnique => "AttributeValueMustBeUnique",
            ErrorCode::QuarantinedAttributeValueMustBeUnique => {
                "QuarantinedAttributeValueMustBeUnique"
            }
            ErrorCode::ExistingAdminRoleConflict => "ExistingAdminRoleConflict",
        }
    }
    pub fn from_name(s: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.name() == s)
    }
}

impl ErrorCode {
    /// The code Entra Connect reports for a conflict recorded on an object: every one is a
    /// quarantined value (SYNC-9).
    pub fn of_recorded(_: &ProvisioningError) -> ErrorCode {
        ErrorCode::QuarantinedAttributeValueMustBeUnique
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the most recent cycle did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleResult {
    pub kind: CycleKind,
    pub export: Export,
    pub errors: BTreeSet<ErrorCode>,
    pub processed: usize,
    pub adds: usize,
    pub updates: usize,
    pub deletes: usize,
}

/// Microsoft Entra Connect Sync's own state: the OU filter and the last cycle's result. What
/// changed since the last cycle (its watermark, SYNC-11) is the store's [`Changes`].
#[derive(Clone, Debug, Default)]
pub struct SyncEngine {
    /// The OU filter as configured.
    pub configured_ous: OuFilter,
    /// The OU filter in effect: the configured one as of the last initial cycle (SYNC-2).
    pub applied_ous: OuFilter,
    pub last: Option<CycleResult>,
}

/// A sync cycle at work: the engine's state, the two directories it reads and writes (AD's
/// objects are in the store; Entra ID is written through its rules) and the configuration.
struct Cycle<'a> {
    eng: &'a mut SyncEngine,
    st: &'a mut Store,
    entra: &'a mut Entra,
    clock: &'a mut Clock,
    settings: &'a Settings,
    names: &'a Names,
}

impl SyncEngine {
    pub fn in_scope_ou(&self, ou: &str) -> bool {
        self.applied_ous.contains(ou)
    }
}

/// Entra Connect's OU filter (SYNC-2): the OUs listed (`sync_ous`), or every OU but those listed.
///
/// Every OU is the filter with none left out. Leaving OUs out of it keeps new OUs in scope, as
/// the configuration the installation wizard always creates does: "New OUs that are created
/// after filtering has been configured are synchronized by default"
/// (<https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering>,
/// "Synchronize new OUs"). A list (`sync_ous`) is the other configuration the page describes,
/// where a new OU is not synchronized until it is selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OuFilter {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl Default for OuFilter {
    fn default() -> Self {
        Self::AllBut(BTreeSet::new())
    }
}

impl OuFilter {
    pub fn contains(&self, ou: &str) -> bool {
        match self {
            Self::Only(s) => s.contains(ou),
            Self::AllBut(s) => !s.contains(ou),
        }
    }

    /// Puts `ou` in scope.
    pub fn add(&mut self, ou: &str) {
        match self {
            Self::Only(s) => {
                s.insert(ou.to_string());
            }
            Self::AllBut(s) => {
                s.remove(ou);
            }
        }
    }

    /// Takes `ou` out of scope.
    pub fn remove(&mut self, ou: &str) {
        match self {
            Self::Only(s) => {
                s.remove(ou);
            }
            Self::AllBut(s) => {
                s.insert(ou.to_string());
            }
        }
    }
}

impl std::fmt::Display for OuFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list =
            |s: &BTreeSet<String>| s.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        match self {
            Self::Only(s) => write!(f, "[{}]", list(s)),
            Self::AllBut(s) if s.is_empty() => f.write_str("every OU"),
            Self::AllBut(s) => write!(f, "every OU except [{}], new OUs included", list(s)),
        }
    }
}

impl SyncEngine {
    /// Sets the OU filter as configured and in effect (the world's `sync_ous`).
    pub fn set_sync_ous(&mut self, ous: Option<Vec<String>>) {
        let filter = match ous {
            Some(v) => OuFilter::Only(v.into_iter().collect()),
            None => OuFilter::default(),
        };
        self.configured_ous = filter.clone();
        self.applied_ous = filter;
    }

    /// The most recent cycle's result.
    pub fn last_cycle(&self) -> Option<&CycleResult> {
        self.last.as_ref()
    }

    /// SYNC-2: in scope when live, in a synced OU and with a sAMAccountName. Its text is not
    /// read: a cycle asks this of every manager, and reading the text costs a cache miss each.
    pub fn in_scope(&self, st: &Store, n: NodeIx) -> bool {
        st.g.ad(n).is_some_and(|o| {
            o.is_live() && o.attrs.str(AdAttr::SamAccountName).is_some() && self.in_scope_ou(&o.ou)
        })
    }

    /// `scope`: changes the configured OU filter; it takes effect at the next initial cycle
    /// (SYNC-2, SYNC-11).
    pub(crate) fn scope(&mut self, add: &[String], remove: &[String], ev: &mut Events) {
        let filter = &mut self.configured_ous;
        for a in add {
            filter.add(a);
        }
        for r in remove {
            filter.remove(r);
        }
        ev.push_with(|| Event::new(
            K::ScopeChanged,
            "sync",
            R::Sync2,
            format!("Entra Connect's OU filter is now {filter}; it takes effect at the next initial cycle"),
        ));
    }

    /// One Entra Connect cycle (SYNC-11) over the directories in `st`, writing Entra ID through
    /// `entra`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn cycle(
        &mut self,
        st: &mut Store,
        entra: &mut Entra,
        clock: &mut Clock,
        settings: &Settings,
        names: &Names,
        kind: CycleKind,
        ev: &mut Events,
    ) {
        Cycle {
            eng: self,
            st,
            entra,
            clock,
            settings,
            names,
        }
        .run(kind, ev)
    }
}

mod ahead;
mod cycle;
mod flow;
mod matching;
mod references;

use ahead::{ADD_AHEAD, REFERENCE_STAGES};
use flow::{Flow, written_keys};
use matching::Outcome;
