//! Levels a user controls (docs/algorithm.md, sections 2 and 8): the dry share
//! at the source gain, `--normalize peak|loudness|none`, the DC high-pass.

mod common;

use common::{correlation, noise, peak, rng, sine};
use gar_core::level::{LoudnessStream, loudness};
use gar_core::{Normalize, Params, Preset};

fn render(chs: &[&[f32]], sr: u32, params: &Params, seed: u64) -> (Vec<Vec<f32>>, gar_core::Level) {
    let p = gar_core::prepare(chs, sr, params, Preset::Custom, seed).unwrap();
    let (y, l) = gar_core::render_prepared(&p, chs);
    (y.into_iter().map(|c| c.to_vec()).collect(), l)
}

fn mean(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64
}

fn rms_db(x: &[f32]) -> f64 {
    10.0 * (x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64).log10()
}

/// Decaying bursts over a tone: a sound whose wet and dry differ.
fn music(sr: u32, seconds: f64, seed: u64) -> Vec<f32> {
    let mut r = rng(seed);
    let n = (seconds * sr as f64) as usize;
    let hiss = noise(&mut r, n, 1.0);
    (0..n)
        .map(|i| {
            let t = i as f64 / sr as f64;
            let env = (-(t * 2.0).fract() * 10.0).exp();
            (0.2 * (t * 220.0 * std::f64::consts::TAU).sin() + 0.7 * env * hiss[i] as f64) as f32
        })
        .collect()
}

#[test]
fn wet_is_a_balance_independent_of_the_input_level() {
    let sr = 44100;
    let x = music(sr, 4.0, 1);
    let quiet: Vec<f32> = x.iter().map(|v| v * 0.1).collect(); // -20 dB
    for wet in [50.0, 20.0, 90.0] {
        let params = Params {
            wet: wet.into(),
            ..Preset::SelfRemix.params()
        };
        let (a, _) = render(&[&x], sr, &params, 7);
        let (b, _) = render(&[&quiet], sr, &params, 7);
        // Both are peak-normalised: the same sound, whatever the input level.
        let c = correlation(&a[0], &b[0]);
        assert!(c > 0.99999, "wet {wet}: correlation {c}");
    }
}

#[test]
fn ebu_tech_3341_sines_read_their_published_loudness() {
    // Tech 3341 cases 1 and 2: a 1 kHz sine at -23 and -33 dBFS in both
    // channels of a stereo file reads -23.0 and -33.0 LUFS (+/- 0.1).
    for sr in [44100u32, 48000] {
        for dbfs in [-23.0f64, -33.0] {
            let amp = 10f64.powf(dbfs / 20.0);
            let s = sine(1000.0, sr, 20 * sr as usize, amp, 0.0);
            let l = loudness(&[&s, &s], sr).unwrap();
            assert!((l - dbfs).abs() < 0.1, "{sr} Hz, {dbfs} dBFS: {l} LUFS");
        }
    }
    // Silence and too-short signals have no loudness.
    assert_eq!(loudness(&[&[0.0f32; 48000]], 48000), None);
    assert_eq!(loudness(&[&[0.5f32; 1000]], 48000), None);
}

#[test]
fn chunked_loudness_equals_one_meter_and_the_stream_equals_the_chunks() {
    // 75 s (three chunks) whose level changes, so that gating matters.
    let sr = 44100;
    let n = 75 * sr as usize;
    let mut r = rng(3);
    let x: Vec<f32> = noise(&mut r, n, 0.5)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            v * if (i / sr as usize) % 20 < 7 {
                0.05
            } else {
                1.0
            }
        })
        .collect();
    let chunked = loudness(&[&x], sr).unwrap();
    let mut one = ebur128::EbuR128::new(1, sr, ebur128::Mode::I).unwrap();
    one.add_frames_f32(&x).unwrap();
    let single = one.loudness_global().unwrap();
    assert!((chunked - single).abs() < 0.001, "{chunked} vs {single}");
    // The streamed meter, fed in awkward block sizes, gives the same bits.
    let mut st = LoudnessStream::new(1, sr, n);
    let mut pos = 0;
    for k in 0.. {
        let len = [1usize, 4095, 32768, 77777][k % 4].min(n - pos);
        st.add(&[&x[pos..pos + len]]);
        pos += len;
        if pos == n {
            break;
        }
    }
    assert_eq!(st.finish().unwrap().to_bits(), chunked.to_bits());
}

