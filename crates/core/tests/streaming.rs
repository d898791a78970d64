//! Rendering block by block (streaming, two or three passes) gives the same
//! samples, bit for bit, as rendering into memory: with and without the DC
//! high-pass, at every output level rule.

use gar_core::{ChannelMode, Normalize, Params, Preset};

fn sound(len: usize, seed: u64) -> Vec<f32> {
    // Decaying bursts over a tone; a small LCG for the noise.
    let mut s = seed;
    (0..len)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5;
            let t = i as f32 / 44100.0;
            let env = (-((t * 3.0).fract()) * 8.0).exp();
            0.3 * (t * 330.0 * std::f32::consts::TAU).sin() + env * noise
        })
        .collect()
}

#[test]
fn streaming_equals_in_memory() {
    let l = sound(44100 * 3, 1);
    let r = sound(44100 * 3, 2);
    let chans: [&[f32]; 2] = [&l, &r];
    for (preset, extra) in [
        (Preset::SelfRemix, Params::default().duration_s),
        (Preset::Shimmer, Some(4.2)),
        (Preset::Cloud, Some(2.5)),
        // Many render batches: the in-memory path finishes blocks batch by batch.
        (Preset::MotifExtract, Some(31.0)),
    ] {
        for (mode, dc_block, normalize) in [
            (ChannelMode::Linked, true, Normalize::Peak),
            (ChannelMode::Mono, true, Normalize::Peak),
            (ChannelMode::Linked, false, Normalize::Peak),
            (ChannelMode::Linked, true, Normalize::Loudness),
            (ChannelMode::Mono, false, Normalize::None),
        ] {
            let params = Params {
                duration_s: extra,
                channels: mode,
                dc_block,
                normalize,
                lufs: -30.0,
                ..preset.params()
            };
            let p = gar_core::prepare(&chans, 44100, &params, preset, 9).unwrap();
            let (whole, level) = gar_core::render_prepared(&p, &chans);
            let mut streamed: Vec<Vec<f32>> = vec![Vec::new(); whole.len()];
            let mut blocks = 0;
            let streamed_level = gar_core::render_prepared_streaming(&p, &chans, |b| {
                blocks += 1;
                for (o, c) in streamed.iter_mut().zip(b) {
                    o.extend_from_slice(c);
                }
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(level, streamed_level, "{preset:?} {mode:?}");
            if normalize == Normalize::Loudness {
                assert!(level.loudness.is_some());
            }
            assert!(
                blocks > 2,
                "the test must cross block boundaries: {blocks} blocks"
            );
            assert_eq!(streamed.len(), whole.len());
            for (a, b) in streamed.iter().zip(&whole) {
                assert_eq!(a.len(), b.len());
                assert!(
                    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{preset:?} {mode:?}: streamed samples differ"
                );
            }
            let pk = whole.iter().flatten().fold(0f32, |m, x| m.max(x.abs()));
            if normalize == Normalize::Peak {
                assert!((pk - 0.99).abs() < 1e-6, "peak {pk}");
            }
        }
    }
}
