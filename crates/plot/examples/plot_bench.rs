//! Times the picture of a 10-minute run: the 60 s benchmark input of
//! `bench/input.rs` (built from the CC0 recordings committed in the repository)
//! repeated 10 times (26.5 M samples), Motif Extract (about 60 k candidates, 40 k
//! hops) and Self-Remix, rendered output included; then Motif Extract again with
//! alpha and wet varying over output time (`alpha 25..2`, `wet 100..40`), which
//! adds the parameter strip to the selection panel.
//!
//! ```text
//! cargo run --release -p gar-plot --example plot_bench [OUT_DIR]   # default /tmp/garplots
//! ```
//!
//! Prints the median of 5 runs of `render_png` and `render_svg` at the default
//! size (preparing and rendering the audio are not timed) and writes the
//! pictures to OUT_DIR.

use std::path::PathBuf;
use std::time::Instant;

use gar_core::Preset;
use gar_core::report::InputInfo;
use gar_plot::{PlotInput, render_png, render_svg};

#[path = "../../../bench/input.rs"]
mod input;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/garplots".into()),
    );
    std::fs::create_dir_all(&out_dir)?;
    let sr = input::SAMPLE_RATE;
    let one: Vec<f32> = input::mix_60s()
        .into_iter()
        .map(|s| s as f32 / 32768.0)
        .collect();
    let mut x = Vec::with_capacity(one.len() * 10);
    for _ in 0..10 {
        x.extend_from_slice(&one);
    }
    let chans: Vec<&[f32]> = vec![&x];
    println!(
        "source: the 60 s benchmark input (bench/input.rs) repeated 10 times = {} samples \
         ({:.1} s) at {} Hz",
        x.len(),
        x.len() as f64 / sr as f64,
        sr
    );
    let (w, h) = gar_plot::DEFAULT_SIZE;
    let mut varying = Preset::MotifExtract.params();
    varying.alpha = gar_core::Envelope::parse("25..2")?;
    varying.wet = gar_core::Envelope::parse("100..40")?;
    for (preset, params, tag) in [
        (Preset::MotifExtract, Preset::MotifExtract.params(), ""),
        (Preset::SelfRemix, Preset::SelfRemix.params(), ""),
        (Preset::MotifExtract, varying, "_varying"),
    ] {
        let prepared = gar_core::prepare(&chans, sr, &params, preset, 7)?;
        let (output, _level) = gar_core::render_prepared(&prepared, &chans);
        let report = gar_core::Report::new(
            &prepared,
            InputInfo {
                path: "bench_input_60s x10".into(),
                sample_rate: sr,
                channels: 1,
                frames: x.len(),
                duration_s: x.len() as f64 / sr as f64,
            },
            None,
        );
        let inp = PlotInput {
            prepared: &prepared,
            report: &report,
            input: &chans,
            output: Some(&output),
            source_name: "bench input 60 s (x10)",
        };
        let (mut tp, mut ts) = (Vec::new(), Vec::new());
        let (mut png, mut svg) = (Vec::new(), String::new());
        for _ in 0..5 {
            let t = Instant::now();
            png = render_png(&inp, w, h)?;
            tp.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            svg = render_svg(&inp, w, h)?;
            ts.push(t.elapsed().as_secs_f64());
        }
        println!(
            "{:<22} {} candidates, {} hops: PNG median {:.1} ms ({} KiB), SVG median {:.1} ms ({} KiB)",
            format!("{}{tag}", preset.id()),
            prepared.analysis.len(),
            prepared.plan.hops(),
            1000.0 * median(tp),
            png.len() / 1024,
            1000.0 * median(ts),
            svg.len() / 1024
        );
        let name = format!("long10min_{}{tag}", preset.file_name().to_lowercase());
        std::fs::write(out_dir.join(format!("{name}.png")), &png)?;
        std::fs::write(out_dir.join(format!("{name}.svg")), &svg)?;
        // The same run, not rendered (panel 2 shows the plan).
        let inp = PlotInput {
            output: None,
            ..inp
        };
        let t = Instant::now();
        let png = render_png(&inp, w, h)?;
        println!(
            "{:<22} not rendered: PNG {:.1} ms",
            "",
            1000.0 * t.elapsed().as_secs_f64()
        );
        std::fs::write(out_dir.join(format!("{name}_analyze.png")), &png)?;
    }
    Ok(())
}
