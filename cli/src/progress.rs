//! Progress on a terminal for long runs (`bench`, and `run` of a large scenario file): shown on
//! stderr when it is a terminal, never when it is piped, so that reports and JSON stay clean.

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
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
        ProgressStyle::with_template("{prefix:>12} {msg:<17} [{bar:40}] {pos}/{len} {elapsed}")
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

/// A bar that appears only once a run has lasted `after`: replaying the bundled scenarios, a
/// few milliseconds each, shows nothing; a generated tenant's run shows where it is.
pub struct Delayed {
    bar: Arc<OnceLock<ProgressBar>>,
}

impl Delayed {
    /// The watcher to hand to the run (`None` when stderr is piped) and the bar to clear after.
    pub fn new(phase: String, after: Duration) -> (Delayed, Option<Progress>) {
        let slot: Arc<OnceLock<ProgressBar>> = Arc::default();
        if !std::io::stderr().is_terminal() {
            return (Delayed { bar: slot }, None);
        }
        let start = Instant::now();
        let shown = Arc::clone(&slot);
        let progress: Progress = Arc::new(move |stage, done, total| {
            if start.elapsed() < after {
                return;
            }
            show(
                shown.get_or_init(|| bar(total as u64, &phase, stage)),
                stage,
                done,
                total,
            );
        });
        (Delayed { bar: slot }, Some(progress))
    }

    pub fn clear(self) {
        if let Some(pb) = self.bar.get() {
            pb.finish_and_clear();
        }
    }
}