#[test]
fn loudness_normalisation_reaches_the_target_or_stops_at_the_peak_ceiling() {
    let sr = 48000;
    let x = music(sr, 12.0, 2);
    let y = [x.clone(), x.iter().map(|v| -0.5 * v).collect::<Vec<f32>>()];
    let chs: Vec<&[f32]> = y.iter().map(|c| c.as_slice()).collect();
    for target in [-23.0, -30.0] {
        let params = Params {
            normalize: Normalize::Loudness,
            lufs: target,
            ..Preset::Cloud.params()
        };
        let (out, level) = render(&chs, sr, &params, 4);
        let outs: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
        let got = loudness(&outs, sr).unwrap();
        assert!((got - target).abs() < 0.1, "target {target}: {got} LUFS");
        assert!(level.warnings.is_empty());
        let pk = out.iter().map(|c| peak(c)).fold(0.0, f32::max) as f64;
        assert!((level.peak_dbfs().unwrap() - 20.0 * pk.log10()).abs() < 1e-4);
    }
    // -3 LUFS is out of reach of peaky material: the peak ceiling wins, and says so.
    let params = Params {
        normalize: Normalize::Loudness,
        lufs: -3.0,
        peak_db: -1.0,
        ..Preset::Cloud.params()
    };
    let (out, level) = render(&chs, sr, &params, 4);
    let pk = out.iter().map(|c| peak(c)).fold(0.0, f32::max) as f64;
    assert!((20.0 * pk.log10() + 1.0).abs() < 1e-4, "peak {pk}");
    assert!(level.warnings.iter().any(|w| w.contains("not reached")));
}

#[test]
fn peak_db_sets_the_sample_peak() {
    let sr = 44100;
    let x = music(sr, 3.0, 5);
    for db in [-6.0, -0.5, -20.0, 0.0] {
        let params = Params {
            peak_db: db,
            ..Preset::Crystallize.params()
        };
        let (y, level) = render(&[&x], sr, &params, 1);
        let want = 10f64.powf(db / 20.0);
        assert!(
            ((peak(&y[0]) as f64) - want).abs() < 1e-6,
            "{db}: {}",
            peak(&y[0])
        );
        assert!((level.peak_dbfs().unwrap() - db).abs() < 1e-5);
    }
}

#[test]
fn normalize_none_keeps_the_source_level_and_counts_clipping() {
    let sr = 44100;
    let x = music(sr, 3.0, 6);
    let quiet: Vec<f32> = x.iter().map(|v| v * 0.05).collect();
    // Dry only, no DC high-pass: the output is the input, faded, no gain at all.
    let params = Params {
        normalize: Normalize::None,
        wet: gar_core::Envelope::from(0.0),
        dc_block: false,
        ..Params::default()
    };
    let (y, level) = render(&[&quiet], sr, &params, 1);
    assert_eq!(level.gain, 1.0);
    let f = gar_core::finish::fade_len(3.0, sr);
    assert_eq!(&y[0][f..quiet.len() - f], &quiet[f..quiet.len() - f]);
    // Wet: grains keep the source's level (a DC source stays at its value).
    let dc = vec![0.3f32; 2 * sr as usize];
    let params = Params {
        normalize: Normalize::None,
        dc_block: false,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        ..Params::default()
    };
    let (y, _) = render(&[&dc], sr, &params, 1);
    for &v in &y[0][sr as usize / 2..sr as usize] {
        assert!((v - 0.3).abs() < 1e-5, "{v}");
    }
    // Beyond full scale: counted (integer formats will clip them).
    let loud: Vec<f32> = x.iter().map(|v| v * 3.0).collect();
    let (_, level) = render(&[&loud], sr, &params, 1);
    assert!(level.clipped > 0);
    let (_, level) = render(&[&loud], sr, &Params::default(), 1);
    assert_eq!(level.clipped, 0);
}

/// A vinyl-like recording: faint hiss, and one loud crackle with a strong
/// offset that a high alpha repeats at every hop.
fn crackle(sr: u32, seconds: f64) -> Vec<f32> {
    let mut r = rng(9);
    let n = (seconds * sr as f64) as usize;
    let mut x = noise(&mut r, n, 0.01);
    let at = n / 3;
    for (k, v) in x[at..at + sr as usize / 10].iter_mut().enumerate() {
        *v += -0.6 + 0.2 * ((k as f32) * 0.05).sin();
    }
    x
}

