//! What the DC high-pass and the loudness option cost on a 10-minute render.
//!
//! `cargo run --release -p gar-core --example level_bench [RUNS] [warm]`
//!
//! The input is the committed CC0 recording `testdata/stereo_guit_em9_44k.flac`
//! (9.97 s, mixed to mono), looped to 10 minutes. For each preset it times
//! `render_prepared_unscaled` (render and every finishing step, no I/O) with the
//! DC high-pass off, on (the default), and on with `--normalize loudness`,
//! interleaved run by run, and prints medians and ratios to the first.
//!
//! With `warm`, every run renders into the same buffers
//! (`render_prepared_into`, which also applies the level gain) instead of
//! new ones: the kernel's zeroing of fresh pages, about half of a render's
//! CPU time on the project's virtual machines and the same with or without
//! these options, then no longer blurs what the options themselves cost.

use gar_core::{Normalize, Params, Preset};
use std::time::Instant;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let warm = std::env::args().nth(2).is_some_and(|a| a == "warm");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/stereo_guit_em9_44k.flac"
    );
    let d = gar_io::decode_file(std::path::Path::new(path)).expect("testdata recording");
    let chans: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
    let mono = gar_core::mono_mix(&chans);
    let sr = d.sample_rate;
    let n = 600 * sr as usize;
    let x: Vec<f32> = (0..n).map(|i| mono[i % mono.len()]).collect();
    let src: [&[f32]; 1] = [&x];
    let mut buf = vec![0f32; n];
    let how = if warm {
        "into reused buffers"
    } else {
        "into new buffers"
    };
    println!("10 min mono {sr} Hz, {runs} runs per cell (median ms), {how}");
    println!("| preset | DC off | DC on (default) | ratio | DC on + loudness | ratio |");
    println!("|---|---|---|---|---|---|");
    for preset in [Preset::SelfRemix, Preset::MotifExtract, Preset::Cloud] {
        let variants = [
            (false, Normalize::Peak),
            (true, Normalize::Peak),
            (true, Normalize::Loudness),
        ];
        let prepared: Vec<_> = variants
            .iter()
            .map(|&(dc_block, normalize)| {
                let params = Params {
                    dc_block,
                    normalize,
                    ..preset.params()
                };
                gar_core::prepare(&src, sr, &params, preset, 1).unwrap()
            })
            .collect();
        let mut times = vec![Vec::new(); variants.len()];
        for _ in 0..runs {
            for (p, t) in prepared.iter().zip(times.iter_mut()) {
                let t0 = Instant::now();
                if warm {
                    let len = p.settings.output_len();
                    let mut outs: [&mut [f32]; 1] = [&mut buf[..len]];
                    gar_core::render_prepared_into(p, &src, &mut outs);
                    t.push(t0.elapsed().as_secs_f64() * 1e3);
                } else {
                    let out = gar_core::render_prepared_unscaled(p, &src);
                    t.push(t0.elapsed().as_secs_f64() * 1e3);
                    drop(out);
                }
            }
        }
        let med: Vec<f64> = times
            .iter_mut()
            .map(|t| {
                t.sort_by(f64::total_cmp);
                t[t.len() / 2]
            })
            .collect();
        println!(
            "| {} | {:.1} | {:.1} | {:.3} | {:.1} | {:.3} |",
            preset.id(),
            med[0],
            med[1],
            med[1] / med[0],
            med[2],
            med[2] / med[0]
        );
    }
}
