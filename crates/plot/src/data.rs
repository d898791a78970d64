//! Reductions of the run's data to what a pixel can show: waveform envelopes per
//! pixel column, per-column maxima of per-candidate values, and the density
//! raster of the selection. Each is one pass over its data.

use rayon::prelude::*;

use crate::geom::Axes;

/// Peak absolute value over all channels (non-finite samples are skipped).
pub(crate) fn peak(chans: &[&[f32]]) -> f32 {
    chans
        .iter()
        .map(|c| {
            c.par_chunks(1 << 16)
                .map(|ch| {
                    ch.iter()
                        .fold(0f32, |m, &v| if v.is_finite() { m.max(v.abs()) } else { m })
                })
                .reduce(|| 0.0, f32::max)
        })
        .fold(0.0, f32::max)
}

/// One pixel column of a waveform: extremes and RMS over all channels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Column {
    pub min: f32,
    pub max: f32,
    pub rms: f32,
}

/// The min/max/RMS envelope of `chans` (planar, sample rate `sr`) for each
/// pixel column of `axes` (x in seconds). Column `c` covers the samples whose
/// times fall within half a pixel of its centre, plus the first sample of the
/// next column so that neighbouring columns join. `None` past the signal's end.
pub(crate) fn envelope(chans: &[&[f32]], sr: f64, axes: &Axes) -> Vec<Option<Column>> {
    let len = chans.first().map_or(0, |c| c.len());
    let x0 = axes.plot.x as f64;
    (0..axes.plot.w as usize)
        .into_par_iter()
        .map(|c| {
            if len == 0 {
                return None;
            }
            let px = x0 + c as f64;
            let t_lo = axes.x_value(px - 0.5);
            let t_hi = axes.x_value(px + 0.5);
            let a = (t_lo * sr).ceil().max(0.0) as usize;
            if a >= len {
                return None;
            }
            let b = ((t_hi * sr).ceil().max(0.0) as usize).clamp(a, len - 1);
            let mut mn = f32::INFINITY;
            let mut mx = f32::NEG_INFINITY;
            let mut sq = 0f64;
            for ch in chans {
                let (lo, hi, s) = min_max_sq(&ch[a..=b]);
                mn = mn.min(lo);
                mx = mx.max(hi);
                sq += s;
            }
            let count = ((b - a + 1) * chans.len()) as f64;
            if !mn.is_finite() || !mx.is_finite() {
                return None;
            }
            Some(Column {
                min: mn,
                max: mx,
                rms: (sq / count).sqrt() as f32,
            })
        })
        .collect()
}

/// Peak absolute value of an envelope (equal to [`peak`] of its signal, since
/// the columns cover every sample).
pub(crate) fn envelope_peak(env: &[Option<Column>]) -> f32 {
    env.iter()
        .flatten()
        .fold(0f32, |m, c| m.max(c.max.abs()).max(c.min.abs()))
}

/// Minimum, maximum and sum of squares of `x` (non-finite samples count as 0).
fn min_max_sq(x: &[f32]) -> (f32, f32, f64) {
    const K: usize = 8;
    let mut mn = [f32::INFINITY; K];
    let mut mx = [f32::NEG_INFINITY; K];
    let mut sq = [0f32; K];
    let mut total = 0f64;
    let chunks = x.chunks_exact(K);
    let rest = chunks.remainder();
    for (n, ch) in chunks.enumerate() {
        for j in 0..K {
            let v = if ch[j].is_finite() { ch[j] } else { 0.0 };
            mn[j] = mn[j].min(v);
            mx[j] = mx[j].max(v);
            sq[j] += v * v;
        }
        // Flush the f32 partial sums now and then, to keep their precision.
        if n % 512 == 511 {
            total += sq.iter().map(|&s| s as f64).sum::<f64>();
            sq = [0.0; K];
        }
    }
    total += sq.iter().map(|&s| s as f64).sum::<f64>();
    let mut lo = mn.iter().copied().fold(f32::INFINITY, f32::min);
    let mut hi = mx.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for &v in rest {
        let v = if v.is_finite() { v } else { 0.0 };
        lo = lo.min(v);
        hi = hi.max(v);
        total += (v as f64) * (v as f64);
    }
    (lo, hi, total)
}

/// Per pixel column of `axes`, the maximum of `value(i)` over the items whose
/// x position `x(i)` falls in that column, with the item that holds it.
pub(crate) fn column_max(
    n: usize,
    axes: &Axes,
    x: impl Fn(usize) -> f64,
    value: impl Fn(usize) -> f64,
) -> Vec<Option<(f64, usize)>> {
    let mut cols: Vec<Option<(f64, usize)>> = vec![None; axes.plot.w.max(0) as usize];
    for i in 0..n {
        let c = (axes.col(x(i)) - axes.plot.x) as usize;
        let v = value(i);
        match cols[c] {
            Some((m, _)) if m >= v => {}
            _ => cols[c] = Some((v, i)),
        }
    }
    cols
}

