//! From a render request to the result: the preset, then the request's values
//! applied exactly as `gar render` applies its flags (the parameter table's
//! `paramfile::apply` on the same text), the same gar-core calls (a cached
//! analysis, `render_prepared_into`, `WavWriter::write`), the same
//! report; and the `gar render` command line that repeats it bit for bit.

use crate::store::{Origin, Sound};
use crate::view::{self, Overview, RunView};
use crate::wav::{Audio, Pool};
use gar_core::report::{InputInfo, LevelReport, OutputInfo};
use gar_core::table::{self, PARAMS, ParamSpec};
use gar_core::{ParamError, Params, Prepared, Preset, Report};
use gar_io::{Bits, WavWriter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// A render as the page asks for it (`POST api/render`).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Request {
    /// The sound's id.
    pub sound: u64,
    /// A preset id or number (`custom` when absent).
    #[serde(default = "custom")]
    pub preset: String,
    /// Values on top of the preset, by parameter id (or flag), as a flag
    /// writes them: `"alpha": "8"`, `"floor_db": "-6..3"`.
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
    /// The seed; 0 or absent draws one.
    #[serde(default)]
    pub seed: u64,
    /// `16`, `24` (default) or `32f`.
    #[serde(default = "bits24")]
    pub bits: String,
    /// Renders of one lane supersede each other: a request still waiting
    /// when a newer one of its lane arrives is answered 409.
    #[serde(default)]
    pub lane: Option<String>,
    /// The page's name for this request (1 to 64 of `A-Z a-z 0-9 _ -`): its
    /// output can be asked for as `api/keys/KEY/output.wav` at once, before
    /// the answer is back (the request waits for the render).
    #[serde(default)]
    pub key: Option<String>,
}

fn custom() -> String {
    "custom".into()
}
fn bits24() -> String {
    "24".into()
}

/// A refused render: the HTTP status, the message, and the parameter it is
/// about (the page shows it beside that control).
#[derive(Clone, Debug, Serialize)]
pub struct Error {
    #[serde(skip)]
    pub status: u16,
    pub error: String,
    pub param: Option<&'static str>,
}

impl Error {
    pub fn new(status: u16, error: impl Into<String>) -> Error {
        Error {
            status,
            error: error.into(),
            param: None,
        }
    }
    fn param(e: ParamError) -> Error {
        Error {
            status: 400,
            error: e.to_string(),
            param: e.param(),
        }
    }
}

/// The request's values, checked: the preset, the parameters (the preset's
/// values with the overrides on top, seed resolved), the overrides as flag
/// text in the table's order, and the bits.
pub struct Resolved {
    pub preset: Preset,
    pub params: Params,
    pub seed: u64,
    pub overrides: Vec<(&'static ParamSpec, String)>,
    pub bits: Bits,
}

/// A value from the page as flag text.
fn text_of(spec: &ParamSpec, v: &Value) -> Result<String, Error> {
    Ok(match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if *b { "on" } else { "off" }.to_string(),
        _ => {
            return Err(Error {
                status: 400,
                error: format!("{}: expected text or a number", spec.id),
                param: Some(spec.id),
            });
        }
    })
}

