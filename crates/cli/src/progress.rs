//! Progress on standard error (indicatif) for long runs.
//!
//! Drawn only when standard error is a terminal and `--quiet` is not given, and only
//! once the run has taken longer than a second (so short runs, the usual case, print
//! nothing extra): until then the bar is hidden, then a helper thread turns it on.
//! Stages (decoding, analysing, rendering, encoding) show as a spinner; a streamed
//! render shows a bar of the frames written. `GAR_PROGRESS_DELAY_MS` sets the delay
//! (for tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a run goes before its progress is drawn.
const DEFAULT_DELAY: Duration = Duration::from_millis(1000);

pub struct Progress {
    bar: Option<ProgressBar>,
    /// Dropped to tell the helper thread to stop waiting.
    stop: Option<mpsc::Sender<()>>,
    helper: Option<JoinHandle<()>>,
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("gar: {spinner} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("gar: {msg} [{bar:32}] {percent:>3}% ({elapsed}, {eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Progress {
    /// Progress that draws nothing.
    pub fn off() -> Progress {
        Progress {
            bar: None,
            stop: None,
            helper: None,
        }
    }

    /// Progress for a run: drawn if `wanted` (not `--quiet`) and standard error is a
    /// terminal, after the delay.
    pub fn new(wanted: bool) -> Progress {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress::off();
        }
        let delay = std::env::var("GAR_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(DEFAULT_DELAY, Duration::from_millis);
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(spinner_style());
        let (stop, wait) = mpsc::channel::<()>();
        let shown = bar.clone();
        let helper = std::thread::Builder::new()
            .name("gar-progress".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(delay) {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                    shown.enable_steady_tick(Duration::from_millis(120));
                }
            })
            .ok();
        Progress {
            bar: Some(bar),
            stop: Some(stop),
            helper,
        }
    }

    /// A new stage: a spinner, or a bar of `total` steps.
    pub fn stage(&self, name: &'static str, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        bar.set_message(name);
        bar.set_position(0);
        match total {
            Some(n) => {
                bar.set_style(bar_style());
                bar.set_length(n);
            }
            None => {
                bar.set_style(spinner_style());
                bar.unset_length();
            }
        }
    }

    /// Steps done in the current stage.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Removes the progress line (before the summary is printed).
    pub fn done(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.helper.take() {
            let _ = h.join();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done();
    }
}

/// A job's stages (gar-run) drawn on the terminal.
impl gar_run::Progress for Progress {
    fn stage(&self, name: &'static str, total: Option<u64>) {
        Progress::stage(self, name, total);
    }
    fn advance(&self, done: u64) {
        self.set(done);
    }
    fn finished(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
