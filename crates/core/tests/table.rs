//! The parameter table (`gar_core::table`, docs/algorithm.md sections 1 and 12):
//! defaults, preset columns, text and JSON access per parameter, serde of
//! `Params` with envelopes, and the errors that name their parameter.

use gar_core::envelope::Envelope;
use gar_core::params::{AttentionNorm, ChannelMode, Normalize, ParamError, ScoreType};
use gar_core::table::{self, Kind, PARAMS, ParamSpec};
use gar_core::{Params, Preset};
use serde_json::{Value, json};

fn spec(id: &str) -> &'static ParamSpec {
    PARAMS
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no parameter {id} in the table"))
}

fn env(text: &str) -> Envelope {
    Envelope::parse(text).expect("a valid envelope")
}

/// Parameters with something unusual in every field: envelopes of every
/// shape, both optional fields set, non-default choices and switches.
fn rich() -> Params {
    Params {
        grain_ms: env("30..600@exp"),
        hop_ms: env("0:10, 0.25:12@smooth, 10s:40"),
        cand_hop_ms: 12.5,
        alpha: env("0:25, 0.4:25, 1:2"),
        diversity: Some(env("90..5")),
        floor_db: env("0:1, 1500ms:3@step, 1:-2"),
        score: ScoreType::Mixed,
        transient_weight: 0.25,
        time_jitter_ms: Envelope::constant(3.5),
        pitch_jitter_st: env("0..0.7"),
        pitch_st: env("-12..7@smooth"),
        recency: env("0.1..0.9"),
        wet: env("100..50"),
        spread: env("0..0.5"),
        duration_s: Some(12.5),
        channels: ChannelMode::Mono,
        attention_norm: AttentionNorm::Mean,
        seed: 12_345_678_901,
        normalize: Normalize::Loudness,
        peak_db: -1.5,
        lufs: -23.0,
        dc_block: false,
        mix: None,
        drivers: gar_core::analysis::DriverSet::all(),
    }
}

#[test]
fn every_default_parses_and_is_the_params_default() {
    let d = Params::default();
    for s in &PARAMS {
        if s.default.is_empty() {
            assert_eq!(s.get_json(&d), None, "{}: no default, unset", s.id);
            continue;
        }
        let mut p = d.clone();
        s.set_text(&mut p, s.default)
            .unwrap_or_else(|e| panic!("{}: default \"{}\" does not parse: {e}", s.id, s.default));
        if s.id == "peak_db" {
            // The table writes 20 log10(0.99) rounded; the default is exact.
            assert!((p.peak_db - d.peak_db).abs() < 1e-4);
            assert_eq!(d.peak_db, 20.0 * 0.99f64.log10());
        } else {
            assert!(
                s.same(&p, &d),
                "{}: default \"{}\" is not Params::default()",
                s.id,
                s.default
            );
            assert_eq!(p, d, "{}", s.id);
        }
    }
}

/// docs/algorithm.md section 1: the defaults and the preset table.
/// (grain, hop, cand, alpha, floor, score, tw, time jitter, pitch jitter, recency, wet)
type Row = (
    f64,
    f64,
    f64,
    f64,
    f64,
    &'static str,
    f64,
    f64,
    f64,
    f64,
    f64,
);
const SPEC_ROWS: [(Preset, Row); 8] = [
    (
        Preset::SelfRemix,
        (60., 30., 20., 3., -3., "rms", 0.3, 8., 0., 0.3, 100.),
    ),
    (
        Preset::Crystallize,
        (40., 20., 15., 12., 3., "rms", 0.2, 3., 0., 0.4, 100.),
    ),
    (
        Preset::MotifExtract,
        (30., 15., 10., 25., 6., "rms", 0.0, 1., 0., 0.6, 100.),
    ),
    (
        Preset::OnsetHarvest,
        (50., 25., 15., 8., 2., "onset", 1.0, 5., 0., 0.4, 100.),
    ),
    (
        Preset::Shimmer,
        (20., 10., 10., 2., -6., "rms", 0.2, 4., 0.3, 0.2, 85.),
    ),
    (
        Preset::Slabs,
        (300., 150., 50., 10., 2., "rms", 0.0, 15., 0., 0.5, 100.),
    ),
    (
        Preset::Cloud,
        (600., 300., 80., 4., -3., "mixed", 0.4, 30., 0., 0.3, 90.),
    ),
    (
        Preset::Custom,
        (50., 25., 20., 8., 0., "rms", 0.5, 5., 0., 0.5, 100.),
    ),
];

