//! The Graph JSON shapes as serde structs, read straight from a response body: only the
//! properties hysim models are named, every other property is skipped (beta and future
//! properties must not be refused), and no `serde_json::Value` tree is built.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Reads a property that may be absent (`None`), `null` (`Some(None)`) or set (`Some(Some)`):
/// with `#[serde(default)]`, a missing key stays `None`, which Graph means as "not selected".
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A string borrowed from the body when it has no escapes, so that a value hysim rewrites
/// anyway (an `@odata.type`) costs no allocation of its own.
pub(super) struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A collection response: `value`, `@odata.nextLink`, or an error body instead. Read whole
/// only to name the JSON path of a type error that [`super::stream::Stream`] met.
#[derive(Deserialize)]
#[allow(dead_code)]
pub(super) struct Envelope<T> {
    pub value: Option<Vec<T>>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    pub error: Option<ErrorBody>,
}

/// `{"error": {"code": …, "message": …}}`.
#[derive(Deserialize)]
pub(super) struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// A single `directoryObject` (a member, an owner, a manager), or an error body.
#[derive(Deserialize)]
pub(super) struct Object<'a> {
    #[serde(rename = "@odata.type", borrow)]
    pub odata_type: Option<Text<'a>>,
    pub id: Option<String>,
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct User<'a> {
    pub id: String,
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub on_premises_sync_enabled: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    pub on_premises_immutable_id: Option<Option<String>>,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_distinguished_name: Option<String>,
    pub on_premises_domain_name: Option<String>,
    pub account_enabled: Option<bool>,
    pub user_type: Option<String>,
    pub deleted_date_time: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub mail_nickname: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub office_location: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub mobile_phone: Option<String>,
    pub usage_location: Option<String>,
    pub business_phones: Option<Vec<String>>,
    pub proxy_addresses: Option<Vec<String>>,
    pub other_mails: Option<Vec<String>>,
    pub assigned_licenses: Option<Vec<AssignedLicense>>,
    pub license_assignment_states: Option<Vec<LicenseAssignmentState>>,
    pub on_premises_provisioning_errors: Option<Vec<ProvisioningError>>,
    /// `$expand=manager`: the manager object, `null`, or absent.
    #[serde(default, deserialize_with = "present", borrow)]
    pub manager: Option<Option<Object<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssignedLicense {
    pub sku_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LicenseAssignmentState {
    pub sku_id: String,
    pub assigned_by_group: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProvisioningError {
    pub property_causing_error: Option<String>,
    pub value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub group_types: Option<Vec<String>>,
    pub security_enabled: Option<bool>,
    pub mail_enabled: Option<bool>,
    pub mail: Option<String>,
    pub proxy_addresses: Option<Vec<String>>,
    pub membership_rule: Option<String>,
    pub is_assignable_to_role: Option<bool>,
    pub on_premises_sync_enabled: Option<bool>,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_domain_name: Option<String>,
    pub mail_nickname: Option<String>,
    pub assigned_licenses: Option<Vec<AssignedLicense>>,
    pub deleted_date_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AppRoleAssignment {
    pub principal_id: String,
    pub principal_type: Option<String>,
    pub resource_id: String,
    pub resource_display_name: Option<String>,
    pub app_role_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoleDefinition {
    pub id: String,
    pub display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoleAssignment {
    pub principal_id: String,
    pub role_definition_id: String,
    pub directory_scope_id: Option<String>,
    /// The legacy name some responses still carry instead of `directoryScopeId`.
    pub resource_scope: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubscribedSku {
    pub sku_id: String,
    pub sku_part_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    pub verified_domains: Option<Vec<VerifiedDomain>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifiedDomain {
    pub name: String,
    pub is_default: Option<bool>,
    pub is_initial: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct OnPremisesSynchronization {
    pub configuration: Option<SyncConfiguration>,
    pub features: Option<SyncFeatureFlags>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SyncConfiguration {
    pub accidental_deletion_prevention: Option<DeletionPrevention>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeletionPrevention {
    pub synchronization_prevention_type: Option<String>,
    pub alert_threshold: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SyncFeatureFlags {
    pub block_soft_match_enabled: Option<bool>,
    pub soft_match_on_upn_enabled: Option<bool>,
    pub block_cloud_object_takeover_through_hard_match_enabled: Option<bool>,
    pub bypass_dir_sync_overrides_enabled: Option<bool>,
}

/// The most responses a manifest may list: more is refused while reading, before they are held.
pub(super) const MAX_RESPONSES: usize = 50_000_000;

/// hysim's `manifest.json`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Manifest {
    pub captured_at: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(deserialize_with = "bounded")]
    pub responses: Vec<Response>,
}

#[derive(Deserialize)]
pub(super) struct Response {
    pub url: String,
    pub status: u16,
    pub file: String,
}

/// Reads `responses` and stops at the first entry past [`MAX_RESPONSES`].
fn bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Response>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Response>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an array of at most {MAX_RESPONSES} responses")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(r) = seq.next_element()? {
                if out.len() == MAX_RESPONSES {
                    return Err(de::Error::custom(format_args!(
                        "more than {MAX_RESPONSES} responses: refused"
                    )));
                }
                out.push(r);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V)
}
