//! Which records of the two exports are one identity: users matched by their anchor (the
//! immutableId against mS-DS-ConsistencyGuid, then objectGUID: IMPORT_FORMATS E.1), groups by
//! their SID (Graph gives a group no anchor), and the source anchor the matches point to (E.3).

use std::collections::BTreeMap;

use base64::Engine as _;

use super::dn;
use super::graph::{GraphExport, GraphGroup, GraphUser};
use super::ldif::{AdExport, AdGroup, AdUser};
use super::report::{Anchor, ImportReport, Listed};
use crate::settings::SourceAnchor;
use crate::store::{GroupType, Kind};
use rustc_hash::FxHashMap as HashMap;

/// Where an identity's objects are among the exports' records.
#[derive(Clone, Debug, Default)]
pub(super) struct Slot {
    pub(super) kind: Option<Kind>,
    pub(super) ad_user: Option<usize>,
    pub(super) ad_group: Option<usize>,
    /// Graph users or groups (live first), as (index, deleted).
    pub(super) entra: Vec<(usize, bool)>,
}

/// The parts of the join both sides need: the AD objects by DN, GUID and SID.
pub(super) struct AdIndex<'a> {
    ad: &'a AdExport,
    /// By DN as written: a link names its target as the target's own record does, nearly
    /// always, so most lookups need no key.
    by_text: HashMap<&'a str, (Kind, usize)>,
    /// By [`dn::key`], built by the first link written otherwise.
    by_key: std::sync::OnceLock<HashMap<String, (Kind, usize)>>,
    by_consistency: HashMap<[u8; 16], usize>,
    by_guid: HashMap<[u8; 16], usize>,
    group_by_sid: HashMap<String, usize>,
}

impl<'a> AdIndex<'a> {
    pub(super) fn new(ad: &'a AdExport) -> Self {
        let mut ix = AdIndex {
            ad,
            by_text: HashMap::with_capacity_and_hasher(
                ad.users.len() + ad.groups.len(),
                Default::default(),
            ),
            by_key: std::sync::OnceLock::new(),
            by_consistency: HashMap::default(),
            by_guid: HashMap::with_capacity_and_hasher(ad.users.len(), Default::default()),
            group_by_sid: HashMap::with_capacity_and_hasher(ad.groups.len(), Default::default()),
        };
        for (i, u) in ad.users.iter().enumerate() {
            ix.by_text.insert(u.dn.as_str(), (Kind::User, i));
            if let Some(g) = u.consistency_guid {
                ix.by_consistency.entry(g).or_insert(i);
            }
            if let Some(g) = u.object_guid {
                ix.by_guid.entry(g).or_insert(i);
            }
        }
        for (i, g) in ad.groups.iter().enumerate() {
            ix.by_text.insert(g.dn.as_str(), (Kind::Group, i));
            if let Some(s) = &g.sid {
                ix.group_by_sid.entry(s.to_ascii_uppercase()).or_insert(i);
            }
        }
        ix
    }
    /// The AD record a DN names: as written, else compared as DNs are (case, escapes, spaces).
    pub(super) fn by_dn(&self, dn_text: &str) -> Option<(Kind, usize)> {
        if let Some(found) = self.by_text.get(dn_text) {
            return Some(*found);
        }
        let by_key = self.by_key.get_or_init(|| {
            let users = self.ad.users.iter().enumerate();
            let groups = self.ad.groups.iter().enumerate();
            users
                .map(|(i, u)| (dn::key(&u.dn), (Kind::User, i)))
                .chain(groups.map(|(i, g)| (dn::key(&g.dn), (Kind::Group, i))))
                .collect()
        });
        by_key.get(&dn::key(dn_text)).copied()
    }
}

/// How an Entra user was matched to an AD user.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    ConsistencyGuid,
    ObjectGuid,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Via::ConsistencyGuid => "mS-DS-ConsistencyGuid",
            Via::ObjectGuid => "objectGUID",
        }
    }
}

/// The 16 bytes an immutableId stands for, when it is a base64 GUID (IMPORT_FORMATS 1.1).
fn anchor_bytes(immutable_id: &str) -> Option<[u8; 16]> {
    let b = base64::engine::general_purpose::STANDARD
        .decode(immutable_id)
        .ok()?;
    b.try_into().ok()
}

