//! Spectral centroid: brightness (docs/algorithm.md, section 15).

/// `sum_k f_k |X_k| / sum_k |X_k|` with `f_k = k * bin_hz`, Hz; 0 when the
/// magnitudes sum to 0 (silence).
pub fn centroid(mag: &[f64], bin_hz: f64) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for (k, &m) in mag.iter().enumerate() {
        num += k as f64 * m;
        den += m;
    }
    if den > 0.0 { bin_hz * num / den } else { 0.0 }
}
