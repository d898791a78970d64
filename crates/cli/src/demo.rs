//! `gar demo`: every preset on the built-in demo sound.

use crate::Failure;
use anyhow::{Context, anyhow};
use gar_core::report::{InputInfo, OutputInfo};
use gar_core::{Preset, Report};
use gar_io::Bits;
use gar_run::outputs::Outputs;
use std::path::Path;

/// Percussive tabla hits over a sustained glass hum, 6 s, 44.1 kHz stereo, CC0
/// (sonic-pi-samples: loop_tabla by lezaarth, ambi_glass_hum by kaligari).
pub const DEMO_FLAC: &[u8] = include_bytes!("../assets/demo_tabla_glass_cc0_6s_44k_stereo.flac");
/// The demo is reproducible: a fixed seed.
pub const DEMO_SEED: u64 = 1;
/// A folder holding this file was created by `gar demo`; its files may be replaced.
const MARKER: &str = ".gar-demo";

pub fn demo_command(
    dir: &Path,
    force: bool,
    quiet: bool,
    plot: bool,
    play: bool,
) -> Result<(), Failure> {
    if play {
        crate::play::check_available()?;
    }
    let ours = dir.join(MARKER).exists();
    if !dir.exists() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the demo folder {}", dir.display()))?;
        std::fs::write(
            dir.join(MARKER),
            "made by `gar demo`; its files are replaced on each run\n",
        )
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    } else if !dir.is_dir() {
        return Err(Failure::Run(anyhow!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    let replace = force || ours || dir.join(MARKER).exists();
    if !replace {
        for p in Preset::ALL {
            for ext in ["wav", "json", "png"] {
                let f = dir.join(format!("{}.{ext}", p.id()));
                if f.exists() {
                    return Err(Failure::Run(anyhow!(
                        "{} already exists and {} was not made by `gar demo`; pass --force or choose another --out",
                        f.display(),
                        dir.display()
                    )));
                }
            }
        }
    }
    let dec = gar_io::decode_bytes(DEMO_FLAC.to_vec(), Some("flac"))
        .map_err(|e| anyhow!("the built-in demo sound does not decode: {e}"))?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    if !quiet {
        println!(
            "demo sound: tabla and glass hum (CC0), {:.1} s, {} Hz, {} channels -> {}/",
            dec.frames as f64 / dec.sample_rate as f64,
            dec.sample_rate,
            chans.len(),
            dir.display()
        );
    }
    for (name, preset, params) in demo_runs() {
        let prepared = gar_core::prepare(&chans, dec.sample_rate, &params, preset, DEMO_SEED)
            .map_err(|e| anyhow!("demo {name}: {e}"))?;
        let (out, level) = gar_core::render_prepared(&prepared, &chans);
        let wav = dir.join(format!("{name}.wav"));
        let json = dir.join(format!("{name}.json"));
        let png = dir.join(format!("{name}.png"));
        // Each preset's files are written together, or none of them.
        let mut outs = Outputs::new(None, true);
        let wav_slot = outs.stage(&wav, "--out", "demo WAV")?;
        let json_slot = outs.stage(&json, "--out", "demo report")?;
        let png_slot = if plot {
            Some(outs.stage(&png, "--out", "demo picture")?)
        } else {
            None
        };
        let chs: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
        let frames = chs.first().map_or(0, |c| c.len());
        let mut w = gar_io::WavWriter::new(
            outs.take(wav_slot)?,
            &wav,
            dec.sample_rate,
            chs.len(),
            frames,
            Bits::I24,
        )
        .map_err(|e| anyhow!(e))?;
        w.write(&chs).map_err(|e| anyhow!(e))?;
        outs.put(wav_slot, w.finish().map_err(|e| anyhow!(e))?);
        let mut report = Report::new(
            &prepared,
            InputInfo {
                path: "<built-in demo: tabla and glass hum>".into(),
                sample_rate: dec.sample_rate,
                channels: chans.len(),
                frames: dec.frames,
                duration_s: dec.frames as f64 / dec.sample_rate as f64,
            },
            Some(OutputInfo {
                path: wav.display().to_string(),
                sample_rate: dec.sample_rate,
                channels: out.len(),
                frames,
                duration_s: frames as f64 / dec.sample_rate as f64,
                bits: Bits::I24.to_string(),
            }),
        );
        report.level = Some(gar_core::report::LevelReport::new(&prepared, &level));
        let bytes = serde_json::to_vec_pretty(&report).map_err(|e| anyhow!(e))?;
        outs.write(json_slot, &bytes)?;
        if let Some(slot) = png_slot {
            let inp = gar_plot::PlotInput {
                prepared: &prepared,
                report: &report,
                input: &chans,
                output: Some(&out),
                source_name: "demo: tabla and glass hum",
            };
            let (w, h) = gar_plot::DEFAULT_SIZE;
            let bytes = gar_plot::render_png(&inp, w, h)
                .map_err(|e| anyhow!("cannot draw {}: {e}", png.display()))?;
            outs.write(slot, &bytes)?;
        }
        outs.commit()?;
        if !quiet {
            println!(
                "{:<14} {:>4} of {:>4} grains active, effective {:>6.1}, {:>4} unique used, top #{} x{:<4} -> {}",
                name,
                report.analysis.active,
                report.analysis.candidates,
                report.analysis.effective_grains,
                report.usage.unique,
                report.usage.most_used.index,
                report.usage.most_used.count,
                wav.display()
            );
        }
        if play {
            crate::play::play(&chs, dec.sample_rate, &wav.display().to_string())?;
        }
    }
    Ok(())
}

/// The demo's runs: every preset, then two that show what the original could
/// not do: a Cloud spread over the stereo field (section 14), and alpha
/// falling from exploration to crystallisation over the output (section 12).
fn demo_runs() -> Vec<(String, Preset, gar_core::Params)> {
    let mut runs: Vec<(String, Preset, gar_core::Params)> = Preset::ALL
        .iter()
        .map(|p| (p.id().to_string(), *p, p.params()))
        .collect();
    let env = |t: &str| gar_core::Envelope::parse(t).expect("a valid demo envelope");
    let mut spread = Preset::Cloud.params();
    spread.spread = env("0.9");
    runs.push(("spread-cloud".into(), Preset::Cloud, spread));
    let mut over = Preset::Crystallize.params();
    over.alpha = env("0:1, 0.3:2, 1:40@exp");
    over.floor_db = env("-6..3");
    runs.push(("over-time".into(), Preset::Crystallize, over));
    runs
}
