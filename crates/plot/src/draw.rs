//! Drawing the six panels on any plotters backend (bitmap or SVG), all in pixel
//! coordinates taken from [`crate::layout`].

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos as PHPos, Pos, VPos as PVPos};

use crate::colour::{
    BLUE, FRAME, GREY_BAR, GRID, INK, INK_SOFT, MEAN_LINE, ORANGE, SCORE_END, USAGE_BAR, WARN,
    WAVE_IN, WAVE_OUT, over_white, score_colour,
};
use crate::data::{self, Column, Raster};
use crate::geom::Axes;
use crate::layout::{
    FigureAxes, Layout, Panel, ParamStrip, figure_axes_with_peaks, strip_legend_flow,
    strip_legend_font,
};
use crate::strip;
use crate::text::{self, Anchor, HAlign as HPos, VAlign as VPos};
use crate::{PlotError, PlotInput};

/// Everything the picture needs, reduced to pixel resolution once; drawing it
/// on a backend is then cheap and identical for PNG and SVG.
pub(crate) struct Scene<'a> {
    inp: &'a PlotInput<'a>,
    ax: FigureAxes,
    env_in: Vec<Option<Column>>,
    env_out: Option<Vec<Option<Column>>>,
    /// Highest raw score (scores are shown relative to it on the colour scale).
    score_max: f64,
}

fn invalid(msg: String) -> PlotError {
    PlotError::InvalidInput(msg)
}

impl<'a> Scene<'a> {
    pub fn new(inp: &'a PlotInput<'a>, width: u32, height: u32) -> Result<Self, PlotError> {
        validate(inp)?;
        // The envelopes' columns depend only on the time axes; the peaks (the
        // waveforms' y ranges) then come from the envelopes, which cover every
        // sample: one pass over the audio.
        let x_only = figure_axes_with_peaks(inp, width, height, 1.0, 1.0);
        let sr = inp.prepared.settings.sample_rate as f64;
        let (env_in, env_out) = rayon::join(
            || data::envelope(inp.input, sr, &x_only.input),
            || {
                inp.output.map(|o| {
                    let chans: Vec<&[f32]> = o.iter().map(|c| c.as_slice()).collect();
                    data::envelope(&chans, sr, &x_only.output)
                })
            },
        );
        let ax = figure_axes_with_peaks(
            inp,
            width,
            height,
            data::envelope_peak(&env_in),
            env_out.as_deref().map_or(0.0, data::envelope_peak),
        );
        let score_max = inp
            .prepared
            .analysis
            .score
            .iter()
            .copied()
            .fold(0.0, f64::max);
        Ok(Scene {
            inp,
            ax,
            env_in,
            env_out,
            score_max: if score_max > 0.0 { score_max } else { 1.0 },
        })
    }

    /// Draws the picture; `raster_text`: draw text as pixels (bitmap
    /// backends) rather than as text elements (SVG).
    pub fn draw<DB: DrawingBackend>(&self, b: &mut DB, raster_text: bool) -> Result<(), PlotError> {
        let l = self.ax.layout;
        let mut pen = Pen { b, l, raster_text };
        pen.rect(0, 0, l.width as i32, l.height as i32, WHITE)?;
        self.title(&mut pen)?;
        self.panel_input(&mut pen)?;
        self.panel_output(&mut pen)?;
        self.panel_scores(&mut pen)?;
        self.panel_selection(&mut pen)?;
        self.panel_usage(&mut pen)?;
        self.panel_stats(&mut pen)?;
        Ok(())
    }

    fn rel_score(&self, g: usize) -> f64 {
        self.inp.prepared.analysis.score[g] / self.score_max
    }

    // ----- title -------------------------------------------------------------

