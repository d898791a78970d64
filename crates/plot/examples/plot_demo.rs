//! Renders example pictures for looking at them:
//!
//! ```text
//! cargo run --release -p gar-plot --example plot_demo [OUT_DIR]   # default /tmp/garplots
//! ```
//!
//! The demo sound (crates/cli/assets) with Self-Remix, rendered and analysed only;
//! the guitar recording of testdata/ with Self-Remix and Motif Extract; each as PNG
//! and SVG. Both are CC0 recordings committed in the repository.

use std::path::{Path, PathBuf};

use gar_core::Preset;
use gar_core::report::InputInfo;
use gar_plot::{PlotInput, render_png, render_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/garplots".into()),
    );
    std::fs::create_dir_all(&out_dir)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let demo = root.join("crates/cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac");
    let guit = root.join("testdata/stereo_guit_em9_44k.flac");
    let jobs: Vec<(&Path, Preset, bool, &str)> = vec![
        (&demo, Preset::SelfRemix, true, "demo_selfremix"),
        (&demo, Preset::SelfRemix, false, "demo_selfremix_analyze"),
        (&guit, Preset::SelfRemix, true, "guit_selfremix"),
        (&guit, Preset::MotifExtract, true, "guit_motifextract"),
    ];
    for (path, preset, rendered, name) in jobs {
        let dec = gar_io::decode_file(path)?;
        let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
        let prepared = gar_core::prepare(&chans, dec.sample_rate, &preset.params(), preset, 1)?;
        let output = rendered.then(|| gar_core::render_prepared(&prepared, &chans).0);
        let file_name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let report = gar_core::Report::new(
            &prepared,
            InputInfo {
                path: path.display().to_string(),
                sample_rate: dec.sample_rate,
                channels: chans.len(),
                frames: dec.frames,
                duration_s: dec.frames as f64 / dec.sample_rate as f64,
            },
            None,
        );
        let inp = PlotInput {
            prepared: &prepared,
            report: &report,
            input: &chans,
            output: output.as_deref(),
            source_name: &file_name,
        };
        let (w, h) = gar_plot::DEFAULT_SIZE;
        let png = render_png(&inp, w, h)?;
        let svg = render_svg(&inp, w, h)?;
        let p = out_dir.join(format!("{name}.png"));
        std::fs::write(&p, png)?;
        std::fs::write(out_dir.join(format!("{name}.svg")), svg)?;
        println!("wrote {}", p.display());
        if name == "guit_motifextract" {
            // Smaller pictures: the layout scales down.
            for (w, h) in [(800, 500), (320, 320)] {
                let p = out_dir.join(format!("{name}_{w}x{h}.png"));
                std::fs::write(&p, render_png(&inp, w, h)?)?;
                println!("wrote {}", p.display());
            }
        }
    }
    Ok(())
}
