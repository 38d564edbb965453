//! The operations a world applies: the steps of a runbook and the world's building, resolved to
//! engine types (identities are handles, numbered when the scenario was loaded).

use crate::error::{EngineError, Result};
use crate::settings::SettingsPatch;
use crate::store::{AdAttr, Directory, EntraProp, GroupType, HandleId, Kind, Store, Str, Value};
use serde::Serialize;

/// A sync cycle's kind (SYNC-11).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CycleKind {
    #[default]
    Delta,
    Initial,
}

named_values!(CycleKind {
    Delta = "delta",
    Initial = "initial",
});

/// What stage 2 of a VDC restore session does with an object that exists (VDC-2).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Existing {
    #[default]
    Skip,
    Overwrite,
}

named_values!(Existing {
    Skip = "skip",
    Overwrite = "overwrite",
});

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RestoreOptions {
    pub recycle_bin: bool,
    pub keep_relationships: bool,
    pub existing: Existing,
}

/// Relations to add or remove in one `assign`/`unassign` step. Users and groups are handles,
/// roles, licences and apps names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationSet {
    pub groups: Vec<HandleId>,
    pub owns: Vec<HandleId>,
    pub roles: Vec<Str>,
    pub licenses: Vec<Str>,
    pub apps: Vec<Str>,
    /// In `unassign` any value removes the manager.
    pub manager: Option<HandleId>,
}

/// The attributes of a new object. AD objects take LDAP names, Entra objects Graph names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewObject {
    pub ou: Option<Str>,
    pub group_type: Option<GroupType>,
    pub ad_attrs: Vec<(AdAttr, Value)>,
    pub entra_props: Vec<(EntraProp, Value)>,
}

/// One operation: a step of a runbook, resolved to engine types: identities are handles,
/// numbered when the scenario was loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Sync(CycleKind),
    Backup(String),
    Delete {
        kind: Kind,
        handle: HandleId,
        from: Directory,
        permanently: bool,
    },
    Restore {
        users: Vec<HandleId>,
        groups: Vec<HandleId>,
        from: String,
        recycle_bin: bool,
        keep_relationships: bool,
        existing: Existing,
    },
    RestoreAd {
        users: Vec<HandleId>,
        from: String,
    },
    Undelete {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
    },
    Create {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        object: NewObject,
    },
    UpdateAd {
        kind: Kind,
        handle: HandleId,
        set: Vec<(AdAttr, Option<Value>)>,
    },
    UpdateEntra {
        kind: Kind,
        handle: HandleId,
        set: Vec<(EntraProp, Option<Value>)>,
    },
    /// The relation sets are boxed, as are the settings below: the world of a large tenant
    /// holds an operation per object, and an operation costs the size of its largest kind.
    Assign {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        rels: Box<RelationSet>,
    },
    Unassign {
        kind: Kind,
        handle: HandleId,
        dir: Directory,
        rels: Box<RelationSet>,
    },
    Move {
        kind: Kind,
        handle: HandleId,
        to: String,
    },
    Scope {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Settings(Box<SettingsPatch>),
    /// Advance the clock by this many seconds.
    Wait(i64),
    /// Place a captured tenant as it was found (a world imported from exports).
    Adopt(std::sync::Arc<crate::capture::Capture>),
}

impl Op {
    /// The same operation on the identity `handle` of `kind`; `None` for an operation that has
    /// no single subject (a sync, a restore session of lists, ...).
    pub fn with_subject(&self, kind: Kind, handle: HandleId) -> Option<Op> {
        let mut op = self.clone();
        match &mut op {
            Op::Delete {
                kind: k, handle: h, ..
            }
            | Op::Undelete {
                kind: k, handle: h, ..
            }
            | Op::Create {
                kind: k, handle: h, ..
            }
            | Op::UpdateAd {
                kind: k, handle: h, ..
            }
            | Op::UpdateEntra {
                kind: k, handle: h, ..
            }
            | Op::Assign {
                kind: k, handle: h, ..
            }
            | Op::Unassign {
                kind: k, handle: h, ..
            }
            | Op::Move {
                kind: k, handle: h, ..
            } => {
                *k = kind;
                *h = handle;
            }
            _ => return None,
        }
        Some(op)
    }
}

/// `h` checked to be a handle of `kind`.
pub(crate) fn handle(st: &Store, h: HandleId, kind: Kind) -> Result<HandleId> {
    match st.handles.kind(h) {
        None => Err(EngineError::UnknownHandle(h)),
        Some(actual) if actual != kind => Err(EngineError::WrongKind {
            handle: st.handles.name(h).to_string(),
            expected: kind,
            actual,
        }),
        Some(_) => Ok(h),
    }
}
