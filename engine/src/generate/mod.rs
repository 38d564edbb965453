//! Synthetic tenants for mass-incident runbooks: a realistic company of N users (OUs, nested AD
//! groups synced to Entra, Microsoft 365 and security groups, about 1% admins with roles, direct
//! and group-based licences, app assignments, a manager hierarchy) and a runbook for one incident
//! touching 10% of the users. Deterministic per seed. The same tenant is written as a scenario
//! file (`hysim generate`) or built in memory without YAML (`hysim bench`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use smallvec::{SmallVec, smallvec};

use crate::op::{NewObject, Op, RelationSet};
use crate::settings::Names;
use crate::settings::Settings;
use crate::store::propmap::{Str, concat};
use crate::store::{AdAttr, HandleId, Handles, Value};
use crate::sync::CycleKind;
use crate::vdc::Existing;
use crate::world::World;
use crate::{Directory, GroupType, Kind};

mod yaml;

/// The most items Veeam restores in one restore session (VDC-9); the generated runbooks split
/// their VDC restores into sessions of at most this many users. Source:
/// <https://helpcenter.veeam.com/docs/vbr/userguide/entra_id_limitations.html>
pub const VDC_SESSION_ITEMS: usize = 1000;
/// The incident a generated runbook replays.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Incident {
    /// 10% of the users deleted and purged from Entra ID; VDC restore; sync.
    Purge,
    /// An OU holding 10% of the users taken out of the sync scope; put back; sync.
    Scope,
    /// 10% of the users deleted from AD and synced away; VEAD restore; sync.
    AdDelete,
}

impl Incident {
    pub fn name(self) -> &'static str {
        match self {
            Incident::Purge => "purge",
            Incident::Scope => "scope",
            Incident::AdDelete => "ad-delete",
        }
    }
}

/// A list of static shared strings: values many generated users hold, as one string each.
macro_rules! shared {
    ($($s:literal),* $(,)?) => { &[$(arcstr::literal!($s)),*] };
}

const DEPARTMENTS: &[Str] = shared![
    "Finance",
    "Sales",
    "Engineering",
    "Marketing",
    "Support",
    "Operations",
    "Legal",
    "HR",
    "IT",
    "Research",
];
const TITLES: &[Str] = shared![
    "Analyst",
    "Engineer",
    "Manager",
    "Specialist",
    "Consultant",
    "Coordinator",
    "Director",
    "Associate",
];
const CITIES: &[Str] = shared![
    "Seattle", "London", "Paris", "Berlin", "Madrid", "Tokyo", "Sydney", "Toronto",
];
const ROLES: &[Str] = shared![
    "Global Administrator",
    "User Administrator",
    "Helpdesk Administrator",
    "Exchange Administrator",
    "Security Reader",
];
const APPS: &[Str] = shared![
    "Salesforce",
    "ServiceNow",
    "Workday",
    "SAP Concur",
    "GitHub",
    "Zoom",
];
const E3: Str = arcstr::literal!("Microsoft 365 E3");
/// The OU of the AD groups, in the sync's scope: the nested groups and their memberships are
/// synced, as a real tenant's are.
const GROUPS_OU: &str = "Groups";
const E5: Str = arcstr::literal!("Microsoft 365 E5");

/// One generated user.
#[derive(Clone, Debug)]
pub struct GenUser {
    /// Shared with the operations that name the user, and with the world's handle once created.
    pub handle: Str,
    /// Indexes into the tenant's OUs and the department, title and city lists.
    pub ou: u8,
    pub department: u8,
    pub title: u8,
    pub city: u8,
    /// Index into `users`.
    pub manager: Option<u32>,
    /// AD groups (indexes into `ad_groups`).
    pub ad_groups: SmallVec<[usize; 1]>,
    /// Cloud groups (indexes into `cloud_groups`).
    pub cloud_groups: SmallVec<[usize; 2]>,
    pub role: Option<u8>,
    pub direct_licence: bool,
    pub apps: SmallVec<[usize; 1]>,
}

