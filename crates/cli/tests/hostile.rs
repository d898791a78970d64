//! Bad input, bad parameters and output faults (issue #4): gar never crashes, never
//! modifies its input, never leaves a partial or corrupt file, and every refusal names
//! the file and the problem with exit status 1 (2 for usage errors).
//!
//! Tests that need root powers (mounting a tiny tmpfs to fill the disk, dropping to an
//! unprivileged user to meet permission errors) skip themselves, saying why, where
//! those powers are missing.

mod common;

use common::{GAR, gar_process, is_root, names, s, stderr};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Cleared for every run, so that the caller's own settings cannot change it.
const UNSET: &[&str] = &["GAR_STREAM", "GAR_MAX_MEMORY"];

fn run(args: &[&str]) -> Output {
    gar_process(UNSET).args(args).output().unwrap()
}

/// A WAV file built by hand (`declared` = the data length the header states).
fn wav_bytes(tag: u16, ch: u16, rate: u32, bits: u16, data: &[u8], declared: u32) -> Vec<u8> {
    let block = ch.wrapping_mul(bits / 8);
    let mut fmt = Vec::new();
    for v in [tag, ch] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&rate.wrapping_mul(u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&declared.to_le_bytes());
    body.extend_from_slice(data);
    let riff = (body.len() - data.len()) as u64 + u64::from(declared);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(riff.min(u64::from(u32::MAX)) as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// `seconds` of a 16-bit tone with clicks, `ch` channels.
fn tone(ch: u16, rate: u32, seconds: f64) -> Vec<u8> {
    let n = (seconds * f64::from(rate)) as usize;
    let mut data = Vec::with_capacity(n * usize::from(ch) * 2);
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let x = 0.3 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
            + 0.6
                * (-(t * 5.0).fract() * 30.0).exp()
                * (2.0 * std::f64::consts::PI * 1500.0 * t).sin();
        for c in 0..ch {
            let v = if c % 2 == 1 { -x * 0.7 } else { x };
            data.extend_from_slice(&((v * 30000.0) as i16).to_le_bytes());
        }
    }
    wav_bytes(1, ch, rate, 16, &data, data.len() as u32)
}

/// A 32-bit float WAV of `samples` (interleaved).
fn float_wav(ch: u16, rate: u32, samples: &[f32]) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|x| x.to_le_bytes()).collect();
    wav_bytes(3, ch, rate, 32, &data, data.len() as u32)
}

fn read_wav_f32(path: &Path) -> (hound::WavSpec, Vec<f32>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let v = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|x| x.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|x| x.unwrap() as f32 / scale)
                .collect()
        }
    };
    (spec, v)
}

