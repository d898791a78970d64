//! Diversity: ask for how many grains, not for alpha (docs/algorithm.md, section 13).
//!
//! `diversity D` (percent, `0 < D <= 100`) asks that the effective number of
//! grains, `exp(entropy(prob))` of [`attend`], be `D / 100` of the active count
//! `A`. [`solve_alpha`] (or [`DiversitySolver::solve`], which reuses the gate
//! for many targets) finds that alpha.
//!
//! - **Target.** `t = D / 100 * A` grains, within `0.005 * A` (0.5 % of the
//!   active count). When `t <= 1`, D asks for one grain: the target is then 1
//!   grain, within 0.005 of a grain (one grain to the precision of any report).
//! - **Search.** For a fixed gate and scale the effective number only falls as
//!   alpha grows (the entropy of a softmax falls with its inverse temperature),
//!   so a bisection on `ln(alpha)` over `[0.01, 10^4]` finds it. Both ends are
//!   evaluated first: if alpha 0.01 already gives fewer grains than D asks for
//!   (minus the tolerance), alpha is 0.01 and `clamped` is set (the caller
//!   reports the adjustment); likewise at 10^4, where D asks for fewer grains
//!   than any alpha can give (grains tied, or all but tied, with the best one).
//!   The bisection stops at the first midpoint within the tolerance.
//! - **Monotone.** The bisection visits the same midpoints for every D, and the
//!   acceptance window `[t - tol, t + tol]` only moves up with D, so a larger D
//!   never gets a larger alpha.
//! - **Cost.** Each step is one pass over the active grains (one exp each:
//!   `H = ln Z - sum(e_i l_i) / Z` with `l_i = max(-500, alpha x_i)`,
//!   `e_i = exp(l_i)`, `Z = sum e_i`), in parallel blocks whose partial sums are
//!   added in a fixed order (the result does not depend on the thread count).
//!   The two ends cost one or two evaluations; the bisection then stops after
//!   typically 4 to 10 steps (9 evaluations in all on average over random
//!   scores and targets, `tests/diversity.rs`; 1 to 11 on 10^6 candidates,
//!   `examples/varying_bench.rs`, 40 to 130 ms per solve there on a loaded
//!   2-core machine), and after at most [`MAX_STEPS`] (where the bracket is
//!   at the resolution of f64).

use crate::attention::attend;
use crate::envelope::{Envelope, Point, Shape, Time};
use crate::params::{AttentionNorm, ParamError, Settings, num};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// The smallest alpha the solver returns.
pub const ALPHA_MIN: f64 = 0.01;
/// The largest alpha the solver returns.
pub const ALPHA_MAX: f64 = 1e4;
/// The most bisection steps (after the two ends).
pub const MAX_STEPS: u32 = 64;

/// The alpha solved for one diversity target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Solved {
    /// The alpha to use, in `[0.01, 10^4]`.
    pub alpha: f64,
    /// `exp(entropy(prob))` with that alpha.
    pub effective: f64,
    /// The number of active grains (the gate does not depend on alpha).
    pub active: usize,
    /// True when the target could not be reached within the tolerance and
    /// alpha sits at a bound: 0.01 when D asks for more grains than alpha 0.01
    /// gives, 10^4 when it asks for fewer than alpha 10^4 gives.
    pub clamped: bool,
    /// Entropy evaluations made (the two ends plus the bisection steps).
    pub steps: u32,
}

/// The gate of one floor, kept to solve many targets (control points) at once.
#[derive(Clone, Debug)]
pub struct DiversitySolver {
    /// `(S_i - m) / scale` of each active grain (<= 0), when the scale is usable.
    x: Vec<f64>,
    /// Number of active grains.
    active: usize,
    /// When the scale is not usable (`range` with the best grain at the floor),
    /// the effective number is the count of grains tied at the top, whatever alpha.
    constant: Option<f64>,
}

/// Grains per parallel block (and the threshold below which one thread is used).
const BLOCK: usize = 1 << 14;

impl DiversitySolver {
    /// Gates `scores` at `floor_db` with [`attend`]'s own gate (O(N)).
    pub fn new(scores: &[f64], floor_db: f64, norm: AttentionNorm) -> Self {
        let a = attend(scores, 1.0, floor_db, norm);
        let m = scores
            .iter()
            .zip(&a.active)
            .filter(|(_, on)| **on)
            .map(|(s, _)| *s)
            .fold(f64::NEG_INFINITY, f64::max);
        let scale = match norm {
            AttentionNorm::Mean => a.mean_score,
            AttentionNorm::Range => m - a.floor_value,
        };
        let active = a.active_count();
        if scale > 0.0 && scale.is_finite() {
            let x = scores
                .iter()
                .zip(&a.active)
                .filter(|(_, on)| **on)
                .map(|(&s, _)| (s - m) / scale)
                .collect();
            DiversitySolver {
                x,
                active,
                constant: None,
            }
        } else {
            DiversitySolver {
                x: Vec::new(),
                active,
                constant: Some(a.prob.iter().filter(|&&p| p > 0.0).count() as f64),
            }
        }
    }

