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
//!    left out of that and replaced by it ([`DcTracker`]);
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
//! The kernel is finite (about 100 ms each side), so a block is finished as
//! soon as the means 100 ms past it are known: rendering goes a batch of
//! blocks at a time in output order and finishes each batch while it is
//! still in the cache, and the streamed render needs no extra pass. Block
//! means are computed in a fixed order inside fixed blocks and the
//! smoothing runs value by value in order, so the result is the same for any
//! render block size, batch and thread count. Hand-written rather than a
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
    for b in x.chunks(r) {
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
        means.push(s / b.len() as f64);
    }
}

/// One moving sum of `len` values, at rest on a value (as if that value had
/// come forever).
#[derive(Clone, Debug)]
struct MovingSum {
    ring: Vec<f64>,
    pos: usize,
    sum: f64,
}

impl MovingSum {
    fn at_rest(len: usize, v: f64) -> Self {
        MovingSum {
            ring: vec![v; len],
            pos: 0,
            sum: v * len as f64,
        }
    }
    fn push(&mut self, x: f64) -> f64 {
        self.sum += x - self.ring[self.pos];
        self.ring[self.pos] = x;
        self.pos += 1;
        if self.pos == self.ring.len() {
            self.pos = 0;
        }
        self.sum
    }
}

/// The DC estimate of one channel, built from its block means as they come,
/// in order (see the module doc): the means smoothed by four cascaded moving
/// averages of `M` means each (a centred cubic B-spline kernel of `4M - 3`
/// means, about 200 ms), the sequence extended at both ends by the mean of
/// its first and last 50 ms. Estimate `j` is known once the means up to
/// `j + 2(M - 1)` have come (about 100 ms later), or at [`DcTracker::finish`].
/// The result depends only on the sequence of means, not on how it was
/// handed over, so every render path gets the same bits.
#[derive(Clone, Debug)]
pub struct DcTracker {
    m: usize,
    /// `1 / m^4`.
    norm: f64,
    /// Means before the start value is known (the first 50 ms after `skip`).
    head: Vec<f64>,
    head_len: usize,
    /// Leading means left out of the start value (the output's fade-in).
    skip: usize,
    stages: Option<[MovingSum; 4]>,
    /// The last `head_len` means (a ring), for the end value.
    tail: Vec<f64>,
    tail_pos: usize,
    /// Means fed into the stages so far.
    fed: usize,
    /// Estimates `base..base + out.len()`.
    out: Vec<f32>,
    base: usize,
    finished: bool,
}

impl DcTracker {
    /// A tracker for an output at `sample_rate` whose first `skip_frames`
    /// frames rise from zero (the wet signal's first half-grain): the value
    /// the sequence is extended with at the start is the mean of the 50 ms
    /// after them.
    pub fn new(sample_rate: u32, skip_frames: usize) -> Self {
        let fs = sample_rate as f64 / dc_block_len(sample_rate) as f64;
        let m = ((fs / DC_NULL_HZ).round() as usize).max(1);
        DcTracker {
            m,
            norm: 1.0 / (m as f64).powi(4),
            head: Vec::new(),
            head_len: ((0.05 * fs).round() as usize).max(1),
            skip: skip_frames.div_ceil(dc_block_len(sample_rate)),
            stages: None,
            tail: Vec::new(),
            tail_pos: 0,
            fed: 0,
            out: Vec::new(),
            base: 0,
            finished: false,
        }
    }

    /// Centring delay of the cascade, in means.
    fn delay(&self) -> usize {
        2 * (self.m - 1)
    }

    fn start(&mut self) {
        // The 50 ms after the fade-in (or what there is of them).
        let from = self.skip.min(self.head.len().saturating_sub(1));
        let after = &self.head[from..];
        let v = after.iter().sum::<f64>() / after.len().max(1) as f64;
        self.stages = Some(std::array::from_fn(|k| {
            MovingSum::at_rest(self.m, v * (self.m as f64).powi(k as i32))
        }));
        // The fade-in's own means stand for the level after it: the estimate
        // there is scaled by the fade-in when it is subtracted, so it must be
        // the level the signal rises to, not the rise.
        for (i, x) in std::mem::take(&mut self.head).into_iter().enumerate() {
            self.feed(if i < from { v } else { x });
        }
    }

    fn feed(&mut self, x: f64) {
        let Some(st) = self.stages.as_mut() else {
            return;
        };
        let mut y = x;
        for s in st.iter_mut() {
            y = s.push(y);
        }
        self.fed += 1;
        // Output `fed - 1` of the cascade is the estimate `fed - 1 - delay`.
        if self.fed > 2 * (self.m - 1) {
            self.out.push((y * self.norm) as f32);
        }
    }

    /// Hands over the next block means.
    pub fn push(&mut self, means: &[f64]) {
        for &x in means {
            if self.tail.len() < self.head_len {
                self.tail.push(x);
            } else {
                self.tail[self.tail_pos] = x;
                self.tail_pos += 1;
                if self.tail_pos == self.head_len {
                    self.tail_pos = 0;
                }
            }
            if self.stages.is_none() {
                self.head.push(x);
                if self.head.len() == self.skip + self.head_len {
                    self.start();
                }
            } else {
                self.feed(x);
            }
        }
    }

    /// No more means: the estimates of the last `delay` means, from the end
    /// value.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        if self.stages.is_none() {
            self.start();
        }
        let v = self.tail.iter().sum::<f64>() / self.tail.len().max(1) as f64;
        let n = self.fed;
        for _ in 0..self.delay() {
            self.feed(v);
        }
        // Drop the padding's own estimates (beyond the last real mean).
        self.out.truncate(n - self.base);
        self.fed = n;
        self.finished = true;
    }

    /// Whether the estimates that frames `..end` need are known.
    pub fn ready(&self, end: usize, r: usize) -> bool {
        // The centres around frame `end - 1`: index `(end - 1 - r/2) / r + 1`.
        self.finished || self.base + self.out.len() > end / r + 1
    }

    /// The estimates known, and the index of the first.
    pub fn estimates(&self) -> (&[f32], usize) {
        (&self.out, self.base)
    }

    /// Forgets the estimates below index `j` (for the streamed render).
    pub fn forget_before(&mut self, j: usize) {
        let k = j.saturating_sub(self.base).min(self.out.len());
        self.out.drain(..k);
        self.base += k;
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
        // Offsets within a segment are below `r` (at most 4096) or, past the
        // last centre (slope 0), the block's own length: exact in f32. One
        // conversion per eight samples, the lanes' offsets from a table.
        const LANES: [f32; 8] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let k0 = (pos - seg_start) as i32;
        let mut acc = [0f32; 8];
        let mut chunks = seg.chunks_exact_mut(8);
        let mut k = k0;
        for c in &mut chunks {
            let kf = k as f32;
            for ((y, a), l) in c.iter_mut().zip(acc.iter_mut()).zip(LANES) {
                *y -= d0 + slope * (kf + l);
                *a = a.max(y.abs());
            }
            k += 8;
        }
        let kf = k as f32;
        for (y, l) in chunks.into_remainder().iter_mut().zip(LANES) {
            *y -= d0 + slope * (kf + l);
            pk = pk.max(y.abs());
        }
        pk = acc.iter().fold(pk, |m, &a| m.max(a));
        pos = stop;
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