    fn title<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let r = pen.l.title;
        let size = pen.l.fonts.title;
        let head = format!(
            "gar\u{2002}·\u{2002}{}\u{2002}·\u{2002}",
            self.inp.prepared.settings.preset.title()
        );
        let mut tail = format!("\u{2002}·\u{2002}{}", title_params(self.inp));
        // Independent channels: the panels show channel 0's analysis and plan.
        let others = self.inp.prepared.others.len();
        if others > 0 {
            tail += &format!(
                "\u{2002}·\u{2002}independent: channel 0 of {} shown",
                others + 1
            );
        }
        // Shorten a long source name so that the line fits.
        let avail = r.w as f64 - pen.text_w(&head, size)? - pen.text_w(&tail, size)?;
        let name = fit_text(pen, self.inp.source_name, size, avail)?;
        let text = fit_text(pen, &format!("{head}{name}{tail}"), size, r.w as f64)?;
        pen.text(&text, Anchor::left(r.x, r.y + r.h / 2), size, INK)?;
        Ok(())
    }

    // ----- panel 1 and 2: waveforms ----------------------------------------

    fn panel_input<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let s = &self.inp.prepared.settings;
        let title = format!(
            "1\u{2002}Input waveform\u{2002}({}, {} Hz, {:.2} s, peak {})",
            channels_word(self.inp.input.len()),
            s.sample_rate,
            s.source_s(),
            dbfs(self.ax.input_peak)
        );
        self.waveform(
            pen,
            Panel::Input,
            &self.ax.input,
            &self.env_in,
            WAVE_IN,
            &title,
        )
    }

    fn panel_output<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        match (&self.env_out, self.inp.output) {
            (Some(env), Some(o)) => {
                let title = format!(
                    "2\u{2002}Output waveform\u{2002}({}, {:.2} s, peak {})",
                    channels_word(o.len()),
                    self.ax.output.x.1,
                    dbfs(self.ax.output_peak)
                );
                self.waveform(pen, Panel::Output, &self.ax.output, env, WAVE_OUT, &title)
            }
            _ => self.panel_plan(pen),
        }
    }

    fn waveform<DB: DrawingBackend>(
        &self,
        pen: &mut Pen<DB>,
        panel: Panel,
        ax: &Axes,
        env: &[Option<Column>],
        (light, dark): (RGBColor, RGBColor),
        title: &str,
    ) -> Result<(), PlotError> {
        let legend = [
            Legend::Swatch(light, "min/max".into()),
            Legend::Swatch(dark, "RMS".into()),
        ];
        let xt = Ticks::new(ax.x, ax.plot.w as f64 / (pen.l.scale * 85.0), false);
        let yt = Ticks::new(ax.y, ax.plot.h as f64 / (pen.l.scale * 45.0), false);
        pen.grid(ax, &xt, &yt)?;
        for (c, col) in env.iter().enumerate() {
            let Some(col) = col else { continue };
            let x = ax.plot.x + c as i32;
            let (top, bot) = (ax.row(col.max as f64), ax.row(col.min as f64));
            pen.rect(x, top, x + 1, bot + 1, light)?;
            let r = col.rms as f64;
            let (rt, rb) = (ax.row(r), ax.row(-r));
            if rb > rt {
                pen.rect(x, rt, x + 1, rb + 1, dark)?;
            }
        }
        pen.axes(ax, &xt, &yt, "time (s)", "amplitude")?;
        pen.header(panel, title, &legend)
    }

    /// Panel 2 for a run that was not rendered: the plan itself, the source
    /// time of the grain each hop plays, over output time.
    fn panel_plan<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let ax = &self.ax.output;
        let p = self.inp.prepared;
        let sr = p.settings.sample_rate as f64;
        let hops = p.plan.hops();
        let title = format!(
            "2\u{2002}Plan: source time of each grain over output time ({hops} hops, not rendered)"
        );
        let xt = Ticks::new(ax.x, ax.plot.w as f64 / (pen.l.scale * 85.0), false);
        let yt = Ticks::new(ax.y, ax.plot.h as f64 / (pen.l.scale * 45.0), false);
        pen.grid(ax, &xt, &yt)?;
        let mut r = Raster::new(ax.plot.w as usize, ax.plot.h as usize);
        for (h, &g) in p.plan.grain.iter().enumerate() {
            let g = g as usize;
            r.add(
                ax,
                p.plan.pos_s[h],
                p.analysis.start[g] as f64 / sr,
                self.rel_score(g),
            );
        }
        let (dw, dh) = if hops <= ax.plot.w as usize {
            (pen.l.px(5.0).max(2), pen.l.px(5.0).max(2))
        } else {
            (1, pen.l.px(3.0).max(1))
        };
        pen.raster(ax, &r, dw, dh)?;
        pen.axes(ax, &xt, &yt, "output time (s)", "source time of grain (s)")?;
        pen.header(
            Panel::Output,
            &title,
            &[Legend::Gradient("grain score".into())],
        )
    }

    // ----- panel 3: score landscape ------------------------------------------

    fn panel_scores<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let ax = self.ax.scores;
        let p = self.inp.prepared;
        let sr = p.settings.sample_rate as f64;
        let n = p.analysis.len();
        let score = &p.analysis.score;
        let prob = &p.attention.prob;
        let counts = &self.inp.report.usage.counts;
        let pmax = prob.iter().copied().fold(0.0, f64::max);
        let pscale = if pmax > 0.0 { 1.0 / pmax } else { 0.0 };
        let floor = p.attention.floor_value;
        let start_s = |i: usize| p.analysis.start[i] as f64 / sr;
        let agg = self.ax.scores_aggregated;
        let title = format!(
            "3\u{2002}Score landscape\u{2002}({})",
            score_shares(&p.settings)
        );
        // Weights that vary: the bars are the score at the start, a line the
        // score at the end (the plan re-mixes it in between).
        let end = p.score_at(p.settings.duration_s);
        let mut legend = vec![Legend::Swatch(
            GREY_BAR,
            match (&p.settings.mix, &end) {
                (Some(_), Some(_)) => "score at 0 s".into(),
                (Some(m), None) => format!("raw score = {m}"),
                (None, _) => format!("raw score ({})", p.settings.score),
            },
        )];
        if end.is_some() {
            legend.push(Legend::Line(SCORE_END, "at the end".into()));
        }
        legend.extend([
            Legend::Dotted(ORANGE, format!("floor {}", short(floor))),
            // (Shorter beside the end score's key, so that the legend fits its header.)
            Legend::Line(
                BLUE,
                if end.is_some() {
                    "prob at 0 s"
                } else {
                    "prob (scaled to max)"
                }
                .into(),
            ),
            Legend::Circle(ORANGE, "chosen (size = uses)".into()),
        ]);
        let xt = Ticks::new(ax.x, ax.plot.w as f64 / (pen.l.scale * 85.0), false);
        let yt = Ticks::new(ax.y, ax.plot.h as f64 / (pen.l.scale * 45.0), false);
        pen.grid(&ax, &xt, &yt)?;
        let base = ax.plot.bottom();
        let line_w = pen.l.px(2.0).max(1) as u32;
        let l = pen.l;
        let cmax = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let radius = |c: f64, cmax: f64| {
            l.circle_r_min + (l.circle_r_max - l.circle_r_min) * (c / cmax).sqrt()
        };
        // (x pixel, y pixel, radius) of each usage circle.
        let mut circles: Vec<(i32, i32, f64)> = Vec::new();
        if !agg {
            let mut line = Vec::with_capacity(n);
            for i in 0..n {
                let x0 = ax.x_px(start_s(i)).round() as i32;
                let x1 = (ax.x_px(start_s(i) + self.ax.bar_s).round() as i32).max(x0 + 1);
                let top = ax.row(score[i]);
                pen.rect(x0, top, x1, base, GREY_BAR)?;
                let xc = ax.x_px(self.ax.bar_centre_s(start_s(i))).round() as i32;
                line.push((xc, ax.row(prob[i] * pscale)));
                if counts[i] > 0 {
                    circles.push((xc, top, radius(counts[i] as f64, cmax)));
                }
            }
            if let Some(e) = &end {
                let pts: Vec<(i32, i32)> = (0..n)
                    .map(|i| {
                        let xc = ax.x_px(self.ax.bar_centre_s(start_s(i))).round() as i32;
                        (xc, ax.row(e[i]))
                    })
                    .collect();
                pen.path(&pts, SCORE_END, line_w)?;
            }
            pen.path(&line, BLUE, line_w)?;
        } else {
            let bars = data::column_max(n, &ax, start_s, |i| score[i]);
            let probs = data::column_max(n, &ax, start_s, |i| prob[i] * pscale);
            if let Some(e) = &end {
                let pts: Vec<(i32, i32)> = data::column_max(n, &ax, start_s, |i| e[i])
                    .iter()
                    .enumerate()
                    .filter_map(|(c, v)| v.map(|(v, _)| (ax.plot.x + c as i32, ax.row(v))))
                    .collect();
                pen.path(&pts, SCORE_END, line_w)?;
            }
            let mut line = Vec::with_capacity(bars.len());
            for (c, (bar, pr)) in bars.iter().zip(&probs).enumerate() {
                let x = ax.plot.x + c as i32;
                if let Some((v, _)) = bar {
                    pen.rect(x, ax.row(*v), x + 1, base, GREY_BAR)?;
                }
                if let Some((v, _)) = pr {
                    line.push((x, ax.row(*v)));
                }
            }
            pen.path(&line, BLUE, line_w)?;
            // Usage circles: one per bin of a few columns, at the bin's most-used
            // grain, sized by the bin's total count.
            let bin = (l.circle_r_min * 2.0).round().max(2.0) as i32;
            let nb = (ax.plot.w / bin + 1) as usize;
            let mut total = vec![0u64; nb];
            let mut best: Vec<Option<usize>> = vec![None; nb];
            for i in 0..n {
                if counts[i] == 0 {
                    continue;
                }
                let k = ((ax.col(start_s(i)) - ax.plot.x) / bin) as usize;
                total[k] += counts[i] as u64;
                if best[k].is_none_or(|j| counts[i] > counts[j]) {
                    best[k] = Some(i);
                }
            }
            let tmax = total.iter().copied().max().unwrap_or(0).max(1) as f64;
            for (k, b) in best.iter().enumerate() {
                if let Some(i) = *b {
                    circles.push((
                        ax.col(start_s(i)),
                        ax.row(score[i]),
                        radius(total[k] as f64, tmax),
                    ));
                }
            }
        }
        // The floor, over the bars and the line.
        let fy = ax.y_px(floor).round() as i32;
        if fy >= ax.plot.y && fy < ax.plot.bottom() {
            pen.dotted_h(ax.plot.x, ax.plot.right(), fy, ORANGE)?;
        }
        // Biggest circles first, so the small ones stay visible on top.
        circles.sort_by(|a, b| b.2.total_cmp(&a.2));
        let cw = pen.l.px(2.0).max(1) as u32;
        for (x, y, r) in circles {
            pen.circle(x, y, r, ORANGE, cw)?;
        }
        let xdesc = if agg {
            "source time (s)\u{2002}\u{2002}[bars, line: max per pixel column]"
        } else {
            "source time (s)"
        };
        pen.axes(&ax, &xt, &yt, xdesc, "raw score; prob (scaled)")?;
        pen.header(Panel::Scores, &title, &legend)
    }

    // ----- panel 4: selection sequence -----------------------------------------

    fn panel_selection<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let ax = self.ax.selection;
        let p = self.inp.prepared;
        let hops = p.plan.hops();
        let raster = self.ax.selection_raster;
        let title = if raster {
            format!("4\u{2002}Selection sequence\u{2002}(all {hops} hops; shade = how often)")
        } else {
            format!("4\u{2002}Selection sequence\u{2002}(all {hops} hops)")
        };
        let xt = Ticks::new(ax.x, ax.plot.w as f64 / (pen.l.scale * 85.0), true);
        let yt = Ticks::new(ax.y, ax.plot.h as f64 / (pen.l.scale * 45.0), true);
        pen.grid(&ax, &xt, &yt)?;
        let min_h = pen.l.px(3.0).max(1);
        if !raster {
            for (h, &g) in p.plan.grain.iter().enumerate() {
                let g = g as usize;
                let x0 = ax.x_px(h as f64).round() as i32;
                let x1 = (ax.x_px(h as f64 + 1.0).round() as i32).max(x0 + 1);
                let (y0, y1) = grain_span(&ax, g, min_h);
                pen.rect(x0, y0, x1, y1, score_colour(self.rel_score(g)))?;
            }
        } else {
            let mut r = Raster::new(ax.plot.w as usize, ax.plot.h as usize);
            for (h, &g) in p.plan.grain.iter().enumerate() {
                let g = g as usize;
                r.add(&ax, h as f64 + 0.5, g as f64 + 0.5, self.rel_score(g));
            }
            let band = ((ax.plot.h - 1) as f64 / ax.y.1).round() as i32;
            pen.raster(&ax, &r, 1, band.max(min_h))?;
        }
        pen.axes(&ax, &xt, &yt, "output hop", "grain index")?;
        if let Some(st) = self.ax.params {
            self.param_strip(pen, &st)?;
        }
        pen.header(
            Panel::Selection,
            &title,
            &[Legend::Gradient("chosen grain's score".into())],
        )
    }

    /// The parameters over time above the selection (see [`crate::strip`]):
    /// per curve, one vertical extent per pixel column, equal neighbours
    /// merged into one rectangle.
    fn param_strip<DB: DrawingBackend>(
        &self,
        pen: &mut Pen<DB>,
        st: &ParamStrip,
    ) -> Result<(), PlotError> {
        let plan = &self.inp.prepared.plan;
        let curves = strip::param_curves(plan);
        let b = st.band;
        // The band's axes: the selection's x range over the band's pixels.
        let ax = Axes {
            plot: b,
            x: self.ax.selection.x,
            y: (0.0, 1.0),
        };
        pen.rect(b.x - 1, b.y - 1, b.right() + 1, b.y, FRAME)?;
        pen.rect(b.x - 1, b.bottom(), b.right() + 1, b.bottom() + 1, FRAME)?;
        pen.rect(b.x - 1, b.y, b.x, b.bottom(), FRAME)?;
        pen.rect(b.right(), b.y, b.right() + 1, b.bottom(), FRAME)?;
        let t = pen.l.px(2.0).max(1);
        let row = |f: f64| ((b.bottom() - 1) as f64 - f * (b.h - 1) as f64).round() as i32;
        for cu in &curves {
            let Some(values) = plan.values_of(cu.id) else {
                continue;
            };
            let cols = strip::columns(cu, values, &ax);
            // (first column, end column, top row, bottom row) of the current run.
            let mut run: Option<(i32, i32, i32, i32)> = None;
            for (c, col) in cols.iter().enumerate() {
                let x = b.x + c as i32;
                let span = col.map(|(lo, hi)| {
                    let y0 = (row(hi) - (t - 1) / 2).max(b.y);
                    let y1 = (row(lo) - (t - 1) / 2 + t).min(b.bottom());
                    (y0, y1)
                });
                match (run, span) {
                    (Some((x0, x1, y0, y1)), Some(sp)) if x1 == x && (y0, y1) == sp => {
                        run = Some((x0, x + 1, y0, y1));
                    }
                    _ => {
                        if let Some((x0, x1, y0, y1)) = run {
                            pen.rect(x0, y0, x1, y1, cu.colour)?;
                        }
                        run = span.map(|(y0, y1)| (x, x + 1, y0, y1));
                    }
                }
            }
            if let Some((x0, x1, y0, y1)) = run {
                pen.rect(x0, y0, x1, y1, cu.colour)?;
            }
        }
        // "max" and "min" beside the band: each curve spans its own range.
        let tsize = pen.l.fonts.tick * 0.85;
        let lx = b.x - pen.l.px(6.0);
        let pad = pen.l.px(4.0);
        pen.text(
            "max",
            Anchor::new(lx, b.y + pad, HPos::Right, VPos::Centre),
            tsize,
            INK_SOFT,
        )?;
        pen.text(
            "min",
            Anchor::new(lx, b.bottom() - 1 - pad, HPos::Right, VPos::Centre),
            tsize,
            INK_SOFT,
        )?;
        // The legend: a short line in each curve's colour and its name and range.
        let lsize = strip_legend_font(&pen.l);
        let flow = strip_legend_flow(&pen.l, &curves, st.legend.w, st.rows);
        let row_h = st.legend.h / st.rows.max(1) as i32;
        let (key, gap) = (pen.l.px(16.0), pen.l.px(5.0));
        for (cu, &(r, dx)) in curves.iter().zip(&flow).take(st.named) {
            let x = st.legend.x + dx;
            let y = st.legend.y + r as i32 * row_h + row_h / 2;
            pen.rect(x, y - t / 2, x + key, y - t / 2 + t, cu.colour)?;
            pen.text(&cu.label, Anchor::left(x + key + gap, y), lsize, INK)?;
        }
        Ok(())
    }

    // ----- panel 5: usage histogram --------------------------------------------

    fn panel_usage<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let ax = self.ax.usage;
        let p = self.inp.prepared;
        let u = &self.inp.report.usage;
        let n = p.analysis.len();
        let mean = p.plan.hops() as f64 / n.max(1) as f64;
        let title = format!(
            "5\u{2002}Usage histogram\u{2002}({} of {n} grains used)",
            u.unique
        );
        let legend = [
            Legend::Swatch(USAGE_BAR, "count per grain".into()),
            Legend::Dashed(MEAN_LINE, format!("uniform mean H/N = {}", short(mean))),
        ];
        let xt = Ticks::new(ax.x, ax.plot.w as f64 / (pen.l.scale * 85.0), true);
        let yt = Ticks::new(ax.y, ax.plot.h as f64 / (pen.l.scale * 45.0), true);
        pen.grid(&ax, &xt, &yt)?;
        let base = ax.plot.bottom();
        if !self.ax.usage_aggregated {
            let w = (ax.plot.w - 1) as f64 / ax.x.1;
            let gap = if w >= 4.0 { 1 } else { 0 };
            let min_w = pen.l.px(2.0).max(1);
            for (g, &c) in u.counts.iter().enumerate() {
                if c == 0 {
                    continue;
                }
                let x0 = ax.x_px(g as f64).round() as i32;
                let x1 = (ax.x_px(g as f64 + 1.0).round() as i32 - gap).max(x0 + min_w);
                pen.rect(x0, ax.row(c as f64), x1, base, USAGE_BAR)?;
            }
        } else {
            let cols = data::column_max(n, &ax, |g| g as f64 + 0.5, |g| u.counts[g] as f64);
            for (c, v) in cols.iter().enumerate() {
                if let Some((v, _)) = v.filter(|(v, _)| *v > 0.0) {
                    let x = ax.plot.x + c as i32;
                    pen.rect(x, ax.row(v), x + 1, base, USAGE_BAR)?;
                }
            }
        }
        let my = ax.y_px(mean).round() as i32;
        pen.dashed_h(ax.plot.x, ax.plot.right(), my, MEAN_LINE)?;
        let xdesc = if self.ax.usage_aggregated {
            "grain index\u{2002}\u{2002}[bars: max per pixel column]"
        } else {
            "grain index"
        };
        pen.axes(&ax, &xt, &yt, xdesc, "times used")?;
        pen.header(Panel::Usage, &title, &legend)
    }

    // ----- panel 6: stats -----------------------------------------------------

    fn panel_stats<DB: DrawingBackend>(&self, pen: &mut Pen<DB>) -> Result<(), PlotError> {
        let p = self.inp.prepared;
        let s = &p.settings;
        let rep = self.inp.report;
        let a = &rep.analysis;
        let u = &rep.usage;
        let n = a.candidates.max(1);
        let hops = p.plan.hops().max(1);
        pen.header(Panel::Stats, "6\u{2002}Statistics", &[])?;
        let pct = |k: usize, of: usize| 100.0 * k as f64 / of.max(1) as f64;
        // Parameters that vary over output time show their envelope (`25..2`).
        let e = &s.effective;
        let or = |id: &str, v: String| varying_text(e, id).unwrap_or(v);
        let alpha_text = match diversity_alpha(self.inp) {
            Some((d, first, last)) => format!(
                "{} \u{2192} {}, solved for diversity {d} %",
                strip::sig3(first),
                strip::sig3(last)
            ),
            None => or("alpha", num(s.alpha)),
        };
        let rows: Vec<(String, String)> = vec![
            (
                "preset".into(),
                format!("{} ({})", s.preset.title(), s.preset.id()),
            ),
            (
                "alpha".into(),
                format!(
                    "{}\u{2002}(attention norm {})",
                    alpha_text,
                    s.attention_norm.id()
                ),
            ),
            (
                "floor".into(),
                match varying_text(e, "floor_db") {
                    None => format!(
                        "{} dB: floor value {} (mean score {})",
                        signed(s.floor_db),
                        short(a.floor_value),
                        short(a.mean_score)
                    ),
                    Some(t) => format!(
                        "{t} dB: floor value {} at 0 s (mean score {})",
                        short(a.floor_value),
                        short(a.mean_score)
                    ),
                },
            ),
            (
                "grain / hop".into(),
                format!(
                    "{} ms / {} ms\u{2002}(candidate hop {} ms)",
                    or("grain_ms", num(s.grain_ms)),
                    or("hop_ms", num(s.hop_ms)),
                    num(s.cand_hop_ms)
                ),
            ),
            (
                "score".into(),
                if let Some(m) = &s.mix {
                    m.to_string()
                } else if s.score == gar_core::ScoreType::Mixed {
                    format!(
                        "{} (transient weight {})",
                        s.score.id(),
                        num(s.transient_weight)
                    )
                } else {
                    s.score.id().to_string()
                },
            ),
            ("candidates".into(), format!("{}", a.candidates)),
            (
                "active".into(),
                format!("{}\u{2002}({:.1} %)", a.active, pct(a.active, n)),
            ),
            (
                "hops".into(),
                format!("{}\u{2002}(output {:.2} s)", p.plan.hops(), s.duration_s),
            ),
            (
                "unique used".into(),
                format!(
                    "{}\u{2002}({:.1} % of candidates)",
                    u.unique,
                    pct(u.unique, n)
                ),
            ),
            (
                "top grain".into(),
                format!(
                    "#{} at {:.3} s, used {}x ({:.1} % of hops)",
                    u.most_used.index,
                    u.most_used.start_s,
                    u.most_used.count,
                    pct(u.most_used.count as usize, hops)
                ),
            ),
            (
                "effective grains".into(),
                format!(
                    "{:.1}\u{2002}(exp of the entropy of prob)",
                    a.effective_grains
                ),
            ),
            ("seed".into(), format!("{}", p.seed)),
            (
                "variation".into(),
                format!(
                    "time jitter {} ms, pitch jitter {} st, recency {}, wet {} %",
                    or("time_jitter_ms", num(s.time_jitter_ms)),
                    or("pitch_jitter_st", num(s.pitch_jitter_st)),
                    or("recency", num(s.recency)),
                    or("wet", num(s.wet))
                ),
            ),
        ];
        // Any other parameter that varies over output time, as its envelope.
        let mut rows = rows;
        for spec in gar_core::table::PARAMS.iter() {
            if STATS_ROW_IDS.contains(&spec.id) {
                continue;
            }
            if let Some(t) = spec_varying_text(e, spec) {
                let unit = if spec.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", spec.unit)
                };
                rows.push((
                    spec.id.into(),
                    format!("{t}{unit}\u{2002}(over output time)"),
                ));
            }
        }
        let notes: Vec<String> = rep
            .warnings
            .iter()
            .map(|w| format!("warning: {w}"))
            .chain(rep.adjustments.iter().map(|a| format!("adjusted: {a}")))
            .collect();
        let r = pen.l.panel(Panel::Stats).plot;
        let size = pen.l.fonts.stats;
        let line_h = (size * 1.32).round() as i32;
        let max_lines = ((r.h - pen.l.px(4.0)) / line_h).max(1) as usize;
        // Key column width: the widest key plus a gap.
        let mut key_w = 0f64;
        for (k, _) in &rows {
            key_w = key_w.max(pen.text_w(k, size)?);
        }
        let key_w = (key_w + pen.l.px(14.0) as f64).round() as i32;
        // Two columns when one is too short, if each still has room for values.
        let two_cols =
            rows.len() + notes.len().min(2) > max_lines && r.w / 2 - key_w > pen.l.px(150.0);
        let col_w = if two_cols { r.w / 2 } else { r.w };
        let per_col = if two_cols {
            rows.len().div_ceil(2)
        } else {
            rows.len()
        };
        let y0 = r.y + pen.l.px(4.0);
        for (i, (k, v)) in rows.iter().enumerate() {
            let (col, line) = (i / per_col, i % per_col);
            let x = r.x + col as i32 * col_w;
            let y = y0 + line as i32 * line_h + line_h / 2;
            if line >= max_lines {
                continue;
            }
            pen.text(k, Anchor::left(x, y), size, INK_SOFT)?;
            let avail = (col_w - key_w - pen.l.px(6.0)) as f64;
            let v = fit_text(pen, v, size, avail)?;
            pen.text(&v, Anchor::left(x + key_w, y), size, INK)?;
        }
        let used = per_col.min(max_lines);
        for (j, note) in notes.iter().enumerate() {
            let line = used + j;
            if line >= max_lines {
                break;
            }
            let y = y0 + line as i32 * line_h + line_h / 2;
            let note = fit_text(pen, note, size * 0.92, r.w as f64)?;
            pen.text(&note, Anchor::left(r.x, y), size * 0.92, WARN)?;
        }
        Ok(())
    }
}

