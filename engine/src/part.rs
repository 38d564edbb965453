//! A part of a world: the identities a runbook about one user can read or write, copied with
//! their objects, relations, joins and pending changes into a world of their own, so that a
//! what-if about that user costs its neighbourhood, not the tenant (`hysim readiness`).
//! No rule lives here: the neighbourhood follows what the systems look up, and the copy places
//! each object as it is.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::entra::index::{Unique, key_text, unique_values};
use crate::error::{EngineError, Result};
use crate::store::*;
use crate::world::World;

impl World {
    /// The identities a runbook about `h` alone can read or write, `h` first, then in handle
    /// order: `h`; every identity one relation or join away from one of its objects (groups
    /// and owned groups, manager, direct reports); the Entra objects that hold, or in the
    /// recycle bin carry, a value of `h` that Entra ID keeps unique or the sync matches on
    /// (UPN, proxy and primary SMTP addresses, onPremisesImmutableId and the anchors of its AD
    /// objects), with those that hold the values of such a recycle-bin object; and the AD
    /// objects waiting for one of those values (SYNC-9).
    pub fn neighbourhood(&self, h: HandleId) -> Vec<HandleId> {
        let st = &self.st;
        let g = &st.g;
        let mut found: BTreeSet<HandleId> = BTreeSet::new();
        let handle_of = |n: NodeIx| match g.node(n) {
            Some(Node::Ad(o)) => Some(o.handle),
            Some(Node::Entra(o)) => Some(o.handle),
            _ => None,
        };
        let own: Vec<NodeIx> = st
            .objects
            .ad(h)
            .iter()
            .chain(st.objects.entra(h))
            .copied()
            .collect();
        for &n in &own {
            for (_, a, b, _) in g.relations_of(n, true) {
                found.extend([a, b].into_iter().filter_map(handle_of));
            }
        }
        let index = &self.entra.index;
        let mut anchored: Vec<NodeIx> = Vec::new();
        let mut lookup = |values: Vec<(Unique, Str)>, anchored: &mut Vec<NodeIx>| {
            for (what, v) in values {
                if let Some(x) = index.holder(what, &v) {
                    found.extend(handle_of(x));
                }
                if what == Unique::ImmutableId {
                    for x in index.deleted_with_anchor(&v) {
                        found.extend(handle_of(*x));
                        anchored.push(*x);
                    }
                }
                let key = (what, Str::from(key_text(what, &v)));
                for ad in index.waiting.get(&key).into_iter().flatten() {
                    found.extend(handle_of(*ad));
                }
            }
        };
        let values: Vec<(Unique, Str)> = own.iter().flat_map(|n| self.unique_keys(*n)).collect();
        lookup(values, &mut anchored);
        let values: Vec<(Unique, Str)> =
            anchored.iter().flat_map(|n| self.unique_keys(*n)).collect();
        lookup(values, &mut Vec::new());
        found.remove(&h);
        std::iter::once(h).chain(found).collect()
    }

    /// The values of an object that Entra ID keeps unique or the sync matches on.
    fn unique_keys(&self, n: NodeIx) -> Vec<(Unique, Str)> {
        let smtp = |m: &str| Str::from(format!("smtp:{m}"));
        let mut out = Vec::new();
        match self.st.g.node(n) {
            Some(Node::Entra(o)) => {
                out.extend(
                    unique_values(&o.props)
                        .into_iter()
                        .map(|(w, v)| (w, v.clone())),
                );
                if let Some(m) = o.props.text(EntraProp::Mail) {
                    out.push((Unique::Proxy, smtp(m)));
                }
            }
            Some(Node::Ad(o)) => {
                if let Some(u) = o.attrs.str(AdAttr::UserPrincipalName) {
                    out.push((Unique::Upn, u.clone()));
                }
                if let Some(m) = o.attrs.text(AdAttr::Mail) {
                    out.push((Unique::Proxy, smtp(m)));
                }
                if let Some(list) = o.attrs.value(AdAttr::ProxyAddresses) {
                    out.extend(list.as_list().iter().map(|p| (Unique::Proxy, p.clone())));
                }
                let anchors = [Some(o.guid), o.consistency_guid()];
                out.extend(
                    anchors
                        .into_iter()
                        .flatten()
                        .map(|g| (Unique::ImmutableId, immutable_id(g))),
                );
            }
            _ => {}
        }
        out
    }

