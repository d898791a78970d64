//! The command line a user expects (issue 9, section 5): standard input and output,
//! `-o DIR`, `--report` on both commands, completions and the manual page, one error
//! style, documented preset numbers, one input per run, the summary's wording, the
//! output level flags, and progress only on a terminal.

mod common;

use common::{GAR, gar_process, names, s, stderr, stdout, write_tone_with_clicks};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

/// Cleared for every run, so that the caller's own settings (streaming, the memory
/// limit, the progress bar's delay) cannot change it.
const UNSET: &[&str] = &["GAR_STREAM", "GAR_MAX_MEMORY", "GAR_PROGRESS_DELAY_MS"];

/// Runs gar with `stdin` piped in.
fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // A separate thread: gar may stop reading early (a refusal), or write a lot first.
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    o
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../io/tests/fixtures")
        .join(name)
}

#[test]
fn standard_input_reads_any_format_like_a_file() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let wav = d.join("in.wav");
    write_tone_with_clicks(&wav, 2, 1.0);
    for input in [wav.clone(), fixture("flac-16bit-44100Hz-stereo.flac")] {
        let from_file = d.join("file.wav");
        let o = gar_process(UNSET)
            .args([
                "render",
                s(&input),
                "-o",
                s(&from_file),
                "--seed",
                "4",
                "-q",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let from_pipe = d.join("pipe.wav");
        let o = run_with_stdin(
            gar_process(UNSET).args(["render", "-", "-o", s(&from_pipe), "--seed", "4"]),
            &fs::read(&input).unwrap(),
        );
        assert!(o.status.success(), "{}: {}", input.display(), stderr(&o));
        assert!(stdout(&o).contains("input   <stdin>"), "{}", stdout(&o));
        assert!(
            fs::read(&from_file).unwrap() == fs::read(&from_pipe).unwrap(),
            "{}: the same samples from a pipe",
            input.display()
        );
        fs::remove_file(&from_file).unwrap();
        fs::remove_file(&from_pipe).unwrap();
    }
    // The default name for standard input, in the current folder; analyze reads it too.
    let o = run_with_stdin(
        gar_process(UNSET)
            .current_dir(d)
            .args(["render", "-", "--preset", "cloud", "-q"]),
        &fs::read(&wav).unwrap(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(d), vec!["in.wav", "stdin_GAR_Cloud.wav"]);
    let o = run_with_stdin(
        gar_process(UNSET)
            .current_dir(d)
            .args(["analyze", "-", "--report", "a.json"]),
        &fs::read(&wav).unwrap(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("a.json")).unwrap()).unwrap();
    assert_eq!(j["input"]["path"], "<stdin>");
}

#[test]
fn standard_input_is_refused_clearly() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let wav = d.join("in.wav");
    write_tone_with_clicks(&wav, 1, 2.0);
    // The decode limit holds for a pipe too: 2 s of mono is 176 KB decoded.
    let o = run_with_stdin(
        gar_process(UNSET).env("GAR_MAX_MEMORY", "100K").args([
            "render",
            "-",
            "-o",
            s(&d.join("o.wav")),
        ]),
        &fs::read(&wav).unwrap(),
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("<stdin>") && e.contains("too long"), "{e}");
    // Nothing, and not audio.
    for (data, problem) in [
        (&b""[..], "empty"),
        (&b"hello, not a sound"[..], "unrecognised"),
    ] {
        let o = run_with_stdin(
            gar_process(UNSET).args(["render", "-", "-o", s(&d.join("o.wav"))]),
            data,
        );
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains("<stdin>") && e.contains(problem), "{e}");
    }
    assert_eq!(names(d), vec!["in.wav"]);
}