/// Pixel rows `y0 .. y1` of grain `g` on the selection axes: its band, at
/// least `min_h` rows tall (centred on the band's middle).
fn grain_span(ax: &Axes, g: usize, min_h: i32) -> (i32, i32) {
    let top = ax.y_px(g as f64 + 1.0);
    let bot = ax.y_px(g as f64);
    let (mut y0, mut y1) = (top.round() as i32, bot.round() as i32);
    if y1 - y0 < min_h {
        let mid = ax.y_px(g as f64 + 0.5).round() as i32;
        y0 = mid - min_h / 2;
        y1 = y0 + min_h;
    }
    (y0.max(ax.plot.y), y1.min(ax.plot.bottom()))
}

fn validate(inp: &PlotInput) -> Result<(), PlotError> {
    let p = inp.prepared;
    let n = p.analysis.len();
    let len = p.settings.source_len;
    if inp.input.is_empty() {
        return Err(invalid("the source has no channels".into()));
    }
    for (k, c) in inp.input.iter().enumerate() {
        if c.len() != len {
            return Err(invalid(format!(
                "source channel {k} has {} frames but the run was prepared for {len}",
                c.len()
            )));
        }
    }
    if n == 0 {
        return Err(invalid("the analysis has no candidates".into()));
    }
    if p.analysis.score.len() != n || p.attention.prob.len() != n {
        return Err(invalid(format!(
            "the analysis has {n} candidates but {} scores and {} probabilities",
            p.analysis.score.len(),
            p.attention.prob.len()
        )));
    }
    let counts = inp.report.usage.counts.len();
    if counts != n {
        return Err(invalid(format!(
            "the report has usage counts for {counts} candidates but the analysis has {n}; \
             build the report from the same prepared run"
        )));
    }
    if let Some(&g) = p.plan.grain.iter().find(|&&g| g as usize >= n) {
        return Err(invalid(format!(
            "the plan picks grain {g} but there are only {n} candidates"
        )));
    }
    if p.plan.pos_s.len() != p.plan.hops() {
        return Err(invalid(
            "the plan's positions and grains differ in length".into(),
        ));
    }
    if let Some(o) = inp.output {
        if o.is_empty() {
            return Err(invalid("the output has no channels".into()));
        }
        let ol = o[0].len();
        if o.iter().any(|c| c.len() != ol) {
            return Err(invalid("the output channels differ in length".into()));
        }
    }
    Ok(())
}

