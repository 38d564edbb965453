//! `hysim readiness`: for each hybrid user of a scenario's world after its steps, and each
//! incident, replays Veeam's documented runbook for that user alone and lists what does not
//! come back, each item with the rule responsible. A replay runs on a world of the user's
//! neighbourhood ([`World::part`]), never on a copy of the tenant; [`assess_whole`] replays the
//! same runbook on a copy of the whole world, the reference the tests compare it with. Users
//! run on every core; the report is in user order whatever the number of threads.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::load::{InputError, Scenario};
use super::run::{RunError, run_until, stop};
use crate::op::{CycleKind, Existing, Op};
use crate::query::{AdPresence, same_value};
use crate::report::{Event, EventKind};
use crate::rules::RuleId;
use crate::store::{Directory, EntraProp, HandleId, Kind, NodeIx};
use crate::world::World;

/// The label of the restore point (and AD backup) each replay takes first.
pub const BACKUP: &str = "readiness";

/// An incident whose documented runbook is replayed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Incident {
    /// Deleted and purged in Entra ID; runbook 1: restore with Keep Relationships, sync.
    CloudOnlyDeletion,
    /// Deleted and purged in Entra ID, then a sync re-created the user; runbook 2: delete the
    /// user the sync made (permanently), restore, sync.
    DeletionThenSyncRecreation,
    /// Deleted in AD as the tenant's settings make a deletion (Recycle Bin or tombstone), the
    /// sync soft-deletes the cloud user, which is then purged; runbook 3: restore in Entra ID,
    /// restore the AD user with VEAD, sync.
    DeletedFromBoth,
    /// The same, the AD object gone for good, so that VEAD re-creates it; runbook 3.
    DeletedFromBothAdGone,
}

impl Incident {
    pub const ALL: [Incident; 4] = [
        Incident::CloudOnlyDeletion,
        Incident::DeletionThenSyncRecreation,
        Incident::DeletedFromBoth,
        Incident::DeletedFromBothAdGone,
    ];

    /// The id in the output.
    pub fn id(self) -> &'static str {
        match self {
            Incident::CloudOnlyDeletion => "cloud-only-deletion",
            Incident::DeletionThenSyncRecreation => "deletion-then-sync-recreation",
            Incident::DeletedFromBoth => "deleted-from-both",
            Incident::DeletedFromBothAdGone => "deleted-from-both-ad-gone",
        }
    }

    /// The steps replayed for user `h`: the backup, the incident, then the runbook.
    pub fn steps(self, h: HandleId) -> Vec<Op> {
        let purge = Op::Delete {
            kind: Kind::User,
            handle: h,
            from: Directory::Entra,
            permanently: true,
        };
        let restore = Op::Restore {
            users: vec![h],
            groups: Vec::new(),
            from: BACKUP.into(),
            recycle_bin: true,
            keep_relationships: true,
            existing: Existing::Skip,
        };
        let restore_ad = Op::RestoreAd {
            users: vec![h],
            from: BACKUP.into(),
        };
        let ad_delete = |permanently| Op::Delete {
            kind: Kind::User,
            handle: h,
            from: Directory::Ad,
            permanently,
        };
        let sync = Op::Sync(CycleKind::Delta);
        let backup = Op::Backup(BACKUP.into());
        match self {
            Incident::CloudOnlyDeletion => vec![backup, purge, restore, sync],
            Incident::DeletionThenSyncRecreation => {
                vec![backup, purge.clone(), sync.clone(), purge, restore, sync]
            }
            Incident::DeletedFromBoth => vec![
                backup,
                ad_delete(false),
                sync.clone(),
                purge,
                restore,
                restore_ad,
                sync,
            ],
            Incident::DeletedFromBothAdGone => vec![
                backup,
                ad_delete(true),
                sync.clone(),
                purge,
                restore,
                restore_ad,
                sync,
            ],
        }
    }
}

/// One thing that does not come back as it was, and the rule responsible.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct Item {
    pub what: String,
    pub rule: RuleId,
    /// What the item is about, for grouping users: `group`, `role`, `hybrid link`,
    /// `property jobTitle`, ...
    #[serde(skip)]
    pub class: String,
}

/// What one incident's runbook fails to bring back for one user.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Default)]
pub struct Outcome {
    /// What costs the person access: relations, the hybrid link, the account.
    pub lost: Vec<Item>,
    /// What comes back different: the object id, the objectGUID, properties.
    pub changed: Vec<Item>,
    /// The relations of the backup that came back (with `lost`, every relation the user had):
    /// not reported, compared by the tests.
    #[serde(skip)]
    pub kept: Vec<String>,
}

