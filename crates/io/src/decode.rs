//! Decoding any supported file into planar `f32` with symphonia.

use gar_core::SampleBuf;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use symphonia::core::audio::GenericAudioBufferRef;
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_FLAC, CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3, CODEC_ID_PCM_ALAW, CODEC_ID_PCM_F32BE,
    CODEC_ID_PCM_F32LE, CODEC_ID_PCM_F64BE, CODEC_ID_PCM_F64LE, CODEC_ID_PCM_MULAW,
    CODEC_ID_PCM_S8, CODEC_ID_PCM_S16BE, CODEC_ID_PCM_S16LE, CODEC_ID_PCM_S24BE,
    CODEC_ID_PCM_S24LE, CODEC_ID_PCM_S32BE, CODEC_ID_PCM_S32LE, CODEC_ID_PCM_U8,
    CODEC_ID_PCM_U16BE, CODEC_ID_PCM_U16LE, CODEC_ID_PCM_U24BE, CODEC_ID_PCM_U24LE,
    CODEC_ID_PCM_U32BE, CODEC_ID_PCM_U32LE, CODEC_ID_VORBIS,
};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::{
    FORMAT_ID_AIFF, FORMAT_ID_FLAC, FORMAT_ID_MP1, FORMAT_ID_MP2, FORMAT_ID_MP3, FORMAT_ID_OGG,
    FORMAT_ID_WAVE,
};
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{
    MediaSource, MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource,
};
use symphonia::core::meta::MetadataOptions;

use crate::error::DecodeError;
use crate::samples::{DecodeLimits, Decoded, FloatStats};
use crate::sniff::{self, Magic, Sniffed};

/// How many individual "skipped a corrupt packet" warnings are listed before they are summarised.
const MAX_PACKET_WARNINGS: usize = 5;

/// After this many consecutive packets carrying no bytes, the stream is considered finished.
/// Defensive: symphonia 0.6.1 ends a short WAV data chunk with an UnexpectedEof error, but a
/// reader that kept returning empty packets at end of data would otherwise loop forever.
const MAX_EMPTY_PACKETS: u32 = 64;

/// The media source read buffer. Must be a power of two > 32 KiB.
const STREAM_BUFFER_LEN: usize = 256 * 1024;

/// What a file's header says, read without decoding any audio (see [`probe_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Sample rate in Hz (> 0).
    pub sample_rate: u32,
    /// Channel count (> 0).
    pub channels: usize,
    /// Frame count the header states, if it states one, capped at what the file's size
    /// can hold.
    pub frames: Option<u64>,
    /// True if `frames` is exact (WAV, AIFF, FLAC, and the file is long enough for it);
    /// false if it is an estimate (MP3, Ogg), capped, or missing.
    pub frames_exact: bool,
    /// Human description of the format, as in [`Decoded::format`].
    pub format: String,
}

/// An input opened for decoding.
struct Opened {
    source: Box<dyn MediaSource>,
    /// Byte length, if known (0 for a pipe).
    len: u64,
    /// The first bytes (at most `sniff::SNIFF_LEN`).
    head: Vec<u8>,
}

