//! From flags to engine parameters: the preset, then the flags on top; usage errors
//! name the flag and the values it accepts.

use crate::Failure;
use crate::args::{EngineArgs, LevelArgs};
use anyhow::anyhow;
use gar_core::{AttentionNorm, ChannelMode, Normalize, ParamError, Params, Preset, ScoreType};
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

/// The preset and the parameters the flags ask for (preset values, then flags on top).
pub fn params_from_flags(
    e: &EngineArgs,
    level: Option<&LevelArgs>,
) -> Result<(Preset, Params), Failure> {
    let preset = match &e.preset {
        None => Preset::Custom,
        Some(id) => Preset::parse(id).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown preset '{id}'; expected a name or the original's number: {}",
                preset_list()
            ))
        })?,
    };
    let mut p = preset.params();
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = e.$field {
                p.$field = gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(gar_core::Envelope::from(v))))))))))))))))))))))))))))))))))))))))))))))));
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
    if let Some(l) = level {
        if let Some(s) = &l.normalize {
            p.normalize = Normalize::parse(s).ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown --normalize '{s}'; expected {}",
                    Normalize::ALL.map(|n| n.id()).join(", ")
                ))
            })?;
        }
        if let Some(v) = l.peak_db {
            p.peak_db = v;
        }
        if let Some(v) = l.lufs {
            p.lufs = v;
        }
        if let Some(s) = &l.dc_block {
            p.dc_block = match s.to_ascii_lowercase().as_str() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(Failure::Usage(format!(
                        "unknown --dc-block '{s}'; expected on or off"
                    )));
                }
            };
        }
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
