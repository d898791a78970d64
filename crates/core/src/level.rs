//! The output level (docs/algorithm.md, section 8.5): peak, loudness or none.
//!
//! The loudness measurement itself (ITU-R BS.1770-4 / EBU R128 integrated
//! loudness) is [`crate::loudness`]; it is re-exported here.

use crate::params::{Normalize, Settings};

pub use crate::loudness::{LoudnessStream, loudness};

/// The linear peak for `peak_db` dBFS (exactly 0.99 for the default).
pub fn peak_target(peak_db: f64) -> f64 {
    if peak_db == crate::params::default_peak_db() {
        0.99
    } else {
        10f64.powf(peak_db / 20.0)
    }
}

/// `20 log10(x)`, `None` for zero.
pub fn db(x: f64) -> Option<f64> {
    (x > 0.0).then(|| 20.0 * x.log10())
}

/// What the level stage measured and decided for one output.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// Gain applied to the finished output (linear).
    pub gain: f32,
    /// Sample peak of the finished output before `gain`.
    pub peak: f32,
    /// Integrated loudness before `gain`, LUFS (loudness mode only; `None`
    /// when the output is silent or shorter than one 400 ms gating block).
    pub loudness: Option<f64>,
    /// Samples beyond full scale after `gain` (only possible with `none`).
    pub clipped: u64,
    /// What the user should know (loudness limited by the peak, not measurable).
    pub warnings: Vec<String>,
}

impl Level {
    /// Output peak after the gain, dBFS (`None` for silence).
    pub fn peak_dbfs(&self) -> Option<f64> {
        db(self.peak as f64 * self.gain as f64)
    }
    /// Gain in dB.
    pub fn gain_db(&self) -> f64 {
        20.0 * (self.gain as f64).log10()
    }
}

/// The level rule of section 8.5 for an output whose finished samples have
/// sample peak `peak`, integrated loudness `loudness` (measured only in
/// loudness mode) and `over` samples beyond full scale.
pub fn decide(s: &Settings, peak: f32, loudness: Option<f64>, over: u64) -> Level {
    let target = peak_target(s.peak_db);
    let peak_gain = || {
        if peak as f64 > 0.001 {
            (target / peak as f64) as f32
        } else {
            1.0
        }
    };
    let mut warnings = Vec::new();
    let gain = match s.normalize {
        Normalize::Peak => peak_gain(),
        Normalize::None => 1.0,
        Normalize::Loudness => match loudness {
            Some(l) if peak > 0.0 => {
                let g = 10f64.powf((s.lufs - l) / 20.0);
                if peak as f64 * g > target {
                    let limited = (target / peak as f64) as f32;
                    warnings.push(format!(
                        "loudness target {} LUFS not reached: the peak ceiling {:.2} dBFS \
                         limits it to {:.1} LUFS (lower --lufs, or raise --peak-db)",
                        crate::params::num(s.lufs),
                        s.peak_db,
                        l + 20.0 * (limited as f64).log10()
                    ));
                    limited
                } else {
                    g as f32
                }
            }
            _ => {
                if peak as f64 > 0.001 {
                    warnings.push(
                        "the output is too short (under 400 ms) or too quiet for a loudness \
                         measurement: normalised to the peak instead"
                            .into(),
                    );
                }
                peak_gain()
            }
        },
    };
    let clipped = if s.normalize == Normalize::None {
        over
    } else {
        0
    };
    Level {
        gain,
        peak,
        loudness,
        clipped,
        warnings,
    }
}
