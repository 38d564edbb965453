//! `hysim schema`: the JSON Schema of the scenario format, for editors' YAML language servers.

/// Prints the schema; returns the exit code.
pub fn print(ok: u8) -> u8 {
    let schema = hysim_engine::scenario::schema();
    crate::output::then(crate::output::emit_json(&schema, 2), ok)
}
