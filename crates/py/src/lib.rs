//! `import gar`: Granular Attention Re-synthesis for Python, numpy in and numpy out.
//!
//! The bindings add no engine of their own: the parameters go through gar-core's
//! parameter table exactly as the command line's flags do (a keyword argument is a
//! table id: `grain_ms=`, `alpha=`), the run is `gar_core::prepare` then
//! `gar_core::render_prepared_into` (into the numpy array returned), and the report
//! is the command line's `--report` JSON, parsed. The GIL is released while gar
//! works. The Python API is documented in `gar.pyi` (type stubs) and README
//! ("Python").

mod args;
mod errors;
mod samples;

use args::{Request, Scope, request, with_flag};
use errors::{Fail, OrRaise};
use gar_core::report::{InputInfo, LevelReport, OutputInfo};
use gar_core::{Prepared, Preset, Report};
use gar_io::Bits;
use numpy::{PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};

/// How an array is named in the report (`input.path`, `output.path`) and in warnings.
const ARRAY_LABEL: &str = "<array>";

/// Parses JSON text into Python objects (dicts, lists, floats, None).
fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

fn to_json_text<T: serde::Serialize>(v: &T) -> Result<String, Fail> {
    serde_json::to_string(v).map_err(|e| Fail::Other(format!("cannot write the report: {e}")))
}

/// Analyses and plans `chans` as the command line does: the input's warnings
/// first (`warnings`), then the engine's; adjustments name the flags.
fn prepare(
    chans: &[&[f32]],
    sample_rate: u32,
    req: &Request,
    mut warnings: Vec<String>,
) -> Result<Prepared, Fail> {
    let mut p = gar_core::prepare(chans, sample_rate, &req.params, req.preset, req.seed)?;
    warnings.append(&mut p.warnings);
    p.warnings = warnings;
    for a in &mut p.settings.adjustments {
        *a = with_flag(a);
    }
    Ok(p)
}

/// The report of a run, as the command line writes it.
fn report(
    p: &Prepared,
    input: InputInfo,
    output: Option<OutputInfo>,
    level: Option<&gar_core::Level>,
) -> Report {
    let mut r = Report::new(p, input, output);
    if let Some(l) = level {
        r.level = Some(LevelReport::new(p, l));
        r.warnings.extend(l.warnings.iter().cloned());
    }
    r
}

fn input_info(label: &str, sample_rate: u32, channels: usize, frames: usize) -> InputInfo {
    InputInfo {
        path: label.to_string(),
        sample_rate,
        channels,
        frames,
        duration_s: frames as f64 / sample_rate.max(1) as f64,
    }
}

fn output_info(label: &str, p: &Prepared, source_channels: usize, bits: Bits) -> OutputInfo {
    let s = &p.settings;
    OutputInfo {
        path: label.to_string(),
        sample_rate: s.sample_rate,
        channels: s.output_channels(source_channels),
        frames: s.output_len(),
        duration_s: s.output_len() as f64 / s.sample_rate as f64,
        bits: bits.to_string(),
    }
}

/// The warning for replaced samples, as the decoder's reads.
fn nonfinite_warning(label: &str, n: u64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    vec![format!(
        "{label}: {n} non-finite samples (NaN or infinity) in the input were treated as 0"
    )]
}

/// A decoded file's warnings, each naming it (as `gar render` prints them).
fn decode_warnings(input: &Path, d: &gar_io::Decoded) -> Vec<String> {
    let mut w: Vec<String> = d
        .warnings
        .iter()
        .map(|m| format!("{}: {m}", input.display()))
        .collect();
    w.extend(nonfinite_warning(
        &input.display().to_string(),
        d.nonfinite_replaced,
    ));
    w
}

