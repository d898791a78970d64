//! `write_wav_atomic`: no clobbering, overwriting on request, no temporary files left behind,
//! nothing created on failure; and `same_file`.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use gar_io::{Bits, EncodeError, decode_file, same_file, write_wav_atomic};

fn tone(frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|n| 0.25 * (n as f32 * 0.05).sin())
        .collect()
}

/// Names of all entries in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn assert_no_temp_files(dir: &Path) {
    let left: Vec<String> = listing(dir)
        .into_iter()
        .filter(|n| n.starts_with(".gar-tmp-"))
        .collect();
    assert!(
        left.is_empty(),
        "temporary files left in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn writes_a_new_file_via_a_temp_file_in_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.wav");
    let signal = tone(1000);
    let seen: RefCell<Option<PathBuf>> = RefCell::new(None);

    write_wav_atomic(&out, 48_000, &[&signal, &signal], Bits::I24, false, |tmp| {
        // Called right after creation: the temp file exists, the output does not yet.
        assert!(tmp.exists());
        assert!(!out.exists());
        *seen.borrow_mut() = Some(tmp.to_path_buf());
    })
    .unwrap();

    let tmp = seen.into_inner().expect("on_temp_created was called");
    assert_eq!(
        tmp.parent(),
        Some(dir.path()),
        "temp file must be in the output's directory"
    );
    let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(".gar-tmp-"), "{name}");
    assert!(!tmp.exists(), "the temp file was renamed away");
    assert_eq!(listing(dir.path()), ["out.wav"]);

    let d = decode_file(&out).unwrap();
    assert_eq!(
        (d.sample_rate, d.channels.len(), d.frames),
        (48_000, 2, 1000)
    );
}

#[cfg(unix)]
#[test]
fn output_gets_normal_file_permissions_not_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    fs::File::create(&reference).unwrap();
    let out = dir.path().join("out.wav");
    write_wav_atomic(&out, 8000, &[&tone(10)], Bits::I16, false, |_| {}).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&out),
        mode(&reference),
        "same as File::create (0666 minus umask)"
    );
}

#[test]
fn refuses_to_overwrite_without_permission_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("existing.wav");
    fs::write(&out, b"precious").unwrap();
    let mut called = false;

    let e = write_wav_atomic(&out, 44_100, &[&tone(100)], Bits::I16, false, |_| {
        called = true
    })
    .unwrap_err();

    assert!(matches!(e, EncodeError::OutputExists { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&out.display().to_string()) && msg.contains("already exists"),
        "{msg}"
    );
    assert!(
        !called,
        "the existence check must come before any temp file is created"
    );
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    assert_eq!(listing(dir.path()), ["existing.wav"]);
}

#[test]
fn overwrites_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("existing.wav");
    fs::write(&out, b"old").unwrap();

    write_wav_atomic(&out, 44_100, &[&tone(100)], Bits::F32, true, |_| {}).unwrap();

    let d = decode_file(&out).unwrap();
    assert_eq!(d.frames, 100);
    // hound writes WAVE_FORMAT_EXTENSIBLE for more than 16 bits.
    assert_eq!(d.format, "WAV (WAVE_FORMAT_EXTENSIBLE), 32-bit float");
    assert_eq!(listing(dir.path()), ["existing.wav"]);
}

#[test]
fn a_file_appearing_during_encoding_is_never_clobbered() {
    // Simulate a race: another process creates the output after our existence check.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("raced.wav");

    let e = write_wav_atomic(&out, 44_100, &[&tone(100)], Bits::I16, false, |_| {
        fs::write(&out, b"theirs").unwrap();
    })
    .unwrap_err();

    assert!(matches!(e, EncodeError::OutputExists { .. }), "{e:?}");
    assert_eq!(fs::read(&out).unwrap(), b"theirs");
    assert_no_temp_files(dir.path());
    assert_eq!(listing(dir.path()), ["raced.wav"]);
}

#[test]
fn missing_directory_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/dir/out.wav");
    let mut called = false;

    let e = write_wav_atomic(&out, 44_100, &[&tone(10)], Bits::I16, false, |_| {
        called = true
    })
    .unwrap_err();

    assert!(matches!(e, EncodeError::DirectoryMissing { .. }), "{e:?}");
    assert!(e.to_string().contains("no/such/dir"), "{e}");
    assert!(!called);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_directory_as_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub.wav");
    fs::create_dir(&sub).unwrap();
    for overwrite in [false, true] {
        let e =
            write_wav_atomic(&sub, 44_100, &[&tone(10)], Bits::I16, overwrite, |_| {}).unwrap_err();
        assert!(matches!(e, EncodeError::OutputIsDirectory { .. }), "{e:?}");
    }
    assert!(sub.is_dir());
    assert_eq!(listing(dir.path()), ["sub.wav"]);
}

#[test]
fn invalid_input_fails_before_creating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.wav");
    let (a, b) = (tone(10), tone(11));
    let mut called = false;
    let e =
        write_wav_atomic(&out, 44_100, &[&a, &b], Bits::I16, true, |_| called = true).unwrap_err();
    assert!(
        matches!(e, EncodeError::ChannelLengthMismatch { .. }),
        "{e:?}"
    );
    assert!(!called);
    assert!(listing(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn read_only_directory_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();

    // Root (and some CI sandboxes) ignore directory permissions: detect that, and skip.
    let probe = ro.join("probe");
    if fs::File::create(&probe).is_ok() {
        let _ = fs::remove_file(&probe);
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipping: permissions are not enforced for this user (root?)");
        return;
    }

    let out = ro.join("out.wav");
    let e = write_wav_atomic(&out, 44_100, &[&tone(10)], Bits::I16, false, |_| {}).unwrap_err();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();

    assert!(matches!(e, EncodeError::Io { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("out.wav") && msg.contains("temporary file"),
        "{msg}"
    );
    assert!(listing(&ro).is_empty(), "nothing may be left behind");
}

#[test]
fn same_file_compares_identity_not_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    fs::write(&a, b"a").unwrap();
    fs::write(&b, b"a").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();

    assert!(same_file(&a, &a));
    assert!(same_file(&a, &dir.path().join("sub/../a.wav")));
    assert!(same_file(&a, &dir.path().join("./a.wav")));
    assert!(!same_file(&a, &b), "same content, different files");
    assert!(!same_file(&a, &dir.path().join("missing.wav")));
    assert!(!same_file(
        &dir.path().join("missing.wav"),
        &dir.path().join("missing.wav")
    ));

    let hard = dir.path().join("hard.wav");
    fs::hard_link(&a, &hard).unwrap();
    #[cfg(unix)]
    {
        assert!(same_file(&a, &hard), "hard links are the same file");
        let sym = dir.path().join("sym.wav");
        std::os::unix::fs::symlink(&a, &sym).unwrap();
        assert!(same_file(&a, &sym), "a symlink resolves to the same file");
    }
}
