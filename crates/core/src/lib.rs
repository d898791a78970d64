//! gar-core: Granular Attention Re-synthesis, the engine. No I/O.
//!
//! The pipeline, one module per stage (see `docs/algorithm.md`):
//! [`params`] (presets, clamps) -> [`analysis`] (candidates, scores) ->
//! [`attention`] (ReLU gate, softmax) -> [`plan`] (the sampler: which grain,
//! where, what pitch) -> [`render`] (varispeed, window, overlap-add, envelope
//! division) -> [`finish`] (trim, fade, wet/dry, peak). [`report`] reads the
//! analysis and the plan; so does anything else that shows a run.
//!
//! Plan, then render: [`prepare`] decides everything, [`render_prepared`] only
//! executes the plan.

pub mod analysis;
pub mod attention;
pub mod buffer;
pub mod diversity;
pub mod envelope;
pub mod finish;
pub mod level;
pub mod paramfile;
pub mod params;
pub mod plan;
pub mod render;
pub mod report;
pub mod table;
pub mod varispeed;
pub mod varying;
pub mod window;

pub use analysis::Analysis;
pub use attention::Attention;
pub use buffer::SampleBuf;
pub use envelope::Envelope;
pub use level::Level;
pub use params::{
    AttentionNorm, ChannelMode, Normalize, ParamError, Params, Preset, ScoreType, Settings,
};
pub use plan::Plan;
pub use report::Report;

/// Version of the engine (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything decided about a run before any audio is rendered.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub settings: Settings,
    pub analysis: Analysis,
    pub attention: Attention,
    pub plan: Plan,
    /// The seed the plan was drawn with.
    pub seed: u64,
    /// The factor that brings the wet source to peak 0.99 (1 for silence).
    pub wet_gain: f32,
    /// Things the user should know that are not parameter adjustments.
    pub warnings: Vec<String>,
    /// The diversity's control points and the alpha solved at each
    /// (docs/algorithm.md, section 13); empty without `diversity`.
    pub diversity: Vec<diversity::ControlPoint>,
}

/// Analyses `channels` (planar, equal lengths), gates and weighs the candidates
/// and draws the plan with `seed`.
pub fn prepare(
    channels: &[&[f32]],
    sample_rate: u32,
    params: &Params,
    preset: Preset,
    seed: u64,
) -> Result<Prepared, ParamError> {
    let len = channels.first().map_or(0, |c| c.len());
    let settings = params.resolve(preset, sample_rate, len)?;
    let peak = wet_peak(channels, settings.channels);
    // Section 2: the wet source (and the dry, by the same gain) at peak 0.99,
    // except with `--normalize none`, where nothing is scaled anywhere.
    let wet_gain = if peak > 0.0 && settings.normalize != Normalize::None {
        (0.99 / peak as f64) as f32
    } else {
        1.0
    };
    let analysis = analysis::analyze(channels, &settings, wet_gain);
    let mut settings = settings;
    let control = diversity::apply(&analysis.score, &mut settings);
    let attention = attention::attend(
        &analysis.score,
        settings.alpha,
        settings.floor_db,
        settings.attention_norm,
    );
    let plan = if settings.curves.all_constant() {
        plan::make_plan(&attention.prob, &settings, seed)
    } else {
        plan::make_plan_varying(
            &analysis.score,
            &attention.prob,
            &analysis.start,
            &settings,
            &settings.curves.alpha,
            seed,
        )
    };
    let mut warnings = Vec::new();
    if peak == 0.0 {
        warnings.push("the source is silent: the output is silence".to_string());
    } else if attention.fallback {
        warnings.push(
            "no grain cleared the floor: only the highest-scoring grain is used (lower --floor-db)"
                .to_string(),
        );
    }
    Ok(Prepared {
        settings,
        analysis,
        attention,
        plan,
        seed,
        wet_gain,
        warnings,
        diversity: control,
    })
}

/// The peak of the wet source over all its channels (docs/algorithm.md, section 2):
/// every channel for linked output, the mono mix for mono.
pub fn wet_peak(channels: &[&[f32]], mode: ChannelMode) -> f32 {
    use rayon::prelude::*;
    if mode == ChannelMode::Mono && channels.len() > 1 {
        let len = channels.first().map_or(0, |c| c.len());
        let n = channels.len() as f32;
        (0..len)
            .into_par_iter()
            .with_min_len(1 << 16)
            .map(|i| (channels.iter().map(|c| c[i]).sum::<f32>() / n).abs())
            .reduce(|| 0.0, f32::max)
    } else {
        channels
            .iter()
            .map(|c| {
                c.par_chunks(1 << 16)
                    .map(finish::block_peak)
                    .reduce(|| 0.0, f32::max)
            })
            .fold(0.0, f32::max)
    }
}