#[test]
fn standard_output_gets_the_wav_and_nothing_else() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let wav = d.join("in.wav");
    write_tone_with_clicks(&wav, 2, 1.0);
    for stream in ["0", "1"] {
        for bits in ["16", "24", "32f"] {
            let file = d.join("f.wav");
            let o = gar_process(UNSET)
                .args([
                    "render",
                    s(&wav),
                    "-o",
                    s(&file),
                    "--seed",
                    "8",
                    "--bits",
                    bits,
                ])
                .args(["--preset", "shimmer", "-q"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            let o = gar_process(UNSET)
                .env("GAR_STREAM", stream)
                .current_dir(d)
                .args(["render", "in.wav", "-o", "-", "--seed", "8", "--bits", bits])
                .args(["--preset", "shimmer", "--report", "r.json"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            let want = fs::read(&file).unwrap();
            assert!(
                o.stdout == want,
                "stream={stream} bits={bits}: stdout is the WAV"
            );
            // The header is exact: RIFF and data sizes match what was written.
            let b = &o.stdout;
            let riff = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
            assert_eq!(riff + 8, b.len());
            // The summary went to standard error, with the files written.
            let e = stderr(&o);
            assert!(
                e.contains("wrote   <stdout>") && e.contains("wrote   r.json"),
                "{e}"
            );
            fs::remove_file(&file).unwrap();
            fs::remove_file(d.join("r.json")).unwrap();
        }
    }
    // `-` names standard output for the WAV only.
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(["render", "in.wav", "-o", "o.wav", "--report", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--report -"), "{}", stderr(&o));
    assert_eq!(names(d), vec!["in.wav"]);
}

#[test]
fn output_folder_gets_the_default_name() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let wav = d.join("voice.wav");
    write_tone_with_clicks(&wav, 1, 1.0);
    let out = d.join("renders");
    fs::create_dir(&out).unwrap();
    let o = gar_process(UNSET)
        .args(["render", s(&wav), "-o", s(&out), "--preset", "4", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&out), vec!["voice_GAR_MotifExtract.wav"]);
}

#[test]
fn report_is_named_the_same_on_both_commands() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 1.0);
    for args in [
        &["analyze", "in.wav", "--report", "a.json"][..],
        &["analyze", "in.wav", "--json", "b.json"][..],
        &["render", "in.wav", "-o", "o.wav", "--report", "c.json"][..],
    ] {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args(args)
            .arg("-q")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    for f in ["a.json", "b.json", "c.json"] {
        let j: serde_json::Value = serde_json::from_slice(&fs::read(d.join(f)).unwrap()).unwrap();
        assert!(j["analysis"]["candidates"].as_u64().unwrap() > 0, "{f}");
    }
    let help = stdout(
        &gar_process(UNSET)
            .args(["analyze", "--help"])
            .output()
            .unwrap(),
    );
    assert!(
        help.contains("--report <FILE.json>") && help.contains("alias: --json"),
        "{help}"
    );
}

#[test]
fn completions_for_every_common_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = gar_process(UNSET)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.len() > 500, "{shell}: {script}");
        for word in ["render", "analyze", "preset", "normalize", "peak-db"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let o = gar_process(UNSET)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("gar: error:"), "{}", stderr(&o));
}

#[test]
fn man_pages_are_roff() {
    let o = gar_process(UNSET).arg("man").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq"),
        "roff header: {page:.200}"
    );
    assert!(page.contains(".TH gar 1"), "{page:.400}");
    for sub in ["render", "analyze", "presets", "demo", "completions", "man"] {
        assert!(
            page.contains(&format!("gar\\-{sub}(1)")),
            "names {sub}: {page}"
        );
    }
    let o = gar_process(UNSET).args(["man", "render"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH gar-render 1"), "{page:.400}");
    assert!(
        page.contains("peak\\-db") && page.contains("near 8.5 Hz"),
        "{page}"
    );
    let o = gar_process(UNSET).args(["man", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("render, analyze"), "{}", stderr(&o));
}

#[test]
fn every_error_has_one_style() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 1.0);
    let cases: &[(&[&str], i32)] = &[
        (&["render", "in.wav", "--no-such-flag"], 2), // clap
        (&["render"], 2),                             // clap: missing INPUT
        (&["render", "in.wav", "--alpha", "nan"], 2), // gar: usage
        (&["render", "missing.wav"], 1),              // gar: run
        (&["frobnicate"], 2),                         // clap: subcommand
    ];
    for (args, code) in cases {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args(*args)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "{args:?}: {e}");
        assert!(e.starts_with("gar: error: "), "{args:?}: {e}");
        assert_eq!(e.matches("error:").count(), 1, "{args:?}: {e}");
        if *code == 2 {
            assert!(e.contains("For more information, try '"), "{args:?}: {e}");
        }
    }
}

