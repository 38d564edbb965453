//! A Microsoft Graph v1.0 export: the response bodies a capture script saved, listed in a
//! `manifest.json`, or an EntraExporter folder; read into the Entra objects hysim models. See
//! docs/import.md for the capture script.

use std::collections::BTreeMap;

/// Where a value was read: the file and the JSON path inside it (`value[3].id`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub file: String,
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
    /// `synchronizationPreventionType` and `alertThreshold`.
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
    pub app_assignments: Vec<AppAssignment>,
    /// Role definition id → display name.
    pub role_definitions: BTreeMap<String, String>,
    pub role_assignments: Vec<RoleAssignment>,
    /// skuId → skuPartNumber.
    pub skus: BTreeMap<String, String>,
    /// Which listings the export has (`users`, `groups`, `members`, `owners`, `managers`,
    /// `appRoleAssignments`, `roleAssignments`, `subscribedSkus`, `deletedUsers`, `organization`,
    /// `onPremisesSynchronization`), so a missing one is reported as not captured, not as empty.
    pub captured: Vec<&'static str>,
    /// `true` when read from an EntraExporter folder.
    pub entra_exporter: bool,
    pub warnings: Vec<super::Warning>,
}
