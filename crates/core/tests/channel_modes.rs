//! Channel modes and spread (docs/algorithm.md, section 14; issue 12):
//! independent attention per channel with per-channel seeds, grains spread
//! over the stereo field with the equal-power and balance laws, the rendered
//! samples rebuilt from the report's plan, determinism across thread counts,
//! the usage errors, and the render-into-buffer twin.

mod common;

use common::{noise, rng};
use gar_core::render::PanLaw;
use gar_core::report::{InputInfo, Report};
use gar_core::{
    ChannelMode, Envelope, Normalize, ParamError, Params, Prepared, Preset, channel_seed, prepare,
    render_prepared, render_prepared_into, render_prepared_unscaled,
};

const SR: u32 = 16_000;

fn prep(chs: &[&[f32]], p: &Params, seed: u64) -> Prepared {
    prepare(chs, SR, p, Preset::Custom, seed).expect("prepare")
}

fn out_of(p: &Prepared, chs: &[&[f32]]) -> Vec<Vec<f32>> {
    render_prepared(p, chs)
        .0
        .into_iter()
        .map(|c| c.to_vec())
        .collect()
}

fn unscaled(p: &Prepared, chs: &[&[f32]]) -> Vec<Vec<f32>> {
    render_prepared_unscaled(p, chs)
        .0
        .into_iter()
        .map(|c| c.to_vec())
        .collect()
}

