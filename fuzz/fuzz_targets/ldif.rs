//! Fuzzes the LDIF reader: any bytes must give an export or an input error naming a line,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = hysim_engine::import::ldif::read("fuzz.ldf", data) {
        assert!(e.line.is_some(), "an LDIF error names its line: {e}");
    }
});
