//! Parameters, presets and the clamps of docs/algorithm.md, section 1.
//!
//! [`Params`] is what a user (or a preset) asks for; [`Settings`] is what a run
//! actually uses after validation, clamps and the derived rules, together with
//! the list of adjustments made on the way.

use crate::envelope::{Envelope, EnvelopeError, ResolvedEnvelope};
use crate::table::{Access, PARAMS, ParamSpec};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How each candidate grain is scored (docs/algorithm.md, section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreType {
    /// Windowed RMS power: loud moments repeat.
    Rms,
    /// Rising power only: attacks repeat (`transient` is an alias).
    #[serde(alias = "transient")]
    Onset,
    /// Absolute power change: attacks and decays.
    Edge,
    /// `(1 - tw) * rms + tw * onset`.
    Mixed,
}

impl ScoreType {
    pub const ALL: [ScoreType; 4] = [Self::Rms, Self::Onset, Self::Edge, Self::Mixed];
    pub fn id(self) -> &'static str {
        match self {
            Self::Rms => "rms",
            Self::Onset => "onset",
            Self::Edge => "edge",
            Self::Mixed => "mixed",
        }
    }
    /// Parses `rms`, `onset` (alias `transient`), `edge`, `mixed`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "rms" => Some(Self::Rms),
            "onset" | "transient" => Some(Self::Onset),
            "edge" => Some(Self::Edge),
            "mixed" => Some(Self::Mixed),
            _ => None,
        }
    }
}

impl fmt::Display for ScoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The softmax scale (docs/algorithm.md, section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttentionNorm {
    /// gar's default: `scale = max score - floor value`.
    Range,
    /// The original: `scale = mean score`.
    Mean,
}

impl AttentionNorm {
    pub fn id(self) -> &'static str {
        match self {
            Self::Range => "range",
            Self::Mean => "mean",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "range" => Some(Self::Range),
            "mean" => Some(Self::Mean),
            _ => None,
        }
    }
}

impl fmt::Display for AttentionNorm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Output channel layout (docs/algorithm.md, section 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelMode {
    /// Keep every source channel; one plan drives all of them.
    Linked,
    /// Mix to mono first (the original's behaviour).
    Mono,
    /// Every channel attends to its own salient moments: one analysis,
    /// attention and plan per channel (section 14).
    Independent,
}

impl ChannelMode {
    pub fn id(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Mono => "mono",
            Self::Independent => "independent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "linked" => Some(Self::Linked),
            "mono" => Some(Self::Mono),
            "independent" => Some(Self::Independent),
            _ => None,
        }
    }
}

impl fmt::Display for ChannelMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How the finished output's level is set (docs/algorithm.md, section 8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalize {
    /// Sample peak at `peak_db` dBFS (the original's level by default).
    Peak,
    /// Integrated loudness (ITU-R BS.1770 / EBU R128) at `lufs`, the peak kept
    /// at or below `peak_db`.
    #[serde(alias = "lufs")]
    Loudness,
    /// No gain anywhere: grains keep the source's level.
    #[serde(alias = "off")]
    None,
}

impl Normalize {
    pub const ALL: [Normalize; 3] = [Self::Peak, Self::Loudness, Self::None];
    pub fn id(self) -> &'static str {
        match self {
            Self::Peak => "peak",
            Self::Loudness => "loudness",
            Self::None => "none",
        }
    }
    /// Parses `peak`, `loudness` (alias `lufs`), `none` (alias `off`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "peak" => Some(Self::Peak),
            "loudness" | "lufs" => Some(Self::Loudness),
            "none" | "off" => Some(Self::None),
            _ => None,
        }
    }
}

impl fmt::Display for Normalize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Default output peak, dBFS: `20 log10(0.99)`, the original's level.
pub fn default_peak_db() -> f64 {
    20.0 * 0.99f64.log10()
}
/// Default loudness target, LUFS.
pub const DEFAULT_LUFS: f64 = -16.0;
/// Range of `peak_db`, dBFS.
pub const PEAK_DB_RANGE: (f64, f64) = (-60.0, 0.0);
/// Range of `lufs`, LUFS.
pub const LUFS_RANGE: (f64, f64) = (-70.0, 0.0);

