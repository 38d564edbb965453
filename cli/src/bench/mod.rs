//! `hysim generate` and `hysim bench`: a synthetic tenant of N users written as a scenario file,
//! or built and replayed in memory with the time of each phase and the peak memory.

pub mod prefault;

use std::path::Path;
use std::time::Instant;

use hysim_engine::generate::{Incident, Tenant};
use hysim_engine::store::Directory;
use hysim_engine::{Op, World};
use indicatif::ProgressBar;

use crate::progress::{bar, watcher, watcher_in_message};

pub fn incident(name: &str) -> Option<Incident> {
    match name {
        "purge" => Some(Incident::Purge),
        "scope" => Some(Incident::Scope),
        "ad-delete" => Some(Incident::AdDelete),
        _ => None,
    }
}

/// Writes a generated tenant as the exports an engineer would capture of it, in `dir`: a Graph
/// export (`graph/`), an LDIF file (`tenant.ldf`) and a scenario that imports them and replays
/// the runbook (`scenario.yaml`).
pub fn generate_exports(
    users: usize,
    seed: u64,
    incident: Incident,
    dir: &Path,
) -> Result<(), String> {
    let tenant = Tenant::generate(users, seed, incident);
    let world = tenant.built().map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("{}: cannot write: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(io)?;
    hysim_engine::import::write::exports(&world, &dir.join("tenant.ldf"), &dir.join("graph"))
        .map_err(io)?;
    std::fs::write(
        dir.join("scenario.yaml"),
        tenant.to_import_yaml("tenant.ldf", "graph"),
    )
    .map_err(io)
}

/// Writes the scenario file of a generated tenant (`-` for standard output).
pub fn generate(users: usize, seed: u64, incident: Incident, out: &Path) -> Result<(), String> {
    let tenant = Tenant::generate(users, seed, incident);
    let text = tenant.to_yaml();
    if out == Path::new("-") {
        // The failure is reported where it happened: nothing more to say.
        crate::output::emit(text.as_bytes(), 2).map_err(|_| String::new())
    } else {
        std::fs::write(out, text).map_err(|e| format!("{}: cannot write: {e}", out.display()))
    }
}

/// Applies one operation that is a whole phase (a cycle, a backup, a restore session) under a
/// bar that the world moves through the stages of the operation.
fn apply_watched(w: &mut World, op: &Op, phase: &'static str) -> Result<(), String> {
    let pb = bar(1, phase, "");
    w.set_progress(watcher(&pb));
    let applied = w.apply(op).map_err(|e| e.to_string());
    pb.finish_and_clear();
    w.set_progress(None);
    applied.map(drop)
}

/// Applies the operations in order, batch by batch, moving the bar every 1,024 of them: a move
/// takes a lock and reads the clock, too dear once per operation. An operation that is long
/// itself (a cycle in the middle of an incident) shows its stage in the bar's message. What an
/// operation reads is fetched a few operations ahead ([`prefetch`]).
fn apply_all(
    w: &mut World,
    batches: impl Iterator<Item = Vec<Op>>,
    pb: &ProgressBar,
) -> Result<(), String> {
    const STEP: u64 = 1 << 10;
    const AHEAD: usize = 2;
    w.set_progress(watcher_in_message(pb));
    let mut pending = 0;
    let mut applied = Ok(());
    'all: for batch in batches {
        for (i, op) in batch.iter().enumerate() {
            for (stage, ahead) in Ahead::ALL.into_iter().rev().zip((AHEAD..).step_by(AHEAD)) {
                if let Some(next) = batch.get(i + ahead) {
                    prefetch(w, next, stage);
                }
            }
            applied = w.apply(op).map(drop).map_err(|e| e.to_string());
            if applied.is_err() {
                break 'all;
            }
            pending += 1;
            if pending == STEP {
                pb.inc(STEP);
                pending = 0;
            }
        }
    }
    pb.inc(pending);
    w.set_progress(None);
    applied
}

/// A stage of [`prefetch`], in the order they are run for an operation.
#[derive(Clone, Copy)]
enum Ahead {
    Handles,
    Objects,
}

impl Ahead {
    const ALL: [Ahead; 2] = [Ahead::Handles, Ahead::Objects];
}

