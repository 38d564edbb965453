//! `hysim graph`: the state of both directories after a step, as a Mermaid flowchart or a
//! Graphviz DOT digraph. AD objects in one cluster, Entra objects and the cloud catalogue (roles,
//! licences, apps) in the other; relations as labelled edges, sync joins as dashed edges from an
//! AD object to its Entra object. Deleted objects (soft-deleted, AD deleted, tombstones, recycled)
//! are drawn dashed and grey with their state in the label, and so are the relations they keep;
//! purged and removed objects are left out. Nodes come in graph index order (the order objects
//! were created) and edges in the order of their source, then target: the same file gives the
//! same bytes.

use std::fmt::Write;
use std::path::Path;

use clap::ValueEnum;
use hysim_engine::World;
use hysim_engine::scenario::{self, InputError, RunError, Scenario};
use hysim_engine::store::{AdState, DirGraph, EntraState, GroupType, Kind, Node, NodeIx, Rel};
use hysim_engine::sync::ErrorCode;

use crate::{EXIT_INPUT_ERROR, EXIT_OK};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub, GitLab and in most Markdown viewers).
    Mermaid,
    /// A Graphviz digraph (`dot -Tsvg`).
    Dot,
}

/// Which cluster a node is drawn in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Ad,
    Entra,
}

/// The shape of a node, by what it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    User,
    Group,
    Role,
    Licence,
    App,
}

/// A node to draw.
pub(crate) struct Item {
    pub ix: NodeIx,
    pub side: Side,
    pub shape: Shape,
    /// The label's lines.
    pub lines: Vec<String>,
    /// Deleted but not gone: drawn dashed and grey.
    pub deleted: bool,
}

/// An edge to draw.
pub(crate) struct Link {
    pub from: NodeIx,
    pub to: NodeIx,
    pub rel: Rel,
    /// A relation kept by a deleted object, or pointing at one: not live (ENTRA-1).
    pub dormant: bool,
}

/// The relation kinds, in the order their edges are drawn from one source.
const RELS: [Rel; 7] = [
    Rel::Join,
    Rel::Member,
    Rel::Owner,
    Rel::Manager,
    Rel::Role,
    Rel::Licence,
    Rel::App,
];

fn id(ix: NodeIx) -> String {
    format!("n{}", ix.index())
}

/// The node of `ix` as it is drawn, or `None` when it is gone for good.
fn item(w: &World, ix: NodeIx) -> Option<Item> {
    let g = w.graph();
    let kind_name = |kind: Kind, group_type: Option<GroupType>| match (kind, group_type) {
        (Kind::User, _) => "user",
        (Kind::Group, Some(GroupType::Microsoft365)) => "Microsoft 365 group",
        (Kind::Group, Some(GroupType::Security)) => "security group",
        (Kind::Group, None) => "group",
    };
    let shape_of = |kind: Kind| match kind {
        Kind::User => Shape::User,
        Kind::Group => Shape::Group,
    };
    Some(match g.node(ix)? {
        Node::Ad(o) => {
            let state = match o.state {
                AdState::Live => None,
                AdState::Deleted { .. } => Some("(deleted)"),
                AdState::Tombstone { .. } => Some("(tombstone)"),
                AdState::Recycled { .. } => Some("(recycled)"),
                AdState::Gone => return None,
            };
            let mut lines = vec![
                w.handles().name(o.handle).to_string(),
                format!("{} · OU {}", kind_name(o.kind, None), o.ou),
                format!("objectGUID {}", o.guid.short()),
            ];
            lines.extend(state.map(str::to_string));
            Item {
                ix,
                side: Side::Ad,
                shape: shape_of(o.kind),
                lines,
                deleted: state.is_some(),
            }
        }
        Node::Entra(o) => {
            let state = match o.state {
                EntraState::Live => None,
                EntraState::SoftDeleted { .. } => Some("(soft-deleted)"),
                EntraState::Purged => return None,
            };
            let group_type = (o.kind == Kind::Group).then_some(o.group_type);
            let mut second = kind_name(o.kind, group_type).to_string();
            if o.is_synced() {
                second.push_str(" · synced");
            }
            let mut lines = vec![
                w.handles().name(o.handle).to_string(),
                second,
                format!("id {}", o.id.short()),
            ];
            if !o.errors.is_empty() {
                let codes: Vec<&str> = o
                    .errors
                    .iter()
                    .map(|e| ErrorCode::of_recorded(e).name())
                    .collect();
                lines.push(codes.join(", "));
            }
            lines.extend(state.map(str::to_string));
            Item {
                ix,
                side: Side::Entra,
                shape: shape_of(o.kind),
                lines,
                deleted: state.is_some(),
            }
        }
        Node::Role(name) | Node::Sku(name) | Node::App(name) => {
            let (shape, what) = match g.node(ix)? {
                Node::Role(_) => (Shape::Role, "directory role"),
                Node::Sku(_) => (Shape::Licence, "licence"),
                _ => (Shape::App, "app"),
            };
            Item {
                ix,
                side: Side::Entra,
                shape,
                lines: vec![name.to_string(), what.to_string()],
                deleted: false,
            }
        }
    })
}

