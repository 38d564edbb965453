//! A generated export of a million users, read and timed: run by hand, not in CI.

use super::*;

/// Reads a generated export of `HYSIM_GRAPH_BENCH_USERS` users (default 1,000,000) in pages of
/// 999, their groups and one members page per group of ten, and prints the time:
/// `cargo test --release -p hysim-engine graph::tests::bench -- --ignored --nocapture`.
/// `HYSIM_GRAPH_BENCH_DIR` keeps the generated folder for the next run.
#[test]
#[ignore = "a benchmark: generates about 1.7 GB of JSON"]
fn read_a_generated_export() {
    let users: usize =
        std::env::var("HYSIM_GRAPH_BENCH_USERS").map_or(1_000_000, |v| v.parse().unwrap());
    let kept = std::env::var_os("HYSIM_GRAPH_BENCH_DIR").map(PathBuf::from);
    let temp = kept.is_none().then(|| Dir::new("bench"));
    let dir = kept.unwrap_or_else(|| temp.as_ref().unwrap().path().to_owned());
    if !dir.join("manifest.json").is_file() {
        let t = std::time::Instant::now();
        generate(&dir, users);
        eprintln!("generated {users} users in {:?}", t.elapsed());
    }
    let t = std::time::Instant::now();
    let e = read_dir(&dir).unwrap();
    eprintln!(
        "read {} users, {} groups, {} member lists in {:?}",
        e.users.len(),
        e.groups.len(),
        e.members.len(),
        t.elapsed()
    );
    assert_eq!(e.users.len(), users);
}

fn generate(dir: &Path, users: usize) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let guid = |kind: u32, n: usize| format!("{kind:08x}-{:04x}-4000-8000-{n:012x}", n % 65536);
    let groups = users / 5;
    let mut manifest =
        std::io::BufWriter::new(std::fs::File::create(dir.join("manifest.json.tmp")).unwrap());
    write!(
        manifest,
        r#"{{"capturedAt":"2026-01-05T08:00:00Z","tenantId":"t","responses":["#
    )
    .unwrap();
    let mut first = true;
    let mut entry = |url: &str, file: &str| {
        let sep = if first { "" } else { "," };
        first = false;
        write!(
            manifest,
            r#"{sep}{{"url":"{url}","status":200,"file":"{file}"}}"#
        )
        .unwrap();
    };
    let sku = "c7df2760-2c81-4ef7-b578-5b5392b571df";
    let pages = users.div_ceil(999);
    let mut body = String::new();
    for p in 0..pages {
        body.clear();
        body.push_str(
            r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":["#,
        );
        for n in (p * 999)..((p + 1) * 999).min(users) {
            if n > p * 999 {
                body.push(',');
            }
            let id = guid(0x1111, n);
            write!(
                body,
                r#"{{"id":"{id}","userPrincipalName":"user{n}@contoso.com","displayName":"User Number {n}","givenName":"User","surname":"Number {n}","mail":"user{n}@contoso.com","mailNickname":"user{n}","proxyAddresses":["SMTP:user{n}@contoso.com","smtp:user{n}@contoso.onmicrosoft.com"],"otherMails":[],"accountEnabled":true,"userType":"Member","createdDateTime":"2024-02-12T11:04:19Z","department":"Department {d}","jobTitle":"Engineer","companyName":"Contoso","employeeId":"{n:08}","officeLocation":"Building {d}","city":"Seattle","country":"US","businessPhones":["+1 425 555 0100"],"mobilePhone":null,"usageLocation":"US","onPremisesSyncEnabled":true,"onPremisesImmutableId":"hVQNJFJlK0+ngN93IZHH4w==","onPremisesSecurityIdentifier":"S-1-5-21-1004336348-1177238915-682003330-{n}","onPremisesSamAccountName":"user{n}","onPremisesUserPrincipalName":"user{n}@contoso.com","onPremisesDistinguishedName":"CN=User Number {n},OU=Staff,DC=contoso,DC=com","onPremisesDomainName":"contoso.com","onPremisesLastSyncDateTime":"2026-01-05T08:12:41Z","onPremisesProvisioningErrors":[],"assignedLicenses":[{{"disabledPlans":[],"skuId":"{sku}"}}],"licenseAssignmentStates":[{{"assignedByGroup":null,"disabledPlans":[],"error":"None","lastUpdatedDateTime":"2024-02-12T11:04:19Z","skuId":"{sku}","state":"Active"}}]}}"#,
                d = n % 50
            )
            .unwrap();
        }
        let url =
            format!("https://graph.microsoft.com/v1.0/users?$select=all&$top=999&$skiptoken={p}");
        if p + 1 < pages {
            write!(body, r#"],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$select=all&$top=999&$skiptoken={}"}}"#, p + 1).unwrap();
        } else {
            body.push_str("]}");
        }
        let file = format!("users/p{p}.json");
        std::fs::create_dir_all(dir.join("users")).unwrap();
        std::fs::write(dir.join(&file), &body).unwrap();
        entry(&url, &file);
    }
    body.clear();
    body.push_str(r#"{"value":["#);
    for g in 0..groups {
        if g > 0 {
            body.push(',');
        }
        write!(body, r#"{{"id":"{}","displayName":"Group {g}","groupTypes":[],"securityEnabled":true,"mailEnabled":false,"onPremisesSyncEnabled":true}}"#, guid(0x2222, g)).unwrap();
    }
    body.push_str("]}");
    std::fs::write(dir.join("groups.json"), &body).unwrap();
    entry("https://graph.microsoft.com/v1.0/groups", "groups.json");
    for g in 0..groups {
        body.clear();
        body.push_str(r#"{"value":["#);
        for m in 0..10 {
            if m > 0 {
                body.push(',');
            }
            let id = guid(0x1111, (g * 5 + m * 7919) % users);
            write!(body, r##"{{"@odata.type":"#microsoft.graph.user","id":"{id}","displayName":"User","userPrincipalName":"u@contoso.com"}}"##).unwrap();
        }
        body.push_str("]}");
        let sub = format!("groups/{}", g / 1000);
        std::fs::create_dir_all(dir.join(&sub)).unwrap();
        let file = format!("{sub}/{g}.members.json");
        std::fs::write(dir.join(&file), &body).unwrap();
        entry(
            &format!(
                "https://graph.microsoft.com/v1.0/groups/{}/members",
                guid(0x2222, g)
            ),
            &file,
        );
    }
    write!(manifest, "]}}").unwrap();
    manifest.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(dir.join("manifest.json.tmp"), dir.join("manifest.json")).unwrap();
}
