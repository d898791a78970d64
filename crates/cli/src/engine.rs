//! `gar render`, `gar analyze` and `gar presets`: from flags to written files.
//!
//! Both commands stage every output first (`outputs.rs`: checked, temporary files
//! created), then decode (`limits.rs`), prepare, render and encode into the staged
//! files, and rename them all into place at the end.

use crate::Failure;
use crate::args::{AnalyzeArgs, EngineArgs, ExportArgs, LevelArgs, RenderArgs};
use crate::flags::{param_failure, params_from_flags, resolve_seed, with_flag};
use crate::limits::{self, Wants};
use crate::outputs::{Outputs, Slot};
use crate::progress::Progress;
use crate::source::Input;
use anyhow::anyhow;
use gar_core::report::{InputInfo, LevelReport, OutputInfo};
use gar_core::{Params, Preset, Report, SampleBuf};
use gar_io::{Bits, Decoded, WavWriter};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// How standard output is named in messages and in the report.
const STDOUT_LABEL: &str = "<stdout>";

/// `gar render a.wav b.wav`: a clear usage error instead of clap's "unexpected argument".
pub fn one_input(cmd: &str, input: &Path, extra: &[PathBuf]) -> Result<(), Failure> {
    if extra.is_empty() {
        return Ok(());
    }
    let all: Vec<String> = std::iter::once(input)
        .chain(extra.iter().map(PathBuf::as_path))
        .map(|p| p.display().to_string())
        .collect();
    Err(Failure::Usage(format!(
        "`gar {cmd}` takes one input file, got {}: {}; run it once per file (`gar batch`, \
         coming, will handle several files in one run)",
        all.len(),
        all.join(", ")
    )))
}

/// Standard input as the input must not be a terminal (gar would wait for a sound
/// that nobody types).
fn check_stdin(input: &Input) -> Result<(), Failure> {
    if matches!(input, Input::Stdin) && std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "INPUT - reads a sound from standard input, which is a terminal here; expected \
             a pipe or a redirection (`gar render - < in.wav`, `... | gar render -`) or a \
             file name"
                .into(),
        ));
    }
    Ok(())
}

/// Default output name: `<input stem>_GAR_<PresetName>.wav` (`stdin_GAR_...` for
/// standard input).
pub fn default_name(input: &Input, preset: Preset) -> PathBuf {
    PathBuf::from(format!("{}_GAR_{}.wav", input.stem(), preset.file_name()))
}

/// Where the WAV goes.
enum WavTarget {
    File(PathBuf),
    Stdout,
}

