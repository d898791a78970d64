//! Regressions found in review.

use gar_core::attention::attend;
use gar_core::{AttentionNorm, Preset};

#[test]
fn equal_scores_all_pass_a_zero_db_floor() {
    // The mean of equal scores can round one ulp above them (0.6 * n / n).
    for n in [3usize, 7, 10, 1000, 4097] {
        for v in [0.6, 0.1 + 0.2, 1.0 / 3.0, 0.7] {
            let s = vec![v; n];
            let a = attend(&s, 8.0, 0.0, AttentionNorm::Range);
            assert!(!a.fallback, "n {n} v {v}: no fallback on equal scores");
            assert_eq!(a.active_count(), n);
            assert!(a.prob.iter().all(|&p| (p - 1.0 / n as f64).abs() < 1e-12));
        }
    }
}

#[test]
fn preset_parse_is_not_lenient_about_junk() {
    for bad in ["-1", "#1", "", "  ", "self-remix!", "9", "0", "cloud2"] {
        assert_eq!(Preset::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Preset::parse("Self Remix"), Some(Preset::SelfRemix));
    assert_eq!(Preset::parse("motif_extract"), Some(Preset::MotifExtract));
    assert_eq!(Preset::parse("1"), Some(Preset::Custom));
}

#[test]
fn non_finite_samples_do_not_panic_the_engine() {
    // gar-io replaces NaN/inf before the engine sees them; a library caller may not.
    let mut x: Vec<f32> = (0..44100).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    x[1000] = f32::NAN;
    x[20000] = f32::INFINITY;
    x[30000] = f32::MAX;
    let y: Vec<f32> = x.iter().map(|v| -v).collect();
    for chans in [vec![&x[..]], vec![&x[..], &y[..]]] {
        for preset in [Preset::SelfRemix, Preset::Shimmer] {
            let p = gar_core::prepare(&chans, 44100, &preset.params(), preset, 1).unwrap();
            assert!(p.analysis.score.iter().all(|s| s.is_finite()));
            let total: f64 = p.attention.prob.iter().sum();
            assert!((total - 1.0).abs() < 1e-9);
            let out = gar_core::render_prepared(&p, &chans).0;
            assert_eq!(out.len(), chans.len());
        }
    }
}
