//! `import gar`: Granular Attention Re-synthesis for Python, numpy in and numpy out.
//!
//! The bindings add no pipeline of their own. Parameters go through gar-core's
//! parameter table exactly as the command line's flags do (a keyword argument is a
//! table id: `grain_ms=`, `alpha=`; `args`). Files run as a `gar_run::Job`, the
//! command line's own pipeline (memory budget, staged atomic outputs); arrays run
//! through `gar_run::analyze_samples`, or for a render through `render_samples`'s
//! steps with the samples rendered straight into the numpy array returned
//! (`in_memory`). Reports are the command line's `--report` JSON as Python objects.
//! The GIL is released while gar works. The Python API is documented in `gar.pyi`
//! (type stubs) and README ("Python").

mod args;
mod errors;
mod in_memory;
mod samples;

use args::{Request, Scope, request};
use errors::{Fail, OrRaise};
use gar_io::Bits;
use gar_run::{Ctx, Job, RunError, WavTarget};
use numpy::{PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// How an array is named in the report (`input.path`, `output.path`) and in warnings.
const ARRAY_LABEL: &str = "<array>";

/// A report (or any JSON document) as Python objects: what `json.loads` gives for
/// its JSON text (dicts in the document's key order, lists, ints, floats, None).
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// `v` as a JSON document: the numbers the command line's `--report` file holds.
fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, Fail> {
    let mut v = serde_json::to_value(v)
        .map_err(|e| Fail::Other(format!("cannot write the report: {e}")))?;
    as_in_text(&mut v);
    Ok(v)
}

/// The report's `f32` fields (each plan's `pitch_st` and `pan`) as their JSON text
/// reads back: the text writes an `f32` in its own shortest digits, which
/// `serde_json::to_value` widens to the `f64` of the same value (other digits).
/// Cheaper than writing and parsing the whole text.
fn as_in_text(report: &mut Value) {
    let mut plans: Vec<&mut Value> = Vec::new();
    if let Value::Object(o) = report {
        for (k, v) in o.iter_mut() {
            match (k.as_str(), v) {
                ("plan", v) => plans.push(v),
                ("channels", Value::Array(chs)) => {
                    plans.extend(chs.iter_mut().filter_map(|c| c.get_mut("plan")))
                }
                _ => {}
            }
        }
    }
    for plan in plans {
        for key in ["pitch_st", "pan"] {
            if let Some(Value::Array(xs)) = plan.get_mut(key) {
                for x in xs.iter_mut() {
                    if let Some(f) = x.as_f64() {
                        let text = (f as f32).to_string();
                        *x = Value::from(text.parse::<f64>().unwrap_or(f));
                    }
                }
            }
        }
    }
}

/// What a failed run raises: parameters and requests as `ParamError`; the input,
/// the files or the machine as `AudioError` for a file run (naming the file the
/// message is about, of `files`: the output, then the input), `GarError` otherwise.
pub(crate) fn run_fail(e: RunError, files: &[&Path]) -> Fail {
    match e {
        RunError::Param(p) => Fail::from(p),
        RunError::Usage(message) => Fail::Param {
            message,
            param: None,
        },
        RunError::Failed(err) => {
            // The command line's words for the keyword.
            let message = format!("{err:#}").replace("pass --force", "pass overwrite=True");
            let Some(&last) = files.last() else {
                return Fail::Gar(message);
            };
            let path = match err.downcast_ref::<gar_io::DecodeError>() {
                Some(d) => d.path().to_path_buf(),
                None => files
                    .iter()
                    .find(|f| message.contains(&f.display().to_string()))
                    .unwrap_or(&last)
                    .to_path_buf(),
            };
            Fail::Audio {
                message,
                path: Some(path),
            }
        }
        RunError::Cancelled => Fail::Gar(e.to_string()),
    }
}

/// The context of a run: no progress, never cancelled, the process's memory budget
/// (`GAR_MAX_MEMORY`, shared by every run of the process).
fn ctx() -> Result<Ctx<'static>, Fail> {
    Ctx::standard().map_err(|e| run_fail(e, &[]))
}

