//! `hysim import`: reads the engineer's exports, joins them and prints what it read, joined and
//! could not hold; optionally the handle table as CSV.

use std::io::Write;
use std::path::{Path, PathBuf};

use hysim_engine::SourceAnchor;
use hysim_engine::import::{self, tenant::Imported, tenant::Options};

/// The report's format.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ImportFormat {
    Text,
    Json,
}

/// The command's options.
pub struct Args {
    pub graph: Option<PathBuf>,
    pub ldif: Option<PathBuf>,
    pub format: ImportFormat,
    pub handles: Option<PathBuf>,
    pub sync_ous: Option<Vec<String>>,
    pub source_anchor: Option<SourceAnchor>,
    /// Where to write the anonymized scenario (`-`: standard output, instead of the report).
    pub anonymize: Option<PathBuf>,
}

pub fn command(a: &Args, ok: u8, input_error: u8) -> u8 {
    if a.graph.is_none() && a.ldif.is_none() {
        eprintln!("error: name at least one export: --graph DIR or --ldif FILE");
        return input_error;
    }
    let opts = Options {
        sync_ous: a.sync_ous.clone(),
        source_anchor: a.source_anchor,
        licence_names: Default::default(),
    };
    let imported = match import::read(a.graph.as_deref(), a.ldif.as_deref(), &opts) {
        Ok(i) => i,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return input_error;
        }
    };
    if let Some(path) = &a.handles
        && let Err(e) = write_handles(path, &imported)
    {
        eprintln!(
            "error: {}: cannot write the handle table: {e}",
            path.display()
        );
        return input_error;
    }
    if let Some(path) = &a.anonymize {
        let text = match import::anonymize::scenario(&imported) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot write the anonymized scenario: {e}");
                return input_error;
            }
        };
        if path == Path::new("-") {
            return crate::output::then(crate::output::emit(text.as_bytes(), input_error), ok);
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: {}: cannot write: {e}", path.display());
            return input_error;
        }
    }
    let written = match a.format {
        ImportFormat::Text => {
            let text = crate::style::Style::detect().safe(&imported.report.text());
            crate::output::emit(text.as_bytes(), input_error)
        }
        ImportFormat::Json => crate::output::emit_json(&imported.report, input_error),
    };
    crate::exiting(imported);
    crate::output::then(written, ok)
}

/// The handle table: handle, kind, AD DN, Entra object ids (live first, `;`-separated).
fn write_handles(path: &Path, imported: &Imported) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "handle,kind,ad_dn,entra_ids")?;
    for i in &imported.identities {
        writeln!(
            w,
            "{},{},{},{}",
            csv(&i.handle),
            i.kind,
            csv(i.ad_dn.as_deref().unwrap_or("")),
            csv(&i.entra_ids.join(";"))
        )?;
    }
    w.flush()
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::csv;

    #[test]
    fn csv_quotes_a_dn_with_commas() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(
            csv("CN=Kim\\, Jordan,OU=Staff"),
            "\"CN=Kim\\, Jordan,OU=Staff\""
        );
        assert_eq!(csv("a\"b"), "\"a\"\"b\"");
    }
}