/// Renders `samples` (numpy, shape `(frames,)` or `(channels, frames)`, float32 or
/// float64, full scale 1.0) at `sample_rate` Hz and returns `(out, report)`: `out`
/// float32, 1-D for a 1-D input rendered to one channel, else `(channels, frames)`;
/// `report` the dict `gar render --report` writes (`input.path` and `output.path`
/// are `"<array>"`, `output.bits` is `"32f"`).
///
/// `preset` is a name (`"cloud"`) or the original's number; `seed` None or 0 draws
/// one (the report's `seed` says which). Every other parameter is a keyword argument
/// named as in `gar.parameters()` (`grain_ms=40`, `alpha="1..40@exp"`,
/// `alpha=[(0, 1), (0.5, 30, "exp"), (1, 2)]`, `score={"rms": 0.6, "centroid": 0.4}`,
/// `dc_block=False`); `params_file` reads a TOML/JSON params file or a report first
/// (the keywords override it). Raises `gar.ParamError` (a ValueError; `.param` names
/// the parameter) for a value gar cannot use.
#[pyfunction]
#[pyo3(signature = (samples, sample_rate, preset=None, seed=None, *, params_file=None, **params))]
fn render<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    sample_rate: u32,
    preset: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    params_file: Option<PathBuf>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let req = request(preset, seed, params_file.as_deref(), params, Scope::Render).or_raise(py)?;
    let input = samples::Input::new(samples)?;
    let (c, n) = (input.channels, input.frames);
    let data = input.data();
    let (fixed, nonfinite) = py.detach(|| samples::clean(data));
    let chans = samples::rows(fixed.as_deref().unwrap_or(data), c, n);
    let prepared = py
        .detach(|| {
            prepare(
                &chans,
                sample_rate,
                &req,
                nonfinite_warning(ARRAY_LABEL, nonfinite),
            )
        })
        .or_raise(py)?;
    let s = &prepared.settings;
    let (oc, on) = (s.output_channels(c), s.output_len());
    let out: Bound<'py, PyArray2<f32>> = samples::output(py, oc, on);
    let level = {
        let mut rw = out.readwrite();
        let buf = rw.as_slice_mut()?;
        let mut rows = samples::rows_mut(buf, oc, on);
        py.detach(|| gar_core::render_prepared_into(&prepared, &chans, &mut rows))
    };
    let text = py
        .detach(|| {
            let info = input_info(ARRAY_LABEL, sample_rate, c, n);
            let o = output_info(ARRAY_LABEL, &prepared, c, Bits::F32);
            to_json_text(&report(&prepared, info, Some(o), Some(&level)))
        })
        .or_raise(py)?;
    Ok((samples::shaped(out, input.one_d)?, from_json(py, &text)?))
}

/// Whether a Python object names a file (str or os.PathLike) rather than samples.
fn is_path(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<pyo3::types::PyString>() || obj.hasattr("__fspath__").unwrap_or(false)
}

/// Analyses and plans without rendering: the dict `gar analyze --report` writes (no
/// `output`, no `level`). `samples` is an array as for `render` (then `sample_rate`
/// is required) or a sound file's path (then `sample_rate` must be None). The
/// keyword arguments are `render`'s, except the output level's (`normalize`,
/// `peak_db`, `lufs`, `dc_block`), which analyze has no use for.
#[pyfunction]
#[pyo3(signature = (samples, sample_rate=None, preset=None, seed=None, *, params_file=None, **params))]
fn analyze<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    sample_rate: Option<u32>,
    preset: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    params_file: Option<PathBuf>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let req = request(preset, seed, params_file.as_deref(), params, Scope::Analyze).or_raise(py)?;
    let text = if is_path(samples) {
        if sample_rate.is_some() {
            return Err(Fail::Type(
                "analyze(path): the sample rate is the file's; pass sample_rate only with an array"
                    .into(),
            )
            .into_py(py));
        }
        let path: PathBuf = samples.extract()?;
        py.detach(|| analyze_file(&path, &req)).or_raise(py)?
    } else {
        let Some(sr) = sample_rate else {
            return Err(Fail::Type(
                "analyze(samples, sample_rate): the sample rate is missing".into(),
            )
            .into_py(py));
        };
        let input = samples::Input::new(samples)?;
        let (c, n) = (input.channels, input.frames);
        let data = input.data();
        py.detach(|| {
            let (fixed, nonfinite) = samples::clean(data);
            let chans = samples::rows(fixed.as_deref().unwrap_or(data), c, n);
            let p = prepare(&chans, sr, &req, nonfinite_warning(ARRAY_LABEL, nonfinite))?;
            to_json_text(&report(&p, input_info(ARRAY_LABEL, sr, c, n), None, None))
        })
        .or_raise(py)?
    };
    from_json(py, &text)
}

