//! Errors that stop a run: an operation the engine cannot carry out as asked, or a defect of
//! the engine itself. What a simulated system refuses is an event, not an error.

use crate::rules::RuleId;
use crate::store::{HandleId, Kind};

/// An error that stops a run: not something the simulated system refused (that is an event), but
/// an operation the engine cannot carry out as asked, or a defect of the engine itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// An operation named a handle the world was not given (handles are numbered when a
    /// scenario is loaded).
    #[error("no handle numbered {}", .0.0)]
    UnknownHandle(HandleId),
    #[error("'{handle}' is a {actual}, not a {expected}")]
    WrongKind {
        handle: String,
        expected: Kind,
        actual: Kind,
    },
    #[error("handle '{handle}' is ambiguous in Entra ID: live objects {ids}")]
    Ambiguous { handle: String, ids: String },
    #[error("'{0}' cannot be a handle: it is reserved")]
    ReservedHandle(String),
    #[error("unknown restore point '{label}' (known: {known})")]
    UnknownBackup { label: String, known: String },
    #[error("{0}")]
    Invalid(String),
    /// A broken invariant: a defect of the engine, never an outcome of a scenario.
    #[error("engine defect: invariant {rule} broken: {message}")]
    Invariant { rule: RuleId, message: String },
}

pub type Result<T> = std::result::Result<T, EngineError>;
