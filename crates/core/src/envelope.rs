//! Envelopes: a parameter's value over the output's time (docs/algorithm.md,
//! section 12).
//!
//! One grammar for flag values, params files and the report:
//!
//! | text                  | meaning                                                        |
//! |-----------------------|----------------------------------------------------------------|
//! | `12`                  | a constant                                                     |
//! | `25..2`               | 25 at the start of the output to 2 at its end, linearly        |
//! | `25..2@exp`           | the same with a shape                                          |
//! | `0:25, 0.4:25, 1:2`   | breakpoints `TIME:VALUE`                                       |
//! | `0:-6, 10s:+6@step`   | times in seconds (`10s`) or milliseconds (`1500ms`)            |
//! | `0:1, 1:40@exp`       | the shape of the segment that ends at a point                  |
//!
//! ```text
//! envelope := NUMBER | NUMBER ".." NUMBER [ "@" SHAPE ] | point { "," point }
//! point    := TIME ":" NUMBER [ "@" SHAPE ]
//! TIME     := NUMBER            a fraction of the output duration, 0..1
//!           | NUMBER "s"        seconds from the start of the output, >= 0
//!           | NUMBER "ms"       milliseconds from the start of the output, >= 0
//! SHAPE    := lin | exp | step | smooth
//! NUMBER   := a finite decimal such as 12, -6, +6, 0.5, .5 or 1e-3
//! ```
//!
//! Whitespace around every token is optional. Times strictly increase; within
//! one unit that is checked by [`Envelope::parse`], and a mixture of fractions
//! and seconds is checked by [`Envelope::resolve`], which knows the duration.
//! Values carry the unit of the parameter they describe (alpha has none,
//! `floor_db` is in dB, `grain_ms` in ms, and so on): an envelope itself is
//! unitless in value, and measures time in seconds or in fractions of the
//! output duration.
//!
//! Shapes (the shape of the segment from the previous point `(t0, v0)` to the
//! point `(t1, v1)` that carries it, with `u = (t - t0) / (t1 - t0)`):
//! - `lin` (the default): `v0 + (v1 - v0) u`;
//! - `exp`: geometric, `v0 (v1 / v0)^u`; both values must be > 0;
//! - `step`: `v0` until `t1`, `v1` at and after it;
//! - `smooth`: a raised-cosine ease, `v0 + (v1 - v0) (1 - cos(pi u)) / 2`.
//!
//! Before the first point and after the last the value holds; at a breakpoint
//! the value is exactly the breakpoint's. An envelope whose values are all
//! equal *is* that constant (its times and shapes no longer matter, so they
//! are dropped): `0:5, 1:5` is `5`.
//!
//! A malformed envelope is an [`EnvelopeError`] that quotes the bad part and
//! shows a correct example.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A breakpoint's time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Time {
    /// A fraction of the output duration, 0..1 (written `0.5`).
    Fraction(f64),
    /// Seconds from the start of the output, >= 0 (written `10s`, or `1500ms`
    /// for 1.5 s).
    Seconds(f64),
}

impl Time {
    /// The time in seconds for an output of `duration_s` seconds.
    pub fn seconds(self, duration_s: f64) -> f64 {
        match self {
            Time::Fraction(f) => f * duration_s,
            Time::Seconds(s) => s,
        }
    }

    fn raw(self) -> f64 {
        match self {
            Time::Fraction(v) | Time::Seconds(v) => v,
        }
    }
}

impl fmt::Display for Time {
    /// `0.5` for a fraction, `10s` for seconds (milliseconds are written as
    /// seconds: `1500ms` is shown as `1.5s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Time::Fraction(v) => f.write_str(&num(v)),
            Time::Seconds(v) => write!(f, "{}s", num(v)),
        }
    }
}

/// The shape of the segment that ends at a breakpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Linear (the default; written without a suffix, or `@lin`).
    #[default]
    Lin,
    /// Geometric (`@exp`): both ends of the segment must be > 0.
    Exp,
    /// Hold the previous value, jump at the point (`@step`).
    Step,
    /// Raised-cosine ease (`@smooth`).
    Smooth,
}

impl Shape {
    /// Every shape, in the order of the grammar.
    pub const ALL: [Shape; 4] = [Shape::Lin, Shape::Exp, Shape::Step, Shape::Smooth];

