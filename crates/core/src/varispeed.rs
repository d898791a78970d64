//! Varispeed: band-limited resampling of a grain by a speed ratio (docs/algorithm.md, section 7.2).
//!
//! A Kaiser-windowed sinc, tabulated per phase (polyphase, 2048 phases per
//! sample, nearest phase: a timing error of at most 1/4096 sample, below -60 dB
//! for content under 15 kHz at 44.1 kHz). Hand-written rather than a resampling crate because a
//! grain needs one arbitrary, non-rational ratio over a few hundred samples, read
//! straight from the source without copies or per-grain setup; the crates
//! (rubato, ...) are built for streams at a fixed ratio.
//!
//! Speeding up (ratio > 1) lowers the cutoff to `0.88 / ratio` of the input
//! Nyquist frequency so that nothing folds back; ratios are quantised UP to
//! 1/8 semitone for the table choice, so the cutoff is never too high.

use rayon::prelude::*;
use wide::{CmpGt, f32x4, f64x2, u64x2};

/// Zero crossings of the sinc on each side of the centre (at the cutoff scale).
const ZERO_CROSSINGS: f64 = 16.0;
/// Cutoff as a fraction of the (input or output, the lower) Nyquist frequency.
const CUTOFF: f64 = 0.86;
/// Kaiser beta: about -72 dB side lobes.
const KAISER_BETA: f64 = 7.0;
/// Phases per input sample in the table.
const PHASES: usize = 2048;
/// Table buckets per semitone for ratios above 1 (the cutoff is at most 1/8
/// semitone, 0.7 %, lower than it could be).
const BUCKETS_PER_ST: f64 = 8.0;
/// Ratios above 1 up to this many semitones get a bucket of 1/8 semitone
/// (the pitch jitter's range).
const MAX_UP_ST: f64 = 4.0;
/// Beyond [`MAX_UP_ST`], up to this many semitones (a transposition of 24
/// plus a jitter of 4), buckets are half a semitone wide: the cutoff is at
/// most 3 % lower than it could be, and a sweep builds few tables.
const MAX_TRANSPOSE_UP_ST: f64 = 28.0;
/// Buckets per semitone beyond [`MAX_UP_ST`].
const WIDE_BUCKETS_PER_ST: f64 = 2.0;
/// Fine buckets (1/8 st, from bucket 1) and then wide ones.
const FINE_BUCKETS: usize = (MAX_UP_ST * BUCKETS_PER_ST) as usize;
const BUCKETS: usize =
    1 + FINE_BUCKETS + ((MAX_TRANSPOSE_UP_ST - MAX_UP_ST) * WIDE_BUCKETS_PER_ST) as usize + 1;

/// Eight taps as two four-lane vectors: the unit of the dot product. Rows are
/// stored in this form so that the coefficient loads are aligned and fold into
/// the multiplies.
type Oct = [f32x4; 2];

/// One filter table: `PHASES` rows of `taps` coefficients (`taps` a multiple of
/// 8; the outermost taps may be zero padding).
#[derive(Clone, Debug)]
struct Table {
    taps: usize,
    /// `taps / 2 - 1`: offset of the first tap left of `floor(t)`.
    left: usize,
    /// Row `ph` is `coef[ph * taps / 8..(ph + 1) * taps / 8]`.
    coef: Vec<Oct>,
}

/// The tables for every ratio bucket a plan uses.
#[derive(Clone, Debug)]
pub struct Varispeed {
    tables: Vec<Option<Table>>,
}

fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..200 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn bucket_of(ratio: f64) -> usize {
    if ratio <= 1.0 {
        return 0;
    }
    let st = ratio.log2() * 12.0;
    let b = (st * BUCKETS_PER_ST - 1e-9).ceil();
    if b <= FINE_BUCKETS as f64 {
        return b.max(1.0) as usize;
    }
    let w = ((st - MAX_UP_ST) * WIDE_BUCKETS_PER_ST - 1e-9).ceil();
    (FINE_BUCKETS + w.max(1.0) as usize).min(BUCKETS - 1)
}

