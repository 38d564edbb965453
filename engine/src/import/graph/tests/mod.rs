//! The Graph reader on small captures written to a temporary folder: paging, the hybrid keys,
//! managers, licences, the recycle bin, roles, tenant settings, errors; one body at a time
//! ([`body`]); EntraExporter folders ([`exporter`]).

mod body;
mod exporter;

use std::path::{Path, PathBuf};

use super::*;

const G: &str = "https://graph.microsoft.com/v1.0";

/// A temporary export folder, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("hysim-graph-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    /// Writes each `(url, status, file, body)` and a `manifest.json` listing them in order.
    fn capture(&self, responses: &[(&str, u16, &str, &str)]) {
        let mut listed = Vec::new();
        for (url, status, file, body) in responses {
            self.write(file, body.as_bytes());
            listed.push(serde_json::json!({"url": url, "status": status, "file": file}));
        }
        let manifest = serde_json::json!({
            "capturedAt": "2026-01-05T08:00:00Z",
            "tenantId": "AAAAAAAA-0000-0000-0000-000000000001",
            "responses": listed,
        });
        self.write("manifest.json", manifest.to_string().as_bytes());
    }

    fn read(&self) -> Result<GraphExport, InputError> {
        read_dir(&self.0)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A user object with every key of the documented `$select` list hysim checks; `sync` is the
/// JSON of `onPremisesSyncEnabled`.
fn user(id: &str, upn: &str, sync: &str) -> String {
    let immutable = if sync == "null" {
        "null".to_owned()
    } else {
        format!("\"imm-{upn}\"")
    };
    format!(
        r#"{{"id":"{id}","userPrincipalName":"{upn}","displayName":"User {upn}","mail":null,
        "proxyAddresses":[],"accountEnabled":true,"userType":"Member",
        "onPremisesSyncEnabled":{sync},"onPremisesImmutableId":{immutable},
        "onPremisesSecurityIdentifier":null,"onPremisesSamAccountName":null,
        "onPremisesDistinguishedName":null,"assignedLicenses":[],"licenseAssignmentStates":[],
        "onPremisesProvisioningErrors":[],"someBetaProperty":{{"nested":[1,2,3]}}}}"#
    )
}

