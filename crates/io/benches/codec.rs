//! Criterion benches for decoding and encoding on a realistic file.
//!
//! `cargo bench -p gar-io --bench codec` (results in BENCHMARKS.md). Input: the 60 s
//! mono benchmark input of `bench/input.rs` (built from the two CC0 recordings committed
//! in the repository), written as a 16-bit mono WAV (2.6M samples) to a temporary folder;
//! and the demo sound `crates/cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac` as it is.

use criterion::{Criterion, criterion_group, criterion_main};
use gar_io::{Bits, decode_file, encode_wav};
use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;

#[path = "../../../bench/input.rs"]
mod input;

fn codec(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = &dir.path().join("bench_input_60s_44k_mono.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: input::SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("benchmark WAV");
    for s in input::mix_60s() {
        w.write_sample(s).expect("benchmark WAV");
    }
    w.finalize().expect("benchmark WAV");
    let mut g = c.benchmark_group("codec_60s_mono");
    g.sample_size(20);
    g.bench_function("decode/wav 16-bit", |b| {
        b.iter(|| decode_file(black_box(path)).unwrap())
    });
    let flac = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac"
    ));
    g.bench_function("decode/flac 6 s stereo", |b| {
        b.iter(|| decode_file(black_box(flac)).unwrap())
    });
    let d = decode_file(path).unwrap();
    let chans: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
    let mut buf = Vec::with_capacity(d.frames * 4 + 1024);
    for bits in Bits::ALL {
        g.bench_function(format!("encode/{bits} to memory"), |b| {
            b.iter(|| {
                buf.clear();
                encode_wav(Cursor::new(&mut buf), 44100, &chans, bits).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
