//! Shared helpers: synthetic sources whose pictures have a known answer, a run
//! prepared and rendered from them, and PNG pixel access.
#![allow(dead_code)]

use gar_core::report::InputInfo;
use gar_core::{Params, Prepared, Preset, Report};
use gar_plot::PlotInput;

pub const SR: u32 = 44_100;

/// Deterministic near-silence (amplitude 1e-4) of `secs` seconds.
pub fn hiss(secs: f64) -> Vec<f32> {
    let n = (secs * SR as f64).round() as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2e-4
        })
        .collect()
}

/// Adds a 440 Hz sine burst of amplitude `amp` over `t0 .. t1` seconds.
pub fn add_burst(x: &mut [f32], t0: f64, t1: f64, amp: f32) {
    let (a, b) = (
        (t0 * SR as f64).round() as usize,
        (t1 * SR as f64).round() as usize,
    );
    let b = b.min(x.len());
    for (k, v) in x[a..b].iter_mut().enumerate() {
        *v += amp * (2.0 * std::f32::consts::PI * 440.0 * k as f32 / SR as f32).sin();
    }
}

/// A run of `x` (mono) with `params`, prepared, reported and rendered.
pub struct Run {
    pub x: Vec<f32>,
    pub prepared: Prepared,
    pub report: Report,
    pub output: Vec<gar_core::SampleBuf>,
}

impl Run {
    pub fn new(x: Vec<f32>, params: &Params, preset: Preset, seed: u64) -> Run {
        let prepared = gar_core::prepare(&[&x], SR, params, preset, seed).expect("prepare");
        let (output, _level) = gar_core::render_prepared(&prepared, &[&x]);
        let report = Report::new(
            &prepared,
            InputInfo {
                path: "burst.wav".into(),
                sample_rate: SR,
                channels: 1,
                frames: x.len(),
                duration_s: x.len() as f64 / SR as f64,
            },
            None,
        );
        Run {
            x,
            prepared,
            report,
            output,
        }
    }

    /// The picture input; `rendered` false = as for `gar analyze`.
    pub fn input<'a>(&'a self, chans: &'a [&'a [f32]], rendered: bool) -> PlotInput<'a> {
        PlotInput {
            prepared: &self.prepared,
            report: &self.report,
            input: chans,
            output: rendered.then_some(self.output.as_slice()),
            source_name: "burst.wav",
        }
    }
}

/// 2 s of near-silence with one loud burst at 1.0 - 1.1 s; Custom, 100 ms
/// grains every 50 ms, hop 50 ms, no time jitter: 39 candidates, 41 hops.
/// Candidate 20 (1.00 - 1.10 s) holds the whole burst (score 1), candidates 19
/// and 21 half of it.
pub fn burst_run() -> Run {
    let mut x = hiss(2.0);
    add_burst(&mut x, 1.0, 1.1, 0.8);
    let params = Params {
        grain_ms: gar_core::Envelope::from(100.0),
        cand_hop_ms: 50.0,
        hop_ms: gar_core::Envelope::from(50.0),
        time_jitter_ms: gar_core::Envelope::from(0.0),
        ..Params::default()
    };
    Run::new(x, &params, Preset::Custom, 3)
}

/// A decoded PNG: 8-bit RGB.
pub struct Image {
    pub w: u32,
    pub h: u32,
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn decode(bytes: &[u8]) -> Image {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        Image {
            w: info.width,
            h: info.height,
            rgb: buf,
        }
    }

    pub fn at(&self, x: i32, y: i32) -> [u8; 3] {
        assert!(
            x >= 0 && y >= 0 && (x as u32) < self.w && (y as u32) < self.h,
            "({x}, {y}) outside"
        );
        let k = (y as usize * self.w as usize + x as usize) * 3;
        [self.rgb[k], self.rgb[k + 1], self.rgb[k + 2]]
    }
}

pub fn rgb(c: plotters::style::RGBColor) -> [u8; 3] {
    [c.0, c.1, c.2]
}

/// Largest channel difference between two colours.
pub fn dist(a: [u8; 3], b: [u8; 3]) -> u8 {
    (0..3).map(|k| a[k].abs_diff(b[k])).max().unwrap()
}

/// A colour with hue (not white, black or grey).
pub fn chromatic(c: [u8; 3]) -> bool {
    let (mx, mn) = (*c.iter().max().unwrap(), *c.iter().min().unwrap());
    mx - mn > 20
}

/// 4 s of near-silence with eight bursts, loud to soft, under Crystallize
/// with the given `(id, value or envelope)` settings (e.g. `("alpha",
/// "2..25")`: the selection narrows onto the loudest bursts as alpha rises).
pub fn varying_run(settings: &[(&str, &str)]) -> Run {
    let mut x = hiss(4.0);
    for k in 0..8 {
        let t = 0.2 + 0.47 * k as f64;
        add_burst(&mut x, t, t + 0.06, 0.9 - 0.1 * k as f32);
    }
    let mut p = Preset::Crystallize.params();
    for (id, text) in settings {
        gar_core::table::find(id)
            .unwrap_or_else(|| panic!("no parameter {id}"))
            .set_text(&mut p, text)
            .unwrap_or_else(|e| panic!("{id} = {text}: {e}"));
    }
    Run::new(x, &p, Preset::Crystallize, 7)
}