// ----- text helpers -------------------------------------------------------------

fn title_params(inp: &PlotInput) -> String {
    let s = &inp.prepared.settings;
    let u = &inp.report.usage;
    let e = &s.effective;
    let or = |id: &str, v: String| varying_text(e, id).unwrap_or(v);
    let attention = match diversity_alpha(inp) {
        Some((d, _, _)) => format!("diversity {d} %"),
        None => format!("alpha {}", or("alpha", num(s.alpha))),
    };
    format!(
        "{attention}\u{2002}·\u{2002}floor {} dB\u{2002}·\u{2002}grain {} ms\u{2002}·\u{2002}hop {} ms\u{2002}·\u{2002}{} / {} grains used",
        or("floor_db", signed(s.floor_db)),
        or("grain_ms", num(s.grain_ms)),
        or("hop_ms", num(s.hop_ms)),
        u.unique,
        inp.prepared.analysis.len()
    )
}

/// The score's drivers and their shares of the weight, for the score panel's
/// title: `rms 60 % + centroid 40 %`, `rms 100\u{2192}0 % + -flatness
/// 0\u{2192}100 %` (weights that vary: at the start and at the end), `centroid`
/// (one driver), or the original score type's name.
fn score_shares(s: &gar_core::Settings) -> String {
    let Some(m) = &s.mix else {
        return match s.score {
            gar_core::ScoreType::Mixed => {
                let tw = 100.0 * s.transient_weight;
                format!("mixed: rms {} % + onset {} %", num(100.0 - tw), num(tw))
            }
            other => other.id().to_string(),
        };
    };
    let name = |t: &gar_core::analysis::mix::Term| {
        format!("{}{}", if t.invert { "-" } else { "" }, t.driver.id())
    };
    if let [t] = m.terms.as_slice() {
        return name(t);
    }
    let at = |t: f64| gar_core::plan::Morph::weights_at(&s.curves.weights, t);
    let (w0, w1) = (at(0.0), at(s.duration_s));
    let pct = |w: f64| num((1000.0 * w).round() / 10.0);
    m.terms
        .iter()
        .zip(w0.iter().zip(&w1))
        .map(|(t, (a, b))| {
            if pct(*a) == pct(*b) {
                format!("{} {} %", name(t), pct(*a))
            } else {
                format!("{} {}\u{2192}{} %", name(t), pct(*a), pct(*b))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The envelope of parameter `id` in the effective parameters `p`, as a flag
/// writes it (`25..2`), when it varies over output time; `None` when it is
/// constant, unset or not a parameter that may vary.
fn varying_text(p: &gar_core::Params, id: &str) -> Option<String> {
    gar_core::table::find(id).and_then(|spec| spec_varying_text(p, spec))
}

fn spec_varying_text(p: &gar_core::Params, spec: &gar_core::table::ParamSpec) -> Option<String> {
    use gar_core::table::Access;
    if !spec.varies() {
        return None;
    }
    let constant = match spec.access {
        Access::Curve(get, _) => get(p).is_constant(),
        Access::OptCurve(get, _) => get(p).as_ref().is_none_or(|e| e.is_constant()),
        _ => true,
    };
    if constant { None } else { spec.get_text(p) }
}

/// Parameters that the stats panel's fixed rows (and the title) show; the
/// others that vary get a row each.
const STATS_ROW_IDS: [&str; 9] = [
    "alpha",
    "diversity",
    "floor_db",
    "grain_ms",
    "hop_ms",
    "time_jitter_ms",
    "pitch_jitter_st",
    "recency",
    "wet",
];

/// For alpha solved from a diversity that varies: the diversity's envelope
/// text and the solved alpha at the first and at the last control point.
fn diversity_alpha(inp: &PlotInput) -> Option<(String, f64, f64)> {
    let p = inp.prepared;
    let d = varying_text(&p.settings.effective, "diversity")?;
    let (a, b) = (p.diversity.first()?, p.diversity.last()?);
    Some((d, a.alpha, b.alpha))
}

/// A number the short way: `25`, `0.3`, `12.5`.
fn num(v: f64) -> String {
    gar_core::params::num(v)
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", num(v))
    } else {
        num(v)
    }
}

/// Four significant digits, no exponent for ordinary magnitudes.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn dbfs(peak: f32) -> String {
    if peak > 0.0 {
        // No "-0.0" for a peak just under full scale.
        let db = 20.0 * (peak as f64).log10();
        let db = if db.abs() < 0.05 { 0.0 } else { db };
        format!("{db:.1} dBFS")
    } else {
        "silent".into()
    }
}

fn channels_word(n: usize) -> String {
    match n {
        1 => "mono".into(),
        2 => "stereo".into(),
        n => format!("{n} ch"),
    }
}

/// `text`, shortened with an ellipsis in the middle if it is wider than `avail` pixels.
fn fit_text<DB: DrawingBackend>(
    pen: &Pen<DB>,
    text: &str,
    size: f64,
    avail: f64,
) -> Result<String, PlotError> {
    if pen.text_w(text, size)? <= avail {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 2 {
        keep -= 1;
        let head: String = chars[..keep.div_ceil(2)].iter().collect();
        let tail: String = chars[chars.len() - keep / 2..].iter().collect();
        let t = format!("{head}…{tail}");
        if pen.text_w(&t, size)? <= avail {
            return Ok(t);
        }
    }
    Ok("…".into())
}

// ----- ticks --------------------------------------------------------------------

/// Tick values for an axis: steps of 1, 2 or 5 times a power of ten.
struct Ticks {
    values: Vec<f64>,
    decimals: usize,
}

impl Ticks {
    /// About `target` ticks over `range` (at least 2); `integer` axes get whole steps.
    fn new(range: (f64, f64), target: f64, integer: bool) -> Ticks {
        let (lo, hi) = (range.0.min(range.1), range.0.max(range.1));
        let span = hi - lo;
        if span.is_nan() || span <= 0.0 || !span.is_finite() {
            return Ticks {
                values: vec![lo],
                decimals: 0,
            };
        }
        let raw = span / target.max(2.0);
        let mag = 10f64.powf(raw.log10().floor());
        let mut step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|&s| s >= raw)
            .unwrap_or(10.0 * mag);
        if integer {
            step = step.max(1.0).round();
        }
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10().floor()) as usize
        };
        let first = (lo / step - 1e-9).ceil() as i64;
        let last = (hi / step + 1e-9).floor() as i64;
        let values = (first..=last).map(|k| k as f64 * step).collect();
        Ticks { values, decimals }
    }

    fn label(&self, v: f64) -> String {
        let v = if v.abs() < 1e-12 { 0.0 } else { v };
        format!("{v:.*}", self.decimals)
    }
}

