//! gar-io: audio decoding (symphonia) and WAV encoding (hound), with atomic writes.
//!
//! * [`decode_file`] / [`decode_bytes`] / [`decode_reader_with`]: WAV, AIFF, FLAC, MP3 and
//!   Ogg Vorbis into planar `f32`.
//! * [`WavWriter`] / [`write_wav_atomic`] / [`encode_wav`]: 16/24-bit integer or 32-bit
//!   float WAV, to a file or any stream.
//! * [`AtomicFile`]: the one temporary-file-and-rename writer behind every file gar
//!   writes (permissions, fsync policy and no-clobber rules are documented there).
//!
//! All errors are typed ([`DecodeError`], [`EncodeError`]) and their messages name the file.
//!
//! Modules depend one way: `samples` (what decoding produces) <- `wav_fast` <- `decode`;
//! `atomic` <- `encode`.

mod atomic;
mod decode;
mod encode;
mod error;
mod samples;
mod sniff;
mod wav_fast;

pub use atomic::{AtomicFile, same_file};
pub use decode::{
    StreamInfo, decode_bytes, decode_bytes_with, decode_file, decode_file_with, decode_reader_with,
    probe_file,
};
pub use encode::{
    Bits, MAX_WAV_DATA_BYTES, ParseBitsError, WavFileWriter, WavWriter, check_wav_size, encode_wav,
    write_wav_atomic,
};
pub use error::{DecodeError, EncodeError, SUPPORTED_INPUT_FORMATS, bytes_words};
pub use samples::{DecodeLimits, Decoded, MAX_SAMPLE_MAGNITUDE};
