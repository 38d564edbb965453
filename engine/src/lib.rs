//! hysim-engine: a model of on-premises Active Directory, Microsoft Entra ID, Entra Connect Sync
//! and the Veeam backup tools, driven one operation at a time. Every behaviour rule of the
//! catalogue (docs/rules.md) is implemented in the module of the system that owns it, with its
//! ID in the doc comment. Nothing here prints.

/// `Deserialize` for an enum of named values that accepts each name in any case
/// (`mS-DS-ConsistencyGuid` for `ms-ds-consistencyguid`, `Live` for `live`), as people write
/// them; an unknown name lists the known ones.
macro_rules! named_values {
    ($t:ty { $($variant:ident = $name:literal),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                $(if s.eq_ignore_ascii_case($name) {
                    return Ok(<$t>::$variant);
                })*
                Err(serde::de::Error::unknown_variant(&s, &[$($name),*]))
            }
        }
    };
}

pub mod ad;
pub mod capture;
pub mod catalogue;
pub mod clock;
pub mod entra;
pub mod error;
pub mod generate;
pub mod import;
mod invariants;
pub mod op;
mod part;
pub mod query;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod settings;
pub mod store;
pub mod sync;
pub mod vdc;
pub mod vead;
pub mod world;

pub use error::EngineError;
pub use op::{NewObject, Op, RelationSet};
pub use report::{Event, EventKind, Progress};
pub use rules::RuleId;
pub use settings::{Names, Settings, SettingsPatch, SourceAnchor};
pub use store::handles::RESERVED_HANDLES;
pub use store::{Directory, GroupType, Kind, Value};
pub use sync::CycleKind;
pub use vdc::{Existing, Status};
pub use world::World;

/// The result of a scoped thread that reads the world (the invariant checks, a backup); a panic
/// in it carries on in the caller, as if the work had run there.
/// Runs `task(0..tasks)` on `threads` threads (every core when `None`; never more threads than
/// tasks), each thread taking the next task left, and returns the results in task order: what
/// the caller makes of them does not depend on the number of threads (`plan`, `readiness`).
pub(crate) fn in_task_order<T: Send>(
    tasks: usize,
    threads: Option<usize>,
    task: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |t| t.get()))
        .clamp(1, tasks.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= tasks {
                            break mine;
                        }
                        mine.push((i, task(i)));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(joined).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

pub(crate) fn joined<T>(t: std::thread::ScopedJoinHandle<'_, T>) -> T {
    t.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
