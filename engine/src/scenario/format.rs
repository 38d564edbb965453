//! The scenario format of SCENARIO_FORMAT.md section 1, as serde types. Unknown keys are
//! rejected everywhere (with the list of known ones); steps are a bare word or a one-key map.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::settings::SettingsPatch;
use crate::store::{AdAttr, EntraProp};
use crate::sync::CycleKind;
use crate::sync::ErrorCode;
use crate::vdc::{Existing, Status};

/// A map that keeps the document's order and refuses a key written twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map<V>(pub IndexMap<String, V>);

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map(IndexMap::new())
    }
}

impl<V> std::ops::Deref for Map<V> {
    type Target = IndexMap<String, V>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'a, V> IntoIterator for &'a Map<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = indexmap::map::Iter<'a, String, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Map<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = Map<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Map<V>, A::Error> {
                let mut out = IndexMap::new();
                while let Some(k) = map.next_key::<TextLike>()? {
                    let v: V = map.next_value()?;
                    if out.insert(k.0.clone(), v).is_some() {
                        return Err(de::Error::custom(format!("duplicate key `{}`", k.0)));
                    }
                }
                Ok(Map(out))
            }
        }
        d.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

/// The schema of [`Map`]: an object whose values are `V` (kept inline, so that a flattened map
/// adds its values to the object around it).
impl<V: JsonSchema> JsonSchema for Map<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn schema_id() -> Cow<'static, str> {
        format!("hysim::Map<{}>", V::schema_id()).into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": g.subschema_for::<V>(),
        })
    }
}

/// A value of an attribute or property as written in YAML: text (numbers are read as text),
/// a boolean, a list of texts, or `null`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Null,
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Text(s) => f.write_str(s),
            Scalar::List(l) => write!(f, "[{}]", l.join(", ")),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text, a number, a boolean, a list of texts or null")
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<TextLike>()? {
                    out.push(s.0);
                }
                Ok(Scalar::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The schema of what [`Scalar`]'s deserializer accepts.
impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "a text, a number (read as text), a boolean, a list of texts, or null",
            "type": ["string", "number", "boolean", "null", "array"],
            "items": g.subschema_for::<TextLike>(),
        })
    }
}

/// A text, or a number read as text (`employeeID: 1001`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TextLike(pub String);

impl<'de> Deserialize<'de> for TextLike {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Text(s) => Ok(TextLike(s)),
            other => Err(de::Error::custom(format!("expected a text, found {other}"))),
        }
    }
}

/// The schema of what [`TextLike`]'s deserializer accepts.
impl JsonSchema for TextLike {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "TextLike".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "number"]})
    }
}

/// Schema only: an object of attributes, with the known names listed so that an editor can
/// complete them. Other names stay valid for the schema: the loader matches names ignoring case
/// and reports an unknown one with the path and the known names.
fn attrs_schema(g: &mut SchemaGenerator, names: &[&str]) -> Schema {
    let scalar = g.subschema_for::<Scalar>().to_value();
    let properties: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| (n.to_string(), scalar.clone()))
        .collect();
    json_schema!({
        "type": "object",
        "properties": properties,
        "additionalProperties": scalar,
    })
}

/// The Graph properties a scenario may write (the service-written ones are left out).
fn writable_entra_props() -> Vec<&'static str> {
    EntraProp::ALL
        .iter()
        .filter(|p| !p.is_read_only() || **p == EntraProp::OnPremisesSamAccountName)
        .map(|p| p.name())
        .collect()
}

/// The LDAP attributes a scenario may write (`cn` is derived from `displayName`).
fn writable_ad_attrs() -> Vec<&'static str> {
    AdAttr::ALL
        .iter()
        .filter(|a| **a != AdAttr::Cn)
        .map(|a| a.name())
        .collect()
}

macro_rules! attrs_schema_type {
    ($(#[$m:meta])* $name:ident, $names:expr) => {
        $(#[$m])*
        struct $name;
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(g: &mut SchemaGenerator) -> Schema {
                attrs_schema(g, &$names)
            }
        }
    };
}

attrs_schema_type!(
    /// Schema only: LDAP attributes of an AD object.
    AdAttrs,
    writable_ad_attrs()
);
attrs_schema_type!(
    /// Schema only: Graph properties of an Entra object.
    EntraProps,
    writable_entra_props()
);
attrs_schema_type!(
    /// Schema only: the properties an Entra check reads (every Graph property).
    EntraPropsRead,
    EntraProp::names()
);
attrs_schema_type!(
    /// Schema only: the attributes an AD check reads.
    AdAttrsRead,
    AdAttr::names()
);
attrs_schema_type!(
    /// Schema only: attributes of `create` and `update`, LDAP names (`in: ad`) or Graph names
    /// (`in: entra`).
    AnyAttrs,
    [writable_ad_attrs(), writable_entra_props()].concat()
);

/// One or several source URLs.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Sources {
    One(String),
    Many(Vec<String>),
}

