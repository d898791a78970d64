//! An exact per-hop sampler for attention parameters that change at every hop
//! (docs/algorithm.md, sections 5, 6 and 12).
//!
//! [`plan::Sampler`](crate::plan::Sampler) draws from one fixed `prob`: its
//! tables cost O(N) to build, which is fine once per run but not once per hop.
//! [`VaryingSampler`] is built once from the raw scores and then draws, at each
//! hop, from exactly the distribution of sections 5 and 6 computed with that
//! hop's `alpha`, `floor_db` and `recency`, in O(log N) time per hop.
//!
//! # The structure
//!
//! The candidates are sorted by score, descending (ties: lower candidate index
//! first, so rank 0 is [`attend`]'s first-on-ties best grain). For a hop:
//!
//! - **Gate.** `floor_value = mean * 10^(floor_db / 10)` with the same
//!   expressions (mean, power, 1e-12 tolerance) as [`attend`], so the active
//!   set is the same, and it is a prefix of the ranks, `[0, k)`: a galloping
//!   search from the previous `k` (O(log N), O(1) when the floor moves a
//!   little, nothing when it does not move). `k = 0` becomes `k = 1`, the
//!   fallback to the best grain. `m` is the score of rank 0, `scale` is chosen
//!   by the [`AttentionNorm`] as in [`attend`]; when `scale` is not positive
//!   (or not finite) only the active grains whose score equals `m` carry
//!   weight, equally, as in [`attend`].
//! - **Weights.** `w(r) = exp(max(-500, alpha * (S_r - m) / scale))`, the very
//!   expression of [`attend`]. It does not grow with the rank `r`, and with
//!   `c = alpha / scale` it does not grow with `c` either.
//! - **The proposal** is a list of upper bounds of the weights, built for some
//!   `c_lo <= c`: the top [`HEAD`] ranks are entries of their own, with bound
//!   `b_r = w_lo(r)` (the weight at `c_lo`); the ranks from [`HEAD`] on are cut
//!   into blocks, [`SUB`] equal blocks per doubling of the rank
//!   (`[8, 16)` into blocks of 1, `[16, 32)` of 2, ..., `[2^j, 2^(j+1))` of
//!   `2^j / 8`), block `B` with bound `b_B = w_lo(first rank of B)` and mass
//!   `P_B = len_B * b_B`. The head's masses carry the recency factors:
//!   `P_r = b_r * f(r)`, `f` from [`recency_factors`].
//!
//! A draw picks an entry with probability proportional to its mass (one
//! uniform, a scan of the head, a binary search of the blocks' cumulative
//! masses). In a block a rank `r` is proposed uniformly (a second uniform).
//! The pick is accepted with probability `f(r) * w(r) / b` (a third uniform;
//! skipped when that ratio is exactly 1), where `w(r)` is this hop's exact
//! weight and `b` the entry's bound (`f` is already in a head entry's mass); a
//! rejection starts the draw again.
//!
//! # Why it is exact
//!
//! Every rank `r` is proposed with probability proportional to its entry's
//! bound (times `f(r)` in the head) and accepted with `q_r / bound` (divided by
//! `f(r)` in the head), so each try returns `r` with probability proportional
//! to `q_r = w(r) * f(r)`, with one constant for all ranks. Rejections only
//! repeat the try, so the result has the law `q / sum q` exactly (up to the
//! rounding of f64 arithmetic; no parameter is rounded to a grid). Ranks
//! beyond `k` (rejected by the gate) are never returned. When every weight is
//! fully penalised (`sum q = 0`, only possible with recency 1 and one grain
//! carrying all the weight) the draw is made from the unpenalised weights, as
//! section 6 says.
//!
//! # Why it is fast, whatever alpha, the floor and the recency
//!
//! - **Tries.** With bounds built for this hop's `c`, the proposal of a block
//!   is at most twice the weight of the ranks just above it (the half-as-long
//!   run of ranks before it, each at least as heavy), so the total proposal is
//!   at most `sum q + 2 * sum w`, whatever the scores and alpha: a sharp alpha
//!   makes the top entries exact, a soft one makes every block nearly flat.
//!   The recency penalty is where plain rejection would fail: a dominant grain
//!   that is penalised (alpha 10^4, recency 1) would have most of the proposal
//!   and never be accepted. But the dominant grains are the top ranks, and the
//!   top ranks are head entries whose masses already carry their penalties:
//!   the proposal only overestimates the tail, where a recent pick weighs at
//!   most `w(HEAD)`, no more than any of the five or more unpenalised head
//!   ranks. So the expected number of tries is bounded by a constant; on real
//!   scores it is about 1.05 (`tries`, and `examples/varying_bench.rs`).
//! - **Rebuilds.** Building the proposal costs one exp per entry,
//!   `HEAD + SUB * log2(k / HEAD)` (about 140 for 10^6 candidates). It is kept
//!   while it still bounds this hop's weights (`c >= c_lo`, same gate, at most
//!   `1/32` of its ranks gated off since) and is not too loose: with `dbar` the
//!   proposal-weighted mean of `m - S` over the entries' last ranks, a larger
//!   `c` lowers the acceptance by at most `exp(-(c - c_lo) * dbar)` (Jensen),
//!   so the proposal is rebuilt once that passes `exp(-0.05)`. When alpha falls
//!   the proposal is built for a slightly smaller `c` so that the next hops fit
//!   too; when the floor falls it covers 1/64 more ranks than are active. An
//!   alpha sweeping 1 to 40 over 10^7 hops rebuilds about 80 times; the
//!   worst case (alpha jumping at every hop) rebuilds every hop, still
//!   O(log N).
//!
//! So a hop costs O(log N) at worst (the search, and a rebuild when the
//! parameters jumped), plus O(1) expected tries, each one random read of the
//! sorted table and at most one exp. No step is O(N).
//!
//! The random numbers come from the run's stream ([`GarRng`], [`uniform`]):
//! one to three uniforms per try, so the same seed and the same parameter
//! values give the same picks on every machine.

