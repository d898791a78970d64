//! Candidates and scores (docs/algorithm.md, sections 2-4) against a naive f64 reference
//! written here, plus the candidate count and start rules in exact integer
//! arithmetic.

mod common;

use gar_core::analysis::{analyze, candidate_count, candidate_starts};
use gar_core::plan::uniform;
use gar_core::{Params, Preset, ScoreType, Settings};

/// The mono analysis signal (docs/algorithm.md, section 2): the channels' average, formed
/// in f32 like the audio itself (sum in channel order, then divide).
fn mono(chs: &[Vec<f32>]) -> Vec<f32> {
    (0..chs[0].len())
        .map(|n| {
            let mut acc = chs[0][n];
            for c in &chs[1..] {
                acc += c[n];
            }
            acc / chs.len() as f32
        })
        .collect()
}

/// Naive windowed power of candidate `start` (docs/algorithm.md, section 4), in f64.
fn naive_power(x: &[f32], start: usize, l: usize) -> f64 {
    let mut acc = 0.0;
    for k in 0..l {
        let x = x[start + k] as f64;
        let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (k as f64 + 0.5) / l as f64).cos();
        acc += (x * w) * (x * w);
    }
    (acc / l as f64).max(1e-18)
}

/// Naive scores from powers (docs/algorithm.md, section 4), in f64.
fn naive_scores(p: &[f64], kind: ScoreType, tw: f64) -> Vec<f64> {
    let n = p.len();
    let mut t = vec![0.0; n];
    for i in 1..n {
        let d = p[i] - p[i - 1];
        t[i] = match kind {
            ScoreType::Edge => d.abs(),
            _ => d.max(0.0),
        };
    }
    let pmax = p.iter().cloned().fold(0.0, f64::max).max(1e-30);
    let tmax = t.iter().cloned().fold(0.0, f64::max).max(1e-30);
    (0..n)
        .map(|i| match kind {
            ScoreType::Rms => p[i] / pmax,
            ScoreType::Onset | ScoreType::Edge => t[i] / tmax,
            ScoreType::Mixed => (1.0 - tw) * p[i] / pmax + tw * t[i] / tmax,
        })
        .collect()
}

/// Noise under a random, slowly changing envelope (so that scores vary), per channel.
fn test_sound(seed: u64, channels: usize, len: usize) -> Vec<Vec<f32>> {
    let mut r = common::rng(seed);
    // Piecewise-constant envelope, 40 segments, levels spanning 60 dB.
    let levels: Vec<f64> = (0..40)
        .map(|_| 10f64.powf(-3.0 * uniform(&mut r)))
        .collect();
    (0..channels)
        .map(|_| {
            (0..len)
                .map(|n| {
                    let e = levels[n * 40 / len];
                    (e * (2.0 * uniform(&mut r) - 1.0)) as f32
                })
                .collect()
        })
        .collect()
}

fn settings(sr: u32, len: usize, g: f64, c: f64, kind: ScoreType, tw: f64) -> Settings {
    Params {
        grain_ms: g.into(),
        hop_ms: gar_core::Envelope::from(g / 2.0),
        cand_hop_ms: c,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        score: kind,
        transient_weight: tw,
        ..Params::default()
    }
    .resolve(Preset::Custom, sr, len)
    .unwrap()
}

#[test]
fn scores_equal_a_naive_f64_reference() {
    // (sample rate, source length, grain ms, cand hop ms, channels); the grains
    // are 2205 (odd), 441, 1323 (odd), 1600 and 441 samples long.
    let cases = [
        (44100u32, 44100usize, 50.0, 20.0, 1usize),
        (44100, 30000, 10.0, 10.0, 2),
        (44100, 50000, 30.0, 7.0, 1),
        (32000, 40000, 50.0, 15.0, 2),
        (22050, 20000, 20.0, 3.0, 1),
    ];
    let kinds = [
        (ScoreType::Rms, 0.5),
        (ScoreType::Onset, 0.5),
        (ScoreType::Edge, 0.5),
        (ScoreType::Mixed, 0.0),
        (ScoreType::Mixed, 0.3),
        (ScoreType::Mixed, 1.0),
    ];
    for (ci, &(sr, len, g, c, nch)) in cases.iter().enumerate() {
        let chs = test_sound(100 + ci as u64, nch, len);
        let refs: Vec<&[f32]> = chs.iter().map(|c| c.as_slice()).collect();
        for &(kind, tw) in &kinds {
            let s = settings(sr, len, g, c, kind, tw);
            let a = analyze(&refs, &s, 1.0);
            let l = a.grain_len;
            assert_eq!(l, (g * sr as f64 / 1000.0).round() as usize);
            let x = mono(&chs);
            let p: Vec<f64> = a.start.iter().map(|&st| naive_power(&x, st, l)).collect();
            for (i, (&got, &want)) in a.rms_power.iter().zip(&p).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-9 * want,
                    "case {ci} {kind:?}: power {i}: {got} vs {want}"
                );
            }
            // Scores live in [0, 1] (normalised by their max): absolute 1e-9.
            let want = naive_scores(&p, kind, tw);
            assert_eq!(a.score.len(), want.len());
            for (i, (&got, &w)) in a.score.iter().zip(&want).enumerate() {
                assert!(
                    (got - w).abs() <= 1e-9,
                    "case {ci} {kind:?} tw {tw}: score {i}: {got} vs {w}"
                );
            }
            let smax = a.score.iter().cloned().fold(0.0, f64::max);
            assert!((smax - 1.0).abs() < 1e-12 || kind == ScoreType::Mixed);
        }
    }
}