/// The edges between drawn nodes, by source in index order, then by target and relation.
fn links(g: &DirGraph, drawn: &[bool]) -> Vec<Link> {
    let is_drawn = |n: NodeIx| drawn.get(n.index()).copied().unwrap_or(false);
    let mut out = Vec::new();
    for from in g.nodes().filter(|n| is_drawn(*n)) {
        let mut mine: Vec<(NodeIx, Rel)> = RELS
            .iter()
            .flat_map(|rel| g.out(from, *rel).map(move |to| (to, *rel)))
            .filter(|(to, _)| is_drawn(*to))
            .collect();
        mine.sort_by_key(|(to, rel)| (to.index(), *rel));
        mine.dedup();
        out.extend(mine.into_iter().map(|(to, rel)| Link {
            from,
            to,
            rel,
            dormant: rel != Rel::Join && !(g.is_live(from) && g.is_live(to)),
        }));
    }
    out
}

/// What is drawn of the world: its nodes in index order, and the edges between them.
pub(crate) fn drawn(w: &World) -> (Vec<Item>, Vec<Link>) {
    let g = w.graph();
    let items: Vec<Item> = g.nodes().filter_map(|n| item(w, n)).collect();
    let mut drawn = vec![false; g.node_bound()];
    for i in &items {
        if let Some(d) = drawn.get_mut(i.ix.index()) {
            *d = true;
        }
    }
    let links = links(g, &drawn);
    (items, links)
}

/// Mermaid text in a quoted label: entity codes for the characters the parser or HTML reads.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// DOT text in a quoted string.
fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The titles of the two clusters.
pub(crate) fn titles(w: &World) -> (String, String) {
    let names = w.names();
    let ad = if names.domain.is_empty() {
        "Active Directory".to_string()
    } else {
        format!("Active Directory: {}", names.domain)
    };
    (ad, format!("Entra ID: {}", names.initial_domain()))
}