fn page(values: &[String], next: Option<&str>) -> String {
    let next = next.map_or(String::new(), |n| format!(r#","@odata.nextLink":"{n}""#));
    format!(
        r#"{{"@odata.context":"{G}/$metadata#users","value":[{}]{next}}}"#,
        values.join(",")
    )
}

const U1: &str = "11111111-1111-1111-1111-111111111111";
const U2: &str = "22222222-2222-2222-2222-222222222222";
const U3: &str = "33333333-3333-3333-3333-333333333333";
const GR: &str = "99999999-9999-9999-9999-999999999999";

#[test]
fn a_paged_users_listing_is_read_in_page_order_with_the_tri_state_sync_flag() {
    let d = Dir::new("paged");
    let first = format!("{G}/users?$select=id,onPremisesSyncEnabled&$top=2");
    let second = format!("{G}/users?$select=id,onPremisesSyncEnabled&$top=2&$skiptoken=RFNwdA");
    d.capture(&[
        (
            &first,
            200,
            "users.json",
            &page(
                &[
                    user(U1, "a@contoso.com", "true"),
                    user(U2, "b@contoso.com", "false"),
                ],
                Some(&second),
            ),
        ),
        (
            &second,
            200,
            "users.p2.json",
            &page(&[user(U3, "c@contoso.com", "null")], None),
        ),
    ]);
    let e = d.read().unwrap();
    let ids: Vec<&str> = e.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, [U1, U2, U3]);
    let sync: Vec<_> = e.users.iter().map(|u| u.on_premises_sync_enabled).collect();
    assert_eq!(sync, [Some(true), Some(false), None]);
    assert_eq!(
        e.users[1].on_premises_immutable_id.as_deref(),
        Some("imm-b@contoso.com")
    );
    assert_eq!(e.users[2].on_premises_immutable_id, None);
    assert_eq!(e.users[1].at.path, "value[1]");
    assert!(e.users[2].at.file.ends_with("users.p2.json"));
    assert_eq!(
        e.users[0].props.first(),
        Some(&("displayName", PropValue::Text("User a@contoso.com".into())))
    );
    // `mail: null` is left out; `proxyAddresses: []` is kept as an empty list.
    assert!(!e.users[0].props.iter().any(|(k, _)| *k == "mail"));
    assert!(
        e.users[0]
            .props
            .contains(&("proxyAddresses", PropValue::List(vec![])))
    );
    assert_eq!(e.captured, ["users"]);
    assert_eq!(e.captured_at.as_deref(), Some("2026-01-05T08:00:00Z"));
    assert_eq!(
        e.tenant_id.as_deref(),
        Some("aaaaaaaa-0000-0000-0000-000000000001")
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn users_without_the_hybrid_select_keys_are_refused_naming_the_key_and_the_path() {
    let d = Dir::new("noselect");
    let bare = format!(r#"{{"id":"{U2}","userPrincipalName":"b@contoso.com","displayName":"B"}}"#);
    d.capture(&[(
        &format!("{G}/users"),
        200,
        "users.json",
        &page(&[user(U1, "a@contoso.com", "true"), bare], None),
    )]);
    let err = d.read().unwrap_err();
    assert!(err.file.ends_with("users.json"), "{err}");
    assert_eq!(err.path.as_deref(), Some("value[1]"));
    assert!(err.message.contains("`onPremisesSyncEnabled`"), "{err}");
    assert!(err.message.contains("$select"), "{err}");
    assert!(err.message.contains("docs/import.md"), "{err}");

    let d = Dir::new("noimmutable");
    let partial = format!(r#"{{"id":"{U2}","onPremisesSyncEnabled":null}}"#);
    d.capture(&[(
        &format!("{G}/users"),
        200,
        "users.json",
        &page(&[partial], None),
    )]);
    let err = d.read().unwrap_err();
    assert_eq!(err.path.as_deref(), Some("value[0]"));
    assert!(err.message.contains("`onPremisesImmutableId`"), "{err}");
}

#[test]
fn a_next_link_with_no_capture_is_a_broken_chain() {
    let d = Dir::new("broken");
    let lost = format!("{G}/users?$skiptoken=lost");
    d.capture(&[(
        &format!("{G}/users"),
        200,
        "users.json",
        &page(&[user(U1, "a@contoso.com", "true")], Some(&lost)),
    )]);
    let err = d.read().unwrap_err();
    assert!(err.file.ends_with("users.json"), "{err}");
    assert_eq!(err.path.as_deref(), Some("@odata.nextLink"));
    assert!(
        err.message.contains("a broken @odata.nextLink chain"),
        "{err}"
    );
}

#[test]
fn a_next_link_loop_stops_the_listing_with_a_warning() {
    let d = Dir::new("loop");
    let first = format!("{G}/users");
    let second = format!("{G}/users?$skiptoken=2");
    d.capture(&[
        (
            &first,
            200,
            "users.json",
            &page(&[user(U1, "a@contoso.com", "true")], Some(&second)),
        ),
        (
            &second,
            200,
            "users.p2.json",
            &page(&[user(U2, "b@contoso.com", "true")], Some(&first)),
        ),
    ]);
    let e = d.read().unwrap();
    assert_eq!(e.users.len(), 2);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(e.warnings[0].at.ends_with("users.p2.json: @odata.nextLink"));
    assert!(e.warnings[0].message.contains("paging loop"));
}

#[test]
fn a_manager_404_is_no_manager_and_expand_manager_is_read() {
    let d = Dir::new("manager");
    let none = r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'manager' does not exist or one of its queried reference-property objects are not present.","innerError":{"date":"2026-01-05T08:00:00","request-id":"r","client-request-id":"c"}}}"#;
    let some = format!(
        r##"{{"@odata.context":"{G}/$metadata#directoryObjects/$entity","@odata.type":"#microsoft.graph.user","id":"{}","displayName":"C"}}"##,
        U3.to_uppercase()
    );
    d.capture(&[
        (
            &format!("{G}/users/{U1}/manager?$select=id"),
            404,
            "users/1/manager.json",
            none,
        ),
        (
            &format!("{G}/users/{U2}/manager?$select=id"),
            200,
            "users/2/manager.json",
            &some,
        ),
    ]);
    let e = d.read().unwrap();
    assert_eq!(e.managers.get(U1), Some(&None));
    let m = e.managers.get(U2).unwrap().as_ref().unwrap();
    assert_eq!(
        (m.id.as_str(), m.odata_type.as_str(), m.at.path.as_str()),
        (U3, "user", ".")
    );
    assert_eq!(e.captured, ["managers"]);

    let d = Dir::new("expand");
    let with = user(U1, "a@contoso.com", "true").replace(
        r#""id":"#,
        &format!(r##""manager":{{"@odata.type":"#microsoft.graph.user","id":"{U3}"}},"id":"##),
    );
    let null = user(U3, "c@contoso.com", "true").replace(r#""id":"#, r#""manager":null,"id":"#);
    d.capture(&[(
        &format!("{G}/users?$select=id&%24expand=manager($select=id)"),
        200,
        "users.json",
        &page(&[with, user(U2, "b@contoso.com", "true"), null], None),
    )]);
    let e = d.read().unwrap();
    assert_eq!(e.managers.get(U1).unwrap().as_ref().unwrap().id, U3);
    assert_eq!(
        e.managers.get(U1).unwrap().as_ref().unwrap().at.path,
        "value[0].manager"
    );
    assert_eq!(e.managers.get(U2), Some(&None));
    assert_eq!(e.managers.get(U3), Some(&None));
    assert_eq!(e.captured, ["users", "managers"]);
}

#[test]
fn app_role_assignments_keep_group_granted_rows_once() {
    let d = Dir::new("apps");
    let row = |principal: &str, kind: &str| {
        format!(
            r#"{{"id":"uNYDoxLHt0ihOOxZPM-MjsjXZhW4yHKcaJ03A6tT0xk","deletedDateTime":null,"appRoleId":"00000000-0000-0000-0000-000000000000","createdDateTime":"2024-02-12T11:04:19.3127361Z","principalDisplayName":"X","principalId":"{principal}","principalType":"{kind}","resourceDisplayName":"Salesforce","resourceId":"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"}}"#
        )
    };
    let u1 = format!(r#"{{"value":[{},{}]}}"#, row(U1, "User"), row(GR, "Group"));
    let u2 = format!(r#"{{"value":[{}]}}"#, row(GR, "Group"));
    d.capture(&[
        (
            &format!("{G}/users/{U1}/appRoleAssignments"),
            200,
            "a1.json",
            &u1,
        ),
        (
            &format!("{G}/users/{U2}/appRoleAssignments"),
            200,
            "a2.json",
            &u2,
        ),
    ]);
    let e = d.read().unwrap();
    let rows: Vec<_> = e
        .app_assignments
        .iter()
        .map(|a| (a.principal_id.as_str(), a.principal_type.as_str()))
        .collect();
    assert_eq!(rows, [(U1, "User"), (GR, "Group")]);
    assert_eq!(
        e.app_assignments[1].resource_id,
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    );
    assert_eq!(e.app_assignments[1].resource_display_name, "Salesforce");
    assert_eq!(e.captured, ["appRoleAssignments"]);
}

#[test]
fn a_deleted_user_loses_the_object_id_prefix_of_its_upn() {
    let d = Dir::new("deleted");
    let hex = U1.replace('-', "");
    let prefixed = user(U1, &format!("{hex}alice@contoso.com"), "true").replace(
        r#""id":"#,
        r#""deletedDateTime":"2024-02-12T11:04:19.3127361Z","id":"#,
    );
    let plain = user(U2, "bob@contoso.com", "null");
    d.capture(&[
        (
            &format!("{G}/directory/deletedItems/microsoft.graph.user?$select=id,deletedDateTime"),
            200,
            "deleted.json",
            &page(&[prefixed, plain], None),
        ),
        (
            &format!("{G}/directory/deletedItems/microsoft.graph.group"),
            200,
            "deletedGroups.json",
            &format!(r#"{{"value":[{{"id":"{GR}","displayName":"Team","groupTypes":["Unified"],"deletedDateTime":"2024-02-13T00:00:00Z"}}]}}"#),
        ),
    ]);
    let e = d.read().unwrap();
    assert!(e.users.is_empty());
    assert_eq!(e.deleted_users[0].user_principal_name, "alice@contoso.com");
    assert_eq!(
        e.deleted_users[0].deleted_date_time.as_deref(),
        Some("2024-02-12T11:04:19.3127361Z")
    );
    assert_eq!(e.deleted_users[1].user_principal_name, "bob@contoso.com");
    assert_eq!(e.deleted_groups[0].group_types, ["Unified"]);
    assert_eq!(e.captured, ["deletedUsers", "deletedGroups"]);
}

#[test]
fn role_assignments_keep_their_scope_tenant_wide_or_administrative_unit() {
    let d = Dir::new("roles");
    let defs = r#"{"value":[{"id":"62E90394-69F5-4237-9190-012177145E10","displayName":"Global Administrator","isBuiltIn":true,"rolePermissions":[{"allowedResourceActions":["*"]}]},
        {"id":"fe930be7-5e62-47db-91af-98c3a49a38b1","displayName":"User Administrator"}]}"#;
    let assignments = format!(
        r##"{{"value":[
        {{"id":"lAPpYvVpN0KRkAEhdxReEJ","principalId":"{U1}","roleDefinitionId":"62e90394-69f5-4237-9190-012177145e10","directoryScopeId":"/"}},
        {{"id":"x","principalId":"{GR}","roleDefinitionId":"fe930be7-5e62-47db-91af-98c3a49a38b1","directoryScopeId":"/administrativeUnits/5D107BBA-BC7A-4DA1-B3CC-F0BF1AE1F7C1","principal":{{"@odata.type":"#microsoft.graph.group","id":"{GR}"}}}},
        {{"id":"y","principalId":"{U2}","roleDefinitionId":"fe930be7-5e62-47db-91af-98c3a49a38b1","resourceScope":"/"}}]}}"##
    );
    d.capture(&[
        (
            &format!("{G}/roleManagement/directory/roleDefinitions"),
            200,
            "roleDefinitions.json",
            defs,
        ),
        (
            &format!("{G}/roleManagement/directory/roleAssignments"),
            200,
            "roleAssignments.json",
            &assignments,
        ),
    ]);
    let e = d.read().unwrap();
    assert_eq!(
        e.role_definitions
            .get("62e90394-69f5-4237-9190-012177145e10")
            .map(String::as_str),
        Some("Global Administrator")
    );
    let scopes: Vec<_> = e
        .role_assignments
        .iter()
        .map(|r| r.directory_scope_id.as_str())
        .collect();
    assert_eq!(
        scopes,
        [
            "/",
            "/administrativeUnits/5d107bba-bc7a-4da1-b3cc-f0bf1ae1f7c1",
            "/"
        ]
    );
    assert_eq!(e.role_assignments[1].principal_id, GR);
    assert_eq!(e.captured, ["roleDefinitions", "roleAssignments"]);
}

#[test]
fn organization_skus_and_sync_features_are_read() {
    let d = Dir::new("tenant");
    let org = r#"{"value":[{"id":"AAAAAAAA-0000-0000-0000-000000000001","displayName":"Contoso","verifiedDomains":[
        {"capabilities":"Email, OfficeCommunicationsOnline","isDefault":true,"isInitial":false,"name":"contoso.com","type":"Managed"},
        {"capabilities":"Email","isDefault":false,"isInitial":true,"name":"contoso.onmicrosoft.com","type":"Managed"}]}]}"#;
    let sync = r#"{"value":[{"id":"aaaaaaaa-0000-0000-0000-000000000001",
        "configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"enabledForCount","alertThreshold":500},"synchronizationInterval":"PT30M"},
        "features":{"blockSoftMatchEnabled":true,"softMatchOnUpnEnabled":false,"blockCloudObjectTakeoverThroughHardMatchEnabled":true,"passwordSyncEnabled":true}}]}"#;
    let skus = r#"{"value":[{"accountId":"a","id":"a_c7df2760","skuId":"C7DF2760-2C81-4EF7-B578-5B5392B571DF","skuPartNumber":"SPE_E3","prepaidUnits":{"enabled":25},"servicePlans":[]}]}"#;
    d.capture(&[
        (
            &format!("{G}/organization?$select=id,displayName,verifiedDomains"),
            200,
            "organization.json",
            org,
        ),
        (
            &format!("{G}/directory/onPremisesSynchronization"),
            200,
            "onPremisesSynchronization.json",
            sync,
        ),
        (
            &format!("{G}/subscribedSkus"),
            200,
            "subscribedSkus.json",
            skus,
        ),
    ]);
    let e = d.read().unwrap();
    let o = e.organization.as_ref().unwrap();
    assert_eq!(o.id, "aaaaaaaa-0000-0000-0000-000000000001");
    assert_eq!(o.display_name.as_deref(), Some("Contoso"));
    assert_eq!(
        o.verified_domains,
        [
            ("contoso.com".to_owned(), true, false),
            ("contoso.onmicrosoft.com".to_owned(), false, true)
        ]
    );
    assert_eq!(
        e.sync,
        Some(SyncFeatures {
            deletion_prevention: Some(("enabledForCount".to_owned(), 500)),
            block_soft_match_enabled: Some(true),
            soft_match_on_upn_enabled: Some(false),
            block_cloud_object_takeover_through_hard_match_enabled: Some(true),
            bypass_dir_sync_overrides_enabled: None,
        })
    );
    assert_eq!(
        e.skus
            .get("c7df2760-2c81-4ef7-b578-5b5392b571df")
            .map(String::as_str),
        Some("SPE_E3")
    );
    assert_eq!(
        e.captured,
        [
            "subscribedSkus",
            "organization",
            "onPremisesSynchronization"
        ]
    );
}

