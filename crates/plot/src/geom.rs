//! Pixel geometry shared by the layout, the data reductions and the drawing:
//! rectangles ([`Rect`]) and the mapping between data values and pixels
//! ([`Axes`]). It depends on nothing else in the crate.

/// A pixel rectangle: columns `x .. x + w`, rows `y .. y + h` (end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    /// First column past the rectangle.
    pub fn right(&self) -> i32 {
        self.x + self.w
    }
    /// First row past the rectangle.
    pub fn bottom(&self) -> i32 {
        self.y + self.h
    }
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }
}

/// A panel's data ranges and the mapping from data to pixels. The first value
/// of a range maps to the plotting area's first column (or last row for y),
/// the second to its last column (first row).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axes {
    pub plot: Rect,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Axes {
    /// Pixel column (fractional) of data value `v`.
    pub fn x_px(&self, v: f64) -> f64 {
        let span = self.x.1 - self.x.0;
        let f = if span > 0.0 {
            (v - self.x.0) / span
        } else {
            0.5
        };
        self.plot.x as f64 + f * (self.plot.w - 1) as f64
    }
    /// Pixel row (fractional) of data value `v`.
    pub fn y_px(&self, v: f64) -> f64 {
        let span = self.y.1 - self.y.0;
        let f = if span > 0.0 {
            (v - self.y.0) / span
        } else {
            0.5
        };
        (self.plot.bottom() - 1) as f64 - f * (self.plot.h - 1) as f64
    }
    /// Data value at the (fractional) pixel column `px`.
    pub fn x_value(&self, px: f64) -> f64 {
        let f = (px - self.plot.x as f64) / (self.plot.w - 1).max(1) as f64;
        self.x.0 + f * (self.x.1 - self.x.0)
    }
    /// The pixel (rounded) of a data point.
    pub fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (self.x_px(x).round() as i32, self.y_px(y).round() as i32)
    }
    /// Rounded pixel column of `v`, clamped into the plotting area.
    pub fn col(&self, v: f64) -> i32 {
        (self.x_px(v).round() as i32).clamp(self.plot.x, self.plot.right() - 1)
    }
    /// Rounded pixel row of `v`, clamped into the plotting area.
    pub fn row(&self, v: f64) -> i32 {
        (self.y_px(v).round() as i32).clamp(self.plot.y, self.plot.bottom() - 1)
    }
}
