//! The parameter table: every parameter of a run, once (docs/algorithm.md,
//! sections 1 and 12).
//!
//! Each [`ParamSpec`] row holds a parameter's id (the key of params files and
//! of the report), its command-line flag, unit, range and clamp rule, default,
//! one-line doc, preset values and whether it may vary over time, plus the
//! accessors that read and write it in a [`Params`]. Everything that lists
//! parameters reads this table: the CLI's flags and `--help`, the clamps and
//! their adjustment lines ([`Params::resolve`]), the presets
//! ([`Preset::params`]), params files ([`crate::paramfile`]), the report's
//! `params`, and `gar presets --json` (which a UI renders its controls from).
//! Adding a parameter is one row here plus its field in [`Params`].

use crate::analysis::{Driver, DriverSet, Mix};
use crate::envelope::Envelope;
use crate::params::{
    AttentionNorm, ChannelMode, Normalize, ParamError, Params, Preset, ScoreType, default_peak_db,
    num,
};
use serde::Serialize;
use serde_json::Value;

/// Where a parameter belongs (a heading in `--help` and in a UI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Grains, attention and synthesis.
    Engine,
    /// The output's level (render only: an analysis writes no audio).
    Level,
}

/// One word a choice accepts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Choice {
    pub id: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub aliases: &'static [&'static str],
    pub doc: &'static str,
}

/// A preset's value of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PresetValue {
    Number(f64),
    Word(&'static str),
}

/// How a parameter is stored in [`Params`], with its accessors.
#[derive(Clone, Copy)]
pub enum Access {
    /// A number or an envelope over output time (section 12).
    Curve(fn(&Params) -> &Envelope, fn(&mut Params) -> &mut Envelope),
    /// An optional envelope (unset = not used).
    OptCurve(
        fn(&Params) -> &Option<Envelope>,
        fn(&mut Params) -> &mut Option<Envelope>,
    ),
    /// A number fixed for the run.
    Number(fn(&Params) -> &f64, fn(&mut Params) -> &mut f64),
    /// An optional number fixed for the run (unset = derived).
    OptNumber(
        fn(&Params) -> &Option<f64>,
        fn(&mut Params) -> &mut Option<f64>,
    ),
    /// One of several words.
    Choice(
        &'static [Choice],
        fn(&Params) -> &'static str,
        fn(&mut Params, &str) -> bool,
    ),
    /// On or off.
    Switch(fn(&Params) -> &bool, fn(&mut Params) -> &mut bool),
    /// A whole number (the seed).
    Count(fn(&Params) -> &u64, fn(&mut Params) -> &mut u64),
    /// A value written as text with its own grammar (the score's mix of
    /// drivers, the set of drivers): the words it is built from, the
    /// getter (`None`: unset) and the parser (its error message).
    Text(
        &'static [Choice],
        fn(&Params) -> Option<String>,
        fn(&mut Params, &str) -> Result<(), String>,
    ),
}

/// The kind of value, as a front end shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A number, or an envelope over output time.
    Envelope,
    /// A number.
    Number,
    /// One word of `choices`.
    Choice,
    /// `on` / `off` (true / false in files).
    Switch,
    /// A whole number >= 0.
    Integer,
    /// Text in the parameter's own grammar, built from `choices`.
    Text,
}

/// One parameter.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// Key in params files and the report, and the field of [`Params`].
    pub id: &'static str,
    /// Command-line flag without the dashes.
    pub flag: &'static str,
    /// Other flag names.
    pub aliases: &'static [&'static str],
    /// Unit of the value (`""` for none).
    pub unit: &'static str,
    /// Placeholder in `--help`.
    pub value_name: &'static str,
    /// Values must be > 0 (an error otherwise, before any clamp).
    pub positive: bool,
    /// Clamp range (infinite ends: no clamp on that side).
    pub min: f64,
    pub max: f64,
    /// A hard upper limit: above it is an error, not a clamp.
    pub limit: Option<f64>,
    /// The default, as a flag would write it (`""`: unset).
    pub default: &'static str,
    /// One line on what it does.
    pub doc: &'static str,
    /// The seven presets' values, in [`Preset::ALL`] order (None: the
    /// presets keep the default).
    pub presets: Option<[PresetValue; 7]>,
    pub group: Group,
    pub access: Access,
}

