//! What an alpha that changes at every hop costs the planner, and what solving a
//! diversity costs.
//!
//! `cargo run --release -p gar-core --example varying_bench [HOPS] [CANDIDATES] [RUNS]`
//!
//! Scores: 10^6 candidates (default), `u^3` for uniform `u` with 5 % exact zeros,
//! max-normalised (the shape of real RMS scores: many quiet grains, few loud).
//! Gate 0 dB, `range` norm, recency 0.5, 10^7 hops (default), no jitter.
//!
//! - `make_plan`: today's planner with a constant alpha 8 (Walker alias plus
//!   rejection), the `plan::Sampler` build included;
//! - `Sampler::draw_penalised`: its per-hop draw alone (candidate indices in,
//!   as a varying planner would call it), alpha 8;
//! - `VaryingSampler`, a plan loop doing the same per-hop work as `make_plan`
//!   (grain, position, pitch pushed per hop), the sort included, the per-hop
//!   parameter values computed beforehand (an envelope's cost is not the
//!   sampler's): alpha constant
//!   8; alpha from 1 to 40 geometrically, a new value at every hop; the same with
//!   the floor also changing at every hop (-3..+3 dB); alpha 10^4 with recency 1.
//!
//! Then the worst case, alpha jumping at random at every hop (a rebuild at
//! every hop), on a twentieth of the hops, and `diversity::solve_alpha` on the
//! same scores for a few targets.

use gar_core::plan::{GarRng, Sampler, make_plan, recency_factors};
use gar_core::varying::VaryingSampler;
use gar_core::{AttentionNorm, Params, Preset, attention, diversity};
use rand_core::SeedableRng;
use std::time::Instant;

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

/// The same per-hop bookkeeping as `make_plan` (no jitter): grain, position, pitch.
struct PlanOut {
    grain: Vec<u32>,
    pos_s: Vec<f64>,
    pitch_st: Vec<f32>,
}

impl PlanOut {
    fn new(h: usize) -> Self {
        PlanOut {
            grain: Vec::with_capacity(h),
            pos_s: Vec::with_capacity(h),
            pitch_st: Vec::with_capacity(h),
        }
    }
    fn push(&mut self, h: usize, g: u32) {
        self.grain.push(g);
        self.pos_s.push(h as f64 * 0.001);
        self.pitch_st.push(0.0);
    }
}

/// A varying plan: `alpha[h]`, `floor[h]`, recency `rec`, the sort included.
fn varying_plan(s: &[f64], rec: f64, alpha: &[f64], floor: &[f64]) -> (PlanOut, u64, u64) {
    let hops = alpha.len();
    let mut vs = VaryingSampler::new(s, AttentionNorm::Range);
    let mut rng = GarRng::seed_from_u64(7);
    let mut out = PlanOut::new(hops);
    let mut recent = [None; 3];
    for h in 0..hops {
        let g = vs.draw(alpha[h], floor[h], rec, &recent, &mut rng);
        recent = [Some(g), recent[0], recent[1]];
        out.push(h, g);
    }
    (out, vs.tries(), vs.builds())
}

