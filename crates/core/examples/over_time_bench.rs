//! What parameters over time cost (issue 10): whole renders with envelopes
//! against the constant render of the same preset, and the per-hop planner at
//! 10^6 candidates x 10^7 hops.
//!
//! `cargo run --release -p gar-core --example over_time_bench [RUNS] [HOPS] [CANDIDATES] [PLAN_RUNS]`
//!
//! Part 1. The input is the 60 s benchmark input of `bench/input.rs` (the two
//! committed CC0 recordings, 16-bit mono 44.1 kHz, `s / 32768` as f32) repeated
//! ten times back to back: frame `i` of the 10-minute input is frame
//! `i % 2,646,000` of the 60 s one (level_bench's looping, and the same samples
//! as the `long_mix_10min.wav` that `bench/compare.py` writes). For Self-Remix
//! and Crystallize, each variant is timed as `gar_core::prepare` (seed 1) then
//! `gar_core::render_prepared_unscaled` (render and every finishing step, no
//! I/O). All variants of a preset run once per repetition, in order, RUNS
//! times (default 7); each cell is the median, and the ratio is to the median
//! of the constant run (the preset as it is) of the same repetitions. The
//! planner's own share is timed apart in the same repetitions (the same call
//! `prepare` makes, on the prepared analysis), and so is the diversity solve.
//!
//! Part 2. `make_plan` with constant alpha 8 against `make_plan_varying` (all
//! of it: nine envelope cursors per hop, the per-hop values recorded) with
//! alpha 1..40, on CANDIDATES (default 10^6) synthetic scores (`u^3`, 5 %
//! zeros, max-normalised: varying_bench's) and HOPS (default 10^7) hops of
//! 1 ms, recency 0.5, no jitter, interleaved, PLAN_RUNS (default 3) runs.
//! HOPS 0 skips part 2.
//!
//! For profiling, `OVER_TIME_ONLY=TEXT` keeps the constant run and the variants
//! whose name contains TEXT, `OVER_TIME_PRESET=ID` keeps one preset.

#[path = "../../../bench/input.rs"]
mod input;

use gar_core::plan::{GarRng, make_plan, make_plan_varying};
use gar_core::{AttentionNorm, Envelope, Params, Preset, attention};
use rand_core::SeedableRng;
use std::time::Instant;

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env(text: &str) -> Envelope {
    Envelope::parse(text).expect("a valid envelope")
}

