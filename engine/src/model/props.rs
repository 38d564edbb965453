//! The property catalogue of BEHAVIOUR.md section 2: Entra properties, AD attributes, who masters
//! each one and which ones VDC restores.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// A property or attribute value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value {
    Text(Box<str>),
    List(Vec<Box<str>>),
    Bool(bool),
}

impl Value {
    pub fn text(s: impl Into<Box<str>>) -> Value {
        Value::Text(s.into())
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Box<str>] {
        match self {
            Value::List(l) => l,
            _ => &[],
        }
    }

    /// An empty text or list counts as no value.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Text(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Bool(_) => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::List(l) => write!(f, "[{}]", l.join(", ")),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(t) => s.serialize_str(t),
            Value::List(l) => l.serialize(s),
            Value::Bool(b) => s.serialize_bool(*b),
        }
    }
}

/// A small sorted map of properties, shared copy-on-write so that backups cost a reference count
/// per object rather than a copy of every value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropMap<K: Ord + Copy>(Arc<Vec<(K, Value)>>);

impl<K: Ord + Copy> Default for PropMap<K> {
    fn default() -> Self {
        PropMap(Arc::new(Vec::new()))
    }
}

impl<K: Ord + Copy> PropMap<K> {
    pub fn get(&self, k: K) -> Option<&Value> {
        self.0
            .binary_search_by(|(x, _)| x.cmp(&k))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    pub fn text(&self, k: K) -> Option<&str> {
        self.get(k).and_then(Value::as_text)
    }

    /// Sets a value; `None` or an empty value removes the key. Returns whether anything changed.
    pub fn set(&mut self, k: K, v: Option<Value>) -> bool {
        let v = v.filter(|v| !v.is_empty());
        let pos = self.0.binary_search_by(|(x, _)| x.cmp(&k));
        match (pos, v) {
            (Ok(i), Some(v)) => {
                if self.0.get(i).map(|(_, old)| old) == Some(&v) {
                    return false;
                }
                if let Some(slot) = Arc::make_mut(&mut self.0).get_mut(i) {
                    slot.1 = v;
                }
                true
            }
            (Ok(i), None) => {
                Arc::make_mut(&mut self.0).remove(i);
                true
            }
            (Err(i), Some(v)) => {
                Arc::make_mut(&mut self.0).insert(i, (k, v));
                true
            }
            (Err(_), None) => false,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (K, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// Keeps only the keys for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(K) -> bool) {
        if self.0.iter().any(|(k, _)| !keep(*k)) {
            Arc::make_mut(&mut self.0).retain(|(k, _)| keep(*k));
        }
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub enum $name { $($variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            /// Looks a name up, ignoring case as LDAP and Graph do.
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|p| p.name().eq_ignore_ascii_case(s))
            }
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|p| p.name()).collect()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

named_enum!(
    /// A Microsoft Graph property of an Entra user or group.
    EntraProp {
        UserPrincipalName = "userPrincipalName",
        DisplayName = "displayName",
        GivenName = "givenName",
        Surname = "surname",
        Mail = "mail",
        MailNickname = "mailNickname",
        ProxyAddresses = "proxyAddresses",
        Department = "department",
        JobTitle = "jobTitle",
        CompanyName = "companyName",
        OfficeLocation = "officeLocation",
        City = "city",
        Country = "country",
        BusinessPhones = "businessPhones",
        MobilePhone = "mobilePhone",
        EmployeeId = "employeeId",
        AccountEnabled = "accountEnabled",
        UsageLocation = "usageLocation",
        OnPremisesImmutableId = "onPremisesImmutableId",
        OnPremisesSamAccountName = "onPremisesSamAccountName",
        OnPremisesSecurityIdentifier = "onPremisesSecurityIdentifier",
        OnPremisesDistinguishedName = "onPremisesDistinguishedName",
        OnPremisesDomainName = "onPremisesDomainName",
        OnPremisesSyncEnabled = "onPremisesSyncEnabled",
    }
);

named_enum!(
    /// An LDAP attribute of an AD user or group.
    AdAttr {
        SamAccountName = "sAMAccountName",
        UserPrincipalName = "userPrincipalName",
        Cn = "cn",
        DisplayName = "displayName",
        GivenName = "givenName",
        Sn = "sn",
        Mail = "mail",
        MailNickname = "mailNickname",
        ProxyAddresses = "proxyAddresses",
        Department = "department",
        Title = "title",
        Company = "company",
        PhysicalDeliveryOfficeName = "physicalDeliveryOfficeName",
        L = "l",
        Co = "co",
        TelephoneNumber = "telephoneNumber",
        Mobile = "mobile",
        EmployeeId = "employeeID",
        MsExchUsageLocation = "msExchUsageLocation",
        ConsistencyGuid = "mS-DS-ConsistencyGuid",
        Enabled = "enabled",
    }
);

impl AdAttr {
    /// Attributes that hold several values.
    pub fn is_list(self) -> bool {
        matches!(self, AdAttr::ProxyAddresses)
    }
    pub fn is_bool(self) -> bool {
        matches!(self, AdAttr::Enabled)
    }
}

impl EntraProp {
    pub fn is_list(self) -> bool {
        matches!(self, EntraProp::ProxyAddresses | EntraProp::BusinessPhones)
    }
    pub fn is_bool(self) -> bool {
        matches!(
            self,
            EntraProp::AccountEnabled | EntraProp::OnPremisesSyncEnabled
        )
    }
    /// Whether the property is written by the service only and never by a client.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            EntraProp::OnPremisesSecurityIdentifier
                | EntraProp::OnPremisesDistinguishedName
                | EntraProp::OnPremisesDomainName
                | EntraProp::OnPremisesSyncEnabled
                | EntraProp::OnPremisesSamAccountName
        )
    }
}

/// Where a synced user's Entra property comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Source {
    /// The AD attribute of that name.
    Attr(AdAttr),
    /// `mailNickname`, else `sAMAccountName`.
    MailNicknameOrSam,
    /// The opposite of the disabled bit of `userAccountControl`.
    Enabled,
    /// The source anchor (SYNC-1).
    Anchor,
    /// `objectSid`.
    Sid,
    /// `distinguishedName`.
    DistinguishedName,
    /// The AD DNS domain.
    Domain,
    /// Written by the sync service itself.
    SyncService,
}

/// Who masters a property of a synced user.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mastery {
    /// AD: a cloud write is refused (ENTRA-5) and every cycle overwrites (SYNC-7).
    Ad,
    /// AD, but a cloud write is accepted; the sync writes AD's value when AD has one
    /// (`mobilePhone`).
    AdCloudEditable,
    /// AD when AD has a value, else the cloud (`usageLocation`).
    AdWhenSet,
    /// The sync service (`onPremisesSyncEnabled`).
    Service,
}

