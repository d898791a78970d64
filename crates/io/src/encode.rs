//! WAV encoding: hound writes the header, gar the samples (see `BlockEncoder`).

use std::fmt;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hound::{SampleFormat, WavSpec};

use crate::atomic::{AtomicFile, WRITE_BUFFER};
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

/// The most bytes of sample data a WAV file can hold (just under 4 GiB).
///
/// hound's header is 68 bytes for WAVE_FORMAT_EXTENSIBLE (44 for plain PCM); the RIFF size field
/// holds `data + 60`, so the data chunk may hold at most `u32::MAX - 60` bytes.
pub const MAX_WAV_DATA_BYTES: u64 = u32::MAX as u64 - 60;
const MAX_DATA_BYTES: u64 = MAX_WAV_DATA_BYTES;

/// Samples (interleaved) converted per chunk, and written by one `write` call: large
/// enough that the per-call cost of the kernel's page-cache writes stays small (1 << 16
/// took about 15% longer to encode 10 minutes), small enough for a few reused buffers.
const CHUNK_SAMPLES: usize = 1 << 18;

/// Validate the input; return the frame count.
fn validate(
    label: &Path,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<usize, EncodeError> {
    let frames = channels.first().map_or(0, |c| c.len());
    for (i, c) in channels.iter().enumerate() {
        if c.len() != frames {
            return Err(EncodeError::ChannelLengthMismatch {
                path: label.to_path_buf(),
                channel: i,
                len: c.len(),
                expected: frames,
            });
        }
    }
    validate_shape(label, sample_rate, channels.len(), frames, bits)?;
    Ok(frames)
}

/// Checks, before any work, that a WAV file can hold `frames` frames of `channels` channels
/// at `sample_rate` in `bits` (the RIFF size fields limit the data to [`MAX_WAV_DATA_BYTES`]).
/// `path` only labels the error.
pub fn check_wav_size(
    path: &Path,
    sample_rate: u32,
    channels: usize,
    frames: usize,
    bits: Bits,
) -> Result<(), EncodeError> {
    validate_shape(path, sample_rate, channels, frames, bits)
}

/// Checks a channel count, rate and length that a WAV file can hold.
fn validate_shape(
    label: &Path,
    sample_rate: u32,
    nch: usize,
    frames: usize,
    bits: Bits,
) -> Result<(), EncodeError> {
    let path = || label.to_path_buf();
    if nch == 0 {
        return Err(EncodeError::NoChannels { path: path() });
    }
    if nch > usize::from(u16::MAX) {
        return Err(EncodeError::TooManyChannels {
            path: path(),
            channels: nch,
        });
    }
    if sample_rate == 0 {
        return Err(EncodeError::ZeroSampleRate { path: path() });
    }
    let bytes = (frames as u64)
        .saturating_mul(nch as u64)
        .saturating_mul(bits.bytes_per_sample());
    if bytes > MAX_DATA_BYTES {
        return Err(EncodeError::TooLarge {
            path: path(),
            bytes,
            max: MAX_DATA_BYTES,
        });
    }
    Ok(())
}

/// Float -> integer: non-finite becomes 0, clamp to [-1, 1], scale by `scale` (= 2^(bits-1)-1),
/// round half away from zero.
///
/// `v = x * scale` is exact in f64 (an f32 times a <= 24-bit integer). Its magnitude is
/// rounded as `floor(|v| + 0.5)`: adding 2^52 rounds `y = |v| + 0.5` (< 2^24, exact) to an
/// integer held in the low mantissa bits, one less if that rounded up. Written without libm
/// calls or saturating float-to-int casts so that the loop vectorises on baseline x86-64
/// (packed f64); checked equal to `(v + copysign(0.5, v)) as i32` for all 2^32 f32 inputs
/// at both scales.
#[inline(always)]
fn quantize(x: f32, scale: f64) -> i32 {
    const MAGIC: f64 = 4_503_599_627_370_496.0; // 2^52
    let x = if x.abs() < f32::INFINITY { x } else { 0.0 };
    let v = f64::from(x.clamp(-1.0, 1.0)) * scale;
    let y = v.abs() + 0.5;
    let t = y + MAGIC;
    let m = (t.to_bits() as u32).wrapping_sub(u32::from(t - MAGIC > y)) as i32;
    if v < 0.0 { m.wrapping_neg() } else { m }
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
pub fn encode_wav<W: Write + Seek + Send>(
    w: W,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<(), EncodeError> {
    encode_labelled(w, Path::new("<writer>"), sample_rate, channels, bits)
}

fn encode_labelled<W: Write + Seek + Send>(
    w: W,
    label: &Path,
    sample_rate: u32,
    channels: &[&[f32]],
    bits: Bits,
) -> Result<(), EncodeError> {
    let frames = validate(label, sample_rate, channels, bits)?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, w);
    let mut enc = BlockEncoder::new(label, sample_rate, channels.len(), frames, bits)?;
    enc.header(&mut out)?;
    enc.block(&mut out, channels, 1.0)?;
    enc.end(&mut out)?;
    out.flush().map_err(|e| io_err(label, "flushing", e))?;
    Ok(())
}

fn io_err(label: &Path, action: &str, e: io::Error) -> EncodeError {
    EncodeError::Io {
        path: label.to_path_buf(),
        action: action.to_string(),
        source: e,
    }
}

/// Turns planar blocks into WAV bytes. hound writes the header (WAVE_FORMAT_EXTENSIBLE
/// for 24-bit, float and > 2 channels); the sizes are known up front and filled in, and
/// the little-endian sample bytes are written from reused chunk buffers: hound's
/// per-sample `write_sample` runs at only ~70-90 M samples/s, which would dominate a render.
struct BlockEncoder {
    label: PathBuf,
    bits: Bits,
    nch: usize,
    frames: usize,
    written: usize,
    spec: WavSpec,
    data_bytes: u64,
    /// Reused byte buffers, one per chunk converted in parallel.
    chunks: Vec<Vec<u8>>,
}

impl BlockEncoder {
    fn new(
        label: &Path,
        sample_rate: u32,
        nch: usize,
        frames: usize,
        bits: Bits,
    ) -> Result<Self, EncodeError> {
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
        Ok(BlockEncoder {
            label: label.to_path_buf(),
            bits,
            nch,
            frames,
            written: 0,
            spec,
            data_bytes: frames as u64 * nch as u64 * bits.bytes_per_sample(),
            chunks: Vec::new(),
        })
    }

    fn header(&mut self, out: &mut impl Write) -> Result<(), EncodeError> {
        let header = hound_header(self.spec, self.data_bytes)
            .map_err(|e| hound_err(&self.label, "writing the header", e))?;
        out.write_all(&header)
            .map_err(|e| io_err(&self.label, "writing the header", e))
    }

    /// Encodes one planar block (all channels the same length).
    /// Every sample is multiplied by `gain` first (1.0 leaves it exactly as it is).
    fn block<W: Write + Send>(
        &mut self,
        out: &mut W,
        channels: &[&[f32]],
        gain: f32,
    ) -> Result<(), EncodeError> {
        let len = channels.first().map_or(0, |c| c.len());
        if channels.len() != self.nch {
            return Err(EncodeError::Io {
                path: self.label.clone(),
                action: "writing samples".into(),
                source: io::Error::other(format!(
                    "a block of {} channels for a {}-channel file",
                    channels.len(),
                    self.nch
                )),
            });
        }
        for (i, c) in channels.iter().enumerate() {
            if c.len() != len {
                return Err(EncodeError::ChannelLengthMismatch {
                    path: self.label.clone(),
                    channel: i,
                    len: c.len(),
                    expected: len,
                });
            }
        }
        if self.written + len > self.frames {
            return Err(EncodeError::Io {
                path: self.label.clone(),
                action: "writing samples".into(),
                source: io::Error::other(format!(
                    "more frames than announced ({} > {})",
                    self.written + len,
                    self.frames
                )),
            });
        }
        // Convert chunks in parallel (each chunk's bytes depend only on its own
        // samples) while the previous batch is being written, in order.
        let frames_per_chunk = (CHUNK_SAMPLES / self.nch).max(1);
        let batch = 2 * rayon::current_num_threads().max(1);
        if self.chunks.len() < 2 * batch {
            self.chunks.resize_with(2 * batch, Vec::new);
        }
        let bits = self.bits;
        let label = &self.label;
        // Converts the chunks from frame `from` on into `set`; returns how many.
        let convert = |set: &mut [Vec<u8>], from: usize| -> usize {
            use rayon::prelude::*;
            let n = set
                .len()
                .min((len - from.min(len)).div_ceil(frames_per_chunk));
            set[..n].par_iter_mut().enumerate().for_each(|(j, bytes)| {
                let a = from + j * frames_per_chunk;
                let b = (a + frames_per_chunk).min(len);
                encode_chunk(channels, a, b, bits, gain, bytes);
            });
            n
        };
        let write = |set: &[Vec<u8>], out: &mut W| -> Result<(), EncodeError> {
            for bytes in set {
                out.write_all(bytes)
                    .map_err(|e| io_err(label, "writing samples", e))?;
            }
            Ok(())
        };
        let (mut cur, mut next) = self.chunks[..2 * batch].split_at_mut(batch);
        let mut n = convert(cur, 0);
        let mut from = n * frames_per_chunk;
        while n > 0 {
            let (written, m) = rayon::join(|| write(&cur[..n], out), || convert(next, from));
            written?;
            from += m * frames_per_chunk;
            std::mem::swap(&mut cur, &mut next);
            n = m;
        }
        self.written += len;
        Ok(())
    }

    /// Checks the frame count and writes the RIFF pad byte if needed.
    fn end(&mut self, out: &mut impl Write) -> Result<(), EncodeError> {
        if self.written != self.frames {
            return Err(EncodeError::Io {
                path: self.label.clone(),
                action: "finishing the file".into(),
                source: io::Error::other(format!(
                    "{} frames written, {} announced",
                    self.written, self.frames
                )),
            });
        }
        // RIFF chunks are padded to an even size (24-bit, odd channels, odd frames).
        if self.data_bytes % 2 == 1 {
            out.write_all(&[0])
                .map_err(|e| io_err(&self.label, "writing samples", e))?;
        }
        Ok(())
    }
}

/// The WAV header hound writes for `spec`, with the RIFF and data chunk sizes filled in for
/// `data_bytes` bytes of samples (plus a pad byte if odd). `validate` has checked that the sizes
/// fit in u32.
fn hound_header(spec: WavSpec, data_bytes: u64) -> Result<Vec<u8>, hound::Error> {
    let mut cur = io::Cursor::new(Vec::with_capacity(80));
    hound::WavWriter::new(&mut cur, spec)?.finalize()?;
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

/// Samples of one channel converted per tile: the tiles stay in L1 (two or three
/// `[_; TILE]` arrays on the stack) and the per-tile overhead is small.
const TILE: usize = 256;

/// Encodes frames `start..end` of all channels as little-endian WAV sample bytes into `bytes`.
/// Each sample is multiplied by `gain` first.
///
/// Hand-written in two steps for speed: a plain loop converts a tile of one channel to
/// integers (or finite floats) in an array, which LLVM vectorises on baseline x86-64
/// (SSE2, packed f64 for `quantize`); only then are the values interleaved and packed to
/// bytes (four 24-bit samples as three `u32` words). Converting and storing `[u8; 3]`
/// per sample in one loop, with stereo zipped frame by frame, kept 24-bit stereo scalar:
/// it cost 2.7-3x its mono pass, now 2.1x (twice the samples); mono and the other
/// depths are as fast as before (BENCHMARKS.md, "WAV encoder sample conversion").
/// The bytes are the same: `tests::conversion_matches_per_sample_reference`.
fn encode_chunk(
    channels: &[&[f32]],
    start: usize,
    end: usize,
    bits: Bits,
    gain: f32,
    bytes: &mut Vec<u8>,
) {
    match bits {
        Bits::I16 => put::<i16, 2>(
            channels,
            start,
            end,
            bytes,
            |x| quantize(x * gain, 32_767.0) as i16,
            pack_i16,
        ),
        Bits::I24 => put::<i32, 3>(
            channels,
            start,
            end,
            bytes,
            |x| quantize(x * gain, 8_388_607.0),
            pack_i24,
        ),
        Bits::F32 => put::<f32, 4>(
            channels,
            start,
            end,
            bytes,
            |x| finite_or_zero(x * gain),
            pack_f32,
        ),
    }
}

/// Fills `bytes` with `f` of every sample of frames `start..end`, interleaved, `B` bytes
/// each, `pack` writing a run of interleaved values as bytes. Mono and stereo convert
/// whole tiles and pack them contiguously; more channels scatter each tile's samples.
#[inline(always)]
fn put<T: Copy + Default, const B: usize>(
    channels: &[&[f32]],
    start: usize,
    end: usize,
    bytes: &mut Vec<u8>,
    f: impl Fn(f32) -> T,
    pack: impl Fn(&[T], &mut [u8]),
) {
    let nch = channels.len();
    bytes.clear();
    bytes.reserve_exact((end - start) * nch * B);
    // Grows `bytes` by `n` zeros and returns them: zeroed a tile at a time, just before
    // they are overwritten, while in L1 (zeroing a whole chunk first took ~20% of the time).
    let grow = |bytes: &mut Vec<u8>, n: usize| {
        let at = bytes.len();
        bytes.resize(at + n, 0);
        at
    };
    let convert = |src: &[f32], dst: &mut [T]| {
        for (d, &x) in dst.iter_mut().zip(src) {
            *d = f(x);
        }
    };
    let mut q = [T::default(); TILE];
    match channels {
        [mono] => {
            for src in mono[start..end].chunks(TILE) {
                let q = &mut q[..src.len()];
                convert(src, q);
                let at = grow(bytes, q.len() * B);
                pack(q, &mut bytes[at..]);
            }
        }
        [l, r] => {
            let mut qr = [T::default(); TILE];
            let mut lr = [T::default(); 2 * TILE];
            for (l, r) in l[start..end].chunks(TILE).zip(r[start..end].chunks(TILE)) {
                let n = l.len();
                convert(l, &mut q[..n]);
                convert(r, &mut qr[..n]);
                for (d, (&a, &b)) in lr.chunks_exact_mut(2).zip(q[..n].iter().zip(&qr[..n])) {
                    d[0] = a;
                    d[1] = b;
                }
                let at = grow(bytes, 2 * n * B);
                pack(&lr[..2 * n], &mut bytes[at..]);
            }
        }
        _ => {
            for from in (start..end).step_by(TILE) {
                let to = (from + TILE).min(end);
                let q = &mut q[..to - from];
                let at = grow(bytes, q.len() * nch * B);
                for (c, ch) in channels.iter().enumerate() {
                    convert(&ch[from..to], q);
                    for (frame, &s) in bytes[at..].chunks_exact_mut(nch * B).zip(q.iter()) {
                        pack(&[s], &mut frame[c * B..(c + 1) * B]);
                    }
                }
            }
        }
    }
}

/// Writes `src` as 16-bit little-endian samples to `dst` (`2 * src.len()` bytes).
#[inline(always)]
fn pack_i16(src: &[i16], dst: &mut [u8]) {
    for (d, s) in dst.as_chunks_mut::<2>().0.iter_mut().zip(src) {
        *d = s.to_le_bytes();
    }
}

/// Writes `src` as 32-bit float little-endian samples to `dst` (`4 * src.len()` bytes).
#[inline(always)]
fn pack_f32(src: &[f32], dst: &mut [u8]) {
    for (d, s) in dst.as_chunks_mut::<4>().0.iter_mut().zip(src) {
        *d = s.to_le_bytes();
    }
}

/// Writes the low 24 bits of each of `src` as little-endian samples to `dst`
/// (`3 * src.len()` bytes): four samples as three 32-bit words, the rest one by one.
#[inline(always)]
fn pack_i24(src: &[i32], dst: &mut [u8]) {
    let (quads, rest) = src.as_chunks::<4>();
    let (out, out_rest) = dst.as_chunks_mut::<12>();
    for (d, s) in out.iter_mut().zip(quads) {
        let [a, b, c, e] = s.map(|v| v as u32);
        let w0 = (a & 0xff_ffff) | (b << 24);
        let w1 = ((b >> 8) & 0xffff) | (c << 16);
        let w2 = ((c >> 16) & 0xff) | (e << 8);
        d[..4].copy_from_slice(&w0.to_le_bytes());
        d[4..8].copy_from_slice(&w1.to_le_bytes());
        d[8..].copy_from_slice(&w2.to_le_bytes());
    }
    for (d, s) in out_rest.as_chunks_mut::<3>().0.iter_mut().zip(rest) {
        let b = s.to_le_bytes();
        *d = [b[0], b[1], b[2]];
    }
}

/// Write a WAV file atomically.
///
/// The data is encoded to a temporary file created in the same directory as `path`, then
/// renamed into place (see [`AtomicFile`] for the rules). If `overwrite` is false and
/// `path` exists, this fails before encoding, and the final rename is a no-clobber one, so
/// a file created meanwhile is never overwritten either. On any failure the temporary
/// file is removed and `path` is left as it was.
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
    let frames = validate(path, sample_rate, channels, bits)?;
    let mut w = WavFileWriter::create(
        path,
        sample_rate,
        channels.len(),
        frames,
        bits,
        overwrite,
        on_temp_created,
    )?;
    w.write(channels)?;
    w.finish()?.commit()
}

/// A WAV stream written block by block to any writer: a file ([`WavFileWriter`]), a
/// pipe, standard output. The frame count is announced up front, so the header is
/// exact from the first byte and the output is never seeked.
pub struct WavWriter<W: Write + Send> {
    enc: BlockEncoder,
    out: W,
}

/// A WAV file written into an [`AtomicFile`]: [`finish`](WavWriter::finish) returns
/// the complete file, which [`AtomicFile::commit`] renames into place. Dropping it
/// unfinished (an error, a panic) removes the temporary file.
pub type WavFileWriter = WavWriter<AtomicFile>;

impl<W: Write + Send> WavWriter<W> {
    /// Writes the header for `frames` frames of `channels` channels to `out`.
    /// `label` names the output in errors. For speed, `out` should be buffered
    /// (an [`AtomicFile`] is).
    pub fn new(
        mut out: W,
        label: &Path,
        sample_rate: u32,
        channels: usize,
        frames: usize,
        bits: Bits,
    ) -> Result<Self, EncodeError> {
        validate_shape(label, sample_rate, channels, frames, bits)?;
        let mut enc = BlockEncoder::new(label, sample_rate, channels, frames, bits)?;
        enc.header(&mut out)?;
        Ok(WavWriter { enc, out })
    }

    /// Appends one planar block (one slice per channel, equal lengths).
    pub fn write(&mut self, block: &[&[f32]]) -> Result<(), EncodeError> {
        self.enc.block(&mut self.out, block, 1.0)
    }

    /// Appends one planar block times `gain`: the same bytes as scaling the samples
    /// (`x * gain` in f32) and then [`write`](Self::write), without a pass over them.
    pub fn write_scaled(&mut self, block: &[&[f32]], gain: f32) -> Result<(), EncodeError> {
        self.enc.block(&mut self.out, block, gain)
    }

    /// Frames written so far.
    pub fn frames_written(&self) -> usize {
        self.enc.written
    }

    /// Checks that every announced frame was written, flushes, and returns the writer.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        self.enc.end(&mut self.out)?;
        self.out
            .flush()
            .map_err(|e| io_err(&self.enc.label, "writing samples", e))?;
        Ok(self.out)
    }
}

impl WavWriter<AtomicFile> {
    /// Checks `path` and creates its temporary file (see [`AtomicFile::create`]), then
    /// writes the header. `on_temp_created` receives the temporary path.
    pub fn create(
        path: &Path,
        sample_rate: u32,
        channels: usize,
        frames: usize,
        bits: Bits,
        overwrite: bool,
        on_temp_created: impl FnOnce(&Path),
    ) -> Result<Self, EncodeError> {
        // Shape first: a WAV that cannot be written creates nothing.
        validate_shape(path, sample_rate, channels, frames, bits)?;
        let file = AtomicFile::create(path, overwrite, on_temp_created)?;
        WavWriter::new(file, path, sample_rate, channels, frames, bits)
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

    /// Every exact half at both output scales, its two f32 neighbours, and a
    /// dense sweep: the vectorisable rounding agrees with `f64::round` (half
    /// away from zero). (All 2^32 inputs were checked once, outside the suite.)
    #[test]
    fn quantize_matches_f64_round_at_every_half() {
        let check = |x: f32, scale: f64| {
            let want = (f64::from(x.clamp(-1.0, 1.0)) * scale).round() as i32;
            assert_eq!(quantize(x, scale), want, "x={x:e} scale={scale}");
        };
        for scale in [32_767.0, 8_388_607.0] {
            // x * scale = k + 0.5 exactly needs x = (2k+1) / (2 scale) representable:
            // (2k+1) a multiple of the scale's odd part. Sweep the multiples of 1/65534
            // and 1/(2*8388607) nearest each half and their neighbours.
            for k in (0..scale as i64)
                .step_by(97)
                .chain([0, 1, scale as i64 - 1])
            {
                let x = ((2 * k + 1) as f64 / (2.0 * scale)) as f32;
                for y in [x, x.next_up(), x.next_down()] {
                    check(y, scale);
                    check(-y, scale);
                }
            }
            check(0.5, scale);
            check(-0.5, scale);
            for i in 0..200_000u32 {
                let x = f32::from_bits(i.wrapping_mul(2_654_435_761) % 0x3f80_0001);
                check(x, scale);
                check(-x, scale);
            }
        }
    }

    /// `write_scaled(block, g)` writes the same bytes as scaling then `write`.
    #[test]
    fn scaled_encoding_equals_scaling_first() {
        let l: Vec<f32> = (0..70_001)
            .map(|i| ((i as f32) * 0.013).sin() * 1.3)
            .collect();
        let r: Vec<f32> = l.iter().map(|x| -x * 0.7).collect();
        let g = 0.761_f32;
        for bits in Bits::ALL {
            for chans in [
                vec![&l[..]],
                vec![&l[..], &r[..]],
                vec![&l[..], &r[..], &l[..]],
            ] {
                let scaled: Vec<Vec<f32>> = chans
                    .iter()
                    .map(|c| c.iter().map(|x| x * g).collect())
                    .collect();
                let scaled: Vec<&[f32]> = scaled.iter().map(|c| c.as_slice()).collect();
                let mut want = Vec::new();
                encode_wav(io::Cursor::new(&mut want), 44_100, &scaled, bits).unwrap();
                let mut got = io::Cursor::new(Vec::new());
                let mut enc =
                    BlockEncoder::new(Path::new("t"), 44_100, chans.len(), l.len(), bits).unwrap();
                enc.header(&mut got).unwrap();
                enc.block(&mut got, &chans, g).unwrap();
                enc.end(&mut got).unwrap();
                assert!(got.into_inner() == want, "{bits} x {}", chans.len());
            }
        }
    }

    /// One block of many chunk batches (conversion overlapped with writing, the
    /// two buffer sets swapped each round) writes the same bytes as many small
    /// blocks, each within one batch.
    #[test]
    fn large_blocks_equal_small_blocks() {
        let frames = 5 * CHUNK_SAMPLES + 12_345;
        let l: Vec<f32> = (0..frames)
            .map(|i| ((i as f32) * 0.0007).sin() * 0.9)
            .collect();
        let r: Vec<f32> = (0..frames)
            .map(|i| ((i as f32) * 0.0011).cos() * 0.8)
            .collect();
        for bits in Bits::ALL {
            for chans in [vec![&l[..]], vec![&l[..], &r[..]]] {
                let encode = |step: usize| {
                    let mut out = io::Cursor::new(Vec::new());
                    let mut enc =
                        BlockEncoder::new(Path::new("t"), 44_100, chans.len(), frames, bits)
                            .unwrap();
                    enc.header(&mut out).unwrap();
                    for a in (0..frames).step_by(step) {
                        let b = (a + step).min(frames);
                        let block: Vec<&[f32]> = chans.iter().map(|c| &c[a..b]).collect();
                        enc.block(&mut out, &block, 0.9).unwrap();
                    }
                    enc.end(&mut out).unwrap();
                    out.into_inner()
                };
                let whole = encode(frames);
                assert!(whole == encode(10_007), "{bits} x {}", chans.len());
                let data = frames * chans.len() * bits.bytes_per_sample() as usize;
                assert!(whole.len() >= data + 44, "{bits}: {} bytes", whole.len());
            }
        }
    }

    /// The bytes of one sample as the conversion has always defined them, written out
    /// plainly: times `gain` in f32, non-finite to 0, then clamped, scaled in f64 and
    /// rounded half away from zero (integers), little-endian.
    fn reference_sample(x: f32, gain: f32, bits: Bits, out: &mut Vec<u8>) {
        let x = x * gain;
        let x = if x.is_finite() { x } else { 0.0 };
        let int = |scale: f64| (f64::from(x.clamp(-1.0, 1.0)) * scale).round() as i32;
        match bits {
            Bits::I16 => out.extend_from_slice(&(int(32_767.0) as i16).to_le_bytes()),
            Bits::I24 => out.extend_from_slice(&int(8_388_607.0).to_le_bytes()[..3]),
            Bits::F32 => out.extend_from_slice(&x.to_le_bytes()),
        }
    }

    /// Frames `start..end` of `channels`, interleaved, per [`reference_sample`].
    fn reference(channels: &[&[f32]], start: usize, end: usize, gain: f32, bits: Bits) -> Vec<u8> {
        let mut out = Vec::new();
        for i in start..end {
            for c in channels {
                reference_sample(c[i], gain, bits, &mut out);
            }
        }
        out
    }

    /// Test signal: uniform values in +-1.2 mixed with NaN, infinities, +-1.5, +-0.0,
    /// +-1, exact quantisation halves (+-0.5 and, after a gain of 2 or 0.5, more) and
    /// their f32 neighbours, values just off the halves of both integer scales, subnormals.
    fn nasty_signal(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        (0..len)
            .map(|_| {
                let r = next();
                let k = (r >> 40) as f64;
                match r % 16 {
                    0 => f32::NAN,
                    1 => [f32::INFINITY, f32::NEG_INFINITY][(r >> 8) as usize % 2],
                    2 => [1.5, -1.5, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5][(r >> 8) as usize % 8],
                    3 => [0.25, -0.25, 0.75, 1e-40, -1e-40, 1e30][(r >> 8) as usize % 6],
                    4..=6 => {
                        let scale = [32_767.0, 8_388_607.0][(r >> 4) as usize % 2];
                        let half = ((2.0 * (k % scale) + 1.0) / (2.0 * scale)) as f32;
                        let half = if r & 1 == 0 { half } else { -half };
                        [half, half.next_up(), half.next_down()][(r >> 8) as usize % 3]
                    }
                    _ => ((r >> 11) as f64 / (1u64 << 53) as f64 * 2.4 - 1.2) as f32,
                }
            })
            .collect()
    }

    /// The tiled conversion writes exactly the per-sample reference's bytes: every bit
    /// depth, 1, 2, 3 and 6 channels, several gains (NaN and overflowing ones too), odd
    /// lengths and offsets around the tiles, and whole files across chunk boundaries.
    #[test]
    fn conversion_matches_per_sample_reference() {
        let gains = [1.0, 0.761, 2.0, 0.5, -1.0, 0.0, 3e38, f32::NAN];
        for nch in [1, 2, 3, 6] {
            let data: Vec<Vec<f32>> = (0..nch)
                .map(|c| nasty_signal(4 * TILE + 9, c as u64 + 1))
                .collect();
            let chans: Vec<&[f32]> = data.iter().map(|c| c.as_slice()).collect();
            let len = chans[0].len();
            for bits in Bits::ALL {
                for gain in gains {
                    let mut bytes = Vec::new();
                    for (start, end) in [
                        (0, len),
                        (0, 0),
                        (0, 1),
                        (1, 4),
                        (3, 10),
                        (0, TILE - 1),
                        (0, TILE),
                        (1, TILE + 2),
                        (5, 3 * TILE + 6),
                        (len - 7, len),
                    ] {
                        encode_chunk(&chans, start, end, bits, gain, &mut bytes);
                        assert!(
                            bytes == reference(&chans, start, end, gain, bits),
                            "{bits} x {nch}, gain {gain}, frames {start}..{end}"
                        );
                    }
                }
            }
        }
        // Whole files, the chunks converted in parallel: more frames than one chunk
        // holds at each channel count, and an odd count (a pad byte at 24 bits).
        for nch in [1, 2, 3, 6] {
            let frames = CHUNK_SAMPLES / nch + 1001;
            let data: Vec<Vec<f32>> = (0..nch)
                .map(|c| nasty_signal(frames, 10 + c as u64))
                .collect();
            let chans: Vec<&[f32]> = data.iter().map(|c| c.as_slice()).collect();
            for bits in Bits::ALL {
                let mut got = io::Cursor::new(Vec::new());
                let mut enc = BlockEncoder::new(Path::new("t"), 44_100, nch, frames, bits).unwrap();
                enc.header(&mut got).unwrap();
                let header = got.get_ref().len();
                enc.block(&mut got, &chans, 0.9).unwrap();
                enc.end(&mut got).unwrap();
                let got = got.into_inner();
                let mut want = reference(&chans, 0, frames, 0.9, bits);
                if want.len() % 2 == 1 {
                    want.push(0);
                }
                assert!(got[header..] == want[..], "{bits} x {nch}");
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