// ----- legend -------------------------------------------------------------------

enum Legend {
    Swatch(RGBColor, String),
    Line(RGBColor, String),
    Dotted(RGBColor, String),
    Dashed(RGBColor, String),
    Circle(RGBColor, String),
    /// The selection colour scale, low to high.
    Gradient(String),
}

impl Legend {
    fn label(&self) -> &str {
        match self {
            Legend::Swatch(_, t)
            | Legend::Line(_, t)
            | Legend::Dotted(_, t)
            | Legend::Dashed(_, t)
            | Legend::Circle(_, t)
            | Legend::Gradient(t) => t,
        }
    }
}

// ----- the pen: pixel drawing on a backend ----------------------------------

/// The pattern of a broken line: its thickness, and the lengths of each dash
/// and of each gap, pixels.
#[derive(Clone, Copy, Debug)]
struct Dash {
    thickness: i32,
    on: i32,
    off: i32,
}

struct Pen<'b, DB: DrawingBackend> {
    b: &'b mut DB,
    l: Layout,
    raster_text: bool,
}

fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

impl<DB: DrawingBackend> Pen<'_, DB> {
    /// Fills columns `x0 .. x1`, rows `y0 .. y1`.
    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: RGBColor) -> Result<(), PlotError> {
        if x1 <= x0 || y1 <= y0 {
            return Ok(());
        }
        self.b
            .draw_rect((x0, y0), (x1, y1), &c, true)
            .map_err(draw_err)
    }

    fn path(&mut self, pts: &[(i32, i32)], c: RGBColor, width: u32) -> Result<(), PlotError> {
        if pts.len() < 2 {
            return Ok(());
        }
        let style = ShapeStyle {
            color: c.to_rgba(),
            filled: false,
            stroke_width: width,
        };
        self.b
            .draw_path(pts.iter().copied(), &style)
            .map_err(draw_err)
    }

    fn circle(&mut self, x: i32, y: i32, r: f64, c: RGBColor, width: u32) -> Result<(), PlotError> {
        let style = ShapeStyle {
            color: c.to_rgba(),
            filled: false,
            stroke_width: width,
        };
        self.b
            .draw_circle((x, y), r.round().max(1.0) as u32, &style, false)
            .map_err(draw_err)
    }

    /// A horizontal line of dots (thickness 2 px at the default size) centred on row `y`.
    fn dotted_h(&mut self, x0: i32, x1: i32, y: i32, c: RGBColor) -> Result<(), PlotError> {
        let dash = Dash {
            thickness: self.l.px(2.0).max(1),
            on: self.l.px(3.0).max(1),
            off: self.l.px(3.0).max(1),
        };
        self.broken_h(x0, x1, y, dash, c)
    }

    /// A horizontal dashed line centred on row `y`.
    fn dashed_h(&mut self, x0: i32, x1: i32, y: i32, c: RGBColor) -> Result<(), PlotError> {
        let dash = Dash {
            thickness: self.l.px(2.0).max(1),
            on: self.l.px(9.0).max(2),
            off: self.l.px(5.0).max(1),
        };
        self.broken_h(x0, x1, y, dash, c)
    }

    /// A horizontal broken line from column `x0` to `x1` centred on row `y`.
    fn broken_h(
        &mut self,
        x0: i32,
        x1: i32,
        y: i32,
        d: Dash,
        c: RGBColor,
    ) -> Result<(), PlotError> {
        let ya = y - d.thickness / 2;
        let mut x = x0;
        while x < x1 {
            self.rect(x, ya, (x + d.on).min(x1), ya + d.thickness, c)?;
            x += d.on + d.off;
        }
        Ok(())
    }

    fn text_w(&self, text: &str, size: f64) -> Result<f64, PlotError> {
        text::width(text, size)
    }

    fn text(&mut self, text: &str, at: Anchor, size: f64, c: RGBColor) -> Result<(), PlotError> {
        self.text_any(text, at, size, c, false)
    }

    /// A y-axis description: reads bottom to top, centred on `y`, its top at column `x`.
    fn text_rotated(&mut self, text: &str, x: i32, y: i32, size: f64) -> Result<(), PlotError> {
        let at = Anchor::new(x, y, HPos::Centre, VPos::Top);
        self.text_any(text, at, size, INK, true)
    }

    fn text_any(
        &mut self,
        text: &str,
        at: Anchor,
        size: f64,
        c: RGBColor,
        rotated: bool,
    ) -> Result<(), PlotError> {
        let Anchor { x, y, h, v } = at;
        if self.raster_text {
            let mut err = None;
            let b = &mut *self.b;
            text::rasterise(text, size, at, rotated, |px, py, cov| {
                if err.is_none() {
                    err = b
                        .draw_pixel((px, py), c.mix(cov as f64).to_backend_color())
                        .err()
                        .map(draw_err);
                }
            })?;
            return err.map_or(Ok(()), Err);
        }
        let font = FontDesc::new(FontFamily::Name(text::SVG_FAMILY), size, FontStyle::Normal);
        let font = if rotated {
            font.transform(FontTransform::Rotate270)
        } else {
            font
        };
        let hp = match h {
            HPos::Left => PHPos::Left,
            HPos::Centre => PHPos::Center,
            HPos::Right => PHPos::Right,
        };
        let vp = match v {
            VPos::Top => PVPos::Top,
            VPos::Centre => PVPos::Center,
        };
        let style = TextStyle::from(font).color(&c).pos(Pos::new(hp, vp));
        self.b.draw_text(text, &style, (x, y)).map_err(draw_err)
    }

    /// Width of a legend item's key (the drawn sample), pixels.
    fn legend_key_w(&self, it: &Legend, size: f64) -> Result<i32, PlotError> {
        Ok(match it {
            Legend::Gradient(_) => {
                let gap = self.l.px(4.0);
                (self.text_w("low", size)? + self.text_w("high", size)?).round() as i32
                    + self.l.px(60.0)
                    + 2 * gap
            }
            _ => self.l.px(22.0),
        })
    }

    /// Total width of a legend at font size `size`.
    fn legend_w(&self, legend: &[Legend], size: f64) -> Result<i32, PlotError> {
        let (gap, sep) = (self.l.px(6.0), self.l.px(18.0));
        let mut total = 0;
        for (k, it) in legend.iter().enumerate() {
            if k > 0 {
                total += sep;
            }
            total +=
                self.legend_key_w(it, size)? + gap + self.text_w(it.label(), size)?.round() as i32;
        }
        Ok(total)
    }

    /// Panel title at the header's left, legend at its right. A legend that
    /// does not fit beside the title is drawn smaller, and if it still does not
    /// fit, in a white box at the plotting area's top right. Called after the
    /// panel's data so that nothing covers the legend.
    fn header(&mut self, panel: Panel, title: &str, legend: &[Legend]) -> Result<(), PlotError> {
        let pb = *self.l.panel(panel);
        let size = self.l.fonts.panel;
        let ty = pb.header.y + pb.header.h / 2;
        let title_w = self.text_w(title, size)?.round() as i32;
        let right = pb.plot.right();
        let room = right - (pb.header.x + title_w + self.l.px(24.0));
        let mut lsize = self.l.fonts.legend;
        let mut total = self.legend_w(legend, lsize)?;
        for f in [0.92, 0.85] {
            if total <= room {
                break;
            }
            lsize = self.l.fonts.legend * f;
            total = self.legend_w(legend, lsize)?;
        }
        let fits = total <= room;
        let title = if fits || legend.is_empty() {
            title.to_string()
        } else {
            fit_text(self, title, size, (pb.header.w - self.l.px(8.0)) as f64)?
        };
        self.text(&title, Anchor::left(pb.header.x, ty), size, INK)?;
        if legend.is_empty() {
            return Ok(());
        }
        // In the plot, keep only the items that fit its width (tiny pictures).
        let mut legend = legend;
        let pad = self.l.px(6.0);
        while !fits && legend.len() > 1 && total > pb.plot.w - 4 * pad {
            legend = &legend[..legend.len() - 1];
            total = self.legend_w(legend, lsize)?;
        }
        let (mut x, y) = if fits {
            (right - total, ty)
        } else {
            let bh = (lsize * 1.6).round() as i32;
            let x0 = (pb.plot.right() - total - 3 * pad).max(pb.plot.x + 1);
            let (y0, y1) = (pb.plot.y + pad, pb.plot.y + pad + bh);
            self.rect(x0, y0, pb.plot.right() - pad, y1, FRAME)?;
            self.rect(x0 + 1, y0 + 1, pb.plot.right() - pad - 1, y1 - 1, WHITE)?;
            (x0 + pad, y0 + bh / 2)
        };
        let t = self.l.px(2.0).max(1);
        let hw = self.l.px(5.0);
        let gap = self.l.px(6.0);
        let sep = self.l.px(18.0);
        for it in legend {
            let kw = self.legend_key_w(it, lsize)?;
            let lw = self.text_w(it.label(), lsize)?.round() as i32;
            // The colour scale reads "label: low [...] high"; the others "key label".
            let (kx, lx) = match it {
                Legend::Gradient(_) => (x + lw + gap, x),
                _ => (x, x + kw + gap),
            };
            match it {
                Legend::Swatch(c, _) => self.rect(kx, y - hw, kx + kw, y + hw, *c)?,
                Legend::Line(c, _) => self.rect(kx, y - t / 2, kx + kw, y - t / 2 + t, *c)?,
                Legend::Dotted(c, _) => self.dotted_h(kx, kx + kw, y, *c)?,
                Legend::Dashed(c, _) => self.dashed_h(kx, kx + kw, y, *c)?,
                Legend::Circle(c, _) => {
                    self.circle(kx + kw / 2, y, self.l.px(6.0) as f64, *c, t as u32)?
                }
                Legend::Gradient(_) => {
                    let g4 = self.l.px(4.0);
                    self.text("low", Anchor::left(kx, y), lsize, INK_SOFT)?;
                    let bx = kx + self.text_w("low", lsize)?.round() as i32 + g4;
                    let bw = self.l.px(60.0);
                    for k in 0..bw {
                        let f = k as f64 / (bw - 1).max(1) as f64;
                        self.rect(bx + k, y - hw, bx + k + 1, y + hw, score_colour(f))?;
                    }
                    self.text("high", Anchor::left(bx + bw + g4, y), lsize, INK_SOFT)?;
                }
            }
            self.text(it.label(), Anchor::left(lx, y), lsize, INK)?;
            x += kw + gap + lw + sep;
        }
        Ok(())
    }

    /// Light grid lines at the ticks.
    fn grid(&mut self, ax: &Axes, xt: &Ticks, yt: &Ticks) -> Result<(), PlotError> {
        let p = ax.plot;
        for &v in &xt.values {
            let x = ax.x_px(v).round() as i32;
            self.rect(x, p.y, x + 1, p.bottom(), GRID)?;
        }
        for &v in &yt.values {
            let y = ax.y_px(v).round() as i32;
            self.rect(p.x, y, p.right(), y + 1, GRID)?;
        }
        Ok(())
    }

    /// Frame, tick marks, tick labels and axis descriptions.
    fn axes(
        &mut self,
        ax: &Axes,
        xt: &Ticks,
        yt: &Ticks,
        xdesc: &str,
        ydesc: &str,
    ) -> Result<(), PlotError> {
        let p = ax.plot;
        let tick = self.l.px(5.0).max(2);
        let tsize = self.l.fonts.tick;
        // Frame: a 1-px box just outside the plotting area.
        self.rect(p.x - 1, p.y - 1, p.right() + 1, p.y, FRAME)?;
        self.rect(p.x - 1, p.bottom(), p.right() + 1, p.bottom() + 1, FRAME)?;
        self.rect(p.x - 1, p.y, p.x, p.bottom(), FRAME)?;
        self.rect(p.right(), p.y, p.right() + 1, p.bottom(), FRAME)?;
        let mut last_right = i32::MIN;
        for &v in &xt.values {
            let x = ax.x_px(v).round() as i32;
            self.rect(x, p.bottom() + 1, x + 1, p.bottom() + 1 + tick, INK_SOFT)?;
            let label = xt.label(v);
            let w = self.text_w(&label, tsize)?.round() as i32;
            // Skip a label that would touch the previous one.
            if x - w / 2 <= last_right + self.l.px(6.0) {
                continue;
            }
            last_right = x + w / 2;
            self.text(
                &label,
                Anchor::new(
                    x,
                    p.bottom() + tick + self.l.px(3.0),
                    HPos::Centre,
                    VPos::Top,
                ),
                tsize,
                INK_SOFT,
            )?;
        }
        for &v in &yt.values {
            let y = ax.y_px(v).round() as i32;
            self.rect(p.x - 1 - tick, y, p.x - 1, y + 1, INK_SOFT)?;
            self.text(
                &yt.label(v),
                Anchor::new(p.x - tick - self.l.px(4.0), y, HPos::Right, VPos::Centre),
                tsize,
                INK_SOFT,
            )?;
        }
        let asize = self.l.fonts.axis;
        self.text(
            xdesc,
            Anchor::new(
                p.x + p.w / 2,
                p.bottom() + tick + self.l.px(3.0) + (tsize * 1.15).round() as i32,
                HPos::Centre,
                VPos::Top,
            ),
            asize,
            INK,
        )?;
        let pb_x = p.x - self.l.px(crate::layout::LEFT_LABELS);
        self.text_rotated(ydesc, pb_x + self.l.px(2.0), p.y + p.h / 2, asize)?;
        Ok(())
    }

    /// Draws a raster: each occupied pixel as a `dot_w` x `dot_h` block centred
    /// on it, coloured by the mean score there and shaded by how many items
    /// landed there (pale = few, full colour = the most). Runs of equal blocks
    /// along a row are merged into one rectangle.
    fn raster(&mut self, ax: &Axes, r: &Raster, dot_w: i32, dot_h: i32) -> Result<(), PlotError> {
        let cmax = r.max_count().max(1) as f64;
        let colour_at = |k: usize| -> Option<RGBColor> {
            let n = r.count[k];
            if n == 0 {
                return None;
            }
            let mean = r.score_sum[k] / n as f64;
            // Shade in ten steps so that runs merge.
            let a = 0.3 + 0.7 * (n as f64 / cmax).sqrt();
            let a = (a * 10.0).round() / 10.0;
            Some(over_white(score_colour(mean), a))
        };
        let (ox, oy) = (ax.plot.x, ax.plot.y);
        let clip = |v: i32, lo: i32, hi: i32| v.clamp(lo, hi);
        for row in 0..r.h {
            let mut c = 0;
            while c < r.w {
                let Some(col) = colour_at(row * r.w + c) else {
                    c += 1;
                    continue;
                };
                let mut e = c + 1;
                while e < r.w && colour_at(row * r.w + e) == Some(col) {
                    e += 1;
                }
                let x0 = ox + c as i32 - (dot_w - 1) / 2;
                let x1 = ox + e as i32 - (dot_w - 1) / 2 + dot_w - 1;
                let y0 = oy + row as i32 - (dot_h - 1) / 2;
                let y1 = y0 + dot_h;
                self.rect(
                    clip(x0, ax.plot.x, ax.plot.right()),
                    clip(y0, ax.plot.y, ax.plot.bottom()),
                    clip(x1, ax.plot.x, ax.plot.right()),
                    clip(y1, ax.plot.y, ax.plot.bottom()),
                    col,
                )?;
                c = e;
            }
        }
        Ok(())
    }
}
