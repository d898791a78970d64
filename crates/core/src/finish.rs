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

/// Linear fade-in over the first `n` frames and fade-out over the last `n`.
pub fn apply_fades(ch: &mut [f32], n: usize) {
    let n = n.min(ch.len() / 2);
    let len = ch.len();
    for k in 0..n {
        let g = k as f32 / n as f32;
        ch[k] *= g;
        ch[len - 1 - k] *= g;
    }
}

/// `y = wet * out + (1 - wet) * dry` (dry padded with silence), if the dry
/// share exceeds 0.001. `wet` is a fraction 0..1.
pub fn mix_dry(out: &mut [f32], dry: &[f32], wet: f64) {
    let d = 1.0 - wet;
    if d <= 0.001 {
        return;
    }
    let (w, d) = (wet as f32, d as f32);
    for (i, y) in out.iter_mut().enumerate() {
        let x = dry.get(i).copied().unwrap_or(0.0);
        *y = w * *y + d * x;
    }
}

/// Largest absolute sample over all channels.
pub fn peak(chs: &[impl AsRef<[f32]>]) -> f32 {
    chs.iter()
        .flat_map(|c| c.as_ref().iter())
        .fold(0.0f32, |m, x| m.max(x.abs()))
}

/// Scales all channels together so that the peak is 0.99 (if it exceeds 0.001).
/// Returns the gain applied.
pub fn normalize(chs: &mut [Vec<f32>]) -> f64 {
    use rayon::prelude::*;
    let p = chs
        .iter()
        .map(|c| {
            c.par_chunks(1 << 16)
                .map(|b| b.iter().fold(0f32, |m, x| m.max(x.abs())))
                .reduce(|| 0.0, f32::max)
        })
        .fold(0.0, f32::max) as f64;
    if p > 0.001 {
        let g = (PEAK / p) as f32;
        for c in chs.iter_mut() {
            c.par_chunks_mut(1 << 16).for_each(|b| {
                for x in b.iter_mut() {
                    *x *= g;
                }
            });
        }
        g as f64
    } else {
        1.0
    }
}

/// Fades, wet/dry and peak, in that order, on already-trimmed output.
pub fn finish(
    out: &mut [Vec<f32>],
    dry: &[&[f32]],
    duration_s: f64,
    sample_rate: u32,
    wet_percent: f64,
) {
    let nf = fade_len(duration_s, sample_rate);
    for (ch, d) in out.iter_mut().zip(dry) {
        apply_fades(ch, nf);
        mix_dry(ch, d, wet_percent / 100.0);
    }
    normalize(out);
}