    /// The name written after `@`.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Lin => "lin",
            Shape::Exp => "exp",
            Shape::Step => "step",
            Shape::Smooth => "smooth",
        }
    }

    fn from_name(s: &str) -> Option<Shape> {
        Shape::ALL
            .into_iter()
            .find(|sh| sh.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One breakpoint: at `time` the value is `value`, reached from the previous
/// point along `shape`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub time: Time,
    /// In the unit of the parameter.
    pub value: f64,
    /// The shape of the segment that ends here (ignored for the first point,
    /// which must be [`Shape::Lin`]).
    pub shape: Shape,
}

impl fmt::Display for Point {
    /// `TIME:VALUE` with `@SHAPE` unless the shape is linear.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.time, num(self.value))?;
        if self.shape != Shape::Lin {
            write!(f, "@{}", self.shape)?;
        }
        Ok(())
    }
}

/// A parameter's value over the output's time: a constant or breakpoints (see
/// the [module documentation](self) for the grammar).
///
/// Invariants: at least one point; values finite; fractions in `[0, 1]`,
/// seconds `>= 0`, times strictly increasing within each unit; the first point
/// linear; both ends of every `@exp` segment `> 0`; a constant (all values
/// equal) is the single point `0:VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    points: Vec<Point>,
}

impl Envelope {
    /// The constant `v`.
    ///
    /// # Panics
    /// If `v` is not finite (use [`Envelope::parse`] or
    /// [`Envelope::from_points`] for values from a user).
    pub fn constant(v: f64) -> Envelope {
        assert!(v.is_finite(), "an envelope value must be finite, got {v}");
        Envelope {
            points: vec![Point {
                time: Time::Fraction(0.0),
                value: v,
                shape: Shape::Lin,
            }],
        }
    }

