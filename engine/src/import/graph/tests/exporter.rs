//! EntraExporter folders: one object per file, PowerShell's encodings, the gaps warned about.

use super::*;

#[test]
fn an_entra_exporter_folder_is_read_with_its_utf16_files_and_gaps_noted() {
    let d = Dir::new("exporter");
    let u1 = user(U1, "a@contoso.com", "true");
    let mut le = vec![0xFF, 0xFE];
    le.extend(
        user(U2, "b@contoso.com", "null")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    d.write(&format!("Users/{U1}/{U1}.json"), u1.as_bytes());
    d.write(&format!("Users/{U2}/{U2}.json"), &le);
    d.write(
        &format!("Groups/{GR}/{GR}.json"),
        format!(r#"{{"id":"{GR}","displayName":"Staff","groupTypes":[],"securityEnabled":true,"onPremisesSyncEnabled":true}}"#).as_bytes(),
    );
    d.write(
        &format!("Groups/{GR}/Members/{U1}/{U1}.json"),
        format!(r##"{{"@odata.type":"#microsoft.graph.user","id":"{U1}","userPrincipalName":"a@contoso.com","displayName":"A"}}"##).as_bytes(),
    );
    d.write(
        &format!("Groups/{GR}/Owners/{U2}/{U2}.json"),
        format!("\u{feff}{{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"{U2}\"}}").as_bytes(),
    );
    d.write(
        "Organization/Organization.json",
        br#"{"id":"aaaaaaaa-0000-0000-0000-000000000001","displayName":"Contoso","verifiedDomains":[{"name":"contoso.com","isDefault":true,"isInitial":false}]}"#,
    );
    d.write(
        "Directory/OnPremisesSynchronization.json",
        br#"[{"id":"x","features":{"blockSoftMatchEnabled":false}}]"#,
    );
    d.write(
        "SubscribedSkus/a_c7df/a_c7df.json",
        br#"{"id":"a_c7df","skuId":"C7DF2760-2C81-4EF7-B578-5B5392B571DF","skuPartNumber":"SPE_E3"}"#,
    );
    d.write(
        "RoleManagement/Directory/RoleDefinitions/r/r.json",
        br#"{"id":"62e90394-69f5-4237-9190-012177145e10","displayName":"Global Administrator"}"#,
    );
    d.write(
        "RoleManagement/Directory/RoleAssignments/ra/ra.json",
        format!(r##"{{"id":"ra","principalId":"{U1}","roleDefinitionId":"62e90394-69f5-4237-9190-012177145e10","directoryScopeId":"/","principal":{{"@odata.type":"#microsoft.graph.user","id":"{U1}"}}}}"##).as_bytes(),
    );
    d.write(
        "ServicePrincipals/sp/AppRoleAssignedTo/x/x.json",
        format!(r#"{{"id":"x","appRoleId":"00000000-0000-0000-0000-000000000000","principalId":"{GR}","principalType":"Group","resourceId":"sp","resourceDisplayName":"App"}}"#).as_bytes(),
    );
    let e = d.read().unwrap();
    assert!(e.entra_exporter);
    let ids: Vec<_> = e
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.on_premises_sync_enabled))
        .collect();
    assert_eq!(ids, [(U1, Some(true)), (U2, None)]);
    assert_eq!(e.users[1].at.path, ".");
    assert_eq!(e.groups[0].display_name, "Staff");
    assert_eq!(e.members[GR][0].id, U1);
    assert_eq!(e.owners[GR][0].id, U2);
    assert_eq!(
        e.organization.as_ref().unwrap().verified_domains,
        [("contoso.com".to_owned(), true, false)]
    );
    assert_eq!(
        e.sync.as_ref().unwrap().block_soft_match_enabled,
        Some(false)
    );
    assert_eq!(e.skus.len(), 1);
    assert_eq!(e.role_assignments.len(), 1);
    assert_eq!(e.app_assignments[0].principal_type, "Group");
    assert!(e.managers.is_empty());
    assert!(!e.captured.contains(&"managers") && !e.captured.contains(&"deletedUsers"));
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(
        e.warnings[0]
            .message
            .contains("managers nor the recycle bin")
    );

    // No synced user at all: probably `-CloudUsersAndGroupsOnly`.
    std::fs::remove_dir_all(d.path().join("Users").join(U1)).unwrap();
    let e = d.read().unwrap();
    assert!(
        e.warnings
            .iter()
            .any(|w| w.message.contains("-CloudUsersAndGroupsOnly")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn entra_exporter_users_without_the_hybrid_keys_are_refused() {
    let d = Dir::new("exporter-bare");
    d.write(
        &format!("Users/{U1}/{U1}.json"),
        format!(r#"{{"id":"{U1}","displayName":"A"}}"#).as_bytes(),
    );
    let err = d.read().unwrap_err();
    assert_eq!(err.path.as_deref(), Some("."));
    assert!(err.message.contains("`onPremisesSyncEnabled`"), "{err}");
    assert!(err.message.contains("EntraExporter"), "{err}");
}

#[test]
fn a_folder_of_neither_layout_is_refused() {
    let d = Dir::new("neither");
    d.write("notes.txt", b"hello");
    let err = d.read().unwrap_err();
    assert!(err.message.contains("neither"), "{err}");
    assert!(read_dir(&d.path().join("absent")).is_err());
}
