//! The plan: which grain goes where, at what pitch (docs/algorithm.md, section 6).
//!
//! The plan is plain data. The renderer, the report, the JSON and the picture
//! all read it; nothing recomputes it.

use crate::envelope::ResolvedEnvelope;
use crate::params::{Settings, tolerant_floor};
use crate::varying::VaryingSampler;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// The random generator of a run: xoshiro256++ seeded with
/// `Xoshiro256PlusPlus::seed_from_u64(seed)` (rand_xoshiro 0.8), one stream per run.
pub type GarRng = Xoshiro256PlusPlus;

/// A uniform draw in [0, 1) with 53 random bits: `(next_u64 >> 11) * 2^-53`.
#[inline]
pub fn uniform(rng: &mut GarRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The per-hop decisions of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Chosen candidate index per hop.
    pub grain: Vec<u32>,
    /// Output position of the grain start per hop, seconds (`h * hop + offset`).
    pub pos_s: Vec<f64>,
    /// Varispeed shift per hop, semitones: the transposition plus the
    /// jitter (0 without either).
    pub pitch_st: Vec<f32>,
    /// Source length of each hop's grain, frames, when the grain length
    /// varies over time; empty: every grain is the analysis' grain length.
    pub len: Vec<u32>,
    /// Pan position of each hop's grain in [-1, 1] (docs/algorithm.md,
    /// section 14), with a spread; empty without.
    pub pan: Vec<f32>,
    /// The value used at every hop of each parameter that varies over time
    /// (docs/algorithm.md, section 12), in the parameter table's order.
    pub values: Vec<HopValues>,
}

/// One varying parameter's value at every hop.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HopValues {
    /// The parameter's id in the table (`alpha`, `floor_db`, ...).
    pub id: &'static str,
    pub values: Vec<f64>,
}

impl Plan {
    /// The per-hop values of parameter `id`, if it varied.
    pub fn values_of(&self, id: &str) -> Option<&[f64]> {
        self.values
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.values.as_slice())
    }
}

impl Plan {
    pub fn hops(&self) -> usize {
        self.grain.len()
    }
    /// How often each of `n` candidates was chosen.
    pub fn usage(&self, n: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n];
        for &g in &self.grain {
            counts[g as usize] += 1;
        }
        counts
    }
}

/// Number of hops, `H = floor(D_out / hop) + 1`.
pub fn hop_count(s: &Settings) -> usize {
    let h = tolerant_floor(s.duration_s / s.hop_s()) + 1.0;
    if h.is_finite() && h >= 1.0 {
        h as usize
    } else {
        1
    }
}

/// The most hops a run can have: [`hop_count`] for a constant hop, else the
/// output duration over the shortest hop the envelopes allow (section 12),
/// for memory estimates.
pub fn max_hops(s: &Settings) -> usize {
    let c = &s.curves;
    if !c.hop_varies() {
        return hop_count(s);
    }
    let min = |r: &ResolvedEnvelope| r.values().iter().cloned().fold(f64::INFINITY, f64::min);
    let hop_ms = min(&c.hop_ms).min(min(&c.grain_ms) / 2.0).max(1.0);
    let h = tolerant_floor(s.duration_s / (hop_ms / 1000.0)) + 2.0;
    if h.is_finite() && h >= 1.0 {
        h as usize
    } else {
        1
    }
}

/// Exact sampler of `prob` with the recency penalty: O(1) expected per draw,
/// O(log N) at worst, never O(N).
///
/// The penalised weights `q` differ from `prob` only on the (at most three)
/// recent picks. When those picks lose at most half of the mass, a draw is
/// rejection sampling: draw from `prob` with Walker's alias table (O(1), one
/// memory access), accept a recent pick `j` with probability `q_j / prob_j`
/// (at most two tries expected). Otherwise (one grain dominates and is
/// penalised) the draw splits `sum q` into the recent picks' penalised mass and
/// the untouched mass of everyone else, which is drawn from the cumulative
/// table by binary search with the recent picks' intervals cut out. Both are
/// exact: the distribution is `q / sum q`.
#[derive(Clone, Debug)]
pub struct Sampler {
    /// Candidate index of each survivor (prob > 0), ascending.
    idx: Vec<u32>,
    /// Probability of each survivor.
    p: Vec<f64>,
    /// Cumulative end of each survivor's interval; `cum[last]` = total mass.
    cum: Vec<f64>,
    /// Alias table over survivor positions: (threshold in [0, 1], alias position).
    alias: Vec<(f64, u32)>,
}

