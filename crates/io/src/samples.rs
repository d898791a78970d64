//! What decoding produces and the rules it follows, shared by the symphonia
//! decoder (`decode.rs`) and the fast WAV path (`wav_fast.rs`).

use gar_core::SampleBuf;

/// A fully decoded input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Sample rate in Hz (> 0).
    pub sample_rate: u32,
    /// Planar samples: one buffer per channel, all of length `frames`. Always finite, at most
    /// [`MAX_SAMPLE_MAGNITUDE`] in magnitude, and silent rather than all subnormal (see
    /// `nonfinite_replaced` and `warnings`).
    pub channels: Vec<SampleBuf>,
    /// Number of frames (samples per channel).
    pub frames: usize,
    /// Human description of the input format, e.g. "WAV, 24-bit integer" or "MP3".
    pub format: String,
    /// NaN/inf samples (float input) replaced by 0.0.
    pub nonfinite_replaced: u64,
    /// Non-fatal problems, e.g. truncation or skipped corrupt packets.
    pub warnings: Vec<String>,
}

impl Decoded {
    /// What the user should read about the decoding (truncation, skipped
    /// packets, replaced samples), each line prefixed with `label` (the
    /// input's name). The CLI's run and the studio both report these.
    pub fn user_warnings(&self, label: &str) -> Vec<String> {
        let mut w = self.warnings.clone();
        if self.nonfinite_replaced > 0 {
            w.push(format!(
                "{} non-finite samples (NaN or infinity) in the input were treated as 0",
                self.nonfinite_replaced
            ));
        }
        w.into_iter().map(|m| format!("{label}: {m}")).collect()
    }
}

/// Limits on what decoding may allocate (see [`crate::decode_file_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The most bytes of decoded 32-bit samples (frames x channels x 4) to hold. A file
    /// whose header promises more is refused before anything is allocated; a file that
    /// turns out longer (no or wrong frame count in the header, a pipe) is refused as soon
    /// as decoding crosses the limit. `u64::MAX`: no limit.
    pub max_decoded_bytes: u64,
}

impl Default for DecodeLimits {
    /// No limit.
    fn default() -> Self {
        DecodeLimits {
            max_decoded_bytes: u64::MAX,
        }
    }
}

/// Float samples beyond this magnitude are clamped to it (see `FloatStats`).
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1e20;

/// Makes decoded float samples safe for the engine, and counts what it changed.
///
/// NaN and infinity become 0 (`nonfinite`); finite magnitudes above
/// [`MAX_SAMPLE_MAGNITUDE`] (400 dB over full scale: not audio, but they overflow `f32`
/// sums and gains downstream) are clamped to it (`clamped`); and a file whose every sample
/// is subnormal (peak below 1.2e-38, some 760 dB under full scale: silence by any measure,
/// but the gain that would normalise it overflows `f32`) becomes exact silence. Subnormal
/// samples in a file with a normal peak are kept as they are.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FloatStats {
    pub(crate) nonfinite: u64,
    pub(crate) clamped: u64,
    /// Largest magnitude seen in float data, after the fixes.
    peak: f32,
    /// Whether any float data was seen.
    seen: bool,
}

impl FloatStats {
    /// Fixes one run of float samples in place.
    pub(crate) fn fix(&mut self, s: &mut [f32]) {
        self.seen = true;
        // Fast path first (vectorises); fix up only if needed.
        let mut peak = 0f32;
        let mut ok = true;
        for &x in s.iter() {
            let a = x.abs();
            ok &= a <= MAX_SAMPLE_MAGNITUDE; // false for NaN and infinity too
            peak = peak.max(a);
        }
        if !ok {
            peak = 0.0;
            for x in s.iter_mut() {
                if !x.is_finite() {
                    *x = 0.0;
                    self.nonfinite += 1;
                } else if x.abs() > MAX_SAMPLE_MAGNITUDE {
                    *x = MAX_SAMPLE_MAGNITUDE.copysign(*x);
                    self.clamped += 1;
                }
                peak = peak.max(x.abs());
            }
        }
        self.peak = self.peak.max(peak);
    }

    /// Adds the counts and peak of `other` (stats gathered on another thread).
    pub(crate) fn merge(&mut self, other: FloatStats) {
        self.nonfinite += other.nonfinite;
        self.clamped += other.clamped;
        self.peak = self.peak.max(other.peak);
        self.seen |= other.seen;
    }

    /// After the last run: silences an all-subnormal file and adds the warnings.
    pub(crate) fn finish<C: AsMut<[f32]>>(&self, out: &mut [C], warnings: &mut Vec<String>) {
        if self.seen && self.peak > 0.0 && self.peak < f32::MIN_POSITIVE {
            for ch in out.iter_mut() {
                ch.as_mut().fill(0.0);
            }
        }
        if self.clamped > 0 {
            warnings.push(format!(
                "{} float samples had magnitudes above {MAX_SAMPLE_MAGNITUDE:e} (far beyond \
                 any audio level; full scale is 1.0) and were clamped to it",
                self.clamped
            ));
        }
    }
}
