//! Encode in memory, read back (with gar-io's symphonia decoder and independently with hound's
//! reader) and compare.
//!
//! Integer output stores round_half_away(clamp(x, -1, 1) * (2^(bits-1) - 1)); decoding divides
//! by 2^(bits-1). The stored integers are checked exactly, so the round trip is within one LSB
//! of the stored value by construction (the two conventions differ by up to 1.5 LSB right at
//! full scale, which is inherent to them, not an encoder error). 32-bit float is bit-identical.

use std::io::Cursor;

use gar_io::{Bits, EncodeError, decode_bytes, encode_wav};

/// Test signal for channel `ch`: a sine plus awkward values at fixed places.
fn signal(ch: usize, frames: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..frames)
        .map(|n| {
            let f = 440.0 * (ch + 1) as f32;
            0.9 * (2.0 * std::f32::consts::PI * f * n as f32 / 44_100.0).sin()
                * if ch % 2 == 1 { -1.0 } else { 1.0 }
        })
        .collect();
    let specials = [
        1.0,
        -1.0,
        1.5,  // clipped for integer output
        -3.0, // clipped
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.5 / 32_767.0,  // exactly half a 16-bit step (as close as f32 gets)
        -0.5 / 32_767.0, // and negative
        1e-30,           // tiny
        -0.0,
        f32::MIN_POSITIVE / 2.0, // subnormal
        0.999_99,
    ];
    for (i, s) in specials.iter().enumerate() {
        if let Some(x) = v.get_mut(3 + i * 7 + ch) {
            *x = *s;
        }
    }
    v
}

/// What the encoder must store for `x` at `bits` (16 or 24).
fn stored_int(x: f32, bits: u32) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    let scale = f64::from((1i32 << (bits - 1)) - 1);
    (f64::from(x.clamp(-1.0, 1.0)) * scale).round() as i32
}

fn encode(channels: &[Vec<f32>], rate: u32, bits: Bits) -> Vec<u8> {
    let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    let mut cur = Cursor::new(Vec::new());
    encode_wav(&mut cur, rate, &refs, bits).expect("encode");
    cur.into_inner()
}

fn check_round_trip(nch: usize, frames: usize, rate: u32, bits: Bits) {
    let channels: Vec<Vec<f32>> = (0..nch).map(|c| signal(c, frames)).collect();
    let bytes = encode(&channels, rate, bits);
    let what = format!("{nch} ch, {frames} frames, {bits}");
    assert_eq!(
        bytes.len() % 2,
        0,
        "{what}: RIFF chunks must be padded to even length"
    );

    // 1. Independent reader: hound.
    let mut r = hound::WavReader::new(Cursor::new(bytes.clone())).expect("hound reads it");
    let spec = r.spec();
    assert_eq!(usize::from(spec.channels), nch, "{what}");
    assert_eq!(spec.sample_rate, rate, "{what}");
    assert_eq!(spec.bits_per_sample, bits.bits_per_sample(), "{what}");
    assert_eq!(r.duration() as usize, frames, "{what}");
    match bits {
        Bits::F32 => {
            assert_eq!(spec.sample_format, hound::SampleFormat::Float, "{what}");
            let got: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
            for (i, g) in got.iter().enumerate() {
                let x = channels[i % nch][i / nch];
                let want = if x.is_finite() { x } else { 0.0 };
                assert_eq!(g.to_bits(), want.to_bits(), "{what}: sample {i} ({x})");
            }
        }
        Bits::I16 | Bits::I24 => {
            assert_eq!(spec.sample_format, hound::SampleFormat::Int, "{what}");
            let b = u32::from(bits.bits_per_sample());
            let got: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
            for (i, &g) in got.iter().enumerate() {
                let x = channels[i % nch][i / nch];
                assert_eq!(g, stored_int(x, b), "{what}: sample {i} ({x})");
            }
        }
    }

    // 2. Our decoder.
    let d = decode_bytes(bytes, Some("wav")).expect("decode");
    assert_eq!(d.sample_rate, rate, "{what}");
    assert_eq!(d.frames, frames, "{what}");
    assert_eq!(d.channels.len(), nch, "{what}");
    assert!(d.warnings.is_empty(), "{what}: {:?}", d.warnings);
    assert_eq!(
        d.nonfinite_replaced, 0,
        "{what}: non-finite values must never be written"
    );
    for (c, (got, orig)) in d.channels.iter().zip(&channels).enumerate() {
        for (n, (&g, &x)) in got.iter().zip(orig).enumerate() {
            match bits {
                Bits::F32 => {
                    let want = if x.is_finite() { x } else { 0.0 };
                    assert_eq!(g.to_bits(), want.to_bits(), "{what} ch{c} frame {n}");
                }
                Bits::I16 | Bits::I24 => {
                    let b = u32::from(bits.bits_per_sample());
                    let full = f64::from(1u32 << (b - 1));
                    // Exactly the stored integer over 2^(bits-1).
                    assert_eq!(
                        f64::from(g) * full,
                        f64::from(stored_int(x, b)),
                        "{what} ch{c} frame {n} ({x})"
                    );
                    // And within one LSB of the input where it is not near full scale.
                    if x.is_finite() && x.abs() <= 0.5 {
                        assert!((f64::from(g) - f64::from(x)).abs() <= 1.0 / full);
                    }
                }
            }
        }
    }
}

