//! Rendering a plan: varispeed, one Hann window per grain, overlap-add and the
//! envelope division (docs/algorithm.md, section 7).
//!
//! The output is processed in fixed-size time blocks in parallel. Within a block
//! every sample receives its grains in one fixed order (grains sorted by output
//! position, then hop), so the result is bit-identical for any thread count and
//! any block size. The overlap envelope never exists at full length: a first
//! pass finds its maximum block by block, the second pass rebuilds it per block
//! while it adds the grains, so memory stays at the output buffer itself.

use crate::analysis::Analysis;
use crate::buffer::SampleBuf;
use crate::finish;
use crate::params::Settings;
use crate::plan::Plan;
use crate::varispeed::{Varispeed, shifted_len};
use crate::window::fill_hann;
use rayon::prelude::*;

/// Block length of the parallel overlap-add, frames.
pub const BLOCK: usize = 1 << 15;

/// Blocks rendered together per batch by [`RenderJob::stream`]: two per thread.
pub fn stream_batch() -> usize {
    2 * rayon::current_num_threads().max(1)
}

/// Peak memory of the block buffers of [`RenderJob::stream`] for
/// `out_channels` channels, bytes: two batches of blocks (one rendered, one
/// handed to the sink), plus per-thread scratch of about one block.
pub fn stream_memory_bytes(out_channels: usize) -> u64 {
    let block = (BLOCK * 4) as u64;
    let threads = rayon::current_num_threads().max(1) as u64;
    2 * stream_batch() as u64 * out_channels as u64 * block + threads * 3 * block
}
/// Grains shorter than this (seconds) are not windowed (docs/algorithm.md, section 7.3).
const MIN_WINDOW_S: f64 = 0.0005;
/// Most window samples kept in tables (32 MB).
const WINDOW_TABLE_FLOATS: usize = 8 << 20;

/// The Hann window of `w.len()`, or a flat one below the minimum length.
fn window_into(w: &mut [f32], min_len: usize) {
    if w.len() < min_len {
        w.fill(1.0);
    } else {
        fill_hann(w);
    }
}

/// Where one planned grain lands in the output buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Output position `p`, frames.
    pub at: usize,
    /// Length after varispeed `L'`, frames.
    pub len: usize,
    /// Source position `s_i`, frames.
    pub src: usize,
    /// Speed ratio `2^(shift / 12)` (exactly 1 without pitch jitter).
    pub ratio: f64,
    /// Gains of the two output channels from the grain's pan (section 14);
    /// `[1, 1]` without spread.
    pub pan: [f32; 2],
}

/// How a pan position becomes two channel gains (docs/algorithm.md, section 14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanLaw {
    /// A mono grain: `gL = cos(pi/4 (1 + u))`, `gR = sin(pi/4 (1 + u))`.
    EqualPower,
    /// A stereo grain: `gL = min(1, 1 - u)`, `gR = min(1, 1 + u)`.
    Balance,
}

impl PanLaw {
    /// The two gains of pan position `u` in [-1, 1].
    pub fn gains(self, u: f64) -> [f32; 2] {
        match self {
            PanLaw::EqualPower => {
                let a = std::f64::consts::FRAC_PI_4 * (1.0 + u);
                [a.cos() as f32, a.sin() as f32]
            }
            PanLaw::Balance => [(1.0 - u).min(1.0) as f32, (1.0 + u).min(1.0) as f32],
        }
    }
}

/// The placements of a plan, sorted by output position (stable on hop order),
/// and the length of the buffer that holds them all.
pub fn placements(plan: &Plan, analysis: &Analysis, s: &Settings) -> (Vec<Placement>, usize) {
    placements_panned(plan, analysis, s, PanLaw::EqualPower)
}

/// [`placements`] with the plan's pans (if any) turned into gains by `law`.
pub fn placements_panned(
    plan: &Plan,
    analysis: &Analysis,
    s: &Settings,
    law: PanLaw,
) -> (Vec<Placement>, usize) {
    let sr = s.sample_rate as f64;
    let l = analysis.grain_len;
    let mut v: Vec<Placement> = (0..plan.hops())
        .map(|h| {
            let st = plan.pitch_st[h] as f64;
            let ratio = if st == 0.0 { 1.0 } else { 2f64.powf(st / 12.0) };
            let l = plan.len.get(h).map_or(l, |&l| l as usize);
            let len = if ratio == 1.0 {
                l
            } else {
                shifted_len(l, ratio)
            };
            let at = (plan.pos_s[h] * sr).round().max(0.0) as usize;
            Placement {
                at,
                len,
                src: analysis.start[plan.grain[h] as usize],
                ratio,
                pan: plan.pan.get(h).map_or([1.0, 1.0], |&u| law.gains(u as f64)),
            }
        })
        .collect();
    let buf_len = v.iter().map(|p| p.at + p.len).max().unwrap_or(0);
    v.sort_by_key(|p| p.at);
    (v, buf_len)
}

