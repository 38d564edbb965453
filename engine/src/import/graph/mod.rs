//! A Microsoft Graph v1.0 export: the response bodies a capture script saved, listed in a
//! `manifest.json`, or an EntraExporter folder; read into the Entra objects hysim models. See
//! docs/import.md for the capture script.
//!
//! [`read_dir`] tells the two layouts apart by `manifest.json`; [`read_body`] reads one saved
//! response without the filesystem (what the fuzzer drives).

mod body;
mod convert;
mod exporter;
mod files;
mod manifest;
mod stream;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
mod wire;

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::FxHashSet;

pub use body::{Items, Kind, Page, read_body, read_object};

use super::{InputError, Warning};

/// Where a value was read: the file and the JSON path inside it (`value[3].id`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct At {
    /// Shared by every object read from the file: a million objects do not each copy its name.
    pub file: std::sync::Arc<str>,
    pub path: String,
}

/// One user, live or in the recycle bin.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphUser {
    pub at: At,
    /// The object id, lower-cased.
    pub id: String,
    /// For a deleted user, the original UPN (the object-id prefix Graph adds is removed).
    pub user_principal_name: String,
    /// Tri-state: `Some(true)` synced now, `Some(false)` was synced, `None` never synced.
    /// (A users listing without the key is refused by the reader, not read as `None`.)
    pub on_premises_sync_enabled: Option<bool>,
    pub on_premises_immutable_id: Option<String>,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_distinguished_name: Option<String>,
    pub account_enabled: Option<bool>,
    /// `"Member"` or `"Guest"`.
    pub user_type: Option<String>,
    /// Present for recycle-bin entries: the ISO 8601 time as written.
    pub deleted_date_time: Option<String>,
    /// The scalar and string-list properties hysim models, by Graph name (`displayName`,
    /// `givenName`, `surname`, `mail`, `mailNickname`, `department`, `jobTitle`, `companyName`,
    /// `employeeId`, `officeLocation`, `city`, `country`, `mobilePhone`, `usageLocation`,
    /// `onPremisesDomainName`,
    /// `businessPhones`, `proxyAddresses`, `otherMails`), non-null values only, in that order.
    pub props: Vec<(&'static str, PropValue)>,
    /// `assignedLicenses[].skuId`, lower-cased.
    pub assigned_licenses: Vec<String>,
    /// `licenseAssignmentStates`: one per (SKU, source); empty when not captured.
    pub license_states: Vec<LicenseState>,
    /// `onPremisesProvisioningErrors`, as `(propertyCausingError, value)`.
    pub provisioning_errors: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropValue {
    Text(String),
    List(Vec<String>),
    Bool(bool),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenseState {
    pub sku_id: String,
    /// The group's id when the licence comes from group-based licensing; `None` when direct.
    pub assigned_by_group: Option<String>,
    /// `Active`, `ActiveWithError`, `Disabled`, `Error`.
    pub state: Option<String>,
    /// `None` or `"None"` on success, else e.g. `CountViolation`.
    pub error: Option<String>,
}

/// One group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphGroup {
    pub at: At,
    pub id: String,
    pub display_name: String,
    pub group_types: Vec<String>,
    pub security_enabled: Option<bool>,
    pub mail_enabled: Option<bool>,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub membership_rule: Option<String>,
    pub is_assignable_to_role: Option<bool>,
    pub on_premises_sync_enabled: Option<bool>,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_domain_name: Option<String>,
    pub mail_nickname: Option<String>,
    /// `assignedLicenses[].skuId`, lower-cased (group-based licensing).
    pub assigned_licenses: Vec<String>,
    pub deleted_date_time: Option<String>,
}

/// A member, owner or manager entry: the object's id and its `@odata.type` without the
/// `#microsoft.graph.` prefix (`user`, `group`, `orgContact`, `device`, `servicePrincipal`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ref {
    pub at: At,
    pub id: String,
    pub odata_type: String,
}

/// An app role assignment as Graph lists it for a user (group-granted rows included) or for a
/// service principal (`appRoleAssignedTo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppAssignment {
    pub at: At,
    pub principal_id: String,
    /// `User`, `Group` or `ServicePrincipal`.
    pub principal_type: String,
    pub resource_id: String,
    pub resource_display_name: String,
    pub app_role_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleAssignment {
    pub at: At,
    pub principal_id: String,
    pub role_definition_id: String,
    /// `/` tenant-wide, `/administrativeUnits/{id}` scoped.
    pub directory_scope_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    /// `(name, isDefault, isInitial)`.
    pub verified_domains: Vec<(String, bool, bool)>,
}

