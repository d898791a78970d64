//! `gar render` and `gar presets`: from flags to a written WAV and report.

use crate::Failure;
use crate::args::{AnalyzeArgs, EngineArgs, ExportArgs, RenderArgs};
use crate::safety;
use anyhow::{Context, anyhow};
use gar_core::report::{InputInfo, OutputInfo};
use gar_core::{
    AttentionNorm, ChannelMode, ParamError, Params, Preset, Report, SampleBuf, ScoreType,
};
use gar_io::{Bits, Decoded};
use std::path::{Path, PathBuf};

/// The preset and the parameters the flags ask for (preset values, then flags on top).
pub fn params_from_flags(e: &EngineArgs) -> Result<(Preset, Params), Failure> {
    let preset = match &e.preset {
        None => Preset::Custom,
        Some(id) => Preset::parse(id).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown preset '{id}'; expected one of: {}",
                Preset::ALL.map(|p| p.id()).join(", ")
            ))
        })?,
    };
    let mut p = preset.params();
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = e.$field {
                p.$field = v;
            }
        };
    }
    set!(grain_ms);
    set!(hop_ms);
    set!(cand_hop_ms);
    set!(alpha);
    set!(floor_db);
    set!(transient_weight);
    set!(time_jitter_ms);
    set!(pitch_jitter_st);
    set!(recency);
    set!(wet);
    if let Some(d) = e.duration {
        p.duration_s = Some(d);
    }
    if let Some(s) = &e.score {
        p.score = ScoreType::parse(s).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown --score '{s}'; expected rms, onset (or transient), edge or mixed"
            ))
        })?;
    }
    if let Some(s) = &e.attention_norm {
        p.attention_norm = AttentionNorm::parse(s).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown --attention-norm '{s}'; expected range or mean"
            ))
        })?;
    }
    if let Some(s) = &e.channels {
        p.channels = ChannelMode::parse(s).ok_or_else(|| {
            Failure::Usage(format!("unknown --channels '{s}'; expected linked or mono"))
        })?;
    }
    Ok((preset, p))
}

/// The seed to use: the given one, or (0 / none) a fresh one from the OS.
pub fn resolve_seed(seed: Option<u64>) -> Result<u64, Failure> {
    match seed {
        Some(s) if s != 0 => Ok(s),
        _ => loop {
            let s = getrandom::u64().map_err(|e| anyhow!("could not draw a random seed: {e}"))?;
            if s != 0 {
                return Ok(s);
            }
        },
    }
}

/// Parameter errors are usage errors, except those about the source itself.
pub fn param_failure(e: ParamError, input: &Path) -> Failure {
    match e {
        ParamError::SourceTooShort { .. } | ParamError::ZeroSampleRate => {
            Failure::Run(anyhow!("{}: {e}", input.display()))
        }
        _ => Failure::Usage(e.to_string()),
    }
}

/// Default output name: `<input stem>_GAR_<PresetName>.wav` in the current folder.
pub fn default_output(input: &Path, preset: Preset) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    PathBuf::from(format!("{stem}_GAR_{}.wav", preset.file_name()))
}