/// Has the processor fetch what applying `op` will read, without waiting for it: in stages a
/// few operations apart, the lists of objects of the handles an assignment's relations point to,
/// then their current object (a generated tenant's targets are anywhere in it). A hint: nothing
/// changes.
fn prefetch(w: &World, op: &Op, stage: Ahead) {
    let Op::Assign { dir, rels, .. } = op else {
        return;
    };
    let st = w.store();
    let targets = rels.groups.iter().chain(&rels.owns).chain(&rels.manager);
    match stage {
        Ahead::Handles => targets.for_each(|h| st.objects.prefetch(*dir, *h)),
        Ahead::Objects => targets
            .filter_map(|h| match dir {
                Directory::Ad => st.objects.ad(*h).first(),
                Directory::Entra => st.objects.entra(*h).first(),
            })
            .for_each(|&n| st.g.prefetch(n)),
    }
}

/// [`apply_all`] for operations generated as they are applied: a second thread generates the
/// next batch while this one applies the one before, so the engine does not wait for its input,
/// as a replayed file's steps are all loaded before the first is applied.
fn apply_generated<I>(w: &mut World, mut ops: I, pb: &ProgressBar) -> Result<(), String>
where
    I: Iterator<Item = Op> + Send,
{
    const BATCH: usize = 1 << 10;
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<Op>>(2);
    std::thread::scope(|s| {
        s.spawn(move || {
            loop {
                let batch: Vec<Op> = ops.by_ref().take(BATCH).collect();
                // Nothing left, or the applying side stopped at an error.
                if batch.is_empty() || batches.send(batch).is_err() {
                    break;
                }
            }
        });
        apply_all(w, received.into_iter(), pb)
    })
}

/// How many operations a generated list holds, for its bar: at most this many (a group with no
/// parent or no licence has no operation), known without generating them.
fn ops_len(ops: &impl Iterator<Item = Op>) -> u64 {
    let (low, high) = ops.size_hint();
    high.unwrap_or(low) as u64
}

/// The peak resident memory of this process in bytes (Linux), or `None` elsewhere.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The user and system CPU seconds this process has used so far (Linux: `/proc/self/stat`,
/// whose times are in ticks of 1/100 s), or `None` elsewhere. System time is mostly the kernel
/// handing out fresh zeroed pages.
fn cpu_times() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let ticks = |f: Option<&str>| f?.parse::<f64>().ok().map(|t| t / 100.0);
    Some((ticks(rest.next())?, ticks(rest.next())?))
}

/// From how many users the bench faults memory in ahead of use (when not told otherwise): below
/// it a run is too short, and its memory too small, for the thread to pay for itself.
const PREFAULT_FROM_USERS: usize = 100_000;

/// Whether a bench of `users` users faults memory in ahead of use; `asked`: not turned off.
fn prefaults(users: usize, asked: bool) -> bool {
    asked && users >= PREFAULT_FROM_USERS
}

