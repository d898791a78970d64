//! Encode/decode throughput on a 10-minute mono 44.1 kHz signal (26.46M samples).
//!
//! `cargo run --release -p gar-io --example io_bench [DIR]` (DIR defaults to a temp dir).

use std::time::Instant;

use gar_io::{Bits, decode_file, encode_wav, write_wav_atomic};

fn main() {
    let frames = 44_100 * 600;
    let signal: Vec<f32> = (0..frames)
        .map(|n| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * (n % 44_100) as f32 / 44_100.0).sin())
        .collect();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| tmp.path().to_path_buf(), Into::into);

    println!("{frames} mono frames at 44.1 kHz");
    for bits in Bits::ALL {
        let t = Instant::now();
        let mut mem = std::io::Cursor::new(Vec::with_capacity(frames * 4 + 100));
        encode_wav(&mut mem, 44_100, &[&signal], bits).expect("encode in memory");
        let enc_mem = t.elapsed();
        drop(mem);

        let path = dir.join(format!("bench-{bits}.wav"));
        let t = Instant::now();
        write_wav_atomic(&path, 44_100, &[&signal], bits, true, |_| {}).expect("encode");
        let enc = t.elapsed();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

        let t = Instant::now();
        let d = decode_file(&path).expect("decode");
        let dec = t.elapsed();
        assert_eq!(d.frames, frames);
        println!(
            "{bits:>3}: encode to memory {:6.1} ms, to file incl. fsync {:7.1} ms ({:5.0} Msamples/s), decode {:7.1} ms ({:5.0} Msamples/s), {:.1} MB",
            enc_mem.as_secs_f64() * 1e3,
            enc.as_secs_f64() * 1e3,
            frames as f64 / enc.as_secs_f64() / 1e6,
            dec.as_secs_f64() * 1e3,
            frames as f64 / dec.as_secs_f64() / 1e6,
            size as f64 / 1e6
        );
    }
}
