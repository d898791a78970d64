//! The Hann window of docs/algorithm.md, section 4: `w[k] = 0.5 - 0.5 cos(2 pi (k + 0.5) / M)`.
//!
//! It never reaches zero at the edges and is exactly constant-overlap-add at hop
//! `M / 2` for even `M`.

/// The window value at `k` for a window of length `m`, in f64.
#[inline]
pub fn hann_at(k: usize, m: usize) -> f64 {
    0.5 - 0.5 * (std::f64::consts::TAU * (k as f64 + 0.5) / m as f64).cos()
}

/// A Hann table of length `m` (f64, for analysis).
pub fn hann_f64(m: usize) -> Vec<f64> {
    (0..m).map(|k| hann_at(k, m)).collect()
}

/// Fills `out` with the Hann window of length `out.len()`, in f32.
///
/// Uses a rotation recurrence in f64 (one complex multiply per sample instead
/// of a `cos` call), accurate to ~1e-13 for any length gar uses.
pub fn fill_hann(out: &mut [f32]) {
    let m = out.len();
    if m == 0 {
        return;
    }
    let step = std::f64::consts::TAU / m as f64;
    let (ss, cs) = step.sin_cos();
    let (mut s, mut c) = (0.5 * step).sin_cos();
    for (k, o) in out.iter_mut().enumerate() {
        // Re-anchor every 1024 samples so that rounding cannot accumulate.
        if k % 1024 == 0 && k > 0 {
            let (s2, c2) = (step * (k as f64 + 0.5)).sin_cos();
            s = s2;
            c = c2;
        }
        *o = (0.5 - 0.5 * c) as f32;
        let c_next = c * cs - s * ss;
        s = s * cs + c * ss;
        c = c_next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrence_matches_direct_formula() {
        for m in [1usize, 2, 7, 882, 1323, 26460, 44100] {
            let mut w = vec![0f32; m];
            fill_hann(&mut w);
            for (k, &v) in w.iter().enumerate() {
                assert!((v as f64 - hann_at(k, m)).abs() < 1e-6, "m={m} k={k}");
            }
        }
    }

    #[test]
    fn constant_overlap_add_at_half_length() {
        let m = 100;
        let w = hann_f64(m);
        for k in 0..m / 2 {
            assert!((w[k] + w[k + m / 2] - 1.0).abs() < 1e-12);
        }
    }
}
