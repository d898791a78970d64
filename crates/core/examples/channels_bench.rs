//! What the channel modes cost (issue 12): `channels independent` on a
//! 10-minute stereo input against the mono render of the same input, and
//! `spread 1` on the 10-minute mono input against the mono render.
//!
//! `cargo run --release -p gar-core --example channels_bench [RUNS] [PRESET]`
//!
//! The mono input is over_time_bench's: the 60 s input of `bench/input.rs`
//! (the two committed CC0 recordings, 16-bit mono 44.1 kHz, `s / 32768` as
//! f32) repeated ten times, frame `i` being frame `i % 2,646,000` of it. The
//! stereo input has that as its left channel and a copy delayed by 0.5 s
//! (22,050 frames of silence first, the last 0.5 s dropped) as its right, so
//! that the two channels hear the same material at different times.
//!
//! Each variant is timed as `gar_core::prepare` (seed 1) then
//! `gar_core::render_prepared_unscaled` (the render and every finishing step
//! but the level gain, no I/O), with the preset PRESET (default
//! self-remix). All variants run once per repetition, in order, RUNS times
//! (default 7); each cell is the median. The ratios are to the median of
//! "mono render" (`channels mono` on the stereo input) of the same
//! repetitions; spread is also given against "mono file" (the mono input,
//! linked: one channel, the same samples as the stereo input's mono mode
//! would analyse if both channels were equal).
//!
//! If `sox` is on the PATH, it then times (RUNS times, interleaved) writing
//! the mono input as a 24-bit mono WAV (`sox IN -b 24 OUT`) and as the same
//! two-channel output a spread writes (`sox IN -b 24 OUT remix 1 1`), from a
//! 16-bit WAV of the mono input in the temporary folder.

#[path = "../../../bench/input.rs"]
mod input;

use gar_core::{ChannelMode, Envelope, Params, Preset};
use std::time::Instant;

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Variant {
    name: &'static str,
    stereo: bool,
    params: Params,
}