/// The semitones up that bucket `b` is built for (its upper edge).
fn bucket_st(b: usize) -> f64 {
    if b <= FINE_BUCKETS {
        b as f64 / BUCKETS_PER_ST
    } else {
        MAX_UP_ST + (b - FINE_BUCKETS) as f64 / WIDE_BUCKETS_PER_ST
    }
}

fn bucket_cutoff(b: usize) -> f64 {
    if b == 0 {
        CUTOFF
    } else {
        CUTOFF / 2f64.powf(bucket_st(b) / 12.0)
    }
}

impl Table {
    fn new(fc: f64) -> Table {
        let half = (ZERO_CROSSINGS / fc).ceil() as usize;
        // Pad to a multiple of 8 taps so the dot product has no scalar tail.
        let taps = (2 * half).div_ceil(8) * 8;
        let left = half - 1 + (taps - 2 * half) / 2;
        let i0b = bessel_i0(KAISER_BETA);
        let w = ZERO_CROSSINGS / fc;
        let mut coef = vec![[f32x4::ZERO; 2]; PHASES * taps / 8];
        // The rows are independent and the Bessel functions take about 3 ms
        // per table: build the rows on every thread.
        coef.par_chunks_mut(taps / 8)
            .enumerate()
            .for_each(|(ph, row)| {
                let frac = ph as f64 / PHASES as f64;
                let mut vals = vec![0f64; taps];
                for (j, v) in vals.iter_mut().enumerate() {
                    // Tap j reads sample floor(t) - left + j; its distance from t.
                    let x = frac + left as f64 - j as f64;
                    let r = x / w;
                    if r.abs() >= 1.0 {
                        continue;
                    }
                    let y = fc * x;
                    let sinc = if y.abs() < 1e-12 {
                        1.0
                    } else {
                        (std::f64::consts::PI * y).sin() / (std::f64::consts::PI * y)
                    };
                    let kaiser = bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / i0b;
                    *v = fc * sinc * kaiser;
                }
                // Unity gain at DC for every phase: a constant stays constant.
                let sum: f64 = vals.iter().sum();
                for (oct, v) in row.iter_mut().zip(vals.chunks_exact(8)) {
                    let c: [f32; 8] = std::array::from_fn(|j| (v[j] / sum) as f32);
                    *oct = [
                        f32x4::new([c[0], c[1], c[2], c[3]]),
                        f32x4::new([c[4], c[5], c[6], c[7]]),
                    ];
                }
            });
        Table { taps, left, coef }
    }
}

/// The dot product of `x` (a multiple of 8 samples) with a filter row, left as
/// the four lane sums of two four-lane accumulators (`wide::f32x4`: packed SSE
/// loads, multiplies and adds on baseline x86-64); [`hsum`] finishes it. This
/// order of additions is the output's definition: every path below uses it.
#[inline(always)]
fn dot_lanes(x: &[f32], row: &[Oct]) -> f32x4 {
    let mut lo = f32x4::ZERO;
    let mut hi = f32x4::ZERO;
    for (x, y) in x.chunks_exact(8).zip(row) {
        let x0 = f32x4::new([x[0], x[1], x[2], x[3]]);
        let x1 = f32x4::new([x[4], x[5], x[6], x[7]]);
        lo += x0 * y[0];
        hi += x1 * y[1];
    }
    lo + hi
}

/// The last step of the dot product: `(s0 + s2) + (s1 + s3)`.
#[inline(always)]
fn hsum(s: f32x4) -> f32 {
    let s = s.to_array();
    (s[0] + s[2]) + (s[1] + s[3])
}

/// [`hsum`] of four dot products at once, as one vector: the same additions,
/// done lane-wise after a 4x4 transpose instead of one sample at a time.
#[inline(always)]
fn hsum4(s: [f32x4; 4]) -> f32x4 {
    let [s0, s1, s2, s3] = f32x4::transpose(s);
    (s0 + s2) + (s1 + s3)
}

/// Keeps positions positive for the integer split below (grains may start a
/// few samples before the source).
const POS_OFFSET: i64 = 1 << 24;

/// Output length of a grain of `len` samples played at `ratio`: `round(len / ratio)`.
pub fn shifted_len(len: usize, ratio: f64) -> usize {
    ((len as f64 / ratio).round() as usize).max(1)
}

