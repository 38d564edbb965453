//! An imported tenant written as a scenario whose world has the same shape — as many users and
//! groups, the same OUs, relations, sync scope, anchors' structure and settings — with stable
//! pseudonyms for every name, UPN, mail and proxy address: a repro an engineer can share
//! without sharing their people (`hysim import --anonymize`).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::{Value as Json, json};

use super::tenant::Imported;
use crate::capture::{CapturedAd, End};
use crate::settings::SourceAnchor;
use crate::store::{AdAttr, EntraProp, GroupType, Kind, Rel};

/// The domain of every pseudonym (reserved for examples: RFC 2606).
const DOMAIN: &str = "example.com";

type Map = IndexMap<String, Json>;

/// Stable pseudonyms: one per identity, OU and value, numbered in the order first met.
#[derive(Default)]
struct Names {
    handles: Vec<String>,
    ous: BTreeMap<String, String>,
    values: BTreeMap<(AdAttr, String), String>,
    counts: BTreeMap<AdAttr, usize>,
    apps: BTreeMap<String, String>,
}

impl Names {
    fn new(imported: &Imported) -> Names {
        let users = imported
            .identities
            .iter()
            .filter(|i| i.kind == Kind::User)
            .count();
        let width = users.max(1).to_string().len().max(4);
        let (mut u, mut g) = (0, 0);
        let handles = imported
            .identities
            .iter()
            .map(|i| match i.kind {
                Kind::User => {
                    u += 1;
                    format!("user{u:0width$}")
                }
                Kind::Group => {
                    g += 1;
                    format!("group{g:04}")
                }
            })
            .collect();
        Names {
            handles,
            ..Names::default()
        }
    }

    fn handle(&self, h: u32) -> String {
        self.handles.get(h as usize).cloned().unwrap_or_default()
    }

    fn ou(&mut self, ou: &str) -> String {
        let n = self.ous.len() + 1;
        self.ous
            .entry(ou.to_string())
            .or_insert_with(|| format!("OU{n:02}"))
            .clone()
    }

    fn value(&mut self, a: AdAttr, v: &str) -> String {
        let counts = &mut self.counts;
        self.values
            .entry((a, v.to_string()))
            .or_insert_with(|| {
                let n = counts.entry(a).or_default();
                *n += 1;
                format!("{} {n}", a.name())
            })
            .clone()
    }

    fn app(&mut self, name: &str) -> String {
        let n = self.apps.len() + 1;
        self.apps
            .entry(name.to_string())
            .or_insert_with(|| format!("App {n:02}"))
            .clone()
    }
}

/// Proxy addresses of the same shape: each prefix kept (`SMTP:` primary, `smtp:`, `x500:`…),
/// each address a pseudonym of the owner.
fn proxies(who: &str, list: &[crate::store::Str]) -> Json {
    Json::Array(
        list.iter()
            .enumerate()
            .map(|(i, p)| {
                let prefix = p.split_once(':').map_or("smtp", |(x, _)| x);
                let address = if i == 0 {
                    format!("{who}@{DOMAIN}")
                } else {
                    format!("{who}.{i}@{DOMAIN}")
                };
                Json::String(format!("{prefix}:{address}"))
            })
            .collect(),
    )
}

/// An AD object's attributes with pseudonyms for everything that names a person.
fn ad_attrs(names: &mut Names, who: &str, index: usize, a: &CapturedAd, out: &mut Map) {
    let number = who.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    for (attr, v) in &a.attrs {
        let text = v.as_text().unwrap_or_default();
        let value = match attr {
            AdAttr::SamAccountName | AdAttr::Cn => continue,
            AdAttr::UserPrincipalName | AdAttr::Mail => json!(format!("{who}@{DOMAIN}")),
            AdAttr::MailNickname => json!(who),
            AdAttr::DisplayName => json!(format!("{} {number}", kind_word(a.kind))),
            AdAttr::GivenName => json!(kind_word(a.kind)),
            AdAttr::Sn | AdAttr::EmployeeId => json!(number),
            AdAttr::ProxyAddresses => proxies(who, v.as_list()),
            AdAttr::TelephoneNumber | AdAttr::Mobile => json!(format!("+1 555 {index:07}")),
            AdAttr::MsExchUsageLocation => json!(text),
            AdAttr::Enabled => json!(v.as_bool().unwrap_or(true)),
            AdAttr::ConsistencyGuid => json!(super::write::catalogue_id(7, who)),
            AdAttr::Department
            | AdAttr::Title
            | AdAttr::Company
            | AdAttr::PhysicalDeliveryOfficeName
            | AdAttr::L
            | AdAttr::Co => json!(names.value(*attr, text)),
        };
        out.insert(attr.name().to_string(), value);
    }
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::User => "User",
        Kind::Group => "Group",
    }
}

