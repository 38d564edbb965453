//! The model shared by every system: identifiers, the property catalogue and the graph.

pub mod graph;
pub mod idmap;
pub mod ids;
pub mod props;
pub mod value;
pub mod valuemap;

pub use graph::*;
pub use ids::{Guid, IdGenerator, Sid, immutable_id};
pub use props::{AdAttr, EntraProp, Mastery, PropMap, Source, Value, ValueRef};
