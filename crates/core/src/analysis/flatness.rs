//! Spectral flatness (Wiener entropy): noisiness (docs/algorithm.md, section 15).

/// The floor of each power bin, `q_k = max(1e-20, |X_k|^2)`.
pub const FLOOR: f64 = 1e-20;

/// Lanes of the loops below: two vector registers of f32.
const LANES: usize = 8;

/// Bins per lane between renormalisations: at most 64 mantissas in [1, 2)
/// multiplied keep the product below 2^64, far inside f32's range.
const RUN: usize = 64;

/// `exp(mean_k ln q_k) / mean_k q_k` with `q_k = max(1e-20, power[k])`: 1
/// for a flat (white) spectrum and for silence, near 0 for a pure tone.
///
/// The powers are the transform's f32 squares. The geometric mean is taken
/// without a logarithm per bin: the bins' mantissas are multiplied (in eight
/// f32 lanes, each renormalised every 64 of its bins) and their binary
/// exponents summed; one `ln` per lane at the end. The arithmetic mean sums
/// each run in f32 and the runs in f64. The result equals the f64 formula to
/// about 1e-6 (relative).
#[inline(always)]
pub fn flatness(power: &[f32]) -> f64 {
    if power.is_empty() {
        return 1.0;
    }
    let floor = FLOOR as f32;
    let mut prod = [1.0f32; LANES];
    let mut exp2 = [0i32; LANES];
    let mut total = 0f64;
    for chunk in power.chunks(LANES * RUN) {
        let (rows, rest) = chunk.as_chunks::<LANES>();
        let mut sum = [0f32; LANES];
        for q in rows {
            for lane in 0..LANES {
                let v = q[lane].max(floor);
                sum[lane] += v;
                let (m, e) = split(v);
                prod[lane] *= m;
                exp2[lane] += e;
            }
        }
        for (lane, &p) in rest.iter().enumerate() {
            let v = p.max(floor);
            sum[lane] += v;
            let (m, e) = split(v);
            prod[lane] *= m;
            exp2[lane] += e;
        }
        for lane in 0..LANES {
            let (m, e) = split(prod[lane]);
            prod[lane] = m;
            exp2[lane] += e;
        }
        total += sum.iter().map(|&s| f64::from(s)).sum::<f64>();
    }
    let ln_prod: f64 = prod.iter().map(|&p| f64::from(p).ln()).sum();
    let e: i64 = exp2.iter().map(|&e| i64::from(e)).sum();
    let n = power.len() as f64;
    let ln_gmean = (ln_prod + e as f64 * std::f64::consts::LN_2) / n;
    let amean = total / n;
    (ln_gmean.exp() / amean).clamp(0.0, 1.0)
}

/// `(m, e)` with `q = m * 2^e`, `m` in [1, 2), for a normal positive `q`.
#[inline(always)]
fn split(q: f32) -> (f32, i32) {
    let bits = q.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & ((1u32 << 23) - 1)) | (127u32 << 23));
    (m, e)
}
