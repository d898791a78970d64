//! Parameters over time on the command line (docs/algorithm.md, section 12):
//! params files (`--params` TOML, JSON or a report; `--save-params` TOML) repeat a
//! run bit for bit, flags override a file, every bad file or envelope is a usage
//! error naming the key and the file, and `gar presets --json`, `--help` and the
//! report describe the parameters from the one table.

mod common;

use common::{gar_process, json, names, stderr, stdout, write_tone_with_clicks};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

/// Cleared for every run, so that the caller's own settings (streaming, the memory
/// limit, the progress bar's delay) cannot change it.
const UNSET: &[&str] = &["GAR_STREAM", "GAR_MAX_MEMORY", "GAR_PROGRESS_DELAY_MS"];

/// A folder with `in.wav`, 2 s.
fn setup() -> TempDir {
    let dir = TempDir::new().unwrap();
    write_tone_with_clicks(&dir.path().join("in.wav"), 1, 2.0);
    dir
}

/// Runs gar in `d` and expects success.
fn ok(d: &Path, args: &[&str]) -> Output {
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// Runs gar in `d` and expects a usage error (exit 2); returns standard error.
fn usage_error(d: &Path, args: &[&str]) -> String {
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(args)
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert!(e.starts_with("gar: error: "), "{args:?}: {e}");
    e
}

/// `analyze in.wav ARGS --report r.json`: the report.
fn report_of(d: &Path, args: &[&str]) -> Value {
    let _ = fs::remove_file(d.join("r.json"));
    let mut all = vec!["analyze", "in.wav", "--report", "r.json", "-q"];
    all.extend_from_slice(args);
    ok(d, &all);
    json(&d.join("r.json"))
}

/// `render in.wav -o a.wav ARGS --save-params p.toml`, then `render in.wav -o
/// b.wav --params p.toml`: the same bytes. Returns the params file's text.
fn repeats_from_saved_params(d: &Path, args: &[&str]) -> String {
    for f in ["a.wav", "b.wav", "p.toml"] {
        let _ = fs::remove_file(d.join(f));
    }
    let mut first = vec!["render", "in.wav", "-o", "a.wav", "--save-params", "p.toml"];
    first.extend_from_slice(args);
    first.push("-q");
    ok(d, &first);
    ok(
        d,
        &[
            "render", "in.wav", "-o", "b.wav", "--params", "p.toml", "-q",
        ],
    );
    let (a, b) = (
        fs::read(d.join("a.wav")).unwrap(),
        fs::read(d.join("b.wav")).unwrap(),
    );
    assert!(a.len() > 1000, "{args:?}: a WAV");
    assert!(
        a == b,
        "{args:?}: --params p.toml repeats the run bit for bit"
    );
    fs::read_to_string(d.join("p.toml")).unwrap()
}

#[test]
fn saved_params_repeat_a_render_bit_for_bit() {
    let dir = setup();
    let d = dir.path();
    let toml = repeats_from_saved_params(d, &["--alpha", "25..2", "--seed", "3"]);
    assert!(toml.contains("alpha = \"25..2\""), "{toml}");
    assert!(toml.contains("seed = 3\n"), "{toml}");
    let with_envelope = fs::read(d.join("a.wav")).unwrap();
    // The envelope matters: a constant alpha renders something else.
    ok(d, &["render", "in.wav", "-o", "c.wav", "--seed", "3", "-q"]);
    assert!(fs::read(d.join("c.wav")).unwrap() != with_envelope);

    let toml = repeats_from_saved_params(d, &["--diversity", "90..5", "--seed", "3"]);
    assert!(toml.contains("diversity = \"90..5\""), "{toml}");
    // Under a diversity, alpha is solved: the file leaves it out.
    assert!(!toml.contains("\nalpha"), "{toml}");

    let toml = repeats_from_saved_params(
        d,
        &[
            "--preset",
            "cloud",
            "--grain-ms",
            "30..600",
            "--wet",
            "100..40",
            "--pitch-st",
            "0:0, 1:-12",
            "--seed",
            "3",
        ],
    );
    for want in [
        "preset = \"cloud\"",
        "grain_ms = \"30..600\"",
        "wet = \"100..40\"",
    ] {
        assert!(toml.contains(want), "{want}: {toml}");
    }
    assert!(toml.contains("\npitch_st = \""), "{toml}");

    // No --seed: the seed drawn is saved, and the run repeats.
    let toml = repeats_from_saved_params(d, &["--alpha", "2..20@exp"]);
    assert!(toml.contains("\nseed = "), "{toml}");
}

#[test]
fn a_report_is_a_params_file() {
    let dir = setup();
    let d = dir.path();
    for args in [
        &["--alpha", "25..2", "--seed", "3"][..],
        &["--diversity", "90..5", "--preset", "shimmer", "--seed", "5"][..],
        // The drawn seed is in the report too.
        &["--floor-db", "0:-6, 1:3"][..],
    ] {
        for f in ["a.wav", "b.wav", "r.json"] {
            let _ = fs::remove_file(d.join(f));
        }
        let mut first = vec![
            "render", "in.wav", "-o", "a.wav", "--report", "r.json", "-q",
        ];
        first.extend_from_slice(args);
        ok(d, &first);
        ok(
            d,
            &[
                "render", "in.wav", "-o", "b.wav", "--params", "r.json", "-q",
            ],
        );
        assert!(
            fs::read(d.join("a.wav")).unwrap() == fs::read(d.join("b.wav")).unwrap(),
            "{args:?}: --params REPORT repeats the run bit for bit"
        );
    }
}

#[test]
fn analyze_reads_and_saves_params_files() {
    let dir = setup();
    let d = dir.path();
    ok(
        d,
        &[
            "analyze",
            "in.wav",
            "--alpha",
            "25..2",
            "--seed",
            "4",
            "--save-params",
            "ap.toml",
            "--report",
            "a1.json",
            "-q",
        ],
    );
    let toml = fs::read_to_string(d.join("ap.toml")).unwrap();
    assert!(
        toml.contains("alpha = \"25..2\"") && toml.contains("seed = 4\n"),
        "{toml}"
    );
    ok(
        d,
        &[
            "analyze", "in.wav", "--params", "ap.toml", "--report", "a2.json", "-q",
        ],
    );
    let (a, b) = (json(&d.join("a1.json")), json(&d.join("a2.json")));
    assert_eq!(b["params"]["alpha"], "25..2");
    for k in ["preset", "seed", "params", "analysis", "plan", "usage"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    // A params file saved by analyze drives a render.
    ok(
        d,
        &[
            "render", "in.wav", "-o", "o.wav", "--params", "ap.toml", "-q",
        ],
    );
}

#[test]
fn flags_override_the_file() {
    let dir = setup();
    let d = dir.path();
    fs::write(d.join("a3.toml"), "alpha = 3\n").unwrap();
    fs::write(d.join("cloud.toml"), "preset = \"cloud\"\n").unwrap();
    fs::write(d.join("div.toml"), "diversity = 40\n").unwrap();
    fs::write(d.join("both.toml"), "alpha = 3\ndiversity = 40\n").unwrap();

    let r = report_of(d, &["--params", "a3.toml"]);
    assert_eq!(r["params"]["alpha"], 3.0);
    let r = report_of(d, &["--params", "a3.toml", "--alpha", "20"]);
    assert_eq!(r["params"]["alpha"], 20.0);
    assert_eq!(r["preset"], "custom");

    let r = report_of(d, &["--params", "cloud.toml"]);
    assert_eq!(r["preset"], "cloud");
    // Cloud's own alpha (4), not the default (8).
    assert_eq!(r["params"]["alpha"], 4.0);
    let r = report_of(d, &["--params", "cloud.toml", "--preset", "shimmer"]);
    assert_eq!(r["preset"], "shimmer");
    assert_eq!(r["params"]["alpha"], 2.0);

    // A flag's diversity replaces the file's alpha, and a flag's alpha the file's diversity.
    let r = report_of(d, &["--params", "a3.toml", "--diversity", "30"]);
    assert!(r["params"].get("alpha").is_none(), "{}", r["params"]);
    assert_eq!(r["params"]["diversity"], 30.0);
    assert!(r["diversity"].is_array(), "{}", r["diversity"]);
    let r = report_of(d, &["--params", "div.toml", "--alpha", "5"]);
    assert_eq!(r["params"]["alpha"], 5.0);
    assert!(r["params"].get("diversity").is_none(), "{}", r["params"]);
    assert!(r.get("diversity").is_none_or(Value::is_null), "{r}");

    // Both in one file: a usage error naming the file.
    let before = names(d);
    let e = usage_error(
        d,
        &["render", "in.wav", "-o", "x.wav", "--params", "both.toml"],
    );
    assert!(
        e.contains("both.toml") && e.contains("--alpha") && e.contains("--diversity"),
        "{e}"
    );
    assert_eq!(names(d), before);
}

#[test]
fn bad_params_files_are_usage_errors_naming_key_and_file() {
    let dir = setup();
    let d = dir.path();
    // (file, contents or None for a missing file, what stderr must contain)
    let cases: &[(&str, Option<&str>, &[&str])] = &[
        (
            "typo.toml",
            Some("alhpa = 3\n"),
            &["'alhpa'", "unknown key"],
        ),
        ("bool.toml", Some("alpha = true\n"), &["'alpha'", "boolean"]),
        ("num.toml", Some("score = 3\n"), &["'score'", "rms, onset"]),
        (
            "env.toml",
            Some("alpha = \"0:1, x:3\"\n"),
            &["'alpha'", "x:3"],
        ),
        (
            "preset.toml",
            Some("preset = \"nope\"\n"),
            &["'preset'", "nope", "cloud"],
        ),
        (
            "broken.toml",
            Some("alpha = = 3\n"),
            &["not valid TOML or JSON"],
        ),
        (
            "broken.json",
            Some("{\"alpha\": 3,"),
            &["not valid TOML or JSON"],
        ),
        (
            "params.txt",
            Some("alpha = 3\n"),
            &["--params", "ending in .toml or .json"],
        ),
        ("missing.toml", None, &["--params", "cannot read"]),
    ];
    for (file, contents, wants) in cases {
        if let Some(c) = contents {
            fs::write(d.join(file), c).unwrap();
        }
        let before = names(d);
        for cmd in [
            &["render", "in.wav", "-o", "x.wav"][..],
            &["analyze", "in.wav", "--report", "x.json"][..],
        ] {
            let mut args = cmd.to_vec();
            args.extend_from_slice(&["--params", file]);
            let e = usage_error(d, &args);
            assert!(e.contains(file), "{args:?}: names the file: {e}");
            for w in *wants {
                assert!(e.contains(w), "{args:?}: {w}: {e}");
            }
            assert_eq!(names(d), before, "{args:?}: nothing written");
        }
    }
}

#[test]
fn save_params_wants_toml_and_never_the_input() {
    let dir = setup();
    let d = dir.path();
    let e = usage_error(
        d,
        &[
            "render",
            "in.wav",
            "-o",
            "x.wav",
            "--save-params",
            "out.json",
        ],
    );
    assert!(
        e.contains("--save-params out.json") && e.contains(".toml"),
        "{e}"
    );
    let e = usage_error(d, &["analyze", "in.wav", "--save-params", "out.json"]);
    assert!(e.contains("--save-params out.json"), "{e}");
    assert_eq!(names(d), vec!["in.wav"]);

    // A sound named like a params file: --save-params onto it is refused as
    // --report onto the input is (exit 1, "is the input file"), even with --force.
    let wav = fs::read(d.join("in.wav")).unwrap();
    fs::write(d.join("snd.toml"), &wav).unwrap();
    fs::write(d.join("snd.json"), &wav).unwrap();
    let cases: &[&[&str]] = &[
        &["render", "snd.json", "-o", "x.wav", "--report", "snd.json"],
        &[
            "render",
            "snd.toml",
            "-o",
            "x.wav",
            "--save-params",
            "snd.toml",
        ],
        &[
            "render",
            "snd.toml",
            "-o",
            "x.wav",
            "--save-params",
            "./snd.toml",
        ],
        &["analyze", "snd.toml", "--save-params", "snd.toml"],
    ];
    for args in cases {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args(*args)
            .arg("--force")
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(e.contains("is the input file"), "{args:?}: {e}");
    }
    assert_eq!(names(d), vec!["in.wav", "snd.json", "snd.toml"]);
    assert_eq!(fs::read(d.join("snd.toml")).unwrap(), wav);
    assert_eq!(fs::read(d.join("snd.json")).unwrap(), wav);
}

#[test]
fn envelope_flags_errors_and_clamps() {
    let dir = setup();
    let d = dir.path();
    let render = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["render", "in.wav", "-o", "x.wav", "--seed", "2"]
            .map(String::from)
            .to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let cases: &[(&[&str], &[&str])] = &[
        (&["--alpha", "0:1, x:3"], &["--alpha", "x:3"]),
        (&["--cand-hop-ms", "1..3"], &["--cand-hop-ms", "1..3"]),
        (
            &["--alpha", "3", "--diversity", "30"],
            &["--alpha", "--diversity"],
        ),
        (
            &["--diversity", "30", "--alpha", "3"],
            &["--alpha", "--diversity"],
        ),
    ];
    for (args, wants) in cases {
        let all = render(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let e = usage_error(d, &all);
        for w in *wants {
            assert!(e.contains(w), "{args:?}: {w}: {e}");
        }
        assert_eq!(names(d), vec!["in.wav"], "{args:?}");
    }
    // Negative values (text starting with `-` too): the flag's value, not a flag.
    for (args, want) in [
        (&["--floor-db", "0:-6, 10s:+6@step"][..], "0:-6, 10s:6@step"),
        (&["--floor-db", "-6..6"][..], "-6..6"),
        (
            &["--floor-db", "-6..6@smooth", "--pitch-st", "-5"][..],
            "-6..6@smooth",
        ),
    ] {
        let mut extra = args.to_vec();
        extra.extend_from_slice(&["--report", "r.json", "--force", "-q"]);
        let all = render(&extra);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        ok(d, &all);
        let r = json(&d.join("r.json"));
        assert_eq!(r["params"]["floor_db"], want, "{args:?}");
    }
    assert_eq!(json(&d.join("r.json"))["params"]["pitch_st"], -5.0);
    // A constant beyond the range is clamped, with an adjust line naming the flag.
    let all = render(&["--pitch-st", "30", "--force"]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = stdout(&ok(d, &all));
    assert!(
        out.lines()
            .any(|l| l.starts_with("adjust") && l.contains("--pitch-st") && l.contains("24")),
        "{out}"
    );
}

#[test]
fn presets_json_lists_every_parameter() {
    let o = gar_process(UNSET)
        .args(["presets", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["presets"].as_array().unwrap().len(), 8);
    let params = j["parameters"].as_array().unwrap();
    assert!(params.len() >= 20, "{}", params.len());
    for p in params {
        for k in ["id", "flag", "unit", "range", "default", "varies", "doc"] {
            assert!(p.get(k).is_some(), "{k}: {p}");
        }
        assert!(p["flag"].as_str().unwrap().starts_with("--"), "{p}");
        assert!(!p["doc"].as_str().unwrap().is_empty(), "{p}");
    }
    let by_id = |id: &str| {
        params
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(by_id("alpha")["varies"], true);
    assert_eq!(by_id("alpha")["flag"], "--alpha");
    assert_eq!(by_id("cand_hop_ms")["varies"], false);
    assert_eq!(by_id("cand_hop_ms")["unit"], "ms");
    let choices: Vec<&str> = by_id("score")["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    // The four score types, then the attention drivers (section 15).
    assert_eq!(choices[..4], ["rms", "onset", "edge", "mixed"]);
    assert!(choices.contains(&"centroid"), "{choices:?}");
}

#[test]
fn help_shows_the_envelope_grammar() {
    for cmd in ["render", "analyze"] {
        let o = gar_process(UNSET).args([cmd, "--help"]).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let help = stdout(&o);
        for w in ["25..2", "@exp", "--params", "--save-params"] {
            assert!(help.contains(w), "{cmd}: {w}: {help}");
        }
        // A flag's entry: its line, and the next one when clap puts the help
        // text under the flag.
        let entry = |flag: &str| -> String {
            let lines: Vec<&str> = help.lines().collect();
            let i = lines
                .iter()
                .position(|l| l.trim_start().starts_with(flag))
                .unwrap_or_else(|| panic!("{cmd}: a {flag} line: {help}"));
            lines[i..(i + 2).min(lines.len())].join("\n")
        };
        let alpha = entry("--alpha");
        assert!(alpha.contains("[envelope]"), "{alpha}");
        let cand = entry("--cand-hop-ms");
        assert!(!cand.contains("[envelope]"), "{cand}");
    }
}

#[test]
fn report_params_and_per_hop_values() {
    let dir = setup();
    let d = dir.path();
    let r = report_of(d, &["--alpha", "25..2", "--seed", "1"]);
    assert_eq!(r["params"]["alpha"], "25..2");
    let hops = r["plan"]["hops"].as_u64().unwrap() as usize;
    assert!(hops > 10, "{hops}");
    let alpha: Vec<f64> = r["plan"]["values"]["alpha"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(alpha.len(), hops);
    assert_eq!(alpha[0], 25.0);
    assert!(alpha.windows(2).all(|w| w[1] < w[0]), "{alpha:?}");
    let last = *alpha.last().unwrap();
    assert!((2.0..3.0).contains(&last), "{last}");

    let r = report_of(d, &["--alpha", "12", "--seed", "1"]);
    assert_eq!(r["params"]["alpha"], 12.0);
    assert!(r["params"]["alpha"].is_number());
    assert_eq!(r["plan"]["values"], serde_json::json!({}));
}