fn bits(x: &[Vec<f32>]) -> Vec<Vec<u32>> {
    x.iter()
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn report(p: &Prepared, channels: usize) -> Report {
    let frames = p.settings.source_len;
    Report::new(
        p,
        InputInfo {
            path: "test".into(),
            sample_rate: SR,
            channels,
            frames,
            duration_s: frames as f64 / SR as f64,
        },
        None,
    )
}

/// Quiet noise (amplitude 0.02) with a loud noise burst (0.8) of 150 ms at
/// each of `at` seconds; the first sample of every burst is exactly 0.9, so
/// that every such channel has the same peak (and the same source gain alone
/// as together with the others).
fn bursts(at: &[f64], seconds: f64, seed: u64) -> Vec<f32> {
    let n = (seconds * SR as f64) as usize;
    let mut r = rng(seed);
    let mut x = noise(&mut r, n, 0.02);
    let burst = (0.15 * SR as f64) as usize;
    for &t in at {
        let a = (t * SR as f64) as usize;
        let b = noise(&mut r, burst, 0.8);
        x[a..a + burst].copy_from_slice(&b);
        x[a] = 0.9;
    }
    x
}

/// Whether a grain starting at `start_s` (of `grain_s`) overlaps a burst.
fn at_a_burst(start_s: f64, grain_s: f64, at: &[f64]) -> bool {
    at.iter()
        .any(|&b| start_s + grain_s > b && start_s < b + 0.15)
}

fn independent() -> Params {
    Params {
        channels: ChannelMode::Independent,
        ..Params::default()
    }
}

const LEFT: [f64; 2] = [1.0, 3.0];
const RIGHT: [f64; 1] = [2.0];

fn stereo_bursts() -> (Vec<f32>, Vec<f32>) {
    (bursts(&LEFT, 4.5, 1), bursts(&RIGHT, 4.5, 2))
}

#[test]
fn independent_channels_attend_to_their_own_bursts() {
    let (l, r) = stereo_bursts();
    let chs: [&[f32]; 2] = [&l, &r];
    let seed = 1234;
    let p = prep(&chs, &independent(), seed);
    assert_eq!(p.others.len(), 1, "one further channel");
    let views = p.channel_plans();
    assert_eq!(views.len(), 2);
    let grain_s = p.settings.grain_s();
    for (v, own, other) in [
        (&views[0], &LEFT[..], &RIGHT[..]),
        (&views[1], &RIGHT[..], &LEFT[..]),
    ] {
        let a = v.analysis;
        let prob = &v.attention.prob;
        // The ten most probable grains, and the most used one, sit at the
        // channel's own bursts, none at the other channel's only.
        let mut order: Vec<usize> = (0..prob.len()).collect();
        order.sort_by(|&i, &j| prob[j].total_cmp(&prob[i]));
        let top: Vec<usize> = order
            .iter()
            .cloned()
            .take_while(|&i| prob[i] > 0.0)
            .take(10)
            .collect();
        assert!(
            top.len() >= 2,
            "channel {}: {} active",
            v.channel,
            top.len()
        );
        for &i in &top {
            let st = a.start_s(i, SR);
            assert!(
                at_a_burst(st, grain_s, own),
                "channel {}: grain #{i} at {st:.3} s (prob {}) is not at its bursts {own:?}",
                v.channel,
                prob[i]
            );
            assert!(!at_a_burst(st, grain_s, other) || at_a_burst(st, grain_s, own));
        }
        let usage = v.plan.usage(a.len());
        let most = (0..usage.len())
            .max_by_key(|&i| (usage[i], std::cmp::Reverse(i)))
            .unwrap();
        let st = a.start_s(most, SR);
        assert!(
            at_a_burst(st, grain_s, own),
            "channel {}: most used grain #{most} at {st:.3} s",
            v.channel
        );
        // Most of the plan's hops play the channel's own bursts.
        let own_hops = v
            .plan
            .grain
            .iter()
            .filter(|&&g| at_a_burst(a.start_s(g as usize, SR), grain_s, own))
            .count();
        assert!(
            own_hops * 10 >= v.plan.hops() * 9,
            "channel {}: {own_hops} of {} hops at its bursts",
            v.channel,
            v.plan.hops()
        );
    }
    assert_ne!(
        views[0].plan.grain, views[1].plan.grain,
        "two different plans"
    );
    // The seeds: channel 0 keeps the run's, channel 1 gets channel_seed.
    assert_eq!(views[0].seed, seed);
    assert_eq!(views[1].seed, channel_seed(seed, 1));
    assert_eq!(p.others[0].seed, channel_seed(seed, 1));
    assert_ne!(channel_seed(seed, 1), seed);
    assert_ne!(channel_seed(seed, 1), channel_seed(seed, 2));
    assert_eq!(channel_seed(seed, 0), seed);
    // The report carries both.
    let rep = report(&p, 2);
    let chs_rep = rep.channels.as_ref().expect("channels[] with independent");
    assert_eq!(chs_rep.len(), 2);
    assert_eq!(chs_rep[1].seed, channel_seed(seed, 1));
    assert_eq!(chs_rep[1].plan.grain, views[1].plan.grain);
    assert_eq!(chs_rep[0].plan.grain, rep.plan.grain);
    let text = rep.summary();
    assert!(
        text.contains("channel 0:") && text.contains("channel 1:"),
        "{text}"
    );
}

#[test]
fn an_independent_channel_is_that_channel_run_alone_with_its_seed() {
    // Equal peaks, so the source gain of the stereo run is each channel's own.
    let (l, r) = stereo_bursts();
    let chs: [&[f32]; 2] = [&l, &r];
    let seed = 77;
    let params = Params {
        pitch_jitter_st: Envelope::from(1.0),
        ..independent()
    };
    let p = prep(&chs, &params, seed);
    let linked = Params {
        channels: ChannelMode::Linked,
        ..params.clone()
    };
    let p0 = prep(&[&l], &linked, seed);
    let p1 = prep(&[&r], &linked, channel_seed(seed, 1));
    assert_eq!(p.plan, p0.plan, "channel 0: its own plan, the run's seed");
    assert_eq!(
        p.others[0].plan, p1.plan,
        "channel 1: its own plan, channel_seed(seed, 1)"
    );
    assert_eq!(p.others[0].attention.prob, p1.attention.prob);
    // Output channel c is rendered from plan c on source channel c.
    let y = unscaled(&p, &chs);
    assert_eq!(y.len(), 2);
    assert_eq!(bits(&y[..1]), bits(&unscaled(&p0, &[&l])));
    assert_eq!(bits(&y[1..]), bits(&unscaled(&p1, &[&r])));
}

#[test]
fn independent_on_a_mono_file_is_linked_bit_for_bit() {
    let x = bursts(&LEFT, 4.5, 3);
    let chs: [&[f32]; 1] = [&x];
    for extra in [
        Params::default(),
        Params {
            pitch_jitter_st: Envelope::from(2.0),
            normalize: Normalize::Loudness,
            ..Params::default()
        },
    ] {
        let ind = prep(
            &chs,
            &Params {
                channels: ChannelMode::Independent,
                ..extra.clone()
            },
            9,
        );
        let lin = prep(
            &chs,
            &Params {
                channels: ChannelMode::Linked,
                ..extra.clone()
            },
            9,
        );
        assert!(ind.others.is_empty());
        assert_eq!(ind.plan, lin.plan);
        let (a, b) = (out_of(&ind, &chs), out_of(&lin, &chs));
        assert_eq!(a.len(), 1);
        assert_eq!(bits(&a), bits(&b));
        assert!(report(&ind, 1).channels.is_none());
    }
}

#[test]
fn mono_mode_is_the_mono_mix_rendered_linked() {
    let (l, r) = stereo_bursts();
    let chs: [&[f32]; 2] = [&l, &r];
    let mix = gar_core::mono_mix(&chs);
    let mix: [&[f32]; 1] = [mix.as_slice()];
    for spread in [0.0, 0.7] {
        let base = Params {
            pitch_jitter_st: Envelope::from(1.5),
            spread: Envelope::from(spread),
            ..Params::default()
        };
        let mono = prep(
            &chs,
            &Params {
                channels: ChannelMode::Mono,
                ..base.clone()
            },
            5,
        );
        let lin = prep(
            &mix,
            &Params {
                channels: ChannelMode::Linked,
                ..base.clone()
            },
            5,
        );
        assert_eq!(mono.plan, lin.plan);
        let (a, b) = (out_of(&mono, &chs), out_of(&lin, &mix));
        assert_eq!(a.len(), if spread > 0.0 { 2 } else { 1 });
        assert_eq!(bits(&a), bits(&b), "spread {spread}");
    }
}

#[test]
fn pan_laws_keep_power_or_unity() {
    for k in 0..=2000 {
        let u = -1.0 + k as f64 / 1000.0;
        let [l, r] = PanLaw::EqualPower.gains(u);
        let (l, r) = (l as f64, r as f64);
        assert!((l * l + r * r - 1.0).abs() < 1e-6, "u {u}: {l} {r}");
        let a = std::f64::consts::FRAC_PI_4 * (1.0 + u);
        assert!((l - a.cos()).abs() < 1e-7 && (r - a.sin()).abs() < 1e-7);
        let [bl, br] = PanLaw::Balance.gains(u);
        assert_eq!(bl.max(br), 1.0, "u {u}");
        assert!((bl as f64 - (1.0 - u).min(1.0)).abs() < 1e-7);
        assert!((br as f64 - (1.0 + u).min(1.0)).abs() < 1e-7);
    }
    // Left is -1, right +1, centre is equal.
    let [l, r] = PanLaw::EqualPower.gains(-1.0);
    assert!(l > 0.999_999 && r.abs() < 1e-6);
    let [l, r] = PanLaw::EqualPower.gains(1.0);
    assert!(r > 0.999_999 && l.abs() < 1e-6);
    let [l, r] = PanLaw::EqualPower.gains(0.0);
    assert_eq!(l, r);
    assert_eq!(PanLaw::Balance.gains(0.0), [1.0, 1.0]);
    assert_eq!(PanLaw::Balance.gains(1.0), [0.0, 1.0]);
    assert_eq!(PanLaw::Balance.gains(-1.0), [1.0, 0.0]);
}

/// The rendering of section 7 rebuilt from a plan's positions and pans (no
/// pitch, no DC high-pass, no dry share, the source gain `gain`): output
/// channel `c` is `sum_h w_h(n) g_c(u_h) x_c(s_h + n - p_h) * gain /
/// max(sum_h w_h(n), 0.15 max env)`, then the edge fades.
#[allow(clippy::too_many_arguments)]
fn rebuild(
    srcs: &[&[f32]],
    starts: &[usize],
    grain: &[u32],
    pos_s: &[f64],
    pans: &[f32],
    law: fn(f64) -> [f64; 2],
    grain_len: usize,
    gain: f64,
    out_len: usize,
    fade: usize,
) -> Vec<Vec<f64>> {
    let w = gar_core::window::hann_f64(grain_len);
    let at: Vec<usize> = pos_s
        .iter()
        .map(|&p| (p * SR as f64).round().max(0.0) as usize)
        .collect();
    let buf = at.iter().map(|a| a + grain_len).max().unwrap();
    let mut env = vec![0f64; buf];
    let mut out = vec![vec![0f64; buf]; srcs.len()];
    for h in 0..pos_s.len() {
        let g = law(pans[h] as f64);
        let s = starts[grain[h] as usize];
        for k in 0..grain_len {
            env[at[h] + k] += w[k];
            for (c, src) in srcs.iter().enumerate() {
                out[c][at[h] + k] += w[k] * g[c.min(1)] * src[s + k] as f64 * gain;
            }
        }
    }
    let floor = 0.15 * env.iter().cloned().fold(0.0, f64::max);
    let fade = fade.min(out_len / 2);
    for o in out.iter_mut() {
        for n in 0..buf {
            o[n] /= env[n].max(floor);
        }
        o.truncate(out_len);
        for (n, v) in o.iter_mut().enumerate() {
            let k = n.min(out_len - 1 - n);
            if k < fade {
                *v *= k as f64 / fade as f64;
            }
        }
    }
    out
}

fn equal_power(u: f64) -> [f64; 2] {
    let a = std::f64::consts::FRAC_PI_4 * (1.0 + u);
    [a.cos(), a.sin()]
}

fn balance(u: f64) -> [f64; 2] {
    [(1.0 - u).min(1.0), (1.0 + u).min(1.0)]
}

/// A render that the rebuild can follow: no pitch, no DC high-pass, no gain.
fn plain(spread: f64, time_jitter_ms: f64) -> Params {
    Params {
        spread: Envelope::from(spread),
        time_jitter_ms: Envelope::from(time_jitter_ms),
        pitch_jitter_st: Envelope::from(0.0),
        pitch_st: Envelope::from(0.0),
        dc_block: false,
        normalize: Normalize::None,
        wet: Envelope::from(100.0),
        ..Params::default()
    }
}

fn max_diff(a: &[f32], b: &[f64]) -> (f64, usize) {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(n, (&x, &y))| ((x as f64 - y).abs(), n))
        .fold((0.0, 0), |m, d| if d.0 > m.0 { d } else { m })
}

