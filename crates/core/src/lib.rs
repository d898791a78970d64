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
pub mod finish;
pub mod params;
pub mod plan;
pub mod render;
pub mod report;
pub mod varispeed;
pub mod window;

pub use analysis::Analysis;
pub use attention::Attention;
pub use params::{AttentionNorm, ChannelMode, ParamError, Params, Preset, ScoreType, Settings};
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
    let analysis = analysis::analyze(channels, &settings, wet_gain(channels, settings.channels));
    let attention = attention::attend(
        &analysis.score,
        settings.alpha,
        settings.floor_db,
        settings.attention_norm,
    );
    let plan = plan::make_plan(&attention.prob, &settings, seed);
    let mut warnings = Vec::new();
    if finish::peak(channels) == 0.0 {
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
        warnings,
    })
}

/// The gain that brings the wet source to peak 0.99 over all its channels
/// (SPEC.md section 2): every channel for linked output, the mono mix for mono.
/// A silent source keeps gain 1.
pub fn wet_gain(channels: &[&[f32]], mode: ChannelMode) -> f32 {
    let pk = if mode == ChannelMode::Mono && channels.len() > 1 {
        let len = channels.first().map_or(0, |c| c.len());
        let n = channels.len() as f32;
        (0..len).fold(0f32, |m, i| {
            m.max((channels.iter().map(|c| c[i]).sum::<f32>() / n).abs())
        })
    } else {
        finish::peak(channels)
    } as f64;
    if pk > 0.0 {
        (finish::PEAK / pk) as f32
    } else {
        1.0
    }
}

/// The mono mix (average of the channels).
pub fn mono_mix(channels: &[&[f32]]) -> Vec<f32> {
    let len = channels.first().map_or(0, |c| c.len());
    let n = channels.len() as f32;
    (0..len)
        .map(|i| channels.iter().map(|c| c[i]).sum::<f32>() / n)
        .collect()
}

/// Renders a prepared run and finishes it: one output channel per source
/// channel (linked) or one (mono), `round(D_out * sr)` frames, peak 0.99.
pub fn render_prepared(p: &Prepared, channels: &[&[f32]]) -> Vec<Vec<f32>> {
    let s = &p.settings;
    let mix;
    let wet_src: Vec<&[f32]> = if s.channels == ChannelMode::Mono && channels.len() > 1 {
        mix = mono_mix(channels);
        vec![&mix]
    } else if s.channels == ChannelMode::Mono {
        vec![channels[0]]
    } else {
        channels.to_vec()
    };
    let gain = wet_gain(channels, s.channels);
    let mut out = render::render(&p.plan, &p.analysis, s, &wet_src, gain, s.output_len());
    finish::finish(&mut out, &wet_src, s.duration_s, s.sample_rate, s.wet);
    out
}