/// A pixel raster over a plotting area: per pixel, how many items landed
/// there and the sum of their scores.
pub(crate) struct Raster {
    pub w: usize,
    pub h: usize,
    pub count: Vec<u32>,
    pub score_sum: Vec<f64>,
}

impl Raster {
    pub fn new(w: usize, h: usize) -> Raster {
        Raster {
            w,
            h,
            count: vec![0; w * h],
            score_sum: vec![0.0; w * h],
        }
    }
    /// Adds an item at data point (x, y) of `axes` with score `s`.
    pub fn add(&mut self, axes: &Axes, x: f64, y: f64, s: f64) {
        let c = (axes.col(x) - axes.plot.x) as usize;
        let r = (axes.row(y) - axes.plot.y) as usize;
        let k = r * self.w + c;
        self.count[k] += 1;
        self.score_sum[k] += s;
    }
    pub fn max_count(&self) -> u32 {
        self.count.iter().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::Rect;

    fn axes(w: i32, secs: f64) -> Axes {
        Axes {
            plot: Rect {
                x: 37,
                y: 5,
                w,
                h: 50,
            },
            x: (0.0, secs),
            y: (-1.0, 1.0),
        }
    }

    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * (1.0 + (i % 17) as f32 / 8.0))
            .collect()
    }

    /// The envelope equals a slow per-column f64 reference over the same
    /// sample ranges, and the ranges cover every sample.
    #[test]
    fn envelope_matches_a_naive_reference_and_covers_every_sample() {
        let sr = 1000.0;
        for (n, w) in [(10_000, 690), (300, 690), (7, 50), (1, 20), (100_003, 333)] {
            let a = signal(n);
            let b: Vec<f32> = a.iter().map(|v| -0.5 * v).collect();
            let chans: Vec<&[f32]> = vec![&a, &b];
            let ax = axes(w, n as f64 / sr);
            let env = envelope(&chans, sr, &ax);
            assert_eq!(env.len(), w as usize);
            let mut covered = vec![false; n];
            for (c, col) in env.iter().enumerate() {
                let px = ax.plot.x as f64 + c as f64;
                let lo = ((ax.x_value(px - 0.5) * sr).ceil().max(0.0) as usize).min(n);
                if lo >= n {
                    assert!(col.is_none());
                    continue;
                }
                let hi = ((ax.x_value(px + 0.5) * sr).ceil().max(0.0) as usize).clamp(lo, n - 1);
                let col = col.expect("column inside the signal");
                let vals: Vec<f64> = (lo..=hi).flat_map(|i| [a[i] as f64, b[i] as f64]).collect();
                let mn = vals.iter().copied().fold(f64::INFINITY, f64::min);
                let mx = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let rms = (vals.iter().map(|v| v * v).sum::<f64>() / vals.len() as f64).sqrt();
                assert_eq!(col.min as f64, mn);
                assert_eq!(col.max as f64, mx);
                assert!(
                    (col.rms as f64 - rms).abs() < 1e-5 * rms.max(1e-3),
                    "{n} {w} {c}"
                );
                covered[lo..=hi].iter_mut().for_each(|v| *v = true);
            }
            assert!(
                covered.iter().all(|&v| v),
                "n {n}, w {w}: a sample is in no column"
            );
            assert_eq!(envelope_peak(&env), peak(&chans));
        }
    }

    #[test]
    fn non_finite_samples_are_ignored() {
        let mut a = signal(1000);
        a[10] = f32::NAN;
        a[500] = f32::INFINITY;
        let chans: Vec<&[f32]> = vec![&a];
        let env = envelope(&chans, 1000.0, &axes(100, 1.0));
        assert!(
            env.iter()
                .flatten()
                .all(|c| c.min.is_finite() && c.max.is_finite())
        );
        assert!(env.iter().flatten().all(|c| c.rms.is_finite()));
        assert_eq!(envelope_peak(&env), peak(&chans));
        assert!(peak(&chans).is_finite());
    }

    #[test]
    fn column_max_keeps_the_largest_value_and_its_item() {
        let ax = axes(10, 10.0);
        // Items at x = i / 10 (0 .. 9.9): ten per column, value i % 7.
        let cols = column_max(100, &ax, |i| i as f64 / 10.0, |i| (i % 7) as f64);
        for (c, v) in cols.iter().enumerate() {
            let (m, i) = v.expect("every column has items");
            assert_eq!(m, (i % 7) as f64);
            assert_eq!((ax.col(i as f64 / 10.0) - ax.plot.x) as usize, c);
            let want = (0..100)
                .filter(|&j| (ax.col(j as f64 / 10.0) - ax.plot.x) as usize == c)
                .map(|j| (j % 7) as f64)
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(m, want);
        }
    }
}