/// The Mermaid flowchart of the world. `caption` becomes a comment under the first line.
pub fn mermaid(w: &World, caption: &str) -> String {
    let (items, links) = drawn(w);
    let mut out = String::from("flowchart LR\n");
    for line in caption.lines() {
        let _ = writeln!(out, "  %% {line}");
    }
    let (ad_title, entra_title) = titles(w);
    for (side, name, title) in [
        (Side::Ad, "AD", ad_title),
        (Side::Entra, "Entra", entra_title),
    ] {
        let _ = writeln!(out, "  subgraph {name} [\"{}\"]", mermaid_text(&title));
        let _ = writeln!(out, "    direction TB");
        for i in items.iter().filter(|i| i.side == side) {
            let label = i
                .lines
                .iter()
                .map(|l| mermaid_text(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let (open, close) = match i.shape {
                Shape::User => ("[\"", "\"]"),
                Shape::Group => ("([\"", "\"])"),
                Shape::Role => ("{{\"", "\"}}"),
                Shape::Licence => ("[/\"", "\"/]"),
                Shape::App => ("[[\"", "\"]]"),
            };
            let _ = writeln!(out, "    {}{open}{label}{close}", id(i.ix));
        }
        let _ = writeln!(out, "  end");
    }
    for l in &links {
        let arrow = if l.rel == Rel::Join { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {} {arrow}|{}| {}", id(l.from), l.rel, id(l.to));
    }
    let _ = writeln!(out, "  classDef ad fill:#e8eefc,stroke:#3b5bdb,color:#111");
    let _ = writeln!(
        out,
        "  classDef entra fill:#e6f4ea,stroke:#2b8a3e,color:#111"
    );
    let _ = writeln!(
        out,
        "  classDef catalogue fill:#fff4e0,stroke:#e67700,color:#111"
    );
    let _ = writeln!(
        out,
        "  classDef deleted fill:#f1f3f5,stroke:#868e96,stroke-dasharray:5 4,color:#868e96"
    );
    let class_of = |i: &Item| match (i.deleted, i.side, i.shape) {
        (true, _, _) => "deleted",
        (false, Side::Ad, _) => "ad",
        (false, Side::Entra, Shape::User | Shape::Group) => "entra",
        (false, Side::Entra, _) => "catalogue",
    };
    for class in ["ad", "entra", "catalogue", "deleted"] {
        let ids: Vec<String> = items
            .iter()
            .filter(|i| class_of(i) == class)
            .map(|i| id(i.ix))
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    }
    let dormant: Vec<String> = links
        .iter()
        .enumerate()
        .filter(|(_, l)| l.dormant)
        .map(|(i, _)| i.to_string())
        .collect();
    if !dormant.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:#adb5bd,color:#868e96",
            dormant.join(",")
        );
    }
    out
}

/// The Graphviz digraph of the world. `caption` becomes comments at the top.
pub fn dot(w: &World, caption: &str) -> String {
    let (items, links) = drawn(w);
    let mut out = String::from("digraph hysim {\n");
    for line in caption.lines() {
        let _ = writeln!(out, "  // {line}");
    }
    out.push_str("  rankdir=LR;\n  newrank=true;\n");
    out.push_str("  graph [fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    let (ad_title, entra_title) = titles(w);
    for (side, name, title, fill) in [
        (Side::Ad, "cluster_ad", ad_title, "#e8eefc"),
        (Side::Entra, "cluster_entra", entra_title, "#e6f4ea"),
    ] {
        let _ = writeln!(out, "  subgraph {name} {{");
        let _ = writeln!(out, "    label=\"{}\";", dot_text(&title));
        let _ = writeln!(out, "    style=rounded;");
        for i in items.iter().filter(|i| i.side == side) {
            let label = i
                .lines
                .iter()
                .map(|l| dot_text(l))
                .collect::<Vec<_>>()
                .join("\\n");
            let (shape, mut style) = match i.shape {
                Shape::User => ("box", vec!["filled"]),
                Shape::Group => ("box", vec!["filled", "rounded"]),
                Shape::Role => ("hexagon", vec!["filled"]),
                Shape::Licence => ("parallelogram", vec!["filled"]),
                Shape::App => ("component", vec!["filled"]),
            };
            let (fill, colour) = if i.deleted {
                style.push("dashed");
                ("#f1f3f5", "#868e96")
            } else if matches!(i.shape, Shape::User | Shape::Group) {
                (fill, "#333333")
            } else {
                ("#fff4e0", "#333333")
            };
            let _ = writeln!(
                out,
                "    {} [label=\"{label}\", shape={shape}, style=\"{}\", fillcolor=\"{fill}\", color=\"{colour}\", fontcolor=\"{colour}\"];",
                id(i.ix),
                style.join(",")
            );
        }
        out.push_str("  }\n");
    }
    for l in links {
        let mut attrs = vec![format!("label=\"{}\"", l.rel)];
        if l.rel == Rel::Join {
            attrs.push("style=dashed".into());
        }
        if l.dormant {
            attrs.push("color=\"#adb5bd\"".into());
            attrs.push("fontcolor=\"#868e96\"".into());
        }
        let _ = writeln!(
            out,
            "  {} -> {} [{}];",
            id(l.from),
            id(l.to),
            attrs.join(", ")
        );
    }
    out.push_str("}\n");
    out
}

/// Runs the scenario to step `after` and draws the world.
pub fn render(s: &Scenario, after: Option<usize>, format: GraphFormat) -> Result<String, RunError> {
    let total = s.steps.len();
    let error = |message: String| InputError {
        file: s.file.clone(),
        line: None,
        column: None,
        path: None,
        message,
    };
    if let Some(n) = after
        && n > total
    {
        return Err(RunError::Input(error(format!(
            "--after {n} is out of range: the scenario has {total} step{} (use 0 for the world before step 1, up to {total})",
            if total == 1 { "" } else { "s" }
        ))));
    }
    let n = after.unwrap_or(total);
    let (_, world) = scenario::run::run_until(s, Some(n))?;
    let step = match n.checked_sub(1).and_then(|i| s.steps.get(i)) {
        Some(step) => format!("after step {n} of {total}: {}", step.text),
        None => format!("the world before step 1 (of {total})"),
    };
    let caption = format!("hysim graph of {} — {}\n{step}", s.file, s.title);
    Ok(match format {
        GraphFormat::Mermaid => mermaid(&world, &caption),
        GraphFormat::Dot => dot(&world, &caption),
    })
}

/// `hysim graph FILE [--after N] [--format mermaid|dot]`: exit 0, 2 on an input error, 3 on an
/// engine defect.
pub fn command(file: &Path, after: Option<usize>, format: GraphFormat) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    match render(&s, after, format) {
        Ok(text) => crate::output::then(
            crate::output::emit(text.as_bytes(), EXIT_INPUT_ERROR),
            EXIT_OK,
        ),
        Err(e) => crate::report_stopped(&[e]),
    }
}
