//! Spectral centroid: brightness (docs/algorithm.md, section 15).

/// Interleaved partial sums: bins `k = 16 j + 4 g + i` go to lane `(g, i)`.
const LANES: usize = 16;

/// `sum_k f_k |X_k| / sum_k |X_k|` with `f_k = k * bin_hz`, Hz; 0 when the
/// magnitudes sum to 0 (silence).
///
/// The two sums run in f64 in sixteen interleaved lanes, four groups of four
/// (one AVX2 register each; written as groups of four so that the compiler
/// fills whole registers), added pairwise at the end. A single running sum
/// is a chain of dependent additions that cannot vectorise; four lanes
/// (until 2026-12-08) left the loop waiting on the additions' latency.
#[inline(always)]
pub fn centroid(mag: &[f32], bin_hz: f64) -> f64 {
    let (rows, rest) = mag.as_chunks::<LANES>();
    // One loop per sum: in one loop, the compiler pairs the two sums of a
    // lane in a register rather than filling registers with one sum's lanes.
    let mut den = [[0.0f64; 4]; 4];
    for q in rows {
        for g in 0..4 {
            for i in 0..4 {
                den[g][i] += f64::from(q[4 * g + i]);
            }
        }
    }
    let mut num = [[0.0f64; 4]; 4];
    let mut k: [[f64; 4]; 4] = std::array::from_fn(|g| std::array::from_fn(|i| (4 * g + i) as f64));
    for q in rows {
        for g in 0..4 {
            for i in 0..4 {
                num[g][i] += k[g][i] * f64::from(q[4 * g + i]);
                k[g][i] += LANES as f64;
            }
        }
    }
    for (lane, &m) in rest.iter().enumerate() {
        let m = f64::from(m);
        let (g, i) = (lane / 4, lane % 4);
        num[g][i] += k[g][i] * m;
        den[g][i] += m;
    }
    let (num, den) = (pairwise(&num), pairwise(&den));
    if den > 0.0 { bin_hz * num / den } else { 0.0 }
}

/// The sixteen lanes' total, added in pairs: group `g` with `g + 2`, then
/// `g + 1`, then within the group lane `i` with `i + 2`, then `i + 1`.
#[inline(always)]
pub(crate) fn pairwise(v: &[[f64; 4]; 4]) -> f64 {
    let mut s = [0.0f64; 4];
    for i in 0..4 {
        s[i] = (v[0][i] + v[2][i]) + (v[1][i] + v[3][i]);
    }
    (s[0] + s[2]) + (s[1] + s[3])
}
