//! Parameters over time (docs/algorithm.md, sections 12 and 13), end to end
//! through `prepare`, `plan::make_plan_varying` and `render_prepared`:
//!
//! - constant parameters keep every plan bit-identical to `plan::make_plan`;
//!   a varying wet (or transposition) picks the same grains as the constant run;
//! - the picks follow, hop by hop, exactly the distribution of that hop's alpha,
//!   floor and recency (Pearson's chi-square against the summed per-hop
//!   probabilities, cells expected below 5 pooled, fixed seeds; each test also
//!   checks that a wrong expectation is rejected, so the test has power);
//! - the values recorded per hop follow the envelopes at the hop times, and a
//!   varying hop or grain sets the hop times and grain lengths;
//! - transposition by `pitch_st`, and its clamp;
//! - diversity: a constant solved once, a varying one at control points with
//!   alpha geometric between them, and the alpha 0.01 clamp.
//!
//! With recency the expected counts are summed along the drawn sequence (each
//! hop's `q_h` given its actual recent picks): the count minus that sum is a
//! martingale whose variance is at most the expected count, so the statistic
//! is at most chi-square distributed (conservative).

mod common;

use common::{rng, sine, zero_crossing_freq};
use gar_core::attention::attend;
use gar_core::plan::{self, uniform};
use gar_core::varying::penalised;
use gar_core::{Envelope, Params, Prepared, Preset, prepare, render_prepared};

const SR: u32 = 16_000;

/// Deterministic noise bursts: 70 ms segments of white noise, each at its own
/// random amplitude (0.02..1, squared uniform), so the scores are spread.
fn bursts(secs: f64, seed: u64) -> Vec<f32> {
    let n = (secs * SR as f64).round() as usize;
    let seg = (0.07 * SR as f64) as usize;
    let mut r = rng(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let amp = (0.02 + 0.98 * uniform(&mut r).powi(2)) as f32;
        let k = seg.min(n - out.len());
        for _ in 0..k {
            out.push(amp * (2.0 * uniform(&mut r) - 1.0) as f32);
        }
    }
    out
}

fn env(text: &str) -> Envelope {
    Envelope::parse(text).expect("a valid envelope")
}

fn prep(x: &[f32], p: &Params, preset: Preset, seed: u64) -> Prepared {
    prepare(&[x], SR, p, preset, seed).expect("prepare")
}

/// Upper `1e-4` point of the chi-square distribution with `df` degrees of
/// freedom (Wilson-Hilferty normal approximation), so a test passes when
/// `p > 1e-4`.
fn chi2_crit_1e4(df: usize) -> f64 {
    let d = df.max(1) as f64;
    let z = 3.719_016;
    d * (1.0 - 2.0 / (9.0 * d) + z * (2.0 / (9.0 * d)).sqrt()).powi(3)
}

/// Pearson's chi-square of `counts` against expected counts (same total),
/// cells expected below 5 pooled into one. Returns (statistic, degrees of
/// freedom, number of picks of candidates expected exactly 0).
fn chi_square_pooled(counts: &[u64], expected: &[f64]) -> (f64, usize, u64) {
    let total: u64 = counts.iter().sum();
    let e_total: f64 = expected.iter().sum();
    assert!(
        (e_total - total as f64).abs() < 1e-6 * total as f64 + 1e-6,
        "expected {e_total} vs {total} draws"
    );
    let (mut chi, mut cells, mut impossible) = (0.0, 0usize, 0u64);
    let (mut pc, mut pe) = (0u64, 0.0);
    for (&c, &e) in counts.iter().zip(expected) {
        if e == 0.0 {
            impossible += c;
        } else if e < 5.0 {
            pc += c;
            pe += e;
        } else {
            chi += (c as f64 - e).powi(2) / e;
            cells += 1;
        }
    }
    if pe > 0.0 {
        chi += (pc as f64 - pe).powi(2) / pe;
        cells += 1;
    }
    (chi, cells.saturating_sub(1), impossible)
}

/// Asserts a good fit (p > 1e-4) and returns the statistic.
fn assert_fits(what: &str, counts: &[u64], expected: &[f64]) -> f64 {
    let (chi, df, impossible) = chi_square_pooled(counts, expected);
    assert_eq!(
        impossible, 0,
        "{what}: candidates with probability 0 were drawn"
    );
    assert!(
        df >= 3,
        "{what}: too few cells ({df} df) for a meaningful test"
    );
    let crit = chi2_crit_1e4(df);
    eprintln!("{what}: chi-square {chi:.1} ({df} df, crit {crit:.1})");
    assert!(
        chi < crit,
        "{what}: chi-square {chi:.1} >= {crit:.1} ({df} df): the picks do not follow the per-hop distribution"
    );
    chi
}