use crate::attention::attend;
use crate::params::AttentionNorm;
use crate::plan::{GarRng, recency_factors, uniform};

/// Number of top ranks that are proposal entries of their own.
pub const HEAD: usize = 8;
/// Sub-blocks per doubling of the rank (see the module documentation).
pub const SUB: usize = 8;
/// The tables are rebuilt when the alpha they were built for would lower the
/// expected acceptance by more than a factor `exp(-SLACK)`.
const SLACK: f64 = 0.05;

/// The gate of one floor: how many candidates are active.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gate {
    /// `mean * 10^(floor_db / 10)`.
    pub floor_value: f64,
    /// Number of active candidates (the top ranks), at least 1.
    pub active: usize,
    /// True when no candidate cleared the floor and the best one was kept alone.
    pub fallback: bool,
    /// `scale` of section 5 (`m - floor_value` or `mean`).
    pub scale: f64,
    /// True when `scale` is not positive (or not finite): only the active grains
    /// with the highest score carry weight, equally.
    pub degenerate: bool,
}

/// The proposal: upper bounds of the weights, built for `alpha_lo` and
/// `scale_lo` over the ranks `[0, kk)`.
#[derive(Clone, Debug)]
struct Tables {
    valid: bool,
    degenerate: bool,
    alpha_lo: f64,
    scale_lo: f64,
    /// `alpha_lo / scale_lo`: the bounds hold for every `alpha / scale >= c_lo`.
    c_lo: f64,
    /// Ranks covered (`>=` the active count; ranks beyond it are rejected).
    kk: usize,
    /// Bound of each head rank's weight.
    head_b: [f64; HEAD],
    /// Bound of the weights of each tail block (its first rank's weight).
    tail_b: Vec<f64>,
    /// Cumulative proposal masses of the tail blocks.
    tail_cum: Vec<f64>,
    /// Proposal-weighted mean of `m - S(last rank)` over the entries: the
    /// acceptance falls by at most `exp(-(c - c_lo) * dbar)` (Jensen).
    dbar: f64,
}

/// The exact per-hop sampler (see the module documentation).
#[derive(Clone, Debug)]
pub struct VaryingSampler {
    norm: AttentionNorm,
    /// `max(1e-30, mean_i S_i)`, computed as [`attend`] does.
    mean: f64,
    /// (score, candidate index) by rank: scores descending, ties by index.
    ranked: Vec<(f64, u32)>,
    /// Score and candidate index of each head rank.
    head_s: [f64; HEAD],
    head_idx: [u32; HEAD],
    /// First rank of each tail block, then `N`.
    starts: Vec<usize>,
    /// Score of the first and of the last rank of each tail block.
    tops: Vec<f64>,
    bottoms: Vec<f64>,
    /// The gate of the last floor seen.
    floor_bits: u64,
    gate: Gate,
    tables: Tables,
    /// Tries and table builds so far, for tests and benchmarks.
    tries: u64,
    builds: u64,
}

