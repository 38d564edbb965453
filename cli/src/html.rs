//! `hysim explain FILE --html`: the story of `explain` as one self-contained web page, with a
//! picture of both directories after every step. One run: the world is drawn once built and
//! after each step, from the same walk as `hysim graph` ([`graph::drawn`]); each picture is
//! compared with the one before it, so that what a step created, changed, deleted or restored is
//! highlighted and the relations it added or removed are marked. Up to [`DETAIL_LIMIT`] objects
//! every object is drawn (AD by OU on the left, Entra ID in the middle, its roles, licences and
//! apps on the right); past it, a summary picture counts the objects of each OU and each kind of
//! Entra object. No network: the styles, the script and the pictures are in the page.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use hysim_engine::World;
use hysim_engine::query::Verdict;
use hysim_engine::report::{Check, Event, EventCount, ScenarioReport};
use hysim_engine::scenario::run::Moment;
use hysim_engine::scenario::{self, RunError, Scenario};
use hysim_engine::store::{Kind, Node, Rel};

use crate::graph::{self, Item, Link, Shape, Side};
use crate::style::{Style, Tone, tone};
use crate::{EXIT_CHECK_FAILED, EXIT_INPUT_ERROR, EXIT_OK, explain, text};

/// The most objects a picture draws one by one; past it the picture is a summary, so that a
/// large tenant gives a page that stays readable and small.
pub const DETAIL_LIMIT: usize = 120;

/// How many events of a step the page lists before it counts the rest.
const EVENTS_PER_STEP: usize = 100;

/// How many OUs or catalogue entries a summary picture draws before it counts the rest.
const SUMMARY_BOXES: usize = 40;

/// How many changed objects a caption names before it counts the rest.
const NAMED: usize = 30;

// The layout, in pixels: columns from left to right.
const BOX_W: i32 = 200;
const LINE: i32 = 13;
const PAD: i32 = 6;
const GAP: i32 = 8;
const TOP: i32 = 48;
/// The margin left of AD and right of Entra ID where relations inside a directory are drawn
/// as arcs.
const ARC: i32 = 70;
const AD_X: i32 = ARC + 16;
const ENTRA_X: i32 = AD_X + BOX_W + 16 + 100 + 16;
const CAT_X: i32 = ENTRA_X + BOX_W + ARC + 30;
const CAT_W: i32 = 190;
const WIDTH: i32 = CAT_X + CAT_W + 24;

/// What became of an object in a step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Same,
    New,
    Changed,
    Deleted,
    Restored,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Same => "",
            Change::New => "new",
            Change::Changed => "changed",
            Change::Deleted => "deleted",
            Change::Restored => "restored",
        }
    }
}

/// What the previous picture showed, to compare the next one with.
#[derive(Default)]
struct Before {
    /// By node index: the object as it was, and whether it was drawn deleted, when drawn.
    seen: Vec<Option<(Node, bool)>>,
    /// By node index: the name and side of the object, when drawn.
    names: Vec<Option<(String, Side)>>,
    /// The relations drawn.
    links: BTreeSet<(usize, usize, Rel)>,
}

/// Whether a step left an object as it was: its state, place, ids, attributes or properties.
fn same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Ad(a), Node::Ad(b)) => {
            a.state == b.state && a.ou == b.ou && a.guid == b.guid && a.attrs == b.attrs
        }
        (Node::Entra(a), Node::Entra(b)) => {
            a.state == b.state
                && a.id == b.id
                && a.group_type == b.group_type
                && a.props == b.props
                && a.errors == b.errors
                && a.mobile_phone_overridden == b.mobile_phone_overridden
        }
        (Node::Role(a), Node::Role(b))
        | (Node::Sku(a), Node::Sku(b))
        | (Node::App(a), Node::App(b)) => a == b,
        _ => false,
    }
}

/// Text for HTML and SVG: control characters as escapes (`\u{7}`), line breaks as spaces, and
/// the characters markup reads as entities.
fn esc(s: &str) -> String {
    let safe = Style::plain().safe(s);
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// [`esc`], keeping line breaks (for text shown with `white-space: pre-wrap`).
fn esc_lines(s: &str) -> String {
    s.lines().map(esc).collect::<Vec<_>>().join("\n")
}

/// `s` cut to `max` characters, an ellipsis marking the cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A whole number with thousands separated: 12,345.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[derive(Clone, Copy)]
struct Rect {
    x: i32,
    y: i32,
    w: i32,
    h: i32,
}

impl Rect {
    fn mid(self) -> i32 {
        self.y + self.h / 2
    }
    fn right(self) -> i32 {
        self.x + self.w
    }
    fn bottom(self) -> i32 {
        self.y + self.h
    }
}

fn box_h(lines: usize) -> i32 {
    2 * PAD + LINE * i32::try_from(lines).unwrap_or(8)
}

/// The CSS class of a relation's colour.
fn rel_class(rel: Rel) -> &'static str {
    match rel {
        Rel::Member => "r-member",
        Rel::Owner => "r-owner",
        Rel::Manager => "r-manager",
        Rel::Role => "r-role",
        Rel::Licence => "r-licence",
        Rel::App => "r-app",
        Rel::Join => "r-join",
    }
}

/// A box with its lines of text: the first in bold, the others cut to fit, the whole of each
/// in the tooltip. `class` colours it; `tag`, when not empty, is written on its corner.
fn draw_box(out: &mut String, r: Rect, class: &str, label: &str, lines: &[String], tag: &str) {
    let full: Vec<String> = lines.iter().map(|l| esc(l)).collect();
    let _ = write!(
        out,
        "<g class=\"obj {class}\" data-label=\"{}\"><title>{}</title>",
        esc(label),
        full.join(" · ")
    );
    if !tag.is_empty() {
        let _ = write!(
            out,
            "<rect class=\"halo\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"7\"/>",
            r.x - 4,
            r.y - 4,
            r.w + 8,
            r.h + 8
        );
    }
    let _ = write!(
        out,
        "<rect class=\"b\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
        r.x,
        r.y,
        r.w,
        r.h,
        if class.contains("group") { 12 } else { 4 }
    );
    for (k, line) in lines.iter().enumerate() {
        let y = r.y + PAD + LINE * i32::try_from(k).unwrap_or(0) + 10;
        let (cls, max) = if k == 0 {
            ("n", (r.w - 14) * 10 / 75)
        } else {
            ("s", (r.w - 14) * 10 / 62)
        };
        let _ = write!(
            out,
            "<text class=\"{cls}\" x=\"{}\" y=\"{y}\">{}</text>",
            r.x + 8,
            esc(&cut(line, usize::try_from(max).unwrap_or(1)))
        );
    }
    if !tag.is_empty() {
        let tw = 8 + 6 * i32::try_from(tag.chars().count()).unwrap_or(10);
        let (tx, ty) = (r.right() - tw - 6, r.y - 8);
        let _ = write!(
            out,
            "<rect class=\"tag\" x=\"{tx}\" y=\"{ty}\" width=\"{tw}\" height=\"14\" rx=\"7\"/><text class=\"tag\" x=\"{}\" y=\"{}\">{}</text>",
            tx + tw / 2,
            ty + 10,
            esc(tag)
        );
    }
    out.push_str("</g>");
}