#[test]
fn presets_are_the_defaults_plus_the_tables_column() {
    assert_eq!(Preset::Custom.params(), Params::default());
    for p in Preset::ALL {
        // Built from the table: the defaults with the preset's column on top.
        let mut want = Params::default();
        for s in &PARAMS {
            if s.presets.is_some() {
                let text = s.preset_text(p).expect("a preset value");
                s.set_text(&mut want, &text)
                    .unwrap_or_else(|e| panic!("{p} {}: \"{text}\": {e}", s.id));
            } else if !s.default.is_empty() {
                assert_eq!(s.preset_text(p).as_deref(), Some(s.default), "{p} {}", s.id);
            }
        }
        let got = p.params();
        assert_eq!(got, want, "{p}: defaults + the table's column");

        // And the spec's own table.
        let (_, r) = SPEC_ROWS.iter().find(|(q, _)| *q == p).expect("a row");
        let c = |e: &Envelope| e.constant_value().expect("a constant");
        assert_eq!(c(&got.grain_ms), r.0, "{p} grain");
        assert_eq!(c(&got.hop_ms), r.1, "{p} hop");
        assert_eq!(got.cand_hop_ms, r.2, "{p} cand hop");
        assert_eq!(c(&got.alpha), r.3, "{p} alpha");
        assert_eq!(c(&got.floor_db), r.4, "{p} floor");
        assert_eq!(got.score.id(), r.5, "{p} score");
        assert_eq!(got.transient_weight, r.6, "{p} transient weight");
        assert_eq!(c(&got.time_jitter_ms), r.7, "{p} time jitter");
        assert_eq!(c(&got.pitch_jitter_st), r.8, "{p} pitch jitter");
        assert_eq!(c(&got.recency), r.9, "{p} recency");
        assert_eq!(c(&got.wet), r.10, "{p} wet");
        // What presets do not set stays at the default.
        assert_eq!(c(&got.pitch_st), 0.0);
        assert_eq!(got.diversity, None);
        assert_eq!(got.duration_s, None);
        assert_eq!(got.seed, 0);
        assert_eq!(got.attention_norm, AttentionNorm::Range);
        assert_eq!(got.channels, ChannelMode::Linked);
        assert_eq!(got.normalize, Normalize::Peak);
        assert_eq!(got.lufs, -16.0);
        assert!(got.dc_block);
    }
}

