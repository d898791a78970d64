//! A fast path for plain PCM and float WAV files, the most common input.
//!
//! hound parses the header (RIFF, fmt incl. WAVE_FORMAT_EXTENSIBLE, data);
//! parallel tasks then each read their own range of the sample data and
//! convert it to planar f32. Hand-written because symphonia's packet-by-packet decoding costs
//! about twice the whole budget of a pass-through (the speed target);
//! every sample value is the same as symphonia's (tested against it on every
//! WAV fixture). Anything unusual (truncated data, other codecs, odd layouts)
//! returns `None` and goes through symphonia, which also owns every error
//! message.

use crate::error::DecodeError;
use crate::samples::{DecodeLimits, Decoded, FloatStats};
use gar_core::SampleBuf;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// Frames read and converted per parallel task.
const TASK_FRAMES: usize = 1 << 15;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

impl Kind {
    fn bytes(self) -> usize {
        match self {
            Kind::U8 => 1,
            Kind::I16 => 2,
            Kind::I24 => 3,
            Kind::I32 | Kind::F32 => 4,
            Kind::F64 => 8,
        }
    }

    /// The same arithmetic as the symphonia path in `decode.rs`.
    #[inline(always)]
    fn sample(self, b: &[u8]) -> f32 {
        match self {
            Kind::U8 => (f32::from(b[0]) - 128.0) * (1.0 / 128.0),
            Kind::I16 => f32::from(i16::from_le_bytes([b[0], b[1]])) * (1.0 / 32_768.0),
            Kind::I24 => {
                let v = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                v as f32 * (1.0 / 8_388_608.0)
            }
            Kind::I32 => {
                i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 * (1.0 / 2_147_483_648.0)
            }
            Kind::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Kind::F64 => {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
        }
    }
}

impl Kind {
    /// Converts channel `c` (its bytes start `offset` bytes into each frame) of
    /// the interleaved frames in `src` into `dst`: one loop per sample type, so
    /// the type test is not repeated per sample.
    fn convert(self, src: &[u8], frame_bytes: usize, offset: usize, dst: &mut [f32]) {
        fn each<const B: usize>(
            src: &[u8],
            frame_bytes: usize,
            offset: usize,
            dst: &mut [f32],
            f: impl Fn([u8; B]) -> f32,
        ) {
            for (d, fr) in dst.iter_mut().zip(src.chunks_exact(frame_bytes)) {
                let mut b = [0u8; B];
                b.copy_from_slice(&fr[offset..offset + B]);
                *d = f(b);
            }
        }
        match self {
            Kind::U8 => each::<1>(src, frame_bytes, offset, dst, |b| Kind::U8.sample(&b)),
            Kind::I16 => each::<2>(src, frame_bytes, offset, dst, |b| Kind::I16.sample(&b)),
            Kind::I24 => each::<3>(src, frame_bytes, offset, dst, |b| Kind::I24.sample(&b)),
            Kind::I32 => each::<4>(src, frame_bytes, offset, dst, |b| Kind::I32.sample(&b)),
            Kind::F32 => each::<4>(src, frame_bytes, offset, dst, |b| Kind::F32.sample(&b)),
            Kind::F64 => each::<8>(src, frame_bytes, offset, dst, |b| Kind::F64.sample(&b)),
        }
    }
}

/// Decodes `path` if it is a regular file holding a plain, complete PCM or
/// float WAV: `Ok(Some)`, with `format` left empty for the caller to describe;
/// `Ok(None)` for anything else (the caller then uses symphonia); `Err` only for
/// a file longer than `limits` allow.
pub(crate) fn try_decode(
    path: &Path,
    limits: &DecodeLimits,
) -> Result<Option<Decoded>, DecodeError> {
    // Regular files only, checked before opening: opening a FIFO would block,
    // and reading from it would consume what the stream decoder needs.
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        _ => return Ok(None),
    }
    let Ok(mut file) = File::open(path) else {
        return Ok(None);
    };
    let Ok(meta) = file.metadata() else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let mut magic = [0u8; 12];
    if file.read_exact(&mut magic).is_err() || &magic[..4] != b"RIFF" || &magic[8..] != b"WAVE" {
        return Ok(None);
    }
    if file.rewind().is_err() {
        return Ok(None);
    }
    decode(&mut file, meta.len(), path, limits)
}

