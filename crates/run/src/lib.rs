//! gar-run: the run pipeline that every front end shares (the `gar` binary's `render`,
//! `analyze` and `batch`, the studio, the Python bindings).
//!
//! A [`Job`] names an input, a preset, parameters and the files to write; [`run`] does
//! the whole of it: checks the request, stages every output (checked, temporary files
//! created: [`outputs`]), reserves memory in a budget shared by every job of the
//! process ([`limits::MemoryBudget`]), decodes under the limits ([`limits::load`]),
//! analyses and plans (gar-core), renders (in memory, or streamed block by block for
//! long outputs), encodes, writes the report, params file, picture and CSV tables, and
//! renames every file into place only when all are complete. It returns the report
//! ([`Outcome`]) or a typed [`RunError`]; progress goes to a [`Progress`] sink (no-op
//! by default) and a [`Cancel`] flag stops it between stages and between blocks,
//! removing what it staged.
//!
//! [`render_samples`] and [`analyze_samples`] are the same pipeline on samples already
//! in memory (Python arrays, the studio's cached sounds), without files.
//!
//! Process-wide state is deliberate and safe across concurrent jobs: the registry of
//! temporary files that the signal handler clears, and the panic hook ([`safety`]).
//! Every other piece of state belongs to one job.

pub mod csv;
mod error;
pub mod limits;
pub mod outputs;
pub mod safety;
pub mod source;

pub use error::{RunError, param_error};
pub use limits::{MemoryBudget, Reservation};
pub use source::Input;

use anyhow::anyhow;
use gar_core::report::{InputInfo, LevelReport, OutputInfo};
use gar_core::{Params, Prepared, Preset, Report, SampleBuf};
use gar_io::{Bits, Decoded, WavWriter};
use limits::Wants;
use outputs::{Outputs, Slot};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How standard output is named in messages and in the report.
pub const STDOUT_LABEL: &str = "<stdout>";

/// Where a job's progress goes. Every method has a no-op default.
pub trait Progress: Sync {
    /// A stage begins: `decoding`, `analysing`, `rendering`, `encoding`, `rendering and
    /// encoding` (a streamed render, with `total` output frames), `drawing and writing`.
    fn stage(&self, _name: &'static str, _total: Option<u64>) {}
    /// `done` of the stage's `total` (streamed renders report output frames written).
    fn advance(&self, _done: u64) {}
    /// The job's files are in place.
    fn finished(&self) {}
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// A flag that cancels the jobs holding it (clones share it). A cancelled job stops
/// at its next check (between stages, between streamed blocks, while waiting for
/// memory) with [`RunError::Cancelled`], and its staged files are removed.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), RunError> {
        if self.is_cancelled() {
            Err(RunError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// What a job runs with besides its own description.
pub struct Ctx<'a> {
    pub progress: &'a dyn Progress,
    pub cancel: Cancel,
    /// The memory every job of the process shares ([`MemoryBudget::process`]).
    pub budget: &'a MemoryBudget,
}

impl Ctx<'static> {
    /// No progress, never cancelled, the process's budget.
    pub fn standard() -> Result<Ctx<'static>, RunError> {
        Ok(Ctx {
            progress: &NoProgress,
            cancel: Cancel::default(),
            budget: MemoryBudget::process()?,
        })
    }
}

/// Where the WAV goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WavTarget {
    File(PathBuf),
    /// Standard output (the caller checked that it is not a terminal).
    Stdout,
}

/// One run: an input, its parameters, and the files to write. Output paths are
/// literal (the front end chose default names and folders).
#[derive(Clone, Debug)]
pub struct Job {
    pub input: Input,
    pub preset: Preset,
    /// The parameters (a preset's, a params file's and flags' values already layered);
    /// `seed` 0 draws a fresh seed from the operating system.
    pub params: Params,
    /// The WAV (`None`: analyse only, like `gar analyze`).
    pub wav: Option<WavTarget>,
    pub bits: Bits,
    /// The JSON report.
    pub report: Option<PathBuf>,
    /// The params file (TOML) that reproduces the run.
    pub save_params: Option<PathBuf>,
    /// The picture (`.png` or `.svg`) and its size in pixels.
    pub plot: Option<PathBuf>,
    pub plot_size: (u32, u32),
    /// The CSV tables' prefix.
    pub csv: Option<PathBuf>,
    /// Replace existing files (never the input).
    pub force: bool,
    /// Further files (path, bytes) written in the same all-or-nothing commit, right
    /// after the WAV: `gar batch`'s sidecars.
    pub extra: Vec<(PathBuf, Vec<u8>)>,
}

