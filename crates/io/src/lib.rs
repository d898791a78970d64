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

pub use decode::{Decoded, decode_bytes, decode_file};
pub use encode::{Bits, ParseBitsError, WavFileWriter, encode_wav, same_file, write_wav_atomic};
pub use error::{DecodeError, EncodeError, SUPPORTED_INPUT_FORMATS};