/// Decodes `file` (at offset 0, `len` bytes) if it is a plain, complete PCM or
/// float WAV; `Ok(None)` if it is anything else.
fn decode(
    file: &mut File,
    len: u64,
    path: &Path,
    limits: &DecodeLimits,
) -> Result<Option<Decoded>, DecodeError> {
    let Some((spec, kind, frames, start)) = header(file, len) else {
        return Ok(None);
    };
    let nch = usize::from(spec.channels);
    let bytes = (frames as u64).saturating_mul(nch as u64 * 4);
    if bytes > limits.max_decoded_bytes {
        return Err(DecodeError::TooLong {
            path: path.to_path_buf(),
            frames: frames as u64,
            channels: nch,
            sample_rate: spec.sample_rate,
            bytes,
            max: limits.max_decoded_bytes,
            from_header: true,
        });
    }
    let Some((channels, floats)) = convert(file, start, kind, nch, frames) else {
        return Ok(None);
    };
    let mut channels = channels;
    let mut warnings = Vec::new();
    floats.finish(&mut channels, &mut warnings);
    Ok(Some(Decoded {
        sample_rate: spec.sample_rate,
        channels,
        frames,
        // Described by the caller, from the header (the same words as symphonia's).
        format: String::new(),
        nonfinite_replaced: floats.nonfinite,
        warnings,
    }))
}

/// The header, through hound: spec, sample kind, frames and the data offset;
/// `None` unless the data is plain PCM/float and complete.
fn header(file: &mut File, len: u64) -> Option<(hound::WavSpec, Kind, usize, u64)> {
    let mut r = hound::WavReader::new(BufReader::new(&mut *file)).ok()?;
    let spec = r.spec();
    let kind = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 8) => Kind::U8,
        (hound::SampleFormat::Int, 16) => Kind::I16,
        (hound::SampleFormat::Int, 24) => Kind::I24,
        (hound::SampleFormat::Int, 32) => Kind::I32,
        (hound::SampleFormat::Float, 32) => Kind::F32,
        (hound::SampleFormat::Float, 64) => Kind::F64,
        _ => return None,
    };
    let nch = usize::from(spec.channels);
    if nch == 0 || spec.sample_rate == 0 || nch > 64 {
        return None;
    }
    let samples = u64::from(r.len());
    let frames = samples / nch as u64;
    if frames == 0 || samples % nch as u64 != 0 {
        return None;
    }
    // Where the data starts: seek to sample 0 and ask the reader.
    r.seek(0).ok()?;
    let start = r.into_inner().stream_position().ok()?;
    let data_bytes = frames.checked_mul((nch * kind.bytes()) as u64)?;
    if start.checked_add(data_bytes)? > len {
        return None; // truncated: symphonia decodes what is there and says so
    }
    Some((spec, kind, usize::try_from(frames).ok()?, start))
}

/// Reads the `frames` frames at byte offset `start` and converts them.
///
/// Every task reads its own byte range (positioned reads, so both cores read
/// and convert at once) into a small per-thread buffer; the f32 channels are
/// freshly zero-mapped and written first by the task that owns each range, so
/// no page is touched twice and no copy of the whole file is ever held.
fn convert(
    file: &File,
    start: u64,
    kind: Kind,
    nch: usize,
    frames: usize,
) -> Option<(Vec<SampleBuf>, FloatStats)> {
    let frame_bytes = nch * kind.bytes();
    // Fresh zero pages (no memset); the size was checked against the decode
    // limits and the file length.
    let mut out: Vec<SampleBuf> = (0..nch).map(|_| SampleBuf::zeroed(frames)).collect();
    let mut tasks: Vec<Vec<&mut [f32]>> = (0..frames.div_ceil(TASK_FRAMES))
        .map(|_| Vec::with_capacity(nch))
        .collect();
    for ch in out.iter_mut() {
        for (t, d) in ch.chunks_mut(TASK_FRAMES).enumerate() {
            tasks[t].push(d);
        }
    }
    let is_float = matches!(kind, Kind::F32 | Kind::F64);
    let stats: Option<Vec<FloatStats>> = tasks
        .into_par_iter()
        .enumerate()
        .map_init(Vec::new, |buf: &mut Vec<u8>, (t, mut chans)| {
            let n = chans.first().map_or(0, |c| c.len());
            buf.resize(n * frame_bytes, 0);
            let at = start + (t * TASK_FRAMES * frame_bytes) as u64;
            read_exact_at(file, buf, at).ok()?;
            let mut st = FloatStats::default();
            for (c, dst) in chans.iter_mut().enumerate() {
                kind.convert(buf, frame_bytes, c * kind.bytes(), dst);
                if is_float {
                    st.fix(dst);
                }
            }
            Some(st)
        })
        .collect();
    let mut floats = FloatStats::default();
    for st in stats? {
        floats.merge(st);
    }
    Some((out, floats))
}

/// Fills `buf` from byte offset `at` of `file` without moving its cursor.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

/// Fills `buf` from byte offset `at` of `file`.
#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// No positioned reads here: the caller falls back to symphonia.
#[cfg(not(any(unix, windows)))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}
