//! The `gar` binary end to end, in temporary folders: what it writes, what it
//! refuses, and its exit codes (0 ok, 1 failure, 2 usage error).

mod common;

use common::{gar, names, stderr, write_wav16};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Writes a 16-bit WAV with a few decaying clicks over a quiet tone.
fn write_source(path: &Path, channels: u16, seconds: f64, sr: u32) {
    write_wav16(
        path,
        channels,
        sr,
        (seconds * sr as f64) as usize,
        |i, c| {
            let t = i as f64 / sr as f64;
            let beat = (t * 4.0).fract();
            let x = 0.2 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                + 0.7 * (-beat * 30.0).exp() * (2.0 * std::f64::consts::PI * 1500.0 * t).sin();
            let v = if c == 1 { -x } else { x };
            (v * 32767.0 * 0.9) as i16
        },
    );
}

fn setup() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    write_source(&input, 1, 1.5, 44100);
    (dir, input)
}

#[test]
fn render_writes_wav_and_full_report() {
    let (dir, input) = setup();
    let out = dir.path().join("out.wav");
    let rep = dir.path().join("r.json");
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--preset", "crystallize", "--seed", "7", "--report"])
        .arg(&rep)
        .assert()
        .success();
    let r = hound::WavReader::open(&out).unwrap();
    assert_eq!(r.spec().sample_rate, 44100);
    assert_eq!(r.spec().channels, 1);
    assert_eq!(r.spec().bits_per_sample, 24);
    assert_eq!(r.duration(), (1.5f64 * 44100.0).round() as u32);
    let j: serde_json::Value = serde_json::from_slice(&fs::read(&rep).unwrap()).unwrap();
    for k in [
        "gar_version",
        "input",
        "output",
        "preset",
        "params",
        "adjustments",
        "seed",
        "analysis",
        "plan",
        "usage",
    ] {
        assert!(j.get(k).is_some(), "report lacks {k}");
    }
    for k in ["path", "sample_rate", "channels", "frames", "duration_s"] {
        assert!(j["input"].get(k).is_some(), "input lacks {k}");
        assert!(j["output"].get(k).is_some(), "output lacks {k}");
    }
    assert_eq!(j["output"]["bits"], "24");
    for k in [
        "grain_ms",
        "hop_ms",
        "cand_hop_ms",
        "alpha",
        "floor_db",
        "score",
        "transient_weight",
        "time_jitter_ms",
        "pitch_jitter_st",
        "recency",
        "wet",
        "duration_s",
        "channels",
        "attention_norm",
    ] {
        assert!(j["params"].get(k).is_some(), "params lacks {k}");
    }
    assert_eq!(j["params"]["alpha"], 12.0);
    assert_eq!(j["preset"], "crystallize");
    assert_eq!(j["seed"], 7);
    let a = &j["analysis"];
    let n = a["candidates"].as_u64().unwrap() as usize;
    for k in ["start_s", "rms_power", "score", "active_mask", "prob"] {
        assert_eq!(a[k].as_array().unwrap().len(), n, "analysis.{k}");
    }
    for k in ["active", "mean_score", "floor_value", "effective_grains"] {
        assert!(a.get(k).is_some(), "analysis lacks {k}");
    }
    let hops = j["plan"]["hops"].as_u64().unwrap() as usize;
    for k in ["grain", "pos_s", "pitch_st"] {
        assert_eq!(j["plan"][k].as_array().unwrap().len(), hops, "plan.{k}");
    }
    let counts = j["usage"]["counts"].as_array().unwrap();
    assert_eq!(counts.len(), n);
    let total: u64 = counts.iter().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(total as usize, hops);
    let mu = &j["usage"]["most_used"];
    let max = counts.iter().map(|c| c.as_u64().unwrap()).max().unwrap();
    assert_eq!(mu["count"].as_u64().unwrap(), max);
    assert_eq!(
        counts[mu["index"].as_u64().unwrap() as usize]
            .as_u64()
            .unwrap(),
        max
    );
    // No temporary file left behind.
    assert!(names(dir.path()).iter().all(|f| !f.starts_with(".gar-tmp")));
}

#[test]
fn default_output_name_in_current_folder() {
    let (dir, input) = setup();
    let cwd = TempDir::new().unwrap();
    gar(&[])
        .current_dir(cwd.path())
        .args([
            "render",
            input.to_str().unwrap(),
            "--preset",
            "self-remix",
            "--quiet",
        ])
        .assert()
        .success()
        .stdout("");
    assert_eq!(names(cwd.path()), vec!["in_GAR_SelfRemix.wav".to_string()]);
    gar(&[])
        .current_dir(cwd.path())
        .args(["render", input.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    assert!(cwd.path().join("in_GAR_Custom.wav").exists());
    drop(dir);
}

#[test]
fn existing_output_needs_force() {
    let (dir, input) = setup();
    let out = dir.path().join("out.wav");
    fs::write(&out, b"precious").unwrap();
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"));
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
            "--force",
        ])
        .assert()
        .success();
    assert!(hound::WavReader::open(&out).is_ok());
}

