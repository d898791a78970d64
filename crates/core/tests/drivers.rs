//! The attention drivers (docs/algorithm.md, section 15) against slow f64
//! references written here from the section's formulas, on random and on
//! analytic signals: sines, white noise, silence, a step.

mod common;

use gar_core::analysis::spectrum::{Spectrum, SpectrumPlan, fft_len};
use gar_core::analysis::yin::{Yin, YinPlan, lag_range};
use gar_core::analysis::{Analysis, Driver, DriverSet, analyze, centroid, flatness, flux, zcr};
use gar_core::window::hann_f64;
use gar_core::{Params, Preset};
use realfft::RealFftPlanner;
use std::f64::consts::TAU;

// ----- the references: section 15, literally, in f64 ---------------------------

/// `|X_k|`, `k = 0 .. n/2`: the DFT of the Hann-windowed grain zero-padded to
/// the next power of two, by the definition (O(n^2)).
fn ref_mag(x: &[f32]) -> Vec<f64> {
    let l = x.len();
    let n = fft_len(l);
    let w = hann_f64(l);
    (0..=n / 2)
        .map(|k| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for j in 0..l {
                let v = x[j] as f64 * w[j];
                let ph = -TAU * (k * j % n) as f64 / n as f64;
                re += v * ph.cos();
                im += v * ph.sin();
            }
            (re * re + im * im).sqrt()
        })
        .collect()
}

fn ref_centroid(mag: &[f64], sr: u32, n: usize) -> f64 {
    let num: f64 = mag
        .iter()
        .enumerate()
        .map(|(k, m)| k as f64 * sr as f64 / n as f64 * m)
        .sum();
    let den: f64 = mag.iter().sum();
    if den == 0.0 { 0.0 } else { num / den }
}

fn ref_flatness(mag: &[f64]) -> f64 {
    let q: Vec<f64> = mag.iter().map(|m| (m * m).max(1e-20)).collect();
    let n = q.len() as f64;
    let g = (q.iter().map(|v| v.ln()).sum::<f64>() / n).exp();
    g / (q.iter().sum::<f64>() / n)
}

fn ref_flux(mag: &[f64], prev: &[f64]) -> f64 {
    mag.iter().zip(prev).map(|(a, b)| (a - b).max(0.0)).sum()
}

fn ref_zcr(x: &[f32]) -> f64 {
    let mut c = 0;
    for k in 1..x.len() {
        if (x[k - 1] < 0.0 && 0.0 <= x[k]) || (x[k] < 0.0 && 0.0 <= x[k - 1]) {
            c += 1;
        }
    }
    c as f64 / (x.len() - 1) as f64
}

/// YIN by the double loop: `(d, periodicity, pitch)`.
fn ref_yin(x: &[f32], sr: u32) -> (Vec<f64>, f64, f64) {
    let l = x.len();
    let tau_max = (l / 2).min((sr as f64 / 50.0).ceil() as usize);
    let tau_min = 2usize.max((sr as f64 / 2000.0).floor() as usize);
    if tau_max < tau_min + 2 {
        return (vec![], 0.0, 0.0);
    }
    let w = l - tau_max;
    let d: Vec<f64> = (0..=tau_max)
        .map(|tau| {
            (0..w)
                .map(|j| {
                    let e = x[j] as f64 - x[j + tau] as f64;
                    e * e
                })
                .sum()
        })
        .collect();
    let mut dn = vec![1.0; tau_max + 1];
    let mut sum = 0.0;
    for tau in 1..=tau_max {
        sum += d[tau];
        dn[tau] = if sum > 0.0 {
            d[tau] * tau as f64 / sum
        } else {
            1.0
        };
    }
    let mut t = None;
    for tau in tau_min..=tau_max {
        if dn[tau] < 0.1 {
            let mut u = tau;
            while u < tau_max && dn[u + 1] < dn[u] {
                u += 1;
            }
            t = Some(u);
            break;
        }
    }
    let t = t.unwrap_or_else(|| {
        (tau_min..=tau_max)
            .min_by(|&a, &b| dn[a].total_cmp(&dn[b]))
            .unwrap()
    });
    let per = (1.0 - dn[t]).clamp(0.0, 1.0);
    if per < 0.5 {
        return (d, per, 0.0);
    }
    let mut tr = t as f64;
    if t >= 2 && t < tau_max {
        let (a, b, c) = (dn[t - 1], dn[t], dn[t + 1]);
        if a - 2.0 * b + c > 0.0 {
            tr += (0.5 * (a - c) / (a - 2.0 * b + c)).clamp(-1.0, 1.0);
        }
    }
    (d, per, sr as f64 / tr)
}

