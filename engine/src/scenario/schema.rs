//! The JSON Schema of the scenario format, generated from the serde types of [`super::format`]
//! (the types with hand-written deserializers have hand-written schemas beside them). Draft 7,
//! the draft editors' YAML language servers read.

use schemars::generate::SchemaSettings;

use super::format::ScenarioFile;

/// The JSON Schema of a scenario file.
pub fn schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut root = generator.into_root_schema_for::<ScenarioFile>();
    root.insert("title".into(), "hysim scenario".into());
    root.to_value()
}
