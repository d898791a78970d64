//! Integrated loudness, ITU-R BS.1770-4 / EBU R128 (docs/algorithm.md,
//! section 8.5): the measurement behind `--normalize loudness`.
//!
//! # Why it is hand-written
//!
//! The `ebur128` crate (0.1.11, a port of libebur128) measures the same
//! thing and stays as the test oracle (a dev-dependency: the tests below and
//! in `tests/levels.rs` check this module against its `loudness_global`).
//! It runs the K-weighting as one serial f64 filter, sample by sample, at
//! about 11.7 ns per sample and channel: 311 ms of CPU for 10 minutes of
//! mono (`EbuR128::add_frames_planar_f32`, one meter, idle core), and still
//! about 150 ms on two cores when measured in parallel chunks. A 10-minute
//! render takes about 480 ms end to end, so `--normalize loudness` cost
//! +36% (`gar render ... --normalize loudness`, BENCHMARKS.md, "Levels and
//! DC"). The recursion of a filter cannot be vectorised along time, but
//! independent stretches of time can: this module runs [`LANES`] chunks of
//! the signal side by side in plain `[f64; LANES]` arrays, which LLVM turns
//! into vector instructions, and the chunk groups in parallel. Measured in
//! one run on this 2-core machine under load (`cargo run --release -p
//! gar-core --example loudness_bench 5 1`, 10 minutes of mono): 2.7 ns per
//! sample on one thread against the crate's 13.3 ns (the same value to
//! 7e-11 LU); figures in BENCHMARKS.md.
//!
//! # Method
//!
//! 1. K-weighting: the two biquads of BS.1770 (a high shelf of +4 dB near
//!    1682 Hz, a high-pass near 38 Hz), designed for the sample rate from
//!    their analogue prototypes by the bilinear transform with the constants
//!    libebur128 uses ([`k_weighting_stages`]), run in cascade, each in
//!    direct form II (libebur128 multiplies them into one fourth-order
//!    filter, [`k_weighting`]; the cascade takes fewer operations, and the
//!    high-pass's numerator `1, -2, 1` none).
//! 2. The squares of the filtered samples are summed per 100 ms step
//!    (`(sr + 5) / 10` frames; a last incomplete step is not used).
//! 3. A gating block is four consecutive steps (400 ms, 75% overlap): its
//!    energy is the sum over channels of `weight x (sum of its steps)`,
//!    divided by its length. The weights are BS.1770's, from the default
//!    channel map of libebur128: 1 for left, right and centre (so mono and
//!    stereo weigh 1 per channel), 1.41 for the surrounds (channels 4-5 of
//!    five or more; channels 3-4 of four), channel 4 of six (LFE) and
//!    channels beyond the sixth unused.
//! 4. Gates: blocks under -70 LUFS are dropped (absolute gate); of the rest,
//!    those below their mean energy minus 10 LU (relative gate). The
//!    loudness is `-0.691 + 10 log10` of the mean energy of the blocks kept.
//!
//! Chunks: the steps are cut into chunks of [`CHUNK_STEPS`] steps on a grid
//! fixed from frame 0 (it depends on the length only, not on the thread
//! count); [`LANES`] consecutive chunks form a group, filtered side by side.
//! Every chunk's filter starts at rest [`WARM_STEPS`] steps before the chunk
//! (200 ms; silence before frame 0) and runs through them uncounted: the
//! filter's slowest mode (the 38 Hz high-pass, a double pole) has decayed by
//! `e^-48` by then, so the chunk's state is the continuous filter's to
//! double precision. The gating blocks that straddle a chunk boundary are
//! made from the steps of both chunks, so the set of blocks is a single
//! meter's. Each lane computes exactly what a scalar filter would (no fused
//! multiply-add; one accumulator per step and lane, in order), so the
//! result does not depend on how chunks are grouped or which thread runs
//! them, and [`LoudnessStream`] gets the same bits block by block.

use rayon::prelude::*;

/// Chunks filtered side by side (one group).
pub const LANES: usize = 8;
/// 100 ms steps per chunk (3 s).
pub const CHUNK_STEPS: usize = 30;
/// Warm-up before each chunk, 100 ms steps.
pub const WARM_STEPS: usize = 2;
/// Most channels measured (libebur128's limit).
const MAX_CHANNELS: usize = 64;

