//! Scores as weighted mixes of drivers (docs/algorithm.md, section 15): the
//! weights are normalised, a minus sign inverts, a single driver is its own
//! normalised values, and the four original score types stay bit for bit
//! what they were, whatever else the analysis computes.

mod common;

use gar_core::analysis::mix::normalise;
use gar_core::analysis::{Driver, DriverSet, Mix, analyze, scores};
use gar_core::table::find;
use gar_core::{Params, Preset, ScoreType};

fn signal() -> (Vec<f32>, u32) {
    let sr = 44100;
    let n = 2 * sr as usize;
    let mut rng = common::rng(5);
    let z = common::noise(&mut rng, n, 0.3);
    let s = common::sine(440.0, sr, n, 0.5, 0.0);
    let x = (0..n)
        .map(|i| {
            let t = i as f64 / sr as f64;
            // Noise in the first half, a tone in the second, a swell over both.
            let g = (0.2 + 0.8 * t / 2.0) as f32;
            g * if t < 1.0 { z[i] } else { s[i] }
        })
        .collect();
    (x, sr)
}

fn with_score(score: &str) -> Params {
    let mut p = Params::default();
    find("score").unwrap().set_text(&mut p, score).unwrap();
    p
}

fn score_of(x: &[f32], sr: u32, p: &Params) -> gar_core::Analysis {
    let s = common::settings(p, Preset::Custom, sr, x.len());
    analyze(&[x], &s, 0.7)
}

#[test]
fn a_single_driver_is_its_own_normalised_values() {
    let (x, sr) = signal();
    for d in Driver::ALL {
        let a = score_of(&x, sr, &with_score(d.id()));
        let raw = a.driver(d).map(<[f64]>::to_vec).unwrap_or_else(|| {
            // rms, onset and edge alone are the original score types: their
            // raw values are not kept, but the score is the same.
            let p = Params {
                drivers: DriverSet::all(),
                ..with_score(d.id())
            };
            score_of(&x, sr, &p).driver(d).unwrap().to_vec()
        });
        assert_eq!(a.score, normalise(d, &raw), "{d}");
        assert!(a.score.iter().all(|v| (0.0..=1.0).contains(v)), "{d}");
        let hi = a.score.iter().cloned().fold(0.0, f64::max);
        assert_eq!(hi, 1.0, "{d}: the best grain scores 1");
    }
}

#[test]
fn a_minus_sign_inverts() {
    let (x, sr) = signal();
    for d in ["centroid", "flatness", "pitch", "onset-db"] {
        let up = score_of(&x, sr, &with_score(d)).score;
        let down = score_of(&x, sr, &with_score(&format!("-{d}"))).score;
        for (u, v) in up.iter().zip(&down) {
            assert_eq!(*v, 1.0 - u, "{d}");
        }
    }
    // Noise is flat, the tone is not: -flatness prefers the tone's grains.
    let a = score_of(&x, sr, &with_score("-flatness"));
    let s = common::settings(&with_score("-flatness"), Preset::Custom, sr, x.len());
    let (mut noise, mut tone) = (0.0, 0.0);
    for i in 0..a.len() {
        if a.start_s(i, sr) + s.grain_s() < 1.0 {
            noise = f64::max(noise, a.score[i]);
        } else if a.start_s(i, sr) > 1.0 {
            tone += a.score[i];
        }
    }
    assert!(
        noise < 0.2,
        "noise grains score at most {noise} under -flatness"
    );
    assert!(tone > 0.0);
}

#[test]
fn weights_are_divided_by_their_sum() {
    let (x, sr) = signal();
    let a = score_of(&x, sr, &with_score("rms:0.6,centroid:0.4")).score;
    let b = score_of(&x, sr, &with_score("rms:3, centroid:2")).score;
    for (u, v) in a.iter().zip(&b) {
        assert!((u - v).abs() < 1e-15);
    }
    let all = Params {
        drivers: DriverSet::all(),
        ..Params::default()
    };
    let full = score_of(&x, sr, &all);
    let rms = normalise(Driver::Rms, full.driver(Driver::Rms).unwrap());
    let cen = normalise(Driver::Centroid, full.driver(Driver::Centroid).unwrap());
    for i in 0..a.len() {
        let want = 0.6 * rms[i] + 0.4 * cen[i];
        assert!((a[i] - want).abs() < 1e-15, "{i}: {} vs {want}", a[i]);
    }
    // A zero weight leaves a driver out of the score.
    let c = score_of(&x, sr, &with_score("rms:1,centroid:0")).score;
    assert_eq!(c, rms);
}

