//! Reading the engineer's own tenant: a Microsoft Graph export (or an EntraExporter folder) and
//! an `ldifde` LDIF file, each into a plain model of what the export holds ([`ldif`], [`graph`]),
//! then joined the way Entra Connect has the two sides joined and built into a world.
//!
//! The readers know the file formats and nothing of the engine; they never panic, and every
//! error names the file and the line (LDIF) or the JSON path (Graph) with what was expected.

pub mod anonymize;
mod build;
pub mod dn;
pub mod graph;
pub mod guid;
mod join;
pub mod ldif;
mod relations;
pub mod report;
pub mod tenant;
pub mod write;

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

/// Reads the exports given (either may be absent) and joins them into a world.
pub fn read(
    graph: Option<&std::path::Path>,
    ldif: Option<&std::path::Path>,
    opts: &tenant::Options,
) -> Result<tenant::Imported, Vec<InputError>> {
    let ad = match ldif {
        Some(p) => Some(read_ldif(p).map_err(|e| vec![e])?),
        None => None,
    };
    let g = match graph {
        Some(p) => Some(graph::read_dir(p).map_err(|e| vec![e])?),
        None => None,
    };
    let ldif_name = ldif.map(|p| p.display().to_string());
    let ad = ad.as_ref().zip(ldif_name.as_deref());
    let mut imported = tenant::join(ad, g.as_ref(), opts)?;
    imported.report.graph = graph.map(|p| p.display().to_string());
    Ok(imported)
}

/// Reads an LDIF file whole: the reader works on its bytes, and drops them once it is done.
fn read_ldif(path: &std::path::Path) -> Result<ldif::AdExport, InputError> {
    let bytes = crate::scenario::read_limited(path, MAX_EXPORT_FILE_BYTES, "an LDIF")?;
    ldif::read(&path.display().to_string(), &bytes)
}