/// One user's outcomes, by incident.
#[derive(Clone, Debug, Serialize)]
pub struct UserReport {
    pub handle: String,
    pub incidents: Vec<UserIncident>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UserIncident {
    pub incident: Incident,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Users who lose (or see changed) the same kind of thing in the same incident by the same
/// rule.
#[derive(Clone, Debug, Serialize)]
pub struct Cause {
    pub incident: Incident,
    pub rule: RuleId,
    /// `lost` or `changed`.
    pub kind: &'static str,
    pub what: String,
    pub users: usize,
    /// The first users, in handle order.
    pub examples: Vec<String>,
}

/// The readiness report.
#[derive(Clone, Debug, Serialize)]
pub struct ReadinessReport {
    pub incidents: Vec<Incident>,
    /// How many hybrid users were assessed.
    pub hybrid_users: usize,
    /// Lost causes first, then changed ones; each largest first.
    pub causes: Vec<Cause>,
    /// Every assessed user with something lost or changed, in handle order.
    pub users: Vec<UserReport>,
}

impl ReadinessReport {
    /// Whether some user would lose something in some incident.
    pub fn any_lost(&self) -> bool {
        self.causes.iter().any(|c| c.kind == "lost")
    }
}

/// How many examples a cause lists.
pub const EXAMPLES: usize = 5;

/// The world of a scenario after its steps, as the next sync cycle leaves it: changes not yet
/// synchronized are carried by the first sync of every runbook anyway, and taking them first
/// makes each user's replay depend on that user's neighbourhood only.
pub fn settled_world(s: &Scenario) -> Result<World, RunError> {
    let (_, mut w) = run_until(s, None)?;
    if w.pending_changes() {
        w.apply(&Op::Sync(CycleKind::Delta))
            .map_err(|e| stop(s, "readiness", e))?;
    }
    Ok(w)
}

/// The hybrid users of a world, in handle order: a live AD object joined to a live Entra one.
pub fn hybrid_users(w: &World) -> Vec<HandleId> {
    w.handles()
        .all()
        .filter(|h| w.handles().kind(*h) == Some(Kind::User) && w.hybrid(*h).unwrap_or(false))
        .collect()
}

/// Replays `incident` for `h` on a world of its neighbourhood.
pub fn assess_part(w: &World, h: HandleId, incident: Incident) -> crate::error::Result<Outcome> {
    let keep = w.neighbourhood(h);
    let (mut part, ids) = w.part(&keep)?;
    let local = ids.first().copied().unwrap_or(h);
    replay(&mut part, local, incident)
}

/// Replays every incident for `h`, each on a copy of one world of its neighbourhood.
pub fn assess_user(w: &World, h: HandleId) -> crate::error::Result<[Outcome; 4]> {
    let keep = w.neighbourhood(h);
    let (part, ids) = w.part(&keep)?;
    let local = ids.first().copied().unwrap_or(h);
    let mut four: [Outcome; 4] = Default::default();
    for (slot, incident) in four.iter_mut().zip(Incident::ALL) {
        *slot = replay(&mut part.clone(), local, incident)?;
    }
    Ok(four)
}

/// Replays `incident` for `h` on a copy of the whole world: the reference for [`assess_part`].
pub fn assess_whole(w: &World, h: HandleId, incident: Incident) -> crate::error::Result<Outcome> {
    let mut whole = w.clone();
    replay(&mut whole, h, incident)
}

fn replay(w: &mut World, h: HandleId, incident: Incident) -> crate::error::Result<Outcome> {
    let guid_before = w.object_guid(h);
    let ad_groups_before = w.ad_groups(h);
    let ad_manager_before = w.ad_manager(h);
    let name = w.handles().name(h).to_string();
    let mut events = Vec::new();
    for op in incident.steps(h) {
        events.extend(w.apply(&op)?.into_iter().filter(|e| e.subject == name));
    }
    Ok(assess(
        w,
        h,
        &events,
        guid_before,
        &ad_groups_before,
        ad_manager_before,
    ))
}

/// The first event (of `events`, about the user) of one of `kinds`.
fn first_of<'a>(events: &'a [Event], kinds: &[EventKind]) -> Option<&'a Event> {
    events.iter().find(|e| kinds.contains(&e.kind))
}

/// The last event whose message mentions `text`.
fn mentioning<'a>(events: &'a [Event], text: &str) -> Option<&'a Event> {
    events.iter().rev().find(|e| e.message.contains(text))
}

fn item(what: String, rule: RuleId, class: &str) -> Item {
    Item {
        what,
        rule,
        class: class.to_string(),
    }
}

