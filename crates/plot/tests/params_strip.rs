//! Parameters over time (issue 10): the strip in the selection panel. A run
//! where nothing varies draws exactly what it drew before; a run whose alpha
//! varies adds its curve in the selection panel and nowhere else, normalised
//! to its own range on a log scale, one extent per pixel column.

mod common;

use common::*;
use gar_core::plan::HopValues;
use gar_plot::{
    FigureAxes, Panel, PlotInput, figure_axes, param_colour, param_curves, render_png, render_svg,
    score_colour,
};

const W: u32 = 1600;
const H: u32 = 1000;

fn cleared(run: &Run) -> gar_core::Prepared {
    let mut p = run.prepared.clone();
    p.plan.values.clear();
    p
}

#[test]
fn constant_runs_draw_no_strip_and_the_same_bytes() {
    for run in [burst_run(), varying_run(&[])] {
        let chans: Vec<&[f32]> = vec![&run.x];
        assert!(run.prepared.plan.values.is_empty(), "nothing varies");
        for rendered in [true, false] {
            let inp = run.input(&chans, rendered);
            let png = render_png(&inp, W, H).unwrap();
            assert!(figure_axes(&inp, W, H).params.is_none());
            // Cleared values (the picture before parameters over time) ...
            let c = cleared(&run);
            let inp_c = PlotInput {
                prepared: &c,
                ..inp
            };
            assert_eq!(render_png(&inp_c, W, H).unwrap(), png);
            // ... and a recorded but constant series: no strip, same bytes.
            let mut flat = run.prepared.clone();
            let hops = flat.plan.hops();
            flat.plan.values = vec![
                HopValues {
                    id: "alpha",
                    values: vec![run.prepared.settings.alpha; hops],
                },
                HopValues {
                    id: "time_jitter_ms",
                    values: vec![3.0; hops],
                },
            ];
            let inp_f = PlotInput {
                prepared: &flat,
                ..inp
            };
            assert!(figure_axes(&inp_f, W, H).params.is_none());
            assert_eq!(render_png(&inp_f, W, H).unwrap(), png);
            assert_eq!(
                render_svg(&inp_f, W, H).unwrap(),
                render_svg(&inp, W, H).unwrap()
            );
        }
    }
}

/// Rows of the band where column `x` shows colour `c`.
fn rows_of(img: &Image, fa: &FigureAxes, x: i32, c: [u8; 3]) -> Vec<i32> {
    let b = fa.params.unwrap().band;
    (b.y..b.bottom())
        .filter(|&y| dist(img.at(x, y), c) < 30)
        .collect()
}

