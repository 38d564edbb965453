//! Look-ahead for a cycle's long loops: what an add or a reference will read, fetched a few
//! objects ahead so that the rules do not wait for memory. Hints only: nothing changes.

use super::*;

/// How many objects ahead of the one being exported an add's lookups are fetched
/// ([`Cycle::prefetch_add`]).
pub(super) const ADD_AHEAD: usize = 4;

/// A stage of [`Cycle::prefetch_manager`].
#[derive(Clone, Copy)]
pub(super) enum ReferenceStage {
    Object,
    Attributes,
    Joined,
}

pub(super) const REFERENCE_STAGES: [ReferenceStage; 3] = [
    ReferenceStage::Object,
    ReferenceStage::Attributes,
    ReferenceStage::Joined,
];

impl Cycle<'_> {
    /// Has the processor fetch where an add of `n` will first look values up in the uniqueness
    /// index, without waiting for it: its anchor's immutableId for the hard match (SYNC-3), its
    /// primary SMTP address and UPN for the soft match (SYNC-5). At a million users each of
    /// these lookups would otherwise wait for memory. A value the add ends up not looking up
    /// costs a fetch for nothing.
    pub(super) fn prefetch_add(&self, n: NodeIx) {
        let Some(o) = self.st.g.ad(n) else { return };
        if let Some(imm) = crate::store::ids::immutable_id_text(self.anchor_of(o).0) {
            self.entra.index.prefetch(Unique::ImmutableId, &imm);
        }
        match o.attrs.value(AdAttr::ProxyAddresses).map(Value::as_list) {
            Some(list) if !list.is_empty() => {
                for p in list.iter().filter(|p| p.starts_with("SMTP:")) {
                    self.entra.index.prefetch(Unique::Proxy, p);
                }
            }
            // The address `desired_proxies` makes of the mail attribute.
            _ => {
                if let Some(mail) = o.attrs.text(AdAttr::Mail) {
                    let mut smtp = arrayvec::ArrayString::<256>::new();
                    if smtp
                        .try_push_str("SMTP:")
                        .and(smtp.try_push_str(mail))
                        .is_ok()
                    {
                        self.entra.index.prefetch(Unique::Proxy, &smtp);
                    }
                }
            }
        }
        if let Some(upn) = o.attrs.str(AdAttr::UserPrincipalName) {
            self.entra.index.prefetch(Unique::Upn, upn);
        }
    }

    /// Has the processor fetch what the reference phase will read of `n`'s manager (SYNC-7),
    /// without waiting for it: the manager is anywhere in the tenant, where `n` and its Entra
    /// object are next to the objects before them. In stages, each reading what the one before
    /// fetched: the manager's AD object, then its attributes (SYNC-2's scope reads its
    /// sAMAccountName) and its join, then its Entra object. A hint: nothing changes.
    pub(super) fn prefetch_manager(&self, n: NodeIx, stage: ReferenceStage) {
        let Some(m) = self.st.g.out(n, Rel::Manager).next() else {
            return;
        };
        match stage {
            ReferenceStage::Object => self.st.g.prefetch(m),
            ReferenceStage::Attributes => {
                if let Some(o) = self.st.g.ad(m) {
                    o.attrs.prefetch();
                }
                self.st.g.prefetch_joined(m);
            }
            ReferenceStage::Joined => {
                if let Some(e) = self.st.g.joined_entra(m) {
                    self.st.g.prefetch(e);
                }
            }
        }
    }
}
