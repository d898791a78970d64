//! YIN (de Cheveigne and Kawahara 2002): periodicity and pitch
//! (docs/algorithm.md, section 15), with the difference function computed by
//! FFT correlation instead of the `O(L * tau)` double loop.
//!
//! For lags `tau = 0 .. tau_max` and `W = L - tau_max`,
//! `d(tau) = sum_(j<W) (x_j - x_(j+tau))^2 = e_0 + e_tau - 2 r(tau)` with the
//! energies `e_tau = sum_(j<W) x_(j+tau)^2` (a sliding sum) and the
//! correlation `r(tau) = sum_(j<W) x_j x_(j+tau)`: the inverse transform of
//! `conj(A) B`, `A` the transform of `x[0..W]` and `B` that of `x[0..L]`, both
//! zero-padded to `n` >= `L` (no lag wraps around, since `j + tau < L`).

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// The threshold on `d'` of section 15.
pub const THRESHOLD: f64 = 0.1;
/// Lowest pitch YIN looks for, Hz.
pub const FMIN: f64 = 50.0;
/// Highest pitch YIN looks for, Hz.
pub const FMAX: f64 = 2000.0;

/// The lag range for grains of `l` samples at `sr` Hz: `(tau_min, tau_max)`,
/// or `None` when the grain is too short (`tau_max < tau_min + 2`).
pub fn lag_range(l: usize, sr: u32) -> Option<(usize, usize)> {
    let tau_max = (l / 2).min((sr as f64 / FMIN).ceil() as usize);
    let tau_min = 2usize.max((sr as f64 / FMAX).floor() as usize);
    (tau_max >= tau_min + 2).then_some((tau_min, tau_max))
}

/// The transforms for grains of one length, shared by every thread.
#[derive(Clone)]
pub struct YinPlan {
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    l: usize,
    sr: u32,
    lags: Option<(usize, usize)>,
}

impl std::fmt::Debug for YinPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YinPlan")
            .field("l", &self.l)
            .field("sr", &self.sr)
            .field("lags", &self.lags)
            .finish()
    }
}

impl YinPlan {
    pub fn new(l: usize, sr: u32, planner: &mut RealFftPlanner<f32>) -> YinPlan {
        let n = super::spectrum::fft_len(l);
        YinPlan {
            fwd: planner.plan_fft_forward(n),
            inv: planner.plan_fft_inverse(n),
            l,
            sr,
            lags: lag_range(l, sr),
        }
    }
}

/// One thread's buffers.
#[derive(Clone, Debug)]
pub struct Yin {
    plan: YinPlan,
    a: Vec<f32>,
    b: Vec<f32>,
    fa: Vec<Complex<f32>>,
    fb: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `d(tau)`, then `d'(tau)`, for `tau = 0 ..= tau_max`.
    d: Vec<f64>,
}

impl Yin {
    pub fn new(plan: &YinPlan) -> Yin {
        let n = plan.fwd.len();
        let scratch_len = plan.fwd.get_scratch_len().max(plan.inv.get_scratch_len());
        Yin {
            a: vec![0.0; n],
            b: vec![0.0; n],
            fa: plan.fwd.make_output_vec(),
            fb: plan.fwd.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            d: vec![0.0; plan.lags.map_or(0, |(_, t)| t + 1)],
            plan: plan.clone(),
        }
    }