#[test]
fn input_is_never_written_even_with_force() {
    let (dir, input) = setup();
    let before = fs::read(&input).unwrap();
    let other_spelling = dir.path().join(".").join("in.wav");
    for target in [input.clone(), other_spelling] {
        let o = gar(&[])
            .args([
                "render",
                input.to_str().unwrap(),
                "-o",
                target.to_str().unwrap(),
                "--force",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("input"), "{}", stderr(&o));
    }
    // The report cannot overwrite it either.
    let o = gar(&[])
        .args(["render", input.to_str().unwrap(), "-o"])
        .arg(dir.path().join("x.wav"))
        .arg("--report")
        .arg(&input)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(fs::read(&input).unwrap(), before);
    assert_eq!(names(dir.path()), vec!["in.wav".to_string()]);
}

#[test]
fn bad_parameters_are_usage_errors_and_write_nothing() {
    let (dir, input) = setup();
    let out = dir.path().join("o.wav");
    let cases: &[(&[&str], &str)] = &[
        (&["--grain-ms", "-3"], "grain"),
        (&["--grain-ms", "0"], "grain"),
        (&["--alpha", "nan"], "alpha"),
        (&["--hop-ms", "inf"], "hop"),
        (&["--duration", "1e12"], "duration"),
        (&["--duration", "-1"], "duration"),
        (&["--preset", "nope"], "preset"),
        (&["--score", "loud"], "score"),
        (&["--bits", "12"], "bits"),
        (&["--channels", "surround"], "channels"),
        (&["--attention-norm", "max"], "attention-norm"),
        (&["--no-such-flag"], "no-such-flag"),
    ];
    for (flags, word) in cases {
        let o = gar(&[])
            .args([
                "render",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args(*flags)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(word), "{flags:?}: {}", stderr(&o));
        assert_eq!(names(dir.path()), vec!["in.wav".to_string()], "{flags:?}");
    }
}

#[test]
fn clamped_values_are_reported() {
    let (dir, input) = setup();
    let out = dir.path().join("o.wav");
    let o = gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--grain-ms", "3000", "--recency", "7"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("--grain-ms 3000 ms clamped to 1000 ms"), "{s}");
    assert!(s.contains("--recency 7 clamped to 1"), "{s}");
}

#[test]
fn missing_input_and_bad_output_folder_fail_cleanly() {
    let (dir, input) = setup();
    let o = gar(&[])
        .args(["render"])
        .arg(dir.path().join("nope.wav"))
        .arg("-o")
        .arg(dir.path().join("o.wav"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.wav"), "{}", stderr(&o));
    let o = gar(&[])
        .args(["render", input.to_str().unwrap(), "-o"])
        .arg(dir.path().join("no").join("such").join("o.wav"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).is_empty());
    // Not audio.
    let junk = dir.path().join("junk.wav");
    fs::write(&junk, b"this is not a sound file at all, just text").unwrap();
    let o = gar(&[])
        .args(["render", junk.to_str().unwrap(), "-o"])
        .arg(dir.path().join("o.wav"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("junk.wav"), "{}", stderr(&o));
    // Too short (20 ms).
    let short = dir.path().join("short.wav");
    write_source(&short, 1, 0.02, 44100);
    let o = gar(&[])
        .args(["render", short.to_str().unwrap(), "-o"])
        .arg(dir.path().join("o.wav"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("50 ms"), "{}", stderr(&o));
    let mut names = names(dir.path());
    names.sort();
    assert_eq!(names, vec!["in.wav", "junk.wav", "short.wav"]);
}

fn render_bytes(
    input: &Path,
    dir: &Path,
    name: &str,
    extra: &[&str],
) -> (Vec<u8>, serde_json::Value) {
    let out = dir.join(format!("{name}.wav"));
    let rep = dir.join(format!("{name}.json"));
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .args(["--preset", "shimmer", "--report", rep.to_str().unwrap()])
        .args(extra)
        .assert()
        .success();
    let j = serde_json::from_slice(&fs::read(&rep).unwrap()).unwrap();
    (fs::read(&out).unwrap(), j)
}

#[test]
fn seeds_reproduce_bytes() {
    let (dir, input) = setup();
    let (a, _) = render_bytes(&input, dir.path(), "a", &["--seed", "42"]);
    let (b, _) = render_bytes(&input, dir.path(), "b", &["--seed", "42"]);
    let (c, _) = render_bytes(&input, dir.path(), "c", &["--seed", "43"]);
    assert_eq!(a, b, "same seed, same bytes");
    assert_ne!(a, c, "another seed, other bytes");
    // Seed 0: a fresh seed is drawn and reported; it reproduces the output.
    let (d, j) = render_bytes(&input, dir.path(), "d", &["--seed", "0"]);
    let seed = j["seed"].as_u64().unwrap();
    assert_ne!(seed, 0);
    let (e, _) = render_bytes(&input, dir.path(), "e", &["--seed", &seed.to_string()]);
    assert_eq!(d, e);
}

#[test]
fn stereo_is_kept_or_mixed() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("st.wav");
    write_source(&input, 2, 1.0, 48000);
    let out = dir.path().join("o.wav");
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
            "--bits",
            "32f",
        ])
        .assert()
        .success();
    let mut r = hound::WavReader::open(&out).unwrap();
    assert_eq!(r.spec().channels, 2);
    assert_eq!(r.spec().sample_rate, 48000);
    let s: Vec<f32> = r.samples::<f32>().map(|x| x.unwrap()).collect();
    assert!(
        s.chunks(2).all(|f| f[1] == -f[0]),
        "R = -L survives linked rendering"
    );
    assert!(s.iter().any(|&x| x != 0.0));
    let mono = dir.path().join("m.wav");
    gar(&[])
        .args([
            "render",
            input.to_str().unwrap(),
            "-o",
            mono.to_str().unwrap(),
            "--quiet",
        ])
        .args(["--channels", "mono", "--bits", "16"])
        .assert()
        .success();
    let r = hound::WavReader::open(&mono).unwrap();
    assert_eq!(r.spec().channels, 1);
    assert_eq!(r.spec().bits_per_sample, 16);
}

#[test]
fn demo_writes_every_preset() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("demo");
    let o = gar(&[])
        .arg("demo")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let ids = [
        "self-remix",
        "crystallize",
        "motif-extract",
        "onset-harvest",
        "shimmer",
        "slabs",
        "cloud",
        "custom",
    ];
    for id in ids {
        let wav = out.join(format!("{id}.wav"));
        let r = hound::WavReader::open(&wav).unwrap();
        assert_eq!(r.spec().channels, 2);
        assert!(r.duration() > 44100 * 5);
        let j: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(format!("{id}.json"))).unwrap()).unwrap();
        assert_eq!(j["preset"], id);
        assert_eq!(
            stdout.lines().filter(|l| l.starts_with(id)).count(),
            1,
            "one line for {id}: {stdout}"
        );
    }
    // Running it again replaces its own files.
    gar(&[])
        .arg("demo")
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    // A foreign folder with a clashing name is refused without --force.
    let foreign = dir.path().join("mine");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("cloud.wav"), b"mine").unwrap();
    let o = gar(&[])
        .arg("demo")
        .arg("--out")
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(fs::read(foreign.join("cloud.wav")).unwrap(), b"mine");
}