#[test]
fn params_serde_json_round_trip_is_identity() {
    let mut all = vec![rich(), Params::default()];
    all.extend(Preset::ALL.iter().map(|p| p.params()));
    for p in &all {
        let text = serde_json::to_string(p).expect("serialises");
        let back: Params = serde_json::from_str(&text).expect("reads back");
        assert_eq!(&back, p, "{text}");
        let v = serde_json::to_value(p).unwrap();
        let back: Params = serde_json::from_value(v).unwrap();
        assert_eq!(&back, p);
    }
    // Constants are numbers, envelopes their canonical text.
    let v = serde_json::to_value(rich()).unwrap();
    assert_eq!(v["time_jitter_ms"], json!(3.5));
    assert_eq!(v["alpha"], json!("0:25, 0.4:25, 1:2"));
    assert_eq!(v["grain_ms"], json!("30..600@exp"));
    assert_eq!(v["diversity"], json!("90..5"));
    // Missing keys are the defaults; unknown keys are refused.
    let d: Params = serde_json::from_str("{}").unwrap();
    assert_eq!(d, Params::default());
    assert!(serde_json::from_str::<Params>(r#"{"alpah": 3}"#).is_err());
    // Breakpoint arrays read as envelopes.
    let a: Params = serde_json::from_value(json!({"alpha": [[0, 1], [1, 40, "exp"]]})).unwrap();
    assert_eq!(a.alpha, env("1..40@exp"));
}

#[test]
fn json_and_text_access_round_trip_for_every_parameter() {
    let p = rich();
    let mut from_json = Params::default();
    let mut from_text = Params::default();
    for s in &PARAMS {
        let v = s
            .get_json(&p)
            .unwrap_or_else(|| panic!("{}: set in rich()", s.id));
        let mut q = Params::default();
        s.set_json(&mut q, &v)
            .unwrap_or_else(|e| panic!("{}: set_json({v}): {e}", s.id));
        assert_eq!(s.get_json(&q).as_ref(), Some(&v), "{}", s.id);
        assert!(s.same(&p, &q), "{}", s.id);
        s.set_json(&mut from_json, &v).unwrap();

        let t = s.get_text(&p).expect("set");
        s.set_text(&mut from_text, &t)
            .unwrap_or_else(|e| panic!("{}: set_text(\"{t}\"): {e}", s.id));
        assert!(s.same(&p, &from_text), "{}: text \"{t}\"", s.id);
    }
    assert_eq!(from_json, p, "every parameter through get_json/set_json");
    assert_eq!(from_text, p, "every parameter through get_text/set_text");

    // Unset optional parameters: no value, and null unsets them.
    let d = Params::default();
    for id in ["diversity", "duration_s"] {
        let s = spec(id);
        assert_eq!(s.get_json(&d), None);
        let mut q = p.clone();
        s.set_json(&mut q, &Value::Null).unwrap();
        assert_eq!(s.get_json(&q), None, "{id}: null unsets it");
    }
}

#[test]
fn unknown_choice_word_names_the_parameter() {
    let mut p = Params::default();
    let e = spec("score").set_text(&mut p, "loudest").unwrap_err();
    assert_eq!(e.param(), Some("score"));
    let msg = e.to_string();
    assert!(msg.contains("loudest") && msg.contains("rms"), "{msg}");
    let e = spec("score")
        .set_json(&mut p, &json!("loudest"))
        .unwrap_err();
    assert_eq!(e.param(), Some("score"));
    assert_eq!(p, Params::default(), "a refused word changes nothing");
    for s in PARAMS.iter().filter(|s| s.kind() == Kind::Choice) {
        let e = s.set_text(&mut p, "nonsense").unwrap_err();
        assert_eq!(e.param(), Some(s.id));
        // Every listed word and alias is accepted.
        for c in s.choices() {
            for w in std::iter::once(&c.id).chain(c.aliases) {
                let mut q = Params::default();
                s.set_text(&mut q, w)
                    .unwrap_or_else(|e| panic!("{} {w}: {e}", s.id));
                assert_eq!(s.get_text(&q).as_deref(), Some(c.id), "{} {w}", s.id);
            }
        }
    }
}

#[test]
fn a_fixed_parameter_given_as_envelope_is_an_error_naming_it() {
    let mut p = Params::default();
    let e = spec("cand_hop_ms").set_text(&mut p, "1..2").unwrap_err();
    assert_eq!(e.param(), Some("cand_hop_ms"));
    assert!(e.to_string().contains("fixed"), "{e}");
    let e = spec("cand_hop_ms")
        .set_json(&mut p, &json!("0:1, 1:2"))
        .unwrap_err();
    assert_eq!(e.param(), Some("cand_hop_ms"));
    for s in PARAMS
        .iter()
        .filter(|s| s.kind() == Kind::Number && !s.varies())
    {
        for text in ["1..2", "0:1, 1:2"] {
            let e = s
                .set_text(&mut p, text)
                .err()
                .unwrap_or_else(|| panic!("{} accepted \"{text}\"", s.id));
            assert_eq!(e.param(), Some(s.id), "{text}");
        }
    }
    assert_eq!(p, Params::default());
    // The fixed and varying parameters of section 12.
    let varying: Vec<&str> = table::varying().map(|s| s.id).collect();
    assert_eq!(
        varying,
        [
            "grain_ms",
            "hop_ms",
            "alpha",
            "diversity",
            "floor_db",
            "time_jitter_ms",
            "pitch_jitter_st",
            "pitch_st",
            "recency",
            "wet",
            "spread"
        ]
    );
    for id in [
        "cand_hop_ms",
        "attention_norm",
        "duration_s",
        "channels",
        "seed",
        "normalize",
        "peak_db",
        "lufs",
        "dc_block",
    ] {
        assert!(!spec(id).varies(), "{id} is fixed for a run");
    }
}

#[test]
fn validate_rejects_a_non_positive_breakpoint_without_a_source() {
    let p = Params {
        grain_ms: env("0..50"),
        ..Params::default()
    };
    assert_eq!(
        p.validate(),
        Err(ParamError::NotPositive {
            name: "grain_ms",
            value: 0.0
        })
    );
    let p = Params {
        alpha: env("0:8, 0.5:-1, 1:3"),
        ..Params::default()
    };
    assert_eq!(p.validate().unwrap_err().param(), Some("alpha"));
    let p = Params {
        diversity: Some(env("50..150")),
        ..Params::default()
    };
    assert!(matches!(
        p.validate(),
        Err(ParamError::TooLarge {
            name: "diversity",
            ..
        })
    ));
    assert_eq!(Params::default().validate(), Ok(()));
    assert_eq!(rich().validate(), Ok(()));
}

#[test]
fn every_varying_parameter_clamps_each_breakpoint_and_says_so() {
    for s in table::varying() {
        let lo = if s.min.is_finite() {
            if s.positive { s.min / 2.0 } else { s.min - 1.0 }
        } else {
            continue;
        };
        let hi = if s.max.is_finite() {
            s.max + 1.0
        } else {
            s.min + 10.0
        };
        let text = format!("0:{lo}, 0.5:{hi}, 1:{lo}");
        let mut p = Params::default();
        s.set_text(&mut p, &text).unwrap();
        let (c, adj) = p.checked().unwrap_or_else(|e| panic!("{}: {e}", s.id));
        let got = s.get_json(&c).unwrap();
        let e: Envelope = serde_json::from_value(got).unwrap();
        let vals: Vec<f64> = e.points().iter().map(|p| p.value).collect();
        let want_hi = if s.max.is_finite() { s.max } else { hi };
        assert_eq!(vals, [s.min, want_hi, s.min], "{}: {text}", s.id);
        assert!(
            adj.iter().any(|l| l.starts_with(s.id)),
            "{}: no adjustment in {adj:?}",
            s.id
        );
    }
}

#[test]
fn find_resolves_ids_flags_and_aliases() {
    for s in &PARAMS {
        assert_eq!(table::find(s.id).map(|x| x.id), Some(s.id));
        assert_eq!(
            table::find(&format!("--{}", s.flag)).map(|x| x.id),
            Some(s.id)
        );
        for a in s.aliases {
            assert_eq!(table::find(a).map(|x| x.id), Some(s.id));
        }
    }
    assert_eq!(table::find("--temperature").map(|s| s.id), Some("alpha"));
    assert!(table::find("no-such-thing").is_none());
}