/// A generated tenant and its incident.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub users: Vec<GenUser>,
    pub ous: Vec<Str>,
    /// AD groups: name and the index of the group it nests in.
    pub ad_groups: Vec<(Str, Option<usize>)>,
    /// Cloud groups: name, type, group-based licence.
    pub cloud_groups: Vec<(Str, GroupType, Option<Str>)>,
    pub incident: Incident,
    pub seed: u64,
    /// The users the incident touches (indexes), in order.
    pub touched: Vec<usize>,
}

/// The fewest users a generated tenant has for its incident to touch someone: it touches every
/// tenth user (the fifth of each ten; for `scope`, those of the fourth OU of ten).
pub const MIN_USERS: usize = 10;

impl Tenant {
    /// A tenant of `n` users. Users are spread over OUs of about 10% each, so that the `scope`
    /// incident removes one OU. Below [`MIN_USERS`] the incident touches no one, and a `purge`
    /// runbook selects nothing to restore.
    pub fn generate(n: usize, seed: u64, incident: Incident) -> Tenant {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let ou_count = 10;
        let ous: Vec<Str> = (0..ou_count)
            .map(|i| Str::from(format!("OU{i:02}")))
            .collect();
        let dept_groups = DEPARTMENTS.len();
        let team_groups = (n / 200).max(1);
        let mut ad_groups: Vec<(Str, Option<usize>)> = vec![(arcstr::literal!("All Staff"), None)];
        for d in DEPARTMENTS {
            ad_groups.push((Str::from(format!("{d} Dept")), Some(0)));
        }
        for t in 0..team_groups {
            ad_groups.push((Str::from(format!("Team {t:05}")), Some(1 + t % dept_groups)));
        }
        let cloud_count = (n / 500).max(2);
        let cloud_groups: Vec<(Str, GroupType, Option<Str>)> = (0..cloud_count)
            .map(|i| {
                if i % 2 == 0 {
                    (
                        Str::from(format!("Project {i:05}")),
                        GroupType::Microsoft365,
                        None,
                    )
                } else {
                    (
                        Str::from(format!("Licensed {i:05}")),
                        GroupType::Security,
                        Some(E5),
                    )
                }
            })
            .collect();
        let mut users = Vec::with_capacity(n);
        for i in 0..n {
            let department = rng.random_range(0..DEPARTMENTS.len()) as u8;
            // A manager hierarchy: each user reports to someone created before them.
            let manager = (i > 0).then(|| rng.random_range(0..i.min(i / 8 + 1)) as u32);
            let team = 1 + dept_groups + rng.random_range(0..team_groups);
            let mut cloud: SmallVec<[usize; 2]> = smallvec![rng.random_range(0..cloud_count)];
            if rng.random_bool(0.3) {
                cloud.push(rng.random_range(0..cloud_count));
            }
            cloud.sort_unstable();
            cloud.dedup();
            users.push(GenUser {
                handle: Str::from(format!("u{i:07}")),
                ou: (i % ou_count) as u8,
                department,
                title: rng.random_range(0..TITLES.len()) as u8,
                city: rng.random_range(0..CITIES.len()) as u8,
                manager,
                ad_groups: smallvec![team],
                cloud_groups: cloud,
                role: (i % 100 == 7).then(|| rng.random_range(0..ROLES.len()) as u8),
                direct_licence: rng.random_bool(0.8),
                apps: if rng.random_bool(0.5) {
                    smallvec![rng.random_range(0..APPS.len())]
                } else {
                    SmallVec::new()
                },
            });
        }
        let touched: Vec<usize> = match incident {
            Incident::Scope => (0..n).filter(|i| i % ou_count == 3).collect(),
            _ => (0..n).filter(|i| i % 10 == 4).collect(),
        };
        Tenant {
            users,
            ous,
            ad_groups,
            cloud_groups,
            incident,
            seed,
            touched,
        }
    }

    /// The settings of the runbook: the deletion threshold is off, as an operator who replays a
    /// mass incident on purpose sets it.
    pub fn settings(&self) -> Settings {
        Settings {
            seed: self.seed,
            deletion_threshold: None,
            ..Settings::default()
        }
    }

    pub fn names(&self) -> Names {
        Names::new("contoso.com", None, None)
    }

