//! Finishing (docs/algorithm.md, section 8): exact trim, linear edge fades of
//! min(5 ms, 0.1 D_out), wet/dry, and the 0.99 peak. The DC high-pass and the
//! level options have their own file (levels.rs); here it is off where a test
//! checks the linear formula of the other steps.

mod common;

use common::{correlation, noise, peak, rng, run};
use gar_core::finish::{dry_factor, fade_block, fade_len, mix_dry_block};
use gar_core::render::{Finishing, RenderJob};
use gar_core::{ChannelMode, Params, Preset};

/// The overlap-added wet signal of a prepared run, without any finishing.
fn raw_wet(p: &gar_core::Prepared, chs: &[&[f32]]) -> Vec<gar_core::SampleBuf> {
    RenderJob::new(
        &p.plan,
        &p.analysis,
        &p.settings,
        chs,
        p.wet_gain,
        p.settings.output_len(),
        Finishing::none(),
    )
    .render()
    .0
}

fn no_dc(p: Params) -> Params {
    Params {
        dc_block: false,
        ..p
    }
}

/// 1.5 s of a signal that never comes near zero (so that ratios are well defined).
fn source(sr: u32, channels: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut r = rng(seed);
    let n = (1.5 * sr as f64) as usize;
    (0..channels)
        .map(|c| {
            noise(&mut r, n, 0.1)
                .into_iter()
                .map(|v| v + 0.5 - 0.1 * c as f32)
                .collect()
        })
        .collect()
}

fn refs(x: &[Vec<f32>]) -> Vec<&[f32]> {
    x.iter().map(|c| c.as_slice()).collect()
}

#[test]
fn fade_length_is_min_5_ms_and_a_tenth_of_the_output() {
    assert_eq!(fade_len(1.5, 48000), 240);
    assert_eq!(fade_len(1.5, 8000), 40);
    assert_eq!(fade_len(3600.0, 44100), fade_len(0.05, 44100));
    assert!([220, 221].contains(&fade_len(0.05, 44100))); // 220.5 frames
    assert_eq!(fade_len(0.03, 48000), 144); // 3 ms
    assert_eq!(fade_len(0.01, 48000), 48); // 1 ms
    assert_eq!(fade_len(0.0025, 48000), 12); // 0.25 ms
    assert_eq!(fade_len(0.0019, 48000), 0); // 0.19 ms: none
    assert_eq!(fade_len(0.001, 48000), 0);
}

#[test]
fn fades_are_linear() {
    let mut x = vec![1.0f32; 1000];
    fade_block(&mut x, 0, 1000, 100);
    for k in 0..100 {
        assert_eq!(x[k], k as f32 / 100.0);
        assert_eq!(x[999 - k], k as f32 / 100.0);
    }
    assert!(x[100..900].iter().all(|&v| v == 1.0));
    // A fade longer than half the signal meets in the middle.
    let mut x = vec![1.0f32; 10];
    fade_block(&mut x, 0, 10, 8);
    assert_eq!(x, vec![0.0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.6, 0.4, 0.2, 0.0]);
}

#[test]
fn rendered_output_fades_linearly_at_both_ends() {
    for sr in [44100u32, 48000] {
        for (duration, fade_ms) in [
            (None, 5.0),
            (Some(0.03), 3.0),
            (Some(0.7), 5.0),
            (Some(0.0019), 0.0),
        ] {
            for nch in [1usize, 2] {
                let x = source(sr, nch, 3);
                let chs = refs(&x);
                let params = no_dc(Params {
                    duration_s: duration,
                    ..Preset::SelfRemix.params()
                });
                let p = gar_core::prepare(&chs, sr, &params, Preset::SelfRemix, 9).unwrap();
                let y = gar_core::render_prepared(&p, &chs).0;
                let len = p.settings.output_len();
                let n = fade_len(p.settings.duration_s, sr);
                assert_eq!(n, (fade_ms / 1000.0 * sr as f64).round() as usize);
                // The same plan without any finishing.
                let raw = raw_wet(&p, &chs);
                // y = G * raw * fade(k): find G in the middle, check every frame.
                let mid = len / 2;
                let g = y[0][mid] as f64 / raw[0][mid] as f64;
                for c in 0..nch {
                    for k in 0..len {
                        let edge = k.min(len - 1 - k);
                        let f = if edge < n {
                            edge as f64 / n as f64
                        } else {
                            1.0
                        };
                        let want = g * raw[c][k] as f64 * f;
                        assert!(
                            (y[c][k] as f64 - want).abs() <= 1e-5 * raw[c][k].abs() as f64 + 1e-7,
                            "{sr} Hz, D {duration:?}, ch {c}, k {k}: {} vs {want}",
                            y[c][k]
                        );
                    }
                }
                if n > 0 {
                    assert_eq!(y[0][0], 0.0);
                    assert_eq!(y[0][len - 1], 0.0);
                } else {
                    assert!(y[0][0] != 0.0);
                }
            }
        }
    }
}