fn main() {
    let arg = |i: usize| std::env::args().nth(i);
    let runs: usize = arg(1).and_then(|a| a.parse().ok()).unwrap_or(7);
    let preset = arg(2)
        .map(|id| Preset::parse(&id).unwrap_or_else(|| panic!("unknown preset {id}")))
        .unwrap_or(Preset::SelfRemix);
    let x60: Vec<f32> = input::mix_60s()
        .iter()
        .map(|&v| v as f32 / 32768.0)
        .collect();
    let sr = input::SAMPLE_RATE;
    let n = 10 * input::FRAMES;
    let left: Vec<f32> = (0..n).map(|i| x60[i % x60.len()]).collect();
    let delay = sr as usize / 2;
    let right: Vec<f32> = (0..n)
        .map(|i| if i < delay { 0.0 } else { left[i - delay] })
        .collect();
    let mono: [&[f32]; 1] = [&left];
    let stereo: [&[f32]; 2] = [&left, &right];
    let with = |f: &dyn Fn(&mut Params)| {
        let mut p = preset.params();
        f(&mut p);
        p
    };
    let variants = [
        Variant {
            name: "mono render (stereo input, channels mono)",
            stereo: true,
            params: with(&|p| p.channels = ChannelMode::Mono),
        },
        Variant {
            name: "independent (stereo input)",
            stereo: true,
            params: with(&|p| p.channels = ChannelMode::Independent),
        },
        Variant {
            name: "linked (stereo input, for reference)",
            stereo: true,
            params: with(&|p| p.channels = ChannelMode::Linked),
        },
        Variant {
            name: "mono file (mono input, linked)",
            stereo: false,
            params: with(&|_| {}),
        },
        Variant {
            name: "spread 1 (mono input, stereo output)",
            stereo: false,
            params: with(&|p| p.spread = Envelope::from(1.0)),
        },
    ];
    let load = std::process::Command::new("uptime")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "uptime not available".into());
    println!(
        "## Channel modes: 10 min at {sr} Hz ({n} frames per channel), preset {}, \
         {} threads, prepare + render_prepared_unscaled, median of {runs} interleaved \
         repetitions (ms)",
        preset.id(),
        rayon::current_num_threads()
    );
    println!("load before: {load}");
    // [prepare, render, total] per variant.
    let mut t = vec![[const { Vec::new() }; 3]; variants.len()];
    // The mono mode's own steps on the stereo input: its wet peak and its mix.
    let (mut peak_ms, mut mix_ms) = (Vec::new(), Vec::new());
    let mut shape = vec![(0usize, 0usize); variants.len()];
    for _ in 0..runs {
        for (k, v) in variants.iter().enumerate() {
            let src: &[&[f32]] = if v.stereo { &stereo } else { &mono };
            let t0 = Instant::now();
            let prep = gar_core::prepare(src, sr, &v.params, preset, 1).expect("valid params");
            let t1 = Instant::now();
            let out = gar_core::render_prepared_unscaled(&prep, src);
            let t2 = Instant::now();
            std::hint::black_box(&out.0[0][..16]);
            shape[k] = (out.0.len(), prep.plan.hops());
            drop(out);
            drop(prep);
            let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
            t[k][0].push(ms(t0, t1));
            t[k][1].push(ms(t1, t2));
            t[k][2].push(ms(t0, t2));
        }
        let t0 = Instant::now();
        std::hint::black_box(gar_core::wet_peak(&stereo, ChannelMode::Mono));
        let t1 = Instant::now();
        let mix = gar_core::mono_mix(&stereo);
        let t2 = Instant::now();
        std::hint::black_box(&mix[..16]);
        drop(mix);
        peak_ms.push((t1 - t0).as_secs_f64() * 1e3);
        mix_ms.push((t2 - t1).as_secs_f64() * 1e3);
    }
    let m: Vec<[f64; 3]> = t
        .iter()
        .map(|c| [median(&c[0]), median(&c[1]), median(&c[2])])
        .collect();
    let base = m[0];
    let file = m[3];
    println!();
    println!(
        "| variant | out ch | hops | total ms | ratio to mono render | ratio to mono file | \
         prepare ms | ratio | render ms | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (k, v) in variants.iter().enumerate() {
        println!(
            "| {} | {} | {} | {:.0} | **{:.2}** | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} |",
            v.name,
            shape[k].0,
            shape[k].1,
            m[k][2],
            m[k][2] / base[2],
            m[k][2] / file[2],
            m[k][0],
            m[k][0] / base[0],
            m[k][1],
            m[k][1] / base[1]
        );
    }
    let load = std::process::Command::new("uptime")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!();
    println!(
        "mono mode's own steps on the stereo input (medians): wet_peak (mono) {:.0} ms, \
         mono_mix {:.0} ms",
        median(&peak_ms),
        median(&mix_ms)
    );
    println!("load after: {load}");
    sox(&left, sr, runs);
}

/// `sox` writing the mono input as one and as two channels, if installed.
fn sox(x: &[f32], sr: u32, runs: usize) {
    let found = std::process::Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        println!();
        println!("sox: not installed, skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("gar_channels_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let input = dir.join("in_mono_16.wav");
    gar_io::write_wav_atomic(&input, sr, &[x], gar_io::Bits::I16, true, |_| {})
        .expect("write the sox input");
    let cases: [(&str, &[&str]); 2] = [
        ("sox IN -b 24 OUT (mono)", &[]),
        ("sox IN -b 24 OUT remix 1 1 (stereo)", &["remix", "1", "1"]),
    ];
    let mut secs = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (k, (_, extra)) in cases.iter().enumerate() {
            let out = dir.join(format!("out{k}.wav"));
            let _ = std::fs::remove_file(&out);
            let t = Instant::now();
            let st = std::process::Command::new("sox")
                .arg(&input)
                .args(["-b", "24"])
                .arg(&out)
                .args(*extra)
                .status()
                .expect("run sox");
            secs[k].push(t.elapsed().as_secs_f64() * 1e3);
            assert!(st.success(), "sox failed");
        }
    }
    println!();
    println!("| sox (10 min mono 16-bit WAV in, 24-bit WAV out) | ms | ratio |");
    println!("|---|---|---|");
    let base = median(&secs[0]);
    for (k, (name, _)) in cases.iter().enumerate() {
        let m = median(&secs[k]);
        println!("| `{name}` | {m:.0} | {:.2} |", m / base);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
