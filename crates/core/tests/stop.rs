//! `render_prepared_into_until`: a render abandoned as soon as its stop says
//! so, and exactly `render_prepared_into` when it never does.

use gar_core::{Params, Preset, prepare, render_prepared_into, render_prepared_into_until};
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

/// Twenty seconds of stereo at 16 kHz (ten blocks of output): a different
/// tone on each side over a little noise.
fn source() -> Vec<Vec<f32>> {
    let (sr, n) = (16_000, 20 * 16_000);
    let mut rng = common::rng(9);
    [330.0, 660.0]
        .iter()
        .map(|&f| {
            let noise = common::noise(&mut rng, n, 0.05);
            common::sine(f, sr, n, 0.7, 0.0)
                .iter()
                .zip(noise)
                .map(|(s, e)| s + e)
                .collect()
        })
        .collect()
}

fn buffers(p: &gar_core::Prepared, fill: f32) -> Vec<Vec<f32>> {
    let n = p.settings.output_len();
    vec![vec![fill; n]; p.settings.output_channels(2)]
}

#[test]
fn a_stop_that_never_says_stop_changes_nothing() {
    let src = source();
    let chs: Vec<&[f32]> = src.iter().map(|c| c.as_slice()).collect();
    for preset in [Preset::SelfRemix, Preset::MotifExtract] {
        let p = prepare(&chs, 16_000, &Params::default(), preset, 5).unwrap();
        let mut a = buffers(&p, 0.0);
        let mut b = buffers(&p, 0.0);
        let asked = AtomicUsize::new(0);
        let la = {
            let mut o: Vec<&mut [f32]> = a.iter_mut().map(|c| c.as_mut_slice()).collect();
            render_prepared_into(&p, &chs, &mut o)
        };
        let lb = {
            let mut o: Vec<&mut [f32]> = b.iter_mut().map(|c| c.as_mut_slice()).collect();
            let stop = || {
                asked.fetch_add(1, Ordering::Relaxed);
                false
            };
            render_prepared_into_until(&p, &chs, &mut o, &stop)
        };
        assert_eq!(Some(la), lb);
        assert!(a == b, "{preset:?}: the samples differ");
        assert!(
            asked.load(Ordering::Relaxed) > 1,
            "the stop was never asked"
        );
    }
}

#[test]
fn a_stop_renders_no_block_after_it_says_stop() {
    let src = source();
    let chs: Vec<&[f32]> = src.iter().map(|c| c.as_slice()).collect();
    let p = prepare(&chs, 16_000, &Params::default(), Preset::SelfRemix, 5).unwrap();
    // Stop from the start: no block renders, so every sample keeps the NaN it
    // was given (a rendered block overwrites its samples; finishing NaN
    // leaves NaN), and the call says it stopped.
    let mut out = buffers(&p, f32::NAN);
    let got = {
        let mut o: Vec<&mut [f32]> = out.iter_mut().map(|c| c.as_mut_slice()).collect();
        render_prepared_into_until(&p, &chs, &mut o, &|| true)
    };
    assert_eq!(got, None);
    assert!(
        out.iter().flatten().all(|x| x.is_nan()),
        "a block was rendered after the stop"
    );
    // Stop after the first few blocks: stopped, and most samples untouched.
    let asked = AtomicUsize::new(0);
    let stop = || asked.fetch_add(1, Ordering::Relaxed) >= 2;
    let mut out = buffers(&p, f32::NAN);
    let got = {
        let mut o: Vec<&mut [f32]> = out.iter_mut().map(|c| c.as_mut_slice()).collect();
        render_prepared_into_until(&p, &chs, &mut o, &stop)
    };
    assert_eq!(got, None);
    let untouched = out.iter().flatten().filter(|x| x.is_nan()).count();
    let total: usize = out.iter().map(Vec::len).sum();
    assert!(
        untouched * 2 > total,
        "{untouched} of {total} samples left: the render went on"
    );
}
