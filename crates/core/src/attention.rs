//! Attention: the ReLU gate and the softmax over the survivors (docs/algorithm.md, section 5).

use crate::params::AttentionNorm;

/// The gate and the selection probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// `mean_i S_i` over all candidates (floored at 1e-30).
    pub mean_score: f64,
    /// `mean * 10^(floor_db / 10)`.
    pub floor_value: f64,
    /// Whether each candidate passed the gate.
    pub active: Vec<bool>,
    /// Selection probability; exactly 0 for rejected candidates.
    pub prob: Vec<f64>,
    /// True when no candidate cleared the floor and the best one was kept alone.
    pub fallback: bool,
}

impl Attention {
    /// Number of candidates that passed the gate.
    pub fn active_count(&self) -> usize {
        self.active.iter().filter(|&&a| a).count()
    }
    /// `exp(entropy(prob))`: how many grains' worth of probability there is.
    pub fn effective_grains(&self) -> f64 {
        let h: f64 = self
            .prob
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| -p * p.ln())
            .sum();
        h.exp()
    }
}

/// Gates `score` at `floor_db` relative to its mean and turns the survivors'
/// scores into probabilities with sharpness `alpha`.
pub fn attend(score: &[f64], alpha: f64, floor_db: f64, norm: AttentionNorm) -> Attention {
    let n = score.len();
    let mean = (score.iter().sum::<f64>() / n.max(1) as f64).max(1e-30);
    let floor_value = mean * 10f64.powf(floor_db / 10.0);
    // A relative tolerance of 1e-12: equal scores must not fail a 0 dB floor
    // because their computed mean rounded one ulp above them.
    let gate = floor_value * (1.0 - 1e-12);
    let mut active: Vec<bool> = score.iter().map(|&s| s >= gate).collect();
    let mut fallback = false;
    if !active.iter().any(|&a| a) && n > 0 {
        // No grain cleared the floor: keep the single best one (first on ties).
        let best = argmax(score);
        active[best] = true;
        fallback = true;
    }
    let m = score
        .iter()
        .zip(&active)
        .filter(|(_, a)| **a)
        .map(|(s, _)| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    let scale = match norm {
        AttentionNorm::Mean => mean,
        AttentionNorm::Range => m - floor_value,
    };
    let mut prob = vec![0.0; n];
    if scale > 0.0 && scale.is_finite() {
        for i in 0..n {
            if active[i] {
                prob[i] = (alpha * (score[i] - m) / scale).max(-500.0).exp();
            }
        }
    } else {
        // `range` with max <= floor: only the best grain(s) are active anyway
        // (scores equal to the max share the mass equally).
        for i in 0..n {
            if active[i] && score[i] == m {
                prob[i] = 1.0;
            }
        }
    }
    let total: f64 = prob.iter().sum();
    for p in &mut prob {
        *p /= total;
    }
    Attention {
        mean_score: mean,
        floor_value,
        active,
        prob,
        fallback,
    }
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