/// The two panels' frames and titles.
fn frames(out: &mut String, w: &World, height: i32) {
    let (ad, entra) = graph::titles(w);
    let _ = write!(
        out,
        "<rect class=\"panel ad\" x=\"{}\" y=\"8\" width=\"{}\" height=\"{}\" rx=\"8\"/><text class=\"h\" x=\"{}\" y=\"28\">{}</text>",
        AD_X - 16,
        BOX_W + 32,
        height - 16,
        AD_X - 6,
        esc(&cut(&ad, 34))
    );
    let _ = write!(
        out,
        "<rect class=\"panel entra\" x=\"{}\" y=\"8\" width=\"{}\" height=\"{}\" rx=\"8\"/><text class=\"h\" x=\"{}\" y=\"28\">{}</text><text class=\"s\" x=\"{CAT_X}\" y=\"42\">roles · licences · apps</text>",
        ENTRA_X - 16,
        WIDTH - 8 - (ENTRA_X - 16),
        height - 16,
        ENTRA_X - 6,
        esc(&cut(&entra, 70))
    );
}

fn svg_open(out: &mut String, n: usize, height: i32, summary: bool) {
    let _ = write!(
        out,
        "<svg class=\"world{}\" data-step=\"{n}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        if summary { " summary" } else { "" },
        if n == 0 {
            "Both directories before step 1".to_string()
        } else {
            format!("Both directories after step {n}")
        }
    );
}

/// A relation's path from `a` to `b`: an arc left of AD or right of Entra ID between two
/// objects of one directory, a straight line across for a join, a curve to the catalogue.
fn path(a: Rect, a_side: Side, b: Rect, b_side: Side, b_catalogue: bool) -> String {
    let (y1, y2) = (a.mid(), b.mid());
    let bulge = |room: i32| (14 + (y2 - y1).abs() / 4).min(room);
    match (a_side, b_side) {
        (Side::Ad, Side::Ad) => {
            let x = a.x;
            let c = x - bulge(ARC + 8);
            format!("M{x} {y1}C{c} {y1} {c} {y2} {} {y2}", b.x)
        }
        (Side::Entra, Side::Entra) if b_catalogue => {
            let (x1, x2) = (a.right(), b.x);
            let m = (x1 + x2) / 2;
            format!("M{x1} {y1}C{m} {y1} {m} {y2} {x2} {y2}")
        }
        (Side::Entra, Side::Entra) => {
            let x = a.right();
            let c = x + bulge(ARC + 8);
            format!("M{x} {y1}C{c} {y1} {c} {y2} {} {y2}", b.right())
        }
        (Side::Ad, Side::Entra) => format!("M{} {y1}L{} {y2}", a.right(), b.x),
        (Side::Entra, Side::Ad) => format!("M{} {y1}L{} {y2}", a.x, b.right()),
    }
}

/// What one picture says besides itself: the objects changed, gone, and relations removed.
#[derive(Default)]
struct Notes {
    changed: Vec<(Change, String)>,
    gone: Vec<String>,
    removed: usize,
    added: usize,
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Ad => "AD",
        Side::Entra => "Entra ID",
    }
}

/// How each drawn object changed since `before` (all the same for the first picture).
fn changes(w: &World, items: &[Item], before: Option<&Before>) -> Vec<Change> {
    let g = w.graph();
    items
        .iter()
        .map(|i| {
            let Some(b) = before else {
                return Change::Same;
            };
            let now = g.node(i.ix);
            match b.seen.get(i.ix.index()).and_then(Option::as_ref) {
                None => Change::New,
                Some((_, false)) if i.deleted => Change::Deleted,
                Some((_, true)) if !i.deleted => Change::Restored,
                Some((was, _)) if !now.is_some_and(|n| same(was, n)) => Change::Changed,
                Some(_) => Change::Same,
            }
        })
        .collect()
}

/// What the next picture is compared with.
fn remember(w: &World, items: &[Item], links: &[Link]) -> Before {
    let g = w.graph();
    let mut b = Before {
        seen: vec![None; g.node_bound()],
        names: vec![None; g.node_bound()],
        links: links
            .iter()
            .map(|l| (l.from.index(), l.to.index(), l.rel))
            .collect(),
    };
    for i in items {
        if let Some(s) = b.seen.get_mut(i.ix.index()) {
            *s = g.node(i.ix).map(|n| (n.clone(), i.deleted));
        }
        if let Some(s) = b.names.get_mut(i.ix.index()) {
            *s = Some((i.lines.first().cloned().unwrap_or_default(), i.side));
        }
    }
    b
}

/// The objects drawn before and gone for good now (purged, removed).
fn gone(items: &[Item], before: Option<&Before>) -> Vec<String> {
    let Some(b) = before else {
        return Vec::new();
    };
    let mut now = vec![false; b.names.len()];
    for i in items {
        if let Some(d) = now.get_mut(i.ix.index()) {
            *d = true;
        }
    }
    b.names
        .iter()
        .zip(now)
        .filter_map(|(name, drawn)| name.as_ref().filter(|_| !drawn))
        .map(|(name, side)| format!("{name} ({})", side_name(*side)))
        .collect()
}