type Schedule<'a> = &'a dyn Fn(usize) -> f64;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let hops = arg(1, 10_000_000);
    let n = arg(2, 1_000_000);
    let runs = arg(3, 3);
    let s = scores(n);
    let rec = 0.5;
    let last = (hops - 1).max(1) as f64;
    let settings = Params {
        hop_ms: gar_core::Envelope::from(1.0),
        grain_ms: gar_core::Envelope::from(5.0),
        cand_hop_ms: 1.0,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        pitch_jitter_st: gar_core::Envelope::from(0.0),
        recency: gar_core::Envelope::from(rec),
        duration_s: Some((hops - 1) as f64 * 0.001),
        ..Params::default()
    }
    .resolve(Preset::Custom, 8000, 800)
    .expect("settings");
    let att = attention::attend(&s, 8.0, 0.0, AttentionNorm::Range);

    let geo = |h: usize| 40f64.powf(h as f64 / last);
    let cases: [(&str, f64, Schedule, Schedule); 5] = [
        ("VaryingSampler, alpha 8 constant", rec, &|_| 8.0, &|_| 0.0),
        (
            "VaryingSampler, alpha 1..40 geometric, a new value every hop",
            rec,
            &geo,
            &|_| 0.0,
        ),
        (
            "VaryingSampler, alpha 40..1 geometric (falling), every hop",
            rec,
            &|h| 40f64.powf(1.0 - h as f64 / last),
            &|_| 0.0,
        ),
        (
            "VaryingSampler, alpha 1..40 and floor -3..+3 dB, every hop",
            rec,
            &geo,
            &|h| -3.0 + 6.0 * h as f64 / last,
        ),
        (
            "VaryingSampler, alpha 10^4 constant, recency 1",
            1.0,
            &|_| 1e4,
            &|_| 0.0,
        ),
    ];
    // Interleaved runs: [make_plan, draw_penalised loop, cases...] per run.
    let mut secs: Vec<Vec<f64>> = vec![Vec::new(); 2 + cases.len()];
    let mut stats = vec![(0u64, 0u64); cases.len()];
    for _ in 0..runs {
        let t = Instant::now();
        let plan = make_plan(&att.prob, &settings, 7);
        secs[0].push(t.elapsed().as_secs_f64());
        assert_eq!(plan.hops(), hops);
        drop(plan);

        let t = Instant::now();
        let sampler = Sampler::new(&att.prob);
        let mut rng = GarRng::seed_from_u64(7);
        let mut recent: [Option<u32>; 3] = [None; 3];
        let mut out = PlanOut::new(hops);
        for h in 0..hops {
            let (f, k) = recency_factors(&recent, rec);
            let g = sampler.draw_penalised(&f[..k], &mut rng);
            recent = [Some(g), recent[0], recent[1]];
            out.push(h, g);
        }
        std::hint::black_box(&out.grain);
        secs[1].push(t.elapsed().as_secs_f64());
        drop(out);

        for (c, (_, r, alpha, floor)) in cases.iter().enumerate() {
            // The per-hop values, as the envelopes would give them (their
            // evaluation is not the sampler's cost).
            let alpha: Vec<f64> = (0..hops).map(alpha).collect();
            let floor: Vec<f64> = (0..hops).map(floor).collect();
            let t = Instant::now();
            let (out, tries, builds) = varying_plan(&s, *r, &alpha, &floor);
            std::hint::black_box(&out.grain);
            secs[2 + c].push(t.elapsed().as_secs_f64());
            stats[c] = (tries, builds);
        }
    }
    let med: Vec<f64> = secs.into_iter().map(median).collect();
    let base = med[0];
    println!(
        "{n} candidates, {hops} hops, gate 0 dB, range norm, recency {rec} (unless said), \
         median of {runs} interleaved runs"
    );
    println!("| planner | ms | ns per hop | ratio to make_plan | tries per hop | table builds |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, secs: f64, st: Option<(u64, u64)>| {
        let (tr, b) = st.map_or(("-".into(), "-".into()), |(t, b)| {
            (format!("{:.3}", t as f64 / hops as f64), b.to_string())
        });
        println!(
            "| {name} | {:.0} | {:.1} | {:.2} | {tr} | {b} |",
            secs * 1e3,
            secs * 1e9 / hops as f64,
            secs / base
        );
    };
    row("make_plan, alpha 8 (Sampler build included)", med[0], None);
    row(
        "Sampler::new + draw_penalised loop (candidate indices), alpha 8",
        med[1],
        None,
    );
    for (c, (name, ..)) in cases.iter().enumerate() {
        row(
            &format!("{name} (sort included)"),
            med[2 + c],
            Some(stats[c]),
        );
    }

    // The worst case: alpha jumps at random at every hop, so the proposal is
    // rebuilt at every hop (O(log N) exps); fewer hops, one run.
    let few = (hops / 20).max(1);
    let mut r = GarRng::seed_from_u64(3);
    let alpha: Vec<f64> = (0..few)
        .map(|_| 40f64.powf(gar_core::plan::uniform(&mut r)))
        .collect();
    let floor = vec![0.0; few];
    let t = Instant::now();
    let (out, tries, builds) = varying_plan(&s, rec, &alpha, &floor);
    std::hint::black_box(&out.grain);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "| VaryingSampler, alpha random in 1..40 at every hop (worst case), {few} hops \
         (sort included) | {:.0} | {:.1} | {:.2} | {:.3} | {builds} |",
        secs * 1e3,
        secs * 1e9 / few as f64,
        secs / few as f64 / (base / hops as f64),
        tries as f64 / few as f64
    );

    println!();
    println!("diversity::solve_alpha on the same {n} scores (gate 0 dB, range)");
    println!("| D % | alpha | effective / active | clamped | steps | ms |");
    println!("|---|---|---|---|---|---|");
    for d in [100.0, 90.0, 50.0, 30.0, 10.0, 1.0, 0.01] {
        let t = Instant::now();
        let sol = diversity::solve_alpha(&s, 0.0, AttentionNorm::Range, d).expect("valid D");
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "| {d} | {:.4} | {:.1} / {} | {} | {} | {ms:.1} |",
            sol.alpha, sol.effective, sol.active, sol.clamped, sol.steps
        );
    }
}
