//! A world's Entra side as the capture script of docs/import.md saves it: one file per Graph
//! v1.0 response body and a `manifest.json` of request URLs. Listings are paged by 999 and
//! chained by `@odata.nextLink`; managers come with the users listing (`$expand=manager`) and
//! app role assignments by service principal (`appRoleAssignedTo`), as a capture of a large
//! tenant takes them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value as Json, json};

use super::catalogue_id;
use crate::store::{EntraObject, EntraProp, EntraState, GroupType, Kind, Node, NodeIx, Rel, Store};
use crate::world::World;

const G: &str = "https://graph.microsoft.com/v1.0";
const PAGE: usize = 999;
const USER_SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,mail,mailNickname,proxyAddresses,otherMails,accountEnabled,userType,createdDateTime,department,jobTitle,companyName,employeeId,officeLocation,city,country,businessPhones,mobilePhone,usageLocation,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesSecurityIdentifier,onPremisesSamAccountName,onPremisesUserPrincipalName,onPremisesDistinguishedName,onPremisesDomainName,onPremisesLastSyncDateTime,onPremisesProvisioningErrors,assignedLicenses,licenseAssignmentStates";
const GROUP_SELECT: &str = "id,displayName,description,groupTypes,securityEnabled,mailEnabled,mail,mailNickname,proxyAddresses,membershipRule,isAssignableToRole,visibility,createdDateTime,securityIdentifier,onPremisesSyncEnabled,onPremisesSamAccountName,onPremisesSecurityIdentifier,onPremisesDomainName,onPremisesNetBiosName,onPremisesLastSyncDateTime,onPremisesProvisioningErrors,assignedLicenses";
const REF_SELECT: &str = "$select=id,displayName,userPrincipalName";

/// The capture being written: the folder and the manifest's entries.
struct Capture {
    dir: PathBuf,
    responses: Vec<Json>,
}

impl Capture {
    fn save(
        &mut self,
        url: &str,
        file: &str,
        status: u16,
        body: &impl Serialize,
    ) -> io::Result<()> {
        let path = self.dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = io::BufWriter::new(std::fs::File::create(&path)?);
        serde_json::to_writer(&mut out, body).map_err(io::Error::other)?;
        out.flush()?;
        self.responses
            .push(json!({"url": url, "status": status, "file": file}));
        Ok(())
    }

    /// A listing, paged by [`PAGE`]: `stem.json`, `stem.p2.json`… chained by nextLink. The
    /// items are made a page at a time: a million users' JSON is never held at once.
    fn listing(
        &mut self,
        url: &str,
        stem: &str,
        context: &str,
        items: impl IntoIterator<Item = Json>,
    ) -> io::Result<()> {
        let url_of = |p: usize| {
            if p == 0 {
                url.to_string()
            } else {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}$skiptoken=p{p}")
            }
        };
        let mut items = items.into_iter().peekable();
        for p in 0.. {
            let chunk: Vec<Json> = items.by_ref().take(PAGE).collect();
            let more = items.peek().is_some();
            let mut body = json!({"@odata.context": context, "value": chunk});
            if more && let Some(o) = body.as_object_mut() {
                o.insert("@odata.nextLink".into(), Json::String(url_of(p + 1)));
            }
            let file = if p == 0 {
                format!("{stem}.json")
            } else {
                format!("{stem}.p{}.json", p + 1)
            };
            self.save(&url_of(p), &file, 200, &body)?;
            if !more {
                break;
            }
        }
        Ok(())
    }
}

