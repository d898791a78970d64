//! `write_wav_atomic`, `AtomicFile` and `WavWriter`: no clobbering, overwriting on
//! request, no temporary files left behind, nothing created on failure, one permission
//! rule for every file; and `same_file`.

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

/// The one writer behind every file gar writes: a report written through
/// `AtomicFile` gets the same permissions as a WAV, the temporary file sits beside the
/// target under a `.gar-tmp-` name, and nothing reaches the target before `commit`.
#[test]
fn atomic_file_is_the_same_writer_for_every_file() {
    use gar_io::AtomicFile;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    write_wav_atomic(&wav, 8000, &[&tone(10)], Bits::I16, false, |_| {}).unwrap();
    let report = dir.path().join("out.json");
    let mut seen = None;
    let mut f = AtomicFile::create(&report, false, |t| seen = Some(t.to_path_buf())).unwrap();
    let tmp = seen.unwrap();
    assert_eq!(tmp, f.temp_path());
    assert_eq!(tmp.parent(), Some(dir.path()));
    let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(".gar-tmp-") && name.ends_with(".json"),
        "{name}"
    );
    f.write_all(b"{\"a\": 1}").unwrap();
    f.sync().unwrap();
    assert!(
        !report.exists(),
        "nothing under the target's name before commit"
    );
    assert!(!f.replaces_existing());
    f.commit().unwrap();
    assert_eq!(fs::read(&report).unwrap(), b"{\"a\": 1}");
    assert_eq!(listing(dir.path()), ["out.json", "out.wav"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&report),
            mode(&wav),
            "one permission rule for every file"
        );
        let reference = dir.path().join("reference");
        fs::File::create(&reference).unwrap();
        assert_eq!(mode(&report), mode(&reference), "as File::create");
        fs::remove_file(&reference).unwrap();
    }
    // Replacing: only with overwrite, and the old file stays until commit.
    assert!(matches!(
        AtomicFile::create(&report, false, |_| {}),
        Err(EncodeError::OutputExists { .. })
    ));
    let mut f = AtomicFile::create(&report, true, |_| {}).unwrap();
    assert!(f.replaces_existing());
    f.write_all(b"new").unwrap();
    assert_eq!(fs::read(&report).unwrap(), b"{\"a\": 1}");
    f.commit().unwrap();
    assert_eq!(fs::read(&report).unwrap(), b"new");
    // Dropped before commit (an error elsewhere): the temporary file goes, the target stays.
    let mut f = AtomicFile::create(&report, true, |_| {}).unwrap();
    f.write_all(b"partial").unwrap();
    drop(f);
    assert_eq!(fs::read(&report).unwrap(), b"new");
    assert_eq!(listing(dir.path()), ["out.json", "out.wav"]);
}

/// The WAV stream writer gives the same bytes to any writer (a pipe, standard
/// output) as the file writer: the header is exact from the first byte.
#[test]
fn wav_writer_streams_the_same_bytes_as_a_file() {
    use gar_io::WavWriter;
    let dir = tempfile::tempdir().unwrap();
    let (l, r) = (
        tone(3001),
        tone(3001).iter().map(|x| -x).collect::<Vec<_>>(),
    );
    for bits in Bits::ALL {
        let file = dir.path().join(format!("{bits}.wav"));
        write_wav_atomic(&file, 44_100, &[&l, &r], bits, false, |_| {}).unwrap();
        let mut w = WavWriter::new(Vec::new(), Path::new("<pipe>"), 44_100, 2, 3001, bits).unwrap();
        w.write(&[&l[..1000], &r[..1000]]).unwrap();
        w.write(&[&l[1000..], &r[1000..]]).unwrap();
        assert_eq!(w.frames_written(), 3001);
        let bytes = w.finish().unwrap();
        assert!(bytes == fs::read(&file).unwrap(), "{bits}");
        // Short of the announced length: an error, never a WAV with a wrong header.
        let mut w = WavWriter::new(Vec::new(), Path::new("<pipe>"), 44_100, 2, 3001, bits).unwrap();
        w.write(&[&l[..1000], &r[..1000]]).unwrap();
        assert!(w.finish().is_err());
    }
}
