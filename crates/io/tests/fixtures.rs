//! Decode every committed fixture and compare with the signal it is known to hold.
//!
//! The fixtures are made by `tests/fixtures/make_fixtures.py`; the signal definition below must
//! match the one there:
//!   left  = 0.5 * sin(2*pi*440*n/sr)
//!   right = -left ("neg") or 0.25 * sin(2*pi*1000*n/sr) ("1000 Hz")
//! Integer PCM stores round_half_away(x * 2^(bits-1)).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use gar_io::{Decoded, decode_bytes, decode_file};

#[derive(Clone, Copy, Debug)]
enum Right {
    Mono,
    Neg,
    Hz1000,
}

#[derive(Clone, Copy, Debug)]
enum Check {
    /// Integer PCM of this many bits: every sample must be exactly k / 2^(bits-1) and within
    /// half an LSB of the analytic value (that is what rounding at encode time allows).
    Int(u32),
    /// Float PCM: within f32 precision (1e-7) of the analytic value.
    Float,
    /// Lossy codec: see `check_lossy`.
    Lossy,
}

struct Fixture {
    file: &'static str,
    rate: u32,
    channels: usize,
    frames: usize,
    right: Right,
    check: Check,
    format: &'static str,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        file: "wav-u8-8kHz-mono.wav",
        rate: 8000,
        channels: 1,
        frames: 800,
        right: Right::Mono,
        check: Check::Int(8),
        format: "WAV, 8-bit unsigned integer",
    },
    Fixture {
        file: "wav-i16-44100Hz-stereo.wav",
        rate: 44100,
        channels: 2,
        frames: 4410,
        right: Right::Neg,
        check: Check::Int(16),
        format: "WAV, 16-bit integer",
    },
    Fixture {
        file: "wav-i24-48kHz-mono.wav",
        rate: 48000,
        channels: 1,
        frames: 4800,
        right: Right::Mono,
        check: Check::Int(24),
        format: "WAV, 24-bit integer",
    },
    Fixture {
        file: "wav-i32-22050Hz-mono.wav",
        rate: 22050,
        channels: 1,
        frames: 2205,
        right: Right::Mono,
        check: Check::Int(32),
        format: "WAV, 32-bit integer",
    },
    Fixture {
        file: "wav-f32-32kHz-stereo.wav",
        rate: 32000,
        channels: 2,
        frames: 3200,
        right: Right::Hz1000,
        check: Check::Float,
        format: "WAV, 32-bit float",
    },
    Fixture {
        file: "wav-f64-16kHz-mono.wav",
        rate: 16000,
        channels: 1,
        frames: 1600,
        right: Right::Mono,
        check: Check::Float,
        format: "WAV, 64-bit float",
    },
    Fixture {
        file: "waveformatextensible-24bit-48kHz-stereo.wav",
        rate: 48000,
        channels: 2,
        frames: 4800,
        right: Right::Hz1000,
        check: Check::Int(24),
        format: "WAV (WAVE_FORMAT_EXTENSIBLE), 24-bit integer",
    },
    Fixture {
        file: "aiff-i16-44100Hz-stereo.aiff",
        rate: 44100,
        channels: 2,
        frames: 4410,
        right: Right::Hz1000,
        check: Check::Int(16),
        format: "AIFF, 16-bit integer",
    },
    Fixture {
        file: "flac-16bit-44100Hz-stereo.flac",
        rate: 44100,
        channels: 2,
        frames: 4410,
        right: Right::Neg,
        check: Check::Int(16),
        format: "FLAC 16-bit",
    },
    Fixture {
        file: "flac-24bit-96kHz-mono.flac",
        rate: 96000,
        channels: 1,
        frames: 4800,
        right: Right::Mono,
        check: Check::Int(24),
        format: "FLAC 24-bit",
    },
    // Lossy: the encoders' delay/padding is recorded in the file (LAME tag, Ogg granule
    // positions) and symphonia's gapless mode trims it, so the frame count is exact.
    Fixture {
        file: "mp3-128kbps-44100Hz-stereo.mp3",
        rate: 44100,
        channels: 2,
        frames: 11025,
        right: Right::Hz1000,
        check: Check::Lossy,
        format: "MP3",
    },
    Fixture {
        file: "vorbis-q4-48kHz-stereo.ogg",
        rate: 48000,
        channels: 2,
        frames: 12000,
        right: Right::Hz1000,
        check: Check::Lossy,
        format: "Ogg Vorbis",
    },
];

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The analytic signal for channel `ch`.
fn expected(fx: &Fixture, ch: usize) -> Vec<f64> {
    let sr = f64::from(fx.rate);
    (0..fx.frames)
        .map(|n| {
            let left = 0.5 * (2.0 * PI * 440.0 * n as f64 / sr).sin();
            match (ch, fx.right) {
                (0, _) | (_, Right::Mono) => left,
                (_, Right::Neg) => -left,
                (_, Right::Hz1000) => 0.25 * (2.0 * PI * 1000.0 * n as f64 / sr).sin(),
            }
        })
        .collect()
}