pub(super) fn write(w: &World, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let st = w.store();
    let mut c = Capture {
        dir: dir.to_path_buf(),
        responses: Vec::new(),
    };
    let captured_at = time(w.now());
    let entra: Vec<(NodeIx, &EntraObject)> =
        st.g.nodes()
            .filter_map(|n| Some((n, st.g.entra(n)?)))
            .collect();
    let live = |k: Kind| {
        entra
            .iter()
            .filter(move |(_, o)| o.kind == k && o.is_live())
    };
    let users = live(Kind::User).map(|(n, o)| user(st, *n, o, None));
    c.listing(
        &format!("{G}/users?$select={USER_SELECT}&$top={PAGE}&$expand=manager($select=id)"),
        "users",
        &format!("{G}/$metadata#users({USER_SELECT})"),
        users,
    )?;
    let deleted = entra
        .iter()
        .filter(|(_, o)| o.kind == Kind::User)
        .filter_map(|(n, o)| match o.state {
            EntraState::SoftDeleted { since } => Some(user(st, *n, o, Some(since))),
            _ => None,
        });
    c.listing(
        &format!("{G}/directory/deletedItems/microsoft.graph.user?$select={USER_SELECT},deletedDateTime&$top={PAGE}"),
        "deletedItems.users",
        &format!("{G}/$metadata#users({USER_SELECT},deletedDateTime)"),
        deleted,
    )?;
    let groups: Vec<(NodeIx, &EntraObject)> = live(Kind::Group).copied().collect();
    let listed = groups.iter().map(|(n, o)| group(st, *n, o));
    c.listing(
        &format!("{G}/groups?$select={GROUP_SELECT}&$top={PAGE}"),
        "groups",
        &format!("{G}/$metadata#groups({GROUP_SELECT})"),
        listed,
    )?;
    for (n, o) in &groups {
        let id = o.id.to_string();
        for (what, rel) in [("members", Rel::Member), ("owners", Rel::Owner)] {
            let refs =
                st.g.live_inc(*n, rel)
                    .filter_map(|m| st.g.entra(m))
                    .map(reference);
            c.listing(
                &format!("{G}/groups/{id}/{what}?{REF_SELECT}&$top={PAGE}"),
                &format!("groups/{id}/{what}"),
                &format!("{G}/$metadata#directoryObjects(id,displayName,userPrincipalName)"),
                refs,
            )?;
        }
    }
    catalogue(st, &mut c)?;
    organization(w, &mut c)?;
    let manifest = json!({
        "capturedAt": captured_at,
        "tenantId": catalogue_id(9, &w.names().tenant),
        "responses": c.responses,
    });
    let mut out = io::BufWriter::new(std::fs::File::create(dir.join("manifest.json"))?);
    serde_json::to_writer_pretty(&mut out, &manifest).map_err(io::Error::other)?;
    out.flush()
}

fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn text(o: &EntraObject, p: EntraProp) -> Json {
    o.props
        .text(p)
        .map_or(Json::Null, |s| Json::String(s.to_string()))
}