    /// Number of active grains.
    pub fn active(&self) -> usize {
        self.active
    }

    /// `exp(entropy(prob))` of [`attend`] at `alpha` (O(active)).
    pub fn effective(&self, alpha: f64) -> f64 {
        if let Some(c) = self.constant {
            return c;
        }
        let part = |xs: &[f64]| {
            let mut z = 0.0;
            let mut el = 0.0;
            for &x in xs {
                let l = (alpha * x).max(-500.0);
                let e = l.exp();
                z += e;
                el += e * l;
            }
            (z, el)
        };
        let (z, el) = if self.x.len() < 2 * BLOCK {
            part(&self.x)
        } else {
            let parts: Vec<(f64, f64)> = self.x.par_chunks(BLOCK).map(part).collect();
            parts
                .iter()
                .fold((0.0, 0.0), |(z, el), p| (z + p.0, el + p.1))
        };
        // z >= 1 (the best grain has l = 0); the entropy is >= 0 up to rounding.
        (z.ln() - el / z).max(0.0).exp()
    }

    /// The alpha for `target_pct` (D, percent, `0 < D <= 100`). See the module
    /// documentation.
    pub fn solve(&self, target_pct: f64) -> Result<Solved, ParamError> {
        self.solve_with(target_pct, &mut |a| self.effective(a))
    }

    /// [`solve`](Self::solve) for many targets on one gate: the effective
    /// number at each alpha tried is kept in `memo`, so targets whose
    /// bisections pass the same midpoints (neighbouring control points) share
    /// the evaluations. The result is exactly [`solve`](Self::solve)'s.
    pub fn solve_memo(
        &self,
        target_pct: f64,
        memo: &mut HashMap<u64, f64>,
    ) -> Result<Solved, ParamError> {
        self.solve_with(target_pct, &mut |a| {
            *memo.entry(a.to_bits()).or_insert_with(|| self.effective(a))
        })
    }