impl std::fmt::Debug for ParamSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamSpec").field("id", &self.id).finish()
    }
}

const fn n7(v: [f64; 7]) -> Option<[PresetValue; 7]> {
    Some([
        PresetValue::Number(v[0]),
        PresetValue::Number(v[1]),
        PresetValue::Number(v[2]),
        PresetValue::Number(v[3]),
        PresetValue::Number(v[4]),
        PresetValue::Number(v[5]),
        PresetValue::Number(v[6]),
    ])
}

const INF: f64 = f64::INFINITY;

const fn spec(id: &'static str, flag: &'static str, access: Access) -> ParamSpec {
    ParamSpec {
        id,
        flag,
        aliases: &[],
        unit: "",
        value_name: "X",
        positive: false,
        min: -INF,
        max: INF,
        limit: None,
        default: "",
        doc: "",
        presets: None,
        group: Group::Engine,
        access,
    }
}

macro_rules! field {
    (curve $f:ident) => {
        Access::Curve(|p| &p.$f, |p| &mut p.$f)
    };
    (optcurve $f:ident) => {
        Access::OptCurve(|p| &p.$f, |p| &mut p.$f)
    };
    (number $f:ident) => {
        Access::Number(|p| &p.$f, |p| &mut p.$f)
    };
    (optnumber $f:ident) => {
        Access::OptNumber(|p| &p.$f, |p| &mut p.$f)
    };
    (switch $f:ident) => {
        Access::Switch(|p| &p.$f, |p| &mut p.$f)
    };
    (count $f:ident) => {
        Access::Count(|p| &p.$f, |p| &mut p.$f)
    };
}

const fn driver_choice(d: Driver) -> Choice {
    Choice {
        id: d.id(),
        aliases: &[],
        doc: d.doc(),
    }
}

/// The words of a score: the four score types of section 4, then the other
/// drivers of section 15 (any of them, or a weighted mix).
const SCORES: &[Choice] = &[
    Choice {
        id: "rms",
        aliases: &[],
        doc: Driver::Rms.doc(),
    },
    Choice {
        id: "onset",
        aliases: &["transient"],
        doc: Driver::Onset.doc(),
    },
    driver_choice(Driver::Edge),
    Choice {
        id: "mixed",
        aliases: &[],
        doc: "(1 - transient_weight) * rms + transient_weight * onset",
    },
    driver_choice(Driver::OnsetDb),
    driver_choice(Driver::Centroid),
    driver_choice(Driver::Flatness),
    driver_choice(Driver::Flux),
    driver_choice(Driver::Zcr),
    driver_choice(Driver::Periodicity),
    driver_choice(Driver::Pitch),
];

/// The words of `--drivers`.
const DRIVER_SETS: &[Choice] = &[
    Choice {
        id: "all",
        aliases: &[],
        doc: "every driver",
    },
    Choice {
        id: "none",
        aliases: &[],
        doc: "only the score's drivers",
    },
];

/// `--score`: one of the four score types, or a mix of drivers.
fn set_score(p: &mut Params, text: &str) -> Result<(), String> {
    if let Some(t) = ScoreType::parse(text.trim()) {
        p.score = t;
        p.mix = None;
        return Ok(());
    }
    p.mix = Some(Mix::parse(text)?);
    Ok(())
}

fn get_score(p: &Params) -> Option<String> {
    Some(match &p.mix {
        Some(m) => m.to_string(),
        None => p.score.id().to_string(),
    })
}

