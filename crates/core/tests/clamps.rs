//! Every clamp and derived rule of docs/algorithm.md, section 1 (`Params::resolve`) and the
//! adjustment lines it adds; every refusal and its error.

use gar_core::params::{MAX_OUTPUT_S, MIN_SOURCE_S};
use gar_core::{ParamError, Params, Preset, Settings};

const SR: u32 = 44100;
/// 5 s: long enough that no grain (<= 1000 ms) is shortened to the source.
const LONG: usize = 5 * 44100;

fn resolve(p: &Params) -> Settings {
    p.resolve(Preset::Custom, SR, LONG)
        .expect("valid parameters")
}

/// Exactly one adjustment line, mentioning every one of `words`.
fn one_line_with(s: &Settings, words: &[&str]) {
    assert_eq!(s.adjustments.len(), 1, "{:?}", s.adjustments);
    for w in words {
        assert!(
            s.adjustments[0].contains(w),
            "{:?} does not mention {w:?}",
            s.adjustments[0]
        );
    }
}

#[test]
fn grain_is_clamped_to_5_1000_ms() {
    let s = resolve(&Params {
        grain_ms: gar_core::Envelope::from(2.0),
        hop_ms: gar_core::Envelope::from(1.0),
        cand_hop_ms: 1.0,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        ..Params::default()
    });
    assert_eq!(s.grain_ms, 5.0);
    one_line_with(&s, &["grain_ms", "2", "5"]);
    assert_eq!(s.grain_len(), 221); // round(5 * 44.1) = round(220.5)

    let s = resolve(&Params {
        grain_ms: gar_core::Envelope::from(3000.0),
        ..Params::default()
    });
    assert_eq!(s.grain_ms, 1000.0);
    one_line_with(&s, &["grain_ms", "3000", "1000"]);
    assert_eq!(s.grain_len(), 44100);
}

#[test]
fn hop_is_at_least_1_ms_then_at_most_half_a_grain() {
    let s = resolve(&Params {
        hop_ms: gar_core::Envelope::from(0.25),
        time_jitter_ms: gar_core::Envelope::from(0.0),
        ..Params::default()
    });
    assert_eq!(s.hop_ms, 1.0);
    one_line_with(&s, &["hop_ms", "0.25", "1"]);

    let s = resolve(&Params {
        hop_ms: gar_core::Envelope::from(40.0),
        ..Params::default()
    });
    assert_eq!(s.hop_ms, 25.0);
    one_line_with(&s, &["hop", "40", "25"]);

    // Grain 5 ms: the hop may not exceed 2.5 ms.
    let s = resolve(&Params {
        grain_ms: gar_core::Envelope::from(5.0),
        hop_ms: gar_core::Envelope::from(4.0),
        cand_hop_ms: 2.0,
        time_jitter_ms: gar_core::Envelope::from(0.0),
        ..Params::default()
    });
    assert_eq!(s.hop_ms, 2.5);
    one_line_with(&s, &["hop", "4", "2.5"]);
}

#[test]
fn candidate_hop_is_at_least_1_ms_and_at_most_a_grain() {
    let s = resolve(&Params {
        cand_hop_ms: 0.5,
        ..Params::default()
    });
    assert_eq!(s.cand_hop_ms, 1.0);
    one_line_with(&s, &["cand_hop_ms", "0.5", "1"]);

    let s = resolve(&Params {
        cand_hop_ms: 80.0,
        ..Params::default()
    });
    assert_eq!(s.cand_hop_ms, 50.0);
    one_line_with(&s, &["candidate hop", "80", "50"]);
}

#[test]
fn alpha_is_at_least_0_01() {
    let s = resolve(&Params {
        alpha: gar_core::Envelope::from(0.001),
        ..Params::default()
    });
    assert_eq!(s.alpha, 0.01);
    one_line_with(&s, &["alpha", "0.001", "0.01"]);
    let s = resolve(&Params {
        alpha: 1e6.into(),
        ..Params::default()
    });
    assert_eq!(s.alpha, 1e6);
    assert!(s.adjustments.is_empty());
}