/// One row of the section 2 table.
#[derive(Clone, Copy, Debug)]
pub struct PropRule {
    pub prop: EntraProp,
    pub source: Source,
    pub mastery: Mastery,
    /// Restored by VDC from a backup (VDC-1, VDC-6).
    pub vdc: bool,
}

const fn row(prop: EntraProp, source: Source, mastery: Mastery, vdc: bool) -> PropRule {
    PropRule {
        prop,
        source,
        mastery,
        vdc,
    }
}

/// BEHAVIOUR.md section 2, in one place. Sources:
/// https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-sync-attributes-synchronized ,
/// https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html
pub const USER_PROPS: &[PropRule] = {
    use EntraProp as P;
    use Mastery::*;
    use Source::*;
    &[
        row(
            P::UserPrincipalName,
            Attr(AdAttr::UserPrincipalName),
            Ad,
            true,
        ),
        row(P::DisplayName, Attr(AdAttr::DisplayName), Ad, true),
        row(P::GivenName, Attr(AdAttr::GivenName), Ad, true),
        row(P::Surname, Attr(AdAttr::Sn), Ad, true),
        row(P::Mail, Attr(AdAttr::Mail), Ad, true),
        row(P::MailNickname, MailNicknameOrSam, Ad, true),
        row(P::ProxyAddresses, Attr(AdAttr::ProxyAddresses), Ad, false),
        row(P::Department, Attr(AdAttr::Department), Ad, true),
        row(P::JobTitle, Attr(AdAttr::Title), Ad, true),
        row(P::CompanyName, Attr(AdAttr::Company), Ad, true),
        row(
            P::OfficeLocation,
            Attr(AdAttr::PhysicalDeliveryOfficeName),
            Ad,
            true,
        ),
        row(P::City, Attr(AdAttr::L), Ad, true),
        row(P::Country, Attr(AdAttr::Co), Ad, true),
        row(P::BusinessPhones, Attr(AdAttr::TelephoneNumber), Ad, true),
        row(P::MobilePhone, Attr(AdAttr::Mobile), AdCloudEditable, true),
        row(P::EmployeeId, Attr(AdAttr::EmployeeId), Ad, true),
        row(P::AccountEnabled, Enabled, Ad, true),
        row(
            P::UsageLocation,
            Attr(AdAttr::MsExchUsageLocation),
            AdWhenSet,
            true,
        ),
        row(P::OnPremisesImmutableId, Anchor, Ad, true),
        row(
            P::OnPremisesSamAccountName,
            Attr(AdAttr::SamAccountName),
            Ad,
            false,
        ),
        row(P::OnPremisesSecurityIdentifier, Sid, Ad, false),
        row(P::OnPremisesDistinguishedName, DistinguishedName, Ad, false),
        row(P::OnPremisesDomainName, Domain, Ad, false),
        row(P::OnPremisesSyncEnabled, SyncService, Service, false),
    ]
};