const NORMS: &[Choice] = &[
    Choice {
        id: "range",
        aliases: &[],
        doc: "scale = best score - floor: alpha reads the same on any sound (gar)",
    },
    Choice {
        id: "mean",
        aliases: &[],
        doc: "scale = mean score: the original's numbers",
    },
];
const CHANNELS: &[Choice] = &[
    Choice {
        id: "linked",
        aliases: &[],
        doc: "keep every channel, one plan drives all of them",
    },
    Choice {
        id: "mono",
        aliases: &[],
        doc: "mix to mono first (the original)",
    },
    Choice {
        id: "independent",
        aliases: &[],
        doc: "each channel attends to its own salient moments: one plan per channel",
    },
];
const NORMALIZE: &[Choice] = &[
    Choice {
        id: "peak",
        aliases: &[],
        doc: "sample peak at peak_db",
    },
    Choice {
        id: "loudness",
        aliases: &["lufs"],
        doc: "integrated loudness (EBU R128) at lufs, the peak at most peak_db",
    },
    Choice {
        id: "none",
        aliases: &["off"],
        doc: "no gain anywhere: grains keep the source's level",
    },
];

/// Every parameter, in the order `--help`, the report and a UI show them.
pub static PARAMS: [ParamSpec; 23] = [
    ParamSpec {
        unit: "ms",
        value_name: "MS",
        positive: true,
        min: 5.0,
        max: 1000.0,
        default: "50",
        doc: "Grain length (candidates are cut with the length at output time 0; an envelope sets the length of the grains placed)",
        presets: n7([60.0, 40.0, 30.0, 50.0, 20.0, 300.0, 600.0]),
        ..spec("grain_ms", "grain-ms", field!(curve grain_ms))
    },
    ParamSpec {
        unit: "ms",
        value_name: "MS",
        positive: true,
        min: 1.0,
        default: "25",
        doc: "Synthesis hop between output grains (at most grain/2)",
        presets: n7([30.0, 20.0, 15.0, 25.0, 10.0, 150.0, 300.0]),
        ..spec("hop_ms", "hop-ms", field!(curve hop_ms))
    },
    ParamSpec {
        unit: "ms",
        value_name: "MS",
        positive: true,
        min: 1.0,
        default: "20",
        doc: "Hop between candidate grains in the source (at most the grain)",
        presets: n7([20.0, 15.0, 10.0, 15.0, 10.0, 50.0, 80.0]),
        ..spec("cand_hop_ms", "cand-hop-ms", field!(number cand_hop_ms))
    },
    ParamSpec {
        aliases: &["temperature"],
        value_name: "A",
        positive: true,
        min: 0.01,
        default: "8",
        doc: "Attention sharpness: 1-3 gentle, 5-10 crystallised, 15+ winner-take-most",
        presets: n7([3.0, 12.0, 25.0, 8.0, 2.0, 10.0, 4.0]),
        ..spec("alpha", "alpha", field!(curve alpha))
    },
    ParamSpec {
        unit: "%",
        value_name: "PCT",
        positive: true,
        limit: Some(100.0),
        doc: "Instead of alpha: the share of the active grains that carries the probability, effectively (alpha is solved for it)",
        ..spec("diversity", "diversity", field!(optcurve diversity))
    },
    ParamSpec {
        unit: "dB",
        value_name: "DB",
        default: "0",
        doc: "ReLU gate floor relative to the mean score",
        presets: n7([-3.0, 3.0, 6.0, 2.0, -6.0, 2.0, -3.0]),
        ..spec("floor_db", "floor-db", field!(curve floor_db))
    },
    ParamSpec {
        value_name: "SCORE",
        default: "rms",
        doc: "What makes a grain salient: a driver, -driver (low values win) or a weighted mix like \"rms:0.6,centroid:0.4\" (weights >= 0, divided by their sum)",
        presets: Some([
            PresetValue::Word("rms"),
            PresetValue::Word("rms"),
            PresetValue::Word("rms"),
            PresetValue::Word("onset"),
            PresetValue::Word("rms"),
            PresetValue::Word("rms"),
            PresetValue::Word("mixed"),
        ]),
        ..spec("score", "score", Access::Text(SCORES, get_score, set_score))
    },
    ParamSpec {
        value_name: "LIST",
        doc: "Drivers computed and reported (analysis.drivers, CSV columns) beyond the score's: all, or names like centroid,pitch",
        ..spec(
            "drivers",
            "drivers",
            Access::Text(
                DRIVER_SETS,
                |p| (!p.drivers.is_empty()).then(|| p.drivers.to_string()),
                |p, s| DriverSet::parse(s).map(|d| p.drivers = d),
            ),
        )
    },
    ParamSpec {
        value_name: "W",
        min: 0.0,
        max: 1.0,
        default: "0.5",
        doc: "Weight of the onset score in `mixed`",
        presets: n7([0.3, 0.2, 0.0, 1.0, 0.2, 0.0, 0.4]),
        ..spec(
            "transient_weight",
            "transient-weight",
            field!(number transient_weight),
        )
    },
    ParamSpec {
        unit: "ms",
        value_name: "MS",
        min: 0.0,
        default: "5",
        doc: "Random time offset per grain, +/- (at most the hop)",
        presets: n7([8.0, 3.0, 1.0, 5.0, 4.0, 15.0, 30.0]),
        ..spec(
            "time_jitter_ms",
            "time-jitter-ms",
            field!(curve time_jitter_ms),
        )
    },
    ParamSpec {
        unit: "st",
        value_name: "ST",
        min: 0.0,
        max: 4.0,
        default: "0",
        doc: "Random varispeed shift per grain, +/- semitones",
        presets: n7([0.0, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0]),
        ..spec(
            "pitch_jitter_st",
            "pitch-jitter-st",
            field!(curve pitch_jitter_st),
        )
    },
    ParamSpec {
        unit: "st",
        value_name: "ST",
        min: -24.0,
        max: 24.0,
        default: "0",
        doc: "Transposition of every grain by varispeed (pitch and duration move together), semitones",
        ..spec("pitch_st", "pitch-st", field!(curve pitch_st))
    },
    ParamSpec {
        value_name: "R",
        min: 0.0,
        max: 1.0,
        default: "0.5",
        doc: "Penalty on recently chosen grains (1 = never repeat the last pick)",
        presets: n7([0.3, 0.4, 0.6, 0.4, 0.2, 0.5, 0.3]),
        ..spec("recency", "recency", field!(curve recency))
    },
    ParamSpec {
        unit: "%",
        value_name: "PCT",
        min: 0.0,
        max: 100.0,
        default: "100",
        doc: "Wet share (the rest is the dry source)",
        presets: n7([100.0, 100.0, 100.0, 100.0, 85.0, 100.0, 90.0]),
        ..spec("wet", "wet", field!(curve wet))
    },
    ParamSpec {
        value_name: "S",
        min: 0.0,
        max: 1.0,
        default: "0",
        doc: "Stereo spread: each grain gets a random pan in [-S, S] (a mono source becomes stereo)",
        ..spec("spread", "spread", field!(curve spread))
    },
    ParamSpec {
        value_name: "MODE",
        default: "range",
        doc: "Softmax scale",
        ..spec(
            "attention_norm",
            "attention-norm",
            Access::Choice(
                NORMS,
                |p| p.attention_norm.id(),
                |p, s| {
                    AttentionNorm::parse(s)
                        .map(|v| p.attention_norm = v)
                        .is_some()
                },
            ),
        )
    },
    ParamSpec {
        unit: "s",
        value_name: "SECONDS",
        positive: true,
        limit: Some(crate::params::MAX_OUTPUT_S),
        doc: "Output duration (unset: the source's)",
        ..spec("duration_s", "duration", field!(optnumber duration_s))
    },
    ParamSpec {
        value_name: "MODE",
        default: "linked",
        doc: "Channel mode: linked (one plan for every channel), mono (mix first), independent (each channel its own plan)",
        ..spec(
            "channels",
            "channels",
            Access::Choice(
                CHANNELS,
                |p| p.channels.id(),
                |p, s| ChannelMode::parse(s).map(|v| p.channels = v).is_some(),
            ),
        )
    },
    ParamSpec {
        value_name: "N",
        min: 0.0,
        default: "0",
        doc: "Random seed; 0 = draw one (the report says which)",
        ..spec("seed", "seed", field!(count seed))
    },
    ParamSpec {
        value_name: "MODE",
        default: "peak",
        doc: "Level rule",
        group: Group::Level,
        ..spec(
            "normalize",
            "normalize",
            Access::Choice(
                NORMALIZE,
                |p| p.normalize.id(),
                |p, s| Normalize::parse(s).map(|v| p.normalize = v).is_some(),
            ),
        )
    },
    ParamSpec {
        unit: "dBFS",
        value_name: "DB",
        min: crate::params::PEAK_DB_RANGE.0,
        max: crate::params::PEAK_DB_RANGE.1,
        default: "-0.0873",
        doc: "Output sample peak (peak), or the peak ceiling (loudness); default 20 log10(0.99)",
        group: Group::Level,
        ..spec("peak_db", "peak-db", field!(number peak_db))
    },
    ParamSpec {
        unit: "LUFS",
        value_name: "LUFS",
        min: crate::params::LUFS_RANGE.0,
        max: crate::params::LUFS_RANGE.1,
        default: "-16",
        doc: "Integrated loudness target with normalize loudness",
        group: Group::Level,
        ..spec("lufs", "lufs", field!(number lufs))
    },
    ParamSpec {
        value_name: "on|off",
        default: "on",
        doc: "DC high-pass on the output (zero phase, -3 dB near 8.5 Hz, flat from 20 Hz up)",
        group: Group::Level,
        ..spec("dc_block", "dc-block", field!(switch dc_block))
    },
];