/// Every input file's bytes and modification time, to show that none changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let m = fs::metadata(&p).unwrap().modified().unwrap();
            (p.display().to_string(), fs::read(&p).unwrap(), m)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn bad_inputs_are_refused_clearly_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let out_dir = TempDir::new().unwrap();
    let out = out_dir.path().join("o.wav");
    fs::create_dir(d.join("folder.wav")).unwrap();
    fs::write(d.join("empty.wav"), b"").unwrap();
    let mut junk = vec![0u8; 5000];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for b in junk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    fs::write(d.join("random.wav"), &junk).unwrap();
    fs::write(
        d.join("song.mid"),
        b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00",
    )
    .unwrap();
    // GSM 6.10 in a WAV: a real format that gar does not decode.
    let mut gsm_fmt = Vec::new();
    for v in [0x31u16, 1] {
        gsm_fmt.extend_from_slice(&v.to_le_bytes());
    }
    gsm_fmt.extend_from_slice(&8000u32.to_le_bytes());
    gsm_fmt.extend_from_slice(&1625u32.to_le_bytes());
    for v in [65u16, 0, 2, 320] {
        gsm_fmt.extend_from_slice(&v.to_le_bytes());
    }
    let mut gsm = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    gsm.extend_from_slice(&(gsm_fmt.len() as u32).to_le_bytes());
    gsm.extend_from_slice(&gsm_fmt);
    gsm.extend_from_slice(b"data");
    gsm.extend_from_slice(&650u32.to_le_bytes());
    gsm.extend_from_slice(&[0u8; 650]);
    let riff = (gsm.len() - 8) as u32;
    gsm[4..8].copy_from_slice(&riff.to_le_bytes());
    fs::write(d.join("gsm.wav"), &gsm).unwrap();
    fs::write(d.join("short.wav"), tone(1, 44100, 0.04)).unwrap();
    fs::write(
        d.join("zero-ch.wav"),
        wav_bytes(1, 0, 44100, 16, &[0; 400], 400),
    )
    .unwrap();
    fs::write(
        d.join("zero-rate.wav"),
        wav_bytes(1, 1, 0, 16, &[0; 400], 400),
    )
    .unwrap();
    let before = snapshot(d);

    let cases: &[(&str, &str)] = &[
        ("missing.wav", "no such file"),
        ("folder.wav", "is a directory"),
        ("empty.wav", "empty"),
        ("random.wav", "unrecognised or unsupported audio format"),
        ("song.mid", "unrecognised or unsupported audio format"),
        ("gsm.wav", "unsupported"),
        ("short.wav", "at least 50 ms"),
        ("zero-ch.wav", "0 audio channels"),
        ("zero-rate.wav", "sample rate of 0 Hz"),
    ];
    for (name, problem) in cases {
        let input = d.join(name);
        for cmd in ["render", "analyze"] {
            let mut args = vec![cmd, s(&input)];
            if cmd == "render" {
                args.extend(["-o", s(&out)]);
            }
            let o = run(&args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {name}: {e}");
            assert!(
                e.contains(&input.display().to_string()),
                "{name}: names the file: {e}"
            );
            assert!(e.contains(problem), "{name}: says '{problem}': {e}");
            assert!(!e.contains("panicked"), "{e}");
        }
    }
    assert!(names(out_dir.path()).is_empty(), "nothing written");
    assert_eq!(snapshot(d), before, "no input was modified");
}

#[test]
fn unreadable_input_and_unwritable_folder_fail_cleanly() {
    // As root every file is readable: drop to the `nobody` user with setpriv.
    let root = is_root();
    let as_user = |args: &[&str]| -> Option<Output> {
        if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", GAR]);
            c.args(args).output().ok()
        } else {
            Some(gar_process(UNSET).args(args).output().unwrap())
        }
    };
    if root && as_user(&["--version"]).is_none_or(|o| !o.status.success()) {
        eprintln!("skipping: running as root and cannot drop privileges with setpriv");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let writable = d.join("out");
    fs::create_dir(&writable).unwrap();
    fs::set_permissions(&writable, fs::Permissions::from_mode(0o777)).unwrap();
    let locked = d.join("locked.wav");
    fs::write(&locked, tone(1, 44100, 0.5)).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let o = as_user(&["render", s(&locked), "-o", s(&writable.join("o.wav"))]).unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("locked.wav") && e.contains("permission denied"),
        "{e}"
    );

    let input = d.join("in.wav");
    fs::write(&input, tone(1, 44100, 0.5)).unwrap();
    fs::set_permissions(&input, fs::Permissions::from_mode(0o644)).unwrap();
    let ro = d.join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    for extra in [&[][..], &["--report", "r.json"][..]] {
        let mut args = vec!["render", s(&input), "-o"];
        let target = ro.join("o.wav");
        args.push(s(&target));
        let report = ro.join("r.json");
        if !extra.is_empty() {
            args.extend(["--report", s(&report)]);
        }
        let o = as_user(&args).unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains("o.wav") && e.contains("ermission denied"), "{e}");
        assert!(names(&ro).is_empty(), "nothing written in {}", ro.display());
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn missing_output_folder_and_special_files_are_refused() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    fs::write(&input, tone(1, 44100, 0.5)).unwrap();
    let o = run(&["render", s(&input), "-o", s(&d.join("no/such/dir/o.wav"))]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no/such/dir"), "{}", stderr(&o));
    // A FIFO, and a link to /dev/null: replacing them would destroy them, even with --force.
    let fifo = d.join("fifo.wav");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let link = d.join("null.wav");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    for target in [&fifo, &link] {
        let o = run(&["render", s(&input), "-o", s(target), "--force"]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains("not a regular file"), "{e}");
    }
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&d.join("ok.wav")),
        "--report",
        s(&fifo),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert_eq!(names(d), vec!["fifo.wav", "in.wav", "null.wav"]);
}

