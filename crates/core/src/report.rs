//! What a run reports (docs/algorithm.md, section 10): the JSON document and the text summary.
//!
//! Everything here is read from the analysis, the attention and the plan; nothing
//! is recomputed.

use crate::Prepared;
use serde::Serialize;

/// Where the audio came from.
#[derive(Clone, Debug, Serialize)]
pub struct InputInfo {
    pub path: String,
    pub sample_rate: u32,
    pub channels: usize,
    pub frames: usize,
    pub duration_s: f64,
}

/// Where the audio went.
#[derive(Clone, Debug, Serialize)]
pub struct OutputInfo {
    pub path: String,
    pub sample_rate: u32,
    pub channels: usize,
    pub frames: usize,
    pub duration_s: f64,
    /// `"16"`, `"24"` or `"32f"`.
    pub bits: String,
}

/// Effective parameters after clamps and derived rules, keyed by the
/// parameter table's ids (docs/algorithm.md, section 12): a constant is a
/// number, a varying parameter its envelope text, a choice its word. The
/// seed is the report's `seed`; under a diversity, alpha is left out (it is
/// solved: see `diversity` and `plan.values.alpha`). `duration_s` is the
/// output duration used. A report is therefore a valid params file.
pub type ParamsReport = serde_json::Map<String, serde_json::Value>;

/// The parameters of a run as a params file writes them.
pub fn params_map(s: &crate::Settings) -> ParamsReport {
    let mut m = crate::paramfile::values(&s.effective);
    m.insert("duration_s".into(), serde_json::Value::from(s.duration_s));
    m
}

#[derive(Clone, Debug, Serialize)]
pub struct AnalysisReport {
    pub candidates: usize,
    pub active: usize,
    pub mean_score: f64,
    pub floor_value: f64,
    pub effective_grains: f64,
    pub start_s: Vec<f64>,
    pub rms_power: Vec<f64>,
    pub score: Vec<f64>,
    pub active_mask: Vec<bool>,
    pub prob: Vec<f64>,
    /// The raw per-candidate values of every driver the run computed (the
    /// score's mix, and `--drivers`), in their own units (section 15),
    /// keyed by the driver's id; left out when there are none.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub drivers: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlanReport {
    pub hops: usize,
    pub grain: Vec<u32>,
    pub pos_s: Vec<f64>,
    pub pitch_st: Vec<f32>,
    /// Source length of each hop's grain, frames, when the grain length varies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub len: Vec<u32>,
    /// Pan position of each hop's grain, -1..1, with a spread (section 14).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pan: Vec<f32>,
    /// The value used at every hop of each parameter that varies.
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// The level of a finished output (docs/algorithm.md, sections 2 and 8.5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelReport {
    /// `peak`, `loudness` or `none`.
    pub normalize: String,
    /// Whether the DC high-pass ran.
    pub dc_block: bool,
    /// Gain applied to the source before the grains were cut (section 2), dB.
    pub source_gain_db: f64,
    /// Gain applied to the finished output (section 8.5), dB.
    pub gain_db: f64,
    /// Output sample peak after every gain, dBFS (`None` for silence).
    pub peak_dbfs: Option<f64>,
    /// Integrated loudness of the output, LUFS (measured with `--normalize
    /// loudness`; `None` otherwise or when the output is too short or silent).
    pub loudness_lufs: Option<f64>,
    /// Samples beyond full scale, clipped by an integer output format.
    pub clipped_samples: u64,
}

