//! The steps of a runbook: each step's fields, and how a step is read (a bare `sync` or a map
//! with one key) and described in the schema.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::GroupTypeSpec;
use super::expect::Expect;
use super::quiz::QuizItem;
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

/// A step of the runbook. The larger steps are boxed: a runbook of many small steps (`sync`,
/// `backup`) then costs a few words a step, not the size of the largest.
#[derive(Clone, Debug)]
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

/// A step of the runbook as the file writes it: the step, and the facts a trainee predicts
/// before it runs (`quiz`, beside the step's key; `hysim quiz`).
#[derive(Clone, Debug)]
pub struct StepEntry {
    pub step: Step,
    pub quiz: Option<Vec<QuizItem>>,
}

/// Reads a step: the word `sync`, or a map with one key naming the step, and beside it a
/// `quiz` list when `quiz` is true (a step of `steps`, not a plan's candidate).
struct StepVisitor {
    quiz: bool,
}

impl<'de> Visitor<'de> for StepVisitor {
    type Value = StepEntry;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a step: `sync`, or a map with one key of: {}",
            STEP_KINDS.join(", ")
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StepEntry, E> {
        match v {
            "sync" => Ok(StepEntry {
                step: Step::Sync(CycleKind::Delta),
                quiz: None,
            }),
            other => Err(E::custom(format!(
                "unknown step `{other}`: a bare step can only be `sync`; the others are maps with one key of: {}",
                STEP_KINDS.join(", ")
            ))),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepEntry, A::Error> {
        let mut quiz: Option<Vec<QuizItem>> = None;
        let mut step: Option<(String, Step)> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "quiz" && self.quiz {
                if quiz.is_some() {
                    return Err(de::Error::custom("duplicate key `quiz`"));
                }
                quiz = Some(map.next_value()?);
                continue;
            }
            if key == "quiz" {
                return Err(de::Error::custom(
                    "a plan's candidate cannot carry a `quiz`: put the quiz on a step of `steps`",
                ));
            }
            if let Some((first, _)) = &step {
                // Two step keys read as before `quiz` existed; another key may be a misspelt quiz.
                if self.quiz && !STEP_KINDS.contains(&key.as_str()) {
                    return Err(de::Error::custom(format!(
                        "unknown key `{key}` beside the step `{first}`: only `quiz` may stand beside a step's key"
                    )));
                }
                return Err(de::Error::custom(format!(
                    "a step has exactly one key: found `{first}` and `{key}` (write them as two steps)"
                )));
            }
            let s = match key.as_str() {
                "sync" => Step::Sync(map.next_value::<Option<CycleKind>>()?.unwrap_or_default()),
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
            step = Some((key, s));
        }
        match step {
            Some((_, step)) => Ok(StepEntry { step, quiz }),
            None if quiz.is_some() => Err(de::Error::custom(format!(
                "a `quiz` without its step: expected one more key of: {}",
                STEP_KINDS.join(", ")
            ))),
            None => Err(de::Error::custom(format!(
                "an empty step: expected one key of: {}",
                STEP_KINDS.join(", ")
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StepVisitor { quiz: false })
            .map(|e| e.step)
    }
}

impl<'de> Deserialize<'de> for StepEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StepVisitor { quiz: true })
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
        step_schema(g, false)
    }
}

/// The schema of a step; with `quiz`, each map may hold a `quiz` list beside the step's key.
fn step_schema(g: &mut SchemaGenerator, quiz: bool) -> Schema {
    let mut variants = vec![json_schema!({
        "description": "One Entra Connect delta cycle.",
        "type": "string",
        "enum": ["sync"],
    })];
    for (key, description, body) in STEP_SCHEMAS {
        let mut properties = serde_json::Map::new();
        properties.insert((*key).to_string(), body(g).to_value());
        if quiz {
            properties.insert("quiz".into(), g.subschema_for::<Vec<QuizItem>>().to_value());
        }
        variants.push(json_schema!({
            "description": description,
            "type": "object",
            "properties": properties,
            "required": [key],
            "additionalProperties": false,
        }));
    }
    json_schema!({
        "description": "A step of the runbook: `sync`, or a map with exactly one key naming the step.",
        "oneOf": variants,
    })
}

/// The schema of what [`StepEntry`]'s deserializer accepts: a [`Step`], and beside a map's key
/// a `quiz` list.
impl JsonSchema for StepEntry {
    fn schema_name() -> Cow<'static, str> {
        "StepEntry".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        step_schema(g, true)
    }
}
