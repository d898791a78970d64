//! Spectral flux: new energy appearing (docs/algorithm.md, section 15).

/// `sum_k max(0, |X_k(i)| - |X_k(i-1)|)` from this candidate's magnitudes
/// `mag` and the previous candidate's `prev` (linear magnitude units).
pub fn flux(mag: &[f32], prev: &[f32]) -> f64 {
    mag.iter()
        .zip(prev)
        .map(|(&m, &p)| (f64::from(m) - f64::from(p)).max(0.0))
        .sum()
}
