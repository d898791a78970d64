//! From flags (and a params file) to engine parameters: the preset, then the file,
//! then the flags on top. Values are parsed by the parameter table
//! (`gar_core::table`); its errors name the parameter, which is mapped here to
//! the flag the user typed.

use crate::Failure;
use crate::args::{EngineArgs, LevelArgs};
use gar_core::paramfile::{self, FileError, Format};
use gar_core::table::{self, ParamSpec};
use gar_core::{ParamError, Params, Preset};
use gar_run::RunError;
use serde_json::Value;
use std::path::Path;

/// Every preset with the original's number, as `--help` lists them:
/// "1 custom, 2 self-remix, ..., 8 cloud".
pub fn preset_list() -> String {
    let mut all = Preset::ALL.to_vec();
    all.sort_by_key(|p| p.number());
    all.iter()
        .map(|p| format!("{} {}", p.number(), p.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `grain_ms` -> `--grain-ms`.
pub fn flag_of(id: &str) -> String {
    match table::find(id) {
        Some(s) => format!("--{}", s.flag),
        None => id.to_string(),
    }
}

pub use gar_run::with_flag;

/// Every word of `msg` that is a parameter's id written as its flag.
pub fn flags_in(msg: &str) -> String {
    msg.split(' ')
        .map(|w| {
            let core = w.trim_end_matches([',', ':', ';', '.']);
            match table::PARAMS.iter().find(|s| s.id == core) {
                Some(s) => format!("--{}{}", s.flag, &w[core.len()..]),
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a params file (`--params`): TOML by `.toml`, JSON by `.json`; the
/// errors name the file and the key.
fn read_params_file(path: &Path) -> Result<paramfile::Layer, Failure> {
    let name = path.display();
    let format = Format::from_name(&path.to_string_lossy()).ok_or_else(|| {
        Failure::Usage(format!(
            "--params {name}: expected a file name ending in .toml or .json"
        ))
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("--params {name}: cannot read it: {e}")))?;
    paramfile::parse(&text, format).map_err(|e: FileError| Failure::Usage(format!("{name}: {e}")))
}

/// The preset and the parameters the flags ask for: the preset's values, then a
/// params file's, then the flags on top.
pub fn params_from_flags(
    e: &EngineArgs,
    level: Option<&LevelArgs>,
) -> Result<(Preset, Params), Failure> {
    let file = match &e.params {
        Some(p) => Some(read_params_file(p)?),
        None => None,
    };
    let preset = match &e.preset {
        Some(id) => Preset::parse(id).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown preset '{id}'; expected a name or the original's number: {}",
                preset_list()
            ))
        })?,
        None => file
            .as_ref()
            .and_then(|f| f.preset)
            .unwrap_or(Preset::Custom),
    };
    let mut p = preset.params();
    if let Some(f) = &file {
        let path = e.params.as_deref().unwrap_or(Path::new("")).display();
        paramfile::apply(&mut p, &f.values)
            .map_err(|err| Failure::Usage(format!("{path}: {}", err_text(&err))))?;
    }
    let mut flags: Vec<(&'static ParamSpec, Value)> = e
        .values
        .iter()
        .map(|(s, v)| (*s, Value::String(v.clone())))
        .collect();
    if let Some(l) = level {
        flags.extend(l.values.iter().map(|(s, v)| (*s, Value::String(v.clone()))));
    }
    paramfile::apply(&mut p, &flags).map_err(param_usage)?;
    Ok((preset, p))
}

/// A parameter error in the words of the command line.
fn err_text(e: &ParamError) -> String {
    match e {
        ParamError::Conflict { name, other, .. } if (*name, *other) == ("diversity", "alpha") => {
            format!(
                "{} and {} cannot be given together: diversity solves alpha (give one of them)",
                flag_of(other),
                flag_of(name)
            )
        }
        ParamError::Conflict { message, .. } => flags_in(message),
        ParamError::Invalid { name, message } => format!("{}: {message}", flag_of(name)),
        ParamError::Envelope { name, error } => format!("{}: {error}", flag_of(name)),
        e => with_flag(&e.to_string()),
    }
}

/// A parameter error in the words of the command line (flags, not ids).
pub fn param_text(e: &ParamError) -> String {
    err_text(e)
}

fn param_usage(e: ParamError) -> Failure {
    Failure::Usage(err_text(&e))
}

/// A job's error in the words of the command line: parameter errors name the flag
/// and, with every other mistake in the request, exit with status 2.
pub fn run_failure(e: RunError) -> Failure {
    match e {
        RunError::Param(p) => param_usage(p),
        RunError::Usage(m) => Failure::Usage(m),
        RunError::Failed(e) => Failure::Run(e),
        e @ RunError::Cancelled => Failure::Run(anyhow::anyhow!(e)),
    }
}