/// Range of placements that can touch `[a, b)`.
fn touching(pl: &[Placement], max_len: usize, a: usize, b: usize) -> std::ops::Range<usize> {
    let lo = pl.partition_point(|p| p.at + max_len <= a);
    let hi = pl.partition_point(|p| p.at < b);
    lo..hi.max(lo)
}

/// Per-thread scratch buffers, reused across grains and blocks.
#[derive(Default)]
struct Scratch {
    env: Vec<f32>,
    window: Vec<f32>,
    pad: Vec<f32>,
}

struct Renderer<'a> {
    pl: &'a [Placement],
    max_len: usize,
    /// Windows by length, ascending.
    windows: &'a [Vec<f32>],
    varispeed: Option<&'a Varispeed>,
    min_window_len: usize,
    /// Whether the placements' pan gains apply (two output channels).
    panned: bool,
}

impl Renderer<'_> {
    /// The window of a grain of length `len`: from the tables when there is
    /// one for that length, else computed into `scratch`.
    fn window<'s>(&'s self, len: usize, scratch: &'s mut Vec<f32>) -> &'s [f32] {
        match self.windows.binary_search_by_key(&len, |w| w.len()) {
            Ok(i) => &self.windows[i],
            Err(_) => {
                scratch.resize(len, 0.0);
                window_into(scratch, self.min_window_len);
                scratch
            }
        }
    }

    /// Adds the envelope of every grain touching `[a, a + env.len())` to `env`.
    fn envelope(&self, a: usize, env: &mut [f32], wscratch: &mut Vec<f32>) {
        let b = a + env.len();
        for p in &self.pl[touching(self.pl, self.max_len, a, b)] {
            let (k0, k1) = (a.saturating_sub(p.at), (b - p.at).min(p.len));
            if k0 >= k1 {
                continue;
            }
            let w = self.window(p.len, wscratch);
            let dst = &mut env[p.at + k0 - a..p.at + k1 - a];
            for (e, w) in dst.iter_mut().zip(&w[k0..k1]) {
                *e += w;
            }
        }
    }

    /// Renders one block of every channel (overlap-add, then envelope division).
    fn block(&self, a: usize, outs: &mut [&mut [f32]], io: &BlockIo, sc: &mut Scratch) {
        let BlockIo {
            srcs,
            dry,
            gain,
            env_floor,
            fin,
            out_len,
        } = *io;
        let n = outs.first().map_or(0, |o| o.len());
        let b = a + n;
        sc.env.clear();
        sc.env.resize(n, 0.0);
        // Write before reading: the fresh (calloc'd) output pages then fault in
        // once, as writable. A first read would map the shared zero page and the
        // later write would remap it, which costs a TLB shootdown on every
        // thread and made rendering slower on two threads than on one.
        for out in outs.iter_mut() {
            out.fill(0.0);
        }
        let one = [gain];
        let shared = srcs.len() == 2
            && outs.len() == 2
            && std::ptr::eq(srcs[0].as_ptr(), srcs[1].as_ptr())
            && srcs[0].len() == srcs[1].len();
        for p in &self.pl[touching(self.pl, self.max_len, a, b)] {
            let (k0, k1) = (a.saturating_sub(p.at), (b - p.at).min(p.len));
            if k0 >= k1 {
                continue;
            }
            let w = self.window(p.len, &mut sc.window);
            let w = &w[k0..k1];
            let o0 = p.at + k0 - a;
            for (e, w) in sc.env[o0..o0 + w.len()].iter_mut().zip(w) {
                *e += w;
            }
            // The pan gains multiply the source gain (exactly `gain` at 1).
            let gains;
            let g: &[f32] = if self.panned {
                gains = [gain * p.pan[0], gain * p.pan[1]];
                &gains
            } else {
                &one
            };
            if p.ratio == 1.0 && shared {
                // A mono source spread over two outputs: read it once.
                let seg = &srcs[0][p.src + k0..p.src + k1];
                let [oa, ob] = &mut *outs else { unreachable!() };
                let (ga, gb) = (g[0], g[1.min(g.len() - 1)]);
                let oa = &mut oa[o0..o0 + w.len()];
                let ob = &mut ob[o0..o0 + w.len()];
                for (((a, b), x), w) in oa.iter_mut().zip(ob.iter_mut()).zip(seg).zip(w) {
                    *a += x * ga * w;
                    *b += x * gb * w;
                }
            } else if p.ratio == 1.0 {
                for (c, (out, src)) in outs.iter_mut().zip(srcs).enumerate() {
                    let gain = g[c.min(g.len() - 1)];
                    let dst = &mut out[o0..o0 + w.len()];
                    let seg = &src[p.src + k0..p.src + k1];
                    for ((d, x), w) in dst.iter_mut().zip(seg).zip(w) {
                        *d += x * gain * w;
                    }
                }
            } else {
                let vs = self.varispeed.expect("varispeed tables");
                vs.read_add(srcs, p.src, p.ratio, k0, w, g, outs, o0, &mut sc.pad);
            }
        }
        for out in outs.iter_mut() {
            for (o, e) in out.iter_mut().zip(&sc.env) {
                *o /= e.max(env_floor);
            }
        }
        // Finishing, sample-local, on this block: the dry mix, then (without
        // the DC high-pass, which must run first) the fades.
        if let Some(curve) = fin.wet_curve {
            for (out, src) in outs.iter_mut().zip(dry) {
                finish::mix_dry_block_varying(out, src, a, curve, fin.sample_rate, fin.dry_gain);
            }
        } else if let Some(dryf) = finish::dry_factor(fin.wet, fin.dry_gain) {
            for (out, src) in outs.iter_mut().zip(dry) {
                finish::mix_dry_block(out, src, a, fin.wet, dryf);
            }
        }
        if !fin.dc_block {
            for out in outs.iter_mut() {
                finish::fade_block(out, a, out_len, fin.fade);
            }
        }
    }
}

