//! The invariants (INV-1..3; INV-4 is the clock's), as named properties checked after every operation.
//! A broken invariant is a defect of the engine: the run stops with an error.

use crate::entra::{Entra, EntraIndex};
use crate::error::{EngineError, Result};
use crate::rules::RuleId;
use crate::store::*;

/// What the invariants read: both directories' graph and Entra ID's uniqueness index.
struct View<'a> {
    g: &'a DirGraph,
    entra_ix: &'a EntraIndex,
}

fn broken(rule: RuleId, message: String) -> EngineError {
    EngineError::Invariant { rule, message }
}

/// Below this many nodes and relations to check, one thread checks them all: starting a thread
/// costs more than checking a few thousand objects (figures in docs/performance.md).
const SPLIT_FROM: usize = 1 << 15;

/// Checks INV-1..3 for the given nodes and the relations added. `links_may_be_gone`: some
/// relation was removed since they were added, so each is looked up before it is checked.
///
/// A large check (the objects of an initial cycle, of a mass restore and the cycle after it)
/// is split over the machine's cores: the checks only read the world. The error returned is
/// the one a single thread would find first (nodes in order, then relations in order), however
/// many cores there are.
pub(crate) fn check(
    st: &Store,
    entra: &Entra,
    nodes: &[NodeIx],
    links: &[(NodeIx, NodeIx, Rel)],
    links_may_be_gone: bool,
) -> Result<()> {
    let parts = if nodes.len() + links.len() < SPLIT_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    let w = View {
        g: &st.g,
        entra_ix: &entra.index,
    };
    check_in_parts(&w, nodes, links, links_may_be_gone, (parts, RUN))
}

/// How many nodes or relations a thread checks in a row: the runs are dealt out in turn, as
/// the objects of one kind (the costly Entra objects, the cheap AD ones) lie together.
const RUN: usize = 4096;

/// [`check`] with the nodes and the relations dealt out to `parts` threads in runs of `run`.
fn check_in_parts(
    w: &View,
    nodes: &[NodeIx],
    links: &[(NodeIx, NodeIx, Rel)],
    links_may_be_gone: bool,
    (parts, run): (usize, usize),
) -> Result<()> {
    if parts <= 1 {
        check_nodes(w, nodes)?;
        return check_links(w, links, links_may_be_gone);
    }
    // Each thread returns the first error of its runs of nodes and of relations, with its
    // position; the one a single thread would find first has the lowest.
    let first = |part: usize| {
        let node_error = first_error(nodes, (part, parts, run), |items| check_nodes(w, items));
        let link_error = first_error(links, (part, parts, run), |items| {
            check_links(w, items, links_may_be_gone)
        });
        (node_error, link_error)
    };
    let found: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..parts)
            .map(|part| s.spawn(move || first(part)))
            .collect();
        threads.into_iter().map(crate::joined).collect()
    });
    let (node_errors, link_errors): (Vec<_>, Vec<_>) = found.into_iter().unzip();
    for errors in [node_errors, link_errors] {
        if let Some((_, e)) = errors.into_iter().flatten().min_by_key(|(at, _)| *at) {
            return Err(e);
        }
    }
    Ok(())
}

/// The first error `check` finds in the runs of `run` items of `items` that are `part`'s (one
/// run in `parts`), with the position of the run it is in.
fn first_error<T>(
    items: &[T],
    (part, parts, run): (usize, usize, usize),
    check: impl Fn(&[T]) -> Result<()>,
) -> Option<(usize, EngineError)> {
    items
        .chunks(run)
        .enumerate()
        .skip(part)
        .step_by(parts)
        .find_map(|(at, run)| check(run).err().map(|e| (at, e)))
}

/// How many objects ahead of the one being checked the lookups of INV-1 are fetched: a lookup in
/// an index larger than the cache waits for memory, and the checks of the objects between give
/// that time to the fetch.
const AHEAD: usize = 8;

fn check_nodes(w: &View, nodes: &[NodeIx]) -> Result<()> {
    for (i, &n) in nodes.iter().enumerate() {
        if let Some(o) = nodes.get(i + AHEAD).and_then(|&next| w.g.entra(next))
            && o.is_live()
        {
            for (what, value) in crate::entra::unique_values(&o.props) {
                w.entra_ix.prefetch(what, value);
            }
        }
        inv_1_unique(w, n)?;
        inv_3_joins(w, n)?;
    }
    Ok(())
}