#[test]
fn varying_alpha_changes_the_selection_panel_only() {
    let run = varying_run(&[("alpha", "25..2")]);
    let p = &run.prepared;
    let alpha = p.plan.values_of("alpha").expect("alpha varies");
    assert_eq!(alpha.len(), p.plan.hops());
    let chans: Vec<&[f32]> = vec![&run.x];
    let c = cleared(&run);
    for rendered in [true, false] {
        let inp = run.input(&chans, rendered);
        let inp_c = PlotInput {
            prepared: &c,
            ..inp
        };
        let fa = figure_axes(&inp, W, H);
        let fa_c = figure_axes(&inp_c, W, H);
        let st = fa.params.expect("a strip");
        assert!(fa_c.params.is_none());
        assert_eq!((st.curves, st.named, st.rows), (1, 1, 1));
        // The strip and the grains share the selection plotting area of a
        // constant run, strip on top.
        let (sel, old) = (fa.selection.plot, fa_c.selection.plot);
        assert_eq!((sel.x, sel.w, sel.bottom()), (old.x, old.w, old.bottom()));
        assert!(st.legend.y == old.y && st.band.bottom() < sel.y && sel.h > old.h / 2);
        assert_eq!((st.band.x, st.band.w), (old.x, old.w));

        let img = Image::decode(&render_png(&inp, W, H).unwrap());
        let img_c = Image::decode(&render_png(&inp_c, W, H).unwrap());
        let frame = fa.layout.panel(Panel::Selection).frame;
        let mut changed = 0;
        for y in 0..H as i32 {
            for x in 0..W as i32 {
                if img.at(x, y) != img_c.at(x, y) {
                    assert!(
                        frame.contains(x, y),
                        "({x}, {y}) changed outside the selection panel {frame:?}"
                    );
                    changed += 1;
                }
            }
        }
        assert!(changed > 2000, "{changed} pixels changed");

        // The grains are drawn on the new axes: every hop's cell in its
        // grain's row, in its score's colour.
        let smax = p.analysis.score.iter().copied().fold(0.0, f64::max);
        for (hop, &g) in p.plan.grain.iter().enumerate() {
            let g = g as usize;
            let (x, y) = fa.selection.px(hop as f64 + 0.5, g as f64 + 0.5);
            assert_eq!(
                img.at(x, y),
                rgb(score_colour(p.analysis.score[g] / smax)),
                "hop {hop}, grain {g}"
            );
        }

        // The alpha curve: max (25) at the band's top at the first hop, min
        // (2) at its bottom at the last, falling in between ...
        let red = rgb(param_colour("alpha"));
        let b = st.band;
        let t = fa.layout.px(2.0);
        let col = |hop: usize| fa.selection.x_px(hop as f64 + 0.5).round() as i32;
        let first = rows_of(&img, &fa, col(0), red);
        let last = rows_of(&img, &fa, col(alpha.len() - 1), red);
        assert_eq!(first.first(), Some(&b.y), "{first:?}");
        assert_eq!(last.last(), Some(&(b.bottom() - 1)), "{last:?}");
        let mut prev = b.y;
        for hop in (0..alpha.len()).step_by(5) {
            let rows = rows_of(&img, &fa, col(hop), red);
            assert!(!rows.is_empty(), "hop {hop}: no curve");
            assert!(rows[0] >= prev - 1, "hop {hop}: the curve rises");
            prev = rows[0];
            assert!(rows.len() as i32 <= t + 2, "hop {hop}: {rows:?}");
        }
        // ... on a log scale: the geometric mean of 25 and 2 is mid-band
        // (a linear scale would put it at 22 % of the height).
        let mid = (25.0f64 * 2.0).sqrt();
        let hop = (0..alpha.len())
            .min_by(|&a, &b| (alpha[a] - mid).abs().total_cmp(&(alpha[b] - mid).abs()))
            .unwrap();
        let rows = rows_of(&img, &fa, col(hop), red);
        let centre = (b.y + b.bottom() - 1) as f64 / 2.0;
        assert!(
            rows.iter().any(|&y| (y as f64 - centre).abs() <= 2.0),
            "alpha {} at hop {hop}: rows {rows:?}, band centre {centre}",
            alpha[hop]
        );
        // Nothing of the curve's colour above or below the band.
        for x in b.x..b.right() {
            for y in
                (fa.layout.panel(Panel::Selection).plot.y..b.y - 1).chain(b.bottom() + 1..sel.y)
            {
                let legend_key = st.legend.contains(x, y) && x < st.legend.x + fa.layout.px(20.0);
                assert!(
                    legend_key || dist(img.at(x, y), red) >= 30,
                    "curve colour at ({x}, {y}) outside the band"
                );
            }
        }
    }
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn legend_stats_and_title_name_what_varies() {
    let run = varying_run(&[("alpha", "25..2")]);
    let chans: Vec<&[f32]> = vec![&run.x];
    let t = texts(&render_svg(&run.input(&chans, true), W, H).unwrap());
    let has = |s: &str| t.iter().any(|x| x.contains(s));
    assert!(has("alpha 25 \u{2192} 2 (log)"), "{t:?}");
    let title = t.iter().find(|x| x.starts_with("gar")).unwrap();
    assert!(title.contains("alpha 25..2"), "{title}");
    assert!(t.iter().any(|x| x.starts_with("25..2")), "stats row: {t:?}");
    assert!(has("max") && has("min"));

    let run = varying_run(&[
        ("alpha", "2..25"),
        ("grain_ms", "40..120"),
        ("wet", "0:100, 0.5:20, 1:100"),
        ("pitch_st", "0..-5"),
    ]);
    let chans: Vec<&[f32]> = vec![&run.x];
    let ids: Vec<&str> = param_curves(&run.prepared.plan)
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["grain_ms", "alpha", "pitch_st", "wet"]);
    let t = texts(&render_svg(&run.input(&chans, true), W, H).unwrap());
    let has = |s: &str| t.iter().any(|x| x.contains(s));
    for s in [
        "grain 40 \u{2192} 120 ms",
        "alpha 2 \u{2192} 25 (log)",
        "pitch 0 \u{2192} -5 st",
        "wet 20..100 %",
        // A varying parameter with no fixed row of its own gets one.
        "0..-5 st",
    ] {
        assert!(has(s), "{s:?} missing: {t:?}");
    }
    assert!(t.iter().any(|x| x == "pitch_st"), "{t:?}");

    // Alpha solved from a varying diversity: the strip draws the solved alpha.
    let run = varying_run(&[("diversity", "60..5")]);
    let chans: Vec<&[f32]> = vec![&run.x];
    assert!(!run.prepared.diversity.is_empty());
    let t = texts(&render_svg(&run.input(&chans, true), W, H).unwrap());
    let has = |s: &str| t.iter().any(|x| x.contains(s));
    assert!(has("solved for diversity 60..5 %"), "{t:?}");
    assert!(
        t.iter()
            .any(|x| x.starts_with("alpha ") && x.ends_with("(log)"))
    );

    // A constant run names nothing over time.
    let run = burst_run();
    let chans: Vec<&[f32]> = vec![&run.x];
    let t = texts(&render_svg(&run.input(&chans, true), W, H).unwrap());
    assert!(
        !t.iter()
            .any(|x| x.contains('\u{2192}') || x.contains("over output time"))
    );
    assert!(!t.iter().any(|x| x == "max" || x == "min"));
}