/// Opens `path` with precise errors. A pipe or device (no length, no seeking: e.g.
/// `/dev/stdin`) is read as a stream: its first bytes are sniffed, then handed to the
/// decoder in front of the rest, so nothing is buffered beyond the decoded samples
/// (which [`DecodeLimits`] bounds). `Ok(None)` when `regular_only` and the path is not
/// a regular file.
fn open_input(path: &Path, regular_only: bool) -> Result<Option<Opened>, DecodeError> {
    let open_err = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => DecodeError::NotFound {
            path: path.to_path_buf(),
        },
        io::ErrorKind::PermissionDenied => DecodeError::PermissionDenied {
            path: path.to_path_buf(),
        },
        io::ErrorKind::IsADirectory => DecodeError::IsDirectory {
            path: path.to_path_buf(),
        },
        _ => DecodeError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    };
    let empty = || DecodeError::Empty {
        path: path.to_path_buf(),
    };
    let meta = std::fs::metadata(path).map_err(open_err)?;
    if meta.is_dir() {
        return Err(DecodeError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if regular_only && !meta.is_file() {
        return Ok(None);
    }
    let mut file = File::open(path).map_err(open_err)?;
    // Re-check on the open handle (the path may have been replaced in between).
    let meta = file.metadata().map_err(open_err)?;
    if !meta.is_file() {
        if regular_only {
            return Ok(None);
        }
        // A pipe or device: read the head, then stream the head followed by the rest.
        let mut head = Vec::new();
        (&mut file)
            .take(sniff::SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .map_err(open_err)?;
        if head.is_empty() {
            return Err(empty());
        }
        let rest = io::Cursor::new(head.clone()).chain(file);
        return Ok(Some(Opened {
            source: Box::new(ReadOnlySource::new(rest)),
            len: 0,
            head,
        }));
    }
    let len = meta.len();
    if len == 0 {
        return Err(empty());
    }
    // Look at the first bytes ourselves, then rewind for symphonia.
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN.min(len as usize));
    (&mut file)
        .take(sniff::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(open_err)?;
    if head.is_empty() {
        return Err(empty());
    }
    file.seek(SeekFrom::Start(0)).map_err(open_err)?;
    Ok(Some(Opened {
        source: Box::new(file),
        len,
        head,
    }))
}

/// Decode an audio file (WAV, AIFF, FLAC, MP3, Ogg Vorbis) into planar `f32`, without a
/// memory limit (see [`decode_file_with`]).
pub fn decode_file(path: &Path) -> Result<Decoded, DecodeError> {
    decode_file_with(path, &DecodeLimits::default())
}

/// Decode an audio file into planar `f32`, refusing audio longer than `limits` allow
/// ([`DecodeError::TooLong`]). A pipe or device is decoded as a stream.
pub fn decode_file_with(path: &Path, limits: &DecodeLimits) -> Result<Decoded, DecodeError> {
    // Plain PCM/float WAV files: the parallel fast path (same samples as below).
    if let Some(mut d) = crate::wav_fast::try_decode(path, limits)? {
        d.format = match probe_file(path) {
            Ok(Some(info)) => info.format,
            _ => "WAV".to_string(),
        };
        return Ok(d);
    }
    let opened = open_input(path, false)?.ok_or_else(|| DecodeError::Empty {
        path: path.to_path_buf(),
    })?;
    let ext = path.extension().and_then(|e| e.to_str());
    decode_source(opened, path, ext, limits)
}

/// Decode audio read from `reader` (standard input, a socket) as a stream, refusing
/// audio longer than `limits` allow: any supported format, the same checks and
/// warnings as a pipe given to [`decode_file_with`]. `label` names the stream in
/// errors and warnings (e.g. `<stdin>`).
pub fn decode_reader_with(
    mut reader: impl Read + Send + Sync + 'static,
    label: &Path,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    let mut head = Vec::new();
    (&mut reader)
        .take(sniff::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| DecodeError::Io {
            path: label.to_path_buf(),
            source: e,
        })?;
    if head.is_empty() {
        return Err(DecodeError::Empty {
            path: label.to_path_buf(),
        });
    }
    let rest = io::Cursor::new(head.clone()).chain(reader);
    let opened = Opened {
        source: Box::new(ReadOnlySource::new(rest)),
        len: 0,
        head,
    };
    decode_source(opened, label, None, limits)
}

/// Reads a file's header (format, sample rate, channels, frame count) without decoding
/// any audio: cheap, so that a caller can refuse a file that is too long before spending
/// time or memory on it. The same checks and errors as [`decode_file`] up to the first
/// packet. `Ok(None)` for a pipe or device, which cannot be read twice.
pub fn probe_file(path: &Path) -> Result<Option<StreamInfo>, DecodeError> {
    let Some(opened) = open_input(path, true)? else {
        return Ok(None);
    };
    let ext = path.extension().and_then(|e| e.to_str());
    let sniffed = sniff_checks(path, &opened.head)?;
    let byte_len = opened.len;
    guard(path, || {
        let mut reader = open_reader(opened.source, path, ext, sniffed.as_ref())?;
        let t = track_info(path, reader.as_mut())?;
        let exact = header_count_is_exact(reader.as_ref());
        // A header may promise more than the file holds (a truncated file, or a recorder's
        // placeholder such as 0xFFFFFFFF): report at most what the file can hold.
        let plausible = plausible_frames(byte_len, t.channels, &t.params);
        let frames = t.promised.map(|p| p.min(plausible));
        Ok(Some(StreamInfo {
            sample_rate: t.sample_rate,
            channels: t.channels,
            frames,
            frames_exact: exact && t.promised.is_some_and(|p| p <= plausible),
            format: describe(reader.as_ref(), &t.params, sniffed.as_ref()),
        }))
    })
}

/// Decode from memory (used by fuzzing and tests). `ext_hint` is a file extension such as
/// `Some("wav")`; it only helps format detection. Errors name the buffer `<memory buffer, .wav>`
/// (or `<memory buffer>` without a hint) where a file path would be.
pub fn decode_bytes(bytes: Vec<u8>, ext_hint: Option<&str>) -> Result<Decoded, DecodeError> {
    decode_bytes_with(bytes, ext_hint, &DecodeLimits::default())
}

/// [`decode_bytes`] with [`DecodeLimits`].
pub fn decode_bytes_with(
    bytes: Vec<u8>,
    ext_hint: Option<&str>,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    let label = PathBuf::from(match ext_hint {
        Some(ext) => format!("<memory buffer, .{ext}>"),
        None => "<memory buffer>".to_string(),
    });
    if bytes.is_empty() {
        return Err(DecodeError::Empty { path: label });
    }
    let len = bytes.len() as u64;
    let head = bytes
        .get(..sniff::SNIFF_LEN.min(bytes.len()))
        .unwrap_or_default()
        .to_vec();
    let opened = Opened {
        source: Box::new(io::Cursor::new(bytes)),
        len,
        head,
    };
    decode_source(opened, &label, ext_hint, limits)
}

/// Header checks symphonia does not make (or makes with a vague message, or a panic).
fn sniff_checks(path: &Path, head: &[u8]) -> Result<Option<Sniffed>, DecodeError> {
    let sniffed = sniff::sniff(head);
    if let Some(s) = &sniffed {
        if s.channels() == Some(0) {
            return Err(DecodeError::ZeroChannels {
                path: path.to_path_buf(),
            });
        }
        if s.zero_rate() {
            return Err(DecodeError::ZeroSampleRate {
                path: path.to_path_buf(),
            });
        }
        if let Some(detail) = s.unsupported_channels() {
            return Err(DecodeError::UnsupportedFormat {
                path: path.to_path_buf(),
                detail,
            });
        }
    }
    Ok(sniffed)
}

/// Runs the symphonia part of a decode or probe, turning a panic into an error.
///
/// Symphonia 0.6.1 can panic on malformed input: e.g. `attempt to multiply with overflow` in
/// symphonia-format-riff (common.rs, `FormatPcm::make_packet_info`) for a WAV/AIFF header with
/// a huge channel count, in builds with overflow checks. A panic must never escape to the
/// caller, so the whole symphonia part runs under `catch_unwind` and a panic becomes a
/// `DecodeError::Decode`. Nothing is shared across the boundary except the source, which is
/// dropped either way, so `AssertUnwindSafe` is sound here.
fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(DecodeError::Decode {
                path: path.to_path_buf(),
                detail: format!(
                    "the decoder crashed on malformed data (internal panic: {msg}); expected a \
                     well-formed file"
                ),
            })
        }
    }
}

