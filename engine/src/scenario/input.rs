//! What a scenario file may hold at most, and how an input error names where it is.

use std::fmt;

/// The largest scenario file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The most identities (handles) one scenario may define.
pub const MAX_HANDLES: usize = 5_000_000;

/// Reads a whole file of at most `limit` bytes; a larger one is refused before it is read.
/// `what` names what the file should be, for the messages (`a scenario`, `an export`).
pub fn read_limited(path: &std::path::Path, limit: u64, what: &str) -> Result<Vec<u8>, InputError> {
    let file = path.display().to_string();
    let err = |message: String| InputError {
        file: file.clone(),
        line: None,
        column: None,
        path: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    if meta.is_dir() {
        return Err(err(format!("a folder, where {what} file was expected")));
    }
    if meta.len() > limit {
        return Err(err(format!(
            "the file is {} bytes, more than the limit of {limit} bytes for {what}",
            meta.len()
        )));
    }
    // A device or a pipe says it is empty: the limit holds while reading, whatever it says.
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, limit + 1), &mut bytes)
        .map_err(|e| err(format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(err(format!(
            "more than the limit of {limit} bytes for {what} (read from a device or a pipe?)"
        )));
    }
    Ok(bytes)
}

/// An input error: the file, and where in it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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