#[test]
fn a_repeated_offset_grain_leaves_no_dc() {
    let sr = 44100;
    let x = crackle(sr, 6.0);
    let without = Params {
        dc_block: false,
        ..Preset::MotifExtract.params()
    };
    let (raw, _) = render(&[&x], sr, &without, 3);
    // The reproduction: without the high-pass the stutter sits far off zero.
    assert!(mean(&raw[0]).abs() > 0.1, "mean {}", mean(&raw[0]));
    let mut first: Option<Vec<u32>> = None;
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (y, _) = pool.install(|| render(&[&x], sr, &Preset::MotifExtract.params(), 3));
        // The same bits on any thread count.
        let bits: Vec<u32> = y[0].iter().map(|v| v.to_bits()).collect();
        match &first {
            None => first = Some(bits),
            Some(b) => assert!(b == &bits, "{threads} threads changed the output"),
        }
        assert!(mean(&y[0]).abs() < 0.001, "mean {}", mean(&y[0]));
        for (s, sec) in y[0].chunks(sr as usize).enumerate() {
            assert!(mean(sec).abs() < 0.001, "second {s}: mean {}", mean(sec));
        }
        // The file still starts and ends at zero (the fades come last).
        assert_eq!(y[0][0], 0.0);
        assert_eq!(*y[0].last().unwrap(), 0.0);
    }
}

#[test]
fn sines_above_40_hz_pass_the_dc_high_pass_within_0_1_db() {
    for sr in [44100u32, 48000, 96000] {
        for f in [40.0, 100.0, 1000.0] {
            let x: Vec<f32> = sine(f, sr, 4 * sr as usize, 0.5, 0.1)
                .into_iter()
                .map(|v| v + 0.2) // and an offset, which must go
                .collect();
            // Dry only and no gain: the output is the high-passed input.
            let params = Params {
                normalize: Normalize::None,
                wet: gar_core::Envelope::from(0.0),
                ..Params::default()
            };
            let (y, _) = render(&[&x], sr, &params, 1);
            let mid = sr as usize..3 * sr as usize;
            let want: Vec<f32> = x[mid.clone()].iter().map(|v| v - 0.2).collect();
            let d = rms_db(&y[0][mid.clone()]) - rms_db(&want);
            assert!(d.abs() < 0.1, "{sr} Hz, {f} Hz sine: {d} dB");
            assert!(mean(&y[0][mid]).abs() < 1e-3);
        }
    }
}

#[test]
fn subsonic_drift_is_removed() {
    // A 1 Hz drift under a 200 Hz tone: the drift goes, the tone stays.
    let sr = 44100;
    let drift = sine(1.0, sr, 6 * sr as usize, 0.3, 0.0);
    let tone = sine(200.0, sr, 6 * sr as usize, 0.3, 0.0);
    let x: Vec<f32> = drift.iter().zip(&tone).map(|(a, b)| a + b).collect();
    let params = Params {
        normalize: Normalize::None,
        wet: gar_core::Envelope::from(0.0),
        ..Params::default()
    };
    let (y, _) = render(&[&x], sr, &params, 1);
    let mid = sr as usize..5 * sr as usize;
    let resid: Vec<f32> = y[0][mid.clone()]
        .iter()
        .zip(&tone[mid])
        .map(|(a, b)| a - b)
        .collect();
    // The 1 Hz drift at -10 dBFS is attenuated by more than 30 dB.
    assert!(
        rms_db(&resid) < -10.5 - 30.0,
        "residual {} dB",
        rms_db(&resid)
    );
}

