//! Spectral centroid: brightness (docs/algorithm.md, section 15).

/// Interleaved partial sums: bins `k = LANES j + lane`.
const LANES: usize = 16;

/// `sum_k f_k |X_k| / sum_k |X_k|` with `f_k = k * bin_hz`, Hz; 0 when the
/// magnitudes sum to 0 (silence).
///
/// The two sums run in f64 in sixteen interleaved lanes (four AVX2
/// registers each), added pairwise at the end: a single running sum is a
/// chain of dependent additions that cannot vectorise, and four lanes
/// (until 2026-12-08) left the loop waiting on the additions' latency.
#[inline(always)]
pub fn centroid(mag: &[f32], bin_hz: f64) -> f64 {
    // Two loops, one per sum: interleaved in one loop, the compiler pairs
    // each lane's two sums in a register instead of filling whole
    // registers with one sum's lanes.
    let (rows, rest) = mag.as_chunks::<LANES>();
    let mut den = [0.0f64; LANES];
    for q in rows {
        for lane in 0..LANES {
            den[lane] += f64::from(q[lane]);
        }
    }
    let mut num = [0.0f64; LANES];
    let mut k: [f64; LANES] = std::array::from_fn(|lane| lane as f64);
    for q in rows {
        for lane in 0..LANES {
            num[lane] += k[lane] * f64::from(q[lane]);
            k[lane] += LANES as f64;
        }
    }
    for (lane, &m) in rest.iter().enumerate() {
        let m = f64::from(m);
        num[lane] += k[lane] * m;
        den[lane] += m;
    }
    let (num, den) = (pairwise(&num), pairwise(&den));
    if den > 0.0 { bin_hz * num / den } else { 0.0 }
}

/// The lanes' total, added in pairs (lane `i` with `i + 8`, then `i + 4`, ...).
#[inline(always)]
pub(crate) fn pairwise(v: &[f64; LANES]) -> f64 {
    let mut s = *v;
    let mut half = LANES / 2;
    while half > 0 {
        for i in 0..half {
            s[i] += s[i + half];
        }
        half /= 2;
    }
    s[0]
}
