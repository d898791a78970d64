//! Finishing (docs/algorithm.md, section 8): trim, wet/dry, the DC high-pass,
//! edge fades and the output level.
//!
//! Order: the overlap-added wet signal is mixed with the dry source (both at
//! the source gain of section 2), the DC high-pass runs on the mix, the edge
//! fades come last (so that the file starts and ends at zero even when the
//! mix had an offset), then the level ([`crate::level`]).
//!
//! # The DC high-pass
//!
//! A stutter of one grain with an offset (a vinyl crackle repeated by a high
//! alpha) gives an output whose mean is far from zero, and a thump at the
//! fades. The high-pass that removes it is multirate and zero-phase:
//!
//! 1. the mix is cut into decimation blocks of `R` frames from frame 0
//!    ([`dc_block_len`]: a power of two near `sr / 689`, 64 at 44.1 and
//!    48 kHz), and each block's mean is taken;
//! 2. the sequence of means is smoothed by four cascaded moving averages of
//!    `M = round(sr / R / 20)` means each (50 ms; together a centred cubic
//!    B-spline kernel of about 200 ms, zero phase, so the bass keeps its
//!    timing), the sequence extended at both ends by the mean of its first
//!    and last 50 ms (an offset present from the first frame gives no
//!    start-up transient); the means of the output's fade-in (the wet
//!    signal's first half-grain, under the overlap envelope's floor) are
//!    left out of that and replaced by it ([`DcEstimator`]);
//! 3. this smooth DC estimate, linearly interpolated between block centres,
//!    is subtracted from every frame; over the fade-in it is scaled by the
//!    fade-in itself, so an offset that rises with the first grain is removed
//!    as it rises instead of leaving a bump.
//!
//! The response (measured with 30 s sines at 44.1 kHz): -48 dB at 0.5 Hz,
//! -36 dB at 1 Hz, -9.5 dB at 5 Hz, -3 dB near 8.5 Hz, -1.7 dB at 10 Hz,
//! -0.08 dB at 15 Hz, at most -0.02 dB from 20 Hz up (the kernel has nulls at
//! 20, 40, 60 ... Hz). At DC it is zero, so a step in the offset leaves no
//! lasting mean.
//!
//! The kernel is finite (about 100 ms each side), so a render block is
//! finished as soon as the means of its neighbours are known: the in-memory
//! render goes through runs of consecutive blocks, one run per task, and
//! finishes each block right after rendering the next one, while both are
//! still in the core's cache (the first and last block of each run, and the
//! blocks that read the start and end values, are finished once every mean is
//! known); the streamed render needs no extra pass. Block means are computed
//! in a fixed order inside fixed blocks, and each render block's estimates
//! by a smoothing run afresh over its own neighbourhood, so the result is the
//! same for any batch size, run length and thread count, in memory or
//! streamed. Hand-written rather than a
//! filter crate's: the multirate structure is what makes it cheap (a
//! full-rate IIR high-pass is a serial chain of 80 ms per 10 minutes of mono
//! on this machine), and four moving sums are a few lines.

/// Number of fade frames: `f = min(5 ms, 0.1 D_out)`, none if `f <= 0.2 ms`.
pub fn fade_len(duration_s: f64, sample_rate: u32) -> usize {
    let f = (0.005f64).min(0.1 * duration_s);
    if f > 0.0002 {
        (f * sample_rate as f64).round() as usize
    } else {
        0
    }
}

/// Linear fades over the first and last `n` frames of a `total`-frame
/// channel, on a block holding frames `start..` of it: frame `k` frames from
/// the nearer edge is multiplied by `k / n`.
pub fn fade_block(out: &mut [f32], start: usize, total: usize, n: usize) {
    let n = n.min(total / 2);
    let end = start + out.len();
    // Only the frames within `n` of either edge change.
    for range in [start..end.min(n), start.max(total - n)..end] {
        for pos in range {
            let k = pos.min(total - 1 - pos);
            out[pos - start] *= k as f32 / n as f32;
        }
    }
}

/// The dry share's factor: `(1 - wet) * gain`, or `None` when the dry share
/// is at most 0.001 (no dry mix at all). `wet` is a fraction 0..1, `gain` the
/// source gain of section 2.
pub fn dry_factor(wet: f64, gain: f32) -> Option<f32> {
    let d = 1.0 - wet;
    (d > 0.001).then_some((d * gain as f64) as f32)
}