#[test]
fn members_of_every_type_are_kept_as_refs_with_their_type() {
    let d = Dir::new("members");
    let members = format!(
        r##"{{"@odata.context":"{G}/$metadata#directoryObjects(id,displayName,userPrincipalName)","value":[
        {{"@odata.type":"#microsoft.graph.user","id":"{U1}","displayName":"A","userPrincipalName":"a@contoso.com"}},
        {{"@odata.type":"#microsoft.graph.group","id":"{U2}","displayName":"Nested"}},
        {{"@odata.type":"#microsoft.graph.servicePrincipal","id":"{U3}","displayName":null}},
        {{"@odata.type":"#microsoft.graph.device","id":"44444444-4444-4444-4444-444444444444"}},
        {{"id":"55555555-5555-5555-5555-555555555555"}}]}}"##
    );
    let owners =
        format!(r##"{{"value":[{{"@odata.type":"#microsoft.graph.user","id":"{U1}"}}]}}"##);
    let empty = r#"{"value":[]}"#;
    d.capture(&[
        (
            &format!("{G}/groups/{}/members?$select=id", GR.to_uppercase()),
            200,
            "groups/g/members.json",
            &members,
        ),
        (
            &format!("{G}/groups/{GR}/owners"),
            200,
            "groups/g/owners.json",
            &owners,
        ),
        (
            &format!("{G}/groups/{U2}/members"),
            200,
            "groups/n/members.json",
            empty,
        ),
    ]);
    let e = d.read().unwrap();
    let types: Vec<_> = e.members[GR]
        .iter()
        .map(|r| r.odata_type.as_str())
        .collect();
    assert_eq!(types, ["user", "group", "servicePrincipal", "device", ""]);
    assert_eq!(e.members[GR][2].id, U3);
    assert_eq!(e.members[U2], []);
    assert_eq!(e.owners[GR][0].id, U1);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(e.warnings[0].at.ends_with("members.json: value[4]"));
    assert_eq!(e.captured, ["members", "owners"]);
}

