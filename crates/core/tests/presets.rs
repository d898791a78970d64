//! The defaults and the preset table equal docs/algorithm.md, section 1, value by value,
//! and `Preset::parse` accepts every name a user may type.

use gar_core::{AttentionNorm, ChannelMode, Normalize, Params, Preset, ScoreType};

#[test]
fn defaults_equal_spec_section_1() {
    let expected = Params {
        grain_ms: gar_core::Envelope::from(50.0),
        hop_ms: gar_core::Envelope::from(25.0),
        cand_hop_ms: 20.0,
        alpha: gar_core::Envelope::from(8.0),
        floor_db: gar_core::Envelope::from(0.0),
        score: ScoreType::Rms,
        mix: None,
        drivers: gar_core::analysis::DriverSet::NONE,
        transient_weight: 0.5,
        time_jitter_ms: gar_core::Envelope::from(5.0),
        pitch_jitter_st: gar_core::Envelope::from(0.0),
        recency: gar_core::Envelope::from(0.5),
        wet: gar_core::Envelope::from(100.0),
        duration_s: None,
        channels: ChannelMode::Linked,
        attention_norm: AttentionNorm::Range,
        // Section 8: peak at 20 log10(0.99) dBFS, the DC high-pass on.
        normalize: Normalize::Peak,
        peak_db: 20.0 * 0.99f64.log10(),
        lufs: -16.0,
        dc_block: true,
        diversity: None,
        pitch_st: gar_core::Envelope::from(0.0),
        spread: gar_core::Envelope::from(0.0),
        seed: 0,
    };
    assert_eq!(Params::default(), expected);
    assert_eq!(Preset::Custom.params(), expected);
}

/// preset, title, id, grain, hop, cand, alpha, floor, score, tw, tj, pj, recency, wet
type Row = (
    Preset,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
    f64,
    f64,
    ScoreType,
    f64,
    f64,
    f64,
    f64,
    f64,
);

/// docs/algorithm.md, section 1, the preset table, written out literally.
#[rustfmt::skip]
const TABLE: [Row; 7] = [
    //                            title            id               grain  hop    cand  alpha floor score             tw   tj    pj   rec  wet
    (Preset::SelfRemix,    "Self-Remix",    "self-remix",    60.0,  30.0,  20.0, 3.0,  -3.0, ScoreType::Rms,   0.3, 8.0,  0.0, 0.3, 100.0),
    (Preset::Crystallize,  "Crystallize",   "crystallize",   40.0,  20.0,  15.0, 12.0, 3.0,  ScoreType::Rms,   0.2, 3.0,  0.0, 0.4, 100.0),
    (Preset::MotifExtract, "Motif Extract", "motif-extract", 30.0,  15.0,  10.0, 25.0, 6.0,  ScoreType::Rms,   0.0, 1.0,  0.0, 0.6, 100.0),
    (Preset::OnsetHarvest, "Onset Harvest", "onset-harvest", 50.0,  25.0,  15.0, 8.0,  2.0,  ScoreType::Onset, 1.0, 5.0,  0.0, 0.4, 100.0),
    (Preset::Shimmer,      "Shimmer",       "shimmer",       20.0,  10.0,  10.0, 2.0,  -6.0, ScoreType::Rms,   0.2, 4.0,  0.3, 0.2, 85.0),
    (Preset::Slabs,        "Slabs",         "slabs",         300.0, 150.0, 50.0, 10.0, 2.0,  ScoreType::Rms,   0.0, 15.0, 0.0, 0.5, 100.0),
    (Preset::Cloud,        "Cloud",         "cloud",         600.0, 300.0, 80.0, 4.0,  -3.0, ScoreType::Mixed, 0.4, 30.0, 0.0, 0.3, 90.0),
];

