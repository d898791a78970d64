//! The 60 s benchmark input, built from the two CC0 recordings committed in the
//! repository (see `testdata/SOURCES.md`), so that no file outside the repository is
//! needed. Included with `#[path]` by `crates/core/benches/stages.rs`,
//! `crates/io/benches/codec.rs` and `crates/plot/examples/plot_bench.rs`;
//! `bench/compare.py` builds the same samples (`mix_60s` there).
//!
//! Definition: 60 s (2,646,000 frames) of 44.1 kHz 16-bit mono. The mono mix of
//! `testdata/stereo_guit_em9_44k.flac` (a guitar chord, 9.97 s) is followed by the mono
//! mix of `crates/cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac` (tabla hits over a
//! glass hum, 6 s); that pair is repeated (guitar, tabla, guitar, tabla, ...) and cut at
//! 60 s. A mono sample is `floor((l + r) / 2)` of the two 16-bit samples, exact in
//! integers, so every tool that builds it gets the same samples.
//!
//! (The figures in BENCHMARKS.md up to issue 9 were measured on an earlier input, the
//! corpus file `long_mix_60s_44k_mono.wav`, which is not in the repository.)

use std::path::{Path, PathBuf};

/// Sample rate of the input, Hz.
pub const SAMPLE_RATE: u32 = 44_100;
/// Length of the input, frames (60 s).
pub const FRAMES: usize = 60 * SAMPLE_RATE as usize;
/// The recordings, relative to the repository root, in the order they repeat.
pub const SOURCES: [&str; 2] = [
    "testdata/stereo_guit_em9_44k.flac",
    "crates/cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac",
];

/// The repository root (every includer lives in `crates/<name>`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The 60 s input as 16-bit samples.
pub fn mix_60s() -> Vec<i16> {
    let pieces: Vec<Vec<i16>> = SOURCES
        .iter()
        .map(|rel| {
            let path = repo_root().join(rel);
            let d = gar_io::decode_file(&path)
                .unwrap_or_else(|e| panic!("benchmark input {}: {e}", path.display()));
            assert_eq!(
                (d.sample_rate, d.channels.len()),
                (SAMPLE_RATE, 2),
                "{rel}: 44.1 kHz stereo expected"
            );
            // 16-bit FLAC decodes to s / 32768 exactly.
            let int = |v: f32| (v * 32768.0) as i32;
            d.channels[0]
                .iter()
                .zip(d.channels[1].iter())
                .map(|(&l, &r)| (int(l) + int(r)).div_euclid(2) as i16)
                .collect()
        })
        .collect();
    pieces
        .iter()
        .cycle()
        .flatten()
        .copied()
        .take(FRAMES)
        .collect()
}