/// What a block render reads besides the placements: the wet source and its
/// gain, the envelope floor, the finishing steps and the output length.
#[derive(Clone, Copy)]
struct BlockIo<'a> {
    /// The wet source of each output channel of the group.
    srcs: &'a [&'a [f32]],
    /// The dry signal of each output channel of the group.
    dry: &'a [&'a [f32]],
    gain: f32,
    env_floor: f32,
    fin: &'a Finishing<'a>,
    out_len: usize,
}

/// The sample-local part of finishing, done while each block is hot.
#[derive(Clone, Copy, Debug)]
pub struct Finishing<'a> {
    /// The dry signal per output channel (unscaled; padded with silence).
    pub dry: &'a [&'a [f32]],
    /// Wet share, 0..1 (at output time 0 when it varies).
    pub wet: f64,
    /// The wet share over output time, percent, when it varies (section 12):
    /// then it is evaluated at every output frame.
    pub wet_curve: Option<&'a crate::envelope::ResolvedEnvelope>,
    /// Gain of the dry signal: the source gain of section 2.
    pub dry_gain: f32,
    /// Edge fade length, frames (0 = none).
    pub fade: usize,
    /// Whether the DC high-pass runs (then the fades come after it).
    pub dc_block: bool,
    /// Sample rate, Hz (for the DC high-pass).
    pub sample_rate: u32,
    /// Whether to count samples beyond full scale (`--normalize none`).
    pub count_over: bool,
}

impl Finishing<'_> {
    /// No dry mix, no fades, no DC high-pass: the overlap-added wet signal.
    pub fn none() -> Finishing<'static> {
        Finishing {
            dry: &[],
            wet: 1.0,
            wet_curve: None,
            dry_gain: 1.0,
            fade: 0,
            dc_block: false,
            sample_rate: 1,
            count_over: false,
        }
    }
}

/// What the last finishing pass measured: the peak and the count of samples
/// beyond full scale (both before the level gain).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    pub peak: f32,
    pub over: u64,
}

impl Measured {
    /// The peak of `outs`, and (when `count`) the samples beyond full scale.
    fn of(outs: &[&mut [f32]], count: bool) -> Measured {
        Measured {
            peak: outs
                .iter()
                .map(|o| finish::block_peak(o))
                .fold(0.0, f32::max),
            over: if count {
                outs.iter().map(|o| finish::count_over(o)).sum()
            } else {
                0
            },
        }
    }
    fn max(self, o: Measured) -> Measured {
        Measured {
            peak: self.peak.max(o.peak),
            over: self.over + o.over,
        }
    }
}

/// The DC estimators of a job's output channels and, once known, each
/// channel's start and end values.
struct Dc {
    est: Vec<finish::DcEstimator>,
    head: Vec<Option<f64>>,
    tail: Vec<Option<f64>>,
}

/// One plan made ready to render into some of the output channels: its
/// grain placements, windows, varispeed tables and envelope floor.
struct Group {
    pl: Vec<Placement>,
    max_len: usize,
    windows: Vec<Vec<f32>>,
    varispeed: Option<Varispeed>,
    env_floor: f32,
    /// The output channels it renders: `first..first + count`.
    first: usize,
    count: usize,
    /// Whether the pan gains apply.
    panned: bool,
    /// The mix's fade-in over its first frames, where the envelope is under
    /// its floor (`wet * env / floor + dry`): the DC estimate follows it.
    ramp: Vec<f32>,
}