/// `gar analyze FILE --report`: the report's JSON text.
fn analyze_file(path: &Path, req: &Request) -> Result<String, Fail> {
    let dec = gar_io::decode_file(path)?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let p = prepare(&chans, dec.sample_rate, req, decode_warnings(path, &dec))?;
    let label = path.display().to_string();
    let info = input_info(&label, dec.sample_rate, chans.len(), dec.frames);
    to_json_text(&report(&p, info, None, None))
}

/// `gar render INPUT -o OUTPUT`: decodes, renders and writes the WAV atomically
/// (staged beside the target, renamed into place; the input is never written).
/// Returns the report.
fn render_file_run(
    input: &Path,
    output: &Path,
    req: &Request,
    bits: Bits,
    overwrite: bool,
) -> Result<Report, Fail> {
    if gar_io::same_file(input, output) {
        return Err(Fail::Audio {
            message: format!(
                "{}: the output is the input; gar never writes its input",
                output.display()
            ),
            path: Some(output.to_path_buf()),
        });
    }
    // Staged first, as the command line does: an existing output is refused
    // before any work.
    let file = gar_io::AtomicFile::create(output, overwrite, |_| {})?;
    let dec = gar_io::decode_file(input)?;
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let p = prepare(&chans, dec.sample_rate, req, decode_warnings(input, &dec)).map_err(
        |f| match f {
            Fail::Param {
                message,
                param: None,
            } => Fail::Param {
                message: format!("{}: {message}", input.display()),
                param: None,
            },
            f => f,
        },
    )?;
    let o = output_info(&output.display().to_string(), &p, chans.len(), bits);
    let mut w = gar_io::WavWriter::new(file, output, o.sample_rate, o.channels, o.frames, bits)?;
    let (out, level) = gar_core::render_prepared_unscaled(&p, &chans);
    let slices: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
    w.write_scaled(&slices, level.gain)?;
    w.finish()?.commit()?;
    let info = input_info(
        &input.display().to_string(),
        dec.sample_rate,
        chans.len(),
        dec.frames,
    );
    Ok(report(&p, info, Some(o), Some(&level)))
}

/// Renders the sound file `input` into the WAV file `output` (`bits`: "16", "24"
/// or "32f"), like `gar render INPUT -o OUTPUT`, and returns the report (the dict
/// `--report` writes). The WAV is written atomically: complete or not at all. An
/// existing `output` is an error unless `overwrite`; the input is never written.
/// Parameters as for `render`. Raises `gar.AudioError` (an OSError) for a file that
/// cannot be read or written, `gar.ParamError` for a parameter.
#[pyfunction]
#[pyo3(signature = (input, output, preset=None, seed=None, *, bits="24", overwrite=false, params_file=None, **params))]
#[allow(clippy::too_many_arguments)]
fn render_file<'py>(
    py: Python<'py>,
    input: PathBuf,
    output: PathBuf,
    preset: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    bits: &str,
    overwrite: bool,
    params_file: Option<PathBuf>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let req = request(preset, seed, params_file.as_deref(), params, Scope::Render).or_raise(py)?;
    let bits: Bits = bits
        .parse()
        .map_err(|_| Fail::Param {
            message: format!("unknown bits '{bits}'; expected 16, 24 or 32f (32-bit float)"),
            param: Some("bits".into()),
        })
        .or_raise(py)?;
    let text = py
        .detach(|| to_json_text(&render_file_run(&input, &output, &req, bits, overwrite)?))
        .or_raise(py)?;
    from_json(py, &text)
}