#[test]
fn scores_do_not_depend_on_the_level_powers_do() {
    let chs = test_sound(7, 2, 30000);
    let loud: Vec<Vec<f32>> = chs
        .iter()
        .map(|c| c.iter().map(|x| x * 0.25).collect())
        .collect();
    let r1: Vec<&[f32]> = chs.iter().map(|c| c.as_slice()).collect();
    let r2: Vec<&[f32]> = loud.iter().map(|c| c.as_slice()).collect();
    for kind in ScoreType::ALL {
        let s = settings(44100, 30000, 40.0, 10.0, kind, 0.4);
        let a = analyze(&r1, &s, 1.0);
        let b = analyze(&r2, &s, 1.0);
        let c = analyze(&r1, &s, 3.0);
        for i in 0..a.len() {
            assert!((a.score[i] - b.score[i]).abs() < 1e-9, "{kind:?} {i}");
            assert!((a.score[i] - c.score[i]).abs() < 1e-9, "{kind:?} {i}");
            // The gain (wet-source level) scales the reported power by gain^2.
            let ratio = c.rms_power[i] / a.rms_power[i];
            assert!((ratio - 9.0).abs() < 1e-9, "{kind:?} {i}: {ratio}");
            let ratio = b.rms_power[i] / a.rms_power[i];
            assert!((ratio - 0.0625).abs() < 1e-9, "{kind:?} {i}: {ratio}");
        }
    }
}

/// `round(num / den)` for positive integers, halves up (= f64 `round`).
fn div_round(num: u64, den: u64) -> u64 {
    (2 * num + den) / (2 * den)
}