fn decode_source(
    opened: Opened,
    path: &Path,
    ext: Option<&str>,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    let sniffed = sniff_checks(path, &opened.head)?;
    guard(path, || {
        decode_symphonia(
            opened.source,
            path,
            ext,
            opened.len,
            sniffed.as_ref(),
            limits,
        )
    })
}

fn open_reader(
    source: Box<dyn MediaSource>,
    path: &Path,
    ext: Option<&str>,
    sniffed: Option<&Sniffed>,
) -> Result<Box<dyn FormatReader>, DecodeError> {
    let mss = MediaSourceStream::new(
        source,
        MediaSourceStreamOptions {
            buffer_len: STREAM_BUFFER_LEN,
        },
    );
    let mut hint = Hint::new();
    if let Some(ext) = ext {
        hint.with_extension(&ext.to_ascii_lowercase());
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| probe_error(path, e, sniffed))
}

fn decode_symphonia(
    source: Box<dyn MediaSource>,
    path: &Path,
    ext: Option<&str>,
    byte_len: u64,
    sniffed: Option<&Sniffed>,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    let mut reader = open_reader(source, path, ext, sniffed)?;
    Decoder::new(path, reader.as_mut(), byte_len, sniffed, limits)?.run()
}

/// Map a probe failure to the right variant: unknown magic means "unsupported format", a known
/// magic with a broken header means "decode failure".
fn probe_error(path: &Path, e: SymError, sniffed: Option<&Sniffed>) -> DecodeError {
    let path = path.to_path_buf();
    let known = sniffed.map(|s| match s {
        Sniffed::Wav(_) => "WAV",
        Sniffed::Aiff(_) => "AIFF",
        Sniffed::Other(Magic::Flac) => "FLAC",
        Sniffed::Other(Magic::Ogg) => "Ogg",
        Sniffed::Other(Magic::Mp3) => "MP3",
        Sniffed::Other(_) => "audio",
    });
    match (e, known) {
        (SymError::Unsupported(what), Some(kind)) => DecodeError::UnsupportedFormat {
            path,
            detail: format!("looks like {kind}, but symphonia reports: {what}"),
        },
        (SymError::Unsupported(_), None) => DecodeError::UnsupportedFormat {
            path,
            detail: "no known audio file signature was found".to_string(),
        },
        (SymError::IoError(io), Some(kind)) if io.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::Decode {
                path,
                detail: format!(
                    "the {kind} header is cut short (file ends inside the header); expected a \
                     complete header followed by audio data"
                ),
            }
        }
        (SymError::IoError(io), None) if io.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::UnsupportedFormat {
                path,
                detail: "no known audio file signature was found before the end of the data"
                    .to_string(),
            }
        }
        (SymError::IoError(io), _) => DecodeError::Io { path, source: io },
        (other, Some(kind)) => DecodeError::Decode {
            path,
            detail: format!("malformed {kind} header: {other}"),
        },
        (other, None) => DecodeError::UnsupportedFormat {
            path,
            detail: format!("no known audio file signature was found ({other})"),
        },
    }
}

