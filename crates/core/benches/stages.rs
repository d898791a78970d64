//! Criterion benches for each engine stage on realistic sizes.
//!
//! `cargo bench -p gar-core --bench stages` (results in BENCHMARKS.md).
//! The source is the 60 s mono benchmark input of `bench/input.rs`, built from the two
//! CC0 recordings committed in the repository (the guitar recording of `testdata/` and
//! the demo sound, mixed to mono, alternated and cut at 60 s).

use criterion::{Criterion, criterion_group, criterion_main};
use gar_core::plan::{GarRng, Sampler, make_plan, recency_factors, uniform};
use gar_core::{Params, Preset, analysis, attention, render};
use rand_core::SeedableRng;
use std::hint::black_box;

#[path = "../../../bench/input.rs"]
mod input;

fn corpus() -> (u32, Vec<f32>) {
    let x = input::mix_60s()
        .into_iter()
        .map(|s| s as f32 / 32768.0)
        .collect();
    (input::SAMPLE_RATE, x)
}

fn stages(c: &mut Criterion) {
    let (sr, x) = corpus();
    let chans: [&[f32]; 1] = [&x];
    let mut g = c.benchmark_group("stages_60s_mono");
    g.sample_size(20);
    for preset in [Preset::SelfRemix, Preset::MotifExtract] {
        let s = preset.params().resolve(preset, sr, x.len()).unwrap();
        g.bench_function(format!("scoring/{}", preset.id()), |b| {
            b.iter(|| analysis::analyze(black_box(&chans), &s, 1.0))
        });
    }
    for preset in [Preset::SelfRemix, Preset::Shimmer] {
        let p = gar_core::prepare(&chans, sr, &preset.params(), preset, 1).unwrap();
        let name = if p.settings.pitch_active() {
            "with pitch jitter"
        } else {
            "no pitch jitter"
        };
        g.bench_function(format!("render/{} ({name})", preset.id()), |b| {
            b.iter(|| {
                let fin = render::Finishing {
                    fade: 220,
                    ..render::Finishing::none()
                };
                render::RenderJob::new(
                    &p.plan,
                    &p.analysis,
                    &p.settings,
                    &chans,
                    1.0,
                    p.settings.output_len(),
                    fin,
                )
                .render()
            })
        });
    }
    // Finishing and level on the whole render: the default (DC high-pass,
    // peak), without the high-pass, and with loudness.
    for (name, dc_block, normalize) in [
        (
            "render_prepared/self-remix (DC on, peak)",
            true,
            gar_core::Normalize::Peak,
        ),
        (
            "render_prepared/self-remix (DC off, peak)",
            false,
            gar_core::Normalize::Peak,
        ),
        (
            "render_prepared/self-remix (DC on, loudness)",
            true,
            gar_core::Normalize::Loudness,
        ),
    ] {
        let params = Params {
            dc_block,
            normalize,
            ..Preset::SelfRemix.params()
        };
        let p = gar_core::prepare(&chans, sr, &params, Preset::SelfRemix, 1).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| gar_core::render_prepared_unscaled(&p, &chans))
        });
    }
    g.finish();
}

fn attention_and_sampler(c: &mut Criterion) {
    // One million candidates with a smooth random landscape.
    let n = 1_000_000;
    let mut rng = GarRng::seed_from_u64(3);
    let score: Vec<f64> = (0..n).map(|_| uniform(&mut rng).powi(3)).collect();
    let mut g = c.benchmark_group("attention_sampler_1M");
    g.sample_size(10);
    g.bench_function("attention/1M candidates", |b| {
        b.iter(|| attention::attend(black_box(&score), 8.0, -3.0, gar_core::AttentionNorm::Range))
    });
    let att = attention::attend(&score, 3.0, -3.0, gar_core::AttentionNorm::Range);
    // The plan of 10 million hops with recency on (docs/algorithm.md, section 6).
    let s = Params {
        hop_ms: gar_core::Envelope::from(5.0),
        grain_ms: gar_core::Envelope::from(10.0),
        duration_s: Some(49_999.999),
        recency: gar_core::Envelope::from(0.5),
        ..Params::default()
    }
    .resolve(Preset::Custom, 44100, 44100 * 60)
    .unwrap();
    assert_eq!(gar_core::plan::hop_count(&s), 10_000_000);
    g.bench_function("plan/1M candidates x 10M hops, recency 0.5", |b| {
        b.iter(|| make_plan(black_box(&att.prob), &s, 7))
    });
    let sampler = Sampler::new(&att.prob);
    g.bench_function("sampler/draw_penalised x 1M", |b| {
        b.iter(|| {
            let mut rng = GarRng::seed_from_u64(1);
            let mut recent = [None; 3];
            for _ in 0..1_000_000 {
                let (f, k) = recency_factors(&recent, 0.5);
                let i = sampler.draw_penalised(&f[..k], &mut rng);
                recent = [Some(i), recent[0], recent[1]];
            }
            recent
        })
    });
    g.finish();
}

criterion_group!(benches, stages, attention_and_sampler);
criterion_main!(benches);
