//! The per-hop sampler for parameters that change at every hop
//! (`gar_core::varying`, docs/algorithm.md sections 5, 6 and 12): its picks follow
//! exactly the distribution of each hop's alpha, floor and recency.
//!
//! Goodness of fit: Pearson's chi-square of the pick counts against the expected
//! counts `sum_h q_h(i)`, cells with an expectation below 5 pooled into one. With
//! recency the expected counts are summed along the drawn sequence (each hop's
//! `q_h` given its actual recent picks): the count minus that sum is a martingale
//! whose variance is at most the expected count, so the statistic is at most
//! chi-square distributed (conservative). Critical values are the upper 0.1 %
//! point (Wilson-Hilferty), and the seeds are fixed, so the outcome is
//! deterministic.

use gar_core::AttentionNorm::{self, Mean, Range};
use gar_core::attention::attend;
use gar_core::plan::{GarRng, uniform};
use gar_core::varying::{HEAD, VaryingSampler, penalised};
use rand_core::SeedableRng;

fn rng(seed: u64) -> GarRng {
    GarRng::seed_from_u64(seed)
}

/// Runs `f` on a thread and fails if it takes longer than `secs`: a sampler
/// that never accepts fails the test instead of hanging it.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("the draws did not finish in time: the sampler does not terminate")
}

/// Random scores in [0, 1] (`u^3`, 5 % exact zeros), max normalised to 1.
fn random_scores(seed: u64, n: usize) -> Vec<f64> {
    let mut r = rng(seed);
    let mut s: Vec<f64> = (0..n)
        .map(|_| {
            let u = uniform(&mut r);
            if u < 0.05 { 0.0 } else { u.powi(3) }
        })
        .collect();
    let m = s.iter().cloned().fold(0.0, f64::max);
    s.iter_mut().for_each(|x| *x /= m);
    s
}

/// Upper 0.1 % point of the chi-square distribution with `df` degrees of
/// freedom (Wilson-Hilferty; within 1 % of the exact value from df 3 on).
fn chi2_crit_001(df: usize) -> f64 {
    let exact = [10.828, 13.816, 16.266];
    if df <= 3 {
        return exact[df.max(1) - 1];
    }
    let d = df as f64;
    let z = 3.090232;
    d * (1.0 - 2.0 / (9.0 * d) + z * (2.0 / (9.0 * d)).sqrt()).powi(3)
}

/// Pearson's chi-square of `counts` against the expected counts `expected`
/// (same total), cells below 5 pooled. Cells expected exactly 0 must be empty.
/// Returns (statistic, degrees of freedom).
fn chi_square_pooled(counts: &[u64], expected: &[f64]) -> (f64, usize) {
    let total: u64 = counts.iter().sum();
    let e_total: f64 = expected.iter().sum();
    assert!(
        (e_total - total as f64).abs() < 1e-6 * total as f64 + 1e-6,
        "expected {e_total} vs {total} draws"
    );
    let (mut chi, mut cells) = (0.0, 0usize);
    let (mut pc, mut pe) = (0u64, 0.0);
    for (&c, &e) in counts.iter().zip(expected) {
        if e == 0.0 {
            assert_eq!(c, 0, "a candidate with probability 0 was drawn");
        } else if e < 5.0 {
            pc += c;
            pe += e;
        } else {
            chi += (c as f64 - e).powi(2) / e;
            cells += 1;
        }
    }
    if pe >= 5.0 {
        chi += (pc as f64 - pe).powi(2) / pe;
        cells += 1;
    } else {
        // A pool too small to test: it must not be grossly over-drawn.
        assert!(
            (pc as f64) <= pe + 6.0 * pe.sqrt() + 6.0,
            "pooled rare cells drawn {pc} times, expected {pe}"
        );
    }
    (chi, cells.max(2) - 1)
}

fn assert_fits(counts: &[u64], expected: &[f64], what: &str) {
    let (chi, df) = chi_square_pooled(counts, expected);
    let crit = chi2_crit_001(df);
    assert!(chi < crit, "{what}: chi2 {chi:.1} >= {crit:.1} (df {df})");
}

