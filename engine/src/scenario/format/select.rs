//! Who a step or an `every` entry names: a list of handles, or a selector that picks identities
//! when the step runs (by OU, by group membership, or every one).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::steps::Dir;
use super::values::TextLike;

/// `users:` or `groups:` of a step or an `every` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// `[a, b]` or `{handles: [a, b]}`.
    Handles(Vec<String>),
    /// `{ou: Sales}`: identities whose AD object (or, if deleted, last AD object) is in the OU.
    Ou(String),
    /// `{member_of: G}`: the members of group G when the step runs, in the step's directory
    /// unless `in:` names one.
    MemberOf { group: String, dir: Option<Dir> },
    /// `{all: true}`: every identity of the kind.
    All,
}

impl Default for Selection {
    fn default() -> Self {
        Selection::Handles(Vec::new())
    }
}

impl Selection {
    /// The handles of a plain list; `None` for a selector resolved when the step runs.
    pub fn handles(&self) -> Option<&[String]> {
        match self {
            Selection::Handles(h) => Some(h),
            _ => None,
        }
    }

    /// Whether this is an empty list (nothing named at all).
    pub fn is_empty_list(&self) -> bool {
        self.handles().is_some_and(<[String]>::is_empty)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::Handles(h) => f.write_str(&list(h)),
            Selection::Ou(ou) => write!(f, "{{ou: {ou}}}"),
            Selection::MemberOf { group, dir: None } => write!(f, "{{member_of: {group}}}"),
            Selection::MemberOf {
                group,
                dir: Some(d),
            } => write!(f, "{{member_of: {group}, in: {d}}}"),
            Selection::All => f.write_str("{all: true}"),
        }
    }
}

/// How many items of a list a report line shows before it says how many there are in all.
pub const LISTED: usize = 10;

/// A list as a report line shows it: `[a, b]`, or past `LISTED` items its first ones and
/// how many there are in all, so that a step over 100,000 users stays one readable line.
pub fn list(items: &[String]) -> String {
    match items.get(..LISTED).filter(|_| items.len() > LISTED) {
        Some(first) => format!("[{}, … ({} in all)]", first.join(", "), items.len()),
        None => format!("[{}]", items.join(", ")),
    }
}

const SELECTOR_KEYS: &str = "ou, member_of, handles, all";

impl<'de> Deserialize<'de> for Selection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Selection;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a list of handles, or a selector: a map with one key of {SELECTOR_KEYS}"
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Selection, A::Error> {
                let mut out = Vec::new();
                while let Some(h) = seq.next_element::<TextLike>()? {
                    out.push(h.0);
                }
                Ok(Selection::Handles(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Selection, A::Error> {
                let mut chosen: Option<Selection> = None;
                let mut dir: Option<Dir> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let next = match key.as_str() {
                        "in" => {
                            dir = Some(map.next_value()?);
                            continue;
                        }
                        "ou" => Selection::Ou(map.next_value::<TextLike>()?.0),
                        "member_of" => Selection::MemberOf {
                            group: map.next_value::<TextLike>()?.0,
                            dir: None,
                        },
                        "handles" => Selection::Handles(
                            map.next_value::<Vec<TextLike>>()?
                                .into_iter()
                                .map(|t| t.0)
                                .collect(),
                        ),
                        "all" => {
                            if !map.next_value::<bool>()? {
                                return Err(de::Error::custom(
                                    "`all: false` selects no one: write `all: true`, or another selector",
                                ));
                            }
                            Selection::All
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown selector `{other}`, expected one of: {SELECTOR_KEYS}"
                            )));
                        }
                    };
                    if chosen.is_some() {
                        return Err(de::Error::custom(format!(
                            "a selector has one key of {SELECTOR_KEYS}: found a second, `{key}`"
                        )));
                    }
                    chosen = Some(next);
                }
                match (chosen, dir) {
                    (None, _) => Err(de::Error::custom(format!(
                        "an empty selector: expected one key of {SELECTOR_KEYS}"
                    ))),
                    (Some(Selection::MemberOf { group, .. }), dir) => {
                        Ok(Selection::MemberOf { group, dir })
                    }
                    (Some(_), Some(_)) => Err(de::Error::custom(
                        "`in` only goes with `member_of` (which directory's membership)",
                    )),
                    (Some(s), None) => Ok(s),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The schema of what [`Selection`]'s deserializer accepts.
impl JsonSchema for Selection {
    fn schema_name() -> Cow<'static, str> {
        "Selection".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let dir = g.subschema_for::<Dir>();
        json_schema!({
            "description": "A list of handles, or a selector resolved when the step runs: `{ou: OU}`, `{member_of: G}` (with `in: ad|entra` to say which directory's membership), `{handles: [...]}` or `{all: true}`.",
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "properties": {"ou": {"type": "string"}}, "required": ["ou"], "additionalProperties": false},
                {"type": "object", "properties": {"member_of": {"type": "string"}, "in": dir}, "required": ["member_of"], "additionalProperties": false},
                {"type": "object", "properties": {"handles": {"type": "array", "items": {"type": "string"}}}, "required": ["handles"], "additionalProperties": false},
                {"type": "object", "properties": {"all": {"const": true}}, "required": ["all"], "additionalProperties": false},
            ],
        })
    }
}
