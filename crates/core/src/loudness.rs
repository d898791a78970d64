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
//! the signal side by side in plain `[f32; LANES]` arrays, which LLVM turns
//! into vector instructions (baseline x86-64 SSE2: four f32 per register,
//! so 12 lanes are three registers per state), and the chunk groups in
//! parallel. The filter runs in f32 (it ran in f64, eight lanes, until
//! 2026-12-01: 2.5-2.8 ns per sample on one thread); measured in one run on
//! this 2-core machine under load (`cargo run --release -p gar-core
//! --example loudness_bench 9 1`, 10 minutes of mono): 1.3 ns per sample on
//! one thread against the f64 version's 2.8 and the crate's 13.2, the same
//! value as the crate's to 1.3e-6 LU; figures in BENCHMARKS.md.
//!
//! # Method
//!
//! 1. K-weighting: the two biquads of BS.1770 (a high shelf of +4 dB near
//!    1682 Hz, a high-pass near 38 Hz), designed for the sample rate from
//!    their analogue prototypes by the bilinear transform with the constants
//!    libebur128 uses ([`k_weighting_stages`]), run in cascade, in f32
//!    (libebur128 multiplies them into one fourth-order filter,
//!    [`k_weighting`], and runs it in f64). Each biquad runs in a delta
//!    form (states: the direct form II state and its first difference; the
//!    coefficients `1 + a1 + a2`, `a2`, and two of the numerator, see
//!    `Coef`): the poles near 1 of the 38 Hz high-pass are then exact to f32
//!    precision (`1 + a1 + a2` taken from `a1, a2` rounded to f32, as a
//!    direct form would have it, reads a 20 Hz sine at 96 kHz 0.03 LU
//!    off), and no state is the large, cancelling sum a direct form
//!    carries at low frequencies. Against the crate: within 2e-4 LU for
//!    sines of 20 Hz to 10 kHz at 8 to 192 kHz, with DC offsets and loud
//!    25 Hz rumble (`tests/loudness.rs`).
//! 2. The squares of the filtered samples are summed per 100 ms step
//!    (`(sr + 5) / 10` frames; a last incomplete step is not used): in f32
//!    over runs of [`RUN`] samples, the runs' sums in f32 per step (about
//!    1e-5 relative at worst, 4e-5 dB), the steps in f64.
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
//! Every chunk's filter starts at rest [`WARM_STEPS`] step before the chunk
//! (100 ms; silence before frame 0) and runs through it uncounted: the
//! filter's slowest mode (the 38 Hz high-pass, a double pole) has decayed by
//! about `24 e^-24` (1e-9) by then, far below f32 precision, so the chunk's
//! state is the continuous filter's. The gating blocks that straddle a chunk
//! boundary are made from the steps of both chunks, so the set of blocks is
//! a single meter's. Each lane computes exactly what a scalar filter would
//! (no fused multiply-add; one accumulator per run, step and lane, in
//! order), so the result does not depend on how chunks are grouped or which
//! thread runs them, and [`LoudnessStream`] gets the same bits block by
//! block.

use rayon::prelude::*;

/// Chunks filtered side by side (one group).
pub const LANES: usize = 12;
/// 100 ms steps per chunk (3 s).
pub const CHUNK_STEPS: usize = 30;
/// Warm-up before each chunk, 100 ms steps.
pub const WARM_STEPS: usize = 1;
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

/// The K-weighting in the form [`filter_step`] runs, in f32: each biquad
/// `(b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)` with states `w`
/// (the direct form II state one sample back) and `d` (its last
/// difference), coefficients `e = 1 + a1 + a2`, `a2`, `b0` and
/// `k = b0 - b2 - b0 (1 - a2)`. Per sample: `p = e w`, `q = x - p`,
/// `d' = a2 d + q`, `w' = w + d'`, output `y = (b0 q + p) + k d` (the
/// shelf passes DC at 0 dB, so `b0 + b1 + b2 = e`); for the high-pass
/// (`1, -2, 1`) `y = d' - d`. The coefficient `e`, near 0, keeps the poles
/// near 1 exact to f32 precision, which `a1, a2` near `-2, 1` in f32 would
/// not.
#[derive(Clone, Copy, Debug)]
struct Coef {
    se: f32,
    sa2: f32,
    sb0: f32,
    sk: f32,
    he: f32,
    ha2: f32,
}

