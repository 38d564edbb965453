//! hysim-engine: a model of on-premises Active Directory, Microsoft Entra ID, Entra Connect Sync
//! and the Veeam backup tools, driven one operation at a time. Every behaviour rule of
//! BEHAVIOUR.md is implemented in the module of the system that owns it, with its ID in the doc
//! comment. Nothing here prints.

pub mod ad;
pub mod catalogue;
pub mod entra;
pub mod generate;
mod invariants;
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

pub use report::{Event, EventKind};
pub use rules::RuleId;
pub use settings::{Settings, SettingsPatch, SourceAnchor};
pub use store::handles::RESERVED_HANDLES;
pub use store::{Directory, GroupType, Kind, Value};
pub use sync::CycleKind;
pub use vdc::{Existing, Status};
pub use world::{Ahead, EngineError, Names, NewObject, Op, Progress, RelationSet, World};