    fn solve_with(
        &self,
        target_pct: f64,
        effective: &mut dyn FnMut(f64) -> f64,
    ) -> Result<Solved, ParamError> {
        check_target(target_pct)?;
        let a = self.active as f64;
        let want = target_pct / 100.0 * a;
        let (t, tol) = if want <= 1.0 {
            (1.0, 0.005)
        } else {
            (want, 0.005 * a)
        };
        let mut steps = 0;
        let mut eval = |alpha: f64| {
            steps += 1;
            effective(alpha)
        };
        let done = |alpha: f64, effective: f64, clamped: bool, steps: u32| Solved {
            alpha,
            effective,
            active: self.active,
            clamped,
            steps,
        };
        let e_lo = eval(ALPHA_MIN);
        if e_lo <= t + tol {
            let clamped = e_lo < t - tol;
            return Ok(done(ALPHA_MIN, e_lo, clamped, steps));
        }
        let e_hi = eval(ALPHA_MAX);
        if e_hi >= t - tol {
            let clamped = e_hi > t + tol;
            return Ok(done(ALPHA_MAX, e_hi, clamped, steps));
        }
        // E(lo) > t + tol and E(hi) < t - tol.
        let (mut lo, mut hi) = (ALPHA_MIN.ln(), ALPHA_MAX.ln());
        let mut best = (ALPHA_MAX, e_hi);
        for _ in 0..MAX_STEPS {
            let mid = 0.5 * (lo + hi);
            let alpha = mid.exp();
            let e = eval(alpha);
            best = (alpha, e);
            if (e - t).abs() <= tol {
                break;
            }
            if e > t {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(done(best.0, best.1, false, steps))
    }
}

/// The alpha that makes the effective number of grains of
/// `attend(scores, alpha, floor_db, norm)` equal to `target_pct` percent of the
/// active grains (see the module documentation). O(N) per step.
pub fn solve_alpha(
    scores: &[f64],
    floor_db: f64,
    norm: AttentionNorm,
    target_pct: f64,
) -> Result<Solved, ParamError> {
    check_target(target_pct)?;
    DiversitySolver::new(scores, floor_db, norm).solve(target_pct)
}

/// D must be a finite percentage in (0, 100].
pub fn check_target(target_pct: f64) -> Result<f64, ParamError> {
    let name = "diversity";
    if !target_pct.is_finite() {
        Err(ParamError::NotFinite {
            name,
            value: target_pct,
        })
    } else if target_pct <= 0.0 {
        Err(ParamError::NotPositive {
            name,
            value: target_pct,
        })
    } else if target_pct > 100.0 {
        Err(ParamError::TooLarge {
            name,
            value: target_pct,
            max: 100.0,
            unit: "%",
        })
    } else {
        Ok(target_pct)
    }
}

/// One control point of a diversity (docs/algorithm.md, section 13).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ControlPoint {
    /// Output time, seconds.
    pub t_s: f64,
    /// The diversity asked for, percent.
    pub diversity: f64,
    /// The alpha solved.
    pub alpha: f64,
    /// The effective number of grains with that alpha.
    pub effective: f64,
    /// The active grains at that point's floor.
    pub active: usize,
    /// Whether alpha sits at a bound because D could not be reached.
    pub clamped: bool,
}

/// Control points of a varying diversity over `duration_s` seconds: at
/// least 64 intervals and at least 4 per second.
pub fn control_times(duration_s: f64) -> Vec<f64> {
    let n = ((4.0 * duration_s).ceil() as usize).max(64);
    (0..=n).map(|k| duration_s * k as f64 / n as f64).collect()
}

/// Replaces alpha by the alpha solved for the settings' diversity, if there
/// is one: solved once when the diversity and the floor are constant, else
/// at the control points of [`control_times`] with alpha interpolated
/// geometrically between them (an `@exp` envelope through the solved
/// values). Adds an adjustment line when D cannot be reached. Returns the
/// control points (one for a constant).
pub fn apply(scores: &[f64], s: &mut Settings) -> Vec<ControlPoint> {
    let Some(d) = s.curves.diversity.clone() else {
        return Vec::new();
    };
    let floor = s.curves.floor_db.clone();
    let constant = d.constant_value().is_some() && floor.constant_value().is_some();
    let times = if constant {
        vec![0.0]
    } else {
        control_times(s.duration_s)
    };
    // One solver per distinct floor (one O(N) gate each).
    let mut solvers: Vec<(u64, DiversitySolver, HashMap<u64, f64>)> = Vec::new();
    let mut points = Vec::with_capacity(times.len());
    for &t in &times {
        let fl = floor.value_at(t);
        let target = d.value_at(t);
        let k = match solvers.iter().position(|(b, _, _)| *b == fl.to_bits()) {
            Some(k) => k,
            None => {
                let solver = DiversitySolver::new(scores, fl, s.attention_norm);
                solvers.push((fl.to_bits(), solver, HashMap::new()));
                solvers.len() - 1
            }
        };
        let (_, solver, memo) = &mut solvers[k];
        let solved = solver
            .solve_memo(target, memo)
            .expect("diversity is checked by Params::checked");
        points.push(ControlPoint {
            t_s: t,
            diversity: target,
            alpha: solved.alpha,
            effective: solved.effective,
            active: solved.active,
            clamped: solved.clamped,
        });
    }
    let low: Vec<&ControlPoint> = points
        .iter()
        .filter(|p| p.clamped && p.alpha <= ALPHA_MIN)
        .collect();
    if let Some(p) = low.first() {
        s.adjustments.push(if constant {
            format!(
                "diversity {} % asks for more grains than alpha {} gives ({:.1} effective of {} active): alpha is {}",
                num(p.diversity),
                num(ALPHA_MIN),
                p.effective,
                p.active,
                num(ALPHA_MIN)
            )
        } else {
            format!(
                "diversity asks for more grains than alpha {} gives at {} of {} control points (first at {:.2} s, {} %): alpha is {} there",
                num(ALPHA_MIN),
                low.len(),
                points.len(),
                p.t_s,
                num(p.diversity),
                num(ALPHA_MIN)
            )
        });
    }
    let alpha = if constant {
        Envelope::constant(points[0].alpha)
    } else {
        let pts: Vec<Point> = points
            .iter()
            .enumerate()
            .map(|(k, p)| Point {
                time: Time::Seconds(p.t_s),
                value: p.alpha,
                shape: if k == 0 { Shape::Lin } else { Shape::Exp },
            })
            .collect();
        Envelope::from_points(pts).expect("increasing times, positive alphas")
    };
    s.curves.alpha = alpha
        .resolve(s.duration_s)
        .expect("the output duration is > 0");
    s.alpha = s.curves.alpha.value_at(0.0);
    s.effective.alpha = alpha;
    points
}