impl Varispeed {
    /// Builds the tables for the given ratios (each distinct bucket once).
    pub fn new(ratios: impl IntoIterator<Item = f64>) -> Varispeed {
        let mut tables: Vec<Option<Table>> = vec![None; BUCKETS];
        let mut wanted = vec![false; tables.len()];
        for r in ratios {
            wanted[bucket_of(r)] = true;
        }
        tables
            .par_iter_mut()
            .zip(wanted)
            .enumerate()
            .filter(|(_, (_, w))| *w)
            .for_each(|(b, (t, _))| *t = Some(Table::new(bucket_cutoff(b))));
        Varispeed { tables }
    }

    /// Writes `out[i] = y(k0 + i)` where `y(k)` is the grain read at speed
    /// `ratio` from `src` starting at `start`: output sample `k` is centred on
    /// input position `start + (k + 0.5) * ratio - 0.5`. Samples outside `src`
    /// read as zero. `scratch` is reused for the zero-padded edge case.
    pub fn read(
        &self,
        src: &[f32],
        start: usize,
        ratio: f64,
        k0: usize,
        out: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let t = self.table(ratio);
        let pos = Positions::new(start, ratio, t.left);
        for (i, o) in out.iter_mut().enumerate() {
            let (ph, first) = pos.split(k0 + i);
            *o = hsum(dot_lanes(segment(src, first, t.taps, scratch), t.row(ph)));
        }
    }

    /// Reads the grain from every channel of `srcs` at once (the filter row is
    /// found once per output sample) and adds it, times `gains[c] * w[i]`, to
    /// `outs[c][o0 + i]`: the same arithmetic as [`read`](Self::read) followed
    /// by the multiply-add.
    // Nine arguments: the hot inner call of rendering takes the grain's
    // source, position, ratio, offset, window, gain and destination as they
    // are; bundling them into a struct per grain only moves the same fields.
    #[allow(clippy::too_many_arguments)]
    pub fn read_add(
        &self,
        srcs: &[&[f32]],
        start: usize,
        ratio: f64,
        k0: usize,
        w: &[f32],
        gains: &[f32],
        outs: &mut [&mut [f32]],
        o0: usize,
        scratch: &mut Vec<f32>,
    ) {
        let t = self.table(ratio);
        let g = Grain {
            t,
            pos: Positions::new(start, ratio, t.left),
            k0,
            w,
            gains,
            o0,
        };
        // One copy of the kernel per table width in use (40 taps up to 1.25
        // semitones up, 48 beyond), with the chunk loops fully unrolled.
        match t.taps / 8 {
            5 => g.add_all::<5>(srcs, outs, scratch),
            6 => g.add_all::<6>(srcs, outs, scratch),
            _ => g.add_all::<0>(srcs, outs, scratch),
        }
    }

    fn table(&self, ratio: f64) -> &Table {
        self.tables[bucket_of(ratio)]
            .as_ref()
            .expect("Varispeed built for this ratio")
    }
}

impl Table {
    /// The filter row of phase `ph` (< `PHASES`).
    #[inline(always)]
    fn row(&self, ph: usize) -> &[Oct] {
        let c = self.taps / 8;
        &self.coef[ph * c..(ph + 1) * c]
    }
}

/// Where the output samples of one grain read from.
#[derive(Clone, Copy)]
struct Positions {
    start: f64,
    ratio: f64,
    left: i64,
}

/// 2^52, the smallest `f64` whose spacing is 1.
const TWO_52: f64 = (1u64 << 52) as f64;

/// Output samples whose positions are worked out together, before their dot
/// products (and shared by every channel); a multiple of 4.
const RUN: usize = 64;

impl Positions {
    fn new(start: usize, ratio: f64, left: usize) -> Positions {
        Positions {
            start: start as f64,
            ratio,
            left: left as i64,
        }
    }

    /// The phase and the first source sample of output sample `k`, centred on
    /// input position `start + (k + 0.5) * ratio - 0.5`: the definition, one
    /// sample at a time.
    #[inline(always)]
    fn split(&self, k: usize) -> (usize, i64) {
        let pos = self.start + (k as f64 + 0.5) * self.ratio - 0.5;
        // Position to the nearest 1/PHASES sample, split into the integer
        // sample and the phase (no floor/round calls in the hot loop).
        let q = ((pos + POS_OFFSET as f64) * PHASES as f64 + 0.5) as i64;
        let ph = (q as usize) % PHASES;
        let fl = q / PHASES as i64 - POS_OFFSET;
        (ph, fl - self.left)
    }