fn check_int(fx: &Fixture, got: &[f32], want: &[f64], bits: u32, ch: usize) {
    let full = 2f64.powi(bits as i32 - 1);
    // For 32-bit input, f32 cannot hold every integer: allow f32 rounding (2^-25 near 0.5).
    let tol = if bits > 24 {
        0.5 / full + 2f64.powi(-25)
    } else {
        0.5 / full + 1e-12
    };
    for (n, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = f64::from(g);
        assert!(
            (g - w).abs() <= tol,
            "{} ch{ch} frame {n}: decoded {g}, expected {w} (tolerance {tol:e} = half an LSB)",
            fx.file
        );
        if bits <= 24 {
            // The decoder must divide by exactly 2^(bits-1).
            let k = g * full;
            assert_eq!(
                k,
                k.round(),
                "{} ch{ch} frame {n}: {g} is not k/2^{}",
                fx.file,
                bits - 1
            );
        }
    }
}

fn check_float(fx: &Fixture, got: &[f32], want: &[f64], ch: usize) {
    for (n, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = f64::from(g);
        assert!(
            (g - w).abs() <= 1e-7,
            "{} ch{ch} frame {n}: decoded {g}, expected {w}",
            fx.file
        );
    }
}

/// Normalised cross-correlation of `a[i]` with `b[i + lag]` over `range`.
fn correlation(a: &[f32], b: &[f64], lag: isize, range: std::ops::Range<usize>) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in range {
        let j = i as isize + lag;
        if j < 0 || j as usize >= b.len() {
            continue;
        }
        let x = f64::from(a[i]);
        let y = b[j as usize];
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt().max(1e-30)
}

/// Lossy codecs. Pure tones make a lag search ambiguous (the correlation is periodic), so
/// alignment is checked at the onset instead: the tone starts abruptly at frame 0, and if the
/// codec delay (MP3: ~1100 frames) were not trimmed the start would be silent.
/// * over the middle of the file (codecs ramp in and out at the edges), the best correlation with
///   the analytic signal for lags within +-8 frames must exceed 0.99 (wrong frequency, polarity
///   or a channel swap gives ~0 or < 0);
/// * over the first 2048 frames, the lag-0 correlation must exceed 0.95 (delay trimmed);
/// * the RMS level must be within 10 % of the analytic RMS (LAME at 128 kbps loses ~5 % on these
///   tones; its own decoder, `lame --decode`, gives the same level as symphonia).
fn check_lossy(fx: &Fixture, got: &[f32], want: &[f64], ch: usize) {
    let range = 2000..fx.frames - 2000;
    let (best_lag, best) = (-8..=8)
        .map(|lag| (lag, correlation(got, want, lag, range.clone())))
        .fold((0, f64::MIN), |acc, x| if x.1 > acc.1 { x } else { acc });
    assert!(
        best > 0.99,
        "{} ch{ch}: best correlation {best:.4} at lag {best_lag}; expected > 0.99",
        fx.file
    );
    let onset = correlation(got, want, 0, 0..2048);
    assert!(
        onset > 0.95,
        "{} ch{ch}: correlation over the first 2048 frames is {onset:.4}; expected > 0.95 \
         (is the codec delay trimmed?)",
        fx.file
    );
    let rms = |it: &mut dyn Iterator<Item = f64>| {
        let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x * x, n + 1));
        (s / n as f64).sqrt()
    };
    let got_rms = rms(&mut got[range.clone()].iter().map(|&x| f64::from(x)));
    let want_rms = rms(&mut want[range].iter().copied());
    assert!(
        (got_rms / want_rms - 1.0).abs() < 0.10,
        "{} ch{ch}: RMS {got_rms:.4}, expected {want_rms:.4} within 10 %",
        fx.file
    );
}