/// Asserts a clear misfit (far beyond the critical value, or picks the
/// alternative says are impossible): the test would notice a wrong distribution.
fn assert_rejects(what: &str, counts: &[u64], expected: &[f64]) {
    let (chi, df, impossible) = chi_square_pooled(counts, expected);
    let crit = chi2_crit_1e4(df);
    assert!(
        impossible > 0 || chi > 4.0 * crit,
        "{what}: chi-square {chi:.1} ({df} df, crit {crit:.1}): the test has no power against this alternative"
    );
}

fn counts(grains: &[u32], n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n];
    for &g in grains {
        c[g as usize] += 1;
    }
    c
}

/// Accumulates `w * q` into `acc`.
fn add(acc: &mut [f64], q: &[f64], w: f64) {
    for (a, &x) in acc.iter_mut().zip(q) {
        *a += w * x;
    }
}

// ---------------------------------------------------------------------------
// 1. Bit-identity.

fn assert_same_plan(what: &str, a: &gar_core::Plan, b: &gar_core::Plan) {
    assert_eq!(a.grain, b.grain, "{what}: grains differ");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.pos_s), bits(&b.pos_s), "{what}: positions differ");
    let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits32(&a.pitch_st),
        bits32(&b.pitch_st),
        "{what}: pitches differ"
    );
    assert_eq!(a.len, b.len, "{what}: grain lengths differ");
    assert_eq!(a, b, "{what}: plans differ");
}

