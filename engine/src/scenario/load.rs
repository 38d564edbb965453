//! Loading a scenario file: read it, parse it (YAML and type errors with line and column),
//! validate it (semantic errors with the path inside the document and the known alternatives)
//! and resolve it into engine operations. Everything is checked before any step runs.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use indexmap::IndexMap;

use super::format::*;
use crate::op::{NewObject, Op, RelationSet};
use crate::settings::Names;
use crate::settings::{Settings, SettingsPatch};
use crate::store::handles::RESERVED_HANDLES;
use crate::store::propmap::Str;
use crate::store::{AdAttr, EntraProp, GroupType, Guid, HandleId, Handles, Kind, Value};
use crate::{Directory, sync::ErrorCode};

/// The largest scenario file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The most identities (handles) one scenario may define.
pub const MAX_HANDLES: usize = 5_000_000;

/// An input error: the file, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The path inside the document, e.g. `steps[3].restore.users[0]`.
    pub path: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(p) = &self.path {
            write!(f, ": {p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A step ready to run: its text for the report, and what it does.
#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub text: String,
    pub path: String,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub enum Action {
    Op(Op),
    Expect(Expect),
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub file: String,
    pub title: String,
    pub sources: Vec<String>,
    pub description: Option<String>,
    pub settings: Settings,
    /// The clock's start, seconds since the epoch.
    pub start: i64,
    pub names: Names,
    pub sync_ous: Option<Vec<String>>,
    /// The identities' handles, numbered in the order the world creates them; operations name
    /// them by number.
    pub handles: std::sync::Arc<Handles>,
    /// The operations that build the world, with the path each comes from.
    pub world: Vec<(String, Op)>,
    pub steps: Vec<PlannedStep>,
    pub expect: Option<Expect>,
}

/// The default start of the simulated clock.
pub const DEFAULT_START: &str = "2026-01-05T09:00:00Z";

/// Reads, parses and validates one file.
pub fn load(path: &Path) -> Result<Scenario, Vec<InputError>> {
    let file = path.display().to_string();
    let err = |message: String| {
        vec![InputError {
            file: file.clone(),
            line: None,
            column: None,
            path: None,
            message,
        }]
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(format!(
            "the file is {} bytes, more than the limit of {MAX_FILE_BYTES} bytes for a scenario",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    parse(&file, &name, &bytes)
}

/// Parses and validates the bytes of a file.
pub fn parse(file: &str, name: &str, bytes: &[u8]) -> Result<Scenario, Vec<InputError>> {
    let at = |line, column, message: String| InputError {
        file: file.to_string(),
        line,
        column,
        path: None,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        vec![at(
            Some(line),
            None,
            "the file is not UTF-8 text: a scenario is a YAML document".into(),
        )]
    })?;
    if text.contains('\0') {
        return Err(vec![at(
            None,
            None,
            "the file holds NUL bytes: it is binary, not a YAML scenario".into(),
        )]);
    }
    if text.trim().is_empty() {
        return Err(vec![at(
            None,
            None,
            "the file is empty: expected a scenario with `title`, `world` and `steps`".into(),
        )]);
    }
    let doc: ScenarioFile = super::yaml::from_str(text).map_err(|e| {
        let tab = e
            .line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .is_some_and(|l| l.contains('\t'));
        let hint = if tab {
            " (this line holds a tab: YAML indents with spaces only)"
        } else {
            ""
        };
        vec![at(e.line, e.column, format!("{}{hint}", e.message))]
    })?;
    let mut v = Validator {
        file: file.to_string(),
        errors: Vec::new(),
        handles: IndexMap::new(),
        labels: BTreeSet::new(),
        too_many: false,
        table: Handles::default(),
        shared: Default::default(),
    };
    let scenario = v.scenario(name, doc);
    if v.errors.is_empty() {
        Ok(scenario)
    } else {
        Err(v.errors)
    }
}

/// Where a handle was defined.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin_ {
    Ad,
    Cloud,
}

struct Validator {
    file: String,
    errors: Vec<InputError>,
    handles: IndexMap<String, (Kind, Origin_)>,
    labels: BTreeSet<String>,
    /// Whether the MAX_HANDLES error was reported.
    too_many: bool,
    /// The handles, numbered as operations name them ([`Validator::id`]).
    table: Handles,
    /// One shared copy of each other name the operations hold (OUs, roles, licences, apps).
    shared: hashbrown::HashSet<Str, rustc_hash::FxBuildHasher>,
}

fn known(list: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = list.into_iter().map(|s| s.as_ref().to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl Validator {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(InputError {
            file: self.file.clone(),
            line: None,
            column: None,
            path: Some(path.into()),
            message: message.into(),
        });
    }

    /// The shared copy of `name`.
    fn shared(&mut self, name: &str) -> Str {
        self.shared
            .get_or_insert_with(name, |n| Str::from(n))
            .clone()
    }

    fn shared_all(&mut self, names: &[String]) -> Vec<Str> {
        names.iter().map(|n| self.shared(n)).collect()
    }

    /// The number of handle `h`, given when an operation first names it: the order in which
    /// the world creates its handles, since every handle is created before it is named again.
    fn id(&mut self, h: &str) -> HandleId {
        if let Some(id) = self.table.get(h) {
            return id;
        }
        let kind = self.handles.get(h).map_or(Kind::User, |(k, _)| *k);
        // A handle that cannot be one was reported where it was named: the scenario is refused.
        self.table.intern(&Str::from(h), kind).unwrap_or_default()
    }

    fn ids(&mut self, names: &[String]) -> Vec<HandleId> {
        names.iter().map(|n| self.id(n)).collect()
    }

    fn define(&mut self, path: &str, h: &str, kind: Kind, origin: Origin_) {
        if RESERVED_HANDLES.contains(&h) {
            self.error(
                path,
                format!("'{h}' cannot be a handle: `restore` and `sync` are reserved"),
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
        } else {
            self.handles.insert(h.to_string(), (kind, origin));
        }
    }

    fn names_of(&self, kind: Option<Kind>) -> String {
        known(
            self.handles
                .iter()
                .filter(|(_, (k, _))| kind.is_none_or(|x| x == *k))
                .map(|(h, _)| h),
        )
    }

    /// A reference to a handle of `kind` (any kind if `None`).
    fn refer(&mut self, path: &str, h: &str, kind: Option<Kind>) -> bool {
        match self.handles.get(h).copied() {
            Some((k, _)) if kind.is_none_or(|x| x == k) => true,
            Some((k, _)) => {
                let want = kind.map_or("identity".to_string(), |k| k.to_string());
                self.error(path, format!("'{h}' is a {k}, not a {want}"));
                false
            }
            None => {
                let what = kind.map_or("handle".to_string(), |k| k.to_string());
                let list = self.names_of(kind);
                self.error(path, format!("unknown {what} '{h}' (known: {list})"));
                false
            }
        }
    }

    fn refer_all(&mut self, path: &str, hs: &[String], kind: Option<Kind>) {
        for (i, h) in hs.iter().enumerate() {
            self.refer(&format!("{path}[{i}]"), h, kind);
        }
    }

    /// `user: H` or `group: H`: exactly one.
    fn subject(
        &mut self,
        path: &str,
        user: &Option<String>,
        group: &Option<String>,
    ) -> Option<(Kind, HandleId)> {
        match (user, group) {
            (Some(u), None) => self
                .refer(&format!("{path}.user"), u, Some(Kind::User))
                .then(|| (Kind::User, self.id(u))),
            (None, Some(g)) => self
                .refer(&format!("{path}.group"), g, Some(Kind::Group))
                .then(|| (Kind::Group, self.id(g))),
            (Some(_), Some(_)) => {
                self.error(path, "name either `user` or `group`, not both");
                None
            }
            (None, None) => {
                self.error(path, "missing `user` or `group`: which identity?");
                None
            }
        }
    }

    fn ad_attrs(
        &mut self,
        path: &str,
        attrs: &IndexMap<String, Scalar>,
        nulls: bool,
    ) -> Vec<(AdAttr, Option<Value>)> {
        let mut out = Vec::new();
        for (k, v) in attrs {
            let p = format!("{path}.{k}");
            let Some(a) = AdAttr::from_name(k) else {
                self.error(&p, unknown_ad_attribute(k, "ou, manager, groups, "));
                continue;
            };
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

    fn entra_props(
        &mut self,
        path: &str,
        props: &IndexMap<String, Scalar>,
        nulls: bool,
    ) -> Vec<(EntraProp, Option<Value>)> {
        let mut out = Vec::new();
        for (k, v) in props {
            let p = format!("{path}.{k}");
            let Some(prop) = EntraProp::from_name(k) else {
                self.error(&p, unknown_entra_property(k));
                continue;
            };
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

    fn scenario(&mut self, name: &str, doc: ScenarioFile) -> Scenario {
        let mut settings = Settings::default();
        let mut start = 0;
        match chrono::DateTime::parse_from_rfc3339(
            doc.settings.start.as_deref().unwrap_or(DEFAULT_START),
        ) {
            Ok(t) => start = t.timestamp(),
            Err(e) => self.error(
                "settings.start",
                format!("not an RFC 3339 time ({e}), e.g. {DEFAULT_START}"),
            ),
        }
        settings.apply(&doc.settings);
        let ad = doc.world.ad.clone().unwrap_or_default();
        let entra = doc.world.entra.clone().unwrap_or_default();
        let domain = ad.domain.clone().unwrap_or_else(|| "contoso.com".into());
        let names = Names::new(
            &domain,
            entra.tenant.as_deref(),
            entra.verified_domains.clone(),
        );
        let world = self.world(&ad, &entra);
        let mut steps = Vec::new();
        if doc.steps.is_empty() {
            self.error("steps", "a scenario needs at least one step");
        }
        for (i, s) in doc.steps.iter().enumerate() {
            let path = format!("steps[{i}]");
            if let Some(action) = self.step(&path, s) {
                steps.push(PlannedStep {
                    text: describe(s),
                    path,
                    action,
                });
            }
        }
        if let Some(e) = &doc.expect {
            self.expect("expect", e);
        }
        Scenario {
            name: name.to_string(),
            file: self.file.clone(),
            title: doc.title,
            sources: doc
                .source
                .map(|s| s.urls().into_iter().map(str::to_string).collect())
                .unwrap_or_default(),
            description: doc.description,
            settings,
            start,
            names,
            sync_ous: ad.sync_ous.clone(),
            handles: std::sync::Arc::new(std::mem::take(&mut self.table)),
            world,
            steps,
            expect: doc.expect,
        }
    }

    /// The world, as operations in the order of SCENARIO_FORMAT.md 1.2: AD objects, one initial
    /// cycle, cloud-only objects, then the cloud relations.
    fn world(&mut self, ad: &AdSpec, entra: &EntraSpec) -> Vec<(String, Op)> {
        let mut ops = Vec::new();
        for h in ad.users.keys() {
            self.define(&format!("world.ad.users.{h}"), h, Kind::User, Origin_::Ad);
        }
        for h in ad.groups.keys() {
            self.define(&format!("world.ad.groups.{h}"), h, Kind::Group, Origin_::Ad);
        }
        for (h, g) in &ad.groups {
            let path = format!("world.ad.groups.{h}");
            let mut attrs = self.ad_attrs(&path, &g.attrs, false);
            attrs.retain(|(a, _)| *a != AdAttr::Enabled);
            ops.push((
                path.clone(),
                Op::Create {
                    kind: Kind::Group,
                    handle: self.id(h),
                    dir: Directory::Ad,
                    object: NewObject {
                        ou: g.ou.as_deref().map(|o| self.shared(o)),
                        ad_attrs: attrs
                            .into_iter()
                            .filter_map(|(a, v)| v.map(|v| (a, v)))
                            .collect(),
                        ..NewObject::default()
                    },
                },
            ));
        }
        for (h, u) in &ad.users {
            let path = format!("world.ad.users.{h}");
            if ad.sync_ous.is_some() && u.ou.is_none() {
                let ous = ad.sync_ous.clone().unwrap_or_default();
                self.error(
                    &path,
                    format!(
                        "missing `ou`: required when `sync_ous` is set (sync_ous: {})",
                        known(&ous)
                    ),
                );
            }
            let attrs = self.ad_attrs(&path, &u.attrs, false);
            ops.push((
                path,
                Op::Create {
                    kind: Kind::User,
                    handle: self.id(h),
                    dir: Directory::Ad,
                    object: NewObject {
                        ou: u.ou.as_deref().map(|o| self.shared(o)),
                        ad_attrs: attrs
                            .into_iter()
                            .filter_map(|(a, v)| v.map(|v| (a, v)))
                            .collect(),
                        ..NewObject::default()
                    },
                },
            ));
        }
        // AD relations: group members (users or groups), a user's groups and manager.
        for (h, g) in &ad.groups {
            let path = format!("world.ad.groups.{h}.members");
            for (i, m) in g.members.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if self.refer(&p, m, None)
                    && self.handles.get(m).is_some_and(|(_, o)| *o == Origin_::Ad)
                {
                    let kind = self.handles.get(m).map_or(Kind::User, |(k, _)| *k);
                    ops.push((
                        p,
                        Op::Assign {
                            kind,
                            handle: self.id(m),
                            dir: Directory::Ad,
                            rels: RelationSet {
                                groups: vec![self.id(h)],
                                ..RelationSet::default()
                            },
                        },
                    ));
                } else if self.handles.contains_key(m) {
                    self.error(
                        &p,
                        format!("'{m}' is not an AD object: AD groups hold AD users and groups"),
                    );
                }
            }
        }
        for (h, u) in &ad.users {
            let path = format!("world.ad.users.{h}");
            for (i, g) in u.groups.iter().enumerate() {
                let p = format!("{path}.groups[{i}]");
                if self.refer(&p, g, Some(Kind::Group))
                    && self.handles.get(g).is_some_and(|(_, o)| *o == Origin_::Ad)
                {
                    ops.push((
                        p,
                        Op::Assign {
                            kind: Kind::User,
                            handle: self.id(h),
                            dir: Directory::Ad,
                            rels: RelationSet {
                                groups: vec![self.id(g)],
                                ..RelationSet::default()
                            },
                        },
                    ));
                } else if self.handles.contains_key(g) {
                    self.error(
                        &p,
                        format!("'{g}' is a cloud group: `groups` of an AD user are AD groups"),
                    );
                }
            }
            if let Some(m) = &u.manager {
                let p = format!("{path}.manager");
                if self.refer(&p, m, Some(Kind::User))
                    && self.handles.get(m).is_some_and(|(_, o)| *o == Origin_::Ad)
                {
                    ops.push((
                        p,
                        Op::Assign {
                            kind: Kind::User,
                            handle: self.id(h),
                            dir: Directory::Ad,
                            rels: RelationSet {
                                manager: Some(self.id(m)),
                                ..RelationSet::default()
                            },
                        },
                    ));
                } else if self.handles.contains_key(m) {
                    self.error(
                        &p,
                        format!("'{m}' is a cloud user: the AD manager must be an AD user"),
                    );
                }
            }
        }
        if !ad.users.is_empty() || !ad.groups.is_empty() {
            ops.push(("world".into(), Op::Sync(crate::sync::CycleKind::Initial)));
        }
        // Cloud users and groups; a handle of an AD object refers to its synced cloud object.
        let mut cloud_writes = Vec::new();
        for (h, u) in &entra.users {
            let path = format!("world.entra.users.{h}");
            let props = self.entra_props(&path, &u.props, false);
            match self.handles.get(h).copied() {
                Some((Kind::User, Origin_::Ad)) => {
                    if !props.is_empty() {
                        cloud_writes.push((
                            path.clone(),
                            Op::UpdateEntra {
                                kind: Kind::User,
                                handle: self.id(h),
                                set: props,
                            },
                        ));
                    }
                }
                Some(_) => self.define(&path, h, Kind::User, Origin_::Cloud),
                None => {
                    self.define(&path, h, Kind::User, Origin_::Cloud);
                    ops.push((
                        path.clone(),
                        Op::Create {
                            kind: Kind::User,
                            handle: self.id(h),
                            dir: Directory::Entra,
                            object: NewObject {
                                entra_props: props
                                    .into_iter()
                                    .filter_map(|(p, v)| v.map(|v| (p, v)))
                                    .collect(),
                                ..NewObject::default()
                            },
                        },
                    ));
                }
            }
        }
        for (h, g) in &entra.groups {
            let path = format!("world.entra.groups.{h}");
            let props = self.entra_props(&path, &g.props, false);
            match self.handles.get(h).copied() {
                Some((Kind::Group, Origin_::Ad)) => {
                    if !g.members.is_empty() {
                        self.error(format!("{path}.members"), format!("'{h}' is synced from AD: its members come from AD (ENTRA-5); list them in world.ad.groups.{h}.members"));
                    }
                }
                Some(_) => self.define(&path, h, Kind::Group, Origin_::Cloud),
                None => {
                    self.define(&path, h, Kind::Group, Origin_::Cloud);
                    let gt = match g.group_type.unwrap_or_default() {
                        GroupTypeSpec::Security => GroupType::Security,
                        GroupTypeSpec::Microsoft365 => GroupType::Microsoft365,
                    };
                    ops.push((
                        path.clone(),
                        Op::Create {
                            kind: Kind::Group,
                            handle: self.id(h),
                            dir: Directory::Entra,
                            object: NewObject {
                                group_type: Some(gt),
                                entra_props: props
                                    .into_iter()
                                    .filter_map(|(p, v)| v.map(|v| (p, v)))
                                    .collect(),
                                ..NewObject::default()
                            },
                        },
                    ));
                }
            }
        }
        ops.extend(cloud_writes);
        // Cloud relations.
        for (h, g) in &entra.groups {
            let path = format!("world.entra.groups.{h}");
            for (i, m) in g.members.iter().enumerate() {
                let p = format!("{path}.members[{i}]");
                if self.refer(&p, m, None) {
                    let kind = self.handles.get(m).map_or(Kind::User, |(k, _)| *k);
                    ops.push((
                        p,
                        Op::Assign {
                            kind,
                            handle: self.id(m),
                            dir: Directory::Entra,
                            rels: RelationSet {
                                groups: vec![self.id(h)],
                                ..RelationSet::default()
                            },
                        },
                    ));
                }
            }
            for (i, o) in g.owners.iter().enumerate() {
                let p = format!("{path}.owners[{i}]");
                if self.refer(&p, o, Some(Kind::User)) {
                    ops.push((
                        p,
                        Op::Assign {
                            kind: Kind::User,
                            handle: self.id(o),
                            dir: Directory::Entra,
                            rels: RelationSet {
                                owns: vec![self.id(h)],
                                ..RelationSet::default()
                            },
                        },
                    ));
                }
            }
            if !g.licenses.is_empty() && self.handles.contains_key(h) {
                ops.push((
                    format!("{path}.licenses"),
                    Op::Assign {
                        kind: Kind::Group,
                        handle: self.id(h),
                        dir: Directory::Entra,
                        rels: RelationSet {
                            licenses: self.shared_all(&g.licenses),
                            ..RelationSet::default()
                        },
                    },
                ));
            }
        }
        for (h, u) in &entra.users {
            if let Some(m) = &u.manager {
                let p = format!("world.entra.users.{h}.manager");
                if self.refer(&p, m, Some(Kind::User)) {
                    ops.push((
                        p,
                        Op::Assign {
                            kind: Kind::User,
                            handle: self.id(h),
                            dir: Directory::Entra,
                            rels: RelationSet {
                                manager: Some(self.id(m)),
                                ..RelationSet::default()
                            },
                        },
                    ));
                }
            }
        }
        for (which, map) in [
            ("roles", &entra.roles),
            ("licenses", &entra.licenses),
            ("apps", &entra.apps),
        ] {
            for (item, holders) in map {
                for (i, holder) in holders.iter().enumerate() {
                    let p = format!("world.entra.{which}.{item}[{i}]");
                    let kind = if which == "roles" {
                        Some(Kind::User)
                    } else {
                        None
                    };
                    if !self.refer(&p, holder, kind) {
                        continue;
                    }
                    let k = self.handles.get(holder).map_or(Kind::User, |(k, _)| *k);
                    let mut rels = RelationSet::default();
                    match which {
                        "roles" => rels.roles = vec![self.shared(item)],
                        "licenses" => rels.licenses = vec![self.shared(item)],
                        _ => rels.apps = vec![self.shared(item)],
                    }
                    ops.push((
                        p,
                        Op::Assign {
                            kind: k,
                            handle: self.id(holder),
                            dir: Directory::Entra,
                            rels,
                        },
                    ));
                }
            }
        }
        ops
    }

    fn step(&mut self, path: &str, s: &Step) -> Option<Action> {
        let op = match s {
            Step::Sync(k) => Op::Sync(*k),
            Step::Backup(label) => {
                self.labels.insert(label.clone());
                Op::Backup(label.clone())
            }
            Step::Delete(d) => {
                let (kind, handle) = self.subject(&format!("{path}.delete"), &d.user, &d.group)?;
                Op::Delete {
                    kind,
                    handle,
                    from: dir(d.from),
                    permanently: d.permanently,
                }
            }
            Step::Restore(r) => {
                let p = format!("{path}.restore");
                self.refer_all(&format!("{p}.users"), &r.users, Some(Kind::User));
                self.refer_all(&format!("{p}.groups"), &r.groups, Some(Kind::Group));
                if r.users.is_empty() && r.groups.is_empty() {
                    self.error(&p, "nothing selected: list `users` or `groups` to restore");
                }
                self.label(&format!("{p}.from"), &r.from);
                Op::Restore {
                    users: self.ids(&r.users),
                    groups: self.ids(&r.groups),
                    from: r.from.clone(),
                    recycle_bin: r.recycle_bin,
                    keep_relationships: r.keep_relationships,
                    existing: r.existing,
                }
            }
            Step::RestoreAd(r) => {
                let p = format!("{path}.restore_ad");
                self.refer_all(&format!("{p}.users"), &r.users, Some(Kind::User));
                self.label(&format!("{p}.from"), &r.from);
                Op::RestoreAd {
                    users: self.ids(&r.users),
                    from: r.from.clone(),
                }
            }
            Step::Undelete(u) => {
                let (kind, handle) =
                    self.subject(&format!("{path}.undelete"), &u.user, &u.group)?;
                Op::Undelete {
                    kind,
                    handle,
                    dir: dir(u.dir),
                }
            }
            Step::Create(c) => {
                let p = format!("{path}.create");
                let (kind, handle) = match (&c.user, &c.group) {
                    (Some(u), None) => (Kind::User, u.as_str()),
                    (None, Some(g)) => (Kind::Group, g.as_str()),
                    _ => {
                        self.error(&p, "name exactly one of `user` or `group`");
                        return None;
                    }
                };
                let origin = if c.dir == Dir::Ad {
                    Origin_::Ad
                } else {
                    Origin_::Cloud
                };
                match self.handles.get(handle).copied() {
                    Some((k, _)) if k != kind => {
                        self.error(
                            format!("{p}.{kind}"),
                            format!("'{handle}' is a {k}, not a {kind}"),
                        );
                    }
                    Some(_) => {}
                    None => self.define(&format!("{p}.{kind}"), handle, kind, origin),
                }
                let handle = self.id(handle);
                let mut object = NewObject {
                    ou: c.ou.as_deref().map(|o| self.shared(o)),
                    ..NewObject::default()
                };
                match c.dir {
                    Dir::Ad => {
                        object.ad_attrs = self
                            .ad_attrs(&p, &c.attrs, false)
                            .into_iter()
                            .filter_map(|(a, v)| v.map(|v| (a, v)))
                            .collect();
                    }
                    Dir::Entra => {
                        object.entra_props = self
                            .entra_props(&p, &c.attrs, false)
                            .into_iter()
                            .filter_map(|(a, v)| v.map(|v| (a, v)))
                            .collect();
                        object.group_type = c.group_type.map(|t| match t {
                            GroupTypeSpec::Security => GroupType::Security,
                            GroupTypeSpec::Microsoft365 => GroupType::Microsoft365,
                        });
                    }
                }
                Op::Create {
                    kind,
                    handle,
                    dir: dir(c.dir),
                    object,
                }
            }
            Step::Update(u) => {
                let p = format!("{path}.update");
                let (kind, handle) = self.subject(&p, &u.user, &u.group)?;
                match u.dir {
                    Dir::Ad => Op::UpdateAd {
                        kind,
                        handle,
                        set: self.ad_attrs(&format!("{p}.set"), &u.set, true),
                    },
                    Dir::Entra => Op::UpdateEntra {
                        kind,
                        handle,
                        set: self.entra_props(&format!("{p}.set"), &u.set, true),
                    },
                }
            }
            Step::Assign(a) | Step::Unassign(a) => {
                let word = if matches!(s, Step::Assign(_)) {
                    "assign"
                } else {
                    "unassign"
                };
                let p = format!("{path}.{word}");
                let (kind, handle) = self.subject(&p, &a.user, &a.group)?;
                self.refer_all(&format!("{p}.groups"), &a.groups, Some(Kind::Group));
                self.refer_all(&format!("{p}.owns"), &a.owns, Some(Kind::Group));
                if let Some(m) = &a.manager {
                    self.refer(&format!("{p}.manager"), m, Some(Kind::User));
                }
                if a.dir == Dir::Ad {
                    for (k, l) in [
                        ("owns", &a.owns),
                        ("roles", &a.roles),
                        ("licenses", &a.licenses),
                        ("apps", &a.apps),
                    ] {
                        if !l.is_empty() {
                            self.error(format!("{p}.{k}"), format!("`{k}` are Entra relations: use `in: entra` (in AD only `groups` and `manager`)"));
                        }
                    }
                }
                let rels = RelationSet {
                    groups: self.ids(&a.groups),
                    owns: self.ids(&a.owns),
                    roles: self.shared_all(&a.roles),
                    licenses: self.shared_all(&a.licenses),
                    apps: self.shared_all(&a.apps),
                    manager: a.manager.as_deref().map(|m| self.id(m)),
                };
                if word == "assign" {
                    Op::Assign {
                        kind,
                        handle,
                        dir: dir(a.dir),
                        rels,
                    }
                } else {
                    Op::Unassign {
                        kind,
                        handle,
                        dir: dir(a.dir),
                        rels,
                    }
                }
            }
            Step::Move(m) => {
                let (kind, handle) = self.subject(&format!("{path}.move"), &m.user, &m.group)?;
                Op::Move {
                    kind,
                    handle,
                    to: m.to.clone(),
                }
            }
            Step::Scope(sc) => Op::Scope {
                add: sc.add.clone(),
                remove: sc.remove.clone(),
            },
            Step::Settings(patch) => {
                if patch.start.is_some() {
                    self.error(format!("{path}.settings.start"), "`start` can only be set in the top-level `settings` (use `wait` to move the clock)");
                }
                if patch.seed.is_some() {
                    self.error(
                        format!("{path}.settings.seed"),
                        "`seed` can only be set in the top-level `settings`",
                    );
                }
                Op::Settings(SettingsPatch { ..patch.clone() })
            }
            Step::Wait(d) => match parse_duration(d) {
                Ok(secs) => Op::Wait(secs),
                Err(e) => {
                    self.error(format!("{path}.wait"), e);
                    return None;
                }
            },
            Step::Expect(e) => {
                self.expect(&format!("{path}.expect"), e);
                return Some(Action::Expect(e.clone()));
            }
        };
        Some(Action::Op(op))
    }

    fn label(&mut self, path: &str, label: &str) {
        if !self.labels.contains(label) {
            let list = known(&self.labels);
            self.error(path, format!("unknown restore point '{label}': no earlier `backup` step made it (known: {list})"));
        }
    }

    fn expect(&mut self, path: &str, e: &Expect) {
        for (h, c) in &e.handles {
            let p = format!("{path}.{h}");
            if !self.refer(&p, h, None) {
                continue;
            }
            for (k, l) in [
                ("groups", &c.groups),
                ("owns", &c.owns),
                ("ad_groups", &c.ad_groups),
            ] {
                if let Some(l) = l {
                    self.refer_all(&format!("{p}.{k}"), l, Some(Kind::Group));
                }
            }
            if let Some(Some(m)) = &c.manager {
                self.refer(&format!("{p}.manager"), m, Some(Kind::User));
            }
            if let Some(props) = &c.properties {
                for k in props.keys() {
                    if EntraProp::from_name(k).is_none() {
                        self.error(format!("{p}.properties.{k}"), unknown_entra_property(k));
                    }
                }
            }
            if let Some(attrs) = &c.ad_properties {
                for k in attrs.keys() {
                    if AdAttr::from_name(k).is_none() {
                        self.error(
                            format!("{p}.ad_properties.{k}"),
                            unknown_ad_attribute(k, ""),
                        );
                    }
                }
            }
        }
        if let Some(r) = &e.restore {
            for h in r.keys() {
                self.refer(&format!("{path}.restore.{h}"), h, None);
            }
        }
        if let Some(s) = &e.sync
            && let Some(errors) = &s.errors
        {
            for (i, code) in errors.iter().enumerate() {
                if ErrorCode::from_name(code).is_none() {
                    let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
                    self.error(
                        format!("{path}.sync.errors[{i}]"),
                        format!("unknown error code `{code}` (known: {})", names.join(", ")),
                    );
                }
            }
        }
    }
}

/// The message for an attribute name AD does not have; `extra` lists other keys allowed there.
fn unknown_ad_attribute(k: &str, extra: &str) -> String {
    let names: Vec<&str> = AdAttr::names().into_iter().filter(|n| *n != "cn").collect();
    format!(
        "unknown AD attribute `{k}` (known: {extra}{})",
        names.join(", ")
    )
}

/// The message for a property name Graph does not have.
fn unknown_entra_property(k: &str) -> String {
    format!(
        "unknown Entra property `{k}` (known: {})",
        EntraProp::names().join(", ")
    )
}

fn dir(d: Dir) -> Directory {
    match d {
        Dir::Ad => Directory::Ad,
        Dir::Entra => Directory::Entra,
    }
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

/// Parses a `wait` duration: one or more `<number><unit>` with units `d`, `h`, `m`.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "bad duration '{s}': expected a number and a unit d, h or m, e.g. 31d, 12h or 1d12h"
        )
    };
    let mut total: i64 = 0;
    let mut num = String::new();
    if s.trim().is_empty() {
        return Err(bad());
    }
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            _ => return Err(bad()),
        };
        let n: i64 = num.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("duration '{s}' is too long"))?;
        if total > 1_000 * 365 * 86_400 {
            return Err(format!("duration '{s}' is longer than 1000 years"));
        }
        num.clear();
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// A step in one line, for reports: `delete: {user: alice, from: entra, permanently: true}`.
pub fn describe(s: &Step) -> String {
    fn list(v: &[String]) -> String {
        format!("[{}]", v.join(", "))
    }
    fn subj(u: &Option<String>, g: &Option<String>) -> String {
        match (u, g) {
            (Some(u), _) => format!("user: {u}"),
            (_, Some(g)) => format!("group: {g}"),
            _ => String::new(),
        }
    }
    fn d(x: Dir) -> &'static str {
        match x {
            Dir::Ad => "ad",
            Dir::Entra => "entra",
        }
    }
    fn kv(m: &IndexMap<String, Scalar>) -> String {
        m.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
    match s {
        Step::Sync(crate::sync::CycleKind::Delta) => "sync".into(),
        Step::Sync(crate::sync::CycleKind::Initial) => "sync: initial".into(),
        Step::Backup(l) => format!("backup: {l}"),
        Step::Delete(x) => format!(
            "delete: {{{}, from: {}, permanently: {}}}",
            subj(&x.user, &x.group),
            d(x.from),
            x.permanently
        ),
        Step::Restore(r) => {
            let mut parts = Vec::new();
            if !r.users.is_empty() {
                parts.push(format!("users: {}", list(&r.users)));
            }
            if !r.groups.is_empty() {
                parts.push(format!("groups: {}", list(&r.groups)));
            }
            parts.push(format!("from: {}", r.from));
            parts.push(format!("recycle_bin: {}", r.recycle_bin));
            parts.push(format!("keep_relationships: {}", r.keep_relationships));
            parts.push(format!(
                "existing: {}",
                match r.existing {
                    crate::vdc::Existing::Skip => "skip",
                    crate::vdc::Existing::Overwrite => "overwrite",
                }
            ));
            format!("restore: {{{}}}", parts.join(", "))
        }
        Step::RestoreAd(r) => format!(
            "restore_ad: {{users: {}, from: {}}}",
            list(&r.users),
            r.from
        ),
        Step::Undelete(u) => format!(
            "undelete: {{{}, in: {}}}",
            subj(&u.user, &u.group),
            d(u.dir)
        ),
        Step::Create(c) => {
            let mut parts = vec![subj(&c.user, &c.group), format!("in: {}", d(c.dir))];
            if let Some(ou) = &c.ou {
                parts.push(format!("ou: {ou}"));
            }
            if !c.attrs.is_empty() {
                parts.push(kv(&c.attrs));
            }
            format!("create: {{{}}}", parts.join(", "))
        }
        Step::Update(u) => format!(
            "update: {{{}, in: {}, set: {{{}}}}}",
            subj(&u.user, &u.group),
            d(u.dir),
            kv(&u.set)
        ),
        Step::Assign(a) | Step::Unassign(a) => {
            let word = if matches!(s, Step::Assign(_)) {
                "assign"
            } else {
                "unassign"
            };
            let mut parts = vec![subj(&a.user, &a.group), format!("in: {}", d(a.dir))];
            for (k, l) in [
                ("groups", &a.groups),
                ("owns", &a.owns),
                ("roles", &a.roles),
                ("licenses", &a.licenses),
                ("apps", &a.apps),
            ] {
                if !l.is_empty() {
                    parts.push(format!("{k}: {}", list(l)));
                }
            }
            if let Some(m) = &a.manager {
                parts.push(format!("manager: {m}"));
            }
            format!("{word}: {{{}}}", parts.join(", "))
        }
        Step::Move(m) => format!("move: {{{}, to: {}}}", subj(&m.user, &m.group), m.to),
        Step::Scope(sc) => format!(
            "scope: {{add: {}, remove: {}}}",
            list(&sc.add),
            list(&sc.remove)
        ),
        Step::Settings(p) => format!("settings: {{{}}}", p.describe()),
        Step::Wait(w) => format!("wait: {w}"),
        Step::Expect(_) => "expect".into(),
    }
}