pub fn resolve(req: &Request) -> Result<Resolved, Error> {
    let preset = Preset::parse(&req.preset).ok_or_else(|| Error {
        status: 400,
        error: format!(
            "unknown preset '{}'; expected one of {}",
            req.preset,
            Preset::ALL.map(|p| p.id()).join(", ")
        ),
        param: Some("preset"),
    })?;
    let bits: Bits = req.bits.parse().map_err(|_| Error {
        status: 400,
        error: format!(
            "unknown bits '{}'; expected 16, 24 or 32f (32-bit float)",
            req.bits
        ),
        param: Some("bits"),
    })?;
    let mut overrides = Vec::new();
    for (key, v) in &req.params {
        let spec = table::find(key).ok_or_else(|| {
            Error::new(
                400,
                format!(
                    "unknown parameter '{key}'; expected one of {}",
                    PARAMS.iter().map(|s| s.id).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        if spec.id == "seed" {
            return Err(Error::new(
                400,
                "the seed is the request's `seed`, not a parameter",
            ));
        }
        let t = text_of(spec, v)?;
        if t.is_empty() {
            continue;
        }
        overrides.push((spec, t));
    }
    overrides.sort_by_key(|(s, _)| PARAMS.iter().position(|x| x.id == s.id));
    let mut params = preset.params();
    let flags: Vec<(&'static ParamSpec, Value)> = overrides
        .iter()
        .map(|(s, t)| (*s, Value::String(t.clone())))
        .collect();
    gar_core::paramfile::apply(&mut params, &flags).map_err(Error::param)?;
    params.validate().map_err(Error::param)?;
    let seed = if req.seed != 0 {
        req.seed
    } else {
        loop {
            let s =
                getrandom::u64().map_err(|e| Error::new(500, format!("no random seed: {e}")))?;
            if s != 0 {
                break s;
            }
        }
    };
    params.seed = seed;
    Ok(Resolved {
        preset,
        params,
        seed,
        overrides,
        bits,
    })
}

/// The output file name `gar render` gives by default.
pub fn output_name(sound: &Sound, preset: Preset) -> String {
    let stem = Path::new(&sound.name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "studio".into());
    format!("{stem}_GAR_{}.wav", preset.file_name())
}

fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| format!("'{}'", s.replace('\0', "")))
}

/// The `gar render` command line that repeats the render bit for bit: the
/// input as the studio read it, the preset, each override as its flag, the
/// seed, the bits, the output.
pub fn command_line(sound: &Sound, r: &Resolved) -> String {
    let input = match &sound.origin {
        Origin::File(p) => p.clone(),
        Origin::Upload | Origin::BuiltIn => sound.name.clone(),
    };
    let mut w = vec![
        "gar".to_string(),
        "render".into(),
        quote(&input),
        "--preset".into(),
        r.preset.id().into(),
    ];
    for (spec, t) in &r.overrides {
        w.push(format!("--{}", spec.flag));
        w.push(quote(t));
    }
    w.push("--seed".into());
    w.push(r.seed.to_string());
    if r.bits != Bits::I24 {
        w.push("--bits".into());
        w.push(r.bits.to_string());
    }
    w.push("-o".into());
    w.push(quote(&output_name(sound, r.preset)));
    w.join(" ")
}

/// A finished render.
pub struct Output {
    pub prepared: Prepared,
    pub report: Report,
    pub audio: Arc<Audio>,
    pub wave: Overview,
    pub view: RunView,
    pub reused_analysis: bool,
    pub timings_ms: serde_json::Map<String, Value>,
    /// The level's gain (applied in the output's samples).
    pub gain: f32,
}

fn ms(t: Instant) -> Value {
    Value::from((t.elapsed().as_secs_f64() * 1e4).round() / 10.0)
}

/// Plans (reusing the sound's analysis when it can) and checks the output's
/// size against the studio's limit.
pub fn prepare(
    sound: &Sound,
    r: &Resolved,
    max_output_bytes: u64,
) -> Result<(Prepared, bool), Error> {
    let chans = sound.channels();
    let hits = sound.cache.hits();
    let mut p = gar_core::prepare_cached(
        &chans,
        sound.decoded.sample_rate,
        &r.params,
        r.preset,
        r.seed,
        &sound.cache,
    )
    .map_err(Error::param)?;
    let s = &p.settings;
    let bytes = s.output_len() as u64 * s.output_channels(chans.len()) as u64 * 4;
    if bytes > max_output_bytes {
        let per_s = s.sample_rate as f64 * s.output_channels(chans.len()) as f64 * 4.0;
        return Err(Error {
            status: 400,
            error: format!(
                "an output of {:.0} s is more than the studio keeps in memory ({}, about {:.0} s here); \
                 use `gar render` for longer outputs",
                s.duration_s,
                gar_io::bytes_words(max_output_bytes),
                max_output_bytes as f64 / per_s
            ),
            param: Some("duration_s"),
        });
    }
    let mut warnings = sound.decoded.user_warnings(&sound.name);
    warnings.append(&mut p.warnings);
    p.warnings = warnings;
    Ok((p, sound.cache.hits() > hits))
}

/// Renders a prepared run into buffers from `pool` (their old contents are
/// overwritten), as an [`Audio`] that writes the same WAV as `gar render`
/// (`render_prepared_into` gives `render_prepared`'s samples, the level's
/// gain applied), and the level. The buffers go back to `pool` when the
/// output is let go of. `stop` is asked before each block of output: once it
/// says stop (a newer render superseded this one), the render is abandoned
/// and answered 409.
pub fn render_audio(
    sound: &Sound,
    p: &Prepared,
    bits: Bits,
    pool: &Arc<Pool>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(Audio, gar_core::Level), Error> {
    let chans = sound.channels();
    let s = &p.settings;
    let n = s.output_len();
    let mut out: Vec<gar_core::SampleBuf> = (0..s.output_channels(chans.len()))
        .map(|_| pool.take(n))
        .collect();
    let level = {
        let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|b| b.as_mut_slice()).collect();
        gar_core::render_prepared_into_until(p, &chans, &mut outs, stop)
    };
    let Some(level) = level else {
        // The buffers go back to the pool for the render that superseded this one.
        for b in out {
            pool.give(b);
        }
        return Err(Error::new(409, "superseded by a newer render"));
    };
    let a = Audio::new(out, 1.0, bits, s.sample_rate)
        .map_err(|e| Error::new(500, e.to_string()))?
        .recycled_into(pool.clone());
    Ok((a, level))
}

/// The whole render: plan, render, report, views (the WAV is encoded as it
/// is read). `on_audio` gets the output as soon as it is rendered, before
/// the report and the views (a player waiting for it can start).
pub fn run(
    sound: &Sound,
    r: &Resolved,
    max_output_bytes: u64,
    pool: &Arc<Pool>,
    on_audio: &dyn Fn(&Arc<Audio>),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Output, Error> {
    let mut timings = serde_json::Map::new();
    let t = Instant::now();
    let (prepared, reused) = prepare(sound, r, max_output_bytes)?;
    timings.insert("prepare".into(), ms(t));
    let t = Instant::now();
    let name = output_name(sound, r.preset);
    let (audio, level) = render_audio(sound, &prepared, r.bits, pool, stop)?;
    let audio = Arc::new(audio);
    timings.insert("render".into(), ms(t));
    on_audio(&audio);
    let t = Instant::now();
    let report = report(sound, &prepared, &level, r.bits, &name);
    let outs: Vec<&[f32]> = audio.samples.iter().map(|c| c.as_slice()).collect();
    let wave = view::overview(&outs, audio.gain);
    let grain_s = prepared.analysis.grain_len as f64 / prepared.settings.sample_rate as f64;
    let view = view::run_view(&report, grain_s);
    timings.insert("report_view".into(), ms(t));
    Ok(Output {
        prepared,
        report,
        audio,
        wave,
        view,
        reused_analysis: reused,
        timings_ms: timings,
        gain: level.gain,
    })
}

/// The report `gar render --report` writes for this run.
pub fn report(
    sound: &Sound,
    p: &Prepared,
    level: &gar_core::Level,
    bits: Bits,
    name: &str,
) -> Report {
    let d = &sound.decoded;
    let s = &p.settings;
    let input = InputInfo {
        path: match &sound.origin {
            Origin::File(f) => f.clone(),
            _ => sound.name.clone(),
        },
        sample_rate: d.sample_rate,
        channels: d.channels.len(),
        frames: d.frames,
        duration_s: d.frames as f64 / d.sample_rate.max(1) as f64,
    };
    let out_len = s.output_len();
    let mut report = Report::new(
        p,
        input,
        Some(OutputInfo {
            path: name.to_string(),
            sample_rate: s.sample_rate,
            channels: s.output_channels(d.channels.len()),
            frames: out_len,
            duration_s: out_len as f64 / s.sample_rate as f64,
            bits: bits.to_string(),
        }),
    );
    report.level = Some(LevelReport::new(p, level));
    report.warnings.extend(level.warnings.iter().cloned());
    report
}

/// One candidate grain alone, as the plan would place it unshifted: its
/// source frames under the Hann window, at the run's gains, as a 32-bit
/// float WAV (for "click a candidate to hear it").
pub fn grain_wav(sound: &Sound, p: &Prepared, gain: f32, index: usize) -> Result<Vec<u8>, Error> {
    let a = &p.analysis;
    let Some(&start) = a.start.get(index) else {
        return Err(Error::new(
            404,
            format!("no candidate {index}: this run has {}", a.len()),
        ));
    };
    let l = a.grain_len;
    let chans = sound.channels();
    let g = gain * p.wet_gain;
    let w = gar_core::window::hann_f64(l);
    let data: Vec<Vec<f32>> = chans
        .iter()
        .map(|c| {
            (0..l)
                .map(|i| c.get(start + i).copied().unwrap_or(0.0) * w[i] as f32 * g)
                .collect()
        })
        .collect();
    let slices: Vec<&[f32]> = data.iter().map(|c| c.as_slice()).collect();
    let mut buf = Vec::new();
    let enc = |e: gar_io::EncodeError| Error::new(500, e.to_string());
    let mut wr = WavWriter::new(
        &mut buf,
        Path::new("grain.wav"),
        p.settings.sample_rate,
        slices.len(),
        l,
        Bits::F32,
    )
    .map_err(enc)?;
    wr.write(&slices).map_err(enc)?;
    wr.finish().map_err(enc)?;
    Ok(buf)
}