impl LevelReport {
    /// The level of a run rendered with `p` whose level stage decided `level`.
    pub fn new(p: &Prepared, level: &crate::Level) -> LevelReport {
        let s = &p.settings;
        LevelReport {
            normalize: s.normalize.id().to_string(),
            dc_block: s.dc_block,
            source_gain_db: 20.0 * (p.wet_gain as f64).log10(),
            gain_db: level.gain_db(),
            peak_dbfs: level.peak_dbfs(),
            loudness_lufs: level
                .loudness
                .map(|l| l + 20.0 * (level.gain as f64).log10()),
            clipped_samples: level.clipped,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct MostUsed {
    pub index: usize,
    pub start_s: f64,
    pub count: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct UsageReport {
    pub counts: Vec<u32>,
    pub unique: usize,
    pub most_used: MostUsed,
}

/// The whole report (`--report FILE.json`); key names are a contract.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub gar_version: String,
    pub input: InputInfo,
    pub output: Option<OutputInfo>,
    /// The output's level (render only).
    pub level: Option<LevelReport>,
    pub preset: String,
    pub params: ParamsReport,
    pub adjustments: Vec<String>,
    pub warnings: Vec<String>,
    pub seed: u64,
    /// The diversity's control points and the alpha solved at each (section 13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversity: Option<Vec<crate::diversity::ControlPoint>>,
    pub analysis: AnalysisReport,
    pub plan: PlanReport,
    pub usage: UsageReport,
    /// With `channels independent`: every channel's analysis, plan and
    /// usage (channel 0's are also `analysis`, `plan` and `usage` above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<ChannelReport>>,
}

fn analysis_report(c: &crate::ChannelView<'_>, sr: u32) -> AnalysisReport {
    let n = c.analysis.len();
    AnalysisReport {
        candidates: n,
        active: c.attention.active_count(),
        mean_score: c.attention.mean_score,
        floor_value: c.attention.floor_value,
        effective_grains: c.attention.effective_grains(),
        start_s: (0..n).map(|i| c.analysis.start_s(i, sr)).collect(),
        rms_power: c.analysis.rms_power.clone(),
        score: c.analysis.score.clone(),
        active_mask: c.attention.active.clone(),
        prob: c.attention.prob.clone(),
        drivers: c
            .analysis
            .drivers
            .iter()
            .map(|(d, v)| (d.id().to_string(), serde_json::Value::from(v.clone())))
            .collect(),
    }
}

fn plan_report(plan: &crate::Plan) -> PlanReport {
    PlanReport {
        hops: plan.hops(),
        grain: plan.grain.clone(),
        pos_s: plan.pos_s.clone(),
        pitch_st: plan.pitch_st.clone(),
        len: plan.len.clone(),
        pan: plan.pan.clone(),
        values: plan
            .values
            .iter()
            .map(|v| (v.id.to_string(), serde_json::Value::from(v.values.clone())))
            .collect(),
    }
}

fn usage_report(c: &crate::ChannelView<'_>, sr: u32) -> UsageReport {
    let n = c.analysis.len();
    let counts = c.plan.usage(n);
    let unique = counts.iter().filter(|&&c| c > 0).count();
    // Most used: highest count, lowest index on ties.
    let mut best = 0;
    for (i, &k) in counts.iter().enumerate() {
        if k > counts[best] {
            best = i;
        }
    }
    UsageReport {
        unique,
        most_used: MostUsed {
            index: best,
            start_s: c.analysis.start_s(best, sr),
            count: counts[best],
        },
        counts,
    }
}

/// One channel's analysis, plan and usage (`channels independent`).
#[derive(Clone, Debug, Serialize)]
pub struct ChannelReport {
    pub channel: usize,
    /// The channel's seed (docs/algorithm.md, section 14).
    pub seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversity: Option<Vec<crate::diversity::ControlPoint>>,
    pub analysis: AnalysisReport,
    pub plan: PlanReport,
    pub usage: UsageReport,
}

impl Report {
    pub fn new(p: &Prepared, input: InputInfo, output: Option<OutputInfo>) -> Report {
        let s = &p.settings;
        let sr = s.sample_rate;
        let views = p.channel_plans();
        let c0 = &views[0];
        let channels = (views.len() > 1).then(|| {
            views
                .iter()
                .map(|c| ChannelReport {
                    channel: c.channel,
                    seed: c.seed,
                    diversity: (!c.diversity.is_empty()).then(|| c.diversity.to_vec()),
                    analysis: analysis_report(c, sr),
                    plan: plan_report(c.plan),
                    usage: usage_report(c, sr),
                })
                .collect()
        });
        Report {
            gar_version: crate::VERSION.to_string(),
            input,
            output,
            level: None,
            preset: s.preset.id().to_string(),
            params: params_map(s),
            adjustments: s.adjustments.clone(),
            warnings: p.warnings.clone(),
            seed: p.seed,
            diversity: (!p.diversity.is_empty()).then(|| p.diversity.clone()),
            analysis: analysis_report(c0, sr),
            plan: plan_report(&p.plan),
            usage: usage_report(c0, sr),
            channels,
        }
    }

    /// The human summary, in the spirit of the original's info window.
    pub fn summary(&self) -> String {
        let mut t = String::new();
        let p = &self.params;
        let a = &self.analysis;
        let i = &self.input;
        t += &format!("gar {}  preset {}\n", self.gar_version, self.preset);
        t += &format!(
            "input   {}  {} Hz, {} ch, {:.3} s\n",
            i.path, i.sample_rate, i.channels, i.duration_s
        );
        let v = |k: &str| match p.get(k) {
            Some(serde_json::Value::Number(n)) => {
                crate::params::num(n.as_f64().unwrap_or(f64::NAN))
            }
            Some(serde_json::Value::String(s)) => format!("\"{s}\""),
            Some(x) => x.to_string(),
            None => "-".into(),
        };
        let word = |k: &str| p.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_string();
        let alpha = match p.get("diversity") {
            Some(_) => format!("diversity {} %", v("diversity")),
            None => format!("alpha {}", v("alpha")),
        };
        t += &format!(
            "params  grain {} ms, hop {} ms, cand hop {} ms, {alpha}, floor {} dB, score {}{}\n",
            v("grain_ms"),
            v("hop_ms"),
            v("cand_hop_ms"),
            v("floor_db"),
            word("score"),
            if word("score") == "mixed" {
                format!(" (tw {})", v("transient_weight"))
            } else {
                String::new()
            }
        );
        let pitch = if v("pitch_st") == "0" {
            String::new()
        } else {
            format!(", transpose {} st", v("pitch_st"))
        };
        t += &format!(
            "        time jitter {} ms, pitch jitter {} st{pitch}, recency {}, wet {} %, norm {}, channels {}\n",
            v("time_jitter_ms"),
            v("pitch_jitter_st"),
            v("recency"),
            v("wet"),
            word("attention_norm"),
            word("channels")
        );
        for adj in &self.adjustments {
            t += &format!("adjust  {adj}\n");
        }
        // The warnings are not repeated here: the command line prints each one once,
        // on standard error (`gar: warning: ...`).
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        t += &format!("seed    {}\n", self.seed);
        // With alpha or the floor varying, the attention shown is the one at
        // output time 0; the per-hop values are in the report.
        let varies = ["alpha", "floor_db"]
            .iter()
            .any(|k| self.plan.values.contains_key(*k));
        t += &format!(
            "grains  {}, {} active ({:.1}%), mean score {:.4}, floor {:.4}, effective {:.1}{}\n",
            plural(a.candidates, "candidate", "candidates"),
            a.active,
            100.0 * a.active as f64 / a.candidates as f64,
            a.mean_score,
            a.floor_value,
            a.effective_grains,
            if varies { " (at output time 0)" } else { "" }
        );
        if let Some(d) = &self.diversity
            && let (Some(first), Some(last)) = (d.first(), d.last())
        {
            t += &format!(
                "solved  alpha {} for diversity {} % ({} control point{}{})\n",
                if d.len() == 1 {
                    crate::params::num(first.alpha)
                } else {
                    format!(
                        "{} .. {}",
                        crate::params::num(first.alpha),
                        crate::params::num(last.alpha)
                    )
                },
                if d.len() == 1 {
                    crate::params::num(first.diversity)
                } else {
                    format!(
                        "{} .. {}",
                        crate::params::num(first.diversity),
                        crate::params::num(last.diversity)
                    )
                },
                d.len(),
                if d.len() == 1 { "" } else { "s" },
                if d.len() == 1 {
                    format!(
                        ", {:.1} effective of {} active",
                        first.effective, first.active
                    )
                } else {
                    ", per hop in the report".to_string()
                }
            );
        }
        let u = &self.usage;
        t += &format!(
            "plan    {}, {} used ({:.1}% of candidates), most used #{} at {:.3} s ({}x)\n",
            plural(self.plan.hops, "hop", "hops"),
            plural(u.unique, "unique grain", "unique grains"),
            100.0 * u.unique as f64 / a.candidates as f64,
            u.most_used.index,
            u.most_used.start_s,
            u.most_used.count
        );
        if let Some(chs) = &self.channels {
            for c in chs {
                t += &format!(
                    "channel {}: {} active, effective {:.1}, {}, seed {}\n",
                    c.channel,
                    c.analysis.active,
                    c.analysis.effective_grains,
                    plural(c.usage.unique, "unique grain", "unique grains"),
                    c.seed
                );
            }
        }
        if !self.plan.pan.is_empty() {
            let (lo, hi) = self
                .plan
                .pan
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &u| {
                    (a.min(u), b.max(u))
                });
            t += &format!("spread  pans {lo:+.2} .. {hi:+.2} (left -1, right +1)\n");
        }
        if let Some(o) = &self.output {
            // `bits` is "16", "24" or "32f".
            let format = match o.bits.strip_suffix('f') {
                Some(b) => format!("{b}-bit float"),
                None => format!("{}-bit", o.bits),
            };
            t += &format!(
                "output  {}  {} Hz, {} ch, {:.3} s, {format}\n",
                o.path, o.sample_rate, o.channels, o.duration_s
            );
        }
        if let Some(l) = &self.level {
            let peak = l
                .peak_dbfs
                .map_or("silent".to_string(), |p| format!("peak {p:.2} dBFS"));
            let loud = l
                .loudness_lufs
                .map_or(String::new(), |v| format!(", {v:.1} LUFS"));
            t += &format!(
                "level   {} ({}): gain {:+.2} dB (source {:+.2} dB), {peak}{loud}, DC high-pass {}{}\n",
                l.normalize,
                match l.normalize.as_str() {
                    "peak" => "sample peak",
                    "loudness" => "integrated loudness, peak ceiling",
                    _ => "no gain",
                },
                l.gain_db,
                l.source_gain_db,
                if l.dc_block { "on" } else { "off" },
                if l.clipped_samples > 0 {
                    format!(", {} samples beyond full scale", l.clipped_samples)
                } else {
                    String::new()
                }
            );
        }
        t
    }
}
