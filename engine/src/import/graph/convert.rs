//! Wire objects into hysim's model: ids lower-cased, the hybrid keys checked, a deleted user's
//! UPN restored, types and scopes normalised. Dates stay as written.

use super::super::{InputError, Warning};
use super::{
    AppAssignment, At, GraphGroup, GraphUser, LicenseState, Organization, PropValue, Ref,
    RoleAssignment, SyncFeatures, wire,
};

/// Where an object was read, kept with it so that what is built from it can say where it came from.
pub(super) fn at(file: &std::sync::Arc<str>, path: String) -> At {
    At {
        file: std::sync::Arc::clone(file),
        path,
    }
}

/// An id lower-cased in place: Graph writes ids lower-case but compares them without case, and
/// hand-edited or PowerShell-written files may not.
pub(super) fn lower(mut s: String) -> String {
    s.make_ascii_lowercase();
    s
}

/// An error about a value that parsed but cannot be used, at its JSON path.
fn semantic(at: &At, message: String) -> InputError {
    InputError {
        file: at.file.to_string(),
        line: None,
        column: None,
        path: Some(at.path.clone()),
        message,
    }
}

/// The hybrid keys a users listing must carry: without them, "never synced" and "not
/// captured" look alike.
fn require_hybrid_keys(at: &At, w: &wire::User, exporter: bool) -> Result<(), InputError> {
    let missing = if w.on_premises_sync_enabled.is_none() {
        "onPremisesSyncEnabled"
    } else if w.on_premises_immutable_id.is_none() {
        "onPremisesImmutableId"
    } else {
        return Ok(());
    };
    let why = if exporter {
        "EntraExporter's beta users were believed to carry it, this export's do not; capture the \
         users with hysim's Graph script and its documented `$select` list instead (docs/import.md)"
    } else {
        "the capture needs the documented `$select` list (docs/import.md)"
    };
    Err(semantic(
        at,
        format!(
            "the user has no `{missing}` key (a missing key is not null: it was not selected, so \
             whether the user is synced is unknown); {why}"
        ),
    ))
}

/// A user (live, or deleted when `deleted`), and its `$expand=manager` value: `None` when the
/// object has no `manager` key, `Some(None)` for `"manager": null`.
pub(super) fn user(
    at: At,
    w: wire::User,
    deleted: bool,
    exporter: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(GraphUser, Option<Option<Ref>>), InputError> {
    require_hybrid_keys(&at, &w, exporter)?;
    let id = lower(w.id);
    let upn = w.user_principal_name.unwrap_or_default();
    let user_principal_name = if deleted {
        strip_deleted_prefix(upn, &id)
    } else {
        upn
    };
    let manager = match w.manager {
        None => None,
        Some(None) => Some(None),
        Some(Some(o)) => {
            let at = At {
                file: at.file.clone(),
                path: format!("{}.manager", at.path),
            };
            Some(Some(to_ref(at, o, warnings)?))
        }
    };
    let text = [
        ("displayName", w.display_name),
        ("givenName", w.given_name),
        ("surname", w.surname),
        ("mail", w.mail),
        ("mailNickname", w.mail_nickname),
        ("department", w.department),
        ("jobTitle", w.job_title),
        ("companyName", w.company_name),
        ("employeeId", w.employee_id),
        ("officeLocation", w.office_location),
        ("city", w.city),
        ("country", w.country),
        ("mobilePhone", w.mobile_phone),
        ("usageLocation", w.usage_location),
        ("onPremisesDomainName", w.on_premises_domain_name),
    ];
    let lists = [
        ("businessPhones", w.business_phones),
        ("proxyAddresses", w.proxy_addresses),
        ("otherMails", w.other_mails),
    ];
    // Sized exactly: a million users' property lists are a large part of what is kept.
    let present = text.iter().filter(|(_, v)| v.is_some()).count()
        + lists.iter().filter(|(_, v)| v.is_some()).count();
    let mut props = Vec::with_capacity(present);
    props.extend(
        text.into_iter()
            .filter_map(|(k, v)| Some((k, PropValue::Text(v?)))),
    );
    props.extend(
        lists
            .into_iter()
            .filter_map(|(k, v)| Some((k, PropValue::List(v?)))),
    );
    let u = GraphUser {
        at,
        id,
        user_principal_name,
        on_premises_sync_enabled: w.on_premises_sync_enabled.flatten(),
        on_premises_immutable_id: w.on_premises_immutable_id.flatten(),
        on_premises_security_identifier: w.on_premises_security_identifier,
        on_premises_sam_account_name: w.on_premises_sam_account_name,
        on_premises_distinguished_name: w.on_premises_distinguished_name,
        account_enabled: w.account_enabled,
        user_type: w.user_type,
        deleted_date_time: w.deleted_date_time,
        props,
        assigned_licenses: skus(w.assigned_licenses),
        license_states: w
            .license_assignment_states
            .unwrap_or_default()
            .into_iter()
            .map(|s| LicenseState {
                sku_id: lower(s.sku_id),
                assigned_by_group: s.assigned_by_group.map(lower),
                state: s.state,
                error: s.error,
            })
            .collect(),
        provisioning_errors: w
            .on_premises_provisioning_errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                (
                    e.property_causing_error.unwrap_or_default(),
                    e.value.unwrap_or_default(),
                )
            })
            .collect(),
    };
    Ok((u, manager))
}