/// What the runbook left of `h` measured against the restore point it took first.
fn assess(
    w: &World,
    h: HandleId,
    events: &[Event],
    guid_before: Option<crate::store::Guid>,
    ad_groups_before: &BTreeSet<String>,
    ad_manager_before: Option<String>,
) -> Outcome {
    use EventKind as K;
    let mut out = Outcome::default();
    let st = w.store();
    let live: Vec<NodeIx> = st
        .objects
        .entra(h)
        .iter()
        .copied()
        .filter(|n| w.graph().is_live(*n))
        .collect();
    let ad_live = w.ad_presence(h) == AdPresence::Live;
    let joined = w
        .ad_current(h)
        .filter(|_| ad_live)
        .and_then(|n| w.graph().joined_entra(n))
        .filter(|n| w.graph().is_live(*n));
    // The account the person signs in to: the one the sync joined, else the newest live one.
    let account = joined.or_else(|| live.last().copied());
    // The hybrid link, and why it did not come back.
    let link = if joined.is_some() && live.len() == 1 {
        None
    } else {
        let refused = first_of(
            events,
            &[
                K::InvalidHardMatch,
                K::InvalidSoftMatch,
                K::AdminRoleConflict,
                K::ExportStopped,
                K::RestoreFailed,
            ],
        );
        let recreated = first_of(events, &[K::AdRecreated]);
        let provisioned = first_of(events, &[K::Provisioned]);
        let rule = refused
            .map(|e| e.rule)
            .or_else(|| (recreated.is_some() && provisioned.is_some()).then_some(RuleId::Ad5))
            .or_else(|| provisioned.map(|e| e.rule))
            .or_else(|| events.last().map(|e| e.rule))
            .unwrap_or(RuleId::Sync3);
        let what = if !ad_live {
            "AD account"
        } else if live.len() > 1 {
            "hybrid link: a second cloud user"
        } else if live.is_empty() {
            "cloud account"
        } else {
            "hybrid link"
        };
        let it = item(what.to_string(), rule, what);
        out.lost.push(it.clone());
        Some(it)
    };
    // Relations.
    let before = w.relation_facts_at(h, BACKUP);
    let now = account.map(|n| w.relation_facts_of(n)).unwrap_or_default();
    out.kept = before.intersection(&now).map(|f| f.to_string()).collect();
    for fact in before.difference(&now) {
        let skipped = events.iter().find(|e| {
            matches!(e.kind, K::RelationSkipped | K::WriteRefused | K::Refused)
                && e.message.contains(fact.target.as_str())
        });
        let rule = skipped
            .map(|e| e.rule)
            .or_else(|| link.as_ref().map(|l| l.rule))
            .or_else(|| mentioning(events, &fact.target).map(|e| e.rule))
            .unwrap_or(RuleId::Vdc4);
        out.lost.push(item(fact.to_string(), rule, fact.kind));
    }
    // AD relations.
    let ad_groups_now = if ad_live {
        w.ad_groups(h)
    } else {
        BTreeSet::new()
    };
    let ad_rule = |target: &str| {
        mentioning(events, target)
            .map(|e| e.rule)
            .or_else(|| first_of(events, &[K::AdRecreated, K::AdReanimated]).map(|e| e.rule))
            .unwrap_or(RuleId::Ad5)
    };
    for g in ad_groups_before.difference(&ad_groups_now) {
        out.lost
            .push(item(format!("AD group {g}"), ad_rule(g), "AD group"));
    }
    if let Some(m) = &ad_manager_before
        && (!ad_live || w.ad_manager(h).as_ref() != Some(m))
    {
        out.lost
            .push(item(format!("AD manager {m}"), ad_rule(m), "AD manager"));
    }
    // The object id and properties against the backup.
    let backed_up = w.restore_point(BACKUP).and_then(|p| {
        p.by_handle
            .get(&h)
            .and_then(|i| i.first())
            .and_then(|i| p.objects.get(*i))
    });
    if let (Some(b), Some(o)) = (backed_up, account.and_then(|n| w.graph().entra(n))) {
        if o.id != b.id {
            let id = o.id.to_string();
            // The event that made the object, the first to name its id.
            let rule = events
                .iter()
                .find(|e| e.message.contains(&id))
                .map(|e| e.rule)
                .unwrap_or(RuleId::Vdc3);
            out.changed
                .push(item("object id".into(), rule, "object id"));
        }
        for p in EntraProp::ALL.iter().copied() {
            let (was, is) = (b.props.get(p), o.props.get(p));
            if same_value(was, is) {
                continue;
            }
            let rule = events
                .iter()
                .rev()
                .find(|e| {
                    e.message.contains(p.name())
                        && !matches!(e.kind, K::RestoredFromBackup | K::Skipped)
                })
                .map(|e| e.rule)
                .unwrap_or(RuleId::Sync7);
            let what = format!("property {}", p.name());
            out.changed.push(item(what.clone(), rule, &what));
        }
    }
    if let (Some(was), Some(is)) = (guid_before, w.object_guid(h))
        && was != is
    {
        let rule = first_of(events, &[K::AdRecreated])
            .map(|e| e.rule)
            .unwrap_or(RuleId::Ad5);
        out.changed
            .push(item("AD objectGUID".into(), rule, "AD objectGUID"));
    }
    out
}

