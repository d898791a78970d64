//! Encode/decode throughput on a 10-minute 44.1 kHz signal (26.46M frames).
//!
//! `cargo run --release -p gar-io --example io_bench [DIR]` (DIR defaults to a temp dir):
//! encoding to memory and to a file, decoding, mono; then the sample conversion alone.
//!
//! `cargo run --release -p gar-io --example io_bench sink [RUNS] [CASE]` (RUNS defaults to
//! 9): only the conversion: encoding mono and stereo at each bit depth to a writer that
//! discards the bytes, medians of RUNS runs (the cases interleaved run by run); CASE
//! (`16x1`, `24x2`, `32fx2`, ...) runs that case only, e.g. to count its CPU time
//! with `perf stat` on a loaded machine.

use std::io::{self, Seek, SeekFrom, Write};
use std::time::Instant;

use gar_io::{Bits, decode_file, encode_wav, write_wav_atomic};

const FRAMES: usize = 44_100 * 600;

/// A writer that only counts bytes.
#[derive(Default)]
struct Sink {
    pos: u64,
    len: u64,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Sink {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len.saturating_add_signed(d),
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

fn tone(freq: f32, amp: f32) -> Vec<f32> {
    (0..FRAMES)
        .map(|n| amp * (2.0 * std::f32::consts::PI * freq * (n % 44_100) as f32 / 44_100.0).sin())
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Encodes mono and stereo at every bit depth to a [`Sink`], `runs` times; prints medians.
fn sink_table(left: &[f32], right: &[f32], runs: usize, only: Option<&str>) {
    let cases: Vec<(Bits, Vec<&[f32]>)> = Bits::ALL
        .iter()
        .flat_map(|&b| [(b, vec![left]), (b, vec![left, right])])
        .filter(|(b, c)| only.is_none_or(|o| o == format!("{b}x{}", c.len())))
        .collect();
    let mut ms = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (case, times) in cases.iter().zip(&mut ms) {
            let (bits, chans) = case;
            let mut sink = Sink::default();
            let t = Instant::now();
            encode_wav(&mut sink, 44_100, chans, *bits).expect("encode to a sink");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            let data = FRAMES * chans.len() * usize::from(bits.bits_per_sample() / 8);
            assert!(sink.len as usize >= data + 44);
        }
    }
    println!(
        "encode to a sink, {FRAMES} frames, medians of {runs} runs on {} threads:",
        rayon::current_num_threads()
    );
    for ((bits, chans), times) in cases.iter().zip(ms) {
        let m = median(times);
        let samples = FRAMES * chans.len();
        println!(
            "{bits:>3} x {}: {m:6.1} ms ({:5.0} Msamples/s)",
            chans.len(),
            samples as f64 / m / 1e3
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    let signal = tone(440.0, 0.5);
    let right = tone(660.0, 0.4);
    if first.as_deref() == Some("sink") {
        let runs = args
            .next()
            .map_or(9, |r| r.parse().expect("RUNS: a number"));
        let only = args.next();
        sink_table(&signal, &right, runs.max(1), only.as_deref());
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = first.map_or_else(|| tmp.path().to_path_buf(), Into::into);

    println!("{FRAMES} mono frames at 44.1 kHz");
    for bits in Bits::ALL {
        let t = Instant::now();
        let mut mem = std::io::Cursor::new(Vec::with_capacity(FRAMES * 4 + 100));
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
        assert_eq!(d.frames, FRAMES);
        println!(
            "{bits:>3}: encode to memory {:6.1} ms, to file incl. fsync {:7.1} ms ({:5.0} Msamples/s), decode {:7.1} ms ({:5.0} Msamples/s), {:.1} MB",
            enc_mem.as_secs_f64() * 1e3,
            enc.as_secs_f64() * 1e3,
            FRAMES as f64 / enc.as_secs_f64() / 1e6,
            dec.as_secs_f64() * 1e3,
            FRAMES as f64 / dec.as_secs_f64() / 1e6,
            size as f64 / 1e6
        );
    }
    println!();
    sink_table(&signal, &right, 5, None);
}
