//! A run never takes unbounded memory, nor starts work that cannot finish.
//!
//! [`load`] reads the input's header first and refuses, before decoding anything, a run
//! whose output a WAV file cannot hold, whose output would be empty, or whose estimated
//! memory exceeds the limit ([`DEFAULT_MAX_MEMORY`], or `GAR_MAX_MEMORY`); then it
//! decodes with that limit and checks again with the true length.
//!
//! The limit is a [`MemoryBudget`] that every job of a process shares
//! ([`MemoryBudget::process`]): a job reserves its estimated peak before it decodes
//! and holds the [`Reservation`] until it ends, so that jobs running at the same time
//! (`gar batch`, the studio, Python threads) wait for one another instead of
//! together exceeding the limit. A job that alone exceeds the limit is refused.

use crate::Cancel;
use crate::RunError;
use crate::error::param_error;
use crate::source::Input;
use anyhow::anyhow;
use gar_core::{ChannelMode, ParamError, Params, Preset, Settings};
use gar_io::{Bits, DecodeError, Decoded, bytes_words};
use std::path::Path;

/// Default ceiling on a run's estimated peak memory: 8 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 8 << 30;
/// The environment variable that sets another ceiling (`16G`, `500M`, `unlimited`).
pub const MEMORY_ENV: &str = "GAR_MAX_MEMORY";
const GIB: f64 = (1u64 << 30) as f64;
/// Fixed overhead of a run (binary, thread stacks, decoder and encoder buffers).
const BASE_MEMORY: u64 = 64 << 20;

/// Parses a size: bytes, or a number with a binary suffix `K`, `M`, `G`, `T` (`KiB`,
/// `MB`, ... accepted), case-insensitive; `unlimited` / `none` for no limit.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    if t == "unlimited" || t == "none" {
        return Some(u64::MAX);
    }
    let t = t.trim_end_matches('b').trim_end_matches('i');
    let (num, shift) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 10),
        'm' => (&t[..t.len() - 1], 20),
        'g' => (&t[..t.len() - 1], 30),
        't' => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let v: f64 = num.trim().parse().ok()?;
    let bytes = v * (1u64 << shift) as f64;
    (1.0..1.8e19).contains(&bytes).then_some(bytes as u64)
}

/// The memory ceiling in force: `GAR_MAX_MEMORY` if set (a bad value is a usage error),
/// else [`DEFAULT_MAX_MEMORY`].
pub fn max_memory() -> Result<u64, RunError> {
    // Read once per call: `MemoryBudget::process` caches it for the process.
    match std::env::var(MEMORY_ENV) {
        Ok(v) => parse_size(&v).ok_or_else(|| {
            RunError::Usage(format!(
                "{MEMORY_ENV}={v:?} is not a size; expected e.g. 16G, 500M, 8589934592 or \
                 unlimited"
            ))
        }),
        Err(_) => Ok(DEFAULT_MAX_MEMORY),
    }
}

/// Memory shared by every job of a process (see the module documentation).
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

/// A job's share of a [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.lock();
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

