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
pub(crate) fn joined<T>(t: std::thread::ScopedJoinHandle<'_, T>) -> T {
    t.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
