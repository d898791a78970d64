//! gar never crashes and never leaves a partial file, with one job or many at once.
//!
//! Process-wide by design:
//! * The registry of temporary files. Every job registers the temporary files it
//!   stages; the signal handler ([`install_signal_handler`], SIGINT, SIGTERM, SIGHUP:
//!   exit status 130) removes every registered file of every job. [`commit`] holds the
//!   handler off while one job's finished files are renamed into place, so an
//!   interruption finds either its temporary files (and removes them) or every output
//!   complete, never a state in between. Jobs only ever add and remove their own paths,
//!   so concurrent jobs do not disturb one another.
//! * The panic hook ([`quiet_panics`]), installed once by a front end that wants panics
//!   reported as errors only (the `gar` binary); never per call.
//!
//! Per job: [`guard`] turns a panic in a job (a bug) into a clean error. Unwinding
//! drops the job's staged files, which removes their temporary files; the files of other
//! jobs running at the same time are not touched.
//!
//! This module depends on nothing else in gar: the writers (`outputs.rs`) register
//! their files here.

use crate::RunError;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handler once per process: on SIGINT/SIGTERM/SIGHUP remove every
/// registered temporary file and exit 130. For programs that own the process (the
/// `gar` binary); a library caller such as Python keeps its own signal handling.
pub fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            // Waits for renames in progress (see `commit`).
            let list = temps();
            for p in list.iter() {
                let _ = std::fs::remove_file(p);
            }
            eprintln!("gar: interrupted; unfinished files were removed");
            std::process::exit(130);
        });
    });
}

/// Registers a temporary file for removal on interruption.
pub fn register_temp(p: &Path) {
    temps().push(p.to_path_buf());
}

/// Forgets a temporary file (it was renamed into place or removed).
pub fn forget_temp(p: &Path) {
    let mut list = temps();
    if let Some(i) = list.iter().position(|x| x == p) {
        list.swap_remove(i);
    }
}

/// How many temporary files are registered now, by every job of the process.
pub fn registered_temps() -> usize {
    temps().len()
}

/// Runs `finish` (which renames the temporary files `temps_done` into place, or removes
/// them on failure) with the interrupt handler held off, then forgets them. `finish`
/// must not register or forget temporary files itself.
pub fn commit<T>(temps_done: &[PathBuf], finish: impl FnOnce() -> T) -> T {
    let mut list = temps();
    let r = finish();
    list.retain(|x| !temps_done.contains(x));
    r
}

/// Installs, once per process, a panic hook that prints nothing (unless
/// `RUST_BACKTRACE` is set, which keeps Rust's own report): panics that reach
/// [`guard`] are reported as errors, and gar-io catches decoder panics on purpose.
pub fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        std::panic::set_hook(Box::new(move |info| {
            if verbose {
                default_hook(info);
            }
        }));
    });
}

/// The message a panic carried (`panic!("...")` payloads are `&str` or `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Runs a job; a panic (a bug in gar or a library) becomes a clean error instead of a
/// crash. Unwinding has dropped (and so removed) the job's temporary files by then.
/// Set `RUST_BACKTRACE=1` to also see Rust's own report.
pub fn guard<T>(job: impl FnOnce() -> Result<T, RunError>) -> Result<T, RunError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(r) => r,
        Err(payload) => Err(RunError::Failed(anyhow!(
            "internal error, a bug in gar (please report it with the command line and the \
             input file): {}; unfinished files were removed",
            panic_message(payload.as_ref())
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        quiet_panics();
        let r: Result<(), RunError> = guard(|| panic!("boom at {}", 42));
        match r {
            Err(RunError::Failed(e)) => {
                let m = e.to_string();
                assert!(
                    m.contains("internal error") && m.contains("boom at 42"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(guard(|| Ok(())).is_ok());
        assert!(matches!(
            guard::<()>(|| Err(RunError::Usage("u".into()))),
            Err(RunError::Usage(_))
        ));
    }

    #[test]
    fn a_panic_in_one_job_leaves_the_temps_of_another_registered() {
        quiet_panics();
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join(".gar-tmp-other.wav");
        std::fs::write(&other, b"in progress").unwrap();
        register_temp(&other);
        let t = std::thread::spawn(|| guard::<()>(|| panic!("bug in job A")));
        assert!(t.join().unwrap().is_err());
        // Job B's temporary file is still there and still registered.
        assert!(other.exists());
        assert!(temps().contains(&other));
        forget_temp(&other);
        assert!(!temps().contains(&other));
    }
}