/// Human description of the input format.
fn describe(
    reader: &dyn FormatReader,
    params: &AudioCodecParameters,
    sniffed: Option<&Sniffed>,
) -> String {
    let fmt = reader.format_info().format;
    let codec = params.codec;
    let bits = params.bits_per_sample;

    let pcm_kind = |bits_default: u32, kind: &str| -> String {
        format!("{}-bit {kind}", bits.unwrap_or(bits_default))
    };
    let pcm = match codec {
        CODEC_ID_PCM_U8 => Some(pcm_kind(8, "unsigned integer")),
        CODEC_ID_PCM_S8 => Some(pcm_kind(8, "integer")),
        CODEC_ID_PCM_S16LE | CODEC_ID_PCM_S16BE => Some(pcm_kind(16, "integer")),
        CODEC_ID_PCM_S24LE | CODEC_ID_PCM_S24BE => Some(pcm_kind(24, "integer")),
        CODEC_ID_PCM_S32LE | CODEC_ID_PCM_S32BE => Some(pcm_kind(32, "integer")),
        CODEC_ID_PCM_U16LE | CODEC_ID_PCM_U16BE => Some(pcm_kind(16, "unsigned integer")),
        CODEC_ID_PCM_U24LE | CODEC_ID_PCM_U24BE => Some(pcm_kind(24, "unsigned integer")),
        CODEC_ID_PCM_U32LE | CODEC_ID_PCM_U32BE => Some(pcm_kind(32, "unsigned integer")),
        CODEC_ID_PCM_F32LE | CODEC_ID_PCM_F32BE => Some("32-bit float".to_string()),
        CODEC_ID_PCM_F64LE | CODEC_ID_PCM_F64BE => Some("64-bit float".to_string()),
        CODEC_ID_PCM_ALAW => Some("A-law".to_string()),
        CODEC_ID_PCM_MULAW => Some("mu-law".to_string()),
        _ => None,
    };
    let codec_name = match codec {
        CODEC_ID_FLAC => Some(match bits {
            Some(b) => format!("FLAC {b}-bit"),
            None => "FLAC".to_string(),
        }),
        CODEC_ID_MP3 => Some("MP3".to_string()),
        CODEC_ID_MP2 => Some("MP2".to_string()),
        CODEC_ID_MP1 => Some("MP1".to_string()),
        CODEC_ID_VORBIS => Some("Vorbis".to_string()),
        _ => None,
    };
    let fallback = || {
        let codec_info = symphonia::default::get_codecs()
            .get_audio_decoder(codec)
            .map(|c| c.codec.info.long_name)
            .unwrap_or("unknown codec");
        codec_info.to_string()
    };

    if fmt == FORMAT_ID_WAVE {
        let ext = matches!(sniffed, Some(Sniffed::Wav(Some(f))) if f.format_tag == 0xfffe);
        let container = if ext {
            "WAV (WAVE_FORMAT_EXTENSIBLE)"
        } else {
            "WAV"
        };
        format!("{container}, {}", pcm.unwrap_or_else(fallback))
    } else if fmt == FORMAT_ID_AIFF {
        let aifc = matches!(sniffed, Some(Sniffed::Aiff(Some(c))) if c.aifc);
        let container = if aifc { "AIFF-C" } else { "AIFF" };
        format!("{container}, {}", pcm.unwrap_or_else(fallback))
    } else if fmt == FORMAT_ID_FLAC {
        codec_name.unwrap_or_else(|| "FLAC".to_string())
    } else if fmt == FORMAT_ID_MP3 || fmt == FORMAT_ID_MP2 || fmt == FORMAT_ID_MP1 {
        codec_name.unwrap_or_else(fallback)
    } else if fmt == FORMAT_ID_OGG {
        format!("Ogg {}", codec_name.unwrap_or_else(fallback))
    } else {
        format!(
            "{}, {}",
            reader.format_info().short_name,
            codec_name.or(pcm).unwrap_or_else(fallback)
        )
    }
}

