//! Zero-crossing rate (docs/algorithm.md, section 15).

/// Crossings per sample over the unwindowed grain: a crossing at `k` when
/// `x[k-1] < 0 <= x[k]` or `x[k] < 0 <= x[k-1]`, divided by `L - 1` (0 for
/// a grain of one sample). A sine of frequency `f` gives about `2 f / sr`.
#[inline(always)]
pub fn zcr(x: &[f32]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let crossings = x
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    crossings as f64 / (x.len() - 1) as f64
}
