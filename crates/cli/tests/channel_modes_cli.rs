//! `--channels independent` and `--spread` end to end (issue 12): the CSV
//! file set per channel, the report's `channels[]` and `plan.pan`, the
//! summary lines, the usage errors and the clamp.

mod common;

use common::{gar, json, write_wav16};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

const SR: u32 = 22_050;

/// A 16-bit WAV of `channels` channels, 3.5 s: quiet noise, with loud
/// bursts in the left channel at 1 s and 3 s and in the right at 2 s.
fn write_source(path: &Path, channels: u16) {
    let mut state = 0x1234_5678u32;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f64 / u32::MAX as f64 * 2.0 - 1.0
    };
    let burst = |t: f64, at: &[f64]| at.iter().any(|&b| t >= b && t < b + 0.15);
    write_wav16(path, channels, SR, (3.5 * SR as f64) as usize, |i, c| {
        let t = i as f64 / SR as f64;
        let at: &[f64] = if c == 0 { &[1.0, 3.0] } else { &[2.0] };
        let amp = if burst(t, at) { 0.8 } else { 0.02 };
        (amp * noise() * 32000.0) as i16
    });
}

fn header(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect()
}

fn rows(path: &Path) -> usize {
    fs::read_to_string(path).unwrap().lines().count() - 1
}

#[test]
fn independent_writes_one_csv_set_and_report_entry_per_channel() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 2);
    let out = dir.path().join("out.wav");
    let rep = dir.path().join("r.json");
    let prefix = dir.path().join("P");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--channels", "independent", "--seed", "5", "--csv"])
        .arg(&prefix)
        .arg("--report")
        .arg(&rep)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "P.candidates.csv",
        "P.plan.csv",
        "P.ch1.candidates.csv",
        "P.ch1.plan.csv",
    ] {
        let f = dir.path().join(name);
        assert!(f.exists(), "{name} written");
        assert!(
            stdout.contains(&f.display().to_string()),
            "{name} listed: {stdout}"
        );
    }
    assert!(!dir.path().join("P.ch0.plan.csv").exists());
    assert!(!dir.path().join("P.ch2.plan.csv").exists());
    assert!(stdout.contains("channel 0:"), "{stdout}");
    assert!(stdout.contains("channel 1:"), "{stdout}");
    let r = json(&rep);
    let chs = r["channels"].as_array().expect("channels[]");
    assert_eq!(chs.len(), 2);
    assert_eq!(chs[0]["channel"], 0);
    assert_eq!(chs[1]["channel"], 1);
    assert_eq!(chs[0]["seed"], 5);
    assert_ne!(chs[1]["seed"], 5);
    assert_eq!(chs[0]["plan"]["grain"], r["plan"]["grain"]);
    assert_ne!(
        chs[0]["plan"]["grain"], chs[1]["plan"]["grain"],
        "two plans"
    );
    for c in chs {
        assert!(c["analysis"]["candidates"].as_u64().unwrap() > 0);
        assert!(c["usage"]["unique"].as_u64().unwrap() > 0);
    }
    // The channel-1 CSVs are channel 1's tables.
    let hops = chs[1]["plan"]["hops"].as_u64().unwrap() as usize;
    assert_eq!(rows(&dir.path().join("P.ch1.plan.csv")), hops);
    let cands = chs[1]["analysis"]["candidates"].as_u64().unwrap() as usize;
    assert_eq!(rows(&dir.path().join("P.ch1.candidates.csv")), cands);
    let plan1 = fs::read_to_string(dir.path().join("P.ch1.plan.csv")).unwrap();
    let grains: Vec<u64> = plan1
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let want: Vec<u64> = chs[1]["plan"]["grain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(grains, want);
    let w = hound::WavReader::open(&out).unwrap();
    assert_eq!(w.spec().channels, 2);
}

#[test]
fn spread_makes_a_mono_source_stereo_with_pans_in_report_and_csv() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 1);
    let out = dir.path().join("out.wav");
    let rep = dir.path().join("r.json");
    let prefix = dir.path().join("S");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--spread", "1", "--seed", "3", "--csv"])
        .arg(&prefix)
        .arg("--report")
        .arg(&rep)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w = hound::WavReader::open(&out).unwrap();
    assert_eq!(w.spec().channels, 2, "a mono source spread is stereo");
    let r = json(&rep);
    assert_eq!(r["output"]["channels"], 2);
    assert_eq!(r["input"]["channels"], 1);
    let hops = r["plan"]["hops"].as_u64().unwrap() as usize;
    let pan = r["plan"]["pan"].as_array().expect("plan.pan");
    assert_eq!(pan.len(), hops);
    assert!(pan.iter().all(|u| u.as_f64().unwrap().abs() <= 1.0));
    assert!(pan.iter().any(|u| u.as_f64().unwrap() != 0.0));
    assert!(r.get("channels").is_none_or(|c| c.is_null()));
    let h = header(&dir.path().join("S.plan.csv"));
    assert_eq!(h[..5], ["hop", "pos_s", "grain", "pitch_st", "pan"]);
    let text = fs::read_to_string(dir.path().join("S.plan.csv")).unwrap();
    let csv_pan: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let json_pan: Vec<f64> = pan.iter().map(|u| u.as_f64().unwrap()).collect();
    assert_eq!(csv_pan.len(), json_pan.len());
    for (a, b) in csv_pan.iter().zip(&json_pan) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!(stdout.contains("spread"), "{stdout}");
    // Without spread: mono stays mono, no pan anywhere.
    let out0 = dir.path().join("out0.wav");
    let rep0 = dir.path().join("r0.json");
    let prefix0 = dir.path().join("N");
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out0.to_str().unwrap(),
        ])
        .args(["--seed", "3", "--csv"])
        .arg(&prefix0)
        .arg("--report")
        .arg(&rep0)
        .assert()
        .success();
    assert_eq!(hound::WavReader::open(&out0).unwrap().spec().channels, 1);
    assert!(json(&rep0)["plan"].get("pan").is_none());
    assert!(!header(&dir.path().join("N.plan.csv")).contains(&"pan".to_string()));
}

#[test]
fn spread_with_independent_is_a_usage_error_naming_both_flags() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 2);
    let out = dir.path().join("out.wav");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--spread", "1", "--channels", "independent"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--spread"), "{err}");
    assert!(err.contains("--channels"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn spread_on_three_channels_is_a_usage_error_mono_mixes_first() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 3);
    let out = dir.path().join("out.wav");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--spread", "0.5"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--spread"), "{err}");
    assert!(!out.exists());
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--spread", "0.5", "--channels", "mono", "--quiet"])
        .assert()
        .success();
    assert_eq!(hound::WavReader::open(&out).unwrap().spec().channels, 2);
}

#[test]
fn spread_above_one_clamps_with_an_adjustment_line() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 1);
    let out = dir.path().join("out.wav");
    let rep = dir.path().join("r.json");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--spread", "2", "--report"])
        .arg(&rep)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("adjust") && l.contains("spread"))
        .unwrap_or_else(|| panic!("no adjustment line for spread: {stdout}"));
    assert!(line.contains("spread 2 clamped to 1"), "{line}");
    let r = json(&rep);
    assert_eq!(r["params"]["spread"], 1.0);
    assert!(
        r["adjustments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains("spread 2 clamped to 1"))
    );
    let pan = r["plan"]["pan"].as_array().unwrap();
    assert!(pan.iter().all(|u| u.as_f64().unwrap().abs() <= 1.0));
    assert!(pan.iter().any(|u| u.as_f64().unwrap().abs() > 0.9));
}
