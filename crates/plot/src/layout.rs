//! Where everything goes: the panel rectangles of a picture of a given size
//! ([`layout`]) and, for a given run, the data range of each panel's axes
//! ([`figure_axes`]; the mapping from data to pixels is [`Axes`], in
//! `geom`). The drawing code places every element through these, so a test can
//! find each element at its pixel.

use crate::PlotInput;
use crate::data;
use crate::geom::{Axes, Rect};
use crate::strip::{self, ParamCurve};
use crate::text;

/// The six panels, numbered as in docs/algorithm.md, section 11 and laid out row by row,
/// two per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Input = 0,
    Output = 1,
    Scores = 2,
    Selection = 3,
    Usage = 4,
    Stats = 5,
}

impl Panel {
    pub const ALL: [Panel; 6] = [
        Panel::Input,
        Panel::Output,
        Panel::Scores,
        Panel::Selection,
        Panel::Usage,
        Panel::Stats,
    ];
}

/// One panel: its whole frame, the header strip (panel title and legend) at the
/// frame's top, and the plotting area (for the stats panel: the text area).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PanelBox {
    pub frame: Rect,
    pub header: Rect,
    pub plot: Rect,
}

/// Font sizes, pixels (plotters' size: the font's full height).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fonts {
    pub title: f64,
    pub panel: f64,
    pub axis: f64,
    pub tick: f64,
    pub legend: f64,
    pub stats: f64,
}

/// The geometry of a picture of a given size; independent of the data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    /// Size factor relative to the default 1600x1000 picture (fonts, strokes,
    /// margins), clamped to [0.5, 4].
    pub scale: f64,
    /// The title line's band.
    pub title: Rect,
    /// Indexed by [`Panel`] as usize.
    pub panels: [PanelBox; 6],
    pub fonts: Fonts,
    /// Radius of the usage circle of the most-used grain (or bin), pixels.
    pub circle_r_max: f64,
    /// Radius of the usage circle of a grain used once (relative to the most used).
    pub circle_r_min: f64,
}

impl Layout {
    pub fn panel(&self, p: Panel) -> &PanelBox {
        &self.panels[p as usize]
    }
    /// A length of `v` pixels at the default size, scaled to this picture.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }
}

/// Width of the label area left of a plotting area (tick labels and the
/// rotated axis description) at the default size, pixels.
pub(crate) const LEFT_LABELS: f64 = 68.0;

/// The panel rectangles of a `width` x `height` picture: a title band on top,
/// then three rows of two panels.
pub fn layout(width: u32, height: u32) -> Layout {
    let (wf, hf) = (width as f64, height as f64);
    let scale = (wf / 1600.0).min(hf / 1000.0).clamp(0.5, 4.0);
    let s = |v: f64| (v * scale).round() as i32;
    let (w, h) = (width as i32, height as i32);
    let margin = s(14.0);
    let title_h = s(44.0);
    let col_gap = s(30.0);
    let row_gap = s(12.0);
    let header_h = s(30.0);
    let left_labels = s(LEFT_LABELS);
    let bottom_labels = s(42.0);
    let right_pad = s(12.0);

    let col_w = ((w - 2 * margin - col_gap) / 2).max(40);
    let top = margin + title_h;
    let row_h = ((h - top - margin - 2 * row_gap) / 3).max(40);
    let mut panels = [PanelBox {
        frame: Rect {
            x: 0,
            y: 0,
            w: 0,
            h: 0,
        },
        header: Rect {
            x: 0,
            y: 0,
            w: 0,
            h: 0,
        },
        plot: Rect {
            x: 0,
            y: 0,
            w: 0,
            h: 0,
        },
    }; 6];
    for (k, p) in panels.iter_mut().enumerate() {
        let (row, col) = ((k / 2) as i32, (k % 2) as i32);
        let frame = Rect {
            x: margin + col * (col_w + col_gap),
            y: top + row * (row_h + row_gap),
            w: col_w,
            h: row_h,
        };
        let header = Rect {
            x: frame.x,
            y: frame.y,
            w: frame.w,
            h: header_h,
        };
        let plot = if k == Panel::Stats as usize {
            Rect {
                x: frame.x + s(10.0),
                y: frame.y + header_h,
                w: (frame.w - s(20.0)).max(16),
                h: (frame.h - header_h).max(16),
            }
        } else {
            Rect {
                x: frame.x + left_labels,
                y: frame.y + header_h,
                w: (frame.w - left_labels - right_pad).max(16),
                h: (frame.h - header_h - bottom_labels).max(16),
            }
        };
        *p = PanelBox {
            frame,
            header,
            plot,
        };
    }
    Layout {
        width,
        height,
        scale,
        title: Rect {
            x: margin,
            y: margin,
            w: w - 2 * margin,
            h: title_h,
        },
        panels,
        fonts: Fonts {
            title: 23.0 * scale,
            panel: 17.0 * scale,
            axis: 14.0 * scale,
            tick: 13.0 * scale,
            legend: 14.0 * scale,
            stats: 15.5 * scale,
        },
        circle_r_max: 10.0 * scale,
        circle_r_min: 2.5 * scale,
    }
}