/// The two stages of the K-weighting filter at `rate` Hz, computed as
/// libebur128 computes them: the shelf's numerator `pb` and denominator `pa`
/// and the high-pass's denominator `ra` (its numerator is `1, -2, 1`);
/// `pa[0] = ra[0] = 1`.
#[allow(non_snake_case)] // the design formulas' names (K, Q, Vh, Vb)
pub fn k_weighting_stages(rate: f64) -> ([f64; 3], [f64; 3], [f64; 3]) {
    // Stage 1, the high shelf (BS.1770's pre-filter).
    let f0 = 1681.974450955533;
    let G = 3.999843853973347;
    let Q = 0.7071752369554196;
    let K = (std::f64::consts::PI * f0 / rate).tan();
    let Vh = 10f64.powf(G / 20.0);
    let Vb = Vh.powf(0.4996667741545416);
    let a0 = 1.0 + K / Q + K * K;
    let pb = [
        (Vh + Vb * K / Q + K * K) / a0,
        2.0 * (K * K - Vh) / a0,
        (Vh - Vb * K / Q + K * K) / a0,
    ];
    let pa = [1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - K / Q + K * K) / a0];
    // Stage 2, the high-pass (the RLB weighting).
    let f0 = 38.13547087602444;
    let Q = 0.5003270373238773;
    let K = (std::f64::consts::PI * f0 / rate).tan();
    let ra = [
        1.0,
        2.0 * (K * K - 1.0) / (1.0 + K / Q + K * K),
        (1.0 - K / Q + K * K) / (1.0 + K / Q + K * K),
    ];
    (pb, pa, ra)
}

/// The K-weighting at `rate` Hz as one fourth-order filter (the product of
/// the [`k_weighting_stages`], as libebur128 runs it): numerator `b`,
/// denominator `a`.
pub fn k_weighting(rate: f64) -> ([f64; 5], [f64; 5]) {
    let (pb, pa, ra) = k_weighting_stages(rate);
    let rb = [1.0, -2.0, 1.0];
    let conv = |p: [f64; 3], r: [f64; 3]| {
        [
            p[0] * r[0],
            p[0] * r[1] + p[1] * r[0],
            p[0] * r[2] + p[1] * r[1] + p[2] * r[0],
            p[1] * r[2] + p[2] * r[1],
            p[2] * r[2],
        ]
    };
    (conv(pb, rb), conv(pa, ra))
}

/// BS.1770 channel weights of `channels` channels (libebur128's default
/// map); 0 = not measured.
pub fn channel_weights(channels: usize) -> Vec<f64> {
    const SUR: f64 = 1.41;
    match channels {
        4 => vec![1.0, 1.0, SUR, SUR],
        5 => vec![1.0, 1.0, 1.0, SUR, SUR],
        n => {
            let map = [1.0, 1.0, 1.0, 0.0, SUR, SUR];
            (0..n).map(|c| map.get(c).copied().unwrap_or(0.0)).collect()
        }
    }
}

/// The absolute gate, an energy: -70 LUFS.
fn absolute_gate() -> f64 {
    10f64.powf((-70.0 + 0.691) / 10.0)
}

/// The chunk grid of a `len`-frame signal at `sr`.
#[derive(Clone, Copy, Debug)]
struct Grid {
    /// Frames per 100 ms step.
    step: usize,
    /// Complete steps.
    steps: usize,
}

impl Grid {
    fn new(len: usize, sr: u32) -> Grid {
        let step = (sr as usize + 5) / 10;
        Grid {
            step,
            steps: len / step.max(1),
        }
    }
    fn groups(&self) -> usize {
        self.steps.div_ceil(CHUNK_STEPS * LANES)
    }
    /// Steps of group `g`: `first..end`.
    fn group_steps(&self, g: usize) -> std::ops::Range<usize> {
        let first = g * CHUNK_STEPS * LANES;
        first..(first + CHUNK_STEPS * LANES).min(self.steps)
    }
    /// First frame group `g` reads (its first chunk's warm-up).
    fn group_read_start(&self, g: usize) -> usize {
        (g * CHUNK_STEPS * LANES).saturating_sub(WARM_STEPS) * self.step
    }
}