/// Draws `hops` picks with `alpha(h)`, `floor(h)` and recency `rec`, and returns
/// the counts and the expected counts summed along the drawn sequence.
fn run(
    s: &[f64],
    norm: AttentionNorm,
    hops: usize,
    rec: f64,
    seed: u64,
    alpha: impl Fn(usize) -> f64,
    floor: impl Fn(usize) -> f64,
) -> (Vec<u64>, Vec<f64>, VaryingSampler) {
    let n = s.len();
    let mut vs = VaryingSampler::new(s, norm);
    let mut r = rng(seed);
    let mut counts = vec![0u64; n];
    let mut expect = vec![0.0f64; n];
    let mut recent = [None; 3];
    // attend() once per distinct (alpha, floor) in a row.
    let mut cached: Option<(u64, u64, Vec<f64>)> = None;
    for h in 0..hops {
        let (a, f) = (alpha(h), floor(h));
        if cached
            .as_ref()
            .is_none_or(|c| c.0 != a.to_bits() || c.1 != f.to_bits())
        {
            cached = Some((a.to_bits(), f.to_bits(), attend(s, a, f, norm).prob));
        }
        let prob = &cached.as_ref().unwrap().2;
        let q = if rec > 0.0 {
            penalised(prob, rec, &recent)
        } else {
            prob.clone()
        };
        for (e, x) in expect.iter_mut().zip(&q) {
            *e += x;
        }
        let g = vs.draw(a, f, rec, &recent, &mut r);
        assert!(prob[g as usize] > 0.0, "hop {h}: grain {g} is not active");
        counts[g as usize] += 1;
        recent = [Some(g), recent[0], recent[1]];
    }
    (counts, expect, vs)
}

#[test]
fn alpha_jumping_at_every_hop_matches_the_per_hop_distributions() {
    // 300 candidates: the head, then tail blocks of 1, 2, 4, ... ranks.
    let s = random_scores(1, 300);
    for (norm, lo, hi) in [(Range, 0.5f64, 60.0f64), (Mean, 0.05, 6.0)] {
        // 997 distinct alphas, visited in a scrambled order: a new value every hop.
        let alphas: Vec<f64> = (0..997)
            .map(|i| lo * (hi / lo).powf(i as f64 / 996.0))
            .collect();
        let hops = 300_000;
        let mut per = vec![0usize; alphas.len()];
        for h in 0..hops {
            per[(h * 389) % 997] += 1;
        }
        let mut vs = VaryingSampler::new(&s, norm);
        let mut r = rng(2);
        let mut counts = vec![0u64; s.len()];
        for h in 0..hops {
            let g = vs.draw(alphas[(h * 389) % 997], -2.0, 0.0, &[None; 3], &mut r);
            counts[g as usize] += 1;
        }
        let mut expect = vec![0.0; s.len()];
        for (a, &c) in alphas.iter().zip(&per) {
            for (e, p) in expect
                .iter_mut()
                .zip(vs.expected(*a, -2.0, 0.0, &[None; 3]))
            {
                *e += c as f64 * p;
            }
        }
        assert_fits(&counts, &expect, &format!("{norm:?} jumping alpha"));
        assert!(vs.tries() < 2 * hops as u64, "{} tries", vs.tries());
    }
}

#[test]
fn smooth_alpha_and_floor_envelopes_match_the_per_hop_distributions() {
    // Alpha sweeps 1 -> 40 -> 1 geometrically (the tables are reused across
    // hops with other alphas and rebuilt now and then), the floor moves every
    // hop too; no recency, so each hop is an independent exact draw.
    let s = random_scores(3, 400);
    let hops = 240_000;
    let period = 40_000.0;
    let alpha = |h: usize| {
        let x = (h as f64 / period).fract();
        let tri = 1.0 - (2.0 * x - 1.0).abs();
        40f64.powf(tri)
    };
    for norm in [Range, Mean] {
        let scale = if norm == Mean { 0.1 } else { 1.0 };
        let floor = |h: usize| -4.0 + 5.0 * (h as f64 / hops as f64);
        let (counts, expect, vs) = run(&s, norm, hops, 0.0, 4, |h| scale * alpha(h), floor);
        assert_fits(&counts, &expect, &format!("{norm:?} smooth envelopes"));
        assert!(vs.builds() < hops as u64 / 20, "{} builds", vs.builds());
        assert!(vs.tries() < hops as u64 * 13 / 10, "{} tries", vs.tries());
    }
}

