//! Standard output: every report goes out through [`emit`], so that a write that fails is never
//! taken for success and a reader that went away ends the program quietly.

use std::io::{ErrorKind, Write};

/// The exit code when standard output is closed early (`hysim ... | head -1`): what a Unix
/// tool killed by SIGPIPE reports, 128 + 13.
pub const EXIT_CLOSED_PIPE: i32 = 141;

/// Writes `bytes` to standard output and flushes it. A closed pipe ends the program at once,
/// quietly, as Unix tools do; any other failure (a full disk) is reported, and its exit code
/// (`failed`) returned, so that a CI job never goes green on a report it did not get.
pub fn emit(bytes: &[u8], failed: u8) -> Result<(), u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(EXIT_CLOSED_PIPE),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot write to standard output: {e}"
            );
            Err(failed)
        }
    }
}

/// [`emit`] of a value as pretty JSON and a line break.
pub fn emit_json(value: &impl serde::Serialize, failed: u8) -> Result<(), u8> {
    match serde_json::to_vec_pretty(value) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            emit(&bytes, failed)
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write the JSON: {e}");
            Err(failed)
        }
    }
}

/// The exit code `code`, unless the write failed.
pub fn then(written: Result<(), u8>, code: u8) -> u8 {
    written.err().unwrap_or(code)
}