#[test]
fn a_dc_source_spread_is_the_window_weighted_mean_of_its_gains() {
    let dc = 0.5f32;
    let x = vec![dc; 2 * SR as usize];
    let chs: [&[f32]; 1] = [&x];
    let p = prep(&chs, &plain(1.0, 0.0), 21);
    let y = out_of(&p, &chs);
    assert_eq!(y.len(), 2, "a mono source spread becomes stereo");
    let rep = report(&p, 1);
    let plan = &rep.plan;
    assert_eq!(plan.pan.len(), plan.hops, "one pan per hop in the report");
    assert!(plan.pitch_st.iter().all(|&s| s == 0.0));
    let s = &p.settings;
    let fade = gar_core::finish::fade_len(s.duration_s, SR);
    let starts = vec![0usize; rep.analysis.candidates];
    let want = rebuild(
        &[&x, &x],
        &starts,
        &plan.grain,
        &plan.pos_s,
        &plan.pan,
        equal_power,
        p.analysis.grain_len,
        1.0,
        s.output_len(),
        fade,
    );
    for c in 0..2 {
        let (d, n) = max_diff(&y[c], &want[c]);
        assert!(d < 1e-5, "channel {c}: off by {d} at frame {n}");
    }
    // The pans did something: the channels differ, and between the edges
    // neither is the source's constant.
    let mid = s.output_len() / 2;
    assert!((y[0][mid] - y[1][mid]).abs() > 1e-3 || (y[0][mid / 2] - y[1][mid / 2]).abs() > 1e-3);
    let spread_l = y[0][fade..s.output_len() - fade]
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    assert!(spread_l.1 - spread_l.0 > 0.05, "{spread_l:?}");
    // A wrong law does not pass: the channels swapped, or the balance law.
    for wrong in [|u: f64| equal_power(-u), balance as fn(f64) -> [f64; 2]] {
        let bad = rebuild(
            &[&x, &x],
            &starts,
            &plan.grain,
            &plan.pos_s,
            &plan.pan,
            wrong,
            p.analysis.grain_len,
            1.0,
            s.output_len(),
            fade,
        );
        assert!(max_diff(&y[0], &bad[0]).0 > 1e-2);
    }
}

