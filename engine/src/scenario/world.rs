//! The world of a scenario as engine operations: the `world:` section's AD objects, one initial
//! cycle, cloud-only objects, then the cloud relations.

use super::format::*;
use super::validate::{Origin_, Validator, known};
use crate::Directory;
use crate::op::{NewObject, Op, RelationSet};
use crate::store::{AdAttr, GroupType, Kind};

impl Validator {
    /// The world, as operations in the order the scenario format gives: AD objects, one
    /// initial cycle, cloud-only objects, then the cloud relations.
    pub(super) fn world(&mut self, ad: &AdSpec, entra: &EntraSpec) -> Vec<(String, Op)> {
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
                            rels: Box::new(RelationSet {
                                groups: vec![self.id(h)],
                                ..RelationSet::default()
                            }),
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
                            rels: Box::new(RelationSet {
                                groups: vec![self.id(g)],
                                ..RelationSet::default()
                            }),
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
                            rels: Box::new(RelationSet {
                                manager: Some(self.id(m)),
                                ..RelationSet::default()
                            }),
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
                            rels: Box::new(RelationSet {
                                groups: vec![self.id(h)],
                                ..RelationSet::default()
                            }),
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
                            rels: Box::new(RelationSet {
                                owns: vec![self.id(h)],
                                ..RelationSet::default()
                            }),
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
                        rels: Box::new(RelationSet {
                            licenses: self.shared_all(&g.licenses),
                            ..RelationSet::default()
                        }),
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
                            rels: Box::new(RelationSet {
                                manager: Some(self.id(m)),
                                ..RelationSet::default()
                            }),
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
                    let mut rels = Box::<RelationSet>::default();
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
}
