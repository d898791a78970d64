//! WAV encoding with hound, and atomic file replacement.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hound::{SampleFormat, WavSpec, WavWriter};

use crate::error::EncodeError;

/// Output sample format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bits {
    /// 16-bit signed integer PCM.
    I16,
    /// 24-bit signed integer PCM.
    I24,
    /// 32-bit IEEE float.
    F32,
}

impl Bits {
    /// All variants, in the order they are usually offered to users.
    pub const ALL: [Bits; 3] = [Bits::I16, Bits::I24, Bits::F32];

    /// Bits per sample in the file: 16, 24 or 32.
    pub fn bits_per_sample(&self) -> u16 {
        match self {
            Bits::I16 => 16,
            Bits::I24 => 24,
            Bits::F32 => 32,
        }
    }

    fn bytes_per_sample(self) -> u64 {
        u64::from(self.bits_per_sample() / 8)
    }
}

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bits::I16 => "16",
            Bits::I24 => "24",
            Bits::F32 => "32f",
        })
    }
}

/// Error parsing a [`Bits`] value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid bit depth {0:?}: expected one of \"16\", \"24\" or \"32f\" (32-bit float)")]
pub struct ParseBitsError(pub String);

impl FromStr for Bits {
    type Err = ParseBitsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "16" => Ok(Bits::I16),
            "24" => Ok(Bits::I24),
            "32f" => Ok(Bits::F32),
            _ => Err(ParseBitsError(s.to_string())),
        }
    }
}

/// hound's header is 68 bytes for WAVE_FORMAT_EXTENSIBLE (44 for plain PCM); the RIFF size field
/// holds `data + 60`, so the data chunk may hold at most `u32::MAX - 60` bytes.
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 60;

/// Samples (interleaved) converted per chunk: bounds the scratch buffer, keeps it in cache.
const CHUNK_SAMPLES: usize = 1 << 16;

/// Output buffer size for the underlying writer.
const WRITE_BUFFER: usize = 1 << 20;

