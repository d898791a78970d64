//! The session's memory: the sounds and the renders kept, each within its
//! limit ([`crate::Limits`]), with a sentence for every refusal.
//!
//! Sounds: at most `max_sounds` and `max_total_sound_bytes` decoded; a new
//! upload replaces the oldest uploads
//! (with its renders), never a file named on the command line. Renders: the
//! last `max_renders` are kept (their parameters, plan and report); the
//! outputs of the newest `max_audio_renders` are held, within
//! `max_audio_bytes`, and an older render's output is rendered again (bit
//! for bit: same parameters, same seed) when asked for. The buffers of an
//! output let go of serve the next render of the same length ([`Pool`]).

use crate::Limits;
use crate::render::{self, Resolved};
use crate::view::{self, Overview, RunView};
use crate::wav::{Audio, Pool};
use gar_core::{AnalysisCache, Prepared, Report};
use gar_io::Decoded;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Where a sound came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "path")]
pub enum Origin {
    /// A file named on the command line (its absolute path).
    File(String),
    Upload,
    BuiltIn,
}

/// A decoded sound and its analyses.
pub struct Sound {
    pub id: u64,
    pub name: String,
    pub origin: Origin,
    pub decoded: Decoded,
    /// Analyses of this sound kept for reuse (see `gar_core::prepare_cached`).
    pub cache: AnalysisCache,
    pub overview: Overview,
    /// The sound as a 24-bit WAV for the page's player, made when first asked.
    wav: OnceLock<Arc<Vec<u8>>>,
}

impl Sound {
    pub fn channels(&self) -> Vec<&[f32]> {
        self.decoded.channels.iter().map(|c| c.as_slice()).collect()
    }

    /// What the page shows of it.
    pub fn info(&self) -> serde_json::Value {
        let d = &self.decoded;
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "sample_rate": d.sample_rate,
            "channels": d.channels.len(),
            "frames": d.frames,
            "duration_s": d.frames as f64 / d.sample_rate as f64,
            "warnings": d.warnings,
        })
    }

    /// [`Sound::info`] with the waveform's overview, as JSON text (f32 digits).
    pub fn info_with_overview(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct WithOverview<'a> {
            #[serde(flatten)]
            info: serde_json::Value,
            overview: &'a Overview,
        }
        serde_json::to_vec(&WithOverview {
            info: self.info(),
            overview: &self.overview,
        })
        .unwrap_or_default()
    }

    /// The source as a 24-bit WAV (exact for sources of 24 bits or fewer).
    pub fn wav(&self) -> Result<Arc<Vec<u8>>, String> {
        if let Some(w) = self.wav.get() {
            return Ok(w.clone());
        }
        let chans = self.channels();
        let mut buf = Vec::with_capacity(64 + self.decoded.frames * chans.len() * 3);
        let mut w = gar_io::WavWriter::new(
            &mut buf,
            std::path::Path::new(&self.name),
            self.decoded.sample_rate,
            chans.len(),
            self.decoded.frames,
            gar_io::Bits::I24,
        )
        .map_err(|e| e.to_string())?;
        w.write(&chans).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
        Ok(self.wav.get_or_init(|| Arc::new(buf)).clone())
    }

    fn bytes(&self) -> u64 {
        (self.decoded.frames * self.decoded.channels.len() * 4) as u64
    }
}

/// One render of the history.
pub struct Render {
    pub id: u64,
    pub sound: Arc<Sound>,
    pub request: render::Request,
    pub resolved: Resolved,
    pub prepared: Prepared,
    pub report: Report,
    pub command: String,
    pub wave: Overview,
    pub view: RunView,
    pub gain: f32,
    pub reused_analysis: bool,
    pub timings_ms: serde_json::Map<String, serde_json::Value>,
    /// The output, while the audio budget holds it.
    audio: Mutex<Option<Arc<Audio>>>,
}

impl Render {
    /// The summary the history lists.
    pub fn info(&self) -> serde_json::Value {
        let s = &self.prepared.settings;
        serde_json::json!({
            "id": self.id,
            "sound": self.sound.id,
            "sound_name": self.sound.name,
            "preset": self.resolved.preset.id(),
            "params": self.request.params,
            "seed": self.resolved.seed,
            "bits": self.resolved.bits.to_string(),
            "duration_s": s.duration_s,
            "command": self.command,
            "file_name": render::output_name(&self.sound, self.resolved.preset),
        })
    }