impl Sampler {
    pub fn new(prob: &[f64]) -> Self {
        let mut idx = Vec::new();
        let mut p = Vec::new();
        let mut cum = Vec::new();
        let mut acc = 0.0;
        for (i, &q) in prob.iter().enumerate() {
            if q > 0.0 {
                idx.push(i as u32);
                p.push(q);
                acc += q;
                cum.push(acc);
            }
        }
        assert!(
            !idx.is_empty(),
            "at least one candidate has probability > 0"
        );
        let alias = alias_table(&p, acc);
        Sampler { idx, p, cum, alias }
    }

    /// A survivor position drawn from `prob` with the alias table.
    #[inline]
    fn draw_alias(&self, rng: &mut GarRng) -> usize {
        let n = self.alias.len();
        let u = uniform(rng) * n as f64;
        let i = (u as usize).min(n - 1);
        let (thr, al) = self.alias[i];
        if u - (i as f64) < thr { i } else { al as usize }
    }

    /// Like [`draw_penalised`](Self::draw_penalised), with survivor positions
    /// instead of candidate indices.
    fn draw_penalised_pos(&self, pen: &[(u32, f64)], rng: &mut GarRng) -> usize {
        let lost: f64 = pen
            .iter()
            .map(|&(j, f)| self.p[j as usize] * (1.0 - f))
            .sum();
        if lost <= 0.5 * self.total() {
            loop {
                let j = self.draw_alias(rng);
                match pen.iter().find(|e| e.0 as usize == j) {
                    None => return j,
                    Some(&(_, f)) => {
                        if f >= 1.0 || (f > 0.0 && uniform(rng) < f) {
                            return j;
                        }
                    }
                }
            }
        }
        self.draw_cut(pen, rng)
    }

    fn total(&self) -> f64 {
        *self.cum.last().unwrap_or(&0.0)
    }

    /// Survivor position of candidate `i`, if it is a survivor.
    fn pos(&self, i: u32) -> Option<usize> {
        self.idx.binary_search(&i).ok()
    }

    /// The survivor whose interval holds `u` in [0, total).
    fn locate(&self, u: f64) -> usize {
        self.cum
            .partition_point(|&c| c <= u)
            .min(self.cum.len() - 1)
    }

    /// Draws from `prob` alone.
    pub fn draw_plain(&self, rng: &mut GarRng) -> u32 {
        self.idx[self.draw_alias(rng)]
    }

    /// Draws from `q / sum q` where `q_i = prob_i * factor(i)` for the candidates
    /// in `recent` (candidate index, multiplicative factor in [0, 1]; distinct
    /// indices) and `q_i = prob_i` elsewhere. Falls back to `prob` if `sum q == 0`.
    pub fn draw_penalised(&self, recent: &[(u32, f64)], rng: &mut GarRng) -> u32 {
        let mut pos = [(0u32, 1.0f64); 3];
        let mut k = 0;
        for &(i, f) in recent.iter().take(3) {
            if let Some(j) = self.pos(i) {
                pos[k] = (j as u32, f);
                k += 1;
            }
        }
        self.idx[self.draw_penalised_pos(&pos[..k], rng)]
    }

    /// The cut-table draw (see the type's documentation); survivor positions.
    fn draw_cut(&self, recent: &[(u32, f64)], rng: &mut GarRng) -> usize {
        // (survivor position, interval start, prob, penalised weight), by position.
        let mut pen: [(usize, f64, f64, f64); 3] = [(0, 0.0, 0.0, 0.0); 3];
        let mut k = 0;
        for &(j, f) in recent {
            let j = j as usize;
            let start = if j == 0 { 0.0 } else { self.cum[j - 1] };
            pen[k] = (j, start, self.p[j], self.p[j] * f);
            k += 1;
        }
        let pen = &mut pen[..k];
        pen.sort_unstable_by_key(|e| e.0);
        let w_recent: f64 = pen.iter().map(|e| e.3).sum();
        let rest = (self.total() - pen.iter().map(|e| e.2).sum::<f64>()).max(0.0);
        let sum_q = w_recent + rest;
        if sum_q <= 0.0 {
            return self.draw_alias(rng);
        }
        let v = uniform(rng) * sum_q;
        if v < w_recent {
            let mut acc = 0.0;
            for e in pen.iter() {
                acc += e.3;
                if v < acc {
                    return e.0;
                }
            }
            return pen
                .iter()
                .rev()
                .find(|e| e.3 > 0.0)
                .map_or(pen[0].0, |e| e.0);
        }
        // Map u from the "everyone else" mass onto the full table by skipping
        // the recent picks' intervals (in ascending order).
        let mut u = v - w_recent;
        for e in pen.iter() {
            if u >= e.1 {
                u += e.2;
            }
        }
        let mut j = self.locate(u);
        // Rounding at an interval edge could land on a recent pick: step to the
        // nearest survivor that is not one (it exists, since rest > 0).
        if pen.iter().any(|e| e.0 == j) {
            let is_pen = |j: usize| pen.iter().any(|e| e.0 == j);
            let up = (j..self.idx.len()).find(|&x| !is_pen(x));
            let down = (0..j).rev().find(|&x| !is_pen(x));
            j = up.or(down).unwrap_or(j);
        }
        j
    }
}

