//! gar-io: audio decoding (symphonia) and WAV encoding (hound), with atomic writes.
//!
//! * [`decode_file`] / [`decode_bytes`]: WAV, AIFF, FLAC, MP3 and Ogg Vorbis into planar `f32`.
//! * [`write_wav_atomic`] / [`encode_wav`]: 16/24-bit integer or 32-bit float WAV.
//!
//! All errors are typed ([`DecodeError`], [`EncodeError`]) and their messages name the file.

mod decode;
mod encode;
mod error;
mod sniff;
mod wav_fast;

pub use decode::{
    DecodeLimits, Decoded, MAX_SAMPLE_MAGNITUDE, StreamInfo, decode_bytes, decode_bytes_with,
    decode_file, decode_file_with, probe_file,
};
pub use encode::{
    Bits, MAX_WAV_DATA_BYTES, ParseBitsError, WavFileWriter, check_wav_size, encode_wav, same_file,
    write_wav_atomic,
};
pub use error::{DecodeError, EncodeError, SUPPORTED_INPUT_FORMATS, bytes_words};