impl Job {
    /// A job that renders `input` to `output` (24-bit) with `preset`'s parameters.
    pub fn render(input: impl Into<PathBuf>, output: impl Into<PathBuf>, preset: Preset) -> Job {
        Job {
            input: Input::File(input.into()),
            preset,
            params: preset.params(),
            wav: Some(WavTarget::File(output.into())),
            bits: Bits::I24,
            report: None,
            save_params: None,
            plot: None,
            plot_size: gar_plot::DEFAULT_SIZE,
            csv: None,
            force: false,
            extra: Vec::new(),
        }
    }
}

/// What a finished job did.
#[derive(Debug)]
pub struct Outcome {
    /// The report (what `--report` writes).
    pub report: Report,
    /// The seed used (drawn if the job's was 0).
    pub seed: u64,
    /// Every file written, in the order staged (standard output not included).
    pub written: Vec<PathBuf>,
    /// The time of each stage, in milliseconds: `decode`, `prepare`, `render`,
    /// `encode` (or `render+encode (streamed)`), `write`.
    pub timings: Vec<(&'static str, f64)>,
}

/// The seed to use: the given one, or (0) a fresh one from the operating system.
pub fn resolve_seed(seed: u64) -> Result<u64, RunError> {
    if seed != 0 {
        return Ok(seed);
    }
    loop {
        let s = getrandom::u64().map_err(|e| anyhow!("could not draw a random seed: {e}"))?;
        if s != 0 {
            return Ok(s);
        }
    }
}

/// Decoder findings that the user should read (truncation, replaced samples), each
/// naming the input.
pub fn decode_warnings(input: &Path, d: &Decoded) -> Vec<String> {
    d.user_warnings(&input.display().to_string())
}

/// The report's description of an input.
pub fn input_info(label: &str, sample_rate: u32, channels: usize, frames: usize) -> InputInfo {
    InputInfo {
        path: label.to_string(),
        sample_rate,
        channels,
        frames,
        duration_s: frames as f64 / sample_rate.max(1) as f64,
    }
}

/// The report's description of an output.
pub fn output_info(
    label: &str,
    sample_rate: u32,
    channels: usize,
    frames: usize,
    bits: &str,
) -> OutputInfo {
    OutputInfo {
        path: label.to_string(),
        sample_rate,
        channels,
        frames,
        duration_s: frames as f64 / sample_rate.max(1) as f64,
        bits: bits.to_string(),
    }
}

/// The stages of a job: progress, and their times.
struct Stages<'a> {
    progress: &'a dyn Progress,
    cancel: &'a Cancel,
    t: Instant,
    timings: Vec<(&'static str, f64)>,
}

impl<'a> Stages<'a> {
    fn new(ctx: &'a Ctx) -> Stages<'a> {
        Stages {
            progress: ctx.progress,
            cancel: &ctx.cancel,
            t: Instant::now(),
            timings: Vec::new(),
        }
    }

    fn begin(&self, what: &'static str, total: Option<u64>) -> Result<(), RunError> {
        self.cancel.check()?;
        self.progress.stage(what, total);
        Ok(())
    }

    fn end(&mut self, name: &'static str) {
        self.timings
            .push((name, self.t.elapsed().as_secs_f64() * 1000.0));
        self.t = Instant::now();
    }
}

/// The picture and CSV files, staged.
struct StagedExports {
    size: (u32, u32),
    plot: Option<(Slot, gar_plot::PlotFormat)>,
    csv: Option<[Slot; 2]>,
    /// The CSV prefix (channels 1.. of an independent run add their own files).
    csv_prefix: Option<PathBuf>,
}

/// Checks the job's request (usage errors) before anything is staged or read.
fn check_request(job: &Job) -> Result<Option<gar_plot::PlotFormat>, RunError> {
    if let Some(p) = &job.save_params
        && gar_core::paramfile::Format::from_name(&p.to_string_lossy())
            != Some(gar_core::paramfile::Format::Toml)
    {
        return Err(RunError::Usage(format!(
            "--save-params {}: expected a file name ending in .toml",
            p.display()
        )));
    }
    match &job.plot {
        None => Ok(None),
        Some(p) => match gar_plot::PlotFormat::from_path(p) {
            Some(f) => Ok(Some(f)),
            None => Err(RunError::Usage(format!(
                "--plot {}: expected a file name ending in .png or .svg",
                p.display()
            ))),
        },
    }
}

fn stage_exports(
    job: &Job,
    fmt: Option<gar_plot::PlotFormat>,
    outs: &mut Outputs,
) -> Result<StagedExports, RunError> {
    let plot = match (&job.plot, fmt) {
        (Some(p), Some(f)) => Some((outs.stage(p, "--plot", "picture")?, f)),
        _ => None,
    };
    let csv = match &job.csv {
        Some(prefix) => {
            let [c, p] = csv::csv_paths(prefix);
            Some([
                outs.stage(&c, "--csv", "CSV file")?,
                outs.stage(&p, "--csv", "CSV file")?,
            ])
        }
        None => None,
    };
    Ok(StagedExports {
        size: job.plot_size,
        plot,
        csv,
        csv_prefix: job.csv.clone(),
    })
}

/// A run's results, for the report and the exports.
struct Finished<'a> {
    prepared: &'a Prepared,
    report: &'a Report,
    input: &'a [&'a [f32]],
    /// The finished output samples (only kept when a picture needs them).
    output: Option<&'a [SampleBuf]>,
    source: &'a Input,
}

