//! The bodies of gar's fuzz targets, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/`) and the regression replay test
//! (`crates/cli/tests/fuzz_regressions.rs`, which includes this file). Plain Rust on
//! gar-core and gar-io only. Every check is an `assert!`: a failed check is a crash
//! for libFuzzer and a failed test for `cargo test`.
//!
//! What is checked, for any input:
//! * decoding returns `Ok` or an error whose message names the buffer; never a panic;
//!   decoded audio has a positive rate, at least one channel, equal channel lengths and
//!   only finite samples;
//! * `Params::resolve` rejects exactly the non-finite, non-positive (where a size must be
//!   positive) and too-large values, with the right flag named, and otherwise returns
//!   settings inside every documented clamp;
//! * a render has the promised channel count and length, only finite samples, a peak
//!   at most the --peak-db ceiling (+ 1e-6), equals the streamed render sample for sample, is
//!   reproduced by the same seed, and survives a WAV encode/decode round trip.
//!
//! Inputs whose render would exceed [`MAX_RENDER_SAMPLES`] output samples
//! ([`MAX_PARAMS_RENDER_SAMPLES`] in `params_render`),
//! [`MAX_GRAIN_WORK`] overlap-added grain samples or [`MAX_HOPS`] hops are checked up to
//! the settings and not rendered (the renderer is the same code at any length; this
//! keeps each execution in milliseconds).

use gar_core::params::{MAX_OUTPUT_S, MIN_SOURCE_S};
use gar_core::{
    AttentionNorm, ChannelMode, Normalize, ParamError, Params, Preset, ScoreType, Settings,
};
use gar_io::{Bits, DecodeLimits};

/// Output samples (frames x channels) above which a run is not rendered.
pub const MAX_RENDER_SAMPLES: usize = 1 << 20;
/// The same for `params_render`, whose interest is in the parameters, not the length
/// (8 s of the fixed stereo sound).
pub const MAX_PARAMS_RENDER_SAMPLES: usize = 1 << 18;
/// Grain samples to overlap-add (hops x grain length) above which a run is not rendered.
pub const MAX_GRAIN_WORK: usize = 1 << 26;
/// Hops above which a plan is not drawn.
pub const MAX_HOPS: usize = 1 << 20;
/// Decoding limit in the fuzz targets (bytes of 32-bit samples).
pub const DECODE_LIMIT: u64 = 256 << 20;

/// Target 1: arbitrary bytes -> decode -> analyze, plan, render with default parameters.
pub fn decode_render(data: &[u8]) {
    let limits = DecodeLimits {
        max_decoded_bytes: DECODE_LIMIT,
    };
    let d = match gar_io::decode_bytes_with(data.to_vec(), None, &limits) {
        Ok(d) => d,
        Err(e) => {
            let m = e.to_string();
            assert!(m.starts_with("<memory buffer>: "), "unlabelled error: {m}");
            return;
        }
    };
    assert!(d.sample_rate > 0);
    assert!(!d.channels.is_empty());
    assert!(d.channels.iter().all(|c| c.len() == d.frames));
    assert!(d.channels.iter().flatten().all(|x| x.is_finite()));
    assert!((d.frames as u64) * (d.channels.len() as u64) * 4 <= DECODE_LIMIT);
    if d.frames.saturating_mul(d.channels.len()) > MAX_RENDER_SAMPLES {
        return;
    }
    let chans: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
    let params = Params::default();
    let settings = match params.resolve(Preset::Custom, d.sample_rate, d.frames) {
        Ok(s) => s,
        Err(ParamError::SourceTooShort { seconds }) => {
            assert!(seconds < MIN_SOURCE_S);
            return;
        }
        Err(e) => panic!("default parameters refused: {e}"),
    };
    check_settings(&settings);
    let max = MAX_RENDER_SAMPLES;
    run(
        &chans,
        d.sample_rate,
        &params,
        Preset::Custom,
        1,
        &settings,
        max,
    );
}

/// Target 2: an arbitrary parameter set (inside and outside the clamps) on a small
/// fixed stereo sound.
pub fn params_render(data: &[u8]) {
    let mut b = Bytes(data);
    let (preset, params, seed, raw, set_err) = params_from_raw(&mut b);
    let sound = fixed_sound();
    let chans: Vec<&[f32]> = sound.iter().map(|c| c.as_slice()).collect();
    let len = chans[0].len();
    let r = match set_err {
        Some(e) => Err(e),
        None => params.resolve(preset, SOUND_RATE, len),
    };
    let expected = expected_error(&raw);
    let settings = match (r, expected) {
        (Ok(s), None) => s,
        (Err(e), Some(flag)) => {
            let named = match e.param() {
                Some(name) => name,
                None => panic!("unexpected error {e} for {params:?}"),
            };
            assert_eq!(named, flag, "{e} for {params:?}");
            assert!(e.to_string().contains(flag), "{e}");
            return;
        }
        (r, expected) => panic!("resolve gave {r:?}, expected an error on {expected:?}"),
    };
    check_settings(&settings);
    let max = MAX_PARAMS_RENDER_SAMPLES;
    run(&chans, SOUND_RATE, &params, preset, seed, &settings, max);
}

