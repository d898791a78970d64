//! Diversity (`gar_core::diversity`, docs/algorithm.md section 13): the alpha solved
//! for "D % of the active grains, effectively".

use gar_core::AttentionNorm::{self, Mean, Range};
use gar_core::attention::attend;
use gar_core::diversity::{ALPHA_MAX, ALPHA_MIN, DiversitySolver, MAX_STEPS, Solved, solve_alpha};
use gar_core::plan::{GarRng, uniform};
use rand_core::SeedableRng;

/// Random scores with a random shape (`u^p`, some exact zeros), max normalised.
fn random_scores(r: &mut GarRng, n: usize) -> Vec<f64> {
    let p = 0.5 + 5.0 * uniform(r);
    let zeros = 0.2 * uniform(r);
    let mut s: Vec<f64> = (0..n)
        .map(|_| {
            let u = uniform(r);
            if u < zeros { 0.0 } else { u.powf(p) }
        })
        .collect();
    let m = s.iter().cloned().fold(0.0, f64::max);
    s.iter_mut().for_each(|x| *x /= m);
    s
}

/// The target and tolerance of section 13 for `d` percent of `active` grains.
fn target(d: f64, active: usize) -> (f64, f64) {
    let a = active as f64;
    let want = d / 100.0 * a;
    if want <= 1.0 {
        (1.0, 0.005)
    } else {
        (want, 0.005 * a)
    }
}

/// Checks a solution against `attend` itself.
fn check(s: &[f64], floor: f64, norm: AttentionNorm, d: f64, sol: &Solved) {
    let a = attend(s, sol.alpha, floor, norm);
    assert_eq!(sol.active, a.active_count());
    let e = a.effective_grains();
    assert!(
        (sol.effective - e).abs() <= 1e-9 * e,
        "reported {} vs attend {e}",
        sol.effective
    );
    assert!((ALPHA_MIN..=ALPHA_MAX).contains(&sol.alpha));
    assert!(sol.steps <= 2 + MAX_STEPS);
    let (t, tol) = target(d, sol.active);
    if sol.clamped {
        if sol.alpha == ALPHA_MIN {
            assert!(e < t - tol, "clamped at 0.01 but {e} reaches {t}");
        } else {
            assert_eq!(sol.alpha, ALPHA_MAX);
            assert!(e > t + tol, "clamped at 10^4 but {e} reaches {t}");
        }
    } else {
        assert!(
            (e - t).abs() <= tol,
            "D {d}: effective {e}, target {t} +- {tol} (alpha {})",
            sol.alpha
        );
    }
}

#[test]
fn random_scores_and_targets_are_solved_within_the_tolerance() {
    let mut r = GarRng::seed_from_u64(1);
    let (mut solved, mut steps, mut clamped) = (0, 0, 0);
    for _ in 0..300 {
        let n = 2 + (uniform(&mut r) * 3000.0) as usize;
        let s = random_scores(&mut r, n);
        let floor = -9.0 + 12.0 * uniform(&mut r);
        let norm = if uniform(&mut r) < 0.5 { Range } else { Mean };
        let d = 100.0 * (1.0 - uniform(&mut r)); // (0, 100]
        let sol = solve_alpha(&s, floor, norm, d).expect("valid D");
        check(&s, floor, norm, d, &sol);
        if sol.clamped {
            clamped += 1;
        } else {
            solved += 1;
            steps += sol.steps;
        }
    }
    assert!(solved > 200, "{solved} solved, {clamped} clamped");
    let mean = steps as f64 / solved as f64;
    println!("{solved} solved, {clamped} clamped, {mean:.1} entropy evaluations on average");
    assert!(mean < 16.0, "{mean} steps on average");
}

#[test]
fn alpha_never_grows_with_d() {
    let mut r = GarRng::seed_from_u64(2);
    for _ in 0..12 {
        let s = random_scores(&mut r, 1500);
        for norm in [Range, Mean] {
            let solver = DiversitySolver::new(&s, -3.0, norm);
            let mut last: Option<Solved> = None;
            for k in 1..=400 {
                let d = k as f64 * 0.25;
                let sol = solver.solve(d).unwrap();
                check(&s, -3.0, norm, d, &sol);
                if let Some(p) = last {
                    assert!(sol.alpha <= p.alpha, "D {d}: {} > {}", sol.alpha, p.alpha);
                    assert!(sol.effective >= p.effective * (1.0 - 1e-12));
                }
                last = Some(sol);
            }
        }
    }
}

