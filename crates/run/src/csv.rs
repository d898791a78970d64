//! The CSV tables of a run (`--csv PREFIX`): one row per candidate, one row per hop,
//! in the digits of the JSON report.

use std::path::{Path, PathBuf};

/// `PREFIX.candidates.csv` and `PREFIX.plan.csv`.
pub fn csv_paths(prefix: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [with(".candidates.csv"), with(".plan.csv")]
}

/// The two CSV tables of a report. Numbers use Rust's shortest round-trip form,
/// the same digits as the JSON report.
pub fn csv_tables(
    a: &gar_core::report::AnalysisReport,
    p: &gar_core::report::PlanReport,
    u: &gar_core::report::UsageReport,
) -> (String, String) {
    use std::fmt::Write;
    // One column per driver (section 15), in the drivers' order, unit in brackets.
    let drivers: Vec<(gar_core::analysis::Driver, Vec<f64>)> = gar_core::analysis::Driver::ALL
        .iter()
        .filter_map(|&d| {
            let v = a.drivers.get(d.id())?.as_array()?;
            Some((
                d,
                v.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
            ))
        })
        .collect();
    let mut cands = String::from("index,start_s,rms_power,score,active,prob,usage");
    for (d, _) in &drivers {
        let _ = write!(cands, ",{}[{}]", d.id(), d.unit());
    }
    cands.push('\n');
    for i in 0..a.candidates {
        let _ = write!(
            cands,
            "{i},{},{},{},{},{},{}",
            a.start_s[i],
            a.rms_power[i],
            a.score[i],
            u8::from(a.active_mask[i]),
            a.prob[i],
            u.counts[i]
        );
        for (_, v) in &drivers {
            let _ = write!(cands, ",{}", v[i]);
        }
        cands.push('\n');
    }
    // The per-hop values of the parameters that vary, one column each.
    let cols: Vec<(&String, Vec<f64>)> = p
        .values
        .iter()
        .map(|(k, v)| {
            let vals = v
                .as_array()
                .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
                .unwrap_or_default();
            (k, vals)
        })
        .collect();
    let mut plan = String::from("hop,pos_s,grain,pitch_st");
    if !p.pan.is_empty() {
        plan += ",pan";
    }
    for (k, _) in &cols {
        plan += &format!(",{k}");
    }
    plan.push('\n');
    for h in 0..p.hops {
        let _ = write!(plan, "{h},{},{},{}", p.pos_s[h], p.grain[h], p.pitch_st[h]);
        if let Some(u) = p.pan.get(h) {
            let _ = write!(plan, ",{u}");
        }
        for (_, v) in &cols {
            let _ = write!(plan, ",{}", v.get(h).copied().unwrap_or(f64::NAN));
        }
        plan.push('\n');
    }
    (cands, plan)
}