#[test]
fn preset_numbers_are_the_originals_and_documented() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 1.0);
    let ids = [
        "custom",
        "self-remix",
        "crystallize",
        "motif-extract",
        "onset-harvest",
        "shimmer",
        "slabs",
        "cloud",
    ];
    for (i, id) in ids.iter().enumerate() {
        let n = (i + 1).to_string();
        let o = gar_process(UNSET)
            .current_dir(d)
            .args([
                "analyze", "in.wav", "--preset", &n, "--json", "r.json", "-q",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{n}: {}", stderr(&o));
        let j: serde_json::Value =
            serde_json::from_slice(&fs::read(d.join("r.json")).unwrap()).unwrap();
        assert_eq!(j["preset"], *id, "--preset {n}");
        fs::remove_file(d.join("r.json")).unwrap();
    }
    let listing = "1 custom, 2 self-remix, 3 crystallize, 4 motif-extract, 5 onset-harvest, \
                   6 shimmer, 7 slabs, 8 cloud";
    let help = stdout(
        &gar_process(UNSET)
            .args(["render", "--help"])
            .output()
            .unwrap(),
    );
    assert!(help.contains(listing), "{help}");
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(["render", "in.wav", "--preset", "9"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(listing), "{}", stderr(&o));
}

#[test]
fn several_inputs_are_a_clear_usage_error() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("a.wav"), 1, 1.0);
    write_tone_with_clicks(&d.join("b.wav"), 1, 1.0);
    for cmd in ["render", "analyze"] {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args([cmd, "a.wav", "b.wav"])
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains(&format!("`gar {cmd}` takes one input file")),
            "{e}"
        );
        assert!(e.contains("a.wav, b.wav") && e.contains("gar batch"), "{e}");
        assert!(!e.contains("unexpected argument"), "{e}");
    }
    assert_eq!(names(d), vec!["a.wav", "b.wav"]);
}

