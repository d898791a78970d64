//! Score weights that vary over time (docs/algorithm.md, section 15): `rms:1..0,
//! centroid:0..1` morphs from loud grains to bright ones; the score at the start is the
//! analysis' own; a morph is reproducible; diversity with a morph is refused.

mod common;

use gar_core::table::find;
use gar_core::{Params, Preset};

/// 4 s at 22.05 kHz: loud low tones (100 Hz) and quiet bright tones (5 kHz), in
/// alternating 100 ms bursts.
fn source() -> (Vec<f32>, u32) {
    let sr = 22_050u32;
    let n = 4 * sr as usize;
    let x = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(sr);
            let loud = ((t * 10.0) as usize).is_multiple_of(2);
            let (f, a) = if loud { (100.0, 0.8) } else { (5000.0, 0.08) };
            (a * (std::f64::consts::TAU * f * t).sin()) as f32
        })
        .collect();
    (x, sr)
}

fn params(score: &str, alpha: f64, seed: u64) -> Params {
    let mut p = Params::default();
    for (id, v) in [
        ("score", score.to_string()),
        ("alpha", alpha.to_string()),
        ("grain_ms", "50".into()),
        ("hop_ms", "20".into()),
        ("duration_s", "20".into()),
        ("time_jitter_ms", "0".into()),
        ("pitch_jitter_st", "0".into()),
    ] {
        find(id).unwrap().set_text(&mut p, &v).unwrap();
    }
    p.seed = seed;
    p
}

/// Whether candidate `g`'s span is mostly bright (starts in a quiet 5 kHz burst).
fn bright(p: &gar_core::Prepared, g: u32, sr: u32) -> bool {
    let t = p.analysis.start[g as usize] as f64 / f64::from(sr) + 0.025;
    (t * 10.0) as usize % 2 == 1
}

#[test]
fn a_morph_moves_the_attention_from_loud_grains_to_bright_ones() {
    let (x, sr) = source();
    let p = params("rms:1..0, centroid:0..1", 20.0, 3);
    let prep = gar_core::prepare(&[&x], sr, &p, Preset::Custom, 3).unwrap();
    let g = &prep.plan.grain;
    let tenth = g.len() / 10;
    let share =
        |s: &[u32]| s.iter().filter(|&&c| bright(&prep, c, sr)).count() as f64 / s.len() as f64;
    let (first, last) = (share(&g[..tenth]), share(&g[g.len() - tenth..]));
    assert!(first < 0.1, "first tenth: {first} bright");
    assert!(last > 0.9, "last tenth: {last} bright");
    // Constant weights at either end never move.
    for (score, want_bright) in [("rms:1, centroid:0", false), ("rms:0, centroid:1", true)] {
        let c = gar_core::prepare(&[&x], sr, &params(score, 20.0, 3), Preset::Custom, 3).unwrap();
        let s = share(&c.plan.grain[c.plan.grain.len() - tenth..]);
        assert_eq!(s > 0.5, want_bright, "{score}: {s}");
    }
}

#[test]
fn the_morph_starts_from_the_analysis_score_and_is_reproducible() {
    let (x, sr) = source();
    let p = params("rms:0:1, 0.5:0.2, 1:0, -flatness:0.3", 8.0, 11);
    let a = gar_core::prepare(&[&x], sr, &p, Preset::Custom, 11).unwrap();
    let b = gar_core::prepare(&[&x], sr, &p, Preset::Custom, 11).unwrap();
    assert_eq!(a.plan.grain, b.plan.grain);
    assert_eq!(a.plan.pos_s, b.plan.pos_s);
    // Weights at output time 0 make the analysis' score (the report's and the
    // picture's): the morph re-mixes the same normalised drivers.
    let terms = a.settings.mix.as_ref().unwrap().terms.clone();
    let morph = gar_core::plan::Morph {
        terms: terms
            .iter()
            .map(|t| {
                let n = gar_core::analysis::mix::normalise(
                    t.driver,
                    a.analysis.driver(t.driver).unwrap(),
                );
                if t.invert {
                    n.iter().map(|v| 1.0 - v).collect()
                } else {
                    n
                }
            })
            .collect(),
        weights: &a.settings.curves.weights,
    };
    assert_eq!(morph.scores_at(0.0), a.analysis.score);
    assert_ne!(morph.scores_at(19.0), a.analysis.score);
    // Another seed, another plan.
    let c = gar_core::prepare(
        &[&x],
        sr,
        &params("rms:0:1, 0.5:0.2, 1:0, -flatness:0.3", 8.0, 12),
        Preset::Custom,
        12,
    )
    .unwrap();
    assert_ne!(a.plan.grain, c.plan.grain);
}

#[test]
fn diversity_with_a_morph_is_a_conflict_naming_both() {
    let (x, sr) = source();
    let mut p = params("rms:1..0, centroid:0..1", 8.0, 1);
    find("diversity").unwrap().set_text(&mut p, "50").unwrap();
    p.diversity.as_ref().unwrap();
    let e = gar_core::prepare(&[&x], sr, &p, Preset::Custom, 1).unwrap_err();
    assert_eq!(e.param(), Some("diversity"));
    assert!(e.to_string().contains("score"), "{e}");
}
