//! Never leave a partial file behind: temporary files are registered here and
//! removed if the process is interrupted (Ctrl-C, SIGTERM).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler once: on SIGINT/SIGTERM remove registered temp files and exit 130.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(list) = TEMPS.lock() {
            for p in list.iter() {
                let _ = std::fs::remove_file(p);
            }
        }
        eprintln!("gar: interrupted; no output written");
        std::process::exit(130);
    });
}

/// Registers a temporary file for removal on interruption.
pub fn register_temp(p: &Path) {
    if let Ok(mut l) = TEMPS.lock() {
        l.push(p.to_path_buf());
    }
}

/// Forgets a temporary file (it was renamed into place or removed).
pub fn forget_temp(p: &Path) {
    if let Ok(mut l) = TEMPS.lock() {
        l.retain(|x| x != p);
    }
}