/// The section 2 row of a property.
pub fn rule_of(prop: EntraProp) -> Option<&'static PropRule> {
    USER_PROPS.iter().find(|r| r.prop == prop)
}

/// Whether a cloud write of `prop` on a synced user is refused (ENTRA-5).
pub fn is_ad_mastered(prop: EntraProp) -> bool {
    rule_of(prop).is_some_and(|r| matches!(r.mastery, Mastery::Ad | Mastery::Service))
}

/// Whether VDC restores `prop` from a backup (VDC-1, VDC-6).
pub fn vdc_restores(prop: EntraProp) -> bool {
    rule_of(prop).is_some_and(|r| r.vdc)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn vdc_6_lacking_properties_are_the_section_2_no_rows() {
        let lacking: Vec<&str> = USER_PROPS
            .iter()
            .filter(|r| !r.vdc)
            .map(|r| r.prop.name())
            .collect();
        assert_eq!(
            lacking,
            [
                "proxyAddresses",
                "onPremisesSamAccountName",
                "onPremisesSecurityIdentifier",
                "onPremisesDistinguishedName",
                "onPremisesDomainName",
                "onPremisesSyncEnabled"
            ]
        );
    }

    #[test]
    fn entra_5_mobile_phone_and_usage_location_are_cloud_editable() {
        assert!(is_ad_mastered(EntraProp::Department));
        assert!(!is_ad_mastered(EntraProp::MobilePhone));
        assert!(!is_ad_mastered(EntraProp::UsageLocation));
        assert_eq!(EntraProp::from_name("JOBTITLE"), Some(EntraProp::JobTitle));
    }

    #[test]
    fn prop_map_set_keeps_sorted_and_shares_on_clone() {
        let mut m: PropMap<EntraProp> = PropMap::default();
        assert!(m.set(EntraProp::Mail, Some(Value::text("a@x"))));
        assert!(m.set(EntraProp::DisplayName, Some(Value::text("A"))));
        let backup = m.clone();
        assert!(!m.set(EntraProp::Mail, Some(Value::text("a@x"))));
        assert!(m.set(EntraProp::Mail, Some(Value::text(""))));
        assert_eq!(m.text(EntraProp::Mail), None);
        assert_eq!(backup.text(EntraProp::Mail), Some("a@x"));
        let keys: Vec<_> = backup.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [EntraProp::DisplayName, EntraProp::Mail]);
    }
}
