//! The import report: what the exports held, how the two sides were joined, and everything the
//! model cannot hold, counted and named.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::graph::GraphExport;
use super::ldif::AdExport;
use crate::settings::SourceAnchor;

/// How many examples of one kind of dropped item, or of one list, the report names.
pub const EXAMPLES: usize = 10;

/// The most warnings the report keeps word for word; the rest are counted.
const MAX_WARNINGS: usize = 1000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub users: usize,
    pub groups: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub ous: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub guests: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub deleted_users: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub deleted_groups: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub role_assignments: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub app_role_assignments: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub licence_skus: usize,
    /// Records of classes the model does not hold (computers, contacts…), by class.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, usize>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The source anchor, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Anchor {
    pub attribute: SourceAnchor,
    pub how: String,
    /// Users joined on objectGUID while their mS-DS-ConsistencyGuid holds something else.
    pub anomalies: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Joins {
    /// Joined users by the attribute their immutableId matched.
    pub users: BTreeMap<&'static str, usize>,
    /// Joined groups by key (their SID).
    pub groups: BTreeMap<&'static str, usize>,
}

/// An identity named in a list: its handle (or name) and a detail (an OU, an object id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub name: String,
    pub detail: String,
}

impl Listed {
    pub fn of(name: &str, detail: &str) -> Listed {
        Listed {
            name: name.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// One kind of thing the model cannot hold: how many, and the first few.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub count: usize,
    pub examples: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportWarning {
    pub at: String,
    pub message: String,
}

/// What an import read, joined and dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldif: Option<String>,
    /// Listings a Graph export lacks: their relations are not in the world.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_captured: Vec<&'static str>,
    pub ad: Counts,
    pub entra: Counts,
    pub anchor: Anchor,
    pub joins: Joins,
    pub relations: usize,
    /// `None`: every OU.
    pub sync_ous: Option<Vec<String>>,
    /// Whether `sync_ous` was inferred (every OU holding a synced object) rather than given.
    pub sync_ous_inferred: bool,
    /// Synced cloud objects whose AD object is not in the export (deleted, or out of scope).
    pub orphans: Vec<Listed>,
    /// AD users and groups outside the sync scope, with their OU.
    pub outside_scope: Vec<Listed>,
    /// AD users and groups in scope with no synced cloud object: the next cycle processes them.
    pub not_yet_synced: Vec<Listed>,
    /// What the model cannot hold, by kind.
    pub dropped: BTreeMap<String, Dropped>,
    pub warnings: Vec<ReportWarning>,
    /// Warnings beyond those kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_warnings: usize,
}

impl ImportReport {
    /// The counts of what the exports hold.
    pub fn read(ad: &AdExport, graph: &GraphExport) -> ImportReport {
        let mut r = ImportReport {
            ad: Counts {
                users: ad.users.len(),
                groups: ad.groups.len(),
                ous: ad.ous.len(),
                skipped: ad.skipped.iter().cloned().collect(),
                ..Counts::default()
            },
            entra: Counts {
                users: graph.users.len(),
                groups: graph.groups.len(),
                guests: graph
                    .users
                    .iter()
                    .filter(|u| u.user_type.as_deref() == Some("Guest"))
                    .count(),
                deleted_users: graph.deleted_users.len(),
                deleted_groups: graph.deleted_groups.len(),
                role_assignments: graph.role_assignments.len(),
                app_role_assignments: graph.app_assignments.len(),
                licence_skus: graph.skus.len(),
                ..Counts::default()
            },
            ..ImportReport::default()
        };
        if !graph.root.is_empty() {
            // Role definitions only name the roles, and the documented capture leaves deleted
            // groups out: neither missing takes relations out of the world.
            r.not_captured = super::graph::CAPTURED
                .into_iter()
                .filter(|l| !matches!(*l, "roleDefinitions" | "deletedGroups"))
                .filter(|l| !graph.captured.contains(l))
                .collect();
        }
        for w in ad.warnings.iter().chain(&graph.warnings) {
            r.warn(&w.at, w.message.clone());
        }
        // Only active role assignments are listed: PIM-eligible ones are another listing.
        if graph.captured.contains(&"roleAssignments") {
            r.not_captured
                .push("PIM-eligible role assignments (roleEligibilitySchedules)");
        }
        r
    }

    /// Counts one item of a kind the model cannot hold.
    pub fn drop(&mut self, what: &str, example: &str) {
        let d = self.dropped.entry(what.to_string()).or_default();
        d.count += 1;
        if d.examples.len() < EXAMPLES {
            d.examples.push(example.to_string());
        }
    }

    pub fn warn(&mut self, at: &str, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(ReportWarning {
                at: at.to_string(),
                message,
            });
        } else {
            self.more_warnings += 1;
        }
    }

    /// The report as text, for people.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let count = |c: &Counts| {
            let mut parts = vec![format!("{} users", c.users), format!("{} groups", c.groups)];
            for (n, what) in [
                (c.ous, "OUs and containers"),
                (c.guests, "guests among the users"),
                (c.deleted_users, "users in the recycle bin"),
                (c.deleted_groups, "groups in the recycle bin"),
                (c.role_assignments, "role assignments"),
                (c.app_role_assignments, "app role assignments"),
                (c.licence_skus, "licence SKUs"),
            ] {
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            for (class, n) in &c.skipped {
                parts.push(format!("{n} skipped (class {class})"));
            }
            parts.join(", ")
        };
        if let Some(f) = &self.ldif {
            let _ = writeln!(s, "AD ({f}): {}", count(&self.ad));
        }
        if let Some(f) = &self.graph {
            let _ = writeln!(s, "Entra ID ({f}): {}", count(&self.entra));
        }
        if !self.not_captured.is_empty() {
            let _ = writeln!(
                s,
                "not captured (their objects and relations are not in the world): {}",
                self.not_captured.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "source anchor: {} ({})",
            anchor_name(self.anchor.attribute),
            self.anchor.how
        );
        if self.anchor.anomalies > 0 {
            let _ = writeln!(
                s,
                "  {} users joined on objectGUID hold another mS-DS-ConsistencyGuid",
                self.anchor.anomalies
            );
        }
        let joins = |m: &BTreeMap<&'static str, usize>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, n)| format!("{n} by {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(s, "joined users: {}", joins(&self.joins.users));
        let _ = writeln!(s, "joined groups: {}", joins(&self.joins.groups));
        let _ = writeln!(s, "relations: {}", self.relations);
        let _ = writeln!(
            s,
            "sync scope ({}): {}",
            if self.sync_ous_inferred {
                "every OU holding a synced object"
            } else {
                "given"
            },
            match &self.sync_ous {
                None => "every OU (no Graph export: nothing is synced yet)".to_string(),
                Some(v) if v.is_empty() => "none".to_string(),
                Some(v) => v.join("; "),
            }
        );
        for (title, list) in [
            (
                "synced cloud objects with no AD object in the export",
                &self.orphans,
            ),
            ("AD objects outside the sync scope", &self.outside_scope),
            (
                "AD objects in scope not synced yet (the next cycle processes them)",
                &self.not_yet_synced,
            ),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "{title}: {}", list.len());
            for l in list.iter().take(EXAMPLES) {
                let _ = writeln!(s, "  {} ({})", l.name, l.detail);
            }
            if list.len() > EXAMPLES {
                let _ = writeln!(s, "  … and {} more", list.len() - EXAMPLES);
            }
        }
        if !self.dropped.is_empty() {
            let _ = writeln!(s, "not in the model:");
            for (what, d) in &self.dropped {
                let more = if d.count > d.examples.len() {
                    ", …"
                } else {
                    ""
                };
                let _ = writeln!(s, "  {} {what}: {}{more}", d.count, d.examples.join(", "));
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "warnings:");
            for w in &self.warnings {
                let _ = writeln!(s, "  {}: {}", w.at, w.message);
            }
            if self.more_warnings > 0 {
                let _ = writeln!(s, "  … and {} more", self.more_warnings);
            }
        }
        s
    }
}

fn anchor_name(a: SourceAnchor) -> &'static str {
    match a {
        SourceAnchor::ConsistencyGuid => "mS-DS-ConsistencyGuid",
        SourceAnchor::ObjectGuid => "objectGUID",
    }
}
