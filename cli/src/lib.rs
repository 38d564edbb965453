//! `hysim`: the command line of the hybrid-identity reconciliation simulator. It only loads
//! files, calls the engine's runner and renders the report. A library so that tests and fuzz
//! targets reach the renderers; the binary (`main.rs`) only calls [`main`].

mod alloc;
mod bench;
mod explain;
mod files;
mod graph;
mod html;
mod import;
mod junit;
mod new;
mod output;
mod plan;
mod progress;
mod quiz;
mod readiness;
pub mod render;
mod schema;
mod style;
mod text;

pub use alloc::Allocator;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hysim_engine::generate::MIN_USERS;
use hysim_engine::report::Report;
use hysim_engine::scenario::{self, InputError, Scenario};

/// Every check passed (or the files are valid).
const EXIT_OK: u8 = 0;
/// A check failed.
const EXIT_CHECK_FAILED: u8 = 1;
/// An input error: a file could not be read, parsed or validated.
const EXIT_INPUT_ERROR: u8 = 2;
/// An engine defect: an invariant broke while a scenario ran. Never an outcome of a scenario.
const EXIT_ENGINE_DEFECT: u8 = 3;

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
        /// Print only the failing scenarios and their failing checks (text output).
        #[arg(long)]
        failures_only: bool,
        /// `summary`: the world's events counted by kind and rule, and each step's events past
        /// the first 100 counted too; `all`: every event listed.
        #[arg(long, value_enum, default_value_t = Events::Summary)]
        events: Events,
    },
    /// Write a scenario file for a generated tenant of N users and a mass-incident runbook.
    Generate {
        #[command(flatten)]
        tenant: Tenant,
        /// Where to write the file (`-`: standard output).
        #[arg(long, short, default_value = "-")]
        out: PathBuf,
        /// Write the tenant as exports instead, in DIR: a Microsoft Graph export (graph/), an
        /// ldifde LDIF file (tenant.ldf) and a scenario that imports them (scenario.yaml).
        #[arg(long, value_name = "DIR", conflicts_with = "out")]
        exports: Option<PathBuf>,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Build the same tenant in memory, replay the runbook and print the time of each phase and
    /// the peak memory as one JSON object.
    Bench {
        #[command(flatten)]
        tenant: Tenant,
        /// Do not fault memory in ahead of use on the spare core (done from 100,000 users).
        #[arg(long)]
        no_prefault: bool,
    },
    /// Draw the state after a step as a graph of both directories (Mermaid or Graphviz DOT).
    Graph {
        /// The scenario file.
        file: PathBuf,
        /// The step after which to draw (0: the world before step 1) [default: the last step].
        #[arg(long, value_name = "N")]
        after: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = graph::GraphFormat::Mermaid)]
        format: graph::GraphFormat,
    },
    /// Tell a run as a story for a trainee: each step, what happened and the rule behind it.
    Explain {
        /// The scenario file.
        file: PathBuf,
        /// Write one self-contained web page instead, with a picture of both directories after
        /// every step (what the step changed highlighted) and controls to step through them.
        #[arg(long)]
        html: bool,
    },
    /// Quiz a trainee on a runbook: before each step that asks (a `quiz` list, or an `expect`
    /// step), predict what it does; then see what happened, the rules and their sources, and
    /// whether each prediction was right. A score and the steps to re-read end it.
    Quiz {
        /// The scenario file.
        file: PathBuf,
        /// Read the answers from FILE instead of the terminal: YAML, each step number that asks
        /// to a list of its answers in the order asked (`5: [b, "a c", y]`).
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
    },
    /// Search the orders of a scenario's `plan` candidates for those that meet its final
    /// `expect`, and explain the failing ones by the rule behind them.
    Plan {
        /// The scenario file (with a `plan` section).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = plan::PlanFormat::Text)]
        format: plan::PlanFormat,
        /// Explore at most N orders (depth first: the empty order, then the orders starting
        /// with the first candidate, ...); the report says when the bound was hit.
        #[arg(long, value_name = "N")]
        max_orders: Option<u64>,
    },
    /// For each hybrid user and each incident (cloud-only-deletion,
    /// deletion-then-sync-recreation, deleted-from-both, deleted-from-both-ad-gone), replay
    /// Veeam's documented runbook for that user alone and list what would not come back, and why
    Readiness {
        /// The scenario file: its world after its steps is assessed.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = readiness::ReadinessFormat::Text)]
        format: readiness::ReadinessFormat,
        /// Only this user (a handle), with their items in full.
        #[arg(long, value_name = "H")]
        user: Option<String>,
    },
    /// Print the JSON Schema of the scenario format (for an editor's YAML language server).
    Schema,
    /// Write a commented starter scenario to NAME (`.yaml` added unless it ends in .yaml/.yml);
    /// never overwrites a file.
    New {
        /// The file to write.
        name: PathBuf,
    },
    /// Read a Microsoft Graph export and an ldifde LDIF file, join them as Entra Connect has
    /// them joined, and report what was read, joined and could not be held (docs/import.md).
    Import {
        /// A folder of Graph response bodies with manifest.json, or an EntraExporter folder.
        #[arg(long, value_name = "DIR")]
        graph: Option<PathBuf>,
        /// An LDIF file written by ldifde (or ldapsearch).
        #[arg(long, value_name = "FILE")]
        ldif: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = import::ImportFormat::Text)]
        format: import::ImportFormat,
        /// Also write the handle table (handle, kind, AD DN, Entra ids) as CSV to FILE.
        #[arg(long, value_name = "FILE")]
        handles: Option<PathBuf>,
        /// Entra Connect's OU filter [default: every OU holding a synced object].
        #[arg(long, value_name = "OU", num_args = 1..)]
        sync_ous: Option<Vec<String>>,
        /// The source anchor [default: detected from the joins].
        #[arg(long, value_parser = ["ms-ds-consistencyguid", "objectguid"])]
        source_anchor: Option<String>,
        /// Also write a scenario of the same shape with pseudonyms for every name, UPN, mail
        /// and proxy address to FILE (`-`: standard output, instead of the report).
        #[arg(long, value_name = "FILE")]
        anonymize: Option<PathBuf>,
    },
    /// Parse and check scenario files without running them.
    Validate {
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
}

