//! A tiny, bounds-checked look at the first bytes of a file.
//!
//! Symphonia reports a zero channel count as a generic "malformed stream" error, and does not
//! say whether a WAV file used `WAVE_FORMAT_EXTENSIBLE`. Reading the few header fields we need
//! ourselves lets us give precise errors and descriptions. Nothing here can panic: all reads go
//! through `get`.

/// How many leading bytes of a file are looked at.
pub(crate) const SNIFF_LEN: usize = 64 * 1024;

/// A container recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Magic {
    Wav,
    Aiff,
    Flac,
    Ogg,
    Mp3,
}

/// Fields of a WAV `fmt ` chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WavFmt {
    pub format_tag: u16,
    pub channels: u16,
    pub sample_rate: u32,
}

/// Fields of an AIFF `COMM` chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AiffComm {
    pub channels: u16,
    pub bits_per_sample: u16,
    pub sample_rate: f64,
    pub aifc: bool,
}

/// What the header says, as far as we could read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Sniffed {
    Wav(Option<WavFmt>),
    Aiff(Option<AiffComm>),
    Other(Magic),
}

impl Sniffed {
    pub(crate) fn channels(&self) -> Option<u16> {
        match self {
            Sniffed::Wav(Some(f)) => Some(f.channels),
            Sniffed::Aiff(Some(c)) => Some(c.channels),
            _ => None,
        }
    }

    /// A channel count the header declares that symphonia 0.6.1 cannot handle (its RIFF/AIFF
    /// readers overflow or reject it), as a description; `None` if fine or unknown.
    pub(crate) fn unsupported_channels(&self) -> Option<String> {
        match self {
            // Symphonia maps at most 26 WAV channels (18 for WAVE_FORMAT_EXTENSIBLE) and overflows
            // u16/u32 arithmetic on much larger counts before it gets to reject them.
            Sniffed::Wav(Some(f)) if f.channels > 26 => Some(format!(
                "the WAV header declares {} channels; at most 26 channels are supported",
                f.channels
            )),
            // The AIFF reader computes the frame size in u16.
            Sniffed::Aiff(Some(c))
                if u32::from(c.channels) * u32::from(c.bits_per_sample.div_ceil(8)).max(1)
                    > u32::from(u16::MAX) =>
            {
                Some(format!(
                    "the AIFF header declares {} channels of {} bits; a frame of at most 65535 \
                     bytes is supported",
                    c.channels, c.bits_per_sample
                ))
            }
            _ => None,
        }
    }

    /// True if the header states a zero (or sub-1 Hz) sample rate.
    pub(crate) fn zero_rate(&self) -> bool {
        match self {
            Sniffed::Wav(Some(f)) => f.sample_rate == 0,
            // NaN-safe: anything not >= 1 Hz counts as zero.
            Sniffed::Aiff(Some(c)) => c.sample_rate.partial_cmp(&1.0).is_none_or(|o| o.is_lt()),
            _ => false,
        }
    }
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u16_be(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Decode an 80-bit IEEE 754 extended-precision big-endian float (AIFF sample rate).
fn ext80_be(b: &[u8], at: usize) -> Option<f64> {
    let sign_exp = u16_be(b, at)?;
    let hi = u32_be(b, at + 2)?;
    let lo = u32_be(b, at + 6)?;
    let mantissa = (u64::from(hi) << 32) | u64::from(lo);
    if mantissa == 0 {
        return Some(0.0);
    }
    let exp = i32::from(sign_exp & 0x7fff) - 16383 - 63;
    let v = (mantissa as f64) * 2f64.powi(exp.clamp(-2000, 2000));
    Some(if sign_exp & 0x8000 != 0 { -v } else { v })
}

/// Identify the container from its first bytes.
pub(crate) fn magic(b: &[u8]) -> Option<Magic> {
    let head = b.get(..4)?;
    match head {
        b"RIFF" if b.get(8..12) == Some(b"WAVE") => Some(Magic::Wav),
        b"FORM" if matches!(b.get(8..12), Some(b"AIFF") | Some(b"AIFC")) => Some(Magic::Aiff),
        b"fLaC" => Some(Magic::Flac),
        b"OggS" => Some(Magic::Ogg),
        _ if head.starts_with(b"ID3") => Some(Magic::Mp3),
        // MPEG audio frame sync: 11 set bits, layer bits not 00.
        _ if head[0] == 0xff && (head[1] & 0xe0) == 0xe0 && (head[1] & 0x06) != 0 => {
            Some(Magic::Mp3)
        }
        _ => None,
    }
}

/// Read what we need from the start of a file.
pub(crate) fn sniff(b: &[u8]) -> Option<Sniffed> {
    match magic(b)? {
        Magic::Wav => Some(Sniffed::Wav(wav_fmt(b))),
        Magic::Aiff => Some(Sniffed::Aiff(aiff_comm(b))),
        m => Some(Sniffed::Other(m)),
    }
}

fn wav_fmt(b: &[u8]) -> Option<WavFmt> {
    let mut pos = 12usize;
    loop {
        let id = b.get(pos..pos + 4)?;
        let len = usize::try_from(u32_le(b, pos + 4)?).ok()?;
        let body = pos + 8;
        if id == b"fmt " {
            if len < 16 {
                return None;
            }
            return Some(WavFmt {
                format_tag: u16_le(b, body)?,
                channels: u16_le(b, body + 2)?,
                sample_rate: u32_le(b, body + 4)?,
            });
        }
        if id == b"data" {
            return None;
        }
        // Chunks are padded to an even length.
        pos = body.checked_add(len)?.checked_add(len & 1)?;
    }
}

fn aiff_comm(b: &[u8]) -> Option<AiffComm> {
    let aifc = b.get(8..12)? == b"AIFC";
    let mut pos = 12usize;
    loop {
        let id = b.get(pos..pos + 4)?;
        let len = usize::try_from(u32_be(b, pos + 4)?).ok()?;
        let body = pos + 8;
        if id == b"COMM" {
            if len < 18 {
                return None;
            }
            return Some(AiffComm {
                channels: u16_be(b, body)?,
                bits_per_sample: u16_be(b, body + 6)?,
                sample_rate: ext80_be(b, body + 8)?,
                aifc,
            });
        }
        if id == b"SSND" {
            return None;
        }
        pos = body.checked_add(len)?.checked_add(len & 1)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext80_decodes_common_rates() {
        // 44100 Hz as written by AIFF encoders.
        let b = [0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0];
        assert_eq!(ext80_be(&b, 0), Some(44100.0));
        let b = [0x40, 0x0e, 0xbb, 0x80, 0, 0, 0, 0, 0, 0];
        assert_eq!(ext80_be(&b, 0), Some(48000.0));
        assert_eq!(ext80_be(&[0; 10], 0), Some(0.0));
        assert_eq!(ext80_be(&[0; 9], 0), None);
    }

    #[test]
    fn sniff_never_panics_on_short_or_odd_input() {
        for n in 0..64 {
            let mut v = b"RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff".to_vec();
            v.truncate(n);
            let _ = sniff(&v);
            let mut a = b"FORM\0\0\0\0AIFCCOMM\xff\xff\xff\xff".to_vec();
            a.truncate(n);
            let _ = sniff(&a);
        }
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\xff"), None);
    }
}
