//! The picture: it decodes, it parses, it names what it shows, and each drawn
//! element sits at the pixel that the public layout says, on inputs whose
//! answer is known.

mod common;

use common::*;
use gar_core::{Params, Preset};
use gar_plot::{
    BLUE, DEFAULT_SIZE, GREY_BAR, MEAN_LINE, ORANGE, Panel, PlotError, PlotFormat, SCORE_END,
    USAGE_BAR, figure_axes, render, render_png, render_svg, score_colour,
};

#[test]
fn png_decodes_at_the_requested_size() {
    let run = burst_run();
    let chans: Vec<&[f32]> = vec![&run.x];
    for (w, h) in [
        DEFAULT_SIZE,
        (800, 600),
        (320, 320),
        (2400, 700),
        (500, 1400),
    ] {
        for rendered in [true, false] {
            let png = render_png(&run.input(&chans, rendered), w, h).unwrap();
            let img = Image::decode(&png);
            assert_eq!((img.w, img.h), (w, h));
            // Not blank: some ink and some paper.
            assert!(img.rgb.iter().any(|&v| v < 100));
            assert!(
                img.rgb.chunks(3).filter(|p| p == &[255, 255, 255]).count() > (w * h / 4) as usize
            );
        }
    }
    let bytes = render(&run.input(&chans, true), PlotFormat::Png, 640, 400).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn svg_is_well_formed_and_names_the_panels_and_the_run() {
    let run = burst_run();
    let chans: Vec<&[f32]> = vec![&run.x];
    let svg = render_svg(&run.input(&chans, true), 1600, 1000).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().attribute("width"), Some("1600"));
    assert_eq!(doc.root_element().attribute("height"), Some("1000"));
    let texts = svg_texts(&svg);
    let has = |s: &str| texts.iter().any(|t| t.contains(s));
    for panel in [
        "Input waveform",
        "Output waveform",
        "Score landscape",
        "Selection sequence",
        "Usage histogram",
        "Statistics",
    ] {
        assert!(has(panel), "panel title {panel:?} missing from {texts:?}");
    }
    let n = run.prepared.analysis.len();
    let title = texts
        .iter()
        .find(|t| t.starts_with("gar"))
        .expect("title line");
    for part in [
        "Custom".to_string(),
        "burst.wav".into(),
        "alpha 8".into(),
        "floor 0 dB".into(),
        "grain 100 ms".into(),
        "hop 50 ms".into(),
        format!("{} / {n} grains used", run.report.usage.unique),
    ] {
        assert!(title.contains(&part), "title {title:?} lacks {part:?}");
    }
    // Legends and stats.
    for s in [
        "raw score",
        "prob (scaled to max)",
        "chosen (size = uses)",
        "uniform mean H/N",
        "top grain",
        "effective grains",
        "unique used",
    ] {
        assert!(has(s), "{s:?} missing");
    }
    let top = &run.report.usage.most_used;
    assert!(has(&format!(
        "#{} at {:.3} s, used {}x",
        top.index, top.start_s, top.count
    )));

    // Not rendered: panel 2 shows the plan and says so.
    let svg = render_svg(&run.input(&chans, false), 1600, 1000).unwrap();
    let texts = svg_texts(&svg);
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Plan:") && t.contains("not rendered"))
    );
    assert!(!texts.iter().any(|t| t.contains("Output waveform")));
    // Same bytes as `render`.
    let via = render(&run.input(&chans, false), PlotFormat::Svg, 1600, 1000).unwrap();
    assert_eq!(via, svg.into_bytes());
}

#[test]
fn png_and_svg_draw_the_same_elements() {
    // The SVG's filled rectangles are the PNG's rectangles: count the score
    // bars (grey) in the SVG and compare with the candidates.
    let run = burst_run();
    let chans: Vec<&[f32]> = vec![&run.x];
    let svg = render_svg(&run.input(&chans, true), 1600, 1000).unwrap();
    let grey = format!(
        "fill=\"#{:02X}{:02X}{:02X}\"",
        GREY_BAR.0, GREY_BAR.1, GREY_BAR.2
    );
    let bars = svg.matches(&grey).count();
    // One bar per candidate, plus the legend swatch.
    assert_eq!(bars, run.prepared.analysis.len() + 1, "{grey}");
}