fn list(o: &EntraObject, p: EntraProp) -> Json {
    Json::Array(
        o.props
            .get(p)
            .map(|v| {
                v.as_list()
                    .iter()
                    .map(|s| Json::String(s.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn flag(o: &EntraObject, p: EntraProp) -> Json {
    o.props
        .get(p)
        .and_then(|v| v.as_bool())
        .map_or(Json::Null, Json::Bool)
}

fn reference(o: &EntraObject) -> Json {
    match o.kind {
        Kind::User => json!({"@odata.type": "#microsoft.graph.user", "id": o.id.to_string(),
            "displayName": text(o, EntraProp::DisplayName), "userPrincipalName": text(o, EntraProp::UserPrincipalName)}),
        Kind::Group => json!({"@odata.type": "#microsoft.graph.group", "id": o.id.to_string(),
            "displayName": text(o, EntraProp::DisplayName)}),
    }
}

/// A user as the users listing (or the recycle bin's, with `deleted`) gives it.
fn user(st: &Store, n: NodeIx, o: &EntraObject, deleted: Option<i64>) -> Json {
    let id = o.id.to_string();
    let mut upn = text(o, EntraProp::UserPrincipalName);
    if deleted.is_some()
        && let Json::String(u) = &upn
    {
        // The recycle bin shows a user's UPN behind its object id (IMPORT_FORMATS A.9).
        upn = Json::String(format!("{}{u}", id.replace('-', "")));
    }
    let direct: Vec<String> =
        st.g.live_out(n, Rel::Licence)
            .filter_map(|s| st.g.catalogue_name(s))
            .map(|s| catalogue_id(1, s))
            .collect();
    let mut states: Vec<Json> = direct
        .iter()
        .map(|s| json!({"assignedByGroup": null, "disabledPlans": [], "error": "None", "skuId": s, "state": "Active"}))
        .collect();
    let mut assigned = direct.clone();
    for g in st.g.live_out(n, Rel::Member) {
        let Some(go) = st.g.entra(g) else { continue };
        for s in
            st.g.live_out(g, Rel::Licence)
                .filter_map(|s| st.g.catalogue_name(s))
        {
            let sku = catalogue_id(1, s);
            states.push(json!({"assignedByGroup": go.id.to_string(), "disabledPlans": [], "error": "None", "skuId": sku, "state": "Active"}));
            if !assigned.contains(&sku) {
                assigned.push(sku);
            }
        }
    }
    let errors: Vec<Json> = o
        .errors
        .iter()
        .map(|e| json!({"category": "PropertyConflict", "propertyCausingError": e.prop.name(), "value": e.value.as_str()}))
        .collect();
    let mut u = json!({
        "id": id,
        "userPrincipalName": upn,
        "displayName": text(o, EntraProp::DisplayName),
        "givenName": text(o, EntraProp::GivenName),
        "surname": text(o, EntraProp::Surname),
        "mail": text(o, EntraProp::Mail),
        "mailNickname": text(o, EntraProp::MailNickname),
        "proxyAddresses": list(o, EntraProp::ProxyAddresses),
        "otherMails": [],
        "accountEnabled": flag(o, EntraProp::AccountEnabled),
        "userType": "Member",
        "createdDateTime": null,
        "department": text(o, EntraProp::Department),
        "jobTitle": text(o, EntraProp::JobTitle),
        "companyName": text(o, EntraProp::CompanyName),
        "employeeId": text(o, EntraProp::EmployeeId),
        "officeLocation": text(o, EntraProp::OfficeLocation),
        "city": text(o, EntraProp::City),
        "country": text(o, EntraProp::Country),
        "businessPhones": list(o, EntraProp::BusinessPhones),
        "mobilePhone": text(o, EntraProp::MobilePhone),
        "usageLocation": text(o, EntraProp::UsageLocation),
        "onPremisesSyncEnabled": flag(o, EntraProp::OnPremisesSyncEnabled),
        "onPremisesImmutableId": text(o, EntraProp::OnPremisesImmutableId),
        "onPremisesSecurityIdentifier": text(o, EntraProp::OnPremisesSecurityIdentifier),
        "onPremisesSamAccountName": text(o, EntraProp::OnPremisesSamAccountName),
        "onPremisesUserPrincipalName": null,
        "onPremisesDistinguishedName": text(o, EntraProp::OnPremisesDistinguishedName),
        "onPremisesDomainName": text(o, EntraProp::OnPremisesDomainName),
        "onPremisesLastSyncDateTime": null,
        "onPremisesProvisioningErrors": errors,
        "assignedLicenses": assigned.iter().map(|s| json!({"disabledPlans": [], "skuId": s})).collect::<Vec<_>>(),
        "licenseAssignmentStates": states,
    });
    if let Some(obj) = u.as_object_mut() {
        match deleted {
            Some(since) => {
                obj.insert("deletedDateTime".into(), Json::String(time(since)));
            }
            None => {
                if let Some(m) = st.g.live_out(n, Rel::Manager).find_map(|m| st.g.entra(m)) {
                    obj.insert(
                        "manager".into(),
                        json!({"@odata.type": "#microsoft.graph.user", "id": m.id.to_string()}),
                    );
                }
            }
        }
    }
    u
}

fn group(st: &Store, n: NodeIx, o: &EntraObject) -> Json {
    let unified = o.group_type == GroupType::Microsoft365;
    let mail = text(o, EntraProp::Mail);
    let licences: Vec<Json> =
        st.g.live_out(n, Rel::Licence)
            .filter_map(|s| st.g.catalogue_name(s))
            .map(|s| json!({"disabledPlans": [], "skuId": catalogue_id(1, s)}))
            .collect();
    json!({
        "id": o.id.to_string(),
        "displayName": text(o, EntraProp::DisplayName),
        "description": null,
        "groupTypes": if unified { vec!["Unified"] } else { Vec::new() },
        "securityEnabled": !unified,
        "mailEnabled": unified || !mail.is_null(),
        "mail": mail,
        "mailNickname": text(o, EntraProp::MailNickname),
        "proxyAddresses": list(o, EntraProp::ProxyAddresses),
        "membershipRule": null,
        "isAssignableToRole": null,
        "visibility": null,
        "createdDateTime": null,
        "securityIdentifier": null,
        "onPremisesSyncEnabled": flag(o, EntraProp::OnPremisesSyncEnabled),
        "onPremisesSamAccountName": text(o, EntraProp::OnPremisesSamAccountName),
        "onPremisesSecurityIdentifier": text(o, EntraProp::OnPremisesSecurityIdentifier),
        "onPremisesDomainName": text(o, EntraProp::OnPremisesDomainName),
        "onPremisesNetBiosName": null,
        "onPremisesLastSyncDateTime": null,
        "onPremisesProvisioningErrors": [],
        "assignedLicenses": licences,
    })
}

/// Role definitions and assignments, licence SKUs, and each app's assignments.
fn catalogue(st: &Store, c: &mut Capture) -> io::Result<()> {
    let mut definitions = Vec::new();
    let mut assignments = Vec::new();
    let mut skus = Vec::new();
    let mut apps = Vec::new();
    for n in st.g.nodes() {
        let holders = |rel| -> Vec<&EntraObject> {
            st.g.live_inc(n, rel)
                .filter_map(|h| st.g.entra(h))
                .collect()
        };
        match st.g.node(n) {
            Some(Node::Role(name)) => {
                let id = catalogue_id(0, name);
                definitions.push(json!({"id": id, "templateId": id, "displayName": name.as_str(), "isBuiltIn": true, "isEnabled": true}));
                for h in holders(Rel::Role) {
                    assignments.push(json!({"id": format!("{id}-{}", h.id), "principalId": h.id.to_string(), "roleDefinitionId": id, "directoryScopeId": "/"}));
                }
            }
            Some(Node::Sku(name)) => {
                let id = catalogue_id(1, name);
                skus.push(json!({"capabilityStatus": "Enabled", "skuId": id, "skuPartNumber": name.as_str(), "appliesTo": "User"}));
            }
            Some(Node::App(name)) => apps.push((n, name.clone())),
            _ => {}
        }
    }
    let dir = "roleManagement/directory";
    c.listing(
        &format!("{G}/{dir}/roleDefinitions"),
        "roleDefinitions",
        &format!("{G}/$metadata#{dir}/roleDefinitions"),
        definitions,
    )?;
    c.listing(
        &format!("{G}/{dir}/roleAssignments"),
        "roleAssignments",
        &format!("{G}/$metadata#{dir}/roleAssignments"),
        assignments,
    )?;
    c.listing(
        &format!("{G}/subscribedSkus"),
        "subscribedSkus",
        &format!("{G}/$metadata#subscribedSkus"),
        skus,
    )?;
    for (n, name) in apps {
        let sp = catalogue_id(2, &name);
        let rows: Vec<Json> =
            st.g.live_inc(n, Rel::App)
                .filter_map(|h| st.g.entra(h))
                .map(|h| {
                    json!({
                        "id": format!("{sp}-{}", h.id),
                        "appRoleId": "00000000-0000-0000-0000-000000000000",
                        "principalDisplayName": text(h, EntraProp::DisplayName),
                        "principalId": h.id.to_string(),
                        "principalType": if h.kind == Kind::User { "User" } else { "Group" },
                        "resourceDisplayName": name.as_str(),
                        "resourceId": sp,
                    })
                })
                .collect();
        c.listing(
            &format!("{G}/servicePrincipals/{sp}/appRoleAssignedTo?$top={PAGE}"),
            &format!("servicePrincipals/{sp}/appRoleAssignedTo"),
            &format!("{G}/$metadata#servicePrincipals('{sp}')/appRoleAssignedTo"),
            rows,
        )?;
    }
    Ok(())
}

/// The tenant's domains and its sync features, from the world's names and settings.
fn organization(w: &World, c: &mut Capture) -> io::Result<()> {
    let names = w.names();
    let tenant_id = catalogue_id(9, &names.tenant);
    let mut domains = vec![
        json!({"name": names.initial_domain(), "isDefault": false, "isInitial": true, "type": "Managed"}),
    ];
    for (i, d) in names.verified_domains.iter().enumerate() {
        domains
            .push(json!({"name": d, "isDefault": i == 0, "isInitial": false, "type": "Managed"}));
    }
    let select = "id,displayName,verifiedDomains,onPremisesSyncEnabled,onPremisesLastSyncDateTime";
    c.save(
        &format!("{G}/organization?$select={select}"),
        "organization.json",
        200,
        &json!({"@odata.context": format!("{G}/$metadata#organization({select})"),
            "value": [{"id": tenant_id, "displayName": names.tenant, "verifiedDomains": domains, "onPremisesSyncEnabled": true}]}),
    )?;
    let s = w.settings();
    let prevention = match s.deletion_threshold {
        Some(t) => json!({"synchronizationPreventionType": "enabledForCount", "alertThreshold": t}),
        None => json!({"synchronizationPreventionType": "disabled", "alertThreshold": 0}),
    };
    c.save(
        &format!("{G}/directory/onPremisesSynchronization"),
        "onPremisesSynchronization.json",
        200,
        &json!({"@odata.context": format!("{G}/$metadata#directory/onPremisesSynchronization"),
        "value": [{"id": tenant_id, "configuration": {"accidentalDeletionPrevention": prevention},
            "features": {
                "blockSoftMatchEnabled": s.block_soft_match,
                "softMatchOnUpnEnabled": s.soft_match_on_upn,
                "blockCloudObjectTakeoverThroughHardMatchEnabled": s.block_hard_match_takeover,
                "bypassDirSyncOverridesEnabled": s.bypass_dir_sync_overrides,
            }}]}),
    )
}
