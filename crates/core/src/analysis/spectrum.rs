//! The spectrum that the spectral drivers share (docs/algorithm.md, section
//! 15): one real FFT per candidate of the Hann-windowed grain, zero-padded to
//! `n`, the next power of two >= `L`.

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// The FFT size for a grain of `l` samples: the next power of two >= `l`.
pub fn fft_len(l: usize) -> usize {
    l.max(1).next_power_of_two()
}

/// A forward transform of size `n` and the window, shared by every thread.
#[derive(Clone)]
pub struct SpectrumPlan {
    fft: Arc<dyn RealToComplex<f32>>,
    /// Section 4's Hann window times the analysis gain, length `L`.
    window: Arc<[f32]>,
}

impl std::fmt::Debug for SpectrumPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectrumPlan")
            .field("n", &self.fft.len())
            .field("l", &self.window.len())
            .finish()
    }
}

impl SpectrumPlan {
    /// A plan for grains of `window.len()` samples, each multiplied by `window`.
    pub fn new(window: &[f64], planner: &mut RealFftPlanner<f32>) -> SpectrumPlan {
        let n = fft_len(window.len());
        SpectrumPlan {
            fft: planner.plan_fft_forward(n),
            window: window.iter().map(|&w| w as f32).collect(),
        }
    }
    /// The FFT size `n`.
    pub fn n(&self) -> usize {
        self.fft.len()
    }
    /// Number of bins, `n / 2 + 1`.
    pub fn bins(&self) -> usize {
        self.n() / 2 + 1
    }
}

/// One thread's buffers for [`SpectrumPlan`]: after [`Spectrum::compute`],
/// `power[k] = |X_k|^2` and `mag[k] = |X_k|` for `k = 0 .. n/2` (each only
/// when asked for at construction: [`Spectrum::with`]).
#[derive(Clone, Debug)]
pub struct Spectrum {
    plan: SpectrumPlan,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `|X_k|^2`, unfloored.
    pub power: Vec<f64>,
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
        Spectrum {
            input: vec![0.0; n],
            output: plan.fft.make_output_vec(),
            scratch: plan.fft.make_scratch_vec(),
            power: vec![0.0; n / 2 + 1],
            mag: vec![0.0; n / 2 + 1],
            plan: plan.clone(),
            want_power: power,
            want_mag: mag,
        }
    }

    /// The spectrum of the windowed grain `x` (`x.len()` = the window's length).
    pub fn compute(&mut self, x: &[f32]) {
        let w = &self.plan.window;
        let l = w.len();
        debug_assert_eq!(x.len(), l);
        for ((o, &s), &w) in self.input[..l].iter_mut().zip(x).zip(w.iter()) {
            *o = s * w;
        }
        // The transform uses its input as scratch: the padding is zeroed each time.
        self.input[l..].fill(0.0);
        self.plan
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .expect("buffer lengths come from the plan");
        // Separate loops per case, so that each one vectorises.
        let sq = |c: &Complex<f32>| {
            let (re, im) = (c.re as f64, c.im as f64);
            re * re + im * im
        };
        match (self.want_power, self.want_mag) {
            (true, true) => {
                for (c, p) in self.output.iter().zip(&mut self.power) {
                    *p = sq(c);
                }
                for (c, m) in self.output.iter().zip(&mut self.mag) {
                    *m = (c.re * c.re + c.im * c.im).sqrt();
                }
            }
            (true, false) => {
                for (c, p) in self.output.iter().zip(&mut self.power) {
                    *p = sq(c);
                }
            }
            (false, true) => {
                for (c, m) in self.output.iter().zip(&mut self.mag) {
                    *m = (c.re * c.re + c.im * c.im).sqrt();
                }
            }
            (false, false) => {}
        }
    }

    /// The FFT size `n`.
    pub fn n(&self) -> usize {
        self.plan.n()
    }
}