/// `y = wet * y + dry * x` on a block holding frames `start..` of the output,
/// the dry source `dry` padded with silence past its end; `dry` is the factor
/// from [`dry_factor`].
pub fn mix_dry_block(out: &mut [f32], src: &[f32], start: usize, wet: f64, dry: f32) {
    let w = wet as f32;
    // The part over the dry source, then the part past its end (silence):
    // two plain loops that vectorise.
    let src = src.get(start..).unwrap_or(&[]);
    let n = src.len().min(out.len());
    let (over, past) = out.split_at_mut(n);
    for (y, &x) in over.iter_mut().zip(src) {
        *y = w * *y + dry * x;
    }
    for y in past {
        *y *= w;
    }
}

/// [`mix_dry_block`] with the wet share of every frame read from `wet`
/// (percent, over output time in seconds): `y = w y + (1 - w) gain x`, `w`
/// evaluated at every frame ([`ResolvedEnvelope::fill_frames`](crate::envelope::ResolvedEnvelope::fill_frames)).
pub fn mix_dry_block_varying(
    out: &mut [f32],
    src: &[f32],
    start: usize,
    wet: &crate::envelope::ResolvedEnvelope,
    sample_rate: u32,
    gain: f32,
) {
    thread_local! {
        static WET: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WET.with(|w| {
        let mut w = w.borrow_mut();
        w.resize(out.len(), 0.0);
        wet.fill_frames(start, sample_rate, 0.01, &mut w);
        let src = src.get(start..).unwrap_or(&[]);
        let n = src.len().min(out.len());
        let (over, past) = out.split_at_mut(n);
        let (w_over, w_past) = w.split_at(n);
        for ((y, &x), &w) in over.iter_mut().zip(src).zip(w_over) {
            let w = w.clamp(0.0, 1.0);
            *y = w * *y + (1.0 - w) * gain * x;
        }
        for (y, &w) in past.iter_mut().zip(w_past) {
            *y *= w.clamp(0.0, 1.0);
        }
    });
}

/// First null of the DC estimate's smoothing kernel, Hz: the block means
/// are smoothed by four cascaded moving averages of `1 / DC_NULL_HZ` seconds
/// (50 ms) each.
pub const DC_NULL_HZ: f64 = 20.0;

/// Decimation block of the DC high-pass at `sample_rate`: the power of two
/// nearest `sr / 689` (64 at 44.1 and 48 kHz, 256 at 192 kHz), 8..4096. It
/// divides the render block, so the means of a render block are its own.
pub fn dc_block_len(sample_rate: u32) -> usize {
    let r = (sample_rate as f64 / 689.0).max(1.0).log2().round() as u32;
    (1usize << r.clamp(3, 12)).min(crate::render::BLOCK)
}

/// The means of consecutive `r`-frame blocks of `x` (the last one may be
/// shorter), appended to `means`. `x` must start on a block boundary.
pub fn block_means(x: &[f32], r: usize, means: &mut Vec<f64>) {
    let at = means.len();
    means.resize(at + x.len().div_ceil(r), 0.0);
    block_means_into(x, r, &mut means[at..]);
}

/// [`block_means`] into `means` (`x.len().div_ceil(r)` of them).
pub fn block_means_into(x: &[f32], r: usize, means: &mut [f64]) {
    for (b, mean) in x.chunks(r).zip(means.iter_mut()) {
        // Sixteen partial sums in f32 (vectorised, no serial chain), then f64.
        let mut acc = [0f32; 16];
        let mut it = b.chunks_exact(16);
        for c in &mut it {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += v;
            }
        }
        // Pairwise down to one lane (vector adds), then f64.
        let mut w = 8;
        while w > 0 {
            for i in 0..w {
                acc[i] += acc[i + w];
            }
            w /= 2;
        }
        let mut s = acc[0] as f64;
        s += it.remainder().iter().map(|&v| v as f64).sum::<f64>();
        *mean = s / b.len() as f64;
    }
}