#[test]
fn a_step_change_gives_each_stretch_its_own_distribution() {
    let s = random_scores(5, 250);
    let (a1, f1, a2, f2) = (2.0, -3.0, 30.0, 2.0);
    let half = 200_000;
    let mut vs = VaryingSampler::new(&s, Range);
    let mut r = rng(6);
    let mut c1 = vec![0u64; s.len()];
    let mut c2 = vec![0u64; s.len()];
    for h in 0..2 * half {
        let (a, f, c) = if h < half {
            (a1, f1, &mut c1)
        } else {
            (a2, f2, &mut c2)
        };
        c[vs.draw(a, f, 0.0, &[None; 3], &mut r) as usize] += 1;
    }
    let p1 = vs.expected(a1, f1, 0.0, &[None; 3]);
    let p2 = vs.expected(a2, f2, 0.0, &[None; 3]);
    let e1: Vec<f64> = p1.iter().map(|p| p * half as f64).collect();
    let e2: Vec<f64> = p2.iter().map(|p| p * half as f64).collect();
    assert_fits(&c1, &e1, "first stretch");
    assert_fits(&c2, &e2, "second stretch");
    // The second floor rejects grains the first one used.
    let rejected = (0..s.len()).filter(|&i| p2[i] == 0.0 && c1[i] > 0).count();
    assert!(rejected > 10, "{rejected}");
    assert!(c2.iter().zip(&p2).all(|(&c, &p)| p > 0.0 || c == 0));
}

#[test]
fn recency_with_a_fixed_alpha_matches_the_exact_law_along_the_sequence() {
    let s = random_scores(7, 120);
    for (norm, alpha, rec) in [
        (Range, 8.0, 0.5),
        (Range, 8.0, 1.0),
        (Range, 60.0, 0.9),
        (Mean, 1.0, 0.7),
    ] {
        let (counts, expect, vs) = run(&s, norm, 150_000, rec, 8, |_| alpha, |_| -1.0);
        assert_fits(
            &counts,
            &expect,
            &format!("{norm:?} alpha {alpha} recency {rec}"),
        );
        assert!(vs.tries() < 150_000 * 2, "{} tries", vs.tries());
    }
}

#[test]
fn recency_with_a_varying_alpha_matches_the_exact_law_along_the_sequence() {
    let s = random_scores(9, 200);
    let alpha = |h: usize| 1.5 * 30f64.powf(((h as f64) / 25_000.0).sin().abs());
    let (counts, expect, _) = run(&s, Range, 400_000, 0.6, 30, alpha, |_| 0.0);
    assert_fits(&counts, &expect, "varying alpha with recency");
}

#[test]
fn a_rising_floor_never_draws_a_rejected_grain() {
    // The floor rises a little at every hop, so the active set shrinks while
    // the proposal tables are kept (they may cover a few ranks that have just
    // been rejected): `run` checks that every pick is active at its hop.
    let s = random_scores(27, 3000);
    let hops = 30_000;
    let floor = |h: usize| -8.0 + 11.0 * h as f64 / hops as f64;
    for (alpha, rec) in [(0.3, 0.0), (3.0, 0.5)] {
        let (counts, expect, vs) = run(&s, Range, hops, rec, 28, |_| alpha, floor);
        assert_fits(&counts, &expect, &format!("rising floor, alpha {alpha}"));
        assert!(vs.builds() < 200, "{} builds", vs.builds());
    }
}

