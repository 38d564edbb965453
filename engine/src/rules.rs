//! The catalogue of behaviour rules: each rule's ID, one-line statement and public source.
//! Events name the rule that produced them; `explain` and the rule catalogue in `docs/rules.md`
//! (rendered by [`catalogue_markdown`]) read from here.

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! rules {
    ($($variant:ident = $id:literal, $statement:literal, $source:literal;)*) => {
        /// A behaviour rule of the catalogue.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub enum RuleId { $($variant),* }

        impl RuleId {
            /// Every rule, in catalogue order (grouped by system).
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];
            /// The rule's ID, e.g. `SYNC-3`: the system's prefix and a number.
            pub fn id(self) -> &'static str { match self { $(RuleId::$variant => $id),* } }
            /// The rule in one sentence.
            pub fn statement(self) -> &'static str { match self { $(RuleId::$variant => $statement),* } }
            /// The public page the rule rests on.
            pub fn source(self) -> &'static str { match self { $(RuleId::$variant => $source),* } }
        }
    };
}

rules! {
    Id1 = "ID-1", "Entra ids and AD objectGUIDs/SIDs are never reused, and all come from one seeded generator.", "https://learn.microsoft.com/graph/api/resources/user";
    Id2 = "ID-2", "onPremisesImmutableId is the base64 of the anchor's 16 bytes in AD (little-endian groups) byte order.", "https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts";
    Id3 = "ID-3", "A user's relations are memberships, ownerships, roles, licences (direct and group-based), app assignments and manager.", "https://learn.microsoft.com/entra/architecture/recover-from-deletions";
    Id4 = "ID-4", "userPrincipalName, every proxy address and onPremisesImmutableId are unique among live Entra objects.", "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors";
    Ad1 = "AD-1", "A new AD object gets a new objectGUID and objectSid; mS-DS-ConsistencyGuid stays empty unless set.", "https://learn.microsoft.com/windows-server/identity/ad-ds/get-started/adac/active-directory-recycle-bin";
    Ad2 = "AD-2", "With the Recycle Bin, a deleted object keeps all attributes and links for the deleted object lifetime, then is recycled.", "https://learn.microsoft.com/windows-server/identity/ad-ds/get-started/adac/active-directory-recycle-bin";
    Ad3 = "AD-3", "Without the Recycle Bin, a deleted object becomes a tombstone that loses its links and all but a few attributes.", "https://learn.microsoft.com/openspecs/windows_protocols/ms-adts/17eabe88-5dad-4b56-831f-e2e07004ad22";
    Ad4 = "AD-4", "Native undelete brings a deleted object back with the same objectGUID and SID and what it kept; a recycled object cannot be undeleted.", "https://learn.microsoft.com/windows-server/identity/ad-ds/get-started/adac/active-directory-recycle-bin";
    Ad5 = "AD-5", "VEAD reanimates a deleted object or tombstone from a backup, or creates a new object when nothing is left.", "https://helpcenter.veeam.com/docs/backup/explorers/vead_recommendations.html";
    Ad6 = "AD-6", "Moving an AD object between OUs keeps its objectGUID and may move it in or out of sync scope.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering";
    Entra1 = "ENTRA-1", "Deleting an Entra user is a soft delete to the recycle bin for 30 days, keeping id, properties and relations.", "https://learn.microsoft.com/entra/architecture/recover-from-deletions";
    Entra2 = "ENTRA-2", "After the retention period, or on a permanent delete, the object and its relations are gone for good.", "https://learn.microsoft.com/entra/fundamentals/users-restore";
    Entra3 = "ENTRA-3", "Restoring from the recycle bin brings back the same id, properties and relations, unless a live object holds its UPN or immutableId.", "https://learn.microsoft.com/entra/fundamentals/users-restore";
    Entra4 = "ENTRA-4", "Microsoft 365 and cloud security groups are soft-deleted; groups synced from AD are hard-deleted and come back with a new id.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering";
    Entra5 = "ENTRA-5", "The cloud cannot write AD-mastered properties of a synced object, nor the members of a synced group.", "https://learn.microsoft.com/troubleshoot/entra/entra-id/user-prov-sync/cannot-manage-objects";
    Entra6 = "ENTRA-6", "A licence inherited from a group exists exactly while the user is a member of that group.", "https://learn.microsoft.com/entra/identity/users/licensing-group-advanced";
    Entra7 = "ENTRA-7", "A cloud write of a synced user's mobilePhone is kept: the sync no longer writes AD's mobile over it, unless bypassDirSyncOverridesEnabled is on.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides";
    Sync1 = "SYNC-1", "The source anchor of a user is mS-DS-ConsistencyGuid (written from objectGUID when empty) or objectGUID; groups carry none in the cloud (SYNC-12).", "https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts";
    Sync2 = "SYNC-2", "An AD object is in scope when it is live, in a synced OU and has a sAMAccountName; OU filter changes need an initial cycle.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering";
    Sync3 = "SYNC-3", "An add hard-matches its anchor against live, then soft-deleted users; a soft-deleted match is restored.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-recycle-bin";
    Sync4 = "SYNC-4", "With BlockCloudObjectTakeoverThroughHardMatch, a hard match onto a user not currently synced fails with InvalidHardMatch.", "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors";
    Sync5 = "SYNC-5", "Soft match by primary SMTP then UPN onto a cloud user with no immutableId; admins are refused, a different immutableId is InvalidSoftMatch.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant";
    Sync6 = "SYNC-6", "With no match a new user is provisioned; its UPN keeps the AD suffix only when that domain is verified.", "https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname";
    Sync7 = "SYNC-7", "Every cycle writes the AD-mastered properties of joined users and the membership of synced groups; cloud-only state is untouched.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant";
    Sync8 = "SYNC-8", "A deleted or out-of-scope AD object is deleted in Entra; more deletes than the threshold (or as many, by setting) stop the whole export.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-prevent-accidental-deletes";
    Sync9 = "SYNC-9", "A clashing UPN is quarantined to a placeholder and a clashing proxy address dropped, until the clash is gone.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency";
    Sync10 = "SYNC-10", "A synced user deleted in the cloud is added again by the next cycle: restored if in the recycle bin, else new and bare.", "https://learn.microsoft.com/troubleshoot/entra/entra-id/user-prov-sync/object-deletions-not-sync";
    Sync11 = "SYNC-11", "A delta cycle processes only objects changed since the last cycle; an initial cycle re-reads everything.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-scheduler";
    Sync12 = "SYNC-12", "A group gets no onPremisesImmutableId and is never hard-matched; only a mail-enabled group soft-matches, on its primary SMTP address, a live cloud group.", "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant";
    Vdc1 = "VDC-1", "A VDC backup holds every Entra user and group with its VDC properties, relations and object id.", "https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html";
    Vdc2 = "VDC-2", "A restore session restores from the recycle bin first, then from the backup, skipping or overwriting existing objects.", "https://helpcenter.veeam.com/docs/vdc/userguide/entra_id_data_restore_how.html";
    Vdc3 = "VDC-3", "A user with no live object of its id is re-created with a new id, unless a live object holds its UPN or immutableId.", "https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html";
    Vdc4 = "VDC-4", "Keep Relationships restores the backed-up relations to targets that still exist; the others are skipped.", "https://helpcenter.veeam.com/docs/vbr/entraid/entra_id_tenant_restore_options_advanced.html";
    Vdc5 = "VDC-5", "Each restored object ends Success, Warning (something skipped) or Failed (nothing written), with a reason.", "https://helpcenter.veeam.com/docs/vdc/userguide/entra_id_data_restore_how.html";
    Vdc6 = "VDC-6", "Properties VDC does not restore stay empty on a re-created user until a sync fills them.", "https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html";
    Vdc7 = "VDC-7", "Keep Relationships restores only the relationships Veeam lists for the item type: a user's direct reports get their manager back; a group's app role assignments are not restored.", "https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html";
    Vdc8 = "VDC-8", "Role assignments are restored only for tenants with Entra ID P2 or Governance licences; otherwise they are skipped.", "https://helpcenter.veeam.com/archive/backup/120/entraid/entra_id_properties.html";
    Vdc9 = "VDC-9", "A restore session takes at most 1,000 items; a larger session is refused and restores nothing.", "https://helpcenter.veeam.com/docs/vbr/userguide/entra_id_limitations.html";
    Vdc10 = "VDC-10", "A user re-created with a mail that is another live object's proxy address cannot be written as backed up (mail sets the primary SMTP address).", "https://learn.microsoft.com/graph/api/resources/user";
    Vdc11 = "VDC-11", "VDC does not restore mail-enabled security groups or distribution groups: such a group in a session ends Failed and nothing is written.", "https://helpcenter.veeam.com/docs/vbr/userguide/entra_id_limitations.html";
    Vead1 = "VEAD-1", "A backup step also captures AD users and groups with attributes, memberships and identifiers.", "https://helpcenter.veeam.com/docs/backup/explorers/vead_recommendations.html";
    Inv1 = "INV-1", "No two live Entra objects share a UPN, a proxy address or an immutableId.", "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors";
    Inv2 = "INV-2", "Every relation joins two objects of the same directory, of kinds the relation allows.", "https://learn.microsoft.com/entra/architecture/recover-from-deletions";
    Inv3 = "INV-3", "A sync join links one AD object to at most one Entra object, and no Entra object is joined twice.", "https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts";
    Inv4 = "INV-4", "Time never goes backwards; retention expiries happen in time order.", "https://learn.microsoft.com/entra/fundamentals/users-restore";
}

