//! The sampler (docs/algorithm.md, section 6): the grain draws follow `prob` exactly without
//! recency, and the exact stationary law of the recency Markov chain with it.
//!
//! Chi-square critical values are for p = 0.001 (upper tail), so a correct
//! sampler fails one of these checks with probability 0.1 % per check; the seeds
//! are fixed, so the outcome is deterministic.

mod common;

use common::chi_square;
use gar_core::plan::{GarRng, Sampler, hop_count, make_plan, recency_factors, uniform};
use gar_core::{Params, Preset, Settings};
use rand_core::SeedableRng;

/// Upper 0.1 % point of the chi-square distribution, `df` = 1..=12.
fn chi2_crit_001(df: usize) -> f64 {
    [
        10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264,
        32.909,
    ][df - 1]
}

/// Settings for a plan of `hops` hops (1 ms apart, no jitter) with recency `r`.
fn plan_settings(r: f64, hops: usize) -> Settings {
    let s = Params {
        grain_ms: gar_core::Envelope::from(5.0),
        hop_ms: gar_core::Envelope::from(1.0),
        cand_hop_ms: 1.0,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        pitch_jitter_st: gar_core::Envelope::from(0.0),
        recency: r.into(),
        duration_s: Some((hops - 1) as f64 * 0.001),
        ..Params::default()
    }
    .resolve(Preset::Custom, 8000, 800)
    .unwrap();
    assert_eq!(hop_count(&s), hops);
    s
}

fn counts(picks: impl IntoIterator<Item = u32>, n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n];
    for p in picks {
        c[p as usize] += 1;
    }
    c
}

// Candidates 2 and 5 have probability 0: they are not survivors.
const PROB: [f64; 7] = [0.35, 0.25, 0.0, 0.2, 0.12, 0.0, 0.08];

#[test]
fn plain_draws_follow_prob() {
    let sampler = Sampler::new(&PROB);
    let mut rng = GarRng::seed_from_u64(1);
    let n = 200_000;
    let c = counts((0..n).map(|_| sampler.draw_plain(&mut rng)), PROB.len());
    // 5 survivors: 4 degrees of freedom.
    let chi = chi_square(&c, &PROB);
    assert!(chi < chi2_crit_001(4), "chi2 {chi}, counts {c:?}");
}

#[test]
fn plan_without_recency_follows_prob() {
    let hops = 200_000;
    let s = plan_settings(0.0, hops);
    let plan = make_plan(&PROB, &s, 7);
    assert_eq!(plan.hops(), hops);
    let c = counts(plan.grain.iter().copied(), PROB.len());
    let chi = chi_square(&c, &PROB);
    assert!(chi < chi2_crit_001(4), "chi2 {chi}, counts {c:?}");
    assert_eq!(
        plan.usage(PROB.len()),
        c.iter().map(|&x| x as u32).collect::<Vec<_>>()
    );
    // The plan's positions are the exact hop times without jitter.
    for (h, &p) in plan.pos_s.iter().enumerate().step_by(997) {
        assert_eq!(p, h as f64 * 0.001);
    }
    assert!(plan.pitch_st.iter().all(|&p| p == 0.0));
}