/// Every object drawn: AD by OU on the left, Entra ID objects in the middle (an object joined to
/// an AD object on its row, when it can), the catalogue on the right.
fn detailed(
    w: &World,
    n: usize,
    items: &[Item],
    links: &[Link],
    before: Option<&Before>,
    notes: &mut Notes,
) -> String {
    let g = w.graph();
    let change = changes(w, items, before);
    let mut at: Vec<Option<Rect>> = vec![None; g.node_bound()];
    // Puts `i` in the column at `x`, `w` wide, from `top`; returns where the next box may start.
    let stack = |at: &mut Vec<Option<Rect>>, i: &Item, x: i32, w: i32, top: i32| {
        let h = box_h(i.lines.len());
        if let Some(slot) = at.get_mut(i.ix.index()) {
            *slot = Some(Rect { x, y: top, w, h });
        }
        top + h + GAP
    };
    let rect_of = |at: &[Option<Rect>], ix: usize| at.get(ix).copied().flatten();

    // AD: a box per OU, in the order the OUs were first met; users, then groups.
    let mut ous: Vec<(String, Vec<&Item>)> = Vec::new();
    for i in items.iter().filter(|i| i.side == Side::Ad) {
        let ou = g.ad(i.ix).map(|o| o.ou.to_string()).unwrap_or_default();
        match ous.iter_mut().find(|(name, _)| *name == ou) {
            Some((_, list)) => list.push(i),
            None => ous.push((ou, vec![i])),
        }
    }
    let mut ou_boxes = Vec::new();
    let mut y = TOP;
    for (ou, list) in &mut ous {
        list.sort_by_key(|i| i.shape == Shape::Group);
        let top = y;
        y += 22;
        for i in list.iter() {
            y = stack(&mut at, i, AD_X, BOX_W, y);
        }
        ou_boxes.push((
            ou.clone(),
            Rect {
                x: AD_X - 8,
                y: top,
                w: BOX_W + 16,
                h: y - top,
            },
        ));
        y += 12;
    }
    let mut bottom = y;

    // Entra ID: the objects joined to an AD object first, each on its partner's row when it can
    // be; then the others, users before groups.
    let mut partner: Vec<Option<usize>> = vec![None; g.node_bound()];
    for l in links.iter().filter(|l| l.rel == Rel::Join) {
        if let Some(p) = partner.get_mut(l.to.index()) {
            p.get_or_insert(l.from.index());
        }
    }
    let objects =
        |i: &&Item| i.side == Side::Entra && matches!(i.shape, Shape::User | Shape::Group);
    let mut joined: Vec<(&Item, i32)> = items
        .iter()
        .filter(objects)
        .filter_map(|i| {
            let p = partner.get(i.ix.index()).copied().flatten()?;
            Some((i, rect_of(&at, p)?.y))
        })
        .collect();
    joined.sort_by_key(|(_, y)| *y);
    let mut others: Vec<&Item> = items
        .iter()
        .filter(objects)
        .filter(|i| {
            partner
                .get(i.ix.index())
                .copied()
                .flatten()
                .and_then(|p| rect_of(&at, p))
                .is_none()
        })
        .collect();
    others.sort_by_key(|i| i.shape == Shape::Group);
    let mut y = TOP;
    let mut others = others.into_iter().peekable();
    for (i, want) in joined {
        // The others fill the room left above a joined object's row.
        while let Some(o) = others.next_if(|o| y + box_h(o.lines.len()) + GAP <= want) {
            y = stack(&mut at, o, ENTRA_X, BOX_W, y);
        }
        y = stack(&mut at, i, ENTRA_X, BOX_W, y.max(want));
    }
    for i in others {
        y = stack(&mut at, i, ENTRA_X, BOX_W, y);
    }
    bottom = bottom.max(y);

    // The catalogue: roles, licences, apps, each near the objects that hold it.
    let mut catalogue: Vec<(&Item, i32)> = items
        .iter()
        .filter(|i| matches!(i.shape, Shape::Role | Shape::Licence | Shape::App))
        .map(|i| {
            let ys: Vec<i32> = links
                .iter()
                .filter(|l| l.to == i.ix)
                .filter_map(|l| rect_of(&at, l.from.index()))
                .map(Rect::mid)
                .collect();
            let want = if ys.is_empty() {
                0
            } else {
                ys.iter().sum::<i32>() / i32::try_from(ys.len()).unwrap_or(1)
            };
            (i, want)
        })
        .collect();
    catalogue.sort_by_key(|(_, want)| *want);
    let mut y = TOP;
    for (i, want) in catalogue {
        let top = y.max(want - box_h(i.lines.len()) / 2);
        y = stack(&mut at, i, CAT_X, CAT_W, top);
    }
    bottom = bottom.max(y);
    let height = bottom + 16;

    let mut out = String::new();
    svg_open(&mut out, n, height, false);
    frames(&mut out, w, height);
    for (ou, r) in &ou_boxes {
        let _ = write!(
            out,
            "<g class=\"ou\" data-label=\"{0}\"><title>OU {0}</title><rect x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\" rx=\"6\"/><text class=\"s\" x=\"{5}\" y=\"{6}\">OU {7}</text></g>",
            esc(ou),
            r.x,
            r.y,
            r.w,
            r.h,
            r.x + 8,
            r.y + 15,
            esc(&cut(ou, 30))
        );
    }

    // The relations under the objects: those added by the step over a halo, those it removed
    // dashed in red where both ends are still drawn.
    let is_catalogue = |ix: usize| {
        matches!(
            g.node(hysim_engine::store::NodeIx::new(ix)),
            Some(Node::Role(_) | Node::Sku(_) | Node::App(_))
        )
    };
    let side_of = |ix: usize| match g.node(hysim_engine::store::NodeIx::new(ix)) {
        Some(Node::Ad(_)) => Side::Ad,
        _ => Side::Entra,
    };
    let name_of = |ix: usize| {
        items
            .iter()
            .find(|i| i.ix.index() == ix)
            .and_then(|i| i.lines.first().cloned())
            .unwrap_or_default()
    };
    let now: BTreeSet<(usize, usize, Rel)> = links
        .iter()
        .map(|l| (l.from.index(), l.to.index(), l.rel))
        .collect();
    if let Some(b) = before {
        for &(from, to, rel) in b.links.difference(&now) {
            let (Some(a), Some(c)) = (rect_of(&at, from), rect_of(&at, to)) else {
                continue;
            };
            notes.removed += 1;
            let d = path(a, side_of(from), c, side_of(to), is_catalogue(to));
            let _ = write!(
                out,
                "<path class=\"rel removed\" d=\"{d}\"><title>removed by this step: {} {rel} {}</title></path>",
                esc(&name_of(from)),
                esc(&name_of(to))
            );
        }
    }
    for l in links {
        let (from, to) = (l.from.index(), l.to.index());
        let (Some(a), Some(c)) = (rect_of(&at, from), rect_of(&at, to)) else {
            continue;
        };
        let d = path(a, side_of(from), c, side_of(to), is_catalogue(to));
        let added = before.is_some_and(|b| !b.links.contains(&(from, to, l.rel)));
        if added {
            notes.added += 1;
            let _ = write!(out, "<path class=\"added\" d=\"{d}\"/>");
        }
        let _ = write!(
            out,
            "<path class=\"rel {}{}\" d=\"{d}\" marker-end=\"url(#h-{})\"><title>{} {} {}{}</title></path>",
            rel_class(l.rel),
            if l.dormant { " dormant" } else { "" },
            if l.dormant {
                "r-dormant"
            } else {
                rel_class(l.rel)
            },
            esc(&name_of(from)),
            l.rel,
            esc(&name_of(to)),
            if added { " (added by this step)" } else { "" }
        );
    }

    for (i, c) in items.iter().zip(&change) {
        let Some(r) = rect_of(&at, i.ix.index()) else {
            continue;
        };
        let side = match (i.side, i.shape) {
            (Side::Ad, _) => "ad",
            (_, Shape::User | Shape::Group) => "entra",
            _ => "cat",
        };
        let shape = match i.shape {
            Shape::User => "user",
            Shape::Group => "group",
            Shape::Role => "role",
            Shape::Licence => "licence",
            Shape::App => "app",
        };
        let class = format!(
            "{side} {shape}{}{}",
            if i.deleted { " deleted" } else { "" },
            if *c == Change::Same { "" } else { " changed" }
        );
        let name = i.lines.first().cloned().unwrap_or_default();
        draw_box(&mut out, r, &class, &name, &i.lines, c.name());
        if *c != Change::Same {
            notes
                .changed
                .push((*c, format!("{name} ({})", side_name(i.side))));
        }
    }
    out.push_str("</svg>");
    out
}