/// Decodes a sound file (WAV, FLAC, MP3, Ogg Vorbis, AIFF) as gar does: returns
/// `(samples, sample_rate)`, `samples` float32 of shape `(channels, frames)`.
#[pyfunction]
fn load<'py>(py: Python<'py>, path: PathBuf) -> PyResult<(Bound<'py, PyArray2<f32>>, u32)> {
    let dec = py
        .detach(|| gar_io::decode_file(&path).map_err(Fail::from))
        .or_raise(py)?;
    let out = samples::output(py, dec.channels.len(), dec.frames);
    {
        let mut rw = out.readwrite();
        let buf = rw.as_slice_mut()?;
        let rows = samples::rows_mut(buf, dec.channels.len(), dec.frames);
        py.detach(|| {
            for (r, c) in rows.into_iter().zip(&dec.channels) {
                r.copy_from_slice(c.as_slice());
            }
        });
    }
    Ok((out, dec.sample_rate))
}

/// Every preset with its values: the `presets` list of `gar presets --json` (id,
/// name, file_name, number, character, and each parameter a preset sets).
#[pyfunction]
fn presets(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    use gar_core::table::{Group, PARAMS};
    let list: Vec<serde_json::Value> = Preset::ALL
        .iter()
        .map(|p| {
            let v = p.params();
            let mut o = serde_json::Map::new();
            o.insert("id".into(), p.id().into());
            o.insert("name".into(), p.title().into());
            o.insert("file_name".into(), p.file_name().into());
            o.insert("number".into(), p.number().into());
            o.insert("character".into(), p.character().into());
            for spec in &PARAMS {
                if spec.group == Group::Engine
                    && !matches!(spec.id, "seed" | "duration_s" | "diversity")
                    && let Some(j) = spec.get_json(&v)
                {
                    o.insert(spec.id.into(), j);
                }
            }
            serde_json::Value::Object(o)
        })
        .collect();
    from_json(py, &to_json_text(&list).or_raise(py)?)
}

/// The parameter table: the `parameters` list of `gar presets --json` (id, flag,
/// kind, unit, range, min, max, default, whether it may vary over time, doc,
/// choices, the presets' values). Its ids are the keyword arguments of `render`.
#[pyfunction]
fn parameters(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let text = to_json_text(&gar_core::table::describe_all()).or_raise(py)?;
    from_json(py, &text)
}

/// The seed of the file at `rel_path` (relative to the input root, `/` between
/// folders, e.g. `"drums/kick.wav"`) in a many-file run with base seed `seed`, as
/// `gar batch --seed` derives it: `splitmix64(seed ^ fnv1a64(rel_path))` (1 if
/// that is 0). It depends only on the two, not on the order of the files or
/// the workers.
#[pyfunction]
fn file_seed(seed: u64, rel_path: &str) -> u64 {
    gar_core::seeds::file_seed(seed, rel_path)
}

/// gar: Granular Attention Re-synthesis. A sound re-synthesises itself from its
/// own most salient moments. `render`, `analyze`, `render_file`, `load`, `presets`,
/// `parameters`, `file_seed`; errors are `ParamError` and `AudioError` (both
/// `GarError`).
#[pymodule]
fn gar(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    py.run(errors::CLASSES, Some(&m.dict()), None)?;
    m.add("__version__", gar_core::VERSION)?;
    m.add_function(wrap_pyfunction!(render, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(render_file, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add_function(wrap_pyfunction!(parameters, m)?)?;
    m.add_function(wrap_pyfunction!(file_seed, m)?)?;
    Ok(())
}
