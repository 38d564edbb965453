//! One response body read without the filesystem: JSON errors located, error bodies, licence
//! states, encodings, and bytes that must not panic.

use super::*;

#[test]
fn truncated_json_is_located_by_line_and_column() {
    let d = Dir::new("truncated");
    d.capture(&[(
        &format!("{G}/users"),
        200,
        "users.json",
        "{\"value\": [\n  {\"id\": \"a\",\n  \"mail\": \"x",
    )]);
    let err = d.read().unwrap_err();
    assert!(err.file.ends_with("users.json"));
    assert_eq!(err.line, Some(3));
    assert!(err.column.is_some());
    assert!(err.message.contains("truncated"), "{err}");

    let err = read_body("f.json", Kind::Groups, 200, b"{\"value\": [}").unwrap_err();
    assert_eq!((err.line, err.column), (Some(1), Some(12)));
    assert!(err.message.starts_with("malformed JSON"), "{err}");
}

#[test]
fn a_type_error_names_the_json_path_and_what_was_expected() {
    let body = page(
        &[
            user(U1, "a@contoso.com", "true"),
            user(U2, "b@contoso.com", "true")
                .replace(r#""accountEnabled":true"#, r#""accountEnabled":"yes""#),
        ],
        None,
    );
    let err = read_body("users.json", Kind::Users, 200, body.as_bytes()).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("value[1].accountEnabled"));
    assert!(err.message.contains("expected a boolean"), "{err}");
    assert!(!err.message.contains(" at line "), "{err}");
    assert!(err.line.is_some());
    let err = read_body("users.json", Kind::Users, 200, br#"{"value":[{"id":5}]}"#).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("value[0].id"));
    let err = read_body("users.json", Kind::Users, 200, br#"{"value":[{}]}"#).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("value[0]"));
    assert!(err.message.contains("missing field `id`"), "{err}");
}

#[test]
fn an_error_body_other_than_a_manager_404_is_an_error_naming_the_code() {
    let denied =
        br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}"#;
    let err = read_body("m.json", Kind::Manager, 403, denied).unwrap_err();
    assert!(err.message.contains("Authorization_RequestDenied"), "{err}");
    assert!(err.message.contains("403"), "{err}");
    let not_found = br#"{"error":{"code":"Request_ResourceNotFound","message":"gone"}}"#;
    let err = read_body("members.json", Kind::Members, 404, not_found).unwrap_err();
    assert!(err.message.contains("Request_ResourceNotFound"), "{err}");
    let err = read_body("users.json", Kind::Users, 200, denied).unwrap_err();
    assert!(err.message.contains("Authorization_RequestDenied"), "{err}");
    let err = read_body("users.json", Kind::Users, 500, br#"{"value":[]}"#).unwrap_err();
    assert!(err.message.contains("500"), "{err}");
    let err = read_body("users.json", Kind::Users, 200, br#"{"@odata.context":"x"}"#).unwrap_err();
    assert!(err.message.contains("`value`"), "{err}");
}

#[test]
fn the_same_sku_direct_and_via_a_group_gives_two_states_and_one_licence() {
    let sku = "C7DF2760-2C81-4EF7-B578-5B5392B571DF";
    let body = page(
        &[user(U1, "a@contoso.com", "true")
            .replace(r#""assignedLicenses":[]"#, &format!(r#""assignedLicenses":[{{"disabledPlans":[],"skuId":"{sku}"}}]"#))
            .replace(
                r#""licenseAssignmentStates":[]"#,
                &format!(
                    r#""licenseAssignmentStates":[
                    {{"assignedByGroup":null,"disabledPlans":[],"error":"None","lastUpdatedDateTime":"2024-01-01T00:00:00Z","skuId":"{sku}","state":"Active"}},
                    {{"assignedByGroup":"{}","disabledPlans":[],"error":null,"skuId":"{sku}","state":"Active"}}]"#,
                    GR.to_uppercase()
                ),
            )],
        None,
    );
    let p = read_body("users.json", Kind::Users, 200, body.as_bytes()).unwrap();
    let Items::Users { users, .. } = p.items else {
        panic!("not users")
    };
    let u = &users[0];
    assert_eq!(u.assigned_licenses, [sku.to_lowercase()]);
    let lower = sku.to_lowercase();
    assert_eq!(
        u.license_states,
        [
            LicenseState {
                sku_id: lower.clone(),
                assigned_by_group: None,
                state: Some("Active".into()),
                error: Some("None".into())
            },
            LicenseState {
                sku_id: lower,
                assigned_by_group: Some(GR.into()),
                state: Some("Active".into()),
                error: None
            },
        ]
    );
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let d = Dir::new("limit");
    d.write("big.json", &[b' '; 100]);
    let mut buf = Vec::new();
    let err = files::read_into(&d.path().join("big.json"), "big.json", 99, &mut buf).unwrap_err();
    assert!(err.message.contains("larger than 99 bytes"), "{err}");
    assert!(files::read_into(&d.path().join("big.json"), "big.json", 100, &mut buf).is_ok());
    assert_eq!(buf.len(), 100);
}

#[test]
fn encodings_utf8_bom_utf16_bom_and_utf16_without_bom() {
    let body = r#"{"value":[{"id":"A","displayName":"Ünïcode"}]}"#;
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend_from_slice(body.as_bytes());
    let mut le = vec![0xFF, 0xFE];
    le.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(body.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [body.as_bytes().to_vec(), bom8, le.clone(), be] {
        let p = read_body("g.json", Kind::Groups, 200, &bytes).unwrap();
        let Items::Groups(g) = p.items else {
            panic!("not groups")
        };
        assert_eq!(
            (g[0].id.as_str(), g[0].display_name.as_str()),
            ("a", "Ünïcode")
        );
    }
    let err = read_body("g.json", Kind::Groups, 200, le.get(2..).unwrap()).unwrap_err();
    assert!(
        err.message.contains("UTF-16 without a byte-order mark"),
        "{err}"
    );
    let err = read_body("g.json", Kind::Groups, 200, le.get(..7).unwrap()).unwrap_err();
    assert!(err.message.contains("odd number"), "{err}");
}

#[test]
fn strange_bytes_give_errors_not_panics() {
    let kinds = Kind::ALL;
    let inputs: [&[u8]; 8] = [
        b"",
        b"\xff",
        b"null",
        b"[]",
        b"{}",
        b"{\"value\":null}",
        b"\xef\xbb\xbf",
        b"\xff\xfe\x00\xd8",
    ];
    for kind in kinds {
        for bytes in inputs {
            let _ = read_body("f", kind, 200, bytes);
            let _ = read_object("f", kind, bytes);
        }
    }
}