/// `-o FILE`, `-o DIR` (the default name inside it), `-o -` (standard output, which
/// must not be a terminal), or the default name in the current folder.
fn wav_target(arg: Option<&Path>, input: &Input, preset: Preset) -> Result<WavTarget, Failure> {
    Ok(match arg {
        Some(p) if p.as_os_str() == "-" => {
            if std::io::stdout().is_terminal() {
                return Err(Failure::Usage(
                    "-o - writes the WAV to standard output, which is a terminal here; \
                     expected a pipe or a redirection (`gar render in.wav -o - > out.wav`, \
                     `... -o - | sox - ...`) or a file name"
                        .into(),
                ));
            }
            WavTarget::Stdout
        }
        Some(p) if p.is_dir() => WavTarget::File(p.join(default_name(input, preset))),
        Some(p) => WavTarget::File(p.to_path_buf()),
        None => WavTarget::File(default_name(input, preset)),
    })
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

/// Decoder findings that the user should read (truncation, replaced samples), each
/// naming the input.
pub fn decode_warnings(input: &Path, d: &Decoded) -> Vec<String> {
    let mut w = d.warnings.clone();
    if d.nonfinite_replaced > 0 {
        w.push(format!(
            "{} non-finite samples (NaN or infinity) in the input were treated as 0",
            d.nonfinite_replaced
        ));
    }
    w.into_iter()
        .map(|m| format!("{}: {m}", input.display()))
        .collect()
}

pub fn input_info(input: &Input, d: &Decoded) -> InputInfo {
    InputInfo {
        path: input.label().display().to_string(),
        sample_rate: d.sample_rate,
        channels: d.channels.len(),
        frames: d.frames,
        duration_s: d.frames as f64 / d.sample_rate.max(1) as f64,
    }
}

/// Preset, parameters and seed from the flags; parameter mistakes are caught
/// here, before a possibly long file is read.
fn run_flags(
    e: &EngineArgs,
    level: Option<&LevelArgs>,
    input: &Input,
) -> Result<(Preset, Params, u64), Failure> {
    let (preset, mut params) = params_from_flags(e, level)?;
    // Every value checked without the source; resolving against the source's
    // length comes after decoding.
    params
        .validate()
        .map_err(|err| param_failure(err, input.label()))?;
    let seed = resolve_seed(Some(params.seed))?;
    params.seed = seed;
    Ok((preset, params, seed))
}

/// Decodes the input (within the memory limits for `wants`), then analyses
/// and plans it, with the decoder's warnings first: the stages `render` and
/// `analyze` share.
fn decode_and_prepare(
    input: &Input,
    params: &Params,
    preset: Preset,
    seed: u64,
    wants: &Wants,
    st: &mut Stages,
) -> Result<(Decoded, gar_core::Prepared), Failure> {
    st.begin("decoding", None);
    let dec = limits::load(input, params, preset, wants)?;
    st.end("decode");
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    st.begin("analysing", None);
    let mut prepared = gar_core::prepare(&chans, dec.sample_rate, params, preset, seed)
        .map_err(|e| param_failure(e, input.label()))?;
    let mut warnings = decode_warnings(input.label(), &dec);
    warnings.append(&mut prepared.warnings);
    prepared.warnings = warnings;
    // The engine names parameters; the command line shows the flags.
    for a in &mut prepared.settings.adjustments {
        *a = with_flag(a);
    }
    st.end("prepare");
    Ok((dec, prepared))
}

/// `--save-params FILE.toml`, staged like every output.
fn stage_params(e: &EngineArgs, outs: &mut Outputs) -> Result<Option<Slot>, Failure> {
    let Some(p) = &e.save_params else {
        return Ok(None);
    };
    if gar_core::paramfile::Format::from_name(&p.to_string_lossy())
        != Some(gar_core::paramfile::Format::Toml)
    {
        return Err(Failure::Usage(format!(
            "--save-params {}: expected a file name ending in .toml",
            p.display()
        )));
    }
    Ok(Some(outs.stage(p, "--save-params", "params file")?))
}

/// The stages of a run: progress on a terminal, and their times with `GAR_PROFILE=1`.
struct Stages {
    progress: Progress,
    profile: bool,
    t: std::time::Instant,
}

impl Stages {
    fn new(quiet: bool) -> Stages {
        Stages {
            progress: Progress::new(!quiet),
            profile: std::env::var_os("GAR_PROFILE").is_some(),
            t: std::time::Instant::now(),
        }
    }

    fn begin(&self, what: &'static str, total: Option<u64>) {
        self.progress.stage(what, total);
    }

    fn end(&mut self, name: &str) {
        if self.profile {
            eprintln!(
                "gar: {name:<8} {:>8.1} ms",
                self.t.elapsed().as_secs_f64() * 1000.0
            );
        }
        self.t = std::time::Instant::now();
    }
}

/// The picture and CSV flags, checked (usage errors) before anything is staged.
struct ExportPlan {
    size: (u32, u32),
    plot: Option<(PathBuf, gar_plot::PlotFormat)>,
    csv: Option<PathBuf>,
}

/// The picture and CSV files, staged.
struct StagedExports {
    size: (u32, u32),
    plot: Option<(Slot, gar_plot::PlotFormat)>,
    csv: Option<[Slot; 2]>,
    /// The CSV prefix (channels 1.. of an independent run add their own files).
    csv_prefix: Option<PathBuf>,
}

impl ExportPlan {
    fn new(e: &ExportArgs) -> Result<ExportPlan, Failure> {
        let size = match &e.plot_size {
            Some(s) => gar_plot::parse_size(s).map_err(|e| Failure::Usage(e.to_string()))?,
            None => gar_plot::DEFAULT_SIZE,
        };
        let plot = match &e.plot {
            None => None,
            Some(p) => match gar_plot::PlotFormat::from_path(p) {
                Some(f) => Some((p.clone(), f)),
                None => {
                    return Err(Failure::Usage(format!(
                        "--plot {}: expected a file name ending in .png or .svg",
                        p.display()
                    )));
                }
            },
        };
        Ok(ExportPlan {
            size,
            plot,
            csv: e.csv.clone(),
        })
    }

    fn stage(&self, outs: &mut Outputs) -> Result<StagedExports, Failure> {
        let plot = match &self.plot {
            Some((p, f)) => Some((outs.stage(p, "--plot", "picture")?, *f)),
            None => None,
        };
        let csv = match &self.csv {
            Some(prefix) => {
                let [c, p] = csv_paths(prefix);
                Some([
                    outs.stage(&c, "--csv", "CSV file")?,
                    outs.stage(&p, "--csv", "CSV file")?,
                ])
            }
            None => None,
        };
        Ok(StagedExports {
            size: self.size,
            plot,
            csv,
            csv_prefix: self.csv.clone(),
        })
    }
}

/// A run's results, for the report and the exports.
struct Finished<'a> {
    prepared: &'a gar_core::Prepared,
    report: &'a Report,
    input: &'a [&'a [f32]],
    /// The finished output samples (only kept when a picture needs them).
    output: Option<&'a [SampleBuf]>,
    source: &'a Input,
}