/// `directory/onPremisesSynchronization`: the tenant's sync features.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncFeatures {
    /// `synchronizationPreventionType` and `alertThreshold` (0 when null).
    pub deletion_prevention: Option<(String, u64)>,
    pub block_soft_match_enabled: Option<bool>,
    pub soft_match_on_upn_enabled: Option<bool>,
    pub block_cloud_object_takeover_through_hard_match_enabled: Option<bool>,
    pub bypass_dir_sync_overrides_enabled: Option<bool>,
}

/// What a Graph export holds. Maps are keyed by the lower-cased object id and ordered, so that
/// what is built from them does not depend on the order files were read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphExport {
    /// The folder read.
    pub root: String,
    /// `manifest.json`'s `capturedAt`, when present.
    pub captured_at: Option<String>,
    /// `manifest.json`'s `tenantId`, lower-cased: the tenant even when `/organization` was not
    /// captured.
    pub tenant_id: Option<String>,
    pub organization: Option<Organization>,
    pub sync: Option<SyncFeatures>,
    pub users: Vec<GraphUser>,
    pub deleted_users: Vec<GraphUser>,
    pub groups: Vec<GraphGroup>,
    pub deleted_groups: Vec<GraphGroup>,
    /// Group id → its direct members (users, groups and others, as listed).
    pub members: BTreeMap<String, Vec<Ref>>,
    pub owners: BTreeMap<String, Vec<Ref>>,
    /// User id → its manager; users whose `/manager` answered 404 map to `None`; users whose
    /// manager was not captured are absent.
    pub managers: BTreeMap<String, Option<Ref>>,
    /// Each (principal, app, role) once, where first listed: a group-granted row comes back in
    /// every member's `appRoleAssignments`, and Graph refuses a second identical assignment.
    pub app_assignments: Vec<AppAssignment>,
    /// Role definition id → display name.
    pub role_definitions: BTreeMap<String, String>,
    pub role_assignments: Vec<RoleAssignment>,
    /// skuId → skuPartNumber.
    pub skus: BTreeMap<String, String>,
    /// Which listings the export has, in the order of [`CAPTURED`], so a missing one is
    /// reported as not captured, not as empty.
    pub captured: Vec<&'static str>,
    /// `true` when read from an EntraExporter folder.
    pub entra_exporter: bool,
    pub warnings: Vec<super::Warning>,
}

/// The names [`GraphExport::captured`] uses, in its order.
pub const CAPTURED: [&str; 13] = [
    "users",
    "groups",
    "members",
    "owners",
    "managers",
    "appRoleAssignments",
    "roleDefinitions",
    "roleAssignments",
    "subscribedSkus",
    "deletedUsers",
    "deletedGroups",
    "organization",
    "onPremisesSynchronization",
];

/// Reads a Graph export folder: hysim's capture (`manifest.json` and the bodies it lists) or,
/// without a manifest, an EntraExporter folder.
pub fn read_dir(dir: &Path) -> Result<GraphExport, InputError> {
    let manifest = dir.join("manifest.json");
    if manifest.is_file() {
        return manifest::read(dir, &manifest);
    }
    if !dir.is_dir() {
        return Err(files::file_error(
            &dir.display().to_string(),
            "not a folder",
        ));
    }
    if exporter::looks_like(dir) {
        return exporter::read(dir);
    }
    Err(files::file_error(
        &dir.display().to_string(),
        "neither a Graph capture (no manifest.json, see docs/import.md) nor an EntraExporter \
         folder (no Users, Groups, Organization, … folder)",
    ))
}

/// What a response is (and whose: the group of `/groups/{id}/members`, the user of
/// `/users/{id}/manager`), from the request URL or the EntraExporter folder.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Route {
    kind: Kind,
    /// The id in the URL, lower-cased.
    owner: Option<String>,
    /// `/users?$expand=manager`: a user without a `manager` key has none.
    expand_manager: bool,
}

/// The export being filled, page by page in the layout's order.
struct Builder {
    export: GraphExport,
    captured: FxHashSet<&'static str>,
    /// `(principalId, resourceId, appRoleId)` of the app assignments already kept.
    apps: FxHashSet<(String, String, String)>,
}