/// Whether the format's frame count in the header is exact (so a shortfall means truncation).
fn header_count_is_exact(reader: &dyn FormatReader) -> bool {
    let fmt = reader.format_info().format;
    fmt == FORMAT_ID_WAVE || fmt == FORMAT_ID_AIFF || fmt == FORMAT_ID_FLAC
}

/// The most frames a file of `byte_len` bytes can plausibly hold (`u64::MAX` when the
/// length is unknown): exactly its size over the frame size for integer/float PCM, and
/// 16 samples per byte otherwise (far beyond what real compressed audio reaches).
fn plausible_frames(byte_len: u64, channels: usize, params: &AudioCodecParameters) -> u64 {
    if byte_len == 0 {
        return u64::MAX;
    }
    let ch = channels.max(1) as u64;
    let pcm_bits = match params.codec {
        CODEC_ID_PCM_U8 | CODEC_ID_PCM_S8 | CODEC_ID_PCM_ALAW | CODEC_ID_PCM_MULAW => Some(8),
        CODEC_ID_PCM_S16LE | CODEC_ID_PCM_S16BE | CODEC_ID_PCM_U16LE | CODEC_ID_PCM_U16BE => {
            Some(16)
        }
        CODEC_ID_PCM_S24LE | CODEC_ID_PCM_S24BE | CODEC_ID_PCM_U24LE | CODEC_ID_PCM_U24BE => {
            Some(24)
        }
        CODEC_ID_PCM_S32LE | CODEC_ID_PCM_S32BE | CODEC_ID_PCM_U32LE | CODEC_ID_PCM_U32BE
        | CODEC_ID_PCM_F32LE | CODEC_ID_PCM_F32BE => Some(32),
        CODEC_ID_PCM_F64LE | CODEC_ID_PCM_F64BE => Some(64),
        _ => None,
    };
    match pcm_bits {
        Some(bits) => byte_len.saturating_mul(8) / (bits * ch) + 1,
        None => byte_len.saturating_mul(16) / ch + 1,
    }
}

struct Decoder<'a> {
    path: &'a Path,
    reader: &'a mut dyn FormatReader,
    track_id: u32,
    params: AudioCodecParameters,
    promised: Option<u64>,
    sample_rate: u32,
    /// The most frames [`DecodeLimits`] allow for this channel count.
    max_frames: u64,
    max_bytes: u64,
    out: Vec<Vec<f32>>,
    format: String,
    floats: FloatStats,
    warnings: Vec<String>,
}

/// The audio track's parameters, checked.
struct TrackInfo {
    id: u32,
    params: AudioCodecParameters,
    promised: Option<u64>,
    channels: usize,
    sample_rate: u32,
}

fn track_info(path: &Path, reader: &mut dyn FormatReader) -> Result<TrackInfo, DecodeError> {
    let no_track = || DecodeError::NoAudioTrack {
        path: path.to_path_buf(),
    };
    let track = reader
        .default_track(TrackType::Audio)
        .or_else(|| reader.first_track(TrackType::Audio))
        .ok_or_else(no_track)?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(no_track)?
        .clone();
    let channels = params.channels.as_ref().map_or(0, |c| c.count());
    if channels == 0 {
        return Err(DecodeError::ZeroChannels {
            path: path.to_path_buf(),
        });
    }
    let sample_rate = match params.sample_rate {
        Some(r) if r > 0 => r,
        _ => {
            return Err(DecodeError::ZeroSampleRate {
                path: path.to_path_buf(),
            });
        }
    };
    Ok(TrackInfo {
        id: track.id,
        promised: track.num_frames,
        params,
        channels,
        sample_rate,
    })
}

