//! The driver pass (docs/algorithm.md, section 15): every measured driver of
//! every candidate in one parallel pass over groups of candidates.
//!
//! Each group of 64 candidates runs on one thread with that
//! thread's scratch (the mono mix of the group's stretch of source, the
//! spectrum, YIN's buffers, the previous candidate's magnitudes), so nothing
//! is allocated per candidate. Per candidate: the windowed power (the very
//! computation of the power-only pass, so `P_i` is bit-identical), one
//! forward FFT of the windowed grain when a spectral driver is asked for
//! (centroid, flatness and flux all read it), YIN's correlation when
//! periodicity or pitch is, and the zero crossings. Flux needs the previous
//! candidate's spectrum: the first candidate of a group computes it once.

use super::driver::{Driver, DriverSet};
use super::spectrum::{Spectrum, SpectrumPlan};
use super::yin::{Yin, YinPlan};
use super::{MIX_GROUP, centroid, finish_power, flatness, flux, windowed_power, zcr};
use rayon::prelude::*;
use realfft::RealFftPlanner;

/// Columns of a [`Measured`] row.
const POWER: usize = 0;
const COLUMNS: [Driver; 6] = [
    Driver::Centroid,
    Driver::Flatness,
    Driver::Flux,
    Driver::Zcr,
    Driver::Periodicity,
    Driver::Pitch,
];

/// The pass's result: the powers and the measured drivers' raw values.
#[derive(Clone, Debug)]
pub struct Measured {
    /// `P_i`, as the power-only pass gives it.
    pub power: Vec<f64>,
    /// One column per measured driver asked for, in the order of section 15's table.
    columns: Vec<(Driver, Vec<f64>)>,
}

impl Measured {
    /// The raw values of measured driver `d`, if it was asked for.
    pub fn column(&self, d: Driver) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(x, _)| *x == d)
            .map(|(_, v)| v.as_slice())
    }
}

/// One thread's buffers.
struct Scratch {
    mix: Vec<f32>,
    spectrum: Option<Spectrum>,
    prev: Vec<f32>,
    yin: Option<Yin>,
}

/// Measures the drivers of `want` (and the power) for grains at `start` of
/// `w.len()` samples of the mono mix of `channels`. `gain` is the analysis
/// gain (section 2): the powers and the spectra are at the wet source's level.
pub fn measure(
    channels: &[&[f32]],
    start: &[usize],
    w: &[f64],
    sample_rate: u32,
    gain: f32,
    want: DriverSet,
) -> Measured {
    let l = w.len();
    let mut planner = RealFftPlanner::<f32>::new();
    let spectral = want.any_spectral();
    let with_flux = want.contains(Driver::Flux);
    let with_zcr = want.contains(Driver::Zcr);
    let with_centroid = want.contains(Driver::Centroid);
    let with_flatness = want.contains(Driver::Flatness);
    let spec_plan = spectral.then(|| {
        let wg: Vec<f64> = w.iter().map(|&x| x * gain as f64).collect();
        SpectrumPlan::new(&wg)
    });
    let yin_plan = want
        .any_yin()
        .then(|| YinPlan::new(l, sample_rate, &mut planner));
    let bin_hz = spec_plan
        .as_ref()
        .map_or(0.0, |p| sample_rate as f64 / p.n() as f64);
    let bins = spec_plan.as_ref().map_or(0, SpectrumPlan::bins);
    let mut rows = vec![[0.0f64; 7]; start.len()];
    let init = || Scratch {
        mix: Vec::new(),
        spectrum: spec_plan
            .as_ref()
            .map(|p| Spectrum::with(p, with_flatness, with_centroid || with_flux)),
        prev: vec![0.0; bins],
        yin: yin_plan.as_ref().map(Yin::new),
    };
    let mono = channels.len() == 1;
    rows.par_chunks_mut(MIX_GROUP)
        .zip(start.par_chunks(MIX_GROUP))
        .enumerate()
        .for_each_init(init, |sc, (g, (rows, sts))| {
            // The group's stretch of the mono signal, from the candidate
            // before it when flux needs that one's spectrum.
            let first = g * MIX_GROUP;
            let before = (with_flux && first > 0).then(|| start[first - 1]);
            let a = before.map_or(sts[0], |b| b.min(sts[0]));
            let b = sts[sts.len() - 1] + l;
            let x: &[f32] = if mono {
                &channels[0][a..b]
            } else {
                sc.mix.resize(b - a, 0.0);
                crate::mix_block(channels, a, &mut sc.mix);
                &sc.mix
            };
            if let (Some(sp), Some(st)) = (sc.spectrum.as_mut(), before) {
                sp.compute(&x[st - a..st - a + l]);
                // Every bin is rewritten by the next `compute`: a swap, not a copy.
                std::mem::swap(&mut sc.prev, &mut sp.mag);
            }
            for (k, (row, &st)) in rows.iter_mut().zip(sts).enumerate() {
                let grain = &x[st - a..st - a + l];
                row[POWER] = finish_power(windowed_power(grain, w), gain, l);
                if let Some(sp) = sc.spectrum.as_mut() {
                    sp.compute(grain);
                    if with_centroid {
                        row[1] = centroid::centroid(&sp.mag, bin_hz);
                    }
                    if with_flatness {
                        row[2] = flatness::flatness(&sp.power);
                    }
                    if with_flux {
                        row[3] = if first + k == 0 {
                            0.0
                        } else {
                            flux::flux(&sp.mag, &sc.prev)
                        };
                        std::mem::swap(&mut sc.prev, &mut sp.mag);
                    }
                }
                if with_zcr {
                    row[4] = zcr::zcr(grain);
                }
                if let Some(y) = sc.yin.as_mut() {
                    let (p, f0) = y.measure(grain);
                    row[5] = p;
                    row[6] = f0;
                }
                // Non-finite samples (a library caller's) give 0, never NaN.
                for v in &mut row[1..] {
                    if !v.is_finite() {
                        *v = 0.0;
                    }
                }
            }
        });
    let power = rows.iter().map(|r| r[POWER]).collect();
    let columns = COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, d)| want.contains(**d))
        .map(|(c, &d)| (d, rows.iter().map(|r| r[c + 1]).collect()))
        .collect();
    Measured { power, columns }
}
