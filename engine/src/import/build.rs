//! Each identity of the join named with a handle people recognise and placed in the capture:
//! its AD object with the attributes the model holds, its Entra objects with their ids, the
//! sync's join, and the unique values Entra ID keeps unique (ID-4).

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use super::InputError;
use super::dn;
use super::graph::{GraphExport, GraphGroup, GraphUser, PropValue};
use super::join::{AdIndex, Slot, cloud_group_type};
use super::ldif::{AdExport, AdGroup, AdUser};
use super::report::ImportReport;
use super::tenant::{Identity, Options, parse_time};
use crate::capture::{Capture, CapturedAd, CapturedEntra, parse_domain_sid};
use crate::entra::{Unique, key_text, proxy_key, unique_in, unique_of};
use crate::store::handles::RESERVED_HANDLES;
use crate::store::{AdAttr, EntraProp, GroupType, Guid, HandleId, Kind, Str, Time, Value};

fn attr<'a>(attrs: &'a [(&'static str, Vec<String>)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

pub(super) fn ad_group_name(g: &AdGroup) -> String {
    attr(&g.attrs, "displayName")
        .map(str::to_string)
        .or_else(|| dn::first_value(&g.dn))
        .or_else(|| g.sam.clone())
        .unwrap_or_else(|| g.dn.clone())
}

/// The domain of an AD export, from the `DC=` components ending its DNs.
#[derive(Clone, Debug)]
struct DomainSuffix {
    domain: String,
    /// `dc=contoso,dc=com`, as [`dn::key`] writes it.
    key: String,
}

fn domain_suffix(ad: &AdExport) -> Option<DomainSuffix> {
    let first = ad
        .users
        .first()
        .map(|u| &u.dn)
        .or_else(|| ad.groups.first().map(|g| &g.dn))
        .or_else(|| ad.ous.first())?;
    let key = dn::key(first);
    let parts: Vec<&str> = key.split(',').collect();
    let dcs: Vec<&str> = parts
        .iter()
        .rev()
        .take_while(|p| p.starts_with("dc="))
        .copied()
        .collect();
    if dcs.is_empty() {
        return None;
    }
    let domain = dcs
        .iter()
        .rev()
        .filter_map(|p| p.strip_prefix("dc="))
        .collect::<Vec<_>>()
        .join(".");
    let key = dcs.iter().rev().copied().collect::<Vec<_>>().join(",");
    Some(DomainSuffix { domain, key })
}

/// The fields of an LDIF record that users and groups share.
struct AdRecord<'r> {
    dn: &'r str,
    line: usize,
    sam: Option<&'r str>,
    guid: Option<[u8; 16]>,
    sid: Option<&'r str>,
    attrs: &'r [(&'static str, Vec<String>)],
}

/// Builds the capture, identity by identity.
pub(super) struct Builder<'a> {
    pub(super) ad: &'a AdExport,
    pub(super) graph: &'a GraphExport,
    pub(super) ix: &'a AdIndex<'a>,
    pub(super) opts: &'a Options,
    pub(super) capture: Capture,
    pub(super) identities: Vec<Identity>,
    /// Handles given, lower-cased.
    pub(super) taken: FxHashSet<String>,
    /// AD user record → place in the capture.
    pub(super) user_place: Vec<Option<u32>>,
    /// AD group record → place in the capture.
    pub(super) group_place: Vec<Option<u32>>,
    /// Entra object id → place in the capture.
    pub(super) entra_place: FxHashMap<&'a str, u32>,
    /// Unique values of live Entra objects (ID-4), as compared → the identity holding them.
    pub(super) unique: FxHashMap<(Unique, String), u32>,
    pub(super) report: ImportReport,
    pub(super) errors: Vec<InputError>,
    pub(super) sync_ous: BTreeSet<String>,
    /// AD users with no live synced cloud object: (identity, OU).
    pub(super) unsynced: Vec<(usize, String, u32)>,
    domain_suffix: Option<DomainSuffix>,
    /// The model's OU of each parent DN met (a tenant has few OUs and many objects).
    ous: FxHashMap<&'a str, Str>,
}