/// The parameter with key `id` (or flag name, or alias).
pub fn find(id: &str) -> Option<&'static ParamSpec> {
    let norm = id.trim().trim_start_matches("--").replace('-', "_");
    PARAMS.iter().find(|s| {
        s.id == norm
            || s.flag.replace('-', "_") == norm
            || s.aliases.iter().any(|a| a.replace('-', "_") == norm)
    })
}

/// The parameters that may vary over output time.
pub fn varying() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS
        .iter()
        .filter(|s| matches!(s.access, Access::Curve(..) | Access::OptCurve(..)))
}

fn invalid(spec: &ParamSpec, message: String) -> ParamError {
    ParamError::Invalid {
        name: spec.id,
        message,
    }
}

fn parse_number(spec: &ParamSpec, text: &str) -> Result<f64, ParamError> {
    let t = text.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(ParamError::NotFinite {
            name: spec.id,
            value: v,
        }),
        Err(_) if t.contains("..") || t.contains(':') => Err(invalid(
            spec,
            format!("fixed for a run, it cannot change over time; expected a number, got \"{t}\""),
        )),
        Err(_) => Err(invalid(spec, format!("expected a number, got \"{t}\""))),
    }
}

impl ParamSpec {
    /// The kind of value.
    pub fn kind(&self) -> Kind {
        match self.access {
            Access::Curve(..) | Access::OptCurve(..) => Kind::Envelope,
            Access::Number(..) | Access::OptNumber(..) => Kind::Number,
            Access::Choice(..) => Kind::Choice,
            Access::Switch(..) => Kind::Switch,
            Access::Count(..) => Kind::Integer,
            Access::Text(..) => Kind::Text,
        }
    }

