//! A fast path for plain PCM and float WAV files, the most common input.
//!
//! hound parses the header (RIFF, fmt incl. WAVE_FORMAT_EXTENSIBLE, data);
//! the sample data is then read in large chunks and converted to planar f32 in
//! parallel. Hand-written because symphonia's packet-by-packet decoding costs
//! about twice the whole budget of a pass-through (the speed target);
//! every sample value is the same as symphonia's (tested against it on every
//! WAV fixture). Anything unusual (truncated data, other codecs, odd layouts)
//! returns `None` and goes through symphonia, which also owns every error
//! message.

use crate::decode::{DecodeLimits, Decoded, FloatStats};
use crate::error::DecodeError;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// Bytes read and converted per step (a multiple of every frame size up to 64 channels
/// of 8-byte samples would be nicer, but any size works: partial frames are carried).
const CHUNK_BYTES: usize = 8 << 20;
/// Frames converted per parallel task.
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

/// Decodes `path` if it is a regular file holding a plain, complete PCM or
/// float WAV: `Ok(Some)`; `Ok(None)` for anything else (the caller then uses
/// symphonia); `Err` only for a file longer than `limits` allow.
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
    if file.seek(std::io::SeekFrom::Start(start)).is_err() {
        return Ok(None);
    }
    let Some((channels, floats)) = convert(file, kind, nch, frames) else {
        return Ok(None);
    };
    let mut channels = channels;
    let mut warnings = Vec::new();
    floats.finish(&mut channels, &mut warnings);
    let format = match crate::decode::probe_file(path) {
        Ok(Some(info)) => info.format,
        _ => "WAV".to_string(),
    };
    Ok(Some(Decoded {
        sample_rate: spec.sample_rate,
        channels,
        frames,
        format,
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

/// Reads `frames` frames from the current position and converts them.
fn convert(
    file: &mut File,
    kind: Kind,
    nch: usize,
    frames: usize,
) -> Option<(Vec<Vec<f32>>, FloatStats)> {
    let frame_bytes = nch * kind.bytes();
    let mut out: Vec<Vec<f32>> = Vec::with_capacity(nch);
    for _ in 0..nch {
        let mut v = Vec::new();
        v.try_reserve_exact(frames).ok()?;
        // Written before read by the conversion below (no zero-page mapping).
        v.resize(frames, 0.0);
        out.push(v);
    }
    let chunk_frames = (CHUNK_BYTES / frame_bytes).max(1);
    let mut buf = vec![0u8; chunk_frames.min(frames) * frame_bytes];
    let mut done = 0usize;
    let mut floats = FloatStats::default();
    let is_float = matches!(kind, Kind::F32 | Kind::F64);
    while done < frames {
        let n = chunk_frames.min(frames - done);
        let bytes = &mut buf[..n * frame_bytes];
        file.read_exact(bytes).ok()?;
        // Split this chunk's frames into tasks; each writes its own ranges of
        // every channel.
        let mut dsts: Vec<Vec<&mut [f32]>> =
            (0..n.div_ceil(TASK_FRAMES)).map(|_| Vec::new()).collect();
        for ch in out.iter_mut() {
            for (t, d) in ch[done..done + n].chunks_mut(TASK_FRAMES).enumerate() {
                dsts[t].push(d);
            }
        }
        let bytes = &*bytes;
        let stats: Vec<FloatStats> = dsts
            .into_par_iter()
            .enumerate()
            .map(|(t, mut chans)| {
                let src = &bytes[t * TASK_FRAMES * frame_bytes..];
                let sb = kind.bytes();
                let mut st = FloatStats::default();
                for (c, dst) in chans.iter_mut().enumerate() {
                    for (i, d) in dst.iter_mut().enumerate() {
                        let o = i * frame_bytes + c * sb;
                        *d = kind.sample(&src[o..o + sb]);
                    }
                    if is_float {
                        st.fix(dst);
                    }
                }
                st
            })
            .collect();
        for st in stats {
            floats.merge(st);
        }
        done += n;
    }
    Some((out, floats))
}