impl VaryingSampler {
    /// Sorts the candidates (O(N log N), once per run). `scores` must be finite
    /// and hold at least one candidate.
    pub fn new(scores: &[f64], norm: AttentionNorm) -> Self {
        assert!(!scores.is_empty(), "at least one candidate");
        assert!(
            scores.len() <= u32::MAX as usize,
            "candidate indices fit in u32"
        );
        let n = scores.len();
        // The same summation as `attend`, so the gate is the same to the bit.
        let mean = (scores.iter().sum::<f64>() / n as f64).max(1e-30);
        let mut ranked: Vec<(f64, u32)> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i as u32))
            .collect();
        ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut head_s = [0.0; HEAD];
        let mut head_idx = [0u32; HEAD];
        for (r, e) in ranked.iter().take(HEAD).enumerate() {
            head_s[r] = e.0;
            head_idx[r] = e.1;
        }
        let mut starts = Vec::new();
        let mut a = HEAD;
        while a < n {
            let end = (2 * a).min(n);
            let step = (a / SUB).max(1);
            let mut b = a;
            while b < end {
                starts.push(b);
                b += step;
            }
            a *= 2;
        }
        let tops = starts.iter().map(|&b| ranked[b].0).collect();
        starts.push(n);
        let bottoms = starts.windows(2).map(|w| ranked[w[1] - 1].0).collect();
        let blocks = starts.len() - 1;
        VaryingSampler {
            norm,
            mean,
            ranked,
            head_s,
            head_idx,
            starts,
            tops,
            bottoms,
            floor_bits: 0,
            gate: Gate {
                floor_value: f64::NAN,
                active: 0,
                fallback: false,
                scale: f64::NAN,
                degenerate: true,
            },
            tables: Tables {
                valid: false,
                degenerate: true,
                alpha_lo: 0.0,
                scale_lo: 0.0,
                c_lo: 0.0,
                kk: 0,
                head_b: [0.0; HEAD],
                tail_b: Vec::with_capacity(blocks),
                tail_cum: Vec::with_capacity(blocks),
                dbar: 0.0,
            },
            tries: 0,
            builds: 0,
        }
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    /// Always false (a sampler holds at least one candidate).
    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    /// The attention norm the sampler was built with.
    pub fn norm(&self) -> AttentionNorm {
        self.norm
    }

    /// Tries made by all draws so far (each draw makes at least one; the
    /// excess over the number of draws is the rejections).
    pub fn tries(&self) -> u64 {
        self.tries
    }

    /// Proposal tables built so far (one exp per head rank and per tail block each).
    pub fn builds(&self) -> u64 {
        self.builds
    }

    /// The gate at `floor_db` (O(log N)): the active count, the fallback and
    /// the scale, exactly as [`attend`] decides them.
    pub fn gate(&self, floor_db: f64) -> Gate {
        let hint = if self.gate.active > 0 {
            self.gate.active
        } else {
            self.ranked.len() / 2
        };
        self.gate_from(floor_db, hint)
    }

    fn gate_from(&self, floor_db: f64, hint: usize) -> Gate {
        let floor_value = self.mean * 10f64.powf(floor_db / 10.0);
        // `attend`'s tolerance: equal scores pass a 0 dB floor.
        let k = self.count_at_least(floor_value * (1.0 - 1e-12), hint);
        let m = self.ranked[0].0;
        let scale = match self.norm {
            AttentionNorm::Mean => self.mean,
            AttentionNorm::Range => m - floor_value,
        };
        Gate {
            floor_value,
            active: k.max(1),
            fallback: k == 0,
            scale,
            degenerate: !(scale > 0.0 && scale.is_finite()),
        }
    }

    /// Number of ranks with a score `>= tol`: a galloping search from `hint`
    /// (O(log distance)), so a floor that moves a little costs little.
    fn count_at_least(&self, tol: f64, hint: usize) -> usize {
        let n = self.ranked.len();
        let ok = |i: usize| self.ranked[i].0 >= tol;
        let h = hint.min(n);
        // Invariant: every rank below `lo` passes, every rank from `hi` on fails.
        let (mut lo, mut hi) = (0, n);
        if h < n && ok(h) {
            lo = h + 1;
            let mut step = 1;
            while h + step < n {
                if ok(h + step) {
                    lo = h + step + 1;
                    step *= 2;
                } else {
                    hi = h + step;
                    break;
                }
            }
        } else {
            hi = h;
            let mut step = 1;
            while step <= h {
                if ok(h - step) {
                    lo = h - step + 1;
                    break;
                }
                hi = h - step;
                step *= 2;
            }
        }
        lo + self.ranked[lo..hi].partition_point(|e| e.0 >= tol)
    }

    /// The scores in candidate order (O(N)).
    pub fn scores(&self) -> Vec<f64> {
        let mut s = vec![0.0; self.ranked.len()];
        for &(v, i) in &self.ranked {
            s[i as usize] = v;
        }
        s
    }

    /// The exact distribution that a [`draw`](Self::draw) with these arguments
    /// follows, by candidate: `q / sum q` (or `prob` when `sum q = 0`); O(N).
    /// Built on [`attend`] and [`penalised`], for tests.
    pub fn expected(
        &self,
        alpha: f64,
        floor_db: f64,
        recency: f64,
        recent: &[Option<u32>; 3],
    ) -> Vec<f64> {
        let a = attend(&self.scores(), alpha, floor_db, self.norm);
        penalised(&a.prob, recency, recent)
    }

    /// Draws a candidate index from exactly the distribution of sections 5 and
    /// 6 with this hop's `alpha`, `floor_db` and `recency` (0..1), `recent`
    /// being the last three picks (candidate indices, most recent first).
    /// O(log N) per hop (see the module documentation). Panics if alpha or
    /// the floor is not finite or alpha is negative (the caller clamps them).
    pub fn draw(
        &mut self,
        alpha: f64,
        floor_db: f64,
        recency: f64,
        recent: &[Option<u32>; 3],
        rng: &mut GarRng,
    ) -> u32 {
        assert!(
            alpha.is_finite() && alpha >= 0.0 && floor_db.is_finite(),
            "alpha {alpha} and floor {floor_db} dB must be finite, alpha >= 0"
        );
        if self.gate.active == 0 || floor_db.to_bits() != self.floor_bits {
            self.gate = self.gate(floor_db);
            self.floor_bits = floor_db.to_bits();
        }
        self.refresh(alpha);
        let (fac, nf) = if recency > 0.0 {
            recency_factors(recent, recency)
        } else {
            ([(0, 1.0); 3], 0)
        };
        let r = self.draw_rank(alpha, &fac[..nf], rng);
        self.ranked[r].1
    }

    /// Rebuilds the proposal when it does not bound this hop's weights or has
    /// become too loose.
    fn refresh(&mut self, alpha: f64) {
        let g = self.gate;
        let k = g.active;
        let t = &self.tables;
        // Ranks beyond the active count are rejected; a few of them are fine.
        let ranks_ok = k <= t.kk && (k == t.kk || (k >= 2 * HEAD && t.kk - k <= t.kk / 32));
        let c = alpha / g.scale;
        let ok = t.valid
            && ranks_ok
            && if g.degenerate {
                t.degenerate
            } else {
                !t.degenerate && c >= t.c_lo && (c - t.c_lo) * t.dbar <= SLACK
            };
        if ok {
            return;
        }
        // Cover a few more ranks when the active set grows, so that a falling
        // floor does not rebuild at every hop.
        let kk = if t.valid && k > t.kk && k >= 2 * HEAD {
            (k + k / 64).min(self.ranked.len())
        } else {
            k
        };
        let (alpha_lo, scale_lo) = if g.degenerate {
            (alpha, g.scale)
        } else if t.valid && !t.degenerate && c < t.c_lo && t.dbar > 0.0 {
            // Alpha is falling: build for a little less, so that the next hops
            // still fit.
            let d = (0.8 * SLACK / t.dbar).min(0.5 * c);
            ((c - d) * g.scale, g.scale)
        } else {
            (alpha, g.scale)
        };
        self.build(g.degenerate, alpha_lo, scale_lo, kk);
    }

    fn build(&mut self, degenerate: bool, alpha_lo: f64, scale_lo: f64, kk: usize) {
        self.builds += 1;
        let m = self.ranked[0].0;
        let w = |s: f64| weight(s, m, alpha_lo, scale_lo, degenerate);
        let t = &mut self.tables;
        t.valid = true;
        t.degenerate = degenerate;
        t.alpha_lo = alpha_lo;
        t.scale_lo = scale_lo;
        t.c_lo = alpha_lo / scale_lo;
        t.kk = kk;
        let mut total = 0.0;
        let mut moment = 0.0;
        for r in 0..HEAD.min(kk) {
            let b = w(self.head_s[r]);
            t.head_b[r] = b;
            total += b;
            moment += b * (m - self.head_s[r]);
        }
        t.tail_b.clear();
        t.tail_cum.clear();
        let mut acc = 0.0;
        for j in 0..self.tops.len() {
            let a = self.starts[j];
            if a >= kk {
                break;
            }
            let end = self.starts[j + 1];
            let (end, bottom) = if end <= kk {
                (end, self.bottoms[j])
            } else {
                (kk, self.ranked[kk - 1].0)
            };
            let b = w(self.tops[j]);
            let p = (end - a) as f64 * b;
            acc += p;
            moment += p * (m - bottom);
            t.tail_b.push(b);
            t.tail_cum.push(acc);
        }
        total += acc;
        t.dbar = if total > 0.0 { moment / total } else { 0.0 };
    }

    /// The rank drawn with the recency factors `fac` (distinct candidates).
    fn draw_rank(&mut self, alpha: f64, fac: &[(u32, f64)], rng: &mut GarRng) -> usize {
        let g = self.gate;
        let k = g.active;
        let t = &self.tables;
        let m = self.ranked[0].0;
        // The bounds are this hop's weights themselves: accept without a uniform.
        let exact = t.degenerate
            || (t.alpha_lo.to_bits() == alpha.to_bits()
                && t.scale_lo.to_bits() == g.scale.to_bits());
        let hn = HEAD.min(k);
        let mut q = [0.0f64; HEAD];
        let mut head_sum = 0.0;
        for ((q, &b), &i) in q.iter_mut().zip(&t.head_b).zip(&self.head_idx).take(hn) {
            *q = b * factor(fac, i);
            head_sum += *q;
        }
        let tail_total = t.tail_cum.last().copied().unwrap_or(0.0);
        let total = head_sum + tail_total;
        if total <= 0.0 && !fac.is_empty() {
            // Every survivor fully penalised: draw from the unpenalised weights.
            return self.draw_rank(alpha, &[], rng);
        }
        let mut tries = 0u64;
        let r = loop {
            tries += 1;
            let u = uniform(rng) * total;
            if u < head_sum {
                let mut acc = 0.0;
                let mut r = 0;
                for (i, &w) in q[..hn].iter().enumerate() {
                    acc += w;
                    if w > 0.0 {
                        r = i;
                        if u < acc {
                            break;
                        }
                    }
                }
                let s = self.head_s[r];
                if exact || s == m {
                    break r;
                }
                let ratio = weight(s, m, alpha, g.scale, false) / t.head_b[r];
                if ratio >= 1.0 || uniform(rng) < ratio {
                    break r;
                }
                continue;
            }
            let v = u - head_sum;
            let mut j = t.tail_cum.partition_point(|&c| c <= v);
            if j >= t.tail_cum.len() {
                // Rounding at the very end: the last block with any mass.
                match t.tail_b.iter().rposition(|&b| b > 0.0) {
                    Some(x) => j = x,
                    None => continue,
                }
            }
            let a = self.starts[j];
            let len = self.starts[j + 1].min(t.kk) - a;
            let r = a + ((uniform(rng) * len as f64) as usize).min(len - 1);
            if r >= k {
                continue;
            }
            let (s, i) = self.ranked[r];
            let ratio = if t.degenerate {
                if s == m { 1.0 } else { 0.0 }
            } else if exact && s == self.tops[j] {
                1.0
            } else {
                weight(s, m, alpha, g.scale, false) / t.tail_b[j]
            } * factor(fac, i);
            if ratio >= 1.0 || (ratio > 0.0 && uniform(rng) < ratio) {
                break r;
            }
        };
        self.tries += tries;
        r
    }
}