/// The identities of the two exports, in the order handles are given: AD users in file order
/// (with the cloud users matched to each), then cloud users with no AD user in Graph order, then
/// those of the recycle bin, then AD groups in file order (with the cloud groups matched to
/// each), then cloud groups with no AD group.
pub(super) fn slots(
    ad: &AdExport,
    graph: &GraphExport,
    ix: &AdIndex,
    given: Option<SourceAnchor>,
    report: &mut ImportReport,
) -> Vec<Slot> {
    let mut slots: Vec<Slot> = (0..ad.users.len())
        .map(|a| Slot {
            kind: Some(Kind::User),
            ad_user: Some(a),
            ..Slot::default()
        })
        .collect();
    let mut vias: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut evidence = AnchorEvidence::default();
    let mut cloud_only = Vec::new();
    let listed = [(&graph.users, false), (&graph.deleted_users, true)];
    for (list, deleted) in listed {
        for (index, u) in list.iter().enumerate() {
            // onPremisesSyncEnabled null: never synced, so nothing to match.
            let matched = u.on_premises_sync_enabled.and_then(|_| match_user(ix, u));
            let Some((a, via)) = matched else {
                if u.on_premises_sync_enabled == Some(true) && !deleted {
                    report
                        .orphans
                        .push(Listed::of(&u.user_principal_name, &u.id));
                }
                cloud_only.push((index, deleted));
                continue;
            };
            if let Some(au) = ad.users.get(a) {
                evidence.note(au, via);
                cross_check(au, u, report);
            }
            *vias.entry(via.name()).or_default() += 1;
            if let Some(slot) = slots.get_mut(a) {
                slot.entra.push((index, deleted));
            }
        }
    }
    report.joins.users = vias;
    report.anchor = evidence.decide(given);
    slots.extend(cloud_only.into_iter().map(|e| Slot {
        kind: Some(Kind::User),
        entra: vec![e],
        ..Slot::default()
    }));

    // Groups: AD security groups, and the cloud groups whose on-premises SID is theirs.
    let mut group_slot: Vec<Option<usize>> = vec![None; ad.groups.len()];
    for (a, g) in ad.groups.iter().enumerate() {
        if is_distribution(g) {
            report.drop("AD distribution group", &super::build::ad_group_name(g));
            continue;
        }
        if let Some(x) = group_slot.get_mut(a) {
            *x = Some(slots.len());
        }
        slots.push(Slot {
            kind: Some(Kind::Group),
            ad_group: Some(a),
            ..Slot::default()
        });
    }
    let mut sid_joins = 0;
    let mut cloud_groups = Vec::new();
    let listed = [(&graph.groups, false), (&graph.deleted_groups, true)];
    for (list, deleted) in listed {
        for (index, g) in list.iter().enumerate() {
            if cloud_group_type(g).is_none() {
                report.drop("distribution list", &g.display_name);
                continue;
            }
            if g.membership_rule.is_some() || g.group_types.iter().any(|t| t == "DynamicMembership")
            {
                report.drop(
                    "dynamic membership rule (members imported as a static snapshot)",
                    &g.display_name,
                );
            }
            let joined = g
                .on_premises_security_identifier
                .as_ref()
                .and_then(|s| ix.group_by_sid.get(&s.to_ascii_uppercase()))
                .and_then(|a| group_slot.get(*a).copied().flatten());
            match joined.and_then(|s| slots.get_mut(s)) {
                Some(slot) => {
                    sid_joins += 1;
                    slot.entra.push((index, deleted));
                }
                None => {
                    if g.on_premises_sync_enabled == Some(true) && !deleted {
                        report.orphans.push(Listed::of(&g.display_name, &g.id));
                    }
                    cloud_groups.push((index, deleted));
                }
            }
        }
    }
    if sid_joins > 0 {
        report.joins.groups.insert("objectSid", sid_joins);
    }
    slots.extend(cloud_groups.into_iter().map(|e| Slot {
        kind: Some(Kind::Group),
        entra: vec![e],
        ..Slot::default()
    }));
    slots
}

/// The AD user an Entra user's immutableId names: by mS-DS-ConsistencyGuid first, then by
/// objectGUID (IMPORT_FORMATS E.1). A non-GUID immutableId joins nothing.
fn match_user(ix: &AdIndex, u: &GraphUser) -> Option<(usize, Via)> {
    let bytes = anchor_bytes(u.on_premises_immutable_id.as_deref()?)?;
    if let Some(a) = ix.by_consistency.get(&bytes) {
        return Some((*a, Via::ConsistencyGuid));
    }
    ix.by_guid.get(&bytes).map(|a| (*a, Via::ObjectGuid))
}