/// Builds the tenant in memory (no YAML), replays the runbook, and returns one JSON object
/// with the seconds of each phase, the total and the peak memory. `prefault`: from
/// [`PREFAULT_FROM_USERS`] users, memory is faulted in ahead of use on a spare core from the
/// start of the timing (not before: the tenant's generation is not timed).
pub fn bench(
    users: usize,
    seed: u64,
    incident: Incident,
    prefault: bool,
) -> Result<serde_json::Value, String> {
    let prefaulting = prefaults(users, prefault);
    if prefaulting {
        // Before the world reserves its tables, so that the thread finds them.
        prefault::note_allocations();
    }
    let tenant = Tenant::generate(users, seed, incident);
    let mut phases = serde_json::Map::new();
    let cpu_start = cpu_times();
    let total = Instant::now();
    let ahead = prefaulting.then(prefault::Prefault::start).flatten();
    // The build includes numbering the handles, as loading a file does.
    let t = Instant::now();
    let mut w = tenant.world();
    w.set_detail(false);
    let time = |name: &str, phases: &mut serde_json::Map<String, serde_json::Value>, t: Instant| {
        phases.insert(
            name.to_string(),
            serde_json::json!(t.elapsed().as_secs_f64()),
        );
    };
    let pb = bar(ops_len(&tenant.ad_ops()), "build", "AD operations");
    apply_generated(&mut w, tenant.ad_ops(), &pb)?;
    pb.finish_and_clear();
    let build_ad = t.elapsed();
    let t = Instant::now();
    apply_watched(
        &mut w,
        &Op::Sync(hysim_engine::CycleKind::Initial),
        "initial sync",
    )?;
    time("initial_sync", &mut phases, t);
    let t = Instant::now();
    let pb = bar(ops_len(&tenant.cloud_ops()), "build", "cloud operations");
    apply_generated(&mut w, tenant.cloud_ops(), &pb)?;
    pb.finish_and_clear();
    phases.insert(
        "build".into(),
        serde_json::json!((build_ad + t.elapsed()).as_secs_f64()),
    );
    // From here on the runbook needs its operations, not the generated user list: keep those
    // and let the list go, as a replayed file's steps do not hold the tenant either.
    let incident_ops = tenant.incident_ops();
    let restore_ops = tenant.restore_ops();
    let final_sync = tenant.final_sync();
    let touched = tenant.touched.len();
    let one = tenant
        .users
        .first()
        .and_then(|u| w.handles().get(&u.handle))
        .unwrap_or_default();
    drop(tenant);
    let t = Instant::now();
    apply_watched(&mut w, &Op::Backup("nightly".into()), "backup")?;
    time("backup", &mut phases, t);
    let t = Instant::now();
    let pb = bar(incident_ops.len() as u64, "incident", "operations");
    apply_all(&mut w, std::iter::once(incident_ops), &pb)?;
    pb.finish_and_clear();
    time("incident", &mut phases, t);
    let t = Instant::now();
    for op in &restore_ops {
        apply_watched(&mut w, op, "restore")?;
    }
    time("restore", &mut phases, t);
    let t = Instant::now();
    apply_watched(&mut w, &final_sync, "final sync")?;
    time("final_sync", &mut phases, t);
    // A delta cycle after one changed user: the cost of a cycle follows the changes.
    w.apply(&Op::UpdateAd {
        kind: hysim_engine::Kind::User,
        handle: one,
        set: vec![(
            hysim_engine::store::AdAttr::Department,
            Some(hysim_engine::Value::text("Changed")),
        )],
    })
    .map_err(|e| e.to_string())?;
    let t = Instant::now();
    w.apply(&Op::Sync(hysim_engine::CycleKind::Delta))
        .map_err(|e| e.to_string())?;
    let one_change = t.elapsed().as_secs_f64();
    let total = total.elapsed().as_secs_f64() - one_change;
    // From the start of the build to the end of the delta cycle (tick resolution: 10 ms).
    let cpu = cpu_start.zip(cpu_times()).map(|((u0, s0), (u1, s1))| {
        serde_json::json!({"user": ((u1 - u0) * 100.0).round() / 100.0, "system": ((s1 - s0) * 100.0).round() / 100.0})
    });
    Ok(serde_json::json!({
        "users": users,
        "seed": seed,
        "incident": incident.name(),
        "touched": touched,
        "phases_s": phases,
        "total_s": total,
        "delta_sync_one_change_s": one_change,
        "cpu_s": cpu,
        "peak_memory_bytes": peak_memory(),
        "prefault": ahead.is_some(),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_faulted_in_ahead_from_100k_users_unless_turned_off() {
        assert!(!prefaults(99_999, true));
        assert!(prefaults(100_000, true));
        assert!(!prefaults(1_000_000, false));
    }

    /// Generated on a second thread a batch ahead, the operations build the world they build
    /// applied one after the other as they are generated.
    #[test]
    fn generated_operations_applied_as_generated_build_the_same_world() {
        let tenant = Tenant::generate(3000, 7, Incident::Purge);
        let build = |pipelined: bool| {
            let mut w = tenant.world();
            let pb = ProgressBar::hidden();
            if pipelined {
                apply_generated(&mut w, tenant.ad_ops(), &pb).unwrap();
            } else {
                apply_all(&mut w, std::iter::once(tenant.ad_ops().collect()), &pb).unwrap();
            }
            crate::graph::dot(&w, "")
        };
        let one_by_one = build(false);
        assert!(one_by_one.matches(" -> ").count() > 3000, "relations drawn");
        assert_eq!(build(true), one_by_one);
    }

    /// An operation that fails stops the build with its error, and the thread generating the
    /// rest stops too (the test would hang otherwise).
    #[test]
    fn generated_operations_stop_at_the_first_error() {
        let tenant = Tenant::generate(3000, 7, Incident::Purge);
        let mut w = tenant.world();
        // Handle 0 is the group All Staff, named here as a user.
        let unknown = Op::Delete {
            kind: hysim_engine::Kind::User,
            handle: hysim_engine::store::HandleId(0),
            from: hysim_engine::Directory::Ad,
            permanently: false,
        };
        let ops = tenant
            .ad_ops()
            .take(10)
            .chain(std::iter::once(unknown))
            .chain(tenant.ad_ops());
        let e = apply_generated(&mut w, ops, &ProgressBar::hidden()).unwrap_err();
        assert!(e.contains("All Staff"), "{e}");
    }
}
