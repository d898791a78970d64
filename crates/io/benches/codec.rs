//! Criterion benches for decoding and encoding on a realistic file.
//!
//! `cargo bench -p gar-io --bench codec` (results in BENCHMARKS.md). Input: the 60 s
//! corpus file `../shared/corpus/long_mix_60s_44k_mono.wav` (16-bit mono, 2.6M samples).

use criterion::{Criterion, criterion_group, criterion_main};
use gar_io::{Bits, decode_file, encode_wav};
use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;

fn codec(c: &mut Criterion) {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/long_mix_60s_44k_mono.wav"
    ));
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
