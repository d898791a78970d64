//! Channels (docs/algorithm.md, section 9): linked output renders one plan on every source
//! channel, so the image survives sample for sample; mono gives one channel.

mod common;

use common::{noise, rng, run};
use gar_core::{ChannelMode, Params};

fn linked() -> Params {
    Params {
        pitch_jitter_st: gar_core::Envelope::from(2.0),
        time_jitter_ms: gar_core::Envelope::from(5.0),
        ..Params::default()
    }
}

#[test]
fn a_negated_channel_stays_exactly_negated() {
    let mut r = rng(31);
    let l = noise(&mut r, 50_000, 0.7);
    let neg: Vec<f32> = l.iter().map(|v| -v).collect();
    let other = noise(&mut r, 50_000, 0.4);
    for sr in [44100u32, 22050] {
        // Two channels (the analysis mix is silence) and three (it is not).
        let y = run(&[&l, &neg], sr, &linked(), 5);
        assert_eq!(y.len(), 2);
        for (a, b) in y[0].iter().zip(&y[1]) {
            assert_eq!(b.to_bits(), (-a).to_bits());
        }
        let y = run(&[&l, &neg, &other], sr, &linked(), 5);
        assert_eq!(y.len(), 3);
        for (a, b) in y[0].iter().zip(&y[1]) {
            assert_eq!(b.to_bits(), (-a).to_bits());
        }
        assert!(y[0].iter().any(|&v| v != 0.0));
    }
}

#[test]
fn channel_levels_keep_their_ratio_and_silence_stays_silent() {
    // R = L / 2 (exact in binary floating point) and a silent third channel.
    let mut r = rng(32);
    let l = noise(&mut r, 40_000, 0.9);
    let half: Vec<f32> = l.iter().map(|v| v * 0.5).collect();
    let silent = vec![0f32; 40_000];
    let y = run(&[&l, &half, &silent], 44100, &linked(), 6);
    for (k, (a, b)) in y[0].iter().zip(&y[1]).enumerate() {
        assert_eq!(*b, a * 0.5, "frame {k}");
    }
    assert!(y[2].iter().all(|&v| v == 0.0));
}

#[test]
fn linked_keeps_the_channel_count_mono_gives_one() {
    let mut r = rng(33);
    for nch in 1..=4usize {
        let x: Vec<Vec<f32>> = (0..nch).map(|_| noise(&mut r, 10_000, 0.5)).collect();
        let chs: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
        let y = run(&chs, 48000, &linked(), 1);
        assert_eq!(y.len(), nch);
        let mono = Params {
            channels: ChannelMode::Mono,
            ..linked()
        };
        let y = run(&chs, 48000, &mono, 1);
        assert_eq!(y.len(), 1);
        assert_eq!(y[0].len(), 10_000);
    }
}

#[test]
fn mono_of_identical_channels_equals_linked() {
    // L = R: the mono mix is L exactly, so mono output = each linked channel.
    let mut r = rng(34);
    let l = noise(&mut r, 30_000, 0.6);
    let y_linked = run(&[&l, &l], 44100, &linked(), 2);
    let mono = Params {
        channels: ChannelMode::Mono,
        ..linked()
    };
    let y_mono = run(&[&l, &l], 44100, &mono, 2);
    assert_eq!(y_mono.len(), 1);
    assert_eq!(y_mono[0], y_linked[0]);
    assert_eq!(y_linked[0], y_linked[1]);
    // And both equal the mono source rendered alone.
    let y_single = run(&[&l], 44100, &linked(), 2);
    assert_eq!(y_single[0], y_linked[0]);
}

#[test]
fn mono_mode_renders_the_channel_average() {
    // Mono of (L, R) equals a mono run on (L + R) / 2.
    let mut r = rng(35);
    let l = noise(&mut r, 30_000, 0.6);
    let rr = noise(&mut r, 30_000, 0.3);
    let mix: Vec<f32> = l.iter().zip(&rr).map(|(a, b)| (a + b) / 2.0).collect();
    let mono = Params {
        channels: ChannelMode::Mono,
        wet: gar_core::Envelope::from(70.0),
        ..linked()
    };
    let a = run(&[&l, &rr], 44100, &mono, 3);
    let b = run(&[&mix], 44100, &mono, 3);
    assert_eq!(a, b);
}

/// A multi-channel source is analysed group by group (64 candidates at a time,
/// each mixing only its own stretch of source): the powers are bit for bit those
/// of the full mono mix, across many groups and a short last one.
#[test]
fn multi_channel_analysis_equals_the_analysis_of_the_mix() {
    let mut r = rng(77);
    let a = noise(&mut r, 441_001, 0.8);
    let b = noise(&mut r, 441_001, 0.3);
    let c = noise(&mut r, 441_001, 0.5);
    for chans in [vec![&a[..], &b[..]], vec![&a[..], &b[..], &c[..]]] {
        let p = gar_core::prepare(&chans, 44_100, &linked(), gar_core::Preset::Custom, 3)
            .expect("prepare");
        let s = &p.settings;
        assert!(p.analysis.len() > 5 * 64, "{} candidates", p.analysis.len());
        let mix = gar_core::mono_mix(&chans);
        let whole = gar_core::analysis::analyze(&[&mix[..]], s, 0.9);
        let grouped = gar_core::analysis::analyze(&chans, s, 0.9);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&grouped.rms_power), bits(&whole.rms_power));
        assert_eq!(grouped, whole);
    }
}
