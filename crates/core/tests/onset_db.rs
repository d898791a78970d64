//! `onset-db` hears a quiet attack that the linear `onset` misses behind a
//! louder, slower swell (docs/algorithm.md, section 15): with Onset Harvest,
//! `--score onset-db` puts the probability at the attack, `--score onset` at
//! the swell. On a synthetic signal, and on the shared speech recording
//! (skipped, with a printed reason, without `../shared` or `GAR_SHARED_DIR`).

mod common;

use gar_core::table::find;
use gar_core::{Prepared, Preset};

fn onset_harvest(x: &[f32], sr: u32, score: &str) -> Prepared {
    let mut p = Preset::OnsetHarvest.params();
    find("score").unwrap().set_text(&mut p, score).unwrap();
    gar_core::prepare(&[x], sr, &p, Preset::OnsetHarvest, 1).expect("prepare")
}

/// The probability mass of the candidates that start in `[a, b)` seconds.
fn mass(p: &Prepared, a: f64, b: f64) -> f64 {
    let sr = p.settings.sample_rate;
    (0..p.analysis.len())
        .filter(|&i| (a..b).contains(&p.analysis.start_s(i, sr)))
        .map(|i| p.attention.prob[i])
        .sum()
}

/// The synthetic signal's level, dBFS, at `t` seconds.
fn level_db(t: f64) -> f64 {
    // -60 dB until 0.5 s; the attack: -40 to -20 dB in 10 ms; held to 1.5 s;
    // the swell: -20 to 0 dB over 1.5 s; held to 3.5 s.
    match t {
        t if t < 0.5 => -60.0,
        t if t < 0.51 => -40.0 + 20.0 * (t - 0.5) / 0.01,
        t if t < 1.5 => -20.0,
        t if t < 3.0 => -20.0 + 20.0 * (t - 1.5) / 1.5,
        _ => 0.0,
    }
}

#[test]
fn onset_db_picks_the_quiet_attack_onset_the_swell_synthetic() {
    let sr = 44100;
    let n = (3.5 * sr as f64) as usize;
    // A tone (noise would make the loud part's power flicker by more than
    // the swell's steps).
    let z = common::sine(441.0, sr, n, 1.0, 0.0);
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / sr as f64;
            (z[i] as f64 * 10f64.powf(level_db(t) / 20.0)) as f32
        })
        .collect();
    let db = onset_harvest(&x, sr, "onset-db");
    let lin = onset_harvest(&x, sr, "onset");
    // Candidates are 50 ms long: those that start up to 50 ms before the
    // attack hold it.
    let attack = (0.44, 0.52);
    let swell = (1.5, 3.05);
    let (a_db, s_db) = (mass(&db, attack.0, attack.1), mass(&db, swell.0, swell.1));
    let (a_lin, s_lin) = (mass(&lin, attack.0, attack.1), mass(&lin, swell.0, swell.1));
    assert!(
        a_db > 0.9,
        "onset-db: {a_db} at the attack, {s_db} in the swell"
    );
    assert!(
        s_lin > 0.9,
        "onset: {a_lin} at the attack, {s_lin} in the swell"
    );
    // And the plans follow: most grains placed come from there.
    let share = |p: &Prepared, r: (f64, f64)| {
        let sr = p.settings.sample_rate;
        let hits = p
            .plan
            .grain
            .iter()
            .filter(|&&g| (r.0..r.1).contains(&p.analysis.start_s(g as usize, sr)))
            .count();
        hits as f64 / p.plan.hops() as f64
    };
    assert!(share(&db, attack) > 0.8);
    assert!(share(&lin, swell) > 0.8);
}

#[test]
fn onset_db_picks_the_word_attack_onset_the_swell_speech_shared_extra() {
    let Some(path) =
        common::shared_file("corpus/speech_front_center_48k_mono.wav", "onset_db speech")
    else {
        return;
    };
    let d = gar_io::decode_file(&path).expect("decode");
    let sr = d.sample_rate;
    let x = d.channels[0].as_slice().to_vec();
    let db = onset_harvest(&x, sr, "onset-db");
    let lin = onset_harvest(&x, sr, "onset");
    // "Front Center": the second word starts out of digital silence. Its
    // attack is the first candidate after that silence (below -100 dB of
    // the loudest) that reaches -40 dB; the loud vowel swells after it.
    let a = &lin.analysis;
    let pmax = a.rms_power.iter().cloned().fold(0.0, f64::max);
    let rel = |i: usize| 10.0 * (a.rms_power[i] / pmax).log10();
    let gap = (0..a.len())
        .find(|&i| rel(i) < -100.0)
        .expect("a silent gap");
    let onset = (gap..a.len())
        .find(|&i| rel(i) > -40.0)
        .expect("the second word");
    let t = a.start_s(onset, sr);
    let attack = (t - 0.05, t + 0.05);
    let swell = (t + 0.05, t + 0.3);
    let (a_db, s_db) = (mass(&db, attack.0, attack.1), mass(&db, swell.0, swell.1));
    let (a_lin, s_lin) = (mass(&lin, attack.0, attack.1), mass(&lin, swell.0, swell.1));
    assert!(
        a_db > 0.5 && a_db > 5.0 * s_db,
        "onset-db around the attack at {t:.3} s: {a_db}, in the swell {s_db}"
    );
    assert!(
        s_lin > 0.3 && a_lin < 0.05,
        "onset around the attack at {t:.3} s: {a_lin}, in the swell {s_lin}"
    );
}

#[test]
fn onset_db_follows_its_formula() {
    // T_i = max(0, D_i - D_(i-1)), D_i = 10 log10(max(P_i, 1e-6 max P)).
    let p = [1e-12, 1e-4, 1e-2, 5e-3, 1.0, 1.0, 1e-9];
    let t = gar_core::analysis::onset_db::onset_db(&p);
    let d = |v: f64| 10.0 * v.max(1e-6).log10();
    let want: Vec<f64> = (0..p.len())
        .map(|i| {
            if i == 0 {
                0.0
            } else {
                (d(p[i]) - d(p[i - 1])).max(0.0)
            }
        })
        .collect();
    for (a, b) in t.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{t:?} vs {want:?}");
    }
    // The first grain sits on the floor (-60 dB), the last falls to it.
    assert!((t[1] - 20.0).abs() < 1e-9 && (t[2] - 20.0).abs() < 1e-9);
    assert_eq!((t[0], t[3], t[5], t[6]), (0.0, 0.0, 0.0, 0.0));
    assert!((t[4] - 10.0 * 200f64.log10()).abs() < 1e-9);
    // Silence: every D_i is the same floor.
    assert!(
        gar_core::analysis::onset_db::onset_db(&[1e-18; 5])
            .iter()
            .all(|v| *v == 0.0)
    );
}
