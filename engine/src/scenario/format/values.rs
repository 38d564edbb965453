//! How values are written in a scenario: maps that keep the document's order, attribute values
//! (text, boolean, list or null), and the schemas of the attribute maps.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::store::{AdAttr, EntraProp};

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
        pub(super) struct $name;
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