#[test]
fn damaged_but_decodable_inputs_render_with_a_warning() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // Truncated: the header promises 3 s, the file holds 1 s.
    let full = tone(1, 44100, 1.0);
    let data = &full[44..];
    fs::write(
        d.join("cut.wav"),
        wav_bytes(1, 1, 44100, 16, data, (data.len() * 3) as u32),
    )
    .unwrap();
    // Float with NaN and infinities: 300 NaN, 200 +inf, 100 -inf.
    let n = 44100;
    let mut v: Vec<f32> = (0..n).map(|i| 0.4 * (i as f32 * 0.03).sin()).collect();
    for i in 0..300 {
        v[i * 97] = f32::NAN;
    }
    for i in 0..200 {
        v[i * 101 + 5] = f32::INFINITY;
    }
    for i in 0..100 {
        v[i * 89 + 7] = f32::NEG_INFINITY;
    }
    let bad = v.iter().filter(|x| !x.is_finite()).count();
    assert!(bad > 500);
    let nan_warning = format!("{bad} non-finite samples (NaN or infinity)");
    fs::write(d.join("nan.wav"), float_wav(1, 44100, &v)).unwrap();
    // Values no audio file holds (found by fuzzing: they overflowed the engine).
    let huge: Vec<f32> = (0..8000).map(|i| 3e38 * (i as f32 * 0.1).sin()).collect();
    fs::write(d.join("huge.wav"), float_wav(2, 8000, &huge)).unwrap();
    let tiny: Vec<f32> = (0..4000).map(|i| 1e-40 * (i as f32 * 0.1).sin()).collect();
    fs::write(d.join("tiny.wav"), float_wav(1, 8000, &tiny)).unwrap();
    fs::write(
        d.join("silent.wav"),
        wav_bytes(1, 1, 44100, 16, &[0; 88200], 88200),
    )
    .unwrap();
    let before = snapshot(d);

    let out_dir = TempDir::new().unwrap();
    let cases: &[(&str, &str, usize)] = &[
        (
            "cut.wav",
            "header promised 132300 frames, decoded 44100",
            44100,
        ),
        ("nan.wav", &nan_warning, 44100),
        ("huge.wav", "clamped", 4000),
        ("tiny.wav", "silent", 4000),
        (
            "silent.wav",
            "the source is silent: the output is silence",
            44100,
        ),
    ];
    for (name, warning, frames) in cases {
        let out = out_dir.path().join(name);
        let o = run(&[
            "render",
            s(&d.join(name)),
            "-o",
            s(&out),
            "--bits",
            "32f",
            "--seed",
            "3",
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {e}");
        assert!(
            e.contains("gar: warning:") && e.contains(warning),
            "{name}: {e}"
        );
        if *name != "silent.wav" && *name != "tiny.wav" {
            assert!(
                e.contains(&d.join(name).display().to_string()),
                "names the file: {e}"
            );
        }
        let (spec, samples) = read_wav_f32(&out);
        assert_eq!(samples.len(), frames * usize::from(spec.channels), "{name}");
        assert!(
            samples.iter().all(|x| x.is_finite()),
            "{name}: non-finite output"
        );
        let peak = samples.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(peak <= 0.99 + 1e-6, "{name}: peak {peak}");
        if warning.contains("silent") {
            assert_eq!(peak, 0.0, "{name}: silence renders silence");
        } else {
            assert!(peak > 0.5, "{name}: peak {peak}");
        }
    }
    assert_eq!(snapshot(d), before, "no input was modified");
}

#[test]
fn every_numeric_flag_rejects_or_clamps_extremes() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    fs::write(&input, tone(2, 22050, 0.5)).unwrap();
    let out = d.join("o.wav");
    let flags = [
        "--grain-ms",
        "--hop-ms",
        "--cand-hop-ms",
        "--alpha",
        "--floor-db",
        "--transient-weight",
        "--time-jitter-ms",
        "--pitch-jitter-st",
        "--recency",
        "--wet",
        "--duration",
    ];
    // Sizes, alpha and duration must be > 0; the rest is clamped (floor: any value).
    let must_be_positive = |f: &str| {
        matches!(
            f,
            "--grain-ms" | "--hop-ms" | "--cand-hop-ms" | "--alpha" | "--duration"
        )
    };
    for flag in flags {
        let _ = fs::remove_file(&out);
        for value in ["nan", "NaN", "inf", "-inf", "infinity", "1e309", "-1e309"] {
            let arg = format!("{flag}={value}");
            let o = run(&["render", s(&input), "-o", s(&out), &arg]);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{flag} {value}: {e}");
            assert!(
                e.contains(flag) && e.contains("finite"),
                "{flag} {value}: {e}"
            );
            assert!(!out.exists());
        }
        for value in ["-1", "0", "-1e300", "1e300", "1e-300", "12.5"] {
            let v: f64 = value.parse().unwrap();
            let o = run(&[
                "render",
                s(&input),
                "-o",
                s(&out),
                flag,
                value,
                "--force",
                "-q",
            ]);
            let e = stderr(&o);
            let refused = (must_be_positive(flag) && v <= 0.0)
                || (flag == "--duration" && !(1.0 / 22050.0..=86_400.0).contains(&v));
            if refused {
                assert_eq!(o.status.code(), Some(2), "{flag} {value}: {e}");
                assert!(e.contains(flag), "{flag} {value}: {e}");
                continue;
            }
            assert_eq!(o.status.code(), Some(0), "{flag} {value}: {e}");
            let (spec, samples) = read_wav_f32(&out);
            assert_eq!(spec.channels, 2);
            let frames = samples.len() / 2;
            let want = if flag == "--duration" {
                (v * 22050.0).round() as usize
            } else {
                11025
            };
            assert_eq!(frames, want, "{flag} {value}");
            assert!(
                samples
                    .iter()
                    .all(|x| x.is_finite() && x.abs() <= 0.99 + 1e-6)
            );
        }
    }
    // A clamp is reported.
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&out),
        "--force",
        "--grain-ms",
        "1e300",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("--grain-ms 1e300 ms clamped to 1000 ms"));
    // Integers out of range, and garbage, are usage errors.
    for (flag, value) in [
        ("--seed", "-1"),
        ("--seed", "18446744073709551616"),
        ("--seed", "1.5"),
        ("--grain-ms", "fifty"),
        ("--grain-ms", ""),
    ] {
        let o = run(&["render", s(&input), "-o", s(&out), "--force", flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
    }
}

#[test]
fn outputs_too_large_are_refused_before_any_work() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("st.wav");
    fs::write(&input, tone(2, 48000, 0.5)).unwrap();
    let out = d.join("o.wav");
    // 12000 s of stereo 32-bit float at 48 kHz is 4.6 GB: more than a WAV holds.
    let t = Instant::now();
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&out),
        "--duration",
        "12000",
        "--bits",
        "32f",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("more than a WAV file can hold") && e.contains("11184 s"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "refused at once");
    // 3 hours of the same fits (4.15 GB < 4 GiB); the 24-hour maximum does not.
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&out),
        "--duration",
        "86400",
        "--bits",
        "16",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(&["render", s(&input), "-o", s(&out), "--duration", "86401"]);
    assert!(stderr(&o).contains("at most 86400"), "{}", stderr(&o));
    // An input whose own length overflows the output format: refused from its header,
    // before decoding (a sparse file: 3.2 hours of stereo float at 48 kHz, 4.4 GB).
    let declared = u32::MAX - 7; // 536870911 frames of 8 bytes: 3.1 hours
    let big = d.join("big.wav");
    let header = wav_bytes(3, 2, 48000, 32, &[], declared);
    fs::write(&big, &header).unwrap();
    let f = fs::OpenOptions::new().write(true).open(&big).unwrap();
    f.set_len(header.len() as u64 + u64::from(declared))
        .unwrap();
    drop(f);
    let t = Instant::now();
    let o = run(&["render", s(&big), "-o", s(&out), "--bits", "32f"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("more than a WAV file can hold"), "{e}");
    // The memory limit: refused from the header too.
    let o = gar_process(UNSET)
        .env("GAR_MAX_MEMORY", "1G")
        .args(["render", s(&big), "-o", s(&out)])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("big.wav") && e.contains("GAR_MAX_MEMORY"), "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "refused at once, not after decoding"
    );
    // A bad limit is a usage error.
    let o = gar_process(UNSET)
        .env("GAR_MAX_MEMORY", "lots")
        .args(["render", s(&input), "-o", s(&out)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("GAR_MAX_MEMORY"));
    // 1 ms hops for a day at 8 kHz: the WAV would fit, the plan (86 M hops) does not.
    let low = d.join("low.wav");
    fs::write(&low, tone(1, 8000, 0.5)).unwrap();
    let o = gar_process(UNSET)
        .env("GAR_MAX_MEMORY", "2G")
        .args([
            "render",
            s(&low),
            "-o",
            s(&out),
            "--duration",
            "86400",
            "--hop-ms",
            "1",
        ])
        .args(["--bits", "16"])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("would need about"), "{e}");
    assert_eq!(names(d), vec!["big.wav", "low.wav", "st.wav"]);
}