/// The mono mix (average of the channels), computed in parallel blocks.
pub fn mono_mix(channels: &[&[f32]]) -> SampleBuf {
    use rayon::prelude::*;
    let len = channels.first().map_or(0, |c| c.len());
    let mut mix = SampleBuf::zeroed(len);
    mix.par_chunks_mut(1 << 16)
        .enumerate()
        .for_each(|(b, out)| mix_block(channels, b << 16, out));
    mix
}

/// Frames `a..a + out.len()` of the mono mix into `out`: the first channel,
/// plus each other channel in order, divided by the channel count. Every mix
/// of the engine goes through here, so all of them agree to the bit.
pub(crate) fn mix_block(channels: &[&[f32]], a: usize, out: &mut [f32]) {
    let n = channels.len() as f32;
    for (c, ch) in channels.iter().enumerate() {
        let src = &ch[a..a + out.len()];
        if c == 0 {
            out.copy_from_slice(src);
        } else {
            for (o, x) in out.iter_mut().zip(src) {
                *o += x;
            }
        }
    }
    for o in out.iter_mut() {
        *o /= n;
    }
}

/// The wet source of a run: every channel (linked) or the mono mix.
fn wet_source<'a>(
    s: &Settings,
    channels: &[&'a [f32]],
    mix: &'a mut Option<SampleBuf>,
) -> Vec<&'a [f32]> {
    if s.channels == ChannelMode::Mono && channels.len() > 1 {
        vec![mix.insert(mono_mix(channels)).as_slice()]
    } else if s.channels == ChannelMode::Mono {
        vec![channels[0]]
    } else {
        channels.to_vec()
    }
}

fn render_job<'a>(p: &'a Prepared, wet_src: &'a [&'a [f32]]) -> render::RenderJob<'a> {
    let s = &p.settings;
    let fin = render::Finishing {
        dry: wet_src,
        wet: s.wet / 100.0,
        wet_curve: s
            .curves
            .wet
            .constant_value()
            .is_none()
            .then_some(&s.curves.wet),
        dry_gain: p.wet_gain,
        fade: finish::fade_len(s.duration_s, s.sample_rate),
        dc_block: s.dc_block,
        sample_rate: s.sample_rate,
        count_over: s.normalize == Normalize::None,
    };
    render::RenderJob::new(
        &p.plan,
        &p.analysis,
        s,
        wet_src,
        p.wet_gain,
        s.output_len(),
        fin,
    )
}

/// The level decision for finished samples that measured `m` (the loudness
/// is measured only when the level rule needs it).
fn decide_level(
    p: &Prepared,
    m: render::Measured,
    loudness: impl FnOnce() -> Option<f64>,
) -> Level {
    let l = if p.settings.normalize == Normalize::Loudness {
        loudness()
    } else {
        None
    };
    level::decide(&p.settings, m.peak, l, m.over)
}

/// Renders a prepared run and finishes it: one output channel per source
/// channel (linked) or one (mono), `round(D_out * sr)` frames, at the level
/// of section 8.5. Returns the samples and the level decided.
pub fn render_prepared(p: &Prepared, channels: &[&[f32]]) -> (Vec<SampleBuf>, Level) {
    let (mut out, level) = render_prepared_unscaled(p, channels);
    finish::scale(&mut out, level.gain);
    (out, level)
}

/// [`render_prepared`] without its last step: the output before the level
/// gain, and the level (`level.gain`). `x * gain` for every sample gives
/// exactly `render_prepared`'s samples; a writer can apply it as it converts,
/// which saves a pass over the whole output.
pub fn render_prepared_unscaled(p: &Prepared, channels: &[&[f32]]) -> (Vec<SampleBuf>, Level) {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let (out, m) = render_job(p, &wet_src).render();
    let level = decide_level(p, m, || {
        let chs: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
        level::loudness(&chs, p.settings.sample_rate)
    });
    (out, level)
}

/// Renders a prepared run without holding the output: blocks of finished
/// output (one slice per channel, in order, at the final level) go to `sink`.
/// The plan is rendered two or three times (the DC estimate when the
/// high-pass is on, the peak and loudness, then the samples), so memory stays
/// at a few blocks whatever the output length. Same samples as
/// [`render_prepared`]. `sink` runs on a worker thread while the next blocks
/// render. Returns the level.
pub fn render_prepared_streaming<E: Send>(
    p: &Prepared,
    channels: &[&[f32]],
    sink: impl FnMut(&[&[f32]]) -> Result<(), E> + Send,
) -> Result<Level, E> {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let job = render_job(p, &wet_src);
    let loud = p.settings.normalize == Normalize::Loudness;
    let mut meter = loud.then(|| {
        level::LoudnessStream::new(
            wet_src.len(),
            p.settings.sample_rate,
            p.settings.output_len(),
        )
    });
    let m = job.stream(1.0, |b| {
        if let Some(mt) = meter.as_mut() {
            mt.add(b);
        }
        Ok::<(), E>(())
    })?;
    let level = decide_level(p, m, || meter.and_then(|mt| mt.finish()));
    job.stream(level.gain, sink)?;
    Ok(level)
}
