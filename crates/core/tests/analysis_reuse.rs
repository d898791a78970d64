//! `prepare_cached` (the studio's entry point) gives exactly `prepare`'s run,
//! whatever the cache holds, and reuses an analysis only when the analysis
//! would be the same.

use gar_core::report::InputInfo;
use gar_core::table::{Kind, PARAMS};
use gar_core::{AnalysisCache, Params, Preset, Report, prepare, prepare_cached};

/// Two seconds of stereo: decaying tone bursts every 250 ms over a little
/// deterministic noise, different on each side.
fn source() -> Vec<Vec<f32>> {
    let sr = 16_000usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..2)
        .map(|c| {
            (0..2 * sr)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                    let t = (i % (sr / 4)) as f32 / sr as f32;
                    let f = 220.0 * (1 + c + (i / (sr / 4)) % 3) as f32;
                    (-t * 18.0).exp() * (std::f32::consts::TAU * f * t).sin() * 0.8 + noise * 0.05
                })
                .collect()
        })
        .collect()
}

/// The whole run as the report writes it (analysis, attention, plan, usage,
/// settings, adjustments, warnings).
fn run_json(p: &gar_core::Prepared) -> String {
    let info = InputInfo {
        path: "x".into(),
        sample_rate: 16_000,
        channels: 2,
        frames: 32_000,
        duration_s: 2.0,
    };
    serde_json::to_string(&Report::new(p, info, None)).unwrap()
}

/// A value of each table parameter that differs from the default.
fn changed(id: &str) -> Option<&'static str> {
    Some(match id {
        "grain_ms" => "80",
        "hop_ms" => "12",
        "cand_hop_ms" => "33",
        "alpha" => "2..20",
        "diversity" => "40",
        "floor_db" => "-3",
        "score" => "rms:0.5,centroid:0.5",
        "drivers" => "flatness",
        "transient_weight" => "0.9",
        "time_jitter_ms" => "1",
        "pitch_jitter_st" => "0.5",
        "pitch_st" => "3",
        "recency" => "0.9",
        "wet" => "60",
        "spread" => "0.7",
        "attention_norm" => "mean",
        "duration_s" => "1.5",
        "channels" => "independent",
        "normalize" => "none",
        "peak_db" => "-6",
        "lufs" => "-20",
        "dc_block" => "off",
        "seed" => return None,
        _ => return None,
    })
}

#[test]
fn cached_runs_equal_prepare_for_every_parameter() {
    let src = source();
    let chans: Vec<&[f32]> = src.iter().map(|c| c.as_slice()).collect();
    let cache = AnalysisCache::new(8);
    let base = Params::default();
    // Warm the cache with the defaults.
    let first = prepare_cached(&chans, 16_000, &base, Preset::Custom, 7, &cache).unwrap();
    assert_eq!(
        run_json(&first),
        run_json(&prepare(&chans, 16_000, &base, Preset::Custom, 7).unwrap())
    );
    let mut tested = 0;
    for spec in &PARAMS {
        if spec.kind() == Kind::Integer {
            continue;
        }
        let Some(v) = changed(spec.id) else {
            panic!("no changed value for the table's parameter {}", spec.id);
        };
        let mut p = base.clone();
        spec.set_text(&mut p, v).unwrap();
        let hits = cache.hits();
        let fresh = prepare(&chans, 16_000, &p, Preset::Custom, 7).unwrap();
        let cached = prepare_cached(&chans, 16_000, &p, Preset::Custom, 7, &cache).unwrap();
        assert_eq!(run_json(&fresh), run_json(&cached), "parameter {}", spec.id);
        // Reused exactly when the analysis is the default run's.
        let reused = cache.hits() > hits;
        let same_analysis = fresh.analysis == first.analysis && fresh.others.is_empty();
        assert_eq!(reused, same_analysis, "parameter {}: reuse", spec.id);
        tested += 1;
    }
    assert!(tested >= 20, "{tested} parameters tested");
}

#[test]
fn what_the_analysis_depends_on() {
    let src = source();
    let chans: Vec<&[f32]> = src.iter().map(|c| c.as_slice()).collect();
    let cache = AnalysisCache::new(8);
    let base = Params::default();
    prepare_cached(&chans, 16_000, &base, Preset::Custom, 7, &cache).unwrap();
    let reused = |id: &str, v: &str| {
        let mut p = base.clone();
        gar_core::table::find(id)
            .unwrap()
            .set_text(&mut p, v)
            .unwrap();
        let h = cache.hits();
        prepare_cached(&chans, 16_000, &p, Preset::Custom, 9, &cache).unwrap();
        cache.hits() > h
    };
    // Known answers: these change only the attention, the plan or the level...
    for (id, v) in [
        ("alpha", "30"),
        ("floor_db", "4"),
        ("recency", "0"),
        ("time_jitter_ms", "2"),
        ("pitch_jitter_st", "1"),
        ("pitch_st", "-5"),
        ("wet", "10"),
        ("spread", "1"),
        ("hop_ms", "5"),
        ("duration_s", "5"),
        ("peak_db", "-3"),
        ("attention_norm", "mean"),
    ] {
        assert!(reused(id, v), "{id} {v} should re-plan only");
    }
    // ...and these change the candidates or their scores.
    for (id, v) in [
        ("grain_ms", "30"),
        ("cand_hop_ms", "7"),
        ("score", "onset"),
        ("channels", "independent"),
        ("normalize", "none"),
    ] {
        assert!(!reused(id, v), "{id} {v} should re-analyse");
    }
}