/// Share of a candidate's spacing that its score bar covers (when bars are
/// drawn one per candidate).
pub const BAR_FILL: f64 = 0.8;

/// The data axes of every panel of one picture, and the drawing modes that
/// depend on how much data there is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FigureAxes {
    pub layout: Layout,
    /// Panel 1: source time (s) x amplitude.
    pub input: Axes,
    /// Panel 2: output time (s) x amplitude; for a run that was not rendered,
    /// output time (s) x source time of the grain played (s).
    pub output: Axes,
    /// Panel 3: source time (s) x raw score (the probability is scaled to its
    /// maximum on the same axis).
    pub scores: Axes,
    /// Panel 4: output hop x grain index. Hop `h` spans `h .. h + 1`, grain `g`
    /// spans `g .. g + 1`.
    pub selection: Axes,
    /// Panel 5: grain index x usage count. Grain `g` spans `g .. g + 1`.
    pub usage: Axes,
    /// Width of a score bar, seconds: the bar of a candidate starting at `t`
    /// covers `t .. t + bar_s` (one bar per candidate mode).
    pub bar_s: f64,
    /// More candidates than pixel columns: score bars and the probability
    /// line show per-column maxima; usage circles are one per bin of a few
    /// columns, at the bin's most-used grain, sized by the bin's total count.
    pub scores_aggregated: bool,
    /// More candidates than pixel columns: usage bars show per-column maxima.
    pub usage_aggregated: bool,
    /// More hops than pixel columns: the selection panel is a density raster
    /// of all hops (else one cell per hop).
    pub selection_raster: bool,
    /// Peak absolute sample of the input and of the output (0 if none).
    pub input_peak: f32,
    pub output_peak: f32,
    /// The strip of parameters over time at the top of panel 4, when some
    /// parameter varies (`None`, and panel 4 exactly as without it, when
    /// nothing does). [`FigureAxes::selection`] is then the area below it.
    pub params: Option<ParamStrip>,
}

/// Where panel 4 draws the parameters that vary over output time: a legend
/// (one or two rows) above a thin band that holds every curve, each scaled to
/// its own min (the band's last row) .. max (its first row). The band shares
/// the selection's x axis (hops), and lies inside the selection panel's
/// plotting area of a run where nothing varies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamStrip {
    /// The legend's area, and its number of rows.
    pub legend: Rect,
    pub rows: usize,
    /// The curves' band (framed by a 1-px line just outside it).
    pub band: Rect,
    /// How many curves the band holds, and how many of them the legend names
    /// (a tiny picture may have no room for every name).
    pub curves: usize,
    pub named: usize,
}

/// Font size of the strip's legend.
pub(crate) fn strip_legend_font(l: &Layout) -> f64 {
    l.fonts.legend * 0.9
}

/// The strip legend's flow: for each curve it names, `(row, x offset from the
/// legend's left)`, in at most `max_rows` rows of `width` pixels.
pub(crate) fn strip_legend_flow(
    l: &Layout,
    curves: &[ParamCurve],
    width: i32,
    max_rows: usize,
) -> Vec<(usize, i32)> {
    let size = strip_legend_font(l);
    let (key, gap, sep) = (l.px(16.0), l.px(5.0), l.px(16.0));
    let mut out = Vec::with_capacity(curves.len());
    let (mut row, mut x) = (0usize, 0i32);
    for c in curves {
        let tw = text::width(&c.label, size).unwrap_or(c.label.len() as f64 * size * 0.6);
        let w = key + gap + tw.ceil() as i32;
        if x > 0 && x + w > width {
            row += 1;
            x = 0;
        }
        if row >= max_rows {
            break;
        }
        out.push((row, x));
        x += w + sep;
    }
    out
}

/// Carves the parameter strip off the top of the selection plotting area
/// `plot`: the strip, and the area left for the grains. `None` (and `plot`
/// unchanged) when nothing varies or the panel is too small.
fn carve_strip(l: &Layout, plot: Rect, curves: &[ParamCurve]) -> Option<(ParamStrip, Rect)> {
    if curves.is_empty() {
        return None;
    }
    let row_h = l.px(19.0).max(6);
    let band_h = l.px(30.0).max(8);
    let gap = l.px(9.0).max(3);
    let min_rest = l.px(40.0).max(20);
    for max_rows in [2usize, 1] {
        let flow = strip_legend_flow(l, curves, plot.w, max_rows);
        let rows = flow.iter().map(|(r, _)| r + 1).max().unwrap_or(1);
        let legend_h = rows as i32 * row_h;
        let rest_y = plot.y + legend_h + 1 + band_h + 1 + gap;
        if plot.bottom() - rest_y < min_rest {
            continue;
        }
        let strip = ParamStrip {
            legend: Rect {
                x: plot.x,
                y: plot.y,
                w: plot.w,
                h: legend_h,
            },
            rows,
            band: Rect {
                x: plot.x,
                y: plot.y + legend_h + 1,
                w: plot.w,
                h: band_h,
            },
            curves: curves.len(),
            named: flow.len(),
        };
        let rest = Rect {
            x: plot.x,
            y: rest_y,
            w: plot.w,
            h: plot.bottom() - rest_y,
        };
        return Some((strip, rest));
    }
    None
}

