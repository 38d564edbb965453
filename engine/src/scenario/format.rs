//! The scenario format of SCENARIO_FORMAT.md section 1, as serde types. Unknown keys are
//! rejected everywhere (with the list of known ones); steps are a bare word or a one-key map.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::settings::SettingsPatch;
use crate::sync::CycleKind;
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

/// One or several source URLs.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub title: String,
    pub source: Option<Sources>,
    pub description: Option<String>,
    #[serde(default)]
    pub settings: SettingsPatch,
    pub world: WorldSpec,
    pub steps: Vec<Step>,
    pub expect: Option<Expect>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    pub ad: Option<AdSpec>,
    pub entra: Option<EntraSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdSpec {
    pub domain: Option<String>,
    pub sync_ous: Option<Vec<String>>,
    #[serde(default)]
    pub users: Map<AdUserSpec>,
    #[serde(default)]
    pub groups: Map<AdGroupSpec>,
}

/// An AD user: OU, LDAP attributes and the relations `manager` and `groups`.
#[derive(Clone, Debug, Default, Deserialize)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct AdUserSpec {
    pub ou: Option<String>,
    pub manager: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(flatten)]
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct AdGroupSpec {
    pub ou: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(flatten)]
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraSpec {
    pub tenant: Option<String>,
    pub verified_domains: Option<Vec<String>>,
    #[serde(default)]
    pub users: Map<EntraUserSpec>,
    #[serde(default)]
    pub groups: Map<EntraGroupSpec>,
    #[serde(default)]
    pub roles: Map<Vec<String>>,
    #[serde(default)]
    pub licenses: Map<Vec<String>>,
    #[serde(default)]
    pub apps: Map<Vec<String>>,
}

/// A cloud user: Graph properties and a `manager`.
#[derive(Clone, Debug, Default, Deserialize)]
// Attribute names are checked by the validator, with the path and the known names.
pub struct EntraUserSpec {
    pub manager: Option<String>,
    #[serde(flatten)]
    pub props: Map<Scalar>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupTypeSpec {
    #[default]
    Security,
    Microsoft365,
}

#[derive(Clone, Debug, Default, Deserialize)]
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
    pub props: Map<Scalar>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Ad,
    Entra,
}

/// `user: H` or `group: H`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreAdStep {
    pub users: Vec<String>,
    pub from: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndeleteStep {
    pub user: Option<String>,
    pub group: Option<String>,
    #[serde(rename = "in")]
    pub dir: Dir,
}

/// `create`: the subject, the directory and any attributes (LDAP names in AD, Graph names in
/// Entra), plus `ou` and `type`, and the relations a create may carry.
#[derive(Clone, Debug, Deserialize)]
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
    pub attrs: Map<Scalar>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStep {
    pub user: Option<String>,
    pub group: Option<String>,
    #[serde(rename = "in")]
    pub dir: Dir,
    pub set: Map<Scalar>,
}

fn entra() -> Dir {
    Dir::Entra
}

#[derive(Clone, Debug, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveStep {
    pub user: Option<String>,
    pub group: Option<String>,
    pub to: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeStep {
    #[serde(default)]
    pub add: Vec<String>,
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

/// What `entra:` expects of a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntraState {
    Live,
    SoftDeleted,
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdStateSpec {
    Live,
    Deleted,
    Recycled,
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Original,
    New,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    Kept,
    Lost,
}

/// The checks on one identity (SCENARIO_FORMAT.md 1.4).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleChecks {
    pub entra: Option<EntraState>,
    pub ad: Option<AdStateSpec>,
    pub hybrid: Option<bool>,
    pub object_id: Option<Origin>,
    pub object_guid: Option<Origin>,
    pub groups: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub licenses: Option<Vec<String>>,
    pub apps: Option<Vec<String>>,
    pub owns: Option<Vec<String>>,
    pub ad_groups: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub manager: Option<Option<String>>,
    pub properties: Option<Map<Scalar>>,
    pub ad_properties: Option<Map<Scalar>>,
    pub relations: Option<Kept>,
    pub upn: Option<String>,
    pub count: Option<u32>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportSpec {
    Completed,
    StoppedDeletionThresholdExceeded,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncChecks {
    pub errors: Option<Vec<String>>,
    pub export: Option<ExportSpec>,
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
