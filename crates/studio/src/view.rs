//! What the page draws: min/max envelopes of waveforms and the run's
//! analysis and plan, read from the same report the CLI writes (numbers as
//! f32: the page draws them, the report JSON keeps every digit).

use gar_core::Report;
use rayon::prelude::*;
use serde::Serialize;

/// Columns of a waveform overview.
pub const COLUMNS: usize = 2000;

/// A waveform as per-column minimum and maximum, per channel, plus its RMS.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub min: Vec<Vec<f32>>,
    pub max: Vec<Vec<f32>>,
    /// RMS over every channel, dBFS (-inf for silence), for matched-level A/B.
    pub rms_db: f64,
}

/// The overview of `channels` times `gain`, in parallel columns.
pub fn overview(channels: &[&[f32]], gain: f32) -> Overview {
    let len = channels.first().map_or(0, |c| c.len());
    let cols = COLUMNS.min(len.max(1));
    let mut min = Vec::new();
    let mut max = Vec::new();
    let mut sum = 0.0f64;
    for ch in channels {
        let col: Vec<(f32, f32, f64)> = (0..cols)
            .into_par_iter()
            .map(|c| {
                let a = c * len / cols;
                let b = ((c + 1) * len / cols).max(a + 1).min(len);
                let (lo, hi, sq) = column(&ch[a.min(len)..b.max(a.min(len))]);
                (lo * gain, hi * gain, sq)
            })
            .collect();
        min.push(col.iter().map(|c| c.0).collect());
        max.push(col.iter().map(|c| c.1).collect());
        sum += col.iter().map(|c| c.2).sum::<f64>();
    }
    let n = (len * channels.len()).max(1) as f64;
    let g = gain as f64;
    let rms = (sum / n).sqrt() * g;
    Overview {
        min,
        max,
        rms_db: if rms > 0.0 {
            20.0 * rms.log10()
        } else {
            f64::NEG_INFINITY
        },
    }
}

/// The minimum and maximum of `s` (with 0) and its sum of squares, in eight
/// lanes (the compiler vectorises them; one running sum would wait on each
/// addition: the overview of a minute of stereo took 11 ms that way, on the
/// path from a change to the drawn result).
fn column(s: &[f32]) -> (f32, f32, f64) {
    const L: usize = 8;
    let (mut lo, mut hi, mut sq) = ([0.0f32; L], [0.0f32; L], [0.0f32; L]);
    let mut it = s.chunks_exact(L);
    for c in &mut it {
        for i in 0..L {
            let x = c[i];
            lo[i] = if x < lo[i] { x } else { lo[i] };
            hi[i] = if x > hi[i] { x } else { hi[i] };
            sq[i] += x * x;
        }
    }
    let mut l = lo.iter().fold(0.0f32, |a, &b| a.min(b));
    let mut h = hi.iter().fold(0.0f32, |a, &b| a.max(b));
    let mut q: f64 = sq.iter().map(|&v| v as f64).sum();
    for &x in it.remainder() {
        l = l.min(x);
        h = h.max(x);
        q += (x as f64) * (x as f64);
    }
    (l, h, q)
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// The analysis and plan for the score landscape, the selection sequence and
/// the usage (channel 0's, as the picture draws).
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    pub candidates: usize,
    pub active: usize,
    pub mean_score: f64,
    /// The ReLU gate: candidates scoring below it are removed.
    pub floor_value: f64,
    pub effective_grains: f64,
    pub grain_s: f64,
    pub start_s: Vec<f32>,
    pub score: Vec<f32>,
    pub prob: Vec<f32>,
    pub active_mask: Vec<u8>,
    pub usage: Vec<u32>,
    pub unique: usize,
    pub hops: usize,
    pub pos_s: Vec<f32>,
    pub grain: Vec<u32>,
    pub pitch_st: Vec<f32>,
}

pub fn run_view(report: &Report, grain_s: f64) -> RunView {
    let a = &report.analysis;
    let p = &report.plan;
    RunView {
        candidates: a.candidates,
        active: a.active,
        mean_score: a.mean_score,
        floor_value: a.floor_value,
        effective_grains: a.effective_grains,
        grain_s,
        start_s: f32s(&a.start_s),
        score: f32s(&a.score),
        prob: f32s(&a.prob),
        active_mask: a.active_mask.iter().map(|&b| u8::from(b)).collect(),
        usage: report.usage.counts.clone(),
        unique: report.usage.unique,
        hops: p.hops,
        pos_s: f32s(&p.pos_s),
        grain: p.grain.clone(),
        pitch_st: p.pitch_st.clone(),
    }
}