/// How many objects of a box, and how many of them changed.
#[derive(Default, Clone)]
struct Tally {
    users: usize,
    groups: usize,
    deleted: usize,
    changed: usize,
}

impl Tally {
    fn add(&mut self, i: &Item, c: Change) {
        match i.shape {
            Shape::Group => self.groups += 1,
            _ => self.users += 1,
        }
        self.deleted += usize::from(i.deleted);
        self.changed += usize::from(c != Change::Same);
    }
}

/// The Entra ID boxes of a summary: users and groups, each synced, cloud-only or soft-deleted.
const ENTRA_BOXES: [(Kind, &str); 6] = [
    (Kind::User, "synced"),
    (Kind::User, "cloud-only"),
    (Kind::User, "soft-deleted"),
    (Kind::Group, "synced"),
    (Kind::Group, "cloud-only"),
    (Kind::Group, "soft-deleted"),
];

/// A picture of a large world: a box per OU counting its users and groups, a box per kind of
/// Entra object, the joins between them counted on the lines, and a box per catalogue entry
/// counting its holders.
fn summary(
    w: &World,
    n: usize,
    items: &[Item],
    links: &[Link],
    before: Option<&Before>,
    notes: &mut Notes,
) -> String {
    let g = w.graph();
    let change = changes(w, items, before);
    // Where each node is counted: an OU box, an Entra box, a catalogue box.
    let mut ous: Vec<(String, Tally)> = Vec::new();
    let mut entra: Vec<Tally> = vec![Tally::default(); ENTRA_BOXES.len()];
    let mut catalogue: Vec<(usize, &Item, usize, usize)> = Vec::new();
    let mut counted_in: Vec<Option<(Side, usize)>> = vec![None; g.node_bound()];
    for (i, c) in items.iter().zip(&change) {
        if *c != Change::Same {
            let name = i.lines.first().cloned().unwrap_or_default();
            notes
                .changed
                .push((*c, format!("{name} ({})", side_name(i.side))));
        }
        let slot = match g.node(i.ix) {
            Some(Node::Ad(o)) => {
                let ou = o.ou.to_string();
                let k = match ous.iter().position(|(name, _)| *name == ou) {
                    Some(k) => k,
                    None => {
                        ous.push((ou, Tally::default()));
                        ous.len() - 1
                    }
                };
                if let Some((_, t)) = ous.get_mut(k) {
                    t.add(i, *c);
                }
                Some((Side::Ad, k))
            }
            Some(Node::Entra(o)) => {
                let how = if i.deleted {
                    "soft-deleted"
                } else if o.is_synced() {
                    "synced"
                } else {
                    "cloud-only"
                };
                let k = ENTRA_BOXES
                    .iter()
                    .position(|b| *b == (o.kind, how))
                    .unwrap_or(0);
                if let Some(t) = entra.get_mut(k) {
                    t.add(i, *c);
                }
                Some((Side::Entra, k))
            }
            Some(_) => {
                catalogue.push((i.ix.index(), i, 0, 0));
                None
            }
            None => None,
        };
        if let Some(s) = counted_in.get_mut(i.ix.index()) {
            *s = slot;
        }
    }
    // The OUs past the first SUMMARY_BOXES were counted into one more box.
    let mut more_ous = 0;
    if ous.len() > SUMMARY_BOXES {
        let rest = ous.split_off(SUMMARY_BOXES);
        let mut t = Tally::default();
        for (_, r) in &rest {
            t.users += r.users;
            t.groups += r.groups;
            t.deleted += r.deleted;
            t.changed += r.changed;
        }
        ous.push((String::new(), t));
        more_ous = rest.len();
    }
    let mut joins: Vec<(usize, usize, usize)> = Vec::new();
    // By Entra box: the memberships of the groups counted in it.
    let mut memberships = vec![0; ENTRA_BOXES.len()];
    for l in links {
        match l.rel {
            Rel::Join => {
                let from = counted_in.get(l.from.index()).copied().flatten();
                let to = counted_in.get(l.to.index()).copied().flatten();
                if let (Some((Side::Ad, a)), Some((Side::Entra, b))) = (from, to) {
                    let a = a.min(SUMMARY_BOXES);
                    match joins.iter_mut().find(|(x, y, _)| (*x, *y) == (a, b)) {
                        Some(j) => j.2 += 1,
                        None => joins.push((a, b, 1)),
                    }
                }
            }
            Rel::Member => {
                if let Some((Side::Entra, k)) = counted_in.get(l.to.index()).copied().flatten()
                    && let Some(m) = memberships.get_mut(k)
                {
                    *m += 1;
                }
            }
            _ => {}
        }
        if let Some(c) = catalogue.iter_mut().find(|c| c.0 == l.to.index()) {
            if l.dormant {
                c.3 += 1;
            } else {
                c.2 += 1;
            }
        }
    }
    joins.sort_unstable();

    let mut out_boxes = String::new();
    let mut ad_at = Vec::new();
    let mut y = TOP;
    for (k, (ou, t)) in ous.iter().enumerate() {
        // The last box counts the OUs past the first SUMMARY_BOXES, if any.
        let ou = if more_ous > 0 && k == SUMMARY_BOXES {
            format!("{} more OUs", count(more_ous))
        } else {
            ou.clone()
        };
        let mut lines = vec![
            if more_ous > 0 && k == SUMMARY_BOXES {
                ou.clone()
            } else {
                format!("OU {ou}")
            },
            format!(
                "{} · {}",
                plural(t.users, "user", "users"),
                plural(t.groups, "group", "groups")
            ),
        ];
        if t.deleted > 0 {
            lines.push(format!("{} deleted", count(t.deleted)));
        }
        let r = Rect {
            x: AD_X,
            y,
            w: BOX_W,
            h: box_h(lines.len()),
        };
        let tag = if t.changed > 0 {
            format!("{} changed", count(t.changed))
        } else {
            String::new()
        };
        draw_box(&mut out_boxes, r, "ad group", &ou, &lines, &tag);
        ad_at.push(r);
        y = r.bottom() + GAP + 6;
    }
    let mut bottom = y;
    let mut entra_at = vec![None; ENTRA_BOXES.len()];
    let mut y = TOP;
    for (k, ((kind, how), t)) in ENTRA_BOXES.iter().zip(&entra).enumerate() {
        let total = t.users + t.groups;
        if total == 0 {
            continue;
        }
        let label = format!(
            "{} · {how}",
            if *kind == Kind::User {
                "Users"
            } else {
                "Groups"
            }
        );
        let mut lines = vec![label.clone(), plural(total, "object", "objects")];
        if *kind == Kind::Group {
            let m = memberships.get(k).copied().unwrap_or(0);
            lines.push(plural(m, "membership", "memberships"));
        }
        // Tall enough for the joins coming in to end apart.
        let incoming = joins.iter().filter(|j| j.1 == k).count();
        let r = Rect {
            x: ENTRA_X,
            y,
            w: BOX_W,
            h: box_h(lines.len()).max(14 * i32::try_from(incoming + 1).unwrap_or(1)),
        };
        let tag = if t.changed > 0 {
            format!("{} changed", count(t.changed))
        } else {
            String::new()
        };
        let class = format!(
            "entra group{}",
            if *how == "soft-deleted" {
                " deleted"
            } else {
                ""
            }
        );
        draw_box(&mut out_boxes, r, &class, &label, &lines, &tag);
        if let Some(slot) = entra_at.get_mut(k) {
            *slot = Some(r);
        }
        y = r.bottom() + GAP + 6;
    }
    bottom = bottom.max(y);
    let mut y = TOP;
    let shown = catalogue.len().min(SUMMARY_BOXES);
    for (_, i, live, dormant) in catalogue.iter().take(shown) {
        let name = i.lines.first().cloned().unwrap_or_default();
        let what = i.lines.get(1).cloned().unwrap_or_default();
        let mut lines = vec![name.clone(), format!("{what} · {} held", count(*live))];
        if *dormant > 0 {
            lines.push(format!("{} by deleted objects", count(*dormant)));
        }
        let r = Rect {
            x: CAT_X,
            y,
            w: CAT_W,
            h: box_h(lines.len()),
        };
        draw_box(&mut out_boxes, r, "cat", &name, &lines, "");
        y = r.bottom() + GAP;
    }
    if catalogue.len() > shown {
        let more = format!("{} more", count(catalogue.len() - shown));
        let r = Rect {
            x: CAT_X,
            y,
            w: CAT_W,
            h: box_h(1),
        };
        draw_box(
            &mut out_boxes,
            r,
            "cat",
            &more,
            std::slice::from_ref(&more),
            "",
        );
        y = r.bottom() + GAP;
    }
    bottom = bottom.max(y);
    let height = bottom + 16;

    let mut out = String::new();
    svg_open(&mut out, n, height, true);
    frames(&mut out, w, height);
    for (a, b, c) in &joins {
        let (Some(ra), Some(Some(rb))) = (ad_at.get(*a), entra_at.get(*b)) else {
            continue;
        };
        // The lines into one box end spread along its side, each count by its OU.
        let into: Vec<usize> = joins.iter().filter(|j| j.1 == *b).map(|j| j.0).collect();
        let k = into.iter().position(|x| x == a).unwrap_or(0);
        let (k, m) = (
            i32::try_from(k).unwrap_or(0),
            i32::try_from(into.len()).unwrap_or(1),
        );
        let (x1, y1, x2, y2) = (ra.right(), ra.mid(), rb.x, rb.y + (k + 1) * rb.h / (m + 1));
        let _ = write!(
            out,
            "<path class=\"rel r-join\" d=\"M{x1} {y1}L{x2} {y2}\" marker-end=\"url(#h-r-join)\"><title>{} joined</title></path><text class=\"count\" x=\"{}\" y=\"{}\">{}</text>",
            count(*c),
            x1 + 22,
            y1 + (y2 - y1) * 22 / (x2 - x1).max(1) - 4,
            count(*c)
        );
    }
    out.push_str(&out_boxes);
    out.push_str("</svg>");
    out
}

