//! Decoding limits and safe-by-construction outputs (issue #4): memory limits checked
//! from the header before allocating, pipes decoded as streams, header probing without
//! decoding, float samples made safe for the engine, special files never replaced, and
//! the WAV size limit checked up front.

use std::fs;
use std::path::{Path, PathBuf};

use gar_io::{
    Bits, DecodeError, DecodeLimits, EncodeError, MAX_SAMPLE_MAGNITUDE, MAX_WAV_DATA_BYTES,
    WavFileWriter, check_wav_size, decode_bytes, decode_file, decode_file_with, probe_file,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| {
                ["wav", "aiff", "flac", "mp3", "ogg"].contains(&e.to_str().unwrap())
            })
        })
        .collect();
    v.sort();
    assert!(v.len() >= 12);
    v
}

/// A WAV file built by hand; `declared` is the data length the header states.
fn wav(tag: u16, ch: u16, rate: u32, bits: u16, data: &[u8], declared: u32) -> Vec<u8> {
    let block = ch * (bits / 8);
    let mut fmt = Vec::new();
    for v in [tag, ch] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&declared.to_le_bytes());
    body.extend_from_slice(data);
    let riff = ((body.len() - data.len()) as u64 + u64::from(declared)).min(u64::from(u32::MAX));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(riff as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn limit(bytes: u64) -> DecodeLimits {
    DecodeLimits {
        max_decoded_bytes: bytes,
    }
}

#[test]
fn a_long_file_is_refused_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    // 1 s of 16-bit stereo at 44.1 kHz: 352800 bytes as f32.
    let data = vec![0u8; 44100 * 4];
    fs::write(&path, wav(1, 2, 44100, 16, &data, data.len() as u32)).unwrap();
    let e = decode_file_with(&path, &limit(300_000)).unwrap_err();
    match &e {
        DecodeError::TooLong {
            frames,
            channels,
            bytes,
            max,
            from_header,
            ..
        } => {
            assert_eq!(
                (*frames, *channels, *bytes, *max),
                (44100, 2, 352_800, 300_000)
            );
            assert!(from_header);
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("too long") && msg.contains("according to the header"),
        "{msg}"
    );
    // At the limit exactly, it decodes.
    let d = decode_file_with(&path, &limit(352_800)).unwrap();
    assert_eq!(d.frames, 44100);
}

#[test]
fn a_lying_header_is_decoded_as_truncated_not_refused() {
    // A recorder's placeholder length (almost 4 GiB) on a 0.2 s file.
    let data = vec![0x10u8; 8820 * 2];
    let bytes = wav(1, 1, 44100, 16, &data, u32::MAX - 1);
    let d = gar_io::decode_bytes_with(bytes.clone(), Some("wav"), &limit(1 << 20)).unwrap();
    assert_eq!(d.frames, 8820);
    assert!(
        d.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        d.warnings
    );
    // The probe reports what the file can hold, not what the header says.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("placeholder.wav");
    fs::write(&path, &bytes).unwrap();
    let info = probe_file(&path).unwrap().unwrap();
    assert!(!info.frames_exact);
    let fits = bytes.len() as u64 / 2 + 1; // the whole file's size in 16-bit frames
    assert!(info.frames.unwrap() <= fits, "{info:?}");
}

#[test]
fn decoding_stops_at_the_limit_when_the_length_is_unknown() {
    // From memory with an unknown length the header still counts: use a pipe.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.wav");
    if !std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(&wav(1, 2, 48000, 16, &[], u32::MAX - 3));
            let zeros = vec![0u8; 1 << 16];
            while f.write_all(&zeros).is_ok() {}
        })
    };
    let e = decode_file_with(&fifo, &limit(8 << 20)).unwrap_err();
    unblock_writer(&fifo);
    writer.join().unwrap();
    match &e {
        DecodeError::TooLong {
            frames,
            from_header,
            max,
            ..
        } => {
            assert!(!from_header, "a pipe is not refused from its header");
            assert!(
                *frames * 8 > *max && *frames * 8 < *max + (1 << 20),
                "{frames}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("or more"), "{e}");
}

#[test]
fn every_format_decodes_from_a_pipe_as_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (i, f) in fixtures().iter().enumerate() {
        let fifo = dir
            .path()
            .join(format!("p{i}.{}", f.extension().unwrap().to_str().unwrap()));
        if !std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("skipping: mkfifo not available");
            return;
        }
        let bytes = fs::read(f).unwrap();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let _ = fs::write(&fifo, bytes);
            })
        };
        let piped = decode_file(&fifo);
        unblock_writer(&fifo);
        writer.join().unwrap();
        let piped = piped.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let file = decode_file(f).unwrap();
        assert_eq!(piped.channels, file.channels, "{}", f.display());
        assert_eq!(piped.sample_rate, file.sample_rate);
    }
}

