//! Helpers shared by the `gar` binary's integration tests: running the binary,
//! reading what it printed, listing folders and reading reports, and writing WAV
//! sources.
// Each test file is its own crate and uses only some of these helpers; the others
// would be dead code in it.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::Output;

/// The `gar` binary Cargo built for these tests.
pub const GAR: &str = env!("CARGO_BIN_EXE_gar");

/// `gar` as an `assert_cmd` command (for `.assert()`), with the environment
/// variables in `unset` removed, so that the caller's own settings cannot change
/// the run.
pub fn gar(unset: &[&str]) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("gar").expect("gar binary");
    for v in unset {
        c.env_remove(v);
    }
    c
}

/// `gar` as a `std::process::Command` (for pipes, children and `setpriv`), with
/// the environment variables in `unset` removed.
pub fn gar_process(unset: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(GAR);
    for v in unset {
        c.env_remove(v);
    }
    c
}

/// A run's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A run's standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The names of the entries in `dir` (not recursive), sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A JSON file (a report, a batch summary), parsed.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Whether this process is root (permissions do not apply to it).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Writes a 16-bit integer WAV of `frames` frames: `sample(frame, channel)` gives
/// each sample, asked for in file order (frame by frame, channels interleaved).
pub fn write_wav16(
    path: &Path,
    channels: u16,
    sample_rate: u32,
    frames: usize,
    mut sample: impl FnMut(usize, u16) -> i16,
) {
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        for c in 0..channels {
            w.write_sample(sample(i, c)).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// `seconds` of a 16-bit tone with clicks at 22050 Hz, `channels` channels: a
/// 330 Hz tone and four decaying 1800 Hz clicks a second; channel 1 is the signal
/// negated at half level, every other channel the signal itself.
pub fn write_tone_with_clicks(path: &Path, channels: u16, seconds: f64) {
    write_wav16(
        path,
        channels,
        22050,
        (seconds * 22050.0) as usize,
        |i, c| {
            let t = i as f64 / 22050.0;
            let x = 0.3 * (t * 330.0 * std::f64::consts::TAU).sin()
                + 0.6
                    * (-(t * 4.0).fract() * 30.0).exp()
                    * (t * 1800.0 * std::f64::consts::TAU).sin();
            let v = if c == 1 { -0.5 * x } else { x };
            (v * 30000.0) as i16
        },
    );
}
