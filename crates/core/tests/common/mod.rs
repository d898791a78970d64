//! Helpers shared by the integration tests: seeded signals and one-call runs.
#![allow(dead_code)]

use gar_core::plan::{GarRng, uniform};
use gar_core::{Params, Preset, Settings};
use rand_core::SeedableRng;

/// The tests' own seeded generator (the engine's xoshiro256++).
pub fn rng(seed: u64) -> GarRng {
    GarRng::seed_from_u64(seed)
}

/// White noise in [-amp, amp).
pub fn noise(rng: &mut GarRng, n: usize, amp: f32) -> Vec<f32> {
    (0..n)
        .map(|_| amp * (2.0 * uniform(rng) - 1.0) as f32)
        .collect()
}

/// `amp * sin(2 pi f n / sr + phase)`, computed in f64.
pub fn sine(freq: f64, sr: u32, n: usize, amp: f64, phase: f64) -> Vec<f32> {
    (0..n)
        .map(|k| (amp * (std::f64::consts::TAU * freq * k as f64 / sr as f64 + phase).sin()) as f32)
        .collect()
}

/// `Params::resolve` that must succeed.
pub fn settings(params: &Params, preset: Preset, sr: u32, len: usize) -> Settings {
    params.resolve(preset, sr, len).expect("valid parameters")
}

/// `prepare` + `render_prepared` in one call.
pub fn run(channels: &[&[f32]], sr: u32, params: &Params, seed: u64) -> Vec<Vec<f32>> {
    let p = gar_core::prepare(channels, sr, params, Preset::Custom, seed).expect("prepare");
    gar_core::render_prepared(&p, channels)
        .0
        .into_iter()
        .map(|c| c.to_vec())
        .collect()
}

/// Largest absolute sample.
pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Frequency of a sinusoid from its rising zero crossings (linear interpolation
/// between the samples around each crossing), in Hz.
pub fn zero_crossing_freq(x: &[f32], sr: u32) -> f64 {
    let mut crossings = Vec::new();
    for k in 1..x.len() {
        let (a, b) = (x[k - 1] as f64, x[k] as f64);
        if a < 0.0 && b >= 0.0 {
            crossings.push((k - 1) as f64 + a / (a - b));
        }
    }
    assert!(crossings.len() >= 3, "too few zero crossings to measure");
    let periods = (crossings.len() - 1) as f64;
    let span = crossings[crossings.len() - 1] - crossings[0];
    sr as f64 * periods / span
}

/// Pearson's chi-square statistic of `counts` against the probabilities `expected`
/// (which sum to 1). Cells with zero expectation must have zero counts.
pub fn chi_square(counts: &[u64], expected: &[f64]) -> f64 {
    let n: u64 = counts.iter().sum();
    let mut chi = 0.0;
    for (&c, &p) in counts.iter().zip(expected) {
        if p == 0.0 {
            assert_eq!(c, 0, "a cell with probability 0 was drawn");
            continue;
        }
        let e = p * n as f64;
        chi += (c as f64 - e).powi(2) / e;
    }
    chi
}

/// Pearson-like correlation without mean removal: `<a, b> / (|a| |b|)`.
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        ab += x as f64 * y as f64;
        aa += x as f64 * x as f64;
        bb += y as f64 * y as f64;
    }
    ab / (aa * bb).sqrt()
}

/// Prints a line the test harness does not capture (a skip must be visible in a
/// plain `cargo test`).
pub fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The file `rel` of the team's shared corpus (`GAR_SHARED_DIR`, or `../shared`
/// beside the repository), if it is there; otherwise prints why `what` is
/// skipped and returns `None`. A fresh clone has no shared corpus: tests that
/// need it are extras.
pub fn shared_file(rel: &str, what: &str) -> Option<std::path::PathBuf> {
    let dir = match std::env::var_os("GAR_SHARED_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let path = dir.join(rel);
    if path.is_file() {
        Some(path)
    } else {
        notice(&format!(
            "{what}: skipped: {} not found (the shared corpus is not in the repository; set \
             GAR_SHARED_DIR to a folder that has it)",
            path.display()
        ));
        None
    }
}