#[test]
fn the_original_score_types_are_unchanged_bit_for_bit() {
    let (x, sr) = signal();
    let y: Vec<f32> = x.iter().map(|v| -0.5 * v).collect();
    for t in ScoreType::ALL {
        for tw in [0.0, 0.3, 1.0] {
            let plain = Params {
                score: t,
                transient_weight: tw,
                ..Params::default()
            };
            // Asking for every driver as well changes nothing of the score
            // or the powers, for one channel and for a stereo mix.
            let with_all = Params {
                drivers: DriverSet::all(),
                ..plain.clone()
            };
            for chans in [vec![&x[..]], vec![&x[..], &y[..]]] {
                let s = common::settings(&plain, Preset::Custom, sr, x.len());
                let a = analyze(&chans, &s, 0.9);
                let s2 = common::settings(&with_all, Preset::Custom, sr, x.len());
                let b = analyze(&chans, &s2, 0.9);
                assert_eq!(a.rms_power, b.rms_power, "{t} tw {tw}");
                assert_eq!(a.score, b.score, "{t} tw {tw}");
                assert_eq!(a.score, scores(&a.rms_power, t, tw), "{t} tw {tw}");
                assert!(a.drivers.is_empty());
                assert_eq!(b.drivers.len(), Driver::ALL.len());
            }
        }
    }
    // `mixed` is rms:(1-tw),onset:tw.
    let m = score_of(
        &x,
        sr,
        &Params {
            score: ScoreType::Mixed,
            transient_weight: 0.3,
            ..Params::default()
        },
    );
    let r = score_of(&x, sr, &with_score("rms:0.7,onset:0.3"));
    for (u, v) in m.score.iter().zip(&r.score) {
        assert!((u - v).abs() < 1e-15);
    }
}

#[test]
fn scores_parse_print_and_name_the_parameter_in_errors() {
    let spec = find("score").unwrap();
    for (text, canon) in [
        ("rms", "rms"),
        ("transient", "onset"),
        ("mixed", "mixed"),
        ("centroid", "centroid"),
        ("-flatness", "-flatness"),
        ("rms:0.6,centroid:0.4", "rms:0.6, centroid:0.4"),
        (" RMS : 2 , -ZCR:1 ", "rms:2, -zcr"),
        ("onset_db", "onset-db"),
    ] {
        let mut p = Params::default();
        spec.set_text(&mut p, text).unwrap();
        assert_eq!(spec.get_text(&p).unwrap(), canon, "{text}");
        let mut q = Params::default();
        spec.set_text(&mut q, canon).unwrap();
        assert!(spec.same(&p, &q), "{canon} reads back");
    }
    let m = Mix::parse("rms:0:1, 0.5:0, 1:1, centroid:1").unwrap();
    assert_eq!(m.terms.len(), 2);
    assert_eq!(m.terms[0].weight.points().len(), 3);
    assert_eq!(Mix::parse(&m.to_string()).unwrap(), m);
    for (bad, part) in [
        ("brightness", "unknown driver 'brightness'"),
        ("rms:-1", "must be >= 0"),
        ("rms:0,centroid:0", "sum to 0"),
        ("rms:x", "the weight of rms"),
        ("rms,mixed:1", "mixed is rms:(1 - tw),onset:tw"),
    ] {
        let mut p = Params::default();
        let e = spec.set_text(&mut p, bad).unwrap_err();
        assert_eq!(e.param(), Some("score"), "{bad}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("score: ") && msg.contains(part),
            "{bad}: {msg}"
        );
    }
    let d = find("drivers").unwrap();
    let mut p = Params::default();
    d.set_text(&mut p, "all").unwrap();
    assert_eq!(p.drivers, DriverSet::all());
    d.set_text(&mut p, "pitch, zcr").unwrap();
    assert_eq!(d.get_text(&p).unwrap(), "zcr,pitch");
    let e = d.set_text(&mut p, "pitch,colour").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("drivers: unknown driver 'colour'"),
        "{e}"
    );
}