impl StagedExports {
    /// Writes the CSV tables and draws the picture into their staged files.
    fn write(&self, outs: &mut Outputs, run: &Finished) -> Result<(), RunError> {
        if let Some([cs, ps]) = self.csv {
            let r = run.report;
            let (c, p) = csv::csv_tables(&r.analysis, &r.plan, &r.usage);
            outs.write(cs, c.as_bytes())?;
            outs.write(ps, p.as_bytes())?;
            // Independent channels: PREFIX.chN.candidates.csv and
            // PREFIX.chN.plan.csv for channels 1.. (the plain names are channel 0's).
            if let (Some(chs), Some(prefix)) = (&r.channels, &self.csv_prefix) {
                for ch in chs.iter().filter(|c| c.channel > 0) {
                    let mut pre = prefix.as_os_str().to_owned();
                    pre.push(format!(".ch{}", ch.channel));
                    let [cp, pp] = csv::csv_paths(Path::new(&pre));
                    let cs = outs.stage(&cp, "--csv", "CSV file")?;
                    let ps = outs.stage(&pp, "--csv", "CSV file")?;
                    let (c, p) = csv::csv_tables(&ch.analysis, &ch.plan, &ch.usage);
                    outs.write(cs, c.as_bytes())?;
                    outs.write(ps, p.as_bytes())?;
                }
            }
        }
        if let Some((slot, fmt)) = self.plot {
            let name = run.source.display_name();
            let inp = gar_plot::PlotInput {
                prepared: run.prepared,
                report: run.report,
                input: run.input,
                output: run.output,
                source_name: &name,
            };
            let bytes = gar_plot::render(&inp, fmt, self.size.0, self.size.1).map_err(|e| {
                anyhow!("cannot draw the picture {}: {e}", outs.path(slot).display())
            })?;
            outs.write(slot, &bytes)?;
        }
        Ok(())
    }
}

/// Analyses and plans decoded samples: the decoder's warnings first, and the
/// engine's adjustment lines naming parameter ids.
fn prepare_decoded(
    label: &Path,
    dec: &Decoded,
    params: &Params,
    preset: Preset,
    seed: u64,
) -> Result<Prepared, RunError> {
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let mut prepared = gar_core::prepare(&chans, dec.sample_rate, params, preset, seed)
        .map_err(|e| param_error(e, label))?;
    let mut warnings = decode_warnings(label, dec);
    warnings.append(&mut prepared.warnings);
    prepared.warnings = warnings;
    flag_adjustments(&mut prepared);
    Ok(prepared)
}

/// A message from gar-core with its leading parameter id replaced by the flag
/// (`grain_ms 3000 ms clamped ...` -> `--grain-ms 3000 ms clamped ...`).
pub fn with_flag(msg: &str) -> String {
    let word = msg.split([' ', ':']).next().unwrap_or("");
    match gar_core::table::PARAMS.iter().find(|s| s.id == word) {
        Some(s) => format!("--{}{}", s.flag, &msg[word.len()..]),
        None => msg.to_string(),
    }
}

/// The engine's adjustment lines name parameter ids; reports (every front end's, so
/// that they are equal) show them as the command line's flags.
fn flag_adjustments(p: &mut Prepared) {
    for a in &mut p.settings.adjustments {
        *a = with_flag(a);
    }
}