    /// [`split`](Self::split) for the two output samples with `k + 0.5 = kh`,
    /// in the two lanes of SSE2 registers: the same f64 operations, then the
    /// truncation done exactly on integer lanes instead of by `as i64` (one
    /// conversion and a saturation fix-up per sample, with no two-lane form in
    /// SSE2). The phase is left in the low bits of the first array (the bits
    /// above it are not cleared). Only where [`exact2`](Self::exact2) holds.
    #[inline(always)]
    fn split2(&self, kh: f64x2) -> ([u64; 2], [i64; 2]) {
        let pos = f64x2::splat(self.start) + kh * self.ratio - 0.5;
        let z = (pos + POS_OFFSET as f64) * PHASES as f64 + 0.5;
        // 0 < z < 2^52, so truncation is the floor: adding 2^52 rounds z to
        // the nearest integer (the low bits of the sum); subtract one where
        // that went up.
        let m = z + TWO_52;
        let up = (m - TWO_52).cmp_gt(z);
        let bits = |v: f64x2| {
            let [a, b] = v.to_array();
            u64x2::new([a.to_bits(), b.to_bits()])
        };
        // bits(m) is the bit pattern P of 2^52 plus round(z); the mask is all
        // ones (-1, wrapping) where the rounding went up, so the sum is P + q
        // with q = trunc(z). P is zero below bit 52: the phase is in the low
        // bits, and the shift is (P >> 11) + q / PHASES (q >= 0).
        let pq = bits(m) + bits(up);
        let shift = PHASES.trailing_zeros();
        let base = (TWO_52.to_bits() >> shift) + (POS_OFFSET + self.left) as u64;
        let first = (pq >> shift) - base;
        (pq.to_array(), first.to_array().map(|f| f as i64))
    }

    /// Whether [`split2`](Self::split2) is exact for output samples up to
    /// `k_end`: it needs `0 < z < 2^52`, that is positions from -0.5 to below
    /// 2^41 samples (and `k + 0.5` exact). This asks for a ratio >= 0 and
    /// positions below 2^40 samples (eight months at 44.1 kHz); anything else
    /// (a NaN ratio, say) takes the per-sample path.
    fn exact2(&self, k_end: usize) -> bool {
        let limit = (1u64 << 40) as f64;
        self.ratio >= 0.0
            && (k_end as f64) < limit
            && self.start + (k_end as f64 + 1.0) * self.ratio < limit
    }

    /// Where output samples `k..k + 4 * quads.len()` read. (Not inlined: on
    /// its own, the loop keeps its constants in registers.)
    #[inline(never)]
    fn fill(&self, k: usize, two: bool, quads: &mut [Quad]) {
        if two {
            // `k + 0.5` for two samples at a time; exact in f64.
            let mut kh = f64x2::new([k as f64 + 0.5, k as f64 + 1.5]);
            for d in quads {
                let (p0, f0) = self.split2(kh);
                let (p1, f1) = self.split2(kh + 2.0);
                *d = Quad {
                    ph: [p0[0], p0[1], p1[0], p1[1]],
                    first: [f0[0], f0[1], f1[0], f1[1]],
                };
                kh = kh + 4.0;
            }
        } else {
            for (j, d) in quads.iter_mut().enumerate() {
                for l in 0..4 {
                    let (ph, first) = self.split(k + 4 * j + l);
                    (d.ph[l], d.first[l]) = (ph as u64, first);
                }
            }
        }
    }
}

/// Where four consecutive output samples read: their phases (in the low bits:
/// [`Grain::add_all`]'s `row` masks them) and first source samples.
#[derive(Clone, Copy, Default)]
struct Quad {
    ph: [u64; 4],
    first: [i64; 4],
}

/// One grain's [`Varispeed::read_add`] call.
struct Grain<'a> {
    t: &'a Table,
    pos: Positions,
    k0: usize,
    w: &'a [f32],
    /// Gain per output channel (the last one repeats for the rest).
    gains: &'a [f32],
    o0: usize,
}