    /// Everything the page draws and lists for this render, as JSON text
    /// (serialised from the structs, so that the f32 arrays keep their short
    /// f32 digits: half the size of the same numbers as f64).
    pub fn full(&self) -> Vec<u8> {
        let s = &self.prepared.settings;
        let full = Full {
            info: self.info(),
            sample_rate: s.sample_rate,
            channels: s.output_channels(self.sound.decoded.channels.len()),
            frames: s.output_len(),
            warnings: &self.report.warnings,
            adjustments: &self.report.adjustments,
            level: &self.report.level,
            reused_analysis: self.reused_analysis,
            timings_ms: &self.timings_ms,
            wave: &self.wave,
            source_rms_db: self.sound.overview.rms_db,
            view: &self.view,
        };
        serde_json::to_vec(&full).unwrap_or_default()
    }

    /// The output (rendered again, bit for bit, if the budget dropped it).
    pub fn audio(&self, store: &Store) -> Result<Arc<Audio>, render::Error> {
        if let Some(a) = lock(&self.audio).clone() {
            return Ok(a);
        }
        let _turn = lock(&store.render_lock);
        // A render asked for again is never superseded.
        let (a, _) = render::render_audio(
            &self.sound,
            &self.prepared,
            self.resolved.bits,
            &store.pool,
            &|| false,
        )?;
        let a = Arc::new(a);
        *lock(&self.audio) = Some(a.clone());
        store.trim_audio();
        Ok(a)
    }

    /// Whether the output is held in memory now.
    pub fn holds_audio(&self) -> bool {
        lock(&self.audio).is_some()
    }

    /// The finished output samples (for the picture), rendered again.
    pub fn samples(&self) -> Vec<gar_core::SampleBuf> {
        gar_core::render_prepared(&self.prepared, &self.sound.channels()).0
    }
}

#[derive(Serialize)]
struct Full<'a> {
    #[serde(flatten)]
    info: serde_json::Value,
    sample_rate: u32,
    channels: usize,
    frames: usize,
    warnings: &'a [String],
    adjustments: &'a [String],
    level: &'a Option<gar_core::report::LevelReport>,
    reused_analysis: bool,
    timings_ms: &'a serde_json::Map<String, serde_json::Value>,
    wave: &'a Overview,
    source_rms_db: f64,
    view: &'a RunView,
}

/// A mutex's contents, even after a panic elsewhere (each request is its own
/// unit: a panic in one must not take the session down).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Inner {
    sounds: Vec<Arc<Sound>>,
    renders: VecDeque<Arc<Render>>,
    next_id: u64,
}

/// The sounds and renders of the session.
pub struct Store {
    pub limits: Limits,
    inner: Mutex<Inner>,
    /// One render at a time (the machine's cores go to it).
    pub render_lock: Mutex<()>,
    lanes: Mutex<HashMap<String, u64>>,
    tickets: std::sync::atomic::AtomicU64,
    /// Buffers of outputs let go of, for the next renders.
    pub pool: Arc<Pool>,
    /// What the renders asked for with a key have come to.
    pub keys: Keys,
}

/// What a render asked for with a client's key has come to (the page names
/// its render requests, so that its player can ask for the output before
/// the render's answer is back: `GET api/keys/KEY/output.wav`).
#[derive(Clone)]
pub enum Keyed {
    /// Asked for, not rendered yet.
    Pending,
    /// Rendered; the report and the views are being made.
    Audio(Arc<Audio>),
    /// Kept in the history as this render.
    Done(u64),
    /// Refused (a parameter error, superseded by a newer render: 409, ...).
    Failed(u16, String),
}

/// The last keys asked for and their outcomes.
#[derive(Default)]
pub struct Keys {
    map: Mutex<VecDeque<(String, Keyed)>>,
    changed: Condvar,
    /// Requests waiting now (each holds one of the server's workers).
    waiting: std::sync::atomic::AtomicUsize,
}