#[test]
fn a_stereo_source_is_balanced_per_grain() {
    let mut r = rng(41);
    let l = noise(&mut r, 3 * SR as usize, 0.5);
    let neg: Vec<f32> = l.iter().map(|v| -v).collect();
    let chs: [&[f32]; 2] = [&l, &neg];
    // Spread 0 (and the default run): R = -L exactly.
    for p in [Params::default(), plain(0.0, 5.0)] {
        let y = out_of(&prep(&chs, &p, 8), &chs);
        assert_eq!(y.len(), 2);
        assert!(y[0].iter().any(|&v| v != 0.0));
        for (k, (a, b)) in y[0].iter().zip(&y[1]).enumerate() {
            assert_eq!(b.to_bits(), (-a).to_bits(), "frame {k}");
        }
    }
    // Spread > 0: each grain's channels scaled by min(1, 1 - u), min(1, 1 + u).
    let p = prep(&chs, &plain(0.8, 5.0), 8);
    let y = out_of(&p, &chs);
    let s = &p.settings;
    assert!(p.plan.pan.iter().all(|u| u.abs() <= 0.8));
    let fade = gar_core::finish::fade_len(s.duration_s, SR);
    let args = |law| {
        rebuild(
            &chs,
            &p.analysis.start,
            &p.plan.grain,
            &p.plan.pos_s,
            &p.plan.pan,
            law,
            p.analysis.grain_len,
            p.wet_gain as f64,
            s.output_len(),
            fade,
        )
    };
    let want = args(balance);
    for c in 0..2 {
        let (d, n) = max_diff(&y[c], &want[c]);
        assert!(d < 1e-5, "channel {c}: off by {d} at frame {n}");
    }
    // The sign: u > 0 is to the right (the left channel turned down).
    let bad = args(|u| balance(-u));
    assert!(max_diff(&y[0], &bad[0]).0 > 1e-2);
    // R = -L no longer holds.
    assert!(y[0].iter().zip(&y[1]).any(|(a, b)| (a + b).abs() > 1e-2));
}