impl Grain<'_> {
    /// The whole grain, `C` chunks of 8 taps (0: read from the table).
    ///
    /// One sample at a time spent most of its instructions on bookkeeping
    /// around a 40-tap dot product (position, row, bounds, horizontal sum,
    /// output update, registers spilled around the channel loop). Here the
    /// positions of a run of samples are computed first, two per SSE2
    /// register, for all channels; then the dot products go four samples at a
    /// time, sharing one bounds check ([`window`]), one transposed horizontal
    /// sum ([`hsum4`]) and one vector multiply-add into the output. Each
    /// sample's arithmetic is unchanged.
    fn add_all<const C: usize>(
        &self,
        srcs: &[&[f32]],
        outs: &mut [&mut [f32]],
        scratch: &mut Vec<f32>,
    ) {
        let t = self.t;
        let c = if C == 0 { t.taps / 8 } else { C };
        let taps = 8 * c;
        // Exactly PHASES rows, so that a masked phase needs no bounds check.
        let coef = &t.coef[..PHASES * c];
        let row = |ph: u64| {
            let ph = ph as usize % PHASES;
            &coef[ph * c..ph * c + c]
        };
        // A run's last quad may reach 3 samples past the grain.
        let two = self.pos.exact2(self.k0 + self.w.len() + 3);
        // The same source slice for both outputs (section 14's mono spread).
        let shared = srcs.len() == 2
            && outs.len() == 2
            && std::ptr::eq(srcs[0].as_ptr(), srcs[1].as_ptr())
            && srcs[0].len() == srcs[1].len();
        let mut quads = [Quad::default(); RUN / 4];
        for (r, wr) in self.w.chunks(RUN).enumerate() {
            let n = wr.len();
            self.pos
                .fill(self.k0 + r * RUN, two, &mut quads[..n.div_ceil(4)]);
            let i0 = self.o0 + r * RUN;
            if shared {
                // One source under two outputs (a mono source spread in stereo):
                // each dot product once, added to both with their gains.
                let src = srcs[0];
                let (g0, g1) = (self.gains[0], self.gains[1.min(self.gains.len() - 1)]);
                let (ga, gb) = (f32x4::splat(g0), f32x4::splat(g1));
                let [oa, ob] = outs else { unreachable!() };
                let oa = &mut oa[i0..i0 + n];
                let ob = &mut ob[i0..i0 + n];
                let mut one =
                    |ph: u64, f: i64| hsum(dot_lanes(segment(src, f, taps, scratch), row(ph)));
                let q = n / 4 * 4;
                for (j, d) in quads[..n / 4].iter().enumerate() {
                    let x = quad_dot(src, d, taps, &row, &mut one);
                    let k = 4 * j;
                    let w = f32x4::new([wr[k], wr[k + 1], wr[k + 2], wr[k + 3]]);
                    for (o, g) in [(&mut oa[k..k + 4], ga), (&mut ob[k..k + 4], gb)] {
                        let y = f32x4::new([o[0], o[1], o[2], o[3]]) + x * g * w;
                        o.copy_from_slice(&y.to_array());
                    }
                }
                if let Some(d) = quads.get(n / 4) {
                    for l in 0..n - q {
                        let x = one(d.ph[l], d.first[l]);
                        oa[q + l] += x * g0 * wr[q + l];
                        ob[q + l] += x * g1 * wr[q + l];
                    }
                }
                continue;
            }
            for (ci, (src, out)) in srcs.iter().zip(outs.iter_mut()).enumerate() {
                let g1 = self.gains[ci.min(self.gains.len() - 1)];
                let gain = f32x4::splat(g1);
                let out = &mut out[i0..i0 + n];
                let mut one =
                    |ph: u64, f: i64| hsum(dot_lanes(segment(src, f, taps, scratch), row(ph)));
                // Groups of four, then the last 1 to 3 samples of the grain.
                let (out, out_rest) = out.split_at_mut(n / 4 * 4);
                let (wr, w_rest) = wr.split_at(n / 4 * 4);
                let groups = out.chunks_exact_mut(4).zip(wr.chunks_exact(4));
                for ((o, w), d) in groups.zip(&quads) {
                    let x = quad_dot(src, d, taps, &row, &mut one);
                    // `x * gain * w` per lane, as one sample at a time does it.
                    let w = f32x4::new([w[0], w[1], w[2], w[3]]);
                    let y = f32x4::new([o[0], o[1], o[2], o[3]]) + x * gain * w;
                    o.copy_from_slice(&y.to_array());
                }
                if let Some(d) = quads.get(n / 4) {
                    for (l, (o, &wi)) in out_rest.iter_mut().zip(w_rest).enumerate() {
                        *o += one(d.ph[l], d.first[l]) * g1 * wi;
                    }
                }
            }
        }
    }
}