impl RuleId {
    /// The rule with this ID, e.g. `SYNC-3`.
    pub fn from_id(s: &str) -> Option<RuleId> {
        Self::ALL.iter().copied().find(|r| r.id() == s)
    }

    /// The system the rule belongs to: its ID without the number (`SYNC` for `SYNC-3`).
    pub fn prefix(self) -> &'static str {
        let id = self.id();
        id.rsplit_once('-').map_or(id, |(prefix, _)| prefix)
    }
}

/// The heading of the catalogue's section for a rule prefix.
fn system_name(prefix: &str) -> &str {
    match prefix {
        "ID" => "Identifiers and relations",
        "AD" => "Active Directory",
        "ENTRA" => "Microsoft Entra ID",
        "SYNC" => "Microsoft Entra Connect Sync",
        "VDC" => "Veeam Data Cloud for Microsoft Entra ID",
        "VEAD" => "Veeam Explorer for Active Directory",
        "INV" => "Invariants (checked after every operation)",
        other => other,
    }
}

/// A table cell: a `|` would end the cell, a line break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The whole of `docs/rules.md`: a heading, how the file is made, then one section per system
/// (the ID prefixes in catalogue order) with a table of each rule's ID, statement and source.
/// Deterministic: the same catalogue gives the same bytes.
pub fn catalogue_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Behaviour rules\n\n");
    out.push_str(
        "This file is generated from the rule catalogue in `engine/src/rules.rs` \
         (`hysim_engine::rules::catalogue_markdown`); do not edit it by hand, regenerate it with \
         `UPDATE_DOCS=1 cargo test -p hysim-tests --test docs`.\n\n",
    );
    out.push_str(
        "Every event of a report names the rule that produced it; `hysim explain` prints the \
         statement and source of each rule it cites. A rule's ID is the system it belongs to and \
         a number.\n",
    );
    let mut prefixes: Vec<&str> = Vec::new();
    for r in RuleId::ALL {
        if !prefixes.contains(&r.prefix()) {
            prefixes.push(r.prefix());
        }
    }
    for prefix in prefixes {
        out.push_str(&format!("\n## {} ({prefix})\n\n", system_name(prefix)));
        out.push_str("| ID | rule | source |\n|---|---|---|\n");
        for r in RuleId::ALL.iter().filter(|r| r.prefix() == prefix) {
            let source = r.source();
            let shown = source.strip_prefix("https://").unwrap_or(source);
            out.push_str(&format!(
                "| {} | {} | [{}]({source}) |\n",
                r.id(),
                cell(r.statement()),
                cell(shown)
            ));
        }
    }
    out
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
