//! gar never crashes and never leaves a partial file.
//!
//! * Temporary files are registered here and removed if the process is interrupted
//!   (SIGINT, SIGTERM, SIGHUP: exit status 130). [`commit`] holds the handler off while
//!   finished files are renamed into place, so an interruption finds either the
//!   temporary files (and removes them all) or every output complete, never a state in
//!   between.
//! * [`guard`] turns a panic (a bug) into a clean error (exit 1), after unwinding has
//!   removed any temporary file.
//!
//! This module depends on nothing else in gar: the writers (`outputs.rs`) register
//! their files here.

use crate::Failure;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handler once: on SIGINT/SIGTERM/SIGHUP remove registered temp files and
/// exit 130.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        // Waits for renames in progress (see `commit`).
        let list = temps();
        for p in list.iter() {
            let _ = std::fs::remove_file(p);
        }
        eprintln!("gar: interrupted; unfinished files were removed");
        std::process::exit(130);
    });
}

/// Registers a temporary file for removal on interruption.
pub fn register_temp(p: &Path) {
    temps().push(p.to_path_buf());
}

/// Forgets a temporary file (it was renamed into place or removed).
pub fn forget_temp(p: &Path) {
    temps().retain(|x| x != p);
}

/// Runs `finish` (which renames the temporary files `temps` into place, or removes
/// them on failure) with the interrupt handler held off, then forgets them. `finish`
/// must not register or forget temporary files itself.
pub fn commit<T>(temps_done: &[PathBuf], finish: impl FnOnce() -> T) -> T {
    let mut list = temps();
    let r = finish();
    list.retain(|x| !temps_done.contains(x));
    r
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs a command; a panic (a bug in gar or a library) becomes a clean error instead of
/// a crash. Unwinding has dropped (and so removed) any temporary file by then; any still
/// registered is removed too. Set `RUST_BACKTRACE=1` to also see Rust's own report.
pub fn guard(command: impl FnOnce() -> Result<(), Failure>) -> Result<(), Failure> {
    let default_hook = std::panic::take_hook();
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        // gar-io catches decoder panics on purpose and reports them as decode errors,
        // so nothing is printed here: a panic that reaches `guard` is reported below.
        if let Ok(mut l) = LAST_PANIC.lock() {
            *l = Some(info.to_string());
        }
        if verbose {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)) {
        Ok(r) => r,
        Err(_) => {
            for p in temps().drain(..) {
                let _ = std::fs::remove_file(p);
            }
            let what = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Failure::Run(anyhow!(
                "internal error, a bug in gar (please report it with the command line and the \
                 input file): {what}; unfinished files were removed"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_removes_registered_temps() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".gar-tmp-x.wav");
        std::fs::write(&tmp, b"partial").unwrap();
        let r = guard(|| {
            register_temp(&tmp);
            panic!("boom at {}", 42);
        });
        match r {
            Err(Failure::Run(e)) => {
                let m = e.to_string();
                assert!(
                    m.contains("internal error") && m.contains("boom at 42"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(!tmp.exists());
        assert!(guard(|| Ok(())).is_ok());
        assert!(matches!(
            guard(|| Err(Failure::Usage("u".into()))),
            Err(Failure::Usage(_))
        ));
    }
}