fn check_links(w: &View, links: &[(NodeIx, NodeIx, Rel)], links_may_be_gone: bool) -> Result<()> {
    for (i, &(a, b, rel)) in links.iter().enumerate() {
        // The relations are in order of their first end; their second (a manager, a group) is
        // anywhere.
        if let Some(next) = links.get(i + AHEAD).and_then(|&(_, to, _)| w.g.node(to)) {
            crate::store::prefetch(next);
        }
        // A relation added, then removed again by the same operation, has no ends to check.
        if !links_may_be_gone || w.g.has(a, b, rel) {
            inv_2_relation(w, a, b, rel)?;
        }
        if rel == Rel::Join {
            inv_3_joined_once(w, a, b)?;
        }
    }
    Ok(())
}

/// INV-1: no two live Entra objects share a UPN, a proxy address or an immutableId. Every live
/// object's values must be held, in the uniqueness index, by that object itself.
fn inv_1_unique(w: &View, n: NodeIx) -> Result<()> {
    let Some(o) = w.g.entra(n) else { return Ok(()) };
    if !o.is_live() {
        return Ok(());
    }
    for (what, value) in crate::entra::unique_values(&o.props) {
        match w.entra_ix.holder(what, value) {
            Some(holder) if holder == n => {}
            other => {
                let by = other
                    .and_then(|h| w.g.entra(h))
                    .map_or("nobody".to_string(), |h| h.id.to_string());
                return Err(broken(
                    RuleId::Inv1,
                    format!("{what} '{value}' of {} is held in the index by {by}", o.id),
                ));
            }
        }
    }
    Ok(())
}

/// INV-2: a relation joins two objects of the same directory, of kinds the relation allows,
/// neither of them gone.
fn inv_2_relation(w: &View, from: NodeIx, to: NodeIx, rel: Rel) -> Result<()> {
    let (Some(a), Some(b)) = (w.g.node(from), w.g.node(to)) else {
        return Err(broken(RuleId::Inv2, "a relation to a missing node".into()));
    };
    let kind = o_kind;
    let ok = match rel {
        Rel::Join => a.directory() == Directory::Ad && b.directory() == Directory::Entra,
        Rel::Member => {
            a.directory() == b.directory() && kind(a).is_some() && kind(b) == Some(Kind::Group)
        }
        Rel::Manager => {
            a.directory() == b.directory()
                && kind(a) == Some(Kind::User)
                && kind(b) == Some(Kind::User)
        }
        Rel::Owner => {
            matches!(a, Node::Entra(_))
                && matches!(b, Node::Entra(_))
                && kind(b) == Some(Kind::Group)
        }
        Rel::Role => matches!(a, Node::Entra(_)) && matches!(b, Node::Role(_)),
        Rel::Licence => matches!(a, Node::Entra(_)) && matches!(b, Node::Sku(_)),
        Rel::App => matches!(a, Node::Entra(_)) && matches!(b, Node::App(_)),
    };
    let gone = rel != Rel::Join && (is_gone(a) || is_gone(b));
    if !ok || gone {
        return Err(broken(
            RuleId::Inv2,
            format!(
                "a '{rel}' relation joins {} and {} objects{}",
                a.directory(),
                b.directory(),
                if gone { " one of which is gone" } else { "" }
            ),
        ));
    }
    Ok(())
}

fn is_gone(n: &Node) -> bool {
    matches!(n, Node::Entra(o) if o.state == EntraState::Purged)
        || matches!(n, Node::Ad(o) if o.state == AdState::Gone)
}

/// INV-3 for a join just made: its Entra object is joined once, to that AD object.
fn inv_3_joined_once(w: &View, ad: NodeIx, entra: NodeIx) -> Result<()> {
    let joins = w.g.inc(entra, Rel::Join).count();
    if joins > 1 || w.g.joined_ad(entra) != Some(ad) {
        let id =
            w.g.entra(entra)
                .map(|o| o.id.to_string())
                .unwrap_or_default();
        return Err(broken(
            RuleId::Inv3,
            format!("Entra object {id} is joined {joins} times"),
        ));
    }
    Ok(())
}