/// The warning for replaced samples, as the decoder's reads.
fn nonfinite_warning(n: u64) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "{ARRAY_LABEL}: {n} non-finite samples (NaN or infinity) in the input were treated as 0"
        )
    })
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
    let mut prof = Profile::new();
    let req = request(preset, seed, params_file.as_deref(), params, Scope::Render).or_raise(py)?;
    let input = samples::Input::new(samples)?;
    let (c, n) = (input.channels, input.frames);
    let data = input.data();
    let (fixed, nonfinite) = py.detach(|| samples::clean(data));
    let chans = samples::rows(fixed.as_deref().unwrap_or(data), c, n);
    let warnings = nonfinite_warning(nonfinite).into_iter().collect();
    prof.end("check");
    let planned = py
        .detach(|| {
            let ctx = ctx()?;
            in_memory::plan(&chans, sample_rate, &req, ARRAY_LABEL, warnings, &ctx)
                .map_err(in_memory::fail)
        })
        .or_raise(py)?;
    prof.end("prepare");
    let (oc, on) = planned.output_shape(c);
    let out: Bound<'py, PyArray2<f32>> = samples::output(py, oc, on);
    let report = {
        let mut rw = out.readwrite();
        let mut rows = samples::rows_mut(rw.as_slice_mut()?, oc, on);
        py.detach(|| {
            let r = in_memory::render_into(&planned, &chans, &mut rows, ARRAY_LABEL)
                .map_err(in_memory::fail)?;
            prof.end("render");
            to_value(&r)
        })
        .or_raise(py)?
    };
    let report = to_py(py, &report)?;
    prof.end("report");
    Ok((samples::shaped(out, input.one_d)?, report))
}

/// With `GAR_PROFILE` set, each stage's time on standard error, as the command line
/// prints its own (`gar: render     12.3 ms`).
struct Profile {
    on: bool,
    t: std::time::Instant,
}

impl Profile {
    fn new() -> Profile {
        Profile {
            on: std::env::var_os("GAR_PROFILE").is_some(),
            t: std::time::Instant::now(),
        }
    }

    fn end(&mut self, name: &str) {
        if self.on {
            eprintln!(
                "gar: {name:<8} {:>8.1} ms",
                self.t.elapsed().as_secs_f64() * 1000.0
            );
        }
        self.t = std::time::Instant::now();
    }
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
        py.detach(|| run_file(&path, None, &Extra::default(), &req))
            .or_raise(py)?
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
            let (_, mut report) =
                gar_run::analyze_samples(&chans, sr, req.preset, &req.params, ARRAY_LABEL, &ctx()?)
                    .map_err(|e| run_fail(e, &[]))?;
            report.warnings.splice(0..0, nonfinite_warning(nonfinite));
            to_value(&report)
        })
        .or_raise(py)?
    };
    to_py(py, &text)
}

/// A job of the command line's pipeline on a file: `gar analyze INPUT` when
/// `output` is None, `gar render INPUT -o OUTPUT` otherwise. Returns the report.
fn run_file(
    input: &Path,
    output: Option<(&Path, Bits, bool)>,
    extra: &Extra,
    req: &Request,
) -> Result<Value, Fail> {
    let mut job = Job::render(input, input, req.preset);
    job.params = req.params.clone();
    job.wav = None;
    if let Some((path, bits, overwrite)) = output {
        job.wav = Some(WavTarget::File(path.to_path_buf()));
        job.bits = bits;
        job.force = overwrite;
    }
    job.report = extra.report.clone();
    job.save_params = extra.save_params.clone();
    job.plot = extra.plot.clone();
    job.csv = extra.csv.clone();
    let files: Vec<&Path> = output
        .iter()
        .map(|o| o.0)
        .chain(extra.paths())
        .chain([input])
        .collect();
    let outcome = gar_run::run(&job, &ctx()?).map_err(|e| run_fail(e, &files))?;
    to_value(&outcome.report)
}

/// The files a file run writes besides the WAV, as `gar render`'s flags name them.
#[derive(Default)]
struct Extra {
    /// `--report FILE.json`.
    report: Option<PathBuf>,
    /// `--save-params FILE.toml`.
    save_params: Option<PathBuf>,
    /// `--plot FILE.png|svg`.
    plot: Option<PathBuf>,
    /// `--csv PREFIX`.
    csv: Option<PathBuf>,
}

impl Extra {
    fn paths(&self) -> impl Iterator<Item = &Path> {
        [&self.report, &self.save_params, &self.plot, &self.csv]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path)
    }
}

