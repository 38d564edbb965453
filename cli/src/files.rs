//! Which files a command reads: files as given, folders walked for `.yaml`/`.yml`, sorted by path.

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

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push(error(dir, format!("cannot read the folder: {e}"))),
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out, errors);
        } else if is_scenario(&p) {
            out.push(p);
        }
    }
}

/// The scenario files named by `paths`; every path that names nothing is an error.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<InputError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, &mut errors);
            if found.is_empty() {
                errors.push(error(
                    p,
                    "no scenario in this folder: expected .yaml or .yml files",
                ));
            }
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
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