#[test]
fn candidate_count_and_starts_follow_the_rules_exactly() {
    let mut checked = 0;
    let mut exact_multiples = 0;
    for sr in [8000u64, 22050, 44100, 48000] {
        for len in [sr.div_ceil(20), sr / 10 + 7, sr, 3 * sr / 2 + 1, 5 * sr] {
            for g in [5u64, 10, 20, 30, 50, 60, 100, 333, 1000] {
                for c in [1u64, 3, 7, 10, 12, 15, 20, 50] {
                    // Stay inside the clamps: no derived rule may change g or c.
                    if c > g || g * sr > len * 1000 {
                        continue;
                    }
                    let s = settings(
                        sr as u32,
                        len as usize,
                        g as f64,
                        c as f64,
                        ScoreType::Rms,
                        0.5,
                    );
                    assert_eq!((s.grain_ms, s.cand_hop_ms), (g as f64, c as f64));
                    // N = floor((D - g) / c) + 1 with D - g = (len*1000 - g*sr) / (1000 sr).
                    let num = len * 1000 - g * sr;
                    let den = c * sr;
                    let n = (num / den + 1) as usize;
                    if num % den == 0 {
                        exact_multiples += 1;
                    }
                    assert_eq!(candidate_count(&s), n, "sr {sr} len {len} g {g} c {c}");
                    let l = div_round(g * sr, 1000);
                    assert_eq!(s.grain_len() as u64, l);
                    let starts = candidate_starts(&s);
                    assert_eq!(starts.len(), n);
                    for (i, &st) in starts.iter().enumerate() {
                        // s_i = min(round(i c sr), len - L); i c sr = (i c sr_int) / 1000.
                        let x = i as u64 * c * sr;
                        let clamp = len - l;
                        let exact_half = x % 1000 == 500;
                        let want = div_round(x, 1000).min(clamp);
                        if exact_half && div_round(x, 1000) <= clamp {
                            // A tie: f64 may land on either side of the half.
                            assert!(st as u64 == x / 1000 || st as u64 == x / 1000 + 1);
                        } else {
                            assert_eq!(st as u64, want, "sr {sr} len {len} g {g} c {c} i {i}");
                        }
                        assert!(st as u64 + l <= len);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
    assert!(exact_multiples > 10, "{exact_multiples}");
}

#[test]
fn an_exact_multiple_is_not_lost_to_floating_point() {
    // 5 s, grain 30 ms, candidate hop 10 ms: (5 - 0.03) / 0.01 is 497 exactly, but
    // 496.99999999999994 in f64; N must be 498 and the last start len - L.
    assert!(((5.0f64 - 0.03) / 0.01).floor() < 497.0);
    let s = settings(44100, 220500, 30.0, 10.0, ScoreType::Rms, 0.5);
    assert_eq!(candidate_count(&s), 498);
    let st = candidate_starts(&s);
    assert_eq!(st[497], 220500 - 1323);
    assert_eq!(st[497], 497 * 441);
    // Grain as long as the source: one candidate at 0.
    let s = settings(44100, 4410, 100.0, 20.0, ScoreType::Rms, 0.5);
    assert_eq!(candidate_count(&s), 1);
    assert_eq!(candidate_starts(&s), vec![0]);
    // One sample short of a further candidate.
    let s = settings(8000, 8000 + 79, 50.0, 10.0, ScoreType::Rms, 0.5);
    assert_eq!(candidate_count(&s), 96);
    let s = settings(8000, 8000 + 80, 50.0, 10.0, ScoreType::Rms, 0.5);
    assert_eq!(candidate_count(&s), 97);
}

#[test]
fn onset_ignores_decays_edge_does_not() {
    // Silence, then at 0.3 s a step to 1.0 decaying exponentially (tau 0.15 s).
    let sr = 8000u32;
    let len = 8000;
    let attack = 2400;
    let x: Vec<f32> = (0..len)
        .map(|n| {
            if n < attack {
                0.0
            } else {
                (-((n - attack) as f64) / (0.15 * sr as f64)).exp() as f32
            }
        })
        .collect();
    let score = |kind| {
        let s = settings(sr, len, 50.0, 10.0, kind, 0.5);
        analyze(&[&x], &s, 1.0)
    };
    let onset = score(ScoreType::Onset);
    let edge = score(ScoreType::Edge);
    let l = onset.grain_len;
    assert_eq!(l, 400);
    let mut decays = 0;
    for i in 0..onset.len() {
        let st = onset.start[i];
        if st + l <= attack {
            // Silence: nothing rises, nothing falls.
            assert_eq!(onset.score[i], 0.0, "{i}");
            assert_eq!(edge.score[i], 0.0, "{i}");
        } else if st > attack {
            // The window and its predecessor's lie entirely in the decay.
            assert_eq!(onset.score[i], 0.0, "onset of decay candidate {i}");
            assert!(edge.score[i] > 0.0, "edge of decay candidate {i}");
            decays += 1;
        }
    }
    assert!(decays > 50, "{decays}");
    // The attack is where onset peaks: a window overlapping the step.
    let best = (0..onset.len())
        .max_by(|&a, &b| onset.score[a].total_cmp(&onset.score[b]))
        .unwrap();
    assert!(onset.start[best] < attack && onset.start[best] + l > attack);
    assert_eq!(onset.score[best], 1.0);
    // Edge is largest at the attack too, but the largest decay step is nonzero.
    let decay_max = (0..edge.len())
        .filter(|&i| edge.start[i] > attack)
        .map(|i| edge.score[i])
        .fold(0.0, f64::max);
    assert!(decay_max > 0.01, "{decay_max}");
}

#[test]
fn mixed_weights_interpolate_rms_and_onset() {
    let chs = test_sound(11, 1, 40000);
    let r: Vec<&[f32]> = chs.iter().map(|c| c.as_slice()).collect();
    let get = |kind, tw| analyze(&r, &settings(44100, 40000, 50.0, 10.0, kind, tw), 1.0).score;
    let rms = get(ScoreType::Rms, 0.5);
    let onset = get(ScoreType::Onset, 0.5);
    assert_eq!(get(ScoreType::Mixed, 0.0), rms);
    let m1 = get(ScoreType::Mixed, 1.0);
    let m = get(ScoreType::Mixed, 0.25);
    for i in 0..rms.len() {
        assert!((m1[i] - onset[i]).abs() < 1e-15);
        assert!((m[i] - (0.75 * rms[i] + 0.25 * onset[i])).abs() < 1e-12);
    }
    // The transient weight only matters to `mixed`.
    assert_eq!(get(ScoreType::Rms, 0.9), rms);
    assert_eq!(get(ScoreType::Onset, 0.9), onset);
}

#[test]
fn analysis_of_a_stereo_source_uses_the_channel_average() {
    // Averaging: L and R with opposite halves give the same scores as their mean.
    let chs = test_sound(21, 2, 20000);
    let mean: Vec<f32> = (0..20000).map(|n| (chs[0][n] + chs[1][n]) / 2.0).collect();
    let s = settings(44100, 20000, 20.0, 5.0, ScoreType::Edge, 0.5);
    let a = analyze(&[&chs[0], &chs[1]], &s, 1.0);
    let b = analyze(&[&mean], &s, 1.0);
    for i in 0..a.len() {
        assert!((a.score[i] - b.score[i]).abs() < 1e-6, "{i}");
    }
}