/// The original's seven strategies plus Custom (the defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Preset {
    SelfRemix,
    Crystallize,
    MotifExtract,
    OnsetHarvest,
    Shimmer,
    Slabs,
    Cloud,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 8] = [
        Self::SelfRemix,
        Self::Crystallize,
        Self::MotifExtract,
        Self::OnsetHarvest,
        Self::Shimmer,
        Self::Slabs,
        Self::Cloud,
        Self::Custom,
    ];

    /// CLI id, e.g. `self-remix`.
    pub fn id(self) -> &'static str {
        match self {
            Self::SelfRemix => "self-remix",
            Self::Crystallize => "crystallize",
            Self::MotifExtract => "motif-extract",
            Self::OnsetHarvest => "onset-harvest",
            Self::Shimmer => "shimmer",
            Self::Slabs => "slabs",
            Self::Cloud => "cloud",
            Self::Custom => "custom",
        }
    }

    /// Name as the original writes it in output file names, e.g. `SelfRemix`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::SelfRemix => "SelfRemix",
            Self::Crystallize => "Crystallize",
            Self::MotifExtract => "MotifExtract",
            Self::OnsetHarvest => "OnsetHarvest",
            Self::Shimmer => "Shimmer",
            Self::Slabs => "Slabs",
            Self::Cloud => "Cloud",
            Self::Custom => "Custom",
        }
    }

    /// Human title, e.g. `Self-Remix`.
    pub fn title(self) -> &'static str {
        match self {
            Self::SelfRemix => "Self-Remix",
            Self::Crystallize => "Crystallize",
            Self::MotifExtract => "Motif Extract",
            Self::OnsetHarvest => "Onset Harvest",
            Self::Shimmer => "Shimmer",
            Self::Slabs => "Slabs",
            Self::Cloud => "Cloud",
            Self::Custom => "Custom",
        }
    }

    /// One line on what the preset is for (from the original's guide).
    pub fn character(self) -> &'static str {
        match self {
            Self::SelfRemix => "gentle competition, most grains used: textural self-remix",
            Self::Crystallize => "energetic moments dominate, texture crystallizes",
            Self::MotifExtract => "winner-take-most: few grains repeat, stutter",
            Self::OnsetHarvest => "attacks and onsets repeat: percussive, glitchy",
            Self::Shimmer => "small grains, light pitch jitter: shimmering",
            Self::Slabs => "large slabs, moderate competition: mosaic",
            Self::Cloud => "very large grains, gentle competition: drifting",
            Self::Custom => "the defaults; set every flag yourself",
        }
    }

    /// Parses a CLI id (`self-remix`), the file name (`SelfRemix`) or the
    /// original's preset number (`2`..`8`, `1` = custom).
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        if norm.is_empty()
            || !norm.chars().all(|c| c.is_ascii_alphanumeric())
            || s.trim().starts_with('-')
        {
            return None;
        }
        Self::ALL.into_iter().find(|p| {
            p.id().replace('-', "") == norm
                || p.file_name().to_ascii_lowercase() == norm
                || p.number().to_string() == norm
        })
    }

    /// The original's preset number (1 = Custom, 2 = Self-Remix ... 8 = Cloud).
    pub fn number(self) -> u8 {
        match self {
            Self::Custom => 1,
            Self::SelfRemix => 2,
            Self::Crystallize => 3,
            Self::MotifExtract => 4,
            Self::OnsetHarvest => 5,
            Self::Shimmer => 6,
            Self::Slabs => 7,
            Self::Cloud => 8,
        }
    }

    /// The preset's parameter values (docs/algorithm.md, section 1, preset
    /// table): the parameter table's defaults with the preset's column of
    /// [`crate::table::PARAMS`] on top.
    pub fn params(self) -> Params {
        crate::table::preset_params(self)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a run asks for, before validation and clamps. `Default` is the
/// Custom preset (docs/algorithm.md, section 1). The parameter table
/// ([`crate::table::PARAMS`]) describes every field: unit, range, default,
/// doc. Synthesis parameters are [`Envelope`]s over output time (a constant
/// is an envelope too, section 12). Serialises to (and reads from) the keys
/// of a params file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Grain length, ms. Range 5..1000. Default 50.
    pub grain_ms: Envelope,
    /// Synthesis hop between output grains, ms. >= 1 and <= grain/2. Default 25.
    pub hop_ms: Envelope,
    /// Hop between candidate grains in the source, ms. >= 1 and <= grain. Default 20.
    pub cand_hop_ms: f64,
    /// Attention sharpness (softmax inverse temperature). >= 0.01. Default 8.
    pub alpha: Envelope,
    /// Instead of alpha: the effective share of the active grains, percent
    /// (0 < D <= 100; section 13). `None`: alpha is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversity: Option<Envelope>,
    /// ReLU gate floor relative to the mean score, dB. Default 0.
    pub floor_db: Envelope,
    /// Score type. Default rms. Not used when `mix` is set.
    pub score: ScoreType,
    /// The score as a weighted mix of drivers (section 15), set by
    /// `--score` with anything but the four score types; `None`: `score`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<crate::analysis::Mix>,
    /// Drivers computed and reported beyond the score's (`--drivers all`).
    pub drivers: crate::analysis::DriverSet,
    /// Weight of the onset score in `mixed`, 0..1. Default 0.5.
    pub transient_weight: f64,
    /// Random offset of each output grain, +/- ms. 0..hop. Default 5.
    pub time_jitter_ms: Envelope,
    /// Random varispeed shift of each grain, +/- semitones. 0..4. Default 0.
    pub pitch_jitter_st: Envelope,
    /// Transposition of every grain, semitones, -24..24. Default 0.
    pub pitch_st: Envelope,
    /// Penalty on the last picks, 0..1 (1 = never repeat the last grain). Default 0.5.
    pub recency: Envelope,
    /// Wet share of the output, percent 0..100. Default 100.
    pub wet: Envelope,
    /// Stereo spread of the grains, 0..1 (section 14). Default 0.
    pub spread: Envelope,
    /// Output duration, seconds; `None` = the source duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Channel layout. Default linked.
    pub channels: ChannelMode,
    /// Softmax scale. Default range.
    pub attention_norm: AttentionNorm,
    /// Random seed; 0 = draw one from the OS (and report it).
    pub seed: u64,
    /// Output level rule. Default peak.
    pub normalize: Normalize,
    /// Output sample peak (peak) or peak ceiling (loudness), dBFS, -60..0.
    /// Default `20 log10(0.99)` = -0.09.
    pub peak_db: f64,
    /// Loudness target, LUFS, -70..0. Default -16.
    pub lufs: f64,
    /// DC high-pass on the output (docs/algorithm.md, section 8.4). Default on.
    pub dc_block: bool,
}

