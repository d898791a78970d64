//! Parameters, presets and the clamps of docs/algorithm.md, section 1.
//!
//! [`Params`] is what a user (or a preset) asks for; [`Settings`] is what a run
//! actually uses after validation, clamps and the derived rules, together with
//! the list of adjustments made on the way.

use serde::Serialize;
use std::fmt;

/// How each candidate grain is scored (docs/algorithm.md, section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreType {
    /// Windowed RMS power: loud moments repeat.
    Rms,
    /// Rising power only: attacks repeat (`transient` is an alias).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelMode {
    /// Keep every source channel; one plan drives all of them.
    Linked,
    /// Mix to mono first (the original's behaviour).
    Mono,
}

impl ChannelMode {
    pub fn id(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Mono => "mono",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "linked" => Some(Self::Linked),
            "mono" => Some(Self::Mono),
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalize {
    /// Sample peak at `peak_db` dBFS (the original's level by default).
    Peak,
    /// Integrated loudness (ITU-R BS.1770 / EBU R128) at `lufs`, the peak kept
    /// at or below `peak_db`.
    Loudness,
    /// No gain anywhere: grains keep the source's level.
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

    /// The preset's parameter values (docs/algorithm.md, section 1, preset table).
    pub fn params(self) -> Params {
        let d = Params::default();
        let Some(v) = PRESET_VALUES.iter().find(|v| v.preset == self) else {
            return d;
        };
        Params {
            grain_ms: v.grain_ms,
            hop_ms: v.hop_ms,
            cand_hop_ms: v.cand_hop_ms,
            alpha: v.alpha,
            floor_db: v.floor_db,
            score: v.score,
            transient_weight: v.transient_weight,
            time_jitter_ms: v.time_jitter_ms,
            pitch_jitter_st: v.pitch_jitter_st,
            recency: v.recency,
            wet: v.wet,
            ..d
        }
    }
}

/// One preset's values: the synthesis parameters a preset sets (everything
/// else stays at its default).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PresetValues {
    pub preset: Preset,
    pub grain_ms: f64,
    pub hop_ms: f64,
    pub cand_hop_ms: f64,
    pub alpha: f64,
    pub floor_db: f64,
    pub score: ScoreType,
    pub transient_weight: f64,
    pub time_jitter_ms: f64,
    pub pitch_jitter_st: f64,
    pub recency: f64,
    pub wet: f64,
}

const fn preset(
    preset: Preset,
    [grain_ms, hop_ms, cand_hop_ms, alpha, floor_db]: [f64; 5],
    score: ScoreType,
    [
        transient_weight,
        time_jitter_ms,
        pitch_jitter_st,
        recency,
        wet,
    ]: [f64; 5],
) -> PresetValues {
    PresetValues {
        preset,
        grain_ms,
        hop_ms,
        cand_hop_ms,
        alpha,
        floor_db,
        score,
        transient_weight,
        time_jitter_ms,
        pitch_jitter_st,
        recency,
        wet,
    }
}

/// The original's seven presets as data (docs/algorithm.md, section 1):
/// grain, hop, candidate hop (ms), alpha, floor (dB); score; transient
/// weight, time jitter (ms), pitch jitter (st), recency, wet (%).
#[rustfmt::skip]
pub const PRESET_VALUES: [PresetValues; 7] = [
    preset(Preset::SelfRemix,    [60.0, 30.0, 20.0, 3.0, -3.0],   ScoreType::Rms,   [0.3, 8.0, 0.0, 0.3, 100.0]),
    preset(Preset::Crystallize,  [40.0, 20.0, 15.0, 12.0, 3.0],   ScoreType::Rms,   [0.2, 3.0, 0.0, 0.4, 100.0]),
    preset(Preset::MotifExtract, [30.0, 15.0, 10.0, 25.0, 6.0],   ScoreType::Rms,   [0.0, 1.0, 0.0, 0.6, 100.0]),
    preset(Preset::OnsetHarvest, [50.0, 25.0, 15.0, 8.0, 2.0],    ScoreType::Onset, [1.0, 5.0, 0.0, 0.4, 100.0]),
    preset(Preset::Shimmer,      [20.0, 10.0, 10.0, 2.0, -6.0],   ScoreType::Rms,   [0.2, 4.0, 0.3, 0.2, 85.0]),
    preset(Preset::Slabs,        [300.0, 150.0, 50.0, 10.0, 2.0], ScoreType::Rms,   [0.0, 15.0, 0.0, 0.5, 100.0]),
    preset(Preset::Cloud,        [600.0, 300.0, 80.0, 4.0, -3.0], ScoreType::Mixed, [0.4, 30.0, 0.0, 0.3, 90.0]),
];

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a run asks for, before validation and clamps. `Default` is the
/// Custom preset (docs/algorithm.md, section 1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Params {
    /// Grain length, ms. Range 5..1000, typical 20..600. Default 50.
    pub grain_ms: f64,
    /// Synthesis hop between output grains, ms. >= 1 and <= grain/2. Default 25.
    pub hop_ms: f64,
    /// Hop between candidate grains in the source, ms. >= 1 and <= grain. Default 20.
    pub cand_hop_ms: f64,
    /// Attention sharpness (softmax inverse temperature). >= 0.01; 1-3 gentle,
    /// 5-10 crystallised, 15+ winner-take-most. Default 8.
    pub alpha: f64,
    /// ReLU gate floor relative to the mean score, dB. Any finite value. Default 0.
    pub floor_db: f64,
    /// Score type. Default rms.
    pub score: ScoreType,
    /// Weight of the onset score in `mixed`, 0..1. Default 0.5.
    pub transient_weight: f64,
    /// Random offset of each output grain, +/- ms. 0..hop. Default 5.
    pub time_jitter_ms: f64,
    /// Random varispeed shift of each grain, +/- semitones. 0..4. Default 0.
    pub pitch_jitter_st: f64,
    /// Penalty on the last picks, 0..1 (1 = never repeat the last grain). Default 0.5.
    pub recency: f64,
    /// Wet share of the output, percent 0..100. Default 100.
    pub wet: f64,
    /// Output duration, seconds; `None` = the source duration.
    pub duration_s: Option<f64>,
    /// Channel layout. Default linked.
    pub channels: ChannelMode,
    /// Softmax scale. Default range.
    pub attention_norm: AttentionNorm,
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
        Params {
            grain_ms: 50.0,
            hop_ms: 25.0,
            cand_hop_ms: 20.0,
            alpha: 8.0,
            floor_db: 0.0,
            score: ScoreType::Rms,
            transient_weight: 0.5,
            time_jitter_ms: 5.0,
            pitch_jitter_st: 0.0,
            recency: 0.5,
            wet: 100.0,
            duration_s: None,
            channels: ChannelMode::Linked,
            attention_norm: AttentionNorm::Range,
            normalize: Normalize::Peak,
            peak_db: default_peak_db(),
            lufs: DEFAULT_LUFS,
            dc_block: true,
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
        }
    }
}

