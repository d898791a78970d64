//! Params files (docs/algorithm.md, section 12): TOML or JSON text that sets
//! any parameter of the table, envelopes included, plus `preset` and `seed`.
//! A report written by `--report` is itself a params file: its `preset`,
//! `seed` and `params` are read and everything else is ignored.
//!
//! No I/O here: the caller reads the file and names it in messages.

use crate::params::{ParamError, Params, Preset, Settings};
use crate::table::{PARAMS, ParamSpec};
use serde_json::Value;
use std::fmt;

/// The two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// From a file name's extension (`.toml`, `.json`), if it is one of them.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            Some(Format::Toml)
        } else if lower.ends_with(".json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// What a params file sets: its preset (if it names one) and the values of
/// the parameters it names, in the table's order.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    pub preset: Option<Preset>,
    pub values: Vec<(&'static ParamSpec, Value)>,
}

/// A params file that cannot be used. The message names the key.
#[derive(Clone, Debug, PartialEq)]
pub enum FileError {
    /// Not TOML or JSON.
    Syntax(String),
    /// The top level is not a table of keys.
    NotATable,
    /// A key that is neither a parameter, `preset` nor `seed`.
    UnknownKey { key: String },
    /// A preset name that is not one.
    UnknownPreset { value: String },
    /// A key with a value gar cannot use.
    Param { key: String, error: ParamError },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(e) => write!(f, "not valid TOML or JSON: {e}"),
            Self::NotATable => f.write_str("expected a table of keys like `alpha = 8`"),
            Self::UnknownKey { key } => write!(
                f,
                "unknown key '{key}'; expected preset, seed or a parameter: {}",
                PARAMS
                    .iter()
                    .filter(|s| s.id != "seed")
                    .map(|s| s.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::UnknownPreset { value } => write!(
                f,
                "key 'preset': unknown preset '{value}'; expected one of {}",
                Preset::ALL.map(|p| p.id()).join(", ")
            ),
            Self::Param { key, error } => match error {
                ParamError::Invalid { message, .. } => write!(f, "key '{key}': {message}"),
                ParamError::Envelope { error, .. } => write!(f, "key '{key}': {error}"),
                e => write!(f, "key '{key}': {e}"),
            },
        }
    }
}

impl std::error::Error for FileError {}

/// Parses a params file's text.
pub fn parse(text: &str, format: Format) -> Result<Layer, FileError> {
    let v: Value = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| FileError::Syntax(e.to_string()))?,
        Format::Toml => {
            let t: toml::Table =
                toml::from_str(text).map_err(|e| FileError::Syntax(e.to_string()))?;
            serde_json::to_value(t).map_err(|e| FileError::Syntax(e.to_string()))?
        }
    };
    let Value::Object(top) = v else {
        return Err(FileError::NotATable);
    };
    // A report: its preset, seed and params.
    let params = if top.contains_key("gar_version") && top.contains_key("params") {
        let Some(Value::Object(p)) = top.get("params") else {
            return Err(FileError::NotATable);
        };
        let mut keys = p.clone();
        for k in ["preset", "seed"] {
            if let Some(v) = top.get(k) {
                keys.insert(k.to_string(), v.clone());
            }
        }
        keys
    } else {
        top
    };
    let mut layer = Layer::default();
    for (key, v) in &params {
        if key == "preset" {
            let Value::String(s) = v else {
                return Err(FileError::UnknownPreset {
                    value: v.to_string(),
                });
            };
            layer.preset = Some(
                Preset::parse(s).ok_or_else(|| FileError::UnknownPreset { value: s.clone() })?,
            );
            continue;
        }
        // Keys are the table's ids; a report's `duration_s` is one of them.
        let spec = PARAMS
            .iter()
            .find(|s| s.id == key)
            .ok_or_else(|| FileError::UnknownKey { key: key.clone() })?;
        // Check the value now: an error names the key.
        let mut scratch = Params::default();
        spec.set_json(&mut scratch, v)
            .map_err(|error| FileError::Param {
                key: key.clone(),
                error,
            })?;
        layer.values.push((spec, v.clone()));
    }
    layer
        .values
        .sort_by_key(|(s, _)| PARAMS.iter().position(|x| x.id == s.id));
    Ok(layer)
}

/// Sets a layer's values on `p` (a later layer overrides an earlier one).
/// Within one layer, `alpha` and `diversity` together are a conflict; a layer
/// that sets alpha alone drops an earlier layer's diversity (and one that
/// sets diversity alone makes alpha unused).
pub fn apply(p: &mut Params, values: &[(&'static ParamSpec, Value)]) -> Result<(), ParamError> {
    let has = |id: &str| values.iter().any(|(s, _)| s.id == id);
    if has("alpha") && has("diversity") {
        return Err(ParamError::Conflict {
            name: "diversity",
            other: "alpha",
            message: "alpha and diversity cannot be given together: diversity solves alpha \
                      (give one of them)"
                .into(),
        });
    }
    for (spec, v) in values {
        spec.set_json(p, v)?;
    }
    if has("alpha") {
        p.diversity = None;
    }
    Ok(())
}

/// Every parameter of `p` as a params file (and the report's `params`)
/// writes it, in the table's order: the seed apart, and alpha left out under
/// a diversity (it is solved).
pub fn values(p: &Params) -> serde_json::Map<String, Value> {
    PARAMS
        .iter()
        .filter(|spec| !(spec.id == "seed" || (spec.id == "alpha" && p.diversity.is_some())))
        .filter_map(|spec| Some((spec.id.to_string(), spec.get_json(p)?)))
        .collect()
}

/// The effective parameters of a run as a TOML params file: the preset, the
/// seed actually used, and every parameter after clamps (under a diversity,
/// alpha is left out: it is solved). `render SAME_INPUT --params FILE`
/// reproduces the run bit for bit.
pub fn to_toml(s: &Settings, seed: u64) -> String {
    let mut t = toml::Table::new();
    t.insert("preset".into(), toml::Value::String(s.preset.id().into()));
    t.insert("seed".into(), toml::Value::Integer(seed as i64));
    for (id, v) in values(&s.effective) {
        let tv = match v {
            Value::Bool(b) => toml::Value::Boolean(b),
            Value::String(s) => toml::Value::String(s),
            Value::Number(n) => toml::Value::Float(n.as_f64().unwrap_or(0.0)),
            _ => continue,
        };
        t.insert(id, tv);
    }
    // The seed can exceed i64: write it as text then (read back as a number).
    if seed > i64::MAX as u64 {
        t.insert("seed".into(), toml::Value::String(seed.to_string()));
    }
    format!(
        "# gar {} params file: `gar render INPUT --params THIS.toml` reproduces the run.\n{}",
        crate::VERSION,
        toml::to_string(&t).unwrap_or_default()
    )
}