/// One picture of the world after step `n` (0: once built), and what it is compared with next.
fn picture(w: &World, n: usize, before: Option<&Before>) -> (String, Before) {
    let (items, links) = graph::drawn(w);
    let mut notes = Notes {
        gone: gone(&items, before),
        ..Notes::default()
    };
    let big = items.len() > DETAIL_LIMIT;
    let svg = if big {
        summary(w, n, &items, &links, before, &mut notes)
    } else {
        detailed(w, n, &items, &links, before, &mut notes)
    };
    let mut out = format!("<figure>{svg}<figcaption>");
    if big {
        let _ = write!(
            out,
            "<p>A summary: {} are more than can be drawn one by one ({DETAIL_LIMIT}), so each box counts the objects of an OU or of a kind; the lines count the joins.</p>",
            plural(items.len(), "object", "objects")
        );
    }
    if before.is_some() {
        if notes.changed.is_empty() && notes.gone.is_empty() && notes.added + notes.removed == 0 {
            out.push_str("<p>Nothing drawn changed in this step.</p>");
        }
        for what in [
            Change::New,
            Change::Changed,
            Change::Deleted,
            Change::Restored,
        ] {
            let names: Vec<&String> = notes
                .changed
                .iter()
                .filter(|(c, _)| *c == what)
                .map(|(_, name)| name)
                .collect();
            named(&mut out, what.name(), &names);
        }
        named(
            &mut out,
            "gone for good",
            &notes.gone.iter().collect::<Vec<_>>(),
        );
        if notes.added + notes.removed > 0 {
            let _ = write!(
                out,
                "<p><span class=\"chg\">relations</span> {} added, {} removed (dotted red)</p>",
                count(notes.added),
                count(notes.removed)
            );
        }
    }
    out.push_str("</figcaption></figure>");
    (out, remember(w, &items, &links))
}