#[test]
fn spread_pans_lie_within_the_spread_and_are_reproducible() {
    let x = bursts(&LEFT, 4.5, 5);
    let chs: [&[f32]; 1] = [&x];
    let p = Params {
        spread: Envelope::from(0.5),
        ..Params::default()
    };
    let a = prep(&chs, &p, 3);
    let pans = &a.plan.pan;
    assert_eq!(pans.len(), a.plan.hops());
    assert!(pans.len() > 100);
    assert!(
        pans.iter().all(|u| (-0.5..=0.5).contains(u)),
        "every pan in [-0.5, 0.5]"
    );
    let lo = pans.iter().cloned().fold(f32::INFINITY, f32::min);
    let hi = pans.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    assert!(lo < -0.4 && hi > 0.4, "{lo} .. {hi}");
    let mean = pans.iter().map(|&u| u as f64).sum::<f64>() / pans.len() as f64;
    assert!(mean.abs() < 0.1, "mean pan {mean}");
    // The same seed, the same pans (and samples); another seed, other pans.
    let b = prep(&chs, &p, 3);
    assert_eq!(a.plan.pan, b.plan.pan);
    assert_eq!(bits(&out_of(&a, &chs)), bits(&out_of(&b, &chs)));
    assert_ne!(prep(&chs, &p, 4).plan.pan, a.plan.pan);
    // The report's pans are the plan's.
    assert_eq!(report(&a, 1).plan.pan, *pans);
    // A varying spread: pans within each hop's spread.
    let v = Params {
        spread: Envelope::parse("0.1..0.9").unwrap(),
        ..Params::default()
    };
    let pv = prep(&chs, &v, 3);
    let sp = pv.plan.values_of("spread").expect("spread per hop");
    assert_eq!(sp.len(), pv.plan.pan.len());
    for (u, s) in pv.plan.pan.iter().zip(sp) {
        assert!((*u as f64).abs() <= s + 1e-6, "pan {u} beyond spread {s}");
    }
}