#[test]
fn geometry_of_the_burst_picture() {
    let run = burst_run();
    let p = &run.prepared;
    assert_eq!(p.analysis.len(), 39);
    assert_eq!(p.plan.hops(), 41);
    let best = (0..39)
        .max_by(|&a, &b| p.analysis.score[a].total_cmp(&p.analysis.score[b]))
        .unwrap();
    assert_eq!(best, 20, "the burst's candidate scores highest");
    let chans: Vec<&[f32]> = vec![&run.x];
    let inp = run.input(&chans, true);
    let (w, h) = DEFAULT_SIZE;
    let img = Image::decode(&render_png(&inp, w, h).unwrap());
    let fa = figure_axes(&inp, w, h);
    assert!(!fa.scores_aggregated && !fa.selection_raster && !fa.usage_aggregated);
    let sr = p.settings.sample_rate as f64;
    let start_s = |i: usize| p.analysis.start[i] as f64 / sr;

    // Score panel: the floor is a dotted orange line at its row.
    let ax = fa.scores;
    let pl = ax.plot;
    let orange_in_rows = |y0: i32, y1: i32| {
        (pl.x..pl.right())
            .filter(|&x| (y0..=y1).any(|y| dist(img.at(x, y), rgb(ORANGE)) < 30))
            .count() as f64
            / pl.w as f64
    };
    let fy = ax.y_px(p.attention.floor_value).round() as i32;
    assert!(
        orange_in_rows(fy - 1, fy + 1) > 0.35,
        "dotted floor line at row {fy}"
    );
    assert!(orange_in_rows(fy - 7, fy - 5) < 0.05);
    assert!(orange_in_rows(fy + 5, fy + 7) < 0.05);

    // The tallest grey bar: candidate 20's span, top at the score's row.
    let (x0, x1) = (
        ax.x_px(start_s(best)).round() as i32,
        ax.x_px(start_s(best) + fa.bar_s).round() as i32,
    );
    let mut top = (i32::MAX, 0);
    for x in pl.x..pl.right() {
        let first = (pl.y..pl.bottom()).find(|&y| img.at(x, y) == rgb(GREY_BAR));
        if let Some(y) = first.filter(|&y| y < top.0) {
            top = (y, x);
        }
    }
    let want = ax.row(p.analysis.score[best]);
    assert!(
        (top.0 - want).abs() <= 2,
        "tallest bar top at row {}, want {want}",
        top.0
    );
    assert!(
        top.1 >= x0 - 1 && top.1 <= x1,
        "tallest bar at column {}, want {x0}..{x1}",
        top.1
    );
    // The bar is there down to the baseline (left edge column, below the
    // circle; the probability line and the floor may cross it).
    for y in (want + fa.layout.circle_r_max as i32 + 3)..(pl.bottom() - 1) {
        let c = img.at(x0, y);
        assert!(
            c != [255, 255, 255] && c != [228, 228, 228],
            "({x0}, {y}): {c:?}"
        );
    }

    // The most-used grain's circle: the biggest one, centred on its bar top.
    let top_grain = run.report.usage.most_used.index;
    assert_eq!(top_grain, best);
    let cx = ax.x_px(fa.bar_centre_s(start_s(top_grain))).round() as i32;
    let cy = ax.row(p.analysis.score[top_grain]);
    let r = fa.layout.circle_r_max.round() as i32;
    // Its ring (2 px stroke, radius r) ends r + 1 px from the centre in each
    // direction: find the outermost orange pixel along each axis.
    let is_orange = |x: i32, y: i32| dist(img.at(x, y), rgb(ORANGE)) < 40;
    for (dx, dy) in [(0, -1), (0, 1), (-1, 0), (1, 0)] {
        let outer = (2..=r + 6)
            .filter(|&k| is_orange(cx + k * dx, cy + k * dy))
            .max()
            .unwrap_or(0);
        assert!(
            (outer - (r + 1)).abs() <= 1,
            "circle ring in direction ({dx}, {dy}) ends {outer} px from the centre, want {}",
            r + 1
        );
    }
    // The blue probability line peaks at the best candidate (probability max).
    assert!(
        (cy - 3..=cy + 3).any(|y| dist(img.at(cx, y), rgb(BLUE)) < 40)
            || (cy - 3..=cy + 3).any(|y| dist(img.at(cx + 1, y), rgb(BLUE)) < 40),
        "probability line at its maximum"
    );

    // Selection: every hop is a cell at its grain's row, in its score's colour.
    let sa = fa.selection;
    let smax = p.analysis.score.iter().copied().fold(0.0, f64::max);
    let mut rows_used = std::collections::BTreeSet::new();
    for (hop, &g) in p.plan.grain.iter().enumerate() {
        let g = g as usize;
        rows_used.insert(g);
        let (x, y) = sa.px(hop as f64 + 0.5, g as f64 + 0.5);
        assert_eq!(
            img.at(x, y),
            rgb(score_colour(p.analysis.score[g] / smax)),
            "hop {hop}, grain {g}"
        );
        // No cell at a grain that was not chosen at this hop (5 grains away).
        let other = if g >= 10 { g - 5 } else { g + 5 };
        let (_, yo) = sa.px(hop as f64 + 0.5, other as f64 + 0.5);
        assert!(
            !chromatic(img.at(x, yo)),
            "hop {hop}: stray cell at grain {other}"
        );
    }
    assert!(
        rows_used.iter().all(|g| (19..=21).contains(g)),
        "{rows_used:?}"
    );

    // Usage histogram: the most-used grain's bar reaches its count.
    let ua = fa.usage;
    let count = run.report.usage.most_used.count as f64;
    let ux = ua.x_px(top_grain as f64 + 0.5).round() as i32;
    let uy = ua.row(count);
    assert_eq!(img.at(ux, uy + 2), rgb(USAGE_BAR), "usage bar body");
    assert_ne!(
        img.at(ux, uy - 3),
        rgb(USAGE_BAR),
        "usage bar ends at its count"
    );
    // ... and the dashed uniform mean line sits at H / N.
    let my = ua.y_px(41.0 / 39.0).round() as i32;
    let dark = (ua.plot.x..ua.plot.right())
        .filter(|&x| (my - 1..=my + 1).any(|y| img.at(x, y) == rgb(MEAN_LINE)))
        .count();
    assert!(
        dark as f64 > 0.4 * ua.plot.w as f64,
        "dashed mean line at row {my}"
    );

    // Waveforms: ink where the burst is, none in the near-silence.
    let ia = fa.input;
    let (bx, quiet_x) = (ia.col(1.05), ia.col(0.5));
    assert!(chromatic(img.at(bx, ia.row(0.5))), "input burst");
    assert!(!chromatic(img.at(quiet_x, ia.row(0.5))), "input silence");
    let oa = fa.output;
    let inked = (oa.plot.x..oa.plot.right())
        .filter(|&x| chromatic(img.at(x, oa.row(0.5))))
        .count();
    assert!(
        inked > oa.plot.w as usize / 2,
        "output: the burst repeats all along"
    );
}

