//! Typed errors for decoding and encoding.
//!
//! Every message names the file (or in-memory buffer) it is about, says what was wrong, and
//! says what was expected instead.

use std::path::PathBuf;

use thiserror::Error;

/// The input formats `decode_file` / `decode_bytes` understand, for error messages.
pub const SUPPORTED_INPUT_FORMATS: &str = "WAV (8/16/24/32-bit integer PCM, 32/64-bit float, \
     WAVE_FORMAT_EXTENSIBLE), AIFF/AIFF-C, FLAC, MP3 and Ogg Vorbis";

/// Why an input file (or byte buffer) could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The path does not exist.
    #[error("{}: no such file; expected the path of an existing audio file", path.display())]
    NotFound {
        /// The input path.
        path: PathBuf,
    },

    /// The path names a directory.
    #[error("{}: is a directory; expected an audio file", path.display())]
    IsDirectory {
        /// The input path.
        path: PathBuf,
    },

    /// The file exists but may not be read.
    #[error(
        "{}: permission denied while opening it for reading; expected a readable file",
        path.display()
    )]
    PermissionDenied {
        /// The input path.
        path: PathBuf,
    },

    /// Some other I/O error while opening or reading the file.
    #[error("{}: could not read the file: {source}", path.display())]
    Io {
        /// The input path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The file has no bytes at all.
    #[error("{}: the file is empty (0 bytes); expected audio data", path.display())]
    Empty {
        /// The input path.
        path: PathBuf,
    },

    /// The container or codec is not recognised or not supported.
    #[error(
        "{}: unrecognised or unsupported audio format ({detail}); supported formats are {}",
        path.display(),
        SUPPORTED_INPUT_FORMATS
    )]
    UnsupportedFormat {
        /// The input path.
        path: PathBuf,
        /// What was found (or not found).
        detail: String,
    },

    /// The container holds no audio track.
    #[error("{}: the file contains no audio track; expected at least one", path.display())]
    NoAudioTrack {
        /// The input path.
        path: PathBuf,
    },

    /// The header declares zero channels (or none at all).
    #[error(
        "{}: the header declares 0 audio channels; expected at least 1",
        path.display()
    )]
    ZeroChannels {
        /// The input path.
        path: PathBuf,
    },

    /// The header declares a sample rate of zero (or none at all).
    #[error(
        "{}: the header declares a sample rate of 0 Hz; expected a positive sample rate",
        path.display()
    )]
    ZeroSampleRate {
        /// The input path.
        path: PathBuf,
    },

    /// The audio would not fit in memory.
    #[error(
        "{}: not enough memory to hold {frames} frames x {channels} channels of 32-bit samples",
        path.display()
    )]
    OutOfMemory {
        /// The input path.
        path: PathBuf,
        /// Frames that were requested.
        frames: u64,
        /// Channel count.
        channels: usize,
    },

    /// The decoded audio would exceed the caller's memory limit ([`crate::DecodeLimits`]).
    /// Raised from the header's frame count before anything is allocated when the header
    /// states it exactly, otherwise as soon as decoding crosses the limit.
    #[error(
        "{}: too long to decode: {} ({frames} frames x {channels} channels{}) would take {} \
         as 32-bit samples, more than the limit of {}",
        path.display(),
        crate::error::duration_words(*frames, *sample_rate),
        if *from_header { " according to the header" } else { " or more" },
        crate::error::bytes_words(*bytes),
        crate::error::bytes_words(*max)
    )]
    TooLong {
        /// The input path.
        path: PathBuf,
        /// Frames promised by the header, or decoded when the limit was crossed.
        frames: u64,
        /// Channel count.
        channels: usize,
        /// Sample rate, Hz.
        sample_rate: u32,
        /// Bytes of 32-bit samples that `frames` take.
        bytes: u64,
        /// The limit.
        max: u64,
        /// True when the header's frame count gave the figure (nothing was decoded).
        from_header: bool,
    },

    /// A fatal error in the container or codec data.
    #[error("{}: decoding failed: {detail}", path.display())]
    Decode {
        /// The input path.
        path: PathBuf,
        /// What went wrong and where.
        detail: String,
    },
}