#[test]
fn an_unrecognised_url_is_skipped_with_a_warning_and_a_retry_replaces_a_capture() {
    let d = Dir::new("unknown");
    let users = format!("{G}/users");
    d.capture(&[
        (
            &format!("{G}/applications"),
            200,
            "apps.json",
            r#"{"value":[]}"#,
        ),
        (
            &users,
            429,
            "users.429.json",
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        ),
        (
            &users,
            200,
            "users.json",
            &page(&[user(U1, "a@contoso.com", "true")], None),
        ),
    ]);
    let e = d.read().unwrap();
    assert_eq!(e.users.len(), 1);
    let messages: Vec<_> = e.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("captured again later")));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("not a request hysim reads"))
    );
}

#[test]
fn a_manifest_naming_a_file_outside_the_folder_or_a_missing_file_is_refused() {
    let d = Dir::new("outside");
    d.write(
        "manifest.json",
        format!(r#"{{"responses":[{{"url":"{G}/users","status":200,"file":"../users.json"}}]}}"#)
            .as_bytes(),
    );
    let err = d.read().unwrap_err();
    assert_eq!(err.path.as_deref(), Some("responses[0].file"));
    d.write(
        "manifest.json",
        format!(r#"{{"responses":[{{"url":"{G}/users","status":200,"file":"missing.json"}}]}}"#)
            .as_bytes(),
    );
    let err = d.read().unwrap_err();
    assert!(err.file.ends_with("missing.json"), "{err}");
    assert!(err.message.starts_with("cannot read"), "{err}");
    d.write(
        "manifest.json",
        br#"{"responses":[{"url":"x","file":"y"}]}"#,
    );
    let err = d.read().unwrap_err();
    assert_eq!(err.path.as_deref(), Some("responses[0]"));
    assert!(err.message.contains("status"), "{err}");
}

#[test]
fn urls_are_classified_by_path_ignoring_host_version_case_and_query() {
    let kind = |u: &str| manifest::classify(u).map(|r| (r.kind, r.owner));
    assert_eq!(
        kind(&format!("{G}/users?$select=id&$top=999")),
        Some((Kind::Users, None))
    );
    assert_eq!(
        kind("https://graph.microsoft.com/beta/Groups"),
        Some((Kind::Groups, None))
    );
    assert_eq!(
        kind("/v1.0/groups/ABC/members/"),
        Some((Kind::Members, Some("abc".to_owned())))
    );
    assert_eq!(
        kind("/groups/abc/owners"),
        Some((Kind::Owners, Some("abc".to_owned())))
    );
    assert_eq!(
        kind(&format!("{G}/users/a%40contoso.com/manager")),
        Some((Kind::Manager, Some("a@contoso.com".to_owned())))
    );
    assert_eq!(
        kind(&format!("{G}/servicePrincipals/S/appRoleAssignedTo")).map(|k| k.0),
        Some(Kind::AppRoleAssignments)
    );
    assert_eq!(
        kind(&format!("{G}/directory/deletedItems/microsoft.graph.group")).map(|k| k.0),
        Some(Kind::DeletedGroups)
    );
    assert_eq!(kind(&format!("{G}/directory/deletedItems")), None);
    assert_eq!(kind(&format!("{G}/users/x")), None);
    assert_eq!(kind(&format!("{G}/me")), None);
    let expand = manifest::classify(&format!("{G}/users?$expand=manager($select=id)")).unwrap();
    assert!(expand.expand_manager);
    assert!(
        !manifest::classify(&format!("{G}/users?$select=manager"))
            .unwrap()
            .expand_manager
    );
}

#[test]
fn reading_is_deterministic_across_many_pages() {
    let d = Dir::new("many");
    let mut responses = Vec::new();
    let mut bodies = Vec::new();
    for g in 0..200 {
        let url = format!("{G}/groups/{g:08x}-0000-0000-0000-000000000000/members");
        let body = format!(
            r##"{{"value":[{{"@odata.type":"#microsoft.graph.user","id":"{g:08X}-1111-1111-1111-111111111111"}}]}}"##
        );
        bodies.push((url, format!("m/{g}.json"), body));
    }
    for (url, file, body) in &bodies {
        responses.push((url.as_str(), 200, file.as_str(), body.as_str()));
    }
    d.capture(&responses);
    let a = d.read().unwrap();
    assert_eq!(a.members.len(), 200);
    assert_eq!(
        a.members["000000c7-0000-0000-0000-000000000000"][0].id,
        "000000c7-1111-1111-1111-111111111111"
    );
    assert_eq!(a, d.read().unwrap());
}