/// Four consecutive output samples of one grain: the dot products of their
/// source windows with their phases' filter rows. `one` computes a single
/// sample at the edges of the source (zero padding). Shared by the
/// per-channel path and the one-source-two-outputs path of `add_all`, which
/// must give the same bits.
#[inline(always)]
fn quad_dot<'t>(
    src: &[f32],
    d: &Quad,
    taps: usize,
    row: &impl Fn(u64) -> &'t [Oct],
    one: &mut impl FnMut(u64, i64) -> f32,
) -> f32x4 {
    let (p, f) = (&d.ph, &d.first);
    match window(src, f, taps) {
        Some((win, s)) => hsum4([
            dot_lanes(&win[s[0]..s[0] + taps], row(p[0])),
            dot_lanes(&win[s[1]..s[1] + taps], row(p[1])),
            dot_lanes(&win[s[2]..s[2] + taps], row(p[2])),
            dot_lanes(&win[s[3]..s[3] + taps], row(p[3])),
        ]),
        // At the edges of the source: zero padding.
        None => f32x4::new(std::array::from_fn(|l| one(p[l], f[l]))),
    }
}

/// The source samples under four consecutive output samples starting at
/// `first[0..4]`, as one slice and each sample's offset into it: one bounds
/// check instead of four (offsets are masked to below 8, which the compiler
/// can see, after checking that masking changes nothing). None at the edges
/// of `src` (or for offsets of 8 or more, which take a ratio above 2).
#[inline(always)]
fn window<'a>(src: &'a [f32], first: &[i64; 4], taps: usize) -> Option<(&'a [f32], [usize; 4])> {
    let d1 = first[1].wrapping_sub(first[0]) as usize;
    let d2 = first[2].wrapping_sub(first[0]) as usize;
    let d3 = first[3].wrapping_sub(first[0]) as usize;
    if (d1 | d2 | d3) >= 8 {
        return None;
    }
    // A negative `first` wraps to a start past the end: None.
    let f0 = first[0] as usize;
    let win = src.get(f0..f0.wrapping_add(taps + 7))?;
    Some((win, [0, d1 & 7, d2 & 7, d3 & 7]))
}

