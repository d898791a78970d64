//! A score as a weighted mix of drivers (docs/algorithm.md, section 15):
//! `rms:0.6, centroid:0.4`, `-flatness`, `rms:1..0, centroid:0..1`.

use super::driver::{Driver, Normalisation, driver_list};
use crate::envelope::Envelope;
use std::fmt;

/// One driver of a mix with its weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub driver: Driver,
    /// `-name`: low values are preferred (`1 - n_d`).
    pub invert: bool,
    /// The weight, >= 0; an envelope over output time (section 12).
    pub weight: Envelope,
}

/// A weighted mix of drivers. The weights are divided by their sum.
#[derive(Clone, Debug, PartialEq)]
pub struct Mix {
    pub terms: Vec<Term>,
}

impl Mix {
    /// Parses `name[:weight], ...`: a name is a driver's id, `-` before it
    /// prefers low values, a missing weight is 1, a weight is a number or an
    /// envelope (whose breakpoints may be separated by commas too: a piece
    /// that does not start with a letter, or `-` and a letter, belongs to
    /// the weight before it).
    pub fn parse(text: &str) -> Result<Mix, String> {
        let mut pieces: Vec<String> = Vec::new();
        for piece in text.split(',') {
            let p = piece.trim();
            let starts_name = {
                let mut c = p.chars();
                match c.next() {
                    Some(a) if a.is_ascii_alphabetic() => true,
                    Some('-' | '+') => c.next().is_some_and(|b| b.is_ascii_alphabetic()),
                    _ => false,
                }
            };
            match pieces.last_mut() {
                Some(last) if !starts_name => {
                    last.push_str(", ");
                    last.push_str(p);
                }
                _ => pieces.push(p.to_string()),
            }
        }
        let mut terms = Vec::new();
        for p in &pieces {
            let (name, weight) = match p.split_once(':') {
                Some((n, w)) => (n.trim(), Some(w.trim())),
                None => (p.as_str(), None),
            };
            let (invert, bare) = match name.strip_prefix('-') {
                Some(b) => (true, b.trim()),
                None => (false, name.strip_prefix('+').unwrap_or(name).trim()),
            };
            if bare.is_empty() {
                return Err(format!(
                    "expected a driver name in '{p}'; a mix looks like rms:0.6,centroid:0.4"
                ));
            }
            let Some(driver) = Driver::parse(bare) else {
                let hint = if bare.eq_ignore_ascii_case("mixed") {
                    " (mixed is rms:(1 - tw),onset:tw; write it that way inside a mix)"
                } else {
                    ""
                };
                return Err(format!(
                    "unknown driver '{bare}'{hint}; expected one of {}",
                    driver_list()
                ));
            };
            let weight = match weight {
                None => Envelope::constant(1.0),
                Some(w) => {
                    Envelope::parse(w).map_err(|e| format!("the weight of {}: {e}", driver.id()))?
                }
            };
            if let Some(bad) = weight.points().iter().find(|pt| pt.value < 0.0) {
                return Err(format!(
                    "the weight of {} must be >= 0, got {}; write -{} to prefer low values",
                    driver.id(),
                    bad.value,
                    driver.id()
                ));
            }
            terms.push(Term {
                driver,
                invert,
                weight,
            });
        }
        let mix = Mix { terms };
        if mix.weights_constant() && mix.terms.iter().all(|t| t.weight.max_value() == 0.0) {
            return Err("the weights sum to 0; give at least one weight > 0".into());
        }
        Ok(mix)
    }

    /// Whether every weight is a constant.
    pub fn weights_constant(&self) -> bool {
        self.terms.iter().all(|t| t.weight.is_constant())
    }

    /// The drivers of the mix.
    pub fn drivers(&self) -> super::DriverSet {
        self.terms.iter().map(|t| t.driver).collect()
    }

    /// The weights divided by their sum, from raw weights `w` (one per
    /// term); equal weights when they sum to 0 (only possible where
    /// envelopes meet 0 together).
    pub fn normalised_weights(w: &[f64]) -> Vec<f64> {
        let sum: f64 = w.iter().sum();
        if sum > 0.0 {
            w.iter().map(|x| x / sum).collect()
        } else {
            vec![1.0 / w.len().max(1) as f64; w.len()]
        }
    }
}

impl fmt::Display for Mix {
    /// The canonical text: `rms:0.6, centroid:0.4`, a weight of 1 left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if t.invert {
                f.write_str("-")?;
            }
            f.write_str(t.driver.id())?;
            if t.weight.constant_value() != Some(1.0) {
                write!(f, ":{}", t.weight)?;
            }
        }
        Ok(())
    }
}

/// A driver's values brought to [0, 1] over all candidates (section 15):
/// the power drivers divided by their maximum (floored at 1e-30, exactly as
/// section 4 does), the others from their minimum (0) to their maximum (1),
/// all 0 when those are equal.
pub fn normalise(driver: Driver, raw: &[f64]) -> Vec<f64> {
    match driver.normalisation() {
        Normalisation::Max => {
            let max = raw.iter().cloned().fold(0.0, f64::max).max(1e-30);
            raw.iter().map(|v| v / max).collect()
        }
        Normalisation::Range => {
            let lo = raw.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = raw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if hi > lo {
                let span = hi - lo;
                raw.iter().map(|v| (v - lo) / span).collect()
            } else {
                vec![0.0; raw.len()]
            }
        }
    }
}

/// The mixed score `S_i = sum_t w_t v_t(i)`, where `w` are the normalised
/// weights and `v_t` the term's normalised values (`1 - n` for an inverted
/// term), summed in the order of the terms.
pub fn combine(weights: &[f64], terms: &[(bool, &[f64])], n: usize) -> Vec<f64> {
    let mut s = vec![0.0; n];
    for (&w, &(invert, v)) in weights.iter().zip(terms) {
        for (o, &x) in s.iter_mut().zip(v) {
            *o += w * if invert { 1.0 - x } else { x };
        }
    }
    s
}

impl serde::Serialize for Mix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Mix {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mix, D::Error> {
        let t = <String as serde::Deserialize>::deserialize(d)?;
        Mix::parse(&t).map_err(serde::de::Error::custom)
    }
}