/// Walker's alias table (Vose's construction) for weights `p` summing to `total`.
fn alias_table(p: &[f64], total: f64) -> Vec<(f64, u32)> {
    let n = p.len();
    let mut scaled: Vec<f64> = p.iter().map(|&x| x * n as f64 / total).collect();
    let mut table = vec![(1.0, 0u32); n];
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
    while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
        small.pop();
        table[s] = (scaled[s], l as u32);
        scaled[l] -= 1.0 - scaled[s];
        if scaled[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // Leftovers are 1 up to rounding: they keep themselves.
    for i in large.into_iter().chain(small) {
        table[i] = (1.0, i as u32);
    }
    table
}

/// The multiplicative recency factors for the last three picks `r1, r2, r3`
/// (most recent first), merged per distinct candidate.
pub fn recency_factors(recent: &[Option<u32>; 3], r: f64) -> ([(u32, f64); 3], usize) {
    let slot = [1.0 - r, 1.0 - 0.6 * r, 1.0 - 0.3 * r];
    let mut out = [(0u32, 1.0f64); 3];
    let mut k = 0;
    for (s, pick) in recent.iter().enumerate() {
        if let Some(i) = *pick {
            if let Some(e) = out[..k].iter_mut().find(|e| e.0 == i) {
                e.1 *= slot[s];
            } else {
                out[k] = (i, slot[s]);
                k += 1;
            }
        }
    }
    (out, k)
}

/// Builds the plan: one grain draw, then the pitch and the time offset, per hop,
/// from one RNG stream seeded with `seed` (docs/algorithm.md, section 6).
pub fn make_plan(prob: &[f64], s: &Settings, seed: u64) -> Plan {
    let sampler = Sampler::new(prob);
    let mut rng = GarRng::seed_from_u64(seed);
    // The recent picks are tracked as survivor positions (no lookups per hop).
    let h_count = hop_count(s);
    let hop = s.hop_s();
    let tj = s.time_jitter_s();
    let pj = s.pitch_jitter_st;
    let pitch = s.pitch_active();
    let spread = s.spread;
    let mut plan = Plan {
        grain: Vec::with_capacity(h_count),
        pos_s: Vec::with_capacity(h_count),
        pitch_st: Vec::with_capacity(h_count),
        ..Plan::default()
    };
    let mut recent: [Option<u32>; 3] = [None; 3];
    for h in 0..h_count {
        let j = if s.recency > 0.0 {
            let (f, k) = recency_factors(&recent, s.recency);
            sampler.draw_penalised_pos(&f[..k], &mut rng)
        } else {
            sampler.draw_alias(&mut rng)
        };
        let g = sampler.idx[j];
        let shift = if pitch {
            pj * (2.0 * uniform(&mut rng) - 1.0)
        } else {
            0.0
        };
        let offset = if tj > 0.0 {
            tj * (2.0 * uniform(&mut rng) - 1.0)
        } else {
            0.0
        };
        // Section 14: the pan, after the time offset, only with a spread.
        if spread > 0.0 {
            plan.pan
                .push((spread * (2.0 * uniform(&mut rng) - 1.0)) as f32);
        }
        recent = [Some(j as u32), recent[0], recent[1]];
        plan.grain.push(g);
        plan.pos_s.push(h as f64 * hop + offset);
        plan.pitch_st.push((s.pitch_st + shift) as f32);
    }
    plan
}

/// The per-hop planner (docs/algorithm.md, section 12): every parameter is
/// evaluated at each hop's output time `t_h`; the grain of hop `h` is drawn
/// from exactly the distribution of sections 5 and 6 with that hop's alpha
/// (`alpha`, which is the solved one under a diversity), floor and recency.
///
/// The random stream is used as [`make_plan`] uses it, per hop: the draw,
/// then the pitch jitter (when that hop's jitter is > 0.001 st), then the
/// time offset (when that hop's jitter is > 0). When the attention is
/// constant the draw is [`make_plan`]'s own sampler, so a run whose only
/// varying parameters are, say, the wet share or the transposition picks
/// the same grains as the constant run. When alpha or the floor varies the
/// draw is [`VaryingSampler`]'s, exact and O(log N) per hop.
///
/// Hop times: `t_h = h * hop` when the hop is constant (as in section 6);
/// otherwise `t_0 = 0`, `t_(h+1) = t_h + hop_h` while `t_h <= D_out`. Per
/// hop, the derived rules of section 1: `hop_h = max(1 ms, min(hop(t_h),
/// grain(t_h) / 2))`, `time_jitter_h = min(time_jitter(t_h), hop_h)`.
/// A grain's source length is `round(grain(t_h) * sr / 1000)`, at most what
/// the source holds after the candidate's start.
pub fn make_plan_varying(
    scores: &[f64],
    prob: &[f64],
    starts: &[usize],
    s: &Settings,
    alpha: &ResolvedEnvelope,
    seed: u64,
) -> Plan {
    make_plan_morphing(scores, prob, starts, s, alpha, None, seed)
}

/// How many equal parts of the output a score whose weights vary is
/// re-mixed in (docs/algorithm.md, section 15): at the first hop of each.
pub const MORPH_PARTS: usize = 512;

/// A score whose driver weights vary over output time (section 15): the
/// terms' normalised values (`1 - n` already applied to inverted terms) and
/// each term's weight curve.
pub struct Morph<'a> {
    pub terms: Vec<Vec<f64>>,
    pub weights: &'a [ResolvedEnvelope],
}