/// What the WAV encoder writes to: a staged file, or standard output.
enum Sink {
    File(gar_io::AtomicFile),
    Stdout(std::io::BufWriter<Box<dyn Write + Send>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(o) => o.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::File(f) => f.write_all(buf),
            Sink::Stdout(o) => o.write_all(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(o) => o.flush(),
        }
    }
}

/// Standard output for binary data: on unix a duplicate of its descriptor as a plain
/// file (no line buffering, large writes pass straight through), else `Stdout`.
fn stdout_sink() -> Sink {
    #[cfg(unix)]
    let raw: Box<dyn Write + Send> = {
        use std::os::fd::AsFd;
        match std::io::stdout().as_fd().try_clone_to_owned() {
            Ok(fd) => Box::new(std::fs::File::from(fd)),
            Err(_) => Box::new(std::io::stdout()),
        }
    };
    #[cfg(not(unix))]
    let raw: Box<dyn Write + Send> = Box::new(std::io::stdout());
    Sink::Stdout(std::io::BufWriter::with_capacity(1 << 16, raw))
}

/// Runs a job to the end (see the crate documentation). A panic inside becomes
/// [`RunError::Failed`] ([`safety::guard`]).
pub fn run(job: &Job, ctx: &Ctx) -> Result<Outcome, RunError> {
    safety::guard(|| run_unguarded(job, ctx))
}

fn run_unguarded(job: &Job, ctx: &Ctx) -> Result<Outcome, RunError> {
    // Every value checked without the source, before a possibly long file is read;
    // resolving against the source's length comes after decoding.
    let mut params = job.params.clone();
    params.validate().map_err(RunError::Param)?;
    let seed = resolve_seed(params.seed)?;
    params.seed = seed;
    let plot_fmt = check_request(job)?;
    let input = &job.input;

    // Every output, checked and staged before any work.
    let mut outs = Outputs::new(input.file(), job.force);
    let (wav_slot, out_label) = match &job.wav {
        Some(WavTarget::File(p)) => (Some(outs.stage(p, "--output", "output")?), p.clone()),
        Some(WavTarget::Stdout) | None => (None, PathBuf::from(STDOUT_LABEL)),
    };
    let mut extra_slots = Vec::new();
    for (p, bytes) in &job.extra {
        extra_slots.push((outs.stage(p, "--output", "sidecar")?, bytes));
    }
    let report_slot = match &job.report {
        Some(p) => Some(outs.stage(p, "--report", "report")?),
        None => None,
    };
    let params_slot = match &job.save_params {
        Some(p) => Some(outs.stage(p, "--save-params", "params file")?),
        None => None,
    };
    let exports = stage_exports(job, plot_fmt, &mut outs)?;

    let mut st = Stages::new(ctx);
    let wants = Wants {
        output: job.wav.as_ref().map(|_| (out_label.as_path(), job.bits)),
        json: report_slot.is_some(),
        csv: exports.csv.is_some(),
        plot: exports.plot.map(|_| exports.size),
    };
    st.begin("decoding", None)?;
    let (dec, _memory) = limits::load(input, &params, job.preset, &wants, ctx.budget, &ctx.cancel)?;
    st.end("decode");
    st.begin("analysing", None)?;
    let prepared = prepare_decoded(input.label(), &dec, &params, job.preset, seed)?;
    st.end("prepare");
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let in_info = input_info(
        &input.label().display().to_string(),
        dec.sample_rate,
        chans.len(),
        dec.frames,
    );

    let mut kept: Option<Vec<SampleBuf>> = None;
    let report = match &job.wav {
        None => Report::new(&prepared, in_info, None),
        Some(target) => {
            let s = &prepared.settings;
            let (sr, out_len, out_channels) = (
                s.sample_rate,
                s.output_len(),
                s.output_channels(chans.len()),
            );
            let sink = match wav_slot {
                Some(slot) => Sink::File(outs.take(slot)?),
                None => stdout_sink(),
            };
            let encode_err = |e: gar_io::EncodeError| RunError::Failed(anyhow!(e));
            let mut w = WavWriter::new(sink, &out_label, sr, out_channels, out_len, job.bits)
                .map_err(encode_err)?;
            let out_bytes = out_len as u64 * out_channels as u64 * 4;
            let in_bytes = dec.frames as u64 * chans.len() as u64 * 4;
            let wants_picture = exports.plot.is_some();
            let level = if limits::renders_in_memory(out_bytes, in_bytes, wants_picture) {
                // Render into memory (one pass), then encode.
                st.begin("rendering", None)?;
                let (mut out, level) = gar_core::render_prepared_unscaled(&prepared, &chans);
                st.end("render");
                // The level's gain is applied while encoding, unless the picture needs
                // the finished samples too.
                let gain = if wants_picture {
                    gar_core::finish::scale(&mut out, level.gain);
                    1.0
                } else {
                    level.gain
                };
                st.begin("encoding", None)?;
                let slices: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
                w.write_scaled(&slices, gain).map_err(encode_err)?;
                st.end("encode");
                if wants_picture {
                    kept = Some(out);
                }
                level
            } else {
                // Long output: never hold it; the renderer measures, then hands
                // finished blocks to the encoder.
                st.begin("rendering and encoding", Some(out_len as u64))?;
                let (progress, cancel) = (st.progress, st.cancel);
                let level = gar_core::render_prepared_streaming(&prepared, &chans, |b| {
                    if cancel.is_cancelled() {
                        return Err(RunError::Cancelled);
                    }
                    w.write(b).map_err(encode_err)?;
                    progress.advance(w.frames_written() as u64);
                    Ok::<(), RunError>(())
                })?;
                st.end("render+encode (streamed)");
                level
            };
            match (w.finish().map_err(encode_err)?, wav_slot) {
                (Sink::File(f), Some(slot)) => outs.put(slot, f),
                (Sink::Stdout(_), None) => {}
                _ => {
                    return Err(RunError::Failed(anyhow!(
                        "internal error: WAV sink mismatch"
                    )));
                }
            }
            let label = match target {
                WavTarget::File(p) => p.display().to_string(),
                WavTarget::Stdout => STDOUT_LABEL.to_string(),
            };
            let mut report = Report::new(
                &prepared,
                in_info,
                Some(output_info(
                    &label,
                    sr,
                    out_channels,
                    out_len,
                    &job.bits.to_string(),
                )),
            );
            report.level = Some(LevelReport::new(&prepared, &level));
            report.warnings.extend(level.warnings.iter().cloned());
            report
        }
    };
    for (slot, bytes) in extra_slots {
        outs.write(slot, bytes)?;
    }
    if let Some(slot) = report_slot {
        let bytes = serde_json::to_vec_pretty(&report).map_err(|e| anyhow!(e))?;
        outs.write(slot, &bytes)?;
    }
    if let Some(slot) = params_slot {
        let text = gar_core::paramfile::to_toml(&prepared.settings, prepared.seed);
        outs.write(slot, text.as_bytes())?;
    }
    st.begin("drawing and writing", None)?;
    let run = Finished {
        prepared: &prepared,
        report: &report,
        input: &chans,
        output: kept.as_deref(),
        source: input,
    };
    exports.write(&mut outs, &run)?;
    st.cancel.check()?;
    let written = outs.commit()?;
    st.end("write");
    ctx.progress.finished();
    Ok(Outcome {
        report,
        seed,
        written,
        timings: st.timings,
    })
}

