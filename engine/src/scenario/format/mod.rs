//! The scenario format as serde types: the top level of a file and its `world`; the steps, the
//! expectations and the values attributes take have modules of their own, re-exported here.
//! Unknown keys are rejected everywhere (with the list of known ones); steps are a bare word or
//! a one-key map.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::settings::SettingsPatch;

mod expect;
mod quiz;
mod select;
mod steps;
mod values;

pub use expect::{
    AdStateSpec, EntraState, EveryEntry, Expect, ExportSpec, HandleChecks, Kept, Origin, SyncChecks,
};
pub use quiz::{Facts, HANDLE_FACTS, QuizItem, SYNC_FACTS};
pub use select::{Selection, list};
pub use steps::{
    AssignStep, CreateStep, DeleteStep, Dir, MoveStep, RestoreAdStep, RestoreStep, STEP_KINDS,
    ScopeStep, Step, StepEntry, Subject, UndeleteStep, UpdateStep,
};
use values::{AdAttrs, EntraProps};
pub use values::{Map, Scalar, TextLike};

/// One or several source URLs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Sources {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Sources;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a URL or a list of URLs")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sources, E> {
                Ok(Sources::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Sources, A::Error> {
                let mut out = Vec::new();
                while let Some(url) = seq.next_element::<String>()? {
                    out.push(url);
                }
                Ok(Sources::Many(out))
            }
        }
        d.deserialize_any(V)
    }
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
    /// Settings from the start (every key optional; a key left out keeps its default).
    #[serde(default)]
    pub settings: SettingsPatch,
    /// The tenant before the first step.
    pub world: WorldSpec,
    /// The steps of the runbook (at least one).
    #[schemars(length(min = 1))]
    pub steps: Vec<StepEntry>,
    /// What must hold after the last step.
    pub expect: Option<Expect>,
    /// A recovery to search for (`hysim plan`): the steps that set up the incident and the
    /// candidate recovery steps whose orders are tried against the final `expect`.
    pub plan: Option<PlanSpec>,
}

/// The `plan` section: steps 1..`incident` set up the incident; every ordered subset of the
/// candidates is tried from there.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// How many of the first `steps` set up the incident (1 up to the number of steps).
    pub incident: usize,
    /// The recovery steps; each is used at most once, in any order, and any may be left out.
    #[schemars(length(min = 1))]
    pub candidates: Vec<Step>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// The on-premises Active Directory (none for a cloud-only tenant).
    pub ad: Option<AdSpec>,
    /// The Entra ID tenant: cloud-only objects and cloud relations.
    pub entra: Option<EntraSpec>,
    /// The engineer's own tenant, read from exports instead of `ad` and `entra`
    /// (docs/import.md).
    pub import: Option<ImportSpec>,
    /// With `import`: the OUs in Entra Connect's scope; omitted: every OU that holds a synced
    /// user or group.
    pub sync_ous: Option<Vec<String>>,
}

/// Exports to read the world from; paths are relative to the scenario file. Either may be
/// left out (a cloud-only tenant; a domain not synced yet).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// A folder of Microsoft Graph response bodies with their `manifest.json`, or an
    /// EntraExporter folder.
    pub graph: Option<String>,
    /// An `ldifde` (or `ldapsearch`) LDIF file of the domain.
    pub ldif: Option<String>,
    /// Friendly names for licences, by `skuPartNumber` (e.g. `SPE_E3: Microsoft 365 E3`).
    #[serde(default)]
    pub licence_names: Map<String>,
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupTypeSpec {
    #[default]
    Security,
    Microsoft365,
}

named_values!(GroupTypeSpec {
    Security = "security",
    Microsoft365 = "microsoft365",
});

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