    /// Whether the parameter may be an envelope over output time.
    pub fn varies(&self) -> bool {
        self.kind() == Kind::Envelope
    }

    /// The words a choice accepts (empty for other kinds).
    pub fn choices(&self) -> &'static [Choice] {
        match self.access {
            Access::Choice(c, ..) | Access::Text(c, ..) => c,
            _ => &[],
        }
    }

    /// The range in words, e.g. `5..1000 ms`, `>= 0.01`, `any value`.
    pub fn range_text(&self) -> String {
        let u = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        if let Access::Choice(c, ..) = self.access {
            return c.iter().map(|c| c.id).collect::<Vec<_>>().join(", ");
        }
        if let Access::Switch(..) = self.access {
            return "on, off".into();
        }
        if let Access::Text(c, ..) = self.access {
            if self.id == "score" {
                return format!("{}, or a mix of them", choice_ids(c));
            }
            return format!(
                "{}, or names from {}",
                choice_ids(c),
                crate::analysis::driver::driver_list()
            );
        }
        let hi = self.limit.unwrap_or(self.max);
        match (self.min.is_finite(), hi.is_finite(), self.positive) {
            (true, true, _) => format!("{}..{}{u}", num(self.min), num(hi)),
            (true, false, _) => format!(">= {}{u}", num(self.min)),
            (false, true, true) => format!("> 0, at most {}{u}", num(hi)),
            (false, false, true) => format!("> 0{u}"),
            (false, true, false) => format!("at most {}{u}", num(hi)),
            (false, false, false) if self.unit.is_empty() => "any value".into(),
            (false, false, false) => format!("any value, in {}", self.unit),
        }
    }

    /// The value of preset `p` (the default for Custom and for parameters
    /// the presets do not set), as a flag would write it.
    pub fn preset_text(&self, p: Preset) -> Option<String> {
        let i = Preset::ALL.iter().position(|&x| x == p)?;
        match self.presets {
            Some(v) if i < 7 => Some(match v[i] {
                PresetValue::Number(x) => num(x),
                PresetValue::Word(w) => w.to_string(),
            }),
            _ => (!self.default.is_empty()).then(|| self.default.to_string()),
        }
    }

    /// Sets the parameter from text, as a flag gives it: a number, an
    /// envelope, a word, `on`/`off`.
    pub fn set_text(&self, p: &mut Params, text: &str) -> Result<(), ParamError> {
        match self.access {
            Access::Curve(_, set) => *set(p) = self.envelope(text)?,
            Access::OptCurve(_, set) => *set(p) = Some(self.envelope(text)?),
            Access::Number(_, set) => *set(p) = parse_number(self, text)?,
            Access::OptNumber(_, set) => *set(p) = Some(parse_number(self, text)?),
            Access::Choice(choices, _, set) => {
                if !set(p, text.trim()) {
                    return Err(invalid(
                        self,
                        format!(
                            "unknown value '{}'; expected {}",
                            text.trim(),
                            choice_list(choices)
                        ),
                    ));
                }
            }
            Access::Switch(_, set) => {
                *set(p) = match text.trim().to_ascii_lowercase().as_str() {
                    "on" | "true" | "yes" | "1" => true,
                    "off" | "false" | "no" | "0" => false,
                    t => {
                        return Err(invalid(
                            self,
                            format!("unknown value '{t}'; expected on or off"),
                        ));
                    }
                }
            }
            Access::Text(_, _, set) => set(p, text).map_err(|m| invalid(self, m))?,
            Access::Count(_, set) => {
                *set(p) = text.trim().parse::<u64>().map_err(|_| {
                    invalid(
                        self,
                        format!("expected a whole number >= 0, got \"{}\"", text.trim()),
                    )
                })?
            }
        }
        Ok(())
    }

    fn envelope(&self, text: &str) -> Result<Envelope, ParamError> {
        Envelope::parse(text).map_err(|e| ParamError::Envelope {
            name: self.id,
            error: e,
        })
    }

    /// Sets the parameter from a params file's value: a number, envelope text,
    /// an array of `[time, value, shape]` points, a word, a boolean.
    pub fn set_json(&self, p: &mut Params, v: &Value) -> Result<(), ParamError> {
        let wrong =
            |expected: &str| invalid(self, format!("expected {expected}, got {}", describe(v)));
        match (self.access, v) {
            (Access::Curve(..) | Access::OptCurve(..), Value::String(s)) => self.set_text(p, s),
            (Access::Curve(..) | Access::OptCurve(..), Value::Number(_) | Value::Array(_)) => {
                let e: Envelope =
                    serde_json::from_value(v.clone()).map_err(|e| invalid(self, e.to_string()))?;
                match self.access {
                    Access::Curve(_, set) => *set(p) = e,
                    Access::OptCurve(_, set) => *set(p) = Some(e),
                    _ => unreachable!(),
                }
                Ok(())
            }
            (Access::OptCurve(_, set), Value::Null) => {
                *set(p) = None;
                Ok(())
            }
            (Access::Curve(..) | Access::OptCurve(..), _) => {
                Err(wrong("a number or an envelope (text like \"25..2\")"))
            }
            (Access::Number(_, set), Value::Number(n)) => {
                *set(p) = n.as_f64().ok_or_else(|| wrong("a number"))?;
                Ok(())
            }
            (Access::OptNumber(_, set), Value::Number(n)) => {
                *set(p) = Some(n.as_f64().ok_or_else(|| wrong("a number"))?);
                Ok(())
            }
            (Access::OptNumber(_, set), Value::Null) => {
                *set(p) = None;
                Ok(())
            }
            (Access::Number(..) | Access::OptNumber(..), Value::String(s)) => self.set_text(p, s),
            (Access::Number(..) | Access::OptNumber(..), _) => Err(wrong("a number")),
            (Access::Choice(..), Value::String(s)) => self.set_text(p, s),
            (Access::Choice(c, ..), _) => Err(wrong(&format!("one of {}", choice_list(c)))),
            (Access::Switch(_, set), Value::Bool(b)) => {
                *set(p) = *b;
                Ok(())
            }
            (Access::Switch(..), Value::String(s)) => self.set_text(p, s),
            (Access::Switch(..), _) => Err(wrong("true or false")),
            (Access::Count(_, set), Value::Number(n)) => {
                *set(p) = n.as_u64().ok_or_else(|| wrong("a whole number >= 0"))?;
                Ok(())
            }
            (Access::Count(..), Value::String(s)) => self.set_text(p, s),
            (Access::Count(..), _) => Err(wrong("a whole number >= 0")),
            (Access::Text(..), Value::String(s)) => self.set_text(p, s),
            (Access::Text(..), _) => Err(wrong(&format!("text: {}", self.range_text()))),
        }
    }

    /// The parameter's value in a params file: a number for a constant,
    /// envelope text, a word, a boolean; `None` when unset.
    pub fn get_json(&self, p: &Params) -> Option<Value> {
        Some(match self.access {
            Access::Curve(get, _) => envelope_json(get(p)),
            Access::OptCurve(get, _) => envelope_json(get(p).as_ref()?),
            Access::Number(get, _) => Value::from(*get(p)),
            Access::OptNumber(get, _) => Value::from((*get(p))?),
            Access::Choice(_, get, _) => Value::from(get(p)),
            Access::Switch(get, _) => Value::from(*get(p)),
            Access::Count(get, _) => Value::from(*get(p)),
            Access::Text(_, get, _) => Value::from(get(p)?),
        })
    }

    /// The parameter's value as a flag writes it; `None` when unset.
    pub fn get_text(&self, p: &Params) -> Option<String> {
        Some(match self.access {
            Access::Curve(get, _) => get(p).to_string(),
            Access::OptCurve(get, _) => get(p).as_ref()?.to_string(),
            Access::Number(get, _) => num_exact(*get(p)),
            Access::OptNumber(get, _) => num_exact((*get(p))?),
            Access::Choice(_, get, _) => get(p).to_string(),
            Access::Switch(get, _) => if *get(p) { "on" } else { "off" }.to_string(),
            Access::Count(get, _) => get(p).to_string(),
            Access::Text(_, get, _) => get(p)?,
        })
    }

    /// Whether `p` holds the same value as `q` for this parameter.
    pub fn same(&self, p: &Params, q: &Params) -> bool {
        self.get_json(p) == self.get_json(q)
    }
}