/// What the builder made.
pub(super) struct Built {
    pub capture: Capture,
    pub identities: Vec<Identity>,
    pub report: ImportReport,
    /// The OUs holding a synced object: the sync scope, when it is not given.
    pub synced_ous: BTreeSet<String>,
    /// AD objects with no live synced cloud object: (identity, OU, place in the capture).
    pub unsynced: Vec<(usize, String, u32)>,
    /// The AD domain, from the DNs.
    pub domain: Option<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        ad: &'a AdExport,
        graph: &'a GraphExport,
        ix: &'a AdIndex<'a>,
        opts: &'a Options,
        report: ImportReport,
    ) -> Self {
        Builder {
            ad,
            graph,
            ix,
            opts,
            capture: Capture::default(),
            identities: Vec::new(),
            taken: FxHashSet::default(),
            user_place: vec![None; ad.users.len()],
            group_place: vec![None; ad.groups.len()],
            entra_place: FxHashMap::default(),
            unique: FxHashMap::default(),
            report,
            errors: Vec::new(),
            sync_ous: BTreeSet::new(),
            unsynced: Vec::new(),
            domain_suffix: domain_suffix(ad),
            ous: FxHashMap::default(),
        }
    }

    /// The capture, or the errors that stop it (records the world needs and cannot read).
    pub(super) fn finish(self) -> Result<Built, Vec<InputError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Built {
            capture: self.capture,
            identities: self.identities,
            report: self.report,
            synced_ous: self.sync_ous,
            unsynced: self.unsynced,
            domain: self.domain_suffix.map(|s| s.domain),
        })
    }
}

impl<'a> Builder<'a> {
    /// A handle not given yet: `name`, else `name-2`, `name-3`… (case does not tell handles
    /// apart).
    fn handle(&mut self, name: &str) -> String {
        let base = if name.trim().is_empty() {
            "unnamed"
        } else {
            name.trim()
        };
        let mut h = base.to_string();
        let mut n = 2;
        loop {
            let folded = h.to_lowercase();
            if !RESERVED_HANDLES.contains(&h.as_str()) && self.taken.insert(folded) {
                return h;
            }
            h = format!("{base}-{n}");
            n += 1;
        }
    }

    /// The model's OU of an AD object: its parent DN without the domain and without a leading
    /// `OU=` (`Staff`, `Finance,OU=Staff`, `CN=Users`).
    fn ou_of(&mut self, object_dn: &'a str) -> Str {
        let parent = dn::parent(object_dn).unwrap_or("");
        if let Some(ou) = self.ous.get(parent) {
            return ou.clone();
        }
        let ou = Str::from(self.ou_text(parent).as_str());
        self.ous.insert(parent, ou.clone());
        ou
    }