impl<'a> Morph<'a> {
    /// The morph of `s`'s score over `analysis`, when the score is a mix
    /// whose weights vary (`None` otherwise).
    pub fn new(s: &'a Settings, analysis: &crate::analysis::Analysis) -> Option<Morph<'a>> {
        let m = s.mix.as_ref().filter(|_| s.curves.weights_vary())?;
        let terms = m
            .terms
            .iter()
            .map(|t| {
                let raw = analysis
                    .driver(t.driver)
                    .expect("every driver of the mix is computed");
                let n = crate::analysis::mix::normalise(t.driver, raw);
                if t.invert {
                    n.iter().map(|x| 1.0 - x).collect()
                } else {
                    n
                }
            })
            .collect();
        Some(Morph {
            terms,
            weights: &s.curves.weights,
        })
    }

    /// The terms' weights at output time `t`, divided by their sum.
    pub fn weights_at(weights: &[ResolvedEnvelope], t: f64) -> Vec<f64> {
        let raw: Vec<f64> = weights.iter().map(|w| w.value_at(t)).collect();
        crate::analysis::mix::Mix::normalised_weights(&raw)
    }

    /// The mixed score with the weights at output time `t`.
    pub fn scores_at(&self, t: f64) -> Vec<f64> {
        let w = Self::weights_at(self.weights, t);
        let refs: Vec<(bool, &[f64])> = self.terms.iter().map(|v| (false, v.as_slice())).collect();
        let n = self.terms.first().map_or(0, Vec::len);
        crate::analysis::mix::combine(&w, &refs, n)
    }
}

/// [`make_plan_varying`] with, optionally, a score whose weights vary: the
/// score is re-mixed at the first hop of each of [`MORPH_PARTS`] equal parts of
/// the output (at every hop when there are fewer hops than parts) with the
/// weights at that hop's time, and the exact per-hop sampler is rebuilt on it.
pub fn make_plan_morphing(
    scores: &[f64],
    prob: &[f64],
    starts: &[usize],
    s: &Settings,
    alpha: &ResolvedEnvelope,
    morph: Option<&Morph>,
    seed: u64,
) -> Plan {
    let c = &s.curves;
    let attention_varies = morph.is_some()
        || alpha.constant_value().is_none()
        || c.floor_db.constant_value().is_none();
    let mut varying = attention_varies.then(|| VaryingSampler::new(scores, s.attention_norm));
    let mut part: Option<usize> = None;
    let fixed = (!attention_varies).then(|| Sampler::new(prob));
    let mut rng = GarRng::seed_from_u64(seed);
    let hop_varies = c.hop_varies();
    let grain_varies = c.grain_ms.constant_value().is_none();
    let h_fixed = hop_count(s);
    let d_end = s.duration_s + 1e-9 * s.duration_s.max(1.0);
    let sr = s.sample_rate as f64;
    let src_len = s.source_len;
    let spreads = s.spreads();

    let mut cur = [
        c.grain_ms.cursor(),
        c.hop_ms.cursor(),
        alpha.cursor(),
        c.floor_db.cursor(),
        c.time_jitter_ms.cursor(),
        c.pitch_jitter_st.cursor(),
        c.pitch_st.cursor(),
        c.recency.cursor(),
        c.wet.cursor(),
        c.spread.cursor(),
    ];
    let ids = [
        "grain_ms",
        "hop_ms",
        "alpha",
        "floor_db",
        "time_jitter_ms",
        "pitch_jitter_st",
        "pitch_st",
        "recency",
        "wet",
        "spread",
    ];
    let record: Vec<bool> = [
        grain_varies,
        hop_varies,
        alpha.constant_value().is_none(),
        c.floor_db.constant_value().is_none(),
        c.time_jitter_ms.constant_value().is_none() || hop_varies,
        c.pitch_jitter_st.constant_value().is_none(),
        c.pitch_st.constant_value().is_none(),
        c.recency.constant_value().is_none(),
        c.wet.constant_value().is_none(),
        c.spread.constant_value().is_none(),
    ]
    .to_vec();
    let cap = if hop_varies { 0 } else { h_fixed };
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(cap); ids.len()];
    let mut plan = Plan {
        grain: Vec::with_capacity(cap),
        pos_s: Vec::with_capacity(cap),
        pitch_st: Vec::with_capacity(cap),
        ..Plan::default()
    };
    // Recent picks: survivor positions for the fixed sampler, candidate
    // indices for the varying one.
    let mut recent: [Option<u32>; 3] = [None; 3];
    let mut t_next = 0.0f64;
    let mut h = 0usize;
    loop {
        let t = if hop_varies {
            if t_next > d_end {
                break;
            }
            t_next
        } else {
            if h >= h_fixed {
                break;
            }
            h as f64 * s.hop_s()
        };
        let mut v = [0.0f64; 10];
        for (k, cu) in cur.iter_mut().enumerate() {
            v[k] = cu.value_at(t);
        }
        let grain_ms = v[0];
        let hop_ms = if hop_varies {
            v[1].min(grain_ms / 2.0).max(1.0)
        } else {
            s.hop_ms
        };
        let (a, floor_db, rec) = (v[2], v[3], v[7]);
        if let Some(m) = morph {
            let k = ((t / s.duration_s.max(1e-12)) * MORPH_PARTS as f64) as usize;
            let k = k.min(MORPH_PARTS - 1);
            if part != Some(k) {
                part = Some(k);
                varying = Some(VaryingSampler::new(&m.scores_at(t), s.attention_norm));
            }
        }
        let g = if let Some(vs) = varying.as_mut() {
            let g = vs.draw(a, floor_db, rec, &recent, &mut rng);
            recent = [Some(g), recent[0], recent[1]];
            g
        } else {
            let sm = fixed.as_ref().expect("a sampler");
            let j = if rec > 0.0 {
                let (f, k) = recency_factors(&recent, rec);
                sm.draw_penalised_pos(&f[..k], &mut rng)
            } else {
                sm.draw_alias(&mut rng)
            };
            recent = [Some(j as u32), recent[0], recent[1]];
            sm.idx[j]
        };
        let pj = v[5];
        let shift = if pj > 0.001 {
            pj * (2.0 * uniform(&mut rng) - 1.0)
        } else {
            0.0
        };
        let tj_ms = v[4].min(hop_ms);
        let offset = if tj_ms > 0.0 {
            tj_ms / 1000.0 * (2.0 * uniform(&mut rng) - 1.0)
        } else {
            0.0
        };
        // Section 14: the pan, after the time offset, only with a spread.
        if v[9] > 0.0 {
            plan.pan
                .push((v[9] * (2.0 * uniform(&mut rng) - 1.0)) as f32);
        } else if spreads {
            plan.pan.push(0.0);
        }
        v[1] = hop_ms;
        v[4] = tj_ms;
        plan.grain.push(g);
        plan.pos_s.push(t + offset);
        plan.pitch_st.push((v[6] + shift) as f32);
        if grain_varies {
            let start = starts[g as usize];
            let l = ((grain_ms * sr / 1000.0).round() as usize)
                .clamp(1, src_len.saturating_sub(start).max(1));
            plan.len.push(l as u32);
        }
        for (k, vals) in values.iter_mut().enumerate() {
            if record[k] {
                vals.push(v[k]);
            }
        }
        h += 1;
        t_next = t + hop_ms / 1000.0;
    }
    plan.values = ids
        .iter()
        .zip(values)
        .zip(&record)
        .filter(|(_, r)| **r)
        .map(|((&id, values), _)| HopValues { id, values })
        .collect();
    plan
}
