//! A wet share that varies over output time (docs/algorithm.md, section 12): the
//! value of every frame, and the mix it makes.

use gar_core::envelope::Envelope;
use gar_core::{Normalize, Params, Preset};

/// `fill_frames` gives every frame the envelope's value at its time, for every
/// shape, across block edges and breakpoints between frames.
#[test]
fn fill_frames_is_the_value_at_each_frame() {
    let sr = 1000;
    for text in [
        "0:20, 0.3:80, 0.31:10@step, 0.7:90@exp, 1:30@smooth",
        "100..0",
        "0.25:40, 0.75:60",
        "55",
        "0:1, 1.2345s:50@exp, 2s:3@smooth",
    ] {
        let r = Envelope::parse(text).unwrap().resolve(2.0).unwrap();
        for start in [0usize, 1, 299, 1234] {
            let mut out = vec![0f32; 777];
            r.fill_frames(start, sr, 0.01, &mut out);
            for (k, &o) in out.iter().enumerate() {
                let t = (start + k) as f64 / sr as f64;
                let want = 0.01 * r.value_at(t);
                assert!(
                    (o as f64 - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{text} frame {} (t {t}): {o} vs {want}",
                    start + k
                );
            }
        }
    }
}

/// `wet 0..100`: the output starts as the dry source (at the source gain) and
/// ends as the pure re-synthesis; halfway it is the even mix of the two.
#[test]
fn varying_wet_moves_from_dry_to_wet() {
    let sr = 8000u32;
    let n = 4 * sr as usize;
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / sr as f64;
            (0.3 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                + 0.2 * (2.0 * std::f64::consts::PI * 3.0 * t).sin().powi(8)) as f32
        })
        .collect();
    let chs: Vec<&[f32]> = vec![&x];
    let base = Params {
        normalize: Normalize::None,
        dc_block: false,
        ..Preset::SelfRemix.params()
    };
    let render = |wet: &str| {
        let p = Params {
            wet: Envelope::parse(wet).unwrap(),
            ..base.clone()
        };
        let prep = gar_core::prepare(&chs, sr, &p, Preset::SelfRemix, 9).unwrap();
        gar_core::render_prepared(&prep, &chs).0.remove(0).to_vec()
    };
    let y = render("0..100");
    let wet = render("100");
    let len = y.len();
    // Frame k has w = k / (len - 1) up to rounding: y = w wet + (1 - w) dry.
    for k in (0..len).step_by(97) {
        let t = k as f64 / sr as f64;
        let w = (t / (len as f64 / sr as f64)).min(1.0) as f32;
        let want = w * wet[k] + (1.0 - w) * x[k];
        assert!(
            (y[k] - want).abs() < 1e-4,
            "frame {k}: {} vs {want} (w {w})",
            y[k]
        );
    }
    // Not just the wet signal: at the start the dry source dominates.
    let head = 0..(sr as usize / 4);
    let dist = |a: &[f32], b: &[f32]| -> f64 {
        head.clone()
            .map(|k| ((a[k] - b[k]) as f64).powi(2))
            .sum::<f64>()
    };
    assert!(dist(&y, &x) < 0.05 * dist(&wet, &x), "the start is dry");
}