impl std::error::Error for ParamError {}

/// The effective parameters of one run, after validation, clamps and the
/// derived rules, for a source of `len` frames at `sample_rate`.
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
    pub transient_weight: f64,
    pub time_jitter_ms: f64,
    pub pitch_jitter_st: f64,
    pub recency: f64,
    pub wet: f64,
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
    /// Every clamp or derived rule that changed a requested value, in words.
    pub adjustments: Vec<String>,
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
    /// Number of output channels for a source of `source_channels` channels.
    pub fn output_channels(&self, source_channels: usize) -> usize {
        match self.channels {
            ChannelMode::Mono => 1,
            ChannelMode::Linked => source_channels,
        }
    }
    /// Whether grains are pitch-shifted (docs/algorithm.md, section 6: jitter > 0.001 st).
    pub fn pitch_active(&self) -> bool {
        self.pitch_jitter_st > 0.001
    }
}

/// `floor(x)` with a relative tolerance of 1e-9, so that an exact multiple
/// computed in floating point is not lost (docs/algorithm.md, section 3).
pub fn tolerant_floor(x: f64) -> f64 {
    (x + 1e-9 * x.abs().max(1.0)).floor()
}

fn finite(name: &'static str, v: f64) -> Result<f64, ParamError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ParamError::NotFinite { name, value: v })
    }
}

fn positive(name: &'static str, v: f64) -> Result<f64, ParamError> {
    let v = finite(name, v)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(ParamError::NotPositive { name, value: v })
    }
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
    fn clamp(&mut self, flag: &str, unit: &str, v: f64, lo: f64, hi: f64) -> f64 {
        let c = v.clamp(lo, hi);
        if c != v {
            let allowed = if hi.is_finite() {
                format!("{}..{}{unit}", num(lo), num(hi))
            } else {
                format!(">= {}{unit}", num(lo))
            };
            self.adjustments.push(format!(
                "{flag} {}{unit} clamped to {}{unit} (allowed {allowed})",
                num(v),
                num(c),
            ));
        }
        c
    }
    fn note(&mut self, line: String) {
        self.adjustments.push(line);
    }
}

