//! Parity with the original (Praat script v2.0): candidates, scores, active set and
//! probabilities for the files and presets in `../shared/parity/` (see its README),
//! with `--attention-norm mean`. Tolerances are the README's: scores within 0.002,
//! probabilities within a total-variation distance of 0.01.

use gar_core::{AttentionNorm, Params, Preset};
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn read_wav_mono(path: &PathBuf) -> (u32, Vec<f32>) {
    let mut r = hound::WavReader::open(path).expect("corpus file");
    let spec = r.spec();
    assert_eq!(spec.channels, 1);
    assert_eq!(spec.bits_per_sample, 16);
    let x = r
        .samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect();
    (spec.sample_rate, x)
}

struct Row {
    start_s: f64,
    power: f64,
    score: f64,
    active: bool,
    prob: f64,
}

fn read_tsv(path: &PathBuf) -> (Vec<Row>, String) {
    let text = std::fs::read_to_string(path).expect("parity file");
    let mut rows = Vec::new();
    let mut summary = String::new();
    for line in text.lines().skip(1) {
        if line.starts_with('#') {
            summary = line.to_string();
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        rows.push(Row {
            start_s: f[1].parse().unwrap(),
            power: f[2].parse().unwrap(),
            score: f[3].parse().unwrap(),
            active: f[4] == "1",
            prob: f[5].parse().unwrap(),
        });
    }
    (rows, summary)
}

fn check(file: &str) {
    let (sr, x) = read_wav_mono(&shared().join("corpus").join(format!("{file}.wav")));
    for (n, preset) in [
        (2, Preset::SelfRemix),
        (3, Preset::Crystallize),
        (4, Preset::MotifExtract),
        (5, Preset::OnsetHarvest),
        (6, Preset::Shimmer),
        (7, Preset::Slabs),
        (8, Preset::Cloud),
    ] {
        let (rows, summary) = read_tsv(&shared().join("parity").join(format!("{file}.p{n}.tsv")));
        let params = Params {
            attention_norm: AttentionNorm::Mean,
            ..preset.params()
        };
        let p = gar_core::prepare(&[&x], sr, &params, preset, 1).unwrap();
        let ctx = format!("{file} preset {n} ({summary})");
        // SPEC.md section 3 keeps an exact multiple that the original loses to
        // floating point ((5 - 0.03) / 0.01 = 496.99999999999994 there): then gar
        // has exactly one candidate more, at the very end.
        let exact = {
            let q = (x.len() as f64 / sr as f64 - params.grain_ms / 1000.0)
                / (params.cand_hop_ms / 1000.0);
            (q - q.round()).abs() < 1e-9
        };
        let extra = p.analysis.len() - rows.len();
        assert!(
            extra == 0 || (extra == 1 && exact),
            "candidate count {} vs {}, {ctx}",
            p.analysis.len(),
            rows.len()
        );
        let mut max_ds = 0f64;
        let mut tv = 0f64;
        for (i, r) in rows.iter().enumerate() {
            assert!(
                (p.analysis.start_s(i, sr) - r.start_s).abs() <= 0.5 / sr as f64 + 1e-9,
                "start of candidate {i}, {ctx}"
            );
            let ds = (p.analysis.score[i] - r.score).abs();
            max_ds = max_ds.max(ds);
            // Power: relative agreement (the original's window rounding differs slightly).
            assert!(
                (p.analysis.rms_power[i] - r.power).abs() <= 0.02 * r.power.max(1e-6),
                "power of candidate {i}: {} vs {}, {ctx}",
                p.analysis.rms_power[i],
                r.power
            );
            // The gate may only disagree where the score sits within tolerance of the floor.
            if p.attention.active[i] != r.active {
                assert!(
                    (r.score - p.attention.floor_value).abs() < 0.002,
                    "active flag of candidate {i} differs away from the floor, {ctx}"
                );
            }
            tv += (p.attention.prob[i] - r.prob).abs();
        }
        tv += p.attention.prob[rows.len()..].iter().sum::<f64>();
        tv *= 0.5;
        assert!(max_ds <= 0.002, "max score difference {max_ds}, {ctx}");
        assert!(tv <= 0.01, "probability total variation {tv}, {ctx}");
        eprintln!("{file} p{n}: max |dS| {max_ds:.2e}, TV {tv:.2e}");
    }
}

#[test]
fn parity_drums() {
    check("drums_seq_5s_44k_mono");
}

#[test]
fn parity_speech() {
    check("speech_front_center_48k_mono");
}