    /// The difference function `d(tau)`, `tau = 0 ..= tau_max`, of the grain
    /// `x` (empty when the grain is too short for YIN).
    pub fn difference(&mut self, x: &[f32]) -> &[f64] {
        let Some((_, tau_max)) = self.plan.lags else {
            return &[];
        };
        let l = self.plan.l;
        debug_assert_eq!(x.len(), l);
        let w = l - tau_max;
        let n = self.a.len();
        self.a[..w].copy_from_slice(&x[..w]);
        self.a[w..].fill(0.0);
        self.b[..l].copy_from_slice(x);
        self.b[l..].fill(0.0);
        let fwd = &self.plan.fwd;
        fwd.process_with_scratch(&mut self.a, &mut self.fa, &mut self.scratch)
            .expect("buffer lengths come from the plan");
        fwd.process_with_scratch(&mut self.b, &mut self.fb, &mut self.scratch)
            .expect("buffer lengths come from the plan");
        for (a, b) in self.fa.iter_mut().zip(&self.fb) {
            *a = a.conj() * b;
        }
        // The inverse of a real signal's spectrum: the imaginary parts of
        // the first and last bins are rounding noise.
        self.fa[0].im = 0.0;
        if let Some(last) = self.fa.last_mut() {
            last.im = 0.0;
        }
        self.plan
            .inv
            .process_with_scratch(&mut self.fa, &mut self.a, &mut self.scratch)
            .expect("buffer lengths come from the plan");
        // self.a now holds n * r(tau).
        let inv_n = 1.0 / n as f64;
        let e0: f64 = x[..w].iter().map(|&v| (v as f64) * (v as f64)).sum();
        let mut e = e0;
        for tau in 0..=tau_max {
            if tau > 0 {
                let out = x[tau - 1] as f64;
                let inn = x[tau - 1 + w] as f64;
                e += inn * inn - out * out;
            }
            let r = self.a[tau] as f64 * inv_n;
            self.d[tau] = (e0 + e - 2.0 * r).max(0.0);
        }
        self.d[0] = 0.0;
        &self.d
    }

    /// `(periodicity, pitch)` of the grain `x`: `1 - d'(tau*)` clamped to
    /// [0, 1], and `sr / tau*` refined by a parabola through `d'` around
    /// `tau*` (0 where the periodicity is below 0.5). `(0, 0)` for a grain
    /// too short for the lag range.
    pub fn measure(&mut self, x: &[f32]) -> (f64, f64) {
        let Some((tau_min, tau_max)) = self.plan.lags else {
            return (0.0, 0.0);
        };
        self.difference(x);
        cumulative_mean_normalise(&mut self.d);
        pick(&self.d, tau_min, tau_max, self.plan.sr)
    }
}

/// `d'(0) = 1`, `d'(tau) = d(tau) tau / sum_(1<=j<=tau) d(j)`, in place; 1
/// where that sum is 0 (silence, or a constant signal: nothing periodic).
pub fn cumulative_mean_normalise(d: &mut [f64]) {
    let mut sum = 0.0;
    for (tau, v) in d.iter_mut().enumerate().skip(1) {
        sum += *v;
        *v = if sum > 0.0 {
            *v * tau as f64 / sum
        } else {
            1.0
        };
    }
    if let Some(d0) = d.first_mut() {
        *d0 = 1.0;
    }
}

/// `tau*` from `d'` (section 15) and the `(periodicity, pitch)` it gives:
/// the first `tau >= tau_min` with `d'(tau) < 0.1`, followed down to its
/// local minimum, else the global minimum over `[tau_min, tau_max]` (the
/// first on ties). The parabola through `d'(tau* - 1), d'(tau*), d'(tau* + 1)`
/// moves `tau*` by `(a - c) / (2 (a - 2b + c))` when it opens upwards and
/// both neighbours are in `1 ..= tau_max` (at most one lag either way).
pub fn pick(dn: &[f64], tau_min: usize, tau_max: usize, sr: u32) -> (f64, f64) {
    let mut best = None;
    let mut tau = tau_min;
    while tau <= tau_max {
        if dn[tau] < THRESHOLD {
            while tau < tau_max && dn[tau + 1] < dn[tau] {
                tau += 1;
            }
            best = Some(tau);
            break;
        }
        tau += 1;
    }
    let t = best.unwrap_or_else(|| {
        let mut m = tau_min;
        for tau in tau_min..=tau_max {
            if dn[tau] < dn[m] {
                m = tau;
            }
        }
        m
    });
    let periodicity = (1.0 - dn[t]).clamp(0.0, 1.0);
    if periodicity < 0.5 {
        return (periodicity, 0.0);
    }
    let mut tr = t as f64;
    if t >= 2 && t < tau_max {
        let (a, b, c) = (dn[t - 1], dn[t], dn[t + 1]);
        let den = a - 2.0 * b + c;
        if den > 0.0 {
            tr += (0.5 * (a - c) / den).clamp(-1.0, 1.0);
        }
    }
    (periodicity, sr as f64 / tr)
}
