//! True Hann overlap-add with the envelope division (docs/algorithm.md, section 7): DC in,
//! DC out; a steady sine keeps a steady amplitude; the edges fade, not boost.

mod common;

use gar_core::analysis::analyze;
use gar_core::plan::Plan;
use gar_core::render::{Finishing, RenderJob, placements};
use gar_core::{Params, Preset, ScoreType};

/// Every preset's grain/hop/candidate hop (with its own alpha, floor, score,
/// recency and wet) but no jitter.
/// No jitter, and no DC high-pass (these tests are about the overlap-add,
/// which must keep a DC source at DC).
fn no_jitter(p: Preset) -> Params {
    Params {
        time_jitter_ms: gar_core::Envelope::from(0.0),
        pitch_jitter_st: gar_core::Envelope::from(0.0),
        dc_block: false,
        ..p.params()
    }
}

/// Overlap-add and envelope division only: no fades, no dry signal.
fn raw_render(
    plan: &Plan,
    an: &gar_core::Analysis,
    s: &gar_core::Settings,
    srcs: &[&[f32]],
    gain: f32,
) -> Vec<Vec<f32>> {
    RenderJob::new(plan, an, s, srcs, gain, s.output_len(), Finishing::none())
        .render()
        .0
        .into_iter()
        .map(|c| c.to_vec())
        .collect()
}

/// First and last frame of the interior: one grain plus the fade away from each end.
fn interior(len: usize, grain_len: usize, sr: u32) -> (usize, usize) {
    let edge = grain_len + (0.005 * sr as f64).ceil() as usize;
    (edge, len - edge)
}

#[test]
fn dc_in_dc_out_for_every_preset() {
    for sr in [44100u32, 48000] {
        let len = 2 * sr as usize;
        let x = vec![0.5f32; len];
        for preset in Preset::ALL {
            let params = no_jitter(preset);
            let p = gar_core::prepare(&[&x], sr, &params, preset, 42).unwrap();
            let y = gar_core::render_prepared(&p, &[&x]).0;
            assert_eq!(y.len(), 1);
            assert_eq!(y[0].len(), len);
            let l = p.analysis.grain_len;
            let (a, b) = interior(len, l, sr);
            for (n, &v) in y[0][a..b].iter().enumerate() {
                assert!(
                    ((v as f64 - 0.99) / 0.99).abs() < 1e-5,
                    "{preset:?} at {sr} Hz (L {l}): y[{}] = {v}",
                    a + n
                );
            }
        }
    }
}

#[test]
fn the_first_half_grain_fades_in_instead_of_being_boosted() {
    // Grain 20 ms = 882 samples (even), hop 441: the envelope is exactly 1 in the
    // interior, so its floor is 0.15; before the second grain starts only the
    // first grain's window w covers the output: y = x * w / max(w, 0.15).
    let sr = 44100;
    let x = vec![0.5f32; sr as usize];
    let params = Params {
        grain_ms: gar_core::Envelope::from(20.0),
        hop_ms: gar_core::Envelope::from(10.0),
        cand_hop_ms: 10.0,
        ..no_jitter(Preset::Custom)
    };
    let p = gar_core::prepare(&[&x], sr, &params, Preset::Custom, 1).unwrap();
    let out = raw_render(&p.plan, &p.analysis, &p.settings, &[&x], p.wet_gain);
    let c = 0.5 * p.wet_gain as f64;
    for (k, &y) in out[0][..441].iter().enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * (k as f64 + 0.5) / 882.0).cos();
        let want = c * w / w.max(0.15);
        assert!((y as f64 - want).abs() < 1e-5, "k {k}: {y} vs {want}");
    }
    assert!(out[0][0] < 0.01);
}

#[test]
fn a_phase_coherent_sine_keeps_its_amplitude_for_every_preset() {
    // At 48 kHz every preset time is a whole number of milliseconds, i.e. of
    // periods of a 1 kHz sine (48 samples): every grain, wherever it is cut and
    // placed, is in phase, so the output must be the same steady sine.
    let sr = 48000;
    let len = 96000;
    let x = common::sine(1000.0, sr, len, 0.5, 0.3);
    for preset in Preset::ALL {
        let params = no_jitter(preset);
        let p = gar_core::prepare(&[&x], sr, &params, preset, 5).unwrap();
        let y = &gar_core::render_prepared(&p, &[&x]).0[0];
        let (a, b) = interior(len, p.analysis.grain_len, sr);
        let rms: Vec<f64> = y[a..b]
            .chunks_exact(48)
            .map(|c| (c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / 48.0).sqrt())
            .collect();
        let max = rms.iter().cloned().fold(0.0, f64::max);
        let min = rms.iter().cloned().fold(f64::INFINITY, f64::min);
        let ripple_db = 20.0 * (max / min).log10();
        assert!(ripple_db < 0.05, "{preset:?}: ripple {ripple_db} dB");
        // Peak-normalised to 0.99: the steady RMS is 0.99 / sqrt(2).
        assert!(
            (max - 0.99 / 2f64.sqrt()).abs() < 2e-3,
            "{preset:?}: rms {max}"
        );
    }
}