    /// A sample of the touched users whose relations the expectations check.
    pub fn sample(&self) -> Vec<usize> {
        let step = (self.touched.len() / 20).max(1);
        self.touched
            .iter()
            .step_by(step)
            .take(20)
            .copied()
            .collect()
    }

    /// The handle of AD group `i`: handles are numbered in the order the world creates them,
    /// AD groups, then users, then cloud groups.
    fn ad_group_id(&self, i: usize) -> HandleId {
        HandleId(i as u32)
    }
    fn user_id(&self, i: usize) -> HandleId {
        HandleId((self.ad_groups.len() + i) as u32)
    }
    fn cloud_group_id(&self, i: usize) -> HandleId {
        HandleId((self.ad_groups.len() + self.users.len() + i) as u32)
    }

    /// The tenant's handles, numbered in the order the world creates them: AD groups, users,
    /// cloud groups.
    pub fn handles(&self) -> Handles {
        let mut hs = Handles::default();
        hs.reserve(self.ad_groups.len() + self.users.len() + self.cloud_groups.len());
        let names = (self.ad_groups.iter().map(|g| (&g.0, Kind::Group)))
            .chain(self.users.iter().map(|u| (&u.handle, Kind::User)))
            .chain(self.cloud_groups.iter().map(|g| (&g.0, Kind::Group)));
        for (name, kind) in names {
            // Generated names are distinct and never reserved words.
            let _ = hs.intern(name, kind);
        }
        hs
    }

    /// The mail address of AD group `i`: the department groups are mail-enabled, as a real
    /// tenant's distribution of some groups is; the others have none.
    pub(crate) fn group_mail(&self, i: usize) -> Option<Str> {
        let dept = DEPARTMENTS.get(i.checked_sub(1)?)?;
        Some(concat(&[&dept.to_lowercase(), "-dept@contoso.com"]))
    }