impl Builder {
    fn new(dir: &Path) -> Self {
        Builder {
            export: GraphExport {
                root: dir.display().to_string(),
                ..GraphExport::default()
            },
            captured: FxHashSet::default(),
            apps: FxHashSet::default(),
        }
    }

    /// Makes room for the users and groups of `pages` at once: growing a list of a million
    /// users step by step would copy it again and again.
    fn reserve<'a>(&mut self, pages: impl Iterator<Item = (Kind, &'a Page)>) {
        let (mut users, mut groups) = (0, 0);
        for (kind, p) in pages {
            match &p.items {
                Items::Users { users: u, .. } if kind == Kind::Users => users += u.len(),
                Items::Groups(g) if kind == Kind::Groups => groups += g.len(),
                _ => {}
            }
        }
        self.export.users.reserve(users);
        self.export.groups.reserve(groups);
    }

    /// Adds the objects of one body (`file`) of the listing `route` names.
    fn add(&mut self, route: &Route, file: &str, page: Page) {
        self.export.warnings.extend(page.warnings);
        self.captured.insert(captured_name(route.kind));
        let owner = || route.owner.clone().unwrap_or_default();
        let e = &mut self.export;
        match page.items {
            Items::Users { users, managers } if route.kind == Kind::Users => {
                if route.expand_manager {
                    self.captured.insert("managers");
                    e.managers
                        .extend(users.iter().map(|u| (u.id.clone(), None)));
                }
                if !managers.is_empty() {
                    self.captured.insert("managers");
                }
                e.managers.extend(managers);
                e.users.extend(users);
            }
            Items::Users { users, .. } => e.deleted_users.extend(users),
            Items::Groups(groups) if route.kind == Kind::Groups => e.groups.extend(groups),
            Items::Groups(groups) => e.deleted_groups.extend(groups),
            Items::Refs(refs) if route.kind == Kind::Owners => {
                e.owners.entry(owner()).or_default().extend(refs);
            }
            Items::Refs(refs) => e.members.entry(owner()).or_default().extend(refs),
            Items::Manager(m) => {
                e.managers.insert(owner(), m);
            }
            Items::AppAssignments(rows) => {
                for a in rows {
                    let key = (
                        a.principal_id.clone(),
                        a.resource_id.clone(),
                        a.app_role_id.clone(),
                    );
                    if self.apps.insert(key) {
                        e.app_assignments.push(a);
                    }
                }
            }
            Items::RoleDefinitions(rows) => e.role_definitions.extend(rows),
            Items::RoleAssignments(rows) => e.role_assignments.extend(rows),
            Items::Skus(rows) => e.skus.extend(rows),
            Items::Organizations(orgs) => {
                for o in orgs {
                    if e.organization.is_none() {
                        e.organization = Some(o);
                    } else {
                        e.warnings.push(Warning {
                            at: file.to_owned(),
                            message: format!(
                                "a second organization (`{}`): the first one read is kept",
                                o.id
                            ),
                        });
                    }
                }
            }
            Items::Sync(rows) => {
                for s in rows {
                    if e.sync.is_none() {
                        e.sync = Some(s);
                    } else {
                        e.warnings.push(Warning {
                            at: file.to_owned(),
                            message: "a second synchronization object: the first one read is kept"
                                .to_owned(),
                        });
                    }
                }
            }
        }
    }

    fn finish(mut self) -> GraphExport {
        self.export.captured = CAPTURED
            .into_iter()
            .filter(|c| self.captured.contains(c))
            .collect();
        self.export
    }
}

/// The [`CAPTURED`] name of a listing.
fn captured_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Users => "users",
        Kind::DeletedUsers => "deletedUsers",
        Kind::Groups => "groups",
        Kind::DeletedGroups => "deletedGroups",
        Kind::Members => "members",
        Kind::Owners => "owners",
        Kind::Manager => "managers",
        Kind::AppRoleAssignments => "appRoleAssignments",
        Kind::RoleDefinitions => "roleDefinitions",
        Kind::RoleAssignments => "roleAssignments",
        Kind::SubscribedSkus => "subscribedSkus",
        Kind::Organization => "organization",
        Kind::OnPremisesSynchronization => "onPremisesSynchronization",
    }
}