/// A render of samples in memory: the finished output (one buffer per output channel,
/// level applied) and its report.
pub struct Rendered {
    pub output: Vec<SampleBuf>,
    pub report: Report,
    pub prepared: Prepared,
}

/// Reserves the memory a run on samples already in memory needs beyond them.
fn reserve_for<'b>(
    label: &Path,
    chans: &[&[f32]],
    sample_rate: u32,
    params: &Params,
    preset: Preset,
    render: bool,
    ctx: &Ctx<'b>,
) -> Result<Option<Reservation<'b>>, RunError> {
    let frames = chans.first().map_or(0, |c| c.len()) as u64;
    let shape = limits::Shape {
        sample_rate,
        channels: chans.len(),
        frames: Some(frames),
        exact: true,
    };
    let wants = Wants {
        output: render.then_some((Path::new("<memory>"), Bits::F32)),
        json: true,
        ..Wants::default()
    };
    let need = limits::check_run(label, &shape, params, preset, &wants, ctx.budget.limit())?;
    // The samples are the caller's: only the rest is reserved.
    let bytes = need.map(|b| b.saturating_sub(frames * chans.len() as u64 * 4));
    bytes
        .map(|b| ctx.budget.reserve(b, &ctx.cancel))
        .transpose()
}

fn checked_params(params: &Params) -> Result<(Params, u64), RunError> {
    let mut p = params.clone();
    p.validate().map_err(RunError::Param)?;
    let seed = resolve_seed(p.seed)?;
    p.seed = seed;
    Ok((p, seed))
}