    /// The app assigned to cloud group `i`, if any: every fourth group has one, so that some
    /// users hold an app through a group as well as directly.
    pub(crate) fn group_app(&self, i: usize) -> Option<&'static Str> {
        i.is_multiple_of(4)
            .then(|| APPS.get((i / 4) % APPS.len()))
            .flatten()
    }

    /// The OUs the sync reads: the users' and the groups'.
    pub fn sync_ous(&self) -> Vec<String> {
        self.ous
            .iter()
            .map(Str::to_string)
            .chain([GROUPS_OU.to_string()])
            .collect()
    }

    /// The operations that build AD (before the initial cycle).
    pub fn ad_ops(&self) -> impl Iterator<Item = Op> + '_ {
        let groups = (0..self.ad_groups.len()).map(|i| Op::Create {
            kind: Kind::Group,
            handle: self.ad_group_id(i),
            dir: Directory::Ad,
            object: NewObject {
                ou: Some(GROUPS_OU.into()),
                ad_attrs: self
                    .group_mail(i)
                    .map(|m| vec![(AdAttr::Mail, Value::from(m))])
                    .unwrap_or_default(),
                ..NewObject::default()
            },
        });
        let nesting = self
            .ad_groups
            .iter()
            .enumerate()
            .filter_map(|(i, (_, parent))| {
                let parent = (*parent)?;
                Some(Op::Assign {
                    kind: Kind::Group,
                    handle: self.ad_group_id(i),
                    dir: Directory::Ad,
                    rels: Box::new(RelationSet {
                        groups: vec![self.ad_group_id(parent)],
                        ..RelationSet::default()
                    }),
                })
            });
        let users = self.users.iter().enumerate().map(|(i, u)| Op::Create {
            kind: Kind::User,
            handle: self.user_id(i),
            dir: Directory::Ad,
            object: NewObject {
                ou: self.ous.get(usize::from(u.ou)).cloned(),
                ad_attrs: self.attrs(u),
                ..NewObject::default()
            },
        });
        let relations = self.users.iter().enumerate().map(|(i, u)| Op::Assign {
            kind: Kind::User,
            handle: self.user_id(i),
            dir: Directory::Ad,
            rels: Box::new(RelationSet {
                groups: u.ad_groups.iter().map(|g| self.ad_group_id(*g)).collect(),
                manager: u.manager.map(|m| self.user_id(m as usize)),
                ..RelationSet::default()
            }),
        });
        groups.chain(nesting).chain(users).chain(relations)
    }

    fn attrs(&self, u: &GenUser) -> Vec<(AdAttr, Value)> {
        // Values many users share are one string, as they are in a real directory's memory.
        let pick = |list: &[Str], i: usize| Value::from(list.get(i).cloned().unwrap_or_default());
        let n = u.handle.trim_start_matches('u');
        let number = Value::text(n);
        vec![
            (AdAttr::DisplayName, Value::from(concat(&["User ", n]))),
            (AdAttr::GivenName, Value::from(arcstr::literal!("User"))),
            (AdAttr::Sn, number.clone()),
            (
                AdAttr::Mail,
                Value::from(concat(&[&u.handle, "@contoso.com"])),
            ),
            (AdAttr::Department, pick(DEPARTMENTS, u.department.into())),
            (AdAttr::Title, pick(TITLES, u.title.into())),
            (AdAttr::L, pick(CITIES, u.city.into())),
            (AdAttr::EmployeeId, number),
        ]
    }

    /// The cloud objects and relations (after the initial cycle).
    pub fn cloud_ops(&self) -> impl Iterator<Item = Op> + '_ {
        let groups = self
            .cloud_groups
            .iter()
            .enumerate()
            .map(|(i, (_, t, _))| Op::Create {
                kind: Kind::Group,
                handle: self.cloud_group_id(i),
                dir: Directory::Entra,
                object: NewObject {
                    group_type: Some(*t),
                    ..NewObject::default()
                },
            });
        let licences = self
            .cloud_groups
            .iter()
            .enumerate()
            .filter_map(|(i, (_, _, l))| {
                l.as_ref().map(|l| Op::Assign {
                    kind: Kind::Group,
                    handle: self.cloud_group_id(i),
                    dir: Directory::Entra,
                    rels: Box::new(RelationSet {
                        licenses: vec![l.clone()],
                        ..RelationSet::default()
                    }),
                })
            });
        let apps = (0..self.cloud_groups.len()).filter_map(|i| {
            self.group_app(i).map(|a| Op::Assign {
                kind: Kind::Group,
                handle: self.cloud_group_id(i),
                dir: Directory::Entra,
                rels: Box::new(RelationSet {
                    apps: vec![a.clone()],
                    ..RelationSet::default()
                }),
            })
        });
        let users = self.users.iter().enumerate().map(|(i, u)| Op::Assign {
            kind: Kind::User,
            handle: self.user_id(i),
            dir: Directory::Entra,
            rels: Box::new(RelationSet {
                groups: u
                    .cloud_groups
                    .iter()
                    .map(|g| self.cloud_group_id(*g))
                    .collect(),
                roles: u
                    .role
                    .and_then(|r| ROLES.get(usize::from(r)))
                    .map(|r| vec![r.clone()])
                    .unwrap_or_default(),
                licenses: if u.direct_licence { vec![E3] } else { vec![] },
                apps: u
                    .apps
                    .iter()
                    .filter_map(|a| APPS.get(*a))
                    .cloned()
                    .collect(),
                ..RelationSet::default()
            }),
        });
        groups.chain(licences).chain(apps).chain(users)
    }

    fn touched_ids(&self) -> Vec<HandleId> {
        self.touched.iter().map(|i| self.user_id(*i)).collect()
    }

    fn touched_handles(&self) -> Vec<Str> {
        self.touched
            .iter()
            .filter_map(|i| self.users.get(*i))
            .map(|u| u.handle.clone())
            .collect()
    }

    /// The incident's operations.
    pub fn incident_ops(&self) -> Vec<Op> {
        match self.incident {
            Incident::Purge => self
                .touched_ids()
                .into_iter()
                .map(|h| Op::Delete {
                    kind: Kind::User,
                    handle: h,
                    from: Directory::Entra,
                    permanently: true,
                })
                .collect(),
            Incident::Scope => vec![
                Op::Scope {
                    add: vec![],
                    remove: vec![self.scope_ou()],
                },
                Op::Sync(CycleKind::Initial),
            ],
            Incident::AdDelete => {
                let mut ops: Vec<Op> = self
                    .touched_ids()
                    .into_iter()
                    .map(|h| Op::Delete {
                        kind: Kind::User,
                        handle: h,
                        from: Directory::Ad,
                        permanently: false,
                    })
                    .collect();
                ops.push(Op::Sync(CycleKind::Delta));
                ops
            }
        }
    }

    fn scope_ou(&self) -> String {
        self.ous.get(3).map(Str::to_string).unwrap_or_default()
    }

    /// The restore's operations (before the final cycle).
    /// The runbook's restore steps: for a purge, VDC restore sessions of at most
    /// [`VDC_SESSION_ITEMS`] users each (VDC-9).
    pub fn restore_ops(&self) -> Vec<Op> {
        match self.incident {
            // VDC-9: at most 1,000 items a session, so one session per 1,000 users.
            Incident::Purge => self
                .touched_ids()
                .chunks(VDC_SESSION_ITEMS)
                .map(|users| Op::Restore {
                    users: users.to_vec(),
                    groups: vec![],
                    from: "nightly".into(),
                    recycle_bin: true,
                    keep_relationships: true,
                    existing: Existing::Skip,
                })
                .collect(),
            Incident::Scope => vec![Op::Scope {
                add: vec![self.scope_ou()],
                remove: vec![],
            }],
            Incident::AdDelete => vec![Op::RestoreAd {
                users: self.touched_ids(),
                from: "nightly".into(),
            }],
        }
    }

    /// The final cycle: an initial cycle after a scope change, else a delta cycle.
    pub fn final_sync(&self) -> Op {
        Op::Sync(if self.incident == Incident::Scope {
            CycleKind::Initial
        } else {
            CycleKind::Delta
        })
    }

    /// How many relations the tenant has once built and synced: AD memberships, nestings and
    /// managers, each flowed to Entra ID, the cloud relations, and a join per synced object.
    pub fn relations(&self) -> usize {
        let nested = self.ad_groups.iter().filter(|g| g.1.is_some()).count();
        let ad: usize = self
            .users
            .iter()
            .map(|u| u.ad_groups.len() + usize::from(u.manager.is_some()))
            .sum::<usize>()
            + nested;
        let cloud: usize = self
            .users
            .iter()
            .map(|u| {
                u.cloud_groups.len()
                    + u.apps.len()
                    + usize::from(u.role.is_some())
                    + usize::from(u.direct_licence)
            })
            .sum::<usize>()
            + self.cloud_groups.iter().filter(|g| g.2.is_some()).count()
            + (0..self.cloud_groups.len())
                .filter(|i| self.group_app(*i).is_some())
                .count();
        let joins = self.users.len() + self.ad_groups.len();
        2 * ad + cloud + joins
    }

    /// An empty world with the tenant's settings.
    /// The tenant built as its scenario's world is: the AD objects, one initial cycle, then the
    /// cloud objects and relations.
    pub fn built(&self) -> crate::error::Result<World> {
        let mut w = self.world();
        w.set_detail(false);
        for op in self.ad_ops() {
            w.apply(&op)?;
        }
        w.apply(&Op::Sync(CycleKind::Initial))?;
        for op in self.cloud_ops() {
            w.apply(&op)?;
        }
        w.set_detail(true);
        Ok(w)
    }

    pub fn world(&self) -> World {
        // 2026-01-05T09:00:00Z, the default start of a scenario.
        let mut w = World::new(
            self.settings(),
            self.names(),
            1_767_603_600,
            std::sync::Arc::new(self.handles()),
        );
        w.set_sync_ous(Some(self.sync_ous()));
        let handles = self.users.len() + self.ad_groups.len() + self.cloud_groups.len();
        // A purge's restore re-creates the touched users as new objects with their relations.
        let recreated = match self.incident {
            Incident::Purge => self.touched.len(),
            _ => 0,
        };
        w.reserve(
            handles,
            2 * handles + recreated,
            self.relations() + recreated * 8,
        );
        w
    }
}
