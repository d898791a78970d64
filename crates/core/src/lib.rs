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
pub mod loudness;
pub mod paramfile;
pub mod params;
pub mod plan;
pub mod render;
pub mod report;
pub mod seeds;
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
    /// Channel 0's analysis, attention and plan (the only ones unless the
    /// channels are independent).
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
    /// With `channels independent` on a source of several channels: channels
    /// 1, 2, ... (section 14), each with its own analysis, attention and plan.
    pub others: Vec<ChannelPlan>,
    /// The number of source channels.
    pub source_channels: usize,
}

/// One channel's own analysis, attention and plan (`channels independent`).
#[derive(Clone, Debug)]
pub struct ChannelPlan {
    /// The source channel (and output channel) it belongs to.
    pub channel: usize,
    /// Its RNG seed, [`channel_seed`]`(seed, channel)`.
    pub seed: u64,
    pub analysis: Analysis,
    pub attention: Attention,
    pub plan: Plan,
    pub diversity: Vec<diversity::ControlPoint>,
}

impl Prepared {
    /// The number of source channels the run was prepared from.
    pub fn settings_source_channels(&self) -> usize {
        self.source_channels
    }

    /// Every channel's plan: channel 0 (the run's own fields), then the
    /// others. One entry unless the channels are independent.
    pub fn channel_plans(&self) -> Vec<ChannelView<'_>> {
        let mut v = vec![ChannelView {
            channel: 0,
            seed: self.seed,
            analysis: &self.analysis,
            attention: &self.attention,
            plan: &self.plan,
            diversity: &self.diversity,
        }];
        v.extend(self.others.iter().map(|c| ChannelView {
            channel: c.channel,
            seed: c.seed,
            analysis: &c.analysis,
            attention: &c.attention,
            plan: &c.plan,
            diversity: &c.diversity,
        }));
        v
    }

    /// The score (channel 0's) with the driver weights at output time
    /// `t_seconds`, when the score is a mix whose weights vary over time
    /// (docs/algorithm.md, section 15); `None` otherwise, where
    /// `analysis.score` holds at every time. `analysis.score` is the mix
    /// with the weights at the start.
    pub fn score_at(&self, t_seconds: f64) -> Option<Vec<f64>> {
        plan::Morph::new(&self.settings, &self.analysis).map(|m| m.scores_at(t_seconds))
    }
}

/// A borrowed view of one channel's plan (see [`Prepared::channel_plans`]).
#[derive(Clone, Copy, Debug)]
pub struct ChannelView<'a> {
    pub channel: usize,
    pub seed: u64,
    pub analysis: &'a Analysis,
    pub attention: &'a Attention,
    pub plan: &'a Plan,
    pub diversity: &'a [diversity::ControlPoint],
}