#[test]
fn bounded_parameters_are_clamped_with_a_line_each() {
    type Case = (
        fn(&mut Params, f64),
        fn(&Settings) -> f64,
        &'static str,
        f64,
        f64,
    );
    let cases: [Case; 10] = [
        (
            |p, v| p.transient_weight = v,
            |s| s.transient_weight,
            "transient_weight",
            -0.5,
            0.0,
        ),
        (
            |p, v| p.transient_weight = v,
            |s| s.transient_weight,
            "transient_weight",
            1.5,
            1.0,
        ),
        (
            |p, v| p.pitch_jitter_st = v.into(),
            |s| s.pitch_jitter_st,
            "pitch_jitter_st",
            -1.0,
            0.0,
        ),
        (
            |p, v| p.pitch_jitter_st = v.into(),
            |s| s.pitch_jitter_st,
            "pitch_jitter_st",
            7.0,
            4.0,
        ),
        (
            |p, v| p.recency = gar_core::Envelope::from(v),
            |s| s.recency,
            "recency",
            -0.1,
            0.0,
        ),
        (
            |p, v| p.recency = gar_core::Envelope::from(v),
            |s| s.recency,
            "recency",
            1.2,
            1.0,
        ),
        (
            |p, v| p.wet = gar_core::Envelope::from(v),
            |s| s.wet,
            "wet",
            -5.0,
            0.0,
        ),
        (
            |p, v| p.wet = gar_core::Envelope::from(v),
            |s| s.wet,
            "wet",
            150.0,
            100.0,
        ),
        (
            |p, v| p.time_jitter_ms = v.into(),
            |s| s.time_jitter_ms,
            "time_jitter_ms",
            -3.0,
            0.0,
        ),
        (
            |p, v| p.alpha = gar_core::Envelope::from(v),
            |s| s.alpha,
            "alpha",
            0.005,
            0.01,
        ),
    ];
    for (set, get, flag, given, want) in cases {
        let mut p = Params::default();
        set(&mut p, given);
        let s = resolve(&p);
        assert_eq!(get(&s), want, "{flag} {given}");
        one_line_with(&s, &[flag]);
    }
}

#[test]
fn floor_takes_any_finite_value() {
    for f in [-200.0, -3.0, 0.0, 6.0, 200.0] {
        let s = resolve(&Params {
            floor_db: f.into(),
            ..Params::default()
        });
        assert_eq!(s.floor_db, f);
        assert!(s.adjustments.is_empty());
    }
}

#[test]
fn time_jitter_is_at_most_the_hop() {
    let s = resolve(&Params {
        time_jitter_ms: gar_core::Envelope::from(40.0),
        ..Params::default()
    });
    assert_eq!(s.time_jitter_ms, 25.0);
    one_line_with(&s, &["time jitter", "40", "25"]);
}

#[test]
fn grain_longer_than_the_source_shrinks_and_the_derived_rules_follow() {
    // 0.1 s source: grain 500 -> 100 ms, then hop <= 50, cand <= 100, jitter <= hop.
    let p = Params {
        grain_ms: gar_core::Envelope::from(500.0),
        hop_ms: gar_core::Envelope::from(200.0),
        cand_hop_ms: 300.0,
        time_jitter_ms: gar_core::Envelope::from(80.0),
        ..Params::default()
    };
    let s = p.resolve(Preset::Custom, SR, 4410).unwrap();
    assert_eq!(s.grain_ms, 100.0);
    assert_eq!(s.hop_ms, 50.0);
    assert_eq!(s.cand_hop_ms, 100.0);
    assert_eq!(s.time_jitter_ms, 50.0);
    assert_eq!(s.grain_len(), 4410);
    assert_eq!(s.adjustments.len(), 4, "{:?}", s.adjustments);
    assert!(s.adjustments[0].contains("longer than the source"));
    assert!(s.adjustments[0].contains("500") && s.adjustments[0].contains("100"));
    assert!(s.adjustments[1].contains("hop"));
    assert!(s.adjustments[2].contains("candidate hop"));
    assert!(s.adjustments[3].contains("time jitter"));
}

