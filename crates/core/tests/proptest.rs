//! Property tests: for random parameters (inside and far beyond the clamps) on a
//! short random sound, a run never fails or panics, and its output is finite,
//! `round(D_out * sr)` frames long, has the promised channels, peaks at no more
//! than 0.99, and is the same for the same seed.

mod common;

use gar_core::plan::uniform;
use gar_core::{AttentionNorm, ChannelMode, Normalize, ParamError, Params, Preset, ScoreType};
use proptest::prelude::*;

/// A log-uniform value in [10^lo, 10^hi].
fn log_range(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo..hi).prop_map(|e| 10f64.powf(e))
}

fn score_type() -> impl Strategy<Value = ScoreType> {
    prop_oneof![
        Just(ScoreType::Rms),
        Just(ScoreType::Onset),
        Just(ScoreType::Edge),
        Just(ScoreType::Mixed)
    ]
}

prop_compose! {
    fn any_params()(
        grain_ms in log_range(-0.3, 3.2),
        hop_ms in log_range(-0.5, 2.7),
        cand_hop_ms in log_range(-0.5, 2.7),
        alpha in log_range(-3.0, 2.5),
        floor_db in -40.0..40.0f64,
        score in score_type(),
        transient_weight in -0.5..1.5f64,
        time_jitter_ms in -5.0..100.0f64,
        pitch_jitter_st in prop_oneof![Just(0.0), -1.0..6.0f64],
        recency in -0.5..1.5f64,
        wet in prop_oneof![Just(100.0), -20.0..130.0f64],
        duration_s in prop_oneof![Just(None), log_range(-2.3, 0.3).prop_map(Some)],
        mono in any::<bool>(),
        mean in any::<bool>(),
        dc_block in any::<bool>(),
        loudness in any::<bool>(),
        lufs in -40.0..-5.0f64,
    ) -> Params {
        Params {
            grain_ms: grain_ms.into(), hop_ms: hop_ms.into(), cand_hop_ms, alpha: alpha.into(), floor_db: floor_db.into(), score, transient_weight,
            time_jitter_ms: time_jitter_ms.into(), pitch_jitter_st: pitch_jitter_st.into(), recency: recency.into(), wet: wet.into(), duration_s,
            channels: if mono { ChannelMode::Mono } else { ChannelMode::Linked },
            attention_norm: if mean { AttentionNorm::Mean } else { AttentionNorm::Range },
            normalize: if loudness { Normalize::Loudness } else { Normalize::Peak },
            lufs,
            dc_block,
            ..Params::default()
        }
    }
}

/// Noise under a random envelope (sometimes silence, sometimes a click).
fn sound(seed: u64, kind: u8, channels: usize, len: usize) -> Vec<Vec<f32>> {
    let mut r = common::rng(seed);
    let env: Vec<f32> = (0..8).map(|_| uniform(&mut r) as f32).collect();
    (0..channels)
        .map(|_| match kind {
            0 => vec![0.0; len],
            1 => {
                let mut v = vec![0.0; len];
                v[len / 3] = 0.5;
                v
            }
            _ => common::noise(&mut r, len, 1.0)
                .into_iter()
                .enumerate()
                .map(|(k, v)| v * env[k * 8 / len])
                .collect(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_run_is_finite_exact_in_length_and_repeatable(
        params in any_params(),
        sr in prop_oneof![Just(8000u32), Just(22050), Just(44100), Just(48000)],
        src_s in 0.06..0.5f64,
        channels in 1usize..=2,
        kind in prop_oneof![1 => Just(0u8), 1 => Just(1u8), 6 => Just(2u8)],
        sound_seed in any::<u64>(),
        seed in any::<u64>(),
    ) {
        let len = (src_s * sr as f64) as usize;
        let x = sound(sound_seed, kind, channels, len);
        let chs: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
        let s = params.resolve(Preset::Custom, sr, len).expect("valid parameters");
        // Keep each case fast: skip the few with extreme overlap x length x taps.
        let overlap = s.grain_ms / s.hop_ms;
        let taps = if s.pitch_active() { 48.0 } else { 1.0 };
        prop_assume!(s.output_len() as f64 * overlap * taps * channels as f64 <= 1.5e7);

        let p = gar_core::prepare(&chs, sr, &params, Preset::Custom, seed).expect("prepare");
        let y = gar_core::render_prepared(&p, &chs).0;
        let want_ch = if params.channels == ChannelMode::Mono { 1 } else { channels };
        prop_assert_eq!(y.len(), want_ch);
        let d_out = params.duration_s.unwrap_or(len as f64 / sr as f64);
        let frames = (d_out * sr as f64).round() as usize;
        for c in &y {
            prop_assert_eq!(c.len(), frames);
            prop_assert!(c.iter().all(|v| v.is_finite()));
            prop_assert!(common::peak(c) <= 0.99 + 1e-6, "peak {}", common::peak(c));
        }
        if kind == 0 {
            prop_assert!(y.iter().flatten().all(|&v| v == 0.0));
        }
        // Probabilities are a distribution; rejected grains get exactly 0.
        let total: f64 = p.attention.prob.iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-9);
        for (a, pr) in p.attention.active.iter().zip(&p.attention.prob) {
            prop_assert!(*a || *pr == 0.0);
        }

        let again = gar_core::render_prepared(
            &gar_core::prepare(&chs, sr, &params, Preset::Custom, seed).unwrap(),
            &chs,
        )
        .0;
        prop_assert_eq!(y, again);
    }

    #[test]
    fn unusable_numbers_are_errors_not_panics(
        params in any_params(),
        which in 0usize..6,
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(0.0), -1e6..0.0f64],
    ) {
        // Given as a user gives them: through the parameter table (flags,
        // params files). A non-finite value is refused there, a non-positive
        // one by resolve; neither panics.
        let mut p = params;
        let id = ["grain_ms", "hop_ms", "cand_hop_ms", "alpha", "duration_s", "wet"][which];
        let bad = if which == 5 && bad.is_finite() { f64::NAN } else { bad };
        let spec = gar_core::table::find(id).unwrap();
        let e = match spec.set_text(&mut p, &bad.to_string()) {
            Err(e) => e,
            Ok(()) => p.resolve(Preset::Custom, 44100, 44100).unwrap_err(),
        };
        prop_assert_eq!(e.param(), Some(id));
        prop_assert!(
            matches!(e, ParamError::NotFinite { .. } | ParamError::NotPositive { .. } | ParamError::Envelope { .. }),
            "{:?}", e
        );
    }
}