/// A generated tenant and its incident, as `generate` writes it and `bench` builds it.
#[derive(clap::Args)]
struct Tenant {
    /// How many users (at least 10).
    #[arg(long, value_parser = users)]
    users: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// purge (delete and purge from Entra, VDC restore, sync), scope (an OU out of scope and
    /// back), ad-delete (deleted from AD and synced away, VEAD restore, sync).
    #[arg(long, default_value = "purge", value_parser = ["purge", "scope", "ad-delete"])]
    incident: String,
}

/// The most users a generated tenant may have: with its groups, as many identities as one
/// scenario may hold ([`scenario::load::MAX_HANDLES`]), so that `run` accepts what `generate`
/// writes.
const MAX_USERS: usize = 4_900_000;

/// `--users`: a whole number, at least [`MIN_USERS`], so that the incident, which
/// touches every tenth user, touches someone, and at most [`MAX_USERS`].
fn users(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n < MIN_USERS => Err(format!(
            "expected at least {MIN_USERS} users (the incident touches every tenth)"
        )),
        Ok(n) if n > MAX_USERS => Err(format!(
            "expected at most {MAX_USERS} users: a scenario holds at most {} identities, users and groups",
            scenario::load::MAX_HANDLES
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number of users ({e})")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Events {
    Summary,
    All,
}

/// How many events of a step a summarised report lists before it counts the rest.
const EVENTS_PER_STEP: usize = 100;

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    /// JUnit XML, one test suite per scenario and one test case per check.
    Junit,
}

/// The command line: parses the arguments and runs the command.
pub fn main() -> ExitCode {
    alloc::tune_for_bench();
    let cli = Cli::parse();
    ExitCode::from(match cli.command {
        Command::Run {
            paths,
            format,
            failures_only,
            events,
        } => run(&paths, format, failures_only, events),
        Command::Validate { paths } => validate(&paths),
        Command::Schema => schema::print(EXIT_OK),
        Command::New { name } => new::new(&name, EXIT_OK, EXIT_INPUT_ERROR),
        Command::Graph {
            file,
            after,
            format,
        } => graph::command(&file, after, format),
        Command::Explain { file, html: false } => explain::command(&file),
        Command::Explain { file, html: true } => html::command(&file),
        Command::Quiz { file, answers } => quiz::command(&file, answers.as_deref()),
        Command::Plan {
            file,
            format,
            max_orders,
        } => plan::command(&file, format, max_orders),
        Command::Readiness { file, format, user } => readiness::command(&file, format, user),
        Command::Import {
            graph,
            ldif,
            format,
            handles,
            sync_ous,
            source_anchor,
            anonymize,
        } => import::command(
            &import::Args {
                graph,
                ldif,
                format,
                handles,
                sync_ous,
                source_anchor: source_anchor.map(|a| match a.as_str() {
                    "objectguid" => hysim_engine::SourceAnchor::ObjectGuid,
                    _ => hysim_engine::SourceAnchor::ConsistencyGuid,
                }),
                anonymize,
            },
            EXIT_OK,
            EXIT_INPUT_ERROR,
        ),
        Command::Generate {
            tenant:
                Tenant {
                    users,
                    seed,
                    incident,
                },
            out,
            exports,
            force,
        } => {
            let Some(incident) = bench::incident(&incident) else {
                return ExitCode::from(EXIT_INPUT_ERROR);
            };
            let targets = match &exports {
                Some(dir) => vec![
                    dir.join("scenario.yaml"),
                    dir.join("tenant.ldf"),
                    dir.join("graph"),
                ],
                None if out != std::path::Path::new("-") => vec![out.clone()],
                None => Vec::new(),
            };
            if let Some(there) = targets.iter().find(|p| p.exists()).filter(|_| !force) {
                eprintln!(
                    "error: {} already exists: `hysim generate` overwrites only with --force",
                    there.display()
                );
                return ExitCode::from(EXIT_INPUT_ERROR);
            }
            let written = match &exports {
                Some(dir) => bench::generate_exports(users, seed, incident, dir),
                None => bench::generate(users, seed, incident, &out),
            };
            match written {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    if !e.is_empty() {
                        eprintln!("error: {e}");
                    }
                    EXIT_INPUT_ERROR
                }
            }
        }
        Command::Bench {
            tenant:
                Tenant {
                    users,
                    seed,
                    incident,
                },
            no_prefault,
        } => {
            let Some(incident) = bench::incident(&incident) else {
                return ExitCode::from(EXIT_INPUT_ERROR);
            };
            match bench::bench(users, seed, incident, !no_prefault) {
                Ok(v) => output::then(
                    output::emit(format!("{v}\n").as_bytes(), EXIT_INPUT_ERROR),
                    EXIT_OK,
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_INPUT_ERROR
                }
            }
        }
    })
}