/// Refuses to write `target` over the input (any spelling) or, without `force`,
/// over an existing file.
pub fn check_target(
    target: &Path,
    input: Option<&Path>,
    force: bool,
    what: &str,
) -> Result<(), Failure> {
    if let Some(input) = input
        && gar_io::same_file(target, input)
    {
        return Err(Failure::Run(anyhow!(
            "the {what} {} is the input file; gar never writes its input (choose another path)",
            target.display()
        )));
    }
    if target.is_dir() {
        return Err(Failure::Run(anyhow!(
            "the {what} {} is a directory; expected a file path",
            target.display()
        )));
    }
    // A device (/dev/null), FIFO or socket: the final rename would replace it by a file.
    if target.exists() && !target.is_file() {
        return Err(Failure::Run(anyhow!(
            "the {what} {} exists and is not a regular file (a device, FIFO or socket); gar \
             writes files by renaming a finished temporary file into place, which would \
             replace it: choose a file path",
            target.display()
        )));
    }
    if !force && target.exists() {
        return Err(Failure::Run(anyhow!(
            "the {what} {} already exists; pass --force to replace it",
            target.display()
        )));
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".gar-tmp-");
    #[cfg(unix)]
    {
        // rw-r--r--: tempfile's default 0600 would hide reports from other users.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    safety::register_temp(tmp.path());
    let tmp_path = tmp.path().to_path_buf();
    let res = (|| -> anyhow::Result<()> {
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        safety::commit(Some(&tmp_path), || {
            if force {
                tmp.persist(path).map(drop).map_err(|e| e.error)
            } else {
                tmp.persist_noclobber(path).map(drop).map_err(|e| e.error)
            }
        })?;
        Ok(())
    })();
    safety::forget_temp(&tmp_path);
    res.with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a WAV atomically, registering its temp file for Ctrl-C cleanup.
pub fn write_wav(
    path: &Path,
    sr: u32,
    chs: &[SampleBuf],
    gain: f32,
    bits: Bits,
    force: bool,
) -> anyhow::Result<()> {
    let slices: Vec<&[f32]> = chs.iter().map(|c| c.as_slice()).collect();
    let frames = slices.first().map_or(0, |c| c.len());
    let mut tmp_seen: Option<PathBuf> = None;
    let res = gar_io::WavFileWriter::create(path, sr, slices.len(), frames, bits, force, |t| {
        safety::register_temp(t);
        tmp_seen = Some(t.to_path_buf());
    })
    .and_then(|mut w| {
        w.write_scaled(&slices, gain)?;
        safety::commit(tmp_seen.as_deref(), || w.finish())
    });
    if let Some(t) = tmp_seen {
        safety::forget_temp(&t);
    }
    res.map_err(|e| anyhow!(e))
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

pub fn input_info(path: &Path, d: &Decoded) -> InputInfo {
    InputInfo {
        path: path.display().to_string(),
        sample_rate: d.sample_rate,
        channels: d.channels.len(),
        frames: d.frames,
        duration_s: d.frames as f64 / d.sample_rate.max(1) as f64,
    }
}

/// Preset, parameters and seed from the flags; parameter mistakes are caught
/// here, before a possibly long file is read.
fn run_flags(e: &EngineArgs, input: &Path) -> Result<(Preset, Params, u64), Failure> {
    let (preset, params) = params_from_flags(e)?;
    params
        .resolve(preset, 44100, 44100 * 60)
        .map_err(|err| param_failure(err, input))?;
    Ok((preset, params, resolve_seed(e.seed)?))
}

/// Analysis and plan of a decoded input, with the decoder's warnings first.
fn prepare_run(
    input: &Path,
    dec: &Decoded,
    chans: &[&[f32]],
    params: &Params,
    preset: Preset,
    seed: u64,
) -> Result<gar_core::Prepared, Failure> {
    let mut prepared = gar_core::prepare(chans, dec.sample_rate, params, preset, seed)
        .map_err(|e| param_failure(e, input))?;
    let mut warnings = decode_warnings(input, dec);
    warnings.append(&mut prepared.warnings);
    prepared.warnings = warnings;
    Ok(prepared)
}

/// Writes the JSON report if asked for, and prints the summary unless quiet.
fn report_out(
    report: &Report,
    json: Option<&Path>,
    force: bool,
    quiet: bool,
) -> Result<(), Failure> {
    if let Some(j) = json {
        let bytes = serde_json::to_vec_pretty(report).map_err(|e| anyhow!(e))?;
        write_atomic(j, &bytes, force)?;
    }
    if !quiet {
        print!("{}", report.summary());
        for w in &report.warnings {
            eprintln!("gar: warning: {w}");
        }
    }
    Ok(())
}

pub fn render_command(a: &RenderArgs) -> Result<(), Failure> {
    let (preset, params, seed) = run_flags(&a.engine, &a.input)?;
    let bits: Bits = a.bits.parse().map_err(|_| {
        Failure::Usage(format!(
            "unknown --bits '{}'; expected 16, 24 or 32f",
            a.bits
        ))
    })?;
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| default_output(&a.input, preset));
    check_target(&output, Some(&a.input), a.force, "output")?;
    if let Some(r) = &a.report {
        check_target(r, Some(&a.input), a.force, "report")?;
        if gar_io::same_file(r, &output) || r == &output {
            return Err(Failure::Usage(
                "--report and --output name the same file".into(),
            ));
        }
    }
    let plot_size = check_exports(&a.exports, &a.input, a.force)?;

    let t0 = std::time::Instant::now();
    let profile = std::env::var_os("GAR_PROFILE").is_some();
    let stage = |name: &str, t: &mut std::time::Instant| {
        if profile {
            eprintln!(
                "gar: {name:<8} {:>8.1} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        *t = std::time::Instant::now();
    };
    let mut t = t0;
    let wants = safety::Wants {
        output: Some((&output, bits)),
        json: a.report.is_some(),
        csv: a.exports.csv.is_some(),
        plot: a.exports.plot.as_ref().map(|_| plot_size),
    };
    let dec = safety::load(&a.input, &params, preset, &wants)?;
    stage("decode", &mut t);
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let prepared = prepare_run(&a.input, &dec, &chans, &params, preset, seed)?;
    stage("prepare", &mut t);
    let sr = prepared.settings.sample_rate;
    let out_len = prepared.settings.output_len();
    let out_channels = match prepared.settings.channels {
        gar_core::ChannelMode::Mono => 1,
        gar_core::ChannelMode::Linked => chans.len(),
    };
    let out_bytes = out_len as u64 * out_channels as u64 * 4;
    let in_bytes = dec.frames as u64 * chans.len() as u64 * 4;
    let wants_picture = a.exports.plot.is_some();
    let mut kept: Option<Vec<SampleBuf>> = None;
    let mut level: Option<gar_core::Level> = None;
    // GAR_STREAM=1 forces the streaming path (tests compare both paths).
    if safety::renders_in_memory(out_bytes, in_bytes, wants_picture) {
        // Render into memory (one pass), then encode.
        let (mut out, lv) = gar_core::render_prepared_unscaled(&prepared, &chans);
        let gain = lv.gain;
        level = Some(lv);
        stage("render", &mut t);
        // The peak gain is applied while encoding, unless the picture needs
        // the finished samples too.
        let gain = if wants_picture {
            gar_core::finish::scale(&mut out, gain);
            1.0
        } else {
            gain
        };
        write_wav(&output, sr, &out, gain, bits, a.force)?;
        stage("encode", &mut t);
        if wants_picture {
            kept = Some(out);
        }
    } else {
        // Long output: never hold it; render twice (peak, then samples) and
        // encode block by block.
        let mut tmp_seen: Option<PathBuf> = None;
        let mut w =
            gar_io::WavFileWriter::create(&output, sr, out_channels, out_len, bits, a.force, |p| {
                safety::register_temp(p);
                tmp_seen = Some(p.to_path_buf());
            })
            .map_err(|e| anyhow!(e))?;
        let res = match gar_core::render_prepared_streaming(&prepared, &chans, |b| w.write(b)) {
            Ok(lv) => {
                level = Some(lv);
                safety::commit(tmp_seen.as_deref(), || w.finish())
            }
            Err(e) => {
                drop(w); // removes the temporary file before it is forgotten
                Err(e)
            }
        };
        if let Some(p) = tmp_seen {
            safety::forget_temp(&p);
        }
        res.map_err(|e| anyhow!(e))?;
        stage("render+encode (streamed)", &mut t);
    }
    let input = input_info(&a.input, &dec);
    let frames = out_len;
    let mut report = Report::new(
        &prepared,
        input,
        Some(OutputInfo {
            path: output.display().to_string(),
            sample_rate: prepared.settings.sample_rate,
            channels: out_channels,
            frames,
            duration_s: frames as f64 / sr as f64,
            bits: bits.to_string(),
        }),
    );
    if let Some(lv) = &level {
        report.level = Some(gar_core::report::LevelReport::new(&prepared, lv));
        report.warnings.extend(lv.warnings.iter().cloned());
    }
    write_exports(
        &a.exports,
        plot_size,
        &prepared,
        &report,
        &chans,
        kept.as_deref(),
        &a.input,
        a.force,
    )?;
    report_out(&report, a.report.as_deref(), a.force, a.quiet)
}

pub fn presets_command(json: bool) {
    if json {
        let all: Vec<serde_json::Value> = Preset::ALL
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p.params()).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("id".into(), p.id().into());
                    o.insert("name".into(), p.title().into());
                    o.insert("file_name".into(), p.file_name().into());
                    o.remove("duration_s");
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return;
    }
    println!(
        "{:<14} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>4} {:>6} {:>6} {:>7} {:>4}  character",
        "preset",
        "grain",
        "hop",
        "cand",
        "alpha",
        "floor",
        "score",
        "tw",
        "tjit",
        "pjit",
        "recency",
        "wet"
    );
    println!(
        "{:<14} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>4} {:>6} {:>6} {:>7} {:>4}",
        "", "ms", "ms", "ms", "", "dB", "", "", "ms", "st", "", "%"
    );
    for p in Preset::ALL {
        let v = p.params();
        println!(
            "{:<14} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>4} {:>6} {:>6} {:>7} {:>4}  {}",
            p.id(),
            v.grain_ms,
            v.hop_ms,
            v.cand_hop_ms,
            v.alpha,
            format!("{:+}", v.floor_db),
            v.score.id(),
            v.transient_weight,
            v.time_jitter_ms,
            v.pitch_jitter_st,
            v.recency,
            v.wet,
            p.character()
        );
    }
}

/// Checks the export targets before any work; returns the picture size.
pub fn check_exports(e: &ExportArgs, input: &Path, force: bool) -> Result<(u32, u32), Failure> {
    let size = match &e.plot_size {
        Some(s) => gar_plot::parse_size(s).map_err(|e| Failure::Usage(e.to_string()))?,
        None => gar_plot::DEFAULT_SIZE,
    };
    if let Some(p) = &e.plot {
        if gar_plot::PlotFormat::from_path(p).is_none() {
            return Err(Failure::Usage(format!(
                "--plot {}: expected a file name ending in .png or .svg",
                p.display()
            )));
        }
        check_target(p, Some(input), force, "picture")?;
    }
    if let Some(prefix) = &e.csv {
        for p in csv_paths(prefix) {
            check_target(&p, Some(input), force, "CSV file")?;
        }
    }
    Ok(size)
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
pub fn csv_tables(r: &Report) -> (String, String) {
    use std::fmt::Write;
    let a = &r.analysis;
    let mut cands = String::from("index,start_s,rms_power,score,active,prob,usage\n");
    for i in 0..a.candidates {
        let _ = writeln!(
            cands,
            "{i},{},{},{},{},{},{}",
            a.start_s[i],
            a.rms_power[i],
            a.score[i],
            u8::from(a.active_mask[i]),
            a.prob[i],
            r.usage.counts[i]
        );
    }
    let p = &r.plan;
    let mut plan = String::from("hop,pos_s,grain,pitch_st\n");
    for h in 0..p.hops {
        let _ = writeln!(plan, "{h},{},{},{}", p.pos_s[h], p.grain[h], p.pitch_st[h]);
    }
    (cands, plan)
}

/// Writes the picture and the CSV tables a command asked for.
#[allow(clippy::too_many_arguments)]
pub fn write_exports(
    e: &ExportArgs,
    size: (u32, u32),
    prepared: &gar_core::Prepared,
    report: &Report,
    input: &[&[f32]],
    output: Option<&[SampleBuf]>,
    input_path: &Path,
    force: bool,
) -> Result<(), Failure> {
    if let Some(prefix) = &e.csv {
        let (c, p) = csv_tables(report);
        let [cp, pp] = csv_paths(prefix);
        write_atomic(&cp, c.as_bytes(), force)?;
        write_atomic(&pp, p.as_bytes(), force)?;
    }
    if let Some(path) = &e.plot {
        let fmt = gar_plot::PlotFormat::from_path(path)
            .ok_or_else(|| Failure::Usage("--plot needs a .png or .svg name".into()))?;
        let name = input_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| input_path.display().to_string());
        let inp = gar_plot::PlotInput {
            prepared,
            report,
            input,
            output,
            source_name: &name,
        };
        let bytes = gar_plot::render(&inp, fmt, size.0, size.1)
            .map_err(|e| anyhow!("cannot draw the picture {}: {e}", path.display()))?;
        write_atomic(path, &bytes, force)?;
    }
    Ok(())
}

pub fn analyze_command(a: &AnalyzeArgs) -> Result<(), Failure> {
    let (preset, params, seed) = run_flags(&a.engine, &a.input)?;
    if let Some(j) = &a.json {
        check_target(j, Some(&a.input), a.force, "JSON report")?;
    }
    let plot_size = check_exports(&a.exports, &a.input, a.force)?;
    let wants = safety::Wants {
        output: None,
        json: a.json.is_some(),
        csv: a.exports.csv.is_some(),
        plot: a.exports.plot.as_ref().map(|_| plot_size),
    };
    let dec = safety::load(&a.input, &params, preset, &wants)?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let prepared = prepare_run(&a.input, &dec, &chans, &params, preset, seed)?;
    let report = Report::new(&prepared, input_info(&a.input, &dec), None);
    write_exports(
        &a.exports, plot_size, &prepared, &report, &chans, None, &a.input, a.force,
    )?;
    report_out(&report, a.json.as_deref(), a.force, a.quiet)
}