/// A deleted user's UPN as Graph lists it carries the object id (32 hex digits, no dashes) in
/// front of the original UPN; hysim keeps the original.
fn strip_deleted_prefix(upn: String, id: &str) -> String {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    match (upn.get(..hex.len()), upn.get(hex.len()..)) {
        (Some(head), Some(rest))
            if hex.len() == 32 && !rest.is_empty() && head.eq_ignore_ascii_case(&hex) =>
        {
            rest.to_owned()
        }
        _ => upn,
    }
}

/// The SKU ids of `assignedLicenses`: which licences the object holds, whatever their source.
fn skus(licenses: Option<Vec<wire::AssignedLicense>>) -> Vec<String> {
    licenses
        .unwrap_or_default()
        .into_iter()
        .map(|l| lower(l.sku_id))
        .collect()
}

/// A group, live or deleted.
pub(super) fn group(at: At, w: wire::Group) -> GraphGroup {
    GraphGroup {
        at,
        id: lower(w.id),
        display_name: w.display_name.unwrap_or_default(),
        group_types: w.group_types.unwrap_or_default(),
        security_enabled: w.security_enabled,
        mail_enabled: w.mail_enabled,
        mail: w.mail,
        proxy_addresses: w.proxy_addresses.unwrap_or_default(),
        membership_rule: w.membership_rule,
        is_assignable_to_role: w.is_assignable_to_role,
        on_premises_sync_enabled: w.on_premises_sync_enabled,
        on_premises_security_identifier: w.on_premises_security_identifier,
        on_premises_sam_account_name: w.on_premises_sam_account_name,
        on_premises_domain_name: w.on_premises_domain_name,
        mail_nickname: w.mail_nickname,
        assigned_licenses: skus(w.assigned_licenses),
        deleted_date_time: w.deleted_date_time,
    }
}

/// A `directoryObject` entry: its id and its type without the `#microsoft.graph.` prefix.
pub(super) fn to_ref(
    at: At,
    w: wire::Object,
    warnings: &mut Vec<Warning>,
) -> Result<Ref, InputError> {
    let Some(id) = w.id else {
        return Err(semantic(
            &at,
            "no `id`: a directory object is joined by its id".to_owned(),
        ));
    };
    let odata_type = match &w.odata_type {
        Some(t) => {
            let t = t.0.strip_prefix('#').unwrap_or(&t.0);
            match t.get(..16) {
                Some(p) if p.eq_ignore_ascii_case("microsoft.graph.") => t.get(16..).unwrap_or(t),
                _ => t,
            }
            .to_owned()
        }
        None => {
            warnings.push(Warning {
                at: format!("{}: {}", at.file, at.path),
                message: "no `@odata.type`: the object's type is unknown".to_owned(),
            });
            String::new()
        }
    };
    Ok(Ref {
        at,
        id: lower(id),
        odata_type,
    })
}

/// An app role assignment; its principal may be a user, a group or a service principal.
pub(super) fn app(at: At, w: wire::AppRoleAssignment) -> AppAssignment {
    AppAssignment {
        at,
        principal_id: lower(w.principal_id),
        principal_type: w.principal_type.unwrap_or_default(),
        resource_id: lower(w.resource_id),
        resource_display_name: w.resource_display_name.unwrap_or_default(),
        app_role_id: lower(w.app_role_id),
    }
}

/// A directory role assignment with its scope: `/`, or an administrative unit's or an app's.
pub(super) fn role_assignment(
    at: At,
    w: wire::RoleAssignment,
) -> Result<RoleAssignment, InputError> {
    let Some(scope) = w.directory_scope_id.or(w.resource_scope) else {
        return Err(semantic(
            &at,
            "no `directoryScopeId`: the assignment's scope is unknown".to_owned(),
        ));
    };
    // The scope's last segment is an id (an administrative unit's, an app's); `/` stays `/`.
    let directory_scope_id = match scope.rsplit_once('/') {
        Some((path, id)) => format!("{path}/{}", id.to_ascii_lowercase()),
        None => scope.to_ascii_lowercase(),
    };
    Ok(RoleAssignment {
        at,
        principal_id: lower(w.principal_id),
        role_definition_id: lower(w.role_definition_id),
        directory_scope_id,
    })
}

/// The tenant: its id and verified domains (`tenant` and `verified_domains` in a scenario).
pub(super) fn organization(w: wire::Organization) -> Organization {
    Organization {
        id: lower(w.id),
        display_name: w.display_name,
        verified_domains: w
            .verified_domains
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                (
                    d.name,
                    d.is_default.unwrap_or(false),
                    d.is_initial.unwrap_or(false),
                )
            })
            .collect(),
    }
}

/// The tenant's sync settings that change what Entra Connect may match and delete.
pub(super) fn sync(w: wire::OnPremisesSynchronization) -> SyncFeatures {
    let prevention = w
        .configuration
        .and_then(|c| c.accidental_deletion_prevention);
    let f = w.features;
    let flag = |get: fn(&wire::SyncFeatureFlags) -> Option<bool>| f.as_ref().and_then(get);
    SyncFeatures {
        deletion_prevention: prevention.and_then(|p| {
            Some((
                p.synchronization_prevention_type?,
                p.alert_threshold.unwrap_or(0),
            ))
        }),
        block_soft_match_enabled: flag(|f| f.block_soft_match_enabled),
        soft_match_on_upn_enabled: flag(|f| f.soft_match_on_upn_enabled),
        block_cloud_object_takeover_through_hard_match_enabled: flag(|f| {
            f.block_cloud_object_takeover_through_hard_match_enabled
        }),
        bypass_dir_sync_overrides_enabled: flag(|f| f.bypass_dir_sync_overrides_enabled),
    }
}
