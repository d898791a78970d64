//! `--play`: hear the result on the default audio output (`gar render ... --play`,
//! `gar demo --play`). Behind the cargo feature `play` (rodio on cpal; on Linux it
//! needs ALSA's headers, `libasound2-dev`, to build), so that the default build needs
//! nothing but cargo; without it, `--play` is a usage error that says how to get it.

use crate::Failure;

/// Whether this build can play; checked before any work.
pub fn check_available() -> Result<(), Failure> {
    if cfg!(feature = "play") {
        Ok(())
    } else {
        Err(Failure::Usage(
            "--play: this gar was built without playback; rebuild it with the `play` feature \
             (`cargo install --path crates/cli --features play`, which on Linux needs ALSA's \
             headers: `apt-get install libasound2-dev`), or open the WAV in any player"
                .into(),
        ))
    }
}

/// Plays `channels` (one slice per channel) at `sample_rate` to the end.
#[cfg(feature = "play")]
pub fn play(channels: &[&[f32]], sample_rate: u32, what: &str) -> Result<(), Failure> {
    use anyhow::anyhow;
    use std::num::NonZero;
    let no_device = |e: &dyn std::fmt::Display| {
        Failure::Run(anyhow!(
            "--play: cannot open an audio output device ({e}); is there a sound card (or a \
             PulseAudio/PipeWire server) here? {what} was written and can be played with \
             any player"
        ))
    };
    let n = NonZero::new(channels.len() as u16)
        .ok_or_else(|| Failure::Run(anyhow!("--play: nothing to play")))?;
    let sr =
        NonZero::new(sample_rate).ok_or_else(|| Failure::Run(anyhow!("--play: sample rate 0")))?;
    let frames = channels.first().map_or(0, |c| c.len());
    let mut data = Vec::with_capacity(frames * channels.len());
    for f in 0..frames {
        for c in channels {
            data.push(c[f]);
        }
    }
    let mut sink = rodio::DeviceSinkBuilder::open_default_sink().map_err(|e| no_device(&e))?;
    sink.log_on_drop(false);
    let player = rodio::Player::connect_new(sink.mixer());
    player.append(rodio::buffer::SamplesBuffer::new(n, sr, data));
    player.sleep_until_end();
    Ok(())
}

/// Without the `play` feature [`check_available`] refused `--play` before any work.
#[cfg(not(feature = "play"))]
pub fn play(_channels: &[&[f32]], _sample_rate: u32, _what: &str) -> Result<(), Failure> {
    check_available()
}

/// Plays a WAV file that a run wrote.
pub fn play_file(path: &std::path::Path) -> Result<(), Failure> {
    let d = gar_io::decode_file(path).map_err(|e| {
        Failure::Run(anyhow::anyhow!(
            "--play: cannot read back {}: {e}",
            path.display()
        ))
    })?;
    let chans: Vec<&[f32]> = d.channels.iter().map(|c| c.as_slice()).collect();
    play(&chans, d.sample_rate, &path.display().to_string())
}
