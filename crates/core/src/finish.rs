//! Finishing: trim, edge fades, wet/dry and peak (SPEC.md section 8).

/// Peak level the output is normalised to.
pub const PEAK: f64 = 0.99;

/// Number of fade frames: `f = min(5 ms, 0.1 D_out)`, none if `f <= 0.2 ms`.
pub fn fade_len(duration_s: f64, sample_rate: u32) -> usize {
    let f = (0.005f64).min(0.1 * duration_s);
    if f > 0.0002 {
        (f * sample_rate as f64).round() as usize
    } else {
        0
    }
}

/// Linear fade-in over the first `n` frames and fade-out over the last `n`:
/// frame `k` frames from the nearer edge is multiplied by `k / n`.
pub fn apply_fades(ch: &mut [f32], n: usize) {
    let len = ch.len();
    fade_block(ch, 0, len, n);
}

/// [`apply_fades`] on a block holding frames `start..` of a `total`-frame channel.
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

/// `y = wet * out + (1 - wet) * dry` (dry padded with silence), if the dry
/// share exceeds 0.001. `wet` is a fraction 0..1.
pub fn mix_dry(out: &mut [f32], dry: &[f32], wet: f64) {
    mix_dry_block(out, dry, 0, wet);
}

/// [`mix_dry`] on a block holding frames `start..` of the output.
pub fn mix_dry_block(out: &mut [f32], dry: &[f32], start: usize, wet: f64) {
    let d = 1.0 - wet;
    if d <= 0.001 {
        return;
    }
    let (w, d) = (wet as f32, d as f32);
    // The part over the dry source, then the part past its end (silence):
    // two plain loops that vectorise.
    let dry = dry.get(start..).unwrap_or(&[]);
    let n = dry.len().min(out.len());
    let (over, past) = out.split_at_mut(n);
    for (y, &x) in over.iter_mut().zip(dry) {
        *y = w * *y + d * x;
    }
    for y in past {
        *y = w * *y + d * 0.0;
    }
}

/// Largest absolute sample over all channels.
pub fn peak(chs: &[impl AsRef<[f32]>]) -> f32 {
    chs.iter()
        .flat_map(|c| c.as_ref().iter())
        .fold(0.0f32, |m, x| m.max(x.abs()))
}

/// The gain that brings a peak to 0.99, or 1 if the peak is at most 0.001
/// (SPEC.md section 8.4).
pub fn peak_gain(peak: f32) -> f32 {
    if peak as f64 > 0.001 {
        (PEAK / peak as f64) as f32
    } else {
        1.0
    }
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

/// Scales all channels together so that the peak is 0.99 (if it exceeds 0.001).
/// Returns the gain applied.
pub fn normalize<C: AsMut<[f32]> + AsRef<[f32]>>(chs: &mut [C]) -> f64 {
    use rayon::prelude::*;
    let p = chs
        .iter()
        .map(|c| {
            c.as_ref()
                .par_chunks(1 << 16)
                .map(|b| b.iter().fold(0f32, |m, x| m.max(x.abs())))
                .reduce(|| 0.0, f32::max)
        })
        .fold(0.0, f32::max);
    let g = peak_gain(p);
    scale(chs, g);
    g as f64
}
