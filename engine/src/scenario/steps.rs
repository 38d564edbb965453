//! The steps of a scenario as engine operations, the checks of its `expect` blocks, and the
//! step text the reports show.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::format::*;
use super::load::Action;
use super::validate::{
    Origin_, Validator, Who, known_near, listed, met_before, same_name_twice, unknown_ad_attribute,
    unknown_entra_property,
};
use crate::op::{NewObject, Op, RelationSet};
use crate::store::{AdAttr, EntraProp, GroupType, HandleId, Kind};
use crate::{Directory, sync::ErrorCode};

impl Validator {
    pub(super) fn step(&mut self, path: &str, s: &Step) -> Option<Action> {
        let op = match s {
            Step::Sync(k) => Op::Sync(*k),
            Step::Backup(label) => {
                self.labels.insert(label.clone());
                Op::Backup(label.clone())
            }
            Step::Delete(d) => {
                let who = self.who(
                    &format!("{path}.delete"),
                    &d.user,
                    &d.group,
                    &d.users,
                    &d.groups,
                    d.from,
                )?;
                return Some(who.act(|kind, handle| Op::Delete {
                    kind,
                    handle,
                    from: d.from.into(),
                    permanently: d.permanently,
                }));
            }
            Step::Restore(r) => {
                let p = format!("{path}.restore");
                if r.users.is_empty_list() && r.groups.is_empty_list() {
                    self.error(&p, "nothing selected: list `users` or `groups` to restore");
                }
                let users = self.selection(
                    &format!("{p}.users"),
                    &r.users,
                    Kind::User,
                    Directory::Entra,
                );
                let groups = self.selection(
                    &format!("{p}.groups"),
                    &r.groups,
                    Kind::Group,
                    Directory::Entra,
                );
                self.label(&format!("{p}.from"), &r.from);
                let op = Op::Restore {
                    users: listed(&users),
                    groups: listed(&groups),
                    from: r.from.clone(),
                    recycle_bin: r.recycle_bin,
                    keep_relationships: r.keep_relationships,
                    existing: r.existing,
                };
                let who = Who::Many {
                    users: (!r.users.is_empty_list()).then(|| (r.users.clone(), users)),
                    groups: (!r.groups.is_empty_list()).then(|| (r.groups.clone(), groups)),
                };
                return Some(who.act_on(op));
            }
            Step::RestoreAd(r) => {
                let p = format!("{path}.restore_ad");
                let users =
                    self.selection(&format!("{p}.users"), &r.users, Kind::User, Directory::Ad);
                self.label(&format!("{p}.from"), &r.from);
                let op = Op::RestoreAd {
                    users: listed(&users),
                    from: r.from.clone(),
                };
                let who = Who::Many {
                    users: Some((r.users.clone(), users)),
                    groups: None,
                };
                return Some(who.act_on(op));
            }
            Step::Undelete(u) => {
                let who = self.who(
                    &format!("{path}.undelete"),
                    &u.user,
                    &u.group,
                    &u.users,
                    &u.groups,
                    u.dir,
                )?;
                return Some(who.act(|kind, handle| Op::Undelete {
                    kind,
                    handle,
                    dir: u.dir.into(),
                }));
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
                    dir: c.dir.into(),
                    object,
                }
            }
            Step::Update(u) => {
                let p = format!("{path}.update");
                let who = self.who(&p, &u.user, &u.group, &u.users, &u.groups, u.dir)?;
                return Some(match u.dir {
                    Dir::Ad => {
                        let set = self.ad_attrs(&format!("{p}.set"), &u.set, true);
                        who.act(|kind, handle| Op::UpdateAd { kind, handle, set })
                    }
                    Dir::Entra => {
                        let set = self.entra_props(&format!("{p}.set"), &u.set, true);
                        who.act(|kind, handle| Op::UpdateEntra { kind, handle, set })
                    }
                });
            }
            Step::Assign(a) | Step::Unassign(a) => {
                let word = if matches!(s, Step::Assign(_)) {
                    "assign"
                } else {
                    "unassign"
                };
                let p = format!("{path}.{word}");
                let who = self.who(&p, &a.user, &a.group, &a.users, &None, a.dir);
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
                let rels = Box::new(RelationSet {
                    groups: self.ids(&a.groups),
                    owns: self.ids(&a.owns),
                    roles: self.shared_all(&a.roles),
                    licenses: self.shared_all(&a.licenses),
                    apps: self.shared_all(&a.apps),
                    manager: a.manager.as_deref().map(|m| self.id(m)),
                });
                let d = Directory::from(a.dir);
                return Some(who?.act(|kind, handle| {
                    if word == "assign" {
                        Op::Assign {
                            kind,
                            handle,
                            dir: d,
                            rels,
                        }
                    } else {
                        Op::Unassign {
                            kind,
                            handle,
                            dir: d,
                            rels,
                        }
                    }
                }));
            }
            Step::Move(m) => {
                let who = self.who(
                    &format!("{path}.move"),
                    &m.user,
                    &m.group,
                    &m.users,
                    &m.groups,
                    Dir::Ad,
                )?;
                return Some(who.act(|kind, handle| Op::Move {
                    kind,
                    handle,
                    to: m.to.clone(),
                }));
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
                Op::Settings(patch.clone())
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

    /// The roles, licences and apps that expectations name must be ones the world or a step
    /// assigns: a name nothing assigns is a typo, whose check could only fail.
    pub(super) fn catalogue_names(
        &mut self,
        world: &[(String, Op)],
        steps: &[super::load::PlannedStep],
        doc: &ScenarioFile,
    ) {
        let mut known: [BTreeSet<&str>; 3] = Default::default();
        fn add<'a>(known: &mut [BTreeSet<&'a str>; 3], rels: &'a RelationSet) {
            for (k, list) in known
                .iter_mut()
                .zip([&rels.roles, &rels.licenses, &rels.apps])
            {
                k.extend(list.iter().map(|n| &**n));
            }
        }
        let ops = world
            .iter()
            .map(|(_, op)| op)
            .chain(steps.iter().filter_map(|s| match &s.action {
                Action::Op(op) => Some(op),
                Action::Each(e) => Some(&e.op),
                Action::Expect(_) => None,
            }));
        let mut captured: Vec<(usize, &str)> = Vec::new();
        for op in ops {
            match op {
                Op::Assign { rels, .. } | Op::Unassign { rels, .. } => add(&mut known, rels),
                Op::Adopt(c) => {
                    for (_, end, _) in &c.relations {
                        match end {
                            crate::capture::End::Role(n) => captured.push((0, n)),
                            crate::capture::End::Sku(n) => captured.push((1, n)),
                            crate::capture::End::App(n) => captured.push((2, n)),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        for (i, n) in captured {
            if let Some(k) = known.get_mut(i) {
                k.insert(n);
            }
        }
        let mut blocks: Vec<(String, &Expect)> = doc
            .steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Step::Expect(e) => Some((format!("steps[{i}].expect"), &**e)),
                _ => None,
            })
            .collect();
        if let Some(e) = &doc.expect {
            blocks.push(("expect".into(), e));
        }
        let mut unknown = Vec::new();
        for (path, e) in blocks {
            let checks = e
                .handles
                .iter()
                .map(|(h, c)| (format!("{path}.{h}"), c))
                .chain(
                    e.every
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (format!("{path}.every[{i}]"), &x.checks)),
                );
            for (p, c) in checks {
                for (i, (key, what, list)) in [
                    ("roles", "role", &c.roles),
                    ("licenses", "licence", &c.licenses),
                    ("apps", "app", &c.apps),
                ]
                .into_iter()
                .enumerate()
                {
                    let Some(k) = known.get(i) else { continue };
                    for (j, name) in list.iter().flatten().enumerate() {
                        if !k.contains(name.as_str()) {
                            unknown.push((
                                format!("{p}.{key}[{j}]"),
                                format!(
                                    "unknown {what} `{name}`: neither the world nor a step assigns it (known: {})",
                                    known_near(name, k.iter())
                                ),
                            ));
                        }
                    }
                }
            }
        }
        for (p, m) in unknown {
            self.error(p, m);
        }
    }

    fn label(&mut self, path: &str, label: &str) {
        if !self.labels.contains(label) {
            let list = known_near(label, &self.labels);
            self.error(path, format!("unknown restore point '{label}': no earlier `backup` step made it (known: {list})"));
        }
    }

    /// The checks on one identity (a handle's, or each of an `every` entry's set).
    fn handle_checks(&mut self, p: &str, c: &HandleChecks) {
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
            let mut seen: Vec<(EntraProp, &str)> = Vec::new();
            for k in props.keys() {
                let message = match EntraProp::from_name(k) {
                    None => unknown_entra_property(k),
                    Some(x) => match met_before(&mut seen, x, k) {
                        Some(first) => same_name_twice(k, first),
                        None => continue,
                    },
                };
                self.error(format!("{p}.properties.{k}"), message);
            }
        }
        if let Some(attrs) = &c.ad_properties {
            let mut seen: Vec<(AdAttr, &str)> = Vec::new();
            for k in attrs.keys() {
                let message = match AdAttr::from_name(k) {
                    None => unknown_ad_attribute(k, ""),
                    Some(x) => match met_before(&mut seen, x, k) {
                        Some(first) => same_name_twice(k, first),
                        None => continue,
                    },
                };
                self.error(format!("{p}.ad_properties.{k}"), message);
            }
        }
    }

    pub(super) fn expect(&mut self, path: &str, e: &Expect) {
        for (h, c) in &e.handles {
            let p = format!("{path}.{h}");
            if self.refer(&p, h, None) {
                self.handle_checks(&p, c);
            }
        }
        for (i, entry) in e.every.iter().enumerate() {
            let p = format!("{path}.every[{i}]");
            match (&entry.users, &entry.groups) {
                (Some(s), None) => {
                    self.selection(&format!("{p}.users"), s, Kind::User, Directory::Entra);
                }
                (None, Some(s)) => {
                    self.selection(&format!("{p}.groups"), s, Kind::Group, Directory::Entra);
                }
                _ => self.error(
                    &p,
                    "name one set: `users` or `groups` (a list or a selector such as {ou: Sales})",
                ),
            }
            self.handle_checks(&p, &entry.checks);
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

/// The operations of a step over sets: a restore session takes the picks as its lists (one
/// session); any other step runs once for each identity picked, users first.
pub(super) fn expand(op: &Op, users: &[HandleId], groups: &[HandleId]) -> Vec<Op> {
    match op {
        Op::Restore { .. } | Op::RestoreAd { .. } if users.is_empty() && groups.is_empty() => {
            Vec::new()
        }
        Op::Restore {
            from,
            recycle_bin,
            keep_relationships,
            existing,
            ..
        } => vec![Op::Restore {
            users: users.to_vec(),
            groups: groups.to_vec(),
            from: from.clone(),
            recycle_bin: *recycle_bin,
            keep_relationships: *keep_relationships,
            existing: *existing,
        }],
        Op::RestoreAd { from, .. } => vec![Op::RestoreAd {
            users: users.to_vec(),
            from: from.clone(),
        }],
        _ => users
            .iter()
            .map(|h| (Kind::User, *h))
            .chain(groups.iter().map(|h| (Kind::Group, *h)))
            .filter_map(|(k, h)| op.with_subject(k, h))
            .collect(),
    }
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
    use super::format::list;
    fn subj(u: &Option<String>, g: &Option<String>) -> String {
        match (u, g) {
            (Some(u), _) => format!("user: {u}"),
            (_, Some(g)) => format!("group: {g}"),
            _ => String::new(),
        }
    }
    /// One identity, or the sets a step names.
    fn who(
        u: &Option<String>,
        g: &Option<String>,
        us: &Option<Selection>,
        gs: &Option<Selection>,
    ) -> String {
        if u.is_some() || g.is_some() {
            return subj(u, g);
        }
        let mut parts = Vec::new();
        if let Some(us) = us {
            parts.push(format!("users: {us}"));
        }
        if let Some(gs) = gs {
            parts.push(format!("groups: {gs}"));
        }
        parts.join(", ")
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
            who(&x.user, &x.group, &x.users, &x.groups),
            d(x.from),
            x.permanently
        ),
        Step::Restore(r) => {
            let mut parts = Vec::new();
            if !r.users.is_empty_list() {
                parts.push(format!("users: {}", r.users));
            }
            if !r.groups.is_empty_list() {
                parts.push(format!("groups: {}", r.groups));
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
        Step::RestoreAd(r) => format!("restore_ad: {{users: {}, from: {}}}", r.users, r.from),
        Step::Undelete(u) => format!(
            "undelete: {{{}, in: {}}}",
            who(&u.user, &u.group, &u.users, &u.groups),
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
            who(&u.user, &u.group, &u.users, &u.groups),
            d(u.dir),
            kv(&u.set)
        ),
        Step::Assign(a) | Step::Unassign(a) => {
            let word = if matches!(s, Step::Assign(_)) {
                "assign"
            } else {
                "unassign"
            };
            let mut parts = vec![
                who(&a.user, &a.group, &a.users, &None),
                format!("in: {}", d(a.dir)),
            ];
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
        Step::Move(m) => format!(
            "move: {{{}, to: {}}}",
            who(&m.user, &m.group, &m.users, &m.groups),
            m.to
        ),
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