/// A number written so that it parses back to the same bits.
pub fn num_exact(v: f64) -> String {
    let s = format!("{v}");
    if s == "-0" { "0".into() } else { s }
}

fn envelope_json(e: &Envelope) -> Value {
    match e.constant_value() {
        Some(v) => Value::from(v),
        None => Value::from(e.to_string()),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{s}\""),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "a table".into(),
    }
}

fn choice_ids(c: &[Choice]) -> String {
    c.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
}

fn choice_list(c: &[Choice]) -> String {
    let ids: Vec<&str> = c.iter().map(|c| c.id).collect();
    let aliases: Vec<String> = c
        .iter()
        .flat_map(|c| c.aliases.iter().map(move |a| format!("{a} for {}", c.id)))
        .collect();
    if aliases.is_empty() {
        ids.join(", ")
    } else {
        format!("{} ({})", ids.join(", "), aliases.join(", "))
    }
}

/// The defaults of every parameter (the Custom preset).
pub(crate) fn defaults() -> Params {
    let mut p = Params::blank();
    for s in &PARAMS {
        if !s.default.is_empty() {
            s.set_text(&mut p, s.default)
                .expect("the table's defaults parse");
        }
    }
    // Exactly 20 log10(0.99), not the rounded text.
    p.peak_db = default_peak_db();
    p
}

