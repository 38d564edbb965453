//! The validator: the handles a scenario defines and the references to them, and the
//! attribute values it writes. It keeps every error with its path inside the document, so that
//! one run reports them all.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::format::*;
use super::input::{InputError, MAX_HANDLES};
use super::load::{Action, Each};
use crate::Directory;
use crate::op::Op;
use crate::query::Select;
use crate::store::handles::RESERVED_HANDLES;
use crate::store::propmap::Str;
use crate::store::{AdAttr, EntraProp, Guid, HandleId, Handles, Kind, Value};

/// Who a step names: one identity, or sets of identities picked when it runs.
pub(super) enum Who {
    One(Kind, HandleId),
    /// Each set as the scenario wrote it and what it picks.
    Many {
        users: Option<(Selection, Select)>,
        groups: Option<(Selection, Select)>,
    },
}

impl Who {
    /// The action of a step on one subject at a time: `op` makes the operation for an identity.
    pub(super) fn act(self, op: impl FnOnce(Kind, HandleId) -> Op) -> Action {
        match self {
            Who::One(kind, h) => Action::Op(op(kind, h)),
            // The subject is set for each identity picked when the step runs.
            many => many.act_on(op(Kind::User, HandleId::default())),
        }
    }

    /// The action of a step whose operation is `op`: as it is for one identity or for lists
    /// an operation holds (a restore's), else made again for each identity picked.
    pub(super) fn act_on(self, op: Op) -> Action {
        let Who::Many { users, groups } = self else {
            return Action::Op(op);
        };
        let listed = |s: &Option<(Selection, Select)>| {
            s.as_ref()
                .is_none_or(|(_, p)| matches!(p, Select::Handles(_)))
        };
        if op.with_subject(Kind::User, HandleId::default()).is_none()
            && listed(&users)
            && listed(&groups)
        {
            return Action::Op(op);
        }
        // A list is reported as listed: the step's own line already shows it.
        let text = |s: Selection| match s {
            Selection::Handles(_) => "listed".to_string(),
            other => other.to_string(),
        };
        Action::Each(Box::new(Each {
            users: users.map(|(s, p)| (text(s), p)),
            groups: groups.map(|(s, p)| (text(s), p)),
            op,
        }))
    }
}

/// The handles a plain list names (none for a selector, picked when the step runs).
pub(super) fn listed(s: &Select) -> Vec<HandleId> {
    match s {
        Select::Handles(h) => h.clone(),
        _ => Vec::new(),
    }
}

/// Where a handle was defined.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Origin_ {
    Ad,
    Cloud,
}

pub(super) struct Validator {
    pub(super) file: String,
    pub(super) errors: Vec<InputError>,
    pub(super) handles: IndexMap<String, (Kind, Origin_)>,
    pub(super) labels: BTreeSet<String>,
    /// Whether the MAX_HANDLES error was reported.
    pub(super) too_many: bool,
    /// The errors past [`MAX_ERRORS`], counted rather than kept.
    pub(super) more_errors: usize,
    /// Each handle by its lower-case form, to refuse two that differ only in case.
    pub(super) folded: std::collections::HashMap<String, String>,
    /// The handles, numbered as operations name them ([`Validator::id`]).
    pub(super) table: Handles,
    /// One shared copy of each other name the operations hold (OUs, roles, licences, apps).
    pub(super) shared: hashbrown::HashSet<Str, rustc_hash::FxBuildHasher>,
}

/// How many known names a message lists in full; past that it names the closest few.
const LISTED_NAMES: usize = 10;

/// How many errors a file reports before it counts the rest.
pub(super) const MAX_ERRORS: usize = 100;

pub(super) fn known(list: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    known_near("", list)
}