impl<'a> Decoder<'a> {
    fn new(
        path: &'a Path,
        reader: &'a mut dyn FormatReader,
        byte_len: u64,
        sniffed: Option<&Sniffed>,
        limits: &DecodeLimits,
    ) -> Result<Self, DecodeError> {
        let TrackInfo {
            id: track_id,
            params,
            promised,
            channels,
            sample_rate,
        } = track_info(path, reader)?;
        let max_frames = limits.max_decoded_bytes / (channels as u64 * 4);
        // Refuse up front only a claim the file can back: a damaged header on a small file
        // (e.g. a data length of 0xFFFFFFFF) is decoded as far as it goes and reported as
        // truncated instead.
        // A pipe (unknown length) is never refused from its header: streamed WAVs carry a
        // placeholder length (0xFFFFFFFF); decoding stops at the limit instead.
        if let Some(p) = promised
            && byte_len > 0
            && header_count_is_exact(reader)
            && p.min(plausible_frames(byte_len, channels, &params)) > max_frames
        {
            return Err(DecodeError::TooLong {
                path: path.to_path_buf(),
                frames: p,
                channels,
                sample_rate,
                bytes: p.saturating_mul(channels as u64 * 4),
                max: limits.max_decoded_bytes,
                from_header: true,
            });
        }

        // Reserve from the header's frame count, but never trust it beyond what the input could
        // plausibly hold: even extreme compression (constant FLAC blocks) stays far below 64
        // bytes of f32 output per input byte for real files, and an absurd header claim must not
        // make us allocate gigabytes for a tiny (fuzzed) input. If the guess is short, the
        // vectors simply grow.
        // Where the count is only an estimate (MP3 without a Xing/LAME tag: from the file size),
        // add 3 % so a slightly short guess does not double the vectors at the very end; the
        // excess is released after decoding.
        let plausible_samples = byte_len.saturating_mul(16);
        let guess = promised.unwrap_or(0);
        let guess = if header_count_is_exact(reader) {
            guess
        } else {
            guess.saturating_add(guess / 32)
        };
        let reserve_frames = guess
            .min(plausible_samples / channels as u64)
            .min(max_frames);
        let reserve = usize::try_from(reserve_frames).unwrap_or(usize::MAX);
        let mut out: Vec<Vec<f32>> = Vec::new();
        for _ in 0..channels {
            let mut v = Vec::new();
            if v.try_reserve_exact(reserve).is_err() {
                return Err(DecodeError::OutOfMemory {
                    path: path.to_path_buf(),
                    frames: reserve_frames,
                    channels,
                });
            }
            out.push(v);
        }

        let format = describe(reader, &params, sniffed);
        Ok(Decoder {
            path,
            reader,
            track_id,
            params,
            promised,
            sample_rate,
            max_frames,
            max_bytes: limits.max_decoded_bytes,
            out,
            format,
            floats: FloatStats::default(),
            warnings: Vec::new(),
        })
    }

    fn fatal(&self, detail: String) -> DecodeError {
        DecodeError::Decode {
            path: self.path.to_path_buf(),
            detail,
        }
    }

    fn frames(&self) -> usize {
        self.out.first().map_or(0, Vec::len)
    }