/// The recency chain of docs/algorithm.md, section 6 on the survivors of `prob`: state =
/// the last three picks (r1, r2, r3). Returns the stationary pick law and the
/// asymptotic covariance (per draw) of the pick indicator counts of the first
/// `k - 1` survivors, from the Markov chain central limit theorem:
/// `Sigma = C_0 + sum_{t >= 1} (C_t + C_t^T)`, `C_t = Cov(f(X_0), f(X_t))`.
fn recency_chain(p: &[f64], r: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = p.len();
    let ns = k * k * k;
    let enc = |a: usize, b: usize, c: usize| (a * k + b) * k + c;
    // Transitions: from each state, to (i, r1, r2) with probability q_i / sum q.
    let mut trans: Vec<Vec<(usize, f64)>> = Vec::with_capacity(ns);
    for s in 0..ns {
        let (r1, r2, r3) = (s / (k * k), (s / k) % k, s % k);
        let mut q: Vec<f64> = (0..k)
            .map(|i| {
                let mut f = 1.0;
                if i == r1 {
                    f *= 1.0 - r;
                }
                if i == r2 {
                    f *= 1.0 - 0.6 * r;
                }
                if i == r3 {
                    f *= 1.0 - 0.3 * r;
                }
                p[i] * f
            })
            .collect();
        let mut sum: f64 = q.iter().sum();
        if sum == 0.0 {
            q = p.to_vec();
            sum = q.iter().sum();
        }
        trans.push((0..k).map(|i| (enc(i, r1, r2), q[i] / sum)).collect());
    }
    // Stationary distribution by power iteration.
    let mut pi = vec![1.0 / ns as f64; ns];
    for _ in 0..20_000 {
        let mut next = vec![0.0; ns];
        for s in 0..ns {
            for &(t, w) in &trans[s] {
                next[t] += pi[s] * w;
            }
        }
        let diff: f64 = next.iter().zip(&pi).map(|(a, b)| (a - b).abs()).sum();
        pi = next;
        if diff < 1e-15 {
            break;
        }
    }
    let r1 = |s: usize| s / (k * k);
    let mu: Vec<f64> = (0..k)
        .map(|j| (0..ns).filter(|&s| r1(s) == j).map(|s| pi[s]).sum())
        .collect();
    // Covariance of the indicators f_j = [r1 == j], j < k - 1.
    let m = k - 1;
    let mut sigma = vec![vec![0.0; m]; m];
    for j in 0..m {
        sigma[j][j] = mu[j];
        for l in 0..m {
            sigma[j][l] -= mu[j] * mu[l];
        }
    }
    // g[l][s] = E[f_l(X_t) | X_0 = s], stepped t = 1, 2, ...
    let mut g: Vec<Vec<f64>> = (0..m)
        .map(|l| (0..ns).map(|s| f64::from(u8::from(r1(s) == l))).collect())
        .collect();
    for t in 1..=400 {
        for gl in g.iter_mut() {
            let next: Vec<f64> = (0..ns)
                .map(|s| trans[s].iter().map(|&(u, w)| w * gl[u]).sum())
                .collect();
            *gl = next;
        }
        let mut largest = 0f64;
        for j in 0..m {
            for l in 0..m {
                let c: f64 = (0..ns)
                    .filter(|&s| r1(s) == j)
                    .map(|s| pi[s] * g[l][s])
                    .sum::<f64>()
                    - mu[j] * mu[l];
                sigma[j][l] += c;
                sigma[l][j] += c;
                largest = largest.max(c.abs());
            }
        }
        if largest < 1e-16 {
            break;
        }
        assert!(t < 400, "the chain's correlations do not decay");
    }
    (mu, sigma)
}

/// `x^T A^{-1} x` by Gaussian elimination (A symmetric positive definite).
fn quad_inv(a: &[Vec<f64>], x: &[f64]) -> f64 {
    let m = x.len();
    let mut aug: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            let mut row = a[i].clone();
            row.push(x[i]);
            row
        })
        .collect();
    for c in 0..m {
        let piv = (c..m)
            .max_by(|&i, &j| aug[i][c].abs().total_cmp(&aug[j][c].abs()))
            .unwrap();
        aug.swap(c, piv);
        for r in 0..m {
            if r != c {
                let f = aug[r][c] / aug[c][c];
                let pivot_row = aug[c].clone();
                for (v, p) in aug[r].iter_mut().zip(&pivot_row).skip(c) {
                    *v -= f * p;
                }
            }
        }
    }
    (0..m).map(|i| x[i] * aug[i][m] / aug[i][i]).sum()
}

/// Chi-square statistic of the pick counts of a recency chain against its
/// stationary law: `n d^T Sigma^{-1} d`, `d` = frequency - law on the first
/// k - 1 cells. Asymptotically chi-square with k - 1 degrees of freedom.
/// (Pearson's statistic would assume independent draws; the chain's are not.)
fn chain_statistic(c: &[u64], mu: &[f64], sigma: &[Vec<f64>]) -> f64 {
    let n: u64 = c.iter().sum();
    let d: Vec<f64> = (0..mu.len() - 1)
        .map(|j| c[j] as f64 / n as f64 - mu[j])
        .collect();
    n as f64 * quad_inv(sigma, &d)
}

