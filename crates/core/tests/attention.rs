//! The ReLU gate and the softmax over the survivors (docs/algorithm.md, section 5).

mod common;

use gar_core::AttentionNorm::{self, Mean, Range};
use gar_core::attention::attend;
use gar_core::plan::uniform;

const NORMS: [AttentionNorm; 2] = [Range, Mean];

/// Random scores in [0, 1] with a few exact zeros, max normalised to 1.
fn random_scores(seed: u64, n: usize) -> Vec<f64> {
    let mut r = common::rng(seed);
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

#[test]
fn rejected_grains_get_exactly_zero_and_survivors_share_one() {
    for seed in 0..20 {
        let s = random_scores(seed, 500);
        for norm in NORMS {
            for (alpha, floor) in [(0.01, -10.0), (1.0, 0.0), (8.0, 3.0), (50.0, -3.0)] {
                let a = attend(&s, alpha, floor, norm);
                let mean = s.iter().sum::<f64>() / s.len() as f64;
                assert!((a.mean_score - mean).abs() < 1e-15);
                let fv = mean * 10f64.powf(floor / 10.0);
                assert!((a.floor_value - fv).abs() < 1e-15);
                for (i, &si) in s.iter().enumerate() {
                    assert_eq!(a.active[i], si >= a.floor_value, "{i}");
                    if a.active[i] {
                        assert!(a.prob[i] > 0.0);
                    } else {
                        // Exactly zero, not merely small (the guide's defect).
                        assert_eq!(a.prob[i].to_bits(), 0f64.to_bits(), "{i}");
                    }
                }
                let total: f64 = a.prob.iter().sum();
                assert!((total - 1.0).abs() < 1e-12, "{total}");
                assert!(!a.fallback);
                assert_eq!(a.active_count(), s.iter().filter(|&&x| x >= fv).count());
            }
        }
    }
}

#[test]
fn low_alpha_spreads_over_the_survivors_only() {
    // At alpha 0.01 the survivors are almost uniform and the rejected still get 0.
    let s = [1.0, 0.9, 0.1, 0.05, 0.0, 0.8];
    for norm in NORMS {
        let a = attend(&s, 0.01, 0.0, norm);
        let active = a.active_count() as f64;
        assert_eq!(active, 3.0);
        for i in [0, 1, 5] {
            assert!((a.prob[i] - 1.0 / active).abs() < 0.01, "{norm:?} {i}");
        }
        for i in [2, 3, 4] {
            assert_eq!(a.prob[i], 0.0);
        }
    }
}

#[test]
fn empty_gate_falls_back_to_the_single_best_grain() {
    // +30 dB puts the floor at 1000 x the mean, above every score.
    let s = random_scores(3, 300);
    let best = (0..s.len()).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap();
    for norm in NORMS {
        for alpha in [0.01, 8.0, 1000.0] {
            let a = attend(&s, alpha, 30.0, norm);
            assert!(a.fallback);
            assert!(s.iter().all(|&x| x < a.floor_value));
            assert_eq!(a.active_count(), 1);
            assert!(a.active[best]);
            assert_eq!(a.prob[best], 1.0);
            for i in (0..s.len()).filter(|&i| i != best) {
                assert_eq!(a.prob[i], 0.0);
            }
        }
    }
    // Ties for the best: the first one (the reported "highest-scoring grain").
    let a = attend(&[0.2, 1.0, 0.5, 1.0], 8.0, 30.0, Range);
    assert!(a.fallback);
    assert_eq!(a.prob, vec![0.0, 1.0, 0.0, 0.0]);
    // All-zero scores (a silent source): the floor is 1e-30 (the floored mean),
    // nothing clears it, and the fallback keeps candidate 0.
    let a = attend(&[0.0; 5], 8.0, 0.0, Range);
    assert!(a.fallback);
    assert_eq!(a.prob, vec![1.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn scaling_every_score_leaves_the_probabilities_unchanged() {
    for seed in 0..10 {
        let s = random_scores(40 + seed, 400);
        for norm in NORMS {
            for (alpha, floor) in [(3.0, -3.0), (12.0, 3.0), (0.5, 0.0)] {
                let a = attend(&s, alpha, floor, norm);
                for c in [0.37, 2.0, 1e-3, 1234.5] {
                    let scaled: Vec<f64> = s.iter().map(|x| x * c).collect();
                    let b = attend(&scaled, alpha, floor, norm);
                    // The floor is relative to the mean: the gate is invariant too.
                    assert_eq!(a.active, b.active, "{norm:?} c {c}");
                    for i in 0..s.len() {
                        assert!(
                            (a.prob[i] - b.prob[i]).abs() <= 1e-12 * a.prob[i].max(1e-300) + 1e-300,
                            "{norm:?} alpha {alpha} c {c} i {i}: {} vs {}",
                            a.prob[i],
                            b.prob[i]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn range_mode_puts_a_grain_at_the_floor_e_alpha_below_the_best() {
    // Exact binary fractions: mean = 2 / 8 = 0.25 = the floor at 0 dB, and the
    // grains 1 and 2 sit exactly on it.
    let s = [1.0, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.0];
    for alpha in [0.5, 1.0, 3.0, 8.0, 25.0] {
        let a = attend(&s, alpha, 0.0, Range);
        assert_eq!(a.floor_value, 0.25);
        assert_eq!(a.active_count(), 3);
        let ratio = a.prob[0] / a.prob[1];
        let want = alpha.exp();
        assert!(
            (ratio - want).abs() < 1e-12 * want,
            "alpha {alpha}: {ratio} vs {want}"
        );
        // The original's `mean` scale: (1 - 0.25) / 0.25 = 3 -> e^(3 alpha).
        let a = attend(&s, alpha, 0.0, Mean);
        let ratio = a.prob[0] / a.prob[1];
        let want = (3.0 * alpha).exp();
        assert!(
            (ratio - want).abs() < 1e-12 * want,
            "alpha {alpha}: {ratio} vs {want}"
        );
    }
    // In between, the log-probability is linear in the score (range mode).
    let s = [1.0, 0.75, 0.625, 0.0, 0.0, 0.0]; // mean 0.396
    let a = attend(&s, 4.0, 0.0, Range);
    let fv = a.floor_value;
    for i in [1, 2] {
        let want = 4.0 * (s[i] - 1.0) / (1.0 - fv);
        let got = (a.prob[i] / a.prob[0]).ln();
        assert!((got - want).abs() < 1e-12, "{i}: {got} vs {want}");
    }
}

#[test]
fn extreme_alpha_underflows_to_the_best_grain_without_nan() {
    let s = random_scores(9, 200);
    for norm in NORMS {
        let a = attend(&s, 1e9, -20.0, norm);
        assert!(a.prob.iter().all(|p| p.is_finite()));
        let best = (0..s.len()).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap();
        assert!(a.prob[best] > 0.99);
        let total: f64 = a.prob.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }
}

#[test]
fn higher_alpha_means_fewer_effective_grains() {
    let s = random_scores(5, 1000);
    let alphas = [
        0.01, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 25.0, 50.0, 100.0,
    ];
    for norm in NORMS {
        for floor in [-6.0, 0.0, 3.0] {
            let eff: Vec<f64> = alphas
                .iter()
                .map(|&al| attend(&s, al, floor, norm).effective_grains())
                .collect();
            let active = attend(&s, 1.0, floor, norm).active_count() as f64;
            // Bounds: one grain at least, the active count at most.
            assert!(
                eff.iter()
                    .all(|&e| (1.0 - 1e-9..=active + 1e-9).contains(&e))
            );
            assert!(eff[0] > 0.95 * active, "{norm:?} {floor}: {eff:?}");
            for w in eff.windows(2) {
                assert!(w[1] < w[0], "{norm:?} floor {floor}: {eff:?}");
            }
        }
    }
    // exp(entropy) of a uniform distribution over k grains is k.
    let a = attend(&[1.0, 1.0, 1.0, 0.0], 5.0, 0.0, Mean);
    assert!((a.effective_grains() - 3.0).abs() < 1e-12);
}