/// The seed of channel `c` under `channels independent` (docs/algorithm.md,
/// section 14): channel 0 keeps the run's seed (so a mono source gives the
/// same output as `linked`); channel `c >= 1` gets SplitMix64's output for
/// the state `seed + c * 0x9E3779B97F4A7C15` (wrapping), a well-mixed,
/// documented derivation that any implementation can repeat.
pub fn channel_seed(seed: u64, c: usize) -> u64 {
    if c == 0 {
        return seed;
    }
    let mut z = seed.wrapping_add((c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One plan: analysis of `channels` (mixed), the diversity's alpha, the
/// attention, the plan drawn with `seed`.
fn plan_one(
    channels: &[&[f32]],
    settings: &Settings,
    wet_gain: f32,
    seed: u64,
    (cache, channel): (&AnalysisCache, Option<usize>),
) -> (
    Settings,
    Analysis,
    Attention,
    Plan,
    Vec<diversity::ControlPoint>,
) {
    let key = analysis::AnalysisKey::new(settings, wet_gain, channel);
    let analysis = cache.get_or_insert(key, || analysis::analyze(channels, settings, wet_gain));
    let mut settings = settings.clone();
    let control = diversity::apply(&analysis.score, &mut settings);
    let attention = attention::attend(
        &analysis.score,
        settings.alpha,
        settings.floor_db,
        settings.attention_norm,
    );
    // Weights that vary: each term's normalised values, re-mixed over time.
    let morph = plan::Morph::new(&settings, &analysis);
    let plan = if settings.curves.all_constant() {
        plan::make_plan(&attention.prob, &settings, seed)
    } else {
        plan::make_plan_morphing(
            &analysis.score,
            &attention.prob,
            &analysis.start,
            &settings,
            &settings.curves.alpha,
            morph.as_ref(),
            seed,
        )
    };
    (settings, analysis, attention, plan, control)
}

/// Analyses `channels` (planar, equal lengths), gates and weighs the candidates
/// and draws the plan with `seed` (one plan per channel with `channels
/// independent`).
pub fn prepare(
    channels: &[&[f32]],
    sample_rate: u32,
    params: &Params,
    preset: Preset,
    seed: u64,
) -> Result<Prepared, ParamError> {
    prepare_cached(
        channels,
        sample_rate,
        params,
        preset,
        seed,
        &AnalysisCache::new(0),
    )
}

/// The analyses of one source, kept for reuse across runs whose parameters
/// change only what comes after the analysis (alpha, floor, recency, jitter,
/// wet, pitch, spread, the level...): see [`prepare_cached`]. Entries are keyed
/// by [`analysis::AnalysisKey`], which does not identify the audio: use one
/// cache per source. Holds at most `capacity` analyses (the oldest goes
/// first); capacity 0 keeps nothing.
#[derive(Debug, Default)]
pub struct AnalysisCache {
    entries: std::sync::Mutex<std::collections::VecDeque<(analysis::AnalysisKey, Analysis)>>,
    capacity: usize,
    hits: std::sync::atomic::AtomicUsize,
}

impl AnalysisCache {
    /// An empty cache holding at most `capacity` analyses.
    pub fn new(capacity: usize) -> AnalysisCache {
        AnalysisCache {
            capacity,
            ..AnalysisCache::default()
        }
    }

    /// How many analyses were reused so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The analyses held now.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether no analysis is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get_or_insert(
        &self,
        key: analysis::AnalysisKey,
        make: impl FnOnce() -> Analysis,
    ) -> Analysis {
        if self.capacity == 0 {
            return make();
        }
        if let Ok(e) = self.entries.lock()
            && let Some((_, a)) = e.iter().find(|(k, _)| *k == key)
        {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return a.clone();
        }
        // Analysed outside the lock: independent channels analyse in parallel.
        let a = make();
        if let Ok(mut e) = self.entries.lock()
            && !e.iter().any(|(k, _)| *k == key)
        {
            while e.len() >= self.capacity {
                e.pop_front();
            }
            e.push_back((key, a.clone()));
        }
        a
    }
}

/// [`prepare`], reusing the analyses `cache` holds from earlier runs on the
/// same `channels` (and keeping the new ones there). The result is the same
/// as [`prepare`]'s, bit for bit: an analysis is reused only when everything
/// the analysis reads is equal ([`analysis::AnalysisKey`]).
pub fn prepare_cached(
    channels: &[&[f32]],
    sample_rate: u32,
    params: &Params,
    preset: Preset,
    seed: u64,
    cache: &AnalysisCache,
) -> Result<Prepared, ParamError> {
    let len = channels.first().map_or(0, |c| c.len());
    let settings = params.resolve(preset, sample_rate, len)?;
    settings.check_channels(channels.len())?;
    let peak = wet_peak(channels, settings.channels);
    // Section 2: the wet source (and the dry, by the same gain) at peak 0.99,
    // except with `--normalize none`, where nothing is scaled anywhere.
    let wet_gain = if peak > 0.0 && settings.normalize != Normalize::None {
        (0.99 / peak as f64) as f32
    } else {
        1.0
    };
    let independent = settings.channels == ChannelMode::Independent && channels.len() > 1;
    let (settings0, analysis, attention, plan, control) = if independent {
        plan_one(&channels[..1], &settings, wet_gain, seed, (cache, Some(0)))
    } else {
        plan_one(channels, &settings, wet_gain, seed, (cache, None))
    };
    let mut others = Vec::new();
    if independent {
        // Each further channel on its own (in parallel: the plans are
        // independent and each is deterministic).
        use rayon::prelude::*;
        others = (1..channels.len())
            .into_par_iter()
            .map(|c| {
                let sd = channel_seed(seed, c);
                let (_, analysis, attention, plan, diversity) = plan_one(
                    &channels[c..c + 1],
                    &settings,
                    wet_gain,
                    sd,
                    (cache, Some(c)),
                );
                ChannelPlan {
                    channel: c,
                    seed: sd,
                    analysis,
                    attention,
                    plan,
                    diversity,
                }
            })
            .collect();
    }
    let mut settings = settings0;
    // Adjustments the diversity made on other channels (each once).
    for c in &others {
        for p in &c.diversity {
            if p.clamped && p.alpha <= diversity::ALPHA_MIN {
                let line = format!(
                    "channel {}: diversity {} % asks for more grains than alpha {} gives",
                    c.channel,
                    params::num(p.diversity),
                    params::num(diversity::ALPHA_MIN)
                );
                if !settings.adjustments.contains(&line) {
                    settings.adjustments.push(line);
                }
                break;
            }
        }
    }
    let mut warnings = Vec::new();
    if peak == 0.0 {
        warnings.push("the source is silent: the output is silence".to_string());
    } else {
        for v in
            std::iter::once((0, &attention)).chain(others.iter().map(|c| (c.channel, &c.attention)))
        {
            if v.1.fallback {
                let who = if independent {
                    format!("channel {}: ", v.0)
                } else {
                    String::new()
                };
                warnings.push(format!(
                    "{who}no grain cleared the floor: only the highest-scoring grain is used (lower --floor-db)"
                ));
            }
        }
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
        others,
        source_channels: channels.len(),
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

/// The wet source of each output channel: every channel (linked,
/// independent) or the mono mix, and with a spread a mono source in both
/// output channels (section 14).
fn wet_source<'a>(
    s: &Settings,
    channels: &[&'a [f32]],
    mix: &'a mut Option<SampleBuf>,
) -> Vec<&'a [f32]> {
    let v = if s.channels == ChannelMode::Mono && channels.len() > 1 {
        vec![mix.insert(mono_mix(channels)).as_slice()]
    } else if s.channels == ChannelMode::Mono {
        vec![channels[0]]
    } else {
        channels.to_vec()
    };
    if s.spreads() && v.len() == 1 {
        vec![v[0], v[0]]
    } else {
        v
    }
}

/// The plans of a run as render parts: one for all output channels, or one
/// per channel (independent); with a spread, the pan law of the source.
fn render_parts(p: &Prepared, out_channels: usize) -> Vec<render::Part<'_>> {
    let s = &p.settings;
    if !p.others.is_empty() {
        return p
            .channel_plans()
            .into_iter()
            .map(|c| render::Part {
                plan: c.plan,
                analysis: c.analysis,
                first: c.channel,
                count: 1,
                pan: None,
            })
            .collect();
    }
    // A mono grain (one source channel, or the mono mix) is placed with the
    // equal-power law; a stereo grain is balanced.
    let mono = s.channels == ChannelMode::Mono || p.settings_source_channels() == 1;
    vec![render::Part {
        plan: &p.plan,
        analysis: &p.analysis,
        first: 0,
        count: out_channels,
        pan: s.spreads().then_some(if mono {
            render::PanLaw::EqualPower
        } else {
            render::PanLaw::Balance
        }),
    }]
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
    let parts = render_parts(p, wet_src.len());
    render::RenderJob::with_parts(&parts, s, wet_src, p.wet_gain, s.output_len(), fin)
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

/// [`render_prepared`] into buffers the caller owns (the Python bindings'
/// numpy arrays, a studio's playback buffers): one per output channel
/// ([`Settings::output_channels`] of the source's channel count), each
/// [`Settings::output_len`] frames; their contents are overwritten. Same
/// samples as [`render_prepared`]. Returns the level.
///
/// # Panics
/// If the buffers are not that many or not that long.
pub fn render_prepared_into(p: &Prepared, channels: &[&[f32]], out: &mut [&mut [f32]]) -> Level {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let m = render_job(p, &wet_src).render_into(out);
    level_into(p, m, out)
}

/// The level decision for rendered samples `out` that measured `m`, and its
/// gain applied to them.
fn level_into(p: &Prepared, m: render::Measured, out: &mut [&mut [f32]]) -> Level {
    let level = decide_level(p, m, || {
        let chs: Vec<&[f32]> = out.iter().map(|c| &c[..]).collect();
        level::loudness(&chs, p.settings.sample_rate)
    });
    finish::scale(out, level.gain);
    level
}

/// [`render_prepared_into`], abandoned as soon as `stop` returns true: it is
/// asked before each block of output (a few thousand frames) is rendered.
/// `None` if it said stop (then `out` holds no meaningful samples), else
/// exactly what [`render_prepared_into`] gives. For a front end in which a
/// newer request supersedes a running render (the studio).
pub fn render_prepared_into_until(
    p: &Prepared,
    channels: &[&[f32]],
    out: &mut [&mut [f32]],
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<Level> {
    let mut mix = None;
    let wet_src = wet_source(&p.settings, channels, &mut mix);
    let job = render_job(p, &wet_src).until(stop);
    let m = job.render_into(out);
    (!job.stopped()).then(|| level_into(p, m, out))
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
