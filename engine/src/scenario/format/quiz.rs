//! A step's `quiz` list (`hysim quiz`): the facts a trainee predicts before the step runs, by
//! subject as `expect` names them (a handle, `restore` or `sync`).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};

use super::values::{Map, TextLike};

/// An entry of a `quiz` list: subjects to the facts to ask about, e.g.
/// `{alice: [object_id, hybrid]}`, `{restore: alice}`, `{sync: errors}`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct QuizItem(pub Map<Facts>);

/// One name, or a list of names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts(pub Vec<String>);

impl<'de> Deserialize<'de> for Facts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Facts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a fact's name or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Facts, E> {
                Ok(Facts(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Facts, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<TextLike>()? {
                    out.push(s.0);
                }
                Ok(Facts(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The facts a handle can be asked about (`properties.NAME` and `ad_properties.NAME` too).
pub const HANDLE_FACTS: &[&str] = &[
    "entra",
    "ad",
    "hybrid",
    "object_id",
    "object_guid",
    "groups",
    "roles",
    "licenses",
    "apps",
    "owns",
    "ad_groups",
    "manager",
    "relations",
    "upn",
    "count",
];

/// The facts of the subject `sync`.
pub const SYNC_FACTS: &[&str] = &["errors", "export"];

/// The schema of what [`Facts`]' deserializer accepts.
impl JsonSchema for Facts {
    fn schema_name() -> Cow<'static, str> {
        "QuizFacts".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut facts: Vec<String> = HANDLE_FACTS.iter().map(|f| f.to_string()).collect();
        facts.extend(SYNC_FACTS.iter().map(|f| f.to_string()));
        json_schema!({
            "description": format!(
                "For a handle: {} (or properties.NAME, ad_properties.NAME); for `restore`: handles; for `sync`: {}.",
                HANDLE_FACTS.join(", "),
                SYNC_FACTS.join(", ")
            ),
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ],
        })
    }
}