/// One plan of a [`RenderJob`]: the plan, its analysis (candidate starts and
/// grain length), and the output channels it renders.
#[derive(Clone, Copy, Debug)]
pub struct Part<'p> {
    pub plan: &'p Plan,
    pub analysis: &'p Analysis,
    /// First output channel and number of channels this plan renders.
    pub first: usize,
    pub count: usize,
    /// With a spread (two output channels), how the pans become gains.
    pub pan: Option<PanLaw>,
}

/// Plans made ready to render: one [`Part`] for a linked, mono or spread
/// run, one per channel for `independent`. Build it once, then render in
/// memory ([`RenderJob::render`], [`RenderJob::render_into`]) or block by
/// block ([`RenderJob::stream`]); all give the same samples, bit for bit.
pub struct RenderJob<'a> {
    groups: Vec<Group>,
    min_window_len: usize,
    /// The wet source of each output channel (a mono source spread to
    /// stereo is the same slice twice).
    srcs: &'a [&'a [f32]],
    gain: f32,
    out_len: usize,
    fin: Finishing<'a>,
    /// Asked before each block: once it says stop, no more blocks render.
    stop: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl Group {
    fn new(
        part: &Part<'_>,
        s: &Settings,
        min_window_len: usize,
        out_len: usize,
        fin: &Finishing<'_>,
    ) -> Group {
        let (pl, buf_len) = placements_panned(
            part.plan,
            part.analysis,
            s,
            part.pan.unwrap_or(PanLaw::EqualPower),
        );
        let max_len = pl.iter().map(|p| p.len).max().unwrap_or(0);
        let grain_len = part.analysis.grain_len;
        // One window table per distinct grain length (varispeed makes a few
        // dozen for small jitter), unless they would take more than 32 MB: then
        // only the unshifted length is tabled and the rest computed per grain.
        let mut lens: Vec<usize> = pl.iter().map(|p| p.len).collect();
        lens.push(grain_len);
        lens.sort_unstable();
        lens.dedup();
        if lens.iter().sum::<usize>() > WINDOW_TABLE_FLOATS {
            lens = vec![grain_len];
        }
        let windows: Vec<Vec<f32>> = lens
            .par_iter()
            .map(|&l| {
                let mut w = vec![0f32; l];
                window_into(&mut w, min_window_len);
                w
            })
            .collect();
        let varispeed = if pl.iter().any(|p| p.ratio != 1.0) {
            Some(Varispeed::new(pl.iter().map(|p| p.ratio)))
        } else {
            None
        };
        let mut g = Group {
            pl,
            max_len,
            windows,
            varispeed,
            env_floor: 0.0,
            first: part.first,
            count: part.count,
            panned: part.pan.is_some(),
            ramp: Vec::new(),
        };
        // The envelope's maximum over the whole buffer, block by block.
        let gr = &g;
        let env_max = (0..buf_len.div_ceil(BLOCK))
            .into_par_iter()
            .map_init(
                || (Vec::<f32>::new(), Vec::<f32>::new()),
                |(env, ws), bi| {
                    let a = bi * BLOCK;
                    env.clear();
                    env.resize(BLOCK.min(buf_len - a), 0.0);
                    gr.renderer(min_window_len).envelope(a, env, ws);
                    env.iter().cloned().fold(0.0f32, f32::max)
                },
            )
            .reduce(|| 0.0, f32::max);
        g.env_floor = (0.15 * env_max).max(f32::MIN_POSITIVE);
        if fin.dc_block {
            // The head where the envelope is under its floor: at most the
            // first grain (the second starts within half a grain).
            let n = (2 * max_len).min(out_len).min(buf_len);
            let mut env = vec![0f32; n];
            g.renderer(min_window_len)
                .envelope(0, &mut env, &mut Vec::new());
            let head = env.iter().position(|&e| e >= g.env_floor).unwrap_or(n);
            let (w, d) = match finish::dry_factor(fin.wet, 1.0) {
                Some(_) => (fin.wet as f32, (1.0 - fin.wet) as f32),
                None => (1.0, 0.0),
            };
            g.ramp = env[..head]
                .iter()
                .map(|&e| w * (e / g.env_floor) + d)
                .collect();
        }
        g
    }

    fn renderer(&self, min_window_len: usize) -> Renderer<'_> {
        Renderer {
            pl: &self.pl,
            max_len: self.max_len,
            windows: &self.windows,
            varispeed: self.varispeed.as_ref(),
            min_window_len,
            panned: self.panned,
        }
    }
}