#[test]
fn odd_grains_at_fractional_hops_reconstruct_a_sine_without_ripple() {
    // Plan grain h at the output position of its own source start: overlap-add
    // must then give back the source exactly (window / envelope = 1), whatever
    // the grain length (odd here) and however unevenly the hop (661.5 or 1102.5
    // samples at 44.1 kHz) rounds to whole samples.
    let sr = 44100u32;
    let len = 3 * sr as usize;
    // 1050 Hz = 42 samples per period: per-period RMS of a pure sine is constant.
    let x = common::sine(1050.0, sr, len, 0.7, 0.0);
    for (g, h) in [(30.0, 15.0), (50.0, 25.0), (20.0, 10.0), (45.0, 7.3)] {
        let s = Params {
            grain_ms: g.into(),
            hop_ms: h.into(),
            cand_hop_ms: h,
            score: ScoreType::Rms,
            ..no_jitter(Preset::Custom)
        }
        .resolve(Preset::Custom, sr, len)
        .unwrap();
        let an = analyze(&[&x], &s, 1.0);
        let l = an.grain_len;
        let n = an.len();
        let plan = Plan {
            grain: (0..n as u32).collect(),
            pos_s: an.start.iter().map(|&st| st as f64 / sr as f64).collect(),
            pitch_st: vec![0.0; n],
            ..Plan::default()
        };
        // The positions really are uneven when the hop is fractional.
        let (pl, _) = placements(&plan, &an, &s);
        let gaps: Vec<usize> = pl.windows(2).map(|w| w[1].at - w[0].at).collect();
        if h == 15.0 {
            assert_eq!(l, 1323);
            assert!(
                gaps.contains(&661) && gaps.contains(&662),
                "{:?}",
                &gaps[..6]
            );
        }
        let y = &raw_render(&plan, &an, &s, &[&x], 1.0)[0];
        let (a, b) = (l, an.start[n - 1]);
        for k in a..b {
            assert!(
                (y[k] - x[k]).abs() < 1e-5,
                "grain {g} hop {h}: k {k}: {} vs {}",
                y[k],
                x[k]
            );
        }
        let rms: Vec<f64> = y[a..b]
            .chunks_exact(42)
            .map(|c| (c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / 42.0).sqrt())
            .collect();
        let max = rms.iter().cloned().fold(0.0, f64::max);
        let min = rms.iter().cloned().fold(f64::INFINITY, f64::min);
        let ripple_db = 20.0 * (max / min).log10();
        assert!(ripple_db < 0.05, "grain {g} hop {h}: ripple {ripple_db} dB");
    }
}

#[test]
fn positions_are_exact_times_rounded_once_and_clamped_at_zero() {
    // A 15 ms hop is 661.5 samples: hop h lands at round(h * 661.5), never at
    // h * round(661.5) (which drifts by h / 2 samples).
    let sr = 44100;
    let s = Params {
        grain_ms: gar_core::Envelope::from(30.0),
        hop_ms: gar_core::Envelope::from(15.0),
        time_jitter_ms: gar_core::Envelope::from(0.0),
        duration_s: Some(60.0),
        ..Params::default()
    }
    .resolve(Preset::Custom, sr, sr as usize)
    .unwrap();
    let x = vec![0.1f32; sr as usize];
    let an = analyze(&[&x], &s, 1.0);
    let plan = gar_core::plan::make_plan(&vec![1.0 / an.len() as f64; an.len()], &s, 3);
    assert_eq!(plan.hops(), 4001);
    let (pl, buf_len) = placements(&plan, &an, &s);
    for (h, p) in pl.iter().enumerate() {
        let exact = h as f64 * 661.5;
        assert!((p.at as f64 - exact).abs() <= 0.5, "hop {h}: {}", p.at);
        assert_eq!(p.len, 1323);
        assert_eq!(p.ratio, 1.0);
    }
    assert_eq!(pl[4000].at, 2_646_000);
    assert_eq!(buf_len, 2_646_000 + 1323);
    // Negative times (jitter before the start) are clamped to 0.
    let plan = Plan {
        grain: vec![0, 1],
        pos_s: vec![-0.004, 0.01],
        pitch_st: vec![0.0, 0.0],
        ..Plan::default()
    };
    let (pl, _) = placements(&plan, &an, &s);
    assert_eq!(pl[0].at, 0);
    assert_eq!(pl[1].at, 441);
    assert_eq!(pl[1].src, an.start[1]);
}