impl Coef {
    fn new(rate: f64) -> Coef {
        let (pb, pa, ra) = k_weighting_stages(rate);
        let se = 1.0 + pa[1] + pa[2];
        Coef {
            se: se as f32,
            sa2: pa[2] as f32,
            sb0: pb[0] as f32,
            sk: (pb[0] - pb[2] - pb[0] * (1.0 - pa[2])) as f32,
            he: (1.0 + ra[1] + ra[2]) as f32,
            ha2: ra[2] as f32,
        }
    }
}

/// Samples whose squares are summed before the sum is added to the step's
/// (both in f32; the steps' energies are f64).
pub const RUN: usize = 32;

/// One step of the K-weighting in [`LANES`] lanes: lane `k` filters
/// `sl[k]` (all of the same length) from state `st[.][k]`; returns the sums
/// of the squares of the output, per lane. (Kept out of line: the lanes stay
/// in vector registers, which they do not when LLVM sees the callers'
/// per-lane bookkeeping.)
#[inline(never)]
#[allow(clippy::needless_range_loop)] // `i` indexes every lane's slice
fn filter_step(c: &Coef, sl: &[&[f32]; LANES], st: &mut [[f32; LANES]; 4]) -> [f32; LANES] {
    let n = sl[0].len();
    let sl: [&[f32]; LANES] = std::array::from_fn(|k| &sl[k][..n]);
    // The state as four local arrays (registers); the lanes' samples read
    // side by side, sample by sample (a transposition on the fly).
    let [mut sw, mut sd, mut hw, mut hd] = *st;
    let mut acc = [0f32; LANES];
    for r0 in (0..n).step_by(RUN) {
        let mut a = [0f32; LANES];
        for i in r0..(r0 + RUN).min(n) {
            let v: [f32; LANES] = std::array::from_fn(|k| sl[k][i]);
            for k in 0..LANES {
                // The shelf.
                let p = c.se * sw[k];
                let q = v[k] - p;
                let r = c.sa2 * sd[k];
                let u = (c.sb0 * q + p) + c.sk * sd[k];
                sd[k] = r + q;
                sw[k] += sd[k];
                // The high-pass.
                let q = u - c.he * hw[k];
                let r = c.ha2 * hd[k];
                let d = r + q;
                let y = d - hd[k];
                hd[k] = d;
                hw[k] += d;
                a[k] += y * y;
            }
        }
        for k in 0..LANES {
            acc[k] += a[k];
        }
    }
    *st = [sw, sd, hw, hd];
    acc
}

/// The K-weighted energy (sum of squares) of every 100 ms step of group
/// `g` of one channel. `x` holds the channel's frames from frame `off` on
/// (at least the frames the group reads); `out` receives the group's step
/// energies in order.
fn group_energies(x: &[f32], off: usize, grid: &Grid, g: usize, c: &Coef, out: &mut [f64]) {
    let n = grid.step;
    let steps = grid.group_steps(g);
    debug_assert_eq!(out.len(), steps.len());
    let zeros = vec![0f32; n];
    // Lane k filters chunk `g * LANES + k`: steps `s0 + k C ..`, warmed up on
    // the `WARM_STEPS` steps before (silence before frame 0).
    let s0 = steps.start as isize;
    let mut st = [[0f32; LANES]; 4];
    for t in 0..WARM_STEPS + CHUNK_STEPS {
        let step_of = |k: usize| s0 + (k * CHUNK_STEPS + t) as isize - WARM_STEPS as isize;
        let sl: [&[f32]; LANES] = std::array::from_fn(|k| {
            let s = step_of(k);
            if s < 0 || s as usize >= steps.end {
                &zeros[..n]
            } else {
                let f = s as usize * n - off;
                &x[f..f + n]
            }
        });
        let acc = filter_step(c, &sl, &mut st);
        // A state decaying in silence would become subnormal (slow on most
        // CPUs; libebur128 flushes it to zero): far below any audible level,
        // it is zero. (The slowest mode decays by about e^-24 per step, so a
        // state above the threshold stays normal through the next step.)
        for v in st.iter_mut().flatten() {
            if v.abs() < 1e-20 {
                *v = 0.0;
            }
        }
        if t >= WARM_STEPS {
            for (k, &e) in acc.iter().enumerate() {
                let s = step_of(k);
                if s >= s0 && (s as usize) < steps.end {
                    out[s as usize - steps.start] = e as f64;
                }
            }
        }
    }
}

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
    let coef = Coef::new(sr as f64);
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
/// bit. It holds one group of frames per channel (36.1 s).
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
            coef: Coef::new(sr.max(16) as f64),
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