#[test]
fn no_adjustment_line_when_nothing_changes() {
    // Every value sits exactly on a bound: nothing changes, nothing is reported.
    let cases = [
        Params::default(),
        Params {
            grain_ms: gar_core::Envelope::from(5.0),
            hop_ms: gar_core::Envelope::from(2.5),
            cand_hop_ms: 5.0,
            alpha: gar_core::Envelope::from(0.01),
            transient_weight: 0.0,
            time_jitter_ms: gar_core::Envelope::from(2.5),
            pitch_jitter_st: gar_core::Envelope::from(4.0),
            recency: gar_core::Envelope::from(0.0),
            wet: gar_core::Envelope::from(0.0),
            ..Params::default()
        },
        Params {
            grain_ms: gar_core::Envelope::from(1000.0),
            hop_ms: gar_core::Envelope::from(1.0),
            cand_hop_ms: 1.0,
            transient_weight: 1.0,
            time_jitter_ms: gar_core::Envelope::from(0.0),
            pitch_jitter_st: gar_core::Envelope::from(0.0),
            recency: gar_core::Envelope::from(1.0),
            wet: gar_core::Envelope::from(100.0),
            duration_s: Some(MAX_OUTPUT_S),
            ..Params::default()
        },
    ];
    for p in cases {
        let s = resolve(&p);
        assert!(s.adjustments.is_empty(), "{p:?}: {:?}", s.adjustments);
        assert_eq!(
            (s.grain_ms, s.hop_ms, s.cand_hop_ms, s.alpha),
            (k(&p.grain_ms), k(&p.hop_ms), p.cand_hop_ms, k(&p.alpha))
        );
        assert_eq!(
            (
                s.transient_weight,
                s.time_jitter_ms,
                s.pitch_jitter_st,
                s.recency,
                s.wet
            ),
            (
                p.transient_weight,
                k(&p.time_jitter_ms),
                k(&p.pitch_jitter_st),
                k(&p.recency),
                k(&p.wet)
            )
        );
    }
    // A grain exactly as long as the source is not "longer than the source".
    let p = Params {
        grain_ms: gar_core::Envelope::from(100.0),
        hop_ms: gar_core::Envelope::from(50.0),
        cand_hop_ms: 20.0,
        ..Params::default()
    };
    let s = p.resolve(Preset::Custom, SR, 4410).unwrap();
    assert!(s.adjustments.is_empty(), "{:?}", s.adjustments);
}

#[test]
fn duration_defaults_to_the_source_and_can_be_set() {
    let s = resolve(&Params::default());
    assert_eq!(s.duration_s, 5.0);
    assert_eq!(s.output_len(), LONG);
    let s = resolve(&Params {
        duration_s: Some(0.7),
        ..Params::default()
    });
    assert_eq!(s.duration_s, 0.7);
    assert_eq!(s.output_len(), 30870);
}

type Setter = fn(&mut Params, f64);

fn setters() -> [(Setter, &'static str); 11] {
    [
        (|p, v| p.grain_ms = gar_core::Envelope::from(v), "grain_ms"),
        (|p, v| p.hop_ms = gar_core::Envelope::from(v), "hop_ms"),
        (|p, v| p.cand_hop_ms = v, "cand_hop_ms"),
        (|p, v| p.alpha = gar_core::Envelope::from(v), "alpha"),
        (|p, v| p.floor_db = gar_core::Envelope::from(v), "floor_db"),
        (|p, v| p.transient_weight = v, "transient_weight"),
        (
            |p, v| p.time_jitter_ms = gar_core::Envelope::from(v),
            "time_jitter_ms",
        ),
        (
            |p, v| p.pitch_jitter_st = gar_core::Envelope::from(v),
            "pitch_jitter_st",
        ),
        (|p, v| p.recency = gar_core::Envelope::from(v), "recency"),
        (|p, v| p.wet = gar_core::Envelope::from(v), "wet"),
        (|p, v| p.duration_s = Some(v), "duration_s"),
    ]
}

#[test]
fn non_finite_values_are_errors_never_clamped() {
    // A non-finite value cannot even be stored in an envelope: it is refused
    // where it is given (the parameter table's setters, which flags and params
    // files use), naming the parameter.
    for (_, flag) in setters() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut p = Params::default();
            let spec = gar_core::table::find(flag).expect("a parameter");
            let e = spec.set_text(&mut p, &bad.to_string()).unwrap_err();
            match &e {
                ParamError::NotFinite { name, value } => {
                    assert_eq!(*name, flag);
                    assert!(!value.is_finite());
                }
                ParamError::Envelope { name, error } => {
                    assert_eq!(*name, flag);
                    assert_eq!(error.kind(), gar_core::envelope::ErrorKind::NotFinite);
                }
                other => panic!("{flag} = {bad}: expected NotFinite, got {other:?}"),
            }
            let msg = e.to_string();
            assert!(msg.contains(flag) && msg.contains("finite"), "{msg}");
        }
    }
}