    /// Parses the grammar of the [module documentation](self).
    pub fn parse(text: &str) -> Result<Envelope, EnvelopeError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(EnvelopeError::new(
                ErrorKind::Empty,
                text,
                "",
                format!("empty envelope: expected {EXAMPLES}"),
            ));
        }
        if s.contains(':') {
            return parse_points(text);
        }
        if s.contains("..") {
            return parse_range(text, s);
        }
        match parse_num(s) {
            Some(v) if v.is_finite() => Ok(Envelope::constant(v)),
            Some(_) => Err(not_finite(text, s)),
            None => Err(EnvelopeError::new(
                ErrorKind::BadSyntax,
                text,
                s,
                format!("bad envelope \"{text}\": expected {EXAMPLES}"),
            )),
        }
    }

    /// An envelope from breakpoints, checked like parsed text (the errors
    /// quote the points as [`Point`]'s `Display` writes them).
    pub fn from_points(points: Vec<Point>) -> Result<Envelope, EnvelopeError> {
        if points.is_empty() {
            return Err(EnvelopeError::new(
                ErrorKind::Empty,
                "",
                "",
                format!("empty envelope: expected {EXAMPLES}"),
            ));
        }
        let input = join(&points);
        let texts: Vec<String> = points.iter().map(|p| p.to_string()).collect();
        for k in 0..points.len() {
            check_point(&input, &points[..k], &texts[..k], &points[k], &texts[k])?;
        }
        Ok(Envelope::canonical(points))
    }

    /// The breakpoints (one, at time 0, for a constant).
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Whether the value is the same at every time.
    pub fn is_constant(&self) -> bool {
        self.points.len() == 1
    }

    /// The value, if it is the same at every time.
    pub fn constant_value(&self) -> Option<f64> {
        self.is_constant().then(|| self.points[0].value)
    }

    /// The smallest breakpoint value; every shape stays between its two end
    /// values, so this is also the smallest value at any time.
    pub fn min_value(&self) -> f64 {
        self.points
            .iter()
            .map(|p| p.value)
            .fold(f64::INFINITY, f64::min)
    }

    /// The largest breakpoint value, which is the largest value at any time.
    pub fn max_value(&self) -> f64 {
        self.points
            .iter()
            .map(|p| p.value)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The same times and shapes with every breakpoint value replaced by
    /// `f(value)` (e.g. a parameter's clamp, applied to each point as to a
    /// constant). An `@exp` segment whose new ends are not both > 0 becomes
    /// linear; if all new values are equal the result is that constant.
    ///
    /// # Panics
    /// If `f` returns a non-finite number (see [`Envelope::try_map_values`]).
    pub fn map_values(&self, f: impl FnMut(f64) -> f64) -> Envelope {
        match self.try_map_values(f) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Envelope::map_values`], with an error instead of a panic when `f`
    /// returns a non-finite number.
    pub fn try_map_values(&self, mut f: impl FnMut(f64) -> f64) -> Result<Envelope, EnvelopeError> {
        let mut points = self.points.clone();
        for p in &mut points {
            let v = f(p.value);
            if !v.is_finite() {
                let part = num(v);
                return Err(EnvelopeError::new(
                    ErrorKind::NotFinite,
                    self.to_string(),
                    part.clone(),
                    format!(
                        "the value '{part}' given for breakpoint '{p}' of \"{self}\" is not a finite number"
                    ),
                ));
            }
            p.value = v;
        }
        for k in 1..points.len() {
            if points[k].shape == Shape::Exp
                && !(points[k - 1].value > 0.0 && points[k].value > 0.0)
            {
                points[k].shape = Shape::Lin;
            }
        }
        Ok(Envelope::canonical(points))
    }

    /// Places the envelope on an output of `duration_s` seconds: every time
    /// in seconds, checked to increase strictly (a mixture of fractions and
    /// seconds can only be checked here).
    pub fn resolve(&self, duration_s: f64) -> Result<ResolvedEnvelope, EnvelopeError> {
        if !(duration_s.is_finite() && duration_s > 0.0) {
            let part = num(duration_s);
            return Err(EnvelopeError::new(
                ErrorKind::BadDuration,
                self.to_string(),
                part.clone(),
                format!(
                    "cannot place \"{self}\" on an output of {part} s: the duration must be a finite number > 0 s"
                ),
            ));
        }
        let mut times = Vec::with_capacity(self.points.len());
        for (k, p) in self.points.iter().enumerate() {
            let t = p.time.seconds(duration_s);
            if k > 0 && t <= times[k - 1] {
                let q = &self.points[k - 1];
                let part = p.to_string();
                return Err(EnvelopeError::new(
                    ErrorKind::NotIncreasing,
                    self.to_string(),
                    part.clone(),
                    format!(
                        "times must increase: '{part}' (at {} s) comes after '{q}' (at {} s) in \"{self}\" on an output of {} s; write the points in time order, like 0:1, 10s:3, 1:2 on a 60 s output",
                        short(t),
                        short(times[k - 1]),
                        short(duration_s)
                    ),
                ));
            }
            times.push(t);
        }
        let values = self.points.iter().map(|p| p.value).collect();
        let shapes = self.points.iter().map(|p| p.shape).collect();
        Ok(ResolvedEnvelope {
            times,
            values,
            shapes,
            duration_s,
        })
    }

    /// Collapses equal values to a constant (the points are valid).
    fn canonical(points: Vec<Point>) -> Envelope {
        let v0 = points[0].value;
        if points.iter().all(|p| p.value == v0) {
            Envelope::constant(v0)
        } else {
            Envelope { points }
        }
    }
}

impl fmt::Display for Envelope {
    /// The canonical text: `12` for a constant, `25..2` (or `25..2@exp`) for
    /// two points at 0 and 1, and `0:25, 0.4:25, 10s:2@step` otherwise.
    /// [`Envelope::parse`] gives back an equal envelope.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.points.as_slice() {
            [p] => f.write_str(&num(p.value)),
            [a, b] if a.time == Time::Fraction(0.0) && b.time == Time::Fraction(1.0) => {
                write!(f, "{}..{}", num(a.value), num(b.value))?;
                if b.shape != Shape::Lin {
                    write!(f, "@{}", b.shape)?;
                }
                Ok(())
            }
            ps => f.write_str(&join(ps)),
        }
    }
}

impl FromStr for Envelope {
    type Err = EnvelopeError;

    fn from_str(s: &str) -> Result<Envelope, EnvelopeError> {
        Envelope::parse(s)
    }
}

impl From<f64> for Envelope {
    /// [`Envelope::constant`] (panics if `v` is not finite).
    fn from(v: f64) -> Envelope {
        Envelope::constant(v)
    }
}

/// An [`Envelope`] placed on an output of known duration: times in seconds,
/// strictly increasing. Evaluate with [`ResolvedEnvelope::value_at`] (binary
/// search, O(log points)) or, for times that increase, a [`Cursor`] (O(1)
/// amortised).
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedEnvelope {
    times: Vec<f64>,
    values: Vec<f64>,
    shapes: Vec<Shape>,
    duration_s: f64,
}

impl ResolvedEnvelope {
    /// The breakpoint times, seconds from the start of the output.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The breakpoint values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The shape of the segment ending at each breakpoint.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// The output duration it was resolved for, seconds.
    pub fn duration_s(&self) -> f64 {
        self.duration_s
    }

    /// The value, if it is the same at every time.
    pub fn constant_value(&self) -> Option<f64> {
        (self.values.len() == 1).then(|| self.values[0])
    }

    /// The value at `t_seconds` from the start of the output: held before the
    /// first point and after the last, exactly the breakpoint's value at a
    /// breakpoint, the segment's shape in between. A NaN time gives the first
    /// value.
    pub fn value_at(&self, t_seconds: f64) -> f64 {
        let ts = &self.times;
        let n = ts.len();
        if n == 1 || t_seconds.is_nan() || t_seconds <= ts[0] {
            return self.values[0];
        }
        if t_seconds >= ts[n - 1] {
            return self.values[n - 1];
        }
        // The first point after t: 1..n-1, since t0 < t < t_last.
        let i = ts.partition_point(|&x| x <= t_seconds);
        self.segment(i, t_seconds)
    }

    /// `out[k] = scale * value(t_k)` at the frames `t_k = (start + k) / sample_rate`:
    /// the value of every frame of a block, one segment at a time, without
    /// a search or a division per frame (a linear segment is a multiply-add,
    /// which vectorises). Within rounding of [`ResolvedEnvelope::value_at`]
    /// at the same times.
    pub fn fill_frames(&self, start: usize, sample_rate: u32, scale: f64, out: &mut [f32]) {
        let inv_sr = 1.0 / sample_rate as f64;
        let ts = &self.times;
        let n = ts.len();
        let frame_of = |t: f64| (t * sample_rate as f64).ceil().max(0.0) as usize;
        let mut k = 0;
        while k < out.len() {
            let f = start + k;
            let t = f as f64 * inv_sr;
            // The segment holding t: before the first point, after the last,
            // or point i - 1 .. point i.
            let i = ts.partition_point(|&x| x <= t);
            if n == 1 || i == 0 || i >= n {
                let v = (scale
                    * if i == 0 {
                        self.values[0]
                    } else {
                        self.values[n - 1]
                    }) as f32;
                let end = if i == 0 && n > 1 {
                    frame_of(ts[0]).max(f + 1) - start
                } else {
                    out.len()
                };
                let end = end.min(out.len());
                out[k..end].fill(v);
                k = end;
                continue;
            }
            // Frames of this segment: up to the first frame at or after t_i.
            let end = (frame_of(ts[i]).max(f + 1) - start).min(out.len());
            let (t0, t1) = (ts[i - 1], ts[i]);
            let (v0, v1) = (self.values[i - 1], self.values[i]);
            let du = inv_sr / (t1 - t0);
            let u0 = (t - t0) / (t1 - t0);
            let seg = &mut out[k..end];
            match self.shapes[i] {
                Shape::Lin => {
                    let (a, b) = (scale * v0, scale * (v1 - v0));
                    for (j, o) in seg.iter_mut().enumerate() {
                        *o = (a + b * (u0 + j as f64 * du)) as f32;
                    }
                }
                Shape::Step => seg.fill((scale * v0) as f32),
                Shape::Exp => {
                    let r = (v1 / v0).ln();
                    for (j, o) in seg.iter_mut().enumerate() {
                        *o = (scale * v0 * (r * (u0 + j as f64 * du)).exp()) as f32;
                    }
                }
                Shape::Smooth => {
                    for (j, o) in seg.iter_mut().enumerate() {
                        let u = u0 + j as f64 * du;
                        let e = (1.0 - (std::f64::consts::PI * u).cos()) / 2.0;
                        *o = (scale * (v0 + (v1 - v0) * e)) as f32;
                    }
                }
            }
            k = end;
        }
    }

    /// A cursor for evaluating at times that increase (any order is correct,
    /// increasing is fast). It gives exactly [`ResolvedEnvelope::value_at`].
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor { env: self, next: 0 }
    }

    /// The value at `t` inside segment `i` (from point `i - 1` to point `i`),
    /// `times[i - 1] <= t < times[i]`.
    #[inline]
    fn segment(&self, i: usize, t: f64) -> f64 {
        let (t0, t1) = (self.times[i - 1], self.times[i]);
        let (v0, v1) = (self.values[i - 1], self.values[i]);
        let u = (t - t0) / (t1 - t0);
        match self.shapes[i] {
            Shape::Lin => v0 + (v1 - v0) * u,
            Shape::Exp => v0 * (v1 / v0).powf(u),
            Shape::Step => v0,
            Shape::Smooth => v0 + (v1 - v0) * (1.0 - (std::f64::consts::PI * u).cos()) / 2.0,
        }
    }
}

/// Evaluates a [`ResolvedEnvelope`] at times that mostly increase (the
/// planner's hops): it remembers the segment of the last call, so a sweep
/// over `H` times costs `O(H + points)`. A time earlier than the last falls
/// back to a binary search. Values are bit-identical to
/// [`ResolvedEnvelope::value_at`].
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    env: &'a ResolvedEnvelope,
    /// The first point whose time is after the last time evaluated.
    next: usize,
}

impl Cursor<'_> {
    /// The value at `t_seconds` from the start of the output.
    pub fn value_at(&mut self, t_seconds: f64) -> f64 {
        let e = self.env;
        let ts = &e.times;
        let n = ts.len();
        if n == 1 || t_seconds.is_nan() || t_seconds <= ts[0] {
            return e.values[0];
        }
        let mut i = self.next;
        if i > 0 && ts[i - 1] > t_seconds {
            i = ts.partition_point(|&x| x <= t_seconds);
        } else {
            while i < n && ts[i] <= t_seconds {
                i += 1;
            }
        }
        self.next = i;
        if i == n {
            e.values[n - 1]
        } else {
            e.segment(i, t_seconds)
        }
    }
}

/// What went wrong in an envelope (see [`EnvelopeError::kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing written.
    Empty,
    /// Neither a number, a range nor breakpoints.
    BadSyntax,
    /// `FROM..TO` with a bad end, like `1..`.
    BadRange,
    /// Not `TIME:VALUE`, like `0.5` or `x:3`.
    BadBreakpoint,
    /// Nothing between two commas, or after the last.
    EmptyBreakpoint,
    /// NaN or infinity.
    NotFinite,
    /// A fraction outside `[0, 1]`.
    FractionOutOfRange,
    /// Negative seconds.
    NegativeTime,
    /// A shape other than `lin`, `exp`, `step`, `smooth`.
    UnknownShape,
    /// A shape other than `lin` on the first point (which ends no segment).
    ShapeOnFirstPoint,
    /// An `@exp` segment with an end `<= 0`.
    ExpNotPositive,
    /// Times that do not increase.
    NotIncreasing,
    /// [`Envelope::resolve`] on a duration that is not finite and > 0.
    BadDuration,
}

/// A malformed envelope: the message quotes the bad part and shows a correct
/// example, e.g. `bad breakpoint 'x:3' in "0:1, x:3": expected TIME:VALUE like
/// 0.5:12 or 10s:12`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeError {
    kind: ErrorKind,
    input: String,
    part: String,
    message: String,
}