/// A named change to a preset's parameters.
type Variant = (&'static str, fn(&mut Params));

#[test]
fn constant_parameters_plan_is_make_plan_for_every_preset() {
    let x = bursts(3.0, 1);
    let seed = 0x5eed_0001;
    for preset in Preset::ALL {
        let variants: [Variant; 5] = [
            ("as is", |_| {}),
            ("longer output", |p| p.duration_s = Some(7.3)),
            ("pitch jitter, recency 1", |p| {
                p.pitch_jitter_st = Envelope::constant(1.5);
                p.recency = Envelope::constant(1.0);
            }),
            ("no jitter, recency 0", |p| {
                p.time_jitter_ms = Envelope::constant(0.0);
                p.recency = Envelope::constant(0.0);
            }),
            ("time jitter above the hop", |p| {
                p.time_jitter_ms = Envelope::constant(500.0)
            }),
        ];
        for (name, f) in variants {
            let mut p = preset.params();
            f(&mut p);
            let what = format!("{preset} ({name})");
            let pr = prep(&x, &p, preset, seed);
            let s = &pr.settings;
            assert!(s.curves.all_constant(), "{what}: all constant");
            let a = plan::make_plan(&pr.attention.prob, s, seed);
            let b = plan::make_plan_varying(
                &pr.analysis.score,
                &pr.attention.prob,
                &pr.analysis.start,
                s,
                &s.curves.alpha,
                seed,
            );
            assert!(a.hops() > 10, "{what}: a real plan");
            assert!(
                b.values.is_empty(),
                "{what}: nothing varies, nothing recorded"
            );
            assert!(b.len.is_empty(), "{what}: the analysis' grain length");
            assert_same_plan(&what, &a, &b);
            assert_same_plan(&format!("{what}, prepare"), &a, &pr.plan);
        }
    }
}

#[test]
fn varying_wet_or_transposition_picks_the_constant_runs_grains() {
    let x = bursts(3.0, 2);
    let seed = 77;
    for preset in [
        Preset::Custom,
        Preset::Shimmer,
        Preset::Cloud,
        Preset::MotifExtract,
    ] {
        let base = preset.params();
        let c = prep(&x, &base, preset, seed);
        assert!(c.plan.values.is_empty());

        let mut p = base.clone();
        p.wet = env("100..50");
        let w = prep(&x, &p, preset, seed);
        assert_eq!(
            w.plan.grain, c.plan.grain,
            "{preset}: varying wet changed the grains"
        );
        assert_eq!(
            w.plan.pos_s, c.plan.pos_s,
            "{preset}: varying wet moved the grains"
        );
        assert_eq!(
            w.plan.pitch_st, c.plan.pitch_st,
            "{preset}: varying wet changed the pitch"
        );
        let wet = w.plan.values_of("wet").expect("wet recorded");
        assert_eq!(wet.len(), w.plan.hops());
        let d = w.settings.duration_s;
        let hop = w.settings.hop_s();
        for (h, &v) in wet.iter().enumerate() {
            let want = 100.0 - 50.0 * (h as f64 * hop / d).min(1.0);
            assert!(
                (v - want).abs() < 1e-9,
                "{preset}: wet at hop {h}: {v} vs {want}"
            );
        }
        assert_eq!(w.plan.values.len(), 1, "{preset}: only wet is recorded");

        // A varying transposition: same grains and positions, the pitch is
        // the transposition plus the same jitter.
        let mut p = base.clone();
        p.pitch_st = env("0..3");
        let t = prep(&x, &p, preset, seed);
        assert_eq!(
            t.plan.grain, c.plan.grain,
            "{preset}: transposition changed the grains"
        );
        assert_eq!(
            t.plan.pos_s, c.plan.pos_s,
            "{preset}: transposition moved the grains"
        );
        let tr = t.plan.values_of("pitch_st").expect("pitch_st recorded");
        assert_eq!(tr.len(), t.plan.hops());
        for (h, &v) in tr.iter().enumerate() {
            let want = (v + c.plan.pitch_st[h] as f64) as f32;
            assert!(
                (t.plan.pitch_st[h] - want).abs() < 1e-5,
                "{preset}: pitch at hop {h}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Exact per-hop distributions.

/// A 0.83 s source: 40 candidates with 50 ms grains every 20 ms.
fn short_source() -> Vec<f32> {
    bursts(0.83, 3)
}

/// Custom with a 5 ms hop, no time jitter and a 1000 s output: 200,001 hops.
fn long_run(f: impl FnOnce(&mut Params)) -> Params {
    let mut p = Params {
        hop_ms: Envelope::constant(5.0),
        time_jitter_ms: Envelope::constant(0.0),
        recency: Envelope::constant(0.0),
        floor_db: Envelope::constant(-3.0),
        duration_s: Some(1000.0),
        ..Params::default()
    };
    f(&mut p);
    p
}

#[test]
fn alpha_changing_every_hop_follows_each_hops_distribution() {
    let x = short_source();
    let pr = prep(
        &x,
        &long_run(|p| p.alpha = env("1..40")),
        Preset::Custom,
        11,
    );
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let n = a.len();
    assert_eq!(n, 40, "40 candidates");
    assert!(pl.hops() >= 200_000, "{} hops", pl.hops());
    let alpha = pl.values_of("alpha").expect("alpha recorded");
    assert_eq!(alpha.len(), pl.hops());
    // Every hop has its own alpha.
    assert!(
        alpha.windows(2).all(|w| w[1] > w[0]),
        "alpha rises at every hop"
    );
    let active = attend(&a.score, 1.0, s.floor_db, s.attention_norm).active_count();
    assert!(active >= 10, "{active} active grains");

    let mut exp = vec![0.0; n];
    for &al in alpha {
        add(
            &mut exp,
            &attend(&a.score, al, s.floor_db, s.attention_norm).prob,
            1.0,
        );
    }
    let c = counts(&pl.grain, n);
    assert_fits("alpha 1..40", &c, &exp);

    // Power: one alpha for the whole run (the mean) does not fit.
    let mean_alpha = alpha.iter().sum::<f64>() / alpha.len() as f64;
    let q = attend(&a.score, mean_alpha, s.floor_db, s.attention_norm).prob;
    let wrong: Vec<f64> = q.iter().map(|p| p * pl.hops() as f64).collect();
    assert_rejects("alpha held at its mean", &c, &wrong);
}

#[test]
fn alpha_changing_every_hop_is_exact_deep_in_the_tail() {
    // 198 candidates, all active, a soft alpha: every rank (the sampler's
    // blocks of many ranks too) has hundreds of expected picks.
    let x = bursts(4.0, 15);
    let pr = prep(
        &x,
        &long_run(|p| {
            p.alpha = env("1..12");
            p.floor_db = Envelope::constant(-100.0);
        }),
        Preset::Custom,
        16,
    );
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let n = a.len();
    assert!(n >= 190, "{n} candidates");
    let alpha = pl.values_of("alpha").expect("alpha recorded");
    let mut exp = vec![0.0; n];
    for &al in alpha {
        add(
            &mut exp,
            &attend(&a.score, al, s.floor_db, s.attention_norm).prob,
            1.0,
        );
    }
    let cells = exp.iter().filter(|&&e| e >= 5.0).count();
    assert!(cells > 150, "{cells} cells expected >= 5");
    let c = counts(&pl.grain, n);
    assert_fits("alpha 1..12 over 198 candidates", &c, &exp);
}

#[test]
fn falling_alpha_with_recency_follows_each_hops_distribution() {
    let x = short_source();
    let pr = prep(
        &x,
        &long_run(|p| {
            p.alpha = env("40..1");
            p.recency = Envelope::constant(0.5);
        }),
        Preset::Custom,
        12,
    );
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let n = a.len();
    let alpha = pl.values_of("alpha").expect("alpha recorded");
    assert_eq!(alpha.len(), pl.hops());

    let mut exp = vec![0.0; n];
    let mut plain = vec![0.0; n];
    let mut recent: [Option<u32>; 3] = [None; 3];
    for (h, &al) in alpha.iter().enumerate() {
        let prob = attend(&a.score, al, s.floor_db, s.attention_norm).prob;
        add(&mut exp, &penalised(&prob, 0.5, &recent), 1.0);
        add(&mut plain, &prob, 1.0);
        let g = pl.grain[h];
        recent = [Some(g), recent[0], recent[1]];
    }
    let c = counts(&pl.grain, n);
    assert_fits("alpha 40..1, recency 0.5", &c, &exp);
    // Power: the same alphas without the recency penalty do not fit.
    assert_rejects("recency ignored", &c, &plain);
}

#[test]
fn alpha_step_envelope_each_stretch_follows_its_own_distribution() {
    let x = short_source();
    let pr = prep(
        &x,
        &long_run(|p| p.alpha = env("0:2, 0.5:30@step")),
        Preset::Custom,
        13,
    );
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let n = a.len();
    let alpha = pl.values_of("alpha").expect("alpha recorded");
    let d = s.duration_s;
    let hop = s.hop_s();
    let mut stretch: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    for (h, &al) in alpha.iter().enumerate() {
        let t = h as f64 * hop;
        let k = if t < 0.5 * d { 0 } else { 1 };
        assert_eq!(al, [2.0, 30.0][k], "alpha at hop {h} (t = {t} s)");
        stretch[k].push(pl.grain[h]);
    }
    assert!(stretch.iter().all(|g| g.len() > 90_000));
    let dist = |al: f64| attend(&a.score, al, s.floor_db, s.attention_norm).prob;
    for (k, al) in [(0, 2.0), (1, 30.0)] {
        let c = counts(&stretch[k], n);
        let m = stretch[k].len() as f64;
        let exp: Vec<f64> = dist(al).iter().map(|p| p * m).collect();
        assert_fits(&format!("stretch {k} (alpha {al})"), &c, &exp);
        // Power: the other stretch's distribution does not fit.
        let other: Vec<f64> = dist(32.0 - al).iter().map(|p| p * m).collect();
        assert_rejects(
            &format!("stretch {k} against alpha {}", 32.0 - al),
            &c,
            &other,
        );
    }
}

#[test]
fn floor_envelope_follows_each_hops_gate() {
    let x = short_source();
    let pr = prep(
        &x,
        &long_run(|p| {
            p.alpha = Envelope::constant(3.0);
            p.floor_db = env("-8..4");
        }),
        Preset::Custom,
        14,
    );
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let n = a.len();
    let floor = pl.values_of("floor_db").expect("floor recorded");
    assert_eq!(floor.len(), pl.hops());
    assert!(pl.values_of("alpha").is_none(), "alpha is constant");
    let lo = attend(&a.score, 3.0, -8.0, s.attention_norm).active_count();
    let hi = attend(&a.score, 3.0, 4.0, s.attention_norm).active_count();
    assert!(
        lo > hi + 5,
        "the floor changes the gate: {lo} vs {hi} active"
    );

    let mut exp = vec![0.0; n];
    for &f in floor {
        add(
            &mut exp,
            &attend(&a.score, 3.0, f, s.attention_norm).prob,
            1.0,
        );
    }
    let c = counts(&pl.grain, n);
    assert_fits("floor -8..4", &c, &exp);
    // Power: the floor held at its middle does not fit.
    let q = attend(&a.score, 3.0, -2.0, s.attention_norm).prob;
    let wrong: Vec<f64> = q.iter().map(|p| p * pl.hops() as f64).collect();
    assert_rejects("floor held at -2 dB", &c, &wrong);
}

// ---------------------------------------------------------------------------
// 3. Per-hop values.

#[test]
fn alpha_values_follow_the_envelope_at_each_hops_time() {
    let x = bursts(3.0, 4);
    let mut p = Params {
        alpha: env("1..40"),
        ..Params::default()
    };
    p.floor_db = env("0:0, 0.25:-6@smooth, 2s:3@step");
    let pr = prep(&x, &p, Preset::Custom, 5);
    let (s, pl) = (&pr.settings, &pr.plan);
    assert_eq!(pl.hops(), plan::hop_count(s));
    let alpha = pl.values_of("alpha").expect("alpha recorded");
    let floor = pl.values_of("floor_db").expect("floor recorded");
    assert_eq!(alpha.len(), pl.hops());
    assert_eq!(floor.len(), pl.hops());
    let (d, hop) = (s.duration_s, s.hop_s());
    for h in 0..pl.hops() {
        let t = h as f64 * hop;
        assert_eq!(alpha[h], s.curves.alpha.value_at(t), "alpha at hop {h}");
        let want = 1.0 + 39.0 * (t / d).min(1.0);
        assert!(
            (alpha[h] - want).abs() < 1e-9,
            "alpha at hop {h}: {} vs {want}",
            alpha[h]
        );
        assert_eq!(floor[h], s.curves.floor_db.value_at(t), "floor at hop {h}");
        let f_want = if t >= 2.0 {
            3.0
        } else if t >= 0.25 * d {
            -6.0
        } else {
            -6.0 * (1.0 - (std::f64::consts::PI * t / (0.25 * d)).cos()) / 2.0
        };
        assert!(
            (floor[h] - f_want).abs() < 1e-9,
            "floor at hop {h}: {} vs {f_want}",
            floor[h]
        );
    }
    // Only the varying parameters are recorded.
    let ids: Vec<&str> = pl.values.iter().map(|v| v.id).collect();
    assert_eq!(ids, ["alpha", "floor_db"]);
}

#[test]
fn varying_hop_sets_the_hop_times() {
    let x = bursts(3.0, 5);
    for (grain, limit) in [(100.0, f64::INFINITY), (50.0, 25.0)] {
        let p = Params {
            hop_ms: env("10..40"),
            grain_ms: Envelope::constant(grain),
            time_jitter_ms: Envelope::constant(0.0),
            duration_s: Some(6.0),
            ..Params::default()
        };
        let pr = prep(&x, &p, Preset::Custom, 6);
        let (s, pl) = (&pr.settings, &pr.plan);
        let d = s.duration_s;
        let hop = pl.values_of("hop_ms").expect("hop recorded");
        assert_eq!(hop.len(), pl.hops());
        assert_eq!(pl.pos_s[0], 0.0);
        for (h, &t) in pl.pos_s.iter().enumerate() {
            let want = (10.0 + 30.0 * t / d).min(limit);
            assert!(
                (hop[h] - want).abs() < 1e-9,
                "grain {grain}: hop {h} at {t} s: {} vs {want}",
                hop[h]
            );
            if h + 1 < pl.hops() {
                assert_eq!(
                    pl.pos_s[h + 1],
                    t + hop[h] / 1000.0,
                    "t_(h+1) = t_h + hop(t_h) at hop {h}"
                );
            }
        }
        let last = pl.hops() - 1;
        assert!(
            pl.pos_s[last] <= d + 1e-9,
            "last hop at {} s > {d} s",
            pl.pos_s[last]
        );
        assert!(
            pl.pos_s[last] + hop[last] / 1000.0 > d,
            "the plan stops early: a hop would fit at {} s",
            pl.pos_s[last] + hop[last] / 1000.0
        );
        // Roughly the integral: dt/dh = hop(t).
        assert!(pl.hops() > 100, "{} hops", pl.hops());
    }
}

#[test]
fn varying_grain_sets_grain_lengths_and_limits_the_hop() {
    let x = bursts(3.0, 6);
    let mut p = Preset::Cloud.params();
    // 30 ms to 600 ms over the first 80 %, then held (so that hops sit at 600).
    p.grain_ms = env("0:30, 0.8:600");
    let pr = prep(&x, &p, Preset::Cloud, 8);
    let (s, a, pl) = (&pr.settings, &pr.analysis, &pr.plan);
    let sr = SR as f64;
    let d = s.duration_s;
    // Candidates are cut with the length at output time 0.
    assert_eq!(a.grain_len, (0.030 * sr).round() as usize);
    let grain = pl.values_of("grain_ms").expect("grain recorded");
    let hop = pl
        .values_of("hop_ms")
        .expect("hop recorded (limited per hop)");
    let tj = pl
        .values_of("time_jitter_ms")
        .expect("time jitter recorded");
    assert_eq!(pl.len.len(), pl.hops());
    assert_eq!(grain.len(), pl.hops());
    let mut t = 0.0f64;
    for h in 0..pl.hops() {
        assert_eq!(grain[h], s.curves.grain_ms.value_at(t), "grain at hop {h}");
        assert!((grain[h] - (30.0 + 570.0 * (t / (0.8 * d)).min(1.0))).abs() < 1e-9);
        let want_hop = 300f64.min(grain[h] / 2.0).max(1.0);
        assert_eq!(hop[h], want_hop, "hop at hop {h}: limited to grain/2");
        assert_eq!(
            tj[h],
            30f64.min(want_hop),
            "time jitter at hop {h}: limited to the hop"
        );
        assert!(
            (pl.pos_s[h] - t).abs() <= tj[h] / 1000.0 + 1e-12,
            "hop {h}: offset beyond the jitter"
        );
        let start = a.start[pl.grain[h] as usize];
        let want_len = ((grain[h] * sr / 1000.0).round() as usize).min(s.source_len - start);
        assert_eq!(pl.len[h] as usize, want_len, "grain length at hop {h}");
        t += hop[h] / 1000.0;
    }
    assert_eq!(pl.len[0] as usize, (0.030 * sr).round() as usize);
    let longest = *pl.len.iter().max().unwrap() as usize;
    assert_eq!(
        longest,
        (0.600 * sr).round() as usize,
        "the grains grow to 600 ms"
    );
    assert!(t > d, "hops cover the output");
    // The output renders with the varying lengths.
    let (out, _) = render_prepared(&pr, &[&x]);
    assert_eq!(out[0].len(), s.output_len());
    assert!(out[0].iter().all(|v| v.is_finite()));
}

// ---------------------------------------------------------------------------
// 4. Transposition.

/// Every grain equally likely (alpha 0.01, everything active), no time
/// jitter: grains start at many phases of the sine, so their overlaps do not
/// cancel (with a pure sine, the top-scoring grains can all share one phase).
fn sine_params(pitch: Envelope) -> Params {
    Params {
        pitch_st: pitch,
        alpha: Envelope::constant(0.01),
        floor_db: Envelope::constant(-100.0),
        time_jitter_ms: Envelope::constant(0.0),
        ..Params::default()
    }
}

/// A 437 Hz sine (not a multiple of the candidate or synthesis hops' rates).
const F0: f64 = 437.0;

fn sine_source() -> Vec<f32> {
    sine(F0, SR, 2 * SR as usize, 0.5, 0.0)
}

#[test]
fn constant_transposition_doubles_the_frequency() {
    let x = sine_source();
    for (st, ratio) in [(12.0, 2.0), (-12.0, 0.5)] {
        let pr = prep(&x, &sine_params(Envelope::constant(st)), Preset::Custom, 3);
        assert!(
            pr.plan.pitch_st.iter().all(|&p| p == st as f32),
            "plan.pitch_st must be {st} at every hop, got {:?}..",
            &pr.plan.pitch_st[..4.min(pr.plan.hops())]
        );
        let (out, _) = render_prepared(&pr, &[&x]);
        let o = &out[0];
        let n = o.len();
        let f = zero_crossing_freq(&o[n / 20..19 * n / 20], SR);
        let want = F0 * ratio;
        assert!(
            (f / want - 1.0).abs() < 0.03,
            "{st} st: output at {f:.1} Hz, want {want}"
        );
    }
}

#[test]
fn varying_transposition_moves_the_frequency() {
    let x = sine_source();
    let pr = prep(
        &x,
        &sine_params(env("0:12, 0.5:-12@step")),
        Preset::Custom,
        3,
    );
    let pl = &pr.plan;
    let tr = pl.values_of("pitch_st").expect("pitch_st recorded");
    let hop = pr.settings.hop_s();
    assert_eq!(tr.len(), pl.hops());
    for (h, &v) in tr.iter().enumerate() {
        let want = if h as f64 * hop < 1.0 { 12.0 } else { -12.0 };
        assert_eq!(v, want);
        assert_eq!(pl.pitch_st[h], want as f32);
    }
    let (out, _) = render_prepared(&pr, &[&x]);
    let o = &out[0];
    let n = o.len();
    let f1 = zero_crossing_freq(&o[n / 20..2 * n / 5], SR);
    let f2 = zero_crossing_freq(&o[3 * n / 5..19 * n / 20], SR);
    assert!(
        (f1 / (2.0 * F0) - 1.0).abs() < 0.03,
        "first half at {f1:.1} Hz, want {}",
        2.0 * F0
    );
    assert!(
        (f2 / (0.5 * F0) - 1.0).abs() < 0.03,
        "second half at {f2:.1} Hz, want {}",
        0.5 * F0
    );
}

#[test]
fn transposition_is_clamped_to_two_octaves() {
    let x = bursts(1.0, 7);
    let pr = prep(
        &x,
        &sine_params(env("0:-30, 0.5:0, 1:30")),
        Preset::Custom,
        3,
    );
    let s = &pr.settings;
    assert_eq!(s.curves.pitch_st.values(), [-24.0, 0.0, 24.0]);
    let line = s
        .adjustments
        .iter()
        .find(|l| l.contains("pitch_st"))
        .unwrap_or_else(|| panic!("no pitch_st adjustment in {:?}", s.adjustments));
    assert!(line.contains("30") && line.contains("24"), "{line}");
    let tr = pr.plan.values_of("pitch_st").expect("pitch_st recorded");
    assert!(tr.iter().all(|v| (-24.0..=24.0).contains(v)));
    assert_eq!(tr[0], -24.0);
    assert!(pr.plan.pitch_st.iter().all(|v| (-24.0..=24.0).contains(v)));

    let pr = prep(
        &x,
        &sine_params(Envelope::constant(-40.0)),
        Preset::Custom,
        3,
    );
    let s = &pr.settings;
    assert_eq!(s.pitch_st, -24.0);
    assert!(
        s.adjustments
            .iter()
            .any(|l| l.starts_with("pitch_st") && l.contains("-24")),
        "{:?}",
        s.adjustments
    );
}

// ---------------------------------------------------------------------------
// 5. Diversity.

#[test]
fn constant_diversity_sets_the_effective_grains() {
    let x = bursts(3.0, 8);
    for (preset, d) in [
        (Preset::Custom, 30.0),
        (Preset::Custom, 10.0),
        (Preset::Custom, 75.0),
        (Preset::Slabs, 30.0),
        (Preset::Crystallize, 50.0),
    ] {
        let p = Params {
            diversity: Some(Envelope::constant(d)),
            ..preset.params()
        };
        let pr = prep(&x, &p, preset, 9);
        let active = pr.attention.active_count() as f64;
        assert!(active >= 10.0, "{preset}: {active} active");
        let eff = pr.attention.effective_grains();
        let want = d / 100.0 * active;
        assert!(
            (eff - want).abs() <= 0.005 * active,
            "{preset} diversity {d}: {eff:.2} effective grains, want {want:.2} of {active}"
        );
        assert_eq!(pr.diversity.len(), 1, "{preset}: one control point");
        let cp = pr.diversity[0];
        assert_eq!(pr.settings.alpha, cp.alpha);
        assert_eq!(cp.diversity, d);
        assert!(!cp.clamped);
        assert!(pr.settings.curves.all_constant());
        assert!(pr.plan.values.is_empty());
        // The plan is the constant plan with the solved alpha.
        let mut q = preset.params();
        q.alpha = Envelope::constant(cp.alpha);
        let c = prep(&x, &q, preset, 9);
        assert_eq!(c.plan, pr.plan, "{preset}: diversity is alpha {}", cp.alpha);
    }
}

#[test]
fn varying_diversity_is_solved_at_control_points_and_geometric_between() {
    let x = bursts(3.0, 9);
    let p = Params {
        diversity: Some(env("90..5")),
        duration_s: Some(20.0),
        ..Params::default()
    };
    let pr = prep(&x, &p, Preset::Custom, 10);
    let s = &pr.settings;
    let d = s.duration_s;
    let cps = &pr.diversity;
    assert!(cps.len() >= 64, "{} control points", cps.len());
    assert!(
        cps.len() as f64 >= 4.0 * d,
        "{} control points over {d} s",
        cps.len()
    );
    assert_eq!(cps[0].t_s, 0.0);
    assert!((cps[cps.len() - 1].t_s - d).abs() < 1e-9);
    let active = pr.attention.active_count();
    for w in cps.windows(2) {
        assert!(w[1].t_s > w[0].t_s);
        assert!(w[1].diversity < w[0].diversity, "D falls");
        assert!(
            w[1].alpha >= w[0].alpha,
            "alpha must not fall as D falls: {w:?}"
        );
    }
    assert!(cps[cps.len() - 1].alpha > 4.0 * cps[0].alpha);
    for cp in cps.iter() {
        assert!((cp.diversity - (90.0 - 85.0 * cp.t_s / d)).abs() < 1e-9);
        assert_eq!(cp.active, active);
        let eff =
            attend(&pr.analysis.score, cp.alpha, s.floor_db, s.attention_norm).effective_grains();
        let want = (cp.diversity / 100.0 * active as f64).max(1.0);
        assert!(
            (eff - want).abs() <= 0.005 * active as f64,
            "control point at {} s: {eff:.2} effective, want {want:.2}",
            cp.t_s
        );
    }
    let alpha = pr.plan.values_of("alpha").expect("alpha recorded");
    assert_eq!(alpha.len(), pr.plan.hops());
    let hop = s.hop_s();
    let mut mids = 0;
    for (h, &a) in alpha.iter().enumerate() {
        let t = h as f64 * hop;
        let k = cps.partition_point(|c| c.t_s <= t).clamp(1, cps.len() - 1);
        let (c0, c1) = (&cps[k - 1], &cps[k]);
        let u = ((t - c0.t_s) / (c1.t_s - c0.t_s)).clamp(0.0, 1.0);
        let want = c0.alpha * (c1.alpha / c0.alpha).powf(u);
        assert!(
            (a / want - 1.0).abs() < 1e-9,
            "hop {h} at {t} s: alpha {a}, want {want} (geometric between {} and {})",
            c0.alpha,
            c1.alpha
        );
        assert!(a >= c0.alpha.min(c1.alpha) * (1.0 - 1e-12));
        assert!(a <= c0.alpha.max(c1.alpha) * (1.0 + 1e-12));
        if (u - 0.5).abs() < 1e-9 {
            assert!((a / (c0.alpha * c1.alpha).sqrt() - 1.0).abs() < 1e-9);
            mids += 1;
        }
    }
    // 20 s, 80 intervals of 0.25 s, hops of 25 ms: 0.125 s is a midpoint.
    assert!(mids >= 40, "{mids} hops halfway between control points");
}

#[test]
fn diversity_beyond_alpha_001_clamps_with_an_adjustment() {
    // Quiet noise with one loud click: under the `mean` norm even alpha 0.01
    // keeps the click's grains much likelier than the rest, so D = 100 % asks
    // for more grains than any alpha >= 0.01 gives.
    let mut r = rng(10);
    let mut x: Vec<f32> = (0..6 * SR as usize)
        .map(|_| 0.001 * (2.0 * uniform(&mut r) - 1.0) as f32)
        .collect();
    for v in &mut x[3 * SR as usize..3 * SR as usize + 80] {
        *v = 0.9;
    }
    let p = Params {
        diversity: Some(Envelope::constant(100.0)),
        floor_db: Envelope::constant(-100.0),
        attention_norm: gar_core::AttentionNorm::Mean,
        ..Params::default()
    };
    let pr = prep(&x, &p, Preset::Custom, 1);
    assert_eq!(pr.settings.alpha, 0.01);
    assert!(pr.diversity[0].clamped);
    let line = pr
        .settings
        .adjustments
        .iter()
        .find(|l| l.contains("diversity"))
        .unwrap_or_else(|| panic!("no diversity adjustment in {:?}", pr.settings.adjustments));
    assert!(line.contains("0.01"), "{line}");
    let active = pr.attention.active_count() as f64;
    assert!(pr.attention.effective_grains() < 0.995 * active);

    // Varying: the points that cannot be reached sit at 0.01, and say so.
    let p = Params {
        diversity: Some(env("100..50")),
        duration_s: Some(6.0),
        ..p
    };
    let pr = prep(&x, &p, Preset::Custom, 1);
    assert!(pr.diversity[0].clamped && pr.diversity[0].alpha == 0.01);
    assert!(pr.diversity.last().unwrap().alpha > 0.01);
    assert!(
        pr.settings
            .adjustments
            .iter()
            .any(|l| l.contains("diversity")),
        "{:?}",
        pr.settings.adjustments
    );
}