fn o_kind(x: &Node) -> Option<Kind> {
    match x {
        Node::Ad(o) => Some(o.kind),
        Node::Entra(o) => Some(o.kind),
        _ => None,
    }
}

/// INV-3: a join links one live or deleted AD object to at most one Entra object, and no Entra
/// object is joined twice.
fn inv_3_joins(w: &View, n: NodeIx) -> Result<()> {
    match w.g.node(n) {
        Some(Node::Ad(o)) => {
            let joins = w.g.out(n, Rel::Join).count();
            if joins > 1 {
                return Err(broken(
                    RuleId::Inv3,
                    format!(
                        "AD object {} has {joins} joins in state {:?}",
                        o.guid, o.state
                    ),
                ));
            }
        }
        // An Entra object's joins are checked where they are made (see `check`): counting them
        // here would cost every incoming relation of a large group.
        Some(Node::Entra(_)) => {}
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::generate::{Incident, Tenant};
    use crate::world::World;
    use crate::{CycleKind, Op};

    /// A generated tenant after its initial cycle: its nodes and relations, all valid.
    fn synced() -> (World, Vec<NodeIx>, Vec<(NodeIx, NodeIx, Rel)>) {
        let tenant = Tenant::generate(300, 5, Incident::Purge);
        let mut w = tenant.world();
        for op in tenant.ad_ops() {
            w.apply(&op).unwrap();
        }
        w.apply(&Op::Sync(CycleKind::Initial)).unwrap();
        let nodes = w.st.g.nodes().collect();
        let links = w.st.g.relations().collect();
        (w, nodes, links)
    }

    fn joined_users(w: &World) -> Vec<(NodeIx, NodeIx)> {
        let g = &w.st.g;
        g.nodes()
            .filter(|n| g.ad(*n).is_some_and(|o| o.kind == Kind::User))
            .filter_map(|n| Some((n, g.joined_entra(n)?)))
            .collect()
    }

    #[test]
    fn inv_3_a_check_split_over_threads_reports_the_error_one_thread_finds_first() {
        let (mut world, nodes, links) = synced();
        // Cut in runs of 1, 7 and RUN items (one run: the tenant has fewer nodes).
        let cuts = [(1, 1), (2, 1), (2, 7), (3, 7), (8, 7), (2, RUN)];
        fn view(w: &World) -> View<'_> {
            View {
                g: &w.st.g,
                entra_ix: &w.entra.index,
            }
        }
        for cut in cuts {
            check_in_parts(&view(&world), &nodes, &links, false, cut).unwrap();
        }
        // Two AD users, one early and one late in node order, each given a second join: the
        // early one's is the error, however the nodes are cut.
        let users = joined_users(&world);
        let (early, late) = (users[3], users[users.len() - 3]);
        world.st.g.link(late.0, early.1, Rel::Join);
        world.st.g.link(early.0, late.1, Rel::Join);
        let w = view(&world);
        let guid = |n: NodeIx| w.g.ad(n).unwrap().guid.to_string();
        let one = check_in_parts(&w, &nodes, &links, false, (1, RUN)).unwrap_err();
        assert!(one.to_string().contains(&guid(early.0)), "{one}");
        for cut in cuts.into_iter().chain([(nodes.len() + 1, 1)]) {
            let split = check_in_parts(&w, &nodes, &links, false, cut).unwrap_err();
            assert_eq!(split.to_string(), one.to_string(), "{cut:?}");
        }
        // The relations, in order: of the two new joins (each now one of two joins of its
        // Entra object), the first is the error. The tenant's own joins, which would fail now
        // too, are left out.
        let joins = [(early.0, late.1, Rel::Join), (late.0, early.1, Rel::Join)];
        let mut links: Vec<_> = links.into_iter().filter(|l| l.2 != Rel::Join).collect();
        links.insert(10, joins[0]);
        links.push(joins[1]);
        let id = |n: NodeIx| w.g.entra(n).unwrap().id.to_string();
        for cut in cuts {
            let e = check_in_parts(&w, &[], &links, false, cut).unwrap_err();
            assert!(e.to_string().contains(&id(late.1)), "{cut:?}: {e}");
        }
    }
}