/// Checks that resolved settings are inside every documented clamp.
pub fn check_settings(s: &Settings) {
    let src_ms = s.source_s() * 1000.0;
    for (name, v) in [
        ("grain", s.grain_ms),
        ("hop", s.hop_ms),
        ("cand", s.cand_hop_ms),
        ("alpha", s.alpha),
        ("floor", s.floor_db),
        ("tw", s.transient_weight),
        ("tj", s.time_jitter_ms),
        ("pj", s.pitch_jitter_st),
        ("recency", s.recency),
        ("wet", s.wet),
        ("duration", s.duration_s),
    ] {
        assert!(v.is_finite(), "{name} = {v}");
    }
    assert!(s.grain_ms <= 1000.0 && s.grain_ms <= src_ms + 1e-9, "{s:?}");
    assert!(s.grain_ms >= 5.0f64.min(src_ms) - 1e-9, "{s:?}");
    assert!(
        s.hop_ms >= 1.0 && s.hop_ms <= (s.grain_ms / 2.0).max(1.0),
        "{s:?}"
    );
    assert!(s.cand_hop_ms > 0.0 && s.cand_hop_ms <= s.grain_ms, "{s:?}");
    assert!(s.alpha >= 0.01, "{s:?}");
    assert!((0.0..=1.0).contains(&s.transient_weight), "{s:?}");
    assert!(
        s.time_jitter_ms >= 0.0 && s.time_jitter_ms <= s.hop_ms,
        "{s:?}"
    );
    assert!((0.0..=4.0).contains(&s.pitch_jitter_st), "{s:?}");
    assert!((0.0..=1.0).contains(&s.recency), "{s:?}");
    assert!((0.0..=100.0).contains(&s.wet), "{s:?}");
    assert!(s.duration_s > 0.0 && s.duration_s <= MAX_OUTPUT_S, "{s:?}");
}

/// Prepares and renders (if small enough) and checks the output.
fn run(
    chans: &[&[f32]],
    sr: u32,
    params: &Params,
    preset: Preset,
    seed: u64,
    settings: &Settings,
    max_samples: usize,
) {
    let nch = settings.output_channels(chans.len());
    let out_len = settings.output_len();
    let hops = gar_core::plan::hop_count(settings);
    if hops > MAX_HOPS
        || out_len.saturating_mul(nch) > max_samples
        || hops.saturating_mul(settings.grain_len()) > MAX_GRAIN_WORK
    {
        return;
    }
    let p = gar_core::prepare(chans, sr, params, preset, seed).expect("resolved parameters");
    assert_eq!(&p.settings, settings);
    assert_eq!(p.plan.hops(), gar_core::plan::hop_count(settings));
    let (out, level) = gar_core::render_prepared(&p, chans);
    assert_eq!(out.len(), nch, "channel count");
    // Peak and loudness normalisation keep the sample peak at or below --peak-db.
    let ceiling = match settings.normalize {
        Normalize::None => f64::INFINITY,
        Normalize::Peak | Normalize::Loudness => 10f64.powf(settings.peak_db / 20.0),
    };
    for c in &out {
        assert_eq!(c.len(), out_len, "length");
        assert!(c.iter().all(|x| x.is_finite()), "non-finite output");
        let peak = c.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(f64::from(peak) <= ceiling + 1e-6, "peak {peak}");
    }
    // The streamed render is the same, sample for sample.
    let mut streamed: Vec<Vec<f32>> = vec![Vec::new(); nch];
    let streamed_level = gar_core::render_prepared_streaming(&p, chans, |block| {
        assert_eq!(block.len(), nch);
        for (d, s) in streamed.iter_mut().zip(block) {
            d.extend_from_slice(s);
        }
        Ok::<(), ()>(())
    })
    .expect("streaming sink never fails");
    assert_eq!(
        streamed_level.gain.to_bits(),
        level.gain.to_bits(),
        "streamed gain differs"
    );
    assert!(
        streamed
            .iter()
            .flatten()
            .map(|x| x.to_bits())
            .eq(out.iter().flatten().map(|x| x.to_bits())),
        "streamed render differs"
    );
    // The same seed draws the same plan.
    let q = gar_core::prepare(chans, sr, params, preset, seed).expect("resolved parameters");
    assert_eq!(q.plan, p.plan, "same seed, other plan");
    // WAV round trip.
    if out_len > 0 {
        let bits = Bits::ALL[(seed % 3) as usize];
        let slices: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
        let mut cur = std::io::Cursor::new(Vec::new());
        gar_io::encode_wav(&mut cur, sr, &slices, bits).expect("encode");
        let back = gar_io::decode_bytes(cur.into_inner(), Some("wav")).expect("decode back");
        assert_eq!(back.frames, out_len);
        assert_eq!(back.channels.len(), nch);
        assert_eq!(back.sample_rate, sr);
    }
}