impl Default for Params {
    fn default() -> Self {
        crate::table::defaults()
    }
}

impl Params {
    /// Every field zero (the table's defaults are set on top of this).
    pub(crate) fn blank() -> Params {
        let z = || Envelope::constant(0.0);
        Params {
            grain_ms: z(),
            hop_ms: z(),
            cand_hop_ms: 0.0,
            alpha: z(),
            diversity: None,
            floor_db: z(),
            score: ScoreType::Rms,
            mix: None,
            drivers: crate::analysis::DriverSet::NONE,
            transient_weight: 0.0,
            time_jitter_ms: z(),
            pitch_jitter_st: z(),
            pitch_st: z(),
            recency: z(),
            wet: z(),
            spread: z(),
            duration_s: None,
            channels: ChannelMode::Linked,
            attention_norm: AttentionNorm::Range,
            seed: 0,
            normalize: Normalize::Peak,
            peak_db: 0.0,
            lufs: 0.0,
            dc_block: false,
        }
    }
}

/// Minimum source length (docs/algorithm.md, section 1).
pub const MIN_SOURCE_S: f64 = 0.050;
/// Longest output gar will render, seconds (24 hours). Longer requests are
/// refused: the output buffer alone would need tens of gigabytes.
pub const MAX_OUTPUT_S: f64 = 24.0 * 3600.0;