impl StagedExports {
    /// Writes the CSV tables and draws the picture into their staged files.
    fn write(&self, outs: &mut Outputs, run: &Finished) -> Result<(), Failure> {
        if let Some([cs, ps]) = self.csv {
            let r = run.report;
            let (c, p) = csv_tables(&r.analysis, &r.plan, &r.usage);
            outs.write(cs, c.as_bytes())?;
            outs.write(ps, p.as_bytes())?;
            // Independent channels: PREFIX.chN.candidates.csv and
            // PREFIX.chN.plan.csv for channels 1.. (the plain names are channel 0's).
            if let (Some(chs), Some(prefix)) = (&r.channels, &self.csv_prefix) {
                for ch in chs.iter().filter(|c| c.channel > 0) {
                    let mut pre = prefix.as_os_str().to_owned();
                    pre.push(format!(".ch{}", ch.channel));
                    let [cp, pp] = csv_paths(Path::new(&pre));
                    let cs = outs.stage(&cp, "--csv", "CSV file")?;
                    let ps = outs.stage(&pp, "--csv", "CSV file")?;
                    let (c, p) = csv_tables(&ch.analysis, &ch.plan, &ch.usage);
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

/// Writes the report and the exports, renames every file into place, then prints the
/// summary (to standard error when the WAV went to standard output) with every file
/// written, and the warnings.
fn finish_run(
    mut outs: Outputs,
    (report_slot, params_slot): (Option<Slot>, Option<Slot>),
    exports: &StagedExports,
    run: &Finished,
    mut stages: Stages,
    quiet: bool,
    wav_to_stdout: bool,
) -> Result<(), Failure> {
    if let Some(slot) = report_slot {
        let bytes = serde_json::to_vec_pretty(run.report).map_err(|e| anyhow!(e))?;
        outs.write(slot, &bytes)?;
    }
    if let Some(slot) = params_slot {
        let text = gar_core::paramfile::to_toml(&run.prepared.settings, run.prepared.seed);
        outs.write(slot, text.as_bytes())?;
    }
    stages.begin("drawing and writing", None);
    exports.write(&mut outs, run)?;
    let written = outs.commit()?;
    stages.progress.done();
    if !quiet {
        let mut text = run.report.summary();
        if wav_to_stdout {
            text += &format!("wrote   {STDOUT_LABEL}\n");
        }
        for p in &written {
            text += &format!("wrote   {}\n", p.display());
        }
        if wav_to_stdout {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
        for w in &run.report.warnings {
            eprintln!("gar: warning: {w}");
        }
    }
    Ok(())
}

pub fn render_command(a: &RenderArgs) -> Result<(), Failure> {
    let input = Input::from_arg(&a.input);
    one_input("render", &a.input, &a.more.extra)?;
    let (preset, params, seed) = run_flags(&a.engine, Some(&a.level), &input)?;
    let bits: Bits = a.bits.parse().map_err(|_| {
        Failure::Usage(format!(
            "unknown --bits '{}'; expected 16, 24 or 32f (32-bit float)",
            a.bits
        ))
    })?;
    let plan = ExportPlan::new(&a.exports)?;
    let target = wav_target(a.output.as_deref(), &input, preset)?;
    check_stdin(&input)?;

    // Every output, checked and staged before any work.
    let mut outs = Outputs::new(input.file(), a.force);
    let (wav_slot, out_label) = match &target {
        WavTarget::File(p) => (Some(outs.stage(p, "--output", "output")?), p.clone()),
        WavTarget::Stdout => (None, PathBuf::from(STDOUT_LABEL)),
    };
    let report_slot = match &a.report {
        Some(p) => Some(outs.stage(p, "--report", "report")?),
        None => None,
    };
    let params_slot = stage_params(&a.engine, &mut outs)?;
    let exports = plan.stage(&mut outs)?;

    let mut st = Stages::new(a.quiet);
    let wants = Wants {
        output: Some((&out_label, bits)),
        json: report_slot.is_some(),
        csv: exports.csv.is_some(),
        plot: exports.plot.map(|_| exports.size),
    };
    let (dec, prepared) = decode_and_prepare(&input, &params, preset, seed, &wants, &mut st)?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
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
    let encode_err = |e: gar_io::EncodeError| Failure::Run(anyhow!(e));
    let mut w =
        WavWriter::new(sink, &out_label, sr, out_channels, out_len, bits).map_err(encode_err)?;
    let out_bytes = out_len as u64 * out_channels as u64 * 4;
    let in_bytes = dec.frames as u64 * chans.len() as u64 * 4;
    let wants_picture = exports.plot.is_some();
    let mut kept: Option<Vec<SampleBuf>> = None;
    // GAR_STREAM=1 forces the streaming path (tests compare both paths).
    let level = if limits::renders_in_memory(out_bytes, in_bytes, wants_picture) {
        // Render into memory (one pass), then encode.
        st.begin("rendering", None);
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
        st.begin("encoding", None);
        let slices: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
        w.write_scaled(&slices, gain).map_err(encode_err)?;
        st.end("encode");
        if wants_picture {
            kept = Some(out);
        }
        level
    } else {
        // Long output: never hold it; the renderer measures, then hands finished
        // blocks to the encoder.
        st.begin("rendering and encoding", Some(out_len as u64));
        let progress = &st.progress;
        let level = gar_core::render_prepared_streaming(&prepared, &chans, |b| {
            w.write(b)?;
            progress.set(w.frames_written() as u64);
            Ok::<(), gar_io::EncodeError>(())
        })
        .map_err(encode_err)?;
        st.end("render+encode (streamed)");
        level
    };
    match (w.finish().map_err(encode_err)?, wav_slot) {
        (Sink::File(f), Some(slot)) => outs.put(slot, f),
        (Sink::Stdout(_), None) => {}
        _ => return Err(Failure::Run(anyhow!("internal error: WAV sink mismatch"))),
    }
    let mut report = Report::new(
        &prepared,
        input_info(&input, &dec),
        Some(OutputInfo {
            path: out_label.display().to_string(),
            sample_rate: sr,
            channels: out_channels,
            frames: out_len,
            duration_s: out_len as f64 / sr as f64,
            bits: bits.to_string(),
        }),
    );
    report.level = Some(LevelReport::new(&prepared, &level));
    report.warnings.extend(level.warnings.iter().cloned());
    let run = Finished {
        prepared: &prepared,
        report: &report,
        input: &chans,
        output: kept.as_deref(),
        source: &input,
    };
    finish_run(
        outs,
        (report_slot, params_slot),
        &exports,
        &run,
        st,
        a.quiet,
        matches!(target, WavTarget::Stdout),
    )
}

pub fn analyze_command(a: &AnalyzeArgs) -> Result<(), Failure> {
    let input = Input::from_arg(&a.input);
    one_input("analyze", &a.input, &a.more.extra)?;
    let (preset, params, seed) = run_flags(&a.engine, None, &input)?;
    let plan = ExportPlan::new(&a.exports)?;
    check_stdin(&input)?;
    let mut outs = Outputs::new(input.file(), a.force);
    let report_slot = match &a.report {
        Some(p) => Some(outs.stage(p, "--report", "report")?),
        None => None,
    };
    let params_slot = stage_params(&a.engine, &mut outs)?;
    let exports = plan.stage(&mut outs)?;
    let mut st = Stages::new(a.quiet);
    let wants = Wants {
        output: None,
        json: report_slot.is_some(),
        csv: exports.csv.is_some(),
        plot: exports.plot.map(|_| exports.size),
    };
    let (dec, prepared) = decode_and_prepare(&input, &params, preset, seed, &wants, &mut st)?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let report = Report::new(&prepared, input_info(&input, &dec), None);
    let run = Finished {
        prepared: &prepared,
        report: &report,
        input: &chans,
        output: None,
        source: &input,
    };
    finish_run(
        outs,
        (report_slot, params_slot),
        &exports,
        &run,
        st,
        a.quiet,
        false,
    )
}

/// The preset-settable parameters (the table's rows with a preset column).
fn preset_specs() -> Vec<&'static gar_core::table::ParamSpec> {
    gar_core::table::PARAMS
        .iter()
        .filter(|s| s.presets.is_some())
        .collect()
}

pub fn presets_command(json: bool) {
    if json {
        let presets: Vec<serde_json::Value> = Preset::ALL
            .iter()
            .map(|p| {
                let v = p.params();
                let mut o = serde_json::Map::new();
                o.insert("id".into(), p.id().into());
                o.insert("name".into(), p.title().into());
                o.insert("file_name".into(), p.file_name().into());
                o.insert("number".into(), p.number().into());
                o.insert("character".into(), p.character().into());
                for spec in &gar_core::table::PARAMS {
                    if spec.group == gar_core::table::Group::Engine
                        && !matches!(spec.id, "seed" | "duration_s" | "diversity")
                        && let Some(j) = spec.get_json(&v)
                    {
                        o.insert(spec.id.into(), j);
                    }
                }
                serde_json::Value::Object(o)
            })
            .collect();
        let doc = serde_json::json!({
            "presets": presets,
            "parameters": gar_core::table::describe_all(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    let specs = preset_specs();
    let head = |s: &gar_core::table::ParamSpec| -> String {
        let id = s.id;
        let short = id
            .strip_suffix(&format!("_{}", s.unit.to_ascii_lowercase()))
            .unwrap_or(id);
        match short {
            "transient_weight" => "tw".into(),
            "time_jitter" => "tjit".into(),
            "pitch_jitter" => "pjit".into(),
            "cand_hop" => "cand".into(),
            x => x.into(),
        }
    };
    let widths: Vec<usize> = specs.iter().map(|s| head(s).len().max(6)).collect();
    let mut line = format!("{:<14}", "preset");
    let mut units = format!("{:<14}", "");
    for (s, w) in specs.iter().zip(&widths) {
        line += &format!(" {:>w$}", head(s));
        units += &format!(" {:>w$}", s.unit);
    }
    println!("{line}  character");
    println!("{units}");
    for p in Preset::ALL {
        let mut line = format!("{:<14}", p.id());
        for (s, w) in specs.iter().zip(&widths) {
            let mut t = s.preset_text(p).unwrap_or_default();
            if s.id == "floor_db" && !t.starts_with('-') {
                t = format!("+{t}");
            }
            line += &format!(" {t:>w$}");
        }
        println!("{line}  {}", p.character());
    }
    println!(
        "\nparameters (flag, range, default; [envelope] = may vary over time, see `gar render --help`):"
    );
    for s in &gar_core::table::PARAMS {
        let d = if s.default.is_empty() {
            "unset".to_string()
        } else {
            s.default.to_string()
        };
        println!(
            "  --{:<18} {:<26} {:<8} {}{}",
            s.flag,
            s.range_text(),
            d,
            s.doc,
            if s.varies() { " [envelope]" } else { "" }
        );
        for c in s.choices() {
            println!("  {:<21}{:<10} {}", "", c.id, c.doc);
        }
    }
}

/// `PREFIX.candidates.csv` and `PREFIX.plan.csv`.
pub fn csv_paths(prefix: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [with(".candidates.csv"), with(".plan.csv")]
}

/// The two CSV tables of a report. Numbers use Rust's shortest round-trip form,
/// the same digits as the JSON report.
pub fn csv_tables(
    a: &gar_core::report::AnalysisReport,
    p: &gar_core::report::PlanReport,
    u: &gar_core::report::UsageReport,
) -> (String, String) {
    use std::fmt::Write;
    // One column per driver (section 15), in the drivers' order, unit in brackets.
    let drivers: Vec<(gar_core::analysis::Driver, Vec<f64>)> = gar_core::analysis::Driver::ALL
        .iter()
        .filter_map(|&d| {
            let v = a.drivers.get(d.id())?.as_array()?;
            Some((
                d,
                v.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
            ))
        })
        .collect();
    let mut cands = String::from("index,start_s,rms_power,score,active,prob,usage");
    for (d, _) in &drivers {
        let _ = write!(cands, ",{}[{}]", d.id(), d.unit());
    }
    cands.push('\n');
    for i in 0..a.candidates {
        let _ = write!(
            cands,
            "{i},{},{},{},{},{},{}",
            a.start_s[i],
            a.rms_power[i],
            a.score[i],
            u8::from(a.active_mask[i]),
            a.prob[i],
            u.counts[i]
        );
        for (_, v) in &drivers {
            let _ = write!(cands, ",{}", v[i]);
        }
        cands.push('\n');
    }
    // The per-hop values of the parameters that vary, one column each.
    let cols: Vec<(&String, Vec<f64>)> = p
        .values
        .iter()
        .map(|(k, v)| {
            let vals = v
                .as_array()
                .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
                .unwrap_or_default();
            (k, vals)
        })
        .collect();
    let mut plan = String::from("hop,pos_s,grain,pitch_st");
    if !p.pan.is_empty() {
        plan += ",pan";
    }
    for (k, _) in &cols {
        plan += &format!(",{k}");
    }
    plan.push('\n');
    for h in 0..p.hops {
        let _ = write!(plan, "{h},{},{},{}", p.pos_s[h], p.grain[h], p.pitch_st[h]);
        if let Some(u) = p.pan.get(h) {
            let _ = write!(plan, ",{u}");
        }
        for (_, v) in &cols {
            let _ = write!(plan, ",{}", v.get(h).copied().unwrap_or(f64::NAN));
        }
        plan.push('\n');
    }
    (cands, plan)
}