#[test]
fn presets_lists_every_value() {
    let o = gar(&[]).args(["presets", "--json"]).output().unwrap();
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = j["presets"].as_array().unwrap();
    assert_eq!(a.len(), 8);
    let motif = a.iter().find(|p| p["id"] == "motif-extract").unwrap();
    assert_eq!(motif["alpha"], 25.0);
    assert_eq!(motif["grain_ms"], 30.0);
    assert_eq!(motif["floor_db"], 6.0);
    let t = gar(&[]).arg("presets").output().unwrap();
    let text = String::from_utf8_lossy(&t.stdout);
    for id in ["self-remix", "shimmer", "cloud", "custom"] {
        assert!(text.contains(id));
    }
}

#[test]
fn help_lists_every_flag() {
    let o = gar(&[]).args(["render", "--help"]).output().unwrap();
    let h = String::from_utf8_lossy(&o.stdout);
    for f in [
        "--grain-ms",
        "--hop-ms",
        "--cand-hop-ms",
        "--alpha",
        "--temperature",
        "--floor-db",
        "--score",
        "--transient-weight",
        "--time-jitter-ms",
        "--pitch-jitter-st",
        "--recency",
        "--wet",
        "--seed",
        "--attention-norm",
        "--duration",
        "--channels",
        "--bits",
        "--report",
        "--force",
        "--quiet",
        "--preset",
    ] {
        assert!(h.contains(f), "help lacks {f}");
    }
}

#[test]
fn streamed_output_equals_in_memory_output() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("st.wav");
    write_source(&input, 2, 2.0, 44100);
    for bits in ["16", "24", "32f"] {
        let a = dir.path().join(format!("mem{bits}.wav"));
        let b = dir.path().join(format!("stream{bits}.wav"));
        for (out, stream) in [(&a, "0"), (&b, "1")] {
            gar(&[])
                .env("GAR_STREAM", stream)
                .args([
                    "render",
                    input.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                    "--quiet",
                ])
                .args([
                    "--preset",
                    "shimmer",
                    "--seed",
                    "5",
                    "--duration",
                    "3.1",
                    "--bits",
                    bits,
                ])
                .assert()
                .success();
        }
        assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap(), "bits {bits}");
    }
}