/// `taps` source samples from `first` on; zeros outside `src` (through `scratch`).
#[inline(always)]
fn segment<'a>(src: &'a [f32], first: i64, taps: usize, scratch: &'a mut Vec<f32>) -> &'a [f32] {
    if first >= 0 && (first as usize + taps) <= src.len() {
        &src[first as usize..first as usize + taps]
    } else {
        scratch.clear();
        scratch.extend((0..taps as i64).map(|j| {
            let n = first + j;
            if n >= 0 && (n as usize) < src.len() {
                src[n as usize]
            } else {
                0.0
            }
        }));
        scratch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_never_raise_the_cutoff() {
        for st in [0.01, 0.3, 1.0, 2.5, 3.0, 3.99, 4.0] {
            let r = 2f64.powf(st / 12.0);
            let b = bucket_of(r);
            assert!(bucket_cutoff(b) <= CUTOFF / r + 1e-12, "st {st}");
            assert!(bucket_cutoff(b) > CUTOFF / r * 0.99, "st {st}");
        }
        assert_eq!(bucket_of(1.0), 0);
        assert_eq!(bucket_of(0.8), 0);
    }

    #[test]
    fn one_source_under_two_outputs_adds_what_two_copies_add() {
        // The shared-source path (a mono source spread in stereo) against the same
        // source as two separate slices: bit-identical, at edges and in the middle.
        let mut rng = Rng(7);
        let a: Vec<f32> = (0..5000).map(|_| rng.unit() as f32 - 0.5).collect();
        let b = a.clone();
        let v = Varispeed::new([0.8, 1.3]);
        for (start, ratio, len) in [
            (0, 1.3, 701),
            (10, 0.8, 333),
            (4200, 1.3, 1000),
            (2000, 0.8, 6),
        ] {
            let w: Vec<f32> = (0..len).map(|i| 0.5 + (i % 7) as f32 * 0.07).collect();
            let gains = [0.6f32, 0.8];
            let mut x = [vec![0.1f32; 1200], vec![0.2f32; 1200]];
            let mut y = x.clone();
            let mut scratch = Vec::new();
            {
                let [x0, x1] = &mut x;
                v.read_add(
                    &[&a, &a],
                    start,
                    ratio,
                    3,
                    &w,
                    &gains,
                    &mut [x0, x1],
                    5,
                    &mut scratch,
                );
                let [y0, y1] = &mut y;
                v.read_add(
                    &[&a, &b],
                    start,
                    ratio,
                    3,
                    &w,
                    &gains,
                    &mut [y0, y1],
                    5,
                    &mut scratch,
                );
            }
            assert!(x == y, "start {start} ratio {ratio}");
            assert!(x[0] != vec![0.1f32; 1200]);
        }
    }

    #[test]
    fn dc_is_preserved() {
        let src = vec![0.5f32; 4000];
        let v = Varispeed::new([0.9, 1.2]);
        let mut scratch = Vec::new();
        for r in [0.9, 1.2] {
            let mut out = vec![0f32; 1000];
            v.read(&src, 1000, r, 0, &mut out, &mut scratch);
            for &o in &out {
                assert!((o - 0.5).abs() < 1e-5);
            }
        }
    }

    /// Xorshift: a small deterministic generator for the tests below.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// `read_add` one output sample at a time, as first written: the
    /// definition that the batched code must match bit for bit.
    // The same arguments as `read_add`, which it must mirror one to one.
    #[allow(clippy::too_many_arguments)]
    fn read_add_reference(
        v: &Varispeed,
        srcs: &[&[f32]],
        start: usize,
        ratio: f64,
        k0: usize,
        w: &[f32],
        gain: f32,
        outs: &mut [Vec<f32>],
        o0: usize,
    ) {
        let t = v.table(ratio);
        let coef: Vec<f32> = t.coef.iter().flatten().flat_map(|x| x.to_array()).collect();
        for (i, &wi) in w.iter().enumerate() {
            let pos = start as f64 + ((k0 + i) as f64 + 0.5) * ratio - 0.5;
            let q = ((pos + POS_OFFSET as f64) * PHASES as f64 + 0.5) as i64;
            let ph = (q as usize) % PHASES;
            let first = q / PHASES as i64 - POS_OFFSET - t.left as i64;
            let row = &coef[ph * t.taps..(ph + 1) * t.taps];
            for (src, out) in srcs.iter().zip(outs.iter_mut()) {
                let seg: Vec<f32> = (first..first + t.taps as i64)
                    .map(|n| usize::try_from(n).ok().and_then(|n| src.get(n)))
                    .map(|x| x.copied().unwrap_or(0.0))
                    .collect();
                let mut lo = f32x4::ZERO;
                let mut hi = f32x4::ZERO;
                for (x, y) in seg.chunks_exact(8).zip(row.chunks_exact(8)) {
                    lo +=
                        f32x4::new([x[0], x[1], x[2], x[3]]) * f32x4::new([y[0], y[1], y[2], y[3]]);
                    hi +=
                        f32x4::new([x[4], x[5], x[6], x[7]]) * f32x4::new([y[4], y[5], y[6], y[7]]);
                }
                let s = (lo + hi).to_array();
                let x = (s[0] + s[2]) + (s[1] + s[3]);
                out[o0 + i] += x * gain * wi;
            }
        }
    }

    #[test]
    fn read_add_matches_one_sample_at_a_time_bit_for_bit() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Ratios below 1, in several buckets of both widths (40 and 48 taps)
        // and past the last bucket.
        let ratios: Vec<f64> = [-4.0, -0.3, -0.01, 0.0001, 0.3, 1.3, 2.9, 4.0, 5.0, 24.0]
            .iter()
            .map(|st: &f64| 2f64.powf(st / 12.0))
            .collect();
        let v = Varispeed::new(ratios.iter().copied());
        assert_eq!(v.table(ratios[0]).taps, 40);
        assert_eq!(v.table(ratios[7]).taps, 48);
        // Transpositions beyond the jitter's 4 st get wider kernels (a lower
        // cutoff): 5 st and 24 st (two octaves up, a quarter of the band).
        assert_eq!(v.table(ratios[8]).taps, 56);
        assert_eq!(v.table(ratios[9]).taps, 152);
        let a: Vec<f32> = (0..3000).map(|_| rng.unit() as f32 * 2.0 - 1.0).collect();
        // A second channel, shorter: its edges come at other places.
        let b: Vec<f32> = a[..2500].iter().map(|x| -0.5 * x).collect();
        let mut scratch = Vec::new();
        for case in 0..600 {
            let ratio = ratios[case % ratios.len()];
            let len = 1 + rng.below(300);
            // From before the source (negative positions) to past its end.
            let start = rng.below(3100);
            let (k0, o0) = (rng.below(40), rng.below(20));
            let gain = 0.25 + rng.unit() as f32;
            let w: Vec<f32> = (0..len).map(|_| rng.unit() as f32).collect();
            let init: Vec<f32> = (0..o0 + len).map(|_| rng.unit() as f32 - 0.5).collect();
            for srcs in [vec![&a[..]], vec![&a[..], &b[..]]] {
                let mut got = vec![init.clone(); srcs.len()];
                let mut want = got.clone();
                let mut generic = got.clone();
                let mut outs: Vec<&mut [f32]> = got.iter_mut().map(|o| &mut o[..]).collect();
                let sc = &mut scratch;
                v.read_add(&srcs, start, ratio, k0, &w, &[gain], &mut outs, o0, sc);
                read_add_reference(&v, &srcs, start, ratio, k0, &w, gain, &mut want, o0);
                // The kernel for other table widths (the width read at run time).
                let t = v.table(ratio);
                let pos = Positions::new(start, ratio, t.left);
                let w = &w[..];
                let g = Grain {
                    t,
                    pos,
                    k0,
                    w,
                    gains: &[gain],
                    o0,
                };
                let mut outs: Vec<&mut [f32]> = generic.iter_mut().map(|o| &mut o[..]).collect();
                g.add_all::<0>(&srcs, &mut outs, sc);
                for (c, want) in want.iter().enumerate() {
                    for (i, w) in want.iter().enumerate() {
                        let bits = [got[c][i].to_bits(), generic[c][i].to_bits()];
                        assert_eq!(bits, [w.to_bits(); 2], "case {case} ch {c} sample {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn paired_positions_are_the_scalar_positions() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for case in 0..3000 {
            let ratio = match case % 4 {
                0 => 1.0,
                // Multiples of 1/32 from integer starts put z on integers and
                // halves: the rounding ties.
                1 => (1 + rng.below(64)) as f64 / 32.0,
                2 => 2f64.powf((rng.unit() * 8.0 - 4.0) / 12.0),
                _ => 0.5 + rng.unit(),
            };
            let start = match case % 3 {
                0 => rng.below(100),
                1 => rng.below(1 << 20),
                _ => (1 << 40) - 20_000 - rng.below(1000),
            };
            let pos = Positions::new(start, ratio, 19 + rng.below(6));
            let k = rng.below(5000);
            let mut got = [Quad::default(); 8];
            let mut want = got;
            assert!(pos.exact2(k + 32));
            pos.fill(k, true, &mut got);
            pos.fill(k, false, &mut want);
            for (g, w) in got.iter().zip(&want) {
                for l in 0..4 {
                    assert_eq!(g.ph[l] as usize % PHASES, w.ph[l] as usize, "case {case}");
                    assert_eq!(g.first[l], w.first[l], "case {case}");
                }
            }
        }
        let pos = |start: usize, ratio: f64| Positions::new(start, ratio, 20);
        assert!(!pos(1 << 40, 1.0).exact2(0));
        assert!(!pos(0, f64::NAN).exact2(0));
        assert!(!pos(0, -1.0).exact2(0));
    }
}