/// The known names for a message about `name`: all of them when they are few, else the five
/// closest to `name` by edit distance and how many there are, so that a message stays short
/// however large the tenant. Past 10,000 names only those that start as `name` does are
/// measured, so that a message costs little more than a pass over the names.
pub(super) fn known_near(name: &str, list: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let name = name.to_lowercase();
    let first = name.chars().next();
    let mut kept: Vec<(usize, String)> = Vec::new();
    let mut n = 0usize;
    for s in list {
        let s = s.as_ref();
        n += 1;
        // The first letter is compared before any copy is made: most names are skipped there.
        if n > 10_000 && s.chars().flat_map(char::to_lowercase).next() != first {
            continue;
        }
        kept.push((strsim::levenshtein(&name, &s.to_lowercase()), s.to_string()));
        // Keep the closest few only, so that a long list costs no memory.
        if kept.len() > 4 * LISTED_NAMES {
            kept.sort();
            kept.truncate(LISTED_NAMES / 2);
        }
    }
    if n == 0 {
        return "none".into();
    }
    if n <= LISTED_NAMES {
        // Few names: all of them, in their own order.
        return kept
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(", ");
    }
    kept.sort();
    kept.truncate(LISTED_NAMES / 2);
    let closest: Vec<String> = kept.into_iter().map(|(_, s)| s).collect();
    format!("{}, … the closest of {n}", closest.join(", "))
}