/// Reports a run that stopped, and returns its exit code: 3 for an engine defect (with a request
/// for a bug report naming the file), 2 for an input error found while running.
fn report_stopped(stopped: &[scenario::RunError]) -> u8 {
    let mut err = std::io::stderr().lock();
    let mut code = EXIT_INPUT_ERROR;
    for e in stopped {
        let _ = writeln!(err, "error: {}", style::Style::plain().safe(&e.to_string()));
        if e.is_defect() {
            code = EXIT_ENGINE_DEFECT;
            let _ = writeln!(
                err,
                "hysim stopped on a defect of its own: please report it, with the scenario file {}",
                e.error().file
            );
        }
    }
    code
}

fn report_errors(errors: &[InputError]) {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(err, "error: {}", style::Style::plain().safe(&e.to_string()));
    }
    let _ = writeln!(
        err,
        "{} input error{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// Loads the one file a command takes, reporting its errors on standard error: `None` when it
/// did not load.
fn load_one(file: &std::path::Path) -> Option<Scenario> {
    scenario::load(file)
        .map_err(|errors| report_errors(&errors))
        .ok()
}

/// Loads every file: the scenarios that loaded, and every error of the others.
fn load_all(paths: &[PathBuf]) -> (Vec<Scenario>, Vec<InputError>) {
    let files = match files::collect(paths) {
        Ok(f) => f,
        Err(e) => return (Vec::new(), e),
    };
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        // A generated tenant's file takes seconds to parse: a spinner says which one.
        let size = std::fs::metadata(&f).map_or(0, |m| m.len());
        let pb = if size >= 1 << 20 {
            progress::spinner("loading", format!("{} ({} MB)", f.display(), size >> 20))
        } else {
            indicatif::ProgressBar::hidden()
        };
        let loaded = scenario::load(&f);
        pb.finish_and_clear();
        match loaded {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.extend(e),
        }
    }
    (scenarios, errors)
}