#[test]
fn non_finite_numbers_set_directly_are_errors_of_resolve() {
    let s = setters();
    for (set, flag) in [s[2], s[5], s[10]] {
        let mut p = Params::default();
        set(&mut p, f64::NAN);
        let e = p.resolve(Preset::Custom, SR, LONG).unwrap_err();
        assert!(
            matches!(e, ParamError::NotFinite { name, .. } if name == flag),
            "{flag}: {e:?}"
        );
    }
}

#[test]
fn non_positive_sizes_are_errors() {
    let s = setters();
    // grain, hop, cand, alpha, duration
    for (set, flag) in [s[0], s[1], s[2], s[3], s[10]] {
        for bad in [0.0, -0.0, -3.0, -1e300] {
            let mut p = Params::default();
            set(&mut p, bad);
            let e = p.resolve(Preset::Custom, SR, LONG).unwrap_err();
            assert_eq!(
                e,
                ParamError::NotPositive {
                    name: flag,
                    value: bad
                },
                "{flag} = {bad}"
            );
            let msg = e.to_string();
            assert!(msg.contains(flag) && msg.contains("> 0"), "{msg}");
        }
    }
    // The error names what was given.
    let e = Params {
        grain_ms: gar_core::Envelope::from(-3.0),
        ..Params::default()
    }
    .resolve(Preset::Custom, SR, LONG)
    .unwrap_err();
    assert_eq!(e.to_string(), "grain_ms must be > 0, got -3");
}

#[test]
fn duration_above_the_maximum_is_an_error() {
    let p = Params {
        duration_s: Some(MAX_OUTPUT_S * 1.000001),
        ..Params::default()
    };
    match p.resolve(Preset::Custom, SR, LONG).unwrap_err() {
        ParamError::TooLarge { name, max, .. } => {
            assert_eq!(name, "duration_s");
            assert_eq!(max, MAX_OUTPUT_S);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(MAX_OUTPUT_S, 86400.0);
}

#[test]
fn a_source_shorter_than_50_ms_is_an_error() {
    assert_eq!(MIN_SOURCE_S, 0.05);
    for (sr, min_len) in [(8000u32, 400usize), (44100, 2205), (48000, 2400)] {
        let p = Params::default();
        assert!(p.resolve(Preset::Custom, sr, min_len).is_ok(), "{sr} Hz");
        for len in [0, 1, min_len / 2, min_len - 1] {
            let e = p.resolve(Preset::Custom, sr, len).unwrap_err();
            assert!(
                matches!(e, ParamError::SourceTooShort { seconds } if seconds == len as f64 / sr as f64),
                "{sr} Hz, {len} frames: {e:?}"
            );
            assert!(e.to_string().contains("50 ms"), "{e}");
        }
    }
    assert_eq!(
        Params::default()
            .resolve(Preset::Custom, 0, 1000)
            .unwrap_err(),
        ParamError::ZeroSampleRate
    );
}

/// A constant envelope's value.
fn k(e: &gar_core::Envelope) -> f64 {
    e.constant_value().expect("a constant")
}