/// 6 s, three bursts (loud, medium, soft), 5 ms candidate hop and 5 ms hop:
/// 1197 candidates and 1201 hops, more than the panels' pixel columns.
fn dense_run() -> Run {
    let mut x = hiss(6.0);
    add_burst(&mut x, 1.0, 1.05, 0.9);
    add_burst(&mut x, 2.5, 2.55, 0.6);
    add_burst(&mut x, 4.0, 4.05, 0.3);
    let params = Params {
        grain_ms: gar_core::Envelope::from(20.0),
        cand_hop_ms: 5.0,
        hop_ms: gar_core::Envelope::from(5.0),
        time_jitter_ms: gar_core::Envelope::from(0.0),
        alpha: gar_core::Envelope::from(4.0),
        floor_db: gar_core::Envelope::from(13.0),
        ..Params::default()
    };
    Run::new(x, &params, Preset::Custom, 11)
}

#[test]
fn dense_run_uses_the_density_raster_and_column_maxima() {
    let run = dense_run();
    let p = &run.prepared;
    let chans: Vec<&[f32]> = vec![&run.x];
    let (w, h) = DEFAULT_SIZE;
    for rendered in [true, false] {
        let inp = run.input(&chans, rendered);
        let fa = figure_axes(&inp, w, h);
        assert!(p.analysis.len() > fa.scores.plot.w as usize);
        assert!(p.plan.hops() > fa.selection.plot.w as usize);
        assert!(fa.scores_aggregated && fa.usage_aggregated && fa.selection_raster);
        let img = Image::decode(&render_png(&inp, w, h).unwrap());

        // Selection raster: every hop's pixel is coloured ...
        let sa = fa.selection;
        let mut chosen_rows = std::collections::BTreeSet::new();
        for (hop, &g) in p.plan.grain.iter().enumerate() {
            let (x, y) = sa.px(hop as f64 + 0.5, g as f64 + 0.5);
            chosen_rows.insert(y);
            assert!(chromatic(img.at(x, y)), "hop {hop} grain {g} at ({x}, {y})");
        }
        // ... and rows far from every chosen grain stay empty.
        let mut empty_rows = 0;
        for y in sa.plot.y..sa.plot.bottom() {
            if chosen_rows.iter().all(|&r| (r - y).abs() > 4) {
                empty_rows += 1;
                for x in sa.plot.x..sa.plot.right() {
                    assert!(!chromatic(img.at(x, y)), "stray raster pixel at ({x}, {y})");
                }
            }
        }
        assert!(empty_rows > sa.plot.h / 2);

        // Score bars: per pixel column, the maximum score of its candidates.
        let ax = fa.scores;
        let sr = p.settings.sample_rate as f64;
        let mut colmax = vec![f64::NEG_INFINITY; ax.plot.w as usize];
        for i in 0..p.analysis.len() {
            let c = (ax.col(p.analysis.start[i] as f64 / sr) - ax.plot.x) as usize;
            colmax[c] = colmax[c].max(p.analysis.score[i]);
        }
        let mut soft_checked = 0;
        for (c, &m) in colmax.iter().enumerate() {
            let x = ax.plot.x + c as i32;
            let top = (ax.plot.y..ax.plot.bottom()).find(|&y| img.at(x, y) == rgb(GREY_BAR));
            if let Some(top) = top {
                assert!(top >= ax.row(m) - 1, "column {c}: bar above its maximum");
            }
            // The soft burst is below the floor: no probability, no circle over
            // its bars, which must reach exactly their column maximum.
            let t = ax.x_value(x as f64);
            if (3.99..4.06).contains(&t) && m > 0.05 {
                assert!(m < p.attention.floor_value);
                assert_eq!(top, Some(ax.row(m)), "soft-burst column {c}");
                soft_checked += 1;
            }
        }
        assert!(soft_checked >= 3, "{soft_checked}");
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let run = burst_run();
    let other = dense_run();
    let chans: Vec<&[f32]> = vec![&run.x];
    let mut inp = run.input(&chans, true);
    let e = render_png(&inp, 100, 1000).unwrap_err();
    assert!(matches!(e, PlotError::SizeOutOfRange { .. }), "{e}");
    inp.report = &other.report;
    let e = render_png(&inp, 800, 600).unwrap_err();
    assert!(matches!(e, PlotError::InvalidInput(_)), "{e}");
    assert!(e.to_string().contains("usage counts"), "{e}");
    let short = &run.x[..1000];
    let chans2: Vec<&[f32]> = vec![short];
    let inp = run.input(&chans2, true);
    let e = render_svg(&inp, 800, 600).unwrap_err();
    assert!(e.to_string().contains("frames"), "{e}");
}

#[test]
fn layout_panels_do_not_overlap_and_stay_inside() {
    for (w, h) in [
        DEFAULT_SIZE,
        (320, 320),
        (10_000, 10_000),
        (320, 10_000),
        (10_000, 320),
    ] {
        let l = gar_plot::layout(w, h);
        for p in Panel::ALL {
            let b = l.panel(p);
            assert!(b.plot.w > 0 && b.plot.h > 0);
            assert!(
                b.frame.x >= 0 && b.frame.right() <= w as i32,
                "{w}x{h} {p:?}"
            );
            assert!(
                b.frame.y >= 0 && b.frame.bottom() <= h as i32,
                "{w}x{h} {p:?}"
            );
            for q in Panel::ALL {
                if p != q {
                    let (a, c) = (b.frame, l.panel(q).frame);
                    let apart = a.right() <= c.x
                        || c.right() <= a.x
                        || a.bottom() <= c.y
                        || c.bottom() <= a.y;
                    assert!(apart, "{w}x{h}: {p:?} overlaps {q:?}");
                }
            }
        }
    }
}

/// Writes the test pictures to $GAR_PLOT_OUT (a folder) for a person to look at:
/// `GAR_PLOT_OUT=/tmp/garplots cargo test -p gar-plot --test picture -- --ignored`
#[test]
#[ignore]
fn write_test_pictures() {
    let dir =
        std::path::PathBuf::from(std::env::var("GAR_PLOT_OUT").unwrap_or("/tmp/garplots".into()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, run) in [
        ("test_burst", burst_run()),
        ("test_dense", dense_run()),
        ("test_varying_alpha", varying_run(&[("alpha", "25..2")])),
        (
            "test_varying_many",
            varying_run(&[
                ("alpha", "2..25"),
                ("grain_ms", "40..120"),
                ("wet", "0:100, 0.5:20, 1:100"),
                ("pitch_st", "0..-5"),
            ]),
        ),
        (
            "test_varying_diversity",
            varying_run(&[("diversity", "60..5")]),
        ),
    ] {
        let chans: Vec<&[f32]> = vec![&run.x];
        for (suffix, rendered) in [("", true), ("_analyze", false)] {
            let inp = run.input(&chans, rendered);
            let png = render_png(&inp, 1600, 1000).unwrap();
            std::fs::write(dir.join(format!("{name}{suffix}.png")), png).unwrap();
            let svg = render_svg(&inp, 1600, 1000).unwrap();
            std::fs::write(dir.join(format!("{name}{suffix}.svg")), svg).unwrap();
        }
    }
}

#[test]
fn score_panel_names_the_mix_and_draws_the_end_score_when_weights_vary() {
    // A static mix: the title gives each driver's share of the weight.
    let run = varying_run(&[("score", "rms:0.6,onset:0.4")]);
    let chans: Vec<&[f32]> = vec![&run.x];
    let texts = svg_texts(&render_svg(&run.input(&chans, true), 1600, 1000).unwrap());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Score landscape") && t.contains("(rms 60 % + onset 40 %)")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "raw score = rms:0.6, onset:0.4"));
    assert!(run.prepared.score_at(1.0).is_none());

    // From rms to -rms: at the end each candidate scores 1 - its score at
    // the start, so the end line is low over the bursts and high over the hiss.
    let run = varying_run(&[("score", "rms:1..0,-rms:0..1")]);
    let p = &run.prepared;
    let end = p.score_at(p.settings.duration_s).expect("weights vary");
    for (a, b) in p.analysis.score.iter().zip(&end) {
        assert!((a + b - 1.0).abs() < 1e-12, "{a} + {b}");
    }
    let chans: Vec<&[f32]> = vec![&run.x];
    let inp = run.input(&chans, true);
    let texts = svg_texts(&render_svg(&inp, 1600, 1000).unwrap());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("(rms 100\u{2192}0 % + -rms 0\u{2192}100 %)")),
        "{texts:?}"
    );
    for s in ["score at 0 s", "at the end", "prob at 0 s"] {
        assert!(texts.iter().any(|t| t == s), "{s:?} missing from {texts:?}");
    }
    let (w, h) = DEFAULT_SIZE;
    let img = Image::decode(&render_png(&inp, w, h).unwrap());
    let fa = figure_axes(&inp, w, h);
    assert!(!fa.scores_aggregated);
    let ax = fa.scores;
    let sr = p.settings.sample_rate as f64;
    let purple_near = |i: usize| {
        let x = ax
            .x_px(fa.bar_centre_s(p.analysis.start[i] as f64 / sr))
            .round() as i32;
        let y = ax.row(end[i]);
        (x - 1..=x + 1).any(|x| (y - 2..=y + 2).any(|y| dist(img.at(x, y), rgb(SCORE_END)) < 40))
    };
    // The loudest candidate (end score 0) and a quiet one in the first
    // tenth of the panel (end score near 1, left of the legend).
    let loud = (0..end.len())
        .min_by(|&a, &b| end[a].total_cmp(&end[b]))
        .unwrap();
    assert!(
        end[loud] < 1e-9 && purple_near(loud),
        "end line at the loudest grain"
    );
    let quiet = (0..end.len() / 10)
        .max_by(|&a, &b| end[a].total_cmp(&end[b]))
        .unwrap();
    assert!(
        end[quiet] > 0.9 && purple_near(quiet),
        "end line over the hiss"
    );
    // Without varying weights the panel has no end line.
    let run = varying_run(&[("score", "rms")]);
    let chans: Vec<&[f32]> = vec![&run.x];
    let inp = run.input(&chans, true);
    let img = Image::decode(&render_png(&inp, w, h).unwrap());
    let pl = figure_axes(&inp, w, h).scores.plot;
    let purple = (pl.x..pl.right())
        .flat_map(|x| (pl.y..pl.bottom()).map(move |y| (x, y)))
        .filter(|&(x, y)| dist(img.at(x, y), rgb(SCORE_END)) < 40)
        .count();
    assert_eq!(purple, 0);
}
