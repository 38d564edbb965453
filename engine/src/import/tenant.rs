//! A tenant from its exports: the records of the two sides matched into identities (`join`),
//! each identity named and placed in a capture with its relations (`build`, `relations`), and
//! the configuration the exports state. Everything the model cannot hold is counted in the
//! report, never silently dropped.

use std::collections::{BTreeMap, BTreeSet};

use super::InputError;
use super::build::Builder;
use super::graph::GraphExport;
use super::join::{self, AdIndex};
use super::ldif::AdExport;
use super::report::{ImportReport, Listed};
use crate::capture::Capture;
use crate::settings::{SettingsPatch, SourceAnchor};
use crate::store::{Kind, Time};

/// What the engineer says about the tenant that the exports cannot say.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Entra Connect's OU filter; `None`: every OU that holds a synced user or group.
    pub sync_ous: Option<Vec<String>>,
    /// The source anchor; `None`: detected from the joins.
    pub source_anchor: Option<SourceAnchor>,
    /// Friendly names for licences, by `skuPartNumber`.
    pub licence_names: BTreeMap<String, String>,
}

/// One identity of the imported world: its handle, kind, and the objects it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub handle: String,
    pub kind: Kind,
    /// Whether it is an AD object (a synced pair or AD only): steps name it as AD's.
    pub in_ad: bool,
    pub ad_dn: Option<String>,
    /// The Entra object ids it names, live first.
    pub entra_ids: Vec<String>,
}

/// A tenant read from exports: the world to place, the identities named, and what the
/// exports say about the configuration.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// Handles are numbered in the order of `identities`.
    pub capture: Capture,
    pub identities: Vec<Identity>,
    pub settings: SettingsPatch,
    pub domain: Option<String>,
    pub tenant: Option<String>,
    pub verified_domains: Option<Vec<String>>,
    /// Entra Connect's OU filter: given, or every OU holding a synced object; `None` (every
    /// OU) when there is no Graph export, as for a domain not synced yet.
    pub sync_ous: Option<Vec<String>>,
    /// When the Graph export was captured (its manifest's `capturedAt`).
    pub captured_at: Option<Time>,
    pub report: ImportReport,
}

/// Joins the exports and builds the world. Either export may be absent; `ad` comes with the
/// name of its file.
pub fn join(
    ad: Option<(&AdExport, &str)>,
    graph: Option<&GraphExport>,
    opts: &Options,
) -> Result<Imported, Vec<InputError>> {
    let empty_ad = AdExport::default();
    let empty_graph = GraphExport::default();
    let ldif_file = ad.map(|(_, f)| f.to_string());
    let ad = ad.map_or(&empty_ad, |(a, _)| a);
    let graph = graph.unwrap_or(&empty_graph);
    let ix = AdIndex::new(ad);
    let mut report = ImportReport::read(ad, graph);
    report.ldif = ldif_file;
    let slots = join::slots(ad, graph, &ix, opts.source_anchor, &mut report);
    let mut b = Builder::new(ad, graph, &ix, opts, report);
    for slot in &slots {
        b.identity(slot);
    }
    b.relations();
    let built = b.finish()?;
    let mut report = built.report;
    let settings = settings_of(graph, &mut report);
    let (tenant, verified) = tenant_of(graph);
    let sync_ous = match &opts.sync_ous {
        Some(v) => Some(v.clone()),
        None if graph.root.is_empty() => None,
        None => Some(built.synced_ous.into_iter().collect::<Vec<_>>()),
    };
    report.sync_ous = sync_ous.clone();
    report.sync_ous_inferred = opts.sync_ous.is_none();
    let scope: Option<BTreeSet<&str>> = sync_ous
        .as_ref()
        .map(|v| v.iter().map(String::as_str).collect());
    // An AD object in scope with no synced cloud object has not been processed by Entra
    // Connect yet: the next cycle, delta or initial, takes it.
    let mut capture = built.capture;
    for (i, ou, place) in built.unsynced {
        if let Some(id) = built.identities.get(i) {
            let listed = Listed::of(&id.handle, &ou);
            if scope.as_ref().is_none_or(|s| s.contains(ou.as_str())) {
                report.not_yet_synced.push(listed);
                capture.dirty.push(place);
            } else {
                report.outside_scope.push(listed);
            }
        }
    }
    Ok(Imported {
        capture,
        identities: built.identities,
        settings,
        domain: built.domain,
        tenant,
        verified_domains: verified,
        sync_ous,
        captured_at: graph.captured_at.as_deref().and_then(parse_time),
        report,
    })
}

/// An ISO 8601 time as Graph writes it (0 to 7 fractional digits, `Z`).
pub fn parse_time(s: &str) -> Option<Time> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// The settings an export states (IMPORT_FORMATS A.10); a scenario's `settings` win over them.
fn settings_of(graph: &GraphExport, report: &mut ImportReport) -> SettingsPatch {
    let mut s = SettingsPatch {
        source_anchor: Some(report.anchor.attribute),
        ..SettingsPatch::default()
    };
    let Some(f) = &graph.sync else { return s };
    match f.deletion_prevention.as_ref().map(|(t, n)| (t.as_str(), *n)) {
        Some(("enabledForCount", n)) => s.deletion_threshold = Some(Some(u32::try_from(n).unwrap_or(u32::MAX))),
        Some(("disabled", _)) => s.deletion_threshold = Some(None),
        Some((other, n)) => report.drop(
            "deletion prevention by percentage (the model counts deletes): the default threshold is kept",
            &format!("{other} {n}"),
        ),
        None => {}
    }
    s.block_soft_match = f.block_soft_match_enabled;
    s.soft_match_on_upn = f.soft_match_on_upn_enabled;
    s.block_hard_match_takeover = f.block_cloud_object_takeover_through_hard_match_enabled;
    s.bypass_dir_sync_overrides = f.bypass_dir_sync_overrides_enabled;
    s
}

/// The tenant's initial name and verified domains, default first (IMPORT_FORMATS A.10).
fn tenant_of(graph: &GraphExport) -> (Option<String>, Option<Vec<String>>) {
    let Some(org) = &graph.organization else {
        return (None, None);
    };
    let tenant = org
        .verified_domains
        .iter()
        .find(|(_, _, initial)| *initial)
        .and_then(|(name, _, _)| name.split('.').next())
        .map(str::to_string);
    let mut verified: Vec<&(String, bool, bool)> = org
        .verified_domains
        .iter()
        .filter(|(_, _, initial)| !initial)
        .collect();
    verified.sort_by_key(|(_, default, _)| !default);
    let verified: Vec<String> = verified.into_iter().map(|(n, _, _)| n.clone()).collect();
    (tenant, (!verified.is_empty()).then_some(verified))
}
