//! The names of the directories' properties: AD attributes (LDAP names) and Entra properties
//! (Graph names), each a key of a [`PropMap`].

use std::fmt;

use serde::{Serialize, Serializer};

use super::propmap::{PropKey, PropMap};

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
        impl PropKey for $name {
            fn index(self) -> u32 { self as u32 }
            fn from_index(i: u32) -> Option<$name> { Self::ALL.get(i as usize).copied() }
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

const _: () = assert!(size_of::<PropMap<EntraProp>>() == 2 * size_of::<usize>());
