//! The output level (docs/algorithm.md, section 8.5): peak, loudness or none.
//!
//! Loudness is ITU-R BS.1770-4 / EBU R128 integrated loudness, measured with
//! the `ebur128` crate. A 10-minute channel takes about 300 ms through one
//! meter, so the output is measured in parallel chunks on a fixed grid
//! (independent of the thread count, hence deterministic): each chunk's meter
//! is first warmed up on the 400 ms before the chunk (`seed_frames`, not
//! counted), and the chunks' gating blocks are pooled by
//! `EbuR128::loudness_global_multiple`, as the crate documents.

use crate::params::{Normalize, Settings};
use ebur128::{EbuR128, Mode};
use rayon::prelude::*;

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

/// Loudness chunk length, seconds (a multiple of the 100 ms gating step).
const CHUNK_S: usize = 30;

/// The frames chunk `k` of a `len`-frame output feeds its meter, as the
/// `ebur128` crate's recipe for parallel measurement has it: every chunk
/// but the first starts 400 ms early, the first 100 ms of which only warm
/// its filters up (`seed`), the other 300 ms completing the gating blocks
/// that straddle the boundary. Returns `(seed, add)` ranges.
fn chunk_ranges(k: usize, len: usize, sr: u32) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let sr = sr as usize;
    let (a, b) = (k * CHUNK_S * sr, ((k + 1) * CHUNK_S * sr).min(len));
    if k == 0 {
        (0..0, a..b)
    } else {
        let s = a - 4 * sr / 10;
        let w = s + sr / 10;
        (s..w, w..b)
    }
}

fn chunks(len: usize, sr: u32) -> usize {
    len.div_ceil(CHUNK_S * sr as usize)
}

fn pooled(meters: &[EbuR128]) -> Option<f64> {
    let l = EbuR128::loudness_global_multiple(meters.iter()).ok()?;
    l.is_finite().then_some(l)
}

/// Integrated loudness of planar `chs` at `sr`, LUFS (`None` if silent or too
/// short to hold one gating block). The channel weights are BS.1770's default
/// map: 1, 2 channels = left/right (weight 1 each), 3 = centre, 4-5 surround.
pub fn loudness(chs: &[&[f32]], sr: u32) -> Option<f64> {
    let len = chs.first().map_or(0, |c| c.len());
    if len == 0 || sr == 0 {
        return None;
    }
    let meters: Vec<EbuR128> = (0..chunks(len, sr))
        .into_par_iter()
        .map(|k| {
            let (seed, add) = chunk_ranges(k, len, sr);
            let mut m = EbuR128::new(chs.len() as u32, sr, Mode::I).ok()?;
            if !seed.is_empty() {
                let w: Vec<&[f32]> = chs.iter().map(|c| &c[seed.clone()]).collect();
                m.seed_frames_planar_f32(&w).ok()?;
            }
            let p: Vec<&[f32]> = chs.iter().map(|c| &c[add.clone()]).collect();
            m.add_frames_planar_f32(&p).ok()?;
            Some(m)
        })
        .collect::<Option<Vec<_>>>()?;
    pooled(&meters)
}

/// [`loudness`] measured from frames handed over in order, in blocks of any
/// size (the streamed render's pass): the same chunks, warm-ups and meters,
/// so the same value as [`loudness`] on the whole output of `len` frames.
pub struct LoudnessStream {
    sr: u32,
    channels: usize,
    len: usize,
    pos: usize,
    meters: Vec<Option<EbuR128>>,
    failed: bool,
}

impl LoudnessStream {
    pub fn new(channels: usize, sr: u32, len: usize) -> Self {
        LoudnessStream {
            sr,
            channels,
            len,
            pos: 0,
            meters: (0..chunks(len, sr)).map(|_| None).collect(),
            failed: false,
        }
    }

    /// Adds the next frames (one slice per channel, equal lengths).
    pub fn add(&mut self, block: &[&[f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        let (p, q) = (self.pos, self.pos + n);
        self.pos = q;
        if self.failed || n == 0 {
            return;
        }
        let chunk = CHUNK_S * self.sr as usize;
        // The chunks whose ranges can meet [p, q): this one and the next.
        let k0 = (p / chunk).min(self.meters.len().saturating_sub(1));
        for k in k0..(k0 + 2).min(self.meters.len()) {
            let (seed, add) = chunk_ranges(k, self.len, self.sr);
            for (range, is_seed) in [(seed, true), (add, false)] {
                let (a, b) = (range.start.max(p), range.end.min(q));
                if a >= b {
                    continue;
                }
                if self.meters[k].is_none() {
                    self.meters[k] = EbuR128::new(self.channels as u32, self.sr, Mode::I).ok();
                }
                let Some(m) = self.meters[k].as_mut() else {
                    self.failed = true;
                    return;
                };
                let seg: Vec<&[f32]> = block.iter().map(|c| &c[a - p..b - p]).collect();
                let r = if is_seed {
                    m.seed_frames_planar_f32(&seg)
                } else {
                    m.add_frames_planar_f32(&seg)
                };
                self.failed |= r.is_err();
            }
        }
    }

    /// The integrated loudness of everything added.
    pub fn finish(self) -> Option<f64> {
        if self.failed || self.pos != self.len {
            return None;
        }
        let meters: Vec<EbuR128> = self.meters.into_iter().flatten().collect();
        pooled(&meters)
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
