//! The attention drivers' speed (BENCHMARKS.md, "Attention drivers"): on a
//! WAV file (the 10-minute benchmark input), the analysis with every driver
//! (`--drivers all`) on the Self-Remix grid against the power-only analysis,
//! and a whole Self-Remix run (prepare + render) scored by `centroid`
//! against the same run scored by `rms`. Medians of `RUNS` runs, alternating.
//!
//! ```sh
//! cargo run --release -p gar-core --example drivers_bench -- target/bench/bench_input_10min.wav 5
//! ```

use gar_core::analysis::{DriverSet, analyze};
use gar_core::table::find;
use gar_core::{Params, Preset};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: drivers_bench FILE.wav [RUNS]");
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("RUNS"));
    let d = gar_io::decode_file(std::path::Path::new(&path)).expect("decode");
    let chans: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
    let sr = d.sample_rate;
    let len = chans[0].len();
    let preset = Preset::SelfRemix;
    let with = |score: &str, drivers: DriverSet| {
        let mut p: Params = preset.params();
        find("score").unwrap().set_text(&mut p, score).unwrap();
        p.drivers = drivers;
        p
    };
    let all = with("rms", DriverSet::all())
        .resolve(preset, sr, len)
        .unwrap();
    let rms = with("rms", DriverSet::NONE)
        .resolve(preset, sr, len)
        .unwrap();
    println!(
        "{path}: {:.1} s, {} ch, {sr} Hz; Self-Remix grid: {} candidates of {} samples; {} threads",
        len as f64 / sr as f64,
        chans.len(),
        gar_core::analysis::candidate_count(&all),
        all.grain_len(),
        rayon::current_num_threads()
    );
    let (mut t_all, mut t_rms) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(analyze(&chans, &all, 1.0));
        t_all.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(analyze(&chans, &rms, 1.0));
        t_rms.push(t.elapsed().as_secs_f64());
    }
    println!(
        "analysis, every driver:  median {:.3} s (runs {:?})",
        median(t_all.clone()),
        t_all
            .iter()
            .map(|t| (t * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    println!("analysis, power only:    median {:.3} s", median(t_rms));
    let run = |score: &str| {
        let p = with(score, DriverSet::NONE);
        let t = Instant::now();
        let prep = gar_core::prepare(&chans, sr, &p, preset, 1).unwrap();
        let out = gar_core::render_prepared(&prep, &chans);
        std::hint::black_box(out);
        t.elapsed().as_secs_f64()
    };
    let (mut r_rms, mut r_cen) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        r_rms.push(run("rms"));
        r_cen.push(run("centroid"));
    }
    let (a, b) = (median(r_rms), median(r_cen));
    println!(
        "prepare + render, rms:      median {a:.3} s\nprepare + render, centroid: median {b:.3} s ({:.2}x)",
        b / a
    );
    // The driver pass alone (centroid: one FFT per candidate), its loop
    // compiled for baseline x86-64 against the one `pulp` dispatches to.
    let s = with("centroid", DriverSet::NONE)
        .resolve(preset, sr, len)
        .unwrap();
    let start = gar_core::analysis::candidate_starts(&s);
    let w = gar_core::window::hann_f64(s.grain_len());
    let best = pulp::Arch::new();
    let pass = |arch: pulp::Arch| {
        let t = Instant::now();
        std::hint::black_box(gar_core::analysis::pass::measure_on(
            arch,
            &chans,
            &start,
            &w,
            sr,
            1.0,
            [gar_core::analysis::Driver::Centroid].into_iter().collect(),
        ));
        t.elapsed().as_secs_f64()
    };
    let (mut t_base, mut t_best) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        t_base.push(pass(pulp::Arch::Scalar));
        t_best.push(pass(best));
    }
    let (a, b) = (median(t_base), median(t_best));
    println!(
        "centroid pass, baseline loop:   median {a:.3} s\ncentroid pass, {} loop: median {b:.3} s ({:.2}x faster)",
        match best {
            pulp::Arch::Scalar => "baseline",
            _ => "dispatched (AVX2)",
        },
        a / b
    );
}
