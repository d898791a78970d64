//! `gar analyze`, `--csv`, `--plot` and `demo --plot` end to end.

mod common;

use common::{gar, write_wav16};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn write_source(path: &Path, seconds: f64, sr: u32) {
    write_wav16(path, 1, sr, (seconds * sr as f64) as usize, |i, _| {
        let t = i as f64 / sr as f64;
        let x = 0.1 * (t * 440.0 * std::f64::consts::TAU).sin()
            + 0.8 * (-(t * 3.0).fract() * 20.0).exp() * (t * 2000.0 * std::f64::consts::TAU).sin();
        (x * 30000.0) as i16
    });
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()).collect())
        .collect();
    (header, rows)
}

fn col(j: &serde_json::Value) -> Vec<f64> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_f64()
                .unwrap_or_else(|| if v.as_bool().unwrap() { 1.0 } else { 0.0 })
        })
        .collect()
}

#[test]
fn analyze_csv_equals_json_and_writes_no_audio() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 2.0, 44100);
    let prefix = dir.path().join("run");
    let json = dir.path().join("run.json");
    let o = gar(&[])
        .args([
            "analyze",
            input.to_str().unwrap(),
            "--preset",
            "onset-harvest",
            "--seed",
            "11",
        ])
        .arg("--csv")
        .arg(&prefix)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("candidates"));
    let j: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert!(j["output"].is_null(), "analyze renders no audio");
    let (h, rows) = csv(&dir.path().join("run.candidates.csv"));
    assert_eq!(
        h,
        [
            "index",
            "start_s",
            "rms_power",
            "score",
            "active",
            "prob",
            "usage"
        ]
    );
    let a = &j["analysis"];
    assert_eq!(rows.len(), a["candidates"].as_u64().unwrap() as usize);
    let cols = [
        col(&a["start_s"]),
        col(&a["rms_power"]),
        col(&a["score"]),
        col(&a["active_mask"]),
        col(&a["prob"]),
        col(&j["usage"]["counts"]),
    ];
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], i as f64);
        for (c, want) in cols.iter().enumerate() {
            assert_eq!(r[c + 1], want[i], "candidate {i}, column {}", h[c + 1]);
        }
    }
    let (h, rows) = csv(&dir.path().join("run.plan.csv"));
    assert_eq!(h, ["hop", "pos_s", "grain", "pitch_st"]);
    let p = &j["plan"];
    assert_eq!(rows.len(), p["hops"].as_u64().unwrap() as usize);
    let (pos, grain, pitch) = (col(&p["pos_s"]), col(&p["grain"]), col(&p["pitch_st"]));
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(
            (r[0], r[1], r[2], r[3]),
            (k as f64, pos[k], grain[k], pitch[k])
        );
    }
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["in.wav", "run.candidates.csv", "run.json", "run.plan.csv"]
    );
}

#[test]
fn render_and_analyze_draw_pictures() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 1.5, 44100);
    let png = dir.path().join("p.png");
    let svg = dir.path().join("p.svg");
    gar(&[])
        .args(["render", input.to_str().unwrap(), "-o"])
        .arg(dir.path().join("o.wav"))
        .args(["--quiet", "--plot-size", "900x600", "--plot"])
        .arg(&png)
        .assert()
        .success();
    let d = png::Decoder::new(std::io::BufReader::new(fs::File::open(&png).unwrap()));
    let r = d.read_info().unwrap();
    assert_eq!((r.info().width, r.info().height), (900, 600));
    gar(&[])
        .args(["analyze", input.to_str().unwrap(), "--quiet", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") || text.starts_with("<?xml"));
    assert!(text.contains("in.wav"));
    // A picture name that is neither .png nor .svg is a usage error, before any work.
    let o = gar(&[])
        .args(["analyze", input.to_str().unwrap(), "--plot"])
        .arg(dir.path().join("p.jpg"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = gar(&[])
        .args([
            "analyze",
            input.to_str().unwrap(),
            "--plot-size",
            "10x10",
            "--plot",
        ])
        .arg(dir.path().join("q.png"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("q.png").exists());
}

#[test]
fn demo_plot_writes_a_picture_per_preset() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("d");
    gar(&[])
        .arg("demo")
        .arg("--out")
        .arg(&out)
        .args(["--plot", "--quiet"])
        .assert()
        .success();
    for id in ["self-remix", "motif-extract", "cloud", "custom"] {
        let f = out.join(format!("{id}.png"));
        let d = png::Decoder::new(std::io::BufReader::new(fs::File::open(&f).unwrap()));
        let r = d.read_info().unwrap();
        assert_eq!((r.info().width, r.info().height), (1600, 1000), "{id}");
    }
}