/// A run on samples in memory, analysed and planned, holding its share of the memory
/// budget until dropped.
pub struct PlannedSamples<'b> {
    pub prepared: Prepared,
    _memory: Option<Reservation<'b>>,
}

/// Checks the parameters, reserves the memory a run on `chans` needs beyond the
/// samples themselves (with the output if `render`), then analyses and plans: the
/// first half of [`render_samples`] and [`analyze_samples`], for callers that render
/// into buffers of their own (Python's numpy arrays).
pub fn plan_samples<'b>(
    chans: &[&[f32]],
    sample_rate: u32,
    preset: Preset,
    params: &Params,
    label: &str,
    render: bool,
    ctx: &Ctx<'b>,
) -> Result<PlannedSamples<'b>, RunError> {
    safety::guard(|| {
        let (params, seed) = checked_params(params)?;
        let path = Path::new(label);
        let memory = reserve_for(path, chans, sample_rate, &params, preset, render, ctx)?;
        ctx.cancel.check()?;
        ctx.progress.stage("analysing", None);
        let mut prepared = gar_core::prepare(chans, sample_rate, &params, preset, seed)
            .map_err(|e| param_error(e, path))?;
        flag_adjustments(&mut prepared);
        Ok(PlannedSamples {
            prepared,
            _memory: memory,
        })
    })
}

/// The report of a render of `chans` into `out_channels` x `out_frames` samples.
fn samples_report(
    p: &Prepared,
    chans: &[&[f32]],
    (out_channels, out_frames): (usize, usize),
    level: &gar_core::Level,
    label: &str,
) -> Report {
    let sr = p.settings.sample_rate;
    let frames = chans.first().map_or(0, |c| c.len());
    let mut report = Report::new(
        p,
        input_info(label, sr, chans.len(), frames),
        Some(output_info(
            label,
            sr,
            out_channels,
            out_frames,
            &Bits::F32.to_string(),
        )),
    );
    report.level = Some(LevelReport::new(p, level));
    report.warnings.extend(level.warnings.iter().cloned());
    report
}

/// Renders a planned run into `out` (one slice per output channel, of the output's
/// length, zeroed) and returns its report, the one [`render_samples`] gives.
pub fn render_planned_into(
    planned: &PlannedSamples,
    chans: &[&[f32]],
    out: &mut [&mut [f32]],
    label: &str,
) -> Result<Report, RunError> {
    safety::guard(|| {
        let p = &planned.prepared;
        let level = gar_core::render_prepared_into(p, chans, out);
        let shape = (out.len(), out.first().map_or(0, |c| c.len()));
        Ok(samples_report(p, chans, shape, &level, label))
    })
}

/// Renders `chans` (one slice per channel, all the same length) at `sample_rate`:
/// the pipeline of [`run`] without files. `label` names the input in messages and in
/// the report; the output is described as 32-bit float.
pub fn render_samples(
    chans: &[&[f32]],
    sample_rate: u32,
    preset: Preset,
    params: &Params,
    label: &str,
    ctx: &Ctx,
) -> Result<Rendered, RunError> {
    let planned = plan_samples(chans, sample_rate, preset, params, label, true, ctx)?;
    safety::guard(|| {
        ctx.cancel.check()?;
        ctx.progress.stage("rendering", None);
        let prepared = planned.prepared;
        let (out, level) = gar_core::render_prepared(&prepared, chans);
        let shape = (out.len(), out.first().map_or(0, |c| c.len()));
        let report = samples_report(&prepared, chans, shape, &level, label);
        ctx.progress.finished();
        Ok(Rendered {
            output: out,
            report,
            prepared,
        })
    })
}

/// Analyses and plans `chans` without rendering: the report of `gar analyze`.
pub fn analyze_samples(
    chans: &[&[f32]],
    sample_rate: u32,
    preset: Preset,
    params: &Params,
    label: &str,
    ctx: &Ctx,
) -> Result<(Prepared, Report), RunError> {
    let planned = plan_samples(chans, sample_rate, preset, params, label, false, ctx)?;
    let prepared = planned.prepared;
    let frames = chans.first().map_or(0, |c| c.len());
    let report = Report::new(
        &prepared,
        input_info(label, sample_rate, chans.len(), frames),
        None,
    );
    ctx.progress.finished();
    Ok((prepared, report))
}