impl Validator {
    pub(super) fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() >= MAX_ERRORS {
            self.more_errors += 1;
            return;
        }
        self.errors.push(InputError {
            file: self.file.clone(),
            line: None,
            column: None,
            path: Some(super::load::cut_quoted(&path.into())),
            message: super::load::cut_quoted(&message.into()),
        });
    }

    /// The shared copy of `name`.
    pub(super) fn shared(&mut self, name: &str) -> Str {
        self.shared
            .get_or_insert_with(name, |n| Str::from(n))
            .clone()
    }

    pub(super) fn shared_all(&mut self, names: &[String]) -> Vec<Str> {
        names.iter().map(|n| self.shared(n)).collect()
    }

    /// The number of handle `h`, given when an operation first names it: the order in which
    /// the world creates its handles, since every handle is created before it is named again.
    pub(super) fn id(&mut self, h: &str) -> HandleId {
        if let Some(id) = self.table.get(h) {
            return id;
        }
        let kind = self.handles.get(h).map_or(Kind::User, |(k, _)| *k);
        // A handle that cannot be one was reported where it was named: the scenario is refused.
        self.table.intern(&Str::from(h), kind).unwrap_or_default()
    }

    pub(super) fn ids(&mut self, names: &[String]) -> Vec<HandleId> {
        names.iter().map(|n| self.id(n)).collect()
    }

    pub(super) fn define(&mut self, path: &str, h: &str, kind: Kind, origin: Origin_) {
        if RESERVED_HANDLES.contains(&h) {
            self.error(
                path,
                format!("'{h}' cannot be a handle: `restore`, `sync` and `every` are reserved (they are subjects of `expect`)"),
            );
        } else if let Some((k, o)) = self.handles.get(h) {
            let where_ = match o {
                Origin_::Ad => "in AD",
                Origin_::Cloud => "in Entra ID",
            };
            self.error(
                path,
                format!("handle '{h}' is defined twice (already a {k} {where_})"),
            );
        } else if self.handles.len() >= MAX_HANDLES {
            if !self.too_many {
                self.too_many = true;
                self.error(
                    path,
                    format!("more than {MAX_HANDLES} identities: the limit of one scenario"),
                );
            }
        } else if h.is_empty() {
            self.error(path, "a handle cannot be empty");
        } else if let Some(c) = h.chars().find(|c| c.is_control()) {
            self.error(
                path,
                format!(
                    "a handle cannot hold a control character ({} here)",
                    c.escape_unicode()
                ),
            );
        } else if let Some(other) = self.folded.get(&h.to_lowercase()) {
            // AD keeps sAMAccountName unique ignoring case, and a handle names one identity.
            self.error(
                path,
                format!(
                    "handle '{h}' differs from '{other}' only in case: AD would take them for one account"
                ),
            );
        } else {
            self.folded.insert(h.to_lowercase(), h.to_string());
            self.handles.insert(h.to_string(), (kind, origin));
        }
    }

    fn names_of(&self, near: &str, kind: Option<Kind>) -> String {
        known_near(
            near,
            self.handles
                .iter()
                .filter(|(_, (k, _))| kind.is_none_or(|x| x == *k))
                .map(|(h, _)| h),
        )
    }

    /// A reference to a handle of `kind` (any kind if `None`).
    pub(super) fn refer(&mut self, path: &str, h: &str, kind: Option<Kind>) -> bool {
        let found = self.handles.get(h).copied();
        if found.is_none() && self.errors.len() >= MAX_ERRORS {
            // Past the errors a file reports, an unknown handle is only counted.
            self.more_errors += 1;
            return false;
        }
        match found {
            Some((k, _)) if kind.is_none_or(|x| x == k) => true,
            Some((k, _)) => {
                let want = kind.map_or("identity".to_string(), |k| k.to_string());
                self.error(path, format!("'{h}' is a {k}, not a {want}"));
                false
            }
            None => {
                let what = kind.map_or("handle".to_string(), |k| k.to_string());
                let list = self.names_of(h, kind);
                self.error(path, format!("unknown {what} '{h}' (known: {list})"));
                false
            }
        }
    }

    pub(super) fn refer_all(&mut self, path: &str, hs: &[String], kind: Option<Kind>) {
        for (i, h) in hs.iter().enumerate() {
            self.refer(&format!("{path}[{i}]"), h, kind);
        }
    }

    /// Who a step names: `user: H` or `group: H`, or sets of them (`users`, `groups`: lists or
    /// selectors). `dir` is the step's directory, the one whose membership `member_of` reads
    /// unless the selector names one.
    pub(super) fn who(
        &mut self,
        path: &str,
        user: &Option<String>,
        group: &Option<String>,
        users: &Option<Selection>,
        groups: &Option<Selection>,
        dir: Dir,
    ) -> Option<Who> {
        let dir = Directory::from(dir);
        let sets = users.is_some() || groups.is_some();
        match (user, group) {
            (Some(_), Some(_)) => {
                self.error(path, "name either `user` or `group`, not both");
                None
            }
            (Some(_), None) | (None, Some(_)) if sets => {
                self.error(
                    path,
                    "name one identity (`user` or `group`) or sets of them (`users`, `groups`), not both",
                );
                None
            }
            (Some(u), None) => self
                .refer(&format!("{path}.user"), u, Some(Kind::User))
                .then(|| Who::One(Kind::User, self.id(u))),
            (None, Some(g)) => self
                .refer(&format!("{path}.group"), g, Some(Kind::Group))
                .then(|| Who::One(Kind::Group, self.id(g))),
            (None, None) if sets => {
                let mut set = |key: &str, s: &Option<Selection>, kind| {
                    s.as_ref().map(|s| {
                        let picked = self.selection(&format!("{path}.{key}"), s, kind, dir);
                        (s.clone(), picked)
                    })
                };
                let users = set("users", users, Kind::User);
                let groups = set("groups", groups, Kind::Group);
                Some(Who::Many { users, groups })
            }
            (None, None) => {
                self.error(path, "missing `user` or `group`: which identity?");
                None
            }
        }
    }

    /// What a list or a selector of identities of `kind` picks, with its handles checked;
    /// `member_of` reads the membership of `dir` unless it names a directory.
    pub(super) fn selection(
        &mut self,
        path: &str,
        s: &Selection,
        kind: Kind,
        dir: Directory,
    ) -> Select {
        match s {
            Selection::Handles(list) => {
                self.refer_all(path, list, Some(kind));
                Select::Handles(self.ids(list))
            }
            Selection::Ou(ou) => {
                if ou.is_empty() {
                    self.error(format!("{path}.ou"), "an OU name cannot be empty");
                }
                Select::Ou(self.shared(ou))
            }
            Selection::MemberOf { group, dir: d } => {
                self.refer(&format!("{path}.member_of"), group, Some(Kind::Group));
                let dir = d.map_or(dir, Directory::from);
                Select::MemberOf(self.id(group), dir)
            }
            Selection::All => Select::All,
        }
    }

    pub(super) fn ad_attrs(
        &mut self,
        path: &str,
        attrs: &IndexMap<String, Scalar>,
        nulls: bool,
    ) -> Vec<(AdAttr, Option<Value>)> {
        let mut out = Vec::new();
        let mut seen: Vec<(AdAttr, &str)> = Vec::new();
        for (k, v) in attrs {
            let p = format!("{path}.{k}");
            let Some(a) = AdAttr::from_name(k) else {
                self.error(&p, unknown_ad_attribute(k, "ou, manager, groups, "));
                continue;
            };
            if let Some(first) = met_before(&mut seen, a, k) {
                self.error(&p, same_name_twice(k, first));
                continue;
            }
            match to_value(v, a.is_list(), a.is_bool()) {
                Ok(None) if !nulls => self.error(
                    &p,
                    "null is only meaningful in `update`: leave the attribute out",
                ),
                Ok(val) => {
                    if a == AdAttr::ConsistencyGuid
                        && let Some(t) = val.as_ref().and_then(Value::as_text)
                    {
                        match t.parse::<Guid>() {
                            Ok(g) => {
                                out.push((a, Some(Value::text(g.to_string()))));
                                continue;
                            }
                            Err(e) => {
                                self.error(&p, e.to_string());
                                continue;
                            }
                        }
                    }
                    out.push((a, val));
                }
                Err(e) => self.error(&p, e),
            }
        }
        out
    }

    pub(super) fn entra_props(
        &mut self,
        path: &str,
        props: &IndexMap<String, Scalar>,
        nulls: bool,
    ) -> Vec<(EntraProp, Option<Value>)> {
        let mut out = Vec::new();
        let mut seen: Vec<(EntraProp, &str)> = Vec::new();
        for (k, v) in props {
            let p = format!("{path}.{k}");
            let Some(prop) = EntraProp::from_name(k) else {
                self.error(&p, unknown_entra_property(k));
                continue;
            };
            if let Some(first) = met_before(&mut seen, prop, k) {
                self.error(&p, same_name_twice(k, first));
                continue;
            }
            if prop.is_read_only() && prop != EntraProp::OnPremisesSamAccountName {
                self.error(&p, format!("`{k}` is written by the sync service only"));
                continue;
            }
            match to_value(v, prop.is_list(), prop.is_bool()) {
                Ok(None) if !nulls => self.error(
                    &p,
                    "null is only meaningful in `update`: leave the property out",
                ),
                Ok(val) => out.push((prop, val)),
                Err(e) => self.error(&p, e),
            }
        }
        out
    }
}