fn validate(paths: &[PathBuf]) -> u8 {
    let (scenarios, errors) = load_all(paths);
    let mut text = String::new();
    for s in &scenarios {
        text.push_str(&format!("ok  {} ({} steps)\n", s.file, s.steps.len()));
    }
    if errors.is_empty() {
        text.push_str(&format!("{} valid\n", scenarios.len()));
        return output::then(output::emit(text.as_bytes(), EXIT_INPUT_ERROR), EXIT_OK);
    }
    if let Err(code) = output::emit(text.as_bytes(), EXIT_INPUT_ERROR) {
        return code;
    }
    report_errors(&errors);
    EXIT_INPUT_ERROR
}

/// Leaves what the command is done with to the end of the process: freeing a large world or
/// import object by object takes seconds (a million-user tenant), and the OS takes its memory
/// back at once when the process exits.
pub(crate) fn exiting<T>(done_with: T) {
    std::mem::forget(done_with);
}

/// Runs every file that loaded and reports them all; the files with input errors are reported
/// beside them (an error entry in JSON and JUnit), never a reason to drop the others.
fn run(paths: &[PathBuf], format: Format, failures_only: bool, events: Events) -> u8 {
    let (scenarios, load_errors) = load_all(paths);
    let mut reports = Vec::new();
    let mut verdicts = Vec::new();
    let mut stopped = Vec::new();
    let mut lasted = false;
    let last = scenarios.len().saturating_sub(1);
    for (i, s) in scenarios.iter().enumerate() {
        // A bar for a run that lasts: none for the bundled scenarios, a few milliseconds each.
        let name = std::path::Path::new(&s.file)
            .file_name()
            .map_or(s.file.clone(), |n| n.to_string_lossy().into_owned());
        let (bar, watcher) = progress::Delayed::new(name, std::time::Duration::from_millis(300));
        let ran = scenario::run::run_watched(s, None, watcher);
        lasted |= bar.clear();
        match ran {
            Ok((mut r, world)) => {
                if events == Events::Summary {
                    r.summarise(EVENTS_PER_STEP);
                }
                reports.push(r);
                // Only the full text output shows what became of each identity since the backup.
                verdicts.push(
                    (matches!(format, Format::Text) && !failures_only)
                        .then(|| world.verdict())
                        .flatten(),
                );
                if i == last {
                    exiting(world);
                }
            }
            Err(e) => stopped.push(e),
        }
    }
    let mut errors = load_errors.clone();
    errors.extend(stopped.iter().map(|e| e.error().clone()));
    let report = Report {
        passed: reports.iter().all(|r| r.passed) && errors.is_empty(),
        scenarios: reports,
        errors: errors.clone(),
    };
    // A long run's report takes a while to write too: a spinner says so until it is out.
    let writing = if lasted {
        progress::spinner("writing", "the report".into())
    } else {
        indicatif::ProgressBar::hidden()
    };
    let written = match format {
        Format::Json => output::emit_json(&report, EXIT_INPUT_ERROR),
        Format::Junit => output::emit(junit::render(&report, &errors).as_bytes(), EXIT_INPUT_ERROR),
        // No file loaded: the errors on standard error are the whole story.
        Format::Text if scenarios.is_empty() && !load_errors.is_empty() => Ok(()),
        Format::Text => {
            let style = style::Style::detect();
            let text = style.safe(&text::render(&report, &verdicts, failures_only, style));
            output::emit(text.as_bytes(), EXIT_INPUT_ERROR)
        }
    };
    writing.finish_and_clear();
    if let Err(code) = written {
        return code;
    }
    if !load_errors.is_empty() {
        report_errors(&load_errors);
    }
    let passed = report.passed;
    exiting((scenarios, report, verdicts));
    if !stopped.is_empty() {
        report_stopped(&stopped)
    } else if !load_errors.is_empty() {
        EXIT_INPUT_ERROR
    } else if passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped(defect: bool) -> scenario::RunError {
        let e = InputError {
            file: "x.yaml".into(),
            line: None,
            column: None,
            path: Some("steps[0]".into()),
            message: "m".into(),
        };
        if defect {
            scenario::RunError::Defect(e)
        } else {
            scenario::RunError::Input(e)
        }
    }

    /// A broken invariant is a defect of hysim (exit 3), whatever input errors stopped other
    /// files; an input error found while running stays exit 2.
    #[test]
    fn inv_a_broken_invariant_exits_3_an_input_error_2() {
        assert_eq!(report_stopped(&[stopped(false)]), EXIT_INPUT_ERROR);
        assert_eq!(
            report_stopped(&[stopped(false), stopped(true)]),
            EXIT_ENGINE_DEFECT
        );
    }
}
