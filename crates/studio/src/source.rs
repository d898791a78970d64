//! The one place the studio decodes audio: a file named on the command line
//! or an upload's bytes, with the same hostile-input guarantees as the CLI
//! (gar-io's decoder under a memory limit, the checks of `gar render`). At
//! the merge with gar-run this is the function to swap for its loader.

use crate::Limits;
use gar_io::{DecodeLimits, Decoded};
use std::path::Path;

/// Decodes a file named on the command line.
pub fn decode_file(path: &Path, limits: &Limits) -> Result<Decoded, String> {
    let lim = DecodeLimits {
        max_decoded_bytes: limits.max_decoded_bytes,
    };
    if let Some(info) = gar_io::probe_file(path).map_err(|e| e.to_string())? {
        let bytes = info.frames.unwrap_or(0) * info.channels as u64 * 4;
        if bytes > limits.max_decoded_bytes {
            return Err(too_long(bytes, limits));
        }
    }
    let d = gar_io::decode_file_with(path, &lim).map_err(|e| e.to_string())?;
    check(d, &path.display().to_string())
}

/// Decodes an upload (or the built-in sound); `ext` is the file name's
/// extension, a hint only (the bytes are sniffed).
pub fn decode_bytes(bytes: Vec<u8>, ext: Option<&str>, limits: &Limits) -> Result<Decoded, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let lim = DecodeLimits {
        max_decoded_bytes: limits.max_decoded_bytes,
    };
    let d = gar_io::decode_bytes_with(bytes, ext, &lim).map_err(|e| e.to_string())?;
    check(d, "the upload")
}

fn too_long(bytes: u64, limits: &Limits) -> String {
    format!(
        "decoded it would take {}, more than the studio's limit of {} per sound; \
         use `gar render` for files this long",
        gar_io::bytes_words(bytes),
        gar_io::bytes_words(limits.max_decoded_bytes)
    )
}

/// What `gar render` refuses after decoding: no channels, a 0 Hz rate, less
/// than 50 ms.
fn check(d: Decoded, what: &str) -> Result<Decoded, String> {
    if d.channels.is_empty() || d.sample_rate == 0 {
        return Err(format!("{what}: no channels or a 0 Hz sample rate"));
    }
    if (d.frames as f64) < 0.05 * d.sample_rate as f64 {
        return Err(format!(
            "{what}: {:.1} ms of audio; gar needs at least 50 ms",
            d.frames as f64 * 1000.0 / d.sample_rate as f64
        ));
    }
    Ok(d)
}
