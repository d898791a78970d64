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

/// What every group's loop reads.
struct Flags<'a> {
    l: usize,
    w: &'a [f64],
    gain: f32,
    bin_hz: f64,
    centroid: bool,
    flatness: bool,
    flux: bool,
    zcr: bool,
}

/// One group's candidates: rows `rows` for the grains at `sts`, cut from
/// `x` (the mono signal from frame `a`); `first` is the group's first
/// candidate index.
struct Group<'a, 'b> {
    flags: &'b Flags<'a>,
    spectrum: &'b mut Option<Spectrum>,
    prev: &'b mut Vec<f32>,
    yin: &'b mut Option<Yin>,
    rows: &'b mut [[f64; 7]],
    sts: &'b [usize],
    x: &'b [f32],
    a: usize,
    first: usize,
}

impl pulp::WithSimd for Group<'_, '_> {
    type Output = ();

    /// The loop over the group's candidates. `#[inline(always)]`, like every
    /// per-candidate function it calls, so that all of it is compiled inside
    /// the instruction set's function that `pulp` dispatches to (a closure
    /// there stays a call into baseline code).
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Group {
            flags: f,
            spectrum,
            prev,
            yin,
            rows,
            sts,
            x,
            a,
            first,
        } = self;
        let l = f.l;
        for (k, (row, &st)) in rows.iter_mut().zip(sts).enumerate() {
            let grain = &x[st - a..st - a + l];
            row[POWER] = finish_power(windowed_power(grain, f.w), f.gain, l);
            if let Some(sp) = spectrum.as_mut() {
                sp.compute(grain);
                if f.centroid {
                    row[1] = centroid::centroid(&sp.mag, f.bin_hz);
                }
                if f.flatness {
                    row[2] = flatness::flatness(&sp.power);
                }
                if f.flux {
                    row[3] = if first + k == 0 {
                        0.0
                    } else {
                        flux::flux(&sp.mag, prev)
                    };
                    std::mem::swap(prev, &mut sp.mag);
                }
            }
            if f.zcr {
                row[4] = zcr::zcr(grain);
            }
            if let Some(y) = yin.as_mut() {
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
    }
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
    measure_on(
        pulp::Arch::new(),
        channels,
        start,
        w,
        sample_rate,
        gain,
        want,
    )
}

/// [`measure`] with the loops over each group's candidates compiled for
/// `arch`: `pulp::Arch::new()` picks AVX2 where the processor has it, at
/// run time (the default build targets baseline x86-64, whose vectors are
/// half as wide). The per-candidate functions are `#[inline(always)]`, so
/// that they are compiled inside that loop. The same operations in the
/// same order, only in wider registers: the values are the same to the bit
/// whichever `arch` runs them (Rust never fuses a multiply and an add
/// unless asked), which `the_drivers_do_not_depend_on_the_instruction_set`
/// checks. Public for the benchmarks (`examples/drivers_bench.rs`), which
/// time the baseline loop against the dispatched one in the same run.
#[doc(hidden)]
pub fn measure_on(
    arch: pulp::Arch,
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
    let flags = Flags {
        l,
        w,
        gain,
        bin_hz,
        centroid: with_centroid,
        flatness: with_flatness,
        flux: with_flux,
        zcr: with_zcr,
    };
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
            arch.dispatch(Group {
                flags: &flags,
                spectrum: &mut sc.spectrum,
                prev: &mut sc.prev,
                yin: &mut sc.yin,
                rows,
                sts,
                x,
                a,
                first,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic test signal: a gliding tone, noise bursts and a
    /// silent stretch (every driver takes varied values, silence included).
    fn signal(n: usize, sr: f32, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let noise = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                let t = i as f32 / sr;
                let tone = (std::f32::consts::TAU * (200.0 + 300.0 * t) * t).sin();
                match (i / 4000) % 4 {
                    0 => 0.7 * tone,
                    1 => 0.3 * tone + 0.4 * noise,
                    2 => 0.0,
                    _ => noise,
                }
            })
            .collect()
    }

    #[test]
    fn the_drivers_do_not_depend_on_the_instruction_set() {
        let sr = 44_100;
        let x = signal(60_000, sr as f32, 1);
        let y = signal(60_000, sr as f32, 2);
        let l = 2205;
        let w = crate::window::hann_f64(l);
        let start: Vec<usize> = (0..200).map(|i| i * 277).collect();
        let best = pulp::Arch::new();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            assert!(
                !matches!(best, pulp::Arch::Scalar),
                "an AVX2 machine runs the AVX2 loop"
            );
        }
        if matches!(best, pulp::Arch::Scalar) {
            eprintln!("note: no wider instruction set here: both runs are the baseline loop");
        }
        for chans in [vec![&x[..]], vec![&x[..], &y[..]]] {
            let a = measure_on(
                pulp::Arch::Scalar,
                &chans,
                &start,
                &w,
                sr,
                0.8,
                DriverSet::all(),
            );
            let b = measure_on(best, &chans, &start, &w, sr, 0.8, DriverSet::all());
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let same = |u: &[f64], v: &[f64], what: &str| {
                if let Some(i) = (0..u.len()).find(|&i| u[i].to_bits() != v[i].to_bits()) {
                    panic!("{what}, candidate {i}: baseline {} against {}", u[i], v[i]);
                }
            };
            same(&a.power, &b.power, "power");
            for d in COLUMNS {
                let (u, v) = (a.column(d).unwrap(), b.column(d).unwrap());
                same(u, v, d.id());
                // Varied values, so that the comparison means something.
                let distinct: std::collections::BTreeSet<u64> = bits(u).into_iter().collect();
                assert!(
                    distinct.len() > 20,
                    "{d:?}: {} distinct values",
                    distinct.len()
                );
            }
        }
    }
}
