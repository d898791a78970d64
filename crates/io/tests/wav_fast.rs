//! The fast WAV path (`decode_file` on plain PCM/float WAV) gives exactly what the
//! symphonia path gives (`decode_bytes` always uses symphonia): same samples bit for
//! bit, same length, rate, format description, warnings and replaced-sample count.

use gar_io::{decode_bytes, decode_file};
use std::fs;
use std::path::{Path, PathBuf};

fn wav_fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    v.sort();
    v
}

fn same(path: &Path) {
    let fast = decode_file(path).unwrap();
    let slow = decode_bytes(fs::read(path).unwrap(), Some("wav")).unwrap();
    let name = path.display();
    assert_eq!(fast.sample_rate, slow.sample_rate, "{name}");
    assert_eq!(fast.frames, slow.frames, "{name}");
    assert_eq!(fast.channels.len(), slow.channels.len(), "{name}");
    assert_eq!(fast.format, slow.format, "{name}");
    assert_eq!(fast.nonfinite_replaced, slow.nonfinite_replaced, "{name}");
    assert_eq!(fast.warnings, slow.warnings, "{name}");
    for (a, b) in fast.channels.iter().zip(&slow.channels) {
        assert!(
            a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{name}: samples differ"
        );
    }
}

#[test]
fn fast_path_equals_symphonia_on_every_wav_fixture() {
    let all = wav_fixtures();
    assert!(all.len() >= 6, "fixtures: {all:?}");
    for p in &all {
        same(p);
    }
}

/// A float WAV with NaN, infinity and ordinary samples, in stereo.
#[test]
fn fast_path_replaces_non_finite_floats_like_symphonia() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nan.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&p, spec).unwrap();
    for i in 0..100_000 {
        let x = match i % 997 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            _ => (i as f32 * 0.01).sin() * 0.5,
        };
        w.write_sample(x).unwrap();
    }
    w.finalize().unwrap();
    same(&p);
    let d = decode_file(&p).unwrap();
    let expected = (0..100_000).filter(|i| i % 997 < 3).count() as u64;
    assert_eq!(d.nonfinite_replaced, expected);
    assert!(d.channels.iter().flatten().all(|x| x.is_finite()));
}

/// Files several parallel read tasks long (a task is 32768 frames), with a short
/// last task and odd channel counts: every task's range lands on the right frames.
#[test]
fn fast_path_equals_symphonia_across_read_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 3 * 32_768 + 1_234;
    for (bits, format, channels) in [
        (16, hound::SampleFormat::Int, 2),
        (24, hound::SampleFormat::Int, 3),
        (8, hound::SampleFormat::Int, 1),
        (32, hound::SampleFormat::Int, 2),
        (32, hound::SampleFormat::Float, 1),
    ] {
        let p = dir.path().join(format!("long-{bits}-{channels}.wav"));
        let spec = hound::WavSpec {
            channels,
            sample_rate: 44_100,
            bits_per_sample: bits,
            sample_format: format,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        // A ramp that differs per frame and channel, so a misplaced range shows.
        let full = (1i64 << (bits - 1)) - 1;
        for i in 0..frames as i64 {
            for c in 0..i64::from(channels) {
                let v = ((i * 7919 + c * 104_729) % (2 * full)) - full;
                match format {
                    hound::SampleFormat::Float => w.write_sample(v as f32 / full as f32).unwrap(),
                    hound::SampleFormat::Int => w.write_sample(v as i32).unwrap(),
                }
            }
        }
        w.finalize().unwrap();
        same(&p);
        assert_eq!(decode_file(&p).unwrap().frames, frames, "{}", p.display());
    }
}