/// A caption line naming the objects of one change, the first [`NAMED`] of them.
fn named(out: &mut String, what: &str, names: &[&String]) {
    if names.is_empty() {
        return;
    }
    let shown: Vec<String> = names.iter().take(NAMED).map(|n| esc(n)).collect();
    let more = names.len().saturating_sub(NAMED);
    let _ = write!(
        out,
        "<p><span class=\"chg\">{what}</span> {}{}</p>",
        shown.join(", "),
        if more > 0 {
            format!(" and {} more", count(more))
        } else {
            String::new()
        }
    );
}

/// Runs the scenario once, drawing the world once built and after every step: the report, the
/// final world and the pictures (the first the world before step 1).
pub fn run(s: &Scenario) -> Result<(ScenarioReport, World, Vec<String>), RunError> {
    let mut pictures = Vec::with_capacity(s.steps.len() + 1);
    let mut before: Option<Before> = None;
    let (report, world) = scenario::run::run_observed(s, None, None, |moment, w| {
        let n = match moment {
            Moment::Start => 0,
            Moment::After(n) => n,
        };
        let (svg, next) = picture(w, n, before.as_ref());
        pictures.push(svg);
        before = Some(next);
    })?;
    Ok((report, world, pictures))
}

fn tone_class(t: Tone) -> &'static str {
    match t {
        Tone::Bad => "bad",
        Tone::Warn => "warn",
        Tone::Good => "good",
        Tone::Neutral => "neutral",
    }
}

/// What happened (the events with their rules), why (each rule's statement and source), the
/// events past the first listed counted.
fn events(out: &mut String, list: &[Event], omitted: usize, counts: Option<&[EventCount]>) {
    if list.is_empty() && counts.is_none() {
        out.push_str("<p class=\"none\">No events: nothing in the directories changed.</p>");
        return;
    }
    if !list.is_empty() {
        out.push_str("<h3>What happened</h3><ul class=\"events\">");
        for e in list {
            let _ = write!(
                out,
                "<li><span class=\"kind {}\">{}</span> {}: {} <code>[{}]</code></li>",
                tone_class(tone(e.kind)),
                esc(&e.kind.name()),
                esc(&e.subject),
                esc(&e.message),
                e.rule
            );
        }
        out.push_str("</ul>");
    }
    if let Some(counts) = counts {
        let all: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {} [{}]", count(c.count), esc(&c.kind.name()), c.rule))
            .collect();
        let _ = write!(
            out,
            "<p class=\"more\">{}events counted: {}</p>",
            if omitted > 0 {
                format!("… {} more events not listed; all ", count(omitted))
            } else {
                "The ".to_string()
            },
            all.join(", ")
        );
    }
    let mut rules = explain::rules(list);
    for c in counts.unwrap_or_default() {
        if !rules.contains(&c.rule) {
            rules.push(c.rule);
        }
    }
    if rules.is_empty() {
        return;
    }
    out.push_str("<h3>Why</h3><dl class=\"why\">");
    for r in rules {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}<br><span class=\"src\">source: {}</span></dd>",
            r.id(),
            esc(r.statement()),
            link(r.source())
        );
    }
    out.push_str("</dl>");
}

/// A source: a link when it is a web address.
fn link(source: &str) -> String {
    if source.starts_with("https://") || source.starts_with("http://") {
        format!("<a href=\"{0}\">{0}</a>", esc(source))
    } else {
        esc(source)
    }
}

fn checks(out: &mut String, list: &[&Check]) {
    if list.is_empty() {
        return;
    }
    out.push_str("<h3>Checks</h3><ul class=\"checks\">");
    for c in list {
        let mut line = String::new();
        text::check_line(&mut line, c, "", Style::plain());
        let _ = write!(
            out,
            "<li class=\"{}\">{}</li>",
            if c.passed { "pass" } else { "fail" },
            esc(line.trim_end())
        );
    }
    out.push_str("</ul>");
}

