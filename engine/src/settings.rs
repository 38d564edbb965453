//! Every setting with its default. Where the public sources are uncertain or disagree, the
//! behaviour is a setting, so that a runbook can be tested against both readings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::store::Value;

/// The source anchor attribute (SYNC-1).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default, JsonSchema)]
pub enum SourceAnchor {
    #[default]
    #[serde(rename = "ms-ds-consistencyguid")]
    ConsistencyGuid,
    #[serde(rename = "objectguid")]
    ObjectGuid,
}

named_values!(SourceAnchor {
    ConsistencyGuid = "ms-ds-consistencyguid",
    ObjectGuid = "objectguid",
});

/// What an add does when its soft-match candidate already has another immutableId (SYNC-5).
/// The soft-match page says InvalidSoftMatch; Microsoft's duplicate attribute resiliency page says that
/// with the feature on (every tenant since 2016) "you will not see the InvalidSoftMatch
/// synchronization errors seen during provisioning of new objects": the add is provisioned with
/// the clashing value quarantined (SYNC-9). Source:
/// <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency>
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SoftMatchConflict {
    #[default]
    Quarantine,
    InvalidSoftMatch,
}

named_values!(SoftMatchConflict {
    Quarantine = "quarantine",
    InvalidSoftMatch = "invalid-soft-match",
});

/// The tenant's Entra ID licence (VDC-8): Veeam protects role assignments only for tenants with
/// Entra ID P2 or Entra ID Governance licences. Source, the note under Users:
/// <https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html>
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TenantLicence {
    #[default]
    P2,
    P1,
    Governance,
}

named_values!(TenantLicence {
    P2 = "p2",
    P1 = "p1",
    Governance = "governance",
});

impl TenantLicence {
    /// Whether Veeam restores role assignments for a tenant with this licence (VDC-8).
    pub fn protects_roles(self) -> bool {
        matches!(self, TenantLicence::P2 | TenantLicence::Governance)
    }
}

/// What a VDC restore session does when it re-creates a user whose mail (its primary SMTP
/// address) another live object holds (VDC-10). Setting `mail` also sets the primary SMTP address
/// in proxyAddresses (<https://learn.microsoft.com/graph/api/resources/user>), and proxy addresses
/// are unique (ID-4): Graph refuses the create. Veeam does not say whether it then retries
/// without the value, so both readings are offered; the default follows Graph and VDC-3's handling
/// of a held UPN: the user fails.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MailClash {
    /// Nothing is written; the user ends Failed.
    #[default]
    Failed,
    /// The user is re-created without `mail`; it ends Warning.
    WithoutMail,
}

named_values!(MailClash {
    Failed = "failed",
    WithoutMail = "without-mail",
});

/// How SYNC-8 compares a cycle's deletes with the deletion threshold. Microsoft's page says the
/// feature is "configured to not allow an export with more than 500 deletes", and the
/// notification quoted on the same page says the number of deletions "met or exceeded the
/// configured deletion threshold". Source:
/// <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-prevent-accidental-deletes>
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeletionThresholdCounts {
    /// More deletes than the threshold stop the export: exactly the threshold goes through.
    #[default]
    MoreThan,
    /// As many deletes as the threshold, or more, stop the export.
    MetOrExceeded,
}

named_values!(DeletionThresholdCounts {
    MoreThan = "more-than",
    MetOrExceeded = "met-or-exceeded",
});