/// How one channel's DC estimate is made from its block means (see the
/// module doc): each estimate is the mean sequence, extended at both ends,
/// smoothed by four cascaded moving averages of `M` means (a centred cubic
/// B-spline kernel of `4M - 3` means, about 200 ms).
///
/// The estimates are computed per render block ([`crate::render::BLOCK`]
/// frames, a fixed grid from frame 0): [`DcEstimator::block_estimates`]
/// runs the cascade afresh, from zero, over the means that block `b`'s
/// estimates read ([`DcEstimator::block_window`], the block's own and about
/// 100 ms on each side). The result depends only on the means and on `b`, so
/// the in-memory render (which finishes each block in the task that rendered
/// it, while it is in the cache), the streamed one and any thread count get
/// the same bits.
#[derive(Clone, Debug)]
pub struct DcEstimator {
    /// Decimation block, frames.
    r: usize,
    m: usize,
    /// `1 / m^4`.
    norm: f64,
    /// Means in the 50 ms whose mean extends the sequence at each end.
    head_len: usize,
    /// Leading means left out of the start value (the output's fade-in).
    skip: usize,
    /// Number of means (of the whole output).
    n: usize,
    /// Means per render block.
    per_block: usize,
}

impl DcEstimator {
    /// The estimator for an output of `out_len` frames at `sample_rate`
    /// whose first `skip_frames` frames rise from zero (the wet signal's
    /// first half-grain): the value the sequence is extended with at the
    /// start is the mean of the 50 ms after them.
    pub fn new(sample_rate: u32, skip_frames: usize, out_len: usize) -> Self {
        let r = dc_block_len(sample_rate);
        let fs = sample_rate as f64 / r as f64;
        let m = ((fs / DC_NULL_HZ).round() as usize).max(1);
        DcEstimator {
            r,
            m,
            norm: 1.0 / (m as f64).powi(4),
            head_len: ((0.05 * fs).round() as usize).max(1),
            skip: skip_frames.div_ceil(r),
            n: out_len.div_ceil(r),
            per_block: crate::render::BLOCK / r,
        }
    }

    /// The decimation block `R`, frames.
    pub fn r(&self) -> usize {
        self.r
    }

    /// Number of block means of the whole output.
    pub fn means_len(&self) -> usize {
        self.n
    }

    /// Half the kernel, in means: an estimate reads this many means on
    /// each side of its own.
    fn half(&self) -> usize {
        2 * (self.m - 1)
    }

    /// The means of render block `b`: indices `j0..j1`.
    pub fn block_means_range(&self, b: usize) -> (usize, usize) {
        let j0 = (b * self.per_block).min(self.n);
        (j0, ((b + 1) * self.per_block).min(self.n))
    }

    /// The estimates block `b`'s frames are interpolated from (its own
    /// means' and one on each side): indices `lo..hi`.
    pub fn block_range(&self, b: usize) -> (usize, usize) {
        let (j0, j1) = self.block_means_range(b);
        (j0.saturating_sub(1), (j1 + 1).min(self.n))
    }

    /// The means that block `b`'s estimates read: indices `lo..hi`.
    pub fn block_window(&self, b: usize) -> (usize, usize) {
        let (lo, hi) = self.block_range(b);
        (
            lo.saturating_sub(self.half()),
            (hi + self.half()).min(self.n),
        )
    }

    /// The first mean that is not replaced by the start value.
    fn first_kept(&self) -> usize {
        self.skip.min(self.n.saturating_sub(1))
    }

    /// Whether block `b`'s estimates read the start value (see
    /// [`head_value`](Self::head_value)).
    pub fn needs_head(&self, b: usize) -> bool {
        let (lo, _) = self.block_range(b);
        lo < self.half() + self.first_kept()
    }

    /// Whether block `b`'s estimates read the end value (see
    /// [`tail_value`](Self::tail_value)).
    pub fn needs_tail(&self, b: usize) -> bool {
        let (_, hi) = self.block_range(b);
        hi + self.half() > self.n
    }

    /// The means the start value reads: indices `lo..hi`.
    pub fn head_window(&self) -> (usize, usize) {
        (self.first_kept(), (self.skip + self.head_len).min(self.n))
    }

