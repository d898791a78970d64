//! Spectral centroid: brightness (docs/algorithm.md, section 15).

/// `sum_k f_k |X_k| / sum_k |X_k|` with `f_k = k * bin_hz`, Hz; 0 when the
/// magnitudes sum to 0 (silence).
///
/// The two sums run in four interleaved lanes (bins `k = 4j + lane`), added
/// at the end: a single running sum is a chain of dependent additions that
/// cannot vectorise, and cost more than the spectrum's square roots.
pub fn centroid(mag: &[f32], bin_hz: f64) -> f64 {
    let mut num = [0.0f64; 4];
    let mut den = [0.0f64; 4];
    let mut k = [0.0f64, 1.0, 2.0, 3.0];
    let (quads, rest) = mag.as_chunks::<4>();
    for q in quads {
        for lane in 0..4 {
            let m = f64::from(q[lane]);
            num[lane] += k[lane] * m;
            den[lane] += m;
            k[lane] += 4.0;
        }
    }
    for (lane, &m) in rest.iter().enumerate() {
        let m = f64::from(m);
        num[lane] += k[lane] * m;
        den[lane] += m;
    }
    let num = (num[0] + num[1]) + (num[2] + num[3]);
    let den = (den[0] + den[1]) + (den[2] + den[3]);
    if den > 0.0 { bin_hz * num / den } else { 0.0 }
}