    fn ou_text(&self, parent: &str) -> String {
        let mut ou = parent.trim().to_string();
        if let Some(s) = &self.domain_suffix {
            let key = dn::key(&ou);
            if key == s.key {
                ou.clear();
            } else if key.ends_with(&format!(",{}", s.key)) {
                // Cut as many RDNs off the end as the domain has.
                let keep = key.split(',').count() - s.key.split(',').count();
                ou = dn::rdns(&ou).take(keep).collect::<Vec<_>>().join(",");
            }
        }
        match ou.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("OU=") => ou.get(3..).unwrap_or("").to_string(),
            _ => ou,
        }
    }

    pub(super) fn identity(&mut self, slot: &Slot) {
        let kind = slot.kind.unwrap_or(Kind::User);
        let ad: &'a AdExport = self.ad;
        let ad_user = slot.ad_user.and_then(|i| ad.users.get(i));
        let ad_group = slot.ad_group.and_then(|i| ad.groups.get(i));
        let graph: &'a GraphExport = self.graph;
        let entra_users: Vec<(&'a GraphUser, bool)> = slot
            .entra
            .iter()
            .filter(|_| kind == Kind::User)
            .filter_map(|(i, d)| {
                let list = if *d {
                    &graph.deleted_users
                } else {
                    &graph.users
                };
                list.get(*i).map(|u| (u, *d))
            })
            .collect();
        let entra_groups: Vec<(&'a GraphGroup, bool)> = slot
            .entra
            .iter()
            .filter(|_| kind == Kind::Group)
            .filter_map(|(i, d)| {
                let list = if *d {
                    &graph.deleted_groups
                } else {
                    &graph.groups
                };
                list.get(*i).map(|g| (g, *d))
            })
            .collect();
        let name = match (ad_user, ad_group) {
            (Some(u), _) => u
                .sam
                .clone()
                .or_else(|| dn::first_value(&u.dn))
                .unwrap_or_default(),
            (_, Some(g)) => ad_group_name(g),
            _ => match (entra_users.first(), entra_groups.first()) {
                (Some((u, _)), _) => local_part(&u.user_principal_name).to_string(),
                (_, Some((g, _))) => g.display_name.clone(),
                _ => String::new(),
            },
        };
        let handle = self.handle(&name);
        let h = HandleId(self.identities.len() as u32);
        let mut identity = Identity {
            handle: handle.clone(),
            kind,
            in_ad: ad_user.is_some() || ad_group.is_some(),
            ad_dn: None,
            entra_ids: Vec::new(),
        };
        let mut ad_place = None;
        if let Some(u) = ad_user {
            ad_place = self.ad_user(h, u);
            if let Some(x) = slot.ad_user.and_then(|i| self.user_place.get_mut(i)) {
                *x = ad_place;
            }
            identity.ad_dn = Some(u.dn.clone());
        }
        if let Some(g) = ad_group {
            ad_place = self.ad_group(h, g);
            if let Some(x) = slot.ad_group.and_then(|i| self.group_place.get_mut(i)) {
                *x = ad_place;
            }
            identity.ad_dn = Some(g.dn.clone());
        }
        let mut entra: Vec<(u32, bool, bool)> = Vec::new();
        for (u, deleted) in entra_users {
            if let Some(p) = self.entra_user(h, &handle, u, deleted) {
                identity.entra_ids.push(u.id.clone());
                entra.push((p, deleted, u.on_premises_sync_enabled == Some(true)));
            }
        }
        for (g, deleted) in entra_groups {
            if let Some(p) = self.entra_group(h, &handle, g, deleted, identity.ad_dn.as_deref()) {
                identity.entra_ids.push(g.id.clone());
                entra.push((p, deleted, g.on_premises_sync_enabled == Some(true)));
            }
        }
        if let Some(a) = ad_place {
            // Entra Connect's join: the live synced object; a synced object in the recycle bin
            // waits for the next cycle (SYNC-10), which the AD object is marked for.
            match entra
                .iter()
                .find(|(_, deleted, synced)| !deleted && *synced)
            {
                Some((e, _, _)) => self.capture.joins.push((a, *e)),
                None if entra.iter().any(|(_, deleted, synced)| *deleted && *synced) => {
                    self.capture.dirty.push(a)
                }
                None => {}
            }
            if let Some(dn) = ad_user.map(|u| &u.dn).or(ad_group.map(|g| &g.dn)) {
                let ou = self.ou_of(dn).to_string();
                if entra.iter().any(|(_, deleted, synced)| !deleted && *synced) {
                    self.sync_ous.insert(ou);
                } else {
                    self.unsynced.push((self.identities.len(), ou, a));
                }
            }
        }
        self.identities.push(identity);
    }

    fn ad_user(&mut self, h: HandleId, u: &'a AdUser) -> Option<u32> {
        let record = AdRecord {
            dn: &u.dn,
            line: u.line,
            sam: u.sam.as_deref(),
            guid: u.object_guid,
            sid: u.sid.as_deref(),
            attrs: &u.attrs,
        };
        let mut a = self.ad_object(h, Kind::User, record)?;
        a.attrs.push((AdAttr::Enabled, Value::from(u.enabled)));
        match u.consistency_guid {
            Some(c) if Some(c) == u.object_guid => a.consistency_guid_is_guid = true,
            Some(c) => a.attrs.push((
                AdAttr::ConsistencyGuid,
                Value::from(Guid::from_ad_bytes(c).text()),
            )),
            None => {}
        }
        Some(self.push_ad(a))
    }

    fn ad_group(&mut self, h: HandleId, g: &'a AdGroup) -> Option<u32> {
        let record = AdRecord {
            dn: &g.dn,
            line: g.line,
            sam: g.sam.as_deref(),
            guid: g.object_guid,
            sid: g.sid.as_deref(),
            attrs: &g.attrs,
        };
        let a = self.ad_object(h, Kind::Group, record)?;
        Some(self.push_ad(a))
    }

    /// What users and groups share: the objectGUID the capture needs, the SID, the OU, and the
    /// attributes the model holds.
    fn ad_object(&mut self, h: HandleId, kind: Kind, r: AdRecord<'a>) -> Option<CapturedAd> {
        let Some(guid) = r.guid else {
            self.errors.push(InputError {
                file: self.ad_file(),
                line: Some(r.line),
                column: None,
                path: None,
                message: format!(
                    "{} has no objectGUID: the capture needs it (do not export with -m or -n; see docs/import.md)",
                    r.dn
                ),
            });
            return None;
        };
        let mut attrs = Vec::new();
        if let Some(s) = r.sam {
            attrs.push((AdAttr::SamAccountName, Value::text(s)));
        }
        if let Some(cn) = dn::first_value(r.dn) {
            attrs.push((AdAttr::Cn, Value::text(cn)));
        }
        attrs.extend(ad_attrs(r.attrs));
        Some(CapturedAd {
            kind,
            handle: h,
            guid: Guid::from_ad_bytes(guid),
            sid: r.sid.and_then(parse_domain_sid),
            ou: self.ou_of(r.dn),
            attrs,
            consistency_guid_is_guid: false,
        })
    }

    fn push_ad(&mut self, a: CapturedAd) -> u32 {
        let p = self.capture.ad.len() as u32;
        self.capture.ad.push(a);
        p
    }

    fn ad_file(&self) -> String {
        self.report.ldif.clone().unwrap_or_default()
    }

    fn entra_user(
        &mut self,
        h: HandleId,
        handle: &str,
        u: &'a GraphUser,
        deleted: bool,
    ) -> Option<u32> {
        let id = self.guid(&u.id, &u.at.file, &u.at.path)?;
        let mut props: Vec<(EntraProp, Value)> = Vec::new();
        props.push((
            EntraProp::UserPrincipalName,
            Value::text(&u.user_principal_name),
        ));
        for (name, v) in &u.props {
            if let Some(p) = EntraProp::from_name(name) {
                props.push((p, prop_value(v)));
            }
        }
        if let Some(e) = u.account_enabled {
            props.push((EntraProp::AccountEnabled, Value::from(e)));
        }
        let text = [
            (
                EntraProp::OnPremisesImmutableId,
                &u.on_premises_immutable_id,
            ),
            (
                EntraProp::OnPremisesSecurityIdentifier,
                &u.on_premises_security_identifier,
            ),
            (
                EntraProp::OnPremisesSamAccountName,
                &u.on_premises_sam_account_name,
            ),
            (
                EntraProp::OnPremisesDistinguishedName,
                &u.on_premises_distinguished_name,
            ),
        ];
        for (p, v) in text {
            if let Some(v) = v {
                props.push((p, Value::text(v)));
            }
        }
        if let Some(s) = u.on_premises_sync_enabled {
            props.push((EntraProp::OnPremisesSyncEnabled, Value::from(s)));
        }
        let since = if deleted {
            Some(self.deleted_since(u.deleted_date_time.as_deref(), &u.at.file, &u.at.path)?)
        } else {
            None
        };
        if !deleted {
            self.keep_unique(handle, &mut props, &u.at.file, &u.at.path);
        }
        Some(self.push_entra(
            CapturedEntra {
                kind: Kind::User,
                group_type: GroupType::Security,
                handle: h,
                id,
                props,
                deleted_since: since,
            },
            &u.id,
        ))
    }

    fn entra_group(
        &mut self,
        h: HandleId,
        handle: &str,
        g: &'a GraphGroup,
        deleted: bool,
        ad_dn: Option<&str>,
    ) -> Option<u32> {
        let id = self.guid(&g.id, &g.at.file, &g.at.path)?;
        let group_type = cloud_group_type(g)?;
        let mut props = vec![(EntraProp::DisplayName, Value::text(&g.display_name))];
        if let Some(m) = &g.mail {
            props.push((EntraProp::Mail, Value::text(m)));
        }
        if !g.proxy_addresses.is_empty() {
            props.push((EntraProp::ProxyAddresses, Value::list(&g.proxy_addresses)));
        }
        if let Some(s) = &g.on_premises_security_identifier {
            props.push((EntraProp::OnPremisesSecurityIdentifier, Value::text(s)));
        }
        if let Some(s) = &g.on_premises_sam_account_name {
            props.push((EntraProp::OnPremisesSamAccountName, Value::text(s)));
        }
        if let Some(s) = &g.on_premises_domain_name {
            props.push((EntraProp::OnPremisesDomainName, Value::text(s)));
        }
        if let Some(s) = &g.mail_nickname {
            props.push((EntraProp::MailNickname, Value::text(s)));
        }
        if let Some(s) = g.on_premises_sync_enabled {
            props.push((EntraProp::OnPremisesSyncEnabled, Value::from(s)));
        }
        // Graph v1.0 gives a group no onPremisesDistinguishedName, but the sync wrote it: the
        // joined AD group's DN.
        if let Some(dn) = ad_dn.filter(|_| g.on_premises_sync_enabled == Some(true) && !deleted) {
            props.push((EntraProp::OnPremisesDistinguishedName, Value::text(dn)));
        }
        let since = if deleted {
            Some(self.deleted_since(g.deleted_date_time.as_deref(), &g.at.file, &g.at.path)?)
        } else {
            None
        };
        if !deleted {
            self.keep_unique(handle, &mut props, &g.at.file, &g.at.path);
        }
        Some(self.push_entra(
            CapturedEntra {
                kind: Kind::Group,
                group_type,
                handle: h,
                id,
                props,
                deleted_since: since,
            },
            &g.id,
        ))
    }

    fn push_entra(&mut self, e: CapturedEntra, id: &'a str) -> u32 {
        let p = self.capture.entra.len() as u32;
        self.capture.entra.push(e);
        self.entra_place.insert(id, p);
        p
    }

    fn guid(&mut self, id: &str, file: &str, path: &str) -> Option<Guid> {
        match id.parse::<Guid>() {
            Ok(g) => Some(g),
            Err(_) => {
                self.errors.push(InputError {
                    file: file.to_string(),
                    line: None,
                    column: None,
                    path: Some(format!("{path}.id")),
                    message: format!("'{id}' is not an object id: expected a GUID"),
                });
                None
            }
        }
    }

    fn deleted_since(&mut self, when: Option<&str>, file: &str, path: &str) -> Option<Time> {
        match when.and_then(parse_time) {
            Some(t) => Some(t),
            None => {
                self.errors.push(InputError {
                    file: file.to_string(),
                    line: None,
                    column: None,
                    path: Some(format!("{path}.deletedDateTime")),
                    message: format!(
                        "{}: a recycle-bin entry needs its deletedDateTime, an ISO 8601 time",
                        when.map_or("missing".to_string(), |w| format!("'{w}' is not a time"))
                    ),
                });
                None
            }
        }
    }

    /// Drops from `props` the unique values (ID-4) an object placed before holds, with a
    /// warning: a real tenant has none, but an export taken while it changed may.
    fn keep_unique(
        &mut self,
        handle: &str,
        props: &mut Vec<(EntraProp, Value)>,
        file: &str,
        path: &str,
    ) {
        let me = self.identities.len() as u32;
        let mut clashes: Vec<(Unique, String)> = Vec::new();
        for (p, v) in props.iter() {
            let Some(what) = unique_of(*p) else { continue };
            for v in unique_in(what, v) {
                let v = v.as_str();
                let key = match what {
                    Unique::Proxy => key_text(what, &proxy_key(v)),
                    _ => key_text(what, v),
                };
                match self.unique.entry((what, key)) {
                    std::collections::hash_map::Entry::Occupied(holder) => {
                        let holder = self
                            .identities
                            .get(*holder.get() as usize)
                            .map_or("", |i| i.handle.as_str())
                            .to_string();
                        self.report.warn(
                            file,
                            format!("{path}: {what} '{v}' of {handle} is held by {holder} too: left out of {handle}"),
                        );
                        clashes.push((what, v.to_string()));
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(me);
                    }
                }
            }
        }
        for (what, v) in clashes {
            match what {
                Unique::Upn => props.retain(|(p, _)| *p != EntraProp::UserPrincipalName),
                Unique::ImmutableId => {
                    props.retain(|(p, _)| *p != EntraProp::OnPremisesImmutableId)
                }
                Unique::Proxy => {
                    for (p, val) in props.iter_mut() {
                        if *p == EntraProp::ProxyAddresses {
                            let kept: Vec<Str> = val
                                .as_list()
                                .iter()
                                .filter(|x| x.as_str() != v)
                                .cloned()
                                .collect();
                            *val = kept.into_iter().collect();
                        }
                    }
                }
            }
        }
    }
}

fn local_part(upn: &str) -> &str {
    upn.split('@').next().unwrap_or(upn)
}

fn prop_value(v: &PropValue) -> Value {
    match v {
        PropValue::Text(s) => Value::text(s),
        PropValue::List(l) => Value::list(l),
        PropValue::Bool(b) => Value::from(*b),
    }
}

/// The attributes of an AD record the model holds, by their LDAP names.
fn ad_attrs(attrs: &[(&'static str, Vec<String>)]) -> Vec<(AdAttr, Value)> {
    attrs
        .iter()
        .filter_map(|(name, values)| {
            let a = AdAttr::from_name(name)?;
            if matches!(
                a,
                AdAttr::SamAccountName | AdAttr::Cn | AdAttr::Enabled | AdAttr::ConsistencyGuid
            ) {
                return None;
            }
            let v = if a.is_list() {
                Value::list(values)
            } else {
                Value::text(values.first()?)
            };
            (!v.is_empty()).then_some((a, v))
        })
        .collect()
}
