//! The steps of a runbook: each step's fields, and how a step is read (a bare `sync` or a map
//! with one key) and described in the schema.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::GroupTypeSpec;
use super::expect::Expect;
use super::select::Selection;
use super::values::{AnyAttrs, Map, Scalar, TextLike};
use crate::settings::SettingsPatch;
use crate::sync::CycleKind;
use crate::vdc::Existing;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Ad,
    Entra,
}

named_values!(Dir {
    Ad = "ad",
    Entra = "entra",
});

impl From<Dir> for crate::Directory {
    fn from(d: Dir) -> Self {
        match d {
            Dir::Ad => crate::Directory::Ad,
            Dir::Entra => crate::Directory::Entra,
        }
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dir::Ad => "ad",
            Dir::Entra => "entra",
        })
    }
}

/// `user: H` or `group: H`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteStep {
    pub user: Option<String>,
    pub group: Option<String>,
    /// A set of users instead of one `user` (a list or a selector).
    pub users: Option<Selection>,
    /// A set of groups instead of one `group` (a list or a selector).
    pub groups: Option<Selection>,
    pub from: Dir,
    #[serde(default)]
    pub permanently: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreStep {
    #[serde(default)]
    pub users: Selection,
    #[serde(default)]
    pub groups: Selection,
    pub from: String,
    #[serde(default = "yes")]
    pub recycle_bin: bool,
    #[serde(default = "yes")]
    pub keep_relationships: bool,
    #[serde(default)]
    pub existing: Existing,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreAdStep {
    pub users: Selection,
    pub from: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndeleteStep {
    pub user: Option<String>,
    pub group: Option<String>,
    /// A set of users instead of one `user` (a list or a selector).
    pub users: Option<Selection>,
    /// A set of groups instead of one `group` (a list or a selector).
    pub groups: Option<Selection>,
    #[serde(rename = "in")]
    pub dir: Dir,
}

/// `create`: the subject, the directory and any attributes (LDAP names in AD, Graph names in
/// Entra), plus `ou` and `type`, and the relations a create may carry.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct CreateStep {
    pub user: Option<String>,
    pub group: Option<String>,
    #[serde(rename = "in")]
    pub dir: Dir,
    pub ou: Option<String>,
    #[serde(rename = "type")]
    pub group_type: Option<GroupTypeSpec>,
    #[serde(flatten)]
    #[schemars(with = "AnyAttrs")]
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStep {
    pub user: Option<String>,
    pub group: Option<String>,
    /// A set of users instead of one `user` (a list or a selector).
    pub users: Option<Selection>,
    /// A set of groups instead of one `group` (a list or a selector).
    pub groups: Option<Selection>,
    #[serde(rename = "in")]
    pub dir: Dir,
    #[schemars(with = "AnyAttrs")]
    pub set: Map<Scalar>,
}

fn entra() -> Dir {
    Dir::Entra
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignStep {
    pub user: Option<String>,
    pub group: Option<String>,
    /// A set of users instead of one `user` (a list or a selector); `groups` are the groups
    /// to join, as for one user.
    pub users: Option<Selection>,
    #[serde(rename = "in", default = "entra")]
    pub dir: Dir,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub owns: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(default)]
    pub apps: Vec<String>,
    pub manager: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStep {
    pub user: Option<String>,
    pub group: Option<String>,
    /// A set of users instead of one `user` (a list or a selector).
    pub users: Option<Selection>,
    /// A set of groups instead of one `group` (a list or a selector).
    pub groups: Option<Selection>,
    pub to: String,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeStep {
    /// OUs put in scope.
    #[serde(default)]
    pub add: Vec<String>,
    /// OUs taken out of scope. Taken out of every OU (no `sync_ous`), the filter is every OU
    /// but these, and OUs first used later are in scope (SYNC-2).
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A step of the runbook.
#[derive(Clone, Debug)]
///
/// The larger steps are boxed: a runbook of many small steps (`sync`, `backup`) then costs a
/// few words a step, not the size of the largest.
pub enum Step {
    Sync(CycleKind),
    Backup(String),
    Delete(Box<DeleteStep>),
    Restore(Box<RestoreStep>),
    RestoreAd(Box<RestoreAdStep>),
    Undelete(Box<UndeleteStep>),
    Create(Box<CreateStep>),
    Update(Box<UpdateStep>),
    Assign(Box<AssignStep>),
    Unassign(Box<AssignStep>),
    Move(Box<MoveStep>),
    Scope(Box<ScopeStep>),
    Settings(Box<SettingsPatch>),
    Wait(String),
    Expect(Box<Expect>),
}

pub const STEP_KINDS: &[&str] = &[
    "sync",
    "backup",
    "delete",
    "restore",
    "restore_ad",
    "undelete",
    "create",
    "update",
    "assign",
    "unassign",
    "move",
    "scope",
    "settings",
    "wait",
    "expect",
];

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Step;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a step: `sync`, or a map with one key of: {}",
                    STEP_KINDS.join(", ")
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Step, E> {
                match v {
                    "sync" => Ok(Step::Sync(CycleKind::Delta)),
                    other => Err(E::custom(format!(
                        "unknown step `{other}`: a bare step can only be `sync`; the others are maps with one key of: {}",
                        STEP_KINDS.join(", ")
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!(
                        "an empty step: expected one key of: {}",
                        STEP_KINDS.join(", ")
                    )));
                };
                let step = match key.as_str() {
                    "sync" => {
                        Step::Sync(map.next_value::<Option<CycleKind>>()?.unwrap_or_default())
                    }
                    "backup" => Step::Backup(map.next_value::<TextLike>()?.0),
                    "delete" => Step::Delete(map.next_value()?),
                    "restore" => Step::Restore(map.next_value()?),
                    "restore_ad" => Step::RestoreAd(map.next_value()?),
                    "undelete" => Step::Undelete(map.next_value()?),
                    "create" => Step::Create(map.next_value()?),
                    "update" => Step::Update(map.next_value()?),
                    "assign" => Step::Assign(map.next_value()?),
                    "unassign" => Step::Unassign(map.next_value()?),
                    "move" => Step::Move(map.next_value()?),
                    "scope" => Step::Scope(map.next_value()?),
                    "settings" => Step::Settings(map.next_value()?),
                    "wait" => Step::Wait(map.next_value::<TextLike>()?.0),
                    "expect" => Step::Expect(map.next_value()?),
                    other => {
                        return Err(de::Error::custom(format!(
                            "unknown step `{other}`, expected one of: {}",
                            STEP_KINDS.join(", ")
                        )));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a step has exactly one key: found `{key}` and `{extra}` (write them as two steps)"
                    )));
                }
                Ok(step)
            }
        }
        d.deserialize_any(V)
    }
}

/// Each step kind of a one-key map: its key, what it does, and the schema of its value, in the
/// order of [`STEP_KINDS`].
type StepBody = fn(&mut SchemaGenerator) -> Schema;
const STEP_SCHEMAS: &[(&str, &str, StepBody)] = &[
    (
        "sync",
        "One Entra Connect cycle: `delta` (the default, also the bare word `sync`) or `initial`.",
        |g| g.subschema_for::<Option<CycleKind>>(),
    ),
    (
        "backup",
        "Take a VDC restore point of Entra ID and an AD backup, under this label.",
        |g| g.subschema_for::<TextLike>(),
    ),
    (
        "delete",
        "Delete a user or group from Entra ID or AD; `permanently` also purges it.",
        |g| g.subschema_for::<DeleteStep>(),
    ),
    (
        "restore",
        "A VDC restore session of users and groups from a restore point.",
        |g| g.subschema_for::<RestoreStep>(),
    ),
    (
        "restore_ad",
        "A VEAD restore of AD users from a restore point.",
        |g| g.subschema_for::<RestoreAdStep>(),
    ),
    (
        "undelete",
        "A native recycle-bin restore in Entra ID or AD.",
        |g| g.subschema_for::<UndeleteStep>(),
    ),
    (
        "create",
        "Create a user or group in AD or Entra ID, with its attributes (LDAP names in AD, Graph names in Entra).",
        |g| g.subschema_for::<CreateStep>(),
    ),
    (
        "update",
        "Change attributes of a user or group; `null` clears one.",
        |g| g.subschema_for::<UpdateStep>(),
    ),
    (
        "assign",
        "Add relations: groups, owned groups, roles, licences, apps, a manager.",
        |g| g.subschema_for::<AssignStep>(),
    ),
    (
        "unassign",
        "Remove relations: groups, owned groups, roles, licences, apps, a manager.",
        |g| g.subschema_for::<AssignStep>(),
    ),
    ("move", "Move a user or group to another OU in AD.", |g| {
        g.subschema_for::<MoveStep>()
    }),
    ("scope", "Change Entra Connect's OU filter.", |g| {
        g.subschema_for::<ScopeStep>()
    }),
    ("settings", "Change settings from this step on.", |g| {
        g.subschema_for::<SettingsPatch>()
    }),
    (
        "wait",
        "Advance the simulated clock, e.g. `31d`, `12h`, `1d12h` (units d, h, m).",
        |g| g.subschema_for::<TextLike>(),
    ),
    ("expect", "Check expectations now.", |g| {
        g.subschema_for::<Expect>()
    }),
];

/// The schema of what [`Step`]'s deserializer accepts: the word `sync`, or a map with exactly
/// one of the step keys.
impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut variants = vec![json_schema!({
            "description": "One Entra Connect delta cycle.",
            "type": "string",
            "enum": ["sync"],
        })];
        for (key, description, body) in STEP_SCHEMAS {
            variants.push(json_schema!({
                "description": description,
                "type": "object",
                "properties": { *key: body(g) },
                "required": [key],
                "additionalProperties": false,
            }));
        }
        json_schema!({
            "description": "A step of the runbook: `sync`, or a map with exactly one key naming the step.",
            "oneOf": variants,
        })
    }
}
