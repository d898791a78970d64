//! The picture's palette. The colours follow the original's description: grey
//! score bars, an orange floor line and orange usage circles, a blue probability
//! line, selection cells from blue (low score) to orange (high score).

use plotters::style::RGBColor;

/// Raw-score bars.
pub const GREY_BAR: RGBColor = RGBColor(160, 160, 160);
/// Floor line, usage circles, usage bars.
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
/// Probability line.
pub const BLUE: RGBColor = RGBColor(31, 119, 180);
/// The score at the end of the output, when the score's weights vary.
pub const SCORE_END: RGBColor = RGBColor(148, 103, 189);
/// Text and axes.
pub(crate) const INK: RGBColor = RGBColor(34, 34, 34);
/// Secondary text (tick labels, notes).
pub(crate) const INK_SOFT: RGBColor = RGBColor(85, 85, 85);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(228, 228, 228);
/// Plot frames.
pub(crate) const FRAME: RGBColor = RGBColor(150, 150, 150);
/// Uniform-mean line of the usage histogram.
pub const MEAN_LINE: RGBColor = RGBColor(40, 40, 40);
/// Usage histogram bars (the orange of the usage circles, lighter).
pub const USAGE_BAR: RGBColor = RGBColor(245, 160, 80);
/// Warnings in the stats panel.
pub(crate) const WARN: RGBColor = RGBColor(180, 40, 30);
/// Waveform envelopes (min/max) and their RMS band: input, output.
pub(crate) const WAVE_IN: (RGBColor, RGBColor) = (RGBColor(150, 170, 200), RGBColor(55, 85, 135));
pub(crate) const WAVE_OUT: (RGBColor, RGBColor) = (RGBColor(140, 195, 170), RGBColor(30, 115, 85));

/// Colour of a score in [0, 1] on the selection colour scale: blue (low)
/// through violet to orange (high). Values outside [0, 1] are clamped.
pub fn score_colour(s: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 3] = [
        (0.0, [31.0, 119.0, 180.0]),
        (0.5, [148.0, 103.0, 189.0]),
        (1.0, [255.0, 127.0, 14.0]),
    ];
    let s = if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b) = if s <= STOPS[1].0 {
        (STOPS[0], STOPS[1])
    } else {
        (STOPS[1], STOPS[2])
    };
    let f = (s - a.0) / (b.0 - a.0);
    let c = |k: usize| (a.1[k] + f * (b.1[k] - a.1[k])).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

/// `c` mixed with white: `a` = 1 gives `c`, 0 gives white.
pub(crate) fn over_white(c: RGBColor, a: f64) -> RGBColor {
    let a = a.clamp(0.0, 1.0);
    let m = |v: u8| (255.0 - a * (255.0 - v as f64)).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// The colours of the parameters over time (the selection panel's strip), by
/// id; none of them is on the score scale (blue, violet, orange).
pub const PARAM_COLOURS: [(&str, RGBColor); 9] = [
    ("grain_ms", RGBColor(44, 160, 44)),
    ("hop_ms", RGBColor(140, 86, 75)),
    ("alpha", RGBColor(214, 39, 40)),
    ("floor_db", RGBColor(23, 190, 207)),
    ("time_jitter_ms", RGBColor(188, 189, 34)),
    ("pitch_jitter_st", RGBColor(227, 119, 194)),
    ("pitch_st", RGBColor(170, 110, 0)),
    ("recency", RGBColor(0, 128, 128)),
    ("wet", RGBColor(90, 90, 90)),
];

/// The strip colour of parameter `id` (dark grey for an id not in
/// [`PARAM_COLOURS`]).
pub fn param_colour(id: &str) -> RGBColor {
    PARAM_COLOURS
        .iter()
        .find(|(k, _)| *k == id)
        .map_or(RGBColor(60, 60, 60), |(_, c)| *c)
}
