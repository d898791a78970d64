//! Command-line flags (clap). Raw flags only; validation happens in gar-core.

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use gar_core::Preset;
use gar_core::table::{Group, Kind, PARAMS, ParamSpec};
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
    /// Render many files (folders, a manifest) in parallel into an output folder that mirrors the inputs; resumable and shardable.
    Batch(Box<BatchArgs>),
    /// Print every preset with every value.
    Presets {
        /// Print JSON instead of a table: the presets and, under `parameters`, every parameter with its unit, range, default and doc.
        #[arg(long)]
        json: bool,
    },
    /// Render every preset on the built-in demo sound (no files or network needed), plus a stereo-spread Cloud and an alpha sweep over time.
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
        /// Play each result on the default audio output as it is written (builds with the `play` feature).
        #[arg(long)]
        play: bool,
    },
    /// Open gar studio: a local web page to pick, tweak, listen and look (the demo sound when no FILE is given).
    Studio {
        /// Sounds to open (WAV, FLAC, MP3, Ogg, AIFF); more can be dropped on the page.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Port to listen on (0: any free port).
        #[arg(long, value_name = "N", default_value_t = 0)]
        port: u16,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
        /// Address to listen on instead of 127.0.0.1 (other machines can then reach the studio: anyone with the URL can use it).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::IpAddr>,
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
    /// Write PREFIX.candidates.csv (index, start_s, rms_power, score, active, prob, usage, then one column per driver computed, its unit in brackets) and PREFIX.plan.csv (hop, pos_s, grain, pitch_st)
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
#[command(after_help = ENVELOPE_HELP)]
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

/// The envelope grammar, shown under `render --help` and `analyze --help`.
pub const ENVELOPE_HELP: &str = "\
Parameters over time: every parameter marked [envelope] takes a number or an envelope over the OUTPUT time:
  12                      a constant
  25..2                   from 25 at the start to 2 at the end, linearly (25..2@exp: geometrically)
  \"0:1, 0.5:30@exp, 1:2\"  breakpoints TIME:VALUE; a bare time is a fraction of the output (0..1)
  \"0:-6, 10s:+6@step\"     times in seconds (10s) or milliseconds (1500ms)
  Shapes, on the point that ends a segment: @lin (default), @exp (values > 0), @step (jump at the point), @smooth (ease).
  The value holds before the first point and after the last. Each breakpoint is clamped like a constant.

Params files: --params FILE.toml (or .json, or a --report JSON) sets any parameter plus preset and seed, with
the keys of `gar presets --json` (grain_ms = 50, alpha = \"25..2\", ...); flags override it. --save-params
FILE.toml writes the run's effective parameters and seed: `gar render IN --params FILE.toml` repeats it bit for bit.";

/// The help line of one parameter from its table row.
fn param_help(spec: &ParamSpec) -> String {
    let mut h = format!("{} ({})", spec.doc, spec.range_text());
    if spec.varies() {
        h += " [envelope]";
    }
    if spec.presets.is_some() {
        let d = spec.preset_text(Preset::Custom).unwrap_or_default();
        h += &format!(" [custom: {d}]");
    } else if !spec.default.is_empty() {
        h += &format!(" [default: {}]", spec.default);
    }
    h
}

/// Adds one flag per table row of `group` to `cmd` (ids are the table's).
fn add_params(mut cmd: clap::Command, group: Group, heading: &'static str) -> clap::Command {
    for spec in PARAMS.iter().filter(|s| s.group == group) {
        let mut arg = Arg::new(spec.id)
            .long(spec.flag)
            .value_name(spec.value_name)
            .help(param_help(spec))
            .help_heading(heading)
            .value_parser(clap::value_parser!(String))
            .action(ArgAction::Set);
        for a in spec.aliases {
            arg = arg.visible_alias(*a);
        }
        if matches!(spec.kind(), Kind::Envelope | Kind::Number | Kind::Text) {
            // Negative numbers, envelopes like -6..6, scores like -flatness.
            arg = arg.allow_hyphen_values(true);
        }
        if spec.kind() == Kind::Text && spec.id == "score" {
            // `--help` explains every driver in one line (`-h` stays short).
            let mut long = param_help(spec);
            long += "\n";
            for c in spec.choices() {
                long += &format!("\n  {:<12} {}", c.id, c.doc);
            }
            arg = arg.long_help(long);
        }
        cmd = cmd.arg(arg);
    }
    cmd
}

/// The values given for the table rows of `group`, in the table's order.
fn read_params(m: &ArgMatches, group: Group) -> Vec<(&'static ParamSpec, String)> {
    PARAMS
        .iter()
        .filter(|s| s.group == group)
        .filter_map(|s| m.get_one::<String>(s.id).map(|v| (s, v.clone())))
        .collect()
}

/// Every engine parameter of the table (docs/algorithm.md, sections 1 and
/// 12) as flags, plus the preset and params files. Unset flags take the
/// preset's value.
#[derive(Debug, Clone, Default)]
pub struct EngineArgs {
    /// `--preset`.
    pub preset: Option<String>,
    /// `--params FILE`.
    pub params: Option<PathBuf>,
    /// `--save-params FILE`.
    pub save_params: Option<PathBuf>,
    /// The parameter flags given (table row, text), in the table's order.
    pub values: Vec<(&'static ParamSpec, String)>,
}

const ENGINE_HEADING: &str = "Engine parameters (unset = the preset's value)";

impl FromArgMatches for EngineArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(EngineArgs {
            preset: m.get_one::<String>("preset").cloned(),
            params: m.get_one::<PathBuf>("params").cloned(),
            save_params: m.get_one::<PathBuf>("save_params").cloned(),
            values: read_params(m, Group::Engine),
        })
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for EngineArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let cmd = cmd
            .arg(
                Arg::new("preset")
                    .long("preset")
                    .short('p')
                    .value_name("ID")
                    .help(format!(
                        "Preset, by name or by the original's number: {} [default: custom]",
                        crate::flags::preset_list()
                    ))
                    .help_heading(ENGINE_HEADING),
            )
            .arg(
                Arg::new("params")
                    .long("params")
                    .value_name("FILE.toml|FILE.json")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help("Read parameters (and preset, seed) from a params file or a --report JSON; flags override it")
                    .help_heading(ENGINE_HEADING),
            )
            .arg(
                Arg::new("save_params")
                    .long("save-params")
                    .value_name("FILE.toml")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help("Write the run's effective parameters and seed as a params file (TOML)")
                    .help_heading(ENGINE_HEADING),
            );
        add_params(cmd, Group::Engine, ENGINE_HEADING)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The output level flags (docs/algorithm.md, section 8), from the table's
/// `level` rows. `render` only: `analyze` writes no audio.
#[derive(Debug, Clone, Default)]
pub struct LevelArgs {
    pub values: Vec<(&'static ParamSpec, String)>,
}

impl FromArgMatches for LevelArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(LevelArgs {
            values: read_params(m, Group::Level),
        })
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for LevelArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        add_params(cmd, Group::Level, "Output level")
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[derive(Args, Debug)]
#[command(after_help = ENVELOPE_HELP)]
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
    /// Play the result on the default audio output once written (builds with the `play` feature)
    #[arg(long, help_heading = "Output")]
    pub play: bool,
    /// Print nothing but errors
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}

#[derive(Args, Debug)]
#[command(after_help = BATCH_HELP)]
pub struct BatchArgs {
    /// Input sounds and folders (searched recursively for .wav, .flac, .mp3, .ogg, .aif, .aiff files)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder: each input's folders below its root are mirrored, NAME.wav (and its sidecar NAME.gar.json) inside
    #[arg(long, value_name = "DIR", help_heading = "Batch")]
    pub out_dir: PathBuf,
    /// Files rendered at once [default: one per core; jobs also wait for one another when memory is short]
    #[arg(long, short = 'j', value_name = "N", help_heading = "Batch")]
    pub jobs: Option<usize>,
    /// Skip a file whose output exists with a sidecar recording the same preset, parameters and (if fixed) seed
    #[arg(long, help_heading = "Batch")]
    pub skip_existing: bool,
    /// Run only jobs K, K+N, K+2N, ... (1-based) of the job list sorted by output path: N machines split a corpus with no coordination
    #[arg(long, value_name = "K/N", help_heading = "Batch")]
    pub shard: Option<String>,
    /// More jobs, one JSON object per line: {"input": "a.wav", "output": "x/a.wav", "params": {"preset": "cloud", "alpha": "1..8"}} (output and params optional; inputs relative to the manifest's folder, outputs to --out-dir)
    #[arg(long, value_name = "FILE.jsonl", help_heading = "Batch")]
    pub manifest: Option<PathBuf>,
    /// Write a JSON summary: each file's status, error, seed and time
    #[arg(long, value_name = "FILE.json", help_heading = "Batch")]
    pub summary: Option<PathBuf>,
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
    /// Replace existing outputs (never an input)
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Print nothing but errors
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}

/// How `gar batch` names, seeds and splits its jobs.
pub const BATCH_HELP: &str = "\
Seeds: with --seed S, the file at relative path P (below its input folder; a file named directly: its name)
gets seed splitmix64(S ^ splitmix64(fnv1a64(P))), so results do not depend on --jobs, --shard or the order of
files; without --seed each file draws its own. Each output's sidecar NAME.gar.json records the preset, seed and
parameters (and is a params file: `gar render IN --params NAME.gar.json` repeats that file bit for bit).
Exit status 1 if any file failed; the others are still written. Ctrl-C leaves no partial file.";