/// A parameter that cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamError {
    /// NaN or infinity.
    NotFinite { name: &'static str, value: f64 },
    /// Must be strictly positive.
    NotPositive { name: &'static str, value: f64 },
    /// Above a hard limit.
    TooLarge {
        name: &'static str,
        value: f64,
        max: f64,
        unit: &'static str,
    },
    /// The source is shorter than [`MIN_SOURCE_S`].
    SourceTooShort { seconds: f64 },
    /// A zero sample rate.
    ZeroSampleRate,
    /// A value of the wrong kind, or a word that is not one of the choices.
    Invalid { name: &'static str, message: String },
    /// A malformed envelope.
    Envelope {
        name: &'static str,
        error: EnvelopeError,
    },
    /// Two parameters that cannot be given together.
    Conflict {
        name: &'static str,
        other: &'static str,
        message: String,
    },
}

impl ParamError {
    /// The parameter the error is about (a table id), if it is about one.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            Self::NotFinite { name, .. }
            | Self::NotPositive { name, .. }
            | Self::TooLarge { name, .. }
            | Self::Invalid { name, .. }
            | Self::Envelope { name, .. }
            | Self::Conflict { name, .. } => Some(name),
            Self::SourceTooShort { .. } | Self::ZeroSampleRate => None,
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFinite { name, value } => {
                write!(f, "{name} must be a finite number, got {value}")
            }
            Self::NotPositive { name, value } => write!(f, "{name} must be > 0, got {value}"),
            Self::TooLarge {
                name,
                value,
                max,
                unit,
            } => write!(f, "{name} must be at most {max} {unit}, got {value}"),
            Self::SourceTooShort { seconds } => write!(
                f,
                "the source is {:.1} ms long; gar needs at least {:.0} ms of audio",
                seconds * 1000.0,
                MIN_SOURCE_S * 1000.0
            ),
            Self::ZeroSampleRate => write!(f, "the sample rate must be > 0 Hz, got 0"),
            Self::Invalid { name, message } => write!(f, "{name}: {message}"),
            Self::Envelope { name, error } => write!(f, "{name}: {error}"),
            Self::Conflict { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ParamError {}

/// The effective parameters of one run, after validation, clamps and the
/// derived rules, for a source of `len` frames at `sample_rate`.
///
/// The number fields of the parameters that may vary (`grain_ms`, `alpha`,
/// ...) hold their value at output time 0, which is their value everywhere
/// when they are constant; [`Settings::curves`] holds them over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub preset: Preset,
    pub sample_rate: u32,
    /// Source length, frames.
    pub source_len: usize,
    pub grain_ms: f64,
    pub hop_ms: f64,
    pub cand_hop_ms: f64,
    pub alpha: f64,
    pub floor_db: f64,
    pub score: ScoreType,
    /// The score as a mix of drivers (section 15); `None`: `score`.
    pub mix: Option<crate::analysis::Mix>,
    /// Drivers computed and reported beyond the score's.
    pub drivers: crate::analysis::DriverSet,
    pub transient_weight: f64,
    pub time_jitter_ms: f64,
    pub pitch_jitter_st: f64,
    pub pitch_st: f64,
    pub recency: f64,
    pub wet: f64,
    /// Spread at output time 0 (see `curves.spread`).
    pub spread: f64,
    /// Output duration, seconds.
    pub duration_s: f64,
    pub channels: ChannelMode,
    pub attention_norm: AttentionNorm,
    pub normalize: Normalize,
    /// dBFS.
    pub peak_db: f64,
    /// LUFS.
    pub lufs: f64,
    pub dc_block: bool,
    /// The parameters over output time, placed on the output's duration.
    pub curves: Curves,
    /// The parameters after the clamps and derived rules, as a params file
    /// writes them (the seed is the caller's: see [`crate::prepare`]).
    pub effective: Params,
    /// Every clamp or derived rule that changed a requested value, in words;
    /// each line starts with the parameter's id.
    pub adjustments: Vec<String>,
}

/// The parameters that may vary, over output time (docs/algorithm.md, section 12).
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    pub grain_ms: ResolvedEnvelope,
    pub hop_ms: ResolvedEnvelope,
    pub alpha: ResolvedEnvelope,
    pub floor_db: ResolvedEnvelope,
    pub time_jitter_ms: ResolvedEnvelope,
    pub pitch_jitter_st: ResolvedEnvelope,
    pub pitch_st: ResolvedEnvelope,
    pub recency: ResolvedEnvelope,
    pub wet: ResolvedEnvelope,
    pub spread: ResolvedEnvelope,
    /// Section 13; `None` when alpha is given.
    pub diversity: Option<ResolvedEnvelope>,
    /// The weight of each term of the score's mix (section 15), in the
    /// mix's order; empty without a mix.
    pub weights: Vec<ResolvedEnvelope>,
}

impl Curves {
    /// Whether every parameter is constant.
    pub fn all_constant(&self) -> bool {
        self.list()
            .iter()
            .all(|(_, c)| c.constant_value().is_some())
            && self
                .diversity
                .as_ref()
                .is_none_or(|d| d.constant_value().is_some())
            && !self.weights_vary()
    }
    /// Whether a weight of the score's mix changes over time.
    pub fn weights_vary(&self) -> bool {
        self.weights.iter().any(|w| w.constant_value().is_none())
    }
    /// `(id, curve)` of each, in the table's order (diversity apart).
    pub fn list(&self) -> [(&'static str, &ResolvedEnvelope); 10] {
        [
            ("grain_ms", &self.grain_ms),
            ("hop_ms", &self.hop_ms),
            ("alpha", &self.alpha),
            ("floor_db", &self.floor_db),
            ("time_jitter_ms", &self.time_jitter_ms),
            ("pitch_jitter_st", &self.pitch_jitter_st),
            ("pitch_st", &self.pitch_st),
            ("recency", &self.recency),
            ("wet", &self.wet),
            ("spread", &self.spread),
        ]
    }
    /// Whether the attention itself (alpha, floor or diversity) changes over time.
    pub fn attention_varies(&self) -> bool {
        self.alpha.constant_value().is_none()
            || self.floor_db.constant_value().is_none()
            || self
                .diversity
                .as_ref()
                .is_some_and(|d| d.constant_value().is_none())
    }
    /// Whether the hop times are not simply `h * hop`: the hop, or the
    /// grain that limits it to grain/2, varies.
    pub fn hop_varies(&self) -> bool {
        match (self.hop_ms.constant_value(), self.grain_ms.constant_value()) {
            (Some(_), Some(_)) => false,
            (Some(h), None) => {
                h > 0.5
                    * self
                        .grain_ms
                        .values()
                        .iter()
                        .cloned()
                        .fold(f64::INFINITY, f64::min)
            }
            _ => true,
        }
    }
}

impl Settings {
    /// Grain length in samples, `L = round(grain_ms * sr / 1000)`.
    pub fn grain_len(&self) -> usize {
        ((self.grain_ms * self.sample_rate as f64 / 1000.0).round() as usize)
            .clamp(1, self.source_len.max(1))
    }
    pub fn grain_s(&self) -> f64 {
        self.grain_ms / 1000.0
    }
    pub fn hop_s(&self) -> f64 {
        self.hop_ms / 1000.0
    }
    pub fn cand_hop_s(&self) -> f64 {
        self.cand_hop_ms / 1000.0
    }
    pub fn time_jitter_s(&self) -> f64 {
        self.time_jitter_ms / 1000.0
    }
    /// Source duration, seconds.
    pub fn source_s(&self) -> f64 {
        self.source_len as f64 / self.sample_rate as f64
    }
    /// Output length in frames, `round(D_out * sr)`.
    pub fn output_len(&self) -> usize {
        (self.duration_s * self.sample_rate as f64).round() as usize
    }
    /// Number of output channels for a source of `source_channels` channels:
    /// two with a spread (section 14), one for mono, else one per source channel.
    pub fn output_channels(&self, source_channels: usize) -> usize {
        if self.spreads() {
            return 2;
        }
        match self.channels {
            ChannelMode::Mono => 1,
            ChannelMode::Linked | ChannelMode::Independent => source_channels,
        }
    }

    /// Whether grains are spread over the stereo field: the spread is above
    /// 0 somewhere.
    pub fn spreads(&self) -> bool {
        self.curves.spread.values().iter().any(|&v| v > 0.0)
    }

    /// Whether a source of `source_channels` can take these settings: a
    /// spread needs one or two source channels (or mono).
    pub fn check_channels(&self, source_channels: usize) -> Result<(), ParamError> {
        if self.spreads() && self.channels != ChannelMode::Mono && source_channels > 2 {
            return Err(ParamError::Conflict {
                name: "spread",
                other: "channels",
                message: format!(
                    "spread places grains between two speakers, but the source has {source_channels} \
                     channels; use channels mono (mix first, then spread), or channels \
                     independent or linked without spread"
                ),
            });
        }
        Ok(())
    }

    /// The drivers the analysis computes: the mix's and `drivers`.
    pub fn drivers_needed(&self) -> crate::analysis::DriverSet {
        match &self.mix {
            Some(m) => self.drivers.union(m.drivers()),
            None => self.drivers,
        }
    }
    /// Whether grains are pitch-shifted by jitter at output time 0
    /// (docs/algorithm.md, section 6: jitter > 0.001 st).
    pub fn pitch_active(&self) -> bool {
        self.pitch_jitter_st > 0.001
    }
}

/// `floor(x)` with a relative tolerance of 1e-9, so that an exact multiple
/// computed in floating point is not lost (docs/algorithm.md, section 3).
pub fn tolerant_floor(x: f64) -> f64 {
    (x + 1e-9 * x.abs().max(1.0)).floor()
}

/// Formats a number the short way for adjustment lines (`50`, `0.3`, `1e300`).
pub fn num(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("{v:e}")
    } else {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    }
}

struct Clamper {
    adjustments: Vec<String>,
}

impl Clamper {
    fn clamp(&mut self, spec: &ParamSpec, v: f64) -> f64 {
        let c = v.clamp(spec.min, spec.max);
        if c != v {
            let unit = unit(spec);
            self.adjustments.push(format!(
                "{} {}{unit} clamped to {}{unit} (allowed {})",
                spec.id,
                num(v),
                num(c),
                spec.range_text(),
            ));
        }
        c
    }
    fn note(&mut self, line: String) {
        self.adjustments.push(line);
    }
}

fn unit(spec: &ParamSpec) -> String {
    if spec.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", spec.unit)
    }
}

/// A number's checks: finite, > 0 when the table says so, at most its limit.
fn check_value(spec: &ParamSpec, v: f64) -> Result<f64, ParamError> {
    if !v.is_finite() {
        return Err(ParamError::NotFinite {
            name: spec.id,
            value: v,
        });
    }
    if spec.positive && v <= 0.0 {
        return Err(ParamError::NotPositive {
            name: spec.id,
            value: v,
        });
    }
    if let Some(max) = spec.limit
        && v > max
    {
        return Err(ParamError::TooLarge {
            name: spec.id,
            value: v,
            max,
            unit: spec.unit,
        });
    }
    Ok(v)
}

/// An envelope's checks and clamps, every breakpoint like a constant.
fn clamp_envelope(c: &mut Clamper, spec: &ParamSpec, e: &Envelope) -> Result<Envelope, ParamError> {
    for p in e.points() {
        check_value(spec, p.value)?;
    }
    if let Some(v) = e.constant_value() {
        return Ok(Envelope::constant(c.clamp(spec, v)));
    }
    let mut changed = Vec::new();
    let out = e.map_values(|v| {
        let x = v.clamp(spec.min, spec.max);
        if x != v {
            changed.push((v, x));
        }
        x
    });
    if !changed.is_empty() {
        let unit = unit(spec);
        let list: Vec<String> = changed
            .iter()
            .map(|(v, x)| format!("{}{unit} to {}{unit}", num(*v), num(*x)))
            .collect();
        c.note(format!(
            "{} breakpoints clamped: {} (allowed {}); now \"{out}\"",
            spec.id,
            list.join(", "),
            spec.range_text()
        ));
    }
    Ok(out)
}

impl Params {
    /// Checks every value without a source (finite, > 0 where required,
    /// within hard limits, envelopes well formed) and applies the table's
    /// clamps. Returns the clamped parameters and the adjustment lines.
    /// Resolving against a source ([`Params::resolve`]) is the second step.
    pub fn checked(&self) -> Result<(Params, Vec<String>), ParamError> {
        let mut c = Clamper {
            adjustments: Vec::new(),
        };
        let mut out = self.clone();
        for spec in &PARAMS {
            match spec.access {
                Access::Curve(get, set) => {
                    let e = clamp_envelope(&mut c, spec, get(self))?;
                    *set(&mut out) = e;
                }
                Access::OptCurve(get, set) => {
                    if let Some(e) = get(self) {
                        let e = clamp_envelope(&mut c, spec, e)?;
                        *set(&mut out) = Some(e);
                    }
                }
                Access::Number(get, set) => {
                    let v = check_value(spec, *get(self))?;
                    *set(&mut out) = c.clamp(spec, v);
                }
                Access::OptNumber(get, set) => {
                    if let Some(v) = *get(self) {
                        let v = check_value(spec, v)?;
                        *set(&mut out) = Some(c.clamp(spec, v));
                    }
                }
                Access::Choice(..) | Access::Switch(..) | Access::Count(..) | Access::Text(..) => {}
            }
        }
        if out.channels == ChannelMode::Independent && out.spread.max_value() > 0.0 {
            return Err(ParamError::Conflict {
                name: "spread",
                other: "channels",
                message: "spread with channels independent: one pan per grain needs one plan \
                          for all channels; use channels linked (or mono) with spread, or \
                          independent without it"
                    .into(),
            });
        }
        Ok((out, c.adjustments))
    }

    /// [`Params::checked`] without the result: whether every value is usable.
    pub fn validate(&self) -> Result<(), ParamError> {
        self.checked().map(|_| ())
    }

    /// Validates, clamps and derives the effective settings for a source of
    /// `source_len` frames at `sample_rate` Hz (docs/algorithm.md, sections
    /// 1 and 12).
    pub fn resolve(
        &self,
        preset: Preset,
        sample_rate: u32,
        source_len: usize,
    ) -> Result<Settings, ParamError> {
        if sample_rate == 0 {
            return Err(ParamError::ZeroSampleRate);
        }
        let sr = sample_rate as f64;
        let src_s = source_len as f64 / sr;
        // Validation first: every value must be usable; then the clamps.
        let (mut e, adjustments) = self.checked()?;
        if src_s < MIN_SOURCE_S {
            return Err(ParamError::SourceTooShort { seconds: src_s });
        }
        let mut c = Clamper { adjustments };

        // Derived rules, in the order of docs/algorithm.md, section 1; on
        // constants as the original does, on envelopes per hop (the planner).
        let src_ms = src_s * 1000.0;
        if e.grain_ms.max_value() > src_ms {
            match e.grain_ms.constant_value() {
                Some(g) => c.note(format!(
                    "grain {} ms is longer than the source; shortened to {} ms",
                    num(g),
                    num(src_ms)
                )),
                None => c.note(format!(
                    "grain_ms breakpoints above the source's length are shortened to {} ms",
                    num(src_ms)
                )),
            }
            e.grain_ms = e.grain_ms.map_values(|v| v.min(src_ms));
        }
        let grain_min = e.grain_ms.min_value();
        match (e.hop_ms.constant_value(), e.grain_ms.constant_value()) {
            (Some(hop), Some(grain)) => {
                let mut hop = hop;
                if hop > grain / 2.0 {
                    c.note(format!(
                        "hop {} ms clamped to grain/2 = {} ms",
                        num(hop),
                        num(grain / 2.0)
                    ));
                    hop = grain / 2.0;
                }
                // Only below 1 ms when the source is shorter than 2 ms of
                // grain, which the 50 ms minimum excludes; kept for the rule's sake.
                e.hop_ms = Envelope::constant(hop.max(1.0));
            }
            _ => {
                if e.hop_ms.max_value() > grain_min / 2.0 {
                    c.note(
                        "hop_ms is limited to grain/2 at each hop where the grain is shorter \
                         than twice the hop"
                            .into(),
                    );
                }
            }
        }
        let grain0 = e.grain_ms.points()[0].value;
        if e.cand_hop_ms > grain0 {
            c.note(format!(
                "candidate hop {} ms clamped to the grain size {} ms",
                num(e.cand_hop_ms),
                num(grain0)
            ));
            e.cand_hop_ms = grain0;
        }
        // The hop is one constant when neither it nor the grain limiting it varies.
        let fixed_hop = e.grain_ms.is_constant() || e.hop_ms.max_value() <= grain_min / 2.0;
        match (e.time_jitter_ms.constant_value(), e.hop_ms.constant_value()) {
            (Some(tj), Some(hop)) if fixed_hop => {
                if tj > hop {
                    c.note(format!(
                        "time jitter {} ms shortened to the hop {} ms",
                        num(tj),
                        num(hop)
                    ));
                    e.time_jitter_ms = Envelope::constant(hop);
                }
            }
            _ => {
                let hop_min = e.hop_ms.min_value().min(grain_min / 2.0);
                if e.time_jitter_ms.max_value() > hop_min {
                    c.note(
                        "time_jitter_ms is limited to the hop at each hop where it is longer"
                            .into(),
                    );
                }
            }
        }

        let duration = e.duration_s.unwrap_or(src_s);
        let place = |id: &'static str, env: &Envelope| {
            env.resolve(duration)
                .map_err(|error| ParamError::Envelope { name: id, error })
        };
        let curves = Curves {
            grain_ms: place("grain_ms", &e.grain_ms)?,
            hop_ms: place("hop_ms", &e.hop_ms)?,
            alpha: place("alpha", &e.alpha)?,
            floor_db: place("floor_db", &e.floor_db)?,
            time_jitter_ms: place("time_jitter_ms", &e.time_jitter_ms)?,
            pitch_jitter_st: place("pitch_jitter_st", &e.pitch_jitter_st)?,
            pitch_st: place("pitch_st", &e.pitch_st)?,
            recency: place("recency", &e.recency)?,
            wet: place("wet", &e.wet)?,
            spread: place("spread", &e.spread)?,
            diversity: match &e.diversity {
                Some(d) => Some(place("diversity", d)?),
                None => None,
            },
            weights: match &e.mix {
                Some(m) => m
                    .terms
                    .iter()
                    .map(|t| place("score", &t.weight))
                    .collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
        };
        if curves.weights_vary() && curves.diversity.is_some() {
            return Err(ParamError::Conflict {
                name: "diversity",
                other: "score",
                message: "diversity solves alpha for one score, and score weights that vary \
                          over time make a new score along the output; give alpha (it may \
                          vary too) instead of diversity, or constant weights"
                    .into(),
            });
        }
        let at0 = |r: &ResolvedEnvelope| r.value_at(0.0);
        Ok(Settings {
            preset,
            sample_rate,
            source_len,
            grain_ms: at0(&curves.grain_ms),
            hop_ms: at0(&curves.hop_ms)
                .min(at0(&curves.grain_ms) / 2.0)
                .max(1.0),
            cand_hop_ms: e.cand_hop_ms,
            alpha: at0(&curves.alpha),
            floor_db: at0(&curves.floor_db),
            score: e.score,
            mix: e.mix.clone(),
            drivers: e.drivers,
            transient_weight: e.transient_weight,
            time_jitter_ms: at0(&curves.time_jitter_ms),
            pitch_jitter_st: at0(&curves.pitch_jitter_st),
            pitch_st: at0(&curves.pitch_st),
            recency: at0(&curves.recency),
            wet: at0(&curves.wet),
            spread: at0(&curves.spread),
            duration_s: duration,
            channels: e.channels,
            attention_norm: e.attention_norm,
            normalize: e.normalize,
            peak_db: e.peak_db,
            lufs: e.lufs,
            dc_block: e.dc_block,
            curves,
            effective: e,
            adjustments: c.adjustments,
        })
    }
}