/// Validate the input; return the frame count.
fn validate(
    label: &Path,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<usize, EncodeError> {
    let path = || label.to_path_buf();
    let Some(first) = channels.first() else {
        return Err(EncodeError::NoChannels { path: path() });
    };
    if channels.len() > usize::from(u16::MAX) {
        return Err(EncodeError::TooManyChannels {
            path: path(),
            channels: channels.len(),
        });
    }
    if sample_rate == 0 {
        return Err(EncodeError::ZeroSampleRate { path: path() });
    }
    let frames = first.len();
    for (i, c) in channels.iter().enumerate() {
        if c.len() != frames {
            return Err(EncodeError::ChannelLengthMismatch {
                path: path(),
                channel: i,
                len: c.len(),
                expected: frames,
            });
        }
    }
    let bytes = (frames as u64)
        .saturating_mul(channels.len() as u64)
        .saturating_mul(bits.bytes_per_sample());
    if bytes > MAX_DATA_BYTES {
        return Err(EncodeError::TooLarge {
            path: path(),
            bytes,
            max: MAX_DATA_BYTES,
        });
    }
    Ok(frames)
}

/// Float -> integer: non-finite becomes 0, clamp to [-1, 1], scale by `scale` (= 2^(bits-1)-1),
/// round half away from zero.
///
/// `v + copysign(0.5, v)` truncated by `as` is exact half-away rounding here: `v` is an f32
/// times a <= 24-bit integer, so it is exact in f64 and never within 2^-54 of a half-integer
/// without being one. (This avoids a libm `round` call per sample on baseline x86-64.)
#[inline(always)]
fn quantize(x: f32, scale: f64) -> i32 {
    let x = if x.is_finite() {
        x.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let v = f64::from(x) * scale;
    (v + 0.5f64.copysign(v)) as i32
}

/// Non-finite becomes 0.
#[inline(always)]
fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

fn hound_err(label: &Path, action: &str, e: hound::Error) -> EncodeError {
    let source = match e {
        hound::Error::IoError(io) => io,
        other => io::Error::other(other.to_string()),
    };
    EncodeError::Io {
        path: label.to_path_buf(),
        action: action.to_string(),
        source,
    }
}

/// Encode to any seekable writer (e.g. an in-memory `Cursor<Vec<u8>>`).
///
/// `channels` is planar: one slice per channel, all the same length.
pub fn encode_wav<W: Write + Seek>(
    w: W,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<(), EncodeError> {
    encode_labelled(w, Path::new("<writer>"), sample_rate, channels, bits)
}

fn encode_labelled<W: Write + Seek>(
    w: W,
    label: &Path,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<(), EncodeError> {
    let frames = validate(label, sample_rate, channels, bits)?;
    let nch = channels.len();
    let spec = WavSpec {
        // `validate` checked nch <= u16::MAX.
        channels: u16::try_from(nch).unwrap_or(u16::MAX),
        sample_rate,
        bits_per_sample: bits.bits_per_sample(),
        sample_format: match bits {
            Bits::F32 => SampleFormat::Float,
            Bits::I16 | Bits::I24 => SampleFormat::Int,
        },
    };

    let mut out = BufWriter::with_capacity(WRITE_BUFFER, w);
    let io_err = |action: &str, e: io::Error| EncodeError::Io {
        path: label.to_path_buf(),
        action: action.to_string(),
        source: e,
    };
    let writing = "writing samples";
    let frames_per_chunk = (CHUNK_SAMPLES / nch).max(1);
    let mut start = 0;

    match bits {
        Bits::I16 => {
            // hound all the way, using its buffered 16-bit fast path.
            let mut writer = WavWriter::new(&mut out, spec)
                .map_err(|e| hound_err(label, "writing the header", e))?;
            let mut scratch: Vec<i16> = Vec::with_capacity(frames_per_chunk * nch);
            while start < frames {
                let end = (start + frames_per_chunk).min(frames);
                interleave(channels, start, end, &mut scratch, |x| {
                    quantize(x, 32_767.0) as i16
                });
                // `scratch.len() <= CHUNK_SAMPLES * 2`, far below u32::MAX.
                let n = u32::try_from(scratch.len()).unwrap_or(u32::MAX);
                let mut sw = writer.get_i16_writer(n);
                for &s in &scratch {
                    sw.write_sample(s);
                }
                sw.flush().map_err(|e| hound_err(label, writing, e))?;
                start = end;
            }
            writer
                .finalize()
                .map_err(|e| hound_err(label, "finishing the header", e))?;
        }
        Bits::I24 | Bits::F32 => {
            // hound has no fast path for these (its per-sample `write_sample` runs at ~70-90 M
            // samples/s). hound still writes the header (WAVE_FORMAT_EXTENSIBLE for 24-bit and
            // for > 2 channels); we fill in the sizes, which are known up front, and stream the
            // little-endian sample bytes ourselves from a reused chunk buffer.
            let data_bytes = frames as u64 * nch as u64 * bits.bytes_per_sample();
            let header = hound_header(spec, data_bytes)
                .map_err(|e| hound_err(label, "writing the header", e))?;
            out.write_all(&header)
                .map_err(|e| io_err("writing the header", e))?;
            let mut bytes: Vec<u8> = Vec::with_capacity(frames_per_chunk * nch * 4);
            match bits {
                Bits::I24 => {
                    let mut scratch: Vec<i32> = Vec::with_capacity(frames_per_chunk * nch);
                    while start < frames {
                        let end = (start + frames_per_chunk).min(frames);
                        interleave(channels, start, end, &mut scratch, |x| {
                            quantize(x, 8_388_607.0)
                        });
                        bytes.clear();
                        bytes.resize(scratch.len() * 3, 0);
                        for (d, &s) in bytes.chunks_exact_mut(3).zip(&scratch) {
                            let b = s.to_le_bytes();
                            d.copy_from_slice(&b[..3]);
                        }
                        out.write_all(&bytes).map_err(|e| io_err(writing, e))?;
                        start = end;
                    }
                }
                _ => {
                    let mut scratch: Vec<f32> = Vec::with_capacity(frames_per_chunk * nch);
                    while start < frames {
                        let end = (start + frames_per_chunk).min(frames);
                        interleave(channels, start, end, &mut scratch, finite_or_zero);
                        bytes.clear();
                        bytes.resize(scratch.len() * 4, 0);
                        for (d, &s) in bytes.chunks_exact_mut(4).zip(&scratch) {
                            d.copy_from_slice(&s.to_le_bytes());
                        }
                        out.write_all(&bytes).map_err(|e| io_err(writing, e))?;
                        start = end;
                    }
                }
            }
            // RIFF chunks are padded to an even size (24-bit, odd channels, odd frames).
            if data_bytes % 2 == 1 {
                out.write_all(&[0]).map_err(|e| io_err(writing, e))?;
            }
        }
    }
    out.flush().map_err(|e| io_err("flushing", e))?;
    Ok(())
}

/// The WAV header hound writes for `spec`, with the RIFF and data chunk sizes filled in for
/// `data_bytes` bytes of samples (plus a pad byte if odd). `validate` has checked that the sizes
/// fit in u32.
fn hound_header(spec: WavSpec, data_bytes: u64) -> Result<Vec<u8>, hound::Error> {
    let mut cur = io::Cursor::new(Vec::with_capacity(80));
    WavWriter::new(&mut cur, spec)?.finalize()?;
    let mut h = cur.into_inner();
    let n = h.len();
    // hound's header ends with the (empty) data chunk header: "data" + u32 length.
    if n < 44 || &h[..4] != b"RIFF" || &h[n - 8..n - 4] != b"data" {
        return Err(hound::Error::FormatError(
            "unexpected header layout from hound",
        ));
    }
    let pad = data_bytes % 2;
    let riff = u32::try_from((n as u64 - 8) + data_bytes + pad)
        .map_err(|_| hound::Error::FormatError("data too large for a WAV file"))?;
    let data = u32::try_from(data_bytes)
        .map_err(|_| hound::Error::FormatError("data too large for a WAV file"))?;
    h[4..8].copy_from_slice(&riff.to_le_bytes());
    h[n - 4..].copy_from_slice(&data.to_le_bytes());
    Ok(h)
}

/// Interleave frames `start..end` of all channels into `dst`, converting each sample with `f`.
#[inline(always)]
fn interleave<T: Copy + Default>(
    channels: &[&[f32]],
    start: usize,
    end: usize,
    dst: &mut Vec<T>,
    f: impl Fn(f32) -> T,
) {
    let nch = channels.len();
    dst.clear();
    dst.resize((end - start) * nch, T::default());
    match channels {
        [mono] => {
            for (d, &s) in dst.iter_mut().zip(&mono[start..end]) {
                *d = f(s);
            }
        }
        [l, r] => {
            for ((d, &a), &b) in dst
                .chunks_exact_mut(2)
                .zip(&l[start..end])
                .zip(&r[start..end])
            {
                d[0] = f(a);
                d[1] = f(b);
            }
        }
        _ => {
            for (c, ch) in channels.iter().enumerate() {
                for (d, &s) in dst.iter_mut().skip(c).step_by(nch).zip(&ch[start..end]) {
                    *d = f(s);
                }
            }
        }
    }
}

/// Write a WAV file atomically.
///
/// The data is encoded to a temporary file created in the same directory as `path` (name
/// prefix `.gar-tmp-`), flushed and fsynced, then renamed into place. If `overwrite` is false
/// and `path` exists, this fails before encoding, and the final rename is a no-clobber one, so
/// a file created meanwhile is never overwritten either. On any failure the temporary file is
/// removed and `path` is left as it was.
///
/// `on_temp_created` is called with the temporary file's path right after it is created (so a
/// caller can remove it on Ctrl-C); pass `|_| {}` if not needed.
pub fn write_wav_atomic(
    path: &Path,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
    overwrite: bool,
    on_temp_created: impl FnOnce(&Path),
) -> Result<(), EncodeError> {
    // Check the input first, so bad input creates nothing.
    validate(path, sample_rate, channels, bits)?;

    let owned = || path.to_path_buf();
    if path.file_name().is_none() {
        return Err(EncodeError::InvalidPath { path: owned() });
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(EncodeError::OutputIsDirectory { path: owned() }),
        Ok(_) if !overwrite => return Err(EncodeError::OutputExists { path: owned() }),
        _ => {}
    }
    // A dangling symlink also counts as "exists" for the no-overwrite check.
    if !overwrite && fs::symlink_metadata(path).is_ok() {
        return Err(EncodeError::OutputExists { path: owned() });
    }

    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(EncodeError::DirectoryMissing { path: owned(), dir });
    }

    let mut builder = tempfile::Builder::new();
    builder.prefix(".gar-tmp-").suffix(".wav");
    #[cfg(unix)]
    {
        // Like File::create: 0666 minus the umask (tempfile's default would be 0600).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(&dir).map_err(|e| EncodeError::Io {
        path: owned(),
        action: format!("creating a temporary file in {}", dir.display()),
        source: e,
    })?;
    on_temp_created(temp.path());

    // From here on, returning early drops `temp`, which deletes the temporary file.
    encode_labelled(temp.as_file_mut(), path, sample_rate, channels, bits)?;
    temp.as_file().sync_all().map_err(|e| EncodeError::Io {
        path: owned(),
        action: "syncing the temporary file to disk".to_string(),
        source: e,
    })?;

    let persisted = if overwrite {
        temp.persist(path)
    } else {
        temp.persist_noclobber(path)
    };
    if let Err(e) = persisted {
        // Dropping `e.file` removes the temporary file.
        let source = e.error;
        drop(e.file);
        if source.kind() == io::ErrorKind::AlreadyExists && !overwrite {
            return Err(EncodeError::OutputExists { path: owned() });
        }
        return Err(EncodeError::Io {
            path: owned(),
            action: "renaming the temporary file into place".to_string(),
            source,
        });
    }

    // Make the rename itself durable (best effort: not every platform can open directories).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// True if `a` and `b` name the same existing file.
///
/// On unix this compares device and inode numbers (so hard links and different spellings of a
/// path match); elsewhere it compares canonicalized paths. Returns false if either does not
/// exist.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(ma), Ok(mb)) => ma.dev() == mb.dev() && ma.ino() == mb.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(ca), Ok(cb)) => ca == cb,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_half_away_from_zero_and_clamps() {
        assert_eq!(quantize(0.0, 32_767.0), 0);
        assert_eq!(quantize(1.0, 32_767.0), 32_767);
        assert_eq!(quantize(-1.0, 32_767.0), -32_767);
        assert_eq!(quantize(2.0, 32_767.0), 32_767);
        assert_eq!(quantize(-7.5, 32_767.0), -32_767);
        assert_eq!(quantize(f32::NAN, 32_767.0), 0);
        assert_eq!(quantize(f32::INFINITY, 32_767.0), 0);
        assert_eq!(quantize(f32::NEG_INFINITY, 8_388_607.0), 0);
        // Exact halves (scale 2 makes x*scale exactly k + 0.5) round away from zero.
        assert_eq!(quantize(0.25, 2.0), 1);
        assert_eq!(quantize(-0.25, 2.0), -1);
        assert_eq!(quantize(0.75, 2.0), 2);
        assert_eq!(quantize(-0.75, 2.0), -2);
        assert_eq!(quantize(0.2, 2.0), 0);
        // Compare with f64::round over a sweep.
        for i in -20_000..20_000 {
            let x = i as f32 * 0.000_049_999;
            for scale in [32_767.0, 8_388_607.0] {
                let want = (f64::from(x) * scale).round() as i32;
                assert_eq!(quantize(x, scale), want, "x={x} scale={scale}");
            }
        }
    }

    #[test]
    fn bits_parse_and_display_round_trip() {
        for b in Bits::ALL {
            assert_eq!(b.to_string().parse::<Bits>(), Ok(b));
        }
        assert_eq!("32F".parse::<Bits>(), Ok(Bits::F32));
        assert_eq!(" 24 ".parse::<Bits>(), Ok(Bits::I24));
        let err = "32".parse::<Bits>().unwrap_err();
        assert!(err.to_string().contains("\"32f\""), "{err}");
        assert!("8".parse::<Bits>().is_err());
        assert_eq!(Bits::I16.bits_per_sample(), 16);
        assert_eq!(Bits::I24.bits_per_sample(), 24);
        assert_eq!(Bits::F32.bits_per_sample(), 32);
    }
}