/// Cross-checks of a join (IMPORT_FORMATS E.2): a disagreement is a stale sync or a moved
/// object, worth a warning.
fn cross_check(a: &AdUser, u: &GraphUser, report: &mut ImportReport) {
    let differs = |ad: Option<&str>, cloud: Option<&str>, key: fn(&str) -> String| matches!((ad, cloud), (Some(x), Some(y)) if key(x) != key(y));
    let upper = |s: &str| s.to_ascii_uppercase();
    if differs(
        a.sid.as_deref(),
        u.on_premises_security_identifier.as_deref(),
        upper,
    ) {
        report.warn(
            &u.at.file,
            format!(
                "{}: onPremisesSecurityIdentifier differs from the objectSid of {}",
                u.at.path, a.dn
            ),
        );
    }
    if differs(
        Some(a.dn.as_str()),
        u.on_premises_distinguished_name.as_deref(),
        dn::key,
    ) {
        report.warn(
            &u.at.file,
            format!(
                "{}: onPremisesDistinguishedName is not {} (a moved object or a stale sync)",
                u.at.path, a.dn
            ),
        );
    }
}

/// What the joins say about the source anchor (IMPORT_FORMATS E.3).
#[derive(Default)]
struct AnchorEvidence {
    consistency_distinct: usize,
    guid_without_consistency: usize,
    guid_with_other_consistency: usize,
    same: usize,
}

impl AnchorEvidence {
    fn note(&mut self, a: &AdUser, via: Via) {
        match (via, a.consistency_guid) {
            (Via::ConsistencyGuid, c) if c == a.object_guid => self.same += 1,
            (Via::ConsistencyGuid, _) => self.consistency_distinct += 1,
            (Via::ObjectGuid, None) => self.guid_without_consistency += 1,
            (Via::ObjectGuid, Some(_)) => self.guid_with_other_consistency += 1,
        }
    }

    fn decide(&self, given: Option<SourceAnchor>) -> Anchor {
        let (attribute, how) = if let Some(a) = given {
            (a, "given by settings.source_anchor".to_string())
        } else if self.consistency_distinct > 0 {
            (
                SourceAnchor::ConsistencyGuid,
                format!(
                    "{} joined users hold an mS-DS-ConsistencyGuid other than their objectGUID, and their immutableId is it",
                    self.consistency_distinct
                ),
            )
        } else if self.guid_without_consistency > 0 && self.same == 0 {
            (
                SourceAnchor::ObjectGuid,
                format!(
                    "{} joined users match on objectGUID and none has an mS-DS-ConsistencyGuid",
                    self.guid_without_consistency
                ),
            )
        } else if self.same > 0 {
            (
                SourceAnchor::ConsistencyGuid,
                format!(
                    "ambiguous: {} joined users hold their objectGUID in mS-DS-ConsistencyGuid; the populated attribute is taken (set settings.source_anchor to choose)",
                    self.same
                ),
            )
        } else {
            (
                SourceAnchor::default(),
                "no joined user to tell: the default".to_string(),
            )
        };
        Anchor {
            attribute,
            how,
            anomalies: self.guid_with_other_consistency,
        }
    }
}

/// AD's groupType without the security bit (0x80000000) is a distribution group.
pub(super) fn is_distribution(g: &AdGroup) -> bool {
    g.group_type.is_some_and(|t| t >= 0)
}

/// The model's kind of a cloud group; `None` for a distribution list.
pub(super) fn cloud_group_type(g: &GraphGroup) -> Option<GroupType> {
    if g.group_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case("Unified"))
    {
        Some(GroupType::Microsoft365)
    } else if g.security_enabled != Some(false) {
        Some(GroupType::Security)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_finds_its_target_as_written_or_compared_as_a_dn() {
        let ad = AdExport {
            users: vec![AdUser {
                dn: "CN=Kim\\, Jordan,OU=Staff,DC=contoso,DC=com".into(),
                ..AdUser::default()
            }],
            ..AdExport::default()
        };
        let ix = AdIndex::new(&ad);
        assert_eq!(
            ix.by_dn("CN=Kim\\, Jordan,OU=Staff,DC=contoso,DC=com"),
            Some((Kind::User, 0))
        );
        assert_eq!(
            ix.by_dn("cn=Kim\\, Jordan, ou=STAFF,dc=contoso,dc=com"),
            Some((Kind::User, 0)),
            "case and spaces between RDNs do not tell DNs apart"
        );
        assert_eq!(ix.by_dn("CN=Kim,OU=Staff,DC=contoso,DC=com"), None);
    }
}