#[test]
fn round_trip_every_bit_depth_and_layout() {
    for bits in Bits::ALL {
        check_round_trip(1, 44_100, 44_100, bits);
        check_round_trip(2, 4_801, 48_000, bits);
        // 3 channels x odd frames: an odd data size at 24-bit (needs a pad byte) and the
        // generic interleaving path.
        check_round_trip(3, 1_001, 96_000, bits);
        check_round_trip(1, 1, 8_000, bits);
    }
}

#[test]
fn the_first_stored_samples_are_as_specified() {
    // Hand-computed: 0.5 * 32767 = 16383.5 -> 16384 (half away from zero); -0.5 -> -16384.
    let bytes = encode(&[vec![0.5, -0.5, 1.0, -1.0, 0.25]], 8000, Bits::I16);
    let ints: Vec<i16> = hound::WavReader::new(Cursor::new(bytes))
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ints, [16_384, -16_384, 32_767, -32_767, 8_192]);
    let bytes = encode(&[vec![0.5, -1.0]], 8000, Bits::I24);
    let ints: Vec<i32> = hound::WavReader::new(Cursor::new(bytes))
        .unwrap()
        .samples::<i32>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ints, [4_194_304, -8_388_607]);
}

#[test]
fn empty_channels_make_a_valid_empty_file() {
    for bits in Bits::ALL {
        let bytes = encode(&[vec![], vec![]], 22_050, bits);
        let r = hound::WavReader::new(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(r.duration(), 0);
        let d = decode_bytes(bytes, Some("wav")).unwrap();
        assert_eq!(d.frames, 0);
        assert_eq!(d.channels.len(), 2);
    }
}

#[test]
fn invalid_input_is_rejected_with_a_clear_error() {
    let mut sink = Cursor::new(Vec::new());
    let a = [0.0f32; 10];
    let b = [0.0f32; 9];

    let e = encode_wav(&mut sink, 44_100, &[], Bits::I16).unwrap_err();
    assert!(matches!(e, EncodeError::NoChannels { .. }), "{e:?}");
    assert!(e.to_string().contains("at least 1 channel"), "{e}");

    let e = encode_wav(&mut sink, 44_100, &[&a, &b], Bits::I24).unwrap_err();
    assert!(
        matches!(
            e,
            EncodeError::ChannelLengthMismatch {
                channel: 1,
                len: 9,
                expected: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("same length"), "{e}");

    let e = encode_wav(&mut sink, 0, &[&a], Bits::F32).unwrap_err();
    assert!(matches!(e, EncodeError::ZeroSampleRate { .. }), "{e:?}");

    // 65536 channels (all the same empty slice: no memory needed).
    let many: Vec<&[f32]> = vec![&[][..]; 65_536];
    let e = encode_wav(&mut sink, 44_100, &many, Bits::I16).unwrap_err();
    assert!(
        matches!(
            e,
            EncodeError::TooManyChannels {
                channels: 65_536,
                ..
            }
        ),
        "{e:?}"
    );

    // 65535 channels x 20000 frames x 4 bytes = 5.2 GB > the 4 GiB WAV limit. Every channel is
    // the same slice, so this costs 80 kB, and the check happens before anything is written.
    let long = vec![0.0f32; 20_000];
    let wide: Vec<&[f32]> = vec![long.as_slice(); 65_535];
    let e = encode_wav(&mut sink, 44_100, &wide, Bits::F32).unwrap_err();
    assert!(matches!(e, EncodeError::TooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("do not fit in a WAV file"), "{e}");

    assert!(
        sink.get_ref().is_empty(),
        "nothing may be written for invalid input"
    );
}
