//! `hysim`: the command line of the hybrid-identity reconciliation simulator. It only loads
//! files, calls the engine's runner and renders the report.

mod files;
mod text;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hysim_engine::report::Report;
use hysim_engine::scenario::{self, InputError, Scenario};

/// Every check passed (or the files are valid).
const EXIT_OK: u8 = 0;
/// A check failed.
const EXIT_CHECK_FAILED: u8 = 1;
/// An input error: a file could not be read, parsed or validated.
const EXIT_INPUT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "hysim",
    version,
    about = "Replays hybrid-identity restore runbooks against a model of AD, Entra ID, Entra Connect and the backup tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay scenario files and check their expectations.
    Run {
        /// Files or folders (every .yaml/.yml below, sorted by path).
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Parse and check scenario files without running them.
    Validate {
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(match cli.command {
        Command::Run { paths, format } => run(&paths, format),
        Command::Validate { paths } => validate(&paths),
    })
}

fn report_errors(errors: &[InputError]) {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(err, "error: {e}");
    }
    let _ = writeln!(
        err,
        "{} input error{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// Loads every file, collecting every error of every file.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, Vec<InputError>> {
    let files = files::collect(paths)?;
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match scenario::load(&f) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

fn validate(paths: &[PathBuf]) -> u8 {
    match load_all(paths) {
        Ok(scenarios) => {
            let mut out = std::io::stdout().lock();
            for s in &scenarios {
                let _ = writeln!(out, "ok  {} ({} steps)", s.file, s.steps.len());
            }
            let _ = writeln!(out, "{} valid", scenarios.len());
            EXIT_OK
        }
        Err(errors) => {
            report_errors(&errors);
            EXIT_INPUT_ERROR
        }
    }
}

fn run(paths: &[PathBuf], format: Format) -> u8 {
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(errors) => {
            report_errors(&errors);
            return EXIT_INPUT_ERROR;
        }
    };
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for s in &scenarios {
        match scenario::run(s) {
            Ok(r) => reports.push(r),
            Err(e) => errors.push(e.0),
        }
    }
    let report = Report {
        passed: reports.iter().all(|r| r.passed) && errors.is_empty(),
        scenarios: reports,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let _ = serde_json::to_writer_pretty(&mut out, &report);
            let _ = writeln!(out);
        }
        Format::Text => {
            let _ = out.write_all(text::render(&report).as_bytes());
        }
    }
    drop(out);
    if !errors.is_empty() {
        report_errors(&errors);
        EXIT_INPUT_ERROR
    } else if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    }
}
