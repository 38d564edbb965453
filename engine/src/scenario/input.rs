//! What a scenario file may hold at most, and how an input error names where it is.

use std::fmt;

/// The largest scenario file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The most identities (handles) one scenario may define.
pub const MAX_HANDLES: usize = 5_000_000;

/// An input error: the file, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The path inside the document, e.g. `steps[3].restore.users[0]`.
    pub path: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(p) = &self.path {
            write!(f, ": {p}")?;
        }
        write!(f, ": {}", self.message)
    }
}