/// The K-weighted energy (sum of squares) of every 100 ms step of group
/// `g` of one channel. `x` holds the channel's frames from frame `off` on
/// (at least the frames the group reads); `out` receives the group's step
/// energies in order.
fn group_energies(x: &[f32], off: usize, grid: &Grid, g: usize, coef: &Coef, out: &mut [f64]) {
    let (pb, pa, ra) = coef;
    let n = grid.step;
    let steps = grid.group_steps(g);
    debug_assert_eq!(out.len(), steps.len());
    let zeros = vec![0f32; n];
    // Lane k filters chunk `g * LANES + k`: steps `s0 + k C ..`, warmed up on
    // the `WARM_STEPS` steps before (silence before frame 0).
    let s0 = steps.start as isize;
    let mut w = [[0f64; LANES]; 4];
    let mut tile = vec![[0f64; LANES]; n];
    for t in 0..WARM_STEPS + CHUNK_STEPS {
        let step_of = |k: usize| s0 + (k * CHUNK_STEPS + t) as isize - WARM_STEPS as isize;
        let sl: [&[f32]; LANES] = std::array::from_fn(|k| {
            let s = step_of(k);
            if s < 0 || s as usize >= steps.end {
                &zeros[..]
            } else {
                let f = s as usize * n - off;
                &x[f..f + n]
            }
        });
        // The lanes' samples side by side (a transposition), then the filter
        // over them with no bounds checks.
        for (i, v) in tile.iter_mut().enumerate() {
            *v = std::array::from_fn(|k| sl[k][i] as f64);
        }
        let mut acc = [0f64; LANES];
        // The state as four local arrays (registers), rotated by renaming.
        let [mut s1, mut s2, mut t1, mut t2] = w;
        for v in &tile {
            // The shelf, direct form II: state s.
            let mut w0 = [0f64; LANES];
            let mut u = [0f64; LANES];
            for k in 0..LANES {
                w0[k] = v[k] - pa[1] * s1[k] - pa[2] * s2[k];
                u[k] = pb[0] * w0[k] + pb[1] * s1[k] + pb[2] * s2[k];
            }
            // The high-pass, direct form II: state t, numerator 1, -2, 1.
            let mut v0 = [0f64; LANES];
            for k in 0..LANES {
                v0[k] = u[k] - ra[1] * t1[k] - ra[2] * t2[k];
                let y = (v0[k] + t2[k]) - (t1[k] + t1[k]);
                acc[k] += y * y;
            }
            s2 = s1;
            s1 = w0;
            t2 = t1;
            t1 = v0;
        }
        w = [s1, s2, t1, t2];
        // A state decaying in silence would become subnormal (slow on most
        // CPUs; libebur128 flushes it to zero): far below any audible level,
        // it is zero.
        for v in w.iter_mut().flatten() {
            if v.abs() < 1e-100 {
                *v = 0.0;
            }
        }
        if t >= WARM_STEPS {
            for (k, &e) in acc.iter().enumerate() {
                let s = step_of(k);
                if s >= s0 && (s as usize) < steps.end {
                    out[s as usize - steps.start] = e;
                }
            }
        }
    }
}

type Coef = ([f64; 3], [f64; 3], [f64; 3]);

/// The gated loudness of per-channel step energies (all the same length).
fn gate(energies: &[Vec<f64>], weights: &[f64], step: usize) -> Option<f64> {
    let steps = energies.first().map_or(0, |e| e.len());
    let abs = absolute_gate();
    let block = (4 * step) as f64;
    let blocks: Vec<f64> = (3..steps)
        .map(|j| {
            let mut sum = 0.0;
            for (e, &wt) in energies.iter().zip(weights) {
                if wt == 0.0 {
                    continue;
                }
                let mut c = e[j - 3] + e[j - 2] + e[j - 1] + e[j];
                if wt != 1.0 {
                    c *= wt;
                }
                sum += c;
            }
            sum / block
        })
        .filter(|&e| e >= abs)
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let rel = blocks.iter().sum::<f64>() / blocks.len() as f64 * 10f64.powf(-10.0 / 10.0);
    let (n, sum) = blocks
        .iter()
        .filter(|&&e| e >= rel)
        .fold((0u64, 0.0), |(n, s), &e| (n + 1, s + e));
    if n == 0 {
        return None;
    }
    let l = 10.0 * (sum / n as f64).log10() - 0.691;
    l.is_finite().then_some(l)
}

fn measurable(channels: usize, sr: u32) -> bool {
    (1..=MAX_CHANNELS).contains(&channels) && sr >= 16
}