#[test]
fn an_endless_pipe_is_refused_at_the_memory_limit() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("pipe.wav");
    if !Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    // A header that promises the maximum, then zeros until the reader gives up.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(&wav_bytes(1, 2, 48000, 16, &[], u32::MAX - 100));
            let zeros = vec![0u8; 1 << 16];
            while f.write_all(&zeros).is_ok() {}
        })
    };
    let out = dir.path().join("o.wav");
    let o = gar_process(UNSET)
        .env("GAR_MAX_MEMORY", "64M")
        .args(["render", s(&fifo), "-o", s(&out)])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("pipe.wav") && e.contains("too long"), "{e}");
    unblock_writer(&fifo);
    writer.join().unwrap();
    assert!(!out.exists());
}

/// A tmpfs of `kib` KiB mounted on a fresh folder, unmounted on drop.
struct SmallDisk(TempDir);

impl SmallDisk {
    fn mount(kib: u32) -> Result<SmallDisk, String> {
        let dir = TempDir::new().map_err(|e| e.to_string())?;
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !o.status.success() {
            return Err(format!("mount failed: {}", stderr(&o).trim()));
        }
        Ok(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_leaves_no_file_behind() {
    let disk = match SmallDisk::mount(256) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipping: cannot mount a small tmpfs ({why})");
            return;
        }
    };
    let full = disk.0.path();
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("in.wav");
    fs::write(&input, tone(2, 44100, 2.0)).unwrap();
    let before = fs::read(&input).unwrap();
    // 2 s of 24-bit stereo is 529 KB: the disk fills mid-write. In memory and streamed.
    for stream in ["0", "1"] {
        let out = full.join("o.wav");
        let o = gar_process(UNSET)
            .env("GAR_STREAM", stream)
            .args(["render", s(&input), "-o", s(&out), "--seed", "1"])
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "stream={stream}: {e}");
        assert!(e.contains("o.wav") && e.contains("No space left"), "{e}");
        assert!(names(full).is_empty(), "stream={stream}: {:?}", names(full));
    }
    // The WAV fits (88 KB) but the report does not (about 300 KB: 1 ms candidate and
    // output hops): a run writes everything or nothing, so no WAV is left either.
    let out = full.join("short.wav");
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&out),
        "--duration",
        "0.5",
        "--bits",
        "16",
        "--grain-ms",
        "5",
        "--hop-ms",
        "1",
        "--cand-hop-ms",
        "1",
        "--report",
        s(&full.join("r.json")),
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("No space left"), "{e}");
    assert!(names(full).is_empty(), "{:?}: {e}", names(full));
    // With a small report both fit, and both are written.
    let o = run(&[
        "render",
        s(&input),
        "-o",
        s(&out),
        "--duration",
        "0.5",
        "--bits",
        "16",
        "--report",
        s(&full.join("r.json")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(full), vec!["r.json", "short.wav"]);
    read_wav_f32(&out);
    assert_eq!(fs::read(&input).unwrap(), before);
}

/// Starts a render that streams for many seconds and returns once its temp file exists.
fn start_long_render(dir: &Path) -> (std::process::Child, PathBuf) {
    let input = dir.join("in.wav");
    fs::write(&input, tone(2, 48000, 3.0)).unwrap();
    let out = dir.join("o.wav");
    let child = gar_process(UNSET)
        .args([
            "render",
            s(&input),
            "-o",
            s(&out),
            "--preset",
            "shimmer",
            "--seed",
            "1",
        ])
        .args([
            "--duration",
            "20000",
            "--channels",
            "mono",
            "--bits",
            "16",
            "-q",
        ])
        // Side files too: their temporary files exist from the start and must go as well.
        .args([
            "--report",
            s(&dir.join("r.json")),
            "--csv",
            s(&dir.join("t")),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        if names(dir).iter().any(|n| n.starts_with(".gar-tmp-")) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no temp file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    (child, out)
}

#[test]
fn interrupted_renders_remove_their_temp_file() {
    for signal in ["INT", "TERM", "HUP"] {
        let dir = TempDir::new().unwrap();
        let (child, out) = start_long_render(dir.path());
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let o = child.wait_with_output().unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(130), "SIG{signal}: {e}");
        assert!(e.contains("interrupted"), "{e}");
        assert!(!out.exists());
        assert_eq!(names(dir.path()), vec!["in.wav"], "SIG{signal}");
    }
}

#[test]
fn concurrent_writers_leave_one_complete_file() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    fs::write(&input, tone(2, 44100, 3.0)).unwrap();
    let render = |out: &Path, seed: &str, force: bool| {
        let mut c = gar_process(UNSET);
        c.args(["render", s(&input), "-o", s(out), "--seed", seed, "-q"]);
        if force {
            c.arg("--force");
        }
        c.spawn().unwrap()
    };
    let reference = |seed: &str| {
        let p = d.join(format!("ref{seed}.wav"));
        assert!(render(&p, seed, false).wait().unwrap().success());
        fs::read(&p).unwrap()
    };
    let (a, b) = (reference("1"), reference("2"));
    assert_ne!(a, b);
    let shared = d.join("shared.wav");
    for round in 0..4 {
        // With --force both succeed; the file is one of them, whole.
        let (mut p, mut q) = (render(&shared, "1", true), render(&shared, "2", true));
        assert!(p.wait().unwrap().success() && q.wait().unwrap().success());
        let got = fs::read(&shared).unwrap();
        assert!(got == a || got == b, "round {round}: a mix of two outputs");
        // Without --force on a new path: one wins, the other refuses; never a mix.
        let fresh = d.join(format!("new{round}.wav"));
        let (mut p, mut q) = (render(&fresh, "1", false), render(&fresh, "2", false));
        let (ok_p, ok_q) = (p.wait().unwrap().success(), q.wait().unwrap().success());
        assert!(ok_p || ok_q, "round {round}: one must succeed");
        let got = fs::read(&fresh).unwrap();
        assert!((ok_p && got == a) || (ok_q && got == b), "round {round}");
    }
    assert!(
        names(d).iter().all(|n| !n.starts_with(".gar-tmp-")),
        "{:?}",
        names(d)
    );
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    // 4 s of stereo at 48 kHz: 192000 frames, six render blocks of 32768.
    fs::write(&input, tone(2, 48000, 4.0)).unwrap();
    let render = |threads: &str, stream: &str| {
        let out = d.join(format!("t{threads}-s{stream}.wav"));
        let o = gar_process(UNSET)
            .env("RAYON_NUM_THREADS", threads)
            .env("GAR_STREAM", stream)
            .args(["render", s(&input), "-o", s(&out), "--preset", "shimmer"])
            .args(["--seed", "9", "--bits", "32f", "-q"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        fs::read(&out).unwrap()
    };
    let one = render("1", "0");
    assert!(one.len() > 192_000 * 8, "whole output");
    assert_eq!(render("2", "0"), one, "RAYON_NUM_THREADS=2");
    assert_eq!(render("3", "0"), one, "RAYON_NUM_THREADS=3");
    assert_eq!(render("1", "1"), one, "streamed, 1 thread");
    assert_eq!(render("2", "1"), one, "streamed, 2 threads");
}

/// If the reader gave up before opening the FIFO, its writer is still blocked in `open`:
/// open the read end without blocking and close it, so the writer's next write fails
/// (EPIPE) and its thread ends instead of hanging the test.
fn unblock_writer(fifo: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    #[cfg(target_os = "linux")]
    const O_NONBLOCK: i32 = 0o4000;
    #[cfg(not(target_os = "linux"))]
    const O_NONBLOCK: i32 = 0x4; // the BSDs and macOS
    let _ = fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(fifo);
}