/// The parameter that setting the `raw` values and then `Params::resolve` must
/// name, if any: a non-finite value fails when it is set (the first one, in the
/// order set), then resolve checks positivity and limits in the table's order.
fn expected_error(raw: &[(&'static str, f64)]) -> Option<&'static str> {
    if let Some((id, _)) = raw.iter().find(|(_, v)| !v.is_finite()) {
        return Some(id);
    }
    let positive = ["grain_ms", "hop_ms", "cand_hop_ms", "alpha", "duration_s"];
    for spec in &gar_core::table::PARAMS {
        if let Some((_, v)) = raw.iter().find(|(id, _)| *id == spec.id) {
            if positive.contains(&spec.id) && *v <= 0.0 {
                return Some(spec.id);
            }
            if spec.id == "duration_s" && *v > MAX_OUTPUT_S {
                return Some(spec.id);
            }
        }
    }
    None
}

/// Sample rate of the fixed sound.
pub const SOUND_RATE: u32 = 16_000;

/// 0.3 s of stereo: a tone under decaying clicks, the right channel a different mix.
pub fn fixed_sound() -> Vec<Vec<f32>> {
    let n = (0.3 * SOUND_RATE as f64) as usize;
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 / SOUND_RATE as f64;
        let beat = (t * 10.0).fract();
        let tone = 0.2 * (2.0 * std::f64::consts::PI * 220.0 * t).sin();
        let click = 0.7 * (-beat * 40.0).exp() * (2.0 * std::f64::consts::PI * 1500.0 * t).sin();
        l.push((tone + click) as f32);
        r.push((tone - 0.5 * click) as f32);
    }
    vec![l, r]
}

/// A reader that yields zeros once the data runs out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u64(&mut self) -> u64 {
        let mut v = [0u8; 8];
        for x in &mut v {
            *x = self.u8();
        }
        u64::from_le_bytes(v)
    }
    /// A number: raw bits (any f64), a special value, or a typical magnitude.
    pub fn number(&mut self) -> f64 {
        const SPECIAL: [f64; 16] = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e300,
            -1e300,
            1e12,
            1e-300,
            5e-324,
            -1.0,
            MAX_OUTPUT_S,
            MAX_OUTPUT_S * (1.0 + f64::EPSILON),
            4.0,
        ];
        match self.u8() % 8 {
            0 => f64::from_bits(self.u64()),
            1 => SPECIAL[usize::from(self.u8()) % SPECIAL.len()],
            2 => f64::from(self.u16()) / 100.0,
            3 => -f64::from(self.u16()) / 100.0,
            4 => f64::from(self.u16()),
            _ => f64::from(self.u8()) / 10.0,
        }
    }
    /// `None` (keep the preset's value) or a number.
    pub fn opt_number(&mut self) -> Option<f64> {
        if self.u8() & 1 == 0 {
            None
        } else {
            Some(self.number())
        }
    }
}

/// A preset, parameters (preset values with some fields overridden) and a seed.
pub fn params_from(b: &mut Bytes) -> (Preset, Params, u64) {
    let (preset, p, seed, _, _) = params_from_raw(b);
    (preset, p, seed)
}

/// A preset, parameters, a seed, the raw values given and the first error.
pub type RawParams = (
    Preset,
    Params,
    u64,
    Vec<(&'static str, f64)>,
    Option<ParamError>,
);

/// [`params_from`] with the raw values given to the parameter table and the
/// first error setting them gave (a non-finite value).
pub fn params_from_raw(b: &mut Bytes) -> RawParams {
    let preset = Preset::ALL[usize::from(b.u8()) % Preset::ALL.len()];
    let mut p = preset.params();
    let mut raw = Vec::new();
    let mut err = None;
    for id in [
        "grain_ms",
        "hop_ms",
        "cand_hop_ms",
        "alpha",
        "floor_db",
        "transient_weight",
        "time_jitter_ms",
        "pitch_jitter_st",
        "recency",
        "wet",
        "duration_s",
    ] {
        if let Some(v) = b.opt_number() {
            raw.push((id, v));
            let spec = gar_core::table::find(id).expect("a parameter");
            if let Err(e) = spec.set_text(&mut p, &gar_core::table::num_exact(v))
                && err.is_none()
            {
                err = Some(e);
            }
        }
    }
    match b.u8() % 5 {
        4 => {}
        i => p.score = ScoreType::ALL[usize::from(i)],
    }
    match b.u8() % 3 {
        1 => p.channels = ChannelMode::Mono,
        2 => p.channels = ChannelMode::Linked,
        _ => {}
    }
    match b.u8() % 3 {
        1 => p.attention_norm = AttentionNorm::Mean,
        2 => p.attention_norm = AttentionNorm::Range,
        _ => {}
    }
    let seed = b.u64();
    (preset, p, seed, raw, err)
}