/// Integrated loudness of planar `chs` at `sr`, LUFS (`None` if silent or too
/// short to hold one gating block). The channel weights are BS.1770's default
/// map: 1, 2 channels = left/right (weight 1 each), 3 = centre, 4-5 surround.
pub fn loudness(chs: &[&[f32]], sr: u32) -> Option<f64> {
    let len = chs.first().map_or(0, |c| c.len());
    if len == 0 || !measurable(chs.len(), sr) {
        return None;
    }
    let grid = Grid::new(len, sr);
    let coef = k_weighting_stages(sr as f64);
    let weights = channel_weights(chs.len());
    let group = CHUNK_STEPS * LANES;
    let mut energies: Vec<Vec<f64>> = chs.iter().map(|_| vec![0.0; grid.steps]).collect();
    let mut jobs: Vec<(usize, usize, &mut [f64])> = Vec::new();
    for (c, e) in energies.iter_mut().enumerate() {
        if weights[c] != 0.0 {
            jobs.extend(e.chunks_mut(group).enumerate().map(|(g, o)| (c, g, o)));
        }
    }
    jobs.into_par_iter()
        .for_each(|(c, g, o)| group_energies(chs[c], 0, &grid, g, &coef, o));
    gate(&energies, &weights, grid.step)
}

/// [`loudness`] measured from frames handed over in order, in blocks of any
/// size (the streamed render's pass): the same chunks and groups, so the
/// same value as [`loudness`] on the whole output of `len` frames, bit for
/// bit. It holds one group of frames per channel (24.2 s).
pub struct LoudnessStream {
    sr: u32,
    len: usize,
    pos: usize,
    grid: Grid,
    coef: Coef,
    weights: Vec<f64>,
    /// Frames `buf_start..pos` of each channel not yet measured.
    buf: Vec<Vec<f32>>,
    buf_start: usize,
    next_group: usize,
    energies: Vec<Vec<f64>>,
}

impl LoudnessStream {
    pub fn new(channels: usize, sr: u32, len: usize) -> Self {
        // (A rate that cannot be measured gets a small grid it never fills.)
        let grid = Grid::new(if measurable(channels, sr) { len } else { 0 }, sr.max(16));
        LoudnessStream {
            sr,
            len,
            pos: 0,
            grid,
            coef: k_weighting_stages(sr.max(16) as f64),
            weights: channel_weights(channels),
            buf: vec![Vec::new(); channels],
            buf_start: 0,
            next_group: 0,
            energies: vec![vec![0.0; grid.steps]; channels],
        }
    }

    /// Adds the next frames (one slice per channel, equal lengths).
    pub fn add(&mut self, block: &[&[f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        self.pos += n;
        if !measurable(self.buf.len(), self.sr) {
            return;
        }
        for (b, x) in self.buf.iter_mut().zip(block) {
            b.extend_from_slice(x);
        }
        let group = CHUNK_STEPS * LANES;
        while self.next_group < self.grid.groups()
            && self.pos >= self.grid.group_steps(self.next_group).end * self.grid.step
        {
            let g = self.next_group;
            for (c, x) in self.buf.iter().enumerate() {
                if self.weights[c] == 0.0 {
                    continue;
                }
                let out = &mut self.energies[c][self.grid.group_steps(g)];
                debug_assert!(out.len() <= group);
                group_energies(x, self.buf_start, &self.grid, g, &self.coef, out);
            }
            self.next_group += 1;
            let keep = self.grid.group_read_start(self.next_group).min(self.pos);
            for b in self.buf.iter_mut() {
                b.drain(..keep - self.buf_start);
            }
            self.buf_start = keep;
        }
    }

    /// The integrated loudness of everything added.
    pub fn finish(self) -> Option<f64> {
        if self.pos != self.len || self.len == 0 || !measurable(self.buf.len(), self.sr) {
            return None;
        }
        debug_assert_eq!(self.next_group, self.grid.groups());
        gate(&self.energies, &self.weights, self.grid.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_every_step_once() {
        for (len, sr) in [(0usize, 44100u32), (4410 * 4, 44100), (123_457, 48000)] {
            let g = Grid::new(len, sr);
            let covered: usize = (0..g.groups()).map(|k| g.group_steps(k).len()).sum();
            assert_eq!(covered, g.steps);
        }
    }
}