#[test]
fn spread_zero_is_bit_identical_to_no_spread() {
    let (l, r) = stereo_bursts();
    for chs in [vec![&l[..]], vec![&l[..], &r[..]]] {
        for base in [
            Params::default(),
            Params {
                pitch_jitter_st: Envelope::from(1.0),
                channels: ChannelMode::Mono,
                ..Params::default()
            },
            Params {
                alpha: Envelope::parse("2..12").unwrap(),
                ..Params::default()
            },
        ] {
            let zero = Params {
                spread: Envelope::from(0.0),
                ..base.clone()
            };
            let (a, b) = (prep(&chs, &base, 6), prep(&chs, &zero, 6));
            assert!(b.plan.pan.is_empty());
            assert_eq!(a.plan, b.plan);
            let (ya, yb) = (out_of(&a, &chs), out_of(&b, &chs));
            assert_eq!(yb.len(), b.settings.output_channels(chs.len()));
            assert_eq!(
                yb.len(),
                if base.channels == ChannelMode::Mono {
                    1
                } else {
                    chs.len()
                }
            );
            assert_eq!(bits(&ya), bits(&yb));
        }
    }
}

/// The uniforms of the run's RNG stream (docs/algorithm.md, section 6).
fn stream(seed: u64, n: usize) -> Vec<f64> {
    let mut r = rng(seed);
    (0..n).map(|_| gar_core::plan::uniform(&mut r)).collect()
}

#[test]
fn the_pan_is_the_draw_after_the_time_offset_of_its_hop() {
    // Every hop takes, from the one stream: the grain draw (one or more
    // uniforms), then the pitch, then the time offset, then (with a spread)
    // the pan. Each is recovered from the plan and found in the stream.
    let x = bursts(&LEFT, 4.5, 5);
    let chs: [&[f32]; 1] = [&x];
    let (pj, tj_ms, seed) = (1.5, 6.0, 11);
    for (spread, recency) in [(0.0, 0.0), (0.7, 0.0), (1.0, 0.5), (0.3, 0.9)] {
        let p = Params {
            pitch_jitter_st: Envelope::from(pj),
            time_jitter_ms: Envelope::from(tj_ms),
            recency: Envelope::from(recency),
            spread: Envelope::from(spread),
            ..Params::default()
        };
        let pr = prep(&chs, &p, seed);
        let plan = &pr.plan;
        let hop = pr.settings.hop_s();
        let tj = pr.settings.time_jitter_s();
        let u = stream(seed, 70 * plan.hops() + 80);
        let mut i = 0;
        for h in 0..plan.hops() {
            let up = (plan.pitch_st[h] as f64 / pj + 1.0) / 2.0;
            let uo = ((plan.pos_s[h] - h as f64 * hop) / tj + 1.0) / 2.0;
            let next = (i + 1..i + 64).find(|&j| {
                (u[j] - up).abs() < 1e-6
                    && (u[j + 1] - uo).abs() < 1e-9
                    && (spread == 0.0
                        || (u[j + 2] - (plan.pan[h] as f64 / spread + 1.0) / 2.0).abs() < 1e-6)
            });
            let Some(j) = next else {
                panic!(
                    "spread {spread}, recency {recency}: hop {h} is not (draw, pitch, offset, pan)"
                );
            };
            i = j + if spread > 0.0 { 3 } else { 2 };
        }
    }
}

