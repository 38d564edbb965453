//! Fuzzes the scenario loader and runner: any bytes must give a scenario or located input
//! errors, and a scenario must run to a report or a located run error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = hysim_engine::scenario::parse("fuzz.yaml", "fuzz", data) {
        // Bound the work of one input: long waits and huge worlds are valid but slow.
        if s.steps.len() <= 64 && s.world.len() <= 256 {
            let _ = hysim_engine::scenario::run(&s);
        }
    }
});
