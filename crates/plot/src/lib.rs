//! gar-plot: the six-panel picture of a run (docs/algorithm.md, section 11), as PNG or SVG.
//!
//! The picture reads the engine's data and recomputes none of it: the analysis,
//! the attention and the plan come from [`gar_core::Prepared`], the usage counts
//! and the most-used grain from [`gar_core::Report`].
//!
//! Panels, read row by row: 1 input waveform, 2 output waveform (or, for a run
//! that was not rendered, the plan: which source time plays at which output
//! time), 3 score landscape, 4 selection sequence, 5 usage histogram, 6 stats.
//! A title line names the preset, the source and the key parameters.
//!
//! Parameters over time (docs/algorithm.md, section 12): when some parameter
//! varies (`plan.values`), panel 4 gains a thin strip above the grains, on the
//! same hop axis: one curve per varying parameter, each scaled to its own
//! min..max over the run (alpha on a log scale), in its own colour
//! ([`PARAM_COLOURS`]), with a legend naming its range and unit (`alpha 25 → 2
//! (log)`). The strip is reduced to one extent per pixel column, like the
//! waveforms. The title and the stats write a varying parameter as its
//! envelope (`alpha 25..2`), a parameter without a stats row of its own gets
//! one, and alpha solved from a varying diversity reads `3.09 → 1780, solved
//! for diversity 60..5 %`. A run where nothing varies draws exactly the
//! picture it drew before (same bytes).
//!
//! It scales: waveforms are drawn as one min/max (and RMS) envelope per pixel
//! column, computed in one parallel pass over the samples; with more candidates
//! than pixel columns the bars show each column's maximum; with more hops than
//! pixel columns the selection panel becomes a density raster of all hops.
//!
//! No system library and no system font: text is drawn with DejaVu Sans,
//! embedded in the library (see `assets/DejaVuSans-LICENSE.txt`), PNG encoding
//! is pure Rust. Geometry is public ([`layout`], [`figure_axes`]) so that tests
//! can find each drawn element at its pixel.

mod colour;
mod data;
mod draw;
mod geom;
mod layout;
mod strip;
mod text;

pub use colour::{
    BLUE, GREY_BAR, MEAN_LINE, ORANGE, PARAM_COLOURS, SCORE_END, USAGE_BAR, param_colour,
    score_colour,
};
pub use geom::{Axes, Rect};
pub use layout::{
    BAR_FILL, FigureAxes, Fonts, Layout, Panel, PanelBox, ParamStrip, figure_axes, layout,
};
pub use strip::{ParamCurve, param_curves};

use gar_core::SampleBuf;
use plotters::prelude::*;
use std::path::Path;

/// What a picture shows: one run, prepared (and maybe rendered).
#[derive(Clone, Copy, Debug)]
pub struct PlotInput<'a> {
    /// Settings, analysis, attention, plan and seed of the run.
    pub prepared: &'a gar_core::Prepared,
    /// The run's report: usage counts, unique grains, the most-used grain.
    pub report: &'a gar_core::Report,
    /// Source channels, planar, equal lengths.
    pub input: &'a [&'a [f32]],
    /// Rendered output channels; `None` when the run was not rendered (`gar analyze`).
    pub output: Option<&'a [SampleBuf]>,
    /// File name of the source, for the title.
    pub source_name: &'a str,
}

/// Picture file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    Png,
    Svg,
}

impl PlotFormat {
    /// The format named by a path's extension, `.png` or `.svg` (any case).
    pub fn from_path(p: &Path) -> Option<PlotFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(PlotFormat::Png),
            "svg" => Some(PlotFormat::Svg),
            _ => None,
        }
    }
}

/// Default picture size, pixels (width, height).
pub const DEFAULT_SIZE: (u32, u32) = (1600, 1000);
/// Smallest allowed width or height, pixels.
pub const MIN_SIDE: u32 = 320;
/// Largest allowed width or height, pixels.
pub const MAX_SIDE: u32 = 10_000;

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// `--plot-size` text that is not `WIDTHxHEIGHT`.
    #[error("plot size must be WIDTHxHEIGHT in pixels, e.g. 1600x1000, got {given:?} ({reason})")]
    BadSize { given: String, reason: String },
    /// A width or height outside [`MIN_SIDE`]..=[`MAX_SIDE`].
    #[error(
        "plot size {width}x{height} is out of range: width and height must each be {min}..={max} pixels"
    )]
    SizeOutOfRange {
        width: u32,
        height: u32,
        min: u32,
        max: u32,
    },
    /// The data handed to the picture does not fit together.
    #[error("cannot draw the picture: {0}")]
    InvalidInput(String),
    /// The embedded font could not be read (a build defect).
    #[error("the embedded font (DejaVu Sans) could not be loaded")]
    Font,
    /// The drawing backend failed.
    #[error("drawing the picture failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("encoding the PNG failed: {0}")]
    Encode(String),
}

