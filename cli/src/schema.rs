//! `hysim schema`: the JSON Schema of the scenario format, for editors' YAML language servers.

use std::io::Write;

/// Prints the schema; returns the exit code.
pub fn print(ok: u8) -> u8 {
    let schema = hysim_engine::scenario::schema();
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, &schema);
    let _ = writeln!(out);
    ok
}