impl FigureAxes {
    /// Centre of the score bar of candidate `i` (where its probability point
    /// and its usage circle sit), seconds, in one-bar-per-candidate mode.
    pub fn bar_centre_s(&self, start_s: f64) -> f64 {
        start_s + 0.5 * self.bar_s
    }
}

fn wave_range(peak: f32) -> (f64, f64) {
    let a = if peak > 0.0 && peak.is_finite() {
        peak as f64 * 1.08
    } else {
        1.0
    };
    (-a, a)
}

/// The axes of the picture of `inp` at size `width` x `height`.
pub fn figure_axes(inp: &PlotInput, width: u32, height: u32) -> FigureAxes {
    let input_peak = data::peak(inp.input);
    let output_peak = inp
        .output
        .map(|o| {
            let chans: Vec<&[f32]> = o.iter().map(|c| c.as_slice()).collect();
            data::peak(&chans)
        })
        .unwrap_or(0.0);
    figure_axes_with_peaks(inp, width, height, input_peak, output_peak)
}

/// [`figure_axes`] with the input's and the output's peaks already known
/// (only the waveforms' y ranges depend on them).
pub(crate) fn figure_axes_with_peaks(
    inp: &PlotInput,
    width: u32,
    height: u32,
    input_peak: f32,
    output_peak: f32,
) -> FigureAxes {
    let l = layout(width, height);
    let p = inp.prepared;
    let s = &p.settings;
    let sr = s.sample_rate as f64;
    let src_s = s.source_s();
    let out_s = s.duration_s;
    let n = p.analysis.len().max(1);
    let hops = p.plan.hops().max(1);
    let plot = |k: Panel| l.panel(k).plot;
    let output = match inp.output {
        Some(o) => {
            let len = o.first().map_or(0, |c| c.len());
            Axes {
                plot: plot(Panel::Output),
                x: (0.0, (len as f64 / sr).max(1e-9)),
                y: wave_range(output_peak),
            }
        }
        None => Axes {
            plot: plot(Panel::Output),
            x: (0.0, out_s.max(1e-9)),
            y: (0.0, src_s.max(1e-9)),
        },
    };
    let floor = p.attention.floor_value;
    let top = if floor.is_finite() {
        floor.max(1.0)
    } else {
        1.0
    };
    // Headroom above the highest score for the largest usage circle.
    let score_plot_h = (plot(Panel::Scores).h - 1).max(1) as f64;
    let room = ((l.circle_r_max + 4.0) / score_plot_h).min(0.5);
    let score_top = top * (1.0 / (1.0 - room)).max(1.06);
    let counts = &inp.report.usage.counts;
    let cmax = counts.iter().copied().max().unwrap_or(0) as f64;
    let mean = hops as f64 / n as f64;
    let curves = strip::param_curves(&p.plan);
    let (params, selection_plot) = match carve_strip(&l, plot(Panel::Selection), &curves) {
        Some((st, rest)) => (Some(st), rest),
        None => (None, plot(Panel::Selection)),
    };
    let scores = Axes {
        plot: plot(Panel::Scores),
        x: (0.0, src_s.max(1e-9)),
        y: (0.0, score_top),
    };
    FigureAxes {
        layout: l,
        input: Axes {
            plot: plot(Panel::Input),
            x: (0.0, src_s.max(1e-9)),
            y: wave_range(input_peak),
        },
        output,
        scores,
        selection: Axes {
            plot: selection_plot,
            x: (0.0, hops as f64),
            y: (0.0, n as f64),
        },
        usage: Axes {
            plot: plot(Panel::Usage),
            x: (0.0, n as f64),
            y: (0.0, cmax.max(mean).max(1.0) * 1.1),
        },
        bar_s: s.cand_hop_s() * BAR_FILL,
        scores_aggregated: p.analysis.len() > scores.plot.w as usize,
        usage_aggregated: p.analysis.len() > plot(Panel::Usage).w as usize,
        selection_raster: p.plan.hops() > plot(Panel::Selection).w as usize,
        input_peak,
        output_peak,
        params,
    }
}