#[test]
fn dc_high_pass_is_the_same_for_any_block_split() {
    use gar_core::finish::{DcEstimator, block_means, dc_block_len, subtract_dc_block};
    use gar_core::render::BLOCK;
    let sr = 48000;
    let mut r = rng(2);
    let x: Vec<f32> = noise(&mut r, 300_000, 0.5)
        .iter()
        .map(|v| v + 0.1)
        .collect();
    let rl = dc_block_len(sr);
    let mut m = Vec::new();
    block_means(&x, rl, &mut m);
    let est = DcEstimator::new(sr, 300, x.len());
    assert_eq!(est.means_len(), m.len());
    let (head, tail) = (est.head_value(&m, 0), est.tail_value(&m, 0));
    // Each render block's estimates depend only on the means of its window,
    // not on where the slice handed over starts.
    let nblocks = x.len().div_ceil(BLOCK);
    let mut buf = Vec::new();
    let mut part = Vec::new();
    for b in 0..nblocks {
        let first = est.block_estimates(b, (&m, 0), head, tail, &mut buf);
        let (lo, hi) = est.block_window(b);
        let f2 = est.block_estimates(b, (&m[lo..hi], lo), head, tail, &mut part);
        assert_eq!((first, &buf), (f2, &part), "block {b}");
    }
    // The whole output's estimates: each block's own means' from its run.
    let mut dc = vec![0f32; m.len()];
    for b in 0..nblocks {
        let first = est.block_estimates(b, (&m, 0), head, tail, &mut buf);
        let (j0, j1) = est.block_means_range(b);
        dc[j0..j1].copy_from_slice(&buf[j0 - first..j1 - first]);
    }
    let dc = (&dc[..], 0);
    let ramp: Vec<f32> = (0..1000).map(|k| k as f32 / 1000.0).collect();
    let mut whole = x.clone();
    subtract_dc_block(&mut whole, 0, dc, rl, &ramp);
    let mut parts = x.clone();
    let mut a = 0;
    for len in [1usize, 31, 32768, 7, 100_000].iter().cycle() {
        let b = (a + len).min(parts.len());
        subtract_dc_block(&mut parts[a..b], a, dc, rl, &ramp);
        a = b;
        if a == parts.len() {
            break;
        }
    }
    assert_eq!(whole, parts);
    assert!(mean(&whole).abs() < 1e-3);
}

/// The DC estimate against its definition, computed directly in f64: the
/// block means extended by the start value (before the first mean and over
/// the fade-in) and the end value, convolved with the cubic B-spline kernel
/// of four boxes of `M` means, divided by `M^4`.
#[test]
fn dc_estimates_equal_the_b_spline_kernel_over_the_extended_means() {
    use gar_core::finish::{DcEstimator, block_means, dc_block_len};
    use gar_core::render::BLOCK;
    for (sr, skip, len) in [
        (44100, 0usize, 200_000usize),
        (48000, 5000, 150_000),
        (96000, 300, 70_001),
    ] {
        let mut r = rng(sr as u64);
        let x: Vec<f32> = noise(&mut r, len, 0.3)
            .iter()
            .enumerate()
            .map(|(i, v)| v + 0.2 * (i as f32 / 20_000.0).sin())
            .collect();
        let rl = dc_block_len(sr);
        let mut m = Vec::new();
        block_means(&x, rl, &mut m);
        let n = m.len();
        let fs = sr as f64 / rl as f64;
        let big_m = (fs / 20.0).round() as usize;
        let head_len = (0.05 * fs).round() as usize;
        let s = skip.div_ceil(rl);
        let head: f64 = m[s..s + head_len].iter().sum::<f64>() / head_len as f64;
        let tail: f64 = m[n - head_len..].iter().sum::<f64>() / head_len as f64;
        // The kernel: four boxes of M ones convolved.
        let mut k = vec![1.0f64];
        for _ in 0..4 {
            let mut next = vec![0.0; k.len() + big_m - 1];
            for (i, &v) in k.iter().enumerate() {
                for j in 0..big_m {
                    next[i + j] += v;
                }
            }
            k = next;
        }
        let h = (k.len() - 1) / 2;
        let ext = |i: isize| {
            if i < s as isize {
                head
            } else if i >= n as isize {
                tail
            } else {
                m[i as usize]
            }
        };
        let want: Vec<f64> = (0..n as isize)
            .map(|j| {
                k.iter()
                    .enumerate()
                    .map(|(t, &c)| c * ext(j - h as isize + t as isize))
                    .sum::<f64>()
                    / (big_m as f64).powi(4)
            })
            .collect();
        let est = DcEstimator::new(sr, skip, len);
        let (hv, tv) = (est.head_value(&m, 0), est.tail_value(&m, 0));
        let mut buf = Vec::new();
        for b in 0..len.div_ceil(BLOCK) {
            let first = est.block_estimates(b, (&m, 0), hv, tv, &mut buf);
            for (i, &e) in buf.iter().enumerate() {
                let w = want[first + i];
                assert!(
                    (e as f64 - w).abs() < 1e-6,
                    "sr {sr}, block {b}, estimate {}: {e} against {w}",
                    first + i
                );
            }
        }
    }
}