/// The message for an attribute name AD does not have; `extra` lists other keys allowed there.
pub(super) fn unknown_ad_attribute(k: &str, extra: &str) -> String {
    let names: Vec<&str> = AdAttr::names().into_iter().filter(|n| *n != "cn").collect();
    format!(
        "unknown AD attribute `{k}` (known: {extra}{})",
        names.join(", ")
    )
}

/// How `x` was first spelled, when a name written before resolves to it too (names match
/// ignoring case); else `x` is recorded as spelled `k`.
pub(super) fn met_before<'a, T: PartialEq>(
    seen: &mut Vec<(T, &'a str)>,
    x: T,
    k: &'a str,
) -> Option<&'a str> {
    if let Some((_, first)) = seen.iter().find(|(y, _)| *y == x) {
        return Some(first);
    }
    seen.push((x, k));
    None
}

/// The message for a name written twice, the second time in another case.
pub(super) fn same_name_twice(k: &str, first: &str) -> String {
    format!(
        "`{k}` is `{first}` again: names are matched ignoring case, so the two would contradict each other"
    )
}

/// The message for a property name Graph does not have.
pub(super) fn unknown_entra_property(k: &str) -> String {
    format!(
        "unknown Entra property `{k}` (known: {})",
        EntraProp::names().join(", ")
    )
}

/// Converts a YAML value to a property value of the expected shape.
pub fn to_value(v: &Scalar, list: bool, boolean: bool) -> Result<Option<Value>, String> {
    Ok(match (v, list, boolean) {
        (Scalar::Null, _, _) => None,
        (Scalar::Bool(b), _, true) => Some(Value::from(*b)),
        (other, _, true) => return Err(format!("expected true or false, found {other}")),
        (Scalar::List(l), true, _) => Some(Value::list(l)),
        (Scalar::Text(t), true, _) => Some(Value::list([t])),
        (Scalar::Text(t), false, _) => Some(Value::text(t.as_str())),
        (Scalar::List(l), false, _) => {
            return Err(format!(
                "expected a single value, found a list [{}]",
                l.join(", ")
            ));
        }
        (Scalar::Bool(b), _, false) => return Err(format!("expected a text, found {b}")),
    })
}