#[test]
fn probe_reads_the_header_only_and_agrees_with_decoding() {
    for f in fixtures() {
        let info = probe_file(&f).unwrap().expect("a regular file");
        let d = decode_file(&f).unwrap();
        assert_eq!(info.sample_rate, d.sample_rate, "{}", f.display());
        assert_eq!(info.channels, d.channels.len(), "{}", f.display());
        assert!(!info.format.is_empty());
        if info.frames_exact {
            assert_eq!(info.frames, Some(d.frames as u64), "{}", f.display());
        }
        let ext = f.extension().unwrap().to_str().unwrap();
        assert_eq!(
            info.frames_exact,
            matches!(ext, "wav" | "aiff" | "flac"),
            "{}",
            f.display()
        );
    }
    // The same refusals as decoding, without decoding.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    assert!(matches!(
        probe_file(&missing),
        Err(DecodeError::NotFound { .. })
    ));
    assert!(matches!(
        probe_file(dir.path()),
        Err(DecodeError::IsDirectory { .. })
    ));
    let empty = dir.path().join("empty.wav");
    fs::write(&empty, b"").unwrap();
    assert!(matches!(probe_file(&empty), Err(DecodeError::Empty { .. })));
    let zero = dir.path().join("zero.wav");
    fs::write(&zero, wav(1, 0, 44100, 16, &[0; 64], 64)).unwrap();
    assert!(matches!(
        probe_file(&zero),
        Err(DecodeError::ZeroChannels { .. })
    ));
    // A pipe cannot be read twice: nothing is known before decoding.
    let fifo = dir.path().join("fifo.wav");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        assert_eq!(probe_file(&fifo).unwrap(), None);
    }
}

#[test]
fn float_samples_are_made_safe_for_the_engine() {
    let vals: [f32; 8] = [
        0.5,
        f32::NAN,
        3e38,
        -3e38,
        1e-40,
        -1e-42,
        f32::INFINITY,
        -0.25,
    ];
    let data: Vec<u8> = vals.iter().flat_map(|x| x.to_le_bytes()).collect();
    let d = decode_bytes(wav(3, 1, 8000, 32, &data, data.len() as u32), Some("wav")).unwrap();
    let got = &d.channels[0];
    let m = MAX_SAMPLE_MAGNITUDE;
    // Subnormal samples beside normal ones are kept, bit for bit.
    assert_eq!(got, &[0.5, 0.0, m, -m, 1e-40, -1e-42, 0.0, -0.25]);
    assert_eq!(d.nonfinite_replaced, 2);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.starts_with("2 float samples") && w.contains("clamped")),
        "{:?}",
        d.warnings
    );
    // f64 too: beyond the f32 range is infinite, hence replaced.
    let vals: [f64; 4] = [1e300, 1e30, 1e-300, -0.5];
    let data: Vec<u8> = vals.iter().flat_map(|x| x.to_le_bytes()).collect();
    let d = decode_bytes(wav(3, 1, 8000, 64, &data, data.len() as u32), Some("wav")).unwrap();
    assert_eq!(d.channels[0], vec![0.0, m, 0.0, -0.5]);
    assert_eq!(d.nonfinite_replaced, 1);
    // A file that is all subnormal (its normalising gain would overflow) is silence.
    let vals: Vec<f32> = (0..800).map(|i| 1e-40 * (i as f32 * 0.1).sin()).collect();
    let data: Vec<u8> = vals.iter().flat_map(|x| x.to_le_bytes()).collect();
    let d = decode_bytes(wav(3, 1, 8000, 32, &data, data.len() as u32), Some("wav")).unwrap();
    assert!(d.channels[0].iter().all(|&x| x == 0.0));
    assert!(vals.iter().any(|&x| x != 0.0));
}

#[test]
fn special_files_are_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.wav");
    if !std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    let link = dir.path().join("null.wav");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    for target in [&fifo, &link] {
        let e = gar_io::write_wav_atomic(target, 8000, &[&[0.0; 10]], Bits::I16, true, |_| {})
            .unwrap_err();
        assert!(matches!(e, EncodeError::OutputNotRegular { .. }), "{e:?}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["fifo.wav", "null.wav"]);
    // Nor through the streaming writer.
    assert!(matches!(
        WavFileWriter::create(&fifo, 8000, 1, 10, Bits::F32, true, |_| {}),
        Err(EncodeError::OutputNotRegular { .. })
    ));
}

#[test]
fn the_wav_size_limit_is_checked_up_front() {
    let p = Path::new("o.wav");
    // 24-bit stereo: 6 bytes a frame.
    let max_frames = (MAX_WAV_DATA_BYTES / 6) as usize;
    assert!(check_wav_size(p, 48000, 2, max_frames, Bits::I24).is_ok());
    let e = check_wav_size(p, 48000, 2, max_frames + 1, Bits::I24).unwrap_err();
    assert!(matches!(e, EncodeError::TooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("do not fit in a WAV file"), "{e}");
    // 3 hours of stereo 48 kHz fits in 32-bit float (4.15 GB), 3.2 hours does not.
    let three_h = 3 * 3600 * 48000;
    assert!(check_wav_size(p, 48000, 2, three_h, Bits::F32).is_ok());
    assert!(check_wav_size(p, 48000, 2, three_h + 12 * 60 * 48000, Bits::F32).is_err());
    assert!(check_wav_size(p, 48000, 2, usize::MAX, Bits::I16).is_err());
    assert!(check_wav_size(p, 0, 2, 10, Bits::I16).is_err());
    assert!(check_wav_size(p, 48000, 0, 10, Bits::I16).is_err());
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
