//! Text with the embedded DejaVu Sans: measuring (for layout, both formats) and
//! rasterising (PNG). The SVG keeps text as `<text>` elements.
//!
//! Sizes follow plotters' convention: a font "size" `s` is drawn with an em of
//! `s / 1.24` pixels (that is the `font-size` plotters writes into SVG), and the
//! vertical anchors are the ones plotters writes into SVG (`dy`: top 0.76 em,
//! centre 0.5 ex from the baseline), so that a PNG and an SVG
//! of the same picture put their text in the same place.
//!
//! gar does its own rasterising rather than plotters' `ab_glyph` text: that
//! one drops each glyph's left side bearing and truncates glyph positions to
//! whole pixels, which makes uneven letter spacing ("441 00").

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

use crate::PlotError;

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Family name written into the SVG: DejaVu Sans where the viewer has it.
pub(crate) const SVG_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// plotters' ratio of a font size to its em (see the module doc).
const SIZE_PER_EM: f64 = 1.24;

fn font() -> Result<&'static FontRef<'static>, PlotError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
        .ok_or(PlotError::Font)
}

/// Loads the embedded font (once); an error means the build is broken.
pub(crate) fn check_font() -> Result<(), PlotError> {
    font().map(|_| ())
}

/// Horizontal anchor of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HAlign {
    Left,
    Centre,
    Right,
}

/// Vertical anchor of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VAlign {
    Top,
    Centre,
}

/// Where a text goes: the anchor pixel (`x`, `y`) and how the text sits on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub x: i32,
    pub y: i32,
    pub h: HAlign,
    pub v: VAlign,
}

impl Anchor {
    pub fn new(x: i32, y: i32, h: HAlign, v: VAlign) -> Anchor {
        Anchor { x, y, h, v }
    }
    /// The text starts at column `x`, its x-height centred on row `y`.
    pub fn left(x: i32, y: i32) -> Anchor {
        Anchor::new(x, y, HAlign::Left, VAlign::Centre)
    }
}

struct Scaled {
    font: &'static FontRef<'static>,
    scale: PxScale,
    em: f32,
}

fn scaled(size: f64) -> Result<Scaled, PlotError> {
    let font = font()?;
    let em = (size / SIZE_PER_EM) as f32;
    let upem = font.units_per_em().unwrap_or(2048.0);
    // ab_glyph's scale is the pixel height of ascent - descent.
    let scale = PxScale::from(em * font.height_unscaled() / upem);
    Ok(Scaled { font, scale, em })
}

/// Caret positions (pixels from the text's start) of each glyph, and the
/// total advance.
fn shape(s: &Scaled, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let f = s.font.as_scaled(s.scale);
    let mut caret = 0f32;
    let mut prev: Option<GlyphId> = None;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        out.push((id, caret));
        caret += f.h_advance(id);
        prev = Some(id);
    }
    (out, caret)
}

/// Width of `text` at font size `size`, pixels.
pub(crate) fn width(text: &str, size: f64) -> Result<f64, PlotError> {
    let s = scaled(size)?;
    Ok(shape(&s, text).1 as f64)
}

/// Rasterises `text` at `at`; `rotated` turns it a quarter to read bottom to
/// top (the anchor rotates with it). Calls `put(px, py, coverage)` for every
/// covered pixel.
pub(crate) fn rasterise(
    text: &str,
    size: f64,
    at: Anchor,
    rotated: bool,
    mut put: impl FnMut(i32, i32, f32),
) -> Result<(), PlotError> {
    let Anchor { x, y, h, v } = at;
    let s = scaled(size)?;
    let (glyphs, total) = shape(&s, text);
    let dx = match h {
        HAlign::Left => 0.0,
        HAlign::Centre => -total / 2.0,
        HAlign::Right => -total,
    };
    // DejaVu Sans' x-height: 1120 of 2048 units per em.
    let x_height = 1120.0 / 2048.0 * s.em;
    let baseline = match v {
        VAlign::Top => 0.76 * s.em,
        VAlign::Centre => 0.5 * x_height,
    };
    for (id, caret) in glyphs {
        let g = id.with_scale_and_position(s.scale, point(dx + caret, baseline));
        let Some(og) = s.font.outline_glyph(g) else {
            continue;
        };
        let b = og.px_bounds();
        let (bx, by) = (b.min.x as i32, b.min.y as i32);
        og.draw(|gx, gy, c| {
            if c <= 0.0 {
                return;
            }
            let (u, w) = (bx + gx as i32, by + gy as i32);
            // Rotation by 270 degrees (screen coordinates): (u, w) -> (w, -u).
            let (px, py) = if rotated {
                (x + w, y - u)
            } else {
                (x + u, y + w)
            };
            put(px, py, c.min(1.0));
        });
    }
    Ok(())
}
