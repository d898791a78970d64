//! What an integrated-loudness measurement of 10 minutes costs: gar's own
//! (`gar_core::level::loudness`, on the rayon pool, and on one thread) against
//! the `ebur128` crate's meter (one serial meter), on the same samples.
//!
//! `cargo run --release -p gar-core --example loudness_bench [RUNS] [CHANNELS]`
//!
//! The input is the committed CC0 recording `testdata/stereo_guit_em9_44k.flac`
//! looped to 10 minutes (mixed to mono for one channel). The variants are
//! timed interleaved, run by run; medians in ms and ns per sample and channel.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let nch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/stereo_guit_em9_44k.flac"
    );
    let d = gar_io::decode_file(std::path::Path::new(path)).expect("testdata recording");
    let sr = d.sample_rate;
    let n = 600 * sr as usize;
    let chans: Vec<Vec<f32>> = if nch == 1 {
        let c: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
        vec![gar_core::mono_mix(&c).to_vec()]
    } else {
        d.channels.iter().map(|c| c.to_vec()).collect()
    };
    let x: Vec<Vec<f32>> = chans
        .iter()
        .map(|c| (0..n).map(|i| c[i % c.len()]).collect())
        .collect();
    let chs: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut t = [Vec::new(), Vec::new(), Vec::new()];
    let mut vals = [0f64; 3];
    for _ in 0..runs {
        let t0 = Instant::now();
        vals[0] = gar_core::level::loudness(&chs, sr).unwrap();
        t[0].push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        vals[1] = one.install(|| gar_core::level::loudness(&chs, sr).unwrap());
        t[1].push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let mut m = ebur128::EbuR128::new(chs.len() as u32, sr, ebur128::Mode::I).unwrap();
        m.add_frames_planar_f32(&chs).unwrap();
        vals[2] = m.loudness_global().unwrap();
        t[2].push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let samples = (n * chs.len()) as f64;
    println!(
        "10 min, {} channel(s), {sr} Hz, {runs} runs (median)",
        chs.len()
    );
    for (name, (t, v)) in ["gar, rayon pool", "gar, 1 thread", "ebur128 crate, 1 meter"]
        .iter()
        .zip(t.iter_mut().zip(vals))
    {
        t.sort_by(f64::total_cmp);
        let med = t[t.len() / 2];
        println!(
            "{name:24} {med:8.1} ms {:6.2} ns/sample  {v:.6} LUFS",
            med * 1e6 / samples
        );
    }
    println!("difference gar - crate: {:+.2e} LU", vals[0] - vals[2]);
}