    /// A world of only the identities `keep` (handles of this world): their objects in every
    /// state, in the order they were made, with their ids; the relations and joins among them
    /// and to roles, licences and apps, in the order they were made; the changes the next
    /// cycle would process for them; the settings, names, clock, OU filters and id generator
    /// of this world. Its handles are numbered afresh, `keep`'s order, and returned. Its
    /// restore points, AD backups, sessions and cycles start empty. Costs the objects kept and
    /// their relations, except that a group's members are not read (only those kept are
    /// linked, from their side).
    pub fn part(&self, keep: &[HandleId]) -> Result<(World, Vec<HandleId>)> {
        let st = &self.st;
        let g = &st.g;
        let mut handles = Handles::default();
        let mut to_new: FxHashMap<HandleId, HandleId> = FxHashMap::default();
        let mut new_ids = Vec::with_capacity(keep.len());
        for h in keep {
            let kind = st.handles.kind(*h).ok_or(EngineError::UnknownHandle(*h))?;
            let new = handles
                .intern(st.handles.name_str(*h), kind)
                .map_err(|_| EngineError::UnknownHandle(*h))?;
            to_new.insert(*h, new);
            new_ids.push(new);
        }
        let mut w = World::new(
            self.settings.clone(),
            self.names.clone(),
            self.now(),
            Arc::new(handles),
        );
        w.st.ids = st.ids.clone();
        w.sync.configured_ous = self.sync.configured_ous.clone();
        w.sync.applied_ous = self.sync.applied_ous.clone();
        w.set_detail(self.detail());
        let mut nodes: Vec<NodeIx> = to_new
            .keys()
            .flat_map(|h| st.objects.ad(*h).iter().chain(st.objects.entra(*h)))
            .copied()
            .collect();
        nodes.sort_unstable();
        let mut to_node: FxHashMap<NodeIx, NodeIx> = FxHashMap::default();
        {
            let World {
                st: wst,
                ad,
                entra,
                clock,
                settings,
                ..
            } = &mut w;
            for n in &nodes {
                let placed = match g.node(*n) {
                    Some(Node::Ad(o)) => {
                        let mut o = o.clone();
                        o.handle = to_new.get(&o.handle).copied().unwrap_or_default();
                        ad.place(wst, clock, settings, o)
                    }
                    Some(Node::Entra(o)) => {
                        let mut o = o.clone();
                        o.handle = to_new.get(&o.handle).copied().unwrap_or_default();
                        entra.place(wst, clock, settings, o)
                    }
                    _ => continue,
                };
                to_node.insert(*n, placed);
            }
            // The relations among the objects kept and to the catalogue, by their place in
            // this world's order. A group's incoming relations (its members) are not read.
            let mut rels: Vec<(usize, NodeIx, NodeIx, Rel)> = Vec::new();
            for n in &nodes {
                let is_group = matches!(g.node(*n), Some(Node::Ad(o)) if o.kind == Kind::Group)
                    || matches!(g.node(*n), Some(Node::Entra(o)) if o.kind == Kind::Group);
                rels.extend(g.relations_of(*n, !is_group));
            }
            rels.sort_unstable_by_key(|r| r.0);
            rels.dedup_by_key(|r| r.0);
            for (_, a, b, rel) in rels {
                let mut end = |x: NodeIx| -> Option<NodeIx> {
                    if let Some(y) = to_node.get(&x) {
                        return Some(*y);
                    }
                    let which = match g.node(x)? {
                        Node::Role(_) => 0,
                        Node::Sku(_) => 1,
                        Node::App(_) => 2,
                        _ => return None,
                    };
                    let name = g.catalogue_name(x)?;
                    Some(entra.catalogue_node(wst, which, name))
                };
                if let (Some(a), Some(b)) = (end(a), end(b)) {
                    wst.g.link(a, b, rel);
                }
            }
            for d in &st.changes.dirty {
                if let Some(n) = to_node.get(d) {
                    wst.changes.dirty.push(*n);
                }
            }
            for (grp, m) in &st.changes.members {
                if let (Some(grp), Some(m)) = (to_node.get(grp), to_node.get(m)) {
                    wst.changes.members.push((*grp, *m));
                }
            }
            for (key, waiting) in &self.entra.index.waiting {
                let kept: BTreeSet<NodeIx> = waiting
                    .iter()
                    .filter_map(|n| to_node.get(n).copied())
                    .collect();
                if !kept.is_empty() {
                    entra.index.waiting.insert(key.clone(), kept);
                }
            }
            entra.flush_ids(wst);
            wst.g.clear_touched();
        }
        Ok((w, new_ids))
    }
}