#[test]
fn the_spread_value_changes_only_the_pans() {
    // Any spread above 0 everywhere takes the same draws per hop: the same
    // picks, positions and pitch, pans scaled by the spread. (A spread draws
    // one more number per hop than no spread, so the later hops of a run
    // without spread pick other grains: only hop 0 agrees.)
    let (l, r) = stereo_bursts();
    let base = Params {
        pitch_jitter_st: Envelope::from(1.5),
        time_jitter_ms: Envelope::from(6.0),
        recency: Envelope::from(0.5),
        ..Params::default()
    };
    let varying = Params {
        alpha: Envelope::parse("2..12").unwrap(),
        ..base.clone()
    };
    let with = |chs: &[&[f32]], p: &Params, spread: Envelope| {
        prep(
            chs,
            &Params {
                spread,
                ..p.clone()
            },
            11,
        )
        .plan
    };
    for chs in [vec![&l[..]], vec![&l[..], &r[..]]] {
        for p in [&base, &varying] {
            let none = prep(&chs, p, 11).plan;
            let one = with(&chs, p, Envelope::from(1.0));
            let third = with(&chs, p, Envelope::from(0.3));
            let env = with(&chs, p, Envelope::parse("0.2..1").unwrap());
            assert!(none.pan.is_empty());
            for (name, b) in [("0.3", &third), ("0.2..1", &env)] {
                assert_eq!(one.grain, b.grain, "the picks, spread {name}");
                assert_eq!(one.pos_s, b.pos_s, "the positions, spread {name}");
                assert_eq!(one.pitch_st, b.pitch_st, "the pitch, spread {name}");
                assert_eq!(b.pan.len(), b.hops());
            }
            for (a, b) in one.pan.iter().zip(&third.pan) {
                assert!((a * 0.3 - b).abs() < 1e-6, "{a} * 0.3 != {b}");
            }
            let sp = env.values_of("spread").expect("spread per hop");
            for ((a, b), s) in one.pan.iter().zip(&env.pan).zip(sp) {
                assert!((*a as f64 * s - *b as f64).abs() < 1e-6);
            }
            // Hop 0 takes the same draws with or without a spread.
            assert_eq!(
                (none.grain[0], none.pos_s[0], none.pitch_st[0]),
                (one.grain[0], one.pos_s[0], one.pitch_st[0])
            );
        }
    }
}

#[test]
fn determinism_across_thread_counts_for_both_modes() {
    let (l, r) = stereo_bursts();
    let mono = bursts(&RIGHT, 4.5, 9);
    let jitter = Params {
        pitch_jitter_st: Envelope::from(1.0),
        ..Params::default()
    };
    let cases: Vec<(Vec<&[f32]>, Params)> = vec![
        (
            vec![&l, &r],
            Params {
                channels: ChannelMode::Independent,
                ..jitter.clone()
            },
        ),
        (
            vec![&l, &r],
            Params {
                spread: Envelope::from(0.9),
                ..jitter.clone()
            },
        ),
        (
            vec![&mono],
            Params {
                spread: Envelope::parse("0.2..1").unwrap(),
                ..jitter.clone()
            },
        ),
    ];
    for (chs, p) in &cases {
        let runs: Vec<(Vec<gar_core::Plan>, Vec<Vec<u32>>)> = [1usize, 3]
            .iter()
            .map(|&t| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap();
                pool.install(|| {
                    let pr = prep(chs, p, 99);
                    let plans = pr.channel_plans().iter().map(|v| v.plan.clone()).collect();
                    (plans, bits(&out_of(&pr, chs)))
                })
            })
            .collect();
        assert_eq!(runs[0].0, runs[1].0, "plans, {:?}", p.channels);
        assert_eq!(runs[0].1, runs[1].1, "samples, {:?}", p.channels);
        assert_eq!(runs[0].1.len(), 2);
    }
}