const CSS: &str = r##"
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2129;background:#fff}
body{margin:0 auto;max-width:1000px;padding:0 16px 40px;line-height:1.45;font-size:15px}
h1{font-size:1.5em;margin:18px 0 4px}h2{font-size:1.2em;margin:10px 0 6px}h3{font-size:1em;margin:14px 0 4px}
.file,.src,.more,.none{color:#5c6370;font-size:.9em}.desc{white-space:pre-wrap;background:#f8f9fa;border-left:3px solid #ced4da;padding:8px 12px;margin:10px 0}
nav{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid #dee2e6;padding:8px 0;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
nav button,nav select{font:inherit;padding:3px 10px}nav select{max-width:430px}
.legend{font-size:.8em;color:#5c6370;display:flex;gap:10px;flex-wrap:wrap;margin:6px 0}
.legend i{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin-right:3px}
.legend b{display:inline-block;width:14px;height:10px;border:1.5px solid;vertical-align:middle;margin-right:3px;font-weight:normal}
section.step{scroll-margin-top:56px;border-top:1px solid #dee2e6;padding-top:6px;margin-top:10px}
figure{margin:8px 0}figcaption{font-size:.9em}figcaption p{margin:2px 0}
svg.world{max-width:100%;height:auto;display:block;font-family:inherit}
.chg{background:#f08c00;color:#fff;border-radius:8px;padding:0 7px;font-size:.85em;margin-right:4px}
ul.events,ul.checks{padding-left:18px;margin:4px 0}ul.events li,ul.checks li{margin:1px 0}
.kind{font-weight:600}.kind.bad{color:#c92a2a}.kind.warn{color:#b35c00}.kind.good{color:#2b8a3e}.kind.neutral{color:#1971c2}
li.pass::marker{color:#2b8a3e}li.fail{color:#c92a2a;font-weight:600}
dl.why dt{font-weight:600;font-family:ui-monospace,monospace;margin-top:4px}dl.why dd{margin-left:18px}
pre{white-space:pre-wrap;font-size:.9em;background:#f8f9fa;padding:8px}
.warning{color:#b35c00}
.panel{stroke-width:1}.panel.ad{fill:#f5f7fd;stroke:#b4c3ea}.panel.entra{fill:#f4faf5;stroke:#b2d8bb}
.h{font-size:13px;font-weight:700;fill:#1d2129}.n{font-size:12px;font-weight:600;fill:#1d2129}.s{font-size:11px;fill:#495057}
.ou rect{fill:#fff;stroke:#c5d0ea;stroke-dasharray:4 3}
.obj .b{stroke-width:1.3}.obj.ad .b{fill:#e8eefc;stroke:#3b5bdb}.obj.entra .b{fill:#e6f4ea;stroke:#2b8a3e}.obj.cat .b{fill:#fff4e0;stroke:#e67700}
.obj.deleted .b{fill:#f1f3f5;stroke:#868e96;stroke-dasharray:5 4}.obj.deleted text{fill:#868e96}
.halo{fill:none;stroke:#f08c00;stroke-width:3}rect.tag{fill:#f08c00}.obj.deleted text.tag,text.tag{font-size:10px;font-weight:700;fill:#fff;text-anchor:middle}
.rel{fill:none;stroke-width:1.4}.r-member{stroke:#1c7ed6;stroke-opacity:.7}.r-owner{stroke:#0ca678}.r-manager{stroke:#9c36b5}.r-role{stroke:#c2255c}.r-licence{stroke:#5c940d}.r-app{stroke:#1098ad}
.r-join{stroke:#343a40;stroke-dasharray:6 3}.dormant{stroke:#ced4da}.removed{stroke:#e03131;stroke-dasharray:3 3;stroke-width:1.6}
path.added{fill:none;stroke:#f08c00;stroke-width:6;stroke-opacity:.45}
.count{font-size:11px;font-weight:700;fill:#343a40;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3}
body.paged section.step[hidden]{display:none}
@media print{nav{display:none}section.step[hidden]{display:block}}
"##;

const SCRIPT: &str = r##"
(function () {
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var nav = document.getElementById("nav"), pick = document.getElementById("pick");
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var all = document.getElementById("all"), at = 0;
  function show(i, scroll) {
    at = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach(function (s, k) { s.hidden = !all.checked && k !== at; });
    pick.value = String(at);
    prev.disabled = all.checked || at === 0;
    next.disabled = all.checked || at === steps.length - 1;
    try { history.replaceState(null, "", "#" + steps[at].id); } catch (e) { /* a page without history */ }
    // The step's title comes under the bar, the scenario's header scrolled away.
    if (scroll) { steps[at].scrollIntoView(); }
  }
  prev.addEventListener("click", function () { show(at - 1, true); });
  next.addEventListener("click", function () { show(at + 1, true); });
  pick.addEventListener("change", function () { show(Number(pick.value), true); });
  all.addEventListener("change", function () { show(at, all.checked); });
  document.addEventListener("keydown", function (e) {
    if (e.target === pick || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight") { show(at + 1, true); e.preventDefault(); }
    if (e.key === "ArrowLeft") { show(at - 1, true); e.preventDefault(); }
  });
  var start = steps.findIndex(function (s) { return "#" + s.id === location.hash; });
  nav.hidden = false;
  document.body.classList.add("paged");
  show(start < 0 ? 0 : start, start > 0);
  document.body.setAttribute("data-ready", "yes");
})();
"##;

/// The markers at the end of each relation, once for every picture.
fn markers() -> String {
    let mut out = String::from(
        "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>",
    );
    for (name, colour) in [
        ("r-member", "#1c7ed6"),
        ("r-owner", "#0ca678"),
        ("r-manager", "#9c36b5"),
        ("r-role", "#c2255c"),
        ("r-licence", "#5c940d"),
        ("r-app", "#1098ad"),
        ("r-join", "#343a40"),
        ("r-dormant", "#ced4da"),
    ] {
        let _ = write!(
            out,
            "<marker id=\"h-{name}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs></svg>");
    out
}

const LEGEND: &str = r##"<div class="legend"><span><b style="border-color:#3b5bdb;background:#e8eefc"></b>AD object</span><span><b style="border-color:#2b8a3e;background:#e6f4ea"></b>Entra object</span><span><b style="border-color:#e67700;background:#fff4e0"></b>role, licence, app</span><span><b style="border-color:#868e96;background:#f1f3f5;border-style:dashed"></b>deleted</span><span><b style="border-color:#f08c00;border-width:3px"></b>changed by the step</span><span><i style="border-color:#343a40;border-top-style:dashed"></i>joined (source anchor)</span><span><i style="border-color:#1c7ed6"></i>member of</span><span><i style="border-color:#0ca678"></i>owner of</span><span><i style="border-color:#9c36b5"></i>manager</span><span><i style="border-color:#c2255c"></i>role</span><span><i style="border-color:#5c940d"></i>licence</span><span><i style="border-color:#1098ad"></i>app</span><span><i style="border-color:#e03131;border-top-style:dotted"></i>removed by the step</span></div>"##;

/// The page: the scenario, then a section per step (the world once built first) with its
/// picture, events, rules and checks, then the final checks and what became of each identity.
/// `pictures` holds one picture per section, as [`run`] draws them.
pub fn page(s: &Scenario, r: &ScenarioReport, v: Option<&Verdict>, pictures: &[String]) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} — hysim explain</title><style>{CSS}</style></head>\n<body>",
        esc(&s.title)
    );
    out.push_str(&markers());
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"file\">Scenario {} ({})</p>",
        esc(&s.title),
        esc(&s.name),
        esc(&s.file)
    );
    match s.sources.as_slice() {
        [] => {}
        [one] => {
            let _ = write!(out, "<p>Source: {}</p>", link(one));
        }
        many => {
            out.push_str("<p>Sources:</p><ul>");
            for src in many {
                let _ = write!(out, "<li>{}</li>", link(src));
            }
            out.push_str("</ul>");
        }
    }
    if let Some(d) = &s.description {
        let _ = write!(out, "<div class=\"desc\">{}</div>", esc_lines(d.trim_end()));
    }
    let (p, f) = (r.passed_count(), r.failed_count());
    let _ = writeln!(
        out,
        "<p>{}</p></header>",
        esc(&text::counts(p, f, Style::plain()))
    );

    let by_step = text::checks_by_step(&r.checks);
    let failed_at = |n: Option<usize>| {
        by_step
            .get(&n)
            .is_some_and(|list| list.iter().any(|c| !c.passed))
    };
    // The navigation: hidden until the script shows it, so that without a script every step
    // is on one page, one after the other.
    out.push_str("<nav id=\"nav\" hidden><button id=\"prev\" type=\"button\">◀ Previous</button><select id=\"pick\" aria-label=\"step\">");
    let mut k = 0;
    let _ = write!(
        out,
        "<option value=\"{k}\">Before step 1: the world</option>"
    );
    for step in &r.steps {
        k += 1;
        let _ = write!(
            out,
            "<option value=\"{k}\">Step {}. {}{}</option>",
            step.n,
            esc(&cut(&step.step, 60)),
            if failed_at(Some(step.n)) { " ✗" } else { "" }
        );
    }
    let _ = write!(
        out,
        "<option value=\"{}\">At the end{}</option></select><button id=\"next\" type=\"button\">Next ▶</button><label><input id=\"all\" type=\"checkbox\"> all steps</label><span class=\"file\">← → keys step</span></nav>{LEGEND}\n<main>",
        k + 1,
        if failed_at(None) { " ✗" } else { "" }
    );

    let mut pictures = pictures.iter();
    out.push_str(
        "<section class=\"step\" id=\"step-0\" data-step=\"0\"><h2>Before step 1: building the world</h2>",
    );
    let _ = write!(out, "<p>{}</p>", esc(explain::WORLD_BUILT));
    for w in &r.world_warnings {
        let _ = write!(
            out,
            "<p class=\"warning\">Not as written: {}: {}</p>",
            esc(&w.subject),
            esc(&w.message)
        );
    }
    out.extend(pictures.next().map(String::as_str));
    match (&r.world_events, &r.world_event_counts) {
        (Some(list), _) if list.len() > EVENTS_PER_STEP => {
            let counted = hysim_engine::report::count_events(list);
            events(
                &mut out,
                list.get(..EVENTS_PER_STEP).unwrap_or_default(),
                list.len() - EVENTS_PER_STEP,
                Some(&counted),
            );
        }
        (Some(list), _) => events(&mut out, list, 0, None),
        (None, Some(counts)) => events(&mut out, &[], 0, Some(counts)),
        (None, None) => events(&mut out, &[], 0, None),
    }
    out.push_str("</section>\n");

    for step in &r.steps {
        let _ = write!(
            out,
            "<section class=\"step\" id=\"step-{0}\" data-step=\"{0}\"><h2>Step {0}. {1}</h2>",
            step.n,
            esc(&step.step)
        );
        let mut sel = String::new();
        text::selected_lines(&mut sel, &step.selected, "", Style::plain());
        for line in sel.lines() {
            let _ = write!(out, "<p class=\"file\">{}</p>", esc(line));
        }
        out.extend(pictures.next().map(String::as_str));
        let mine = by_step.get(&Some(step.n)).cloned().unwrap_or_default();
        if mine.is_empty() || !step.events.is_empty() || step.event_counts.is_some() {
            let (list, omitted, counted) =
                if step.event_counts.is_none() && step.events.len() > EVENTS_PER_STEP {
                    (
                        step.events.get(..EVENTS_PER_STEP).unwrap_or_default(),
                        step.events.len() - EVENTS_PER_STEP,
                        Some(hysim_engine::report::count_events(&step.events)),
                    )
                } else {
                    (
                        step.events.as_slice(),
                        step.events_omitted,
                        step.event_counts.clone(),
                    )
                };
            events(&mut out, list, omitted, counted.as_deref());
        }
        checks(&mut out, &mine);
        out.push_str("</section>\n");
    }

    out.push_str("<section class=\"step\" id=\"end\"><h2>At the end</h2>");
    let end = by_step.get(&None).cloned().unwrap_or_default();
    checks(&mut out, &end);
    if let Some(v) = v
        && !v.deltas.is_empty()
    {
        out.push_str("<h3>What became of each identity since the first backup</h3><pre>");
        let mut text = String::new();
        text::verdict(&mut text, v, "", Style::plain());
        out.push_str(&esc_lines(&text));
        out.push_str("</pre>");
    }
    let _ = write!(
        out,
        "<p><b>{}</b></p><p>{}</p></section>\n</main>\n<script>{SCRIPT}</script>\n</body></html>\n",
        esc(&text::counts(p, f, Style::plain())),
        if f == 0 {
            "The runbook does what its expectations say."
        } else {
            "The runbook does not do what its expectations say: see the ✗ checks."
        }
    );
    out
}

/// `hysim explain FILE --html`: exit 0 when every check passed, 1 when one failed, 2 on an input
/// error, 3 on an engine defect.
pub fn command(file: &Path) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    let (report, world, pictures) = match run(&s) {
        Ok(r) => r,
        Err(e) => return crate::report_stopped(&[e]),
    };
    let verdict = world.verdict();
    let html = page(&s, &report, verdict.as_ref(), &pictures);
    let code = if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    };
    crate::exiting((s, report, world));
    crate::output::then(crate::output::emit(html.as_bytes(), EXIT_INPUT_ERROR), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_and_control_characters_are_escaped() {
        assert_eq!(
            esc("a<b>&\"c'\u{7}\nd"),
            "a&lt;b&gt;&amp;&quot;c&#39;\\u{7} d"
        );
        assert_eq!(esc_lines("x<\ny"), "x&lt;\ny");
    }

    #[test]
    fn long_lines_are_cut_and_counts_grouped() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(999), "999");
    }
}
