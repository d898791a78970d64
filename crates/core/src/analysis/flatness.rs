//! Spectral flatness (Wiener entropy): noisiness (docs/algorithm.md, section 15).

/// The floor of each power bin, `q_k = max(1e-20, |X_k|^2)`.
pub const FLOOR: f64 = 1e-20;

/// `exp(mean_k ln q_k) / mean_k q_k` with `q_k = max(1e-20, power[k])`: 1
/// for a flat (white) spectrum and for silence, near 0 for a pure tone.
///
/// The geometric mean is taken without a logarithm per bin: the bins'
/// mantissas are multiplied (renormalised every 256 bins, so the product
/// stays within f64's range) and their binary exponents summed; one `ln` at
/// the end. The result is the same up to rounding.
pub fn flatness(power: &[f64]) -> f64 {
    if power.is_empty() {
        return 1.0;
    }
    let mut prod = 1.0f64;
    let mut exp2: i64 = 0;
    let mut sum = 0.0;
    for chunk in power.chunks(256) {
        for &p in chunk {
            let q = p.max(FLOOR);
            sum += q;
            let (m, e) = split(q);
            prod *= m;
            exp2 += e;
        }
        let (m, e) = split(prod);
        prod = m;
        exp2 += e;
    }
    let n = power.len() as f64;
    let ln_gmean = (prod.ln() + exp2 as f64 * std::f64::consts::LN_2) / n;
    let amean = sum / n;
    (ln_gmean.exp() / amean).clamp(0.0, 1.0)
}

/// `(m, e)` with `q = m * 2^e`, `m` in [1, 2), for a normal positive `q`.
#[inline]
fn split(q: f64) -> (f64, i64) {
    let bits = q.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    (m, e)
}
