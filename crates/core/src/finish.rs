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
//! 2. the sequence of means runs through a second-order Butterworth low-pass
//!    with its corner at [`DC_CORNER_HZ`] (5 Hz), backwards and then forwards
//!    (zero phase, so the bass keeps its timing), each direction starting at
//!    rest on the mean of its first 50 ms (so that an offset present from the first frame
//!    gives no start-up transient; backwards first, so that the forward pass
//!    starts on a value that has seen past the start's fade-in ramp);
//! 3. this smooth DC estimate, linearly interpolated between block centres,
//!    is subtracted from every frame.
//!
//! The response is `1 - |H(f)|^2` with `H` the low-pass: -6 dB at 5 Hz, -3 dB
//! at 6.2 Hz, -0.002 dB at 40 Hz; at DC it is zero, with a fourth-order
//! zero, so a step in the offset leaves no lasting mean. Block means are
//! computed in a fixed order inside fixed blocks, so the result is the same
//! for any render block size and thread count. The cost is one read of the
//! output for the means (fused with rendering), a filter over `1/R` as many
//! values, and one pass that subtracts (fused with the fades and the peak).
//! Hand-written rather than a filter crate's: the multirate structure is what
//! makes it cheap (a full-rate IIR is a serial chain of 80 ms per 10 minutes
//! of mono on this machine), and the biquad is ten lines.

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

/// Corner of the DC estimate's low-pass, Hz.
pub const DC_CORNER_HZ: f64 = 5.0;

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
        let mut s: f64 = acc.iter().map(|&a| a as f64).sum();
        s += it.remainder().iter().map(|&v| v as f64).sum::<f64>();
        means.push(s / b.len() as f64);
    }
}

/// One direction of the second-order Butterworth low-pass (bilinear transform,
/// corner `fc` at sample rate `fs`), in place, starting at rest.
fn lowpass_pass(v: &mut [f64], fc: f64, fs: f64, backwards: bool) {
    let k = (std::f64::consts::PI * (fc / fs).min(0.49)).tan();
    let q = std::f64::consts::FRAC_1_SQRT_2;
    let norm = 1.0 / (1.0 + k / q + k * k);
    let b0 = k * k * norm;
    let (b1, b2) = (2.0 * b0, b0);
    let a1 = 2.0 * (k * k - 1.0) * norm;
    let a2 = (1.0 - k / q + k * k) * norm;
    let n = v.len();
    if n == 0 {
        return;
    }
    // At rest on the mean of the first 50 ms in the pass's direction (one
    // block mean alone carries the content's ripple): unit DC gain, so every
    // delayed value equals it.
    let m = ((0.05 * fs).round() as usize).clamp(1, n);
    let edge = if backwards { &v[n - m..] } else { &v[..m] };
    let first = edge.iter().sum::<f64>() / m as f64;
    let (mut x1, mut x2, mut y1, mut y2) = (first, first, first, first);
    let mut step = |x: &mut f64| {
        let y = b0 * *x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = *x;
        y2 = y1;
        y1 = y;
        *x = y;
    };
    if backwards {
        v.iter_mut().rev().for_each(&mut step);
    } else {
        v.iter_mut().for_each(&mut step);
    }
}

/// The DC estimate of one channel, from its block means: zero-phase low-pass
/// of the means (backwards, then forwards), as f32 for the subtraction.
pub fn dc_estimate(mut means: Vec<f64>, sample_rate: u32) -> Vec<f32> {
    let fs = sample_rate as f64 / dc_block_len(sample_rate) as f64;
    // Backwards first: the forward pass then starts at rest on a value that
    // already saw the level after the start, where the output ramps up from
    // its fade-in (starting on the ramp would leave a start-up transient).
    lowpass_pass(&mut means, DC_CORNER_HZ, fs, true);
    lowpass_pass(&mut means, DC_CORNER_HZ, fs, false);
    means.into_iter().map(|m| m as f32).collect()
}

/// Subtracts the DC estimate `dc` (one value per `r`-frame block, taken at
/// the block's centre `j r + r/2`, linearly interpolated between centres and
/// held beyond the first and last) from a block holding frames `start..`.
/// Over the first `ramp.len()` frames of the output, the estimate is scaled
/// by `ramp` (the mix's own fade-in there: the first half-grain of the wet
/// signal rises from zero, and an offset it carries rises with it).
/// Returns the block's peak after the subtraction (measured in the same
/// loop, which saves a pass).
pub fn subtract_dc_block(out: &mut [f32], start: usize, dc: &[f32], r: usize, ramp: &[f32]) -> f32 {
    let end = start + out.len();
    if start < ramp.len() {
        // The ramped head, frame by frame (at most one grain long).
        let n = ramp.len().min(end) - start;
        let mut head = vec![0f32; n];
        subtract_dc_plain(&mut head, start, dc, r);
        for ((y, d), g) in out.iter_mut().zip(&head).zip(&ramp[start..]) {
            // `head` holds -estimate.
            *y += d * g;
        }
        let pk = block_peak(&out[..n]);
        pk.max(subtract_dc_plain(&mut out[n..], start + n, dc, r))
    } else {
        subtract_dc_plain(out, start, dc, r)
    }
}

fn subtract_dc_plain(out: &mut [f32], start: usize, dc: &[f32], r: usize) -> f32 {
    let mut pk = 0f32;
    let Some(&last) = dc.last() else {
        return block_peak(out);
    };
    let half = r / 2;
    let inv = 1.0 / r as f32;
    let end = start + out.len();
    let mut pos = start;
    while pos < end {
        // The segment between the centres of blocks j and j + 1 holding `pos`.
        let (d0, slope, seg_start, seg_end) = if pos < half {
            (dc[0], 0.0, 0, half)
        } else {
            let j = (pos - half) / r;
            let c = j * r + half;
            if j + 1 >= dc.len() {
                (last, 0.0, c, usize::MAX)
            } else {
                (dc[j], (dc[j + 1] - dc[j]) * inv, c, c + r)
            }
        };
        let stop = seg_end.min(end);
        let seg = &mut out[pos - start..stop - start];
        let k0 = (pos - seg_start) as f32;
        for (k, y) in seg.iter_mut().enumerate() {
            *y -= d0 + slope * (k0 + k as f32);
            pk = pk.max(y.abs());
        }
        pos = stop;
    }
    pk
}

/// Largest absolute sample of a block (vectorised).
pub fn block_peak(x: &[f32]) -> f32 {
    x.iter().fold(0f32, |m, v| m.max(v.abs()))
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