impl Params {
    /// Validates, clamps and derives the effective settings for a source of
    /// `source_len` frames at `sample_rate` Hz (docs/algorithm.md, section 1).
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
        // Validation first: every value must be usable.
        let grain = positive("--grain-ms", self.grain_ms)?;
        let hop = positive("--hop-ms", self.hop_ms)?;
        let cand = positive("--cand-hop-ms", self.cand_hop_ms)?;
        let alpha = positive("--alpha", self.alpha)?;
        let floor_db = finite("--floor-db", self.floor_db)?;
        let tw = finite("--transient-weight", self.transient_weight)?;
        let tj = finite("--time-jitter-ms", self.time_jitter_ms)?;
        let pj = finite("--pitch-jitter-st", self.pitch_jitter_st)?;
        let rec = finite("--recency", self.recency)?;
        let wet = finite("--wet", self.wet)?;
        let peak_db = finite("--peak-db", self.peak_db)?;
        let lufs = finite("--lufs", self.lufs)?;
        let duration = match self.duration_s {
            Some(d) => {
                let d = positive("--duration", d)?;
                if d > MAX_OUTPUT_S {
                    return Err(ParamError::TooLarge {
                        name: "--duration",
                        value: d,
                        max: MAX_OUTPUT_S,
                        unit: "s",
                    });
                }
                Some(d)
            }
            None => None,
        };
        if src_s < MIN_SOURCE_S {
            return Err(ParamError::SourceTooShort { seconds: src_s });
        }

        let mut c = Clamper {
            adjustments: Vec::new(),
        };
        let mut grain = c.clamp("--grain-ms", " ms", grain, 5.0, 1000.0);
        let mut hop = c.clamp("--hop-ms", " ms", hop, 1.0, f64::INFINITY);
        let mut cand = c.clamp("--cand-hop-ms", " ms", cand, 1.0, f64::INFINITY);
        let alpha = c.clamp("--alpha", "", alpha, 0.01, f64::INFINITY);
        let tw = c.clamp("--transient-weight", "", tw, 0.0, 1.0);
        let mut tj = c.clamp("--time-jitter-ms", " ms", tj, 0.0, f64::INFINITY);
        let pj = c.clamp("--pitch-jitter-st", " st", pj, 0.0, 4.0);
        let rec = c.clamp("--recency", "", rec, 0.0, 1.0);
        let wet = c.clamp("--wet", " %", wet, 0.0, 100.0);
        let peak_db = c.clamp(
            "--peak-db",
            " dBFS",
            peak_db,
            PEAK_DB_RANGE.0,
            PEAK_DB_RANGE.1,
        );
        let lufs = c.clamp("--lufs", " LUFS", lufs, LUFS_RANGE.0, LUFS_RANGE.1);

        // Derived rules, in the order of docs/algorithm.md, section 1.
        let src_ms = src_s * 1000.0;
        if grain > src_ms {
            c.note(format!(
                "grain {} ms is longer than the source; shortened to {} ms",
                num(grain),
                num(src_ms)
            ));
            grain = src_ms;
        }
        if hop > grain / 2.0 {
            c.note(format!(
                "hop {} ms clamped to grain/2 = {} ms",
                num(hop),
                num(grain / 2.0)
            ));
            hop = grain / 2.0;
        }
        if hop < 1.0 {
            // Only reachable when the source is shorter than 2 ms of grain, which
            // the 50 ms minimum excludes; kept for the rule's sake.
            hop = 1.0;
        }
        if cand > grain {
            c.note(format!(
                "candidate hop {} ms clamped to the grain size {} ms",
                num(cand),
                num(grain)
            ));
            cand = grain;
        }
        if tj > hop {
            c.note(format!(
                "time jitter {} ms shortened to the hop {} ms",
                num(tj),
                num(hop)
            ));
            tj = hop;
        }

        Ok(Settings {
            preset,
            sample_rate,
            source_len,
            grain_ms: grain,
            hop_ms: hop,
            cand_hop_ms: cand,
            alpha,
            floor_db,
            score: self.score,
            transient_weight: tw,
            time_jitter_ms: tj,
            pitch_jitter_st: pj,
            recency: rec,
            wet,
            duration_s: duration.unwrap_or(src_s),
            channels: self.channels,
            attention_norm: self.attention_norm,
            normalize: self.normalize,
            peak_db,
            lufs,
            dc_block: self.dc_block,
            adjustments: c.adjustments,
        })
    }
}