#[test]
fn preset_table_equals_spec_section_1() {
    for (preset, title, id, g, h, c, a, fl, sc, tw, tj, pj, r, w) in TABLE {
        let expected = Params {
            grain_ms: g.into(),
            hop_ms: h.into(),
            cand_hop_ms: c,
            alpha: a.into(),
            floor_db: fl.into(),
            score: sc,
            mix: None,
            drivers: gar_core::analysis::DriverSet::NONE,
            transient_weight: tw,
            time_jitter_ms: tj.into(),
            pitch_jitter_st: pj.into(),
            recency: r.into(),
            wet: w.into(),
            // Presets leave these at their defaults.
            duration_s: None,
            channels: ChannelMode::Linked,
            attention_norm: AttentionNorm::Range,
            normalize: Normalize::Peak,
            peak_db: 20.0 * 0.99f64.log10(),
            lufs: -16.0,
            dc_block: true,
            diversity: None,
            pitch_st: gar_core::Envelope::from(0.0),
            spread: gar_core::Envelope::from(0.0),
            seed: 0,
        };
        assert_eq!(preset.params(), expected, "{title}");
        assert_eq!(preset.id(), id);
        assert_eq!(preset.title(), title);
    }
    // Every preset but Custom is in the table, each once.
    let listed: Vec<Preset> = TABLE.iter().map(|row| row.0).collect();
    for p in Preset::ALL {
        assert_eq!(
            listed.iter().filter(|&&q| q == p).count(),
            usize::from(p != Preset::Custom),
            "{p:?}"
        );
    }
    assert_eq!(Preset::Custom.id(), "custom");
}

#[test]
fn presets_need_no_adjustment_on_an_ordinary_source() {
    // 2 s at 44.1 kHz is long enough for every preset: nothing is clamped.
    for p in Preset::ALL {
        let s = p.params().resolve(p, 44100, 88200).unwrap();
        assert!(s.adjustments.is_empty(), "{p:?}: {:?}", s.adjustments);
        assert_eq!(s.preset, p);
    }
}

#[test]
fn parse_accepts_ids_file_names_titles_and_numbers() {
    let expected = [
        (
            "self-remix",
            "SelfRemix",
            "Self-Remix",
            "2",
            Preset::SelfRemix,
        ),
        (
            "crystallize",
            "Crystallize",
            "Crystallize",
            "3",
            Preset::Crystallize,
        ),
        (
            "motif-extract",
            "MotifExtract",
            "Motif Extract",
            "4",
            Preset::MotifExtract,
        ),
        (
            "onset-harvest",
            "OnsetHarvest",
            "Onset Harvest",
            "5",
            Preset::OnsetHarvest,
        ),
        ("shimmer", "Shimmer", "Shimmer", "6", Preset::Shimmer),
        ("slabs", "Slabs", "Slabs", "7", Preset::Slabs),
        ("cloud", "Cloud", "Cloud", "8", Preset::Cloud),
        ("custom", "Custom", "Custom", "1", Preset::Custom),
    ];
    for (id, file, title, number, preset) in expected {
        assert_eq!(Preset::parse(id), Some(preset), "{id}");
        assert_eq!(Preset::parse(file), Some(preset), "{file}");
        assert_eq!(Preset::parse(title), Some(preset), "{title}");
        assert_eq!(Preset::parse(number), Some(preset), "{number}");
        assert_eq!(
            Preset::parse(&id.to_uppercase()),
            Some(preset),
            "{id} upper case"
        );
        assert_eq!(preset.file_name(), file);
        assert_eq!(preset.number().to_string(), number);
    }
    for bad in ["", "0", "9", "10", "remix", "self", "cloudy"] {
        assert_eq!(Preset::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn enum_parsers_accept_the_documented_names() {
    assert_eq!(ScoreType::parse("rms"), Some(ScoreType::Rms));
    assert_eq!(ScoreType::parse("onset"), Some(ScoreType::Onset));
    assert_eq!(ScoreType::parse("transient"), Some(ScoreType::Onset));
    assert_eq!(ScoreType::parse("edge"), Some(ScoreType::Edge));
    assert_eq!(ScoreType::parse("mixed"), Some(ScoreType::Mixed));
    assert_eq!(ScoreType::parse("loud"), None);
    assert_eq!(AttentionNorm::parse("range"), Some(AttentionNorm::Range));
    assert_eq!(AttentionNorm::parse("mean"), Some(AttentionNorm::Mean));
    assert_eq!(AttentionNorm::parse("max"), None);
    assert_eq!(ChannelMode::parse("linked"), Some(ChannelMode::Linked));
    assert_eq!(ChannelMode::parse("mono"), Some(ChannelMode::Mono));
    assert_eq!(ChannelMode::parse("stereo"), None);
}
