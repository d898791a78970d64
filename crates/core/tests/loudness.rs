//! gar's own BS.1770-4 integrated loudness (`gar_core::level::loudness`,
//! docs/algorithm.md section 8.5) against the `ebur128` crate, the oracle:
//! equal within 0.01 LU on noise, sines, stereo, gated material and several
//! sample rates; the streamed meter equal to the whole-signal one, bit for
//! bit; the result independent of the thread count.

mod common;

use common::{noise, rng, sine};
use gar_core::level::{LoudnessStream, loudness};

/// The crate's integrated loudness of `chs` (one serial meter).
fn oracle(chs: &[&[f32]], sr: u32) -> Option<f64> {
    let mut m = ebur128::EbuR128::new(chs.len() as u32, sr, ebur128::Mode::I).unwrap();
    m.add_frames_planar_f32(chs).unwrap();
    let l = m.loudness_global().unwrap();
    l.is_finite().then_some(l)
}

fn check(what: &str, chs: &[&[f32]], sr: u32) -> f64 {
    let ours = loudness(chs, sr);
    let theirs = oracle(chs, sr);
    match (ours, theirs) {
        (Some(a), Some(b)) => {
            assert!((a - b).abs() < 0.01, "{what}: gar {a} vs ebur128 {b} LUFS");
            a - b
        }
        (None, None) => 0.0,
        _ => panic!("{what}: gar {ours:?} vs ebur128 {theirs:?}"),
    }
}

#[test]
fn noise_matches_the_crate_at_several_rates() {
    for (k, sr) in [44100u32, 48000, 96000, 22050].into_iter().enumerate() {
        let mut r = rng(10 + k as u64);
        // Not a whole number of steps or chunks: 37.3 s.
        let x = noise(&mut r, (37.3 * sr as f64) as usize, 0.3);
        let d = check(&format!("noise {sr} Hz"), &[&x], sr);
        assert!(d.abs() < 1e-6, "{sr} Hz: {d:e} LU");
    }
}

#[test]
fn sines_match_the_crate() {
    for sr in [44100u32, 48000, 96000] {
        for f in [20.0, 100.0, 1000.0, 10000.0] {
            let x = sine(f, sr, 12 * sr as usize, 0.25, 0.3);
            check(&format!("{f} Hz sine at {sr} Hz"), &[&x], sr);
        }
    }
}

#[test]
fn stereo_with_different_channels_matches_the_crate() {
    for sr in [44100u32, 48000] {
        let mut r = rng(7);
        let n = 31 * sr as usize;
        let l = noise(&mut r, n, 0.5);
        let rr: Vec<f32> = sine(150.0, sr, n, 0.1, 0.0)
            .iter()
            .zip(noise(&mut r, n, 0.02))
            .map(|(a, b)| a + b)
            .collect();
        check("stereo", &[&l, &rr], sr);
        // One channel silent.
        check("stereo, right silent", &[&l, &vec![0.0; n]], sr);
    }
    // More channels: the default map's weights (surrounds 1.41, LFE unused).
    let sr = 48000;
    let mut r = rng(8);
    for nch in [3usize, 4, 5, 6, 7] {
        let x: Vec<Vec<f32>> = (0..nch)
            .map(|c| noise(&mut r, 9 * sr as usize, 0.05 + 0.1 * c as f32))
            .collect();
        let chs: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
        check(&format!("{nch} channels"), &chs, sr);
    }
}

/// Loud passages separated by silence and by very quiet ones: both gates act.
fn gated(sr: u32, seconds: usize, seed: u64) -> Vec<f32> {
    let mut r = rng(seed);
    let n = seconds * sr as usize;
    noise(&mut r, n, 0.5)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let s = i as f64 / sr as f64;
            v * match (s as usize) % 11 {
                0..=2 => 0.0,   // silence: under the absolute gate
                3..=4 => 0.003, // -50 dB: under the relative gate
                5..=6 => 0.2,
                _ => 1.0,
            }
        })
        .collect()
}

#[test]
fn silence_gaps_and_quiet_passages_are_gated_as_the_crate_gates_them() {
    for sr in [44100u32, 48000, 96000] {
        let x = gated(sr, 67, sr as u64);
        let with = check(&format!("gated {sr} Hz"), &[&x], sr);
        assert!(with.abs() < 1e-6, "{with:e}");
        // The gates matter here: without the silent and quiet passages (the
        // loud ones back to back) the loudness is nearly the same.
        let sec = sr as usize;
        let loud: Vec<f32> = x
            .chunks(sec)
            .enumerate()
            .filter(|(i, _)| i % 11 >= 5)
            .flat_map(|(_, c)| c.iter().copied())
            .collect();
        let g = loudness(&[&x], sr).unwrap();
        let l = loudness(&[&loud], sr).unwrap();
        assert!((g - l).abs() < 0.3, "gated {g} vs loud parts {l}");
    }
    // Silence, and a signal shorter than one 400 ms block, read nothing.
    assert_eq!(loudness(&[&vec![0.0; 480_000]], 48000), None);
    assert_eq!(loudness(&[&noise(&mut rng(1), 19_000, 0.5)], 48000), None);
    check("399 ms", &[&noise(&mut rng(1), 19_150, 0.5)], 48000);
    check("400 ms", &[&noise(&mut rng(1), 19_200, 0.5)], 48000);
    check("1 s", &[&noise(&mut rng(1), 48_000, 0.5)], 48000);
}

