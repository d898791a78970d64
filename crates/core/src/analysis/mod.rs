//! Candidates, scores and the attention drivers (docs/algorithm.md,
//! sections 2-4 and 15).
//!
//! The analysis is a table of features, one row per candidate grain: the
//! windowed power always, and each driver that the score or `--drivers`
//! asks for. Each driver is a small unit of its own file; they are measured
//! together in one parallel, grouped pass over the candidates ([`pass`]),
//! with one FFT per candidate shared by every spectral driver. Drivers that a
//! run does not use are not computed, and without any, the pass is the
//! original power-only loop.

pub mod centroid;
pub mod driver;
pub mod flatness;
pub mod flux;
pub mod mix;
pub mod onset_db;
pub mod pass;
pub mod spectrum;
pub mod yin;
pub mod zcr;

pub use driver::{Driver, DriverSet};
pub use mix::Mix;

use crate::params::{ScoreType, Settings, tolerant_floor};
use crate::window::hann_f64;
use rayon::prelude::*;

/// The per-candidate analysis: where each candidate grain starts and how it scores.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Grain length `L`, samples.
    pub grain_len: usize,
    /// Start of each candidate, samples (`s_i`).
    pub start: Vec<usize>,
    /// Windowed power `P_i` (floored at 1e-18).
    pub rms_power: Vec<f64>,
    /// Raw score `S_i` in [0, 1].
    pub score: Vec<f64>,
    /// The raw values of every driver the run uses (the mix's and
    /// `--drivers`), in their own units, in [`Driver::ALL`] order.
    pub drivers: Vec<(Driver, Vec<f64>)>,
}

impl Analysis {
    pub fn len(&self) -> usize {
        self.start.len()
    }
    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }
    /// Start time of candidate `i`, seconds.
    pub fn start_s(&self, i: usize, sample_rate: u32) -> f64 {
        self.start[i] as f64 / sample_rate as f64
    }
    /// The raw values of driver `d`, if the run computed it.
    pub fn driver(&self, d: Driver) -> Option<&[f64]> {
        self.drivers
            .iter()
            .find(|(x, _)| *x == d)
            .map(|(_, v)| v.as_slice())
    }
}

/// Number of candidates, `N = max(1, floor((D - g) / c) + 1)`.
pub fn candidate_count(s: &Settings) -> usize {
    let n = tolerant_floor((s.source_s() - s.grain_s()) / s.cand_hop_s()) + 1.0;
    if n.is_finite() && n >= 1.0 {
        n as usize
    } else {
        1
    }
}

/// Candidate start positions, `s_i = min(round(i c sr), len - L)`.
pub fn candidate_starts(s: &Settings) -> Vec<usize> {
    let n = candidate_count(s);
    let l = s.grain_len();
    let last = s.source_len.saturating_sub(l);
    let step = s.cand_hop_s() * s.sample_rate as f64;
    (0..n)
        .map(|i| ((i as f64 * step).round() as usize).min(last))
        .collect()
}

/// Everything [`analyze`] reads from its settings and its gain, so that two
/// runs on the same source whose keys are equal have the same analysis (a
/// front end re-plans without re-analysing when only the attention, the plan
/// or the level change). Built from exactly the fields `analyze` and
/// [`candidate_starts`] use; keep the two in step.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisKey {
    sample_rate: u32,
    source_len: usize,
    /// The bits of `grain_ms` and `cand_hop_ms` (the candidate count and the
    /// starts), and the grain length in samples.
    grain_ms: u64,
    cand_hop_ms: u64,
    grain_len: usize,
    score: ScoreType,
    mix: Option<Mix>,
    transient_weight: u64,
    drivers: crate::analysis::DriverSet,
    /// The bits of the wet source's gain (the reported powers scale with it).
    gain: u32,
    /// Which channels are analysed: `None` for every channel mixed, `Some(c)`
    /// for channel `c` alone (`channels independent`).
    channel: Option<usize>,
}

impl AnalysisKey {
    /// The key of `analyze(channels, s, gain)`, where `channel` says which
    /// channels of the source `channels` are (see the field).
    pub fn new(s: &Settings, gain: f32, channel: Option<usize>) -> AnalysisKey {
        AnalysisKey {
            sample_rate: s.sample_rate,
            source_len: s.source_len,
            grain_ms: s.grain_ms.to_bits(),
            cand_hop_ms: s.cand_hop_ms.to_bits(),
            grain_len: s.grain_len(),
            score: s.score,
            mix: s.mix.clone(),
            // Only the `mixed` score reads the transient weight ([`scores`]).
            transient_weight: if s.mix.is_none() && s.score == ScoreType::Mixed {
                s.transient_weight.to_bits()
            } else {
                0
            },
            drivers: s.drivers_needed(),
            gain: gain.to_bits(),
            channel,
        }
    }
}

/// Analyses the source: `channels` are averaged to the mono analysis signal,
/// which is measured at the wet source's level (`gain`, the factor that brings
/// the wet source to peak 0.99), as the original reports it. Scores do not
/// depend on `gain`; the reported powers do.
pub fn analyze(channels: &[&[f32]], s: &Settings, gain: f32) -> Analysis {
    let l = s.grain_len();
    let start = candidate_starts(s);
    let w = hann_f64(l);
    let need = s.drivers_needed();
    let (power, measured) = if need.any_measured() {
        let m = pass::measure(channels, &start, &w, s.sample_rate, gain, need);
        (m.power.clone(), Some(m))
    } else {
        (powers(channels, &start, &w, gain), None)
    };
    let mut drivers = Vec::new();
    for d in need.iter() {
        let values = match d {
            Driver::Rms => power.clone(),
            Driver::Onset => transients(&power, false),
            Driver::Edge => transients(&power, true),
            Driver::OnsetDb => onset_db::onset_db(&power),
            _ => measured
                .as_ref()
                .and_then(|m| m.column(d))
                .map(<[f64]>::to_vec)
                .expect("the pass measures every driver it is asked for"),
        };
        drivers.push((d, values));
    }
    let score = match &s.mix {
        None => scores(&power, s.score, s.transient_weight),
        Some(m) => {
            let weights: Vec<f64> = m.terms.iter().map(|t| t.weight.points()[0].value).collect();
            mix_score(m, &Mix::normalised_weights(&weights), &drivers)
        }
    };
    Analysis {
        grain_len: l,
        start,
        rms_power: power,
        score,
        drivers,
    }
}