// ----- helpers -------------------------------------------------------------------

fn all_drivers(x: &[f32], sr: u32, grain_ms: f64, cand_hop_ms: f64) -> Analysis {
    let p = Params {
        grain_ms: grain_ms.into(),
        cand_hop_ms,
        drivers: DriverSet::all(),
        ..Params::default()
    };
    let s = common::settings(&p, Preset::Custom, sr, x.len());
    analyze(&[x], &s, 1.0)
}

fn col(a: &Analysis, d: Driver) -> &[f64] {
    a.driver(d).expect("computed")
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= abs + rel * want.abs()
}

/// A random test signal: noise plus two sines, so that every driver has
/// something to measure.
fn mixture(sr: u32, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = common::rng(seed);
    let z = common::noise(&mut rng, n, 0.2);
    let a = common::sine(330.0, sr, n, 0.5, 0.3);
    let b = common::sine(1234.5, sr, n, 0.25, 1.0);
    (0..n)
        .map(|i| {
            // A level that changes over time, for the flux.
            let g = 0.5 + 0.5 * (TAU * i as f64 / n as f64 * 3.0).sin();
            ((z[i] + a[i] + b[i]) as f64 * g) as f32
        })
        .collect()
}

// ----- the tests -------------------------------------------------------------------

#[test]
fn spectral_drivers_equal_the_f64_reference() {
    for (sr, grain_ms) in [(44100u32, 50.0), (48000, 23.0), (22050, 60.0)] {
        let n = sr as usize / 2;
        let x = mixture(sr, n, sr as u64);
        let a = all_drivers(&x, sr, grain_ms, 20.0);
        let l = a.grain_len;
        let nfft = fft_len(l);
        let mut prev: Option<Vec<f64>> = None;
        for i in 0..a.len() {
            let g = &x[a.start[i]..a.start[i] + l];
            let mag = ref_mag(g);
            let c = ref_centroid(&mag, sr, nfft);
            let f = ref_flatness(&mag);
            let fl = prev.as_ref().map_or(0.0, |p| ref_flux(&mag, p));
            let scale: f64 = mag.iter().sum::<f64>() + 1e-12;
            assert!(
                close(col(&a, Driver::Centroid)[i], c, 1e-4, 1e-6),
                "centroid sr {sr} cand {i}: {} vs {c}",
                col(&a, Driver::Centroid)[i]
            );
            assert!(
                close(col(&a, Driver::Flatness)[i], f, 1e-3, 1e-6),
                "flatness sr {sr} cand {i}: {} vs {f}",
                col(&a, Driver::Flatness)[i]
            );
            assert!(
                close(col(&a, Driver::Flux)[i], fl, 1e-3, 1e-5 * scale),
                "flux sr {sr} cand {i}: {} vs {fl}",
                col(&a, Driver::Flux)[i]
            );
            assert_eq!(col(&a, Driver::Zcr)[i], ref_zcr(g), "zcr sr {sr} cand {i}");
            prev = Some(mag);
        }
    }
}