fn check_decoded(fx: &Fixture, d: &Decoded) {
    assert_eq!(d.sample_rate, fx.rate, "{}: sample rate", fx.file);
    assert_eq!(d.channels.len(), fx.channels, "{}: channel count", fx.file);
    assert_eq!(d.frames, fx.frames, "{}: frame count", fx.file);
    for (ch, c) in d.channels.iter().enumerate() {
        assert_eq!(c.len(), fx.frames, "{} ch{ch}: channel length", fx.file);
    }
    assert_eq!(d.format, fx.format, "{}: format description", fx.file);
    assert_eq!(d.nonfinite_replaced, 0, "{}", fx.file);
    assert!(
        d.warnings.is_empty(),
        "{}: unexpected warnings {:?}",
        fx.file,
        d.warnings
    );

    for ch in 0..fx.channels {
        let want = expected(fx, ch);
        let got = &d.channels[ch];
        match fx.check {
            Check::Int(bits) => check_int(fx, got, &want, bits, ch),
            Check::Float => check_float(fx, got, &want, ch),
            Check::Lossy => check_lossy(fx, got, &want, ch),
        }
    }
}

#[test]
fn every_fixture_decodes_to_its_known_signal() {
    for fx in FIXTURES {
        let d = decode_file(&fixture_path(fx.file)).unwrap_or_else(|e| panic!("{}: {e}", fx.file));
        check_decoded(fx, &d);
    }
}

#[test]
fn decode_bytes_matches_decode_file_with_and_without_hint() {
    for fx in FIXTURES {
        let bytes = std::fs::read(fixture_path(fx.file)).unwrap();
        let ext = Path::new(fx.file).extension().and_then(|e| e.to_str());
        let from_file = decode_file(&fixture_path(fx.file)).unwrap();
        for hint in [ext, None] {
            let d = decode_bytes(bytes.clone(), hint)
                .unwrap_or_else(|e| panic!("{} (hint {hint:?}): {e}", fx.file));
            assert_eq!(d, from_file, "{} (hint {hint:?})", fx.file);
        }
    }
}

#[test]
fn all_required_formats_are_covered() {
    // One fixture per format and bit depth the decoder must support.
    let formats: Vec<&str> = FIXTURES.iter().map(|f| f.format).collect();
    for want in [
        "WAV, 8-bit unsigned integer",
        "WAV, 16-bit integer",
        "WAV, 24-bit integer",
        "WAV, 32-bit integer",
        "WAV, 32-bit float",
        "WAV, 64-bit float",
        "WAV (WAVE_FORMAT_EXTENSIBLE), 24-bit integer",
        "FLAC 16-bit",
        "FLAC 24-bit",
        "MP3",
        "Ogg Vorbis",
        "AIFF, 16-bit integer",
    ] {
        assert!(formats.contains(&want), "no fixture for {want}");
    }
}
