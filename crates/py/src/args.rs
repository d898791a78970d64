//! From Python arguments to a run: the preset, a params file, the keyword
//! arguments (the parameter table's ids) and the seed, layered as the command
//! line layers them (preset, then file, then the arguments on top).

use crate::errors::Fail;
use gar_core::paramfile::{self, Format};
use gar_core::table::{self, Group, Kind, PARAMS, ParamSpec};
use gar_core::{Params, Preset};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use std::path::Path;

/// What a run is asked for.
pub struct Request {
    pub preset: Preset,
    /// Every value layered and checked; `seed` 0 (none given) draws one at the run.
    pub params: Params,
}

/// What the run may set: `render` every parameter, `analyze` no output level.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Render,
    Analyze,
}

/// The parameter a keyword argument names: its id, or an alias (`temperature`).
fn spec_of(key: &str) -> Option<&'static ParamSpec> {
    PARAMS
        .iter()
        .find(|s| s.id == key)
        .or_else(|| table::find(key))
}

/// A preset by name (`"cloud"`) or the original's number (`8` or `"8"`).
fn preset_of(obj: &Bound<'_, PyAny>) -> Result<Preset, Fail> {
    let text = obj
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "?".into());
    Preset::parse(&text).ok_or_else(|| Fail::Param {
        message: format!(
            "unknown preset '{text}'; expected a name or the original's number: {}",
            Preset::ALL
                .iter()
                .map(|p| format!("{} {}", p.number(), p.id()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        param: Some("preset".into()),
    })
}

/// A number as the envelope grammar writes it (Rust's shortest round-trip text).
fn number_text(x: f64) -> String {
    format!("{x}")
}

/// `[(0, 1), (0.5, 30, "exp"), ("10s", 2)]` -> `"0:1, 0.5:30@exp, 10s:2"`: a time
/// (a fraction of the output, or text with `s`/`ms`), a value, and optionally the
/// shape of the segment that ends there.
fn envelope_text(spec: &ParamSpec, seq: &Bound<'_, PyAny>) -> Result<String, Fail> {
    let bad = |what: String| Fail::Param {
        message: format!(
            "{}: {what}; expected an envelope as text (\"25..2\") or a list of (time, value) \
             or (time, value, shape) tuples, e.g. [(0, 1), (0.5, 30, \"exp\"), (\"10s\", 2)]",
            spec.id
        ),
        param: Some(spec.id.into()),
    };
    let mut points = Vec::new();
    for (i, item) in seq.try_iter().map_err(|e| bad(e.to_string()))?.enumerate() {
        let item = item.map_err(|e| bad(e.to_string()))?;
        let parts: Vec<Bound<'_, PyAny>> = match item.try_iter() {
            Ok(it) if !item.is_instance_of::<PyString>() => it
                .collect::<PyResult<_>>()
                .map_err(|e| bad(e.to_string()))?,
            _ => return Err(bad(format!("point {i} is not a (time, value) tuple"))),
        };
        if !(2..=3).contains(&parts.len()) {
            return Err(bad(format!(
                "point {i} has {} items, expected 2 or 3",
                parts.len()
            )));
        }
        let time = if let Ok(s) = parts[0].cast::<PyString>() {
            s.to_string()
        } else {
            let t: f64 = parts[0]
                .extract()
                .map_err(|_| bad(format!("point {i}: the time is not a number")))?;
            number_text(t)
        };
        let value: f64 = parts[1]
            .extract()
            .map_err(|_| bad(format!("point {i}: the value is not a number")))?;
        let mut p = format!("{time}:{}", number_text(value));
        if let Some(shape) = parts.get(2) {
            let s: String = shape
                .extract()
                .map_err(|_| bad(format!("point {i}: the shape is not text")))?;
            p += &format!("@{s}");
        }
        points.push(p);
    }
    Ok(points.join(", "))
}

/// A keyword argument's value as a params file would give it.
fn to_json(spec: &ParamSpec, v: &Bound<'_, PyAny>) -> Result<Value, Fail> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Value::from(u));
        }
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_string()));
    }
    let is_seq = v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>();
    if is_seq && spec.kind() == Kind::Envelope {
        return Ok(Value::String(envelope_text(spec, v)?));
    }
    if spec.kind() == Kind::Text {
        // `drivers=["centroid", "pitch"]`, `score={"rms": 0.6, "centroid": 0.4}`.
        if let Ok(d) = v.cast::<PyDict>() {
            let mut parts = Vec::new();
            for (k, w) in d.iter() {
                let w: f64 = w
                    .extract()
                    .map_err(|_| Fail::param(spec, "weights must be numbers"))?;
                parts.push(format!("{k}:{}", number_text(w)));
            }
            return Ok(Value::String(parts.join(",")));
        }
        if is_seq {
            let words: Vec<String> = v
                .extract()
                .map_err(|_| Fail::param(spec, "expected a list of names"))?;
            return Ok(Value::String(words.join(",")));
        }
    }
    // Floats, numpy scalars and anything else with __float__.
    if v.is_instance_of::<PyFloat>() || v.hasattr("__float__").unwrap_or(false) {
        let x: f64 = v
            .extract()
            .map_err(|e| Fail::param(spec, &format!("expected a number: {e}")))?;
        // NaN and infinity have no JSON number: the table's text parser names them.
        return Ok(if x.is_finite() {
            Value::from(x)
        } else {
            Value::String(number_text(x))
        });
    }
    let type_name = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    Err(Fail::param(
        spec,
        &format!(
            "expected {}, got a {type_name}",
            match spec.kind() {
                Kind::Envelope => "a number or an envelope (\"25..2\" or [(time, value), ...])",
                Kind::Number => "a number",
                Kind::Choice => "one of the words of gar.parameters()",
                Kind::Switch => "True or False",
                Kind::Integer => "a whole number >= 0",
                Kind::Text => "text",
            }
        ),
    ))
}

