//! The spectrum that the spectral drivers share (docs/algorithm.md, section
//! 15): one real FFT per candidate of the Hann-windowed grain, zero-padded to
//! `n`, the next power of two >= `L`.
//!
//! The real transform is made here from `rustfft`'s complex transform of
//! half the length rather than taken from `realfft` (which YIN still uses):
//! `realfft`'s step from the half-length transform to the real spectrum is a
//! scalar loop of its own, about 4 us of its 10.7 us for 4096 points on the
//! project machine, and the drivers then read the spectrum once more for
//! its magnitudes. Here that step computes the magnitudes (and powers) as it
//! goes: 9.7 us per candidate against 11.9 for `realfft` plus the magnitudes
//! (one thread, 4096 points, a micro-benchmark of the two in one run), the
//! same values to f32 rounding (5e-8 of the largest magnitude).

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// The FFT size for a grain of `l` samples: the next power of two >= `l`.
pub fn fft_len(l: usize) -> usize {
    l.max(1).next_power_of_two()
}

/// A forward transform of size `n` and the window, shared by every thread.
#[derive(Clone)]
pub struct SpectrumPlan {
    n: usize,
    /// The complex transform of `n / 2` points (none when `n` is 1).
    half: Option<Arc<dyn Fft<f32>>>,
    /// `exp(-2 pi i k / n)` for `k = 0 ..= n / 2`, as (cos, sin).
    twiddles: Arc<[(f32, f32)]>,
    /// Section 4's Hann window times the analysis gain, length `L`.
    window: Arc<[f32]>,
}

impl std::fmt::Debug for SpectrumPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectrumPlan")
            .field("n", &self.n)
            .field("l", &self.window.len())
            .finish()
    }
}

impl SpectrumPlan {
    /// A plan for grains of `window.len()` samples, each multiplied by `window`.
    pub fn new(window: &[f64]) -> SpectrumPlan {
        let n = fft_len(window.len());
        let m = n / 2;
        let half = (m > 0).then(|| FftPlanner::<f32>::new().plan_fft_forward(m));
        let twiddles = (0..=m)
            .map(|k| {
                let a = std::f64::consts::TAU * k as f64 / n as f64;
                (a.cos() as f32, -a.sin() as f32)
            })
            .collect();
        SpectrumPlan {
            n,
            half,
            twiddles,
            window: window.iter().map(|&w| w as f32).collect(),
        }
    }
    /// The FFT size `n`.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of bins, `n / 2 + 1`.
    pub fn bins(&self) -> usize {
        self.n / 2 + 1
    }
}

/// One thread's buffers for [`SpectrumPlan`]: after [`Spectrum::compute`],
/// `power[k] = |X_k|^2` and `mag[k] = |X_k|` for `k = 0 .. n/2` (each only
/// when asked for at construction: [`Spectrum::with`]).
#[derive(Clone, Debug)]
pub struct Spectrum {
    plan: SpectrumPlan,
    /// The packed half-length signal `x[2j] + i x[2j+1]`, then its transform.
    z: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `|X_k|^2`, unfloored, in f32 (the transform's own precision: half
    /// the stores of f64, and the flatness reads four bins per vector).
    pub power: Vec<f32>,
    /// `|X_k|`, in f32 (the transform's own precision): the square roots
    /// in f32 cost half of f64's, and the drivers sum them in f64.
    pub mag: Vec<f32>,
    want_power: bool,
    want_mag: bool,
}

impl Spectrum {
    /// Buffers that [`Spectrum::compute`] fills with both the powers and the magnitudes.
    pub fn new(plan: &SpectrumPlan) -> Spectrum {
        Spectrum::with(plan, true, true)
    }

    /// Buffers that fill `power` only if `power`, and `mag` only if `mag`:
    /// a run scored by the centroid alone takes no powers, one by the
    /// flatness alone no square roots (the other vector stays zero).
    pub fn with(plan: &SpectrumPlan, power: bool, mag: bool) -> Spectrum {
        let n = plan.n();
        let zero = Complex::new(0.0, 0.0);
        let scratch = plan
            .half
            .as_ref()
            .map_or(0, |f| f.get_inplace_scratch_len());
        Spectrum {
            z: vec![zero; n / 2],
            scratch: vec![zero; scratch],
            power: vec![0.0; n / 2 + 1],
            mag: vec![0.0; n / 2 + 1],
            plan: plan.clone(),
            want_power: power,
            want_mag: mag,
        }
    }

    /// The spectrum of the windowed grain `x` (`x.len()` = the window's length).
    #[inline(always)]
    pub fn compute(&mut self, x: &[f32]) {
        let w = &self.plan.window;
        let l = w.len();
        debug_assert_eq!(x.len(), l);
        let Some(fft) = &self.plan.half else {
            // n = 1: the one bin is the one windowed sample.
            let v = x.first().zip(w.first()).map_or(0.0, |(a, b)| a * b);
            self.power[0] = v * v;
            self.mag[0] = v.abs();
            return;
        };
        // Pack the windowed grain as complex pairs, zero-padded to n / 2.
        let (pairs, last) = x.as_chunks::<2>();
        let (wpairs, _) = w.as_chunks::<2>();
        for ((z, p), q) in self.z.iter_mut().zip(pairs).zip(wpairs) {
            *z = Complex::new(p[0] * q[0], p[1] * q[1]);
        }
        let mut used = pairs.len();
        if let (Some(&a), Some(&b)) = (last.first(), w.last()) {
            self.z[used] = Complex::new(a * b, 0.0);
            used += 1;
        }
        self.z[used..].fill(Complex::new(0.0, 0.0));
        fft.process_with_scratch(&mut self.z, &mut self.scratch);
        // One loop per case, so that no bin tests what to compute.
        match (self.want_power, self.want_mag) {
            (true, true) => self.unpack::<true, true>(),
            (true, false) => self.unpack::<true, false>(),
            (false, true) => self.unpack::<false, true>(),
            (false, false) => {}
        }
    }

    /// From the half-length transform `Z` (in `z`) to the real spectrum `X`:
    /// `X_k = E_k - i W^k O_k` with `E_k = (Z_k + conj Z_(m-k)) / 2`,
    /// `O_k = (Z_k - conj Z_(m-k)) / 2`, `W = exp(-2 pi i / n)`, `Z_m = Z_0`;
    /// the powers if `P`, the magnitudes if `M`.
    #[inline(always)]
    fn unpack<const P: bool, const M: bool>(&mut self) {
        let m = self.z.len();
        let z = &self.z;
        let tw = &self.plan.twiddles[..=m];
        let (power, mag) = (&mut self.power[..=m], &mut self.mag[..=m]);
        let mut put = |k: usize, re: f32, im: f32| {
            let q = re * re + im * im;
            if P {
                power[k] = q;
            }
            if M {
                mag[k] = q.sqrt();
            }
        };
        let z0 = z[0];
        put(0, z0.re + z0.im, 0.0);
        put(m, z0.re - z0.im, 0.0);
        for k in 1..m {
            let (a, b) = (z[k], z[m - k]);
            let (er, ei) = (0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
            let (or, oi) = (0.5 * (a.re - b.re), 0.5 * (a.im + b.im));
            let (c, s) = tw[k];
            put(k, er + c * oi + s * or, ei - c * or + s * oi);
        }
    }

    /// The FFT size `n`.
    pub fn n(&self) -> usize {
        self.plan.n()
    }
}
