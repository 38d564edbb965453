//! Attribute flow into a joined Entra object (SYNC-7) and duplicate attribute resiliency
//! (SYNC-9).

use super::*;

/// A flow written into an Entra object, for [`Cycle::flow_outcome`]: the object's name, its
/// provisioning errors before and after, its properties before, and the properties written.
pub(super) struct Flow<'a> {
    pub(super) name: &'a str,
    pub(super) old_errors: &'a [ProvisioningError],
    pub(super) new_errors: ThinVec<ProvisioningError>,
    pub(super) before: &'a PropMap<EntraProp>,
    pub(super) written: &'a [EntraProp],
}

/// The properties a flow writes, for describing it afterwards.
pub(super) fn written_keys(
    want: &[(EntraProp, Option<Value>)],
) -> smallvec::SmallVec<[EntraProp; 32]> {
    want.iter().map(|(p, _)| *p).collect()
}

impl Cycle<'_> {
    /// The proxy addresses AD gives a user: `proxyAddresses` (its list, shared), else
    /// `SMTP:<mail>`; `None` when it has neither.
    pub(super) fn desired_proxies(&self, o: &AdObject) -> Option<Value> {
        match o.attrs.value(AdAttr::ProxyAddresses) {
            Some(list) if !list.as_list().is_empty() => Some(list.clone()),
            _ => o
                .attrs
                .text(AdAttr::Mail)
                .map(|m| Value::from_iter([crate::store::propmap::concat(&["SMTP:", m])])),
        }
    }

    /// The UPN Entra gets for an AD user (SYNC-6): the AD UPN when its suffix is a verified
    /// domain, else `<mailNickname>@<tenant>.onmicrosoft.com`.
    ///
    /// An AD user without a userPrincipalName (a reanimated tombstone, AD-3) gets
    /// `<sAMAccountName>@<AD domain>`, as the default inbound rule "In from AD - User Join" does.
    pub(super) fn desired_upn(&self, o: &AdObject) -> Option<Value> {
        let upn = match o.attrs.value(AdAttr::UserPrincipalName) {
            Some(v) if v.as_str().is_some() => v.clone(),
            _ => Value::text(format!("{}@{}", o.sam()?, self.names.domain)),
        };
        let suffix = upn
            .as_text()
            .and_then(|u| u.rsplit_once('@'))
            .map_or("", |(_, d)| d);
        if self.names.is_verified(suffix) {
            return Some(upn);
        }
        let nick = o
            .attrs
            .text(AdAttr::MailNickname)
            .or(o.sam())
            .unwrap_or("user");
        Some(Value::text(format!(
            "{nick}@{}",
            self.names.initial_domain()
        )))
    }

    /// The values AD gives an Entra object's AD-mastered properties (section 2). Only the
    /// properties the sync writes are returned; `None` clears.
    pub(super) fn desired_props(
        &self,
        n: NodeIx,
        anchor: Option<Value>,
    ) -> Vec<(EntraProp, Option<Value>)> {
        let Some(o) = self.st.g.ad(n) else {
            return Vec::new();
        };
        let sam = o.attrs.str(AdAttr::SamAccountName);
        let mut out = Vec::with_capacity(USER_PROPS.len());
        for row in USER_PROPS {
            if o.kind == Kind::Group
                && !matches!(
                    row.prop,
                    EntraProp::DisplayName
                        | EntraProp::Mail
                        | EntraProp::MailNickname
                        | EntraProp::ProxyAddresses
                        | EntraProp::OnPremisesSamAccountName
                        | EntraProp::OnPremisesSecurityIdentifier
                        | EntraProp::OnPremisesDistinguishedName
                        | EntraProp::OnPremisesDomainName
                )
            {
                continue;
            }
            let v: Option<Value> = match row.source {
                Source::Attr(AdAttr::UserPrincipalName) => self.desired_upn(o),
                Source::Attr(AdAttr::ProxyAddresses) => self.desired_proxies(o),
                Source::Attr(AdAttr::TelephoneNumber) => o
                    .attrs
                    .str(AdAttr::TelephoneNumber)
                    .map(|t| Value::from_iter([t.clone()])),
                // The default rules fall back to the RDN (`cn`) for a user, and to the
                // sAMAccountName for a group, when AD has no displayName.
                Source::Attr(AdAttr::DisplayName) if o.kind == Kind::User => o
                    .attrs
                    .str(AdAttr::DisplayName)
                    .or(o.attrs.str(AdAttr::Cn))
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Attr(AdAttr::DisplayName) if o.kind == Kind::Group => o
                    .attrs
                    .str(AdAttr::DisplayName)
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Attr(a) => o.attr(a),
                Source::MailNicknameOrSam => o
                    .attrs
                    .str(AdAttr::MailNickname)
                    .or(sam)
                    .map(|s| Value::from(s.clone())),
                Source::Enabled => Some(Value::from(
                    o.attrs.value(AdAttr::Enabled).and_then(Value::as_bool) != Some(false),
                )),
                Source::Anchor => anchor.clone(),
                Source::Sid => Some(Value::from(o.sid.text())),
                Source::DistinguishedName => Some(Value::from(distinguished_name(self.names, o))),
                Source::Domain => Some(self.names.domain_value.clone()),
                Source::SyncService => continue,
            };
            if flows(row, &v) {
                out.push((row.prop, v));
            }
        }
        out
    }

    /// SYNC-7 attribute flow with duplicate attribute resiliency (SYNC-9): AD's values overwrite
    /// the cloud's and fill missing ones; a UPN held by another object is replaced by a
    /// placeholder and a clashing proxy address dropped, both recorded on the object, until the
    /// clash is gone.
    pub(super) fn sync_flow(
        &mut self,
        n: NodeIx,
        e: NodeIx,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let anchor = self
            .st
            .g
            .entra(e)
            .and_then(|eo| eo.props.get(EntraProp::OnPremisesImmutableId).cloned());
        let want = self.desired_props(n, anchor);
        self.flow_into(n, e, want, errors, ev);
    }

    /// [`Cycle::sync_flow`] of `want`, the values AD gives `e` ([`Cycle::desired_props`] with
    /// `e`'s anchor).
    pub(super) fn flow_into(
        &mut self,
        n: NodeIx,
        e: NodeIx,
        want: Vec<(EntraProp, Option<Value>)>,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let Some(eo) = self.st.g.entra(e) else { return };
        let old_errors = eo.errors.clone();
        let before = eo.props.clone();
        let overridden = eo.mobile_phone_overridden;
        let name = self.st.name_if(eo.handle, ev.detail());
        let want = if overridden {
            self.mobile_phone_override(e, want, &before, &name, ev)
        } else {
            want
        };
        let (want, new_errors) = self.flow_values(n, Some(e), want, &old_errors, &before);
        if let Err(clashes) = self.entra.write(self.st, e, &want) {
            // The export stays pending and is retried by the next cycle (SYNC-11).
            self.st.touch(n);
            errors.insert(ErrorCode::AttributeValueMustBeUnique);
            let what: Vec<String> = clashes.iter().map(|(w, v, _)| format!("{w} {v}")).collect();
            ev.push_with(|| {
                Event::new(
                    K::Refused,
                    &name,
                    R::Id4,
                    format!(
                        "AttributeValueMustBeUnique: the export of {name} was refused ({})",
                        what.join(", ")
                    ),
                )
            });
            return;
        }
        let flow = Flow {
            name: &name,
            old_errors: &old_errors,
            new_errors,
            before: &before,
            written: &written_keys(&want),
        };
        self.flow_outcome(e, flow, errors, ev);
    }

    /// ENTRA-7 on a flow into `e`, whose mobilePhone was changed in the cloud: without
    /// `bypass_dir_sync_overrides` the cloud value is kept (AD's `mobile` is left out of `want`);
    /// with it, AD is the source again: the mark is dropped and AD's value flows as usual (a
    /// later cloud write marks the property again).
    fn mobile_phone_override(
        &mut self,
        e: NodeIx,
        mut want: Vec<(EntraProp, Option<Value>)>,
        before: &PropMap<EntraProp>,
        name: &str,
        ev: &mut Events,
    ) -> Vec<(EntraProp, Option<Value>)> {
        if self.settings.bypass_dir_sync_overrides {
            if let Some(o) = self.st.g.entra_mut(e) {
                o.mobile_phone_overridden = false;
            }
            ev.push_with(|| Event::new(
                K::OverrideBypassed,
                name,
                R::Entra7,
                format!("bypassDirSyncOverridesEnabled is on: the cloud change of {name}'s mobilePhone is no longer kept, AD's mobile is the source again"),
            ));
            return want;
        }
        let cloud = before.get(EntraProp::MobilePhone);
        let mut kept = None;
        want.retain(|(p, v)| {
            if *p != EntraProp::MobilePhone {
                return true;
            }
            if v.as_ref() != cloud {
                kept = Some(v.clone());
            }
            false
        });
        if let Some(ad) = kept {
            let shown = |v: Option<&Value>| {
                v.and_then(Value::as_text)
                    .map_or("none".to_string(), str::to_string)
            };
            let (ad, cloud) = (shown(ad.as_ref()), shown(cloud));
            ev.push_with(|| Event::new(
                K::OverrideKept,
                name,
                R::Entra7,
                format!("mobilePhone of {name} was changed in the cloud: Entra ID keeps {cloud}, AD's mobile {ad} is not written (bypassDirSyncOverridesEnabled is off)"),
            ));
        }
        want
    }

    /// The values AD's object `n` gives its Entra object `e` (`None`: one about to be created),
    /// `want` ([`Cycle::desired_props`]), with SYNC-9's quarantine applied against the other
    /// live holders: a UPN held by another object becomes a placeholder (the one `e` already
    /// has for it, if any), a clashing proxy address is dropped. Returns the writes and the
    /// errors to record on the object.
    pub(super) fn flow_values(
        &mut self,
        n: NodeIx,
        e: Option<NodeIx>,
        mut want: Vec<(EntraProp, Option<Value>)>,
        old_errors: &[ProvisioningError],
        before: &PropMap<EntraProp>,
    ) -> (Vec<(EntraProp, Option<Value>)>, ThinVec<ProvisioningError>) {
        let mut new_errors = ThinVec::new();
        let other = |h: Option<NodeIx>| h.is_some() && h != e;
        // A live object holds its own values in the index (INV-1): a value it has already is
        // not looked up: a full cycle flows mostly values the objects have.
        let live = e
            .and_then(|e| self.st.g.entra(e))
            .is_some_and(EntraObject::is_live);
        let own_upn = before.text(EntraProp::UserPrincipalName).filter(|_| live);
        let own_proxies = before
            .get(EntraProp::ProxyAddresses)
            .filter(|_| live)
            .map_or(&[][..], Value::as_list);
        let owns_upn =
            |upn: &str| own_upn.is_some_and(|own| crate::store::valuemap::eq_folded(own, upn));
        let owns_proxy = |p: &str| {
            own_proxies
                .iter()
                .any(|own| crate::store::valuemap::eq_folded(own, p))
        };
        for (p, v) in want.iter_mut() {
            let quarantined = match (*p, v.as_ref().map(Value::view)) {
                (EntraProp::UserPrincipalName, Some(ValueRef::Text(upn)))
                    if !owns_upn(upn) && other(self.entra.index.holder(Unique::Upn, upn)) =>
                {
                    let key = crate::store::valuemap::fold(upn).into_owned();
                    let placeholder = old_errors
                        .iter()
                        .find(|x| x.prop == EntraProp::UserPrincipalName && x.value == *upn)
                        .and_then(|_| {
                            before
                                .text(EntraProp::UserPrincipalName)
                                .map(str::to_string)
                        })
                        .filter(|cur| !cur.eq_ignore_ascii_case(upn))
                        .unwrap_or_else(|| self.placeholder_upn(upn));
                    new_errors.push(ProvisioningError {
                        prop: EntraProp::UserPrincipalName,
                        value: upn.clone(),
                    });
                    self.entra
                        .index
                        .waiting
                        .entry((Unique::Upn, key.into()))
                        .or_default()
                        .insert(n);
                    Some(Value::text(placeholder))
                }
                // Most lists clash nowhere: kept as they are, not rebuilt.
                (EntraProp::ProxyAddresses, Some(ValueRef::List(list)))
                    if list.iter().any(|p| {
                        !owns_proxy(p) && other(self.entra.index.holder(Unique::Proxy, p))
                    }) =>
                {
                    let mut kept = Vec::new();
                    for p in list {
                        if !owns_proxy(p) && other(self.entra.index.holder(Unique::Proxy, p)) {
                            let key = proxy_key(p);
                            new_errors.push(ProvisioningError {
                                prop: EntraProp::ProxyAddresses,
                                value: p.clone(),
                            });
                            self.entra
                                .index
                                .waiting
                                .entry((Unique::Proxy, key.into()))
                                .or_default()
                                .insert(n);
                        } else {
                            kept.push(p.clone());
                        }
                    }
                    Some(Value::from_iter(kept))
                }
                _ => None,
            };
            if quarantined.is_some() {
                *v = quarantined;
            }
        }
        let want = want
            .into_iter()
            .map(|(p, v)| (p, v.filter(|v| !v.is_empty())))
            .collect();
        (want, new_errors)
    }

    /// After a flow into `e` was written: the quarantine's events (SYNC-9), the errors recorded
    /// on the object, and with detail on what the flow overwrote, filled and cleared (SYNC-7).
    pub(super) fn flow_outcome(
        &mut self,
        e: NodeIx,
        flow: Flow<'_>,
        errors: &mut BTreeSet<ErrorCode>,
        ev: &mut Events,
    ) {
        let Flow {
            name,
            old_errors,
            new_errors,
            before,
            written,
        } = flow;
        for x in &new_errors {
            errors.insert(ErrorCode::of_recorded(x));
            if !old_errors.contains(x) {
                let what = match x.prop {
                    EntraProp::UserPrincipalName => format!(
                        "userPrincipalName {} is held by another object: {name} gets {} instead",
                        x.value,
                        self.st.g.entra(e).and_then(|o| o.upn()).unwrap_or_default()
                    ),
                    _ => format!(
                        "proxy address {} is held by another object: dropped from {name}",
                        x.value
                    ),
                };
                ev.push_with(|| {
                    Event::new(
                        K::AttributeQuarantined,
                        name,
                        R::Sync9,
                        format!("QuarantinedAttributeValueMustBeUnique: {what}"),
                    )
                });
            }
        }
        for x in old_errors.iter().filter(|x| !new_errors.contains(x)) {
            ev.push_with(|| {
                Event::new(
                    K::QuarantineReleased,
                    name,
                    R::Sync9,
                    format!(
                        "the clash on {} {} is gone: the real value is back on {name}",
                        x.prop, x.value
                    ),
                )
            });
        }
        if let Some(o) = self.st.g.entra_mut(e) {
            o.errors = new_errors;
        }
        // Describe what the flow changed: overwritten cloud values and filled missing ones.
        if !ev.detail() {
            return;
        }
        let Some(after) = self.st.g.entra(e).map(|o| o.props.clone()) else {
            return;
        };
        let mut overwritten = Vec::new();
        let mut filled = Vec::new();
        let mut cleared = Vec::new();
        for p in written {
            match (before.get(*p), after.get(*p)) {
                (Some(a), Some(b)) if a != b => overwritten.push(p.name()),
                (None, Some(_)) => filled.push(p.name()),
                (Some(_), None) => cleared.push(p.name()),
                _ => {}
            }
        }
        if overwritten.is_empty() && filled.is_empty() && cleared.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        for (list, what) in [
            (&overwritten, "overwritten"),
            (&filled, "filled"),
            (&cleared, "cleared"),
        ] {
            if !list.is_empty() {
                parts.push(format!("{what}: {}", list.join(", ")));
            }
        }
        ev.push_with(|| {
            Event::new(
                K::AttributesFlowed,
                name,
                R::Sync7,
                format!("AD values written to {name} ({})", parts.join("; ")),
            )
        });
    }

    /// A SYNC-9 placeholder: `<prefix><4 digits>@<tenant>.onmicrosoft.com`, not held by anyone.
    pub(super) fn placeholder_upn(&mut self, upn: &str) -> String {
        let prefix = upn.split('@').next().unwrap_or("user").to_string();
        loop {
            let candidate = format!(
                "{prefix}{:04}@{}",
                self.st.ids.below(10_000),
                self.names.initial_domain()
            );
            if self
                .entra
                .index
                .holder(Unique::Upn, &candidate.to_lowercase())
                .is_none()
            {
                return candidate;
            }
        }
    }
}