fn push(map: &mut Map, key: &str, item: String) {
    let list = map
        .entry(key.to_string())
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(list) = list {
        list.push(Json::String(item));
    }
}

/// The scenario document, its keys in the order a person writes them.
#[derive(serde::Serialize)]
struct Doc {
    title: &'static str,
    description: String,
    settings: Map,
    world: World,
    steps: Vec<&'static str>,
}

#[derive(serde::Serialize)]
struct World {
    ad: Ad,
    entra: Entra,
}

#[derive(serde::Serialize)]
struct Ad {
    domain: &'static str,
    sync_ous: Vec<String>,
    users: IndexMap<String, Map>,
    groups: IndexMap<String, Map>,
}

#[derive(serde::Serialize)]
struct Entra {
    tenant: &'static str,
    verified_domains: Vec<&'static str>,
    users: IndexMap<String, Map>,
    groups: IndexMap<String, Map>,
    roles: Map,
    licenses: Map,
    apps: Map,
}

/// The scenario text of the anonymized tenant.
pub fn scenario(imported: &Imported) -> Result<String, String> {
    let c = &imported.capture;
    let mut names = Names::new(imported);
    let who = |names: &Names, end: &End| -> Option<String> {
        match end {
            End::Ad(i) => c.ad.get(*i as usize).map(|a| names.handle(a.handle.0)),
            End::Entra(i) => c.entra.get(*i as usize).map(|e| names.handle(e.handle.0)),
            _ => None,
        }
    };
    let in_ad = |h: u32| imported.identities.get(h as usize).is_some_and(|i| i.in_ad);
    // AD objects.
    let (mut ad_users, mut ad_groups) = (IndexMap::new(), IndexMap::new());
    for (index, a) in c.ad.iter().enumerate() {
        let h = names.handle(a.handle.0);
        let mut m = Map::new();
        m.insert("ou".into(), json!(names.ou(&a.ou)));
        ad_attrs(&mut names, &h, index + 1, a, &mut m);
        match a.kind {
            Kind::User => ad_users.insert(h, m),
            Kind::Group => ad_groups.insert(h, m),
        };
    }
    // Cloud objects: the cloud-only ones in full; the recycle bin's are not carried.
    let (mut cloud_users, mut cloud_groups) = (IndexMap::new(), IndexMap::new());
    let mut not_carried = BTreeMap::<&str, usize>::new();
    for e in &c.entra {
        if e.deleted_since.is_some() {
            *not_carried.entry("objects in the recycle bin").or_default() += 1;
            continue;
        }
        if in_ad(e.handle.0) {
            continue;
        }
        if e.props
            .iter()
            .any(|(p, v)| *p == EntraProp::OnPremisesSyncEnabled && v.as_bool().is_some())
        {
            *not_carried
                .entry("cloud objects synced once, written as cloud-only")
                .or_default() += 1;
        }
        let h = names.handle(e.handle.0);
        let mut m = Map::new();
        match e.kind {
            Kind::User => {
                m.insert("userPrincipalName".into(), json!(format!("{h}@{DOMAIN}")));
                m.insert("displayName".into(), json!(h));
                cloud_users.insert(h, m);
            }
            Kind::Group => {
                let t = match e.group_type {
                    GroupType::Microsoft365 => "microsoft365",
                    GroupType::Security => "security",
                };
                m.insert("type".into(), json!(t));
                m.insert("displayName".into(), json!(h));
                cloud_groups.insert(h, m);
            }
        }
    }
    // Relations.
    let (mut roles, mut licences, mut apps) = (Map::new(), Map::new(), Map::new());
    for (from, to, rel) in &c.relations {
        let Some(f) = who(&names, from) else { continue };
        match (from, to, rel) {
            (End::Ad(_), End::Ad(_), Rel::Member) => {
                let Some(g) = who(&names, to) else { continue };
                if let Some(u) = ad_users.get_mut(&f) {
                    push(u, "groups", g);
                } else if let Some(grp) = ad_groups.get_mut(&g) {
                    push(grp, "members", f);
                }
            }
            (End::Ad(_), End::Ad(_), Rel::Manager) => {
                if let (Some(u), Some(m)) = (ad_users.get_mut(&f), who(&names, to)) {
                    u.insert("manager".into(), json!(m));
                }
            }
            (End::Entra(_), End::Entra(_), Rel::Member | Rel::Owner) => {
                let Some(g) = who(&names, to) else { continue };
                // A synced group's members come from AD; a cloud group's are written here.
                let key = if *rel == Rel::Member {
                    "members"
                } else {
                    "owners"
                };
                if let Some(grp) = cloud_groups.get_mut(&g) {
                    push(grp, key, f);
                } else if *rel == Rel::Owner && ad_groups.contains_key(&g) {
                    let grp = cloud_groups.entry(g).or_insert_with(Map::new);
                    push(grp, "owners", f);
                }
            }
            (End::Entra(_), End::Entra(_), Rel::Manager) => {
                if let (Some(u), Some(m)) = (cloud_users.get_mut(&f), who(&names, to)) {
                    u.insert("manager".into(), json!(m));
                }
            }
            (_, End::Role(r), Rel::Role) => push(&mut roles, r, f),
            (_, End::Sku(s), Rel::Licence) => push(&mut licences, s, f),
            (_, End::App(a), Rel::App) => {
                let app = names.app(a);
                push(&mut apps, &app, f);
            }
            _ => {}
        }
    }
    let ous: Vec<String> = match &imported.sync_ous {
        Some(list) => list.iter().map(|o| names.ou(o)).collect(),
        None => names.ous.values().cloned().collect(),
    };
    let mut settings = Map::new();
    settings.insert("seed".into(), json!(1));
    let s = &imported.settings;
    if let Some(a) = s.source_anchor {
        let a = match a {
            SourceAnchor::ConsistencyGuid => "ms-ds-consistencyguid",
            SourceAnchor::ObjectGuid => "objectguid",
        };
        settings.insert("source_anchor".into(), json!(a));
    }
    for (k, v) in [
        ("block_soft_match", s.block_soft_match),
        ("soft_match_on_upn", s.soft_match_on_upn),
        ("block_hard_match_takeover", s.block_hard_match_takeover),
        ("bypass_dir_sync_overrides", s.bypass_dir_sync_overrides),
    ] {
        if let Some(v) = v {
            settings.insert(k.into(), json!(v));
        }
    }
    if let Some(t) = s.deletion_threshold {
        settings.insert("deletion_threshold".into(), json!(t));
    }
    let mut description = format!(
        "Written by `hysim import --anonymize`: the shape of a real tenant ({} AD objects, {} cloud-only objects, {} relations) with pseudonyms for every name, UPN, mail and proxy address. Roles and licences keep their names; apps, OUs and attribute values are numbered.\n",
        c.ad.len(),
        cloud_users.len() + cloud_groups.len(),
        c.relations.len()
    );
    if !not_carried.is_empty() {
        description.push_str("Not carried: ");
        let parts: Vec<String> = not_carried
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        description.push_str(&parts.join(", "));
        description.push_str(".\n");
    }
    let doc = Doc {
        title: "Anonymized tenant",
        description,
        settings,
        world: World {
            ad: Ad {
                domain: DOMAIN,
                sync_ous: ous,
                users: ad_users,
                groups: ad_groups,
            },
            entra: Entra {
                tenant: "example",
                verified_domains: vec![DOMAIN],
                users: cloud_users,
                groups: cloud_groups,
                roles,
                licenses: licences,
                apps,
            },
        },
        steps: vec!["sync"],
    };
    crate::scenario::yaml::to_string(&doc)
}