impl<'a> RenderJob<'a> {
    /// Prepares `plan` for rendering from the wet source `srcs` (one slice per
    /// output channel, multiplied by `gain`) into `out_len` frames per channel,
    /// with the fades and dry mix of `fin` (peak normalisation is the caller's).
    pub fn new(
        plan: &Plan,
        analysis: &Analysis,
        s: &Settings,
        srcs: &'a [&'a [f32]],
        gain: f32,
        out_len: usize,
        fin: Finishing<'a>,
    ) -> RenderJob<'a> {
        let part = Part {
            plan,
            analysis,
            first: 0,
            count: srcs.len(),
            pan: None,
        };
        Self::with_parts(&[part], s, srcs, gain, out_len, fin)
    }

    /// Prepares several plans, each rendering its own output channels (see
    /// [`Part`]); `srcs` and `fin.dry` hold one slice per output channel.
    pub fn with_parts(
        parts: &[Part<'_>],
        s: &Settings,
        srcs: &'a [&'a [f32]],
        gain: f32,
        out_len: usize,
        fin: Finishing<'a>,
    ) -> RenderJob<'a> {
        let min_window_len = (MIN_WINDOW_S * s.sample_rate as f64).ceil() as usize;
        let groups = parts
            .iter()
            .map(|p| Group::new(p, s, min_window_len, out_len, &fin))
            .collect();
        RenderJob {
            groups,
            min_window_len,
            srcs,
            gain,
            out_len,
            fin,
            stop: None,
        }
    }

    /// The same job, abandoned once `stop` returns true: it is asked before
    /// each block of output is rendered, and the blocks not yet begun then
    /// are skipped (their samples are left as they were; check
    /// [`stopped`](Self::stopped) and discard the output). For a front end
    /// where a newer request supersedes a running render.
    pub fn until(mut self, stop: &'a (dyn Fn() -> bool + Sync)) -> RenderJob<'a> {
        self.stop = Some(stop);
        self
    }

    /// Whether the job's `stop` (see [`until`](Self::until)) says stop.
    pub fn stopped(&self) -> bool {
        self.stop.is_some_and(|f| f())
    }

    /// Renders block `bi` (overlap-add, envelope division, dry mix and,
    /// without the DC high-pass, the fades) into `outs`.
    fn block(&self, bi: usize, outs: &mut [&mut [f32]], sc: &mut Scratch) {
        if self.stopped() {
            return;
        }
        for g in &self.groups {
            let range = g.first..g.first + g.count;
            let io = BlockIo {
                srcs: &self.srcs[range.clone()],
                dry: self.fin.dry.get(range.clone()).unwrap_or(&[]),
                gain: self.gain,
                env_floor: g.env_floor,
                fin: &self.fin,
                out_len: self.out_len,
            };
            g.renderer(self.min_window_len)
                .block(bi * BLOCK, &mut outs[range], &io, sc);
        }
    }

    /// The DC fade-in ramp of output channel `c`.
    fn ramp(&self, c: usize) -> &[f32] {
        self.groups
            .iter()
            .find(|g| (g.first..g.first + g.count).contains(&c))
            .map_or(&[], |g| g.ramp.as_slice())
    }

    /// Number of output channels.
    pub fn channels(&self) -> usize {
        self.srcs.len()
    }

    /// The last finishing steps of block `bi` once the DC estimates it needs
    /// are known (for each channel, its estimates and the index of the
    /// first): subtract, fade the edges; then measure.
    fn finish_block(
        &self,
        bi: usize,
        outs: &mut [&mut [f32]],
        dc: Option<&[(&[f32], usize)]>,
    ) -> Measured {
        let count = self.fin.count_over;
        let Some(dc) = dc else {
            return Measured::of(outs, count);
        };
        let r = finish::dc_block_len(self.fin.sample_rate);
        let a = bi * BLOCK;
        let b = a + outs.first().map_or(0, |o| o.len());
        let fade = self.fin.fade.min(self.out_len / 2);
        let in_fades = a < fade || b > self.out_len - fade;
        let mut peak = 0f32;
        for (c, (out, &d)) in outs.iter_mut().zip(dc).enumerate() {
            let pk = finish::subtract_dc_block(out, a, d, r, self.ramp(c));
            if in_fades {
                finish::fade_block(out, a, self.out_len, self.fin.fade);
            } else {
                peak = peak.max(pk);
            }
        }
        if in_fades {
            return Measured::of(outs, count);
        }
        Measured {
            peak,
            over: if count {
                outs.iter().map(|o| finish::count_over(o)).sum()
            } else {
                0
            },
        }
    }

    /// [`finish_block`](Self::finish_block) with the DC estimates of block
    /// `bi` made first from each channel's means (`means[c][i - base]` is
    /// mean `i` of channel `c`) and start and end values.
    fn finish_dc_block(
        &self,
        bi: usize,
        outs: &mut [&mut [f32]],
        dc: &Dc,
        means: &[&[f64]],
        base: usize,
        bufs: &mut Vec<Vec<f32>>,
    ) -> Measured {
        bufs.resize_with(dc.est.len(), Vec::new);
        let mut firsts = Vec::with_capacity(dc.est.len());
        for (c, (e, buf)) in dc.est.iter().zip(bufs.iter_mut()).enumerate() {
            let (head, tail) = (dc.head[c].unwrap_or(0.0), dc.tail[c].unwrap_or(0.0));
            firsts.push(e.block_estimates(bi, (means[c], base), head, tail, buf));
        }
        let views: Vec<(&[f32], usize)> = bufs
            .iter()
            .zip(firsts)
            .map(|(b, f)| (b.as_slice(), f))
            .collect();
        self.finish_block(bi, outs, Some(&views))
    }

    /// The block means of one rendered block's channels, for the DC estimate.
    fn means(&self, outs: &[&mut [f32]]) -> Vec<Vec<f64>> {
        let r = finish::dc_block_len(self.fin.sample_rate);
        outs.iter()
            .map(|o| {
                let mut m = Vec::with_capacity(o.len().div_ceil(r));
                finish::block_means(o, r, &mut m);
                m
            })
            .collect()
    }

    fn nblocks(&self) -> usize {
        self.out_len.div_ceil(BLOCK)
    }

    /// The DC estimators of the output channels, start and end values unknown.
    fn dc(&self) -> Dc {
        let est: Vec<finish::DcEstimator> = (0..self.srcs.len())
            .map(|c| {
                finish::DcEstimator::new(self.fin.sample_rate, self.ramp(c).len(), self.out_len)
            })
            .collect();
        let n = est.len();
        Dc {
            est,
            head: vec![None; n],
            tail: vec![None; n],
        }
    }

    /// Renders and finishes everything into new buffers (every step of
    /// section 8 but the level gain); returns them and what was measured.
    ///
    /// Without the DC high-pass a block is finished in the same parallel
    /// pass that renders it. With it, the output is cut into runs of
    /// consecutive blocks, one task each: a task renders its blocks in
    /// order and finishes each as soon as the means its DC estimates read
    /// are in (after the next block), while it is still in the cache. The
    /// blocks whose estimates read past their run, or the start and end
    /// values, are finished once every mean is known.
    pub fn render(&self) -> (Vec<SampleBuf>, Measured) {
        let mut out: Vec<SampleBuf> = self
            .srcs
            .iter()
            .map(|_| SampleBuf::zeroed(self.out_len))
            .collect();
        let measured = {
            let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|c| c.as_mut_slice()).collect();
            self.render_into(&mut outs)
        };
        (out, measured)
    }

    /// [`render`](Self::render) into buffers the caller owns: one per output
    /// channel ([`channels`](Self::channels)), each `out_len` frames long
    /// (their contents are overwritten). Returns what was measured.
    ///
    /// # Panics
    /// If the number of buffers or their lengths are not the job's.
    pub fn render_into(&self, out: &mut [&mut [f32]]) -> Measured {
        assert_eq!(out.len(), self.srcs.len(), "one buffer per output channel");
        assert!(
            out.iter().all(|o| o.len() == self.out_len),
            "every buffer {} frames long",
            self.out_len
        );
        let nblocks = self.nblocks();
        let mut per_block: Vec<Vec<&mut [f32]>> = (0..nblocks).map(|_| Vec::new()).collect();
        for ch in out.iter_mut() {
            for (bi, sl) in ch.chunks_mut(BLOCK).enumerate() {
                per_block[bi].push(sl);
            }
        }
        if !self.fin.dc_block || nblocks == 0 {
            let measured = per_block
                .par_iter_mut()
                .enumerate()
                .map_init(Scratch::default, |sc, (bi, outs)| {
                    self.block(bi, outs, sc);
                    Measured::of(outs, self.fin.count_over)
                })
                .reduce(Measured::default, Measured::max);
            return measured;
        }
        let mut dc = self.dc();
        let (n, nch) = (dc.est[0].means_len(), dc.est.len());
        let per = BLOCK / dc.est[0].r();
        // Runs of consecutive blocks: at least four per thread (the run's
        // length changes which blocks wait for the last phase, not a bit of
        // the result), at most 32 blocks (about 24 s at 44.1 kHz).
        let threads = rayon::current_num_threads().max(1);
        let run = nblocks.div_ceil(4 * threads).clamp(4, 32);
        let mut means: Vec<Vec<f64>> = (0..nch).map(|_| vec![0.0; n]).collect();
        let mut run_means: Vec<Vec<&mut [f64]>> = (0..nblocks.div_ceil(run))
            .map(|_| Vec::with_capacity(nch))
            .collect();
        for m in means.iter_mut() {
            for (k, sl) in m.chunks_mut(run * per).enumerate() {
                run_means[k].push(sl);
            }
        }
        let dc_ref = &dc;
        // Which blocks can be finished inside their run: their estimates
        // read neither the start or end value nor means outside the run.
        let inside = |bi: usize, first: usize, end: usize| {
            let (lo, hi) = dc_ref.est[0].block_window(bi);
            lo >= first * per
                && hi <= (end * per).min(n)
                && !dc_ref
                    .est
                    .iter()
                    .any(|e| e.needs_head(bi) || e.needs_tail(bi))
        };
        let (measured, waiting) = per_block
            .par_chunks_mut(run)
            .zip(run_means.par_iter_mut())
            .enumerate()
            .map_init(
                || (Scratch::default(), Vec::new()),
                |(sc, bufs), (k, (blocks, ms))| {
                    let first = k * run;
                    let end = first + blocks.len();
                    let base = first * per;
                    let mut measured = Measured::default();
                    let mut waiting = Vec::new();
                    let mut next = first;
                    for bi in first..end {
                        let outs = &mut blocks[bi - first];
                        self.block(bi, outs, sc);
                        let (j0, j1) = dc_ref.est[0].block_means_range(bi);
                        for (o, m) in outs.iter().zip(ms.iter_mut()) {
                            let r = dc_ref.est[0].r();
                            finish::block_means_into(o, r, &mut m[j0 - base..j1 - base]);
                        }
                        // Finish the blocks whose means are now all in.
                        while next <= bi {
                            if !inside(next, first, end) {
                                waiting.push(next);
                            } else if dc_ref.est[0].block_window(next).1 <= j1 {
                                let views: Vec<&[f64]> = ms.iter().map(|m| &m[..]).collect();
                                let got = self.finish_dc_block(
                                    next,
                                    &mut blocks[next - first],
                                    dc_ref,
                                    &views,
                                    base,
                                    bufs,
                                );
                                measured = measured.max(got);
                            } else {
                                break;
                            }
                            next += 1;
                        }
                    }
                    waiting.extend(next..end);
                    (measured, waiting)
                },
            )
            .reduce(
                || (Measured::default(), Vec::new()),
                |(a, mut wa), (b, wb)| {
                    wa.extend(wb);
                    (a.max(b), wa)
                },
            );
        drop(run_means);
        // Every mean is in: the start and end values, then the blocks left.
        for (c, e) in dc.est.iter().enumerate() {
            dc.head[c] = Some(e.head_value(&means[c], 0));
            dc.tail[c] = Some(e.tail_value(&means[c], 0));
        }
        let mut left = vec![false; nblocks];
        for bi in waiting {
            left[bi] = true;
        }
        let views: Vec<&[f64]> = means.iter().map(|m| &m[..]).collect();
        let dc = &dc;
        let got = per_block
            .par_iter_mut()
            .enumerate()
            .filter(|(bi, _)| left[*bi])
            .map_init(Vec::new, |bufs, (bi, outs)| {
                self.finish_dc_block(bi, outs, dc, &views, 0, bufs)
            })
            .reduce(Measured::default, Measured::max);
        measured.max(got)
    }

    /// Renders block by block, in output order, handing each finished block
    /// (one slice per channel, `scale` applied) to `sink`; blocks are rendered
    /// in parallel a few at a time, so memory stays a few blocks, and the
    /// blocks finished last are handed out while the next few render (writing
    /// a file is mostly the kernel's copying, which then overlaps the
    /// rendering). With the DC high-pass, a block is finished once the
    /// estimates it needs are known (after the next batch). Returns what was
    /// measured before `scale`.
    pub fn stream<E: Send>(
        &self,
        scale: f32,
        mut sink: impl FnMut(&[&[f32]]) -> Result<(), E> + Send,
    ) -> Result<Measured, E> {
        let nch = self.srcs.len();
        let nblocks = self.nblocks();
        let batch = stream_batch();
        let use_dc = self.fin.dc_block;
        let mut dc = self.dc();
        // The means kept: `means[c][i - mbase]` is mean `i` of channel `c`.
        let mut means: Vec<Vec<f64>> = vec![Vec::new(); nch];
        let mut mbase = 0;
        let mut pending: std::collections::VecDeque<(usize, Vec<Vec<f32>>)> = Default::default();
        let mut to_give: Vec<Vec<Vec<f32>>> = Vec::new();
        let mut spare: Vec<Vec<Vec<f32>>> = Vec::new();
        let mut measured = Measured::default();
        let mut first = 0;
        let scale_all = |chans: &mut Vec<Vec<f32>>| {
            if scale != 1.0 {
                for c in chans.iter_mut() {
                    for x in c.iter_mut() {
                        *x *= scale;
                    }
                }
            }
        };
        loop {
            // Render the next batch while the last finished blocks go out.
            let n = batch.min(nblocks - first);
            let mut set: Vec<Vec<Vec<f32>>> = (0..n)
                .map(|_| spare.pop().unwrap_or_else(|| vec![Vec::new(); nch]))
                .collect();
            let give = std::mem::take(&mut to_give);
            let (given, rendered) = rayon::join(
                || -> Result<Vec<Vec<Vec<f32>>>, E> {
                    for chans in &give {
                        let slices: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
                        sink(&slices)?;
                    }
                    Ok(give)
                },
                || {
                    set.par_iter_mut()
                        .enumerate()
                        .map_init(Scratch::default, |sc, (j, chans)| {
                            let bi = first + j;
                            let len = BLOCK.min(self.out_len - bi * BLOCK);
                            let mut outs: Vec<&mut [f32]> = chans
                                .iter_mut()
                                .map(|c| {
                                    c.resize(len, 0.0);
                                    &mut c[..]
                                })
                                .collect();
                            self.block(bi, &mut outs, sc);
                            if use_dc {
                                (self.means(&outs), Measured::default())
                            } else {
                                let m = self.finish_block(bi, &mut outs, None);
                                (Vec::new(), m)
                            }
                        })
                        .collect::<Vec<_>>()
                },
            );
            spare.extend(given?);
            let last = first + n == nblocks;
            if use_dc {
                for (ms, _) in rendered {
                    for (m, new) in means.iter_mut().zip(ms) {
                        m.extend(new);
                    }
                }
                pending.extend(set.into_iter().enumerate().map(|(j, c)| (first + j, c)));
                let have = mbase + means[0].len();
                let e0 = &dc.est[0];
                for (c, e) in dc.est.iter().enumerate() {
                    if dc.head[c].is_none() && have >= e.head_window().1 {
                        dc.head[c] = Some(e.head_value(&means[c], mbase));
                    }
                    if last {
                        dc.tail[c] = Some(e.tail_value(&means[c], mbase));
                    }
                }
                // The blocks whose estimates can be made now, in order.
                let ready = pending
                    .iter()
                    .take_while(|(bi, _)| {
                        e0.block_window(*bi).1 <= have
                            && dc.est.iter().enumerate().all(|(c, e)| {
                                (!e.needs_head(*bi) || dc.head[c].is_some())
                                    && (!e.needs_tail(*bi) || dc.tail[c].is_some())
                            })
                    })
                    .count();
                let mut now: Vec<(usize, Vec<Vec<f32>>)> = pending.drain(..ready).collect();
                let views: Vec<&[f64]> = means.iter().map(|m| &m[..]).collect();
                let dcr = &dc;
                let got: Vec<Measured> = now
                    .par_iter_mut()
                    .map_init(Vec::new, |bufs, (bi, chans)| {
                        let mut outs: Vec<&mut [f32]> =
                            chans.iter_mut().map(|c| &mut c[..]).collect();
                        let m = self.finish_dc_block(*bi, &mut outs, dcr, &views, mbase, bufs);
                        scale_all(chans);
                        m
                    })
                    .collect();
                measured = got.into_iter().fold(measured, Measured::max);
                // Forget the means that no block left (and no start value) reads.
                let mut keep = pending
                    .front()
                    .map_or(have, |(bi, _)| e0.block_window(*bi).0);
                for (c, e) in dc.est.iter().enumerate() {
                    if dc.head[c].is_none() {
                        keep = keep.min(e.head_window().0);
                    }
                }
                let k = keep.saturating_sub(mbase).min(means[0].len());
                for m in means.iter_mut() {
                    m.drain(..k);
                }
                mbase += k;
                to_give = now.into_iter().map(|(_, c)| c).collect();
            } else {
                measured = rendered.iter().fold(measured, |m, (_, g)| m.max(*g));
                for chans in set.iter_mut() {
                    scale_all(chans);
                }
                to_give = set;
            }
            first += n;
            if last {
                break;
            }
        }
        for chans in &to_give {
            let slices: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
            sink(&slices)?;
        }
        Ok(measured)
    }
}
