//! Spectral flatness (Wiener entropy): noisiness (docs/algorithm.md, section 15).

/// The floor of each power bin, `q_k = max(1e-20, |X_k|^2)`.
pub const FLOOR: f64 = 1e-20;

/// `exp(mean_k ln q_k) / mean_k q_k` with `q_k = max(1e-20, power[k])`: 1
/// for a flat (white) spectrum and for silence, near 0 for a pure tone.
///
/// The geometric mean is taken without a logarithm per bin: the bins'
/// mantissas are multiplied (in four lanes, each renormalised every 256 of
/// its bins, so the products stay within f64's range) and their binary
/// exponents summed; four `ln` at the end. The result is the same up to
/// rounding.
pub fn flatness(power: &[f64]) -> f64 {
    if power.is_empty() {
        return 1.0;
    }
    // Four interleaved lanes (bins 4j + lane): one running product is a
    // chain of dependent multiplications, the loop's whole cost.
    let mut prod = [1.0f64; 4];
    let mut exp2 = [0i64; 4];
    let mut sum = [0.0f64; 4];
    for chunk in power.chunks(1024) {
        let (quads, rest) = chunk.as_chunks::<4>();
        for q in quads {
            for lane in 0..4 {
                let v = q[lane].max(FLOOR);
                sum[lane] += v;
                let (m, e) = split(v);
                prod[lane] *= m;
                exp2[lane] += e;
            }
        }
        for (lane, &p) in rest.iter().enumerate() {
            let v = p.max(FLOOR);
            sum[lane] += v;
            let (m, e) = split(v);
            prod[lane] *= m;
            exp2[lane] += e;
        }
        // At most 256 mantissas in [1, 2) per lane: the product stays below 2^256.
        for lane in 0..4 {
            let (m, e) = split(prod[lane]);
            prod[lane] = m;
            exp2[lane] += e;
        }
    }
    let ln_prod: f64 = prod.iter().map(|p| p.ln()).sum();
    let e: i64 = exp2.iter().sum();
    let n = power.len() as f64;
    let ln_gmean = (ln_prod + e as f64 * std::f64::consts::LN_2) / n;
    let amean = ((sum[0] + sum[1]) + (sum[2] + sum[3])) / n;
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