    fn run(mut self) -> Result<Decoded, DecodeError> {
        let mut decoder = match symphonia::default::get_codecs()
            .make_audio_decoder(&self.params, &AudioDecoderOptions::default())
        {
            Ok(d) => d,
            Err(SymError::Unsupported(what)) => {
                return Err(DecodeError::UnsupportedFormat {
                    path: self.path.to_path_buf(),
                    detail: format!("{} stream with an unsupported codec: {what}", self.format),
                });
            }
            Err(e) => {
                return Err(
                    self.fatal(format!("could not set up the {} decoder: {e}", self.format))
                );
            }
        };

        let mut skipped_packets: u64 = 0;
        let mut decoded_packets: u64 = 0;
        let mut empty_run: u32 = 0;
        let mut rate_change_warned = false;
        let mut eof_warning: Option<usize> = None;

        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                // End of stream.
                Ok(None) => break,
                Err(SymError::ResetRequired) => {
                    self.warnings.push(format!(
                        "the stream changes its track layout after {} frames (e.g. chained Ogg \
                         streams); only the first part was decoded",
                        self.frames()
                    ));
                    break;
                }
                Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    eof_warning = Some(self.warnings.len());
                    self.warnings.push(format!(
                        "file is truncated: it ends in the middle of a packet after {} decoded \
                         frames",
                        self.frames()
                    ));
                    break;
                }
                Err(e) => {
                    return Err(self.fatal(format!(
                        "corrupt container data after {} decoded frames: {e}",
                        self.frames()
                    )));
                }
            };

            if packet.track_id != self.track_id {
                continue;
            }
            if packet.data.is_empty() {
                empty_run += 1;
                if empty_run >= MAX_EMPTY_PACKETS {
                    break;
                }
                continue;
            }
            empty_run = 0;

            match decoder.decode(&packet) {
                Ok(buf) => {
                    decoded_packets += 1;
                    let frames_before = self.frames();
                    let after = (frames_before + buf.frames()) as u64;
                    if after > self.max_frames {
                        let channels = self.out.len();
                        return Err(DecodeError::TooLong {
                            path: self.path.to_path_buf(),
                            frames: after,
                            channels,
                            sample_rate: self.sample_rate,
                            bytes: after.saturating_mul(channels as u64 * 4),
                            max: self.max_bytes,
                            from_header: false,
                        });
                    }
                    if let Err(msg) = append(&mut self.out, &buf, &mut self.floats) {
                        match msg {
                            AppendError::OutOfMemory => {
                                return Err(DecodeError::OutOfMemory {
                                    path: self.path.to_path_buf(),
                                    frames: (frames_before + buf.frames()) as u64,
                                    channels: self.out.len(),
                                });
                            }
                            AppendError::ChannelMismatch(got) => {
                                skipped_packets += 1;
                                if skipped_packets as usize <= MAX_PACKET_WARNINGS {
                                    self.warnings.push(format!(
                                        "skipped a packet at frame {frames_before} with {got} \
                                         channels; expected {}",
                                        self.out.len()
                                    ));
                                }
                            }
                        }
                    }
                    let rate = buf.spec().rate();
                    if rate != self.sample_rate && rate != 0 && !rate_change_warned {
                        rate_change_warned = true;
                        self.warnings.push(format!(
                            "the sample rate changes from {} Hz to {rate} Hz at frame \
                             {frames_before}; the whole output is treated as {} Hz",
                            self.sample_rate, self.sample_rate
                        ));
                    }
                }
                Err(SymError::DecodeError(msg)) => {
                    skipped_packets += 1;
                    if skipped_packets as usize <= MAX_PACKET_WARNINGS {
                        self.warnings.push(format!(
                            "skipped a corrupt packet at frame {}: {msg}",
                            self.frames()
                        ));
                    }
                }
                Err(SymError::IoError(e)) => {
                    skipped_packets += 1;
                    if skipped_packets as usize <= MAX_PACKET_WARNINGS {
                        self.warnings.push(format!(
                            "skipped an unreadable packet at frame {}: {e}",
                            self.frames()
                        ));
                    }
                }
                Err(SymError::ResetRequired) => {
                    self.warnings.push(format!(
                        "the codec parameters change after {} frames; only the first part was \
                         decoded",
                        self.frames()
                    ));
                    break;
                }
                Err(e) => {
                    return Err(self.fatal(format!(
                        "the {} decoder failed after {} frames: {e}",
                        self.format,
                        self.frames()
                    )));
                }
            }
        }

        if skipped_packets as usize > MAX_PACKET_WARNINGS {
            self.warnings.push(format!(
                "skipped {skipped_packets} corrupt packets in total (only the first \
                 {MAX_PACKET_WARNINGS} are listed)"
            ));
        }

        let frames = self.frames();
        if frames == 0 && skipped_packets > 0 && decoded_packets == 0 {
            return Err(self.fatal(format!(
                "no audio could be decoded: all {skipped_packets} packets of the {} stream are \
                 corrupt",
                self.format
            )));
        }

        // Compare with the frame count the header promised. For WAV/AIFF/FLAC it is exact; for
        // MP3 it may be an estimate from the file size, so only a clear shortfall counts.
        let exact = header_count_is_exact(self.reader);
        let shortfall = self.promised.filter(|&p| {
            let got = frames as u64;
            if exact {
                got < p
            } else {
                got.saturating_add((p / 100).max(4096)) < p
            }
        });
        if let Some(promised) = shortfall {
            // This says more than the generic end-of-file warning, which it replaces.
            if let Some(i) = eof_warning {
                self.warnings.remove(i);
            }
            self.warnings.push(format!(
                "file is truncated or corrupt: header promised {promised} frames, decoded {frames}"
            ));
        }

        self.floats.finish(&mut self.out, &mut self.warnings);

        // Release any over-reservation (e.g. a header that promised more than was there).
        for ch in &mut self.out {
            if ch.capacity() > ch.len() + ch.len() / 64 {
                ch.shrink_to_fit();
            }
        }

        Ok(Decoded {
            sample_rate: self.sample_rate,
            channels: self.out.into_iter().map(SampleBuf::from).collect(),
            frames,
            format: self.format,
            nonfinite_replaced: self.floats.nonfinite,
            warnings: self.warnings,
        })
    }
}