/// The values of preset `preset`: the defaults with the preset's column on top.
pub(crate) fn preset_params(preset: Preset) -> Params {
    let mut p = defaults();
    let Some(i) = Preset::ALL.iter().position(|&x| x == preset) else {
        return p;
    };
    if i >= 7 {
        return p;
    }
    for s in &PARAMS {
        if let Some(v) = s.presets {
            let r = match v[i] {
                PresetValue::Number(x) => s.set_json(&mut p, &Value::from(x)),
                PresetValue::Word(w) => s.set_text(&mut p, w),
            };
            r.expect("the table's preset values parse");
        }
    }
    p
}

/// One parameter as `gar presets --json` describes it (a UI builds its
/// control from this).
#[derive(Clone, Debug, Serialize)]
pub struct SpecInfo {
    pub id: &'static str,
    pub flag: String,
    pub aliases: Vec<String>,
    pub kind: Kind,
    pub unit: &'static str,
    pub range: String,
    /// Clamp range (null: none on that side).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Values must be > 0.
    pub positive: bool,
    /// Above this is an error.
    pub limit: Option<f64>,
    pub default: Option<&'static str>,
    pub varies: bool,
    pub group: Group,
    pub doc: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Each preset's value (ids as keys), for the parameters presets set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presets: Option<serde_json::Map<String, Value>>,
}