/// `exp(max(-500, alpha * (s - m) / scale))`, the weight of [`attend`] (or, when
/// `degenerate`, 1 for the top score and 0 below it).
#[inline]
fn weight(s: f64, m: f64, alpha: f64, scale: f64, degenerate: bool) -> f64 {
    if degenerate {
        if s == m { 1.0 } else { 0.0 }
    } else {
        (alpha * (s - m) / scale).max(-500.0).exp()
    }
}

/// The recency factor of candidate `i` (1 if it is not a recent pick).
#[inline]
fn factor(fac: &[(u32, f64)], i: u32) -> f64 {
    fac.iter().find(|e| e.0 == i).map_or(1.0, |e| e.1)
}

/// The penalised distribution of section 6 for `prob` (by candidate):
/// `q / sum q`, or `prob` itself when `sum q = 0`. O(N).
pub fn penalised(prob: &[f64], recency: f64, recent: &[Option<u32>; 3]) -> Vec<f64> {
    let (fac, k) = recency_factors(recent, recency);
    let mut q = prob.to_vec();
    for &(i, f) in &fac[..k] {
        if let Some(x) = q.get_mut(i as usize) {
            *x *= f;
        }
    }
    let sum: f64 = q.iter().sum();
    if sum > 0.0 {
        q.iter_mut().for_each(|x| *x /= sum);
        q
    } else {
        prob.to_vec()
    }
}
