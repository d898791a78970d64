//! `--play` (the optional `play` feature): refused clearly without the feature, before
//! any work; with it, a machine with no audio device gets a clear error and keeps the
//! written WAV. CI runs this file both ways (`cargo test -p gar --features play --test
//! play` after installing ALSA's headers).

mod common;

use common::{gar, write_wav16};
use tempfile::TempDir;

fn write_source(path: &std::path::Path) {
    write_wav16(path, 1, 16_000, 16_000, |i, _| {
        let i = i as u32;
        let click = (-f64::from(i % 2_000) / 150.0).exp();
        (click * 20_000.0) as i16
    });
}

#[test]
fn play_to_standard_output_is_a_usage_error() {
    let t = TempDir::new().unwrap();
    write_source(&t.path().join("in.wav"));
    let a = gar(&[])
        .current_dir(t.path())
        .args(["render", "in.wav", "-o", "-", "--play"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    if cfg!(feature = "play") {
        assert!(err.contains("--play with -o -"), "{err}");
    } else {
        assert!(err.contains("built without playback"), "{err}");
    }
}

#[cfg(not(feature = "play"))]
#[test]
fn without_the_feature_play_is_refused_before_any_work() {
    let t = TempDir::new().unwrap();
    write_source(&t.path().join("in.wav"));
    for args in [
        &["render", "in.wav", "-o", "out.wav", "--play"][..],
        &["demo", "--out", "demo", "--play"][..],
    ] {
        let a = gar(&[]).current_dir(t.path()).args(args).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(
            err.contains("built without playback") && err.contains("--features play"),
            "{err}"
        );
        assert!(!t.path().join("out.wav").exists());
        assert!(!t.path().join("demo").exists());
    }
}

#[cfg(feature = "play")]
#[test]
fn with_the_feature_the_wav_is_written_and_a_missing_device_is_a_clear_error() {
    let t = TempDir::new().unwrap();
    write_source(&t.path().join("in.wav"));
    let out = gar(&[])
        .current_dir(t.path())
        .args([
            "render",
            "in.wav",
            "-o",
            "out.wav",
            "--play",
            "--seed",
            "1",
            "--duration",
            "0.2",
        ])
        .output()
        .unwrap();
    assert!(t.path().join("out.wav").exists(), "the WAV comes first");
    // Where a device exists it plays (exit 0); where none does (CI), a clear error.
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot open an audio output device")
                && err.contains("out.wav was written"),
            "{err}"
        );
    }
}