#[test]
fn the_same_seed_gives_the_same_picks() {
    let s = random_scores(11, 1000);
    let picks = |seed| {
        let mut vs = VaryingSampler::new(&s, Range);
        let mut r = rng(seed);
        let mut recent = [None; 3];
        (0..5000)
            .map(|h| {
                let g = vs.draw(1.0 + (h % 37) as f64, -1.0, 0.5, &recent, &mut r);
                recent = [Some(g), recent[0], recent[1]];
                g
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(3), picks(3));
    assert_ne!(picks(3), picks(4));
}

#[test]
fn the_gate_is_attends_gate() {
    for seed in 0..5 {
        let mut s = random_scores(100 + seed, 777);
        // Exact ties, including at the top.
        s[10] = 1.0;
        s[20] = s[30];
        for norm in [Range, Mean] {
            let vs = VaryingSampler::new(&s, norm);
            for floor in [-30.0, -6.0, -1.5, 0.0, 0.5, 3.0, 6.0, 40.0] {
                let a = attend(&s, 5.0, floor, norm);
                let g = vs.gate(floor);
                assert_eq!(g.active, a.active_count(), "floor {floor}");
                assert_eq!(g.fallback, a.fallback);
                assert_eq!(g.floor_value, a.floor_value);
                let e = vs.expected(5.0, floor, 0.0, &[None; 3]);
                for (x, p) in e.iter().zip(&a.prob) {
                    assert!((x - p).abs() <= 1e-15, "{x} vs {p}");
                }
            }
        }
    }
}

#[test]
fn alpha_ten_thousand_shares_among_the_tied_best_grains() {
    // Three grains tied at the top; the next one is 1 % below, which alpha 10^4
    // puts at exp(-500) (the clamp).
    let mut s = random_scores(12, 500);
    for x in s.iter_mut() {
        *x *= 0.99;
    }
    for i in [17, 250, 499] {
        s[i] = 1.0;
    }
    for rec in [0.0, 0.5, 1.0] {
        let (counts, expect, vs) = run(&s, Range, 60_000, rec, 13, |_| 1e4, |_| 0.0);
        assert_fits(&counts, &expect, &format!("ties, recency {rec}"));
        let top: u64 = [17, 250, 499].iter().map(|&i| counts[i]).sum();
        assert_eq!(top, 60_000);
        assert!(vs.tries() < 60_000 * 2);
    }
}

#[test]
fn a_floor_above_every_score_keeps_only_the_best() {
    let mut s = random_scores(14, 300);
    s[40] = 1.0;
    s[90] = 1.0; // tied: the first one is the best, as in attend
    for norm in [Range, Mean] {
        let mut vs = VaryingSampler::new(&s, norm);
        let g = vs.gate(30.0);
        assert!(g.fallback);
        assert_eq!(g.active, 1);
        assert!(attend(&s, 5.0, 30.0, norm).fallback);
        let (vs, recent) = within(60, move || {
            let mut r = rng(15);
            let mut recent = [None; 3];
            for h in 0..2000 {
                // Recency 1 penalises the only grain fully: drawn from prob anyway.
                let alpha = 0.01 * 1.01f64.powi(h % 900);
                let g = vs.draw(alpha, 30.0, 1.0, &recent, &mut r);
                assert_eq!(g, 40);
                recent = [Some(g), recent[0], recent[1]];
            }
            (vs, recent)
        });
        let e = vs.expected(3.0, 30.0, 1.0, &recent);
        assert_eq!(e[40], 1.0);
        assert_eq!(e.iter().sum::<f64>(), 1.0);
    }
}

#[test]
fn one_dominant_grain_under_full_recency_does_not_stall() {
    // Grain 5 has all the mass at alpha 10^4 (everyone else sits at the
    // exp(-500) clamp, or close to it at alpha 60): with recency 1 it is
    // forbidden right after being picked, and the draw must find the others
    // without trying them one by one.
    let n = 5000;
    let mut s = random_scores(16, n);
    for x in s.iter_mut() {
        *x *= 0.5;
    }
    s[5] = 1.0;
    for (alpha, rec) in [(1e4, 1.0), (60.0, 1.0), (1e4, 0.999), (200.0, 0.8)] {
        let hops = 40_000;
        let sc = s.clone();
        let (counts, expect, vs) = within(120, move || {
            run(&sc, Range, hops, rec, 17, |_| alpha, |_| -3.0)
        });
        assert_fits(
            &counts,
            &expect,
            &format!("dominant, alpha {alpha} rec {rec}"),
        );
        // Bounded work: the tries per draw stay a small constant.
        assert!(
            vs.tries() < hops as u64 * 3 / 2,
            "alpha {alpha}: {} tries for {hops} draws",
            vs.tries()
        );
        if rec == 1.0 {
            assert!(counts[5] > 0 && counts[5] <= hops as u64 / 2 + 1);
        }
    }
    // The same with a draw at a time: no draw takes more than a few tries.
    within(60, move || {
        let mut vs = VaryingSampler::new(&s, Range);
        let mut r = rng(18);
        let mut recent = [None; 3];
        for _ in 0..10_000 {
            let before = vs.tries();
            let g = vs.draw(1e4, -3.0, 1.0, &recent, &mut r);
            assert!(vs.tries() - before <= 40, "{} tries", vs.tries() - before);
            assert_ne!(Some(g), recent[0]);
            recent = [Some(g), recent[0], recent[1]];
        }
    });
}

#[test]
fn alpha_one_hundredth_is_nearly_uniform_over_the_survivors() {
    let s = random_scores(19, 700);
    for norm in [Range, Mean] {
        let (counts, expect, vs) = run(&s, norm, 140_000, 0.0, 20, |_| 0.01, |_| -2.0);
        assert_fits(&counts, &expect, &format!("{norm:?} alpha 0.01"));
        let p = vs.expected(0.01, -2.0, 0.0, &[None; 3]);
        let on: Vec<f64> = p.into_iter().filter(|&x| x > 0.0).collect();
        let (lo, hi) = on
            .iter()
            .fold((1.0f64, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        let limit = if norm == Range { 1.011 } else { 1.2 };
        assert!(hi / lo < limit, "{norm:?}: {}", hi / lo);
        assert!(vs.tries() < 140_000 * 11 / 10);
    }
}

#[test]
fn equal_scores_share_equally_even_when_the_range_is_zero() {
    // All equal: `range` has scale 0 (the best grain is at the floor), so the
    // tied best grains share the mass equally, as in attend. The mean of 100
    // times 0.7 rounds above 0.7: the gate's tolerance keeps them all.
    let s = vec![0.7; 100];
    assert!(s.iter().sum::<f64>() / 100.0 > 0.7);
    for norm in [Range, Mean] {
        let g = VaryingSampler::new(&s, norm).gate(0.0);
        assert_eq!((g.active, g.fallback), (100, false));
        for rec in [0.0, 1.0] {
            let (counts, expect, _) = run(&s, norm, 50_000, rec, 21, |h| 1.0 + h as f64, |_| 0.0);
            assert_fits(&counts, &expect, &format!("{norm:?} equal, recency {rec}"));
        }
    }
}

#[test]
fn tiny_candidate_sets() {
    // N = 1: always candidate 0, whatever the parameters (recency 1 included).
    within(60, || {
        let mut vs = VaryingSampler::new(&[0.3], Range);
        let mut r = rng(22);
        let mut recent = [None; 3];
        for h in 0..1000 {
            let (alpha, floor) = (0.01 + h as f64, -10.0 + (h % 30) as f64);
            let g = vs.draw(alpha, floor, 1.0, &recent, &mut r);
            assert_eq!(g, 0);
            recent = [Some(g), recent[0], recent[1]];
        }
    });
    // Around the head's size.
    for n in [2, 3, HEAD - 1, HEAD, HEAD + 1, 2 * HEAD + 1] {
        let s = random_scores(23 + n as u64, n);
        let (counts, expect, _) = run(
            &s,
            Range,
            40_000,
            0.5,
            24,
            |h| 0.5 + (h % 20) as f64,
            |_| -6.0,
        );
        assert_fits(&counts, &expect, &format!("n = {n}"));
    }
}

#[test]
fn large_sets_cost_a_constant_number_of_tries_per_hop() {
    // 200 000 candidates, every regime: each draw is O(log N) work plus O(1)
    // expected tries; the tables are rebuilt only when alpha or the floor moved.
    let s = random_scores(25, 200_000);
    let hops = 20_000u64;
    for (alpha, floor, rec) in [
        (0.01, -10.0, 0.5),
        (1.0, 0.0, 0.5),
        (40.0, 0.0, 0.5),
        (1e4, 0.0, 1.0),
        (1e4, 3.0, 0.0),
    ] {
        let mut vs = VaryingSampler::new(&s, Range);
        let mut r = rng(26);
        let mut recent = [None; 3];
        for _ in 0..hops {
            let g = vs.draw(alpha, floor, rec, &recent, &mut r);
            recent = [Some(g), recent[0], recent[1]];
        }
        assert!(
            vs.tries() < hops * 13 / 10,
            "alpha {alpha} floor {floor}: {} tries",
            vs.tries()
        );
        assert_eq!(vs.builds(), 1);
    }
}