#[test]
fn summary_wording() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 1.0);
    // 55 ms: one 50 ms candidate.
    write_tone_with_clicks(&d.join("short.wav"), 1, 0.055);
    let o = gar_process(UNSET)
        .current_dir(d)
        .args([
            "render", "in.wav", "-o", "o.wav", "--bits", "32f", "--seed", "1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(", 32-bit float\n") && !out.contains("32f-bit"),
        "{out}"
    );
    assert!(out.contains("wrote   o.wav\n"), "{out}");
    let o = gar_process(UNSET)
        .current_dir(d)
        .args([
            "render",
            "short.wav",
            "-o",
            "s.wav",
            "--bits",
            "16",
            "--seed",
            "1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("grains  1 candidate, "), "{out}");
    assert!(out.contains(", 16-bit\n"), "{out}");
    // A warning (the floor keeps only the best grain) is printed once, on stderr.
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(["analyze", "in.wav", "--floor-db", "1e300", "--seed", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(
        !err.is_empty() && err.lines().all(|l| l.starts_with("gar: warning: ")),
        "{err}"
    );
    let first = err
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("gar: warning: ");
    assert_eq!(
        format!("{out}{err}").matches(first).count(),
        1,
        "{out}{err}"
    );
}

#[test]
fn output_level_flags_reach_the_engine() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 2, 2.0);
    let level = |args: &[&str]| -> serde_json::Value {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args([
                "render", "in.wav", "-o", "o.wav", "--report", "r.json", "--force", "-q",
            ])
            .args(["--seed", "3"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let j: serde_json::Value =
            serde_json::from_slice(&fs::read(d.join("r.json")).unwrap()).unwrap();
        j["level"].clone()
    };
    let l = level(&[]);
    assert_eq!(l["normalize"], "peak");
    assert_eq!(l["dc_block"], true);
    assert!(
        (l["peak_dbfs"].as_f64().unwrap() + 0.09).abs() < 0.01,
        "{l}"
    );
    let l = level(&["--peak-db", "-6", "--dc-block", "off"]);
    assert!((l["peak_dbfs"].as_f64().unwrap() + 6.0).abs() < 0.01, "{l}");
    assert_eq!(l["dc_block"], false);
    let l = level(&["--normalize", "loudness", "--lufs", "-30"]);
    assert_eq!(l["normalize"], "loudness");
    assert!(
        (l["loudness_lufs"].as_f64().unwrap() + 30.0).abs() < 0.1,
        "{l}"
    );
    let l = level(&["--normalize", "none"]);
    assert_eq!(l["normalize"], "none");
    assert_eq!(l["gain_db"], 0.0);
    // Bad values: usage errors naming the flag and what it accepts.
    let cases: &[(&[&str], &str)] = &[
        (&["--normalize", "loud"], "peak, loudness, none"),
        (&["--dc-block", "maybe"], "on or off"),
        (&["--peak-db", "nan"], "--peak-db"),
        (&["--lufs", "inf"], "--lufs"),
    ];
    for (args, want) in cases {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args(["render", "in.wav", "-o", "x.wav"])
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    assert!(!d.join("x.wav").exists());
    let help = stdout(
        &gar_process(UNSET)
            .args(["render", "--help"])
            .output()
            .unwrap(),
    );
    let section = help
        .split("Output level:")
        .nth(1)
        .expect("an Output level heading");
    for f in [
        "--normalize",
        "--peak-db",
        "--lufs",
        "--dc-block",
        "-3 dB near 8.5 Hz",
    ] {
        assert!(section.contains(f), "{f}: {help}");
    }
}

/// Whether `script` (util-linux) can run a command under a pseudo-terminal here.
fn have_script() -> bool {
    Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn progress_only_on_a_terminal_and_never_quiet() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 3.0);
    // A streamed render of five minutes' output (about half a second): several ticks.
    let args = [
        "render", "in.wav", "--seed", "1", "--preset", "shimmer", "--bits", "16", "--force",
    ];
    // Not a terminal: never, even with no delay.
    let o = gar_process(UNSET)
        .current_dir(d)
        .env("GAR_PROGRESS_DELAY_MS", "0")
        .env("GAR_STREAM", "1")
        .args(args)
        .args(["--duration", "300", "-o", "o.wav"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        !e.contains('\u{1b}') && !e.contains('\r') && !e.contains("rendering"),
        "{e:?}"
    );
    if !have_script() {
        eprintln!("skipping the terminal half: `script` cannot run a pseudo-terminal here");
        return;
    }
    let on_tty = |extra: &str, delay: Option<&str>| -> String {
        let cmd = format!("{GAR} {} -o o.wav {extra} 2>&1 >/dev/null", args.join(" "));
        let mut c = Command::new("script");
        c.current_dir(d).env("GAR_STREAM", "1");
        if let Some(ms) = delay {
            c.env("GAR_PROGRESS_DELAY_MS", ms);
        }
        let o = c
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let shown = on_tty("--duration 300", Some("0"));
    assert!(
        shown.contains("rendering"),
        "progress on a terminal: {shown:?}"
    );
    let quiet = on_tty("--duration 300 --quiet", Some("0"));
    assert!(
        !quiet.contains("rendering") && !quiet.contains('\u{1b}'),
        "{quiet:?}"
    );
    // A run shorter than the default delay (a second) draws nothing.
    let short = on_tty("--duration 2", None);
    assert!(!short.contains("rendering"), "{short:?}");
}

#[test]
fn a_terminal_is_never_read_or_written_as_audio() {
    if !have_script() {
        eprintln!("skipping: `script` cannot run a pseudo-terminal here");
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write_tone_with_clicks(&d.join("in.wav"), 1, 1.0);
    // Under `script`, standard input and output are both the terminal.
    for (args, want) in [
        (
            "render in.wav -o -",
            "-o - writes the WAV to standard output, which is a terminal",
        ),
        ("render - -o o.wav", "standard input, which is a terminal"),
    ] {
        let o = Command::new("script")
            .current_dir(d)
            .args(["-qec", &format!("{GAR} {args}"), "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(2), "{args}: {text}");
        assert!(text.contains(want), "{args}: {text}");
    }
    assert_eq!(names(d), vec!["in.wav"]);
}
