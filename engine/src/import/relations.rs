//! The relations both exports give, between the objects placed: AD's members and managers by
//! DN; Entra ID's members, owners and managers by object id; licences (direct ones from each
//! user's licence states, a group's from its own list: ENTRA-6), app role assignments and
//! tenant-wide directory roles. A relation to something the model does not hold is counted.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use super::build::Builder;
use crate::capture::{Capture, End};
use crate::store::{Kind, Rel, Str};

impl<'a> Builder<'a> {
    /// Every relation both exports give, between objects placed.
    pub(super) fn relations(&mut self) {
        // Every identity is placed: the handles and unique values given are not read again,
        // and freeing them first lowers the import's peak.
        self.taken = Default::default();
        self.unique = Default::default();
        let mut rels: Vec<(End, End, Rel)> = Vec::new();
        // AD: members and managers, by DN.
        let place_of = |dn_text: &str| -> Option<(Kind, u32)> {
            let (kind, i) = self.ix.by_dn(dn_text)?;
            let places = match kind {
                Kind::User => &self.user_place,
                Kind::Group => &self.group_place,
            };
            Some((kind, places.get(i).copied().flatten()?))
        };
        for (g, gp) in self.ad.groups.iter().zip(&self.group_place) {
            let Some(gp) = *gp else { continue };
            for m in &g.members {
                match place_of(m) {
                    Some((_, mp)) => rels.push((End::Ad(mp), End::Ad(gp), Rel::Member)),
                    None => self
                        .report
                        .drop("AD member outside the imported users and groups", m),
                }
            }
        }
        for (u, up) in self.ad.users.iter().zip(&self.user_place) {
            let (Some(up), Some(m)) = (*up, &u.manager) else {
                continue;
            };
            match place_of(m) {
                Some((Kind::User, mp)) => rels.push((End::Ad(up), End::Ad(mp), Rel::Manager)),
                _ => self.report.drop("AD manager outside the imported users", m),
            }
        }
        // Entra: members, owners, managers.
        let place = |id: &str| self.entra_place.get(id).copied();
        let kind_of = |p: u32, capture: &Capture| capture.entra.get(p as usize).map(|e| e.kind);
        for (gid, members) in &self.graph.members {
            let Some(gp) = place(gid) else { continue };
            for m in members {
                match place(&m.id) {
                    Some(mp) => rels.push((End::Entra(mp), End::Entra(gp), Rel::Member)),
                    None => self.report.drop(
                        &format!("group member of type {}", member_type(&m.odata_type)),
                        &m.id,
                    ),
                }
            }
        }
        for (gid, owners) in &self.graph.owners {
            let Some(gp) = place(gid) else { continue };
            for o in owners {
                match place(&o.id).filter(|p| kind_of(*p, &self.capture) == Some(Kind::User)) {
                    Some(op) => rels.push((End::Entra(op), End::Entra(gp), Rel::Owner)),
                    None => self.report.drop(
                        &format!("group owner of type {}", member_type(&o.odata_type)),
                        &o.id,
                    ),
                }
            }
        }
        for (uid, m) in &self.graph.managers {
            let (Some(up), Some(m)) = (place(uid), m) else {
                continue;
            };
            match place(&m.id).filter(|p| kind_of(*p, &self.capture) == Some(Kind::User)) {
                Some(mp) => rels.push((End::Entra(up), End::Entra(mp), Rel::Manager)),
                None => self.report.drop(
                    &format!("manager of type {}", member_type(&m.odata_type)),
                    &m.id,
                ),
            }
        }
        // Licences: direct ones from each user's states; a group's from its own list.
        // A tenant has a few SKUs and a million licence relations: each name is made once and
        // shared by every relation to it.
        let mut sku_names: FxHashMap<&str, Str> = FxHashMap::default();
        let mut sku = |id: &'a str| -> Str {
            if let Some(name) = sku_names.get(id) {
                return name.clone();
            }
            let part = self
                .graph
                .skus
                .get(&id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| id.to_string());
            let name = Str::from(
                self.opts
                    .licence_names
                    .get(&part)
                    .cloned()
                    .unwrap_or(part)
                    .as_str(),
            );
            sku_names.insert(id, name.clone());
            name
        };
        let group_skus: FxHashMap<String, Vec<String>> = self
            .graph
            .groups
            .iter()
            .map(|g| (g.id.to_ascii_lowercase(), g.assigned_licenses.clone()))
            .collect();
        // Only read when a user's licence states were not captured.
        let mut groups_of: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        if self
            .graph
            .users
            .iter()
            .any(|u| u.license_states.is_empty() && !u.assigned_licenses.is_empty())
        {
            for (g, ms) in &self.graph.members {
                for m in ms {
                    groups_of.entry(m.id.as_str()).or_default().push(g.as_str());
                }
            }
        }
        for u in &self.graph.users {
            let Some(up) = place(&u.id) else { continue };
            let direct: BTreeSet<&'a str> = if u.license_states.is_empty() {
                // States not captured: a SKU no group of the user hands out is direct.
                let inherited: BTreeSet<&String> = groups_of
                    .get(u.id.as_str())
                    .into_iter()
                    .flatten()
                    .filter_map(|g| group_skus.get(*g))
                    .flatten()
                    .collect();
                u.assigned_licenses
                    .iter()
                    .filter(|s| !inherited.contains(s))
                    .map(String::as_str)
                    .collect()
            } else {
                u.license_states
                    .iter()
                    .filter(|s| s.assigned_by_group.is_none())
                    .map(|s| s.sku_id.as_str())
                    .collect()
            };
            for s in &u.license_states {
                if let Some(e) = s
                    .error
                    .as_deref()
                    .filter(|e| !e.eq_ignore_ascii_case("none"))
                {
                    self.report.drop(
                        &format!(
                            "licence assignment error {e} (the model holds licences without errors)"
                        ),
                        &u.user_principal_name,
                    );
                }
            }
            for s in direct {
                rels.push((End::Entra(up), End::Sku(sku(s)), Rel::Licence));
            }
        }
        for g in &self.graph.groups {
            let Some(gp) = place(&g.id) else { continue };
            for s in &g.assigned_licenses {
                rels.push((End::Entra(gp), End::Sku(sku(s)), Rel::Licence));
            }
        }
        // Apps: a user's own rows, a group's rows (a user's listing repeats them).
        let mut apps: BTreeSet<(u32, &'a str)> = BTreeSet::new();
        for a in &self.graph.app_assignments {
            match (a.principal_type.as_str(), place(&a.principal_id)) {
                ("User" | "Group", Some(p)) => {
                    apps.insert((p, a.resource_display_name.as_str()));
                }
                _ => self.report.drop(
                    &format!("app role assignment to a {}", a.principal_type),
                    &a.principal_id,
                ),
            }
        }
        let mut app_names: FxHashMap<&str, Str> = FxHashMap::default();
        for (p, app) in apps {
            let name = app_names.entry(app).or_insert_with(|| Str::from(app));
            rels.push((End::Entra(p), End::App(name.clone()), Rel::App));
        }
        // Roles: tenant-wide assignments to users.
        for r in &self.graph.role_assignments {
            let role = self
                .graph
                .role_definitions
                .get(&r.role_definition_id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| r.role_definition_id.clone());
            if r.directory_scope_id != "/" {
                self.report
                    .drop("role assignment scoped to an administrative unit", &role);
                continue;
            }
            match place(&r.principal_id).filter(|p| kind_of(*p, &self.capture) == Some(Kind::User))
            {
                Some(p) => rels.push((
                    End::Entra(p),
                    End::Role(Str::from(role.as_str())),
                    Rel::Role,
                )),
                None => self
                    .report
                    .drop("role assignment to a group or service principal", &role),
            }
        }
        self.report.relations = rels.len();
        self.capture.relations = rels;
    }
}

fn member_type(t: &str) -> &str {
    if t.is_empty() { "unknown" } else { t }
}