impl Sources {
    pub fn urls(&self) -> Vec<&str> {
        match self {
            Sources::One(s) => vec![s.as_str()],
            Sources::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the scenario shows, in one line.
    pub title: String,
    /// The documentation the runbook comes from: one URL or a list.
    pub source: Option<Sources>,
    /// The situation, why each step is there, and what to do in production.
    pub description: Option<String>,
    /// Settings from the start (every key optional; the defaults are BEHAVIOUR.md's).
    #[serde(default)]
    pub settings: SettingsPatch,
    /// The tenant before the first step.
    pub world: WorldSpec,
    /// The steps of the runbook (at least one).
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
    /// What must hold after the last step.
    pub expect: Option<Expect>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// The on-premises Active Directory (none for a cloud-only tenant).
    pub ad: Option<AdSpec>,
    /// The Entra ID tenant: cloud-only objects and cloud relations.
    pub entra: Option<EntraSpec>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdSpec {
    /// The AD DNS domain (default contoso.com); a verified domain of the tenant by default.
    pub domain: Option<String>,
    /// The OUs in Entra Connect's scope; omitted: every OU.
    pub sync_ous: Option<Vec<String>>,
    /// AD users by handle.
    #[serde(default)]
    pub users: Map<AdUserSpec>,
    /// AD groups by handle.
    #[serde(default)]
    pub groups: Map<AdGroupSpec>,
}

/// An AD user: OU, LDAP attributes and the relations `manager` and `groups`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct AdUserSpec {
    pub ou: Option<String>,
    pub manager: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(flatten)]
    #[schemars(with = "AdAttrs")]
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct AdGroupSpec {
    pub ou: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(flatten)]
    #[schemars(with = "AdAttrs")]
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntraSpec {
    /// The tenant name (initial domain TENANT.onmicrosoft.com); default: the first label of the
    /// AD domain.
    pub tenant: Option<String>,
    /// Default: the AD domain.
    pub verified_domains: Option<Vec<String>>,
    /// Cloud-only users by handle (for an AD user's handle: cloud properties of its synced user).
    #[serde(default)]
    pub users: Map<EntraUserSpec>,
    /// Cloud groups by handle (for an AD group's handle: licences and owners of its synced group).
    #[serde(default)]
    pub groups: Map<EntraGroupSpec>,
    /// Directory role name to the handles holding it.
    #[serde(default)]
    pub roles: Map<Vec<String>>,
    /// Licence (SKU name) to the handles assigned it directly.
    #[serde(default)]
    pub licenses: Map<Vec<String>>,
    /// App name to the handles holding an app role assignment.
    #[serde(default)]
    pub apps: Map<Vec<String>>,
}

/// A cloud user: Graph properties and a `manager`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct EntraUserSpec {
    pub manager: Option<String>,
    #[serde(flatten)]
    #[schemars(with = "EntraProps")]
    pub props: Map<Scalar>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupTypeSpec {
    #[default]
    Security,
    Microsoft365,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct EntraGroupSpec {
    #[serde(rename = "type")]
    pub group_type: Option<GroupTypeSpec>,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(flatten)]
    #[schemars(with = "EntraProps")]
    pub props: Map<Scalar>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Ad,
    Entra,
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
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
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
    pub users: Vec<String>,
    pub from: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndeleteStep {
    pub user: Option<String>,
    pub group: Option<String>,
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

/// A step of the runbook (SCENARIO_FORMAT.md 1.3).
#[derive(Clone, Debug)]
pub enum Step {
    Sync(CycleKind),
    Backup(String),
    Delete(DeleteStep),
    Restore(RestoreStep),
    RestoreAd(RestoreAdStep),
    Undelete(UndeleteStep),
    Create(CreateStep),
    Update(UpdateStep),
    Assign(AssignStep),
    Unassign(AssignStep),
    Move(MoveStep),
    Scope(ScopeStep),
    Settings(SettingsPatch),
    Wait(String),
    Expect(Expect),
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

/// What `entra:` expects of a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntraState {
    Live,
    SoftDeleted,
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdStateSpec {
    Live,
    Deleted,
    Recycled,
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Original,
    New,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    Kept,
    Lost,
}

/// The checks on one identity (SCENARIO_FORMAT.md 1.4).
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportSpec {
    Completed,
    StoppedDeletionThresholdExceeded,
}

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

/// An `expect` block: identities by handle, plus the subjects `restore` and `sync`.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub handles: IndexMap<String, HandleChecks>,
    pub restore: Option<Map<Status>>,
    pub sync: Option<SyncChecks>,
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "success" => Ok(Status::Success),
            "warning" => Ok(Status::Warning),
            "failed" => Ok(Status::Failed),
            _ => Err(de::Error::unknown_variant(
                &s,
                &["success", "warning", "failed"],
            )),
        }
    }
}

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
                f.write_str("a map of subjects (handles, `restore`, `sync`) to checks")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expect, A::Error> {
                let mut out = Expect::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "restore" => out.restore = Some(map.next_value()?),
                        "sync" => out.sync = Some(map.next_value()?),
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
            "description": "Expectations: each key is a handle with its checks, or `restore` (the statuses of the most recent restore session) or `sync` (the most recent cycle).",
            "type": "object",
            "properties": {
                "restore": g.subschema_for::<Map<Status>>(),
                "sync": g.subschema_for::<SyncChecks>(),
            },
            "additionalProperties": g.subschema_for::<HandleChecks>(),
        })
    }
}
