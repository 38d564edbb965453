//! Scenario files: the YAML format (serde types), loading and validation, the runner and the
//! expectation checks.

pub mod format;
mod import;
mod input;
pub mod load;
pub mod plan;
pub mod quiz;
pub mod readiness;
pub mod run;
mod schema;
mod steps;
mod validate;
mod world;
pub mod yaml;

pub use input::read_limited;
pub use load::{InputError, Scenario, load, parse};
pub use run::{RunError, run};
pub use schema::schema;