impl EnvelopeError {
    fn new(
        kind: ErrorKind,
        input: impl Into<String>,
        part: impl Into<String>,
        message: String,
    ) -> EnvelopeError {
        EnvelopeError {
            kind,
            input: input.into(),
            part: part.into(),
            message,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The whole envelope as written (the canonical text of the points for
    /// [`Envelope::from_points`] and [`Envelope::resolve`]).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The bad part of [`EnvelopeError::input`] (empty for an empty envelope
    /// or breakpoint), for a UI to highlight.
    pub fn part(&self) -> &str {
        &self.part
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EnvelopeError {}

const EXAMPLES: &str =
    "a number like 12, a range like 25..2, or breakpoints like 0:25, 0.4:25, 1:2";
const POINT_EXAMPLE: &str = "expected TIME:VALUE like 0.5:12 or 10s:12";

/// The shortest text that parses back to exactly `v` (exponent form for very
/// small and very large magnitudes).
fn num(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e16).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Seconds for a message, to the microsecond: `370.35`, `5`.
fn short(v: f64) -> String {
    let t = format!("{v:.6}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn join(points: &[Point]) -> String {
    points
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A decimal number (also `inf` and `nan`, which the callers reject).
fn parse_num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn not_finite(input: &str, part: &str) -> EnvelopeError {
    EnvelopeError::new(
        ErrorKind::NotFinite,
        input,
        part,
        format!(
            "'{part}'{} is not a finite number: expected a number like 12, -6 or 1e-3",
            in_input(part, input)
        ),
    )
}

/// ` in "INPUT"` unless the part is the whole input.
fn in_input(part: &str, input: &str) -> String {
    if part.trim() == input.trim() {
        String::new()
    } else {
        format!(" in \"{input}\"")
    }
}

/// Splits `TEXT@SHAPE`; the shape is checked.
fn split_shape<'a>(
    input: &str,
    item: &'a str,
    example: &str,
) -> Result<(&'a str, Shape, bool), EnvelopeError> {
    match item.split_once('@') {
        None => Ok((item, Shape::Lin, false)),
        Some((body, name)) => match Shape::from_name(name) {
            Some(sh) => Ok((body, sh, true)),
            None => {
                let item = item.trim();
                Err(EnvelopeError::new(
                    ErrorKind::UnknownShape,
                    input,
                    format!("@{}", name.trim()),
                    format!(
                        "unknown shape '@{}' in '{item}'{}: expected @lin, @exp, @step or @smooth, like {example}",
                        name.trim(),
                        in_input(item, input)
                    ),
                ))
            }
        },
    }
}

fn parse_range(input: &str, s: &str) -> Result<Envelope, EnvelopeError> {
    let bad = || {
        EnvelopeError::new(
            ErrorKind::BadRange,
            input,
            s,
            format!(
                "bad range '{s}'{}: expected FROM..TO like 25..2 or 25..2@exp",
                in_input(s, input)
            ),
        )
    };
    let (body, shape, _) = split_shape(input, s, "25..2@exp")?;
    let (a, b) = body.split_once("..").ok_or_else(bad)?;
    let (a, b) = (a.trim(), b.trim());
    // `1...2` would read as 1..0.2: refuse the guess.
    if a.ends_with('.') || b.starts_with('.') {
        return Err(bad());
    }
    let from = parse_num(a).ok_or_else(bad)?;
    let to = parse_num(b).ok_or_else(bad)?;
    if !from.is_finite() {
        return Err(not_finite(input, a));
    }
    if !to.is_finite() {
        return Err(not_finite(input, b));
    }
    if shape == Shape::Exp && !(from > 0.0 && to > 0.0) {
        return Err(EnvelopeError::new(
            ErrorKind::ExpNotPositive,
            input,
            s,
            format!(
                "'{s}'{}: @exp needs both ends > 0, but the range goes from {} to {}; use @lin, or a range like 25..2@exp",
                in_input(s, input),
                num(from),
                num(to)
            ),
        ));
    }
    Ok(Envelope::canonical(vec![
        Point {
            time: Time::Fraction(0.0),
            value: from,
            shape: Shape::Lin,
        },
        Point {
            time: Time::Fraction(1.0),
            value: to,
            shape,
        },
    ]))
}

/// `0.5` (a fraction), `10s` or `1500ms`; `None` when it is not a number.
fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    // `+ 0.0` turns a written -0 into 0.
    let t = if let Some(ms) = s.strip_suffix("ms") {
        parse_num(ms).map(|v| Time::Seconds(v / 1000.0))
    } else if let Some(sec) = s.strip_suffix('s') {
        parse_num(sec).map(Time::Seconds)
    } else {
        parse_num(s).map(Time::Fraction)
    };
    t.map(|t| match t {
        Time::Fraction(v) => Time::Fraction(v + 0.0),
        Time::Seconds(v) => Time::Seconds(v + 0.0),
    })
}

fn parse_points(input: &str) -> Result<Envelope, EnvelopeError> {
    let items: Vec<&str> = input.split(',').map(str::trim).collect();
    let mut points: Vec<Point> = Vec::with_capacity(items.len());
    let mut texts: Vec<String> = Vec::with_capacity(items.len());
    for (k, &item) in items.iter().enumerate() {
        if item.is_empty() {
            let where_ = match k {
                0 => "before the first ','".to_string(),
                _ if k == items.len() - 1 => format!("after '{}' at the end", items[k - 1]),
                _ => format!("between '{}' and '{}'", items[k - 1], items[k + 1]),
            };
            return Err(EnvelopeError::new(
                ErrorKind::EmptyBreakpoint,
                input,
                "",
                format!(
                    "empty breakpoint {where_} in \"{input}\": {POINT_EXAMPLE}, separated by commas like 0:1, 0.5:3, 1:2"
                ),
            ));
        }
        let bad = || {
            EnvelopeError::new(
                ErrorKind::BadBreakpoint,
                input,
                item,
                format!(
                    "bad breakpoint '{item}'{}: {POINT_EXAMPLE}",
                    in_input(item, input)
                ),
            )
        };
        let (body, shape, _) = split_shape(input, item, "0:1, 1:40@exp")?;
        let (t, v) = body.split_once(':').ok_or_else(bad)?;
        let time = parse_time(t).ok_or_else(bad)?;
        let value = parse_num(v).ok_or_else(bad)?;
        let p = Point { time, value, shape };
        // Report a non-finite number as written.
        if !time.raw().is_finite() {
            return Err(not_finite(input, t.trim()));
        }
        if !value.is_finite() {
            return Err(not_finite(input, v.trim()));
        }
        let text = item.to_string();
        check_point(input, &points, &texts, &p, &text)?;
        points.push(p);
        texts.push(text);
    }
    Ok(Envelope::canonical(points))
}

/// Checks point `p` (written `text`) after the valid points `prev` (written
/// `prev_texts`) of `input`.
fn check_point(
    input: &str,
    prev: &[Point],
    prev_texts: &[String],
    p: &Point,
    text: &str,
) -> Result<(), EnvelopeError> {
    let t = p.time.raw();
    let tpart = text.split(':').next().unwrap_or(text).trim();
    if !t.is_finite() {
        return Err(not_finite(input, tpart));
    }
    if !p.value.is_finite() {
        return Err(not_finite(input, &num(p.value)));
    }
    match p.time {
        Time::Fraction(f) if !(0.0..=1.0).contains(&f) => {
            return Err(EnvelopeError::new(
                ErrorKind::FractionOutOfRange,
                input,
                tpart,
                format!(
                    "time '{tpart}' of breakpoint '{text}'{} is outside 0..1: a bare time is a fraction of the output duration; write seconds with a unit, like {}s:{}",
                    in_input(text, input),
                    tpart,
                    num(p.value)
                ),
            ));
        }
        Time::Seconds(s) if s < 0.0 => {
            return Err(EnvelopeError::new(
                ErrorKind::NegativeTime,
                input,
                tpart,
                format!(
                    "time '{tpart}' of breakpoint '{text}'{} is before the start of the output: expected seconds >= 0 like 10s or 1500ms",
                    in_input(text, input)
                ),
            ));
        }
        _ => {}
    }
    let Some(last) = prev.last() else {
        if p.shape != Shape::Lin {
            return Err(EnvelopeError::new(
                ErrorKind::ShapeOnFirstPoint,
                input,
                text,
                format!(
                    "shape '@{}' on the first breakpoint '{text}'{}: a shape belongs to the point that ends a segment, like 0:1, 1:40@exp",
                    p.shape,
                    in_input(text, input)
                ),
            ));
        }
        return Ok(());
    };
    // Within one unit the order is known now; a time 0 is never after
    // anything; fractions against seconds wait for the duration.
    let same_unit = prev
        .iter()
        .rposition(|q| std::mem::discriminant(&q.time) == std::mem::discriminant(&p.time));
    let earlier = match same_unit {
        Some(j) if t <= prev[j].time.raw() => Some(j),
        _ if t == 0.0 => Some(prev.len() - 1),
        _ => None,
    };
    if let Some(j) = earlier {
        return Err(EnvelopeError::new(
            ErrorKind::NotIncreasing,
            input,
            text,
            format!(
                "times must increase: '{text}' comes after '{}' in \"{input}\"; write the points in time order, like 0:1, 0.5:3, 1:2",
                prev_texts[j]
            ),
        ));
    }
    if p.shape == Shape::Exp && !(last.value > 0.0 && p.value > 0.0) {
        return Err(EnvelopeError::new(
            ErrorKind::ExpNotPositive,
            input,
            text,
            format!(
                "'{text}' in \"{input}\": @exp needs both values > 0, but its segment goes from {} to {}; use @lin, or values like 0:1, 1:40@exp",
                num(last.value),
                num(p.value)
            ),
        ));
    }
    Ok(())
}

impl Serialize for Envelope {
    /// A number when constant, the canonical text otherwise.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.constant_value() {
            Some(v) => s.serialize_f64(v),
            None => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Envelope {
    /// From a number (a constant), a string in the grammar, or an array of
    /// `[time, value]` / `[time, value, "shape"]` where the time is a number
    /// (a fraction) or a string like `"10s"` or `"1500ms"`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Envelope, D::Error> {
        d.deserialize_any(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an envelope: a number, a string like \"25..2\" or \"0:1, 1:40@exp\", or a list of [time, value] or [time, value, \"exp\"] pairs",
        )
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Envelope, E> {
        if v.is_finite() {
            Ok(Envelope::constant(v))
        } else {
            Err(E::custom(not_finite(&num(v), &num(v))))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Envelope, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Envelope, E> {
        self.visit_f64(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Envelope, E> {
        Envelope::parse(v).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
        let mut points = Vec::new();
        while let Some(ArrayPoint(p)) = seq.next_element()? {
            points.push(p);
        }
        Envelope::from_points(points).map_err(de::Error::custom)
    }
}

/// `[time, value]` or `[time, value, "shape"]`.
struct ArrayPoint(Point);

impl<'de> Deserialize<'de> for ArrayPoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ArrayPoint, D::Error> {
        d.deserialize_seq(ArrayPointVisitor)
    }
}

struct ArrayPointVisitor;

impl<'de> Visitor<'de> for ArrayPointVisitor {
    type Value = ArrayPoint;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a breakpoint [time, value] or [time, value, \"exp\"], like [0.5, 12] or [\"10s\", 12, \"step\"]",
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ArrayPoint, A::Error> {
        let ArrayTime(time) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let shape = match seq.next_element::<String>()? {
            None => Shape::Lin,
            Some(name) => {
                let name = name.strip_prefix('@').unwrap_or(&name);
                Shape::from_name(name).ok_or_else(|| {
                    de::Error::custom(format!(
                        "unknown shape \"{name}\" in a breakpoint: expected \"lin\", \"exp\", \"step\" or \"smooth\", like [1, 40, \"exp\"]"
                    ))
                })?
            }
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(4, &self));
        }
        Ok(ArrayPoint(Point { time, value, shape }))
    }
}

/// A number (a fraction) or a string (`"0.5"`, `"10s"`, `"1500ms"`).
struct ArrayTime(Time);

impl<'de> Deserialize<'de> for ArrayTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ArrayTime, D::Error> {
        d.deserialize_any(ArrayTimeVisitor)
    }
}

struct ArrayTimeVisitor;

impl Visitor<'_> for ArrayTimeVisitor {
    type Value = ArrayTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time: a fraction like 0.5, or a string like \"10s\" or \"1500ms\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ArrayTime, E> {
        Ok(ArrayTime(Time::Fraction(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ArrayTime, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ArrayTime, E> {
        self.visit_f64(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ArrayTime, E> {
        parse_time(v).map(ArrayTime).ok_or_else(|| {
            E::custom(format!(
                "bad time \"{v}\" in a breakpoint: expected a fraction like 0.5, or seconds like \"10s\" or \"1500ms\""
            ))
        })
    }
}