/// More hops than pixel columns: the strip is one extent per column (the
/// SVG holds at most one rectangle per column for the curve), and each
/// column's extent spans the values of the hops in it.
#[test]
fn dense_strip_is_reduced_per_pixel_column() {
    let mut x = hiss(6.0);
    add_burst(&mut x, 1.0, 1.05, 0.9);
    add_burst(&mut x, 2.5, 2.55, 0.6);
    let params = gar_core::Params {
        grain_ms: gar_core::Envelope::from(20.0),
        cand_hop_ms: 5.0,
        hop_ms: gar_core::Envelope::from(5.0),
        alpha: gar_core::Envelope::parse("0:2, 0.5:30, 1:2").unwrap(),
        floor_db: gar_core::Envelope::from(6.0),
        ..gar_core::Params::default()
    };
    let run = Run::new(x, &params, gar_core::Preset::Custom, 5);
    let p = &run.prepared;
    let chans: Vec<&[f32]> = vec![&run.x];
    let inp = run.input(&chans, true);
    let fa = figure_axes(&inp, W, H);
    assert!(fa.selection_raster && p.plan.hops() > fa.selection.plot.w as usize);
    let st = fa.params.expect("a strip");
    let b = st.band;
    let alpha = p.plan.values_of("alpha").unwrap();
    let curve = &param_curves(&p.plan)[0];
    let img = Image::decode(&render_png(&inp, W, H).unwrap());
    let red = rgb(param_colour("alpha"));
    let t = fa.layout.px(2.0);
    let row = |f: f64| ((b.bottom() - 1) as f64 - f * (b.h - 1) as f64).round() as i32;
    for c in 0..b.w {
        let x = b.x + c;
        // The hops whose span h .. h + 1 meets the column.
        let (lo, hi) = (
            fa.selection.x_value(x as f64 - 0.5),
            fa.selection.x_value(x as f64 + 0.5),
        );
        let f: Vec<f64> = (0..alpha.len())
            .filter(|&h| h as f64 <= hi && (h + 1) as f64 > lo)
            .map(|h| curve.norm(alpha[h]))
            .collect();
        let rows = rows_of(&img, &fa, x, red);
        if f.is_empty() {
            assert!(rows.is_empty(), "column {c}");
            continue;
        }
        let fmax = f.iter().copied().fold(0.0, f64::max);
        let fmin = f.iter().copied().fold(1.0, f64::min);
        let (top, bot) = (row(fmax) - (t - 1) / 2, row(fmin) - (t - 1) / 2 + t - 1);
        assert_eq!(
            (rows.first().copied(), rows.last().copied()),
            (Some(top.max(b.y)), Some(bot.min(b.bottom() - 1))),
            "column {c}"
        );
        assert_eq!(rows.len() as i32, rows.last().unwrap() - rows[0] + 1);
    }
    let svg = render_svg(&inp, W, H).unwrap();
    let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", red[0], red[1], red[2]);
    let rects = svg.matches(&fill).count();
    assert!(
        rects <= b.w as usize + 1,
        "{rects} rectangles for {} columns",
        b.w
    );
}

/// Small pictures keep a usable strip or none, never an overlap.
#[test]
fn strip_fits_small_and_large_pictures() {
    let run = varying_run(&[
        ("alpha", "2..25"),
        ("grain_ms", "40..120"),
        ("wet", "0:100, 0.5:20, 1:100"),
        ("pitch_st", "0..-5"),
        ("recency", "0..1"),
        ("floor_db", "0..6"),
    ]);
    let chans: Vec<&[f32]> = vec![&run.x];
    for (w, h) in [
        (320, 320),
        (800, 600),
        (1600, 1000),
        (4000, 2500),
        (10_000, 320),
    ] {
        let inp = run.input(&chans, true);
        let fa = figure_axes(&inp, w, h);
        let png = render_png(&inp, w, h).unwrap();
        assert_eq!(Image::decode(&png).w, w);
        let plot = fa.layout.panel(Panel::Selection).plot;
        if let Some(st) = fa.params {
            assert!(st.named >= 1 && st.named <= st.curves && st.curves == 6);
            assert!(st.legend.y == plot.y && st.legend.bottom() < st.band.y);
            assert!(st.band.bottom() < fa.selection.plot.y);
            assert_eq!(fa.selection.plot.bottom(), plot.bottom());
            assert!(fa.selection.plot.h >= 20);
        } else {
            assert_eq!(fa.selection.plot, plot, "{w}x{h}");
        }
        if (w, h) == (1600, 1000) {
            let st = fa.params.expect("a strip at the default size");
            assert_eq!(st.named, 6, "every curve named at the default size");
        }
    }
}
