//! Spectral flux: new energy appearing (docs/algorithm.md, section 15).

/// Interleaved partial sums, as the centroid's: bins `k = 16 j + 4 g + i`.
const LANES: usize = 16;

/// `sum_k max(0, |X_k(i)| - |X_k(i-1)|)` from this candidate's magnitudes
/// `mag` and the previous candidate's `prev` (linear magnitude units),
/// summed in f64 in sixteen interleaved lanes (one running sum is a chain of
/// dependent additions that cannot vectorise; see the centroid).
#[inline(always)]
pub fn flux(mag: &[f32], prev: &[f32]) -> f64 {
    let n = mag.len().min(prev.len());
    let (mag, prev) = (&mag[..n], &prev[..n]);
    let mut sum = [[0.0f64; 4]; 4];
    let (mq, mr) = mag.as_chunks::<LANES>();
    let (pq, pr) = prev.as_chunks::<LANES>();
    for (m, p) in mq.iter().zip(pq) {
        for (g, lanes) in sum.iter_mut().enumerate() {
            for (i, s) in lanes.iter_mut().enumerate() {
                let j = 4 * g + i;
                *s += (f64::from(m[j]) - f64::from(p[j])).max(0.0);
            }
        }
    }
    for (lane, (&m, &p)) in mr.iter().zip(pr).enumerate() {
        sum[lane / 4][lane % 4] += (f64::from(m) - f64::from(p)).max(0.0);
    }
    super::centroid::pairwise(&sum)
}