/// At most this many requests wait for a key at once (the server has 16
/// workers by default; the others stay free for everything else).
pub const MAX_WAITING: usize = 6;

/// Keys remembered.
const MAX_KEYS: usize = 256;

impl Keys {
    /// Whether `k` is a key a page may send: 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub fn valid(k: &str) -> bool {
        (1..=64).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// Records `k`'s state (the oldest keys are forgotten past 256).
    pub fn set(&self, k: &str, state: Keyed) {
        let mut g = lock(&self.map);
        match g.iter_mut().find(|(a, _)| a == k) {
            Some(e) => e.1 = state,
            None => {
                g.push_back((k.to_string(), state));
                while g.len() > MAX_KEYS {
                    g.pop_front();
                }
            }
        }
        drop(g);
        self.changed.notify_all();
    }

    /// Marks `k` failed with `status` if it has not come to anything else.
    pub fn fail_if_pending(&self, k: &str, status: u16, message: String) {
        let pending = lock(&self.map)
            .iter()
            .any(|(a, s)| a == k && matches!(s, Keyed::Pending));
        if pending {
            self.set(k, Keyed::Failed(status, message));
        }
    }

    /// Waits until `k` has come to something other than pending: at most
    /// `unknown` for its render request to arrive, at most `total` in all.
    /// `None` when it did not; a 503 when [`MAX_WAITING`] requests wait
    /// already.
    pub fn wait(&self, k: &str, unknown: Duration, total: Duration) -> Option<Keyed> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.waiting.fetch_add(1, SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, SeqCst);
            return Some(Keyed::Failed(
                503,
                "too many players are waiting for renders; ask again when one is done".into(),
            ));
        }
        let r = self.wait_turn(k, unknown, total);
        self.waiting.fetch_sub(1, SeqCst);
        r
    }

    fn wait_turn(&self, k: &str, unknown: Duration, total: Duration) -> Option<Keyed> {
        let t0 = Instant::now();
        let mut g = lock(&self.map);
        loop {
            let state = g.iter().find(|(a, _)| a == k).map(|(_, s)| s.clone());
            let limit = match state {
                Some(Keyed::Pending) => total,
                Some(s) => return Some(s),
                None => unknown,
            };
            let left = limit.checked_sub(t0.elapsed())?;
            g = self
                .changed
                .wait_timeout(g, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Store {
    pub fn new(limits: Limits) -> Store {
        Store {
            limits: limits.clone(),
            inner: Mutex::new(Inner {
                next_id: 1,
                ..Inner::default()
            }),
            render_lock: Mutex::new(()),
            lanes: Mutex::new(HashMap::new()),
            tickets: std::sync::atomic::AtomicU64::new(1),
            pool: Arc::new(Pool::new(limits.max_audio_bytes / 4)),
            keys: Keys::default(),
        }
    }

    /// Adds a sound; returns it and the names of the uploads it replaced.
    pub fn add_sound(
        &self,
        name: String,
        decoded: Decoded,
        origin: Origin,
    ) -> Result<(Arc<Sound>, Vec<String>), String> {
        let chans: Vec<&[f32]> = decoded.channels.iter().map(|c| c.as_slice()).collect();
        let overview = view::overview(&chans, 1.0);
        let mut g = lock(&self.inner);
        let mut evicted = Vec::new();
        let new_bytes = (decoded.frames * decoded.channels.len() * 4) as u64;
        loop {
            let held: u64 = g.sounds.iter().map(|s| s.bytes()).sum();
            let full = g.sounds.len() >= self.limits.max_sounds
                || held + new_bytes > self.limits.max_total_sound_bytes;
            if !full {
                break;
            }
            let Some(i) = g.sounds.iter().position(|s| s.origin == Origin::Upload) else {
                return Err(format!(
                    "no room: the studio holds at most {} sounds and {} of decoded audio, and \
                     the sounds it holds were named on the command line",
                    self.limits.max_sounds,
                    gar_io::bytes_words(self.limits.max_total_sound_bytes)
                ));
            };
            let s = g.sounds.remove(i);
            g.renders.retain(|r| r.sound.id != s.id);
            evicted.push(s.name.clone());
        }
        let id = g.next_id;
        g.next_id += 1;
        let s = Arc::new(Sound {
            id,
            name,
            origin,
            decoded,
            cache: AnalysisCache::new(6),
            overview,
            wav: OnceLock::new(),
        });
        g.sounds.push(s.clone());
        Ok((s, evicted))
    }

    pub fn sounds(&self) -> Vec<Arc<Sound>> {
        lock(&self.inner).sounds.clone()
    }

    pub fn sound(&self, id: u64) -> Option<Arc<Sound>> {
        lock(&self.inner)
            .sounds
            .iter()
            .find(|s| s.id == id)
            .cloned()
    }

    pub fn renders(&self) -> Vec<Arc<Render>> {
        lock(&self.inner).renders.iter().cloned().collect()
    }

    pub fn render(&self, id: u64) -> Option<Arc<Render>> {
        lock(&self.inner)
            .renders
            .iter()
            .find(|r| r.id == id)
            .cloned()
    }

    /// A ticket for a render of `lane`: later tickets supersede it.
    pub fn ticket(&self, lane: &str) -> u64 {
        let t = self
            .tickets
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        lock(&self.lanes).insert(lane.to_string(), t);
        t
    }

    /// Whether `ticket` is still the newest of `lane`.
    pub fn current(&self, lane: &str, ticket: u64) -> bool {
        lock(&self.lanes).get(lane).is_none_or(|&t| t == ticket)
    }

    /// Renders `req` and keeps the result (the caller holds the render lock).
    /// A request with a key publishes its output under the key as soon as it
    /// is rendered, then the render's id. `stop` is asked before each block of
    /// output; once it says stop, the render is abandoned (409).
    pub fn render_new(
        &self,
        sound: Arc<Sound>,
        request: render::Request,
        resolved: Resolved,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Arc<Render>, render::Error> {
        let key = request.key.clone();
        let publish = |a: &Arc<Audio>| {
            if let Some(k) = &key {
                self.keys.set(k, Keyed::Audio(a.clone()));
            }
        };
        let out = render::run(
            &sound,
            &resolved,
            self.limits.max_output_bytes,
            &self.pool,
            &publish,
            stop,
        )?;
        let command = render::command_line(&sound, &resolved);
        let gain = out.gain;
        let mut g = lock(&self.inner);
        let id = g.next_id;
        g.next_id += 1;
        let r = Arc::new(Render {
            id,
            sound,
            request,
            resolved,
            prepared: out.prepared,
            report: out.report,
            command,
            wave: out.wave,
            view: out.view,
            gain,
            reused_analysis: out.reused_analysis,
            timings_ms: out.timings_ms,
            audio: Mutex::new(Some(out.audio)),
        });
        g.renders.push_back(r.clone());
        while g.renders.len() > self.limits.max_renders {
            g.renders.pop_front();
        }
        drop(g);
        if let Some(k) = &key {
            self.keys.set(k, Keyed::Done(id));
        }
        self.trim_audio();
        Ok(r)
    }

    /// Drops the outputs of the oldest renders past the audio budget (bytes
    /// and renders; the newest render keeps its output).
    fn trim_audio(&self) {
        let g = lock(&self.inner);
        let mut total = 0u64;
        let mut held = 0usize;
        let mut dropped = Vec::new();
        for r in g.renders.iter().rev() {
            let mut w = lock(&r.audio);
            if let Some(b) = w.as_ref() {
                total += b.memory();
                held += 1;
                if (total > self.limits.max_audio_bytes || held > self.limits.max_audio_renders)
                    && !Arc::ptr_eq(r, g.renders.back().unwrap_or(r))
                {
                    dropped.extend(w.take());
                }
            }
        }
        drop(g);
        // Let go of outside the locks (the buffers go to the pool).
        drop(dropped);
    }

    /// The memory the outputs hold now, bytes (for tests of the budget).
    pub fn audio_bytes(&self) -> u64 {
        lock(&self.inner)
            .renders
            .iter()
            .filter_map(|r| lock(&r.audio).as_ref().map(|b| b.memory()))
            .sum()
    }
}
