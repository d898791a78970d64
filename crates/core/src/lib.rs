//! gar-core: Granular Attention Re-synthesis, the engine. No I/O.
//!
//! The pipeline, one module per stage (see `../shared/SPEC.md`):
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
pub mod finish;
pub mod params;
pub mod plan;
pub mod render;
pub mod report;
pub mod varispeed;
pub mod window;

pub use analysis::Analysis;
pub use attention::Attention;
pub use buffer::SampleBuf;
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
    let wet_gain = if peak > 0.0 {
        (finish::PEAK / peak as f64) as f32
    } else {
        1.0
    };
    let analysis = analysis::analyze(channels, &settings, wet_gain);
    let attention = attention::attend(
        &analysis.score,
        settings.alpha,
        settings.floor_db,
        settings.attention_norm,
    );
    let plan = plan::make_plan(&attention.prob, &settings, seed);
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
    })
}

/// The peak of the wet source over all its channels (SPEC.md section 2):
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
                    .map(|b| b.iter().fold(0f32, |m, x| m.max(x.abs())))
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

fn render_job<'a>(p: &Prepared, wet_src: &'a [&'a [f32]]) -> render::RenderJob<'a> {
    let s = &p.settings;
    let fin = render::Finishing {
        dry: wet_src,
        wet: s.wet / 100.0,
        fade: finish::fade_len(s.duration_s, s.sample_rate),
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

/// Renders a prepared run and finishes it: one output channel per source
/// channel (linked) or one (mono), `round(D_out * sr)` frames, peak 0.99.
pub fn render_prepared(p: &Prepared, channels: &[&[f32]]) -> Vec<SampleBuf> {
    let (mut out, gain) = render_prepared_unscaled(p, channels);
    finish::scale(&mut out, gain);
    out
}

/// [`render_prepared`] without its last step: the output before the peak gain,
/// and that gain. `x * gain` for every sample gives exactly `render_prepared`'s
/// samples; a writer can apply it as it converts, which saves a pass over the
/// whole output.
pub fn render_prepared_unscaled(p: &Prepared, channels: &[&[f32]]) -> (Vec<SampleBuf>, f32) {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let (out, peak) = render_job(p, &wet_src).render();
    (out, finish::peak_gain(peak))
}

/// Renders a prepared run without holding the output: blocks of finished
/// output (one slice per channel, in order, peak 0.99) go to `sink`. The plan is
/// rendered twice (once for the peak, once for the samples), so memory stays at
/// a few blocks whatever the output length. Same samples as [`render_prepared`].
/// `sink` runs on a worker thread while the next blocks render.
pub fn render_prepared_streaming<E: Send>(
    p: &Prepared,
    channels: &[&[f32]],
    sink: impl FnMut(&[&[f32]]) -> Result<(), E> + Send,
) -> Result<(), E> {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let job = render_job(p, &wet_src);
    let peak = job.stream(1.0, |_| Ok::<(), E>(()))?;
    job.stream(finish::peak_gain(peak), sink)?;
    Ok(())
}