/// Reads a params file (TOML or JSON, or a report) the way `--params` does.
fn read_params_file(path: &Path) -> Result<paramfile::Layer, Fail> {
    let name = path.display();
    let bad = |message: String| Fail::Param {
        message,
        param: Some("params_file".into()),
    };
    let format = Format::from_name(&path.to_string_lossy()).ok_or_else(|| {
        bad(format!(
            "{name}: expected a file name ending in .toml or .json"
        ))
    })?;
    let text =
        std::fs::read_to_string(path).map_err(|e| bad(format!("{name}: cannot read it: {e}")))?;
    paramfile::parse(&text, format).map_err(|e| {
        let param = match &e {
            paramfile::FileError::UnknownKey { key } | paramfile::FileError::Param { key, .. } => {
                key.clone()
            }
            paramfile::FileError::UnknownPreset { .. } => "preset".into(),
            _ => "params_file".into(),
        };
        Fail::Param {
            message: format!("{name}: {e}"),
            param: Some(param),
        }
    })
}

/// The run the arguments ask for, every value checked (without the source).
pub fn request(
    preset: Option<&Bound<'_, PyAny>>,
    seed: Option<u64>,
    params_file: Option<&Path>,
    kwargs: Option<&Bound<'_, PyDict>>,
    scope: Scope,
) -> Result<Request, Fail> {
    let file = params_file.map(read_params_file).transpose()?;
    let preset = match preset {
        Some(p) if !p.is_none() => preset_of(p)?,
        _ => file
            .as_ref()
            .and_then(|f| f.preset)
            .unwrap_or(Preset::Custom),
    };
    let mut params = preset.params();
    if let Some(f) = &file {
        paramfile::apply(&mut params, &f.values).map_err(Fail::from)?;
    }
    let mut values: Vec<(&'static ParamSpec, Value)> = Vec::new();
    for (k, v) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let key: String = k
            .extract()
            .map_err(|_| Fail::Type("parameter names are text".into()))?;
        let spec = spec_of(&key).ok_or_else(|| Fail::Param {
            message: format!(
                "unknown parameter '{key}'; expected one of {} (gar.parameters() describes them)",
                PARAMS
                    .iter()
                    .filter(|s| s.id != "seed")
                    .map(|s| s.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            param: Some(key.clone()),
        })?;
        if scope == Scope::Analyze && spec.group == Group::Level {
            return Err(Fail::param(
                spec,
                "sets the output level, which only render uses (analyze renders no audio)",
            ));
        }
        values.push((spec, to_json(spec, &v)?));
    }
    if let Some(s) = seed {
        let spec = spec_of("seed").expect("the table has a seed");
        values.push((spec, Value::from(s)));
    }
    paramfile::apply(&mut params, &values).map_err(Fail::from)?;
    params.validate().map_err(Fail::from)?;
    Ok(Request { preset, params })
}
