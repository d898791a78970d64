//! The attention drivers on the command line (docs/algorithm.md, section 15):
//! `--score` mixes (and `-flatness`, which looks like a flag), `--drivers all`
//! in the report and the CSV (units in the header), the help texts, and the
//! errors, which name the flag.

mod common;

use common::{gar, write_wav16};
use std::fs;
use tempfile::TempDir;

fn write_source(path: &std::path::Path) {
    write_wav16(path, 1, 44100, 88200, |i, _| {
        let t = i as f64 / 44100.0;
        let x = 0.3 * (t * 330.0 * std::f64::consts::TAU).sin() * (1.0 + (t * 3.0).sin()) / 2.0
            + if t > 1.0 {
                0.2 * ((i * 7919 % 1000) as f64 / 500.0 - 1.0)
            } else {
                0.0
            };
        (x * 30000.0) as i16
    });
}

#[test]
fn analyze_drivers_all_writes_every_driver_to_the_report_and_the_csv() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input);
    let prefix = dir.path().join("run");
    let json = dir.path().join("run.json");
    let o = gar(&[])
        .args([
            "analyze",
            input.to_str().unwrap(),
            "--drivers",
            "all",
            "--score",
            "-flatness",
        ])
        .arg("--csv")
        .arg(&prefix)
        .arg("--report")
        .arg(&json)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(j["params"]["score"], "-flatness");
    assert_eq!(j["params"]["drivers"], "all");
    let n = j["analysis"]["candidates"].as_u64().unwrap() as usize;
    let drivers = j["analysis"]["drivers"].as_object().unwrap();
    let names = [
        "rms",
        "onset",
        "edge",
        "onset-db",
        "centroid",
        "flatness",
        "flux",
        "zcr",
        "periodicity",
        "pitch",
    ];
    for d in names {
        assert_eq!(
            drivers[d].as_array().unwrap().len(),
            n,
            "analysis.drivers.{d}"
        );
    }
    // -flatness: the score is 1 - the normalised flatness.
    let flat: Vec<f64> = drivers["flatness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (lo, hi) = flat
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    for (s, f) in j["analysis"]["score"].as_array().unwrap().iter().zip(&flat) {
        assert!((s.as_f64().unwrap() - (1.0 - (f - lo) / (hi - lo))).abs() < 1e-12);
    }
    let text = fs::read_to_string(dir.path().join("run.candidates.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(
        &header[7..],
        &[
            "rms[power]",
            "onset[power]",
            "edge[power]",
            "onset-db[dB]",
            "centroid[Hz]",
            "flatness[0..1]",
            "flux[magnitude]",
            "zcr[per sample]",
            "periodicity[0..1]",
            "pitch[Hz]"
        ]
    );
    let row: Vec<f64> = text
        .lines()
        .nth(5)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(row.len(), header.len());
    assert_eq!(row[7 + 5], flat[4], "the CSV's flatness is the report's");
}

#[test]
fn a_weighted_mix_renders_and_errors_name_the_flag() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input);
    let out = dir.path().join("out.wav");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "--score",
            "rms:0.6,centroid:0.4",
            "--quiet",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.is_file());
    for (bad, want) in [
        ("rms:0.6,colour:0.4", "--score: unknown driver 'colour'"),
        (
            "centroid:-1",
            "--score: the weight of centroid must be >= 0",
        ),
    ] {
        let o = gar(&[])
            .args([
                "analyze",
                input.to_str().unwrap(),
                "--score",
                bad,
                "--quiet",
            ])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{bad}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(want), "{bad}: {e}");
    }
    // Weights that vary over time render; with a diversity they are a usage error.
    let morph = ["--score", "rms:1..0,centroid:0..1", "--quiet"];
    let o = gar(&[])
        .args(["analyze", input.to_str().unwrap()])
        .args(morph)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = gar(&[])
        .args(["analyze", input.to_str().unwrap(), "--diversity", "50"])
        .args(morph)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--diversity solves --alpha") && e.contains("--score"),
        "{e}"
    );
}

#[test]
fn help_and_presets_explain_every_driver_with_its_unit() {
    let o = gar(&[]).args(["render", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    let p = gar(&[]).args(["presets"]).output().unwrap();
    let presets = String::from_utf8_lossy(&p.stdout);
    for (d, unit) in [
        ("onset-db", "(dB)"),
        ("centroid", "brightness"),
        ("centroid", "(Hz)"),
        ("flatness", "(0..1)"),
        ("flux", "(magnitude)"),
        ("zcr", "per sample"),
        ("periodicity", "YIN"),
        ("pitch", "(Hz)"),
    ] {
        for (what, text) in [("render --help", &help), ("presets", &presets)] {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(d) && l.contains(unit)),
                "{what} lacks a line for {d} with {unit}"
            );
        }
    }
    assert!(help.contains("--drivers <LIST>"));
}
