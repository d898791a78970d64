//! Candidates and scores (docs/algorithm.md, sections 2-4).

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

/// Analyses the source: `channels` are averaged to the mono analysis signal,
/// which is measured at the wet source's level (`gain`, the factor that brings
/// the wet source to peak 0.99), as the original reports it. Scores do not
/// depend on `gain`; the reported powers do.
pub fn analyze(channels: &[&[f32]], s: &Settings, gain: f32) -> Analysis {
    let g2 = (gain as f64) * (gain as f64);
    let l = s.grain_len();
    let start = candidate_starts(s);
    let w = hann_f64(l);
    let finish = |p: f64| {
        let p = g2 * p / l as f64;
        // Non-finite samples (gar-io replaces them; a library caller may
        // not) make a candidate count as silent rather than poison the
        // normalisation of every score.
        if p.is_finite() { p.max(1e-18) } else { 1e-18 }
    };
    let power: Vec<f64> = if let [x] = channels {
        start
            .par_iter()
            .with_min_len(64)
            .map(|&st| finish(windowed_power(&x[st..st + l], &w)))
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
                    .map(|&st| finish(windowed_power(&buf[st - a..st - a + l], &w)))
                    .collect()
            })
            .collect();
        groups.concat()
    };
    let score = scores(&power, s.score, s.transient_weight);
    Analysis {
        grain_len: l,
        start,
        rms_power: power,
        score,
    }
}

/// Candidates per group when a multi-channel source is mixed for analysis.
const MIX_GROUP: usize = 64;

/// `sum_k (x[k] w[k])^2` with four f64 accumulators (vectorisable).
fn windowed_power(x: &[f32], w: &[f64]) -> f64 {
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