impl DecodeError {
    /// The path (or in-memory label) this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            DecodeError::NotFound { path }
            | DecodeError::IsDirectory { path }
            | DecodeError::PermissionDenied { path }
            | DecodeError::Io { path, .. }
            | DecodeError::Empty { path }
            | DecodeError::UnsupportedFormat { path, .. }
            | DecodeError::NoAudioTrack { path }
            | DecodeError::ZeroChannels { path }
            | DecodeError::ZeroSampleRate { path }
            | DecodeError::OutOfMemory { path, .. }
            | DecodeError::TooLong { path, .. }
            | DecodeError::Decode { path, .. } => path,
        }
    }
}

/// Why a WAV file could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// No channels were given.
    #[error("{}: no audio channels given; expected at least 1 channel", path.display())]
    NoChannels {
        /// The output path (or in-memory label).
        path: PathBuf,
    },

    /// More channels than WAV can hold.
    #[error("{}: {channels} channels given; WAV holds at most 65535", path.display())]
    TooManyChannels {
        /// The output path (or in-memory label).
        path: PathBuf,
        /// Channel count given.
        channels: usize,
    },

    /// Channels of different lengths.
    #[error(
        "{}: channel {channel} has {len} samples but channel 0 has {expected}; \
         expected all channels to have the same length",
        path.display()
    )]
    ChannelLengthMismatch {
        /// The output path (or in-memory label).
        path: PathBuf,
        /// Index of the offending channel.
        channel: usize,
        /// Its length.
        len: usize,
        /// Length of channel 0.
        expected: usize,
    },

    /// Sample rate zero.
    #[error("{}: sample rate is 0 Hz; expected a positive sample rate", path.display())]
    ZeroSampleRate {
        /// The output path (or in-memory label).
        path: PathBuf,
    },

    /// The data does not fit in a WAV file (4 GiB limit of the RIFF size fields).
    #[error(
        "{}: {bytes} bytes of audio data do not fit in a WAV file; the format allows at most \
         {max} bytes (use fewer channels, a lower bit depth, or a shorter output)",
        path.display()
    )]
    TooLarge {
        /// The output path (or in-memory label).
        path: PathBuf,
        /// Bytes of sample data requested.
        bytes: u64,
        /// Maximum the format allows.
        max: u64,
    },

    /// The output exists and overwriting was not requested.
    #[error(
        "{}: the output file already exists; expected a new path (or allow overwriting)",
        path.display()
    )]
    OutputExists {
        /// The output path.
        path: PathBuf,
    },

    /// The output path names a directory.
    #[error("{}: is a directory; expected a file path for the output", path.display())]
    OutputIsDirectory {
        /// The output path.
        path: PathBuf,
    },

    /// The output path names something that is not a regular file (a device such as
    /// `/dev/null`, a FIFO, a socket). Replacing it would destroy it, so it is refused even
    /// when overwriting is allowed.
    #[error(
        "{}: exists and is not a regular file (a device, FIFO or socket); expected a path for \
         a new or existing regular file",
        path.display()
    )]
    OutputNotRegular {
        /// The output path.
        path: PathBuf,
    },

    /// The output path has no file-name component (e.g. ends in `..`).
    #[error("{}: not a usable output file name; expected a path ending in a file name", path.display())]
    InvalidPath {
        /// The output path.
        path: PathBuf,
    },

    /// The directory that should hold the output does not exist or is not a directory.
    #[error(
        "{}: the output directory {} does not exist or is not a directory; expected an existing directory",
        path.display(),
        dir.display()
    )]
    DirectoryMissing {
        /// The output path.
        path: PathBuf,
        /// Its parent directory.
        dir: PathBuf,
    },

    /// An I/O error while creating, writing, syncing or renaming the output.
    #[error("{}: could not write the output while {action}: {source}", path.display())]
    Io {
        /// The output path (or in-memory label).
        path: PathBuf,
        /// What was being done, e.g. "creating a temporary file in /x".
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `1234.5 s` style duration of `frames` at `rate` ("? s" for a zero rate), with hours
/// for long ones: "10800 s (3.00 h)".
pub(crate) fn duration_words(frames: u64, rate: u32) -> String {
    if rate == 0 {
        return format!("{frames} frames");
    }
    let s = frames as f64 / f64::from(rate);
    if s >= 3600.0 {
        format!("{s:.0} s ({:.2} h) of audio", s / 3600.0)
    } else {
        format!("{s:.1} s of audio")
    }
}

/// Human size in binary units: "512 B", "3.9 GiB".
pub fn bytes_words(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