#[test]
fn spread_errors_say_which_parameter() {
    // Spread with independent: a conflict naming spread (and channels).
    let p = Params {
        spread: Envelope::from(0.5),
        channels: ChannelMode::Independent,
        ..Params::default()
    };
    match p.checked() {
        Err(ParamError::Conflict {
            name,
            other,
            message,
        }) => {
            assert_eq!((name, other), ("spread", "channels"));
            assert!(
                message.contains("spread") && message.contains("independent"),
                "{message}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Only where the spread is above 0 somewhere.
    let env = Params {
        spread: Envelope::parse("0:0, 0.5:0.3").unwrap(),
        ..p.clone()
    };
    assert!(matches!(
        env.checked(),
        Err(ParamError::Conflict { name: "spread", .. })
    ));
    let (l, r) = stereo_bursts();
    let three: [&[f32]; 3] = [&l, &r, &l];
    let e = prepare(&three, SR, &p, Preset::Custom, 1).unwrap_err();
    assert_eq!(e.param(), Some("spread"));
    // Spread on three channels (linked): an error from prepare naming spread.
    let linked = Params {
        spread: Envelope::from(0.5),
        ..Params::default()
    };
    let e = prepare(&three, SR, &linked, Preset::Custom, 1).unwrap_err();
    assert_eq!(e.param(), Some("spread"));
    assert!(e.to_string().contains("spread"), "{e}");
    assert!(
        e.to_string().contains("mono"),
        "says what to do instead: {e}"
    );
    // Mono mode mixes first: three channels spread to stereo.
    let mono = Params {
        channels: ChannelMode::Mono,
        ..linked.clone()
    };
    let pr = prep(&three, &mono, 1);
    assert_eq!(pr.settings.output_channels(3), 2);
    let y = out_of(&pr, &three);
    assert_eq!(y.len(), 2);
    assert_ne!(bits(&y[..1]), bits(&y[1..]));
    // Without spread, three channels independent or linked are fine.
    for c in [ChannelMode::Independent, ChannelMode::Linked] {
        let q = Params {
            channels: c,
            ..Params::default()
        };
        assert_eq!(out_of(&prep(&three, &q, 1), &three).len(), 3);
    }
}

#[test]
fn render_into_gives_the_same_samples() {
    let (l, r) = stereo_bursts();
    let stereo: Vec<&[f32]> = vec![&l, &r];
    let mono: Vec<&[f32]> = vec![&l];
    let cases: Vec<(&Vec<&[f32]>, Params)> = vec![
        (&stereo, Params::default()),
        (
            &stereo,
            Params {
                channels: ChannelMode::Mono,
                ..Params::default()
            },
        ),
        (&stereo, independent()),
        (
            &stereo,
            Params {
                spread: Envelope::from(0.6),
                ..Params::default()
            },
        ),
        (
            &mono,
            Params {
                spread: Envelope::from(1.0),
                dc_block: false,
                ..Params::default()
            },
        ),
        (
            &stereo,
            Params {
                channels: ChannelMode::Independent,
                normalize: Normalize::Loudness,
                pitch_jitter_st: Envelope::from(1.0),
                ..Params::default()
            },
        ),
    ];
    for (chs, p) in &cases {
        let pr = prep(chs, p, 13);
        let (want, level) = render_prepared(&pr, chs);
        let s = &pr.settings;
        let n_out = s.output_channels(chs.len());
        assert_eq!(want.len(), n_out);
        // Buffers full of garbage: they are overwritten.
        let mut bufs: Vec<Vec<f32>> = (0..n_out).map(|_| vec![7.0; s.output_len()]).collect();
        let got_level = {
            let mut outs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
            render_prepared_into(&pr, chs, &mut outs)
        };
        assert_eq!(got_level, level, "{:?}", p.channels);
        let want: Vec<Vec<f32>> = want.into_iter().map(|c| c.to_vec()).collect();
        assert_eq!(bits(&bufs), bits(&want), "{:?}", p.channels);
    }
}