impl Reservation<'_> {
    /// The bytes reserved.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> MemoryBudget {
        MemoryBudget {
            limit,
            used: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
        }
    }

    /// The process's budget: `GAR_MAX_MEMORY` (read once, at first use) or
    /// [`DEFAULT_MAX_MEMORY`]. A bad `GAR_MAX_MEMORY` is an error every time.
    pub fn process() -> Result<&'static MemoryBudget, RunError> {
        static BUDGET: std::sync::OnceLock<Result<MemoryBudget, String>> =
            std::sync::OnceLock::new();
        match BUDGET.get_or_init(|| {
            max_memory()
                .map(MemoryBudget::new)
                .map_err(|e| e.to_string())
        }) {
            Ok(b) => Ok(b),
            Err(m) => Err(RunError::Usage(m.clone())),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The bytes reserved now by every job.
    pub fn in_use(&self) -> u64 {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `bytes` (at most the limit: a larger request is the caller's to refuse
    /// with its own message), waiting while other jobs hold too much of the budget;
    /// gives up if `cancel` is set while waiting.
    pub fn reserve(&self, bytes: u64, cancel: &Cancel) -> Result<Reservation<'_>, RunError> {
        let bytes = bytes.min(self.limit);
        let mut used = self.lock();
        while used.saturating_add(bytes) > self.limit {
            if cancel.is_cancelled() {
                return Err(RunError::Cancelled);
            }
            used = self
                .freed
                .wait_timeout(used, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *used += bytes;
        Ok(Reservation {
            budget: self,
            bytes,
        })
    }
}

/// What a command will write besides the WAV (they cost memory too).
#[derive(Clone, Copy, Debug, Default)]
pub struct Wants<'a> {
    /// The output WAV and its sample format (`gar render`); `None` for `gar analyze`.
    pub output: Option<(&'a Path, Bits)>,
    pub json: bool,
    pub csv: bool,
    /// The picture's size in pixels.
    pub plot: Option<(u32, u32)>,
}

/// What is known of the input: from its header before decoding, or after.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub sample_rate: u32,
    pub channels: usize,
    /// Frames, if known.
    pub frames: Option<u64>,
    /// True if `frames` is exact (decoded, or a WAV/AIFF/FLAC header).
    pub exact: bool,
}

/// The estimated peak memory of a run, by part (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// The decoded input, 32-bit samples.
    pub input: u64,
    /// The analysis' buffers for mixing several channels, freed before rendering.
    pub analysis: u64,
    /// The rendered output held in memory (or the streaming blocks), and the mono wet
    /// source for `--channels mono`.
    pub render: u64,
    /// Plan, placements, per-candidate arrays, report copies, JSON/CSV text, picture.
    pub plan: u64,
}

impl Footprint {
    pub fn total(&self) -> u64 {
        BASE_MEMORY
            .saturating_add(self.input)
            .saturating_add(self.plan)
            .saturating_add(self.analysis.max(self.render))
    }
}

/// Whether a run renders in memory (one pass) rather than streamed (two passes, block
/// by block): outputs up to 1.5x the decoded input + 64 MB (at most 2 GB of 32-bit
/// samples), or up to 2 GB when the picture needs the output. `GAR_STREAM=1` forces
/// streaming.
pub fn renders_in_memory(out_bytes: u64, in_bytes: u64, picture: bool) -> bool {
    let limit = (in_bytes + in_bytes / 2 + (64 << 20)).min(2 << 30);
    let force_stream = std::env::var_os("GAR_STREAM").is_some_and(|v| v == "1");
    (out_bytes <= limit || (picture && out_bytes <= 2 << 30)) && !force_stream
}

/// Estimates the peak memory of a run on `frames` x `channels` of input with `s`.
pub fn footprint(s: &Settings, channels: usize, frames: u64, wants: &Wants) -> Footprint {
    let ch = channels as u64;
    let input = frames.saturating_mul(ch).saturating_mul(4);
    // The analysis mixes several channels per group of candidates, in one
    // small buffer per thread (64 candidate hops plus a grain of samples).
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let analysis = if channels > 1 {
        let group =
            (64.0 * s.cand_hop_s() * f64::from(s.sample_rate)) as u64 + s.grain_len() as u64;
        threads.saturating_mul(group.min(frames)).saturating_mul(4)
    } else {
        0
    };
    // `--channels mono` renders from the full-length mono mix.
    let mix = if channels > 1 {
        frames.saturating_mul(4)
    } else {
        0
    };
    let out_ch = s.output_channels(channels);
    let out_bytes = (s.output_len() as u64)
        .saturating_mul(out_ch as u64)
        .saturating_mul(4);
    let render = if wants.output.is_none() {
        0
    } else if renders_in_memory(out_bytes, input, wants.plot.is_some()) {
        out_bytes
    } else {
        // The renderer's block buffers (two batches) and scratch.
        gar_core::render::stream_memory_bytes(out_ch)
    };
    let wet_mix = if s.channels == ChannelMode::Mono {
        mix
    } else {
        0
    };
    let hops = gar_core::plan::max_hops(s) as u64;
    let plans = if s.channels == ChannelMode::Independent {
        ch.max(1)
    } else {
        1
    };
    // With a spread, each hop also keeps its pan (4 B, 12 B of JSON).
    let pan_bytes = if s.spreads() { 4 + 12 } else { 0 };
    let cands = gar_core::analysis::candidate_count(s) as u64;
    // Per hop: the plan (16 B), its placement (40 B), the report's copy (16 B), slack;
    // JSON/CSV text (grown by doubling). Per candidate: start, power, score, probability,
    // sampler tables, usage, report copies; text.
    // Each varying parameter keeps its value per hop (8 B, 24 B in the JSON).
    let varying = s
        .curves
        .list()
        .iter()
        .filter(|(_, c)| c.constant_value().is_none())
        .count() as u64
        + 1;
    let mut per_hop = 96 + 8 * varying + pan_bytes;
    let mut per_cand = 160;
    if wants.json {
        per_hop += 160 + 24 * varying;
        per_cand += 400;
    }
    if wants.csv {
        per_hop += 120;
        per_cand += 200;
    }
    let picture = wants
        .plot
        .map_or(0, |(w, h)| u64::from(w) * u64::from(h) * 16 + (64 << 20));
    Footprint {
        input,
        analysis,
        render: render.saturating_add(wet_mix),
        // One plan (and analysis) per channel with `channels independent`.
        plan: hops
            .saturating_mul(per_hop)
            .saturating_add(cands.saturating_mul(per_cand))
            .saturating_mul(plans)
            .saturating_add(picture),
    }
}

/// Checks a run on an input of `shape` against the limits: parameters that the source
/// cannot take (too short), an empty output, an output larger than a WAV file can hold,
/// an estimated peak memory above `max_memory`. Cheap: nothing is decoded or allocated.
pub fn check_run(
    input: &Path,
    shape: &Shape,
    params: &Params,
    preset: Preset,
    wants: &Wants,
    max_memory: u64,
) -> Result<Option<u64>, RunError> {
    let sr = shape.sample_rate;
    let Some(frames) = shape.frames else {
        // Length unknown until decoded (a pipe, or no frame count in the header): only
        // an explicit --duration can be checked now, on a source long enough for any
        // grain (the output length and channels do not depend on the source's length).
        if let (Some(d), Some((path, bits))) = (params.duration_s, wants.output)
            && d.is_finite()
            && d > 0.0
            && let Ok(s) = params.resolve(preset, sr, sr.max(1) as usize * 2)
        {
            let out_len = (d * f64::from(sr)).round();
            let out_ch = s.output_channels(shape.channels);
            check_output_len(out_len, sr, out_ch, bits, path, params)?;
        }
        return Ok(None);
    };
    let len = usize::try_from(frames).unwrap_or(usize::MAX);
    let s = match params.resolve(preset, sr, len) {
        Ok(s) => s,
        // An estimated length may be short of the truth: decide after decoding.
        Err(ParamError::SourceTooShort { .. }) if !shape.exact => return Ok(None),
        Err(e) => return Err(param_error(e, input)),
    };
    if let Some((path, bits)) = wants.output {
        let out_ch = s.output_channels(shape.channels);
        check_output_len(s.output_len() as f64, sr, out_ch, bits, path, params)?;
    }
    let f = footprint(&s, shape.channels, frames, wants);
    if f.total() > max_memory {
        let secs = frames as f64 / f64::from(sr.max(1));
        return Err(RunError::Failed(anyhow!(
            "{}: this run would need about {} of memory ({:.0} s of {}-channel audio take {} \
             decoded, {} for the analysis or the output, {} for the plan and reports); the \
             limit is {}. Set {MEMORY_ENV} (e.g. {MEMORY_ENV}=32G) to allow more, or use a \
             shorter input or --duration",
            input.display(),
            bytes_words(f.total()),
            secs,
            shape.channels,
            bytes_words(f.input),
            bytes_words(f.analysis.max(f.render)),
            bytes_words(f.plan),
            bytes_words(max_memory)
        )));
    }
    Ok(Some(f.total()))
}

/// Refuses an output of no samples, or one too large for a WAV file.
fn check_output_len(
    out_len: f64,
    sr: u32,
    out_ch: usize,
    bits: Bits,
    path: &Path,
    params: &Params,
) -> Result<(), RunError> {
    if out_len < 1.0 {
        let d = params.duration_s.unwrap_or(0.0);
        return Err(RunError::Usage(format!(
            "--duration {d:e} s gives no output sample at {sr} Hz; expected at least {:e} s",
            1.0 / f64::from(sr.max(1))
        )));
    }
    let frames = if out_len >= usize::MAX as f64 {
        usize::MAX
    } else {
        out_len as usize
    };
    if gar_io::check_wav_size(path, sr, out_ch, frames, bits).is_err() {
        let bytes_per_s = f64::from(sr) * out_ch as f64 * f64::from(bits.bits_per_sample() / 8);
        let max_s = (gar_io::MAX_WAV_DATA_BYTES as f64 / bytes_per_s).floor();
        let format = match bits {
            Bits::I16 => "16-bit",
            Bits::I24 => "24-bit",
            Bits::F32 => "32-bit float",
        };
        let mut ways = Vec::new();
        if bits != Bits::I16 {
            ways.push("--bits 16".to_string());
        }
        if out_ch > 1 {
            ways.push("--channels mono".to_string());
        }
        ways.push(format!("--duration {max_s:.0} or less"));
        let msg = format!(
            "{}: {:.0} s of {out_ch}-channel {format} audio at {sr} Hz would be {:.3} GiB, more \
             than a WAV file can hold ({:.3} GiB of samples, here at most {max_s:.0} s); use {}",
            path.display(),
            out_len / f64::from(sr),
            out_len * bytes_per_s / f64::from(sr) / GIB,
            gar_io::MAX_WAV_DATA_BYTES as f64 / GIB,
            ways.join(" or "),
        );
        // The user's --duration asked for it: a usage error; the input's own length: not.
        return Err(if params.duration_s.is_some() {
            RunError::Usage(msg)
        } else {
            RunError::Failed(anyhow!(msg))
        });
    }
    Ok(())
}

/// Reads the input for a run: header first (refusing what cannot work, before any
/// decoding), then reserves the run's estimated peak memory in `budget` (waiting for
/// other jobs if need be), then decodes under the limit, then checks again with the
/// true length (reserving the difference if the estimate was short). The
/// reservations are the run's until it drops them.
pub fn load<'b>(
    source: &Input,
    params: &Params,
    preset: Preset,
    wants: &Wants,
    budget: &'b MemoryBudget,
    cancel: &Cancel,
) -> Result<(Decoded, Vec<Reservation<'b>>), RunError> {
    let input = source.label();
    let max = budget.limit();
    let decode_failure = |e: DecodeError| {
        let hint = matches!(e, DecodeError::TooLong { .. });
        RunError::Failed(if hint {
            anyhow!("{e}. Set {MEMORY_ENV} (e.g. {MEMORY_ENV}=32G) to allow more")
        } else {
            anyhow!(e)
        })
    };
    let probed = match source {
        Input::File(p) => gar_io::probe_file(p).map_err(decode_failure)?,
        Input::Stdin => None,
    };
    let mut held = Vec::new();
    if let Some(info) = probed {
        let shape = Shape {
            sample_rate: info.sample_rate,
            channels: info.channels,
            frames: info.frames,
            exact: info.frames_exact,
        };
        if let Some(bytes) = check_run(input, &shape, params, preset, wants, max)? {
            held.push(budget.reserve(bytes, cancel)?);
        }
    }
    if cancel.is_cancelled() {
        return Err(RunError::Cancelled);
    }
    let limits = gar_io::DecodeLimits {
        max_decoded_bytes: max,
    };
    let d = match source {
        Input::File(p) => gar_io::decode_file_with(p, &limits),
        Input::Stdin => gar_io::decode_reader_with(std::io::stdin(), input, &limits),
    }
    .map_err(decode_failure)?;
    let shape = Shape {
        sample_rate: d.sample_rate,
        channels: d.channels.len(),
        frames: Some(d.frames as u64),
        exact: true,
    };
    if let Some(bytes) = check_run(input, &shape, params, preset, wants, max)? {
        let have: u64 = held.iter().map(Reservation::bytes).sum();
        if bytes > have {
            held.push(budget.reserve(bytes - have, cancel)?);
        }
    }
    Ok((d, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_makes_jobs_wait_for_one_another() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let budget = MemoryBudget::new(100);
        let cancel = Cancel::default();
        let peak = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let r = budget.reserve(60, &cancel).unwrap();
                        peak.fetch_max(budget.in_use(), Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        drop(r);
                    }
                });
            }
        });
        // Two jobs of 60 never held the budget of 100 at once.
        assert_eq!(peak.load(Ordering::SeqCst), 60);
        assert_eq!(budget.in_use(), 0);
        // A waiting job gives up when cancelled.
        let held = budget.reserve(100, &cancel).unwrap();
        let c = Cancel::default();
        c.cancel();
        assert!(matches!(budget.reserve(1, &c), Err(RunError::Cancelled)));
        drop(held);
        assert!(budget.reserve(1, &c).is_ok());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size("8gib"), Some(8 << 30));
        assert_eq!(parse_size("8GB"), Some(8 << 30));
        assert_eq!(parse_size(" 512M "), Some(512 << 20));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("unlimited"), Some(u64::MAX));
        for bad in ["", "G", "-1G", "0", "nan", "inf", "1e40", "8X", "eight"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    fn settings(channels: ChannelMode, seconds: f64, duration: Option<f64>) -> Settings {
        let p = Params {
            channels,
            duration_s: duration,
            ..Params::default()
        };
        p.resolve(Preset::Custom, 48_000, (seconds * 48_000.0) as usize)
            .unwrap()
    }

    #[test]
    fn footprint_counts_input_mix_and_output() {
        let wants = Wants {
            output: Some((Path::new("o.wav"), Bits::I24)),
            ..Wants::default()
        };
        // 3 hours of stereo at 48 kHz: 4.1 GB decoded, a few MB of analysis mix, streamed.
        let frames = 3 * 3600 * 48_000u64;
        let s = settings(ChannelMode::Linked, 3.0 * 3600.0, None);
        let f = footprint(&s, 2, frames, &wants);
        assert_eq!(f.input, frames * 8);
        assert!(f.analysis > 0 && f.analysis < 64 << 20, "{f:?}");
        assert!(f.render < 256 << 20, "{f:?}");
        assert!(f.total() < DEFAULT_MAX_MEMORY, "{}", f.total());
        assert!(f.total() > 4_000_000_000, "{}", f.total());
        // Mono output from stereo keeps the mono wet source while rendering.
        let s = settings(ChannelMode::Mono, 60.0, None);
        let f = footprint(&s, 2, 60 * 48_000, &wants);
        assert_eq!(f.render, 60 * 48_000 * 4 * 2, "in memory + wet mix: {f:?}");
        // A day of 1 ms hops is 86 M hops: the plan alone is several GB.
        let p = Params {
            hop_ms: gar_core::Envelope::from(1.0),
            duration_s: Some(86_400.0),
            ..Params::default()
        };
        let s = p.resolve(Preset::Custom, 8000, 8000).unwrap();
        assert!(footprint(&s, 1, 8000, &wants).plan > 8_000_000_000);
    }
}