/// The presets for a front end: per preset its id, name, file name, number,
/// character and its value of every engine parameter (except the seed, the
/// duration and the diversity, which no preset sets). The `presets` list of
/// `gar presets --json`, Python's `gar.presets()` and the studio's.
pub fn describe_presets() -> Vec<serde_json::Value> {
    Preset::ALL
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
        .collect()
}

/// The whole table for a front end.
pub fn describe_all() -> Vec<SpecInfo> {
    PARAMS
        .iter()
        .map(|s| SpecInfo {
            id: s.id,
            flag: format!("--{}", s.flag),
            aliases: s.aliases.iter().map(|a| format!("--{a}")).collect(),
            kind: s.kind(),
            unit: s.unit,
            range: s.range_text(),
            min: s.min.is_finite().then_some(s.min),
            max: s.max.is_finite().then_some(s.max),
            positive: s.positive,
            limit: s.limit,
            default: (!s.default.is_empty()).then_some(s.default),
            varies: s.varies(),
            group: s.group,
            doc: s.doc,
            choices: s.choices().to_vec(),
            presets: s.presets.map(|v| {
                Preset::ALL[..7]
                    .iter()
                    .zip(v)
                    .map(|(p, v)| {
                        let j = match v {
                            PresetValue::Number(x) => Value::from(x),
                            PresetValue::Word(w) => Value::from(w),
                        };
                        (p.id().to_string(), j)
                    })
                    .collect()
            }),
        })
        .collect()
}