impl DeletionThresholdCounts {
    /// Whether `deletes` in one cycle stop its export under `threshold` (SYNC-8). A cycle with
    /// no delete never stops, even at a threshold of 0.
    pub fn stops(self, deletes: usize, threshold: u32) -> bool {
        let t = threshold as usize;
        match self {
            DeletionThresholdCounts::MoreThan => deletes > t,
            DeletionThresholdCounts::MetOrExceeded => deletes > 0 && deletes >= t,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Settings {
    /// SYNC-1.
    pub source_anchor: SourceAnchor,
    /// SYNC-5.
    pub block_soft_match: bool,
    /// SYNC-5.
    pub soft_match_on_upn: bool,
    /// SYNC-5 with SYNC-9 (DISPUTED: see [`SoftMatchConflict`]).
    pub soft_match_conflict: SoftMatchConflict,
    /// SYNC-4 (BlockCloudObjectTakeoverThroughHardMatch).
    pub block_hard_match_takeover: bool,
    /// SYNC-3, SYNC-10 (INFERRED).
    pub sync_restores_soft_deleted: bool,
    /// ENTRA-4 (DISPUTED).
    pub security_groups_soft_delete: bool,
    /// SYNC-8; `None` turns the threshold off.
    pub deletion_threshold: Option<u32>,
    /// SYNC-8 (DISPUTED: see [`DeletionThresholdCounts`]).
    pub deletion_threshold_counts: DeletionThresholdCounts,
    /// ENTRA-7: the tenant feature `bypassDirSyncOverridesEnabled` (off by default): when on,
    /// the sync writes AD's `mobile` over a mobilePhone changed in the cloud. Source:
    /// <https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature>
    pub bypass_dir_sync_overrides: bool,
    /// ENTRA-1, ENTRA-2.
    pub entra_retention_days: u32,
    /// AD-2, AD-3.
    pub ad_recycle_bin: bool,
    /// AD-2 (also the tombstone lifetime of AD-3).
    pub ad_deleted_object_lifetime_days: u32,
    /// AD-5 (INFERRED).
    pub vead_copies_consistency_guid: bool,
    /// AD-5 (AMBIGUOUS): whether VEAD reanimates a tombstone while the AD Recycle Bin is on.
    /// The Recycle Bin turns every tombstone into a recycled object, which cannot be undeleted:
    /// <https://learn.microsoft.com/openspecs/windows_protocols/ms-adts/e9482178-ee53-4b6c-841d-5259d6261985>.
    pub vead_reanimates_tombstones_with_recycle_bin: bool,
    /// VDC-8.
    pub tenant_licence: TenantLicence,
    /// VDC-9: the most items one restore session takes.
    pub vdc_session_limit: u32,
    /// VDC-10 (AMBIGUOUS: see [`MailClash`]).
    pub vdc_mail_clash: MailClash,
    /// VDC-4 (AMBIGUOUS): whether a restore without Keep Relationships still restores licences
    /// and a user's app role assignments, which Veeam lists among the properties
    /// (AssignedLicenses, AppRoleAssignments), not the relationships.
    pub vdc_licences_and_apps_are_properties: bool,
    /// ID-1.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            source_anchor: SourceAnchor::ConsistencyGuid,
            block_soft_match: false,
            soft_match_on_upn: true,
            soft_match_conflict: SoftMatchConflict::Quarantine,
            block_hard_match_takeover: false,
            sync_restores_soft_deleted: true,
            security_groups_soft_delete: true,
            deletion_threshold: Some(500),
            deletion_threshold_counts: DeletionThresholdCounts::MoreThan,
            bypass_dir_sync_overrides: false,
            entra_retention_days: 30,
            ad_recycle_bin: true,
            ad_deleted_object_lifetime_days: 180,
            vead_copies_consistency_guid: true,
            vead_reanimates_tombstones_with_recycle_bin: false,
            tenant_licence: TenantLicence::P2,
            vdc_session_limit: 1000,
            vdc_mail_clash: MailClash::Failed,
            vdc_licences_and_apps_are_properties: false,
            seed: 0,
        }
    }
}

/// A change of settings: every key optional. `deletion_threshold: null` turns the threshold off,
/// so it is an option of an option.
#[derive(Clone, PartialEq, Eq, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "given")]
    pub source_anchor: Option<SourceAnchor>,
    #[serde(default, deserialize_with = "given")]
    pub block_soft_match: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub soft_match_on_upn: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub soft_match_conflict: Option<SoftMatchConflict>,
    #[serde(default, deserialize_with = "given")]
    pub block_hard_match_takeover: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub sync_restores_soft_deleted: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub security_groups_soft_delete: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub deletion_threshold: Option<Option<u32>>,
    #[serde(default, deserialize_with = "given")]
    pub deletion_threshold_counts: Option<DeletionThresholdCounts>,
    #[serde(default, deserialize_with = "given")]
    pub bypass_dir_sync_overrides: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub entra_retention_days: Option<u32>,
    #[serde(default, deserialize_with = "given")]
    pub ad_recycle_bin: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub ad_deleted_object_lifetime_days: Option<u32>,
    #[serde(default, deserialize_with = "given")]
    pub vead_copies_consistency_guid: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub vead_reanimates_tombstones_with_recycle_bin: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub tenant_licence: Option<TenantLicence>,
    #[serde(default, deserialize_with = "given")]
    pub vdc_session_limit: Option<u32>,
    #[serde(default, deserialize_with = "given")]
    pub vdc_mail_clash: Option<MailClash>,
    #[serde(default, deserialize_with = "given")]
    pub vdc_licences_and_apps_are_properties: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub seed: Option<u64>,
    /// The simulated clock's start (RFC 3339); top-level `settings` only.
    #[serde(default, deserialize_with = "given")]
    pub start: Option<String>,
}

