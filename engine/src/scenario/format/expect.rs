//! What an `expect` block checks: the states and relations of identities by handle, the most
//! recent restore session and the most recent sync cycle.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::select::Selection;
use super::values::{AdAttrsRead, EntraPropsRead, Map, Scalar};
use crate::sync::ErrorCode;
use crate::vdc::Status;

/// What `entra:` expects of a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntraState {
    Live,
    SoftDeleted,
    Absent,
}

named_values!(EntraState {
    Live = "live",
    SoftDeleted = "soft_deleted",
    Absent = "absent",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdStateSpec {
    Live,
    Deleted,
    Recycled,
    Absent,
}

named_values!(AdStateSpec {
    Live = "live",
    Deleted = "deleted",
    Recycled = "recycled",
    Absent = "absent",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Original,
    New,
}

named_values!(Origin {
    Original = "original",
    New = "new",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    Kept,
    Lost,
}

named_values!(Kept {
    Kept = "kept",
    Lost = "lost",
});

/// The checks on one identity.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleChecks {
    /// The handle's state in Entra ID.
    pub entra: Option<EntraState>,
    /// The handle's state in AD.
    pub ad: Option<AdStateSpec>,
    /// A live Entra user joined to a live AD user, onPremisesSyncEnabled true.
    pub hybrid: Option<bool>,
    /// `original`: the id of the handle's first Entra object; or `new`.
    pub object_id: Option<Origin>,
    /// `original` or `new`, for the AD object.
    pub object_guid: Option<Origin>,
    /// The live Entra group memberships (a set).
    pub groups: Option<Vec<String>>,
    /// The live directory roles (a set).
    pub roles: Option<Vec<String>>,
    /// The licences, direct and inherited from groups (a set).
    pub licenses: Option<Vec<String>>,
    /// The app role assignments (a set).
    pub apps: Option<Vec<String>>,
    /// The groups the handle owns (a set).
    pub owns: Option<Vec<String>>,
    /// The AD group memberships (a set).
    pub ad_groups: Option<Vec<String>>,
    /// The manager's handle, or null for none.
    #[serde(default, deserialize_with = "present")]
    pub manager: Option<Option<String>>,
    /// Entra properties and their values (only the keys listed are checked).
    #[schemars(with = "Option<EntraPropsRead>")]
    pub properties: Option<Map<Scalar>>,
    /// AD attributes and their values (only the keys listed are checked).
    #[schemars(with = "Option<AdAttrsRead>")]
    pub ad_properties: Option<Map<Scalar>>,
    /// `kept`: every Entra relation the handle had at the first backup is live; `lost`: not.
    pub relations: Option<Kept>,
    /// The Entra userPrincipalName.
    pub upn: Option<String>,
    /// How many live Entra objects carry the handle.
    pub count: Option<u32>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportSpec {
    Completed,
    StoppedDeletionThresholdExceeded,
}

named_values!(ExportSpec {
    Completed = "completed",
    StoppedDeletionThresholdExceeded = "stopped-deletion-threshold-exceeded",
});

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncChecks {
    /// The error codes the cycle produced (`[]` when none).
    #[serde(default)]
    #[schemars(schema_with = "error_codes")]
    pub errors: Option<Vec<String>>,
    pub export: Option<ExportSpec>,
}

/// The schema of `sync: {errors: [...]}`: a list of the error codes Microsoft names.
fn error_codes(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
    json_schema!({
        "type": ["array", "null"],
        "items": {"type": "string", "enum": names},
    })
}

/// An `expect` block: identities by handle, plus the subjects `restore`, `sync` and `every`.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub handles: IndexMap<String, HandleChecks>,
    pub restore: Option<Map<Status>>,
    pub sync: Option<SyncChecks>,
    pub every: Vec<EveryEntry>,
}

/// An entry of `every`: a set of identities and the checks that must hold for each of them.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct EveryEntry {
    /// The users the checks are about: a list or a selector.
    pub users: Option<Selection>,
    /// The groups the checks are about: a list or a selector.
    pub groups: Option<Selection>,
    /// How many identities the set must pick; without it, picking no one fails the entry.
    pub selected: Option<usize>,
    /// The checks, as for one handle.
    #[serde(flatten)]
    pub checks: HandleChecks,
}

named_values!(Status {
    Success = "success",
    Warning = "warning",
    Failed = "failed",
});

/// The schema of what [`Status`]'s deserializer accepts.
impl JsonSchema for Status {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A VDC restore status (VDC-5).",
            "type": "string",
            "enum": ["success", "warning", "failed"],
        })
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expect;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of subjects (handles, `restore`, `sync`, `every`) to checks")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expect, A::Error> {
                let mut out = Expect::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "restore" => out.restore = Some(map.next_value()?),
                        "sync" => out.sync = Some(map.next_value()?),
                        "every" => out.every = map.next_value()?,
                        _ => {
                            let checks: HandleChecks = map.next_value()?;
                            if out.handles.insert(key.clone(), checks).is_some() {
                                return Err(de::Error::custom(format!(
                                    "duplicate subject `{key}`"
                                )));
                            }
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// The schema of what [`Expect`]'s deserializer accepts: handles to their checks, plus the
/// subjects `restore` and `sync`.
impl JsonSchema for Expect {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Expectations: each key is a handle with its checks, or `restore` (the statuses of the most recent restore session), `sync` (the most recent cycle) or `every` (checks that hold for every identity of a set).",
            "type": "object",
            "properties": {
                "restore": g.subschema_for::<Map<Status>>(),
                "sync": g.subschema_for::<SyncChecks>(),
                "every": g.subschema_for::<Vec<EveryEntry>>(),
            },
            "additionalProperties": g.subschema_for::<HandleChecks>(),
        })
    }
}
