//! Onsets measured in dB (docs/algorithm.md, section 15): a quiet attack
//! counts as much as a loud one of the same rise in level.

/// `D_i = 10 log10(max(P_i, 1e-6 max(P)))`; `T_0 = 0`, `T_i = max(0, D_i -
/// D_(i-1))`, dB. The floor (60 dB below the loudest grain) keeps the
/// noise floor's flicker from counting as attacks.
pub fn onset_db(power: &[f64]) -> Vec<f64> {
    let pmax = power.iter().cloned().fold(0.0, f64::max);
    let floor = 1e-6 * pmax;
    let db = |p: f64| {
        let v = 10.0 * p.max(floor).log10();
        if v.is_finite() { v } else { 0.0 }
    };
    let mut out = Vec::with_capacity(power.len());
    let mut prev = 0.0;
    for (i, &p) in power.iter().enumerate() {
        let d = db(p);
        out.push(if i == 0 { 0.0 } else { (d - prev).max(0.0) });
        prev = d;
    }
    out
}