#[test]
fn the_stream_and_any_thread_count_give_the_same_bits() {
    let sr = 44100;
    let x = gated(sr, 61, 3);
    let y: Vec<f32> = x.iter().rev().map(|v| 0.5 * v).collect();
    let chs: [&[f32]; 2] = [&x, &y];
    let whole = loudness(&chs, sr).unwrap();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let l = pool.install(|| loudness(&chs, sr)).unwrap();
        assert_eq!(l.to_bits(), whole.to_bits(), "{threads} threads");
    }
    let n = x.len();
    for sizes in [
        &[1usize, 4095, 32768, 77777][..],
        &[1_000_000],
        &[44100 * 25],
    ] {
        let mut st = LoudnessStream::new(2, sr, n);
        let mut pos = 0;
        for k in 0.. {
            let len = sizes[k % sizes.len()].min(n - pos);
            st.add(&[&x[pos..pos + len], &y[pos..pos + len]]);
            pos += len;
            if pos == n {
                break;
            }
        }
        assert_eq!(st.finish().unwrap().to_bits(), whole.to_bits(), "{sizes:?}");
    }
    // A stream that stops short reads nothing.
    let mut st = LoudnessStream::new(2, sr, n);
    st.add(&[&x[..n - 1], &y[..n - 1]]);
    assert_eq!(st.finish(), None);
}

#[test]
fn a_broken_k_weighting_is_caught() {
    // The tests above would see a wrong filter: the 20 Hz and 10 kHz sines
    // read differently from a flat (unweighted) mean square.
    let sr = 48000;
    let (b, a) = gar_core::loudness::k_weighting(sr as f64);
    assert!((a[0] - 1.0).abs() < 1e-15);
    for f in [20.0, 10000.0] {
        let x = sine(f, sr, 10 * sr as usize, 0.25, 0.0);
        let flat = 10.0 * (0.25f64.powi(2) / 2.0).log10() - 0.691;
        let l = loudness(&[&x], sr).unwrap();
        assert!(
            (l - flat).abs() > 0.5,
            "{f} Hz reads unweighted: {l} vs {flat}"
        );
    }
    assert!(b.iter().all(|v| v.is_finite()));
}

/// The largest difference from the crate over `cases`, with its case.
fn worst(cases: impl IntoIterator<Item = (String, Vec<f32>, u32)>) -> (f64, String) {
    let mut w = (0.0f64, String::new());
    for (what, x, sr) in cases {
        let d = check(&what, &[&x], sr);
        if d.abs() >= w.0 {
            w = (d.abs(), what);
        }
    }
    w
}

#[test]
fn the_f32_filter_is_exact_enough_from_8_to_192_khz_and_20_hz_to_10_khz() {
    // The filter runs in f32; the 38 Hz high-pass's poles lie near 1 (closer
    // the higher the rate), the precision risk. Sines from 20 Hz (weighted
    // down by about 13 dB: the high-pass's slope) to 10 kHz, at every
    // common rate, read as the crate reads them to far better than 0.01 LU.
    let rates = [
        8000u32, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000,
    ];
    let freqs = [
        20.0, 30.0, 38.0, 50.0, 100.0, 400.0, 1000.0, 1700.0, 3000.0, 10000.0,
    ];
    let cases = rates.iter().flat_map(|&sr| {
        freqs
            .iter()
            .filter(move |&&f| f < 0.45 * sr as f64)
            .map(move |&f| {
                let x = sine(f, sr, 3 * sr as usize, 0.5, 0.1);
                (format!("{f} Hz sine at {sr} Hz"), x, sr)
            })
    });
    let (d, what) = worst(cases);
    assert!(d < 2e-4, "{what}: {d:e} LU");
}

#[test]
fn dc_offsets_and_low_rumble_under_music_do_not_disturb_the_f32_filter() {
    // A DC offset and a loud 25 Hz rumble make the high-pass's states large
    // (its gain at DC before the numerator is about 1 / (2 pi 38 / sr)^2),
    // the case where a direct form would lose the quiet rest to rounding.
    let mut cases = Vec::new();
    for sr in [44100u32, 96000, 192000] {
        let mut r = rng(sr as u64 + 1);
        let n = 7 * sr as usize;
        let rumble = sine(25.0, sr, n, 0.5, 0.0);
        let tone = sine(997.0, sr, n, 0.01, 0.0);
        let hiss = noise(&mut r, n, 0.003);
        for (name, dc, ru) in [
            ("DC", 0.4f32, 0.0f32),
            ("rumble", 0.0, 1.0),
            ("both", -0.3, 0.8),
        ] {
            let x: Vec<f32> = (0..n)
                .map(|i| dc + ru * rumble[i] + tone[i] + hiss[i])
                .collect();
            cases.push((format!("{name} + -40 dB tone at {sr} Hz"), x, sr));
        }
    }
    let (d, what) = worst(cases);
    assert!(d < 2e-4, "{what}: {d:e} LU");
}

#[test]
fn a_long_input_reads_as_the_crate_reads_it() {
    // 25 minutes (many chunk groups; per-step sums in f32 and the states
    // restarted per chunk, so no error grows with the length).
    let sr = 8000;
    let mut r = rng(25);
    let n = 25 * 60 * sr as usize;
    let x: Vec<f32> = noise(&mut r, n, 0.2)
        .into_iter()
        .enumerate()
        .map(|(i, v)| v * (1.0 + 0.9 * ((i / (37 * sr as usize)) % 3) as f32))
        .collect();
    let d = check("25 min at 8 kHz", &[&x], sr);
    assert!(d.abs() < 1e-4, "{d:e} LU");
}
