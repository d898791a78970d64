//! The parameter strip of the selection panel: each parameter that varies over
//! output time (`plan.values`, one value per hop), normalised to its own
//! min..max over the run (alpha on a log scale), reduced to one vertical
//! extent per pixel column.
//!
//! The strip shares the selection panel's x axis (hop `h` spans `h .. h + 1`),
//! so a curve sits exactly above the hops that used its values: alpha falling
//! and the selection narrowing line up column by column.

use plotters::style::RGBColor;

use crate::colour::param_colour;
use crate::geom::Axes;

/// One varying parameter, as the strip shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamCurve {
    /// The parameter's id in gar-core's table (`alpha`, `grain_ms`, ...).
    pub id: &'static str,
    /// Its colour in the strip and the legend.
    pub colour: RGBColor,
    /// Smallest and largest value over the run (the strip's bottom and top).
    pub min: f64,
    pub max: f64,
    /// Value at the first and at the last hop.
    pub first: f64,
    pub last: f64,
    /// Drawn on a log scale (alpha, which spans decades).
    pub log: bool,
    /// The legend text, e.g. `alpha 25 → 2 (log)` or `wet 0..100 %`.
    pub label: String,
}

impl ParamCurve {
    /// Position of `v` between the run's min (0) and max (1).
    pub fn norm(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.ln() - self.min.ln()) / (self.max.ln() - self.min.ln())
        } else {
            (v - self.min) / (self.max - self.min)
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// Whether `lo .. hi` is a real range (not a constant up to rounding).
fn spans(lo: f64, hi: f64) -> bool {
    hi > lo && hi - lo > 1e-9 * lo.abs().max(hi.abs()).max(1e-12)
}

/// The curves of every parameter of `plan.values` whose values actually
/// change over the run, in the plan's (the table's) order. Values that are
/// not finite are ignored; a parameter with a constant or empty series is left
/// out, so that a run where nothing varies draws no strip at all.
pub fn param_curves(plan: &gar_core::Plan) -> Vec<ParamCurve> {
    let hops = plan.hops();
    plan.values
        .iter()
        .filter(|v| v.values.len() == hops && hops > 0)
        .filter_map(|v| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &x in v.values.iter().filter(|x| x.is_finite()) {
                lo = lo.min(x);
                hi = hi.max(x);
            }
            if !spans(lo, hi) {
                return None;
            }
            let finite = |it: &mut dyn Iterator<Item = &f64>| it.copied().find(|x| x.is_finite());
            let first = finite(&mut v.values.iter()).unwrap_or(lo);
            let last = finite(&mut v.values.iter().rev()).unwrap_or(hi);
            let log = v.id == "alpha" && lo > 0.0;
            Some(ParamCurve {
                id: v.id,
                colour: param_colour(v.id),
                min: lo,
                max: hi,
                first,
                last,
                log,
                label: label(v.id, lo, hi, first, last, log),
            })
        })
        .collect()
}

/// The legend text of a curve: its name, its range and its unit. A curve that
/// runs from one extreme to the other reads `first → last` (`alpha 25 → 2`),
/// any other `min..max` (`wet 0..100 %`).
pub(crate) fn label(id: &str, min: f64, max: f64, first: f64, last: f64, log: bool) -> String {
    let unit = gar_core::table::find(id).map_or("", |s| s.unit);
    let name = display_name(id, unit);
    let same = |a: f64, b: f64| sig3(a) == sig3(b);
    let ends = (same(first, min) && same(last, max)) || (same(first, max) && same(last, min));
    let range = if ends {
        format!("{} \u{2192} {}", sig3(first), sig3(last))
    } else {
        format!("{}..{}", sig3(min), sig3(max))
    };
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let log = if log { " (log)" } else { "" };
    format!("{name} {range}{unit}{log}")
}

/// A parameter's id as a legend writes it: without its unit suffix, with
/// spaces (`grain_ms` → `grain`, `pitch_jitter_st` → `pitch jitter`).
fn display_name(id: &str, unit: &str) -> String {
    let base = if unit.is_empty() {
        id
    } else {
        let suffix = format!("_{}", unit.to_ascii_lowercase());
        id.strip_suffix(suffix.as_str()).unwrap_or(id)
    };
    base.replace('_', " ")
}

