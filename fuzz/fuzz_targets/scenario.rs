//! Fuzzes the scenario loader and runner: any bytes must give a scenario or located input
//! errors, and a scenario must run to a report or a located run error, never a panic. Every
//! scenario that loads is run, however many steps or identities it has: libFuzzer's
//! `-timeout` is the per-input budget, and an input that exceeds it is a finding (a step
//! whose cost does not follow its work), not a case to skip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = hysim_engine::scenario::parse("fuzz.yaml", "fuzz", data) {
        let _ = hysim_engine::scenario::run(&s);
    }
});