#[test]
fn yin_difference_by_fft_equals_the_double_loop() {
    let mut planner = RealFftPlanner::<f32>::new();
    for (sr, l, seed) in [
        (44100u32, 2205usize, 1u64),
        (48000, 2400, 2),
        (16000, 801, 3),
        (44100, 1764, 4),
    ] {
        let x = mixture(sr, l, seed);
        let plan = YinPlan::new(l, sr, &mut planner);
        let mut y = Yin::new(&plan);
        let (d_ref, per_ref, f0_ref) = ref_yin(&x, sr);
        let energy: f64 = x.iter().map(|v| (*v as f64).powi(2)).sum();
        let d = y.difference(&x).to_vec();
        assert_eq!(d.len(), d_ref.len());
        for (tau, (a, b)) in d.iter().zip(&d_ref).enumerate() {
            assert!(
                (a - b).abs() <= 2e-5 * energy,
                "sr {sr} L {l} d({tau}): {a} vs {b} (energy {energy})"
            );
        }
        let (per, f0) = y.measure(&x);
        assert!(
            (per - per_ref).abs() < 1e-3,
            "periodicity {per} vs {per_ref}"
        );
        assert!(close(f0, f0_ref, 1e-3, 1e-9), "pitch {f0} vs {f0_ref}");
    }
}

#[test]
fn a_sine_has_its_frequency_as_centroid_and_pitch() {
    for sr in [44100u32, 48000] {
        for f in [100.0, 137.0, 220.0, 440.0, 777.7, 1000.0, 1500.0, 2000.0] {
            let x = common::sine(f, sr, sr as usize / 4, 0.8, 0.4);
            let a = all_drivers(&x, sr, 50.0, 20.0);
            for i in 0..a.len() {
                let pitch = col(&a, Driver::Pitch)[i];
                assert!(
                    (pitch / f - 1.0).abs() < 0.005,
                    "sr {sr} f {f} cand {i}: pitch {pitch}"
                );
                let per = col(&a, Driver::Periodicity)[i];
                assert!(per > 0.99, "sr {sr} f {f}: periodicity {per}");
                let c = col(&a, Driver::Centroid)[i];
                assert!((c / f - 1.0).abs() < 0.05, "sr {sr} f {f}: centroid {c}");
                let z = col(&a, Driver::Zcr)[i];
                let want = 2.0 * f / sr as f64;
                assert!(
                    (z - want).abs() <= 1.5 / (a.grain_len - 1) as f64,
                    "sr {sr} f {f}: zcr {z} vs {want}"
                );
                let fl = col(&a, Driver::Flatness)[i];
                assert!(fl < 0.01, "sr {sr} f {f}: flatness {fl}");
            }
        }
    }
}

#[test]
fn white_noise_is_flat_and_not_periodic() {
    let sr = 44100;
    let mut rng = common::rng(7);
    let x = common::noise(&mut rng, sr as usize, 0.5);
    let a = all_drivers(&x, sr, 50.0, 20.0);
    for i in 0..a.len() {
        let fl = col(&a, Driver::Flatness)[i];
        assert!(fl > 0.5, "cand {i}: flatness {fl}");
        let per = col(&a, Driver::Periodicity)[i];
        assert!(per < 0.5, "cand {i}: periodicity {per}");
        assert_eq!(
            col(&a, Driver::Pitch)[i],
            0.0,
            "cand {i}: no pitch in noise"
        );
    }
}

#[test]
fn silence_gives_the_defined_values() {
    let sr = 44100;
    let x = vec![0.0f32; sr as usize / 2];
    let a = all_drivers(&x, sr, 50.0, 20.0);
    for i in 0..a.len() {
        assert_eq!(col(&a, Driver::Centroid)[i], 0.0);
        assert_eq!(col(&a, Driver::Flatness)[i], 1.0);
        assert_eq!(col(&a, Driver::Flux)[i], 0.0);
        assert_eq!(col(&a, Driver::Zcr)[i], 0.0);
        assert_eq!(col(&a, Driver::Periodicity)[i], 0.0);
        assert_eq!(col(&a, Driver::Pitch)[i], 0.0);
        assert_eq!(col(&a, Driver::OnsetDb)[i], 0.0);
    }
    // And a score of any mix of them stays finite.
    for score in [
        "centroid",
        "-flatness",
        "rms:1,pitch:1,zcr:2",
        "onset-db",
        "periodicity",
    ] {
        let mut p = Params::default();
        gar_core::table::find("score")
            .unwrap()
            .set_text(&mut p, score)
            .unwrap();
        let s = common::settings(&p, Preset::Custom, sr, x.len());
        let a = analyze(&[&x], &s, 1.0);
        assert!(a.score.iter().all(|v| v.is_finite()), "{score}");
    }
}

