//! The property catalogue: the Entra properties of a synced user, the AD attribute or value each
//! comes from, and who masters it. The sync's attribute flow (SYNC-7) and the cloud-write rule
//! (ENTRA-5) both read it.

use crate::store::schema::{AdAttr, EntraProp};

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
}

const fn row(prop: EntraProp, source: Source, mastery: Mastery) -> PropRule {
    PropRule {
        prop,
        source,
        mastery,
    }
}

/// The properties of a synced user, where each comes from and who masters it. Source:
/// <https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-sync-attributes-synchronized>
pub const USER_PROPS: &[PropRule] = {
    use EntraProp as P;
    use Mastery::*;
    use Source::*;
    &[
        row(P::UserPrincipalName, Attr(AdAttr::UserPrincipalName), Ad),
        row(P::DisplayName, Attr(AdAttr::DisplayName), Ad),
        row(P::GivenName, Attr(AdAttr::GivenName), Ad),
        row(P::Surname, Attr(AdAttr::Sn), Ad),
        row(P::Mail, Attr(AdAttr::Mail), Ad),
        row(P::MailNickname, MailNicknameOrSam, Ad),
        row(P::ProxyAddresses, Attr(AdAttr::ProxyAddresses), Ad),
        row(P::Department, Attr(AdAttr::Department), Ad),
        row(P::JobTitle, Attr(AdAttr::Title), Ad),
        row(P::CompanyName, Attr(AdAttr::Company), Ad),
        row(
            P::OfficeLocation,
            Attr(AdAttr::PhysicalDeliveryOfficeName),
            Ad,
        ),
        row(P::City, Attr(AdAttr::L), Ad),
        row(P::Country, Attr(AdAttr::Co), Ad),
        row(P::BusinessPhones, Attr(AdAttr::TelephoneNumber), Ad),
        row(P::MobilePhone, Attr(AdAttr::Mobile), AdCloudEditable),
        row(P::EmployeeId, Attr(AdAttr::EmployeeId), Ad),
        row(P::AccountEnabled, Enabled, Ad),
        row(
            P::UsageLocation,
            Attr(AdAttr::MsExchUsageLocation),
            AdWhenSet,
        ),
        row(P::OnPremisesImmutableId, Anchor, Ad),
        row(
            P::OnPremisesSamAccountName,
            Attr(AdAttr::SamAccountName),
            Ad,
        ),
        row(P::OnPremisesSecurityIdentifier, Sid, Ad),
        row(P::OnPremisesDistinguishedName, DistinguishedName, Ad),
        row(P::OnPremisesDomainName, Domain, Ad),
        row(P::OnPremisesSyncEnabled, SyncService, Service),
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

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_5_mobile_phone_and_usage_location_are_cloud_editable() {
        assert!(is_ad_mastered(EntraProp::Department));
        assert!(!is_ad_mastered(EntraProp::MobilePhone));
        assert!(!is_ad_mastered(EntraProp::UsageLocation));
        assert_eq!(EntraProp::from_name("JOBTITLE"), Some(EntraProp::JobTitle));
    }
}
