//! Progress on a terminal for long runs (`bench`, and `run` of a large scenario file): shown on
//! stderr when it is a terminal, never when it is piped, so that reports and JSON stay clean.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hysim_engine::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` items, `phase` before it and `stage` after; hidden when stderr is piped.
pub fn bar(len: u64, phase: &str, stage: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {msg} {elapsed}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(phase.to_string());
    pb.set_message(stage);
    pb
}

/// A spinner for work that cannot count its items (parsing a file); hidden when piped.
pub fn spinner(what: &str, detail: String) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {msg} {elapsed}") {
        pb.set_style(style);
    }
    pb.set_prefix(what.to_string());
    pb.set_message(detail);
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// What the world (or a scenario's run) tells `pb`: each stage's name, length and position.
/// `None` when the bar is hidden, so that an unwatched run pays nothing.
pub fn watcher(pb: &ProgressBar) -> Option<Progress> {
    if pb.is_hidden() {
        return None;
    }
    let shown = pb.clone();
    Some(Arc::new(move |stage, done, total| {
        show(&shown, stage, done, total)
    }))
}

/// What the world tells `pb` while `pb` counts something else (the operations of a phase): the
/// stage and its count, in the bar's message. `None` when the bar is hidden.
pub fn watcher_in_message(pb: &ProgressBar) -> Option<Progress> {
    if pb.is_hidden() {
        return None;
    }
    let shown = pb.clone();
    Some(Arc::new(move |stage, done, total| {
        shown.set_message(format!("{stage} {done}/{total}"));
    }))
}

fn show(pb: &ProgressBar, stage: &'static str, done: usize, total: usize) {
    pb.set_message(stage);
    pb.set_length(total as u64);
    pb.set_position(done as u64);
}

/// The phases of a scenario's run, each with a bar of its own, and the unit it counts.
const PHASES: &[(&str, &str)] = &[("world", "operations"), ("steps", "steps")];

/// What a stage the run reports is: a phase of its own (`world`, `steps`), with its unit, or a
/// stage within the current phase's item (a cycle's `export` within a step), shown in that
/// phase's message so that no bar ever goes backwards.
fn phase_of(stage: &str) -> Option<(&'static str, &'static str)> {
    PHASES.iter().copied().find(|(p, _)| *p == stage)
}

/// The bars of one run: one per phase, created as each phase starts; a bar only moves forward.
struct Phases {
    name: String,
    current: Option<(&'static str, &'static str, ProgressBar)>,
    make: fn(u64, &str, &'static str) -> ProgressBar,
}

impl Phases {
    fn tell(&mut self, stage: &'static str, done: usize, total: usize) {
        match phase_of(stage) {
            Some((phase, unit)) => {
                if self.current.as_ref().is_none_or(|(p, _, _)| *p != phase) {
                    if let Some((_, _, old)) = self.current.take() {
                        old.finish();
                    }
                    let label = format!("{} {phase}", self.name);
                    self.current = Some((phase, unit, (self.make)(total as u64, &label, unit)));
                }
                if let Some((_, unit, pb)) = &self.current {
                    pb.set_length(total as u64);
                    pb.set_position((done as u64).max(pb.position()));
                    pb.set_message(*unit);
                }
            }
            None => {
                if let Some((_, unit, pb)) = &self.current {
                    pb.set_message(format!("{unit} · {stage} {done}/{total}"));
                }
            }
        }
    }

    fn clear(&mut self) {
        if let Some((_, _, pb)) = self.current.take() {
            pb.finish_and_clear();
        }
    }
}

/// Bars that appear only once a run has lasted `after`: replaying the bundled scenarios, a few
/// milliseconds each, shows nothing; a generated tenant's run shows a bar per phase.
pub struct Delayed {
    phases: Arc<Mutex<Phases>>,
    shown: Arc<std::sync::atomic::AtomicBool>,
}

impl Delayed {
    /// The watcher to hand to the run (`None` when stderr is piped) and the bars to clear after.
    pub fn new(name: String, after: Duration) -> (Delayed, Option<Progress>) {
        let phases = Arc::new(Mutex::new(Phases {
            name,
            current: None,
            make: bar,
        }));
        let shown = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let delayed = Delayed {
            phases: Arc::clone(&phases),
            shown: Arc::clone(&shown),
        };
        if !std::io::stderr().is_terminal() {
            return (delayed, None);
        }
        let start = Instant::now();
        let progress: Progress = Arc::new(move |stage, done, total| {
            if start.elapsed() < after {
                return;
            }
            shown.store(true, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut p) = phases.lock() {
                p.tell(stage, done, total);
            }
        });
        (delayed, Some(progress))
    }

    /// Clears the bars; whether any was shown (the run lasted).
    pub fn clear(self) -> bool {
        if let Ok(mut p) = self.phases.lock() {
            p.clear();
        }
        self.shown.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(_: u64, _: &str, _: &'static str) -> ProgressBar {
        ProgressBar::hidden()
    }

    /// A bar per phase, named by its unit; the stages within a step show in its message and
    /// never move the bar back.
    #[test]
    fn a_bar_per_phase_that_never_goes_back() {
        let mut p = Phases {
            name: "x.yaml".into(),
            current: None,
            make: hidden,
        };
        p.tell("world", 0, 10);
        p.tell("world", 10, 10);
        let world = p.current.as_ref().map(|(_, _, pb)| pb.clone()).unwrap();
        p.tell("steps", 0, 3);
        p.tell("steps", 2, 3);
        p.tell("export", 0, 500);
        p.tell("export", 400, 500);
        let (phase, unit, steps) = p.current.clone().unwrap();
        assert_eq!((phase, unit), ("steps", "steps"));
        assert!(
            world.is_finished(),
            "the world's bar ends when the steps start"
        );
        assert_eq!(
            steps.position(),
            2,
            "a stage within a step does not move the bar"
        );
        assert_eq!(steps.length(), Some(3));
        assert_eq!(steps.message(), "steps · export 400/500");
        p.tell("steps", 1, 3);
        assert_eq!(steps.position(), 2, "never backwards");
        p.tell("steps", 3, 3);
        assert_eq!(steps.position(), 3);
        assert_eq!(steps.message(), "steps");
    }
}