#[test]
fn recency_chain_reference_is_sound() {
    // Without recency the chain's law is prob and the picks are independent.
    let p = [0.5, 0.3, 0.15, 0.05];
    let (mu, sigma) = recency_chain(&p, 0.0);
    for j in 0..4 {
        assert!((mu[j] - p[j]).abs() < 1e-12);
    }
    for j in 0..3 {
        for l in 0..3 {
            let iid = if j == l { p[j] } else { 0.0 } - p[j] * p[l];
            assert!((sigma[j][l] - iid).abs() < 1e-12);
        }
    }
    // Symmetric survivors stay symmetric under any penalty.
    let (mu, _) = recency_chain(&[0.25; 4], 0.7);
    assert!(mu.iter().all(|m| (m - 0.25).abs() < 1e-12), "{mu:?}");
    // A penalty moves mass from the likely grains to the unlikely ones.
    let (mu, _) = recency_chain(&p, 0.5);
    assert!(mu[0] < p[0] && mu[3] > p[3], "{mu:?}");
    assert!((mu.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn plan_with_recency_follows_the_stationary_law_of_the_chain() {
    // Survivors 0, 1, 3, 4 (2 and 5 have prob 0), unequal.
    let prob = [0.55, 0.25, 0.0, 0.15, 0.05, 0.0];
    let surv = [0usize, 1, 3, 4];
    let p: Vec<f64> = surv.iter().map(|&i| prob[i]).collect();
    // 200k hops; 4 survivors: 3 degrees of freedom, critical value 16.266.
    let hops = 200_000;
    for (r, seed) in [(0.5, 11u64), (1.0, 12), (0.2, 13)] {
        let (mu, sigma) = recency_chain(&p, r);
        // The penalty really changes the law (else this test would prove nothing).
        assert!((mu[0] - p[0]).abs() > 0.02, "R {r}: {mu:?}");
        let plan = make_plan(&prob, &plan_settings(r, hops), seed);
        let all = counts(plan.grain.iter().copied(), prob.len());
        assert_eq!(all[2] + all[5], 0);
        let c: Vec<u64> = surv.iter().map(|&i| all[i]).collect();
        let stat = chain_statistic(&c, &mu, &sigma);
        eprintln!("R {r}: chain statistic {stat:.2} (df 3), law {mu:?}");
        assert!(
            stat < chi2_crit_001(3),
            "R {r}: stat {stat}, counts {c:?}, law {mu:?}"
        );
        // And it is far from what ignoring the recency would give (the p = 0.001
        // critical value is 16.3; R = 0.2 gives about 1000 at 200k hops).
        let wrong = chi_square(&c, &p);
        assert!(wrong > 200.0, "R {r}: {wrong}");
    }
}

#[test]
fn penalised_draws_in_a_loop_follow_the_chain() {
    // The sampler's own building blocks, driven by hand, five survivors.
    let p = [0.3, 0.3, 0.2, 0.15, 0.05];
    let r = 0.7;
    let (mu, sigma) = recency_chain(&p, r);
    let sampler = Sampler::new(&p);
    let mut rng = GarRng::seed_from_u64(99);
    let mut recent: [Option<u32>; 3] = [None; 3];
    let mut c = vec![0u64; 5];
    for _ in 0..200_000 {
        let (f, k) = recency_factors(&recent, r);
        let g = sampler.draw_penalised(&f[..k], &mut rng);
        c[g as usize] += 1;
        recent = [Some(g), recent[0], recent[1]];
    }
    let stat = chain_statistic(&c, &mu, &sigma);
    eprintln!("R {r}: chain statistic {stat:.2} (df 4)");
    assert!(
        stat < chi2_crit_001(4),
        "stat {stat}, counts {c:?}, law {mu:?}"
    );
}

#[test]
fn recency_factors_multiply_per_slot() {
    let r = 0.5;
    let (f, k) = recency_factors(&[None, None, None], r);
    assert_eq!(k, 0);
    let _ = f;
    let (f, k) = recency_factors(&[Some(4), Some(2), Some(9)], r);
    assert_eq!(&f[..k], &[(4, 0.5), (2, 0.7), (9, 0.85)]);
    // The same grain in several slots: the factors multiply.
    let (f, k) = recency_factors(&[Some(4), Some(2), Some(4)], r);
    assert_eq!(&f[..k], &[(4, 0.5 * 0.85), (2, 0.7)]);
    let (f, k) = recency_factors(&[Some(3), Some(3), Some(3)], 1.0);
    assert_eq!(k, 1);
    assert_eq!(f[0].0, 3);
    assert!((f[0].1 - 0.0).abs() < 1e-15);
}

#[test]
fn penalised_draws_match_q_over_sum_q_exactly() {
    // Each configuration: (recent picks with factors), against q / sum q.
    let p = [0.4, 0.0, 0.25, 0.2, 0.1, 0.05];
    let sampler = Sampler::new(&p);
    let configs: Vec<Vec<(u32, f64)>> = vec![
        vec![],
        vec![(0, 0.0)],
        vec![(0, 0.5), (2, 0.7), (5, 0.85)],
        vec![(5, 0.0), (4, 0.4), (0, 0.7)],
        // Candidate 1 has prob 0: its factor must change nothing.
        vec![(1, 0.0), (3, 0.2)],
        vec![(3, 0.0), (2, 0.0), (0, 0.0)],
    ];
    let mut rng = GarRng::seed_from_u64(5);
    for recent in configs {
        let mut q = p.to_vec();
        for &(i, f) in &recent {
            q[i as usize] *= f;
        }
        let sum: f64 = q.iter().sum();
        q.iter_mut().for_each(|x| *x /= sum);
        let c = counts(
            (0..100_000).map(|_| sampler.draw_penalised(&recent, &mut rng)),
            p.len(),
        );
        let df = q.iter().filter(|&&x| x > 0.0).count() - 1;
        let chi = chi_square(&c, &q);
        assert!(
            chi < chi2_crit_001(df),
            "{recent:?}: chi2 {chi}, counts {c:?}"
        );
    }
}

#[test]
fn every_survivor_fully_penalised_falls_back_to_prob() {
    // One survivor, recency 1: sum q == 0 every hop, the draw comes from prob.
    let prob = [0.0, 0.0, 1.0, 0.0];
    let plan = make_plan(&prob, &plan_settings(1.0, 1000), 3);
    assert!(plan.grain.iter().all(|&g| g == 2));
    let sampler = Sampler::new(&prob);
    let mut rng = GarRng::seed_from_u64(4);
    assert_eq!(sampler.draw_penalised(&[(2, 0.0)], &mut rng), 2);
}

#[test]
fn full_recency_never_repeats_the_last_pick() {
    let cases: [&[f64]; 4] = [
        &[0.999, 0.001],
        &[0.999, 0.0005, 0.0, 0.0003, 0.0002],
        &[0.25, 0.25, 0.25, 0.25],
        &[1e-9, 1.0 - 1e-9],
    ];
    for (ci, prob) in cases.iter().enumerate() {
        let plan = make_plan(prob, &plan_settings(1.0, 50_000), 17 + ci as u64);
        for w in plan.grain.windows(2) {
            assert_ne!(w[0], w[1], "case {ci}");
        }
        if prob.len() == 2 {
            // Two survivors: a strict alternation.
            assert!(
                plan.grain
                    .iter()
                    .enumerate()
                    .all(|(h, &g)| g == plan.grain[h % 2])
            );
        }
    }
}

#[test]
fn a_million_survivors_draw_exactly() {
    // N = 10^6 survivors, 10^5 draws: the per-draw cost must not be O(N) for
    // this to finish quickly (no timing is asserted; the benchmark is elsewhere).
    const N: usize = 1_000_000;
    let mut r = common::rng(77);
    let mut prob: Vec<f64> = (0..N).map(|_| 0.5 + uniform(&mut r)).collect();
    // Three heavy grains: 0 (40 %), 500000 (5 %), 999999 (10 %); the rest 45 %.
    let rest: f64 = prob.iter().sum::<f64>() - prob[0] - prob[500_000] - prob[N - 1];
    prob.iter_mut().for_each(|p| *p *= 0.45 / rest);
    prob[0] = 0.4;
    prob[500_000] = 0.05;
    prob[N - 1] = 0.1;
    let sampler = Sampler::new(&prob);
    let mut rng = GarRng::seed_from_u64(78);
    // Cells: {0}, {999999}, {500000}, then 10 equal index ranges of the rest.
    let cell = |i: usize| match i {
        0 => 0,
        500_000 => 2,
        i if i == N - 1 => 1,
        i => 3 + (i - 1) * 10 / (N - 2),
    };
    for recent in [
        vec![(0u32, 0.0)],
        vec![(0, 0.5), (500_000, 0.0), (N as u32 - 1, 0.3)],
    ] {
        let mut q = prob.clone();
        for &(i, f) in &recent {
            q[i as usize] *= f;
        }
        let sum: f64 = q.iter().sum();
        let mut expected = vec![0.0; 13];
        for (i, &x) in q.iter().enumerate() {
            expected[cell(i)] += x / sum;
        }
        let mut c = vec![0u64; 13];
        for _ in 0..100_000 {
            let g = sampler.draw_penalised(&recent, &mut rng) as usize;
            for &(i, f) in &recent {
                assert!(
                    !(f == 0.0 && g == i as usize),
                    "drew a fully penalised grain"
                );
            }
            c[cell(g)] += 1;
        }
        let df = expected.iter().filter(|&&x| x > 0.0).count() - 1;
        let chi = chi_square(&c, &expected);
        assert!(
            chi < chi2_crit_001(df),
            "{recent:?}: chi2 {chi}, counts {c:?}"
        );
    }
}

#[test]
fn the_rng_stream_is_grain_then_pitch_then_offset() {
    // docs/algorithm.md, section 6: per hop, one grain draw, then the pitch shift (if pitch
    // jitter > 0.001 st), then the time offset (if time jitter > 0), from one
    // xoshiro256++ stream seeded with seed_from_u64(seed).
    let prob = [0.1, 0.6, 0.3];
    let s = Params {
        grain_ms: gar_core::Envelope::from(50.0),
        hop_ms: gar_core::Envelope::from(10.0),
        cand_hop_ms: 10.0,
        time_jitter_ms: gar_core::Envelope::from(4.0),
        pitch_jitter_st: gar_core::Envelope::from(2.0),
        recency: gar_core::Envelope::from(0.0),
        duration_s: Some(1.0),
        ..Params::default()
    }
    .resolve(Preset::Custom, 8000, 8000)
    .unwrap();
    let plan = make_plan(&prob, &s, 1234);
    assert_eq!(plan.hops(), 101);
    let sampler = Sampler::new(&prob);
    let mut rng = GarRng::seed_from_u64(1234);
    for h in 0..plan.hops() {
        let g = sampler.draw_plain(&mut rng);
        let shift = 2.0 * (2.0 * uniform(&mut rng) - 1.0);
        let offset = 0.004 * (2.0 * uniform(&mut rng) - 1.0);
        assert_eq!(plan.grain[h], g, "hop {h}");
        assert_eq!(plan.pitch_st[h], shift as f32, "hop {h}");
        assert_eq!(plan.pos_s[h], h as f64 * 0.01 + offset, "hop {h}");
    }
    // Jitter stays inside its bounds and is spread over them.
    let off: Vec<f64> = (0..plan.hops())
        .map(|h| plan.pos_s[h] - h as f64 * 0.01)
        .collect();
    assert!(off.iter().all(|o| o.abs() <= 0.004 + 1e-12));
    assert!(off.iter().any(|&o| o > 0.003) && off.iter().any(|&o| o < -0.003));
    assert!(plan.pitch_st.iter().all(|p| p.abs() <= 2.0));
    assert!(plan.pitch_st.iter().any(|&p| p > 1.5) && plan.pitch_st.iter().any(|&p| p < -1.5));

    // Pitch jitter of 0.001 st or less is off: no pitch draw, all shifts 0.
    let s2 = Params {
        pitch_jitter_st: gar_core::Envelope::from(0.001),
        ..Params::default()
    }
    .resolve(Preset::Custom, 8000, 8000)
    .unwrap();
    assert!(!s2.pitch_active());
    let plan = make_plan(&prob, &s2, 1);
    assert!(plan.pitch_st.iter().all(|&p| p == 0.0));
}

#[test]
fn hop_count_keeps_an_exact_multiple() {
    // 0.7 / 0.007 = 99.99999999999999 in f64; H = 100 + 1.
    assert!(std::hint::black_box(0.7f64) / 0.007 < 100.0);
    let s = Params {
        grain_ms: gar_core::Envelope::from(14.0),
        hop_ms: gar_core::Envelope::from(7.0),
        duration_s: Some(0.7),
        ..Params::default()
    }
    .resolve(Preset::Custom, 44100, 44100)
    .unwrap();
    assert_eq!(hop_count(&s), 101);
    for (d, hop, h) in [
        (1.5, 15.0, 101),
        (1.5, 25.0, 61),
        (1.51, 25.0, 61),
        (1.49, 25.0, 60),
    ] {
        let s = Params {
            hop_ms: hop.into(),
            time_jitter_ms: gar_core::Envelope::from(0.0),
            duration_s: Some(d),
            ..Params::default()
        }
        .resolve(Preset::Custom, 44100, 44100)
        .unwrap();
        assert_eq!(hop_count(&s), h, "{d} s / {hop} ms");
    }
}