    /// The start value: the mean of the 50 ms of means after the fade-in
    /// (or of what there is of them). `means[i - base]` is mean `i`; it
    /// must hold [`head_window`](Self::head_window).
    pub fn head_value(&self, means: &[f64], base: usize) -> f64 {
        let (a, b) = self.head_window();
        let w = &means[a - base..b - base];
        w.iter().sum::<f64>() / w.len().max(1) as f64
    }

    /// The end value: the mean of the last 50 ms of means. `means[i - base]`
    /// is mean `i`; it must hold the last means.
    pub fn tail_value(&self, means: &[f64], base: usize) -> f64 {
        let a = self.n - self.head_len.min(self.n);
        let w = &means[a - base..self.n - base];
        w.iter().sum::<f64>() / w.len().max(1) as f64
    }

    /// The estimates of block `b` ([`block_range`](Self::block_range)),
    /// into `out` (cleared first); `means[i - base]` is mean `i` and must
    /// hold [`block_window`](Self::block_window). `head` and `tail` are the
    /// start and end values (read only when
    /// [`needs_head`](Self::needs_head) / [`needs_tail`](Self::needs_tail)).
    /// Returns the index of the first estimate.
    pub fn block_estimates(
        &self,
        b: usize,
        (means, base): (&[f64], usize),
        head: f64,
        tail: f64,
        out: &mut Vec<f32>,
    ) -> usize {
        out.clear();
        let (lo, hi) = self.block_range(b);
        let (h, m) = (self.half() as isize, self.m);
        let keep = self.first_kept() as isize;
        let n = self.n as isize;
        // The extended sequence: the start value before the first kept mean
        // (and before frame 0), the end value past the last mean.
        let at = |i: isize| -> f64 {
            if i < keep {
                head
            } else if i >= n {
                tail
            } else {
                means[i as usize - base]
            }
        };
        // Four moving sums of `m` values, from zero: once `4(m - 1)` values
        // are in, the last stage holds the whole kernel's sum, the estimate
        // `h` values back.
        let mut rings = vec![0f64; 4 * m];
        let mut sums = [0f64; 4];
        let mut pos = 0;
        let (lo, hi) = (lo as isize, hi as isize);
        for p in lo - h..hi + h {
            let mut y = at(p);
            for (k, s) in sums.iter_mut().enumerate() {
                let slot = &mut rings[k * m + pos];
                *s += y - *slot;
                *slot = y;
                y = *s;
            }
            pos += 1;
            if pos == m {
                pos = 0;
            }
            if p >= lo + h {
                out.push((y * self.norm) as f32);
            }
        }
        lo as usize
    }
}

/// Subtracts the DC estimate (`dc[j - base]` for block `j`, one value per
/// `r`-frame block, taken at the block's centre `j r + r/2`, linearly
/// interpolated between centres and held beyond the first and last) from a
/// block holding frames `start..`.
/// Over the first `ramp.len()` frames of the output, the estimate is scaled
/// by `ramp` (the mix's own fade-in there: the first half-grain of the wet
/// signal rises from zero, and an offset it carries rises with it).
/// Returns the block's peak after the subtraction (measured in the same
/// loop, which saves a pass).
pub fn subtract_dc_block(
    out: &mut [f32],
    start: usize,
    (dc, base): (&[f32], usize),
    r: usize,
    ramp: &[f32],
) -> f32 {
    let end = start + out.len();
    if start < ramp.len() {
        // The ramped head, frame by frame (at most one grain long).
        let n = ramp.len().min(end) - start;
        let mut head = vec![0f32; n];
        subtract_dc_plain(&mut head, start, (dc, base), r);
        for ((y, d), g) in out.iter_mut().zip(&head).zip(&ramp[start..]) {
            // `head` holds -estimate.
            *y += d * g;
        }
        let pk = block_peak(&out[..n]);
        pk.max(subtract_dc_plain(&mut out[n..], start + n, (dc, base), r))
    } else {
        subtract_dc_plain(out, start, (dc, base), r)
    }
}