enum AppendError {
    OutOfMemory,
    ChannelMismatch(usize),
}

/// Append one decoded buffer to the planar output, converting to `f32`.
fn append(
    out: &mut [Vec<f32>],
    buf: &GenericAudioBufferRef<'_>,
    floats: &mut FloatStats,
) -> Result<(), AppendError> {
    let n = buf.frames();
    if n == 0 {
        return Ok(());
    }
    if buf.num_planes() != out.len() {
        return Err(AppendError::ChannelMismatch(buf.num_planes()));
    }
    for ch in out.iter_mut() {
        ch.try_reserve(n).map_err(|_| AppendError::OutOfMemory)?;
    }

    // Integer formats: divide by 2^(bits-1) (unsigned: subtract the midpoint first). Symphonia
    // delivers each format at its full width (e.g. FLAC 24-bit arrives left-justified in i32), so
    // scaling by the container width equals scaling by the coded bit depth.
    macro_rules! planes {
        ($b:expr, |$x:ident| $conv:expr) => {{
            for (i, dst) in out.iter_mut().enumerate() {
                let src = $b.plane(i).unwrap_or_default();
                dst.extend(src.iter().map(|&$x| $conv));
            }
        }};
    }
    use symphonia::core::audio::Audio;
    const S8: f32 = 1.0 / 128.0;
    const S16: f32 = 1.0 / 32_768.0;
    const S24: f32 = 1.0 / 8_388_608.0;
    const S32: f32 = 1.0 / 2_147_483_648.0;
    const S32F64: f64 = 1.0 / 2_147_483_648.0;
    match buf {
        GenericAudioBufferRef::U8(b) => planes!(b, |x| (f32::from(x) - 128.0) * S8),
        GenericAudioBufferRef::U16(b) => planes!(b, |x| (f32::from(x) - 32_768.0) * S16),
        GenericAudioBufferRef::U24(b) => {
            planes!(b, |x| (x.inner() as f32 - 8_388_608.0) * S24)
        }
        GenericAudioBufferRef::U32(b) => {
            planes!(b, |x| ((f64::from(x) - 2_147_483_648.0) * S32F64) as f32)
        }
        GenericAudioBufferRef::S8(b) => planes!(b, |x| f32::from(x) * S8),
        GenericAudioBufferRef::S16(b) => planes!(b, |x| f32::from(x) * S16),
        GenericAudioBufferRef::S24(b) => planes!(b, |x| x.inner() as f32 * S24),
        GenericAudioBufferRef::S32(b) => planes!(b, |x| x as f32 * S32),
        GenericAudioBufferRef::F32(b) => {
            for (i, dst) in out.iter_mut().enumerate() {
                let src = b.plane(i).unwrap_or_default();
                let start = dst.len();
                dst.extend_from_slice(src);
                floats.fix(&mut dst[start..]);
            }
        }
        GenericAudioBufferRef::F64(b) => {
            for (i, dst) in out.iter_mut().enumerate() {
                let src = b.plane(i).unwrap_or_default();
                let start = dst.len();
                // A finite f64 beyond the f32 range becomes inf here and is then replaced.
                dst.extend(src.iter().map(|&x| x as f32));
                floats.fix(&mut dst[start..]);
            }
        }
    }
    Ok(())
}
