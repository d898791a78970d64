//! Command-line flags (clap). Raw flags only; validation happens in gar-core.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "gar",
    version,
    about = "Granular Attention Re-synthesis: a sound re-synthesises itself from its own most salient moments",
    long_about = "Granular Attention Re-synthesis: candidate grains are cut from the source and scored; \
a ReLU gate removes the weak ones; a softmax with sharpness alpha turns the survivors' scores into \
selection probabilities; each output hop draws a grain (with a penalty on recent picks), jitters it \
in time and pitch, and overlap-adds it with a Hann window.\n\n\
Low alpha gives a textural self-remix; high alpha gives motif extraction and stutter.",
    after_help = "Start with `gar demo`, then `gar render YOUR.wav --preset self-remix`. `gar presets` lists the presets."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Re-synthesise a sound file and write a WAV.
    Render(Box<RenderArgs>),
    /// Analyse and plan without rendering audio: summary, JSON, CSV, picture.
    Analyze(Box<AnalyzeArgs>),
    /// Print every preset with every value.
    Presets {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Render every preset on the built-in demo sound (no files or network needed).
    Demo {
        /// Folder to write <preset>.wav and <preset>.json into.
        #[arg(long, value_name = "DIR", default_value = "gar-demo")]
        out: PathBuf,
        /// Replace existing files in a folder that gar did not create.
        #[arg(long)]
        force: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Also write <preset>.png, the six-panel picture, beside each WAV.
        #[arg(long)]
        plot: bool,
    },
    /// Print a shell completion script: `gar completions bash > /etc/bash_completion.d/gar`.
    Completions {
        /// The shell to complete for.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): `gar man > gar.1`, `gar man render > gar-render.1`.
    Man {
        /// A subcommand's own page (render, analyze, presets, demo, completions) instead of gar's.
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
}

/// Picture and table outputs shared by `render` and `analyze`.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Picture and exports")]
pub struct ExportArgs {
    /// Write the six-panel picture (input, output, scores, selection, usage, stats): .png or .svg
    #[arg(long, value_name = "FILE.png|FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Picture size in pixels, WIDTHxHEIGHT (320..10000 each) [default: 1600x1000]
    #[arg(long, value_name = "WxH")]
    pub plot_size: Option<String>,
    /// Write PREFIX.candidates.csv (index, start_s, rms_power, score, active, prob, usage) and PREFIX.plan.csv (hop, pos_s, grain, pitch_st)
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,
}

/// More than one input: a usage error with its own message (see `engine::one_input`).
/// Hidden, so that help and usage show the one INPUT the command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct ExtraInputs {
    #[arg(value_name = "MORE", hide = true, num_args = 0..)]
    pub extra: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Input sound: WAV, FLAC, MP3, Ogg Vorbis or AIFF; - reads standard input
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    #[command(flatten)]
    pub more: ExtraInputs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Write the full report (parameters, analysis, plan, usage) as JSON
    #[arg(
        long,
        visible_alias = "json",
        value_name = "FILE.json",
        help_heading = "Output"
    )]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// Replace existing output files (never the input)
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Print nothing but errors
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}

/// Every engine parameter (docs/algorithm.md, section 1). Unset flags take the preset's value.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Engine parameters (unset = the preset's value)")]
pub struct EngineArgs {
    /// Preset, by name or by the original's number: 1 custom, 2 self-remix, 3 crystallize, 4 motif-extract, 5 onset-harvest, 6 shimmer, 7 slabs, 8 cloud [default: custom]
    #[arg(long, short = 'p', value_name = "ID")]
    pub preset: Option<String>,
    /// Grain length, ms (5..1000) [custom: 50]
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub grain_ms: Option<f64>,
    /// Synthesis hop between output grains, ms (>= 1, <= grain/2) [custom: 25]
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub hop_ms: Option<f64>,
    /// Hop between candidate grains in the source, ms (>= 1, <= grain) [custom: 20]
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub cand_hop_ms: Option<f64>,
    /// Attention sharpness alpha (>= 0.01; 1-3 gentle, 5-10 crystallised, 15+ winner-take-most) [custom: 8]
    #[arg(
        long,
        visible_alias = "temperature",
        value_name = "A",
        allow_negative_numbers = true
    )]
    pub alpha: Option<f64>,
    /// ReLU gate floor relative to the mean score, dB (any finite value) [custom: 0]
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub floor_db: Option<f64>,
    /// Score: rms, onset (alias transient), edge, mixed [custom: rms]
    #[arg(long, value_name = "TYPE")]
    pub score: Option<String>,
    /// Weight of the onset score in `mixed`, 0..1 [custom: 0.5]
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub transient_weight: Option<f64>,
    /// Random time offset per grain, +/- ms (0..hop) [custom: 5]
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub time_jitter_ms: Option<f64>,
    /// Random varispeed shift per grain, +/- semitones (0..4) [custom: 0]
    #[arg(long, value_name = "ST", allow_negative_numbers = true)]
    pub pitch_jitter_st: Option<f64>,
    /// Penalty on recently chosen grains, 0..1 (1 = never repeat the last pick) [custom: 0.5]
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    pub recency: Option<f64>,
    /// Wet share, percent 0..100 (the rest is the dry source) [custom: 100]
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub wet: Option<f64>,
    /// Random seed; 0 = draw one (the report says which) [default: 0]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Softmax scale: range (gar) or mean (the original's numbers) [default: range]
    #[arg(long, value_name = "MODE")]
    pub attention_norm: Option<String>,
    /// Output duration, seconds (> 0, at most 86400) [default: the source's]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub duration: Option<f64>,
    /// Output channels: linked (keep every channel, one plan) or mono [default: linked]
    #[arg(long, value_name = "MODE")]
    pub channels: Option<String>,
}

/// The output level (docs/algorithm.md, section 8). `render` only: `analyze` writes no audio.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output level")]
pub struct LevelArgs {
    /// Level rule: peak (sample peak at --peak-db), loudness (integrated loudness at --lufs, peak at most --peak-db) or none (no gain) [default: peak]
    #[arg(long, value_name = "MODE")]
    pub normalize: Option<String>,
    /// Output sample peak, or the peak ceiling with loudness, dBFS (-60..0) [default: -0.09]
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub peak_db: Option<f64>,
    /// Integrated loudness target with --normalize loudness, LUFS (-70..0) [default: -16]
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub lufs: Option<f64>,
    /// DC high-pass on the output (zero phase, -3 dB near 8.5 Hz, flat from 20 Hz up): on or off [default: on]
    #[arg(long, value_name = "on|off")]
    pub dc_block: Option<String>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Input sound: WAV, FLAC, MP3, Ogg Vorbis or AIFF; - reads standard input
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    #[command(flatten)]
    pub more: ExtraInputs,
    /// Output WAV; a folder: the default name inside it; - writes the WAV to standard output [default: <input stem>_GAR_<PresetName>.wav in the current folder]
    #[arg(long, short = 'o', value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub level: LevelArgs,
    /// Output sample format: 16, 24 (integer) or 32f (32-bit float)
    #[arg(
        long,
        value_name = "BITS",
        default_value = "24",
        help_heading = "Output"
    )]
    pub bits: String,
    /// Write the full report (parameters, analysis, plan, usage) as JSON
    #[arg(long, value_name = "FILE.json", help_heading = "Output")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// Replace an existing output (never the input)
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Print nothing but errors
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}
