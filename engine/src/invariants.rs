//! The invariants of BEHAVIOUR.md section 8, as named properties checked after every operation.
//! A broken invariant is a defect of the engine: the run stops with an error.

use crate::model::*;
use crate::rules::RuleId;
use crate::world::{EngineError, Result, World};

fn broken(rule: RuleId, message: String) -> EngineError {
    EngineError::Invariant { rule, message }
}

/// Checks INV-1..3 for the given nodes and the relations added. `links_may_be_gone`: some
/// relation was removed since they were added, so each is looked up before it is checked.
pub(crate) fn check(
    w: &World,
    nodes: &[NodeIx],
    links: &[(NodeIx, NodeIx, Rel)],
    links_may_be_gone: bool,
) -> Result<()> {
    for &n in nodes {
        inv_1_unique(w, n)?;
        inv_3_joins(w, n)?;
    }
    for &(a, b, rel) in links {
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
fn inv_1_unique(w: &World, n: NodeIx) -> Result<()> {
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
fn inv_2_relation(w: &World, from: NodeIx, to: NodeIx, rel: Rel) -> Result<()> {
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
fn inv_3_joined_once(w: &World, ad: NodeIx, entra: NodeIx) -> Result<()> {
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
fn inv_3_joins(w: &World, n: NodeIx) -> Result<()> {
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