#[test]
fn flux_is_zero_on_a_steady_sine_and_large_at_a_step() {
    let sr = 48000;
    // 1 kHz at 48 kHz: 48 samples a period; a 20 ms candidate hop is 960
    // samples, 20 periods, so every candidate holds the same samples.
    let n = sr as usize;
    let mut x = common::sine(1000.0, sr, n, 0.5, 0.0);
    let a = all_drivers(&x, sr, 40.0, 20.0);
    let fl = col(&a, Driver::Flux);
    let total: f64 = ref_mag(&x[..a.grain_len]).iter().sum();
    for (i, v) in fl.iter().enumerate() {
        assert!(
            *v <= 1e-4 * total,
            "steady flux {i}: {v} (spectrum sum {total})"
        );
    }
    // Silence, then the sine: the flux peaks where it starts.
    x[..n / 2].fill(0.0);
    let a = all_drivers(&x, sr, 40.0, 20.0);
    let fl = col(&a, Driver::Flux);
    let (imax, vmax) = fl
        .iter()
        .enumerate()
        .fold((0, 0.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
    let t = a.start[imax] as f64 / sr as f64;
    assert!(
        vmax > 0.1 * total,
        "step flux {vmax} (spectrum sum {total})"
    );
    assert!((0.45..=0.5).contains(&t), "the step's flux peaks at {t} s");
}

#[test]
fn the_units_agree_with_their_reference_one_by_one() {
    // The small units, on one grain each, against the references.
    let sr = 44100;
    let l = 1500;
    let x = mixture(sr, l, 11);
    let w = hann_f64(l);
    let plan = SpectrumPlan::new(&w);
    let mut sp = Spectrum::new(&plan);
    sp.compute(&x);
    let mag = ref_mag(&x);
    for (k, (a, b)) in sp.mag.iter().zip(&mag).enumerate() {
        assert!(
            (f64::from(*a) - b).abs() <= 1e-5 * mag.iter().cloned().fold(0.0, f64::max),
            "bin {k}"
        );
    }
    let bin_hz = sr as f64 / sp.n() as f64;
    assert!(close(
        centroid::centroid(&sp.mag, bin_hz),
        ref_centroid(&mag, sr, sp.n()),
        1e-4,
        0.0
    ));
    let q: Vec<f32> = mag.iter().map(|m| (m * m) as f32).collect();
    assert!(close(flatness::flatness(&q), ref_flatness(&mag), 1e-5, 0.0));
    // Flux takes the spectrum's f32 magnitudes and sums in f64.
    let mag32: Vec<f32> = mag.iter().map(|&m| m as f32).collect();
    let half32: Vec<f32> = mag32.iter().map(|m| 0.5 * m).collect();
    let (m64, h64): (Vec<f64>, Vec<f64>) = (
        mag32.iter().map(|&m| f64::from(m)).collect(),
        half32.iter().map(|&m| f64::from(m)).collect(),
    );
    assert!(close(
        flux::flux(&mag32, &half32),
        ref_flux(&m64, &h64),
        1e-12,
        0.0
    ));
    assert_eq!(flux::flux(&half32, &mag32), 0.0);
    assert_eq!(zcr::zcr(&x), ref_zcr(&x));
    assert_eq!(zcr::zcr(&[1.0, -1.0, 0.0, -0.5]), 3.0 / 3.0);
    assert_eq!(zcr::zcr(&[0.5]), 0.0);
    // Too short for the lag range at 44.1 kHz: tau_max = L/2 < tau_min + 2.
    assert_eq!(lag_range(46, 44100), None);
    assert!(lag_range(48, 44100).is_some());
}
