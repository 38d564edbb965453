//! Reading export files: the size limit, the text encodings PowerShell writes, and reading many
//! files on a few threads with results in job order, whatever the threads' timing.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::super::{InputError, MAX_EXPORT_FILE_BYTES};

/// An error about a whole file (no line, no path).
pub(super) fn file_error(file: &str, message: impl Into<String>) -> InputError {
    InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        path: None,
        message: message.into(),
    }
}

/// Reads a file whole, refusing one larger than [`MAX_EXPORT_FILE_BYTES`] before holding it.
pub(super) fn read(path: &Path, file: &str) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    read_into(path, file, MAX_EXPORT_FILE_BYTES, &mut bytes)?;
    Ok(bytes)
}

/// Reads a file whole into `bytes` (cleared first), refusing one larger than `limit` before
/// holding it. A reader of many files passes the same buffer each time: a fresh one per file
/// would have its pages faulted in and zeroed again for every file.
pub(super) fn read_into(
    path: &Path,
    file: &str,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> Result<(), InputError> {
    let cannot = |e: std::io::Error| file_error(file, format!("cannot read: {e}"));
    let f = std::fs::File::open(path).map_err(cannot)?;
    let len = f.metadata().map_err(cannot)?.len();
    let too_large = || file_error(file, format!("larger than {limit} bytes: refused"));
    if len > limit {
        return Err(too_large());
    }
    bytes.clear();
    bytes.reserve(usize::try_from(len).unwrap_or(0));
    // `take` guards against a file that grew after its size was read.
    f.take(limit.saturating_add(1))
        .read_to_end(bytes)
        .map_err(cannot)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    Ok(())
}

/// The body as UTF-8: a UTF-8 byte-order mark is dropped and UTF-16 with a byte-order mark
/// (Windows PowerShell 5.1's `Out-File`) is decoded; UTF-16 without one is refused, since
/// guessing its byte order could read a different text.
pub(super) fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, InputError> {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => Ok(Cow::Borrowed(rest)),
        [0xFF, 0xFE, rest @ ..] => utf16(file, rest, u16::from_le_bytes).map(Cow::Owned),
        [0xFE, 0xFF, rest @ ..] => utf16(file, rest, u16::from_be_bytes).map(Cow::Owned),
        [0, _, ..] | [_, 0, ..] => Err(file_error(
            file,
            "UTF-16 without a byte-order mark: save the file as UTF-8 (or with a byte-order mark)",
        )),
        _ => Ok(Cow::Borrowed(bytes)),
    }
}

fn utf16(file: &str, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Vec<u8>, InputError> {
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(file_error(file, "UTF-16 text with an odd number of bytes"));
    }
    let units = pairs.map(|p| {
        unit([
            p.first().copied().unwrap_or(0),
            p.last().copied().unwrap_or(0),
        ])
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        let c = c.map_err(|e| {
            file_error(
                file,
                format!(
                    "invalid UTF-16: unpaired surrogate {:#06x}",
                    e.unpaired_surrogate()
                ),
            )
        })?;
        out.push(c);
    }
    Ok(out.into_bytes())
}

/// Runs `f` on every job on up to four threads, each with its own scratch state from `init`
/// (a read buffer); the results come back in job order, whatever the threads' timing.
pub(super) fn parallel<T: Sync, S, R: Send>(
    jobs: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(4)
        .min(jobs.len());
    if threads <= 1 {
        let mut state = init();
        return jobs.iter().map(|j| f(&mut state, j)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut state = init();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break done };
            done.push((i, f(&mut state, job)));
        }
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        let mut all = Vec::with_capacity(jobs.len());
        for w in workers {
            match w.join() {
                Ok(done) => all.extend(done),
                // A worker's panic is a bug: carried on as it is, not turned into an input error.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
