//! Fuzzes the Graph export reader one body at a time, without the filesystem: any bytes, read as
//! any kind of response with any HTTP status or as an EntraExporter object, must give a page or
//! a located input error, never a panic.
#![no_main]

use hysim_engine::import::graph::{Kind, read_body, read_object};
use libfuzzer_sys::fuzz_target;

const KINDS: [Kind; 13] = Kind::ALL;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the kind and the status (200, 404 or 403); the rest is the body.
    let Some((&pick, body)) = data.split_first() else { return };
    let kind = KINDS[usize::from(pick) % KINDS.len()];
    let status = [200, 404, 403][usize::from(pick / 16) % 3];
    let _ = read_body("fuzz.json", kind, status, body);
    let _ = read_object("fuzz.json", kind, body);
});
