//! Reading the engineer's own tenant: a Microsoft Graph export (or an EntraExporter folder) and
//! an `ldifde` LDIF file, each into a plain model of what the export holds ([`ldif`], [`graph`]),
//! then joined the way Entra Connect has the two sides joined and built into a world.
//!
//! The readers know the file formats and nothing of the engine; they never panic, and every
//! error names the file and the line (LDIF) or the JSON path (Graph) with what was expected.

pub mod dn;
pub mod graph;
pub mod guid;
pub mod ldif;

pub use crate::scenario::InputError;

/// Something an export holds that was read but is odd or cannot be used as it is: reported,
/// never silently dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The file, with `:line` (LDIF) or `: json.path` (Graph) when known.
    pub at: String,
    pub message: String,
}

/// The largest export file read (bytes); a larger one is refused, not read into memory.
pub const MAX_EXPORT_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;
