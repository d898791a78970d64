//! Varispeed: band-limited resampling of a grain by a speed ratio (SPEC.md section 7.2).
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
/// Ratios above 1 up to this many semitones get their own bucket.
const MAX_UP_ST: f64 = 4.0;

/// One filter table: `PHASES` rows of `taps` coefficients (`taps` a multiple of
/// 8; the outermost taps may be zero padding).
#[derive(Clone, Debug)]
struct Table {
    taps: usize,
    /// `taps / 2 - 1`: offset of the first tap left of `floor(t)`.
    left: usize,
    coef: Vec<f32>,
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
        0
    } else {
        let b = (ratio.log2() * 12.0 * BUCKETS_PER_ST - 1e-9).ceil();
        (b.max(1.0) as usize).min((MAX_UP_ST * BUCKETS_PER_ST) as usize + 1)
    }
}

fn bucket_cutoff(b: usize) -> f64 {
    if b == 0 {
        CUTOFF
    } else {
        CUTOFF / 2f64.powf(b as f64 / (12.0 * BUCKETS_PER_ST))
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
        let mut coef = vec![0f32; PHASES * taps];
        for ph in 0..PHASES {
            let frac = ph as f64 / PHASES as f64;
            let row = &mut coef[ph * taps..(ph + 1) * taps];
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
            for (c, v) in row.iter_mut().zip(&vals) {
                *c = (v / sum) as f32;
            }
        }
        Table { taps, left, coef }
    }
}

/// Dot product of two slices whose length is a multiple of 8, with two
/// four-lane accumulators (`wide::f32x4`: packed SSE loads, multiplies and adds
/// on baseline x86-64; the auto-vectoriser split the plain-array version into
/// two-lane loads).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    use wide::f32x4;
    let mut lo = f32x4::ZERO;
    let mut hi = f32x4::ZERO;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let x0 = f32x4::new([x[0], x[1], x[2], x[3]]);
        let x1 = f32x4::new([x[4], x[5], x[6], x[7]]);
        let y0 = f32x4::new([y[0], y[1], y[2], y[3]]);
        let y1 = f32x4::new([y[4], y[5], y[6], y[7]]);
        lo += x0 * y0;
        hi += x1 * y1;
    }
    let s = (lo + hi).to_array();
    (s[0] + s[2]) + (s[1] + s[3])
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
        let mut tables: Vec<Option<Table>> = vec![None; (MAX_UP_ST * BUCKETS_PER_ST) as usize + 2];
        for r in ratios {
            let b = bucket_of(r);
            if tables[b].is_none() {
                tables[b] = Some(Table::new(bucket_cutoff(b)));
            }
        }
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
        for (i, o) in out.iter_mut().enumerate() {
            let (row, first) = t.row(start, ratio, k0 + i);
            *o = dot(segment(src, first, t.taps, scratch), row);
        }
    }

    /// Reads the grain from every channel of `srcs` at once (the filter row is
    /// found once per output sample) and adds it, times `gain * w[i]`, to
    /// `outs[c][o0 + i]`: the same arithmetic as [`read`](Self::read) followed
    /// by the multiply-add.
    #[allow(clippy::too_many_arguments)]
    pub fn read_add(
        &self,
        srcs: &[&[f32]],
        start: usize,
        ratio: f64,
        k0: usize,
        w: &[f32],
        gain: f32,
        outs: &mut [&mut [f32]],
        o0: usize,
        scratch: &mut Vec<f32>,
    ) {
        let t = self.table(ratio);
        for (i, &wi) in w.iter().enumerate() {
            let (row, first) = t.row(start, ratio, k0 + i);
            for (src, out) in srcs.iter().zip(outs.iter_mut()) {
                let x = dot(segment(src, first, t.taps, scratch), row);
                out[o0 + i] += x * gain * wi;
            }
        }
    }

    fn table(&self, ratio: f64) -> &Table {
        self.tables[bucket_of(ratio)]
            .as_ref()
            .expect("Varispeed built for this ratio")
    }
}

impl Table {
    /// The filter row and the first source sample for output sample `k`,
    /// centred on input position `start + (k + 0.5) * ratio - 0.5`.
    #[inline(always)]
    fn row(&self, start: usize, ratio: f64, k: usize) -> (&[f32], i64) {
        let pos = start as f64 + (k as f64 + 0.5) * ratio - 0.5;
        // Position to the nearest 1/PHASES sample, split into the integer
        // sample and the phase (no floor/round calls in the hot loop).
        let q = ((pos + POS_OFFSET as f64) * PHASES as f64 + 0.5) as i64;
        let ph = (q as usize) % PHASES;
        let fl = q / PHASES as i64 - POS_OFFSET;
        (
            &self.coef[ph * self.taps..(ph + 1) * self.taps],
            fl - self.left as i64,
        )
    }
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
}
