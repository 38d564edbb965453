//! Which files a command reads: files as given, folders walked for `.yaml`/`.yml`, sorted by path.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use hysim_engine::scenario::InputError;

fn error(path: &Path, message: impl Into<String>) -> InputError {
    InputError {
        file: path.display().to_string(),
        line: None,
        column: None,
        path: None,
        message: message.into(),
    }
}

fn is_scenario(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// What a walk has seen: each folder and file by its real path, so that a folder reached twice
/// (a symbolic link to itself or to a parent) is walked once and a file reached by two paths
/// runs once.
#[derive(Default)]
struct Seen {
    folders: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
}

impl Seen {
    /// Whether `p` is met for the first time (a path that cannot be resolved counts as new).
    fn first(set: &mut HashSet<PathBuf>, p: &Path) -> bool {
        set.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<InputError>, seen: &mut Seen) {
    if !Seen::first(&mut seen.folders, dir) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push(error(dir, format!("cannot read the folder: {e}"))),
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    // Sorted, so that of two paths to one file the first by name is the one kept.
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out, errors, seen);
        } else if is_scenario(&p) && Seen::first(&mut seen.files, &p) {
            out.push(p);
        }
    }
}

/// The scenario files named by `paths`; every path that names nothing is an error.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<InputError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = Seen::default();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            let before = seen.folders.len();
            walk(p, &mut found, &mut errors, &mut seen);
            if found.is_empty() && seen.folders.len() > before {
                errors.push(error(
                    p,
                    "no scenario in this folder: expected .yaml or .yml files",
                ));
            }
            found.sort();
            files.extend(found);
        } else if p.exists() {
            if Seen::first(&mut seen.files, p) {
                files.push(p.clone());
            }
        } else {
            errors.push(error(p, "no such file or folder"));
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}