#[test]
fn d_above_what_alpha_one_hundredth_gives_is_clamped() {
    // `mean` norm on sparse scores: the mean is tiny, so even alpha 0.01 makes
    // the quiet grains much less likely than the loud ones.
    let mut s = vec![1e-4; 2000];
    for (i, x) in s.iter_mut().enumerate().step_by(500) {
        *x = 1.0 - i as f64 * 1e-4;
    }
    let sol = solve_alpha(&s, -30.0, Mean, 100.0).unwrap();
    check(&s, -30.0, Mean, 100.0, &sol);
    assert!(sol.clamped);
    assert_eq!(sol.alpha, ALPHA_MIN);
    assert!(sol.effective < 0.9 * sol.active as f64);
    // A D that alpha 0.01 does reach is not clamped.
    let reach = 100.0 * sol.effective / sol.active as f64;
    let low = solve_alpha(&s, -30.0, Mean, reach * 0.5).unwrap();
    assert!(!low.clamped && low.alpha > ALPHA_MIN);
}

#[test]
fn d_asking_for_one_grain_gives_one_grain() {
    let mut r = GarRng::seed_from_u64(3);
    let mut s: Vec<f64> = (0..1000).map(|_| 0.9 * uniform(&mut r)).collect();
    s[123] = 1.0;
    for norm in [Range, Mean] {
        for d in [1e-6, 0.01, 0.1] {
            let sol = solve_alpha(&s, -6.0, norm, d).unwrap();
            check(&s, -6.0, norm, d, &sol);
            assert!(!sol.clamped);
            assert!(sol.effective <= 1.005, "{}", sol.effective);
            let p = attend(&s, sol.alpha, -6.0, norm).prob;
            assert!(p[123] > 0.99);
        }
    }
    // Two grains tied (all but) at the top: one grain is out of reach, alpha
    // stops at 10^4 and says so.
    s[77] = 1.0 - 1e-9;
    let sol = solve_alpha(&s, -6.0, Range, 0.01).unwrap();
    check(&s, -6.0, Range, 0.01, &sol);
    assert!(sol.clamped);
    assert_eq!(sol.alpha, ALPHA_MAX);
    assert!((sol.effective - 2.0).abs() < 1e-3);
}

#[test]
fn a_single_active_grain_is_one_grain_for_every_d() {
    let mut r = GarRng::seed_from_u64(4);
    let s = random_scores(&mut r, 500);
    for norm in [Range, Mean] {
        // A floor above every score: only the best grain is kept.
        assert!(attend(&s, 1.0, 40.0, norm).fallback);
        for d in [0.001, 1.0, 50.0, 100.0] {
            let sol = solve_alpha(&s, 40.0, norm, d).unwrap();
            check(&s, 40.0, norm, d, &sol);
            assert_eq!(sol.active, 1);
            assert_eq!(sol.effective, 1.0);
            assert!(!sol.clamped);
        }
    }
}

#[test]
fn equal_scores_are_all_used_whatever_d() {
    // All equal: every active grain is equally likely at any alpha (for `range`
    // the best grain sits at the floor; for `mean` every exponent is 0).
    let s = vec![0.7; 100];
    for norm in [Range, Mean] {
        let full = solve_alpha(&s, 0.0, norm, 100.0).unwrap();
        check(&s, 0.0, norm, 100.0, &full);
        assert_eq!(full.active, 100);
        assert!(!full.clamped);
        assert!((full.effective - 100.0).abs() < 1e-9);
        // Fewer grains cannot be had: clamped at the top, still 100 grains.
        let half = solve_alpha(&s, 0.0, norm, 50.0).unwrap();
        check(&s, 0.0, norm, 50.0, &half);
        assert!(half.clamped);
        assert_eq!(half.alpha, ALPHA_MAX);
        assert!((half.effective - 100.0).abs() < 1e-9);
    }
}

#[test]
fn d_outside_zero_to_one_hundred_is_an_error_naming_diversity() {
    let s = [1.0, 0.5, 0.2];
    for d in [0.0, -5.0, 100.01, 1e9, f64::NAN, f64::INFINITY] {
        let e = solve_alpha(&s, 0.0, Range, d).expect_err("invalid D");
        let msg = e.to_string();
        assert!(msg.starts_with("diversity "), "{msg}");
    }
    assert!(solve_alpha(&s, 0.0, Range, 100.0).is_ok());
    assert!(solve_alpha(&s, 0.0, Range, 1e-9).is_ok());
}

#[test]
fn large_sets_give_the_same_alpha_on_any_thread_count() {
    // Above 32768 active grains the entropy is summed in parallel blocks, in a
    // fixed order.
    let mut r = GarRng::seed_from_u64(5);
    let s = random_scores(&mut r, 120_000);
    let solve = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| solve_alpha(&s, -6.0, Range, 30.0).unwrap())
    };
    let one = solve(1);
    assert_eq!(one, solve(2));
    assert_eq!(one, solve(3));
    check(&s, -6.0, Range, 30.0, &one);
    assert!(one.active > 40_000);
}
