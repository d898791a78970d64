//! Varispeed pitch jitter (docs/algorithm.md, section 7.2): a tape-speed change that moves
//! the frequency by the ratio, shortens the grain to L / ratio, and does not
//! alias when it speeds up.

mod common;

use common::{sine, zero_crossing_freq};
use gar_core::analysis::analyze;
use gar_core::plan::Plan;
use gar_core::render::{Finishing, RenderJob, placements};
use gar_core::varispeed::{Varispeed, shifted_len};
use gar_core::{Params, Preset, Settings};

fn ratio(st: f64) -> f64 {
    2f64.powf(st / 12.0)
}

/// Reads `n` samples at `ratio` from the middle of `src`.
fn read(src: &[f32], r: f64, n: usize) -> Vec<f32> {
    let v = Varispeed::new([r]);
    let mut out = vec![0f32; n];
    let mut scratch = Vec::new();
    v.read(src, 2000, r, 0, &mut out, &mut scratch);
    out
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn a_sine_read_at_a_ratio_moves_by_that_ratio() {
    for sr in [44100u32, 48000] {
        for f in [440.0, 1000.0, 3000.0] {
            let src = sine(f, sr, 20000, 0.5, 0.1);
            for st in [3.0, -3.0, 4.0, -4.0, 0.3, -0.3, 1.7] {
                let r = ratio(st);
                let out = read(&src, r, 8000);
                let got = zero_crossing_freq(&out, sr);
                let want = f * r;
                assert!(
                    (got / want - 1.0).abs() < 0.002,
                    "{sr} Hz, {f} Hz at {st} st: {got} vs {want}"
                );
                // The pass band keeps the level (0.1 dB).
                let level_db = 20.0 * (rms(&out) / (0.5 / 2f64.sqrt())).log10();
                assert!(
                    level_db.abs() < 0.1,
                    "{sr} Hz, {f} Hz at {st} st: {level_db} dB"
                );
            }
        }
    }
}

#[test]
fn speeding_up_a_tone_near_nyquist_does_not_fold_back() {
    // A tone at 0.9 x Nyquist read at 2^(3/12) would land at 1.07 x Nyquist and
    // fold back to 0.93 x Nyquist; the band limit must remove it instead. The
    // reads come from the middle of a long tone (no edges, no window), so the
    // output is the filter's steady response: its energy against a pass-band
    // tone of the same level (0.3 x Nyquist) read the same way must be < -60 dB.
    for sr in [44100u32, 48000] {
        let ny = sr as f64 / 2.0;
        let reference = sine(0.3 * ny, sr, 20000, 0.5, 0.0);
        for (st, f) in [
            (3.0, 0.9),
            (4.0, 0.9),
            (3.0, 0.95),
            (2.0, 0.95),
            (4.0, 0.85),
        ] {
            let r = ratio(st);
            assert!(f * r > 1.0, "this case would not fold");
            let tone = sine(f * ny, sr, 20000, 0.5, 0.0);
            let e_ref = rms(&read(&reference, r, 8000));
            let e_alias = rms(&read(&tone, r, 8000));
            let db = 20.0 * (e_alias / e_ref).log10();
            eprintln!("{sr} Hz: {f} x Nyquist at +{st} st: {db:.1} dB");
            assert!(db < -60.0, "{sr} Hz: {f} x Nyquist at +{st} st: {db:.1} dB");
        }
    }
}

/// Settings for a 1000 ms grain on a 3 s source at 44.1 kHz.
fn long_grain_settings() -> Settings {
    Params {
        grain_ms: gar_core::Envelope::from(1000.0),
        hop_ms: gar_core::Envelope::from(500.0),
        cand_hop_ms: 100.0,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        pitch_jitter_st: gar_core::Envelope::from(3.0),
        ..Params::default()
    }
    .resolve(Preset::Custom, 44100, 3 * 44100)
    .unwrap()
}

/// Renders one grain (candidate 10, 1 s into the source) at `st` semitones, at
/// output position 0; returns the output and the grain's length.
fn one_grain(src: &[f32], st: f32) -> (Vec<f32>, usize) {
    let s = long_grain_settings();
    let an = analyze(&[src], &s, 1.0);
    assert_eq!(an.start[10], 44100);
    let plan = Plan {
        grain: vec![10],
        pos_s: vec![0.0],
        pitch_st: vec![st],
        ..Plan::default()
    };
    let (pl, _) = placements(&plan, &an, &s);
    let srcs = [src];
    let out = RenderJob::new(
        &plan,
        &an,
        &s,
        &srcs,
        1.0,
        s.output_len(),
        Finishing::none(),
    )
    .render()
    .0;
    (out.into_iter().next().unwrap().to_vec(), pl[0].len)
}

#[test]
fn a_rendered_grain_plays_at_the_shifted_pitch() {
    let src = sine(1000.0, 44100, 3 * 44100, 0.5, 0.0);
    for st in [3.0f32, -3.0, 0.3, 4.0] {
        let (y, len) = one_grain(&src, st);
        let r = ratio(st as f64);
        assert!((len as f64 - 44100.0 / r).abs() <= 0.5 + 1e-9);
        // The middle half of the grain, where the window (divided out again by
        // the envelope) is well above the envelope floor.
        let mid = &y[len / 4..3 * len / 4];
        let got = zero_crossing_freq(mid, 44100);
        assert!((got / (1000.0 * r) - 1.0).abs() < 0.002, "{st} st: {got}");
        assert!((rms(mid) / (0.5 / 2f64.sqrt()) - 1.0).abs() < 0.01);
        // Nothing after the grain.
        assert!(y[len..].iter().all(|&v| v == 0.0));
    }
}

#[test]
fn a_rendered_grain_does_not_alias_either() {
    let ny = 22050.0;
    let reference = sine(0.3 * ny, 44100, 3 * 44100, 0.5, 0.0);
    let tone = sine(0.9 * ny, 44100, 3 * 44100, 0.5, 0.0);
    let (yr, len) = one_grain(&reference, 3.0);
    let (yt, _) = one_grain(&tone, 3.0);
    let (a, b) = (len / 4, 3 * len / 4);
    let db = 20.0 * (rms(&yt[a..b]) / rms(&yr[a..b])).log10();
    eprintln!("rendered grain, 0.9 x Nyquist at +3 st: {db:.1} dB");
    assert!(db < -60.0, "{db:.1} dB");
}

#[test]
fn the_grain_length_is_l_over_ratio() {
    let src = vec![0.25f32; 3 * 44100];
    for (grain_ms, l) in [
        (30.0, 1323usize),
        (50.0, 2205),
        (20.0, 882),
        (10.0, 441),
        (1000.0, 44100),
    ] {
        let s = Params {
            grain_ms: grain_ms.into(),
            hop_ms: gar_core::Envelope::from(grain_ms / 2.0),
            cand_hop_ms: grain_ms / 2.0,
            time_jitter_ms: gar_core::Envelope::from(0.0),
            pitch_jitter_st: gar_core::Envelope::from(4.0),
            ..Params::default()
        }
        .resolve(Preset::Custom, 44100, src.len())
        .unwrap();
        let an = analyze(&[&src], &s, 1.0);
        assert_eq!(an.grain_len, l);
        let shifts: Vec<f32> = vec![
            -4.0, -3.0, -1.234, -0.3, -0.0011, 0.0, 0.0011, 0.3, 1.5, 3.0, 3.999, 4.0,
        ];
        let n = shifts.len();
        let plan = Plan {
            grain: vec![0; n],
            pos_s: (0..n).map(|h| h as f64 * 0.01).collect(),
            pitch_st: shifts.clone(),
            ..Plan::default()
        };
        let (pl, _) = placements(&plan, &an, &s);
        for (p, &st) in pl.iter().zip(&shifts) {
            let r = ratio(st as f64);
            assert!((p.ratio - r).abs() < 1e-12);
            let want = l as f64 / r;
            assert!(
                (p.len as f64 - want).abs() <= 0.5 + 1e-9,
                "L {l} at {st} st: {} vs {want}",
                p.len
            );
            assert_eq!(p.len, shifted_len(l, r));
        }
        // No shift: exactly L and a ratio of exactly 1 (no resampling).
        assert_eq!(pl[5].ratio, 1.0);
        assert_eq!(pl[5].len, l);
    }
}

#[test]
fn a_constant_stays_constant_through_varispeed() {
    let src = vec![0.5f32; 20000];
    for st in [-4.0, -1.0, 0.5, 3.0, 4.0] {
        let out = read(&src, ratio(st), 8000);
        assert!(out.iter().all(|&v| (v - 0.5).abs() < 1e-5), "{st} st");
    }
}