#[test]
fn wet_zero_returns_the_input() {
    for sr in [44100u32, 48000] {
        let mut r = rng(4);
        let n = (1.5 * sr as f64) as usize;
        let x = vec![noise(&mut r, n, 0.3), noise(&mut r, n, 0.2)];
        let chs = refs(&x);
        for (duration, channels) in [
            (None, ChannelMode::Linked),
            (Some(0.7), ChannelMode::Linked),
            (Some(3.3), ChannelMode::Linked),
            (None, ChannelMode::Mono),
        ] {
            let params = no_dc(Params {
                wet: gar_core::Envelope::from(0.0),
                duration_s: duration,
                channels,
                pitch_jitter_st: gar_core::Envelope::from(1.0),
                ..Params::default()
            });
            let y = run(&chs, sr, &params, 1);
            let len = (duration.unwrap_or(1.5) * sr as f64).round() as usize;
            let dry: Vec<Vec<f32>> = match channels {
                ChannelMode::Linked | ChannelMode::Independent => x.clone(),
                ChannelMode::Mono => vec![gar_core::mono_mix(&chs).to_vec()],
            };
            assert_eq!(y.len(), dry.len());
            let pk = y.iter().map(|c| peak(c)).fold(0.0, f32::max);
            assert!((pk - 0.99).abs() < 1e-6, "{pk}");
            for (yc, dc) in y.iter().zip(&dry) {
                assert_eq!(yc.len(), len);
                let m = len.min(n);
                // The fades now shape the whole mix, dry included: compare
                // between them.
                let f = fade_len(len as f64 / sr as f64, sr);
                let e = m.min(len - f);
                let c = correlation(&yc[f..e], &dc[f..e]);
                assert!(c > 0.99999, "{duration:?} {channels:?}: correlation {c}");
                // Past the end of the source the dry signal is silence.
                assert!(yc[m..].iter().all(|&v| v == 0.0));
            }
            // Linked: both channels share one gain (the image is kept).
            if channels == ChannelMode::Linked {
                let g0 = y[0][1000] / x[0][1000];
                let g1 = y[1][1000] / x[1][1000];
                assert!((g0 / g1 - 1.0).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn wet_dry_mix_is_linear_and_skipped_below_0_1_percent_dry() {
    let mut out = vec![1.0f32, 1.0, 1.0];
    mix_dry_block(
        &mut out,
        &[0.0, 2.0],
        0,
        0.25,
        dry_factor(0.25, 1.0).unwrap(),
    );
    assert_eq!(out, vec![0.25, 1.75, 0.25]);
    // The dry source scaled by the source gain, from frame `start` on.
    let mut out = vec![1.0f32, 1.0];
    mix_dry_block(
        &mut out,
        &[9.0, 0.0, 2.0],
        1,
        0.25,
        dry_factor(0.25, 2.0).unwrap(),
    );
    assert_eq!(out, vec![0.25, 3.25]);
    assert_eq!(dry_factor(0.9995, 1.0), None);

    // Through a run: wet 30 % = fade(0.3 x wet + 0.7 x g x dry), then the peak,
    // with g the source gain of section 2 (the same for wet and dry).
    let sr = 44100;
    let x = source(sr, 2, 8);
    let chs = refs(&x);
    let params = no_dc(Params {
        wet: gar_core::Envelope::from(30.0),
        ..Params::default()
    });
    let p = gar_core::prepare(&chs, sr, &params, Preset::Custom, 2).unwrap();
    let y = gar_core::render_prepared(&p, &chs).0;
    let len = p.settings.output_len();
    let wet = raw_wet(&p, &chs);
    let n = fade_len(1.5, sr);
    let g = p.wet_gain as f64;
    let z: Vec<Vec<f64>> = (0..2)
        .map(|c| {
            (0..len)
                .map(|k| {
                    let e = k.min(len - 1 - k);
                    let f = if e < n { e as f64 / n as f64 } else { 1.0 };
                    f * (0.3 * wet[c][k] as f64 + 0.7 * g * x[c][k] as f64)
                })
                .collect()
        })
        .collect();
    let zp = z.iter().flatten().fold(0f64, |m, v| m.max(v.abs()));
    for c in 0..2 {
        for k in 0..len {
            let want = z[c][k] * 0.99 / zp;
            assert!((y[c][k] as f64 - want).abs() < 1e-5, "ch {c} k {k}");
        }
    }

    // Wet 99.95 %: the dry share 0.05 % is below 0.1 %, so it is exactly wet 100 %.
    let full = run(&chs, sr, &Params::default(), 2);
    let almost = run(
        &chs,
        sr,
        &Params {
            wet: gar_core::Envelope::from(99.95),
            ..Params::default()
        },
        2,
    );
    assert_eq!(full, almost);
    let less = run(
        &chs,
        sr,
        &Params {
            wet: gar_core::Envelope::from(99.8),
            ..Params::default()
        },
        2,
    );
    assert_ne!(full, less);
}

#[test]
fn output_length_is_exactly_round_d_out_times_sr() {
    for sr in [44100u32, 48000] {
        for nch in [1usize, 2] {
            let x = source(sr, nch, 5);
            let chs = refs(&x);
            for d in [0.7, 3.3, 0.70001, 1.5, 0.0523] {
                let params = Params {
                    duration_s: Some(d),
                    ..Preset::Crystallize.params()
                };
                let y = run(&chs, sr, &params, 3);
                let want = (d * sr as f64).round() as usize;
                assert_eq!(y.len(), nch);
                for c in &y {
                    assert_eq!(c.len(), want, "{sr} Hz, {nch} ch, {d} s");
                }
                let pk = y.iter().map(|c| peak(c)).fold(0.0, f32::max);
                assert!((pk - 0.99).abs() < 1e-6);
                if d == 3.3 {
                    // Grains keep coming past the end of the source.
                    let tail = &y[0][(2.5 * sr as f64) as usize..(3.2 * sr as f64) as usize];
                    let head = &y[0][(0.1 * sr as f64) as usize..(0.8 * sr as f64) as usize];
                    let e = |s: &[f32]| s.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
                    assert!(e(tail) > 0.5 * e(head), "the long output goes quiet");
                }
            }
        }
    }
    // The default output duration is the source's.
    let x = source(44100, 1, 6);
    let y = run(&refs(&x), 44100, &Params::default(), 1);
    assert_eq!(y[0].len(), x[0].len());
}

#[test]
fn the_peak_is_0_99_and_silence_stays_silent() {
    // A very quiet source still comes out at 0.99 (the wet source is normalised).
    let mut r = rng(12);
    let x = noise(&mut r, 44100, 1e-4);
    let y = run(&[&x], 44100, &Params::default(), 1);
    assert!((peak(&y[0]) - 0.99).abs() < 1e-6);
    // A silent source gives silence, with a warning.
    let x = vec![0.0f32; 44100];
    let p = gar_core::prepare(&[&x], 44100, &Params::default(), Preset::Custom, 1).unwrap();
    assert!(p.warnings.iter().any(|w| w.contains("silent")));
    let y = gar_core::render_prepared(&p, &[&x]).0;
    assert!(y[0].iter().all(|&v| v == 0.0));
}