fn subtract_dc_plain(out: &mut [f32], start: usize, (dc, base): (&[f32], usize), r: usize) -> f32 {
    let mut pk = 0f32;
    let Some(&last) = dc.last() else {
        return block_peak(out);
    };
    // Eight running maxima (one vector register), kept across segments.
    let mut acc = [0f32; 8];
    let half = r / 2;
    let inv = 1.0 / r as f32;
    // `r` is a power of two (dc_block_len): a shift, not a division.
    let shift = r.trailing_zeros();
    let end = start + out.len();
    let mut pos = start;
    while pos < end {
        // The segment between the centres of blocks j and j + 1 holding `pos`.
        let (d0, slope, seg_start, seg_end) = if pos < half {
            (dc[0], 0.0, 0, half)
        } else {
            let j = (pos - half) >> shift;
            let c = (j << shift) + half;
            if j + 1 >= base + dc.len() {
                (last, 0.0, c, usize::MAX)
            } else {
                let (e0, e1) = (dc[j - base], dc[j + 1 - base]);
                (e0, (e1 - e0) * inv, c, c + r)
            }
        };
        let stop = seg_end.min(end);
        let seg = &mut out[pos - start..stop - start];
        let k0 = pos - seg_start;
        if slope == 0.0 {
            // Held (before the first centre, past the last).
            pk = pk.max(sub_const(seg, d0, &mut acc));
        } else {
            // Offsets within a segment are below `r` (at most 4096): exact
            // in f32, read from a table so that the loop is plain vector
            // code (no conversion, no lane bookkeeping).
            pk = pk.max(sub_line(
                seg,
                d0,
                slope,
                &OFFSETS[k0..k0 + seg.len()],
                &mut acc,
            ));
        }
        pos = stop;
    }
    acc.iter().fold(pk, |m, &a| m.max(a))
}

/// `0, 1, 2, ...` as f32: the offsets of frames from a block centre (`r`
/// is at most 4096, [`dc_block_len`]).
static OFFSETS: [f32; 4096] = {
    let mut t = [0f32; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = i as f32;
        i += 1;
    }
    t
};

/// `y -= d0 + slope * k` for the offsets `k` of `ks`; the running maxima of
/// `|y|` in `acc`, the remainder's returned.
#[inline]
fn sub_line(seg: &mut [f32], d0: f32, slope: f32, ks: &[f32], acc: &mut [f32; 8]) -> f32 {
    let (ys, yr) = seg.as_chunks_mut::<8>();
    let (kc, kr) = ks.as_chunks::<8>();
    for (y, k) in ys.iter_mut().zip(kc) {
        for i in 0..8 {
            y[i] -= d0 + slope * k[i];
            acc[i] = acc[i].max(y[i].abs());
        }
    }
    let mut pk = 0f32;
    for (y, k) in yr.iter_mut().zip(kr) {
        *y -= d0 + slope * k;
        pk = pk.max(y.abs());
    }
    pk
}

/// `y -= d0` (in the same arithmetic as [`sub_line`] with slope 0); the
/// running maxima of `|y|` in `acc`, the remainder's returned.
#[inline]
fn sub_const(seg: &mut [f32], d0: f32, acc: &mut [f32; 8]) -> f32 {
    let (ys, yr) = seg.as_chunks_mut::<8>();
    for y in ys.iter_mut() {
        for i in 0..8 {
            y[i] -= d0;
            acc[i] = acc[i].max(y[i].abs());
        }
    }
    let mut pk = 0f32;
    for y in yr.iter_mut() {
        *y -= d0;
        pk = pk.max(y.abs());
    }
    pk
}

/// Largest absolute sample of a block (vectorised).
pub fn block_peak(x: &[f32]) -> f32 {
    // Eight running maxima (one vector register), then their maximum.
    let mut acc = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a = a.max(v.abs());
        }
    }
    let tail = chunks.remainder().iter().fold(0f32, |m, v| m.max(v.abs()));
    acc.iter().fold(tail, |m, &a| m.max(a))
}

/// Number of samples beyond full scale (`|x| > 1`).
pub fn count_over(x: &[f32]) -> u64 {
    x.iter().map(|v| u64::from(v.abs() > 1.0)).sum()
}

/// Multiplies every sample by `g` (in parallel blocks).
pub fn scale<C: AsMut<[f32]>>(chs: &mut [C], g: f32) {
    use rayon::prelude::*;
    if g == 1.0 {
        return;
    }
    for c in chs.iter_mut() {
        c.as_mut().par_chunks_mut(1 << 16).for_each(|b| {
            for x in b.iter_mut() {
                *x *= g;
            }
        });
    }
}