/// At most three significant digits, no trailing zeros: `25`, `2.03`, `0.5`,
/// `1250`.
pub(crate) fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{}", if v == 0.0 { 0.0 } else { v });
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    let scale = 10f64.powi(mag - 2);
    let r = if mag > 2 {
        (v / scale).round() * scale
    } else {
        v
    };
    let s = format!("{r:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Per pixel column of `axes` (the selection axes: x = hop), the extent
/// `(lo, hi)` in [0, 1] of `curve` over the hops whose span `h .. h + 1`
/// meets the column (half a pixel either side of its centre), so that a step
/// between two hops joins the two levels. `None` where no hop (or no finite
/// value) falls. One pass over the hops plus one per column.
pub fn columns(curve: &ParamCurve, values: &[f64], axes: &Axes) -> Vec<Option<(f64, f64)>> {
    let hops = values.len();
    let x0 = axes.plot.x as f64;
    (0..axes.plot.w.max(0) as usize)
        .map(|c| {
            if hops == 0 {
                return None;
            }
            let px = x0 + c as f64;
            let a = axes.x_value(px - 0.5).floor().max(0.0);
            let b = axes.x_value(px + 0.5).floor().min((hops - 1) as f64);
            if a > b || a >= hops as f64 {
                return None;
            }
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &v in &values[a as usize..=b as usize] {
                if v.is_finite() {
                    let f = curve.norm(v);
                    lo = lo.min(f);
                    hi = hi.max(f);
                }
            }
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::Rect;
    use gar_core::plan::HopValues;

    fn plan(values: Vec<HopValues>, hops: usize) -> gar_core::Plan {
        gar_core::Plan {
            grain: vec![0; hops],
            pos_s: (0..hops).map(|h| h as f64 * 0.01).collect(),
            values,
            ..gar_core::Plan::default()
        }
    }

    fn axes(w: i32, hops: usize) -> Axes {
        Axes {
            plot: Rect {
                x: 40,
                y: 10,
                w,
                h: 100,
            },
            x: (0.0, hops as f64),
            y: (0.0, 10.0),
        }
    }

    #[test]
    fn curves_skip_constant_series_and_name_their_ranges() {
        let hops = 50;
        let alpha: Vec<f64> = (0..hops)
            .map(|h| 25.0 * (2.0f64 / 25.0).powf(h as f64 / 49.0))
            .collect();
        let wet: Vec<f64> = (0..hops)
            .map(|h| 50.0 + 50.0 * (h as f64 / 8.0).sin())
            .collect();
        let p = plan(
            vec![
                HopValues {
                    id: "grain_ms",
                    values: vec![80.0; hops],
                },
                HopValues {
                    id: "alpha",
                    values: alpha,
                },
                HopValues {
                    id: "time_jitter_ms",
                    values: vec![5.0 + 1e-13; hops],
                },
                HopValues {
                    id: "wet",
                    values: wet,
                },
            ],
            hops,
        );
        let c = param_curves(&p);
        let ids: Vec<&str> = c.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["alpha", "wet"]);
        assert_eq!(c[0].label, "alpha 25 \u{2192} 2 (log)");
        assert!(c[0].log && !c[1].log);
        assert!(c[1].label.starts_with("wet ") && c[1].label.ends_with(" %"));
        assert!(c[1].label.contains(".."), "{}", c[1].label);
        assert_ne!(c[0].colour, c[1].colour);
        // Log scale: the geometric mean sits in the middle.
        assert!((c[0].norm((25.0f64 * 2.0).sqrt()) - 0.5).abs() < 1e-12);
        assert_eq!(c[0].norm(25.0), 1.0);
        assert_eq!(c[0].norm(2.0), 0.0);
        // Nothing varies: no curve.
        let flat = plan(
            vec![HopValues {
                id: "alpha",
                values: vec![8.0; hops],
            }],
            hops,
        );
        assert!(param_curves(&flat).is_empty());
        assert!(param_curves(&plan(Vec::new(), hops)).is_empty());
    }

    #[test]
    fn labels_and_numbers() {
        assert_eq!(
            label("grain_ms", 20.0, 100.0, 100.0, 20.0, false),
            "grain 100 \u{2192} 20 ms"
        );
        assert_eq!(
            label("floor_db", -6.0, 3.0, 0.0, 0.0, false),
            "floor -6..3 dB"
        );
        assert_eq!(
            label("pitch_jitter_st", 0.0, 0.5, 0.0, 0.5, false),
            "pitch jitter 0 \u{2192} 0.5 st"
        );
        assert_eq!(
            label("recency", 0.0, 1.0, 0.0, 1.0, false),
            "recency 0 \u{2192} 1"
        );
        for (v, s) in [
            (25.0, "25"),
            (2.0304, "2.03"),
            (0.5, "0.5"),
            (1234.0, "1230"),
            (-0.0001, "-0.0001"),
            (0.0, "0"),
            (99.96, "100"),
        ] {
            assert_eq!(sig3(v), s, "{v}");
        }
    }

    /// The per-column extents equal a naive reference: for each column, the
    /// hops whose span meets it, found by testing every hop.
    #[test]
    fn columns_match_a_naive_reference() {
        for (hops, w) in [(41usize, 705), (1201, 705), (40_000, 300), (3, 50), (1, 20)] {
            let values: Vec<f64> = (0..hops)
                .map(|h| 2.0 + ((h * 7919) % 97) as f64 / 10.0)
                .collect();
            let hv = HopValues {
                id: "alpha",
                values: values.clone(),
            };
            let p = plan(vec![hv], hops);
            let curves = param_curves(&p);
            let ax = axes(w, hops);
            if curves.is_empty() {
                assert_eq!(hops, 1);
                continue;
            }
            let cu = &curves[0];
            let cols = columns(cu, &values, &ax);
            assert_eq!(cols.len(), w as usize);
            let mut seen = vec![false; hops];
            for (c, col) in cols.iter().enumerate() {
                let px = ax.plot.x as f64 + c as f64;
                let (a, b) = (ax.x_value(px - 0.5), ax.x_value(px + 0.5));
                let hit: Vec<usize> = (0..hops)
                    .filter(|&h| (h as f64) <= b && (h + 1) as f64 > a)
                    .collect();
                match col {
                    None => assert!(hit.is_empty(), "{hops} {w} {c}"),
                    Some((lo, hi)) => {
                        let f: Vec<f64> = hit.iter().map(|&h| cu.norm(values[h])).collect();
                        assert_eq!(*lo, f.iter().copied().fold(f64::INFINITY, f64::min));
                        assert_eq!(*hi, f.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                        hit.iter().for_each(|&h| seen[h] = true);
                    }
                }
            }
            assert!(seen.iter().all(|&s| s), "{hops} {w}: a hop is in no column");
        }
    }
}
