//! `gar render`, `gar analyze` and `gar presets`: from flags to written files.
//!
//! The flags become a [`gar_run::Job`]; gar-run runs it (stages every output, decodes
//! under the memory budget, prepares, renders, encodes, renames everything into place
//! at the end) and this module prints the summary.

use crate::Failure;
use crate::args::{AnalyzeArgs, EngineArgs, ExportArgs, LevelArgs, RenderArgs};
use crate::flags::{params_from_flags, run_failure};
use crate::progress::Progress;
use gar_core::Preset;
use gar_io::Bits;
use gar_run::{Input, Job, STDOUT_LABEL, WavTarget};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
        "`gar {cmd}` takes one input file, got {}: {}; expected one; `gar batch {} --out-dir DIR` \
         renders several files in one run",
        all.len(),
        all.join(", "),
        all.join(" ")
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

/// The job a command's flags describe (everything but the WAV).
fn job_from_flags(
    input: &Input,
    e: &EngineArgs,
    level: Option<&LevelArgs>,
    exports: &ExportArgs,
    report: Option<&Path>,
    force: bool,
) -> Result<Job, Failure> {
    let (preset, params) = params_from_flags(e, level)?;
    let plot_size = match &exports.plot_size {
        Some(s) => gar_plot::parse_size(s).map_err(|e| Failure::Usage(e.to_string()))?,
        None => gar_plot::DEFAULT_SIZE,
    };
    Ok(Job {
        input: input.clone(),
        preset,
        params,
        wav: None,
        bits: Bits::I24,
        report: report.map(Path::to_path_buf),
        save_params: e.save_params.clone(),
        plot: exports.plot.clone(),
        plot_size,
        csv: exports.csv.clone(),
        force,
        extra: Vec::new(),
    })
}

/// Runs a job with the terminal's progress, then prints the summary (to standard error
/// when the WAV went to standard output) with every file written, and the warnings;
/// `GAR_PROFILE=1` prints each stage's time.
fn run_job(job: &Job, quiet: bool) -> Result<(), Failure> {
    let mut progress = Progress::new(!quiet);
    let budget = gar_run::MemoryBudget::process().map_err(run_failure)?;
    let ctx = gar_run::Ctx {
        progress: &progress,
        cancel: gar_run::Cancel::default(),
        budget,
    };
    let outcome = gar_run::run(job, &ctx).map_err(run_failure)?;
    progress.done();
    if std::env::var_os("GAR_PROFILE").is_some() {
        for (name, ms) in &outcome.timings {
            eprintln!("gar: {name:<8} {ms:>8.1} ms");
        }
    }
    if !quiet {
        let to_stdout = job.wav == Some(WavTarget::Stdout);
        let mut text = outcome.report.summary();
        if to_stdout {
            text += &format!("wrote   {STDOUT_LABEL}\n");
        }
        for p in &outcome.written {
            text += &format!("wrote   {}\n", p.display());
        }
        if to_stdout {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
        for w in &outcome.report.warnings {
            eprintln!("gar: warning: {w}");
        }
    }
    Ok(())
}

pub fn render_command(a: &RenderArgs) -> Result<(), Failure> {
    let input = Input::from_arg(&a.input);
    one_input("render", &a.input, &a.more.extra)?;
    let mut job = job_from_flags(
        &input,
        &a.engine,
        Some(&a.level),
        &a.exports,
        a.report.as_deref(),
        a.force,
    )?;
    job.bits = a.bits.parse().map_err(|_| {
        Failure::Usage(format!(
            "unknown --bits '{}'; expected 16, 24 or 32f (32-bit float)",
            a.bits
        ))
    })?;
    job.wav = Some(wav_target(a.output.as_deref(), &input, job.preset)?);
    if a.play {
        crate::play::check_available()?;
        if job.wav == Some(WavTarget::Stdout) {
            return Err(Failure::Usage(
                "--play with -o -: gar plays the file it wrote; give -o FILE (or pipe \
                 standard output into a player instead)"
                    .into(),
            ));
        }
    }
    check_stdin(&input)?;
    run_job(&job, a.quiet)?;
    if a.play
        && let Some(WavTarget::File(p)) = &job.wav
    {
        if !a.quiet {
            eprintln!("gar: playing {} (Ctrl-C stops)", p.display());
        }
        crate::play::play_file(p)?;
    }
    Ok(())
}

pub fn analyze_command(a: &AnalyzeArgs) -> Result<(), Failure> {
    let input = Input::from_arg(&a.input);
    one_input("analyze", &a.input, &a.more.extra)?;
    let job = job_from_flags(
        &input,
        &a.engine,
        None,
        &a.exports,
        a.report.as_deref(),
        a.force,
    )?;
    check_stdin(&input)?;
    run_job(&job, a.quiet)
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
        let doc = serde_json::json!({
            "presets": gar_core::table::describe_presets(),
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
        // The choices' names in one column as wide as the longest (periodicity).
        let choices = s.choices();
        let w = choices
            .iter()
            .map(|c| c.id.len())
            .max()
            .unwrap_or(0)
            .max(10);
        for c in choices {
            println!("  {:<21}{:<w$} {}", "", c.id, c.doc);
        }
    }
}