/// A key that is present deserializes to `Some`, even when its value is `null`.
/// A setting that cannot be null: `null` is an input error, never "leave it as it is".
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

impl SettingsPatch {
    /// The settings set, as `key: value` pairs in declaration order.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        macro_rules! show {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { out.push(format!("{}: {}", stringify!($f), show(v))); } )* };
        }
        show!(
            source_anchor,
            block_soft_match,
            soft_match_on_upn,
            soft_match_conflict,
            block_hard_match_takeover,
            sync_restores_soft_deleted,
            security_groups_soft_delete,
            deletion_threshold_counts,
            bypass_dir_sync_overrides,
            entra_retention_days,
            ad_recycle_bin,
            ad_deleted_object_lifetime_days,
            vead_copies_consistency_guid,
            vead_reanimates_tombstones_with_recycle_bin,
            tenant_licence,
            vdc_session_limit,
            vdc_mail_clash,
            vdc_licences_and_apps_are_properties,
            seed,
            start
        );
        if let Some(t) = self.deletion_threshold {
            out.push(format!(
                "deletion_threshold: {}",
                t.map_or("null".to_string(), |t| t.to_string())
            ));
        }
        out.join(", ")
    }
}

fn show<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl Settings {
    pub fn apply(&mut self, p: &SettingsPatch) {
        macro_rules! take {
            ($($f:ident),*) => { $( if let Some(v) = p.$f.clone() { self.$f = v; } )* };
        }
        take!(
            source_anchor,
            block_soft_match,
            soft_match_on_upn,
            soft_match_conflict,
            block_hard_match_takeover,
            sync_restores_soft_deleted,
            security_groups_soft_delete,
            deletion_threshold,
            deletion_threshold_counts,
            bypass_dir_sync_overrides,
            entra_retention_days,
            ad_recycle_bin,
            ad_deleted_object_lifetime_days,
            vead_copies_consistency_guid,
            vead_reanimates_tombstones_with_recycle_bin,
            tenant_licence,
            vdc_session_limit,
            vdc_mail_clash,
            vdc_licences_and_apps_are_properties,
            seed
        );
    }
}

/// Where the AD domain and the tenant's names come from.
#[derive(Clone, Debug)]
pub struct Names {
    /// AD DNS domain, e.g. `contoso.com`.
    pub domain: String,
    /// Initial tenant name: `<tenant>.onmicrosoft.com`.
    pub tenant: String,
    pub verified_domains: Vec<String>,
    /// `domain` as a shared value: every synced object's `onPremisesDomainName`.
    pub(crate) domain_value: Value,
    /// `domain` as the end of a distinguished name: `,DC=contoso,DC=com`.
    pub(crate) dn_suffix: String,
}

impl Names {
    pub fn new(domain: &str, tenant: Option<&str>, verified: Option<Vec<String>>) -> Names {
        let tenant = tenant
            .map(str::to_string)
            .unwrap_or_else(|| domain.split('.').next().unwrap_or(domain).to_string());
        Names {
            domain_value: Value::text(domain),
            dn_suffix: domain.split('.').map(|p| format!(",DC={p}")).collect(),
            domain: domain.to_string(),
            tenant,
            verified_domains: verified.unwrap_or_else(|| vec![domain.to_string()]),
        }
    }
    pub fn initial_domain(&self) -> String {
        format!("{}.onmicrosoft.com", self.tenant)
    }
    pub fn is_verified(&self, domain: &str) -> bool {
        let initial = domain
            .len()
            .checked_sub(".onmicrosoft.com".len())
            .and_then(|i| Some((domain.get(..i)?, domain.get(i..)?)))
            .is_some_and(|(t, rest)| {
                t.eq_ignore_ascii_case(&self.tenant)
                    && rest.eq_ignore_ascii_case(".onmicrosoft.com")
            });
        initial
            || self
                .verified_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
    }
    /// The domain a new cloud user gets by default: the first verified domain.
    pub fn default_cloud_domain(&self) -> String {
        self.verified_domains
            .first()
            .cloned()
            .unwrap_or_else(|| self.initial_domain())
    }
}