/// What was asked of a readiness run.
#[derive(Clone, Debug, Default)]
pub struct Ask {
    /// Only this user (a handle name).
    pub user: Option<String>,
    /// Threads to use (`None`: every core).
    pub threads: Option<usize>,
}

/// Runs readiness on a scenario.
pub fn readiness(s: &Scenario, ask: &Ask) -> Result<ReadinessReport, RunError> {
    let w = settled_world(s)?;
    let users = match &ask.user {
        None => hybrid_users(&w),
        Some(name) => {
            let located = |message: String| {
                RunError::Input(InputError {
                    file: s.file.clone(),
                    line: None,
                    column: None,
                    path: Some("--user".into()),
                    message,
                })
            };
            let h = w
                .handle_id(name)
                .filter(|h| w.handles().kind(*h) == Some(Kind::User))
                .ok_or_else(|| located(format!("no user '{name}' in this scenario")))?;
            if !w.hybrid(h).unwrap_or(false) {
                return Err(located(format!(
                    "'{name}' is not a hybrid user after the scenario's steps (a live AD object joined to a live Entra object): readiness replays runbooks for hybrid users"
                )));
            }
            vec![h]
        }
    };
    let outcomes = assess_all(&w, &users, ask.threads).map_err(|e| stop(s, "readiness", e))?;
    Ok(report(&w, &users, outcomes))
}

/// Every user's outcome in every incident, in user order, on `threads` threads (every core
/// when `None`), in chunks of users.
pub fn assess_all(
    w: &World,
    users: &[HandleId],
    threads: Option<usize>,
) -> crate::error::Result<Vec<[Outcome; 4]>> {
    const CHUNK: usize = 64;
    let chunks: Vec<&[HandleId]> = users.chunks(CHUNK).collect();
    let done = crate::in_task_order(chunks.len(), threads, |i| {
        chunks
            .get(i)
            .into_iter()
            .flat_map(|c| c.iter())
            .map(|h| assess_user(w, *h))
            .collect::<crate::error::Result<Vec<_>>>()
    });
    let mut out = Vec::with_capacity(users.len());
    for chunk in done {
        out.extend(chunk?);
    }
    Ok(out)
}

/// Groups the outcomes by cause.
fn report(w: &World, users: &[HandleId], outcomes: Vec<[Outcome; 4]>) -> ReadinessReport {
    type Key = (Incident, &'static str, RuleId, String);
    let mut groups: BTreeMap<Key, (usize, Vec<String>)> = BTreeMap::new();
    let mut reports = Vec::new();
    for (h, four) in users.iter().zip(outcomes) {
        let name = w.handles().name(*h).to_string();
        let mut incidents = Vec::new();
        for (incident, outcome) in Incident::ALL.into_iter().zip(four) {
            for (kind, items) in [("lost", &outcome.lost), ("changed", &outcome.changed)] {
                let classes: BTreeSet<(RuleId, &str)> =
                    items.iter().map(|i| (i.rule, i.class.as_str())).collect();
                for (rule, class) in classes {
                    let g = groups
                        .entry((incident, kind, rule, class.to_string()))
                        .or_default();
                    g.0 += 1;
                    if g.1.len() < EXAMPLES {
                        g.1.push(name.clone());
                    }
                }
            }
            if !outcome.lost.is_empty() || !outcome.changed.is_empty() {
                incidents.push(UserIncident { incident, outcome });
            }
        }
        if !incidents.is_empty() {
            reports.push(UserReport {
                handle: name,
                incidents,
            });
        }
    }
    let mut causes: Vec<Cause> = groups
        .into_iter()
        .map(|((incident, kind, rule, what), (users, examples))| Cause {
            incident,
            rule,
            kind,
            what,
            users,
            examples,
        })
        .collect();
    // Lost before changed, then largest first, the account and its link before what went
    // with them; ties in incident, rule and class order.
    let link = |c: &Cause| !(c.what.contains("link") || c.what.ends_with("account"));
    causes.sort_by(|a, b| {
        (a.kind != "lost")
            .cmp(&(b.kind != "lost"))
            .then(b.users.cmp(&a.users))
            .then(link(a).cmp(&link(b)))
    });
    ReadinessReport {
        incidents: Incident::ALL.to_vec(),
        hybrid_users: users.len(),
        causes,
        users: reports,
    }
}