/// One timed variant: its name, what it changes in the preset's params, and
/// a transposition (semitones) written into every hop of the prepared plan.
type Variant = (&'static str, Box<dyn Fn(&mut Params)>, Option<f32>);

fn variants() -> Vec<Variant> {
    vec![
        ("constant (the preset)", Box::new(|_: &mut Params| {}), None),
        (
            "alpha 1..40",
            Box::new(|p: &mut Params| p.alpha = env("1..40")),
            None,
        ),
        (
            "diversity 90..5",
            Box::new(|p: &mut Params| p.diversity = Some(env("90..5"))),
            None,
        ),
        (
            "diversity 50 (constant, for reference)",
            Box::new(|p: &mut Params| p.diversity = Some(env("50"))),
            None,
        ),
        (
            "five: alpha 1..40, floor 0:-3,1:3, recency 0.2..0.8, time_jitter 2..8, wet 100..70",
            Box::new(|p: &mut Params| {
                p.alpha = env("1..40");
                p.floor_db = env("0:-3, 1:3");
                p.recency = env("0.2..0.8");
                p.time_jitter_ms = env("2..8");
                p.wet = env("100..70");
            }),
            None,
        ),
        (
            "five with grain/pitch: alpha 1..40, floor 0:-3,1:3, recency 0.2..0.8, grain 40..80, pitch 0..-5",
            Box::new(|p: &mut Params| {
                p.alpha = env("1..40");
                p.floor_db = env("0:-3, 1:3");
                p.recency = env("0.2..0.8");
                p.grain_ms = env("40..80");
                p.pitch_st = env("0..-5");
            }),
            None,
        ),
        (
            "four (the five without wet)",
            Box::new(|p: &mut Params| {
                p.alpha = env("1..40");
                p.floor_db = env("0:-3, 1:3");
                p.recency = env("0.2..0.8");
                p.time_jitter_ms = env("2..8");
            }),
            None,
        ),
        (
            "wet 100..70 alone",
            Box::new(|p: &mut Params| p.wet = env("100..70")),
            None,
        ),
        (
            "grain 40..80 alone",
            Box::new(|p: &mut Params| p.grain_ms = env("40..80")),
            None,
        ),
        (
            "pitch 0..-5 alone",
            Box::new(|p: &mut Params| p.pitch_st = env("0..-5")),
            None,
        ),
        // A constant `pitch_st` is lost by `make_plan` (it writes only the
        // jitter into `plan.pitch_st`), so the reference transposition is
        // written into the prepared plan here: what a constant -2.5 st
        // should render.
        (
            "pitch -2.5 constant (written into the plan, for reference)",
            Box::new(|_: &mut Params| {}),
            Some(-2.5),
        ),
    ]
}

fn renders(runs: usize) {
    let x60: Vec<f32> = input::mix_60s()
        .iter()
        .map(|&v| v as f32 / 32768.0)
        .collect();
    let sr = input::SAMPLE_RATE;
    let n = 10 * input::FRAMES;
    let x: Vec<f32> = (0..n).map(|i| x60[i % x60.len()]).collect();
    let src: [&[f32]; 1] = [&x];
    println!(
        "## Renders: 10 min mono {sr} Hz ({n} frames, bench/input.rs x 10), prepare + \
         render_prepared_unscaled, median of {runs} interleaved repetitions (ms)"
    );
    // For profiling: OVER_TIME_ONLY=TEXT keeps the constant run and the
    // variants whose name contains TEXT; OVER_TIME_PRESET=ID one preset.
    let only = std::env::var("OVER_TIME_ONLY").ok();
    let one = std::env::var("OVER_TIME_PRESET").ok();
    for preset in [Preset::SelfRemix, Preset::Crystallize] {
        if one.as_deref().is_some_and(|id| id != preset.id()) {
            continue;
        }
        let vs: Vec<Variant> = variants()
            .into_iter()
            .enumerate()
            .filter(|(k, (name, ..))| *k == 0 || only.as_deref().is_none_or(|o| name.contains(o)))
            .map(|(_, v)| v)
            .collect();
        let params: Vec<Params> = vs
            .iter()
            .map(|(_, f, _)| {
                let mut p = preset.params();
                f(&mut p);
                p
            })
            .collect();
        // [prepare, render, total, plan alone, diversity solve alone] per variant.
        let mut t = vec![[const { Vec::new() }; 5]; vs.len()];
        let mut hops = vec![0usize; vs.len()];
        for _ in 0..runs {
            for (k, p) in params.iter().enumerate() {
                let t0 = Instant::now();
                let mut prep = gar_core::prepare(&src, sr, p, preset, 1).expect("valid params");
                if let Some(st) = vs[k].2 {
                    prep.plan.pitch_st.iter_mut().for_each(|x| *x = st);
                }
                let t1 = Instant::now();
                let out = gar_core::render_prepared_unscaled(&prep, &src);
                let t2 = Instant::now();
                std::hint::black_box(&out.0[0][..16]);
                drop(out);
                hops[k] = prep.plan.hops();
                // The planner alone: the call `prepare` made.
                let s = &prep.settings;
                let t3 = Instant::now();
                let plan = if s.curves.all_constant() {
                    make_plan(&prep.attention.prob, s, 1)
                } else {
                    make_plan_varying(
                        &prep.analysis.score,
                        &prep.attention.prob,
                        &prep.analysis.start,
                        s,
                        &s.curves.alpha,
                        1,
                    )
                };
                let plan_ms = t3.elapsed().as_secs_f64() * 1e3;
                assert_eq!(plan.grain, prep.plan.grain, "the same plan");
                drop(plan);
                // The diversity solve alone, on fresh settings.
                let mut fresh = p.resolve(preset, sr, n).expect("valid params");
                let t4 = Instant::now();
                std::hint::black_box(gar_core::diversity::apply(&prep.analysis.score, &mut fresh));
                let div_ms = t4.elapsed().as_secs_f64() * 1e3;
                let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
                let row = &mut t[k];
                row[0].push(ms(t0, t1));
                row[1].push(ms(t1, t2));
                row[2].push(ms(t0, t2));
                row[3].push(plan_ms);
                row[4].push(if p.diversity.is_some() { div_ms } else { 0.0 });
                drop(prep);
            }
        }
        let base = median(&t[0][2]);
        let base_prep = median(&t[0][0]);
        let base_render = median(&t[0][1]);
        println!();
        println!("### {} (constant: {} hops)", preset.id(), hops[0]);
        println!(
            "| variant | hops | total ms | ratio | prepare ms | ratio | of which plan ms | \
             of which diversity solve ms | render ms | ratio |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for (k, (name, ..)) in vs.iter().enumerate() {
            let m: Vec<f64> = t[k].iter().map(|v| median(v)).collect();
            println!(
                "| {name} | {} | {:.1} | **{:.2}** | {:.1} | {:.2} | {:.1} | {} | {:.1} | {:.2} |",
                hops[k],
                m[2],
                m[2] / base,
                m[0],
                m[0] / base_prep,
                m[3],
                if params[k].diversity.is_some() {
                    format!("{:.1}", m[4])
                } else {
                    "-".into()
                },
                m[1],
                m[1] / base_render
            );
        }
    }
}

/// varying_bench's scores: `u^3`, 5 % exact zeros, max-normalised.
fn scores(n: usize) -> Vec<f64> {
    let mut r = GarRng::seed_from_u64(99);
    let mut s: Vec<f64> = (0..n)
        .map(|_| {
            let u = gar_core::plan::uniform(&mut r);
            if u < 0.05 { 0.0 } else { u.powi(3) }
        })
        .collect();
    let m = s.iter().cloned().fold(0.0, f64::max);
    s.iter_mut().for_each(|x| *x /= m);
    s
}

fn planner(hops: usize, n: usize, runs: usize) {
    let s = scores(n);
    let starts = vec![0usize; n];
    let settings = |alpha: &str| {
        Params {
            hop_ms: Envelope::from(1.0),
            grain_ms: Envelope::from(5.0),
            cand_hop_ms: 1.0,
            alpha: env(alpha),
            floor_db: Envelope::from(0.0),
            time_jitter_ms: Envelope::from(0.0),
            pitch_jitter_st: Envelope::from(0.0),
            recency: Envelope::from(0.5),
            duration_s: Some((hops - 1) as f64 * 0.001),
            ..Params::default()
        }
        .resolve(Preset::Custom, 8000, 800)
        .expect("settings")
    };
    let cases = [
        ("make_plan, alpha 8 constant (Sampler build included)", "8"),
        (
            "make_plan_varying, alpha 8 constant (its fixed-sampler path)",
            "8",
        ),
        ("make_plan_varying, alpha 1..40 (linear)", "1..40"),
        (
            "make_plan_varying, alpha 1..40@exp (geometric)",
            "1..40@exp",
        ),
    ];
    let st: Vec<_> = cases.iter().map(|(_, a)| settings(a)).collect();
    let att = attention::attend(&s, 8.0, 0.0, AttentionNorm::Range);
    let mut secs = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (k, s_k) in st.iter().enumerate() {
            let t = Instant::now();
            let plan = if k == 0 {
                make_plan(&att.prob, s_k, 7)
            } else {
                make_plan_varying(&s, &att.prob, &starts, s_k, &s_k.curves.alpha, 7)
            };
            secs[k].push(t.elapsed().as_secs_f64());
            assert_eq!(plan.hops(), hops);
            drop(plan);
        }
    }
    println!();
    println!(
        "## Planner: {n} candidates, {hops} hops of 1 ms, gate 0 dB, range norm, recency 0.5, \
         no jitter, median of {runs} interleaved runs"
    );
    println!("| planner | ms | ns per hop | ratio to make_plan |");
    println!("|---|---|---|---|");
    let base = median(&secs[0]);
    for (k, (name, _)) in cases.iter().enumerate() {
        let m = median(&secs[k]);
        println!(
            "| {name} | {:.0} | {:.1} | **{:.2}** |",
            m * 1e3,
            m * 1e9 / hops as f64,
            m / base
        );
    }
}

fn main() {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let runs = arg(1, 7);
    let hops = arg(2, 10_000_000);
    let n = arg(3, 1_000_000);
    let plan_runs = arg(4, 3);
    renders(runs);
    if hops > 0 {
        planner(hops, n, plan_runs);
    }
}