/// Parses a picture size `WIDTHxHEIGHT` (`x` or `X`, e.g. `1600x1000`); each side
/// must be [`MIN_SIDE`]..=[`MAX_SIDE`] pixels.
pub fn parse_size(s: &str) -> Result<(u32, u32), PlotError> {
    let bad = |reason: &str| PlotError::BadSize {
        given: s.to_string(),
        reason: reason.to_string(),
    };
    let t = s.trim();
    let (w, h) = t
        .split_once(['x', 'X'])
        .ok_or_else(|| bad("no 'x' between width and height"))?;
    let side = |v: &str, name: &str| -> Result<u32, PlotError> {
        let v = v.trim();
        if v.is_empty() {
            return Err(bad(&format!("the {name} is missing")));
        }
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("the {name} {v:?} is not a whole number")));
        }
        // Digits only: the only possible failure is overflow, which is out of range.
        Ok(v.parse::<u32>().unwrap_or(u32::MAX))
    };
    let (w, h) = (side(w, "width")?, side(h, "height")?);
    check_size(w, h)?;
    Ok((w, h))
}

fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    let ok = |v: u32| (MIN_SIDE..=MAX_SIDE).contains(&v);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(PlotError::SizeOutOfRange {
            width,
            height,
            min: MIN_SIDE,
            max: MAX_SIDE,
        })
    }
}

/// Renders the picture as PNG bytes (8-bit RGB), `width` x `height` pixels.
pub fn render_png(inp: &PlotInput, width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    check_size(width, height)?;
    text::check_font()?;
    let scene = draw::Scene::new(inp, width, height)?;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let mut backend = BitMapBackend::with_buffer(&mut rgb, (width, height));
        scene.draw(&mut backend, true)?;
        backend
            .present()
            .map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    encode_png(&rgb, width, height)
}

/// Renders the picture as an SVG document, `width` x `height` pixels. It carries
/// the same content as the PNG (text stays text).
pub fn render_svg(inp: &PlotInput, width: u32, height: u32) -> Result<String, PlotError> {
    check_size(width, height)?;
    text::check_font()?;
    let scene = draw::Scene::new(inp, width, height)?;
    let mut svg = String::new();
    {
        let mut backend = SVGBackend::with_string(&mut svg, (width, height));
        scene.draw(&mut backend, false)?;
        backend
            .present()
            .map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    Ok(svg)
}

/// Renders the picture in `fmt`: PNG bytes or the SVG text's UTF-8 bytes.
pub fn render(
    inp: &PlotInput,
    fmt: PlotFormat,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, PlotError> {
    match fmt {
        PlotFormat::Png => render_png(inp, width, height),
        PlotFormat::Svg => render_svg(inp, width, height).map(String::into_bytes),
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.finish().map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_size_accepts_and_rejects() {
        assert_eq!(parse_size("1600x1000").unwrap(), (1600, 1000));
        assert_eq!(parse_size(" 800X600 ").unwrap(), (800, 600));
        assert_eq!(parse_size("320x10000").unwrap(), (320, 10000));
        for bad in [
            "",
            "1600",
            "x1000",
            "1600x",
            "16OOx1000",
            "-5x100",
            "1.5x100",
        ] {
            let e = parse_size(bad).unwrap_err();
            assert!(matches!(e, PlotError::BadSize { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("WIDTHxHEIGHT"), "{e}");
        }
        for out in ["319x1000", "1600x10001", "99999999999x500", "0x0"] {
            let e = parse_size(out).unwrap_err();
            assert!(matches!(e, PlotError::SizeOutOfRange { .. }), "{out}: {e}");
            assert!(e.to_string().contains("320..=10000"), "{e}");
        }
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(
            PlotFormat::from_path(Path::new("a/b.PNG")),
            Some(PlotFormat::Png)
        );
        assert_eq!(
            PlotFormat::from_path(Path::new("x.svg")),
            Some(PlotFormat::Svg)
        );
        assert_eq!(
            PlotFormat::from_path(Path::new("x.Svg")),
            Some(PlotFormat::Svg)
        );
        assert_eq!(PlotFormat::from_path(Path::new("x.pdf")), None);
        assert_eq!(PlotFormat::from_path(Path::new("png")), None);
    }
}
