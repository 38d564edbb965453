//! Fuzzes the renderers: every scenario that loads is run and rendered in every output (text
//! plain and coloured, JSON, JUnit, explain, Mermaid and DOT), which must never panic.
//! libFuzzer's `-timeout` is the per-input budget; an input that exceeds it is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = hysim_engine::scenario::parse("fuzz.yaml", "fuzz", data) {
        let _ = hysim_cli::render::every_output(&s);
    }
});