/// Renders the sound file `input` into the WAV file `output` (`bits`: "16", "24"
/// or "32f"), like `gar render INPUT -o OUTPUT`, and returns the report (the dict
/// `--report` writes). The WAV is written atomically: complete or not at all. An
/// existing `output` is an error unless `overwrite`; the input is never written.
/// Parameters as for `render`. With `root` (the folder the inputs are under) and a
/// `seed`, the file's seed is `file_seed(seed, input relative to root)`, as `gar
/// batch --seed` derives it, so `client.map(gar.render_file, inputs, outputs,
/// seed=S, root=R)` gives every file its own reproducible seed. Raises
/// `gar.AudioError` (an OSError) for a file that cannot be read or written,
/// `gar.ParamError` for a parameter. `report` (JSON), `save_params` (TOML), `plot`
/// (PNG or SVG) and `csv` (a prefix) write what `gar render`'s flags of those names
/// write, in the same all-or-nothing commit as the WAV.
#[pyfunction]
#[pyo3(signature = (input, output, preset=None, seed=None, *, root=None, bits="24", overwrite=false, report=None, save_params=None, plot=None, csv=None, params_file=None, **params))]
#[allow(clippy::too_many_arguments)]
fn render_file<'py>(
    py: Python<'py>,
    input: PathBuf,
    output: PathBuf,
    preset: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    root: Option<PathBuf>,
    bits: &str,
    overwrite: bool,
    report: Option<PathBuf>,
    save_params: Option<PathBuf>,
    plot: Option<PathBuf>,
    csv: Option<PathBuf>,
    params_file: Option<PathBuf>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let seed = match (seed, &root) {
        (Some(s), Some(r)) if s != 0 => Some(gar_core::seeds::file_seed(
            s,
            &rel_path(&input, r).or_raise(py)?,
        )),
        _ => seed,
    };
    let req = request(preset, seed, params_file.as_deref(), params, Scope::Render).or_raise(py)?;
    let bits: Bits = bits
        .parse()
        .map_err(|_| Fail::Param {
            message: format!("unknown bits '{bits}'; expected 16, 24 or 32f (32-bit float)"),
            param: Some("bits".into()),
        })
        .or_raise(py)?;
    let text = py
        .detach(|| {
            let extra = Extra {
                report,
                save_params,
                plot,
                csv,
            };
            run_file(&input, Some((&output, bits, overwrite)), &extra, &req)
        })
        .or_raise(py)?;
    to_py(py, &text)
}

/// `input`'s path relative to `root`, `/` between its folders (the text
/// [`gar_core::seeds::file_seed`] hashes): read as written, or else with both
/// made absolute and free of `..` and links.
fn rel_path(input: &Path, root: &Path) -> Result<String, Fail> {
    let lexical = input.strip_prefix(root).ok().map(Path::to_path_buf);
    let rel = lexical.or_else(|| {
        let (i, r) = (input.canonicalize().ok()?, root.canonicalize().ok()?);
        i.strip_prefix(r).ok().map(Path::to_path_buf)
    });
    let rel = rel.ok_or_else(|| Fail::Param {
        message: format!(
            "root {}: the input {} is not inside it",
            root.display(),
            input.display()
        ),
        param: Some("root".into()),
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
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
    let list = gar_core::table::describe_presets();
    to_py(py, &to_value(&list).or_raise(py)?)
}

/// The parameter table: the `parameters` list of `gar presets --json` (id, flag,
/// kind, unit, range, min, max, default, whether it may vary over time, doc,
/// choices, the presets' values). Its ids are the keyword arguments of `render`.
#[pyfunction]
fn parameters(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let text = to_value(&gar_core::table::describe_all()).or_raise(py)?;
    to_py(py, &text)
}

/// The seed of the file at `rel_path` (relative to the input root, e.g.
/// `"drums/kick.wav"`; `\\` is read as `/` and a leading `./` dropped) in a
/// many-file run with base seed `seed`, as `gar batch --seed` derives it:
/// `splitmix64(seed ^ splitmix64(fnv1a64(rel_path)))` (1 if that is 0; see
/// gar-core's `seeds` module). It depends only on the two, not on the order of the
/// files or the workers.
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
    // The classes' `__module__` is "gar" (so that pickle finds them as gar.ParamError),
    // and `add` lists them in `__all__`, which the package's __init__ re-exports.
    let d = PyDict::new(py);
    d.set_item("__name__", "gar")?;
    py.run(errors::CLASSES, Some(&d), None)?;
    for class in ["GarError", "ParamError", "AudioError"] {
        if let Some(c) = d.get_item(class)? {
            m.add(class, c)?;
        }
    }
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