/// The score of mix `m` with normalised weights `weights` (one per term)
/// from the drivers' raw values (section 15).
pub fn mix_score(m: &Mix, weights: &[f64], drivers: &[(Driver, Vec<f64>)]) -> Vec<f64> {
    let n = drivers.first().map_or(0, |(_, v)| v.len());
    let normed: Vec<(bool, Vec<f64>)> = m
        .terms
        .iter()
        .map(|t| {
            let raw = drivers
                .iter()
                .find(|(d, _)| *d == t.driver)
                .map(|(_, v)| v.as_slice())
                .expect("every driver of the mix is computed");
            (t.invert, mix::normalise(t.driver, raw))
        })
        .collect();
    let refs: Vec<(bool, &[f64])> = normed.iter().map(|(i, v)| (*i, v.as_slice())).collect();
    mix::combine(weights, &refs, n)
}

/// Section 4's `T_i`: `max(d_i, 0)` (onset) or `|d_i|` (edge), `d_0 = 0`.
pub fn transients(power: &[f64], edge: bool) -> Vec<f64> {
    (0..power.len())
        .map(|i| {
            let d = if i == 0 { 0.0 } else { power[i] - power[i - 1] };
            if edge { d.abs() } else { d.max(0.0) }
        })
        .collect()
}

/// `P_i` at the wet level `gain^2` from the sum of squares `p` of a grain
/// of `l` samples, floored at 1e-18.
#[inline(always)]
pub(crate) fn finish_power(p: f64, gain: f32, l: usize) -> f64 {
    let g2 = (gain as f64) * (gain as f64);
    let p = g2 * p / l as f64;
    // Non-finite samples (gar-io replaces them; a library caller may
    // not) make a candidate count as silent rather than poison the
    // normalisation of every score.
    if p.is_finite() { p.max(1e-18) } else { 1e-18 }
}

/// The windowed powers alone (no driver needs the samples): the original loop.
fn powers(channels: &[&[f32]], start: &[usize], w: &[f64], gain: f32) -> Vec<f64> {
    let l = w.len();
    let finish = |p: f64| finish_power(p, gain, l);
    if let [x] = channels {
        start
            .par_iter()
            .with_min_len(64)
            .map(|&st| finish(windowed_power(&x[st..st + l], w)))
            .collect()
    } else {
        // Several channels: each group of candidates mixes the stretch of
        // source it covers into a small reused buffer (the same mix as
        // `mono_mix`), instead of holding a full-length mix: no extra
        // channel's worth of memory, and each sample is mixed about once.
        let groups: Vec<Vec<f64>> = start
            .par_chunks(MIX_GROUP)
            .map_init(Vec::new, |buf: &mut Vec<f32>, sts| {
                let a = sts[0];
                let b = sts[sts.len() - 1] + l;
                buf.resize(b - a, 0.0);
                crate::mix_block(channels, a, buf);
                sts.iter()
                    .map(|&st| finish(windowed_power(&buf[st - a..st - a + l], w)))
                    .collect()
            })
            .collect();
        groups.concat()
    }
}

/// Candidates per group when a multi-channel source is mixed for analysis
/// (and per group of the driver pass).
pub(crate) const MIX_GROUP: usize = 64;

/// `sum_k (x[k] w[k])^2` with four f64 accumulators (vectorisable).
#[inline(always)]
pub(crate) fn windowed_power(x: &[f32], w: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let xc = x.chunks_exact(4);
    let wc = w.chunks_exact(4);
    let (xr, wr) = (xc.remainder(), wc.remainder());
    for (xs, ws) in xc.zip(wc) {
        for j in 0..4 {
            let v = xs[j] as f64 * ws[j];
            acc[j] += v * v;
        }
    }
    let mut tail = 0.0;
    for (x, w) in xr.iter().zip(wr) {
        let v = *x as f64 * w;
        tail += v * v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Raw scores from powers (docs/algorithm.md, section 4).
pub fn scores(power: &[f64], kind: ScoreType, tw: f64) -> Vec<f64> {
    let pmax = power.iter().cloned().fold(0.0, f64::max).max(1e-30);
    let pn = power.iter().map(|p| p / pmax);
    if kind == ScoreType::Rms {
        return pn.collect();
    }
    let slope = |i: usize| if i == 0 { 0.0 } else { power[i] - power[i - 1] };
    let t: Vec<f64> = (0..power.len())
        .map(|i| match kind {
            ScoreType::Edge => slope(i).abs(),
            _ => slope(i).max(0.0),
        })
        .collect();
    let tmax = t.iter().cloned().fold(0.0, f64::max).max(1e-30);
    match kind {
        ScoreType::Mixed => pn
            .zip(&t)
            .map(|(p, t)| (1.0 - tw) * p + tw * (t / tmax))
            .collect(),
        _ => t.iter().map(|t| t / tmax).collect(),
    }
}
